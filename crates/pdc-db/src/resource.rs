//! What each resource module implements for the engine: lookup, fetching
//! representations, and the write functions.

use std::future::Future;
use std::sync::Arc;

use pdc_core::fields::Op;
use pdc_core::{Error, Result};
use serde_json::{Map, Value};
use sqlx::PgConnection;

use crate::changes::Changes;
use crate::spec::Spec;

/// Deployment settings that change what the database layer writes or shows.
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// `RELEASE_DEFAULT_SIGKEY`: key id given to releases written without one.
    pub release_default_sigkey: Option<String>,
    /// `DIST_GIT_REPO_FORMAT`: web URL of a component's dist-git repository
    /// (`%s` is its dist-git path, or its name).
    pub dist_git_repo_format: String,
    /// `DIST_GIT_BRANCH_FORMAT`: appended to the repository URL for a branch.
    pub dist_git_branch_format: String,
    /// `COMPONENT_BRANCH_NAME_BLACKLIST_REGEX`: component branch names it
    /// matches (at their start, as Python's `re.match`) are refused.
    pub component_branch_name_blacklist_regex: Option<String>,
}

impl DbSettings {
    pub const DEFAULT_REPO_FORMAT: &str = "http://pkgs.example.com/cgit/rpms/%s";
    pub const DEFAULT_BRANCH_FORMAT: &str = "?h=%s";
}

impl Default for DbSettings {
    fn default() -> Self {
        DbSettings {
            release_default_sigkey: None,
            dist_git_repo_format: Self::DEFAULT_REPO_FORMAT.into(),
            dist_git_branch_format: Self::DEFAULT_BRANCH_FORMAT.into(),
            component_branch_name_blacklist_regex: None,
        }
    }
}

/// Per-request context for representations and writes.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `scheme://host` of the request, for absolute URLs in bodies.
    pub base_url: String,
    pub settings: Arc<DbSettings>,
}

impl Ctx {
    /// Absolute URL of an API path below `/rest_api/v1/`.
    pub fn api_url(&self, path: &str) -> String {
        format!("{}/rest_api/v1/{path}", self.base_url)
    }
}

/// A write in progress: the request's transaction and its changes.
pub struct Write<'a> {
    pub conn: &'a mut PgConnection,
    pub changes: &'a mut Changes,
    pub ctx: &'a Ctx,
}

async fn not_supported<T>() -> Result<T> {
    Err(Error::internal("action not supported by this resource"))
}

/// What a create request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new object (201).
    New(i64),
    /// The body described an object that already exists; PDC answers 200
    /// with it and this `pdc-warning` header, and records no change.
    Existing { id: i64, warning: &'static str },
}

/// The behaviour of one resource. The engine (pdc-api) handles parameters,
/// paging, transactions, bulk forms and changesets around these calls.
pub trait Resource: Send + Sync + 'static {
    const SPEC: &'static Spec;

    /// For PDC views that take only some keys on PATCH, checked before
    /// anything else (even the lookup): those keys, in the order PDC's
    /// message lists them. Empty: no such check.
    const PATCH_ONLY: &'static [&'static str] = &[];

    /// Id of the object named by the URL lookup segments.
    fn lookup(
        conn: &mut PgConnection,
        key: &[String],
    ) -> impl Future<Output = Result<Option<i64>>> + Send;

    /// Representations of `ids`, in the same order (missing ids skipped).
    fn fetch(
        conn: &mut PgConnection,
        ctx: &Ctx,
        ids: &[i64],
    ) -> impl Future<Output = Result<Vec<Value>>> + Send;

    /// Creates one object from a body that passed the unknown/read-only key check.
    fn create(
        _w: &mut Write<'_>,
        _body: &Map<String, Value>,
    ) -> impl Future<Output = Result<i64>> + Send {
        not_supported()
    }

    /// Create for resources whose POST may also find an existing object
    /// (get-or-create); by default every create makes a new one.
    fn create_or_find(
        w: &mut Write<'_>,
        body: &Map<String, Value>,
    ) -> impl Future<Output = Result<Created>> + Send {
        async move { Self::create(w, body).await.map(Created::New) }
    }

    /// PUT (`Op::Update`) or PATCH (`Op::Patch`) of one object; returns its id.
    fn update(
        _w: &mut Write<'_>,
        _id: i64,
        _body: &Map<String, Value>,
        _op: Op,
    ) -> impl Future<Output = Result<i64>> + Send {
        not_supported()
    }

    fn delete(_w: &mut Write<'_>, _id: i64) -> impl Future<Output = Result<()>> + Send {
        not_supported()
    }

    /// What a changeset records of the object: PDC logs its model's
    /// `export()` (other keys than the API's, in Python 2 dict order), given
    /// its representation `repr`; by default the representation itself.
    fn export(
        _conn: &mut PgConnection,
        _ctx: &Ctx,
        _id: i64,
        repr: Value,
    ) -> impl Future<Output = Result<Value>> + Send {
        async move { Ok(repr) }
    }
}

/// Parses a numeric lookup segment (non-numbers simply match nothing).
pub fn numeric_key(key: &[String]) -> Option<i64> {
    key.first()?.parse().ok()
}

/// Lookup by numeric primary key in `table` (a constant of the code).
pub async fn lookup_by_id(
    conn: &mut PgConnection,
    table: &'static str,
    key: &[String],
) -> Result<Option<i64>> {
    let Some(id) = numeric_key(key) else {
        return Ok(None);
    };
    let sql = format!("SELECT id FROM {table} WHERE id = $1");
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(crate::db::map_db_error)
}

/// Deletes the row `id` of `table` (a constant of the code); rows that
/// reference it go as their foreign keys say.
pub async fn delete_by_id(conn: &mut PgConnection, table: &'static str, id: i64) -> Result<()> {
    let sql = format!("DELETE FROM {table} WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .execute(conn)
        .await
        .map_err(crate::db::map_db_error)?;
    Ok(())
}

/// Puts fetched `(id, value)` pairs into the order of `ids`.
pub fn in_order(ids: &[i64], rows: Vec<(i64, Value)>) -> Vec<Value> {
    let mut map: std::collections::HashMap<i64, Value> = rows.into_iter().collect();
    // An id may repeat (filters across to-many relations list a row once
    // per match): copies for all but its last place.
    let mut left: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for id in ids {
        *left.entry(*id).or_default() += 1;
    }
    ids.iter()
        .filter_map(|id| {
            let n = left.get_mut(id)?;
            *n -= 1;
            if *n == 0 {
                map.remove(id)
            } else {
                map.get(id).cloned()
            }
        })
        .collect()
}
