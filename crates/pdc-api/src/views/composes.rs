//! `composes/`: the engine lists and retrieves; PATCH (single and bulk)
//! and DELETE (a soft delete, single and bulk) are PDC's own views.

use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use pdc_core::fields::truthy;
use pdc_core::{Error, Result, pyrepr};
use pdc_db::resources::composes::{self, COMPOSES, Composes, compose_pk};
use pdc_db::{Resource, Spec};
use serde_json::{Map, Value};

use crate::App;
use crate::auth::Identity;
use crate::engine::{
    Call, WriteTx, allow_header, body_value, delete_ids, detail_route, item_error, key_text,
    list_route, make_call, method_not_allowed,
};
use crate::error::error_response;
use crate::http::{empty_response, json_response, set_header};
use crate::registry::{Entry, engine};

const METHODS: [Method; 5] = [
    Method::GET,
    Method::HEAD,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

const LIST: &str = "/rest_api/v1/composes/";
const DETAIL: &str = "/rest_api/v1/composes/{k0}/";

pub fn entries() -> Vec<Entry> {
    let mut entry = engine::<Composes>();
    entry.routes = |r| r.route(LIST, any(list)).route(DETAIL, any(detail));
    vec![entry]
}

fn known(spec: &'static Spec) -> impl Fn(&str) -> bool {
    move |k| spec.filter(k).is_some() || spec.extra_params.contains(&k)
}

fn finish(result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(&METHODS));
    resp
}

async fn list(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    if !matches!(*req.method(), Method::PATCH | Method::PUT | Method::DELETE) {
        return list_route::<Composes>(State(app), Extension(identity), req).await;
    }
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        async {
            if parts.method == Method::PUT {
                // PUT passes the checks of the bulk form, then each item is refused.
                call.precheck_view(COMPOSES.prefix, &[Method::PUT], Some(known(&COMPOSES)))
                    .await?;
                return bulk_put(body_value(&parts, body).await?);
            }
            call.precheck_view(COMPOSES.prefix, &METHODS, Some(known(&COMPOSES)))
                .await?;
            let body = body_value(&parts, body).await?;
            if parts.method == Method::PATCH {
                bulk_patch(&call, body).await
            } else {
                bulk_delete(&call, body).await
            }
        }
        .await,
    )
}

async fn detail(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    if !matches!(*req.method(), Method::PATCH | Method::DELETE) {
        return detail_route::<Composes>(State(app), Extension(identity), Path(key), req).await;
    }
    let (parts, body) = req.into_parts();
    let call = make_call(&app, &identity, &parts);
    finish(
        async {
            call.precheck_view(COMPOSES.prefix, &METHODS, Some(known(&COMPOSES)))
                .await?;
            let mut tx = call.begin().await?;
            let resp = if parts.method == Method::PATCH {
                let body = body_value(&parts, body).await?;
                if !body.as_ref().is_some_and(truthy) {
                    return Err(Error::empty_patch(true));
                }
                let value = patch_one(&call, &mut tx, &key[0], &body.unwrap_or_default()).await?;
                json_response(StatusCode::OK, &value)
            } else {
                let mut resp = empty_response(StatusCode::NO_CONTENT);
                if !delete_one(&call, &mut tx, &key[0]).await? {
                    set_header(
                        &mut resp,
                        "pdc-warning",
                        "No change. This compose was marked as deleted already.",
                    );
                }
                resp
            };
            tx.commit().await?;
            Ok(resp)
        }
        .await,
    )
}

async fn patch_one(
    call: &Call<'_>,
    tx: &mut WriteTx,
    compose_id: &str,
    body: &Value,
) -> Result<Value> {
    let pk = compose_pk(tx.conn(), compose_id).await?;
    // PDC sets the trees before it looks the compose up.
    composes::patch(&mut tx.writer(&call.ctx), pk, compose_id, body).await?;
    let pk = pk.ok_or_else(Error::not_found)?;
    let mut value = Composes::fetch(tx.conn(), &call.ctx, &[pk])
        .await?
        .pop()
        .unwrap_or_default();
    call.selection(&COMPOSES)?.apply(&mut value)?;
    Ok(value)
}

/// Soft-deletes one compose; false when it was deleted already.
async fn delete_one(call: &Call<'_>, tx: &mut WriteTx, compose_id: &str) -> Result<bool> {
    let pk = compose_pk(tx.conn(), compose_id)
        .await?
        .ok_or_else(Error::not_found)?;
    composes::soft_delete(&mut tx.writer(&call.ctx), pk).await
}

/// The keys of a bulk mapping in the order PDC (a Python 2 dict) walks them.
fn bulk_keys(map: &Map<String, Value>) -> Vec<String> {
    let keys: Vec<&String> = map.keys().collect();
    pyrepr::py2_iter(&keys)
        .into_iter()
        .map(str::to_string)
        .collect()
}

async fn bulk_patch(call: &Call<'_>, body: Option<Value>) -> Result<Response> {
    let Some(Value::Object(changes)) = body else {
        return Err(Error::bad_request("Bulk update needs a mapping."));
    };
    if changes.is_empty() {
        return Err(Error::empty_patch(false));
    }
    let mut tx = call.begin().await?;
    let mut done = Vec::new();
    for key in bulk_keys(&changes) {
        let change = &changes[&key];
        let result = async {
            if !truthy(change) {
                return Err(Error::empty_patch(false));
            }
            patch_one(call, &mut tx, &key, change).await
        }
        .await;
        let value =
            result.map_err(|e| item_error(e, Value::String(key.to_string()), Some(change)))?;
        done.push((key, value));
    }
    tx.commit().await?;
    let keys: Vec<&str> = done.iter().map(|(k, _)| k.as_str()).collect();
    let order = pyrepr::py2_iter(&keys);
    let out: Map<String, Value> = order
        .into_iter()
        .filter_map(|k| done.iter().find(|(key, _)| key == k))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

fn bulk_put(body: Option<Value>) -> Result<Response> {
    let Some(Value::Object(changes)) = body else {
        return Err(Error::bad_request("Bulk update needs a mapping."));
    };
    match bulk_keys(&changes).first() {
        Some(key) => Err(item_error(
            method_not_allowed(&Method::PUT),
            Value::String(key.to_string()),
            Some(&changes[key.as_str()]),
        )),
        None => Ok(json_response(StatusCode::OK, &Value::Object(Map::new()))),
    }
}

async fn bulk_delete(call: &Call<'_>, body: Option<Value>) -> Result<Response> {
    let ids = delete_ids(body)?;
    let mut tx = call.begin().await?;
    for id in ids {
        delete_one(call, &mut tx, &key_text(&id))
            .await
            .map_err(|e| item_error(e, id.clone(), None))?;
    }
    tx.commit().await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
