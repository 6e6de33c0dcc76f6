//! The ingester on a real RabbitMQ (`PDC_TEST_AMQP_URL`, default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`): fixture messages published to
//! `amq.topic` become people; duplicates and competing workers apply each
//! message once; poison messages are dead-lettered and retried. Each test
//! uses its own queue (deleted at the end) and database.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lapin::options::{BasicPublishOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use pdc_tests::{Server, Value, json, pdc_bin};

fn amqp_url() -> String {
    std::env::var("PDC_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

const TOPIC: &str = "org.fedoraproject.prod.fas.user.create";

struct Bus {
    conn: Connection,
    ch: Channel,
    queue: String,
    /// This test's topic prefix: tests run in parallel on one broker, and
    /// `amq.topic` copies a message to every queue bound to its key.
    prefix: String,
}

impl Bus {
    async fn new() -> Bus {
        let conn = Connection::connect(&amqp_url(), ConnectionProperties::default())
            .await
            .expect("RabbitMQ reachable");
        let ch = conn.create_channel().await.unwrap();
        Bus {
            conn,
            ch,
            queue: format!("pdc-test-{}", uuid::Uuid::new_v4().simple()),
            prefix: format!("test{}.prod", uuid::Uuid::new_v4().simple()),
        }
    }

    /// Environment for a pdc process consuming this test's queue.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PDC_INGEST_AMQP_URL", amqp_url()),
            ("PDC_INGEST_QUEUE", self.queue.clone()),
            ("PDC_INGEST_RETRY_DELAY_MS", "10".into()),
            ("PDC_INGEST_TOPIC_PREFIXES", self.prefix.clone()),
        ]
    }

    /// (ready messages, consumers) of the queue, once it exists.
    async fn queue_state(&self) -> Option<(u32, u32)> {
        // A passive declare of a missing queue closes the channel: use a fresh one.
        let ch = self.conn.create_channel().await.ok()?;
        let q = ch
            .queue_declare(
                self.queue.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .ok()?;
        let _ = ch.close(200, "".into()).await;
        Some((q.message_count(), q.consumer_count()))
    }

    async fn wait_consumers(&self, n: u32) {
        let start = Instant::now();
        while self.queue_state().await.map(|s| s.1) != Some(n) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no {n} consumers"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_drained(&self) {
        let start = Instant::now();
        while self.queue_state().await.map(|s| s.0) != Some(0) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "queue not drained"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Publishes as fedora-messaging does: persistent, JSON, message id and headers.
    async fn publish(&self, topic: &str, id: &str, headers: &Value, body: &[u8]) {
        let topic = topic.replacen("org.fedoraproject.prod", &self.prefix, 1);
        let mut table = FieldTable::default();
        for (k, v) in headers.as_object().unwrap() {
            let v = match v {
                Value::String(s) => AMQPValue::LongString(s.as_str().into()),
                Value::Bool(b) => AMQPValue::Boolean(*b),
                Value::Number(n) => AMQPValue::LongLongInt(n.as_i64().unwrap()),
                _ => continue,
            };
            table.insert(ShortString::from(k.as_str()), v);
        }
        let props = BasicProperties::default()
            .with_message_id(id.into())
            .with_content_type("application/json".into())
            .with_content_encoding("utf-8".into())
            .with_delivery_mode(2)
            .with_headers(table);
        self.ch
            .basic_publish(
                "amq.topic".into(),
                topic.as_str().into(),
                BasicPublishOptions::default(),
                body,
                props,
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Publishes a fedora-messaging fixture file (serialized form).
    async fn publish_fixture(&self, rel: &str, id: Option<&str>) {
        let path = format!(
            "{}/../../shared/fixtures/messages/{rel}",
            env!("CARGO_MANIFEST_DIR")
        );
        let m: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let id = id.unwrap_or(m["id"].as_str().unwrap());
        self.publish(
            m["topic"].as_str().unwrap(),
            id,
            &m["headers"],
            m["body"].to_string().as_bytes(),
        )
        .await;
    }

    async fn publish_user(&self, user: &str, id: &str) {
        let body = json!({"msg": {"agent": user, "user": user}});
        let headers = json!({"fedora_messaging_schema": "noggin.user.create.v1",
                             "sent-at": "2024-05-01T14:31:11+00:00"});
        self.publish(TOPIC, id, &headers, body.to_string().as_bytes())
            .await;
    }

    async fn delete_queue(&self) {
        let _ = self
            .ch
            .queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
}

/// A `pdc ingest` process, killed on drop.
struct Worker(Child);

impl Worker {
    fn start(s: &Server, env: &[(&str, String)]) -> Worker {
        let mut cmd = Command::new(pdc_bin());
        cmd.arg("ingest")
            .env("PDC_DATABASE_URL", &s.database_url)
            .env("PDC_LOG", "warn")
            .env("PDC_MAX_CONNECTIONS", "4")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Worker(cmd.spawn().expect("pdc ingest starts"))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn usernames(s: &Server) -> Vec<String> {
    let r = s.get("contacts/people/?page_size=-1").await.json();
    let mut v: Vec<String> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

async fn wait_people(s: &Server, n: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let v = usernames(s).await;
        if v.len() >= n {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "people: {v:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `pdc serve` with the ingester enabled takes the fixture message.
#[tokio::test]
async fn published_messages_become_people() {
    let bus = Bus::new().await;
    let mut env = bus.env();
    env.push(("PDC_INGEST_ENABLED", "true".into()));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = Server::start_with(&env_ref).await;
    bus.wait_consumers(1).await;
    bus.publish_fixture("fedora-messaging/fas.user.create.json", None)
        .await;
    assert_eq!(wait_people(&s, 1).await, ["alvicler"]);
    let p = s.get("contacts/people/").await.json();
    assert_eq!(p["results"][0]["email"], "alvicler@fedoraproject.org");
    let cs = s.get("changesets/?author=ingester").await.json();
    assert_eq!(cs["count"], 1);
    assert!(
        cs["results"][0]["comment"]
            .as_str()
            .unwrap()
            .contains("b456fe4e-6dff-431a-9116-280064fe6087")
    );
    // The fedmsg-era id of the same event, and the same delivery again,
    // change nothing: the inbox holds the message. Proven by deleting the
    // person first (a second application would create it again).
    let id = p["results"][0]["id"].as_i64().unwrap();
    assert_eq!(
        s.delete(&format!("contacts/people/{id}/")).await.status,
        204
    );
    bus.publish_fixture("fedora-messaging/fas.user.create.json", None)
        .await;
    bus.publish_fixture(
        "fedora-messaging/fas.user.create.json",
        Some("2015-b456fe4e-6dff-431a-9116-280064fe6087"),
    )
    .await;
    // A new message after them: once it is in, the two before were handled
    // (one consumer with in-order delivery).
    bus.publish_user("zed", &uuid::Uuid::new_v4().to_string())
        .await;
    assert_eq!(wait_people(&s, 1).await, ["zed"]);
    assert_eq!(s.sql_value("SELECT count(*) FROM ingest_inbox"), "2");
    assert_eq!(s.sql_value("SELECT count(*) FROM ingest_dead_letter"), "0");
    bus.wait_drained().await;
    drop(s);
    bus.delete_queue().await;
}

/// Two `pdc ingest` workers on one queue, every message published three
/// times: each applied exactly once.
#[tokio::test]
async fn competing_workers_apply_each_message_once() {
    let bus = Bus::new().await;
    let s = Server::start().await;
    let mut env = bus.env();
    env.push(("PDC_INGEST_PREFETCH", "5".into()));
    let _w1 = Worker::start(&s, &env);
    let _w2 = Worker::start(&s, &env);
    bus.wait_consumers(2).await;
    let users: Vec<String> = (0..20).map(|i| format!("user{i:02}")).collect();
    let ids: Vec<String> = users
        .iter()
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    for round in 0..3 {
        for (u, id) in users.iter().zip(&ids) {
            // Round 1 uses the fedmsg form of the id: the same message.
            let id = if round == 1 {
                format!("2024-{id}")
            } else {
                id.clone()
            };
            bus.publish_user(u, &id).await;
        }
    }
    assert_eq!(wait_people(&s, 20).await, users);
    bus.wait_drained().await;
    // Let in-flight duplicates finish.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(s.sql_value("SELECT count(*) FROM ingest_inbox"), "20");
    assert_eq!(
        s.sql_value("SELECT count(*) FROM changeset c JOIN pdc_user u ON u.id = c.author_pk WHERE u.username = 'ingester'"),
        "20"
    );
    assert_eq!(s.sql_value("SELECT count(*) FROM ingest_dead_letter"), "0");
    // Delete everyone, deliver everything again to both workers: nothing
    // comes back (the inbox, not the upsert, stops them).
    s.sql("DELETE FROM contact");
    for (u, id) in users.iter().zip(&ids) {
        bus.publish_user(u, id).await;
        bus.publish_user(u, id).await;
    }
    bus.publish_user("last", &uuid::Uuid::new_v4().to_string())
        .await;
    wait_people(&s, 1).await;
    bus.wait_drained().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(usernames(&s).await, ["last"]);
    assert_eq!(s.sql_value("SELECT count(*) FROM ingest_inbox"), "21");
    bus.delete_queue().await;
}

/// Poison messages are dead-lettered (and acknowledged); `pdc retry` runs
/// one again once the cause is fixed.
#[tokio::test]
async fn poison_messages_go_to_the_dead_letters() {
    let bus = Bus::new().await;
    let s = Server::start().await;
    let mut env = bus.env();
    // A misconfigured worker: every address it makes is invalid.
    env.push(("PDC_INGEST_EMAIL_DOMAIN", "bad domain".into()));
    let w = Worker::start(&s, &env);
    bus.wait_consumers(1).await;
    let fred = uuid::Uuid::new_v4().to_string();
    bus.publish_user("fred", &fred).await;
    let no_user = uuid::Uuid::new_v4().to_string();
    bus.publish(TOPIC, &no_user, &json!({}), br#"{"msg": {"agent": "x"}}"#)
        .await;
    let not_json = uuid::Uuid::new_v4().to_string();
    bus.publish(TOPIC, &not_json, &json!({}), b"<xml/>").await;
    let start = Instant::now();
    while s.sql_value("SELECT count(*) FROM ingest_dead_letter") != "3" {
        assert!(start.elapsed() < Duration::from_secs(60), "dead letters");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bus.wait_drained().await;
    drop(w);
    let errors = s.sql_value(&format!(
        "SELECT string_agg(error, ' | ' ORDER BY message_id = '{fred}' DESC, message_id = '{no_user}' DESC)
         FROM ingest_dead_letter"
    ));
    assert!(errors.contains("email"), "{errors}");
    assert!(errors.contains("no username"), "{errors}");
    assert!(errors.contains("not JSON"), "{errors}");
    assert!(usernames(&s).await.is_empty());

    // Fixed configuration: `pdc retry` applies it and clears its dead letter.
    let out = Command::new(pdc_bin())
        .args(["retry", &fred])
        .env("PDC_DATABASE_URL", &s.database_url)
        .env("PDC_INGEST_TOPIC_PREFIXES", &bus.prefix)
        .env("PDC_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(usernames(&s).await, ["fred"]);
    assert_eq!(
        s.sql_value(&format!(
            "SELECT count(*) FROM ingest_dead_letter WHERE message_id = '{fred}'"
        )),
        "0"
    );
    assert_eq!(s.sql_value("SELECT count(*) FROM ingest_dead_letter"), "2");
    bus.delete_queue().await;
}
