//! Application state and the pure `update` function.
//!
//! `update(&mut State, Msg, now) -> Vec<Effect>` is synchronous and does no
//! I/O: keys, source results and effect results come in as [`Msg`]s; what
//! must happen in the world goes out as [`Effect`]s.

pub mod health;
mod hypotheses_update;
mod input;
pub mod lists;
pub mod palette;
pub mod playbooks;
pub mod silences;
pub mod timeparse;
pub mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use crossterm::event::KeyEvent;

pub use hypotheses_update::outcome_rows as hypotheses_outcome_rows;
pub use update::update;

use crate::config::keymap::Keymap;
use crate::domain::incident::{Incident, Severity, Status};
use crate::domain::{Entry, Event};
use crate::flags::{Flag, FlipError, FlipOutcome};
use crate::sources::poller::Polled;
use crate::sources::{Alert, Panel};
use crate::timeline::export::Format;
use crate::timeline::journal::Problem;
use health::Health;
use lists::ListView;

/// Everything that can happen to the app.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal's size (at start and on every resize).
    Resize(u16, u16),
    /// A clock tick (visible clocks advance).
    Tick,
    Alerts(Polled<Vec<Alert>>),
    Metrics(Polled<Vec<Panel>>),
    Flags(Polled<Vec<Flag>>),
    FlipDone {
        provider: String,
        flag: String,
        wanted: bool,
        result: Result<FlipOutcome, FlipError>,
    },
    /// An entry is durably in the journal; run `then` now.
    Recorded {
        entry: Entry,
        then: Vec<Effect>,
    },
    /// Writing to the journal failed; `then` was NOT run.
    RecordFailed {
        actor: String,
        event: Event,
        error: String,
        then: Vec<Effect>,
    },
    RollbackDone(Result<String, String>),
    /// Feedback from an effect that has nothing to record.
    Notice(Level, String),
    /// What the release control says is deployed ("checkout v2.14.0").
    Release(Polled<String>),
    Exported(Result<(Format, PathBuf), String>),
    /// Live output and results of playbook steps.
    Playbook(playbooks::PlaybookMsg),
    /// Silences from an alert source (Alertmanager).
    Silences(Polled<Vec<crate::sources::Silence>>),
    /// A silence, ack or expiry finished: a description, or the error.
    SilenceDone {
        action: String,
        target: String,
        result: Result<String, String>,
    },
}

/// Work for the effect runner (all I/O happens there).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Append to the journal (fsync'd), then run `then`. An
    /// `IncidentDeclared` event starts a new journal.
    Record {
        actor: String,
        event: Event,
        then: Vec<Effect>,
    },
    /// Poll every source now.
    RefreshAll,
    /// Re-read the flags (after a flip).
    RefreshFlags,
    FlipFlag {
        provider: String,
        flag: String,
        wanted: bool,
    },
    Rollback,
    Export {
        format: Format,
        id: String,
    },
    /// Open a web link in the desktop's browser (argv, never a shell).
    OpenUrl(String),
    /// Put text on the clipboard (OSC 52, through the terminal).
    Copy(String),
    /// Change the metrics window.
    SetWindow(Duration),
    /// Carry out a playbook step (command, flag, release control).
    PlaybookStep(crate::playbook::exec::StepJob),
    /// Create a silence (or an ack) on the alert source named `source`.
    CreateSilence {
        source: String,
        silence: crate::sources::NewSilence,
        action: String,
        target: String,
    },
    /// Expire silences on the alert source named `source`.
    ExpireSilence {
        source: String,
        ids: Vec<String>,
        target: String,
    },
    /// Load the theme of this name and draw with it (app::run).
    SetTheme(String),
    Quit,
}

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Alerts,
    Metrics,
    Timeline,
    Flags,
    Playbooks,
}

