//! Declarative description of a resource's fields and the pure (no I/O)
//! part of DRF's input checks: presence, null, blank, type, length and
//! per-field validators. References to other objects are checked later by
//! the database layer, which turns their names into ids.

use serde_json::{Map, Value};

use crate::error::FieldErrors;

/// A reference to another table by a unique text column.
#[derive(Debug)]
pub struct Ref {
    /// SQL table name (a constant of the code, never user input).
    pub table: &'static str,
    /// Unique text column the API shows.
    pub column: &'static str,
    /// Column ordering the "Use one of ..." list of a choice field.
    pub order: &'static str,
}

/// How a field is checked and what its value becomes.
#[derive(Debug)]
pub enum Kind {
    /// DRF CharField (whitespace trimmed, ints and floats accepted as text);
    /// `max: 0` means no length limit.
    Str {
        max: usize,
        blank: bool,
    },
    Bool,
    Int,
    /// `YYYY-MM-DD`.
    Date,
    /// SlugRelatedField: `Object with <column>=<value> does not exist.`
    Slug(&'static Ref),
    /// Many SlugRelatedField.
    SlugList(&'static Ref),
    /// PDC ChoiceSlugField: `'x' is not allowed value. Use one of 'a', 'b'.`
    Choice(&'static Ref),
    /// Many ChoiceSlugField.
    ChoiceList(&'static Ref),
    /// Any JSON value, checked by the resource's own code.
    Custom,
}

/// Default applied on create and on PUT when the field is absent.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    Null,
    EmptyStr,
    EmptyList,
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Output only; echoing it back is an error.
    ReadOnly,
    /// Must be present on create and PUT.
    Required,
    /// May be absent; absent on PUT keeps the stored value.
    Optional,
    /// Absent on create/PUT means the default.
    Defaulted,
    /// Input only (never output).
    WriteOnly,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub mode: Mode,
    pub default: Option<Default>,
    /// `null` accepted.
    pub null: bool,
    /// `null` in answers although requests may not send it (a nullable
    /// model column behind a serializer field that refuses null).
    pub null_out: bool,
    /// Extra validator on the text value.
    pub check: Option<fn(&str) -> Option<String>>,
    /// One line for the API docs.
    pub doc: &'static str,
    /// Field names of the nested PDC serializer that renders this field's
    /// objects; it reads `fields` / `exclude_fields` from the request too,
    /// so they select inside the object as well (empty: not nested).
    pub nested: &'static [&'static str],
}

impl Field {
    pub const fn new(name: &'static str, kind: Kind, mode: Mode) -> Self {
        Field {
            name,
            kind,
            mode,
            default: None,
            null: false,
            null_out: false,
            check: None,
            doc: "",
            nested: &[],
        }
    }
    pub const fn ro(name: &'static str, kind: Kind) -> Self {
        Self::new(name, kind, Mode::ReadOnly)
    }
    pub const fn req(name: &'static str, kind: Kind) -> Self {
        Self::new(name, kind, Mode::Required)
    }
    pub const fn opt(name: &'static str, kind: Kind) -> Self {
        Self::new(name, kind, Mode::Optional)
    }
    pub const fn write_only(name: &'static str, kind: Kind) -> Self {
        Self::new(name, kind, Mode::WriteOnly)
    }
    pub const fn with_default(name: &'static str, kind: Kind, default: Default) -> Self {
        let mut f = Self::new(name, kind, Mode::Defaulted);
        f.default = Some(default);
        f
    }
    pub const fn nullable(mut self) -> Self {
        self.null = true;
        self
    }
    pub const fn null_in_output(mut self) -> Self {
        self.null_out = true;
        self
    }
    pub const fn checked(mut self, check: fn(&str) -> Option<String>) -> Self {
        self.check = Some(check);
        self
    }
    pub const fn doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }
    pub const fn nested(mut self, names: &'static [&'static str]) -> Self {
        self.nested = names;
        self
    }
    pub fn is_output(&self) -> bool {
        self.mode != Mode::WriteOnly
    }
    pub fn is_writable(&self) -> bool {
        self.mode != Mode::ReadOnly
    }
}

/// Which write is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Patch,
}

/// A checked input value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Str(String),
    Bool(bool),
    Int(i64),
    Date(chrono::NaiveDate),
    /// Names of referenced objects (before resolution) or plain text lists.
    List(Vec<String>),
    /// A resolved reference.
    Id(i64),
    /// Resolved references, in input order.
    Ids(Vec<i64>),
    Json(Value),
}

