//! `firebreak keys`: the key bindings (built-in + your keymap) and every
//! action name.

use std::process::ExitCode;

use crate::action::Action;
use crate::config::keymap::Keymap;
use crate::wiring::Setup;

pub fn run(setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let (km, notice) = Keymap::load(Some(&setup.keymap_path()));
    if let Some(n) = notice {
        eprintln!("firebreak: {n} (showing the built-in keymap)");
    }
    println!("{:<20} {:<22} DESCRIPTION", "KEYS", "ACTION");
    for a in Action::ALL {
        println!(
            "{:<20} {:<22} {}",
            km.keys_for(*a).join(" "),
            a.name(),
            a.description()
        );
    }
    Ok(ExitCode::SUCCESS)
}
