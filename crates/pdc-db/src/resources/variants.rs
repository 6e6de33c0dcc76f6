//! Release variants (`release-variants/{release_id}/{variant_uid}/`) with
//! their arches and allowed push targets, and the two variant type lists.

use pdc_core::error::FieldErrors;
use pdc_core::fields::{
    Default, Field, Input, Kind, Op, Ref, check_model_lengths, parse_body, py_iter, py_str,
    py_type, truthy,
};
use pdc_core::pydict;
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::masks::{self, MaskOwner, PUSH_TARGET_REF};
use super::releases::RELEASE_REF;
use crate::db::DbResultExt;
use crate::export::renamed;
use crate::models;
use crate::refs::{find, resolve};
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order};
use crate::spec::{Actions, Caching, Filter, Relation, Spec};

static VARIANT_TYPE_REF: Ref = Ref {
    table: "variant_type",
    column: "name",
    order: "id",
};

static ARCH_REF: Ref = Ref {
    table: "arch",
    column: "name",
    order: "id",
};

// ---------------------------------------------------------------- release variants

pub struct Variants;

static VARIANT_FIELDS: [Field; 9] = [
    Field::req("release", Kind::Slug(&RELEASE_REF))
        .doc("`release_id` of the release; writable (moves the variant)."),
    Field::req("id", Kind::Str { max: 0, blank: false })
        .doc("Variant id (at most 100 characters)."),
    Field::req("uid", Kind::Str { max: 0, blank: false })
        .doc("Variant UID (at most 200 characters), unique in the release; the second URL segment."),
    Field::req("name", Kind::Str { max: 0, blank: false }).doc("At most 300 characters."),
    Field::req("type", Kind::Choice(&VARIANT_TYPE_REF))
        .doc("Variant type: `variant`, `optional`, `addon`, `layered-product` or `module`."),
    Field::req("arches", Kind::Custom).doc(
        "Arch names, output in arch id order. A non-empty list replaces the arches; `[]` keeps them. \
         PATCH also takes `add_arches` / `remove_arches` (not combinable with `arches`).",
    ),
    Field::opt("variant_version", Kind::Str { max: 0, blank: false })
        .nullable()
        .doc("Optional override (at most 100 characters); PUT without it keeps it."),
    Field::opt("variant_release", Kind::Str { max: 0, blank: false })
        .nullable()
        .doc("Optional override (at most 100 characters); PUT without it keeps it."),
    Field::with_default(
        "allowed_push_targets",
        Kind::SlugList(&PUSH_TARGET_REF),
        Default::EmptyList,
    )
    .doc("Subset of the release's allowed push targets; omitted on POST/PUT means none."),
];

const FIELD_ORDER: [&str; 9] = [
    "release",
    "id",
    "uid",
    "name",
    "type",
    "arches",
    "variant_version",
    "variant_release",
    "allowed_push_targets",
];

pub static VARIANTS: Spec = Spec {
    prefix: "release-variants",
    lookup: &["release_id", "variant_uid"],
    lookup_dots: true,
    fields: &VARIANT_FIELDS,
    extra_body_keys: &["add_arches", "remove_arches"],
    filters: &[
        Filter::multi("release", "r.release_id = ANY({})"),
        Filter::multi("id", "v.variant_id = ANY({})"),
        Filter::multi("uid", "v.variant_uid = ANY({})"),
        Filter::multi("name", "v.variant_name = ANY({})"),
        Filter::multi(
            "type",
            "v.variant_type_pk IN (SELECT id FROM variant_type WHERE name = ANY({}))",
        ),
        Filter::multi("variant_version", "v.variant_version = ANY({})"),
        Filter::multi("variant_release", "v.variant_release = ANY({})"),
        Filter::multi(
            "allowed_push_targets",
            "NOT EXISTS (SELECT 1 FROM variant_push_mask m JOIN push_target pt ON pt.id = m.push_target_pk
                         WHERE m.variant_pk = v.id AND pt.name = ANY({}))
             AND NOT EXISTS (SELECT 1 FROM release_push_mask m JOIN push_target pt ON pt.id = m.push_target_pk
                             WHERE m.release_pk = r.id AND pt.name = ANY({}))
             AND NOT EXISTS (SELECT 1 FROM product_version_push_mask m JOIN push_target pt ON pt.id = m.push_target_pk
                             WHERE m.product_version_pk = r.product_version_pk AND pt.name = ANY({}))
             AND EXISTS (SELECT 1 FROM product_version pv
                         JOIN product_push_target ppt ON ppt.product_pk = pv.product_pk
                         JOIN push_target pt ON pt.id = ppt.push_target_pk
                         WHERE pv.id = r.product_version_pk AND pt.name = ANY({}))",
        )
        .doc("None of the names is masked by the variant, its release or product version, and the product allows one."),
    ],
    extra_params: &[],
    strict_params: true,
    from: "variant v JOIN release r ON r.id = v.release_pk",
    id: "v.id",
    ordering: &[
        ("id", "v.variant_id"),
        ("release", "r.release_id"),
        ("uid", "v.variant_uid"),
        ("name", "v.variant_name"),
        ("type", "v.variant_type_pk"),
        ("variant_id", "v.variant_id"),
        ("variant_uid", "v.variant_uid"),
        ("variant_name", "v.variant_name"),
        ("variant_type", "v.variant_type_pk"),
        ("variant_version", "v.variant_version"),
        ("variant_release", "v.variant_release"),
        ("deleted", "v.deleted"),
    ],
    relations: &[
        Relation::new("release", "v.release_pk", &models::RELEASE),
        // The serializer's `type` is the model's `variant_type`.
        Relation::new("type", "v.variant_type_pk", &models::VARIANT_TYPE),
        Relation::unserialized("variant_type", "v.variant_type_pk", &models::VARIANT_TYPE),
    ],
    default_order: "v.variant_uid",
    actions: Actions::ALL,
    change_name: "variant",
    last_modified: &["variant", "release"],
    caching: Caching::Default,
    model: "variant",
    doc: "Variants of releases, looked up by `{release_id}/{variant_uid}` (also in bulk requests).",
};

