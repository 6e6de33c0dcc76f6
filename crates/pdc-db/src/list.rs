//! The generic list engine: query parameters of a list request become one
//! SQL query with bound values (filters AND-ed, repeated values OR-ed),
//! ordered and paged. SQL text only ever comes from the resource specs.

use pdc_core::{Error, Result, pyrepr};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::db::DbResultExt;
use crate::spec::{Filter, FilterKind, Spec};

const NULL_NAMES: &[&str] = &["null", "Null", "NULL", "None"];

/// Values of one query parameter, in request order.
fn values<'a>(params: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Pushes `sql` with each `{}` replaced by a bind of `value`.
fn push_template<T>(qb: &mut QueryBuilder<Postgres>, sql: &str, value: T)
where
    T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Clone + Send + 'static,
{
    let mut parts = sql.split("{}");
    if let Some(first) = parts.next() {
        qb.push(first);
    }
    for part in parts {
        qb.push_bind(value.clone());
        qb.push(part);
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" => Some(true),
        "false" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// Escapes LIKE wildcards the way Django does for `contains` lookups.
fn like_pattern(v: &str) -> String {
    let escaped = v
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Parses a date as django-filter does (`2030-1-1` is fine).
pub fn parse_date(v: &str) -> Option<chrono::NaiveDate> {
    let mut it = v.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Parses a date-time as Django's `parse_datetime` (plus a bare date);
/// values without a zone are UTC.
pub fn parse_datetime(v: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
    let v = v.trim();
    if let Some(d) = parse_date(v) {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    let normal = v.replacen(' ', "T", 1);
    let normal = match normal.strip_suffix('Z') {
        Some(n) => format!("{n}+00:00"),
        None => normal,
    };
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&normal, f) {
            return Some(t.to_utc());
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&normal, f) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    None
}

/// The values PDC's multi-value filters match: a lone empty value means
/// none (an empty result); otherwise every value counts, empty ones too.
fn multi_values(vals: &[&str]) -> Vec<String> {
    if vals == [""] {
        return Vec::new();
    }
    vals.iter().map(|v| v.to_string()).collect()
}

/// Ids computed by the `FilterKind::Ids` filters of a request, by param.
type Resolved = Vec<(&'static str, Vec<i64>)>;

/// Runs the code of the request's `FilterKind::Ids` filters.
async fn resolve_ids(
    conn: &mut PgConnection,
    spec: &Spec,
    params: &[(String, String)],
) -> Result<Resolved> {
    let mut out = Vec::new();
    for filter in spec.filters {
        if let FilterKind::Ids(compute) = filter.kind
            && let Some(last) = values(params, filter.param).last().copied()
            && !last.is_empty()
            && let Some(ids) = compute(&mut *conn, last).await?
        {
            out.push((filter.param, ids));
        }
    }
    Ok(out)
}

/// ` AND (<sql with the list bound>)`, or ` AND (FALSE)` for no values.
fn push_any<T>(qb: &mut QueryBuilder<Postgres>, sql: &str, list: Vec<T>)
where
    Vec<T>: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Clone + Send + 'static,
{
    qb.push(" AND (");
    if list.is_empty() {
        qb.push("FALSE");
    } else {
        push_template(qb, sql, list);
    }
    qb.push(")");
}

/// Adds ` AND (<condition>)` for one filter, or nothing when the filter
/// ignores the given values.
fn push_filter(
    qb: &mut QueryBuilder<Postgres>,
    filter: &Filter,
    vals: &[&str],
    resolved: &Resolved,
) -> Result<()> {
    let last = vals.last().copied().unwrap_or("");
    let sql = filter.sql;
    match filter.kind {
        FilterKind::Multi | FilterKind::Regex => {
            let list = multi_values(vals);
            push_any(qb, sql, list);
        }
        FilterKind::MultiMapped { map } => {
            let list = multi_values(vals)
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        Ok(String::new())
                    } else {
                        map(v)
                    }
                })
                .collect::<Result<Vec<String>>>()?;
            push_any(qb, sql, list);
        }
        FilterKind::Parsed { parse } => {
            if last.is_empty() {
                return Ok(());
            }
            let parts = parse(last)?;
            qb.push(" AND (");
            push_template(qb, sql, parts);
            qb.push(")");
        }
        FilterKind::MultiJoin => {
            // The condition is the join (see `push_joins`).
            if multi_values(vals).is_empty() {
                qb.push(" AND (FALSE)");
            }
        }
        FilterKind::MultiCi => {
            let list: Vec<String> = multi_values(vals)
                .iter()
                .map(|v| v.to_lowercase())
                .collect();
            push_any(qb, sql, list);
        }
        FilterKind::MultiInt => {
            let mut ints = Vec::new();
            for v in vals.iter().filter(|v| !v.is_empty()) {
                match v.trim().parse::<i64>() {
                    Ok(i) => ints.push(i),
                    Err(_) => {
                        return Err(Error::detail_list([format!(
                            "Value [{v}] of {} is not an integer",
                            filter.param
                        )]));
                    }
                }
            }
            push_any(qb, sql, ints);
        }
        FilterKind::Bool => {
            if last.is_empty() {
                return Ok(());
            }
            let Some(b) = parse_bool(last) else {
                return Err(Error::bad_request(format!(
                    "{last} is not a valid boolean value"
                )));
            };
            qb.push(" AND (");
            push_template(qb, sql, b);
            qb.push(")");
        }
        FilterKind::NullableChar { null_sql } => {
            if last.is_empty() {
                return Ok(());
            }
            qb.push(" AND (");
            if NULL_NAMES.contains(&last) {
                qb.push(null_sql);
            } else {
                push_template(qb, sql, last.to_string());
            }
            qb.push(")");
        }
        FilterKind::Exact => {
            if last.is_empty() {
                return Ok(());
            }
            qb.push(" AND (");
            push_template(qb, sql, last.to_string());
            qb.push(")");
        }
        FilterKind::IContains | FilterKind::Contains => {
            if last.is_empty() {
                return Ok(());
            }
            qb.push(" AND (");
            push_template(qb, sql, like_pattern(last));
            qb.push(")");
        }
        FilterKind::Date => {
            if last.is_empty() {
                return Ok(());
            }
            qb.push(" AND (");
            match parse_date(last) {
                Some(d) => push_template(qb, sql, d),
                None => {
                    qb.push("FALSE");
                }
            }
            qb.push(")");
        }
        FilterKind::Number => {
            if last.is_empty() {
                return Ok(());
            }
            qb.push(" AND (");
            match last.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => push_template(qb, sql, f.trunc() as i64),
                _ => {
                    qb.push("FALSE");
                }
            }
            qb.push(")");
        }
        FilterKind::DateTime => {
            if last.is_empty() {
                return Ok(());
            }
            let Some(t) = parse_datetime(last) else {
                return Err(Error::detail_list([format!(
                    "'{last}' value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."
                )]));
            };
            qb.push(" AND (");
            push_template(qb, sql, t);
            qb.push(")");
        }
        // Given: lifted; the absent case is handled by `push_where`.
        FilterKind::UnlessGiven => {}
        // Not resolved (validation only, or an empty value): no condition.
        FilterKind::Ids(_) => {
            if let Some((_, ids)) = resolved.iter().find(|(p, _)| *p == filter.param) {
                qb.push(" AND (");
                push_template(qb, sql, ids.clone());
                qb.push(")");
            }
        }
        FilterKind::StrictBool { false_sql } => {
            let cond = match last {
                "" => return Ok(()),
                "true" | "t" | "True" | "1" => sql,
                "false" | "f" | "False" | "0" => false_sql,
                _ => {
                    return Err(Error::status(
                        400,
                        serde_json::json!([format!("Value [{last}] is not a boolean")]),
                    ));
                }
            };
            qb.push(" AND (").push(cond).push(")");
        }
        // Handled by `push_where` (a group) or by their group.
        FilterKind::Combined { .. } | FilterKind::PartOf => {}
        FilterKind::TrueFalse { false_sql } => match last {
            "True" => {
                qb.push(" AND (").push(sql).push(")");
            }
            "False" => {
                qb.push(" AND (").push(false_sql).push(")");
            }
            _ => {}
        },
    }
    Ok(())
}

/// Adds the lateral joins of the `MultiJoin` filters that are used.
fn push_joins(qb: &mut QueryBuilder<Postgres>, spec: &Spec, params: &[(String, String)]) {
    for (i, filter) in spec.filters.iter().enumerate() {
        if !matches!(filter.kind, FilterKind::MultiJoin) {
            continue;
        }
        let list = multi_values(&values(params, filter.param));
        if !list.is_empty() {
            qb.push(" CROSS JOIN LATERAL (");
            push_template(qb, filter.sql, list);
            qb.push(format!(") AS join_{i}"));
        }
    }
}

/// A restriction of a list to the rows of one parent object (nested
/// URLs such as `global-components/{instance_pk}/labels/`): `sql` with one
/// `{}` bound to `id`.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub sql: &'static str,
    pub id: i64,
}

