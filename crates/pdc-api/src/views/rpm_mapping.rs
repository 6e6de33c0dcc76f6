//! RPM mappings of composes and releases, RPM overrides (`overrides/rpm/`,
//! whose bulk DELETE can also clear a release) and their clone RPC.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use pdc_core::{Error, Result, pydict, pyrepr};
use pdc_db::DbResultExt;
use pdc_db::resources::composes::compose_pk;
use pdc_db::resources::overrides::{
    self, OVERRIDES_RPM, OverridesRpm, apply_changes, check_actions, latest_compose,
    mapping_shape_ok, rpm_mapping,
};
use serde_json::{Map, Value, json};
use utoipa::openapi::Paths;
use utoipa::openapi::path::HttpMethod;

use crate::App;
use crate::auth::Identity;
use crate::engine::{
    Call, WriteTx, allow_header, body_value, item_error, list_route, make_call, method_not_allowed,
};
use crate::error::error_response;
use crate::http::{empty_response, json_response, set_header};
use crate::openapi::{Doc, read_operation, rpc_operation};
use crate::query;
use crate::registry::{Entry, RootLink, engine, resource_name};

const MAPPING_PREFIX: &str = "composes/{compose_id}/rpm-mapping";
const MAPPING_LIST: &str = "/rest_api/v1/composes/{k0}/rpm-mapping/";
const MAPPING_DETAIL: &str = "/rest_api/v1/composes/{k0}/rpm-mapping/{k1}/";
const RELEASE_PREFIX: &str = "releases/{release_id}/rpm-mapping";
const RELEASE_DETAIL: &str = "/rest_api/v1/releases/{k0}/rpm-mapping/{k1}/";
const CLONE_PREFIX: &str = "rpc/overrides-rpm/clone";
const CLONE: &str = "/rest_api/v1/rpc/overrides-rpm/clone/";
const OVERRIDES_LIST: &str = "/rest_api/v1/overrides/rpm/";

const MAPPING_LIST_METHODS: [Method; 3] = [Method::PUT, Method::PATCH, Method::OPTIONS];
const MAPPING_METHODS: [Method; 5] = [
    Method::GET,
    Method::HEAD,
    Method::PUT,
    Method::PATCH,
    Method::OPTIONS,
];
const READ_METHODS: [Method; 3] = [Method::GET, Method::HEAD, Method::OPTIONS];
const POST_ONLY: [Method; 2] = [Method::POST, Method::OPTIONS];

pub fn entries() -> Vec<Entry> {
    let mut overrides = engine::<OverridesRpm>();
    // The list URL goes through `overrides_list`; the detail URL stays the engine's.
    overrides.routes = |r| {
        r.route(OVERRIDES_LIST, any(overrides_list)).route(
            "/rest_api/v1/overrides/rpm/{k0}/",
            any(crate::engine::detail_route::<OverridesRpm>),
        )
    };
    vec![
        Entry {
            prefix: MAPPING_PREFIX,
            actions: vec!["read", "update"],
            root: RootLink::Detail("{package}/"),
            routes: |r| {
                r.route(MAPPING_LIST, any(mapping_list))
                    .route(MAPPING_DETAIL, any(mapping_detail))
            },
            patterns: vec![MAPPING_LIST.into(), MAPPING_DETAIL.into()],
            doc: Doc::Custom(mapping_docs),
        },
        Entry {
            prefix: RELEASE_PREFIX,
            actions: vec!["read"],
            root: RootLink::Detail("{package}/"),
            routes: |r| r.route(RELEASE_DETAIL, any(release_mapping)),
            patterns: vec![RELEASE_DETAIL.into()],
            doc: Doc::Custom(release_docs),
        },
        overrides,
        Entry {
            prefix: CLONE_PREFIX,
            actions: vec!["create"],
            root: RootLink::List,
            routes: |r| r.route(CLONE, any(clone)),
            patterns: vec![CLONE.into()],
            doc: Doc::Custom(clone_docs),
        },
    ]
}

fn finish(methods: &[Method], result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(methods));
    resp
}

fn param_given(call: &Call<'_>, name: &str) -> bool {
    query::last(&call.pairs, name).is_some_and(|v| !v.is_empty())
}

