//! The input router: a key goes to the input mode that has it, is turned
//! into an [`Action`] by that mode's keymap layer, and the action goes to
//! the feature that owns it; so do confirmations, palette commands and
//! the footer's hints. Only text entry (typed characters,
//! backspace), the digits of choosers and the yes/no of confirmations
//! are fixed here; every other key is in the keymap.
//!
//! Why one file of this length: every input mode's keys, the action owners,
//! confirmations and hints are the one path a key takes; read together.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{
    access, alerts, approvals, flags, hypotheses, incident, metrics, palette, playbooks, release,
    roles, rules, screen, silences, team, updates, ChooseKind, Effect, Level, Mode, Pending,
    PromptKind, State, MIN_HEIGHT, MIN_WIDTH,
};
use crate::action::Action;
use crate::config::keymap::Layer;
use crate::domain::incident::{Severity, Status};

pub(super) fn on_key(state: &mut State, key: KeyEvent, now: DateTime<Utc>) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    // A notice belongs to what just happened: the next key retires it
    // (errors stay until replaced).
    if let Some(n) = &state.notice {
        if n.level != Level::Error && now - n.at > chrono::Duration::milliseconds(1500) {
            state.notice = None;
            state.redraw = true;
        }
    }
    // A screen too small to show what is going on must not act blindly:
    // only quitting works (the quit confirmation is still drawn).
    let (w, h) = state.viewport;
    if w < MIN_WIDTH || h < MIN_HEIGHT {
        let quit = state.keymap.action_for(&key) == Some(Action::Quit)
            || matches!(
                state.mode,
                Mode::Confirm {
                    pending: Pending::Quit,
                    ..
                }
            );
        if !quit {
            return Vec::new();
        }
    }
    // A key right behind the one that opened a confirmation is not an
    // answer to it (a burst of keys, a paste arriving as keys).
    let confirming = matches!(state.mode, Mode::Confirm { .. } | Mode::TypedConfirm { .. });
    if let Some(since) = state.confirm_since.filter(|_| confirming) {
        if now - since < chrono::Duration::milliseconds(super::CONFIRM_GUARD_MS) {
            state.notify(
                Level::Warning,
                "That key came before the question could be read: ignored. Read it, then answer",
                now,
            );
            state.redraw = true;
            return Vec::new();
        }
    }
    let layer = layer_of(state);
    let action = layer.and_then(|l| state.keymap.action_in(l, &key));
    // An unbound key in normal mode changes nothing: no frame is drawn
    // for it. Every other key may change what is visible.
    if state.mode == Mode::Normal && action.is_none() {
        return Vec::new();
    }
    state.redraw = true;
    let mode = std::mem::replace(&mut state.mode, Mode::Normal);
    match mode {
        Mode::Normal => match action {
            Some(a) => on_action(state, a, now),
            None => Vec::new(),
        },
        Mode::Help { scroll } => {
            screen::on_help_key(state, scroll, action);
            Vec::new()
        }
        Mode::AlertDetail {
            fingerprint,
            scroll,
        } => alerts::on_detail_key(state, fingerprint, scroll, action, now),
        Mode::PlaybookForm(form) => playbooks::on_form_key(state, form, action, &key, now),
        Mode::UpdateEditor => updates::on_editor_key(state, action, &key, now),
        Mode::TypedConfirm {
            question,
            expect,
            input,
            pending,
            error,
        } => on_typed_key(
            state,
            (question, expect, input, pending, error),
            action,
            &key,
            now,
        ),
        Mode::Confirm { question, pending } => match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                confirmed(state, pending, now)
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                Vec::new()
            }
            _ => {
                // Anything else: keep asking (a stray key never confirms).
                state.mode = Mode::Confirm { question, pending };
                Vec::new()
            }
        },
        Mode::Choose { kind, selected } => on_chooser_key(state, kind, selected, action, &key, now),
        Mode::Palette(p) => match palette::on_key(state, p, action, &key) {
            Some(cmd) => run_command(state, cmd, now),
            None => Vec::new(),
        },
        Mode::Prompt { kind, input, error } => {
            on_prompt_key(state, kind, input, error, action, &key, now)
        }
    }
}

