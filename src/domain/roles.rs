//! Who holds which role in the response, folded from the entries in
//! order ([`Roles::apply`], called by the incident fold).
//!
//! - **Incident commander**: exactly one at a time. Whoever declared the
//!   incident holds it from the declaration (derived from the declaration
//!   entry, not recorded separately: that entry already says who, and a
//!   second entry could be lost or land after others' in the team's
//!   order). Assigning it to someone takes it from the holder; it is
//!   never released (a recorded release does not count): it is handed on.
//! - **Comms** and **scribe**: at most one holder each; taking it takes it
//!   from the holder.
//! - **Operations** and **observer**: any number of holders (several
//!   people hands-on; anyone may watch).
//!
//! Roles are independent: the commander may also be on comms.
//!
//! The fold reads only `to` (and, for a release, who releases): what the
//! recorder believed the holder was (`from`) is kept in the entry, but the
//! holder the fold had is what a change replaces. So when two responders
//! change a role at once, the order of the entries (the team database's,
//! the same on every client) decides, and every screen agrees: the later
//! change stands.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Entry, Event};

/// A role in the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    IncidentCommander,
    Comms,
    Scribe,
    Operations,
    Observer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::IncidentCommander,
        Role::Comms,
        Role::Scribe,
        Role::Operations,
        Role::Observer,
    ];

    /// In a sentence or a heading: "Incident commander".
    pub fn label(self) -> &'static str {
        match self {
            Role::IncidentCommander => "Incident commander",
            Role::Comms => "Comms",
            Role::Scribe => "Scribe",
            Role::Operations => "Operations",
            Role::Observer => "Observer",
        }
    }

    /// In the header: `IC`, `comms`, `scribe`, `ops`, `observer`.
    pub fn short(self) -> &'static str {
        match self {
            Role::IncidentCommander => "IC",
            Role::Comms => "comms",
            Role::Scribe => "scribe",
            Role::Operations => "ops",
            Role::Observer => "observer",
        }
    }

    /// The name in the journal and the JSON export (snake_case).
    pub fn key(self) -> &'static str {
        match self {
            Role::IncidentCommander => "incident_commander",
            Role::Comms => "comms",
            Role::Scribe => "scribe",
            Role::Operations => "operations",
            Role::Observer => "observer",
        }
    }

    /// What the role does.
    pub fn meaning(self) -> &'static str {
        match self {
            Role::IncidentCommander => "runs the response, decides, delegates",
            Role::Comms => "updates stakeholders and the status page",
            Role::Scribe => "keeps the timeline and notes",
            Role::Operations => "hands-on: flags, rollbacks, playbooks",
            Role::Observer => "watches, adds notes",
        }
    }

    /// May several people hold it at once?
    pub fn shared(self) -> bool {
        matches!(self, Role::Operations | Role::Observer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One holder of a role, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub name: String,
    pub since: DateTime<Utc>,
}

/// One change of who holds a role, as the fold saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    /// The entry that changed it (the declaration, for the first IC).
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: String,
    pub role: Role,
    /// Who held it before (for a shared role: who left), as the fold had it.
    pub from: Option<String>,
    /// Who holds it after (for a shared role: who joined); `None`: released.
    pub to: Option<String>,
}

/// Who holds which role, and every change, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roles {
    /// Per role (in [`Role::ALL`] order), its holders in the order they
    /// took it.
    holders: [Vec<Holder>; 5],
    pub changes: Vec<RoleChange>,
}

impl Roles {
    /// At the declaration: its declarer is the incident commander.
    pub fn declared(by: &str, seq: u64, at: DateTime<Utc>) -> Roles {
        let mut roles = Roles::default();
        roles.holders[0].push(Holder {
            name: by.to_string(),
            since: at,
        });
        roles.changes.push(RoleChange {
            seq,
            at,
            by: by.to_string(),
            role: Role::IncidentCommander,
            from: None,
            to: Some(by.to_string()),
        });
        roles
    }

    /// The holders of `role`, in the order they took it.
    pub fn holders(&self, role: Role) -> &[Holder] {
        &self.holders[index(role)]
    }

    /// The incident commander (there is one from the declaration on).
    pub fn commander(&self) -> Option<&str> {
        self.holders(Role::IncidentCommander)
            .first()
            .map(|h| h.name.as_str())
    }

    /// Does `name` hold `role`?
    pub fn holds(&self, name: &str, role: Role) -> bool {
        self.holders(role).iter().any(|h| h.name == name)
    }

