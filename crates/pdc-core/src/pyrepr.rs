//! Python 2 `repr()` of the few values PDC puts into its error texts.

/// `[u'a', u'b']`: the repr of a Python 2 list of unicode strings.
pub fn unicode_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| unicode(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// `u'a'`: the repr of a Python 2 unicode string.
pub fn unicode(s: &str) -> String {
    format!("u{}", str_repr(s))
}

/// `'a'`: repr of a byte string, quotes chosen as Python does.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) > 0x7f && (c as u32) <= 0xff => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) > 0xff && (c as u32) <= 0xffff => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) > 0xffff => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The keys of a Python 2 dict (or set: both use the same table) filled by
/// inserting `keys` one by one, in its iteration order.
pub fn py2_iter<S: AsRef<str>>(keys: &[S]) -> Vec<&str> {
    let refs: Vec<&str> = keys.iter().map(AsRef::as_ref).collect();
    crate::pydict::order(&refs, 1)
}

/// `set(keys) - excluded` iterated as Python 2 does it: the difference is a
/// new set filled in the iteration order of `set(keys)`.
pub fn py2_set_difference<'a, S: AsRef<str>>(
    keys: &'a [S],
    excluded: impl Fn(&str) -> bool,
) -> Vec<&'a str> {
    let kept: Vec<&'a str> = py2_iter(keys)
        .into_iter()
        .filter(|k| !excluded(k))
        .collect();
    crate::pydict::order(&kept, 1)
}

/// A JSON value with every object's keys in the order Python 2's
/// `json.loads` gives them (a dict filled in document order); PDC echoes
/// request data back so.
pub fn py2_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(m) => {
            let keys: Vec<&String> = m.keys().collect();
            Value::Object(
                py2_iter(&keys)
                    .into_iter()
                    .map(|k| (k.to_string(), py2_json(&m[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(py2_json).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(unicode_list(&["rhn-qa".into()]), "[u'rhn-qa']");
        assert_eq!(unicode_list(&["a".into(), "b".into()]), "[u'a', u'b']");
        assert_eq!(unicode("it's"), "u\"it's\"");
    }
}
