//! `firebreak silence add|ack|list|expire`: the TUI's silence actions,
//! headless, through the same client.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use clap::Subcommand;

use super::alerts::{age, build_am, clip, runtime, AmOpts, Format};
use super::record::OnIncident;
use crate::config::Config;
use crate::domain::Event;
use crate::sources::matcher;
use crate::sources::silence::{
    ack_comment, format_duration, matchers_text, parse_duration, NewSilence, Silence,
    SilenceMatcher, SilenceState,
};
use crate::wiring::Setup;

#[derive(Subcommand, Debug)]
pub enum SilenceCmd {
    /// Silence alerts matching MATCHER... for --duration, with a comment;
    /// prints the new silence id
    Add {
        /// Matchers, e.g. 'alertname="HighErrorRate"' 'service=~"check.*"'
        #[arg(required = true, value_name = "MATCHER")]
        matchers: Vec<String>,
        /// How long (15m, 2h, 1d) [default: [alertmanager] silence_duration, 2h]
        #[arg(long, short = 'd')]
        duration: Option<String>,
        /// Why (required by Alertmanager)
        #[arg(long, short = 'c')]
        comment: String,
        /// createdBy [default: the configured responder, or $USER]
        #[arg(long)]
        author: Option<String>,
        #[command(flatten)]
        am: AmOpts,
    },
    /// Acknowledge: a short silence ([alertmanager] ack_duration, 15m)
    Ack {
        /// Matchers of the alerts to acknowledge, e.g. 'alertname="HighErrorRate"'
        #[arg(required = true, value_name = "MATCHER")]
        matchers: Vec<String>,
        /// Optional note added to the ack comment
        #[arg(long, short = 'c')]
        comment: Option<String>,
        /// createdBy [default: the configured responder, or $USER]
        #[arg(long)]
        author: Option<String>,
        #[command(flatten)]
        am: AmOpts,
    },
    /// List silences: active and pending (add --expired for expired ones)
    List {
        /// Include expired silences
        #[arg(long)]
        expired: bool,
        /// Only silences that would silence alerts with these labels
        /// (e.g. service=checkout)
        #[arg(long, short = 'F', value_name = "LABEL=VALUE")]
        filter: Vec<String>,
        /// Output format
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        am: AmOpts,
    },
    /// Expire silences now, by id
    Expire {
        /// Silence ids, as `silence list` and `silence add` print them
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        #[command(flatten)]
        am: AmOpts,
    },
}

fn author(cfg: &Config, a: &Option<String>) -> String {
    a.clone()
        .unwrap_or_else(|| crate::wiring::responder_or_unnamed(cfg))
}

