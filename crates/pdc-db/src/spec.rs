//! The declarative description of a resource: URL, fields, filters,
//! orderings and which actions it has. The engine does the rest.

use pdc_core::fields::Field;

/// What a resource supports (DRF viewset actions).
#[derive(Debug, Clone, Copy, Default)]
pub struct Actions {
    pub list: bool,
    pub retrieve: bool,
    pub create: bool,
    pub update: bool,
    pub partial_update: bool,
    pub destroy: bool,
}

impl Actions {
    pub const ALL: Actions = Actions {
        list: true,
        retrieve: true,
        create: true,
        update: true,
        partial_update: true,
        destroy: true,
    };
    pub const READ: Actions = Actions {
        list: true,
        retrieve: true,
        create: false,
        update: false,
        partial_update: false,
        destroy: false,
    };
    pub const LIST: Actions = Actions {
        list: true,
        retrieve: false,
        create: false,
        update: false,
        partial_update: false,
        destroy: false,
    };
    /// Everything but delete.
    pub const NO_DELETE: Actions = Actions {
        destroy: false,
        ..Actions::ALL
    };
}

/// How a filter turns its query values into SQL. In `sql`, every `{}` is
/// replaced by a bind of the value(s); the SQL text itself is a constant.
#[derive(Clone, Copy)]
pub enum FilterKind {
    /// Repeatable, exact, OR-ed; binds `text[]`. A lone empty value: empty result.
    Multi,
    /// As `Multi`, but `sql` is a subquery (`SELECT 1 FROM ... WHERE ... =
    /// ANY({})`) joined laterally to each row, so a row is listed once per
    /// matching related row, as a Django filter across a to-many relation
    /// without `distinct()` lists it.
    MultiJoin,
    /// As `Multi`, case-insensitive: binds lower-cased `text[]` (write `lower(col) = ANY({})`).
    MultiCi,
    /// Repeatable regular expressions; binds `text[]` (write `col ~ ANY({})`).
    Regex,
    /// Repeatable integers; binds `bigint[]`. A non-integer is a 400.
    MultiInt,
    /// true/t/1, false/f/0 in any case; binds `bool`. Empty: ignored.
    Bool,
    /// `null`/`Null`/`NULL`/`None` run `null_sql`; anything else binds text. Empty: ignored.
    NullableChar { null_sql: &'static str },
    /// Single text value (last wins), bound as is. Empty: ignored.
    Exact,
    /// Single text value matched with `ILIKE {}` (bound as `%value%`).
    IContains,
    /// Single text value matched with `LIKE {}` (case-sensitive, bound as `%value%`).
    Contains,
    /// Single `YYYY-MM-DD` date; an invalid one gives an empty result.
    Date,
    /// Single number (decimals truncated); invalid gives an empty result.
    Number,
    /// Exactly `True` or `False` (others ignored); `sql` for True, `false_sql` for False.
    TrueFalse { false_sql: &'static str },
    /// PDC's `convert_str_to_bool`: `true/t/True/1` run `sql`,
    /// `false/f/False/0` run `false_sql` (neither has a bind); anything else
    /// is a 400 whose body is a bare list `["Value [x] is not a boolean"]`.
    /// Empty: ignored.
    StrictBool { false_sql: &'static str },
    /// A date-time (`YYYY-MM-DD[ HH:MM[:SS[.f]]][TZ]`, naive is UTC); binds
    /// `timestamptz`. Unparsable: 400 with Django's text. Empty: ignored.
    DateTime,
    /// As `Multi`, but each non-empty value first goes through `map`, whose
    /// error (a 400) ends the request; binds the mapped `text[]`.
    MultiMapped {
        map: fn(&str) -> pdc_core::Result<String>,
    },
    /// Single value (last wins) that `parse` splits into parts, bound as one
    /// `text[]` (write `({})[1]`, `({})[2]`, ...); its error ends the
    /// request. Empty: ignored.
    Parsed {
        parse: fn(&str) -> pdc_core::Result<Vec<String>>,
    },
    /// Several single-value parameters checked together (one condition on
    /// the same related row, as one Django `Q` of all of them): binds the
    /// last value of each of `params` ('' when absent) as one `text[]`, in
    /// that order. Applies when any of them is non-empty. The other
    /// parameters of the group are declared with `PartOf`.
    Combined { params: &'static [&'static str] },
    /// A parameter checked by a `Combined` filter; no SQL of its own.
    PartOf,
    /// A restriction of the viewset's queryset (so also of detail URLs)
    /// that holds unless the parameter is present, whatever its value;
    /// `sql` has no bind.
    UnlessGiven,
    /// Single value (last wins; empty: ignored) whose matching row ids are
    /// computed by code with database access (for rules SQL cannot state,
    /// e.g. Python version comparisons); `sql` binds them as `bigint[]`.
    /// The code may also answer `None`: no condition.
    Ids(IdsFn),
}

/// Computes the ids a `FilterKind::Ids` filter lets through for one value.
pub type IdsFn = for<'c> fn(
    &'c mut sqlx::PgConnection,
    &'c str,
) -> futures::future::BoxFuture<'c, pdc_core::Result<Option<Vec<i64>>>>;

#[derive(Clone, Copy)]
pub struct Filter {
    pub param: &'static str,
    pub kind: FilterKind,
    pub sql: &'static str,
    pub doc: &'static str,
}

impl Filter {
    pub const fn new(param: &'static str, kind: FilterKind, sql: &'static str) -> Self {
        Filter {
            param,
            kind,
            sql,
            doc: "",
        }
    }
    pub const fn multi(param: &'static str, sql: &'static str) -> Self {
        Self::new(param, FilterKind::Multi, sql)
    }
    pub const fn boolean(param: &'static str, sql: &'static str) -> Self {
        Self::new(param, FilterKind::Bool, sql)
    }
    pub const fn doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }
}

