//! One error type for the whole server. Every client-visible failure is a
//! status code plus the exact JSON body PDC would send; anything else is an
//! internal error that is logged and answered with PDC's generic text.

use serde_json::{Map, Value, json};

#[derive(Debug)]
pub enum Error {
    /// A PDC-shaped answer: status code and JSON body sent as is.
    Response {
        status: u16,
        body: Value,
        /// Value of the `pdc-warning` header, if any.
        warning: Option<String>,
    },
    /// A server-side failure; the message is logged, never sent.
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn status(status: u16, body: Value) -> Self {
        Error::Response {
            status,
            body,
            warning: None,
        }
    }

    /// `{"detail": "<msg>"}` with the given status.
    pub fn detail(status: u16, msg: impl Into<String>) -> Self {
        Self::status(status, json!({ "detail": msg.into() }))
    }

    /// 400 `{"detail": "<msg>"}` (a string detail).
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::detail(400, msg)
    }

    /// 400 `{"detail": ["<msg>", ...]}` (object-level / model validation errors).
    pub fn detail_list<I, S>(msgs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list: Vec<Value> = msgs.into_iter().map(|m| Value::String(m.into())).collect();
        Self::status(400, json!({ "detail": list }))
    }

    /// 404 `{"detail": "Not found."}`.
    pub fn not_found() -> Self {
        Self::detail(404, "Not found.")
    }

    /// 404 raised by a failed model lookup inside a view (two spaces are PDC's).
    pub fn model_not_found(model: &str) -> Self {
        Self::detail(
            404,
            format!("Not found:  {model} matching query does not exist."),
        )
    }

    /// 400 with a field-error mapping `{"field": ["msg"]}`.
    pub fn fields(errors: FieldErrors) -> Self {
        Self::status(400, Value::Object(errors.0))
    }

    /// The empty-PATCH answer, with its `pdc-warning` header.
    pub fn empty_patch(with_header: bool) -> Self {
        const MSG: &str = "Partial update with no changes does not make much sense.";
        Error::Response {
            status: 400,
            body: json!({ "detail": MSG }),
            warning: with_header.then(|| MSG.to_string()),
        }
    }

    /// Django's answer to deleting an object that PROTECT-ed rows still
    /// reference: `model` is the deleted model, `via` the protecting field
    /// (`Class.field`), `objects` the `str()` of the referencing rows (a
    /// QuerySet repr shows at most 20 of them).
    pub fn protected(model: &str, via: &str, objects: &[String]) -> Self {
        const REPR_SIZE: usize = 20;
        let class = via.split('.').next().unwrap_or(via);
        let mut items: Vec<String> = objects
            .iter()
            .take(REPR_SIZE)
            .map(|o| format!("<{class}: {o}>"))
            .collect();
        if objects.len() > REPR_SIZE {
            items.push(crate::pyrepr::str_repr(
                "...(remaining elements truncated)...",
            ));
        }
        Self::bad_request(format!(
            "Cannot delete some instances of model '{model}' because they are referenced \
             through a protected foreign key: '{via}' <QuerySet [{}]>",
            items.join(", ")
        ))
    }

    pub fn internal(msg: impl std::fmt::Display) -> Self {
        Error::Internal(msg.to_string())
    }

    pub fn status_code(&self) -> u16 {
        match self {
            Error::Response { status, .. } => *status,
            Error::Internal(_) => 500,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Response { status, body, .. } => write!(f, "{status} {body}"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Field errors in the order the fields are declared (DRF's dict order).
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(pub Map<String, Value>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        let entry = self
            .0
            .entry(field.to_string())
            .or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(list) = entry {
            list.push(Value::String(msg.into()));
        }
    }

    /// Sets a non-list error value (PDC has a few, e.g. `{"cpe": {"detail": ...}}`).
    pub fn set(&mut self, field: &str, value: Value) {
        self.0.insert(field.to_string(), value);
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok when empty, else the 400 error. PDC's mapping is a Python 2 dict
    /// filled in field order (`order`) and then copied once more by DRF, so
    /// its keys come out in that copy's iteration order, reproduced here.
    pub fn into_result(self, order: &[&str]) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(Error::fields(self.py2_ordered(order)))
    }

    /// The mapping re-keyed in Python 2 dict order (see `into_result`).
    pub fn py2_ordered(self, order: &[&str]) -> FieldErrors {
        let mut rest = self.0;
        let mut entries: Vec<(String, Value)> = Vec::new();
        for name in order {
            if let Some(v) = rest.shift_remove(*name) {
                entries.push(((*name).to_string(), v));
            }
        }
        entries.extend(rest);
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        let ordered: Vec<String> = crate::pydict::order(&keys, 2)
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut by_key: Map<String, Value> = entries.into_iter().collect();
        let mut sorted = Map::new();
        for k in ordered {
            if let Some(v) = by_key.shift_remove(&k) {
                sorted.insert(k, v);
            }
        }
        FieldErrors(sorted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_in_pdc_order() {
        // Observed on PDC for a release POST with ten bad fields.
        let order = [
            "short",
            "version",
            "name",
            "base_product",
            "active",
            "product_version",
            "release_type",
            "integrated_with",
            "sigkey",
            "allow_buildroot_push",
            "allowed_debuginfo_services",
        ];
        let mut e = FieldErrors::new();
        for f in order.iter().filter(|f| **f != "name") {
            e.add(f, "x");
        }
        let keys: Vec<String> = e.py2_ordered(&order).0.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "short",
                "integrated_with",
                "product_version",
                "allowed_debuginfo_services",
                "sigkey",
                "version",
                "active",
                "allow_buildroot_push",
                "base_product",
                "release_type"
            ]
        );
    }
}
