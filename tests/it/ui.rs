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
    let d = scene_driver(dir);
    (d.state, d.now)
}

/// [`scene`], with its driver (and journal) kept for more entries.
fn scene_driver(dir: &std::path::Path) -> Driver {
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
    d
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

/// The screen's rows as text.
fn rows(term: &Terminal<TestBackend>) -> Vec<String> {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// Where `text` is on screen: (column, row) of its first character.
fn find(term: &Terminal<TestBackend>, text: &str) -> Option<(u16, u16)> {
    let buf = term.backend().buffer();
    for y in 0..buf.area.height {
        let cells: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        let want: Vec<String> = text.chars().map(|c| c.to_string()).collect();
        if let Some(x) = cells
            .windows(want.len())
            .position(|w| w.iter().zip(&want).all(|(a, b)| *a == b))
        {
            return Some((x as u16, y));
        }
    }
    None
}

/// The cells of the sparkline under the panel label `name` (2-row layout):
/// from the label's column to the pane's right border.
fn spark_cells(term: &Terminal<TestBackend>, name: &str) -> Vec<ratatui::buffer::Cell> {
    let (x0, y) = find(term, name).unwrap_or_else(|| panic!("no {name} on screen"));
    let buf = term.backend().buffer();
    (x0..buf.area.width)
        .map(|x| buf[(x, y + 1)].clone())
        .take_while(|c| c.symbol() != "│" && c.symbol() != "┃")
        .collect()
}

fn draw_with(
    state: &State,
    theme: &Theme,
    w: u16,
    h: u16,
    now: chrono::DateTime<chrono::Utc>,
) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| firebreak::ui::draw(f, state, theme, now))
        .unwrap();
    term
}

#[test]
fn no_color_bars_read_the_right_way_up() {
    // Without colour the critical style is reverse video; a bar drawn in
    // it shows a high value as an empty cell and an empty one as full.
    let dir = tempfile::tempdir().unwrap();
    let (state, now) = scene(dir.path());
    let term = draw_with(&state, &Theme::no_color(), 80, 24, now);
    let cells = spark_cells(&term, "Error ratio");
    assert!(cells.len() >= 20, "{}", term.backend());
    for c in &cells {
        assert!(
            !c.modifier.contains(ratatui::style::Modifier::REVERSED),
            "a bar in reverse video: {:?}\n{}",
            c,
            term.backend()
        );
    }
    // Before the incident the ratio was low, now it is far above critical.
    let first = cells.first().map(|c| c.symbol().to_string());
    let last = cells.last().map(|c| c.symbol().to_string());
    assert_eq!(first.as_deref(), Some("▁"), "{}", term.backend());
    assert!(
        matches!(last.as_deref(), Some("▇" | "█")),
        "{:?}\n{}",
        last,
        term.backend()
    );
}

#[test]
fn narrow_panes_never_cut_a_value_or_its_unit() {
    let dir = tempfile::tempdir().unwrap();
    let (state, now) = scene(dir.path());
    // 60x18 puts label and sparkline on one row; 80x24 on two.
    for (w, h) in [(60, 18), (80, 24), (100, 30)] {
        let text = render(&state, w, h, now).backend().to_string();
        for value in ["13.9%", "1440ms", "371req/s"] {
            assert!(text.contains(value), "{w}x{h} lacks {value}:\n{text}");
        }
    }
}

#[test]
fn at_80x24_text_gets_the_free_rows_instead_of_being_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    let text = render(&state, 80, 24, now).backend().to_string();
    for whole in [
        // the header's title, with the time-box slot still on screen
        "Checkout errors after v2.14.0 deploy",
        "quick 0/2",
        // every alert's summary (it gets lines of its own)
        "checkout 5xx ratio above 5% for 30s",
        "checkout p99 latency above 1s",
        "search-indexer idx-3 disk 82% full",
        // flag names
        "checkout-read-only",
        "recommendations-v2",
        // the whole footer
        "S status",
        "q quit",
    ] {
        assert!(text.contains(whole), "cut: {whole}\n{text}");
    }
    // A long notice wraps instead of running off the screen.
    let why = "deploy API answered 503 Service Unavailable from deploy.internal; nothing was changed, try again";
    firebreak::state::update(&mut state, Msg::RollbackDone(Err(why.into())), now);
    let term = render(&state, 80, 24, now);
    let footer: String = rows(&term)[20..].join(" ");
    let words: Vec<&str> = footer.split_whitespace().collect();
    assert!(
        words.join(" ").contains(&format!("Rollback failed: {why}")),
        "{}",
        term.backend()
    );
}

