//! Composes (`composes/`): listed in productmd order, changed only through
//! PATCH of the QE fields and linked releases, and soft-deleted.

use std::collections::HashMap;

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Kind, py_str};
use pdc_core::rpm::{parse_nvr, parse_nvra};
use pdc_core::{Error, Result, pydict};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::resource::{Ctx, Resource, Write, in_order};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

pub struct Composes;

const STR: Kind = Kind::Str {
    max: 0,
    blank: true,
};

static FIELDS: [Field; 12] = [
    Field::ro("compose_id", STR),
    Field::ro("compose_date", STR).doc("`YYYY-MM-DD`."),
    Field::ro("compose_type", STR).doc("`production`, `nightly` or `test`."),
    Field::ro("compose_respin", Kind::Int),
    Field::ro("release", STR).doc("release_id of the release the compose was built for."),
    Field::ro("compose_label", STR).nullable().null_in_output(),
    Field::ro("deleted", Kind::Bool),
    Field::ro("rpm_mapping_template", STR)
        .doc("URL of the compose's RPM mapping with `{{package}}` in place of the SRPM name."),
    Field::ro("sigkeys", Kind::Custom)
        .doc("Sorted key ids of the compose's RPMs, then `null` if any RPM is unsigned."),
    Field::opt("acceptance_testing", STR).doc("`untested`, `passed` or `failed` (PATCH)."),
    Field::opt("linked_releases", Kind::Custom)
        .doc("release_ids the compose is linked to (PATCH replaces the list)."),
    Field::opt("rtt_tested_architectures", Kind::Custom)
        .doc("`{variant_uid: {arch: status}}` of every tree (PATCH changes the trees given)."),
];

/// Text of a date filter value as Django's DateField reads it, or its 400.
fn date_value(v: &str) -> Result<String> {
    crate::list::parse_date(v.trim())
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| {
            Error::detail_list([format!(
                "'{v}' value has an invalid date format. It must be in YYYY-MM-DD format."
            )])
        })
}

/// An integer filter value as Python's `int()` reads it, or its 400.
fn int_value(v: &str) -> Result<String> {
    v.trim().parse::<i64>().map(|i| i.to_string()).map_err(|_| {
        Error::bad_request(format!(
            "invalid literal for int() with base 10: {}",
            pdc_core::pyrepr::str_repr(v)
        ))
    })
}

fn nvr_parts(v: &str) -> Result<Vec<String>> {
    let nvr = parse_nvr(v).map_err(|m| Error::detail_list([m]))?;
    Ok(vec![nvr.name, nvr.version, nvr.release])
}

fn nvra_parts(v: &str) -> Result<Vec<String>> {
    let n = parse_nvra(v).map_err(|m| Error::detail_list([m]))?;
    Ok(vec![n.name, n.version, n.release, n.arch])
}

/// The compose has an RPM matching `cond` (on `rp`, the RPM).
macro_rules! has_rpm {
    ($cond:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM compose_variant v
               JOIN compose_variant_arch va ON va.variant_pk = v.id
               JOIN compose_rpm cr ON cr.variant_arch_pk = va.id
               JOIN rpm rp ON rp.id = cr.rpm_pk
             WHERE v.compose_pk = c.id AND ",
            $cond,
            ")"
        )
    };
}

/// Properties of one RPM of the compose, matched together.
const RPM_PARAMS: [&str; 5] = [
    "rpm_name",
    "srpm_name",
    "rpm_version",
    "rpm_release",
    "rpm_arch",
];
const RPM_DOC: &str = "Case-insensitive; the last value counts. All `rpm_*`/`srpm_name` \
                       parameters given must match the same RPM of the compose.";

