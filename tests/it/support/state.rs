//! The app's state driven headless: settings, keys, a [`Driver`] that runs
//! `update` and carries out journal effects for real, the demo world.

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use firebreak::config::keymap::Keymap;
use firebreak::domain::incident::Severity;
use firebreak::state::{update, Effect, Msg, Settings, State};
use firebreak::timeline::journal::Journal;
use std::sync::{Arc, Mutex};

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn settings(demo: bool) -> Settings {
    Settings {
        demo,
        responder: "alice".into(),
        default_severity: Severity::Sev2,
        demo_title: Some("Checkout errors after v2.14.0 deploy".into()),
        local_offset: FixedOffset::east_opt(3600).unwrap(),
        themes: vec!["dark".into(), "light".into(), "high-contrast".into()],
        alerts_configured: true,
        metrics_configured: true,
        flags_configured: true,
        poll_interval: chrono::Duration::seconds(2),
        can_rollback: true,
        timebox: firebreak::domain::hypotheses::Timebox::default(),
        two_person: Vec::new(),
        status_updates: Default::default(),
        evidence_settle: chrono::Duration::minutes(5),
    }
}

pub fn new_state(demo: bool) -> State {
    State::new(settings(demo), Keymap::builtin(), "dark")
}

pub fn key(c: char) -> Msg {
    let m = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), m))
}

/// A ctrl-<c> key press.
pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn code(k: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(k, KeyModifiers::NONE))
}

/// A headless driver: runs `update`, and carries out journal effects
/// for real (so entries come back as `Recorded`), collecting the rest.
pub struct Driver {
    pub state: State,
    pub journal: Option<Journal>,
    pub dir: std::path::PathBuf,
    pub now: DateTime<Utc>,
    /// Non-journal effects, in order, for the test to inspect or run.
    pub outbox: Vec<Effect>,
    /// What the declaration asked release control and the flag services
    /// (`Effect::AskChanges`): kept apart, so that tests of keys see only
    /// what their keys did.
    pub asked: Vec<DateTime<Utc>>,
}

impl Driver {
    pub fn new(state: State, dir: &std::path::Path, now: DateTime<Utc>) -> Driver {
        Driver {
            state,
            journal: None,
            dir: dir.to_path_buf(),
            now,
            outbox: Vec::new(),
            asked: Vec::new(),
        }
    }

    pub fn send(&mut self, msg: Msg) {
        // A responder reads a confirmation before answering it: keys
        // come no sooner than the guard allows (tests of the guard itself
        // call `update` directly).
        if let (Msg::Key(_), Some(since)) = (&msg, self.state.confirm_since) {
            let ready = since + chrono::Duration::milliseconds(firebreak::state::CONFIRM_GUARD_MS);
            if self.now < ready {
                self.now = ready;
            }
        }
        let fx = update(&mut self.state, msg, self.now);
        self.run(fx);
    }

    /// Answer a typed confirmation: type the name it asks for, then Enter.
    pub fn type_confirmation(&mut self) {
        let firebreak::state::Mode::TypedConfirm { expect, .. } = &self.state.mode else {
            panic!("no typed confirmation open: {:?}", self.state.mode);
        };
        let name = expect.clone();
        self.keys(&name);
        self.send(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    }

    pub fn keys(&mut self, s: &str) {
        for c in s.chars() {
            self.send(key(c));
        }
    }

    pub fn run(&mut self, fx: Vec<Effect>) {
        for e in fx {
            match e {
                Effect::Record { actor, event, then } => {
                    use firebreak::domain::Event;
                    match &event {
                        Event::IncidentDeclared { id, .. } => {
                            self.journal = Some(Journal::create(&self.dir, id).unwrap())
                        }
                        Event::TeamJoined { id, .. } if self.journal.is_none() => {
                            self.journal = Some(Journal::create(&self.dir, id).unwrap())
                        }
                        _ => {}
                    }
                    let entry = self
                        .journal
                        .as_mut()
                        .expect("journal open")
                        .append(self.now, &actor, event)
                        .unwrap();
                    let fx = update(&mut self.state, Msg::Recorded { entry, then }, self.now);
                    self.run(fx);
                }
                // What the journal's thread does with a storm.
                Effect::RecordAlerts(t) => self.run(t.into_records()),
                Effect::Free(_) => {}
                Effect::AskChanges { since } => self.asked.push(since),
                other => self.outbox.push(other),
            }
        }
    }

    pub fn take_outbox(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.outbox)
    }
}

