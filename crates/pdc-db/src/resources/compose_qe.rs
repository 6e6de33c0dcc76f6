//! QE results of compose trees (`compose-tree-rtt-tests/`) and images
//! (`compose-image-rtt-tests/`).

use pdc_core::Result;
use pdc_core::fields::{Field, Kind, Op, Ref, check_model_lengths, parse_body};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use crate::db::DbResultExt;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, in_order};
use crate::spec::{Actions, Caching, Filter, Spec};

pub static TESTING_STATE_REF: Ref = Ref {
    table: "testing_state",
    column: "name",
    order: "id",
};

const TEXT: Kind = Kind::Str {
    max: 0,
    blank: true,
};

/// Sets `column` of row `id` in `table` to the state a body's `test_result` names.
async fn set_result(
    w: &mut Write<'_>,
    fields: &[Field],
    body: &Map<String, Value>,
    op: Op,
    sql: &'static str,
    id: i64,
) -> Result<i64> {
    let (mut input, mut errors) = parse_body(fields, body, op);
    refs::resolve(w.conn, fields, &mut input, &mut errors).await?;
    errors.into_result(&["test_result"])?;
    if let Some(Some(state)) = input.id("test_result") {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(state)
            .execute(&mut *w.conn)
            .await
            .db()?;
    }
    Ok(id)
}

// ---------------------------------------------------------------- trees

pub struct ComposeTreeRttTests;

static TREE_FIELDS: [Field; 4] = [
    Field::ro("compose", TEXT),
    Field::ro("variant", TEXT).doc("variant_uid"),
    Field::ro("arch", TEXT),
    Field::req("test_result", Kind::Choice(&TESTING_STATE_REF)),
];

pub static COMPOSE_TREE_RTT_TESTS: Spec = Spec {
    prefix: "compose-tree-rtt-tests",
    lookup: &["compose_id", "variant_uid", "arch"],
    lookup_dots: true,
    fields: &TREE_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("compose", "c.compose_id = ANY({})"),
        Filter::multi("variant", "v.variant_uid = ANY({})"),
        Filter::multi("arch", "a.name = ANY({})"),
        Filter::multi("test_result", "ts.name = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "compose_variant_arch va JOIN compose_variant v ON v.id = va.variant_pk \
           JOIN compose c ON c.id = v.compose_pk JOIN arch a ON a.id = va.arch_pk \
           JOIN testing_state ts ON ts.id = va.rtt_testing_status_pk",
    id: "va.id",
    ordering: &[
        ("compose", "c.compose_id"),
        ("variant", "v.variant_uid"),
        ("arch", "a.name"),
        ("test_result", "ts.name"),
    ],
    relations: &[],
    default_order: "v.variant_uid, a.name",
    actions: Actions {
        list: true,
        retrieve: true,
        create: false,
        update: true,
        partial_update: true,
        destroy: false,
    },
    change_name: "variantarch",
    last_modified: &[],
    caching: Caching::Default,
    model: "variantarch",
    doc: "QE (RTT) result of each compose tree (variant and arch of a compose): `untested`, \
          `passed` or `failed`. Only `test_result` can be changed.",
};

impl Resource for ComposeTreeRttTests {
    const SPEC: &'static Spec = &COMPOSE_TREE_RTT_TESTS;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT va.id FROM compose_variant_arch va
             JOIN compose_variant v ON v.id = va.variant_pk
             JOIN compose c ON c.id = v.compose_pk JOIN arch a ON a.id = va.arch_pk
             WHERE c.compose_id = $1 AND v.variant_uid = $2 AND a.name = $3",
            key[0],
            key[1],
            key[2]
        )
        .fetch_optional(conn)
        .await
        .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT va.id, c.compose_id, v.variant_uid, a.name AS arch, ts.name AS state
             FROM compose_variant_arch va
             JOIN compose_variant v ON v.id = va.variant_pk
             JOIN compose c ON c.id = v.compose_pk JOIN arch a ON a.id = va.arch_pk
             JOIN testing_state ts ON ts.id = va.rtt_testing_status_pk
             WHERE va.id = ANY($1)",
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
                        json!({"compose": r.compose_id, "variant": r.variant_uid,
                               "arch": r.arch, "test_result": r.state}),
                    )
                })
                .collect(),
        ))
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        set_result(
            w,
            &TREE_FIELDS,
            body,
            op,
            "UPDATE compose_variant_arch SET rtt_testing_status_pk = $2 WHERE id = $1",
            id,
        )
        .await
    }
}

