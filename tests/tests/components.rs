//! Components: what the recorded scenarios cannot show (headers, changeset
//! contents, bulk requests with `include_inactive_release`, settings), and a
//! replay of pdc-updater's writes for a new package.

use pdc_tests::{Server, Value, assert_resp, json};

/// `(resource, resource_id)` of the changes of the newest changeset.
async fn last_changes(s: &Server) -> Vec<(String, String)> {
    let cs = s.get("changesets/?page_size=1").await.json();
    cs["results"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["resource"].as_str().unwrap_or_default().to_string(),
                c["resource_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn changes(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(r, i)| (r.to_string(), i.to_string()))
        .collect()
}

/// A release (with a dist-git branch), an inactive one, two global components.
async fn releases_and_components(s: &Server) {
    for body in [
        json!({"name": "Test Release", "short": "release", "version": "1.0",
               "release_type": "ga", "dist_git": {"branch": "release_branch"}}),
        json!({"name": "Old", "short": "old", "version": "1", "release_type": "ga"}),
    ] {
        assert_eq!(s.post("releases/", body).await.status, 201);
    }
    for name in ["python", "MySQL-python"] {
        assert_eq!(
            s.post("global-components/", json!({"name": name}))
                .await
                .status,
            201
        );
    }
}

#[tokio::test]
async fn bugzilla_create_of_an_existing_node() {
    let s = Server::start().await;
    let r = s
        .post("bugzilla-components/", json!({"name": "python"}))
        .await;
    assert_eq!((r.status, r.header("pdc-warning")), (201, None));
    let count = s.changeset_count().await;

    let r = s
        .post(
            "bugzilla-components/",
            json!({"name": "python", "parent_pk": null}),
        )
        .await;
    assert_resp!(
        r,
        200,
        json!({"id": 1, "name": "python", "parent_component": null, "subcomponents": []})
    );
    assert_eq!(
        r.header("pdc-warning"),
        Some("The bugzilla component already exists")
    );
    assert_eq!(s.changeset_count().await, count, "nothing changed");

    // In bulk the item is part of a 201 answer, without the header.
    let r = s
        .post(
            "bugzilla-components/",
            json!([{"name": "lib", "parent_pk": 1}, {"name": "python"}]),
        )
        .await;
    assert_eq!((r.status, r.header("pdc-warning")), (201, None));
    assert_eq!(r.json()[1]["id"], 1);
    assert_eq!(
        last_changes(&s).await,
        changes(&[("bugzillacomponent", "2")])
    );
}

#[tokio::test]
async fn changesets() {
    let s = Server::start().await;
    releases_and_components(&s).await;

    // A new upstream is logged (as PDC's export) before the component.
    let upstream = json!({"homepage": "http://python.org", "scm_type": "git",
                          "scm_url": "http://git.python.org/x"});
    let r = s
        .post(
            "global-components/",
            json!({"name": "java", "upstream": upstream}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        last_changes(&s).await,
        changes(&[("upstream", "1"), ("globalcomponent", "3")])
    );
    let cs = s.get("changesets/?page_size=1").await.json();
    assert_eq!(
        cs["results"][0]["changes"][0]["new_value"],
        r#"{"homepage": "http://python.org", "scm_url": "http://git.python.org/x", "scm_type": "git"}"#
    );
    // Reusing it, or writing the same values again, logs no upstream.
    let count = s.changeset_count().await;
    assert_eq!(
        s.put("global-components/3/", json!({"name": "java"}))
            .await
            .status,
        200
    );
    assert_eq!(s.changeset_count().await, count);

    // Labels: one change of the component per attach or detach.
    s.post("labels/", json!({"name": "l1", "description": "d"}))
        .await;
    s.post("labels/", json!({"name": "l2", "description": "d"}))
        .await;
    let count = s.changeset_count().await;
    assert_eq!(
        s.post(
            "global-components/1/labels/",
            json!([{"name": "l1"}, {"name": "l2"}])
        )
        .await
        .status,
        201
    );
    assert_eq!(
        last_changes(&s).await,
        changes(&[("globalcomponent", "1"), ("globalcomponent", "1")])
    );
    assert_eq!(
        s.post("global-components/1/labels/", json!({"name": "l1"}))
            .await
            .status,
        201
    );
    assert_eq!(s.changeset_count().await, count + 1, "attached already");
    assert_eq!(s.delete("global-components/1/labels/2/").await.status, 204);
    assert_eq!(last_changes(&s).await, changes(&[("globalcomponent", "1")]));

    // A release component's SRPM mapping is logged after the component.
    let rc = json!({"release": "release-1.0", "global_component": "python",
                    "name": "python27", "srpm": {"name": "python"}});
    assert_eq!(s.post("release-components/", rc).await.status, 201);
    assert_eq!(
        last_changes(&s).await,
        changes(&[
            ("releasecomponent", "1"),
            ("releasecomponentsrpmnamemapping", "1")
        ])
    );
    let cs = s.get("changesets/?page_size=1").await.json();
    assert_eq!(
        cs["results"][0]["changes"][1]["new_value"],
        r#"{"release_component_name": "python27", "release_component_id": 1, "srpm_name": "python"}"#
    );
    let count = s.changeset_count().await;
    assert_eq!(
        s.patch("release-components/1/", json!({"srpm": {"name": "python"}}))
            .await
            .status,
        200
    );
    assert_eq!(s.changeset_count().await, count, "the same mapping");
    assert_eq!(
        s.put("release-components/1/", json!({"name": "python27"}))
            .await
            .status,
        200
    );
    // PUT removed the mapping; the component's export (no srpm in it)
    // did not change, so only the mapping is logged, as on PDC.
    assert_eq!(
        last_changes(&s).await,
        changes(&[("releasecomponentsrpmnamemapping", "1")])
    );
    let count = s.changeset_count().await;
    assert_eq!(
        s.patch("release-components/1/", json!({"srpm": null}))
            .await
            .status,
        200
    );
    assert_eq!(s.changeset_count().await, count);

    // Deleting a bugzilla subtree: descendants, the node, then the
    // release components that lose their link.
    for body in [
        json!({"name": "python"}),
        json!({"name": "lib", "parent_pk": 1}),
        json!({"name": "xml", "parent_pk": 2}),
    ] {
        assert_eq!(s.post("bugzilla-components/", body).await.status, 201);
    }
    assert_eq!(
        s.patch(
            "release-components/1/",
            json!({"bugzilla_component": "python/lib/xml"})
        )
        .await
        .status,
        200
    );
    assert_eq!(s.delete("bugzilla-components/1/").await.status, 204);
    assert_eq!(
        last_changes(&s).await,
        changes(&[
            ("bugzillacomponent", "2"),
            ("bugzillacomponent", "3"),
            ("bugzillacomponent", "1"),
            ("releasecomponent", "1"),
        ])
    );
    assert_eq!(
        s.get("release-components/1/").await.json()["bugzilla_component"],
        Value::Null
    );

    // Failed requests leave nothing behind.
    let count = s.changeset_count().await;
    let r = s
        .post(
            "global-components/",
            json!([{"name": "new", "upstream": {"homepage": "http://new.org",
                     "scm_type": null, "scm_url": null}}, {"name": "python"}]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(s.changeset_count().await, count);
    assert_eq!(
        s.get("global-components/?upstream_homepage=http://new.org")
            .await
            .json()["count"],
        0
    );
}

#[tokio::test]
async fn include_inactive_release_in_bulk_requests() {
    let s = Server::start().await;
    releases_and_components(&s).await;
    for (release, name) in [("release-1.0", "a"), ("old-1", "b"), ("old-1", "c")] {
        let body = json!({"release": release, "global_component": "python", "name": name});
        assert_eq!(s.post("release-components/", body).await.status, 201);
    }
    assert_eq!(
        s.patch("releases/old-1/", json!({"active": false}))
            .await
            .status,
        200
    );

    let r = s
        .patch("release-components/", json!({"2": {"brew_package": "x"}}))
        .await;
    assert_resp!(
        r,
        404,
        json!({"invalid_data": {"brew_package": "x"}, "detail": "Not found.", "id_of_invalid_data": "2"})
    );
    let r = s
        .patch(
            "release-components/?include_inactive_release",
            json!({"2": {"brew_package": "x"}}),
        )
        .await;
    assert_resp!(
        r,
        400,
        json!({"invalid_data": {"brew_package": "x"},
               "detail": {"release": ["Can not create a release component with an inactive release."]},
               "id_of_invalid_data": "2"})
    );
    assert_resp!(
        s.delete_body("release-components/", json!([1, 2])).await,
        404,
        json!({"detail": "Not found.", "id_of_invalid_data": 2})
    );
    assert_eq!(
        s.get("release-components/1/").await.status,
        200,
        "rolled back"
    );
    assert_eq!(
        s.delete_body(
            "release-components/?include_inactive_release=0",
            json!([1, 2, "3"])
        )
        .await
        .status,
        204
    );
    let left = s
        .get("release-components/?include_inactive_release")
        .await
        .json();
    assert_eq!(left["count"], 0);
}

#[tokio::test]
async fn dist_git_url_formats_are_settings() {
    let s = Server::start_with(&[
        ("PDC_DIST_GIT_REPO_FORMAT", "https://src.example.org/%s.git"),
        ("PDC_DIST_GIT_BRANCH_FORMAT", "#%s"),
    ])
    .await;
    releases_and_components(&s).await;
    let r = s
        .post(
            "global-components/",
            json!({"name": "kernel", "dist_git_path": "rpms/kernel"}),
        )
        .await;
    assert_eq!(
        r.json()["dist_git_web_url"],
        "https://src.example.org/rpms/kernel.git"
    );
    let rc = json!({"release": "release-1.0", "global_component": "kernel", "name": "kernel"});
    let r = s.post("release-components/", rc).await;
    assert_eq!(
        r.json()["dist_git_web_url"],
        "https://src.example.org/rpms/kernel.git#release_branch"
    );
}

#[tokio::test]
async fn label_permissions_use_pdc_resource_names() {
    let s = Server::start().await;
    releases_and_components(&s).await;
    s.post("labels/", json!({"name": "l1", "description": "d"}))
        .await;
    let bob = s.user_token("bob", &["labellers"]);
    let s = &s;
    let attach = |token: String| async move {
        s.send(
            "POST",
            "global-components/1/labels/",
            Some(&json!({"name": "l1"})),
            Some(&token),
            &[],
        )
        .await
    };
    assert_eq!(attach(bob.clone()).await.status, 403);
    let grant = json!({"group": "labellers",
                       "resource": "global-components/(?P<instance_pk>[^/.]+)/labels",
                       "permission": "create"});
    assert_eq!(
        s.post("auth/group-resource-permissions/", grant)
            .await
            .status,
        201
    );
    assert_eq!(attach(bob).await.status, 201);
}

/// pdc-updater's handling of a new package (pdcupdater/utils.py and
/// handlers/pkgdb.py): ensure the release and the global component exist,
/// create the release component, and treat PDC's unique-set error on a
/// second create as "already there", then look the component up.
#[tokio::test]
async fn pdc_updater_new_package() {
    let s = Server::start().await;
    // ensure_release_exists
    assert_eq!(s.get("releases/fedora-26/").await.status, 404);
    let release = json!({"name": "Fedora", "short": "fedora", "version": "26",
                         "release_type": "ga", "active": true,
                         "dist_git": {"branch": "f26"}});
    assert_eq!(s.post("releases/", release).await.status, 201);
    assert_eq!(s.get("releases/fedora-26/").await.status, 200);
    // ensure_global_component_exists
    let found = s.get("global-components/?name=guake").await.json();
    assert_eq!(found["count"], 0);
    assert_eq!(
        s.post("global-components/", json!({"name": "guake"}))
            .await
            .status,
        201
    );
    // releaseid2branch, then the release component.
    let branch = s.get("releases/fedora-26/").await.json()["dist_git"]["branch"].clone();
    let data = json!({"name": "guake", "global_component": "guake", "release": "fedora-26",
                      "dist_git_branch": branch, "brew_package": "guake", "active": true,
                      "type": "rpm"});
    let r = s.post("release-components/", data.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json()["dist_git_web_url"],
        "http://pkgs.example.com/cgit/rpms/guake?h=f26"
    );
    let again = s.post("release-components/", data).await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.text,
        r#"{"detail":["The fields release, name, type must make a unique set."]}"#
    );
    let query = s
        .get("release-components/?name=guake&release=fedora-26&type=rpm")
        .await
        .json();
    assert_eq!(query["count"], 1);
    assert_eq!(query["results"][0]["id"], r.json()["id"]);
}