impl Pane {
    pub const ORDER: [Pane; 5] = [
        Pane::Alerts,
        Pane::Metrics,
        Pane::Timeline,
        Pane::Flags,
        Pane::Playbooks,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Alerts => "Alerts",
            Pane::Metrics => "Metrics",
            Pane::Timeline => "Timeline",
            Pane::Flags => "Flags",
            Pane::Playbooks => "Playbooks",
        }
    }
}

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Note,
    Rename,
    Declare,
    ImpactStart,
    Filter(Pane),
    /// `{matchers} DURATION comment` for a new silence.
    Silence,
    /// Quick hypothesis: what you think it is.
    HypothesisText,
    /// Quick hypothesis: the quick action you will try (optional).
    HypothesisAction,
    /// Quick hypothesis: the time box.
    HypothesisBox,
    /// Why the time box is extended (once).
    HypothesisExtend,
    /// What the outcome taught (optional note).
    HypothesisLearned,
    /// Why another quick hypothesis on the systematic path.
    OverrideReason,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Note => "Note",
            PromptKind::Rename => "Rename incident",
            PromptKind::Declare => "Declare incident (title)",
            PromptKind::ImpactStart => "Impact started at (14:02, 14:02Z, -10m, 1h ago)",
            PromptKind::Filter(Pane::Alerts) => {
                "Filter alerts (fuzzy text and/or severity=\"critical\" matchers)"
            }
            PromptKind::Filter(Pane::Timeline) => "Filter the timeline",
            PromptKind::Filter(Pane::Flags) => "Filter flags",
            PromptKind::Filter(_) => "Filter",
            PromptKind::Silence => "Silence: {matchers} DURATION comment (why?)",
            PromptKind::HypothesisText => "Quick hypothesis: what do you think is wrong?",
            PromptKind::HypothesisAction => "Quick action you will try (optional, Enter to skip)",
            PromptKind::HypothesisBox => "Time box (5m, 10m, 15m or any duration)",
            PromptKind::HypothesisExtend => "Extend ONCE, as an exception: why?",
            PromptKind::HypothesisLearned => "What did we learn? (optional, Enter to skip)",
            PromptKind::OverrideReason => "Override the systematic path: why another quick try?",
        }
    }
}

/// What a yes/no confirmation will do.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    Quit,
    /// Carry out step `step` of playbook run `run_id`.
    PlaybookStep {
        run_id: String,
        step: usize,
    },
    FlipFlag {
        provider: String,
        flag: String,
        wanted: bool,
    },
    Rollback,
    /// Create a silence (an ack when `ack`).
    Silence {
        source: String,
        silence: crate::sources::NewSilence,
        ack: bool,
    },
    ExpireSilence {
        source: String,
        ids: Vec<String>,
        target: String,
    },
    /// Start a quick hypothesis although on the systematic path.
    QuickOverride,
    /// Leave the quick phase for the systematic path now.
    Systematic,
    /// Resolve although things are still open (listed in the question).
    Resolve,
}

/// What a chooser picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChooseKind {
    Severity,
    Status,
    /// The outcome of the active hypothesis (or extend it).
    Outcome,
}

/// The input mode: who gets the next key.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Help {
        scroll: u16,
    },
    Prompt {
        kind: PromptKind,
        input: String,
        error: Option<String>,
    },
    Confirm {
        question: String,
        pending: Pending,
    },
    Choose {
        kind: ChooseKind,
        selected: usize,
    },
    Palette(palette::PaletteState),
    AlertDetail {
        fingerprint: String,
        scroll: u16,
    },
    /// The inputs of a playbook about to start.
    PlaybookForm(playbooks::Form),
    /// Confirmation by typing `expect` (the target's name), for actions
    /// against production.
    TypedConfirm {
        question: String,
        expect: String,
        input: String,
        pending: Pending,
        error: Option<String>,
    },
}

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Smallest screen the full layout is drawn in; on a smaller one keys do
/// not act (only quit), so nothing happens that the responder cannot see.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// How long a notice stays (errors stay until replaced).
pub const NOTICE_SECS: i64 = 8;

/// The metrics windows `w` cycles through.
pub const WINDOWS: [(&str, i64); 3] = [("15m", 15), ("1h", 60), ("6h", 360)];

/// A service mode (read-only, maintenance) that a flag switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceMode {
    /// What the header shows while it is in force ("READ-ONLY").
    pub label: String,
    pub provider: String,
    pub flag: String,
    /// The flag state that means "in force".
    pub active_when: bool,
}

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
}

/// The whole application state.
#[derive(Debug, Clone)]
pub struct State {
    pub settings: Settings,
    pub keymap: Keymap,
    pub theme_name: String,

