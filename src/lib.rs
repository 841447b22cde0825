//! Resolution Center: settles disputes between buyers and sellers over
//! escrowed marketplace orders.

pub mod app;
pub mod config;
pub mod domain;
pub mod evidence;
pub mod http;
pub mod notify;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod workers;
