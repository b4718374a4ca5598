//! The database: an external server from `DATABASE_URL`, or a private PostgreSQL under the data
//! directory; migrations run at every start.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    ConnectOptions, Connection, Executor, PgConnection, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::platform::config::Settings;

pub mod embedded;
pub mod health;
pub mod reuse;

pub static MIGRATOR: Migrator = sqlx::migrate!();

/// The version of the newest migration: the shape a tenant's schema is made in.
pub fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|migration| migration.version).max().unwrap_or(0)
}

/// An open database, and the private server behind it when the emulator runs its own.
pub struct Database {
    pub pool: PgPool,
    embedded: Option<embedded::EmbeddedPostgres>,
}

impl Database {
    /// Connects (starting the private server if needed) and applies the migrations.
    pub async fn open(settings: &Settings) -> anyhow::Result<Database> {
        let (options, embedded) = match &settings.database_url {
            Some(url) => (PgConnectOptions::from_str(url.expose()).context("DATABASE_URL is not a valid PostgreSQL URL")?, None),
            None => {
                let server = embedded::EmbeddedPostgres::start(&settings.data_dir).await?;
                (server.connect_options(), Some(server))
            }
        };
        create_database_if_missing(&options).await?;
        let pool = pool_options(settings.pool_size()).connect_with(options).await.context("cannot connect to PostgreSQL")?;
        MIGRATOR.run(&pool).await.context("cannot apply the migrations")?;
        Ok(Database { pool, embedded })
    }

    /// Closes the pool and stops the private server, if this process started it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(server) = self.embedded {
            server.stop().await;
        }
    }
}

/// How the service's pool is set up (the tests' pools too, so they run as the service does):
/// `request_connections` for requests (`reuse`), and [`reuse::HEADROOM`] more for the rest.
pub fn pool_options(request_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(request_connections + reuse::HEADROOM)
        // A database that stops answering gives 503s, not hanging requests.
        .acquire_timeout(Duration::from_secs(5))
        // No round trip before each acquire: a broken connection fails its statement, which
        // marks the database down (db::health) and is answered 503, as a failed ping would be.
        .test_before_acquire(false)
        .after_connect(|connection, _| Box::pin(async move { prepare_connection(connection).await }))
}

/// Session settings of every pooled connection. The endpoints' statements have optional filters
/// (`$4 IS NULL OR …`) and `LIMIT $n`, which make PostgreSQL plan each execution anew (custom
/// plans) at several times the cost of running it; a generic plan is made once per connection and
/// uses the same indexes, since every statement is anchored on the org and customer. Unqualified
/// names resolve in `public`, the default tenant's universe, so its requests need no statement to
/// say so (other tenants' connections come from `tenant_pool`).
pub async fn prepare_connection(connection: &mut PgConnection) -> sqlx::Result<()> {
    connection.execute("SET plan_cache_mode = force_generic_plan; SET search_path = public").await.map(drop)
}

/// A second pool beside `pool`, to the same server and as large, for the requests of tenants other
/// than `default`: each of them names its schema on the connection it takes, so the connections
/// of the default tenant's pool always stay in `public`. Connects only when first used.
pub fn tenant_pool(pool: &PgPool) -> PgPool {
    pool_options(reuse::request_connections(pool)).connect_lazy_with((*pool.connect_options()).clone())
}

async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options.get_database().unwrap_or("postgres").to_owned();
    if name == "postgres" {
        return Ok(());
    }
    let mut admin: PgConnection = options.clone().database("postgres").connect().await.context("cannot connect to PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)").bind(&name).fetch_one(&mut admin).await?;
    if !exists {
        let statement = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        admin.execute(sqlx::AssertSqlSafe(statement)).await.with_context(|| format!("cannot create database {name}"))?;
    }
    admin.close().await?;
    Ok(())
}
