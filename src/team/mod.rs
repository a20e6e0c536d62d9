//! The team database: one incident, many responders, over PostgreSQL.
//!
//! Every responder keeps their own append-only, hash-chained journal of
//! the incident (offline first); the database holds every responder's
//! entries as rows keyed by (incident, author, seq), each with its `prev`,
//! `hash` and an ed25519 signature by its author ([`keys`]). A shared
//! incident is the union of its authors' feeds, in the order the database
//! received them (`arrival`, a cursor every client catches up from).
//!
//! - [`schema`]: versioned, idempotent migrations (`firebreak team init`).
//! - [`db`]: connect (TLS as configured, password never logged), push a
//!   feed's rows (the same row twice is a no-op; the same key with another
//!   hash is a fork, recorded and reported, never merged), pull by cursor.
//! - [`keys`]: the responder's signing key, made on first use.
//! - [`verify`]: check a pulled row: its line, its hash, its place in its
//!   author's chain and its signature, so a database administrator cannot
//!   forge or edit what a responder recorded.

pub mod db;
pub mod keys;
pub mod schema;
pub mod sync;
pub mod verify;

/// What can go wrong talking to the team database.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("{0}")]
    Config(String),
    #[error("team database: {}", explain(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error("team database: {0}")]
    Schema(String),
    #[error("team database: no answer within {0:?}")]
    Timeout(std::time::Duration),
}

/// tokio-postgres says "db error" and keeps the reason in its source.
fn explain(e: &tokio_postgres::Error) -> String {
    use std::error::Error as _;
    match (e.as_db_error(), e.source()) {
        (Some(db), _) => format!("{}: {}", db.severity(), db.message()),
        (None, Some(src)) => format!("{e}: {src}"),
        (None, None) => e.to_string(),
    }
}

/// One entry of one author's feed, as stored in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The author: their public key, hex (self-certifying).
    pub author: String,
    pub seq: i64,
    pub prev: String,
    pub hash: String,
    /// ed25519 signature of (incident, seq, hash), hex.
    pub sig: String,
    /// The journal line, exactly as the author's journal holds it.
    pub line: String,
}

/// A row as pulled: with the number the database gave it on arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub arrival: i64,
    pub row: Row,
}

/// The same (incident, author, seq) offered with a different hash: the
/// author's history was rewritten somewhere. Reported to everyone, never
/// merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fork {
    pub author: String,
    pub seq: i64,
    pub kept_hash: String,
    pub offered_hash: String,
}
