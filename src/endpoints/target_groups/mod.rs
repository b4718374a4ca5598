//! `GET /v3/users/{userId}/targetGroups`: a customer's target groups with their targets per
//! period, milestones and streaks, as of the emulator's clock for the caller's org or of
//! `trackingDate`.

pub mod codes;
mod openapi;
mod order;
mod render;
mod request;
mod wire;

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

    let tracking = TrackingDate {
        instant: query.tracking_date.unwrap_or_else(|| tenant.clock.now_for(Some(&org))),
        time_zone: org.time_zone,
        org_id: org.org_id,
        release: org.release,
    };
    let found = store::targets::customer_target_groups(
        &mut *db,
        org.org_id,
        user_id,
        GroupFilter { include_inactive: query.include_inactive, excluded: &query.excluded_group_ids },
        TargetFilter { include_inactive_rules: query.include_inactive_targets, target_rule_id: query.target_rule_id },
        tracking.instant,
    )
    .await?
    .ok_or_else(|| ApiError::new(codes::CUSTOMER_NOT_FOUND, format!("Customer not found for userId {user_id}")).at("userId"))?;
    // Other requests wait for this connection: it goes back to the pool before the answer is built.
    drop(db);

    let target_groups = tracking.target_groups(found.groups.0, found.targets.0, &found.milestones.0, &found.reached.0, found.streaks.0);
    let customer = tracking.customer(found.profile, found.channels.0);
    Ok(Json(Envelope { data: UserTargetGroups { user_id, customer, target_groups }, errors: None, warnings: None }))
}