pub static COMPOSES: Spec = Spec {
    prefix: "composes",
    lookup: &["compose_id"],
    lookup_dots: true,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new("release", FilterKind::MultiCi, "lower(rl.release_id) = ANY({})"),
        Filter::new("compose_id", FilterKind::MultiCi, "lower(c.compose_id) = ANY({})"),
        Filter::new("compose_type", FilterKind::MultiCi, "lower(ct.name) = ANY({})"),
        Filter::multi(
            "acceptance_testing",
            "c.acceptance_testing_pk IN (SELECT id FROM testing_state WHERE name = ANY({}))",
        ),
        Filter::new(
            "compose_date",
            FilterKind::MultiMapped { map: date_value },
            "c.compose_date::text = ANY({})",
        ),
        Filter::new(
            "compose_respin",
            FilterKind::MultiMapped { map: int_value },
            "c.compose_respin::text = ANY({})",
        ),
        Filter::multi("compose_label", "c.compose_label = ANY({})"),
        Filter::boolean("deleted", "c.deleted = {}"),
        Filter::new(
            "rpm_nvr",
            FilterKind::Parsed { parse: nvr_parts },
            has_rpm!("rp.name = ({})[1] AND rp.version = ({})[2] AND rp.release = ({})[3]"),
        )
        .doc("N-V-R of an RPM in the compose (epoch ignored)."),
        Filter::new(
            "rpm_nvra",
            FilterKind::Parsed { parse: nvra_parts },
            has_rpm!(
                "rp.name = ({})[1] AND rp.version = ({})[2] AND rp.release = ({})[3] AND rp.arch = ({})[4]"
            ),
        )
        .doc("N-V-R.A of an RPM in the compose (epoch ignored)."),
        Filter::new(
            "rpm_name",
            FilterKind::Combined {
                params: &RPM_PARAMS,
            },
            has_rpm!(
                "(({})[1] = '' OR lower(rp.name) = lower(({})[1]))
                 AND (({})[2] = '' OR lower(rp.srpm_name) = lower(({})[2]))
                 AND (({})[3] = '' OR lower(rp.version) = lower(({})[3]))
                 AND (({})[4] = '' OR lower(rp.release) = lower(({})[4]))
                 AND (({})[5] = '' OR lower(rp.arch) = lower(({})[5]))"
            ),
        )
        .doc(RPM_DOC),
        Filter::new("srpm_name", FilterKind::PartOf, "").doc(RPM_DOC),
        Filter::new("rpm_version", FilterKind::PartOf, "").doc(RPM_DOC),
        Filter::new("rpm_release", FilterKind::PartOf, "").doc(RPM_DOC),
        Filter::new("rpm_arch", FilterKind::PartOf, "").doc(RPM_DOC),
    ],
    extra_params: &[],
    strict_params: true,
    from: "compose c JOIN release rl ON rl.id = c.release_pk \
           JOIN compose_type ct ON ct.id = c.compose_type_pk",
    id: "c.id",
    ordering: &[
        ("id", "c.id"),
        ("compose_id", "c.compose_id"),
        ("compose_date", "c.compose_date"),
        ("compose_type", "c.compose_type_pk"),
        ("compose_respin", "c.compose_respin"),
        ("release", "rl.release_id"),
        ("compose_label", "c.compose_label"),
        ("deleted", "c.deleted"),
        ("acceptance_testing", "c.acceptance_testing_pk"),
        ("dt_imported", "c.dt_imported"),
    ],
    // Releases by their version sort key, then productmd's order of the
    // composes of one release: date, type rank, respin.
    relations: &[],
    default_order: "rl.short COLLATE \"C\", release_version_key(rl.version), c.compose_date, \
                    compose_type_rank(ct.name), c.compose_respin",
    actions: Actions {
        list: true,
        retrieve: true,
        create: false,
        update: false,
        partial_update: true,
        destroy: true,
    },
    change_name: "compose",
    last_modified: &[],
    caching: Caching::Default,
    model: "compose",
    doc: "Composes, created by the compose imports. Listed by release (short and version), \
          then date, type and respin, unless `ordering` is given. PATCH changes \
          `acceptance_testing`, `linked_releases` and `rtt_tested_architectures` only; \
          DELETE marks the compose deleted.",
};

impl Resource for Composes {
    const SPEC: &'static Spec = &COMPOSES;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        compose_pk(conn, &key[0]).await
    }

    async fn fetch(conn: &mut PgConnection, ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        fetch_composes(conn, ctx, ids).await
    }
}

pub async fn compose_pk(conn: &mut PgConnection, compose_id: &str) -> Result<Option<i64>> {
    sqlx::query_scalar!("SELECT id FROM compose WHERE compose_id = $1", compose_id)
        .fetch_optional(conn)
        .await
        .db()
}