#[test]
fn at_160x45_alert_summaries_get_the_padding_of_other_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (state, now) = scene(dir.path());
    let text = render(&state, 160, 45, now).backend().to_string();
    let line = text
        .lines()
        .find(|l| l.contains("DiskSpaceLow"))
        .unwrap_or_default();
    assert!(
        line.contains("search-indexer idx-3 disk 82% full (unrelated)"),
        "{text}"
    );
}

/// The number of error-ratio bars at or above the critical line (the
/// highest three glyphs, on this scale).
fn high_bars(term: &Terminal<TestBackend>) -> usize {
    spark_cells(term, "Error ratio")
        .iter()
        .filter(|c| matches!(c.symbol(), "▆" | "▇" | "█"))
        .count()
}

#[test]
fn the_window_key_redraws_the_sparklines_over_the_new_window() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    let w = World::new(Scenario::builtin().unwrap(), t("2026-11-27T14:00:00Z"));
    let at_15m = render(&state, 80, 24, now);
    // `w`: the window is an hour, and the source is asked again.
    let fx = firebreak::state::update(&mut state, key('w'), now);
    assert!(
        fx.iter().any(
            |e| matches!(e, firebreak::state::Effect::SetWindow(d) if *d == Duration::hours(1))
        ),
        "{fx:?}"
    );
    firebreak::state::update(
        &mut state,
        Msg::Metrics(polled(Ok(w.panels(Duration::hours(1), now)), now)),
        now,
    );
    let at_1h = render(&state, 80, 24, now);
    // Two minutes of errors take far fewer columns of an hour than of a
    // quarter of an hour.
    let (a, b) = (high_bars(&at_15m), high_bars(&at_1h));
    assert!(
        b >= 1 && b * 3 <= a,
        "15m: {a} high bars, 1h: {b}\n{}\n{}",
        at_15m.backend(),
        at_1h.backend()
    );
    // The time axis says which window it is.
    assert!(find(&at_15m, "-15m").is_some(), "{}", at_15m.backend());
    assert!(find(&at_1h, "-1h").is_some(), "{}", at_1h.backend());
}

#[test]
fn narrow_charts_have_a_time_axis_and_action_markers() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    let now = d.now;
    // The flag was turned off a moment ago.
    d.run(vec![firebreak::state::Effect::Record {
        actor: "alice".into(),
        event: firebreak::domain::Event::FlagChanged {
            provider: "demo".into(),
            flag: "new-checkout-flow".into(),
            before: Some(true),
            after: Some(false),
            wanted: false,
            ok: true,
            detail: String::new(),
        },
        then: Vec::new(),
    }]);
    // The axis under the sparklines: the window's start, now, and a ▲ in
    // the column of the flip (the last one: it just happened).
    let term = render(&d.state, 80, 24, now);
    let axis = rows(&term)
        .into_iter()
        .find(|r| r.contains("-15m"))
        .unwrap_or_else(|| panic!("no time axis\n{}", term.backend()));
    assert!(axis.contains("now ▲│"), "{axis}\n{}", term.backend());
    // Label and sparkline on one row: the marker still shows.
    let term = render(&d.state, 60, 18, now);
    assert!(
        rows(&term).iter().any(|r| r.contains("now ▲│")),
        "{}",
        term.backend()
    );
    let text = render(&d.state, 80, 24, now).backend().to_string();
    assert!(text.contains("▲ new-checkout-flow 0s ago"), "{text}");
}

