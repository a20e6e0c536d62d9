//! The event loop: terminal events, messages and a clock tick go through
//! `update`; effects go to the runner; the screen is drawn at most once
//! per batch of messages, and only when something changed.
//!
//! [`cockpit`] starts it: the state from the config and the resumed
//! journal, the world from [`crate::wiring`].

pub mod cockpit;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::config::theme::Theme;
use crate::effects::{self, Runner};
use crate::flags::FlagProvider;
use crate::sources::poller;
use crate::sources::{AlertSource, MetricSource, ReleaseControl};
use crate::state::{self, Msg, State};
use crate::timeline::journal::{Follower, Holder, Journal};
use crate::tui::Screen;
use crate::wiring::World;

/// What the loop needs: the world (see [`crate::wiring`]) and where
/// files and themes are.
pub struct Wiring {
    pub world: World,
    pub data_dir: PathBuf,
    pub export_dir: PathBuf,
    pub poll_interval: Duration,
    pub user_theme_dir: Option<PathBuf>,
    pub no_color: bool,
    /// Who this cockpit is, in the writer lock of the incident it writes.
    pub holder: Holder,
    /// The team database (`[team]`), outside the demo.
    pub team: Option<effects::TeamParts>,
    /// Chat channels for status updates (`[status_updates]`).
    pub chat: effects::ChatParts,
}

/// Capacity of the message channel (bounded: a flood cannot eat memory).
const CHANNEL: usize = 1024;

/// The pollers are running and the effect runner is ready: what
/// [`run`] takes over.
pub struct Started {
    runner: Runner,
    messages: mpsc::Receiver<Msg>,
    themes: mpsc::Receiver<Theme>,
    screen: Screen,
}

/// The resumed incident's journal: to write (this cockpit holds its
/// writer lock), or to follow (another cockpit writes it).
#[derive(Default)]
pub struct Opened {
    pub journal: Option<Journal>,
    pub follower: Option<Follower>,
}

/// Start the pollers and the effect runner (with the resumed incident's
/// journal, if any).
pub fn start(w: &Wiring, window: chrono::Duration, opened: Opened) -> Started {
    let world = &w.world;
    let (tx, messages) = mpsc::channel(CHANNEL);
    let (window_tx, window_rx) = watch::channel(window);
    let every = |n: u32| w.poll_interval * n;
    let mut refresh = Vec::new();
    let mut flags_refresh = Vec::new();
    for s in &world.alert_sources {
        // Sorted and indexed here, off the event loop (a storm of 50,000
        // alerts would hold keys and notes for a third of a second).
        let group_by = Arc::new(world.alert_prefs.group_by.clone());
        let fetch = move |s: Arc<dyn AlertSource>| {
            let group_by = group_by.clone();
            async move {
                let alerts = s.alerts().await?;
                Ok(state::alerts::prepare(alerts, &group_by))
            }
        };
        let n = poller::watch(
            s.clone(),
            s.name(),
            every(1),
            world.timeout,
            &tx,
            fetch,
            Msg::AlertsReady,
        );
        refresh.push(n);
        // Silences too, for the sources that have them.
        if s.can_silence() {
            let fetch = |s: Arc<dyn AlertSource>| async move { s.silences().await };
            let n = poller::watch(
                s.clone(),
                s.name(),
                every(2),
                world.timeout,
                &tx,
                fetch,
                Msg::Silences,
            );
            refresh.push(n);
        }
        // Its routing tree (who gets paged): the config changes rarely.
        if s.has_routing() {
            let fetch = |s: Arc<dyn AlertSource>| async move { s.routing().await };
            let n = poller::watch(
                s.clone(),
                s.name(),
                every(15),
                world.timeout,
                &tx,
                fetch,
                Msg::Routing,
            );
            refresh.push(n);
        }
    }
    for s in &world.metric_sources {
        let rx = window_rx.clone();
        let fetch = move |s: Arc<dyn MetricSource>| {
            let window = *rx.borrow();
            async move { s.panels(window).await }
        };
        let n = poller::watch(
            s.clone(),
            s.name(),
            every(1),
            world.timeout,
            &tx,
            fetch,
            Msg::Metrics,
        );
        refresh.push(n);
        // Its alerting rules: what is about to fire.
        if s.has_rules() {
            let fetch = |s: Arc<dyn MetricSource>| async move { s.rules().await };
            let n = poller::watch(
                s.clone(),
                s.name(),
                every(2),
                world.timeout,
                &tx,
                fetch,
                Msg::Rules,
            );
            refresh.push(n);
        }
    }
    for p in &world.flag_providers {
        let fetch = |p: Arc<dyn FlagProvider>| async move { p.list().await };
        let n = poller::watch(
            p.clone(),
            p.name(),
            every(3),
            world.timeout,
            &tx,
            fetch,
            Msg::Flags,
        );
        flags_refresh.push(n);
    }
    // What is deployed, so the rollback confirmation can name it.
    if let Some(r) = &world.release {
        let fetch = |r: Arc<dyn ReleaseControl>| async move { r.current().await };
        let n = poller::watch(
            r.clone(),
            r.name(),
            every(3),
            world.timeout,
            &tx,
            fetch,
            Msg::Release,
        );
        refresh.push(n);
    }
    let screen = Screen::default();
    let (themes_tx, themes) = mpsc::channel(8);
    let runner = Runner::new(effects::Parts {
        tx,
        journal: opened.journal,
        follower: opened.follower,
        holder: w.holder.clone(),
        team: w.team.clone(),
        refresh,
        flags_refresh,
        window: window_tx,
        providers: world.flag_providers.clone(),
        release: world.release.clone(),
        alert_sources: world.alert_sources.clone(),
        metric_sources: world.metric_sources.clone(),
        data_dir: w.data_dir.clone(),
        export_dir: w.export_dir.clone(),
        timeout: world.timeout,
        screen: screen.clone(),
        themes: themes_tx,
        themes_dir: w.user_theme_dir.clone(),
        no_color: w.no_color,
        chat: w.chat.clone(),
    });
    Started {
        runner,
        messages,
        themes,
        screen,
    }
}

