//! Terminal setup and restore. The terminal is restored on every exit
//! path: normal return (the guard's Drop), error, and panic (ratatui's
//! hook restores, then chains to the previous hook).

use ratatui::DefaultTerminal;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen, and install the panic
    /// hook that restores the terminal before the previous hook runs.
    pub fn enter() -> std::io::Result<TerminalGuard> {
        let terminal = ratatui::try_init()?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Never panic while restoring: errors are ignored (ratatui::restore
        // already does so).
        ratatui::restore();
    }
}
