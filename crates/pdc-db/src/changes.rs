//! Changeset recording: each write collects one change per touched object;
//! at commit, one changeset row holds them all (none when nothing changed).

use chrono::{DateTime, Utc};
use pdc_core::Result;
use pdc_core::pyjson;
use serde_json::Value;
use sqlx::PgConnection;

use crate::db::DbResultExt;

#[derive(Debug, Clone)]
pub struct Change {
    pub resource: String,
    pub resource_id: String,
    pub old_value: String,
    pub new_value: String,
}

/// Who is writing and why.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_pk: Option<i64>,
    pub comment: Option<String>,
    pub requested_on: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct Changes {
    list: Vec<Change>,
    /// Where the written object's own change goes (see `reserve_object_slot`).
    slot: Option<usize>,
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(v) => pyjson::dumps(v),
        None => "null".to_string(),
    }
}

fn change(
    resource: &str,
    id: impl ToString,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Option<Change> {
    let (old_value, new_value) = (text(old), text(new));
    (old_value != new_value).then(|| Change {
        resource: resource.to_string(),
        resource_id: id.to_string(),
        old_value,
        new_value,
    })
}

impl Changes {
    /// Records a change; `None` means "did not exist". Equal texts are dropped.
    pub fn add(
        &mut self,
        resource: &str,
        id: impl ToString,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        self.list.extend(change(resource, id, old, new));
    }

    /// Records a change whose texts are given as they are (PDC logs a few
    /// values as Python text, not JSON). Equal texts are dropped.
    pub fn add_text(&mut self, resource: &str, id: impl ToString, old: String, new: String) {
        if old != new {
            self.list.push(Change {
                resource: resource.to_string(),
                resource_id: id.to_string(),
                old_value: old,
                new_value: new,
            });
        }
    }

    /// Called by a write that logs changes of dependent objects after the
    /// object itself (as PDC's signal handlers do): the engine's change of
    /// the object is put here, before everything added afterwards.
    pub fn reserve_object_slot(&mut self) {
        self.slot = Some(self.list.len());
    }

    /// Records the change of the object a write was about (at the reserved
    /// slot, if any).
    pub fn add_object(
        &mut self,
        resource: &str,
        id: impl ToString,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        let slot = self.slot.take();
        if let Some(c) = change(resource, id, old, new) {
            match slot {
                Some(i) => self.list.insert(i, c),
                None => self.list.push(c),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &Change> {
        self.list.iter()
    }
}

/// Writes the changeset and its changes; returns its id, or `None` when
/// there was nothing to record.
pub async fn save(
    conn: &mut PgConnection,
    actor: &Actor,
    changes: &Changes,
) -> Result<Option<i64>> {
    if changes.is_empty() {
        return Ok(None);
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO changeset (author_pk, comment, requested_on, committed_on)
         VALUES ($1, $2, $3, clock_timestamp()) RETURNING id",
        actor.user_pk,
        actor.comment,
        actor.requested_on
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    let n = changes.list.len();
    let (mut resources, mut ids) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut olds, mut news) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for c in changes.iter() {
        resources.push(c.resource.clone());
        ids.push(c.resource_id.clone());
        olds.push(c.old_value.clone());
        news.push(c.new_value.clone());
    }
    sqlx::query!(
        "INSERT INTO change (changeset_pk, resource, resource_id, old_value, new_value)
         SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[])",
        id,
        &resources,
        &ids,
        &olds,
        &news
    )
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query!(
        "INSERT INTO last_change (resource, committed_on)
         SELECT DISTINCT r, cs.committed_on FROM UNNEST($1::text[]) AS r, changeset cs WHERE cs.id = $2
         ON CONFLICT (resource) DO UPDATE
         SET committed_on = GREATEST(last_change.committed_on, EXCLUDED.committed_on)",
        &resources,
        id
    )
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(Some(id))
}

/// Newest commit time of a change to any of `resources` (for Last-Modified).
pub async fn last_modified(
    conn: &mut PgConnection,
    resources: &[&str],
) -> Result<Option<DateTime<Utc>>> {
    let names: Vec<String> = resources.iter().map(|s| s.to_string()).collect();
    sqlx::query_scalar!(
        "SELECT max(committed_on) FROM last_change WHERE resource = ANY($1)",
        &names
    )
    .fetch_one(&mut *conn)
    .await
    .db()
}
