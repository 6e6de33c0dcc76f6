//! cpes and variant-cpes: PDC's CPERESTTestCase and VariantCPERESTTestCase,
//! plus behaviour observed on a running PDC.

use pdc_tests::{Server, assert_resp, fixtures, json};

#[tokio::test]
async fn cpes() {
    let s = Server::start().await;
    fixtures::cpes(&s);

    let r = s.get("cpes/").await;
    assert_eq!(r.json()["count"], 2);
    assert_eq!(r.header("last-modified"), None);
    assert_resp!(
        s.get("cpes/1/").await,
        200,
        json!({"id": 1, "cpe": "cpe:test1", "description": "CPE Test 1"})
    );
    for bad in ["cpes/9/", "cpes/abc/", "cpes/1.5/"] {
        assert_resp!(s.get(bad).await, 404, json!({"detail": "Not found."}));
    }
    let v = s.get("cpes/?cpe=cpe:test1").await.json();
    assert_eq!(
        (v["count"].clone(), v["results"][0]["cpe"].clone()),
        (json!(1), json!("cpe:test1"))
    );
    assert_eq!(
        s.get("cpes/?description=CPE Test 2&description=x")
            .await
            .json()["count"],
        1
    );
    assert_eq!(s.get("cpes/?cpe=").await.json()["count"], 0);

    assert_resp!(
        s.post(
            "cpes/",
            json!({"cpe": "cpe:test-new", "description": "Test New"})
        )
        .await,
        201,
        json!({"id": 3, "cpe": "cpe:test-new", "description": "Test New"})
    );
    assert_resp!(
        s.post("cpes/", json!({"cpe": "cpe:test-new2"})).await,
        201,
        json!({"id": 4, "cpe": "cpe:test-new2", "description": ""})
    );
    assert_eq!(s.changeset_count().await, 2);
    for (body, error) in [
        (
            json!({"cpe": "not-cpe:"}),
            json!({"cpe": {"detail": "CPE must start with \"cpe:\""}}),
        ),
        (
            json!({"cpe": "cpe:test1"}),
            json!({"detail": ["CPE \"cpe:test1\" already exists."]}),
        ),
        (json!({}), json!({"cpe": ["This field is required."]})),
        (
            json!({"cpe": ""}),
            json!({"cpe": ["This field may not be blank."]}),
        ),
        (
            json!({"cpe": null}),
            json!({"cpe": ["This field may not be null."]}),
        ),
        (
            json!({"cpe": "cpe:x", "description": null}),
            json!({"description": ["This field may not be null."]}),
        ),
        // Longer than the column: PDC fails in the database (500), here it is a field error.
        (
            json!({"cpe": format!("cpe:{}", "a".repeat(300))}),
            json!({"cpe": ["Ensure this field has no more than 300 characters."]}),
        ),
        (
            json!({"cpe": "x".repeat(400)}),
            json!({"cpe": {"detail": "CPE must start with \"cpe:\""}}),
        ),
    ] {
        assert_resp!(s.post("cpes/", body).await, 400, error);
    }
    assert_eq!(s.changeset_count().await, 2);

    // Updates: PUT keeps an omitted description; a rename onto an existing
    // CPE is left to the database, as in PDC.
    s.patch("cpes/4/", json!({"description": "kept"})).await;
    assert_resp!(
        s.put("cpes/4/", json!({"cpe": "cpe:renamed"})).await,
        200,
        json!({"id": 4, "cpe": "cpe:renamed", "description": "kept"})
    );
    assert_resp!(
        s.put("cpes/4/", json!({"description": "x"})).await,
        400,
        json!({"cpe": ["This field is required."]})
    );
    assert_resp!(
        s.patch("cpes/4/", json!({"cpe": "cpe:test1"})).await,
        409,
        json!({"detail": "duplicate key value violates unique constraint \"release_cpe_cpe_key\"\nDETAIL:  Key (cpe)=(cpe:test1) already exists.\n"})
    );

    // Default order is by cpe text.
    let v = s.get("cpes/?page_size=-1&fields=cpe").await.json();
    assert_eq!(
        v,
        json!([{"cpe": "cpe:renamed"}, {"cpe": "cpe:test-new"}, {"cpe": "cpe:test1"}, {"cpe": "cpe:test2"}])
    );

    let before = s.changeset_count().await;
    assert_eq!(s.delete("cpes/1/").await.status, 204);
    assert_eq!(s.get("cpes/").await.json()["count"], 3);
    assert_eq!(s.changeset_count().await, before + 1);
}

