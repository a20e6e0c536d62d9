//! Input modes: who gets the next key, and what a prompt, confirmation
//! or chooser is for. The keys of each mode are in the keymap's layer of
//! the same name (`crate::config::keymap::Layer`).

use super::palette::PaletteState;
use super::playbooks::Form;
use super::screen::Pane;

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Note,
    FollowUp,
    Rename,
    Declare,
    ImpactStart,
    /// Offered with what firebreak saw; a correction wins.
    ImpactEnd,
    /// When the impact stopped: offered with what firebreak saw.
    Mitigated,
    Filter(Pane),
    /// `{matchers} DURATION comment` for a new silence.
    Silence,
    /// Quick hypothesis: what you think it is.
    HypothesisText,
    /// Quick hypothesis: the quick action you will try (optional).
    HypothesisAction,
    /// Quick hypothesis: the time box.
    HypothesisBox,
    /// Why the time box is extended (once).
    HypothesisExtend,
    /// What the outcome taught (optional note).
    HypothesisLearned,
    /// Why another quick hypothesis on the systematic path.
    OverrideReason,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Note => "Note (start with 14:02 or -10m to backfill)",
            PromptKind::FollowUp => {
                "Follow-up ([mitigate|prevent|process:] text [@owner] [due:7d])"
            }
            PromptKind::Rename => "Rename incident",
            PromptKind::Declare => "Declare incident (title)",
            PromptKind::ImpactStart => "Impact started at (14:02, 14:02Z, -10m, 1h ago)",
            PromptKind::ImpactEnd => "Impact ended at (14:20, 14:20Z, -5m, now)",
            PromptKind::Mitigated => "Mitigated at (14:10, 14:10Z, -5m, now)",
            PromptKind::Filter(Pane::Alerts) => {
                "Filter alerts (fuzzy text and/or severity=\"critical\" matchers)"
            }
            PromptKind::Filter(Pane::Timeline) => "Filter the timeline",
            PromptKind::Filter(Pane::Flags) => "Filter flags",
            PromptKind::Filter(_) => "Filter",
            PromptKind::Silence => "Silence: {matchers} DURATION comment (why?)",
            PromptKind::HypothesisText => "Quick hypothesis: what do you think is wrong?",
            PromptKind::HypothesisAction => "Quick action you will try (optional, Enter to skip)",
            PromptKind::HypothesisBox => "Time box (5m, 10m, 15m or any duration)",
            PromptKind::HypothesisExtend => "Extend ONCE, as an exception: why?",
            PromptKind::HypothesisLearned => "What did we learn? (optional, Enter to skip)",
            PromptKind::OverrideReason => "Override the systematic path: why another quick try?",
        }
    }
}

/// What a yes/no confirmation will do.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    Quit,
    /// Carry out step `step` of playbook run `run_id`.
    PlaybookStep {
        run_id: String,
        step: usize,
    },
    FlipFlag {
        provider: String,
        flag: String,
        wanted: bool,
    },
    Rollback,
    /// Create a silence (an ack when `ack`).
    Silence {
        source: String,
        silence: crate::sources::NewSilence,
        ack: bool,
    },
    ExpireSilence {
        source: String,
        ids: Vec<String>,
        target: String,
    },
    /// Start a quick hypothesis although on the systematic path.
    QuickOverride,
    /// Leave the quick phase for the systematic path now.
    Systematic,
    /// Resolve although things are still open (listed in the question).
    Resolve,
    /// Leave the shared incident (then quit).
    Leave,
    /// Approve another responder's request (the two-person rule).
    Approve {
        id: String,
    },
    /// Go ahead with your own request without a second responder.
    BreakGlass {
        id: String,
    },
    /// Resend status update `id` to the channels it did not reach.
    ResendUpdate {
        id: String,
    },
    /// Take or hand on the incident commander.
    Role {
        role: crate::domain::roles::Role,
        from: Option<String>,
        to: Option<String>,
    },
}

/// What a chooser picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChooseKind {
    Severity,
    Status,
    /// The outcome of the active hypothesis (or extend it).
    Outcome,
    /// One of the playbooks suggested for the alert `fingerprint` (by
    /// name, in the order shown).
    Playbook {
        fingerprint: String,
        names: Vec<String>,
    },
    /// Take, release or hand on a role (the choices when it opened).
    Role {
        choices: Vec<super::roles::RoleChoice>,
    },
    /// Approve a request, or withdraw or break glass on your own.
    Approval {
        choices: Vec<super::approvals::ApprovalChoice>,
    },
    /// Join one of the incidents other responders shared.
    Join {
        choices: Vec<super::team::Joinable>,
    },
    /// The pending alerts: Enter charts the rule.
    AboutToFire {
        choices: Vec<super::rules::PendingChoice>,
    },
}

/// The input mode: who gets the next key.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Help {
        scroll: u16,
    },
    Prompt {
        kind: PromptKind,
        input: String,
        error: Option<String>,
    },
    Confirm {
        question: String,
        pending: Pending,
    },
    Choose {
        kind: ChooseKind,
        selected: usize,
    },
    Palette(PaletteState),
    AlertDetail {
        fingerprint: String,
        scroll: u16,
    },
    /// The inputs of a playbook about to start.
    PlaybookForm(Form),
    /// The status update editor (its text is `State::updates.draft`, so
    /// closing it loses nothing).
    UpdateEditor,
    /// Confirmation by typing `expect` (the target's name), for actions
    /// against production.
    TypedConfirm {
        question: String,
        expect: String,
        input: String,
        pending: Pending,
        error: Option<String>,
    },
}