/// `{variant_uid: {arch: status}}` of the trees of each compose, in the
/// order a Python 2 dict filled by variant uid and arch name iterates.
async fn tree_states(conn: &mut PgConnection, ids: &[i64]) -> Result<HashMap<i64, Value>> {
    let rows = sqlx::query!(
        r#"SELECT v.compose_pk, v.variant_uid, a.name AS arch, ts.name AS state
           FROM compose_variant_arch va
           JOIN compose_variant v ON v.id = va.variant_pk
           JOIN arch a ON a.id = va.arch_pk
           JOIN testing_state ts ON ts.id = va.rtt_testing_status_pk
           WHERE v.compose_pk = ANY($1)
           ORDER BY v.variant_uid COLLATE "C", a.name COLLATE "C""#,
        ids
    )
    .fetch_all(conn)
    .await
    .db()?;
    let mut out: HashMap<i64, Map<String, Value>> = HashMap::new();
    for r in rows {
        let variants = out.entry(r.compose_pk).or_default();
        let arches = variants
            .entry(r.variant_uid)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = arches {
            m.insert(r.arch, Value::String(r.state));
        }
    }
    Ok(out
        .into_iter()
        .map(|(k, v)| (k, pydict::reordered(&Value::Object(v))))
        .collect())
}

pub async fn fetch_composes(conn: &mut PgConnection, ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
    let rows = sqlx::query!(
        r#"SELECT c.id, c.compose_id, c.compose_date, ct.name AS compose_type, c.compose_respin,
                  rl.release_id, c.compose_label, c.deleted, ts.name AS acceptance_testing,
                  ARRAY(SELECT DISTINCT s.key_id COLLATE "C" FROM compose_variant v
                        JOIN compose_variant_arch va ON va.variant_pk = v.id
                        JOIN compose_rpm cr ON cr.variant_arch_pk = va.id
                        JOIN sigkey s ON s.id = cr.sigkey_pk
                        WHERE v.compose_pk = c.id ORDER BY 1) AS "sigkeys!",
                  EXISTS (SELECT 1 FROM compose_variant v
                          JOIN compose_variant_arch va ON va.variant_pk = v.id
                          JOIN compose_rpm cr ON cr.variant_arch_pk = va.id
                          WHERE v.compose_pk = c.id AND cr.sigkey_pk IS NULL) AS "unsigned!",
                  ARRAY(SELECT r2.release_id FROM compose_linked_release l
                        JOIN release r2 ON r2.id = l.release_pk
                        WHERE l.compose_pk = c.id ORDER BY r2.release_id COLLATE "C") AS "linked!"
           FROM compose c
           JOIN release rl ON rl.id = c.release_pk
           JOIN compose_type ct ON ct.id = c.compose_type_pk
           JOIN testing_state ts ON ts.id = c.acceptance_testing_pk
           WHERE c.id = ANY($1)"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut trees = tree_states(conn, ids).await?;
    let values = rows
        .into_iter()
        .map(|r| {
            let mut sigkeys: Vec<Value> = r.sigkeys.into_iter().map(Value::String).collect();
            if r.unsigned {
                sigkeys.push(Value::Null);
            }
            let value = json!({
                "compose_id": r.compose_id,
                "compose_date": r.compose_date.format("%Y-%m-%d").to_string(),
                "compose_type": r.compose_type,
                "compose_respin": r.compose_respin,
                "release": r.release_id,
                "compose_label": r.compose_label,
                "deleted": r.deleted,
                "rpm_mapping_template": ctx.api_url(&format!(
                    "composes/{}/rpm-mapping/{{{{package}}}}/",
                    r.compose_id
                )),
                "sigkeys": sigkeys,
                "acceptance_testing": r.acceptance_testing,
                "linked_releases": r.linked,
                "rtt_tested_architectures": trees.remove(&r.id).unwrap_or_else(|| json!({})),
            });
            (r.id, value)
        })
        .collect();
    Ok(in_order(ids, values))
}

// ---------------------------------------------------------------- PATCH

const UPDATABLE: [&str; 3] = [
    "acceptance_testing",
    "linked_releases",
    "rtt_tested_architectures",
];

/// PDC's `as_dict`: the value, or a 400 naming it.
fn as_dict<'a>(v: &'a Value, name: &str) -> Result<&'a Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(Error::detail_list([format!(
            "{name}: \"{}\" is not a dict",
            py_str(other)
        )])),
    }
}

