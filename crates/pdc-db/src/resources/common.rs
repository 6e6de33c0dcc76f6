//! The common app: arches, sigkeys, labels.

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Default, Field, Kind, Op, parse_body};
use pdc_core::pydict;
use pdc_core::{Error, Result, ids};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::export::same;
use crate::refs::taken;
use crate::resource::{Ctx, Resource, Write, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

// ---------------------------------------------------------------- arches

pub struct Arches;

static ARCH_FIELDS: [Field; 1] = [Field::req(
    "name",
    Kind::Str {
        max: 50,
        blank: false,
    },
)
.doc("Architecture name, e.g. `x86_64`.")];

pub static ARCHES: Spec = Spec {
    prefix: "arches",
    lookup: &[],
    lookup_dots: false,
    fields: &ARCH_FIELDS,
    extra_body_keys: &[],
    filters: &[],
    extra_params: &[],
    strict_params: true,
    from: "arch a",
    id: "a.id",
    ordering: &[("id", "a.id"), ("name", "a.name")],
    relations: &[],
    default_order: "a.id",
    actions: Actions {
        list: true,
        create: true,
        ..Actions::LIST
    },
    change_name: "arch",
    last_modified: &["arch"],
    caching: Caching::Default,
    model: "arch",
    doc: "Architectures. List and (bulk) create only.",
};

impl Resource for Arches {
    const SPEC: &'static Spec = &ARCHES;

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!("SELECT id, name FROM arch WHERE id = ANY($1)", ids)
            .fetch_all(conn)
            .await
            .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| (r.id, json!({"name": r.name})))
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (input, mut errors) = parse_body(&ARCH_FIELDS, body, Op::Create);
        if let Some(name) = input.str("name")
            && taken(w.conn, "arch", "name", name, None).await?
        {
            errors.add("name", "arch with this name already exists.");
        }
        errors.into_result(&["name"])?;
        sqlx::query_scalar!(
            "INSERT INTO arch (name) VALUES ($1) RETURNING id",
            input.str("name")
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }
}

// ---------------------------------------------------------------- sigkeys

pub struct SigKeys;

fn check_sigkey(v: &str) -> Option<String> {
    ids::check_hex(v, 8)
}

static SIGKEY_FIELDS: [Field; 3] = [
    Field::with_default(
        "name",
        Kind::Str {
            max: 50,
            blank: false,
        },
        Default::Null,
    )
    .doc("Unique name; omitted means null."),
    Field::req(
        "key_id",
        Kind::Str {
            max: 20,
            blank: false,
        },
    )
    .checked(check_sigkey)
    .doc("8 hex digits; the lookup key (writable: changing it moves the URL)."),
    Field::with_default(
        "description",
        Kind::Str {
            max: 100,
            blank: false,
        },
        Default::EmptyStr,
    )
    .doc("Free text; omitted means empty."),
];

pub static SIGKEYS: Spec = Spec {
    prefix: "sigkeys",
    lookup: &["key_id"],
    lookup_dots: false,
    fields: &SIGKEY_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "s.name = ANY({})"),
        Filter::multi("key_id", "s.key_id = ANY({})"),
        Filter::new(
            "description",
            FilterKind::IContains,
            "s.description ILIKE {}",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "sigkey s",
    id: "s.id",
    ordering: &[
        ("id", "s.id"),
        ("name", "s.name"),
        ("key_id", "s.key_id"),
        ("description", "s.description"),
    ],
    relations: &[],
    default_order: "s.id",
    actions: Actions {
        destroy: false,
        ..Actions::ALL
    },
    change_name: "sigkey",
    last_modified: &[],
    caching: Caching::Default,
    model: "sigkey",
    doc: "Signing keys. No delete.",
};

struct SigKeyRow {
    name: Option<String>,
    key_id: String,
    description: String,
}

