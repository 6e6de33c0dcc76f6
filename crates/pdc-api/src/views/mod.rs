//! Endpoints beside the engine: the API root, auth views, RPCs.

pub mod auth;
pub mod root;

use crate::registry::Entry;

/// Registry entries of the special endpoints.
pub fn entries() -> Vec<Entry> {
    auth::entries()
}
