//! Real Alertmanager and Prometheus for integration tests.
//!
//! Each server runs on 127.0.0.1 on a free high port with its storage in a
//! temp dir, `--web.external-url` set, and (Alertmanager) clustering off.
//! A tiny `sh` watchdog owns the server process and kills it when the test
//! binary exits, then removes its temp dir, so the servers shared by the
//! whole binary ([`alertmanager`], [`prometheus`]: statics, never dropped)
//! neither outlive the tests nor leave their data behind; [`Server`]s
//! owned by one test are killed on drop (and their dir removed with it).
//!
//! A missing binary FAILS the test with a message to run tests/setup.sh:
//! tests never skip silently.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Find a binary on PATH (any of `names`), or fail loudly.
pub fn require(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "`{}` is not installed: run tests/setup.sh (it installs Debian's prometheus and prometheus-alertmanager packages). Integration tests never skip.",
        names.join("` or `")
    );
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A server process under a watchdog.
pub struct Server {
    pub name: &'static str,
    pub port: u16,
    pub url: String,
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    bin: PathBuf,
    wrapper: Option<Child>,
    /// Serves https (ready when the port accepts connections).
    tls: bool,
}

const WATCHDOG: &str = r#"
"$@" >>"$FB_LOG" 2>&1 &
c=$!
echo "$c" >"$FB_PIDFILE"
trap 'kill "$c" 2>/dev/null; exit 0' TERM INT
while kill -0 "$FB_PARENT" 2>/dev/null && [ -e "/proc/$c" ] && ! grep -q '^State:.*Z' "/proc/$c/status" 2>/dev/null; do
  sleep 0.2
done
kill "$c" 2>/dev/null
sleep 2
kill -9 "$c" 2>/dev/null
wait
# The test binary is gone, so the TempDir is never dropped: remove it here.
kill -0 "$FB_PARENT" 2>/dev/null || rm -rf "$FB_DIR"
"#;

impl Server {
    fn spawn(
        name: &'static str,
        bin: PathBuf,
        port: u16,
        dir: tempfile::TempDir,
        args: Vec<String>,
    ) -> Server {
        let mut s = Server {
            name,
            port,
            url: format!("http://127.0.0.1:{port}"),
            dir,
            args,
            bin,
            wrapper: None,
            tls: false,
        };
        s.start();
        s
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn pid_path(&self) -> PathBuf {
        self.dir.path().join("server.pid")
    }

    /// Start (again, after [`Server::stop`]) with the same port and data.
    pub fn start(&mut self) {
        let _ = std::fs::remove_file(self.pid_path());
        let child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("watchdog")
            .arg(&self.bin)
            .args(&self.args)
            .env("FB_LOG", self.log_path())
            .env("FB_PIDFILE", self.pid_path())
            .env("FB_PARENT", std::process::id().to_string())
            .env("FB_DIR", self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({}): {e}", self.name, self.bin.display()));
        self.wrapper = Some(child);
        self.wait_ready(Duration::from_secs(30));
    }

    /// Kill the server (the port stays reserved by nobody: restart soon).
    pub fn stop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.pid_path()) {
            let _ = Command::new("kill").arg("-KILL").arg(pid.trim()).status();
        }
        if let Some(mut w) = self.wrapper.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(w.id().to_string())
                .status();
            let _ = w.wait();
        }
        // Wait until the port is closed.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let ready = if self.tls {
                TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            } else {
                matches!(http(self.port, "GET", "/-/ready", None), Some((200, _)))
            };
            if ready {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not become ready on port {} within {within:?}; its log:\n{}",
                    self.name,
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Blocking POST of JSON; (status, body).
    pub fn post(&self, path: &str, body: &serde_json::Value) -> (u16, String) {
        let b = body.to_string();
        http(self.port, "POST", path, Some(&b))
            .unwrap_or_else(|| panic!("POST {}{path} failed", self.url))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A minimal blocking HTTP/1.0 exchange (no chunking, closes after).
pub fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, rest.to_string()))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

/// Start an Alertmanager that routes everything to a null receiver,
/// grouping fast, with one inhibition rule: an alert labelled
/// `inhibit_test=source` mutes those labelled `inhibit_test=target` with
/// the same `test` label (no other test's alerts carry these labels).
pub fn start_alertmanager() -> Server {
    start_alertmanager_with(
        "route:\n  receiver: \"null\"\n  group_by: [alertname, service]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: \"null\"\ninhibit_rules:\n  - source_matchers: ['inhibit_test=\"source\"']\n    target_matchers: ['inhibit_test=\"target\"']\n    equal: [test]\n",
    )
}

