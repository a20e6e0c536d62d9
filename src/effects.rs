//! The effect runner: the only place that does I/O on behalf of `update`.
//! Each effect runs on its own task (or the journal thread) and reports
//! back as a message; nothing here blocks the event loop.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch, Notify};

use crate::config::theme::Theme;
use crate::deadline::within;
use crate::domain::Event;
use crate::flags::{self, FlagProvider};
use crate::sources::{AlertSource, ReleaseControl};
use crate::state::playbooks::PlaybookMsg;
use crate::state::{Effect, Level, Msg};
use crate::timeline::export::{self, Format};
use crate::timeline::journal::{self, Follower, Holder, Journal};
use crate::tui::{osc52, Screen};

/// A request to the journal thread.
enum Request {
    Append(Box<Append>),
    /// A storm's alert transitions: built into entries here, on the
    /// journal's thread, and appended with one fsync.
    AppendAlerts(crate::state::alerts::AlertTransitions),
    /// Become the writer of this journal (its writer quit).
    TakeOver(PathBuf),
}

struct Append {
    actor: String,
    event: Event,
    then: Vec<Effect>,
}

/// How often the journal is checked for what other processes appended:
/// the follower's "live", and a headless note reaching the writer's
/// screen.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// Everything the runner acts through, handed to [`Runner::new`] whole.
pub struct Parts {
    /// Where results go, as messages.
    pub tx: mpsc::Sender<Msg>,
    /// The open incident's journal, if one was resumed and this cockpit
    /// writes it.
    pub journal: Option<Journal>,
    /// The open incident's journal, when another cockpit writes it.
    pub follower: Option<Follower>,
    /// Who this cockpit is, for the writer lock of the incidents it
    /// declares or takes over.
    pub holder: Holder,
    /// The team database, when `[team]` is configured: the open
    /// incident is shared.
    pub team: Option<TeamParts>,
    /// Ask the pollers of alerts, silences, metrics and the release for a
    /// poll now.
    pub refresh: Vec<Arc<Notify>>,
    /// The same, for the flag providers' pollers.
    pub flags_refresh: Vec<Arc<Notify>>,
    /// The metrics window the metric pollers read.
    pub window: watch::Sender<chrono::Duration>,
    pub providers: Vec<Arc<dyn FlagProvider>>,
    pub release: Option<Arc<dyn ReleaseControl>>,
    /// Alert sources, for silences (found by name).
    pub alert_sources: Vec<Arc<dyn AlertSource>>,
    /// Metric sources, to chart a rule's expression.
    pub metric_sources: Vec<Arc<dyn crate::sources::MetricSource>>,
    pub data_dir: PathBuf,
    pub export_dir: PathBuf,
    /// Deadline of each remote call an effect makes.
    pub timeout: Duration,
    /// The terminal, for the clipboard sequence (between frames).
    pub screen: Screen,
    /// Where loaded themes go: the loop draws with them.
    pub themes: mpsc::Sender<Theme>,
    /// The user's themes, and whether colour is off (NO_COLOR).
    pub themes_dir: Option<PathBuf>,
    pub no_color: bool,
    /// The chat channels status updates are posted to.
    pub chat: ChatParts,
}

/// What posting status updates needs: the channels and how hard to try.
#[derive(Debug, Clone, Default)]
pub struct ChatParts {
    pub channels: Vec<crate::chat::Channel>,
    pub policy: crate::chat::webhook::Policy,
}

/// What sharing an incident needs.
#[derive(Clone)]
pub struct TeamParts {
    pub settings: crate::team::db::Settings,
    /// The responder's signing key (made on first use).
    pub key: PathBuf,
    /// Who is looking, for the others' headers.
    pub responder: String,
    pub host: String,
}

/// Runs effects. Cheap to call; all work happens elsewhere.
pub struct Runner {
    team: Option<TeamParts>,
    /// The incident being shared (one at a time), and its wake-up.
    sharing: std::sync::Mutex<Option<String>>,
    team_wake: Arc<Notify>,
    tx: mpsc::Sender<Msg>,
    journal: std::sync::mpsc::Sender<Request>,
    refresh: Vec<Arc<Notify>>,
    flags_refresh: Vec<Arc<Notify>>,
    window: watch::Sender<chrono::Duration>,
    providers: Vec<Arc<dyn FlagProvider>>,
    release: Option<Arc<dyn ReleaseControl>>,
    alert_sources: Vec<Arc<dyn AlertSource>>,
    metric_sources: Vec<Arc<dyn crate::sources::MetricSource>>,
    data_dir: PathBuf,
    export_dir: PathBuf,
    timeout: Duration,
    screen: Screen,
    themes: mpsc::Sender<Theme>,
    themes_dir: Option<PathBuf>,
    no_color: bool,
    chat: ChatParts,
}

