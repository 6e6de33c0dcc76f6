//! The OpenAPI 3.1 document, built from the registry (engine resources are
//! described from their specs, special endpoints describe themselves), and
//! the offline Swagger UI page.

use axum::Router;
use axum::routing::get;
use pdc_core::fields::{Default as FieldDefault, Field, Kind, Mode};
use pdc_db::Spec;
use pdc_db::spec::FilterKind;
use serde_json::json;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, ResponseBuilder,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::App;
use crate::registry::{self, Entry};

/// How an entry contributes to the document.
pub enum Doc {
    /// Derived from the resource description.
    Engine(&'static Spec),
    /// Written by the entry itself.
    Custom(fn(&mut Paths)),
}

fn any() -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .build(),
    )
}

fn typed(t: Type, nullable: bool) -> ObjectBuilder {
    let ty = if nullable {
        SchemaType::Array(vec![t, Type::Null])
    } else {
        SchemaType::Type(t)
    };
    ObjectBuilder::new().schema_type(ty)
}

fn string_array(nullable: bool) -> Schema {
    let mut a = ArrayBuilder::new().items(typed(Type::String, false));
    if nullable {
        a = a.schema_type(SchemaType::Array(vec![Type::Array, Type::Null]));
    }
    Schema::Array(a.build())
}

/// Schema of one field's value.
pub fn field_schema(f: &Field) -> Schema {
    let nullable = f.null || f.null_out || matches!(f.default, Some(FieldDefault::Null));
    let s = match &f.kind {
        Kind::Str { .. } | Kind::Slug(_) | Kind::Choice(_) => typed(Type::String, nullable),
        Kind::Bool => typed(Type::Boolean, nullable),
        Kind::Int => typed(Type::Integer, nullable),
        Kind::Date => {
            typed(Type::String, nullable).format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        }
        Kind::SlugList(_) | Kind::ChoiceList(_) => return with_doc(string_array(nullable), f.doc),
        Kind::Custom => return with_doc(any(), f.doc),
    };
    let s = if f.doc.is_empty() {
        s
    } else {
        s.description(Some(f.doc))
    };
    Schema::Object(s.build())
}

fn with_doc(s: Schema, doc: &str) -> Schema {
    match s {
        Schema::Object(mut o) if !doc.is_empty() => {
            o.description = Some(doc.to_string());
            Schema::Object(o)
        }
        Schema::Array(mut a) if !doc.is_empty() => {
            a.description = Some(doc.to_string());
            Schema::Array(a)
        }
        other => other,
    }
}

fn schema_name(spec: &Spec) -> String {
    spec.prefix
        .split(['/', '-', '{', '}'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|h| h.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn representation(spec: &Spec) -> Schema {
    let mut o = ObjectBuilder::new().description(Some(spec.doc));
    for f in spec.fields.iter().filter(|f| f.is_output()) {
        o = o.property(f.name, field_schema(f));
    }
    Schema::Object(o.build())
}

fn input(spec: &Spec, required: bool) -> Schema {
    let mut o = ObjectBuilder::new();
    for f in spec.fields.iter().filter(|f| f.is_writable()) {
        o = o.property(f.name, field_schema(f));
        if required && f.mode == Mode::Required {
            o = o.required(f.name);
        }
    }
    for k in spec.extra_body_keys {
        o = o.property(*k, any());
    }
    Schema::Object(o.build())
}

fn json_content(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// Adds the error answers an operation may give.
fn errors(mut op: OperationBuilder, codes: &[u16]) -> OperationBuilder {
    for code in codes {
        let text = match code {
            400 => "Invalid input, unknown query parameter or field (PDC error body).",
            401 => "Not authenticated, or bad credentials.",
            403 => "No permission for this action.",
            404 => {
                "Not found (object, page or referenced object). A URL that routes nowhere \
                 (e.g. a lookup value the URL pattern refuses) gets `{\"detail\": \"Not found\"}` \
                 when Accept names application/json, else an HTML page."
            }
            405 => "Method not allowed.",
            406 => "Accept header cannot be satisfied.",
            409 => "Database integrity error.",
            415 => "Unsupported media type.",
            _ => "Error.",
        };
        let mut resp = ResponseBuilder::new()
            .description(text)
            .content("application/json", json_content(schema_ref("Error")));
        if *code == 404 {
            resp = resp.content(
                "text/html",
                json_content(Schema::Object(typed(Type::String, false).build())),
            );
        }
        op = op.response(code.to_string(), resp.build());
    }
    op
}

/// A POST-only special endpoint's operation with a free-form JSON body.
pub fn rpc_operation(
    id: &str,
    summary: &str,
    description: &str,
    ok_text: &str,
    codes: &[u16],
) -> Operation {
    let body = RequestBodyBuilder::new()
        .content("application/json", json_content(any()))
        .required(Some(Required::True))
        .build();
    let op = OperationBuilder::new()
        .tag("rpc")
        .operation_id(Some(id))
        .summary(Some(summary))
        .description(Some(description))
        .request_body(Some(body));
    errors(ok("201", ok_text, any(), op), codes).build()
}

/// A GET special endpoint answering free-form JSON, with path parameters.
pub fn read_operation(
    id: &str,
    summary: &str,
    description: &str,
    path_params: &[&str],
    codes: &[u16],
) -> Operation {
    let mut op = OperationBuilder::new()
        .tag("rpc")
        .operation_id(Some(id))
        .summary(Some(summary))
        .description(Some(description));
    for name in path_params {
        op = op.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(Schema::Object(typed(Type::String, false).build())))
                .build(),
        );
    }
    errors(ok("200", "The answer.", any(), op), codes).build()
}

const READ_ERRORS: &[u16] = &[400, 401, 404, 406];
const WRITE_ERRORS: &[u16] = &[400, 401, 403, 404, 405, 406, 409, 415];

fn query_param(name: &str, doc: &str, schema: Schema) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(doc))
        .schema(Some(schema))
        .build()
}

