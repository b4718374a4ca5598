//! How every failure reaches a client: an [`ErrorCode`] (number, HTTP status, message form), a
//! message, and the envelope of the endpoint family that answers.
//!
//! Each endpoint family defines its own codes next to its handlers (`endpoints/<family>/codes.rs`)
//! as values of [`ErrorCode`]; the ones every family shares are in [`codes`]. Handlers return
//! [`ApiError`] without knowing their family; the [`render_errors`] middleware picks the family
//! from the request path and writes the envelope. It also turns every framework response that is
//! not already an envelope (unknown path, wrong method, timeout, body too large, panic) into one,
//! so nothing reaches a client outside its family's shape.

use std::{error::Error as StdError, sync::Arc};

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde_json::{Value, json};

use crate::http::tenant::TenantPrefix;

/// The endpoint family whose envelope an answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/v2/...` and `/v2.1/...`: `{"errors":[{"status":false,"code","message"}],"warnings":[]}`
    V2,
    /// `/v3/...`: `{"data":null,"errors":[{"code","message"}],"warnings":null}`
    V3,
    /// `/v3/oauth/...`: `{"data":null,"errors":[{"code","message"}]}`, without `warnings` in
    /// errors (320001 as the authorization document prints it) as in its success body.
    OAuth,
    /// `/v1.1/...`: `{"response":{"status":{"success":"false","code","message"}}}`, the
    /// request-level status of Capillary's v1.1 APIs (item-level failures are answers of their own).
    V1_1,
    /// `/webhooks/...` (behavioural-event ingestion): `{"status":{"code","message"}}`, the shape of
    /// its acknowledgement.
    Webhook,
    /// `/das/...`, `/__admin/...` and anything else: a Spring-style error object.
    Plain,
}

impl Family {
    pub fn of_path(path: &str) -> Family {
        if path.starts_with("/v2/") || path.starts_with("/v2.1/") || path == "/v2" || path == "/v2.1" {
            Family::V2
        } else if path.starts_with("/v1.1/") || path == "/v1.1" {
            Family::V1_1
        } else if path.starts_with("/webhooks/") {
            Family::Webhook
        } else if path.starts_with("/v3/oauth/") {
            Family::OAuth
        } else if path.starts_with("/v3/") || path == "/v3" {
            Family::V3
        } else {
            Family::Plain
        }
    }
}

/// A code the service answers with: the number in the `code` field, the HTTP status, and the
/// message form (Capillary's where the documents give one; details may follow it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub number: i64,
    pub status: StatusCode,
    pub message: &'static str,
}

impl ErrorCode {
    pub const fn new(number: i64, status: StatusCode, message: &'static str) -> ErrorCode {
        ErrorCode { number, status, message }
    }

    /// A code whose number is its HTTP status.
    const fn http(status: StatusCode, message: &'static str) -> ErrorCode {
        ErrorCode::new(status.as_u16() as i64, status, message)
    }

    /// The shared code for an error response that only has a status (framework rejections).
    pub fn for_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::UNAUTHORIZED => codes::UNAUTHORIZED,
            StatusCode::NOT_FOUND => codes::NOT_FOUND,
            StatusCode::METHOD_NOT_ALLOWED => codes::METHOD_NOT_ALLOWED,
            StatusCode::REQUEST_TIMEOUT => codes::REQUEST_TIMEOUT,
            StatusCode::PAYLOAD_TOO_LARGE => codes::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => codes::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::URI_TOO_LONG => codes::URI_TOO_LONG,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => codes::HEADERS_TOO_LARGE,
            StatusCode::SERVICE_UNAVAILABLE => codes::UNAVAILABLE,
            status if status.is_client_error() => codes::BAD_PARAMETER,
            _ => codes::INTERNAL,
        }
    }
}

/// The codes every family shares; their numbers are their HTTP statuses.
pub mod codes {
    use axum::http::StatusCode;

    use super::ErrorCode;

