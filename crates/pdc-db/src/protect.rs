//! Django's answer to deleting an object that a `PROTECT` foreign key still
//! references: 400 with the `ProtectedError` text and the referencing
//! objects as a QuerySet repr.

use pdc_core::{Error, pyrepr};

/// Rows to fetch for the repr: Django shows 20 and marks more with a 21st item.
pub const REPR_ROWS: i64 = 21;

/// The 400 for deleting a `model` row referenced through `relation`
/// (`'VariantCPE.cpe'` style, without quotes) by `objects` (each already
/// rendered as `<Model: text>`, in the referencing model's order, at most
/// [`REPR_ROWS`]).
pub fn protected(model: &str, relation: &str, objects: &[String]) -> Error {
    let shown = (REPR_ROWS - 1) as usize;
    let mut items: Vec<String> = objects.iter().take(shown).cloned().collect();
    if objects.len() > shown {
        items.push(pyrepr::str_repr("...(remaining elements truncated)..."));
    }
    Error::bad_request(format!(
        "Cannot delete some instances of model '{model}' because they are referenced through \
         a protected foreign key: '{relation}' <QuerySet [{}]>",
        items.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_after_twenty() {
        let objects: Vec<String> = (0..21).map(|i| format!("<X: {i}>")).collect();
        let Error::Response { body, .. } = protected("M", "X.m", &objects) else {
            panic!("not a response");
        };
        let detail = body["detail"].as_str().unwrap_or_default().to_string();
        assert!(detail.starts_with(
            "Cannot delete some instances of model 'M' because they are referenced through \
             a protected foreign key: 'X.m' <QuerySet [<X: 0>, "
        ));
        assert!(detail.ends_with("<X: 19>, '...(remaining elements truncated)...']>"));
    }
}
