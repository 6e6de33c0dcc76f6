//! The bus ingester: `pdc replay` / `pdc retry` on the shared fixture
//! messages, the inbox (exactly once), dead letters and changesets.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use pdc_tests::{Server, Value, json, pdc_bin};

const FAS_ID: &str = "b456fe4e-6dff-431a-9116-280064fe6087";

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/messages/"
    ))
    .join(rel)
}

/// `pdc ARGS` on the server's database with extra environment and stdin.
fn pdc(s: &Server, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(pdc_bin());
    cmd.args(args)
        .env("PDC_DATABASE_URL", &s.database_url)
        .env("PDC_LOG", "warn")
        .env("PDC_INGEST_RETRY_DELAY_MS", "10")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("pdc runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `pdc replay` and its JSON summary; asserts the exit status.
fn replay(s: &Server, source: &str, stdin: &str, env: &[(&str, &str)], ok: bool) -> Value {
    let out = pdc(s, &["replay", source], env, stdin);
    assert_eq!(
        out.status.success(),
        ok,
        "pdc replay {source}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("summary")
}

fn replay_file(s: &Server, rel: &str) -> Value {
    replay(s, fixture(rel).to_str().unwrap(), "", &[], true)
}

fn counts(summary: &Value) -> [u64; 6] {
    [
        "applied",
        "skipped",
        "duplicate",
        "unhandled",
        "dead_lettered",
        "unreadable",
    ]
    .map(|k| summary[k].as_u64().unwrap())
}

async fn people(s: &Server) -> Value {
    s.get("contacts/people/").await.json()["results"].clone()
}

#[tokio::test]
async fn fas_user_create_makes_a_person_once() {
    let s = Server::start().await;
    let before = s.changeset_count().await;
    let sum = replay_file(&s, "fedmsg/fas.user.create.json");
    assert_eq!(counts(&sum), [1, 0, 0, 0, 0, 0]);
    let p = people(&s).await;
    assert_eq!(p.as_array().unwrap().len(), 1);
    assert_eq!(p[0]["username"], "alvicler");
    assert_eq!(p[0]["email"], "alvicler@fedoraproject.org");
    // The same alias answers too (pdc-updater's `persons/`).
    assert_eq!(s.get("persons/").await.json()["count"], 1);

    // The changeset names the ingester and the message.
    assert_eq!(s.changeset_count().await, before + 1);
    let cs = s.get("changesets/?author=ingester").await.json();
    assert_eq!(cs["count"], 1);
    let c = &cs["results"][0];
    assert_eq!(c["author"], "ingester");
    let comment = c["comment"].as_str().unwrap();
    assert!(comment.contains(&format!("2015-{FAS_ID}")), "{comment}");
    assert!(comment.contains("fas.user.create"), "{comment}");
    assert_eq!(c["changes"][0]["resource"], "person");
    assert_eq!(c["changes"][0]["old_value"], "null");

    // Replays: the unsigned copy, the fedora-messaging copy (same uuid, no
    // year), datagrepper pages (which also hold a buildsys.tag, not handled
    // yet) and stdin: nothing more happens.
    for rel in [
        "fedmsg/fas.user.create.json",
        "fedmsg/fas.user.create-unsigned.json",
        "fedora-messaging/fas.user.create.json",
        "datagrepper/v1-id.json",
    ] {
        assert_eq!(counts(&replay_file(&s, rel)), [0, 0, 1, 0, 0, 0], "{rel}");
    }
    for rel in [
        "datagrepper/v1-raw-page.json",
        "datagrepper/v2-search-page.json",
    ] {
        assert_eq!(counts(&replay_file(&s, rel)), [0, 0, 1, 1, 0, 0], "{rel}");
    }
    let text = std::fs::read_to_string(fixture("fedmsg/fas.user.create.json")).unwrap();
    assert_eq!(
        counts(&replay(&s, "-", &text, &[], true)),
        [0, 0, 1, 0, 0, 0]
    );
    assert_eq!(people(&s).await.as_array().unwrap().len(), 1);
    assert_eq!(s.changeset_count().await, before + 1);
    assert_eq!(
        s.sql_value(&format!(
            "SELECT raw_id || ' ' || handler || ' ' || outcome || ' ' || (changeset_pk IS NOT NULL)
             FROM ingest_inbox WHERE message_id = '{FAS_ID}'"
        )),
        format!("2015-{FAS_ID} fas.user.create applied true")
    );
    let st = status(&s);
    assert_eq!(st["dead_letter_count"], 0);
    let t = &st["topics"][0];
    assert_eq!(t["topic"], "org.fedoraproject.prod.fas.user.create");
    assert_eq!(t["messages"], 1);
    assert_eq!(t["last_message_id"], format!("2015-{FAS_ID}"));
    assert!(t["lag_seconds"].as_f64().unwrap() > 3e8, "{st}");
}

/// `pdc ingest-status` as JSON.
fn status(s: &Server) -> Value {
    let out = pdc(s, &["ingest-status"], &[], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("status")
}

/// A fedora-messaging line with a Noggin body for `user`, with a fresh id.
fn noggin(user: &str) -> (String, String) {
    let id = uuid::Uuid::new_v4().to_string();
    let line = json!({
        "topic": "org.fedoraproject.prod.fas.user.create",
        "headers": {"fedora_messaging_schema": "noggin.user.create.v1",
                    "sent-at": "2024-05-01T14:31:11+00:00"},
        "id": id,
        "body": {"msg": {"agent": user, "user": user}},
        "queue": null,
        "priority": 0
    });
    (id, line.to_string())
}

#[tokio::test]
async fn noggin_lines_old_fas_bodies_and_existing_people() {
    let s = Server::start().await;
    // A person who exists already is left alone (no changeset).
    let r = s
        .post(
            "contacts/people/",
            json!({"username": "carol", "email": "carol@example.com"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let before = s.changeset_count().await;
    let (_, a) = noggin("anna");
    let (_, b) = noggin("bert");
    let (_, c) = noggin("carol");
    let old = json!({
        "topic": "org.fedoraproject.prod.fas.user.create",
        "msg_id": "2012-0d6c0bd7-0e0b-45ef-9c3f-d5e2d3d1a1c1",
        "timestamp": 1349000000,
        "msg": {"user": {"username": "dora"}, "agent": {"username": "dora"}}
    });
    // Other environments' topics are not ours unless configured.
    let (_, stg) = noggin("erik");
    let stg = stg.replace("org.fedoraproject.prod.", "org.fedoraproject.stg.");
    let text = format!("{a}\n{b}\n{c}\n{old}\n{stg}\n");
    assert_eq!(
        counts(&replay(&s, "-", &text, &[], true)),
        [4, 0, 0, 1, 0, 0]
    );
    let names: Vec<Value> = people(&s)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["username"], p["email"]]))
        .collect();
    assert_eq!(
        names,
        [
            json!(["carol", "carol@example.com"]),
            json!(["anna", "anna@fedoraproject.org"]),
            json!(["bert", "bert@fedoraproject.org"]),
            json!(["dora", "dora@fedoraproject.org"]),
        ]
    );
    assert_eq!(s.changeset_count().await, before + 3);
    // With the staging prefix configured, erik comes in.
    let env = [(
        "PDC_INGEST_TOPIC_PREFIXES",
        "org.fedoraproject.prod, org.fedoraproject.stg",
    )];
    assert_eq!(
        counts(&replay(&s, "-", &text, &env, true)),
        [1, 0, 4, 0, 0, 0]
    );
    assert_eq!(people(&s).await.as_array().unwrap().len(), 5);

    // The `[ingest]` section of the configuration file; the environment wins.
    let dir = std::env::temp_dir().join(format!("pdc-ingest-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("pdc.toml");
    std::fs::write(
        &conf,
        "[ingest]\nemail_domain = \"example.org\"\nmax_attempts = 2\nqueue = \"q\"\n",
    )
    .unwrap();
    let conf = conf.to_str().unwrap();
    let (_, f) = noggin("fay");
    let sum = replay(&s, "-", &f, &[("PDC_CONFIG", conf)], true);
    assert_eq!(counts(&sum), [1, 0, 0, 0, 0, 0]);
    let (_, g) = noggin("gus");
    let env = [
        ("PDC_CONFIG", conf),
        ("PDC_INGEST_EMAIL_DOMAIN", "example.net"),
    ];
    assert_eq!(counts(&replay(&s, "-", &g, &env, true)), [1, 0, 0, 0, 0, 0]);
    let p = people(&s).await;
    assert_eq!(p[5]["email"], "fay@example.org");
    assert_eq!(p[6]["email"], "gus@example.net");
    std::fs::write(dir.join("pdc.toml"), "[ingest]\nunknown = 1\n").unwrap();
    let out = pdc(&s, &["replay", "-"], &[("PDC_CONFIG", conf)], "");
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_then_retried() {
    let s = Server::start().await;
    // No username: permanent, dead-lettered at once.
    let (bad_id, _) = noggin("x");
    let bad = json!({
        "topic": "org.fedoraproject.prod.fas.user.create",
        "id": bad_id, "headers": {}, "body": {"msg": {"agent": "x"}}
    });
    // An address the person validation refuses (a misconfigured domain).
    let (fix_id, fix) = noggin("fred");
    let env = [("PDC_INGEST_EMAIL_DOMAIN", "bad domain")];
    let text = format!("{bad}\n{fix}\nnot json\n");
    let sum = replay(&s, "-", &text, &env, false);
    assert_eq!(counts(&sum), [0, 0, 0, 0, 2, 1]);
    assert!(
        sum["errors"][0].as_str().unwrap().contains("no username"),
        "{sum}"
    );
    assert!(
        sum["errors"][1].as_str().unwrap().contains("email"),
        "{sum}"
    );
    assert_eq!(people(&s).await.as_array().unwrap().len(), 0);
    assert_eq!(
        s.sql_value(
            "SELECT string_agg(message_id || ' ' || attempts, ',' ORDER BY message_id)
             FROM ingest_dead_letter"
        ),
        {
            let mut v = [format!("{bad_id} 1"), format!("{fix_id} 1")];
            v.sort();
            v.join(",")
        }
    );
    assert_eq!(s.sql_value("SELECT count(*) FROM ingest_inbox"), "0");
    let st = status(&s);
    assert_eq!(st["dead_letter_count"], 2);
    assert_eq!(st["topics"], json!([]));
    assert_eq!(st["dead_letters"][0]["attempts"], 1);

    // Retrying with the same configuration fails again and counts the attempt.
    let out = pdc(&s, &["retry", &fix_id], &env, "");
    assert!(!out.status.success());
    assert_eq!(
        s.sql_value(&format!(
            "SELECT attempts FROM ingest_dead_letter WHERE message_id = '{fix_id}'"
        )),
        "2"
    );
    // Fixed configuration: the retry applies it and clears the dead letter.
    let out = pdc(&s, &["retry", &fix_id], &[], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied"));
    assert_eq!(people(&s).await[0]["email"], "fred@fedoraproject.org");
    assert_eq!(
        s.sql_value("SELECT string_agg(message_id, ',') FROM ingest_dead_letter"),
        bad_id
    );
    // Unknown ids and a second retry of a message done.
    let out = pdc(&s, &["retry", &fix_id], &[], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no dead-lettered message"));
}
