//! fedora-messaging transport: an AMQP 0-9-1 consumer (RabbitMQ).
//!
//! A durable queue (shared by every worker of the deployment: competing
//! consumers) is bound to `amq.topic` with the configured routing keys
//! (default: every topic a handler takes). Each worker is a channel with
//! its own prefetch; a delivery is acknowledged only after the ingester
//! committed it, or recorded it as a dead letter. When even that fails (the
//! database is unreachable) the delivery is rejected back to the queue and
//! the worker pauses. Connection losses are retried with a pause.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties};
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::ingester::{Ingester, Processed};
use crate::message::{Message, ParseError};

/// Headers as JSON (numbers, strings, booleans, nested tables and arrays).
pub fn headers_json(t: &FieldTable) -> Map<String, Value> {
    t.inner()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), value_json(v)))
        .collect()
}

fn value_json(v: &AMQPValue) -> Value {
    match v {
        AMQPValue::Boolean(b) => json!(b),
        AMQPValue::ShortShortInt(n) => json!(n),
        AMQPValue::ShortShortUInt(n) => json!(n),
        AMQPValue::ShortInt(n) => json!(n),
        AMQPValue::ShortUInt(n) => json!(n),
        AMQPValue::LongInt(n) => json!(n),
        AMQPValue::LongUInt(n) => json!(n),
        AMQPValue::LongLongInt(n) => json!(n),
        AMQPValue::Float(n) => json!(n),
        AMQPValue::Double(n) => json!(n),
        AMQPValue::DecimalValue(d) => json!(d.value as f64 / 10f64.powi(d.scale.into())),
        AMQPValue::ShortString(s) => json!(s.as_str()),
        AMQPValue::LongString(s) => json!(String::from_utf8_lossy(s.as_bytes())),
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(value_json).collect()),
        AMQPValue::Timestamp(t) => json!(t),
        AMQPValue::FieldTable(t) => Value::Object(headers_json(t)),
        AMQPValue::ByteArray(b) => json!(String::from_utf8_lossy(b.as_slice())),
        AMQPValue::Void => Value::Null,
    }
}

/// The message of a delivery; an unreadable one is returned as a message
/// holding the raw body text (for the dead letters) with the parse error.
pub fn message_of(d: &lapin::message::Delivery) -> Result<Message, Box<(Message, ParseError)>> {
    let headers = d
        .properties
        .headers()
        .as_ref()
        .map(headers_json)
        .unwrap_or_default();
    let id = d.properties.message_id().as_ref().map(|s| s.as_str());
    let topic = d.routing_key.as_str();
    Message::from_amqp(id, topic, headers.clone(), &d.data).map_err(|e| {
        let id = id
            .map(str::to_string)
            .unwrap_or_else(|| format!("amqp-{}", uuid::Uuid::new_v4()));
        let body = Value::String(String::from_utf8_lossy(&d.data).into_owned());
        Box::new((Message::new(&id, topic, None, headers, body), e))
    })
}

/// Runs the consumers until `shutdown` turns true, reconnecting after
/// failures. In-flight messages are finished and acknowledged first.
pub async fn run(ing: Arc<Ingester>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match session(&ing, shutdown.clone()).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(error = %e, "AMQP connection failed; reconnecting in 5 s"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

/// One connection: declares and binds the queue, runs the workers; `Ok`
/// on shutdown, `Err` when the connection or a channel failed.
async fn session(ing: &Arc<Ingester>, shutdown: watch::Receiver<bool>) -> lapin::Result<()> {
    let cfg = &ing.config().amqp;
    let conn = Connection::connect(
        &cfg.url,
        ConnectionProperties::default().with_connection_name("pdc-ingest".into()),
    )
    .await?;
    let setup = conn.create_channel().await?;
    setup
        .queue_declare(
            cfg.queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    let keys = if cfg.routing_keys.is_empty() {
        ing.registry().topics()
    } else {
        cfg.routing_keys.clone()
    };
    for key in &keys {
        setup
            .queue_bind(
                cfg.queue.as_str().into(),
                "amq.topic".into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    tracing::info!(queue = %cfg.queue, ?keys, workers = cfg.workers, "consuming from AMQP");
    let mut workers = Vec::new();
    for n in 0..cfg.workers.max(1) {
        let channel = conn.create_channel().await?;
        channel
            .basic_qos(cfg.prefetch.max(1), BasicQosOptions::default())
            .await?;
        let consumer = channel
            .basic_consume(
                cfg.queue.as_str().into(),
                format!("pdc-{}-{n}", std::process::id()).into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        workers.push(tokio::spawn(worker(
            ing.clone(),
            consumer,
            shutdown.clone(),
        )));
    }
    let mut result = Ok(());
    for w in workers {
        match w.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(e) => tracing::error!(error = %e, "AMQP worker panicked"),
        }
    }
    // Closing returns the deliveries prefetched but not processed.
    let _ = conn.close(200, "shutting down".into()).await;
    result
}

async fn worker(
    ing: Arc<Ingester>,
    mut consumer: lapin::Consumer,
    mut shutdown: watch::Receiver<bool>,
) -> lapin::Result<()> {
    loop {
        let delivery = tokio::select! {
            d = consumer.next() => d,
            _ = shutdown.wait_for(|s| *s) => return Ok(()),
        };
        let Some(delivery) = delivery else {
            return Err(lapin::Error::from(lapin::ErrorKind::InvalidChannelState(
                lapin::ChannelState::Closed,
                "consumer cancelled",
            )));
        };
        let delivery = delivery?;
        let outcome = match message_of(&delivery) {
            Ok(msg) => ing.process(&msg).await,
            Err(bad) => {
                let (msg, e) = *bad;
                tracing::warn!(id = %msg.raw_id, topic = %msg.topic, error = %e, "unreadable delivery; dead-lettered");
                ing.dead_letter(&msg, &e.to_string(), 1)
                    .await
                    .map(|()| Processed::DeadLettered(e.to_string()))
            }
        };
        match outcome {
            Ok(_) => {
                delivery.ack(BasicAckOptions::default()).await?;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot record the message; returning it to the queue");
                delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..Default::default()
                    })
                    .await?;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}
