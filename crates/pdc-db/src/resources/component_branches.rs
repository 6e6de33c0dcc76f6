//! Component branches (`component-branches/`), SLA types
//! (`component-sla-types/`) and the SLAs of branches with their end of life
//! (`component-branch-slas/`). A branch is active while one of its SLAs has
//! not reached its end of life (today's UTC date counts as alive).

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Input, Kind, Op, Ref, model_errors, parse_body, py_type};
use pdc_core::pydict;
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::global_components::GLOBAL_COMPONENT_REF;
use super::release_components::RELEASE_COMPONENT_TYPE_REF;
use crate::db::DbResultExt;
use crate::export::same;
use crate::refs;
use crate::resource::{Ctx, DbSettings, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

pub static SLA_REF: Ref = Ref {
    table: "sla",
    column: "name",
    // PDC lists the choices as the database gives them: by the unique name.
    order: "name",
};

/// SQL: branch `b` has an SLA that has not reached its end of life.
const BRANCH_ACTIVE: &str = "EXISTS (SELECT 1 FROM sla_to_branch s WHERE s.branch_pk = b.id
                              AND s.eol >= (now() AT TIME ZONE 'UTC')::date)";
const BRANCH_INACTIVE: &str = "NOT EXISTS (SELECT 1 FROM sla_to_branch s WHERE s.branch_pk = b.id
                                AND s.eol >= (now() AT TIME ZONE 'UTC')::date)";

/// PDC's `BranchNameField`: a JSON string of at most 300 characters that
/// the deployment's blacklist regex does not match at its start.
fn check_branch_name(settings: &DbSettings, raw: &Value) -> Result<String, String> {
    let Value::String(name) = raw else {
        return Err(format!(
            "A string was not supplied. The type was \"{}\".",
            py_type(raw)
        ));
    };
    if name.chars().count() > 300 {
        return Err("The string must be less than 300 characters".into());
    }
    if let Some(pattern) = &settings.component_branch_name_blacklist_regex
        && let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})"))
        && re.is_match(name)
    {
        return Err(format!(
            "The branch name is not allowed based on the regex \"{pattern}\""
        ));
    }
    Ok(name.clone())
}

/// Branch field values, checked and resolved (`None`: absent or invalid).
#[derive(Default)]
struct BranchInput {
    name: Option<String>,
    global_component: Option<i64>,
    type_pk: Option<i64>,
    critical_path: Option<bool>,
}

static BRANCH_KEY_FIELDS: [Field; 4] = [
    Field::req("global_component", Kind::Slug(&GLOBAL_COMPONENT_REF)),
    Field::req("name", Kind::Custom),
    Field::req("type", Kind::Choice(&RELEASE_COMPONENT_TYPE_REF)),
    Field::opt("critical_path", Kind::Bool),
];

/// Checks the fields of a branch as PDC's branch serializers do.
async fn branch_input(
    conn: &mut PgConnection,
    settings: &DbSettings,
    body: &Map<String, Value>,
    op: Op,
    errors: &mut FieldErrors,
) -> Result<(BranchInput, Input)> {
    let (mut input, errs) = parse_body(&BRANCH_KEY_FIELDS, body, op);
    for (k, v) in errs.0 {
        errors.set(&k, v);
    }
    refs::resolve(conn, &BRANCH_KEY_FIELDS, &mut input, errors).await?;
    let mut out = BranchInput::default();
    if let Some(raw) = input.json("name") {
        match check_branch_name(settings, raw) {
            Ok(n) => out.name = Some(n),
            Err(msg) => errors.add("name", msg),
        }
    }
    out.global_component = input.id("global_component").flatten();
    out.type_pk = input.id("type").flatten();
    out.critical_path = input.bool("critical_path");
    Ok((out, input))
}