    /// Has anything changed since the declaration?
    pub fn changed(&self) -> bool {
        self.changes.len() > 1
    }

    /// Fold one entry in (only role changes count).
    pub fn apply(&mut self, entry: &Entry) {
        let Event::RoleChanged { role, from, to } = &entry.event else {
            return;
        };
        let role = *role;
        let holders = &mut self.holders[index(role)];
        let change = |from: Option<String>, to: Option<String>| RoleChange {
            seq: entry.seq,
            at: entry.ts,
            by: entry.actor.clone(),
            role,
            from,
            to,
        };
        match to {
            Some(to) if role.shared() => {
                if holders.iter().any(|h| &h.name == to) {
                    return;
                }
                holders.push(Holder {
                    name: to.clone(),
                    since: entry.ts,
                });
                self.changes.push(change(None, Some(to.clone())));
            }
            Some(to) => {
                let before = holders.first().map(|h| h.name.clone());
                if before.as_deref() == Some(to.as_str()) {
                    return;
                }
                *holders = vec![Holder {
                    name: to.clone(),
                    since: entry.ts,
                }];
                self.changes.push(change(before, Some(to.clone())));
            }
            // The commander is handed on, never released.
            None if role == Role::IncidentCommander => {}
            None => {
                // Who leaves: the one named, else whoever recorded it. A
                // release after someone else took the role keeps them.
                let leaving = from.as_deref().unwrap_or(&entry.actor);
                let Some(i) = holders.iter().position(|h| h.name == leaving) else {
                    return;
                };
                let gone = holders.remove(i);
                self.changes.push(change(Some(gone.name), None));
            }
        }
    }

    /// `IC alice · comms bob · ops carol, dan`: every role someone holds.
    pub fn summary(&self) -> String {
        self.summary_of(&Role::ALL)
    }

