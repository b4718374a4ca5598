//! Fault injection: a tenant's fault rules (`/__admin/faults`) and the `X-Emulator-Fault` header
//! make requests slow, answer with a forced code or status, or lose their connection.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{
    endpoints::{codes_at, path_matches},
    http::{
        auth::decide_org,
        error::{ApiError, ErrorCode},
        tenant::{TenantDb, tenant_id_of},
    },
    platform::{state::AppState, tenants::Tenant},
    store::{self, faults::FaultRow},
};

pub const FAULT_HEADER: &str = "X-Emulator-Fault";
/// The longest delay a fault may ask for.
pub const MAX_DELAY_MS: u64 = 120_000;

/// What a fault does to a request: first the delay, then the error or the dropped connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fault {
    pub delay_ms: Option<(u64, u64)>,
    pub error: Option<ForcedError>,
    pub drop_connection: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ForcedError {
    /// A Capillary code, answered as the endpoint answers it.
    Code(i64),
    /// A bare HTTP status, answered in the family's envelope.
    Status(StatusCode),
}

impl Fault {
    fn of_rule(rule: &FaultRow) -> Fault {
        let delay_ms = rule.delay_min_ms.map(|min| (min as u64, rule.delay_max_ms.unwrap_or(min) as u64));
        let error = match (rule.error_code, rule.error_status.and_then(|status| StatusCode::from_u16(status as u16).ok())) {
            (Some(code), _) => Some(ForcedError::Code(code)),
            (None, Some(status)) => Some(ForcedError::Status(status)),
            (None, None) => None,
        };
        Fault { delay_ms, error, drop_connection: rule.drop_connection }
    }

    /// `delay=300ms;code=8015;status=503;drop`, parts in any order.
    pub fn parse_header(text: &str) -> Result<Fault, String> {
        let mut fault = Fault::default();
        for part in text.split(';').map(str::trim).filter(|part| !part.is_empty()) {
            let (name, value) = part.split_once('=').map_or((part, None), |(name, value)| (name.trim(), Some(value.trim())));
            match (name.to_ascii_lowercase().as_str(), value) {
                ("drop", None) => fault.drop_connection = true,
                ("delay", Some(value)) => {
                    let delay = crate::platform::clock::parse_duration(value)?;
                    let millis = u64::try_from(delay.num_milliseconds()).map_err(|_| format!("delay '{value}' is negative"))?;
                    if millis > MAX_DELAY_MS {
                        return Err(format!("delay '{value}' is over {MAX_DELAY_MS} ms"));
                    }
                    fault.delay_ms = Some((millis, millis));
                }
                ("code", Some(value)) => {
                    fault.error = Some(ForcedError::Code(value.parse().map_err(|_| format!("code '{value}' is not a number"))?));
                }
                ("status", Some(value)) => fault.error = Some(ForcedError::Status(error_status(value)?)),
                _ => return Err(format!("'{part}' is none of delay=<duration>, code=<number>, status=<4xx|5xx>, drop")),
            }
        }
        if fault == Fault::default() {
            return Err("it names no fault".to_owned());
        }
        Ok(fault)
    }
}

/// A status a fault may force: 400 to 599.
pub fn error_status(text: &str) -> Result<StatusCode, String> {
    text.parse::<u16>()
        .ok()
        .filter(|status| (400..=599).contains(status))
        .and_then(|status| StatusCode::from_u16(status).ok())
        .ok_or_else(|| format!("status '{text}' is not an HTTP error status (400 to 599)"))
}

