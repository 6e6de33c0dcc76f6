//! Release component relationship types (`component-relationship-types/`)
//! and relationships between release components
//! (`release-component-relationships/`).

use pdc_core::fields::{Field, Kind, Op, Ref, parse_body};
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::component_groups::{ComponentRef, component_json, component_ref};
use crate::db::DbResultExt;
use crate::export::{inserted, release_component_text};
use crate::models;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, Relation, Spec};

pub static RELATIONSHIP_TYPE_REF: Ref = Ref {
    table: "release_component_relationship_type",
    column: "name",
    order: "id",
};

// ---------------------------------------------------------------- relationship types

pub struct RelationshipTypes;

static TYPE_FIELDS: [Field; 2] = [
    Field::ro("id", Kind::Int),
    Field::req(
        "name",
        Kind::Str {
            max: 100,
            blank: false,
        },
    )
    .doc("Unique name."),
];

pub static RELATIONSHIP_TYPES: Spec = Spec {
    prefix: "component-relationship-types",
    lookup: &["id"],
    lookup_dots: false,
    fields: &TYPE_FIELDS,
    extra_body_keys: &[],
    filters: &[Filter::multi("name", "t.name = ANY({})")],
    extra_params: &[],
    strict_params: true,
    from: "release_component_relationship_type t",
    id: "t.id",
    ordering: &[("id", "t.id"), ("name", "t.name")],
    relations: &[],
    default_order: "t.id",
    actions: Actions::ALL,
    change_name: "releasecomponentrelationshiptype",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasecomponentrelationshiptype",
    doc: "Types of relationships between release components (`bundles`, `executes`, ...). \
          Deleting one deletes its relationships.",
};

impl Resource for RelationshipTypes {
    const SPEC: &'static Spec = &RELATIONSHIP_TYPES;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "release_component_relationship_type", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name FROM release_component_relationship_type WHERE id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| (r.id, json!({"id": r.id, "name": r.name})))
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let name = type_name(w.conn, None, body, Op::Create).await?;
        sqlx::query_scalar!(
            "INSERT INTO release_component_relationship_type (name) VALUES ($1) RETURNING id",
            name
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        if let Some(name) = type_name(w.conn, Some(id), body, op).await? {
            sqlx::query!(
                "UPDATE release_component_relationship_type SET name = $2 WHERE id = $1",
                id,
                name
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "release_component_relationship_type", id).await
    }
}

async fn type_name(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<Option<String>> {
    let (input, mut errors) = parse_body(&TYPE_FIELDS, body, op);
    if let Some(name) = input.str("name")
        && refs::taken(
            conn,
            "release_component_relationship_type",
            "name",
            name,
            id,
        )
        .await?
    {
        errors.add(
            "name",
            "release component relationship type with this name already exists.",
        );
    }
    errors.into_result(&["name"])?;
    Ok(input.str("name").map(str::to_string))
}

// ---------------------------------------------------------------- relationships

pub struct Relationships;

static FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::req("type", Kind::Choice(&RELATIONSHIP_TYPE_REF)).doc("Relationship type name."),
    Field::req("from_component", Kind::Custom).doc(
        "Output `{\"id\", \"name\", \"release\"}`; input `{\"id\": n}` or \
         `{\"release\": release_id, \"name\": name}`.",
    ),
    Field::req("to_component", Kind::Custom).doc("As `from_component`."),
];

const FIELD_ORDER: [&str; 4] = ["id", "type", "from_component", "to_component"];

pub static RELATIONSHIPS: Spec = Spec {
    prefix: "release-component-relationships",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi(
            "type",
            "x.relation_type_pk IN (SELECT id FROM release_component_relationship_type
                                    WHERE name = ANY({}))",
        ),
        Filter::multi(
            "from_component_release",
            "x.from_component_pk IN (SELECT rc.id FROM release_component rc
               JOIN release r ON r.id = rc.release_pk WHERE r.release_id = ANY({}))",
        ),
        Filter::multi(
            "from_component_name",
            "x.from_component_pk IN (SELECT id FROM release_component WHERE name = ANY({}))",
        ),
        Filter::multi(
            "to_component_release",
            "x.to_component_pk IN (SELECT rc.id FROM release_component rc
               JOIN release r ON r.id = rc.release_pk WHERE r.release_id = ANY({}))",
        ),
        Filter::multi(
            "to_component_name",
            "x.to_component_pk IN (SELECT id FROM release_component WHERE name = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "release_component_relationship x",
    id: "x.id",
    ordering: &[
        ("id", "x.id"),
        ("type", "x.relation_type_pk"),
        ("relation_type", "x.relation_type_pk"),
        ("from_component", "x.from_component_pk"),
        ("to_component", "x.to_component_pk"),
    ],
    relations: &[
        Relation::new("type", "x.relation_type_pk", &models::RELATIONSHIP_TYPE),
        Relation::new(
            "relation_type",
            "x.relation_type_pk",
            &models::RELATIONSHIP_TYPE,
        ),
        Relation::new(
            "from_component",
            "x.from_component_pk",
            &models::RELEASE_COMPONENT,
        ),
        Relation::new(
            "to_component",
            "x.to_component_pk",
            &models::RELEASE_COMPONENT,
        ),
    ],
    default_order: "x.id",
    actions: Actions::ALL,
    change_name: "releasecomponentrelationship",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasecomponentrelationship",
    doc: "Typed relationships from one release component to another.",
};

