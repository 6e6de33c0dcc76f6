//! Users, groups, tokens and resource permissions.

use pdc_core::Result;
use rand::Rng;
use sqlx::PgConnection;

use crate::db::DbResultExt;

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub is_superuser: bool,
    pub is_staff: bool,
    pub is_active: bool,
}

/// A new random 40-hex-digit token key, as DRF makes them.
pub fn new_token_key() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The user owning a token key.
pub async fn user_by_token(conn: &mut PgConnection, key: &str) -> Result<Option<User>> {
    sqlx::query_as!(
        User,
        "SELECT u.id, u.username, u.full_name, u.email, u.is_superuser, u.is_staff, u.is_active
         FROM auth_token t JOIN pdc_user u ON u.id = t.user_pk WHERE t.key = $1",
        key
    )
    .fetch_optional(conn)
    .await
    .db()
}

pub async fn user_by_name(conn: &mut PgConnection, username: &str) -> Result<Option<User>> {
    sqlx::query_as!(
        User,
        "SELECT id, username, full_name, email, is_superuser, is_staff, is_active
         FROM pdc_user WHERE username = $1",
        username
    )
    .fetch_optional(conn)
    .await
    .db()
}

/// Gets or creates a user; a non-empty email or full name given updates the stored one.
pub async fn ensure_user(
    conn: &mut PgConnection,
    username: &str,
    email: Option<&str>,
    full_name: Option<&str>,
) -> Result<User> {
    sqlx::query_as!(
        User,
        "INSERT INTO pdc_user (username, email, full_name)
         VALUES ($1, coalesce($2, ''), coalesce($3, ''))
         ON CONFLICT (username) DO UPDATE SET
           email = CASE WHEN coalesce($2, '') <> '' THEN $2 ELSE pdc_user.email END,
           full_name = CASE WHEN coalesce($3, '') <> '' THEN $3 ELSE pdc_user.full_name END,
           last_login = now()
         RETURNING id, username, full_name, email, is_superuser, is_staff, is_active",
        username,
        email,
        full_name
    )
    .fetch_one(conn)
    .await
    .db()
}

pub async fn set_superuser(conn: &mut PgConnection, user_pk: i64, on: bool) -> Result<()> {
    sqlx::query!(
        "UPDATE pdc_user SET is_superuser = $2, is_staff = $2 OR is_staff WHERE id = $1",
        user_pk,
        on
    )
    .execute(conn)
    .await
    .db()?;
    Ok(())
}

/// Adds the user to a group, creating the group if needed.
pub async fn add_to_group(conn: &mut PgConnection, user_pk: i64, group: &str) -> Result<()> {
    sqlx::query!(
        "WITH g AS (
           INSERT INTO pdc_group (name) VALUES ($2)
           ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id)
         INSERT INTO user_group (user_pk, group_pk) SELECT $1, id FROM g ON CONFLICT DO NOTHING",
        user_pk,
        group
    )
    .execute(conn)
    .await
    .db()?;
    Ok(())
}

/// Makes the user's group membership exactly `groups` (from an identity provider).
pub async fn sync_groups(conn: &mut PgConnection, user_pk: i64, groups: &[String]) -> Result<()> {
    sqlx::query!(
        "DELETE FROM user_group ug USING pdc_group g
         WHERE ug.group_pk = g.id AND ug.user_pk = $1 AND NOT g.name = ANY($2)",
        user_pk,
        groups
    )
    .execute(&mut *conn)
    .await
    .db()?;
    for g in groups {
        add_to_group(conn, user_pk, g).await?;
    }
    Ok(())
}

/// The user's token, if any.
pub async fn token_of(conn: &mut PgConnection, user_pk: i64) -> Result<Option<String>> {
    sqlx::query_scalar!("SELECT key FROM auth_token WHERE user_pk = $1", user_pk)
        .fetch_optional(conn)
        .await
        .db()
}

