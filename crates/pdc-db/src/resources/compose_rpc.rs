//! The compose look-up RPCs: which composes hold an RPM (by release, by
//! product version, the previous version of a compose) and where to file
//! bugs about a build.

use std::collections::HashMap;

use pdc_core::rpm::{evr_cmp, parse_nvr};
use pdc_core::{Error, Result, pydict};
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::bugzilla::fetch_nodes;
use crate::db::DbResultExt;

/// The options every find RPC takes.
#[derive(Debug, Default, Clone)]
pub struct FindOptions {
    pub included_compose_type: Option<String>,
    pub excluded_compose_type: Option<String>,
    pub latest: bool,
    pub to_dict: bool,
}

/// What PDC's `Compose.__cmp__` looks at.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Sortable {
    id: i64,
    compose_id: String,
    release_pk: i64,
    short: String,
    version: String,
    compose_date: chrono::NaiveDate,
    rank: i32,
    compose_respin: i32,
}

/// A release's version sort key: its numeric parts, as Python's `int()`
/// reads them, or nothing when one is not a number.
fn version_key(version: &str) -> Vec<i64> {
    let parts: Option<Vec<i64>> = version
        .split('.')
        .map(|p| p.trim().trim_start_matches('+').parse().ok())
        .collect();
    parts.unwrap_or_default()
}

/// PDC's compose comparison: productmd order within a release, else the
/// releases' version sort keys (composes of different releases with equal
/// keys compare equal).
fn compose_cmp(a: &Sortable, b: &Sortable) -> std::cmp::Ordering {
    if a.release_pk == b.release_pk {
        (a.compose_date, a.rank, a.compose_respin).cmp(&(b.compose_date, b.rank, b.compose_respin))
    } else {
        (a.short.as_str(), version_key(&a.version))
            .cmp(&(b.short.as_str(), version_key(&b.version)))
    }
}

/// `sorted()` of composes listed release by release: by release key, then
/// (within a release) productmd order; ties keep their place.
fn sorted(mut list: Vec<Sortable>, reverse: bool) -> Vec<Sortable> {
    let mut first_seen: HashMap<i64, usize> = HashMap::new();
    for (i, c) in list.iter().enumerate() {
        first_seen.entry(c.release_pk).or_insert(i);
    }
    let key = |c: &Sortable| {
        (
            c.short.clone(),
            version_key(&c.version),
            first_seen[&c.release_pk],
            c.compose_date,
            c.rank,
            c.compose_respin,
        )
    };
    if reverse {
        // Python's reverse sort keeps equal items in their order.
        list.reverse();
        list.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            (&kb.0, &kb.1).cmp(&(&ka.0, &ka.1)).then_with(|| {
                if a.release_pk == b.release_pk {
                    compose_cmp(b, a)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
        });
        list
    } else {
        list.sort_by_key(key);
        list
    }
}

/// Python's `max()` with PDC's comparison (the first of equal maxima wins).
fn latest(list: Vec<Sortable>) -> Option<Sortable> {
    let mut best: Option<Sortable> = None;
    for c in list {
        match &best {
            Some(b) if compose_cmp(&c, b).is_gt() => best = Some(c),
            None => best = Some(c),
            _ => {}
        }
    }
    best
}

/// Composes (not deleted, type filters applied) matching `scope` with
/// `$1` (text), release by release (release_id order), each by id.
async fn composes_where(
    conn: &mut PgConnection,
    scope: &'static str,
    value: &str,
    opts: &FindOptions,
) -> Result<Vec<Sortable>> {
    let sql = format!(
        r#"SELECT c.id, c.compose_id, c.release_pk, rl.short, rl.version, c.compose_date,
                  compose_type_rank(ct.name) AS rank, c.compose_respin
           FROM compose c
           JOIN release rl ON rl.id = c.release_pk
           JOIN compose_type ct ON ct.id = c.compose_type_pk
           WHERE NOT c.deleted AND {scope}
             AND ($2::text IS NULL OR ct.name = $2) AND ($3::text IS NULL OR ct.name <> $3)
           ORDER BY rl.release_id, c.id"#
    );
    sqlx::query_as::<_, Sortable>(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .bind(opts.included_compose_type.as_deref())
        .bind(opts.excluded_compose_type.as_deref())
        .fetch_all(conn)
        .await
        .db()
}

struct Rpm {
    id: i64,
    name: String,
    epoch: i32,
    version: String,
    release: String,
    arch: String,
}

/// The RPMs named `rpm_name` in a compose, in PDC's RPM order.
async fn compose_rpms(
    conn: &mut PgConnection,
    compose_pk: i64,
    rpm_name: &str,
) -> Result<Vec<Rpm>> {
    sqlx::query_as!(
        Rpm,
        "SELECT r.id, r.name, r.epoch, r.version, r.release, r.arch FROM rpm r
         WHERE r.name = $2 AND EXISTS (
           SELECT 1 FROM compose_rpm cr
           JOIN compose_variant_arch va ON va.id = cr.variant_arch_pk
           JOIN compose_variant v ON v.id = va.variant_pk
           WHERE cr.rpm_pk = r.id AND v.compose_pk = $1)
         ORDER BY r.name, r.epoch, r.version, r.release, r.arch",
        compose_pk,
        rpm_name
    )
    .fetch_all(conn)
    .await
    .db()
}

/// RPM objects as the RPM serializer gives them, without `dependencies`.
async fn rpm_dicts(conn: &mut PgConnection, ids: &[i64]) -> Result<HashMap<i64, Value>> {
    let rows = sqlx::query!(
        r#"SELECT r.id AS "id!", r.name, r.version, r.epoch, r.release, r.arch, r.srpm_name, r.srpm_nevra,
                  r.filename, b.release_id AS "built_for?", r.srpm_commit_hash, r.srpm_commit_branch,
                  ARRAY(SELECT lr.release_id FROM rpm_linked_release l JOIN release lr ON lr.id = l.release_pk
                        WHERE l.rpm_pk = r.id ORDER BY lr.release_id) AS "linked_releases!",
                  ARRAY(SELECT DISTINCT c.compose_id FROM compose_rpm cr
                        JOIN compose_variant_arch va ON va.id = cr.variant_arch_pk
                        JOIN compose_variant v ON v.id = va.variant_pk
                        JOIN compose c ON c.id = v.compose_pk
                        WHERE cr.rpm_pk = r.id AND NOT c.deleted ORDER BY 1) AS "linked_composes!"
           FROM rpm r LEFT JOIN release b ON b.id = r.built_for_release_pk
           WHERE r.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                json!({
                    "id": r.id, "name": r.name, "version": r.version, "epoch": r.epoch,
                    "release": r.release, "arch": r.arch, "srpm_name": r.srpm_name,
                    "srpm_nevra": r.srpm_nevra, "filename": r.filename,
                    "linked_releases": r.linked_releases, "linked_composes": r.linked_composes,
                    "built_for_release": r.built_for, "srpm_commit_hash": r.srpm_commit_hash,
                    "srpm_commit_branch": r.srpm_commit_branch,
                }),
            )
        })
        .collect())
}

