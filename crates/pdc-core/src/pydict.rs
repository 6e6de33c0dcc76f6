//! Iteration order of Python 2 dicts with text keys (64-bit CPython 2.7,
//! hash randomisation off, as PDC runs). PDC sends some message lists in
//! that order, e.g. Django's model validation errors.

use serde_json::Value;

/// CPython 2.7's `hash()` of a byte string, as the unsigned value dicts use.
fn hash(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let Some(first) = bytes.first() else {
        return 0;
    };
    let mut x = u64::from(*first) << 7;
    for b in bytes {
        x = x.wrapping_mul(1_000_003) ^ u64::from(*b);
    }
    x ^= bytes.len() as u64;
    if x == u64::MAX { u64::MAX - 1 } else { x }
}

/// Puts `key` into the open-addressing table `slots` (CPython's probing).
fn place<'a>(slots: &mut [Option<&'a str>], key: &'a str) {
    let mask = slots.len() as u64 - 1;
    let h = hash(key);
    let (mut i, mut perturb) = (h & mask, h);
    while slots[(i & mask) as usize].is_some() {
        i = (i << 2)
            .wrapping_add(i)
            .wrapping_add(perturb)
            .wrapping_add(1);
        perturb >>= 5;
    }
    slots[(i & mask) as usize] = Some(key);
}

/// Keys of a new dict of `size` slots filled by inserting `keys` in this
/// order, as it iterates.
fn filled<'a>(keys: &[&'a str], size: usize) -> Vec<&'a str> {
    let mut slots: Vec<Option<&str>> = vec![None; size];
    for (n, key) in keys.iter().enumerate() {
        place(&mut slots, key);
        let used = n + 1;
        if used * 3 >= slots.len() * 2 {
            let mut size = 8;
            while size <= 4 * used {
                size <<= 1;
            }
            let old = std::mem::replace(&mut slots, vec![None; size]);
            for k in old.into_iter().flatten() {
                place(&mut slots, k);
            }
        }
    }
    slots.into_iter().flatten().collect()
}

/// The order distinct `keys`, inserted in this order, come out of a dict
/// that is then rebuilt by iteration `dicts - 1` more times.
pub fn order<'a>(keys: &[&'a str], dicts: usize) -> Vec<&'a str> {
    let mut keys = keys.to_vec();
    for _ in 0..dicts {
        keys = filled(&keys, 8);
    }
    keys
}

