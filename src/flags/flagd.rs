//! flagd / OpenFeature flag files as a flag provider.
//!
//! Reading parses and validates the whole file (a file flagd would not
//! accept is refused, naming the file, the line and what is wrong).
//! Writing changes exactly one value in place (`state`, or `defaultVariant`
//! in [`Mode::DefaultVariant`]), byte for byte: key order, unknown fields,
//! formatting and number spelling stay as they were. The new text is
//! checked to mean the same as the old apart from that value, written to a
//! temporary file in the same directory (same permissions), fsync'd, and
//! renamed over the original; the directory is fsync'd too. Concurrent
//! writers (other firebreak processes included) are serialised with an
//! advisory lock on the file's directory.

pub mod model;
mod schema;
pub mod tree;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;

pub use model::{FlagdError, FlagdFile, Mode};
/// Parse and validate a flag file's text (what [`Flagd::load`] does after
/// reading it); errors name `file`.
pub use schema::parse;

use super::{on_off, Flag, FlagProvider};

/// A flag file.
#[derive(Debug, Clone)]
pub struct Flagd {
    name: String,
    path: PathBuf,
    mode: Mode,
    /// How long a writer waits for another writer's lock.
    lock_wait: Duration,
}

impl Flagd {
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>, mode: Mode) -> Flagd {
        Flagd {
            name: name.into(),
            path: path.into(),
            mode,
            lock_wait: Duration::from_secs(5),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Read and validate the file now (blocking).
    pub fn load(&self) -> Result<FlagdFile, FlagdError> {
        let text = read(&self.path)?;
        schema::parse(&self.path, &text)
    }

    fn flags_blocking(&self) -> anyhow::Result<Vec<Flag>> {
        let file = self.load()?;
        Ok(file
            .flags
            .iter()
            .map(|f| Flag {
                name: f.key.clone(),
                // In default_variant mode a flag whose default is unknown
                // lists as off; get() and flips say why.
                enabled: f.enabled(self.mode).unwrap_or(false),
                description: f.describe(self.mode),
                provider: self.name.clone(),
                env: None,
                changed_at: None,
            })
            .collect())
    }

    fn get_blocking(&self, name: &str) -> anyhow::Result<Flag> {
        let file = self.load()?;
        let f = file
            .flag(name)
            .ok_or_else(|| anyhow::anyhow!("no flag `{name}` in {}", self.path.display()))?;
        let enabled = f
            .enabled(self.mode)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))?;
        Ok(Flag {
            name: f.key.clone(),
            enabled,
            description: f.describe(self.mode),
            provider: self.name.clone(),
            env: None,
            changed_at: None,
        })
    }

    /// Change one flag (blocking). Does nothing if it is already there.
    pub fn set_blocking(&self, name: &str, enabled: bool) -> anyhow::Result<()> {
        // Follow a symlink so the link stays and its target is replaced.
        let path = fs::canonicalize(&self.path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))?;
        let dir = path
            .parent()
            .ok_or_else(|| anyhow::anyhow!("{}: has no directory", path.display()))?
            .to_path_buf();
        let _lock = DirLock::acquire(&dir, self.lock_wait)?;
        let meta = fs::metadata(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let text = read(&path)?;
        let before = schema::parse(&self.path, &text)?;
        let flag = before
            .flag(name)
            .ok_or_else(|| anyhow::anyhow!("no flag `{name}` in {}", self.path.display()))?;
        let Some((span, new_value)) = flag
            .edit(self.mode, enabled)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))?
        else {
            return Ok(());
        };
        let mut new_text = String::with_capacity(text.len() + 16);
        new_text.push_str(&text[..span.start]);
        new_text.push_str(&new_value);
        new_text.push_str(&text[span.end..]);
        // The result must be a valid flag file in which this flag now
        // reads as wanted; anything else is a bug, and nothing is written.
        let after = schema::parse(&self.path, &new_text).map_err(|e| {
            anyhow::anyhow!(
                "refusing to write {}: the edited text would be invalid: {e}",
                self.path.display()
            )
        })?;
        let now = after.flag(name).map(|f| f.enabled(self.mode));
        if now != Some(Ok(enabled)) {
            anyhow::bail!(
                "refusing to write {}: the edit would not turn `{name}` {}",
                self.path.display(),
                on_off(enabled)
            );
        }
        write_atomically(&path, &dir, new_text.as_bytes(), &meta)
    }
}

fn read(path: &Path) -> Result<String, FlagdError> {
    let bytes = fs::read(path).map_err(|e| FlagdError {
        file: path.to_path_buf(),
        line: None,
        location: None,
        message: format!("cannot read: {e}"),
    })?;
    String::from_utf8(bytes).map_err(|e| FlagdError {
        file: path.to_path_buf(),
        line: None,
        location: None,
        message: format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Write `data` to a temporary file next to `path` with the original's
/// permissions (and owner, when allowed), fsync it, rename it over `path`,
/// fsync the directory.
fn write_atomically(
    path: &Path,
    dir: &Path,
    data: &[u8],
    meta: &fs::Metadata,
) -> anyhow::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("flags.json");
    let tmp = dir.join(format!(
        ".{file_name}.firebreak-{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        // Keep the owner when we can (running as root); otherwise the file
        // becomes ours, which is what any editor would do too.
        let _ = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()));
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        anyhow::bail!("writing {}: {e} (the file is unchanged)", path.display());
    }
    Ok(())
}

/// An exclusive advisory lock (flock) on a directory, released when the
/// descriptor is closed (on drop).
struct DirLock {
    _dir: File,
}

impl DirLock {
    fn acquire(dir: &Path, wait: Duration) -> anyhow::Result<DirLock> {
        use std::os::fd::AsRawFd;
        let f = File::open(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        let deadline = Instant::now() + wait;
        loop {
            // SAFETY: flock on a file descriptor we own; no memory involved.
            let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc == 0 {
                return Ok(DirLock { _dir: f });
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                anyhow::bail!("cannot lock {}: {err}", dir.display());
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "another process has been editing a flag file in {} for more than {wait:?}; try again",
                    dir.display()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Run blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow::anyhow!("flag file task failed: {e}"))?
}

#[async_trait]
impl FlagProvider for Flagd {
    fn name(&self) -> &str {
        &self.name
    }

    async fn list(&self) -> anyhow::Result<Vec<Flag>> {
        let me = self.clone();
        blocking(move || me.flags_blocking()).await
    }

    async fn get(&self, name: &str) -> anyhow::Result<Flag> {
        let me = self.clone();
        let name = name.to_string();
        blocking(move || me.get_blocking(&name)).await
    }

    async fn set(&self, name: &str, enabled: bool) -> anyhow::Result<()> {
        let me = self.clone();
        let name = name.to_string();
        blocking(move || me.set_blocking(&name, enabled)).await
    }
}
