//! Compose manifest imports (`compose-rpms/`) and the manifest read back
//! (`compose-rpms/{compose_id}/`). Import bodies are streamed: a blocking
//! thread parses the JSON as it arrives and feeds RPM rows to a COPY into
//! the request's transaction, so a 100 MB manifest never sits in memory.

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use axum::routing::any;
use futures::StreamExt;
use pdc_core::productmd::composeinfo::ComposeInfo;
use pdc_core::productmd::images::ImageManifest;
use pdc_core::productmd::rpms::Failure;
use pdc_core::{Error, Result, pyrepr};
use pdc_db::DbResultExt;
use pdc_db::import::manifest::py_dict;
use pdc_db::import::request::{ImportBody, ImportItem, read_body};
use pdc_db::import::{ChannelReader, CopySink, copy_rows, create_staging, images, rpms, trees};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use utoipa::openapi::Paths;
use utoipa::openapi::path::HttpMethod;

use crate::App;
use crate::auth::Identity;
use crate::engine::{WriteTx, allow_header, make_call};
use crate::error::error_response;
use crate::http::{json_response, set_header};
use crate::openapi::{Doc, read_operation, rpc_operation};
use crate::registry::{Entry, RootLink};

pub fn entries() -> Vec<Entry> {
    vec![
        Entry {
            prefix: "compose-rpms",
            actions: vec!["create", "read"],
            root: RootLink::List,
            routes: |r| {
                r.route("/rest_api/v1/compose-rpms/", any(post_rpms))
                    .route("/rest_api/v1/compose-rpms/{compose_id}/", any(get_rpms))
            },
            patterns: vec![
                "/rest_api/v1/compose-rpms/".into(),
                "/rest_api/v1/compose-rpms/{compose_id}/".into(),
            ],
            doc: Doc::Custom(rpms_docs),
        },
        Entry {
            prefix: "compose-images",
            actions: vec!["create", "read"],
            root: RootLink::List,
            routes: |r| {
                r.route("/rest_api/v1/compose-images/", any(post_images))
                    .route("/rest_api/v1/compose-images/{compose_id}/", any(get_images))
            },
            patterns: vec![
                "/rest_api/v1/compose-images/".into(),
                "/rest_api/v1/compose-images/{compose_id}/".into(),
            ],
            doc: Doc::Custom(images_docs),
        },
        Entry {
            prefix: "rpc/compose-full-import",
            actions: vec!["create"],
            root: RootLink::List,
            routes: |r| r.route("/rest_api/v1/rpc/compose-full-import/", any(post_full)),
            patterns: vec!["/rest_api/v1/rpc/compose-full-import/".into()],
            doc: Doc::Custom(full_docs),
        },
    ]
}

/// Reads an import body: starts the transaction and staging table, streams
/// the body through the parser and the RPM rows into the staging table.
async fn stream_body(
    app: &App,
    identity: &Identity,
    parts: &Parts,
    body: Body,
) -> Result<(WriteTx, ImportBody)> {
    let call = make_call(app, identity, parts);
    let mut tx = call.begin().await?;
    create_staging(tx.conn()).await?;
    let (body_tx, body_rx) = mpsc::channel::<Bytes>(16);
    let (rows_tx, rows_rx) = mpsc::channel::<Vec<u8>>(4);
    let forward = tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => {
                    if body_tx.send(c).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    return Err(Error::bad_request(format!(
                        "Error reading the request body: {e}"
                    )));
                }
            }
        }
        Ok(())
    });
    let parser = tokio::task::spawn_blocking(move || {
        let reader = std::io::BufReader::with_capacity(1 << 16, ChannelReader::new(body_rx));
        let mut sink = CopySink::new(rows_tx);
        let failure = Failure::default();
        let mut de = serde_json::Deserializer::from_reader(reader);
        let parsed = read_body(&mut de, &mut sink, &failure).and_then(|b| de.end().map(|_| b));
        let result = match parsed {
            Ok(body) => sink.flush().map(|_| body),
            Err(e) => Err(failure
                .take()
                .unwrap_or_else(|| Error::bad_request(format!("JSON parse error - {e}")))),
        };
        drop(sink);
        result
    });
    let copied = copy_rows(tx.conn(), rows_rx).await;
    let parsed = parser.await.map_err(Error::internal)?;
    forward.await.map_err(Error::internal)??;
    let body = parsed?;
    copied?;
    Ok((tx, body))
}

