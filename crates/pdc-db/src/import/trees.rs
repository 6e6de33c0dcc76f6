//! Tree locations set by a full compose import: every variant x arch of the
//! composeinfo gets (or updates) its tree at the given location.

use pdc_core::Result;
use pdc_core::error::FieldErrors;
use pdc_core::fields::Ref;
use pdc_core::productmd::composeinfo::ComposeInfo;
use serde_json::{Value, json};

use crate::db::DbResultExt;
use crate::refs;
use crate::resource::Write;

pub static LOCATION_REF: Ref = Ref {
    table: "location",
    column: "short",
    order: "id",
};
pub static SCHEME_REF: Ref = Ref {
    table: "scheme",
    column: "name",
    order: "id",
};

/// Checks location, scheme and url as the tree serializer does; returns
/// the location and scheme ids and the url.
async fn check(
    w: &mut Write<'_>,
    location: &Value,
    url: &Value,
    scheme: &Value,
) -> Result<(i64, i64, String)> {
    let mut errors = FieldErrors::new();
    let mut resolve =
        async |field: &str, r: &Ref, v: &Value, errors: &mut FieldErrors| -> Result<Option<i64>> {
            let Some(name) = v.as_str() else {
                errors.add(
                    field,
                    if v.is_null() {
                        "This field may not be null."
                    } else {
                        "Invalid value."
                    },
                );
                return Ok(None);
            };
            match refs::find(w.conn, r, name).await? {
                Some(id) => Ok(Some(id)),
                None => {
                    let all: Vec<String> = refs::choices(w.conn, r)
                        .await?
                        .iter()
                        .map(|c| format!("'{c}'"))
                        .collect();
                    errors.add(
                        field,
                        format!(
                            "'{name}' is not allowed value. Use one of {}.",
                            all.join(", ")
                        ),
                    );
                    Ok(None)
                }
            }
        };
    let location = resolve("location", &LOCATION_REF, location, &mut errors).await?;
    let scheme = resolve("scheme", &SCHEME_REF, scheme, &mut errors).await?;
    let url = match url {
        Value::String(s) if s.trim().is_empty() => {
            errors.add("url", "This field may not be blank.");
            None
        }
        Value::String(s) if s.chars().count() > 255 => {
            errors.add("url", "Ensure this field has no more than 255 characters.");
            None
        }
        Value::String(s) => Some(s.trim().to_string()),
        Value::Null => {
            errors.add("url", "This field may not be null.");
            None
        }
        Value::Number(n) => Some(n.to_string()),
        _ => {
            errors.add("url", "Not a valid string.");
            None
        }
    };
    errors.into_result(&["arch", "location", "scheme", "url"])?;
    Ok((
        location.unwrap_or_default(),
        scheme.unwrap_or_default(),
        url.unwrap_or_default(),
    ))
}

/// Sets the trees; returns how many were set (PDC's `set_locations`).
pub async fn set_tree_locations(
    w: &mut Write<'_>,
    compose: i64,
    compose_id: &str,
    ci: &ComposeInfo,
    location: &Value,
    url: &Value,
    scheme: &Value,
) -> Result<i64> {
    let (location, scheme, url) = check(w, location, url, scheme).await?;
    let mut count = 0;
    for variant in ci.all_variants() {
        let variant_pk = sqlx::query_scalar!(
            "SELECT id FROM compose_variant WHERE compose_pk = $1 AND variant_uid = $2",
            compose,
            variant.uid
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        for arch in &variant.arches {
            let tree = sqlx::query_scalar!(
                "WITH a AS (SELECT id FROM arch WHERE name = $3),
                 upd AS (
                   UPDATE compose_tree t SET scheme_pk = $5, url = $6
                   FROM a WHERE t.compose_pk = $1 AND t.variant_pk = $2 AND t.arch_pk = a.id AND t.location_pk = $4
                   RETURNING t.id),
                 ins AS (
                   INSERT INTO compose_tree (compose_pk, variant_pk, arch_pk, location_pk, scheme_pk, url)
                   SELECT $1, $2, a.id, $4, $5, $6 FROM a WHERE NOT EXISTS (SELECT 1 FROM upd)
                   RETURNING id)
                 SELECT id AS \"id!\" FROM upd UNION ALL SELECT id FROM ins",
                compose,
                variant_pk,
                arch,
                location,
                scheme,
                url
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            sqlx::query!(
                "INSERT INTO compose_tree_synced_content (tree_pk, content_category_pk)
                 SELECT $1, id FROM content_category ON CONFLICT DO NOTHING",
                tree
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            count += 1;
        }
    }
    w.changes.add(
        "notice",
        0,
        None,
        Some(&json!({"compose": compose_id, "num_set_locations": count})),
    );
    Ok(count)
}
