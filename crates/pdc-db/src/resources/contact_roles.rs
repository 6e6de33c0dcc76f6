//! Contact roles (`contact-roles/{name}/`): how many contacts a component
//! may have in each role (`count_limit`, 0 shown as `"unlimited"`).

use std::sync::LazyLock;

use pdc_core::fields::{Field, Kind, Op, Ref, parse_body, py_str};
use pdc_core::{Error, Result, ids, pydict};
use regex::Regex;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::component_contacts::{Protected, protect};
use crate::db::DbResultExt;
use crate::export::inserted;
use crate::resource::{Ctx, Resource, Write, in_order};
use crate::spec::{Actions, Caching, Filter, Spec};

pub static ROLE_REF: Ref = Ref {
    table: "contact_role",
    column: "name",
    order: "id",
};

/// Stored limit meaning "any number of contacts".
const UNLIMITED: i64 = 0;
/// What the limit of a role defaults to (also on PUT without it).
const DEFAULT_LIMIT: i64 = 1;
/// The model's column limits (`CharField(max_length=128)`, `PositiveSmallIntegerField`).
const NAME_MAX: usize = 128;
const LIMIT_MAX: i64 = 32767;

static ROLE_FIELDS: [Field; 2] = [
    Field::req(
        "name",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .checked(ids::check_slug)
    .doc("Unique slug; the lookup key (renaming moves the URL)."),
    Field::opt("count_limit", Kind::Custom).doc(
        "Contacts a component may have in this role: an integer >= 0 or `\"unlimited\"` \
         (stored as 0). Omitted on POST and PUT means 1.",
    ),
];

pub static CONTACT_ROLES: Spec = Spec {
    prefix: "contact-roles",
    lookup: &["name"],
    lookup_dots: true,
    fields: &ROLE_FIELDS,
    extra_body_keys: &[],
    filters: &[Filter::multi("name", "r.name = ANY({})")],
    extra_params: &[],
    strict_params: true,
    from: "contact_role r",
    id: "r.id",
    ordering: &[
        ("id", "r.id"),
        ("name", "r.name"),
        ("count_limit", "r.count_limit"),
    ],
    relations: &[],
    default_order: "r.id",
    actions: Actions::ALL,
    change_name: "contactrole",
    last_modified: &[],
    caching: Caching::Default,
    model: "contactrole",
    doc: "Roles contacts have for components, with the number of contacts each component may \
          have in the role.",
};

pub struct ContactRoles;

impl Resource for ContactRoles {
    const SPEC: &'static Spec = &CONTACT_ROLES;

    /// The stored limit: "unlimited" is 0.
    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let limit = match &repr["count_limit"] {
            Value::String(_) => json!(0),
            n => n.clone(),
        };
        Ok(inserted(vec![
            ("name", repr["name"].clone()),
            ("count_limit", limit),
        ]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!("SELECT id FROM contact_role WHERE name = $1", key[0])
            .fetch_optional(conn)
            .await
            .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, name, count_limit FROM contact_role WHERE id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    let limit = match i64::from(r.count_limit) {
                        UNLIMITED => json!("unlimited"),
                        n => json!(n),
                    };
                    (r.id, json!({"name": r.name, "count_limit": limit}))
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (name, limit) = role_input(w.conn, body, Op::Create, None).await?;
        sqlx::query_scalar!(
            "INSERT INTO contact_role (name, count_limit) VALUES ($1, $2) RETURNING id",
            name,
            limit
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (name, limit) = role_input(w.conn, body, op, Some(id)).await?;
        sqlx::query!(
            "UPDATE contact_role SET name = $2, count_limit = $3 WHERE id = $1",
            id,
            name,
            limit
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        protect(w.conn, Protected::Role, id).await?;
        sqlx::query!("DELETE FROM contact_role WHERE id = $1", id)
            .execute(&mut *w.conn)
            .await
            .db()?;
        Ok(())
    }
}

static DECIMAL_TAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\.0*\s*$").expect("decimal tail regex"));

/// PDC's `LimitField`: `"unlimited"`, else DRF's `IntegerField` (texts like
/// `" 4 "` or `"2.0"` and integral floats accepted) with a minimum of 0.
/// Values beyond any integer saturate (the model then rejects them).
fn parse_limit(raw: &Value) -> Result<i64, String> {
    if raw == "unlimited" {
        return Ok(UNLIMITED);
    }
    if raw.as_str().is_some_and(|s| s.chars().count() > 1000) {
        return Err("String value too large.".into());
    }
    let text = DECIMAL_TAIL
        .replace_all(&py_str(raw), "")
        .trim()
        .to_string();
    let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
    let value = match text.parse::<i64>() {
        Ok(n) => n,
        Err(_) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
            if text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            }
        }
        Err(_) => return Err("A valid integer is required.".into()),
    };
    if value < 0 {
        return Err("Ensure this value is greater than or equal to 0.".into());
    }
    Ok(value)
}

/// Checks a body as the serializer, then the model's `full_clean()` does;
/// returns the row's `(name, count_limit)`.
async fn role_input(
    conn: &mut PgConnection,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<(String, i32)> {
    let (input, mut errors) = parse_body(&ROLE_FIELDS, body, op);
    let limit = match input.json("count_limit") {
        Some(raw) => match parse_limit(raw) {
            Ok(n) => Some(n),
            Err(msg) => {
                errors.add("count_limit", msg);
                None
            }
        },
        None if op == Op::Patch => None,
        None => Some(DEFAULT_LIMIT),
    };
    errors.into_result(&["name", "count_limit"])?;
    let old = match id {
        Some(id) => Some(
            sqlx::query!(
                "SELECT name, count_limit FROM contact_role WHERE id = $1",
                id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?,
        ),
        None => None,
    };
    let name = match (input.str("name"), &old) {
        (Some(n), _) => n.to_string(),
        (None, Some(old)) => old.name.clone(),
        (None, None) => String::new(),
    };
    let old_limit = old.as_ref().map(|o| i64::from(o.count_limit));
    let limit = limit.or(old_limit).unwrap_or(DEFAULT_LIMIT);
    model_check(conn, id, &name, limit, old_limit).await?;
    Ok((name, i32::try_from(limit).unwrap_or(i32::MAX)))
}

/// The model's `full_clean()`: column limits, lowering the limit below what
/// components already have, and the unique name; one `detail` list in
/// Django's order.
async fn model_check(
    conn: &mut PgConnection,
    id: Option<i64>,
    name: &str,
    limit: i64,
    old_limit: Option<i64>,
) -> Result<()> {
    let mut messages: Vec<(&str, String)> = Vec::new();
    let n = name.chars().count();
    if n > NAME_MAX {
        messages.push((
            "name",
            format!("Ensure this value has at most {NAME_MAX} characters (it has {n})."),
        ));
    }
    if limit > LIMIT_MAX {
        messages.push((
            "count_limit",
            format!("Ensure this value is less than or equal to {LIMIT_MAX}."),
        ));
    }
    let fields: Vec<&str> = messages.iter().map(|(k, _)| *k).collect();
    let mut clean = Vec::new();
    if let (Some(id), Some(old)) = (id, old_limit)
        && limit != UNLIMITED
        && (old == UNLIMITED || limit < old)
    {
        let most = most_contacts(conn, id).await?;
        if limit < most {
            messages.push((
                "detail",
                format!("Count limit can't be lower than {most} according to existing data."),
            ));
            clean.push("detail");
        }
    }
    let mut unique = Vec::new();
    if !fields.contains(&"name") {
        let taken = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM contact_role WHERE name = $1 AND id IS DISTINCT FROM $2) AS "taken!""#,
            name,
            id
        )
        .fetch_one(&mut *conn)
        .await
        .db()?;
        if taken {
            messages.push(("name", "Contact role with this Name already exists.".into()));
            unique.push("name");
        }
    }
    if messages.is_empty() {
        return Ok(());
    }
    let mut ordered = Vec::new();
    for key in pydict::full_clean(&fields, &clean, &unique) {
        ordered.extend(
            messages
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, m)| m.clone()),
        );
    }
    Err(Error::detail_list(ordered))
}

/// The most contacts any one component has in the role (global and release
/// components counted separately).
async fn most_contacts(conn: &mut PgConnection, role: i64) -> Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(max(n), 0) AS "n!" FROM (
             SELECT count(*) AS n FROM global_component_contact WHERE role_pk = $1 GROUP BY component_pk
             UNION ALL
             SELECT count(*) FROM release_component_contact WHERE role_pk = $1 GROUP BY component_pk
           ) counts"#,
        role
    )
    .fetch_one(conn)
    .await
    .db()
}