#[test]
fn after_recovery_low_values_are_a_bar_and_no_data_is_blank() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    // The last five minutes only: errors gone, the ratio at zero or close.
    let spec = state.metrics.panels[0].spec.clone();
    let start = now.timestamp() - 300;
    let points: Vec<(f64, f64)> = (0..=20)
        .map(|i| ((start + i * 15) as f64, if i % 2 == 0 { 0.0 } else { 0.02 }))
        .collect();
    let mut panels = state.metrics.panels.clone();
    panels[0] = firebreak::sources::Panel {
        spec,
        points,
        error: None,
    };
    firebreak::state::update(&mut state, Msg::Metrics(polled(Ok(panels), now)), now);
    let term = render(&state, 80, 24, now);
    let cells: Vec<String> = spark_cells(&term, "Error ratio")
        .iter()
        .map(|c| c.symbol().to_string())
        .collect();
    let n = cells.len();
    // A third of the window has data: drawn as the lowest bar; the rest is
    // blank, which is what "no data" looks like.
    assert!(
        cells[n - n / 3..].iter().all(|c| c == "▁"),
        "{cells:?}\n{}",
        term.backend()
    );
    assert!(cells[..n / 2].iter().all(|c| c == " "), "{cells:?}");
}

#[test]
fn some_failed_metric_queries_are_shown_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    let mut panels = state.metrics.panels.clone();
    panels[1].points.clear();
    panels[1].error = Some("timed out after 5s (GET http://prom:9090/api/v1/query_range)".into());
    let later = now + Duration::seconds(5);
    firebreak::state::update(&mut state, Msg::Metrics(polled(Ok(panels), later)), later);
    for (w, h) in [(80, 24), (120, 40)] {
        let text = render(&state, w, h, later).backend().to_string();
        assert!(text.contains("metrics ⚠ 1/3 failed"), "{w}x{h}\n{text}");
        assert!(!text.contains("metrics ✓"), "{w}x{h}\n{text}");
        // The failing panel says why; the others still draw.
        assert!(text.contains("p99 latency ERROR"), "{w}x{h}\n{text}");
        assert!(text.contains("timed out after 5s"), "{w}x{h}\n{text}");
        assert!(text.contains("13.9%"), "{w}x{h}\n{text}");
    }
    // When every query answers again, the header says so.
    let panels = state.metrics.panels.clone();
    let mut fixed = panels.clone();
    fixed[1] = firebreak::sources::Panel {
        error: None,
        points: state.metrics.panels[0].points.clone(),
        ..panels[1].clone()
    };
    firebreak::state::update(&mut state, Msg::Metrics(polled(Ok(fixed), later)), later);
    let text = render(&state, 80, 24, later).backend().to_string();
    assert!(text.contains("metrics ✓"), "{text}");
}

#[test]
fn the_light_theme_paints_the_header_rows_and_the_footer_to_the_edge() {
    let dir = tempfile::tempdir().unwrap();
    let (state, now) = scene(dir.path());
    let theme = Theme::builtin("light").unwrap();
    for (w, h) in [(80, 24), (100, 30), (160, 45)] {
        let term = draw_with(&state, &theme, w, h, now);
        let buf = term.backend().buffer();
        let header_bg = theme.header.bg.unwrap();
        for y in [0, 1] {
            for x in 0..w {
                assert_eq!(buf[(x, y)].bg, header_bg, "{w}x{h}: cell {x},{y}");
            }
        }
        for x in 0..w {
            assert_ne!(
                buf[(x, h - 1)].bg,
                ratatui::style::Color::Reset,
                "{w}x{h}: footer cell {x}"
            );
        }
    }
}

