//! Timeline text for playbook runs.

use super::Event;

pub(super) fn first_attempt() -> u32 {
    1
}

fn secs(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// The last non-empty line of an output tail.
pub fn last_line(tail: &str) -> Option<&str> {
    tail.lines().rev().map(str::trim).find(|l| !l.is_empty())
}

/// One-line description of a playbook event.
pub(super) fn describe(e: &Event) -> String {
    match e {
        Event::PlaybookStarted {
            run_id,
            playbook,
            inputs,
            alert,
            ..
        } => {
            let mut s = format!("Playbook {playbook} started [{run_id}]");
            if let Some(a) = alert {
                s.push_str(&format!(" for alert {a}"));
            }
            if !inputs.is_empty() {
                let kv: Vec<String> = inputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                s.push_str(&format!(": {}", kv.join(", ")));
            }
            s
        }
        Event::StepStarted {
            run_id,
            step,
            title,
            attempt,
            detail,
            ..
        } => {
            let again = if *attempt > 1 {
                format!(" (attempt {attempt})")
            } else {
                String::new()
            };
            let d = if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            };
            format!("Step {} \"{title}\" started{again} [{run_id}]{d}", step + 1)
        }
        Event::StepFinished {
            run_id,
            step,
            title,
            ok,
            exit_code,
            duration_ms,
            output_tail,
            detail,
            ..
        } => {
            let mut s = if *ok {
                format!("Step {} \"{title}\" done [{run_id}]", step + 1)
            } else {
                format!("FAILED: step {} \"{title}\" [{run_id}]", step + 1)
            };
            let mut parts = Vec::new();
            if let Some(c) = exit_code {
                parts.push(format!("exit {c}"));
            }
            if *duration_ms > 0 {
                parts.push(secs(*duration_ms));
            }
            if !detail.is_empty() {
                parts.push(detail.clone());
            } else if let Some(l) = last_line(output_tail) {
                parts.push(format!("last output: {l}"));
            }
            if !parts.is_empty() {
                s.push_str(&format!(" ({})", parts.join(", ")));
            }
            s
        }
        Event::StepSkipped {
            run_id,
            step,
            title,
            reason,
        } => {
            let r = if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            };
            format!("Step {} \"{title}\" skipped [{run_id}]{r}", step + 1)
        }
        Event::PlaybookFinished {
            run_id,
            playbook,
            ok,
            summary,
        } => {
            let head = if *ok {
                "finished"
            } else {
                "ended with failures"
            };
            let s = if summary.is_empty() {
                String::new()
            } else {
                format!(": {summary}")
            };
            format!("Playbook {playbook} {head} [{run_id}]{s}")
        }
        _ => String::new(),
    }
}
