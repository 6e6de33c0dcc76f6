//! CPEs (`cpes`) and their links to release variants (`variant-cpes`).

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Input, Kind, Op, parse_body};
use pdc_core::pydict;
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::export::same;
use crate::models;
use crate::protect::{REPR_ROWS, protected};
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Relation, Spec};

/// Length of the `cpe` column (the serializer does not check it).
const CPE_MAX: usize = 300;

/// PDC's CPEField check: the prefix error is an object, not a list.
fn check_prefix(input: &Input, errors: &mut FieldErrors) {
    if let Some(cpe) = input.str("cpe")
        && !cpe.starts_with("cpe:")
    {
        errors.set("cpe", json!({"detail": "CPE must start with \"cpe:\""}));
    }
}

// ---------------------------------------------------------------- cpes

pub struct Cpes;

static CPE_FIELDS: [Field; 3] = [
    Field::ro("id", Kind::Int),
    Field::req(
        "cpe",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("Unique; must start with `cpe:` (at most 300 characters)."),
    Field::opt(
        "description",
        Kind::Str {
            max: 300,
            blank: true,
        },
    )
    .doc("Free text; empty when omitted on create, kept when omitted on PUT."),
];

pub static CPES: Spec = Spec {
    prefix: "cpes",
    lookup: &["id"],
    lookup_dots: true,
    fields: &CPE_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("cpe", "c.cpe = ANY({})"),
        Filter::multi("description", "c.description = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "cpe c",
    id: "c.id",
    ordering: &[
        ("id", "c.id"),
        ("cpe", "c.cpe"),
        ("description", "c.description"),
    ],
    relations: &[],
    default_order: "c.cpe",
    actions: Actions::ALL,
    change_name: "cpe",
    last_modified: &[],
    caching: Caching::Default,
    model: "cpe",
    doc: "Common Platform Enumeration names, linked to variants by variant-cpes.",
};

impl Resource for Cpes {
    const SPEC: &'static Spec = &CPES;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(pydict::display_object(
            same(&repr, &["cpe", "description"]),
            vec![],
        ))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "cpe", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, cpe, description FROM cpe WHERE id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let value = json!({"id": r.id, "cpe": r.cpe, "description": r.description});
                    (r.id, value)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let input = cpe_input(body, Op::Create)?;
        let cpe = input.str("cpe").unwrap_or_default();
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM cpe WHERE cpe = $1) AS "exists!""#,
            cpe
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if exists {
            return Err(Error::detail_list([format!(
                "CPE \"{cpe}\" already exists."
            )]));
        }
        sqlx::query_scalar!(
            "INSERT INTO cpe (cpe, description) VALUES ($1, $2) RETURNING id",
            cpe,
            input.str("description").unwrap_or_default()
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    /// A rename onto an existing CPE is left to the database (409), as in PDC.
    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let input = cpe_input(body, op)?;
        sqlx::query!(
            "UPDATE cpe SET cpe = coalesce($2, cpe), description = coalesce($3, description)
             WHERE id = $1",
            id,
            input.str("cpe"),
            input.str("description")
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        protect_used_cpe(w.conn, id).await?;
        delete_by_id(w.conn, "cpe", id).await
    }
}

fn cpe_input(body: &Map<String, Value>, op: Op) -> Result<Input> {
    let (input, mut errors) = parse_body(&CPE_FIELDS, body, op);
    check_prefix(&input, &mut errors);
    if let Some(cpe) = input.str("cpe")
        && !errors.has("cpe")
        && cpe.chars().count() > CPE_MAX
    {
        errors.add(
            "cpe",
            format!("Ensure this field has no more than {CPE_MAX} characters."),
        );
    }
    errors.into_result(&["cpe", "description"])?;
    Ok(input)
}

/// Django's PROTECT answer when variant-cpes still use the CPE.
async fn protect_used_cpe(conn: &mut PgConnection, id: i64) -> Result<()> {
    let users = sqlx::query_scalar!(
        r#"SELECT '<VariantCPE: ' || r.release_id || '-' || v.variant_uid || ' ' || c.cpe || '>'
                  AS "text!"
           FROM variant_cpe vc
           JOIN variant v ON v.id = vc.variant_pk
           JOIN release r ON r.id = v.release_pk
           JOIN cpe c ON c.id = vc.cpe_pk
           WHERE vc.cpe_pk = $1
           ORDER BY v.variant_uid, c.cpe, vc.id
           LIMIT $2"#,
        id,
        REPR_ROWS
    )
    .fetch_all(conn)
    .await
    .db()?;
    if users.is_empty() {
        return Ok(());
    }
    Err(protected("CPE", "VariantCPE.cpe", &users))
}

// ---------------------------------------------------------------- variant-cpes

pub struct VariantCpes;