    pub incident: Option<Incident>,
    pub timeline: Vec<Entry>,
    /// Search text of each timeline entry (cached: the journal may be long).
    pub timeline_text: Vec<String>,
    /// Chart markers: when actions happened.
    pub marks: Vec<(DateTime<Utc>, String)>,
    pub journal_problems: Vec<Problem>,
    /// Events whose write failed: shown, retried, never dropped.
    pub unsaved: Vec<(String, Event)>,
    pub journal_error: Option<String>,
    /// Alerts recorded as firing on the timeline (fingerprint -> name).
    pub recorded_firing: BTreeMap<String, String>,
    /// Alerts recorded as silenced (until they fire again or resolve).
    pub recorded_silenced: BTreeSet<String>,
    /// Silences reported by the alert source.
    pub silences: Vec<crate::sources::Silence>,
    /// Silencing and grouping preferences (from `[alertmanager]`).
    pub alert_prefs: crate::sources::AlertPrefs,

    pub alerts: Vec<Alert>,
    /// Search text of each alert (cached for the per-keystroke filter).
    pub alerts_text: Vec<String>,
    /// Each alert's group (by `alert_prefs.group_by`) and the group's size.
    pub alerts_group: Vec<(String, usize)>,
    pub alerts_health: Health,
    pub panels: Vec<Panel>,
    pub metrics_health: Health,
    pub flags: Vec<Flag>,
    pub flags_health: Health,
    /// Flags with a flip in flight: a second press does nothing.
    pub flips_in_flight: BTreeSet<String>,
    /// Read-only / maintenance modes bound to flags (from the config).
    pub service_modes: Vec<ServiceMode>,
    pub rollback_in_flight: bool,
    /// What is deployed, per the release control (and which one).
    pub release: Option<(String, String)>,
    pub window: usize,

    pub focus: Pane,
    pub alerts_list: ListView,
    pub timeline_list: ListView,
    pub flags_list: ListView,
    pub mode: Mode,
    pub notice: Option<Notice>,
    pub quit: bool,
    /// Terminal size; keys act only when the full screen can be drawn.
    pub viewport: (u16, u16),
    /// Playbooks and their runs.
    pub playbooks: playbooks::Playbooks,

    /// Quick hypotheses and the phase (replayed from the journal).
    pub hyp: crate::domain::hypotheses::Hypotheses,
    /// A hypothesis being typed in: (text, planned action, override reason).
    pub hyp_draft: Option<(String, String, Option<String>)>,
    /// The outcome chosen, waiting for its note.
    pub hyp_outcome: Option<crate::domain::hypotheses::Outcome>,
    /// A switch to the systematic path has been recorded but not confirmed
    /// by the journal yet (do not ask twice).
    pub switch_pending: bool,
    /// Hypothesis whose expiry was already announced.
    pub expiry_announced: Option<u32>,
    /// The systematic-diagnosis checklist was opened this session.
    pub checklist_opened: bool,
}

impl State {
    /// A state with no incident yet.
    pub fn new(settings: Settings, keymap: Keymap, theme_name: &str) -> State {
        let iv = settings.poll_interval;
        State {
            alerts_health: Health::new("alerts", settings.alerts_configured, iv),
            metrics_health: Health::new("metrics", settings.metrics_configured, iv),
            flags_health: Health::new("flags", settings.flags_configured, iv),
            settings,
            keymap,
            theme_name: theme_name.to_string(),
            incident: None,
            timeline: Vec::new(),
            timeline_text: Vec::new(),
            marks: Vec::new(),
            journal_problems: Vec::new(),
            unsaved: Vec::new(),
            journal_error: None,
            recorded_firing: BTreeMap::new(),
            recorded_silenced: BTreeSet::new(),
            silences: Vec::new(),
            alert_prefs: crate::sources::AlertPrefs::default(),
            alerts: Vec::new(),
            alerts_text: Vec::new(),
            alerts_group: Vec::new(),
            panels: Vec::new(),
            flags: Vec::new(),
            flips_in_flight: BTreeSet::new(),
            service_modes: Vec::new(),
            rollback_in_flight: false,
            release: None,
            window: 0,
            focus: Pane::Alerts,
            alerts_list: ListView::default(),
            timeline_list: ListView::following(),
            flags_list: ListView::default(),
            mode: Mode::Normal,
            notice: None,
            quit: false,
            viewport: (u16::MAX, u16::MAX),
            playbooks: playbooks::Playbooks::default(),
            hyp: crate::domain::hypotheses::Hypotheses::default(),
            hyp_draft: None,
            hyp_outcome: None,
            switch_pending: false,
            expiry_announced: None,
            checklist_opened: false,
        }
    }

