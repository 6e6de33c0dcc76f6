//! The HTTP router: every registry entry, the API root, the docs, health
//! endpoints, PDC's trailing-slash redirect and its unrouted 404.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use std::sync::Arc;

use crate::App;
use crate::auth::authenticate;
use crate::http::{empty_response, json_response};
use crate::registry;

/// URL patterns known to the API (for the trailing-slash redirect and
/// format suffixes), each with whether its lookup values may hold dots.
#[derive(Clone)]
struct Patterns(Arc<matchit::Router<bool>>);

impl Patterns {
    /// Whether `path` reaches a route (DRF's default lookups stop at dots).
    fn routes(&self, path: &str) -> bool {
        self.0
            .at(path)
            .is_ok_and(|m| *m.value || m.params.iter().all(|(_, v)| !v.contains('.')))
    }
}

pub fn router(app: App) -> Router {
    let entries = registry::entries();
    let mut api: Router<App> = Router::new();
    let mut patterns = matchit::Router::new();
    for e in &entries {
        api = (e.routes)(api);
        let dots = match e.doc {
            crate::openapi::Doc::Engine(spec) => spec.lookup_dots,
            _ => true,
        };
        for p in &e.patterns {
            // Duplicate patterns are harmless here: one is enough to redirect.
            let _ = patterns.insert(p.clone(), dots);
        }
    }
    let api = api
        .route("/rest_api/v1/", get(crate::views::root::api_root))
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    let patterns = Patterns(Arc::new(patterns));
    let inner = api
        .merge(crate::openapi::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(fallback)
        .layer(Extension(patterns.clone()))
        .layer(middleware::from_fn(crate::cors::cors))
        .with_state(app);
    // The suffix rewrite must see the request before routing does.
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .map_request(move |req| format_suffix(&patterns, req))
            .service(inner),
    )
}

/// The path a client used for a format-suffix URL (`arches.json`), which
/// pagination links keep.
#[derive(Clone)]
pub struct SuffixedPath(pub String);

/// DRF's format-suffix routes: `arches.json` and `products/p.json` answer
/// as `arches/` and `products/p/` do, in JSON. A path routable as it is
/// (`releases/r.json/`: the release `r.json`, as release ids may hold
/// dots) is left alone, as DRF lists the plain routes first.
fn format_suffix(patterns: &Patterns, mut req: Request) -> Request {
    let path = req.uri().path();
    if !path.starts_with("/rest_api/v1/") || patterns.routes(path) {
        return req;
    }
    let Some(stem) = path.strip_suffix('/').unwrap_or(path).strip_suffix(".json") else {
        return req;
    };
    let target = format!("{stem}/");
    if !patterns.routes(&target) {
        return req;
    }
    let original = SuffixedPath(path.to_string());
    let target = match req.uri().query() {
        Some(q) => format!("{target}?{q}"),
        None => target,
    };
    if let Ok(uri) = target.parse() {
        *req.uri_mut() = uri;
        req.headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        req.extensions_mut().insert(original);
    }
    req
}

async fn readyz(State(app): State<App>) -> Response {
    match sqlx::query("SELECT 1").execute(&app.pool).await {
        Ok(_) => empty_response(StatusCode::OK),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            empty_response(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// Django's APPEND_SLASH: a 301 to the slashed URL when that one exists
/// (before authentication, for every method); otherwise the unrouted 404.
async fn fallback(Extension(patterns): Extension<Patterns>, req: Request) -> Response {
    let path = req.uri().path();
    if !path.ends_with('/') {
        let slashed = format!("{path}/");
        if patterns.0.at(&slashed).is_ok() {
            let location = match req.uri().query() {
                Some(q) => format!("{slashed}?{q}"),
                None => slashed,
            };
            let mut resp = Response::builder()
                .status(StatusCode::MOVED_PERMANENTLY)
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .body(Body::empty())
                .unwrap_or_default();
            if let Ok(v) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            return resp;
        }
    }
    unrouted(req.headers())
}

/// Django's 404 for an unrouted URL: JSON only when the client asks for it.
pub fn unrouted(headers: &HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"detail\": \"Not found\"}"))
            .unwrap_or_default();
    }
    let html = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\
                <body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n";
    let mut resp = json_response(StatusCode::NOT_FOUND, &serde_json::Value::Null);
    *resp.body_mut() = Body::from(html);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}