async fn packages(conn: &mut PgConnection, rpms: &[Rpm], to_dict: bool) -> Result<Value> {
    if !to_dict {
        return Ok(rpms
            .iter()
            .map(|r| {
                Value::String(format!(
                    "{}-{}:{}-{}.{}.rpm",
                    r.name, r.epoch, r.version, r.release, r.arch
                ))
            })
            .collect());
    }
    let ids: Vec<i64> = rpms.iter().map(|r| r.id).collect();
    let mut dicts = rpm_dicts(conn, &ids).await?;
    Ok(ids.iter().filter_map(|id| dicts.remove(id)).collect())
}

async fn results(
    conn: &mut PgConnection,
    composes: Vec<Sortable>,
    rpm_name: &str,
    opts: &FindOptions,
) -> Result<Value> {
    let composes = if opts.latest {
        latest(composes).into_iter().collect()
    } else {
        sorted(composes, false)
    };
    let mut out = Vec::new();
    for Sortable {
        id: pk, compose_id, ..
    } in composes
    {
        let rpms = compose_rpms(conn, pk, rpm_name).await?;
        let packages = packages(conn, &rpms, opts.to_dict).await?;
        out.push(pydict::literal(
            &json!({"compose": compose_id, "packages": packages}),
        ));
    }
    Ok(Value::Array(out))
}

/// `rpc/find-compose-by-release-rpm/{release_id}/{rpm_name}/`
pub async fn by_release(
    conn: &mut PgConnection,
    release_id: &str,
    rpm_name: &str,
    opts: &FindOptions,
) -> Result<Value> {
    let composes = composes_where(conn, "rl.release_id = $1", release_id, opts).await?;
    results(conn, composes, rpm_name, opts).await
}

/// `rpc/find-composes-by-product-version-rpm/{product_version}/{rpm_name}/`
pub async fn by_product_version(
    conn: &mut PgConnection,
    product_version: &str,
    rpm_name: &str,
    opts: &FindOptions,
) -> Result<Value> {
    let composes = composes_where(
        conn,
        "rl.product_version_pk IN (SELECT id FROM product_version WHERE product_version_id = $1)",
        product_version,
        opts,
    )
    .await?;
    results(conn, composes, rpm_name, opts).await
}

