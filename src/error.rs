//! Every error the service can return: its code, HTTP status and message, rendered in the
//! envelope of the endpoint family that answers.
//!
//! Handlers return [`ApiError`] without knowing their family; the [`render_errors`] middleware
//! picks the family from the request path and writes the envelope. It also turns every framework
//! response that is not already an envelope (unknown path, wrong method, timeout, body too large,
//! panic) into one, so nothing reaches a client outside its family's shape.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde_json::{Value, json};

/// The endpoint family whose envelope an answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/v2/...` and `/v2.1/...`: `{"errors":[{"status":false,"code","message"}],"warnings":[]}`
    V2,
    /// `/v3/...`: `{"data":null,"errors":[{"code","message"}],"warnings":null}`
    V3,
    /// `/das/...`, `/__admin/...` and anything else: a Spring-style error object.
    Plain,
}

impl Family {
    pub fn of_path(path: &str) -> Family {
        if path.starts_with("/v2/") || path.starts_with("/v2.1/") || path == "/v2" || path == "/v2.1" {
            Family::V2
        } else if path.starts_with("/v3/") || path == "/v3" {
            Family::V3
        } else {
            Family::Plain
        }
    }
}

/// Every code the service answers with. The numbers are Capillary's where the documents give
/// one; the README's error table lists them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter is missing, malformed or out of range (the message names it).
    BadParameter,
    /// No credential, or a wrong one.
    Unauthorized,
    /// An OAuth token past its expiry.
    TokenExpired,
    /// `POST /v3/oauth/token/generate` with a wrong key or secret.
    InvalidClientCredentials,
    /// No such route, or no such record in the caller's org.
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    Internal,
    /// The database cannot be reached.
    Unavailable,

    // GET /v3/users/{userId}/targetGroups
    /// `userId` is not a customer of the caller's org.
    TargetGroupsCustomerNotFound,
    /// `userId` is not a whole number.
    TargetGroupsInvalidUserId,
    /// A query parameter of the endpoint is malformed (the message names it).
    TargetGroupsInvalidParameter,
    // getLedgerExplodeInfo (v2 and v2.1): Capillary's codes and message forms.
    /// 8013: the identifier name is missing or not one this lookup supports.
    ExplodeIdentifierNameInvalid,
    /// 8013: no customer has that mobile / email / externalId in that source.
    ExplodeCustomerNotFound,
    /// 8015: the identifier value is missing or malformed for its name.
    ExplodeIdentifierValueInvalid,
    /// 8003: the source is missing or not a known one.
    ExplodeSourceInvalid,
    /// 11013: none of identifierName, identifierValue, source was given.
    ExplodeIdentifiersEmpty,
    /// 11023: neither eventIds nor eventName with eventReferenceIds.
    ExplodeEventSelectorMissing,
    /// 9021: event ids that are no event of the caller's (scoped) org.
    ExplodeEventIdsInvalid,
    /// 9022: event reference ids that match no event of the customer.
    ExplodeEventReferenceIdsInvalid,
    /// 11012: no customer with that id.
    ExplodeUserIdInvalid,
    /// 11014: an event name that cannot be looked up by reference id.
    ExplodeEventNameNotFound,
    /// 11014: more than ten event ids or reference ids.
    ExplodeTooManyEvents,
    /// 11017: an event id that is not a number.
    ExplodeEventIdFormat,
    /// 11021: eventIds together with eventName / eventReferenceIds.
    ExplodeEventIdsAndReferences,
    /// 11024: an event of the org that is not the identified customer's or group's.
    ExplodeEventDetailNotFound,
    /// 11006: a limit over 10.
    ExplodeLimitTooLarge,
    /// 9005: an empty name in alternateCurrencyNames.
    ExplodeAlternateCurrencyNamesInvalid,
    /// 9018 (a warning, in the success body): alternate currency names the org does not have.
    ExplodeAlternateCurrencyNotFound,
    /// 1632: no user group with that id / externalId / primary user id.
    ExplodeUserGroupInvalid,
    /// 9003: the ledger cannot be read for these parameters (an unknown `type`).
    ExplodeLedgerFetchFailed,
    /// 310144: DATA-SCOPE / DATA-SCOPE-ORG name no org the caller may read.
    ExplodeConnectedOrgsNotSet,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadParameter => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized | ErrorCode::TokenExpired | ErrorCode::InvalidClientCredentials => StatusCode::UNAUTHORIZED,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,

            // GET /v3/users/{userId}/targetGroups
            ErrorCode::TargetGroupsCustomerNotFound => StatusCode::NOT_FOUND,
            ErrorCode::TargetGroupsInvalidUserId | ErrorCode::TargetGroupsInvalidParameter => StatusCode::BAD_REQUEST,
            // getLedgerExplodeInfo: every one is the client's mistake.
            ErrorCode::ExplodeIdentifierNameInvalid
            | ErrorCode::ExplodeCustomerNotFound
            | ErrorCode::ExplodeIdentifierValueInvalid
            | ErrorCode::ExplodeSourceInvalid
            | ErrorCode::ExplodeIdentifiersEmpty
            | ErrorCode::ExplodeEventSelectorMissing
            | ErrorCode::ExplodeEventIdsInvalid
            | ErrorCode::ExplodeEventReferenceIdsInvalid
            | ErrorCode::ExplodeUserIdInvalid
            | ErrorCode::ExplodeEventNameNotFound
            | ErrorCode::ExplodeTooManyEvents
            | ErrorCode::ExplodeEventIdFormat
            | ErrorCode::ExplodeEventIdsAndReferences
            | ErrorCode::ExplodeEventDetailNotFound
            | ErrorCode::ExplodeLimitTooLarge
            | ErrorCode::ExplodeAlternateCurrencyNamesInvalid
            | ErrorCode::ExplodeAlternateCurrencyNotFound
            | ErrorCode::ExplodeUserGroupInvalid
            | ErrorCode::ExplodeLedgerFetchFailed
            | ErrorCode::ExplodeConnectedOrgsNotSet => StatusCode::BAD_REQUEST,
        }
    }

    /// The number in the `code` field of v2 and v3 envelopes.
    pub fn number(self) -> i64 {
        match self {
            ErrorCode::TokenExpired => 498,
            ErrorCode::InvalidClientCredentials => 320001,

            // GET /v3/users/{userId}/targetGroups
            ErrorCode::TargetGroupsCustomerNotFound => 8015,
            ErrorCode::TargetGroupsInvalidUserId => 11012,
            ErrorCode::TargetGroupsInvalidParameter => 11030,
            // getLedgerExplodeInfo
            ErrorCode::ExplodeIdentifierNameInvalid | ErrorCode::ExplodeCustomerNotFound => 8013,
            ErrorCode::ExplodeIdentifierValueInvalid => 8015,
            ErrorCode::ExplodeSourceInvalid => 8003,
            ErrorCode::ExplodeIdentifiersEmpty => 11013,
            ErrorCode::ExplodeEventSelectorMissing => 11023,
            ErrorCode::ExplodeEventIdsInvalid => 9021,
            ErrorCode::ExplodeEventReferenceIdsInvalid => 9022,
            ErrorCode::ExplodeUserIdInvalid => 11012,
            ErrorCode::ExplodeEventNameNotFound | ErrorCode::ExplodeTooManyEvents => 11014,
            ErrorCode::ExplodeEventIdFormat => 11017,
            ErrorCode::ExplodeEventIdsAndReferences => 11021,
            ErrorCode::ExplodeEventDetailNotFound => 11024,
            ErrorCode::ExplodeLimitTooLarge => 11006,
            ErrorCode::ExplodeAlternateCurrencyNamesInvalid => 9005,
            ErrorCode::ExplodeAlternateCurrencyNotFound => 9018,
            ErrorCode::ExplodeUserGroupInvalid => 1632,
            ErrorCode::ExplodeLedgerFetchFailed => 9003,
            ErrorCode::ExplodeConnectedOrgsNotSet => 310144,

            other => i64::from(other.status().as_u16()),
        }
    }

    pub fn default_message(self) -> &'static str {
        match self {
            ErrorCode::BadParameter => "Bad request",
            ErrorCode::Unauthorized => "Unauthorized",
            ErrorCode::TokenExpired => "Token expired",
            ErrorCode::InvalidClientCredentials => "Invalid client key and secret",
            ErrorCode::NotFound => "Not found",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::RequestTimeout => "The request took too long and was cancelled",
            ErrorCode::PayloadTooLarge => "The request body is too large",
            ErrorCode::UnsupportedMediaType => "The request body must be application/json",
            ErrorCode::Internal => "Internal server error",
            ErrorCode::Unavailable => "The database is unavailable; try again",

            // GET /v3/users/{userId}/targetGroups
            ErrorCode::TargetGroupsCustomerNotFound => "Customer not found",
            ErrorCode::TargetGroupsInvalidUserId => "Invalid userId passed in request",
            ErrorCode::TargetGroupsInvalidParameter => "Invalid query parameter",
            // getLedgerExplodeInfo
            ErrorCode::ExplodeIdentifierNameInvalid => "Identifier name missing or incorrect",
            ErrorCode::ExplodeCustomerNotFound => "Lookup,Invalid identifier passed",
            ErrorCode::ExplodeIdentifierValueInvalid => "Identifier value missing or incorrect",
            ErrorCode::ExplodeSourceInvalid => "Invalid source",
            ErrorCode::ExplodeIdentifiersEmpty => "IdentifierName, identifierValue, source can not be empty",
            ErrorCode::ExplodeEventSelectorMissing => "Valid identifiers not found : required either EventLogId or (EventName and BillId)",
            ErrorCode::ExplodeEventIdsInvalid => "Invalid identifiers found",
            ErrorCode::ExplodeEventReferenceIdsInvalid => "Event reference IDs are invalid",
            ErrorCode::ExplodeUserIdInvalid => "Invalid userId passed in request",
            ErrorCode::ExplodeEventNameNotFound => "Event name not found :",
            ErrorCode::ExplodeTooManyEvents => "Requested cannot be processed. Max 10 events are allowed in params.",
            ErrorCode::ExplodeEventIdFormat => "Event id format exception:",
            ErrorCode::ExplodeEventIdsAndReferences => "EventId and Event References,both cannot be passed",
            ErrorCode::ExplodeEventDetailNotFound => "Event detail not found for event log id",
            ErrorCode::ExplodeLimitTooLarge => "Limit cannot be greater than 10",
            ErrorCode::ExplodeAlternateCurrencyNamesInvalid => "Invalid alternateCurrencyNames field value",
            ErrorCode::ExplodeAlternateCurrencyNotFound => "alternate currencies not found with provided category filters, names: ",
            ErrorCode::ExplodeUserGroupInvalid => "group id/externalId/primary userId passed is not valid",
            ErrorCode::ExplodeLedgerFetchFailed => "Error fetching points ledger data : ",
            ErrorCode::ExplodeConnectedOrgsNotSet => {
                "Connected Orgs not set properly in Headers. Check whether the target organisation is a connected organisation."
            }
        }
    }

    pub fn from_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
            s if s.is_client_error() => ErrorCode::BadParameter,
            _ => ErrorCode::Internal,
        }
    }
}

