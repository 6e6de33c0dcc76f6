//! Query-string handling shared by every endpoint: the strict parameter
//! check, pagination parameters and `fields` / `exclude_fields`.

use pdc_core::{Error, Result, pydict};
use serde_json::Value;

/// Parameters every strict endpoint accepts besides its filters.
pub const GENERIC_PARAMS: &[&str] = &["ordering", "page", "page_size", "fields", "exclude_fields"];

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;

/// Decoded `(name, value)` pairs in request order.
pub fn parse(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// 400 `Unknown query params: a, b.` for names `known` rejects.
pub fn check_unknown(pairs: &[(String, String)], known: impl Fn(&str) -> bool) -> Result<()> {
    let mut bad: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !GENERIC_PARAMS.contains(k) && !known(k))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    bad.sort_unstable();
    bad.dedup();
    Err(Error::bad_request(format!(
        "Unknown query params: {}.",
        bad.join(", ")
    )))
}

/// `None`: pagination off (bare list); otherwise the page size.
pub fn page_size(pairs: &[(String, String)]) -> Option<i64> {
    match last(pairs, "page_size").map(|v| v.trim().parse::<i64>()) {
        Some(Ok(n)) if n <= 0 => None,
        Some(Ok(n)) => Some(n.min(MAX_PAGE_SIZE)),
        _ => Some(DEFAULT_PAGE_SIZE),
    }
}

/// The page number asked for, given the page count (`page=last` allowed).
pub fn page_number(pairs: &[(String, String)], pages: i64) -> Result<i64> {
    let invalid = || Error::detail(404, "Invalid page.");
    let n = match last(pairs, "page") {
        None => 1,
        Some("last") => pages,
        Some(raw) => raw.trim().parse::<i64>().map_err(|_| invalid())?,
    };
    if n < 1 || n > pages {
        return Err(invalid());
    }
    Ok(n)
}

/// Top-level fields selected by `fields` and removed by `exclude_fields`.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    only: Vec<String>,
    exclude: Vec<String>,
    /// Fields whose objects PDC renders with a nested strict serializer,
    /// which applies both parameters once more (see `Field::nested`).
    nested: Vec<(&'static str, &'static [&'static str])>,
}

fn names(pairs: &[(String, String)], param: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == param)
        .flat_map(|(_, v)| v.split(','))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Selection {
    /// Reads and checks the two parameters against the output field names.
    pub fn parse(pairs: &[(String, String)], fields: &[&str]) -> Result<Self> {
        let only = names(pairs, "fields");
        let exclude = names(pairs, "exclude_fields");
        for (param, list) in [("fields", &only), ("exclude_fields", &exclude)] {
            let mut bad: Vec<&str> = list
                .iter()
                .map(String::as_str)
                .filter(|n| !fields.contains(n))
                .collect();
            if !bad.is_empty() {
                bad.sort_unstable();
                bad.dedup();
                return Err(Error::bad_request(format!(
                    "Unknown fields in \"{param}\" filter: {}",
                    bad.join(", ")
                )));
            }
        }
        Ok(Selection {
            only,
            exclude,
            nested: Vec::new(),
        })
    }

    /// Adds the nested serializers of `(field, its field names)`.
    pub fn with_nested(mut self, nested: Vec<(&'static str, &'static [&'static str])>) -> Self {
        self.nested = nested;
        self
    }

    /// Whether the field is left out (PDC's serializer then drops it, so it
    /// is not accepted as input either).
    pub fn hides(&self, name: &str) -> bool {
        (!self.only.is_empty() && !self.only.iter().any(|o| o == name))
            || self.exclude.iter().any(|e| e == name)
    }

    pub fn is_identity(&self) -> bool {
        self.only.is_empty() && self.exclude.is_empty()
    }

    /// Selects the fields of one representation. A nested serializer that
    /// lacks a selected name fails the whole answer, as in PDC.
    pub fn apply(&self, value: &mut Value) -> Result<()> {
        if self.is_identity() {
            return Ok(());
        }
        let Value::Object(map) = value else {
            return Ok(());
        };
        self.retain(map);
        for (field, names) in &self.nested {
            if let Some(Value::Object(inner)) = map.get_mut(*field) {
                for (param, list) in [("fields", &self.only), ("exclude_fields", &self.exclude)] {
                    let bad: Vec<&str> = list
                        .iter()
                        .map(String::as_str)
                        .filter(|n| !names.contains(n))
                        .collect();
                    if !bad.is_empty() {
                        return Err(Error::bad_request(format!(
                            "Unknown fields in \"{param}\" filter: {}",
                            pydict::order(&bad, 1).join(", ")
                        )));
                    }
                }
                self.retain(inner);
            }
        }
        Ok(())
    }

    fn retain(&self, map: &mut serde_json::Map<String, Value>) {
        if !self.only.is_empty() {
            map.retain(|k, _| self.only.iter().any(|o| o == k));
        }
        map.retain(|k, _| !self.exclude.iter().any(|e| e == k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> Vec<(String, String)> {
        parse(Some(q))
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_size(&p("")), Some(20));
        assert_eq!(page_size(&p("page_size=-1")), None);
        assert_eq!(page_size(&p("page_size=0")), None);
        assert_eq!(page_size(&p("page_size=1000")), Some(100));
        assert_eq!(page_size(&p("page_size=abc")), Some(20));
        assert_eq!(page_size(&p("page_size=1.5")), Some(20));
        assert_eq!(page_size(&p("page_size=10&page_size=5")), Some(5));
    }

    #[test]
    fn pages() {
        assert_eq!(page_number(&p("page=last"), 3).unwrap(), 3);
        assert!(page_number(&p("page=0"), 3).is_err());
        assert!(page_number(&p("page="), 3).is_err());
        assert!(page_number(&p("page=4"), 3).is_err());
        assert_eq!(page_number(&p(""), 1).unwrap(), 1);
    }

    #[test]
    fn unknown() {
        let e =
            check_unknown(&p("zeta=1&alpha=2&format=json&page=1"), |k| k == "name").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"400 {"detail":"Unknown query params: alpha, format, zeta."}"#
        );
    }

    #[test]
    fn selection() {
        let s = Selection::parse(
            &p("fields=short,name&exclude_fields=name"),
            &["name", "short", "x"],
        )
        .unwrap();
        let mut v = serde_json::json!({"name": 1, "short": 2, "x": 3});
        s.apply(&mut v).unwrap();
        assert_eq!(v, serde_json::json!({"short": 2}));
        let e = Selection::parse(&p("fields=nope&fields=bad,short"), &["short"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"400 {"detail":"Unknown fields in \"fields\" filter: bad, nope"}"#
        );
    }

    #[test]
    fn nested_serializers_apply_the_selection_too() {
        let fields = ["id", "role", "contact"];
        let nested = vec![("contact", &["id", "username"][..])];
        let value =
            serde_json::json!({"id": 1, "role": "pm", "contact": {"id": 2, "username": "u"}});
        let select = |q: &str| {
            Selection::parse(&p(q), &fields)
                .unwrap()
                .with_nested(nested.clone())
        };
        let mut v = value.clone();
        select("exclude_fields=id").apply(&mut v).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"role": "pm", "contact": {"username": "u"}})
        );
        let mut v = value.clone();
        let e = select("fields=contact,role").apply(&mut v).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"400 {"detail":"Unknown fields in \"fields\" filter: contact, role"}"#
        );
        let mut v = value.clone();
        select("exclude_fields=contact,role").apply(&mut v).unwrap();
        assert_eq!(v, serde_json::json!({"id": 1}));
    }
}
