//! What every handler shares.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    platform::{
        config::RuntimeConfig,
        db::health::DatabaseHealth,
        journal::Journal,
        tenants::{self, Tenants},
        tokens::TokenKeys,
    },
    store,
};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
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
        Ok(AppState {
            db,
            config: Arc::new(config),
            tenants: Arc::new(tenants),
            tokens: Arc::new(tokens),
            journal,
            db_health: Arc::default(),
        })
    }
}
