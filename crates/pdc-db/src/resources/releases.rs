//! Releases, with their bugzilla / dist-git mappings (PDC's bindings app).

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Default, Field, Input, Kind, Op, Ref, Val, as_text, parse_body};
use pdc_core::pydict;
use pdc_core::{Error, Result, ids, pyrepr};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::changes::Changes;
use crate::db::DbResultExt;
use crate::export::same;
use crate::models;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, in_order};
use crate::resources::masks::PUSH_TARGET_REF;
use crate::resources::masks::{self, MaskOwner};
use crate::resources::products::{RELEASE_TYPE_REF, release_type_short};
use crate::resources::repository::SERVICE_REF;
use crate::spec::{Actions, Caching, Filter, FilterKind, Relation, Spec};

static BASE_PRODUCT_REF: Ref = Ref {
    table: "base_product",
    column: "base_product_id",
    order: "base_product_id",
};
static PRODUCT_VERSION_REF: Ref = Ref {
    table: "product_version",
    column: "product_version_id",
    order: "product_version_id",
};
pub static RELEASE_REF: Ref = Ref {
    table: "release",
    column: "release_id",
    order: "release_id",
};
static SIGKEY_REF: Ref = Ref {
    table: "sigkey",
    column: "key_id",
    order: "key_id",
};

const fn text(max: usize) -> Kind {
    Kind::Str { max, blank: false }
}

pub static RELEASE_FIELDS: [Field; 16] = [
    Field::ro(
        "release_id",
        Kind::Str {
            max: 0,
            blank: true,
        },
    )
    .doc("`short-version[-type][@base product id]`, derived."),
    Field::req("short", text(200)).checked(ids::check_short),
    Field::req("version", text(200)).checked(ids::check_version),
    Field::req("name", text(255)),
    Field::with_default("base_product", Kind::Slug(&BASE_PRODUCT_REF), Default::Null)
        .nullable()
        .doc("base_product_id of the base product of a layered release."),
    Field::with_default("active", Kind::Bool, Default::Bool(true)),
    Field::with_default(
        "product_version",
        Kind::Slug(&PRODUCT_VERSION_REF),
        Default::Null,
    )
    .nullable()
    .doc("product_version_id."),
    Field::req("release_type", Kind::Choice(&RELEASE_TYPE_REF)).doc("Release type short name."),
    Field::ro("compose_set", Kind::SlugList(&RELEASE_REF))
        .doc("compose_id of its composes and linked composes."),
    Field::with_default("integrated_with", Kind::Slug(&RELEASE_REF), Default::Null)
        .nullable()
        .doc("release_id of the release this one is integrated with."),
    Field::with_default("sigkey", Kind::Slug(&SIGKEY_REF), Default::Null)
        .nullable()
        .doc("key_id of the signing key."),
    Field::with_default("allow_buildroot_push", Kind::Bool, Default::Bool(false)),
    Field::with_default(
        "allowed_debuginfo_services",
        Kind::ChoiceList(&SERVICE_REF),
        Default::EmptyList,
    ),
    Field::with_default(
        "allowed_push_targets",
        Kind::SlugList(&PUSH_TARGET_REF),
        Default::EmptyList,
    )
    .doc("Subset of the product version's; omitted on POST/PUT means none."),
    Field::with_default("bugzilla", Kind::Custom, Default::Null)
        .nullable()
        .doc("`{\"product\": \"<bugzilla product>\"}` or null."),
    Field::with_default("dist_git", Kind::Custom, Default::Null)
        .nullable()
        .doc("`{\"branch\": \"<dist-git branch>\"}` or null."),
];

const FIELD_ORDER: [&str; 15] = [
    "short",
    "version",
    "name",
    "base_product",
    "active",
    "product_version",
    "release_type",
    "integrated_with",
    "sigkey",
    "allow_buildroot_push",
    "allowed_debuginfo_services",
    "allowed_push_targets",
    "bugzilla",
    "dist_git",
    "release_id",
];

