//! Snapshot tests of the screen on a TestBackend with a fixed clock, at
//! 80x24 and 120x40, plus the help overlay and tiny terminals.

use crate::support::state::*;
use chrono::Duration;
use crossterm::event::KeyCode;
use firebreak::config::theme::Theme;
use firebreak::demo::{Scenario, World};
use firebreak::state::{Msg, State};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// A demo incident two minutes in, with alerts, metrics, flags, a note.
fn scene(dir: &std::path::Path) -> (State, chrono::DateTime<chrono::Utc>) {
    let t0 = t("2026-11-27T14:00:00Z");
    let mut d = Driver::started(dir, t0);
    let w = World::new(Scenario::builtin().unwrap(), t0);
    d.now = t0 + Duration::seconds(118);
    d.send(Msg::Alerts(polled(Ok(w.alerts(d.now)), d.now)));
    d.send(Msg::Metrics(polled(
        Ok(w.panels(Duration::minutes(15), d.now)),
        d.now,
    )));
    let flags = w
        .flags()
        .into_iter()
        .map(
            |(name, enabled, description, changed_at)| firebreak::flags::Flag {
                name,
                enabled,
                description,
                provider: "demo".into(),
                env: Some("production".into()),
                changed_at,
            },
        )
        .collect();
    d.send(Msg::Flags(polled(Ok(flags), d.now)));
    d.keys("n");
    d.keys("errors began right after v2.14.0 went out");
    d.send(code(KeyCode::Enter));
    d.now = t0 + Duration::seconds(120);
    (d.state, d.now)
}

fn render(
    state: &State,
    w: u16,
    h: u16,
    now: chrono::DateTime<chrono::Utc>,
) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::default_theme();
    term.draw(|f| firebreak::ui::draw(f, state, &theme, now))
        .unwrap();
    term
}

#[test]
fn main_screen_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let (state, now) = scene(dir.path());
    insta::assert_snapshot!(render(&state, 80, 24, now).backend());
}

#[test]
fn main_screen_120x40() {
    let dir = tempfile::tempdir().unwrap();
    let (state, now) = scene(dir.path());
    insta::assert_snapshot!(render(&state, 120, 40, now).backend());
}

#[test]
fn help_overlay_is_generated_from_the_keymap() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    firebreak::state::update(&mut state, key('?'), now);
    let term = render(&state, 120, 40, now);
    let text = term.backend().to_string();
    // Every bound action appears with its keys, straight from the keymap.
    for (action, keys) in state.keymap.by_action().into_iter().take(30) {
        assert!(text.contains(action.description()), "help lacks {action:?}");
        assert!(text.contains(&keys.join(" ")), "help lacks keys {keys:?}");
    }
    insta::assert_snapshot!(term.backend());
}

#[test]
fn source_down_is_loud_and_never_all_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    let later = now + Duration::seconds(10);
    firebreak::state::update(
        &mut state,
        Msg::Alerts(polled(
            Err("connect: connection refused (127.0.0.1:9093)".into()),
            later,
        )),
        later,
    );
    let text = render(&state, 120, 40, later).backend().to_string();
    assert!(text.contains("ALERT SOURCE DOWN"), "{text}");
    assert!(text.contains("LAST KNOWN alerts"), "{text}");
    assert!(
        text.contains("SOURCE DOWN · 3 last known"),
        "the title gives no reassuring count"
    );
    assert!(!text.contains("3 firing"));
    assert!(text.contains("alerts DOWN"));
    // At 80 columns the verdict still comes first and is never cut off.
    let narrow = render(&state, 80, 24, later).backend().to_string();
    assert!(
        narrow.contains("ALERT SOURCE DOWN: rows below are the"),
        "{narrow}"
    );
    assert!(!text.contains("All quiet"));
    // With nothing known at all it says outright that this is not quiet.
    let mut empty = new_state(false);
    firebreak::state::update(
        &mut empty,
        Msg::Alerts(polled(Err("timed out after 5s".into()), later)),
        later,
    );
    let text = render(&empty, 100, 30, later).backend().to_string();
    assert!(text.contains("NOT all quiet"), "{text}");
    let narrow = render(&empty, 80, 24, later).backend().to_string();
    assert!(narrow.contains("NOT all quiet"), "{narrow}");
}

#[test]
fn confirm_dialog_names_the_flag_and_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    for c in "4jjx".chars() {
        firebreak::state::update(&mut state, key(c), now);
    }
    let text = render(&state, 80, 24, now).backend().to_string();
    assert!(text.contains("Turn flag new-checkout-flow OFF"), "{text}");
}

#[test]
fn any_terminal_size_draws_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    for (w, h) in [
        (0, 0),
        (1, 1),
        (10, 3),
        (39, 11),
        (40, 12),
        (45, 14),
        (60, 18),
        (80, 24),
        (200, 60),
    ] {
        render(&state, w, h, now);
    }
    // Overlays too.
    for k in ['?', ':'] {
        firebreak::state::update(&mut state, key(k), now);
        for (w, h) in [(1, 1), (20, 5), (40, 12), (80, 24)] {
            render(&state, w, h, now);
        }
        firebreak::state::update(&mut state, code(KeyCode::Esc), now);
    }
    let text = render(&state, 30, 8, now).backend().to_string();
    assert!(text.contains("too small"));
}

#[test]
fn no_color_theme_still_marks_severity() {
    let dir = tempfile::tempdir().unwrap();
    let (state, now) = scene(dir.path());
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let theme = Theme::no_color();
    term.draw(|f| firebreak::ui::draw(f, &state, &theme, now))
        .unwrap();
    let buf = term.backend().buffer();
    assert!(buf
        .content()
        .iter()
        .all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset));
    assert!(buf
        .content()
        .iter()
        .any(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED)));
}

#[test]
fn alerts_of_one_group_are_marked_together() {
    let now = t("2026-11-27T14:00:00Z");
    let mut s = new_state(false);
    let w = World::new(Scenario::builtin().unwrap(), now);
    let mut alerts = w.alerts(now);
    // A second HighErrorRate for checkout, from another instance.
    let mut twin = alerts
        .iter()
        .find(|a| a.name() == "HighErrorRate")
        .unwrap()
        .clone();
    twin.labels.insert("instance".into(), "checkout-7".into());
    twin.fingerprint = "twin".into();
    alerts.push(twin);
    firebreak::state::update(&mut s, Msg::Alerts(polled(Ok(alerts), now)), now);
    let text = render(&s, 120, 40, now).backend().to_string();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("HighErrorRate"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("2×"), "{}", lines[0]);
    assert!(lines[1].contains(" │"), "{}", lines[1]);
}
