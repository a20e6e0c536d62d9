//! The incident itself: title, severity, status and key times, rebuilt
//! from the journal by [`Incident::apply`].

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::approvals::Approvals;
use crate::domain::roles::Roles;
use crate::domain::{Entry, Event};

/// SEV1 (worst) to SEV4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Sev1, Self::Sev2, Self::Sev3, Self::Sev4];

    pub fn label(self) -> &'static str {
        match self {
            Self::Sev1 => "SEV1",
            Self::Sev2 => "SEV2",
            Self::Sev3 => "SEV3",
            Self::Sev4 => "SEV4",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Self::Sev1 => "critical: major customer impact",
            Self::Sev2 => "major: significant impact on some customers",
            Self::Sev3 => "minor: limited impact, workaround exists",
            Self::Sev4 => "low: no customer impact yet",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where the response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Self::Investigating,
        Self::Identified,
        Self::Monitoring,
        Self::Resolved,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Identified => "identified",
            Self::Monitoring => "monitoring",
            Self::Resolved => "resolved",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Self::Investigating => "impact confirmed, cause unknown",
            Self::Identified => "cause found, working on a fix",
            Self::Monitoring => "mitigation applied, watching",
            Self::Resolved => "impact over, incident closed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The incident as the journal tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub demo: bool,
    /// When the incident was declared.
    pub declared_at: DateTime<Utc>,
    /// When customer impact began, as the responder said (else: declared).
    pub impact_started: Option<DateTime<Utc>>,
    /// When the first critical or warning alert started firing (its
    /// `startsAt`, never later than firebreak saw it).
    pub detected_at: Option<DateTime<Utc>>,
    /// First human action after declaration (note, action, flag, status).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When the impact stopped: the first successful mitigation action
    /// (flag flip, rollback, release or flag step) after which every
    /// firing alert resolved; without one, the first time the status went
    /// to monitoring (or resolved).
    pub mitigated_at: Option<DateTime<Utc>>,
    /// Where `mitigated_at` comes from.
    pub mitigated_from: Option<MitigatedFrom>,
    /// What the actions and alerts (or the status) say, whatever the
    /// responder recorded: shown next to a correction.
    pub mitigated_observed: Option<(DateTime<Utc>, MitigatedFrom)>,
    /// When the status went to resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the impact ended, and how firebreak knows: as the responder
    /// recorded it; else when the firing alerts all resolved after a
    /// mitigation (later, if a verifying metric check passed after that);
    /// else when the status went to resolved.
    pub impact_ended: Option<ImpactEnd>,
    /// What the alerts and metrics (or the status) say, whatever the
    /// responder recorded: shown next to a correction.
    pub impact_end_observed: Option<ImpactEnd>,
    /// Who holds which role (the declarer is the first commander).
    pub roles: Roles,
    /// Requests for a second responder's approval (the two-person rule).
    pub approvals: Approvals,
    /// Responders who left it (a shared incident) and have not joined
    /// again: it is not resumed in their cockpits.
    pub left: std::collections::BTreeSet<String>,
    /// Critical and warning alerts firing now (fingerprints).
    firing: std::collections::BTreeSet<String>,
    /// The first successful mitigation while alerts were firing, waiting
    /// for them to resolve.
    mitigation: Option<DateTime<Utc>>,
    /// A mitigation action after which the alerts did resolve.
    mitigated_by_action: Option<DateTime<Utc>>,
    /// The first status monitoring / resolved (the fallback).
    mitigated_by_status: Option<DateTime<Utc>>,
    /// The latest mitigation time the responder recorded.
    mitigated_recorded: Option<DateTime<Utc>>,
    /// The latest impact end the responder recorded.
    impact_end_recorded: Option<DateTime<Utc>>,
    /// When the firing alerts all resolved after a mitigation (cleared
    /// when one fires again).
    recovered: Option<DateTime<Utc>>,
    /// The latest metric check (a playbook query step) that passed after
    /// the mitigation, while the incident was open.
    verified: Option<DateTime<Utc>>,
}

/// Where the mitigation time comes from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MitigatedFrom {
    /// The responder recorded it (`Event::MitigationMarked`).
    Recorded,
    /// A mitigation action after which the firing alerts all resolved.
    Action,
    /// Nothing better known: the status went to monitoring (or resolved).
    Status,
}