pub static RELEASES: Spec = Spec {
    prefix: "releases",
    lookup: &["release_id"],
    lookup_dots: true,
    fields: &RELEASE_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("release_id", "r.release_id = ANY({})"),
        Filter::multi("base_product", "r.base_product_pk IN (SELECT id FROM base_product WHERE base_product_id = ANY({}))"),
        Filter::new(
            "has_base_product",
            FilterKind::TrueFalse {
                false_sql: "r.base_product_pk IS NULL",
            },
            "r.base_product_pk IS NOT NULL",
        ),
        Filter::multi("release_type", "r.release_type_pk IN (SELECT id FROM release_type WHERE short = ANY({}))"),
        Filter::multi(
            "product_version",
            "r.product_version_pk IN (SELECT id FROM product_version WHERE product_version_id = ANY({}))",
        ),
        Filter::new(
            "integrated_with",
            FilterKind::NullableChar {
                null_sql: "r.integrated_with_pk IS NULL",
            },
            "r.integrated_with_pk IN (SELECT id FROM release WHERE release_id = {})",
        ),
        Filter::boolean("active", "r.active = {}"),
        Filter::multi("name", "r.name = ANY({})"),
        Filter::multi("short", "r.short = ANY({})"),
        Filter::multi("version", "r.version = ANY({})"),
        Filter::multi("sigkey", "r.sigkey_pk IN (SELECT id FROM sigkey WHERE key_id = ANY({}))"),
        Filter::boolean("allow_buildroot_push", "r.allow_buildroot_push = {}"),
        Filter::new(
            "allowed_debuginfo_services",
            FilterKind::MultiJoin,
            "SELECT 1 FROM release_debuginfo_service d JOIN service s ON s.id = d.service_pk
             WHERE d.release_pk = r.id AND s.name = ANY({})",
        ),
        Filter::new(
            "allowed_push_targets",
            FilterKind::MultiJoin,
            "SELECT 1 FROM product_version pv JOIN product_push_target ppt ON ppt.product_pk = pv.product_pk
               JOIN push_target pt ON pt.id = ppt.push_target_pk
             WHERE pv.id = r.product_version_pk AND pt.name = ANY({})
               AND NOT EXISTS (SELECT 1 FROM release_push_mask m JOIN push_target mt ON mt.id = m.push_target_pk
                 WHERE m.release_pk = r.id AND mt.name = ANY({}))
               AND NOT EXISTS (SELECT 1 FROM product_version_push_mask m
                 JOIN push_target mt ON mt.id = m.push_target_pk
                 WHERE m.product_version_pk = pv.id AND mt.name = ANY({}))",
        ),
        Filter::new(
            "bugzilla_product",
            FilterKind::NullableChar {
                null_sql: "NOT EXISTS (SELECT 1 FROM release_bugzilla_mapping m WHERE m.release_pk = r.id)",
            },
            "EXISTS (SELECT 1 FROM release_bugzilla_mapping m WHERE m.release_pk = r.id AND m.bugzilla_product = {})",
        ),
        Filter::new(
            "dist_git_branch",
            FilterKind::NullableChar {
                null_sql: "NOT EXISTS (SELECT 1 FROM release_dist_git_mapping m WHERE m.release_pk = r.id)",
            },
            "EXISTS (SELECT 1 FROM release_dist_git_mapping m WHERE m.release_pk = r.id AND m.dist_git_branch = {})",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "release r",
    id: "r.id",
    ordering: &[
        ("id", "r.id"),
        ("release_id", "r.release_id"),
        ("short", "r.short"),
        ("version", "r.version"),
        ("name", "r.name"),
        // Django orders a foreign key by the related model's ordering.
        (
            "base_product",
            "(SELECT base_product_id FROM base_product WHERE id = r.base_product_pk)",
        ),
        ("active", "r.active"),
        (
            "product_version",
            "(SELECT product_version_id FROM product_version WHERE id = r.product_version_pk)",
        ),
        (
            "release_type",
            "(SELECT short FROM release_type WHERE id = r.release_type_pk)",
        ),
        (
            "integrated_with",
            "(SELECT release_id FROM release WHERE id = r.integrated_with_pk)",
        ),
        ("sigkey", "r.sigkey_pk"),
        ("allow_buildroot_push", "r.allow_buildroot_push"),
    ],
    // PDC sorts the whole list by [short] + [int parts of version] in memory.
    relations: &[
        Relation::new("base_product", "r.base_product_pk", &models::BASE_PRODUCT),
        Relation::new("product_version", "r.product_version_pk", &models::PRODUCT_VERSION),
        Relation::new("release_type", "r.release_type_pk", &models::RELEASE_TYPE),
        Relation::new("integrated_with", "r.integrated_with_pk", &models::RELEASE),
        Relation::new("sigkey", "r.sigkey_pk", &models::SIGKEY),
    ],
    default_order: "r.short COLLATE \"C\", release_version_key(r.version)",
    actions: Actions::NO_DELETE,
    change_name: "release",
    last_modified: &["release", "baseproduct", "productversion"],
    caching: Caching::Default,
    model: "release",
    doc: "Releases. The list is sorted by short name and numeric version unless `ordering` is given.",
};

pub struct Releases;

impl Resource for Releases {
    const SPEC: &'static Spec = &RELEASES;

    async fn export(conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        export_release(conn, &repr).await
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!("SELECT id FROM release WHERE release_id = $1", key[0])
            .fetch_optional(conn)
            .await
            .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        fetch_releases(conn, ids).await
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        write_release(w, body, Op::Create, None).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        write_release(w, body, op, Some(id)).await
    }
}

/// Representations of releases, in the order of `ids`.
pub async fn fetch_releases(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Value>> {
    let rows = sqlx::query!(
        r#"SELECT r.id AS "id!", r.release_id AS "release_id!", r.short AS "short!",
             r.version AS "version!", r.name AS "name!",
             bp.base_product_id AS "base_product?", r.active AS "active!",
             pv.product_version_id AS "product_version?", t.short AS "release_type!",
             iw.release_id AS "integrated_with?", sk.key_id AS "sigkey?",
             r.allow_buildroot_push AS "allow_buildroot_push!",
             ARRAY(SELECT s.name FROM release_debuginfo_service d JOIN service s ON s.id = d.service_pk
                   WHERE d.release_pk = r.id ORDER BY s.id) AS "debuginfo!",
             ARRAY(SELECT pt.name FROM product_push_target ppt JOIN push_target pt ON pt.id = ppt.push_target_pk
                   WHERE ppt.product_pk = pv.product_pk
                     AND NOT EXISTS (SELECT 1 FROM product_version_push_mask m
                       WHERE m.product_version_pk = pv.id AND m.push_target_pk = pt.id)
                     AND NOT EXISTS (SELECT 1 FROM release_push_mask m
                       WHERE m.release_pk = r.id AND m.push_target_pk = pt.id)
                   ORDER BY pt.name) AS "push_targets!",
             ARRAY(SELECT c.compose_id FROM compose c JOIN compose_type ct ON ct.id = c.compose_type_pk
                   WHERE NOT c.deleted AND (c.release_pk = r.id OR EXISTS (
                     SELECT 1 FROM compose_linked_release l WHERE l.compose_pk = c.id AND l.release_pk = r.id))
                   ORDER BY c.compose_date, compose_type_rank(ct.name), c.compose_respin, c.id) AS "compose_set!",
             bz.bugzilla_product AS "bugzilla?", dg.dist_git_branch AS "dist_git?"
           FROM release r
           JOIN release_type t ON t.id = r.release_type_pk
           LEFT JOIN base_product bp ON bp.id = r.base_product_pk
           LEFT JOIN product_version pv ON pv.id = r.product_version_pk
           LEFT JOIN release iw ON iw.id = r.integrated_with_pk
           LEFT JOIN sigkey sk ON sk.id = r.sigkey_pk
           LEFT JOIN release_bugzilla_mapping bz ON bz.release_pk = r.id
           LEFT JOIN release_dist_git_mapping dg ON dg.release_pk = r.id
           WHERE r.id = ANY($1)"#,
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
                        "release_id": r.release_id,
                        "short": r.short,
                        "version": r.version,
                        "name": r.name,
                        "base_product": r.base_product,
                        "active": r.active,
                        "product_version": r.product_version,
                        "release_type": r.release_type,
                        "compose_set": r.compose_set,
                        "integrated_with": r.integrated_with,
                        "sigkey": r.sigkey,
                        "allow_buildroot_push": r.allow_buildroot_push,
                        "allowed_debuginfo_services": r.debuginfo,
                        "allowed_push_targets": r.push_targets,
                        "bugzilla": r.bugzilla.map(|p| json!({"product": p})),
                        "dist_git": r.dist_git.map(|b| json!({"branch": b})),
                    }),
                )
            })
            .collect(),
    ))
}