/// Representations of branches (`with_slas`: the branch list's form;
/// otherwise the form nested in SLA entries).
async fn fetch_branches(
    conn: &mut PgConnection,
    ids: &[i64],
    with_slas: bool,
) -> Result<Vec<(i64, Value)>> {
    let rows = sqlx::query!(
        r#"SELECT b.id, g.name AS global_component, b.name, t.name AS type_name, b.critical_path,
                  EXISTS (SELECT 1 FROM sla_to_branch s WHERE s.branch_pk = b.id
                          AND s.eol >= (now() AT TIME ZONE 'UTC')::date) AS "active!"
           FROM component_branch b
           JOIN global_component g ON g.id = b.global_component_pk
           JOIN release_component_type t ON t.id = b.type_pk
           WHERE b.id = ANY($1)"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let slas = if with_slas {
        sqlx::query!(
            "SELECT s.id, s.branch_pk, l.name, s.eol FROM sla_to_branch s
             JOIN sla l ON l.id = s.sla_pk WHERE s.branch_pk = ANY($1) ORDER BY s.id",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?
    } else {
        vec![]
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let v = if with_slas {
                let slas: Vec<Value> = slas
                    .iter()
                    .filter(|s| s.branch_pk == r.id)
                    .map(|s| json!({"id": s.id, "sla": s.name, "eol": s.eol.to_string()}))
                    .collect();
                json!({"id": r.id, "global_component": r.global_component, "name": r.name,
                       "slas": slas, "type": r.type_name, "active": r.active,
                       "critical_path": r.critical_path})
            } else {
                json!({"id": r.id, "name": r.name, "global_component": r.global_component,
                       "type": r.type_name, "critical_path": r.critical_path,
                       "active": r.active})
            };
            (r.id, v)
        })
        .collect())
}

// ---------------------------------------------------------------- component branches

pub struct ComponentBranches;

static BRANCH_FIELDS: [Field; 7] = [
    Field::ro("id", Kind::Int),
    Field::req("global_component", Kind::Slug(&GLOBAL_COMPONENT_REF)).doc("Global component name."),
    Field::req("name", Kind::Custom)
        .doc("Branch name (a string, at most 300 characters); cannot be changed."),
    Field::ro("slas", Kind::Custom).doc("`{\"id\", \"sla\", \"eol\"}` of the branch's SLAs."),
    Field::req("type", Kind::Choice(&RELEASE_COMPONENT_TYPE_REF))
        .doc("Release component type name."),
    Field::ro("active", Kind::Bool).doc("Whether an SLA has not reached its end of life (UTC)."),
    Field::with_default(
        "critical_path",
        Kind::Bool,
        pdc_core::fields::Default::Bool(false),
    ),
];

const BRANCH_ORDER: [&str; 7] = [
    "id",
    "global_component",
    "name",
    "slas",
    "type",
    "active",
    "critical_path",
];

const GC_NAME: &str = "(SELECT name FROM global_component WHERE id = b.global_component_pk)";
const TYPE_NAME: &str = "(SELECT name FROM release_component_type WHERE id = b.type_pk)";

