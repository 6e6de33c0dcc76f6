//! arches, sigkeys, labels, and the engine conventions they exercise.

use pdc_tests::{Server, assert_resp, json};

#[tokio::test]
async fn arches_list_create_and_conventions() {
    let s = Server::start().await;
    let r = s.get("arches/").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["count"], 48);
    assert_eq!(v["results"].as_array().unwrap().len(), 20);
    assert_eq!(v["results"][0], json!({"name": "alpha"}));
    assert_eq!(v["previous"], json!(null));
    assert_eq!(
        v["next"],
        json!(format!("{}/rest_api/v1/arches/?page=2", s.url))
    );
    assert_eq!(
        r.header("last-modified"),
        Some("Fri, 02 Jan 1970 00:00:00 GMT")
    );

    // Links keep other params, sorted; page 1 drops `page`.
    let v = s
        .get("arches/?page_size=1&ordering=-id&page=3")
        .await
        .json();
    assert_eq!(v["results"], json!([{"name": "src"}]));
    assert_eq!(
        v["next"],
        json!(format!(
            "{}/rest_api/v1/arches/?ordering=-id&page=4&page_size=1",
            s.url
        ))
    );
    assert_eq!(
        v["previous"],
        json!(format!(
            "{}/rest_api/v1/arches/?ordering=-id&page=2&page_size=1",
            s.url
        ))
    );
    let v = s.get("arches/?page_size=1&page=2").await.json();
    assert_eq!(
        v["previous"],
        json!(format!("{}/rest_api/v1/arches/?page_size=1", s.url))
    );

    // Pagination switches and errors.
    let r = s.get("arches/?page_size=-1&page=3").await;
    assert_eq!(r.json().as_array().unwrap().len(), 48);
    assert_eq!(
        s.get("arches/?page_size=1000").await.json()["results"]
            .as_array()
            .unwrap()
            .len(),
        48
    );
    assert_eq!(
        s.get("arches/?page_size=abc").await.json()["results"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    let v = s.get("arches/?page=last&page_size=10").await.json();
    assert_eq!(v["results"].as_array().unwrap().len(), 8);
    assert_eq!(v["next"], json!(null));
    for bad in ["0", "-1", "abc", "", "99"] {
        assert_resp!(
            s.get(&format!("arches/?page={bad}")).await,
            404,
            json!({"detail": "Invalid page."})
        );
    }

    // Strict params, fields, ordering errors.
    assert_resp!(
        s.get("arches/?name=x86_64").await,
        400,
        json!({"detail": "Unknown query params: name."})
    );
    assert_resp!(
        s.get("arches/?zeta=1&alpha=2&format=json").await,
        400,
        json!({"detail": "Unknown query params: alpha, format, zeta."})
    );
    assert_resp!(
        s.get("arches/?fields=nope&fields=bad").await,
        400,
        json!({"detail": "Unknown fields in \"fields\" filter: bad, nope"})
    );
    let r = s.get("arches/?ordering=bad").await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("Unknown query key: [u'bad']"), "{}", r.text);
    assert_resp!(
        s.get("arches/?ordering=name__bad").await,
        400,
        json!({"detail": "Cannot resolve keyword u'bad' into field. Join on 'name' not permitted."})
    );

    // No detail route; trailing-slash redirect; 405 and 401.
    let r = s
        .send(
            "GET",
            "arches/x86_64/",
            None,
            None,
            &[("Accept", "application/json")],
        )
        .await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (404, "{\"detail\": \"Not found\"}")
    );
    let r = s.get("arches?page_size=1").await;
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location"),
        Some("/rest_api/v1/arches/?page_size=1")
    );
    let r = s
        .send("POST", "arches", Some(&json!({"name": "x"})), None, &[])
        .await;
    assert_eq!(r.status, 301);
    let r = s.send("DELETE", "arches/", None, None, &[]).await;
    assert_resp!(
        r,
        401,
        json!({"detail": "Authentication credentials were not provided."})
    );
    assert_eq!(r.header("www-authenticate"), Some("Token"));
    assert_eq!(r.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    assert_resp!(
        s.delete("arches/").await,
        405,
        json!({"detail": "Method \"DELETE\" not allowed."})
    );
    assert_resp!(
        s.send("GET", "arches/", None, Some("nope"), &[]).await,
        401,
        json!({"detail": "Invalid token."})
    );
    assert_resp!(
        s.send(
            "GET",
            "arches/",
            None,
            None,
            &[("Accept", "application/xml")]
        )
        .await,
        406,
        json!({"detail": "Could not satisfy the request Accept header."})
    );

    // Create, duplicate, too long; changeset and Last-Modified.
    assert_resp!(
        s.post("arches/", json!({"name": "arm"})).await,
        201,
        json!({"name": "arm"})
    );
    assert_resp!(
        s.post("arches/", json!({"name": "arm"})).await,
        400,
        json!({"name": ["arch with this name already exists."]})
    );
    assert_resp!(
        s.post("arches/", json!({"name": "x".repeat(100)})).await,
        400,
        json!({"name": ["Ensure this field has no more than 50 characters."]})
    );
    let r = s.get("arches/").await;
    let lm = r.header("last-modified").unwrap().to_string();
    assert_ne!(lm, "Fri, 02 Jan 1970 00:00:00 GMT");
    let r = s
        .send("GET", "arches/", None, None, &[("If-Modified-Since", &lm)])
        .await;
    assert_eq!((r.status, r.text.as_str()), (304, ""));
    let cs = s.get("changesets/").await.json();
    assert_eq!(cs["count"], 1);
    assert_eq!(cs["results"][0]["author"], "admin");
    assert_eq!(
        cs["results"][0]["changes"],
        json!([{"resource": "arch", "resource_id": "49", "old_value": "null", "new_value": "{\"name\": \"arm\"}"}])
    );
}

