//! Topic handlers and their registry.
//!
//! A handler gets a message and the open write (transaction + changes) the
//! inbox claim was made in; everything it writes commits with the inbox row
//! or not at all. Handlers must be idempotent by natural key (upserts), as
//! the same event can arrive twice under different ids (fedmsg and
//! fedora-messaging copies) or be replayed after a reset.
//!
//! Handlers that need source systems (koji, compose hosts, dist-git) hold
//! their clients; a source that is down is a [`HandlerError::Transient`].

use std::sync::Arc;

use futures::future::BoxFuture;
use pdc_db::Write;

use crate::message::Message;

/// What a handler did with a message it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handler ran (it may have found nothing to change); a note for the inbox.
    Applied(Option<String>),
    /// The message is not for us after all (e.g. a non-final compose state).
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// The message cannot succeed as it is (bad body, invalid data): dead
    /// letter it at once.
    #[error("{0}")]
    Permanent(String),
    /// It may succeed later (database or source system unavailable, a
    /// concurrent writer won a race): try again, a bounded number of times.
    #[error("{0}")]
    Transient(String),
}

impl HandlerError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, HandlerError::Permanent(_))
    }
}

impl From<pdc_core::Error> for HandlerError {
    /// Validation answers (4xx) are permanent, except 409 (an integrity
    /// error: usually a concurrent insert of the same natural key, which the
    /// next attempt sees); internal errors are transient.
    fn from(e: pdc_core::Error) -> Self {
        match e.status_code() {
            409 => HandlerError::Transient(e.to_string()),
            400..=499 => HandlerError::Permanent(e.to_string()),
            _ => HandlerError::Transient(e.to_string()),
        }
    }
}

pub type HandlerResult = Result<Outcome, HandlerError>;

/// The handler of one topic family.
pub trait Handler: Send + Sync {
    /// Short name, recorded in the inbox.
    fn name(&self) -> &'static str;
    /// Topics handled, without the deployment prefix (`fas.user.create`);
    /// matched exactly (pdc-updater's suffix matching mixed up
    /// `git.receive` and `trac.git.receive`).
    fn topics(&self) -> &'static [&'static str];
    /// Applies the message inside the write's transaction.
    fn handle<'a, 'w: 'a>(
        &'a self,
        msg: &'a Message,
        w: &'a mut Write<'w>,
    ) -> BoxFuture<'a, HandlerResult>;
}

/// Handlers by topic.
#[derive(Clone)]
pub struct Registry {
    /// Topic prefixes of the deployment (`org.fedoraproject.prod`), tried in order.
    prefixes: Vec<String>,
    handlers: Vec<Arc<dyn Handler>>,
}

impl Registry {
    pub fn new(prefixes: Vec<String>) -> Registry {
        Registry {
            prefixes,
            handlers: Vec::new(),
        }
    }

    /// Adds a handler; a topic already taken stays with the first handler.
    pub fn with(mut self, h: impl Handler + 'static) -> Registry {
        self.handlers.push(Arc::new(h));
        self
    }

    /// The handler for the message's topic, if any.
    pub fn find(&self, msg: &Message) -> Option<&dyn Handler> {
        let suffix = msg.suffix(&self.prefixes)?;
        self.handlers
            .iter()
            .find(|h| h.topics().contains(&suffix))
            .map(|h| h.as_ref())
    }

    /// Every full topic handled (AMQP routing keys, ZeroMQ subscriptions).
    pub fn topics(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.prefixes {
            for h in &self.handlers {
                for t in h.topics() {
                    let full = format!("{p}.{t}");
                    if !out.contains(&full) {
                        out.push(full);
                    }
                }
            }
        }
        out
    }
}
