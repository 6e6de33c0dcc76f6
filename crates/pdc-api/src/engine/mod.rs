//! The generic DRF-compatible engine: one list route and one detail route
//! per resource, implementing list/retrieve/create/update/partial update/
//! destroy and their bulk forms on top of a [`pdc_db::Resource`].

mod body;
mod bulk;
mod handlers;
mod meta;
mod tx;

pub use body::{check_body_keys, object_body, read_json_body};
pub(crate) use bulk::{as_object, delete_ids, item_error, key_text};
pub(crate) use handlers::{Call, body_value, list_response, make_call, writable};
pub use handlers::{detail_route, list_route, method_not_allowed};
pub use meta::{accept_ok, allow_header, conditional, not_acceptable, options};
pub use tx::WriteTx;
