//! Shared productmd pieces: the parse error, header, and the helpers that
//! mimic Python's dict access and productmd's `_assert_*` messages.

use serde_json::{Map, Value, json};

use crate::Error;

/// Why a document was rejected (`reason` in PDC's answer).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError(pub String);

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        // PDC builds this as a Python 2 dict: the keys come out reason first.
        Error::status(
            400,
            json!({"reason": e.0, "detail": "Error parsing productmd metadata."}),
        )
    }
}

pub type Parse<T> = Result<T, ParseError>;

/// Python's `repr(type(value))` for JSON values, as productmd prints it.
pub fn py_type_repr(v: &Value) -> &'static str {
    match v {
        Value::Null => "<type 'NoneType'>",
        Value::Bool(_) => "<type 'bool'>",
        Value::Number(n) if n.is_f64() => "<type 'float'>",
        Value::Number(_) => "<type 'int'>",
        Value::String(_) => "<type 'unicode'>",
        Value::Array(_) => "<type 'list'>",
        Value::Object(_) => "<type 'dict'>",
    }
}

/// `data[key]` with Python's failure texts.
pub fn get<'a>(data: &'a Value, key: &str) -> Parse<&'a Value> {
    match data {
        Value::Object(m) => m
            .get(key)
            .ok_or_else(|| ParseError(format!("Missing key {key}"))),
        Value::Array(_) => Err(ParseError(
            "list indices must be integers, not unicode".into(),
        )),
        Value::String(_) => Err(ParseError("string indices must be integers".into())),
        Value::Null => Err(ParseError(
            "'NoneType' object has no attribute '__getitem__'".into(),
        )),
        Value::Bool(_) => Err(ParseError(
            "'bool' object has no attribute '__getitem__'".into(),
        )),
        Value::Number(n) if n.is_f64() => Err(ParseError(
            "'float' object has no attribute '__getitem__'".into(),
        )),
        Value::Number(_) => Err(ParseError(
            "'int' object has no attribute '__getitem__'".into(),
        )),
    }
}

/// `data.get(key)` (None when absent; an error when `data` is no dict).
pub fn get_opt<'a>(data: &'a Value, key: &str) -> Parse<Option<&'a Value>> {
    match data {
        Value::Object(m) => Ok(m.get(key)),
        other => get(other, key).map(Some),
    }
}

pub fn as_object<'a>(v: &'a Value, what: &str) -> Parse<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        ParseError(format!(
            "{what}: expected a mapping, got {}",
            py_type_repr(v)
        ))
    })
}

/// `_assert_type(field, string types)`.
pub fn string(class: &str, field: &str, v: &Value) -> Parse<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(ParseError(format!(
            "{class}: Field '{field}' has invalid type: {}",
            py_type_repr(other)
        ))),
    }
}

/// `_assert_value(field, allowed)` on a text value.
pub fn one_of(class: &str, field: &str, value: &str, allowed: &[&str]) -> Parse<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ParseError(format!(
            "{class}: Field '{field}' has invalid value: {value}"
        )))
    }
}

/// `_assert_matches_re` (the pattern list printed as Python does).
pub fn matches(class: &str, field: &str, value: &str, re: &regex::Regex, shown: &str) -> Parse<()> {
    if re.is_match(value) {
        Ok(())
    } else {
        Err(ParseError(format!(
            "{class}: Field '{field}' has invalid value: {value}. It does not match any provided REs: {shown}"
        )))
    }
}

/// `header.version` as (major, minor), checking `header.type` from 1.1 on.
pub fn header(data: &Value, metadata_type: &str) -> Parse<(u32, u32)> {
    let header = get(data, "header")?;
    let raw = get(header, "version")?;
    let version = parse_version(raw)?;
    if version >= (1, 1) {
        let t = get(header, "type")?;
        let shown = t
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| t.to_string());
        if t.as_str() != Some(metadata_type) {
            return Err(ParseError(format!(
                "Invalid metadata type '{shown}', expected '{metadata_type}'"
            )));
        }
    }
    Ok(version)
}

fn parse_version(raw: &Value) -> Parse<(u32, u32)> {
    let s = string("Header", "version", raw)?;
    let invalid = || {
        ParseError(format!(
            "Header: Field 'version' has invalid value: {s}. It does not match any provided REs: ['^\\\\d+\\\\.\\\\d+$']"
        ))
    };
    let (a, b) = s.split_once('.').ok_or_else(invalid)?;
    let all_digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    if !all_digits(a) || !all_digits(b) {
        return Err(invalid());
    }
    Ok((
        a.parse().map_err(|_| invalid())?,
        b.parse().map_err(|_| invalid())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            header(&json!({"header": {"version": "0.3"}}), "x"),
            Ok((0, 3))
        );
        assert_eq!(
            header(
                &json!({"header": {"version": "1.2", "type": "productmd.rpms"}}),
                "productmd.rpms"
            ),
            Ok((1, 2))
        );
        assert_eq!(
            header(&json!({}), "x"),
            Err(ParseError("Missing key header".into()))
        );
        assert_eq!(
            header(
                &json!({"header": {"version": "1.1", "type": "productmd.images"}}),
                "productmd.rpms"
            ),
            Err(ParseError(
                "Invalid metadata type 'productmd.images', expected 'productmd.rpms'".into()
            ))
        );
        assert!(header(&json!({"header": {"version": "x"}}), "x").is_err());
    }
}