impl Runner {
    /// Ask one system what changed (`Effect::AskChanges`) on a task of
    /// its own, and send its answer, or why there is none.
    fn report_changes(
        &self,
        source: String,
        since: chrono::DateTime<chrono::Utc>,
        ask: impl std::future::Future<
                Output = anyhow::Result<Option<Vec<crate::domain::event::ReportedChange>>>,
            > + Send
            + 'static,
    ) {
        let (tx, timeout) = (self.tx.clone(), self.timeout);
        tokio::spawn(async move {
            let result = within(timeout, ask, |t| format!("no answer within {t:?}")).await;
            let _ = tx
                .send(Msg::ChangesReported {
                    source,
                    since,
                    result,
                })
                .await;
        });
    }

    /// Start the journal thread and take over `parts`.
    pub fn new(parts: Parts) -> Runner {
        let Parts {
            tx,
            journal,
            follower,
            holder,
            team,
            refresh,
            flags_refresh,
            window,
            providers,
            release,
            alert_sources,
            metric_sources,
            data_dir,
            export_dir,
            timeout,
            screen,
            themes,
            themes_dir,
            no_color,
            chat,
        } = parts;
        let (jtx, jrx) = std::sync::mpsc::channel::<Request>();
        let thread_tx = tx.clone();
        let dir = data_dir.clone();
        // Set when this cockpit took over: the follower thread stops.
        let following = Arc::new(std::sync::atomic::AtomicBool::new(follower.is_some()));
        if let Some(f) = follower {
            let (tx, on) = (tx.clone(), following.clone());
            std::thread::Builder::new()
                .name("follower".into())
                .spawn(move || follow_thread(f, tx, on))
                .map_err(|e| tracing::error!("cannot start follower thread: {e}"))
                .ok();
        }
        let team_wake = Arc::new(Notify::new());
        let shared_now = journal
            .as_ref()
            .filter(|_| team.is_some())
            .map(|j| j.id().to_string());
        let writer = Writer {
            journal,
            holder,
            data_dir: dir,
            following,
            wake: team_wake.clone(),
        };
        std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || journal_thread(jrx, thread_tx, writer))
            .map_err(|e| tracing::error!("cannot start journal thread: {e}"))
            .ok();
        let runner = Runner {
            team,
            sharing: std::sync::Mutex::new(None),
            team_wake,
            tx,
            journal: jtx,
            refresh,
            flags_refresh,
            window,
            providers,
            release,
            alert_sources,
            metric_sources,
            data_dir,
            export_dir,
            timeout,
            screen,
            themes,
            themes_dir,
            no_color,
            chat,
        };
        if let Some(id) = shared_now {
            runner.share(id);
        }
        runner
    }

    /// The team database and the shared incident, when there is one: what
    /// claiming an action needs.
    fn claims(&self) -> Option<(TeamParts, String)> {
        let id = self.sharing.lock().ok()?.clone()?;
        Some((self.team.clone()?, id))
    }

    /// Start sharing incident `id` through the team database (once).
    fn share(&self, id: String) {
        let Some(team) = self.team.clone() else {
            return;
        };
        if let Ok(mut s) = self.sharing.lock() {
            if s.as_deref() == Some(id.as_str()) {
                return;
            }
            *s = Some(id.clone());
        }
        let path = journal::journal_path(&self.data_dir, &id);
        let (tx, wake) = (self.tx.clone(), self.team_wake.clone());
        tokio::spawn(team_task(team, id, path, tx, wake));
    }

    /// Which shared incidents this responder has not joined: answered as
    /// `TeamMsg::Shared`, within the connect timeout (the database down
    /// is an answer too, never a hang).
    fn list_shared(&self) {
        use crate::state::team::{Joinable, TeamMsg};
        let (tx, data_dir, team) = (self.tx.clone(), self.data_dir.clone(), self.team.clone());
        tokio::spawn(async move {
            let answer = match team {
                None => Err("no team database configured".to_string()),
                Some(t) => {
                    let bound = t.settings.timeout * 2;
                    let asked = async {
                        let db = crate::team::db::Team::connect(&t.settings).await?;
                        db.incidents().await
                    };
                    match tokio::time::timeout(bound, asked).await {
                        Err(_) => Err(format!("no answer within {}s", bound.as_secs())),
                        Ok(Err(e)) => Err(e.to_string()),
                        Ok(Ok(list)) => Ok(list
                            .into_iter()
                            .filter(|i| !journal::journal_path(&data_dir, &i.id).exists())
                            .map(|i| Joinable {
                                id: i.id,
                                title: i.title,
                                declared_by: i.declared_by,
                                declared_at: i.declared_at,
                            })
                            .collect()),
                    }
                }
            };
            let _ = tx.send(Msg::Team(TeamMsg::Shared(answer))).await;
        });
    }

    pub fn run(&self, effect: Effect) {
        match effect {
            Effect::Record { actor, event, then } => {
                let request = Request::Append(Box::new(Append { actor, event, then }));
                if let Err(std::sync::mpsc::SendError(Request::Append(a))) =
                    self.journal.send(request)
                {
                    let Append { actor, event, then } = *a;
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        let _ = tx
                            .send(Msg::RecordFailed {
                                actor,
                                event,
                                error: "journal thread stopped".into(),
                                then,
                            })
                            .await;
                    });
                }
            }
            Effect::RecordAlerts(t) => {
                if let Err(std::sync::mpsc::SendError(Request::AppendAlerts(t))) =
                    self.journal.send(Request::AppendAlerts(t))
                {
                    for fx in t.into_records() {
                        self.run(fx); // each fails as above
                    }
                }
            }
            Effect::Free(old) => {
                tokio::task::spawn_blocking(move || drop(old));
            }
            Effect::ShareIncident { id } => self.share(id),
            Effect::ListShared => self.list_shared(),
            Effect::TakeOver { id } => {
                let path = journal::journal_path(&self.data_dir, &id);
                if self.journal.send(Request::TakeOver(path)).is_err() {
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        let _ = tx
                            .send(Msg::TookOver(Err("journal thread stopped".into())))
                            .await;
                    });
                }
            }
            Effect::RefreshAll => {
                for n in self.refresh.iter().chain(&self.flags_refresh) {
                    n.notify_one();
                }
            }
            Effect::Chart { panel } => {
                for m in self.metric_sources.iter().filter(|m| m.has_rules()) {
                    m.chart(panel.clone());
                }
                for n in &self.refresh {
                    n.notify_one();
                }
            }
            Effect::FetchHistory {
                fingerprint,
                alertname,
                labels,
            } => {
                let source = self.metric_sources.iter().find(|m| m.has_rules()).cloned();
                let (tx, timeout) = (self.tx.clone(), self.timeout);
                tokio::spawn(async move {
                    let result = match source {
                        Some(s) => {
                            within(timeout, s.history(&alertname, &labels), |t| {
                                format!("no answer within {t:?}")
                            })
                            .await
                        }
                        None => Err("no metric source keeps alert history".into()),
                    };
                    let _ = tx
                        .send(Msg::History {
                            fingerprint,
                            result,
                        })
                        .await;
                });
            }
            Effect::RefreshFlags => {
                for n in &self.flags_refresh {
                    n.notify_one();
                }
            }
            Effect::SetWindow(w) => {
                let _ = self.window.send(w);
                for n in &self.refresh {
                    n.notify_one();
                }
            }
            Effect::FlipFlag {
                provider,
                flag,
                wanted,
            } => {
                let tx = self.tx.clone();
                let timeout = self.timeout;
                let p = self
                    .providers
                    .iter()
                    .find(|p| p.name() == provider)
                    .cloned();
                let team = self.claims();
                tokio::spawn(async move {
                    // Not twice across people: claimed in the team database.
                    let claimed = claim(team, "flag", &flag).await;
                    let result = match (claimed.as_ref(), p) {
                        (Err(held), _) => Err(flags::FlipError {
                            before: None,
                            after: None,
                            message: held.clone(),
                        }),
                        (Ok(_), Some(p)) => flags::flip(p.as_ref(), &flag, wanted, timeout).await,
                        (Ok(_), None) => Err(flags::FlipError {
                            before: None,
                            after: None,
                            message: format!("no flag provider named `{provider}` is configured"),
                        }),
                    };
                    if let Ok(Some(c)) = claimed {
                        c.release().await;
                    }
                    let _ = tx
                        .send(Msg::FlipDone {
                            provider,
                            flag,
                            wanted,
                            result,
                        })
                        .await;
                });
            }
            Effect::Rollback => {
                let tx = self.tx.clone();
                let timeout = self.timeout;
                let release = self.release.clone();
                let team = self.claims();
                tokio::spawn(async move {
                    let claimed = claim(team, "rollback", "release").await;
                    let result = match (claimed.as_ref(), release) {
                        (Err(held), _) => Err(held.clone()),
                        (Ok(_), Some(r)) => {
                            within(timeout, r.rollback(), |t| {
                                format!("timed out after {t:?}; check the deploy system")
                            })
                            .await
                        }
                        (Ok(_), None) => Err("no rollback is configured".into()),
                    };
                    if let Ok(Some(c)) = claimed {
                        c.release().await;
                    }
                    let _ = tx.send(Msg::RollbackDone(result)).await;
                });
            }
            Effect::AskChanges { since } => {
                // Each system answers on its own, within the timeout.
                if let Some(r) = self.release.clone() {
                    let name = r.name().to_string();
                    self.report_changes(name, since, async move { r.deploys_since(since).await });
                }
                for p in self.providers.clone() {
                    let name = p.name().to_string();
                    self.report_changes(name, since, async move { p.changes_since(since).await });
                }
            }
            Effect::Export { format, id } => {
                let tx = self.tx.clone();
                let data_dir = self.data_dir.clone();
                let export_dir = self.export_dir.clone();
                tokio::task::spawn_blocking(move || {
                    let result =
                        export_to_file(&data_dir, &export_dir, &id, format).map(|p| (format, p));
                    let _ = tx.blocking_send(Msg::Exported(result.map_err(|e| format!("{e:#}"))));
                });
            }
            Effect::CreateSilence {
                source,
                silence,
                action,
                target,
            } => {
                let src = self
                    .alert_sources
                    .iter()
                    .find(|s| s.name() == source)
                    .cloned();
                let (tx, timeout) = (self.tx.clone(), self.timeout);
                tokio::spawn(async move {
                    let result = match src {
                        Some(s) => within(timeout, s.create_silence(&silence), |t| {
                            format!("timed out after {t:?}; check the silences before retrying")
                        })
                        .await
                        .map(|(id, via)| {
                            format!(
                                "silence {id} via {via}, until {}",
                                silence.ends_at.format("%Y-%m-%d %H:%MZ")
                            )
                        }),
                        None => Err(format!("no alert source named `{source}` is configured")),
                    };
                    let _ = tx
                        .send(Msg::SilenceDone {
                            action,
                            target,
                            result,
                        })
                        .await;
                });
            }
            Effect::ExpireSilence {
                source,
                ids,
                target,
                action,
            } => {
                let src = self
                    .alert_sources
                    .iter()
                    .find(|s| s.name() == source)
                    .cloned();
                let (tx, timeout) = (self.tx.clone(), self.timeout);
                tokio::spawn(async move {
                    let result = match src {
                        Some(s) => {
                            let mut done = Vec::new();
                            let mut errors = Vec::new();
                            for id in &ids {
                                let late = |t| format!("timed out after {t:?}");
                                match within(timeout, s.expire_silence(id), late).await {
                                    Ok(via) => done.push(format!("{id} via {via}")),
                                    Err(e) => errors.push(format!("{id}: {e}")),
                                }
                            }
                            if errors.is_empty() {
                                Ok(format!("expired {}", done.join(", ")))
                            } else if done.is_empty() {
                                Err(errors.join("; "))
                            } else {
                                Err(format!(
                                    "expired {}, but {}",
                                    done.join(", "),
                                    errors.join("; ")
                                ))
                            }
                        }
                        None => Err(format!("no alert source named `{source}` is configured")),
                    };
                    let _ = tx
                        .send(Msg::SilenceDone {
                            action,
                            target,
                            result,
                        })
                        .await;
                });
            }
            Effect::PlaybookStep(job) => {
                let ctx = crate::playbook::exec::Ctx {
                    providers: self.providers.clone(),
                    release: self.release.clone(),
                    timeout: self.timeout,
                    limits: Default::default(),
                };
                spawn_step(job, ctx, self.claims(), self.tx.clone());
            }
            Effect::OpenUrl(url) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    // The URL is one argv element: no shell ever sees it.
                    let opener = std::env::var("BROWSER")
                        .ok()
                        .filter(|b| !b.trim().is_empty());
                    let program = opener.unwrap_or_else(|| "xdg-open".into());
                    let child = tokio::process::Command::new(&program)
                        .arg(&url)
                        .stdin(std::process::Stdio::null())
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .kill_on_drop(true)
                        .spawn();
                    let msg = match child {
                        Ok(mut c) => {
                            match tokio::time::timeout(Duration::from_secs(10), c.wait()).await {
                                Ok(Ok(s)) if s.success() => None,
                                Ok(Ok(s)) => Some(format!(
                                    "{program} {url} exited with {s}; y copies the link"
                                )),
                                Ok(Err(e)) => Some(format!("{program}: {e}")),
                                // Still running (a browser in the foreground): fine.
                                Err(_) => None,
                            }
                        }
                        Err(e) => Some(format!(
                            "cannot run {program} ({e}): no browser here? y copies the link instead"
                        )),
                    };
                    if let Some(m) = msg {
                        let _ = tx.send(Msg::Notice(Level::Warning, m)).await;
                    }
                });
            }
            Effect::Copy(text) => {
                // OSC 52, which the terminal (and tmux with `set-clipboard
                // on`) turns into a copy, also over ssh. The text goes
                // base64-encoded: nothing in it (remote alert text
                // included) reaches the terminal as control characters.
                let sequence = osc52(&text);
                let screen = self.screen.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = screen.write(sequence.as_bytes()) {
                        tracing::warn!("clipboard: {e}");
                    }
                });
            }
            Effect::SendUpdate { channel, message } => {
                let tx = self.tx.clone();
                let found = self
                    .chat
                    .channels
                    .iter()
                    .find(|c| c.name == channel)
                    .cloned();
                let policy = self.chat.policy.clone();
                tokio::spawn(async move {
                    let result = match found {
                        None => Err(format!("channel {channel} is not configured")),
                        Some(ch) => match crate::chat::webhook::client(&policy) {
                            Ok(client) => {
                                crate::chat::webhook::post(&client, &ch, &message, &policy).await
                            }
                            Err(e) => Err(e),
                        },
                    };
                    let _ = tx
                        .send(Msg::UpdateSent {
                            id: message.id,
                            channel,
                            result,
                        })
                        .await;
                });
            }
            Effect::SetTheme(name) => {
                let (tx, themes) = (self.tx.clone(), self.themes.clone());
                let (dir, no_color) = (self.themes_dir.clone(), self.no_color);
                tokio::task::spawn_blocking(move || {
                    let (mut theme, notice) = Theme::load(&name, dir.as_deref(), no_color);
                    // Named as asked even when it fell back to the
                    // default, so that the header shows what was chosen.
                    theme.name = name;
                    if let Some(n) = notice {
                        let _ = tx.blocking_send(Msg::Notice(Level::Warning, n));
                    }
                    let _ = themes.blocking_send(theme);
                });
            }
            // Quitting is handled in one place, the loop (app::run): it
            // stops once update has set `state.quit`. Nothing to run.
            Effect::Quit => {}
        }
    }
}

