//! `update`: the one place where state changes.

use chrono::{DateTime, Utc};

use super::health::Health;
use super::palette::{self, Command, PaletteState};
use super::{input, ChooseKind, Effect, Level, Mode, Msg, Pane, Pending, PromptKind, State};
use crate::action::Action;
use crate::domain::incident::{Severity, Status};
use crate::domain::Event;
use crate::domain::SYSTEM_ACTOR;
use crate::sources::poller::Polled;
use crate::sources::AlertState;

/// Apply one message; return the effects to run. Pure: no I/O, no clock.
pub fn update(state: &mut State, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => input::on_key(state, key, now),
        Msg::Resize(w, h) => {
            state.viewport = (w, h);
            Vec::new()
        }
        Msg::Tick => {
            let mut fx = super::hypotheses_update::on_tick(state, now);
            fx.extend(super::playbooks::on_tick(state, now));
            fx
        }
        Msg::Playbook(m) => super::playbooks::on_msg(state, m, now),
        Msg::Alerts(p) => on_alerts(state, p, now),
        Msg::Metrics(p) => {
            let mut fx = health_change(state, |s| &mut s.metrics_health, &p);
            if let Ok(panels) = p.result {
                state.panels = panels;
                // Query steps of playbook runs look at the new values.
                fx.extend(super::playbooks::on_tick(state, now));
            }
            fx
        }
        Msg::Flags(p) => {
            let fx = health_change(state, |s| &mut s.flags_health, &p);
            if let Ok(flags) = p.result {
                state.flags.retain(|f| f.provider != p.source);
                state.flags.extend(flags);
                state
                    .flags
                    .sort_by(|a, b| a.name.cmp(&b.name).then(a.provider.cmp(&b.provider)));
                state.refilter_flags();
            }
            fx
        }
        Msg::FlipDone {
            provider,
            flag,
            wanted,
            result,
        } => {
            state.flips_in_flight.remove(&flag);
            let event = match &result {
                Ok(o) => {
                    let text = if o.changed {
                        format!(
                            "Flag {flag} is now {} (verified by reading it back)",
                            on_off(o.after)
                        )
                    } else {
                        format!(
                            "Flag {flag} was already {}: nothing changed",
                            on_off(o.after)
                        )
                    };
                    state.notify(Level::Success, text, now);
                    Event::FlagChanged {
                        provider,
                        flag,
                        before: Some(o.before),
                        after: Some(o.after),
                        wanted,
                        ok: true,
                        detail: if o.changed {
                            String::new()
                        } else {
                            "no-op: already in that state".into()
                        },
                    }
                }
                Err(e) => {
                    state.notify(Level::Error, format!("Flag {flag}: {}", e.message), now);
                    Event::FlagChanged {
                        provider,
                        flag,
                        before: e.before,
                        after: e.after,
                        wanted,
                        ok: false,
                        detail: e.message.clone(),
                    }
                }
            };
            vec![
                record(state, event),
                Effect::RefreshFlags,
                Effect::RefreshAll,
            ]
        }
        Msg::Recorded { entry, then } => {
            state.apply_entry(entry);
            state.timeline_appended();
            if state.unsaved.is_empty() {
                state.journal_error = None;
            }
            then
        }
        Msg::RecordFailed {
            actor,
            event,
            error,
            then,
        } => {
            let not_taken = if then.is_empty() {
                ""
            } else {
                " The action was NOT taken."
            };
            state.notify(
                Level::Error,
                format!("NOT RECORDED: {error}.{not_taken} Kept in memory; r retries."),
                now,
            );
            // An action that was not recorded was not run: release its guard.
            for fx in &then {
                match fx {
                    Effect::FlipFlag { flag, .. } => {
                        state.flips_in_flight.remove(flag);
                    }
                    Effect::Rollback => state.rollback_in_flight = false,
                    Effect::PlaybookStep(_) => super::playbooks::not_recorded(state, fx),
                    _ => {}
                }
            }
            state.journal_error = Some(error);
            state.unsaved.push((actor, event));
            Vec::new()
        }
        Msg::Notice(level, text) => {
            state.notify(level, text, now);
            Vec::new()
        }
        Msg::Release(p) => {
            if let Ok(current) = p.result {
                state.release = Some((current, p.source));
            }
            Vec::new()
        }
        Msg::RollbackDone(result) => {
            state.rollback_in_flight = false;
            let (ok, detail) = match result {
                Ok(d) => {
                    state.notify(Level::Success, format!("Rollback: {d}"), now);
                    (true, d)
                }
                Err(e) => {
                    state.notify(Level::Error, format!("Rollback failed: {e}"), now);
                    (false, e)
                }
            };
            let ev = Event::ActionFinished {
                action: "rollback".into(),
                target: "last release".into(),
                ok,
                detail,
            };
            vec![record(state, ev), Effect::RefreshAll]
        }
        Msg::Exported(result) => match result {
            Ok((format, path)) => {
                let path = path.display().to_string();
                state.notify(
                    Level::Success,
                    format!("Exported {} to {path}", format_name(format)),
                    now,
                );
                vec![record(
                    state,
                    Event::Exported {
                        format: format_name(format).into(),
                        path,
                    },
                )]
            }
            Err(e) => {
                state.notify(Level::Error, format!("Export failed: {e}"), now);
                Vec::new()
            }
        },
        Msg::Silences(p) => {
            super::silences::on_silences(state, p);
            Vec::new()
        }
        Msg::SilenceDone {
            action,
            target,
            result,
        } => super::silences::done(state, action, target, result, now),
    }
}

