//! `firebreak alerts`: the current alerts from Alertmanager (all HA members,
//! deduplicated), as a table or JSON; the same client the TUI polls with.
//! `firebreak alerts route`: who gets paged for a label set (`route.rs`);
//! `firebreak alerts pending`: what is about to fire (`pending.rs`).

pub mod pending;
pub mod route;

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use crate::config::sources::AlertmanagerConfig;
use crate::config::Config;
use crate::sources::alertmanager::{sort_alerts, Alertmanager};
use crate::sources::matcher;
use crate::sources::Alert;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people (remote text made safe to show)
    Table,
    /// JSON for scripts (the README describes each command's fields)
    Json,
}

/// Where to find Alertmanager and how long to wait.
#[derive(Args, Debug, Clone, Default)]
pub struct AmOpts {
    /// Alertmanager URL; repeat for every member of an HA cluster
    /// [default: [alertmanager] urls in the config]
    #[arg(long = "alertmanager", short = 'a', value_name = "URL")]
    pub urls: Vec<String>,
    /// Deadline of each call in seconds, retries included
    /// [default: request_timeout_secs from the config]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: Option<AlertsCmd>,
    #[command(flatten)]
    pub am: AmOpts,
    /// Only alerts matching, in Alertmanager syntax: 'severity="critical"',
    /// 'service=~"check.*"'; repeatable
    #[arg(long, short = 'F', value_name = "MATCHER")]
    pub filter: Vec<String>,
    /// Leave out silenced and inhibited alerts
    #[arg(long)]
    pub active: bool,
    /// Add each alert's history from Prometheus: how often it fired in 7
    /// and 30 days, the time before this one, how long it fires on average
    #[arg(long)]
    pub history: bool,
    /// Prometheus URL for --history [default: [prometheus] url in the config]
    #[arg(long, short = 'p', value_name = "URL", requires = "history")]
    pub prometheus: Option<String>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(clap::Subcommand, Debug)]
pub enum AlertsCmd {
    /// Who gets paged for these labels: the receivers Alertmanager's routing
    /// tree sends them to and the route to each, as `amtool config routes
    /// test` does (from the running config, or a file with --am-config)
    Route(route::RouteArgs),
    /// What is about to fire: Prometheus' pending alerts, soonest first,
    /// with when each fires if it keeps holding (activeAt + the rule's
    /// `for`) and the rule's expression
    Pending(pending::PendingArgs),
}

/// An Alertmanager client for one command, from the config and `opts`.
pub fn build_am(cfg: &Config, opts: &AmOpts) -> anyhow::Result<(Alertmanager, AlertmanagerConfig)> {
    crate::wiring::sources::alertmanager(cfg, &opts.urls, opts.timeout)
}

/// A small runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn run(args: &AlertsArgs, cfg: &Config) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(AlertsCmd::Route(r)) => return route::run(r, cfg),
        Some(AlertsCmd::Pending(p)) => return pending::run(p, cfg),
        None => {}
    }
    let extra = matcher::parse_args(&args.filter).map_err(anyhow::Error::msg)?;
    let (am, _) = build_am(cfg, &args.am)?;
    let fetched = runtime()?.block_on(am.fetch_alerts(&extra))?;
    for (inst, e) in &fetched.failures {
        eprintln!("firebreak: warning: HA member {inst} did not answer: {e}");
    }
    for n in &fetched.notes {
        eprintln!("firebreak: note: {n}");
    }
    let mut alerts = fetched.alerts;
    if args.active {
        alerts.retain(|a| a.state == crate::sources::AlertState::Active);
    }
    sort_alerts(&mut alerts);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if args.history {
        let histories = histories(args, cfg, &alerts)?;
        write_with_history(&mut out, &alerts, &histories, args.format, Utc::now())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    match args.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &alerts)?;
            writeln!(out)?;
        }
        Format::Table => write_table(&mut out, &alerts, Utc::now(), am.instances().len() > 1)?,
    }
    out.flush()?;
    // The process ends now: freeing tens of thousands of alerts one
    // allocation at a time would take longer than printing them did.
    std::mem::forget(alerts);
    Ok(ExitCode::SUCCESS)
}

type Histories = Vec<Result<crate::sources::history::History, String>>;

