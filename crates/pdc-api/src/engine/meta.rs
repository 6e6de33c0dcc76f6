//! Content negotiation, `Allow`, conditional GET and OPTIONS metadata.

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use pdc_core::fields::{Kind, Mode};
use pdc_core::{Error, Result};
use pdc_db::spec::Caching;
use pdc_db::{DbResultExt, Spec};
use serde_json::{Map, Value, json};

use crate::App;
use crate::http::{empty_response, json_response, set_header};

/// Whether the `Accept` header allows JSON (or the browsable HTML, which
/// we answer with JSON too).
pub fn accept_ok(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    accept.split(',').any(|range| {
        let mime = range.split(';').next().unwrap_or("").trim();
        matches!(
            mime,
            "" | "*/*" | "application/*" | "application/json" | "text/*" | "text/html"
        )
    })
}

pub fn not_acceptable() -> Error {
    Error::detail(406, "Could not satisfy the request Accept header.")
}

/// DRF's `Allow` value for a set of methods (in Django's method order).
pub fn allow_header(methods: &[Method]) -> String {
    const ORDER: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];
    ORDER
        .iter()
        .filter(|m| methods.contains(m))
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds the resource's caching headers to a successful list or retrieve answer.
pub fn caching(spec: &Spec, mut resp: Response) -> Response {
    match spec.caching {
        Caching::Default => {}
        Caching::Never => {
            let now = httpdate::fmt_http_date(std::time::SystemTime::now());
            set_header(&mut resp, "expires", &now);
            set_header(
                &mut resp,
                "cache-control",
                "no-cache, no-store, must-revalidate, max-age=0",
            );
        }
    }
    resp
}

/// Time used when no change was ever recorded (PDC's value).
fn never() -> DateTime<Utc> {
    DateTime::from_timestamp(86_400, 0).unwrap_or_default()
}

/// Conditional GET for resources that send `Last-Modified`: returns either
/// a 304 response or the header value to add.
pub async fn conditional(
    app: &App,
    spec: &Spec,
    headers: &HeaderMap,
) -> Result<Result<Option<String>, Response>> {
    if spec.last_modified.is_empty() {
        return Ok(Ok(None));
    }
    let mut conn = app.pool.acquire().await.db()?;
    let last = pdc_db::changes::last_modified(&mut conn, spec.last_modified)
        .await?
        .unwrap_or_else(never);
    let stamp = httpdate::fmt_http_date(std::time::SystemTime::from(last));
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    if let Some(since) = since
        && last.timestamp() <= DateTime::<Utc>::from(since).timestamp()
    {
        let mut resp = empty_response(StatusCode::NOT_MODIFIED);
        set_header(&mut resp, "last-modified", &stamp);
        return Ok(Err(resp));
    }
    Ok(Ok(Some(stamp)))
}

fn field_type(kind: &Kind) -> &'static str {
    match kind {
        Kind::Str { .. } => "string",
        Kind::Bool => "boolean",
        Kind::Int => "integer",
        Kind::Date => "date",
        Kind::Slug(_) | Kind::Choice(_) => "field",
        Kind::SlugList(_) | Kind::ChoiceList(_) => "field",
        Kind::Custom => "field",
    }
}

/// DRF's view name: the viewset's class name in words plus ` List` or
/// ` Instance`. PDC names its classes after the resource
/// (`ReleaseVariantViewSet` serves `release-variants`,
/// `GlobalComponentLabelViewSet` `global-components/{id}/labels`).
fn view_name(spec: &Spec, detail: bool) -> String {
    let segments: Vec<&str> = spec.prefix.split('/').collect();
    let named: Vec<&str> = if spec.prefix.contains('{') {
        segments
            .into_iter()
            .filter(|s| !s.starts_with('{'))
            .collect()
    } else {
        segments.last().copied().into_iter().collect()
    };
    let words: Vec<String> = named
        .iter()
        .flat_map(|s| s.split('-'))
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|h| h.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .map(|w| singular(&w))
        .collect();
    format!(
        "{} {}",
        words.join(" "),
        if detail { "Instance" } else { "List" }
    )
}

/// The singular of a plural resource word (`Arches`, `Releases`).
fn singular(word: &str) -> String {
    for (plural, one) in [("ches", "ch"), ("sses", "ss"), ("s", "")] {
        if let Some(stem) = word.strip_suffix(plural) {
            return format!("{stem}{one}");
        }
    }
    word.to_string()
}

/// DRF's OPTIONS metadata, from the field descriptions. `writable` are the
/// write methods the user may use here (DRF lists only those, PUT first).
pub fn options(spec: &Spec, detail: bool, writable: &[Method]) -> Response {
    let mut actions = Map::new();
    let mut fields = Map::new();
    for f in spec.fields {
        let label = f
            .name
            .replace('_', " ")
            .split(' ')
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    let mut c = w.chars();
                    c.next()
                        .map(|h| h.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                } else {
                    w.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let mut m = Map::new();
        m.insert("type".into(), json!(field_type(&f.kind)));
        m.insert("required".into(), json!(f.mode == Mode::Required));
        m.insert("read_only".into(), json!(f.mode == Mode::ReadOnly));
        m.insert("label".into(), json!(label));
        if let Kind::Str { max, .. } = f.kind
            && max > 0
        {
            m.insert("max_length".into(), json!(max));
        }
        fields.insert(f.name.to_string(), Value::Object(m));
    }
    for m in [Method::PUT, Method::POST] {
        if writable.contains(&m) {
            actions.insert(m.as_str().to_string(), Value::Object(fields.clone()));
        }
    }
    let mut body = json!({
        "name": view_name(spec, detail),
        "description": spec.doc,
        "renders": ["application/json", "text/html"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    });
    if !actions.is_empty() {
        body["actions"] = Value::Object(actions);
    }
    json_response(StatusCode::OK, &body)
}
