//! `firebreak keys`: the key bindings of every mode (built-in + your
//! keymap), the fixed confirmation keys, and every action name.

use std::process::ExitCode;

use crate::config::keymap::Keymap;
use crate::wiring::Setup;

pub fn run(setup: &Setup<'_>) -> anyhow::Result<ExitCode> {
    let (km, notice) = Keymap::load(Some(&setup.keymap_path()));
    if let Some(n) = notice {
        eprintln!("firebreak: {n} (showing the built-in keymap)");
    }
    print!("{}", crate::config::keymap::table(&km));
    Ok(ExitCode::SUCCESS)
}
