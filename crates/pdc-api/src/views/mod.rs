//! Endpoints beside the engine: the API root, auth views, RPCs.

pub mod auth;
pub mod component_labels;
pub mod compose_import;
pub mod compose_rpc;
pub mod composes;
pub mod release_rpc;
pub mod root;
pub mod rpm_mapping;

use crate::registry::Entry;

/// Registry entries of the special endpoints.
pub fn entries() -> Vec<Entry> {
    let mut v = auth::entries();
    v.extend(release_rpc::entries());
    v.extend(compose_import::entries());
    v.extend(component_labels::entries());
    v.extend(composes::entries());
    v.extend(rpm_mapping::entries());
    v.extend(compose_rpc::entries());
    v
}
