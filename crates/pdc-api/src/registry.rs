//! The one list of everything the API serves. The router, the API root
//! listing, the resource-permission table and the OpenAPI document are all
//! derived from it, so nothing can be routed but undocumented.

use axum::Router;
use axum::routing::any;
use pdc_db::resources::auth::{GroupResourcePermissions, Groups, Permissions, ResourcePermissions};
use pdc_db::resources::bugzilla::BugzillaComponents;
use pdc_db::resources::build_images::{BuildImageRttTests, BuildImages};
use pdc_db::resources::changesets::Changesets;
use pdc_db::resources::common::{Arches, Labels, SigKeys};
use pdc_db::resources::component_branches::{BranchSlas, ComponentBranches, Slas};
use pdc_db::resources::component_contacts::{GlobalComponentContacts, ReleaseComponentContacts};
use pdc_db::resources::component_groups::{ComponentGroupTypes, ComponentGroups};
use pdc_db::resources::component_relationships::{RelationshipTypes, Relationships};
use pdc_db::resources::compose_qe::{
    ComposeImageRttTests, ComposeTreeLocations, ComposeTreeRttTests,
};
use pdc_db::resources::contact_roles::ContactRoles;
use pdc_db::resources::contacts::{MailingLists, People};
use pdc_db::resources::cpes::{Cpes, VariantCpes};
use pdc_db::resources::global_components::GlobalComponents;
use pdc_db::resources::images::Images;
use pdc_db::resources::products::{BaseProducts, ProductVersions, Products, ReleaseTypes};
use pdc_db::resources::release_components::{ReleaseComponentTypes, ReleaseComponents};
use pdc_db::resources::release_groups::ReleaseGroups;
use pdc_db::resources::released_files::ReleasedFiles;
use pdc_db::resources::releases::Releases;
use pdc_db::resources::repository::{PushTargets, Services};
use pdc_db::resources::rpms::Rpms;
use pdc_db::resources::variants::{VariantTypes, Variants};
use pdc_db::{Resource, Spec};

use crate::App;
use crate::engine::{detail_route, list_route};
use crate::openapi::Doc;

/// How the API root lists an entry.
#[derive(Clone, Copy)]
pub enum RootLink {
    /// The list URL.
    List,
    /// A detail URL template below the prefix, e.g. `{package}/`.
    Detail(&'static str),
}

pub struct Entry {
    /// Router prefix (PDC's name, `{name}` for nested URL parts).
    pub prefix: &'static str,
    /// Actions controlled by resource permissions (`create`, `read`, ...);
    /// empty: not under permission control.
    pub actions: Vec<&'static str>,
    pub root: RootLink,
    /// Adds this entry's routes.
    pub routes: fn(Router<App>) -> Router<App>,
    /// URL patterns the routes use (for the trailing-slash redirect).
    pub patterns: Vec<String>,
    /// Its part of the API document.
    pub doc: Doc,
}

fn lookup_pattern(spec: &Spec) -> String {
    let segs: String = (0..spec.lookup.len())
        .map(|i| format!("{{k{i}}}/"))
        .collect();
    format!("/rest_api/v1/{}/{segs}", spec.prefix)
}

fn engine_routes<R: Resource>(router: Router<App>) -> Router<App> {
    let spec = R::SPEC;
    let router = router.route(
        &format!("/rest_api/v1/{}/", spec.prefix),
        any(list_route::<R>),
    );
    if spec.has_detail() {
        router.route(&lookup_pattern(spec), any(detail_route::<R>))
    } else {
        router
    }
}

/// Permission actions of an engine resource, from its viewset actions.
pub fn spec_actions(spec: &Spec) -> Vec<&'static str> {
    let a = spec.actions;
    let mut v = Vec::new();
    if a.create {
        v.push("create");
    }
    if a.list || a.retrieve {
        v.push("read");
    }
    if a.update || a.partial_update {
        v.push("update");
    }
    if a.destroy {
        v.push("delete");
    }
    v
}

