//! Incident messages and keys: what the journal confirmed or refused,
//! exports, and the responder's own entries (declare, rename, note,
//! severity, status, impact start, export).

use chrono::{DateTime, Duration, Utc};

use super::super::timeparse::{backfill, parse_when};
use super::super::{playbooks, ChooseKind, Effect, Level, Mode, Pending, PromptKind, State};
use crate::action::Action;
use crate::domain::incident::{Severity, Status};
use crate::domain::{followups, Entry, Event};
use crate::sources::AlertState;
use crate::timeline::export::Format;

/// An entry is durable: fold it in, then run what waited for it.
pub(crate) fn on_recorded(state: &mut State, entry: Entry, then: Vec<Effect>) -> Vec<Effect> {
    let seen = |s: &State| s.incident.as_ref().and_then(|i| i.mitigated_observed);
    let before = seen(state);
    let now = entry.ts;
    state.apply_entry(entry);
    offer_mitigation(state, before, now);
    let mut then = then;
    if let (
        true,
        Some(
            Event::IncidentDeclared {
                id, demo: false, ..
            }
            | Event::TeamJoined { id, .. },
        ),
    ) = (
        state.team.configured,
        state.timeline.entries.last().map(|e| &e.event),
    ) {
        // Shared as soon as it is declared (or joined: the sync brings
        // everyone's entries).
        then.push(Effect::ShareIncident { id: id.clone() });
    }
    // Declared (or joined) here: ask what changed before it, for the
    // postmortem's trigger candidates, while the systems still say.
    if let Some(e) = state.timeline.entries.last().filter(|e| {
        matches!(
            e.event,
            Event::IncidentDeclared { .. } | Event::TeamJoined { .. }
        )
    }) {
        then.push(Effect::AskChanges {
            since: e.ts - Duration::hours(crate::domain::event::CHANGES_WINDOW_HOURS),
        });
    }
    state.timeline.appended();
    if state.timeline.unsaved.is_empty() {
        state.timeline.journal_error = None;
    }
    then
}

/// A system said what changed before the incident: recorded as it said
/// it (or why it could not be asked); nothing for one that keeps no
/// history.
pub(crate) fn on_changes_reported(
    state: &mut State,
    source: String,
    since: DateTime<Utc>,
    result: Result<Option<Vec<crate::domain::event::ReportedChange>>, String>,
) -> Vec<Effect> {
    if state.incident.is_none() {
        return Vec::new();
    }
    let (changes, error) = match result {
        Ok(None) => return Vec::new(),
        Ok(Some(c)) => (c, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    vec![State::record_system(Event::ChangesReported {
        source,
        since,
        changes,
        error,
    })]
}

/// The alerts resolved after a mitigation: say when firebreak thinks the
/// impact stopped, and how to correct it (no modal: a notice).
fn offer_mitigation(
    state: &mut State,
    before: Option<(DateTime<Utc>, crate::domain::incident::MitigatedFrom)>,
    now: DateTime<Utc>,
) {
    use crate::domain::incident::MitigatedFrom;
    let Some(inc) = &state.incident else {
        return;
    };
    let after = inc.mitigated_observed;
    let newly = matches!(after, Some((_, MitigatedFrom::Action)))
        && !matches!(before, Some((_, MitigatedFrom::Action)));
    if !newly || inc.mitigated_from == Some(MitigatedFrom::Recorded) {
        return;
    }
    let Some((at, _)) = after else {
        return;
    };
    let key = state
        .keymap
        .hint(Action::MarkMitigated)
        .unwrap_or_else(|| "the palette".into());
    state.notify(
        Level::Success,
        format!(
            "The alerts resolved: mitigated at {} (the first mitigation before it). {key} corrects it",
            at.format("%H:%M:%SZ")
        ),
        now,
    );
}

/// A write failed: keep the event, say so, and do not take the action.
pub(crate) fn on_record_failed(
    state: &mut State,
    actor: String,
    event: Event,
    error: String,
    then: Vec<Effect>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
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
                state.flags.in_flight.remove(flag);
            }
            Effect::Rollback => state.release.in_flight = false,
            Effect::PlaybookStep(_) => playbooks::not_recorded(state, fx),
            _ => {}
        }
    }
    state.timeline.journal_error = Some(error);
    state.timeline.unsaved.push((actor, event));
    Vec::new()
}

