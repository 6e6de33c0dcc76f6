//! People (`contacts/people`, and `persons`, the alias PDC served until
//! December 2015 and pdc-updater still calls) and mailing lists
//! (`contacts/mailing-lists`). Both are kinds of contact: the row in
//! `contact` gives the id, shared by the two kinds.

use pdc_core::email;
use pdc_core::error::FieldErrors;
use pdc_core::fields::{Field, Kind, Op, parse_body};
use pdc_core::{Error, Result, pydict, pyrepr};
use serde_json::{Map, Value, json};
use sqlx::{AssertSqlSafe, PgConnection};

use super::component_contacts::{Protected, protect};
use crate::db::DbResultExt;
use crate::export::{inserted, object_pairs, same};
use crate::resource::{Ctx, Resource, Write, in_order, numeric_key};
use crate::spec::{Actions, Caching, Filter, Spec};

/// One kind of contact: where it lives and how Django names it in messages.
/// Table and column names are constants of the code, never user input.
pub struct ContactType {
    /// `contact.kind`, the change resource name and the model permission name.
    kind: &'static str,
    table: &'static str,
    /// The unique name column, also the API field.
    name: &'static str,
    /// Django's class name.
    model: &'static str,
    /// Django's verbose name of the name field.
    label: &'static str,
    fields: &'static [Field],
}

const NAME: Kind = Kind::Str {
    max: 128,
    blank: false,
};
/// Email syntax and length are checked with both messages (see `email_errors`).
const EMAIL: Kind = Kind::Str {
    max: 0,
    blank: false,
};
const EMAIL_MAX: usize = 254;

static PERSON_FIELDS: [Field; 3] = [
    Field::ro("id", Kind::Int).doc("Contact id (shared with mailing lists)."),
    Field::req("username", NAME).doc("Unique user name."),
    Field::req("email", EMAIL).doc("Email address."),
];

static MAILLIST_FIELDS: [Field; 3] = [
    Field::ro("id", Kind::Int).doc("Contact id (shared with people)."),
    Field::req("mail_name", NAME).doc("Unique name of the list."),
    Field::req("email", EMAIL).doc("Email address of the list."),
];

pub static PERSON: ContactType = ContactType {
    kind: "person",
    table: "person",
    name: "username",
    model: "Person",
    label: "username",
    fields: &PERSON_FIELDS,
};

pub static MAILLIST: ContactType = ContactType {
    kind: "maillist",
    table: "mailing_list",
    name: "mail_name",
    model: "Maillist",
    label: "mail name",
    fields: &MAILLIST_FIELDS,
};

static PERSON_FILTERS: [Filter; 2] = [
    Filter::multi("username", "p.username = ANY({})"),
    Filter::multi("email", "p.email = ANY({})"),
];

const fn person_spec(prefix: &'static str, doc: &'static str) -> Spec {
    Spec {
        prefix,
        lookup: &["id"],
        lookup_dots: true,
        fields: &PERSON_FIELDS,
        extra_body_keys: &[],
        filters: &PERSON_FILTERS,
        extra_params: &[],
        strict_params: true,
        from: "person p JOIN contact c ON c.id = p.contact_pk",
        id: "p.contact_pk",
        ordering: &[
            ("id", "p.contact_pk"),
            ("contact", "p.contact_pk"),
            ("username", "p.username"),
            ("email", "p.email"),
            ("active", "c.active"),
            ("content_type", "c.kind"),
        ],
        relations: &[],
        default_order: "p.contact_pk",
        actions: Actions::ALL,
        change_name: "person",
        last_modified: &[],
        caching: Caching::Default,
        model: "person",
        doc,
    }
}

pub static PEOPLE: Spec = person_spec(
    "contacts/people",
    "People who can be contacts of components. Ids are shared with mailing lists.",
);

pub static PERSONS: Spec = person_spec(
    "persons",
    "The same people as `contacts/people` under the name PDC used until December 2015 \
     (pdc-updater's person handler still posts here).",
);