/// Effects to run once at start: the demo declares its incident.
pub fn start(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if state.settings.demo && !state.incident_open() {
        let title = state
            .settings
            .demo_title
            .clone()
            .unwrap_or_else(|| "Demo incident".into());
        return vec![declare(state, title, now)];
    }
    Vec::new()
}

fn format_name(f: crate::timeline::export::Format) -> &'static str {
    match f {
        crate::timeline::export::Format::Markdown => "markdown",
        crate::timeline::export::Format::Json => "json",
    }
}

fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// Record `event` as the responder.
pub(super) fn record(state: &State, event: Event) -> Effect {
    Effect::Record {
        actor: state.settings.responder.clone(),
        event,
        then: Vec::new(),
    }
}

fn record_system(event: Event) -> Effect {
    Effect::Record {
        actor: SYSTEM_ACTOR.into(),
        event,
        then: Vec::new(),
    }
}

pub(super) fn declare(state: &State, title: String, now: DateTime<Utc>) -> Effect {
    record(
        state,
        Event::IncidentDeclared {
            id: crate::timeline::journal::new_incident_id(now),
            title,
            severity: state.settings.default_severity,
            demo: state.settings.demo,
        },
    )
}

/// Update a source's health; record it on the timeline when it changes.
fn health_change<T>(
    state: &mut State,
    pick: fn(&mut State) -> &mut Health,
    p: &Polled<T>,
) -> Vec<Effect> {
    let err = p.result.as_ref().err().cloned();
    let health = pick(state);
    let changed = health.record(p.at, p.took, err.clone());
    let name = format!("{} ({})", health.name, p.source);
    match changed {
        Some(healthy) if state.incident_open() => vec![record_system(Event::SourceHealth {
            source: name,
            healthy,
            detail: err.unwrap_or_default(),
        })],
        _ => Vec::new(),
    }
}

fn on_alerts(
    state: &mut State,
    p: Polled<Vec<crate::sources::Alert>>,
    _now: DateTime<Utc>,
) -> Vec<Effect> {
    let mut fx = health_change(state, |s| &mut s.alerts_health, &p);
    let Ok(mut alerts) = p.result else {
        // Keep the last known alerts; the pane marks them stale.
        return fx;
    };
    // Grouped (alertname+service by default), worst group first.
    super::silences::sort_grouped(&mut alerts, &state.alert_prefs.group_by);
    if state.incident_open() {
        for a in alerts.iter().filter(|a| a.state == AlertState::Active) {
            if !state.recorded_firing.contains_key(&a.fingerprint) {
                state
                    .recorded_firing
                    .insert(a.fingerprint.clone(), a.name().to_string());
                fx.push(record_system(Event::AlertFiring {
                    fingerprint: a.fingerprint.clone(),
                    name: a.name().to_string(),
                    severity: a.severity().to_string(),
                    summary: a.summary().to_string(),
                    labels: a.labels.clone(),
                    since: Some(a.starts_at),
                }));
            }
        }
        // Resolved = no longer reported. A silenced or inhibited alert is
        // still there (its silence is recorded below), not resolved.
        let present: std::collections::HashSet<&str> =
            alerts.iter().map(|a| a.fingerprint.as_str()).collect();
        let gone: Vec<(String, String)> = state
            .recorded_firing
            .iter()
            .filter(|(fp, _)| !present.contains(fp.as_str()))
            .map(|(fp, n)| (fp.clone(), n.clone()))
            .collect();
        for (fingerprint, name) in gone {
            state.recorded_firing.remove(&fingerprint);
            fx.push(record_system(Event::AlertResolved { fingerprint, name }));
        }
        fx.extend(super::silences::transitions(state, &alerts));
    }
    state.set_alerts(alerts);
    fx
}

