//! What the team sync reports: status for the header, other responders'
//! entries onto the timeline, and the incident as the team's order says.

use chrono::{DateTime, Utc};

use super::super::{Effect, Level, State};
use super::TeamMsg;
use crate::domain::incident::Incident;
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
    }
    Vec::new()
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
        if e.actor == SYSTEM_ACTOR
            || matches!(
                e.event,
                Event::IncidentDeclared { .. } | Event::TeamJoined { .. }
            )
        {
            continue;
        }
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
