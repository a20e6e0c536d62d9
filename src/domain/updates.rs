//! Status updates: what stakeholders were told, when the next one is due,
//! and where each was delivered.
//!
//! An update is recorded ([`Event::StatusUpdateRecorded`]) before it is
//! sent anywhere; each channel's outcome is its own entry
//! ([`Event::StatusUpdateSent`]). The fold here ([`Updates`]) says which
//! updates exist, which channel got which (so a second send of the same
//! update to the same channel is refused: the idempotency guard), which
//! were recorded but never got a result (a crash between recording and
//! sending: offered for resend, never resent silently), and when the next
//! update is due on the [`Cadence`] of the incident's severity.
//!
//! [`prefill`] drafts an update from the journal: severity, status,
//! firing alerts, the last actions and their results, the active
//! hypothesis. Pure: `now` is passed in.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::event::{Entry, Event};
use super::hypotheses::Hypotheses;
use super::incident::{fmt_duration, Incident, Severity};

/// How often stakeholders hear from the incident, per severity.
#[derive(Debug, Clone, PartialEq)]
pub struct Cadence {
    pub sev1: Duration,
    pub sev2: Duration,
    pub sev3: Duration,
    pub sev4: Duration,
    /// When the first update is due after the declaration (None: one
    /// period of the severity's cadence).
    pub first: Option<Duration>,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            sev1: Duration::minutes(15),
            sev2: Duration::minutes(30),
            sev3: Duration::minutes(60),
            sev4: Duration::minutes(120),
            first: None,
        }
    }
}

impl Cadence {
    /// The demo's: the usual cadence, but the first update is due two
    /// minutes after the declaration, so that the reminder shows.
    pub fn demo() -> Cadence {
        Cadence {
            first: Some(Duration::minutes(2)),
            ..Cadence::default()
        }
    }

    /// The period at `severity`.
    pub fn every(&self, severity: Severity) -> Duration {
        match severity {
            Severity::Sev1 => self.sev1,
            Severity::Sev2 => self.sev2,
            Severity::Sev3 => self.sev3,
            Severity::Sev4 => self.sev4,
        }
    }
}

/// The text of an update, as drafted or edited.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    /// What is happening, and the impact.
    pub conditions: String,
    /// What is being done.
    pub actions: String,
    /// What help is needed.
    pub needs: String,
    /// When the next update will come.
    pub next_update_at: Option<DateTime<Utc>>,
}

/// How one channel's delivery went.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub ok: bool,
    pub at: DateTime<Utc>,
    /// "sent", or why not.
    pub detail: String,
}

/// One recorded update.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    pub id: String,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: String,
    /// Severity, status and title when it was written.
    pub headline: String,
    pub draft: Draft,
    /// Where it was to be sent.
    pub channels: Vec<String>,
    /// Each channel's latest outcome.
    pub results: BTreeMap<String, Delivery>,
    /// Written in another responder's cockpit and merged from the team
    /// ([`Updates::apply_theirs`]): it counts for the cadence, but its
    /// sends are theirs, so it is never resent or offered for resend here.
    pub theirs: bool,
}

impl Posted {
    /// Was it delivered to `channel`?
    pub fn sent_to(&self, channel: &str) -> bool {
        self.results.get(channel).is_some_and(|d| d.ok)
    }

    /// Channels it was meant for that have no outcome recorded.
    pub fn unanswered(&self) -> Vec<&str> {
        self.channels
            .iter()
            .filter(|c| !self.results.contains_key(c.as_str()))
            .map(String::as_str)
            .collect()
    }
}

/// Every update of the incident, in the order recorded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Updates {
    pub list: Vec<Posted>,
}

/// When the next update is due, relative to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    In(Duration),
    Overdue(Duration),
}

impl Due {
    /// "update in 12m", "update overdue 3m".
    pub fn label(self) -> String {
        match self {
            Due::In(d) => format!("update in {}", minutes(d)),
            Due::Overdue(d) => format!("update overdue {}", minutes(d)),
        }
    }

    pub fn overdue(self) -> bool {
        matches!(self, Due::Overdue(_))
    }
}