/// The stored columns of one variant.
struct VariantRow {
    release_pk: i64,
    variant_id: String,
    variant_uid: String,
    variant_name: String,
    variant_type_pk: i64,
    variant_version: Option<String>,
    variant_release: Option<String>,
}

impl Resource for Variants {
    const SPEC: &'static Spec = &VARIANTS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let mut keys = renamed(
            &repr,
            &[
                ("release", "release"),
                ("variant_id", "id"),
                ("variant_uid", "uid"),
                ("variant_name", "name"),
                ("variant_type", "type"),
                ("arches", "arches"),
                ("allowed_push_targets", "allowed_push_targets"),
            ],
        );
        // The model property sorts the arch names.
        if let Some(Value::Array(arches)) = keys.get_mut(5).map(|(_, v)| v) {
            arches.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT v.id FROM variant v JOIN release r ON r.id = v.release_pk
             WHERE r.release_id = $1 AND v.variant_uid = $2",
            key[0],
            key[1]
        )
        .fetch_optional(conn)
        .await
        .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT v.id, v.release_pk, r.release_id, v.variant_id, v.variant_uid, v.variant_name,
                      vt.name AS variant_type, v.variant_version, v.variant_release,
                      ARRAY(SELECT a.name FROM variant_arch va JOIN arch a ON a.id = va.arch_pk
                            WHERE va.variant_pk = v.id ORDER BY a.id) AS "arches!",
                      ARRAY(SELECT m.push_target_pk FROM variant_push_mask m
                            WHERE m.variant_pk = v.id) AS "mask!"
               FROM variant v
               JOIN release r ON r.id = v.release_pk
               JOIN variant_type vt ON vt.id = v.variant_type_pk
               WHERE v.id = ANY($1)"#,
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut releases: Vec<i64> = rows.iter().map(|r| r.release_pk).collect();
        releases.sort_unstable();
        releases.dedup();
        let allowed = masks::allowed_for_releases(conn, &releases).await?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let targets: Vec<&str> = allowed
                        .get(&r.release_pk)
                        .into_iter()
                        .flatten()
                        .filter(|(id, _)| !r.mask.contains(id))
                        .map(|(_, name)| name.as_str())
                        .collect();
                    let value = json!({
                        "release": r.release_id,
                        "id": r.variant_id,
                        "uid": r.variant_uid,
                        "name": r.variant_name,
                        "type": r.variant_type,
                        "arches": r.arches,
                        "variant_version": r.variant_version,
                        "variant_release": r.variant_release,
                        "allowed_push_targets": targets,
                    });
                    (r.id, value)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save(w, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save(w, Some(id), body, op).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        // Arches, masks and CPE links go with it (ON DELETE CASCADE).
        delete_by_id(w.conn, "variant", id).await
    }
}

