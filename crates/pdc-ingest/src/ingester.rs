//! The path every message takes, whatever its transport: find the handler,
//! claim the message in the inbox, run the handler in the same transaction,
//! save the changeset (actor `ingester`), commit; retry transient failures a
//! bounded number of times, then dead-letter.

use std::sync::Arc;

use chrono::Utc;
use pdc_db::changes::{self, Actor, Changes};
use pdc_db::ingest::{self as inbox, InboxEntry};
use pdc_db::resource::DbSettings;
use pdc_db::{Ctx, DbResultExt, Pool, Write};

use crate::config::Config;
use crate::handler::{HandlerError, Outcome, Registry};
use crate::message::Message;

/// The user changesets written by the ingester name.
pub const ACTOR: &str = "ingester";

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// The handler ran and committed; the changeset, if it changed anything.
    Applied {
        changeset: Option<i64>,
        detail: Option<String>,
    },
    /// The handler declined it (recorded in the inbox).
    Skipped(String),
    /// Already in the inbox: nothing done.
    Duplicate,
    /// No handler for the topic: nothing recorded.
    Unhandled,
    /// Failed for good: recorded in the dead letters.
    DeadLettered(String),
}

/// A failure the ingester could not even record (the database is gone):
/// the transport must leave the message for redelivery.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unrecorded(pub String);

pub struct Ingester {
    pool: Pool,
    registry: Registry,
    ctx: Ctx,
    config: Config,
    actor_pk: i64,
}

impl Ingester {
    /// Prepares an ingester (creates the `ingester` user if needed).
    pub async fn new(
        pool: Pool,
        registry: Registry,
        config: Config,
        settings: Arc<DbSettings>,
    ) -> pdc_core::Result<Ingester> {
        let mut conn = pool.acquire().await.db()?;
        let user = pdc_db::auth::ensure_user(&mut conn, ACTOR, None, Some("Bus ingester")).await?;
        drop(conn);
        Ok(Ingester {
            ctx: Ctx {
                base_url: config.base_url.clone(),
                settings,
            },
            pool,
            registry,
            config,
            actor_pk: user.id,
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// One attempt, in one transaction.
    pub async fn process_once(&self, msg: &Message) -> Result<Processed, HandlerError> {
        let Some(handler) = self.registry.find(msg) else {
            return Ok(Processed::Unhandled);
        };
        let mut tx = self.pool.begin().await.db()?;
        let entry = InboxEntry {
            message_id: &msg.id,
            raw_id: &msg.raw_id,
            topic: &msg.topic,
            sent_at: msg.sent_at,
            handler: handler.name(),
        };
        if !inbox::claim(&mut tx, entry).await? {
            return Ok(Processed::Duplicate);
        }
        let mut changes = Changes::default();
        let outcome = {
            let mut w = Write {
                conn: &mut tx,
                changes: &mut changes,
                ctx: &self.ctx,
            };
            handler.handle(msg, &mut w).await?
        };
        let actor = Actor {
            user_pk: Some(self.actor_pk),
            comment: Some(comment(msg)),
            requested_on: Utc::now(),
        };
        let changeset = changes::save(&mut tx, &actor, &changes).await?;
        let processed = match outcome {
            Outcome::Applied(detail) => {
                inbox::finish(&mut tx, &msg.id, true, detail.as_deref(), changeset).await?;
                Processed::Applied { changeset, detail }
            }
            Outcome::Skipped(why) => {
                inbox::finish(&mut tx, &msg.id, false, Some(&why), changeset).await?;
                Processed::Skipped(why)
            }
        };
        tx.commit().await.db()?;
        Ok(processed)
    }

    /// Processes a message with bounded retries; a message that keeps
    /// failing (or fails permanently) is dead-lettered.
    pub async fn process(&self, msg: &Message) -> Result<Processed, Unrecorded> {
        let max = self.config.max_attempts.max(1);
        let mut delay = self.config.retry_delay;
        let mut attempt = 1;
        loop {
            match self.process_once(msg).await {
                Ok(p) => {
                    log(msg, &p);
                    return Ok(p);
                }
                Err(e) if e.is_permanent() || attempt >= max => {
                    tracing::warn!(id = %msg.raw_id, topic = %msg.topic, attempt, error = %e,
                        "message failed; dead-lettered");
                    self.dead_letter(msg, &e.to_string(), attempt).await?;
                    return Ok(Processed::DeadLettered(e.to_string()));
                }
                Err(e) => {
                    tracing::info!(id = %msg.raw_id, topic = %msg.topic, attempt, error = %e,
                        "message failed; trying again");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
            }
        }
    }

    /// Records a failed message in the dead letters.
    pub async fn dead_letter(
        &self,
        msg: &Message,
        error: &str,
        attempts: u32,
    ) -> Result<(), Unrecorded> {
        let value = serde_json::to_value(msg).map_err(|e| Unrecorded(e.to_string()))?;
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| Unrecorded(e.to_string()))?;
        inbox::dead_letter(
            &mut conn,
            &msg.id,
            &msg.topic,
            &value,
            error,
            attempts.try_into().unwrap_or(i32::MAX),
        )
        .await
        .map_err(|e| Unrecorded(e.to_string()))
    }

    /// Runs a dead-lettered message again (`pdc retry`); its dead letter
    /// goes when it succeeds, and gets the new error and attempts otherwise.
    pub async fn retry(&self, id: &str) -> Result<Processed, RetryError> {
        let id = crate::message::normalise_id(id);
        let mut conn = self.pool.acquire().await.db()?;
        let Some(dead) = inbox::get_dead_letter(&mut conn, &id).await? else {
            return Err(RetryError::NotFound(id));
        };
        drop(conn);
        let msg: Message = serde_json::from_value(dead.message)
            .map_err(|e| RetryError::Other(format!("stored message unreadable: {e}")))?;
        self.process(&msg).await.map_err(|e| RetryError::Other(e.0))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no dead-lettered message {0}")]
    NotFound(String),
    #[error("{0}")]
    Other(String),
}

impl From<pdc_core::Error> for RetryError {
    fn from(e: pdc_core::Error) -> Self {
        RetryError::Other(e.to_string())
    }
}

/// The changeset comment naming the message.
pub fn comment(msg: &Message) -> String {
    format!("Bus message {} ({})", msg.raw_id, msg.topic)
}

fn log(msg: &Message, p: &Processed) {
    match p {
        Processed::Applied { changeset, detail } => {
            tracing::info!(id = %msg.raw_id, topic = %msg.topic, ?changeset, detail = detail.as_deref().unwrap_or(""), "message applied");
        }
        Processed::Skipped(why) => {
            tracing::info!(id = %msg.raw_id, topic = %msg.topic, why = %why, "message skipped");
        }
        Processed::Duplicate => {
            tracing::debug!(id = %msg.raw_id, topic = %msg.topic, "duplicate message ignored");
        }
        Processed::Unhandled => {
            tracing::debug!(id = %msg.raw_id, topic = %msg.topic, "no handler for topic");
        }
        Processed::DeadLettered(_) => {}
    }
}
