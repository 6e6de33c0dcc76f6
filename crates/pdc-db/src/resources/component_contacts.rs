//! Contacts of components: `global-component-contacts` and
//! `release-component-contacts`, each an assignment of a contact (person or
//! mailing list, found or created from the input) to a component in a role,
//! limited by the role's `count_limit`.

use pdc_core::fields::{Field, Kind, Op, Ref, Val, parse_body, py_repr, py_str};
use pdc_core::pydict;
use pdc_core::{Error, Result};
use serde_json::{Map, Value, json};
use sqlx::{AssertSqlSafe, PgConnection};

use super::contact_roles::ROLE_REF;
use super::contacts::{self, MAILLIST, PERSON};
use crate::db::DbResultExt;
use crate::export::object_pairs;
use crate::protect::{REPR_ROWS, protected};
use crate::refs::resolve;
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

static GLOBAL_COMPONENT_REF: Ref = Ref {
    table: "global_component",
    column: "name",
    order: "id",
};

const CONTACT_DOC: &str = "Output: `{id, username, email}` or `{id, mail_name, email}`. Input: \
    `{\"username\": ..., \"email\": ...}` or `{\"mail_name\": ..., \"email\": ...}`; the contact \
    matching all given keys is used, or created from them.";

/// Fields of PDC's person and mailing-list serializers, which render `contact`.
const CONTACT_FIELDS: &[&str] = &["id", "username", "mail_name", "email"];

static GLOBAL_FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::req("component", Kind::Slug(&GLOBAL_COMPONENT_REF)).doc("Global component name."),
    Field::req("role", Kind::Slug(&ROLE_REF)).doc("Contact role name."),
    Field::req("contact", Kind::Custom)
        .nested(CONTACT_FIELDS)
        .doc(CONTACT_DOC),
];

static RELEASE_FIELDS: [Field; 4] = [
    Field::ro("id", Kind::Int),
    Field::req("component", Kind::Custom).doc(
        "Output: `{release, id, name}`. Input: `{\"id\": <release component id>}` or \
         `{\"release\": <release_id>, \"name\": <component name>}`.",
    ),
    Field::req("role", Kind::Slug(&ROLE_REF)).doc("Contact role name."),
    Field::req("contact", Kind::Custom)
        .nested(CONTACT_FIELDS)
        .doc(CONTACT_DOC),
];

/// Filters both endpoints have (`{}` binds the values).
macro_rules! contact_filters {
    ($component:literal) => {
        [
            Filter::multi("role", "r.name = ANY({})"),
            Filter::multi(
                "contact",
                "a.contact_pk IN (SELECT contact_pk FROM person WHERE username = ANY({}) \
                 UNION ALL SELECT contact_pk FROM mailing_list WHERE mail_name = ANY({}))",
            )
            .doc("Username of a person or name of a mailing list."),
            Filter::multi(
                "email",
                "a.contact_pk IN (SELECT contact_pk FROM person WHERE email = ANY({}) \
                 UNION ALL SELECT contact_pk FROM mailing_list WHERE email = ANY({}))",
            ),
            Filter::new("component", FilterKind::Regex, $component),
        ]
    };
}

const ORDERING: &[(&str, &str)] = &[
    ("id", "a.id"),
    ("component", "a.component_pk"),
    ("role", "a.role_pk"),
    ("contact", "a.contact_pk"),
];

static GLOBAL_FILTERS: [Filter; 4] = contact_filters!("gc.name ~ ANY({})");

pub static GLOBAL_COMPONENT_CONTACTS: Spec = Spec {
    prefix: "global-component-contacts",
    lookup: &["id"],
    lookup_dots: true,
    fields: &GLOBAL_FIELDS,
    extra_body_keys: &[],
    filters: &GLOBAL_FILTERS,
    extra_params: &[],
    strict_params: true,
    from: "global_component_contact a JOIN global_component gc ON gc.id = a.component_pk \
           JOIN contact_role r ON r.id = a.role_pk",
    id: "a.id",
    ordering: ORDERING,
    relations: &[],
    default_order: "a.id",
    actions: Actions::ALL,
    change_name: "globalcomponentcontact",
    last_modified: &[],
    caching: Caching::Never,
    model: "globalcomponentcontact",
    doc: "Contacts of global components by role. `component` filters by regular expression.",
};

