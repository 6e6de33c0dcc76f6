//! Component group types and component groups (`component-group-types/`,
//! `component-groups/`): named sets of release components of one release.
//! Also the release-component references (`{"id": n}` or `{"release", "name"}`)
//! that groups and relationships take as input.

use pdc_core::error::FieldErrors;
use pdc_core::fields::{
    Default, Field, Kind, Op, Ref, check_model_lengths, parse_body, py_str, py_type,
};
use pdc_core::{Error, Result, pydict};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::releases::RELEASE_REF;
use crate::db::DbResultExt;
use crate::export::{inserted, same};
use crate::protect::{REPR_ROWS, protected};
use crate::refs;
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::resources::release_components::{ReleaseComponents, export_release_component};
use crate::spec::{Actions, Caching, Filter, Spec};

pub static GROUP_TYPE_REF: Ref = Ref {
    table: "component_group_type",
    column: "name",
    order: "id",
};

// ---------------------------------------------------------------- release component references

/// A release component named by a write.
#[derive(Debug, Clone)]
pub struct ComponentRef {
    pub id: i64,
    pub name: String,
    pub release_pk: i64,
    pub release_id: String,
}

/// Python's `int()` of a JSON value, as PDC's `convert_str_to_int` does it.
fn py_int(v: &Value) -> Option<Result<i64, ()>> {
    match v {
        Value::Bool(b) => Some(Ok(i64::from(*b))),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Ok(i)),
            // Too big for the database: nothing can match.
            None if n.is_u64() => Some(Err(())),
            None => n.as_f64().map(|f| Ok(f.trunc() as i64)),
        },
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '_') {
                return None;
            }
            Some(t.replace('_', "").parse::<i64>().map_err(|_| ()))
        }
        _ => None,
    }
}

/// One item of PDC's `ReleaseComponentField`: the component, or the error
/// value the field reports.
async fn component_item(
    conn: &mut PgConnection,
    item: &Value,
) -> Result<Result<ComponentRef, Value>> {
    let Value::Object(map) = item else {
        return Ok(Err(json!({"detail": format!(
            "Input [{}] for ReleaseComponent must be a dict.",
            py_str(item)
        )})));
    };
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let found = match keys.as_slice() {
        ["id"] => {
            let raw = &map["id"];
            let id = match py_int(raw) {
                None => {
                    return Ok(Err(json!([format!(
                        "Value [{}] is not an integer",
                        py_str(raw)
                    )])));
                }
                Some(Err(())) => None,
                Some(Ok(id)) => Some(id),
            };
            match id {
                Some(id) => find_components(conn, Some(id), None, None).await?,
                None => vec![],
            }
        }
        ["name", "release"] => {
            let text = |v: &Value| (!v.is_null()).then(|| py_str(v));
            find_components(conn, None, text(&map["release"]), text(&map["name"])).await?
        }
        _ => {
            return Ok(Err(
                json!({"detail": "Only accept ['id'] or ['release', 'name']"}),
            ));
        }
    };
    // Several components of one release share a name when their types
    // differ; PDC fails there, the lowest id is taken here.
    match found.into_iter().next() {
        Some(c) => Ok(Ok(c)),
        None => Ok(Err(json!({"detail": format!(
            "ReleaseComponent [{}] doesn't exist",
            py_str(item)
        )}))),
    }
}

async fn find_components(
    conn: &mut PgConnection,
    id: Option<i64>,
    release: Option<String>,
    name: Option<String>,
) -> Result<Vec<ComponentRef>> {
    let rows = sqlx::query!(
        "SELECT rc.id, rc.name, rc.release_pk, r.release_id
         FROM release_component rc JOIN release r ON r.id = rc.release_pk
         WHERE ($1::bigint IS NULL OR rc.id = $1)
           AND ($1::bigint IS NOT NULL OR (r.release_id = $2 AND rc.name = $3))
         ORDER BY rc.id",
        id,
        release,
        name
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows
        .into_iter()
        .map(|r| ComponentRef {
            id: r.id,
            name: r.name,
            release_pk: r.release_pk,
            release_id: r.release_id,
        })
        .collect())
}

