//! `firebreak update`: a status update headless. `--prefill` prints the
//! draft firebreak writes from the journal (edit it, then `--from FILE`
//! or `--from -` for stdin); `--conditions/--actions/--needs` set a part.
//! The update is recorded first (write-ahead: if it cannot be recorded,
//! nothing is sent), then posted to each channel, and each outcome
//! recorded. `--resend ID` sends a recorded update to the channels it has
//! not reached (never to one it was recorded as sent to). Exits 1 when a
//! channel failed.

use std::io::Read;
use std::process::ExitCode;

use chrono::{Duration, Utc};

use crate::chat::webhook::{self, Policy};
use crate::chat::{self, Channel, Message};
use crate::domain::updates::{headline, prefill, Posted, Updates};
use crate::domain::{Event, Incident};
use crate::wiring::{self, Setup};

#[derive(Debug, Clone, clap::Args)]
pub struct UpdateArgs {
    /// The incident [default: the open one]
    #[arg(long)]
    pub incident: Option<String>,
    /// Print the pre-filled update (from the journal) and record nothing
    #[arg(long)]
    pub prefill: bool,
    /// Read the update from a file ("-": stdin) in the --prefill layout
    /// (sections under "Conditions:", "Actions:", "Needs:")
    #[arg(long, value_name = "FILE")]
    pub from: Option<String>,
    /// What is happening, and the impact [default: pre-filled]
    #[arg(long)]
    pub conditions: Option<String>,
    /// What is being done [default: pre-filled]
    #[arg(long)]
    pub actions: Option<String>,
    /// What help is needed [default: pre-filled]
    #[arg(long)]
    pub needs: Option<String>,
    /// Minutes until the next update [default: the severity's cadence]
    #[arg(long, value_name = "MINUTES")]
    pub next: Option<u32>,
    /// Send to this configured channel only (repeatable) [default: all]
    #[arg(long = "channel", value_name = "NAME")]
    pub channels: Vec<String>,
    /// Resend recorded update ID to the channels it has not reached
    #[arg(long, value_name = "ID", conflicts_with_all = ["prefill", "from", "conditions", "actions", "needs"])]
    pub resend: Option<String>,
}

