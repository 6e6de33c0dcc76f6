//! Allowed push targets. Products list theirs; product versions and
//! releases store a mask (the parent's targets they do NOT allow), so a
//! target added to a parent later shows up in its children.

use pdc_core::{Error, Result, pyrepr};
use sqlx::PgConnection;

use crate::db::DbResultExt;

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

/// What a release allows: its product version's targets minus its mask
/// (nothing without a product version).
pub async fn release_targets(conn: &mut PgConnection, release_pk: i64) -> Result<Targets> {
    let rows = sqlx::query!(
        "SELECT pt.id, pt.name FROM release r
         JOIN product_version pv ON pv.id = r.product_version_pk
         JOIN product_push_target ppt ON ppt.product_pk = pv.product_pk
         JOIN push_target pt ON pt.id = ppt.push_target_pk
         WHERE r.id = $1
           AND NOT EXISTS (SELECT 1 FROM product_version_push_mask m
             WHERE m.product_version_pk = pv.id AND m.push_target_pk = pt.id)
           AND NOT EXISTS (SELECT 1 FROM release_push_mask m
             WHERE m.release_pk = r.id AND m.push_target_pk = pt.id)
         ORDER BY pt.name",
        release_pk
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// PDC's check that a child only allows what its parent allows.
pub async fn check_subset(
    conn: &mut PgConnection,
    requested: &[i64],
    parent: &Targets,
    parent_key: &str,
) -> Result<()> {
    let invalid: Vec<i64> = requested
        .iter()
        .copied()
        .filter(|id| !parent.iter().any(|(p, _)| p == id))
        .collect();
    if invalid.is_empty() {
        return Ok(());
    }
    let names = sqlx::query_scalar!(
        "SELECT pt.name FROM unnest($1::bigint[]) WITH ORDINALITY AS i(id, n)
         JOIN push_target pt ON pt.id = i.id ORDER BY i.n",
        &invalid
    )
    .fetch_all(conn)
    .await
    .db()?;
    Err(Error::detail_list([format!(
        "Push targets must be allowed in parent {parent_key}: {}",
        pyrepr::unicode_list(&names)
    )]))
}

/// Whose mask is written.
#[derive(Clone, Copy)]
pub enum MaskOwner {
    ProductVersion(i64),
    Release(i64),
}

/// Stores the mask `parent - allowed` for `owner`.
pub async fn set_mask(
    conn: &mut PgConnection,
    owner: MaskOwner,
    parent: &Targets,
    allowed: &[i64],
) -> Result<()> {
    let mask: Vec<i64> = parent
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !allowed.contains(id))
        .collect();
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
                &mask
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
                &mask
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