/// Pasted text (bracketed paste). In a text field it is inserted as one
/// line: newlines, tabs and other control characters become spaces (so a
/// pasted escape sequence cannot reach the terminal or the journal as
/// one). It never submits, confirms or triggers a binding; outside a text
/// field it is ignored, and the notice says so.
pub(super) fn on_paste(state: &mut State, text: &str, now: DateTime<Utc>) -> Vec<Effect> {
    // The status update editor takes lines (and drops control sequences).
    if state.mode == Mode::UpdateEditor {
        updates::on_paste(state, text, now);
        return Vec::new();
    }
    let clean = paste_text(text);
    let field: Option<&mut String> = match &mut state.mode {
        Mode::Prompt { input, error, .. } | Mode::TypedConfirm { input, error, .. } => {
            *error = None;
            Some(input)
        }
        Mode::Palette(p) => Some(&mut p.query),
        Mode::PlaybookForm(form) => {
            form.error = None;
            let i = form.selected;
            form.fields.get_mut(i).map(|(_, v)| v)
        }
        _ => None,
    };
    let Some(field) = field else {
        let key = state
            .keymap
            .hint(Action::AddNote)
            .unwrap_or_else(|| "n".into());
        state.notify(
            Level::Warning,
            format!("Pasted text ignored: a paste never acts. Open a prompt first (a note: {key})"),
            now,
        );
        return Vec::new();
    };
    let room = MAX_FIELD.saturating_sub(field.chars().count());
    field.extend(clean.chars().take(room));
    let truncated = clean.chars().count() > room;
    match &mut state.mode {
        Mode::Palette(p) => p.research(),
        Mode::Prompt {
            kind: PromptKind::Filter(pane),
            input,
            ..
        } => {
            let (pane, filter) = (*pane, input.clone());
            if let Some(l) = state.list_mut(pane) {
                l.filter = filter;
            }
            state.refilter(pane);
        }
        _ => {}
    }
    if truncated {
        state.notify(
            Level::Warning,
            format!("Pasted text cut at {MAX_FIELD} characters"),
            now,
        );
    }
    Vec::new()
}

/// The longest text a field takes.
const MAX_FIELD: usize = 2000;