pub static MAILING_LISTS: Spec = Spec {
    prefix: "contacts/mailing-lists",
    lookup: &["id"],
    lookup_dots: true,
    fields: &MAILLIST_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("mail_name", "m.mail_name = ANY({})"),
        Filter::multi("email", "m.email = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "mailing_list m JOIN contact c ON c.id = m.contact_pk",
    id: "m.contact_pk",
    ordering: &[
        ("id", "m.contact_pk"),
        ("contact", "m.contact_pk"),
        ("mail_name", "m.mail_name"),
        ("email", "m.email"),
        ("active", "c.active"),
        ("content_type", "c.kind"),
    ],
    relations: &[],
    default_order: "m.contact_pk",
    actions: Actions::ALL,
    change_name: "maillist",
    last_modified: &[],
    caching: Caching::Default,
    model: "maillist",
    doc: "Mailing lists that can be contacts of components. Ids are shared with people.",
};

/// `contacts/people` (`People<false>`) and its old name `persons` (`People<true>`).
pub struct People<const ALIAS: bool>;

pub struct MailingLists;

impl<const ALIAS: bool> Resource for People<ALIAS> {
    const SPEC: &'static Spec = if ALIAS { &PERSONS } else { &PEOPLE };

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(inserted(same(&repr, &["username", "email"])))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        PERSON.lookup(conn, key).await
    }
    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        PERSON.fetch(conn, ids).await
    }
    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        PERSON.create(w, body).await
    }
    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        PERSON.update(w, id, body, op).await
    }
    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        PERSON.delete(w, id).await
    }
}

impl Resource for MailingLists {
    const SPEC: &'static Spec = &MAILING_LISTS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        Ok(inserted(same(&repr, &["mail_name", "email"])))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        MAILLIST.lookup(conn, key).await
    }
    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        MAILLIST.fetch(conn, ids).await
    }
    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        MAILLIST.create(w, body).await
    }
    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        MAILLIST.update(w, id, body, op).await
    }
    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        MAILLIST.delete(w, id).await
    }
}

/// The serializer's email checks: length, then syntax (DRF reports both).
fn email_errors(email: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if email.chars().count() > EMAIL_MAX {
        errors.push(format!(
            "Ensure this field has no more than {EMAIL_MAX} characters."
        ));
    }
    if !email::is_valid(email) {
        errors.push(email::INVALID.to_string());
    }
    errors
}

/// Django's model length message.
fn too_long(value: &str, max: usize) -> Option<String> {
    let n = value.chars().count();
    (n > max).then(|| format!("Ensure this value has at most {max} characters (it has {n})."))
}

