//! RPMs (`rpms/`) with their dependencies, linked releases and the
//! composes that contain them.

use std::collections::HashMap;
use std::sync::LazyLock;

use futures::future::BoxFuture;
use pdc_core::error::FieldErrors;
use pdc_core::fields::{Default, Field, Input, Kind, Op, Val, parse_body, py_str};
use pdc_core::pyversion::{dependency_matches, parse_epoch_version};
use pdc_core::{Error, Result, pydict};
use regex::Regex;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::releases::RELEASE_REF;
use crate::db::DbResultExt;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

pub struct Rpms;

/// Dependency types by their stored number (1 provides ... 6 suggests).
pub const DEPENDENCY_TYPES: [&str; 6] = [
    "provides",
    "requires",
    "obsoletes",
    "conflicts",
    "recommends",
    "suggests",
];

/// `NAME` or `NAME OP VERSION` (PDC's `DEPENDENCY_PARSER`).
static DEPENDENCY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<name>[^ <>=]+)(?: *(?P<op>=|>=|<=|<|>) *(?P<version>[^ <>=]+))?$")
        .expect("static regex")
});

const fn text(max: usize) -> Kind {
    Kind::Str { max, blank: false }
}

pub static FIELDS: [Field; 15] = [
    Field::ro("id", Kind::Int),
    Field::req("name", text(200)),
    Field::req("version", text(200)),
    Field::req("epoch", Kind::Int).doc("Integer from 0 to 2147483647."),
    Field::req("release", text(200)),
    Field::req("arch", text(200)),
    Field::req("srpm_name", text(200)),
    Field::with_default("srpm_nevra", text(0), Default::Null)
        .null_in_output()
        .doc("Must be empty if and only if `arch` is `src`; PUT without it clears it."),
    Field::with_default("filename", text(0), Default::Null)
        .doc("Defaults to `{name}-{version}-{release}.{arch}.rpm` (also on PUT)."),
    Field::with_default(
        "linked_releases",
        Kind::SlugList(&RELEASE_REF),
        Default::EmptyList,
    ),
    Field::ro("linked_composes", Kind::Custom)
        .doc("compose_id of every (not deleted) compose containing the RPM."),
    Field::with_default("dependencies", Kind::Custom, Default::Null).doc(
        "Object of dependency lists keyed by type (provides, requires, obsoletes, conflicts, \
         recommends, suggests); each item `NAME` or `NAME OP VERSION`. A given value replaces \
         all dependencies; PUT without it removes them.",
    ),
    Field::with_default("built_for_release", Kind::Slug(&RELEASE_REF), Default::Null).nullable(),
    Field::opt(
        "srpm_commit_hash",
        Kind::Str {
            max: 200,
            blank: true,
        },
    )
    .nullable(),
    Field::opt(
        "srpm_commit_branch",
        Kind::Str {
            max: 200,
            blank: true,
        },
    )
    .nullable(),
];

const FIELD_ORDER: [&str; 15] = [
    "id",
    "name",
    "version",
    "epoch",
    "release",
    "arch",
    "srpm_name",
    "srpm_nevra",
    "filename",
    "linked_releases",
    "linked_composes",
    "dependencies",
    "built_for_release",
    "srpm_commit_hash",
    "srpm_commit_branch",
];

/// Compose membership, deleted composes included (PDC's `compose` filter).
const IN_COMPOSE: &str = "p.id IN (SELECT cr.rpm_pk FROM compose_rpm cr
       JOIN compose_variant_arch va ON va.id = cr.variant_arch_pk
       JOIN compose_variant v ON v.id = va.variant_pk
       JOIN compose c ON c.id = v.compose_pk
       WHERE c.compose_id = ANY({}))";

