//! Release components (with the SRPM-name mapping PDC's bindings app adds)
//! and the list of release component types.

use std::collections::HashMap;

use pdc_core::error::FieldErrors;
use pdc_core::fields::{
    Default, Field, Input, Kind, Op, Ref, Val, as_text, check_model_lengths, parse_body,
    reject_unknown,
};
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::bugzilla::{fetch_nodes, resolve_path};
use super::component_contacts::{self, Owner};
use super::global_components::{GLOBAL_COMPONENT_REF, repo_url};
use super::releases::RELEASE_REF;
use crate::db::DbResultExt;
use crate::export::{inserted, same};
use crate::models;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Relation, Spec};

pub static RELEASE_COMPONENT_TYPE_REF: Ref = Ref {
    table: "release_component_type",
    column: "name",
    order: "id",
};

// ---------------------------------------------------------------- release components

pub struct ReleaseComponents;

static FIELDS: [Field; 11] = [
    Field::ro("id", Kind::Int),
    Field::req("release", Kind::Slug(&RELEASE_REF)).doc(
        "release_id of an active release (POST only). Output `{\"active\": bool, \"release_id\": ...}`.",
    ),
    Field::opt("bugzilla_component", Kind::Custom)
        .nullable()
        .doc("Input: path `parent/child/...` of a bugzilla component (one segment: a root), or null. Output: the node."),
    Field::opt(
        "brew_package",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("At most 100 characters."),
    Field::req("global_component", Kind::Slug(&GLOBAL_COMPONENT_REF))
        .doc("Name of the global component; PUT without it keeps it."),
    Field::req(
        "name",
        Kind::Str {
            max: 200,
            blank: false,
        },
    ),
    Field::opt(
        "dist_git_branch",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("Own branch (at most 100 characters); the output falls back to the release's dist-git branch."),
    Field::ro(
        "dist_git_web_url",
        Kind::Str {
            max: 0,
            blank: true,
        },
    ),
    Field::with_default("active", Kind::Bool, Default::Bool(true)),
    Field::opt("type", Kind::Choice(&RELEASE_COMPONENT_TYPE_REF))
        .doc("Release component type; `rpm` when omitted on POST and PUT."),
    Field::opt("srpm", Kind::Custom)
        .nullable()
        .doc("`{\"name\": <SRPM name>}` or null; PUT without it removes it."),
];

const FIELD_ORDER: [&str; 11] = [
    "id",
    "release",
    "bugzilla_component",
    "brew_package",
    "global_component",
    "name",
    "dist_git_branch",
    "dist_git_web_url",
    "active",
    "type",
    "srpm",
];

pub static RELEASE_COMPONENTS: Spec = Spec {
    prefix: "release-components",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "rc.name = ANY({})"),
        Filter::multi("release", "r.release_id = ANY({})"),
        Filter::multi(
            "global_component",
            "rc.global_component_pk IN (SELECT id FROM global_component WHERE name = ANY({}))",
        ),
        Filter::multi(
            "bugzilla_component",
            "rc.bugzilla_component_pk IN (SELECT id FROM bugzilla_component WHERE name = ANY({}))",
        )
        .doc("Name (not path) of the bugzilla component."),
        Filter::multi("brew_package", "rc.brew_package = ANY({})"),
        Filter::boolean("active", "rc.active = {}"),
        Filter::new(
            "type",
            FilterKind::Exact,
            "rc.type_pk IN (SELECT id FROM release_component_type WHERE name = {})",
        ),
        Filter::multi(
            "dist_git_branch",
            "rc.dist_git_branch = ANY({})
             OR (rc.dist_git_branch IS NULL AND EXISTS (SELECT 1 FROM release_dist_git_mapping m
                 WHERE m.release_pk = rc.release_pk AND m.dist_git_branch = ANY({})))",
        )
        .doc("Own branch, or the release's dist-git branch for components without one."),
        Filter::new(
            "srpm_name",
            FilterKind::NullableChar {
                null_sql: "NOT EXISTS (SELECT 1 FROM release_component_srpm_mapping m
                           WHERE m.release_component_pk = rc.id)",
            },
            "EXISTS (SELECT 1 FROM release_component_srpm_mapping m
               WHERE m.release_component_pk = rc.id AND m.srpm_name = {})",
        ),
        Filter::new(
            "include_inactive_release",
            FilterKind::UnlessGiven,
            "r.active",
        )
        .doc("Components of inactive releases are hidden (also from detail URLs) unless given"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "release_component rc JOIN release r ON r.id = rc.release_pk",
    id: "rc.id",
    ordering: &[
        ("id", "rc.id"),
        ("name", "rc.name"),
        ("release", "r.release_id"),
        ("global_component", "rc.global_component_pk"),
        ("bugzilla_component", "rc.bugzilla_component_pk"),
        ("brew_package", "rc.brew_package"),
        ("dist_git_branch", "rc.dist_git_branch"),
        ("active", "rc.active"),
        ("type", "rc.type_pk"),
        ("release__release_id", "r.release_id"),
        (
            "global_component__name",
            "(SELECT name FROM global_component WHERE id = rc.global_component_pk)",
        ),
    ],
    relations: &[
        Relation::new("release", "rc.release_pk", &models::RELEASE),
        Relation::new(
            "global_component",
            "rc.global_component_pk",
            &models::GLOBAL_COMPONENT,
        ),
        Relation::new("type", "rc.type_pk", &models::RELEASE_COMPONENT_TYPE),
    ],
    default_order: "rc.id",
    actions: Actions::ALL,
    change_name: "releasecomponent",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasecomponent",
    doc: "Components of releases. Components of inactive releases are hidden everywhere \
          unless `include_inactive_release` is given, and cannot be changed. `release` is \
          only accepted on POST. PUT resets `active`, `type` and `srpm` when they are omitted.",
};

