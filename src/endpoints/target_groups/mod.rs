//! `GET /v3/users/{userId}/targetGroups`: a customer's target groups with their targets per
//! period, milestones and streaks, as of the emulator's clock for the caller's org or of
//! `trackingDate`.

pub mod codes;
mod openapi;
mod order;
mod render;
mod request;
mod wire;

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
    http::Uri,
};
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
    platform::{cache::OrgKey, state::AppState},
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

async fn user_target_groups(
    State(state): State<AppState>,
    Caller { tenant, org, mut db }: Caller,
    Path(user_id): Path<String>,
    uri: Uri,
) -> ApiResult<Json<Envelope>> {
    let user_id: i64 = path_param("userId", &user_id).map_err(|error| ApiError { code: codes::INVALID_USER_ID, ..error })?;
    let query = TargetGroupsQuery::parse(&uri).map_err(|error| ApiError { code: codes::INVALID_PARAMETER, ..error })?;

    let tracking = TrackingDate {
        instant: query.tracking_date.unwrap_or_else(|| tenant.clock.now_for(Some(&org))),
        time_zone: org.time_zone,
        org_id: org.org_id,
        release: org.release,
    };
    let customer = store::targets::customer_targets(&mut *db, org.org_id, user_id)
        .await?
        .ok_or_else(|| ApiError::new(codes::CUSTOMER_NOT_FOUND, format!("Customer not found for userId {user_id}")).at("userId"))?;
    let groups = GroupFilter { include_inactive: query.include_inactive, excluded: &query.excluded_group_ids };
    let targets = TargetFilter { include_inactive_rules: query.include_inactive_targets, target_rule_id: query.target_rule_id };
    // With the response cache off every read comes from the database, the configuration too.
    let keeping = state.config.response_cache;
    let key = OrgKey { tenant: tenant.id.clone(), org_id: org.org_id };
    let caches = &state.tenants.caches;
    let kept = keeping.then(|| caches.org_targets(&key)).flatten();
    let seen = match kept.and_then(|kept| kept.seen_by(&customer, groups, targets, tracking.instant)) {
        Some(seen) => seen,
        None => {
            let since = caches.generation();
            let configuration = Arc::new(store::targets::org_targets(&mut *db, org.org_id).await?);
            if keeping {
                caches.keep_org_targets(key, Arc::clone(&configuration), since);
            }
            configuration.seen_by_now(&customer, groups, targets, tracking.instant)
        }
    };
    // Other requests wait for this connection: it goes back to the pool before the answer is built.
    drop(db);

    let target_groups = tracking.target_groups(seen.groups, seen.targets, &seen.milestones, &seen.reached, seen.streaks);
    let customer = tracking.customer(customer.profile, customer.channels.0);
    Ok(Json(Envelope { data: UserTargetGroups { user_id, customer, target_groups }, errors: None, warnings: None }))
}
