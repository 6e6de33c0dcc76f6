//! What the recorded scenarios cannot check: PDC's release tests that look
//! at `Last-Modified` (ReleaseLastModifiedResponseTestCase,
//! ProductLastModifiedResponseTestCase) and the ones that run with
//! `RELEASE_DEFAULT_SIGKEY` set (the recorded PDC runs without it).

use std::time::{Duration, UNIX_EPOCH};

use pdc_tests::{Server, assert_resp, json};

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
        let r = s.post(path, body).await;
        assert_eq!(r.status, 201, "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn release_last_modified() {
    let s = Server::start().await;
    release_fixtures(&s).await;

    // test_after_create_last_modified_time_should_change
    let before = last_modified(&s, "releases/?active=True").await;
    tick().await;
    let r = s
        .post(
            "releases/",
            json!({"name": "Fedora", "short": "f", "version": "20", "release_type": "ga"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let after = last_modified(&s, "releases/?active=True").await;
    assert!(after > before, "{before} -> {after}");
    // The value is global: a detail moves with any release change.
    let before = last_modified(&s, "releases/release-1.0/").await;
    tick().await;
    let r = s
        .post(
            "releases/",
            json!({"name": "Fedora", "short": "f", "version": "21", "release_type": "ga"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(last_modified(&s, "releases/release-1.0/").await > before);

    // test_after_update_last_modified_time_should_change
    let before = last_modified(&s, "releases/?active=True").await;
    tick().await;
    let r = s
        .patch("releases/release-1.0/", json!({"active": false}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(last_modified(&s, "releases/?active=True").await > before);
    let before = last_modified(&s, "releases/release-1.0/").await;
    tick().await;
    let r = s
        .patch("releases/release-1.0/", json!({"name": "test_name"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(last_modified(&s, "releases/release-1.0/").await > before);

    // Base product and product version changes count, product ones do not.
    let before = last_modified(&s, "releases/").await;
    tick().await;
    assert_eq!(
        s.patch("products/product/", json!({"name": "P"}))
            .await
            .status,
        200
    );
    assert_eq!(last_modified(&s, "releases/").await, before);
    assert_eq!(
        s.patch("base-products/product-1/", json!({"name": "B"}))
            .await
            .status,
        200
    );
    let after = last_modified(&s, "releases/").await;
    assert!(after > before);
    tick().await;
    assert_eq!(
        s.patch("product-versions/product-1/", json!({"name": "V"}))
            .await
            .status,
        200
    );
    assert!(last_modified(&s, "releases/").await > after);

    // If-Modified-Since at or after the value: 304 with no body.
    let r = s.get("releases/").await;
    let stamp = r.header("last-modified").unwrap().to_string();
    let r = s
        .send(
            "GET",
            "releases/release-1.0/",
            None,
            None,
            &[("If-Modified-Since", &stamp)],
        )
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
    let before = last_modified(&s, "products/").await;
    tick().await;
    let r = s
        .post("products/", json!({"name": "Fedora", "short": "f"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let after = last_modified(&s, "products/").await;
    assert!(after > before);

    // test_after_update_last_modified_time_should_change
    tick().await;
    let r = s
        .patch("products/product/", json!({"name": "changed_name"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = after;
    let after = last_modified(&s, "products/product/").await;
    assert!(after > before);

    // test_change_product_verion_modified_time_should_change
    tick().await;
    let r = s
        .post(
            "product-versions/",
            json!({"name": "Our Awesome Product", "short": "product", "version": "2",
                   "product": "product"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let before = after;
    let after = last_modified(&s, "products/").await;
    assert!(after > before);

    // Release and base product changes do not count.
    tick().await;
    assert_eq!(
        s.patch("releases/release-1.0/", json!({"name": "R"}))
            .await
            .status,
        200
    );
    assert_eq!(
        s.patch("base-products/product-1/", json!({"name": "B"}))
            .await
            .status,
        200
    );
    assert_eq!(last_modified(&s, "products/").await, after);
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
    let r = s
        .post(
            "base-products/",
            json!({"name": "P", "short": "product", "version": "1", "release_type": "ga"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s
        .post(
            "releases/",
            json!({"name": "TestSigkey", "short": "supp", "version": "1.1",
                   "release_type": "ga", "base_product": "product-1"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s.get("releases/?name=TestSigkey").await.json();
    assert_eq!(r["results"][0]["sigkey"], "ABCDEF");

    // An explicit key is kept; PATCH without the key leaves it; a null key
    // and PUT without one give the default again.
    let r = s
        .post("sigkeys/", json!({"key_id": "cafebabe", "name": "other"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
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
