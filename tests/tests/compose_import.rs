//! Compose imports beyond the recorded scenario: failures leave nothing
//! behind, bulk imports, the offline `pdc import-compose`.

use pdc_tests::{Server, Value, json};

const TP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/compose/pdc-TP-1.0-20150310.0/"
);
const FEDORA_24: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/compose/Fedora-24-20151130.n.2"
);
const RAWHIDE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/compose/Fedora-Rawhide-20240501.n.0"
);

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{TP}{name}")).unwrap()).unwrap()
}

fn counts(s: &Server) -> String {
    s.sql_value(
        "SELECT (SELECT count(*) FROM compose) || '/' || (SELECT count(*) FROM rpm) || '/' ||
                (SELECT count(*) FROM compose_rpm) || '/' || (SELECT count(*) FROM changeset)",
    )
}

async fn server_with_release() -> Server {
    let s = Server::start().await;
    let r = s
        .post(
            "rpc/release/import-from-composeinfo/",
            fixture("composeinfo-0.3.json"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    s
}

#[tokio::test]
async fn failures_write_nothing() {
    let s = server_with_release().await;
    let before = counts(&s);
    // A bad NEVRA deep inside the streamed manifest.
    let mut manifest = fixture("rpms-1.2.json");
    let srpms = manifest["payload"]["rpms"]["Server"]["x86_64"]
        .as_object_mut()
        .unwrap();
    let first = srpms.values_mut().next().unwrap().as_object_mut().unwrap();
    first.insert(
        "not-a-nevra".into(),
        json!({"path": "x/y.rpm", "sigkey": null, "category": "binary"}),
    );
    let body = json!({"release_id": "tp-1.0", "composeinfo": fixture("composeinfo-0.3.json"), "rpm_manifest": manifest});
    let r = s.post("compose-rpms/", body).await;
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"detail": "Invalid NVRA: not-a-nevra"}))
    );
    assert_eq!(counts(&s), before);
    // A sigkey that is not 8 hex digits fails after the RPMs were staged.
    let mut manifest = fixture("rpms-1.2.json");
    for (_, srpm) in manifest["payload"]["rpms"]["Server"]["x86_64"]
        .as_object_mut()
        .unwrap()
    {
        for (_, rpm) in srpm.as_object_mut().unwrap() {
            rpm["sigkey"] = json!("nothex!!");
        }
    }
    let body = json!({"release_id": "tp-1.0", "composeinfo": fixture("composeinfo-0.3.json"), "rpm_manifest": manifest});
    let r = s.post("compose-rpms/", body).await;
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"detail": ["nothex!! contains invalid characters"]})
        )
    );
    assert_eq!(counts(&s), before);
    // Truncated JSON.
    let text = json!({"release_id": "tp-1.0", "composeinfo": fixture("composeinfo-0.3.json"), "rpm_manifest": fixture("rpms-1.2.json")})
        .to_string();
    let r = s
        .client
        .post(s.api("compose-rpms/"))
        .header("Authorization", format!("Token {}", s.token))
        .header("Content-Type", "application/json")
        .body(text[..text.len() - 40].to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .starts_with("{\"detail\":\"JSON parse error - ")
    );
    assert_eq!(counts(&s), before);
}

#[tokio::test]
async fn bulk_import_is_all_or_nothing() {
    let s = server_with_release().await;
    let ci = fixture("composeinfo-0.3.json");
    let one = json!({"release_id": "tp-1.0", "composeinfo": ci, "rpm_manifest": fixture("rpms-1.0.json")});
    let bad =
        json!({"release_id": "nope", "composeinfo": ci, "rpm_manifest": fixture("rpms-1.2.json")});
    let before = counts(&s);
    let r = s.post("compose-rpms/", json!([one, bad])).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"detail": "Not found:  Release matching query does not exist.", "id_of_invalid_data": 1})
    );
    assert_eq!(counts(&s), before);
    let r = s.post("compose-rpms/", json!([one, one])).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json(),
        json!([{"compose": "TP-1.0-20150310.0", "imported rpms": 6}, {"compose": "TP-1.0-20150310.0", "imported rpms": 6}])
    );
    assert_eq!(s.sql_value("SELECT count(*) FROM compose_rpm"), "6");
}

