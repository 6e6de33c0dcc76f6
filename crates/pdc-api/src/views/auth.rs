//! `auth/token/obtain/`, `auth/token/refresh/`, `auth/token/` and
//! `auth/current-user/`.

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use pdc_core::{Error, Result};
use pdc_db::DbResultExt;
use pdc_db::auth as db_auth;
use serde_json::{Map, Value, json};
use utoipa::openapi::Paths;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::{ContentBuilder, ResponseBuilder};

use crate::App;
use crate::auth::Identity;
use crate::engine::{accept_ok, allow_header, not_acceptable};
use crate::error::error_response;
use crate::http::{empty_response, json_response, set_header};
use crate::openapi::Doc;
use crate::registry::{Entry, RootLink};

pub fn entries() -> Vec<Entry> {
    vec![
        Entry {
            prefix: "auth/token",
            actions: vec![],
            root: RootLink::List,
            routes: |r| {
                r.route("/rest_api/v1/auth/token/", any(token_list))
                    .route("/rest_api/v1/auth/token/obtain/", any(obtain))
                    .route("/rest_api/v1/auth/token/refresh/", any(refresh))
            },
            patterns: vec![
                "/rest_api/v1/auth/token/".into(),
                "/rest_api/v1/auth/token/obtain/".into(),
                "/rest_api/v1/auth/token/refresh/".into(),
            ],
            doc: Doc::Custom(token_docs),
        },
        Entry {
            prefix: "auth/current-user",
            actions: vec![],
            root: RootLink::List,
            routes: |r| r.route("/rest_api/v1/auth/current-user/", any(current_user)),
            patterns: vec!["/rest_api/v1/auth/current-user/".into()],
            doc: Doc::Custom(current_user_docs),
        },
    ]
}

fn finish(methods: &[Method], result: Result<Response>) -> Response {
    let mut resp = result.unwrap_or_else(error_response);
    set_header(&mut resp, "allow", &allow_header(methods));
    resp
}

fn check(req: &Parts, methods: &[Method]) -> Result<()> {
    if !accept_ok(&req.headers) {
        return Err(not_acceptable());
    }
    if !methods.contains(&req.method) {
        return Err(crate::engine::method_not_allowed(&req.method));
    }
    Ok(())
}

/// Authenticated caller or 401, as PDC's token views answer.
fn caller(identity: &Identity) -> Result<&pdc_db::auth::User> {
    identity.require()
}

async fn token_list(Extension(identity): Extension<Identity>, req: Request) -> Response {
    let (req, _) = req.into_parts();
    let methods = [Method::GET, Method::HEAD, Method::OPTIONS];
    finish(
        &methods,
        async {
            caller(&identity)?;
            check(&req, &methods)?;
            Ok(empty_response(StatusCode::OK))
        }
        .await,
    )
}

async fn obtain(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (req, _) = req.into_parts();
    let methods = [Method::GET, Method::POST, Method::HEAD, Method::OPTIONS];
    finish(
        &methods,
        async {
            let user = caller(&identity)?;
            check(&req, &methods)?;
            let mut conn = app.pool.acquire().await.db()?;
            let token = db_auth::obtain_token(&mut conn, user.id, None).await?;
            Ok(json_response(StatusCode::OK, &json!({"token": token})))
        }
        .await,
    )
}

async fn refresh(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (req, _) = req.into_parts();
    let methods = [Method::GET, Method::PUT, Method::HEAD, Method::OPTIONS];
    finish(&methods, async {
        let user = caller(&identity)?;
        check(&req, &methods)?;
        let mut conn = app.pool.acquire().await.db()?;
        match db_auth::refresh_token(&mut conn, user.id).await? {
            Some(token) => Ok(json_response(StatusCode::OK, &json!({"token": token}))),
            None => Err(Error::status(
                400,
                json!({"Refresh Token Error": "You have not got a token yet, please try obtain first."}),
            )),
        }
    }.await)
}