/// The checked body of one write: present fields only, in declared order.
#[derive(Debug, Default, Clone)]
pub struct Input {
    pub values: Vec<(&'static str, Val)>,
}

impl Input {
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    pub fn set(&mut self, name: &'static str, val: Val) {
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = val,
            None => self.values.push((name, val)),
        }
    }
    pub fn remove(&mut self, name: &str) -> Option<Val> {
        let i = self.values.iter().position(|(n, _)| *n == name)?;
        Some(self.values.remove(i).1)
    }
    /// Text value; `None` when absent or null.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Val::Str(s)) => Some(s),
            _ => None,
        }
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(Val::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(Val::Int(i)) => Some(*i),
            _ => None,
        }
    }
    /// `Some(Some(id))`, `Some(None)` for an explicit null, `None` when absent.
    pub fn id(&self, name: &str) -> Option<Option<i64>> {
        match self.get(name) {
            Some(Val::Id(i)) => Some(Some(*i)),
            Some(Val::Null) => Some(None),
            _ => None,
        }
    }
    pub fn ids(&self, name: &str) -> Option<&[i64]> {
        match self.get(name) {
            Some(Val::Ids(v)) => Some(v),
            _ => None,
        }
    }
    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.get(name) {
            Some(Val::List(v)) => Some(v),
            _ => None,
        }
    }
    pub fn json(&self, name: &str) -> Option<&Value> {
        match self.get(name) {
            Some(Val::Json(v)) => Some(v),
            _ => None,
        }
    }
    /// `Some(Some(text))`, `Some(None)` for null, `None` when absent.
    pub fn opt_str(&self, name: &str) -> Option<Option<&str>> {
        match self.get(name) {
            Some(Val::Str(s)) => Some(Some(s)),
            Some(Val::Null) => Some(None),
            _ => None,
        }
    }
}

/// PDC's strict check of a (nested) object's keys: `Unknown fields: "a", "b".`
/// for the keys `known` rejects.
pub fn reject_unknown(
    body: &Map<String, Value>,
    known: impl Fn(&str) -> bool,
) -> crate::Result<()> {
    let mut unknown: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| !known(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    let names: Vec<String> = unknown.iter().map(|k| format!("\"{k}\"")).collect();
    Err(crate::Error::bad_request(format!(
        "Unknown fields: {}.",
        names.join(", ")
    )))
}

/// Python-style type name used in DRF messages.
pub fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "unicode",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python 2 `str()` of a parsed JSON value, as `"%s" % value` puts it into
/// a message: text as it is, everything else as [`py_repr`] (floats with
/// `str()`'s twelve digits).
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => crate::pyrepr::float_str(n.as_f64().unwrap_or_default()),
        other => py_repr(other),
    }
}

/// Python 2 `repr()` of a parsed JSON value: `u'a'` for text, `None`,
/// `True`, and dict keys in the order CPython 2.7's `json.loads` gives them.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => crate::pyrepr::unicode(s),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => format!("{u}L"),
            (_, _, f) => crate::pyrepr::float_repr(f.unwrap_or_default()),
        },
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => {
            // A dict parsed from JSON iterates in Python 2 hash order.
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            let items: Vec<String> = crate::pydict::order(&keys, 1)
                .into_iter()
                .map(|k| format!("{}: {}", crate::pyrepr::unicode(k), py_repr(&map[k])))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// What Python's `for x in value` yields, each rendered with `str()`: list
/// items, string characters, object keys; `None` when not iterable.
pub fn py_iter(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => Some(items.iter().map(py_str).collect()),
        Value::String(s) => Some(s.chars().map(String::from).collect()),
        Value::Object(map) => Some(map.keys().cloned().collect()),
        _ => None,
    }
}

/// Python truthiness of a JSON value (`bool(value)`).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// DRF CharField conversion: text, or ints/floats turned into text.
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

const TRUE_VALUES: &[&str] = &[
    "t", "T", "y", "Y", "yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1",
];
const FALSE_VALUES: &[&str] = &[
    "f", "F", "n", "N", "no", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0",
];

/// DRF BooleanField conversion.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) if n.as_i64() == Some(1) || n.as_f64() == Some(1.0) => Some(true),
        Value::Number(n) if n.as_i64() == Some(0) || n.as_f64() == Some(0.0) => Some(false),
        Value::String(s) if TRUE_VALUES.contains(&s.as_str()) => Some(true),
        Value::String(s) if FALSE_VALUES.contains(&s.as_str()) => Some(false),
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>().ok().or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }
}