/// Create (`id` is `None`) or update one variant, in PDC's order of checks:
/// field errors (an unknown arch ends the request first), the unique
/// (release, uid) pair, the push-target mask, the model's length check; then
/// the writes, arches last.
async fn save(
    w: &mut Write<'_>,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let (mut input, mut errors) = parse_body(&VARIANT_FIELDS, body, op);
    let arches = arch_ids(w.conn, &input, &mut errors).await?;
    resolve(w.conn, &VARIANT_FIELDS, &mut input, &mut errors).await?;
    errors.into_result(&FIELD_ORDER)?;

    let row = merged_row(w.conn, id, &input).await?;
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM variant WHERE release_pk = $1 AND variant_uid = $2
                          AND id IS DISTINCT FROM $3) AS "taken!""#,
        row.release_pk,
        row.variant_uid,
        id
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if taken {
        return Err(Error::detail_list([
            "The fields release, variant_uid must make a unique set.",
        ]));
    }
    let mask = match input.ids("allowed_push_targets") {
        Some(wanted) => {
            let allows = masks::allowed_for_release(w.conn, row.release_pk).await?;
            Some(masks::mask_for(w.conn, "release", &allows, wanted).await?)
        }
        None => None,
    };
    check_lengths(&row)?;

    let id = write_row(w.conn, id, &row).await?;
    if let Some(mask) = mask {
        masks::store_mask(w.conn, MaskOwner::Variant(id), &mask).await?;
    }
    write_arches(w.conn, id, op, arches, body).await?;
    Ok(id)
}

/// The row to write: the stored one (or empty on create) with the input laid over it.
async fn merged_row(conn: &mut PgConnection, id: Option<i64>, input: &Input) -> Result<VariantRow> {
    let mut row = match id {
        Some(id) => sqlx::query_as!(
            VariantRow,
            "SELECT release_pk, variant_id, variant_uid, variant_name, variant_type_pk,
                    variant_version, variant_release
             FROM variant WHERE id = $1",
            id
        )
        .fetch_one(conn)
        .await
        .db()?,
        None => VariantRow {
            release_pk: 0,
            variant_id: String::new(),
            variant_uid: String::new(),
            variant_name: String::new(),
            variant_type_pk: 0,
            variant_version: None,
            variant_release: None,
        },
    };
    if let Some(Some(pk)) = input.id("release") {
        row.release_pk = pk;
    }
    if let Some(Some(pk)) = input.id("type") {
        row.variant_type_pk = pk;
    }
    for (name, slot) in [
        ("id", &mut row.variant_id),
        ("uid", &mut row.variant_uid),
        ("name", &mut row.variant_name),
    ] {
        if let Some(v) = input.str(name) {
            *slot = v.to_string();
        }
    }
    for (name, slot) in [
        ("variant_version", &mut row.variant_version),
        ("variant_release", &mut row.variant_release),
    ] {
        if let Some(v) = input.opt_str(name) {
            *slot = v.map(str::to_string);
        }
    }
    Ok(row)
}

/// Django's `full_clean()` of the column lengths (the serializer checks none).
fn check_lengths(row: &VariantRow) -> Result<()> {
    check_model_lengths(&[
        ("variant_id", Some(row.variant_id.as_str()), 100),
        ("variant_uid", Some(row.variant_uid.as_str()), 200),
        ("variant_name", Some(row.variant_name.as_str()), 300),
        ("variant_version", row.variant_version.as_deref(), 100),
        ("variant_release", row.variant_release.as_deref(), 100),
    ])
}

async fn write_row(conn: &mut PgConnection, id: Option<i64>, row: &VariantRow) -> Result<i64> {
    match id {
        None => sqlx::query_scalar!(
            "INSERT INTO variant (release_pk, variant_id, variant_uid, variant_name, variant_type_pk,
                                  variant_version, variant_release)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            row.release_pk,
            row.variant_id,
            row.variant_uid,
            row.variant_name,
            row.variant_type_pk,
            row.variant_version,
            row.variant_release
        )
        .fetch_one(conn)
        .await
        .db(),
        Some(id) => {
            sqlx::query!(
                "UPDATE variant SET release_pk = $2, variant_id = $3, variant_uid = $4,
                        variant_name = $5, variant_type_pk = $6, variant_version = $7,
                        variant_release = $8
                 WHERE id = $1",
                id,
                row.release_pk,
                row.variant_id,
                row.variant_uid,
                row.variant_name,
                row.variant_type_pk,
                row.variant_version,
                row.variant_release
            )
            .execute(conn)
            .await
            .db()?;
            Ok(id)
        }
    }
}

/// Ids of the arches in `arches` (DRF's nested list serializer). An unknown
/// name ends the request at once (PDC raises a FieldError there, which wins
/// over every field error); other problems are field errors.
async fn arch_ids(
    conn: &mut PgConnection,
    input: &Input,
    errors: &mut FieldErrors,
) -> Result<Option<Vec<i64>>> {
    let Some(raw) = input.json("arches") else {
        return Ok(None);
    };
    let Value::Array(items) = raw else {
        let msg = format!(
            "Expected a list of items but got type \"{}\".",
            py_type(raw)
        );
        errors.set("arches", json!({ "detail": [msg] }));
        return Ok(None);
    };
    let mut ids = Vec::with_capacity(items.len());
    let mut item_errors = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        if item.is_null() {
            item_errors.push(json!(["This field may not be null."]));
            failed = true;
            continue;
        }
        item_errors.push(json!({}));
        let name = py_str(item);
        match find(conn, &ARCH_REF, &name).await? {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => return Err(Error::bad_request(format!("No such arch: \"{name}\"."))),
        }
    }
    if failed {
        errors.set("arches", Value::Array(item_errors));
        return Ok(None);
    }
    Ok(Some(ids))
}

