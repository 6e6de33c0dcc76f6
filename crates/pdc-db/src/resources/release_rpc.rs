//! `rpc/release/clone/`, `rpc/release/clone-components/` and
//! `rpc/release/import-from-composeinfo/`.

use pdc_core::fields::truthy;
use pdc_core::productmd::composeinfo::{ComposeInfo, Release as MdRelease};
use pdc_core::{Error, Result, ids};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::resource::{Resource, Write};
use crate::resources::component_contacts::ReleaseComponentContacts;
use crate::resources::component_groups::ComponentGroups;
use crate::resources::component_relationships::Relationships;
use crate::resources::products::{BaseProducts, ProductVersions, Products};
use crate::resources::release_components::ReleaseComponents;
use crate::resources::releases::{
    PlainRelease, RELEASE_FIELDS, Releases, fetch_releases, insert_plain,
};

/// Body keys the clone accepts besides the release fields.
pub const CLONE_EXTRA_KEYS: [&str; 4] = [
    "old_release_id",
    "include_trees",
    "include_inactive",
    "component_dist_git_branch",
];

/// Clones a release: a new release from the old one's truthy writable
/// values overridden by the body, then its variants and arches (all, or
/// those in `include_trees`). Returns the new release's id.
pub async fn clone_release(w: &mut Write<'_>, mut body: Map<String, Value>) -> Result<i64> {
    let Some(old_release_id) = body.shift_remove("old_release_id") else {
        return Err(Error::status(
            400,
            json!({"__all__": "Missing old_release_id"}),
        ));
    };
    let old_release_id = match &old_release_id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let old_pk = Releases::lookup(w.conn, std::slice::from_ref(&old_release_id))
        .await?
        .ok_or_else(Error::not_found)?;
    let old = fetch_releases(w.conn, &[old_pk])
        .await?
        .pop()
        .unwrap_or(Value::Null);
    for f in RELEASE_FIELDS.iter().filter(|f| f.is_writable()) {
        if !body.contains_key(f.name)
            && let Some(v) = old.get(f.name).filter(|v| truthy(v))
        {
            body.insert(f.name.to_string(), v.clone());
        }
    }
    body.retain(|_, v| !v.is_null());
    let include_trees = body.shift_remove("include_trees");
    let include_inactive = body.shift_remove("include_inactive");
    let branch = body.shift_remove("component_dist_git_branch");
    let new_pk = Releases::create(w, &body).await?;
    log_created::<Releases>(w, "release", new_pk).await?;
    clone_variants(w, old_pk, &old_release_id, new_pk, include_trees.as_ref()).await?;
    let options = CloneOptions::parse(include_inactive.as_ref(), branch.as_ref())?;
    clone_components(w, old_pk, new_pk, &options).await?;
    Ok(new_pk)
}

// ---------------------------------------------------------------- components

/// What a clone does with the release components.
pub struct CloneOptions {
    /// Whether inactive components are copied too.
    include_inactive: bool,
    /// The dist-git branch every copy gets (None: each keeps its own).
    branch: Option<String>,
}

impl CloneOptions {
    /// From the body's `include_inactive` (absent or null: true; else one
    /// of PDC's strict booleans) and `component_dist_git_branch` (used when
    /// truthy).
    pub fn parse(include_inactive: Option<&Value>, branch: Option<&Value>) -> Result<Self> {
        let include_inactive = match include_inactive {
            None | Some(Value::Null) => true,
            Some(v) => match strict_bool(v) {
                Some(b) => b,
                None => {
                    return Err(Error::status(
                        400,
                        json!([format!(
                            "Value [{}] of include_inactive is not a boolean",
                            pdc_core::fields::py_str(v)
                        )]),
                    ));
                }
            },
        };
        let branch = branch.filter(|v| truthy(v)).map(pdc_core::fields::py_str);
        pdc_core::fields::check_model_lengths(&[("dist_git_branch", branch.as_deref(), 100)])?;
        Ok(CloneOptions {
            include_inactive,
            branch,
        })
    }
}