pub static RPMS: Spec = Spec {
    prefix: "rpms",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new("name", FilterKind::Regex, "p.name ~ ANY({})")
            .doc("Regular expression search (`^bash$` for an exact name)"),
        Filter::multi("version", "p.version = ANY({})"),
        Filter::new("epoch", FilterKind::MultiInt, "p.epoch = ANY({})"),
        Filter::multi("release", "p.release = ANY({})"),
        Filter::multi("arch", "p.arch = ANY({})"),
        Filter::multi("srpm_name", "p.srpm_name = ANY({})"),
        Filter::new(
            "srpm_nevra",
            FilterKind::NullableChar {
                null_sql: "p.srpm_nevra IS NULL",
            },
            "p.srpm_nevra = {}",
        ),
        Filter::multi("filename", "p.filename = ANY({})"),
        Filter::multi("compose", IN_COMPOSE).doc("compose_id (deleted composes too)"),
        Filter::multi("srpm_commit_hash", "p.srpm_commit_hash = ANY({})"),
        Filter::multi("srpm_commit_branch", "p.srpm_commit_branch = ANY({})"),
        Filter::multi(
            "linked_release",
            "p.id IN (SELECT l.rpm_pk FROM rpm_linked_release l
               JOIN release r ON r.id = l.release_pk WHERE r.release_id = ANY({}))",
        ),
        Filter::multi(
            "built_for_release",
            "p.built_for_release_pk IN (SELECT id FROM release WHERE release_id = ANY({}))",
        ),
        dep_filter("provides", FilterKind::Ids(dependency_ids::<1>)),
        dep_filter("requires", FilterKind::Ids(dependency_ids::<2>)),
        dep_filter("obsoletes", FilterKind::Ids(dependency_ids::<3>)),
        dep_filter("conflicts", FilterKind::Ids(dependency_ids::<4>)),
        dep_filter("recommends", FilterKind::Ids(dependency_ids::<5>)),
        dep_filter("suggests", FilterKind::Ids(dependency_ids::<6>)),
        Filter::boolean(
            "has_no_deps",
            "NOT EXISTS (SELECT 1 FROM rpm_dependency d WHERE d.rpm_pk = p.id) = {}",
        )
        .doc("true: RPMs without dependencies; false: with at least one"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "rpm p",
    id: "p.id",
    ordering: &[
        ("id", "p.id"),
        ("name", "p.name"),
        ("version", "p.version"),
        ("epoch", "p.epoch"),
        ("release", "p.release"),
        ("arch", "p.arch"),
        ("srpm_name", "p.srpm_name"),
        ("srpm_nevra", "p.srpm_nevra"),
        ("filename", "p.filename"),
        ("built_for_release", "p.built_for_release_pk"),
        ("srpm_commit_hash", "p.srpm_commit_hash"),
        ("srpm_commit_branch", "p.srpm_commit_branch"),
    ],
    relations: &[],
    default_order: "p.id",
    actions: Actions::NO_DELETE,
    change_name: "rpm",
    last_modified: &[],
    caching: Caching::Default,
    model: "rpm",
    doc: "RPMs. No delete. The dependency filters take `NAME` or `NAME OP VERSION` and list \
          RPMs with a dependency of that type on NAME compatible with the constraint \
          (versions compared as Python's pkg_resources does, `E:` epochs understood).",
};

const fn dep_filter(param: &'static str, kind: FilterKind) -> Filter {
    Filter::new(param, kind, "p.id = ANY({})")
        .doc("`NAME` or `NAME OP VERSION`; RPMs whose dependencies of this type are compatible")
}

/// Ids of the RPMs a dependency filter of type `T` lets through.
fn dependency_ids<'c, const T: i16>(
    conn: &'c mut PgConnection,
    value: &'c str,
) -> BoxFuture<'c, Result<Option<Vec<i64>>>> {
    let value = value.to_string();
    Box::pin(async move { matching_dependencies(conn, T, &value).await })
}

/// `None` for a blank value (the filter's form field strips it to nothing).
async fn matching_dependencies(
    conn: &mut PgConnection,
    t: i16,
    value: &str,
) -> Result<Option<Vec<i64>>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let Some(c) = DEPENDENCY.captures(value) else {
        return Err(Error::bad_request(format!(
            "Unrecognized value for filter for {t}"
        )));
    };
    let rows = sqlx::query!(
        "SELECT rpm_pk, comparison, version FROM rpm_dependency
         WHERE type = $1 AND name = $2 ORDER BY rpm_pk",
        t,
        &c["name"]
    )
    .fetch_all(conn)
    .await
    .db()?;
    let wanted = match (c.name("op"), c.name("version")) {
        (Some(op), Some(v)) => Some((op.as_str(), parse_epoch_version(v.as_str()))),
        _ => None,
    };
    let mut ids: Vec<i64> = Vec::new();
    let mut failed: Vec<i64> = Vec::new();
    for r in rows {
        if ids.last() != Some(&r.rpm_pk) {
            ids.push(r.rpm_pk);
        }
        if let (Some((op, version)), Some(dep_version)) =
            (&wanted, r.version.as_deref().filter(|v| !v.is_empty()))
        {
            let dep_op = r.comparison.as_deref().unwrap_or("");
            if !dependency_matches(op, version, dep_op, &parse_epoch_version(dep_version)) {
                failed.push(r.rpm_pk);
            }
        }
    }
    ids.retain(|id| !failed.contains(id));
    Ok(Some(ids))
}

