//! What happened: the entries of the journal and the events they carry.
//!
//! An [`Entry`] is one line of an incident's journal (see
//! `timeline::journal` for how it is written and verified); its [`Event`]
//! says what happened. Every fold in [`crate::domain`] and every export
//! reads these; nothing here does I/O.

mod kind_first;
pub mod playbook;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::incident::{Severity, Status};

/// The actor name used for things firebreak observed by itself.
pub const SYSTEM_ACTOR: &str = "firebreak";

/// Most alert transitions in one [`Event::AlertBatch`] entry: a storm of
/// 50,000 is 50 entries of a few hundred KB, not one line of 30 MB.
pub const ALERT_BATCH_MAX: usize = 1000;

/// One recorded entry of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1-based position in the journal; gaps mean lost or removed lines.
    pub seq: u64,
    /// When the entry was recorded (UTC, wall clock).
    pub ts: DateTime<Utc>,
    /// Hash of the previous entry (hex SHA-256); all zeros for the first.
    pub prev: String,
    /// Who did it (the configured responder name, or "firebreak" for
    /// things observed automatically).
    pub actor: String,
    /// What happened.
    pub event: Event,
    /// Hash of this entry (hex SHA-256 of the line without this field).
    #[serde(default)]
    pub hash: String,
}

impl Entry {
    /// When what it records happened: an alert started firing when its
    /// source says (its `startsAt`, usually before firebreak saw it; never
    /// later than that, whatever a skewed clock claims); a backfilled note
    /// when it says; anything else when it was recorded.
    pub fn happened_at(&self) -> DateTime<Utc> {
        self.event.happened_at(self.ts)
    }

    /// What the entry records, one event at a time, each with when it
    /// happened: a batch's alert transitions ([`Event::AlertBatch`]), else
    /// the entry's own event. Every fold and export reads entries through
    /// this, so that a transition counts the same alone or in a batch.
    pub fn parts(&self) -> impl Iterator<Item = (&Event, DateTime<Utc>)> {
        let events = match &self.event {
            Event::AlertBatch { events } => events.as_slice(),
            one => std::slice::from_ref(one),
        };
        let ts = self.ts;
        events.iter().map(move |e| (e, e.happened_at(ts)))
    }

    /// When a note written afterwards says it happened (never later than
    /// it was recorded).
    pub fn backfilled(&self) -> Option<DateTime<Utc>> {
        match &self.event {
            Event::Note { at: Some(at), .. } => Some((*at).min(self.ts)),
            _ => None,
        }
    }
}

