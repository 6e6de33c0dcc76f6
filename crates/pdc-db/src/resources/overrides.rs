//! RPM overrides of releases (`overrides/rpm/`) and the RPM mappings they
//! change (`composes/{id}/rpm-mapping/{package}/`).

use std::collections::BTreeMap;

use pdc_core::fields::{Default, Field, Kind, Op, parse_body};
use pdc_core::{Error, Result, pydict, pyrepr};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::releases::RELEASE_REF;
use crate::db::DbResultExt;
use crate::refs;
use crate::resource::{Ctx, Resource, Write, delete_by_id, in_order, lookup_by_id};
use crate::spec::{Actions, Caching, Filter, FilterKind, Spec};

pub struct OverridesRpm;

const fn text(max: usize) -> Kind {
    Kind::Str { max, blank: false }
}

static FIELDS: [Field; 10] = [
    Field::ro("id", Kind::Int),
    Field::req("release", Kind::Slug(&RELEASE_REF)),
    Field::req("variant", text(200)),
    Field::req("arch", text(20)),
    Field::req("srpm_name", text(200)),
    Field::req("rpm_name", text(200)),
    Field::req("rpm_arch", text(20)),
    Field::req("include", Kind::Bool),
    Field::with_default(
        "comment",
        Kind::Str {
            max: 200,
            blank: true,
        },
        Default::EmptyStr,
    ),
    Field::with_default("do_not_delete", Kind::Bool, Default::Bool(false)),
];

const FIELD_ORDER: [&str; 10] = [
    "id",
    "release",
    "variant",
    "arch",
    "srpm_name",
    "rpm_name",
    "rpm_arch",
    "include",
    "comment",
    "do_not_delete",
];

pub static OVERRIDES_RPM: Spec = Spec {
    prefix: "overrides/rpm",
    lookup: &["id"],
    lookup_dots: false,
    fields: &FIELDS,
    extra_body_keys: &[],
    filters: &[
        Filter::new(
            "release",
            FilterKind::MultiCi,
            "lower(r.release_id) = ANY({})",
        ),
        Filter::multi("variant", "o.variant = ANY({})"),
        Filter::multi("arch", "o.arch = ANY({})"),
        Filter::multi("srpm_name", "o.srpm_name = ANY({})"),
        Filter::multi("rpm_name", "o.rpm_name = ANY({})"),
        Filter::multi("rpm_arch", "o.rpm_arch = ANY({})"),
        Filter::new("comment", FilterKind::IContains, "o.comment ILIKE {}"),
    ],
    extra_params: &[],
    strict_params: true,
    from: "override_rpm o JOIN release r ON r.id = o.release_pk",
    id: "o.id",
    ordering: &[
        ("id", "o.id"),
        ("release", "r.release_id"),
        ("variant", "o.variant"),
        ("arch", "o.arch"),
        ("srpm_name", "o.srpm_name"),
        ("rpm_name", "o.rpm_name"),
        ("rpm_arch", "o.rpm_arch"),
        ("include", "o.include"),
        ("comment", "o.comment"),
        ("do_not_delete", "o.do_not_delete"),
    ],
    relations: &[],
    default_order: "o.id",
    actions: Actions {
        list: true,
        retrieve: false,
        create: true,
        update: false,
        partial_update: false,
        destroy: true,
    },
    change_name: "overriderpm",
    last_modified: &[],
    caching: Caching::Default,
    model: "overriderpm",
    doc: "RPM overrides of a release: include or exclude an RPM (name and arch) in a variant \
          and arch of the RPM mappings of its composes. Bulk DELETE takes a list of ids, or \
          `{\"release\": ..., \"force\": bool}` to clear the release's overrides (those with \
          `do_not_delete` only with `force`).",
};

impl Resource for OverridesRpm {
    const SPEC: &'static Spec = &OVERRIDES_RPM;

    async fn lookup(conn: &mut PgConnection, key: &[String]) -> Result<Option<i64>> {
        lookup_by_id(conn, "override_rpm", key).await
    }

    async fn fetch(conn: &mut PgConnection, _ctx: &Ctx, ids: &[i64]) -> Result<Vec<Value>> {
        fetch_overrides(conn, ids).await
    }