/// The codes the endpoint at `path` answers with, for a message that lists them.
pub fn code_list(codes: &[ErrorCode]) -> String {
    let mut numbers: Vec<i64> = codes.iter().map(|code| code.number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

/// The error a forced code or status makes at `path`, as that endpoint would answer it.
pub fn forced_error(path: &str, error: ForcedError) -> Result<ApiError, String> {
    match error {
        ForcedError::Code(number) => {
            let endpoint_codes = codes_at(path).ok_or_else(|| format!("{path} is no Capillary endpoint, so it has no codes"))?;
            let code = endpoint_codes
                .iter()
                .find(|code| code.number == number)
                .ok_or_else(|| format!("{path} does not answer with code {number}; its codes are {}", code_list(endpoint_codes)))?;
            Ok(ApiError::of(*code).caused_by("forced by a fault"))
        }
        // The status's own reason phrase: the shared message of a 503 would blame the database.
        ForcedError::Status(status) => {
            Ok(ApiError::of(ErrorCode::new(i64::from(status.as_u16()), status, status.canonical_reason().unwrap_or("Error")))
                .caused_by("forced by a fault"))
        }
    }
}

/// Middleware (after routing, inside the error envelopes): applies the first fault that matches.
pub async fn apply(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/__admin") {
        return next.run(request).await;
    }
    let tenant_id = tenant_id_of(request.extensions(), request.headers()).ok();
    let (method, path, headers) = (request.method().as_str().to_owned(), request.uri().path().to_owned(), request.headers().clone());
    let fault = match chosen_fault(&state, tenant_id, &method, &path, &headers).await {
        Ok(Some(fault)) => fault,
        Ok(None) => return next.run(request).await,
        Err(error) => return error.into_response(),
    };
    if let Some((min, max)) = fault.delay_ms {
        let delay = if max > min { rand::random_range(min..=max) } else { min };
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if fault.drop_connection {
        // A body that fails before its first byte: the server closes the connection mid-answer.
        let failing = futures_util::stream::once(async { Err::<Bytes, _>(std::io::Error::other("connection dropped by a fault")) });
        return Response::new(Body::from_stream(failing));
    }
    match fault.error {
        Some(error) => match forced_error(&path, error) {
            Ok(error) => error.into_response(),
            Err(message) => ApiError::bad_parameter(FAULT_HEADER, format!("Header {FAULT_HEADER}: {message}")).into_response(),
        },
        None => next.run(request).await,
    }
}

/// The header's fault, else the first rule of the tenant that matches and fires.
async fn chosen_fault(
    state: &AppState,
    tenant_id: Option<String>,
    method: &str,
    path: &str,
    headers: &HeaderMap,
) -> Result<Option<Fault>, ApiError> {
    if state.config.fault_header
        && let Some(value) = headers.get(FAULT_HEADER)
    {
        let text =
            value.to_str().map_err(|_| ApiError::bad_parameter(FAULT_HEADER, format!("Header {FAULT_HEADER} must be plain text")))?;
        return Fault::parse_header(text)
            .map(Some)
            .map_err(|message| ApiError::bad_parameter(FAULT_HEADER, format!("Header {FAULT_HEADER}: {message}")));
    }
    let Some(tenant) = tenant_id.and_then(|id| state.tenants.get(&id)) else { return Ok(None) };
    let candidates: Vec<&FaultRow> = tenant
        .faults
        .iter()
        .filter(|rule| rule.method.as_deref().is_none_or(|wanted| wanted.eq_ignore_ascii_case(method)))
        .filter(|rule| rule.path.as_deref().is_none_or(|pattern| path_matches(pattern, path)))
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let org = if candidates.iter().any(|rule| rule.org_id.is_some()) { org_of(state, &tenant, headers).await } else { None };
    for rule in candidates {
        if rule.org_id.is_some_and(|wanted| Some(wanted) != org) || rand::random::<f64>() >= rule.probability {
            continue;
        }
        if rule.times_left.is_some() && !take_one(state, rule.id).await? {
            continue;
        }
        return Ok(Some(Fault::of_rule(rule)));
    }
    Ok(None)
}

/// The org the request's credential decides, if it decides one.
async fn org_of(state: &AppState, tenant: &std::sync::Arc<Tenant>, headers: &HeaderMap) -> Option<i64> {
    let TenantDb { tenant, mut db } = TenantDb::open(state, tenant.clone()).await.ok()?;
    decide_org(headers, state, &tenant, &mut db).await.ok().map(|org| org.org_id)
}

/// Counts a counted rule down; every process hears of it, and a spent rule is deleted.
async fn take_one(state: &AppState, id: i64) -> Result<bool, ApiError> {
    if !store::faults::take_one(&state.db, id).await? {
        return Ok(false);
    }
    store::faults::delete_spent(&state.db).await?;
    store::tenants::notify_change(&state.db, "faults").await?;
    state.tenants.refresh(&state.db).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_delays_codes_statuses_and_drops() {
        let fault = Fault::parse_header("delay=300ms; code=8015").unwrap();
        assert_eq!(fault, Fault { delay_ms: Some((300, 300)), error: Some(ForcedError::Code(8015)), drop_connection: false });
        assert_eq!(Fault::parse_header("status=503").unwrap().error, Some(ForcedError::Status(StatusCode::SERVICE_UNAVAILABLE)));
        assert!(Fault::parse_header("drop").unwrap().drop_connection);
        for bad in ["", "status=200", "code=x", "delay=soon", "explode", "delay=10m"] {
            assert!(Fault::parse_header(bad).is_err(), "{bad}");
        }
    }
}
