//! Header: what incident, how bad, where we are, how long, and whether
//! the sources and the journal can be trusted.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::config::theme::Theme;
use crate::domain::incident::{fmt_duration, Severity, Status};
use crate::state::health::{Freshness, Health};
use crate::state::State;

/// The header's rows at `width` columns: the incident line, the health
/// line, and the mode / time-box slot and the row it goes in.
struct Plan<'a> {
    top: Vec<Span<'a>>,
    second: Vec<Span<'a>>,
    slot: Line<'a>,
    slot_row: Option<u16>,
}

fn plan<'a>(state: &State, theme: &Theme, now: DateTime<Utc>, area_width: u16) -> Plan<'a> {
    let mut top: Vec<Span> = Vec::new();
    if state.settings.demo {
        top.push(Span::styled(
            " DEMO ",
            theme
                .warning
                .add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
        top.push(Span::raw(" "));
    }
    if state.observer() {
        top.push(Span::styled(
            " OBSERVER ",
            theme.info.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
        top.push(Span::raw(" "));
    }
    // Service modes bound to flags ([service_modes]) that are in force.
    for (m, active) in state.service_modes_now() {
        if active == Some(true) {
            top.push(Span::styled(
                format!(" {} ", m.label),
                theme
                    .warning
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ));
            top.push(Span::raw(" "));
        }
    }
    match &state.incident {
        Some(inc) => {
            let sev_style = match inc.severity {
                Severity::Sev1 | Severity::Sev2 => theme.critical.add_modifier(Modifier::REVERSED),
                Severity::Sev3 => theme.warning.add_modifier(Modifier::REVERSED),
                Severity::Sev4 => theme.info.add_modifier(Modifier::REVERSED),
            };
            top.push(Span::styled(format!(" {} ", inc.severity), sev_style));
            top.push(Span::raw(" "));
            let status_style = match inc.status {
                Status::Investigating => theme.critical,
                Status::Identified => theme.warning,
                Status::Monitoring => theme.info,
                Status::Resolved => theme.ok,
            };
            top.push(Span::styled(
                inc.status.label().to_uppercase(),
                status_style.add_modifier(Modifier::BOLD),
            ));
            top.push(Span::raw("  "));
            let end = inc.resolved_at.unwrap_or(now);
            top.push(Span::styled(
                format!("⏱ {}", fmt_duration(end - inc.t0())),
                theme.accent,
            ));
            // Narrow terminals keep the clock and the title, not the gloss.
            if area_width >= 110 {
                use crate::domain::incident::MeasuredFrom;
                match (inc.impact_started, inc.measured_from().1) {
                    (Some(at), _) if at.date_naive() == now.date_naive() => top.push(Span::styled(
                        format!(" impact since {}Z", at.format("%H:%M")),
                        theme.muted,
                    )),
                    (Some(at), _) => top.push(Span::styled(
                        format!(" impact since {}Z", at.format("%b %d %H:%M")),
                        theme.muted,
                    )),
                    (None, MeasuredFrom::FirstAlert) => {
                        top.push(Span::styled(" since first alert", theme.muted))
                    }
                    (None, _) => top.push(Span::styled(" since declared", theme.muted)),
                }
            }
            top.push(Span::raw("  "));
            top.push(Span::styled(
                inc.title.clone(),
                theme.header.add_modifier(Modifier::BOLD),
            ));
        }
        None => {
            top.push(Span::styled(
                "No open incident",
                theme.header.add_modifier(Modifier::BOLD),
            ));
            let key = state
                .keymap
                .hint(crate::action::Action::DeclareIncident)
                .unwrap_or_default();
            top.push(Span::styled(
                format!("  press {key} to declare one"),
                theme.muted,
            ));
            let shared = state.team.joinable.len();
            if shared > 0 {
                let join = state
                    .keymap
                    .hint(crate::action::Action::JoinIncident)
                    .unwrap_or_default();
                top.push(Span::styled(
                    format!(
                        ", {join} to join {}",
                        if shared == 1 {
                            "the one a teammate shared".to_string()
                        } else {
                            format!("one of {shared} shared")
                        }
                    ),
                    theme.accent,
                ));
            }
        }
    }

    let mut base: Vec<Span> = Vec::new();
    for h in [
        &state.alerts.health,
        &state.metrics.health,
        &state.flags.health,
    ] {
        base.extend(health_spans(h, theme, now));
        base.push(Span::raw("  "));
    }
    if let Some(span) = team_span(state, theme) {
        base.push(span);
        base.push(Span::raw("  "));
    }
    // When the next status update is due: at the end of the line, given
    // up first when the line is too narrow; overdue, loud at its start.
    let update = update_span(state, theme, now);
    // The mode / time-box slot, right-aligned on the first line.
    let mut slot = mode_slot(state, theme, now, area_width < 110);
    if !slot.spans.is_empty() {
        slot.spans.insert(0, Span::styled("│", theme.muted));
    }
    let width = area_width as usize;
    let slot_w = slot.width();
    let top_w: usize = top.iter().map(Span::width).sum();
    // The second line: health, team, who holds which role, the journal.
    // Narrow, the journal says less and the roles give way to the
    // commander (`IC alice +2`); the slot keeps its room if it goes here.
    let slot_here = slot_w > 0 && width > slot_w + 20 && top_w + slot_w > width;
    let room = if slot_here { width - slot_w - 1 } else { width };
    let forms = roles_forms(state);
    let mut shapes: Vec<(Option<&String>, bool)> = Vec::new();
    if forms.is_empty() {
        shapes.push((None, false));
    }
    for f in &forms {
        shapes.extend([(Some(f), false), (Some(f), true)]);
    }
    let mut candidates: Vec<(Option<&String>, bool, bool)> = shapes
        .iter()
        .map(|&(r, s)| (r, s, update.is_some()))
        .collect();
    if update.as_ref().is_some_and(|(_, overdue)| !overdue) {
        candidates.extend(shapes.iter().map(|&(r, s)| (r, s, false)));
    }
    let build = |(roles, short, with_update): (Option<&String>, bool, bool)| {
        let mut line = base.clone();
        if let Some(r) = roles {
            line.push(Span::styled(
                r.clone(),
                theme.info.add_modifier(Modifier::BOLD),
            ));
            line.push(Span::raw("  "));
        }
        line.extend(journal_span(state, theme, short));
        match (with_update, &update) {
            // Overdue: first on the line, where nothing cuts it.
            (true, Some((span, true))) => {
                line.insert(0, Span::raw("  "));
                line.insert(0, span.clone());
            }
            (true, Some((span, false))) => {
                line.push(Span::raw("  "));
                line.push(span.clone());
            }
            _ => {}
        }
        line
    };
    let width_of = |l: &[Span]| l.iter().map(Span::width).sum::<usize>();
    // Nothing fits: a journal in trouble keeps its room (the roles go),
    // else the commander stays and the end of the line is cut.
    let journal_ok = state.timeline.journal_error.is_none() && state.timeline.problems.is_empty();
    let fallback = if journal_ok {
        candidates.last().copied()
    } else {
        Some((None, false, update.as_ref().is_some_and(|(_, o)| *o)))
    };
    let second = candidates
        .iter()
        .map(|c| build(*c))
        .find(|l| width_of(l) <= room)
        .or_else(|| fallback.map(build))
        .unwrap_or_default();
    // The slot goes beside the title when both fit, else at the end of the
    // health line when it fits there, else on a third row of its own (the
    // title keeps the width).
    let second_w = width_of(&second);
    let slot_row = if slot_w == 0 || width <= slot_w + 20 {
        None
    } else if top_w + slot_w <= width {
        Some(0)
    } else if second_w + 1 + slot_w <= width {
        Some(1)
    } else {
        Some(2)
    };
    Plan {
        top,
        second,
        slot,
        slot_row,
    }
}

/// Rows the header takes at `width` columns: two, or three when the
/// time-box slot fits beside neither the title nor the health line.
pub fn height(state: &State, theme: &Theme, now: DateTime<Utc>, width: u16) -> u16 {
    match plan(state, theme, now, width).slot_row {
        Some(2) => 3,
        _ => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, now: DateTime<Utc>) {
    let Plan {
        mut top,
        second,
        slot,
        slot_row,
    } = plan(state, theme, now, area.width);
    // Without the row it was planned for, the slot goes beside the title,
    // which is then clipped (the slot keeps its place).
    let slot_row = slot_row.map(|r| if r >= area.height { 0 } else { r });
    let width = area.width as usize;
    let slot_w = slot.width();
    frame.render_widget(Paragraph::new("").style(theme.header), area);
    let beside = |row: u16| if slot_row == Some(row) { slot_w } else { 0 };
    clip_last(&mut top, width.saturating_sub(beside(0)));
    let rows = [top, second];
    for (row, spans) in rows.into_iter().enumerate() {
        let row = row as u16;
        if row >= area.height {
            break;
        }
        let r = Rect {
            y: area.y + row,
            width: area.width - beside(row) as u16,
            height: 1,
            ..area
        };
        frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), r);
    }
    if let Some(row) = slot_row {
        let r = Rect {
            x: area.x + area.width - slot_w as u16,
            y: area.y + row,
            width: slot_w as u16,
            height: 1,
        };
        frame.render_widget(Paragraph::new(slot).style(theme.header), r);
    }
}

/// When the next status update is due ("update in 12m"), loud when it
/// is overdue, with whose job it is when someone else holds comms.
fn update_span<'a>(state: &State, theme: &Theme, now: DateTime<Utc>) -> Option<(Span<'a>, bool)> {
    let due = crate::state::updates::due(state, now)?;
    let mut text = due.label();
    if let Some(who) = crate::state::updates::reminded_here(state) {
        text.push_str(&format!(" (comms: {who})"));
    } else if due.overdue() {
        if let Some(k) = state.keymap.hint(crate::action::Action::StatusUpdate) {
            text.push_str(&format!(" · {k}"));
        }
    }
    let loud = theme
        .critical
        .add_modifier(Modifier::REVERSED | Modifier::BOLD);
    Some(if due.overdue() {
        (Span::styled(format!(" {text} "), loud), true)
    } else {
        (Span::styled(text, theme.muted), false)
    })
}

/// The journal's state: an error (loud), problems found on load, or the
/// count of entries (`short`: just `journal ✓`).
fn journal_span<'a>(state: &State, theme: &Theme, short: bool) -> Option<Span<'a>> {
    if let Some(err) = &state.timeline.journal_error {
        return Some(Span::styled(
            format!(
                "JOURNAL ERROR ({} unsaved): {err}",
                state.timeline.unsaved.len()
            ),
            theme.critical.add_modifier(Modifier::REVERSED),
        ));
    }
    if !state.timeline.problems.is_empty() {
        return Some(Span::styled(
            format!(
                "journal: {} problem(s) found on load",
                state.timeline.problems.len()
            ),
            theme.warning,
        ));
    }
    state.incident.as_ref()?;
    let n = state.timeline.entries.len();
    Some(Span::styled(
        if short {
            "journal ✓".to_string()
        } else {
            format!("journal ✓ {n} entr{}", if n == 1 { "y" } else { "ies" })
        },
        theme.muted,
    ))
}

/// Who holds which role, fullest first: every role, then the commander
/// and comms with a count of the others, then the commander with the
/// count, then the commander alone. None while it says nothing new: no
/// team and no role changed since the declaration (the declarer is IC).
fn roles_forms(state: &State) -> Vec<String> {
    use crate::domain::roles::Role;
    let Some(roles) = state.roles() else {
        return Vec::new();
    };
    if !state.team.configured && !roles.changed() {
        return Vec::new();
    }
    let count = |of: &[Role]| -> usize { of.iter().map(|r| roles.holders(*r).len()).sum() };
    let plus = |n: usize| {
        if n > 0 {
            format!(" +{n}")
        } else {
            String::new()
        }
    };
    let ic = [Role::IncidentCommander];
    let mut forms = vec![
        roles.summary(),
        format!(
            "{}{}",
            roles.summary_of(&[Role::IncidentCommander, Role::Comms]),
            plus(count(&[Role::Scribe, Role::Operations, Role::Observer]))
        ),
        format!("{}{}", roles.summary_of(&ic), plus(count(&Role::ALL[1..]))),
        roles.summary_of(&ic),
    ];
    forms.retain(|f| !f.is_empty());
    forms.dedup();
    forms
        .into_iter()
        .map(|f| crate::text::visible(&f).into_owned())
        .collect()
}

/// Clip the last span (the title) so that the line fits in `width`, with
/// an ellipsis; what comes before it is kept.
fn clip_last(spans: &mut [Span<'_>], width: usize) {
    let total: usize = spans.iter().map(Span::width).sum();
    if total <= width {
        return;
    }
    if let Some((last, rest)) = spans.split_last_mut() {
        let before: usize = rest.iter().map(Span::width).sum();
        let room = width.saturating_sub(before);
        last.content = super::clip(&last.content, room).into();
    }
}

/// `alerts ✓ 2s` / `alerts DOWN: refused` / `metrics STALE 3m` /
/// `metrics ⚠ 1/3 failed 2s` (some panels' queries failed).
pub fn health_spans<'a>(h: &Health, theme: &Theme, now: DateTime<Utc>) -> Vec<Span<'a>> {
    let f = h.freshness(now);
    let age = h.age(now).map(super::age).unwrap_or_default();
    // Up, but some of what it shows failed: never a plain ✓.
    if let Some((failed, total)) = h.partial_failure(now) {
        return vec![Span::styled(
            format!("{} ⚠ {failed}/{total} failed {age}", h.name),
            theme.warning.add_modifier(Modifier::BOLD),
        )];
    }
    let (text, style): (String, Style) = match &f {
        Freshness::NotConfigured => (format!("{}: not configured", h.name), theme.muted),
        Freshness::Waiting => (format!("{}: connecting…", h.name), theme.muted),
        Freshness::Ok => (format!("{} ✓ {age}", h.name), theme.ok),
        Freshness::Slow => (
            format!("{} slow {:.1}s", h.name, h.took.as_secs_f32()),
            theme.warning,
        ),
        Freshness::Stale => (format!("{} STALE {age}", h.name), theme.critical),
        Freshness::Down(_) => (
            format!(
                "{} DOWN{}",
                h.name,
                if age.is_empty() {
                    String::new()
                } else {
                    format!(" (last ok {age} ago)")
                }
            ),
            theme.critical.add_modifier(Modifier::REVERSED),
        ),
    };
    vec![Span::styled(text, style)]
}

/// The time-box / mode slot (filled in by the hypotheses feature).
/// The time-box / mode slot: the live countdown of the active hypothesis
/// and what is left of the quick-phase budget, or SYSTEMATIC.
pub(crate) fn mode_slot<'a>(
    state: &State,
    theme: &Theme,
    now: DateTime<Utc>,
    compact: bool,
) -> Line<'a> {
    let rules = &state.settings.timebox;
    let hyp = &state.hyp.fold;
    let mut spans = Vec::new();
    if state.incident.is_none() {
        return Line::default();
    }
    if let Some(h) = hyp.active() {
        let left = h.deadline() - now;
        if left <= chrono::Duration::zero() {
            spans.push(Span::styled(
                format!(
                    " {} OVER by {} ",
                    h.label(&state.settings.responder),
                    fmt_duration(-left)
                ),
                theme
                    .critical
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ));
        } else {
            let style = if left < chrono::Duration::seconds(60) {
                theme.warning
            } else {
                theme.accent
            };
            spans.push(Span::styled(
                format!(
                    " {} {} left ",
                    h.label(&state.settings.responder),
                    fmt_duration(left)
                ),
                style.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ));
        }
        if h.extension.is_some() {
            spans.push(Span::styled(" EXTENDED", theme.warning));
        }
    }
    if hyp.systematic.is_some() || state.hyp.switch_pending {
        spans.push(Span::styled(
            " SYSTEMATIC ",
            theme.ok.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
    } else {
        let left = (rules.budget - hyp.quick_spent(now)).max(chrono::Duration::zero());
        let demo_boxes =
            state.settings.demo && *rules == crate::domain::hypotheses::Timebox::demo();
        let text = if compact {
            format!(
                " quick {}/{} {} ",
                hyp.quick_count(),
                rules.max_quick,
                fmt_duration(left)
            )
        } else {
            format!(
                " quick {}/{} · {} left{} ",
                hyp.quick_count(),
                rules.max_quick,
                fmt_duration(left),
                if demo_boxes {
                    " (short demo boxes)"
                } else {
                    ""
                }
            )
        };
        spans.push(Span::styled(text, theme.muted));
    }
    Line::from(spans)
}

/// A prominent, non-modal line when a time box is spent.
/// The team database: shared with whom, or offline with what waits to be
/// sent (never silent: offline is not "alone").
fn team_span<'a>(state: &State, theme: &Theme) -> Option<Span<'a>> {
    let t = &state.team;
    if state.settings.demo && !t.present.is_empty() && state.incident.is_some() {
        let here = t
            .present
            .iter()
            .map(|n| crate::text::visible(n))
            .collect::<Vec<_>>();
        return Some(Span::styled(
            format!("team (demo) · here: {}", here.join(", ")),
            theme.ok,
        ));
    }
    if !t.configured || state.incident.is_none() {
        return None;
    }
    let unsent = if t.unsent > 0 {
        format!(" · {} to send", t.unsent)
    } else {
        String::new()
    };
    let here = if t.present.is_empty() {
        String::new()
    } else {
        format!(
            " · here: {}",
            t.present
                .iter()
                .map(|n| crate::text::visible(n))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some(match t.online {
        None => Span::styled("team …", theme.muted),
        Some(true) => {
            let forged = t.responders.iter().filter(|(_, ok)| !ok).count();
            let others = t.responders.len();
            let who = match others {
                0 => "team ✓ only you".to_string(),
                1 => "team ✓ +1".to_string(),
                n => format!("team ✓ +{n}"),
            };
            if forged > 0 {
                Span::styled(
                    format!("{who} · {forged} feed(s) NOT VERIFIED{here}{unsent}"),
                    theme.critical.add_modifier(Modifier::REVERSED),
                )
            } else {
                Span::styled(format!("{who}{here}{unsent}"), theme.ok)
            }
        }
        Some(false) => Span::styled(
            format!("team: offline{unsent}"),
            theme.warning.add_modifier(Modifier::BOLD),
        ),
    })
}

/// Read-only: who writes the incident this cockpit follows, and how to
/// take over once they quit.
pub(crate) fn access_banner(state: &State, theme: &Theme) -> Option<(String, Style)> {
    let f = state.access.following.as_ref()?;
    let key = state
        .keymap
        .hint(crate::action::Action::TakeOver)
        .unwrap_or_else(|| "the palette".into());
    let style = if f.writer_gone || f.error.is_some() {
        theme.warning
    } else {
        theme.info
    };
    Some((
        f.banner(&key),
        style.add_modifier(Modifier::REVERSED | Modifier::BOLD),
    ))
}

/// The two-person rule: what waits for this responder's approval, or for
/// someone else's (their own request), until it is answered.
pub(crate) fn approval_banner(
    state: &State,
    theme: &Theme,
    now: DateTime<Utc>,
) -> Option<(String, Style)> {
    let key = state
        .keymap
        .hint(crate::action::Action::Approve)
        .unwrap_or_else(|| "the palette".into());
    let left = |r: &crate::domain::approvals::Request| fmt_duration(r.expires_at() - now);
    let theirs = state.approvable(now);
    let text = if let Some(r) = theirs.first() {
        let more = match theirs.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        format!(
            "⚑ {} asks your approval: {} ({}, expires in {}){more}. Press {key} to approve",
            crate::text::visible(&r.by),
            crate::text::visible(&r.what),
            r.id,
            left(r)
        )
    } else {
        let mine = state.own_waiting(now);
        let r = mine.first()?;
        format!(
            "⌛ {} waits for a second responder's approval: {} (expires in {}). {key}: withdraw, or go ahead alone",
            r.id,
            crate::text::visible(&r.what),
            left(r)
        )
    };
    Some((
        text,
        theme
            .warning
            .add_modifier(Modifier::REVERSED | Modifier::BOLD),
    ))
}

pub(crate) fn timebox_banner(
    state: &State,
    theme: &Theme,
    now: DateTime<Utc>,
) -> Option<(String, Style)> {
    let h = state.hyp.fold.active().filter(|h| h.expired(now))?;
    let key = state
        .keymap
        .hint(crate::action::Action::Hypothesis)
        .unwrap_or_else(|| "h".into());
    let text = format!(
        "⏰ Time box for {} is spent ({} over). Press {key}: supported, refuted{}.  H{}: {}",
        h.label(&state.settings.responder),
        fmt_duration(now - h.deadline()),
        if h.extension.is_none() {
            ", or extend once with a reason"
        } else {
            " (already extended once)"
        },
        h.id,
        h.text,
    );
    Some((
        text,
        theme
            .critical
            .add_modifier(Modifier::REVERSED | Modifier::BOLD),
    ))
}
