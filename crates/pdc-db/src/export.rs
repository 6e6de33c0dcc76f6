//! Building changeset values the way PDC's models `export()` themselves.

use serde_json::Value;

/// `(export key, representation key)` pairs taken from a representation,
/// for `pydict::display_object`; a missing key gives `null`.
pub fn renamed<'a>(repr: &Value, keys: &[(&'a str, &str)]) -> Vec<(&'a str, Value)> {
    keys.iter()
        .map(|(to, from)| (*to, repr.get(*from).cloned().unwrap_or(Value::Null)))
        .collect()
}

/// The representation keys kept under their own names.
pub fn same<'a>(repr: &Value, keys: &[&'a str]) -> Vec<(&'a str, Value)> {
    keys.iter()
        .map(|k| (*k, repr.get(*k).cloned().unwrap_or(Value::Null)))
        .collect()
}

/// A dict filled key by key (`result = dict(); result[k] = v ...`), in
/// CPython 2.7's iteration order.
pub fn inserted(pairs: Vec<(&str, Value)>) -> Value {
    pdc_core::pydict::display_object(vec![], pairs)
}

/// `str()` of a release component as PDC's models print it: `release name`.
pub fn release_component_text(release_id: &str, name: &str) -> String {
    format!("{release_id} {name}")
}

/// The keys and values of a JSON object, in its order.
pub fn object_pairs(value: &Value) -> Vec<(&str, Value)> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect()
}
