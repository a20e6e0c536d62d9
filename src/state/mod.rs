//! Application state and the pure `update` function.
//!
//! `update(&mut State, Msg, now) -> Vec<Effect>` is synchronous and does no
//! I/O: keys, source results and effect results come in as [`Msg`]s; what
//! must happen in the world goes out as [`Effect`]s.
//!
//! Every feature has one folder of the same shape:
//!
//! - `mod.rs`: its data (a sub-struct of [`State`]) and `apply(&Entry)`,
//!   the fold of journal entries that is the same live and on replay;
//! - `update.rs`: what changes it: `on_msg`-style handlers for its
//!   messages, `on_action` for the keymap actions it owns, `on_key` for
//!   its input mode, and `hints` for the footer.
//!
//! [`update()`] (in `update.rs`) is only a router. Shared helpers
//! (`record`, `record_then`, `require_incident`, `notify`) are methods
//! on [`State`]; no feature imports another feature's `update.rs` except
//! through the re-exports of its `mod.rs`.

pub mod access;
pub mod alerts;
pub mod approvals;
pub mod evidence;
pub mod flags;
pub mod health;
pub mod hypotheses;
pub mod incident;
mod keys;
pub mod lists;
pub mod metrics;
mod mode;
mod msg;
pub mod palette;
pub mod playbooks;
pub mod release;
pub mod roles;
pub mod rules;
pub mod screen;
pub mod silences;
pub mod team;
pub mod teammate;
pub use crate::domain::timeparse;
mod update;
pub mod updates;

use chrono::{DateTime, Duration, FixedOffset, Utc};

pub use flags::ServiceMode;
pub use hypotheses::outcome_rows as hypotheses_outcome_rows;
pub use keys::hints;
pub use metrics::WINDOWS;
pub use mode::{ChooseKind, Mode, Pending, PromptKind};
pub use msg::{Effect, Msg};
pub use screen::{Level, Notice, Pane, MIN_HEIGHT, MIN_WIDTH, NOTICE_SECS};
pub use update::{start, update};

use crate::config::keymap::Keymap;
use crate::domain::incident::{Incident, Severity};
use crate::domain::{Entry, Event, SYSTEM_ACTOR};
use crate::timeline::journal::Problem;
use health::Health;

/// Settings the state needs (from config), fixed for a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub demo: bool,
    pub responder: String,
    pub default_severity: Severity,
    /// Title used when declaring the demo incident.
    pub demo_title: Option<String>,
    pub local_offset: FixedOffset,
    pub themes: Vec<String>,
    pub alerts_configured: bool,
    pub metrics_configured: bool,
    pub flags_configured: bool,
    pub poll_interval: Duration,
    /// Is there something that can roll back (demo or configured)?
    pub can_rollback: bool,
    /// Quick-hypothesis time boxes and budget.
    pub timebox: crate::domain::hypotheses::Timebox,
    /// What waits for a second responder's approval (`[team] two_person`).
    pub two_person: Vec<crate::domain::approvals::Guarded>,
    /// Status updates: the cadence and the channels (`[status_updates]`).
    pub status_updates: updates::UpdateSettings,
    /// How long after a mitigation its evidence is read again
    /// (`[evidence] settle_minutes`).
    pub evidence_settle: Duration,
}

/// The whole application state: the screen (focus, mode, notice) and one
/// sub-struct per feature.
#[derive(Debug, Clone)]
pub struct State {
    pub settings: Settings,
    pub keymap: Keymap,
    pub theme_name: String,

    // The screen.
    pub focus: Pane,
    /// The side area's tab (Flags or Playbooks): the one last focused. It
    /// stays while another pane has focus; nothing switches it behind
    /// the responder's back.
    pub side: Pane,
    pub mode: Mode,
    pub notice: Option<Notice>,
    pub quit: bool,
    /// Terminal size; keys act only when the full screen can be drawn.
    pub viewport: (u16, u16),
    /// When the open confirmation was opened (keys within
    /// [`CONFIRM_GUARD_MS`] of it never answer it).
    pub confirm_since: Option<DateTime<Utc>>,
    /// Something visible may have changed since the last frame: the loop
    /// draws only then (and clears it).
    pub redraw: bool,

    // The features.
    /// Whether this cockpit writes the incident or follows another's.
    pub access: access::Access,
    pub incident: Option<Incident>,
    pub timeline: incident::Timeline,
    pub alerts: alerts::Alerts,
    pub silences: silences::Silences,
    pub rules: rules::Rules,
    pub metrics: metrics::Metrics,
    pub flags: flags::Flags,
    pub release: release::Release,
    pub playbooks: playbooks::Playbooks,
    pub hyp: hypotheses::HypothesesView,
    /// The team database, when one is configured.
    pub team: team::TeamView,
    /// The demo's simulated teammate.
    pub teammate: teammate::TeammateView,
    /// The two-person rule: what waits here for an approval.
    pub approvals: approvals::ApprovalsView,
    /// Status updates: recorded, delivered, due; the draft.
    pub updates: updates::UpdatesView,
    /// What the metrics said at each mitigation and after it.
    pub evidence: evidence::EvidenceView,
}