fn push_where(
    qb: &mut QueryBuilder<Postgres>,
    spec: &Spec,
    params: &[(String, String)],
    scope: Option<Scope>,
    resolved: &Resolved,
) -> Result<()> {
    qb.push(" WHERE TRUE");
    if let Some(scope) = scope {
        qb.push(" AND (");
        push_template(qb, scope.sql, scope.id);
        qb.push(")");
    }
    for filter in spec.filters {
        if let FilterKind::Combined { params: group } = filter.kind {
            let vals: Vec<String> = group
                .iter()
                .map(|p| values(params, p).last().copied().unwrap_or("").to_string())
                .collect();
            if vals.iter().any(|v| !v.is_empty()) {
                qb.push(" AND (");
                push_template(qb, filter.sql, vals);
                qb.push(")");
            }
            continue;
        }
        let vals = values(params, filter.param);
        if !vals.is_empty() {
            push_filter(qb, filter, &vals, resolved)?;
        } else if matches!(filter.kind, FilterKind::UnlessGiven) {
            qb.push(" AND (").push(filter.sql).push(")");
        }
    }
    Ok(())
}

/// Rejects regular expressions PostgreSQL cannot compile, with PDC's text.
async fn check_regexes(
    conn: &mut PgConnection,
    spec: &Spec,
    params: &[(String, String)],
) -> Result<()> {
    for filter in spec
        .filters
        .iter()
        .filter(|f| matches!(f.kind, FilterKind::Regex))
    {
        for v in values(params, filter.param) {
            let ok = sqlx::query("SELECT '' ~ $1")
                .bind(v)
                .execute(&mut *conn)
                .await;
            if let Err(e) = ok {
                if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("2201B") {
                    return Err(invalid_regex(v));
                }
                return Err(crate::db::map_db_error(e));
            }
        }
    }
    Ok(())
}

