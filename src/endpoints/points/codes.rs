//! v1.1 points codes (`api-docs/write/post-v1.1-points-redeem.md`, "Points status codes"). A
//! redemption's outcome is an item status inside a v1.1 answer, not an error envelope: these are
//! item codes. Request-level failures (credentials, a malformed body) use the v1.1 envelope.

use crate::http::{
    auth,
    error::{ErrorCode, codes},
};

/// An item's outcome: its code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCode(pub i64, pub &'static str);

pub const REDEEMABLE: ItemCode = ItemCode(800, "Points can be redeemed");
pub const REDEEMED: ItemCode = ItemCode(800, "Points Redeemed");
pub const INVALID_POINTS: ItemCode = ItemCode(801, "Trying to redeem invalid points");
pub const INVALID_IDENTIFIER: ItemCode = ItemCode(802, "Invalid mobile/email/external id");
pub const NOT_A_MULTIPLE: ItemCode = ItemCode(807, "Points not divisible");
pub const INVALID_VALIDATION_CODE: ItemCode = ItemCode(808, "Validation code invalid");
pub const CUSTOMER_NOT_FOUND: ItemCode = ItemCode(816, "Customer not found for organization");
pub const REDEMPTION_FAILED: ItemCode = ItemCode(817, "Redemption failed");
pub const NOT_ENOUGH_POINTS: ItemCode = ItemCode(818, "Current points are less than points requested for redemption");
pub const ABOVE_MAXIMUM: ItemCode = ItemCode(819, "Points exceed the maximum allowed per transaction");
pub const BELOW_MINIMUM: ItemCode = ItemCode(821, "Points are below the minimum allowed for redemption");
pub const MISSED_CALL_DISABLED: ItemCode = ItemCode(823, "Missed call redemption is disabled");
pub const TOO_MANY_DECIMALS: ItemCode = ItemCode(878, "Points can have at most 3 decimal places");
/// Goodwill requests: filed (the sample's code), and the emulator's choices where the pages give
/// none: 9006 / 9008 as `POST /v2/requests` words them, 9011 and 9012 for approvals.
pub const GOODWILL_ADDED: ItemCode = ItemCode(9100, "Goodwill request added successfully");
pub const INVALID_REQUEST_TYPE: ItemCode = ItemCode(9006, "Request type invalid");
pub const INVALID_BASE_TYPE: ItemCode = ItemCode(9008, "Request base type invalid");
pub const REQUEST_NOT_FOUND: ItemCode = ItemCode(9011, "Request not found");
pub const REQUEST_NOT_PENDING: ItemCode = ItemCode(9012, "Request is not pending");
pub const INVALID_PROGRAM: ItemCode = ItemCode(1101, "invalid programId passed");

/// Request-level: a body or parameter the endpoint cannot read (the message names it).
pub const BAD_REQUEST: ErrorCode = codes::BAD_PARAMETER;

/// `POST /v2/points/reverse` answers in the v2 envelope. The page lists 804, 817, 818, 827, 878,
/// 885–888, 896, 898, 899, 901–904 without texts; the texts are the v1.1 index page's where it
/// has one (901, 904, 878), else the emulator's (902: the page's "duplicate reversal", 903). The
/// others are Capillary's configuration and temporary failures, which the emulator does not have.
pub const REVERSE_INVALID_POINTS_OR_ID: ErrorCode = reverse_code(901, "Invalid points or redemption id");
pub const REVERSE_DUPLICATE: ErrorCode = reverse_code(902, "Duplicate reversal, the redemption is already reversed");
pub const REVERSE_TOO_MANY_POINTS: ErrorCode = reverse_code(903, "Unable to reverse points");
pub const REVERSE_INVALID_CUSTOMER: ErrorCode = reverse_code(904, "Invalid customer details");
pub const REVERSE_TOO_MANY_DECIMALS: ErrorCode = reverse_code(878, "Points can have at most 3 decimal places");

const fn reverse_code(number: i64, message: &'static str) -> ErrorCode {
    ErrorCode::new(number, axum::http::StatusCode::BAD_REQUEST, message)
}

pub const REVERSE_CODES: &[ErrorCode] = &[
    REVERSE_INVALID_POINTS_OR_ID,
    REVERSE_DUPLICATE,
    REVERSE_TOO_MANY_POINTS,
    REVERSE_INVALID_CUSTOMER,
    REVERSE_TOO_MANY_DECIMALS,
    crate::endpoints::write::codes::INVALID_INPUT,
    codes::UNAUTHORIZED,
    auth::TOKEN_EXPIRED,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];

pub const CODES: &[ErrorCode] =
    &[BAD_REQUEST, codes::UNAUTHORIZED, auth::TOKEN_EXPIRED, codes::UNSUPPORTED_MEDIA_TYPE, codes::INTERNAL, codes::UNAVAILABLE];