/// Write an export of incident `id` into `export_dir`; returns the path.
pub fn export_to_file(
    data_dir: &std::path::Path,
    export_dir: &std::path::Path,
    id: &str,
    format: Format,
) -> anyhow::Result<PathBuf> {
    let text = export::export_incident_shared(
        data_dir,
        Some(id),
        format,
        Utc::now(),
        &crate::wiring::shared_part,
    )?;
    std::fs::create_dir_all(export_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the export directory: {e}: {}",
            export_dir.display()
        )
    })?;
    let name = match format {
        Format::Markdown => format!("{id}-postmortem.md"),
        Format::Json => format!("{id}-timeline.json"),
    };
    let path = export_dir.join(name);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)
        .map_err(|e| anyhow::anyhow!("cannot write the export: {e}: {}", tmp.display()))?;
    std::fs::rename(&tmp, &path)
        .map_err(|e| anyhow::anyhow!("cannot write the export: {e}: {}", path.display()))?;
    Ok(path)
}

/// Run `job` on a task; live output and the result come back as
/// messages.
fn spawn_step(
    job: crate::playbook::exec::StepJob,
    ctx: crate::playbook::exec::Ctx,
    team: Option<(TeamParts, String)>,
    tx: mpsc::Sender<Msg>,
) {
    tokio::spawn(async move {
        let live = tx.clone();
        let (run_id, step, attempt) = (job.run_id.clone(), job.step, job.attempt);
        let mut on_lines = move |lines: Vec<String>| {
            // Live output is best effort (the result carries the tail).
            let _ = live.try_send(Msg::Playbook(PlaybookMsg::Output {
                run_id: run_id.clone(),
                step,
                attempt,
                lines,
            }));
        };
        let outcome = carry_out_step(&job, &ctx, team, &mut on_lines).await;
        let _ = tx
            .send(Msg::Playbook(PlaybookMsg::StepDone {
                run_id: job.run_id,
                step: job.step,
                attempt: job.attempt,
                outcome,
            }))
            .await;
    });
}

