//! The auth app's resources: groups, permissions, resource permissions and
//! their grants to groups.

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Kind, Op, Ref, parse_body};
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, Spec};

const TEXT: Kind = Kind::Str {
    max: 0,
    blank: true,
};

// ---------------------------------------------------------------- permissions

pub struct Permissions;

static PERMISSION_FIELDS: [Field; 3] = [
    Field::ro("codename", TEXT),
    Field::ro("app_label", TEXT),
    Field::ro("model", TEXT),
];

pub static PERMISSIONS: Spec = Spec {
    prefix: "auth/permissions",
    lookup: &[],
    lookup_dots: true,
    fields: &PERMISSION_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("codename", "p.codename = ANY({})"),
        Filter::multi("app_label", "p.app_label = ANY({})"),
        Filter::multi("model", "p.model = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "permission p",
    id: "p.id",
    ordering: &[
        ("id", "p.id"),
        ("codename", "p.codename"),
        ("app_label", "p.app_label"),
        ("model", "p.model"),
    ],
    relations: &[],
    default_order: "p.id",
    actions: Actions::LIST,
    change_name: "permission",
    last_modified: &[],
    caching: Caching::Default,
    model: "permission",
    doc: "Django-style model permissions that groups can hold.",
};

impl Resource for Permissions {
    const SPEC: &'static Spec = &PERMISSIONS;

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, codename, app_label, model FROM permission WHERE id = ANY($1)",
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
                        json!({"codename": r.codename, "app_label": r.app_label, "model": r.model}),
                    )
                })
                .collect(),
        ))
    }
}

// ---------------------------------------------------------------- groups

pub struct Groups;

static GROUP_FIELDS: [Field; 3] = [
    Field::ro("url", TEXT),
    Field::req(
        "name",
        Kind::Str {
            max: 150,
            blank: false,
        },
    ),
    Field::opt("permissions", Kind::Custom)
        .doc("`[{codename, app_label, model}]`; the group's model permissions."),
];

pub static GROUPS: Spec = Spec {
    prefix: "auth/groups",
    lookup: &["id"],
    lookup_dots: true,
    fields: &GROUP_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "g.name = ANY({})"),
        Filter::multi(
            "permission_codename",
            "EXISTS (SELECT 1 FROM group_permission gp JOIN permission p ON p.id = gp.permission_pk
              WHERE gp.group_pk = g.id AND p.codename = ANY({}))",
        ),
        Filter::multi(
            "permission_app_label",
            "EXISTS (SELECT 1 FROM group_permission gp JOIN permission p ON p.id = gp.permission_pk
              WHERE gp.group_pk = g.id AND p.app_label = ANY({}))",
        ),
        Filter::multi(
            "permission_model",
            "EXISTS (SELECT 1 FROM group_permission gp JOIN permission p ON p.id = gp.permission_pk
              WHERE gp.group_pk = g.id AND p.model = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "pdc_group g",
    id: "g.id",
    ordering: &[("id", "g.id"), ("name", "g.name")],
    relations: &[],
    default_order: "g.id",
    actions: Actions {
        list: true,
        retrieve: true,
        update: true,
        partial_update: true,
        create: false,
        destroy: false,
    },
    change_name: "group",
    last_modified: &[],
    caching: Caching::Default,
    model: "group",
    doc: "User groups and their model permissions (groups come from the identity provider or `pdc token create --group`).",
};

impl Resource for Groups {
    const SPEC: &'static Spec = &GROUPS;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "pdc_group", key).await
    }

    async fn fetch(conn: &mut PgConnection, ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT g.id, g.name,
                 coalesce(json_agg(json_build_object('codename', p.codename, 'app_label', p.app_label, 'model', p.model)
                   ORDER BY p.id) FILTER (WHERE p.id IS NOT NULL), '[]') AS "permissions!"
               FROM pdc_group g
               LEFT JOIN group_permission gp ON gp.group_pk = g.id
               LEFT JOIN permission p ON p.id = gp.permission_pk
               WHERE g.id = ANY($1) GROUP BY g.id"#,
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
                            "url": ctx.api_url(&format!("auth/groups/{}/", r.id)),
                            "name": r.name,
                            "permissions": r.permissions,
                        }),
                    )
                })
                .collect(),
        ))
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (input, mut errors) = parse_body(&GROUP_FIELDS, body, op);
        if let Some(name) = input.str("name")
            && refs::taken(w.conn, "pdc_group", "name", name, Some(id)).await?
        {
            errors.add("name", "group with this name already exists.");
        }
        errors.into_result(&["name", "permissions"])?;
        let mut perm_ids = None;
        if let Some(perms) = input.json("permissions") {
            perm_ids = Some(group_permission_ids(w.conn, perms).await?);
        } else if op == Op::Update {
            perm_ids = Some(vec![]);
        }
        if let Some(name) = input.str("name") {
            sqlx::query!("UPDATE pdc_group SET name = $2 WHERE id = $1", id, name)
                .execute(&mut *w.conn)
                .await
                .db()?;
        }
        if let Some(perm_ids) = perm_ids {
            sqlx::query!("DELETE FROM group_permission WHERE group_pk = $1", id)
                .execute(&mut *w.conn)
                .await
                .db()?;
            sqlx::query!(
                "INSERT INTO group_permission (group_pk, permission_pk) SELECT $1, unnest($2::bigint[])
                 ON CONFLICT DO NOTHING",
                id,
                &perm_ids
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
        Ok(id)
    }
}

