//! The version ordering of setuptools 44's `pkg_resources.parse_version`,
//! which PDC's RPM dependency filters use (after turning an `E:` epoch
//! prefix into PEP 440's `E!`): PEP 440 versions compare by their
//! normalised parts; anything else is a "legacy" version compared by its
//! padded text parts, and sorts before every PEP 440 version.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

/// A part of a PEP 440 key that may be one of packaging's infinities.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Val(T),
    Inf,
}

/// One segment of a local version label: text sorts before numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    Text(String),
    Num(u128),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pep440 {
    epoch: u128,
    release: Vec<u128>,
    pre: Bound<(String, u128)>,
    post: Bound<u128>,
    dev: Bound<u128>,
    local: Bound<Vec<Local>>,
}

/// A parsed version; `Legacy` sorts first (its epoch is -1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    Legacy(Vec<String>),
    Pep440(Pep440Key),
}

/// Opaque ordering key of a PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pep440Key(Pep440);

static PEP440: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)^\s*v?
        (?:(?P<epoch>[0-9]+)!)?
        (?P<release>[0-9]+(?:\.[0-9]+)*)
        (?P<pre>[-_.]?(?P<pre_l>alpha|beta|preview|pre|a|b|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
        (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
        (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
        (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
        \s*$",
    )
    .expect("static regex")
});

static LEGACY_PART: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+|[a-z]+|\.|-").expect("static regex"));

fn num(s: Option<regex::Match<'_>>) -> u128 {
    // Digits only; absurdly long numbers saturate.
    s.map(|m| m.as_str().parse().unwrap_or(u128::MAX))
        .unwrap_or(0)
}

fn parse_pep440(text: &str) -> Option<Pep440> {
    let c = PEP440.captures(text)?;
    let mut release: Vec<u128> = c["release"]
        .split('.')
        .map(|p| p.parse().unwrap_or(u128::MAX))
        .collect();
    while release.last() == Some(&0) {
        release.pop();
    }
    let pre = c.name("pre_l").map(|l| {
        let l = match l.as_str().to_ascii_lowercase().as_str() {
            "alpha" => "a".to_string(),
            "beta" => "b".to_string(),
            "c" | "pre" | "preview" => "rc".to_string(),
            other => other.to_string(),
        };
        (l, num(c.name("pre_n")))
    });
    let post = if c.name("post").is_some() {
        Some(num(c.name("post_n1").or(c.name("post_n2"))))
    } else {
        None
    };
    let dev = c.name("dev").map(|_| num(c.name("dev_n")));
    let local = c.name("local").map(|l| {
        l.as_str()
            .to_ascii_lowercase()
            .split(['.', '_', '-'])
            .map(|p| match p.parse::<u128>() {
                Ok(n) if p.bytes().all(|b| b.is_ascii_digit()) => Local::Num(n),
                _ => Local::Text(p.to_string()),
            })
            .collect()
    });
    Some(Pep440 {
        epoch: num(c.name("epoch")),
        release,
        pre: match (&pre, post, dev) {
            (None, None, Some(_)) => Bound::NegInf,
            (None, _, _) => Bound::Inf,
            (Some(p), _, _) => Bound::Val(p.clone()),
        },
        post: post.map_or(Bound::NegInf, Bound::Val),
        dev: dev.map_or(Bound::Inf, Bound::Val),
        local: local.map_or(Bound::NegInf, Bound::Val),
    })
}

/// The text parts of a legacy version (`_legacy_cmpkey`).
fn legacy_parts(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    // re.split with a capturing group: separators and the text between.
    let mut raw: Vec<&str> = Vec::new();
    let mut at = 0;
    for m in LEGACY_PART.find_iter(&lower) {
        raw.push(&lower[at..m.start()]);
        raw.push(m.as_str());
        at = m.end();
    }
    raw.push(&lower[at..]);
    let mut parts: Vec<String> = Vec::new();
    let mapped = raw
        .into_iter()
        .map(|p| match p {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        })
        .filter(|p| !p.is_empty() && *p != ".")
        .map(|p| {
            if p.starts_with(|c: char| c.is_ascii_digit()) {
                format!("{p:0>8}")
            } else {
                format!("*{p}")
            }
        })
        .chain(std::iter::once("*final".to_string()));
    for part in mapped {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// `parse_version(text)`.
pub fn parse_version(text: &str) -> Version {
    match parse_pep440(text) {
        Some(v) => Version::Pep440(Pep440Key(v)),
        None => Version::Legacy(legacy_parts(text)),
    }
}

/// PDC's `parse_epoch_version`: `E:rest` is read as `E!rest`.
pub fn parse_epoch_version(text: &str) -> Version {
    static EPOCH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d+):").expect("regex"));
    parse_version(&EPOCH.replace(text, "${1}!"))
}

/// Whether a dependency `dep_op dep_version` is compatible with a filter
/// `op version` (PDC's `dependency_predicate`).
pub fn dependency_matches(op: &str, version: &Version, dep_op: &str, dep: &Version) -> bool {
    let cmp = version.cmp(dep);
    match op {
        "=" => match dep_op {
            "=" => cmp == Ordering::Equal,
            "<" => cmp == Ordering::Less,
            ">" => cmp == Ordering::Greater,
            "<=" => cmp != Ordering::Greater,
            ">=" => cmp != Ordering::Less,
            _ => false,
        },
        ">" => dep_op.contains('>') || dep > version,
        "<" => dep_op.contains('<') || dep < version,
        ">=" => {
            dependency_matches(">", version, dep_op, dep)
                || dependency_matches("=", version, dep_op, dep)
        }
        "<=" => {
            dependency_matches("<", version, dep_op, dep)
                || dependency_matches("=", version, dep_op, dep)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse_epoch_version(s)
    }

    #[test]
    fn ordering() {
        for (a, b) in [
            ("1.0", "1.0.1"),
            ("1.11.1", "1.100.1"),
            ("1.0a1", "1.0"),
            ("1.0.dev1", "1.0a1"),
            ("1.0", "1.0.post1"),
            ("1.0", "1.0+local"),
            ("3.0-1.fc22", "3.0-2.fc22"),
            ("3.0-1.fc22", "0.1"),
            ("svn24104.0.92", "svn24104.0.93"),
            ("3.2.5d", "3.2.5e"),
            ("2.1a15", "2.1a20"),
            ("2.1a15", "2.1"),
            ("0!4.0", "1!3.0"),
            ("1:3.0", "2:1.0"),
        ] {
            assert!(v(a) < v(b), "{a} < {b}");
        }
        assert_eq!(v("2.0"), v("2"));
        assert_eq!(v("0:3.0"), v("3.0"));
        assert_eq!(v("1.0-1"), v("1.0.post1"));
    }

    /// The order setuptools 44 gives (equal versions grouped with `,`).
    #[test]
    fn same_order_as_pkg_resources() {
        let expected = "abc|1.0_1|1.0-1.fc22|1.0-2.fc22|1.0~rc1|3.0-1.fc22|3.0-2.fc22|1.0.dev1|\
            1.0a,1.0alpha|1.0a1|1.0-beta,1.0.beta|1.0b2|1.0rc1,1.0c1|1.0,1.0.0,0:1.0,v1.0|\
            1.0+abc|1.0+5|1.0.post1,1.0-1|1.0.0.0.1|2.0|2.1a15|3.0pre1,3.0-rc1|3.0preview2|\
            3.0-1|1!0.5|2:0.1";
        let mut all: Vec<&str> = expected.split(['|', ',']).collect();
        all.reverse();
        all.sort_by_key(|a| v(a));
        let mut groups: Vec<Vec<&str>> = Vec::new();
        for x in all {
            match groups.last_mut() {
                Some(g) if v(g[0]) == v(x) => g.push(x),
                _ => groups.push(vec![x]),
            }
        }
        let compact = expected.replace(char::is_whitespace, "");
        let want: Vec<Vec<&str>> = compact.split('|').map(|g| g.split(',').collect()).collect();
        let sorted = |gs: Vec<Vec<&str>>| -> Vec<Vec<String>> {
            gs.into_iter()
                .map(|mut g| {
                    g.sort_unstable();
                    g.into_iter().map(str::to_string).collect()
                })
                .collect()
        };
        assert_eq!(sorted(groups), sorted(want));
    }

    #[test]
    fn legacy_keys() {
        assert_eq!(
            legacy_parts("3.0-1.fc22"),
            [
                "00000003", "*final-", "00000001", "*fc", "00000022", "*final"
            ]
        );
    }

    #[test]
    fn predicates() {
        let eq = |d_op: &str, d: &str| dependency_matches("=", &v("1.2.3"), d_op, &v(d));
        assert!(eq("=", "1.2.3") && !eq("=", "1.2.2"));
        assert!(eq("<", "1.2.4") && !eq("<", "1.2.3"));
        assert!(eq(">=", "1.2.2") && !eq(">=", "1.2.4"));
        let gt = |d_op: &str, d: &str| dependency_matches(">", &v("1.2.3"), d_op, &v(d));
        assert!(gt("=", "1.2.4") && !gt("=", "1.2.3") && gt(">", "1.2.2") && !gt("<=", "1.2.3"));
        let ge = |d_op: &str, d: &str| dependency_matches(">=", &v("1.2.3"), d_op, &v(d));
        assert!(ge("<=", "1.2.3") && !ge("<", "1.2.3") && ge("=", "1.2.3"));
    }
}
