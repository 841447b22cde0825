//! Telling people: the mails to the parties and the staff mailbox, and the
//! transport that sends them (SMTP, or files for the embedded default).

pub mod mail;
pub mod templates;