/// One dependency as PDC writes it: `name` or `name OP version`.
fn dependency_text(name: &str, comparison: Option<&str>, version: Option<&str>) -> String {
    match version.filter(|v| !v.is_empty()) {
        Some(v) => format!("{name} {} {v}", comparison.unwrap_or("None")),
        None => name.to_string(),
    }
}

/// The `dependencies` object: all six types, in PDC's (Python 2 dict) key order.
fn dependencies_value(deps: &[(i16, String)]) -> Value {
    let keys = pydict::order(&DEPENDENCY_TYPES, 1);
    let mut map = Map::new();
    for k in keys {
        let t = DEPENDENCY_TYPES.iter().position(|x| *x == k).unwrap_or(0) as i16 + 1;
        let items: Vec<Value> = deps
            .iter()
            .filter(|(dt, _)| *dt == t)
            .map(|(_, s)| json!(s))
            .collect();
        map.insert(k.to_string(), Value::Array(items));
    }
    Value::Object(map)
}

/// Dependencies of `ids` by RPM, in storage order, as `(type, text)`.
async fn fetch_dependencies(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<(i16, String)>>> {
    let rows = sqlx::query!(
        "SELECT rpm_pk, type AS dep_type, name, comparison, version FROM rpm_dependency
         WHERE rpm_pk = ANY($1) ORDER BY id",
        ids
    )
    .fetch_all(conn)
    .await
    .db()?;
    let mut out: HashMap<i64, Vec<(i16, String)>> = HashMap::new();
    for r in rows {
        let text = dependency_text(&r.name, r.comparison.as_deref(), r.version.as_deref());
        out.entry(r.rpm_pk).or_default().push((r.dep_type, text));
    }
    Ok(out)
}

/// Release ids linked to each of `ids`, ordered by release_id (Release's
/// default ordering).
pub async fn fetch_linked_releases(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>> {
    let rows = sqlx::query!(
        "SELECT l.rpm_pk, r.release_id FROM rpm_linked_release l
         JOIN release r ON r.id = l.release_pk
         WHERE l.rpm_pk = ANY($1) ORDER BY r.release_id",
        ids
    )
    .fetch_all(conn)
    .await
    .db()?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for r in rows {
        out.entry(r.rpm_pk).or_default().push(r.release_id);
    }
    Ok(out)
}

impl Resource for Rpms {
    const SPEC: &'static Spec = &RPMS;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "rpm", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT p.id AS "id!", p.name, p.version, p.epoch, p.release, p.arch, p.srpm_name,
                      p.srpm_nevra, p.filename, r.release_id AS "built_for_release?",
                      p.srpm_commit_hash, p.srpm_commit_branch
               FROM rpm p LEFT JOIN release r ON r.id = p.built_for_release_pk
               WHERE p.id = ANY($1)"#,
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut linked = fetch_linked_releases(conn, ids).await?;
        let composes = sqlx::query!(
            "SELECT DISTINCT cr.rpm_pk, c.id, c.compose_id FROM compose_rpm cr
             JOIN compose_variant_arch va ON va.id = cr.variant_arch_pk
             JOIN compose_variant v ON v.id = va.variant_pk
             JOIN compose c ON c.id = v.compose_pk
             WHERE cr.rpm_pk = ANY($1) AND NOT c.deleted ORDER BY cr.rpm_pk, c.id",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut in_composes: HashMap<i64, Vec<String>> = HashMap::new();
        for c in composes {
            in_composes.entry(c.rpm_pk).or_default().push(c.compose_id);
        }
        let deps = fetch_dependencies(conn, ids).await?;
        let values = rows
            .into_iter()
            .map(|r| {
                let value = json!({
                    "id": r.id,
                    "name": r.name,
                    "version": r.version,
                    "epoch": r.epoch,
                    "release": r.release,
                    "arch": r.arch,
                    "srpm_name": r.srpm_name,
                    "srpm_nevra": r.srpm_nevra,
                    "filename": r.filename,
                    "linked_releases": linked.remove(&r.id).unwrap_or_default(),
                    "linked_composes": in_composes.remove(&r.id).unwrap_or_default(),
                    "dependencies": dependencies_value(deps.get(&r.id).map_or(&[][..], |d| d)),
                    "built_for_release": r.built_for_release,
                    "srpm_commit_hash": r.srpm_commit_hash,
                    "srpm_commit_branch": r.srpm_commit_branch,
                });
                (r.id, value)
            })
            .collect();
        Ok(in_order(ids, values))
    }

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, value: Value) -> Result<Value> {
        Ok(export(&value))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save(w.conn, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save(w.conn, Some(id), body, op).await
    }
}

/// PDC's `RPM.export()` of a representation: the model's fields (as
/// `model_to_dict` inserts them), linked releases and dependencies, in
/// Python 2 dict order.
pub fn export(rpm: &Value) -> Value {
    const KEYS: [&str; 11] = [
        "name",
        "epoch",
        "version",
        "release",
        "arch",
        "srpm_name",
        "built_for_release",
        "srpm_nevra",
        "filename",
        "linked_releases",
        "dependencies",
    ];
    let mut map = Map::new();
    for k in pydict::order(&KEYS, 1) {
        map.insert(k.to_string(), rpm.get(k).cloned().unwrap_or(Value::Null));
    }
    Value::Object(map)
}

/// The stored columns of one RPM.
#[derive(Debug, Default)]
struct Row {
    name: String,
    epoch: i32,
    version: String,
    release: String,
    arch: String,
    srpm_name: String,
    srpm_nevra: Option<String>,
    filename: String,
    built_for_release_pk: Option<i64>,
    srpm_commit_hash: Option<String>,
    srpm_commit_branch: Option<String>,
}

/// A parsed dependency: (type, name, comparison, version).
type Dependency = (i16, String, Option<String>, Option<String>);

/// PDC's `DependencySerializer.to_internal_value`: the first problem ends
/// the check (keys in Python 2 dict order).
fn parse_dependencies(value: &Value) -> std::result::Result<Vec<Dependency>, String> {
    let entries: Vec<(String, Option<&Value>)> = match value {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            pydict::order(&keys, 1)
                .into_iter()
                .map(|k| (k.to_string(), map.get(k)))
                .collect()
        }
        // Iterating anything else gives keys without values.
        Value::Array(items) => items.iter().map(|i| (py_str(i), None)).collect(),
        Value::String(s) => s.chars().map(|c| (c.to_string(), None)).collect(),
        Value::Null => Vec::new(),
        other => {
            return Err(format!(
                "<{}> is not a known dependency type.",
                py_str(other)
            ));
        }
    };
    let mut out = Vec::new();
    for (key, items) in entries {
        let Some(t) = DEPENDENCY_TYPES.iter().position(|x| *x == key) else {
            return Err(format!("<{key}> is not a known dependency type."));
        };
        let Some(Value::Array(items)) = items else {
            return Err(format!("Value for <{key}> is not a list."));
        };
        for item in items {
            let Value::String(s) = item else {
                return Err(format!(
                    "Dependency <{}> for <{key}> is not a string.",
                    py_str(item)
                ));
            };
            let Some(c) = DEPENDENCY.captures(s) else {
                return Err(format!("Dependency <{s}> for <{key}> has bad format."));
            };
            out.push((
                t as i16 + 1,
                c["name"].to_string(),
                c.name("op").map(|m| m.as_str().to_string()),
                c.name("version").map(|m| m.as_str().to_string()),
            ));
        }
    }
    Ok(out)
}

/// PDC's default filename, from the request data as sent; `None` when a
/// part is missing.
fn default_filename(body: &Map<String, Value>) -> Option<String> {
    let part = |k: &str| body.get(k).map(py_str);
    Some(format!(
        "{}-{}-{}.{}.rpm",
        part("name")?,
        part("version")?,
        part("release")?,
        part("arch")?
    ))
}

/// Checks an RPM body as PDC's serializer does and returns the checked
/// input, its dependencies (`None`: keep) and the field errors.
fn check_input(body: &Map<String, Value>, op: Op) -> (Input, Option<Vec<Dependency>>, FieldErrors) {
    let (mut input, mut errors) = parse_body(&FIELDS, body, op);
    if let Some(e) = input.int("epoch") {
        if e < 0 {
            errors.add("epoch", "Ensure this value is greater than or equal to 0.");
        } else if e > i64::from(i32::MAX) {
            errors.add(
                "epoch",
                "Ensure this value is less than or equal to 2147483647.",
            );
        }
    }
    if op != Op::Patch && !body.contains_key("filename") {
        match default_filename(body) {
            Some(f) => input.set("filename", Val::Str(f)),
            None => {
                input.remove("filename");
            }
        }
    }
    let deps = match input.get("dependencies") {
        None => None,
        Some(Val::Null) if !body.contains_key("dependencies") => Some(Vec::new()),
        Some(Val::Json(v)) => match parse_dependencies(v) {
            Ok(d) => Some(d),
            Err(msg) => {
                errors.add("dependencies", msg);
                None
            }
        },
        Some(_) => Some(Vec::new()),
    };
    (input, deps, errors)
}

/// Whether `(arch == "src") == bool(srpm_nevra)`: PDC's save-time rule.
pub fn bad_srpm_nevra(arch: &str, srpm_nevra: Option<&str>) -> bool {
    (arch == "src") == srpm_nevra.is_some_and(|s| !s.is_empty())
}

pub const SRPM_NEVRA_RULE: &str = "RPM's srpm_nevra should be empty if and only if arch is src";

/// Creates (`id` None) or updates one RPM from a request body.
pub async fn save(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let (mut input, deps, mut errors) = check_input(body, op);
    refs::resolve(conn, &FIELDS, &mut input, &mut errors).await?;
    errors.into_result(&FIELD_ORDER)?;
    let mut row = match id {
        Some(id) => current_row(conn, id).await?,
        None => Row::default(),
    };
    apply(&mut row, &input);
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM rpm WHERE name = $1 AND epoch = $2 AND version = $3
                          AND release = $4 AND arch = $5 AND id IS DISTINCT FROM $6) AS "taken!""#,
        row.name,
        row.epoch,
        row.version,
        row.release,
        row.arch,
        id
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    if taken {
        return Err(Error::detail_list([
            "The fields name, epoch, version, release, arch must make a unique set.",
        ]));
    }
    if bad_srpm_nevra(&row.arch, row.srpm_nevra.as_deref()) {
        return Err(Error::detail_list([SRPM_NEVRA_RULE]));
    }
    let id = write_row(conn, id, &row).await?;
    if let Some(releases) = input.ids("linked_releases") {
        set_linked_releases(conn, id, releases).await?;
    }
    if let Some(deps) = deps {
        set_dependencies(conn, id, &deps).await?;
    }
    Ok(id)
}

