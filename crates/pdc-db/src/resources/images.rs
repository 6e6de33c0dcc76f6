//! Compose images (`images/`, list only: compose imports write them).

use std::collections::HashMap;

use pdc_core::Result;
use pdc_core::fields::{Field, Kind};
use serde_json::{Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::resource::{Ctx, Resource, in_order};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

pub struct Images;

const fn text() -> Kind {
    Kind::Str {
        max: 0,
        blank: true,
    }
}

static FIELDS: [Field; 16] = [
    Field::ro("file_name", text()),
    Field::ro("image_format", text()),
    Field::ro("image_type", text()),
    Field::ro("disc_number", Kind::Int),
    Field::ro("disc_count", Kind::Int),
    Field::ro("arch", text()),
    Field::ro("mtime", Kind::Int),
    Field::ro("size", Kind::Int),
    Field::ro("bootable", Kind::Bool),
    Field::ro("implant_md5", text()).nullable(),
    Field::ro("volume_id", text()).nullable(),
    Field::ro("md5", text()).nullable(),
    Field::ro("sha1", text()).nullable(),
    Field::ro("sha256", text()),
    Field::ro("composes", Kind::Custom).doc("compose_id of every compose with the image."),
    Field::ro("subvariant", text()),
];

const fn int(param: &'static str, sql: &'static str) -> Filter {
    Filter::new(param, FilterKind::MultiInt, sql)
}

pub static IMAGES: Spec = Spec {
    prefix: "images",
    lookup: &[],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("file_name", "i.file_name = ANY({})"),
        Filter::multi(
            "image_format",
            "i.image_format_pk IN (SELECT id FROM image_format WHERE name = ANY({}))",
        ),
        Filter::multi(
            "image_type",
            "i.image_type_pk IN (SELECT id FROM image_type WHERE name = ANY({}))",
        ),
        int("disc_number", "i.disc_number = ANY({})"),
        int("disc_count", "i.disc_count = ANY({})"),
        Filter::multi("arch", "i.arch = ANY({})"),
        int("mtime", "i.mtime = ANY({})"),
        int("size", "i.size = ANY({})"),
        Filter::multi("implant_md5", "i.implant_md5 = ANY({})"),
        Filter::multi("volume_id", "i.volume_id = ANY({})"),
        Filter::multi("md5", "i.md5 = ANY({})"),
        Filter::multi("sha1", "i.sha1 = ANY({})"),
        Filter::multi("sha256", "i.sha256 = ANY({})"),
        Filter::multi("subvariant", "i.subvariant = ANY({})"),
        Filter::multi(
            "compose",
            "i.id IN (SELECT ci.image_pk FROM compose_image ci
               JOIN compose_variant_arch va ON va.id = ci.variant_arch_pk
               JOIN compose_variant v ON v.id = va.variant_pk
               JOIN compose c ON c.id = v.compose_pk
               WHERE c.compose_id = ANY({}))",
        )
        .doc("compose_id"),
        Filter::boolean("bootable", "i.bootable = {}"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "image i",
    id: "i.id",
    ordering: &[
        ("id", "i.id"),
        ("file_name", "i.file_name"),
        ("image_format", "i.image_format_pk"),
        ("image_type", "i.image_type_pk"),
        ("disc_number", "i.disc_number"),
        ("disc_count", "i.disc_count"),
        ("arch", "i.arch"),
        ("mtime", "i.mtime"),
        ("size", "i.size"),
        ("bootable", "i.bootable"),
        ("implant_md5", "i.implant_md5"),
        ("volume_id", "i.volume_id"),
        ("md5", "i.md5"),
        ("sha1", "i.sha1"),
        ("sha256", "i.sha256"),
        ("subvariant", "i.subvariant"),
    ],
    relations: &[],
    default_order: "i.id",
    actions: Actions::LIST,
    change_name: "image",
    last_modified: &[],
    caching: Caching::Default,
    model: "image",
    doc: "Images of composes (written by compose-images imports). List only.",
};

impl Resource for Images {
    const SPEC: &'static Spec = &IMAGES;

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT i.id, i.file_name, f.name AS image_format, t.name AS image_type, i.disc_number,
                    i.disc_count, i.arch, i.mtime, i.size, i.bootable, i.implant_md5, i.volume_id,
                    i.md5, i.sha1, i.sha256, i.subvariant
             FROM image i
             JOIN image_format f ON f.id = i.image_format_pk
             JOIN image_type t ON t.id = i.image_type_pk
             WHERE i.id = ANY($1)",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let composes = sqlx::query!(
            "SELECT DISTINCT ci.image_pk, c.id, c.compose_id FROM compose_image ci
             JOIN compose_variant_arch va ON va.id = ci.variant_arch_pk
             JOIN compose_variant v ON v.id = va.variant_pk
             JOIN compose c ON c.id = v.compose_pk
             WHERE ci.image_pk = ANY($1) ORDER BY ci.image_pk, c.id",
            ids
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut by_image: HashMap<i64, Vec<String>> = HashMap::new();
        for c in composes {
            by_image.entry(c.image_pk).or_default().push(c.compose_id);
        }
        let values = rows
            .into_iter()
            .map(|r| {
                let value = json!({
                    "file_name": r.file_name,
                    "image_format": r.image_format,
                    "image_type": r.image_type,
                    "disc_number": r.disc_number,
                    "disc_count": r.disc_count,
                    "arch": r.arch,
                    "mtime": r.mtime,
                    "size": r.size,
                    "bootable": r.bootable,
                    "implant_md5": r.implant_md5,
                    "volume_id": r.volume_id,
                    "md5": r.md5,
                    "sha1": r.sha1,
                    "sha256": r.sha256,
                    "composes": by_image.remove(&r.id).unwrap_or_default(),
                    "subvariant": r.subvariant,
                });
                (r.id, value)
            })
            .collect();
        Ok(in_order(ids, values))
    }
}
