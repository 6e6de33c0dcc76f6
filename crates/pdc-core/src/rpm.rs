//! RPM identities: N-E:V-R.A parsing in all the spellings PDC accepts, the
//! NEVRA text form, and rpm's version comparison (`rpmvercmp`).

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

/// A parsed name-epoch:version-release.arch; `epoch` is None when the text had none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nevra {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: String,
}

impl Nevra {
    /// `name-epoch:version-release.arch` (epoch 0 when absent).
    pub fn text(&self) -> String {
        format!(
            "{}-{}:{}-{}.{}",
            self.name,
            self.epoch.unwrap_or(0),
            self.version,
            self.release,
            self.arch
        )
    }
}

/// Name, epoch, version, release (an N-V-R).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nvr {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
}

fn compile(format: &str) -> Regex {
    let pattern = format
        .replace('.', "\\.")
        .replace("{name}", "(?P<name>[^:]+)")
        .replace("{version}", "(?P<version>[^:]+)")
        .replace("{release}", "(?P<release>[^:]+)")
        .replace("{epoch}", "(?P<epoch>[0-9]+)")
        .replace("{arch}", "(?P<arch>[^:.-]+)");
    Regex::new(&format!("^(?:.*/)?{pattern}$")).expect("static regex")
}

// The orders are PDC's: forms with an epoch first, then without.
static NVRA_WITH_EPOCH: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        "{name}-{version}-{release}:{epoch}.{arch}.rpm",
        "{epoch}:{name}-{version}-{release}.{arch}.rpm",
        "{name}-{epoch}:{version}-{release}.{arch}.rpm",
        "{name}-{version}-{release}.{arch}.rpm:{epoch}",
        "{name}-{version}-{release}.{arch}:{epoch}.rpm",
        "{name}-{version}-{release}:{epoch}.{arch}",
        "{epoch}:{name}-{version}-{release}.{arch}",
        "{name}-{epoch}:{version}-{release}.{arch}",
        "{name}-{version}-{release}.{arch}:{epoch}",
    ]
    .iter()
    .map(|f| compile(f))
    .collect()
});
static NVRA_NO_EPOCH: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        "{name}-{version}-{release}.{arch}.rpm",
        "{name}-{version}-{release}.{arch}",
    ]
    .iter()
    .map(|f| compile(f))
    .collect()
});
static NVR_WITH_EPOCH: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        "{name}-{version}-{release}:{epoch}",
        "{epoch}:{name}-{version}-{release}",
        "{name}-{epoch}:{version}-{release}",
    ]
    .iter()
    .map(|f| compile(f))
    .collect()
});
static NVR_NO_EPOCH: LazyLock<Vec<Regex>> =
    LazyLock::new(|| vec![compile("{name}-{version}-{release}")]);

fn first_match<'a>(
    text: &'a str,
    with: &[Regex],
    without: &[Regex],
) -> Option<regex::Captures<'a>> {
    with.iter()
        .chain(without.iter())
        .find_map(|re| re.captures(text))
}

/// PDC's `parse_nvra`: `Err("Invalid NVRA: <text>")` when nothing matches.
pub fn parse_nvra(text: &str) -> Result<Nevra, String> {
    let c = first_match(text, &NVRA_WITH_EPOCH, &NVRA_NO_EPOCH)
        .ok_or_else(|| format!("Invalid NVRA: {text}"))?;
    Ok(Nevra {
        name: c["name"].to_string(),
        epoch: c.name("epoch").and_then(|e| e.as_str().parse().ok()),
        version: c["version"].to_string(),
        release: c["release"].to_string(),
        arch: c["arch"].to_string(),
    })
}

