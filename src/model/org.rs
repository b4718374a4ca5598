//! An org: the tenant of Capillary's data that a credential acts for.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub org_id: i64,
    pub name: String,
    pub time_zone: Tz,
    /// The instant this org's clock is frozen at, if it has one of its own (see `Clock::now_for`).
    pub clock: Option<DateTime<Utc>>,
}
