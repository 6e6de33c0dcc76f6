//! `changesets/`: the audit log, read-only.

use pdc_core::fields::{Field, Kind};
use pdc_core::{Result, fmt};
use serde_json::{Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::resource::{Ctx, Resource, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

pub struct Changesets;

const TEXT: Kind = Kind::Str {
    max: 0,
    blank: true,
};

static FIELDS: [Field; 7] = [
    Field::ro("id", Kind::Int),
    Field::ro("author", TEXT).nullable().doc("User name of the writer."),
    Field::ro("requested_on", TEXT).doc("When the request arrived."),
    Field::ro("committed_on", TEXT).doc("When it was committed."),
    Field::ro("duration", TEXT).doc("Seconds between the two, as a decimal string."),
    Field::ro("changes", Kind::Custom)
        .doc("`[{resource, resource_id, old_value, new_value}]`, values as JSON text (`\"null\"` for none)."),
    Field::ro("comment", TEXT).nullable().doc("The PDC-Change-Comment header of the request."),
];

pub static CHANGESETS: Spec = Spec {
    prefix: "changesets",
    lookup: &["id"],
    lookup_dots: true,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi(
            "author",
            "cs.author_pk IN (SELECT id FROM pdc_user WHERE username = ANY({}))",
        ),
        Filter::multi(
            "resource",
            "EXISTS (SELECT 1 FROM change c WHERE c.changeset_pk = cs.id AND c.resource = ANY({}))",
        ),
        Filter::new(
            "changed_since",
            FilterKind::DateTime,
            "cs.committed_on >= {}",
        ),
        Filter::new(
            "changed_until",
            FilterKind::DateTime,
            "cs.committed_on <= {}",
        ),
        Filter::new("comment", FilterKind::Contains, "cs.comment LIKE {}"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "changeset cs",
    id: "cs.id",
    ordering: &[
        ("id", "cs.id"),
        (
            "author",
            "(SELECT username FROM pdc_user WHERE id = cs.author_pk)",
        ),
        ("requested_on", "cs.requested_on"),
        ("committed_on", "cs.committed_on"),
        ("comment", "cs.comment"),
    ],
    relations: &[],
    default_order: "cs.committed_on DESC",
    actions: Actions::READ,
    change_name: "changeset",
    last_modified: &[],
    caching: Caching::Default,
    model: "changeset",
    doc: "Every write that changed something, with one change per touched object.",
};

impl Resource for Changesets {
    const SPEC: &'static Spec = &CHANGESETS;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "changeset", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let sets = sqlx::query!(
            "SELECT cs.id AS \"id!\", u.username AS \"author?\", cs.requested_on AS \"requested_on!\", cs.committed_on AS \"committed_on!\", cs.comment
             FROM changeset cs LEFT JOIN pdc_user u ON u.id = cs.author_pk
             WHERE cs.id = ANY($1)",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let changes = sqlx::query!(
            "SELECT changeset_pk, resource, resource_id, old_value, new_value
             FROM change WHERE changeset_pk = ANY($1) ORDER BY id",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let rows = sets
            .into_iter()
            .map(|s| {
                let list: Vec<Value> = changes
                    .iter()
                    .filter(|c| c.changeset_pk == s.id)
                    .map(|c| {
                        json!({"resource": c.resource, "resource_id": c.resource_id,
                               "old_value": c.old_value, "new_value": c.new_value})
                    })
                    .collect();
                let micros = (s.committed_on - s.requested_on)
                    .num_microseconds()
                    .unwrap_or(0);
                (
                    s.id,
                    json!({
                        "id": s.id,
                        "author": s.author,
                        "requested_on": fmt::datetime(&s.requested_on),
                        "committed_on": fmt::datetime(&s.committed_on),
                        "duration": fmt::py_float(micros as f64 / 1e6),
                        "changes": list,
                        "comment": s.comment,
                    }),
                )
            })
            .collect();
        Ok(in_order(ids, rows))
    }
}