/// PDC's `parse_nvr`: `Err("Invalid NVR: <text>")` when nothing matches.
pub fn parse_nvr(text: &str) -> Result<Nvr, String> {
    let c = first_match(text, &NVR_WITH_EPOCH, &NVR_NO_EPOCH)
        .ok_or_else(|| format!("Invalid NVR: {text}"))?;
    Ok(Nvr {
        name: c["name"].to_string(),
        epoch: c.name("epoch").and_then(|e| e.as_str().parse().ok()),
        version: c["version"].to_string(),
        release: c["release"].to_string(),
    })
}

/// rpm's `rpmvercmp` for one version or release string.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !(c.is_ascii_alphanumeric() || c == b'~' || c == b'^');
    loop {
        while !a.is_empty() && sep(a[0]) {
            a = &a[1..];
        }
        while !b.is_empty() && sep(b[0]) {
            b = &b[1..];
        }
        // Tilde sorts before everything, even the end.
        match (a.first() == Some(&b'~'), b.first() == Some(&b'~')) {
            (true, true) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        // Caret sorts after the end but before anything else.
        match (a.first() == Some(&b'^'), b.first() == Some(&b'^')) {
            (true, true) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (true, false) => {
                return if b.is_empty() {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (false, true) => {
                return if a.is_empty() {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            _ => {}
        }
        if a.is_empty() || b.is_empty() {
            break;
        }
        let numeric = a[0].is_ascii_digit();
        let take = |s: &[u8]| {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (na, nb) = (take(a), take(b));
        if nb == 0 {
            // Segments of different kinds: the numeric one is newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (&a[..na], &b[..nb]);
        let ord = if numeric {
            let ta = trim_zeros(sa);
            let tb = trim_zeros(sb);
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        a = &a[na..];
        b = &b[nb..];
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| **c == b'0').count();
    &s[n..]
}

/// Compares (epoch, version, release) as rpm does.
pub fn evr_cmp(a: (u32, &str, &str), b: (u32, &str, &str)) -> Ordering {
    a.0.cmp(&b.0)
        .then_with(|| vercmp(a.1, b.1))
        .then_with(|| vercmp(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nevra_forms() {
        let n = parse_nvra("bash-0:4.2.46-30.el7.x86_64").unwrap();
        assert_eq!(
            (
                n.name.as_str(),
                n.epoch,
                n.version.as_str(),
                n.release.as_str(),
                n.arch.as_str()
            ),
            ("bash", Some(0), "4.2.46", "30.el7", "x86_64")
        );
        let n = parse_nvra("python-dateutil-1:2.4.2-1.fc24.noarch.rpm").unwrap();
        assert_eq!(
            (n.name.as_str(), n.epoch, n.release.as_str()),
            ("python-dateutil", Some(1), "1.fc24")
        );
        let n = parse_nvra("Packages/b/bash-4.2-1.src.rpm").unwrap();
        assert_eq!(
            (n.name.as_str(), n.epoch, n.arch.as_str()),
            ("bash", None, "src")
        );
        assert_eq!(parse_nvra("garbage").unwrap_err(), "Invalid NVRA: garbage");
        assert_eq!(n.text(), "bash-0:4.2-1.src");
    }

    #[test]
    fn nvr_forms() {
        let n = parse_nvr("does-not-exist").unwrap();
        assert_eq!(
            (n.name.as_str(), n.version.as_str(), n.release.as_str()),
            ("does", "not", "exist")
        );
        assert_eq!(parse_nvr("invalid").unwrap_err(), "Invalid NVR: invalid");
        let n = parse_nvr("1:bash-4.2-1").unwrap();
        assert_eq!(n.epoch, Some(1));
    }

    #[test]
    fn rpmvercmp() {
        use Ordering::*;
        for (a, b, o) in [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0", Greater),
            ("2.0", "2_0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0.1", Less),
            ("01", "1", Equal),
            ("a", "1", Less),
            ("1", "a", Greater),
        ] {
            assert_eq!(vercmp(a, b), o, "{a} vs {b}");
        }
        assert_eq!(evr_cmp((1, "1.0", "1"), (0, "9.0", "9")), Greater);
    }
}
