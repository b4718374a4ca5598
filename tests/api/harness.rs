//! One fresh database per test, copied from a template built once per test run.
//!
//! The first test of a process builds (or finds) two template databases on the server at
//! `DATABASE_URL`: `emutpl_<hash>_f`, migrated with the default bundle loaded, and `emutpl_<hash>_e`,
//! only migrated. `<hash>` covers the migrations, `fixtures/default` and the test binary itself (so
//! a change to the loader's code builds a new template). Each test then gets
//! `CREATE DATABASE emutest_<host>_<pid>_<n> TEMPLATE emutpl_<hash>_<kind>`. When its [`TestDb`]
//! is dropped (also when the test panics) the database is queued for a background dropper: a
//! `DROP DATABASE` waits for a checkpoint, which no test should wait for. At exit the process waits
//! (15 s at most) for the queue to drain; what is left then, or by a killed process, the next run
//! drops.
//!
//! Several test processes may share one server (a developer's runs, CI, another checkout):
//! - template builds and clean-ups are serialised by a session advisory lock ([`BUILD_LOCK`]);
//! - a process holds a shared advisory lock keyed by its template's hash for its whole life, on a
//!   connection of its own, so a template is dropped only when no live process uses it;
//! - a test database left behind by a process that died (`emutest_<host>_<pid>_…` of this host
//!   whose pid is gone) is dropped by the next run; another live process's databases are never
//!   touched, and databases not named by this harness never are.

use std::{
    collections::BTreeMap,
    path::Path,
    str::FromStr,
    sync::{
        OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use capillary_emulator::{
    db::MIGRATOR,
    fixtures::{self, Bundle},
};
use md5::{Digest, Md5};
use sqlx::{
    ConnectOptions, Connection, PgConnection, PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// Serialises template builds and clean-ups across processes (an arbitrary constant).
const BUILD_LOCK: i64 = 0x00ca_9e3a_1a70_7e57;
const TEMPLATE_PREFIX: &str = "emutpl_";
const TEST_PREFIX: &str = "emutest_";
/// How many test databases are dropped at once.
const DROPPERS: usize = 8;
/// How long the process waits at exit for its databases to be dropped, in seconds.
const DRAIN_AT_EXIT: u64 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// Migrated, with `fixtures/default` loaded.
    Fixtures,
    /// Migrated, no data.
    Empty,
}

impl Template {
    fn suffix(self) -> &'static str {
        match self {
            Template::Fixtures => "f",
            Template::Empty => "e",
        }
    }
}

/// What the process-wide setup found out.
struct Setup {
    admin: PgConnectOptions,
    hash: String,
    host: String,
    /// Databases to drop, sent to the setup thread (see [`TestDb`]'s `Drop`).
    to_drop: tokio::sync::mpsc::UnboundedSender<Dropping>,
}

/// What the dropper is asked to do.
enum Dropping {
    Database(String),
    /// Finish every drop asked for so far, then say so.
    Drain(std::sync::mpsc::Sender<()>),
}

static SETUP: OnceLock<Setup> = OnceLock::new();
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn setup() -> &'static Setup {
    SETUP.get_or_init(|| {
        let url = std::env::var("DATABASE_URL").expect("DATABASE_URL must name a PostgreSQL server (bash scripts/test sets it)");
        let admin = PgConnectOptions::from_str(&url).expect("DATABASE_URL is a PostgreSQL URL");
        let (hash, host) = (sources_hash(), host_id());
        let (to_drop, dropping) = tokio::sync::mpsc::unbounded_channel::<Dropping>();
        // The setup runs on a thread of its own whose runtime outlives every test's runtime: its
        // connection holds this process's shared lock on the template until the process exits,
        // and drops the tests' databases as they end (DROP DATABASE takes a checkpoint's time,
        // which no test should wait for; what is left when the process exits, the next run drops).
        let (ready, done) = std::sync::mpsc::channel();
        let (thread_admin, thread_hash, thread_host) = (admin.clone(), hash.clone(), host.clone());
        std::thread::Builder::new()
            .name("test-databases".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    match prepare(&thread_admin, &thread_hash, &thread_host).await {
                        Ok((_holder, leftovers)) => {
                            ready.send(Ok(())).unwrap();
                            run_dropper(&thread_admin, leftovers, dropping).await;
                        }
                        Err(error) => ready.send(Err(format!("{error:#}"))).unwrap(),
                    }
                });
            })
            .unwrap();
        done.recv().unwrap().unwrap_or_else(|error| panic!("cannot prepare the template databases: {error}"));
        // SAFETY: registers a plain function with the C library, which calls it when the process
        // exits normally (libtest returns from main, or calls exit); it touches only Rust statics.
        unsafe { atexit(drain_at_exit) };
        Setup { admin, hash, host, to_drop }
    })
}

