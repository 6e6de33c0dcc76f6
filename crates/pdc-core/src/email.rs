//! Django 1.11's `EmailValidator`, the check behind "Enter a valid email
//! address." (the same rules for DRF's `EmailField` and the model's
//! `full_clean()`).

use std::sync::LazyLock;

use regex::Regex;

/// The message of both DRF and Django.
pub const INVALID: &str = "Enter a valid email address.";

/// Dot-atom or quoted string (Python's IGNORECASE only folds ASCII).
static USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*",
        r#"|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")\z"#,
    ))
    .expect("user regex")
});

/// Host labels of at most 63 characters and a top-level label of 2 to 63
/// (that it does not end with `-` is checked separately).
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}\z")
        .expect("domain regex")
});

static LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([A-Fa-f0-9:.]+)\]\z").expect("literal regex"));

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]?[0-9])){3}\z")
        .expect("ipv4 regex")
});

/// Whether `value` is an address Django accepts.
pub fn is_valid(value: &str) -> bool {
    let Some((user, domain)) = value.rsplit_once('@') else {
        return false;
    };
    if !USER.is_match(user) {
        return false;
    }
    if domain == "localhost" || valid_domain(domain) {
        return true;
    }
    // A possible internationalised domain, tried in its ASCII form.
    !domain.is_ascii()
        && idna::domain_to_ascii(domain)
            .ok()
            .is_some_and(|ascii| valid_domain(&ascii))
}

fn valid_domain(domain: &str) -> bool {
    if DOMAIN.is_match(domain) && !domain.ends_with('-') {
        return true;
    }
    LITERAL
        .captures(domain)
        .and_then(|c| c.get(1))
        .is_some_and(|ip| IPV4.is_match(ip.as_str()) || valid_ipv6(ip.as_str()))
}

/// Django's `is_valid_ipv6_address` (lenient about leading zeros).
fn valid_ipv6(ip: &str) -> bool {
    let colons = ip.matches(':').count();
    let shortened = ip.matches("::").count();
    if !ip
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        || colons == 0
        || shortened > 1
        || ip.contains(":::")
        || (ip.starts_with(':') && !ip.starts_with("::"))
        || (ip.ends_with(':') && !ip.ends_with("::"))
        || colons > 7
        || (shortened == 0 && colons != 7 && ip.matches('.').count() != 3)
    {
        return false;
    }
    let hextets = explode(ip);
    let last = hextets.last().cloned().unwrap_or_default();
    hextets.iter().all(|h| {
        if h.matches('.').count() == 3 {
            *h == last && IPV4.is_match(h)
        } else {
            u64::from_str_radix(h, 16).is_ok_and(|v| v <= 0xFFFF)
        }
    })
}

/// The hextets of an address with `::` expanded and each padded to four digits.
fn explode(ip: &str) -> Vec<String> {
    let fill_to: usize = if ip.rsplit(':').next().is_some_and(|l| l.contains('.')) {
        7
    } else {
        8
    };
    let parts: Vec<&str> = match ip.split_once("::") {
        Some((head, tail)) => {
            let (head, tail): (Vec<&str>, Vec<&str>) =
                (head.split(':').collect(), tail.split(':').collect());
            let zeros = fill_to.saturating_sub(head.len() + tail.len());
            head.into_iter()
                .chain(std::iter::repeat_n("0000", zeros))
                .chain(tail)
                .collect()
        }
        None => ip.split(':').collect(),
    };
    parts
        .into_iter()
        .map(|h| format!("{h:0>4}").to_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_as_django_does() {
        for ok in [
            "a@b.cz",
            "person1@test.com",
            "a@localhost",
            "a@[127.0.0.1]",
            "a@[::1]",
            "a@[2001:db8::ff00:42:8329]",
            "a@[::ffff:1.2.3.4]",
            "a@[00001::]",
            "first.last+tag@sub.example.org",
            "\"quoted@x\"@example.com",
            "a@b\u{fc}cher.de",
            "a@xn--bcher-kva.de",
            "A@B.CZ",
            "a@stra\u{df}e.de",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
    }

    #[test]
    fn rejected_as_django_does() {
        for bad in [
            "",
            "bad",
            "a@b.c",
            "a@b.c-",
            "a@-b.cz",
            "\u{c4}@b.cz",
            "a..b@c.cz",
            ".a@c.cz",
            "a@",
            "@b.cz",
            "a@[1.2.3.256]",
            "a@[1:2]",
            "a@[1::2::3]",
            "a@[12345::]",
            "a b@c.cz",
            "a@b..cz",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
