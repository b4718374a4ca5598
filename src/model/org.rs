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
    pub release: Release,
}

/// Where the org's Capillary release changes what v3 prints; an org without an `org_releases` row
/// runs the current release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// targetAchievedDateTime and streakAchievedDateTime (a mid-2024 release).
    pub reports_achievement_times: bool,
    /// The 2026 targetGroups fields (orgId, lastUpdatedOn, targetAchievedEventLogId, unEnrolled, ...).
    pub reports_2026_target_fields: bool,
}

impl Release {
    pub const CURRENT: Release = Release { reports_achievement_times: true, reports_2026_target_fields: true };
}