/// A duration in whole minutes, rounded up ("1m" until it is over), or
/// seconds under a minute overdue.
fn minutes(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    if secs < 60 {
        return format!("{secs}s");
    }
    let m = (secs + 59) / 60;
    if m >= 120 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

impl Updates {
    pub fn replay(entries: &[Entry]) -> Updates {
        let mut u = Updates::default();
        for e in entries {
            u.apply(e);
        }
        u
    }

    /// Fold one entry of this cockpit's journal (the same live and on
    /// replay; an export's replay of a shared incident folds everyone's
    /// entries here too, their ids telling them apart). An entry folded
    /// twice (same seq and author) is kept once.
    pub fn apply(&mut self, entry: &Entry) {
        self.fold(entry, false);
    }

    /// Fold another responder's entry, merged from the team database:
    /// their update counts for when the next one is due; a send's outcome
    /// is taken only for an update they wrote (never for one of this
    /// cockpit's, whatever its id).
    pub fn apply_theirs(&mut self, entry: &Entry) {
        self.fold(entry, true);
    }

    fn fold(&mut self, entry: &Entry, theirs: bool) {
        match &entry.event {
            Event::StatusUpdateRecorded {
                id,
                headline,
                conditions,
                actions,
                needs,
                next_update_at,
                channels,
            } => {
                if self
                    .list
                    .iter()
                    .any(|p| p.id == *id && p.seq == entry.seq && p.by == entry.actor)
                {
                    return;
                }
                self.list.push(Posted {
                    id: id.clone(),
                    seq: entry.seq,
                    at: entry.ts,
                    by: entry.actor.clone(),
                    headline: headline.clone(),
                    draft: Draft {
                        conditions: conditions.clone(),
                        actions: actions.clone(),
                        needs: needs.clone(),
                        next_update_at: *next_update_at,
                    },
                    channels: channels.clone(),
                    results: BTreeMap::new(),
                    theirs,
                });
            }
            Event::StatusUpdateSent {
                id,
                channel,
                ok,
                detail,
            } => {
                if let Some(p) = self
                    .list
                    .iter_mut()
                    .find(|p| p.id == *id && p.theirs == theirs)
                {
                    // A success stays a success (a later failure of a
                    // refused resend does not undo it).
                    if p.sent_to(channel) {
                        return;
                    }
                    p.results.insert(
                        channel.clone(),
                        Delivery {
                            ok: *ok,
                            at: entry.ts,
                            detail: detail.clone(),
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// This cockpit's update `id` (not one merged from another
    /// responder: those are theirs to resend).
    pub fn get(&self, id: &str) -> Option<&Posted> {
        self.list.iter().find(|p| p.id == id && !p.theirs)
    }

    /// The update recorded last (by its time: another responder's merged
    /// from the team may arrive after a later one of this cockpit's).
    pub fn last(&self) -> Option<&Posted> {
        self.list.iter().max_by_key(|p| p.at)
    }

    /// The id `by`'s next update gets. Alone: `u1`, `u2`... In a shared
    /// incident (`shared`: the team database is in use) the author is
    /// part of it, `alice/u2` (alice's second), as approvals are
    /// namespaced: two cockpits writing at once, or one offline, can never
    /// both make `u3`, so neither a delivery's outcome nor a relay's
    /// idempotency key (incident, id, channel) confuses them. An id
    /// already taken (by a headless writer, a replayed journal) is never
    /// given again.
    pub fn next_id(&self, by: &str, shared: bool) -> String {
        let taken = |id: &str| self.list.iter().any(|p| p.id == id);
        let mut n = if shared {
            self.list.iter().filter(|p| p.by == by).count() + 1
        } else {
            self.list.len() + 1
        };
        loop {
            let id = if shared {
                format!("{by}/u{n}")
            } else {
                format!("u{n}")
            };
            if !taken(&id) {
                return id;
            }
            n += 1;
        }
    }

    /// Updates recorded with channels that never got an outcome (the
    /// cockpit stopped between recording and sending): (id, channels).
    /// Only this cockpit's: another responder's sends are theirs.
    pub fn unanswered(&self) -> Vec<(&str, Vec<&str>)> {
        self.list
            .iter()
            .filter(|p| !p.theirs)
            .filter_map(|p| {
                let c = p.unanswered();
                (!c.is_empty()).then_some((p.id.as_str(), c))
            })
            .collect()
    }

    /// When the next update is due: the time the last one promised, or
    /// one period of the current severity after it, whichever is sooner
    /// (a raised severity tightens it); before any update, `first` (or
    /// one period) after the declaration. None once resolved.
    pub fn due_at(&self, inc: &Incident, cadence: &Cadence) -> Option<DateTime<Utc>> {
        if !inc.is_open() {
            return None;
        }
        let every = cadence.every(inc.severity);
        Some(match self.last() {
            Some(p) => {
                let by_cadence = p.at + every;
                p.draft
                    .next_update_at
                    .map_or(by_cadence, |t| t.min(by_cadence))
            }
            None => inc.declared_at + cadence.first.unwrap_or(every),
        })
    }

    /// Due in, or overdue by, relative to `now`.
    pub fn due(&self, inc: &Incident, cadence: &Cadence, now: DateTime<Utc>) -> Option<Due> {
        let at = self.due_at(inc, cadence)?;
        Some(if now >= at {
            Due::Overdue(now - at)
        } else {
            Due::In(at - now)
        })
    }
}

/// The line that heads an update: "SEV2 · Investigating · <title>".
pub fn headline(inc: &Incident) -> String {
    format!("{} · {} · {}", inc.severity, inc.status.label(), inc.title)
}

/// How many of the last actions the draft lists.
const LAST_ACTIONS: usize = 5;

/// A draft from the journal: what is happening (severity, status, how
/// long, firing alerts), what was done (the last actions and their
/// results, the active hypothesis) and, next, when the next update comes.
/// The responder edits it before it is recorded.
pub fn prefill(inc: &Incident, entries: &[Entry], cadence: &Cadence, now: DateTime<Utc>) -> Draft {
    // Conditions: state, duration, impact, firing alerts.
    let mut conditions = format!(
        "{} {}, for {}: {}.",
        inc.severity,
        inc.status.label().to_lowercase(),
        fmt_duration(now - inc.t0()),
        inc.title
    );
    if let Some(at) = inc.impact_started {
        conditions.push_str(&format!(" Impact since {}.", at.format("%H:%M UTC")));
    }
    let mut firing: BTreeMap<&str, String> = BTreeMap::new();
    for (event, _) in entries.iter().flat_map(Entry::parts) {
        match event {
            Event::AlertFiring {
                fingerprint,
                name,
                severity,
                summary,
                ..
            } => {
                let line = if summary.is_empty() {
                    format!("{name} [{severity}]")
                } else {
                    format!("{name} [{severity}]: {summary}")
                };
                firing.insert(fingerprint, line);
            }
            Event::AlertResolved { fingerprint, .. } => {
                firing.remove(fingerprint.as_str());
            }
            _ => {}
        }
    }
    if firing.is_empty() {
        conditions.push_str("\nNo alerts firing.");
    } else {
        conditions.push_str("\nFiring:");
        for line in firing.values() {
            conditions.push_str(&format!("\n- {line}"));
        }
    }

    // Actions: the last actions' outcomes, then what is being tried.
    let done: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                Event::ActionFinished { .. }
                    | Event::FlagChanged { .. }
                    | Event::PlaybookFinished { .. }
                    | Event::AlertSilenced { .. }
            ) || matches!(&e.event, Event::StepFinished { step_kind, .. } if step_kind != "check")
        })
        .collect();
    let mut actions = String::new();
    for e in done.iter().rev().take(LAST_ACTIONS).rev() {
        if !actions.is_empty() {
            actions.push('\n');
        }
        actions.push_str(&format!(
            "- {} {}",
            e.ts.format("%H:%M"),
            e.event.describe()
        ));
    }
    if actions.is_empty() {
        actions.push_str("Investigating; no mitigation tried yet.");
    }
    if let Some(h) = Hypotheses::replay(entries).active() {
        actions.push_str(&format!("\nWorking on: {}", h.text));
        if !h.planned.is_empty() {
            actions.push_str(&format!(" (trying: {})", h.planned));
        }
    }

    Draft {
        conditions,
        actions,
        needs: "Nothing at the moment.".into(),
        next_update_at: Some(now + cadence.every(inc.severity)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::Status;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T14:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
            + Duration::minutes(min)
    }

    fn entry(seq: u64, min: i64, event: Event) -> Entry {
        Entry {
            seq,
            ts: at(min),
            prev: String::new(),
            actor: "alice".into(),
            event,
            hash: String::new(),
        }
    }

    fn declared(sev: Severity) -> Entry {
        entry(
            1,
            0,
            Event::IncidentDeclared {
                id: "inc-1".into(),
                title: "Checkout errors".into(),
                severity: sev,
                demo: false,
            },
        )
    }

    fn recorded(seq: u64, min: i64, id: &str, next: Option<i64>) -> Entry {
        entry(
            seq,
            min,
            Event::StatusUpdateRecorded {
                id: id.into(),
                headline: String::new(),
                conditions: "c".into(),
                actions: "a".into(),
                needs: "n".into(),
                next_update_at: next.map(at),
                channels: vec!["room".into(), "execs".into()],
            },
        )
    }

    fn sent(seq: u64, id: &str, channel: &str, ok: bool) -> Entry {
        entry(
            seq,
            seq as i64,
            Event::StatusUpdateSent {
                id: id.into(),
                channel: channel.into(),
                ok,
                detail: if ok { "sent".into() } else { "HTTP 500".into() },
            },
        )
    }

    fn incident(entries: &[Entry]) -> Incident {
        let mut inc = Incident::from_declaration(&entries[0]).unwrap_or_else(|| panic!("decl"));
        for e in entries {
            inc.apply(e);
        }
        inc
    }

    #[test]
    fn the_first_update_is_due_one_period_after_the_declaration() {
        let es = vec![declared(Severity::Sev2)];
        let (inc, u, c) = (incident(&es), Updates::replay(&es), Cadence::default());
        assert_eq!(u.due_at(&inc, &c), Some(at(30)));
        assert_eq!(
            u.due(&inc, &c, at(18)),
            Some(Due::In(Duration::minutes(12)))
        );
        assert_eq!(
            u.due(&inc, &c, at(18)).map(Due::label).as_deref(),
            Some("update in 12m")
        );
        let late = u.due(&inc, &c, at(33));
        assert_eq!(late, Some(Due::Overdue(Duration::minutes(3))));
        assert_eq!(late.map(Due::label).as_deref(), Some("update overdue 3m"));
        // The demo's first one comes after two minutes.
        assert_eq!(u.due_at(&inc, &Cadence::demo()), Some(at(2)));
    }

    #[test]
    fn after_an_update_the_promised_time_or_the_cadence_whichever_is_sooner() {
        let mut es = vec![declared(Severity::Sev2), recorded(2, 10, "u1", Some(50))];
        let c = Cadence::default();
        // Promised 50, cadence says 10 + 30 = 40.
        assert_eq!(
            Updates::replay(&es).due_at(&incident(&es), &c),
            Some(at(40))
        );
        es[1] = recorded(2, 10, "u1", Some(20));
        assert_eq!(
            Updates::replay(&es).due_at(&incident(&es), &c),
            Some(at(20))
        );
        // Raised to SEV1: 10 + 15.
        es[1] = recorded(2, 10, "u1", None);
        es.push(entry(
            3,
            11,
            Event::SeverityChanged {
                from: Severity::Sev2,
                to: Severity::Sev1,
            },
        ));
        assert_eq!(
            Updates::replay(&es).due_at(&incident(&es), &c),
            Some(at(25))
        );
        // Resolved: nothing is due.
        es.push(entry(
            4,
            12,
            Event::StatusChanged {
                from: Status::Investigating,
                to: Status::Resolved,
            },
        ));
        assert_eq!(Updates::replay(&es).due(&incident(&es), &c, at(90)), None);
    }

    #[test]
    fn deliveries_are_per_channel_and_a_success_stays() {
        let es = vec![
            declared(Severity::Sev2),
            recorded(2, 10, "u1", None),
            sent(3, "u1", "room", false),
            sent(4, "u1", "room", true),
            sent(5, "u1", "room", false),
        ];
        let u = Updates::replay(&es);
        let p = u.get("u1").unwrap_or_else(|| panic!("u1"));
        assert!(p.sent_to("room"));
        assert!(!p.sent_to("execs"));
        // execs never answered: offered for resend.
        assert_eq!(u.unanswered(), vec![("u1", vec!["execs"])]);
        assert_eq!(u.next_id("alice", false), "u2");
    }

    fn by(actor: &str, mut e: Entry) -> Entry {
        e.actor = actor.into();
        e
    }

    #[test]
    fn in_a_shared_incident_two_cockpits_never_make_the_same_id() {
        // alice and bob both wrote two updates, neither seeing the other's
        // (offline): their ids still differ.
        let alice = Updates::replay(&[declared(Severity::Sev2), recorded(2, 10, "alice/u1", None)]);
        let bob = Updates::replay(&[
            declared(Severity::Sev2),
            by("bob", recorded(2, 11, "bob/u1", None)),
        ]);
        assert_eq!(alice.next_id("alice", true), "alice/u2");
        assert_eq!(bob.next_id("bob", true), "bob/u2");
        // Alone, numbers; a number taken (a headless writer) is skipped.
        let solo = Updates::replay(&[declared(Severity::Sev2), recorded(2, 10, "u2", None)]);
        assert_eq!(solo.next_id("alice", false), "u3");
    }

    #[test]
    fn theirs_count_for_the_cadence_but_their_sends_stay_theirs() {
        let c = Cadence::default();
        let es = vec![declared(Severity::Sev2), recorded(2, 10, "u1", Some(60))];
        let mut u = Updates::replay(&es);
        let inc = incident(&es);
        assert_eq!(u.due_at(&inc, &c), Some(at(40)));
        // bob's update (an older firebreak: plain "u1" too) written at 20,
        // merged after ours: the latest by time decides.
        u.apply_theirs(&by("bob", recorded(7, 20, "u1", None)));
        assert_eq!(u.due_at(&inc, &c), Some(at(50)));
        // A late merge of an older one of theirs changes nothing.
        u.apply_theirs(&by("bob", recorded(5, 5, "u0", None)));
        assert_eq!(u.due_at(&inc, &c), Some(at(50)));
        // Their outcome goes to their u1, ours to ours.
        u.apply_theirs(&sent(8, "u1", "room", true));
        u.apply(&sent(9, "u1", "execs", false));
        let mine = u.get("u1").unwrap_or_else(|| panic!("u1"));
        assert_eq!(mine.by, "alice");
        assert!(!mine.sent_to("room"));
        assert!(mine.results.contains_key("execs"));
        let theirs = u.list.iter().find(|p| p.theirs && p.id == "u1");
        assert!(theirs.is_some_and(|p| p.sent_to("room") && p.results.len() == 1));
        // Only ours are offered for resend.
        assert_eq!(u.unanswered(), vec![("u1", vec!["room"])]);
    }

    #[test]
    fn the_prefill_says_what_the_journal_says() {
        let es = vec![
            declared(Severity::Sev2),
            entry(
                2,
                1,
                Event::AlertFiring {
                    fingerprint: "f1".into(),
                    name: "CheckoutErrors".into(),
                    severity: "critical".into(),
                    summary: "5xx ratio 13%".into(),
                    labels: Default::default(),
                    since: None,
                },
            ),
            entry(
                3,
                2,
                Event::AlertFiring {
                    fingerprint: "f2".into(),
                    name: "Gone".into(),
                    severity: "warning".into(),
                    summary: String::new(),
                    labels: Default::default(),
                    since: None,
                },
            ),
            entry(
                4,
                3,
                Event::AlertResolved {
                    fingerprint: "f2".into(),
                    name: "Gone".into(),
                },
            ),
            entry(
                5,
                4,
                Event::FlagChanged {
                    provider: "demo".into(),
                    flag: "new-checkout".into(),
                    before: Some(true),
                    after: Some(false),
                    wanted: false,
                    ok: true,
                    detail: String::new(),
                },
            ),
            entry(
                6,
                5,
                Event::HypothesisStarted {
                    id: 1,
                    text: "the v2.14.0 deploy".into(),
                    planned: "roll back".into(),
                    box_secs: 600,
                    override_reason: None,
                },
            ),
        ];
        let inc = incident(&es);
        let d = prefill(&inc, &es, &Cadence::default(), at(12));
        assert!(
            d.conditions
                .starts_with("SEV2 investigating, for 12m00s: Checkout errors."),
            "{}",
            d.conditions
        );
        assert!(
            d.conditions
                .contains("- CheckoutErrors [critical]: 5xx ratio 13%"),
            "{}",
            d.conditions
        );
        assert!(!d.conditions.contains("Gone"), "{}", d.conditions);
        assert!(
            d.actions
                .contains("14:04 Flag new-checkout (demo) turned off: was on, now off"),
            "{}",
            d.actions
        );
        assert!(
            d.actions
                .contains("Working on: the v2.14.0 deploy (trying: roll back)"),
            "{}",
            d.actions
        );
        assert_eq!(d.next_update_at, Some(at(42)));
        assert!(!d.needs.is_empty());
    }
}
