//! Integration tests over HTTP against a real PostgreSQL, one fresh database per test.
//! One test binary with a module per area keeps linking cheap.

mod harness;
mod helpers;
mod process;
mod strict_json;

mod admin;
mod auth;
mod browser;
mod current;
mod das;
mod embedded;
mod envelopes;
mod explode;
mod faults;
mod fixtures;
mod journal;
mod openapi;
mod postman;
mod replicas;
mod samples;
mod sandbox;
mod sequences;
mod target_groups;
mod tenants;
mod universe;