/// The user's token, created when missing (`key` forces a given value).
pub async fn obtain_token(
    conn: &mut PgConnection,
    user_pk: i64,
    key: Option<&str>,
) -> Result<String> {
    if let Some(key) = key {
        sqlx::query!(
            "INSERT INTO auth_token (key, user_pk) VALUES ($1, $2)
             ON CONFLICT (user_pk) DO UPDATE SET key = EXCLUDED.key, created = now()",
            key,
            user_pk
        )
        .execute(conn)
        .await
        .db()?;
        return Ok(key.to_string());
    }
    if let Some(existing) = token_of(conn, user_pk).await? {
        return Ok(existing);
    }
    let key = new_token_key();
    sqlx::query!(
        "INSERT INTO auth_token (key, user_pk) VALUES ($1, $2)",
        key,
        user_pk
    )
    .execute(conn)
    .await
    .db()?;
    Ok(key)
}

/// Replaces the user's token; `None` when the user has none yet.
pub async fn refresh_token(conn: &mut PgConnection, user_pk: i64) -> Result<Option<String>> {
    let key = new_token_key();
    sqlx::query_scalar!(
        "UPDATE auth_token SET key = $2, created = now() WHERE user_pk = $1 RETURNING key",
        user_pk,
        key
    )
    .fetch_optional(conn)
    .await
    .db()
}

pub async fn group_names(conn: &mut PgConnection, user_pk: i64) -> Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT g.name FROM user_group ug JOIN pdc_group g ON g.id = ug.group_pk
         WHERE ug.user_pk = $1 ORDER BY g.name",
        user_pk
    )
    .fetch_all(conn)
    .await
    .db()
}

/// Sorted `app_label.codename` of the permissions the user holds through groups.
pub async fn permission_names(conn: &mut PgConnection, user: &User) -> Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT p.app_label || '.' || p.codename AS "name!"
         FROM permission p
         WHERE $2 OR EXISTS (
           SELECT 1 FROM group_permission gp JOIN user_group ug ON ug.group_pk = gp.group_pk
           WHERE gp.permission_pk = p.id AND ug.user_pk = $1)
         ORDER BY 1"#,
        user.id,
        user.is_superuser
    )
    .fetch_all(conn)
    .await
    .db()
}

/// `(resource, permission)` pairs shown by `auth/current-user`.
pub async fn resource_permissions_of(
    conn: &mut PgConnection,
    user: &User,
) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT r.name AS resource, a.name AS permission
         FROM resource_permission rp
         JOIN resource r ON r.id = rp.resource_pk
         JOIN action_permission a ON a.id = rp.permission_pk
         WHERE $2 OR a.name = 'read' OR EXISTS (
           SELECT 1 FROM group_resource_permission grp JOIN user_group ug ON ug.group_pk = grp.group_pk
           WHERE grp.resource_permission_pk = rp.id AND ug.user_pk = $1)
         ORDER BY r.name, a.id"#,
        user.id,
        user.is_superuser
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows
        .into_iter()
        .map(|r| (r.resource, r.permission))
        .collect())
}

/// Whether a (non-superuser) user may do `action` on the resource `name`.
/// Resources without a registered row are not under control.
pub async fn may(
    conn: &mut PgConnection,
    user_pk: i64,
    resource: &str,
    action: &str,
) -> Result<bool> {
    let row = sqlx::query!(
        r#"SELECT EXISTS (
             SELECT 1 FROM resource_permission rp
             JOIN action_permission a ON a.id = rp.permission_pk
             JOIN group_resource_permission grp ON grp.resource_permission_pk = rp.id
             JOIN user_group ug ON ug.group_pk = grp.group_pk
             WHERE rp.resource_pk = r.id AND a.name = $3 AND ug.user_pk = $1) AS "granted!"
           FROM resource r WHERE r.name = $2"#,
        user_pk,
        resource,
        action
    )
    .fetch_optional(conn)
    .await
    .db()?;
    Ok(row.is_none_or(|r| r.granted))
}

/// Registers the API's resources and their actions (run at start-up).
pub async fn sync_resources(
    conn: &mut PgConnection,
    resources: &[(String, String, Vec<&'static str>)],
) -> Result<()> {
    for (name, view, actions) in resources {
        let actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
        sqlx::query!(
            "WITH r AS (
               INSERT INTO resource (name, view) VALUES ($1, $2)
               ON CONFLICT (name) DO UPDATE SET view = EXCLUDED.view RETURNING id)
             INSERT INTO resource_permission (resource_pk, permission_pk)
             SELECT r.id, a.id FROM r, action_permission a WHERE a.name = ANY($3)
             ON CONFLICT DO NOTHING",
            name,
            view,
            &actions
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}