static VARIANT_CPE_FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::req(
        "release",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("`release_id` of the variant's release."),
    Field::req(
        "variant_uid",
        Kind::Str {
            max: 0,
            blank: false,
        },
    ),
    Field::req(
        "cpe",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("An existing CPE."),
];

pub static VARIANT_CPES: Spec = Spec {
    prefix: "variant-cpes",
    lookup: &["id"],
    lookup_dots: true,
    fields: &VARIANT_CPE_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new("id", FilterKind::Number, "vc.id = {}"),
        Filter::multi("release", "r.release_id = ANY({})"),
        Filter::multi("variant_uid", "v.variant_uid = ANY({})"),
        Filter::multi("cpe", "c.cpe = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "variant_cpe vc JOIN variant v ON v.id = vc.variant_pk \
           JOIN release r ON r.id = v.release_pk JOIN cpe c ON c.id = vc.cpe_pk",
    id: "vc.id",
    ordering: &[
        ("id", "vc.id"),
        ("variant", "v.variant_uid"),
        ("release", "r.release_id"),
        ("variant_uid", "v.variant_uid"),
        ("cpe", "c.cpe"),
    ],
    relations: &[
        Relation::new("variant", "vc.variant_pk", &models::VARIANT),
        Relation::new("cpe", "vc.cpe_pk", &models::CPE),
        // The serializer's `release` is the variant's.
        Relation::new("release", "v.release_pk", &models::RELEASE),
    ],
    default_order: "v.variant_uid, c.cpe",
    actions: Actions::ALL,
    change_name: "variantcpe",
    last_modified: &[],
    caching: Caching::Default,
    model: "variantcpe",
    doc: "Links between release variants and CPEs.",
};

impl Resource for VariantCpes {
    const SPEC: &'static Spec = &VARIANT_CPES;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let keys = same(&repr, &["release", "variant_uid", "cpe"]);
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "variant_cpe", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT vc.id, r.release_id, v.variant_uid, c.cpe
             FROM variant_cpe vc
             JOIN variant v ON v.id = vc.variant_pk
             JOIN release r ON r.id = v.release_pk
             JOIN cpe c ON c.id = vc.cpe_pk
             WHERE vc.id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let value = json!({
                        "id": r.id,
                        "release": r.release_id,
                        "variant_uid": r.variant_uid,
                        "cpe": r.cpe,
                    });
                    (r.id, value)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let link = link_input(w.conn, None, body, Op::Create).await?;
        let (Some(variant), Some(cpe)) = (link.variant, link.cpe) else {
            return Err(Error::internal("variant-cpe create without variant or cpe"));
        };
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM variant_cpe WHERE variant_pk = $1 AND cpe_pk = $2)
               AS "exists!""#,
            variant.0,
            cpe.0
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if exists {
            return Err(Error::detail_list([format!(
                "CPE({}) binding for variant \"{}\" already exists.",
                cpe.1, variant.1
            )]));
        }
        sqlx::query_scalar!(
            "INSERT INTO variant_cpe (variant_pk, cpe_pk) VALUES ($1, $2) RETURNING id",
            variant.0,
            cpe.0
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let link = link_input(w.conn, Some(id), body, op).await?;
        sqlx::query!(
            "UPDATE variant_cpe SET variant_pk = coalesce($2, variant_pk), cpe_pk = coalesce($3, cpe_pk)
             WHERE id = $1",
            id,
            link.variant.map(|v| v.0),
            link.cpe.map(|c| c.0)
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "variant_cpe", id).await
    }
}

/// The variant and CPE a write names, as `(id, text)`; `None` when not given.
struct Link {
    variant: Option<(i64, String)>,
    cpe: Option<(i64, String)>,
}

/// Field checks, then the variant (a missing half of it taken from the
/// stored link), then the CPE; PDC's errors for the last two are strings.
async fn link_input(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<Link> {
    let (input, mut errors) = parse_body(&VARIANT_CPE_FIELDS, body, op);
    check_prefix(&input, &mut errors);
    errors.into_result(&["release", "variant_uid", "cpe"])?;

    let mut variant = None;
    if input.has("release") || input.has("variant_uid") {
        let stored = match id {
            Some(id) => sqlx::query!(
                "SELECT r.release_id, v.variant_uid FROM variant_cpe vc
                 JOIN variant v ON v.id = vc.variant_pk JOIN release r ON r.id = v.release_pk
                 WHERE vc.id = $1",
                id
            )
            .fetch_optional(&mut *conn)
            .await
            .db()?
            .map(|r| (r.release_id, r.variant_uid)),
            None => None,
        };
        let release = input
            .str("release")
            .or(stored.as_ref().map(|s| s.0.as_str()))
            .unwrap_or_default();
        let uid = input
            .str("variant_uid")
            .or(stored.as_ref().map(|s| s.1.as_str()))
            .unwrap_or_default();
        let pk = sqlx::query_scalar!(
            "SELECT v.id FROM variant v JOIN release r ON r.id = v.release_pk
             WHERE r.release_id = $1 AND v.variant_uid = $2",
            release,
            uid
        )
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| {
            Error::bad_request(format!(
                "variant (release={release}, uid={uid}) does not exist"
            ))
        })?;
        variant = Some((pk, format!("{release}/{uid}")));
    }
    let mut cpe = None;
    if let Some(text) = input.str("cpe") {
        let pk = sqlx::query_scalar!("SELECT id FROM cpe WHERE cpe = $1", text)
            .fetch_optional(&mut *conn)
            .await
            .db()?
            .ok_or_else(|| Error::bad_request(format!("cpe \"{text}\" does not exist")))?;
        cpe = Some((pk, text.to_string()));
    }
    Ok(Link { variant, cpe })
}