impl State {
    /// A state with no incident yet.
    pub fn new(settings: Settings, keymap: Keymap, theme_name: &str) -> State {
        let iv = settings.poll_interval;
        State {
            alerts: alerts::Alerts::new(Health::new("alerts", settings.alerts_configured, iv)),
            metrics: metrics::Metrics::new(Health::new("metrics", settings.metrics_configured, iv)),
            flags: flags::Flags::new(Health::new("flags", settings.flags_configured, iv)),
            settings,
            keymap,
            theme_name: theme_name.to_string(),
            focus: Pane::Alerts,
            side: Pane::Flags,
            mode: Mode::Normal,
            notice: None,
            quit: false,
            viewport: (u16::MAX, u16::MAX),
            confirm_since: None,
            redraw: true,
            access: access::Access::default(),
            incident: None,
            timeline: incident::Timeline::default(),
            silences: silences::Silences::default(),
            rules: rules::Rules::default(),
            release: release::Release::default(),
            playbooks: playbooks::Playbooks::default(),
            hyp: hypotheses::HypothesesView::default(),
            team: team::TeamView::default(),
            teammate: teammate::TeammateView::default(),
            approvals: approvals::ApprovalsView::default(),
            updates: updates::UpdatesView::default(),
            evidence: evidence::EvidenceView::default(),
        }
    }

    /// Rebuild from a replayed journal.
    pub fn resume(&mut self, entries: Vec<Entry>, problems: Vec<Problem>) {
        self.incident = None;
        self.timeline.entries.clear();
        self.alerts.recorded_firing.clear();
        self.silences.recorded.clear();
        self.updates.fold = Default::default();
        self.evidence = Default::default();
        for e in entries {
            self.apply_entry(e);
        }
        self.playbooks.after_replay();
        // Back after a restart: runs in progress are what was being worked on.
        if self.playbooks.any_active() {
            self.side = Pane::Playbooks;
        }
        self.timeline.problems = problems;
        self.refilter_timeline();
    }

    /// Open the incident read-only: another cockpit (`holder`) writes it
    /// and this one follows its journal.
    pub fn follow(&mut self, holder: Option<crate::timeline::journal::Holder>) {
        self.access.following = Some(access::Following {
            holder,
            ..Default::default()
        });
    }

    /// Fold one durable entry into every feature (the same path live and
    /// on replay).
    pub(crate) fn apply_entry(&mut self, entry: Entry) {
        let rejoined = matches!(&entry.event, Event::TeamJoined { id, .. }
            if self.incident.as_ref().is_some_and(|i| i.id == *id));
        if let (Event::IncidentDeclared { .. } | Event::TeamJoined { .. }, false) =
            (&entry.event, rejoined)
        {
            self.incident = Incident::from_declaration(&entry);
        }
        if let Some(inc) = &mut self.incident {
            inc.apply(&entry);
        }
        self.alerts.apply(&entry);
        self.silences.apply(&entry);
        self.release.apply(&entry);
        self.hyp.apply(&entry);
        self.playbooks.apply(&entry);
        self.updates.apply(&entry);
        self.evidence.apply(&entry);
        self.timeline.apply(entry);
    }

    /// Is a clock on screen that moves every second (time since the
    /// incident began, source ages, countdowns)?
    pub fn shows_clock(&self) -> bool {
        self.incident.is_some()
            || self.alerts.health.configured
            || self.metrics.health.configured
            || self.flags.health.configured
    }

    /// Record `event` as the responder.
    pub(crate) fn record(&self, event: Event) -> Effect {
        self.record_then(event, Vec::new())
    }

    /// Record `event` as the responder, then (once it is durable) run
    /// `then`: the write-ahead rule for every action on the world.
    pub(crate) fn record_then(&self, event: Event, then: Vec<Effect>) -> Effect {
        Effect::Record {
            actor: self.settings.responder.clone(),
            event,
            then,
        }
    }

    /// Record something firebreak observed by itself.
    pub(crate) fn record_system(event: Event) -> Effect {
        Effect::Record {
            actor: SYSTEM_ACTOR.into(),
            event,
            then: Vec::new(),
        }
    }

    /// Is there an incident? If not, say how to declare one.
    pub(crate) fn require_incident(&mut self, now: DateTime<Utc>) -> bool {
        if self.incident.is_some() {
            return true;
        }
        let key = self
            .keymap
            .hint(crate::action::Action::DeclareIncident)
            .unwrap_or_else(|| "D".into());
        self.notify(
            Level::Warning,
            format!("No incident yet: declare one first ({key})"),
            now,
        );
        false
    }

    /// Ask a yes/no question before doing `pending`.
    pub(crate) fn confirm(&mut self, question: String, pending: Pending) {
        self.mode = Mode::Confirm { question, pending };
    }

    /// Ask for the target's name to be typed before doing `pending`: for
    /// changes to production (rollback, flag flips, silencing critical
    /// alerts), where a yes is one keystroke too few.
    pub(crate) fn confirm_typed(&mut self, question: String, expect: String, pending: Pending) {
        self.mode = Mode::TypedConfirm {
            question,
            expect,
            input: String::new(),
            pending,
            error: None,
        };
    }

    /// Open a text prompt.
    pub(crate) fn prompt(&mut self, kind: PromptKind, input: String) {
        self.mode = Mode::Prompt {
            kind,
            input,
            error: None,
        };
    }
}

/// Keys that arrive this soon after a confirmation opened never answer
/// it: they were typed (or pasted) before the question could be read.
pub const CONFIRM_GUARD_MS: i64 = 150;

/// A flag state in words.
pub(crate) fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}
