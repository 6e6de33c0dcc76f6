//! `global-components/{instance_pk}/labels/`: the labels attached to one
//! global component. The list is the engine's (scoped to the component);
//! POST attaches an existing label by name, DELETE detaches one by id;
//! PUT and PATCH are refused.

use axum::Extension;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use pdc_core::error::FieldErrors;
use pdc_core::fields::{py_str, reject_unknown, truthy};
use pdc_core::{Error, Result, pyrepr};
use pdc_db::list::{self, Scope};
use pdc_db::resources::common::Labels;
use pdc_db::resources::global_components::{
    GLOBAL_COMPONENT_LABELS, LABELS_OF, component_id, is_attached, label_by_name, set_label,
};
use pdc_db::{DbResultExt, Resource};
use serde_json::{Map, Value};

use crate::App;
use crate::auth::Identity;
use crate::engine::{
    Call, WriteTx, allow_header, as_object, body_value, delete_ids, item_error, key_text,
    list_response, make_call, method_not_allowed, object_body, options, writable,
};
use crate::error::error_response;
use crate::http::{empty_response, json_response, set_header};
use crate::openapi::Doc;
use crate::registry::{Entry, RootLink, resource_name};

const LIST: &str = "/rest_api/v1/global-components/{k0}/labels/";
const DETAIL: &str = "/rest_api/v1/global-components/{k0}/labels/{k1}/";

const LIST_METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];
const DETAIL_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// Keys of the label representation, accepted (and ignored but `name`) on POST.
const LABEL_KEYS: [&str; 3] = ["url", "name", "description"];

pub fn entries() -> Vec<Entry> {
    vec![Entry {
        prefix: GLOBAL_COMPONENT_LABELS.prefix,
        actions: vec!["create", "read", "update", "delete"],
        root: RootLink::List,
        routes: |r| r.route(LIST, any(labels)).route(DETAIL, any(labels)),
        patterns: vec![LIST.into(), DETAIL.into()],
        doc: Doc::Engine(&GLOBAL_COMPONENT_LABELS),
    }]
}

fn finish(methods: &[Method], result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(methods));
    resp
}

async fn precheck(call: &Call<'_>, methods: &[Method]) -> Result<()> {
    let spec = &GLOBAL_COMPONENT_LABELS;
    call.precheck_view(
        &resource_name(spec.prefix),
        methods,
        Some(|k: &str| spec.filter(k).is_some()),
    )
    .await
}

/// Python's `int()` of a URL segment, as the view's model lookups need it
/// (a `ValueError` is a 400 there).
fn int_key(raw: &str) -> Result<i64> {
    raw.trim().parse().map_err(|_| {
        Error::bad_request(format!(
            "invalid literal for int() with base 10: {}",
            pyrepr::str_repr(raw)
        ))
    })
}

/// The component of a write URL: 400 for a non-number, 404 for no such one.
async fn write_component(conn: &mut sqlx::PgConnection, raw: &str) -> Result<i64> {
    let id = int_key(raw)?;
    component_id(conn, &id.to_string())
        .await?
        .ok_or_else(Error::not_found)
}

async fn label_value(call: &Call<'_>, conn: &mut sqlx::PgConnection, label: i64) -> Result<Value> {
    let mut value = Labels::fetch(conn, &call.ctx, &[label])
        .await?
        .pop()
        .ok_or_else(Error::not_found)?;
    call.selection(&GLOBAL_COMPONENT_LABELS)?
        .apply(&mut value)?;
    Ok(value)
}

/// POST of one `{"name": ...}`: attaches the label (once) and returns it.
async fn attach(
    call: &Call<'_>,
    tx: &mut WriteTx,
    component: &str,
    body: &Map<String, Value>,
) -> Result<Value> {
    reject_unknown(body, |k| LABEL_KEYS.contains(&k))?;
    let Some(name) = body.get("name").filter(|v| truthy(v)) else {
        let mut errors = FieldErrors::new();
        errors.add("name", "This field is required.");
        return Err(Error::fields(errors));
    };
    let label = label_by_name(tx.conn(), &py_str(name))
        .await?
        .ok_or_else(Error::not_found)?;
    let component = write_component(tx.conn(), component).await?;
    if !is_attached(tx.conn(), component, label).await? {
        set_label(&mut tx.writer(&call.ctx), component, label, true).await?;
    }
    label_value(call, tx.conn(), label).await
}

/// DELETE of one label id: 404 unless the label exists and is attached.
async fn detach(call: &Call<'_>, tx: &mut WriteTx, component: &str, label: &str) -> Result<()> {
    let label_id = int_key(label)?;
    if pdc_db::resource::lookup_by_id(tx.conn(), "label", &[label_id.to_string()])
        .await?
        .is_none()
    {
        return Err(Error::not_found());
    }
    let component_pk = write_component(tx.conn(), component).await?;
    if !is_attached(tx.conn(), component_pk, label_id).await? {
        return Err(Error::detail(
            404,
            format!(
                "Can not be deleted since Label[{label}] is not in GlobalComponent[{component}]."
            ),
        ));
    }
    set_label(&mut tx.writer(&call.ctx), component_pk, label_id, false).await
}