fn apply(row: &mut Row, input: &Input) {
    let text = |name: &str, slot: &mut String| {
        if let Some(v) = input.str(name) {
            *slot = v.to_string();
        }
    };
    text("name", &mut row.name);
    text("version", &mut row.version);
    text("release", &mut row.release);
    text("arch", &mut row.arch);
    text("srpm_name", &mut row.srpm_name);
    text("filename", &mut row.filename);
    if let Some(e) = input.int("epoch") {
        row.epoch = e as i32;
    }
    let opt = |name: &str, slot: &mut Option<String>| {
        if let Some(v) = input.opt_str(name) {
            *slot = v.map(str::to_string);
        }
    };
    opt("srpm_nevra", &mut row.srpm_nevra);
    opt("srpm_commit_hash", &mut row.srpm_commit_hash);
    opt("srpm_commit_branch", &mut row.srpm_commit_branch);
    if let Some(pk) = input.id("built_for_release") {
        row.built_for_release_pk = pk;
    }
}

async fn current_row(conn: &mut PgConnection, id: i64) -> Result<Row> {
    let r = sqlx::query!(
        "SELECT name, epoch, version, release, arch, srpm_name, srpm_nevra, filename,
                built_for_release_pk, srpm_commit_hash, srpm_commit_branch
         FROM rpm WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await
    .db()?;
    Ok(Row {
        name: r.name,
        epoch: r.epoch,
        version: r.version,
        release: r.release,
        arch: r.arch,
        srpm_name: r.srpm_name,
        srpm_nevra: r.srpm_nevra,
        filename: r.filename,
        built_for_release_pk: r.built_for_release_pk,
        srpm_commit_hash: r.srpm_commit_hash,
        srpm_commit_branch: r.srpm_commit_branch,
    })
}

async fn write_row(conn: &mut PgConnection, id: Option<i64>, row: &Row) -> Result<i64> {
    match id {
        None => sqlx::query_scalar!(
            "INSERT INTO rpm (name, epoch, version, release, arch, srpm_name, srpm_nevra, filename,
                              built_for_release_pk, srpm_commit_hash, srpm_commit_branch)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            row.name,
            row.epoch,
            row.version,
            row.release,
            row.arch,
            row.srpm_name,
            row.srpm_nevra,
            row.filename,
            row.built_for_release_pk,
            row.srpm_commit_hash,
            row.srpm_commit_branch
        )
        .fetch_one(conn)
        .await
        .db(),
        Some(id) => {
            sqlx::query!(
                "UPDATE rpm SET name = $2, epoch = $3, version = $4, release = $5, arch = $6,
                        srpm_name = $7, srpm_nevra = $8, filename = $9, built_for_release_pk = $10,
                        srpm_commit_hash = $11, srpm_commit_branch = $12
                 WHERE id = $1",
                id,
                row.name,
                row.epoch,
                row.version,
                row.release,
                row.arch,
                row.srpm_name,
                row.srpm_nevra,
                row.filename,
                row.built_for_release_pk,
                row.srpm_commit_hash,
                row.srpm_commit_branch
            )
            .execute(conn)
            .await
            .db()?;
            Ok(id)
        }
    }
}

