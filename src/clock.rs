//! The emulator's clock: real time, or a frozen instant from configuration (`EMULATOR_CLOCK`) or
//! from the loaded fixture bundle. Every "now" in the service reads it.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

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

    pub fn now(&self) -> DateTime<Utc> {
        self.configured
            .or_else(|| *self.bundle.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
            .unwrap_or_else(Utc::now)
    }

    pub fn set_bundle_instant(&self, instant: Option<DateTime<Utc>>) {
        *self.bundle.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = instant;
    }

    /// Whether `now` is frozen, and where.
    pub fn frozen_at(&self) -> Option<DateTime<Utc>> {
        self.configured.or_else(|| *self.bundle.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}