/// PDC's answer to a bad pattern. It puts the pattern into an ASCII text,
/// so a non-ASCII one fails with Python's encoding error instead.
fn invalid_regex(pattern: &str) -> Error {
    match pattern.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        Some((position, c)) => Error::bad_request(format!(
            "'ascii' codec can't encode character {} in position {position}: ordinal not in range(128)",
            pyrepr::unicode(&c.to_string())
        )),
        None => Error::detail_list([format!(
            "At least one parameter is invalid regular expression: {pattern}"
        )]),
    }
}

/// Resolves the `ordering` parameter (last value wins) into SQL terms.
fn ordering_terms(spec: &Spec, params: &[(String, String)]) -> Result<Option<Vec<String>>> {
    let Some(raw) = values(params, "ordering").last().copied() else {
        return Ok(None);
    };
    // An empty term (`ordering=`, `ordering=name,`) is an unknown key too.
    let terms: Vec<&str> = raw.split(',').map(str::trim).collect();
    let lookup = |name: &str| {
        spec.ordering
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
    };
    let mut sql = Vec::new();
    let mut bad = Vec::new();
    for term in terms {
        let (desc, name) = match term.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, term),
        };
        match lookup(name) {
            Some(expr) => sql.push(format!("{expr}{}", if desc { " DESC" } else { "" })),
            None if name.contains("__") => sql.extend(nested_order(spec, name, desc)?),
            None => bad.push(name.to_string()),
        }
    }
    if !bad.is_empty() {
        let valid: Vec<String> = spec.ordering.iter().map(|(n, _)| n.to_string()).collect();
        return Err(Error::bad_request(format!(
            "Unknown query key: {} not in fields: {}",
            pyrepr::unicode_list(&bad),
            pyrepr::unicode_list(&valid)
        )));
    }
    Ok(Some(sql))
}

