//! Feature flags: what the flag providers report, the flips in flight
//! (a second press does nothing), and the service modes (read-only,
//! maintenance) bound to flags. Keys and messages in `update.rs`.

mod update;

pub(super) use update::{confirmed_flip, hints, on_action, on_flags, on_flip_done, pick};

use std::collections::BTreeSet;

use super::health::Health;
use super::lists::ListView;
use super::State;
use crate::flags::Flag;

#[derive(Debug, Clone)]
pub struct Flags {
    pub items: Vec<Flag>,
    pub list: ListView,
    pub health: Health,
    /// Flags with a flip in flight: a second press does nothing.
    pub in_flight: BTreeSet<String>,
    /// Read-only / maintenance modes bound to flags (from the config).
    pub service_modes: Vec<ServiceMode>,
}

/// A service mode (read-only, maintenance) that a flag switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceMode {
    /// What the header shows while it is in force ("READ-ONLY").
    pub label: String,
    pub provider: String,
    pub flag: String,
    /// The flag state that means "in force".
    pub active_when: bool,
}

impl Flags {
    pub fn new(health: Health) -> Flags {
        Flags {
            items: Vec::new(),
            list: ListView::default(),
            health,
            in_flight: BTreeSet::new(),
            service_modes: Vec::new(),
        }
    }
}

impl State {
    /// The flag under the cursor in the flags pane.
    pub fn selected_flag(&self) -> Option<&Flag> {
        self.flags
            .list
            .selected_index()
            .and_then(|i| self.flags.items.get(i))
    }

    pub fn refilter_flags(&mut self) {
        let texts: Vec<String> = self
            .flags
            .items
            .iter()
            .map(|f| format!("{} {} {}", f.name, f.provider, f.description))
            .collect();
        self.flags.list.refilter(&texts);
    }

    /// Each service mode and whether it is in force per the last flag
    /// read (None: its flag has not been seen yet).
    pub fn service_modes_now(&self) -> Vec<(&ServiceMode, Option<bool>)> {
        self.flags
            .service_modes
            .iter()
            .map(|m| {
                let flag = self
                    .flags
                    .items
                    .iter()
                    .find(|f| f.provider == m.provider && f.name == m.flag);
                (m, flag.map(|f| f.enabled == m.active_when))
            })
            .collect()
    }
}
