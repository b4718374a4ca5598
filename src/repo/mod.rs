//! All SQL lives here, one module per aggregate.

pub mod bundle;
pub mod data_scopes;
pub mod events;
pub mod identifiers;
pub mod meta;
pub mod orgs;