/// PDC's key check of an import item (`This field is required`, no
/// period): a Python 2 dict filled with the illegal keys, then the missing
/// ones, each group in Python set order.
fn check_keys(item: &ImportItem, required: &[&str]) -> Result<()> {
    let illegal = pyrepr::py2_set_difference(&item.keys, |k| required.contains(&k));
    let missing = pyrepr::py2_set_difference(required, |k| item.keys.iter().any(|x| x == k));
    if illegal.is_empty() && missing.is_empty() {
        return Ok(());
    }
    let entries: Vec<(&str, Value)> = illegal
        .iter()
        .map(|k| (*k, json!(["This field is illegal"])))
        .chain(
            missing
                .iter()
                .map(|k| (*k, json!(["This field is required"]))),
        )
        .collect();
    Err(Error::status(400, py_dict(entries)))
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Imports one `compose-rpms/` item inside `tx`; `item` is its index in the staging table.
async fn import_rpms_item(
    tx: &mut WriteTx,
    ctx: &pdc_db::Ctx,
    index: i32,
    item: ImportItem,
) -> Result<Value> {
    check_keys(&item, &["release_id", "composeinfo", "rpm_manifest"])?;
    let release_id = text_of(item.values.get("release_id"));
    let mut w = tx.writer(ctx);
    pdc_db::import::compose::release_pk(w.conn, &release_id).await?;
    let ci = ComposeInfo::parse(item.values.get("composeinfo").unwrap_or(&Value::Null))?;
    let manifest = match item.rpm_manifest {
        Some(Ok(m)) => m,
        Some(Err(e)) => return Err(e),
        None => return Err(Error::internal("rpm_manifest not read")),
    };
    let imported = rpms::merge_rpms(&mut w, index, &release_id, &ci, &manifest).await?;
    Ok(py_dict(vec![
        ("compose", json!(imported.compose.compose_id)),
        ("imported rpms", json!(imported.count)),
    ]))
}

fn image_manifest(item: &ImportItem) -> Result<ImageManifest> {
    Ok(ImageManifest::parse(
        item.values.get("image_manifest").unwrap_or(&Value::Null),
    )?)
}

async fn import_images_item(
    tx: &mut WriteTx,
    ctx: &pdc_db::Ctx,
    item: ImportItem,
) -> Result<Value> {
    check_keys(&item, &["release_id", "composeinfo", "image_manifest"])?;
    let release_id = text_of(item.values.get("release_id"));
    let mut w = tx.writer(ctx);
    pdc_db::import::compose::release_pk(w.conn, &release_id).await?;
    let ci = ComposeInfo::parse(item.values.get("composeinfo").unwrap_or(&Value::Null))?;
    let manifest = image_manifest(&item)?;
    let imported = images::merge_images(&mut w, &release_id, &ci, &manifest).await?;
    Ok(py_dict(vec![
        ("compose", json!(imported.compose.compose_id)),
        ("imported images", json!(imported.count)),
    ]))
}

async fn import_full_item(
    tx: &mut WriteTx,
    ctx: &pdc_db::Ctx,
    index: i32,
    mut item: ImportItem,
) -> Result<Value> {
    check_keys(
        &item,
        &[
            "release_id",
            "composeinfo",
            "rpm_manifest",
            "image_manifest",
            "location",
            "url",
            "scheme",
        ],
    )?;
    let release_id = text_of(item.values.get("release_id"));
    let mut w = tx.writer(ctx);
    pdc_db::import::compose::release_pk(w.conn, &release_id).await?;
    let ci = ComposeInfo::parse(item.values.get("composeinfo").unwrap_or(&Value::Null))?;
    let rpm_manifest = match item.rpm_manifest.take() {
        Some(Ok(m)) => m,
        Some(Err(e)) => return Err(e),
        None => return Err(Error::internal("rpm_manifest not read")),
    };
    let image_manifest = image_manifest(&item)?;
    let rpms = rpms::merge_rpms(&mut w, index, &release_id, &ci, &rpm_manifest).await?;
    let images = images::merge_images(&mut w, &release_id, &ci, &image_manifest).await?;
    let null = Value::Null;
    let value = |k: &str| item.values.get(k).unwrap_or(&null);
    let set = trees::set_tree_locations(
        &mut w,
        rpms.compose.pk,
        &rpms.compose.compose_id,
        &ci,
        value("location"),
        value("url"),
        value("scheme"),
    )
    .await?;
    Ok(py_dict(vec![
        ("compose", json!(rpms.compose.compose_id)),
        ("imported rpms", json!(rpms.count)),
        ("imported images", json!(images.count)),
        ("set_locations", json!(set)),
    ]))
}

const POST_ONLY: [Method; 2] = [Method::POST, Method::OPTIONS];
const GET_ONLY: [Method; 3] = [Method::GET, Method::HEAD, Method::OPTIONS];

fn finish(methods: &[Method], result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(methods));
    resp
}

