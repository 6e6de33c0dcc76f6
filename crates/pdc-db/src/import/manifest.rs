//! A compose's RPM manifest rebuilt from the database (productmd 1.2),
//! written as a stream of JSON chunks so big composes never sit in memory.

use futures::TryStreamExt;
use pdc_core::{Error, Result, pydict};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::db::DbResultExt;

/// Bytes handed to the response at a time.
const CHUNK: usize = 64 * 1024;

/// The compose fields the manifest header needs.
pub struct ComposeHead {
    pub pk: i64,
    pub compose: Value,
}

pub async fn compose_head(
    conn: &mut sqlx::PgConnection,
    compose_id: &str,
) -> Result<Option<ComposeHead>> {
    let row = sqlx::query!(
        r#"SELECT c.id, c.compose_id, to_char(c.compose_date, 'YYYYMMDD') AS "date!", c.compose_respin,
                  t.name AS compose_type
           FROM compose c JOIN compose_type t ON t.id = c.compose_type_pk WHERE c.compose_id = $1"#,
        compose_id
    )
    .fetch_optional(conn)
    .await
    .db()?;
    Ok(row.map(|r| ComposeHead {
        pk: r.id,
        compose: py_dict(vec![
            ("id", json!(r.compose_id)),
            ("type", json!(r.compose_type)),
            ("date", json!(r.date)),
            ("respin", json!(r.compose_respin)),
        ]),
    }))
}

/// A JSON object with its keys in the order a Python 2 dict filled with
/// them would show (the order PDC's answers have).
pub fn py_dict(entries: Vec<(&str, Value)>) -> Value {
    let keys: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
    let mut map = serde_json::Map::new();
    for k in pydict::order(&keys, 1) {
        if let Some((_, v)) = entries.iter().find(|(key, _)| *key == k) {
            map.insert(k.to_string(), v.clone());
        }
    }
    Value::Object(map)
}

/// The object with its keys in Python 2 dict order and `f` applied to the values.
fn reorder(map: serde_json::Map<String, Value>, f: impl Fn(Value) -> Value) -> Value {
    let entries: Vec<(String, Value)> = map.into_iter().collect();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    let order: Vec<String> = pydict::order(&keys, 1)
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut by_key: serde_json::Map<String, Value> = entries.into_iter().collect();
    let mut out = serde_json::Map::new();
    for k in order {
        if let Some(v) = by_key.shift_remove(&k) {
            out.insert(k, f(v));
        }
    }
    Value::Object(out)
}

/// Buffered writer of JSON text to a channel.
struct Out {
    buf: String,
    tx: mpsc::Sender<Vec<u8>>,
}

