//! release-variants and the variant type lists: PDC's VariantRESTTestCase,
//! the variant cases of AllowedPushTargetsRESTTestCase, and behaviour
//! observed on a running PDC.

use pdc_tests::{Server, assert_resp, fixtures, json};

fn server_args() -> pdc_tests::Value {
    json!({"uid": "Variant-UID", "id": "Variant-ID", "release": "release-1.0",
           "name": "Variant", "type": "variant", "arches": ["x86_64"]})
}

/// Number of variant arches in the database.
async fn arch_count(s: &Server) -> usize {
    let all = s.get("release-variants/?page_size=-1").await.json();
    all.as_array()
        .unwrap()
        .iter()
        .map(|v| v["arches"].as_array().unwrap().len())
        .sum()
}

#[tokio::test]
async fn create_and_read() {
    let s = Server::start().await;
    fixtures::variants_standalone(&s);

    let mut expected = server_args();
    expected["variant_version"] = json!(null);
    expected["variant_release"] = json!(null);
    expected["allowed_push_targets"] = json!([]);
    let r = s.post("release-variants/", server_args()).await;
    assert_resp!(r, 201, expected.clone());
    // Serializer field order on the wire.
    assert!(r.text.starts_with(r#"{"release":"release-1.0","id":"Variant-ID","uid":"Variant-UID","name":"Variant","type":"variant","arches":["x86_64"],"variant_version":null,"#), "{}", r.text);
    let cs = s.get("changesets/").await.json();
    assert_eq!(cs["count"], 1);
    assert_eq!(cs["results"][0]["changes"][0]["resource"], "variant");
    assert_eq!(cs["results"][0]["changes"][0]["old_value"], "null");
    assert_eq!(s.get("release-variants/").await.json()["count"], 4);
    assert_eq!(arch_count(&s).await, 5);

    // Errors create nothing.
    let bad = [
        (
            json!({"release": "release-1.0", "name": "Variant", "type": "variant"}),
            json!({"id": ["This field is required."], "uid": ["This field is required."],
                   "arches": ["This field is required."]}),
        ),
        (
            json!({"uid": "Variant-UID", "id": "Variant-ID", "release": "release-2.0",
                   "name": "Variant", "type": "variant", "arches": ["x86_64"]}),
            json!({"release": ["Object with release_id=release-2.0 does not exist."]}),
        ),
        (
            json!({"uid": "Variant-UID", "id": "Variant-ID", "release": "release-1.0",
                   "name": "Variant", "type": "bad-type", "arches": ["x86_64"]}),
            json!({"type": ["'bad-type' is not allowed value. Use one of 'variant', 'optional', 'addon', 'layered-product', 'module'."]}),
        ),
        (
            json!({"uid": "Server-UID", "id": "Server", "release": "release-1.0",
                   "name": "Server name", "type": "variant", "arches": ["x86_64"]}),
            json!({"detail": ["The fields release, variant_uid must make a unique set."]}),
        ),
        (
            json!({"uid": "Server-UID", "id": "Server", "release": "release-1.0",
                   "name": "Server name", "type": "variant", "arches": ["x86_64"], "foo": "bar"}),
            json!({"detail": "Unknown fields: \"foo\"."}),
        ),
        (
            json!({"uid": "X", "id": "X", "release": "release-1.0", "name": "X",
                   "type": "variant", "arches": ["foo"]}),
            json!({"detail": "No such arch: \"foo\"."}),
        ),
        // The serializer does not limit lengths; the model does, in Python 2 dict order.
        (
            json!({"uid": "X", "id": "i".repeat(101), "release": "release-1.0",
                   "name": "n".repeat(301), "type": "variant", "arches": ["x86_64"]}),
            json!({"detail": ["Ensure this value has at most 300 characters (it has 301).",
                              "Ensure this value has at most 100 characters (it has 101)."]}),
        ),
        // An unknown arch wins over every field error.
        (
            json!({"uid": "X", "id": "", "release": "nope", "name": "X",
                   "type": "variant", "arches": ["nope"]}),
            json!({"detail": "No such arch: \"nope\"."}),
        ),
    ];
    for (body, error) in bad {
        assert_resp!(s.post("release-variants/", body).await, 400, error);
    }
    assert_eq!(s.changeset_count().await, 1);
    assert_eq!(s.get("release-variants/").await.json()["count"], 4);
    assert_eq!(arch_count(&s).await, 5);

    // Arches are output in arch id order (aarch64 was seeded last).
    let r = s
        .post(
            "release-variants/",
            json!({"uid": "A", "id": "A", "release": "release2-1.0", "name": "A",
                   "type": "addon", "arches": ["x86_64", "aarch64", "s390x", "x86_64"],
                   "variant_version": "7", "variant_release": "1"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["arches"], json!(["s390x", "x86_64", "aarch64"]));
    assert_eq!(r.json()["variant_version"], "7");

    // Retrieve.
    let r = s.get("release-variants/release-1.0/Server-UID/").await;
    assert_resp!(
        r,
        200,
        json!({"release": "release-1.0", "id": "Server", "uid": "Server-UID", "name": "Server name",
               "type": "variant", "arches": ["ppc64", "x86_64"], "variant_version": null,
               "variant_release": null, "allowed_push_targets": []})
    );
    assert_eq!(
        r.header("last-modified"),
        s.get("release-variants/").await.header("last-modified")
    );
    for path in [
        "release-variants/release-1.0/foo/",
        "release-variants/release-2.0/foo/",
    ] {
        assert_resp!(s.get(path).await, 404, json!({"detail": "Not found."}));
    }
    let r = s
        .send(
            "GET",
            "release-variants/abc-def/",
            None,
            None,
            &[("Accept", "application/json")],
        )
        .await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (404, "{\"detail\": \"Not found\"}")
    );

    // Filters.
    for (query, count) in [
        ("", 5),
        ("id=Server", 1),
        ("uid=Server-UID", 1),
        ("name=Server name", 1),
        ("type=variant", 2),
        ("type=optional&type=addon", 3),
        ("release=foo", 0),
        ("release=release-1.0", 3),
        ("variant_version=7", 1),
        ("variant_release=1&variant_release=2", 1),
        ("uid=", 0),
    ] {
        let v = s.get(&format!("release-variants/?{query}")).await.json();
        assert_eq!(v["count"], count, "{query}");
    }
    assert_resp!(
        s.get("release-variants/?arch=x86_64").await,
        400,
        json!({"detail": "Unknown query params: arch."})
    );

    // Default order is variant_uid across releases; `id` orders by variant_id.
    let uids = |v: pdc_tests::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| {
                format!(
                    "{}/{}",
                    x["release"].as_str().unwrap(),
                    x["uid"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        uids(s.get("release-variants/?page_size=-1").await.json()),
        [
            "release2-1.0/A",
            "release-1.0/Client-UID",
            "release2-1.0/Client-UID",
            "release-1.0/Server-UID",
            "release-1.0/Variant-UID"
        ]
    );
    assert_eq!(
        uids(
            s.get("release-variants/?page_size=-1&ordering=-release,id")
                .await
                .json()
        ),
        [
            "release2-1.0/A",
            "release2-1.0/Client-UID",
            "release-1.0/Client-UID",
            "release-1.0/Server-UID",
            "release-1.0/Variant-UID"
        ]
    );
}

#[tokio::test]
async fn update_and_delete() {
    let s = Server::start().await;
    fixtures::variants_standalone(&s);
    let url = "release-variants/release-1.0/Server-UID/";

    // PUT: full update; the uid moves the URL.
    let args = json!({"uid": "Workstation-UID", "id": "Workstation", "release": "release-1.0",
                      "name": "Workstation variant", "type": "variant", "arches": ["x86_64", "ppc64"],
                      "variant_version": null, "variant_release": null, "allowed_push_targets": []});
    let mut expected = args.clone();
    expected["arches"] = json!(["ppc64", "x86_64"]);
    assert_resp!(s.put(url, args).await, 200, expected);
    assert_eq!(s.changeset_count().await, 1);
    assert_eq!(s.get(url).await.status, 404);
    let url = "release-variants/release-1.0/Workstation-UID/";
    assert_resp!(
        s.put(
            url,
            json!({"uid": "W", "release": "release-1.0", "name": "W", "type": "variant", "arches": ["ppc64"]})
        )
        .await,
        400,
        json!({"id": ["This field is required."]})
    );
    assert_resp!(
        s.put(
            "release-variants/release-2.0/foo/",
            json!({"uid": "W", "id": "W", "release": "release-1.0", "name": "W", "type": "variant", "arches": ["ppc64"]})
        )
        .await,
        404,
        json!({"detail": "Not found."})
    );

    // PATCH.
    let r = s.patch(url, json!({"name": "Renamed"})).await;
    assert_eq!(
        (r.status, r.json()["name"].clone()),
        (200, json!("Renamed"))
    );
    assert_resp!(
        s.patch(url, json!({"type": "whatever"})).await,
        400,
        json!({"type": ["'whatever' is not allowed value. Use one of 'variant', 'optional', 'addon', 'layered-product', 'module'."]})
    );
    assert_eq!(
        s.patch(url, json!({"arches": ["ia64"]})).await.json()["arches"],
        json!(["ia64"])
    );
    assert_eq!(
        s.patch(url, json!({"add_arches": ["ppc64", "x86_64"]}))
            .await
            .json()["arches"],
        json!(["ia64", "ppc64", "x86_64"])
    );
    assert_resp!(
        s.patch(url, json!({"add_arches": ["x86_64"]})).await,
        400,
        json!({"detail": ["Variant arch with this Variant and Arch already exists."]})
    );
    assert_resp!(
        s.patch(url, json!({"add_arches": ["s390x", "foo"]})).await,
        404,
        json!({"detail": "Not found:  Arch matching query does not exist."})
    );
    assert_eq!(
        s.patch(url, json!({"remove_arches": ["ppc64", "nope"]}))
            .await
            .json()["arches"],
        json!(["ia64", "x86_64"])
    );
    assert_eq!(
        s.patch(
            url,
            json!({"remove_arches": ["ia64"], "add_arches": ["ppc64"]})
        )
        .await
        .json()["arches"],
        json!(["ppc64", "x86_64"])
    );
    assert_resp!(
        s.patch(url, json!({"arches": ["ppc64"], "add_arches": ["ia64"]}))
            .await,
        400,
        json!({"detail": "add_arches/remove_arches can not be combined with arches."})
    );
    // `[]` changes nothing, so it does not conflict with add/remove.
    assert_eq!(
        s.patch(url, json!({"arches": [], "remove_arches": ["x86_64"]}))
            .await
            .json()["arches"],
        json!(["ppc64"])
    );
    // Python iteration of whatever was sent: a string is its characters.
    assert_resp!(
        s.patch(url, json!({"add_arches": "ia64"})).await,
        404,
        json!({"detail": "Not found:  Arch matching query does not exist."})
    );
    assert_resp!(
        s.patch(url, json!({"add_arches": 5})).await,
        400,
        json!({"detail": "'int' object is not iterable"})
    );
    for (arches, error) in [
        (json!(["foo"]), json!({"detail": "No such arch: \"foo\"."})),
        (
            json!([{"this": ["is", "not", "a", "string"]}]),
            json!({"detail": "No such arch: \"{u'this': [u'is', u'not', u'a', u'string']}\"."}),
        ),
        (json!([5]), json!({"detail": "No such arch: \"5\"."})),
        (
            json!(["x86_64", null]),
            json!({"arches": [{}, ["This field may not be null."]]}),
        ),
        (
            json!(null),
            json!({"arches": ["This field may not be null."]}),
        ),
    ] {
        assert_resp!(s.patch(url, json!({ "arches": arches })).await, 400, error);
    }
    let r = s.patch(url, json!({"arches": {"x86_64": 1}})).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["arches"]["detail"][0]
            .as_str()
            .unwrap()
            .starts_with("Expected a list of items but got type"),
        "{}",
        r.text
    );

    // PUT keeps variant_version/variant_release when left out, resets the
    // push targets; `arches: []` keeps the arches and lets add/remove act.
    s.patch(url, json!({"variant_version": "7", "variant_release": "1"}))
        .await;
    assert_resp!(
        s.put(
            url,
            json!({"uid": "Workstation-UID", "id": "W", "release": "release-1.0", "name": "W",
                   "type": "optional", "arches": [], "add_arches": ["s390x"]})
        )
        .await,
        200,
        json!({"release": "release-1.0", "id": "W", "uid": "Workstation-UID", "name": "W",
               "type": "optional", "arches": ["ppc64", "s390x"], "variant_version": "7",
               "variant_release": "1", "allowed_push_targets": []})
    );
    assert_resp!(
        s.patch(url, json!({"variant_version": ""})).await,
        400,
        json!({"variant_version": ["This field may not be blank."]})
    );
    assert_resp!(
        s.patch(
            url,
            json!({"variant_version": "v".repeat(101), "variant_release": "r".repeat(102)})
        )
        .await,
        400,
        json!({"detail": ["Ensure this value has at most 100 characters (it has 101).",
                          "Ensure this value has at most 100 characters (it has 102)."]})
    );
    assert_resp!(
        s.patch(url, json!({"uid": "Client-UID"})).await,
        400,
        json!({"detail": ["The fields release, variant_uid must make a unique set."]})
    );
    // Moving to another release.
    let r = s
        .patch(
            url,
            json!({"release": "release2-1.0", "variant_version": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["release"], "release2-1.0");
    assert_eq!(r.json()["variant_version"], json!(null));
    let url = "release-variants/release2-1.0/Workstation-UID/";

    // Bulk partial update and errors.
    let r = s
        .patch(
            "release-variants/",
            json!({"release2-1.0/Workstation-UID": {"name": "W2"}, "release-1.0/Client-UID": {"name": "C2"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["release-1.0/Client-UID"]["name"], "C2");
    assert_resp!(
        s.patch("release-variants/", json!({"release-1.0/Client-UID": {}}))
            .await,
        400,
        json!({"detail": "Partial update with no changes does not make much sense.",
               "id_of_invalid_data": "release-1.0/Client-UID"})
    );

    // Delete.
    let before = s.changeset_count().await;
    assert_eq!(s.delete(url).await.status, 204);
    assert_eq!(s.get(url).await.status, 404);
    assert_eq!(s.changeset_count().await, before + 1);
    for path in [
        "release-variants/release-1.0/foo/",
        "release-variants/release-2.0/foo/",
    ] {
        assert_resp!(s.delete(path).await, 404, json!({"detail": "Not found."}));
    }
    assert_resp!(
        s.delete_body("release-variants/", json!(["/release-1.0/Client-UID"]))
            .await,
        404,
        json!({"detail": "Not found.", "id_of_invalid_data": "/release-1.0/Client-UID"})
    );
    assert_eq!(s.get("release-variants/").await.json()["count"], 2);
    let r = s
        .delete_body(
            "release-variants/",
            json!(["release-1.0/Client-UID", "release-1.0/Server-UID"]),
        )
        .await;
    assert_eq!(r.status, 404, "Server-UID was renamed: {}", r.text);
    assert_eq!(s.get("release-variants/").await.json()["count"], 2);
    let r = s
        .delete_body(
            "release-variants/",
            json!(["release-1.0/Client-UID", "release2-1.0/Client-UID"]),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get("release-variants/").await.json()["count"], 0);
    assert_eq!(s.changeset_count().await, before + 2);
    let cs = s.get("changesets/?page_size=1").await.json();
    assert_eq!(cs["results"][0]["changes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn allowed_push_targets() {
    let s = Server::start().await;
    fixtures::push_targets(&s);
    let url = "release-variants/product-1.0/Server/";

    // Inherited from the release, product version and product.
    let r = s.get(url).await;
    assert_eq!(
        r.json()["allowed_push_targets"],
        json!(["rhn-live", "rhn-stage"])
    );
    for (target, uid) in [("rhn-qa", "product2-1.0"), ("rhn-live", "product-1.0")] {
        let v = s
            .get(&format!("release-variants/?allowed_push_targets={target}"))
            .await
            .json();
        assert_eq!(v["count"], 1, "{target}");
        assert_eq!(v["results"][0]["release"], uid);
    }
    assert_eq!(
        s.get("release-variants/?allowed_push_targets=")
            .await
            .json()["count"],
        0
    );

    assert_resp!(
        s.patch(url, json!({"allowed_push_targets": ["rhn-live", "rhn-qa"]}))
            .await,
        400,
        json!({"detail": ["Push targets must be allowed in parent release: [u'rhn-qa']"]})
    );
    assert_resp!(
        s.patch(url, json!({"allowed_push_targets": ["rhn-test"]}))
            .await,
        400,
        json!({"allowed_push_targets": ["Object with name=rhn-test does not exist."]})
    );
    assert_eq!(s.changeset_count().await, 0);

    // The variant masks rhn-stage; the filter then skips it for rhn-stage.
    let r = s
        .patch(url, json!({"allowed_push_targets": ["rhn-live"]}))
        .await;
    assert_eq!(r.json()["allowed_push_targets"], json!(["rhn-live"]));
    assert_eq!(
        s.get("release-variants/?allowed_push_targets=rhn-stage")
            .await
            .json()["count"],
        0
    );
    assert_eq!(
        s.get("release-variants/?allowed_push_targets=rhn-live&allowed_push_targets=rhn-stage")
            .await
            .json()["count"],
        0
    );

    // Parents' changes propagate: the product allowing rhn-qa too shows
    // on the variant (it is not in its mask); a release mask hides rhn-live.
    s.sql(
        "INSERT INTO product_push_target SELECT p.id, t.id FROM product p, push_target t
         WHERE p.short = 'product' AND t.name = 'rhn-qa'",
    );
    assert_eq!(
        s.get(url).await.json()["allowed_push_targets"],
        json!(["rhn-live", "rhn-qa"])
    );
    s.sql(
        "INSERT INTO release_push_mask SELECT r.id, t.id FROM release r, push_target t
         WHERE r.release_id = 'product-1.0' AND t.name = 'rhn-live'",
    );
    assert_eq!(
        s.get(url).await.json()["allowed_push_targets"],
        json!(["rhn-qa"])
    );
    assert_eq!(
        s.get("release-variants/?allowed_push_targets=rhn-live")
            .await
            .json()["count"],
        0
    );

    // The parent is the release given in the body; several bad names are listed.
    assert_resp!(
        s.patch(
            url,
            json!({"release": "product2-1.0", "uid": "Other", "allowed_push_targets": ["rhn-stage", "rhn-live"]})
        )
        .await,
        400,
        json!({"detail": ["Push targets must be allowed in parent release: [u'rhn-live', u'rhn-stage']"]})
    );
    let r = s
        .patch(
            url,
            json!({"release": "product2-1.0", "uid": "Other", "allowed_push_targets": ["rhn-qa"]}),
        )
        .await;
    assert_eq!(
        r.json()["allowed_push_targets"],
        json!(["rhn-qa"]),
        "{}",
        r.text
    );

    // POST and PUT without the key allow nothing.
    let r = s
        .post(
            "release-variants/",
            json!({"release": "product-1.0", "id": "C", "uid": "C", "name": "C", "type": "variant", "arches": []}),
        )
        .await;
    assert_resp!(
        r,
        201,
        json!({"release": "product-1.0", "id": "C", "uid": "C", "name": "C", "type": "variant",
               "arches": [], "variant_version": null, "variant_release": null, "allowed_push_targets": []})
    );
    let r = s
        .put(
            "release-variants/product2-1.0/Server/",
            json!({"release": "product2-1.0", "id": "Server", "uid": "Server", "name": "Server", "type": "variant", "arches": ["x86_64"]}),
        )
        .await;
    assert_eq!(r.json()["allowed_push_targets"], json!([]));
}

#[tokio::test]
async fn last_modified() {
    let s = Server::start().await;
    fixtures::variants_standalone(&s);
    let never = Some("Fri, 02 Jan 1970 00:00:00 GMT");
    assert_eq!(
        s.get("release-variants/").await.header("last-modified"),
        never
    );
    // Changes of other resources do not count.
    s.post("arches/", json!({"name": "newarch"})).await;
    assert_eq!(
        s.get("release-variants/").await.header("last-modified"),
        never
    );
    s.patch(
        "release-variants/release-1.0/Server-UID/",
        json!({"name": "S"}),
    )
    .await;
    let r = s.get("release-variants/release-1.0/Client-UID/").await;
    let lm = r.header("last-modified").unwrap().to_string();
    assert_ne!(Some(lm.as_str()), never);
    let r = s
        .send(
            "GET",
            "release-variants/",
            None,
            None,
            &[("If-Modified-Since", &lm)],
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (304, ""));
    // A `release` change moves it too (the releases resource records those).
    s.sql(
        "INSERT INTO changeset (requested_on, committed_on) VALUES (now(), now() + interval '1 day');
         INSERT INTO last_change (resource, committed_on) VALUES ('release', now() + interval '1 day')",
    );
    let r = s
        .send(
            "GET",
            "release-variants/",
            None,
            None,
            &[("If-Modified-Since", &lm)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_ne!(r.header("last-modified"), Some(lm.as_str()));
}

#[tokio::test]
async fn variant_types() {
    let s = Server::start().await;
    let names = json!([{"name": "variant"}, {"name": "optional"}, {"name": "addon"},
                       {"name": "layered-product"}, {"name": "module"}]);
    for prefix in ["variant-types", "release-variant-types"] {
        let r = s.get(&format!("{prefix}/")).await;
        assert_eq!(r.json()["results"], names, "{prefix}");
        assert_eq!(r.header("last-modified"), None);
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
        assert_resp!(
            s.get(&format!("{prefix}/?name=variant")).await,
            400,
            json!({"detail": "Unknown query params: name."})
        );
        assert_resp!(
            s.post(&format!("{prefix}/"), json!({"name": "x"})).await,
            405,
            json!({"detail": "Method \"POST\" not allowed."})
        );
    }
    assert_eq!(
        s.get("release-variant-types/?ordering=-name&page_size=2")
            .await
            .json()["results"],
        json!([{"name": "variant"}, {"name": "optional"}])
    );
}