/// Any valid body but an empty one: PUT and PATCH are not supported.
fn refuse_update(method: &Method, body: Option<Value>, detail: bool) -> Result<Response> {
    if *method == Method::PATCH && !body.as_ref().is_some_and(truthy) {
        return Err(Error::empty_patch(detail));
    }
    Err(method_not_allowed(method))
}

async fn list(call: &Call<'_>, component: &str) -> Result<Response> {
    let mut conn = call.app.pool.acquire().await.db()?;
    let id = component_id(&mut conn, component)
        .await?
        .ok_or_else(Error::not_found)?;
    drop(conn);
    let scope = Scope { sql: LABELS_OF, id };
    list_response::<Labels>(call, &GLOBAL_COMPONENT_LABELS, Some(scope)).await
}

/// POST of one label name, or of an array of them (all or nothing).
async fn create(call: &Call<'_>, component: &str, body: Option<Value>) -> Result<Response> {
    let mut tx = call.begin().await?;
    let answer = match body {
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let result = match as_object(item) {
                    Ok(body) => attach(call, &mut tx, component, body).await,
                    Err(e) => Err(e),
                };
                out.push(result.map_err(|e| item_error(e, Value::from(i), Some(item)))?);
            }
            Value::Array(out)
        }
        other => attach(call, &mut tx, component, &object_body(other)?).await?,
    };
    tx.commit().await?;
    Ok(json_response(StatusCode::CREATED, &answer))
}

/// What a DELETE names: one label id, or the body of a bulk delete.
enum Doomed<'a> {
    One(&'a str),
    Many(Option<Value>),
}

async fn destroy(call: &Call<'_>, component: &str, doomed: Doomed<'_>) -> Result<Response> {
    let mut tx = call.begin().await?;
    match doomed {
        Doomed::One(label) => detach(call, &mut tx, component, label).await?,
        Doomed::Many(body) => {
            for id in delete_ids(body)? {
                detach(call, &mut tx, component, &key_text(&id))
                    .await
                    .map_err(|e| item_error(e, id.clone(), None))?;
            }
        }
    }
    tx.commit().await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

async fn retrieve(call: &Call<'_>, component: &str, label: &str) -> Result<Response> {
    let mut conn = call.app.pool.acquire().await.db()?;
    let spec = &GLOBAL_COMPONENT_LABELS;
    let found = match (
        component_id(&mut conn, component).await?,
        pdc_db::resource::numeric_key(&[label.to_string()]),
    ) {
        (Some(c), Some(l)) if is_attached(&mut conn, c, l).await? => Some(l),
        _ => None,
    };
    let label = found.ok_or_else(Error::not_found)?;
    if list::restricts(spec, &call.pairs)
        && !list::matches(&mut conn, spec, &call.pairs, label).await?
    {
        return Err(Error::not_found());
    }
    let value = label_value(call, &mut conn, label).await?;
    Ok(json_response(StatusCode::OK, &value))
}

/// Both URLs: `[instance_pk]` is the list, `[instance_pk, label_id]` a label.
async fn labels(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    if key.iter().any(|k| k.contains('.')) {
        return crate::router::unrouted(&parts.headers);
    }
    let call = make_call(&app, &identity, &parts);
    let (component, label) = (key[0].as_str(), key.get(1).map(String::as_str));
    let methods: &[Method] = match label {
        None => &LIST_METHODS,
        Some(_) => &DETAIL_METHODS,
    };
    let result = async {
        precheck(&call, methods).await?;
        match (&parts.method, label) {
            (&Method::GET | &Method::HEAD, None) => list(&call, component).await,
            (&Method::GET | &Method::HEAD, Some(label)) => retrieve(&call, component, label).await,
            (&Method::OPTIONS, _) => {
                let writable = writable(&call, GLOBAL_COMPONENT_LABELS.prefix, methods).await;
                Ok(options(
                    &GLOBAL_COMPONENT_LABELS,
                    label.is_some(),
                    &writable,
                ))
            }
            (&Method::POST, _) => create(&call, component, body_value(&parts, body).await?).await,
            (&Method::DELETE, None) => {
                let ids = body_value(&parts, body).await?;
                destroy(&call, component, Doomed::Many(ids)).await
            }
            (&Method::DELETE, Some(label)) => destroy(&call, component, Doomed::One(label)).await,
            (m, label) => refuse_update(m, body_value(&parts, body).await?, label.is_some()),
        }
    }
    .await;
    finish(methods, result)
}
