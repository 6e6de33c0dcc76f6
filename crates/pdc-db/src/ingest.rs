//! The bus ingester's tables: the inbox (exactly-once application of a
//! message) and the dead letters. The ingester (`pdc-ingest`) calls these
//! inside the transaction that also holds the handler's writes.

use chrono::{DateTime, Utc};
use pdc_core::Result;
use serde_json::Value;
use sqlx::PgConnection;

use crate::db::DbResultExt;

/// A message as the inbox records it.
#[derive(Debug, Clone, Copy)]
pub struct InboxEntry<'a> {
    /// Normalised message id (the dedup key).
    pub message_id: &'a str,
    pub raw_id: &'a str,
    pub topic: &'a str,
    pub sent_at: Option<DateTime<Utc>>,
    pub handler: &'a str,
}

/// Takes the message for this transaction: `false` when it is already in
/// the inbox (applied or skipped before, or committed meanwhile by another
/// worker: the insert waits for a concurrent transaction holding the same
/// id and then sees its row).
pub async fn claim(conn: &mut PgConnection, e: InboxEntry<'_>) -> Result<bool> {
    let row = sqlx::query_scalar!(
        "INSERT INTO ingest_inbox (message_id, raw_id, topic, sent_at, handler, outcome)
         VALUES ($1, $2, $3, $4, $5, 'applied')
         ON CONFLICT (message_id) DO NOTHING RETURNING 1",
        e.message_id,
        e.raw_id,
        e.topic,
        e.sent_at,
        e.handler
    )
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    Ok(row.is_some())
}

/// Records what the handler did with a claimed message, and forgets its
/// dead letter if it had one (a retry that succeeded).
pub async fn finish(
    conn: &mut PgConnection,
    message_id: &str,
    applied: bool,
    detail: Option<&str>,
    changeset_pk: Option<i64>,
) -> Result<()> {
    let outcome = if applied { "applied" } else { "skipped" };
    sqlx::query!(
        "UPDATE ingest_inbox SET outcome = $2, detail = $3, changeset_pk = $4,
           processed_at = clock_timestamp()
         WHERE message_id = $1",
        message_id,
        outcome,
        detail,
        changeset_pk
    )
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query!(
        "DELETE FROM ingest_dead_letter WHERE message_id = $1",
        message_id
    )
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

/// Whether the inbox holds the message.
pub async fn seen(conn: &mut PgConnection, message_id: &str) -> Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM ingest_inbox WHERE message_id = $1) AS "e!""#,
        message_id
    )
    .fetch_one(conn)
    .await
    .db()
}

/// A dead-lettered message.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub message_id: String,
    pub topic: String,
    pub message: Value,
    pub error: String,
    pub attempts: i32,
    pub first_failed_at: DateTime<Utc>,
    pub last_failed_at: DateTime<Utc>,
}

/// Records a failed message (or adds `attempts` to its existing record).
pub async fn dead_letter(
    conn: &mut PgConnection,
    message_id: &str,
    topic: &str,
    message: &Value,
    error: &str,
    attempts: i32,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO ingest_dead_letter (message_id, topic, message, error, attempts)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (message_id) DO UPDATE SET
           message = EXCLUDED.message, error = EXCLUDED.error,
           attempts = ingest_dead_letter.attempts + EXCLUDED.attempts,
           last_failed_at = clock_timestamp()",
        message_id,
        topic,
        message,
        error,
        attempts
    )
    .execute(conn)
    .await
    .db()?;
    Ok(())
}

/// One dead letter by normalised message id.
pub async fn get_dead_letter(
    conn: &mut PgConnection,
    message_id: &str,
) -> Result<Option<DeadLetter>> {
    sqlx::query_as!(
        DeadLetter,
        "SELECT message_id, topic, message, error, attempts, first_failed_at, last_failed_at
         FROM ingest_dead_letter WHERE message_id = $1",
        message_id
    )
    .fetch_optional(conn)
    .await
    .db()
}

/// Every dead letter, oldest failure first.
pub async fn dead_letters(conn: &mut PgConnection) -> Result<Vec<DeadLetter>> {
    sqlx::query_as!(
        DeadLetter,
        "SELECT message_id, topic, message, error, attempts, first_failed_at, last_failed_at
         FROM ingest_dead_letter ORDER BY first_failed_at, message_id"
    )
    .fetch_all(conn)
    .await
    .db()
}

/// The newest message of one topic in the inbox.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TopicStatus {
    pub topic: String,
    pub messages: i64,
    pub last_message_id: String,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub last_processed_at: DateTime<Utc>,
    /// Seconds from publication to processing of that message.
    pub lag_seconds: Option<f64>,
}

/// Per-topic inbox summary (newest message of each topic) and the number
/// of dead letters.
pub async fn status(conn: &mut PgConnection) -> Result<(Vec<TopicStatus>, i64)> {
    let topics = sqlx::query_as!(
        TopicStatus,
        r#"SELECT DISTINCT ON (i.topic) i.topic AS "topic!",
             (SELECT count(*) FROM ingest_inbox j WHERE j.topic = i.topic) AS "messages!",
             i.raw_id AS "last_message_id!", i.sent_at AS last_sent_at,
             i.processed_at AS "last_processed_at!",
             extract(epoch FROM i.processed_at - i.sent_at)::float8 AS lag_seconds
           FROM ingest_inbox i ORDER BY i.topic, i.processed_at DESC"#
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let dead = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM ingest_dead_letter"#)
        .fetch_one(&mut *conn)
        .await
        .db()?;
    Ok((topics, dead))
}
