//! Request connections that go back without a round trip. sqlx's pool tests every connection
//! handed back with a round trip to the server (`return_to_pool` pings it) before another request
//! may have it: on a cold read that round trip cost about a tenth of the emulator's and of
//! PostgreSQL's time per request. A request here takes its connection from the connections
//! earlier requests handed back clean, else from the pool; requests wait their turn on a fair
//! semaphore of as many permits as the pool has request connections.
//!
//! A connection goes back to the pool (with sqlx's test) instead when it is not clean (inside a
//! transaction, or with statements not yet sent: a request stopped halfway), when any statement
//! failed for want of a working connection since it was taken ([`connections_may_be_broken`]: it
//! may be broken too), and when it has been idle here for [`IDLE_FOR`], so that a quiet or closing
//! pool gets its connections back.

use std::{
    ops::{Deref, DerefMut},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::{Connection, PgConnection, PgPool, Postgres, pool::PoolConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a handed-back connection waits here for the next request before it goes back to the
/// pool.
pub const IDLE_FOR: Duration = Duration::from_millis(500);

/// Connections beyond the requests' own, for what the emulator does besides answering requests
/// (journal writer, admin work, probes): they never wait for a connection a request holds here.
pub const HEADROOM: u32 = 2;

/// A pool's request connections.
pub struct RequestConnections {
    pool: PgPool,
    turns: Arc<Semaphore>,
    /// Connections handed back clean: the generation they were taken in, and since when idle.
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    connection: PoolConnection<Postgres>,
    generation: u64,
    since: Instant,
}

/// Bumped by [`connections_may_be_broken`]: connections taken before are not reused.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// A statement failed for want of a working connection (the server went away, a socket broke):
/// connections in use now go back to their pools, which test them, instead of being reused, and so
/// do the idle ones.
pub fn connections_may_be_broken() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// The connections of `pool` that requests share: all but [`HEADROOM`].
pub fn request_connections(pool: &PgPool) -> u32 {
    pool.options().get_max_connections().saturating_sub(HEADROOM).max(1)
}

impl RequestConnections {
    /// The requests' share of `pool`; idle connections go back to the pool on their own (a task
    /// per pool, until the pool closes).
    pub fn new(pool: PgPool) -> Arc<RequestConnections> {
        let permits = request_connections(&pool) as usize;
        let connections = Arc::new(RequestConnections { pool, turns: Arc::new(Semaphore::new(permits)), idle: Mutex::new(Vec::new()) });
        tokio::spawn(return_idle(Arc::downgrade(&connections)));
        connections
    }

    /// A connection for one request: one handed back clean by an earlier request, else the pool's.
    /// Waiting for a turn counts against the pool's acquire timeout, as waiting in the pool did.
    pub async fn acquire(self: &Arc<Self>) -> sqlx::Result<RequestConnection> {
        let turn = tokio::time::timeout(self.pool.options().get_acquire_timeout(), self.turns.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let generation = GENERATION.load(Ordering::Acquire);
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            idle.retain(|idle| idle.generation == generation);
            idle.pop().map(|idle| idle.connection)
        };
        let connection = match reused {
            Some(connection) => connection,
            None => self.pool.acquire().await?,
        };
        Ok(RequestConnection { connection: Some(connection), owner: self.clone(), generation, _turn: turn })
    }
}

impl Drop for RequestConnections {
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()));
        // Handing a connection back to its pool spawns a task; without a runtime (a test's own
        // runtime already gone), the connections are closed where they are.
        if tokio::runtime::Handle::try_current().is_err() {
            idle.into_iter().for_each(|idle| drop(idle.connection.detach()));
        }
    }
}

async fn return_idle(connections: std::sync::Weak<RequestConnections>) {
    loop {
        tokio::time::sleep(IDLE_FOR / 2).await;
        let Some(connections) = connections.upgrade() else { return };
        let mut idle = connections.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if connections.pool.is_closed() {
            drop(std::mem::take(&mut *idle));
            return;
        }
        idle.retain(|idle| idle.since.elapsed() < IDLE_FOR);
    }
}

/// A request's connection; dropped, it goes back as [`RequestConnections`] says.
pub struct RequestConnection {
    connection: Option<PoolConnection<Postgres>>,
    owner: Arc<RequestConnections>,
    generation: u64,
    // Released after the connection is back, so that the next request in line finds it.
    _turn: OwnedSemaphorePermit,
}

impl Drop for RequestConnection {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else { return };
        let clean = !connection.is_in_transaction() && !connection.should_flush();
        if clean && self.generation == GENERATION.load(Ordering::Acquire) && !self.owner.pool.is_closed() {
            let idle = Idle { connection, generation: self.generation, since: Instant::now() };
            self.owner.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(idle);
        }
    }
}

impl RequestConnection {
    /// A transaction on this connection, as `PoolConnection::begin` gives.
    pub async fn begin(&mut self) -> sqlx::Result<sqlx::Transaction<'_, Postgres>> {
        Connection::begin(&mut **self).await
    }
}

impl Deref for RequestConnection {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.connection.as_ref().expect("a request connection is present until dropped")
    }
}

impl DerefMut for RequestConnection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.connection.as_mut().expect("a request connection is present until dropped")
    }
}
