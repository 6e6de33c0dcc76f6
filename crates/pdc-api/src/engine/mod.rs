//! The generic DRF-compatible engine: one list route and one detail route
//! per resource, implementing list/retrieve/create/update/partial update/
//! destroy and their bulk forms on top of a [`pdc_db::Resource`].

mod body;
mod bulk;
mod handlers;
mod meta;
mod tx;

pub use body::{check_body_keys, read_json_body};
pub(crate) use handlers::{body_value, make_call};
pub use handlers::{detail_route, list_route, method_not_allowed};
pub use meta::{accept_ok, allow_header, conditional, not_acceptable};
pub use tx::WriteTx;
