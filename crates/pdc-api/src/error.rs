//! Rendering errors as PDC answers them.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pdc_core::Error;
use serde_json::json;

use crate::http::json_response;

/// Newtype so handlers can use `?` on pdc results and return responses.
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.0)
    }
}

pub fn error_response(e: Error) -> Response {
    match e {
        Error::Response {
            status,
            body,
            warning,
        } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut resp = json_response(code, &body);
            if let Some(w) = warning
                && let Ok(v) = HeaderValue::from_str(&w)
            {
                resp.headers_mut().insert("pdc-warning", v);
            }
            if status == 401 {
                resp.headers_mut()
                    .insert("www-authenticate", HeaderValue::from_static("Token"));
            }
            resp
        }
        Error::Internal(msg) => {
            tracing::error!(error = %msg, "internal error");
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"detail": "The database encountered an internal error or misconfiguration and was unable to complete your request."}),
            )
        }
    }
}