/// Drops the leftovers, then every database the tests send, several at once (concurrent drops
/// share the checkpoint each one waits for).
async fn run_dropper(admin: &PgConnectOptions, leftovers: Vec<String>, mut requests: tokio::sync::mpsc::UnboundedReceiver<Dropping>) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(DROPPERS));
    let mut running = tokio::task::JoinSet::new();
    let mut leftovers = leftovers.into_iter().map(Dropping::Database);
    loop {
        let next = match leftovers.next() {
            Some(next) => next,
            None => match requests.recv().await {
                Some(next) => next,
                None => return,
            },
        };
        let name = match next {
            Dropping::Database(name) => name,
            Dropping::Drain(done) => {
                while running.join_next().await.is_some() {}
                let _ = done.send(());
                continue;
            }
        };
        let slot = slots.clone().acquire_owned().await.unwrap();
        let admin = admin.clone();
        running.spawn(async move {
            let result = async {
                let mut conn = admin.connect().await?;
                drop_database(&mut conn, &name).await?;
                conn.close().await
            }
            .await;
            if let Err(error) = result {
                eprintln!("could not drop the test database {name}: {error} (the next run drops it)");
            }
            drop(slot);
        });
        while running.try_join_next().is_some() {}
    }
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
}

/// At exit, waits for the databases of the tests that ended to be dropped: [`DRAIN_AT_EXIT`]
/// seconds at most, since a busy server checkpoints slowly and the next run drops the rest.
extern "C" fn drain_at_exit() {
    if let Some(setup) = SETUP.get() {
        let (done, drained) = std::sync::mpsc::channel();
        if setup.to_drop.send(Dropping::Drain(done)).is_ok() {
            let _ = drained.recv_timeout(Duration::from_secs(DRAIN_AT_EXIT));
        }
    }
}

/// Builds the templates if missing and drops the templates no live process uses; returns the
/// connection that holds this process's shared lock on its template, and the test databases dead
/// processes of this host left behind (for the dropper).
async fn prepare(admin: &PgConnectOptions, hash: &str, host: &str) -> anyhow::Result<(PgConnection, Vec<String>)> {
    let mut conn = admin.connect().await?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(BUILD_LOCK).execute(&mut conn).await?;
    sqlx::query("SELECT pg_advisory_lock_shared($1)").bind(lock_key(hash)).execute(&mut conn).await?;
    let result = async {
        let leftovers = clean_up(&mut conn, hash, host).await?;
        for template in [Template::Empty, Template::Fixtures] {
            build_template(admin, &mut conn, hash, template).await?;
        }
        anyhow::Ok(leftovers)
    }
    .await;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(BUILD_LOCK).execute(&mut conn).await?;
    Ok((conn, result?))
}

async fn database_names(conn: &mut PgConnection, prefix: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname")
        .bind(prefix)
        .fetch_all(conn)
        .await
}

/// Drops the templates no live process uses; returns the test databases of dead processes of this
/// host.
async fn clean_up(conn: &mut PgConnection, hash: &str, host: &str) -> anyhow::Result<Vec<String>> {
    let mut leftovers = Vec::new();
    for name in database_names(conn, TEST_PREFIX).await? {
        let mut parts = name[TEST_PREFIX.len()..].split('_');
        let (Some(their_host), Some(pid)) = (parts.next(), parts.next().and_then(|pid| pid.parse::<i32>().ok())) else { continue };
        if their_host == host && !process_alive(pid) {
            leftovers.push(name);
        }
    }
    let mut templates: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in database_names(conn, TEMPLATE_PREFIX).await? {
        let their_hash = name[TEMPLATE_PREFIX.len()..].split('_').next().unwrap_or_default().to_owned();
        templates.entry(their_hash).or_default().push(name);
    }
    for (their_hash, names) in templates {
        if their_hash == hash {
            // A build this process's template kind never finished (its builder died): start over.
            for name in names.iter().filter(|name| name.ends_with("_build")) {
                drop_database(conn, name).await?;
            }
            continue;
        }
        let unused: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(lock_key(&their_hash)).fetch_one(&mut *conn).await?;
        if unused {
            for name in &names {
                drop_database(conn, name).await?;
            }
            sqlx::query("SELECT pg_advisory_unlock($1)").bind(lock_key(&their_hash)).execute(&mut *conn).await?;
        }
    }
    Ok(leftovers)
}