/// Pasted text as one line of printable characters.
fn paste_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_control() {
            // One space for a run of line breaks, tabs and controls.
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The keymap layer of the current mode (None: fixed keys only).
pub(crate) fn layer_of(state: &State) -> Option<Layer> {
    Some(match &state.mode {
        Mode::Normal if playbooks::run_view_shown(state) => Layer::PlaybookRun,
        Mode::Normal => Layer::Normal,
        Mode::Help { .. } => Layer::Help,
        Mode::AlertDetail { .. } => Layer::AlertDetails,
        Mode::PlaybookForm(_) => Layer::Form,
        Mode::UpdateEditor => Layer::Editor,
        Mode::Prompt { .. } | Mode::TypedConfirm { .. } => Layer::Prompt,
        Mode::Choose { .. } => Layer::Chooser,
        Mode::Palette(_) => Layer::Palette,
        Mode::Confirm { .. } => return None,
    })
}

fn on_chooser_key(
    state: &mut State,
    kind: ChooseKind,
    selected: usize,
    action: Option<Action>,
    key: &KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let n = match &kind {
        ChooseKind::Severity => Severity::ALL.len(),
        ChooseKind::Status => Status::ALL.len(),
        ChooseKind::Outcome => hypotheses::outcome_rows(state).len(),
        ChooseKind::Playbook { names, .. } => names.len(),
        ChooseKind::Role { choices } => choices.len(),
        ChooseKind::Approval { choices } => choices.len(),
        ChooseKind::Join { choices } => choices.len(),
        ChooseKind::AboutToFire { choices } => choices.len(),
    };
    let pick = |i: usize, state: &mut State| match &kind {
        ChooseKind::Severity => incident::set_severity(state, Severity::ALL[i], now),
        ChooseKind::Status => incident::set_status(state, Status::ALL[i], now),
        ChooseKind::Outcome => hypotheses::chose_outcome(state, i),
        ChooseKind::Playbook { fingerprint, names } => match names.get(i) {
            Some(name) => playbooks::start_playbook(state, name, Some(fingerprint), now),
            None => Vec::new(),
        },
        ChooseKind::Role { choices } => match choices.get(i) {
            Some(c) => roles::chose(state, c, now),
            None => Vec::new(),
        },
        ChooseKind::Approval { choices } => match choices.get(i) {
            Some(c) => approvals::chose(state, c, now),
            None => Vec::new(),
        },
        ChooseKind::Join { choices } => match choices.get(i) {
            Some(j) => team::chose_join(state, j, now),
            None => Vec::new(),
        },
        ChooseKind::AboutToFire { choices } => match choices.get(i) {
            Some(p) => rules::chose(state, p, now),
            None => Vec::new(),
        },
    };
    // Digits pick directly (fixed: they are the numbers on screen).
    if let KeyCode::Char(c) = key.code {
        if let Some(d) = c.to_digit(10).filter(|d| (1..=n as u32).contains(d)) {
            return pick(d as usize - 1, state);
        }
    }
    let selected = match action {
        Some(Action::Cancel) => return Vec::new(),
        Some(Action::Submit) => return pick(selected.min(n.saturating_sub(1)), state),
        Some(Action::Up) => selected.saturating_sub(1),
        Some(Action::Down) => (selected + 1).min(n.saturating_sub(1)),
        _ => selected,
    };
    state.mode = Mode::Choose { kind, selected };
    Vec::new()
}

fn on_prompt_key(
    state: &mut State,
    kind: PromptKind,
    mut input: String,
    error: Option<String>,
    action: Option<Action>,
    key: &KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    match action {
        Some(Action::Cancel) => {
            if let PromptKind::Filter(pane) = kind {
                if let Some(l) = state.list_mut(pane) {
                    l.filter.clear();
                }
                state.refilter(pane);
            }
            Vec::new()
        }
        Some(Action::Submit) => submit(state, kind, input, now),
        _ => {
            let changed = edit(&mut input, action, key);
            if changed {
                if let PromptKind::Filter(pane) = kind {
                    if let Some(l) = state.list_mut(pane) {
                        l.filter = input.clone();
                    }
                    state.refilter(pane);
                }
            }
            state.mode = Mode::Prompt {
                kind,
                input,
                error: if changed { None } else { error },
            };
            Vec::new()
        }
    }
}

/// A prompt's text is complete: the feature that asked gets it.
fn submit(state: &mut State, kind: PromptKind, input: String, now: DateTime<Utc>) -> Vec<Effect> {
    match kind {
        PromptKind::Filter(_) => Vec::new(),
        PromptKind::Silence => silences::submit(state, input, now),
        PromptKind::HypothesisText
        | PromptKind::HypothesisAction
        | PromptKind::HypothesisBox
        | PromptKind::HypothesisExtend
        | PromptKind::HypothesisLearned
        | PromptKind::OverrideReason => hypotheses::submit(state, kind, input, now),
        PromptKind::Note
        | PromptKind::FollowUp
        | PromptKind::Rename
        | PromptKind::Declare
        | PromptKind::ImpactStart
        | PromptKind::ImpactEnd
        | PromptKind::Mitigated => incident::submit(state, kind, input, now),
    }
}

/// Line editing: the keymap's `clear_line` / `delete_word`, then typed
/// characters and backspace. Returns true when the text changed.
pub(crate) fn edit(text: &mut String, action: Option<Action>, key: &KeyEvent) -> bool {
    match action {
        Some(Action::ClearLine) => {
            let changed = !text.is_empty();
            text.clear();
            return changed;
        }
        Some(Action::DeleteWord) => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed]
                .rfind(char::is_whitespace)
                .map_or(0, |i| i + 1);
            let changed = cut != text.len();
            text.truncate(cut);
            return changed;
        }
        _ => {}
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(_) if ctrl || alt => false,
        KeyCode::Char(c) => {
            if text.chars().count() < MAX_FIELD {
                text.push(c);
            }
            true
        }
        KeyCode::Backspace => text.pop().is_some(),
        _ => false,
    }
}

/// Keys of a typed confirmation: the target's name must be typed exactly.
fn on_typed_key(
    state: &mut State,
    (question, expect, mut input, pending, error): (
        String,
        String,
        String,
        Pending,
        Option<String>,
    ),
    action: Option<Action>,
    key: &KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    match action {
        Some(Action::Cancel) => {
            state.notify(Level::Info, "Not confirmed: nothing was done", now);
            Vec::new()
        }
        Some(Action::Submit) if input.trim() == expect => confirmed(state, pending, now),
        Some(Action::Submit) => {
            state.mode = Mode::TypedConfirm {
                question,
                error: Some(format!(
                    "That is not `{expect}`: type it exactly, or Esc to cancel"
                )),
                expect,
                input,
                pending,
            };
            Vec::new()
        }
        _ => {
            let changed = edit(&mut input, action, key);
            state.mode = Mode::TypedConfirm {
                question,
                expect,
                input,
                pending,
                error: if changed { None } else { error },
            };
            Vec::new()
        }
    }
}