/// Run the interactive loop until the user quits.
pub async fn run(
    terminal: &mut ratatui::DefaultTerminal,
    state: &mut State,
    mut theme: Theme,
    started: Started,
) -> anyhow::Result<()> {
    let Started {
        runner,
        messages: mut rx,
        mut themes,
        screen,
    } = started;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    if let Ok(size) = terminal.size() {
        state.viewport = (size.width, size.height);
    }
    for fx in state::start(state, Utc::now()) {
        runner.run(fx);
    }
    draw(terminal, &screen, state, &theme)?;
    state.redraw = false;

    loop {
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
                Some(Ok(TermEvent::Resize(w, h))) => Some(Msg::Resize(w, h)),
                // Bracketed paste: text, never keys (see state::keys::on_paste).
                Some(Ok(TermEvent::Paste(text))) => Some(Msg::Paste(text)),
                Some(Ok(_)) => None,
                Some(Err(e)) => {
                    tracing::error!("terminal event error: {e}");
                    None
                }
                None => break,
            },
            m = rx.recv() => m,
            // A theme the runner loaded (Effect::SetTheme).
            Some(t) = themes.recv() => {
                theme = t;
                draw(terminal, &screen, state, &theme)?;
                continue;
            }
            _ = tick.tick() => Some(Msg::Tick),
        };
        let Some(first) = first else { continue };
        let woke = std::time::Instant::now();
        // Handle what is already queued, then draw once; but within half a
        // frame, so that a key waits for no more than a frame (what is
        // left is handled after the draw: 50 journal entries of a storm
        // coming back are a few turns, not one long one).
        let mut n = 0;
        let mut msg = Some(first);
        while let Some(m) = msg.take() {
            n += 1;
            for fx in state::update(state, m, Utc::now()) {
                runner.run(fx);
            }
            if state.quit || n == 256 || woke.elapsed() >= UPDATE_BUDGET {
                break;
            }
            msg = rx.try_recv().ok();
        }
        // The one place quitting happens: update sets `state.quit` (and
        // emits Effect::Quit, which the runner leaves to us).
        if state.quit {
            break;
        }
        // Draw once per batch, and only when something visible may have
        // changed (update sets `state.redraw`; an unbound key or a tick
        // with no clock on screen does not).
        let updated = woke.elapsed();
        if state.redraw {
            draw(terminal, &screen, state, &theme)?;
            state.redraw = false;
        }
        // A turn longer than a frame (16 ms) is a stall a responder can
        // feel: logged, so that it can be found (benches/storm.py counts
        // these).
        let took = woke.elapsed();
        if took > Duration::from_millis(16) {
            tracing::info!(
                target: "firebreak::stall",
                took_ms = took.as_millis() as u64,
                update_ms = updated.as_millis() as u64,
                messages = n,
                "event loop turn over a frame"
            );
        }
    }
    Ok(())
}