async fn build_template(admin: &PgConnectOptions, conn: &mut PgConnection, hash: &str, template: Template) -> anyhow::Result<()> {
    let name = template_name(hash, template);
    if !database_names(conn, &name).await?.contains(&name) {
        let building = format!("{name}_build");
        drop_database(conn, &building).await?;
        // From template0, which no session can be connected to (template1 may be).
        execute(conn, format!("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'", quoted(&building))).await?;
        let pool = PgPoolOptions::new().max_connections(2).connect_with(admin.clone().database(&building)).await?;
        MIGRATOR.run(&pool).await?;
        if template == Template::Fixtures {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default");
            fixtures::load(&pool, &Bundle::read_dir(&dir)?, "fixtures/default").await?;
        }
        pool.close().await;
        // Renamed only once complete, so a template that exists is whole.
        execute(conn, format!("ALTER DATABASE {} RENAME TO {}", quoted(&building), quoted(&name))).await?;
    }
    Ok(())
}

fn template_name(hash: &str, template: Template) -> String {
    format!("{TEMPLATE_PREFIX}{hash}_{}", template.suffix())
}

async fn drop_database(conn: &mut PgConnection, name: &str) -> sqlx::Result<()> {
    execute(conn, format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quoted(name))).await
}

async fn execute(conn: &mut PgConnection, statement: String) -> sqlx::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(statement)).execute(conn).await.map(drop)
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Whether a process of this host is alive (a process we may not signal is alive too).
fn process_alive(pid: i32) -> bool {
    !matches!(nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None), Err(nix::errno::Errno::ESRCH))
}

fn lock_key(hash: &str) -> i64 {
    i64::from_str_radix(&hash[..15], 16).expect("hex hash")
}

/// A digest of what a template is made from: the migrations, the default bundle and this test
/// binary (whose build changes with the crate's code, such as the bundle loader).
fn sources_hash() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut digest = Md5::new();
    for dir in ["migrations", "fixtures/default"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|entry| entry.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            digest.update(path.file_name().unwrap().as_encoded_bytes());
            digest.update(std::fs::read(&path).unwrap());
        }
    }
    let exe = std::env::current_exe().unwrap();
    let metadata = std::fs::metadata(&exe).unwrap();
    digest.update(format!("{} {} {:?}", exe.display(), metadata.len(), metadata.modified().ok()));
    digest.finalize().iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

/// A short, stable name for this host, so that only this host's processes are judged dead or alive.
fn host_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    Md5::digest(host.trim().as_bytes()).iter().take(3).map(|byte| format!("{byte:02x}")).collect()
}

/// A fresh database of its own for one test, dropped when this value is.
pub struct TestDb {
    pub pool: PgPool,
    name: String,
}

impl TestDb {
    pub async fn new(template: Template) -> TestDb {
        let setup = setup();
        let name = format!("{TEST_PREFIX}{}_{}_{}", setup.host, std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut conn = setup.admin.connect().await.expect("connect to DATABASE_URL");
        let statement = format!("CREATE DATABASE {} TEMPLATE {}", quoted(&name), quoted(&template_name(&setup.hash, template)));
        execute(&mut conn, statement).await.unwrap_or_else(|error| panic!("create {name}: {error}"));
        conn.close().await.ok();
        // The service's own pool settings (no ping before acquire, generic plans).
        let pool = capillary_emulator::db::pool_options(8)
            .connect_with(setup.admin.clone().database(&name))
            .await
            .unwrap_or_else(|error| panic!("connect to {name}: {error}"));
        TestDb { pool, name }
    }

    /// Migrated, with the default bundle loaded.
    pub async fn with_fixtures() -> TestDb {
        TestDb::new(Template::Fixtures).await
    }

    /// Migrated, no data.
    pub async fn empty() -> TestDb {
        TestDb::new(Template::Empty).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Dropped by the setup thread, which also ends the pool's sessions (WITH (FORCE)).
        let _ = setup().to_drop.send(Dropping::Database(self.name.clone()));
    }
}
