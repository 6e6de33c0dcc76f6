//! What the recorded scenarios cannot check: PDC's release tests that look
//! at `Last-Modified` (ReleaseLastModifiedResponseTestCase,
//! ProductLastModifiedResponseTestCase) and the ones that run with
//! `RELEASE_DEFAULT_SIGKEY` set (the recorded PDC runs without it).

use std::time::{Duration, UNIX_EPOCH};

use pdc_tests::{Server, Value, assert_resp, json};

/// Seconds since the epoch of the `Last-Modified` of a GET.
async fn last_modified(s: &Server, path: &str) -> u64 {
    let r = s.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    let value = r
        .header("last-modified")
        .unwrap_or_else(|| panic!("{path}: no Last-Modified"));
    httpdate::parse_http_date(value)
        .expect("HTTP date")
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A write that must succeed; returns the answer's JSON.
async fn write(s: &Server, method: &str, path: &str, body: Value) -> Value {
    let r = s.send(method, path, Some(&body), Some(&s.token), &[]).await;
    assert!(matches!(r.status, 200 | 201), "{method} {path}: {}", r.text);
    r.json()
}

/// Lets the one-second clock of `Last-Modified` move on.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

/// The fixtures of the release tests: release.json, product.json,
/// base_product.json, product_version.json, releasedistgitmapping.json.
async fn release_fixtures(s: &Server) {
    for (path, body) in [
        (
            "releases/",
            json!({"release_type": "ga", "short": "release", "name": "Test Release",
                   "version": "1.0", "dist_git": {"branch": "release_branch"}}),
        ),
        (
            "products/",
            json!({"name": "Test Product", "short": "product"}),
        ),
        (
            "products/",
            json!({"name": "Dummy product", "short": "dummy"}),
        ),
        (
            "base-products/",
            json!({"short": "product", "version": "1", "name": "Our awesome product",
                   "release_type": "ga"}),
        ),
        (
            "product-versions/",
            json!({"name": "Product Version", "short": "product", "version": "1",
                   "product": "product"}),
        ),
        (
            "product-versions/",
            json!({"name": "Product Version", "short": "product", "version": "0",
                   "product": "product"}),
        ),
    ] {
        write(s, "POST", path, body).await;
    }
}

/// Whether a write moves the `Last-Modified` of `path` (after a second).
async fn moves(s: &Server, path: &str, method: &str, target: &str, body: Value) -> bool {
    let before = last_modified(s, path).await;
    tick().await;
    write(s, method, target, body).await;
    last_modified(s, path).await > before
}

#[tokio::test]
async fn release_last_modified() {
    let s = Server::start().await;
    release_fixtures(&s).await;
    let f = |version: &str| json!({"name": "Fedora", "short": "f", "version": version, "release_type": "ga"});
    // test_after_create_last_modified_time_should_change; the value is
    // global, a detail moves with any release change.
    assert!(moves(&s, "releases/?active=True", "POST", "releases/", f("20")).await);
    assert!(moves(&s, "releases/release-1.0/", "POST", "releases/", f("21")).await);
    // test_after_update_last_modified_time_should_change
    let release = "releases/release-1.0/";
    assert!(
        moves(
            &s,
            "releases/?active=True",
            "PATCH",
            release,
            json!({"active": false})
        )
        .await
    );
    assert!(moves(&s, release, "PATCH", release, json!({"name": "test_name"})).await);
    // Base product and product version changes count, product ones do not.
    let name = json!({"name": "X"});
    assert!(!moves(&s, "releases/", "PATCH", "products/product/", name.clone()).await);
    assert!(
        moves(
            &s,
            "releases/",
            "PATCH",
            "base-products/product-1/",
            name.clone()
        )
        .await
    );
    assert!(
        moves(
            &s,
            "releases/",
            "PATCH",
            "product-versions/product-1/",
            name
        )
        .await
    );

    // If-Modified-Since at or after the value: 304 with no body.
    let r = s.get("releases/").await;
    let stamp = r.header("last-modified").unwrap().to_string();
    let r = s
        .send("GET", release, None, None, &[("If-Modified-Since", &stamp)])
        .await;
    assert_eq!((r.status, r.text.as_str()), (304, ""));
    // Product versions and release types send no Last-Modified.
    for path in [
        "product-versions/",
        "product-versions/product-1/",
        "release-types/",
    ] {
        assert_eq!(s.get(path).await.header("last-modified"), None, "{path}");
    }
}

#[tokio::test]
async fn product_last_modified() {
    let s = Server::start().await;
    release_fixtures(&s).await;
    // test_after_create_last_modified_time_should_change
    let f = json!({"name": "Fedora", "short": "f"});
    assert!(moves(&s, "products/", "POST", "products/", f).await);
    // test_after_update_last_modified_time_should_change
    let name = json!({"name": "changed_name"});
    assert!(
        moves(
            &s,
            "products/product/",
            "PATCH",
            "products/product/",
            name.clone()
        )
        .await
    );
    // test_change_product_verion_modified_time_should_change
    let pv = json!({"name": "Our Awesome Product", "short": "product", "version": "2",
                    "product": "product"});
    assert!(moves(&s, "products/", "POST", "product-versions/", pv).await);
    // Release and base product changes do not count.
    assert!(
        !moves(
            &s,
            "products/",
            "PATCH",
            "releases/release-1.0/",
            name.clone()
        )
        .await
    );
    assert!(!moves(&s, "products/", "PATCH", "base-products/product-1/", name).await);
}

/// ReleaseRESTTestCase and ReleaseUpdateRESTTestCase run with
/// `RELEASE_DEFAULT_SIGKEY = "ABCDEF"`: a release written with no (or a
/// null) sigkey gets that key, created when missing.
#[tokio::test]
async fn default_sigkey() {
    let s = Server::start_with(&[("PDC_RELEASE_DEFAULT_SIGKEY", "ABCDEF")]).await;
    // test_create_without_product_version
    assert_resp!(
        s.post(
            "releases/",
            json!({"name": "Fedora", "short": "f", "version": "20", "release_type": "ga"})
        )
        .await,
        201,
        json!({"release_id": "f-20", "short": "f", "version": "20", "name": "Fedora",
               "base_product": null, "active": true, "product_version": null,
               "release_type": "ga", "compose_set": [], "integrated_with": null,
               "sigkey": "ABCDEF", "allow_buildroot_push": false,
               "allowed_debuginfo_services": [], "allowed_push_targets": [],
               "bugzilla": null, "dist_git": null})
    );
    assert_resp!(
        s.get("sigkeys/").await,
        200,
        json!({"count": 1, "next": null, "previous": null,
               "results": [{"name": null, "key_id": "ABCDEF", "description": ""}]})
    );
    // test_create_with_default_sigkey
    write(
        &s,
        "POST",
        "base-products/",
        json!({"name": "P", "short": "product", "version": "1", "release_type": "ga"}),
    )
    .await;
    write(
        &s,
        "POST",
        "releases/",
        json!({"name": "TestSigkey", "short": "supp", "version": "1.1",
                   "release_type": "ga", "base_product": "product-1"}),
    )
    .await;
    let r = s.get("releases/?name=TestSigkey").await.json();
    assert_eq!(r["results"][0]["sigkey"], "ABCDEF");

    // An explicit key is kept; PATCH without the key leaves it; a null key
    // and PUT without one give the default again.
    write(
        &s,
        "POST",
        "sigkeys/",
        json!({"key_id": "cafebabe", "name": "other"}),
    )
    .await;
    let sigkey = |body| async { s.patch("releases/f-20/", body).await.json()["sigkey"].clone() };
    assert_eq!(sigkey(json!({"sigkey": "cafebabe"})).await, "cafebabe");
    assert_eq!(sigkey(json!({"name": "F"})).await, "cafebabe");
    assert_eq!(sigkey(json!({"sigkey": null})).await, "ABCDEF");
    assert_eq!(sigkey(json!({"sigkey": "cafebabe"})).await, "cafebabe");
    let r = s
        .put(
            "releases/f-20/",
            json!({"name": "F", "short": "f", "version": "20", "release_type": "ga"}),
        )
        .await;
    assert_eq!(r.json()["sigkey"], "ABCDEF", "{}", r.text);
    assert_eq!(s.get("sigkeys/").await.json()["count"], 2);
}