static RELEASE_FILTERS: [Filter; 7] = {
    let [role, contact, email, component] = contact_filters!("rc.name ~ ANY({})");
    [
        role,
        contact,
        email,
        component,
        Filter::multi("dist_git_branch", "rc.dist_git_branch = ANY({})")
            .doc("The release component's own branch (no fallback to the release's)."),
        Filter::multi("release", "rel.release_id = ANY({})"),
        Filter::multi("global_component", "gc.name = ANY({})"),
    ]
};

pub static RELEASE_COMPONENT_CONTACTS: Spec = Spec {
    prefix: "release-component-contacts",
    lookup: &["id"],
    lookup_dots: true,
    fields: &RELEASE_FIELDS,
    extra_body_keys: &[],
    filters: &RELEASE_FILTERS,
    extra_params: &[],
    strict_params: true,
    from: "release_component_contact a JOIN release_component rc ON rc.id = a.component_pk \
           JOIN release rel ON rel.id = rc.release_pk \
           JOIN global_component gc ON gc.id = rc.global_component_pk \
           JOIN contact_role r ON r.id = a.role_pk",
    id: "a.id",
    ordering: ORDERING,
    relations: &[],
    default_order: "a.id",
    actions: Actions::ALL,
    change_name: "releasecomponentcontact",
    last_modified: &[],
    caching: Caching::Never,
    model: "releasecomponentcontact",
    doc: "Contacts of release components by role. `component` filters the component name by \
          regular expression.",
};

/// One assignment table. Names are constants of the code, never user input.
struct Level {
    table: &'static str,
    /// Django's class name.
    model: &'static str,
    fields: &'static [Field],
    /// Joins giving `component_text`, Django's text of the component.
    joins: &'static str,
    component_text: &'static str,
}

static GLOBAL_LEVEL: Level = Level {
    table: "global_component_contact",
    model: "GlobalComponentContact",
    fields: &GLOBAL_FIELDS,
    joins: "JOIN global_component gc ON gc.id = a.component_pk",
    component_text: "gc.name",
};

static RELEASE_LEVEL: Level = Level {
    table: "release_component_contact",
    model: "ReleaseComponentContact",
    fields: &RELEASE_FIELDS,
    joins: "JOIN release_component rc ON rc.id = a.component_pk \
            JOIN release rel ON rel.id = rc.release_pk",
    component_text: "rel.release_id || ' ' || rc.name",
};

/// `global-component-contacts` (`ComponentContacts<false>`) and
/// `release-component-contacts` (`ComponentContacts<true>`).
pub struct ComponentContacts<const RELEASE: bool>;

pub type GlobalComponentContacts = ComponentContacts<false>;
pub type ReleaseComponentContacts = ComponentContacts<true>;

impl<const RELEASE: bool> ComponentContacts<RELEASE> {
    const LEVEL: &'static Level = if RELEASE {
        &RELEASE_LEVEL
    } else {
        &GLOBAL_LEVEL
    };
}

/// The contact of an assignment as the API shows it.
fn contact_json(
    id: i64,
    username: Option<String>,
    mail_name: Option<String>,
    email: String,
) -> Value {
    match (username, mail_name) {
        (Some(name), _) => PERSON.json(id, name, email),
        (None, name) => MAILLIST.json(id, name.unwrap_or_default(), email),
    }
}

