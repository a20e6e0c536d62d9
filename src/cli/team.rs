//! `firebreak team init|status`: the team database's schema, and whether
//! this firebreak can reach it.

use std::process::ExitCode;

use clap::Subcommand;

use crate::team::db::Team;
use crate::wiring::{self, Setup};

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    /// Create or upgrade the team database's schema (idempotent; run it
    /// as the schema's owner)
    Init,
    /// Is the team database reachable, at which schema version, and who
    /// you are in it (your signing key)
    Status,
    /// Share the open incident now: send your entries the database lacks,
    /// receive everyone else's (exit 1 when the database cannot be
    /// reached: nothing is lost, the next sync sends it)
    Sync,
    /// Join an incident another responder shared: start your own feed of
    /// it and receive everything recorded so far
    Join {
        /// The incident's id (`firebreak team status` counts them; the
        /// declarer's `incident list` shows it)
        id: String,
    },
    /// Leave a shared incident: you stop working it (your cockpit no
    /// longer resumes it); what you recorded stays. Roles you hold are
    /// released; the incident commander hands IC on first. `team join`
    /// brings you back.
    Leave {
        /// The incident (default: the open one)
        #[arg(long)]
        incident: Option<String>,
    },
}

pub fn run(cmd: TeamCmd, setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let Some(cfg) = &setup.config.team else {
        anyhow::bail!(
            "no team database is configured: add a [team] section with url = \"postgres://user@host:5432/db\" (see README, Working as a team)"
        );
    };
    let settings = wiring::team_settings(cfg)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match cmd {
            TeamCmd::Init => {
                let mut team = Team::connect(&settings).await?;
                let m = team.init().await?;
                if m.from == m.to {
                    println!(
                        "team database {}: schema already at version {}",
                        settings.shown(),
                        m.to
                    );
                } else {
                    println!(
                        "team database {}: schema version {} → {}",
                        settings.shown(),
                        m.from,
                        m.to
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            TeamCmd::Sync => {
                let Some(open) = wiring::open_incident(setup)? else {
                    anyhow::bail!(
                        "no open incident in {} to share",
                        setup.data_dir.display()
                    );
                };
                let me = wiring::team_identity(setup).map_err(anyhow::Error::msg)?;
                sync_once(&settings, me, &open.id, &open.path).await
            }
            TeamCmd::Join { id } => {
                let me = wiring::team_identity(setup).map_err(anyhow::Error::msg)?;
                let team = Team::connect(&settings).await?;
                team.require_schema().await?;
                let Some(shared) = team.incidents().await?.into_iter().find(|i| i.id == id) else {
                    anyhow::bail!("no shared incident '{id}' in the team database {}", settings.shown());
                };
                let path = crate::timeline::journal::journal_path(&setup.data_dir, &id);
                let name = wiring::responder_or_unnamed(setup.config);
                // A new feed of it, or back after leaving (on the record,
                // and resumed again); else nothing to add.
                let (mut journal, again) = if path.exists() {
                    let (j, replay) = crate::timeline::journal::Journal::open(&path)?;
                    let left = crate::domain::incident::Incident::replay(&replay.entries)
                        .is_some_and(|i| i.left.contains(&name));
                    (left.then_some(j), " again")
                } else {
                    wiring::ensure_dir(&setup.data_dir)?;
                    (Some(crate::timeline::journal::Journal::create(&setup.data_dir, &id)?), "")
                };
                match journal.as_mut() {
                    Some(j) => {
                        j.append(
                            chrono::Utc::now(),
                            &name,
                            crate::domain::Event::TeamJoined {
                                id: id.clone(),
                                title: shared.title.clone(),
                                severity: setup.config.incident.default_severity,
                                declared_by: shared.declared_by.clone(),
                                declared_at: shared.declared_at,
                            },
                        )?;
                        println!("joined incident {id}{again}: {}", crate::text::visible(&shared.title));
                    }
                    None => println!("you already have incident {id}: syncing it"),
                }
                drop(journal);
                sync_once(&settings, me, &id, &path).await
            }
            TeamCmd::Leave { incident } => {
                let me = wiring::team_identity(setup).map_err(anyhow::Error::msg)?;
                let name = wiring::responder_or_unnamed(setup.config);
                let (id, path) = match incident {
                    Some(id) => {
                        let path = crate::timeline::journal::journal_path(&setup.data_dir, &id);
                        anyhow::ensure!(path.exists(), "you have no incident '{id}' in {}", setup.data_dir.display());
                        (id, path)
                    }
                    None => match wiring::open_incident(setup)? {
                        Some(open) => (open.id, open.path),
                        None => anyhow::bail!("no open incident in {} to leave", setup.data_dir.display()),
                    },
                };
                // The team's view decides who holds what (roles are
                // entries of everyone's feeds).
                let team_view = crate::team::sync::merged(&path, &id)
                    .map_err(anyhow::Error::msg)?
                    .map(|m| m.entries);
                let (mut j, replay) = crate::timeline::journal::Journal::open(&path)?;
                let entries = team_view.unwrap_or(replay.entries);
                let Some(inc) = crate::domain::incident::Incident::replay(&entries) else {
                    anyhow::bail!("incident {id}: its journal holds no incident");
                };
                if inc.left.contains(&name) {
                    println!("you already left incident {id}");
                    return Ok(ExitCode::SUCCESS);
                }
                use crate::domain::roles::Role;
                if inc.roles.holds(&name, Role::IncidentCommander) {
                    anyhow::bail!("you are the incident commander of {id}: hand IC on first (c in the cockpit), then leave");
                }
                let now = chrono::Utc::now();
                for role in Role::ALL.into_iter().filter(|r| inc.roles.holds(&name, *r)) {
                    j.append(now, &name, crate::domain::Event::RoleChanged { role, from: Some(name.clone()), to: None })?;
                }
                j.append(now, &name, crate::domain::Event::TeamLeft { id: id.clone() })?;
                drop(j);
                println!("left incident {id}: {} (your entries stay; `firebreak team join {id}` brings you back)", crate::text::visible(&inc.title));
                sync_once(&settings, me, &id, &path).await
            }
            TeamCmd::Status => {
                let me = wiring::team_identity(setup).map_err(anyhow::Error::msg)?;
                println!("you         {} (key {})", wiring::responder_or_unnamed(setup.config), me.author());
                let team = match Team::connect(&settings).await {
                    Ok(t) => t,
                    Err(e) => {
                        println!("database    {}: UNREACHABLE: {e}", settings.shown());
                        return Ok(ExitCode::from(1));
                    }
                };
                let version = team.version().await?;
                let want = crate::team::schema::latest();
                println!("database    {}: reachable", settings.shown());
                if version == want {
                    println!("schema      version {version}");
                } else {
                    println!(
                        "schema      version {version}, this firebreak needs {want}: run `firebreak team init`"
                    );
                    return Ok(ExitCode::from(1));
                }
                let shared = team.incidents().await?;
                println!("incidents   {} shared", shared.len());
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// One round for the incident of `journal`, said in one line.
async fn sync_once(
    settings: &crate::team::db::Settings,
    me: crate::team::keys::Identity,
    id: &str,
    journal: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let (mut sync, _) =
        crate::team::sync::Sync::open(id, me, journal).map_err(anyhow::Error::msg)?;
    let round = async {
        let mut team = Team::connect(settings).await?;
        team.require_schema().await?;
        sync.round(&mut team).await
    };
    match round.await {
        Ok(r) => {
            println!(
                "incident {id}: sent {}, received {}{}{}",
                r.sent,
                r.received.len(),
                if r.rejected.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", REJECTED {} (not believed: {})",
                        r.rejected.len(),
                        r.rejected[0].1
                    )
                },
                if r.forks.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", FORKED: {} of your entries are held differently in the database",
                        r.forks.len()
                    )
                }
            );
            Ok(if r.rejected.is_empty() && r.forks.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(e) => {
            let unsent = sync.unsent().unwrap_or(0);
            println!(
                "incident {id}: OFFLINE: {e}; {unsent} of your entries to send, kept in your journal"
            );
            Ok(ExitCode::from(1))
        }
    }
}
