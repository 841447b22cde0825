//! The API as a client meets it: the real service on a fresh database,
//! spoken to over HTTP. Each file holds the scenarios of one feature and
//! runs them on PostgreSQL and on SQLite (`on_both_backends!`); a scenario
//! that needs two real instances racing runs on PostgreSQL alone.

mod helpers;

mod access;
mod authz;
mod concurrency;
mod console;
mod crash;
mod evidence;
mod fuzz;
mod holds;
mod indexes;
mod integrity;
mod lifecycle;
mod mail;
mod notifications;
mod operations;
mod outbox;
mod requests;
mod retention;
mod seeds;
mod shutdown;
mod staff;
mod timers;
mod webhooks;
