//! Building the world from the configuration: the one place that turns
//! config sections into alert and metric sources, flag providers, release
//! control, the journal and the demo, for the TUI and every headless
//! command alike.

pub mod flags;

use crate::config::Config;

/// The name entries are signed with when neither the config nor `$USER`
/// gives one.
pub const UNNAMED_RESPONDER: &str = "responder";

/// Who is acting: the config's `responder`, else `$USER`. A blank value
/// (empty or whitespace) counts as none. None: nobody said.
pub fn responder(cfg: &Config) -> Option<String> {
    pick_responder(
        cfg.responder.as_deref(),
        std::env::var("USER").ok().as_deref(),
    )
}

/// [`responder`], or [`UNNAMED_RESPONDER`].
pub fn responder_or_unnamed(cfg: &Config) -> String {
    responder(cfg).unwrap_or_else(|| UNNAMED_RESPONDER.into())
}

fn pick_responder(configured: Option<&str>, user: Option<&str>) -> Option<String> {
    let named = |s: &&str| !s.trim().is_empty();
    configured
        .filter(named)
        .or(user.filter(named))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_wins_then_user_and_blanks_count_as_none() {
        assert_eq!(
            pick_responder(Some("alice"), Some("bob")).as_deref(),
            Some("alice")
        );
        assert_eq!(pick_responder(None, Some("bob")).as_deref(), Some("bob"));
        assert_eq!(pick_responder(None, Some("")), None);
        assert_eq!(pick_responder(None, Some("  \t")), None);
        assert_eq!(pick_responder(None, None), None);
        assert_eq!(
            pick_responder(Some(" "), Some("bob")).as_deref(),
            Some("bob")
        );
    }
}
