//! A tenant's clock through the control plane: read it, freeze it, let it run, advance it.

use axum::{Json, extract::State};
use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AdminTenant;
use crate::{
    http::{
        error::{ApiError, ApiResult},
        extract::ApiJson,
        tenant::find_tenant,
    },
    model::TextEnum,
    platform::{
        clock::{ClockMode, ClockView, parse_duration},
        state::AppState,
    },
    store,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show_clock, set_clock)).routes(routes!(advance_clock))
}

#[derive(Serialize)]
struct TenantClockView {
    tenant: String,
    #[serde(flatten)]
    clock: ClockView,
}

#[utoipa::path(get, path = "/clock", tag = "tenant clock", security(("admin" = [])),
    responses((status = 200, description = "The clock: `mode`, `frozen_at`, `advanced_by_seconds`, `configured`, `bundle`, `now`", body = serde_json::Value)))]
async fn show_clock(AdminTenant(tenant): AdminTenant) -> Json<TenantClockView> {
    Json(TenantClockView { tenant: tenant.id.clone(), clock: tenant.clock.view() })
}

/// `{"frozen_at": "2024-06-20T12:30:00+05:30"}`, `{"mode": "real"}` or `{"mode": "bundle"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SetClock {
    frozen_at: Option<String>,
    mode: Option<String>,
}

#[utoipa::path(put, path = "/clock", tag = "tenant clock", security(("admin" = [])), request_body = SetClock,
    responses((status = 200, description = "The clock as set (earlier advances dropped)", body = serde_json::Value)))]
async fn set_clock(
    AdminTenant(tenant): AdminTenant,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SetClock>,
) -> ApiResult<Json<TenantClockView>> {
    let mode = match &request.mode {
        None => None,
        Some(text) => Some(ClockMode::parse(text).ok_or_else(|| {
            ApiError::bad_parameter("mode", format!("Field 'mode' must be one of {}, got '{text}'", ClockMode::spellings()))
        })?),
    };
    let frozen_at = match &request.frozen_at {
        None => None,
        Some(text) => Some(DateTime::<FixedOffset>::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).map_err(|_| {
            ApiError::bad_parameter(
                "frozen_at",
                format!("Field 'frozen_at' must be an RFC 3339 instant such as 2024-06-20T12:30:00+05:30, got '{text}'"),
            )
        })?),
    };
    let (mode, frozen_at) = match (mode, frozen_at) {
        (None | Some(ClockMode::Frozen), Some(at)) => (ClockMode::Frozen, Some(at)),
        (Some(ClockMode::Frozen), None) => return Err(ApiError::bad_parameter("frozen_at", "Mode 'frozen' needs 'frozen_at'")),
        (Some(mode), None) => (mode, None),
        (Some(_), Some(_)) => return Err(ApiError::bad_parameter("frozen_at", "Field 'frozen_at' goes only with mode 'frozen'")),
        (None, None) => {
            return Err(ApiError::bad_parameter(
                "frozen_at",
                "Send {\"frozen_at\": \"<RFC 3339 instant>\"} or {\"mode\": \"real\" | \"bundle\"}",
            ));
        }
    };
    // Setting the clock starts it afresh: earlier advances are dropped.
    store::tenants::set_clock(&state.db, &tenant.id, mode.as_str(), frozen_at, 0).await?;
    changed(&state, &tenant.id).await
}

/// `{"by": "P1D"}` or `{"by": "36h"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AdvanceClock {
    by: String,
}

#[utoipa::path(post, path = "/clock/advance", tag = "tenant clock", security(("admin" = [])), request_body = AdvanceClock,
    responses((status = 200, description = "The clock, moved forward", body = serde_json::Value)))]
async fn advance_clock(
    AdminTenant(tenant): AdminTenant,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<AdvanceClock>,
) -> ApiResult<Json<TenantClockView>> {
    let by = parse_duration(&request.by).map_err(|message| ApiError::bad_parameter("by", format!("Field 'by': {message}")))?;
    if by <= TimeDelta::zero() {
        return Err(ApiError::bad_parameter("by", format!("Field 'by' must move the clock forward, got '{}'", request.by)));
    }
    store::tenants::advance_clock(&state.db, &tenant.id, by.num_milliseconds()).await?;
    changed(&state, &tenant.id).await
}

/// Tells every process, reads the tenant again, and shows its clock.
async fn changed(state: &AppState, id: &str) -> ApiResult<Json<TenantClockView>> {
    store::tenants::notify_change(&state.db, "clock").await?;
    state.tenants.refresh(&state.db).await?;
    let tenant = find_tenant(state, id)?;
    Ok(Json(TenantClockView { tenant: tenant.id.clone(), clock: tenant.clock.view() }))
}
