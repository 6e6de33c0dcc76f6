//! Release groups (`release-groups/{name}/`). Their types have no API; they
//! are rows of `release_group_type` put in by administrators.

use pdc_core::fields::{Default, Field, Input, Kind, Op, Ref, parse_body, py_iter};
use pdc_core::pydict;
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::releases::{RELEASE_REF, export_release, fetch_releases};
use crate::db::DbResultExt;
use crate::export::same;
use crate::models;
use crate::refs::{find, resolve, taken};
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order};
use crate::spec::{Actions, Caching, Filter, Relation, Spec};

pub struct ReleaseGroups;

static GROUP_TYPE_REF: Ref = Ref {
    table: "release_group_type",
    column: "name",
    order: "id",
};

static GROUP_FIELDS: [Field; 5] = [
    Field::req(
        "name",
        Kind::Str {
            max: 255,
            blank: false,
        },
    )
    .doc("Unique name; the lookup key (writable: changing it moves the URL)."),
    Field::req(
        "description",
        Kind::Str {
            max: 255,
            blank: false,
        },
    ),
    Field::req("type", Kind::Choice(&GROUP_TYPE_REF)).doc("Name of a release group type."),
    Field::with_default(
        "releases",
        Kind::ChoiceList(&RELEASE_REF),
        Default::EmptyList,
    )
    .doc("`release_id`s, output sorted; omitted on POST/PUT means none."),
    Field::with_default("active", Kind::Bool, Default::Bool(true)),
];

const FIELD_ORDER: [&str; 5] = ["name", "description", "type", "releases", "active"];

const RELEASE_NAMES: &str = "(SELECT min(r.release_id) FROM release_group_release gr \
     JOIN release r ON r.id = gr.release_pk WHERE gr.release_group_pk = g.id)";

pub static RELEASE_GROUPS: Spec = Spec {
    prefix: "release-groups",
    lookup: &["name"],
    lookup_dots: true,
    fields: &GROUP_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "g.name = ANY({})"),
        Filter::multi("description", "g.description = ANY({})"),
        Filter::multi(
            "type",
            "g.type_pk IN (SELECT id FROM release_group_type WHERE name = ANY({}))",
        ),
        Filter::multi(
            "releases",
            "g.id IN (SELECT gr.release_group_pk FROM release_group_release gr
                      JOIN release r ON r.id = gr.release_pk WHERE r.release_id = ANY({}))",
        ),
        Filter::boolean("active", "g.active = {}"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "release_group g",
    id: "g.id",
    ordering: &[
        ("id", "g.id"),
        ("name", "g.name"),
        ("description", "g.description"),
        ("type", "g.type_pk"),
        ("releases", RELEASE_NAMES),
        ("active", "g.active"),
    ],
    relations: &[Relation::new(
        "type",
        "g.type_pk",
        &models::RELEASE_GROUP_TYPE,
    )],
    default_order: "g.name",
    actions: Actions::ALL,
    change_name: "releasegroup",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasegroup",
    doc: "Groups of releases (experimental in PDC).",
};

impl Resource for ReleaseGroups {
    const SPEC: &'static Spec = &RELEASE_GROUPS;

    /// PDC's export inserts its keys one by one; the releases are exports.
    async fn export(conn: &mut PgConnection, _ctx: &Ctx, id: i64, repr: Value) -> Result<Value> {
        let pks = sqlx::query_scalar!(
            "SELECT gr.release_pk FROM release_group_release gr
             JOIN release r ON r.id = gr.release_pk
             WHERE gr.release_group_pk = $1 ORDER BY r.release_id",
            id
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut releases = Vec::new();
        for r in fetch_releases(&mut *conn, &pks).await? {
            releases.push(export_release(&mut *conn, &r).await?);
        }
        let mut keys = same(&repr, &["name", "description", "active"]);
        keys.push(("releases", Value::Array(releases)));
        keys.extend(same(&repr, &["type"]));
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!("SELECT id FROM release_group WHERE name = $1", key[0])
            .fetch_optional(conn)
            .await
            .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT g.id, g.name, g.description, t.name AS group_type, g.active,
                      ARRAY(SELECT r.release_id FROM release_group_release gr
                            JOIN release r ON r.id = gr.release_pk
                            WHERE gr.release_group_pk = g.id ORDER BY r.release_id) AS "releases!"
               FROM release_group g JOIN release_group_type t ON t.id = g.type_pk
               WHERE g.id = ANY($1)"#,
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
                        "name": r.name,
                        "description": r.description,
                        "type": r.group_type,
                        "releases": r.releases,
                        "active": r.active,
                    });
                    (r.id, value)
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let input = group_input(w.conn, None, body, Op::Create).await?;
        let id = sqlx::query_scalar!(
            "INSERT INTO release_group (name, description, type_pk, active)
             VALUES ($1, $2, $3, $4) RETURNING id",
            input.str("name"),
            input.str("description"),
            input.id("type").flatten(),
            input.bool("active")
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        set_releases(w.conn, id, &input).await?;
        Ok(id)
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let input = group_input(w.conn, Some(id), body, op).await?;
        sqlx::query!(
            "UPDATE release_group SET name = coalesce($2, name),
                    description = coalesce($3, description), type_pk = coalesce($4, type_pk),
                    active = coalesce($5, active)
             WHERE id = $1",
            id,
            input.str("name"),
            input.str("description"),
            input.id("type").flatten(),
            input.bool("active")
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        set_releases(w.conn, id, &input).await?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "release_group", id).await
    }
}

/// PDC first looks up every name it can iterate out of `releases` (with a
/// string detail), then checks the fields.
async fn group_input(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<Input> {
    for name in body.get("releases").and_then(py_iter).unwrap_or_default() {
        if find(conn, &RELEASE_REF, &name).await?.is_none() {
            return Err(Error::bad_request(format!("release {name} does not exist")));
        }
    }
    let (mut input, mut errors) = parse_body(&GROUP_FIELDS, body, op);
    resolve(conn, &GROUP_FIELDS, &mut input, &mut errors).await?;
    if let Some(name) = input.str("name")
        && !errors.has("name")
        && taken(conn, "release_group", "name", name, id).await?
    {
        errors.add("name", "release group with this name already exists.");
    }
    errors.into_result(&FIELD_ORDER)?;
    Ok(input)
}

async fn set_releases(conn: &mut PgConnection, id: i64, input: &Input) -> Result<()> {
    let Some(releases) = input.ids("releases") else {
        return Ok(());
    };
    sqlx::query!(
        "DELETE FROM release_group_release WHERE release_group_pk = $1",
        id
    )
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query!(
        "INSERT INTO release_group_release (release_group_pk, release_pk)
         SELECT $1, unnest($2::bigint[])",
        id,
        releases
    )
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}
