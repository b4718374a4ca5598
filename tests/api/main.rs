//! Integration tests over HTTP against a real PostgreSQL, one fresh database per test (copied from
//! a template built once per run: `harness.rs`). One test binary with a module per area keeps
//! linking cheap. The documents' samples are data (`tests/samples/`), compared by one strict
//! comparator (`strict_json.rs`).

mod harness;
mod helpers;
mod process;
mod strict_json;

mod admin;
mod auth;
mod behavioural_events;
mod browser;
mod cache;
mod changes;
mod connections;
mod current;
mod das;
mod embedded;
mod enrolment;
mod envelopes;
mod explode;
mod faults;
mod fixtures;
mod generate;
mod hostile;
mod isolation;
mod journal;
mod manual_allocation;
mod openapi;
mod outages;
mod points;
mod postman;
mod replicas;
mod samples;
mod sandbox;
mod secrets;
mod sequences;
mod shutdown;
mod target_groups;
mod tenants;
mod universe;
mod walkthrough;
mod wire;
mod writes;