const INACTIVE: &str = "Can not create a release component with an inactive release.";

impl Resource for ReleaseComponents {
    const SPEC: &'static Spec = &RELEASE_COMPONENTS;

    async fn export(conn: &mut PgConnection, _ctx: &Ctx, id: i64, repr: Value) -> Result<Value> {
        export_release_component(conn, id, &repr).await
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "release_component", key).await
    }

    async fn fetch(conn: &mut PgConnection, ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT rc.id, r.release_id, r.active AS release_active,
                      rc.bugzilla_component_pk, rc.brew_package, g.name AS global_component,
                      g.dist_git_path, rc.name, rc.dist_git_branch,
                      dg.dist_git_branch AS "release_branch?", rc.active, t.name AS type_name,
                      m.srpm_name AS "srpm_name?"
               FROM release_component rc
               JOIN release r ON r.id = rc.release_pk
               JOIN global_component g ON g.id = rc.global_component_pk
               JOIN release_component_type t ON t.id = rc.type_pk
               LEFT JOIN release_dist_git_mapping dg ON dg.release_pk = rc.release_pk
               LEFT JOIN release_component_srpm_mapping m ON m.release_component_pk = rc.id
               WHERE rc.id = ANY($1)"#,
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut node_ids: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.bugzilla_component_pk)
            .collect();
        node_ids.sort_unstable();
        node_ids.dedup();
        let nodes: HashMap<i64, Value> = fetch_nodes(conn, &node_ids).await?.into_iter().collect();
        let values = rows
            .into_iter()
            .map(|r| {
                let branch = r.dist_git_branch.or(r.release_branch);
                let mut url = repo_url(ctx, r.dist_git_path.as_deref(), &r.global_component);
                if let Some(b) = branch.as_deref().filter(|b| !b.is_empty()) {
                    url.push_str(&pdc_core::fmt::percent_s(
                        &ctx.settings.dist_git_branch_format,
                        b,
                    ));
                }
                let node = r
                    .bugzilla_component_pk
                    .and_then(|pk| nodes.get(&pk).cloned());
                let value = json!({
                    "id": r.id,
                    "release": {"active": r.release_active, "release_id": r.release_id},
                    "bugzilla_component": node,
                    "brew_package": r.brew_package,
                    "global_component": r.global_component,
                    "name": r.name,
                    "dist_git_branch": branch,
                    "dist_git_web_url": url,
                    "active": r.active,
                    "type": r.type_name,
                    "srpm": r.srpm_name.map(|n| json!({"name": n})),
                });
                (r.id, value)
            })
            .collect();
        Ok(in_order(ids, values))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save(w, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save(w, Some(id), body, op).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        component_contacts::check(w.conn, Owner::Release, &[id]).await?;
        // Relationships, group memberships and the SRPM mapping go with it.
        delete_by_id(w.conn, "release_component", id).await
    }
}

