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
    /// Replace the default tenant's data with the startup bundle plus a generated universe of
    /// this many ledger entries (deterministic by seed), written with COPY, then ANALYZE.
    Generate {
        /// Points ledger entries to generate (e.g. 1000000).
        #[arg(long, default_value_t = 1_000_000)]
        ledger_entries: u64,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Generated orgs (900001, 900002, ...; tills gen1.till, gen2.till, ... with password demo123).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1000))]
        orgs: u32,
        /// Ledger entries per customer, on average (at least 20, so that every customer's
        /// achievements fit in its ledger).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(20..))]
        entries_per_customer: u64,
    },
    /// Write the Postman v2.1 collection of the documented samples to FILE (`-`: standard output).
    Postman {
        file: PathBuf,
        /// The collection's baseUrl; default: http:// and --listen.
        #[arg(long)]
        base_url: Option<String>,
    },
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
    /// Bearer token for the /__admin/ control plane [default: admin, only when listening on a
    /// loopback address].
    #[arg(long, env = "EMULATOR_ADMIN_TOKEN", global = true)]
    pub admin_token: Option<Secret>,
    /// Origins allowed by CORS, comma-separated (`scheme://host[:port]`); unset or `*`: every
    /// origin (echoed back, with credentials).
    #[arg(long, env = "EMULATOR_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin, global = true)]
    pub cors_origins: Vec<CorsOrigin>,
    /// Seconds a browser may cache a CORS preflight (`Access-Control-Max-Age`).
    #[arg(long, env = "EMULATOR_CORS_MAX_AGE", default_value_t = 600, global = true)]
    pub cors_max_age_secs: u64,
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
    /// "off" answers every read from the database, never from this process's memory of an
    /// identical earlier request (README "Response cache").
    #[arg(long, env = "EMULATOR_RESPONSE_CACHE", value_enum, default_value = "on", global = true)]
    pub response_cache: Switch,
    /// Connections the requests share in the database pool (which holds two more for the
    /// emulator's own work); unset: three per CPU core (at least 4).
    #[arg(long, env = "EMULATOR_DB_POOL_SIZE", value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub db_pool_size: Option<u32>,
    /// Log filter.
    #[arg(long = "log", env = "RUST_LOG", default_value = "info", global = true)]
    pub log_filter: String,
    /// Log lines as text (coloured only on a terminal) or as JSON objects, one per line.
    #[arg(long, env = "EMULATOR_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// One value of `EMULATOR_CORS_ORIGINS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    Any,
    Exact(String),
}

/// The origins browsers may call from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any origin, echoed back (unset, or `*` among the values).
    Any,
    /// Only these, as browsers send them (`scheme://host[:port]`, lower case).
    List(Vec<String>),
}

impl CorsOrigins {
    pub fn from_values(values: &[CorsOrigin]) -> CorsOrigins {
        if values.is_empty() || values.contains(&CorsOrigin::Any) {
            return CorsOrigins::Any;
        }
        CorsOrigins::List(
            values.iter().filter_map(|value| if let CorsOrigin::Exact(origin) = value { Some(origin.clone()) } else { None }).collect(),
        )
    }

    /// Only `origins` (each as a browser sends it).
    pub fn only(origins: &[&str]) -> CorsOrigins {
        CorsOrigins::List(origins.iter().map(|origin| (*origin).to_owned()).collect())
    }
}

/// An origin as a browser sends it in `Origin`: a scheme, `://`, a host and maybe a port,
/// nothing else; or `*`. Anything else fails at start, naming the value.
fn parse_origin(text: &str) -> Result<CorsOrigin, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(CorsOrigin::Any);
    }
    let Some((scheme, authority)) = text.split_once("://") else {
        return Err(format!("'{text}' is not an origin: it needs a scheme, as in http://localhost:3000"));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(format!("'{text}' is not an origin: '{scheme}' is not a scheme"));
    }
    if authority.contains('*') {
        return Err(format!("'{text}' is a pattern; list each origin, or use * alone for any origin"));
    }
    if authority.ends_with('/') {
        return Err(format!("'{text}' ends with '/'; browsers send origins without one: {}", text.trim_end_matches('/')));
    }
    if authority.contains(['/', '?', '#', ' ', '@']) {
        return Err(format!("'{text}' is not an origin: only scheme://host[:port], without a path, query or user"));
    }
    // An IPv6 host is bracketed: its colons are not the port's.
    let host_end = if authority.starts_with('[') { authority.find(']').map_or(authority.len(), |end| end + 1) } else { 0 };
    let (host, port) = match authority[host_end..].rfind(':') {
        Some(colon) => (&authority[..host_end + colon], Some(&authority[host_end + colon + 1..])),
        None => (authority, None),
    };
    if host.is_empty() || port.is_some_and(|port| port.parse::<u16>().is_err()) {
        return Err(format!("'{text}' is not an origin: it needs a host and at most a numeric port"));
    }
    Ok(CorsOrigin::Exact(text.to_ascii_lowercase()))
}