fn filter_params(spec: &Spec) -> Vec<utoipa::openapi::path::Parameter> {
    let mut v = Vec::new();
    for f in spec.filters {
        let (schema, how) = match f.kind {
            FilterKind::Multi | FilterKind::MultiJoin | FilterKind::MultiMapped { .. } => {
                (string_array(false), "exact match; repeat to OR values")
            }
            FilterKind::MultiCi => (
                string_array(false),
                "case-insensitive match; repeat to OR values",
            ),
            FilterKind::Regex => (
                string_array(false),
                "regular expression; repeat to OR values",
            ),
            FilterKind::MultiInt => (
                Schema::Array(
                    ArrayBuilder::new()
                        .items(typed(Type::Integer, false))
                        .build(),
                ),
                "integer; repeat to OR values",
            ),
            FilterKind::Bool => (
                Schema::Object(
                    typed(Type::String, false)
                        .enum_values(Some(["true", "false", "t", "f", "1", "0", "True", "False"]))
                        .build(),
                ),
                "boolean",
            ),
            FilterKind::NullableChar { .. } => (
                Schema::Object(typed(Type::String, false).build()),
                "exact match; `null` matches missing values",
            ),
            FilterKind::Exact
            | FilterKind::Parsed { .. }
            | FilterKind::Combined { .. }
            | FilterKind::PartOf => (
                Schema::Object(typed(Type::String, false).build()),
                "exact match",
            ),
            FilterKind::IContains => (
                Schema::Object(typed(Type::String, false).build()),
                "case-insensitive substring",
            ),
            FilterKind::Contains => (
                Schema::Object(typed(Type::String, false).build()),
                "substring",
            ),
            FilterKind::Date => (
                Schema::Object(typed(Type::String, false).build()),
                "date YYYY-MM-DD",
            ),
            FilterKind::DateTime => (
                Schema::Object(typed(Type::String, false).build()),
                "date-time YYYY-MM-DD[ HH:MM[:SS]][TZ]",
            ),
            FilterKind::Number => (Schema::Object(typed(Type::String, false).build()), "number"),
            FilterKind::Ids(_) => (
                Schema::Object(typed(Type::String, false).build()),
                "single value",
            ),
            FilterKind::UnlessGiven => (
                Schema::Object(typed(Type::String, false).build()),
                "presence lifts the restriction, whatever the value",
            ),
            FilterKind::TrueFalse { .. } => (
                Schema::Object(
                    typed(Type::String, false)
                        .enum_values(Some(["True", "False"]))
                        .build(),
                ),
                "`True` or `False`",
            ),
            FilterKind::StrictBool { .. } => (
                Schema::Object(
                    typed(Type::String, false)
                        .enum_values(Some(["true", "t", "True", "1", "false", "f", "False", "0"]))
                        .build(),
                ),
                "boolean (case-sensitive)",
            ),
        };
        let doc = if f.doc.is_empty() {
            how.to_string()
        } else {
            format!("{} ({how})", f.doc)
        };
        let mut p = query_param(f.param, &doc, schema);
        if matches!(
            f.kind,
            FilterKind::Multi
                | FilterKind::MultiJoin
                | FilterKind::MultiCi
                | FilterKind::Regex
                | FilterKind::MultiInt
        ) {
            p.explode = Some(true);
        }
        v.push(p);
    }
    for name in spec.extra_params {
        v.push(query_param(
            name,
            "see the endpoint description",
            Schema::Object(typed(Type::String, false).build()),
        ));
    }
    v
}