/// Carry out one playbook step: claimed first in the team database when
/// it acts on the world (not twice across people, like the flags pane's
/// flips and `B`), refused with "not run: <who holds it>" while another
/// responder's same action is in flight, let go of after.
pub async fn carry_out_step(
    job: &crate::playbook::exec::StepJob,
    ctx: &crate::playbook::exec::Ctx,
    team: Option<(TeamParts, String)>,
    on_lines: &mut (dyn FnMut(Vec<String>) + Send),
) -> crate::playbook::exec::StepOutcome {
    // Not twice across people: claimed like the pane's flips and `B`.
    let claimed = match &job.claim {
        Some((action, target)) => claim(team, action, target).await,
        None => Ok(None),
    };
    let outcome = match &claimed {
        Err(held) => crate::playbook::exec::StepOutcome {
            ok: false,
            exit_code: None,
            duration_ms: 0,
            output: Vec::new(),
            detail: format!("not run: {held}"),
            flag: None,
            changed: false,
        },
        Ok(_) => crate::playbook::exec::execute(&job.action, ctx, on_lines).await,
    };
    if let Ok(Some(c)) = claimed {
        c.release().await;
    }
    outcome
}

/// The journal thread's own: the journal it writes, and who it is.
struct Writer {
    journal: Option<Journal>,
    holder: Holder,
    data_dir: PathBuf,
    /// Cleared on taking over: the follower thread stops.
    following: Arc<std::sync::atomic::AtomicBool>,
    /// Told after each append: the team sync sends it at once.
    wake: Arc<Notify>,
}