impl Out {
    async fn push(&mut self, s: &str) -> Result<()> {
        self.buf.push_str(s);
        if self.buf.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let chunk = std::mem::take(&mut self.buf).into_bytes();
        self.tx
            .send(chunk)
            .await
            .map_err(|_| Error::internal("client went away"))
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Writes the manifest of `head` to `tx`, grouped variant -> arch -> SRPM -> RPM.
pub async fn write_rpm_manifest(
    pool: &PgPool,
    head: ComposeHead,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<()> {
    let mut out = Out {
        buf: String::with_capacity(CHUNK * 2),
        tx,
    };
    let header = py_dict(vec![
        ("type", json!("productmd.rpms")),
        ("version", json!("1.2")),
    ]);
    // Python 2 dict order: header before payload, rpms before compose.
    out.push(&format!("{{\"header\":{header},\"payload\":{{\"rpms\":{{"))
        .await?;
    let mut rows = sqlx::query!(
        r#"SELECT cv.variant_uid, a.name AS arch,
                  CASE WHEN r.arch = 'src' OR r.srpm_nevra IS NULL
                       THEN r.name || '-' || r.epoch || ':' || r.version || '-' || r.release || '.' || r.arch
                       ELSE r.srpm_nevra END AS "srpm!",
                  r.name || '-' || r.epoch || ':' || r.version || '-' || r.release || '.' || r.arch AS "nevra!",
                  p.path || '/' || r.filename AS path, k.key_id AS "sigkey?", cc.name AS category
           FROM compose_rpm cr
           JOIN compose_variant_arch va ON va.id = cr.variant_arch_pk
           JOIN compose_variant cv ON cv.id = va.variant_pk
           JOIN arch a ON a.id = va.arch_pk
           JOIN rpm r ON r.id = cr.rpm_pk
           JOIN content_category cc ON cc.id = cr.content_category_pk
           LEFT JOIN path p ON p.id = cr.path_pk
           LEFT JOIN sigkey k ON k.id = cr.sigkey_pk
           WHERE cv.compose_pk = $1
           ORDER BY 1, 2, 3, 4"#,
        head.pk
    )
    .fetch(pool);
    // Keys of the open levels: variant, arch, srpm.
    let mut open: [Option<String>; 3] = [None, None, None];
    while let Some(row) = rows.try_next().await.db()? {
        let keys = [row.variant_uid, row.arch, row.srpm];
        // Close levels whose key changed, deepest first, then open new ones.
        let first_change = (0..3).find(|&i| open[i].as_deref() != Some(keys[i].as_str()));
        if let Some(level) = first_change {
            let mut text = String::new();
            for i in (level..3).rev() {
                if open[i].is_some() {
                    text.push('}');
                }
            }
            for (i, key) in keys.iter().enumerate().skip(level) {
                let had_sibling = if i == level { open[i].is_some() } else { false };
                if had_sibling {
                    text.push(',');
                }
                text.push_str(&quoted(key));
                text.push_str(":{");
                open[i] = Some(key.clone());
            }
            out.push(&text).await?;
        } else {
            out.push(",").await?;
        }
        let entry = py_dict(vec![
            ("sigkey", json!(row.sigkey)),
            ("path", json!(row.path)),
            ("category", json!(row.category)),
        ]);
        out.push(&format!("{}:{entry}", quoted(&row.nevra))).await?;
    }
    let mut tail = String::new();
    for slot in open.iter().rev() {
        if slot.is_some() {
            tail.push('}');
        }
    }
    tail.push_str(&format!("}},\"compose\":{}}}}}", head.compose));
    out.push(&tail).await?;
    out.flush().await
}

/// The image manifest of a compose (productmd images.json 1.2); small
/// enough to build in memory.
pub async fn image_manifest(conn: &mut sqlx::PgConnection, head: ComposeHead) -> Result<Value> {
    let rows = sqlx::query!(
        r#"SELECT cv.variant_uid, a.name AS arch, i.subvariant, f.name AS format, i.volume_id, i.mtime,
                  i.md5, i.sha1, i.sha256, i.arch AS image_arch, i.size, i.disc_count, i.bootable,
                  i.implant_md5, i.disc_number, p.path || '/' || i.file_name AS "path!", t.name AS image_type
           FROM compose_image ci
           JOIN compose_variant_arch va ON va.id = ci.variant_arch_pk
           JOIN compose_variant cv ON cv.id = va.variant_pk
           JOIN arch a ON a.id = va.arch_pk
           JOIN image i ON i.id = ci.image_pk
           JOIN image_format f ON f.id = i.image_format_pk
           JOIN image_type t ON t.id = i.image_type_pk
           JOIN path p ON p.id = ci.path_pk
           WHERE cv.compose_pk = $1
           ORDER BY 1, 2, "path!""#,
        head.pk
    )
    .fetch_all(conn)
    .await
    .db()?;
    let mut images = serde_json::Map::new();
    for r in rows {
        let mut checksums = vec![("sha256", json!(r.sha256))];
        if let Some(md5) = r.md5 {
            checksums.push(("md5", json!(md5)));
        }
        if let Some(sha1) = r.sha1 {
            checksums.push(("sha1", json!(sha1)));
        }
        // Key order as PDC's (Python 2 dict) answer has it.
        let image = json!({
            "subvariant": r.subvariant,
            "format": r.format,
            "volume_id": r.volume_id,
            "mtime": r.mtime,
            "checksums": py_dict(checksums),
            "arch": r.image_arch,
            "size": r.size,
            "disc_count": r.disc_count,
            "bootable": r.bootable,
            "implant_md5": r.implant_md5,
            "disc_number": r.disc_number,
            "path": r.path,
            "type": r.image_type,
        });
        let by_arch = images
            .entry(r.variant_uid)
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(by_arch) = by_arch {
            let list = by_arch
                .entry(r.arch)
                .or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(list) = list {
                list.push(image);
            }
        }
    }
    let header = py_dict(vec![
        ("type", json!("productmd.images")),
        ("version", json!("1.2")),
    ]);
    // Variants and arches in Python 2 dict order too (lists are sorted by path).
    let images = reorder(images, |by_arch| match by_arch {
        Value::Object(m) => reorder(m, |v| v),
        other => other,
    });
    let payload = py_dict(vec![("compose", head.compose), ("images", images)]);
    Ok(py_dict(vec![("header", header), ("payload", payload)]))
}
