//! QE results of compose trees (`compose-tree-rtt-tests/`) and images
//! (`compose-image-rtt-tests/`).

use pdc_core::Result;
use pdc_core::fields::{Field, Kind, Op, Ref, parse_body};
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