/// How long one turn of the event loop handles queued messages before it
/// draws (half a frame).
const UPDATE_BUDGET: Duration = Duration::from_millis(8);

/// Draw a frame, holding the terminal so that no other sequence (the
/// clipboard's) is written in the middle of it.
fn draw(
    terminal: &mut ratatui::DefaultTerminal,
    screen: &Screen,
    state: &State,
    theme: &Theme,
) -> std::io::Result<()> {
    let _turn = screen.hold();
    terminal.draw(|f| crate::ui::draw(f, state, theme, Utc::now()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{Panel, PanelSpec};
    use std::sync::Mutex;

    /// A metric source that answers with one point at the start of the
    /// window it was asked for, and remembers the windows.
    struct Recording(Mutex<Vec<chrono::Duration>>);

    #[async_trait::async_trait]
    impl MetricSource for Recording {
        fn name(&self) -> &str {
            "recording"
        }
        async fn panels(&self, window: chrono::Duration) -> anyhow::Result<Vec<Panel>> {
            if let Ok(mut w) = self.0.lock() {
                w.push(window);
            }
            let start = (Utc::now() - window).timestamp() as f64;
            Ok(vec![Panel {
                spec: PanelSpec {
                    name: "p".into(),
                    unit: String::new(),
                    warning: None,
                    critical: None,
                },
                points: vec![(start, 1.0)],
                error: None,
            }])
        }
    }

    #[tokio::test]
    async fn a_new_window_is_queried_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = Arc::new(Recording(Mutex::new(Vec::new())));
        let wiring = Wiring {
            world: World {
                alert_sources: Vec::new(),
                metric_sources: vec![source.clone()],
                flag_providers: Vec::new(),
                release: None,
                alert_prefs: Default::default(),
                request_timeout: Duration::from_secs(1),
                timeout: Duration::from_secs(2),
                notices: Vec::new(),
            },
            data_dir: dir.path().to_path_buf(),
            export_dir: dir.path().to_path_buf(),
            // Long: any second poll comes from the window change.
            poll_interval: Duration::from_secs(3600),
            user_theme_dir: None,
            no_color: true,
            holder: Holder {
                responder: "test".into(),
                host: "here".into(),
                pid: std::process::id(),
                since: Utc::now(),
            },
            team: None,
            chat: Default::default(),
        };
        let opened = Opened {
            journal: None,
            follower: None,
        };
        let mut started = start(&wiring, chrono::Duration::minutes(15), opened);
        let first = tokio::time::timeout(Duration::from_secs(5), started.messages.recv())
            .await
            .expect("first poll");
        assert!(matches!(first, Some(Msg::Metrics(_))));
        // `w` in the state returns this effect; the runner carries it out.
        started
            .runner
            .run(state::Effect::SetWindow(chrono::Duration::hours(1)));
        let second = tokio::time::timeout(Duration::from_secs(5), started.messages.recv())
            .await
            .expect("a poll right after the window changed");
        let Some(Msg::Metrics(p)) = second else {
            panic!("not a metrics poll: {second:?}");
        };
        let windows = source.0.lock().map(|w| w.clone()).unwrap_or_default();
        assert_eq!(
            windows,
            vec![chrono::Duration::minutes(15), chrono::Duration::hours(1)]
        );
        // The answer covers the hour (a metrics message always redraws:
        // `state::update`).
        let panels = p.result.expect("panels");
        let first_x = panels[0].points[0].0;
        assert!(Utc::now().timestamp() as f64 - first_x >= 3590.0);
    }
}