    /// A parameter is missing, malformed or out of range (the message names it).
    pub const BAD_PARAMETER: ErrorCode = ErrorCode::http(StatusCode::BAD_REQUEST, "Bad request");
    /// No credential, or a wrong one.
    pub const UNAUTHORIZED: ErrorCode = ErrorCode::http(StatusCode::UNAUTHORIZED, "Unauthorized");
    /// No such route, or no such record in the caller's org.
    pub const NOT_FOUND: ErrorCode = ErrorCode::http(StatusCode::NOT_FOUND, "Not found");
    pub const METHOD_NOT_ALLOWED: ErrorCode = ErrorCode::http(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    pub const REQUEST_TIMEOUT: ErrorCode = ErrorCode::http(StatusCode::REQUEST_TIMEOUT, "The request took too long and was cancelled");
    pub const PAYLOAD_TOO_LARGE: ErrorCode = ErrorCode::http(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large");
    pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode =
        ErrorCode::http(StatusCode::UNSUPPORTED_MEDIA_TYPE, "The request body must be application/json");
    /// The URL is longer than the HTTP layer reads (65,534 bytes).
    pub const URI_TOO_LONG: ErrorCode = ErrorCode::http(StatusCode::URI_TOO_LONG, "The request URL is too long (at most 65534 bytes)");
    /// The request head is larger than the HTTP layer reads, or has too many headers.
    pub const HEADERS_TOO_LARGE: ErrorCode = ErrorCode::http(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "The request headers are too large (at most 100 headers and about 400 KB in all)",
    );
    /// The request line or a header cannot be parsed as HTTP.
    pub const MALFORMED_REQUEST: ErrorCode = ErrorCode::http(StatusCode::BAD_REQUEST, "The request is not well-formed HTTP");
    pub const INTERNAL: ErrorCode = ErrorCode::http(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
    /// The database cannot be reached.
    pub const UNAVAILABLE: ErrorCode = ErrorCode::http(StatusCode::SERVICE_UNAVAILABLE, "The database is unavailable; try again");
}

/// What went wrong inside, kept with its chain for the log of a 5xx; never sent to the client.
pub type Cause = Box<dyn StdError + Send + Sync>;

/// A failure on its way to the client.
#[derive(Debug, thiserror::Error)]
#[error("{} ({}): {message}", code.number, code.status)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The request parameter at fault, where there is one.
    pub parameter: Option<String>,
    #[source]
    pub cause: Option<Cause>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: readable(message.into()), parameter: None, cause: None }
    }

    /// The code with its own message.
    pub fn of(code: ErrorCode) -> ApiError {
        ApiError::new(code, code.message)
    }

    /// The code's message followed by `detail`, as Capillary words its codes.
    pub fn detailed(code: ErrorCode, detail: impl std::fmt::Display) -> ApiError {
        ApiError::new(code, format!("{}{detail}", code.message))
    }

    /// Names the request parameter at fault.
    pub fn at(mut self, parameter: &str) -> ApiError {
        self.parameter = Some(parameter.to_owned());
        self
    }

    pub fn caused_by(mut self, cause: impl Into<Cause>) -> ApiError {
        self.cause = Some(cause.into());
        self
    }

    /// A bad request parameter: the message names it.
    pub fn bad_parameter(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(codes::BAD_PARAMETER, message).at(parameter)
    }

    pub fn missing_parameter(parameter: &str) -> ApiError {
        ApiError::bad_parameter(parameter, format!("Required parameter '{parameter}' is missing"))
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(codes::UNAUTHORIZED, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(codes::NOT_FOUND, message)
    }

    pub fn internal(cause: impl Into<Cause>) -> ApiError {
        ApiError::of(codes::INTERNAL).caused_by(cause)
    }

    /// The JSON body of this error in `family`'s envelope.
    pub fn envelope(&self, family: Family, path: &str) -> Value {
        let code = self.code;
        match family {
            Family::V2 => json!({
                "errors": [{"status": false, "code": code.number, "message": self.message}],
                "warnings": [],
            }),
            Family::V3 => json!({
                "data": null,
                "errors": [{"code": code.number, "message": self.message}],
                "warnings": null,
            }),
            Family::OAuth => json!({
                "data": null,
                "errors": [{"code": code.number, "message": self.message}],
            }),
            Family::V1_1 => json!({
                "response": {"status": {"success": "false", "code": code.number, "message": self.message}},
            }),
            Family::Webhook => json!({
                "status": {"code": code.number, "message": self.message},
            }),
            Family::Plain => {
                let mut body = json!({
                    "timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "status": code.status.as_u16(),
                    "error": code.status.canonical_reason().unwrap_or("Error"),
                    "code": code.number,
                    "message": self.message,
                    "path": path,
                });
                if let Some(parameter) = &self.parameter {
                    body["parameter"] = Value::String(parameter.clone());
                }
                body
            }
        }
    }
}

/// The longest message sent; messages echo what the client sent, which may be megabytes.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The message, cut to [`MAX_MESSAGE_CHARS`] with a note of how much was left out.
pub(crate) fn readable(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        let left_out = message[cut..].chars().count();
        message.truncate(cut);
        message.push_str(&format!("… ({left_out} more characters)"));
    }
    message
}

