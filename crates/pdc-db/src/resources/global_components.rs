//! Global components, with their upstream and the labels attached to them
//! (through `global-components/{instance_pk}/labels/`).

use std::collections::HashMap;

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Kind, Op, Ref, Val, check_url, model_errors, parse_body};
use pdc_core::fmt::percent_s;
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::common::{LABEL_FIELDS, Labels};
use super::component_contacts::{self, Owner};
use super::upstreams;
use crate::db::DbResultExt;
use crate::export::{inserted, same};
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, Spec};

pub static GLOBAL_COMPONENT_REF: Ref = Ref {
    table: "global_component",
    column: "name",
    order: "id",
};

/// The web URL of a component's dist-git repository.
pub fn repo_url(ctx: &Ctx, dist_git_path: Option<&str>, name: &str) -> String {
    let path = dist_git_path.filter(|p| !p.is_empty()).unwrap_or(name);
    percent_s(&ctx.settings.dist_git_repo_format, path)
}

// ---------------------------------------------------------------- global components

pub struct GlobalComponents;

static FIELDS: [Field; 6] = [
    Field::ro("id", Kind::Int),
    Field::req(
        "name",
        Kind::Str {
            max: 200,
            blank: false,
        },
    )
    .doc("Unique name."),
    Field::opt(
        "dist_git_path",
        Kind::Str {
            max: 200,
            blank: true,
        },
    )
    .null_in_output()
    .doc("Path in dist-git when it is not the name; null when unset. PUT without it keeps it."),
    Field::opt("dist_git_web_url", Kind::Custom).doc(
        "Web URL of the dist-git repository, from the deployment's format. Read-only in effect.",
    ),
    Field::ro("labels", Kind::Custom).doc(
        "Attached labels (`url`, `name`, `description`) by name; change them through \
         global-components/{instance_pk}/labels/.",
    ),
    Field::opt("upstream", Kind::Custom).nullable().doc(
        "`{\"homepage\": url, \"scm_type\": text, \"scm_url\": url}` or null. Input: an existing \
         upstream matching exactly the given keys, else a new one. PUT without it keeps it.",
    ),
];

const FIELD_ORDER: [&str; 6] = [
    "id",
    "name",
    "dist_git_path",
    "dist_git_web_url",
    "labels",
    "upstream",
];

pub static GLOBAL_COMPONENTS: Spec = Spec {
    prefix: "global-components",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "g.name = ANY({})"),
        Filter::multi("dist_git_path", "g.dist_git_path = ANY({})"),
        Filter::multi(
            "label",
            "EXISTS (SELECT 1 FROM global_component_label gl JOIN label l ON l.id = gl.label_pk
                     WHERE gl.global_component_pk = g.id AND l.name = ANY({}))",
        )
        .doc("Name of an attached label."),
        Filter::multi(
            "upstream_homepage",
            "g.upstream_pk IN (SELECT id FROM upstream WHERE homepage = ANY({}))",
        ),
        Filter::multi(
            "upstream_scm_type",
            "g.upstream_pk IN (SELECT id FROM upstream WHERE scm_type = ANY({}))",
        ),
        Filter::multi(
            "upstream_scm_url",
            "g.upstream_pk IN (SELECT id FROM upstream WHERE scm_url = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "global_component g",
    id: "g.id",
    ordering: &[
        ("id", "g.id"),
        ("name", "g.name"),
        ("dist_git_path", "g.dist_git_path"),
        ("upstream", "g.upstream_pk"),
        (
            "upstream__homepage",
            "(SELECT homepage FROM upstream WHERE id = g.upstream_pk)",
        ),
        (
            "upstream__scm_type",
            "(SELECT scm_type FROM upstream WHERE id = g.upstream_pk)",
        ),
        (
            "upstream__scm_url",
            "(SELECT scm_url FROM upstream WHERE id = g.upstream_pk)",
        ),
    ],
    relations: &[],
    default_order: "g.id",
    actions: Actions::ALL,
    change_name: "globalcomponent",
    last_modified: &[],
    caching: Caching::Default,
    model: "globalcomponent",
    doc: "Global components (packages independent of releases). Deleting one deletes its \
          release components and branches; it is refused while contacts are attached.",
};