    async fn create(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<i64> {
        let (mut input, mut errors) = parse_body(&FIELDS, body, Op::Create);
        refs::resolve(w.conn, &FIELDS, &mut input, &mut errors).await?;
        errors.into_result(&FIELD_ORDER)?;
        let release = input.id("release").flatten().unwrap_or_default();
        let s = |name: &str| input.str(name).unwrap_or_default().to_string();
        let (variant, arch, rpm_name, rpm_arch) =
            (s("variant"), s("arch"), s("rpm_name"), s("rpm_arch"));
        let taken = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM override_rpm WHERE release_pk = $1 AND variant = $2
                 AND arch = $3 AND rpm_name = $4 AND rpm_arch = $5) AS "taken!""#,
            release,
            variant,
            arch,
            rpm_name,
            rpm_arch
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if taken {
            return Err(Error::detail_list([
                "The fields release, variant, arch, rpm_name, rpm_arch must make a unique set.",
            ]));
        }
        sqlx::query_scalar!(
            "INSERT INTO override_rpm (release_pk, variant, arch, srpm_name, rpm_name, rpm_arch,
                                       include, comment, do_not_delete)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            release,
            variant,
            arch,
            s("srpm_name"),
            rpm_name,
            rpm_arch,
            input.bool("include").unwrap_or(true),
            s("comment"),
            input.bool("do_not_delete").unwrap_or(false)
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()
    }

    async fn delete(w: &mut Write<'_>, id: i64) -> Result<()> {
        delete_by_id(w.conn, "override_rpm", id).await
    }

    async fn export(conn: &mut PgConnection, _ctx: &Ctx, id: i64, repr: Value) -> Result<Value> {
        Ok(override_export(conn, id).await?.unwrap_or(repr))
    }
}

pub async fn fetch_overrides(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Value>> {
    let rows = sqlx::query!(
        "SELECT o.id, r.release_id, o.variant, o.arch, o.srpm_name, o.rpm_name, o.rpm_arch,
                o.include, o.comment, o.do_not_delete
         FROM override_rpm o JOIN release r ON r.id = o.release_pk WHERE o.id = ANY($1)",
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
                        "id": r.id, "release": r.release_id, "variant": r.variant, "arch": r.arch,
                        "srpm_name": r.srpm_name, "rpm_name": r.rpm_name, "rpm_arch": r.rpm_arch,
                        "include": r.include, "comment": r.comment, "do_not_delete": r.do_not_delete,
                    }),
                )
            })
            .collect(),
    ))
}

/// The bulk DELETE of `{"release": ..., "force": ...}`: removes the
/// release's overrides (all with `force`, else those without
/// `do_not_delete`) and returns them.
pub async fn clear(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<Vec<Value>> {
    let keys: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "force")
        .collect();
    if keys != ["release"] {
        return Err(Error::status(
            400,
            json!(["Allowed keys are release and force (optional, default false)."]),
        ));
    }
    let release = match &body["release"] {
        Value::String(s) => s.clone(),
        other => pdc_core::fields::py_str(other),
    };
    let release_pk = sqlx::query_scalar!("SELECT id FROM release WHERE release_id = $1", release)
        .fetch_optional(&mut *w.conn)
        .await
        .db()?
        .ok_or_else(Error::not_found)?;
    // DRF's BooleanField: false values, everything else is true.
    let force = match body.get("force") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !matches!(s.as_str(), "false" | "f" | "False" | "0" | "FALSE"),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Null) => false,
        Some(_) => true,
    };
    let ids = sqlx::query_scalar!(
        "SELECT id FROM override_rpm WHERE release_pk = $1 AND ($2 OR NOT do_not_delete) ORDER BY id",
        release_pk,
        force
    )
    .fetch_all(&mut *w.conn)
    .await
    .db()?;
    if ids.is_empty() {
        return Err(Error::not_found());
    }
    let values = fetch_overrides(w.conn, &ids).await?;
    for (id, v) in ids.iter().zip(&values) {
        // PDC stores the Python text of the serializer's dict here.
        w.changes
            .add_text("overriderpm", *id, serializer_repr(v), "null".into());
    }
    sqlx::query!("DELETE FROM override_rpm WHERE id = ANY($1)", &ids)
        .execute(&mut *w.conn)
        .await
        .db()?;
    Ok(values)
}

/// Python 2 text of a serializer's data as a plain dict (keys in its
/// iteration order, text values as unicode).
fn serializer_repr(v: &Value) -> String {
    let Value::Object(m) = v else {
        return "null".into();
    };
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    let items: Vec<String> = pydict::order(&keys, 1)
        .into_iter()
        .map(|k| format!("'{k}': {}", pdc_core::fields::py_repr(&m[k])))
        .collect();
    format!("{{{}}}", items.join(", "))
}

