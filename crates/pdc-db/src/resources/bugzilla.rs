//! Bugzilla components: a tree of names (PDC kept it with django-mptt; we
//! walk `parent_pk` with recursive queries). Created get-or-create style
//! with a `parent_pk`, moved with PUT/PATCH, deleted with their subtree.

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Kind, Op, as_text};
use pdc_core::{Error, Result, pyrepr};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::release_components::{ReleaseComponents, export_release_component};
use crate::db::DbResultExt;
use crate::export::{inserted, same};
use crate::resource::{Created, Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, Spec};

pub struct BugzillaComponents;

const NAME_MAX: usize = 100;

static FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::opt(
        "name",
        Kind::Str {
            max: NAME_MAX,
            blank: false,
        },
    )
    .doc("No `/`; unique among its siblings. Required on POST and PUT."),
    Field::opt(
        "parent_component",
        Kind::Str {
            max: 200,
            blank: false,
        },
    )
    .null_in_output()
    .doc("Name of the parent, or null for a root. Output only: send `parent_pk` to place a node."),
    Field::ro("subcomponents", Kind::Custom)
        .doc("Every descendant as a path relative to this node, in tree order (siblings by name)."),
];

const FIELD_ORDER: [&str; 4] = ["id", "name", "parent_component", "subcomponents"];

pub static BUGZILLA_COMPONENTS: Spec = Spec {
    prefix: "bugzilla-components",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &["parent_pk"],
    filters: &[
        Filter::multi("name", "b.name = ANY({})"),
        Filter::multi(
            "parent_component",
            "b.parent_pk IN (SELECT id FROM bugzilla_component WHERE name = ANY({}))",
        )
        .doc("Name of the parent."),
    ],
    extra_params: &[],
    strict_params: true,
    from: "bugzilla_component b",
    id: "b.id",
    ordering: &[
        ("id", "b.id"),
        ("name", "b.name"),
        ("parent_component", "b.parent_pk"),
    ],
    relations: &[],
    default_order: "b.id",
    actions: Actions::ALL,
    change_name: "bugzillacomponent",
    last_modified: &[],
    caching: Caching::Default,
    model: "bugzillacomponent",
    doc: "Bugzilla components and subcomponents, a tree. POST takes `name` and `parent_pk` \
          (the parent's id, null or absent for a root) and answers 200 with a \
          `pdc-warning` header when that node already exists; PUT needs both keys. \
          DELETE removes the whole subtree and unlinks release components from it.",
};

const EXISTS_WARNING: &str = "The bugzilla component already exists";

/// `(id, representation)` of the nodes `ids` that exist, in no set order.
pub async fn fetch_nodes(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<(i64, Value)>> {
    let rows = sqlx::query!(
        r#"WITH RECURSIVE sub AS (
               SELECT c.parent_pk AS root, c.id, ARRAY[c.name::text] AS path
               FROM bugzilla_component c WHERE c.parent_pk = ANY($1)
               UNION ALL
               SELECT s.root, c.id, s.path || c.name::text
               FROM sub s JOIN bugzilla_component c ON c.parent_pk = s.id
           )
           SELECT b.id AS "id!", b.name AS "name!", p.name AS "parent?",
                  ARRAY(SELECT array_to_string(s.path, '/') FROM sub s WHERE s.root = b.id
                        ORDER BY s.path COLLATE "C") AS "subcomponents!"
           FROM bugzilla_component b
           LEFT JOIN bugzilla_component p ON p.id = b.parent_pk
           WHERE b.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let value = json!({
                "id": r.id,
                "name": r.name,
                "parent_component": r.parent,
                "subcomponents": r.subcomponents,
            });
            (r.id, value)
        })
        .collect())
}

/// The node a release component's `bugzilla_component` path names
/// (`parent/child/...`, outer slashes ignored; one segment is a root), or
/// PDC's message when there is none or several.
pub async fn resolve_path(conn: &mut PgConnection, path: &str) -> Result<Result<i64, String>> {
    let not_found = || format!("Bugzilla component with name {path} does not exist.");
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(String::from)
        .collect();
    if let [root] = segments.as_slice() {
        let id = sqlx::query_scalar!(
            "SELECT id FROM bugzilla_component WHERE name = $1 AND parent_pk IS NULL",
            root
        )
        .fetch_optional(conn)
        .await
        .db()?;
        return Ok(id.ok_or_else(not_found));
    }
    let mut found = sqlx::query_scalar!(
        "SELECT c.id FROM bugzilla_component c JOIN bugzilla_component p ON p.id = c.parent_pk
         WHERE c.name = $1 AND p.name = $2",
        segments[1],
        segments[0]
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for name in &segments[2..] {
        found = sqlx::query_scalar!(
            "SELECT id FROM bugzilla_component WHERE name = $1 AND parent_pk = ANY($2)",
            name,
            &found
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
    }
    Ok(match found.as_slice() {
        [] => Err(not_found()),
        [id] => Ok(*id),
        _ => Err(format!(
            "Duplicate Bugzilla component with name {path} exists."
        )),
    })
}

/// `parent_pk` must be a JSON integer or null (Python's int/NoneType check).
fn parent_pk(value: Option<&Value>) -> Result<Option<i64>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(_) => Err(Error::bad_request(
            "Parent_pk is not typeof int or Nonetype.",
        )),
    }
}

