//! Tokens, current user, groups and resource permissions.

use pdc_tests::{Server, assert_resp, json};

#[tokio::test]
async fn permissions_and_grants() {
    let s = Server::start().await;
    let alice = s.user_token("alice", &["devs"]);
    // Reads are open; writes need a grant.
    assert_eq!(
        s.send("GET", "labels/", None, Some(&alice), &[])
            .await
            .status,
        200
    );
    let body = json!({"name": "l", "description": "d"});
    assert_resp!(
        s.send("POST", "labels/", Some(&body), Some(&alice), &[])
            .await,
        403,
        json!({"detail": "You do not have permission to perform this action."})
    );
    let v = s
        .get("auth/resource-permissions/?resource=labels&ordering=-permission")
        .await
        .json();
    assert_eq!(
        v["results"],
        json!([
            {"resource": "labels", "permission": "update"},
            {"resource": "labels", "permission": "read"},
            {"resource": "labels", "permission": "delete"},
            {"resource": "labels", "permission": "create"}
        ])
    );
    // Not strict: unknown params are ignored there.
    assert_eq!(s.get("auth/resource-permissions/?foo=1").await.status, 200);
    let grp = s.send("GET", "auth/groups/", None, None, &[]).await.json();
    assert_eq!(grp["results"][0]["name"], "devs");
    let r = s
        .post(
            "auth/group-resource-permissions/",
            json!({"group": "devs", "resource": "labels", "permission": "create"}),
        )
        .await;
    assert_resp!(
        r,
        201,
        json!({"id": 1, "group": "devs", "resource": "labels", "permission": "create"})
    );
    assert_resp!(
        s.post(
            "auth/group-resource-permissions/",
            json!({"group": "devs", "resource": "labels", "permission": "create"})
        )
        .await,
        400,
        json!({"detail": ["The fields resource, permission, group must make a unique set."]})
    );
    assert_resp!(
        s.post(
            "auth/group-resource-permissions/",
            json!({"group": "devs", "resource": "labels", "permission": "fly"})
        )
        .await,
        400,
        json!({"detail": ["Can't find corresponding resource permission. Resource: labels, permission fly"]})
    );
    assert_resp!(
        s.post(
            "auth/group-resource-permissions/",
            json!({"group": "x", "resource": "labels", "permission": "read"})
        )
        .await,
        400,
        json!({"group": ["Object with name=x does not exist."]})
    );
    assert_eq!(
        s.send("POST", "labels/", Some(&body), Some(&alice), &[])
            .await
            .status,
        201
    );
    assert_eq!(
        s.send("DELETE", "labels/1/", None, Some(&alice), &[])
            .await
            .status,
        403
    );
    let cu = s
        .send("GET", "auth/current-user/", None, Some(&alice), &[])
        .await
        .json();
    assert_eq!(cu["username"], "alice");
    assert_eq!(cu["groups"], json!(["devs"]));
    assert!(
        cu["resource_permissions"]
            .as_array()
            .unwrap()
            .contains(&json!({"resource": "labels", "permission": "create"}))
    );
    assert_resp!(
        s.get("auth/current-user/").await,
        401,
        json!({"detail": "Access denied to unauthorized users."})
    );
    // Groups: no create, PATCH permissions.
    assert_eq!(
        s.post("auth/groups/", json!({"name": "x"})).await.status,
        405
    );
    let r = s
        .patch("auth/groups/1/", json!({"permissions": [{"codename": "add_arch", "app_label": "common", "model": "arch"}]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json()["permissions"],
        json!([{"codename": "add_arch", "app_label": "common", "model": "arch"}])
    );
    assert_eq!(
        s.get("auth/groups/?permission_codename=add_arch")
            .await
            .json()["count"],
        1
    );
    assert_eq!(
        s.get("auth/permissions/?app_label=common&model=arch")
            .await
            .json()["count"],
        3
    );
}

#[tokio::test]
async fn tokens() {
    let s = Server::start_with(&[("PDC_REMOTE_USER_HEADER", "X-Remote-User")]).await;
    assert_resp!(
        s.get("auth/token/obtain/").await,
        401,
        json!({"detail": "Authentication credentials were not provided."})
    );
    let r = s
        .send(
            "GET",
            "auth/token/obtain/",
            None,
            None,
            &[("X-Remote-User", "bob@EXAMPLE.COM")],
        )
        .await;
    assert_eq!(r.status, 200);
    let token = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 40);
    let cu = s
        .send("GET", "auth/current-user/", None, Some(&token), &[])
        .await
        .json();
    assert_eq!(cu["username"], "bob");
    let r = s
        .send("PUT", "auth/token/refresh/", None, Some(&token), &[])
        .await;
    let new = r.json()["token"].as_str().unwrap().to_string();
    assert_ne!(new, token);
    assert_resp!(
        s.send("GET", "arches/", None, Some(&token), &[]).await,
        401,
        json!({"detail": "Invalid token."})
    );
    let r = s
        .send(
            "GET",
            "auth/token/refresh/",
            None,
            None,
            &[("X-Remote-User", "carol")],
        )
        .await;
    assert_resp!(
        r,
        400,
        json!({"Refresh Token Error": "You have not got a token yet, please try obtain first."})
    );
    assert_resp!(
        s.send("GET", "arches/", None, None, &[("Authorization", "Token")])
            .await,
        401,
        json!({"detail": "Invalid token header. No credentials provided."})
    );
    assert_resp!(
        s.send(
            "GET",
            "arches/",
            None,
            None,
            &[("Authorization", "Token a b")]
        )
        .await,
        401,
        json!({"detail": "Invalid token header. Token string should not contain spaces."})
    );
}

#[tokio::test]
async fn api_root_and_docs() {
    let s = Server::start().await;
    let root = s.get("").await.json();
    assert_eq!(
        root["arches"],
        json!(format!("{}/rest_api/v1/arches/", s.url))
    );
    assert_eq!(
        root["auth/token"],
        json!(format!("{}/rest_api/v1/auth/token/", s.url))
    );
    let keys: Vec<&String> = root.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let root = s.get("?format=json").await.json();
    assert_eq!(
        root["arches"],
        json!(format!("{}/rest_api/v1/arches/?format=json", s.url))
    );
    assert_eq!(s.get("?format=xml").await.status, 404);
    let spec = s.get("/rest_api/openapi.json").await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/rest_api/v1/arches/"]["get"].is_object());
    assert_eq!(s.get("/rest_api/docs/").await.status, 200);
}

#[tokio::test]
async fn committed_openapi_is_current() {
    let s = Server::start().await;
    let served = s.get("/rest_api/openapi.json").await.json();
    let path = pdc_tests::repo_root().join("openapi/pdc.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("openapi/pdc.json exists"))
            .expect("JSON");
    assert!(
        served == committed,
        "openapi/pdc.json is stale: regenerate it with `target/debug/pdc openapi > openapi/pdc.json`"
    );
}
