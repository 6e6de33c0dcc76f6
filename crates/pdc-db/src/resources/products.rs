//! Products, product versions, base products and release types.

use pdc_core::error::FieldErrors;
use pdc_core::fields::{Default, Field, Kind, Op, Ref, parse_body};
use pdc_core::pydict;
use pdc_core::{Error, Result, ids};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::export::same;
use crate::models;
use crate::refs::{self, taken};
use crate::resource::{Ctx, Resource, Write, in_order};
use crate::resources::masks::{self, MaskOwner, PUSH_TARGET_REF};
use crate::spec::{Actions, Caching, Filter, FilterKind, Relation, Spec};

pub static PRODUCT_REF: Ref = Ref {
    table: "product",
    column: "short",
    order: "short",
};
pub static RELEASE_TYPE_REF: Ref = Ref {
    table: "release_type",
    column: "short",
    order: "short",
};

const TEXT: Kind = Kind::Str {
    max: 0,
    blank: true,
};
const fn text(max: usize) -> Kind {
    Kind::Str { max, blank: false }
}

// ---------------------------------------------------------------- release types

pub struct ReleaseTypes;

static RELEASE_TYPE_FIELDS: [Field; 3] = [
    Field::ro("short", TEXT),
    Field::ro("name", TEXT),
    Field::ro("suffix", TEXT),
];

pub static RELEASE_TYPES: Spec = Spec {
    prefix: "release-types",
    lookup: &[],
    lookup_dots: true,
    fields: &RELEASE_TYPE_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new("name", FilterKind::IContains, "t.name ILIKE {}"),
        Filter::multi("short", "t.short = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "release_type t",
    id: "t.id",
    ordering: &[
        ("id", "t.id"),
        ("short", "t.short"),
        ("name", "t.name"),
        ("suffix", "t.suffix"),
    ],
    relations: &[],
    default_order: "t.short, t.name, t.suffix",
    actions: Actions::LIST,
    change_name: "releasetype",
    last_modified: &[],
    caching: Caching::Default,
    model: "releasetype",
    doc: "Release types (ga, updates, eus, ...). Read-only.",
};

impl Resource for ReleaseTypes {
    const SPEC: &'static Spec = &RELEASE_TYPES;

    async fn lookup(_conn: &mut PgConnection, _key: &[String]) -> Result<Option<i64>> {
        Ok(None)
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT id, short, name, suffix FROM release_type WHERE id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    (
                        r.id,
                        json!({"short": r.short, "name": r.name, "suffix": r.suffix}),
                    )
                })
                .collect(),
        ))
    }
}

// ---------------------------------------------------------------- base products

pub struct BaseProducts;

static BASE_PRODUCT_FIELDS: [Field; 5] = [
    Field::ro("base_product_id", TEXT).doc("`short-version[-type]`, derived."),
    Field::req("short", text(200)).checked(ids::check_short),
    Field::req("version", text(200)),
    Field::req("name", text(255)),
    Field::req("release_type", Kind::Choice(&RELEASE_TYPE_REF)).doc("Release type short name."),
];

