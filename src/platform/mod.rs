//! What the service runs on: configuration, shared state, the clock, the database (pool,
//! private PostgreSQL, migrations), token keys and fixture bundles.

pub mod cache;
pub mod clock;
pub mod config;
pub mod db;
pub mod fixtures;
pub mod generate;
pub mod journal;
pub mod state;
pub mod tenants;
pub mod tokens;
