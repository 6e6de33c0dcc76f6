//! Released files (`released-files/`, experimental in PDC): which RPM was
//! released into which content-delivery repository, and when.

use pdc_core::fields::{Default, Field, Kind, Op, parse_body, py_str};
use pdc_core::{Error, Result, fmt, pydict};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

pub struct ReleasedFiles;

static FIELDS: [Field; 9] = [
    Field::ro("id", Kind::Int),
    Field::req("file_primary_key", Kind::Int)
        .doc("Id of the file's row: an RPM id for `rpm` repositories."),
    Field::req("repo", Kind::Custom).doc("Input `{\"id\": <repo id>}`; output the repository."),
    Field::opt("released_date", Kind::Custom)
        .null_in_output()
        .doc("YYYY-MM-DD"),
    Field::req("release_date", Kind::Custom).doc("YYYY-MM-DD"),
    Field::ro(
        "created_at",
        Kind::Str {
            max: 0,
            blank: true,
        },
    ),
    Field::ro(
        "updated_at",
        Kind::Str {
            max: 0,
            blank: true,
        },
    ),
    Field::with_default("zero_day_release", Kind::Bool, Default::Bool(false)),
    Field::with_default("obsolete", Kind::Bool, Default::Bool(false)),
];

const FIELD_ORDER: [&str; 9] = [
    "id",
    "file_primary_key",
    "repo",
    "released_date",
    "release_date",
    "created_at",
    "updated_at",
    "zero_day_release",
    "obsolete",
];

/// A condition on the row's repository (`{}` binds the values).
macro_rules! via_repo {
    ($cond:literal) => {
        concat!(
            "f.repo_pk IN (SELECT r.id FROM repo r
               JOIN variant_arch va ON va.id = r.variant_arch_pk
               JOIN variant v ON v.id = va.variant_pk
               JOIN release rel ON rel.id = v.release_pk
               JOIN arch a ON a.id = va.arch_pk
               JOIN service s ON s.id = r.service_pk WHERE ",
            $cond,
            ")"
        )
    };
}

