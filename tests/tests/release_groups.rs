//! release-groups: PDC's ReleaseGroupRESTTestCase plus behaviour observed
//! on a running PDC.

use pdc_tests::{Server, assert_resp, fixtures, json};

fn rhel_test() -> pdc_tests::Value {
    json!({"name": "rhel_test", "description": "test", "type": "Async",
           "releases": ["release-1.0"], "active": true})
}

fn rhel_test1() -> pdc_tests::Value {
    json!({"name": "rhel_test1", "description": "good", "type": "QuarterlyUpdate",
           "releases": ["release-1.0"], "active": true})
}

#[tokio::test]
async fn read_and_order() {
    let s = Server::start().await;
    fixtures::release_groups(&s);

    let r = s.get("release-groups/").await;
    assert_eq!(r.json()["count"], 2);
    assert_eq!(r.json()["results"][0], rhel_test());
    assert_eq!(r.header("last-modified"), None);
    assert!(
        r.text.contains(r#"{"name":"rhel_test","description":"test","type":"Async","releases":["release-1.0"],"active":true}"#),
        "{}",
        r.text
    );
    assert_resp!(s.get("release-groups/rhel_test/").await, 200, rhel_test());
    assert_resp!(
        s.get("release-groups/nope/").await,
        404,
        json!({"detail": "Not found."})
    );
    for (query, first) in [
        ("ordering=description", rhel_test1()),
        ("ordering=type,-description", rhel_test()),
        ("ordering=description,-type", rhel_test1()),
        ("ordering=-name", rhel_test1()),
    ] {
        let v = s.get(&format!("release-groups/?{query}")).await.json();
        assert_eq!(v["results"][0], first, "{query}");
    }
    for (query, count) in [
        ("name=rhel_test", 1),
        ("description=good&description=test", 2),
        ("type=Async", 1),
        ("releases=release-1.0", 2),
        ("releases=nope", 0),
        ("active=T", 2),
        ("active=false", 0),
        ("active=", 2),
        ("name=", 0),
    ] {
        let v = s.get(&format!("release-groups/?{query}")).await.json();
        assert_eq!(v["count"], count, "{query}");
    }
    assert_resp!(
        s.get("release-groups/?active=no").await,
        400,
        json!({"detail": "no is not a valid boolean value"})
    );
}

#[tokio::test]
async fn writes() {
    let s = Server::start().await;
    fixtures::release_groups(&s);
    s.sql(
        "INSERT INTO release (release_id, short, version, name, release_type_pk)
         VALUES ('a-1', 'a', '1', 'A', 1)",
    );

    let args = json!({"type": "Zstream", "name": "test", "description": "test_create",
                      "releases": ["release-1.0", "a-1", "a-1"]});
    assert_resp!(
        s.post("release-groups/", args.clone()).await,
        201,
        json!({"name": "test", "description": "test_create", "type": "Zstream",
               "releases": ["a-1", "release-1.0"], "active": true})
    );
    assert_eq!(s.changeset_count().await, 1);
    let cs = s.get("changesets/").await.json();
    assert_eq!(cs["results"][0]["changes"][0]["resource"], "releasegroup");

    let bad = [
        (
            json!({"type": "Zstream", "description": "d", "releases": ["release-1.0"]}),
            json!({"name": ["This field is required."]}),
        ),
        (
            json!({"type": "QuarterlyUpdate", "name": "test", "description": "test"}),
            json!({"name": ["release group with this name already exists."]}),
        ),
        (
            json!({"type": "stream", "name": "x", "description": "d"}),
            json!({"type": ["'stream' is not allowed value. Use one of 'Async', 'QuarterlyUpdate', 'Zstream'."]}),
        ),
        (
            json!({"name": "x", "description": "d"}),
            json!({"type": ["This field is required."]}),
        ),
        (
            json!({"name": "x", "type": "Zstream"}),
            json!({"description": ["This field is required."]}),
        ),
        (
            json!({"Error_key": "test", "type": "Zstream", "name": "x", "description": "d"}),
            json!({"detail": "Unknown fields: \"Error_key\"."}),
        ),
        // Every release is looked up first, with a string detail.
        (
            json!({"name": "", "type": "Zstream", "description": "d", "releases": ["a-1", "release"]}),
            json!({"detail": "release release does not exist"}),
        ),
        // PDC iterates what it gets: a string is its characters.
        (
            json!({"name": "x", "type": "Zstream", "description": "d", "releases": "a-1"}),
            json!({"detail": "release a does not exist"}),
        ),
        (
            json!({"name": "x", "type": "Zstream", "description": "d", "releases": [null]}),
            json!({"detail": "release None does not exist"}),
        ),
        (
            json!({"name": "x", "type": "Zstream", "description": "d", "releases": 5}),
            json!({"releases": ["Expected a list of items but got type \"int\"."]}),
        ),
    ];
    for (body, error) in bad {
        assert_resp!(s.post("release-groups/", body).await, 400, error);
    }

    // Bulk create.
    let r = s
        .post(
            "release-groups/",
            json!([{"type": "Zstream", "name": "test_bulk1", "description": "test1", "releases": ["release-1.0"]},
                   {"type": "Zstream", "name": "test_bulk2", "description": "test2", "releases": ["release-1.0"]}]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(s.changeset_count().await, 2);

    // PUT resets releases and active; renaming moves the URL.
    s.patch("release-groups/test/", json!({"active": false}))
        .await;
    assert_resp!(
        s.put(
            "release-groups/test/",
            json!({"type": "QuarterlyUpdate", "name": "test_update", "description": "good"})
        )
        .await,
        200,
        json!({"name": "test_update", "description": "good", "type": "QuarterlyUpdate",
               "releases": [], "active": true})
    );
    assert_eq!(s.get("release-groups/test/").await.status, 404);
    for (body, error) in [
        (
            json!({"name": "test_update", "description": "good", "releases": ["release-1.0"]}),
            json!({"type": ["This field is required."]}),
        ),
        (
            json!({"type": "QuarterlyUpdate", "description": "good"}),
            json!({"name": ["This field is required."]}),
        ),
        (
            json!({"type": "QuarterlyUpdate", "name": "test_update"}),
            json!({"description": ["This field is required."]}),
        ),
        (
            json!({"type": "QuarterlyUpdate", "name": "x", "description": "good", "releases": ["release"]}),
            json!({"detail": "release release does not exist"}),
        ),
        (
            json!({"type": "Async", "name": "rhel_test", "description": "good"}),
            json!({"name": ["release group with this name already exists."]}),
        ),
    ] {
        assert_resp!(s.put("release-groups/test_update/", body).await, 400, error);
    }
    assert_resp!(
        s.patch(
            "release-groups/test_update/",
            json!({"releases": ["release-1.0"]})
        )
        .await,
        200,
        json!({"name": "test_update", "description": "good", "type": "QuarterlyUpdate",
               "releases": ["release-1.0"], "active": true})
    );

    // Bulk update.
    let before = s.changeset_count().await;
    let r = s
        .put(
            "release-groups/",
            json!({"rhel_test": {"type": "Zstream", "name": "test_update1", "description": "test1"},
                   "rhel_test1": {"type": "Zstream", "name": "test_update2", "description": "test2"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["rhel_test"]["name"], "test_update1");
    assert_eq!(r.json()["rhel_test1"]["releases"], json!([]));
    assert_eq!(s.changeset_count().await, before + 1);

    // Delete, single and bulk.
    assert_eq!(s.delete("release-groups/test_update1/").await.status, 204);
    assert_eq!(s.changeset_count().await, before + 2);
    let r = s
        .delete_body("release-groups/", json!(["test_update2", "test_update"]))
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get("release-groups/").await.json()["count"], 2);
    assert_eq!(s.changeset_count().await, before + 3);
}