impl Resource for GlobalComponents {
    const SPEC: &'static Spec = &GLOBAL_COMPONENTS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(export_global_component(&repr))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "global_component", key).await
    }

    async fn fetch(conn: &mut PgConnection, ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT g.id AS "id!", g.name AS "name!", g.dist_git_path, u.homepage AS "homepage?",
                      u.scm_type, u.scm_url
               FROM global_component g LEFT JOIN upstream u ON u.id = g.upstream_pk
               WHERE g.id = ANY($1)"#,
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let links = sqlx::query!(
            "SELECT gl.global_component_pk, gl.label_pk FROM global_component_label gl
             JOIN label l ON l.id = gl.label_pk
             WHERE gl.global_component_pk = ANY($1) ORDER BY l.name, l.id",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut label_ids: Vec<i64> = links.iter().map(|l| l.label_pk).collect();
        label_ids.sort_unstable();
        label_ids.dedup();
        let labels: HashMap<i64, Value> = label_ids
            .iter()
            .copied()
            .zip(Labels::fetch(conn, ctx, &label_ids).await?)
            .collect();
        let mut attached: HashMap<i64, Vec<Value>> = HashMap::new();
        for l in links {
            if let Some(label) = labels.get(&l.label_pk) {
                attached
                    .entry(l.global_component_pk)
                    .or_default()
                    .push(label.clone());
            }
        }
        let values = rows
            .into_iter()
            .map(|r| {
                let upstream = r.homepage.as_deref().map(|homepage| {
                    upstreams::representation(homepage, r.scm_type.as_deref(), r.scm_url.as_deref())
                });
                let value = json!({
                    "id": r.id,
                    "name": r.name,
                    "dist_git_path": r.dist_git_path,
                    "dist_git_web_url": repo_url(ctx, r.dist_git_path.as_deref(), &r.name),
                    "labels": attached.remove(&r.id).unwrap_or_default(),
                    "upstream": upstream,
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

    /// Refused while contacts name the component or one of its release
    /// components; release components and branches go with it.
    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        component_contacts::check(w.conn, Owner::Global, &[id]).await?;
        let components = sqlx::query_scalar!(
            "SELECT id FROM release_component WHERE global_component_pk = $1 ORDER BY id",
            id
        )
        .fetch_all(&mut *w.conn)
        .await
        .db()?;
        component_contacts::check(w.conn, Owner::Release, &components).await?;
        delete_by_id(w.conn, "global_component", id).await
    }
}

/// Create (`id` is None) or update one component: field checks (the
/// upstream is found or created meanwhile), then the model's unique name
/// and one-to-one upstream.
async fn save(
    w: &mut Write<'_>,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let (input, mut errors): (_, FieldErrors) = parse_body(&FIELDS, body, op);
    // A URLField PDC cannot store: valid values fail once the rest is valid.
    let mut web_url = false;
    if let Some(v) = input.json("dist_git_web_url") {
        match check_url(v, 200, false) {
            Ok(_) => web_url = true,
            Err(msgs) => msgs
                .into_iter()
                .for_each(|m| errors.add("dist_git_web_url", m)),
        }
    }
    let upstream = match input.get("upstream") {
        None => None,
        Some(Val::Json(Value::Object(o))) => {
            upstreams::get_or_create(w, o, &mut errors).await?.map(Some)
        }
        Some(Val::Json(_)) => {
            errors.add("upstream", "Unsupported upstream input.");
            None
        }
        Some(_) => Some(None),
    };
    errors.into_result(&FIELD_ORDER)?;
    if web_url {
        return Err(Error::bad_request(
            "Can not update read only fields: \"dist_git_web_url\".",
        ));
    }

    let (mut name, mut dist_git_path, mut upstream_pk) = match id {
        Some(id) => {
            let r = sqlx::query!(
                "SELECT name, dist_git_path, upstream_pk FROM global_component WHERE id = $1",
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            (r.name, r.dist_git_path, r.upstream_pk)
        }
        None => (String::new(), None, None),
    };
    if let Some(v) = input.str("name") {
        name = v.to_string();
    }
    if let Some(v) = input.str("dist_git_path") {
        dist_git_path = Some(v.to_string());
    }
    if let Some(v) = upstream {
        upstream_pk = v;
    }
    let taken = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM global_component WHERE name = $1 AND id IS DISTINCT FROM $3) AS "name!",
                  EXISTS (SELECT 1 FROM global_component WHERE upstream_pk = $2 AND id IS DISTINCT FROM $3) AS "upstream!""#,
        name,
        upstream_pk,
        id
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    let mut clashes = Vec::new();
    if taken.name {
        clashes.push((
            "name",
            "Global component with this Name already exists.".to_string(),
        ));
    }
    if taken.upstream {
        clashes.push((
            "upstream",
            "Global component with this Upstream already exists.".to_string(),
        ));
    }
    model_errors(&clashes)?;

    match id {
        None => sqlx::query_scalar!(
            "INSERT INTO global_component (name, dist_git_path, upstream_pk) VALUES ($1, $2, $3)
             RETURNING id",
            name,
            dist_git_path,
            upstream_pk
        )
        .fetch_one(&mut *w.conn)
        .await
        .db(),
        Some(id) => {
            sqlx::query!(
                "UPDATE global_component SET name = $2, dist_git_path = $3, upstream_pk = $4
                 WHERE id = $1",
                id,
                name,
                dist_git_path,
                upstream_pk
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            Ok(id)
        }
    }
}

// ---------------------------------------------------------------- labels of one component

/// `global-components/{instance_pk}/labels/`: the labels attached to one
/// global component (served by a special view; the list is the engine's).
pub static GLOBAL_COMPONENT_LABELS: Spec = Spec {
    prefix: "global-components/{instance_pk}/labels",
    lookup: &["label_id"],
    lookup_dots: false,
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
    default_order: "l.name",
    actions: Actions {
        update: false,
        partial_update: false,
        ..Actions::ALL
    },
    change_name: "globalcomponent",
    last_modified: &[],
    caching: Caching::Default,
    model: "label",
    doc: "Labels attached to one global component. POST `{\"name\": <label>}` attaches an \
          existing label (201 with it, also when it was attached already); DELETE of \
          `<label id>/` detaches it.",
};

/// Restricts a label list to the labels of one component.
pub const LABELS_OF: &str = "EXISTS (SELECT 1 FROM global_component_label gl
                                     WHERE gl.label_pk = l.id AND gl.global_component_pk = {})";

/// Id of the global component with this id (a text from the URL).
pub async fn component_id(conn: &mut PgConnection, id: &str) -> Result<Option<i64>> {
    lookup_by_id(conn, "global_component", &[id.to_string()]).await
}

/// Id of the label named `name`.
pub async fn label_by_name(conn: &mut PgConnection, name: &str) -> Result<Option<i64>> {
    sqlx::query_scalar!("SELECT id FROM label WHERE name = $1", name)
        .fetch_optional(conn)
        .await
        .db()
}

/// Whether the label is attached to the component.
pub async fn is_attached(conn: &mut PgConnection, component: i64, label: i64) -> Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM global_component_label
                          WHERE global_component_pk = $1 AND label_pk = $2) AS "attached!""#,
        component,
        label
    )
    .fetch_one(conn)
    .await
    .db()
}

/// Attaches (`attach`) or detaches a label, logging the component's change.
pub async fn set_label(w: &mut Write<'_>, component: i64, label: i64, attach: bool) -> Result<()> {
    let old = GlobalComponents::fetch(w.conn, w.ctx, &[component]).await?;
    if attach {
        sqlx::query!(
            "INSERT INTO global_component_label (global_component_pk, label_pk) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            component,
            label
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
    } else {
        sqlx::query!(
            "DELETE FROM global_component_label WHERE global_component_pk = $1 AND label_pk = $2",
            component,
            label
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
    }
    let new = GlobalComponents::fetch(w.conn, w.ctx, &[component]).await?;
    w.changes.add(
        GLOBAL_COMPONENTS.change_name,
        component,
        old.first().map(export_global_component).as_ref(),
        new.first().map(export_global_component).as_ref(),
    );
    Ok(())
}

/// `GlobalComponent.export()`: labels and upstream as their own exports.
fn export_global_component(repr: &Value) -> Value {
    let labels: Vec<Value> = repr["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| inserted(same(l, &["name", "description"])))
        .collect();
    let upstream = match &repr["upstream"] {
        Value::Null => Value::Null,
        u => inserted(same(u, &["homepage", "scm_type", "scm_url"])),
    };
    let mut keys = same(repr, &["name", "dist_git_path"]);
    keys.push(("labels", Value::Array(labels)));
    keys.push(("upstream", upstream));
    inserted(keys)
}