/// The compose and the release it was built for.
async fn compose_and_release(tx: &mut WriteTx, compose_id: &str) -> Result<(i64, i64)> {
    let pk = compose_pk(tx.conn(), compose_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let release = sqlx::query_scalar!("SELECT release_pk FROM compose WHERE id = $1", pk)
        .fetch_one(tx.conn())
        .await
        .db()?;
    Ok((pk, release))
}

/// PUT of one package's wanted mapping: the actions, applied with `perform`.
async fn put_one(
    call: &Call<'_>,
    tx: &mut WriteTx,
    compose_id: &str,
    package: &str,
    body: &Value,
) -> Result<Value> {
    let (pk, release) = compose_and_release(tx, compose_id).await?;
    if !mapping_shape_ok(body, 4) {
        return Err(Error::bad_request(
            "The parameters' format for updating is wrong. Please read API documentation",
        ));
    }
    let mapping = rpm_mapping(tx.conn(), Some(pk), release, package, false).await?;
    let changes = mapping.changes(body);
    if param_given(call, "perform") {
        let maps: Vec<Map<String, Value>> = changes
            .iter()
            .filter_map(|c| c.as_object().cloned())
            .collect();
        apply_changes(&mut tx.writer(&call.ctx), release, &maps).await?;
    }
    Ok(Value::Array(changes))
}

async fn mapping_detail(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    let (compose_id, package) = (key[0].as_str(), key[1].as_str());
    let result = async {
        call.precheck_view(
            &resource_name(MAPPING_PREFIX),
            &MAPPING_METHODS,
            Some(|k: &str| k == "disable_overrides" || k == "perform"),
        )
        .await?;
        if parts.method == Method::OPTIONS {
            return Ok(empty_response(StatusCode::OK));
        }
        let body = body_value(&parts, body).await?;
        let mut tx = call.begin().await?;
        let resp = match parts.method {
            Method::GET | Method::HEAD => {
                let (pk, release) = compose_and_release(&mut tx, compose_id).await?;
                let disabled = param_given(&call, "disable_overrides");
                let mapping = rpm_mapping(tx.conn(), Some(pk), release, package, disabled).await?;
                json_response(StatusCode::OK, &mapping.pure())
            }
            Method::PUT => {
                let body = body.unwrap_or_else(|| json!({}));
                let changes = put_one(&call, &mut tx, compose_id, package, &body).await?;
                json_response(StatusCode::OK, &changes)
            }
            _ => {
                let actions = check_actions(&body.unwrap_or_else(|| json!({})))?;
                let (_, release) = compose_and_release(&mut tx, compose_id).await?;
                apply_changes(&mut tx.writer(&call.ctx), release, &actions).await?;
                empty_response(StatusCode::NO_CONTENT)
            }
        };
        // A GET may delete useless overrides (unlogged), as PDC's does.
        tx.commit().await?;
        Ok(resp)
    }
    .await;
    finish(&MAPPING_METHODS, result)
}

/// Bulk PUT/PATCH `{package: mapping}`: the PUT logic for each package.
async fn mapping_list(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    let result = async {
        call.precheck_view(
            &resource_name(MAPPING_PREFIX),
            &MAPPING_LIST_METHODS,
            Some(|k: &str| k == "disable_overrides" || k == "perform"),
        )
        .await?;
        if parts.method == Method::OPTIONS {
            return Ok(empty_response(StatusCode::OK));
        }
        let Some(Value::Object(items)) = body_value(&parts, body).await? else {
            return Err(Error::bad_request("Bulk update needs a mapping."));
        };
        if parts.method == Method::PATCH && items.is_empty() {
            return Err(Error::empty_patch(false));
        }
        let mut tx = call.begin().await?;
        let keys: Vec<&String> = items.keys().collect();
        let order: Vec<String> = pyrepr::py2_iter(&keys)
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut out = Map::new();
        for package in &order {
            let data = &items[package.as_str()];
            let changes = put_one(&call, &mut tx, &key[0], package, data)
                .await
                .map_err(|e| item_error(e, Value::String(package.clone()), Some(data)))?;
            out.insert(package.clone(), changes);
        }
        tx.commit().await?;
        let keys: Vec<&str> = out.keys().map(String::as_str).collect();
        let ordered: Map<String, Value> = pydict::order(&keys, 1)
            .into_iter()
            .map(|k| (k.to_string(), out[k].clone()))
            .collect();
        Ok(json_response(StatusCode::OK, &Value::Object(ordered)))
    }
    .await;
    finish(&MAPPING_LIST_METHODS, result)
}

/// `releases/{release_id}/rpm-mapping/{package}/`: the mapping of the
/// release's latest compose, with the release's variants and overrides.
async fn release_mapping(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    let (release_id, package) = (key[0].as_str(), key[1].as_str());
    let result = async {
        call.precheck_view(
            &resource_name(RELEASE_PREFIX),
            &READ_METHODS,
            Some(|k: &str| k == "disable_overrides"),
        )
        .await?;
        if parts.method == Method::OPTIONS {
            return Ok(empty_response(StatusCode::OK));
        }
        let mut tx = call.begin().await?;
        let release =
            sqlx::query_scalar!("SELECT id FROM release WHERE release_id = $1", release_id)
                .fetch_optional(tx.conn())
                .await
                .db()?
                .ok_or_else(Error::not_found)?;
        let compose = latest_compose(tx.conn(), release).await?;
        let disabled = param_given(&call, "disable_overrides");
        let mapping = rpm_mapping(
            tx.conn(),
            compose.as_ref().map(|c| c.0),
            release,
            package,
            disabled,
        )
        .await?;
        tx.commit().await?;
        let pure = mapping.pure();
        if pure.as_object().is_some_and(|m| !m.is_empty()) {
            return Ok(json_response(
                StatusCode::OK,
                &json!({"compose": compose.map(|c| c.1), "mapping": pure}),
            ));
        }
        Err(Error::detail(
            404,
            format!("Package {package} not present in release {release_id}"),
        ))
    }
    .await;
    finish(&READ_METHODS, result)
}

/// The list URL of `overrides/rpm/`: the engine's, except a bulk DELETE
/// with an object body, which clears a release's overrides.
async fn overrides_list(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    if req.method() != Method::DELETE {
        return list_route::<OverridesRpm>(State(app), Extension(identity), req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, 256 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return error_response(Error::bad_request("Request body unreadable.")),
    };
    let parsed = crate::engine::read_json_body(&parts.headers, &bytes);
    match parsed {
        Ok(Some(Value::Array(_))) | Err(_) => {
            let req = Request::from_parts(parts, Body::from(bytes));
            list_route::<OverridesRpm>(State(app), Extension(identity), req).await
        }
        Ok(other) => {
            let call = make_call(&app, &identity, &parts);
            let methods = [
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::DELETE,
                Method::OPTIONS,
            ];
            let result = async {
                call.precheck_view(
                    OVERRIDES_RPM.prefix,
                    &methods,
                    Some(|k: &str| OVERRIDES_RPM.filter(k).is_some()),
                )
                .await?;
                let Some(Value::Object(body)) = other else {
                    return Err(Error::status(
                        400,
                        json!(["Bulk delete expects either a list or object."]),
                    ));
                };
                let mut tx = call.begin().await?;
                let deleted = overrides::clear(&mut tx.writer(&call.ctx), &body).await?;
                tx.commit().await?;
                Ok(json_response(StatusCode::OK, &Value::Array(deleted)))
            }
            .await;
            finish(&methods, result)
        }
    }
}

async fn clone(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    let result = async {
        call.precheck_rpc(CLONE_PREFIX, &POST_ONLY, true).await?;
        if parts.method == Method::OPTIONS {
            return Ok(empty_response(StatusCode::OK));
        }
        let body = match body_value(&parts, body).await? {
            Some(Value::Object(m)) => m,
            None => Map::new(),
            Some(_) => return Err(method_not_allowed(&parts.method)),
        };
        let mut tx = call.begin().await?;
        let (status, value) = overrides::clone(&mut tx.writer(&call.ctx), &body).await?;
        tx.commit().await?;
        Ok(json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            &value,
        ))
    }
    .await;
    finish(&POST_ONLY, result)
}

fn mapping_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/composes/{compose_id}/rpm-mapping/{package}/",
        vec![HttpMethod::Get],
        read_operation(
            "compose_rpm_mapping",
            "RPM mapping of a package (SRPM name) in a compose",
            "`{variant: {arch: {rpm_name: [rpm_arch]}}}` over the variants and arches of the compose's \
             release, with the release's overrides applied unless `disable_overrides` is given. \
             PUT takes a wanted mapping and answers the override actions that would produce it \
             (saved with `perform`); PATCH applies a list of actions (204).",
            &["compose_id", "package"],
            &[400, 404, 406],
        ),
    );
    for (path, id) in [
        (
            "/rest_api/v1/composes/{compose_id}/rpm-mapping/{package}/",
            "compose_rpm_mapping_update",
        ),
        (
            "/rest_api/v1/composes/{compose_id}/rpm-mapping/",
            "compose_rpm_mapping_bulk_update",
        ),
    ] {
        // One operation per method: operation ids must be unique.
        for (method, verb) in [(HttpMethod::Put, "put"), (HttpMethod::Patch, "patch")] {
            paths.add_path_operation(
            path,
            vec![method],
            rpc_operation(
                &format!("{id}_{verb}"),
                "Change RPM mappings through overrides",
                "PUT: wanted mapping (bulk: `{package: mapping}`), answers the actions. PATCH: list of \
                 actions `{action, variant, arch, srpm_name, rpm_name, rpm_arch, comment, do_not_delete, \
                 include (create only)}`.",
                "The actions, or nothing (204).",
                &[400, 401, 403, 404, 405, 406, 415],
            ),
        );
        }
    }
}

fn release_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/releases/{release_id}/rpm-mapping/{package}/",
        vec![HttpMethod::Get],
        read_operation(
            "release_rpm_mapping",
            "RPM mapping of a package in the latest compose of a release",
            "`{\"compose\": compose_id or null, \"mapping\": {...}}` with the release's variants and \
             overrides; 404 when the package has no mapping.",
            &["release_id", "package"],
            &[400, 404, 406],
        ),
    );
}

fn clone_docs(paths: &mut Paths) {
    paths.add_path_operation(
        CLONE,
        vec![HttpMethod::Post],
        rpc_operation(
            "rpc_overrides_rpm_clone",
            "Copy RPM overrides from one release to another",
            "Body: `source_release_id`, `target_release_id`, optional `variant`, `arch`, `srpm_name`, \
             `rpm_name`, `rpm_arch` filters. Answers 201 with the new overrides, 200 when all exist.",
            "The new overrides.",
            &[400, 401, 403, 404, 405, 406, 415],
        ),
    );
}