async fn group_permission_ids(conn: &mut PgConnection, perms: &Value) -> Result<Vec<i64>> {
    let Value::Array(items) = perms else {
        return Err(Error::detail_list([format!(
            "Unsupported Permission input: {perms}"
        )]));
    };
    let mut ids = Vec::new();
    for item in items {
        let fields = item.as_object().and_then(|o| {
            Some((
                o.get("codename")?.as_str()?,
                o.get("app_label")?.as_str()?,
                o.get("model")?.as_str()?,
            ))
        });
        let Some((codename, app_label, model)) = fields else {
            return Err(Error::detail_list([format!(
                "Unsupported Permission input: {item}"
            )]));
        };
        let id = sqlx::query_scalar!(
            "SELECT id FROM permission WHERE codename = $1 AND app_label = $2 AND model = $3",
            codename,
            app_label,
            model
        )
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| {
            Error::detail_list([format!(
                "Can NOT get permission with your input({item}): {item}"
            )])
        })?;
        ids.push(id);
    }
    Ok(ids)
}

// ---------------------------------------------------------------- resource permissions

pub struct ResourcePermissions;

static RP_FIELDS: [Field; 2] = [Field::ro("resource", TEXT), Field::ro("permission", TEXT)];

pub static RESOURCE_PERMISSIONS: Spec = Spec {
    prefix: "auth/resource-permissions",
    lookup: &[],
    lookup_dots: true,
    fields: &RP_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi(
            "resource",
            "rp.resource_pk IN (SELECT id FROM resource WHERE name = ANY({}))",
        ),
        Filter::multi(
            "permission",
            "rp.permission_pk IN (SELECT id FROM action_permission WHERE name = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: false,
    from: "resource_permission rp",
    id: "rp.id",
    ordering: &[
        ("id", "rp.id"),
        (
            "resource",
            "(SELECT name FROM resource WHERE id = rp.resource_pk)",
        ),
        (
            "permission",
            "(SELECT name FROM action_permission WHERE id = rp.permission_pk)",
        ),
    ],
    relations: &[],
    default_order: "(SELECT name FROM resource WHERE id = rp.resource_pk), (SELECT name FROM action_permission WHERE id = rp.permission_pk)",
    actions: Actions::LIST,
    change_name: "resourcepermission",
    last_modified: &[],
    caching: Caching::Default,
    model: "resourcepermission",
    doc: "Every (resource, action) pair that can be granted to a group.",
};

impl Resource for ResourcePermissions {
    const SPEC: &'static Spec = &RESOURCE_PERMISSIONS;

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT rp.id, r.name AS resource, a.name AS permission
             FROM resource_permission rp
             JOIN resource r ON r.id = rp.resource_pk
             JOIN action_permission a ON a.id = rp.permission_pk
             WHERE rp.id = ANY($1)",
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
                        json!({"resource": r.resource, "permission": r.permission}),
                    )
                })
                .collect(),
        ))
    }
}

// ---------------------------------------------------------------- group resource permissions

pub struct GroupResourcePermissions;

static GROUP_REF: Ref = Ref {
    table: "pdc_group",
    column: "name",
    order: "name",
};

static GRP_FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::req("group", Kind::Slug(&GROUP_REF)).doc("Group name."),
    Field::req(
        "resource",
        Kind::Str {
            max: 500,
            blank: false,
        },
    )
    .doc("Resource name (API prefix)."),
    Field::req(
        "permission",
        Kind::Str {
            max: 20,
            blank: false,
        },
    )
    .doc("create, read, update or delete."),
];