#[test]
fn palette_descriptions_are_shown_whole_at_80x24() {
    use firebreak::domain::incident::Severity;
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    firebreak::state::update(&mut state, key(':'), now);
    for c in "set severity".chars() {
        firebreak::state::update(&mut state, key(c), now);
    }
    let term = render(&state, 80, 24, now);
    let buf = term.backend().buffer();
    let rows: Vec<String> = (0..24)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    for s in Severity::ALL {
        let row = rows
            .iter()
            .find(|r| r.contains(&format!("Set severity {s} ")))
            .unwrap_or_else(|| panic!("no row for {s}:\n{}", rows.join("\n")));
        assert!(row.contains(s.meaning()), "{s}: cut in {row:?}");
    }
    // A row too long for the box is cut, and shown whole under the list.
    for c in " 1".chars() {
        firebreak::state::update(&mut state, key(c), now);
    }
    let mut long = state.clone();
    if let firebreak::state::Mode::Palette(p) = &mut long.mode {
        let item = &mut p.matches[0].0;
        item.hint = "a description far too long for one row of the palette box, so it wraps".into();
    }
    let term = render(&long, 80, 24, now);
    let text = term.backend().to_string();
    assert!(
        text.contains("Set severity SEV1 — a description far too long"),
        "{text}"
    );
    assert!(text.contains("box, so it wraps"), "{text}");
}

/// The timeline pane's inner rows (text between its borders).
fn timeline_rows(term: &Terminal<TestBackend>) -> Vec<String> {
    let (x0, y0) = find(term, "3 Timeline").expect("timeline pane on screen");
    let buf = term.backend().buffer();
    let left = x0 - 2;
    let right = (left + 1..buf.area.width)
        .find(|x| matches!(buf[(*x, y0 + 1)].symbol(), "│" | "┃"))
        .unwrap();
    (y0 + 1..buf.area.height)
        .take_while(|y| !matches!(buf[(left, *y)].symbol(), "╰" | "┗"))
        .map(|y| (left + 1..right).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// Is row `y` of the screen drawn in the selection style at column `x`?
fn selected_at(term: &Terminal<TestBackend>, x: u16, y: u16) -> bool {
    let sel = Theme::default_theme().selection;
    let c = &term.backend().buffer()[(x, y)];
    sel.bg.is_none_or(|bg| c.bg == bg) && c.modifier.contains(sel.add_modifier)
}

/// Record a note from alice.
fn note(d: &mut Driver, text: &str) {
    d.run(vec![firebreak::state::Effect::Record {
        actor: "alice".into(),
        event: firebreak::domain::Event::Note {
            text: text.into(),
            at: None,
        },
        then: Vec::new(),
    }]);
}

const LONG: &str = "Previous incident INC-20261127-1 was resolved 3m ago: its journal, \
    timeline and postmortem draft are in /tmp/firebreak/data/incidents, \
    read them before you start again";

#[test]
fn the_timeline_top_shows_the_selected_entry_from_its_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    d.keys("3g");
    let term = render(&d.state, 80, 24, d.now);
    let rows = timeline_rows(&term);
    assert!(
        rows[0].contains("14:00:00Z") && rows[0].contains("Incident declared:"),
        "{}",
        term.backend()
    );
    let (x, y) = find(&term, "Incident declared:").unwrap();
    assert!(selected_at(&term, x, y), "{}", term.backend());
    // A long entry, selected: whole on screen, from its first line.
    note(&mut d, LONG);
    note(&mut d, "short");
    d.keys("G");
    d.keys("k");
    let term = render(&d.state, 80, 24, d.now);
    let (x, y) = find(&term, "alice: Note: Previous incident")
        .unwrap_or_else(|| panic!("{}", term.backend()));
    assert!(selected_at(&term, x, y), "{}", term.backend());
    assert!(find(&term, "read them before you start again").is_some());
    // With a notice of three rows (and fewer rows) the pane shrinks; the
    // selected first entry still starts on the pane's first row.
    d.keys("g");
    let why = "deploy API answered 503 Service Unavailable from deploy.internal; nothing was changed, try again in a minute or roll back by hand with the deploy tool";
    d.send(Msg::RollbackDone(Err(why.into())));
    for h in [24, 22, 21] {
        let term = render(&d.state, 80, h, d.now);
        let rows = timeline_rows(&term);
        assert!(rows[0].contains("Incident declared:"), "{}", term.backend());
    }
}

#[test]
fn a_timeline_entry_taller_than_the_pane_shows_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    note(&mut d, &format!("{LONG} {LONG}"));
    d.keys("3");
    let term = render(&d.state, 80, 24, d.now);
    let rows = timeline_rows(&term);
    assert!(
        rows[0].contains("alice: Note: Previous incident"),
        "{}",
        term.backend()
    );
    assert!(rows.iter().all(|r| !r.trim().is_empty()));
}

