//! Contacts: what the recorded scenarios cannot show (caching headers,
//! changesets, all-or-nothing bulk writes) and `persons`, the old name of
//! `contacts/people` that the original no longer serves.

use pdc_tests::{Server, Value, assert_resp, fixtures, json};

const NEVER_CACHE: &str = "no-cache, no-store, must-revalidate, max-age=0";

/// Changes of the newest changeset as `(resource, resource_id)`.
async fn last_changes(s: &Server) -> Vec<(String, String)> {
    let v = s.get("changesets/?page_size=1").await.json();
    v["results"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            let field = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (field("resource"), field("resource_id"))
        })
        .collect()
}

fn changes(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(r, id)| (r.to_string(), id.to_string()))
        .collect()
}

#[tokio::test]
async fn component_contacts_are_never_cached() {
    let s = Server::start().await;
    fixtures::contacts(&s);
    let global = json!({"component": "python", "role": "pm", "contact": {"username": "person1"}});
    assert_eq!(
        s.post("global-component-contacts/", global).await.status,
        201
    );
    let release =
        json!({"component": {"id": 1}, "role": "pm", "contact": {"mail_name": "maillist1"}});
    assert_eq!(
        s.post("release-component-contacts/", release).await.status,
        201
    );
    for prefix in ["global-component-contacts", "release-component-contacts"] {
        for path in [
            format!("{prefix}/"),
            format!("{prefix}/1/"),
            format!("{prefix}/?role=pm&page_size=-1"),
        ] {
            for method in ["GET", "HEAD"] {
                let r = s.send(method, &path, None, None, &[]).await;
                assert_eq!(r.status, 200, "{method} {path}");
                assert_eq!(
                    r.header("cache-control"),
                    Some(NEVER_CACHE),
                    "{method} {path}"
                );
                let expires = r.header("expires").expect("Expires");
                assert!(expires.ends_with(" GMT"), "{expires}");
            }
        }
        // Errors and writes carry no caching advice, as in PDC.
        for path in [
            format!("{prefix}/9/"),
            format!("{prefix}/?component=*abc"),
            format!("{prefix}/?foo=1"),
        ] {
            let r = s.get(&path).await;
            assert!(r.status >= 400, "{path}");
            assert_eq!(r.header("cache-control"), None, "{path}");
        }
        let r = s.post(&format!("{prefix}/"), json!({})).await;
        assert_eq!((r.status, r.header("cache-control")), (400, None));
    }
    for path in [
        "contact-roles/",
        "contact-roles/pm/",
        "contacts/people/",
        "contacts/mailing-lists/1/",
    ] {
        let r = s.get(path).await;
        assert_eq!((r.status, r.header("cache-control")), (200, None), "{path}");
    }
}