pub static RELEASED_FILES: Spec = Spec {
    prefix: "released-files",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("released_date", "f.released_date::text = ANY({})"),
        Filter::multi("release_date", "f.release_date::text = ANY({})"),
        Filter::boolean("zero_day_release", "f.zero_day_release = {}"),
        Filter::boolean("obsolete", "f.obsolete = {}"),
        Filter::new(
            "file_primary_key",
            FilterKind::MultiInt,
            "f.file_primary_key = ANY({})",
        ),
        Filter::multi("repo", "f.repo_pk::text = ANY({})").doc("Repository id"),
        Filter::multi("repo_name", via_repo!("r.name = ANY({})")),
        Filter::multi("release_id", via_repo!("rel.release_id = ANY({})")),
        Filter::multi("service", via_repo!("s.name = ANY({})")),
        Filter::multi("arch", via_repo!("a.name = ANY({})")),
        Filter::multi("variant_uid", via_repo!("v.variant_uid = ANY({})")),
        Filter::new(
            "release_date_after",
            FilterKind::Date,
            "f.release_date >= {}",
        ),
        Filter::new(
            "release_date_before",
            FilterKind::Date,
            "f.release_date <= {}",
        ),
        Filter::new(
            "released_date_after",
            FilterKind::Date,
            "f.released_date >= {}",
        ),
        Filter::new(
            "released_date_before",
            FilterKind::Date,
            "f.released_date <= {}",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "released_files f",
    id: "f.id",
    ordering: &[
        ("id", "f.id"),
        ("file_primary_key", "f.file_primary_key"),
        ("repo", "f.repo_pk"),
        ("released_date", "f.released_date"),
        ("release_date", "f.release_date"),
        ("created_at", "f.created_at"),
        ("updated_at", "f.updated_at"),
        ("zero_day_release", "f.zero_day_release"),
        ("obsolete", "f.obsolete"),
    ],
    relations: &[],
    default_order: "f.id",
    actions: Actions::ALL,
    change_name: "releasedfiles",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasedfiles",
    doc: "Released files (experimental): RPMs released into content-delivery repositories. \
          Answers add `build` (`srpm_name-version-arch`), `package` and `file` of the RPM.",
};

impl Resource for ReleasedFiles {
    const SPEC: &'static Spec = &RELEASED_FILES;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "released_files", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT f.id, f.file_primary_key, f.released_date, f.release_date, f.created_at,
                      f.updated_at, f.zero_day_release, f.obsolete,
                      r.id AS repo_id, rel.release_id, v.variant_uid, a.name AS arch,
                      s.name AS service, fam.name AS repo_family, cf.name AS content_format,
                      cc.name AS content_category, r.name AS repo_name, r.shadow, r.product_id,
                      p.srpm_name AS "srpm_name?", p.version AS "version?", p.arch AS "rpm_arch?",
                      p.filename AS "filename?"
               FROM released_files f
               JOIN repo r ON r.id = f.repo_pk
               JOIN variant_arch va ON va.id = r.variant_arch_pk
               JOIN variant v ON v.id = va.variant_pk
               JOIN release rel ON rel.id = v.release_pk
               JOIN arch a ON a.id = va.arch_pk
               JOIN service s ON s.id = r.service_pk
               JOIN repo_family fam ON fam.id = r.repo_family_pk
               JOIN content_format cf ON cf.id = r.content_format_pk
               JOIN content_category cc ON cc.id = r.content_category_pk
               LEFT JOIN rpm p ON p.id = f.file_primary_key AND cf.name = 'rpm'
               WHERE f.id = ANY($1)"#,
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        let values = rows
            .into_iter()
            .map(|r| {
                let mut v = json!({
                    "id": r.id,
                    "file_primary_key": r.file_primary_key,
                    "repo": {
                        "id": r.repo_id,
                        "release_id": r.release_id,
                        "variant_uid": r.variant_uid,
                        "arch": r.arch,
                        "service": r.service,
                        "repo_family": r.repo_family,
                        "content_format": r.content_format,
                        "content_category": r.content_category,
                        "name": r.repo_name,
                        "shadow": r.shadow,
                        "product_id": r.product_id,
                    },
                    "released_date": r.released_date.map(|d| d.to_string()),
                    "release_date": r.release_date.to_string(),
                    "created_at": fmt::datetime(&r.created_at),
                    "updated_at": fmt::datetime(&r.updated_at),
                    "zero_day_release": r.zero_day_release,
                    "obsolete": r.obsolete,
                });
                // PDC adds the RPM's names for rpm repositories (and fails
                // when the RPM does not exist: then they are left out).
                if let (Some(srpm), Some(version), Some(arch), Some(file), Some(map)) = (
                    r.srpm_name,
                    r.version,
                    r.rpm_arch,
                    r.filename,
                    v.as_object_mut(),
                ) {
                    map.insert("build".into(), json!(format!("{srpm}-{version}-{arch}")));
                    map.insert("package".into(), json!(srpm));
                    map.insert("file".into(), json!(file));
                }
                (r.id, v)
            })
            .collect();
        Ok(in_order(ids, values))
    }

    async fn export(conn: &mut PgConnection, _ctx: &Ctx, id: i64, _value: Value) -> Result<Value> {
        export(conn, id).await
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        save(w.conn, None, body, Op::Create).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        save(w.conn, Some(id), body, op).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "released_files", id).await
    }
}

