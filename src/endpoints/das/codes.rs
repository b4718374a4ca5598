//! The DAS services answer with HTTP statuses only (the documents give no codes): 400 naming the
//! parameter, 404 for a customer outside the caller's org, 500 and 503 for their own failures.

use crate::http::{
    auth,
    error::{ErrorCode, codes},
};

/// Every code a DAS endpoint answers with.
pub const CODES: &[ErrorCode] =
    &[codes::BAD_PARAMETER, codes::UNAUTHORIZED, auth::TOKEN_EXPIRED, codes::NOT_FOUND, codes::INTERNAL, codes::UNAVAILABLE];
