//! Status update keys and results: `u` opens the editor (pre-filled from
//! the journal, or the draft as it was left), Ctrl-S records the update
//! and then (write-ahead) sends it to every channel and copies it to the
//! clipboard; `U` resends what did not arrive; each channel's outcome is
//! recorded; ticks remind the comms role (or the responder) once when an
//! update falls due.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::{Effect, Level, Mode, Pending, State};
use super::editor::{Editor, MINUTES};
use crate::action::Action;
use crate::chat::Message;
use crate::domain::roles::Role;
use crate::domain::updates::{headline, prefill, Due, Posted};
use crate::domain::Event;

/// `status_update` opens the editor; `resend_update` asks to resend.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    match action {
        Action::StatusUpdate => {
            if state.require_incident(now) {
                open(state, now);
            }
            Some(Vec::new())
        }
        Action::ResendUpdate => {
            if state.require_incident(now) {
                ask_resend(state, now);
            }
            Some(Vec::new())
        }
        _ => None,
    }
}

fn open(state: &mut State, now: DateTime<Utc>) {
    if state.updates.draft.is_none() {
        let Some(inc) = &state.incident else { return };
        let cadence = &state.settings.status_updates.cadence;
        let d = prefill(inc, &state.timeline.entries, cadence, now);
        let minutes = d
            .next_update_at
            .map_or(30, |t| ((t - now).num_seconds() + 59) / 60);
        // Alert text in it is remote: hazards shown, never kept.
        let v = |t: &str| crate::text::visible_lines(t).into_owned();
        state.updates.draft = Some(Editor::new(
            &v(&d.conditions),
            &v(&d.actions),
            &v(&d.needs),
            minutes.max(1),
        ));
    }
    state.mode = Mode::UpdateEditor;
}

/// Keys of the editor: the `[editor]` layer's actions, then the fixed
/// text keys (characters, Enter for a new line, Backspace, Delete, the
/// arrows, Home, End).
pub(crate) fn on_editor_key(
    state: &mut State,
    action: Option<Action>,
    key: &KeyEvent,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    let Some(mut ed) = state.updates.draft.take() else {
        return Vec::new();
    };
    match action {
        Some(Action::Submit) => return submit(state, ed, now),
        Some(Action::Cancel) => {
            // Never lost: the draft stays for the next `u`.
            let key = state
                .keymap
                .hint(Action::StatusUpdate)
                .unwrap_or_else(|| "u".into());
            if ed.edited {
                state.notify(
                    Level::Info,
                    format!("Status update not recorded: your draft is kept ({key} reopens it)"),
                    now,
                );
            }
            state.updates.draft = Some(ed);
            return Vec::new();
        }
        Some(Action::NextField) => ed.next(),
        Some(Action::PrevField) => ed.prev(),
        _ => {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            let alt = key.modifiers.contains(KeyModifiers::ALT);
            let changed = match key.code {
                KeyCode::Char(_) if ctrl || alt => false,
                KeyCode::Char(c) => {
                    ed.type_text(&c.to_string());
                    false
                }
                KeyCode::Enter if ed.focus == MINUTES => {
                    ed.next();
                    false
                }
                KeyCode::Enter => {
                    ed.type_text("\n");
                    false
                }
                KeyCode::Backspace => ed.field().backspace(),
                KeyCode::Delete => ed.field().delete(),
                KeyCode::Left => {
                    ed.field().left();
                    false
                }
                KeyCode::Right => {
                    ed.field().right();
                    false
                }
                KeyCode::Up => {
                    if !ed.field().up() {
                        ed.prev();
                    }
                    false
                }
                KeyCode::Down => {
                    if !ed.field().down() {
                        ed.next();
                    }
                    false
                }
                KeyCode::Home => {
                    ed.field().home();
                    false
                }
                KeyCode::End => {
                    ed.field().end();
                    false
                }
                _ => false,
            };
            if changed {
                ed.edited = true;
                ed.error = None;
            }
        }
    }
    state.updates.draft = Some(ed);
    state.mode = Mode::UpdateEditor;
    Vec::new()
}

/// A paste into the editor: lines kept, control sequences dropped.
pub(crate) fn on_paste(state: &mut State, text: &str, now: DateTime<Utc>) {
    if let Some(ed) = &mut state.updates.draft {
        if !ed.type_text(text) {
            state.notify(
                Level::Warning,
                format!("Pasted text cut at {} characters", super::editor::MAX_CHARS),
                now,
            );
        }
    }
}

