//! `fas.user.create`: a new account in the Fedora Account System (FAS2 on
//! fedmsg, Noggin on fedora-messaging) becomes a person in
//! `contacts/people` with the address `<username>@<email domain>`.
//!
//! Bodies: FAS2 `{"user": "<name>", "agent": ...}`, very old FAS
//! `{"user": {"username": "<name>"}, ...}`, Noggin `{"msg": {"user": ...}}`.
//! An existing person with that username is left as it is (pdc-updater
//! failed on PDC's uniqueness error instead).

use futures::FutureExt;
use futures::future::BoxFuture;
use pdc_db::Write;
use pdc_db::resources::contacts::{People, person_id_by_username};
use serde_json::{Map, Value, json};

use crate::handler::{Handler, HandlerError, HandlerResult, Outcome};
use crate::message::Message;

pub struct NewPerson {
    /// Domain of the address given to new people (`fedoraproject.org`).
    pub email_domain: String,
}

/// The new account's username, from any of the known body shapes.
pub fn username(body: &Value) -> Option<&str> {
    let body = match body.get("msg") {
        Some(inner @ Value::Object(_)) => inner,
        _ => body,
    };
    match body.get("user")? {
        Value::String(s) => Some(s.as_str()),
        Value::Object(u) => u.get("username")?.as_str(),
        _ => None,
    }
    .map(str::trim)
    .filter(|s| !s.is_empty())
}

impl NewPerson {
    async fn apply(&self, msg: &Message, w: &mut Write<'_>) -> HandlerResult {
        let Some(name) = username(&msg.body) else {
            return Err(HandlerError::Permanent(
                "no username in the message body (`user`, `user.username` or `msg.user`)".into(),
            ));
        };
        if person_id_by_username(w.conn, name).await?.is_some() {
            return Ok(Outcome::Applied(Some(format!("person {name} exists"))));
        }
        let mut body = Map::new();
        body.insert("username".into(), json!(name));
        body.insert(
            "email".into(),
            json!(format!("{name}@{}", self.email_domain)),
        );
        let (id, _) = super::create::<People<false>>(w, &body).await?;
        Ok(Outcome::Applied(Some(format!(
            "person {name} created ({id})"
        ))))
    }
}

impl Handler for NewPerson {
    fn name(&self) -> &'static str {
        "fas.user.create"
    }
    fn topics(&self) -> &'static [&'static str] {
        &["fas.user.create"]
    }
    fn handle<'a, 'w: 'a>(
        &'a self,
        msg: &'a Message,
        w: &'a mut Write<'w>,
    ) -> BoxFuture<'a, HandlerResult> {
        self.apply(msg, w).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::username;
    use serde_json::json;

    #[test]
    fn every_body_shape() {
        assert_eq!(username(&json!({"user": "a", "agent": "a"})), Some("a"));
        assert_eq!(username(&json!({"user": {"username": "b"}})), Some("b"));
        assert_eq!(
            username(&json!({"msg": {"user": "c", "agent": "c"}})),
            Some("c")
        );
        assert_eq!(
            username(&json!({"msg": {"user": {"username": "d"}}})),
            Some("d")
        );
        assert_eq!(username(&json!({"user": ""})), None);
        assert_eq!(username(&json!({"agent": "x"})), None);
        assert_eq!(username(&json!([1])), None);
    }
}
