//! `firebreak alerts pending`: what is about to fire. Prometheus' pending
//! alerts (from `/api/v1/rules`, which carries each rule's alerts), soonest
//! to fire first, with the rule's `for` and expression.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use super::{clip, runtime, Format};
use crate::config::Config;
use crate::sources::rules::{self, for_text};

#[derive(Args, Debug)]
pub struct PendingArgs {
    /// Prometheus URL [default: [prometheus] url in the config]
    #[arg(long, short = 'p', value_name = "URL")]
    pub prometheus: Option<String>,
    /// Deadline in seconds, retries included [default: request_timeout_secs]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One pending alert, as `--format json` prints it.
#[derive(Serialize)]
struct Row<'a> {
    rule: &'a str,
    labels: &'a BTreeMap<String, String>,
    annotations: &'a BTreeMap<String, String>,
    active_at: Option<DateTime<Utc>>,
    /// activeAt + for: when it fires if it keeps holding.
    fires_at: Option<DateTime<Utc>>,
    /// Seconds from now until then (negative: due at the next evaluation).
    fires_in_secs: Option<i64>,
    for_secs: f64,
    query: &'a str,
    value: &'a str,
    group: &'a str,
    file: &'a str,
}

pub fn run(args: &PendingArgs, cfg: &Config) -> anyhow::Result<ExitCode> {
    let prom = crate::wiring::sources::prometheus(cfg, args.prometheus.as_deref(), args.timeout)?;
    let all = runtime()?.block_on(prom.fetch_rules())?;
    let now = Utc::now();
    let pending = rules::pending(&all);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => {
            let rows: Vec<Row> = pending
                .iter()
                .map(|p| Row {
                    rule: &p.rule.name,
                    labels: &p.alert.labels,
                    annotations: &p.alert.annotations,
                    active_at: p.alert.active_at,
                    fires_at: p.fires_at,
                    fires_in_secs: p.fires_at.map(|t| (t - now).num_seconds()),
                    for_secs: p.rule.for_secs,
                    query: &p.rule.query,
                    value: &p.alert.value,
                    group: &p.rule.group,
                    file: &p.rule.file,
                })
                .collect();
            serde_json::to_writer(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => {
            if pending.is_empty() {
                writeln!(
                    out,
                    "nothing is about to fire: no pending alerts ({} alerting rules)",
                    all.len()
                )?;
            } else {
                let name_w = pending
                    .iter()
                    .map(|p| crate::text::visible(&p.rule.name).chars().count())
                    .max()
                    .unwrap_or(4)
                    .clamp(4, 40);
                writeln!(
                    out,
                    "{:<name_w$} {:<12} {:<8} LABELS · EXPR",
                    "RULE", "FIRES IN", "FOR"
                )?;
                for p in &pending {
                    let when = match p.fires_at {
                        Some(t) if t > now => super::age(t - now),
                        Some(_) => "due now".into(),
                        None => "?".into(),
                    };
                    let labels: Vec<String> = p
                        .alert
                        .labels
                        .iter()
                        .filter(|(k, _)| k.as_str() != "alertname")
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    writeln!(
                        out,
                        "{:<name_w$} {:<12} {:<8} {} · {}",
                        clip(&p.rule.name, name_w),
                        when,
                        for_text(p.rule.for_secs),
                        clip(&labels.join(" "), 120),
                        clip(&p.rule.query, 200)
                    )?;
                }
            }
            for r in all.iter().filter(|r| r.last_error.is_some()) {
                writeln!(
                    out,
                    "rule {} fails: {}",
                    clip(&r.name, 80),
                    clip(r.last_error.as_deref().unwrap_or_default(), 200)
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