pub static BASE_PRODUCTS: Spec = Spec {
    prefix: "base-products",
    lookup: &["base_product_id"],
    lookup_dots: true,
    fields: &BASE_PRODUCT_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("short", "b.short = ANY({})"),
        Filter::multi("version", "b.version = ANY({})"),
        Filter::multi("name", "b.name = ANY({})"),
        Filter::multi("base_product_id", "b.base_product_id = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "base_product b",
    id: "b.id",
    ordering: &[
        ("id", "b.id"),
        ("base_product_id", "b.base_product_id"),
        ("short", "b.short"),
        ("version", "b.version"),
        ("name", "b.name"),
        // Django orders a foreign key by the related model's ordering.
        (
            "release_type",
            "(SELECT short FROM release_type WHERE id = b.release_type_pk)",
        ),
    ],
    relations: &[Relation::new(
        "release_type",
        "b.release_type_pk",
        &models::RELEASE_TYPE,
    )],
    default_order: "b.base_product_id",
    actions: Actions::NO_DELETE,
    change_name: "baseproduct",
    last_modified: &["baseproduct"],
    caching: Caching::Default,
    model: "baseproduct",
    doc: "Base products that layered releases are built on.",
};

impl Resource for BaseProducts {
    const SPEC: &'static Spec = &BASE_PRODUCTS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let keys = same(
            &repr,
            &[
                "base_product_id",
                "short",
                "version",
                "name",
                "release_type",
            ],
        );
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT id FROM base_product WHERE base_product_id = $1",
            key[0]
        )
        .fetch_optional(conn)
        .await
        .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT b.id, b.base_product_id, b.short, b.version, b.name, t.short AS release_type
             FROM base_product b JOIN release_type t ON t.id = b.release_type_pk
             WHERE b.id = ANY($1)",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    (
                        r.id,
                        json!({
                            "base_product_id": r.base_product_id,
                            "short": r.short,
                            "version": r.version,
                            "name": r.name,
                            "release_type": r.release_type,
                        }),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let b = base_product_input(w.conn, body, Op::Create, None).await?;
        sqlx::query_scalar!(
            "INSERT INTO base_product (base_product_id, short, version, name, release_type_pk)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            b.base_product_id,
            b.short,
            b.version,
            b.name,
            b.release_type
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let b = base_product_input(w.conn, body, op, Some(id)).await?;
        sqlx::query!(
            "UPDATE base_product SET base_product_id = $2, short = $3, version = $4, name = $5,
               release_type_pk = $6 WHERE id = $1",
            id,
            b.base_product_id,
            b.short,
            b.version,
            b.name,
            b.release_type
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        Ok(id)
    }
}

struct BaseProductRow {
    base_product_id: String,
    short: String,
    version: String,
    name: String,
    release_type: i64,
}

