//! Upstreams of global components: no endpoint of their own, a component's
//! `upstream` object is looked up by exactly the keys given, or created.

use pdc_core::error::FieldErrors;
use pdc_core::fields::{as_text, check_url, py_str, py_type, reject_unknown};
use pdc_core::{Result, pydict};
use serde_json::{Map, Value, json};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::db::DbResultExt;
use crate::resource::Write;

/// What Django lets `Upstream.objects.get(**input)` filter on.
const LOOKUP_KEYS: [&str; 5] = ["globalcomponent", "homepage", "id", "scm_type", "scm_url"];
const COLUMNS: [&str; 3] = ["homepage", "scm_type", "scm_url"];

/// The upstream representation (also inside global components).
pub fn representation(homepage: &str, scm_type: Option<&str>, scm_url: Option<&str>) -> Value {
    json!({"homepage": homepage, "scm_type": scm_type, "scm_url": scm_url})
}

/// Python's `int(value)` for an integer lookup, or its error text.
fn lookup_int(value: &Value) -> std::result::Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| format!("invalid literal for int() with base 10: '{n}'")),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::String(s) => s.trim().parse().map_err(|_| {
            format!(
                "invalid literal for int() with base 10: {}",
                pdc_core::pyrepr::str_repr(s)
            )
        }),
        other => Err(format!(
            "int() argument must be a string or a number, not '{}'",
            py_type(other)
        )),
    }
}

/// Ids of the upstreams matching exactly the given keys (Django's `get()`
/// filters), or the text of the error the lookup raises.
async fn matching(
    conn: &mut PgConnection,
    input: &Map<String, Value>,
) -> Result<std::result::Result<Vec<i64>, String>> {
    let mut keys: Vec<&str> = input.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut qb: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT u.id FROM upstream u WHERE TRUE");
    for key in keys {
        let value = &input[key];
        match key {
            "homepage" | "scm_type" | "scm_url" => {
                qb.push(" AND u.").push(key);
                match value {
                    Value::Null => qb.push(" IS NULL"),
                    v => qb.push(" = ").push_bind(py_str(v)),
                };
            }
            "id" | "globalcomponent" if value.is_null() => {
                qb.push(if key == "id" {
                    " AND FALSE"
                } else {
                    " AND NOT EXISTS (SELECT 1 FROM global_component g WHERE g.upstream_pk = u.id)"
                });
            }
            "id" | "globalcomponent" => {
                let n = match lookup_int(value) {
                    Ok(n) => n,
                    Err(e) => return Ok(Err(e)),
                };
                qb.push(if key == "id" {
                    " AND u.id = "
                } else {
                    " AND u.id IN (SELECT upstream_pk FROM global_component WHERE id = "
                })
                .push_bind(n)
                .push(if key == "id" { "" } else { ")" });
            }
            unknown => {
                return Ok(Err(format!(
                    "Cannot resolve keyword '{unknown}' into field. Choices are: {}",
                    LOOKUP_KEYS.join(", ")
                )));
            }
        }
    }
    let ids = qb.build_query_scalar::<i64>().fetch_all(conn).await.db()?;
    Ok(Ok(ids))
}

/// The new upstream's columns, or its field errors (the serializer makes
/// all three required: they are unique together).
fn validate(input: &Map<String, Value>) -> std::result::Result<[Option<String>; 3], Value> {
    let mut errors: Vec<(&str, Vec<String>)> = Vec::new();
    let mut columns: [Option<String>; 3] = [None, None, None];
    for (i, column) in COLUMNS.iter().enumerate() {
        let checked = match input.get(*column) {
            None => Err(vec!["This field is required.".to_string()]),
            Some(Value::Null) if *column == "homepage" => {
                Err(vec!["This field may not be null.".to_string()])
            }
            Some(Value::Null) => Ok(None),
            Some(v) if *column == "scm_type" => match as_text(v).map(|t| t.trim().to_string()) {
                None => Err(vec!["Not a valid string.".to_string()]),
                Some(t) if t.chars().count() > 50 => Err(vec![
                    "Ensure this field has no more than 50 characters.".to_string(),
                ]),
                Some(t) => Ok(Some(t)),
            },
            Some(v) => check_url(v, 200, *column == "scm_url").map(Some),
        };
        match checked {
            Ok(v) => columns[i] = v,
            Err(msgs) => errors.push((column, msgs)),
        }
    }
    if errors.is_empty() {
        return Ok(columns);
    }
    let names: Vec<&str> = errors.iter().map(|(c, _)| *c).collect();
    let mut nested = Map::new();
    // DRF copies the nested mapping into a new dict twice.
    for name in pydict::order(&names, 2) {
        if let Some((_, msgs)) = errors.iter().find(|(c, _)| *c == name) {
            nested.insert(name.to_string(), json!(msgs));
        }
    }
    Err(Value::Object(nested))
}

/// The upstream a component's `upstream` object names: an existing one
/// matching exactly the given keys, or a new one (logged as a change).
/// Problems become `upstream` field errors; unknown keys of a new upstream
/// end the request.
pub async fn get_or_create(
    w: &mut Write<'_>,
    input: &Map<String, Value>,
    errors: &mut FieldErrors,
) -> Result<Option<i64>> {
    let cannot = |reason: String| {
        format!(
            "Can not get or create Upstream with the input({}): {reason}.",
            py_str(&Value::Object(input.clone()))
        )
    };
    let ids = match matching(w.conn, input).await? {
        Ok(ids) => ids,
        Err(reason) => {
            errors.add("upstream", cannot(reason));
            return Ok(None);
        }
    };
    match ids.as_slice() {
        [id] => return Ok(Some(*id)),
        [] => {}
        more => {
            let reason = format!(
                "get() returned more than one Upstream -- it returned {}!",
                more.len()
            );
            errors.add("upstream", cannot(reason));
            return Ok(None);
        }
    }
    reject_unknown(input, |k| COLUMNS.contains(&k))?;
    let [homepage, scm_type, scm_url] = match validate(input) {
        Ok(columns) => columns,
        Err(nested) => {
            errors.set("upstream", nested);
            return Ok(None);
        }
    };
    let homepage = homepage.unwrap_or_default();
    let same = sqlx::query!(
        "SELECT id, scm_type IS NOT NULL AND scm_url IS NOT NULL AS \"complete!\" FROM upstream
         WHERE homepage = $1 AND scm_type IS NOT DISTINCT FROM $2 AND scm_url IS NOT DISTINCT FROM $3",
        homepage,
        scm_type,
        scm_url
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?;
    if let Some(same) = same {
        // The serializer's unique-together check skips rows with a null.
        if same.complete {
            errors.set(
                "upstream",
                json!({"detail": ["The fields homepage, scm_type, scm_url must make a unique set."]}),
            );
            return Ok(None);
        }
        return Ok(Some(same.id));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO upstream (homepage, scm_type, scm_url) VALUES ($1, $2, $3) RETURNING id",
        homepage,
        scm_type,
        scm_url
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    // PDC logs the model's export(), in Python 2 key order.
    let export = json!({"homepage": homepage, "scm_url": scm_url, "scm_type": scm_type});
    w.changes.add("upstream", id, None, Some(&export));
    Ok(Some(id))
}