impl MitigatedFrom {
    /// The name in the JSON export.
    pub fn key(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::Action => "action",
            Self::Status => "status",
        }
    }

    /// In a sentence: "mitigated {phrase}".
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Recorded => "as the responder recorded it",
            Self::Action => "by the first mitigation after which the firing alerts resolved",
            Self::Status => {
                "when the status was set to monitoring (no mitigation that worked was recorded)"
            }
        }
    }
}

/// When the impact ended and where that time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImpactEnd {
    pub at: DateTime<Utc>,
    pub source: ImpactEndSource,
}

/// Where an impact end comes from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpactEndSource {
    /// The responder recorded it (`Event::ImpactEnded`).
    Recorded,
    /// The firing critical and warning alerts all resolved after a
    /// mitigation.
    AlertsResolved,
    /// A verifying metric check passed after that, later.
    MetricsVerified,
    /// Nothing better known: the status went to resolved.
    StatusResolved,
}

impl ImpactEndSource {
    /// The name in the JSON export.
    pub fn key(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::AlertsResolved => "alerts_resolved",
            Self::MetricsVerified => "metrics_verified",
            Self::StatusResolved => "resolved_at",
        }
    }

    /// In a sentence: "impact ended {phrase}".
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Recorded => "as the responder recorded it",
            Self::AlertsResolved => "when the firing alerts all resolved after the mitigation",
            Self::MetricsVerified => {
                "when the verifying metric check passed, after the firing alerts resolved"
            }
            Self::StatusResolved => {
                "when the status was set to resolved (no recovery of the alerts was recorded)"
            }
        }
    }
}

impl Incident {
    /// Build an incident from its first journal entry, if it is a declaration.
    pub fn from_declaration(entry: &Entry) -> Option<Incident> {
        let (id, title, severity, demo, declared_at, by) = match &entry.event {
            Event::IncidentDeclared {
                id,
                title,
                severity,
                demo,
            } => (id, title, severity, *demo, entry.ts, &entry.actor),
            // A joiner's own feed starts with the incident as declared.
            Event::TeamJoined {
                id,
                title,
                severity,
                declared_at,
                declared_by,
            } => (id, title, severity, false, *declared_at, declared_by),
            _ => return None,
        };
        {
            Some(Incident {
                id: id.clone(),
                title: title.clone(),
                severity: *severity,
                status: Status::Investigating,
                demo,
                declared_at,
                impact_started: None,
                detected_at: None,
                acknowledged_at: None,
                mitigated_at: None,
                mitigated_from: None,
                mitigated_observed: None,
                mitigated_recorded: None,
                resolved_at: None,
                firing: Default::default(),
                mitigation: None,
                mitigated_by_action: None,
                mitigated_by_status: None,
                impact_ended: None,
                impact_end_observed: None,
                impact_end_recorded: None,
                recovered: None,
                verified: None,
                roles: Roles::declared(by, entry.seq, declared_at),
                approvals: Approvals::default(),
                left: Default::default(),
            })
        }
    }

    /// Rebuild from a whole journal. `None` when it does not start with a
    /// declaration.
    pub fn replay(entries: &[Entry]) -> Option<Incident> {
        let mut incident = Incident::from_declaration(entries.first()?)?;
        for entry in &entries[1..] {
            incident.apply(entry);
        }
        Some(incident)
    }