/// A failure on its way to the client.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// The request parameter at fault, where there is one.
    pub parameter: Option<String>,
    /// What went wrong inside, for the log of a 5xx; never sent to the client.
    pub cause: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), parameter: None, cause: None }
    }

    pub fn of(code: ErrorCode) -> ApiError {
        ApiError::new(code, code.default_message())
    }

    /// A bad request parameter: the message names it.
    pub fn bad_parameter(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError { parameter: Some(parameter.to_owned()), ..ApiError::new(ErrorCode::BadParameter, message) }
    }

    pub fn missing_parameter(parameter: &str) -> ApiError {
        ApiError::bad_parameter(parameter, format!("Required parameter '{parameter}' is missing"))
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Unauthorized, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError { cause: Some(cause.to_string()), ..ApiError::of(ErrorCode::Internal) }
    }

    /// The JSON body of this error in `family`'s envelope.
    pub fn envelope(&self, family: Family, path: &str) -> Value {
        match family {
            Family::V2 => json!({
                "errors": [{"status": false, "code": self.code.number(), "message": self.message}],
                "warnings": [],
            }),
            // The token endpoint's envelope has no `warnings`, in errors (320001 as the authorization
            // document prints it) as in its success body.
            Family::V3 if path == "/v3/oauth/token/generate" => json!({
                "data": null,
                "errors": [{"code": self.code.number(), "message": self.message}],
            }),
            Family::V3 => json!({
                "data": null,
                "errors": [{"code": self.code.number(), "message": self.message}],
                "warnings": null,
            }),
            Family::Plain => {
                let status = self.code.status();
                let mut body = json!({
                    "timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "status": status.as_u16(),
                    "error": status.canonical_reason().unwrap_or("Error"),
                    "code": self.code.number(),
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

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ApiError { cause: Some(error.to_string()), ..ApiError::of(ErrorCode::Unavailable) }
            }
            // Text the database cannot hold (a NUL byte) that came from the client, e.g. in a JSON body.
            sqlx::Error::Database(db) if db.code().is_some_and(|code| code == "22021" || code == "22P05") => ApiError {
                cause: Some(error.to_string()),
                ..ApiError::new(ErrorCode::BadParameter, "The request contains a character that cannot be stored (NUL)")
            },
            _ => ApiError::internal(error),
        }
    }
}

impl IntoResponse for ApiError {
    /// The error travels in the response's extensions; [`render_errors`] writes its envelope.
    fn into_response(self) -> Response {
        let mut response = self.code.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware: renders every error response in the envelope of the request's family.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match response.extensions().get::<ApiError>() {
        Some(error) => error.clone(),
        None if is_json(&response) => return response,
        None => framework_error(response).await,
    };
    if error.code.status().is_server_error() {
        tracing::error!(code = ?error.code, cause = error.cause.as_deref().unwrap_or(&error.message), "request failed");
    }
    let family = Family::of_path(&path);
    let mut rendered = (error.code.status(), axum::Json(error.envelope(family, &path))).into_response();
    if error.code == ErrorCode::Unauthorized && family == Family::Plain {
        rendered.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"capillary\""));
    }
    rendered
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
    let code = ErrorCode::from_status(response.status());
    let text = to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    if text.is_empty() { ApiError::of(code) } else { ApiError::new(code, text) }
}

/// What a panicking handler answers with (see `CatchPanicLayer` in `lib.rs`).
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}