impl<const RELEASE: bool> Resource for ComponentContacts<RELEASE> {
    const SPEC: &'static Spec = if RELEASE {
        &RELEASE_COMPONENT_CONTACTS
    } else {
        &GLOBAL_COMPONENT_CONTACTS
    };

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let mut contact = repr["contact"].clone();
        if let Some(c) = contact.as_object_mut() {
            c.shift_remove("id");
        }
        let component = match &repr["component"] {
            Value::Object(c) => c.get("name").cloned().unwrap_or(Value::Null),
            name => name.clone(),
        };
        Ok(pydict::display_object(
            vec![
                (
                    "contact",
                    pydict::display_object(vec![], object_pairs(&contact)),
                ),
                ("role", repr["role"].clone()),
                ("component", component),
            ],
            vec![],
        ))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, Self::LEVEL.table, key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = if RELEASE {
            fetch_release(conn, ids).await?
        } else {
            fetch_global(conn, ids).await?
        };
        Ok(in_order(ids, rows))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        Self::LEVEL.write(w, body, Op::Create, None).await
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        Self::LEVEL.write(w, body, op, Some(id)).await
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, Self::LEVEL.table, id).await
    }
}

async fn fetch_global(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<(i64, Value)>> {
    let rows = sqlx::query!(
        r#"SELECT a.id, gc.name AS component, r.name AS role, a.contact_pk,
                  p.username AS "username?", m.mail_name AS "mail_name?",
                  coalesce(p.email, m.email) AS "email!"
           FROM global_component_contact a
           JOIN global_component gc ON gc.id = a.component_pk
           JOIN contact_role r ON r.id = a.role_pk
           LEFT JOIN person p ON p.contact_pk = a.contact_pk
           LEFT JOIN mailing_list m ON m.contact_pk = a.contact_pk
           WHERE a.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let contact = contact_json(r.contact_pk, r.username, r.mail_name, r.email);
            let value =
                json!({"id": r.id, "component": r.component, "role": r.role, "contact": contact});
            (r.id, value)
        })
        .collect())
}

async fn fetch_release(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<(i64, Value)>> {
    let rows = sqlx::query!(
        r#"SELECT a.id, rc.id AS component_id, rc.name AS component, rel.release_id,
                  r.name AS role, a.contact_pk,
                  p.username AS "username?", m.mail_name AS "mail_name?",
                  coalesce(p.email, m.email) AS "email!"
           FROM release_component_contact a
           JOIN release_component rc ON rc.id = a.component_pk
           JOIN release rel ON rel.id = rc.release_pk
           JOIN contact_role r ON r.id = a.role_pk
           LEFT JOIN person p ON p.contact_pk = a.contact_pk
           LEFT JOIN mailing_list m ON m.contact_pk = a.contact_pk
           WHERE a.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
    .db()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            // PDC builds the component as a Python 2 dict: this is its order.
            let component =
                json!({"release": r.release_id, "id": r.component_id, "name": r.component});
            let contact = contact_json(r.contact_pk, r.username, r.mail_name, r.email);
            let value =
                json!({"id": r.id, "component": component, "role": r.role, "contact": contact});
            (r.id, value)
        })
        .collect())
}

/// What Python's `int()` makes of a JSON value.
enum PyInt {
    Int(i64),
    /// An integer too large for any stored id.
    Huge,
    Invalid,
}

fn py_int(v: &Value) -> PyInt {
    match v {
        Value::Bool(b) => PyInt::Int(i64::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => PyInt::Int(i),
            (None, Some(f)) if f.is_finite() && f.trunc().abs() < 9.2e18 => {
                PyInt::Int(f.trunc() as i64)
            }
            _ => PyInt::Huge,
        },
        Value::String(s) => {
            let t = s.trim();
            match t.parse::<i64>() {
                Ok(i) => PyInt::Int(i),
                Err(_)
                    if t.strip_prefix(['+', '-'])
                        .unwrap_or(t)
                        .chars()
                        .all(|c| c.is_ascii_digit())
                        && !t.is_empty() =>
                {
                    PyInt::Huge
                }
                Err(_) => PyInt::Invalid,
            }
        }
        _ => PyInt::Invalid,
    }
}

