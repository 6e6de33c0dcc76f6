//! Request bodies: parsing as DRF's parsers do, and PDC's strict check of
//! unknown and read-only keys.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use pdc_core::{Error, Result, pyrepr};
use serde_json::{Map, Value};

use pdc_db::Spec;

use crate::query::Selection;

/// Parses the body by content type. `None` means an empty body.
pub fn read_json_body(headers: &HeaderMap, bytes: &Bytes) -> Result<Option<Value>> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "" => serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| Error::bad_request(format!("JSON parse error - {e}"))),
        "application/x-www-form-urlencoded" => {
            let mut map = Map::new();
            for (k, v) in form_urlencoded::parse(bytes) {
                map.insert(k.into_owned(), Value::String(v.into_owned()));
            }
            Ok(Some(Value::Object(map)))
        }
        _ => Err(Error::detail(
            415,
            format!("Unsupported media type \"{ctype}\" in request."),
        )),
    }
}

/// `Unknown fields: ...` then `Can not update read only fields: ...`,
/// before any field validation. PDC computes the first as a Python 2 set
/// difference and the second by walking the body dict, so both lists come
/// in Python 2's iteration order. Fields the request's `fields` /
/// `exclude_fields` leave out are unknown too.
pub fn check_body_keys(
    spec: &Spec,
    body: &Map<String, Value>,
    selection: &Selection,
) -> Result<()> {
    let keys: Vec<&String> = body.keys().collect();
    let keys: Vec<&str> = pyrepr::py2_iter(&keys);
    let unknown = pyrepr::py2_set_difference(&keys, |k| {
        spec.field(k).is_some_and(|_| !selection.hides(k)) || spec.extra_body_keys.contains(&k)
    });
    if !unknown.is_empty() {
        return Err(Error::bad_request(format!(
            "Unknown fields: {}.",
            quoted(&unknown)
        )));
    }
    let read_only: Vec<&str> = keys
        .into_iter()
        .filter(|k| spec.field(k).is_some_and(|f| !f.is_writable()))
        .collect();
    if !read_only.is_empty() {
        return Err(Error::bad_request(format!(
            "Can not update read only fields: {}.",
            quoted(&read_only)
        )));
    }
    Ok(())
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The body a single write needs: an object (an empty body is `{}`).
pub fn object_body(body: Option<Value>) -> Result<Map<String, Value>> {
    match body {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(Value::Null) => Err(Error::detail_list(["No data provided"])),
        Some(_) => Err(Error::bad_request("too many values to unpack")),
    }
}