// ---------------------------------------------------------------- RPM mapping

/// Where a mapped RPM arch comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// In the compose, no override.
    Orig,
    /// In the compose, excluded by an override.
    Delete,
    /// Added by an include override.
    Create,
}

#[derive(Debug, Clone)]
struct Entry {
    rpm_arch: String,
    included: bool,
    origin: Origin,
}

type Names = BTreeMap<String, Vec<Entry>>;
type Tree = BTreeMap<String, BTreeMap<String, Names>>;

/// The RPM mapping of one package in a compose.
pub struct Mapping {
    data: Tree,
    release_id: String,
    package: String,
}

struct Override {
    id: i64,
    variant: String,
    arch: String,
    rpm_name: String,
    rpm_arch: String,
    include: bool,
    do_not_delete: bool,
}

/// The mapping of `package` in compose `compose_pk` (if any), restricted
/// to the variants and arches of release `release_pk`, with that release's
/// overrides applied unless disabled. Overrides that change nothing are
/// deleted unless marked `do_not_delete` (as PDC does, even on GET).
pub async fn rpm_mapping(
    conn: &mut PgConnection,
    compose_pk: Option<i64>,
    release_pk: i64,
    package: &str,
    disable_overrides: bool,
) -> Result<Mapping> {
    let release_id =
        sqlx::query_scalar!("SELECT release_id FROM release WHERE id = $1", release_pk)
            .fetch_one(&mut *conn)
            .await
            .db()?;
    let mut data = Tree::new();
    if let Some(compose_pk) = compose_pk {
        // The package's RPMs (by SRPM name) times the compose's variant
        // arches, each pair probed in compose_rpm's primary key: a scalar
        // subquery is never turned into a join, which would read every RPM
        // of the compose.
        let rows = sqlx::query!(
            r#"SELECT v.variant_uid, a.name AS arch, rp.name, rp.arch AS rpm_arch
             FROM rpm rp
             CROSS JOIN compose_variant_arch va
             JOIN compose_variant v ON v.id = va.variant_pk
             JOIN arch a ON a.id = va.arch_pk
             WHERE rp.srpm_name = $2 AND v.compose_pk = $1
               AND (SELECT TRUE FROM compose_rpm cr
                    WHERE cr.variant_arch_pk = va.id AND cr.rpm_pk = rp.id)
               AND EXISTS (SELECT 1 FROM variant rv JOIN variant_arch rva ON rva.variant_pk = rv.id
                           WHERE rv.release_pk = $3 AND rv.variant_uid = v.variant_uid
                             AND rva.arch_pk = va.arch_pk)"#,
            compose_pk,
            package,
            release_pk
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        for r in rows {
            data.entry(r.variant_uid)
                .or_default()
                .entry(r.arch)
                .or_default()
                .entry(r.name)
                .or_default()
                .push(Entry {
                    rpm_arch: r.rpm_arch,
                    included: true,
                    origin: Origin::Orig,
                });
        }
    }
    let mut mapping = Mapping {
        data,
        release_id,
        package: package.to_string(),
    };
    if !disable_overrides {
        let overrides = sqlx::query_as!(
            Override,
            "SELECT id, variant, arch, rpm_name, rpm_arch, include, do_not_delete
             FROM override_rpm WHERE release_pk = $1 AND srpm_name = $2 ORDER BY id",
            release_pk,
            package
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let useless = mapping.apply(&overrides);
        sqlx::query!("DELETE FROM override_rpm WHERE id = ANY($1)", &useless)
            .execute(&mut *conn)
            .await
            .db()?;
    }
    Ok(mapping)
}

impl Mapping {
    /// Applies overrides; returns the ids of useless ones to delete.
    fn apply(&mut self, overrides: &[Override]) -> Vec<i64> {
        let mut useless = Vec::new();
        for o in overrides {
            let names = self
                .data
                .entry(o.variant.clone())
                .or_default()
                .entry(o.arch.clone())
                .or_default();
            let used = match names.get_mut(&o.rpm_name) {
                Some(entries) => {
                    let matching: Vec<usize> = entries
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| e.rpm_arch == o.rpm_arch)
                        .map(|(i, _)| i)
                        .collect();
                    // PDC's find_by: exactly one match, else none.
                    if let [i] = matching[..] {
                        if !o.include {
                            entries[i].included = false;
                            entries[i].origin = Origin::Delete;
                            true
                        } else {
                            false
                        }
                    } else if o.include {
                        entries.push(Entry {
                            rpm_arch: o.rpm_arch.clone(),
                            included: true,
                            origin: Origin::Create,
                        });
                        true
                    } else {
                        false
                    }
                }
                None if o.include => {
                    names.insert(
                        o.rpm_name.clone(),
                        vec![Entry {
                            rpm_arch: o.rpm_arch.clone(),
                            included: true,
                            origin: Origin::Create,
                        }],
                    );
                    true
                }
                None => false,
            };
            if !used && !o.do_not_delete {
                useless.push(o.id);
            }
        }
        useless
    }

    /// Entries in PDC's iteration order (sorted by variant, arch, name, rpm arch).
    fn iter(&self) -> impl Iterator<Item = (&str, &str, &str, &Entry)> {
        self.data.iter().flat_map(|(v, arches)| {
            arches.iter().flat_map(move |(a, names)| {
                names.iter().flat_map(move |(n, entries)| {
                    let mut sorted: Vec<&Entry> = entries.iter().collect();
                    sorted.sort_by(|x, y| x.rpm_arch.cmp(&y.rpm_arch));
                    sorted
                        .into_iter()
                        .map(move |e| (v.as_str(), a.as_str(), n.as_str(), e))
                })
            })
        })
    }

    /// `{variant: {arch: {rpm_name: [rpm_arch, ...]}}}` of the included RPMs.
    pub fn pure(&self) -> Value {
        let mut out: Map<String, Value> = Map::new();
        for (v, a, n, e) in self.iter().filter(|(_, _, _, e)| e.included) {
            let arches = out.entry(v).or_insert_with(|| json!({}));
            let names = arches
                .as_object_mut()
                .map(|m| m.entry(a).or_insert_with(|| json!({})));
            if let Some(Value::Object(names)) = names {
                let list = names.entry(n).or_insert_with(|| json!([]));
                if let Value::Array(list) = list {
                    list.push(Value::String(e.rpm_arch.clone()));
                }
            }
        }
        pydict::reordered(&Value::Object(out))
    }

    fn action(&self, action: &str, v: &str, a: &str, n: &str, arch: &str, include: bool) -> Value {
        pydict::literal(&json!({
            "release_id": self.release_id,
            "srpm_name": self.package,
            "action": action,
            "variant": v,
            "arch": a,
            "rpm_name": n,
            "rpm_arch": arch,
            "include": include,
        }))
    }

    /// The override actions that turn this mapping into `wanted` (already
    /// checked to be `{variant: {arch: {name: [arch]}}}`).
    pub fn changes(&self, wanted: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        let mut wanted_list: Vec<(&str, &str, &str, String)> = Vec::new();
        let obj = |v: &Value| v.as_object().cloned().unwrap_or_default();
        let wanted_tree: BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<String>>>> =
            obj(wanted)
                .into_iter()
                .map(|(v, arches)| {
                    let arches = obj(&arches)
                        .into_iter()
                        .map(|(a, names)| {
                            let names = obj(&names)
                                .into_iter()
                                .map(|(n, list)| {
                                    let mut l: Vec<String> = list
                                        .as_array()
                                        .map(|l| l.iter().map(pdc_core::fields::py_str).collect())
                                        .unwrap_or_default();
                                    l.sort();
                                    (n, l)
                                })
                                .collect();
                            (a, names)
                        })
                        .collect();
                    (v, arches)
                })
                .collect();
        for (v, arches) in &wanted_tree {
            for (a, names) in arches {
                for (n, list) in names {
                    for arch in list {
                        wanted_list.push((v, a, n, arch.clone()));
                    }
                }
            }
        }
        for (v, a, n, arch) in &wanted_list {
            let old: Vec<&Entry> = self
                .data
                .get(*v)
                .and_then(|x| x.get(*a))
                .and_then(|x| x.get(*n))
                .map(|l| l.iter().filter(|e| &e.rpm_arch == arch).collect())
                .unwrap_or_default();
            match old[..] {
                [e] if !e.included => out.push(self.action("delete", v, a, n, arch, false)),
                [_] => {}
                _ => out.push(self.action("create", v, a, n, arch, true)),
            }
        }
        for (v, a, n, e) in self.iter().filter(|(_, _, _, e)| e.included) {
            let present = wanted_tree
                .get(v)
                .and_then(|x| x.get(a))
                .and_then(|x| x.get(n))
                .is_some_and(|l| l.contains(&e.rpm_arch));
            if present {
                continue;
            }
            if e.origin == Origin::Create {
                out.push(self.action("delete", v, a, n, &e.rpm_arch, true));
            } else {
                out.push(self.action("create", v, a, n, &e.rpm_arch, false));
            }
        }
        out
    }
}

/// Whether a PUT body has the mapping's shape (objects down to lists).
pub fn mapping_shape_ok(v: &Value, layer: u8) -> bool {
    match (layer, v) {
        (1, Value::Array(_)) => true,
        (1, _) => false,
        (_, Value::Object(m)) => m.values().all(|x| mapping_shape_ok(x, layer - 1)),
        _ => false,
    }
}

/// Python 2 `repr()` of an override's `export()` dict (PDC logs the dict
/// itself here, not JSON); `str_comment` is true when the comment is a
/// byte string default (`''`) rather than request text.
async fn export_repr(conn: &mut PgConnection, id: i64, str_comment: bool) -> Result<String> {
    let r = sqlx::query!(
        "SELECT r.release_id, o.variant, o.arch, o.srpm_name, o.rpm_name, o.rpm_arch, o.include,
                o.comment, o.do_not_delete
         FROM override_rpm o JOIN release r ON r.id = o.release_pk WHERE o.id = $1",
        id
    )
    .fetch_one(conn)
    .await
    .db()?;
    let u = |s: &str| pyrepr::unicode(s);
    let b = |v: bool| if v { "True" } else { "False" }.to_string();
    let comment = if str_comment && r.comment.is_empty() {
        "''".to_string()
    } else {
        u(&r.comment)
    };
    let pairs = [
        ("release_id", u(&r.release_id)),
        ("variant", u(&r.variant)),
        ("arch", u(&r.arch)),
        ("srpm_name", u(&r.srpm_name)),
        ("rpm_name", u(&r.rpm_name)),
        ("rpm_arch", u(&r.rpm_arch)),
        ("include", b(r.include)),
        ("comment", comment),
        ("do_not_delete", b(r.do_not_delete)),
    ];
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    let items: Vec<String> = pydict::display(&keys, &[])
        .into_iter()
        .filter_map(|k| pairs.iter().find(|(n, _)| *n == k))
        .map(|(k, v)| format!("'{k}': {v}"))
        .collect();
    Ok(format!("{{{}}}", items.join(", ")))
}

/// Applies override actions (`create`/`delete`) to a release, as PDC's
/// `OverrideRPM.update_object`, logging each.
pub async fn apply_changes(
    w: &mut Write<'_>,
    release_pk: i64,
    changes: &[Map<String, Value>],
) -> Result<()> {
    let text = |m: &Map<String, Value>, k: &str| -> String {
        m.get(k).map(pdc_core::fields::py_str).unwrap_or_default()
    };
    for change in changes {
        let action = text(change, "action");
        let (variant, arch, rpm_name, rpm_arch, srpm_name) = (
            text(change, "variant"),
            text(change, "arch"),
            text(change, "rpm_name"),
            text(change, "rpm_arch"),
            text(change, "srpm_name"),
        );
        let existing = sqlx::query_scalar!(
            "SELECT id FROM override_rpm WHERE release_pk = $1 AND variant = $2 AND arch = $3
               AND rpm_name = $4 AND rpm_arch = $5 AND srpm_name = $6",
            release_pk,
            variant,
            arch,
            rpm_name,
            rpm_arch,
            srpm_name
        )
        .fetch_optional(&mut *w.conn)
        .await
        .db()?;
        let truthy = |k: &str| change.get(k).is_some_and(pdc_core::fields::truthy);
        let str_comment = !change.contains_key("comment");
        let comment = text(change, "comment");
        let (id, old) = match existing {
            Some(id) => (id, export_repr(w.conn, id, false).await?),
            None => {
                let id = sqlx::query_scalar!(
                    "INSERT INTO override_rpm (release_pk, variant, arch, srpm_name, rpm_name,
                                               rpm_arch, include)
                     VALUES ($1, $2, $3, $4, $5, $6, true) RETURNING id",
                    release_pk,
                    variant,
                    arch,
                    srpm_name,
                    rpm_name,
                    rpm_arch
                )
                .fetch_one(&mut *w.conn)
                .await
                .db()?;
                (id, "null".to_string())
            }
        };
        // PDC gets (or creates) the override first: a bad action still
        // uses up an id.
        if action != "create" && action != "delete" {
            return Err(Error::bad_request(
                "action should only be 'create' or 'delete'",
            ));
        }
        let new = if action == "create" {
            sqlx::query!(
                "UPDATE override_rpm SET do_not_delete = $2, comment = $3, include = $4 WHERE id = $1",
                id,
                truthy("do_not_delete"),
                comment,
                truthy("include")
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            export_repr(w.conn, id, str_comment).await?
        } else if !truthy("do_not_delete") {
            delete_by_id(w.conn, "override_rpm", id).await?;
            "null".to_string()
        } else {
            sqlx::query!(
                "UPDATE override_rpm SET do_not_delete = true, comment = $2, include = NOT include
                 WHERE id = $1",
                id,
                comment
            )
            .execute(&mut *w.conn)
            .await
            .db()?;
            export_repr(w.conn, id, str_comment).await?
        };
        w.changes.add_text("overriderpm", id, old, new);
    }
    Ok(())
}

/// PDC's checks of a PATCH body of override actions.
pub fn check_actions(body: &Value) -> Result<Vec<Map<String, Value>>> {
    const ALL: [&str; 9] = [
        "action",
        "variant",
        "arch",
        "srpm_name",
        "rpm_name",
        "rpm_arch",
        "comment",
        "do_not_delete",
        "include",
    ];
    let Value::Array(items) = body else {
        return Err(Error::bad_request("Wrong input format"));
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(m) = item else {
            return Err(Error::bad_request("Wrong input format"));
        };
        let keys: Vec<&String> = m.keys().collect();
        let unknown: Vec<String> =
            pyrepr::py2_set_difference(&pyrepr::py2_iter(&keys), |k| ALL.contains(&k))
                .into_iter()
                .map(str::to_string)
                .collect();
        if !unknown.is_empty() {
            return Err(Error::bad_request(format!(
                "Fields {} are not valid inputs",
                pyrepr::unicode_list(&unknown)
            )));
        }
        if ALL[..8].iter().any(|k| !m.contains_key(*k)) {
            return Err(Error::bad_request("Not all fields specified"));
        }
        let action = pdc_core::fields::py_str(&m["action"]).trim().to_lowercase();
        if action == "create" && !m.contains_key("include") {
            return Err(Error::bad_request(
                "No field 'include' when 'action' is create",
            ));
        }
        if action == "delete" && m.contains_key("include") {
            return Err(Error::bad_request(
                "Field 'include' is only for 'action' being 'create'",
            ));
        }
        out.push(m.clone());
    }
    Ok(out)
}

/// The latest compose (productmd order) built for or linked to a release.
pub async fn latest_compose(
    conn: &mut PgConnection,
    release_pk: i64,
) -> Result<Option<(i64, String)>> {
    let r = sqlx::query!(
        r#"SELECT c.id, c.compose_id FROM compose c
           JOIN release rl ON rl.id = c.release_pk
           JOIN compose_type ct ON ct.id = c.compose_type_pk
           WHERE NOT c.deleted AND (c.release_pk = $1 OR EXISTS (
             SELECT 1 FROM compose_linked_release l WHERE l.compose_pk = c.id AND l.release_pk = $1))
           ORDER BY rl.short COLLATE "C" DESC, release_version_key(rl.version) DESC,
                    c.compose_date DESC, compose_type_rank(ct.name) DESC, c.compose_respin DESC,
                    c.id DESC
           LIMIT 1"#,
        release_pk
    )
    .fetch_optional(conn)
    .await
    .db()?;
    Ok(r.map(|r| (r.id, r.compose_id)))
}

/// `rpc/overrides-rpm/clone/`: copies the matching overrides of the source
/// release to the target (get-or-create with the comment; `include` and
/// `do_not_delete` take their defaults, as in PDC). Returns the status and body.
pub async fn clone(w: &mut Write<'_>, body: &Map<String, Value>) -> Result<(u16, Value)> {
    const IDS: [&str; 2] = ["source_release_id", "target_release_id"];
    const FILTERS: [&str; 5] = ["variant", "arch", "srpm_name", "rpm_name", "rpm_arch"];
    let keys: Vec<&String> = body.keys().collect();
    let extra: Vec<String> = pyrepr::py2_set_difference(&pyrepr::py2_iter(&keys), |k| {
        IDS.contains(&k) || FILTERS.contains(&k)
    })
    .into_iter()
    .map(str::to_string)
    .collect();
    if !extra.is_empty() {
        return Err(Error::bad_request(format!(
            "{} keys are not allowed",
            pyrepr::unicode_list(&extra)
        )));
    }
    let mut releases = Vec::new();
    for key in IDS {
        if !body.contains_key(key) {
            return Err(Error::bad_request(format!("Missing {key}")));
        }
    }
    for key in IDS {
        let id = pdc_core::fields::py_str(&body[key]);
        let pk = sqlx::query_scalar!("SELECT id FROM release WHERE release_id = $1", id)
            .fetch_optional(&mut *w.conn)
            .await
            .db()?
            .ok_or_else(|| Error::detail(404, format!("{key} does not exist")))?;
        releases.push(pk);
    }
    let filter = |k: &str| {
        body.get(k)
            .filter(|v| pdc_core::fields::truthy(v))
            .map(pdc_core::fields::py_str)
    };
    let sources = sqlx::query!(
        "SELECT variant, arch, srpm_name, rpm_name, rpm_arch, comment FROM override_rpm
         WHERE release_pk = $1 AND ($2::text IS NULL OR variant = $2)
           AND ($3::text IS NULL OR arch = $3) AND ($4::text IS NULL OR srpm_name = $4)
           AND ($5::text IS NULL OR rpm_name = $5) AND ($6::text IS NULL OR rpm_arch = $6)
         ORDER BY id",
        releases[0],
        filter("variant"),
        filter("arch"),
        filter("srpm_name"),
        filter("rpm_name"),
        filter("rpm_arch")
    )
    .fetch_all(&mut *w.conn)
    .await
    .db()?;
    if sources.is_empty() {
        return Err(Error::bad_request(
            "there is no overrides-rpm in source release",
        ));
    }
    let target_id =
        sqlx::query_scalar!("SELECT release_id FROM release WHERE id = $1", releases[1])
            .fetch_one(&mut *w.conn)
            .await
            .db()?;
    let mut created = Vec::new();
    for s in sources {
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM override_rpm WHERE release_pk = $1 AND rpm_name = $2
                 AND rpm_arch = $3 AND variant = $4 AND arch = $5 AND srpm_name = $6
                 AND comment = $7) AS "e!""#,
            releases[1],
            s.rpm_name,
            s.rpm_arch,
            s.variant,
            s.arch,
            s.srpm_name,
            s.comment
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        if exists {
            continue;
        }
        let id = sqlx::query_scalar!(
            "INSERT INTO override_rpm (release_pk, variant, arch, srpm_name, rpm_name, rpm_arch,
                                       include, comment, do_not_delete)
             VALUES ($1, $2, $3, $4, $5, $6, true, $7, false) RETURNING id",
            releases[1],
            s.variant,
            s.arch,
            s.srpm_name,
            s.rpm_name,
            s.rpm_arch,
            s.comment
        )
        .fetch_one(&mut *w.conn)
        .await
        .db()?;
        let export = pydict::literal(&json!({
            "release_id": target_id, "variant": s.variant, "arch": s.arch,
            "srpm_name": s.srpm_name, "rpm_name": s.rpm_name, "rpm_arch": s.rpm_arch,
            "include": true, "comment": s.comment, "do_not_delete": false,
        }));
        w.changes.add("overridesrpm", id, None, Some(&export));
        created.push(export);
    }
    if created.is_empty() {
        return Ok((
            200,
            json!({"detail": "overridesRPMs have existed in target release"}),
        ));
    }
    Ok((201, Value::Array(created)))
}

/// What PDC logs of the object (its model export), if it exists.
async fn override_export(conn: &mut PgConnection, id: i64) -> Result<Option<Value>> {
    let Some(v) = fetch_overrides(conn, &[id]).await?.pop() else {
        return Ok(None);
    };
    Ok(Some(pydict::literal(&json!({
        "release_id": v["release"], "variant": v["variant"], "arch": v["arch"],
        "srpm_name": v["srpm_name"], "rpm_name": v["rpm_name"], "rpm_arch": v["rpm_arch"],
        "include": v["include"], "comment": v["comment"], "do_not_delete": v["do_not_delete"],
    }))))
}