pub static GROUP_RESOURCE_PERMISSIONS: Spec = Spec {
    prefix: "auth/group-resource-permissions",
    lookup: &["id"],
    lookup_dots: true,
    fields: &GRP_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("group", "grp.group_pk IN (SELECT id FROM pdc_group WHERE name = ANY({}))"),
        Filter::multi(
            "resource",
            "grp.resource_permission_pk IN (SELECT rp.id FROM resource_permission rp JOIN resource r
               ON r.id = rp.resource_pk WHERE r.name = ANY({}))",
        ),
        Filter::multi(
            "permission",
            "grp.resource_permission_pk IN (SELECT rp.id FROM resource_permission rp JOIN action_permission a
               ON a.id = rp.permission_pk WHERE a.name = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "group_resource_permission grp",
    id: "grp.id",
    ordering: &[
        ("id", "grp.id"),
        ("group", "(SELECT name FROM pdc_group WHERE id = grp.group_pk)"),
        (
            "resource",
            "(SELECT r.name FROM resource_permission rp JOIN resource r ON r.id = rp.resource_pk WHERE rp.id = grp.resource_permission_pk)",
        ),
        (
            "permission",
            "(SELECT a.name FROM resource_permission rp JOIN action_permission a ON a.id = rp.permission_pk WHERE rp.id = grp.resource_permission_pk)",
        ),
    ],
    relations: &[],
    default_order: "(SELECT name FROM pdc_group WHERE id = grp.group_pk), \
        (SELECT r.name FROM resource_permission rp JOIN resource r ON r.id = rp.resource_pk WHERE rp.id = grp.resource_permission_pk), \
        (SELECT a.name FROM resource_permission rp JOIN action_permission a ON a.id = rp.permission_pk WHERE rp.id = grp.resource_permission_pk)",
    actions: Actions::ALL,
    change_name: "groupresourcepermission",
    last_modified: &[],
    caching: Caching::Default,
    model: "groupresourcepermission",
    doc: "Grants of resource permissions to groups.",
};

impl Resource for GroupResourcePermissions {
    const SPEC: &'static Spec = &GROUP_RESOURCE_PERMISSIONS;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "group_resource_permission", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT grp.id, g.name AS grp, r.name AS resource, a.name AS permission
             FROM group_resource_permission grp
             JOIN pdc_group g ON g.id = grp.group_pk
             JOIN resource_permission rp ON rp.id = grp.resource_permission_pk
             JOIN resource r ON r.id = rp.resource_pk
             JOIN action_permission a ON a.id = rp.permission_pk
             WHERE grp.id = ANY($1)",
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
                        json!({"id": r.id, "group": r.grp, "resource": r.resource, "permission": r.permission}),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (group, rp) = grp_input(w, body, Op::Create, None).await?;
        sqlx::query_scalar!(
            "INSERT INTO group_resource_permission (group_pk, resource_permission_pk) VALUES ($1, $2) RETURNING id",
            group,
            rp
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (group, rp) = grp_input(w, body, op, Some(id)).await?;
        sqlx::query!(
            "UPDATE group_resource_permission SET group_pk = $2, resource_permission_pk = $3 WHERE id = $1",
            id,
            group,
            rp
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        sqlx::query!("DELETE FROM group_resource_permission WHERE id = $1", id)
            .execute(&mut *w.conn)
            .await
            .db()?;
        Ok(())
    }
}

/// Checks a grant body; returns (group id, resource permission id).
async fn grp_input(
    w: &mut Write<'_>,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<(i64, i64)> {
    let (mut input, mut errors): (_, FieldErrors) = parse_body(&GRP_FIELDS, body, op);
    refs::resolve(w.conn, &GRP_FIELDS, &mut input, &mut errors).await?;
    errors.into_result(&["group", "resource", "permission"])?;
    let current = match id {
        Some(id) => Some(
            sqlx::query!(
                "SELECT grp.group_pk, r.name AS resource, a.name AS permission
                 FROM group_resource_permission grp
                 JOIN resource_permission rp ON rp.id = grp.resource_permission_pk
                 JOIN resource r ON r.id = rp.resource_pk
                 JOIN action_permission a ON a.id = rp.permission_pk WHERE grp.id = $1",
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?,
        ),
        None => None,
    };
    let group = input
        .id("group")
        .flatten()
        .or(current.as_ref().map(|c| c.group_pk))
        .ok_or_else(|| Error::internal("group missing"))?;
    let resource = input
        .str("resource")
        .map(str::to_string)
        .or(current.as_ref().map(|c| c.resource.clone()))
        .unwrap_or_default();
    let permission = input
        .str("permission")
        .map(str::to_string)
        .or(current.as_ref().map(|c| c.permission.clone()))
        .unwrap_or_default();
    let rp = sqlx::query_scalar!(
        "SELECT rp.id FROM resource_permission rp
         JOIN resource r ON r.id = rp.resource_pk JOIN action_permission a ON a.id = rp.permission_pk
         WHERE r.name = $1 AND a.name = $2",
        resource,
        permission
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    .ok_or_else(|| {
        Error::detail_list([format!(
            "Can't find corresponding resource permission. Resource: {resource}, permission {permission}"
        )])
    })?;
    let dup = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM group_resource_permission
           WHERE group_pk = $1 AND resource_permission_pk = $2 AND id IS DISTINCT FROM $3) AS \"dup!\"",
        group,
        rp,
        id
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if dup {
        return Err(Error::detail_list([
            "The fields resource, permission, group must make a unique set.",
        ]));
    }
    Ok((group, rp))
}
