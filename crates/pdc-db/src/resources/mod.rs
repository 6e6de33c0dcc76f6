//! One module per resource family, each holding its specs and SQL.

pub mod auth;
pub mod bugzilla;
pub mod changesets;
pub mod common;
pub mod component_contacts;
pub mod compose_qe;
pub mod compose_rpc;
pub mod composes;
pub mod contact_roles;
pub mod contacts;
pub mod cpes;
pub mod global_components;
pub mod masks;
pub mod overrides;
pub mod products;
pub mod release_components;
pub mod release_groups;
pub mod release_rpc;
pub mod releases;
pub mod repository;
pub mod upstreams;
pub mod variants;
