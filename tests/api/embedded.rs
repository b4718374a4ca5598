//! The emulator as a process, without DATABASE_URL: it runs its own PostgreSQL under the data
//! directory, the data survives a restart, and SIGTERM lets a request in flight finish before the
//! private PostgreSQL is stopped.
//!
//! The emulator binds port 0 itself and the test reads the port from its `serving` log line, so no
//! other process can take the port between choosing and binding it. Every child is stopped when
//! its guard is dropped, also when the test panics: the emulator (SIGTERM, then SIGKILL) and then
//! its private PostgreSQL, which a killed emulator would leave running.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    os::unix::{
        fs::{MetadataExt, PermissionsExt},
        process::CommandExt,
    },
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use nix::{sys::signal::Signal, unistd::Pid};
use serde_json::{Value, json};
use sqlx::{ConnectOptions, Connection, postgres::PgConnectOptions};

use crate::helpers::{DEMO_PASSWORD, DEMO_TILL, basic_auth, md5_hex};

/// A data directory every user can reach, since as root the private server runs unprivileged:
/// under the system's temporary directory (world-searchable), not under the checkout, which may
/// sit in a private home directory. Removed when dropped, after the processes using it.
struct DataDir(PathBuf);

impl DataDir {
    fn new() -> DataDir {
        let searchable = |dir: &Path| {
            dir.ancestors().all(|ancestor| std::fs::metadata(ancestor).is_ok_and(|metadata| metadata.permissions().mode() & 0o001 != 0))
        };
        let base = [std::env::temp_dir(), PathBuf::from("/tmp"), PathBuf::from(env!("CARGO_TARGET_TMPDIR"))]
            .into_iter()
            .find(|dir| searchable(dir))
            .expect("a world-searchable temporary directory");
        let dir = base.join(format!("capillary-emulator-embedded-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        DataDir(dir)
    }

    fn pgdata(&self) -> PathBuf {
        self.0.join("pgdata")
    }

    /// Whether the private PostgreSQL runs (its postmaster.pid exists).
    fn postgres_running(&self) -> bool {
        self.pgdata().join("postmaster.pid").exists()
    }

    /// Stops a private PostgreSQL left running (by an emulator that was killed), as its owner.
    fn stop_postgres(&self) {
        if !self.postgres_running() {
            return;
        }
        let Some(pg_ctl) = pg_ctl() else { return };
        let owner = std::fs::metadata(self.pgdata()).unwrap();
        let mut command = Command::new(pg_ctl);
        command.arg("-D").arg(self.pgdata()).args(["-m", "immediate", "-w", "stop"]).stdout(Stdio::null()).stderr(Stdio::null());
        if nix::unistd::geteuid().is_root() {
            command.uid(owner.uid()).gid(owner.gid());
        }
        let _ = command.status();
    }

    /// Options to reach the private PostgreSQL over its socket, as the emulator does.
    fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new().socket(self.0.join("run")).port(5432).username("postgres").database("emulator")
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        self.stop_postgres();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pg_ctl() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.path().join("bin/pg_ctl")))
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    found
        .pop()
        .or_else(|| std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join("pg_ctl")).find(|path| path.is_file()))
}

/// A running emulator; killed (with its private PostgreSQL stopped) if dropped while running.
struct Emulator {
    child: Child,
    address: SocketAddr,
    base: String,
    stopped: bool,
}