/// What a write does to a bugzilla / dist-git mapping.
#[derive(Debug, PartialEq)]
enum Mapping {
    Keep,
    Delete,
    Set(String),
}

/// The nested mapping objects: unknown keys are a body-level error (PDC
/// raises it before any field is checked), listed in Python 2 set order.
fn check_nested_keys(body: &Map<String, Value>) -> Result<()> {
    for (key, inner) in [("bugzilla", "product"), ("dist_git", "branch")] {
        if let Some(Value::Object(o)) = body.get(key) {
            let keys: Vec<&String> = o.keys().collect();
            let keys = pyrepr::py2_iter(&keys);
            let unknown = pyrepr::py2_set_difference(&keys, |k| k == inner);
            if !unknown.is_empty() {
                let names: Vec<String> = unknown.iter().map(|n| format!("\"{n}\"")).collect();
                return Err(Error::bad_request(format!(
                    "Unknown fields: {}.",
                    names.join(", ")
                )));
            }
        }
    }
    Ok(())
}

fn mapping(input: &Input, key: &str, inner: &str, op: Op, errors: &mut FieldErrors) -> Mapping {
    match input.get(key) {
        None => Mapping::Keep,
        Some(Val::Null) => Mapping::Delete,
        Some(Val::Json(Value::Object(o))) => match o.get(inner) {
            None if op == Op::Update => Mapping::Delete,
            None => Mapping::Keep,
            Some(Value::Null) => {
                errors.set(key, json!({inner: ["This field may not be null."]}));
                Mapping::Keep
            }
            Some(v) => match as_text(v).map(|t| t.trim().to_string()) {
                Some(t) if t.is_empty() => {
                    errors.set(key, json!({inner: ["This field may not be blank."]}));
                    Mapping::Keep
                }
                Some(t) if t.chars().count() > 200 => {
                    errors.set(
                        key,
                        json!({inner: ["Ensure this field has no more than 200 characters."]}),
                    );
                    Mapping::Keep
                }
                Some(t) => Mapping::Set(t),
                None => {
                    errors.set(key, json!({inner: ["Not a valid string."]}));
                    Mapping::Keep
                }
            },
        },
        Some(_) => {
            errors.add(key, "Invalid input: must be a dict.");
            Mapping::Keep
        }
    }
}

