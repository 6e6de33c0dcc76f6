//! `rpc/where-to-file-bugs/` and the three compose `find` RPCs.

use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use pdc_core::{Error, Result};
use pdc_db::DbResultExt;
use pdc_db::resources::compose_rpc::{self, FindOptions};
use serde_json::json;
use utoipa::openapi::Paths;
use utoipa::openapi::path::HttpMethod;

use crate::App;
use crate::auth::Identity;
use crate::engine::{Call, allow_header, make_call};
use crate::error::error_response;
use crate::http::{empty_response, json_response, set_header};
use crate::openapi::{Doc, read_operation};
use crate::query;
use crate::registry::{Entry, RootLink, resource_name};

const READ: [Method; 3] = [Method::GET, Method::HEAD, Method::OPTIONS];

const BUGS: &str = "rpc/where-to-file-bugs";
const BY_RELEASE: &str = "rpc/find-compose-by-release-rpm/{release_id}/{rpm_name}";
const OLDER: &str = "rpc/find-older-compose-by-compose-rpm/{compose_id}/{rpm_name}";
const BY_PV: &str = "rpc/find-composes-by-product-version-rpm/{product_version}/{rpm_name}";

fn route(prefix: &str) -> String {
    let mut n = 0;
    let segs: Vec<String> = prefix
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                n += 1;
                format!("{{k{}}}", n - 1)
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("/rest_api/v1/{}/", segs.join("/"))
}

fn entry(
    prefix: &'static str,
    routes: fn(axum::Router<App>) -> axum::Router<App>,
    doc: fn(&mut Paths),
) -> Entry {
    Entry {
        prefix,
        actions: vec!["read"],
        root: if prefix.contains('{') {
            RootLink::Detail("")
        } else {
            RootLink::List
        },
        routes,
        patterns: vec![route(prefix)],
        doc: Doc::Custom(doc),
    }
}

pub fn entries() -> Vec<Entry> {
    vec![
        entry(BUGS, |r| r.route(&route(BUGS), any(bugs)), bugs_docs),
        entry(
            BY_RELEASE,
            |r| r.route(&route(BY_RELEASE), any(by_release)),
            find_docs,
        ),
        entry(OLDER, |r| r.route(&route(OLDER), any(older)), |_| {}),
        entry(BY_PV, |r| r.route(&route(BY_PV), any(by_pv)), |_| {}),
    ]
}

fn finish(result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(&READ));
    resp
}

/// PDC's strict boolean (`convert_str_to_bool`): empty or missing is false.
fn strict_bool(call: &Call<'_>, name: &str) -> Result<bool> {
    match query::last(&call.pairs, name).unwrap_or("") {
        "" | "false" | "f" | "False" | "0" => Ok(false),
        "true" | "t" | "True" | "1" => Ok(true),
        other => Err(Error::status(
            400,
            json!([format!("Value [{other}] is not a boolean")]),
        )),
    }
}

async fn options(call: &Call<'_>, with_latest: bool) -> Result<FindOptions> {
    let text = |name: &str| query::last(&call.pairs, name).map(str::to_string);
    Ok(FindOptions {
        included_compose_type: text("included_compose_type"),
        excluded_compose_type: text("excluded_compose_type"),
        latest: with_latest && strict_bool(call, "latest")?,
        to_dict: strict_bool(call, "to_dict")?,
    })
}

/// Runs one find RPC: checks, then `run` with the path values.
async fn find(
    app: &App,
    identity: &Identity,
    req: Request,
    prefix: &'static str,
    key: Vec<String>,
    which: u8,
) -> Response {
    let (parts, _) = req.into_parts();
    let call = make_call(app, identity, &parts);
    let with_latest = which != 1;
    finish(
        async {
            call.precheck_view(
                &resource_name(prefix),
                &READ,
                Some(|k: &str| {
                    matches!(
                        k,
                        "included_compose_type" | "excluded_compose_type" | "to_dict"
                    ) || (with_latest && k == "latest")
                }),
            )
            .await?;
            if parts.method == Method::OPTIONS {
                return Ok(empty_response(StatusCode::OK));
            }
            let opts = options(&call, with_latest).await?;
            let mut conn = call.app.pool.acquire().await.db()?;
            let (a, b) = (key[0].as_str(), key[1].as_str());
            let value = match which {
                0 => compose_rpc::by_release(&mut conn, a, b, &opts).await?,
                1 => compose_rpc::older(&mut conn, a, b, &opts).await?,
                _ => compose_rpc::by_product_version(&mut conn, a, b, &opts).await?,
            };
            Ok(json_response(StatusCode::OK, &value))
        }
        .await,
    )
}

async fn by_release(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    find(&app, &identity, req, BY_RELEASE, key, 0).await
}

async fn older(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    find(&app, &identity, req, OLDER, key, 1).await
}

async fn by_pv(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    find(&app, &identity, req, BY_PV, key, 2).await
}

async fn bugs(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        async {
            call.precheck_view(BUGS, &READ, Some(|k: &str| k == "nvr"))
                .await?;
            if parts.method == Method::OPTIONS {
                return Ok(empty_response(StatusCode::OK));
            }
            let Some(nvr) = query::last(&call.pairs, "nvr") else {
                return Err(Error::bad_request("The nvr is required."));
            };
            let mut conn = call.app.pool.acquire().await.db()?;
            let value = compose_rpc::where_to_file_bugs(&mut conn, nvr).await?;
            Ok(json_response(StatusCode::OK, &value))
        }
        .await,
    )
}

fn bugs_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/rpc/where-to-file-bugs/",
        vec![HttpMethod::Get],
        read_operation(
            "rpc_where_to_file_bugs",
            "Bugzilla product and components for a build",
            "Query `nvr` (required): for each release of a compose holding an RPM of that N-V-R, \
             `{\"bugzilla_product\", \"bugzilla_component\": [...]}` (duplicates left out).",
            &[],
            &[400, 404, 406],
        ),
    );
}

fn find_docs(paths: &mut Paths) {
    let common = "Queries: `included_compose_type`, `excluded_compose_type`, `to_dict` (full RPM objects \
                  instead of `name-epoch:version-release.arch.rpm`)";
    for (path, id, summary, params, extra) in [
        (
            "/rest_api/v1/rpc/find-compose-by-release-rpm/{release_id}/{rpm_name}/",
            "rpc_find_compose_by_release_rpm",
            "Composes of a release with the RPMs of that name, oldest first",
            ["release_id", "rpm_name"],
            ", `latest` (only the newest compose).",
        ),
        (
            "/rest_api/v1/rpc/find-composes-by-product-version-rpm/{product_version}/{rpm_name}/",
            "rpc_find_composes_by_product_version_rpm",
            "Composes of the releases of a product version with the RPMs of that name",
            ["product_version", "rpm_name"],
            ", `latest` (only the newest compose).",
        ),
        (
            "/rest_api/v1/rpc/find-older-compose-by-compose-rpm/{compose_id}/{rpm_name}/",
            "rpc_find_older_compose_by_compose_rpm",
            "The newest older compose with another version of the RPM",
            ["compose_id", "rpm_name"],
            ". 404 when there is none.",
        ),
    ] {
        paths.add_path_operation(
            path,
            vec![HttpMethod::Get],
            read_operation(
                id,
                summary,
                &format!("{common}{extra}"),
                &params,
                &[400, 404, 406],
            ),
        );
    }
}