/// Caching advice sent with successful list and retrieve answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// No caching headers.
    Default,
    /// Django's `never_cache`: `Cache-Control: no-cache, no-store,
    /// must-revalidate, max-age=0` and `Expires` set to the response time.
    Never,
}

/// A table as Django's nested ordering walks it: model field names mapped
/// to columns, its foreign keys, and what ordering by the model itself
/// means (its `Meta.ordering`, else the id).
pub struct Model {
    pub table: &'static str,
    pub columns: &'static [(&'static str, &'static str)],
    /// `(field name, foreign key column, related model)`.
    pub relations: &'static [(&'static str, &'static str, &'static Model)],
    pub ordering: &'static [&'static str],
}

/// A foreign key of a resource's row: the `ordering` key naming it, the SQL
/// giving the related id (e.g. `r.base_product_pk`) and the related model.
pub struct Relation {
    pub name: &'static str,
    pub fk: &'static str,
    pub model: &'static Model,
    /// A model field that is no serializer field: PDC's filter then drops
    /// the rest of the key and orders by the related model itself.
    pub unserialized: bool,
}

impl Relation {
    pub const fn new(name: &'static str, fk: &'static str, model: &'static Model) -> Self {
        Relation {
            name,
            fk,
            model,
            unserialized: false,
        }
    }
    pub const fn unserialized(name: &'static str, fk: &'static str, model: &'static Model) -> Self {
        Relation {
            unserialized: true,
            ..Relation::new(name, fk, model)
        }
    }
}

/// One resource, as the engine needs to know it.
pub struct Spec {
    /// Router prefix under `/rest_api/v1/`, e.g. `releases`, `auth/groups`.
    pub prefix: &'static str,
    /// Names of the lookup path segments (`["release_id", "variant_uid"]`); empty: no detail URL.
    pub lookup: &'static [&'static str],
    /// Whether lookup values may contain dots (DRF's default regex `[^/.]+` forbids them).
    pub lookup_dots: bool,
    /// Fields in output order (write-only ones included).
    pub fields: &'static [Field],
    /// Extra write-only keys accepted in bodies that are not fields.
    pub extra_body_keys: &'static [&'static str],
    pub filters: &'static [Filter],
    /// Query params accepted besides filters and the generic ones.
    pub extra_params: &'static [&'static str],
    /// Whether unknown query parameters are rejected (PDC's strict mixin).
    pub strict_params: bool,
    /// `FROM` clause of the list query with the resource aliased, e.g. `release r`.
    pub from: &'static str,
    /// The id column in that clause, e.g. `r.id`.
    pub id: &'static str,
    /// Allowed `ordering` keys and their SQL expressions.
    pub ordering: &'static [(&'static str, &'static str)],
    /// Foreign keys that nested `ordering` keys (`base_product__short`) follow.
    pub relations: &'static [Relation],
    /// `ORDER BY` list used without `ordering`.
    pub default_order: &'static str,
    pub actions: Actions,
    /// Resource name written in changes (`release`, `variant`, ...).
    pub change_name: &'static str,
    /// Change resource names whose newest change is the `Last-Modified` (empty: no header).
    pub last_modified: &'static [&'static str],
    /// Caching headers of successful list and retrieve answers.
    pub caching: Caching,
    /// Lower-case model name used for Django-style permissions (`release`).
    pub model: &'static str,
    /// One paragraph for the API docs.
    pub doc: &'static str,
}

impl Spec {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn filter(&self, param: &str) -> Option<&Filter> {
        self.filters.iter().find(|f| f.param == param)
    }
    pub fn has_detail(&self) -> bool {
        !self.lookup.is_empty()
    }
}
