//! The two routes every engine resource gets: the list URL and the detail URL.

use axum::Extension;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use pdc_core::fields::Op;
use pdc_core::{Error, Result};
use pdc_db::list::Scope;
use pdc_db::resource::Created;
use pdc_db::{Ctx, DbResultExt, Resource, Spec, list};
use serde_json::{Value, json};

use super::body::{check_body_keys, object_body, read_json_body};
use super::bulk;
use super::meta::{self, accept_ok, allow_header, conditional, not_acceptable};
use super::tx::WriteTx;
use crate::App;
use crate::auth::{Identity, authorize};
use crate::error::error_response;
use crate::http::{base_url, empty_response, encode_sorted, header_str, json_response, set_header};
use crate::query::{self, Selection};
use pdc_core::fields::truthy;

/// Largest request body accepted (compose manifests use their own routes).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// Everything a handler needs to know about the request.
pub(crate) struct Call<'a> {
    pub app: &'a App,
    pub identity: &'a Identity,
    pub parts: &'a Parts,
    pub pairs: Vec<(String, String)>,
    pub ctx: Ctx,
}

impl Call<'_> {
    /// The checks of a special (non-engine) endpoint, in DRF's order:
    /// negotiation, permission, method, strict query parameters.
    pub async fn precheck_rpc(&self, prefix: &str, methods: &[Method], strict: bool) -> Result<()> {
        self.precheck_view(prefix, methods, strict.then_some(|_: &str| false))
            .await
    }

    /// As `precheck_rpc`, with the parameters `known` accepts besides the
    /// generic ones (`None`: no strict check).
    pub async fn precheck_view(
        &self,
        resource: &str,
        methods: &[Method],
        known: Option<impl Fn(&str) -> bool>,
    ) -> Result<()> {
        if !accept_ok(&self.parts.headers) {
            return Err(not_acceptable());
        }
        authorize(self.app, self.identity, resource, &self.parts.method).await?;
        if !methods.contains(&self.parts.method) {
            return Err(method_not_allowed(&self.parts.method));
        }
        match known {
            Some(known) => query::check_unknown(&self.pairs, known),
            None => Ok(()),
        }
    }

    pub fn selection(&self, spec: &Spec) -> Result<Selection> {
        let names: Vec<&str> = spec
            .fields
            .iter()
            .filter(|f| f.is_output())
            .map(|f| f.name)
            .collect();
        let nested = spec
            .fields
            .iter()
            .filter(|f| !f.nested.is_empty())
            .map(|f| (f.name, f.nested))
            .collect();
        Ok(Selection::parse(&self.pairs, &names)?.with_nested(nested))
    }

    pub fn comment(&self) -> Option<String> {
        header_str(&self.parts.headers, "pdc-change-comment").map(str::to_string)
    }

    pub async fn begin(&self) -> Result<WriteTx> {
        WriteTx::begin(self.app, self.identity, self.comment()).await
    }
}

/// Methods of the list URL (`detail == false`) or the detail URL.
fn methods(spec: &Spec, detail: bool) -> Vec<Method> {
    let a = spec.actions;
    let read = if detail { a.retrieve } else { a.list };
    let mut m = Vec::new();
    if read {
        m.extend([Method::GET, Method::HEAD]);
    }
    if a.create && !detail {
        m.push(Method::POST);
    }
    if a.update {
        m.push(Method::PUT);
    }
    if a.partial_update {
        m.push(Method::PATCH);
    }
    if a.destroy {
        m.push(Method::DELETE);
    }
    m.push(Method::OPTIONS);
    m
}

pub fn method_not_allowed(method: &Method) -> Error {
    Error::detail(405, format!("Method \"{method}\" not allowed."))
}

/// The checks every engine request goes through, in DRF's order:
/// negotiation, authentication (done by the middleware), permission,
/// method, strict query parameters.
async fn precheck(call: &Call<'_>, spec: &Spec, methods: &[Method]) -> Result<()> {
    if !accept_ok(&call.parts.headers) {
        return Err(not_acceptable());
    }
    authorize(call.app, call.identity, spec.prefix, &call.parts.method).await?;
    if !methods.contains(&call.parts.method) {
        return Err(method_not_allowed(&call.parts.method));
    }
    if !spec.strict_params {
        return Ok(());
    }
    query::check_unknown(&call.pairs, |k| {
        spec.filter(k).is_some() || spec.extra_params.contains(&k)
    })
}

/// The write methods of OPTIONS metadata the caller may use.
pub(crate) async fn writable(call: &Call<'_>, resource: &str, methods: &[Method]) -> Vec<Method> {
    let mut out = Vec::new();
    for m in [Method::PUT, Method::POST] {
        if methods.contains(&m)
            && authorize(call.app, call.identity, resource, &m)
                .await
                .is_ok()
        {
            out.push(m);
        }
    }
    out
}

