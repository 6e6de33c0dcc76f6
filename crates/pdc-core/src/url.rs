//! Django 1.11's `URLValidator` (what DRF's `URLField` and Django's model
//! `URLField` accept): http, https, ftp and ftps URLs with a host name, an
//! IPv4 or IPv6 address, or `localhost`.

use std::sync::LazyLock;

use regex::Regex;

/// Django's pattern; its look-arounds (labels may not start or end with a
/// dash) are spelled out, and `\s` / `\d` are ASCII as in Python 2.
static URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    let ul = "\u{00a1}-\u{ffff}";
    let octet = "(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]?[0-9])";
    let ipv4 = format!(r"{octet}(?:\.{octet}){{3}}");
    let ipv6 = r"\[[0-9a-f:.]+\]";
    let label = format!("[a-z{ul}0-9](?:[a-z{ul}0-9-]{{0,61}}[a-z{ul}0-9])?");
    let tld = format!(r"\.(?:[a-z{ul}][a-z{ul}-]{{0,61}}[a-z{ul}]|xn--[a-z0-9]{{1,59}})\.?");
    let host = format!(r"(?:{label}(?:\.{label})*{tld}|localhost)");
    let nonspace = r"[^ \t\n\r\x0b\x0c]";
    Regex::new(&format!(
        r"(?i)^[a-z0-9.+-]*://(?:{nonspace}+(?::{nonspace}*)?@)?(?:{ipv4}|{ipv6}|{host})(?::[0-9]{{2,5}})?(?:[/?#]{nonspace}*)?\z"
    ))
    .expect("URL regex")
});

const SCHEMES: [&str; 4] = ["http", "https", "ftp", "ftps"];

/// The network location of a URL (what Python's `urlsplit` calls netloc).
fn netloc(url: &str) -> &str {
    let rest = url.split_once("://").map_or("", |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or("")
}

/// Whether Django's `URLValidator()` accepts `value`.
pub fn is_valid(value: &str) -> bool {
    let scheme = value.split("://").next().unwrap_or("").to_lowercase();
    if !SCHEMES.contains(&scheme.as_str()) || !URL_RE.is_match(value) {
        return false;
    }
    let host = netloc(value);
    if let Some(inner) = host.strip_prefix('[') {
        let ip = inner.rsplit_once(']').map_or("", |(ip, _)| ip);
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
    }
    host.chars().count() <= 253
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn django_examples() {
        for ok in [
            "http://python.org",
            "http://svn.python.org/moduleX",
            "https://github.com/python/cpython",
            "ftp://z.org/",
            "http://localhost:8000/x?y#z",
            "http://user:pass@example.com",
            "http://192.168.0.1/",
            "http://[::1]:8080/",
            "http://xn--80ak6aa92e.com/",
            "HTTP://EXAMPLE.COM",
            "http://example.com.",
            "http://bücher.de/",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "notaurl",
            "http://foo",
            "123",
            "http://-a.com",
            "http://a-.com",
            "http://a.c",
            "http://a.com-",
            "gopher://a.com",
            "http://[::zz]/",
            "http://a b.com",
            "http://256.1.1.1",
            "http://example.com/\n",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
