//! The command line: wires configuration, database and server together.

use std::{io::IsTerminal, process::ExitCode, time::Duration};

use anyhow::Context;
use capillary_emulator::{
    AppState,
    config::{Cli, Command, FixturesCommand, LogFormat, Settings},
    db::Database,
    fixtures::{self, Bundle},
    platform::generate,
    store,
};
use clap::Parser;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mimalloc.h` (v2 and v3 alike); the bindings do not
/// name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Freed memory goes back to the system at once rather than after a delay: with the delay, a
    // busy server's RSS kept what its peaks had freed (`scripts/soak`: +20 % in 20 s).
    // SAFETY: sets a process-wide option before the runtime starts any other thread.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("cannot start the Tokio runtime").block_on(run())
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli.settings);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.settings).await,
        Command::Migrate => with_database(&cli.settings, |_pool| async { Ok(()) }).await,
        Command::Fixtures(FixturesCommand::Load { dir }) => {
            with_database(&cli.settings, |pool| async move {
                let bundle = Bundle::read_dir(&dir)?;
                let summary = fixtures::load(&pool, &bundle, &dir.display().to_string()).await?;
                println!("loaded {} records from {}", summary.records, dir.display());
                Ok(())
            })
            .await
        }
        Command::Fixtures(FixturesCommand::Export { dir }) => {
            with_database(&cli.settings, |pool| async move {
                fixtures::export(&pool, "public").await?.write_dir(&dir)?;
                println!("exported the universe to {}", dir.display());
                Ok(())
            })
            .await
        }
        Command::Generate { ledger_entries, seed, orgs, entries_per_customer } => {
            let plan = generate::Plan { seed, ledger_entries, orgs, entries_per_customer };
            let settings = &cli.settings;
            with_database(settings, |pool| async move { generate_universe(settings, &pool, &plan).await }).await
        }
        Command::Healthcheck => healthcheck(&cli.settings).await,
        Command::Postman { file, base_url } => write_postman(&cli.settings, &file, base_url),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Text logs are coloured only on a terminal (a file or a pipe gets no escape codes); JSON logs
/// are one object per line, for log collectors.
fn init_logs(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match settings.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stdout().is_terminal()).init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
}

async fn with_database<F, Fut>(settings: &Settings, work: F) -> anyhow::Result<()>
where
    F: FnOnce(PgPool) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let db = Database::open(settings).await?;
    let outcome = work(db.pool.clone()).await;
    db.close().await;
    outcome
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    settings.check_serving().map_err(anyhow::Error::msg)?;
    let db = Database::open(settings).await?;
    let outcome = async {
        load_startup_fixtures(settings, &db).await?;
        let state = AppState::new(db.pool.clone(), settings.runtime()).await?;
        let listener = TcpListener::bind(settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
        tracing::info!(address = %listener.local_addr()?, "serving");
        capillary_emulator::serve(listener, state, shutdown_signal()).await?;
        anyhow::Ok(())
    }
    .await;
    db.close().await;
    outcome
}

/// Loads the configured bundle into a database that has none yet.
async fn load_startup_fixtures(settings: &Settings, db: &Database) -> anyhow::Result<()> {
    if store::meta::default_bundle_source(&db.pool).await?.is_some() || !store::meta::default_universe_is_empty(&db.pool).await? {
        return Ok(());
    }
    let (bundle, source) = match settings.startup_fixtures() {
        Some(dir) => (Bundle::read_dir(dir).context("cannot read the startup fixtures (EMULATOR_FIXTURES)")?, dir.display().to_string()),
        None => (Bundle::default(), "none".to_owned()),
    };
    let summary = fixtures::load(&db.pool, &bundle, &source).await?;
    tracing::info!(records = summary.records, %source, "loaded fixtures");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Writes the Postman collection, aimed at `base_url` or at `--listen`.
fn write_postman(settings: &Settings, file: &std::path::Path, base_url: Option<String>) -> anyhow::Result<()> {
    let base_url = base_url.unwrap_or_else(|| format!("http://{}", settings.listen));
    let text = serde_json::to_string_pretty(&capillary_emulator::docs::postman::collection(&base_url))?;
    if file.as_os_str() == "-" {
        println!("{text}");
    } else {
        std::fs::write(file, text + "\n").with_context(|| format!("cannot write {}", file.display()))?;
        println!("wrote the Postman collection to {}", file.display());
    }
    Ok(())
}

/// Loads the startup bundle and a generated universe into the default tenant; a progress bar with
/// rate and ETA on a terminal, the figures at the end.
async fn generate_universe(settings: &Settings, pool: &PgPool, plan: &generate::Plan) -> anyhow::Result<()> {
    let (bundle, source) = match settings.startup_fixtures() {
        Some(dir) => (Bundle::read_dir(dir)?, dir.display().to_string()),
        None => (Bundle::default(), "none".to_owned()),
    };
    let progress = if std::io::stderr().is_terminal() {
        let style = indicatif::ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} ledger entries, {per_sec}, ETA {eta}")?;
        indicatif::ProgressBar::new(plan.ledger_entries).with_style(style)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let figures = generate::generate(pool, &bundle, &source, plan, &progress).await?;
    let seconds = figures.elapsed.as_secs_f64();
    let entries = figures.rows_of("points_ledger_entries");
    println!(
        "generated {entries} ledger entries (seed {}) in {seconds:.1} s, {:.0} ledger entries/s, over {} and the bundle {source}",
        plan.seed,
        entries as f64 / seconds.max(0.001),
        if plan.orgs == 1 { "1 org".to_owned() } else { format!("{} orgs", plan.orgs) }
    );
    for (table, rows) in figures.rows.iter().filter(|(_, rows)| *rows > 0) {
        println!("  {table:<28} {rows:>10}");
    }
    Ok(())
}

/// Exits 0 when the emulator at `--listen` answers `/__admin/ready` with 200.
async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    let mut address = settings.listen;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let response = client.get(format!("http://{address}/__admin/ready")).send().await.context("the emulator does not answer")?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "not ready: {status} {}", response.text().await.unwrap_or_default());
    println!("ready");
    Ok(())
}