#[tokio::test]
async fn offline_import_command() {
    let s = Server::start().await;
    let run = |args: &[&str]| s.pdc(&[&["import-compose"], args].concat());
    let out = run(&[RAWHIDE]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["compose"], "Fedora-Rawhide-20240501.n.0");
    assert_eq!(answer["release"], "fedora-Rawhide");
    assert!(answer["imported rpms"].as_u64().unwrap() > 0);
    // The release and its variants were created; the compose is readable.
    assert_eq!(s.get("releases/fedora-Rawhide/").await.status, 200);
    let manifest = s
        .get("compose-rpms/Fedora-Rawhide-20240501.n.0/")
        .await
        .json();
    let rpms: usize = manifest["payload"]["rpms"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|a| a.as_object().unwrap().values())
        .flat_map(|s| s.as_object().unwrap().values())
        .map(|r| r.as_object().unwrap().len())
        .sum();
    assert_eq!(rpms as u64, answer["imported rpms"].as_u64().unwrap());
    // Again: nothing new, same answer; a missing directory is a clear error.
    let again = run(&[RAWHIDE]);
    assert_eq!(
        serde_json::from_slice::<Value>(&again.stdout).unwrap(),
        answer
    );
    let bad = run(&["/nonexistent"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no composeinfo.json"));
}

/// Every productmd format version PDC reads imports the same content: the
/// manifests read back are equal whatever version went in.
#[tokio::test]
async fn every_fixture_format_version() {
    let mut rpms_seen = Vec::new();
    let mut images_seen = Vec::new();
    for version in ["1.0", "1.1", "1.2"] {
        let s = server_with_release().await;
        let ci = fixture("composeinfo-0.3.json");
        let body = json!({"release_id": "tp-1.0", "composeinfo": ci, "rpm_manifest": fixture(&format!("rpms-{version}.json"))});
        let r = s.post("compose-rpms/", body).await;
        assert_eq!(
            (r.status, r.json()),
            (
                201,
                json!({"compose": "TP-1.0-20150310.0", "imported rpms": 6})
            ),
            "rpms {version}"
        );
        let body = json!({"release_id": "tp-1.0", "composeinfo": ci, "image_manifest": fixture(&format!("images-{version}.json"))});
        let r = s.post("compose-images/", body).await;
        assert_eq!(
            (r.status, r.json()),
            (
                201,
                json!({"compose": "TP-1.0-20150310.0", "imported images": 4})
            ),
            "images {version}"
        );
        let rpms = s.get("compose-rpms/TP-1.0-20150310.0/").await.json();
        rpms_seen.push(rpms["payload"]["rpms"].clone());
        let images = s.get("compose-images/TP-1.0-20150310.0/").await.json();
        images_seen.push(images["payload"]["images"].clone());
    }
    assert!(rpms_seen.windows(2).all(|w| w[0] == w[1]), "{rpms_seen:#?}");
    assert!(
        images_seen.windows(2).all(|w| w[0] == w[1]),
        "{images_seen:#?}"
    );
}

/// Fedora 24's metadata (composeinfo, images and rpms 1.0; 89,198 RPM
/// entries) through the offline command.
#[tokio::test]
async fn fedora_24_compose_directory() {
    let mut s = Server::start().await;
    s.fixed_tokens();
    // Not one of the arches PDC seeds (Fedora's PDC had it added by hand).
    let r = s.post("arches/", json!({"name": "armhfp"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let out = s.pdc(&["import-compose", FEDORA_24]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["compose"], "Fedora-24-20151130.n.2");
    assert_eq!(answer["imported rpms"], 89198, "{answer}");
    assert_eq!(s.sql_value("SELECT count(*) FROM compose_rpm"), "89198");
    let images: i64 = s
        .sql_value("SELECT count(*) FROM compose_image")
        .parse()
        .unwrap();
    assert_eq!(json!(images), answer["imported images"], "{answer}");
}
