//! Bulk forms on the list URL: create from an array, update/partial update
//! from a mapping, delete from a list of ids. All or nothing; a failing item
//! answers with PDC's `{invalid_data, detail, id_of_invalid_data}` body.

use axum::http::StatusCode;
use axum::response::Response;
use pdc_core::fields::{Op, py_str};
use pdc_core::{Error, Result, pydict, pyrepr};
use pdc_db::Resource;
use serde_json::{Map, Value};

use super::handlers::{Call, create_in, delete_in, update_in};
use crate::http::{empty_response, json_response};
use pdc_core::fields::truthy;

/// Wraps one item's error into the bulk error body.
pub(crate) fn item_error(e: Error, id: Value, data: Option<&Value>) -> Error {
    match e {
        Error::Response { status, body, .. } => {
            let detail = match body {
                Value::Object(mut m) if m.contains_key("detail") => {
                    m.shift_remove("detail").unwrap_or(Value::Null)
                }
                other => other,
            };
            let mut out = Map::new();
            if let Some(d) = data.filter(|d| truthy(d)) {
                out.insert("invalid_data".into(), pydict::reordered(d));
            }
            out.insert("detail".into(), detail);
            out.insert("id_of_invalid_data".into(), id);
            Error::status(status, Value::Object(out))
        }
        internal => internal,
    }
}

pub(crate) fn as_object(item: &Value) -> Result<&Map<String, Value>> {
    match item {
        Value::Object(m) => Ok(m),
        Value::Null => Err(Error::detail_list(["No data provided"])),
        _ => Err(Error::bad_request("too many values to unpack")),
    }
}

pub(super) async fn create<R: Resource>(call: &Call<'_>, items: Vec<Value>) -> Result<Response> {
    let selection = call.selection(R::SPEC)?;
    let mut tx = call.begin().await?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let result = match as_object(item) {
            Ok(body) => create_in::<R>(call, &mut tx, body).await.map(|(v, _)| v),
            Err(e) => Err(e),
        };
        let value = result
            .and_then(|mut v| selection.apply(&mut v).map(|()| v))
            .map_err(|e| item_error(e, Value::from(i), Some(item)))?;
        out.push(value);
    }
    tx.commit().await?;
    Ok(json_response(StatusCode::CREATED, &Value::Array(out)))
}

fn split_key(key: &str) -> Vec<String> {
    key.split('/').map(str::to_string).collect()
}

pub(super) async fn update<R: Resource>(
    call: &Call<'_>,
    body: Option<Value>,
    op: Op,
) -> Result<Response> {
    let Some(Value::Object(changes)) = body else {
        return Err(Error::bad_request("Bulk update needs a mapping."));
    };
    if op == Op::Patch && changes.is_empty() {
        return Err(Error::empty_patch(false));
    }
    let selection = call.selection(R::SPEC)?;
    let mut tx = call.begin().await?;
    // PDC walks the request mapping, a Python 2 dict, and answers with
    // another one filled in that order.
    let keys: Vec<&String> = changes.keys().collect();
    let order = pyrepr::py2_iter(&keys);
    let mut done = Vec::with_capacity(order.len());
    for key in order {
        let change = &changes[key];
        let id = Value::String(key.to_string());
        let result = async {
            if op == Op::Patch && !truthy(change) {
                return Err(Error::empty_patch(false));
            }
            let body = as_object(change)?;
            update_in::<R>(call, &mut tx, &split_key(key), body, op).await
        }
        .await;
        let value = result
            .and_then(|mut v| selection.apply(&mut v).map(|()| v))
            .map_err(|e| item_error(e, id, Some(change)))?;
        done.push((key, value));
    }
    tx.commit().await?;
    let keys: Vec<&str> = done.iter().map(|(k, _)| *k).collect();
    let out: Map<String, Value> = pyrepr::py2_iter(&keys)
        .into_iter()
        .filter_map(|k| {
            done.iter()
                .find(|(key, _)| *key == k)
                .map(|(key, v)| (key.to_string(), v.clone()))
        })
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Object(out)))
}

/// The identifiers a bulk delete names, in order, duplicates dropped.
pub(crate) fn delete_ids(body: Option<Value>) -> Result<Vec<Value>> {
    let Some(Value::Array(items)) = body else {
        return Err(Error::bad_request(
            "Bulk delete needs a list of identifiers.",
        ));
    };
    let mut ids: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let valid = matches!(&item, Value::String(_) | Value::Bool(_))
            || matches!(&item, Value::Number(n) if n.is_i64() || n.is_u64());
        if !valid {
            return Err(Error::bad_request(format!(
                "\"{}\" is not a valid identifier.",
                py_str(&item)
            )));
        }
        if !ids.contains(&item) {
            ids.push(item);
        }
    }
    Ok(ids)
}

/// The URL key a bulk identifier stands for (`unicode(ident)`).
pub(crate) fn key_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => py_str(other),
    }
}

pub(super) async fn delete<R: Resource>(call: &Call<'_>, body: Option<Value>) -> Result<Response> {
    let ids = delete_ids(body)?;
    let mut tx = call.begin().await?;
    for id in ids {
        delete_in::<R>(call, &mut tx, &split_key(&key_text(&id)))
            .await
            .map_err(|e| item_error(e, id.clone(), None))?;
    }
    tx.commit().await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
