//! Flags and environment variables. Every setting is both.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "capillary-emulator", version, about = "A local, stateful emulator of Capillary's loyalty APIs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Load or export fixture bundles.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// Exit 0 when the running emulator at --listen answers ready.
    Healthcheck,
}

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Replace all data with the bundle in DIR (in one transaction).
    Load { dir: PathBuf },
    /// Write all data as a bundle into DIR.
    Export { dir: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to serve on.
    #[arg(long, env = "EMULATOR_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,
    /// An external PostgreSQL; the database is created if missing. Unset: a private PostgreSQL.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<Secret>,
    /// Where the private PostgreSQL keeps its data when DATABASE_URL is unset.
    #[arg(long, env = "EMULATOR_DATA_DIR", default_value = "./.emulator", global = true)]
    pub data_dir: PathBuf,
    /// The bundle loaded into an empty database at start ("none": start empty).
    #[arg(long, env = "EMULATOR_FIXTURES", default_value = "fixtures/default", global = true)]
    pub fixtures: PathBuf,
    /// "off" lets requests without credentials act as the default org.
    #[arg(long, env = "EMULATOR_AUTH", value_enum, default_value = "on", global = true)]
    pub auth: Switch,
    /// Bearer token for the /__admin/ control plane.
    #[arg(long, env = "EMULATOR_ADMIN_TOKEN", default_value = "admin", global = true)]
    pub admin_token: Secret,
    /// Origins allowed by CORS, comma-separated; unset: every origin (echoed back, with credentials).
    #[arg(long, env = "EMULATOR_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,
    /// Seconds a request may take before it is answered with 408.
    #[arg(long, env = "EMULATOR_REQUEST_TIMEOUT", default_value_t = 30, global = true)]
    pub request_timeout_secs: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "EMULATOR_BODY_LIMIT", default_value_t = 1024 * 1024, global = true)]
    pub body_limit: usize,
    /// Freeze the emulator's clock at this instant (RFC 3339, e.g. 2024-06-20T12:30:00+05:30).
    #[arg(long, env = "EMULATOR_CLOCK", global = true)]
    pub clock: Option<DateTime<FixedOffset>>,
    /// Remove tenants nobody has used for this long (e.g. 2h, P1D); unset: keep them.
    #[arg(long, env = "EMULATOR_TENANT_TTL", value_parser = parse_ttl, global = true)]
    pub tenant_ttl: Option<std::time::Duration>,
    /// Requests kept in each tenant's journal (oldest dropped first); 0 turns the journal off.
    #[arg(long, env = "EMULATOR_JOURNAL_SIZE", default_value_t = 1000, global = true)]
    pub journal_size: usize,
    /// "off" ignores the X-Emulator-Fault request header.
    #[arg(long, env = "EMULATOR_FAULT_HEADER", value_enum, default_value = "on", global = true)]
    pub fault_header: Switch,
    /// Log filter.
    #[arg(long = "log", env = "RUST_LOG", default_value = "info", global = true)]
    pub log_filter: String,
}

impl Settings {
    pub fn runtime(&self) -> RuntimeConfig {
        RuntimeConfig {
            auth_enabled: self.auth == Switch::On,
            admin_token: self.admin_token.clone(),
            cors_origins: self.cors_origins.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            body_limit: self.body_limit,
            clock: self.clock.map(|instant| instant.with_timezone(&Utc)),
            tenant_fixtures: self.startup_fixtures().cloned(),
            tenant_ttl: self.tenant_ttl,
            journal_size: self.journal_size,
            fault_header: self.fault_header == Switch::On,
        }
    }

    /// The bundle to load into an empty database, unless disabled with "none".
    pub fn startup_fixtures(&self) -> Option<&PathBuf> {
        (self.fixtures.as_os_str() != "none" && !self.fixtures.as_os_str().is_empty()).then_some(&self.fixtures)
    }
}

/// What the running app needs from the configuration.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub auth_enabled: bool,
    pub admin_token: Secret,
    pub cors_origins: Vec<String>,
    pub request_timeout: Duration,
    pub body_limit: usize,
    pub clock: Option<DateTime<Utc>>,
    /// The bundle a tenant created without one gets; `None`: an empty universe.
    pub tenant_fixtures: Option<PathBuf>,
    pub tenant_ttl: Option<Duration>,
    pub journal_size: usize,
    pub fault_header: bool,
}

impl Default for RuntimeConfig {
    fn default() -> RuntimeConfig {
        RuntimeConfig {
            auth_enabled: true,
            admin_token: Secret::from("admin"),
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            clock: None,
            tenant_fixtures: Some(PathBuf::from("fixtures/default")),
            tenant_ttl: None,
            journal_size: 1000,
            fault_header: true,
        }
    }
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let ttl = crate::platform::clock::parse_duration(text)?;
    ttl.to_std().ok().filter(|ttl| !ttl.is_zero()).ok_or_else(|| format!("'{text}' must be a positive duration"))
}

/// A setting that must not show up in logs: `Debug` prints it redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(text.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Secret {
        Secret(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let cli = Cli::parse_from(["capillary-emulator", "--admin-token", "s3cret-token", "--database-url", "postgres://u:pw-123@h/db"]);
        let printed = format!("{cli:?} {:?}", cli.settings.runtime());
        assert!(!printed.contains("s3cret-token") && !printed.contains("pw-123"), "{printed}");
        assert_eq!(cli.settings.admin_token.expose(), "s3cret-token");
    }
}
