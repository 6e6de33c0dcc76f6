//! productmd identifier rules: release ids, base product ids, product
//! version ids and the version sort key.

use std::sync::LazyLock;

use regex::Regex;

static SHORT_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z]+([a-z0-9]*-?[a-z0-9]+)*$").expect("regex"));
static VERSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^0-9].*|([0-9]+(\.?[0-9]+)*))$").expect("regex"));

static SLUG_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[-a-zA-Z0-9_]+$").expect("regex"));

pub const SHORT_MSG: &str = "Only accept lowercase letters, numbers or -";
pub const VERSION_MSG: &str = "Only accept comma separated numbers or any text";

pub fn is_valid_short(s: &str) -> bool {
    SHORT_RE.is_match(s)
}

pub fn is_valid_version(s: &str) -> bool {
    VERSION_RE.is_match(s)
}

/// Field check for `short` fields (serializer validator).
pub fn check_short(s: &str) -> Option<String> {
    (!is_valid_short(s)).then(|| SHORT_MSG.to_string())
}

/// Field check for `version` fields (serializer validator).
pub fn check_version(s: &str) -> Option<String> {
    (!is_valid_version(s)).then(|| VERSION_MSG.to_string())
}

/// DRF's `SlugField` check (Django's `validate_slug`).
pub fn check_slug(s: &str) -> Option<String> {
    (!SLUG_RE.is_match(s)).then(|| {
        "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.".to_string()
    })
}

/// Model validator for hex strings of a fixed length (sigkeys, checksums).
pub fn check_hex(value: &str, len: usize) -> Option<String> {
    if !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some(format!("{value} contains invalid characters"));
    }
    (value.chars().count() != len).then(|| format!("{value} should be {len} characters long"))
}

/// productmd `create_release_id`, with the ValueError texts PDC surfaces.
pub fn release_id(
    short: &str,
    version: &str,
    release_type: &str,
    base: Option<(&str, &str, &str)>,
) -> Result<String, String> {
    if !is_valid_short(short) {
        return Err(format!("Release short name is not valid: {short}"));
    }
    if !is_valid_version(version) {
        return Err(format!("Release short version is not valid: {version}"));
    }
    if !is_valid_short(release_type) {
        return Err(format!("Release type is not valid: {release_type}"));
    }
    let mut id = if release_type == "ga" {
        format!("{short}-{version}")
    } else {
        format!("{short}-{version}-{release_type}")
    };
    if let Some((bs, bv, bt)) = base {
        id.push('@');
        id.push_str(&release_id(bs, bv, bt, None)?);
    }
    Ok(id)
}

/// `product_version_id` = `short.lower()-version`.
pub fn product_version_id(short: &str, version: &str) -> String {
    format!("{}-{}", short.to_lowercase(), version)
}

/// productmd major version: the version without its last dot component.
pub fn major_version(version: &str) -> &str {
    match version.rfind('.') {
        Some(i) => &version[..i],
        None => version,
    }
}

/// First dot component of a version.
pub fn first_component(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_ids() {
        assert_eq!(release_id("rhel", "7.4", "ga", None).unwrap(), "rhel-7.4");
        assert_eq!(
            release_id("rhel", "7.4", "eus", None).unwrap(),
            "rhel-7.4-eus"
        );
        assert_eq!(
            release_id("supp", "1.1", "ga", Some(("product", "1", "ga"))).unwrap(),
            "supp-1.1@product-1"
        );
        assert_eq!(
            release_id("x", "1", "updates", Some(("rhel", "7", "eus"))).unwrap(),
            "x-1-updates@rhel-7-eus"
        );
        assert_eq!(
            release_id("p", "1.x", "ga", None).unwrap_err(),
            "Release short version is not valid: 1.x"
        );
    }

    #[test]
    fn shorts_and_versions() {
        assert!(is_valid_short("rhel-server"));
        assert!(!is_valid_short("RHEL"));
        assert!(!is_valid_short("a--b"));
        assert!(is_valid_version("7"));
        assert!(is_valid_version("1.10.2"));
        assert!(is_valid_version("beta"));
        assert!(!is_valid_version("7.4a"));
        assert!(!is_valid_version("7-beta"));
        assert_eq!(major_version("7.4.1"), "7.4");
        assert_eq!(major_version("7"), "7");
    }
}
