//! unmigrate: generate, drill and explain undo migrations for PostgreSQL histories.
//!
//! Data flows one way: files ([`migrations`]) → statements ([`sql`]) → schema model
//! ([`catalog`]) → undo statements ([`undo`]) → files ([`generate`] writes them back
//! through [`migrations`]); and files → [`drill`] (on a [`scratch`] database, comparing
//! [`snapshot`]s) → [`report`]; and files → [`explain`] (the same fold and undo, plus
//! documented locks and hazard rules, no database) → [`report::explain`].

pub mod catalog;
pub mod check;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod drill;
pub mod errors;
pub mod explain;
pub mod generate;
pub mod locks;
pub mod migrations;
pub mod report;
pub mod rows;
pub mod rule_pages;
pub mod scratch;
pub mod snapshot;
pub mod sql;
pub mod suggest;
pub mod undo;
pub mod undo_lint;
pub mod untrusted;
