//! Turning referenced names in an input into ids, with DRF's messages
//! (`Object with release_id=x does not exist.`, `'x' is not allowed value. ...`).

use pdc_core::Result;
use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Input, Kind, Ref, Val};
use sqlx::PgConnection;

use crate::db::DbResultExt;

/// Id of the row of `r` whose key column equals `value`.
pub async fn find(conn: &mut PgConnection, r: &Ref, value: &str) -> Result<Option<i64>> {
    // Table and column names are constants of the code, never user input.
    let sql = format!("SELECT id FROM {} WHERE {} = $1", r.table, r.column);
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(&mut *conn)
        .await
        .db()
}

/// All values of a choice table, in its order (for "Use one of ...").
pub async fn choices(conn: &mut PgConnection, r: &Ref) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT {}::text FROM {} ORDER BY {}",
        r.column, r.table, r.order
    );
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await
        .db()
}

async fn not_allowed(conn: &mut PgConnection, r: &Ref, value: &str) -> Result<String> {
    let all: Vec<String> = choices(conn, r)
        .await?
        .iter()
        .map(|c| format!("'{c}'"))
        .collect();
    Ok(format!(
        "'{value}' is not allowed value. Use one of {}.",
        all.join(", ")
    ))
}

/// Resolves one name; the error message is DRF's for the field kind.
async fn resolve_one(
    conn: &mut PgConnection,
    kind: &Kind,
    value: &str,
) -> Result<Result<i64, String>> {
    let (r, choice) = match kind {
        Kind::Slug(r) | Kind::SlugList(r) => (*r, false),
        Kind::Choice(r) | Kind::ChoiceList(r) => (*r, true),
        _ => return Ok(Err("Invalid value.".into())),
    };
    match find(conn, r, value).await? {
        Some(id) => Ok(Ok(id)),
        None if choice => Ok(Err(not_allowed(conn, r, value).await?)),
        None => Ok(Err(format!(
            "Object with {}={value} does not exist.",
            r.column
        ))),
    }
}

/// Replaces reference names in `input` by ids, adding errors for unknown ones.
pub async fn resolve(
    conn: &mut PgConnection,
    fields: &[Field],
    input: &mut Input,
    errors: &mut FieldErrors,
) -> Result<()> {
    for f in fields {
        let is_ref = matches!(
            f.kind,
            Kind::Slug(_) | Kind::SlugList(_) | Kind::Choice(_) | Kind::ChoiceList(_)
        );
        if !is_ref {
            continue;
        }
        let new = match input.get(f.name) {
            Some(Val::Str(name)) => match resolve_one(conn, &f.kind, name).await? {
                Ok(id) => Val::Id(id),
                Err(msg) => {
                    errors.add(f.name, msg);
                    continue;
                }
            },
            Some(Val::List(names)) => {
                let mut ids = Vec::with_capacity(names.len());
                let mut failed = None;
                for name in names {
                    match resolve_one(conn, &f.kind, name).await? {
                        Ok(id) => {
                            if !ids.contains(&id) {
                                ids.push(id)
                            }
                        }
                        Err(msg) => {
                            failed = Some(msg);
                            break;
                        }
                    }
                }
                match failed {
                    Some(msg) => {
                        errors.add(f.name, msg);
                        continue;
                    }
                    None => Val::Ids(ids),
                }
            }
            _ => continue,
        };
        input.set(f.name, new);
    }
    Ok(())
}

/// Whether another row of `table` (not `except`) has `column = value`:
/// the check behind DRF's "... with this ... already exists." messages.
pub async fn taken(
    conn: &mut PgConnection,
    table: &str,
    column: &str,
    value: &str,
    except: Option<i64>,
) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = $1 AND id IS DISTINCT FROM $2)"
    );
    sqlx::query_scalar::<_, bool>(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .bind(except)
        .fetch_one(&mut *conn)
        .await
        .db()
}