/// Start an Alertmanager running this configuration.
pub fn start_alertmanager_with(config: &str) -> Server {
    let bin = require(&["prometheus-alertmanager", "alertmanager"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let cfg = write(dir.path(), "alertmanager.yml", config);
    let data = dir.path().join("data");
    let args = vec![
        format!("--config.file={}", cfg.display()),
        format!("--storage.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        format!("--web.external-url=http://127.0.0.1:{port}/"),
        "--cluster.listen-address=".into(),
        "--log.level=warn".into(),
    ];
    Server::spawn("alertmanager", bin, port, dir, args)
}

/// Start an Alertmanager serving https only, with a self-signed
/// certificate for 127.0.0.1 signed by a test CA (made with openssl): the
/// CA's PEM is `ca.pem` in the server's dir, for a client's `ca_file`.
pub fn start_alertmanager_tls() -> Server {
    let bin = require(&["prometheus-alertmanager", "alertmanager"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let d = dir.path();
    let (ca, cert, key) = (d.join("ca.pem"), d.join("cert.pem"), d.join("key.pem"));
    write(
        d,
        "leaf.ext",
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    );
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"],
            &ec[..],
            &["-days", "2", "-subj", "/CN=firebreak test CA"],
        ]
        .concat()
        .into_iter()
        .chain(["-keyout", "ca.key", "-out", "ca.pem"])
        .collect(),
        [
            &["req"],
            &ec[..],
            &["-subj", "/CN=127.0.0.1", "-keyout", "key.pem"],
        ]
        .concat()
        .into_iter()
        .chain(["-out", "leaf.csr"])
        .collect(),
        vec![
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
            "-out",
            "cert.pem",
        ],
    ];
    for args in steps {
        let made = Command::new("openssl")
            .args(&args)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl (tests/setup.sh installs it)");
        assert!(made.success(), "openssl {args:?} failed");
    }
    assert!(ca.exists() && cert.exists() && key.exists());
    let web = write(
        dir.path(),
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            cert.display(),
            key.display()
        ),
    );
    let cfg = write(
        dir.path(),
        "alertmanager.yml",
        "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n",
    );
    let args = vec![
        format!("--config.file={}", cfg.display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        format!("--web.config.file={}", web.display()),
        "--cluster.listen-address=".into(),
        "--log.level=warn".into(),
    ];
    let mut s = Server {
        name: "alertmanager (https)",
        port,
        url: format!("https://127.0.0.1:{port}"),
        dir,
        args,
        bin,
        wrapper: None,
        tls: true,
    };
    s.start();
    s
}

/// The rule that always fires in the test Prometheus.
pub const FIRING_RULE: &str = "FirebreakTestAlwaysFiring";

/// The rule that fires while a gauge keyed `flap-...` is above 0.
pub const FLAPPING_RULE: &str = "FirebreakTestFlapping";

/// The rule that is pending (for an hour) while a gauge keyed
/// `pending-...` is above 100.
pub const PENDING_RULE: &str = "FirebreakTestBacklog";

/// Start a Prometheus that scrapes itself every second, evaluates a rule
/// that always fires every second, and sends alerts to `am_port`.
pub fn start_prometheus(am_port: u16) -> Server {
    let bin = require(&["prometheus"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    write(
        dir.path(),
        "rules.yml",
        &format!(
            r#"groups:
  - name: firebreak-test
    interval: 1s
    rules:
      - alert: {FIRING_RULE}
        expr: vector(1)
        labels:
          severity: warning
          service: firebreak-test
        annotations:
          summary: "always firing (firebreak test rule) 🔥"
          runbook_url: "http://runbooks.example/firebreak-test"
      # Fires while a test's gauge (key="flap-...") is above 0: toggling
      # it makes history (tests/it/rules.rs).
      - alert: {FLAPPING_RULE}
        expr: firebreak_test_value{{key=~"flap-.*"}} > 0
        labels:
          severity: warning
      # About to fire: pending for an hour while a test's gauge
      # (key="pending-...") is above 100 (tests/it/rules.rs).
      - alert: {PENDING_RULE}
        expr: firebreak_test_value{{key=~"pending-.*"}} > 100
        for: 1h
        labels:
          severity: critical
        annotations:
          summary: "backlog of {{{{ $labels.key }}}} above 100"
"#
        ),
    );
    let cfg = write(
        dir.path(),
        "prometheus.yml",
        &format!(
            r#"global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:{am_port}"]
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{port}"]
  - job_name: firebreak-test-exporter
    static_configs:
      - targets: ["127.0.0.1:{exporter}"]
"#,
            exporter = super::exporter::exporter().port
        ),
    );
    let args = vec![
        format!("--config.file={}", cfg.display()),
        format!("--storage.tsdb.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        format!("--web.external-url=http://127.0.0.1:{port}/"),
        // Alertmanager discovery takes ~5s; resend soon after it.
        "--rules.alert.resend-delay=1s".into(),
        "--log.level=warn".into(),
    ];
    Server::spawn("prometheus", bin, port, dir, args)
}

/// The Alertmanager shared by every test of the binary (started by the
/// first test that asks for it).
pub fn alertmanager() -> &'static Server {
    static AM: OnceLock<Server> = OnceLock::new();
    AM.get_or_init(start_alertmanager)
}

/// The Prometheus shared by every test of the binary (started by the first
/// test that asks for it), alerting to the shared Alertmanager.
pub fn prometheus() -> &'static Server {
    static PROM: OnceLock<Server> = OnceLock::new();
    PROM.get_or_init(|| start_prometheus(alertmanager().port))
}

/// A label value unique to this test run (isolates tests sharing a server).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Poll `f` until it returns Some, or panic after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