/// Declares [`Event`] as written, for serde to write with its `kind`
/// first (internally tagged), and again as `ByKind`, the same variants
/// and field attributes to serde externally tagged: how an event is read
/// once its `kind` is known (see [`kind_first`]), without serde's buffering
/// of the whole object that an internally tagged read does.
macro_rules! events {
    ($(#[$meta:meta])* pub enum Event { $($variants:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Event { $($variants)* }

        #[derive(Deserialize)]
        #[serde(remote = "Event", rename_all = "snake_case")]
        #[allow(dead_code)] // only its Deserialize is used, which builds an Event
        enum ByKind { $($variants)* }
    };
}

events! {
/// Everything that can happen during an incident.
pub enum Event {
    /// The incident was opened. Always the first entry of a journal.
    IncidentDeclared {
        id: String,
        title: String,
        severity: Severity,
        #[serde(default)]
        demo: bool,
    },
    /// This responder joined an incident another declared (the team
    /// database): the first entry of the joiner's own feed.
    TeamJoined {
        id: String,
        title: String,
        severity: Severity,
        declared_by: String,
        declared_at: DateTime<Utc>,
    },
    /// This responder left a shared incident: they stop working it (and
    /// it is not resumed in their cockpit); what they recorded stays.
    /// Joining again clears it.
    TeamLeft {
        id: String,
    },
    TitleChanged {
        title: String,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
    /// The responder said when customer impact began (may be backdated).
    ImpactStarted {
        at: DateTime<Utc>,
    },
    /// The responder said when customer impact ended (a correction of
    /// what the alerts said; the latest wins).
    ImpactEnded {
        at: DateTime<Utc>,
    },
    /// The responder confirmed or corrected when the impact stopped (the
    /// mitigation); the export uses the latest.
    MitigationMarked {
        at: DateTime<Utc>,
    },
    Note {
        text: String,
        /// When it happened, for a note written afterwards ("14:02
        /// customer reports started"): a backfilled entry. Absent: when
        /// recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
    },
    AlertFiring {
        fingerprint: String,
        name: String,
        severity: String,
        #[serde(default)]
        summary: String,
        #[serde(default)]
        labels: BTreeMap<String, String>,
        /// When the alert source says it started firing.
        #[serde(default)]
        since: Option<DateTime<Utc>>,
    },
    AlertResolved {
        fingerprint: String,
        name: String,
    },
    /// Many alert transitions seen in one poll (an alert storm), written
    /// as one entry: `events` are [`Event::AlertFiring`] and
    /// [`Event::AlertResolved`], each as it would be alone (at most
    /// [`ALERT_BATCH_MAX`] per entry). Read through [`Entry::parts`].
    AlertBatch {
        events: Vec<Event>,
    },
    /// A firing alert was muted by a silence (recorded once).
    AlertSilenced {
        fingerprint: String,
        name: String,
        #[serde(default)]
        silenced_by: Vec<String>,
        /// The silences' comments and authors.
        #[serde(default)]
        comment: String,
    },
    /// An action is about to be carried out (recorded before it runs).
    ActionStarted {
        action: String,
        target: String,
        #[serde(default)]
        detail: String,
    },
    /// The outcome of an action recorded with [`Event::ActionStarted`].
    ActionFinished {
        action: String,
        target: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// A feature flag was flipped (or a flip was attempted).
    FlagChanged {
        provider: String,
        flag: String,
        before: Option<bool>,
        after: Option<bool>,
        wanted: bool,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// A data source changed health (went down, came back).
    SourceHealth {
        source: String,
        healthy: bool,
        #[serde(default)]
        detail: String,
    },
    /// A quick hypothesis was started with a time box.
    HypothesisStarted {
        id: u32,
        text: String,
        #[serde(default)]
        planned: String,
        box_secs: i64,
        /// Set when started on the systematic path (an explicit override).
        #[serde(default)]
        override_reason: Option<String>,
    },
    /// A time box was extended once, with a reason (an exception).
    HypothesisExtended {
        id: u32,
        extra_secs: i64,
        reason: String,
        /// Whose hypothesis, when another responder's (a team works one
        /// incident's hypotheses together); absent: the entry's author's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A hypothesis got its outcome.
    HypothesisClosed {
        id: u32,
        outcome: super::hypotheses::Outcome,
        #[serde(default)]
        note: String,
        /// Whose hypothesis, as in `HypothesisExtended`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The response moved onto the systematic path.
    SystematicPath {
        reason: String,
    },
    /// Who holds a role changed: taken, handed on ("alice → bob") or
    /// released (`to: None`). Names are responders; `from` is who the
    /// recorder saw holding it (see [`super::roles`] for the fold).
    RoleChanged {
        role: super::roles::Role,
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        to: Option<String>,
    },
    /// An action under the two-person rule waits for a second
    /// responder's approval (see [`super::approvals`]). The actor asks;
    /// `action` and `target` are what the entry that starts it will say.
    ApprovalRequested {
        id: String,
        action: String,
        target: String,
        /// In words, for the approver.
        #[serde(default)]
        what: String,
    },
    /// A second responder approved request `id` (the actor approves).
    ApprovalGiven {
        id: String,
        /// Who asked, and what, as the approver saw it.
        #[serde(default)]
        requester: String,
        #[serde(default)]
        what: String,
    },
    /// The requester withdrew a request (or went ahead without a second
    /// responder: break glass, which the reason says).
    ApprovalWithdrawn {
        id: String,
        #[serde(default)]
        reason: String,
    },
    /// The postmortem draft was written somewhere.
    Exported {
        format: String,
        path: String,
    },
    /// A playbook run began (see [`playbook`] for the step events).
    PlaybookStarted {
        run_id: String,
        playbook: String,
        #[serde(default)]
        title: String,
        #[serde(default)]
        inputs: BTreeMap<String, String>,
        /// The alert the run is for (name), if any.
        #[serde(default)]
        alert: Option<String>,
        /// That alert's labels (templates may use them).
        #[serde(default)]
        labels: BTreeMap<String, String>,
        /// Step titles, so a replay shows the run as it was.
        #[serde(default)]
        steps: Vec<String>,
        /// Steps whose `when` was false for this run (0-based).
        #[serde(default)]
        not_applicable: Vec<usize>,
    },
    /// A step is about to run (recorded before it runs). `step` is 0-based.
    StepStarted {
        run_id: String,
        step: usize,
        title: String,
        step_kind: String,
        #[serde(default = "playbook::first_attempt")]
        attempt: u32,
        #[serde(default)]
        detail: String,
    },
    /// A step's outcome.
    StepFinished {
        run_id: String,
        step: usize,
        title: String,
        step_kind: String,
        ok: bool,
        #[serde(default)]
        exit_code: Option<i32>,
        #[serde(default)]
        duration_ms: u64,
        /// The last lines of output (bounded).
        #[serde(default)]
        output_tail: String,
        #[serde(default)]
        detail: String,
        /// Whether the step changed the world (a flag flipped, a release
        /// rolled back); `None` in journals written before this was kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        changed: Option<bool>,
    },
    StepSkipped {
        run_id: String,
        step: usize,
        title: String,
        #[serde(default)]
        reason: String,
    },
    /// Every step of a run is done or skipped.
    PlaybookFinished {
        run_id: String,
        playbook: String,
        ok: bool,
        #[serde(default)]
        summary: String,
    },
    /// An action item for after the incident (see [`super::followups`]).
    FollowUpAdded {
        /// Serialized as `type` (`kind` names the event).
        #[serde(rename = "type")]
        kind: super::followups::FollowUpKind,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<chrono::NaiveDate>,
    },
    /// An entry was marked important (or no longer): the postmortem's
    /// Highlights. `entry` is the pinned entry's hash (unique across a
    /// team's feeds); `what` its description when pinned, for a reader.
    Pinned {
        entry: String,
        pinned: bool,
        #[serde(default)]
        what: String,
    },
    /// A status update for stakeholders was written (see
    /// [`super::updates`]): recorded before it is sent anywhere.
    StatusUpdateRecorded {
        /// Stable per incident (`u1`, `u2`...): with the channel, what
        /// makes a delivery unique.
        id: String,
        /// Severity, status and title when it was written.
        #[serde(default)]
        headline: String,
        /// What is happening, and the impact.
        conditions: String,
        /// What is being done.
        actions: String,
        /// What help is needed.
        needs: String,
        #[serde(default)]
        next_update_at: Option<DateTime<Utc>>,
        /// The channels (by configured name) it is sent to.
        #[serde(default)]
        channels: Vec<String>,
    },
    /// How sending status update `id` to `channel` went.
    StatusUpdateSent {
        id: String,
        channel: String,
        ok: bool,
        /// "sent (HTTP 200)", or why not.
        #[serde(default)]
        detail: String,
    },
    /// What the metric panels said at a mitigation action, or after it
    /// settled (see [`super::evidence`]).
    EvidenceRecorded {
        /// The action's entry (its hash).
        action: String,
        /// The action in words ("flag new-checkout-flow off").
        #[serde(default)]
        what: String,
        phase: super::evidence::Phase,
        /// The moment the values are of: the action, or the action plus
        /// the settling time (or when a verifying check passed).
        at: DateTime<Utc>,
        readings: Vec<super::evidence::Reading>,
        /// After: the readings at the action again, so that the entry
        /// reads on its own ("13.9% → 0.4%").
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        before: Vec<super::evidence::Reading>,
        /// "at the action", "5m after", "verified: Error ratio below 1%".
        #[serde(default)]
        reason: String,
    },
    /// What a system said had changed lately, asked when the incident was
    /// declared: the deploys release control knows of, the flag changes
    /// in a flag service's history. The postmortem's trigger candidates.
    ChangesReported {
        /// The release control's or flag provider's configured name.
        source: String,
        /// The changes asked for are those since this.
        since: DateTime<Utc>,
        changes: Vec<ReportedChange>,
        /// Why the system could not be asked (then `changes` is empty).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        kind_first::deserialize(d)
    }
}

/// How far before an incident the changes are asked for, and a change
/// is still a trigger candidate (hours).
pub const CHANGES_WINDOW_HOURS: i64 = 6;

/// One change a system reported (see [`Event::ChangesReported`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedChange {
    /// "deploy checkout v2.14.0", "flag new-checkout-flow turned on".
    pub what: String,
    pub at: DateTime<Utc>,
    /// Who made it, when the system says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl Event {
    /// When it happened, recorded at `ts`: an alert started firing when
    /// its source says (never later than `ts`, whatever a skewed clock
    /// claims); a backfilled note when it says; anything else at `ts`.
    pub fn happened_at(&self, ts: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Event::AlertFiring {
                since: Some(since), ..
            } => (*since).min(ts),
            Event::Note { at: Some(at), .. } => (*at).min(ts),
            _ => ts,
        }
    }

    /// A one-line human description, used by the timeline pane and exports.
    pub fn describe(&self) -> String {
        match self {
            Event::IncidentDeclared {
                title, severity, ..
            } => format!("Incident declared: {title} ({severity})"),
            Event::TeamJoined {
                title, declared_by, ..
            } => format!("Joined the incident: {title} (declared by {declared_by})"),
            Event::TeamLeft { .. } => {
                "Left the incident (their entries stay on the record)".to_string()
            }
            Event::TitleChanged { title } => format!("Renamed to: {title}"),
            Event::SeverityChanged { from, to } => format!("Severity {from} -> {to}"),
            Event::StatusChanged { from, to } => format!("Status {from} -> {to}"),
            Event::ImpactStarted { at } => {
                format!("Impact started at {}", at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            Event::ImpactEnded { at } => {
                format!("Impact ended at {}", at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            Event::MitigationMarked { at } => {
                format!("Mitigated at {}", at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            Event::Note { text, at: None } => format!("Note: {text}"),
            Event::Note { text, at: Some(at) } => {
                format!("Note (backfilled to {}): {text}", at.format("%H:%M:%SZ"))
            }
            Event::AlertFiring {
                name,
                severity,
                summary,
                ..
            } => {
                if summary.is_empty() {
                    format!("Alert firing: {name} [{severity}]")
                } else {
                    format!("Alert firing: {name} [{severity}] {summary}")
                }
            }
            Event::AlertResolved { name, .. } => format!("Alert resolved: {name}"),
            Event::AlertBatch { events } => describe_batch(events),
            Event::AlertSilenced { name, comment, .. } => {
                join_detail(format!("Alert silenced: {name}"), comment)
            }
            Event::ActionStarted {
                action,
                target,
                detail,
            } => join_detail(format!("Started {action} {target}"), detail),
            Event::ActionFinished {
                action,
                target,
                ok,
                detail,
            } => join_detail(
                format!(
                    "{} {action} {target}",
                    if *ok { "Succeeded:" } else { "FAILED:" }
                ),
                detail,
            ),
            Event::FlagChanged {
                provider,
                flag,
                before,
                after,
                wanted,
                ok,
                detail,
            } => {
                let state = |v: &Option<bool>| flag_state(*v);
                let head = if *ok {
                    format!(
                        "Flag {flag} ({provider}) turned {}: was {}, now {}",
                        on_off(*wanted),
                        state(before),
                        state(after)
                    )
                } else {
                    format!(
                        "FAILED to turn flag {flag} ({provider}) {}: was {}, now {}",
                        on_off(*wanted),
                        state(before),
                        state(after)
                    )
                };
                join_detail(head, detail)
            }
            Event::SourceHealth {
                source,
                healthy,
                detail,
            } => join_detail(
                format!(
                    "Source {source} {}",
                    if *healthy { "recovered" } else { "unreachable" }
                ),
                detail,
            ),
            Event::Exported { format, path } => format!("Exported {format} to {path}"),
            Event::RoleChanged { role, from, to } => {
                super::roles::describe(*role, from.as_deref(), to.as_deref())
            }
            Event::ApprovalRequested { id, what, .. } => {
                format!("Asked a second responder to approve {id}: {what}")
            }
            Event::ApprovalGiven {
                id,
                requester,
                what,
            } => {
                if what.is_empty() {
                    format!("Approved {id}")
                } else {
                    format!("Approved {id} ({requester}: {what})")
                }
            }
            Event::ApprovalWithdrawn { id, reason } => {
                join_detail(format!("Withdrew approval request {id}"), reason)
            }
            Event::HypothesisStarted { .. }
            | Event::HypothesisExtended { .. }
            | Event::HypothesisClosed { .. }
            | Event::SystematicPath { .. } => super::hypotheses::describe(self),
            Event::PlaybookStarted { .. }
            | Event::StepStarted { .. }
            | Event::StepFinished { .. }
            | Event::StepSkipped { .. }
            | Event::PlaybookFinished { .. } => playbook::describe(self),
            Event::FollowUpAdded { .. } => super::followups::describe(self),
            Event::Pinned { pinned, what, .. } => {
                if *pinned {
                    format!("Pinned: {what}")
                } else {
                    format!("Unpinned: {what}")
                }
            }
            Event::StatusUpdateRecorded {
                id,
                conditions,
                channels,
                ..
            } => {
                let first = conditions.lines().next().unwrap_or_default();
                let to = if channels.is_empty() {
                    String::new()
                } else {
                    format!(" (to {})", channels.join(", "))
                };
                format!("Status update {id}{to}: {first}")
            }
            Event::StatusUpdateSent {
                id,
                channel,
                ok,
                detail,
            } => join_detail(
                if *ok {
                    format!("Status update {id} sent to {channel}")
                } else {
                    format!("FAILED to send status update {id} to {channel}")
                },
                detail,
            ),
            Event::EvidenceRecorded { .. } => super::evidence::describe(self),
            Event::ChangesReported {
                source,
                since,
                changes,
                error,
            } => {
                let since = since.format("%H:%M:%SZ");
                match (error, changes.as_slice()) {
                    (Some(e), _) => format!("Could not ask {source} what changed: {e}"),
                    (None, []) => format!("{source} reported no change since {since}"),
                    (None, list) => {
                        let shown: Vec<String> = list
                            .iter()
                            .take(3)
                            .map(|c| format!("{} at {}", c.what, c.at.format("%H:%M:%SZ")))
                            .collect();
                        let more = list.len().saturating_sub(3);
                        let more = if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        };
                        format!(
                            "{source} reported {} since {since}: {}{more}",
                            plural(list.len(), "change"),
                            shown.join(", ")
                        )
                    }
                }
            }
        }
    }

    /// A short category used for filtering and the export table.
    pub fn category(&self) -> &'static str {
        match self {
            Event::IncidentDeclared { .. }
            | Event::TitleChanged { .. }
            | Event::SeverityChanged { .. }
            | Event::StatusChanged { .. }
            | Event::ImpactStarted { .. }
            | Event::ImpactEnded { .. }
            | Event::MitigationMarked { .. }
            | Event::TeamJoined { .. }
            | Event::TeamLeft { .. } => "incident",
            Event::Note { .. } => "note",
            Event::AlertFiring { .. }
            | Event::AlertResolved { .. }
            | Event::AlertBatch { .. }
            | Event::AlertSilenced { .. } => "alert",
            Event::ActionStarted { .. } | Event::ActionFinished { .. } => "action",
            Event::FlagChanged { .. } => "flag",
            Event::SourceHealth { .. } => "source",
            Event::Exported { .. } => "export",
            Event::RoleChanged { .. } => "role",
            Event::ApprovalRequested { .. }
            | Event::ApprovalGiven { .. }
            | Event::ApprovalWithdrawn { .. } => "approval",
            Event::HypothesisStarted { .. }
            | Event::HypothesisExtended { .. }
            | Event::HypothesisClosed { .. }
            | Event::SystematicPath { .. } => "hypothesis",
            Event::PlaybookStarted { .. }
            | Event::StepStarted { .. }
            | Event::StepFinished { .. }
            | Event::StepSkipped { .. }
            | Event::PlaybookFinished { .. } => "playbook",
            Event::FollowUpAdded { .. } => "follow-up",
            Event::Pinned { .. } => "pin",
            Event::StatusUpdateRecorded { .. } | Event::StatusUpdateSent { .. } => "update",
            Event::EvidenceRecorded { .. } => "evidence",
            Event::ChangesReported { .. } => "change",
        }
    }
}

fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// A flag state as words: on, off or unknown.
pub fn flag_state(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    }
}

/// "Alerts: 47 firing (HighErrorRate ×40 [critical], DiskFull [warning],
/// 2 more names), 3 resolved": a batch in one line, the worst severity
/// first, then the most frequent names.
fn describe_batch(events: &[Event]) -> String {
    let mut names: Vec<(&str, &str, usize)> = Vec::new();
    let (mut firing, mut resolved) = (0usize, 0usize);
    for e in events {
        match e {
            Event::AlertFiring { name, severity, .. } => {
                firing += 1;
                match names
                    .iter_mut()
                    .find(|(n, s, _)| n == name && s == severity)
                {
                    Some(x) => x.2 += 1,
                    None => names.push((name, severity, 1)),
                }
            }
            Event::AlertResolved { .. } => resolved += 1,
            _ => {}
        }
    }
    // The worst first (a responder looks for the critical ones), then the
    // most frequent.
    let rank = super::incident::severity_rank;
    names.sort_by(|a, b| {
        rank(a.1)
            .cmp(&rank(b.1))
            .then(b.2.cmp(&a.2))
            .then(a.0.cmp(b.0))
    });
    let mut parts = Vec::new();
    if firing > 0 {
        let mut shown: Vec<String> = names
            .iter()
            .take(3)
            .map(|(n, s, c)| match c {
                1 => format!("{n} [{s}]"),
                c => format!("{n} ×{c} [{s}]"),
            })
            .collect();
        if names.len() > 3 {
            shown.push(format!("{} more names", names.len() - 3));
        }
        parts.push(format!("{firing} firing ({})", shown.join(", ")));
    }
    if resolved > 0 {
        parts.push(format!("{resolved} resolved"));
    }
    if parts.is_empty() {
        "Alerts: no transitions".to_string()
    } else {
        format!("Alerts: {}", parts.join(", "))
    }
}

fn join_detail(head: String, detail: &str) -> String {
    if detail.is_empty() {
        head
    } else {
        format!("{head} ({detail})")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
