//! The request journal's writer: requests are handed over without waiting and written in batches
//! by one task, so recording costs a request almost nothing.

use std::{collections::HashMap, time::Duration};

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::store::{self, journal::JournalEntry};

/// Entries waiting to be written at most; past that, new ones are dropped (and said so in the log).
const QUEUE: usize = 10_000;
/// Entries written in one statement at most.
const BATCH: usize = 500;
/// How long the writer waits for a batch to fill.
const LINGER: Duration = Duration::from_millis(50);

enum Message {
    Entry(Box<JournalEntry>),
    /// Answered once everything sent before it is written.
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct Journal {
    sender: Option<mpsc::Sender<Message>>,
}

impl Journal {
    /// A journal keeping `size` entries per tenant; 0 keeps none (and records nothing).
    pub fn start(db: PgPool, size: usize) -> Journal {
        if size == 0 {
            return Journal { sender: None };
        }
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(db, receiver, size as i64));
        Journal { sender: Some(sender) }
    }

    pub fn is_on(&self) -> bool {
        self.sender.is_some()
    }

    pub fn record(&self, entry: JournalEntry) {
        if let Some(sender) = &self.sender
            && sender.try_send(Message::Entry(Box::new(entry))).is_err()
        {
            tracing::warn!("the request journal is behind; an entry was dropped");
        }
    }

    /// Waits until every entry recorded so far is written.
    pub async fn flush(&self) {
        let Some(sender) = &self.sender else { return };
        let (done, written) = oneshot::channel();
        if sender.send(Message::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), written).await;
        }
    }
}

async fn write_batches(db: PgPool, mut receiver: mpsc::Receiver<Message>, keep: i64) {
    // Entries written per tenant since its journal was last cut to size: cutting after every
    // batch would cost more than writing.
    let mut unpruned: HashMap<String, i64> = HashMap::new();
    let prune_every = (keep / 10).max(1);
    while let Some(first) = receiver.recv().await {
        // A moment for more entries to arrive, so that a busy server writes few, large batches.
        tokio::time::sleep(LINGER).await;
        let mut entries = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Entry(entry) => entries.push(*entry),
                Message::Flush(done) => flushes.push(done),
            }
            next = if entries.len() < BATCH { receiver.try_recv().ok() } else { None };
        }
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
                store::journal::prune(&db, &due, keep).await?;
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
    }
}
