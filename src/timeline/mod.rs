//! The incident timeline on disk: the journal and the exports.
//!
//! Every entry ([`crate::domain::Entry`]) is one line of an append-only
//! JSON Lines journal ([`journal`]); the incident state is rebuilt by
//! replaying them ([`crate::domain::Incident::apply`]); [`export`] turns a
//! journal into a postmortem draft.

pub mod export;
pub mod journal;
