//! All SQL lives here, one module per aggregate.

pub mod bundle;
pub mod completions;
pub mod data_scopes;
pub mod events;
pub mod identifiers;
pub mod ledger;
pub mod meta;
pub mod orgs;
pub mod profiles;
pub mod targets;
