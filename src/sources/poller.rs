//! Polling tasks: one per source, at most one request in flight each,
//! every request bounded by a timeout; results arrive as messages.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify};

/// The result of one poll, as sent to the loop.
#[derive(Debug, Clone)]
pub struct Polled<T> {
    pub source: String,
    pub result: Result<T, String>,
    pub at: DateTime<Utc>,
    pub took: Duration,
}

impl<T> Polled<T> {
    /// The same poll, its result turned into something else.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Polled<U> {
        Polled {
            source: self.source,
            result: self.result.map(f),
            at: self.at,
            took: self.took,
        }
    }
}

/// Spawn a task that calls `fetch` every `interval` (or when `refresh` is
/// notified), each call bounded by `timeout`, and sends `wrap(result)`.
/// The task ends when the receiver is gone.
pub fn spawn<T, F, Fut, M>(
    source: String,
    interval: Duration,
    timeout: Duration,
    refresh: Arc<Notify>,
    tx: mpsc::Sender<M>,
    mut fetch: F,
    wrap: fn(Polled<T>) -> M,
) -> tokio::task::JoinHandle<()>
where
    T: Send + 'static,
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
    M: Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let started = Instant::now();
            let result = crate::deadline::within(timeout, fetch(), |t| {
                format!("timed out after {}s", t.as_secs_f32())
            })
            .await;
            if let Err(e) = &result {
                tracing::warn!(source = %source, error = %e, "poll failed");
            }
            let polled = Polled {
                source: source.clone(),
                result,
                at: Utc::now(),
                took: started.elapsed(),
            };
            if tx.send(wrap(polled)).await.is_err() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = refresh.notified() => {}
            }
        }
    })
}

/// Poll `source` with `fetch` (see [`spawn`]); returns the handle that
/// asks for an immediate poll. The task ends with the receiver.
pub fn watch<S, T, F, Fut, M>(
    source: Arc<S>,
    name: &str,
    interval: Duration,
    timeout: Duration,
    tx: &mpsc::Sender<M>,
    fetch: F,
    wrap: fn(Polled<T>) -> M,
) -> Arc<Notify>
where
    S: ?Sized + Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(Arc<S>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
    M: Send + 'static,
{
    let refresh = Arc::new(Notify::new());
    spawn(
        name.to_string(),
        interval,
        timeout,
        refresh.clone(),
        tx.clone(),
        move || fetch(source.clone()),
        wrap,
    );
    refresh
}