/// SQL terms of a nested ordering key (`base_product__release_type__short`)
/// walking the spec's relations: one scalar subquery per term, so rows
/// without the related object sort as NULL (Django's outer joins). Only
/// declared identifiers reach the SQL.
fn nested_order(spec: &Spec, key: &str, desc: bool) -> Result<Vec<String>> {
    let segs: Vec<&str> = key.split("__").collect();
    let Some(rel) = spec.relations.iter().find(|r| r.name == segs[0]) else {
        return Err(match spec.ordering.iter().any(|(n, _)| *n == segs[0]) {
            true => join_not_permitted(segs[1], segs[0]),
            false => Error::bad_request(format!("Unknown ordering key: {}", segs[0])),
        });
    };
    let mut model = rel.model;
    let mut from = format!("{} n1", model.table);
    let mut alias = 1;
    let term = |from: &str, alias: usize, column: &str| {
        let dir = if desc { " DESC" } else { "" };
        format!(
            "(SELECT n{alias}.{column} FROM {from} WHERE n1.id = {}){dir}",
            rel.fk
        )
    };
    let walked = if rel.unserialized {
        &segs[..1]
    } else {
        &segs[..]
    };
    for (i, seg) in walked.iter().enumerate().skip(1) {
        let next = segs.get(i + 1);
        if let Some((_, column)) = model.columns.iter().find(|(n, _)| n == seg) {
            return match next {
                Some(next) => Err(join_not_permitted(next, seg)),
                None => Ok(vec![term(&from, alias, column)]),
            };
        }
        let Some((_, fk, target)) = model.relations.iter().find(|(n, ..)| n == seg) else {
            return Err(Error::bad_request(format!("Unknown ordering key: {seg}")));
        };
        from = format!(
            "{from} JOIN {} n{next_alias} ON n{next_alias}.id = n{alias}.{fk}",
            target.table,
            next_alias = alias + 1
        );
        alias += 1;
        model = target;
    }
    // The key ends at a model: its own ordering.
    Ok(model
        .ordering
        .iter()
        .map(|column| term(&from, alias, column))
        .collect())
}

/// Django's error for a key that continues after a plain field.
fn join_not_permitted(keyword: &str, field: &str) -> Error {
    Error::bad_request(format!(
        "Cannot resolve keyword {} into field. Join on '{field}' not permitted.",
        pyrepr::unicode(keyword)
    ))
}

/// Checks filters and ordering without running anything (for early errors).
pub fn validate(spec: &Spec, params: &[(String, String)]) -> Result<()> {
    let mut qb = QueryBuilder::new("");
    push_where(&mut qb, spec, params, None, &Vec::new())?;
    ordering_terms(spec, params)?;
    Ok(())
}

/// Whether the request's filters restrict which objects a detail URL can
/// name (DRF filters the queryset of detail views too).
pub fn restricts(spec: &Spec, params: &[(String, String)]) -> bool {
    spec.filters.iter().any(|f| {
        matches!(f.kind, FilterKind::UnlessGiven) || params.iter().any(|(k, _)| k == f.param)
    })
}