/// Keys of a request object in the order PDC (a Python 2 dict) walks them.
fn py_keys(m: &Map<String, Value>) -> Vec<&str> {
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    pydict::order(&keys, 1)
}

/// The error of a testing-state value that is not one of the states.
pub async fn state_error(conn: &mut PgConnection, value: &Value) -> Result<String> {
    if value.is_null() {
        return Ok("This field may not be null.".into());
    }
    let all: Vec<String> = sqlx::query_scalar!("SELECT name FROM testing_state ORDER BY id")
        .fetch_all(conn)
        .await
        .db()?
        .into_iter()
        .map(|n| format!("'{n}'"))
        .collect();
    Ok(format!(
        "'{}' is not allowed value. Use one of {}.",
        py_str(value),
        all.join(", ")
    ))
}

/// Id of the testing state a value names.
pub async fn state_pk(conn: &mut PgConnection, value: &Value) -> Result<Option<i64>> {
    let Some(name) = value.as_str() else {
        return Ok(None);
    };
    sqlx::query_scalar!("SELECT id FROM testing_state WHERE name = $1", name)
        .fetch_optional(conn)
        .await
        .db()
}

/// Sets the testing state of the compose trees given as `{variant: {arch: state}}`.
async fn update_trees(
    w: &mut Write<'_>,
    compose_pk: Option<i64>,
    compose_id: &str,
    value: &Value,
) -> Result<()> {
    let variants = as_dict(value, "rtt_tested_architectures")?;
    for variant in py_keys(variants) {
        let arches = as_dict(&variants[variant], variant)?;
        for arch in py_keys(arches) {
            let status = &arches[arch];
            let tree = sqlx::query!(
                "SELECT va.id, ts.name AS state FROM compose_variant_arch va
                 JOIN compose_variant v ON v.id = va.variant_pk
                 JOIN arch a ON a.id = va.arch_pk
                 JOIN testing_state ts ON ts.id = va.rtt_testing_status_pk
                 WHERE v.compose_pk = $1 AND v.variant_uid = $2 AND a.name = $3",
                compose_pk,
                variant,
                arch
            )
            .fetch_optional(&mut *w.conn)
            .await
            .db()?;
            let Some(tree) = tree else {
                return Err(Error::status(
                    400,
                    json!({"rtt_tested_architectures":
                        format!("{variant}.{arch} not in compose {compose_id}.")}),
                ));
            };
            let Some(state) = state_pk(w.conn, status).await? else {
                return Err(Error::status(
                    400,
                    json!({"rtt_tested_architectures": format!(
                        "\"{}\" is not a known testing status for {variant}.{arch}.",
                        py_str(status)
                    )}),
                ));
            };
            sqlx::query!(
                "UPDATE compose_variant_arch SET rtt_testing_status_pk = $2 WHERE id = $1",
                tree.id,
                state
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            w.changes.add(
                "composevariantarch",
                tree.id,
                Some(&json!({"rtt_testing_status": tree.state})),
                Some(&json!({"rtt_testing_status": py_str(status)})),
            );
        }
    }
    Ok(())
}

/// The releases `linked_releases` names (deduplicated), or its 400.
async fn linked_release_pks(conn: &mut PgConnection, value: &Value) -> Result<Vec<i64>> {
    let field_error = |msg: String| Error::status(400, json!({ "linked_releases": [msg] }));
    let items = match value {
        v if !pdc_core::fields::truthy(v) => {
            return Err(field_error("This field may not be null.".into()));
        }
        Value::Array(items) => items,
        _ => return Err(field_error("Expected a list.".into())),
    };
    let mut pks = Vec::new();
    for item in items {
        let Value::String(release_id) = item else {
            return Err(field_error(format!(
                "Expected a string instead of <{}>.",
                py_str(item)
            )));
        };
        let pk = sqlx::query_scalar!("SELECT id FROM release WHERE release_id = $1", release_id)
            .fetch_optional(&mut *conn)
            .await
            .db()?
            .ok_or_else(|| {
                field_error(format!(
                    "Object with release_id={release_id} does not exist."
                ))
            })?;
        if !pks.contains(&pk) {
            pks.push(pk);
        }
    }
    Ok(pks)
}

/// PATCH of one compose (the body is not empty), with PDC's checks and
/// changes. PDC sets the trees before it looks the compose up, so an
/// unknown compose (`pk` None) fails on the first tree named, else is a 404.
pub async fn patch(
    w: &mut Write<'_>,
    pk: Option<i64>,
    compose_id: &str,
    body: &Value,
) -> Result<()> {
    let Value::Object(body) = body else {
        return Err(Error::bad_request(
            "The parameters' format for updating is wrong. Please read API documentation",
        ));
    };
    if body.keys().any(|k| !UPDATABLE.contains(&k.as_str())) {
        // The names come in the order of PDC's Python 2 set.
        return Err(Error::bad_request(
            "Only these properties can be updated: acceptance_testing, \
             rtt_tested_architectures, linked_releases",
        ));
    }
    if let Some(trees) = body.get("rtt_tested_architectures") {
        update_trees(w, pk, compose_id, trees).await?;
    }
    let Some(pk) = pk else {
        return Err(Error::not_found());
    };
    let current = sqlx::query!(
        "SELECT c.release_pk, ts.name AS state FROM compose c
         JOIN testing_state ts ON ts.id = c.acceptance_testing_pk WHERE c.id = $1",
        pk
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    let mut errors = FieldErrors::new();
    let mut state = None;
    if let Some(v) = body.get("acceptance_testing") {
        match state_pk(w.conn, v).await? {
            Some(id) => state = Some(id),
            None => errors.add("acceptance_testing", state_error(w.conn, v).await?),
        }
    }
    // The linked releases are read before the other fields are checked,
    // and their errors are the only ones reported.
    let linked = match body.get("linked_releases") {
        Some(v) => Some(linked_release_pks(w.conn, v).await?),
        None => None,
    };
    if !errors.is_empty() {
        return Err(Error::fields(errors));
    }
    if linked
        .as_ref()
        .is_some_and(|l| l.contains(&current.release_pk))
    {
        return Err(Error::detail_list([
            "Can not link to the release for which the compose was built.",
        ]));
    }
    let old_linked = linked_ids(w.conn, pk).await?;
    if let Some(state) = state {
        sqlx::query!(
            "UPDATE compose SET acceptance_testing_pk = $2 WHERE id = $1",
            pk,
            state
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
    }
    if let Some(linked) = &linked {
        sqlx::query!(
            "DELETE FROM compose_linked_release WHERE compose_pk = $1",
            pk
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        sqlx::query!(
            "INSERT INTO compose_linked_release (compose_pk, release_pk)
             SELECT $1, unnest($2::bigint[])",
            pk,
            linked
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
    }
    let new_state = sqlx::query_scalar!(
        "SELECT ts.name FROM compose c JOIN testing_state ts ON ts.id = c.acceptance_testing_pk
         WHERE c.id = $1",
        pk
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    let new_linked = linked_ids(w.conn, pk).await?;
    w.changes.add(
        "compose",
        pk,
        Some(&json!({"acceptance_testing": current.state})),
        Some(&json!({"acceptance_testing": new_state})),
    );
    w.changes.add(
        "compose",
        pk,
        Some(&json!({"linked_releases": old_linked})),
        Some(&json!({"linked_releases": new_linked})),
    );
    Ok(())
}

async fn linked_ids(conn: &mut PgConnection, pk: i64) -> Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT r.release_id FROM compose_linked_release l JOIN release r ON r.id = l.release_pk
           WHERE l.compose_pk = $1 ORDER BY r.release_id COLLATE "C""#,
        pk
    )
    .fetch_all(conn)
    .await
    .db()
}

/// Marks the compose deleted; false when it already was (nothing changes).
pub async fn soft_delete(w: &mut Write<'_>, pk: i64) -> Result<bool> {
    let changed = sqlx::query!(
        "UPDATE compose SET deleted = true WHERE id = $1 AND NOT deleted",
        pk
    )
    .execute(&mut *w.conn)
    .await
    .db()?
    .rows_affected()
        > 0;
    if changed {
        w.changes.add(
            "compose",
            pk,
            Some(&json!({"deleted": false})),
            Some(&json!({"deleted": true})),
        );
    }
    Ok(changed)
}
