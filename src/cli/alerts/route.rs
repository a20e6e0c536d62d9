//! `firebreak alerts route LABEL=VALUE...`: who gets paged. The routing
//! tree comes from the running Alertmanager (`/api/v2/status`) or, with
//! `--am-config`, from a configuration file (to try a change before it ships,
//! as `amtool config routes test --config.file` does).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::{build_am, clip, runtime, AmOpts, Format};
use crate::config::Config;
use crate::sources::alertmanager::routing::{Paged, RoutingTree};
use crate::sources::matcher::{self, Op};

#[derive(Args, Debug)]
pub struct RouteArgs {
    /// The alert's labels, as name=value (or name="value")
    #[arg(value_name = "LABEL=VALUE")]
    pub labels: Vec<String>,
    /// Read the routing tree from this Alertmanager configuration file
    /// instead of the running Alertmanager
    #[arg(long = "am-config", value_name = "FILE")]
    pub am_config: Option<PathBuf>,
    /// Also print the whole routing tree, the routes taken marked
    #[arg(long)]
    pub tree: bool,
    /// Exit 1 unless the receivers are exactly these (comma-separated, in
    /// order, as amtool's --verify.receivers): for checking a config in CI
    #[arg(long, value_name = "A,B")]
    pub verify_receivers: Option<String>,
    #[command(flatten)]
    pub am: AmOpts,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// What `--format json` prints.
#[derive(Serialize)]
struct Answer<'a> {
    labels: &'a BTreeMap<String, String>,
    /// In routing order; a receiver reached by two routes is listed twice,
    /// as Alertmanager (and amtool) list it.
    receivers: Vec<&'a str>,
    routes: &'a [Paged],
    /// The Alertmanager instance, or the file, the tree was read from.
    from: &'a str,
}

pub fn run(args: &RouteArgs, cfg: &Config) -> anyhow::Result<ExitCode> {
    let labels = label_set(&args.labels)?;
    let (tree, from) = match &args.am_config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let tree = RoutingTree::from_yaml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            (tree, path.display().to_string())
        }
        None => {
            let (am, _) = build_am(cfg, &args.am)?;
            runtime()?.block_on(am.fetch_routing())?
        }
    };
    let routes = tree.route(&labels);
    let receivers: Vec<&str> = routes.iter().map(|p| p.receiver.as_str()).collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => {
            let answer = Answer {
                labels: &labels,
                receivers: receivers.clone(),
                routes: &routes,
                from: &from,
            };
            serde_json::to_writer(&mut out, &answer)?;
            writeln!(out)?;
        }
        Format::Table => {
            writeln!(out, "{}", clip(&receivers.join(","), 400))?;
            let w = receivers
                .iter()
                .map(|r| r.chars().count())
                .max()
                .unwrap_or(8)
                .clamp(8, 40);
            for p in &routes {
                writeln!(
                    out,
                    "  {:<w$}  via {}",
                    clip(&p.receiver, w),
                    clip(&p.via(), 400)
                )?;
                let mut how = format!(
                    "  {:<w$}  {} · group by [{}] · first after {} · every {} · repeats every {}",
                    "",
                    p.at,
                    p.group_by.join(", "),
                    p.group_wait,
                    p.group_interval,
                    p.repeat_interval
                );
                if !p.mute_time_intervals.is_empty() {
                    how.push_str(&format!(
                        " · muted during {}",
                        p.mute_time_intervals.join(", ")
                    ));
                }
                if !p.active_time_intervals.is_empty() {
                    how.push_str(&format!(
                        " · only during {}",
                        p.active_time_intervals.join(", ")
                    ));
                }
                writeln!(out, "{}", clip(&how, 400))?;
            }
            if args.tree {
                writeln!(out)?;
                let taken: Vec<&str> = routes.iter().map(|p| p.at.as_str()).collect();
                for line in tree.render_marked(&taken).lines() {
                    writeln!(out, "{}", clip(line, 400))?;
                }
            }
            writeln!(out, "(routing tree of {})", clip(&from, 200))?;
        }
    }
    out.flush()?;
    if let Some(want) = &args.verify_receivers {
        let want: Vec<&str> = want
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if want != receivers {
            eprintln!(
                "firebreak: the receivers are {}, not {}",
                clip(&receivers.join(","), 400),
                want.join(",")
            );
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `name=value` arguments as a label set (a matcher such as `a=~"b"` is
/// not a label: it is refused, naming it).
fn label_set(args: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    for m in matcher::parse_args(args).map_err(anyhow::Error::msg)? {
        if m.op != Op::Eq {
            anyhow::bail!("`{m}`: give the alert's labels as name=value, not matchers");
        }
        if let Some(before) = labels.insert(m.name.clone(), m.value.clone()) {
            anyhow::bail!(
                "label `{}` given twice (`{before}` and `{}`)",
                m.name,
                m.value
            );
        }
    }
    Ok(labels)
}
