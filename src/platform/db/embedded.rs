//! A private PostgreSQL run from the machine's own binaries, with its data under the emulator's
//! data directory and listening only on a Unix socket there.

use std::{
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
    process::Output,
};

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;
use tokio::process::Command;

const PORT: u16 = 5432;
const SUPERUSER: &str = "postgres";
const DATABASE: &str = "emulator";

const INSTALL_HINT: &str = "install PostgreSQL (for example `apt-get install postgresql`) or set DATABASE_URL to an existing server";

pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    /// The unprivileged user the server runs as when the emulator runs as root.
    run_as: Option<(u32, u32)>,
    /// Whether this process started the server (and so stops it).
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Starts the server, creating its cluster on first use; reuses one already running there.
    pub async fn start(data_dir: &Path) -> anyhow::Result<EmbeddedPostgres> {
        let bin_dir = find_binaries()
            .with_context(|| format!("no PostgreSQL binaries found on PATH or under /usr/lib/postgresql: {INSTALL_HINT}"))?;
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let data_dir = std::fs::canonicalize(data_dir)?;
        let pgdata = data_dir.join("pgdata");
        let socket_dir = data_dir.join("run");
        std::fs::create_dir_all(&socket_dir)?;
        let run_as = unprivileged_user()?;
        if let Some((uid, gid)) = run_as {
            check_reachable(&data_dir, uid)?;
            for dir in [&data_dir, &socket_dir] {
                std::os::unix::fs::chown(dir, Some(uid), Some(gid))
                    .with_context(|| format!("cannot hand {} to the PostgreSQL user", dir.display()))?;
            }
        }
        let mut server = EmbeddedPostgres { bin_dir, data_dir, pgdata, socket_dir, run_as, started_here: false };
        if !server.pgdata.join("PG_VERSION").exists() {
            server.init_cluster().await?;
        }
        server.clear_lock_of_another_process()?;
        if server.pg_ctl(&["status"]).await?.status.success() {
            server.check_answers()?;
            if owner_is_alive(&server.owner_file()) {
                tracing::info!(pgdata = %server.pgdata.display(), "reusing the private PostgreSQL that a running emulator started");
            } else {
                // Its emulator was killed: this process takes it over, and stops it at the end.
                server.started_here = true;
                server.claim()?;
                tracing::info!(pgdata = %server.pgdata.display(), "adopted the private PostgreSQL left running by an emulator that is gone");
            }
        } else {
            let log = server.data_dir.join("postgresql.log");
            let log = log.to_string_lossy().into_owned();
            let output = server.pg_ctl(&["-l", &log, "-w", "-t", "60", "start"]).await?;
            if !output.status.success() {
                bail!("the private PostgreSQL did not start (see {log}): {}", String::from_utf8_lossy(&output.stderr).trim());
            }
            server.started_here = true;
            server.claim()?;
            tracing::info!(pgdata = %server.pgdata.display(), "started the private PostgreSQL");
        }
        Ok(server)
    }

    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new().socket(&self.socket_dir).port(PORT).username(SUPERUSER).database(DATABASE)
    }

    pub async fn stop(self) {
        if !self.started_here {
            return;
        }
        match self.pg_ctl(&["-m", "fast", "-w", "stop"]).await {
            Ok(output) if output.status.success() => tracing::info!("stopped the private PostgreSQL"),
            Ok(output) => tracing::warn!(stderr = %String::from_utf8_lossy(&output.stderr).trim(), "could not stop the private PostgreSQL"),
            Err(error) => tracing::warn!(%error, "could not stop the private PostgreSQL"),
        }
        let _ = std::fs::remove_file(self.owner_file());
    }

    /// Where the emulator that stops the server names itself: its pid and the start time of that
    /// process, so that a later start can tell a live owner from a killed one (whose pid may have
    /// been reused).
    fn owner_file(&self) -> PathBuf {
        self.data_dir.join("owner.pid")
    }

    fn claim(&self) -> anyhow::Result<()> {
        let me = std::process::id();
        let started = process_start_time(me).unwrap_or_default();
        std::fs::write(self.owner_file(), format!("{me} {started}\n"))
            .with_context(|| format!("cannot write {}", self.owner_file().display()))
    }

    /// A `postmaster.pid` naming a live process that is not PostgreSQL (the server died and its pid
    /// went to another program) would make `pg_ctl` believe the server runs and PostgreSQL refuse
    /// to start: it is stale, and removed with the socket's lock file.
    fn clear_lock_of_another_process(&self) -> anyhow::Result<()> {
        let lock = self.pgdata.join("postmaster.pid");
        let Some(pid) = std::fs::read_to_string(&lock).ok().and_then(|text| text.lines().next()?.trim().parse::<i32>().ok()) else {
            return Ok(());
        };
        // A process that is gone is PostgreSQL's own business: it starts over a stale lock.
        if is_postgres(pid) != Some(false) {
            return Ok(());
        }
        tracing::warn!(pid, lock = %lock.display(), "the private PostgreSQL's lock file names a process that is not PostgreSQL; removing the stale lock");
        for stale in [lock, self.socket_dir.join(format!(".s.PGSQL.{PORT}.lock"))] {
            match std::fs::remove_file(&stale) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!("the stale lock file {} names process {pid}, which is not PostgreSQL, and cannot be removed; remove it and start again", stale.display())
                    });
                }
            }
        }
        Ok(())
    }

    /// A server said to be running answers on its socket; else say what to do rather than leave
    /// the start to fail with "connection refused".
    fn check_answers(&self) -> anyhow::Result<()> {
        let socket = self.socket_dir.join(format!(".s.PGSQL.{PORT}"));
        if socket.exists() {
            return Ok(());
        }
        let lock = self.pgdata.join("postmaster.pid");
        let pid = std::fs::read_to_string(&lock).ok().and_then(|text| text.lines().next().map(|line| line.trim().to_owned()));
        bail!(
            "{} names process {} as the private PostgreSQL, but no server listens on {}; \
             if no PostgreSQL runs on {}, remove {} and start again",
            lock.display(),
            pid.as_deref().unwrap_or("?"),
            socket.display(),
            self.pgdata.display(),
            lock.display()
        );
    }

    async fn init_cluster(&self) -> anyhow::Result<()> {
        let pgdata = self.pgdata.to_string_lossy().into_owned();
        let output = self
            .command("initdb")
            .args(["-D", &pgdata, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale"])
            .output()
            .await
            .context("cannot run initdb")?;
        if !output.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        let socket_dir = self.socket_dir.to_string_lossy();
        if socket_dir.contains('\'') {
            bail!("the data directory path must not contain a single quote");
        }
        // Loopback is not even needed: the emulator talks to its server over the socket only.
        let settings = format!(
            "\n# capillary-emulator\nlisten_addresses = ''\nunix_socket_directories = '{socket_dir}'\nport = {PORT}\nmax_connections = 50\nshared_buffers = 32MB\n"
        );
        let conf = self.pgdata.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(&settings);
        std::fs::write(&conf, text)?;
        Ok(())
    }

    async fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<Output> {
        let pgdata = self.pgdata.to_string_lossy().into_owned();
        let mut command = self.command("pg_ctl");
        command.arg("-D").arg(&pgdata).args(args);
        // Its own process group: a Ctrl-C in the terminal reaches the emulator, which then stops
        // the server in order, rather than both at once.
        command.process_group(0);
        command.output().await.context("cannot run pg_ctl")
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        command.current_dir(&self.data_dir).env_remove("PGDATA").kill_on_drop(false);
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }
}

/// Whether the emulator named in `owner_file` still runs (the same process: same pid, same start
/// time).
fn owner_is_alive(owner_file: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(owner_file) else { return false };
    let mut words = text.split_whitespace();
    let (Some(Ok(pid)), Some(Ok(started))) = (words.next().map(str::parse::<u32>), words.next().map(str::parse::<u64>)) else {
        return false;
    };
    process_start_time(pid) == Some(started)
}

/// When process `pid` started, in clock ticks since boot (`/proc/PID/stat`, field 22); `None`
/// when it does not run.
fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(19)?.parse().ok()
}