pub static COMPONENT_BRANCHES: Spec = Spec {
    prefix: "component-branches",
    lookup: &["id"],
    lookup_dots: false,
    fields: &BRANCH_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new("name", FilterKind::Exact, "b.name = {}"),
        Filter::new(
            "global_component",
            FilterKind::Exact,
            "b.global_component_pk IN (SELECT id FROM global_component WHERE name = {})",
        ),
        Filter::new(
            "type",
            FilterKind::Exact,
            "b.type_pk IN (SELECT id FROM release_component_type WHERE name = {})",
        ),
        Filter::new(
            "active",
            FilterKind::StrictBool {
                false_sql: BRANCH_INACTIVE,
            },
            BRANCH_ACTIVE,
        ),
        Filter::boolean("critical_path", "b.critical_path = {}"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "component_branch b",
    id: "b.id",
    ordering: &[
        ("id", "b.id"),
        ("global_component", "b.global_component_pk"),
        ("name", "b.name"),
        ("type", "b.type_pk"),
        ("critical_path", "b.critical_path"),
        ("global_component__name", GC_NAME),
        ("type__name", TYPE_NAME),
    ],
    relations: &[],
    default_order: "(SELECT name FROM global_component WHERE id = b.global_component_pk), b.name,
                    (SELECT name FROM release_component_type WHERE id = b.type_pk)",
    actions: Actions::ALL,
    change_name: "componentbranch",
    last_modified: &[],
    caching: Caching::Default,
    model: "componentbranch",
    doc: "Branches of global components (experimental). `active` comes from the SLAs \
          (component-branch-slas/); branch names cannot be changed.",
};

impl Resource for ComponentBranches {
    const SPEC: &'static Spec = &COMPONENT_BRANCHES;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let slas: Vec<Value> = repr["slas"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                pydict::display_object(
                    vec![("name", s["sla"].clone()), ("eol", s["eol"].clone())],
                    vec![],
                )
            })
            .collect();
        Ok(pydict::display_object(
            vec![
                ("global_component_name", repr["global_component"].clone()),
                ("name", repr["name"].clone()),
                ("type_name", repr["type"].clone()),
                ("slas", Value::Array(slas)),
                ("critical_path", repr["critical_path"].clone()),
            ],
            vec![],
        ))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "component_branch", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        Ok(in_order(ids, fetch_branches(conn, ids, true).await?))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save_branch(w, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save_branch(w, Some(id), body, op).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "component_branch", id).await
    }
}

async fn save_branch(
    w: &mut Write<'_>,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let mut errors = FieldErrors::new();
    let (b, _) = branch_input(w.conn, &w.ctx.settings, body, op, &mut errors).await?;
    // The serializer's own default (PUT without it: false).
    let critical_path = b.critical_path.or((op != Op::Patch).then_some(false));
    errors.into_result(&BRANCH_ORDER)?;
    let current = match id {
        Some(id) => Some(
            sqlx::query!(
                "SELECT global_component_pk, name, type_pk, critical_path FROM component_branch
                 WHERE id = $1",
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?,
        ),
        None => None,
    };
    let gc = b
        .global_component
        .or(current.as_ref().map(|c| c.global_component_pk))
        .unwrap_or_default();
    let type_pk = b
        .type_pk
        .or(current.as_ref().map(|c| c.type_pk))
        .unwrap_or_default();
    let name = b
        .name
        .clone()
        .or(current.as_ref().map(|c| c.name.clone()))
        .unwrap_or_default();
    let critical_path = critical_path
        .or(current.as_ref().map(|c| c.critical_path))
        .unwrap_or(false);
    if branch_taken(w.conn, gc, &name, type_pk, id).await? {
        return Err(Error::detail_list([
            "The fields global_component, name, type must make a unique set.",
        ]));
    }
    if let (Some(c), Some(new)) = (&current, &b.name)
        && c.name != *new
    {
        return Err(Error::fields({
            let mut e = FieldErrors::new();
            e.add("name", "You may not modify the branch's name due to policy");
            e
        }));
    }
    if name.is_empty() {
        model_errors(&[("name", "This field cannot be blank.".into())])?;
    }
    match id {
        None => sqlx::query_scalar!(
            "INSERT INTO component_branch (global_component_pk, name, type_pk, critical_path)
             VALUES ($1, $2, $3, $4) RETURNING id",
            gc,
            name,
            type_pk,
            critical_path
        )
        .fetch_one(&mut *w.conn)
        .await
        .db(),
        Some(id) => {
            sqlx::query!(
                "UPDATE component_branch SET global_component_pk = $2, type_pk = $3,
                        critical_path = $4 WHERE id = $1",
                id,
                gc,
                type_pk,
                critical_path
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            Ok(id)
        }
    }
}

async fn branch_taken(
    conn: &mut PgConnection,
    gc: i64,
    name: &str,
    type_pk: i64,
    except: Option<i64>,
) -> Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM component_branch WHERE global_component_pk = $1
             AND name = $2 AND type_pk = $3 AND id IS DISTINCT FROM $4) AS "taken!""#,
        gc,
        name,
        type_pk,
        except
    )
    .fetch_one(conn)
    .await
    .db()
}