    /// Fold one entry into the incident.
    pub fn apply(&mut self, entry: &Entry) {
        let human = entry.actor != crate::domain::SYSTEM_ACTOR;
        // Requests, approvals, and the starts that use them up.
        self.approvals.apply(entry);
        match &entry.event {
            Event::IncidentDeclared { .. } => {}
            Event::TeamJoined { .. } => {
                self.left.remove(&entry.actor);
            }
            Event::TeamLeft { .. } => {
                self.left.insert(entry.actor.clone());
            }
            Event::TitleChanged { title } => self.title = title.clone(),
            Event::SeverityChanged { to, .. } => self.severity = *to,
            Event::StatusChanged { to, .. } => {
                self.status = *to;
                match to {
                    Status::Monitoring => {
                        self.mitigated_by_status.get_or_insert(entry.ts);
                        self.resolved_at = None;
                    }
                    Status::Resolved => {
                        self.mitigated_by_status.get_or_insert(entry.ts);
                        self.resolved_at = Some(entry.ts);
                    }
                    _ => self.resolved_at = None,
                }
            }
            Event::RoleChanged { .. } => self.roles.apply(entry),
            Event::ImpactStarted { at } => self.impact_started = Some(*at),
            Event::ImpactEnded { at } => self.impact_end_recorded = Some(*at),
            Event::MitigationMarked { at } => self.mitigated_recorded = Some(*at),
            Event::AlertFiring { .. } | Event::AlertResolved { .. } | Event::AlertBatch { .. } => {
                for (event, at) in entry.parts() {
                    self.apply_alert(event, at, entry.ts);
                }
            }
            // The metrics a playbook checks after the mitigation recovered.
            Event::StepFinished { step_kind, ok, .. }
                if *ok && step_kind == "query" && self.mitigation.is_some() && self.is_open() =>
            {
                self.verified = Some(entry.ts);
            }
            _ if is_mitigation(&entry.event) && !self.firing.is_empty() => {
                self.mitigation.get_or_insert(entry.ts);
            }
            _ => {}
        }
        self.mitigated_observed = match (self.mitigated_by_action, self.mitigated_by_status) {
            (Some(at), _) => Some((at, MitigatedFrom::Action)),
            (None, Some(at)) => Some((at, MitigatedFrom::Status)),
            (None, None) => None,
        };
        let mitigated = match self.mitigated_recorded {
            Some(at) => Some((at, MitigatedFrom::Recorded)),
            None => self.mitigated_observed,
        };
        self.mitigated_at = mitigated.map(|m| m.0);
        self.mitigated_from = mitigated.map(|m| m.1);
        self.impact_end_observed = match self.recovered {
            Some(r) => Some(match self.verified {
                Some(v) if v > r => ImpactEnd {
                    at: v,
                    source: ImpactEndSource::MetricsVerified,
                },
                _ => ImpactEnd {
                    at: r,
                    source: ImpactEndSource::AlertsResolved,
                },
            }),
            None => self.resolved_at.map(|at| ImpactEnd {
                at,
                source: ImpactEndSource::StatusResolved,
            }),
        };
        self.impact_ended = match self.impact_end_recorded {
            Some(at) => Some(ImpactEnd {
                at,
                source: ImpactEndSource::Recorded,
            }),
            None => self.impact_end_observed,
        };
        if human
            && self.acknowledged_at.is_none()
            && !matches!(
                entry.event,
                Event::IncidentDeclared { .. } | Event::TeamJoined { .. }
            )
        {
            self.acknowledged_at = Some(entry.ts);
        }
    }

    /// One alert transition (alone or from a batch), which happened at
    /// `at` and was recorded at `ts`.
    fn apply_alert(&mut self, event: &Event, at: DateTime<Utc>, ts: DateTime<Utc>) {
        match event {
            // Detection: the first critical or warning alert. Informational
            // alerts (often long-standing and unrelated) do not count.
            Event::AlertFiring {
                severity,
                fingerprint,
                ..
            } if signals_impact(severity) => {
                self.detected_at = Some(self.detected_at.map_or(at, |d| d.min(at)));
                self.firing.insert(fingerprint.clone());
                // The impact is back (or still on): it has not ended.
                self.recovered = None;
                self.verified = None;
            }
            Event::AlertResolved { fingerprint, .. } => {
                let was_firing = self.firing.remove(fingerprint);
                if was_firing && self.firing.is_empty() && self.mitigation.is_some() {
                    // The alerts recovered after a mitigation: that action
                    // is when the impact stopped, this is when it ended.
                    self.mitigated_by_action = self.mitigated_by_action.or(self.mitigation);
                    self.recovered = Some(ts);
                }
            }
            _ => {}
        }
    }

    /// Open until resolved.
    pub fn is_open(&self) -> bool {
        self.status != Status::Resolved
    }

    /// The zero of the T+ clock, on screen and in the postmortem alike:
    /// see [`Incident::measured_from`].
    pub fn t0(&self) -> DateTime<Utc> {
        self.measured_from().0
    }

