//! Mail: reminders sent as a digest per account through the office's SMTP relay.

pub mod smtp;
