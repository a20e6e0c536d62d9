//! What the team sync reports: status for the header, other responders'
//! entries onto the timeline, and the incident as the team's order says.

use chrono::{DateTime, Utc};

use super::super::{ChooseKind, Effect, Level, Mode, Pending, State};
use super::{Joinable, TeamMsg};
use crate::action::Action;
use crate::domain::incident::Incident;
use crate::domain::roles::Role;
use crate::domain::{Event, SYSTEM_ACTOR};

pub(crate) fn on_msg(state: &mut State, msg: TeamMsg, now: DateTime<Utc>) -> Vec<Effect> {
    match msg {
        TeamMsg::Status {
            online,
            detail,
            unsent,
            present,
        } => {
            state.team.present = present;
            if state.team.online == Some(true) && !online {
                state.notify(
                    Level::Warning,
                    format!("Team database unreachable ({detail}): working offline, your entries are kept and sent later"),
                    now,
                );
            }
            state.team.online = Some(online);
            state.team.detail = detail;
            state.team.unsent = unsent;
        }
        TeamMsg::Merged {
            canonical,
            responders,
        } => merged(state, canonical, responders, now),
        TeamMsg::Shared(answer) => shared(state, answer, now),
    }
    Vec::new()
}

/// `J`: join an incident another responder shared.
pub(crate) fn on_action(
    state: &mut State,
    action: Action,
    now: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    if action == Action::LeaveIncident {
        return Some(on_leave(state, now));
    }
    if action != Action::JoinIncident {
        return None;
    }
    if !state.team.configured {
        state.notify(
            Level::Warning,
            "No team database: set [team] url in the config to share incidents (README: Working as a team)",
            now,
        );
        return Some(Vec::new());
    }
    if let Some(i) = state.incident.as_ref().filter(|i| i.is_open()) {
        let text = format!(
            "You are working \"{}\": resolve it first (S), or start another firebreak with --data-dir to work two at once",
            crate::text::visible(&i.title)
        );
        state.notify(Level::Warning, text, now);
        return Some(Vec::new());
    }
    state.team.asked = true;
    state.notify(
        Level::Info,
        "Asking the team database for shared incidents…",
        now,
    );
    Some(vec![Effect::ListShared])
}

/// `L`: leave the shared incident, after asking. The commander hands
/// IC on first: an incident is never left without one.
fn on_leave(state: &mut State, now: DateTime<Utc>) -> Vec<Effect> {
    let me = state.settings.responder.clone();
    let Some(inc) = state.incident.as_ref().filter(|i| i.is_open()) else {
        state.notify(Level::Info, "No open incident to leave", now);
        return Vec::new();
    };
    if !state.team.configured {
        state.notify(
            Level::Warning,
            "Only a shared incident can be left (this one is yours alone): resolve it (S) instead",
            now,
        );
        return Vec::new();
    }
    if inc.roles.holds(&me, Role::IncidentCommander) {
        state.notify(
            Level::Warning,
            "You are the incident commander: hand IC on first (c), then leave",
            now,
        );
        return Vec::new();
    }
    let question = format!(
        "Leave \"{}\"? You stop working it here and firebreak closes; your entries stay on the record, and `firebreak team join {}` brings you back.",
        crate::text::visible(&inc.title),
        inc.id
    );
    state.mode = Mode::Confirm {
        question,
        pending: Pending::Leave,
    };
    Vec::new()
}

/// Yes to leaving: the roles you hold are released (on the record), then
/// you leave; the cockpit closes once that is durable ([`left`]).
pub(crate) fn confirmed_leave(state: &mut State) -> Vec<Effect> {
    let me = state.settings.responder.clone();
    let Some(inc) = state.incident.as_ref() else {
        return Vec::new();
    };
    let id = inc.id.clone();
    let mut fx: Vec<Effect> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::IncidentCommander && inc.roles.holds(&me, *r))
        .map(|role| {
            state.record(Event::RoleChanged {
                role,
                from: Some(me.clone()),
                to: None,
            })
        })
        .collect();
    fx.push(state.record(Event::TeamLeft { id }));
    fx
}

/// An entry is durable: if it is this responder leaving, close.
pub(crate) fn left(state: &mut State, entry: &crate::domain::Entry) -> Vec<Effect> {
    if matches!(entry.event, Event::TeamLeft { .. }) && entry.actor == state.settings.responder {
        state.quit = true;
        return vec![Effect::Quit];
    }
    Vec::new()
}

/// The team database answered which incidents wait to be joined: the
/// picker opens by itself once (at start, nothing open, nothing else on
/// screen), and whenever the responder asked.
fn shared(state: &mut State, answer: Result<Vec<Joinable>, String>, now: DateTime<Utc>) {
    let asked = std::mem::take(&mut state.team.asked);
    let list = match answer {
        Ok(list) => list,
        Err(e) => {
            if asked {
                state.notify(
                    Level::Error,
                    format!("Shared incidents not listed: {e}"),
                    now,
                );
            }
            return;
        }
    };
    state.team.joinable = list;
    state.redraw = true;
    let free =
        state.incident.as_ref().is_none_or(|i| !i.is_open()) && matches!(state.mode, Mode::Normal);
    if state.team.joinable.is_empty() {
        if asked {
            state.notify(
                Level::Info,
                "No shared incident to join: nobody shared one that you have not joined (D declares one)",
                now,
            );
        }
        return;
    }
    if free && (asked || !state.team.picked) {
        state.team.picked = true;
        state.notice = None;
        state.mode = Mode::Choose {
            kind: ChooseKind::Join {
                choices: state.team.joinable.clone(),
            },
            selected: 0,
        };
    }
}

