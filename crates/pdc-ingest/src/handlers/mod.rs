//! One module per topic family, and the write helpers they share.
//!
//! Writes go through the same `Resource` functions as the API (validation
//! included) and record the same changes; the ingester saves the changeset
//! with actor `ingester` and a comment naming the message.

pub mod fas;

use pdc_db::{Resource, Write};
use serde_json::{Map, Value};

use crate::handler::HandlerError;

/// Creates one object as `POST <prefix>/` would, recording its change;
/// returns its id and representation.
pub async fn create<R: Resource>(
    w: &mut Write<'_>,
    body: &Map<String, Value>,
) -> Result<(i64, Value), HandlerError> {
    let id = R::create(w, body).await?;
    let value = R::fetch(w.conn, w.ctx, &[id])
        .await?
        .pop()
        .ok_or_else(|| HandlerError::Transient(format!("{} {id} vanished", R::SPEC.prefix)))?;
    w.changes
        .add_object(R::SPEC.change_name, id, None, Some(&value));
    Ok((id, value))
}

/// Standard handler set for a deployment.
pub fn default_registry(config: &crate::Config) -> crate::Registry {
    crate::Registry::new(config.topic_prefixes.clone()).with(fas::NewPerson {
        email_domain: config.email_domain.clone(),
    })
}
