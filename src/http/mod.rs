//! The HTTP API (DESIGN §8): actix handlers, one file per resource, thin:
//! parse, authorize, call a use case, shape the answer.

pub mod arbitration;
pub mod auth;
pub mod body;
pub mod command;
pub mod complaints;
pub mod events;
pub mod evidence;
pub mod idempotency;
pub mod metrics;
pub mod negotiation;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod params;
pub mod problem;
pub mod routes;
pub mod sellers;
pub mod server;
pub mod settlements;
pub mod spec_parts;
pub mod wire;

pub use server::server;