// ---------------------------------------------------------------- SLA types

pub struct Slas;

static SLA_FIELDS: [Field; 3] = [
    Field::ro("id", Kind::Int),
    Field::req(
        "name",
        Kind::Str {
            max: 300,
            blank: false,
        },
    )
    .doc("Unique; cannot be changed."),
    Field::opt(
        "description",
        Kind::Str {
            max: 0,
            blank: true,
        },
    ),
];

pub static SLAS: Spec = Spec {
    prefix: "component-sla-types",
    lookup: &["id"],
    lookup_dots: false,
    fields: &SLA_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new("name", FilterKind::Exact, "l.name = {}"),
        Filter::new("description", FilterKind::Exact, "l.description = {}"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "sla l",
    id: "l.id",
    ordering: &[
        ("id", "l.id"),
        ("name", "l.name"),
        ("description", "l.description"),
    ],
    relations: &[],
    default_order: "l.name",
    actions: Actions::ALL,
    change_name: "sla",
    last_modified: &[],
    caching: Caching::Default,
    model: "sla",
    doc: "Service level agreement types of component branches (experimental). Names cannot \
          be changed; deleting one deletes its branch entries.",
};

impl Resource for Slas {
    const SPEC: &'static Spec = &SLAS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(pydict::display_object(
            same(&repr, &["name", "description"]),
            vec![],
        ))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "sla", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name, description FROM sla WHERE id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let v = json!({"id": r.id, "name": r.name, "description": r.description});
                    (r.id, v)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (name, description) = sla_input(w.conn, None, body, Op::Create).await?;
        sqlx::query_scalar!(
            "INSERT INTO sla (name, description) VALUES ($1, coalesce($2, '')) RETURNING id",
            name,
            description
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (name, description) = sla_input(w.conn, Some(id), body, op).await?;
        let old = sqlx::query_scalar!("SELECT name FROM sla WHERE id = $1", id)
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
        if name.as_ref().is_some_and(|n| *n != old) {
            let mut e = FieldErrors::new();
            e.add("name", "You may not modify the SLA's name due to policy");
            return Err(Error::fields(e));
        }
        sqlx::query!(
            "UPDATE sla SET description = coalesce($2, description) WHERE id = $1",
            id,
            description
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "sla", id).await
    }
}

async fn sla_input(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<(Option<String>, Option<String>)> {
    let (input, mut errors) = parse_body(&SLA_FIELDS, body, op);
    if let Some(name) = input.str("name")
        && refs::taken(conn, "sla", "name", name, id).await?
    {
        errors.add("name", "sla with this name already exists.");
    }
    errors.into_result(&["name", "description"])?;
    Ok((
        input.str("name").map(str::to_string),
        input.str("description").map(str::to_string),
    ))
}

// ---------------------------------------------------------------- SLAs of branches

pub struct BranchSlas;

static ENTRY_FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::req("sla", Kind::Choice(&SLA_REF)).doc("SLA type name."),
    Field::req("branch", Kind::Custom).doc(
        "`{\"name\", \"global_component\", \"type\", \"critical_path\"?}`; POST creates the \
         branch when it does not exist; updates may not change it.",
    ),
    Field::req("eol", Kind::Custom).doc("End of life, `YYYY-MM-DD`."),
];

const ENTRY_ORDER: [&str; 4] = ["id", "sla", "branch", "eol"];

