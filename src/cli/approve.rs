//! `firebreak approve [ID]`: the two-person rule, headless. Without an id
//! it lists what waits for a second responder; with one it approves that
//! request in this responder's own (signed) feed and sends it, and the
//! requester's cockpit carries the action out. The team database is
//! asked first: the requests are in other responders' feeds.

use std::process::ExitCode;

use chrono::Utc;

use crate::domain::approvals::Standing;
use crate::domain::incident::Incident;
use crate::domain::Event;
use crate::team::db::Team;
use crate::timeline::journal::Journal;
use crate::wiring::{self, Setup};

pub fn run(
    incident: Option<&str>,
    id: Option<&str>,
    setup: &Setup<'_>,
) -> anyhow::Result<ExitCode> {
    let Some(cfg) = &setup.config.team else {
        anyhow::bail!(
            "the two-person rule works through the team database, and none is configured: add a [team] section (see README, Working as a team)"
        );
    };
    let settings = wiring::team_settings(cfg)?;
    let (incident, path) = match incident {
        Some(want) => {
            let known = crate::timeline::journal::list(&setup.data_dir)?;
            let Some(s) = known.into_iter().find(|s| s.id == want) else {
                anyhow::bail!(
                    "you have not joined incident '{want}' in {}: firebreak team join {want}",
                    setup.data_dir.display()
                );
            };
            (s.id, s.path)
        }
        None => match wiring::open_incident(setup)? {
            Some(open) => (open.id, open.path),
            None => anyhow::bail!(
                "no open incident in {}: firebreak team join ID first",
                setup.data_dir.display()
            ),
        },
    };
    let me = wiring::team_identity(setup).map_err(anyhow::Error::msg)?;
    let responder = wiring::responder_or_unnamed(setup.config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (mut sync, _) = crate::team::sync::Sync::open(&incident, me, &path)
            .map_err(anyhow::Error::msg)?;
        let mut team = Team::connect(&settings).await.map_err(|e| {
            anyhow::anyhow!(
                "the team database {} cannot be reached ({e}): the requests are there, nothing was approved",
                settings.shown()
            )
        })?;
        team.require_schema().await?;
        sync.round(&mut team).await?;
        let merged = crate::team::sync::merged(&path, &incident)
            .map_err(anyhow::Error::msg)?
            .map(|m| m.entries)
            .unwrap_or_default();
        let Some(inc) = Incident::replay(&merged) else {
            anyhow::bail!("incident {incident} has no declaration yet: nothing to approve");
        };
        let now = Utc::now();
        let Some(id) = id else {
            let waiting: Vec<_> = inc.approvals.waiting_for(&responder, now).collect();
            if waiting.is_empty() {
                println!("nothing waits for your approval on incident {incident}");
            }
            for r in waiting {
                println!(
                    "{}  {}: {}  (asked {}, expires {})",
                    r.id,
                    crate::text::visible(&r.by),
                    crate::text::visible(&r.what),
                    r.asked_at.format("%H:%M:%SZ"),
                    r.expires_at().format("%H:%M:%SZ")
                );
            }
            return Ok(ExitCode::SUCCESS);
        };
        let Some(r) = inc.approvals.get(id) else {
            let known: Vec<&str> = inc.approvals.list.iter().map(|r| r.id.as_str()).collect();
            anyhow::bail!(
                "no request '{id}' on incident {incident}; known: {}",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            );
        };
        if r.by == responder {
            anyhow::bail!(
                "{id} is your own request: the two-person rule needs a second responder (in the cockpit, A withdraws it or goes ahead alone)"
            );
        }
        let standing = r.standing(now);
        if standing != Standing::Waiting {
            anyhow::bail!("{id} is {}: nothing to approve", standing.label());
        }
        let (mut journal, _) = Journal::open(&path)?;
        let entry = journal.append(
            now,
            &responder,
            Event::ApprovalGiven {
                id: id.to_string(),
                requester: r.by.clone(),
                what: r.what.clone(),
            },
        )?;
        println!(
            "approved {id} ({}: {}) on incident {incident} (entry {})",
            crate::text::visible(&r.by),
            crate::text::visible(&r.what),
            entry.seq
        );
        match sync.round(&mut team).await {
            Ok(_) => println!("sent: {}'s cockpit carries it out", crate::text::visible(&r.by)),
            Err(e) => {
                println!("recorded, NOT sent yet ({e}): `firebreak team sync` or an open cockpit sends it");
                return Ok(ExitCode::from(1));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
