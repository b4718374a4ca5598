//! The emulator as a process, without DATABASE_URL: it runs its own PostgreSQL under the data
//! directory, and the data survives a restart.

use std::{
    net::TcpListener,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

struct Emulator {
    child: Child,
    base: String,
}

impl Emulator {
    fn start(data_dir: &Path, port: u16) -> Emulator {
        let child = cli(data_dir, port).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("the emulator binary starts");
        Emulator { child, base: format!("http://127.0.0.1:{port}") }
    }

    async fn wait_ready(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(response) = client.get(format!("{}/__admin/ready", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the emulator exited early: {status}");
            }
            assert!(Instant::now() < deadline, "the emulator did not become ready");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGTERM, then wait for a clean exit.
    fn stop(mut self) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the emulator exits cleanly on SIGTERM: {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the emulator did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The emulator's command line, configured for the private database under `data_dir`.
fn cli(data_dir: &Path, port: u16) -> Command {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default");
    let mut command = Command::new(env!("CARGO_BIN_EXE_capillary-emulator"));
    command
        .env_remove("DATABASE_URL")
        .env("EMULATOR_DATA_DIR", data_dir)
        .env("EMULATOR_LISTEN", format!("127.0.0.1:{port}"))
        .env("EMULATOR_FIXTURES", fixtures)
        .env("RUST_LOG", "warn");
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A data directory every user can reach, since as root the private server runs unprivileged:
/// under the system's temporary directory (world-searchable), not under the checkout, which may
/// sit in a private home directory.
fn data_dir() -> PathBuf {
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
    dir
}

async fn admin_get(client: &reqwest::Client, base: &str, path: &str) -> Value {
    client.get(format!("{base}{path}")).bearer_auth("admin").send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn runs_its_own_postgres_and_keeps_data_across_restarts() {
    let dir = data_dir();
    let port = free_port();
    let client = reqwest::Client::new();

    let mut first = Emulator::start(&dir, port);
    first.wait_ready(&client).await;
    let exported = admin_get(&client, &first.base, "/__admin/fixtures").await;
    assert_eq!(exported["orgs"][0]["org_id"], 50406, "the default fixtures were loaded");

    let healthcheck = cli(&dir, port).arg("healthcheck").output().unwrap();
    assert!(healthcheck.status.success(), "healthcheck passes while serving: {healthcheck:?}");

    // The command line works on the same private database while the server runs.
    let exported_dir = dir.join("exported");
    let export = cli(&dir, port).args(["fixtures", "export"]).arg(&exported_dir).output().unwrap();
    assert!(export.status.success(), "{export:?}");
    let exported_bundle = capillary_emulator::fixtures::Bundle::read_dir(&exported_dir).unwrap().merged();
    assert_eq!(exported_bundle["orgs"], exported["orgs"], "the command line exports what the server serves");
    let bundle_dir = dir.join("bundle");
    std::fs::create_dir_all(&bundle_dir).unwrap();
    let bundle = json!({"orgs": [{"org_id": 77, "name": "Written before the restart", "time_zone": "UTC"}]});
    std::fs::write(bundle_dir.join("orgs.json"), bundle.to_string()).unwrap();
    let load = cli(&dir, port).args(["fixtures", "load"]).arg(&bundle_dir).output().unwrap();
    assert!(load.status.success(), "{load:?}");
    assert_eq!(admin_get(&client, &first.base, "/__admin/fixtures").await["orgs"][0]["org_id"], 77);
    first.stop();

    let healthcheck = cli(&dir, port).arg("healthcheck").output().unwrap();
    assert!(!healthcheck.status.success(), "healthcheck fails when nothing serves");
    assert!(dir.join("pgdata/PG_VERSION").exists(), "the cluster lives under the data directory");

    let mut second = Emulator::start(&dir, port);
    second.wait_ready(&client).await;
    let exported = admin_get(&client, &second.base, "/__admin/fixtures").await;
    assert_eq!(
        exported["orgs"],
        json!([{"org_id": 77, "name": "Written before the restart", "time_zone": "UTC", "is_default": false, "clock": null}])
    );
    second.stop();
    let _ = std::fs::remove_dir_all(dir);
}
