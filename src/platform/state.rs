//! What every handler shares.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    platform::{clock::Clock, config::RuntimeConfig, fixtures, tokens::TokenKeys},
    store,
};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<RuntimeConfig>,
    pub clock: Clock,
    pub tokens: Arc<TokenKeys>,
}

impl AppState {
    /// State over a migrated database; the clock starts at the loaded bundle's instant, if any.
    pub async fn new(db: PgPool, config: RuntimeConfig) -> anyhow::Result<AppState> {
        let tokens = TokenKeys::new(&store::meta::token_signing_key(&db).await?)?;
        let clock = Clock::new(config.clock);
        clock.set_bundle_instant(fixtures::loaded_clock(&db).await?);
        Ok(AppState { db, config: Arc::new(config), clock, tokens: Arc::new(tokens) })
    }
}
