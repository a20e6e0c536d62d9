//! Running a command step: argv through `tokio::process::Command` (no
//! shell), or a FIXED script from the playbook file through `sh -c` with
//! values only in environment variables. The process gets its own
//! process group; a timeout kills the whole group (TERM, then KILL after
//! a grace period). Output (stdout and stderr, interleaved) is kept
//! bounded: the last [`Limits::keep_bytes`] bytes, lines clipped.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::mpsc;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Program {
    Argv(Vec<String>),
    /// A fixed script run as `SHELL -c TEXT`.
    Script {
        shell: String,
        text: String,
    },
}

impl Program {
    /// A script for `/bin/sh -c`.
    pub fn sh(text: impl Into<String>) -> Program {
        Program::Script {
            shell: SH.into(),
            text: text.into(),
        }
    }
}

/// The default shell of a script.
pub const SH: &str = "/bin/sh";

/// A fully rendered command.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandSpec {
    pub program: Program,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub expect_exit: Vec<i32>,
}

impl CommandSpec {
    /// A one-line human rendering (argv quoted for reading, not for a
    /// shell).
    pub fn display(&self) -> String {
        match &self.program {
            Program::Argv(a) => a
                .iter()
                .map(|s| quote_for_display(s))
                .collect::<Vec<_>>()
                .join(" "),
            Program::Script { shell, text: s } => {
                let first = s
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim();
                let more = if s.trim().lines().count() > 1 {
                    " …"
                } else {
                    ""
                };
                let name = shell.rsplit('/').next().unwrap_or(shell);
                format!("{name} -c '{first}{more}'")
            }
        }
    }
}

fn quote_for_display(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("{s:?}")
    }
}

/// Bounds on what is kept.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of output kept (the end of it).
    pub keep_bytes: usize,
    /// Longest line kept; longer lines are clipped.
    pub max_line: usize,
    /// Time between TERM and KILL when a command times out.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            keep_bytes: 64 * 1024,
            max_line: 2000,
            grace: Duration::from_secs(3),
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandResult {
    /// Exit code in `expect_exit`, not timed out, started.
    pub ok: bool,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
    /// The last lines of output (bounded).
    pub output: Vec<String>,
    /// Bytes of output dropped from the front.
    pub dropped_bytes: u64,
    /// Could not start, or similar.
    pub error: Option<String>,
}

impl CommandResult {
    /// One line: "exit 0 in 1.2s", "timed out after 5s (killed)".
    pub fn summary(&self) -> String {
        let secs = self.duration.as_secs_f64();
        if let Some(e) = &self.error {
            return e.clone();
        }
        if self.timed_out {
            return format!("timed out after {secs:.1}s; process group killed");
        }
        match (self.exit_code, self.signal) {
            (Some(c), _) => format!("exit {c} in {secs:.1}s"),
            (None, Some(s)) => format!("killed by signal {s} after {secs:.1}s"),
            _ => format!("ended after {secs:.1}s"),
        }
    }

    /// The last `n` lines joined, at most `max_bytes` (for the journal).
    pub fn tail(&self, n: usize, max_bytes: usize) -> String {
        tail_text(&self.output, n, max_bytes)
    }
}

/// The last `n` lines joined with newlines, cut to at most `max_bytes`
/// (on a char boundary, from the front).
pub fn tail_text(lines: &[String], n: usize, max_bytes: usize) -> String {
    let start = lines.len().saturating_sub(n);
    let mut s = lines[start..].join("\n");
    if s.len() > max_bytes {
        let mut cut = s.len() - max_bytes;
        while !s.is_char_boundary(cut) {
            cut += 1;
        }
        s = format!("…{}", &s[cut..]);
    }
    s
}

/// Bounded line buffer.
struct Tail {
    lines: std::collections::VecDeque<String>,
    bytes: usize,
    dropped: u64,
    partial: Vec<u8>,
    limits: Limits,
    fresh: Vec<String>,
}

impl Tail {
    fn new(limits: Limits) -> Tail {
        Tail {
            lines: Default::default(),
            bytes: 0,
            dropped: 0,
            partial: Vec::new(),
            limits,
            fresh: Vec::new(),
        }
    }

    fn push_bytes(&mut self, data: &[u8]) {
        for &b in data {
            if b == b'\n' {
                let line = std::mem::take(&mut self.partial);
                self.push_line(&line);
            } else if self.partial.len() < self.limits.max_line * 4 {
                self.partial.push(b);
            } else {
                self.dropped += 1;
            }
        }
    }

    fn push_line(&mut self, raw: &[u8]) {
        let mut line = String::from_utf8_lossy(raw).replace('\r', "");
        if line.chars().count() > self.limits.max_line {
            line = line.chars().take(self.limits.max_line).collect::<String>() + "…";
        }
        // Control characters would garble the terminal: drop them.
        line.retain(|c| !c.is_control() || c == '\t');
        self.bytes += line.len() + 1;
        self.lines.push_back(line.clone());
        if self.fresh.len() < 1000 {
            self.fresh.push(line);
        }
        while self.bytes > self.limits.keep_bytes && self.lines.len() > 1 {
            if let Some(l) = self.lines.pop_front() {
                self.bytes -= l.len() + 1;
                self.dropped += l.len() as u64 + 1;
            }
        }
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push_line(&line);
        }
    }
}