#[test]
fn following_the_newest_entry_fills_the_timeline_from_the_bottom() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    note(&mut d, LONG);
    d.run(vec![firebreak::state::Effect::Record {
        actor: "alice".into(),
        event: firebreak::domain::Event::AlertSilenced {
            fingerprint: "disk".into(),
            name: "DiskSpaceLow".into(),
            silenced_by: vec!["s1".into()],
            comment: "unrelated to checkout: the indexer disk is slowly filling (alice)".into(),
        },
        then: Vec::new(),
    }]);
    for keys in ["", "3G"] {
        d.keys(keys);
        let term = render(&d.state, 80, 24, d.now);
        let rows = timeline_rows(&term);
        // No blank rows: the long note above is partly shown, the newest
        // entry ends on the last row.
        assert!(
            rows.iter().all(|r| !r.trim().is_empty()),
            "{keys:?}\n{}",
            term.backend()
        );
        assert!(
            rows.iter()
                .any(|r| r.contains("read them before you start")),
            "{}",
            term.backend()
        );
        let last = rows.iter().rposition(|r| r.contains("alice:")).unwrap();
        assert!(rows[last].contains("Alert silenced:"), "{}", term.backend());
        assert!(
            rows.last().unwrap().contains("slowly filling"),
            "{}",
            term.backend()
        );
    }
}

/// The footer's rows as one line of words.
fn footer(term: &Terminal<TestBackend>) -> String {
    let rows = rows(term);
    let n = rows.len();
    rows[n - 2..]
        .iter()
        .filter(|r| !r.contains('─') && !r.contains('━'))
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn footer_hints_say_what_the_key_does_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    d.state
        .playbooks
        .load(firebreak::playbook::loader::builtin());
    let now = d.now;
    let foot = |d: &Driver| footer(&render(&d.state, 80, 24, now));
    // Alert details: esc closes them.
    d.keys("1");
    d.send(code(KeyCode::Enter));
    let f = foot(&d);
    assert!(f.contains("esc close"), "{f}");
    d.send(code(KeyCode::Esc));
    // The palette: the arrows move (as its box and the README say).
    d.keys(":");
    let f = foot(&d);
    assert!(f.contains("↓ down") && f.contains("↑ up"), "{f}");
    assert!(!f.contains("ctrl-j") && !f.contains("ctrl-k"), "{f}");
    assert!(f.contains("esc close"), "{f}");
    d.send(code(KeyCode::Esc));
    // The playbooks list: Enter starts the selected playbook.
    d.keys("5");
    let f = foot(&d);
    assert!(f.contains("enter start"), "{f}");
    assert!(!f.contains("details"), "{f}");
    // Started, the run view: Enter carries out the step, as its border says.
    d.send(code(KeyCode::Enter));
    if let firebreak::state::Mode::PlaybookForm(_) = d.state.mode {
        d.send(code(KeyCode::Enter));
    }
    assert!(d.state.playbooks.open.is_some(), "{:?}", d.state.mode);
    d.now += Duration::seconds(30); // the notice is gone
    let term = render(&d.state, 80, 24, d.now);
    let f = footer(&term);
    assert!(f.contains("enter run/confirm"), "{f}");
    assert!(!f.contains("details"), "{f}");
    // The border names every step key of the run view's layer.
    let border = rows(&term)
        .into_iter()
        .find(|r| r.contains("run/confirm") && r.contains('━'))
        .unwrap_or_else(|| panic!("{}", term.backend()));
    for k in ["F failed", "ctrl-s skip", "ctrl-r re-run", "esc back"] {
        assert!(border.contains(k), "{k}: {border}");
    }
    // Back in the list, on the run: Enter opens it.
    d.send(code(KeyCode::Esc));
    let f = footer(&render(&d.state, 80, 24, d.now));
    assert!(f.contains("enter open"), "{f}");
}