/// PDC's `ReleaseComponentField` input: exactly `{"id"}` or `{"release",
/// "name"}`. `Ok(Err(error))` is the field's error, nested as PDC nests it.
async fn release_component(conn: &mut PgConnection, raw: &Value) -> Result<Result<i64, Value>> {
    let Value::Object(map) = raw else {
        return Ok(Err(json!({
            "detail": format!("Input [{}] for ReleaseComponent must be a dict.", py_str(raw))
        })));
    };
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let found = match keys.as_slice() {
        ["id"] => match py_int(&map["id"]) {
            PyInt::Int(id) => {
                sqlx::query_scalar!("SELECT id FROM release_component WHERE id = $1", id)
                    .fetch_optional(&mut *conn)
                    .await
                    .db()?
            }
            PyInt::Huge => None,
            PyInt::Invalid => {
                return Ok(Err(json!([format!(
                    "Value [{}] is not an integer",
                    py_str(&map["id"])
                )])));
            }
        },
        ["name", "release"] => {
            // Django compares the text of any value; None matches nothing.
            let text = |v: &Value| (!v.is_null()).then(|| py_str(v));
            sqlx::query_scalar!(
                "SELECT rc.id FROM release_component rc JOIN release rel ON rel.id = rc.release_pk
                 WHERE rel.release_id = $1 AND rc.name = $2",
                text(&map["release"]),
                text(&map["name"])
            )
            .fetch_optional(&mut *conn)
            .await
            .db()?
        }
        _ => {
            return Ok(Err(
                json!({"detail": "Only accept ['id'] or ['release', 'name']"}),
            ));
        }
    };
    Ok(found.ok_or_else(
        || json!({"detail": format!("ReleaseComponent [{}] doesn't exist", py_repr(raw))}),
    ))
}

/// The three references of an assignment.
struct Assignment {
    component: i64,
    role: i64,
    contact: i64,
}

impl Level {
    /// Validates a body as PDC's serializer and model do, then writes it.
    async fn write(
        &self,
        w: &mut Write<'_>,
        body: &Map<String, Value>,
        op: Op,
        id: Option<i64>,
    ) -> Result<i64> {
        let (mut input, mut errors) = parse_body(self.fields, body, op);
        resolve(w.conn, self.fields, &mut input, &mut errors).await?;
        // Then, in field order, the inputs that are JSON values: a release
        // component (a global one is a plain reference, resolved above) and
        // the contact, whose lookup may already create it, as in PDC.
        if let Some(raw) = input.json("component").cloned() {
            match release_component(w.conn, &raw).await? {
                Ok(pk) => input.set("component", Val::Id(pk)),
                Err(e) => errors.set("component", e),
            }
        }
        if let Some(raw) = input.json("contact").cloned() {
            match contacts::get_or_create(w, &raw).await? {
                Ok(pk) => input.set("contact", Val::Id(pk)),
                Err(e) => errors.set("contact", e),
            }
        }
        errors.into_result(&["component", "role", "contact"])?;
        let mut row = match id {
            Some(id) => self.row(w.conn, id).await?,
            None => Assignment {
                component: 0,
                role: 0,
                contact: 0,
            },
        };
        let ids = |name| input.id(name).flatten();
        row.component = ids("component").unwrap_or(row.component);
        row.role = ids("role").unwrap_or(row.role);
        row.contact = ids("contact").unwrap_or(row.contact);
        self.check(w.conn, &row, id).await?;
        let query = match id {
            Some(id) => sqlx::query_scalar(AssertSqlSafe(format!(
                "UPDATE {} SET component_pk = $1, role_pk = $2, contact_pk = $3 WHERE id = $4 RETURNING id",
                self.table
            )))
            .bind(row.component)
            .bind(row.role)
            .bind(row.contact)
            .bind(id),
            None => sqlx::query_scalar(AssertSqlSafe(format!(
                "INSERT INTO {} (component_pk, role_pk, contact_pk) VALUES ($1, $2, $3) RETURNING id",
                self.table
            )))
            .bind(row.component)
            .bind(row.role)
            .bind(row.contact),
        };
        query.fetch_one(&mut *w.conn).await.db()
    }

