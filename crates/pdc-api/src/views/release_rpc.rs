//! `rpc/release/clone/`, `rpc/release/clone-components/` and
//! `rpc/release/import-from-composeinfo/`.

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use pdc_core::productmd::composeinfo::ComposeInfo;
use pdc_core::{Error, Result};
use pdc_db::resources::release_rpc::{self, CLONE_EXTRA_KEYS};
use pdc_db::resources::releases::{RELEASES, fetch_releases};
use serde_json::{Value, json};
use utoipa::openapi::Paths;

use crate::App;
use crate::auth::Identity;
use crate::engine::{allow_header, body_value, check_body_keys, make_call};
use crate::error::error_response;
use crate::http::{json_response, set_header};
use crate::openapi::{Doc, rpc_operation};
use crate::query::Selection;
use crate::registry::{Entry, RootLink};

const POST_ONLY: [Method; 2] = [Method::POST, Method::OPTIONS];

pub fn entries() -> Vec<Entry> {
    vec![
        Entry {
            prefix: "rpc/release/clone",
            actions: vec!["create"],
            root: RootLink::List,
            routes: |r| r.route("/rest_api/v1/rpc/release/clone/", any(clone)),
            patterns: vec!["/rest_api/v1/rpc/release/clone/".into()],
            doc: Doc::Custom(clone_docs),
        },
        Entry {
            prefix: "rpc/release/clone-components",
            actions: vec!["create"],
            root: RootLink::List,
            routes: |r| {
                r.route(
                    "/rest_api/v1/rpc/release/clone-components/",
                    any(clone_components),
                )
            },
            patterns: vec!["/rest_api/v1/rpc/release/clone-components/".into()],
            doc: Doc::Custom(clone_components_docs),
        },
        Entry {
            prefix: "rpc/release/import-from-composeinfo",
            actions: vec!["create"],
            root: RootLink::List,
            routes: |r| {
                r.route(
                    "/rest_api/v1/rpc/release/import-from-composeinfo/",
                    any(import),
                )
            },
            patterns: vec!["/rest_api/v1/rpc/release/import-from-composeinfo/".into()],
            doc: Doc::Custom(import_docs),
        },
    ]
}

fn finish(result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(&POST_ONLY));
    resp
}

async fn clone(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        async {
            call.precheck_rpc("rpc/release/clone", &POST_ONLY, true)
                .await?;
            let body = match body_value(&parts, body).await? {
                None => serde_json::Map::new(),
                Some(Value::Object(m)) => m,
                Some(_) => return Err(Error::bad_request("too many values to unpack")),
            };
            if body.contains_key("old_release_id") {
                let mut fields_only = body.clone();
                fields_only.retain(|k, _| !CLONE_EXTRA_KEYS.contains(&k.as_str()));
                check_body_keys(&RELEASES, &fields_only, &Selection::default())?;
            }
            let mut tx = call.begin().await?;
            let pk = release_rpc::clone_release(&mut tx.writer(&call.ctx), body).await?;
            let value = fetch_releases(tx.conn(), &[pk])
                .await?
                .pop()
                .unwrap_or(Value::Null);
            tx.commit().await?;
            Ok(json_response(StatusCode::CREATED, &value))
        }
        .await,
    )
}

async fn clone_components(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        async {
            call.precheck_rpc("rpc/release/clone-components", &POST_ONLY, true)
                .await?;
            let body = match body_value(&parts, body).await? {
                None => serde_json::Map::new(),
                Some(Value::Object(m)) => m,
                Some(_) => return Err(Error::bad_request("Missing source_release_id")),
            };
            let mut tx = call.begin().await?;
            let target =
                release_rpc::clone_release_components(&mut tx.writer(&call.ctx), &body).await?;
            tx.commit().await?;
            let url = call.ctx.api_url("release-components/");
            Ok(json_response(
                StatusCode::CREATED,
                &json!({"url": format!("{url}?release={target}")}),
            ))
        }
        .await,
    )
}

async fn import(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        async {
            call.precheck_rpc("rpc/release/import-from-composeinfo", &POST_ONLY, true)
                .await?;
            let data = match body_value(&parts, body).await? {
                Some(v) if pdc_core::fields::truthy(&v) => v,
                _ => return Err(Error::bad_request("Missing composeinfo")),
            };
            let ci = ComposeInfo::parse(&data)?;
            let mut tx = call.begin().await?;
            let release_id =
                release_rpc::import_composeinfo(&mut tx.writer(&call.ctx), &ci).await?;
            tx.commit().await?;
            Ok(json_response(
                StatusCode::CREATED,
                &json!({"url": format!("/rest_api/v1/releases/{release_id}/")}),
            ))
        }
        .await,
    )
}

fn clone_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/rpc/release/clone/",
        vec![utoipa::openapi::path::HttpMethod::Post],
        rpc_operation(
            "rpc_release_clone",
            "Clone a release with its variants, arches and components",
            "Body: `old_release_id` (required), any writable release field to override the copied values, \
             optional `include_trees` (list of `Variant.arch`), `include_inactive`, `component_dist_git_branch`. \
             Answers 201 with the new release.",
            "The new release.",
            &[400, 401, 403, 404, 405, 406, 409, 415],
        ),
    );
}

fn clone_components_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/rpc/release/clone-components/",
        vec![utoipa::openapi::path::HttpMethod::Post],
        rpc_operation(
            "rpc_release_clone_components",
            "Clone the components of a release into another release",
            "Body: `source_release_id` and `target_release_id` (both required, existing; the target \
             active), optional `component_dist_git_branch` (given to every copy) and \
             `include_inactive` (default true). Release components with their contacts, component \
             groups and relationships are copied. Answers 201 with \
             `{\"url\": <release-components/?release=target>}`.",
            "The URL listing the target's components.",
            &[400, 401, 403, 404, 405, 406, 415],
        ),
    );
}

fn import_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/rpc/release/import-from-composeinfo/",
        vec![utoipa::openapi::path::HttpMethod::Post],
        rpc_operation(
            "rpc_release_import_from_composeinfo",
            "Create the release, products and variants a productmd composeinfo.json describes",
            "Body: the composeinfo JSON document (formats 0.3 and 1.x). Idempotent: existing objects are \
             kept. Answers 201 with `{\"url\": \"/rest_api/v1/releases/<release_id>/\"}`.",
            "`{\"url\": ...}` of the release.",
            &[400, 401, 403, 404, 405, 406, 415],
        ),
    );
}
