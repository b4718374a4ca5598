//! SQL over the universe, one module per aggregate, one function per concept. Every function
//! takes any executor (the pool, one connection, a transaction), so a handler runs its
//! statements on one connection and a write runs all of its statements in one transaction.
//! SQL shared by two endpoints lives here; what only one endpoint reads may live with it.

pub mod allocations;
pub mod behavioural;
pub mod bundle;
pub mod completions;
pub mod currencies;
pub mod customers;
pub mod enrolments;
pub mod events;
pub mod faults;
pub mod goodwill;
pub mod identifiers;
pub mod journal;
pub mod ledger;
pub mod meta;
pub mod orgs;
pub mod redemptions;
pub mod targets;
pub mod tenants;
