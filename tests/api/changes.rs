//! Watching the engine's change hook: every successful write NOTIFYs `emulator_changes` with
//! `data` (what caches answers drops them then); a refused one does not.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgListener};

pub struct DataChanges(PgListener);

impl DataChanges {
    pub async fn listen(pool: &PgPool) -> DataChanges {
        let mut listener = PgListener::connect_with(pool).await.expect("listener");
        listener.listen("emulator_changes").await.expect("LISTEN");
        DataChanges(listener)
    }

    /// How many `data` notifications arrived since the last call (waiting briefly for late ones).
    pub async fn count(&mut self) -> usize {
        let mut count = 0;
        while let Ok(Ok(Some(notification))) = tokio::time::timeout(Duration::from_millis(200), self.0.try_recv()).await {
            if notification.payload() == "data" {
                count += 1;
            }
        }
        count
    }
}