#[tokio::test]
async fn bodies_and_bulk_errors() {
    let s = Server::start().await;
    let t = s.token.clone();
    let send = |m: &'static str, body: &'static str, ctype: &'static str| {
        let s = &s;
        let t = t.clone();
        async move {
            let r = s
                .client
                .request(m.parse().unwrap(), s.api("labels/"))
                .header("Authorization", format!("Token {t}"))
                .header("Content-Type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (st, body) = send("POST", "{bad", "application/json").await;
    assert_eq!(st, 400);
    assert!(
        body.starts_with("{\"detail\":\"JSON parse error - "),
        "{body}"
    );
    assert_eq!(
        send("POST", "{}", "text/plain").await,
        (
            415,
            r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#.into()
        )
    );
    assert_eq!(
        send("POST", "", "application/json").await,
        (
            400,
            r#"{"name":["This field is required."],"description":["This field is required."]}"#
                .into()
        )
    );
    assert_eq!(
        send("POST", "null", "application/json").await,
        (400, r#"{"detail":["No data provided"]}"#.into())
    );
    assert_eq!(
        send("POST", "\"x\"", "application/json").await,
        (400, r#"{"detail":"too many values to unpack"}"#.into())
    );

    // Bulk create rolls back as a whole.
    assert_resp!(
        s.post(
            "labels/",
            json!([{"name": "b1", "description": "x"}, {"description": "x"}])
        )
        .await,
        400,
        json!({"invalid_data": {"description": "x"}, "detail": {"name": ["This field is required."]}, "id_of_invalid_data": 1})
    );
    assert_eq!(s.get("labels/").await.json()["count"], 0);
    assert_resp!(
        s.post("labels/", json!([{"name": "b1", "description": "x"}, {}]))
            .await,
        400,
        json!({"detail": {"name": ["This field is required."], "description": ["This field is required."]}, "id_of_invalid_data": 1})
    );
    assert_resp!(
        s.post(
            "labels/",
            json!([{"name": "b1", "description": "x", "foo": 1}])
        )
        .await,
        400,
        json!({"invalid_data": {"name": "b1", "description": "x", "foo": 1}, "detail": "Unknown fields: \"foo\".", "id_of_invalid_data": 0})
    );
    assert_resp!(s.post("labels/", json!([])).await, 201, json!([]));
    let r = s
        .post(
            "labels/",
            json!([{"name": "l1", "description": "d1"}, {"name": "l2", "description": "d2"}]),
        )
        .await;
    assert_eq!(r.status, 201);
    // Ids consumed by the rolled-back inserts are not reused (as in PDC).
    let url1 = r.json()[0]["url"].as_str().unwrap().to_string();
    assert!(
        url1.starts_with(&format!("{}/rest_api/v1/labels/", s.url)),
        "{url1}"
    );
    let ids: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["url"]
                .as_str()
                .unwrap()
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let (id1, id2) = (ids[0].as_str(), ids[1].as_str());
    assert_eq!(s.changeset_count().await, 1);

    // Bulk update / partial update / delete.
    assert_resp!(
        s.put("labels/", json!([1])).await,
        400,
        json!({"detail": "Bulk update needs a mapping."})
    );
    let r = s
        .send("PATCH", "labels/", Some(&json!({})), Some(&t), &[])
        .await;
    assert_resp!(
        r,
        400,
        json!({"detail": "Partial update with no changes does not make much sense."})
    );
    assert!(r.header("pdc-warning").is_none());
    assert_resp!(
        s.put("labels/", json!({"99": {"name": "x", "description": "y"}}))
            .await,
        404,
        json!({"invalid_data": {"name": "x", "description": "y"}, "detail": "Not found.", "id_of_invalid_data": "99"})
    );
    assert_resp!(
        s.put("labels/", json!({id1: {"name": "l1"}})).await,
        400,
        json!({"invalid_data": {"name": "l1"}, "detail": {"description": ["This field is required."]}, "id_of_invalid_data": id1})
    );
    assert_resp!(
        s.patch("labels/", json!({id1: {}})).await,
        400,
        json!({"detail": "Partial update with no changes does not make much sense.", "id_of_invalid_data": id1})
    );
    let r = s
        .patch(
            "labels/",
            json!({id1: {"description": "new1"}, id2: {"description": "new2"}}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()[id2]["description"], "new2");
    assert_resp!(
        s.delete_body("labels/", json!({"a": 1})).await,
        400,
        json!({"detail": "Bulk delete needs a list of identifiers."})
    );
    assert_resp!(
        s.delete_body("labels/", json!([1.5])).await,
        400,
        json!({"detail": "\"1.5\" is not a valid identifier."})
    );
    assert_resp!(
        s.delete_body("labels/", json!([[1]])).await,
        400,
        json!({"detail": "\"[1]\" is not a valid identifier."})
    );
    assert_resp!(
        s.delete_body("labels/", json!([null])).await,
        400,
        json!({"detail": "\"None\" is not a valid identifier."})
    );
    assert_resp!(
        s.delete_body("labels/", json!([id1.parse::<i64>().unwrap(), 99]))
            .await,
        404,
        json!({"detail": "Not found.", "id_of_invalid_data": 99})
    );
    assert_eq!(s.get("labels/").await.json()["count"], 2);
    let n1: i64 = id1.parse().unwrap();
    let r = s.delete_body("labels/", json!([n1, id2, n1])).await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get("labels/").await.json()["count"], 0);
    assert_eq!(s.delete_body("labels/", json!([])).await.status, 204);
}

#[tokio::test]
async fn sigkeys() {
    let s = Server::start().await;
    assert_resp!(
        s.post("sigkeys/", json!({"key_id": "zz"})).await,
        400,
        json!({"key_id": ["zz contains invalid characters"]})
    );
    assert_resp!(
        s.post("sigkeys/", json!({"key_id": "1234"})).await,
        400,
        json!({"key_id": ["1234 should be 8 characters long"]})
    );
    assert_resp!(
        s.post("sigkeys/", json!({"key_id": "12345678", "name": null}))
            .await,
        400,
        json!({"name": ["This field may not be null."]})
    );
    assert_resp!(
        s.post(
            "sigkeys/",
            json!({"key_id": "abcdef03", "name": "n", "description": "ns_C"})
        )
        .await,
        201,
        json!({"name": "n", "key_id": "abcdef03", "description": "ns_C"})
    );
    assert_resp!(
        s.post("sigkeys/", json!({"key_id": "abcdef04", "name": "n"}))
            .await,
        400,
        json!({"detail": ["Sig key with this Name already exists."]})
    );
    assert_resp!(
        s.post("sigkeys/", json!({"key_id": "abcdef03"})).await,
        400,
        json!({"key_id": ["sig key with this key id already exists."]})
    );
    assert_eq!(s.get("sigkeys/?description=ns_c").await.json()["count"], 1);
    assert_eq!(
        s.get("sigkeys/?key_id=abcdef03&key_id=f2134bca")
            .await
            .json()["count"],
        1
    );
    assert_eq!(s.get("sigkeys/?name=").await.json()["count"], 0);
    // PUT resets optional fields; changing key_id moves the URL.
    assert_resp!(
        s.put("sigkeys/abcdef03/", json!({"key_id": "abcdef05"}))
            .await,
        200,
        json!({"name": null, "key_id": "abcdef05", "description": ""})
    );
    assert_eq!(s.get("sigkeys/abcdef03/").await.status, 404);
    assert_eq!(s.get("sigkeys/abcdef05/").await.status, 200);
    let r = s.patch("sigkeys/abcdef05/", json!({})).await;
    assert_resp!(
        r,
        400,
        json!({"detail": "Partial update with no changes does not make much sense."})
    );
    assert_eq!(
        r.header("pdc-warning"),
        Some("Partial update with no changes does not make much sense.")
    );
    assert_resp!(
        s.delete("sigkeys/abcdef05/").await,
        405,
        json!({"detail": "Method \"DELETE\" not allowed."})
    );
    assert_resp!(
        s.put(
            "sigkeys/",
            json!({"abcdef05": {"key_id": "abcdef05", "name": "A"}})
        )
        .await,
        200,
        json!({"abcdef05": {"name": "A", "key_id": "abcdef05", "description": ""}})
    );
    assert_resp!(
        s.get("sigkeys/abcdef05/?fields=key_id&fields=name&exclude_fields=name")
            .await,
        200,
        json!({"key_id": "abcdef05"})
    );
}

#[tokio::test]
async fn labels_crud() {
    let s = Server::start().await;
    assert_resp!(
        s.post("labels/", json!({})).await,
        400,
        json!({"name": ["This field is required."], "description": ["This field is required."]})
    );
    assert_resp!(
        s.post(
            "labels/",
            json!({"name": "a", "description": "b", "foo": 1})
        )
        .await,
        400,
        json!({"detail": "Unknown fields: \"foo\"."})
    );
    let r = s
        .post("labels/", json!({"name": "a", "description": "b"}))
        .await;
    assert_resp!(
        r,
        201,
        json!({"url": format!("{}/rest_api/v1/labels/1/", s.url), "name": "a", "description": "b"})
    );
    assert_resp!(
        s.post(
            "labels/",
            json!({"name": "c", "description": "d", "url": "x"})
        )
        .await,
        400,
        json!({"detail": "Can not update read only fields: \"url\"."})
    );
    s.post("labels/", json!({"name": "c", "description": "d"}))
        .await;
    assert_eq!(
        s.put("labels/1/", json!({"name": "c", "description": "x"}))
            .await
            .status,
        400
    );
    assert_resp!(
        s.put("labels/99/", json!({"name": "z", "description": "x"}))
            .await,
        404,
        json!({"detail": "Not found."})
    );
    assert_resp!(
        s.get("labels/abc/").await,
        404,
        json!({"detail": "Not found."})
    );
    assert_eq!(s.get("labels/?name=a&name=c").await.json()["count"], 2);
    assert_eq!(s.delete("labels/1/").await.status, 204);
    assert_eq!(s.get("labels/1/").await.status, 404);
    // Nothing changes -> no changeset; a failed request records nothing.
    let before = s.changeset_count().await;
    assert_eq!(s.patch("labels/2/", json!({"name": "c"})).await.status, 200);
    assert_eq!(
        s.post("labels/", json!({"name": "c", "description": "d"}))
            .await
            .status,
        400
    );
    assert_eq!(s.changeset_count().await, before);
    // The comment header becomes the changeset comment.
    let t = s.token.clone();
    s.send(
        "PATCH",
        "labels/2/",
        Some(&json!({"description": "e"})),
        Some(&t),
        &[("PDC-Change-Comment", "because")],
    )
    .await;
    let cs = s.get("changesets/?comment=becau").await.json();
    assert_eq!(cs["count"], 1);
    assert_eq!(cs["results"][0]["changes"][0]["resource"], "label");
    assert_eq!(s.get("changesets/?comment=Becau").await.json()["count"], 0);
    assert_eq!(
        s.get("changesets/?resource=label&author=admin")
            .await
            .json()["count"],
        4
    );
    assert_resp!(
        s.get("changesets/?changed_since=x").await,
        400,
        json!({"detail": ["'x' value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."]})
    );
    assert_eq!(
        s.get("changesets/?changed_since=2000-01-01").await.json()["count"],
        4
    );
    assert_eq!(
        s.get("changesets/?changed_until=2000-01-01 10:00")
            .await
            .json()["count"],
        0
    );
}

#[tokio::test]
async fn options_cors_and_last_modified_on_writes() {
    let s = Server::start().await;
    // A plain OPTIONS gets DRF-style metadata; the write actions only for
    // a user allowed to use them (PUT first), PUT only on an object that
    // exists (as on PDC).
    let r = s.send("OPTIONS", "labels/", None, None, &[]).await;
    assert_eq!(r.status, 200);
    let meta = r.json();
    assert_eq!(meta["name"], "Label List");
    assert_eq!(meta.get("actions"), None);
    let admin = Some(s.token.as_str());
    let meta = s.send("OPTIONS", "labels/", None, admin, &[]).await.json();
    let actions: Vec<&String> = meta["actions"].as_object().unwrap().keys().collect();
    assert_eq!(actions, ["PUT", "POST"]);
    assert_eq!(meta["actions"]["POST"]["name"]["required"], true);
    let meta = s
        .send("OPTIONS", "labels/1/", None, admin, &[])
        .await
        .json();
    assert_eq!(
        (meta["name"].as_str(), meta.get("actions")),
        (Some("Label Instance"), None)
    );
    s.post("labels/", json!({"name": "l", "description": "d"}))
        .await;
    let meta = s
        .send("OPTIONS", "labels/1/", None, admin, &[])
        .await
        .json();
    let actions: Vec<&String> = meta["actions"].as_object().unwrap().keys().collect();
    assert_eq!(actions, ["PUT"]);
    // A CORS preflight is answered for any origin.
    let r = s
        .send(
            "OPTIONS",
            "labels/",
            None,
            None,
            &[
                ("Origin", "https://ui.example.com"),
                ("Access-Control-Request-Method", "POST"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://ui.example.com")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    // Conditional resources send Last-Modified on writes and errors too,
    // with the value from before the request.
    let r = s.post("arches/", json!({"name": "x1"})).await;
    assert_eq!(
        r.header("last-modified"),
        Some("Fri, 02 Jan 1970 00:00:00 GMT")
    );
    let r = s.post("arches/", json!({})).await;
    assert_eq!(r.status, 400);
    assert_ne!(
        r.header("last-modified"),
        Some("Fri, 02 Jan 1970 00:00:00 GMT")
    );
    assert!(s.get("labels/").await.header("last-modified").is_none());
}

/// DRF's format-suffix routes (`arches.json`, `products/p.json`), verified
/// on PDC: JSON answers, pagination links keep the path as given, and a
/// lookup that may hold dots stays a plain lookup.
#[tokio::test]
async fn format_suffix_routes() {
    let s = Server::start().await;
    let r = s.get("arches.json?page_size=1").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["count"], 48);
    assert_eq!(
        v["next"],
        format!("{}/rest_api/v1/arches.json?page=2&page_size=1", s.url)
    );
    let slashed = s.get("arches.json/?page_size=1").await.json();
    assert_eq!(slashed["results"], v["results"]);
    s.post("products/", json!({"name": "P", "short": "p"}))
        .await;
    let p = s.get("products/p/").await.json();
    assert_resp!(s.get("products/p.json").await, 200, p.clone());
    // Product lookups stop at dots, release ids may hold them.
    assert_resp!(s.get("products/p.json/").await, 200, p);
    assert_resp!(
        s.get("releases/r.json/").await,
        404,
        json!({"detail": "Not found."})
    );
    assert_eq!(s.get("nope.json").await.status, 404);
}
