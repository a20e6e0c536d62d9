//! `update`: the message router. Every message goes to the one feature
//! that owns it (see the feature folders); keys go to the input router,
//! `keys.rs`. Nothing here changes state itself.

use chrono::{DateTime, Utc};

use super::{
    access, alerts, approvals, evidence, flags, hypotheses, incident, keys, metrics, playbooks,
    release, rules, silences, team, teammate, updates, Effect, Mode, Msg, Pane, State,
};

/// Apply one message; return the effects to run. Pure: no I/O, no clock.
pub fn update(state: &mut State, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
    // What needs a new frame (the loop draws only then, once per batch):
    // keys say for themselves (keys.rs); a tick only when a clock is on
    // screen or it changed something; every other message changes data.
    let msg_redraws = match &msg {
        Msg::Key(_) => false,
        Msg::Tick => state.shows_clock() || state.notice.is_some(),
        _ => true,
    };
    // What may answer a request for approval: the team's entries, the
    // journal's, time (expiry).
    let settles = matches!(
        msg,
        Msg::Team(_) | Msg::Recorded { .. } | Msg::Followed(_) | Msg::Tick
    );
    let mut fx = route(state, msg, now);
    // Alert details open: their history, once every few minutes.
    fx.extend(alerts::wants_history(state, now));
    if settles && state.incident.is_some() {
        for then in approvals::settle(state, now) {
            fx.extend(keys::carry_out(state, then, now));
        }
    }
    // Read-only (another cockpit writes the incident): nothing is written.
    let fx = access::guard(state, fx, now);
    // The side area keeps the tab last focused (whatever moved the focus).
    if matches!(state.focus, Pane::Flags | Pane::Playbooks) {
        state.side = state.focus;
    }
    state.redraw |= msg_redraws || !fx.is_empty();
    // When a confirmation opened, so that keys right behind the one that
    // opened it cannot answer it (keys.rs).
    let confirming = matches!(state.mode, Mode::Confirm { .. } | Mode::TypedConfirm { .. });
    state.confirm_since = match (confirming, state.confirm_since) {
        (true, Some(t)) => Some(t),
        (true, None) => Some(now),
        (false, _) => None,
    };
    fx
}

fn route(state: &mut State, msg: Msg, now: DateTime<Utc>) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => keys::on_key(state, key, now),
        Msg::Paste(text) => keys::on_paste(state, &text, now),
        Msg::Resize(w, h) => {
            state.viewport = (w, h);
            Vec::new()
        }
        Msg::Tick => {
            let mut fx = hypotheses::on_tick(state, now);
            fx.extend(playbooks::on_tick(state, now));
            fx.extend(teammate::on_tick(state, now));
            fx.extend(updates::on_tick(state, now));
            fx.extend(evidence::on_tick(state, now));
            fx
        }
        Msg::Playbook(m) => playbooks::on_msg(state, m, now),
        Msg::Alerts(p) => alerts::on_alerts(state, p),
        Msg::AlertsReady(p) => alerts::on_prepared(state, p),
        Msg::Metrics(p) => metrics::on_metrics(state, p, now),
        Msg::Flags(p) => flags::on_flags(state, p),
        Msg::FlipDone {
            provider,
            flag,
            wanted,
            result,
        } => flags::on_flip_done(state, provider, flag, wanted, result, now),
        Msg::Recorded { entry, then } => {
            let mut fx = team::left(state, &entry);
            fx.extend(incident::on_recorded(state, entry, then));
            // A mitigation just recorded is read now, from the panels in
            // hand (the next poll's points may not reach back to it).
            fx.extend(evidence::on_tick(state, now));
            fx
        }
        Msg::RecordFailed {
            actor,
            event,
            error,
            then,
        } => incident::on_record_failed(state, actor, event, error, then, now),
        Msg::Notice(level, text) => {
            state.notify(level, text, now);
            Vec::new()
        }
        Msg::Release(p) => release::on_release(state, p),
        Msg::ChangesReported {
            source,
            since,
            result,
        } => incident::on_changes_reported(state, source, since, result),
        Msg::RollbackDone(result) => release::on_rollback_done(state, result, now),
        Msg::Exported(result) => incident::on_exported(state, result, now),
        Msg::Silences(p) => {
            silences::on_silences(state, p);
            Vec::new()
        }
        Msg::Routing(p) => {
            alerts::on_routing(state, p);
            Vec::new()
        }
        Msg::Rules(p) => {
            rules::on_rules(state, p);
            Vec::new()
        }
        Msg::History {
            fingerprint,
            result,
        } => {
            alerts::on_history(state, fingerprint, result, now);
            Vec::new()
        }
        Msg::Team(m) => team::on_msg(state, m, now),
        Msg::Followed(entries) => access::on_followed(state, entries),
        Msg::FollowFailed(e) => access::on_follow_failed(state, e, now),
        Msg::WriterSeen(seen) => access::on_writer_seen(state, seen, now),
        Msg::TookOver(result) => access::on_took_over(state, result, now),
        Msg::SilenceDone {
            action,
            target,
            result,
        } => silences::done(state, action, target, result, now),
        Msg::UpdateSent {
            id,
            channel,
            result,
        } => updates::on_sent(state, id, channel, result, now),
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
        let mut fx = vec![incident::declare(state, title, now)];
        // The incident before it: where its journal and exports are.
        if let Some(text) = state.timeline.previous.take() {
            fx.push(State::record_system(crate::domain::Event::Note {
                text,
                at: None,
            }));
        }
        return fx;
    }
    // Nothing open and a team database: which incidents wait to be
    // joined (the picker opens if there are any).
    if state.team.configured && !state.incident_open() {
        return vec![Effect::ListShared];
    }
    Vec::new()
}