fn check_text(field: &Field, raw: &Value, max: usize, blank: bool) -> Result<String, String> {
    let Some(text) = as_text(raw) else {
        return Err("Not a valid string.".into());
    };
    let text = text.trim().to_string();
    if text.is_empty() && !blank {
        return Err("This field may not be blank.".into());
    }
    if max > 0 && text.chars().count() > max {
        return Err(format!(
            "Ensure this field has no more than {max} characters."
        ));
    }
    if !text.is_empty()
        && let Some(msg) = field.check.and_then(|c| c(&text))
    {
        return Err(msg);
    }
    Ok(text)
}

/// DRF's many-related field: any iterable but a string; a dict gives its
/// keys. Each item is looked up as its Python text (`None`, `True`, `1`).
fn check_list(raw: &Value) -> Result<Vec<String>, String> {
    let items: Vec<&Value> = match raw {
        Value::Array(items) => items.iter().collect(),
        Value::Object(m) => {
            let keys: Vec<&String> = m.keys().collect();
            return Ok(crate::pyrepr::py2_iter(&keys)
                .into_iter()
                .map(str::to_string)
                .collect());
        }
        _ => {
            return Err(format!(
                "Expected a list of items but got type \"{}\".",
                py_type(raw)
            ));
        }
    };
    items
        .into_iter()
        .map(|i| match i {
            Value::Array(_) | Value::Object(_) => Err("Invalid value.".to_string()),
            other => Ok(py_str(other)),
        })
        .collect()
}

/// Checks one present value; references stay names (`Str`/`List`).
pub fn check_value(field: &Field, raw: &Value) -> Result<Val, String> {
    // DRF's related fields take an empty string for None.
    let raw = match (&field.kind, raw) {
        (Kind::Slug(_) | Kind::Choice(_), Value::String(s)) if s.is_empty() => &Value::Null,
        _ => raw,
    };
    if raw.is_null() {
        return if field.null {
            Ok(Val::Null)
        } else {
            Err("This field may not be null.".into())
        };
    }
    match &field.kind {
        Kind::Str { max, blank } => check_text(field, raw, *max, *blank).map(Val::Str),
        Kind::Bool => as_bool(raw)
            .map(Val::Bool)
            .ok_or_else(|| "Must be a valid boolean.".to_string()),
        Kind::Int => as_int(raw)
            .map(Val::Int)
            .ok_or_else(|| "A valid integer is required.".to_string()),
        Kind::Date => as_text(raw)
            .and_then(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
            .map(Val::Date)
            .ok_or_else(|| {
                "Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]]."
                    .to_string()
            }),
        // DRF looks any value up by its text (`[u'x']`, `True`, `1.5`).
        Kind::Slug(_) => Ok(Val::Str(py_str(raw))),
        Kind::Choice(_) => match raw {
            Value::String(s) => Ok(Val::Str(s.clone())),
            // Django looks the value up as its text (`True`, `[u'x']`).
            Value::Number(_) | Value::Bool(_) | Value::Array(_) => Ok(Val::Str(py_str(raw))),
            _ => Err("Invalid value.".into()),
        },
        Kind::SlugList(_) | Kind::ChoiceList(_) => check_list(raw).map(Val::List),
        Kind::Custom => Ok(Val::Json(raw.clone())),
    }
}

fn default_val(d: Default) -> Val {
    match d {
        Default::Null => Val::Null,
        Default::EmptyStr => Val::Str(String::new()),
        Default::EmptyList => Val::List(vec![]),
        Default::Bool(b) => Val::Bool(b),
    }
}

/// Errors of Django's `full_clean()` (`(field, message)`, one per field):
/// a `detail` list in the order Django's five nested error dicts give.
pub fn model_errors(errors: &[(&str, String)]) -> crate::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = errors.iter().map(|(c, _)| *c).collect();
    let msgs = crate::pydict::order(&names, 5)
        .into_iter()
        .filter_map(|name| {
            errors
                .iter()
                .find(|(c, _)| *c == name)
                .map(|(_, m)| m.clone())
        });
    Err(crate::Error::detail_list(msgs))
}

/// `full_clean()` of column lengths the serializer does not check:
/// `(column, value, max)` in model field order.
pub fn check_model_lengths(columns: &[(&str, Option<&str>, usize)]) -> crate::Result<()> {
    let too_long: Vec<(&str, String)> = columns
        .iter()
        .filter_map(|&(column, value, max)| {
            let n = value?.chars().count();
            (n > max).then(|| {
                let msg = format!("Ensure this value has at most {max} characters (it has {n}).");
                (column, msg)
            })
        })
        .collect();
    model_errors(&too_long)
}