// ---------------------------------------------------------------- images

pub struct ComposeImageRttTests;

static IMAGE_FIELDS: [Field; 5] = [
    Field::ro("compose", TEXT),
    Field::ro("variant", TEXT).doc("variant_uid"),
    Field::ro("arch", TEXT),
    Field::ro("file_name", TEXT),
    Field::req("test_result", Kind::Choice(&TESTING_STATE_REF)),
];

pub static COMPOSE_IMAGE_RTT_TESTS: Spec = Spec {
    prefix: "compose-image-rtt-tests",
    lookup: &["compose_id", "variant_uid", "arch", "file_name"],
    lookup_dots: true,
    fields: &IMAGE_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::multi("compose", "c.compose_id = ANY({})"),
        Filter::multi("variant", "v.variant_uid = ANY({})"),
        Filter::multi("arch", "a.name = ANY({})"),
        Filter::multi("file_name", "i.file_name = ANY({})"),
        Filter::multi("test_result", "ts.name = ANY({})"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "compose_image ci JOIN compose_variant_arch va ON va.id = ci.variant_arch_pk \
           JOIN compose_variant v ON v.id = va.variant_pk JOIN compose c ON c.id = v.compose_pk \
           JOIN arch a ON a.id = va.arch_pk JOIN image i ON i.id = ci.image_pk \
           JOIN testing_state ts ON ts.id = ci.rtt_test_result_pk",
    id: "ci.id",
    ordering: &[
        ("compose", "c.compose_id"),
        ("variant", "v.variant_uid"),
        ("arch", "a.name"),
        ("file_name", "i.file_name"),
        ("test_result", "ts.name"),
    ],
    relations: &[],
    default_order: "v.variant_uid, a.name, va.id, ci.image_pk",
    actions: Actions {
        list: true,
        retrieve: true,
        create: false,
        update: false,
        partial_update: true,
        destroy: false,
    },
    change_name: "composeimage",
    last_modified: &[],
    caching: Caching::Default,
    model: "composeimage",
    doc: "QE (RTT) result of each image of a compose: `untested`, `passed` or `failed`. \
          PATCH changes `test_result` only.",
};

impl Resource for ComposeImageRttTests {
    const SPEC: &'static Spec = &COMPOSE_IMAGE_RTT_TESTS;
    const PATCH_ONLY: &'static [&'static str] = &["test_result"];

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT ci.id FROM compose_image ci
             JOIN compose_variant_arch va ON va.id = ci.variant_arch_pk
             JOIN compose_variant v ON v.id = va.variant_pk
             JOIN compose c ON c.id = v.compose_pk JOIN arch a ON a.id = va.arch_pk
             JOIN image i ON i.id = ci.image_pk
             WHERE c.compose_id = $1 AND v.variant_uid = $2 AND a.name = $3 AND i.file_name = $4
             ORDER BY ci.id LIMIT 1",
            key[0],
            key[1],
            key[2],
            key[3]
        )
        .fetch_optional(conn)
        .await
        .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            "SELECT ci.id, c.compose_id, v.variant_uid, a.name AS arch, i.file_name,
                    ts.name AS state
             FROM compose_image ci
             JOIN compose_variant_arch va ON va.id = ci.variant_arch_pk
             JOIN compose_variant v ON v.id = va.variant_pk
             JOIN compose c ON c.id = v.compose_pk JOIN arch a ON a.id = va.arch_pk
             JOIN image i ON i.id = ci.image_pk
             JOIN testing_state ts ON ts.id = ci.rtt_test_result_pk
             WHERE ci.id = ANY($1)",
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
                        json!({"compose": r.compose_id, "variant": r.variant_uid,
                               "arch": r.arch, "file_name": r.file_name, "test_result": r.state}),
                    )
                })
                .collect(),
        ))
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        set_result(
            w,
            &IMAGE_FIELDS,
            body,
            op,
            "UPDATE compose_image SET rtt_test_result_pk = $2 WHERE id = $1",
            id,
        )
        .await
    }
}

