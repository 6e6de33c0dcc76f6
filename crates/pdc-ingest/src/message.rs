//! One normalised bus message, whatever transport or file it came from.
//!
//! Accepted shapes (see `shared/ingest/messages.md` sections 1.1 to 1.3):
//! * a fedmsg envelope (`topic`, `msg`, `msg_id`, `timestamp`, ...), also as
//!   datagrepper's `/raw` and `/id` serve it (datanommer columns added);
//! * fedora-messaging's serialized form (`topic`, `headers`, `id`, `body`),
//!   also as datagrepper's `/v2/*` serves it;
//! * an AMQP delivery (routing key, `message_id` property, headers, body);
//! * a datagrepper page (`raw_messages: [...]`) holding either of the first two.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A bus message as the ingester handles it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Dedup key: the id without fedmsg's `YYYY-` prefix, lowercased, so a
    /// fedmsg copy and a fedora-messaging copy of one event are one message.
    pub id: String,
    /// The id exactly as the message carried it (named in changeset comments).
    pub raw_id: String,
    /// Full topic / routing key, e.g. `org.fedoraproject.prod.fas.user.create`.
    pub topic: String,
    /// Publish time, when the message says.
    pub sent_at: Option<DateTime<Utc>>,
    /// Transport headers (AMQP headers; datagrepper's `headers`), possibly empty.
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// The application payload: fedmsg's `msg`, fedora-messaging's `body`.
    pub body: Value,
}

/// Why a document is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// `YYYY-<uuid>` and `<uuid>` name the same message; other ids are kept
/// (trimmed, lowercased when they are UUID-like).
pub fn normalise_id(raw: &str) -> String {
    let raw = raw.trim();
    let is_uuid = |s: &str| uuid::Uuid::try_parse(s).is_ok();
    if let Some((year, rest)) = raw.split_once('-')
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && is_uuid(rest)
    {
        return rest.to_ascii_lowercase();
    }
    if is_uuid(raw) {
        return raw.to_ascii_lowercase();
    }
    raw.to_string()
}

fn string_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, ParseError> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => err(format!("`{key}` is not a non-empty string")),
        None => err(format!("`{key}` is missing")),
    }
}

/// Unix seconds (int, or float as datagrepper serves them).
fn from_unix(v: &Value) -> Option<DateTime<Utc>> {
    let secs = v.as_f64()?;
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    Utc.timestamp_opt(whole as i64, nanos).single()
}

