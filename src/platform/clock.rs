//! The emulator's clock, per tenant. "Now" for a request is, in order of precedence:
//!
//! 1. the tenant's clock as the control plane set it (`PUT /__admin/clock`: frozen at an instant,
//!    or real time);
//! 2. else `EMULATOR_CLOCK`;
//! 3. else the clock of the org the request acts for (`orgs.clock`), so that one bundle can hold
//!    data taken at different moments, each true from a plain request;
//! 4. else the loaded bundle's `settings.clock`;
//! 5. else real time;
//!
//! plus however far the control plane advanced it (`POST /__admin/clock/advance`).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::model::{Org, text_enum};

text_enum! {
    /// How the control plane set a tenant's clock.
    pub enum ClockMode { Bundle => "bundle", Frozen => "frozen", Real => "real" }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantClock {
    /// `EMULATOR_CLOCK`.
    pub configured: Option<DateTime<Utc>>,
    /// The loaded bundle's `settings.clock`.
    pub bundle: Option<DateTime<Utc>>,
    pub mode: ClockMode,
    /// Set with [`ClockMode::Frozen`].
    pub frozen_at: Option<DateTime<Utc>>,
    pub advanced_by: TimeDelta,
}

impl TenantClock {
    /// "Now" for a request acting for `org` (or for no org).
    pub fn now_for(&self, org: Option<&Org>) -> DateTime<Utc> {
        let base = match (self.mode, self.frozen_at) {
            (ClockMode::Frozen, Some(frozen_at)) => frozen_at,
            (ClockMode::Real, _) => Utc::now(),
            _ => self.configured.or(org.and_then(|org| org.clock)).or(self.bundle).unwrap_or_else(Utc::now),
        };
        base.checked_add_signed(self.advanced_by).unwrap_or(base)
    }

    /// Whether "now" stands still for requests acting for `org`: a frozen instant decides it (the
    /// control plane's, the configured one, the org's or the bundle's), not real time.
    pub fn is_frozen_for(&self, org: &Org) -> bool {
        match (self.mode, self.frozen_at) {
            (ClockMode::Frozen, Some(_)) => true,
            (ClockMode::Real, _) => false,
            _ => self.configured.or(org.clock).or(self.bundle).is_some(),
        }
    }

    /// What `GET /__admin/clock` shows.
    pub fn view(&self) -> ClockView {
        ClockView {
            mode: self.mode,
            frozen_at: self.frozen_at.map(|at| at.to_rfc3339()),
            advanced_by_seconds: self.advanced_by.num_milliseconds() as f64 / 1000.0,
            configured: self.configured.map(|at| at.to_rfc3339()),
            bundle: self.bundle.map(|at| at.to_rfc3339()),
            now: self.now_for(None).to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ClockView {
    pub mode: ClockMode,
    pub frozen_at: Option<String>,
    pub advanced_by_seconds: f64,
    /// `EMULATOR_CLOCK`, if set.
    pub configured: Option<String>,
    /// The loaded bundle's `settings.clock`, if any.
    pub bundle: Option<String>,
    /// Now for a request of an org without a clock of its own.
    pub now: String,
}

#[cfg(test)]
mod tests {
    use chrono_tz::Tz;

    use crate::model::Release;

    use super::*;

    fn at(instant: &str) -> DateTime<Utc> {
        instant.parse().unwrap()
    }

    fn org(clock: Option<DateTime<Utc>>) -> Org {
        Org { org_id: 1, name: "Org".to_owned(), time_zone: Tz::UTC, clock, release: Release::CURRENT }
    }

    fn clock(configured: Option<DateTime<Utc>>, bundle: Option<DateTime<Utc>>) -> TenantClock {
        TenantClock { configured, bundle, mode: ClockMode::Bundle, frozen_at: None, advanced_by: TimeDelta::zero() }
    }

    #[test]
    fn now_for_an_org_is_the_control_planes_else_configured_else_the_orgs_else_the_bundles() {
        let (configured, own, bundle, frozen) =
            (at("2024-01-01T00:00:00Z"), at("2024-02-01T00:00:00Z"), at("2024-03-01T00:00:00Z"), at("2024-04-01T00:00:00Z"));
        assert_eq!(clock(None, Some(bundle)).now_for(Some(&org(Some(own)))), own);
        assert_eq!(clock(None, Some(bundle)).now_for(Some(&org(None))), bundle);
        assert_eq!(clock(Some(configured), Some(bundle)).now_for(Some(&org(Some(own)))), configured);
        let set = TenantClock { mode: ClockMode::Frozen, frozen_at: Some(frozen), ..clock(Some(configured), Some(bundle)) };
        assert_eq!(set.now_for(Some(&org(Some(own)))), frozen);
        let advanced = TenantClock { advanced_by: TimeDelta::days(1), ..clock(None, Some(bundle)) };
        assert_eq!(advanced.now_for(Some(&org(Some(own)))), at("2024-02-02T00:00:00Z"));
    }
}

/// A length of time as ISO 8601 writes it (`P1D`, `PT36H`, `P1DT12H30M`, `P2W`) or as a short form
/// (`36h`, `1d12h`, `90m`, `30s`, `500ms`). Days are 24 hours.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let invalid = || format!("'{text}' is not a duration such as P1D, PT36H, 36h, 90m or 30s");
    let trimmed = text.trim();
    let (iso, rest) = match trimmed.strip_prefix(['P', 'p']) {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut total = TimeDelta::zero();
    let mut in_time = !iso;
    let mut number = String::new();
    let mut units = 0;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'T' | 't' if iso && number.is_empty() && !in_time => in_time = true,
            _ => {
                let unit = if c.is_ascii_alphabetic() && !iso && (c == 'm' || c == 'M') && chars.peek().is_some_and(|next| *next == 's') {
                    chars.next();
                    "ms"
                } else {
                    match (c.to_ascii_uppercase(), in_time) {
                        ('W', false) => "w",
                        ('D', _) if !iso || !in_time => "d",
                        ('H', true) => "h",
                        ('M', true) => "m",
                        ('S', true) => "s",
                        _ => return Err(invalid()),
                    }
                };
                let value: f64 = number.parse().map_err(|_| invalid())?;
                let millis = value
                    * match unit {
                        "w" => 7.0 * 86_400_000.0,
                        "d" => 86_400_000.0,
                        "h" => 3_600_000.0,
                        "m" => 60_000.0,
                        "s" => 1_000.0,
                        _ => 1.0,
                    };
                if !millis.is_finite() || millis.abs() > 1e15 {
                    return Err(invalid());
                }
                total += TimeDelta::milliseconds(millis.round() as i64);
                number.clear();
                units += 1;
            }
        }
    }
    if !number.is_empty() || units == 0 || (iso && rest.ends_with(['T', 't'])) {
        return Err(invalid());
    }
    Ok(total)
}

#[cfg(test)]
mod duration_tests {
    use super::*;

    #[test]
    fn iso_and_short_forms() {
        assert_eq!(parse_duration("P1D"), Ok(TimeDelta::days(1)));
        assert_eq!(parse_duration("PT36H"), Ok(TimeDelta::hours(36)));
        assert_eq!(parse_duration("P1DT12H30M"), Ok(TimeDelta::minutes(36 * 60 + 30)));
        assert_eq!(parse_duration("P2W"), Ok(TimeDelta::days(14)));
        assert_eq!(parse_duration("36h"), Ok(TimeDelta::hours(36)));
        assert_eq!(parse_duration("1d12h"), Ok(TimeDelta::hours(36)));
        assert_eq!(parse_duration("90m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("500ms"), Ok(TimeDelta::milliseconds(500)));
        assert_eq!(parse_duration("1.5h"), Ok(TimeDelta::minutes(90)));
        for bad in ["", "P", "PT", "36", "1x", "PT1D", "P1H", "h", "P1DT"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