/// `ReleasedFiles.export()`: `model_to_dict` (which leaves out the
/// auto-updated `updated_at`) with dates as Python `str()` texts.
async fn export(conn: &mut PgConnection, id: i64) -> Result<Value> {
    let r = sqlx::query!(
        "SELECT file_primary_key, repo_pk, released_date, release_date, created_at,
                zero_day_release, obsolete
         FROM released_files WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await
    .db()?;
    let value = json!({
        "file_primary_key": r.file_primary_key,
        "repo": r.repo_pk,
        "released_date": r.released_date.map_or("None".to_string(), |d| d.to_string()),
        "release_date": r.release_date.to_string(),
        "created_at": r.created_at.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string(),
        "zero_day_release": r.zero_day_release,
        "obsolete": r.obsolete,
    });
    let keys = [
        "file_primary_key",
        "repo",
        "released_date",
        "release_date",
        "created_at",
        "zero_day_release",
        "obsolete",
    ];
    let mut map = Map::new();
    for k in pydict::order(&keys, 1) {
        map.insert(k.to_string(), value[k].clone());
    }
    Ok(Value::Object(map))
}

/// PDC's `RepoField`: `Ok(Err(error value))` for a bad input.
async fn repo_input(
    conn: &mut PgConnection,
    raw: &Value,
) -> Result<std::result::Result<(i64, String, String), Value>> {
    let Value::Object(map) = raw else {
        return Ok(Err(
            json!({"detail": format!("Input [{}] must be a dict.", py_str(raw))}),
        ));
    };
    if map.len() != 1 || !map.contains_key("id") {
        return Ok(Err(json!({"detail": "Only accepts {\"id\":\"int\"}"})));
    }
    let id = match &map["id"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let Some(id) = id else {
        return Ok(Err(json!([format!(
            "Value [{}] is not an integer",
            py_str(&map["id"])
        )])));
    };
    let found = sqlx::query!(
        "SELECT r.name, cf.name AS format FROM repo r
         JOIN content_format cf ON cf.id = r.content_format_pk WHERE r.id = $1",
        id
    )
    .fetch_optional(conn)
    .await
    .db()?;
    Ok(match found {
        Some(r) => Ok((id, r.name, r.format)),
        None => Err(json!({"detail": format!("Repo with id {id} doesn't exist")})),
    })
}

async fn save(
    conn: &mut PgConnection,
    id: Option<i64>,
    body: &Map<String, Value>,
    op: Op,
) -> Result<i64> {
    let (input, mut errors) = parse_body(&FIELDS, body, op);
    let mut dates = [None, None];
    for (slot, name) in dates.iter_mut().zip(["released_date", "release_date"]) {
        if let Some(raw) = input.json(name) {
            match raw
                .as_str()
                .and_then(|t| chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok())
            {
                Some(d) => *slot = Some(d),
                None => errors.add(
                    name,
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                ),
            }
        }
    }
    let [released, release] = dates;
    let mut repo = None;
    if let Some(raw) = input.json("repo") {
        match repo_input(conn, raw).await? {
            Ok(r) => repo = Some(r),
            Err(e) => errors.set("repo", e),
        }
    }
    if let Some(k) = input.int("file_primary_key")
        && i32::try_from(k).is_err()
    {
        errors.add(
            "file_primary_key",
            "Ensure this value is less than or equal to 2147483647.",
        );
    }
    errors.into_result(&FIELD_ORDER)?;

    let current = match id {
        Some(id) => Some(
            sqlx::query!(
                "SELECT file_primary_key, repo_pk, released_date, release_date, zero_day_release,
                        obsolete FROM released_files WHERE id = $1",
                id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?,
        ),
        None => None,
    };
    let key = input
        .int("file_primary_key")
        .map(|k| k as i32)
        .or(current.as_ref().map(|c| c.file_primary_key))
        .unwrap_or_default();
    let repo_pk = repo
        .as_ref()
        .map(|r| r.0)
        .or(current.as_ref().map(|c| c.repo_pk))
        .unwrap_or_default();
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM released_files WHERE file_primary_key = $1
                          AND repo_pk = $2 AND id IS DISTINCT FROM $3) AS "t!""#,
        key,
        repo_pk,
        id
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    if taken {
        return Err(Error::detail_list([
            "The fields file_primary_key, repo must make a unique set.",
        ]));
    }
    if let Some((_, name, format)) = &repo
        && format != "rpm"
    {
        return Err(Error::detail_list([format!(
            "Currently we just support rpm type of repo, the type of {name} is {format} "
        )]));
    }
    let released_date = released.or(current.as_ref().and_then(|c| c.released_date));
    let release_date = release
        .or(current.as_ref().map(|c| c.release_date))
        .unwrap_or_default();
    let zero_day = input
        .bool("zero_day_release")
        .or(current.as_ref().map(|c| c.zero_day_release))
        .unwrap_or(false);
    let obsolete = input
        .bool("obsolete")
        .or(current.as_ref().map(|c| c.obsolete))
        .unwrap_or(false);
    match id {
        None => sqlx::query_scalar!(
            "INSERT INTO released_files (file_primary_key, repo_pk, released_date, release_date,
                                         zero_day_release, obsolete)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            key,
            repo_pk,
            released_date,
            release_date,
            zero_day,
            obsolete
        )
        .fetch_one(conn)
        .await
        .db(),
        Some(id) => {
            sqlx::query!(
                "UPDATE released_files SET file_primary_key = $2, repo_pk = $3, released_date = $4,
                        release_date = $5, zero_day_release = $6, obsolete = $7, updated_at = now()
                 WHERE id = $1",
                id,
                key,
                repo_pk,
                released_date,
                release_date,
                zero_day,
                obsolete
            )
            .execute(conn)
            .await
            .db()?;
            Ok(id)
        }
    }
}
