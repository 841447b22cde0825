//! Telling people and systems: the mails to the parties and the staff
//! mailbox with the transport that sends them (SMTP, or files for the
//! embedded default), and the signed webhook POST to the marketplace.

pub mod mail;
pub mod templates;
pub mod webhooks;