    /// Rebuild from a replayed journal.
    pub fn resume(&mut self, entries: Vec<Entry>, problems: Vec<Problem>) {
        self.incident = None;
        self.timeline.clear();
        self.recorded_firing.clear();
        self.recorded_silenced.clear();
        for e in entries {
            self.apply_entry(e);
        }
        self.playbooks.after_replay();
        self.journal_problems = problems;
        self.refilter_timeline();
    }

    /// Fold one durable entry into the state (same path live and on replay).
    pub(crate) fn apply_entry(&mut self, entry: Entry) {
        match &entry.event {
            Event::IncidentDeclared { .. } => {
                self.incident = Incident::from_declaration(&entry);
                self.timeline.clear();
                self.timeline_text.clear();
                self.marks.clear();
                self.recorded_firing.clear();
                self.recorded_silenced.clear();
                self.journal_problems.clear();
                self.hyp = crate::domain::hypotheses::Hypotheses::default();
            }
            Event::SystematicPath { .. } => self.switch_pending = false,
            Event::AlertFiring {
                fingerprint, name, ..
            } => {
                self.recorded_firing
                    .insert(fingerprint.clone(), name.clone());
            }
            Event::AlertResolved { fingerprint, .. } => {
                self.recorded_firing.remove(fingerprint);
                self.recorded_silenced.remove(fingerprint);
            }
            Event::AlertSilenced { fingerprint, .. } => {
                self.recorded_silenced.insert(fingerprint.clone());
            }
            _ => {}
        }
        if let Some(inc) = &mut self.incident {
            inc.apply(&entry);
        }
        self.hyp.apply(&entry);
        self.playbooks.apply(&entry);
        if let Some(mark) = action_mark(&entry) {
            self.marks.push(mark);
        }
        self.timeline_text.push(timeline_search_text(&entry));
        self.timeline.push(entry);
    }

    /// Append the newest timeline entry to the filtered view without
    /// rescanning the whole journal.
    pub(crate) fn timeline_appended(&mut self) {
        let i = self.timeline.len().saturating_sub(1);
        if let Some(text) = self.timeline_text.get(i) {
            self.timeline_list.push(i, text);
        }
    }

    /// Replace the alerts and their cached search texts.
    pub(crate) fn set_alerts(&mut self, alerts: Vec<Alert>) {
        self.alerts_text = alerts.iter().map(Alert::search_text).collect();
        let keys: Vec<String> = alerts
            .iter()
            .map(|a| a.group_key(&self.alert_prefs.group_by))
            .collect();
        let mut sizes: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for k in &keys {
            *sizes.entry(k.as_str()).or_default() += 1;
        }
        let sized: Vec<(String, usize)> = keys
            .iter()
            .map(|k| (k.clone(), sizes.get(k.as_str()).copied().unwrap_or(1)))
            .collect();
        self.alerts_group = sized;
        self.alerts = alerts;
        self.refilter_alerts();
    }

    pub fn window_duration(&self) -> Duration {
        Duration::minutes(WINDOWS[self.window % WINDOWS.len()].1)
    }