impl ContactType {
    async fn lookup(&self, conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        let Some(id) = numeric_key(key) else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT contact_pk FROM {} WHERE contact_pk = $1",
            self.table
        );
        sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(conn)
            .await
            .db()
    }

    async fn fetch(&self, conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Value>> {
        let sql = format!(
            "SELECT contact_pk, {}, email FROM {} WHERE contact_pk = ANY($1)",
            self.name, self.table
        );
        let rows: Vec<(i64, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(ids)
            .fetch_all(conn)
            .await
            .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|(id, name, email)| (id, self.json(id, name, email)))
                .collect(),
        ))
    }

    /// The API representation of one contact of this kind.
    pub fn json(&self, id: i64, name: String, email: String) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert(self.name.into(), json!(name));
        m.insert("email".into(), json!(email));
        Value::Object(m)
    }

    /// Whether another contact of this kind has the name.
    async fn name_taken(
        &self,
        conn: &mut PgConnection,
        name: &str,
        except: Option<i64>,
    ) -> Result<bool> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE {} = $1 AND contact_pk IS DISTINCT FROM $2)",
            self.table, self.name
        );
        sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(name)
            .bind(except)
            .fetch_one(conn)
            .await
            .db()
    }

    /// The serializer checks of a body: `(name, email)` as given.
    async fn input(
        &self,
        conn: &mut PgConnection,
        body: &Map<String, Value>,
        op: Op,
        id: Option<i64>,
    ) -> Result<(Option<String>, Option<String>)> {
        let (input, mut errors): (_, FieldErrors) = parse_body(self.fields, body, op);
        if let Some(name) = input.str(self.name)
            && !errors.has(self.name)
            && self.name_taken(conn, name, id).await?
        {
            errors.add(
                self.name,
                format!("{} with this {} already exists.", self.kind, self.label),
            );
        }
        match body.get("email") {
            // DRF's EmailField words every unusable value this way.
            Some(Value::Bool(_) | Value::Array(_) | Value::Object(_)) => {
                errors.set("email", json!([email::INVALID]));
            }
            _ => {
                for msg in input.str("email").map(email_errors).unwrap_or_default() {
                    errors.add("email", msg);
                }
            }
        }
        errors.into_result(&[self.name, "email"])?;
        Ok((
            input.str(self.name).map(str::to_string),
            input.str("email").map(str::to_string),
        ))
    }

    async fn create(&self, w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (name, email) = self.input(w.conn, body, Op::Create, None).await?;
        self.insert(
            w.conn,
            None,
            &name.unwrap_or_default(),
            &email.unwrap_or_default(),
            true,
        )
        .await
    }

    /// Inserts the contact row and this kind's row; `id` is an explicit id.
    async fn insert(
        &self,
        conn: &mut PgConnection,
        id: Option<i64>,
        name: &str,
        email: &str,
        active: bool,
    ) -> Result<i64> {
        let sql = format!(
            "WITH c AS (INSERT INTO contact (id, kind, active)
                 VALUES (coalesce($1, nextval(pg_get_serial_sequence('contact', 'id'))), $2, $5) RETURNING id)
             INSERT INTO {} (contact_pk, {}, email) SELECT id, $3, $4 FROM c RETURNING contact_pk",
            self.table, self.name
        );
        // As in PDC, an explicit id does not move the sequence.
        sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(id)
            .bind(self.kind)
            .bind(name)
            .bind(email)
            .bind(active)
            .fetch_one(conn)
            .await
            .db()
    }

    async fn update(
        &self,
        w: &mut Write<'_>,
        id: i64,
        body: &Map<String, Value>,
        op: Op,
    ) -> Result<i64> {
        let (name, email) = self.input(w.conn, body, op, Some(id)).await?;
        let sql = format!(
            "UPDATE {} SET {name} = coalesce($2, {name}), email = coalesce($3, email) WHERE contact_pk = $1",
            self.table,
            name = self.name
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(name)
            .bind(email)
            .execute(&mut *w.conn)
            .await
            .db()?;
        Ok(id)
    }

    async fn delete(&self, w: &mut Write<'_>, id: i64) -> Result<()> {
        protect(w.conn, Protected::Contact, id).await?;
        sqlx::query!("DELETE FROM contact WHERE id = $1", id)
            .execute(&mut *w.conn)
            .await
            .db()?;
        Ok(())
    }

    /// Django's `get_or_create(**given)` for this kind: the contact matching
    /// every given value, or a new one made from them after `full_clean()`.
    /// `Ok(Err(errors))` are the model's errors by key.
    async fn get_or_create(
        &self,
        w: &mut Write<'_>,
        given: &[(&str, String)],
    ) -> Result<Result<i64, Value>> {
        let value = |key: &str| {
            given
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
        };
        let mut invalid: Vec<&str> = given
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| ![self.name, "email", "id", "active"].contains(k))
            .collect();
        if !invalid.is_empty() {
            invalid.sort_unstable();
            return Err(Error::bad_request(format!(
                "Invalid field name(s) for model {}: '{}'.",
                self.model,
                invalid.join("', '")
            )));
        }
        // Django converts the lookups in key order: `active`, then `id`.
        let active = match value("active").map(django_bool) {
            Some(Err(msg)) => return Ok(Err(json!([msg]))),
            Some(Ok(b)) => Some(b),
            None => None,
        };
        let id = match value("id") {
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                Error::bad_request(format!(
                    "invalid literal for int() with base 10: {}",
                    pyrepr::str_repr(text)
                ))
            })?),
            None => None,
        };
        // PDC fails (500) on ids its integer column and changesets cannot hold.
        if let Some(msg) = id.and_then(id_out_of_range) {
            return Ok(Err(json!({ "id": [msg] })));
        }
        let name = value(self.name).unwrap_or_default();
        let email = value("email");
        let sql = format!(
            "SELECT t.contact_pk FROM {} t JOIN contact c ON c.id = t.contact_pk
             WHERE t.{} = $1 AND ($2::text IS NULL OR t.email = $2)
             AND ($3::bigint IS NULL OR t.contact_pk = $3) AND ($4::boolean IS NULL OR c.active = $4)",
            self.table, self.name
        );
        let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(name)
            .bind(email)
            .bind(id)
            .bind(active)
            .fetch_optional(&mut *w.conn)
            .await
            .db()?;
        if let Some(found) = found {
            return Ok(Ok(found));
        }
        if let Some(errors) = self.model_errors(w.conn, id, name, email).await? {
            return Ok(Err(errors));
        }
        let email = email.unwrap_or_default();
        let new = self
            .insert(w.conn, id, name, email, active.unwrap_or(true))
            .await?;
        let value = self.json(new, name.to_string(), email.to_string());
        let mut fields = object_pairs(&value);
        fields.retain(|(k, _)| *k != "id");
        w.changes.add(self.kind, new, None, Some(&inserted(fields)));
        Ok(Ok(new))
    }

    /// `full_clean()` of a new contact of this kind, as an error mapping.
    async fn model_errors(
        &self,
        conn: &mut PgConnection,
        id: Option<i64>,
        name: &str,
        email: Option<&str>,
    ) -> Result<Option<Value>> {
        let mut messages: Vec<(&str, Vec<String>)> = Vec::new();
        if let Some(msg) = too_long(name, 128) {
            messages.push((self.name, vec![msg]));
        }
        let email_msgs: Vec<String> = match email {
            None => vec!["This field cannot be blank.".into()],
            Some(e) => [
                (!email::is_valid(e)).then(|| email::INVALID.to_string()),
                too_long(e, EMAIL_MAX),
            ]
            .into_iter()
            .flatten()
            .collect(),
        };
        if !email_msgs.is_empty() {
            messages.push(("email", email_msgs));
        }
        let fields: Vec<&str> = messages.iter().map(|(k, _)| *k).collect();
        let mut unique = Vec::new();
        if !fields.contains(&self.name) && self.name_taken(conn, name, None).await? {
            let label = capfirst(self.label);
            messages.push((
                self.name,
                vec![format!("{} with this {label} already exists.", self.model)],
            ));
            unique.push(self.name);
        }
        if let Some(id) = id {
            let used = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM contact WHERE id = $1) AS "used!""#,
                id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?;
            if used {
                messages.push(("id", vec!["Contact with this ID already exists.".into()]));
                unique.push("id");
            }
        }
        if messages.is_empty() {
            return Ok(None);
        }
        let mut out = Map::new();
        for key in pydict::full_clean(&fields, &[], &unique) {
            if let Some((_, msgs)) = messages.iter().find(|(k, _)| *k == key) {
                out.insert(key.to_string(), json!(msgs));
            }
        }
        Ok(Some(Value::Object(out)))
    }
}

