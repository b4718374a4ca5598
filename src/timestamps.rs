//! How Capillary writes an instant in v3 answers and auth errors.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `2024-06-20T12:23:15.000+0530`: the instant in `zone`, milliseconds and a colon-less offset.
pub fn with_offset(instant: DateTime<Utc>, zone: Tz) -> String {
    instant.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}
