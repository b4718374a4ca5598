//! The codes of `POST /v3/targetGroups/{tg}/targets/{t}/enroll` and `/unEnroll`, as Capillary's
//! target-loyalty pages give them (`api-docs/write/post-v3-targetGroups-enroll.md`). The pages
//! give no HTTP status but for 310126 (500, as v3.json prints it); the rest are the client's
//! mistakes, so 400.

use axum::http::StatusCode;

use crate::http::{
    auth,
    error::{ErrorCode, codes},
};

/// A malformed path or body (the message names the field): Capillary's v3 "invalid input".
pub const INVALID_INPUT: ErrorCode = ErrorCode::new(300004, StatusCode::BAD_REQUEST, "Invalid input");
/// `customerId` is not a customer of the caller's org.
pub const INVALID_USER_ID: ErrorCode = ErrorCode::new(310011, StatusCode::BAD_REQUEST, "Invalid userId");
/// No group with that id in the org, or it is switched off.
pub const TARGET_GROUP_NOT_FOUND: ErrorCode = ErrorCode::new(310017, StatusCode::BAD_REQUEST, "Target group not found or deactivated");
/// No rule with that id in the group, or it is switched off.
pub const TARGET_RULE_NOT_FOUND: ErrorCode = ErrorCode::new(310018, StatusCode::BAD_REQUEST, "Target rule not found");
/// `periodName` names no period of the group.
pub const PERIOD_NOT_FOUND: ErrorCode = ErrorCode::new(310019, StatusCode::BAD_REQUEST, "Target period not found");
/// The customer is enrolled in the named period already.
pub const ALREADY_ENROLLED: ErrorCode = ErrorCode::new(310119, StatusCode::BAD_REQUEST, "User already enrolled for the target.");
/// Un-enrolment of a customer enrolled in none of the rule's current or later periods.
pub const NOT_ENROLLED: ErrorCode = ErrorCode::new(310126, StatusCode::INTERNAL_SERVER_ERROR, "User is not enrolled to this target");

/// Every code the two endpoints answer with.
pub const CODES: &[ErrorCode] = &[
    INVALID_INPUT,
    INVALID_USER_ID,
    TARGET_GROUP_NOT_FOUND,
    TARGET_RULE_NOT_FOUND,
    PERIOD_NOT_FOUND,
    ALREADY_ENROLLED,
    NOT_ENROLLED,
    codes::UNAUTHORIZED,
    auth::TOKEN_EXPIRED,
    codes::UNSUPPORTED_MEDIA_TYPE,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];
