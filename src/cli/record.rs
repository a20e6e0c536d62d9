//! Headless writers on the open incident: `firebreak note`, and what
//! `silence`, `flag on/off` and `playbook run --record` do, land on the
//! timeline of the incident that is open (a cockpit showing it sees them
//! within a second). Appends go through the journal's append lock, so a
//! cockpit writing the same incident at the same moment is never
//! interleaved with.

use std::process::ExitCode;

use chrono::Utc;

use crate::domain::Event;
use crate::timeline::journal::Journal;
use crate::wiring::{self, Setup};

/// The open incident's journal, when there is an open incident.
pub struct OnIncident {
    journal: Option<(String, Journal)>,
    actor: String,
}

impl OnIncident {
    /// The open incident of this mode (none: nothing is recorded, the
    /// command's output is the record).
    pub fn open(setup: &Setup<'_>) -> anyhow::Result<OnIncident> {
        let journal = wiring::resume(setup, Utc::now())?.map(|r| {
            for n in &r.notices {
                eprintln!("firebreak: warning: {n}");
            }
            (r.summary.id, r.journal)
        });
        Ok(OnIncident {
            journal,
            actor: wiring::responder_or_unnamed(setup.config),
        })
    }

    /// The incident's id, if one is open.
    pub fn id(&self) -> Option<&str> {
        self.journal.as_ref().map(|(id, _)| id.as_str())
    }

    /// Record before acting (write-ahead): an error when it could not be
    /// recorded, and then the action must not be taken.
    pub fn before(&mut self, event: Event) -> anyhow::Result<()> {
        let Some((id, j)) = self.journal.as_mut() else {
            return Ok(());
        };
        j.append(Utc::now(), &self.actor, event)
            .map(|_| ())
            .map_err(|e| {
                anyhow::anyhow!("nothing was done: it could not be recorded on incident {id}: {e}")
            })
    }

    /// Record an outcome: on failure say so (the action already happened).
    pub fn after(&mut self, event: Event) {
        if let Some((id, j)) = self.journal.as_mut() {
            if let Err(e) = j.append(Utc::now(), &self.actor, event) {
                eprintln!("firebreak: NOT RECORDED on incident {id}: {e}");
            }
        }
    }
}

/// `firebreak note TEXT...`: a note on the open incident's timeline.
pub fn note(
    incident: Option<&str>,
    words: &[String],
    setup: &Setup<'_>,
) -> anyhow::Result<ExitCode> {
    let text = words.join(" ");
    if text.trim().is_empty() {
        anyhow::bail!("the note is empty: firebreak note TEXT...");
    }
    let (id, mut journal) = match incident {
        Some(id) => {
            let known = crate::timeline::journal::list(&setup.data_dir)?;
            let Some(s) = known.iter().find(|s| s.id == id) else {
                let ids: Vec<&str> = known.iter().map(|s| s.id.as_str()).collect();
                anyhow::bail!(
                    "no incident '{id}' in {}; known: {}",
                    setup.data_dir.display(),
                    if ids.is_empty() {
                        "none".into()
                    } else {
                        ids.join(", ")
                    }
                );
            };
            let (j, _) = Journal::open(&s.path)?;
            (s.id.clone(), j)
        }
        None => {
            let Some(r) = wiring::resume(setup, Utc::now())? else {
                anyhow::bail!(
                    "no open incident in {}: declare one in the cockpit (D) first",
                    setup.data_dir.display()
                );
            };
            for n in &r.notices {
                eprintln!("firebreak: warning: {n}");
            }
            (r.summary.id, r.journal)
        }
    };
    let actor = wiring::responder_or_unnamed(setup.config);
    let now = Utc::now();
    // `firebreak note 14:02 customers reported` backfills, as in the cockpit.
    let local = *now.with_timezone(&chrono::Local).offset();
    let (text, at) = match crate::domain::timeparse::backfill(&text, now, local) {
        Some(Ok((at, rest))) => (rest.to_string(), Some(at)),
        Some(Err(e)) => anyhow::bail!("{e}"),
        None => (text, None),
    };
    let entry = journal.append(now, &actor, Event::Note { text, at })?;
    match at {
        Some(at) => println!(
            "noted on incident {id} (entry {}, by {actor}), backfilled to {}",
            entry.seq,
            at.format("%H:%M:%SZ")
        ),
        None => println!("noted on incident {id} (entry {}, by {actor})", entry.seq),
    }
    Ok(ExitCode::SUCCESS)
}

/// The journal of incident `incident` (an id), or of the open one: its
/// id, the journal to append to and the entries it holds.
pub fn journal_of(
    incident: Option<&str>,
    setup: &Setup<'_>,
) -> anyhow::Result<(String, Journal, Vec<crate::domain::Entry>)> {
    Ok(match incident {
        Some(id) => {
            let known = crate::timeline::journal::list(&setup.data_dir)?;
            let Some(s) = known.iter().find(|s| s.id == id) else {
                let ids: Vec<&str> = known.iter().map(|s| s.id.as_str()).collect();
                anyhow::bail!(
                    "no incident '{id}' in {}; known: {}",
                    setup.data_dir.display(),
                    if ids.is_empty() {
                        "none".into()
                    } else {
                        ids.join(", ")
                    }
                );
            };
            let (j, replay) = Journal::open(&s.path)?;
            (s.id.clone(), j, replay.entries)
        }
        None => {
            let Some(r) = wiring::resume(setup, Utc::now())? else {
                anyhow::bail!(
                    "no open incident in {}: declare one in the cockpit (D) first",
                    setup.data_dir.display()
                );
            };
            for n in &r.notices {
                eprintln!("firebreak: warning: {n}");
            }
            (r.summary.id, r.journal, r.replay.entries)
        }
    })
}