/// A feature's handler for the actions it owns: `None` when the action
/// is not its own.
type ActionHandler = fn(&mut State, Action, DateTime<Utc>) -> Option<Vec<Effect>>;

/// Who owns an action, in order: the playbooks pane first when it has
/// focus (its run view rebinds select, back and the step keys), then
/// each feature.
const OWNERS: &[ActionHandler] = &[
    // Read-only refuses what would write, before anything changes.
    access::on_action,
    playbooks::on_action,
    // Before screen: up/down move between the chart markers there.
    metrics::on_action,
    screen::on_action,
    incident::on_action,
    alerts::on_action,
    silences::on_action,
    rules::on_action,
    flags::on_action,
    release::on_action,
    hypotheses::on_action,
    roles::on_action,
    approvals::on_action,
    team::on_action,
    updates::on_action,
];

/// Carry out a user action.
pub(crate) fn on_action(state: &mut State, action: Action, now: DateTime<Utc>) -> Vec<Effect> {
    OWNERS
        .iter()
        .find_map(|owner| owner(state, action, now))
        .unwrap_or_default()
}

/// The user said yes: the feature that asked carries it out.
pub(crate) fn confirmed(state: &mut State, pending: Pending, now: DateTime<Utc>) -> Vec<Effect> {
    match pending {
        Pending::Quit => screen::confirmed_quit(state),
        Pending::PlaybookStep { run_id, step } => playbooks::confirmed(state, &run_id, step, now),
        Pending::Resolve => incident::confirmed_resolve(state),
        Pending::QuickOverride => hypotheses::confirmed_override(state),
        Pending::Systematic => hypotheses::confirmed_systematic(state),
        Pending::FlipFlag {
            provider,
            flag,
            wanted,
        } => flags::confirmed_flip(state, provider, flag, wanted, now),
        Pending::Rollback => release::confirmed_rollback(state, now),
        Pending::Role { role, from, to } => roles::confirmed(state, role, from, to),
        Pending::Approve { id } => approvals::confirmed(state, &id, now),
        Pending::Leave => team::confirmed_leave(state),
        Pending::ResendUpdate { id } => updates::confirmed_resend(state, &id, now),
        Pending::BreakGlass { id } => {
            match approvals::confirmed_break_glass(state, &id) {
                Some((record, then)) => {
                    let mut fx = vec![record];
                    fx.extend(carry_out(state, then, now));
                    fx
                }
                None => {
                    state.notify(
                    Level::Warning,
                    format!("{id} was asked before firebreak restarted: start the action again, then A"),
                    now,
                );
                    Vec::new()
                }
            }
        }
        p @ (Pending::Silence { .. } | Pending::ExpireSilence { .. }) => {
            silences::confirmed(state, p, now)
        }
    }
}

/// An action that waited for its approval (or goes ahead alone): the
/// feature that asked carries it out, as on its confirmation.
pub(crate) fn carry_out(
    state: &mut State,
    then: approvals::Then,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    match then {
        approvals::Then::Rollback => release::confirmed_rollback(state, now),
        approvals::Then::Flip {
            provider,
            flag,
            wanted,
        } => flags::confirmed_flip(state, provider, flag, wanted, now),
        approvals::Then::Step { run_id, step } => playbooks::confirmed(state, &run_id, step, now),
    }
}