/// Whether the row `id` passes the request's filters.
pub async fn matches(
    conn: &mut PgConnection,
    spec: &Spec,
    params: &[(String, String)],
    id: i64,
) -> Result<bool> {
    check_regexes(conn, spec, params).await?;
    let resolved = resolve_ids(conn, spec, params).await?;
    let mut qb = QueryBuilder::new(format!("SELECT EXISTS (SELECT 1 FROM {}", spec.from));
    push_joins(&mut qb, spec, params);
    push_where(&mut qb, spec, params, None, &resolved)?;
    qb.push(" AND ")
        .push(spec.id)
        .push(" = ")
        .push_bind(id)
        .push(")");
    qb.build_query_scalar::<bool>()
        .fetch_one(&mut *conn)
        .await
        .db()
}

/// Number of rows matching the filters.
pub async fn count(
    conn: &mut PgConnection,
    spec: &Spec,
    params: &[(String, String)],
    scope: Option<Scope>,
) -> Result<i64> {
    check_regexes(conn, spec, params).await?;
    let resolved = resolve_ids(conn, spec, params).await?;
    let mut qb = QueryBuilder::new(format!("SELECT count(*) FROM {}", spec.from));
    push_joins(&mut qb, spec, params);
    push_where(&mut qb, spec, params, scope, &resolved)?;
    qb.build_query_scalar::<i64>()
        .fetch_one(&mut *conn)
        .await
        .db()
}

/// Ids of the matching rows in list order; `page` is `(limit, offset)`.
pub async fn ids(
    conn: &mut PgConnection,
    spec: &Spec,
    params: &[(String, String)],
    scope: Option<Scope>,
    page: Option<(i64, i64)>,
) -> Result<Vec<i64>> {
    check_regexes(conn, spec, params).await?;
    let resolved = resolve_ids(conn, spec, params).await?;
    let mut qb = QueryBuilder::new(format!("SELECT {} FROM {}", spec.id, spec.from));
    push_joins(&mut qb, spec, params);
    push_where(&mut qb, spec, params, scope, &resolved)?;
    qb.push(" ORDER BY ");
    match ordering_terms(spec, params)? {
        Some(terms) => {
            qb.push(terms.join(", "));
        }
        None => {
            qb.push(spec.default_order);
        }
    }
    qb.push(", ").push(spec.id);
    if let Some((limit, offset)) = page {
        qb.push(" LIMIT ").push_bind(limit);
        qb.push(" OFFSET ").push_bind(offset);
    }
    qb.build_query_scalar::<i64>()
        .fetch_all(&mut *conn)
        .await
        .db()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2030-1-1"),
            chrono::NaiveDate::from_ymd_opt(2030, 1, 1)
        );
        assert!(parse_date("2030-13-01").is_none());
        assert!(parse_date("2030-01-01T00:00").is_none());
        assert!(parse_date("x").is_none());
    }

    #[test]
    fn datetimes() {
        assert!(parse_datetime("2015-02-03").is_some());
        assert!(parse_datetime("2015-02-03 05:50").is_some());
        assert!(parse_datetime("2015-02-03T05:50:49.387Z").is_some());
        assert!(parse_datetime("2015-02-03T05:50:49+02:00").is_some());
        assert!(parse_datetime("x").is_none());
    }

    #[test]
    fn bad_patterns() {
        assert_eq!(
            invalid_regex("*abc").to_string(),
            r#"400 {"detail":["At least one parameter is invalid regular expression: *abc"]}"#
        );
        assert_eq!(
            invalid_regex("*\u{e9}").to_string(),
            r#"400 {"detail":"'ascii' codec can't encode character u'\\xe9' in position 1: ordinal not in range(128)"}"#
        );
    }

    #[test]
    fn lone_empty_value_matches_nothing() {
        assert!(multi_values(&[""]).is_empty());
        assert_eq!(multi_values(&["a", ""]), ["a", ""]);
        assert_eq!(multi_values(&["", ""]), ["", ""]);
    }

    #[test]
    fn like() {
        assert_eq!(like_pattern("a_b%"), "%a\\_b\\%%");
    }
}