/// Adds `Allow` and, for resources with conditional GET, the
/// `Last-Modified` computed before the request ran (Django's `condition`
/// decorator wraps every method, errors included).
fn finish(methods: &[Method], last_modified: Option<&str>, result: Result<Response>) -> Response {
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => error_response(e),
    };
    set_header(&mut resp, "allow", &allow_header(methods));
    if let Some(stamp) = last_modified {
        set_header(&mut resp, "last-modified", stamp);
    }
    resp
}

/// The resource's Last-Modified stamp, or the 304 answer to a GET/HEAD
/// whose `If-Modified-Since` is current.
async fn last_modified(app: &App, spec: &Spec, parts: &Parts) -> Result<Option<String>, Response> {
    match conditional(app, spec, &parts.headers).await {
        Ok(Ok(stamp)) => Ok(stamp),
        Ok(Err(not_modified)) if matches!(parts.method, Method::GET | Method::HEAD) => {
            Err(not_modified)
        }
        Ok(Err(not_modified)) => Ok(not_modified
            .headers()
            .get("last-modified")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)),
        Err(e) => Err(error_response(e)),
    }
}

pub(crate) fn make_call<'a>(app: &'a App, identity: &'a Identity, parts: &'a Parts) -> Call<'a> {
    Call {
        app,
        identity,
        parts,
        pairs: query::parse(parts.uri.query()),
        ctx: Ctx {
            base_url: base_url(&parts.headers),
            settings: app.db_settings.clone(),
        },
    }
}

pub(crate) async fn body_value(parts: &Parts, body: Body) -> Result<Option<Value>> {
    let bytes = to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| Error::bad_request("Request body too large or unreadable."))?;
    read_json_body(&parts.headers, &bytes)
}

/// `/rest_api/v1/<prefix>/`
pub async fn list_route<R: Resource>(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let spec = R::SPEC;
    let (parts, body) = req.into_parts();
    let methods = methods(spec, false);
    let stamp = match last_modified(&app, spec, &parts).await {
        Ok(stamp) => stamp,
        Err(not_modified) => return finish(&methods, None, Ok(not_modified)),
    };
    let call = make_call(&app, &identity, &parts);
    let result = async {
        precheck(&call, spec, &methods).await?;
        match parts.method {
            Method::GET | Method::HEAD => list::<R>(&call).await.map(|r| meta::caching(spec, r)),
            Method::OPTIONS => Ok(meta::options(
                spec,
                false,
                &writable(&call, spec.prefix, &methods).await,
            )),
            Method::POST => match body_value(&parts, body).await? {
                Some(Value::Array(items)) => bulk::create::<R>(&call, items).await,
                other => create::<R>(&call, object_body(other)?).await,
            },
            Method::PUT => {
                bulk::update::<R>(&call, body_value(&parts, body).await?, Op::Update).await
            }
            Method::PATCH => {
                bulk::update::<R>(&call, body_value(&parts, body).await?, Op::Patch).await
            }
            Method::DELETE => bulk::delete::<R>(&call, body_value(&parts, body).await?).await,
            _ => Err(method_not_allowed(&parts.method)),
        }
    }
    .await;
    finish(&methods, stamp.as_deref(), result)
}

/// `/rest_api/v1/<prefix>/<lookup...>/`
pub async fn detail_route<R: Resource>(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    Path(key): Path<Vec<String>>,
    req: Request,
) -> Response {
    let spec = R::SPEC;
    let (parts, body) = req.into_parts();
    if !spec.lookup_dots && key.iter().any(|k| k.contains('.')) {
        return crate::router::unrouted(&parts.headers);
    }
    let methods = methods(spec, true);
    let stamp = match last_modified(&app, spec, &parts).await {
        Ok(stamp) => stamp,
        Err(not_modified) => return finish(&methods, None, Ok(not_modified)),
    };
    let call = make_call(&app, &identity, &parts);
    let result = async {
        precheck(&call, spec, &methods).await?;
        match parts.method {
            Method::GET | Method::HEAD => retrieve::<R>(&call, &key)
                .await
                .map(|r| meta::caching(spec, r)),
            Method::OPTIONS => {
                // DRF shows PUT only for an object that exists.
                let mut conn = call.app.pool.acquire().await.db()?;
                let found = lookup::<R>(&mut conn, &key, &call.pairs).await.is_ok();
                let methods: Vec<Method> = methods
                    .iter()
                    .filter(|m| found || **m != Method::PUT)
                    .cloned()
                    .collect();
                Ok(meta::options(
                    spec,
                    true,
                    &writable(&call, spec.prefix, &methods).await,
                ))
            }
            Method::PUT => {
                let body = object_body(body_value(&parts, body).await?)?;
                update::<R>(&call, &key, body, Op::Update).await
            }
            Method::PATCH => {
                let body = body_value(&parts, body).await?;
                if !body.as_ref().is_some_and(truthy) {
                    return Err(Error::empty_patch(true));
                }
                update::<R>(&call, &key, object_body(body)?, Op::Patch).await
            }
            Method::DELETE => destroy::<R>(&call, &key).await,
            _ => Err(method_not_allowed(&parts.method)),
        }
    }
    .await;
    finish(&methods, stamp.as_deref(), result)
}