/// PDC's `convert_str_to_bool`: Python's `value in (True, 'true', 't',
/// 'True', '1')` (so `1` and `1.0` are true too), likewise for false.
fn strict_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
        Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
        Value::String(s) => match s.as_str() {
            "true" | "t" | "True" | "1" => Some(true),
            "false" | "f" | "False" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Copies the release components of release `from` into release `to`
/// (with their contacts), then the component groups (with the copied
/// members) and the relationships between copied components, as PDC's
/// clone signal handlers do. Each copy is logged as created.
pub async fn clone_components(
    w: &mut Write<'_>,
    from: i64,
    to: i64,
    options: &CloneOptions,
) -> Result<()> {
    let originals = sqlx::query!(
        "SELECT id, name, type_pk, active FROM release_component WHERE release_pk = $1 ORDER BY id",
        from
    )
    .fetch_all(&mut *w.conn)
    .await
    .db()?;
    // (original id, copy id)
    let mut copies: Vec<(i64, i64)> = Vec::new();
    for rc in originals {
        if !options.include_inactive && !rc.active {
            continue;
        }
        let taken = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM release_component WHERE release_pk = $1 AND name = $2
                              AND type_pk = $3) AS "taken!""#,
            to,
            rc.name,
            rc.type_pk
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        // The model's own unique check (the serializer does not run here).
        if taken {
            return Err(Error::detail_list([
                "Release component with this Release, Name and Type already exists.",
            ]));
        }
        let copy = sqlx::query_scalar!(
            "INSERT INTO release_component (release_pk, global_component_pk, bugzilla_component_pk,
                                            type_pk, name, dist_git_branch, brew_package, active)
             SELECT $2, global_component_pk, bugzilla_component_pk, type_pk, name,
                    coalesce($3, dist_git_branch), brew_package, active
             FROM release_component WHERE id = $1 RETURNING id",
            rc.id,
            to,
            options.branch
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        log_created::<ReleaseComponents>(w, "releasecomponent", copy).await?;
        let contacts = sqlx::query_scalar!(
            "INSERT INTO release_component_contact (role_pk, contact_pk, component_pk)
             SELECT role_pk, contact_pk, $2 FROM release_component_contact
             WHERE component_pk = $1 ORDER BY id RETURNING id",
            rc.id,
            copy
        )
        .fetch_all(&mut *w.conn)
        .await
        .db()?;
        for c in contacts {
            log_created::<ReleaseComponentContacts>(w, "releasecomponentcontact", c).await?;
        }
        copies.push((rc.id, copy));
    }
    let (old_ids, new_ids): (Vec<i64>, Vec<i64>) = copies.iter().copied().unzip();

    let groups = sqlx::query!(
        "SELECT id, group_type_pk, description FROM component_group WHERE release_pk = $1 ORDER BY id",
        from
    )
    .fetch_all(&mut *w.conn)
    .await
    .db()?;
    for g in groups {
        let taken = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM component_group WHERE group_type_pk = $1
                              AND release_pk = $2 AND description = $3) AS "taken!""#,
            g.group_type_pk,
            to,
            g.description
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if taken {
            return Err(Error::detail_list([
                "Release component group with this Group type, Release and Description already exists.",
            ]));
        }
        let copy = sqlx::query_scalar!(
            "INSERT INTO component_group (group_type_pk, release_pk, description)
             VALUES ($1, $2, $3) RETURNING id",
            g.group_type_pk,
            to,
            g.description
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        sqlx::query!(
            "INSERT INTO component_group_member (group_pk, release_component_pk)
             SELECT $1, c.new FROM component_group_member m
             JOIN unnest($3::bigint[], $4::bigint[]) AS c(old, new) ON c.old = m.release_component_pk
             WHERE m.group_pk = $2",
            copy,
            g.id,
            &old_ids,
            &new_ids
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        log_created::<ComponentGroups>(w, "releasecomponentgroup", copy).await?;
    }

    let relationships = sqlx::query_scalar!(
        "WITH c(old, new) AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]))
         INSERT INTO release_component_relationship (relation_type_pk, from_component_pk, to_component_pk)
         SELECT x.relation_type_pk, f.new, t.new FROM release_component_relationship x
         JOIN c f ON f.old = x.from_component_pk
         JOIN c t ON t.old = x.to_component_pk
         ORDER BY x.id RETURNING id",
        &old_ids,
        &new_ids
    )
    .fetch_all(&mut *w.conn)
    .await
    .db()?;
    for r in relationships {
        log_created::<Relationships>(w, "releasecomponentrelationship", r).await?;
    }
    Ok(())
}

/// `rpc/release/clone-components/`: copies the components (groups,
/// relationships, contacts) of one existing release into another, active
/// one. Returns the target's release_id.
pub async fn clone_release_components(
    w: &mut Write<'_>,
    body: &Map<String, Value>,
) -> Result<String> {
    let text = |v: &Value| pdc_core::fields::py_str(v);
    let Some(source) = body.get("source_release_id") else {
        return Err(Error::bad_request("Missing source_release_id"));
    };
    let Some(target) = body.get("target_release_id") else {
        return Err(Error::bad_request("Missing target_release_id"));
    };
    let (source, target) = (text(source), text(target));
    let Some(source_pk) = Releases::lookup(w.conn, std::slice::from_ref(&source)).await? else {
        return Err(Error::detail(
            404,
            format!("Source_release {source} does not exist"),
        ));
    };
    let Some(target_pk) = Releases::lookup(w.conn, std::slice::from_ref(&target)).await? else {
        return Err(Error::detail(
            404,
            format!("Target_release {target} does not exist"),
        ));
    };
    let (has_components, target_active) = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM release_component WHERE release_pk = $1) AS "has!",
                  (SELECT active FROM release WHERE id = $2) AS "active!""#,
        source_pk,
        target_pk
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()
    .map(|r| (r.has, r.active))?;
    if !has_components {
        return Err(Error::bad_request(
            "there is no component in source release",
        ));
    }
    if !target_active {
        return Err(Error::bad_request(format!(
            "can't clone components to an inactive target release {target}"
        )));
    }
    let options = CloneOptions::parse(
        body.get("include_inactive"),
        body.get("component_dist_git_branch"),
    )?;
    clone_components(w, source_pk, target_pk, &options).await?;
    Ok(target)
}

