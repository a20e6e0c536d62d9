//! `firebreak check`: the config file, keymap, theme and flag providers;
//! exit 2 on errors.

use std::process::ExitCode;

use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::wiring::Setup;

/// `theme`: `--theme`, which wins over the config's.
pub fn run(setup: &Setup<'_>, theme: Option<&str>) -> anyhow::Result<ExitCode> {
    let cfg = setup.config;
    let mut ok = true;
    match setup.config_path {
        Some(p) => println!("config   {}: ok", p.display()),
        None => println!("config   none (built-in demo defaults)"),
    }
    let kp = setup.keymap_path();
    match Keymap::load(Some(&kp)) {
        (_, Some(e)) => {
            ok = false;
            println!("keymap   {e}");
        }
        (_, None) => println!(
            "keymap   {}: ok",
            if kp.exists() {
                kp.display().to_string()
            } else {
                "built-in".into()
            }
        ),
    }
    let name = theme.unwrap_or(&cfg.theme);
    match Theme::load(name, Some(&setup.themes_dir()), false) {
        (_, Some(n)) => {
            ok = false;
            println!("theme    {n}");
        }
        (t, None) => println!("theme    {}: ok", t.name),
    }
    for (good, line) in super::flag::check(cfg, &setup.config_dir) {
        ok &= good;
        println!("flags    {line}");
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