struct ReleaseRow {
    short: String,
    version: String,
    name: String,
    release_type: i64,
    base_product: Option<i64>,
    product_version: Option<i64>,
    integrated_with: Option<i64>,
    sigkey: Option<i64>,
    active: bool,
    allow_buildroot_push: bool,
}

async fn current_row(conn: &mut PgConnection, id: i64) -> Result<ReleaseRow> {
    let r = sqlx::query!(
        "SELECT short, version, name, release_type_pk, base_product_pk, product_version_pk,
                integrated_with_pk, sigkey_pk, active, allow_buildroot_push
         FROM release WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await
    .db()?;
    Ok(ReleaseRow {
        short: r.short,
        version: r.version,
        name: r.name,
        release_type: r.release_type_pk,
        base_product: r.base_product_pk,
        product_version: r.product_version_pk,
        integrated_with: r.integrated_with_pk,
        sigkey: r.sigkey_pk,
        active: r.active,
        allow_buildroot_push: r.allow_buildroot_push,
    })
}

/// Validates and writes one release (create when `id` is None).
async fn write_release(
    w: &mut Write<'_>,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<i64> {
    check_nested_keys(body)?;
    // The release's own change comes before its mappings'.
    w.changes.reserve_object_slot();
    let (mut input, mut errors) = parse_body(&RELEASE_FIELDS, body, op);
    refs::resolve(w.conn, &RELEASE_FIELDS, &mut input, &mut errors).await?;
    let bugzilla = mapping(&input, "bugzilla", "product", op, &mut errors);
    let dist_git = mapping(&input, "dist_git", "branch", op, &mut errors);
    errors.into_result(&FIELD_ORDER)?;

    let old_bindings = match id {
        Some(id) => Some(bindings(w.conn, id).await?),
        None => None,
    };
    let mut row = match id {
        Some(id) => current_row(w.conn, id).await?,
        None => ReleaseRow {
            short: String::new(),
            version: String::new(),
            name: String::new(),
            release_type: 0,
            base_product: None,
            product_version: None,
            integrated_with: None,
            sigkey: None,
            active: true,
            allow_buildroot_push: false,
        },
    };
    // PDC checks push targets against the product version given in the
    // body, or (when none is given) the one the release had before.
    let push_parent = input
        .id("product_version")
        .flatten()
        .or(row.product_version);
    if let Some(v) = input.str("short") {
        row.short = v.to_string();
    }
    if let Some(v) = input.str("version") {
        row.version = v.to_string();
    }
    if let Some(v) = input.str("name") {
        row.name = v.to_string();
    }
    if let Some(Some(v)) = input.id("release_type") {
        row.release_type = v;
    }
    if let Some(v) = input.id("base_product") {
        row.base_product = v;
    }
    if let Some(v) = input.id("product_version") {
        row.product_version = v;
    }
    if let Some(v) = input.id("integrated_with") {
        row.integrated_with = v;
    }
    if let Some(v) = input.id("sigkey") {
        row.sigkey = v;
    }
    if let Some(v) = input.bool("active") {
        row.active = v;
    }
    if let Some(v) = input.bool("allow_buildroot_push") {
        row.allow_buildroot_push = v;
    }

    // Unique together (skipped by DRF when base_product is null).
    if let Some(bp) = row.base_product {
        let clash = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM release WHERE short = $1 AND version = $2 AND release_type_pk = $3
                 AND base_product_pk = $4 AND id IS DISTINCT FROM $5) AS "clash!""#,
            row.short,
            row.version,
            row.release_type,
            bp,
            id
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if clash {
            return Err(Error::detail_list([
                "The fields short, version, release_type, base_product must make a unique set.",
            ]));
        }
    }
    let push_targets = match input.ids("allowed_push_targets") {
        Some(requested) => {
            let parent = match push_parent {
                Some(pv) => masks::product_version_targets(w.conn, pv).await?,
                None => vec![],
            };
            Some(masks::mask_for(w.conn, "product_version", &parent, requested).await?)
        }
        None => None,
    };
    if input.has("sigkey")
        && row.sigkey.is_none()
        && let Some(key) = w.ctx.settings.release_default_sigkey.clone()
    {
        row.sigkey = Some(default_sigkey(w.conn, &key).await?);
    }
    let release_id = derive_release_id(w.conn, &row).await?;
    if refs::taken(w.conn, "release", "release_id", &release_id, id).await? {
        return Err(Error::detail_list([
            "Release with this Release id already exists.",
        ]));
    }

    let id = match id {
        None => insert_row(w.conn, &row, &release_id).await?,
        Some(id) => {
            sqlx::query!(
                "UPDATE release SET release_id = $2, short = $3, version = $4, name = $5, release_type_pk = $6,
                   base_product_pk = $7, product_version_pk = $8, integrated_with_pk = $9, sigkey_pk = $10,
                   active = $11, allow_buildroot_push = $12
                 WHERE id = $1",
                id,
                release_id,
                row.short,
                row.version,
                row.name,
                row.release_type,
                row.base_product,
                row.product_version,
                row.integrated_with,
                row.sigkey,
                row.active,
                row.allow_buildroot_push
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            id
        }
    };
    if let Some(services) = input.ids("allowed_debuginfo_services") {
        sqlx::query!(
            "DELETE FROM release_debuginfo_service WHERE release_pk = $1",
            id
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        sqlx::query!(
            "INSERT INTO release_debuginfo_service (release_pk, service_pk) SELECT $1, unnest($2::bigint[])",
            id,
            services
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
    }
    if let Some(mask) = push_targets {
        masks::store_mask(w.conn, MaskOwner::Release(id), &mask).await?;
    }
    write_mapping(w.conn, id, MappingKind::Bugzilla, bugzilla).await?;
    write_mapping(w.conn, id, MappingKind::DistGit, dist_git).await?;
    let new_bindings = bindings(w.conn, id).await?;
    log_bindings(w.changes, old_bindings, new_bindings);
    Ok(id)
}

async fn insert_row(conn: &mut PgConnection, row: &ReleaseRow, release_id: &str) -> Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO release (release_id, short, version, name, release_type_pk, base_product_pk,
           product_version_pk, integrated_with_pk, sigkey_pk, active, allow_buildroot_push)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        release_id,
        row.short,
        row.version,
        row.name,
        row.release_type,
        row.base_product,
        row.product_version,
        row.integrated_with,
        row.sigkey,
        row.active,
        row.allow_buildroot_push
    )
    .fetch_one(conn)
    .await
    .db()
}

/// A release made outside the API's validation (get-or-create by the
/// composeinfo import): defaults for everything not given, no masks.
pub struct PlainRelease<'a> {
    pub name: &'a str,
    pub short: &'a str,
    pub version: &'a str,
    pub release_type: i64,
    pub base_product: Option<i64>,
    pub product_version: Option<i64>,
    pub integrated_with: Option<i64>,
}

