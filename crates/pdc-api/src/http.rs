//! Small HTTP helpers: JSON bodies as DRF writes them, absolute URLs,
//! Python-style query strings.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

/// A compact JSON response (DRF's renderer writes no spaces).
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut bytes = serde_json::to_vec(body).unwrap_or_default();
    escape_line_separators(&mut bytes);
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .unwrap_or_default()
}

/// DRF escapes U+2028 and U+2029 so the JSON is also valid JavaScript.
fn escape_line_separators(bytes: &mut Vec<u8>) {
    const LS: &[u8] = "\u{2028}".as_bytes();
    const PS: &[u8] = "\u{2029}".as_bytes();
    if !bytes.windows(3).any(|w| w == LS || w == PS) {
        return;
    }
    let text = String::from_utf8_lossy(bytes)
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    *bytes = text.into_bytes();
}

pub fn empty_response(status: StatusCode) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .unwrap_or_default()
}

/// `scheme://host` of the request as the client addressed it.
pub fn base_url(headers: &HeaderMap) -> String {
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| *v == "https" || *v == "http")
        .unwrap_or("http");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// Python 2 `urllib.quote_plus`: letters, digits and `_.-` kept, space as `+`.
pub fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Python's `urlencode(sorted(params.items()), doseq=True)` over a
/// multi-valued query: names sorted, values of one name in request order.
pub fn encode_sorted(params: &[(String, String)]) -> String {
    let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut parts = Vec::new();
    for name in names {
        for (k, v) in params.iter().filter(|(k, _)| k == name) {
            parts.push(format!("{}={}", quote_plus(k), quote_plus(v)));
        }
    }
    parts.join("&")
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn set_header(resp: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_query() {
        let p = vec![
            ("page_size".to_string(), "1".to_string()),
            ("ordering".to_string(), "-id".to_string()),
            ("page".to_string(), "2".to_string()),
            ("name".to_string(), "a b/c".to_string()),
        ];
        assert_eq!(
            encode_sorted(&p),
            "name=a+b%2Fc&ordering=-id&page=2&page_size=1"
        );
    }
}