/// Ctrl-S: record the update; once durable, send it to every channel
/// and copy it to the clipboard.
fn submit(state: &mut State, mut ed: Editor, now: DateTime<Utc>) -> Vec<Effect> {
    let minutes = match ed.minutes() {
        Ok(m) => m,
        Err(e) => {
            ed.error = Some(e);
            ed.focus = MINUTES;
            state.updates.draft = Some(ed);
            state.mode = Mode::UpdateEditor;
            return Vec::new();
        }
    };
    let text = |i: usize| ed.fields[i].text.trim().to_string();
    if text(0).is_empty() && text(1).is_empty() && text(2).is_empty() {
        ed.error = Some("The update is empty: say what is happening".into());
        state.updates.draft = Some(ed);
        state.mode = Mode::UpdateEditor;
        return Vec::new();
    }
    let Some(inc) = &state.incident else {
        return Vec::new();
    };
    let me = state.settings.responder.clone();
    // Shared with a team: the id names its author, so that no other
    // cockpit can make the same one.
    let id = state.updates.fold.next_id(&me, state.team.configured);
    let channels = state.settings.status_updates.channels.clone();
    let posted = Posted {
        id: id.clone(),
        seq: 0,
        at: now,
        by: me.clone(),
        headline: headline(inc),
        draft: crate::domain::updates::Draft {
            conditions: text(0),
            actions: text(1),
            needs: text(2),
            next_update_at: Some(now + Duration::minutes(minutes)),
        },
        channels: channels.clone(),
        results: Default::default(),
        theirs: false,
    };
    let msg = message(state, &posted);
    let mut then: Vec<Effect> = channels
        .iter()
        .map(|c| {
            state.updates.in_flight.insert((id.clone(), c.clone()));
            Effect::SendUpdate {
                channel: c.clone(),
                message: msg.clone(),
            }
        })
        .collect();
    then.push(Effect::Copy(crate::chat::plain(&msg)));
    let event = Event::StatusUpdateRecorded {
        id: id.clone(),
        headline: posted.headline,
        conditions: posted.draft.conditions,
        actions: posted.draft.actions,
        needs: posted.draft.needs,
        next_update_at: posted.draft.next_update_at,
        channels: channels.clone(),
    };
    let to = if channels.is_empty() {
        "no channel is configured: it is on the clipboard to paste".to_string()
    } else {
        format!("sending to {}; also on the clipboard", channels.join(", "))
    };
    state.notify(
        Level::Info,
        format!("Status update {id} recorded: {to}"),
        now,
    );
    vec![state.record_then(event, then)]
}

/// The chat message of a recorded update.
fn message(state: &State, p: &Posted) -> Message {
    Message {
        incident: state
            .incident
            .as_ref()
            .map(|i| i.id.clone())
            .unwrap_or_default(),
        id: p.id.clone(),
        headline: p.headline.clone(),
        conditions: p.draft.conditions.clone(),
        actions: p.draft.actions.clone(),
        needs: p.draft.needs.clone(),
        next_update_at: p.draft.next_update_at,
        by: p.by.clone(),
    }
}

/// What `U` would resend: the newest update of this cockpit's that did
/// not reach every channel, and those channels (not sent, not in flight).
/// Another responder's are theirs to resend: their outcomes are in their
/// journal.
fn resendable(state: &State) -> Option<(String, Vec<String>)> {
    let p = state
        .updates
        .fold
        .list
        .iter()
        .rev()
        .filter(|p| !p.theirs)
        .find(|p| p.channels.iter().any(|c| !p.sent_to(c)))?;
    let todo: Vec<String> = p
        .channels
        .iter()
        .filter(|c| !p.sent_to(c))
        .filter(|c| {
            !state
                .updates
                .in_flight
                .contains(&(p.id.clone(), (*c).clone()))
        })
        .cloned()
        .collect();
    (!todo.is_empty()).then(|| (p.id.clone(), todo))
}

fn ask_resend(state: &mut State, now: DateTime<Utc>) {
    match resendable(state) {
        Some((id, channels)) => state.confirm(
            format!(
                "Resend status update {id} to {}? (it has no record of arriving there)",
                channels.join(", ")
            ),
            Pending::ResendUpdate { id },
        ),
        None => state.notify(
            Level::Info,
            "Nothing to resend: every status update reached its channels (or is being sent)",
            now,
        ),
    }
}

