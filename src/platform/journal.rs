//! The request journal's writer: requests are handed over without waiting and written in batches
//! by one task, so recording costs a request almost nothing. An entry is made into its row only if
//! it is written: of a batch holding more of a tenant's requests than its journal keeps, only the
//! newest are, as the older ones would be cut at once.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::store::{self, journal::JournalEntry};

/// Entries waiting to be written at most; past that, the oldest are dropped (and said so in the
/// log): they are the first a full journal would cut.
const WAITING: usize = 20_000;
/// How long the writer waits for a batch to fill.
const LINGER: Duration = Duration::from_millis(50);
/// The wait after a batch of at least [`BUSY`] entries (4,000 requests a second). A batch holding
/// more than a journal keeps writes only what is kept, so the longer wait makes a busy server write
/// fewer rows; a quiet one keeps the short wait, so another process sees its entries sooner.
const LINGER_BUSY: Duration = Duration::from_millis(250);
const BUSY: usize = 200;
/// Entries cut from the journal between two vacuums of its table.
const VACUUM_AFTER: u64 = 20_000;

/// A recorded request, made into its row when written.
struct Pending {
    tenant: String,
    entry: Box<dyn FnOnce() -> JournalEntry + Send>,
}

/// What the writer takes at each round.
#[derive(Default)]
struct Inbox {
    entries: VecDeque<Pending>,
    /// Answered once everything recorded before them is written.
    flushes: Vec<oneshot::Sender<()>>,
    dropped: usize,
}

#[derive(Clone)]
pub struct Journal {
    writer: Option<Writer>,
}

#[derive(Clone)]
struct Writer {
    inbox: Arc<Mutex<Inbox>>,
    /// Wakes the writer; it ends when every `Journal` is gone.
    wake: mpsc::Sender<()>,
}

impl Writer {
    fn inbox(&self) -> std::sync::MutexGuard<'_, Inbox> {
        lock(&self.inbox)
    }
}

fn lock(inbox: &Mutex<Inbox>) -> std::sync::MutexGuard<'_, Inbox> {
    inbox.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Journal {
    /// A journal keeping `size` entries per tenant; 0 keeps none (and records nothing).
    pub fn start(db: PgPool, size: usize) -> Journal {
        if size == 0 {
            return Journal { writer: None };
        }
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let (wake, woken) = mpsc::channel(1);
        tokio::spawn(write_batches(db, inbox.clone(), woken, size as i64));
        Journal { writer: Some(Writer { inbox, wake }) }
    }

    pub fn is_on(&self) -> bool {
        self.writer.is_some()
    }

    /// Records a request of `tenant`; `entry` makes its row.
    pub fn record(&self, tenant: String, entry: impl FnOnce() -> JournalEntry + Send + 'static) {
        let Some(writer) = &self.writer else { return };
        {
            let mut inbox = writer.inbox();
            if inbox.entries.len() >= WAITING {
                inbox.entries.pop_front();
                inbox.dropped += 1;
            }
            inbox.entries.push_back(Pending { tenant, entry: Box::new(entry) });
        }
        // A wake already waiting covers this entry too.
        let _ = writer.wake.try_send(());
    }

    /// Waits until every entry recorded so far is written.
    pub async fn flush(&self) {
        let Some(writer) = &self.writer else { return };
        let (done, written) = oneshot::channel();
        writer.inbox().flushes.push(done);
        let _ = writer.wake.try_send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), written).await;
    }
}

async fn write_batches(db: PgPool, inbox: Arc<Mutex<Inbox>>, mut woken: mpsc::Receiver<()>, keep: i64) {
    // Entries written per tenant since its journal was last cut to size: cutting after every
    // batch would cost more than writing.
    let mut unpruned: HashMap<String, i64> = HashMap::new();
    let prune_every = (keep / 10).max(1);
    let mut deleted_since_vacuum = 0;
    let mut linger = LINGER;
    loop {
        // Once every `Journal` is gone, what is left is written in one last round.
        let open = woken.recv().await.is_some();
        if open {
            // A moment for more entries to arrive, so that a busy server writes few, large batches.
            tokio::time::sleep(linger).await;
        }
        let Inbox { entries: pending, flushes, dropped } = std::mem::take(&mut *lock(&inbox));
        linger = if pending.len() >= BUSY { LINGER_BUSY } else { LINGER };
        if dropped > 0 {
            tracing::warn!(dropped, "the request journal is behind; the oldest entries waiting were dropped");
        }
        let entries = newest_of_each_tenant(pending, keep);
        for entry in &entries {
            *unpruned.entry(entry.tenant.clone()).or_default() += 1;
        }
        // A reader waiting on a flush sees the journal cut to size.
        let due: Vec<String> =
            unpruned.iter().filter(|(_, count)| !flushes.is_empty() || **count >= prune_every).map(|(tenant, _)| tenant.clone()).collect();
        let written = async {
            if !entries.is_empty() {
                store::journal::insert(&db, &entries).await?;
            }
            if !due.is_empty() {
                deleted_since_vacuum += store::journal::prune(&db, &due, keep).await?;
            }
            if deleted_since_vacuum >= VACUUM_AFTER {
                store::journal::vacuum(&db).await?;
                deleted_since_vacuum = 0;
            }
            Ok::<(), sqlx::Error>(())
        };
        match written.await {
            Ok(()) => unpruned.retain(|tenant, _| !due.contains(tenant)),
            Err(error) => tracing::warn!(%error, entries = entries.len(), "could not write request journal entries"),
        }
        for done in flushes {
            let _ = done.send(());
        }
        if !open {
            return;
        }
    }
}

/// The rows of the newest `keep` entries of each tenant, in the order they were recorded.
fn newest_of_each_tenant(pending: VecDeque<Pending>, keep: i64) -> Vec<JournalEntry> {
    let mut newer: HashMap<String, i64> = HashMap::new();
    let mut kept: Vec<Pending> = pending
        .into_iter()
        .rev()
        .filter(|entry| {
            let count = newer.entry(entry.tenant.clone()).or_default();
            *count += 1;
            *count <= keep
        })
        .collect();
    kept.reverse();
    kept.into_iter().map(|entry| (entry.entry)()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(tenant: &str, path: &str) -> Pending {
        let (tenant, path) = (tenant.to_owned(), path.to_owned());
        Pending {
            tenant: tenant.clone(),
            entry: Box::new(move || JournalEntry {
                tenant,
                received_at: chrono::Utc::now(),
                method: "GET".to_owned(),
                path,
                query: String::new(),
                query_params: serde_json::json!({}),
                headers: serde_json::json!({}),
                org_id: None,
                status: 200,
                code: None,
                latency_ms: 0.0,
                request_id: None,
            }),
        }
    }

    #[test]
    fn of_each_tenant_only_the_newest_entries_a_journal_keeps_are_written_in_their_order() {
        let recorded = ["a1", "b1", "a2", "a3", "b2", "a4"].map(|name| pending(&name[..1], name));
        let written: Vec<String> = newest_of_each_tenant(recorded.into_iter().collect(), 2).into_iter().map(|entry| entry.path).collect();
        assert_eq!(written, ["b1", "a3", "b2", "a4"]);
    }
}