/// Inserts a [`PlainRelease`] after the model checks PDC's `full_clean` does.
pub async fn insert_plain(conn: &mut PgConnection, r: &PlainRelease<'_>) -> Result<i64> {
    let row = ReleaseRow {
        short: r.short.to_string(),
        version: r.version.to_string(),
        name: r.name.to_string(),
        release_type: r.release_type,
        base_product: r.base_product,
        product_version: r.product_version,
        integrated_with: r.integrated_with,
        sigkey: None,
        active: true,
        allow_buildroot_push: false,
    };
    let release_id = derive_release_id(conn, &row).await?;
    if refs::taken(conn, "release", "release_id", &release_id, None).await? {
        return Err(Error::detail_list([
            "Release with this Release id already exists.",
        ]));
    }
    insert_row(conn, &row, &release_id).await
}

/// A release's id and its bugzilla product and dist-git branch mappings
/// (with their own ids).
struct Bindings {
    release_id: String,
    bugzilla: Option<(i64, String)>,
    dist_git: Option<(i64, String)>,
}

async fn bindings(conn: &mut PgConnection, id: i64) -> Result<Bindings> {
    let r = sqlx::query!(
        r#"SELECT r.release_id, bz.id AS "bugzilla_id?", bz.bugzilla_product AS "bugzilla?",
                  dg.id AS "dist_git_id?", dg.dist_git_branch AS "dist_git?"
           FROM release r
           LEFT JOIN release_bugzilla_mapping bz ON bz.release_pk = r.id
           LEFT JOIN release_dist_git_mapping dg ON dg.release_pk = r.id
           WHERE r.id = $1"#,
        id
    )
    .fetch_one(conn)
    .await
    .db()?;
    Ok(Bindings {
        release_id: r.release_id,
        bugzilla: r.bugzilla_id.zip(r.bugzilla),
        dist_git: r.dist_git_id.zip(r.dist_git),
    })
}

