//! Tenants: isolated universes, one PostgreSQL schema each (`default` is `public`). Every process
//! keeps the tenants in memory and reloads them when any process changes one (NOTIFY on
//! `emulator_changes`, see [`listen_for_changes`]).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{PgPool, postgres::PgListener};

use crate::{
    model::TextEnum,
    platform::{
        cache::Caches,
        clock::{ClockMode, TenantClock},
    },
    store::{self, faults::FaultRow, tenants::TenantRow},
};

pub const DEFAULT_TENANT: &str = "default";

/// A tenant id as clients write it: letters, digits, `-` and `_`, at most 48, starting with a
/// letter or digit.
pub fn check_id(id: &str) -> Result<(), String> {
    let valid = !id.is_empty()
        && id.len() <= 48
        && id.bytes().next().is_some_and(|byte| byte.is_ascii_alphanumeric())
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if valid {
        Ok(())
    } else {
        Err(format!("a tenant id is 1 to 48 letters, digits, '-' or '_', starting with a letter or digit, got '{id}'"))
    }
}

/// The schema a tenant's universe lives in. Ids that differ only in case or in `-` against `_`
/// name the same schema, so they are the same tenant (a second one is refused as taken).
pub fn schema_for(id: &str) -> String {
    if id == DEFAULT_TENANT { "public".to_owned() } else { format!("tenant_{}", id.to_ascii_lowercase().replace('-', "_")) }
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub schema: String,
    pub created_at: DateTime<Utc>,
    pub clock: TenantClock,
    /// The tenant's live fault rules, oldest first.
    pub faults: Vec<FaultRow>,
}

impl Tenant {
    fn from_row(row: TenantRow, configured: Option<DateTime<Utc>>, faults: Vec<FaultRow>) -> Tenant {
        Tenant {
            faults,
            clock: TenantClock {
                configured,
                bundle: row.bundle_clock,
                mode: ClockMode::parse(&row.clock_mode).unwrap_or(ClockMode::Bundle),
                frozen_at: row.clock_frozen_at,
                advanced_by: TimeDelta::milliseconds(row.clock_advanced_ms),
            },
            id: row.id,
            schema: row.schema_name,
            created_at: row.created_at,
        }
    }
}

/// The tenants as this process knows them, and what it caches of their universes.
pub struct Tenants {
    pub caches: Caches,
    configured_clock: Option<DateTime<Utc>>,
    by_id: RwLock<HashMap<String, Arc<Tenant>>>,
    /// Tenants that served a request since their `last_used_at` was last written.
    used: Mutex<HashSet<String>>,
}

impl Tenants {
    pub async fn load(db: &PgPool, configured_clock: Option<DateTime<Utc>>) -> sqlx::Result<Tenants> {
        let tenants = Tenants { caches: Caches::default(), configured_clock, by_id: RwLock::default(), used: Mutex::default() };
        tenants.reload(db).await?;
        Ok(tenants)
    }

    /// After a change: reads every tenant and fault rule again, and drops what was cached.
    pub async fn refresh(&self, db: &PgPool) -> sqlx::Result<()> {
        self.reload(db).await?;
        self.caches.drop_all();
        Ok(())
    }

