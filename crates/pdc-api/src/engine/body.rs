//! Request bodies: parsing as DRF's parsers do, and PDC's strict check of
//! unknown and read-only keys.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use pdc_core::{Error, Result};
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

/// `Unknown fields: ...` (sorted) then `Can not update read only fields: ...`
/// (field order), before any field validation. Fields the request's
/// `fields` / `exclude_fields` leave out are unknown too.
pub fn check_body_keys(
    spec: &Spec,
    body: &Map<String, Value>,
    selection: &Selection,
) -> Result<()> {
    let mut unknown: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| {
            let field = spec.field(k).filter(|_| !selection.hides(k));
            field.is_none() && !spec.extra_body_keys.contains(k)
        })
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(Error::bad_request(format!(
            "Unknown fields: {}.",
            quoted(&unknown)
        )));
    }
    let read_only: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| !f.is_writable() && body.contains_key(f.name))
        .map(|f| f.name)
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