async fn clone_variants(
    w: &mut Write<'_>,
    old_pk: i64,
    old_release_id: &str,
    new_pk: i64,
    include_trees: Option<&Value>,
) -> Result<()> {
    let trees = sqlx::query!(
        r#"SELECT v.id, v.variant_uid, a.name AS "arch?", va.id AS "variant_arch?"
           FROM variant v
           LEFT JOIN variant_arch va ON va.variant_pk = v.id
           LEFT JOIN arch a ON a.id = va.arch_pk
           WHERE v.release_pk = $1 ORDER BY v.id, va.id"#,
        old_pk
    )
    .fetch_all(&mut *w.conn)
    .await
    .db()?;
    // Which (variant uid, arch) pairs to copy; None copies everything.
    let wanted: Option<Vec<(String, String)>> = match include_trees {
        None => None,
        Some(Value::Array(items)) => {
            let mut pairs = Vec::new();
            for item in items {
                let tree = match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut parts = tree.split('.');
                let (Some(variant), Some(arch), None) = (parts.next(), parts.next(), parts.next())
                else {
                    return Err(Error::detail_list([format!(
                        "{tree} is not a well-formed tree specifier."
                    )]));
                };
                if !trees
                    .iter()
                    .any(|t| t.variant_uid == variant && t.arch.as_deref() == Some(arch))
                {
                    return Err(Error::detail_list([format!(
                        "{tree} is not in release {old_release_id}."
                    )]));
                }
                pairs.push((variant.to_string(), arch.to_string()));
            }
            Some(pairs)
        }
        Some(other) => {
            let shown = match other {
                Value::String(s) => s.clone(),
                v => pdc_core::fields::py_str(v),
            };
            return Err(Error::detail_list([format!(
                "include_trees: \"{shown}\" is not a list"
            )]));
        }
    };
    let mut done: Vec<(i64, i64)> = Vec::new();
    for t in &trees {
        let keep_variant = wanted
            .as_ref()
            .is_none_or(|w| w.iter().any(|(v, _)| *v == t.variant_uid));
        if !keep_variant {
            continue;
        }
        let new_variant = match done.iter().find(|(old, _)| *old == t.id) {
            Some((_, new)) => *new,
            None => {
                let new = sqlx::query_scalar!(
                    "INSERT INTO variant (release_pk, variant_id, variant_uid, variant_name, variant_type_pk,
                       deleted, variant_version, variant_release)
                     SELECT $2, variant_id, variant_uid, variant_name, variant_type_pk, deleted,
                       variant_version, variant_release FROM variant WHERE id = $1 RETURNING id",
                    t.id,
                    new_pk
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()?;
                done.push((t.id, new));
                let value = variant_export(w.conn, new).await?;
                w.changes.add("variant", new, None, Some(&value));
                new
            }
        };
        let (Some(arch), Some(variant_arch)) = (&t.arch, t.variant_arch) else {
            continue;
        };
        let keep_arch = wanted
            .as_ref()
            .is_none_or(|w| w.iter().any(|(v, a)| *v == t.variant_uid && a == arch));
        if keep_arch {
            let new = sqlx::query_scalar!(
                "INSERT INTO variant_arch (variant_pk, arch_pk, deleted)
                 SELECT $2, arch_pk, deleted FROM variant_arch WHERE id = $1 RETURNING id",
                variant_arch,
                new_variant
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            w.changes.add(
                "variantarch",
                new,
                None,
                Some(&json!(format!("{}.{arch}", t.variant_uid))),
            );
        }
    }
    Ok(())
}

/// What a change records for a variant: release, uid and arches.
async fn variant_export(conn: &mut PgConnection, pk: i64) -> Result<Value> {
    let r = sqlx::query!(
        r#"SELECT r.release_id, v.variant_id, v.variant_uid, v.variant_name, t.name AS variant_type,
             ARRAY(SELECT a.name FROM variant_arch va JOIN arch a ON a.id = va.arch_pk
                   WHERE va.variant_pk = v.id ORDER BY a.id) AS "arches!"
           FROM variant v JOIN release r ON r.id = v.release_pk JOIN variant_type t ON t.id = v.variant_type_pk
           WHERE v.id = $1"#,
        pk
    )
    .fetch_one(conn)
    .await
    .db()?;
    Ok(
        json!({"release": r.release_id, "id": r.variant_id, "uid": r.variant_uid,
              "name": r.variant_name, "type": r.variant_type, "arches": r.arches}),
    )
}

// ---------------------------------------------------------------- import from composeinfo

/// Imports the release, products and variants a composeinfo describes
/// (get-or-create on all attributes, so importing twice changes nothing).
/// Returns the release_id.
pub async fn import_composeinfo(w: &mut Write<'_>, ci: &ComposeInfo) -> Result<String> {
    let base_product = match &ci.base_product {
        Some(bp) => {
            let rt = release_type(w.conn, &bp.release_type).await?;
            Some(ensure_base_product(w, &bp.name, &bp.short.to_lowercase(), &bp.version, rt).await?)
        }
        None => None,
    };
    let short = ci.release.short.to_lowercase();
    let product = ensure_product(w, &ci.release.name, &short).await?;
    let pv = ensure_product_version(
        w,
        product,
        &ci.release.name,
        &short,
        ci.release.major_version(),
    )
    .await?;
    let rt = release_type(w.conn, &ci.release.release_type).await?;
    let release = ensure_release(
        w,
        PlainRelease {
            name: &ci.release.name,
            short: &short,
            version: &ci.release.version,
            release_type: rt,
            base_product,
            product_version: Some(pv),
            integrated_with: None,
        },
    )
    .await?;
    let release_short = short.clone();
    let release_version = ci.release.version.clone();
    let mut created = Vec::new();
    for variant in ci.all_variants() {
        let vtype = variant_type(w.conn, &variant.variant_type).await?;
        let integrated = match &variant.release {
            Some(layered) if !layered.name.is_empty() => {
                let r = integrated_release(
                    w,
                    release,
                    &ci.release.name,
                    &release_short,
                    &release_version,
                    rt,
                    layered,
                )
                .await?;
                let plain = variant_type(w.conn, "variant").await?;
                Some(
                    ensure_variant(
                        w,
                        r,
                        &variant.id,
                        &variant.uid,
                        &variant.name,
                        plain,
                        &mut created,
                    )
                    .await?,
                )
            }
            _ => None,
        };
        let v = ensure_variant(
            w,
            release,
            &variant.id,
            &variant.uid,
            &variant.name,
            vtype,
            &mut created,
        )
        .await?;
        for arch in &variant.arches {
            let arch_pk = sqlx::query_scalar!("SELECT id FROM arch WHERE name = $1", arch)
                .fetch_optional(&mut *w.conn)
                .await
                .db()?
                .ok_or_else(|| Error::model_not_found("Arch"))?;
            for target in [Some(v), integrated].into_iter().flatten() {
                sqlx::query!(
                    "INSERT INTO variant_arch (variant_pk, arch_pk) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    target,
                    arch_pk
                )
                .execute(&mut *w.conn)
                .await
                .db()?;
            }
        }
    }
    // Variants are logged once complete, as their export includes arches.
    for pk in created {
        let value = variant_export(w.conn, pk).await?;
        w.changes.add("variant", pk, None, Some(&value));
    }
    sqlx::query_scalar!("SELECT release_id FROM release WHERE id = $1", release)
        .fetch_one(&mut *w.conn)
        .await
        .db()
}

pub(crate) async fn release_type(conn: &mut PgConnection, short: &str) -> Result<i64> {
    sqlx::query_scalar!("SELECT id FROM release_type WHERE short = $1", short)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or_else(|| Error::model_not_found("ReleaseType"))
}

pub(crate) async fn variant_type(conn: &mut PgConnection, name: &str) -> Result<i64> {
    sqlx::query_scalar!("SELECT id FROM variant_type WHERE name = $1", name)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or_else(|| Error::model_not_found("VariantType"))
}

/// Records a created object's export in the changeset.
async fn log_created<R: Resource>(w: &mut Write<'_>, name: &str, pk: i64) -> Result<()> {
    if let Some(value) = R::fetch(w.conn, w.ctx, &[pk]).await?.pop() {
        let export = R::export(w.conn, w.ctx, pk, value).await?;
        // At the slot a release write reserved: before its mappings' changes.
        w.changes.add_object(name, pk, None, Some(&export));
    }
    Ok(())
}

async fn ensure_base_product(
    w: &mut Write<'_>,
    name: &str,
    short: &str,
    version: &str,
    release_type: i64,
) -> Result<i64> {
    if let Some(pk) = sqlx::query_scalar!(
        "SELECT id FROM base_product WHERE name = $1 AND short = $2 AND version = $3 AND release_type_pk = $4",
        name,
        short,
        version,
        release_type
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    {
        return Ok(pk);
    }
    let type_short = crate::resources::products::release_type_short(w.conn, release_type).await?;
    let base_product_id =
        ids::release_id(short, version, &type_short, None).map_err(Error::bad_request)?;
    let clash = sqlx::query!(
        r#"SELECT
             EXISTS (SELECT 1 FROM base_product WHERE short = $1 AND version = $2 AND release_type_pk = $4) AS "short!",
             EXISTS (SELECT 1 FROM base_product WHERE name = $3 AND version = $2 AND release_type_pk = $4) AS "name!",
             EXISTS (SELECT 1 FROM base_product WHERE base_product_id = $5) AS "id!""#,
        short,
        version,
        name,
        release_type,
        base_product_id
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    let mut msgs = Vec::new();
    if clash.id {
        msgs.push("Base product with this Base product id already exists.");
    }
    if clash.short {
        msgs.push("Base product with this Short, Version and Release type already exists.");
    }
    if clash.name {
        msgs.push("Base product with this Name, Version and Release type already exists.");
    }
    if !msgs.is_empty() {
        return Err(Error::detail_list(msgs));
    }
    let pk = sqlx::query_scalar!(
        "INSERT INTO base_product (base_product_id, short, version, name, release_type_pk)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        base_product_id,
        short,
        version,
        name,
        release_type
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    log_created::<BaseProducts>(w, "baseproduct", pk).await?;
    Ok(pk)
}

async fn ensure_product(w: &mut Write<'_>, name: &str, short: &str) -> Result<i64> {
    if let Some(pk) = sqlx::query_scalar!(
        "SELECT id FROM product WHERE name = $1 AND short = $2",
        name,
        short
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    {
        return Ok(pk);
    }
    if crate::refs::taken(w.conn, "product", "short", short, None).await? {
        return Err(Error::detail_list([
            "Product with this Short already exists.",
        ]));
    }
    let pk = sqlx::query_scalar!(
        "INSERT INTO product (name, short) VALUES ($1, $2) RETURNING id",
        name,
        short
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    log_created::<Products>(w, "product", pk).await?;
    Ok(pk)
}

async fn ensure_product_version(
    w: &mut Write<'_>,
    product: i64,
    name: &str,
    short: &str,
    version: &str,
) -> Result<i64> {
    if let Some(pk) = sqlx::query_scalar!(
        "SELECT id FROM product_version WHERE product_pk = $1 AND name = $2 AND short = $3 AND version = $4",
        product,
        name,
        short,
        version
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    {
        return Ok(pk);
    }
    let clash = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product_version WHERE short = $1 AND version = $2) AS "clash!""#,
        short,
        version
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if clash {
        return Err(Error::detail_list([
            "Product version with this Short and Version already exists.",
        ]));
    }
    let pk = sqlx::query_scalar!(
        "INSERT INTO product_version (product_version_id, short, version, name, product_pk)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        ids::product_version_id(short, version),
        short,
        version,
        name,
        product
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    log_created::<ProductVersions>(w, "productversion", pk).await?;
    Ok(pk)
}

async fn ensure_release(w: &mut Write<'_>, r: PlainRelease<'_>) -> Result<i64> {
    if let Some(pk) = sqlx::query_scalar!(
        "SELECT id FROM release WHERE name = $1 AND short = $2 AND version = $3 AND release_type_pk = $4
           AND base_product_pk IS NOT DISTINCT FROM $5 AND product_version_pk IS NOT DISTINCT FROM $6
           AND ($7::bigint IS NULL OR integrated_with_pk = $7)",
        r.name,
        r.short,
        r.version,
        r.release_type,
        r.base_product,
        r.product_version,
        r.integrated_with
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    {
        return Ok(pk);
    }
    let pk = insert_plain(w.conn, &r).await?;
    log_created::<Releases>(w, "release", pk).await?;
    Ok(pk)
}

/// The release of an integrated layered product (PDC's
/// `get_or_create_integrated_release`).
pub(crate) async fn integrated_release(
    w: &mut Write<'_>,
    orig: i64,
    orig_name: &str,
    orig_short: &str,
    orig_version: &str,
    release_type: i64,
    layered: &MdRelease,
) -> Result<i64> {
    let base = ensure_base_product(
        w,
        orig_name,
        orig_short,
        ids::first_component(orig_version),
        release_type,
    )
    .await?;
    let short = layered.short.to_lowercase();
    let product = ensure_product(w, &layered.name, &short).await?;
    let pv = ensure_product_version(
        w,
        product,
        &layered.name,
        &short,
        ids::first_component(&layered.version),
    )
    .await?;
    let result = ensure_release(
        w,
        PlainRelease {
            name: &layered.name,
            short: &short,
            version: &layered.version,
            release_type,
            base_product: Some(base),
            product_version: Some(pv),
            integrated_with: Some(orig),
        },
    )
    .await;
    match result {
        Err(Error::Response { status: 400, .. }) => {
            let type_short =
                crate::resources::products::release_type_short(w.conn, release_type).await?;
            let bp = sqlx::query!(
                "SELECT b.short, b.version, t.short AS release_type FROM base_product b
                 JOIN release_type t ON t.id = b.release_type_pk WHERE b.id = $1",
                base
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            let release_id = ids::release_id(
                &short,
                &layered.version,
                &type_short,
                Some((&bp.short, &bp.version, &bp.release_type)),
            )
            .unwrap_or_default();
            Err(Error::detail_list([format!(
                "Failed to create release {release_id} for integrated layered product. A conflicting release \
                 already exists. There is likely a version mismatch between the imported release and its \
                 layered integrated product in the composeinfo."
            )]))
        }
        other => other,
    }
}

async fn ensure_variant(
    w: &mut Write<'_>,
    release: i64,
    id: &str,
    uid: &str,
    name: &str,
    vtype: i64,
    created: &mut Vec<i64>,
) -> Result<i64> {
    if let Some(pk) = sqlx::query_scalar!(
        "SELECT id FROM variant WHERE release_pk = $1 AND variant_id = $2 AND variant_uid = $3
           AND variant_name = $4 AND variant_type_pk = $5",
        release,
        id,
        uid,
        name,
        vtype
    )
    .fetch_optional(&mut *w.conn)
    .await
    .db()?
    {
        return Ok(pk);
    }
    let clash = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM variant WHERE release_pk = $1 AND variant_uid = $2) AS "clash!""#,
        release,
        uid
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    if clash {
        return Err(Error::detail_list([
            "Variant with this Release and Variant uid already exists.",
        ]));
    }
    let pk = sqlx::query_scalar!(
        "INSERT INTO variant (release_pk, variant_id, variant_uid, variant_name, variant_type_pk)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        release,
        id,
        uid,
        name,
        vtype
    )
    .fetch_one(&mut *w.conn)
    .await
    .db()?;
    created.push(pk);
    Ok(pk)
}
