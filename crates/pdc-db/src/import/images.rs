//! Merging an image manifest into images and compose images.

use pdc_core::productmd::composeinfo::ComposeInfo;
use pdc_core::productmd::images::ImageManifest;
use pdc_core::{Error, Result};
use serde_json::json;

use super::compose::{Target, ensure_compose, ensure_structure, release_pk};
use crate::db::DbResultExt;
use crate::resource::Write;

pub struct ImagesImported {
    pub compose: Target,
    /// Images in the compose's trees (PDC's `imported images`).
    pub count: i64,
}

pub async fn merge_images(
    w: &mut Write<'_>,
    release_id: &str,
    ci: &ComposeInfo,
    manifest: &ImageManifest,
) -> Result<ImagesImported> {
    let release = release_pk(w.conn, release_id).await?;
    if ci.compose.id != manifest.compose.id {
        return Err(Error::detail_list([
            "Inconsistent data: different compose id in composeinfo and images file.",
        ]));
    }
    let compose = ensure_compose(w, release, ci, false).await?;
    ensure_structure(w, compose.pk, release, ci).await?;
    let mut count = 0;
    for variant in ci.all_variants() {
        for arch in &variant.arches {
            let images = manifest
                .images
                .iter()
                .filter(|(v, a, _)| *v == variant.uid && a == arch)
                .map(|(_, _, i)| i);
            for image in images {
                // The tree is in import_tree (a temporary table): checked at run time.
                let variant_arch: i64 = sqlx::query_scalar(
                    "SELECT variant_arch_pk FROM import_tree WHERE uid = $1 AND arch = $2",
                )
                .bind(&variant.uid)
                .bind(arch)
                .fetch_one(&mut *w.conn)
                .await
                .db()?;
                let (dir, file_name) = image.split_path();
                let path = sqlx::query_scalar!(
                    "WITH ins AS (INSERT INTO path (path) VALUES ($1) ON CONFLICT (path) DO NOTHING RETURNING id)
                     SELECT id AS \"id!\" FROM ins UNION ALL SELECT id FROM path WHERE path = $1 LIMIT 1",
                    dir
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()?;
                let format = sqlx::query_scalar!(
                    "SELECT id FROM image_format WHERE name = $1",
                    image.format
                )
                .fetch_optional(&mut *w.conn)
                .await
                .db()?
                .ok_or_else(|| Error::model_not_found("ImageFormat"))?;
                let image_type = sqlx::query_scalar!(
                    "SELECT id FROM image_type WHERE name = $1",
                    image.image_type
                )
                .fetch_optional(&mut *w.conn)
                .await
                .db()?
                .ok_or_else(|| Error::model_not_found("ImageType"))?;
                let sha256 = image.checksum("sha256").unwrap_or_default();
                let image_pk = sqlx::query_scalar!(
                    "WITH ins AS (
                       INSERT INTO image (file_name, image_format_pk, image_type_pk, disc_number, disc_count, arch,
                         mtime, size, bootable, implant_md5, volume_id, md5, sha1, sha256, subvariant)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                       ON CONFLICT (file_name, sha256) DO NOTHING RETURNING id)
                     SELECT id AS \"id!\" FROM ins
                     UNION ALL SELECT id FROM image WHERE file_name = $1 AND sha256 = $14 LIMIT 1",
                    file_name,
                    format,
                    image_type,
                    image.disc_number as i32,
                    image.disc_count as i32,
                    image.arch,
                    image.mtime,
                    image.size,
                    image.bootable,
                    image.implant_md5,
                    image.volume_id,
                    image.checksum("md5"),
                    image.checksum("sha1"),
                    sha256,
                    image.subvariant
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()?;
                let existing = sqlx::query!(
                    "SELECT ci.image_pk, ci.path_pk, i.file_name FROM compose_image ci JOIN image i ON i.id = ci.image_pk
                     WHERE ci.variant_arch_pk = $1 AND (ci.image_pk = $2 OR i.file_name = $3)",
                    variant_arch,
                    image_pk,
                    file_name
                )
                .fetch_all(&mut *w.conn)
                .await
                .db()?;
                let same = existing
                    .iter()
                    .any(|e| e.image_pk == image_pk && e.path_pk == path);
                if !same {
                    if !existing.is_empty() {
                        return Err(Error::detail_list([format!(
                            "Unique validation Error in ComposeImage. Compose({}) with same Image file name({file_name}) already exists.",
                            compose.compose_id
                        )]));
                    }
                    sqlx::query!(
                        "INSERT INTO compose_image (variant_arch_pk, image_pk, path_pk) VALUES ($1, $2, $3)",
                        variant_arch,
                        image_pk,
                        path
                    )
                    .execute(&mut *w.conn)
                    .await
                    .db()?;
                }
                count += 1;
            }
        }
    }
    w.changes.add(
        "notice",
        0,
        None,
        Some(&json!({"compose": compose.compose_id, "num_linked_images": count})),
    );
    Ok(ImagesImported { compose, count })
}
