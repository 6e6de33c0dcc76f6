//! The PDC REST API: a DRF-compatible engine that serves every resource
//! described in pdc-db, the special endpoints beside it, authentication and
//! permissions, and the OpenAPI document with its offline docs page.

pub mod auth;
pub mod cors;
pub mod engine;
pub mod error;
pub mod http;
pub mod openapi;
pub mod query;
pub mod registry;
pub mod router;
pub mod views;

use std::sync::Arc;

use pdc_db::resource::DbSettings;

pub use router::router;

/// Shared state of the API.
#[derive(Clone)]
pub struct App {
    pub pool: pdc_db::Pool,
    pub db_settings: Arc<DbSettings>,
    pub auth: Arc<auth::AuthConfig>,
}
