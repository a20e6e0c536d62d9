//! What a key can do. Keymap files name these in snake_case.
//!
//! Each action carries, next to its variant, its footer label (`message`)
//! and its help text (`detailed_message`); [`Action::all`] is generated
//! by strum, so a new action cannot be missing from help, the palette or
//! `firebreak keys`.

use serde::{Deserialize, Serialize};
use strum::{EnumIter, EnumMessage, IntoEnumIterator, IntoStaticStr};

/// Every user-level action. Keymaps bind keys to these, layer by layer
/// (see `crate::config::keymap::Layer`); the palette lists them; the help
/// overlay is generated from the keymap and these descriptions.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumIter,
    EnumMessage,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    #[strum(
        message = "quit",
        detailed_message = "Quit (asks while the incident is open)"
    )]
    Quit,
    #[strum(message = "help", detailed_message = "Show or hide this help")]
    ToggleHelp,
    #[strum(
        message = "palette",
        detailed_message = "Command palette: every action, alert and flag"
    )]
    OpenPalette,
    #[strum(message = "filter", detailed_message = "Filter the focused list")]
    Filter,
    #[strum(message = "pane", detailed_message = "Focus the next pane")]
    NextPane,
    #[strum(message = "prev pane", detailed_message = "Focus the previous pane")]
    PrevPane,
    #[strum(message = "alerts", detailed_message = "Focus the alerts pane")]
    FocusAlerts,
    #[strum(message = "metrics", detailed_message = "Focus the metrics pane")]
    FocusMetrics,
    #[strum(message = "timeline", detailed_message = "Focus the timeline")]
    FocusTimeline,
    #[strum(message = "flags", detailed_message = "Focus the flags pane")]
    FocusSide,
    #[strum(message = "up", detailed_message = "Move up")]
    Up,
    #[strum(message = "down", detailed_message = "Move down")]
    Down,
    #[strum(message = "page up", detailed_message = "Page up")]
    PageUp,
    #[strum(message = "page down", detailed_message = "Page down")]
    PageDown,
    #[strum(message = "top", detailed_message = "Go to the top")]
    Top,
    #[strum(message = "bottom", detailed_message = "Go to the bottom")]
    Bottom,
    #[strum(
        message = "details",
        detailed_message = "Open details / act on the selection"
    )]
    Select,
    #[strum(
        message = "back",
        detailed_message = "Close the run view or clear the filter"
    )]
    Back,
    #[strum(
        message = "note",
        detailed_message = "Add a note to the timeline (start it with a time, 14:02 or -10m, to backfill)"
    )]
    AddNote,
    #[strum(
        message = "follow-up",
        detailed_message = "Capture a follow-up action item: [mitigate|prevent|process:] text [@owner] [due:7d]"
    )]
    AddFollowUp,
    #[strum(
        message = "pin",
        detailed_message = "Pin the selected timeline entry (the postmortem's Highlights); again to unpin"
    )]
    TogglePin,
    #[strum(
        message = "pinned only",
        detailed_message = "Show only pinned timeline entries, or everything again"
    )]
    PinnedOnly,
    #[strum(message = "declare", detailed_message = "Declare a new incident")]
    DeclareIncident,
    #[strum(
        message = "join",
        detailed_message = "Join an incident another responder shared (team database)"
    )]
    JoinIncident,
    #[strum(
        message = "leave",
        detailed_message = "Leave a shared incident: asks first, your entries stay, firebreak closes"
    )]
    LeaveIncident,
    #[strum(message = "rename", detailed_message = "Rename the incident")]
    RenameIncident,
    #[strum(message = "sev", detailed_message = "Set severity (SEV1-SEV4)")]
    SetSeverity,
    #[strum(
        message = "status",
        detailed_message = "Set status (investigating .. resolved)"
    )]
    SetStatus,
    #[strum(
        message = "role",
        detailed_message = "Roles: take one, release it, or hand the incident commander on (asks first)"
    )]
    SetRole,
    #[strum(
        message = "impact",
        detailed_message = "Mark when impact started (14:02, -10m)"
    )]
    MarkImpactStart,
    #[strum(
        message = "impact end",
        detailed_message = "Mark or correct when impact ended (14:20, -5m, now)"
    )]
    MarkImpactEnd,
    #[strum(
        message = "mitigated",
        detailed_message = "Confirm or correct when the impact stopped (the mitigation)"
    )]
    MarkMitigated,
    #[strum(
        message = "flip",
        detailed_message = "Flip the selected feature flag (confirm)"
    )]
    ToggleFlag,
    #[strum(
        message = "off",
        detailed_message = "Turn the selected flag off (confirm)"
    )]
    FlagOff,
    #[strum(
        message = "on",
        detailed_message = "Turn the selected flag on (confirm)"
    )]
    FlagOn,
    #[strum(
        message = "rollback",
        detailed_message = "Roll back the last release (confirm)"
    )]
    Rollback,
    #[strum(message = "refresh", detailed_message = "Refresh all sources now")]
    Refresh,
    #[strum(message = "window", detailed_message = "Metrics window: 15m / 1h / 6h")]
    CycleWindow,
    #[strum(
        message = "export",
        detailed_message = "Export the postmortem draft (Markdown)"
    )]
    ExportMarkdown,
    #[strum(message = "json", detailed_message = "Export the timeline (JSON)")]
    ExportJson,
    #[strum(message = "theme", detailed_message = "Switch colour theme")]
    CycleTheme,
    #[strum(
        message = "playbooks",
        detailed_message = "Focus the playbooks pane (runs and playbooks)"
    )]
    FocusPlaybooks,
    #[strum(
        message = "playbook",
        detailed_message = "Playbook for the selected alert (suggested), or the playbooks pane"
    )]
    OpenPlaybook,
    #[strum(
        message = "failed",
        detailed_message = "Playbook run: mark the selected check/step failed"
    )]
    FailStep,
    #[strum(
        message = "skip",
        detailed_message = "Playbook run: skip the selected step (recorded)"
    )]
    SkipStep,
    #[strum(
        message = "re-run",
        detailed_message = "Playbook run: run the selected step again (explicit re-run)"
    )]
    RerunStep,
    #[strum(
        message = "hypothesis",
        detailed_message = "Quick hypothesis: start one (time-boxed), or record its outcome"
    )]
    Hypothesis,
    #[strum(
        message = "systematic",
        detailed_message = "Leave quick fixes: switch to the systematic path"
    )]
    SystematicPath,
    #[strum(
        message = "silence",
        detailed_message = "Silence the selected alert's group: matchers, duration, comment (confirm)"
    )]
    SilenceAlert,
    #[strum(
        message = "ack",
        detailed_message = "Ack the selected alert: a short silence (confirm)"
    )]
    AckAlert,
    #[strum(
        message = "expire",
        detailed_message = "Expire the silence on the selected alert (confirm)"
    )]
    ExpireSilence,
    #[strum(
        message = "inhibitor",
        detailed_message = "In an inhibited alert's details: open the alert that inhibits it"
    )]
    ShowInhibitor,
    #[strum(
        message = "chart rule",
        detailed_message = "In an alert's details: chart the expression of the Prometheus rule behind it in the metrics pane (again: remove it)"
    )]
    ChartRule,
    #[strum(
        message = "about to fire",
        detailed_message = "What is about to fire: Prometheus' pending alerts, soonest first, with the time until their `for` is met; Enter charts the rule"
    )]
    AboutToFire,
    #[strum(
        message = "open link",
        detailed_message = "Open the runbook link (else the generator URL) in your browser"
    )]
    OpenLink,
    #[strum(
        message = "open source",
        detailed_message = "Open the alert's generator URL (its query) in your browser"
    )]
    OpenGeneratorLink,
    #[strum(
        message = "copy link",
        detailed_message = "Copy the runbook link (else the generator URL) to the clipboard"
    )]
    CopyLink,
    #[strum(
        message = "copy source",
        detailed_message = "Copy the alert's generator URL to the clipboard"
    )]
    CopyGeneratorLink,
    #[strum(
        message = "take over",
        detailed_message = "Read-only: write this incident yourself once its writer has quit"
    )]
    TakeOver,
    #[strum(
        message = "approve",
        detailed_message = "Two-person rule: approve another responder's waiting action; on your own, withdraw it or go ahead alone (break glass)"
    )]
    Approve,
    #[strum(
        message = "status update",
        detailed_message = "Status update: write one (pre-filled from the journal), record it, send it to the chat channels"
    )]
    StatusUpdate,
    #[strum(
        message = "resend update",
        detailed_message = "Resend the last status update to the channels it did not reach (confirm)"
    )]
    ResendUpdate,
    #[strum(
        message = "accept",
        detailed_message = "Accept: submit the text, or pick the highlighted entry (the status update editor: record it)"
    )]
    Submit,
    #[strum(
        message = "cancel",
        detailed_message = "Cancel: close without doing anything"
    )]
    Cancel,
    #[strum(message = "clear", detailed_message = "Clear the text")]
    ClearLine,
    #[strum(
        message = "delete word",
        detailed_message = "Delete the word before the cursor"
    )]
    DeleteWord,
    #[strum(message = "next field", detailed_message = "Next field")]
    NextField,
    #[strum(message = "prev field", detailed_message = "Previous field")]
    PrevField,
    #[strum(
        message = "next choice",
        detailed_message = "Next choice of this field"
    )]
    NextChoice,
    #[strum(
        message = "prev choice",
        detailed_message = "Previous choice of this field"
    )]
    PrevChoice,
}