pub fn run(args: &UpdateArgs, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let cfg = &setup.config.status_updates;
    let (id, mut journal, entries) = super::record::journal_of(args.incident.as_deref(), setup)?;
    let Some(inc) = Incident::replay(&entries) else {
        anyhow::bail!("incident {id} has no declaration: nothing to update");
    };
    let actor = wiring::responder_or_unnamed(setup.config);
    let configured = cfg.channels();
    let channels = pick(&configured, &args.channels)?;
    let fold = Updates::replay(&entries);
    let now = Utc::now();

    let (posted, todo): (Posted, Vec<Channel>) = match &args.resend {
        Some(uid) => {
            let Some(p) = fold.get(uid).cloned() else {
                anyhow::bail!("incident {id} has no status update {uid}");
            };
            let mut todo = Vec::new();
            for c in channels {
                if !p.channels.contains(&c.name) && !args.channels.contains(&c.name) {
                    continue;
                }
                if p.sent_to(&c.name) {
                    println!("{uid} → {}: already sent, not sent again", c.name);
                } else {
                    todo.push(c);
                }
            }
            (p, todo)
        }
        None => {
            let cadence = cfg.cadence(setup.demo_mode);
            let mut d = prefill(&inc, &entries, &cadence, now);
            if let Some(src) = &args.from {
                let text = read(src)?;
                let (c, a, n) = sections(&text);
                d.conditions = c;
                d.actions = a;
                d.needs = n;
            }
            for (part, given) in [
                (&mut d.conditions, &args.conditions),
                (&mut d.actions, &args.actions),
                (&mut d.needs, &args.needs),
            ] {
                if let Some(g) = given {
                    *part = g.clone();
                }
            }
            if let Some(m) = args.next {
                d.next_update_at = Some(now + Duration::minutes(i64::from(m.clamp(1, 1440))));
            }
            let posted = Posted {
                // As the cockpit names it: with the author when shared.
                id: fold.next_id(&actor, setup.config.team.is_some() && !setup.demo_mode),
                seq: 0,
                at: now,
                by: actor.clone(),
                headline: headline(&inc),
                draft: d,
                channels: channels.iter().map(|c| c.name.clone()).collect(),
                results: Default::default(),
                theirs: false,
            };
            if args.prefill {
                print!("{}", chat::plain(&message(&id, &posted)));
                return Ok(ExitCode::SUCCESS);
            }
            if [
                &posted.draft.conditions,
                &posted.draft.actions,
                &posted.draft.needs,
            ]
            .iter()
            .all(|t| t.trim().is_empty())
            {
                anyhow::bail!("the update is empty: nothing recorded");
            }
            // Write-ahead: recorded, or nothing is sent.
            let p = &posted;
            journal
                .append(
                    now,
                    &actor,
                    Event::StatusUpdateRecorded {
                        id: p.id.clone(),
                        headline: p.headline.clone(),
                        conditions: p.draft.conditions.clone(),
                        actions: p.draft.actions.clone(),
                        needs: p.draft.needs.clone(),
                        next_update_at: p.draft.next_update_at,
                        channels: p.channels.clone(),
                    },
                )
                .map_err(|e| {
                    anyhow::anyhow!(
                        "nothing was sent: the update could not be recorded on incident {id}: {e}"
                    )
                })?;
            println!("recorded status update {} on incident {id}", posted.id);
            (posted, channels)
        }
    };
    let msg = message(&id, &posted);
    if todo.is_empty() {
        if args.resend.is_none() {
            println!(
                "no chat channel configured ([[status_updates.channels]]): paste it yourself:\n"
            );
            print!("{}", chat::plain(&msg));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let policy: Policy = cfg.policy();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = webhook::client(&policy).map_err(|e| anyhow::anyhow!(e))?;
    let mut failed = 0;
    for c in &todo {
        let result = rt.block_on(webhook::post(&client, c, &msg, &policy));
        let (ok, detail) = match result {
            Ok(d) => (true, d),
            Err(e) => (false, e),
        };
        if ok {
            println!("{} → {}: {detail}", posted.id, c.name);
        } else {
            failed += 1;
            println!("{} → {}: FAILED: {detail}", posted.id, c.name);
        }
        if let Err(e) = journal.append(
            Utc::now(),
            crate::domain::SYSTEM_ACTOR,
            Event::StatusUpdateSent {
                id: posted.id.clone(),
                channel: c.name.clone(),
                ok,
                detail,
            },
        ) {
            eprintln!("firebreak: NOT RECORDED on incident {id}: {e}");
        }
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The configured channels, or the ones named (each must exist).
fn pick(configured: &[Channel], names: &[String]) -> anyhow::Result<Vec<Channel>> {
    if names.is_empty() {
        return Ok(configured.to_vec());
    }
    names
        .iter()
        .map(|n| {
            configured
                .iter()
                .find(|c| c.name == *n)
                .cloned()
                .ok_or_else(|| {
                    let known: Vec<&str> = configured.iter().map(|c| c.name.as_str()).collect();
                    anyhow::anyhow!(
                        "no channel '{n}' in [[status_updates.channels]]; configured: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )
                })
        })
        .collect()
}

fn message(incident: &str, p: &Posted) -> Message {
    Message {
        incident: incident.to_string(),
        id: p.id.clone(),
        headline: p.headline.clone(),
        conditions: p.draft.conditions.clone(),
        actions: p.draft.actions.clone(),
        needs: p.draft.needs.clone(),
        next_update_at: p.draft.next_update_at,
        by: p.by.clone(),
    }
}

fn read(src: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    if src == "-" {
        std::io::stdin().take(1 << 20).read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(src).map_err(|e| anyhow::anyhow!("{src}: {e}"))?;
    }
    Ok(text)
}

/// The three parts of an update in the --prefill layout: the lines under
/// "Conditions:", "Actions:" and "Needs:" (a "Status update" first line
/// and a "Next update" line are not part of any). Text before any heading
/// is the conditions.
pub fn sections(text: &str) -> (String, String, String) {
    let mut parts = [String::new(), String::new(), String::new()];
    let mut at = 0;
    for line in text.lines() {
        let t = line.trim();
        match t {
            "Conditions:" => at = 0,
            "Actions:" => at = 1,
            "Needs:" => at = 2,
            _ if t.starts_with("Status update ") || t.starts_with("Next update") => {}
            _ => {
                parts[at].push_str(line);
                parts[at].push('\n');
            }
        }
    }
    let [c, a, n] = parts.map(|p| p.trim().to_string());
    (c, a, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefill_layout_reads_back() {
        let m = Message {
            incident: "inc".into(),
            id: "u1".into(),
            headline: "SEV2".into(),
            conditions: "errors\n- A [critical]".into(),
            actions: "- flag off".into(),
            needs: "a DBA".into(),
            next_update_at: None,
            by: "alice".into(),
        };
        let (c, a, n) = sections(&chat::plain(&m));
        assert_eq!(c, "errors\n- A [critical]");
        assert_eq!(a, "- flag off");
        assert_eq!(n, "a DBA");
    }
}