#[tokio::test]
async fn variant_cpes() {
    let s = Server::start().await;
    fixtures::variants_standalone(&s);
    fixtures::cpes(&s);
    fixtures::variant_cpes(&s);

    assert_eq!(s.get("variant-cpes/").await.json()["count"], 1);
    assert_resp!(
        s.get("variant-cpes/1/").await,
        200,
        json!({"id": 1, "release": "release-1.0", "variant_uid": "Client-UID", "cpe": "cpe:test1"})
    );
    for (query, field, value) in [
        ("release=release-1.0", "release", "release-1.0"),
        ("variant_uid=Client-UID", "variant_uid", "Client-UID"),
        ("cpe=cpe:test1", "cpe", "cpe:test1"),
    ] {
        let v = s.get(&format!("variant-cpes/?{query}")).await.json();
        assert_eq!(v["count"], 1, "{query}");
        assert_eq!(v["results"][0][field], value);
    }
    // `id` is a plain number filter: junk matches nothing, empty is ignored.
    for (query, count) in [("id=abc", 0), ("id=", 1), ("id=1.5", 1), ("id=99", 0)] {
        assert_eq!(
            s.get(&format!("variant-cpes/?{query}")).await.json()["count"],
            count,
            "{query}"
        );
    }

    let args = json!({"release": "release-1.0", "variant_uid": "Server-UID", "cpe": "cpe:test1"});
    assert_resp!(
        s.post("variant-cpes/", args.clone()).await,
        201,
        json!({"id": 2, "release": "release-1.0", "variant_uid": "Server-UID", "cpe": "cpe:test1"})
    );
    assert_eq!(s.changeset_count().await, 1);
    assert_resp!(
        s.post("variant-cpes/", args).await,
        400,
        json!({"detail": ["CPE(cpe:test1) binding for variant \"release-1.0/Server-UID\" already exists."]})
    );
    assert_resp!(
        s.post(
            "variant-cpes/",
            json!({"release": "release-1.0", "variant_uid": "Server-UID", "cpe": "cpe:test2"})
        )
        .await,
        201,
        json!({"id": 3, "release": "release-1.0", "variant_uid": "Server-UID", "cpe": "cpe:test2"})
    );
    assert_eq!(s.changeset_count().await, 2);
    for (body, error) in [
        (
            json!({"release": "release-1.0", "variant_uid": "Server-UID", "cpe": "cpe:test99"}),
            json!({"detail": "cpe \"cpe:test99\" does not exist"}),
        ),
        (
            json!({"release": "release-1.0", "variant_uid": "nope", "cpe": "cpe:test99"}),
            json!({"detail": "variant (release=release-1.0, uid=nope) does not exist"}),
        ),
        (
            json!({"release": "release-1.0", "variant_uid": "nope", "cpe": "nope"}),
            json!({"cpe": {"detail": "CPE must start with \"cpe:\""}}),
        ),
        (
            json!({"release": "release-1.0"}),
            json!({"variant_uid": ["This field is required."], "cpe": ["This field is required."]}),
        ),
        (
            json!({"release": null, "variant_uid": "", "cpe": "cpe:test1"}),
            json!({"release": ["This field may not be null."], "variant_uid": ["This field may not be blank."]}),
        ),
    ] {
        assert_resp!(s.post("variant-cpes/", body).await, 400, error);
    }

    // Default order: variant uid, then cpe text.
    let order: Vec<i64> = s
        .get("variant-cpes/?page_size=-1")
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [1, 2, 3]);

    // A used CPE cannot be deleted.
    assert_resp!(
        s.delete("cpes/1/").await,
        400,
        json!({"detail": "Cannot delete some instances of model 'CPE' because they are referenced through a protected foreign key: 'VariantCPE.cpe' <QuerySet [<VariantCPE: release-1.0-Client-UID cpe:test1>, <VariantCPE: release-1.0-Server-UID cpe:test1>]>"})
    );
    assert_eq!(s.changeset_count().await, 2);

    // PATCH takes the missing half of the variant from the stored link.
    assert_resp!(
        s.patch("variant-cpes/1/", json!({"release": "release2-1.0"}))
            .await,
        200,
        json!({"id": 1, "release": "release2-1.0", "variant_uid": "Client-UID", "cpe": "cpe:test1"})
    );
    assert_resp!(
        s.patch(
            "variant-cpes/1/",
            json!({"variant_uid": "Server-UID", "release": "release-1.0"})
        )
        .await,
        200,
        json!({"id": 1, "release": "release-1.0", "variant_uid": "Server-UID", "cpe": "cpe:test1"})
    );
    assert_resp!(
        s.patch("variant-cpes/1/", json!({"release": "bad_release"}))
            .await,
        400,
        json!({"detail": "variant (release=bad_release, uid=Server-UID) does not exist"})
    );
    assert_resp!(
        s.patch(
            "variant-cpes/1/",
            json!({"variant_uid": "BAD-UID", "cpe": "cpe:nope"})
        )
        .await,
        400,
        json!({"detail": "variant (release=release-1.0, uid=BAD-UID) does not exist"})
    );
    assert_resp!(
        s.put("variant-cpes/1/", json!({"cpe": "cpe:test1"})).await,
        400,
        json!({"release": ["This field is required."], "variant_uid": ["This field is required."]})
    );
    assert_eq!(s.changeset_count().await, 4);

    // Deleting a variant deletes its links.
    assert_eq!(
        s.delete("release-variants/release-1.0/Server-UID/")
            .await
            .status,
        204
    );
    assert_eq!(s.get("variant-cpes/").await.json()["count"], 0);
    assert_eq!(s.delete("cpes/1/").await.status, 204);
}