/// Open or copy a link of an alert (`o`/`y`: runbook, else generator URL;
/// `O`/`Y`: generator URL). Only http(s) links are opened.
pub(super) fn alert_link(
    state: &mut State,
    fingerprint: &str,
    key: char,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(a) = state.alerts.iter().find(|a| a.fingerprint == fingerprint) else {
        return Vec::new();
    };
    let runbook = a
        .annotations
        .get("runbook_url")
        .or_else(|| a.annotations.get("runbook"))
        .cloned();
    let generator = a.generator_url.clone();
    let url = match key {
        'o' | 'y' => runbook.or(generator),
        _ => generator,
    };
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        state.notify(Level::Info, "This alert has no such link", now);
        return Vec::new();
    };
    if key == 'y' || key == 'Y' {
        state.notify(
            Level::Success,
            format!("Copied to the clipboard: {url}"),
            now,
        );
        return vec![Effect::Copy(url)];
    }
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        state.notify(
            Level::Warning,
            format!("Not opening {url}: only http(s) links are opened (y copies it)"),
            now,
        );
        return Vec::new();
    }
    state.notify(Level::Info, format!("Opening {url}"), now);
    vec![Effect::OpenUrl(url)]
}

/// Carry out a user action.
pub(super) fn on_action(state: &mut State, action: Action, now: DateTime<Utc>) -> Vec<Effect> {
    if state.focus == Pane::Playbooks {
        if let Some(fx) = super::playbooks::on_action(state, action, now) {
            return fx;
        }
    }
    let page = 10;
    match action {
        Action::Quit => {
            if state.incident_open() {
                let status = state.current_status();
                state.mode = Mode::Confirm {
                    question: format!(
                        "The incident is still open ({status}). Quit anyway? It is saved; firebreak resumes it next time."
                    ),
                    pending: Pending::Quit,
                };
                Vec::new()
            } else {
                state.quit = true;
                vec![Effect::Quit]
            }
        }
        Action::ToggleHelp => {
            state.mode = Mode::Help { scroll: 0 };
            Vec::new()
        }
        Action::OpenPalette => {
            state.mode = Mode::Palette(PaletteState::open(palette::items(state)));
            Vec::new()
        }
        Action::Filter => {
            if state.focus == Pane::Metrics {
                state.focus = Pane::Alerts;
            }
            let input = state
                .list(state.focus)
                .map(|l| l.filter.clone())
                .unwrap_or_default();
            state.mode = Mode::Prompt {
                kind: PromptKind::Filter(state.focus),
                input,
                error: None,
            };
            Vec::new()
        }
        Action::NextPane | Action::PrevPane => {
            let n = Pane::ORDER.len();
            let i = Pane::ORDER
                .iter()
                .position(|p| *p == state.focus)
                .unwrap_or(0);
            let next = if action == Action::NextPane {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            state.focus = Pane::ORDER[next];
            Vec::new()
        }
        Action::FocusAlerts => focus(state, Pane::Alerts),
        Action::FocusMetrics => focus(state, Pane::Metrics),
        Action::FocusTimeline => focus(state, Pane::Timeline),
        Action::FocusSide => focus(state, Pane::Flags),
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            let delta = match action {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -page,
                _ => page,
            };
            if let Some(l) = state.list_mut(state.focus) {
                l.move_by(delta);
            }
            Vec::new()
        }
        Action::Top => {
            if let Some(l) = state.list_mut(state.focus) {
                l.top();
            }
            Vec::new()
        }
        Action::Bottom => {
            if let Some(l) = state.list_mut(state.focus) {
                l.bottom();
            }
            Vec::new()
        }
        Action::Select => match state.focus {
            Pane::Alerts => {
                if let Some(a) = state.selected_alert() {
                    state.mode = Mode::AlertDetail {
                        fingerprint: a.fingerprint.clone(),
                        scroll: 0,
                    };
                }
                Vec::new()
            }
            Pane::Flags => flag_action(state, None, now),
            _ => Vec::new(),
        },
        Action::Back => {
            let pane = state.focus;
            if let Some(l) = state.list_mut(pane) {
                if !l.filter.is_empty() {
                    l.filter.clear();
                    refilter(state, pane);
                }
            }
            Vec::new()
        }
        Action::AddNote => prompt_if_incident(state, PromptKind::Note, String::new(), now),
        Action::RenameIncident => {
            let title = state
                .incident
                .as_ref()
                .map(|i| i.title.clone())
                .unwrap_or_default();
            prompt_if_incident(state, PromptKind::Rename, title, now)
        }
        Action::DeclareIncident => {
            if let Some(i) = state.incident.as_ref().filter(|i| i.is_open()) {
                let text = format!(
                    "\"{}\" is still open: resolve it first (S) or rename it (R)",
                    i.title
                );
                state.notify(Level::Warning, text, now);
            } else {
                state.mode = Mode::Prompt {
                    kind: PromptKind::Declare,
                    input: String::new(),
                    error: None,
                };
            }
            Vec::new()
        }
        Action::MarkImpactStart => {
            prompt_if_incident(state, PromptKind::ImpactStart, String::new(), now)
        }
        Action::SetSeverity => {
            if require_incident(state, now) {
                let cur = state.current_severity();
                state.mode = Mode::Choose {
                    kind: ChooseKind::Severity,
                    selected: Severity::ALL.iter().position(|s| *s == cur).unwrap_or(0),
                };
            }
            Vec::new()
        }
        Action::SetStatus => {
            if require_incident(state, now) {
                let cur = state.current_status();
                state.mode = Mode::Choose {
                    kind: ChooseKind::Status,
                    selected: Status::ALL.iter().position(|s| *s == cur).unwrap_or(0),
                };
            }
            Vec::new()
        }
        Action::ToggleFlag => flag_action(state, None, now),
        Action::FlagOff => flag_action(state, Some(false), now),
        Action::FlagOn => flag_action(state, Some(true), now),
        Action::Rollback => {
            if !state.settings.can_rollback {
                state.notify(
                    Level::Warning,
                    "No rollback is configured here: use your deploy tool, then add a note",
                    now,
                );
            } else if state.rollback_in_flight {
                state.notify(Level::Info, "A rollback is already running", now);
            } else if require_incident(state, now) {
                state.mode = Mode::Confirm {
                    question: match &state.release {
                        Some((current, via)) => format!(
                            "Roll back {current} to the previous release (via {via})?"
                        ),
                        None => "Roll back the last release? (the deploy system reverts to the previous version)".into(),
                    },
                    pending: Pending::Rollback,
                };
            }
            Vec::new()
        }
        Action::Refresh => {
            let mut fx = vec![Effect::RefreshAll];
            fx.extend(retry_unsaved(state));
            state.notify(Level::Info, "Refreshing all sources", now);
            fx
        }
        Action::CycleWindow => {
            state.window = (state.window + 1) % super::WINDOWS.len();
            vec![Effect::SetWindow(state.window_duration())]
        }
        Action::ExportMarkdown | Action::ExportJson => {
            if state.incident.is_none() {
                state.notify(Level::Warning, "Nothing to export: no incident yet", now);
                return Vec::new();
            }
            let f = if action == Action::ExportMarkdown {
                crate::timeline::export::Format::Markdown
            } else {
                crate::timeline::export::Format::Json
            };
            let id = state
                .incident
                .as_ref()
                .map(|i| i.id.clone())
                .unwrap_or_default();
            vec![Effect::Export { format: f, id }]
        }
        Action::SilenceAlert => super::silences::silence_action(state, now),
        Action::AckAlert => super::silences::ack_action(state, now),
        Action::ExpireSilence => super::silences::expire_action(state, now),
        Action::FocusPlaybooks
        | Action::OpenPlaybook
        | Action::FailStep
        | Action::SkipStep
        | Action::RerunStep => super::playbooks::on_global_action(state, action, now),
        Action::Hypothesis => super::hypotheses_update::on_hypothesis_key(state, now),
        Action::SystematicPath => super::hypotheses_update::on_systematic_key(state, now),
        Action::CycleTheme => {
            let themes = &state.settings.themes;
            if !themes.is_empty() {
                let i = themes
                    .iter()
                    .position(|t| *t == state.theme_name)
                    .map_or(0, |i| (i + 1) % themes.len());
                state.theme_name = themes[i].clone();
                let text = format!("Theme: {}", state.theme_name);
                state.notify(Level::Info, text, now);
            }
            Vec::new()
        }
    }
}