fn generic_params(list: bool) -> Vec<utoipa::openapi::path::Parameter> {
    let s = || Schema::Object(typed(Type::String, false).build());
    let mut v = vec![
        query_param(
            "fields",
            "Only these top-level fields (comma separated or repeated).",
            s(),
        ),
        query_param("exclude_fields", "Leave these top-level fields out.", s()),
    ];
    if list {
        v.push(query_param(
            "ordering",
            "Comma separated keys, `-` for descending.",
            s(),
        ));
        v.push(query_param("page", "Page number (1-based) or `last`.", s()));
        v.push(query_param(
            "page_size",
            "Items per page (max 100); <= 0 returns a bare list.",
            s(),
        ));
    }
    v
}

/// A path placeholder: one non-empty segment, without dots unless `dots`
/// (other URLs do not route).
fn path_param(name: &str, dots: bool) -> utoipa::openapi::path::Parameter {
    let pattern = if dots { "^[^/]+$" } else { "^[^/.]+$" };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(Schema::Object(
            typed(Type::String, false).pattern(Some(pattern)).build(),
        )))
        .build()
}

fn path_params(spec: &Spec) -> Vec<utoipa::openapi::path::Parameter> {
    spec.lookup
        .iter()
        .map(|name| path_param(name, spec.lookup_dots))
        .collect()
}

/// Placeholders of a nested prefix (`global-components/{instance_pk}/labels`).
fn prefix_params(spec: &Spec) -> Vec<utoipa::openapi::path::Parameter> {
    spec.prefix
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| path_param(name, false))
        .collect()
}

fn body(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .content("application/json", json_content(schema))
        .required(Some(Required::True))
        .build()
}

fn ok(
    code: &str,
    desc: &str,
    schema: impl Into<RefOr<Schema>>,
    op: OperationBuilder,
) -> OperationBuilder {
    op.response(
        code,
        ResponseBuilder::new()
            .description(desc)
            .content("application/json", json_content(schema))
            .build(),
    )
}

fn no_content(op: OperationBuilder) -> OperationBuilder {
    op.response(
        "204",
        ResponseBuilder::new().description("Deleted.").build(),
    )
}

fn operation(spec: &Spec, id: &str, summary: String) -> OperationBuilder {
    let mut op = OperationBuilder::new()
        .tag(spec.prefix)
        .operation_id(Some(format!(
            "{}_{id}",
            spec.prefix.replace(['/', '-', '{', '}'], "_")
        )))
        .summary(Some(summary));
    for p in prefix_params(spec) {
        op = op.parameter(p);
    }
    op
}