#[test]
fn acked_and_silenced_alerts_are_marked_in_their_row() {
    use firebreak::sources::silence::{ack_comment, Silence, SilenceState};
    let dir = tempfile::tempdir().unwrap();
    let (mut state, now) = scene(dir.path());
    let w = World::new(Scenario::builtin().unwrap(), t("2026-11-27T14:00:00Z"));
    let silence = |id: &str, comment: String| Silence {
        id: id.into(),
        matchers: Vec::new(),
        starts_at: now,
        ends_at: now + Duration::minutes(15),
        updated_at: None,
        created_by: "alice".into(),
        comment,
        state: SilenceState::Active,
        source: "demo".into(),
    };
    firebreak::state::update(
        &mut state,
        Msg::Silences(polled(
            Ok(vec![
                silence("s-ack", ack_comment("alice", None)),
                silence("s-2h", "unrelated to checkout".into()),
            ]),
            now,
        )),
        now,
    );
    let mut alerts = w.alerts(now);
    for a in &mut alerts {
        let by = match a.name() {
            "HighErrorRate" => "s-ack",
            "DiskSpaceLow" => "s-2h",
            _ => continue,
        };
        a.state = firebreak::sources::AlertState::Suppressed;
        a.detail.silenced_by = vec![by.into()];
    }
    firebreak::state::update(&mut state, Msg::Alerts(polled(Ok(alerts), now)), now);
    for (w, h) in [(80, 24), (120, 40)] {
        for theme in [Theme::default_theme(), Theme::no_color()] {
            let term = draw_with(&state, &theme, w, h, now);
            let row = |name: &str| {
                rows(&term)
                    .into_iter()
                    .find(|r| r.contains(name))
                    .unwrap_or_else(|| panic!("{name}\n{}", term.backend()))
            };
            let acked = row("HighErrorRate");
            assert!(acked.contains(" ACK "), "{w}x{h}: {acked}");
            let silenced = row("DiskSpaceLow");
            assert!(silenced.contains(" SIL "), "{w}x{h}: {silenced}");
            let firing = row("LatencyHigh");
            assert!(
                !firing.contains(" ACK ") && !firing.contains(" SIL "),
                "{w}x{h}: {firing}"
            );
        }
    }
}

#[test]
fn at_80x24_a_running_hypothesis_keeps_the_title_and_the_time_box_banner_wraps() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    d.keys("h");
    d.keys("the v2.14.0 deploy broke checkout");
    d.send(code(KeyCode::Enter));
    d.keys("roll back v2.14.0");
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    d.now += Duration::seconds(30);
    d.send(Msg::Tick);
    let term = render(&d.state, 80, 24, d.now);
    let text = term.backend().to_string();
    assert!(
        text.contains("Checkout errors after v2.14.0 deploy"),
        "{text}"
    );
    assert!(text.contains("H1 ") && text.contains("left"), "{text}");
    // Spent: the banner says all of it, on the rows it needs.
    d.now += Duration::minutes(15);
    d.send(Msg::Tick);
    let term = render(&d.state, 80, 24, d.now);
    let text = term.backend().to_string();
    assert!(
        text.contains("Checkout errors after v2.14.0 deploy"),
        "{text}"
    );
    assert!(text.contains("OVER by"), "{text}");
    let words = rows(&term)[..6].join(" ");
    let words: Vec<&str> = words.split_whitespace().collect();
    assert!(
        words
            .join(" ")
            .contains("or extend once with a reason. H1: the v2.14.0 deploy broke checkout"),
        "{text}"
    );
}

