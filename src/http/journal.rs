//! Middleware that records every request to an emulated endpoint in its tenant's journal: what
//! was asked (credentials and tokens redacted), for which org, and what was answered.

use std::time::Instant;

use axum::{
    extract::{Request, State},
    http::{HeaderName, header},
    middleware::Next,
    response::Response,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use serde_json::{Map, Value};

use crate::{
    http::{
        auth::{DecidedOrg, OAUTH_TOKEN_HEADER},
        error::RenderedCode,
        tenant::{TenantPrefix, tenant_id_of},
    },
    platform::state::AppState,
    store::journal::JournalEntry,
};

const REDACTED: &str = "<redacted>";

pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let original_path = request.extensions().get::<TenantPrefix>().map(|prefix| prefix.original_path.clone());
    let path = request.uri().path().to_owned();
    let own = |path: &str| path.starts_with("/__admin") || crate::docs::is_docs_path(path);
    if !state.journal.is_on() || own(original_path.as_deref().unwrap_or(&path)) || own(&path) {
        return next.run(request).await;
    }
    let Ok(tenant) = tenant_id_of(request.extensions(), request.headers()) else { return next.run(request).await };
    let (started, received_at) = (Instant::now(), Utc::now());
    let method = request.method().clone();
    let query = request.uri().query().unwrap_or("").to_owned();
    // Redacted and turned into JSON by the journal's writer, and only if the entry is written.
    // Copied, not cloned: a cloned value would hold on to the connection's whole read buffer.
    let headers: Vec<(HeaderName, Vec<u8>)> =
        request.headers().iter().map(|(name, value)| (name.clone(), value.as_bytes().to_vec())).collect();
    let decided = DecidedOrg::default();
    request.extensions_mut().insert(decided.clone());

    let response = next.run(request).await;

    // A request for a tenant that does not exist has no journal to go to.
    if state.tenants.get(&tenant).is_some() {
        let request_id = response.headers().get("x-request-id").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let org_id = decided.0.get().copied();
        let status = i32::from(response.status().as_u16());
        let code = response.extensions().get::<RenderedCode>().map(|code| code.0);
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        state.journal.record(tenant.clone(), move || JournalEntry {
            tenant,
            received_at,
            method: method.to_string(),
            path,
            query_params: query_params(&query),
            query,
            headers: redacted(&headers),
            org_id,
            status,
            code,
            latency_ms,
            request_id,
        });
    }
    response
}

/// The parameters as the endpoints read them: a repeated one keeps its last value.
fn query_params(query: &str) -> Value {
    Value::Object(
        form_urlencoded::parse(query.as_bytes()).map(|(key, value)| (key.into_owned(), Value::String(value.into_owned()))).collect(),
    )
}

/// Header names in lower case; a password, token or cookie never reaches the journal. Basic auth
/// keeps its till code, which says who called.
fn redacted(headers: &[(HeaderName, Vec<u8>)]) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value).into_owned();
        let kept = if name == header::AUTHORIZATION {
            match text.split_once(' ') {
                Some((scheme, encoded)) if scheme.eq_ignore_ascii_case("basic") => {
                    let till = STANDARD.decode(encoded.trim()).ok().and_then(|decoded| {
                        String::from_utf8(decoded).ok().and_then(|pair| pair.split_once(':').map(|(till, _)| till.to_owned()))
                    });
                    match till {
                        Some(till) => format!("Basic {till}:{REDACTED}"),
                        None => format!("Basic {REDACTED}"),
                    }
                }
                Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                None => REDACTED.to_owned(),
            }
        } else if name.as_str().eq_ignore_ascii_case(OAUTH_TOKEN_HEADER) || name == header::COOKIE || name == header::PROXY_AUTHORIZATION {
            REDACTED.to_owned()
        } else {
            text
        };
        out.insert(name.as_str().to_owned(), Value::String(kept));
    }
    Value::Object(out)
}