// ---------------------------------------------------------------- tree locations

pub struct ComposeTreeLocations;

static COMPOSE_REF: Ref = Ref {
    table: "compose",
    column: "compose_id",
    order: "id",
};
static ARCH_REF: Ref = Ref {
    table: "arch",
    column: "name",
    order: "id",
};
static CONTENT_CATEGORY_REF: Ref = Ref {
    table: "content_category",
    column: "name",
    order: "id",
};

static LOCATION_FIELDS: [Field; 7] = [
    Field::req("compose", Kind::Slug(&COMPOSE_REF)),
    Field::req("variant", Kind::Custom).doc("variant_uid of a variant of the compose"),
    Field::req("arch", Kind::Slug(&ARCH_REF)),
    Field::req(
        "location",
        Kind::Choice(&crate::import::trees::LOCATION_REF),
    ),
    Field::req("scheme", Kind::Choice(&crate::import::trees::SCHEME_REF)),
    // The serializer has no limit; the model's 255 is checked on save.
    Field::req(
        "url",
        Kind::Str {
            max: 0,
            blank: false,
        },
    )
    .doc("At most 255 characters."),
    Field::opt("synced_content", Kind::ChoiceList(&CONTENT_CATEGORY_REF))
        .doc("Content categories; all of them when missing or empty."),
];

const LOCATION_ORDER: [&str; 7] = [
    "compose",
    "variant",
    "arch",
    "location",
    "scheme",
    "url",
    "synced_content",
];

pub static COMPOSE_TREE_LOCATIONS: Spec = Spec {
    prefix: "compose-tree-locations",
    lookup: &["compose_id", "variant_uid", "arch", "location", "scheme"],
    lookup_dots: true,
    fields: &LOCATION_FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new(
            "compose",
            crate::spec::FilterKind::MultiCi,
            "lower(c.compose_id) = ANY({})",
        ),
        Filter::new(
            "variant",
            crate::spec::FilterKind::MultiCi,
            "lower(v.variant_uid) = ANY({})",
        ),
        Filter::new(
            "arch",
            crate::spec::FilterKind::MultiCi,
            "lower(a.name) = ANY({})",
        ),
        Filter::new(
            "location",
            crate::spec::FilterKind::MultiCi,
            "lower(l.short) = ANY({})",
        ),
        Filter::new(
            "scheme",
            crate::spec::FilterKind::MultiCi,
            "lower(s.name) = ANY({})",
        ),
    ],
    extra_params: &[],
    strict_params: true,
    from: "compose_tree t JOIN compose c ON c.id = t.compose_pk \
           JOIN compose_variant v ON v.id = t.variant_pk JOIN arch a ON a.id = t.arch_pk \
           JOIN location l ON l.id = t.location_pk JOIN scheme s ON s.id = t.scheme_pk",
    id: "t.id",
    ordering: &[
        ("compose", "c.compose_id"),
        ("variant", "v.variant_uid"),
        ("arch", "a.name"),
        ("location", "l.short"),
        ("scheme", "s.name"),
        ("url", "t.url"),
    ],
    relations: &[],
    default_order: "c.id, v.variant_uid, a.name, l.id, s.id",
    actions: Actions {
        list: true,
        retrieve: true,
        create: true,
        update: false,
        partial_update: true,
        destroy: true,
    },
    change_name: "composetree",
    last_modified: &[],
    caching: Caching::Default,
    model: "composetree",
    doc: "Where compose trees (variant and arch of a compose) are published: location, scheme \
          and URL, and which content categories are synced there. PATCH changes `scheme`, \
          `url` and `synced_content` only.",
};