#[tokio::test]
async fn protected_deletes_change_nothing() {
    let s = Server::start().await;
    fixtures::contacts(&s);
    let global =
        json!({"component": "python", "role": "qe_ack", "contact": {"username": "person1"}});
    assert_eq!(
        s.post("global-component-contacts/", global).await.status,
        201
    );
    let release =
        json!({"component": {"id": 2}, "role": "watcher", "contact": {"mail_name": "maillist1"}});
    assert_eq!(
        s.post("release-component-contacts/", release).await.status,
        201
    );
    let before = s.changeset_count().await;
    for _ in 0..3 {
        for path in [
            "contacts/people/3/",
            "contacts/mailing-lists/1/",
            "contact-roles/qe_ack/",
            "contact-roles/watcher/",
        ] {
            let r = s.delete(path).await;
            assert_eq!(r.status, 400, "{path}");
            let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
            assert!(detail.contains("protected"), "{detail}");
        }
    }
    // In bulk, the unused person deleted first comes back with the rest.
    let r = s.delete_body("contacts/people/", json!([4, 3])).await;
    assert_eq!(
        (r.status, r.json()["id_of_invalid_data"].clone()),
        (400, json!(3))
    );
    assert_eq!(s.changeset_count().await, before);
    assert_eq!(s.get("contacts/people/4/").await.status, 200);
    assert_eq!(
        s.get("contacts/people/?page_size=-1")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // Once unused, they go, each as one change.
    assert_eq!(s.delete("global-component-contacts/1/").await.status, 204);
    assert_eq!(s.delete("release-component-contacts/1/").await.status, 204);
    assert_eq!(
        s.delete_body("contacts/people/", json!([4, 3]))
            .await
            .status,
        204
    );
    assert_eq!(
        last_changes(&s).await,
        changes(&[("person", "4"), ("person", "3")])
    );
    assert_eq!(s.delete("contact-roles/qe_ack/").await.status, 204);
    assert_eq!(s.delete("contacts/mailing-lists/1/").await.status, 204);
    assert_eq!(s.changeset_count().await, before + 5);
    // The contact row went with the mailing list: its id is free of both kinds.
    s.sql("DO $$ BEGIN IF EXISTS (SELECT 1 FROM contact WHERE id IN (1, 3, 4)) THEN RAISE 'contact rows left'; END IF; END $$");
}

#[tokio::test]
async fn bulk_writes_are_all_or_nothing() {
    let s = Server::start().await;
    fixtures::contacts(&s);
    let before = s.changeset_count().await;
    // The second item exceeds pm's limit: not even the person the first
    // item created stays.
    let items = json!([
        {"component": "java", "role": "pm", "contact": {"username": "new1", "email": "n1@test.com"}},
        {"component": "java", "role": "pm", "contact": {"username": "new2", "email": "n2@test.com"}}
    ]);
    assert_resp!(
        s.post("global-component-contacts/", items).await,
        400,
        json!({
            "invalid_data": {"role": "pm", "contact": {"username": "new2", "email": "n2@test.com"}, "component": "java"},
            "detail": ["Exceed contact role limit for the component. The limit is 1."],
            "id_of_invalid_data": 1
        })
    );
    assert_eq!(
        s.get("contacts/people/?username=new1").await.json()["count"],
        0
    );
    assert_eq!(s.changeset_count().await, before);

    // One changeset holds the created person and both assignments.
    let items = json!([
        {"component": "java", "role": "pm", "contact": {"username": "new1", "email": "n1@test.com"}},
        {"component": "java", "role": "watcher", "contact": {"mail_name": "maillist1"}}
    ]);
    let r = s.post("global-component-contacts/", items).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The failed request used up ids, as sequences do (PDC's too).
    let new_person = r.json()[0]["contact"]["id"].as_i64().expect("contact id");
    assert_eq!((new_person, r.json()[0]["id"].clone()), (7, json!(2)));
    assert_eq!(
        last_changes(&s).await,
        changes(&[
            ("person", "7"),
            ("globalcomponentcontact", "2"),
            ("globalcomponentcontact", "3")
        ])
    );
    let v = s.get("changesets/?page_size=1").await.json();
    assert_eq!(
        v["results"][0]["changes"][0]["new_value"],
        "{\"username\": \"new1\", \"email\": \"n1@test.com\"}"
    );

    // Bulk update and delete, rolled back as a whole on a failing item.
    let patch = json!({"2": {"role": "cc"}, "3": {"role": "nope"}});
    let r = s.patch("global-component-contacts/", patch).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        s.get("global-component-contacts/2/").await.json()["role"],
        "pm"
    );
    let patch = json!({"2": {"role": "cc"}, "3": {"contact": {"username": "person2"}}});
    let r = s.patch("global-component-contacts/", patch).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.json()["2"]["role"].clone(),
            r.json()["3"]["contact"]["id"].clone()
        ),
        (json!("cc"), json!(4))
    );
    assert_eq!(
        s.delete_body("global-component-contacts/", json!([2, 3, 4]))
            .await
            .status,
        404
    );
    assert_eq!(
        s.get("global-component-contacts/?page_size=-1")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        s.delete_body("global-component-contacts/", json!(["2", 3]))
            .await
            .status,
        204
    );
    assert_eq!(
        last_changes(&s).await,
        changes(&[
            ("globalcomponentcontact", "2"),
            ("globalcomponentcontact", "3")
        ])
    );
    assert_eq!(s.changeset_count().await, before + 3);
}