/// The stored columns of one release component.
struct Row {
    release_pk: i64,
    global_component_pk: i64,
    bugzilla_component_pk: Option<i64>,
    type_pk: i64,
    name: String,
    dist_git_branch: Option<String>,
    brew_package: Option<String>,
    active: bool,
}

/// What a write does to the component's SRPM-name mapping.
enum Srpm {
    Keep,
    Remove,
    Set(String),
}

/// Unknown keys inside `srpm` end the request at once (PDC raises them
/// while the fields are being checked).
fn check_srpm_keys(body: &Map<String, Value>) -> Result<()> {
    match body.get("srpm") {
        Some(Value::Object(o)) => reject_unknown(o, |k| k == "name"),
        _ => Ok(()),
    }
}

/// The bindings app's rules: null (or a null name) removes, a name sets,
/// and an omitted mapping (or `{}`) is removed by PUT only.
fn srpm_change(input: &Input, op: Op, errors: &mut FieldErrors) -> Srpm {
    let absent = if op == Op::Update {
        Srpm::Remove
    } else {
        Srpm::Keep
    };
    match input.get("srpm") {
        None => absent,
        Some(Val::Json(Value::Object(o))) => match o.get("name") {
            None => absent,
            Some(Value::Null) => Srpm::Remove,
            Some(v) => {
                let msg = match as_text(v).map(|t| t.trim().to_string()) {
                    None => "Not a valid string.",
                    Some(t) if t.is_empty() => "This field may not be blank.",
                    Some(t) => return Srpm::Set(t),
                };
                errors.set("srpm", json!({"name": [msg]}));
                Srpm::Keep
            }
        },
        Some(Val::Json(_)) => {
            errors.add("srpm", "Invalid input: must be a dict.");
            Srpm::Keep
        }
        Some(_) => Srpm::Remove,
    }
}

/// The bugzilla component a write links: `None` keeps the current link.
async fn bugzilla_link(
    conn: &mut PgConnection,
    input: &Input,
    errors: &mut FieldErrors,
) -> Result<Option<Option<i64>>> {
    let path = match input.get("bugzilla_component") {
        None => return Ok(None),
        Some(Val::Json(Value::String(path))) => path,
        Some(Val::Json(_)) => {
            errors.add("bugzilla_component", "Not a valid string.");
            return Ok(None);
        }
        Some(_) => return Ok(Some(None)),
    };
    let resolved = if path.trim().is_empty() {
        Err("This field is required.".to_string())
    } else {
        resolve_path(conn, path).await?
    };
    match resolved {
        Ok(id) => Ok(Some(Some(id))),
        Err(msg) => {
            errors.set("bugzilla_component", json!({ "bugzilla_component": msg }));
            Ok(None)
        }
    }
}

async fn current_row(conn: &mut PgConnection, id: i64) -> Result<(Row, String, String)> {
    let r = sqlx::query!(
        "SELECT rc.release_pk, rc.global_component_pk, rc.bugzilla_component_pk, rc.type_pk,
                rc.name, rc.dist_git_branch, rc.brew_package, rc.active,
                r.release_id, g.name AS global_component
         FROM release_component rc
         JOIN release r ON r.id = rc.release_pk
         JOIN global_component g ON g.id = rc.global_component_pk
         WHERE rc.id = $1",
        id
    )
    .fetch_one(conn)
    .await
    .db()?;
    let row = Row {
        release_pk: r.release_pk,
        global_component_pk: r.global_component_pk,
        bugzilla_component_pk: r.bugzilla_component_pk,
        type_pk: r.type_pk,
        name: r.name,
        dist_git_branch: r.dist_git_branch,
        brew_package: r.brew_package,
        active: r.active,
    };
    Ok((row, r.release_id, r.global_component))
}

