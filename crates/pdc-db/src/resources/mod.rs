//! One module per resource family, each holding its specs and SQL.

pub mod auth;
pub mod changesets;
pub mod common;
pub mod cpes;
pub mod push_targets;
pub mod release_groups;
pub mod variants;
