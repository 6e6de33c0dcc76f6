//! Replay: feed messages from a file or stdin (fedmsg envelopes,
//! fedora-messaging JSON lines, datagrepper pages) through the ingester.
//! The inbox makes a replay of already-applied messages a no-op.

use serde::Serialize;

use crate::ingester::{Ingester, Processed, Unrecorded};
use crate::message::parse_stream;

/// Counts of what became of the replayed messages.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub applied: u64,
    pub skipped: u64,
    pub duplicate: u64,
    pub unhandled: u64,
    pub dead_lettered: u64,
    /// Documents that are not messages (not recorded anywhere).
    pub unreadable: u64,
    pub errors: Vec<String>,
}

impl Summary {
    pub fn add(&mut self, p: &Processed) {
        match p {
            Processed::Applied { .. } => self.applied += 1,
            Processed::Skipped(_) => self.skipped += 1,
            Processed::Duplicate => self.duplicate += 1,
            Processed::Unhandled => self.unhandled += 1,
            Processed::DeadLettered(e) => {
                self.dead_lettered += 1;
                self.errors.push(e.clone());
            }
        }
    }

    /// Whether every message went through.
    pub fn ok(&self) -> bool {
        self.dead_lettered == 0 && self.unreadable == 0
    }
}

/// Processes every message of `text` in order.
pub async fn replay(ing: &Ingester, text: &str) -> Result<Summary, Unrecorded> {
    let mut summary = Summary::default();
    for item in parse_stream(text) {
        match item {
            Ok(msg) => summary.add(&ing.process(&msg).await?),
            Err(e) => {
                tracing::warn!(error = %e, "not a message");
                summary.unreadable += 1;
                summary.errors.push(e.to_string());
            }
        }
    }
    Ok(summary)
}