    /// Where the postmortem's durations start: the impact start the
    /// responder recorded; without one (the usual case) the earliest sign
    /// of impact: the first critical or warning alert if it fired before
    /// the declaration (normal: alerts are why people declare), else the
    /// declaration.
    pub fn measured_from(&self) -> (DateTime<Utc>, MeasuredFrom) {
        if let Some(at) = self.impact_started {
            return (at, MeasuredFrom::ImpactStarted);
        }
        match self.detected_at {
            Some(at) if at < self.declared_at => (at, MeasuredFrom::FirstAlert),
            _ => (self.declared_at, MeasuredFrom::DeclaredAt),
        }
    }
}

/// The start of the postmortem's durations (see [`Incident::measured_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasuredFrom {
    ImpactStarted,
    FirstAlert,
    DeclaredAt,
}

impl MeasuredFrom {
    /// The name in the JSON export: the field of `incident` it is.
    pub fn key(self) -> &'static str {
        match self {
            Self::ImpactStarted => "impact_started",
            Self::FirstAlert => "detected_at",
            Self::DeclaredAt => "declared_at",
        }
    }

    /// In a sentence: "from {phrase}".
    pub fn phrase(self) -> &'static str {
        match self {
            Self::ImpactStarted => "the recorded impact start",
            Self::FirstAlert => "the first alert",
            Self::DeclaredAt => "the declaration",
        }
    }

    /// Why that start: "measured from {phrase}{why}".
    pub fn why(self) -> &'static str {
        match self {
            Self::ImpactStarted => "",
            Self::FirstAlert => {
                " (no impact start was recorded; the first critical or warning alert \
                 fired before the declaration)"
            }
            Self::DeclaredAt => {
                " (no impact start was recorded, and no critical or warning alert \
                 fired before the declaration)"
            }
        }
    }
}

/// Sort rank of a severity label: critical first (no allocation: it is
/// called in sort comparisons).
pub fn severity_rank(s: &str) -> u8 {
    let is = |names: &[&str]| names.iter().any(|n| s.eq_ignore_ascii_case(n));
    if is(&["critical", "page", "error"]) {
        0
    } else if is(&["warning", "warn"]) {
        1
    } else if is(&["info"]) {
        2
    } else {
        3
    }
}

/// Whether an alert of this severity is a sign of impact: critical and
/// warning are; informational alerts (often long-standing and unrelated)
/// are not.
pub fn signals_impact(severity: &str) -> bool {
    !matches!(
        severity.to_ascii_lowercase().as_str(),
        "info" | "none" | "informational" | ""
    )
}

/// A successful action that can stop the impact: a flag flip (kill
/// switch, read-only, maintenance), a rollback, or a playbook step that
/// rolls back or flips a flag.
fn is_mitigation(e: &Event) -> bool {
    match e {
        Event::FlagChanged { ok, .. } => *ok,
        Event::ActionFinished { action, ok, .. } => *ok && action == "rollback",
        // A step that only read a flag or the deployed version stopped
        // nothing.
        Event::StepFinished {
            step_kind,
            ok,
            changed,
            ..
        } => {
            *ok && (changed.unwrap_or(true) && matches!(step_kind.as_str(), "release" | "flag")
                // A command the playbook marks as a mitigation.
                || step_kind == "command" && *changed == Some(true))
        }
        _ => false,
    }
}

/// Format a duration as `1h02m03s` / `2m03s` / `45s`, with a sign for
/// negative values.
pub fn fmt_duration(d: chrono::Duration) -> String {
    Dur(d).to_string()
}

/// [`fmt_duration`] as a `Display`, written without allocating.
pub struct Dur(pub chrono::Duration);

impl std::fmt::Display for Dur {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.num_seconds();
        let sign = if secs < 0 { "-" } else { "" };
        let s = secs.unsigned_abs();
        let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
        if h > 0 {
            write!(f, "{sign}{h}h{m:02}m{s:02}s")
        } else if m > 0 {
            write!(f, "{sign}{m}m{s:02}s")
        } else {
            write!(f, "{sign}{s}s")
        }
    }
}

/// `T+12m03s` relative to `t0` (or `T-` before it).
pub fn t_plus(t0: DateTime<Utc>, at: DateTime<Utc>) -> String {
    TPlus(t0, at).to_string()
}

/// [`t_plus`] as a `Display`: `TPlus(t0, at)`.
pub struct TPlus(pub DateTime<Utc>, pub DateTime<Utc>);

