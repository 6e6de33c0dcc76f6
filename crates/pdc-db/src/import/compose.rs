//! The compose a manifest belongs to and its structure from composeinfo:
//! variants, trees (variant arches), relative paths, and releases of
//! integrated layered products.

use pdc_core::productmd::composeinfo::ComposeInfo;
use pdc_core::{Error, Result};
use serde_json::json;
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::resource::Write;
use crate::resources::release_rpc::{integrated_release, variant_type};

/// The compose an import writes into.
pub struct Target {
    pub pk: i64,
    pub compose_id: String,
    pub created: bool,
}

/// 404 `Not found:  Release matching query does not exist.` when unknown.
pub async fn release_pk(conn: &mut PgConnection, release_id: &str) -> Result<i64> {
    sqlx::query_scalar!("SELECT id FROM release WHERE release_id = $1", release_id)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or_else(|| Error::model_not_found("Release"))
}

/// PDC's get-or-create of the compose, matching every attribute given
/// (the RPM import also requires acceptance testing to be untested).
pub async fn ensure_compose(
    w: &mut Write<'_>,
    release: i64,
    ci: &ComposeInfo,
    untested_only: bool,
) -> Result<Target> {
    let c = &ci.compose;
    let date = chrono::NaiveDate::parse_from_str(&c.date, "%Y%m%d").map_err(|_| {
        Error::detail_list([format!("'{}' value has an invalid date format.", c.date)])
    })?;
    let compose_type = sqlx::query_scalar!(
        "SELECT id FROM compose_type WHERE name = $1",
        c.compose_type
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    .ok_or_else(|| Error::model_not_found("ComposeType"))?;
    let respin = i32::try_from(c.respin)
        .map_err(|_| Error::detail_list(["Ensure this value is greater than or equal to 0."]))?;
    if let Some(pk) = sqlx::query_scalar!(
        "SELECT id FROM compose WHERE release_pk = $1 AND compose_id = $2 AND compose_date = $3
           AND compose_type_pk = $4 AND compose_respin = $5 AND compose_label IS NOT DISTINCT FROM $6
           AND (NOT $7 OR acceptance_testing_pk = 1)",
        release,
        c.id,
        date,
        compose_type,
        respin,
        c.label,
        untested_only
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    {
        return Ok(Target {
            pk,
            compose_id: c.id.clone(),
            created: false,
        });
    }
    // Django's full_clean before the insert.
    let clash = sqlx::query!(
        r#"SELECT
             EXISTS (SELECT 1 FROM compose WHERE compose_id = $1) AS "id!",
             EXISTS (SELECT 1 FROM compose WHERE release_pk = $2 AND compose_label = $3) AS "label!",
             EXISTS (SELECT 1 FROM compose WHERE release_pk = $2 AND compose_date = $4
                     AND compose_type_pk = $5 AND compose_respin = $6) AS "date!""#,
        c.id,
        release,
        c.label,
        date,
        compose_type,
        respin
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    let mut msgs = Vec::new();
    if clash.id {
        msgs.push("Compose with this Compose id already exists.");
    }
    if clash.label {
        msgs.push("Compose with this Release and Compose label already exists.");
    }
    if clash.date {
        msgs.push("Compose with this Release, Compose date, Compose type and Compose respin already exists.");
    }
    if !msgs.is_empty() {
        return Err(Error::detail_list(msgs));
    }
    let pk = sqlx::query_scalar!(
        "INSERT INTO compose (compose_id, release_pk, compose_date, compose_type_pk, compose_respin, compose_label)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        c.id,
        release,
        date,
        compose_type,
        respin,
        c.label
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    w.changes.add(
        "compose",
        pk,
        None,
        Some(&json!({"id": pk, "compose_id": c.id})),
    );
    Ok(Target {
        pk,
        compose_id: c.id.clone(),
        created: true,
    })
}

/// Creates what composeinfo describes (variants, trees, relative paths,
/// integrated layered products) and fills the temporary table
/// `import_tree (uid, arch, variant_arch_pk)` with the compose's trees.
pub async fn ensure_structure(
    w: &mut Write<'_>,
    compose: i64,
    release: i64,
    ci: &ComposeInfo,
) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TEMP TABLE IF NOT EXISTS import_tree (uid text NOT NULL, arch text NOT NULL,
           variant_arch_pk bigint NOT NULL, PRIMARY KEY (uid, arch)) ON COMMIT DROP;
         TRUNCATE import_tree",
    )
    .execute(&mut *w.conn)
    .await
    .db()?;
    let orig = sqlx::query!(
        "SELECT r.name, r.short, r.version, r.release_type_pk FROM release r WHERE r.id = $1",
        release
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    for variant in ci.all_variants() {
        if let Some(layered) = variant.release.as_ref().filter(|r| !r.name.is_empty()) {
            let linked = integrated_release(
                w,
                release,
                &orig.name,
                &orig.short,
                &orig.version,
                orig.release_type_pk,
                layered,
            )
            .await?;
            sqlx::query!(
                "INSERT INTO compose_linked_release (compose_pk, release_pk) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                compose,
                linked
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
        let vtype = variant_type(w.conn, &variant.variant_type).await?;
        let existing = sqlx::query_scalar!(
            "SELECT id FROM compose_variant WHERE compose_pk = $1 AND variant_id = $2 AND variant_uid = $3
               AND variant_name = $4 AND variant_type_pk = $5",
            compose,
            variant.id,
            variant.uid,
            variant.name,
            vtype
        )
        .fetch_optional(&mut *w.conn)
        .await
        .db()?;
        let variant_pk = match existing {
            Some(pk) => pk,
            None => {
                let clash = sqlx::query_scalar!(
                    r#"SELECT EXISTS (SELECT 1 FROM compose_variant WHERE compose_pk = $1 AND variant_uid = $2) AS "c!""#,
                    compose,
                    variant.uid
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()?;
                if clash {
                    return Err(Error::detail_list([
                        "Variant with this Compose and Variant uid already exists.",
                    ]));
                }
                let pk = sqlx::query_scalar!(
                    "INSERT INTO compose_variant (compose_pk, variant_id, variant_uid, variant_name, variant_type_pk)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    compose,
                    variant.id,
                    variant.uid,
                    variant.name,
                    vtype
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()?;
                w.changes.add(
                    "variant",
                    pk,
                    None,
                    Some(&json!({"variant_id": variant.id, "variant_uid": variant.uid,
                                 "variant_name": variant.name, "variant_type": variant.variant_type})),
                );
                pk
            }
        };
        for (path_type, by_arch) in &variant.paths {
            let (type_pk, new_type) = path_type_pk(w.conn, path_type).await?;
            if new_type {
                w.changes
                    .add("pathtype", type_pk, None, Some(&json!({"name": path_type})));
            }
            for (arch, path) in by_arch {
                let arch_pk = arch_pk(w.conn, arch).await?;
                let new = sqlx::query_scalar!(
                    "INSERT INTO compose_rel_path (compose_pk, variant_pk, arch_pk, type_pk, path)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
                    compose,
                    variant_pk,
                    arch_pk,
                    type_pk,
                    path
                )
                .fetch_optional(&mut *w.conn)
                .await
                .db()?;
                if let Some(pk) = new {
                    w.changes.add(
                        "composerelpath",
                        pk,
                        None,
                        Some(&json!({"variant": variant.uid, "arch": arch, "type": path_type, "path": path})),
                    );
                }
            }
        }
        for arch in &variant.arches {
            let arch_pk = arch_pk(w.conn, arch).await?;
            // import_tree is a temporary table: checked at run time.
            sqlx::query(
                "WITH ins AS (
                   INSERT INTO compose_variant_arch (variant_pk, arch_pk) VALUES ($1, $2)
                   ON CONFLICT (variant_pk, arch_pk) DO NOTHING RETURNING id)
                 INSERT INTO import_tree (uid, arch, variant_arch_pk)
                 SELECT $3, $4, id FROM ins
                 UNION ALL SELECT $3, $4, id FROM compose_variant_arch WHERE variant_pk = $1 AND arch_pk = $2
                 LIMIT 1",
            )
            .bind(variant_pk)
            .bind(arch_pk)
            .bind(&variant.uid)
            .bind(arch)
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
    }
    sqlx::raw_sql("ANALYZE import_tree")
        .execute(&mut *w.conn)
        .await
        .db()?;
    Ok(())
}

async fn arch_pk(conn: &mut PgConnection, name: &str) -> Result<i64> {
    sqlx::query_scalar!("SELECT id FROM arch WHERE name = $1", name)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or_else(|| Error::model_not_found("Arch"))
}

/// The path type's id and whether it was just created.
async fn path_type_pk(conn: &mut PgConnection, name: &str) -> Result<(i64, bool)> {
    if let Some(pk) = sqlx::query_scalar!("SELECT id FROM path_type WHERE name = $1", name)
        .fetch_optional(&mut *conn)
        .await
        .db()?
    {
        return Ok((pk, false));
    }
    let pk = sqlx::query_scalar!(
        "INSERT INTO path_type (name) VALUES ($1) RETURNING id",
        name
    )
    .fetch_one(conn)
    .await
    .db()?;
    Ok((pk, true))
}
