//! Who is calling: PDC tokens, a trusted front proxy's REMOTE_USER header,
//! and OIDC JWT bearer tokens; and what they may do (resource permissions).

pub mod jwt;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use pdc_core::{Error, Result};
use pdc_db::DbResultExt;
use pdc_db::auth::{self as db_auth, User};

use crate::App;
use crate::error::error_response;

/// Authentication settings.
#[derive(Default)]
pub struct AuthConfig {
    /// Request header set by a trusted front proxy with the user name
    /// (e.g. `X-Remote-User`); `None` disables it.
    pub remote_user_header: Option<String>,
    pub jwt: Option<jwt::JwtConfig>,
}

/// The caller, as found by the authentication middleware.
#[derive(Clone, Default)]
pub struct Identity {
    pub user: Option<Arc<User>>,
    /// Authenticated by the web mechanism (proxy header or JWT), which may
    /// obtain a PDC token; token-authenticated callers may too.
    pub method: AuthMethod,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub enum AuthMethod {
    #[default]
    Anonymous,
    Token,
    RemoteUser,
    Jwt,
}

impl Identity {
    pub fn username(&self) -> Option<&str> {
        self.user.as_deref().map(|u| u.username.as_str())
    }
    pub fn user_pk(&self) -> Option<i64> {
        self.user.as_deref().map(|u| u.id)
    }
    /// 401 unless someone is authenticated.
    pub fn require(&self) -> Result<&User> {
        self.user.as_deref().ok_or_else(not_authenticated)
    }
}

pub fn not_authenticated() -> Error {
    Error::detail(401, "Authentication credentials were not provided.")
}

fn invalid_token() -> Error {
    Error::detail(401, "Invalid token.")
}

async fn identify(app: &App, headers: &axum::http::HeaderMap) -> Result<Identity> {
    if let Some(value) = headers.get("authorization") {
        let raw = value.to_str().map_err(|_| {
            Error::detail(
                401,
                "Invalid token header. Token string should not contain invalid characters.",
            )
        })?;
        let parts: Vec<&str> = raw.split_whitespace().collect();
        let scheme = parts.first().map(|s| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("token") => {
                if parts.len() == 1 {
                    return Err(Error::detail(
                        401,
                        "Invalid token header. No credentials provided.",
                    ));
                }
                if parts.len() > 2 {
                    return Err(Error::detail(
                        401,
                        "Invalid token header. Token string should not contain spaces.",
                    ));
                }
                let mut conn = app.pool.acquire().await.db()?;
                let user = db_auth::user_by_token(&mut conn, parts[1])
                    .await?
                    .ok_or_else(invalid_token)?;
                if !user.is_active {
                    return Err(Error::detail(401, "User inactive or deleted."));
                }
                return Ok(Identity {
                    user: Some(Arc::new(user)),
                    method: AuthMethod::Token,
                });
            }
            Some("bearer") if app.auth.jwt.is_some() => {
                let cfg = app.auth.jwt.as_ref().ok_or_else(invalid_token)?;
                if parts.len() != 2 {
                    return Err(invalid_token());
                }
                let claims = cfg.validate(parts[1]).map_err(|e| {
                    tracing::info!(error = %e, "rejected bearer token");
                    invalid_token()
                })?;
                let mut conn = app.pool.acquire().await.db()?;
                let user = db_auth::ensure_user(
                    &mut conn,
                    &claims.username,
                    claims.email.as_deref(),
                    claims.full_name.as_deref(),
                )
                .await?;
                if !user.is_active {
                    return Err(Error::detail(401, "User inactive or deleted."));
                }
                if let Some(groups) = &claims.groups {
                    db_auth::sync_groups(&mut conn, user.id, groups).await?;
                }
                return Ok(Identity {
                    user: Some(Arc::new(user)),
                    method: AuthMethod::Jwt,
                });
            }
            // Other schemes are not ours (DRF ignores them too).
            _ => {}
        }
    }
    if let Some(header) = &app.auth.remote_user_header
        && let Some(name) = headers
            .get(header.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        // Kerberos principals arrive as user@REALM; PDC keeps the user part.
        let username = name.split('@').next().unwrap_or(name);
        let mut conn = app.pool.acquire().await.db()?;
        let user = db_auth::ensure_user(&mut conn, username, None, None).await?;
        if !user.is_active {
            return Err(Error::detail(401, "User inactive or deleted."));
        }
        return Ok(Identity {
            user: Some(Arc::new(user)),
            method: AuthMethod::RemoteUser,
        });
    }
    Ok(Identity::default())
}

/// Middleware: puts the caller's [`Identity`] into the request, or answers
/// 401 for bad credentials (even on GET, as DRF does).
pub async fn authenticate(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    match identify(&app, &headers).await {
        Ok(identity) => {
            req.extensions_mut().insert(identity);
            next.run(req).await
        }
        Err(e) => error_response(e),
    }
}

/// The action a method needs on a resource; `None` needs nothing.
pub fn action_of(method: &Method) -> Option<&'static str> {
    match *method {
        Method::POST => Some("create"),
        Method::PUT | Method::PATCH => Some("update"),
        Method::DELETE => Some("delete"),
        _ => None,
    }
}

/// PDC's `APIPermission`: reads are open; writes need a user holding the
/// resource permission through a group (superusers hold everything).
pub async fn authorize(
    app: &App,
    identity: &Identity,
    resource: &str,
    method: &Method,
) -> Result<()> {
    let Some(action) = action_of(method) else {
        return Ok(());
    };
    let user = identity.require()?;
    if user.is_superuser {
        return Ok(());
    }
    let mut conn = app.pool.acquire().await.db()?;
    if db_auth::may(&mut conn, user.id, resource, action).await? {
        Ok(())
    } else {
        Err(Error::detail(
            403,
            "You do not have permission to perform this action.",
        ))
    }
}
