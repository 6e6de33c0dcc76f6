//! `GET /rest_api/v1/`: every prefix with its URL, sorted by name.

use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::http::{base_url, json_response};
use crate::query;
use crate::registry::{self, RootLink};

/// `(prefix, URL path template)` pairs, sorted.
fn links() -> &'static [(String, String)] {
    static LINKS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    LINKS.get_or_init(|| {
        let mut v: Vec<(String, String)> = registry::entries()
            .iter()
            .map(|e| {
                let tail = match e.root {
                    RootLink::List => String::new(),
                    RootLink::Detail(t) => t.to_string(),
                };
                (
                    e.prefix.to_string(),
                    pk_as_zero(&format!("/rest_api/v1/{}/{tail}", e.prefix)),
                )
            })
            .collect();
        v.sort();
        v.dedup_by(|a, b| a.0 == b.0);
        v
    })
}

/// Placeholders naming a primary key are written as `0`, as DRF's root does.
fn pk_as_zero(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        out.push_str(&rest[..start]);
        if name.contains("pk") {
            out.push('0');
        } else {
            out.push_str(&rest[start..=start + len]);
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

pub async fn api_root(req: Request) -> Response {
    let pairs = query::parse(req.uri().query());
    let suffix = match query::last(&pairs, "format") {
        None => "",
        Some("json") => "?format=json",
        Some(_) => {
            return json_response(
                StatusCode::NOT_FOUND,
                &serde_json::json!({"detail": "Not found."}),
            );
        }
    };
    let base = base_url(req.headers());
    let mut map = Map::new();
    for (prefix, path) in links() {
        map.insert(
            prefix.clone(),
            Value::String(format!("{base}{path}{suffix}")),
        );
    }
    json_response(StatusCode::OK, &Value::Object(map))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pk_placeholders() {
        assert_eq!(
            super::pk_as_zero("/rest_api/v1/global-components/{instance_pk}/labels/"),
            "/rest_api/v1/global-components/0/labels/"
        );
        assert_eq!(
            super::pk_as_zero("/rest_api/v1/composes/{compose_id}/rpm-mapping/{package}/"),
            "/rest_api/v1/composes/{compose_id}/rpm-mapping/{package}/"
        );
    }
}