pub static BRANCH_SLAS: Spec = Spec {
    prefix: "component-branch-slas",
    lookup: &["id"],
    lookup_dots: false,
    fields: &ENTRY_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new(
            "sla",
            FilterKind::Exact,
            "e.sla_pk IN (SELECT id FROM sla WHERE name = {})",
        ),
        Filter::new("branch", FilterKind::Exact, "b.name = {}"),
        Filter::new(
            "global_component",
            FilterKind::Exact,
            "b.global_component_pk IN (SELECT id FROM global_component WHERE name = {})",
        ),
        Filter::new(
            "branch_type",
            FilterKind::Exact,
            "b.type_pk IN (SELECT id FROM release_component_type WHERE name = {})",
        ),
        Filter::new(
            "branch_active",
            FilterKind::StrictBool {
                false_sql: BRANCH_INACTIVE,
            },
            BRANCH_ACTIVE,
        ),
        Filter::boolean("branch_critical_path", "b.critical_path = {}"),
        Filter::new("eol", FilterKind::Date, "e.eol = {}"),
        Filter::new("eol_after", FilterKind::Date, "e.eol >= {}"),
        Filter::new("eol_before", FilterKind::Date, "e.eol <= {}"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "sla_to_branch e JOIN component_branch b ON b.id = e.branch_pk",
    id: "e.id",
    ordering: &[
        ("id", "e.id"),
        ("sla", "e.sla_pk"),
        ("branch", "e.branch_pk"),
        ("eol", "e.eol"),
        ("branch__name", "b.name"),
        ("branch__global_component__name", GC_NAME),
        ("sla__name", "(SELECT name FROM sla WHERE id = e.sla_pk)"),
    ],
    relations: &[],
    default_order: "(SELECT name FROM global_component WHERE id = b.global_component_pk), b.name, e.id",
    actions: Actions::ALL,
    change_name: "slatocomponentbranch",
    last_modified: &[],
    caching: Caching::Default,
    model: "slatocomponentbranch",
    doc: "SLAs of component branches with their end of life (experimental). POST creates the \
          branch when it does not exist yet.",
};

impl Resource for BranchSlas {
    const SPEC: &'static Spec = &BRANCH_SLAS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(pydict::display_object(
            vec![
                ("sla", repr["sla"].clone()),
                ("branch", repr["branch"]["name"].clone()),
                ("eol", repr["eol"].clone()),
            ],
            vec![],
        ))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "sla_to_branch", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT e.id, l.name AS sla, e.branch_pk, e.eol FROM sla_to_branch e
             JOIN sla l ON l.id = e.sla_pk WHERE e.id = ANY($1)",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let branch_ids: Vec<i64> = rows.iter().map(|r| r.branch_pk).collect();
        let branches = fetch_branches(conn, &branch_ids, false).await?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let branch = branches
                        .iter()
                        .find(|(id, _)| *id == r.branch_pk)
                        .map(|(_, v)| v.clone());
                    let v = json!({"id": r.id, "sla": r.sla, "branch": branch,
                                   "eol": r.eol.to_string()});
                    (r.id, v)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let entry = entry_input(w, body, Op::Create).await?;
        let (Some(b), Some(sla), Some(eol)) = (entry.branch, entry.sla, entry.eol) else {
            return Err(Error::internal("checked entry without values"));
        };
        let (gc, name, type_pk) = (
            b.global_component.unwrap_or_default(),
            b.name.clone().unwrap_or_default(),
            b.type_pk.unwrap_or_default(),
        );
        let found = sqlx::query!(
            "SELECT id, critical_path FROM component_branch
             WHERE name = $1 AND type_pk = $2 AND global_component_pk = $3",
            name,
            type_pk,
            gc
        )
        .fetch_optional(&mut *w.conn)
        .await
        .db()?;
        if let Some(f) = &found
            && b.critical_path.is_some_and(|c| c != f.critical_path)
        {
            return Err(Error::status(
                400,
                json!({"branch.critical_path": [
                    "The found branch's critical_path field did not match the supplied value"
                ]}),
            ));
        }
        if let Some(f) = &found {
            let linked = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM sla_to_branch WHERE sla_pk = $1 AND branch_pk = $2) AS "x!""#,
                sla,
                f.id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            if linked {
                let (sla_name, gc_name) = sqlx::query!(
                    r#"SELECT (SELECT name FROM sla WHERE id = $1) AS "sla!",
                              (SELECT name FROM global_component WHERE id = $2) AS "gc!""#,
                    sla,
                    gc
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()
                .map(|r| (r.sla, r.gc))?;
                let mut e = FieldErrors::new();
                e.add(
                    "branch",
                    format!(
                        "The SLA \"{sla_name}\" tied to the component \"{gc_name}\" and branch \"{name}\" already exists"
                    ),
                );
                return Err(Error::fields(e));
            }
        }
        let branch = match found {
            Some(f) => f.id,
            None => {
                if name.is_empty() {
                    model_errors(&[("name", "This field cannot be blank.".into())])?;
                }
                sqlx::query_scalar!(
                    "INSERT INTO component_branch (global_component_pk, name, type_pk, critical_path)
                     VALUES ($1, $2, $3, $4) RETURNING id",
                    gc,
                    name,
                    type_pk,
                    b.critical_path.unwrap_or(false)
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()?
            }
        };
        sqlx::query_scalar!(
            "INSERT INTO sla_to_branch (sla_pk, branch_pk, eol) VALUES ($1, $2, $3) RETURNING id",
            sla,
            branch,
            eol
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let entry = entry_input(w, body, op).await?;
        if let Some(b) = &entry.branch {
            let current = sqlx::query!(
                "SELECT b.name, b.type_pk, b.global_component_pk, b.critical_path
                 FROM sla_to_branch e JOIN component_branch b ON b.id = e.branch_pk WHERE e.id = $1",
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            if b.name.as_deref() != Some(current.name.as_str())
                || b.type_pk != Some(current.type_pk)
                || b.global_component != Some(current.global_component_pk)
                || b.critical_path.is_some_and(|c| c != current.critical_path)
            {
                let mut e = FieldErrors::new();
                e.add("branch", "The branch cannot be modified using this API");
                return Err(Error::fields(e));
            }
        }
        sqlx::query!(
            "UPDATE sla_to_branch SET sla_pk = coalesce($2, sla_pk), eol = coalesce($3, eol)
             WHERE id = $1",
            id,
            entry.sla,
            entry.eol
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "sla_to_branch", id).await
    }
}

/// Django's `parse_date`: `YYYY-M[M]-D[D]`, a valid calendar date.
fn parse_iso_date(text: &str) -> Option<chrono::NaiveDate> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let digits =
        |s: &str, lens: &[usize]| lens.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit());
    if !digits(y, &[4]) || !digits(m, &[1, 2]) || !digits(d, &[1, 2]) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A checked SLA entry write (`None`: absent).
