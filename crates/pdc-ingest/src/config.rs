//! Ingester settings (the `[ingest]` section of the server's configuration).

use std::time::Duration;

/// Everything the ingester and its transports need to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Topic prefixes of the bus (`org.fedoraproject.prod`); handlers match
    /// the rest of the topic exactly.
    pub topic_prefixes: Vec<String>,
    /// Domain of the address given to people created from FAS messages.
    pub email_domain: String,
    /// Attempts per message before it is dead-lettered (transient errors).
    pub max_attempts: u32,
    /// Pause before the second attempt; doubled for each further one.
    pub retry_delay: Duration,
    /// `scheme://host` written into representations that hold URLs.
    pub base_url: String,
    pub amqp: AmqpConfig,
}

#[derive(Debug, Clone)]
pub struct AmqpConfig {
    /// `amqp://user:pass@host:port/vhost` (`%2f` is the default vhost).
    pub url: String,
    /// Durable queue shared by every worker of the deployment.
    pub queue: String,
    /// Binding keys on `amq.topic`; empty = every handled topic.
    pub routing_keys: Vec<String>,
    /// Unacknowledged messages per consumer.
    pub prefetch: u16,
    /// Consumers (workers) in this process.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            topic_prefixes: vec!["org.fedoraproject.prod".into()],
            email_domain: "fedoraproject.org".into(),
            max_attempts: 3,
            retry_delay: Duration::from_secs(1),
            base_url: "http://localhost".into(),
            amqp: AmqpConfig::default(),
        }
    }
}

impl Default for AmqpConfig {
    fn default() -> Self {
        AmqpConfig {
            url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            queue: "pdc".into(),
            routing_keys: Vec::new(),
            prefetch: 25,
            workers: 1,
        }
    }
}
