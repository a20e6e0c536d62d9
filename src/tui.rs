//! Terminal setup and restore. The terminal is restored on every exit
//! path: normal return (the guard's Drop), error, and panic (ratatui's
//! hook restores, then chains to the previous hook).

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use ratatui::DefaultTerminal;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen with bracketed paste (a
    /// paste arrives as one text event, never as keys), and install the
    /// panic hook that restores the terminal before the previous hook runs.
    pub fn enter() -> std::io::Result<TerminalGuard> {
        let terminal = ratatui::try_init()?;
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste)?;
        // ratatui's hook leaves raw mode and the alternate screen; turn
        // bracketed paste off too, first, then chain.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
            previous(info);
        }));
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Never panic while restoring: errors are ignored (ratatui::restore
        // already does so).
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
        ratatui::restore();
    }
}

/// Turns at the terminal's output. The loop draws frames while holding
/// a turn; anything else written to the terminal (the clipboard
/// sequence) goes through [`Screen::write`], so it never lands in the
/// middle of a frame's escape sequences. Cloning shares the turns.
#[derive(Clone, Default)]
pub struct Screen {
    turn: Arc<Mutex<()>>,
}

impl Screen {
    /// Hold the terminal (for a frame) until the guard is dropped.
    pub fn hold(&self) -> MutexGuard<'_, ()> {
        // A panic while holding it left nothing half-done that matters.
        self.turn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Write `bytes`, a complete escape sequence, between frames.
    pub fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        let _turn = self.hold();
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard: the text is
/// base64-encoded, so none of it is read by the terminal as control.
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{b64}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_only_base64_between_its_delimiters() {
        let s = osc52("x\x1b]0;pwned\x07\ny");
        let body = s
            .strip_prefix("\x1b]52;c;")
            .and_then(|r| r.strip_suffix('\x07'))
            .unwrap_or("not an OSC 52 sequence");
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
            "{body}"
        );
        use base64::Engine as _;
        let back = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default();
        assert_eq!(back, b"x\x1b]0;pwned\x07\ny");
    }
}
