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
