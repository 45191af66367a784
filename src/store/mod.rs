//! Durable outbox, inbox and event outbox in SQLite.