/// Whether process `pid` is a PostgreSQL server, when that can be read.
fn is_postgres(pid: i32) -> Option<bool> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(matches!(name.trim(), "postgres" | "postmaster"))
}

/// The directory holding `initdb` and `pg_ctl`: on PATH, else the newest /usr/lib/postgresql/N/bin.
fn find_binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|dir| has_both(dir))
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_both(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// PostgreSQL refuses to run as root: as root, run it as `postgres` (or `nobody`).
fn unprivileged_user() -> anyhow::Result<Option<(u32, u32)>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Some(user) = nix::unistd::User::from_name(name)? {
            return Ok(Some((user.uid.as_raw(), user.gid.as_raw())));
        }
    }
    bail!("running as root, but there is no 'postgres' or 'nobody' user to run PostgreSQL as");
}

/// The unprivileged user must be able to reach the data directory through its parents.
fn check_reachable(data_dir: &Path, uid: u32) -> anyhow::Result<()> {
    for ancestor in data_dir.ancestors().skip(1) {
        let metadata = std::fs::metadata(ancestor)?;
        let mode = metadata.permissions().mode();
        let reachable = mode & 0o001 != 0 || (metadata.uid() == uid && mode & 0o100 != 0);
        if !reachable {
            bail!(
                "the private PostgreSQL runs as an unprivileged user, who cannot reach {} (mode {:o}); \
                 choose an EMULATOR_DATA_DIR under a world-searchable directory or set DATABASE_URL",
                ancestor.display(),
                mode & 0o777
            );
        }
    }
    Ok(())
}
