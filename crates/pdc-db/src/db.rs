//! Pool, database creation, migrations and the mapping of database errors
//! onto PDC's answers.

use std::str::FromStr;
use std::time::Duration;

use pdc_core::{Error, Result};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub type Pool = sqlx::PgPool;

/// Migrations compiled in from the top-level `migrations/` folder.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Connection options from a `postgres://` URL.
pub fn options(url: &str) -> BoxResult<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)?)
}

/// Connects, creating the database first when it does not exist.
pub async fn connect(opts: PgConnectOptions, max_connections: u32) -> BoxResult<Pool> {
    create_database_if_missing(&opts).await?;
    // Every query is a prepared statement; reuse its plan instead of
    // re-planning the (join-heavy) representation queries on each call.
    let opts = opts.options([("plan_cache_mode", "force_generic_plan")]);
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await?;
    Ok(pool)
}

async fn create_database_if_missing(opts: &PgConnectOptions) -> BoxResult<()> {
    let Some(name) = opts.get_database().map(str::to_string) else {
        return Ok(());
    };
    let mut conn = match opts.clone().database("postgres").connect().await {
        Ok(c) => c,
        // No maintenance database to talk to: let the real connect report it.
        Err(_) => return Ok(()),
    };
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut conn)
            .await
        {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another process created it meanwhile.
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42P04") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Runs pending migrations.
pub async fn migrate(pool: &Pool) -> BoxResult<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Result of start-up paths (connect, migrate).
pub type BoxResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Maps database errors onto PDC's answers: integrity errors become 409
/// with the database text (as PDC does); a NUL character in a string, which
/// PostgreSQL cannot store, is psycopg2's `ValueError` that PDC answers with
/// 400; anything else is internal.
pub fn map_db_error(e: sqlx::Error) -> Error {
    // PDC's driver refuses NUL characters before sending them; PostgreSQL
    // rejects them as an invalid UTF-8 sequence.
    if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("22021") {
        return Error::bad_request("A string literal cannot contain NUL (0x00) characters.");
    }
    if let Some(db) = e.as_database_error()
        && db.code().as_deref() == Some("22021")
        && db.message().contains("0x00")
    {
        return Error::bad_request("A string literal cannot contain NUL (0x00) characters.");
    }
    if let Some(db) = e.as_database_error()
        && let Some(code) = db.code()
        && code.starts_with("23")
    {
        let detail = db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .and_then(|pg| pg.detail().map(str::to_string));
        let text = match detail {
            Some(d) => format!("{}\nDETAIL:  {}\n", db.message(), d),
            None => db.message().to_string(),
        };
        return Error::detail(409, text);
    }
    Error::internal(e)
}

/// `.db()` turns a sqlx result into a PDC result.
pub trait DbResultExt<T> {
    fn db(self) -> Result<T>;
}

impl<T> DbResultExt<T> for std::result::Result<T, sqlx::Error> {
    fn db(self) -> Result<T> {
        self.map_err(map_db_error)
    }
}

/// Name of the violated constraint, when `e` is a unique violation.
pub fn unique_violation(e: &sqlx::Error) -> Option<String> {
    let db = e.as_database_error()?;
    (db.code().as_deref() == Some("23505")).then(|| db.constraint().unwrap_or("").to_string())
}
