//! Merging staged manifest entries into RPMs and compose RPMs. These
//! queries read the per-transaction temporary tables, which the query
//! macros cannot see, so they are checked at run time (by the tests).

use pdc_core::productmd::composeinfo::ComposeInfo;
use pdc_core::productmd::rpms::RpmManifestInfo;
use pdc_core::{Error, Result, ids};
use serde_json::json;

use super::compose::{Target, ensure_compose, ensure_structure, release_pk};
use crate::db::DbResultExt;
use crate::resource::Write;

/// What one RPM import did.
pub struct RpmsImported {
    pub compose: Target,
    /// Manifest entries in the compose's trees (PDC's `imported rpms`).
    pub count: i64,
}

/// Merges the staged entries of `item` into the compose of `ci` under
/// `release_id`. Runs after the staging COPY finished.
pub async fn merge_rpms(
    w: &mut Write<'_>,
    item: i32,
    release_id: &str,
    ci: &ComposeInfo,
    manifest: &RpmManifestInfo,
) -> Result<RpmsImported> {
    let release = release_pk(w.conn, release_id).await?;
    if ci.compose.id != manifest.compose.id {
        return Err(Error::detail_list([
            "Inconsistent data: different compose id in composeinfo and rpms file.",
        ]));
    }
    let compose = ensure_compose(w, release, ci, true).await?;
    ensure_structure(w, compose.pk, release, ci).await?;

    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM import_rpm s
         JOIN import_tree t ON t.uid = s.variant_uid AND t.arch = s.arch WHERE s.item = $1",
    )
    .bind(item)
    .fetch_one(&mut *w.conn)
    .await
    .db()?;

    let unknown_category: Option<String> = sqlx::query_scalar(
        "SELECT s.category FROM import_rpm s JOIN import_tree t ON t.uid = s.variant_uid AND t.arch = s.arch
         WHERE s.item = $1 AND NOT EXISTS (SELECT 1 FROM content_category c WHERE c.name = s.category) LIMIT 1",
    )
    .bind(item)
    .fetch_optional(&mut *w.conn)
    .await
    .db()?;
    if unknown_category.is_some() {
        return Err(Error::model_not_found("ContentCategory"));
    }
    let new_keys: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT s.sigkey FROM import_rpm s
         JOIN import_tree t ON t.uid = s.variant_uid AND t.arch = s.arch
         WHERE s.item = $1 AND s.sigkey IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM sigkey k WHERE k.key_id = s.sigkey)",
    )
    .bind(item)
    .fetch_all(&mut *w.conn)
    .await
    .db()?;
    for key in &new_keys {
        if let Some(msg) = ids::check_hex(key, 8) {
            return Err(Error::detail_list([msg]));
        }
    }
    sqlx::query!(
        "INSERT INTO sigkey (key_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
        &new_keys
    )
    .execute(&mut *w.conn)
    .await
    .db()?;

    sqlx::query(
        "INSERT INTO path (path)
         SELECT DISTINCT s.dir FROM import_rpm s JOIN import_tree t ON t.uid = s.variant_uid AND t.arch = s.arch
         WHERE s.item = $1 AND s.dir IS NOT NULL
         ON CONFLICT (path) DO NOTHING",
    )
    .bind(item)
    .execute(&mut *w.conn)
    .await
    .db()?;

    // New RPMs take their data from their first manifest entry; existing
    // ones are left as they are.
    sqlx::query(
        "INSERT INTO rpm (name, epoch, version, release, arch, srpm_name, srpm_nevra, filename)
         SELECT DISTINCT ON (s.name, s.epoch, s.version, s.release, s.rpm_arch)
                s.name, s.epoch, s.version, s.release, s.rpm_arch, s.srpm_name, s.srpm_nevra, s.filename
         FROM import_rpm s JOIN import_tree t ON t.uid = s.variant_uid AND t.arch = s.arch
         WHERE s.item = $1
         ORDER BY s.name, s.epoch, s.version, s.release, s.rpm_arch, s.seq
         ON CONFLICT (name, epoch, version, release, arch) DO NOTHING",
    )
    .bind(item)
    .execute(&mut *w.conn)
    .await
    .db()?;

    // A tree keeps the first sigkey, category and path an RPM came with.
    sqlx::query(
        "INSERT INTO compose_rpm (variant_arch_pk, rpm_pk, sigkey_pk, content_category_pk, path_pk)
         SELECT DISTINCT ON (t.variant_arch_pk, r.id) t.variant_arch_pk, r.id, k.id, c.id, p.id
         FROM import_rpm s
         JOIN import_tree t ON t.uid = s.variant_uid AND t.arch = s.arch
         JOIN rpm r ON r.name = s.name AND r.epoch = s.epoch AND r.version = s.version
                   AND r.release = s.release AND r.arch = s.rpm_arch
         JOIN content_category c ON c.name = s.category
         LEFT JOIN sigkey k ON k.key_id = s.sigkey
         LEFT JOIN path p ON p.path = s.dir
         WHERE s.item = $1
         ORDER BY t.variant_arch_pk, r.id, s.seq
         ON CONFLICT (variant_arch_pk, rpm_pk) DO NOTHING",
    )
    .bind(item)
    .execute(&mut *w.conn)
    .await
    .db()?;

    w.changes.add(
        "notice",
        0,
        None,
        Some(&json!({"compose": compose.compose_id, "num_linked_rpms": count})),
    );
    Ok(RpmsImported { compose, count })
}