fn engine_paths(spec: &'static Spec, paths: &mut Paths, components: &mut ComponentsBuilder) {
    let name = schema_name(spec);
    let in_name = format!("{name}Input");
    let patch_name = format!("{name}Patch");
    let repr = || schema_ref(&name);
    let a = spec.actions;
    *components = std::mem::take(components)
        .schema(name.clone(), representation(spec))
        .schema(in_name.clone(), input(spec, true))
        .schema(patch_name.clone(), input(spec, false));
    let list_path = format!("/rest_api/v1/{}/", spec.prefix);
    let detail_path = format!(
        "/rest_api/v1/{}/{}",
        spec.prefix,
        spec.lookup
            .iter()
            .map(|l| format!("{{{l}}}/"))
            .collect::<String>()
    );
    let add = |paths: &mut Paths, path: &str, method: HttpMethod, op: Operation| {
        paths.add_path_operation(path, vec![method], op);
    };
    if a.list {
        let envelope = ObjectBuilder::new()
            .property("count", typed(Type::Integer, false))
            .property("next", typed(Type::String, true))
            .property("previous", typed(Type::String, true))
            .property("results", ArrayBuilder::new().items(repr()))
            .required("count")
            .required("results");
        let page = OneOfBuilder::new()
            .item(envelope)
            .item(ArrayBuilder::new().items(repr()));
        let mut op =
            operation(spec, "list", format!("List {}", spec.prefix)).description(Some(spec.doc));
        for p in filter_params(spec).into_iter().chain(generic_params(true)) {
            op = op.parameter(p);
        }
        let op = ok(
            "200",
            "A page of results (or all of them with page_size <= 0).",
            page,
            op,
        );
        add(
            paths,
            &list_path,
            HttpMethod::Get,
            errors(op, READ_ERRORS).build(),
        );
    }
    if a.create {
        let input = OneOfBuilder::new()
            .item(schema_ref(&in_name))
            .item(ArrayBuilder::new().items(schema_ref(&in_name)));
        let output = OneOfBuilder::new()
            .item(repr())
            .item(ArrayBuilder::new().items(repr()));
        let mut op = operation(
            spec,
            "create",
            format!(
                "Create {} (an array creates several, all or nothing)",
                spec.prefix
            ),
        )
        .request_body(Some(body(input)));
        for p in generic_params(false) {
            op = op.parameter(p);
        }
        let op = ok("201", "Created.", output, op);
        add(
            paths,
            &list_path,
            HttpMethod::Post,
            errors(op, WRITE_ERRORS).build(),
        );
    }
    let mapping = |item: &str| {
        ObjectBuilder::new()
            .additional_properties(Some(AdditionalProperties::RefOr(schema_ref(item))))
    };
    let by_id =
        || ObjectBuilder::new().additional_properties(Some(AdditionalProperties::RefOr(repr())));
    for (enabled, method, verb, item) in [
        (a.update, HttpMethod::Put, "update", &in_name),
        (
            a.partial_update,
            HttpMethod::Patch,
            "partial_update",
            &patch_name,
        ),
    ] {
        if !enabled {
            continue;
        }
        if spec.has_detail() {
            let mut op = operation(
                spec,
                &format!("bulk_{verb}"),
                format!("Bulk {verb} of {} keyed by lookup", spec.prefix),
            )
            .request_body(Some(body(mapping(item))));
            for p in generic_params(false) {
                op = op.parameter(p);
            }
            let op = ok(
                "200",
                "Updated objects keyed as in the request.",
                by_id(),
                op,
            );
            add(
                paths,
                &list_path,
                method.clone(),
                errors(op, WRITE_ERRORS).build(),
            );
            let mut op = operation(
                spec,
                verb,
                format!(
                    "{} one of {}",
                    if verb == "update" {
                        "Replace"
                    } else {
                        "Change"
                    },
                    spec.prefix
                ),
            )
            .request_body(Some(body(schema_ref(item))));
            for p in path_params(spec).into_iter().chain(generic_params(false)) {
                op = op.parameter(p);
            }
            let op = ok("200", "The updated object.", repr(), op);
            add(
                paths,
                &detail_path,
                method,
                errors(op, WRITE_ERRORS).build(),
            );
        }
    }
    if a.destroy && spec.has_detail() {
        let ids = ArrayBuilder::new().items(
            ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::String, Type::Integer])),
        );
        let op = no_content(
            operation(
                spec,
                "bulk_destroy",
                format!("Delete several {}", spec.prefix),
            )
            .request_body(Some(body(ids))),
        );
        add(
            paths,
            &list_path,
            HttpMethod::Delete,
            errors(op, WRITE_ERRORS).build(),
        );
        let mut op = operation(spec, "destroy", format!("Delete one of {}", spec.prefix));
        for p in path_params(spec) {
            op = op.parameter(p);
        }
        add(
            paths,
            &detail_path,
            HttpMethod::Delete,
            errors(no_content(op), WRITE_ERRORS).build(),
        );
    }
    if a.retrieve && spec.has_detail() {
        let mut op = operation(spec, "retrieve", format!("One of {}", spec.prefix));
        for p in path_params(spec).into_iter().chain(generic_params(false)) {
            op = op.parameter(p);
        }
        let op = ok("200", "The object.", repr(), op);
        add(
            paths,
            &detail_path,
            HttpMethod::Get,
            errors(op, READ_ERRORS).build(),
        );
    }
}

/// The whole document.
pub fn document() -> OpenApi {
    build(&registry::entries())
}

fn build(entries: &[Entry]) -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new()
        .schema(
            "Error",
            Schema::Object(
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .description(Some(
                        "PDC error body: usually {\"detail\": ...} or a field-error mapping.",
                    ))
                    .examples([json!({"detail": "Not found."})])
                    .build(),
            ),
        )
        .security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <key>` (get a key from auth/token/obtain/ or `pdc token create`).",
            ))),
        )
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    for e in entries {
        match &e.doc {
            Doc::Engine(spec) => engine_paths(spec, &mut paths, &mut components),
            Doc::Custom(f) => f(&mut paths),
        }
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Product Definition Center")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "PDC REST API (compatible with PDC 1.10). Reads are open; writes need \
                     `Authorization: Token <key>` and a resource permission.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// `/rest_api/openapi.json` and the docs page at `/rest_api/docs/`.
pub fn routes() -> Router<App> {
    let doc = document();
    let json = doc.to_pretty_json().unwrap_or_default();
    Router::new()
        .route(
            "/rest_api/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        json,
                    )
                }
            }),
        )
        .merge(SwaggerUi::new("/rest_api/docs").config(
            utoipa_swagger_ui::Config::new(["/rest_api/openapi.json"]).try_it_out_enabled(true),
        ))
}