/// Fetches one representation by id.
pub(super) async fn fetch_one<R: Resource>(
    conn: &mut sqlx::PgConnection,
    ctx: &Ctx,
    id: i64,
) -> Result<Value> {
    R::fetch(conn, ctx, &[id])
        .await?
        .pop()
        .ok_or_else(|| Error::internal(format!("{} {id} vanished", R::SPEC.prefix)))
}

async fn list<R: Resource>(call: &Call<'_>) -> Result<Response> {
    list_response::<R>(call, R::SPEC, None).await
}

/// A page of `R` objects listed by `spec` (or all of them with
/// `page_size <= 0`); `scope` restricts a nested list to one parent.
pub(crate) async fn list_response<R: Resource>(
    call: &Call<'_>,
    spec: &Spec,
    scope: Option<Scope>,
) -> Result<Response> {
    list::validate(spec, &call.pairs)?;
    let selection = call.selection(spec)?;
    let mut conn = call.app.pool.acquire().await.db()?;
    let Some(size) = query::page_size(&call.pairs) else {
        let ids = list::ids(&mut conn, spec, &call.pairs, scope, None).await?;
        let mut items = R::fetch(&mut conn, &call.ctx, &ids).await?;
        items.iter_mut().try_for_each(|v| selection.apply(v))?;
        return Ok(json_response(StatusCode::OK, &Value::Array(items)));
    };
    let count = list::count(&mut conn, spec, &call.pairs, scope).await?;
    let pages = ((count + size - 1) / size).max(1);
    let page = query::page_number(&call.pairs, pages)?;
    let ids = if count == 0 {
        vec![]
    } else {
        list::ids(
            &mut conn,
            spec,
            &call.pairs,
            scope,
            Some((size, (page - 1) * size)),
        )
        .await?
    };
    let mut items = R::fetch(&mut conn, &call.ctx, &ids).await?;
    items.iter_mut().try_for_each(|v| selection.apply(v))?;
    let link = |n: i64| -> Value {
        let mut pairs: Vec<(String, String)> = call
            .pairs
            .iter()
            .filter(|(k, _)| k != "page")
            .cloned()
            .collect();
        if n > 1 {
            pairs.push(("page".into(), n.to_string()));
        }
        let query = encode_sorted(&pairs);
        let path = match call.parts.extensions.get::<crate::router::SuffixedPath>() {
            Some(suffixed) => suffixed.0.as_str(),
            None => call.parts.uri.path(),
        };
        if query.is_empty() {
            json!(format!("{}{path}", call.ctx.base_url))
        } else {
            json!(format!("{}{path}?{query}", call.ctx.base_url))
        }
    };
    let body = json!({
        "count": count,
        "next": if page < pages { link(page + 1) } else { Value::Null },
        "previous": if page > 1 { link(page - 1) } else { Value::Null },
        "results": items,
    });
    Ok(json_response(StatusCode::OK, &body))
}

/// The object a detail URL names, if the request's filters let it through
/// (DRF filters the queryset of single-lookup detail views; composite
/// lookups only get the queryset's own restrictions).
pub(super) async fn lookup<R: Resource>(
    conn: &mut sqlx::PgConnection,
    key: &[String],
    params: &[(String, String)],
) -> Result<i64> {
    let spec = R::SPEC;
    // A NUL cannot be stored, so it matches nothing (DRF's get_object_or_404
    // turns the driver's ValueError into a 404 too).
    if key.len() != spec.lookup.len() || key.iter().any(|k| k.contains('\0')) {
        return Err(Error::not_found());
    }
    let id = R::lookup(conn, key).await?.ok_or_else(Error::not_found)?;
    let params = if spec.lookup.len() == 1 { params } else { &[] };
    if list::restricts(spec, params) && !list::matches(conn, spec, params, id).await? {
        return Err(Error::not_found());
    }
    Ok(id)
}