pub(crate) fn on_exported(
    state: &mut State,
    result: Result<(Format, std::path::PathBuf), String>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    match result {
        Ok((format, path)) => {
            let path = path.display().to_string();
            state.notify(
                Level::Success,
                format!("Exported {} to {path}", format_name(format)),
                now,
            );
            vec![state.record(Event::Exported {
                format: format_name(format).into(),
                path,
            })]
        }
        Err(e) => {
            state.notify(Level::Error, format!("Export failed: {e}"), now);
            Vec::new()
        }
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Markdown => "markdown",
        Format::Json => "json",
    }
}

/// Actions on the incident itself.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::AddNote => prompt_if_incident(state, PromptKind::Note, String::new(), now),
        Action::AddFollowUp => prompt_if_incident(state, PromptKind::FollowUp, String::new(), now),
        Action::TogglePin => return Some(toggle_pin(state, now)),
        Action::PinnedOnly => {
            let tl = &mut state.timeline;
            tl.pinned_only = !tl.pinned_only;
            let (only, n) = (tl.pinned_only, tl.pinned.len());
            state.refilter_timeline();
            let text = match (only, n) {
                (true, 0) => "Pinned only: nothing is pinned yet (select an entry, *)".to_string(),
                (true, n) => format!(
                    "Pinned only: {n} entr{} (P: everything)",
                    if n == 1 { "y" } else { "ies" }
                ),
                (false, _) => "Showing every entry".to_string(),
            };
            state.notify(Level::Info, text, now);
        }
        Action::RenameIncident => {
            let title = state
                .incident
                .as_ref()
                .map(|i| i.title.clone())
                .unwrap_or_default();
            prompt_if_incident(state, PromptKind::Rename, title, now);
        }
        Action::DeclareIncident => {
            if let Some(i) = state.incident.as_ref().filter(|i| i.is_open()) {
                let text = format!(
                    "\"{}\" is still open: resolve it first (S) or rename it (R)",
                    i.title
                );
                state.notify(Level::Warning, text, now);
            } else {
                state.prompt(PromptKind::Declare, String::new());
            }
        }
        // Offered filled in with what is known (a second impact start,
        // the mitigation and impact end firebreak saw), to confirm or
        // correct.
        Action::MarkImpactStart | Action::MarkMitigated | Action::MarkImpactEnd => {
            let inc = state.incident.as_ref();
            let (kind, known) = match action {
                Action::MarkImpactStart => {
                    (PromptKind::ImpactStart, inc.and_then(|i| i.impact_started))
                }
                Action::MarkMitigated => (PromptKind::Mitigated, inc.and_then(|i| i.mitigated_at)),
                _ => (
                    PromptKind::ImpactEnd,
                    inc.and_then(|i| i.impact_ended.map(|e| e.at)),
                ),
            };
            let known = known.map(|at| typed_time(at, now)).unwrap_or_default();
            prompt_if_incident(state, kind, known, now);
        }
        Action::SetSeverity => {
            if state.require_incident(now) {
                let cur = state.current_severity();
                state.mode = Mode::Choose {
                    kind: ChooseKind::Severity,
                    selected: Severity::ALL.iter().position(|s| *s == cur).unwrap_or(0),
                };
            }
        }
        Action::SetStatus => {
            if state.require_incident(now) {
                let cur = state.current_status();
                state.mode = Mode::Choose {
                    kind: ChooseKind::Status,
                    selected: Status::ALL.iter().position(|s| *s == cur).unwrap_or(0),
                };
            }
        }
        Action::ExportMarkdown | Action::ExportJson => {
            let Some(id) = state.incident.as_ref().map(|i| i.id.clone()) else {
                state.notify(Level::Warning, "Nothing to export: no incident yet", now);
                return Some(Vec::new());
            };
            let format = if action == Action::ExportMarkdown {
                Format::Markdown
            } else {
                Format::Json
            };
            return Some(vec![Effect::Export { format, id }]);
        }
        _ => return None,
    }
    Some(Vec::new())
}

fn prompt_if_incident(state: &mut State, kind: PromptKind, input: String, now: DateTime<Utc>) {
    if state.require_incident(now) {
        state.prompt(kind, input);
    }
}

pub(crate) fn declare(state: &State, title: String, now: DateTime<Utc>) -> Effect {
    state.record(Event::IncidentDeclared {
        id: crate::timeline::journal::new_incident_id(now),
        title,
        severity: state.settings.default_severity,
        demo: state.settings.demo,
    })
}

pub(crate) fn set_severity(state: &mut State, to: Severity, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.require_incident(now) {
        return Vec::new();
    }
    let from = state.current_severity();
    if from == to {
        state.notify(Level::Info, format!("Severity is already {to}"), now);
        return Vec::new();
    }
    vec![state.record(Event::SeverityChanged { from, to })]
}

