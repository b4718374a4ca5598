//! A tenant's fault rules through the control plane: add, list, delete.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AdminTenant;
use crate::{
    endpoints::codes_at,
    http::{
        error::{ApiError, ApiResult},
        extract::ApiJson,
        faults::{MAX_DELAY_MS, code_list, error_status},
    },
    platform::state::AppState,
    store::{self, faults::FaultRow},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_faults, add_fault, delete_faults)).routes(routes!(delete_fault))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewFault {
    method: Option<String>,
    path: Option<String>,
    org: Option<i64>,
    delay_ms: Option<Delay>,
    error: Option<ForcedError>,
    #[serde(default)]
    drop_connection: bool,
    probability: Option<f64>,
    times: Option<i32>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum Delay {
    Fixed(u64),
    Range { min: u64, max: u64 },
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ForcedError {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
}

#[derive(Debug, Serialize)]
struct FaultRule {
    id: i64,
    created: String,
    method: Option<String>,
    path: Option<String>,
    org: Option<i64>,
    delay_ms: Option<Delay>,
    error: Option<ForcedError>,
    drop_connection: bool,
    probability: f64,
    /// `null`: until deleted.
    times_left: Option<i32>,
}

impl From<&FaultRow> for FaultRule {
    fn from(row: &FaultRow) -> FaultRule {
        let delay_ms = row.delay_min_ms.map(|min| match row.delay_max_ms {
            Some(max) if max != min => Delay::Range { min: min as u64, max: max as u64 },
            _ => Delay::Fixed(min as u64),
        });
        let error = (row.error_code.is_some() || row.error_status.is_some())
            .then(|| ForcedError { code: row.error_code, status: row.error_status.map(|status| status as u16) });
        FaultRule {
            id: row.id,
            created: row.created_at.to_rfc3339(),
            method: row.method.clone(),
            path: row.path.clone(),
            org: row.org_id,
            delay_ms,
            error,
            drop_connection: row.drop_connection,
            probability: row.probability,
            times_left: row.times_left,
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(field, message)
}

/// The rule as stored, once every field is checked.
fn checked(tenant: &str, fault: NewFault) -> ApiResult<FaultRow> {
    let method = fault
        .method
        .map(|method| {
            let upper = method.trim().to_ascii_uppercase();
            match upper.as_str() {
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => Ok(upper),
                _ => Err(invalid("method", format!("Field 'method' must be an HTTP method such as GET or POST, got '{method}'"))),
            }
        })
        .transpose()?;
    if let Some(path) = &fault.path
        && !path.starts_with('/')
    {
        return Err(invalid("path", format!("Field 'path' must be a path such as /das/getLedgerEntriesWithEventId, got '{path}'")));
    }
    let (delay_min_ms, delay_max_ms) = match fault.delay_ms {
        None => (None, None),
        Some(Delay::Fixed(ms)) => (Some(ms), Some(ms)),
        Some(Delay::Range { min, max }) if min <= max => (Some(min), Some(max)),
        Some(Delay::Range { .. }) => return Err(invalid("delay_ms", "Field 'delay_ms' must have min at most max")),
    };
    if delay_max_ms.is_some_and(|max| max > MAX_DELAY_MS) {
        return Err(invalid("delay_ms", format!("Field 'delay_ms' must be at most {MAX_DELAY_MS}")));
    }
    let (error_code, error_status) = match fault.error {
        None => (None, None),
        Some(ForcedError { code: Some(code), status: None }) => {
            let Some(path) = &fault.path else {
                return Err(invalid("path", "A rule that forces a Capillary code names the endpoint's 'path'"));
            };
            let codes = codes_at(path)
                .ok_or_else(|| invalid("path", format!("Field 'path': {path} is no Capillary endpoint, so it has no codes")))?;
            if !codes.iter().any(|known| known.number == code) {
                return Err(invalid(
                    "error",
                    format!("Field 'error': {path} does not answer with code {code}; its codes are {}", code_list(codes)),
                ));
            }
            (Some(code), None)
        }
        Some(ForcedError { code: None, status: Some(status) }) => {
            error_status(&status.to_string()).map_err(|message| invalid("error", format!("Field 'error': {message}")))?;
            (None, Some(i32::from(status)))
        }
        Some(_) => return Err(invalid("error", "Field 'error' must be {\"code\": <number>} or {\"status\": <4xx|5xx>}")),
    };
    if fault.drop_connection && (error_code.is_some() || error_status.is_some()) {
        return Err(invalid("drop_connection", "Field 'drop_connection' and field 'error' exclude each other"));
    }
    if delay_min_ms.is_none() && error_code.is_none() && error_status.is_none() && !fault.drop_connection {
        return Err(invalid("error", "A rule needs a fault: 'delay_ms', 'error' or 'drop_connection'"));
    }
    let probability = fault.probability.unwrap_or(1.0);
    if !(probability > 0.0 && probability <= 1.0) {
        return Err(invalid("probability", format!("Field 'probability' must be above 0 and at most 1, got {probability}")));
    }
    if fault.times.is_some_and(|times| times < 1) {
        return Err(invalid("times", "Field 'times' must be 1 or more"));
    }
    Ok(FaultRow {
        id: 0,
        tenant: tenant.to_owned(),
        created_at: chrono::Utc::now(),
        method,
        path: fault.path,
        org_id: fault.org,
        delay_min_ms: delay_min_ms.map(|ms| ms as i32),
        delay_max_ms: delay_max_ms.map(|ms| ms as i32),
        error_code,
        error_status,
        drop_connection: fault.drop_connection,
        probability,
        times_left: fault.times,
    })
}

#[utoipa::path(post, path = "/faults", tag = "tenant faults", security(("admin" = [])), request_body = NewFault,
    responses((status = 201, description = "The rule, with its id", body = serde_json::Value)))]
async fn add_fault(
    AdminTenant(tenant): AdminTenant,
    State(state): State<AppState>,
    ApiJson(fault): ApiJson<NewFault>,
) -> ApiResult<(StatusCode, Json<FaultRule>)> {
    let rule = checked(&tenant.id, fault)?;
    let id = store::faults::insert(&state.db, &rule).await?;
    changed(&state).await?;
    let stored = state.tenants.get(&tenant.id).and_then(|tenant| tenant.faults.iter().find(|rule| rule.id == id).cloned());
    let stored = stored.unwrap_or(FaultRow { id, ..rule });
    Ok((StatusCode::CREATED, Json(FaultRule::from(&stored))))
}

#[utoipa::path(get, path = "/faults", tag = "tenant faults", security(("admin" = [])),
    responses((status = 200, description = "Every rule", body = serde_json::Value)))]
