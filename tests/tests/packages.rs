//! Package resources beyond the recorded scenarios: RPMs and images as
//! compose imports link them (the original PDC's import crashes on the
//! scenario's data, so these run against ours only), bulk writes, changes.

use pdc_tests::{Server, Value, json};

const TP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/compose/pdc-TP-1.0-20150310.0/"
);
const COMPOSE: &str = "TP-1.0-20150310.0";

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{TP}{name}")).unwrap()).unwrap()
}

/// A server with the TP compose imported (RPMs and images).
async fn server_with_compose() -> Server {
    let s = Server::start().await;
    let info = fixture("composeinfo-0.3.json");
    let r = s
        .post("rpc/release/import-from-composeinfo/", info.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let body = json!({"release_id": "tp-1.0", "composeinfo": info.clone(),
                      "rpm_manifest": fixture("rpms-1.2.json")});
    let r = s.post("compose-rpms/", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let body = json!({"release_id": "tp-1.0", "composeinfo": info,
                      "image_manifest": fixture("images-1.2.json")});
    let r = s.post("compose-images/", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    s
}

fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn rpms_of_composes() {
    let s = server_with_compose().await;
    let all = s.get("rpms/?page_size=-1").await.json();
    let total = all.as_array().map(Vec::len).unwrap_or(0);
    assert!(total > 0, "{all}");
    let page = s
        .get(&format!("rpms/?compose={COMPOSE}&page_size=100"))
        .await
        .json();
    assert_eq!(page["count"], json!(total));
    assert_eq!(s.get("rpms/?compose=nope").await.json()["count"], 0);

    // One RPM in two variants of the compose is listed once, with the
    // compose once.
    let page = s
        .get("rpms/?name=^dummypython-runtime$&arch=x86_64")
        .await
        .json();
    assert_eq!(page["count"], 1, "{page}");
    let rpm = &page["results"][0];
    assert_eq!(rpm["linked_composes"], json!([COMPOSE]));
    assert_eq!(rpm["srpm_name"], "dummypython");
    assert_eq!(
        rpm["dependencies"],
        json!({"recommends": [], "suggests": [], "obsoletes": [], "provides": [],
               "conflicts": [], "requires": []})
    );
    let names = names(
        &s.get("rpms/?srpm_name=dummypython&arch=src&fields=name")
            .await
            .json(),
    );
    assert_eq!(names, ["dummypython"]);

    // Deleted composes drop out of linked_composes, not of the compose filter.
    s.sql("UPDATE compose SET deleted = true");
    let id = rpm["id"].as_i64().unwrap();
    let rpm = s.get(&format!("rpms/{id}/")).await.json();
    assert_eq!(rpm["linked_composes"], json!([]));
    let page = s.get(&format!("rpms/?compose={COMPOSE}")).await.json();
    assert_eq!(page["count"], json!(total));
}

#[tokio::test]
async fn rpm_writes_record_changes_and_roll_back() {
    let s = Server::start().await;
    let rpm = json!({"name": "bash", "version": "1.0", "epoch": 0, "release": "1",
                     "arch": "src", "srpm_name": "bash"});
    let r = s
        .post("rpms/", json!([rpm, {"name": "x", "arch": "src"}]))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(s.sql_value("SELECT count(*) FROM rpm"), "0");
    let r = s.post("rpms/", rpm.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["filename"], "bash-1.0-1.src.rpm");
    let id = r.json()["id"].as_i64().unwrap();
    let changes = s.get("changesets/?resource=rpm").await.json();
    let change = &changes["results"][0]["changes"][0];
    assert_eq!(change["old_value"], "null");
    let logged: Value = serde_json::from_str(change["new_value"].as_str().unwrap()).unwrap();
    assert_eq!(logged["filename"], "bash-1.0-1.src.rpm");
    assert_eq!(logged["linked_releases"], json!([]));
    assert!(logged.get("id").is_none() && logged.get("linked_composes").is_none());

    let r = s.post("rpms/", rpm).await;
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"detail": ["The fields name, epoch, version, release, arch must make a unique set."]})
        )
    );
    let r = s
        .patch(&format!("rpms/{id}/"), json!({"epoch": 3_000_000_000_i64}))
        .await;
    assert_eq!(
        r.json(),
        json!({"epoch": ["Ensure this value is less than or equal to 2147483647."]})
    );
}