/// Appends, one at a time, in order; and, while a journal is open, a look
/// every [`FOLLOW_EVERY`] for what headless commands appended to it.
fn journal_thread(rx: std::sync::mpsc::Receiver<Request>, tx: mpsc::Sender<Msg>, mut w: Writer) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut last_error = None;
    loop {
        let request = if w.journal.is_some() {
            match rx.recv_timeout(FOLLOW_EVERY) {
                Ok(r) => r,
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(j) = w.journal.as_mut() {
                        let msg = match j.catch_up() {
                            Ok(entries) if entries.is_empty() => None,
                            Ok(entries) => Some(Msg::Followed(entries)),
                            Err(e) => {
                                let e = e.to_string();
                                // Once per distinct error, not twice a second.
                                (last_error.as_ref() != Some(&e)).then(|| {
                                    last_error = Some(e.clone());
                                    Msg::Notice(Level::Error, format!("JOURNAL ERROR: {e}"))
                                })
                            }
                        };
                        if let Some(m) = msg {
                            if tx.blocking_send(m).is_err() {
                                break;
                            }
                        }
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(r) => r,
                Err(_) => break,
            }
        };
        let msgs = match request {
            // Group commit: the appends already waiting go with this one,
            // one write and one fsync for all (an alert storm queues
            // thousands; a note typed meanwhile waits for one batch).
            Request::Append(a) if batchable(&w, &a) => {
                let mut batch = vec![*a];
                let mut after = None;
                while batch.len() < BATCH_MAX {
                    match rx.try_recv() {
                        Ok(Request::Append(b)) if batchable(&w, &b) => batch.push(*b),
                        Ok(other) => {
                            after = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let mut msgs = append_batch(&mut w, batch);
                if let Some(other) = after {
                    msgs.extend(handle(&mut w, other));
                }
                msgs
            }
            other => handle(&mut w, other),
        };
        for m in msgs {
            if tx.blocking_send(m).is_err() {
                return;
            }
        }
    }
}

/// One request, on its own.
fn handle(w: &mut Writer, request: Request) -> Vec<Msg> {
    match request {
        Request::Append(a) => append(w, *a),
        Request::AppendAlerts(t) => {
            let batch = t
                .into_entries()
                .into_iter()
                .map(|event| Append {
                    actor: crate::domain::SYSTEM_ACTOR.into(),
                    event,
                    then: Vec::new(),
                })
                .collect();
            append_batch(w, batch)
        }
        Request::TakeOver(path) => vec![take_over(w, &path)],
    }
}

/// The most entries one group commit writes.
const BATCH_MAX: usize = 4096;

/// Can this append join a batch: a journal is open and it does not start
/// one (a declaration or a join creates the journal first).
fn batchable(w: &Writer, a: &Append) -> bool {
    w.journal.is_some()
        && !matches!(
            a.event,
            Event::IncidentDeclared { .. } | Event::TeamJoined { .. }
        )
}

/// Append a batch with one fsync; each entry is then `Recorded` (or all
/// `RecordFailed`: nothing of the batch was kept), in order.
fn append_batch(w: &mut Writer, batch: Vec<Append>) -> Vec<Msg> {
    let Some(j) = w.journal.as_mut() else {
        return batch
            .into_iter()
            .map(|a| Msg::RecordFailed {
                actor: a.actor,
                event: a.event,
                error: "no incident journal is open".into(),
                then: a.then,
            })
            .collect();
    };
    let now = Utc::now();
    let items = batch
        .iter()
        .map(|a| (now, a.actor.clone(), a.event.clone()))
        .collect();
    let appended = j.append_batch(items);
    w.wake.notify_one();
    let foreign = j.take_foreign();
    let mut out = Vec::with_capacity(batch.len() + 1);
    if !foreign.is_empty() {
        out.push(Msg::Followed(foreign));
    }
    match appended {
        Ok(entries) => {
            for (entry, a) in entries.into_iter().zip(batch) {
                out.push(Msg::Recorded {
                    entry,
                    then: a.then,
                });
            }
        }
        Err(e) => {
            tracing::error!("journal append of {} entries failed: {e}", batch.len());
            let error = e.to_string();
            for a in batch {
                out.push(Msg::RecordFailed {
                    actor: a.actor,
                    event: a.event,
                    error: error.clone(),
                    then: a.then,
                });
            }
        }
    }
    out
}

fn append(w: &mut Writer, Append { actor, event, then }: Append) -> Vec<Msg> {
    // A new incident's journal: declared here, or joined (another
    // responder shared it; this responder's own feed of it starts).
    let new = match &event {
        Event::IncidentDeclared { id, .. } => Some(id),
        Event::TeamJoined { id, .. } if w.journal.is_none() => Some(id),
        _ => None,
    };
    if let Some(id) = new {
        let created = Journal::create(&w.data_dir, id).and_then(|mut j| {
            // A new journal: nobody else can hold it.
            j.hold(&w.holder).map(|_| j)
        });
        match created {
            Ok(j) => w.journal = Some(j),
            Err(e) => {
                return vec![Msg::RecordFailed {
                    actor,
                    event,
                    error: e.to_string(),
                    then,
                }]
            }
        }
    }
    let Some(j) = w.journal.as_mut() else {
        return vec![Msg::RecordFailed {
            actor,
            event,
            error: "no incident journal is open".into(),
            then,
        }];
    };
    let appended = j.append(Utc::now(), &actor, event.clone());
    w.wake.notify_one();
    // What headless commands appended comes first: it is earlier.
    let foreign = j.take_foreign();
    let mut out = Vec::new();
    if !foreign.is_empty() {
        out.push(Msg::Followed(foreign));
    }
    out.push(match appended {
        Ok(entry) => Msg::Recorded { entry, then },
        Err(e) => {
            tracing::error!("journal append failed: {e}");
            Msg::RecordFailed {
                actor,
                event,
                error: e.to_string(),
                then,
            }
        }
    });
    out
}

fn take_over(w: &mut Writer, path: &std::path::Path) -> Msg {
    let result = Journal::open(path).and_then(|(mut j, replay)| {
        Ok(match j.hold(&w.holder)? {
            None => Ok((j, replay)),
            Some(h) => Err(match h {
                Some(h) => format!("{h} took it first"),
                None => "another firebreak took it first".into(),
            }),
        })
    });
    match result {
        Ok(Ok((j, replay))) => {
            w.following
                .store(false, std::sync::atomic::Ordering::SeqCst);
            w.journal = Some(j);
            Msg::TookOver(Ok(replay.entries))
        }
        Ok(Err(why)) => Msg::TookOver(Err(why)),
        Err(e) => Msg::TookOver(Err(e.to_string())),
    }
}

/// Follow a journal another cockpit writes: new entries every
/// [`FOLLOW_EVERY`], and whether its writer is still there every other
/// look.
fn follow_thread(mut f: Follower, tx: mpsc::Sender<Msg>, on: Arc<std::sync::atomic::AtomicBool>) {
    let mut was_held: Option<bool> = None;
    let mut looks = 0u64;
    let mut failed = false;
    while on.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(FOLLOW_EVERY);
        if !on.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let mut msgs = Vec::new();
        if !failed {
            match f.poll() {
                Ok(entries) if entries.is_empty() => {}
                Ok(entries) => msgs.push(Msg::Followed(entries)),
                Err(e) => {
                    failed = true;
                    msgs.push(Msg::FollowFailed(e.to_string()));
                }
            }
        }
        looks += 1;
        if looks % 2 == 1 {
            match journal::lock::holder(f.path()) {
                Ok(now) => {
                    if was_held != Some(now.is_some()) {
                        was_held = Some(now.is_some());
                        msgs.push(Msg::WriterSeen(now));
                    }
                }
                Err(e) => tracing::warn!("cannot look at the writer lock: {e}"),
            }
        }
        for m in msgs {
            if tx.blocking_send(m).is_err() {
                return;
            }
        }
    }
}

/// How often the team database is asked for news when nothing woke the
/// sync: a local append and the database's NOTIFY of a new row wake it at
/// once; this is the safety net for a lost notification.
const TEAM_EVERY: Duration = Duration::from_secs(2);

/// How often this cockpit says it is looking, and for how long the others
/// believe it.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
const PRESENCE_FRESH: Duration = Duration::from_secs(15);

/// Share one incident: a round now, after every local append, on every
/// NOTIFY from the database and every [`TEAM_EVERY`]; report status and
/// the merged incident. Offline, it
/// keeps trying; nothing is lost (the journal holds everything).
async fn team_task(
    team: TeamParts,
    id: String,
    journal_path: PathBuf,
    tx: mpsc::Sender<Msg>,
    wake: Arc<Notify>,
) {
    use crate::state::team::TeamMsg;
    use crate::team::db::Team;
    let me = match crate::team::keys::Identity::load_or_create(&team.key) {
        Ok((me, _)) => me,
        Err(e) => {
            let _ = tx
                .send(Msg::Notice(Level::Error, format!("Team: {e}")))
                .await;
            return;
        }
    };
    let (mut sync, _) = match crate::team::sync::Sync::open(&id, me, &journal_path) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx
                .send(Msg::Notice(Level::Error, format!("Team: {e}")))
                .await;
            return;
        }
    };
    let mut db: Option<Team> = None;
    let mut last_canonical = None;
    let mut beat_at: Option<std::time::Instant> = None;
    let mut present: Vec<String> = Vec::new();
    // The first look shows what the mirror holds, even offline.
    let mut changed = true;
    let mut last_status = None;
    // Status only when it changed: an idle incident stays quiet.
    let mut report = |s: TeamMsg| {
        let changed = last_status.as_ref() != Some(&s);
        last_status = Some(s.clone());
        changed.then_some(Msg::Team(s))
    };
    loop {
        if db.as_ref().is_some_and(Team::is_closed) {
            db = None;
        }
        if db.is_none() {
            db = match Team::connect_listening(&team.settings, wake.clone()).await {
                Ok(t) => Some(t),
                Err(e) => {
                    let unsent = sync.unsent().unwrap_or(0);
                    let status = TeamMsg::Status {
                        online: false,
                        detail: e.to_string(),
                        unsent,
                        present: Vec::new(),
                    };
                    if let Some(m) = report(status) {
                        if tx.send(m).await.is_err() {
                            return;
                        }
                    }
                    None
                }
            };
        }
        if let Some(t) = db.as_mut() {
            // Presence: a heartbeat every few seconds, and who else is here.
            if beat_at.is_none_or(|b| b.elapsed() >= HEARTBEAT_EVERY) {
                let author = sync.author();
                let looked = async {
                    t.heartbeat(&id, &author, &team.responder, &team.host)
                        .await?;
                    t.present(&id, PRESENCE_FRESH).await
                };
                if let Ok(here) = looked.await {
                    beat_at = Some(std::time::Instant::now());
                    present = here
                        .into_iter()
                        .filter(|(_, a)| *a != author)
                        .map(|(name, _)| name)
                        .collect();
                }
            }
            match sync.round(t).await {
                Ok(r) => {
                    changed |= r.sent > 0 || !r.received.is_empty() || !r.rejected.is_empty();
                    let status = TeamMsg::Status {
                        online: true,
                        detail: String::new(),
                        unsent: sync.unsent().unwrap_or(0),
                        present: present.clone(),
                    };
                    if let Some(m) = report(status) {
                        if tx.send(m).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    db = None;
                    let status = TeamMsg::Status {
                        online: false,
                        detail: e.to_string(),
                        unsent: sync.unsent().unwrap_or(0),
                        present: Vec::new(),
                    };
                    if let Some(m) = report(status) {
                        if tx.send(m).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
        // The incident as the team knows it (from disk: offline too),
        // when something was sent or received, or this cockpit wrote.
        let merged = if std::mem::take(&mut changed) {
            crate::team::sync::merged(&journal_path, &id)
        } else {
            Ok(None)
        };
        if let Ok(Some(m)) = merged {
            let hashes: Vec<String> = m.entries.iter().map(|e| e.hash.clone()).collect();
            if last_canonical.as_ref() != Some(&hashes) {
                last_canonical = Some(hashes);
                let responders = m
                    .feeds
                    .iter()
                    .map(|f| (f.responder.clone(), f.rejected.is_empty()))
                    .collect();
                let msg = TeamMsg::Merged {
                    canonical: m.entries,
                    responders,
                };
                if tx.send(Msg::Team(msg)).await.is_err() {
                    return;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TEAM_EVERY) => {}
            // A local append (or a NOTIFY): the merged view may change.
            _ = wake.notified() => changed = true,
        }
    }
}

/// How long a claim on an action holds if its holder never lets go (a
/// cockpit killed mid-action).
const CLAIM_TTL: Duration = Duration::from_secs(120);

/// A claim this cockpit holds, to let go once the action is done.
pub struct Claim {
    team: crate::team::db::Team,
    incident: String,
    action: &'static str,
    target: String,
    author: String,
}

impl Claim {
    pub async fn release(self) {
        if let Err(e) = self
            .team
            .release(&self.incident, self.action, &self.target, &self.author)
            .await
        {
            tracing::warn!(
                "team: claim on {} {} not released: {e}",
                self.action,
                self.target
            );
        }
    }
}

/// Claim `action` on `target` in the team database before doing it, so
/// two responders never carry out the same action at once. `Ok(None)`:
/// no team database, or it cannot be reached (offline: the action goes
/// ahead uncoordinated, as everything does offline); `Err`: another
/// responder is doing it, in words.
pub async fn claim(
    team: Option<(TeamParts, String)>,
    action: &'static str,
    target: &str,
) -> Result<Option<Claim>, String> {
    let Some((parts, incident)) = team else {
        return Ok(None);
    };
    let author = match crate::team::keys::Identity::load_or_create(&parts.key) {
        Ok((me, _)) => me.author(),
        Err(e) => {
            tracing::warn!("team: no claim ({e})");
            return Ok(None);
        }
    };
    let db = match crate::team::db::Team::connect(&parts.settings).await {
        Ok(db) => db,
        Err(e) => {
            tracing::warn!("team: {action} {target} not claimed (offline: {e})");
            return Ok(None);
        }
    };
    match db
        .claim(&incident, action, target, (&author, &parts.responder), CLAIM_TTL)
        .await
    {
        Ok(None) => Ok(Some(Claim {
            team: db,
            incident,
            action,
            target: target.to_string(),
            author,
        })),
        Ok(Some((who, since))) => Err(format!(
            "{} is already doing it (since {}): not done twice; their result will be on the timeline",
            crate::text::visible(&who),
            since.format("%H:%M:%SZ")
        )),
        Err(e) => {
            tracing::warn!("team: {action} {target} not claimed: {e}");
            Ok(None)
        }
    }
}