/// Whether the error means the database went away or cannot be reached for now: no connection
/// could be had, the connection broke, or the server said so (SQLSTATE class 08, connection
/// exceptions; 57P01–57P03, shutdown, crash shutdown, cannot connect now).
pub fn is_database_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        let unavailable = is_database_unavailable(&error);
        if unavailable || matches!(error, sqlx::Error::Protocol(_)) {
            crate::platform::db::reuse::connections_may_be_broken();
        }
        let code = match &error {
            _ if unavailable => codes::UNAVAILABLE,
            // Text the database cannot hold (a NUL byte) that came from the client, e.g. in a JSON body.
            sqlx::Error::Database(db) if db.code().is_some_and(|code| code == "22021" || code == "22P05") => {
                return ApiError::new(codes::BAD_PARAMETER, "The request contains a character that cannot be stored (NUL)")
                    .caused_by(error);
            }
            _ => codes::INTERNAL,
        };
        ApiError::of(code).caused_by(error)
    }
}

impl IntoResponse for ApiError {
    /// The error travels in the response's extensions; [`render_errors`] writes its envelope.
    fn into_response(self) -> Response {
        let mut response = self.code.status.into_response();
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// Middleware: renders every error response in the envelope of the request's family, and logs
/// the cause of each 5xx once.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let family = Family::of_path(request.uri().path());
    // The path as the client sent it, before a tenant prefix was cut off.
    let path = match request.extensions().get::<TenantPrefix>() {
        Some(prefix) => prefix.original_path.clone(),
        None => request.uri().path().to_owned(),
    };
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match response.extensions_mut().remove::<Arc<ApiError>>() {
        Some(error) => error,
        None if is_json(&response) => return response,
        None => Arc::new(framework_error(response).await),
    };
    if error.code.status.is_server_error() {
        match &error.cause {
            Some(cause) => tracing::error!(code = error.code.number, cause = %ErrorChain(cause.as_ref()), "request failed"),
            None => tracing::error!(code = error.code.number, message = %error.message, "request failed"),
        }
    }
    let mut rendered = (error.code.status, axum::Json(error.envelope(family, &path))).into_response();
    rendered.extensions_mut().insert(RenderedCode(error.code.number));
    if error.code == codes::UNAUTHORIZED && family == Family::Plain {
        rendered.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"capillary\""));
    }
    rendered
}

/// The code an error response carries, for the request journal.
#[derive(Debug, Clone, Copy)]
pub struct RenderedCode(pub i64);

/// An error and its sources, `: `-separated.
struct ErrorChain<'a>(&'a (dyn StdError + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

/// An error response made by axum or a tower layer: keep its status, and its text as the message.
async fn framework_error(response: Response) -> ApiError {
    let code = ErrorCode::for_status(response.status());
    let text = to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    if text.is_empty() { ApiError::of(code) } else { ApiError::new(code, text) }
}

/// What a panicking handler answers with (see `CatchPanicLayer` in `http/mod.rs`).
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_to_a_readable_length() {
        let sent = format!("Parameter 'p' got '{}'", "é".repeat(60_000));
        let message = ApiError::bad_parameter("p", sent.clone()).message;
        let note = format!("… ({} more characters)", sent.chars().count() - MAX_MESSAGE_CHARS);
        assert_eq!(message, format!("{}{note}", sent.chars().take(MAX_MESSAGE_CHARS).collect::<String>()));
        assert_eq!(ApiError::bad_parameter("p", "short").message, "short");
    }
}