/// Run a palette command: each goes to the feature it is about.
pub(crate) fn run_command(
    state: &mut State,
    cmd: palette::Command,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    use palette::Command;
    let writes = matches!(
        cmd,
        Command::SetSeverity(_)
            | Command::SetStatus(_)
            | Command::Playbook(_)
            | Command::Flag(_)
            | Command::Role(_)
    );
    if writes && state.access.read_only() {
        access::refuse(state, now);
        return Vec::new();
    }
    if matches!(cmd, Command::Playbook(_) | Command::Flag(_)) && state.observer() {
        access::observer_refuses(state, now);
        return Vec::new();
    }
    match cmd {
        Command::Action(a) => {
            // Chosen explicitly: flag actions apply to the flag selected
            // in the flags pane, whatever pane had focus.
            if matches!(a, Action::ToggleFlag | Action::FlagOff | Action::FlagOn)
                && state.selected_flag().is_some()
            {
                state.focus = super::Pane::Flags;
            }
            on_action(state, a, now)
        }
        Command::SetSeverity(s) => incident::set_severity(state, s, now),
        Command::SetStatus(s) => incident::set_status(state, s, now),
        Command::Alert(fp) => alerts::show_detail(state, fp),
        Command::Playbook(name) => playbooks::start_from_palette(state, &name, now),
        Command::PlaybookRun(id) => playbooks::open_from_palette(state, &id),
        Command::Flag(name) => flags::pick(state, &name, now),
        Command::Role(choice) => roles::chose(state, &choice, now),
        Command::Chart { rule, query } => rules::chart_choice(state, &rule, &query, now),
    }
}

/// Footer hints: the keymap layer of the current mode and the actions to
/// show, the focused feature's first, then the screen's own, each with
/// what its key does there (an action's footer label, unless the mode or
/// the feature says better: esc closes the alert details, Enter starts
/// the selected playbook).
pub fn hints(state: &State) -> (Option<Layer>, Vec<(Action, &'static str)>) {
    let (layer, actions) = hint_actions(state);
    let labelled = actions
        .into_iter()
        .map(|a| (a, hint_label(state, a)))
        .collect();
    (layer, labelled)
}

/// What `action`'s key does in the current mode, for the footer.
fn hint_label(state: &State, action: Action) -> &'static str {
    use super::{Mode, Pane};
    match (&state.mode, action) {
        (Mode::AlertDetail { .. } | Mode::Help { .. } | Mode::Palette(_), Action::Cancel) => {
            "close"
        }
        (Mode::Palette(_), Action::Submit) => "run",
        (Mode::UpdateEditor, Action::Submit) => "record & send",
        (Mode::UpdateEditor, Action::Cancel) => "close (draft kept)",
        (Mode::Normal, Action::Select) if state.focus == Pane::Metrics => "evidence",
        (Mode::Normal, Action::Up) if state.focus == Pane::Metrics => "marker",
        (Mode::Normal, _) if state.focus == Pane::Playbooks => {
            playbooks::hint_label(state, action).unwrap_or(action.short())
        }
        _ => action.short(),
    }
}

fn hint_actions(state: &State) -> (Option<Layer>, Vec<Action>) {
    use super::{Mode, Pane};
    let layer = layer_of(state);
    let mut out = match (&state.mode, state.focus) {
        (Mode::AlertDetail { .. }, _) => return (layer, alerts::hints(state)),
        // Overlays show their own keys only: the others do not work there.
        (Mode::Help { .. }, _) => return (layer, vec![Action::Down, Action::Up, Action::Cancel]),
        (Mode::Prompt { .. } | Mode::TypedConfirm { .. }, _) => {
            return (
                layer,
                vec![Action::Submit, Action::Cancel, Action::ClearLine],
            )
        }
        (Mode::Choose { .. } | Mode::Palette(_), _) => {
            return (
                layer,
                vec![Action::Down, Action::Up, Action::Submit, Action::Cancel],
            )
        }
        (Mode::PlaybookForm(_), _) => {
            return (
                layer,
                vec![
                    Action::NextField,
                    Action::NextChoice,
                    Action::Submit,
                    Action::Cancel,
                ],
            )
        }
        (Mode::UpdateEditor, _) => {
            return (
                layer,
                vec![
                    Action::Submit,
                    Action::NextField,
                    Action::PrevField,
                    Action::Cancel,
                ],
            )
        }
        (Mode::Confirm { .. }, _) => return (layer, Vec::new()),
        (Mode::Normal, Pane::Alerts) => alerts::hints(state),
        (Mode::Normal, Pane::Metrics) => metrics::hints(state),
        (Mode::Normal, Pane::Timeline) => incident::hints(state),
        (Mode::Normal, Pane::Flags) => flags::hints(state),
        (Mode::Normal, Pane::Playbooks) => playbooks::hints(state),
    };
    out.extend(screen::hints(state));
    if state.access.read_only() {
        // Keys that would be refused are not offered.
        out.retain(|a| !a.writes());
        out.insert(0, Action::TakeOver);
    }
    (layer, out)
}