/// fedora-messaging's `sent-at` header (ISO 8601 with offset).
fn from_iso(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn headers_of(obj: &Map<String, Value>) -> Map<String, Value> {
    match obj.get("headers") {
        Some(Value::Object(h)) => h.clone(),
        _ => Map::new(),
    }
}

impl Message {
    /// Builds a message; `raw_id` is normalised into `id`.
    pub fn new(
        raw_id: &str,
        topic: &str,
        sent_at: Option<DateTime<Utc>>,
        headers: Map<String, Value>,
        body: Value,
    ) -> Message {
        Message {
            id: normalise_id(raw_id),
            raw_id: raw_id.trim().to_string(),
            topic: topic.to_string(),
            sent_at,
            headers,
            body,
        }
    }

    /// A fedmsg envelope (also datagrepper's v1 record).
    pub fn from_fedmsg(obj: &Map<String, Value>) -> Result<Message, ParseError> {
        let id = string_field(obj, "msg_id")?;
        let topic = string_field(obj, "topic")?;
        let Some(body) = obj.get("msg") else {
            return err("`msg` is missing");
        };
        let sent_at = obj.get("timestamp").and_then(from_unix);
        Ok(Message::new(
            id,
            topic,
            sent_at,
            headers_of(obj),
            body.clone(),
        ))
    }

    /// fedora-messaging's serialized form (also datagrepper's v2 record).
    pub fn from_fedora_messaging(obj: &Map<String, Value>) -> Result<Message, ParseError> {
        let id = string_field(obj, "id")?;
        let topic = string_field(obj, "topic")?;
        let Some(body) = obj.get("body") else {
            return err("`body` is missing");
        };
        let headers = headers_of(obj);
        let sent_at = headers.get("sent-at").and_then(from_iso);
        Ok(Message::new(id, topic, sent_at, headers, body.clone()))
    }

    /// An AMQP delivery: routing key, `message_id` property, headers (as
    /// JSON) and the raw body, which must be a JSON document.
    pub fn from_amqp(
        message_id: Option<&str>,
        routing_key: &str,
        headers: Map<String, Value>,
        body: &[u8],
    ) -> Result<Message, ParseError> {
        let Some(id) = message_id.filter(|s| !s.trim().is_empty()) else {
            return err("the delivery has no message_id");
        };
        let body: Value = serde_json::from_slice(body)
            .map_err(|e| ParseError(format!("the body is not JSON: {e}")))?;
        let sent_at = headers.get("sent-at").and_then(from_iso);
        Ok(Message::new(id, routing_key, sent_at, headers, body))
    }

    /// One message in any accepted single-message shape.
    pub fn from_value(v: &Value) -> Result<Message, ParseError> {
        let Value::Object(obj) = v else {
            return err("a message must be a JSON object");
        };
        if obj.contains_key("msg_id") || obj.contains_key("msg") {
            Message::from_fedmsg(obj)
        } else if obj.contains_key("body") {
            Message::from_fedora_messaging(obj)
        } else {
            err("neither a fedmsg envelope (msg_id, msg) nor a fedora-messaging message (id, body)")
        }
    }

    /// The messages of one JSON document: a message, a datagrepper page or
    /// a JSON array of messages.
    pub fn all_from_value(v: &Value) -> Result<Vec<Message>, ParseError> {
        match v {
            Value::Object(obj) if obj.contains_key("raw_messages") => match &obj["raw_messages"] {
                Value::Array(items) => items.iter().map(Message::from_value).collect(),
                _ => err("`raw_messages` is not a list"),
            },
            Value::Array(items) => items.iter().map(Message::from_value).collect(),
            _ => Message::from_value(v).map(|m| vec![m]),
        }
    }

    /// The topic without the first of `prefixes` it starts with (followed
    /// by a dot); `None` when it has none of them.
    pub fn suffix<'a>(&'a self, prefixes: &[String]) -> Option<&'a str> {
        prefixes.iter().find_map(|p| {
            self.topic
                .strip_prefix(p.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
        })
    }
}