/// A poll result as a source would report it.
pub fn polled<T>(
    result: Result<T, String>,
    at: DateTime<Utc>,
) -> firebreak::sources::poller::Polled<T> {
    firebreak::sources::poller::Polled {
        source: "demo".into(),
        result,
        at,
        took: std::time::Duration::from_millis(3),
    }
}

/// The demo world behind the real interfaces, with a clock the test moves.
pub struct World0 {
    pub demo: firebreak::demo::systems::Demo,
    pub clock: Arc<Mutex<DateTime<Utc>>>,
}

pub fn demo_world(now: DateTime<Utc>) -> World0 {
    let clock = Arc::new(Mutex::new(now));
    let c = clock.clone();
    let world = firebreak::demo::World::new(firebreak::demo::Scenario::builtin().unwrap(), now);
    World0 {
        demo: firebreak::demo::systems::Demo::new(
            world,
            None,
            Arc::new(move || *c.lock().unwrap()),
        ),
        clock,
    }
}

impl Driver {
    /// A demo-mode driver whose incident has been declared (as at start).
    pub fn started(dir: &std::path::Path, now: DateTime<Utc>) -> Driver {
        let mut d = Driver::new(new_state(true), dir, now);
        let fx = firebreak::state::start(&mut d.state, now);
        d.run(fx);
        d
    }
}

/// The screen `state` draws, `w` by `h`, as text (one line per row).
pub fn render(state: &State, w: u16, h: u16) -> String {
    render_at(state, w, h, chrono::Utc::now())
}

/// [`render`] at `now` (the clock the screen shows).
pub fn render_at(state: &State, w: u16, h: u16, now: DateTime<Utc>) -> String {
    let theme = firebreak::config::theme::Theme::default_theme();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| firebreak::ui::draw(f, state, &theme, now))
        .unwrap();
    let buf = term.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect()
}

/// One poll of every demo source, as the cockpit's pollers do at `d.now`:
/// alerts, the metric panels over 15 minutes, the flags.
pub async fn poll_all(d: &mut Driver, w: &World0) {
    use firebreak::flags::FlagProvider;
    use firebreak::sources::{AlertSource, MetricSource};
    let now = d.now;
    *w.clock.lock().unwrap() = now;
    let alerts = w.demo.alerts().await.map_err(|e| e.to_string());
    d.send(Msg::Alerts(polled(alerts, now)));
    let panels = w
        .demo
        .panels(chrono::Duration::minutes(15))
        .await
        .map_err(|e| e.to_string());
    d.send(Msg::Metrics(polled(panels, now)));
    let flags = w.demo.list().await.map_err(|e| e.to_string());
    d.send(Msg::Flags(polled(flags, now)));
}

/// Carry out the playbook step effects in the outbox the way the effect
/// runner does (the same `exec::execute`), feeding output and results
/// back; how many ran.
pub async fn run_step_effects(d: &mut Driver, ctx: &firebreak::playbook::exec::Ctx) -> usize {
    use firebreak::state::playbooks::PlaybookMsg;
    let mut n = 0;
    for fx in d.take_outbox() {
        if let Effect::PlaybookStep(job) = fx {
            let mut lines = Vec::new();
            let outcome =
                firebreak::playbook::exec::execute(&job.action, ctx, &mut |l| lines.extend(l))
                    .await;
            d.send(Msg::Playbook(PlaybookMsg::Output {
                run_id: job.run_id.clone(),
                step: job.step,
                attempt: job.attempt,
                lines,
            }));
            d.send(Msg::Playbook(PlaybookMsg::StepDone {
                run_id: job.run_id,
                step: job.step,
                attempt: job.attempt,
                outcome,
            }));
            n += 1;
        }
    }
    n
}