fn focus(state: &mut State, pane: Pane) -> Vec<Effect> {
    state.focus = pane;
    Vec::new()
}

pub(super) fn refilter(state: &mut State, pane: Pane) {
    match pane {
        Pane::Alerts => state.refilter_alerts(),
        Pane::Timeline => state.refilter_timeline(),
        Pane::Flags => state.refilter_flags(),
        Pane::Playbooks => state.playbooks.refilter(),
        Pane::Metrics => {}
    }
}

pub(super) fn require_incident(state: &mut State, now: DateTime<Utc>) -> bool {
    if state.incident.is_some() {
        return true;
    }
    let key = state
        .keymap
        .hint(Action::DeclareIncident)
        .unwrap_or_else(|| "D".into());
    state.notify(
        Level::Warning,
        format!("No incident yet: declare one first ({key})"),
        now,
    );
    false
}

fn prompt_if_incident(
    state: &mut State,
    kind: PromptKind,
    input: String,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if require_incident(state, now) {
        state.mode = Mode::Prompt {
            kind,
            input,
            error: None,
        };
    }
    Vec::new()
}

/// Ask to flip the selected flag (toggle when `wanted` is None).
pub(super) fn flag_action(
    state: &mut State,
    wanted: Option<bool>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    if state.focus != Pane::Flags {
        state.focus = Pane::Flags;
        state.notify(
            Level::Info,
            "Pick a flag in the flags pane, then press the key again",
            now,
        );
        return Vec::new();
    }
    let Some(flag) = state.selected_flag().cloned() else {
        state.notify(Level::Info, "No flag selected", now);
        return Vec::new();
    };
    if state.flips_in_flight.contains(&flag.name) {
        let text = format!(
            "{} is already being changed; wait for the result",
            flag.name
        );
        state.notify(Level::Info, text, now);
        return Vec::new();
    }
    let wanted = wanted.unwrap_or(!flag.enabled);
    if flag.enabled == wanted {
        let text = format!("{} is already {}: nothing to do", flag.name, on_off(wanted));
        state.notify(Level::Info, text, now);
        return Vec::new();
    }
    if !require_incident(state, now) {
        return Vec::new();
    }
    let env = flag
        .env
        .as_deref()
        .map(|e| format!(" in {e}"))
        .unwrap_or_default();
    state.mode = Mode::Confirm {
        question: format!(
            "Turn flag {} {} (now {}){env} via {}?",
            flag.name,
            on_off(wanted).to_uppercase(),
            on_off(flag.enabled),
            flag.provider
        ),
        pending: Pending::FlipFlag {
            provider: flag.provider.clone(),
            flag: flag.name.clone(),
            wanted,
        },
    };
    Vec::new()
}