impl std::fmt::Display for TPlus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.1 - self.0;
        if d < chrono::Duration::zero() {
            write!(f, "T-{}", Dur(-d))
        } else {
            write!(f, "T+{}", Dur(d))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(chrono::Duration::seconds(45)), "45s");
        assert_eq!(fmt_duration(chrono::Duration::seconds(125)), "2m05s");
        assert_eq!(fmt_duration(chrono::Duration::seconds(3723)), "1h02m03s");
        assert_eq!(fmt_duration(chrono::Duration::seconds(-65)), "-1m05s");
    }

    fn entry(ts: &str, actor: &str, event: Event) -> Entry {
        Entry {
            seq: 0,
            ts: DateTime::parse_from_rfc3339(ts).unwrap().to_utc(),
            prev: String::new(),
            actor: actor.into(),
            event,
            hash: String::new(),
        }
    }

    fn firing(fp: &str) -> Event {
        Event::AlertFiring {
            fingerprint: fp.into(),
            name: fp.into(),
            severity: "critical".into(),
            summary: String::new(),
            labels: Default::default(),
            since: None,
        }
    }

    fn resolved(fp: &str) -> Event {
        Event::AlertResolved {
            fingerprint: fp.into(),
            name: fp.into(),
        }
    }

    fn flag_off(ok: bool) -> Event {
        Event::FlagChanged {
            provider: "demo".into(),
            flag: "f".into(),
            before: Some(true),
            after: Some(!ok),
            wanted: false,
            ok,
            detail: String::new(),
        }
    }

    fn status(to: Status) -> Event {
        Event::StatusChanged {
            from: Status::Investigating,
            to,
        }
    }

    fn declared() -> Entry {
        entry(
            "2026-11-27T14:00:00Z",
            "ann",
            Event::IncidentDeclared {
                id: "i".into(),
                title: "t".into(),
                severity: Severity::Sev2,
                demo: false,
            },
        )
    }

    fn mitigated(rest: Vec<Entry>) -> Option<String> {
        let mut all = vec![declared()];
        all.extend(rest);
        Incident::replay(&all)
            .unwrap()
            .mitigated_at
            .map(|t| t.format("%H:%M").to_string())
    }

    #[test]
    fn mitigated_is_the_action_after_which_the_alerts_resolved_not_the_status_click() {
        // The issue's own case: flag off, alerts resolve, then monitoring.
        let m = mitigated(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:02:00Z", SYS, firing("b")),
            entry("2026-11-27T14:05:00Z", "ann", flag_off(false)), // failed: not it
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
            entry("2026-11-27T14:12:00Z", "ann", status(Status::Monitoring)),
            entry("2026-11-27T14:13:00Z", SYS, resolved("b")),
        ]);
        assert_eq!(m.as_deref(), Some("14:10"));
    }

    fn step(kind: &str, changed: Option<bool>) -> Event {
        Event::StepFinished {
            run_id: "r1".into(),
            step: 1,
            title: "a step".into(),
            step_kind: kind.into(),
            ok: true,
            exit_code: None,
            duration_ms: 0,
            output_tail: String::new(),
            detail: String::new(),
            changed,
        }
    }

    #[test]
    fn a_step_that_only_reads_a_flag_or_the_release_is_no_mitigation() {
        // The shipped playbooks read the flag (or the deployed version)
        // before they change it: the change is the mitigation.
        let m = mitigated(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:04:00Z", "ann", step("flag", Some(false))),
            entry("2026-11-27T14:05:00Z", "ann", step("release", Some(false))),
            entry("2026-11-27T14:06:00Z", "ann", step("flag", Some(true))),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
        ]);
        assert_eq!(m.as_deref(), Some("14:06"));
        // Journals written before `changed` was kept: as before.
        let old = mitigated(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:04:00Z", "ann", step("flag", None)),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
        ]);
        assert_eq!(old.as_deref(), Some("14:04"));
    }

    #[test]
    fn without_a_mitigation_that_worked_the_status_is_the_fallback() {
        // The flag flip did not bring the alerts back: monitoring counts.
        let m = mitigated(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:15:00Z", "ann", status(Status::Monitoring)),
        ]);
        assert_eq!(m.as_deref(), Some("14:15"));
        // Nothing at all: not mitigated.
        assert_eq!(mitigated(vec![]), None);
    }

    fn query_passed() -> Event {
        Event::StepFinished {
            run_id: "r1".into(),
            step: 3,
            title: "Error ratio back under 1%".into(),
            step_kind: "query".into(),
            ok: true,
            exit_code: None,
            duration_ms: 0,
            output_tail: String::new(),
            detail: String::new(),
            changed: None,
        }
    }

    /// The impact end and where it came from, as `HH:MM source`.
    fn impact_end(rest: Vec<Entry>) -> Option<String> {
        let mut all = vec![declared()];
        all.extend(rest);
        let inc = Incident::replay(&all).unwrap();
        inc.impact_ended
            .map(|e| format!("{} {}", e.at.format("%H:%M"), e.source.key()))
    }

    #[test]
    fn impact_ends_when_the_alerts_recovered_after_the_mitigation_not_at_the_resolve_click() {
        // The case: flag off, the alerts resolve, resolve pressed later.
        let e = impact_end(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:02:00Z", SYS, firing("b")),
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
            entry("2026-11-27T14:12:00Z", SYS, resolved("b")),
            entry("2026-11-27T14:15:00Z", "ann", status(Status::Resolved)),
        ]);
        assert_eq!(e.as_deref(), Some("14:12 alerts_resolved"));
    }

    #[test]
    fn a_metric_check_that_passed_later_extends_the_impact_end() {
        let e = impact_end(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:05:00Z", "ann", query_passed()), // before: not it
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
            entry("2026-11-27T14:13:00Z", "ann", query_passed()),
            entry("2026-11-27T14:20:00Z", "ann", status(Status::Resolved)),
        ]);
        assert_eq!(e.as_deref(), Some("14:13 metrics_verified"));
        // A check that passed before the alerts resolved does not move it.
        let e = impact_end(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:10:30Z", "ann", query_passed()),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
        ]);
        assert_eq!(e.as_deref(), Some("14:11 alerts_resolved"));
    }

    #[test]
    fn without_a_recovery_the_resolve_is_the_fallback() {
        // Still firing when resolved: only the click is known.
        let e = impact_end(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:20:00Z", "ann", status(Status::Resolved)),
        ]);
        assert_eq!(e.as_deref(), Some("14:20 resolved_at"));
        // Resolved without any mitigation having been taken: not a recovery
        // firebreak can vouch for.
        let e = impact_end(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:05:00Z", SYS, resolved("a")),
            entry("2026-11-27T14:20:00Z", "ann", status(Status::Resolved)),
        ]);
        assert_eq!(e.as_deref(), Some("14:20 resolved_at"));
        // Recovered, then an alert fired again and still fires.
        let e = impact_end(vec![
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
            entry("2026-11-27T14:14:00Z", SYS, firing("b")),
            entry("2026-11-27T14:20:00Z", "ann", status(Status::Resolved)),
        ]);
        assert_eq!(e.as_deref(), Some("14:20 resolved_at"));
        // Open, nothing recovered: no end yet.
        assert_eq!(
            impact_end(vec![entry("2026-11-27T14:01:00Z", SYS, firing("a"))]),
            None
        );
    }

    #[test]
    fn a_recorded_impact_end_wins_and_the_latest_correction_counts() {
        let mut all = vec![
            declared(),
            entry("2026-11-27T14:01:00Z", SYS, firing("a")),
            entry("2026-11-27T14:10:00Z", "ann", flag_off(true)),
            entry("2026-11-27T14:11:00Z", SYS, resolved("a")),
        ];
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        for t in ["2026-11-27T14:30:00Z", "2026-11-27T14:25:00Z"] {
            all.push(entry(
                "2026-11-27T14:40:00Z",
                "ann",
                Event::ImpactEnded { at: at(t) },
            ));
        }
        let inc = Incident::replay(&all).unwrap();
        let end = inc.impact_ended.unwrap();
        assert_eq!(
            (end.at, end.source),
            (at("2026-11-27T14:25:00Z"), ImpactEndSource::Recorded)
        );
        // What firebreak saw is kept beside it.
        let seen = inc.impact_end_observed.unwrap();
        assert_eq!(
            (seen.at, seen.source),
            (at("2026-11-27T14:11:00Z"), ImpactEndSource::AlertsResolved)
        );
    }

    const SYS: &str = crate::domain::SYSTEM_ACTOR;
}
