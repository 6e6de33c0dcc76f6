//! The PDC database: connection pool and migrations, the generic list
//! engine (filters, ordering, pagination to SQL), changeset recording and
//! one module per resource holding that resource's SQL.

pub mod auth;
pub mod changes;
pub mod db;
pub mod export;
pub mod import;
pub mod ingest;
pub mod list;
pub mod models;
pub mod protect;
pub mod refs;
pub mod resource;
pub mod resources;
pub mod spec;

pub use db::{DbResultExt, Pool};
pub use pdc_core::{Error, Result};
pub use resource::{Ctx, Resource, Write};
pub use spec::Spec;