/// Picked in the chooser: join it (a `TeamJoined` entry starts this
/// responder's feed of it; the sync then brings everyone's entries).
pub(crate) fn chose_join(state: &mut State, j: &Joinable, now: DateTime<Utc>) -> Vec<Effect> {
    if let Some(i) = state.incident.as_ref().filter(|i| i.is_open()) {
        let text = format!(
            "\"{}\" is still open: resolve it first (S)",
            crate::text::visible(&i.title)
        );
        state.notify(Level::Warning, text, now);
        return Vec::new();
    }
    state.team.joinable.retain(|x| x.id != j.id);
    vec![state.record(Event::TeamJoined {
        id: j.id.clone(),
        title: j.title.clone(),
        severity: state.settings.default_severity,
        declared_by: j.declared_by.clone(),
        declared_at: j.declared_at,
    })]
}

fn merged(
    state: &mut State,
    canonical: Vec<crate::domain::Entry>,
    responders: Vec<(String, bool)>,
    now: DateTime<Utc>,
) {
    let me = state.settings.responder.clone();
    state.team.responders = responders
        .into_iter()
        .filter(|(name, _)| *name != me)
        .collect();
    let mine: std::collections::HashSet<String> = state
        .timeline
        .entries
        .iter()
        .map(|e| e.hash.clone())
        .collect();
    // Other responders' entries onto the timeline, in the team's order.
    // What a cockpit observes by itself (alerts, source health) each
    // responder's cockpit records on its own: not shown twice.
    let mut added = false;
    for e in &canonical {
        if mine.contains(&e.hash) || state.team.shown.contains(&e.hash) {
            continue;
        }
        state.team.shown.insert(e.hash.clone());
        // Their status updates (and, recorded by their firebreak, where
        // they were delivered): the cadence counts them.
        state.updates.apply_theirs(e);
        if e.actor == SYSTEM_ACTOR
            || matches!(
                e.event,
                Event::IncidentDeclared { .. } | Event::TeamJoined { .. }
            )
        {
            continue;
        }
        // Their playbook runs, watched in the playbooks pane.
        state.playbooks.apply_theirs(e);
        state.evidence.apply_theirs(e);
        state.timeline.apply(e.clone());
        state.timeline.appended();
        added = true;
    }
    // Severity, status and title as the team's order decides, the same on
    // every client; say so when it overrules this responder.
    let local = state.incident.as_ref().map(|i| {
        (
            i.severity,
            i.status,
            i.title.clone(),
            i.demo,
            i.roles.summary(),
        )
    });
    if let (Some(mut team), Some((severity, status, title, demo, roles))) =
        (Incident::replay(&canonical), local)
    {
        // What this cockpit recorded since the sync looked is not in the
        // team's list yet: it comes after everything there.
        let known: std::collections::HashSet<&str> =
            canonical.iter().map(|e| e.hash.as_str()).collect();
        for e in state
            .timeline
            .entries
            .iter()
            .filter(|e| !known.contains(e.hash.as_str()))
        {
            if !matches!(
                e.event,
                Event::IncidentDeclared { .. } | Event::TeamJoined { .. }
            ) {
                team.apply(e);
            }
        }
        let mut changed = Vec::new();
        if team.severity != severity {
            changed.push(format!("severity {} (yours: {severity})", team.severity));
        }
        if team.status != status {
            changed.push(format!("status {} (yours: {status})", team.status));
        }
        if team.title != title {
            changed.push(format!("title \"{}\"", crate::text::visible(&team.title)));
        }
        let team_roles = team.roles.summary();
        if team_roles != roles {
            changed.push(format!(
                "roles {} (yours: {})",
                crate::text::visible(&team_roles),
                crate::text::visible(&roles)
            ));
        }
        if !changed.is_empty() {
            let who = last_decider(&canonical, &me).unwrap_or_else(|| "another responder".into());
            state.notify(
                Level::Warning,
                format!(
                    "{who} changed it too: {} stands, in the order the team database received them",
                    changed.join(", ")
                ),
                now,
            );
        }
        team.demo = demo;
        state.incident = Some(team);
        // Hypotheses too: one quick-phase budget per incident, everyone's
        // in the team's order (then this cockpit's newest).
        let unsent = state
            .timeline
            .entries
            .iter()
            .filter(|e| !known.contains(e.hash.as_str()));
        let mut fold = crate::domain::hypotheses::Hypotheses::default();
        for e in canonical.iter().chain(unsent) {
            fold.apply(e);
        }
        if fold != state.hyp.fold {
            state.hyp.fold = fold;
            state.redraw = true;
        }
    } else if added {
        state.redraw = true;
    }
}

/// The other responder who last changed severity, status, title or a role.
fn last_decider(canonical: &[crate::domain::Entry], me: &str) -> Option<String> {
    canonical
        .iter()
        .rev()
        .find(|e| {
            e.actor != me
                && matches!(
                    e.event,
                    Event::SeverityChanged { .. }
                        | Event::StatusChanged { .. }
                        | Event::TitleChanged { .. }
                        | Event::RoleChanged { .. }
                )
        })
        .map(|e| e.actor.clone())
}