/// `rpc/find-older-compose-by-compose-rpm/{compose_id}/{rpm_name}/`: the
/// newest older compose (same product; same release or a GA one) holding a
/// version of the RPM the given compose does not have.
pub async fn older(
    conn: &mut PgConnection,
    compose_id: &str,
    rpm_name: &str,
    opts: &FindOptions,
) -> Result<Value> {
    let compose = sqlx::query!(
        "SELECT c.id, c.compose_date, c.release_pk, rl.short FROM compose c
         JOIN release rl ON rl.id = c.release_pk WHERE c.compose_id = $1",
        compose_id
    )
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .ok_or_else(Error::not_found)?;
    let current = compose_rpms(conn, compose.id, rpm_name).await?;
    let candidates = sqlx::query_as!(
        Sortable,
        r#"SELECT c.id, c.compose_id, c.release_pk, rl.short, rl.version, c.compose_date,
                  compose_type_rank(ct.name) AS "rank!", c.compose_respin
           FROM compose c
           JOIN release rl ON rl.id = c.release_pk
           JOIN compose_type ct ON ct.id = c.compose_type_pk
           WHERE NOT c.deleted AND c.compose_date <= $1 AND rl.short = $2 AND c.id <> $3
             AND (c.release_pk = $4 OR rl.release_type_pk IN (SELECT id FROM release_type WHERE short = 'ga'))
             AND EXISTS (SELECT 1 FROM compose_rpm cr
                         JOIN compose_variant_arch va ON va.id = cr.variant_arch_pk
                         JOIN compose_variant v ON v.id = va.variant_pk
                         JOIN rpm r ON r.id = cr.rpm_pk
                         WHERE v.compose_pk = c.id AND r.name = $5)
             AND ($6::text IS NULL OR ct.name = $6) AND ($7::text IS NULL OR ct.name <> $7)
           ORDER BY c.id"#,
        compose.compose_date,
        compose.short,
        compose.id,
        compose.release_pk,
        rpm_name,
        opts.included_compose_type.as_deref(),
        opts.excluded_compose_type.as_deref()
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let same = |a: &Rpm, b: &Rpm| {
        evr_cmp(
            (a.epoch as u32, &a.version, &a.release),
            (b.epoch as u32, &b.version, &b.release),
        )
        .is_eq()
    };
    for c in sorted(candidates, true) {
        let rpms = compose_rpms(conn, c.id, rpm_name).await?;
        if rpms.iter().any(|r| !current.iter().any(|o| same(r, o))) {
            let packages = packages(conn, &rpms, opts.to_dict).await?;
            return Ok(pydict::literal(
                &json!({"compose": c.compose_id, "packages": packages}),
            ));
        }
    }
    // PDC raises Django's Http404 with a message DRF does not show.
    Err(Error::not_found())
}

/// `rpc/where-to-file-bugs/?nvr=`: bugzilla product and components of the
/// releases of every compose holding a build of that N-V-R.
pub async fn where_to_file_bugs(conn: &mut PgConnection, nvr: &str) -> Result<Value> {
    let parsed = parse_nvr(nvr).map_err(|m| Error::detail(404, m))?;
    let srpm = sqlx::query_scalar!(
        "SELECT srpm_name FROM rpm WHERE name = $1 AND version = $2 AND release = $3 ORDER BY id LIMIT 1",
        parsed.name,
        parsed.version,
        parsed.release
    )
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .ok_or_else(|| Error::detail(404, "not found"))?;
    let releases = sqlx::query!(
        r#"SELECT DISTINCT ON (c.id) c.id, c.release_pk, bz.bugzilla_product AS "product?"
           FROM compose c
           LEFT JOIN release_bugzilla_mapping bz ON bz.release_pk = c.release_pk
           WHERE EXISTS (SELECT 1 FROM compose_rpm cr
                         JOIN compose_variant_arch va ON va.id = cr.variant_arch_pk
                         JOIN compose_variant v ON v.id = va.variant_pk
                         JOIN rpm r ON r.id = cr.rpm_pk
                         WHERE v.compose_pk = c.id AND r.name = $1 AND r.version = $2
                           AND r.release = $3)
           ORDER BY c.id"#,
        parsed.name,
        parsed.version,
        parsed.release
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut out: Vec<Value> = Vec::new();
    for r in releases {
        // With the bindings app, an SRPM name maps to the components named
        // by its mappings, else to the component of that name.
        let nodes = sqlx::query_scalar!(
            r#"SELECT DISTINCT rc.bugzilla_component_pk AS "pk!" FROM release_component rc
               WHERE rc.release_pk = $1 AND rc.bugzilla_component_pk IS NOT NULL
                 AND rc.name IN (
                   SELECT rc2.name FROM release_component_srpm_mapping m
                   JOIN release_component rc2 ON rc2.id = m.release_component_pk
                   WHERE m.srpm_name = $2
                   UNION SELECT $2 WHERE NOT EXISTS (
                     SELECT 1 FROM release_component_srpm_mapping m WHERE m.srpm_name = $2))"#,
            r.release_pk,
            srpm
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let mut components = Vec::new();
        for (_, node) in fetch_nodes(conn, &nodes).await? {
            let node = json!({
                "name": node["name"],
                "parent_component": node["parent_component"],
                "subcomponents": node["subcomponents"],
            });
            components.push(pydict::reordered(&node));
        }
        let entry = pydict::reordered(&json!({
            "bugzilla_product": r.product,
            "bugzilla_component": components,
        }));
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    Ok(Value::Array(out))
}