#[tokio::test]
async fn role_changes_and_limits_are_recorded() {
    let s = Server::start().await;
    fixtures::contacts(&s);
    let r = s
        .put("contact-roles/allow_3_role/", json!({"name": "triple"}))
        .await;
    assert_resp!(r, 200, json!({"name": "triple", "count_limit": 1}));
    let v: Value = s.get("changesets/?page_size=1").await.json();
    let change = &v["results"][0]["changes"][0];
    assert_eq!(
        (
            change["resource"].clone(),
            change["old_value"].clone(),
            change["new_value"].clone()
        ),
        (
            json!("contactrole"),
            json!("{\"count_limit\": 3, \"name\": \"allow_3_role\"}"),
            json!("{\"count_limit\": 1, \"name\": \"triple\"}")
        )
    );
    assert_eq!(s.get("contact-roles/allow_3_role/").await.status, 404);
    // An unchanged PATCH records nothing.
    let before = s.changeset_count().await;
    assert_eq!(
        s.patch("contact-roles/triple/", json!({"count_limit": 1}))
            .await
            .status,
        200
    );
    assert_eq!(s.changeset_count().await, before);
}

#[tokio::test]
async fn persons_is_the_old_name_of_contacts_people() {
    let s = Server::start().await;
    fixtures::contacts(&s);
    // pdc-updater's NewPersonHandler posts this, and its audit pages through the list.
    assert_resp!(
        s.post(
            "persons/",
            json!({"username": "jdoe", "email": "jdoe@fedoraproject.org"})
        )
        .await,
        201,
        json!({"id": 5, "username": "jdoe", "email": "jdoe@fedoraproject.org"})
    );
    assert_resp!(
        s.post(
            "persons/",
            json!({"username": "jdoe", "email": "jdoe@fedoraproject.org"})
        )
        .await,
        400,
        json!({"username": ["person with this username already exists."]})
    );
    let old = s.get("persons/?page_size=-1").await.json();
    assert_eq!(old, s.get("contacts/people/?page_size=-1").await.json());
    assert_eq!(old.as_array().map(Vec::len), Some(3));
    let page = s.get("persons/?username=jdoe").await.json();
    assert_eq!(page["results"][0]["id"], 5);
    assert_eq!(s.get("persons/1/").await.status, 404);
    assert_resp!(
        s.patch("persons/5/", json!({"email": "john@example.com"}))
            .await,
        200,
        json!({"id": 5, "username": "jdoe", "email": "john@example.com"})
    );
    assert_eq!(last_changes(&s).await, changes(&[("person", "5")]));
    let root = s.get("").await.json();
    assert_eq!(root["persons"], s.api("persons/"));
    // Its own resource, so its own grants.
    let perms = s
        .get("auth/resource-permissions/?resource=persons")
        .await
        .json();
    assert_eq!(perms["count"], 4);
    let alice = s.user_token("alice", &["devs"]);
    let grant = json!({"group": "devs", "resource": "contacts/people", "permission": "create"});
    assert_eq!(
        s.post("auth/group-resource-permissions/", grant)
            .await
            .status,
        201
    );
    let body = json!({"username": "ann", "email": "ann@example.com"});
    let r = s
        .send("POST", "persons/", Some(&body), Some(&alice), &[])
        .await;
    assert_eq!(r.status, 403);
    let r = s
        .send("POST", "contacts/people/", Some(&body), Some(&alice), &[])
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(s.delete("persons/6/").await.status, 204);
}