/// DRF's `URLField` (a CharField with Django's URL validator): the trimmed
/// text, or every message. Values that are not text fail as invalid URLs.
pub fn check_url(value: &Value, max: usize, blank: bool) -> Result<String, Vec<String>> {
    const INVALID: &str = "Enter a valid URL.";
    let Some(text) = as_text(value) else {
        return Err(vec![INVALID.into()]);
    };
    let text = text.trim().to_string();
    if text.is_empty() {
        return if blank {
            Ok(text)
        } else {
            Err(vec!["This field may not be blank.".into()])
        };
    }
    let mut problems = Vec::new();
    if text.chars().count() > max {
        problems.push(format!(
            "Ensure this field has no more than {max} characters."
        ));
    }
    if !crate::url::is_valid(&text) {
        problems.push(INVALID.into());
    }
    if problems.is_empty() {
        Ok(text)
    } else {
        Err(problems)
    }
}

/// Checks a body against the writable fields. Missing required fields and
/// bad values go to `errors`; defaults are filled in for create and PUT.
pub fn parse_body(fields: &[Field], body: &Map<String, Value>, op: Op) -> (Input, FieldErrors) {
    let mut input = Input::default();
    let mut errors = FieldErrors::default();
    for f in fields.iter().filter(|f| f.is_writable()) {
        match body.get(f.name) {
            Some(raw) => match check_value(f, raw) {
                Ok(v) => input.values.push((f.name, v)),
                Err(msg) => errors.add(f.name, msg),
            },
            None if op == Op::Patch => {}
            None => match f.mode {
                Mode::Required => errors.add(f.name, "This field is required."),
                Mode::Defaulted => {
                    if let Some(d) = f.default {
                        input.values.push((f.name, default_val(d)));
                    }
                }
                _ => {}
            },
        }
    }
    (input, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static FIELDS: [Field; 3] = [
        Field::req(
            "name",
            Kind::Str {
                max: 5,
                blank: false,
            },
        ),
        Field::with_default("active", Kind::Bool, Default::Bool(true)),
        Field::ro("id", Kind::Int),
    ];

    #[test]
    fn required_and_defaults() {
        let body = json!({}).as_object().unwrap().clone();
        let (input, errors) = parse_body(&FIELDS, &body, Op::Create);
        assert_eq!(
            Value::Object(errors.0),
            json!({"name": ["This field is required."]})
        );
        assert_eq!(input.bool("active"), Some(true));
        let (input, errors) = parse_body(&FIELDS, &body, Op::Patch);
        assert!(errors.is_empty() && input.values.is_empty());
    }

    #[test]
    fn python_rendering() {
        assert_eq!(
            py_str(&json!({"this": ["is", 1, null]})),
            "{u'this': [u'is', 1, None]}"
        );
        assert_eq!(py_str(&json!(["a", true])), "[u'a', True]");
        assert_eq!(
            py_repr(&json!({"release": "r\u{c4}", "name": null})),
            "{u'release': u'r\\xc4', u'name': None}"
        );
        assert_eq!(
            py_repr(&json!({"id": 99, "x": 1, "name": 2, "release": 3})),
            "{u'release': 3, u'x': 1, u'id': 99, u'name': 2}"
        );
        assert_eq!(py_str(&json!(0.30000000000000004)), "0.3");
        assert_eq!(
            py_repr(&json!([0.30000000000000004, 1e16, 2.0])),
            "[0.30000000000000004, 1e+16, 2.0]"
        );
        // Observed in a PDC error text.
        assert_eq!(
            py_str(&json!({"zzz": 1, "homepage": "http://d.org", "aaa": 2})),
            "{u'aaa': 2, u'homepage': u'http://d.org', u'zzz': 1}"
        );
        assert!(!truthy(&json!(0)) && !truthy(&json!({})) && truthy(&json!("x")));
        assert_eq!(py_iter(&json!(["a", 5, null])).unwrap(), ["a", "5", "None"]);
        assert_eq!(py_iter(&json!("ab")).unwrap(), ["a", "b"]);
        assert_eq!(py_iter(&json!(5)), None);
    }

    #[test]
    fn value_errors() {
        let body = json!({"name": "toolong", "active": "maybe"});
        let (_, errors) = parse_body(&FIELDS, body.as_object().unwrap(), Op::Create);
        assert_eq!(
            Value::Object(errors.0),
            json!({"name": ["Ensure this field has no more than 5 characters."],
                   "active": ["Must be a valid boolean."]})
        );
        let body = json!({"name": "  ", "active": "t"});
        let (input, errors) = parse_body(&FIELDS, body.as_object().unwrap(), Op::Create);
        assert_eq!(
            Value::Object(errors.0),
            json!({"name": ["This field may not be blank."]})
        );
        assert_eq!(input.bool("active"), Some(true));
    }
}
