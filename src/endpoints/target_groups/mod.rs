//! `GET /v3/users/{userId}/targetGroups`: a customer's target groups with their targets per
//! period, milestones and streaks, as of the emulator's clock for the caller's org or of
//! `trackingDate`.

pub mod codes;
mod openapi;
mod order;
mod render;
mod request;
mod wire;

use std::collections::HashSet;

use axum::{Json, extract::Path, http::Uri};
use utoipa_axum::{router::OpenApiRouter, routes};

use self::{
    render::TrackingDate,
    request::TargetGroupsQuery,
    wire::{Envelope, UserTargetGroups},
};
use crate::{
    http::{
        auth::Caller,
        error::{ApiError, ApiResult},
        extract::path_param,
    },
    platform::state::AppState,
    store::{
        self,
        targets::{GroupFilter, TargetFilter},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(user_target_groups))
}

/// A customer's target groups with their targets per period, milestones and streaks (deprecated
/// by Capillary for milestones; still served in full).
#[utoipa::path(get, path = "/v3/users/{userId}/targetGroups", tag = "v3",
    params(openapi::UserPath, openapi::TargetGroupsParams),
    responses((status = 200, description = "The customer's target groups", body = Envelope)))]

async fn user_target_groups(Caller { tenant, org, mut db }: Caller, Path(user_id): Path<String>, uri: Uri) -> ApiResult<Json<Envelope>> {
    let user_id: i64 = path_param("userId", &user_id).map_err(|error| ApiError { code: codes::INVALID_USER_ID, ..error })?;
    let query = TargetGroupsQuery::parse(&uri).map_err(|error| ApiError { code: codes::INVALID_PARAMETER, ..error })?;

    let (customer, channels) = store::customers::profile_with_channels(&mut *db, org.org_id, user_id)
        .await?
        .ok_or_else(|| ApiError::new(codes::CUSTOMER_NOT_FOUND, format!("Customer not found for userId {user_id}")).at("userId"))?;

    let tracking = TrackingDate {
        instant: query.tracking_date.unwrap_or_else(|| tenant.clock.now_for(Some(&org))),
        time_zone: org.time_zone,
        org_id: org.org_id,
        release: org.release,
    };
    let groups = store::targets::visible_groups(
        &mut *db,
        org.org_id,
        user_id,
        GroupFilter { include_inactive: query.include_inactive, excluded: &query.excluded_group_ids },
    )
    .await?;
    let group_ids = |enrolled: bool| -> Vec<i64> {
        groups.iter().filter(|group| group.first_user_target_id.is_some() == enrolled).map(|group| group.target_group_id).collect()
    };
    let (enrolled, audience) = (group_ids(true), group_ids(false));
    let target_filter = TargetFilter { include_inactive_rules: query.include_inactive_targets, target_rule_id: query.target_rule_id };
    let targets = store::targets::targets(&mut *db, org.org_id, user_id, &enrolled, &audience, target_filter).await?;

    let rule_ids: Vec<i64> = targets.iter().map(|t| t.target_rule_id).collect::<HashSet<_>>().into_iter().collect();
    let user_target_ids: Vec<i64> = targets.iter().filter_map(|t| t.user_target_id).collect();
    let (milestones, reached) = store::targets::milestones_and_reached(&mut *db, org.org_id, &rule_ids, &user_target_ids).await?;
    let streak_group_ids: Vec<i64> = groups.iter().filter(|g| g.tracking_type.tracks_streaks()).map(|g| g.target_group_id).collect();
    let streaks = store::targets::user_streaks(&mut *db, org.org_id, user_id, &streak_group_ids, tracking.instant).await?;
    // Other requests wait for this connection: it goes back to the pool before the answer is built.
    drop(db);

    let target_groups = tracking.target_groups(groups, targets, &milestones, &reached, streaks);
    let customer = tracking.customer(customer, channels);
    Ok(Json(Envelope { data: UserTargetGroups { user_id, customer, target_groups }, errors: None, warnings: None }))
}