pub(crate) fn set_status(state: &mut State, to: Status, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.require_incident(now) {
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
    vec![state.record(Event::StatusChanged { from, to })]
}

/// What is still going on, before an incident is declared resolved.
fn still_open(state: &State) -> Vec<String> {
    let mut open = Vec::new();
    let firing = state
        .alerts
        .items
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
    if let Some(h) = state.hyp.fold.active() {
        open.push(format!(
            "hypothesis {} has no outcome",
            h.label(&state.settings.responder)
        ));
    }
    open
}

/// The user confirmed resolving although things are open.
pub(crate) fn confirmed_resolve(state: &mut State) -> Vec<Effect> {
    let from = state.current_status();
    vec![state.record(Event::StatusChanged {
        from,
        to: Status::Resolved,
    })]
}

/// Retry journal writes that failed.
pub(crate) fn retry_unsaved(state: &mut State) -> Vec<Effect> {
    std::mem::take(&mut state.timeline.unsaved)
        .into_iter()
        .map(|(actor, event)| Effect::Record {
            actor,
            event,
            then: Vec::new(),
        })
        .collect()
}

pub(crate) fn submit(
    state: &mut State,
    kind: PromptKind,
    input: String,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let text = input.trim().to_string();
    match kind {
        PromptKind::Note => {
            if text.is_empty() {
                return Vec::new();
            }
            let (at, text) = match backfill(&text, now, state.settings.local_offset) {
                Some(Ok((at, rest))) => (Some(at), rest.to_string()),
                Some(Err(e)) => {
                    state.mode = Mode::Prompt {
                        kind,
                        input,
                        error: Some(e),
                    };
                    return Vec::new();
                }
                None => (None, text),
            };
            if let Some(at) = at {
                state.notify(
                    Level::Info,
                    format!(
                        "Note backfilled to {} (recorded {}): the timeline places it there",
                        at.format("%H:%M:%SZ"),
                        now.format("%H:%M:%SZ")
                    ),
                    now,
                );
            }
            vec![state.record(Event::Note { text, at })]
        }
        PromptKind::FollowUp => {
            let today = now.with_timezone(&state.settings.local_offset).date_naive();
            match followups::parse_typed(&text, today) {
                Ok(t) => {
                    let assumed = if t.kind_assumed {
                        " (start with mitigate: or process: for another kind)"
                    } else {
                        ""
                    };
                    state.notify(
                        Level::Info,
                        format!("Follow-up recorded as {}{assumed}", t.kind),
                        now,
                    );
                    vec![state.record(Event::FollowUpAdded {
                        kind: t.kind,
                        text: t.text,
                        owner: t.owner,
                        due: t.due,
                    })]
                }
                Err(e) => {
                    state.mode = Mode::Prompt {
                        kind,
                        input,
                        error: Some(e),
                    };
                    Vec::new()
                }
            }
        }
        PromptKind::Rename => {
            let same = state.incident.as_ref().is_some_and(|i| i.title == text);
            if text.is_empty() || same {
                return Vec::new();
            }
            vec![state.record(Event::TitleChanged { title: text })]
        }
        PromptKind::Declare => {
            if text.is_empty() {
                state.mode = Mode::Prompt {
                    kind,
                    input,
                    error: Some("A title, please: what is broken, for whom?".into()),
                };
                return Vec::new();
            }
            vec![declare(state, text, now)]
        }
        // The times the responder types: an empty answer is not "now"
        // (it asks again), nothing is in the future, and a correction
        // says what it replaces (the timeline keeps every answer, the
        // export the latest).
        PromptKind::ImpactStart => {
            let Some(at) = asked_time(
                state,
                kind,
                input,
                &text,
                now,
                "When did impact start? 14:02, -10m, 1h ago, or now (Esc cancels)",
                |_| Ok(()),
            ) else {
                return Vec::new();
            };
            let before = state.incident.as_ref().and_then(|i| i.impact_started);
            corrected(state, "Impact start", at, before.map(|b| (b, None)), now);
            vec![state.record(Event::ImpactStarted { at })]
        }
        PromptKind::Mitigated => {
            let Some(at) = asked_time(
                state,
                kind,
                input,
                &text,
                now,
                "When did the impact stop? 14:10, -5m, 10m ago, or now (Esc cancels)",
                |_| Ok(()),
            ) else {
                return Vec::new();
            };
            let before = state
                .incident
                .as_ref()
                .and_then(|i| i.mitigated_at.zip(i.mitigated_from))
                .map(|(b, from)| (b, Some(from.phrase())));
            corrected(state, "Mitigation time", at, before, now);
            vec![state.record(Event::MitigationMarked { at })]
        }
        PromptKind::ImpactEnd => {
            let start = state.incident.as_ref().and_then(|i| i.impact_started);
            let not_before_start = |at: DateTime<Utc>| match start {
                Some(s) if at < s => Err(format!(
                    "That is before the impact start ({})",
                    s.format("%H:%M:%SZ")
                )),
                _ => Ok(()),
            };
            let Some(at) = asked_time(
                state,
                kind,
                input,
                &text,
                now,
                "When did impact end? 14:20, -5m, 10m ago, or now (Esc cancels)",
                not_before_start,
            ) else {
                return Vec::new();
            };
            let before = state
                .incident
                .as_ref()
                .and_then(|i| i.impact_ended)
                .map(|e| (e.at, Some(e.source.phrase())));
            corrected(state, "Impact end", at, before, now);
            vec![state.record(Event::ImpactEnded { at })]
        }
        // Other prompts belong to other features (see keys.rs).
        _ => Vec::new(),
    }
}

/// Pin the selected timeline entry, or unpin it.
fn toggle_pin(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if state.focus != super::super::Pane::Timeline {
        state.notify(
            Level::Warning,
            "Pin what? Focus the timeline (3), select the entry, then *",
            now,
        );
        return Vec::new();
    }
    let tl = &state.timeline;
    let Some(e) = tl.list.selected_index().and_then(|i| tl.entries.get(i)) else {
        state.notify(Level::Warning, "No entry selected to pin", now);
        return Vec::new();
    };
    if matches!(e.event, Event::Pinned { .. }) || e.hash.is_empty() {
        state.notify(Level::Warning, "That entry cannot be pinned", now);
        return Vec::new();
    }
    let pinned = !tl.is_pinned(e);
    let what: String = e.event.describe().chars().take(160).collect();
    let entry = e.hash.clone();
    state.notify(
        Level::Info,
        if pinned {
            "Pinned: it goes into the postmortem's Highlights (P: pinned only)"
        } else {
            "Unpinned"
        },
        now,
    );
    vec![state.record(Event::Pinned {
        entry,
        pinned,
        what,
    })]
}

/// A time as the responder would type it back: `14:11:26Z` today (UTC),
/// else in full.
fn typed_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M:%SZ").to_string()
    } else {
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

/// Footer hints while the timeline has focus.
pub(crate) fn hints(_state: &State) -> Vec<Action> {
    vec![Action::Filter, Action::ExportMarkdown]
}

/// The time typed into a time prompt, or (the prompt stays open with the
/// reason) `None`: empty, unreadable, in the future, or refused by
/// `check`.
fn asked_time(
    state: &mut State,
    kind: PromptKind,
    input: String,
    text: &str,
    now: DateTime<Utc>,
    empty: &str,
    check: impl Fn(DateTime<Utc>) -> Result<(), String>,
) -> Option<DateTime<Utc>> {
    let answer = if text.is_empty() {
        Err(empty.to_string())
    } else {
        parse_when(text, now, state.settings.local_offset).and_then(|at| {
            if at > now {
                Err("That is in the future".to_string())
            } else {
                check(at).map(|()| at)
            }
        })
    };
    match answer {
        Ok(at) => Some(at),
        Err(e) => {
            state.mode = Mode::Prompt {
                kind,
                input,
                error: Some(e),
            };
            None
        }
    }
}

/// Say that `what` at `at` replaces the earlier value (and where that one
/// came from), if there was a different one.
fn corrected(
    state: &mut State,
    what: &str,
    at: DateTime<Utc>,
    before: Option<(DateTime<Utc>, Option<&'static str>)>,
    now: DateTime<Utc>,
) {
    let Some((before, from)) = before else {
        return;
    };
    // Times are typed to the second: the same second is a confirmation.
    if before.timestamp() == at.timestamp() {
        state.notify(
            Level::Info,
            format!("{what} confirmed: {}", at.format("%H:%M:%SZ")),
            now,
        );
        return;
    }
    let from = from.map(|f| format!(" ({f})")).unwrap_or_default();
    state.notify(
        Level::Info,
        format!(
            "{what} corrected: {} replaces {}{from}",
            at.format("%H:%M:%SZ"),
            before.format("%H:%M:%SZ")
        ),
        now,
    );
}