impl Action {
    /// Every action, in declaration order (generated: it cannot drift).
    pub fn all() -> impl Iterator<Item = Action> {
        Action::iter()
    }

    /// The snake_case name used in keymap files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The action of a keymap name, if there is one.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::iter().find(|a| a.name() == name)
    }

    /// What it does, for the help overlay and the palette.
    pub fn description(self) -> &'static str {
        self.get_detailed_message().unwrap_or("")
    }

    /// Does it write to the incident (so a read-only cockpit, following
    /// another's, must refuse it)? Moving around, looking, exporting and
    /// copying do not.
    pub fn writes(self) -> bool {
        use Action::*;
        matches!(
            self,
            AddNote
                | AddFollowUp
                | TogglePin
                | DeclareIncident
                | JoinIncident
                | LeaveIncident
                | RenameIncident
                | SetSeverity
                | SetStatus
                | SetRole
                | MarkImpactStart
                | MarkImpactEnd
                | MarkMitigated
                | Hypothesis
                | SystematicPath
                | StatusUpdate
                | ResendUpdate
        ) || self.acts_on_world()
    }

    /// Does it act on the world (flags, silences, releases, playbook
    /// steps)? An observer (`--readonly`, or the observer role) may write
    /// notes but never these.
    pub fn acts_on_world(self) -> bool {
        use Action::*;
        matches!(
            self,
            ToggleFlag
                | FlagOff
                | FlagOn
                | Rollback
                | OpenPlaybook
                | FailStep
                | SkipStep
                | RerunStep
                | SilenceAlert
                | AckAlert
                | ExpireSilence
                | Approve
        )
    }

    /// The short label next to its key in the footer.
    pub fn short(self) -> &'static str {
        self.get_message().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_round_tripping_name_a_label_and_a_description() {
        for a in Action::all() {
            let name = a.name();
            assert!(!name.is_empty());
            assert_eq!(Action::from_name(name), Some(a));
            // The keymap file's (serde) name is the same name.
            let back: Action =
                serde_json::from_value(serde_json::Value::String(name.into())).unwrap();
            assert_eq!(back, a);
            assert!(!a.short().is_empty(), "{name} has no footer label");
            assert!(!a.description().is_empty(), "{name} has no description");
        }
    }
}