    pub fn window_label(&self) -> &'static str {
        WINDOWS[self.window % WINDOWS.len()].0
    }

    pub fn incident_open(&self) -> bool {
        self.incident.as_ref().is_some_and(Incident::is_open)
    }

    /// The alert under the cursor in the alerts pane.
    pub fn selected_alert(&self) -> Option<&Alert> {
        self.alerts_list
            .selected_index()
            .and_then(|i| self.alerts.get(i))
    }

    /// The flag under the cursor in the flags pane.
    pub fn selected_flag(&self) -> Option<&Flag> {
        self.flags_list
            .selected_index()
            .and_then(|i| self.flags.get(i))
    }

    pub fn list_mut(&mut self, pane: Pane) -> Option<&mut ListView> {
        match pane {
            Pane::Alerts => Some(&mut self.alerts_list),
            Pane::Timeline => Some(&mut self.timeline_list),
            Pane::Flags => Some(&mut self.flags_list),
            Pane::Playbooks => Some(&mut self.playbooks.list),
            Pane::Metrics => None,
        }
    }

    pub fn list(&self, pane: Pane) -> Option<&ListView> {
        match pane {
            Pane::Alerts => Some(&self.alerts_list),
            Pane::Timeline => Some(&self.timeline_list),
            Pane::Flags => Some(&self.flags_list),
            Pane::Playbooks => Some(&self.playbooks.list),
            Pane::Metrics => None,
        }
    }

    /// The alerts filter is fuzzy text, Alertmanager matchers
    /// (`severity="critical" service=~"check.*"`), or both.
    pub fn refilter_alerts(&mut self) {
        let texts = &self.alerts_text;
        let full = std::mem::take(&mut self.alerts_list.filter);
        let (matchers, rest, _) = crate::sources::matcher::split_filter(&full);
        if matchers.is_empty() {
            self.alerts_list.filter = full;
            self.alerts_list.refilter(texts);
            return;
        }
        self.alerts_list.filter = rest;
        self.alerts_list.refilter(texts);
        self.alerts_list.filter = full;
        let alerts = &self.alerts;
        let keep = self.alerts_list.selected_index();
        self.alerts_list.view.retain(|i| {
            alerts
                .get(*i)
                .is_some_and(|a| crate::sources::matcher::all_match(&matchers, &a.labels))
        });
        let last = self.alerts_list.view.len().saturating_sub(1);
        self.alerts_list.selected = keep
            .and_then(|k| self.alerts_list.view.iter().position(|i| *i == k))
            .unwrap_or(self.alerts_list.selected.min(last));
    }

    pub fn refilter_timeline(&mut self) {
        self.timeline_list.refilter(&self.timeline_text);
    }

    pub fn refilter_flags(&mut self) {
        let texts: Vec<String> = self
            .flags
            .iter()
            .map(|f| format!("{} {} {}", f.name, f.provider, f.description))
            .collect();
        self.flags_list.refilter(&texts);
    }

    pub(crate) fn notify(&mut self, level: Level, text: impl Into<String>, now: DateTime<Utc>) {
        self.notice = Some(Notice {
            level,
            text: text.into(),
            at: now,
        });
    }

    /// The notice to show at `now`, if it has not expired.
    pub fn visible_notice(&self, now: DateTime<Utc>) -> Option<&Notice> {
        self.notice
            .as_ref()
            .filter(|n| n.level == Level::Error || now - n.at < Duration::seconds(NOTICE_SECS))
    }

    /// Times at which actions happened (for chart markers).
    pub fn action_marks(&self) -> &[(DateTime<Utc>, String)] {
        &self.marks
    }

    /// Each service mode and whether it is in force per the last flag
    /// read (None: its flag has not been seen yet).
    pub fn service_modes_now(&self) -> Vec<(&ServiceMode, Option<bool>)> {
        self.service_modes
            .iter()
            .map(|m| {
                let flag = self
                    .flags
                    .iter()
                    .find(|f| f.provider == m.provider && f.name == m.flag);
                (m, flag.map(|f| f.enabled == m.active_when))
            })
            .collect()
    }

    /// Status and severity helpers for choosers.
    pub fn current_status(&self) -> Status {
        self.incident
            .as_ref()
            .map_or(Status::Investigating, |i| i.status)
    }

    pub fn current_severity(&self) -> Severity {
        self.incident
            .as_ref()
            .map_or(self.settings.default_severity, |i| i.severity)
    }
}

/// What the timeline filter matches an entry against.
fn timeline_search_text(e: &Entry) -> String {
    format!("{} {} {}", e.event.category(), e.actor, e.event.describe())
}

/// A chart marker for a successful action (flag flip, rollback, release
/// step), if the entry is one.
fn action_mark(e: &Entry) -> Option<(DateTime<Utc>, String)> {
    match &e.event {
        Event::FlagChanged { flag, ok: true, .. } => Some((e.ts, flag.clone())),
        Event::StepFinished {
            step_kind,
            title,
            ok: true,
            ..
        } if step_kind == "release" => Some((e.ts, title.clone())),
        Event::ActionFinished {
            action, ok: true, ..
        } => Some((e.ts, action.clone())),
        _ => None,
    }
}
