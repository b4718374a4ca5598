//! What a process keeps in memory of the tenants' universes so that repeated requests skip the
//! database: the org each credential decides, each org's target configuration (groups, rules,
//! periods, milestones, streaks: v3 targetGroups reads only the customer's own rows), and whole
//! answers to repeated reads (`http::response_cache`).
//!
//! Everything is dropped on every change any process announces on the changes channel
//! (`store::tenants::notify_change`, followed by `platform::tenants::listen_for_changes`), and
//! nothing is served from memory while this process is not following that channel (before its
//! listener connects, or while it is down), since a change could then go unheard.
//!
//! **Writes** announce their change inside their transaction (`engine::changed`, which also calls
//! [`note_change`]); the response-cache middleware, which every request passes, drops this
//! process's caches once the handler has returned (after its commit) and before the answer
//! leaves, so that the writer's next request already sees its write; other processes drop theirs
//! when the notification reaches them (milliseconds). Code that writes outside a request commits
//! through [`commit_change`].

use std::{
    cell::Cell,
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use bytes::Bytes;
use sqlx::{Postgres, Transaction};

use crate::{model::Org, platform::state::AppState, store, store::targets::OrgTargets};

/// How many answers (and credentials) a process keeps, and how many bytes of answers; past either,
/// the cache starts over (repeated requests refill it at once).
const MAX_ENTRIES: usize = 2_000;
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Answers larger than this are not kept.
pub const MAX_CACHED_BODY: usize = 256 * 1024;

/// The caches of one process.
#[derive(Default)]
pub struct Caches {
    /// Bumped by every drop: what a request computed under an older generation is not kept, as a
    /// change may have committed while it ran.
    generation: AtomicU64,
    following: AtomicBool,
    credentials: Bounded<CredentialKey, Org>,
    org_targets: Bounded<OrgKey, Arc<OrgTargets>>,
    responses: Bounded<ResponseKey, CachedResponse>,
}

/// An org within a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgKey {
    pub tenant: String,
    pub org_id: i64,
}

/// A credential as sent, within a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CredentialKey {
    Till {
        tenant: String,
        code: String,
        password_md5: String,
    },
    /// A verified token's client and org (its expiry is checked on every request).
    Client {
        tenant: String,
        client_key: String,
        org_id: i64,
    },
    /// No credential, with auth off: the default org.
    Default {
        tenant: String,
    },
}

/// An exact request: tenant, org, route and the parameters as the endpoint reads them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResponseKey {
    pub tenant: String,
    pub org_id: i64,
    pub path: String,
    /// The parameters sorted by name, each with the last value given (as the endpoints read them),
    /// form-encoded.
    pub query: String,
    /// The request headers that change an answer (`DATA-SCOPE`, `DATA-SCOPE-ORG`).
    pub headers: Vec<(String, String)>,
}

/// A 200 answer as it left the handler.
#[derive(Debug, Clone)]
pub struct CachedResponse {
    pub headers: axum::http::HeaderMap,
    pub body: Bytes,
}

/// What a kept value costs in memory, as far as the budget counts it.
trait Footprint {
    fn bytes(&self) -> usize;
}

impl Footprint for CachedResponse {
    fn bytes(&self) -> usize {
        self.body.len() + self.headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum::<usize>()
    }
}

impl Footprint for Arc<OrgTargets> {
    fn bytes(&self) -> usize {
        // The rows and their strings, roughly: what keeps a huge configuration from filling memory.
        const ROW: usize = 256;
        ROW * (self.groups.len() + self.rules.len() + self.periods.len() + self.milestones.len() + self.streaks.len())
    }
}

impl Footprint for Org {
    fn bytes(&self) -> usize {
        std::mem::size_of::<Org>()
    }
}

/// A map that starts over when it holds too many entries or bytes.
struct Bounded<K, V> {
    entries: Mutex<Kept<K, V>>,
    max_entries: usize,
    max_bytes: usize,
}

struct Kept<K, V> {
    map: HashMap<K, V>,
    bytes: usize,
}

impl<K, V> Default for Bounded<K, V> {
    fn default() -> Self {
        Bounded { entries: Mutex::new(Kept { map: HashMap::new(), bytes: 0 }), max_entries: MAX_ENTRIES, max_bytes: MAX_RESPONSE_BYTES }
    }
}

