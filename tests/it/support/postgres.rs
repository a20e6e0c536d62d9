//! PostgreSQL 15 for the tests: started by the harness in a temp dir on a
//! 127.0.0.1 high port (as the `postgres` user when the tests run as
//! root), trust auth, no fsync. Used by the Unleash harness and by the
//! team tests, which also stop and restart it to test outages.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PG_SETUP_HINT: &str = "run tests/setup.sh (it installs PostgreSQL 15)";

pub fn pg_bindir() -> Result<PathBuf, String> {
    let dir = std::env::var_os("FIREBREAK_PG_BINDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
    for b in ["initdb", "postgres", "pg_isready"] {
        if !dir.join(b).is_file() {
            return Err(format!(
                "PostgreSQL 15 is missing ({} not found): {PG_SETUP_HINT}",
                dir.join(b).display()
            ));
        }
    }
    Ok(dir)
}

pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// uid/gid to run PostgreSQL as: `postgres` when we are root (initdb
/// refuses root), else ourselves (None).
pub fn pg_user() -> Result<Option<(u32, u32)>, String> {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return Ok(None);
    }
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|e| format!("id {flag} postgres: {e}"))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| {
                format!("there is no `postgres` user to run PostgreSQL as: {PG_SETUP_HINT}")
            })
    };
    Ok(Some((id("-u")?, id("-g")?)))
}

pub fn as_user(cmd: &mut Command, user: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

pub fn log_file(dir: &Path, name: &str) -> Result<(Stdio, Stdio), String> {
    let f = std::fs::File::create(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
    let g = f.try_clone().map_err(|e| e.to_string())?;
    Ok((Stdio::from(f), Stdio::from(g)))
}

pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(25)..].join("\n")
}

/// A PostgreSQL server of our own. Stopped (fast) when dropped; its temp
/// dir removed.
pub struct Pg {
    pub port: u16,
    dir: PathBuf,
    data: PathBuf,
    child: Option<Child>,
    user: Option<(u32, u32)>,
}

impl Pg {
    /// initdb and start a server; wait until it accepts connections.
    pub fn start(name: &str) -> Result<Pg, String> {
        let bindir = pg_bindir()?;
        let user = pg_user()?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("firebreak-{name}-"))
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?
            .keep();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let data = dir.join("pg");
        std::fs::create_dir(&data).map_err(|e| e.to_string())?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&data, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", data.display()))?;
        }
        let (o, e) = log_file(&dir, "initdb.log")?;
        let status = as_user(&mut Command::new(bindir.join("initdb")), user)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .stdin(Stdio::null())
            .stdout(o)
            .stderr(e)
            .status()
            .map_err(|e| format!("initdb: {e}"))?;
        if !status.success() {
            return Err(format!(
                "initdb failed ({status}):\n{}",
                tail(&dir.join("initdb.log"))
            ));
        }
        let mut pg = Pg {
            port: free_port()?,
            dir,
            data,
            child: None,
            user,
        };
        pg.restart()?;
        Ok(pg)
    }

    /// The URL of a database on it.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Start it (again, on the same port and data) and wait until ready.
    pub fn restart(&mut self) -> Result<(), String> {
        let bindir = pg_bindir()?;
        let (o, e) = log_file(&self.dir, "postgres.log")?;
        let child = as_user(&mut Command::new(bindir.join("postgres")), self.user)
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string()])
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
            ])
            // fsync off: the kernel keeps what was written, even when the
            // server is killed (outage tests). Commits stay synchronous, so
            // a commit is in the kernel before it is acknowledged.
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(o)
            .stderr(e)
            // Its own group: a test runner's Ctrl-C does not reach it first.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("postgres: {e}"))?;
        self.child = Some(child);
        watchdog(&self.dir, self.child.as_ref().map(|c| c.id()));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = Command::new(bindir.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return Ok(());
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(s)) = c.try_wait() {
                    return Err(format!(
                        "postgres exited ({s}):\n{}",
                        tail(&self.dir.join("postgres.log"))
                    ));
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "postgres not ready after 30s:\n{}",
                    tail(&self.dir.join("postgres.log"))
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop it abruptly, as a crash would (`pg_ctl stop -m immediate`:
    /// SIGQUIT), and wait until it is gone.
    pub fn crash(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(c.id() as i32, libc::SIGQUIT) };
            let _ = c.wait();
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(c.id() as i32, libc::SIGINT) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A process that outlives the test binary only to stop `pid` and remove
/// `dir` if the binary dies without dropping the server (SIGKILL, abort).
fn watchdog(dir: &Path, pid: Option<u32>) {
    let Some(pid) = pid else { return };
    let script = r#"
        while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
        kill -INT "$3" 2>/dev/null; sleep 3; kill -KILL "$3" 2>/dev/null
        cd / && rm -rf "$2"
    "#;
    let _ = Command::new("sh")
        .args(["-c", script, "watchdog"])
        .arg(std::process::id().to_string())
        .arg(dir)
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}
