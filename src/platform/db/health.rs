//! Whether the database is known to be down, so that requests fail at once with 503 instead of
//! each waiting for the pool's acquire timeout, and recover as soon as it answers again.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sqlx::PgPool;

use crate::http::error::is_database_unavailable;

/// How often a probe asks a database known to be down whether it is back.
const PROBE_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, Default)]
pub struct DatabaseHealth {
    down: AtomicBool,
    probing: AtomicBool,
}

impl DatabaseHealth {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Takes note of a failure: one that says the database is unreachable marks it down until a
    /// probe finds it answering again.
    pub fn report(self: &Arc<Self>, error: &sqlx::Error, db: &PgPool) {
        if !is_database_unavailable(error) {
            return;
        }
        self.down.store(true, Ordering::Release);
        if !self.probing.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "the database is unavailable; answering 503 until it is back");
            tokio::spawn(probe(self.clone(), db.clone()));
        }
    }
}

async fn probe(health: Arc<DatabaseHealth>, db: PgPool) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let answered = tokio::time::timeout(Duration::from_secs(1), sqlx::query("SELECT 1").execute(&db)).await;
        if matches!(answered, Ok(Ok(_))) {
            health.down.store(false, Ordering::Release);
            health.probing.store(false, Ordering::Release);
            tracing::info!("the database answers again");
            return;
        }
    }
}