pub fn run(cmd: &SilenceCmd, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let cfg = setup.config;
    match cmd {
        SilenceCmd::Add {
            matchers,
            duration,
            comment,
            author: who,
            am,
        } => {
            let (client, section) = build_am(cfg, am)?;
            let d = match duration {
                Some(d) => parse_duration(d).map_err(|e| anyhow::anyhow!("--duration: {e}"))?,
                None => section.silence_default(),
            };
            let mut rec = OnIncident::open(setup)?;
            create(
                &client,
                matchers,
                d,
                author(cfg, who),
                comment.clone(),
                ("silence", &mut rec),
            )
        }
        SilenceCmd::Ack {
            matchers,
            comment,
            author: who,
            am,
        } => {
            let (client, section) = build_am(cfg, am)?;
            let who = author(cfg, who);
            let text = ack_comment(&who, comment.as_deref());
            let mut rec = OnIncident::open(setup)?;
            create(
                &client,
                matchers,
                section.ack(),
                who,
                text,
                ("ack", &mut rec),
            )
        }
        SilenceCmd::List {
            expired,
            filter,
            format,
            am,
        } => {
            let (client, _) = build_am(cfg, am)?;
            let labels: std::collections::BTreeMap<String, String> = filter
                .iter()
                .map(|f| match f.split_once('=') {
                    Some((k, v)) => {
                        Ok((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
                    }
                    None => Err(anyhow::anyhow!("--filter `{f}`: expected LABEL=VALUE")),
                })
                .collect::<anyhow::Result<_>>()?;
            let (mut silences, _) = runtime()?.block_on(client.fetch_silences())?;
            silences.retain(|s| {
                (*expired || s.state != SilenceState::Expired)
                    && (labels.is_empty() || s.matches(&labels))
            });
            silences.sort_by(|a, b| {
                a.state
                    .label()
                    .cmp(b.state.label())
                    .then(a.ends_at.cmp(&b.ends_at))
            });
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string(&silences)?)?,
                Format::Table => write_table(&mut out, &silences)?,
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        SilenceCmd::Expire { ids, am } => {
            let (client, _) = build_am(cfg, am)?;
            let rt = runtime()?;
            let mut rec = OnIncident::open(setup)?;
            let mut failed = 0;
            for id in ids {
                let (action, target) = ("expire silence".to_string(), id.clone());
                rec.before(Event::ActionStarted {
                    action: action.clone(),
                    target: target.clone(),
                    detail: HEADLESS.into(),
                })?;
                let (ok, detail) = match rt.block_on(client.delete_silence(id)) {
                    Ok(inst) => {
                        println!("expired {id} (via {inst})");
                        (true, format!("via {inst}"))
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("firebreak: cannot expire {id}: {e:#}");
                        (false, format!("{e:#}"))
                    }
                };
                rec.after(Event::ActionFinished {
                    action,
                    target,
                    ok,
                    detail,
                });
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Where a headless action came from, on the timeline.
const HEADLESS: &str = "headless (firebreak silence)";

fn create(
    client: &crate::sources::alertmanager::Alertmanager,
    matchers: &[String],
    d: chrono::Duration,
    created_by: String,
    comment: String,
    (action, rec): (&str, &mut OnIncident),
) -> anyhow::Result<ExitCode> {
    let ms = matcher::parse_args(matchers).map_err(anyhow::Error::msg)?;
    if ms.is_empty() {
        anyhow::bail!("give at least one matcher, e.g. 'alertname=\"HighErrorRate\"'");
    }
    let now = Utc::now();
    let s = NewSilence {
        matchers: ms.iter().map(SilenceMatcher::from).collect(),
        starts_at: now,
        ends_at: now + d,
        created_by,
        comment,
    };
    let target = matchers_text(&s.matchers);
    rec.before(Event::ActionStarted {
        action: action.into(),
        target: target.clone(),
        detail: format!("for {}: {} · {HEADLESS}", format_duration(d), s.comment),
    })?;
    let (id, inst) = match runtime()?.block_on(client.post_silence(&s)) {
        Ok(done) => done,
        Err(e) => {
            rec.after(Event::ActionFinished {
                action: action.into(),
                target,
                ok: false,
                detail: format!("{e:#}"),
            });
            return Err(e);
        }
    };
    rec.after(Event::ActionFinished {
        action: action.into(),
        target,
        ok: true,
        detail: format!(
            "silence {id} via {inst}, until {}",
            s.ends_at.format("%Y-%m-%d %H:%MZ")
        ),
    });
    println!("{id}");
    eprintln!(
        "silenced {} for {} (until {}) via {inst}",
        matchers_text(&s.matchers),
        format_duration(d),
        s.ends_at.format("%Y-%m-%d %H:%MZ")
    );
    Ok(ExitCode::SUCCESS)
}

pub fn write_table(out: &mut impl Write, silences: &[Silence]) -> std::io::Result<()> {
    if silences.is_empty() {
        return writeln!(out, "no silences");
    }
    let now = Utc::now();
    writeln!(
        out,
        "{:<36} {:<8} {:<11} {:<16} {:<40} COMMENT",
        "ID", "STATE", "ENDS", "CREATED BY", "MATCHERS"
    )?;
    for s in silences {
        let ends = if s.ends_at > now {
            format!("in {}", age(s.ends_at - now))
        } else {
            format!("{} ago", age(now - s.ends_at))
        };
        writeln!(
            out,
            "{:<36} {:<8} {:<11} {:<16} {:<40} {}",
            s.id,
            s.state.label(),
            ends,
            clip(&s.created_by, 16),
            clip(&matchers_text(&s.matchers), 40),
            clip(&s.comment.replace('\n', " "), 80)
        )?;
    }
    Ok(())
}