/// Each alert's history from Prometheus, a few at a time (alerts of one
/// name share their queries' answers on the server side; each is asked
/// for its own labels).
fn histories(args: &AlertsArgs, cfg: &Config, alerts: &[Alert]) -> anyhow::Result<Histories> {
    use futures::StreamExt;
    let prom =
        crate::wiring::sources::prometheus(cfg, args.prometheus.as_deref(), args.am.timeout)?;
    let prom = &prom;
    Ok(runtime()?.block_on(
        futures::stream::iter(alerts)
            .map(|a| async move {
                prom.alert_history(a.name(), &a.labels)
                    .await
                    .map_err(|e| e.to_string())
            })
            .buffered(4)
            .collect(),
    ))
}

fn write_with_history(
    out: &mut impl Write,
    alerts: &[Alert],
    histories: &Histories,
    format: Format,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = alerts
                .iter()
                .zip(histories)
                .map(|(a, h)| {
                    let mut v = serde_json::to_value(a).unwrap_or_default();
                    if let Some(o) = v.as_object_mut() {
                        let h = match h {
                            Ok(h) => serde_json::to_value(h).unwrap_or_default(),
                            Err(e) => serde_json::json!({ "error": e }),
                        };
                        o.insert("history".into(), h);
                    }
                    v
                })
                .collect();
            serde_json::to_writer(&mut *out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => {
            if alerts.is_empty() {
                writeln!(out, "no alerts")?;
                return Ok(());
            }
            let name_w = name_width(alerts);
            writeln!(
                out,
                "{:<9} {:<name_w$} {:>3} {:>3}  HISTORY",
                "SEVERITY", "ALERTNAME", "7D", "30D"
            )?;
            for (a, h) in alerts.iter().zip(histories) {
                let (d7, d30, text) = match h {
                    Ok(h) => (
                        h.fired_7d.to_string(),
                        h.fired_30d.to_string(),
                        format!(
                            "{}  {}",
                            crate::sources::history::summary(h, now),
                            h.sparkline()
                        ),
                    ),
                    Err(e) => ("?".into(), "?".into(), format!("not available: {e}")),
                };
                writeln!(
                    out,
                    "{:<9} {:<name_w$} {d7:>3} {d30:>3}  {}",
                    clip(a.severity(), 9),
                    clip(a.name(), name_w),
                    clip(&text, 300)
                )?;
            }
        }
    }
    Ok(())
}

/// The ALERTNAME column: as wide as the widest name shown, 9 to 40.
fn name_width(alerts: &[Alert]) -> usize {
    alerts
        .iter()
        .map(|a| crate::text::visible(a.name()).chars().count())
        .max()
        .unwrap_or(9)
        .clamp(9, 40)
}

/// Alerts as an aligned table, worst first.
pub fn write_table(
    out: &mut impl Write,
    alerts: &[Alert],
    now: DateTime<Utc>,
    show_source: bool,
) -> std::io::Result<()> {
    if alerts.is_empty() {
        writeln!(out, "no alerts")?;
        return Ok(());
    }
    let name_w = name_width(alerts);
    let svc_w = alerts
        .iter()
        .map(|a| crate::text::visible(a.service()).chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 24);
    write!(
        out,
        "{:<9} {:<10} {:>6}  {:<name_w$} {:<svc_w$} ",
        "SEVERITY", "STATE", "AGE", "ALERTNAME", "SERVICE"
    )?;
    if show_source {
        write!(out, "{:<24} ", "FROM")?;
    }
    writeln!(out, "SUMMARY")?;
    for a in alerts {
        write!(
            out,
            "{:<9} {:<10} {:>6}  {:<name_w$} {:<svc_w$} ",
            clip(a.severity(), 9),
            a.state_label(),
            age(now - a.starts_at),
            clip(a.name(), name_w),
            clip(a.service(), svc_w),
        )?;
        if show_source {
            write!(out, "{:<24} ", clip(&a.source, 24))?;
        }
        writeln!(out, "{}", clip(&a.summary().replace('\n', " "), 120))?;
    }
    Ok(())
}

/// At most `n` characters, with an ellipsis when cut; remote text made
/// visible first (an escape sequence or a newline in a label must not act
/// on the terminal or forge a row).
pub fn clip(s: &str, n: usize) -> String {
    let s = crate::text::visible(s);
    let s = s.as_ref();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        crate::sources::http::clip(s, n.saturating_sub(1))
    }
}

/// `42s`, `5m`, `3h`, `2d`.
pub fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}