impl Emulator {
    fn start(dir: &DataDir) -> Emulator {
        let mut child = cli(&dir.0, "127.0.0.1:0")
            .env("RUST_LOG", "warn,capillary_emulator=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the emulator binary starts");
        // The log (on stdout) is passed through; the `serving` line tells the port the emulator bound.
        let (found, address) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let line = crate::process::strip_ansi(&line);
                if line.contains("serving")
                    && let Some(address) = line.split_whitespace().find_map(|word| word.strip_prefix("address="))
                {
                    let _ = found.send(address.parse::<SocketAddr>().expect("the serving address"));
                } else {
                    eprintln!("emulator: {line}");
                }
            }
        });
        let mut emulator = Emulator { child, address: "127.0.0.1:0".parse().unwrap(), base: String::new(), stopped: false };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(address) = address.recv_timeout(Duration::from_millis(200)) {
                emulator.address = address;
                emulator.base = format!("http://{address}");
                return emulator;
            }
            if let Some(status) = emulator.child.try_wait().unwrap() {
                emulator.stopped = true;
                panic!("the emulator exited before serving: {status}");
            }
            assert!(Instant::now() < deadline, "the emulator did not start serving");
        }
    }

    async fn wait_ready(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(response) = client.get(format!("{}/__admin/ready", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(self.child.try_wait().unwrap().is_none(), "the emulator exited early");
            assert!(Instant::now() < deadline, "the emulator did not become ready");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn signal(&self, signal: Signal) {
        let _ = nix::sys::signal::kill(Pid::from_raw(self.child.id() as i32), signal);
    }

    /// Waits for the process to exit, up to `timeout`.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.stopped = true;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then a clean exit.
    fn stop(mut self) {
        self.signal(Signal::SIGTERM);
        let status = self.wait_exit(Duration::from_secs(60)).expect("the emulator stops on SIGTERM");
        assert!(status.success(), "the emulator exits cleanly on SIGTERM: {status}");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.signal(Signal::SIGTERM);
        if self.wait_exit(Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The emulator's command line, configured for the private database under `data_dir`.
fn cli(data_dir: &Path, listen: &str) -> Command {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default");
    let mut command = Command::new(env!("CARGO_BIN_EXE_capillary-emulator"));
    command
        .env_remove("DATABASE_URL")
        .env("EMULATOR_DATA_DIR", data_dir)
        .env("EMULATOR_LISTEN", listen)
        .env("EMULATOR_FIXTURES", fixtures)
        .env("RUST_LOG", "warn");
    command
}

async fn admin_get(client: &reqwest::Client, base: &str, path: &str) -> Value {
    client.get(format!("{base}{path}")).bearer_auth("admin").send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn runs_its_own_postgres_and_keeps_data_across_restarts() {
    let dir = DataDir::new();
    let client = reqwest::Client::new();

    let mut first = Emulator::start(&dir);
    first.wait_ready(&client).await;
    let listen = first.address.to_string();
    let exported = admin_get(&client, &first.base, "/__admin/fixtures").await;
    assert_eq!(exported["orgs"][0]["org_id"], 50406, "the default fixtures were loaded");

    let healthcheck = cli(&dir.0, &listen).arg("healthcheck").output().unwrap();
    assert!(healthcheck.status.success(), "healthcheck passes while serving: {healthcheck:?}");

    // The command line works on the same private database while the server runs.
    let exported_dir = dir.0.join("exported");
    let export = cli(&dir.0, &listen).args(["fixtures", "export"]).arg(&exported_dir).output().unwrap();
    assert!(export.status.success(), "{export:?}");
    let exported_bundle = capillary_emulator::fixtures::Bundle::read_dir(&exported_dir).unwrap().merged();
    assert_eq!(exported_bundle["orgs"], exported["orgs"], "the command line exports what the server serves");
    let bundle_dir = dir.0.join("bundle");
    std::fs::create_dir_all(&bundle_dir).unwrap();
    let orgs = json!([
        {"org_id": 77, "name": "Written before the restart", "time_zone": "UTC"},
        {"org_id": 50406, "name": "Demo Org", "time_zone": "Asia/Kolkata"},
    ]);
    let tills = json!([{"till_id": 1, "org_id": 50406, "code": "demo.till", "password_md5": md5_hex(DEMO_PASSWORD)}]);
    std::fs::write(bundle_dir.join("orgs.json"), json!({"orgs": orgs, "tills": tills}).to_string()).unwrap();
    let load = cli(&dir.0, &listen).args(["fixtures", "load"]).arg(&bundle_dir).output().unwrap();
    assert!(load.status.success(), "{load:?}");
    assert_eq!(admin_get(&client, &first.base, "/__admin/fixtures").await["orgs"][0]["org_id"], 77);
    first.stop();

    let healthcheck = cli(&dir.0, &listen).arg("healthcheck").output().unwrap();
    assert!(!healthcheck.status.success(), "healthcheck fails when nothing serves");
    assert!(dir.pgdata().join("PG_VERSION").exists(), "the cluster lives under the data directory");
    assert!(!dir.postgres_running(), "the private PostgreSQL stopped with the emulator");

    let mut second = Emulator::start(&dir);
    second.wait_ready(&client).await;
    let exported = admin_get(&client, &second.base, "/__admin/fixtures").await;
    assert_eq!(
        exported["orgs"],
        json!([
            {"org_id": 77, "name": "Written before the restart", "time_zone": "UTC", "is_default": false, "clock": null},
            {"org_id": 50406, "name": "Demo Org", "time_zone": "Asia/Kolkata", "is_default": false, "clock": null},
        ])
    );

    // SIGTERM with a request in flight: a transaction of the test's holds a lock on the tills, so a
    // Basic-auth request waits for it; SIGTERM arrives; the request still completes once the lock
    // goes, and only then does the emulator exit and stop its PostgreSQL.
    let mut lock = dir.connect_options().connect().await.expect("the private PostgreSQL answers on its socket");
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE tills IN ACCESS EXCLUSIVE MODE").execute(&mut lock).await.unwrap();
    let whoami = format!("{}/__admin/whoami", second.base);
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            let response = client
                .get(whoami)
                .header("authorization", basic_auth(DEMO_TILL, DEMO_PASSWORD))
                .send()
                .await
                .expect("the request in flight is answered");
            (response.status(), response.json::<Value>().await.unwrap())
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!in_flight.is_finished(), "the request waits for the lock");
    second.signal(Signal::SIGTERM);
    // Once the signal is handled, no new connection is accepted...
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::Client::new().get(format!("{}/__admin/health", second.base)).send().await.is_ok() {
        assert!(Instant::now() < deadline, "the emulator stops accepting connections on SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ...but the emulator waits for the request in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(second.child.try_wait().unwrap().is_none(), "the emulator waits for the request in flight");
    assert!(!in_flight.is_finished(), "the request still waits for the lock");
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    lock.close().await.unwrap();
    let (status, body) = tokio::time::timeout(Duration::from_secs(30), in_flight).await.expect("answered after the lock").unwrap();
    assert_eq!((status.as_u16(), body["orgId"].clone()), (200, json!(50406)));
    let status = second.wait_exit(Duration::from_secs(60)).expect("the emulator exits after the request");
    assert!(status.success(), "the emulator exits cleanly on SIGTERM: {status}");
    assert!(!dir.postgres_running(), "the private PostgreSQL stopped after the request");
    assert!(dir.connect_options().connect().await.is_err(), "nothing answers on the socket");
}

/// The ids of the tenants the emulator at `base` lists.
async fn tenant_ids(client: &reqwest::Client, base: &str) -> Vec<String> {
    let list = admin_get(client, base, "/__admin/tenants").await;
    list.as_array().unwrap().iter().map(|tenant| tenant["id"].as_str().unwrap().to_owned()).collect()
}

async fn create_tenant(client: &reqwest::Client, base: &str, id: &str) {
    let response = client.post(format!("{base}/__admin/tenants")).bearer_auth("admin").json(&json!({"id": id})).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap());
}

/// The pid `postmaster.pid` names.
fn postmaster_pid(dir: &DataDir) -> i32 {
    let text = std::fs::read_to_string(dir.pgdata().join("postmaster.pid")).expect("postmaster.pid");
    text.lines().next().unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn after_a_kill_the_next_start_takes_over_and_loses_nothing() {
    let dir = DataDir::new();
    let client = reqwest::Client::new();

    // SIGKILL leaves the private PostgreSQL running...
    let mut first = Emulator::start(&dir);
    first.wait_ready(&client).await;
    create_tenant(&client, &first.base, "before-kill").await;
    first.signal(Signal::SIGKILL);
    first.wait_exit(Duration::from_secs(10)).expect("killed");
    assert!(dir.postgres_running(), "a killed emulator cannot stop its PostgreSQL");
    let orphan = postmaster_pid(&dir);

    // ...which the next start adopts: same server, same data, and stopped at its SIGTERM.
    let mut second = Emulator::start(&dir);
    second.wait_ready(&client).await;
    assert_eq!(postmaster_pid(&dir), orphan, "the server left running is reused");
    assert_eq!(tenant_ids(&client, &second.base).await, ["default", "before-kill"]);
    second.stop();
    assert!(!dir.postgres_running(), "the adopted PostgreSQL is stopped with the emulator that adopted it");

    // Both killed, as by a crash of the machine's processes: a stale lock naming a dead process.
    let mut third = Emulator::start(&dir);
    third.wait_ready(&client).await;
    create_tenant(&client, &third.base, "before-crash").await;
    let postmaster = postmaster_pid(&dir);
    third.signal(Signal::SIGKILL);
    third.wait_exit(Duration::from_secs(10)).expect("killed");
    let _ = nix::sys::signal::kill(Pid::from_raw(postmaster), Signal::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{postmaster}")).exists() {
        assert!(Instant::now() < deadline, "the postmaster dies");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(dir.postgres_running(), "its lock file stays behind");
    let mut fourth = Emulator::start(&dir);
    fourth.wait_ready(&client).await;
    assert_eq!(tenant_ids(&client, &fourth.base).await, ["default", "before-kill", "before-crash"]);
    fourth.stop();
    assert!(!dir.postgres_running());

    // A lock file naming a live process that is not PostgreSQL (its pid went to another program).
    let mut impostor = Command::new("sleep").arg("60").spawn().unwrap();
    let lock = format!(
        "{}\n{}\n1700000000\n5432\n{}\n\n  5432001         0\nready   \n",
        impostor.id(),
        dir.pgdata().display(),
        dir.0.join("run").display()
    );
    std::fs::write(dir.pgdata().join("postmaster.pid"), lock).unwrap();
    let mut fifth = Emulator::start(&dir);
    fifth.wait_ready(&client).await;
    assert_eq!(tenant_ids(&client, &fifth.base).await, ["default", "before-kill", "before-crash"]);
    assert_ne!(postmaster_pid(&dir), impostor.id() as i32, "a server of its own runs");
    fifth.stop();
    assert!(!dir.postgres_running());
    assert!(impostor.try_wait().unwrap().is_none(), "the other program was left alone");
    let _ = impostor.kill();
    let _ = impostor.wait();
}
