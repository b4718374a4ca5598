//! v3 targetGroups' codes: Capillary's 8015 and 11012 as its v3 APIs use them, and 11030 (the
//! emulator's choice) for a malformed query parameter.

use axum::http::StatusCode;

use crate::http::{
    auth,
    error::{ErrorCode, codes},
};

/// `userId` is not a customer of the caller's org (unknown, or another org's).
pub const CUSTOMER_NOT_FOUND: ErrorCode = ErrorCode::new(8015, StatusCode::NOT_FOUND, "Customer not found");
/// `userId` is not a whole number.
pub const INVALID_USER_ID: ErrorCode = ErrorCode::new(11012, StatusCode::BAD_REQUEST, "Invalid userId passed in request");
/// A query parameter of the endpoint is malformed (the message names it).
pub const INVALID_PARAMETER: ErrorCode = ErrorCode::new(11030, StatusCode::BAD_REQUEST, "Invalid query parameter");

/// Every code the endpoint answers with.
pub const CODES: &[ErrorCode] = &[
    CUSTOMER_NOT_FOUND,
    INVALID_USER_ID,
    INVALID_PARAMETER,
    codes::UNAUTHORIZED,
    auth::TOKEN_EXPIRED,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];