async fn set_linked_releases(conn: &mut PgConnection, id: i64, releases: &[i64]) -> Result<()> {
    sqlx::query!("DELETE FROM rpm_linked_release WHERE rpm_pk = $1", id)
        .execute(&mut *conn)
        .await
        .db()?;
    sqlx::query!(
        "INSERT INTO rpm_linked_release (rpm_pk, release_pk)
         SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
        id,
        releases
    )
    .execute(conn)
    .await
    .db()?;
    Ok(())
}

async fn set_dependencies(conn: &mut PgConnection, id: i64, deps: &[Dependency]) -> Result<()> {
    sqlx::query!("DELETE FROM rpm_dependency WHERE rpm_pk = $1", id)
        .execute(&mut *conn)
        .await
        .db()?;
    let types: Vec<i16> = deps.iter().map(|d| d.0).collect();
    let names: Vec<String> = deps.iter().map(|d| d.1.clone()).collect();
    let ops: Vec<Option<String>> = deps.iter().map(|d| d.2.clone()).collect();
    let versions: Vec<Option<String>> = deps.iter().map(|d| d.3.clone()).collect();
    sqlx::query!(
        "INSERT INTO rpm_dependency (rpm_pk, type, name, comparison, version)
         SELECT $1, t, n, c, v
         FROM unnest($2::smallint[], $3::text[], $4::text[], $5::text[])
              WITH ORDINALITY AS d(t, n, c, v, i)
         ORDER BY i",
        id,
        &types,
        &names,
        &ops as &[Option<String>],
        &versions as &[Option<String>]
    )
    .execute(conn)
    .await
    .db()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_input() {
        let deps = parse_dependencies(&json!({"suggests": ["a >= 1.0", "b"]})).unwrap();
        assert_eq!(
            deps,
            [
                (6, "a".into(), Some(">=".into()), Some("1.0".into())),
                (6, "b".into(), None, None)
            ]
        );
        assert_eq!(
            parse_dependencies(&json!({"wants": ["x"]})).unwrap_err(),
            "<wants> is not a known dependency type."
        );
        assert_eq!(
            parse_dependencies(&json!({"suggests": "pony"})).unwrap_err(),
            "Value for <suggests> is not a list."
        );
        assert_eq!(
            parse_dependencies(&json!({"suggests": [["pony"]]})).unwrap_err(),
            "Dependency <[u'pony']> for <suggests> is not a string."
        );
        assert_eq!(
            parse_dependencies(&json!({"recommends": ["foo bar"]})).unwrap_err(),
            "Dependency <foo bar> for <recommends> has bad format."
        );
        assert_eq!(dependency_text("a", Some(">="), Some("1")), "a >= 1");
    }

    #[test]
    fn srpm_nevra_rule() {
        assert!(!bad_srpm_nevra("src", None));
        assert!(bad_srpm_nevra("src", Some("x")));
        assert!(bad_srpm_nevra("x86_64", Some("")));
        assert!(!bad_srpm_nevra("x86_64", Some("x")));
    }
}
