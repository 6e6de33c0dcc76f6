//! productmd metadata (what Pungi writes into a compose's `metadata/`),
//! parsed with the checks and error texts of productmd 1.x so imports
//! reject the same documents PDC rejects, with the same `reason`.

pub mod common;
pub mod composeinfo;
pub mod images;
pub mod rpms;

pub use common::ParseError;
