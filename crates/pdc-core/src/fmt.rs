//! Value formats of PDC's JSON output.

use chrono::{DateTime, Utc};

/// DRF datetime: ISO 8601 in UTC with `Z`, microseconds only when non-zero.
pub fn datetime(t: &DateTime<Utc>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

/// Python 2 `str(float)`: 12 significant digits, `.0` kept on whole numbers.
pub fn py_float(x: f64) -> String {
    if x == 0.0 {
        return "0.0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-5..12).contains(&exp) {
        let s = format!("{:.11e}", x);
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = mant.trim_end_matches('0').trim_end_matches('.');
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (11 - exp).max(0) as usize;
    let s = format!("{:.*}", decimals, x);
    let s = if s.contains('.') {
        s.trim_end_matches('0').to_string()
    } else {
        s
    };
    if s.ends_with('.') {
        format!("{s}0")
    } else if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// Python's `format % value` for a deployment format string with one `%s`
/// (`%%` is a literal `%`).
pub fn percent_s(format: &str, value: &str) -> String {
    let mut out = String::with_capacity(format.len() + value.len());
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push_str(value),
            Some(other) => {
                out.push('%');
                if other != '%' {
                    out.push(other);
                }
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent() {
        assert_eq!(
            percent_s("http://pkgs.example.com/cgit/rpms/%s", "python"),
            "http://pkgs.example.com/cgit/rpms/python"
        );
        assert_eq!(percent_s("?h=%s&x=100%%", "f25"), "?h=f25&x=100%");
    }

    #[test]
    fn floats() {
        assert_eq!(py_float(27.875), "27.875");
        assert_eq!(py_float(0.005698), "0.005698");
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(123.4567891234567), "123.456789123");
    }

    #[test]
    fn datetimes() {
        let t = DateTime::parse_from_rfc3339("2015-02-03T05:50:49.387Z")
            .unwrap()
            .to_utc();
        assert_eq!(datetime(&t), "2015-02-03T05:50:49.387000Z");
        let t = DateTime::parse_from_rfc3339("2015-02-03T05:50:49Z")
            .unwrap()
            .to_utc();
        assert_eq!(datetime(&t), "2015-02-03T05:50:49Z");
    }
}