fn kill_group(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: killpg only sends a signal; pgid is the child's own
        // process group (it was started with process_group(0)).
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

/// Run `spec` to completion or timeout. `on_lines` receives new output
/// lines in batches (at most every 100 ms) for live display.
pub async fn run(
    spec: &CommandSpec,
    limits: Limits,
    on_lines: &mut (dyn FnMut(Vec<String>) + Send),
) -> CommandResult {
    let started = Instant::now();
    let mut cmd = match &spec.program {
        Program::Argv(argv) => {
            let Some((prog, args)) = argv.split_first() else {
                return failed(started, "empty command".into());
            };
            let mut c = Command::new(prog);
            c.args(args);
            c
        }
        Program::Script { shell, text } => {
            let mut c = Command::new(shell);
            c.arg("-c").arg(text);
            c
        }
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let what = match &spec.program {
                Program::Argv(a) => a.first().cloned().unwrap_or_default(),
                Program::Script { shell, .. } => shell.clone(),
            };
            let where_ = spec
                .cwd
                .as_ref()
                .map(|d| format!(" in {}", d.display()))
                .unwrap_or_default();
            return failed(started, format!("cannot start `{what}`{where_}: {e}"));
        }
    };
    let pgid = child.id().map_or(0, |p| p as i32);

    // Readers send chunks; the loop below owns the tail buffer.
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(64);
    let mut readers = 0;
    if let Some(mut out) = child.stdout.take() {
        readers += 1;
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = out.read(&mut buf).await {
                if n == 0 || tx.send(buf[..n].to_vec()).await.is_err() {
                    break;
                }
            }
        });
    }
    if let Some(mut err) = child.stderr.take() {
        readers += 1;
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 || tx.send(buf[..n].to_vec()).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let _ = readers;

    let mut tail = Tail::new(limits);
    let deadline = tokio::time::Instant::now() + spec.timeout;
    let mut flush = tokio::time::interval(Duration::from_millis(100));
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut timed_out = false;
    let mut pipes_open = true;
    let status = loop {
        tokio::select! {
            chunk = rx.recv(), if pipes_open => match chunk {
                Some(c) => tail.push_bytes(&c),
                None => pipes_open = false,
            },
            st = child.wait() => break st,
            _ = flush.tick() => {
                if !tail.fresh.is_empty() {
                    on_lines(std::mem::take(&mut tail.fresh));
                }
            }
            _ = tokio::time::sleep_until(deadline), if !timed_out => {
                timed_out = true;
                kill_group(pgid, libc::SIGTERM);
                let grace = tokio::time::sleep(limits.grace);
                tokio::pin!(grace);
                // Keep reading while it shuts down.
                let st = loop {
                    tokio::select! {
                        chunk = rx.recv(), if pipes_open => match chunk {
                            Some(c) => tail.push_bytes(&c),
                            None => pipes_open = false,
                        },
                        st = child.wait() => break Some(st),
                        _ = &mut grace => break None,
                    }
                };
                match st {
                    Some(st) => break st,
                    None => {
                        kill_group(pgid, libc::SIGKILL);
                        break child.wait().await;
                    }
                }
            }
        }
    };
    // The main process is gone. Anything it left behind in its group
    // (background jobs holding the pipes) is stopped too: a step's
    // processes do not outlive the step.
    let drain_until = tokio::time::Instant::now() + Duration::from_millis(300);
    while pipes_open {
        tokio::select! {
            chunk = rx.recv() => match chunk {
                Some(c) => tail.push_bytes(&c),
                None => pipes_open = false,
            },
            _ = tokio::time::sleep_until(drain_until) => {
                kill_group(pgid, libc::SIGKILL);
                // Read what is left, briefly.
                let stop = tokio::time::Instant::now() + Duration::from_millis(500);
                while let Ok(Some(c)) = tokio::time::timeout_at(stop, rx.recv()).await {
                    tail.push_bytes(&c);
                }
                pipes_open = false;
            }
        }
    }
    if timed_out {
        kill_group(pgid, libc::SIGKILL);
    }
    tail.finish();
    if !tail.fresh.is_empty() {
        on_lines(std::mem::take(&mut tail.fresh));
    }
    let duration = started.elapsed();
    let (exit_code, signal, error) = match status {
        Ok(st) => (st.code(), st.signal(), None),
        Err(e) => (
            None,
            None,
            Some(format!("waiting for the command failed: {e}")),
        ),
    };
    let ok =
        !timed_out && error.is_none() && exit_code.is_some_and(|c| spec.expect_exit.contains(&c));
    CommandResult {
        ok,
        exit_code,
        signal,
        timed_out,
        duration,
        output: tail.lines.into_iter().collect(),
        dropped_bytes: tail.dropped,
        error,
    }
}

fn failed(started: Instant, error: String) -> CommandResult {
    CommandResult {
        ok: false,
        exit_code: None,
        signal: None,
        timed_out: false,
        duration: started.elapsed(),
        output: Vec::new(),
        dropped_bytes: 0,
        error: Some(error),
    }
}
