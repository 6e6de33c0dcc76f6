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
    let started = std::time::Instant::now();
    let step = |what: &str| tracing::debug!(elapsed = ?started.elapsed(), "rpm merge: {what}");
    let release = release_pk(w.conn, release_id).await?;
    if ci.compose.id != manifest.compose.id {
        return Err(Error::detail_list([
            "Inconsistent data: different compose id in composeinfo and rpms file.",
        ]));
    }
    let compose = ensure_compose(w, release, ci, true).await?;
    ensure_structure(w, compose.pk, release, ci).await?;

    step("compose and trees");
    // One pass over the staged entries of the compose's trees: how many,
    // whether a content category is unknown, and the sigkeys not known yet.
    let (count, unknown_category, new_keys): (i64, bool, Vec<String>) = sqlx::query_as(
        "SELECT count(*),
                coalesce(bool_or(c.id IS NULL), false),
                coalesce(array_agg(DISTINCT s.sigkey) FILTER (WHERE s.sigkey IS NOT NULL AND k.id IS NULL), '{}')
         FROM import_rpm s
         JOIN import_tree t ON t.uid = s.variant_uid AND t.arch = s.arch
         LEFT JOIN content_category c ON c.name = s.category
         LEFT JOIN sigkey k ON k.key_id = s.sigkey
         WHERE s.item = $1",
    )
    .bind(item)
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if unknown_category {
        return Err(Error::model_not_found("ContentCategory"));
    }
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

    step("checks");
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

    step("paths");
    // New RPMs take their data from their first manifest entry; existing
    // ones are left as they are.
    let inserted = sqlx::query(
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
    .db()?
    .rows_affected();

    // The merge below joins against rpm: give the planner current numbers
    // after a big insert (else it picks nested loops over a million rows).
    if inserted > 10_000 {
        sqlx::raw_sql("ANALYZE rpm")
            .execute(&mut *w.conn)
            .await
            .db()?;
    }
    step("rpms");
    // A tree keeps the sigkey, category and path an RPM first came with
    // (ON CONFLICT also skips repeats within the manifest).
    sqlx::query(
        "INSERT INTO compose_rpm (variant_arch_pk, rpm_pk, sigkey_pk, content_category_pk, path_pk)
         SELECT t.variant_arch_pk, r.id, k.id, c.id, p.id
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

    step("compose rpms");
    w.changes.add(
        "notice",
        0,
        None,
        Some(&json!({"compose": compose.compose_id, "num_linked_rpms": count})),
    );
    Ok(RpmsImported { compose, count })
}
