//! Content-delivery services and push targets (what products and releases
//! may be pushed to).

use pdc_core::Result;
use pdc_core::fields::{Default, Field, Kind, Op, Ref, parse_body};
use pdc_core::pydict;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::export::same;
use crate::models;
use crate::refs::{self, taken};
use crate::resource::{Ctx, Resource, Write, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Relation, Spec};

pub static SERVICE_REF: Ref = Ref {
    table: "service",
    column: "name",
    order: "id",
};

const TEXT: Kind = Kind::Str {
    max: 0,
    blank: true,
};

// ---------------------------------------------------------------- services

pub struct Services;

static SERVICE_FIELDS: [Field; 2] = [Field::ro("name", TEXT), Field::ro("description", TEXT)];

pub static SERVICES: Spec = Spec {
    prefix: "content-delivery-services",
    lookup: &[],
    lookup_dots: true,
    fields: &SERVICE_FIELDS,
    extra_body_keys: &[],
    filters: &[],
    extra_params: &[],
    strict_params: true,
    from: "service s",
    id: "s.id",
    ordering: &[
        ("id", "s.id"),
        ("name", "s.name"),
        ("description", "s.description"),
    ],
    relations: &[],
    default_order: "s.id",
    actions: Actions::LIST,
    change_name: "service",
    last_modified: &[],
    caching: Caching::Default,
    model: "service",
    doc: "Content delivery services (rhn, pulp, ftp). Read-only.",
};

impl Resource for Services {
    const SPEC: &'static Spec = &SERVICES;

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name, description FROM service WHERE id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| (r.id, json!({"name": r.name, "description": r.description})))
                .collect(),
        ))
    }
}

// ---------------------------------------------------------------- push targets

pub struct PushTargets;

static PUSH_TARGET_FIELDS: [Field; 5] = [
    Field::ro("id", Kind::Int),
    Field::req(
        "name",
        Kind::Str {
            max: 100,
            blank: false,
        },
    ),
    Field::req(
        "description",
        Kind::Str {
            max: 300,
            blank: true,
        },
    ),
    Field::req("service", Kind::Choice(&SERVICE_REF)).doc("Service name (rhn, pulp, ftp)."),
    Field::with_default(
        "host",
        Kind::Str {
            max: 255,
            blank: true,
        },
        Default::EmptyStr,
    ),
];

pub static PUSH_TARGETS: Spec = Spec {
    prefix: "push-targets",
    lookup: &["id"],
    lookup_dots: true,
    fields: &PUSH_TARGET_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "t.name = ANY({})"),
        Filter::multi("description", "t.description = ANY({})"),
        Filter::multi("host", "t.host = ANY({})"),
        Filter::new(
            "service",
            FilterKind::Multi,
            "t.service_pk IN (SELECT id FROM service WHERE name = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "push_target t",
    id: "t.id",
    ordering: &[
        ("id", "t.id"),
        ("name", "t.name"),
        ("description", "t.description"),
        ("host", "t.host"),
        ("service", "t.service_pk"),
    ],
    relations: &[Relation::new("service", "t.service_pk", &models::SERVICE)],
    default_order: "t.name",
    actions: Actions::ALL,
    change_name: "pushtarget",
    last_modified: &[],
    caching: Caching::Default,
    model: "pushtarget",
    doc: "Push targets products, releases and variants may be allowed to use.",
};

impl Resource for PushTargets {
    const SPEC: &'static Spec = &PUSH_TARGETS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let keys = same(&repr, &["name", "description", "host", "service"]);
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "push_target", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT t.id, t.name, t.description, s.name AS service, t.host
             FROM push_target t JOIN service s ON s.id = t.service_pk WHERE t.id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    (
                        r.id,
                        json!({"id": r.id, "name": r.name, "description": r.description,
                               "service": r.service, "host": r.host}),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (mut input, mut errors) = parse_body(&PUSH_TARGET_FIELDS, body, Op::Create);
        push_target_checks(w.conn, &mut input, &mut errors, None).await?;
        sqlx::query_scalar!(
            "INSERT INTO push_target (name, description, service_pk, host) VALUES ($1, $2, $3, $4)
             RETURNING id",
            input.str("name"),
            input.str("description"),
            input.id("service").flatten(),
            input.str("host")
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (mut input, mut errors) = parse_body(&PUSH_TARGET_FIELDS, body, op);
        push_target_checks(w.conn, &mut input, &mut errors, Some(id)).await?;
        sqlx::query!(
            "UPDATE push_target SET name = coalesce($2, name), description = coalesce($3, description),
               service_pk = coalesce($4, service_pk), host = coalesce($5, host) WHERE id = $1",
            id,
            input.str("name"),
            input.str("description"),
            input.id("service").flatten(),
            input.str("host")
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        sqlx::query!("DELETE FROM push_target WHERE id = $1", id)
            .execute(&mut *w.conn)
            .await
            .db()?;
        Ok(())
    }
}

async fn push_target_checks(
    conn: &mut PgConnection,
    input: &mut pdc_core::fields::Input,
    errors: &mut pdc_core::error::FieldErrors,
    id: Option<i64>,
) -> Result<()> {
    refs::resolve(conn, &PUSH_TARGET_FIELDS, input, errors).await?;
    if let Some(name) = input.str("name")
        && taken(conn, "push_target", "name", name, id).await?
    {
        errors.add("name", "push target with this name already exists.");
    }
    std::mem::take(errors).into_result(&["name", "description", "service", "host"])
}