/// PDC's bindings app logs the mappings as objects of their own after the
/// release (`export()`: the release_id and the value, in Python 2 dict
/// order), also when only the release_id changed.
fn log_bindings(changes: &mut Changes, old: Option<Bindings>, new: Bindings) {
    type Export = dyn Fn(&Bindings) -> Option<(i64, Value)>;
    let bugzilla = |b: &Bindings| {
        b.bugzilla.as_ref().map(|(id, p)| {
            (
                *id,
                json!({"release_id": b.release_id, "bugzilla_product": p}),
            )
        })
    };
    let dist_git = |b: &Bindings| {
        b.dist_git.as_ref().map(|(id, d)| {
            (
                *id,
                json!({"dist_git_branch": d, "release_id": b.release_id}),
            )
        })
    };
    for (resource, export) in [
        ("releasebugzillamapping", &bugzilla as &Export),
        ("releasedistgitmapping", &dist_git),
    ] {
        let before = old.as_ref().and_then(export);
        let after = export(&new);
        // An update keeps the mapping's id; a removal logs the old one.
        if let Some((id, _)) = after.as_ref().or(before.as_ref()) {
            let value = |b: &Option<(i64, Value)>| b.as_ref().map(|(_, v)| v.clone());
            changes.add(
                resource,
                id,
                value(&before).as_ref(),
                value(&after).as_ref(),
            );
        }
    }
}