/// Django's range message for an explicit contact id outside 1..=2^31-1.
fn id_out_of_range(id: i64) -> Option<String> {
    const MAX: i64 = i32::MAX as i64;
    match id {
        i64::MIN..=0 => Some("Ensure this value is greater than or equal to 1.".into()),
        1..=MAX => None,
        _ => Some(format!("Ensure this value is less than or equal to {MAX}.")),
    }
}

/// Django's `BooleanField.to_python` of a text.
fn django_bool(text: &str) -> Result<bool, String> {
    match text {
        "t" | "True" | "1" => Ok(true),
        "f" | "False" | "0" => Ok(false),
        other => Err(format!("'{other}' value must be either True or False.")),
    }
}

fn capfirst(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A `ContactField` value (a JSON object of strings) checked as DRF's
/// `DictField(child=CharField())` does: per key, in the order Python
/// iterates the parsed object.
static CHILD: Field = Field::req(
    "",
    Kind::Str {
        max: 0,
        blank: false,
    },
);

/// PDC's `ContactField` input: a person when it has `username`, else a
/// mailing list when it has `mail_name`, found by all the given keys or
/// created from them. `Ok(Err(error))` is the field's error (a message list
/// or a per-key mapping); unusable keys are whole-request errors, as in PDC.
pub async fn get_or_create(w: &mut Write<'_>, raw: &Value) -> Result<Result<i64, Value>> {
    let Value::Object(map) = raw else {
        return Ok(Err(json!([format!(
            "Expected a dictionary of items but got type \"{}\".",
            pdc_core::fields::py_type(raw)
        )])));
    };
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let mut given = Vec::with_capacity(keys.len());
    let mut errors = Map::new();
    for key in pydict::order(&keys, 1) {
        match pdc_core::fields::check_value(&CHILD, &map[key]) {
            Ok(pdc_core::fields::Val::Str(text)) => given.push((key, text)),
            Ok(_) => {}
            Err(msg) => {
                errors.insert(key.to_string(), json!([msg]));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(Value::Object(errors)));
    }
    match [&PERSON, &MAILLIST]
        .into_iter()
        .find(|t| map.contains_key(t.name))
    {
        Some(t) => t.get_or_create(w, &given).await,
        None => Ok(Err(json!(["Could not determine type of contact."]))),
    }
}

/// Contact id of the person with this username (for writers that upsert by
/// the natural key, such as the bus ingester).
pub async fn person_id_by_username(conn: &mut PgConnection, username: &str) -> Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT contact_pk FROM person WHERE username = $1",
        username
    )
    .fetch_optional(conn)
    .await
    .db()
}