/// The node name the view takes (before the serializer trims it).
fn given_name(value: Option<&Value>) -> Result<String> {
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            Err(Error::bad_request("Missing bugzilla component name."))
        }
        Some(_) => {
            let mut errors = FieldErrors::new();
            errors.add("name", "Not a valid string.");
            Err(Error::fields(errors))
        }
    }
}

/// The model's own validator of names (sic).
const SLASH_MSG: &str = "Symbol / is not acceptted as part of bugzilla component's name.";

/// 404 unless the parent exists.
async fn check_parent(conn: &mut PgConnection, pk: i64) -> Result<()> {
    if lookup_by_id(conn, "bugzilla_component", &[pk.to_string()])
        .await?
        .is_none()
    {
        return Err(Error::detail(
            404,
            format!("Parent bugzilla component with pk {pk} does not exist"),
        ));
    }
    Ok(())
}

async fn find(conn: &mut PgConnection, name: &str, parent: Option<i64>) -> Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM bugzilla_component WHERE name = $1 AND parent_pk IS NOT DISTINCT FROM $2",
        name,
        parent
    )
    .fetch_optional(conn)
    .await
    .db()
}

/// The serializer's check of a `parent_component` key: a valid text is
/// accepted but cannot be saved (PDC's model wants a node there).
fn parent_component(body: &Map<String, Value>, errors: &mut FieldErrors) -> Option<String> {
    let raw = body.get("parent_component")?;
    let msg = match raw {
        Value::Null => "This field may not be null.".to_string(),
        v => match as_text(v).map(|t| t.trim().to_string()) {
            None => "Not a valid string.".into(),
            Some(t) if t.is_empty() => "This field may not be blank.".into(),
            Some(t) if t.chars().count() > 200 => {
                "Ensure this field has no more than 200 characters.".into()
            }
            Some(t) => return Some(t),
        },
    };
    errors.add("parent_component", msg);
    None
}

fn cannot_assign(text: &str) -> Error {
    Error::bad_request(format!(
        "Cannot assign \"{}\": \"BugzillaComponent.parent_component\" must be a \
         \"BugzillaComponent\" instance.",
        pyrepr::unicode(text)
    ))
}

/// Ids of the nodes below `id`, in id order.
async fn descendants(conn: &mut PgConnection, id: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"WITH RECURSIVE sub AS (
               SELECT id FROM bugzilla_component WHERE parent_pk = $1
               UNION ALL
               SELECT c.id FROM sub s JOIN bugzilla_component c ON c.parent_pk = s.id
           )
           SELECT id AS "id!" FROM sub ORDER BY id"#,
        id
    )
    .fetch_all(conn)
    .await
    .db()
}

