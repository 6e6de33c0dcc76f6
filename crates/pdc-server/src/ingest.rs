//! `pdc replay`, `pdc retry`, `pdc ingest` and the ingester inside `pdc serve`.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use pdc_ingest::{Config, Ingester, Processed};
use tokio::sync::watch;

use crate::Settings;

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parsed<T: std::str::FromStr>(name: &str) -> Result<Option<T>> {
    match Settings::env(name) {
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name}: bad value {v:?}")),
        None => Ok(None),
    }
}

impl Settings {
    /// Whether `pdc serve` runs the AMQP consumer too.
    pub fn ingest_enabled(&self) -> Result<bool> {
        Ok(parsed::<bool>("PDC_INGEST_ENABLED")?
            .or(self.file.ingest.enabled)
            .unwrap_or(false))
    }

    /// The `[ingest]` section under `PDC_INGEST_*` variables, over defaults.
    pub fn ingest(&self) -> Result<Config> {
        let f = &self.file.ingest;
        let mut c = Config::default();
        if let Some(v) = Self::env("PDC_INGEST_TOPIC_PREFIXES")
            .map(|v| list(&v))
            .or_else(|| f.topic_prefixes.clone())
        {
            c.topic_prefixes = v;
        }
        if let Some(v) = Self::env("PDC_INGEST_EMAIL_DOMAIN").or_else(|| f.email_domain.clone()) {
            c.email_domain = v;
        }
        if let Some(v) = parsed("PDC_INGEST_MAX_ATTEMPTS")?.or(f.max_attempts) {
            c.max_attempts = v;
        }
        if let Some(v) = parsed("PDC_INGEST_RETRY_DELAY_MS")?.or(f.retry_delay_ms) {
            c.retry_delay = Duration::from_millis(v);
        }
        let a = &mut c.amqp;
        if let Some(v) = Self::env("PDC_INGEST_AMQP_URL").or_else(|| f.amqp_url.clone()) {
            a.url = v;
        }
        if let Some(v) = Self::env("PDC_INGEST_QUEUE").or_else(|| f.queue.clone()) {
            a.queue = v;
        }
        if let Some(v) = Self::env("PDC_INGEST_ROUTING_KEYS")
            .map(|v| list(&v))
            .or_else(|| f.routing_keys.clone())
        {
            a.routing_keys = v;
        }
        if let Some(v) = parsed("PDC_INGEST_PREFETCH")?.or(f.prefetch) {
            a.prefetch = v;
        }
        if let Some(v) = parsed("PDC_INGEST_WORKERS")?.or(f.workers) {
            a.workers = v;
        }
        Ok(c)
    }

    /// An ingester on `pool` with the standard handlers.
    pub async fn ingester(&self, pool: &pdc_db::Pool) -> Result<Ingester> {
        let config = self.ingest()?;
        let registry = pdc_ingest::handlers::default_registry(&config);
        Ingester::new(pool.clone(), registry, config, Arc::new(self.db_settings()))
            .await
            .map_err(|e| anyhow::anyhow!("cannot start the ingester: {e}"))
    }
}

/// Starts the AMQP consumers on `pool`; they stop when `stop` turns true.
pub async fn spawn_consumer(
    settings: &Settings,
    pool: &pdc_db::Pool,
    stop: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>> {
    let ing = Arc::new(settings.ingester(pool).await?);
    Ok(tokio::spawn(pdc_ingest::amqp::run(ing, stop)))
}

/// `pdc ingest`: consumes until SIGINT/SIGTERM.
pub async fn consume(settings: &Settings) -> Result<()> {
    let (pool, mut embedded) = settings.database().await?;
    let (stop_tx, stop) = watch::channel(false);
    let task = spawn_consumer(settings, &pool, stop).await?;
    tokio::spawn(async move {
        crate::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let result = task.await;
    pool.close().await;
    if let Some(e) = embedded.as_mut() {
        e.stop();
    }
    result.context("ingester failed")
}

/// `pdc replay FILE|-`: prints a JSON summary; fails when a message was
/// dead-lettered or a document was not a message.
pub async fn replay(settings: &Settings, source: &str) -> Result<()> {
    let text = if source == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        s
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?
    };
    let (pool, _embedded) = settings.database().await?;
    let ing = settings.ingester(&pool).await?;
    let summary = pdc_ingest::replay::replay(&ing, &text)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"));
    pool.close().await;
    let summary = summary?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if !summary.ok() {
        anyhow::bail!("some messages were not applied");
    }
    Ok(())
}

/// `pdc retry MSG_ID...`: runs dead-lettered messages again.
pub async fn retry(settings: &Settings, ids: &[String]) -> Result<()> {
    let (pool, _embedded) = settings.database().await?;
    let ing = settings.ingester(&pool).await?;
    let mut failed = 0;
    for id in ids {
        match ing.retry(id).await {
            Ok(Processed::DeadLettered(e)) => {
                failed += 1;
                eprintln!("pdc: {id}: failed again: {e}");
            }
            Ok(Processed::Unhandled) => {
                failed += 1;
                eprintln!("pdc: {id}: no handler for its topic (see ingest.topic_prefixes)");
            }
            Ok(p) => println!("{id}: {}", describe(&p)),
            Err(e) => {
                failed += 1;
                eprintln!("pdc: {id}: {e}");
            }
        }
    }
    pool.close().await;
    if failed > 0 {
        anyhow::bail!("{failed} of {} messages failed", ids.len());
    }
    Ok(())
}

fn describe(p: &Processed) -> String {
    match p {
        Processed::Applied { detail, .. } => {
            format!(
                "applied{}",
                detail
                    .as_ref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )
        }
        Processed::Skipped(why) => format!("skipped: {why}"),
        Processed::Duplicate => "already applied".into(),
        Processed::Unhandled => "no handler for its topic".into(),
        Processed::DeadLettered(e) => format!("dead-lettered: {e}"),
    }
}

/// `pdc ingest-status`: per topic the newest message applied and its lag,
/// and the dead letters, as JSON.
pub async fn status(settings: &Settings) -> Result<()> {
    let (pool, _embedded) = settings.database().await?;
    let mut conn = pool.acquire().await?;
    let (topics, dead) = pdc_db::ingest::status(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let dead_letters = pdc_db::ingest::dead_letters(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(conn);
    pool.close().await;
    let dead_letters: Vec<serde_json::Value> = dead_letters
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "message_id": d.message["raw_id"],
                "topic": d.topic,
                "error": d.error,
                "attempts": d.attempts,
                "first_failed_at": d.first_failed_at,
                "last_failed_at": d.last_failed_at,
            })
        })
        .collect();
    let out = serde_json::json!({
        "topics": topics,
        "dead_letter_count": dead,
        "dead_letters": dead_letters,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