    async fn row(&self, conn: &mut PgConnection, id: i64) -> Result<Assignment> {
        let sql = format!(
            "SELECT component_pk, role_pk, contact_pk FROM {} WHERE id = $1",
            self.table
        );
        let (component, role, contact) = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .db()?;
        Ok(Assignment {
            component,
            role,
            contact,
        })
    }

    /// The serializer's unique-together check, then the model's role limit.
    async fn check(
        &self,
        conn: &mut PgConnection,
        row: &Assignment,
        id: Option<i64>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT
               EXISTS (SELECT 1 FROM {t} WHERE role_pk = $1 AND component_pk = $2
                       AND contact_pk = $3 AND id IS DISTINCT FROM $4),
               (SELECT count(*) FROM {t} WHERE role_pk = $1 AND component_pk = $2
                       AND id IS DISTINCT FROM $4),
               (SELECT count_limit::bigint FROM contact_role WHERE id = $1)",
            t = self.table
        );
        let (duplicate, others, limit): (bool, i64, i64) = sqlx::query_as(AssertSqlSafe(sql))
            .bind(row.role)
            .bind(row.component)
            .bind(row.contact)
            .bind(id)
            .fetch_one(conn)
            .await
            .db()?;
        if duplicate {
            return Err(Error::detail_list([
                "The fields role, component, contact must make a unique set.",
            ]));
        }
        if limit != 0 && others >= limit {
            return Err(Error::detail_list([format!(
                "Exceed contact role limit for the component. The limit is {limit}."
            )]));
        }
        Ok(())
    }

    /// Django's text of the assignments whose `column` is one of `ids`, in
    /// the model's order (role, component, contact).
    async fn reprs(
        &self,
        conn: &mut PgConnection,
        column: &str,
        ids: &[i64],
    ) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT '<{model}: ' || {component} || ': ' || r.name || ': '
                    || coalesce(p.username, m.mail_name) || '(' || coalesce(p.email, m.email) || ')>'
             FROM {table} a {joins}
             JOIN contact_role r ON r.id = a.role_pk
             LEFT JOIN person p ON p.contact_pk = a.contact_pk
             LEFT JOIN mailing_list m ON m.contact_pk = a.contact_pk
             WHERE a.{column} = ANY($1)
             ORDER BY a.role_pk, a.component_pk, a.contact_pk
             LIMIT $2",
            model = self.model,
            component = self.component_text,
            table = self.table,
            joins = self.joins,
        );
        sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(ids)
            .bind(REPR_ROWS)
            .fetch_all(conn)
            .await
            .db()
    }
}

/// Objects that assignments reference and that therefore cannot be deleted.
#[derive(Clone, Copy)]
pub enum Protected {
    Role,
    Contact,
}

/// Django's PROTECT answer when assignments (global ones first, as Django
/// finds them) still reference the object.
pub async fn protect(conn: &mut PgConnection, what: Protected, id: i64) -> Result<()> {
    let (model, field) = match what {
        Protected::Role => ("ContactRole", "role"),
        Protected::Contact => ("Contact", "contact"),
    };
    for level in [&GLOBAL_LEVEL, &RELEASE_LEVEL] {
        let objects = level.reprs(conn, &format!("{field}_pk"), &[id]).await?;
        if !objects.is_empty() {
            return Err(protected(
                model,
                &format!("{}.{field}", level.model),
                &objects,
            ));
        }
    }
    Ok(())
}

/// Which components: global or release ones.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Global,
    Release,
}

/// Django's PROTECT answer when assignments still name one of the
/// components `ids`.
pub async fn check(conn: &mut PgConnection, owner: Owner, ids: &[i64]) -> Result<()> {
    let (level, model) = match owner {
        Owner::Global => (&GLOBAL_LEVEL, "GlobalComponent"),
        Owner::Release => (&RELEASE_LEVEL, "ReleaseComponent"),
    };
    let objects = level.reprs(conn, "component_pk", ids).await?;
    if objects.is_empty() {
        return Ok(());
    }
    Err(protected(
        model,
        &format!("{}.component", level.model),
        &objects,
    ))
}