impl Resource for BugzillaComponents {
    const SPEC: &'static Spec = &BUGZILLA_COMPONENTS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(inserted(same(
            &repr,
            &["name", "parent_component", "subcomponents"],
        )))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "bugzilla_component", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        Ok(in_order(ids, fetch_nodes(conn, ids).await?))
    }

    /// PDC's get-or-create, in its order of checks.
    async fn create_or_find(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<Created> {
        let parent = parent_pk(body.get("parent_pk"))?;
        let name = given_name(body.get("name"))?;
        if let Some(pk) = parent {
            check_parent(w.conn, pk).await?;
        }
        let name = name.trim().to_string();
        let mut problems = Vec::new();
        if name.contains('/') {
            problems.push(SLASH_MSG.to_string());
        }
        let n = name.chars().count();
        if n > NAME_MAX {
            problems.push(format!(
                "Ensure this value has at most {NAME_MAX} characters (it has {n})."
            ));
        }
        if !problems.is_empty() {
            return Err(Error::detail_list(problems));
        }
        let existing = find(w.conn, &name, parent).await?;
        let mut errors = FieldErrors::new();
        let parent_text = parent_component(body, &mut errors);
        errors.into_result(&FIELD_ORDER)?;
        if let Some(id) = existing {
            return Ok(Created::Existing {
                id,
                warning: EXISTS_WARNING,
            });
        }
        if let Some(text) = parent_text {
            return Err(cannot_assign(&text));
        }
        let id = sqlx::query_scalar!(
            "INSERT INTO bugzilla_component (name, parent_pk) VALUES ($1, $2) RETURNING id",
            name,
            parent
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        Ok(Created::New(id))
    }

    /// PDC's custom update: name and parent (`parent_pk`) checks first,
    /// then the serializer's, then the tree move.
    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        if op == Op::Update && !(body.contains_key("name") && body.contains_key("parent_pk")) {
            return Err(Error::bad_request(
                "PUT for full fields update, filed 'name' or 'parent_pk' is missing",
            ));
        }
        let current = sqlx::query!(
            "SELECT name, parent_pk FROM bugzilla_component WHERE id = $1",
            id
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        let name = match body.get("name") {
            Some(v) => given_name(Some(v))?.trim().to_string(),
            None => current.name.clone(),
        };
        let parent = match body.get("parent_pk") {
            Some(v) => parent_pk(Some(v))?,
            None => current.parent_pk,
        };
        match parent {
            Some(pk) => check_parent(w.conn, pk).await?,
            None => {
                if find(w.conn, &name, None)
                    .await?
                    .is_some_and(|other| other != id)
                {
                    return Err(Error::bad_request(
                        "Bugzilla component with this Name and Parent component already exists.",
                    ));
                }
            }
        }
        let mut errors = FieldErrors::new();
        if body.contains_key("name") {
            if name.contains('/') {
                errors.add("name", SLASH_MSG);
            }
            if name.chars().count() > NAME_MAX {
                errors.add(
                    "name",
                    format!("Ensure this field has no more than {NAME_MAX} characters."),
                );
            }
        }
        let parent_text = parent_component(body, &mut errors);
        errors.into_result(&FIELD_ORDER)?;
        if let Some(pk) = parent
            && find(w.conn, &name, Some(pk))
                .await?
                .is_some_and(|other| other != id)
        {
            return Err(Error::detail_list([
                "The fields name, parent_component must make a unique set.",
            ]));
        }
        if let Some(text) = parent_text {
            return Err(cannot_assign(&text));
        }
        if let Some(pk) = parent.filter(|p| Some(*p) != current.parent_pk) {
            if pk == id {
                return Err(Error::bad_request(
                    "A node may not be made a child of itself.",
                ));
            }
            if descendants(w.conn, id).await?.contains(&pk) {
                return Err(Error::bad_request(
                    "A node may not be made a child of any of its descendants.",
                ));
            }
        }
        sqlx::query!(
            "UPDATE bugzilla_component SET name = $2, parent_pk = $3 WHERE id = $1",
            id,
            name,
            parent
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    /// Deletes the subtree. The descendants are logged before the node, the
    /// release components that lose their link after it.
    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        let below = descendants(w.conn, id).await?;
        let olds = in_order(&below, fetch_nodes(w.conn, &below).await?);
        for (pk, old) in below.iter().zip(&olds) {
            let old = node_export(old);
            w.changes
                .add(BUGZILLA_COMPONENTS.change_name, pk, Some(&old), None);
        }
        w.changes.reserve_object_slot();
        let mut subtree = below;
        subtree.push(id);
        let linked = sqlx::query_scalar!(
            "SELECT id FROM release_component WHERE bugzilla_component_pk = ANY($1) ORDER BY id",
            &subtree
        )
        .fetch_all(&mut *w.conn)
        .await
        .db()?;
        let before = ReleaseComponents::fetch(w.conn, w.ctx, &linked).await?;
        // Children go with it (ON DELETE CASCADE); links become null.
        delete_by_id(w.conn, "bugzilla_component", id).await?;
        let after = ReleaseComponents::fetch(w.conn, w.ctx, &linked).await?;
        let name = ReleaseComponents::SPEC.change_name;
        for ((pk, old), new) in linked.iter().zip(&before).zip(&after) {
            // The old export still names the deleted node.
            let old = export_release_component(w.conn, *pk, old).await?;
            let new = export_release_component(w.conn, *pk, new).await?;
            w.changes.add(name, pk, Some(&old), Some(&new));
        }
        Ok(())
    }
}

/// `BugzillaComponent.export()`.
fn node_export(repr: &Value) -> Value {
    inserted(same(repr, &["name", "parent_component", "subcomponents"]))
}