/// Yes to the resend: send update `id` to each channel it has not
/// reached. The guard: a channel it was recorded as sent to is never
/// sent again.
pub(crate) fn confirmed_resend(state: &mut State, id: &str, now: DateTime<Utc>) -> Vec<Effect> {
    let Some(p) = state.updates.fold.get(id).cloned() else {
        return Vec::new();
    };
    let msg = message(state, &p);
    let mut fx = Vec::new();
    for c in &p.channels {
        let key = (p.id.clone(), c.clone());
        if p.sent_to(c) || state.updates.in_flight.contains(&key) {
            continue;
        }
        if !state.settings.status_updates.channels.contains(c) {
            state.notify(
                Level::Warning,
                format!("Channel {c} is no longer configured: {id} not resent there"),
                now,
            );
            continue;
        }
        state.updates.in_flight.insert(key);
        fx.push(Effect::SendUpdate {
            channel: c.clone(),
            message: msg.clone(),
        });
    }
    if fx.is_empty() {
        state.notify(
            Level::Info,
            format!("{id} was already sent to every channel: not sent again"),
            now,
        );
    }
    fx
}

/// A channel's outcome: recorded on the timeline.
pub(crate) fn on_sent(
    state: &mut State,
    id: String,
    channel: String,
    result: Result<String, String>,
    now: DateTime<Utc>,
) -> Vec<Effect> {
    state
        .updates
        .in_flight
        .remove(&(id.clone(), channel.clone()));
    let (ok, detail) = match result {
        Ok(d) => (true, d),
        Err(e) => (false, e),
    };
    if ok {
        state.notify(
            Level::Info,
            format!("Status update {id} sent to {channel}"),
            now,
        );
    } else {
        let key = state
            .keymap
            .hint(Action::ResendUpdate)
            .unwrap_or_else(|| "U".into());
        state.notify(
            Level::Error,
            format!("Status update {id} NOT sent to {channel}: {detail} ({key} resends)"),
            now,
        );
    }
    vec![State::record_system(Event::StatusUpdateSent {
        id,
        channel,
        ok,
        detail,
    })]
}

/// When the next update is due (None: no open incident).
pub fn due(state: &State, now: DateTime<Utc>) -> Option<Due> {
    let inc = state.incident.as_ref()?;
    state
        .updates
        .fold
        .due(inc, &state.settings.status_updates.cadence, now)
}

/// Whose job the update is: None when it is this responder's (they hold
/// comms, or nobody does), else the comms holder's name.
pub fn reminded_here(state: &State) -> Option<String> {
    let roles = state.roles()?;
    let holders = roles.holders(Role::Comms);
    if holders.is_empty() || roles.holds(&state.settings.responder, Role::Comms) {
        return None;
    }
    holders.first().map(|h| h.name.clone())
}

/// Once per due time, when it passes: a reminder (no modal) to whoever
/// holds comms (or this responder when nobody does). After a restart,
/// updates recorded but never sent are offered for resend.
pub(crate) fn on_tick(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    if !state.incident_open() || state.access.read_only() {
        return Vec::new();
    }
    if !state.updates.resume_announced {
        state.updates.resume_announced = true;
        let lost: Vec<String> = state
            .updates
            .fold
            .unanswered()
            .into_iter()
            .filter(|(id, chans)| {
                chans.iter().any(|c| {
                    !state
                        .updates
                        .in_flight
                        .contains(&(id.to_string(), c.to_string()))
                })
            })
            .map(|(id, chans)| format!("{id} to {}", chans.join(", ")))
            .collect();
        if !lost.is_empty() {
            let key = state
                .keymap
                .hint(Action::ResendUpdate)
                .unwrap_or_else(|| "U".into());
            state.notify(
                Level::Warning,
                format!(
                    "Status update recorded but never sent: {} ({key} resends it; nothing is resent by itself)",
                    lost.join("; ")
                ),
                now,
            );
            return Vec::new();
        }
    }
    let Some(inc) = &state.incident else {
        return Vec::new();
    };
    let cadence = &state.settings.status_updates.cadence;
    let Some(at) = state.updates.fold.due_at(inc, cadence) else {
        return Vec::new();
    };
    if now < at || state.updates.reminded == Some(at) {
        return Vec::new();
    }
    state.updates.reminded = Some(at);
    if reminded_here(state).is_none() {
        let key = state
            .keymap
            .hint(Action::StatusUpdate)
            .unwrap_or_else(|| "u".into());
        state.notify(
            Level::Warning,
            format!("A status update is due: {key} writes it (pre-filled)"),
            now,
        );
    }
    Vec::new()
}