async fn list_faults(AdminTenant(tenant): AdminTenant) -> Json<Vec<FaultRule>> {
    Json(tenant.faults.iter().map(FaultRule::from).collect())
}

#[derive(Serialize)]
struct Deleted {
    status: &'static str,
    removed: u64,
}

#[utoipa::path(delete, path = "/faults", tag = "tenant faults", security(("admin" = [])),
    responses((status = 200, description = "Every rule deleted", body = serde_json::Value)))]
async fn delete_faults(AdminTenant(tenant): AdminTenant, State(state): State<AppState>) -> ApiResult<Json<Deleted>> {
    let removed = store::faults::delete_all(&state.db, &tenant.id).await?;
    changed(&state).await?;
    Ok(Json(Deleted { status: "DELETED", removed }))
}

#[utoipa::path(delete, path = "/faults/{id}", tag = "tenant faults", security(("admin" = [])), params(("id" = i64, Path, description = "The rule id")),
    responses((status = 200, description = "The rule deleted", body = serde_json::Value)))]
async fn delete_fault(
    AdminTenant(tenant): AdminTenant,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Json<Deleted>> {
    let text = params.get("id").map(String::as_str).unwrap_or_default();
    let id: i64 = text.parse().map_err(|_| invalid("id", format!("Path parameter 'id' must be a rule id, got '{text}'")))?;
    if !store::faults::delete(&state.db, &tenant.id, id).await? {
        return Err(ApiError::not_found(format!("No fault rule {id} in tenant '{}'", tenant.id)).at("id"));
    }
    changed(&state).await?;
    Ok(Json(Deleted { status: "DELETED", removed: 1 }))
}

async fn changed(state: &AppState) -> ApiResult<()> {
    store::tenants::notify_change(&state.db, "faults").await?;
    state.tenants.refresh(&state.db).await?;
    Ok(())
}
