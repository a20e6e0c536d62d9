//! The ground floor: what an incident is, independent of any screen,
//! file format or remote system.
//!
//! - [`event`]: the journal's [`Entry`] and its [`Event`]s, with their
//!   one-line descriptions;
//! - [`incident`]: the incident folded from its entries (severity,
//!   status, title, key times and the durations between them);
//! - [`hypotheses`]: the quick hypotheses and their time boxes, folded
//!   from the same entries;
//! - [`roles`]: who holds which role (incident commander, comms, ...),
//!   folded by the incident fold;
//! - [`approvals`]: the two-person rule's requests and approvals, folded
//!   by the incident fold;
//! - [`followups`]: the action items captured for after the incident, and
//!   the pinned entries (the postmortem's Highlights);
//! - [`evidence`]: what the metric panels said at each mitigation action
//!   and after it settled;
//! - [`timeparse`]: the times a responder types (`14:02`, `-10m`), and a
//!   note's leading time (a backfilled note);
//! - [`updates`]: status updates for stakeholders, their cadence and
//!   where each was delivered.
//!
//! Everything above imports this module; it imports nothing of the crate
//! (only std, chrono and serde). Folds are pure: `apply(&Entry)` is the
//! same code live and on replay, so what the screen shows, what a second
//! window shows and what the export says cannot disagree.

pub mod approvals;
pub mod event;
pub mod evidence;
pub mod followups;
pub mod hypotheses;
pub mod incident;
pub mod roles;
pub mod timeparse;
pub mod updates;

pub use event::{flag_state, Entry, Event, ALERT_BATCH_MAX, SYSTEM_ACTOR};
pub use hypotheses::{Hypotheses, Hypothesis, Outcome, Timebox};
pub use incident::{fmt_duration, t_plus, Incident, Severity, Status};
pub use roles::{Role, Roles};
