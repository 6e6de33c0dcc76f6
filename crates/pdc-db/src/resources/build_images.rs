//! Layered image builds (`build-images/`) with their input RPMs and
//! archives, and their QE results (`build-image-rtt-tests/`).

use std::collections::HashMap;

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Input, Kind, Op, Ref, parse_body, py_str};
use pdc_core::{Error, Result, pydict};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::releases::RELEASE_REF;
use super::rpms::{self, Rpms};
use crate::db::DbResultExt;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, Spec};

pub static IMAGE_FORMAT_REF: Ref = Ref {
    table: "image_format",
    column: "name",
    order: "id",
};

pub static TESTING_STATE_REF: Ref = Ref {
    table: "testing_state",
    column: "name",
    order: "id",
};

pub struct BuildImages;

static FIELDS: [Field; 7] = [
    Field::ro(
        "url",
        Kind::Str {
            max: 0,
            blank: true,
        },
    ),
    Field::req(
        "image_id",
        Kind::Str {
            max: 200,
            blank: false,
        },
    ),
    Field::req("image_format", Kind::Slug(&IMAGE_FORMAT_REF)),
    Field::req(
        "md5",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("32 hex digits."),
    Field::opt("rpms", Kind::Custom).doc(
        "Output: `name-epoch:version-release.arch.rpm` texts. Input: objects with name, epoch, \
         version, release, arch (an existing RPM), or a whole new RPM (srpm_name, srpm_nevra, \
         filename ...).",
    ),
    Field::opt("archives", Kind::Custom)
        .doc("Objects `{build_nvr, name, size, md5}`; an unknown one is created."),
    Field::opt("releases", Kind::SlugList(&RELEASE_REF)),
];

const FIELD_ORDER: [&str; 7] = [
    "url",
    "image_id",
    "image_format",
    "md5",
    "rpms",
    "archives",
    "releases",
];

/// A build-image filter on its RPMs (the condition is on `p`).
macro_rules! concat_filter {
    ($cond:literal) => {
        concat!(
            "b.id IN (SELECT bir.build_image_pk FROM build_image_rpm bir
       JOIN rpm p ON p.id = bir.rpm_pk WHERE ",
            $cond
        )
    };
}

/// A build-image filter on its archives (the condition is on `a`).
macro_rules! archive_filter {
    ($cond:literal) => {
        concat!(
            "b.id IN (SELECT ba.build_image_pk FROM build_image_archive ba
               JOIN archive a ON a.id = ba.archive_pk WHERE ",
            $cond,
            ")"
        )
    };
}

pub static BUILD_IMAGES: Spec = Spec {
    prefix: "build-images",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi(
            "component_name",
            "b.id IN (SELECT bir.build_image_pk FROM build_image_rpm bir
               JOIN rpm p ON p.id = bir.rpm_pk
               WHERE p.srpm_name = ANY(COALESCE(
                 (SELECT array_agg(m.srpm_name) FROM release_component_srpm_mapping m
                  JOIN release_component rc ON rc.id = m.release_component_pk
                  WHERE rc.name = ANY({})), {})))",
        )
        .doc("SRPM name, or release component name mapped to SRPM names"),
        Filter::multi("rpm_version", concat_filter!("p.version = ANY({}))")),
        Filter::multi("rpm_release", concat_filter!("p.release = ANY({}))")),
        Filter::multi("image_id", "b.image_id = ANY({})"),
        Filter::multi(
            "image_format",
            "b.image_format_pk IN (SELECT id FROM image_format WHERE name = ANY({}))",
        ),
        Filter::multi("md5", "b.md5 = ANY({})"),
        Filter::multi(
            "archive_build_nvr",
            archive_filter!("a.build_nvr = ANY({})"),
        ),
        Filter::multi("archive_name", archive_filter!("a.name = ANY({})")),
        Filter::multi("archive_size", archive_filter!("a.size::text = ANY({})")),
        Filter::multi("archive_md5", archive_filter!("a.md5 = ANY({})")),
        Filter::multi(
            "release_id",
            "b.id IN (SELECT br.build_image_pk FROM build_image_release br
               JOIN release r ON r.id = br.release_pk WHERE r.release_id = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "build_image b",
    id: "b.id",
    ordering: &[
        ("id", "b.id"),
        ("image_id", "b.image_id"),
        ("image_format", "b.image_format_pk"),
        ("md5", "b.md5"),
        ("test_result", "b.test_result_pk"),
    ],
    relations: &[],
    default_order: "b.id",
    actions: Actions::ALL,
    change_name: "buildimage",
    last_modified: &[],
    caching: Caching::Default,
    model: "buildimage",
    doc: "Image builds with their input RPMs, archives and releases. PUT keeps omitted \
          `rpms`, `archives` and `releases`.",
};

/// `RPM.__unicode__`: `name-epoch:version-release.arch.rpm`.
fn rpm_text(name: &str, epoch: i32, version: &str, release: &str, arch: &str) -> String {
    format!("{name}-{epoch}:{version}-{release}.{arch}.rpm")
}

/// The archive object (`ArchiveSerializer`), also its `export()` keys.
fn archive_value(build_nvr: String, name: String, size: i64, md5: String) -> Value {
    json!({"build_nvr": build_nvr, "name": name, "size": size, "md5": md5})
}

/// Python 2 dict order of an object built by inserting its keys in order.
fn py_ordered(value: Value, keys: &[&str]) -> Value {
    let mut map = Map::new();
    for k in pydict::order(keys, 1) {
        map.insert(k.to_string(), value.get(k).cloned().unwrap_or(Value::Null));
    }
    Value::Object(map)
}

async fn fetch_all(
    conn: &mut PgConnection,
    ctx: Option<&Ctx>,
    ids: &[i64],
    export: bool,
) -> Result<Vec<(i64, Value)>> {
    let rows = sqlx::query!(
        "SELECT b.id, b.image_id, f.name AS image_format, b.md5, t.name AS test_result
         FROM build_image b
         JOIN image_format f ON f.id = b.image_format_pk
         JOIN testing_state t ON t.id = b.test_result_pk
         WHERE b.id = ANY($1)",
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    // RPMs in RPM's default order (name, epoch, version, release, arch).
    let rpm_rows = sqlx::query!(
        "SELECT bir.build_image_pk, p.id, p.name, p.epoch, p.version, p.release, p.arch
         FROM build_image_rpm bir JOIN rpm p ON p.id = bir.rpm_pk
         WHERE bir.build_image_pk = ANY($1)
         ORDER BY p.name, p.epoch, p.version, p.release, p.arch",
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut rpm_values: HashMap<i64, Value> = HashMap::new();
    if export {
        let rpm_ids: Vec<i64> = rpm_rows.iter().map(|r| r.id).collect();
        let ctx = Ctx {
            base_url: String::new(),
            settings: Default::default(),
        };
        for v in Rpms::fetch(conn, &ctx, &rpm_ids).await? {
            let id = v["id"].as_i64().unwrap_or_default();
            rpm_values.insert(id, rpms::export(&v));
        }
    }
    let mut rpms_of: HashMap<i64, Vec<Value>> = HashMap::new();
    for r in rpm_rows {
        let v = if export {
            rpm_values.get(&r.id).cloned().unwrap_or(Value::Null)
        } else {
            json!(rpm_text(&r.name, r.epoch, &r.version, &r.release, &r.arch))
        };
        rpms_of.entry(r.build_image_pk).or_default().push(v);
    }
    let archive_rows = sqlx::query!(
        "SELECT ba.build_image_pk, a.build_nvr, a.name, a.size, a.md5
         FROM build_image_archive ba JOIN archive a ON a.id = ba.archive_pk
         WHERE ba.build_image_pk = ANY($1) ORDER BY a.id",
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut archives_of: HashMap<i64, Vec<Value>> = HashMap::new();
    for a in archive_rows {
        let v = archive_value(a.build_nvr, a.name, a.size, a.md5);
        let v = if export {
            py_ordered(v, &["build_nvr", "name", "size", "md5"])
        } else {
            v
        };
        archives_of.entry(a.build_image_pk).or_default().push(v);
    }
    let release_rows = sqlx::query!(
        "SELECT br.build_image_pk, br.release_pk, r.release_id FROM build_image_release br
         JOIN release r ON r.id = br.release_pk
         WHERE br.build_image_pk = ANY($1) ORDER BY r.release_id",
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut release_exports: HashMap<String, Value> = HashMap::new();
    if export {
        let pks: Vec<i64> = release_rows.iter().map(|r| r.release_pk).collect();
        for v in super::releases::fetch_releases(conn, &pks).await? {
            let id = v["release_id"].as_str().unwrap_or_default().to_string();
            release_exports.insert(id, release_export(&v));
        }
    }
    let mut releases_of: HashMap<i64, Vec<Value>> = HashMap::new();
    for r in release_rows {
        let v = match release_exports.get(&r.release_id) {
            Some(e) => e.clone(),
            None => json!(r.release_id),
        };
        releases_of.entry(r.build_image_pk).or_default().push(v);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let rpms = rpms_of.remove(&r.id).unwrap_or_default();
            let archives = archives_of.remove(&r.id).unwrap_or_default();
            let releases = releases_of.remove(&r.id).unwrap_or_default();
            let value = match ctx {
                Some(ctx) => json!({
                    "url": ctx.api_url(&format!("build-images/{}/", r.id)),
                    "image_id": r.image_id,
                    "image_format": r.image_format,
                    "md5": r.md5,
                    "rpms": rpms,
                    "archives": archives,
                    "releases": releases,
                }),
                None => py_ordered(
                    json!({
                        "image_id": r.image_id,
                        "md5": r.md5,
                        "image_format": r.image_format,
                        "test_result": r.test_result,
                        "rpms": rpms,
                        "archives": archives,
                        "releases": releases,
                    }),
                    &[
                        "image_id",
                        "md5",
                        "image_format",
                        "test_result",
                        "rpms",
                        "archives",
                        "releases",
                    ],
                ),
            };
            (r.id, value)
        })
        .collect())
}

/// `Release.export()` from a release representation: the model's fields
/// without the composes and bindings, in PDC's (Python 2 dict) order.
fn release_export(release: &Value) -> Value {
    const KEYS: [&str; 13] = [
        "release_id",
        "product_version",
        "integrated_with",
        "sigkey",
        "active",
        "allow_buildroot_push",
        "short",
        "name",
        "allowed_debuginfo_services",
        "version",
        "allowed_push_targets",
        "base_product",
        "release_type",
    ];
    let mut map = Map::new();
    for k in KEYS {
        map.insert(
            k.to_string(),
            release.get(k).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(map)
}

/// `BuildImage.export()`.
pub async fn export(conn: &mut PgConnection, id: i64) -> Result<Value> {
    let mut v = fetch_all(conn, None, &[id], true).await?;
    v.pop()
        .map(|(_, v)| v)
        .ok_or_else(|| Error::internal("build image vanished"))
}

impl Resource for BuildImages {
    const SPEC: &'static Spec = &BUILD_IMAGES;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "build_image", key).await
    }

    async fn fetch(conn: &mut PgConnection, ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = fetch_all(conn, Some(ctx), ids, false).await?;
        Ok(in_order(ids, rows))
    }

    async fn export(conn: &mut PgConnection, _ctx: &Ctx, id: i64, _value: Value) -> Result<Value> {
        export(conn, id).await
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save(w, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save(w, Some(id), body, op).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "build_image", id).await
    }
}

/// PDC's `validate_md5` (then DRF's length check of a 32-character column).
pub fn md5_errors(value: &str, max: usize) -> Vec<String> {
    let mut errors = Vec::new();
    if !value.chars().all(|c| c.is_ascii_hexdigit()) {
        errors.push(format!("{value} contains invalid characters"));
    } else if value.chars().count() != 32 {
        errors.push(format!("{value} should be 32 characters long"));
    }
    if value.chars().count() > max {
        errors.push(format!(
            "Ensure this field has no more than {max} characters."
        ));
    }
    errors
}

/// `_get_fields`: the required keys of an input object, or the object of
/// missing ones.
fn required<'a>(
    item: &'a Map<String, Value>,
    keys: &[&str],
) -> std::result::Result<Vec<&'a Value>, Value> {
    let mut missing = Map::new();
    let mut found = Vec::new();
    for k in keys {
        match item.get(*k) {
            Some(v) => found.push(v),
            None => {
                missing.insert((*k).to_string(), json!("This field is required."));
            }
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        let keys: Vec<&str> = missing.keys().map(String::as_str).collect();
        Err(py_ordered(Value::Object(missing.clone()), &keys))
    }
}

/// What went wrong with one list field: its error value.
type ItemError = Value;

/// Finds or creates the RPMs of a `rpms` input, logging new ones.
async fn rpm_inputs(
    w: &mut Write<'_>,
    raw: &Value,
) -> Result<std::result::Result<Vec<i64>, ItemError>> {
    let items = match objects(raw, "Unsupported RPM input.") {
        Ok(items) => items,
        Err(e) => return Ok(Err(e)),
    };
    let mut ids = Vec::new();
    for item in items {
        let found = match required(item, &["name", "epoch", "version", "release", "arch"]) {
            Err(missing) => return Ok(Err(missing)),
            Ok(v) => {
                let text = |i: usize| py_str(v[i]);
                let Ok(epoch) = text(1).trim().parse::<i32>() else {
                    return Ok(Err(json!([format!(
                        "Can not get or create RPM with your input({}): invalid literal for int() with base 10: '{}'.",
                        pdc_core::fields::py_repr(&Value::Object(item.clone())),
                        text(1)
                    )])));
                };
                sqlx::query_scalar!(
                    "SELECT id FROM rpm WHERE name = $1 AND epoch = $2 AND version = $3
                     AND release = $4 AND arch = $5",
                    text(0),
                    epoch,
                    text(2),
                    text(3),
                    text(4)
                )
                .fetch_optional(&mut *w.conn)
                .await
                .db()?
            }
        };
        let id = match found {
            Some(id) => id,
            None => match rpms::save(w.conn, None, item, Op::Create).await {
                Ok(id) => {
                    let repr = Rpms::fetch(w.conn, w.ctx, &[id]).await?;
                    if let Some(v) = repr.first() {
                        w.changes.add("rpm", id, None, Some(&rpms::export(v)));
                    }
                    id
                }
                Err(e) => return Ok(Err(nested_error(e)?)),
            },
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(Ok(ids))
}

/// The error of a nested serializer as PDC puts it under the field: field
/// errors as an object, `detail` lists as a plain list.
fn nested_error(e: Error) -> Result<Value> {
    let body = match e {
        Error::Response { body, .. } => body,
        internal => return Err(internal),
    };
    Ok(match body.get("detail") {
        Some(Value::Array(list)) => Value::Array(list.clone()),
        Some(other) => json!({"detail": other}),
        None => body,
    })
}

/// The objects of a many-related input (DRF wants a list; PDC's fields
/// want objects, `unsupported` names anything else). The first problem is
/// the field's error.
fn objects<'a>(
    raw: &'a Value,
    unsupported: &str,
) -> std::result::Result<Vec<&'a Map<String, Value>>, ItemError> {
    let Some(items) = raw.as_array() else {
        return Err(json!([format!(
            "Expected a list of items but got type \"{}\".",
            pdc_core::fields::py_type(raw)
        )]));
    };
    items
        .iter()
        .map(|i| i.as_object().ok_or_else(|| json!([unsupported])))
        .collect()
}

/// Finds or creates the archives of an `archives` input, logging new ones.
async fn archive_inputs(
    w: &mut Write<'_>,
    raw: &Value,
) -> Result<std::result::Result<Vec<i64>, ItemError>> {
    let items = match objects(raw, "Unsupported Archive input.") {
        Ok(items) => items,
        Err(e) => return Ok(Err(e)),
    };
    let mut ids = Vec::new();
    for item in items {
        let v = match required(item, &["build_nvr", "name", "size"]) {
            Err(missing) => return Ok(Err(missing)),
            Ok(v) => v,
        };
        let size = match v[2] {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        let found = match size {
            Some(size) => sqlx::query_scalar!(
                "SELECT id FROM archive WHERE build_nvr = $1 AND name = $2 AND size = $3
                     ORDER BY id LIMIT 1",
                py_str(v[0]),
                py_str(v[1]),
                size
            )
            .fetch_optional(&mut *w.conn)
            .await
            .db()?,
            None => None,
        };
        let id = match found {
            Some(id) => id,
            None => match create_archive(w, item).await? {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            },
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(Ok(ids))
}

static ARCHIVE_FIELDS: [Field; 4] = [
    Field::req(
        "build_nvr",
        Kind::Str {
            max: 200,
            blank: false,
        },
    ),
    Field::req(
        "name",
        Kind::Str {
            max: 200,
            blank: false,
        },
    ),
    Field::req("size", Kind::Int),
    Field::req(
        "md5",
        Kind::Str {
            max: 0,
            blank: false,
        },
    ),
];

async fn create_archive(
    w: &mut Write<'_>,
    item: &Map<String, Value>,
) -> Result<std::result::Result<i64, ItemError>> {
    if let Err(e) =
        pdc_core::fields::reject_unknown(item, |k| ARCHIVE_FIELDS.iter().any(|f| f.name == k))
    {
        return Ok(Err(nested_error(e)?));
    }
    let (input, mut errors) = parse_body(&ARCHIVE_FIELDS, item, Op::Create);
    if let Some(md5) = input.str("md5") {
        for msg in md5_errors(md5, 32) {
            errors.add("md5", msg);
        }
    }
    if !errors.is_empty() {
        let keys = ["build_nvr", "name", "size", "md5"];
        return Ok(Err(Value::Object(errors.py2_ordered(&keys).0)));
    }
    let (build_nvr, name, md5) = (
        input.str("build_nvr").unwrap_or_default(),
        input.str("name").unwrap_or_default(),
        input.str("md5").unwrap_or_default(),
    );
    let size = input.int("size").unwrap_or_default();
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM archive WHERE build_nvr = $1 AND name = $2 AND md5 = $3) AS "t!""#,
        build_nvr,
        name,
        md5
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if taken {
        return Ok(Err(json!({"non_field_errors":
            ["The fields build_nvr, name, md5 must make a unique set."]})));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO archive (build_nvr, name, size, md5) VALUES ($1, $2, $3, $4) RETURNING id",
        build_nvr,
        name,
        size,
        md5
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    let export = py_ordered(
        archive_value(build_nvr.into(), name.into(), size, md5.into()),
        &["build_nvr", "name", "size", "md5"],
    );
    w.changes.add("archive", id, None, Some(&export));
    Ok(Ok(id))
}

async fn save(
    w: &mut Write<'_>,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let (mut input, mut errors): (Input, FieldErrors) = parse_body(&FIELDS, body, op);
    refs::resolve(w.conn, &FIELDS, &mut input, &mut errors).await?;
    if let Some(md5) = input.str("md5") {
        for msg in md5_errors(md5, 32) {
            errors.add("md5", msg);
        }
    }
    let mut rpm_ids = None;
    if let Some(raw) = input.json("rpms") {
        match rpm_inputs(w, raw).await? {
            Ok(ids) => rpm_ids = Some(ids),
            Err(e) => errors.set("rpms", e),
        }
    }
    let mut archive_ids = None;
    if let Some(raw) = input.json("archives") {
        match archive_inputs(w, raw).await? {
            Ok(ids) => archive_ids = Some(ids),
            Err(e) => errors.set("archives", e),
        }
    }
    errors.into_result(&FIELD_ORDER)?;

    let current = match id {
        Some(id) => Some(
            sqlx::query!(
                "SELECT image_id, image_format_pk, md5 FROM build_image WHERE id = $1",
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?,
        ),
        None => None,
    };
    let image_id = input
        .str("image_id")
        .map(str::to_string)
        .or_else(|| current.as_ref().map(|c| c.image_id.clone()))
        .unwrap_or_default();
    let format = match input.id("image_format") {
        Some(Some(pk)) => pk,
        _ => current
            .as_ref()
            .map(|c| c.image_format_pk)
            .unwrap_or_default(),
    };
    let md5 = input
        .str("md5")
        .map(str::to_string)
        .or_else(|| current.as_ref().map(|c| c.md5.clone()))
        .unwrap_or_default();
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM build_image WHERE image_id = $1 AND image_format_pk = $2
                          AND id IS DISTINCT FROM $3) AS "t!""#,
        image_id,
        format,
        id
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if taken {
        return Err(Error::detail_list([
            "The fields image_id, image_format must make a unique set.",
        ]));
    }
    let id = match id {
        None => sqlx::query_scalar!(
            "INSERT INTO build_image (image_id, image_format_pk, md5) VALUES ($1, $2, $3) RETURNING id",
            image_id,
            format,
            md5
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?,
        Some(id) => {
            sqlx::query!(
                "UPDATE build_image SET image_id = $2, image_format_pk = $3, md5 = $4 WHERE id = $1",
                id,
                image_id,
                format,
                md5
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            id
        }
    };
    if let Some(ids) = rpm_ids {
        replace_links(w.conn, "build_image_rpm", "rpm_pk", id, &ids).await?;
    }
    if let Some(ids) = archive_ids {
        replace_links(w.conn, "build_image_archive", "archive_pk", id, &ids).await?;
    }
    if let Some(ids) = input.ids("releases") {
        replace_links(w.conn, "build_image_release", "release_pk", id, ids).await?;
    }
    Ok(id)
}

/// Makes `ids` the only rows linked to build image `id` in `table` (a
/// constant of the code, with the other side in `column`).
async fn replace_links(
    conn: &mut PgConnection,
    table: &'static str,
    column: &'static str,
    id: i64,
    ids: &[i64],
) -> Result<()> {
    let delete = format!("DELETE FROM {table} WHERE build_image_pk = $1");
    sqlx::query(sqlx::AssertSqlSafe(delete))
        .bind(id)
        .execute(&mut *conn)
        .await
        .db()?;
    let insert =
        format!("INSERT INTO {table} (build_image_pk, {column}) SELECT $1, unnest($2::bigint[])");
    sqlx::query(sqlx::AssertSqlSafe(insert))
        .bind(id)
        .bind(ids)
        .execute(conn)
        .await
        .db()?;
    Ok(())
}

// ---------------------------------------------------------------- RTT tests

pub struct BuildImageRttTests;

static RTT_FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::ro(
        "build_nvr",
        Kind::Str {
            max: 0,
            blank: true,
        },
    ),
    Field::ro(
        "format",
        Kind::Str {
            max: 0,
            blank: true,
        },
    ),
    Field::req("test_result", Kind::Choice(&TESTING_STATE_REF)),
];

pub static BUILD_IMAGE_RTT_TESTS: Spec = Spec {
    prefix: "build-image-rtt-tests",
    lookup: &["image_id", "image_format"],
    lookup_dots: true,
    fields: &RTT_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("build_nvr", "b.image_id = ANY({})"),
        Filter::multi(
            "test_result",
            "b.test_result_pk IN (SELECT id FROM testing_state WHERE name = ANY({}))",
        ),
        Filter::multi(
            "image_format",
            "b.image_format_pk IN (SELECT id FROM image_format WHERE name = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "build_image b",
    id: "b.id",
    ordering: &[
        ("id", "b.id"),
        ("image_id", "b.image_id"),
        ("build_nvr", "b.image_id"),
        ("image_format", "b.image_format_pk"),
        ("md5", "b.md5"),
        ("test_result", "b.test_result_pk"),
    ],
    relations: &[],
    default_order: "b.id",
    actions: Actions {
        list: true,
        retrieve: true,
        partial_update: true,
        ..Actions::LIST
    },
    change_name: "buildimage",
    last_modified: &[],
    caching: Caching::Default,
    model: "buildimage",
    doc: "QE test results of build images, by `{image_id}/{image_format}`. Only \
          `test_result` can be changed (PATCH).",
};

impl Resource for BuildImageRttTests {
    const SPEC: &'static Spec = &BUILD_IMAGE_RTT_TESTS;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT b.id FROM build_image b JOIN image_format f ON f.id = b.image_format_pk
             WHERE b.image_id = $1 AND f.name = $2",
            key[0],
            key[1]
        )
        .fetch_optional(conn)
        .await
        .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT b.id, b.image_id, f.name AS format, t.name AS test_result
             FROM build_image b
             JOIN image_format f ON f.id = b.image_format_pk
             JOIN testing_state t ON t.id = b.test_result_pk
             WHERE b.id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let v = json!({"id": r.id, "build_nvr": r.image_id, "format": r.format,
                                   "test_result": r.test_result});
                    (r.id, v)
                })
                .collect(),
        ))
    }

    async fn export(conn: &mut PgConnection, _ctx: &Ctx, id: i64, _value: Value) -> Result<Value> {
        export(conn, id).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (mut input, mut errors) = parse_body(&RTT_FIELDS, body, op);
        refs::resolve(w.conn, &RTT_FIELDS, &mut input, &mut errors).await?;
        errors.into_result(&["id", "build_nvr", "format", "test_result"])?;
        if let Some(Some(pk)) = input.id("test_result") {
            sqlx::query!(
                "UPDATE build_image SET test_result_pk = $2 WHERE id = $1",
                id,
                pk
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_checks() {
        assert!(md5_errors("0123456789abcdef0123456789abcdef", 32).is_empty());
        assert_eq!(md5_errors("xyz", 32), ["xyz contains invalid characters"]);
        assert_eq!(md5_errors("abc", 32), ["abc should be 32 characters long"]);
        assert_eq!(
            rpm_text("bash", 0, "1", "2", "x86_64"),
            "bash-0:1-2.x86_64.rpm"
        );
    }

    #[test]
    fn missing_keys() {
        let item = json!({"name": "x"});
        let err = required(item.as_object().unwrap(), &["name", "epoch", "version"]).unwrap_err();
        assert_eq!(
            err,
            json!({"epoch": "This field is required.", "version": "This field is required."})
        );
    }
}
