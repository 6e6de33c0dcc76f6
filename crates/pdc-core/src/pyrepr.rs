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

/// Python 2 `repr()` of a float: the shortest digits that read back the
/// same, in exponent form below 1e-4 or from 1e16 on.
pub fn float_repr(f: f64) -> String {
    python_float(f, None)
}

/// Python 2 `str()` of a float: twelve significant digits (`%.12g`).
pub fn float_str(f: f64) -> String {
    python_float(f, Some(12))
}

fn python_float(f: f64, precision: Option<usize>) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = match precision {
        Some(p) => format!("{:.*e}", p - 1, f),
        None => format!("{f:e}"),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.trim_end_matches('0') {
        "" => "0",
        d => d,
    };
    // CPython switches to the exponent at 16 digits for repr and, as it
    // adds `.0` to integral values, one digit early for str.
    let limit = precision.map_or(16, |p| p - 1) as i32;
    let body = if exp < -4 || exp >= limit {
        let (first, rest) = digits.split_at(1);
        let sign = if exp < 0 { '-' } else { '+' };
        match rest {
            "" => format!("{first}e{sign}{:02}", exp.abs()),
            _ => format!("{first}.{rest}e{sign}{:02}", exp.abs()),
        }
    } else if exp < 0 {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let point = exp as usize + 1;
        if digits.len() > point {
            format!("{}.{}", &digits[..point], &digits[point..])
        } else {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        }
    };
    if mantissa.starts_with('-') {
        format!("-{body}")
    } else {
        body
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

    #[test]
    fn floats() {
        for (f, repr, str) in [
            (0.0, "0.0", "0.0"),
            (-0.0, "-0.0", "-0.0"),
            (1.5, "1.5", "1.5"),
            (100.0, "100.0", "100.0"),
            (1e15, "1000000000000000.0", "1e+15"),
            (1e16, "1e+16", "1e+16"),
            (0.0001, "0.0001", "0.0001"),
            (0.00001, "1e-05", "1e-05"),
            (1.5e-7, "1.5e-07", "1.5e-07"),
            (0.30000000000000004, "0.30000000000000004", "0.3"),
            (123456789012.0, "123456789012.0", "1.23456789012e+11"),
            (12345678901.0, "12345678901.0", "12345678901.0"),
            (-2.5e300, "-2.5e+300", "-2.5e+300"),
        ] {
            assert_eq!(
                (float_repr(f), float_str(f)),
                (repr.to_string(), str.to_string()),
                "{f}"
            );
        }
    }
}
