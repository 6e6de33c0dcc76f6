//! `composeinfo.json`: the compose, its release (and base product), and the
//! variant tree with arches and paths. Formats 0.3 and 1.x.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::common::{
    Parse, ParseError, as_object, get, get_opt, header, matches, one_of, py_type_repr, string,
};
use crate::fields::truthy;

pub const METADATA_TYPE: &str = "productmd.composeinfo";
pub const COMPOSE_TYPES: [&str; 4] = ["test", "ci", "nightly", "production"];
pub const RELEASE_TYPES: [&str; 7] = [
    "fast",
    "ga",
    "updates",
    "updates-testing",
    "eus",
    "aus",
    "els",
];
pub const VARIANT_TYPES: [&str; 4] = ["variant", "optional", "addon", "layered-product"];
const LABEL_NAMES: [&str; 9] = [
    "EA",
    "DevelPhaseExit",
    "InternalAlpha",
    "Alpha",
    "InternalSnapshot",
    "Beta",
    "Snapshot",
    "RC",
    "Update",
];

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{8}$").expect("regex"));
static COMPOSE_ID_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^.*\d{8}(\.nightly|\.n|\.ci|\.test|\.t)?(\.\d+)?").expect("regex")
});
static VERSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^0-9].*|([0-9]+(\.?[0-9]+)*))$").expect("regex"));
static VARIANT_ID_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9]+$").expect("regex"));
static ID_PARTS_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^.*?(?P<date>\d{8})(?P<type>\.[a-z]+)?(\.(?P<respin>\d+))?").expect("regex")
});

#[derive(Debug, Clone)]
pub struct Compose {
    pub id: String,
    /// `YYYYMMDD`.
    pub date: String,
    pub compose_type: String,
    pub respin: i64,
    pub label: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub version: String,
    pub short: String,
    pub release_type: String,
    pub is_layered: bool,
}

impl Release {
    /// productmd's major version: the version without its last component.
    pub fn major_version(&self) -> &str {
        crate::ids::major_version(&self.version)
    }
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: String,
    pub uid: String,
    pub name: String,
    pub variant_type: String,
    pub arches: BTreeSet<String>,
    /// `path type -> arch -> relative path`.
    pub paths: BTreeMap<String, BTreeMap<String, String>>,
    /// The release of a layered-product variant.
    pub release: Option<Release>,
    pub children: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct ComposeInfo {
    pub version: (u32, u32),
    pub compose: Compose,
    pub release: Release,
    pub base_product: Option<Release>,
    /// Top-level variants, sorted by id.
    pub variants: Vec<Variant>,
}

impl ComposeInfo {
    pub fn parse(data: &Value) -> Parse<Self> {
        let version = header(data, METADATA_TYPE)?;
        let payload = get(data, "payload")?;
        let compose = parse_compose(get(payload, "compose")?, version)?;
        let release = parse_release(payload, version)?;
        let base_product = if release.is_layered {
            Some(parse_base_product(get(payload, "base_product")?)?)
        } else {
            None
        };
        let variants = parse_variants(get(payload, "variants")?, version)?;
        Ok(ComposeInfo {
            version,
            compose,
            release,
            base_product,
            variants,
        })
    }