/// Which import an endpoint runs.
#[derive(Clone, Copy)]
enum Kind {
    Rpms,
    Images,
    Full,
}

async fn import_item(
    tx: &mut WriteTx,
    ctx: &pdc_db::Ctx,
    kind: Kind,
    index: i32,
    item: ImportItem,
) -> Result<Value> {
    match kind {
        Kind::Rpms => import_rpms_item(tx, ctx, index, item).await,
        Kind::Images => import_images_item(tx, ctx, item).await,
        Kind::Full => import_full_item(tx, ctx, index, item).await,
    }
}

async fn post_import(
    app: App,
    identity: Identity,
    req: Request,
    prefix: &str,
    kind: Kind,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        &POST_ONLY,
        async {
            call.precheck_rpc(prefix, &POST_ONLY, true).await?;
            let started = std::time::Instant::now();
            let (mut tx, body) = stream_body(&app, &identity, &parts, body).await?;
            tracing::debug!(elapsed = ?started.elapsed(), "import body read and staged");
            let answer = match body {
                ImportBody::One(item) => import_item(&mut tx, &call.ctx, kind, 0, item).await?,
                ImportBody::Many(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.into_iter().enumerate() {
                        let v = import_item(&mut tx, &call.ctx, kind, i as i32, item)
                            .await
                            .map_err(|e| bulk_item_error(e, i))?;
                        out.push(v);
                    }
                    Value::Array(out)
                }
                ImportBody::Other(_) => {
                    return Err(Error::bad_request(
                        "Import data must be an object or a list of objects.",
                    ));
                }
            };
            tx.commit().await?;
            tracing::debug!(elapsed = ?started.elapsed(), "import committed");
            Ok(json_response(StatusCode::CREATED, &answer))
        }
        .await,
    )
}

async fn post_rpms(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    post_import(app, identity, req, "compose-rpms", Kind::Rpms).await
}

async fn post_images(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    post_import(app, identity, req, "compose-images", Kind::Images).await
}

async fn post_full(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    post_import(app, identity, req, "rpc/compose-full-import", Kind::Full).await
}

fn bulk_item_error(e: Error, index: usize) -> Error {
    match e {
        Error::Response { status, body, .. } => {
            let detail = match body {
                Value::Object(mut m) if m.contains_key("detail") => {
                    m.shift_remove("detail").unwrap_or(Value::Null)
                }
                other => other,
            };
            Error::status(
                status,
                json!({"detail": detail, "id_of_invalid_data": index}),
            )
        }
        other => other,
    }
}