/// `release_id` from the row's short, version, type and base product.
async fn derive_release_id(conn: &mut PgConnection, row: &ReleaseRow) -> Result<String> {
    let type_short = release_type_short(conn, row.release_type).await?;
    let base = match row.base_product {
        Some(bp) => {
            let b = sqlx::query!(
                "SELECT b.short, b.version, t.short AS release_type FROM base_product b
                 JOIN release_type t ON t.id = b.release_type_pk WHERE b.id = $1",
                bp
            )
            .fetch_one(&mut *conn)
            .await
            .db()?;
            Some((b.short.to_lowercase(), b.version, b.release_type))
        }
        None => None,
    };
    ids::release_id(
        &row.short.to_lowercase(),
        &row.version,
        &type_short,
        base.as_ref()
            .map(|(s, v, t)| (s.as_str(), v.as_str(), t.as_str())),
    )
    .map_err(Error::bad_request)
}

/// The configured default sigkey, created when missing.
async fn default_sigkey(conn: &mut PgConnection, key_id: &str) -> Result<i64> {
    sqlx::query_scalar!(
        "WITH ins AS (INSERT INTO sigkey (key_id) VALUES ($1) ON CONFLICT (key_id) DO NOTHING RETURNING id)
         SELECT id AS \"id!\" FROM ins UNION ALL SELECT id FROM sigkey WHERE key_id = $1 LIMIT 1",
        key_id
    )
    .fetch_one(conn)
    .await
    .db()
}

enum MappingKind {
    Bugzilla,
    DistGit,
}

async fn write_mapping(
    conn: &mut PgConnection,
    release: i64,
    kind: MappingKind,
    change: Mapping,
) -> Result<()> {
    match (kind, change) {
        (_, Mapping::Keep) => {}
        (MappingKind::Bugzilla, Mapping::Delete) => {
            sqlx::query!(
                "DELETE FROM release_bugzilla_mapping WHERE release_pk = $1",
                release
            )
            .execute(conn)
            .await
            .db()?;
        }
        (MappingKind::Bugzilla, Mapping::Set(v)) => {
            sqlx::query!(
                "INSERT INTO release_bugzilla_mapping (release_pk, bugzilla_product) VALUES ($1, $2)
                 ON CONFLICT (release_pk) DO UPDATE SET bugzilla_product = EXCLUDED.bugzilla_product",
                release,
                v
            )
            .execute(conn)
            .await
            .db()?;
        }
        (MappingKind::DistGit, Mapping::Delete) => {
            sqlx::query!(
                "DELETE FROM release_dist_git_mapping WHERE release_pk = $1",
                release
            )
            .execute(conn)
            .await
            .db()?;
        }
        (MappingKind::DistGit, Mapping::Set(v)) => {
            sqlx::query!(
                "INSERT INTO release_dist_git_mapping (release_pk, dist_git_branch) VALUES ($1, $2)
                 ON CONFLICT (release_pk) DO UPDATE SET dist_git_branch = EXCLUDED.dist_git_branch",
                release,
                v
            )
            .execute(conn)
            .await
            .db()?;
        }
    }
    Ok(())
}

/// A release as PDC's `Release.export()` logs it: its debuginfo services
/// as `{name, description}` exports, `base_product` assigned last.
pub async fn export_release(conn: &mut PgConnection, repr: &Value) -> Result<Value> {
    let names: Vec<String> = repr["allowed_debuginfo_services"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let rows = sqlx::query!(
        "SELECT name, description FROM service WHERE name = ANY($1)",
        &names
    )
    .fetch_all(conn)
    .await
    .db()?;
    let services: Vec<Value> = names
        .iter()
        .filter_map(|n| rows.iter().find(|r| &r.name == n))
        .map(|r| {
            pydict::display_object(
                vec![
                    ("name", json!(r.name)),
                    ("description", json!(r.description)),
                ],
                vec![],
            )
        })
        .collect();
    let mut keys = same(
        repr,
        &[
            "release_id",
            "short",
            "version",
            "name",
            "release_type",
            "active",
            "product_version",
            "integrated_with",
            "sigkey",
            "allow_buildroot_push",
        ],
    );
    keys.push(("allowed_debuginfo_services", Value::Array(services)));
    keys.extend(same(repr, &["allowed_push_targets"]));
    Ok(pydict::display_object(keys, same(repr, &["base_product"])))
}
