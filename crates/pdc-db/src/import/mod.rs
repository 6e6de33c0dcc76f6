//! Compose imports: productmd manifests into composes, variants, trees,
//! RPMs and images. RPM manifests are streamed: entries are parsed on a
//! blocking thread and COPYed into a temporary staging table as they are
//! read, then merged with set-based SQL, all inside the request's
//! transaction, so memory stays bounded whatever the manifest size.

pub mod compose;
pub mod images;
pub mod manifest;
pub mod request;
pub mod rpms;
pub mod staging;
pub mod trees;

pub use staging::{ChannelReader, CopySink, copy_rows, create_staging, stage_manifest};
