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
use pdc_core::error::FieldErrors;
use pdc_core::productmd::composeinfo::ComposeInfo;
use pdc_core::productmd::rpms::Failure;
use pdc_core::{Error, Result};
use pdc_db::DbResultExt;
use pdc_db::import::request::{ImportBody, ImportItem, read_body};
use pdc_db::import::{CopySink, copy_rows, create_staging, rpms};
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
    vec![Entry {
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
    }]
}

/// `std::io::Read` over request body chunks handed over from the runtime.
struct ChannelReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
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
        let reader = std::io::BufReader::with_capacity(
            1 << 16,
            ChannelReader {
                rx: body_rx,
                current: Bytes::new(),
            },
        );
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

/// PDC's key check of an import item (`This field is required`, no period).
fn check_keys(item: &ImportItem, required: &[&str]) -> Result<()> {
    let mut illegal: Vec<&str> = item
        .keys
        .iter()
        .map(String::as_str)
        .filter(|k| !required.contains(k))
        .collect();
    illegal.sort_unstable();
    illegal.dedup();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|k| !item.keys.iter().any(|x| x == k))
        .collect();
    let mut errors = FieldErrors::new();
    for k in &illegal {
        errors.add(k, "This field is illegal");
    }
    for k in &missing {
        errors.add(k, "This field is required");
    }
    let order: Vec<&str> = illegal.iter().chain(missing.iter()).copied().collect();
    errors.into_result(&order)
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
    Ok(json!({"compose": imported.compose.compose_id, "imported rpms": imported.count}))
}

const POST_ONLY: [Method; 2] = [Method::POST, Method::OPTIONS];
const GET_ONLY: [Method; 3] = [Method::GET, Method::HEAD, Method::OPTIONS];

fn finish(methods: &[Method], result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(methods));
    resp
}

async fn post_rpms(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        &POST_ONLY,
        async {
            call.precheck_rpc("compose-rpms", &POST_ONLY, true).await?;
            let started = std::time::Instant::now();
            let (mut tx, body) = stream_body(&app, &identity, &parts, body).await?;
            tracing::debug!(elapsed = ?started.elapsed(), "import body read and staged");
            let answer = match body {
                ImportBody::One(item) => import_rpms_item(&mut tx, &call.ctx, 0, item).await?,
                ImportBody::Many(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.into_iter().enumerate() {
                        let v = import_rpms_item(&mut tx, &call.ctx, i as i32, item)
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
