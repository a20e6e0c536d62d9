//! A real Unleash 7.5.1 on PostgreSQL 15, started once per test binary
//! (by the first test that calls [`server()`]).
//!
//! [`server()`] starts, on 127.0.0.1 high ports and in temp dirs:
//! PostgreSQL 15 ([`super::postgres::Pg`]) and `unleash-server` from tests/servers/unleash
//! (`npm ci` by tests/setup.sh) on Node 20, with an admin token from
//! `INIT_ADMIN_API_TOKENS`, and waits for `/health`. Both are stopped and
//! the temp dir removed when the test binary exits (an `atexit` hook), and
//! a watchdog process does the same if the binary dies without exiting
//! (SIGKILL, abort). A missing piece FAILS the test with a message that
//! says to run tests/setup.sh; nothing is skipped silently.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use super::postgres::{free_port, log_file, tail, Pg, PG_SETUP_HINT};
use std::time::{Duration, Instant};

/// A running Unleash.
pub struct Unleash {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The admin token (the raw `Authorization` header value).
    pub token: String,
    /// How long PostgreSQL + Unleash took to become ready.
    pub startup: Duration,
}

struct Procs {
    pg: Option<Pg>,
    node: Option<Child>,
    dir: PathBuf,
}

static SERVER: OnceLock<Result<Unleash, String>> = OnceLock::new();
static PROCS: Mutex<Option<Procs>> = Mutex::new(None);

const SETUP_HINT: &str =
    "run tests/setup.sh (it installs PostgreSQL 15 and `npm ci`s unleash-server 7.5.1)";

/// The shared server; the first call starts it. Panics (fails the test)
/// with the reason when it cannot be started.
pub fn server() -> &'static Unleash {
    match SERVER.get_or_init(start) {
        Ok(u) => u,
        Err(e) => panic!("cannot start the Unleash test server: {e}"),
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check_node() -> Result<(), String> {
    let out = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("Node.js is missing ({e}): Node 20 is needed; {SETUP_HINT}"))?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let major: u32 = v
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        return Err(format!(
            "Node.js {v} is too old: unleash-server 7.5.1 needs Node 20+"
        ));
    }
    let pkg = repo().join("tests/servers/unleash/node_modules/unleash-server/package.json");
    if !pkg.is_file() {
        return Err(format!(
            "unleash-server is not installed ({} missing): {SETUP_HINT}",
            pkg.display()
        ));
    }
    Ok(())
}

fn start() -> Result<Unleash, String> {
    let t0 = Instant::now();
    check_node()?;
    let dir = tempfile::Builder::new()
        .prefix("firebreak-unleash-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?
        .keep();
    // PostgreSQL of its own (stopped, with its temp dir, by the exit
    // hook; by its own watchdog if we die without exiting).
    let pg = Pg::start("unleash-pg").map_err(|e| format!("{e} ({PG_SETUP_HINT})"))?;
    let pg_url = pg.url("postgres");
    *PROCS.lock().map_err(|_| "lock poisoned".to_string())? = Some(Procs {
        pg: Some(pg),
        node: None,
        dir: dir.clone(),
    });
    // SAFETY: registering a plain extern "C" function.
    unsafe { libc::atexit(stop_at_exit) };
    watchdog(&dir);

    let node_port = free_port()?;
    let token = format!(
        "*:*.firebreak-test-{}-{}",
        std::process::id(),
        t0.elapsed().as_nanos()
    );
    let (o, e) = log_file(&dir, "unleash.log")?;
    let node = Command::new("node")
        .arg("server.js")
        .current_dir(repo().join("tests/servers/unleash"))
        .env("DATABASE_URL", &pg_url)
        .env("DATABASE_SSL", "false")
        .env("HTTP_PORT", node_port.to_string())
        .env("INIT_ADMIN_API_TOKENS", &token)
        .env("FIREBREAK_PARENT_PID", std::process::id().to_string())
        .env("SCARF_ANALYTICS", "false")
        .env("CHECK_VERSION", "false")
        .env("SEND_TELEMETRY", "false")
        .env("LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(o)
        .stderr(e)
        .spawn()
        .map_err(|e| format!("node server.js: {e}"))?;
    write_pid(&dir, "node.pid", node.id())?;
    with_procs(|p| p.node = Some(node));

    let url = format!("http://127.0.0.1:{node_port}");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if health(node_port) {
            break;
        }
        let exited =
            with_procs(|p| p.node.as_mut().and_then(|n| n.try_wait().ok().flatten())).flatten();
        if let Some(s) = exited {
            return Err(format!(
                "unleash-server exited ({s}):\n{}",
                tail(&dir.join("unleash.log"))
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "unleash-server not healthy after 180s:\n{}",
                tail(&dir.join("unleash.log"))
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let startup = t0.elapsed();
    eprintln!(
        "unleash test server: {url} ready in {:.1}s (logs in {})",
        startup.as_secs_f64(),
        dir.display()
    );
    Ok(Unleash {
        url,
        token,
        startup,
    })
}

/// GET /health answers 200 with "GOOD".
fn health(port: u16) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200") && buf.contains("GOOD")
}

fn with_procs<T>(f: impl FnOnce(&mut Procs) -> T) -> Option<T> {
    PROCS.lock().ok()?.as_mut().map(f)
}

fn write_pid(dir: &Path, name: &str, pid: u32) -> Result<(), String> {
    std::fs::write(dir.join(name), pid.to_string()).map_err(|e| format!("{name}: {e}"))
}

/// A process that outlives us only to clean up if we die without exiting
/// (it reads the pid files, so it also covers a server started later).
fn watchdog(dir: &Path) {
    let script = r#"
        while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
        cd "$2" || exit 0
        n=$(cat node.pid 2>/dev/null)
        [ -n "$n" ] && kill -TERM "$n" 2>/dev/null
        sleep 3
        [ -n "$n" ] && kill -KILL "$n" 2>/dev/null
        cd / && rm -rf "$2"
    "#;
    let _ = Command::new("sh")
        .args(["-c", script, "watchdog"])
        .arg(std::process::id().to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}

/// Stop both servers and remove the temp dirs (runs at process exit).
extern "C" fn stop_at_exit() {
    let Ok(mut guard) = PROCS.lock() else { return };
    let Some(mut p) = guard.take() else { return };
    if let Some(mut n) = p.node.take() {
        // SAFETY: sending a signal to our own child.
        unsafe { libc::kill(n.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(n.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = n.kill();
        let _ = n.wait();
    }
    drop(p.pg.take()); // stops PostgreSQL (fast shutdown)
    let _ = std::fs::remove_dir_all(&p.dir);
}
