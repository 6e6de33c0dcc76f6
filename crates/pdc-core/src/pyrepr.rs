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

/// CPython 2.7's hash of an (ASCII) string, without hash randomisation.
fn py2_hash(s: &str) -> i64 {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return 0;
    }
    let mut x: i64 = (bytes[0] as i64) << 7;
    for &b in bytes {
        x = x.wrapping_mul(1_000_003) ^ b as i64;
    }
    x ^= bytes.len() as i64;
    if x == -1 { -2 } else { x }
}

/// Slot of `hash` in a CPython 2.7 dict table of `size` slots.
fn py2_slot(table: &[Option<usize>], hash: i64) -> usize {
    let mask = table.len() - 1;
    let mut i = hash as u64 as usize & mask;
    let mut perturb = hash as u64;
    loop {
        let slot = i & mask;
        if table[slot].is_none() {
            return slot;
        }
        i = (i << 2)
            .wrapping_add(i)
            .wrapping_add(perturb as usize)
            .wrapping_add(1);
        perturb >>= 5;
    }
}

/// The order in which a Python 2 dict built by inserting `keys` (distinct)
/// in the given order iterates them: PDC's error bodies come out so.
pub fn py2_dict_order<S: AsRef<str>>(keys: &[S]) -> Vec<usize> {
    let mut table: Vec<Option<usize>> = vec![None; 8];
    let mut used = 0usize;
    for (idx, key) in keys.iter().enumerate() {
        let slot = py2_slot(&table, py2_hash(key.as_ref()));
        table[slot] = Some(idx);
        used += 1;
        if used * 3 >= table.len() * 2 {
            let min = (if used > 50_000 { 2 } else { 4 }) * used;
            let mut size = 8;
            while size <= min {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; size]);
            for entry in old.into_iter().flatten() {
                let slot = py2_slot(&table, py2_hash(keys[entry].as_ref()));
                table[slot] = Some(entry);
            }
        }
    }
    table.into_iter().flatten().collect()
}

/// The keys of a Python 2 dict (or set: both use the same table) filled by
/// inserting `keys` one by one, in its iteration order.
pub fn py2_iter<S: AsRef<str>>(keys: &[S]) -> Vec<&str> {
    py2_dict_order(keys)
        .into_iter()
        .map(|i| keys[i].as_ref())
        .collect()
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
    py2_dict_order(&kept).into_iter().map(|i| kept[i]).collect()
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
mod dict_tests {
    use super::py2_dict_order;

    fn ordered<'a>(keys: &[&'a str]) -> Vec<&'a str> {
        py2_dict_order(keys).into_iter().map(|i| keys[i]).collect()
    }

    #[test]
    fn matches_python2() {
        assert_eq!(ordered(&["short", "product"]), ["product", "short"]);
        assert_eq!(ordered(&["name", "description"]), ["name", "description"]);
        assert_eq!(
            ordered(&["invalid_data", "detail", "id_of_invalid_data"]),
            ["invalid_data", "detail", "id_of_invalid_data"]
        );
        // Inserted one by one (a dict literal would be presized differently).
        assert_eq!(
            ordered(&[
                "username",
                "fullname",
                "e-mail",
                "is_superuser",
                "is_staff",
                "groups",
                "permissions",
                "resource_permissions"
            ]),
            [
                "username",
                "is_superuser",
                "e-mail",
                "is_staff",
                "groups",
                "resource_permissions",
                "fullname",
                "permissions"
            ]
        );
        let many = [
            "name",
            "short",
            "version",
            "active",
            "product_version_id",
            "product",
            "releases",
            "allowed_push_targets",
            "x1",
            "x2",
            "x3",
            "x4",
            "x5",
            "x6",
            "x7",
            "x8",
            "x9",
            "x10",
            "x11",
            "x12",
            "x13",
            "x14",
            "x15",
            "x16",
            "x17",
            "x18",
        ];
        assert_eq!(
            ordered(&many),
            [
                "product_version_id",
                "active",
                "version",
                "product",
                "releases",
                "allowed_push_targets",
                "x8",
                "x9",
                "x2",
                "x3",
                "x1",
                "x6",
                "x7",
                "x4",
                "x5",
                "short",
                "name",
                "x18",
                "x10",
                "x11",
                "x12",
                "x13",
                "x14",
                "x15",
                "x16",
                "x17"
            ]
        );
        assert_eq!(ordered(&["release_id", "active"]), ["active", "release_id"]);
    }

    #[test]
    fn sets_and_json() {
        use super::{py2_json, py2_set_difference};
        // set([u'name', u'short', u'foo', u'bar'] in dict order) - {name, short}
        let keys = ["name", "short", "foo", "bar"];
        let body_order: Vec<&str> = ordered(&keys);
        assert_eq!(body_order, ["short", "bar", "name", "foo"]);
        assert_eq!(
            py2_set_difference(&body_order, |k| k == "name" || k == "short"),
            ["foo", "bar"]
        );
        let v: serde_json::Value = serde_json::from_str(
            r#"{"name":"B1","short":"b","version":"1","release_type":"ga","x":{"b":1,"a":2}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&py2_json(&v)).unwrap(),
            r#"{"release_type":"ga","short":"b","name":"B1","version":"1","x":{"a":2,"b":1}}"#
        );
    }
}