#[test]
fn alert_details_name_every_key_and_scroll_no_further_than_their_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    d.send(Msg::Resize(80, 24));
    d.keys("1");
    d.send(code(KeyCode::Enter));
    let term = render(&d.state, 80, 24, d.now);
    // The keys are on the box's borders, each whole.
    let borders: String = rows(&term)
        .into_iter()
        .filter(|r| r.contains('╔') || r.contains('╚'))
        .collect::<Vec<_>>()
        .join(" ");
    for k in [
        "o open runbook",
        "y copy link",
        "O/Y generator URL",
        "p playbook",
        "a ack ",
        "z silence",
        "esc close",
    ] {
        assert!(borders.contains(k), "{k}\n{}", term.backend());
    }
    // G: the last row of the text sits on the box's last row (on a
    // screen too short for all of it).
    d.send(Msg::Resize(80, 20));
    d.keys("G");
    let at_end = render(&d.state, 80, 20, d.now);
    let rows_end = rows(&at_end);
    let bottom = rows_end
        .iter()
        .rposition(|r| r.contains('╚'))
        .unwrap_or_else(|| panic!("{}", at_end.backend()));
    let inside = |r: &str| {
        let cells: Vec<char> = r.chars().collect();
        let l = cells.iter().position(|c| *c == '║').unwrap();
        let rr = cells.iter().rposition(|c| *c == '║').unwrap();
        cells[l + 1..rr].iter().collect::<String>()
    };
    assert!(
        !inside(&rows_end[bottom - 1]).trim().is_empty(),
        "blank rows at the end\n{}",
        at_end.backend()
    );
    // j past the end changes nothing; one k moves at once.
    assert!(find(&at_end, "summary").is_some(), "{}", at_end.backend());
    d.keys("jjj");
    assert_eq!(rows(&render(&d.state, 80, 20, d.now)), rows_end);
    d.keys("k");
    assert_ne!(
        rows(&render(&d.state, 80, 20, d.now)),
        rows_end,
        "k after the end moves"
    );
}

#[test]
fn at_80x24_the_playbook_form_wraps_its_descriptions() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    d.state
        .playbooks
        .load(firebreak::playbook::loader::builtin());
    d.keys(":");
    d.keys("feature-flag-kill");
    d.send(code(KeyCode::Enter));
    assert!(
        matches!(d.state.mode, firebreak::state::Mode::PlaybookForm(_)),
        "{:?}",
        d.state.mode
    );
    let pb = d.state.playbooks.get("feature-flag-kill").unwrap().clone();
    let term = render(&d.state, 80, 24, d.now);
    let text: String = rows(&term)
        .iter()
        .map(|r| r.replace(['║', '│', '┃'], " "))
        .collect::<Vec<_>>()
        .join(" ");
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = pb.description.lines().next().unwrap();
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains(&first), "{first}\n{}", term.backend());
    for i in &pb.inputs {
        let want = i
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(words.contains(&want), "{want}\n{}", term.backend());
    }
    assert!(!text.contains('…'), "{}", term.backend());
}

#[test]
fn run_step_titles_get_the_width_or_the_rows_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = scene_driver(dir.path());
    d.state
        .playbooks
        .load(firebreak::playbook::loader::builtin());
    for (name, (w, h)) in [
        ("feature-flag-kill", (80, 24)),
        ("rollback", (80, 24)),
        ("rollback", (120, 40)),
    ] {
        d.keys(":");
        d.keys(name);
        d.send(code(KeyCode::Enter));
        d.send(code(KeyCode::Enter));
        let run = d.state.playbooks.open_run().expect("run view").clone();
        let term = render(&d.state, w, h, d.now);
        let words = rows(&term)
            .iter()
            .map(|r| r.replace(['║', '│', '┃'], " "))
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let titles: Vec<String> = if (name, w) == ("rollback", 80) {
            // Nine of its steps on nine rows: the longest title is still
            // cut, those before it are whole.
            vec![
                "Capture the current revision (kubectl)".into(),
                "Roll back (firebreak release control)".into(),
                "Wait for the rollout (kubectl)".into(),
            ]
        } else {
            run.steps.iter().map(|s| s.title.clone()).collect()
        };
        for t in titles {
            assert!(
                words.contains(&t),
                "{name} {w}x{h}: {t}\n{}",
                term.backend()
            );
        }
        d.send(code(KeyCode::Esc));
    }
}
