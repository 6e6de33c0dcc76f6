//! One transaction per write request, with its changeset.

use chrono::Utc;
use pdc_core::Result;
use pdc_db::changes::{self, Actor, Changes};
use pdc_db::{Ctx, DbResultExt, Write};
use sqlx::{Postgres, Transaction};

use crate::App;
use crate::auth::Identity;

pub struct WriteTx {
    tx: Transaction<'static, Postgres>,
    pub changes: Changes,
    actor: Actor,
}

impl WriteTx {
    pub async fn begin(app: &App, identity: &Identity, comment: Option<String>) -> Result<Self> {
        let tx = app.pool.begin().await.db()?;
        Ok(WriteTx {
            tx,
            changes: Changes::default(),
            actor: Actor {
                user_pk: identity.user_pk(),
                comment,
                requested_on: Utc::now(),
            },
        })
    }

    pub fn writer<'a>(&'a mut self, ctx: &'a Ctx) -> Write<'a> {
        Write {
            conn: &mut self.tx,
            changes: &mut self.changes,
            ctx,
        }
    }

    pub fn conn(&mut self) -> &mut sqlx::PgConnection {
        &mut self.tx
    }

    /// Saves the changeset (if anything changed) and commits.
    pub async fn commit(mut self) -> Result<()> {
        changes::save(&mut self.tx, &self.actor, &self.changes).await?;
        self.tx.commit().await.db()
    }
}