/// The entry of an engine resource.
pub fn engine<R: Resource>() -> Entry {
    let spec = R::SPEC;
    let mut patterns = vec![format!("/rest_api/v1/{}/", spec.prefix)];
    if spec.has_detail() {
        patterns.push(lookup_pattern(spec));
    }
    Entry {
        prefix: spec.prefix,
        actions: spec_actions(spec),
        root: if spec.actions.list {
            RootLink::List
        } else {
            RootLink::Detail("")
        },
        routes: engine_routes::<R>,
        patterns,
        doc: Doc::Engine(spec),
    }
}

/// Every API entry.
pub fn entries() -> Vec<Entry> {
    let mut v = vec![
        engine::<Arches>(),
        engine::<SigKeys>(),
        engine::<Labels>(),
        engine::<Changesets>(),
        engine::<Groups>(),
        engine::<Permissions>(),
        engine::<ResourcePermissions>(),
        engine::<GroupResourcePermissions>(),
        engine::<Services>(),
        engine::<PushTargets>(),
        engine::<ReleaseTypes>(),
        engine::<BaseProducts>(),
        engine::<Products>(),
        engine::<ProductVersions>(),
        engine::<Releases>(),
        engine::<ReleaseGroups>(),
        engine::<Variants>(),
        engine::<VariantTypes<false>>(),
        engine::<VariantTypes<true>>(),
        engine::<Cpes>(),
        engine::<VariantCpes>(),
        engine::<People<false>>(),
        engine::<People<true>>(),
        engine::<MailingLists>(),
        engine::<ContactRoles>(),
        engine::<GlobalComponentContacts>(),
        engine::<ReleaseComponentContacts>(),
        engine::<GlobalComponents>(),
        engine::<ReleaseComponentTypes>(),
        engine::<ReleaseComponents>(),
        engine::<BugzillaComponents>(),
        engine::<Rpms>(),
        engine::<Images>(),
        engine::<BuildImages>(),
        engine::<BuildImageRttTests>(),
        engine::<ReleasedFiles>(),
        engine::<ComponentGroupTypes>(),
        engine::<ComponentGroups>(),
        engine::<RelationshipTypes>(),
        engine::<Relationships>(),
        engine::<ComponentBranches>(),
        engine::<Slas>(),
        engine::<BranchSlas>(),
        engine::<ComposeTreeRttTests>(),
        engine::<ComposeImageRttTests>(),
        engine::<ComposeTreeLocations>(),
    ];
    v.extend(crate::views::entries());
    v
}

/// PDC's resource (permission) name of a prefix: its router regex, where a
/// `{..pk}` placeholder is DRF's default lookup (`[^/.]+`) and any other
/// one a PDC lookup (`[^/]+`).
pub fn resource_name(prefix: &str) -> String {
    prefix
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) if name.ends_with("pk") => format!("(?P<{name}>[^/.]+)"),
                Some(name) => format!("(?P<{name}>[^/]+)"),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Fills the resource-permission tables from the registry (at start-up).
pub async fn sync_permissions(pool: &pdc_db::Pool) -> pdc_core::Result<()> {
    use pdc_db::DbResultExt;
    let rows: Vec<(String, String, Vec<&'static str>)> = entries()
        .into_iter()
        .filter(|e| !e.actions.is_empty())
        .map(|e| (resource_name(e.prefix), e.prefix.to_string(), e.actions))
        .collect();
    let mut conn = pool.acquire().await.db()?;
    pdc_db::auth::sync_resources(&mut conn, &rows).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn resource_names() {
        assert_eq!(
            super::resource_name("release-components"),
            "release-components"
        );
        assert_eq!(
            super::resource_name("global-components/{instance_pk}/labels"),
            "global-components/(?P<instance_pk>[^/.]+)/labels"
        );
        assert_eq!(
            super::resource_name("rpc/find-compose-by-release-rpm/{release_id}/{rpm_name}"),
            "rpc/find-compose-by-release-rpm/(?P<release_id>[^/]+)/(?P<rpm_name>[^/]+)"
        );
    }
}