/// `export()` of the SRPM-name mapping as PDC logs it (keyed here by the
/// component, as the mapping has no id of its own).
async fn srpm_export(conn: &mut PgConnection, id: i64) -> Result<Option<Value>> {
    let r = sqlx::query!(
        "SELECT rc.name, m.srpm_name FROM release_component_srpm_mapping m
         JOIN release_component rc ON rc.id = m.release_component_pk
         WHERE m.release_component_pk = $1",
        id
    )
    .fetch_optional(conn)
    .await
    .db()?;
    Ok(r.map(|r| {
        json!({"release_component_name": r.name, "release_component_id": id, "srpm_name": r.srpm_name})
    }))
}

/// Create (`id` is None) or update one component, in PDC's order of
/// checks: fields (the release is re-checked on updates, so components of
/// inactive releases cannot change), the unique triple, the model's lengths.
async fn save(
    w: &mut Write<'_>,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let current = match id {
        Some(id) => Some(current_row(w.conn, id).await?),
        None => None,
    };
    let mut body = body.clone();
    if let Some((_, release_id, global_component)) = &current {
        if body.contains_key("release") {
            return Err(Error::bad_request("Unknown fields: \"release\"."));
        }
        body.insert("release".into(), json!(release_id));
        body.entry("global_component")
            .or_insert_with(|| json!(global_component));
    }
    check_srpm_keys(&body)?;
    let (mut input, mut errors) = parse_body(&FIELDS, &body, op);
    if op != Op::Patch && !body.contains_key("type") {
        input.set("type", Val::Str("rpm".into()));
    }
    refs::resolve(w.conn, &FIELDS, &mut input, &mut errors).await?;
    if let Some(Some(release)) = input.id("release") {
        let active = sqlx::query_scalar!("SELECT active FROM release WHERE id = $1", release)
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
        if !active {
            errors.add("release", INACTIVE);
        }
    }
    let link = bugzilla_link(w.conn, &input, &mut errors).await?;
    let srpm = srpm_change(&input, op, &mut errors);
    errors.into_result(&FIELD_ORDER)?;

    let mut row = match current {
        Some((row, _, _)) => row,
        None => Row {
            release_pk: 0,
            global_component_pk: 0,
            bugzilla_component_pk: None,
            type_pk: 0,
            name: String::new(),
            dist_git_branch: None,
            brew_package: None,
            active: true,
        },
    };
    if let Some(Some(pk)) = input.id("release") {
        row.release_pk = pk;
    }
    if let Some(Some(pk)) = input.id("global_component") {
        row.global_component_pk = pk;
    }
    if let Some(Some(pk)) = input.id("type") {
        row.type_pk = pk;
    }
    if let Some(link) = link {
        row.bugzilla_component_pk = link;
    }
    if let Some(v) = input.str("name") {
        row.name = v.to_string();
    }
    if let Some(v) = input.str("dist_git_branch") {
        row.dist_git_branch = Some(v.to_string());
    }
    if let Some(v) = input.str("brew_package") {
        row.brew_package = Some(v.to_string());
    }
    if let Some(v) = input.bool("active") {
        row.active = v;
    }

    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM release_component WHERE release_pk = $1 AND name = $2
                          AND type_pk = $3 AND id IS DISTINCT FROM $4) AS "taken!""#,
        row.release_pk,
        row.name,
        row.type_pk,
        id
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if taken {
        return Err(Error::detail_list([
            "The fields release, name, type must make a unique set.",
        ]));
    }
    check_model_lengths(&[
        ("dist_git_branch", row.dist_git_branch.as_deref(), 100),
        ("brew_package", row.brew_package.as_deref(), 100),
    ])?;
    if let Srpm::Set(name) = &srpm {
        check_model_lengths(&[("srpm_name", Some(name.as_str()), 200)])?;
    }

    let old_srpm = match id {
        Some(id) => srpm_export(w.conn, id).await?,
        None => None,
    };
    let id = write_row(w.conn, id, &row).await?;
    match srpm {
        Srpm::Keep => {}
        Srpm::Remove => {
            sqlx::query!(
                "DELETE FROM release_component_srpm_mapping WHERE release_component_pk = $1",
                id
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
        Srpm::Set(name) => {
            sqlx::query!(
                "INSERT INTO release_component_srpm_mapping (release_component_pk, srpm_name)
                 VALUES ($1, $2)
                 ON CONFLICT (release_component_pk) DO UPDATE SET srpm_name = EXCLUDED.srpm_name",
                id,
                name
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
    }
    // PDC logs the mapping after the component itself.
    w.changes.reserve_object_slot();
    let new_srpm = srpm_export(w.conn, id).await?;
    w.changes.add(
        "releasecomponentsrpmnamemapping",
        id,
        old_srpm.as_ref(),
        new_srpm.as_ref(),
    );
    Ok(id)
}

async fn write_row(conn: &mut PgConnection, id: Option<i64>, row: &Row) -> Result<i64> {
    match id {
        None => sqlx::query_scalar!(
            "INSERT INTO release_component (release_pk, global_component_pk, bugzilla_component_pk,
                                            type_pk, name, dist_git_branch, brew_package, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            row.release_pk,
            row.global_component_pk,
            row.bugzilla_component_pk,
            row.type_pk,
            row.name,
            row.dist_git_branch,
            row.brew_package,
            row.active
        )
        .fetch_one(conn)
        .await
        .db(),
        Some(id) => {
            sqlx::query!(
                "UPDATE release_component SET global_component_pk = $2, bugzilla_component_pk = $3,
                        type_pk = $4, name = $5, dist_git_branch = $6, brew_package = $7, active = $8
                 WHERE id = $1",
                id,
                row.global_component_pk,
                row.bugzilla_component_pk,
                row.type_pk,
                row.name,
                row.dist_git_branch,
                row.brew_package,
                row.active
            )
            .execute(conn)
            .await
            .db()?;
            Ok(id)
        }
    }
}

// ---------------------------------------------------------------- release component types

pub struct ReleaseComponentTypes;

static TYPE_FIELDS: [Field; 2] = [
    Field::ro(
        "name",
        Kind::Str {
            max: 100,
            blank: false,
        },
    ),
    Field::ro("has_osbs", Kind::Bool),
];

pub static RELEASE_COMPONENT_TYPES: Spec = Spec {
    prefix: "release-component-types",
    lookup: &[],
    lookup_dots: false,
    fields: &TYPE_FIELDS,
    extra_body_keys: &[],
    filters: &[],
    extra_params: &[],
    strict_params: true,
    from: "release_component_type t",
    id: "t.id",
    ordering: &[
        ("id", "t.id"),
        ("name", "t.name"),
        ("has_osbs", "t.has_osbs"),
    ],
    relations: &[],
    default_order: "t.id",
    actions: Actions::LIST,
    change_name: "releasecomponenttype",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasecomponenttype",
    doc: "Types of release components (`rpm`, `container`, ...). List only.",
};

impl Resource for ReleaseComponentTypes {
    const SPEC: &'static Spec = &RELEASE_COMPONENT_TYPES;

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name, has_osbs FROM release_component_type WHERE id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| (r.id, json!({"name": r.name, "has_osbs": r.has_osbs})))
                .collect(),
        ))
    }
}

/// `ReleaseComponent.export()`: its own dist-git branch (not the one
/// inherited from the release) and the bugzilla component as `name (id:N)`.
pub async fn export_release_component(
    conn: &mut PgConnection,
    id: i64,
    repr: &Value,
) -> Result<Value> {
    let branch = sqlx::query_scalar!(
        "SELECT dist_git_branch FROM release_component WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
    .db()?
    .flatten();
    let bugzilla = match &repr["bugzilla_component"] {
        Value::Null => Value::Null,
        b => json!(format!(
            "{} (id:{})",
            b["name"].as_str().unwrap_or_default(),
            b["id"]
        )),
    };
    let mut keys = same(repr, &["name"]);
    keys.push(("dist_git_branch", json!(branch)));
    keys.extend(same(repr, &["brew_package", "active", "type"]));
    keys.push(("release", repr["release"]["release_id"].clone()));
    keys.extend(same(repr, &["global_component"]));
    keys.push(("bugzilla_component", bugzilla));
    Ok(inserted(keys))
}