/// The user said yes.
pub(super) fn confirmed(state: &mut State, pending: Pending, now: DateTime<Utc>) -> Vec<Effect> {
    match pending {
        Pending::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Pending::PlaybookStep { run_id, step } => {
            super::playbooks::confirmed(state, &run_id, step, now)
        }
        Pending::Resolve => {
            let from = state.current_status();
            vec![record(
                state,
                Event::StatusChanged {
                    from,
                    to: Status::Resolved,
                },
            )]
        }
        Pending::QuickOverride => super::hypotheses_update::confirmed_override(state),
        Pending::Systematic => super::hypotheses_update::confirmed_systematic(state),
        Pending::FlipFlag {
            provider,
            flag,
            wanted,
        } => {
            if !state.flips_in_flight.insert(flag.clone()) {
                return Vec::new();
            }
            state.notify(
                Level::Info,
                format!("Turning {flag} {}...", on_off(wanted)),
                now,
            );
            vec![Effect::Record {
                actor: state.settings.responder.clone(),
                event: Event::ActionStarted {
                    action: format!("flag {}", on_off(wanted)),
                    target: flag.clone(),
                    detail: format!("via {provider}"),
                },
                then: vec![Effect::FlipFlag {
                    provider,
                    flag,
                    wanted,
                }],
            }]
        }
        Pending::Rollback => {
            if state.rollback_in_flight {
                return Vec::new();
            }
            state.rollback_in_flight = true;
            state.notify(Level::Info, "Rolling back...", now);
            vec![Effect::Record {
                actor: state.settings.responder.clone(),
                event: Event::ActionStarted {
                    action: "rollback".into(),
                    target: "last release".into(),
                    detail: String::new(),
                },
                then: vec![Effect::Rollback],
            }]
        }
        p @ (Pending::Silence { .. } | Pending::ExpireSilence { .. }) => {
            super::silences::confirmed(state, p, now)
        }
    }
}

