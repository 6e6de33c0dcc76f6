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

/// URL patterns known to the API, for the trailing-slash redirect.
#[derive(Clone)]
struct Patterns(Arc<matchit::Router<()>>);

pub fn router(app: App) -> Router {
    let entries = registry::entries();
    let mut api: Router<App> = Router::new();
    let mut patterns = matchit::Router::new();
    for e in &entries {
        api = (e.routes)(api);
        for p in &e.patterns {
            // Duplicate patterns are harmless here: one is enough to redirect.
            let _ = patterns.insert(p.clone(), ());
        }
    }
    let api = api
        .route("/rest_api/v1/", get(crate::views::root::api_root))
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    api.merge(crate::openapi::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(fallback)
        .layer(Extension(Patterns(Arc::new(patterns))))
        .layer(middleware::from_fn(crate::cors::cors))
        .with_state(app)
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