/// The names `add_arches` / `remove_arches` stand for: Python iterates
/// whatever was sent (`x or []`); a truthy value that cannot be iterated is
/// a 400 here (PDC fails with a 503).
fn arch_names(body: &Map<String, Value>, key: &str) -> Result<Vec<String>> {
    let Some(v) = body.get(key).filter(|v| truthy(v)) else {
        return Ok(vec![]);
    };
    py_iter(v).ok_or_else(|| Error::bad_request(format!("'{}' object is not iterable", py_type(v))))
}

/// A non-empty `arches` list sets the arches exactly (and excludes
/// `add_arches`/`remove_arches`); updates then add and remove, one by one.
async fn write_arches(
    conn: &mut PgConnection,
    id: i64,
    op: Op,
    arches: Option<Vec<i64>>,
    body: &Map<String, Value>,
) -> Result<()> {
    if let Some(arches) = arches.filter(|a| !a.is_empty()) {
        let modifies = ["add_arches", "remove_arches"]
            .iter()
            .any(|k| body.get(*k).is_some_and(truthy));
        if modifies {
            return Err(Error::bad_request(
                "add_arches/remove_arches can not be combined with arches.",
            ));
        }
        sqlx::query!(
            "DELETE FROM variant_arch WHERE variant_pk = $1 AND NOT (arch_pk = ANY($2))",
            id,
            &arches
        )
        .execute(&mut *conn)
        .await
        .db()?;
        sqlx::query!(
            "INSERT INTO variant_arch (variant_pk, arch_pk) SELECT $1, unnest($2::bigint[])
             ON CONFLICT (variant_pk, arch_pk) DO NOTHING",
            id,
            &arches
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    if op == Op::Create {
        return Ok(());
    }
    for name in arch_names(body, "add_arches")? {
        let arch = find(conn, &ARCH_REF, &name)
            .await?
            .ok_or_else(|| Error::model_not_found("Arch"))?;
        let added = sqlx::query!(
            "INSERT INTO variant_arch (variant_pk, arch_pk) VALUES ($1, $2)
             ON CONFLICT (variant_pk, arch_pk) DO NOTHING",
            id,
            arch
        )
        .execute(&mut *conn)
        .await
        .db()?;
        if added.rows_affected() == 0 {
            return Err(Error::detail_list([
                "Variant arch with this Variant and Arch already exists.",
            ]));
        }
    }
    for name in arch_names(body, "remove_arches")? {
        sqlx::query!(
            "DELETE FROM variant_arch va USING arch a
             WHERE va.variant_pk = $1 AND a.id = va.arch_pk AND a.name = $2",
            id,
            name
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

// ---------------------------------------------------------------- variant types

/// `release-variant-types` (`VariantTypes<false>`) and its deprecated twin
/// `variant-types` (`VariantTypes<true>`): the same list under two names.
pub struct VariantTypes<const DEPRECATED: bool>;

static VARIANT_TYPE_FIELDS: [Field; 1] = [Field::ro(
    "name",
    Kind::Str {
        max: 100,
        blank: false,
    },
)];

const fn variant_types_spec(prefix: &'static str, doc: &'static str) -> Spec {
    Spec {
        prefix,
        lookup: &[],
        lookup_dots: false,
        fields: &VARIANT_TYPE_FIELDS,
        extra_body_keys: &[],
        filters: &[],
        extra_params: &[],
        strict_params: true,
        from: "variant_type t",
        id: "t.id",
        ordering: &[("id", "t.id"), ("name", "t.name")],
        relations: &[],
        default_order: "t.id",
        actions: Actions::LIST,
        change_name: "varianttype",
        last_modified: &[],
        caching: Caching::Default,
        model: "varianttype",
        doc,
    }
}

pub static RELEASE_VARIANT_TYPES: Spec =
    variant_types_spec("release-variant-types", "Variant types. List only.");
pub static VARIANT_TYPES: Spec = variant_types_spec(
    "variant-types",
    "Variant types (deprecated: use release-variant-types). List only.",
);

impl<const DEPRECATED: bool> Resource for VariantTypes<DEPRECATED> {
    const SPEC: &'static Spec = if DEPRECATED {
        &VARIANT_TYPES
    } else {
        &RELEASE_VARIANT_TYPES
    };

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!("SELECT id, name FROM variant_type WHERE id = ANY($1)", ids)
            .fetch_all(conn)
            .await
            .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| (r.id, json!({ "name": r.name })))
                .collect(),
        ))
    }
}
