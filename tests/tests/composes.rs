//! Changes recorded by compose writes, which the recorded scenarios cannot
//! show (PDC answers 503 to every valid compose PATCH): PDC's view logs one
//! `composevariantarch` change per tree given, then the `compose` changes of
//! `acceptance_testing` and `linked_releases`, each dropped when unchanged;
//! DELETE logs `deleted` once.

use pdc_tests::{Server, Value, json};

const TP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/compose/pdc-TP-1.0-20150310.0/"
);

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{TP}{name}")).unwrap()).unwrap()
}

/// The changes of the newest changeset, as (resource, old, new).
async fn last_changes(s: &Server) -> Vec<(String, String, String)> {
    let cs = s.get("changesets/?ordering=-id&page_size=1").await.json();
    cs["results"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["resource"].as_str().unwrap().to_string(),
                c["old_value"].as_str().unwrap().to_string(),
                c["new_value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn patch_and_delete_changes() {
    let s = Server::start().await;
    let info = fixture("composeinfo-0.3.json");
    let r = s
        .post("rpc/release/import-from-composeinfo/", info.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .post(
            "compose-rpms/",
            json!({"release_id": "tp-1.0", "composeinfo": info, "rpm_manifest": fixture("rpms-1.2.json")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .post(
            "releases/",
            json!({"short": "other", "version": "1", "name": "Other", "release_type": "ga"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let url = "composes/TP-1.0-20150310.0/";
    let before = s.changeset_count().await;

    let r = s
        .patch(
            url,
            json!({"acceptance_testing": "passed", "linked_releases": ["other-1"],
                   "rtt_tested_architectures": {"Server": {"s390x": "failed", "x86_64": "untested"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["acceptance_testing"], "passed");
    assert_eq!(body["linked_releases"], json!(["other-1"]));
    assert_eq!(
        body["rtt_tested_architectures"]["Server"]["s390x"],
        "failed"
    );
    assert_eq!(s.changeset_count().await, before + 1);
    let untested = r#"{"rtt_testing_status": "untested"}"#;
    assert_eq!(
        last_changes(&s).await,
        vec![
            (
                "composevariantarch".into(),
                untested.into(),
                r#"{"rtt_testing_status": "failed"}"#.into()
            ),
            (
                "compose".into(),
                r#"{"acceptance_testing": "untested"}"#.into(),
                r#"{"acceptance_testing": "passed"}"#.into()
            ),
            (
                "compose".into(),
                r#"{"linked_releases": ["sap-1.0@tp-1"]}"#.into(),
                r#"{"linked_releases": ["other-1"]}"#.into()
            ),
        ]
    );

    // Nothing changes: no changeset.
    let r = s.patch(url, json!({"acceptance_testing": "passed"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.changeset_count().await, before + 1);

    // A failure rolls the trees back.
    let r = s
        .patch(
            url,
            json!({"rtt_tested_architectures": {"Server": {"ppc64": "passed"}}, "acceptance_testing": "bad"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let got = s.get(url).await.json();
    assert_eq!(
        got["rtt_tested_architectures"]["Server"]["ppc64"],
        "untested"
    );

    // Soft delete: one change, then a warning and nothing more.
    let r = s.delete(url).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.header("pdc-warning"), None);
    assert_eq!(
        last_changes(&s).await,
        vec![(
            "compose".into(),
            r#"{"deleted": false}"#.into(),
            r#"{"deleted": true}"#.into()
        )]
    );
    let count = s.changeset_count().await;
    let r = s.delete(url).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("pdc-warning"),
        Some("No change. This compose was marked as deleted already.")
    );
    assert_eq!(s.changeset_count().await, count);
    assert_eq!(s.get(url).await.json()["deleted"], true);
    // Deleted composes leave the release's compose_set and the find RPCs.
    assert_eq!(
        s.get("releases/tp-1.0/").await.json()["compose_set"],
        json!([])
    );
    assert_eq!(
        s.get("rpc/find-compose-by-release-rpm/tp-1.0/dummypython/")
            .await
            .json(),
        json!([])
    );
}