impl Resource for ComposeTreeLocations {
    const SPEC: &'static Spec = &COMPOSE_TREE_LOCATIONS;
    const PATCH_ONLY: &'static [&'static str] = &["url", "scheme", "synced_content"];

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        sqlx::query_scalar!(
            "SELECT t.id FROM compose_tree t JOIN compose c ON c.id = t.compose_pk
             JOIN compose_variant v ON v.id = t.variant_pk JOIN arch a ON a.id = t.arch_pk
             JOIN location l ON l.id = t.location_pk JOIN scheme s ON s.id = t.scheme_pk
             WHERE c.compose_id = $1 AND v.variant_uid = $2 AND a.name = $3 AND l.short = $4
               AND s.name = $5",
            key[0],
            key[1],
            key[2],
            key[3],
            key[4]
        )
        .fetch_optional(conn)
        .await
        .db()
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        let rows = sqlx::query!(
            r#"SELECT t.id, c.compose_id, v.variant_uid, a.name AS arch, l.short AS location,
                      s.name AS scheme, t.url,
                      ARRAY(SELECT cc.name FROM compose_tree_synced_content sc
                            JOIN content_category cc ON cc.id = sc.content_category_pk
                            WHERE sc.tree_pk = t.id ORDER BY cc.id) AS "synced!"
               FROM compose_tree t JOIN compose c ON c.id = t.compose_pk
               JOIN compose_variant v ON v.id = t.variant_pk JOIN arch a ON a.id = t.arch_pk
               JOIN location l ON l.id = t.location_pk JOIN scheme s ON s.id = t.scheme_pk
               WHERE t.id = ANY($1)"#,
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
                        json!({"compose": r.compose_id, "variant": r.variant_uid, "arch": r.arch,
                               "location": r.location, "scheme": r.scheme, "url": r.url,
                               "synced_content": r.synced}),
                    )
                })
                .collect(),
        ))
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let Some(compose) = body.get("compose") else {
            return Err(pdc_core::Error::bad_request("Missing compose"));
        };
        let compose_id = pdc_core::fields::py_str(compose);
        let compose_pk = super::composes::compose_pk(w.conn, &compose_id)
            .await?
            .ok_or_else(|| {
                pdc_core::Error::detail(404, format!("Compose {compose_id} does not existed"))
            })?;
        let Some(variant) = body.get("variant") else {
            return Err(pdc_core::Error::bad_request("Missing variant"));
        };
        let mut body = body.clone();
        if !body
            .get("synced_content")
            .is_some_and(pdc_core::fields::truthy)
        {
            body.insert(
                "synced_content".into(),
                json!(["binary", "debug", "source"]),
            );
        }
        let (mut input, mut errors) = parse_body(&LOCATION_FIELDS, &body, Op::Create);
        refs::resolve(w.conn, &LOCATION_FIELDS, &mut input, &mut errors).await?;
        let variant_uid = pdc_core::fields::py_str(variant);
        let variant_pk = sqlx::query_scalar!(
            "SELECT id FROM compose_variant WHERE compose_pk = $1 AND variant_uid = $2",
            compose_pk,
            variant_uid
        )
        .fetch_optional(&mut *w.conn)
        .await
        .db()?;
        if variant_pk.is_none() {
            errors.add(
                "variant",
                format!("Variant {variant_uid} does not exist in compose {compose_id}"),
            );
        }
        errors.into_result(&LOCATION_ORDER)?;
        let variant_pk = variant_pk.unwrap_or_default();
        let arch = input.id("arch").flatten().unwrap_or_default();
        let in_variant = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM compose_variant_arch WHERE variant_pk = $1 AND arch_pk = $2)
               AS "e!""#,
            variant_pk,
            arch
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if !in_variant {
            return Err(pdc_core::Error::detail_list([format!(
                "Arch {} does not exist in given compose/variant branch",
                body.get("arch")
                    .map(pdc_core::fields::py_str)
                    .unwrap_or_default()
            )]));
        }
        let (location, scheme) = (
            input.id("location").flatten().unwrap_or_default(),
            input.id("scheme").flatten().unwrap_or_default(),
        );
        let taken = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM compose_tree WHERE compose_pk = $1 AND variant_pk = $2
                 AND arch_pk = $3 AND location_pk = $4 AND scheme_pk = $5) AS "e!""#,
            compose_pk,
            variant_pk,
            arch,
            location,
            scheme
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if taken {
            return Err(pdc_core::Error::detail_list([
                "The fields compose, variant, arch, location, scheme must make a unique set.",
            ]));
        }
        check_model_lengths(&[("url", input.str("url"), 255)])?;
        let id = sqlx::query_scalar!(
            "INSERT INTO compose_tree (compose_pk, variant_pk, arch_pk, location_pk, scheme_pk, url)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            compose_pk,
            variant_pk,
            arch,
            location,
            scheme,
            input.str("url").unwrap_or_default()
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        set_synced(w.conn, id, input.ids("synced_content").unwrap_or_default()).await?;
        Ok(id)
    }

    async fn update(w: &mut Write<'_>, id: i64, body: &Map<String, Value>, op: Op) -> Result<i64> {
        let (mut input, mut errors) = parse_body(&LOCATION_FIELDS, body, op);
        refs::resolve(w.conn, &LOCATION_FIELDS, &mut input, &mut errors).await?;
        errors.into_result(&LOCATION_ORDER)?;
        if let Some(Some(scheme)) = input.id("scheme") {
            let row = sqlx::query!(
                "SELECT compose_pk, variant_pk, arch_pk, location_pk FROM compose_tree WHERE id = $1",
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            let taken = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM compose_tree WHERE compose_pk = $1 AND variant_pk = $2
                     AND arch_pk = $3 AND location_pk = $4 AND scheme_pk = $5 AND id <> $6) AS "e!""#,
                row.compose_pk,
                row.variant_pk,
                row.arch_pk,
                row.location_pk,
                scheme,
                id
            )
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
            if taken {
                return Err(pdc_core::Error::detail_list([
                    "The fields compose, variant, arch, location, scheme must make a unique set.",
                ]));
            }
            sqlx::query!(
                "UPDATE compose_tree SET scheme_pk = $2 WHERE id = $1",
                id,
                scheme
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
        }
        if let Some(url) = input.str("url") {
            check_model_lengths(&[("url", Some(url), 255)])?;
            sqlx::query!("UPDATE compose_tree SET url = $2 WHERE id = $1", id, url)
                .execute(&mut *w.conn)
                .await
                .db()?;
        }
        if let Some(ids) = input.ids("synced_content") {
            set_synced(w.conn, id, ids).await?;
        }
        Ok(id)
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        crate::resource::delete_by_id(w.conn, "compose_tree", id).await
    }
}

async fn set_synced(conn: &mut PgConnection, tree: i64, categories: &[i64]) -> Result<()> {
    sqlx::query!(
        "DELETE FROM compose_tree_synced_content WHERE tree_pk = $1",
        tree
    )
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query!(
        "INSERT INTO compose_tree_synced_content (tree_pk, content_category_pk)
         SELECT DISTINCT $1::bigint, unnest($2::bigint[])",
        tree,
        categories
    )
    .execute(conn)
    .await
    .db()?;
    Ok(())
}