async fn current_user(
    State(app): State<App>,
    Extension(identity): Extension<Identity>,
    req: Request,
) -> Response {
    let (req, _) = req.into_parts();
    let methods = [Method::GET, Method::HEAD, Method::OPTIONS];
    finish(
        &methods,
        async {
            check(&req, &methods)?;
            let Some(user) = identity.user.as_deref() else {
                return Err(Error::detail(401, "Access denied to unauthorized users."));
            };
            let mut conn = app.pool.acquire().await.db()?;
            let groups = db_auth::group_names(&mut conn, user.id).await?;
            let permissions = db_auth::permission_names(&mut conn, user).await?;
            let resource_permissions: Vec<Value> =
                db_auth::resource_permissions_of(&mut conn, user)
                    .await?
                    .into_iter()
                    .map(|(r, p)| json!({"resource": r, "permission": p}))
                    .collect();
            // Key order of PDC's (Python 2 dict) answer.
            let mut body = Map::new();
            body.insert("username".into(), json!(user.username));
            body.insert("e-mail".into(), json!(user.email));
            body.insert("is_staff".into(), json!(user.is_staff));
            body.insert("groups".into(), json!(groups));
            body.insert("is_superuser".into(), json!(user.is_superuser));
            body.insert("resource_permissions".into(), json!(resource_permissions));
            body.insert("fullname".into(), json!(user.full_name));
            body.insert("permissions".into(), json!(permissions));
            Ok(json_response(StatusCode::OK, &Value::Object(body)))
        }
        .await,
    )
}

fn token_response(desc: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(desc)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(utoipa::openapi::RefOr::Ref(
                    utoipa::openapi::Ref::from_schema_name("Error"),
                )))
                .build(),
        )
        .build()
}

fn token_docs(paths: &mut Paths) {
    let op = |id: &str, summary: &str| {
        OperationBuilder::new()
            .tag("auth")
            .operation_id(Some(id))
            .summary(Some(summary))
            .response("200", token_response("`{\"token\": \"<40 hex digits>\"}`"))
            .response(
                "400",
                token_response("`{\"Refresh Token Error\": ...}` when there is no token yet."),
            )
            .response("401", token_response("Not authenticated."))
            .response("406", token_response("Accept header cannot be satisfied."))
            .build()
    };
    // One operation per method: operation ids must be unique in the document.
    const OBTAIN: &str = "The caller's token, created if needed (caller authenticated by the front proxy, a JWT or a token).";
    const REFRESH: &str = "Replaces the caller's token with a new one.";
    for (path, method, id, summary) in [
        ("obtain", HttpMethod::Get, "auth_token_obtain_get", OBTAIN),
        ("obtain", HttpMethod::Post, "auth_token_obtain_post", OBTAIN),
        (
            "refresh",
            HttpMethod::Get,
            "auth_token_refresh_get",
            REFRESH,
        ),
        (
            "refresh",
            HttpMethod::Put,
            "auth_token_refresh_put",
            REFRESH,
        ),
    ] {
        paths.add_path_operation(
            format!("/rest_api/v1/auth/token/{path}/"),
            vec![method],
            op(id, summary),
        );
    }
    paths.add_path_operation(
        "/rest_api/v1/auth/token/",
        vec![HttpMethod::Get],
        OperationBuilder::new()
            .tag("auth")
            .operation_id(Some("auth_token"))
            .summary(Some("Empty answer; see obtain/ and refresh/."))
            .response("200", ResponseBuilder::new().description("Empty.").build())
            .response("401", token_response("Not authenticated."))
            .response("406", token_response("Accept header cannot be satisfied."))
            .build(),
    );
}

fn current_user_docs(paths: &mut Paths) {
    paths.add_path_operation(
        "/rest_api/v1/auth/current-user/",
        vec![HttpMethod::Get],
        OperationBuilder::new()
            .tag("auth")
            .operation_id(Some("auth_current_user"))
            .summary(Some(
                "The caller: username, e-mail, groups, permissions, resource permissions.",
            ))
            .response("200", token_response("The current user."))
            .response("401", token_response("Anonymous."))
            .response("406", token_response("Accept header cannot be satisfied."))
            .build(),
    );
}
