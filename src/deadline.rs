//! Deadlines: run a future for at most a given time and report the
//! outcome as a message, as every effect, poll and flip does. On the
//! ground floor: it knows nothing of state, views or sources.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

/// Run `work` for at most `limit`. Its value, or its error as text (with
/// the causes, `{e:#}`), or `late(limit)` when the deadline passed first.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use std::time::Duration;
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     Ok::<_, String>(1)
/// };
/// let r = firebreak::deadline::within(Duration::from_millis(10), slow, |t| {
///     format!("reading x: timed out after {t:?}")
/// })
/// .await;
/// assert_eq!(r, Err("reading x: timed out after 10ms".to_string()));
/// # });
/// ```
pub async fn within<T, E, F>(
    limit: Duration,
    work: F,
    late: impl FnOnce(Duration) -> String,
) -> Result<T, String>
where
    F: Future<Output = Result<T, E>>,
    E: Display,
{
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err(late(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a test runtime")
    }

    #[test]
    fn a_value_in_time_is_passed_on() {
        let r = rt().block_on(within(
            Duration::from_secs(1),
            async { Ok::<_, anyhow::Error>(7) },
            |_| "late".into(),
        ));
        assert_eq!(r, Ok(7));
    }

    #[test]
    fn an_error_keeps_its_causes() {
        let r: Result<(), String> = rt().block_on(within(
            Duration::from_secs(1),
            async { Err(anyhow::anyhow!("refused").context("GET /x")) },
            |_| "late".into(),
        ));
        assert_eq!(r, Err("GET /x: refused".into()));
    }

    #[test]
    fn a_late_answer_is_reported_with_the_limit() {
        let r: Result<(), String> = rt().block_on(within(
            Duration::from_millis(5),
            std::future::pending::<Result<(), String>>(),
            |t| format!("timed out after {t:?}"),
        ));
        assert_eq!(r, Err("timed out after 5ms".into()));
    }
}