/// The manifest rebuilt from the database, streamed as it is read.
async fn get_rpms(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(compose_id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        &GET_ONLY,
        async {
            call.precheck_rpc("compose-rpms", &GET_ONLY, true).await?;
            let mut conn = app.pool.acquire().await.db()?;
            let head = pdc_db::import::manifest::compose_head(&mut conn, &compose_id)
                .await?
                .ok_or_else(Error::not_found)?;
            let (tx, rx) = mpsc::channel::<Vec<u8>>(8);
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<Result<()>>();
            let pool = app.pool.clone();
            tokio::spawn(async move {
                let result = pdc_db::import::manifest::write_rpm_manifest(&pool, head, tx).await;
                let _ = done_tx.send(result);
            });
            // Chunks as they come; a failure midway ends the body with an error.
            let stream =
                futures::stream::unfold((rx, Some(done_rx)), |(mut rx, done)| async move {
                    match rx.recv().await {
                        Some(chunk) => Some((Ok(Bytes::from(chunk)), (rx, done))),
                        None => match done?.await {
                            Ok(Err(e)) => {
                                tracing::error!(error = %e, "writing the RPM manifest failed");
                                Some((Err(std::io::Error::other(e.to_string())), (rx, None)))
                            }
                            _ => None,
                        },
                    }
                });
            let mut resp = Response::new(Body::from_stream(stream));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            Ok(resp)
        }
        .await,
    )
}

async fn get_images(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(compose_id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        &GET_ONLY,
        async {
            call.precheck_rpc("compose-images", &GET_ONLY, true).await?;
            let mut conn = app.pool.acquire().await.db()?;
            let head = pdc_db::import::manifest::compose_head(&mut conn, &compose_id)
                .await?
                .ok_or_else(Error::not_found)?;
            let manifest = pdc_db::import::manifest::image_manifest(&mut conn, head).await?;
            Ok(json_response(StatusCode::OK, &manifest))
        }
        .await,
    )
}

fn images_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/compose-images/",
        vec![HttpMethod::Post],
        rpc_operation(
            "compose_images_import",
            "Import a compose's image manifest",
            "Body: `{\"release_id\", \"composeinfo\": <composeinfo.json>, \"image_manifest\": <images.json>}` \
             (productmd 1.0-1.2), or an array of such objects. Answers 201 `{\"compose\", \"imported images\"}`.",
            "`{\"compose\", \"imported images\"}`.",
            &[400, 401, 403, 404, 405, 406, 415],
        ),
    );
    paths.add_path_operation(
        "/rest_api/v1/compose-images/{compose_id}/",
        vec![HttpMethod::Get],
        read_operation(
            "compose_images_manifest",
            "The image manifest of a compose (productmd images.json 1.2)",
            "Rebuilt from the database.",
            &["compose_id"],
            &[400, 404, 406],
        ),
    );
}

fn full_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/rpc/compose-full-import/",
        vec![HttpMethod::Post],
        rpc_operation(
            "rpc_compose_full_import",
            "Import a compose's RPMs and images and set its tree locations, in one transaction",
            "Body: `release_id`, `composeinfo`, `rpm_manifest`, `image_manifest`, `location` (a location short \
             name), `url`, `scheme`. Answers 201 `{\"compose\", \"imported rpms\", \"imported images\", \"set_locations\"}`.",
            "Counts of what was imported.",
            &[400, 401, 403, 404, 405, 406, 415],
        ),
    );
}

fn rpms_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/compose-rpms/",
        vec![HttpMethod::Post],
        rpc_operation(
            "compose_rpms_import",
            "Import a compose's RPM manifest",
            "Body: `{\"release_id\", \"composeinfo\": <composeinfo.json>, \"rpm_manifest\": <rpms.json>}` (productmd \
             formats 0.3 and 1.x), or an array of such objects. Creates the compose, its variants and trees, \
             the RPMs not known yet and links them. Answers 201 `{\"compose\": id, \"imported rpms\": n}`. \
             Repeating an import changes nothing.",
            "`{\"compose\", \"imported rpms\"}`.",
            &[400, 401, 403, 404, 405, 406, 415],
        ),
    );
    let get = read_operation(
        "compose_rpms_manifest",
        "The RPM manifest of a compose (productmd rpms.json 1.2)",
        "Rebuilt from the database; streamed.",
        &["compose_id"],
        &[400, 404, 406],
    );
    paths.add_path_operation(
        "/rest_api/v1/compose-rpms/{compose_id}/",
        vec![HttpMethod::Get],
        get,
    );
}
