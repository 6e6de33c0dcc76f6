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
