//! Codes of the behavioural-event endpoints, as `api-docs/write/post-v2-events-create-event-definition.md`
//! and `post-webhook-behavioral-event.md` give them. The pages give no HTTP statuses; a refused
//! request is the client's mistake, so 400.

use axum::http::StatusCode;

use crate::http::{
    auth,
    error::{ErrorCode, codes},
};

/// `POST /v2/events`: an event of that name exists.
pub const EVENT_EXISTS: ErrorCode = ErrorCode::new(1806, StatusCode::BAD_REQUEST, "event already exists");
/// `actions` missing or not EMFConsumer / EIConsumer.
pub const INVALID_ACTIONS: ErrorCode = ErrorCode::new(1810, StatusCode::BAD_REQUEST, "event actions invalid");
/// `eventName` missing or not letters, digits and `_`.
pub const INVALID_EVENT_NAME: ErrorCode = ErrorCode::new(1811, StatusCode::BAD_REQUEST, "event name invalid");
/// A field's `type` is not one Capillary knows.
pub const INVALID_FIELD_TYPE: ErrorCode = ErrorCode::new(1823, StatusCode::BAD_REQUEST, "invalid event field type");
/// A field attribute's value fails its validation type (a Boolean that is not true/false).
pub const INVALID_FIELD_ATTRIBUTE: ErrorCode =
    ErrorCode::new(1802, StatusCode::BAD_REQUEST, "field attribute value fails for validation type");
/// `POST /v2/events/webhook`: `authEnabled` without `authMechanism`.
pub const AUTH_MECHANISM_MISSING: ErrorCode = ErrorCode::new(1839, StatusCode::BAD_REQUEST, "auth mechanism not present");
/// `transformerType` missing or unknown.
pub const INVALID_TRANSFORMER: ErrorCode = ErrorCode::new(1808, StatusCode::BAD_REQUEST, "customer event transformer not present");

/// Webhook ingestion: the event could not be taken (the message says why).
pub const FEED_NOT_ADDED: ErrorCode = ErrorCode::new(7301, StatusCode::BAD_REQUEST, "Unable to add feed");
pub const EVENT_NOT_PASSED: ErrorCode = ErrorCode::new(7304, StatusCode::BAD_REQUEST, "Event is not passed");
pub const INVALID_EVENT: ErrorCode = ErrorCode::new(7305, StatusCode::BAD_REQUEST, "Invalid event passed");
pub const CUSTOMER_NOT_PASSED: ErrorCode = ErrorCode::new(7307, StatusCode::BAD_REQUEST, "Customer ID is not passed");
pub const INVALID_CUSTOMER: ErrorCode = ErrorCode::new(7308, StatusCode::BAD_REQUEST, "Invalid customer ID passed");
pub const INVALID_STORE: ErrorCode = ErrorCode::new(7310, StatusCode::BAD_REQUEST, "Invalid store code passed");

/// `POST /v2/events`.
pub const DEFINITION_CODES: &[ErrorCode] = &[
    EVENT_EXISTS,
    INVALID_ACTIONS,
    INVALID_EVENT_NAME,
    INVALID_FIELD_TYPE,
    INVALID_FIELD_ATTRIBUTE,
    codes::BAD_PARAMETER,
    codes::UNAUTHORIZED,
    auth::TOKEN_EXPIRED,
    codes::UNSUPPORTED_MEDIA_TYPE,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];

/// `POST /v2/events/webhook`.
pub const WEBHOOK_CODES: &[ErrorCode] = &[
    AUTH_MECHANISM_MISSING,
    INVALID_TRANSFORMER,
    codes::BAD_PARAMETER,
    codes::UNAUTHORIZED,
    auth::TOKEN_EXPIRED,
    codes::UNSUPPORTED_MEDIA_TYPE,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];

/// `POST /webhooks/{webhookId}`.
pub const INGESTION_CODES: &[ErrorCode] = &[
    FEED_NOT_ADDED,
    EVENT_NOT_PASSED,
    INVALID_EVENT,
    CUSTOMER_NOT_PASSED,
    INVALID_CUSTOMER,
    INVALID_STORE,
    codes::NOT_FOUND,
    codes::UNAUTHORIZED,
    codes::UNSUPPORTED_MEDIA_TYPE,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];