    /// [`Roles::summary`] of some roles only.
    pub fn summary_of(&self, roles: &[Role]) -> String {
        roles
            .iter()
            .filter(|r| !self.holders(**r).is_empty())
            .map(|r| {
                let names: Vec<&str> = self.holders(*r).iter().map(|h| h.name.as_str()).collect();
                format!("{} {}", r.short(), names.join(", "))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

fn index(role: Role) -> usize {
    match role {
        Role::IncidentCommander => 0,
        Role::Comms => 1,
        Role::Scribe => 2,
        Role::Operations => 3,
        Role::Observer => 4,
    }
}

/// The timeline's line for a role change: "Incident commander: alice →
/// bob", "Comms: bob", "Comms: bob released it", "Operations: dan joined".
pub fn describe(role: Role, from: Option<&str>, to: Option<&str>) -> String {
    let label = role.label();
    match (from, to) {
        (_, Some(to)) if role.shared() => format!("{label}: {to} joined"),
        (Some(from), None) if role.shared() => format!("{label}: {from} left"),
        (Some(from), Some(to)) => format!("{label}: {from} → {to}"),
        (None, Some(to)) => format!("{label}: {to}"),
        (Some(from), None) => format!("{label}: {from} released it"),
        (None, None) => format!("{label}: released"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::{Incident, Severity};

    fn entry(seq: u64, min: u32, actor: &str, event: Event) -> Entry {
        Entry {
            seq,
            ts: DateTime::parse_from_rfc3339(&format!("2026-12-02T14:{min:02}:00Z"))
                .unwrap()
                .to_utc(),
            prev: String::new(),
            actor: actor.into(),
            event,
            hash: String::new(),
        }
    }

    fn declared(by: &str) -> Entry {
        entry(
            1,
            0,
            by,
            Event::IncidentDeclared {
                id: "i".into(),
                title: "t".into(),
                severity: Severity::Sev2,
                demo: false,
            },
        )
    }

    fn change(seq: u64, actor: &str, role: Role, from: Option<&str>, to: Option<&str>) -> Entry {
        entry(
            seq,
            seq as u32,
            actor,
            Event::RoleChanged {
                role,
                from: from.map(Into::into),
                to: to.map(Into::into),
            },
        )
    }

    fn roles(rest: Vec<Entry>) -> Roles {
        let mut all = vec![declared("alice")];
        all.extend(rest);
        Incident::replay(&all).unwrap().roles
    }

    #[test]
    fn the_declarer_is_the_commander_until_a_handoff() {
        let r = roles(vec![]);
        assert_eq!(r.commander(), Some("alice"));
        assert!(!r.changed());
        let r = roles(vec![change(
            2,
            "alice",
            Role::IncidentCommander,
            Some("alice"),
            Some("bob"),
        )]);
        assert_eq!(r.commander(), Some("bob"));
        assert_eq!(r.holders(Role::IncidentCommander).len(), 1, "exactly one");
        let last = r.changes.last().unwrap();
        assert_eq!(
            (last.from.as_deref(), last.to.as_deref(), last.by.as_str()),
            (Some("alice"), Some("bob"), "alice")
        );
        assert_eq!(r.summary(), "IC bob");
    }

    #[test]
    fn the_commander_is_never_released_only_handed_on() {
        let r = roles(vec![change(
            2,
            "alice",
            Role::IncidentCommander,
            Some("alice"),
            None,
        )]);
        assert_eq!(r.commander(), Some("alice"));
        assert!(!r.changed(), "a recorded release does not count");
    }

    #[test]
    fn concurrent_changes_are_decided_by_the_order_of_the_entries() {
        // Alice hands IC to bob while carol takes it from alice: both
        // believed alice held it. The later entry stands, and it replaced
        // bob, not alice.
        let a = change(
            2,
            "alice",
            Role::IncidentCommander,
            Some("alice"),
            Some("bob"),
        );
        let c = change(
            3,
            "carol",
            Role::IncidentCommander,
            Some("alice"),
            Some("carol"),
        );
        let one = roles(vec![a.clone(), c.clone()]);
        assert_eq!(one.commander(), Some("carol"));
        assert_eq!(one.changes[2].from.as_deref(), Some("bob"));
        let other = roles(vec![c, a]);
        assert_eq!(other.commander(), Some("bob"));
        assert_eq!(other.holders(Role::IncidentCommander).len(), 1);
        // Comms: bob releases while dan takes it; in this order dan keeps it.
        let r = roles(vec![
            change(2, "bob", Role::Comms, None, Some("bob")),
            change(3, "dan", Role::Comms, Some("bob"), Some("dan")),
            change(4, "bob", Role::Comms, Some("bob"), None),
        ]);
        assert_eq!(r.holders(Role::Comms)[0].name, "dan");
        assert_eq!(r.holders(Role::Comms).len(), 1);
    }

    #[test]
    fn operations_and_observers_may_be_several_and_leave_one_by_one() {
        let r = roles(vec![
            change(2, "bob", Role::Operations, None, Some("bob")),
            change(3, "dan", Role::Operations, None, Some("dan")),
            change(4, "dan", Role::Operations, None, Some("dan")), // twice: once
            change(5, "eve", Role::Observer, None, Some("eve")),
            change(6, "bob", Role::Comms, None, Some("bob")),
            change(7, "bob", Role::Operations, Some("bob"), None),
        ]);
        assert_eq!(r.summary(), "IC alice · comms bob · ops dan · observer eve");
        assert_eq!(r.changes.len(), 6, "{:?}", r.changes);
    }

    #[test]
    fn a_joiners_feed_names_the_declarer_commander() {
        let joined = entry(
            1,
            3,
            "bob",
            Event::TeamJoined {
                id: "i".into(),
                title: "t".into(),
                severity: Severity::Sev2,
                declared_by: "alice".into(),
                declared_at: DateTime::parse_from_rfc3339("2026-12-02T14:00:00Z")
                    .unwrap()
                    .to_utc(),
            },
        );
        let inc = Incident::replay(&[joined]).unwrap();
        assert_eq!(inc.roles.commander(), Some("alice"));
    }

    #[test]
    fn role_changes_read_as_handoffs() {
        let e = Event::RoleChanged {
            role: Role::IncidentCommander,
            from: Some("alice".into()),
            to: Some("bob".into()),
        };
        assert_eq!(e.describe(), "Incident commander: alice → bob");
        assert_eq!(e.category(), "role");
        assert_eq!(
            describe(Role::Comms, Some("bob"), None),
            "Comms: bob released it"
        );
        assert_eq!(
            describe(Role::Operations, None, Some("dan")),
            "Operations: dan joined"
        );
        // The journal's spelling.
        let line = serde_json::to_string(&e).unwrap();
        assert!(
            line.contains(r#""kind":"role_changed","role":"incident_commander""#),
            "{line}"
        );
    }
}
