//! The emulator's clock: real time, or a frozen instant from configuration (`EMULATOR_CLOCK`), from
//! an org (`orgs.clock`) or from the loaded fixture bundle. Every "now" in the service reads it.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::model::Org;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Set by configuration; wins over the bundle's instant.
    configured: Option<DateTime<Utc>>,
    /// Set by the loaded bundle's `settings.clock`.
    bundle: Arc<RwLock<Option<DateTime<Utc>>>>,
}

impl Clock {
    pub fn new(configured: Option<DateTime<Utc>>) -> Clock {
        Clock { configured, bundle: Arc::default() }
    }

    /// "Now" where no org is involved; requests acting for an org use [`Clock::now_for`].
    pub fn now(&self) -> DateTime<Utc> {
        self.configured.or_else(|| *self.bundle.read().unwrap_or_else(|poisoned| poisoned.into_inner())).unwrap_or_else(Utc::now)
    }

    /// "Now" for a request acting for `org`. An org may stand at its own instant (`orgs.clock`),
    /// so that a bundle can hold data taken at different moments, each true from a plain request;
    /// configuration still freezes every org at once. Precedence: configured, the org's, the
    /// bundle's, real time.
    pub fn now_for(&self, org: &Org) -> DateTime<Utc> {
        self.configured.or(org.clock).unwrap_or_else(|| self.now())
    }

    pub fn set_bundle_instant(&self, instant: Option<DateTime<Utc>>) {
        *self.bundle.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = instant;
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Tz;

    use super::*;

    fn at(instant: &str) -> DateTime<Utc> {
        instant.parse().unwrap()
    }

    fn org(clock: Option<DateTime<Utc>>) -> Org {
        Org { org_id: 1, name: "Org".to_owned(), time_zone: Tz::UTC, clock }
    }

    #[test]
    fn now_for_an_org_is_configured_else_the_orgs_else_the_bundles() {
        let (configured, own, bundle) = (at("2024-01-01T00:00:00Z"), at("2024-02-01T00:00:00Z"), at("2024-03-01T00:00:00Z"));
        let clock = Clock::new(None);
        clock.set_bundle_instant(Some(bundle));
        assert_eq!(clock.now_for(&org(Some(own))), own);
        assert_eq!(clock.now_for(&org(None)), bundle);
        let clock = Clock::new(Some(configured));
        clock.set_bundle_instant(Some(bundle));
        assert_eq!(clock.now_for(&org(Some(own))), configured);
    }
}