impl Resource for SigKeys {
    const SPEC: &'static Spec = &SIGKEYS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let keys = same(&repr, &["key_id", "name", "description"]);
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!("SELECT id FROM sigkey WHERE key_id = $1", key[0])
            .fetch_optional(conn)
            .await
            .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name, key_id, description FROM sigkey WHERE id = ANY($1)",
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
                        json!({"name": r.name, "key_id": r.key_id, "description": r.description}),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let row = sigkey_input(w, body, Op::Create, None).await?;
        sqlx::query_scalar!(
            "INSERT INTO sigkey (name, key_id, description) VALUES ($1, $2, $3) RETURNING id",
            row.name,
            row.key_id,
            row.description
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let row = sigkey_input(w, body, op, Some(id)).await?;
        sqlx::query!(
            "UPDATE sigkey SET name = $2, key_id = $3, description = $4 WHERE id = $1",
            id,
            row.name,
            row.key_id,
            row.description
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }
}

async fn sigkey_input(
    w: &mut Write<'_>,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<SigKeyRow> {
    let (input, mut errors) = parse_body(&SIGKEY_FIELDS, body, op);
    if let Some(k) = input.str("key_id")
        && !errors.has("key_id")
        && taken(w.conn, "sigkey", "key_id", k, id).await?
    {
        errors.add("key_id", "sig key with this key id already exists.");
    }
    errors.into_result(&["name", "key_id", "description"])?;
    let mut row = match id {
        Some(id) => {
            let r = sqlx::query!(
                "SELECT name, key_id, description FROM sigkey WHERE id = $1",
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            SigKeyRow {
                name: r.name,
                key_id: r.key_id,
                description: r.description,
            }
        }
        None => SigKeyRow {
            name: None,
            key_id: String::new(),
            description: String::new(),
        },
    };
    if let Some(v) = input.opt_str("name") {
        row.name = v.map(str::to_string);
    }
    if let Some(v) = input.str("key_id") {
        row.key_id = v.to_string();
    }
    if let Some(v) = input.str("description") {
        row.description = v.to_string();
    }
    if let Some(name) = &row.name
        && taken(w.conn, "sigkey", "name", name, id).await?
    {
        return Err(Error::detail_list([
            "Sig key with this Name already exists.",
        ]));
    }
    Ok(row)
}

// ---------------------------------------------------------------- labels

pub struct Labels;

pub static LABEL_FIELDS: [Field; 3] = [
    Field::ro(
        "url",
        Kind::Str {
            max: 0,
            blank: true,
        },
    )
    .doc("Absolute URL of the label."),
    Field::req(
        "name",
        Kind::Str {
            max: 100,
            blank: false,
        },
    )
    .doc("Unique label name."),
    Field::req(
        "description",
        Kind::Str {
            max: 500,
            blank: false,
        },
    ),
];

pub static LABELS: Spec = Spec {
    prefix: "labels",
    lookup: &["id"],
    lookup_dots: true,
    fields: &LABEL_FIELDS,
    extra_body_keys: &[],
    filters: &[Filter::multi("name", "l.name = ANY({})")],
    extra_params: &[],
    strict_params: true,
    from: "label l",
    id: "l.id",
    ordering: &[
        ("id", "l.id"),
        ("name", "l.name"),
        ("description", "l.description"),
    ],
    relations: &[],
    default_order: "l.id",
    actions: Actions::ALL,
    change_name: "label",
    last_modified: &[],
    caching: Caching::Default,
    model: "label",
    doc: "Labels attached to global components.",
};

impl Resource for Labels {
    const SPEC: &'static Spec = &LABELS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(pydict::display_object(
            same(&repr, &["name", "description"]),
            vec![],
        ))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "label", key).await
    }

    async fn fetch(conn: &mut PgConnection, ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name, description FROM label WHERE id = ANY($1)",
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
                        json!({
                            "url": ctx.api_url(&format!("labels/{}/", r.id)),
                            "name": r.name,
                            "description": r.description,
                        }),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (name, description) = label_input(w, body, Op::Create, None).await?;
        sqlx::query_scalar!(
            "INSERT INTO label (name, description) VALUES ($1, $2) RETURNING id",
            name,
            description
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (name, description) = label_input(w, body, op, Some(id)).await?;
        sqlx::query!(
            "UPDATE label SET name = coalesce($2, name), description = coalesce($3, description)
             WHERE id = $1",
            id,
            name,
            description
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        sqlx::query!("DELETE FROM label WHERE id = $1", id)
            .execute(&mut *w.conn)
            .await
            .db()?;
        Ok(())
    }
}

async fn label_input(
    w: &mut Write<'_>,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<(Option<String>, Option<String>)> {
    let (input, mut errors): (_, FieldErrors) = parse_body(&LABEL_FIELDS, body, op);
    if let Some(name) = input.str("name")
        && taken(w.conn, "label", "name", name, id).await?
    {
        errors.add("name", "label with this name already exists.");
    }
    errors.into_result(&["name", "description"])?;
    Ok((
        input.str("name").map(str::to_string),
        input.str("description").map(str::to_string),
    ))
}
