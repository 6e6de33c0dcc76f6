//! `pdc import-compose PATH_OR_URL`: the compose import without the HTTP
//! API, from a compose directory or its metadata URL, with a progress bar
//! over the (streamed) RPM manifest. One transaction, the same code as the
//! API's import.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use pdc_core::productmd::composeinfo::ComposeInfo;
use pdc_core::productmd::images::ImageManifest;
use pdc_db::changes::{Actor, Changes};
use pdc_db::import::{ChannelReader, images, rpms, stage_manifest};
use pdc_db::resource::DbSettings;
use pdc_db::resources::release_rpc::import_composeinfo;
use pdc_db::{Ctx, Write};
use serde_json::{Value, json};

/// Where the metadata files are.
enum Source {
    Dir(PathBuf),
    Url(String),
}

impl Source {
    fn locate(arg: &str) -> Result<Source> {
        if arg.starts_with("http://") || arg.starts_with("https://") {
            let base = arg.trim_end_matches('/');
            let base = if base.ends_with("/metadata") {
                base.to_string()
            } else {
                format!("{base}/compose/metadata")
            };
            return Ok(Source::Url(base));
        }
        let path = Path::new(arg);
        for candidate in [
            path.join("compose/metadata"),
            path.join("metadata"),
            path.to_path_buf(),
        ] {
            if candidate.join("composeinfo.json").is_file() {
                return Ok(Source::Dir(candidate));
            }
        }
        bail!("no composeinfo.json in {arg}, {arg}/metadata or {arg}/compose/metadata")
    }

    /// A whole (small) file; `None` when it does not exist.
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Source::Dir(dir) => match std::fs::read(dir.join(name)) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => {
                    Err(e).with_context(|| format!("cannot read {}", dir.join(name).display()))
                }
            },
            Source::Url(base) => {
                let resp = reqwest::get(format!("{base}/{name}")).await?;
                if resp.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                let resp = resp.error_for_status()?;
                Ok(Some(resp.bytes().await?.to_vec()))
            }
        }
    }

    /// A stream over a (big) file and its size when known; `None` when missing.
    async fn open(&self, name: &str) -> Result<Option<(Box<dyn Read + Send>, Option<u64>)>> {
        match self {
            Source::Dir(dir) => {
                let path = dir.join(name);
                match std::fs::File::open(&path) {
                    Ok(f) => {
                        let size = f.metadata().ok().map(|m| m.len());
                        Ok(Some((Box::new(f), size)))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
                }
            }
            Source::Url(base) => {
                let resp = reqwest::get(format!("{base}/{name}")).await?;
                if resp.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                let resp = resp.error_for_status()?;
                let size = resp.content_length();
                let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(16);
                tokio::spawn(async move {
                    let mut stream = resp.bytes_stream();
                    while let Some(Ok(chunk)) = stream.next().await {
                        if tx.send(chunk).await.is_err() {
                            break;
                        }
                    }
                });
                Ok(Some((Box::new(ChannelReader::new(rx)), size)))
            }
        }
    }
}

fn json_of(bytes: &[u8], what: &str) -> Result<Value> {
    serde_json::from_slice(bytes).with_context(|| format!("{what} is not valid JSON"))
}

fn progress(size: Option<u64>) -> ProgressBar {
    let pb = match size {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    pb.set_style(
        ProgressStyle::with_template(
            "rpms.json {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// The release_id composeinfo names (productmd's rules).
fn derived_release_id(ci: &ComposeInfo) -> Result<String> {
    let base = ci.base_product.as_ref().map(|b| {
        (
            b.short.to_lowercase(),
            b.version.clone(),
            b.release_type.clone(),
        )
    });
    pdc_core::ids::release_id(
        &ci.release.short.to_lowercase(),
        &ci.release.version,
        &ci.release.release_type,
        base.as_ref()
            .map(|(s, v, t)| (s.as_str(), v.as_str(), t.as_str())),
    )
    .map_err(|e| anyhow!(e))
}

/// Imports the compose at `arg` into release `release` (default: the one
/// composeinfo names, created with its products and variants if missing).
pub async fn run(
    pool: &pdc_db::Pool,
    arg: &str,
    release: Option<&str>,
    settings: DbSettings,
) -> Result<Value> {
    let source = Source::locate(arg)?;
    let ci_json = json_of(
        &source
            .read("composeinfo.json")
            .await?
            .ok_or_else(|| anyhow!("composeinfo.json not found"))?,
        "composeinfo.json",
    )?;
    let ci = ComposeInfo::parse(&ci_json).map_err(|e| anyhow!("composeinfo.json: {}", e.0))?;
    let image_manifest = match source.read("images.json").await? {
        Some(b) => Some(
            ImageManifest::parse(&json_of(&b, "images.json")?)
                .map_err(|e| anyhow!("images.json: {}", e.0))?,
        ),
        None => None,
    };

    let mut tx = pool.begin().await?;
    let mut changes = Changes::default();
    let ctx = Ctx {
        base_url: String::new(),
        settings: Arc::new(settings),
    };
    let staged = match source.open("rpms.json").await? {
        Some((reader, size)) => {
            let pb = progress(size);
            let info = stage_manifest(&mut tx, pb.wrap_read(reader)).await;
            pb.finish_and_clear();
            Some(info.map_err(|e| anyhow!("rpms.json: {e}"))?)
        }
        None => None,
    };
    let mut w = Write {
        conn: &mut tx,
        changes: &mut changes,
        ctx: &ctx,
    };
    let release_id = match release {
        Some(r) => r.to_string(),
        None => {
            let derived = derived_release_id(&ci)?;
            let known = pdc_db::import::compose::release_pk(w.conn, &derived)
                .await
                .is_ok();
            if known {
                derived
            } else {
                import_composeinfo(&mut w, &ci)
                    .await
                    .map_err(|e| anyhow!("{e}"))?
            }
        }
    };
    let mut answer = serde_json::Map::new();
    answer.insert("compose".into(), json!(ci.compose.id));
    answer.insert("release".into(), json!(release_id));
    if let Some(info) = staged {
        let imported = rpms::merge_rpms(&mut w, 0, &release_id, &ci, &info)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        answer.insert("imported rpms".into(), json!(imported.count));
    }
    if let Some(manifest) = image_manifest {
        let imported = images::merge_images(&mut w, &release_id, &ci, &manifest)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        answer.insert("imported images".into(), json!(imported.count));
    }
    let actor = Actor {
        user_pk: None,
        comment: Some(format!("pdc import-compose {arg}")),
        requested_on: chrono::Utc::now(),
    };
    pdc_db::changes::save(&mut tx, &actor, &changes)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    tx.commit().await?;
    Ok(Value::Object(answer))
}