/// Retry journal writes that failed.
fn retry_unsaved(state: &mut State) -> Vec<Effect> {
    std::mem::take(&mut state.unsaved)
        .into_iter()
        .map(|(actor, event)| Effect::Record {
            actor,
            event,
            then: Vec::new(),
        })
        .collect()
}

/// Run a palette command.
pub(super) fn run_command(state: &mut State, cmd: Command, now: DateTime<Utc>) -> Vec<Effect> {
    match cmd {
        Command::Action(a) => {
            // Chosen explicitly: flag actions apply to the flag selected
            // in the flags pane, whatever pane had focus.
            if matches!(a, Action::ToggleFlag | Action::FlagOff | Action::FlagOn)
                && state.selected_flag().is_some()
            {
                state.focus = Pane::Flags;
            }
            on_action(state, a, now)
        }
        Command::SetSeverity(s) => set_severity(state, s, now),
        Command::SetStatus(s) => set_status(state, s, now),
        Command::Alert(fp) => {
            state.focus = Pane::Alerts;
            state.alerts_list.filter.clear();
            state.refilter_alerts();
            if let Some(pos) = state
                .alerts_list
                .view
                .iter()
                .position(|i| state.alerts.get(*i).is_some_and(|a| a.fingerprint == fp))
            {
                state.alerts_list.selected = pos;
                state.alerts_list.follow = false;
                state.mode = Mode::AlertDetail {
                    fingerprint: fp,
                    scroll: 0,
                };
            }
            Vec::new()
        }
        Command::Playbook(name) => {
            let fp = state
                .selected_alert()
                .filter(|a| {
                    state
                        .playbooks
                        .get(&name)
                        .is_some_and(|p| p.applies(&a.labels))
                })
                .map(|a| a.fingerprint.clone());
            super::playbooks::start_playbook(state, &name, fp.as_deref(), now)
        }
        Command::PlaybookRun(id) => super::playbooks::open_from_palette(state, &id),
        Command::Flag(name) => {
            state.focus = Pane::Flags;
            state.flags_list.filter.clear();
            state.refilter_flags();
            if let Some(pos) = state
                .flags_list
                .view
                .iter()
                .position(|i| state.flags.get(*i).is_some_and(|f| f.name == name))
            {
                state.flags_list.selected = pos;
                state.flags_list.follow = false;
                return flag_action(state, None, now);
            }
            Vec::new()
        }
    }
}

pub(super) fn set_severity(state: &mut State, to: Severity, now: DateTime<Utc>) -> Vec<Effect> {
    if !require_incident(state, now) {
        return Vec::new();
    }
    let from = state.current_severity();
    if from == to {
        state.notify(Level::Info, format!("Severity is already {to}"), now);
        return Vec::new();
    }
    vec![record(state, Event::SeverityChanged { from, to })]
}

pub(super) fn set_status(state: &mut State, to: Status, now: DateTime<Utc>) -> Vec<Effect> {
    if !require_incident(state, now) {
        return Vec::new();
    }
    let from = state.current_status();
    if from == to {
        state.notify(Level::Info, format!("Status is already {to}"), now);
        return Vec::new();
    }
    if to == Status::Resolved {
        let open = still_open(state);
        if !open.is_empty() {
            state.mode = Mode::Confirm {
                question: format!("Resolve the incident although {}?", open.join("; ")),
                pending: Pending::Resolve,
            };
            return Vec::new();
        }
    }
    vec![record(state, Event::StatusChanged { from, to })]
}

/// What is still going on, before an incident is declared resolved.
fn still_open(state: &State) -> Vec<String> {
    let mut open = Vec::new();
    let firing = state
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Active && a.severity_rank() < 2)
        .count();
    if firing > 0 {
        open.push(format!("{firing} critical/warning alert(s) still firing"));
    }
    let runs = state
        .playbooks
        .runs
        .iter()
        .filter(|r| r.is_active())
        .count();
    if runs > 0 {
        open.push(format!("{runs} playbook run(s) unfinished"));
    }
    if let Some(h) = state.hyp.active() {
        open.push(format!("hypothesis H{} has no outcome", h.id));
    }
    open
}