async fn retrieve<R: Resource>(call: &Call<'_>, key: &[String]) -> Result<Response> {
    let mut conn = call.app.pool.acquire().await.db()?;
    let id = lookup::<R>(&mut conn, key, &call.pairs).await?;
    let mut value = fetch_one::<R>(&mut conn, &call.ctx, id).await?;
    call.selection(R::SPEC)?.apply(&mut value)?;
    Ok(json_response(StatusCode::OK, &value))
}

/// Creates (or, for get-or-create resources, finds) one object inside
/// `tx`, recording its change; returns its representation and the warning
/// of a found one.
pub(super) async fn create_in<R: Resource>(
    call: &Call<'_>,
    tx: &mut WriteTx,
    body: &serde_json::Map<String, Value>,
) -> Result<(Value, Option<&'static str>)> {
    check_body_keys(R::SPEC, body, &call.selection(R::SPEC)?)?;
    match R::create_or_find(&mut tx.writer(&call.ctx), body).await? {
        Created::New(id) => {
            let value = fetch_one::<R>(tx.conn(), &call.ctx, id).await?;
            let export = R::export(tx.conn(), &call.ctx, id, value.clone()).await?;
            tx.changes
                .add_object(R::SPEC.change_name, id, None, Some(&export));
            Ok((value, None))
        }
        Created::Existing { id, warning } => Ok((
            fetch_one::<R>(tx.conn(), &call.ctx, id).await?,
            Some(warning),
        )),
    }
}

/// Updates one object inside `tx`, recording its change.
pub(super) async fn update_in<R: Resource>(
    call: &Call<'_>,
    tx: &mut WriteTx,
    key: &[String],
    body: &serde_json::Map<String, Value>,
    op: Op,
) -> Result<Value> {
    let only = R::PATCH_ONLY;
    if op == Op::Patch && !only.is_empty() && body.keys().any(|k| !only.contains(&k.as_str())) {
        return Err(Error::bad_request(format!(
            "Only these properties can be updated: {}",
            only.join(", ")
        )));
    }
    let id = lookup::<R>(tx.conn(), key, &call.pairs).await?;
    check_body_keys(R::SPEC, body, &call.selection(R::SPEC)?)?;
    let old = fetch_one::<R>(tx.conn(), &call.ctx, id).await?;
    let old = R::export(tx.conn(), &call.ctx, id, old).await?;
    let id = R::update(&mut tx.writer(&call.ctx), id, body, op).await?;
    let new = fetch_one::<R>(tx.conn(), &call.ctx, id).await?;
    let export = R::export(tx.conn(), &call.ctx, id, new.clone()).await?;
    tx.changes
        .add_object(R::SPEC.change_name, id, Some(&old), Some(&export));
    Ok(new)
}

/// Deletes one object inside `tx`, recording its change.
pub(super) async fn delete_in<R: Resource>(
    call: &Call<'_>,
    tx: &mut WriteTx,
    key: &[String],
) -> Result<()> {
    let id = lookup::<R>(tx.conn(), key, &call.pairs).await?;
    let old = fetch_one::<R>(tx.conn(), &call.ctx, id).await?;
    let old = R::export(tx.conn(), &call.ctx, id, old).await?;
    R::delete(&mut tx.writer(&call.ctx), id).await?;
    tx.changes
        .add_object(R::SPEC.change_name, id, Some(&old), None);
    Ok(())
}

async fn create<R: Resource>(
    call: &Call<'_>,
    body: serde_json::Map<String, Value>,
) -> Result<Response> {
    let mut tx = call.begin().await?;
    let (mut value, found) = create_in::<R>(call, &mut tx, &body).await?;
    call.selection(R::SPEC)?.apply(&mut value)?;
    tx.commit().await?;
    Ok(match found {
        None => json_response(StatusCode::CREATED, &value),
        Some(warning) => {
            let mut resp = json_response(StatusCode::OK, &value);
            set_header(&mut resp, "pdc-warning", warning);
            resp
        }
    })
}

async fn update<R: Resource>(
    call: &Call<'_>,
    key: &[String],
    body: serde_json::Map<String, Value>,
    op: Op,
) -> Result<Response> {
    let mut tx = call.begin().await?;
    let mut value = update_in::<R>(call, &mut tx, key, &body, op).await?;
    call.selection(R::SPEC)?.apply(&mut value)?;
    tx.commit().await?;
    Ok(json_response(StatusCode::OK, &value))
}

async fn destroy<R: Resource>(call: &Call<'_>, key: &[String]) -> Result<Response> {
    let mut tx = call.begin().await?;
    delete_in::<R>(call, &mut tx, key).await?;
    tx.commit().await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
