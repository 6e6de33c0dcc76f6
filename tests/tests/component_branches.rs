//! Component groups, relationships, branches and SLAs: what the recorded
//! scenarios cannot show (the branch-name blacklist setting, `active` around
//! today's date, the changes a clone records).

use pdc_tests::{Server, assert_resp, json};

async fn python_branch_fixtures(s: &Server) {
    assert_eq!(
        s.post("global-components/", json!({"name": "python"}))
            .await
            .status,
        201
    );
    assert_eq!(
        s.post("component-sla-types/", json!({"name": "security_fixes"}))
            .await
            .status,
        201
    );
}

/// PDC's test settings refuse `^epel\d+$` branch names, on both endpoints
/// that create branches; the regex matches at the start only.
#[tokio::test]
async fn blacklisted_branch_names() {
    let s =
        Server::start_with(&[("PDC_COMPONENT_BRANCH_NAME_BLACKLIST_REGEX", r"^epel\d+$")]).await;
    python_branch_fixtures(&s).await;
    let msg = r#"The branch name is not allowed based on the regex "^epel\d+$""#;
    assert_resp!(
        s.post(
            "component-branches/",
            json!({"name": "epel7", "global_component": "python", "type": "rpm"})
        )
        .await,
        400,
        json!({"name": [msg]})
    );
    assert_resp!(
        s.post(
            "component-branch-slas/",
            json!({"sla": "security_fixes", "eol": "2222-01-01",
                   "branch": {"name": "epel7", "global_component": "python", "type": "rpm",
                              "critical_path": false}})
        )
        .await,
        400,
        json!({"branch": {"name": [msg]}})
    );
    for name in ["epel7-x", "xepel7", "epel"] {
        let r = s
            .post(
                "component-branches/",
                json!({"name": name, "global_component": "python", "type": "rpm"}),
            )
            .await;
        assert_eq!(r.status, 201, "{name}: {}", r.text);
    }
    assert_eq!(s.changeset_count().await, 5);
}

/// Without the setting every name is allowed.
#[tokio::test]
async fn branch_names_allowed_by_default() {
    let s = Server::start().await;
    python_branch_fixtures(&s).await;
    let r = s
        .post(
            "component-branches/",
            json!({"name": "epel7", "global_component": "python", "type": "rpm"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// A branch is active while an SLA's end of life is today (UTC) or later.
#[tokio::test]
async fn active_follows_todays_date() {
    let s = Server::start().await;
    python_branch_fixtures(&s).await;
    let today = s.sql_value("SELECT (now() AT TIME ZONE 'UTC')::date");
    let yesterday = s.sql_value("SELECT (now() AT TIME ZONE 'UTC')::date - 1");
    for (name, eol) in [("today", &today), ("yesterday", &yesterday)] {
        let r = s
            .post(
                "component-branch-slas/",
                json!({"sla": "security_fixes", "eol": eol,
                       "branch": {"name": name, "global_component": "python", "type": "rpm"}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    assert_resp!(
        s.get("component-branches/?active=true&fields=name").await,
        200,
        json!({"count": 1, "next": null, "previous": null, "results": [{"name": "today"}]})
    );
    assert_resp!(
        s.get("component-branch-slas/?branch_active=false&fields=eol")
            .await,
        200,
        json!({"count": 1, "next": null, "previous": null,
               "results": [{"eol": yesterday}]})
    );
    assert_resp!(
        s.get(&format!(
            "component-branch-slas/?eol_after={today}&fields=branch"
        ))
        .await,
        200,
        json!({"count": 1, "next": null, "previous": null,
               "results": [{"branch": {"id": 1, "name": "today", "global_component": "python",
                             "type": "rpm", "critical_path": false, "active": true}}]})
    );
}

/// A clone logs the release, then each copied component with its contacts,
/// then the groups and the relationships (PDC's signal handlers' order).
#[tokio::test]
async fn clone_records_each_copy() {
    let s = Server::start().await;
    for (path, body) in [
        (
            "releases/",
            json!({"name": "R", "short": "r", "version": "1", "release_type": "ga"}),
        ),
        ("global-components/", json!({"name": "python"})),
        (
            "release-components/",
            json!({"release": "r-1", "global_component": "python", "name": "a"}),
        ),
        (
            "release-components/",
            json!({"release": "r-1", "global_component": "python", "name": "b"}),
        ),
        ("component-group-types/", json!({"name": "t"})),
        (
            "component-groups/",
            json!({"group_type": "t", "release": "r-1", "description": "d",
                   "components": [{"id": 2}]}),
        ),
        (
            "release-component-relationships/",
            json!({"type": "bundles", "from_component": {"id": 1}, "to_component": {"id": 2}}),
        ),
        (
            "contacts/people/",
            json!({"username": "joe", "email": "joe@example.com"}),
        ),
        ("contact-roles/", json!({"name": "pm"})),
        (
            "release-component-contacts/",
            json!({"component": {"id": 2}, "role": "pm", "contact": {"username": "joe"}}),
        ),
    ] {
        let r = s.post(path, body).await;
        assert_eq!(r.status, 201, "{path}: {}", r.text);
    }
    let r = s
        .post(
            "rpc/release/clone/",
            json!({"old_release_id": "r-1", "version": "2"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cs = s.get("changesets/?page_size=1").await.json();
    let changes: Vec<(String, String)> = cs["results"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["resource"].as_str().unwrap_or_default().into(),
                c["resource_id"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("release", "2"),
        ("releasecomponent", "3"),
        ("releasecomponent", "4"),
        ("releasecomponentcontact", "2"),
        ("releasecomponentgroup", "2"),
        ("releasecomponentrelationship", "2"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(changes, want);
    assert_resp!(
        s.get("component-groups/2/").await,
        200,
        json!({"id": 2, "group_type": "t", "description": "d", "release": "r-2",
               "components": [{"id": 4, "name": "b"}]})
    );
}
