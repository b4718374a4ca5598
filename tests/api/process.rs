//! The emulator binary as a child process, for tests of what only the process does (listening,
//! logging, several processes on one database).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use crate::helpers::TestApp;

pub struct Process {
    pub child: Child,
    pub base: String,
    /// What it printed until it listened.
    pub printed: Vec<String>,
    /// What it prints after that, line by line.
    output: Option<mpsc::Receiver<String>>,
}

impl Process {
    /// The emulator binary on `database_url` (which holds the default bundle already), listening
    /// on a port it picks itself; new tenants get `fixtures/default`.
    pub fn start(database_url: &str) -> Process {
        Process::start_with(database_url, &[])
    }

    pub fn start_with(database_url: &str, env: &[(&str, &str)]) -> Process {
        let child = Command::new(env!("CARGO_BIN_EXE_capillary-emulator"))
            .envs(env.iter().copied())
            .env("DATABASE_URL", database_url)
            .env("EMULATOR_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the emulator binary starts");
        // Killed on drop, whatever happens next.
        let mut process = Process { child, base: String::new(), printed: Vec::new(), output: None };
        let (sender, receiver) = mpsc::channel();
        let outputs = [
            Box::new(process.child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(process.child.stderr.take().unwrap()),
        ];
        for output in outputs {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line =
                receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the emulator says where it listens");
            let plain = strip_ansi(&line);
            process.printed.push(line);
            // Text logs say `address=…`, JSON logs `"address":"…"`.
            let text = plain.split("address=").nth(1).and_then(|rest| rest.split_whitespace().next());
            let json = plain.split("\"address\":\"").nth(1).and_then(|rest| rest.split('"').next());
            if let Some(address) = text.or(json) {
                process.base = format!("http://{address}");
                process.output = Some(receiver);
                return process;
            }
        }
    }
}

impl Process {
    /// Everything it printed, once it has exited (stops it with SIGTERM first).
    pub fn stop_and_collect_output(mut self) -> Vec<String> {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
        let mut printed = std::mem::take(&mut self.printed);
        if let Some(output) = self.output.take() {
            // The readers end when the pipes close, after the exit.
            printed.extend(output.iter());
        }
        printed
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The URL of the test's own database.
pub async fn database_url(app: &TestApp) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&app.pool).await.unwrap();
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let server = server.split('?').next().unwrap();
    format!("{}/{name}", &server[..server.rfind('/').unwrap()])
}