impl Resource for Relationships {
    const SPEC: &'static Spec = &RELATIONSHIPS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let text = |c: &Value| {
            json!(release_component_text(
                c["release"].as_str().unwrap_or_default(),
                c["name"].as_str().unwrap_or_default()
            ))
        };
        Ok(inserted(vec![
            ("relation_type", repr["type"].clone()),
            ("from_component", text(&repr["from_component"])),
            ("to_component", text(&repr["to_component"])),
        ]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "release_component_relationship", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT x.id, t.name AS type_name,
                    f.id AS from_id, f.name AS from_name, fr.release_id AS from_release,
                    o.id AS to_id, o.name AS to_name, tr.release_id AS to_release
             FROM release_component_relationship x
             JOIN release_component_relationship_type t ON t.id = x.relation_type_pk
             JOIN release_component f ON f.id = x.from_component_pk
             JOIN release fr ON fr.id = f.release_pk
             JOIN release_component o ON o.id = x.to_component_pk
             JOIN release tr ON tr.id = o.release_pk
             WHERE x.id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let v = json!({
                        "id": r.id,
                        "type": r.type_name,
                        "from_component": component_json(r.from_id, &r.from_name, Some(&r.from_release)),
                        "to_component": component_json(r.to_id, &r.to_name, Some(&r.to_release)),
                    });
                    (r.id, v)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save(w.conn, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save(w.conn, Some(id), body, op).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "release_component_relationship", id).await
    }
}

async fn save(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let (mut input, mut errors) = parse_body(&FIELDS, body, op);
    refs::resolve(conn, &FIELDS, &mut input, &mut errors).await?;
    let mut ends: [Option<ComponentRef>; 2] = [None, None];
    for (slot, field) in ends.iter_mut().zip(["from_component", "to_component"]) {
        if let Some(v) = input.json(field) {
            *slot = component_ref(conn, field, v, &mut errors).await?;
        }
    }
    errors.into_result(&FIELD_ORDER)?;
    let current = match id {
        Some(id) => Some(
            sqlx::query!(
                "SELECT relation_type_pk, from_component_pk, to_component_pk
                 FROM release_component_relationship WHERE id = $1",
                id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?,
        ),
        None => None,
    };
    let [from, to] = ends;
    let kind = input
        .id("type")
        .flatten()
        .or(current.as_ref().map(|c| c.relation_type_pk))
        .unwrap_or_default();
    let from = from
        .map(|c| c.id)
        .or(current.as_ref().map(|c| c.from_component_pk))
        .unwrap_or_default();
    let to = to
        .map(|c| c.id)
        .or(current.as_ref().map(|c| c.to_component_pk))
        .unwrap_or_default();
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM release_component_relationship WHERE relation_type_pk = $1
             AND from_component_pk = $2 AND to_component_pk = $3 AND id IS DISTINCT FROM $4) AS "taken!""#,
        kind,
        from,
        to,
        id
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    if taken {
        return Err(Error::detail_list([
            "The fields relation_type, from_component, to_component must make a unique set.",
        ]));
    }
    match id {
        None => sqlx::query_scalar!(
            "INSERT INTO release_component_relationship (relation_type_pk, from_component_pk, to_component_pk)
             VALUES ($1, $2, $3) RETURNING id",
            kind,
            from,
            to
        )
        .fetch_one(&mut *conn)
        .await
        .db(),
        Some(id) => {
            sqlx::query!(
                "UPDATE release_component_relationship SET relation_type_pk = $2,
                        from_component_pk = $3, to_component_pk = $4 WHERE id = $1",
                id,
                kind,
                from,
                to
            )
            .execute(&mut *conn)
            .await
            .db()?;
            Ok(id)
        }
    }
}
