//! What every handler shares.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    platform::{
        config::RuntimeConfig,
        db::{self, health::DatabaseHealth, reuse::RequestConnections},
        journal::Journal,
        tenants::{self, Tenants},
        tokens::TokenKeys,
    },
    store,
};

/// A handle every middleware and handler clones per request: one reference count, not one per
/// part.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

pub struct SharedState {
    /// The default tenant's universe (`public`) and the emulator's own tables.
    pub db: PgPool,
    /// Connections for the other tenants' requests (`db::tenant_pool`).
    pub tenant_db: PgPool,
    /// The requests' connections of `db` and of `tenant_db`, reused without sqlx's round trip.
    pub requests: Arc<RequestConnections>,
    pub tenant_requests: Arc<RequestConnections>,
    pub config: Arc<RuntimeConfig>,
    pub tenants: Arc<Tenants>,
    pub tokens: Arc<TokenKeys>,
    pub journal: Journal,
    pub db_health: Arc<DatabaseHealth>,
}

impl AppState {
    /// State over a migrated database: tenants made before the newest migration are rebuilt in
    /// its shape, and the journal's writer starts.
    pub async fn new(db: PgPool, config: RuntimeConfig) -> anyhow::Result<AppState> {
        let tokens = TokenKeys::new(&store::meta::token_signing_key(&db).await?)?;
        tenants::upgrade_stale(&db).await?;
        let tenants = Tenants::load(&db, config.clock).await?;
        let journal = Journal::start(db.clone(), config.journal_size);
        let tenant_db = db::tenant_pool(&db);
        Ok(AppState(Arc::new(SharedState {
            requests: RequestConnections::new(db.clone()),
            tenant_requests: RequestConnections::new(tenant_db.clone()),
            tenant_db,
            db,
            config: Arc::new(config),
            tenants: Arc::new(tenants),
            tokens: Arc::new(tokens),
            journal,
            db_health: Arc::default(),
        })))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}
