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

pub const CODES: &[ErrorCode] =
    &[BAD_REQUEST, codes::UNAUTHORIZED, auth::TOKEN_EXPIRED, codes::UNSUPPORTED_MEDIA_TYPE, codes::INTERNAL, codes::UNAVAILABLE];
