//! The bus ingester: release-engineering messages into the PDC database
//! through the same write functions as the API.
//!
//! transport ([`replay`] files and stdin; AMQP in [`amqp`]) -> normalised
//! [`Message`] -> [`Ingester::process`]: handler by topic ([`Registry`]),
//! inbox claim and the handler's writes in one transaction, changeset by
//! actor `ingester` -> commit (then the transport acknowledges); transient
//! failures retried, then dead-lettered (`pdc retry`).

pub mod amqp;
pub mod config;
pub mod handler;
pub mod handlers;
pub mod ingester;
pub mod message;
pub mod replay;

pub use config::{AmqpConfig, Config};
pub use handler::{Handler, HandlerError, Outcome, Registry};
pub use ingester::{Ingester, Processed};
pub use message::Message;
