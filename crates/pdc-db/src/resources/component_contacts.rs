//! The contacts that protect global and release components from deletion
//! (PDC's contact models reference them with PROTECT).

use pdc_core::{Error, Result};
use sqlx::PgConnection;

use crate::db::DbResultExt;

/// Which component contacts: of global or of release components.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Global,
    Release,
}

impl Owner {
    /// `(contact table, str() of the component, joins it needs, model, protecting field)`.
    fn parts(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) {
        match self {
            Owner::Global => (
                "global_component_contact",
                "g.name",
                "JOIN global_component g ON g.id = c.component_pk",
                "GlobalComponent",
                "GlobalComponentContact.component",
            ),
            Owner::Release => (
                "release_component_contact",
                "r.release_id || ' ' || rc.name",
                "JOIN release_component rc ON rc.id = c.component_pk
                 JOIN release r ON r.id = rc.release_pk",
                "ReleaseComponent",
                "ReleaseComponentContact.component",
            ),
        }
    }
}

/// Django's PROTECT answer when contacts still name one of the components
/// `ids`: each contact as `component: role: person(email)`.
pub async fn check(conn: &mut PgConnection, owner: Owner, ids: &[i64]) -> Result<()> {
    let (table, component, joins, model, via) = owner.parts();
    // Table and column names are constants of the code, never user input.
    let sql = format!(
        "SELECT {component} || ': ' || role.name || ': '
                || coalesce(p.username || '(' || p.email || ')', ml.mail_name || '(' || ml.email || ')')
         FROM {table} c {joins}
         JOIN contact_role role ON role.id = c.role_pk
         LEFT JOIN person p ON p.contact_pk = c.contact_pk
         LEFT JOIN mailing_list ml ON ml.contact_pk = c.contact_pk
         WHERE c.component_pk = ANY($1)
         ORDER BY c.id
         LIMIT 21"
    );
    let contacts: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(conn)
        .await
        .db()?;
    if contacts.is_empty() {
        return Ok(());
    }
    Err(Error::protected(model, via, &contacts))
}