impl Settings {
    pub fn runtime(&self) -> RuntimeConfig {
        RuntimeConfig {
            auth_enabled: self.auth == Switch::On,
            admin_token: self.admin_token.clone().unwrap_or_else(|| Secret::from(DEFAULT_ADMIN_TOKEN)),
            cors_origins: CorsOrigins::from_values(&self.cors_origins),
            cors_max_age: Duration::from_secs(self.cors_max_age_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            body_limit: self.body_limit,
            clock: self.clock.map(|instant| instant.with_timezone(&Utc)),
            tenant_fixtures: self.startup_fixtures().cloned(),
            tenant_ttl: self.tenant_ttl,
            journal_size: self.journal_size,
            fault_header: self.fault_header == Switch::On,
            response_cache: self.response_cache == Switch::On,
        }
    }

    /// Refuses what would serve the well-known default admin token beyond this machine: a
    /// control plane that can replace all data must not be open to anyone on the network who has
    /// read the README.
    pub fn check_serving(&self) -> Result<(), String> {
        if self.admin_token.is_none() && !self.listen.ip().is_loopback() {
            return Err(format!(
                "EMULATOR_LISTEN is {}, which other machines can reach, and EMULATOR_ADMIN_TOKEN is not set, so the control plane \
                 (which can replace or export all data) would accept the default token '{DEFAULT_ADMIN_TOKEN}'; set EMULATOR_ADMIN_TOKEN \
                 (or --admin-token) to a token of your own, or listen on a loopback address such as 127.0.0.1",
                self.listen
            ));
        }
        Ok(())
    }

    /// The database pool's size: the flag, else three connections per core (at least 4). A
    /// request holds its connection while the emulator works between its statements, so a few
    /// more connections than cores keep PostgreSQL busy; more only add backends contending for
    /// the same CPUs (on 2 cores, v3 targetGroups' cold mix ran best at 6 to 8 of 3, 4, 6, 8, 12 and 16).
    pub fn pool_size(&self) -> u32 {
        self.db_pool_size.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(2, |cores| cores.get() as u32);
            (cores * 3).max(4)
        })
    }

    /// The bundle to load into an empty database, unless disabled with "none".
    pub fn startup_fixtures(&self) -> Option<&PathBuf> {
        (self.fixtures.as_os_str() != "none" && !self.fixtures.as_os_str().is_empty()).then_some(&self.fixtures)
    }
}

/// The admin token when none is set, accepted only on a loopback address.
pub const DEFAULT_ADMIN_TOKEN: &str = "admin";

/// What the running app needs from the configuration.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub auth_enabled: bool,
    pub admin_token: Secret,
    pub cors_origins: CorsOrigins,
    pub cors_max_age: Duration,
    pub request_timeout: Duration,
    pub body_limit: usize,
    pub clock: Option<DateTime<Utc>>,
    /// The bundle a tenant created without one gets; `None`: an empty universe.
    pub tenant_fixtures: Option<PathBuf>,
    pub tenant_ttl: Option<Duration>,
    pub journal_size: usize,
    pub fault_header: bool,
    pub response_cache: bool,
}

impl Default for RuntimeConfig {
    fn default() -> RuntimeConfig {
        RuntimeConfig {
            auth_enabled: true,
            admin_token: Secret::from(DEFAULT_ADMIN_TOKEN),
            cors_origins: CorsOrigins::Any,
            cors_max_age: Duration::from_secs(600),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            clock: None,
            tenant_fixtures: Some(PathBuf::from("fixtures/default")),
            tenant_ttl: None,
            journal_size: 1000,
            fault_header: true,
            response_cache: true,
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
        assert_eq!(cli.settings.runtime().admin_token.expose(), "s3cret-token");
    }

    fn serving(args: &[&str]) -> Result<(), String> {
        Cli::try_parse_from([&["capillary-emulator"], args].concat()).unwrap().settings.check_serving()
    }

    #[test]
    fn the_default_admin_token_is_served_only_on_loopback() {
        assert_eq!(serving(&["--listen", "127.0.0.1:8080"]), Ok(()));
        assert_eq!(serving(&["--listen", "[::1]:8080"]), Ok(()));
        assert_eq!(serving(&["--listen", "0.0.0.0:8080", "--admin-token", "mine"]), Ok(()));
        assert_eq!(serving(&["--listen", "0.0.0.0:8080", "--admin-token", "admin"]), Ok(()), "a token set on purpose is a choice");
        let refused = serving(&["--listen", "0.0.0.0:8080"]).unwrap_err();
        assert!(refused.starts_with("EMULATOR_LISTEN is 0.0.0.0:8080, which other machines can reach"), "{refused}");
        assert!(refused.contains("set EMULATOR_ADMIN_TOKEN"), "{refused}");
        assert!(serving(&["--listen", "192.168.1.5:80"]).is_err());
    }

    fn origins(value: &str) -> Result<CorsOrigins, String> {
        Cli::try_parse_from(["capillary-emulator", "--cors-origins", value])
            .map(|cli| cli.settings.runtime().cors_origins)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn cors_origins_accept_a_star_and_exact_origins() {
        assert_eq!(origins("*"), Ok(CorsOrigins::Any));
        assert_eq!(origins("http://a.example,*"), Ok(CorsOrigins::Any));
        assert_eq!(
            origins("http://localhost:3000, https://App.example"),
            Ok(CorsOrigins::only(&["http://localhost:3000", "https://app.example"]))
        );
        assert_eq!(origins("http://[::1]:8080"), Ok(CorsOrigins::only(&["http://[::1]:8080"])));
    }

    #[test]
    fn bad_cors_origins_fail_naming_the_value() {
        for (value, says) in [
            ("localhost:3000", "needs a scheme"),
            ("http://localhost:3000/", "ends with '/'"),
            ("https://*.example.com", "is a pattern"),
            ("http://a.example/app", "without a path"),
            ("http://a.example:port", "numeric port"),
            ("http://", "needs a host"),
            ("1http://a.example", "not a scheme"),
        ] {
            let error = origins(value).expect_err(value);
            assert!(error.contains(value) && error.contains(says), "{value}: {error}");
        }
    }
}
