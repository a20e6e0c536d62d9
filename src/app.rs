//! The event loop: terminal events, messages and a clock tick go through
//! `update`; effects go to the runner; the screen is drawn at most once
//! per batch of messages, and only when something changed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::config::theme::Theme;
use crate::effects::Runner;
use crate::flags::FlagProvider;
use crate::sources::poller;
use crate::sources::{AlertSource, MetricSource, ReleaseControl};
use crate::state::{self, Msg, State};
use crate::timeline::journal::Journal;

/// What the loop needs from the world.
pub struct Wiring {
    pub alert_sources: Vec<Arc<dyn AlertSource>>,
    pub metric_sources: Vec<Arc<dyn MetricSource>>,
    pub flag_providers: Vec<Arc<dyn FlagProvider>>,
    pub release: Option<Arc<dyn ReleaseControl>>,
    pub journal: Option<Journal>,
    pub data_dir: PathBuf,
    pub export_dir: PathBuf,
    pub poll_interval: Duration,
    pub timeout: Duration,
    pub user_theme_dir: Option<PathBuf>,
    pub no_color: bool,
}

/// Capacity of the message channel (bounded: a flood cannot eat memory).
const CHANNEL: usize = 1024;

/// Start sources and the effect runner. Returns the runner and the
/// receiving end of the message channel.
pub fn start(
    w: &Wiring,
    window: chrono::Duration,
    journal: Option<Journal>,
) -> (Runner, mpsc::Receiver<Msg>) {
    let (tx, rx) = mpsc::channel(CHANNEL);
    let (window_tx, window_rx) = watch::channel(window);
    let mut runner = Runner::new(
        tx.clone(),
        journal,
        w.data_dir.clone(),
        w.export_dir.clone(),
        w.timeout,
        window_tx,
    );
    let every = |n: u32| w.poll_interval * n;
    for s in &w.alert_sources {
        let fetch = |s: Arc<dyn AlertSource>| async move { s.alerts().await };
        let n = poller::watch(
            s.clone(),
            s.name(),
            every(1),
            w.timeout,
            &tx,
            fetch,
            Msg::Alerts,
        );
        runner.refresh.push(n);
        // Silences too, for the sources that have them.
        if s.can_silence() {
            let fetch = |s: Arc<dyn AlertSource>| async move { s.silences().await };
            let n = poller::watch(
                s.clone(),
                s.name(),
                every(2),
                w.timeout,
                &tx,
                fetch,
                Msg::Silences,
            );
            runner.refresh.push(n);
        }
    }
    for s in &w.metric_sources {
        let rx = window_rx.clone();
        let fetch = move |s: Arc<dyn MetricSource>| {
            let window = *rx.borrow();
            async move { s.panels(window).await }
        };
        let n = poller::watch(
            s.clone(),
            s.name(),
            every(1),
            w.timeout,
            &tx,
            fetch,
            Msg::Metrics,
        );
        runner.refresh.push(n);
    }
    for p in &w.flag_providers {
        let fetch = |p: Arc<dyn FlagProvider>| async move { p.list().await };
        let n = poller::watch(
            p.clone(),
            p.name(),
            every(3),
            w.timeout,
            &tx,
            fetch,
            Msg::Flags,
        );
        runner.flags_refresh.push(n);
        runner.providers.push(p.clone());
    }
    runner.alert_sources = w.alert_sources.clone();
    runner.release = w.release.clone();
    // What is deployed, so the rollback confirmation can name it.
    if let Some(r) = &w.release {
        let fetch = |r: Arc<dyn ReleaseControl>| async move { r.current().await };
        let n = poller::watch(
            r.clone(),
            r.name(),
            every(3),
            w.timeout,
            &tx,
            fetch,
            Msg::Release,
        );
        runner.refresh.push(n);
    }
    (runner, rx)
}

/// Run the interactive loop until the user quits.
pub async fn run(
    terminal: &mut ratatui::DefaultTerminal,
    state: &mut State,
    mut theme: Theme,
    runner: Runner,
    mut rx: mpsc::Receiver<Msg>,
    wiring: &Wiring,
) -> anyhow::Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    if let Ok(size) = terminal.size() {
        state.viewport = (size.width, size.height);
    }
    for fx in state::start(state, Utc::now()) {
        runner.run(fx);
    }
    terminal.draw(|f| crate::ui::draw(f, state, &theme, Utc::now()))?;

    loop {
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
                Some(Ok(TermEvent::Resize(w, h))) => Some(Msg::Resize(w, h)),
                Some(Ok(_)) => None,
                Some(Err(e)) => {
                    tracing::error!("terminal event error: {e}");
                    None
                }
                None => break,
            },
            m = rx.recv() => m,
            _ = tick.tick() => Some(Msg::Tick),
        };
        let Some(first) = first else { continue };
        // Drain what is already queued, then draw once.
        let mut batch = vec![first];
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        for msg in batch {
            let now = Utc::now();
            for fx in state::update(state, msg, now) {
                if let crate::state::Effect::Copy(text) = &fx {
                    copy_to_clipboard(terminal, text);
                }
                runner.run(fx);
            }
        }
        if state.quit {
            break;
        }
        if state.theme_name != theme.name {
            let (t, notice) = Theme::load(
                &state.theme_name,
                wiring.user_theme_dir.as_deref(),
                wiring.no_color,
            );
            theme = t;
            if let Some(n) = notice {
                state.notice = Some(state::Notice {
                    level: state::Level::Warning,
                    text: n,
                    at: Utc::now(),
                });
            }
            theme.name = state.theme_name.clone();
        }
        terminal.draw(|f| crate::ui::draw(f, state, &theme, Utc::now()))?;
    }
    Ok(())
}

/// Put `text` on the clipboard with the OSC 52 escape sequence, which the
/// terminal (and tmux with `set-clipboard on`) turns into a copy, also
/// over ssh. Written by the loop, which owns the terminal, between frames.
fn copy_to_clipboard(terminal: &mut ratatui::DefaultTerminal, text: &str) {
    use base64::Engine as _;
    use std::io::Write as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let out = terminal.backend_mut();
    if let Err(e) = write!(out, "\x1b]52;c;{b64}\x07").and_then(|_| out.flush()) {
        tracing::warn!("clipboard: {e}");
    }
}
