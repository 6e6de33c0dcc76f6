//! Domain types and rules of PDC that need no I/O: error kinds, field
//! descriptions with DRF-compatible input checks, identifier derivation.

pub mod email;
pub mod error;
pub mod fields;
pub mod fmt;
pub mod ids;
pub mod productmd;
pub mod pydict;
pub mod pyjson;
pub mod pyrepr;
pub mod pyversion;
pub mod rpm;
pub mod url;

pub use error::{Error, Result};