async fn base_product_input(
    conn: &mut PgConnection,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<BaseProductRow> {
    let (mut input, mut errors) = parse_body(&BASE_PRODUCT_FIELDS, body, op);
    refs::resolve(conn, &BASE_PRODUCT_FIELDS, &mut input, &mut errors).await?;
    errors.into_result(&["short", "version", "name", "release_type"])?;
    let mut row = match id {
        Some(id) => {
            let r = sqlx::query!(
                "SELECT short, version, name, release_type_pk FROM base_product WHERE id = $1",
                id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?;
            BaseProductRow {
                base_product_id: String::new(),
                short: r.short,
                version: r.version,
                name: r.name,
                release_type: r.release_type_pk,
            }
        }
        None => BaseProductRow {
            base_product_id: String::new(),
            short: String::new(),
            version: String::new(),
            name: String::new(),
            release_type: 0,
        },
    };
    if let Some(v) = input.str("short") {
        row.short = v.to_string();
    }
    if let Some(v) = input.str("version") {
        row.version = v.to_string();
    }
    if let Some(v) = input.str("name") {
        row.name = v.to_string();
    }
    if let Some(Some(v)) = input.id("release_type") {
        row.release_type = v;
    }
    let clash = sqlx::query!(
        r#"SELECT
             EXISTS (SELECT 1 FROM base_product WHERE short = $1 AND version = $2
                     AND release_type_pk = $4 AND id IS DISTINCT FROM $5) AS "short!",
             EXISTS (SELECT 1 FROM base_product WHERE name = $3 AND version = $2
                     AND release_type_pk = $4 AND id IS DISTINCT FROM $5) AS "name!""#,
        row.short,
        row.version,
        row.name,
        row.release_type,
        id
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    let mut msgs = Vec::new();
    if clash.short {
        msgs.push("The fields short, version, release_type must make a unique set.");
    }
    if clash.name {
        msgs.push("The fields name, version, release_type must make a unique set.");
    }
    if !msgs.is_empty() {
        return Err(Error::detail_list(msgs));
    }
    let type_short = release_type_short(conn, row.release_type).await?;
    row.base_product_id =
        ids::release_id(&row.short.to_lowercase(), &row.version, &type_short, None)
            .map_err(Error::bad_request)?;
    Ok(row)
}

pub async fn release_type_short(conn: &mut PgConnection, id: i64) -> Result<String> {
    sqlx::query_scalar!("SELECT short FROM release_type WHERE id = $1", id)
        .fetch_one(conn)
        .await
        .db()
}

// ---------------------------------------------------------------- products

pub struct Products;

static PRODUCT_FIELDS: [Field; 5] = [
    Field::req("name", text(200)),
    Field::req("short", text(200)).checked(ids::check_short),
    Field::ro("active", Kind::Bool).doc("Whether any release of any of its versions is active."),
    Field::ro("product_versions", Kind::SlugList(&PRODUCT_REF))
        .doc("product_version_id of its versions."),
    Field::with_default(
        "allowed_push_targets",
        Kind::SlugList(&PUSH_TARGET_REF),
        Default::EmptyList,
    )
    .doc("Push target names; omitted on POST/PUT means none."),
];

pub static PRODUCTS: Spec = Spec {
    prefix: "products",
    lookup: &["short"],
    lookup_dots: false,
    fields: &PRODUCT_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "p.name = ANY({})"),
        Filter::multi("short", "p.short = ANY({})"),
        Filter::boolean(
            "active",
            "{} = EXISTS (SELECT 1 FROM release r JOIN product_version pv ON pv.id = r.product_version_pk
               WHERE pv.product_pk = p.id AND r.active)",
        ),
        Filter::new(
            "allowed_push_targets",
            FilterKind::MultiJoin,
            "SELECT 1 FROM product_push_target ppt JOIN push_target pt ON pt.id = ppt.push_target_pk
             WHERE ppt.product_pk = p.id AND pt.name = ANY({})",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "product p",
    id: "p.id",
    ordering: &[("id", "p.id"), ("name", "p.name"), ("short", "p.short")],
    relations: &[],
    default_order: "p.short",
    actions: Actions::NO_DELETE,
    change_name: "product",
    last_modified: &["product", "productversion"],
    caching: Caching::Default,
    model: "product",
    doc: "Products (e.g. rhel, fedora).",
};

impl Resource for Products {
    const SPEC: &'static Spec = &PRODUCTS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let keys = same(&repr, &["name", "short", "allowed_push_targets"]);
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!("SELECT id FROM product WHERE short = $1", key[0])
            .fetch_optional(conn)
            .await
            .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT p.id, p.name, p.short,
                 EXISTS (SELECT 1 FROM release r JOIN product_version pv ON pv.id = r.product_version_pk
                         WHERE pv.product_pk = p.id AND r.active) AS "active!",
                 ARRAY(SELECT product_version_id FROM product_version WHERE product_pk = p.id
                       ORDER BY product_version_id) AS "product_versions!",
                 ARRAY(SELECT pt.name FROM product_push_target ppt JOIN push_target pt ON pt.id = ppt.push_target_pk
                       WHERE ppt.product_pk = p.id ORDER BY pt.name) AS "allowed_push_targets!"
               FROM product p WHERE p.id = ANY($1)"#,
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    (
                        r.id,
                        json!({
                            "name": r.name,
                            "short": r.short,
                            "active": r.active,
                            "product_versions": r.product_versions,
                            "allowed_push_targets": r.allowed_push_targets,
                        }),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (name, short, targets) = product_input(w.conn, body, Op::Create, None).await?;
        let id = sqlx::query_scalar!(
            "INSERT INTO product (name, short) VALUES ($1, $2) RETURNING id",
            name,
            short
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if let Some(t) = targets {
            masks::set_product_targets(w.conn, id, &t).await?;
        }
        Ok(id)
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (name, short, targets) = product_input(w.conn, body, op, Some(id)).await?;
        sqlx::query!(
            "UPDATE product SET name = coalesce($2, name), short = coalesce($3, short) WHERE id = $1",
            id,
            name,
            short
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        if let Some(t) = targets {
            masks::set_product_targets(w.conn, id, &t).await?;
        }
        Ok(id)
    }
}

async fn product_input(
    conn: &mut PgConnection,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<(Option<String>, Option<String>, Option<Vec<i64>>)> {
    let (mut input, mut errors) = parse_body(&PRODUCT_FIELDS, body, op);
    refs::resolve(conn, &PRODUCT_FIELDS, &mut input, &mut errors).await?;
    if let Some(short) = input.str("short")
        && !errors.has("short")
        && taken(conn, "product", "short", short, id).await?
    {
        errors.add("short", "product with this short already exists.");
    }
    errors.into_result(&["name", "short", "allowed_push_targets"])?;
    Ok((
        input.str("name").map(str::to_string),
        input.str("short").map(str::to_string),
        input.ids("allowed_push_targets").map(<[i64]>::to_vec),
    ))
}

// ---------------------------------------------------------------- product versions

pub struct ProductVersions;

static PRODUCT_VERSION_FIELDS: [Field; 8] = [
    Field::req("name", text(200)),
    Field::req("short", text(200))
        .checked(ids::check_short)
        .doc("Defaults to the product's short on POST and PUT."),
    Field::req("version", text(200)).checked(ids::check_version),
    Field::ro("active", Kind::Bool).doc("Whether any of its releases is active."),
    Field::ro("product_version_id", TEXT).doc("`short-version`, derived."),
    Field::req("product", Kind::Slug(&PRODUCT_REF)).doc("Product short name."),
    Field::ro("releases", Kind::SlugList(&PRODUCT_REF))
        .doc("release_id of its releases, in version order."),
    Field::with_default(
        "allowed_push_targets",
        Kind::SlugList(&PUSH_TARGET_REF),
        Default::EmptyList,
    )
    .doc("Subset of the product's; omitted on POST/PUT means none."),
];

pub static PRODUCT_VERSIONS: Spec = Spec {
    prefix: "product-versions",
    lookup: &["product_version_id"],
    lookup_dots: true,
    fields: &PRODUCT_VERSION_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("name", "pv.name = ANY({})"),
        Filter::multi("short", "pv.short = ANY({})"),
        Filter::multi("version", "pv.version = ANY({})"),
        Filter::multi("product_version_id", "pv.product_version_id = ANY({})"),
        Filter::boolean(
            "active",
            "{} = EXISTS (SELECT 1 FROM release r WHERE r.product_version_pk = pv.id AND r.active)",
        ),
        Filter::new(
            "allowed_push_targets",
            FilterKind::MultiJoin,
            "SELECT 1 FROM product_push_target ppt JOIN push_target pt ON pt.id = ppt.push_target_pk
             WHERE ppt.product_pk = pv.product_pk AND pt.name = ANY({})
               AND NOT EXISTS (SELECT 1 FROM product_version_push_mask m
                 JOIN push_target mt ON mt.id = m.push_target_pk
                 WHERE m.product_version_pk = pv.id AND mt.name = ANY({}))",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "product_version pv",
    id: "pv.id",
    ordering: &[
        ("id", "pv.id"),
        ("name", "pv.name"),
        ("short", "pv.short"),
        ("version", "pv.version"),
        ("product_version_id", "pv.product_version_id"),
        ("product", "(SELECT short FROM product WHERE id = pv.product_pk)"),
    ],
    relations: &[Relation::new(
        "product",
        "pv.product_pk",
        &models::PRODUCT,
    )],
    default_order: "pv.product_version_id",
    actions: Actions::NO_DELETE,
    change_name: "productversion",
    last_modified: &[],
    caching: Caching::Default,
    model: "productversion",
    doc: "Product versions (e.g. rhel-7).",
};

impl Resource for ProductVersions {
    const SPEC: &'static Spec = &PRODUCT_VERSIONS;

    async fn export(_conn: &mut PgConnection, _ctx: &Ctx, _id: i64, repr: Value) -> Result<Value> {
        let keys = same(
            &repr,
            &[
                "name",
                "short",
                "version",
                "product_version_id",
                "product",
                "allowed_push_targets",
            ],
        );
        Ok(pydict::display_object(keys, vec![]))
    }

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT id FROM product_version WHERE product_version_id = $1 ORDER BY id LIMIT 1",
            key[0]
        )
        .fetch_optional(conn)
        .await
        .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT pv.id, pv.name, pv.short, pv.version, pv.product_version_id, p.short AS product,
                 EXISTS (SELECT 1 FROM release r WHERE r.product_version_pk = pv.id AND r.active) AS "active!",
                 ARRAY(SELECT r.release_id FROM release r WHERE r.product_version_pk = pv.id
                       ORDER BY r.short COLLATE "C", release_version_key(r.version), r.id) AS "releases!",
                 ARRAY(SELECT pt.name FROM product_push_target ppt JOIN push_target pt ON pt.id = ppt.push_target_pk
                       WHERE ppt.product_pk = pv.product_pk AND NOT EXISTS (
                         SELECT 1 FROM product_version_push_mask m
                         WHERE m.product_version_pk = pv.id AND m.push_target_pk = pt.id)
                       ORDER BY pt.name) AS "allowed_push_targets!"
               FROM product_version pv JOIN product p ON p.id = pv.product_pk
               WHERE pv.id = ANY($1)"#,
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
        Ok(in_order(
            ids,
            rows.into_iter()
                .map(|r| {
                    (
                        r.id,
                        json!({
                            "name": r.name,
                            "short": r.short,
                            "version": r.version,
                            "active": r.active,
                            "product_version_id": r.product_version_id,
                            "product": r.product,
                            "releases": r.releases,
                            "allowed_push_targets": r.allowed_push_targets,
                        }),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let pv = product_version_input(w.conn, body, Op::Create, None).await?;
        let id = sqlx::query_scalar!(
            "INSERT INTO product_version (product_version_id, short, version, name, product_pk)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            ids::product_version_id(&pv.short, &pv.version),
            pv.short,
            pv.version,
            pv.name,
            pv.product
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if let Some(mask) = &pv.mask {
            masks::store_mask(w.conn, MaskOwner::ProductVersion(id), mask).await?;
        }
        Ok(id)
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let pv = product_version_input(w.conn, body, op, Some(id)).await?;
        sqlx::query!(
            "UPDATE product_version SET product_version_id = $2, short = $3, version = $4, name = $5,
               product_pk = $6 WHERE id = $1",
            id,
            ids::product_version_id(&pv.short, &pv.version),
            pv.short,
            pv.version,
            pv.name,
            pv.product
        )
        .execute(&mut *w.conn)
        .await
        .db()?;
        if let Some(mask) = &pv.mask {
            masks::store_mask(w.conn, MaskOwner::ProductVersion(id), mask).await?;
        }
        Ok(id)
    }
}

struct ProductVersionRow {
    short: String,
    version: String,
    name: String,
    product: i64,
    /// Push targets of the product not allowed, when written.
    mask: Option<Vec<i64>>,
}

async fn product_version_input(
    conn: &mut PgConnection,
    body: &Map<String, Value>,
    op: Op,
    id: Option<i64>,
) -> Result<ProductVersionRow> {
    // Without `short`, POST and PUT take the product's short (PDC does it
    // on the raw input, so a missing product also makes `short` null).
    let mut body = body.clone();
    if op != Op::Patch && !body.contains_key("short") {
        let product = body.get("product").cloned().unwrap_or(Value::Null);
        body.insert("short".into(), product);
    }
    let (mut input, mut errors): (_, FieldErrors) = parse_body(&PRODUCT_VERSION_FIELDS, &body, op);
    refs::resolve(conn, &PRODUCT_VERSION_FIELDS, &mut input, &mut errors).await?;
    errors.into_result(&[
        "name",
        "short",
        "version",
        "product",
        "allowed_push_targets",
    ])?;
    let mut row = match id {
        Some(id) => {
            let r = sqlx::query!(
                "SELECT short, version, name, product_pk FROM product_version WHERE id = $1",
                id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?;
            ProductVersionRow {
                short: r.short,
                version: r.version,
                name: r.name,
                product: r.product_pk,
                mask: None,
            }
        }
        None => ProductVersionRow {
            short: String::new(),
            version: String::new(),
            name: String::new(),
            product: 0,
            mask: None,
        },
    };
    if let Some(v) = input.str("short") {
        row.short = v.to_string();
    }
    if let Some(v) = input.str("version") {
        row.version = v.to_string();
    }
    if let Some(v) = input.str("name") {
        row.name = v.to_string();
    }
    if let Some(Some(v)) = input.id("product") {
        row.product = v;
    }
    let clash = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product_version WHERE short = $1 AND version = $2
             AND id IS DISTINCT FROM $3) AS "clash!""#,
        row.short,
        row.version,
        id
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    if clash {
        return Err(Error::detail_list([
            "The fields short, version must make a unique set.",
        ]));
    }
    if let Some(targets) = input.ids("allowed_push_targets") {
        let parent = masks::product_targets(conn, row.product).await?;
        row.mask = Some(masks::mask_for(conn, "product", &parent, targets).await?);
    }
    Ok(row)
}