/// Reads every message of a text: one JSON document (message, datagrepper
/// page or array), or several documents one after the other (JSON lines,
/// as `fedora-messaging publish` reads them). Each item is the message or
/// the error of the document it came from.
pub fn parse_stream(text: &str) -> Vec<Result<Message, ParseError>> {
    let mut out = Vec::new();
    for doc in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match doc {
            Ok(v) => match Message::all_from_value(&v) {
                Ok(ms) => out.extend(ms.into_iter().map(Ok)),
                Err(e) => out.push(Err(e)),
            },
            Err(e) => {
                out.push(Err(ParseError(format!("not JSON: {e}"))));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(rel: &str) -> String {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/messages")
            .join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn one(rel: &str) -> Message {
        let mut all = parse_stream(&fixture(rel));
        assert_eq!(all.len(), 1, "{rel}");
        all.remove(0).expect(rel)
    }

    const FAS_ID: &str = "b456fe4e-6dff-431a-9116-280064fe6087";
    const FAS_TOPIC: &str = "org.fedoraproject.prod.fas.user.create";

    #[test]
    fn ids_with_and_without_year_are_one_key() {
        assert_eq!(
            normalise_id("2015-B456FE4E-6dff-431a-9116-280064fe6087"),
            FAS_ID
        );
        assert_eq!(normalise_id(FAS_ID), FAS_ID);
        assert_eq!(normalise_id(" ID:umb-1.2 "), "ID:umb-1.2");
        assert_eq!(normalise_id("2015-not-a-uuid"), "2015-not-a-uuid");
    }

    #[test]
    fn fedmsg_envelope() {
        let m = one("fedmsg/fas.user.create.json");
        assert_eq!(m.id, FAS_ID);
        assert_eq!(m.raw_id, format!("2015-{FAS_ID}"));
        assert_eq!(m.topic, FAS_TOPIC);
        assert_eq!(m.sent_at.unwrap().to_rfc3339(), "2015-11-30T14:31:11+00:00");
        assert_eq!(m.body["user"], "alvicler");
        assert!(m.headers.is_empty());
        assert_eq!(one("fedmsg/fas.user.create-unsigned.json").id, FAS_ID);
    }

    #[test]
    fn fedora_messaging_form() {
        let m = one("fedora-messaging/fas.user.create.json");
        assert_eq!(m.id, FAS_ID);
        assert_eq!(m.raw_id, FAS_ID);
        assert_eq!(m.topic, FAS_TOPIC);
        assert_eq!(m.sent_at.unwrap().to_rfc3339(), "2024-05-01T14:31:11+00:00");
        assert_eq!(m.body["msg"]["user"], "alvicler");
        assert_eq!(
            m.headers["fedora_messaging_schema"],
            "noggin.user.create.v1"
        );
    }

    #[test]
    fn datagrepper_shapes() {
        let v1 = one("datagrepper/v1-id.json");
        assert_eq!(v1.id, FAS_ID);
        assert_eq!(v1.sent_at.unwrap().timestamp(), 1448893871);
        for page in [
            "datagrepper/v1-raw-page.json",
            "datagrepper/v2-search-page.json",
        ] {
            let all: Vec<Message> = parse_stream(&fixture(page))
                .into_iter()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(all.len(), 2, "{page}");
            assert_eq!(all[0].id, FAS_ID);
            assert_eq!(all[0].topic, FAS_TOPIC);
            assert_eq!(all[0].body["user"], "alvicler");
            assert_eq!(all[1].topic, "org.fedoraproject.prod.buildsys.tag");
            assert_eq!(all[1].id, "c37d4607-e8de-4229-990a-981c40a9bb93");
        }
    }

    #[test]
    fn every_fixture_parses() {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/messages");
        for sub in ["fedmsg", "fedora-messaging", "datagrepper"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let p = e.unwrap().path();
                if p.file_name().unwrap().to_string_lossy().starts_with('_') {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                for m in parse_stream(&text) {
                    let m = m.unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                    assert!(m.topic.starts_with("org.fedoraproject."), "{}", p.display());
                    assert!(uuid::Uuid::try_parse(&m.id).is_ok(), "{}", p.display());
                }
            }
        }
    }

    #[test]
    fn json_lines_and_errors() {
        let fm = fixture("fedora-messaging/fas.user.create.json");
        let line: Value = serde_json::from_str(&fm).unwrap();
        let text = format!("{line}\n{line}\n{{\"topic\": \"x\"}}\n");
        let all = parse_stream(&text);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], all[1]);
        assert!(all[2].is_err());
        assert!(parse_stream("{not json").pop().unwrap().is_err());
    }

    #[test]
    fn amqp_delivery() {
        let m = Message::from_amqp(
            Some(FAS_ID),
            FAS_TOPIC,
            Map::new(),
            br#"{"msg": {"user": "u", "agent": "u"}}"#,
        )
        .unwrap();
        assert_eq!(m.id, FAS_ID);
        assert!(Message::from_amqp(None, FAS_TOPIC, Map::new(), b"{}").is_err());
        assert!(Message::from_amqp(Some("x"), FAS_TOPIC, Map::new(), b"nope").is_err());
    }

    #[test]
    fn suffix_strips_a_known_prefix_only() {
        let m = one("fedmsg/fas.user.create.json");
        let prefixes = vec![
            "org.fedoraproject.stg".into(),
            "org.fedoraproject.prod".into(),
        ];
        assert_eq!(m.suffix(&prefixes), Some("fas.user.create"));
        assert_eq!(
            m.suffix(&["org.fedoraproject".into()]),
            Some("prod.fas.user.create")
        );
        assert_eq!(m.suffix(&["org.fedoraproject.pro".into()]), None);
    }
}