/// PDC's `ReleaseComponentField` for one component (`many=False`); errors
/// go to `errors[field]`.
pub async fn component_ref(
    conn: &mut PgConnection,
    field: &str,
    value: &Value,
    errors: &mut FieldErrors,
) -> Result<Option<ComponentRef>> {
    match component_item(conn, value).await? {
        Ok(c) => Ok(Some(c)),
        Err(e) => {
            errors.set(field, e);
            Ok(None)
        }
    }
}

/// DRF's many-related field over `ReleaseComponentField`: any iterable
/// but a string, the first bad item failing the whole field.
async fn component_refs(
    conn: &mut PgConnection,
    field: &str,
    value: &Value,
    errors: &mut FieldErrors,
) -> Result<Option<Vec<ComponentRef>>> {
    let items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        // A dict iterates over its keys, in Python 2 dict order.
        Value::Object(map) => {
            let keys: Vec<&String> = map.keys().collect();
            pdc_core::pyrepr::py2_iter(&keys)
                .into_iter()
                .map(|k| Value::String(k.to_string()))
                .collect()
        }
        other => {
            errors.add(
                field,
                format!(
                    "Expected a list of items but got type \"{}\".",
                    py_type(other)
                ),
            );
            return Ok(None);
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        match component_ref(conn, field, item, errors).await? {
            Some(c) => out.push(c),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// A release component as groups show it: `{"id", "name"}` (plus
/// `release` for relationships), a plain Python dict in its hash order.
pub fn component_json(id: i64, name: &str, release_id: Option<&str>) -> Value {
    let mut v = json!({"id": id, "name": name});
    if let Some(r) = release_id {
        v["release"] = json!(r);
    }
    pydict::reordered(&v)
}

// ---------------------------------------------------------------- group types

pub struct ComponentGroupTypes;

static TYPE_FIELDS: [Field; 3] = [
    Field::ro("id", Kind::Int),
    Field::req(
        "name",
        Kind::Str {
            max: 100,
            blank: false,
        },
    )
    .doc("Unique name."),
    Field::with_default(
        "description",
        Kind::Str {
            max: 200,
            blank: false,
        },
        Default::EmptyStr,
    )
    .doc("Empty when omitted on POST and PUT."),
];

pub static GROUP_TYPES: Spec = Spec {
    prefix: "component-group-types",
    lookup: &["id"],
    lookup_dots: false,
    fields: &TYPE_FIELDS,
    extra_body_keys: &[],
    filters: &[Filter::multi("name", "t.name = ANY({})")],
    extra_params: &[],
    strict_params: true,
    from: "component_group_type t",
    id: "t.id",
    ordering: &[
        ("id", "t.id"),
        ("name", "t.name"),
        ("description", "t.description"),
    ],
    relations: &[],
    default_order: "t.id",
    actions: Actions::ALL,
    change_name: "grouptype",
    last_modified: &[],
    caching: Caching::Default,
    model: "grouptype",
    doc: "Types of component groups. A type used by groups cannot be deleted.",
};

impl Resource for ComponentGroupTypes {
    const SPEC: &'static Spec = &GROUP_TYPES;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(inserted(same(&repr, &["name", "description"])))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "component_group_type", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name, description FROM component_group_type WHERE id = ANY($1)",
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
        let (name, description) = type_input(w.conn, None, body, Op::Create).await?;
        sqlx::query_scalar!(
            "INSERT INTO component_group_type (name, description) VALUES ($1, $2) RETURNING id",
            name,
            description
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (name, description) = type_input(w.conn, Some(id), body, op).await?;
        sqlx::query!(
            "UPDATE component_group_type SET name = coalesce($2, name),
                    description = coalesce($3, description) WHERE id = $1",
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
        // Django asks without an order (storage order); ids give the same
        // answer until rows are updated.
        let users = sqlx::query_scalar!(
            r#"SELECT r.release_id || '-' || t.name || '-' || g.description AS "repr!"
               FROM component_group g JOIN release r ON r.id = g.release_pk
               JOIN component_group_type t ON t.id = g.group_type_pk
               WHERE g.group_type_pk = $1 ORDER BY g.id LIMIT $2"#,
            id,
            REPR_ROWS
        )
        .fetch_all(&mut *w.conn)
        .await
        .db()?;
        if !users.is_empty() {
            let objects: Vec<String> = users
                .iter()
                .map(|u| format!("<ReleaseComponentGroup: {u}>"))
                .collect();
            return Err(protected(
                "GroupType",
                "ReleaseComponentGroup.group_type",
                &objects,
            ));
        }
        delete_by_id(w.conn, "component_group_type", id).await
    }
}

/// The serializer's checks (the unique name among them); `None` keeps a value.
async fn type_input(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<(Option<String>, Option<String>)> {
    let (input, mut errors) = parse_body(&TYPE_FIELDS, body, op);
    if let Some(name) = input.str("name")
        && refs::taken(conn, "component_group_type", "name", name, id).await?
    {
        errors.add("name", "group type with this name already exists.");
    }
    errors.into_result(&["name", "description"])?;
    Ok((
        input.str("name").map(str::to_string),
        input.str("description").map(str::to_string),
    ))
}

// ---------------------------------------------------------------- groups

pub struct ComponentGroups;

static GROUP_FIELDS: [Field; 5] = [
    Field::ro("id", Kind::Int),
    Field::req("group_type", Kind::Slug(&GROUP_TYPE_REF)).doc("Name of a component group type."),
    Field::req(
        "description",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("At most 200 characters; unique with the type and release."),
    Field::req("release", Kind::Slug(&RELEASE_REF)).doc("release_id"),
    Field::opt("components", Kind::Custom).doc(
        "Release components of the group's release. Output `{\"id\", \"name\"}`; input items \
         `{\"id\": n}` or `{\"release\": release_id, \"name\": name}`. PUT without it keeps them.",
    ),
];

const GROUP_ORDER: [&str; 5] = ["id", "group_type", "description", "release", "components"];

pub static GROUPS: Spec = Spec {
    prefix: "component-groups",
    lookup: &["id"],
    lookup_dots: false,
    fields: &GROUP_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi(
            "group_type",
            "g.group_type_pk IN (SELECT id FROM component_group_type WHERE name = ANY({}))",
        ),
        Filter::multi(
            "release",
            "g.release_pk IN (SELECT id FROM release WHERE release_id = ANY({}))",
        ),
        Filter::multi(
            "release_component",
            "EXISTS (SELECT 1 FROM component_group_member m
                     JOIN release_component rc ON rc.id = m.release_component_pk
                     WHERE m.group_pk = g.id AND rc.name = ANY({}))",
        )
        .doc("Name of a member component."),
    ],
    extra_params: &[],
    strict_params: true,
    from: "component_group g",
    id: "g.id",
    ordering: &[
        ("id", "g.id"),
        ("group_type", "g.group_type_pk"),
        ("description", "g.description"),
        ("release", "g.release_pk"),
        (
            "group_type__name",
            "(SELECT name FROM component_group_type WHERE id = g.group_type_pk)",
        ),
        (
            "release__release_id",
            "(SELECT release_id FROM release WHERE id = g.release_pk)",
        ),
    ],
    relations: &[],
    default_order: "g.id",
    actions: Actions::ALL,
    change_name: "releasecomponentgroup",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasecomponentgroup",
    doc: "Groups of release components of one release, by type.",
};

impl Resource for ComponentGroups {
    const SPEC: &'static Spec = &GROUPS;

    /// Members as full release component exports.
    async fn export(conn: &mut PgConnection, ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let ids: Vec<i64> = repr["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_i64())
            .collect();
        let mut components = Vec::new();
        for (id, rc) in ids
            .iter()
            .zip(ReleaseComponents::fetch(&mut *conn, ctx, &ids).await?)
        {
            components.push(export_release_component(&mut *conn, *id, &rc).await?);
        }
        let mut keys = same(&repr, &["group_type", "release", "description"]);
        keys.push(("components", Value::Array(components)));
        Ok(inserted(keys))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "component_group", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT g.id, t.name AS group_type, g.description, r.release_id
             FROM component_group g
             JOIN component_group_type t ON t.id = g.group_type_pk
             JOIN release r ON r.id = g.release_pk
             WHERE g.id = ANY($1)",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let members = sqlx::query!(
            "SELECT m.group_pk, rc.id, rc.name FROM component_group_member m
             JOIN release_component rc ON rc.id = m.release_component_pk
             WHERE m.group_pk = ANY($1) ORDER BY rc.id",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let components: Vec<Value> = members
                        .iter()
                        .filter(|m| m.group_pk == r.id)
                        .map(|m| component_json(m.id, &m.name, None))
                        .collect();
                    let v = json!({"id": r.id, "group_type": r.group_type,
                        "description": r.description, "release": r.release_id,
                        "components": components});
                    (r.id, v)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save_group(w.conn, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save_group(w.conn, Some(id), body, op).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "component_group", id).await
    }
}

/// Checks a group write as PDC's serializer (fields, the unique triple,
/// members of the group's release) and the model do, then writes it.
async fn save_group(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let (mut input, mut errors) = parse_body(&GROUP_FIELDS, body, op);
    refs::resolve(conn, &GROUP_FIELDS, &mut input, &mut errors).await?;
    let members = match input.json("components") {
        Some(v) => component_refs(conn, "components", v, &mut errors).await?,
        None => None,
    };
    errors.into_result(&GROUP_ORDER)?;

    let current = match id {
        Some(id) => Some(
            sqlx::query!(
                "SELECT group_type_pk, release_pk, description FROM component_group WHERE id = $1",
                id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?,
        ),
        None => None,
    };
    let group_type = input
        .id("group_type")
        .flatten()
        .or(current.as_ref().map(|c| c.group_type_pk))
        .unwrap_or_default();
    let release = input
        .id("release")
        .flatten()
        .or(current.as_ref().map(|c| c.release_pk))
        .unwrap_or_default();
    let description = input
        .str("description")
        .map(str::to_string)
        .or(current.as_ref().map(|c| c.description.clone()))
        .unwrap_or_default();

    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM component_group WHERE group_type_pk = $1 AND release_pk = $2
                          AND description = $3 AND id IS DISTINCT FROM $4) AS "taken!""#,
        group_type,
        release,
        description,
        id
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    if taken {
        return Err(Error::detail_list([
            "The fields group_type, release, description must make a unique set.",
        ]));
    }

    let members = match (members, id) {
        (Some(m), _) => Some(m),
        (None, Some(id)) => {
            let mut m = Vec::new();
            for rc in current_members(conn, id).await? {
                m.extend(find_components(conn, Some(rc), None, None).await?);
            }
            m.sort_by_key(|c| c.id);
            if let Some(bad) = m.iter().find(|c| c.release_pk != release) {
                return Err(mismatch(conn, bad, release).await);
            }
            None
        }
        (None, None) => None,
    };
    if let Some(m) = &members
        && let Some(bad) = m.iter().find(|c| c.release_pk != release)
    {
        return Err(mismatch(conn, bad, release).await);
    }
    check_model_lengths(&[("description", Some(description.as_str()), 200)])?;

    let id = match id {
        None => sqlx::query_scalar!(
            "INSERT INTO component_group (group_type_pk, release_pk, description)
             VALUES ($1, $2, $3) RETURNING id",
            group_type,
            release,
            description
        )
        .fetch_one(&mut *conn)
        .await
        .db()?,
        Some(id) => {
            sqlx::query!(
                "UPDATE component_group SET group_type_pk = $2, release_pk = $3, description = $4
                 WHERE id = $1",
                id,
                group_type,
                release,
                description
            )
            .execute(&mut *conn)
            .await
            .db()?;
            id
        }
    };
    if let Some(m) = members {
        let pks: Vec<i64> = m.iter().map(|c| c.id).collect();
        sqlx::query!(
            "DELETE FROM component_group_member WHERE group_pk = $1
               AND release_component_pk <> ALL($2)",
            id,
            &pks
        )
        .execute(&mut *conn)
        .await
        .db()?;
        sqlx::query!(
            "INSERT INTO component_group_member (group_pk, release_component_pk)
             SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
            id,
            &pks
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(id)
}

async fn current_members(conn: &mut PgConnection, id: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT release_component_pk FROM component_group_member WHERE group_pk = $1
         ORDER BY release_component_pk",
        id
    )
    .fetch_all(conn)
    .await
    .db()
}

/// PDC's answer to a member of another release than the group's.
async fn mismatch(conn: &mut PgConnection, c: &ComponentRef, release: i64) -> Error {
    let release_id = sqlx::query_scalar!("SELECT release_id FROM release WHERE id = $1", release)
        .fetch_one(conn)
        .await
        .unwrap_or_default();
    Error::detail_list([format!(
        "Not allow to group release_component[{}] <release[{}]> with other release[{release_id}].",
        c.name, c.release_id
    )])
}