    /// Every variant, nested ones included, sorted by uid.
    pub fn all_variants(&self) -> Vec<&Variant> {
        fn walk<'a>(vs: &'a [Variant], out: &mut Vec<&'a Variant>) {
            for v in vs {
                out.push(v);
                walk(&v.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.variants, &mut out);
        out.sort_by(|a, b| a.uid.cmp(&b.uid));
        out
    }
}

/// The `compose` section shared by every productmd file.
pub fn parse_compose(c: &Value, version: (u32, u32)) -> Parse<Compose> {
    let id_raw = get(c, "id")?;
    let label = match get_opt(c, "label")? {
        Some(v) if truthy(v) => Some(v),
        _ => None,
    };
    let type_raw = get(c, "type")?;
    let (date_raw, type_raw, respin_raw) = if version < (0, 3) {
        // Old files: date, type and respin come from the compose id.
        let id = string("Compose", "id", id_raw)?;
        let (d, t, r) = id_parts(&id)?;
        (Value::from(d), Value::from(t), Value::from(r))
    } else {
        (
            get(c, "date")?.clone(),
            type_raw.clone(),
            get(c, "respin")?.clone(),
        )
    };
    // productmd validates in method-name order: date, final, id, label, respin, type.
    let date = string("Compose", "date", &date_raw)?;
    matches("Compose", "date", &date, &DATE_RE, "['^\\\\d{8}$']")?;
    let id = string("Compose", "id", id_raw)?;
    if id.is_empty() {
        return Err(ParseError("Compose: Field 'id' must not be blank".into()));
    }
    matches(
        "Compose",
        "id",
        &id,
        &COMPOSE_ID_RE,
        "['.*\\\\d{8}(\\\\.nightly|\\\\.n|\\\\.ci|\\\\.test|\\\\.t)?(\\\\.\\\\d+)?']",
    )?;
    let label = match label {
        None => None,
        Some(v) => {
            let l = match v {
                Value::String(s) => s.clone(),
                other => {
                    return Err(ParseError(format!(
                        "Compose: Field 'label' has invalid type: {}",
                        py_type_repr(other)
                    )));
                }
            };
            verify_label(&l)?;
            Some(l)
        }
    };
    let respin = match &respin_raw {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(0),
        Value::Bool(b) => *b as i64,
        other => {
            return Err(ParseError(format!(
                "Compose: Field 'respin' has invalid type: {}",
                py_type_repr(other)
            )));
        }
    };
    let compose_type = match &type_raw {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    one_of("Compose", "type", &compose_type, &COMPOSE_TYPES)?;
    Ok(Compose {
        id,
        date,
        compose_type,
        respin,
        label,
    })
}

fn verify_label(label: &str) -> Parse<()> {
    let ok = label.rsplit_once('-').is_some_and(|(name, ver)| {
        LABEL_NAMES.contains(&name)
            && ver.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && (a.to_owned() + b).bytes().all(|c| c.is_ascii_digit())
            })
    });
    if ok {
        Ok(())
    } else {
        Err(ParseError(format!("Label in unknown format: {label}")))
    }
}

/// productmd's `get_date_type_respin` for 0.3 compose ids.
fn id_parts(id: &str) -> Parse<(String, String, i64)> {
    let Some(m) = ID_PARTS_RE.captures(id) else {
        return Err(ParseError(
            "Compose: Field 'date' has invalid type: <type 'NoneType'>".into(),
        ));
    };
    let date = m["date"].to_string();
    let respin = m
        .name("respin")
        .and_then(|r| r.as_str().parse().ok())
        .unwrap_or(0);
    let compose_type = match m.name("type").map(|t| &t.as_str()[1..]) {
        None | Some("") => "production".to_string(),
        Some("t" | "test") => "test".to_string(),
        Some("ci") => "ci".to_string(),
        Some("n" | "nightly") => "nightly".to_string(),
        Some(other) => return Err(ParseError(format!("Unknown compose type: .{other}"))),
    };
    Ok((date, compose_type, respin))
}

/// `data.get("type", "ga").lower()`.
fn lower_type(v: Option<&Value>) -> Parse<String> {
    match v {
        None => Ok("ga".into()),
        Some(Value::String(s)) => Ok(s.to_lowercase()),
        Some(other) => Err(ParseError(format!(
            "'{}' object has no attribute 'lower'",
            py_type_repr(other)
                .trim_start_matches("<type '")
                .trim_end_matches("'>")
        ))),
    }
}

/// The release section (`product` in 0.3 files).
fn parse_release(payload: &Value, version: (u32, u32)) -> Parse<Release> {
    let section = if version <= (0, 3) {
        "product"
    } else {
        "release"
    };
    release_from(get(payload, section)?, "Release")
}

fn release_from(r: &Value, class: &str) -> Parse<Release> {
    let name = get(r, "name")?;
    let version = get(r, "version")?;
    let short = get(r, "short")?;
    let release_type = lower_type(get_opt(r, "type")?)?;
    let is_layered = get_opt(r, "is_layered")?.map(truthy).unwrap_or(false);
    // Validation order: internal, is_layered, name, short, type, version.
    let name = string(class, "name", name)?;
    let short = string(class, "short", short)?;
    one_of(class, "type", &release_type, &RELEASE_TYPES)?;
    let version = string(class, "version", version)?;
    matches(
        class,
        "version",
        &version,
        &VERSION_RE,
        "[<_sre.SRE_Pattern object>]",
    )?;
    Ok(Release {
        name,
        version,
        short,
        release_type,
        is_layered,
    })
}

fn parse_base_product(b: &Value) -> Parse<Release> {
    let name = string("BaseProduct", "name", get(b, "name")?)?;
    let version = get(b, "version")?;
    let short = string("BaseProduct", "short", get(b, "short")?)?;
    let release_type = match get_opt(b, "type")? {
        None => "ga".to_string(),
        Some(t) => string("BaseProduct", "type", t)?,
    };
    let version = string("BaseProduct", "version", version)?;
    matches(
        "BaseProduct",
        "version",
        &version,
        &VERSION_RE,
        "[<_sre.SRE_Pattern object>]",
    )?;
    Ok(Release {
        name,
        version,
        short,
        release_type,
        is_layered: false,
    })
}

fn parse_variants(all: &Value, version: (u32, u32)) -> Parse<Vec<Variant>> {
    let map = as_object(all, "variants")?;
    let mut top: Vec<&String> = map
        .keys()
        .filter(|uid| match uid.rsplit_once('-') {
            Some((head, _)) => !map.contains_key(head),
            None => true,
        })
        .collect();
    top.sort();
    let mut out: Vec<Variant> = Vec::new();
    for uid in top {
        let v = parse_variant(all, uid, None, version)?;
        if out.iter().any(|o| o.id == v.id) {
            return Err(ParseError(format!("Variant ID already exists: {}", v.id)));
        }
        out.push(v);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn parse_variant(
    all: &Value,
    uid: &str,
    parent: Option<(&str, &BTreeSet<String>)>,
    version: (u32, u32),
) -> Parse<Variant> {
    let data = get(all, uid)?;
    let id = get(data, "id")?.clone();
    let vuid = get(data, "uid")?.clone();
    let name = get(data, "name")?.clone();
    let vtype = get(data, "type")?.clone();
    let arches = match get(data, "arches")? {
        Value::Array(items) => items
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| a.to_string())
            })
            .collect::<BTreeSet<_>>(),
        Value::String(s) => s.chars().map(String::from).collect(),
        other => {
            return Err(ParseError(format!(
                "'{}' object is not iterable",
                py_type_repr(other)
                    .trim_start_matches("<type '")
                    .trim_end_matches("'>")
            )));
        }
    };
    let release = if vtype.as_str() == Some("layered-product") {
        let section = if version <= (0, 3) {
            "product"
        } else {
            "release"
        };
        Some(release_from(get(data, section)?, "Release")?)
    } else {
        None
    };
    let mut paths = BTreeMap::new();
    if let Value::Object(p) = get(data, "paths")? {
        for (kind, by_arch) in p {
            if let Value::Object(by_arch) = by_arch {
                let m: BTreeMap<String, String> = by_arch
                    .iter()
                    .filter(|(arch, _)| arches.contains(*arch))
                    .filter_map(|(arch, path)| {
                        path.as_str()
                            .filter(|p| !p.is_empty())
                            .map(|p| (arch.clone(), p.to_string()))
                    })
                    .collect();
                if !m.is_empty() {
                    paths.insert(kind.clone(), m);
                }
            }
        }
    }
    let uid_text = string("Variant", "uid", &vuid).unwrap_or_else(|_| vuid.to_string());
    let child_uids: Vec<String> = match get_opt(data, "variants")? {
        Some(Value::Array(ids)) => {
            let mut ids: Vec<String> = ids
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect();
            ids.sort();
            ids.into_iter().map(|i| format!("{uid_text}-{i}")).collect()
        }
        _ => {
            let prefix = format!("{uid}-");
            let mut u: Vec<String> = as_object(all, "variants")?
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            u.sort();
            u
        }
    };
    let mut variant = Variant {
        id: String::new(),
        uid: uid_text.clone(),
        name: String::new(),
        variant_type: String::new(),
        arches,
        paths,
        release,
        children: Vec::new(),
    };
    for child_uid in child_uids {
        let child = parse_variant(all, &child_uid, Some((&uid_text, &variant.arches)), version)?;
        if variant.children.iter().any(|c| c.id == child.id) {
            return Err(ParseError(format!(
                "Variant ID already exists: {}",
                child.id
            )));
        }
        variant.children.push(child);
    }
    variant.children.sort_by(|a, b| a.id.cmp(&b.id));
    // Validation in productmd's method-name order: arches, id, name,
    // parent_arch, type, uid.
    if variant.arches.is_empty() {
        return Err(ParseError(
            "Variant: Field 'arches' must not be blank".into(),
        ));
    }
    variant.id = string("Variant", "id", &id)?;
    matches(
        "Variant",
        "id",
        &variant.id,
        &VARIANT_ID_RE,
        "['^[a-zA-Z0-9]+$']",
    )?;
    variant.name = string("Variant", "name", &name)?;
    if variant.name.is_empty() {
        return Err(ParseError("Variant: Field 'name' must not be blank".into()));
    }
    if let Some((parent_uid, parent_arches)) = parent {
        for arch in &variant.arches {
            if !parent_arches.contains(arch) {
                let sorted: Vec<String> = parent_arches.iter().map(|a| format!("u'{a}'")).collect();
                return Err(ParseError(format!(
                    "Variant '{}': arch '{arch}' not found in parent arches [{}]",
                    variant.uid,
                    sorted.join(", ")
                )));
            }
        }
        let expected = format!("{parent_uid}-{}", variant.id);
        if variant.uid != expected {
            return Err(ParseError(format!(
                "UID '{}' doesn't align with parent UID '{expected}'",
                variant.uid
            )));
        }
    }
    variant.variant_type = vtype
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| vtype.to_string());
    one_of("Variant", "type", &variant.variant_type, &VARIANT_TYPES)?;
    if parent.is_none() && variant.uid.replace('-', "") != variant.id {
        return Err(ParseError(format!(
            "UID '{}' doesn't align with parent UID '{}'",
            variant.uid, variant.id
        )));
    }
    Ok(variant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Value {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/compose/"
        );
        serde_json::from_str(&std::fs::read_to_string(format!("{root}{path}")).expect("fixture"))
            .expect("json")
    }

    #[test]
    fn fixture_0_3() {
        let ci =
            ComposeInfo::parse(&fixture("pdc-TP-1.0-20150310.0/composeinfo-0.3.json")).unwrap();
        assert_eq!(ci.compose.id, "TP-1.0-20150310.0");
        assert_eq!(ci.compose.date, "20150310");
        assert_eq!(ci.compose.compose_type, "production");
        assert_eq!(ci.compose.label.as_deref(), Some("RC-3.1"));
        assert_eq!(ci.release.short, "tp");
        assert_eq!(ci.release.major_version(), "1");
        let uids: Vec<&str> = ci.all_variants().iter().map(|v| v.uid.as_str()).collect();
        assert!(uids.contains(&"Client"), "{uids:?}");
    }

    #[test]
    fn fixture_1_0() {
        let ci = ComposeInfo::parse(&fixture(
            "Fedora-24-20151130.n.2/compose/metadata/composeinfo.json",
        ))
        .unwrap();
        assert_eq!(ci.compose.respin, 2);
        assert_eq!(ci.compose.compose_type, "nightly");
        assert_eq!(ci.release.short, "Fedora");
        assert!(ci.all_variants().iter().any(|v| v.uid == "Cloud"));
    }

    #[test]
    fn errors() {
        let mut doc = fixture("Fedora-24-20151130.n.2/compose/metadata/composeinfo.json");
        doc["payload"]["compose"]
            .as_object_mut()
            .unwrap()
            .remove("respin");
        assert_eq!(
            ComposeInfo::parse(&doc).unwrap_err(),
            ParseError("Missing key respin".into())
        );
        let mut doc = fixture("Fedora-24-20151130.n.2/compose/metadata/composeinfo.json");
        doc["payload"]["compose"]["type"] = "weekly".into();
        assert_eq!(
            ComposeInfo::parse(&doc).unwrap_err(),
            ParseError("Compose: Field 'type' has invalid value: weekly".into())
        );
        assert!(ComposeInfo::parse(&serde_json::json!("garbage")).is_err());
    }
}