impl<K: Eq + Hash, V: Clone + Footprint> Bounded<K, V> {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept<K, V>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, key: &K) -> Option<V> {
        self.kept().map.get(key).cloned()
    }

    fn insert(&self, key: K, value: V) {
        let bytes = value.bytes();
        let mut kept = self.kept();
        let full = kept.map.len() >= self.max_entries || kept.bytes + bytes > self.max_bytes;
        let dropped = full.then(|| Self::take(&mut kept));
        kept.bytes += bytes;
        if let Some(replaced) = kept.map.insert(key, value) {
            kept.bytes -= replaced.bytes();
        }
        // Freed once the lock is let go: every request of the process looks into this map.
        drop(kept);
        drop(dropped);
    }

    fn clear(&self) {
        let dropped = Self::take(&mut self.kept());
        drop(dropped);
    }

    fn take(kept: &mut Kept<K, V>) -> HashMap<K, V> {
        kept.bytes = 0;
        std::mem::take(&mut kept.map)
    }
}

/// Where a request stood when it started: what it computes is kept only if no change came since.
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

impl Caches {
    /// Whether anything may be served from memory: only while this process hears every change.
    pub fn is_on(&self) -> bool {
        self.following.load(Ordering::Acquire)
    }

    /// Called by the change listener: on when it listens, off when it lost its connection. Either
    /// way what was kept is dropped, since changes may have gone unheard.
    pub fn set_following(&self, following: bool) {
        self.drop_all();
        self.following.store(following, Ordering::Release);
    }

    /// Forgets everything; what requests running now compute is not kept either.
    pub fn drop_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.credentials.clear();
        self.org_targets.clear();
        self.responses.clear();
    }

    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    fn unchanged_since(&self, generation: Generation) -> bool {
        self.is_on() && self.generation.load(Ordering::Acquire) == generation.0
    }

    pub fn org(&self, key: &CredentialKey) -> Option<Org> {
        if !self.is_on() {
            return None;
        }
        self.credentials.get(key)
    }

    pub fn keep_org(&self, key: CredentialKey, org: Org, since: Generation) {
        if self.unchanged_since(since) {
            self.credentials.insert(key, org);
        }
    }

    pub fn org_targets(&self, key: &OrgKey) -> Option<Arc<OrgTargets>> {
        if !self.is_on() {
            return None;
        }
        self.org_targets.get(key)
    }

    pub fn keep_org_targets(&self, key: OrgKey, targets: Arc<OrgTargets>, since: Generation) {
        if self.unchanged_since(since) {
            self.org_targets.insert(key, targets);
        }
    }

    pub fn response(&self, key: &ResponseKey) -> Option<CachedResponse> {
        if !self.is_on() {
            return None;
        }
        self.responses.get(key)
    }

    pub fn keep_response(&self, key: ResponseKey, response: CachedResponse, since: Generation) {
        if self.unchanged_since(since) {
            self.responses.insert(key, response);
        }
    }
}

/// Commits a transaction that changed a tenant's universe (its data, by a write endpoint) and
/// makes every process forget what it cached: the notification (`what` names the tenant and the
/// change, e.g. `data:default`) is delivered with the commit, and this process's caches are
/// dropped before this returns, so the writer's next read sees its write. Every write commits
/// through this. (Control-plane changes notify and then call `Tenants::refresh`, which drops them
/// too.)
pub async fn commit_change(state: &AppState, mut tx: Transaction<'_, Postgres>, what: &str) -> sqlx::Result<()> {
    store::tenants::notify_change(&mut *tx, what).await?;
    tx.commit().await?;
    state.tenants.caches.drop_all();
    Ok(())
}

tokio::task_local! {
    /// Set while a request is served: whether its handler changed the tenant's data.
    static CHANGED_BY_THIS_REQUEST: Cell<bool>;
}

/// Marks the request being served as one that changed its tenant's data (see
/// [`dropping_after_changes`]); outside a request it does nothing.
pub fn note_change() {
    let _ = CHANGED_BY_THIS_REQUEST.try_with(|changed| changed.set(true));
}

/// Serves a request and, when its handler noted a change, drops this process's caches before
/// the answer is returned: by then the handler has committed.
pub async fn dropping_after_changes<F: Future>(caches: &Caches, serve: F) -> F::Output {
    let (output, changed) = CHANGED_BY_THIS_REQUEST
        .scope(Cell::new(false), async {
            let output = serve.await;
            (output, CHANGED_BY_THIS_REQUEST.with(Cell::get))
        })
        .await;
    if changed {
        caches.drop_all();
    }
    output
}