/// The order of a dict display `{k1: v1, ...}` of distinct `keys` to which
/// the distinct `later` keys are then assigned one by one. A display of
/// more than five keys starts with a presized table (`BUILD_MAP`'s hint).
pub fn display<'a>(keys: &[&'a str], later: &[&'a str]) -> Vec<&'a str> {
    let mut size = 8;
    while keys.len() > 5 && size <= keys.len() {
        size <<= 1;
    }
    let all: Vec<&str> = keys.iter().chain(later).copied().collect();
    filled(&all, size)
}

/// A JSON object built like a Python 2 dict display (see `display`), in
/// its iteration order: what `json.dumps` of a model's `export()` gives.
pub fn display_object(pairs: Vec<(&str, Value)>, later: Vec<(&str, Value)>) -> Value {
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    let late: Vec<&str> = later.iter().map(|(k, _)| *k).collect();
    let order: Vec<String> = display(&keys, &late)
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut values: serde_json::Map<String, Value> = pairs
        .into_iter()
        .chain(later)
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Value::Object(
        order
            .into_iter()
            .filter_map(|k| values.remove(&k).map(|v| (k, v)))
            .collect(),
    )
}

/// A JSON object written as a Python dict display in its key order, as
/// CPython 2.7 iterates it (see `display`).
pub fn literal(value: &Value) -> Value {
    match value {
        Value::Object(map) => display_object(
            map.iter().map(|(k, v)| (k.as_str(), v.clone())).collect(),
            vec![],
        ),
        other => other.clone(),
    }
}

/// A parsed JSON value as CPython 2.7's `json.loads` gives it back: every
/// object in its dict's iteration order.
pub fn reordered(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            Value::Object(
                order(&keys, 1)
                    .into_iter()
                    .map(|k| (k.to_string(), reordered(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(reordered).collect()),
        other => other.clone(),
    }
}

/// Key order of the error mapping of Django 1.11's `Model.full_clean()`:
/// field errors (`clean_fields`, in field order), then the keys `clean()`
/// raised, then the failed unique checks (in check order). Each group comes
/// from its own error dict (two copies) and they are merged into one that
/// is copied three times more before anyone iterates it.
pub fn full_clean<'a>(fields: &[&'a str], clean: &[&'a str], unique: &[&'a str]) -> Vec<&'a str> {
    let mut keys = order(fields, 2);
    keys.extend(order(clean, 2));
    keys.extend(order(unique, 2));
    order(&keys, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Produced by replaying Django's dict copies on CPython 2.7 (and the
    /// first one observed on PDC).
    #[test]
    fn parsed_objects() {
        let v = serde_json::json!([{"component": "java", "role": "pm", "contact": {"username": "u", "email": "e"}}]);
        assert_eq!(
            serde_json::to_string(&reordered(&v)).unwrap(),
            r#"[{"role":"pm","contact":{"username":"u","email":"e"},"component":"java"}]"#
        );
    }

    #[test]
    fn full_clean_groups() {
        assert_eq!(
            full_clean(&["email"], &[], &["mail_name", "id"]),
            ["mail_name", "email", "id"]
        );
        assert_eq!(
            full_clean(&["name", "count_limit"], &["detail"], &["id"]),
            ["count_limit", "detail", "name", "id"]
        );
        assert_eq!(
            full_clean(&["username", "email"], &["detail"], &["name"]),
            ["username", "detail", "name", "email"]
        );
        assert_eq!(
            full_clean(&["email", "id"], &[], &["name"]),
            ["id", "name", "email"]
        );
    }

    /// Django 1.11's `full_clean()` message order (five dicts), produced with
    /// Django itself for every subset of the variant columns.
    const DJANGO: &str = "id:id uid:uid name:name version:version release:release \
        id,uid:uid,id id,name:name,id id,version:version,id id,release:release,id \
        uid,name:uid,name uid,version:uid,version uid,release:uid,release \
        name,version:version,name name,release:release,name version,release:version,release \
        id,uid,name:uid,name,id id,uid,version:uid,version,id id,uid,release:uid,release,id \
        id,name,version:name,version,id id,name,release:name,release,id \
        id,version,release:version,release,id uid,name,version:uid,version,name \
        uid,name,release:uid,release,name uid,version,release:uid,version,release \
        name,version,release:version,release,name id,uid,name,version:uid,version,name,id \
        id,uid,name,release:name,uid,release,id id,uid,version,release:uid,version,release,id \
        id,name,version,release:name,version,release,id \
        uid,name,version,release:uid,version,release,name \
        id,uid,name,version,release:name,uid,version,release,id";

    #[test]
    fn django_validation_order() {
        for case in DJANGO.split_whitespace() {
            let (given, expected) = case.split_once(':').unwrap();
            let keys: Vec<String> = given.split(',').map(|k| format!("variant_{k}")).collect();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let got: Vec<&str> = order(&keys, 5)
                .into_iter()
                .map(|k| k.trim_start_matches("variant_"))
                .collect();
            assert_eq!(got.join(","), expected, "{given}");
        }
    }

    #[test]
    fn resized_dict() {
        // PDC's bulk error body: {"invalid_data", "detail", "id_of_invalid_data"}.
        assert_eq!(
            order(&["invalid_data", "detail", "id_of_invalid_data"], 1),
            ["invalid_data", "detail", "id_of_invalid_data"]
        );
        let six = ["release", "id", "uid", "name", "type", "arches"];
        assert_eq!(
            order(&six, 1),
            ["name", "arches", "release", "type", "id", "uid"]
        );
    }
}

#[cfg(test)]
mod display_tests {
    use super::display;

    /// `Release.export()`: an eleven-key display (presized) plus one key
    /// assigned afterwards, as CPython 2.7 iterates it.
    #[test]
    fn presized_display() {
        let keys = [
            "release_id",
            "short",
            "version",
            "name",
            "release_type",
            "active",
            "product_version",
            "integrated_with",
            "sigkey",
            "allow_buildroot_push",
            "allowed_debuginfo_services",
            "allowed_push_targets",
        ];
        assert_eq!(
            display(&keys, &["base_product"]),
            [
                "release_id",
                "product_version",
                "integrated_with",
                "sigkey",
                "active",
                "allow_buildroot_push",
                "short",
                "name",
                "allowed_debuginfo_services",
                "version",
                "allowed_push_targets",
                "base_product",
                "release_type"
            ]
        );
        assert_eq!(
            display(
                &[
                    "base_product_id",
                    "short",
                    "version",
                    "name",
                    "release_type"
                ],
                &[]
            ),
            [
                "release_type",
                "short",
                "version",
                "base_product_id",
                "name"
            ]
        );
    }
}

#[cfg(test)]
mod sequential_tests {
    use super::order;

    fn ordered<'a>(keys: &[&'a str]) -> Vec<&'a str> {
        order(keys, 1)
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
}
