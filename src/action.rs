//! What a key can do. Keymap files name these in snake_case.

use serde::{Deserialize, Serialize};

/// Every user-level action. Keymaps bind keys to these; the palette lists
/// them; the help overlay is generated from the keymap and these
/// descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    ToggleHelp,
    OpenPalette,
    Filter,
    NextPane,
    PrevPane,
    FocusAlerts,
    FocusMetrics,
    FocusTimeline,
    FocusSide,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Back,
    AddNote,
    DeclareIncident,
    RenameIncident,
    SetSeverity,
    SetStatus,
    MarkImpactStart,
    ToggleFlag,
    FlagOff,
    FlagOn,
    Rollback,
    Refresh,
    CycleWindow,
    ExportMarkdown,
    ExportJson,
    CycleTheme,
    FocusPlaybooks,
    OpenPlaybook,
    FailStep,
    SkipStep,
    RerunStep,
    Hypothesis,
    SystematicPath,
    SilenceAlert,
    AckAlert,
    ExpireSilence,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::ToggleHelp,
        Action::OpenPalette,
        Action::Filter,
        Action::NextPane,
        Action::PrevPane,
        Action::FocusAlerts,
        Action::FocusMetrics,
        Action::FocusTimeline,
        Action::FocusSide,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Select,
        Action::Back,
        Action::AddNote,
        Action::DeclareIncident,
        Action::RenameIncident,
        Action::SetSeverity,
        Action::SetStatus,
        Action::MarkImpactStart,
        Action::ToggleFlag,
        Action::FlagOff,
        Action::FlagOn,
        Action::Rollback,
        Action::Refresh,
        Action::CycleWindow,
        Action::ExportMarkdown,
        Action::ExportJson,
        Action::CycleTheme,
        Action::FocusPlaybooks,
        Action::OpenPlaybook,
        Action::FailStep,
        Action::SkipStep,
        Action::RerunStep,
        Action::Hypothesis,
        Action::SystematicPath,
        Action::SilenceAlert,
        Action::AckAlert,
        Action::ExpireSilence,
    ];

    /// The snake_case name used in keymap files.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// What it does, for the help overlay and the palette.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "Quit (asks while the incident is open)",
            Action::ToggleHelp => "Show or hide this help",
            Action::OpenPalette => "Command palette: every action, alert and flag",
            Action::Filter => "Filter the focused list",
            Action::NextPane => "Focus the next pane",
            Action::PrevPane => "Focus the previous pane",
            Action::FocusAlerts => "Focus the alerts pane",
            Action::FocusMetrics => "Focus the metrics pane",
            Action::FocusTimeline => "Focus the timeline",
            Action::FocusSide => "Focus the flags pane",
            Action::Up => "Move up",
            Action::Down => "Move down",
            Action::PageUp => "Page up",
            Action::PageDown => "Page down",
            Action::Top => "Go to the top",
            Action::Bottom => "Go to the bottom",
            Action::Select => "Open details / act on the selection",
            Action::Back => "Close the overlay or clear the filter",
            Action::AddNote => "Add a note to the timeline",
            Action::DeclareIncident => "Declare a new incident",
            Action::RenameIncident => "Rename the incident",
            Action::SetSeverity => "Set severity (SEV1-SEV4)",
            Action::SetStatus => "Set status (investigating .. resolved)",
            Action::MarkImpactStart => "Mark when impact started (14:02, -10m)",
            Action::ToggleFlag => "Flip the selected feature flag (confirm)",
            Action::FlagOff => "Turn the selected flag off (confirm)",
            Action::FlagOn => "Turn the selected flag on (confirm)",
            Action::Rollback => "Roll back the last release (confirm)",
            Action::Refresh => "Refresh all sources now",
            Action::CycleWindow => "Metrics window: 15m / 1h / 6h",
            Action::ExportMarkdown => "Export the postmortem draft (Markdown)",
            Action::ExportJson => "Export the timeline (JSON)",
            Action::CycleTheme => "Switch colour theme",
            Action::FocusPlaybooks => "Focus the playbooks pane (runs and playbooks)",
            Action::OpenPlaybook => {
                "Playbook for the selected alert (suggested), or the playbooks pane"
            }
            Action::FailStep => "Playbook run: mark the selected check/step failed",
            Action::SkipStep => "Playbook run: skip the selected step (recorded)",
            Action::RerunStep => "Playbook run: run the selected step again (explicit re-run)",
            Action::Hypothesis => "Quick hypothesis: start one (time-boxed), or record its outcome",
            Action::SystematicPath => "Leave quick fixes: switch to the systematic path",
            Action::SilenceAlert => {
                "Silence the selected alert's group: matchers, duration, comment (confirm)"
            }
            Action::AckAlert => "Ack the selected alert: a short silence (confirm)",
            Action::ExpireSilence => "Expire the silence on the selected alert (confirm)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_round_tripping_name() {
        for a in Action::ALL {
            let name = a.name();
            assert!(!name.is_empty());
            let back: Action = serde_json::from_value(serde_json::Value::String(name)).unwrap();
            assert_eq!(back, *a);
        }
    }
}