    /// Reads every tenant and fault rule again.
    async fn reload(&self, db: &PgPool) -> sqlx::Result<()> {
        let rows = store::tenants::all(db).await?;
        let mut faults: HashMap<String, Vec<FaultRow>> = HashMap::new();
        for rule in store::faults::all(db).await? {
            faults.entry(rule.tenant.clone()).or_default().push(rule);
        }
        let by_id = rows
            .into_iter()
            .map(|row| {
                let rules = faults.remove(&row.id).unwrap_or_default();
                (row.id.clone(), Arc::new(Tenant::from_row(row, self.configured_clock, rules)))
            })
            .collect();
        *self.by_id.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = by_id;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<Arc<Tenant>> {
        self.by_id.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(id).cloned()
    }

    pub fn mark_used(&self, id: &str) {
        let mut used = self.used.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !used.contains(id) {
            used.insert(id.to_owned());
        }
    }

    /// Writes `last_used_at` of the tenants used since the last call.
    pub async fn flush_used(&self, db: &PgPool) -> sqlx::Result<()> {
        let ids: Vec<String> =
            std::mem::take(&mut *self.used.lock().unwrap_or_else(|poisoned| poisoned.into_inner())).into_iter().collect();
        if !ids.is_empty() {
            store::tenants::touch(db, &ids, Utc::now()).await?;
        }
        Ok(())
    }
}

/// Keeps `tenants` current: reloads them on every change any process announces, and every
/// `resync` in case a notification was missed while the listening connection was down; writes
/// when tenants were last used on the way.
pub async fn listen_for_changes(db: PgPool, tenants: Arc<Tenants>, resync: Duration) {
    loop {
        let followed = follow_changes(&db, &tenants, resync).await;
        // Changes made from now on may go unheard: nothing is served from memory until the
        // listener is back.
        tenants.caches.set_following(false);
        if let Err(error) = followed {
            tracing::warn!(%error, "control-plane change listener stopped; retrying");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn follow_changes(db: &PgPool, tenants: &Tenants, resync: Duration) -> sqlx::Result<()> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(store::tenants::CHANGES_CHANNEL).await?;
    // Changes made while no listener ran.
    tenants.reload(db).await?;
    tenants.caches.set_following(true);
    loop {
        let heard = match tokio::time::timeout(resync, listener.recv()).await {
            Ok(notification) => {
                notification?;
                true
            }
            Err(_) => false,
        };
        tenants.flush_used(db).await?;
        if heard {
            tenants.refresh(db).await?;
        } else {
            tenants.reload(db).await?;
        }
    }
}

/// Removes tenants nobody has used for `ttl`, every so often.
pub async fn remove_idle(db: PgPool, tenants: Arc<Tenants>, ttl: Duration) {
    let every = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        tokio::time::sleep(every).await;
        let swept = async {
            tenants.flush_used(&db).await?;
            let before = Utc::now() - TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX);
            for id in store::tenants::idle_since(&db, before).await? {
                remove(&db, &id).await?;
                tracing::info!(tenant = %id, "removed an idle tenant");
            }
            tenants.refresh(&db).await
        };
        if let Err(error) = swept.await {
            tracing::warn!(%error, "could not remove idle tenants");
        }
    }
}

/// Removes a tenant and everything in it; `false` when there is no such tenant.
pub async fn remove(db: &PgPool, id: &str) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let Some(row) = store::tenants::find(&mut *tx, id).await? else { return Ok(false) };
    store::tenants::delete(&mut *tx, id).await?;
    store::journal::clear(&mut *tx, id).await?;
    store::tenants::drop_schema(&mut tx, &row.schema_name).await?;
    store::tenants::notify_change(&mut *tx, "tenants").await?;
    tx.commit().await?;
    Ok(true)
}

/// Rebuilds the schema of every tenant made before the newest migration, so that it has the
/// shape the code reads: its data (exported from the old shape) is loaded into a new copy of the
/// universe's tables, and the bundle it resets to is kept. A tenant whose data no longer fits is
/// left as it was, and said so in the log.
pub async fn upgrade_stale(db: &PgPool) -> sqlx::Result<()> {
    let latest = crate::platform::db::latest_migration();
    for row in store::tenants::all(db).await? {
        if row.id == DEFAULT_TENANT || row.shape_version >= latest {
            continue;
        }
        match rebuild(db, &row, latest).await {
            Ok(()) => tracing::info!(tenant = %row.id, "rebuilt the tenant's schema in the newest shape"),
            Err(error) => tracing::warn!(tenant = %row.id, %error, "could not rebuild the tenant's schema; it keeps its old shape"),
        }
    }
    Ok(())
}

async fn rebuild(db: &PgPool, row: &TenantRow, latest: i64) -> Result<(), crate::platform::fixtures::FixtureError> {
    use crate::platform::fixtures;
    let data = fixtures::export(db, &row.schema_name).await?;
    let mut tx = db.begin().await?;
    store::tenants::use_schema_in_transaction(&mut *tx, &row.schema_name).await?;
    let reset_to = store::meta::loaded_bundle(&mut *tx).await?;
    store::tenants::drop_schema(&mut tx, &row.schema_name).await?;
    store::tenants::create_schema(&mut tx, &row.schema_name).await?;
    let source = reset_to.as_ref().map_or("rebuilt", |(source, _)| source.as_str()).to_owned();
    fixtures::load_in(&mut tx, &row.schema_name, &data, &source).await?;
    if let Some((source, bundle)) = &reset_to {
        store::meta::store_loaded_bundle(&mut tx, source, bundle).await?;
    }
    store::tenants::set_shape_version(&mut *tx, &row.id, latest).await?;
    store::tenants::notify_change(&mut *tx, "tenants").await?;
    tx.commit().await?;
    store::meta::analyze(db, &row.schema_name).await?;
    Ok(())
}