struct EntryInput {
    sla: Option<i64>,
    branch: Option<BranchInput>,
    eol: Option<chrono::NaiveDate>,
}

/// The serializer's field checks; the nested branch reports its errors
/// as an object under `branch`.
async fn entry_input(w: &mut Write<'_>, body: &Map<String, Value>, op: Op) -> Result<EntryInput> {
    let (mut input, mut errors) = parse_body(&ENTRY_FIELDS, body, op);
    refs::resolve(w.conn, &ENTRY_FIELDS, &mut input, &mut errors).await?;
    let branch = match input.json("branch") {
        Some(Value::Object(map)) => {
            let mut nested = FieldErrors::new();
            let (b, _) = branch_input(w.conn, &w.ctx.settings, map, op, &mut nested).await?;
            if nested.is_empty() {
                Some(b)
            } else {
                let ordered =
                    nested.py2_ordered(&["name", "global_component", "type", "critical_path"]);
                errors.set("branch", Value::Object(ordered.0));
                None
            }
        }
        Some(other) => {
            errors.set(
                "branch",
                json!({"detail": [format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    py_type(other)
                )]}),
            );
            None
        }
        None => None,
    };
    let eol = match input.json("eol") {
        Some(raw) => {
            let date = raw.as_str().and_then(parse_iso_date);
            if date.is_none() {
                errors.add(
                    "eol",
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                );
            }
            date
        }
        None => None,
    };
    errors.into_result(&ENTRY_ORDER)?;
    Ok(EntryInput {
        sla: input.id("sla").flatten(),
        branch,
        eol,
    })
}
