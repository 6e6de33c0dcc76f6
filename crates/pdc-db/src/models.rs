//! The tables that nested `ordering` keys reach, described as Django sees
//! its models (field names, foreign keys, `Meta.ordering`).

use crate::spec::Model;

pub static RELEASE_TYPE: Model = Model {
    table: "release_type",
    columns: &[
        ("id", "id"),
        ("short", "short"),
        ("name", "name"),
        ("suffix", "suffix"),
    ],
    relations: &[],
    ordering: &["short", "name", "suffix"],
};

pub static SIGKEY: Model = Model {
    table: "sigkey",
    columns: &[
        ("id", "id"),
        ("key_id", "key_id"),
        ("name", "name"),
        ("description", "description"),
    ],
    relations: &[],
    ordering: &["id"],
};

pub static SERVICE: Model = Model {
    table: "service",
    columns: &[
        ("id", "id"),
        ("name", "name"),
        ("description", "description"),
    ],
    relations: &[],
    ordering: &["id"],
};

pub static PRODUCT: Model = Model {
    table: "product",
    columns: &[("id", "id"), ("name", "name"), ("short", "short")],
    relations: &[],
    ordering: &["short"],
};

pub static PRODUCT_VERSION: Model = Model {
    table: "product_version",
    columns: &[
        ("id", "id"),
        ("name", "name"),
        ("short", "short"),
        ("version", "version"),
        ("product_version_id", "product_version_id"),
    ],
    relations: &[("product", "product_pk", &PRODUCT)],
    ordering: &["product_version_id"],
};

pub static BASE_PRODUCT: Model = Model {
    table: "base_product",
    columns: &[
        ("id", "id"),
        ("base_product_id", "base_product_id"),
        ("short", "short"),
        ("version", "version"),
        ("name", "name"),
    ],
    relations: &[("release_type", "release_type_pk", &RELEASE_TYPE)],
    ordering: &["base_product_id"],
};

pub static RELEASE: Model = Model {
    table: "release",
    columns: &[
        ("id", "id"),
        ("release_id", "release_id"),
        ("short", "short"),
        ("version", "version"),
        ("name", "name"),
        ("active", "active"),
        ("allow_buildroot_push", "allow_buildroot_push"),
    ],
    relations: &[
        ("release_type", "release_type_pk", &RELEASE_TYPE),
        ("base_product", "base_product_pk", &BASE_PRODUCT),
        ("product_version", "product_version_pk", &PRODUCT_VERSION),
        ("integrated_with", "integrated_with_pk", &RELEASE),
        ("sigkey", "sigkey_pk", &SIGKEY),
    ],
    ordering: &["release_id"],
};

pub static VARIANT_TYPE: Model = Model {
    table: "variant_type",
    columns: &[("id", "id"), ("name", "name")],
    relations: &[],
    ordering: &["id"],
};

pub static VARIANT: Model = Model {
    table: "variant",
    columns: &[
        ("id", "id"),
        ("variant_id", "variant_id"),
        ("variant_uid", "variant_uid"),
        ("variant_name", "variant_name"),
        ("variant_version", "variant_version"),
        ("variant_release", "variant_release"),
    ],
    relations: &[
        ("release", "release_pk", &RELEASE),
        ("variant_type", "variant_type_pk", &VARIANT_TYPE),
    ],
    ordering: &["variant_uid"],
};

pub static CPE: Model = Model {
    table: "cpe",
    columns: &[("id", "id"), ("cpe", "cpe"), ("description", "description")],
    relations: &[],
    ordering: &["cpe"],
};

pub static RELEASE_GROUP_TYPE: Model = Model {
    table: "release_group_type",
    columns: &[("id", "id"), ("name", "name")],
    relations: &[],
    ordering: &["id"],
};

pub static GLOBAL_COMPONENT: Model = Model {
    table: "global_component",
    columns: &[
        ("id", "id"),
        ("name", "name"),
        ("dist_git_path", "dist_git_path"),
    ],
    relations: &[],
    ordering: &["id"],
};

pub static RELEASE_COMPONENT_TYPE: Model = Model {
    table: "release_component_type",
    columns: &[("id", "id"), ("name", "name"), ("has_osbs", "has_osbs")],
    relations: &[],
    ordering: &["id"],
};

pub static RELEASE_COMPONENT: Model = Model {
    table: "release_component",
    columns: &[
        ("id", "id"),
        ("name", "name"),
        ("dist_git_branch", "dist_git_branch"),
        ("brew_package", "brew_package"),
        ("active", "active"),
    ],
    relations: &[
        ("release", "release_pk", &RELEASE),
        ("global_component", "global_component_pk", &GLOBAL_COMPONENT),
        ("type", "type_pk", &RELEASE_COMPONENT_TYPE),
    ],
    ordering: &["id"],
};

pub static RELATIONSHIP_TYPE: Model = Model {
    table: "release_component_relationship_type",
    columns: &[("id", "id"), ("name", "name")],
    relations: &[],
    ordering: &["id"],
};
