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
