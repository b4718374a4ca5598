//! What every handler shares.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    platform::{config::RuntimeConfig, tenants::Tenants, tokens::TokenKeys},
    store,
};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<RuntimeConfig>,
    pub tenants: Arc<Tenants>,
    pub tokens: Arc<TokenKeys>,
}

impl AppState {
    /// State over a migrated database.
    pub async fn new(db: PgPool, config: RuntimeConfig) -> anyhow::Result<AppState> {
        let tokens = TokenKeys::new(&store::meta::token_signing_key(&db).await?)?;
        let tenants = Tenants::load(&db, config.clock).await?;
        Ok(AppState { db, config: Arc::new(config), tenants: Arc::new(tenants), tokens: Arc::new(tokens) })
    }
}
