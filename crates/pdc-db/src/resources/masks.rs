//! Allowed push targets down the chain product -> product version ->
//! release -> variant. Products list theirs; every child stores a mask (the
//! parent's targets it does NOT allow), so a target added to a parent later
//! shows up in its children.

use std::collections::HashMap;

use pdc_core::fields::Ref;
use pdc_core::{Error, Result, pyrepr};
use sqlx::PgConnection;

use crate::db::DbResultExt;

/// A push target named by its `name`.
pub static PUSH_TARGET_REF: Ref = Ref {
    table: "push_target",
    column: "name",
    order: "name",
};

/// `(id, name)` of push targets, sorted by name.
pub type Targets = Vec<(i64, String)>;

pub async fn product_targets(conn: &mut PgConnection, product_pk: i64) -> Result<Targets> {
    let rows = sqlx::query!(
        "SELECT pt.id, pt.name FROM product_push_target ppt JOIN push_target pt ON pt.id = ppt.push_target_pk
         WHERE ppt.product_pk = $1 ORDER BY pt.name",
        product_pk
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// What a product version allows: its product's targets minus its mask.
pub async fn product_version_targets(conn: &mut PgConnection, pv_pk: i64) -> Result<Targets> {
    let rows = sqlx::query!(
        "SELECT pt.id, pt.name FROM product_version pv
         JOIN product_push_target ppt ON ppt.product_pk = pv.product_pk
         JOIN push_target pt ON pt.id = ppt.push_target_pk
         WHERE pv.id = $1 AND NOT EXISTS (SELECT 1 FROM product_version_push_mask m
           WHERE m.product_version_pk = pv.id AND m.push_target_pk = pt.id)
         ORDER BY pt.name",
        pv_pk
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// What each release allows: its product's targets minus the masks of its
/// product version and of itself. A release without product version allows
/// nothing (and is absent from the map).
pub async fn allowed_for_releases(
    conn: &mut PgConnection,
    release_pks: &[i64],
) -> Result<HashMap<i64, Targets>> {
    let rows = sqlx::query!(
        r#"SELECT r.id AS "release_pk!", pt.id AS "id!", pt.name AS "name!"
           FROM release r
           JOIN product_version pv ON pv.id = r.product_version_pk
           JOIN product_push_target ppt ON ppt.product_pk = pv.product_pk
           JOIN push_target pt ON pt.id = ppt.push_target_pk
           WHERE r.id = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM product_version_push_mask m
                             WHERE m.product_version_pk = pv.id AND m.push_target_pk = pt.id)
             AND NOT EXISTS (SELECT 1 FROM release_push_mask m
                             WHERE m.release_pk = r.id AND m.push_target_pk = pt.id)
           ORDER BY pt.name"#,
        release_pks
    )
    .fetch_all(conn)
    .await
    .db()?;
    let mut map: HashMap<i64, Targets> = HashMap::new();
    for r in rows {
        map.entry(r.release_pk).or_default().push((r.id, r.name));
    }
    Ok(map)
}

/// What one release allows (see [`allowed_for_releases`]).
pub async fn allowed_for_release(conn: &mut PgConnection, release_pk: i64) -> Result<Targets> {
    Ok(allowed_for_releases(conn, &[release_pk])
        .await?
        .remove(&release_pk)
        .unwrap_or_default())
}

/// PDC's check of a written `allowed_push_targets` list (`wanted`, ids)
/// against what the parent allows: the mask to store (the parent's targets
/// not wanted), or the 400 naming the ones the parent does not allow.
/// `parent_key` is the word PDC uses (`product`, `product_version`, `release`).
pub async fn mask_for(
    conn: &mut PgConnection,
    parent_key: &str,
    parent_allows: &Targets,
    wanted: &[i64],
) -> Result<Vec<i64>> {
    let invalid: Vec<i64> = wanted
        .iter()
        .copied()
        .filter(|id| !parent_allows.iter().any(|(a, _)| a == id))
        .collect();
    if !invalid.is_empty() {
        let names = sqlx::query_scalar!(
            "SELECT name FROM push_target WHERE id = ANY($1) ORDER BY id",
            &invalid
        )
        .fetch_all(conn)
        .await
        .db()?;
        return Err(Error::detail_list([format!(
            "Push targets must be allowed in parent {parent_key}: {}",
            pyrepr::unicode_list(&names)
        )]));
    }
    Ok(parent_allows
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !wanted.contains(id))
        .collect())
}

/// Whose mask is written.
#[derive(Clone, Copy)]
pub enum MaskOwner {
    ProductVersion(i64),
    Release(i64),
    Variant(i64),
}

/// Replaces the stored mask of `owner`.
pub async fn store_mask(conn: &mut PgConnection, owner: MaskOwner, mask: &[i64]) -> Result<()> {
    match owner {
        MaskOwner::ProductVersion(pk) => {
            sqlx::query!(
                "DELETE FROM product_version_push_mask WHERE product_version_pk = $1",
                pk
            )
            .execute(&mut *conn)
            .await
            .db()?;
            sqlx::query!(
                "INSERT INTO product_version_push_mask (product_version_pk, push_target_pk)
                 SELECT $1, unnest($2::bigint[])",
                pk,
                mask
            )
            .execute(&mut *conn)
            .await
            .db()?;
        }
        MaskOwner::Release(pk) => {
            sqlx::query!("DELETE FROM release_push_mask WHERE release_pk = $1", pk)
                .execute(&mut *conn)
                .await
                .db()?;
            sqlx::query!(
                "INSERT INTO release_push_mask (release_pk, push_target_pk) SELECT $1, unnest($2::bigint[])",
                pk,
                mask
            )
            .execute(&mut *conn)
            .await
            .db()?;
        }
        MaskOwner::Variant(pk) => {
            sqlx::query!("DELETE FROM variant_push_mask WHERE variant_pk = $1", pk)
                .execute(&mut *conn)
                .await
                .db()?;
            sqlx::query!(
                "INSERT INTO variant_push_mask (variant_pk, push_target_pk) SELECT $1, unnest($2::bigint[])",
                pk,
                mask
            )
            .execute(&mut *conn)
            .await
            .db()?;
        }
    }
    Ok(())
}

/// Replaces a product's allowed push targets.
pub async fn set_product_targets(
    conn: &mut PgConnection,
    product_pk: i64,
    targets: &[i64],
) -> Result<()> {
    sqlx::query!(
        "DELETE FROM product_push_target WHERE product_pk = $1",
        product_pk
    )
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query!(
        "INSERT INTO product_push_target (product_pk, push_target_pk) SELECT $1, unnest($2::bigint[])
         ON CONFLICT DO NOTHING",
        product_pk,
        targets
    )
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}
