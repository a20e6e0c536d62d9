//! `[[flags]]`: the feature-flag providers, and `[service_modes]`: which
//! flags say that the service is in read-only or maintenance mode.
//!
//! ```toml
//! [[flags]]
//! name = "unleash-prod"
//! kind = "unleash"
//! url = "https://unleash.example.com"
//! project = "default"
//! environment = "production"
//! token_env = "UNLEASH_ADMIN_TOKEN"    # or token_file = "/run/secrets/unleash"
//!
//! [[flags]]
//! name = "edge-flags"
//! kind = "flagd"
//! path = "/etc/flagd/flags.json"
//! mode = "state"                        # or "default_variant"
//!
//! [service_modes]
//! read_only = { provider = "unleash-prod", flag = "checkout-read-only" }
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::FileError;
use crate::flags::flagd::Mode;

/// One configured flag provider. Which fields apply depends on `kind`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlagProviderConfig {
    /// How firebreak names it (`--provider NAME`, playbook `flag` steps).
    pub name: String,
    pub kind: ProviderKind,
    /// unleash: base URL of the server.
    #[serde(default)]
    pub url: Option<String>,
    /// unleash: project id (default "default").
    #[serde(default)]
    pub project: Option<String>,
    /// unleash: environment flips act on (default "production").
    #[serde(default)]
    pub environment: Option<String>,
    /// unleash: environment variable holding the admin API token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// unleash: file holding the admin API token (relative to the config
    /// file's directory).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// unleash: retries of a failed read (default 2).
    #[serde(default)]
    pub retries: Option<u32>,
    /// flagd: the flag file (relative to the config file's directory).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// flagd: what on/off means: "state" (default) or "default_variant".
    #[serde(default)]
    pub mode: Option<Mode>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Unleash,
    Flagd,
    Demo,
}

impl ProviderKind {
    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Unleash => "unleash",
            ProviderKind::Flagd => "flagd",
            ProviderKind::Demo => "demo",
        }
    }
}

pub const DEFAULT_PROJECT: &str = "default";
pub const DEFAULT_ENVIRONMENT: &str = "production";
pub const DEFAULT_RETRIES: u32 = 2;

/// Service modes bound to flags, shown in the header when in force.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceModes {
    #[serde(default)]
    pub read_only: Option<ModeBinding>,
    #[serde(default)]
    pub maintenance: Option<ModeBinding>,
}

impl ServiceModes {
    /// (header label, binding) for each configured mode.
    pub fn bindings(&self) -> Vec<(&'static str, &ModeBinding)> {
        let mut v = Vec::new();
        if let Some(b) = &self.read_only {
            v.push(("READ-ONLY", b));
        }
        if let Some(b) = &self.maintenance {
            v.push(("MAINTENANCE", b));
        }
        v
    }
}

/// "The service is in this mode when `flag` of `provider` is `active_when`."
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModeBinding {
    pub provider: String,
    pub flag: String,
    /// "on" (default): the mode is in force while the flag is on; "off":
    /// while it is off (for flags like `writes-enabled`).
    #[serde(default)]
    pub active_when: ActiveWhen,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ActiveWhen {
    #[default]
    On,
    Off,
}

/// Check what serde cannot: required fields per kind, fields that do not
/// apply, unique names, service modes naming configured providers.
pub fn validate(
    providers: &[FlagProviderConfig],
    modes: &ServiceModes,
    file: &Path,
    src: &str,
) -> Result<(), FileError> {
    let mut names = BTreeSet::new();
    for (i, p) in providers.iter().enumerate() {
        let err =
            |key: &str, msg: String| FileError::new(file, entry_line(src, i, key), Some(key), msg);
        let who = format!("[[flags]] `{}`", p.name);
        if p.name.trim().is_empty() {
            return Err(err("name", "a flag provider needs a name".into()));
        }
        if !names.insert(p.name.as_str()) {
            return Err(err(
                "name",
                format!("two flag providers are named `{}`", p.name),
            ));
        }
        let set = |v: bool, key: &'static str| v.then_some(key);
        let unleash_only = [
            set(p.url.is_some(), "url"),
            set(p.project.is_some(), "project"),
            set(p.environment.is_some(), "environment"),
            set(p.token_env.is_some(), "token_env"),
            set(p.token_file.is_some(), "token_file"),
            set(p.retries.is_some(), "retries"),
        ];
        let flagd_only = [set(p.path.is_some(), "path"), set(p.mode.is_some(), "mode")];
        let misplaced = |keys: &[Option<&'static str>], owner: &str| -> Result<(), FileError> {
            match keys.iter().flatten().next() {
                Some(k) => Err(err(
                    k,
                    format!(
                        "{who}: `{k}` applies to kind = \"{owner}\" only, this is kind = \"{}\"",
                        p.kind.label()
                    ),
                )),
                None => Ok(()),
            }
        };
        match p.kind {
            ProviderKind::Unleash => {
                misplaced(&flagd_only, "flagd")?;
                match &p.url {
                    None => {
                        return Err(err(
                            "kind",
                            format!("{who}: an unleash provider needs `url`"),
                        ))
                    }
                    Some(u) => {
                        crate::sources::http::parse_base_url(u)
                            .map_err(|e| err("url", format!("{who}: {e}")))?;
                    }
                }
                match (&p.token_env, &p.token_file) {
                    (None, None) => {
                        return Err(err(
                            "kind",
                            format!("{who}: an unleash provider needs `token_env` (an environment variable) or `token_file` holding an admin API token"),
                        ))
                    }
                    (Some(_), Some(_)) => {
                        return Err(err("token_file", format!("{who}: set `token_env` or `token_file`, not both")))
                    }
                    (Some(v), None) if v.trim().is_empty() => {
                        return Err(err("token_env", format!("{who}: empty environment variable name")))
                    }
                    _ => {}
                }
                for (key, v) in [("project", &p.project), ("environment", &p.environment)] {
                    if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                        return Err(err(key, format!("{who}: `{key}` is empty")));
                    }
                }
            }
            ProviderKind::Flagd => {
                misplaced(&unleash_only, "unleash")?;
                if p.path.is_none() {
                    return Err(err(
                        "kind",
                        format!("{who}: a flagd provider needs `path` (the flag file)"),
                    ));
                }
            }
            ProviderKind::Demo => {
                misplaced(&unleash_only, "unleash")?;
                misplaced(&flagd_only, "flagd")?;
                if p.name != "demo" {
                    return Err(err(
                        "name",
                        "the demo provider is always named `demo`".into(),
                    ));
                }
            }
        }
    }
    for (key, b) in [
        ("read_only", &modes.read_only),
        ("maintenance", &modes.maintenance),
    ] {
        let Some(b) = b else { continue };
        let known = names.contains(b.provider.as_str()) || b.provider == "demo";
        if !known {
            return Err(FileError::new(
                file,
                super::line_of_key(src, key),
                Some(key),
                format!(
                    "service mode `{key}` names flag provider `{}`, which is not configured (configured: {})",
                    b.provider,
                    if names.is_empty() { "none".into() } else { names.iter().copied().collect::<Vec<_>>().join(", ") }
                ),
            ));
        }
        if b.flag.trim().is_empty() {
            return Err(FileError::new(
                file,
                super::line_of_key(src, key),
                Some(key),
                "`flag` is empty",
            ));
        }
    }
    Ok(())
}

/// Line of `key` inside the `index`-th `[[flags]]` table (or of the
/// table header when the key is not written there).
fn entry_line(src: &str, index: usize, key: &str) -> Option<usize> {
    let lines: Vec<&str> = src.lines().collect();
    let header = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            t.starts_with("[[")
                && t.trim_start_matches("[[").trim_end_matches("]]").trim() == "flags"
        })
        .nth(index)
        .map(|(i, _)| i)?;
    let end = lines[header + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |p| header + 1 + p);
    let found = lines[header + 1..end].iter().position(|l| {
        let t = l.trim_start();
        t.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    });
    Some(found.map_or(header + 1, |p| header + 2 + p))
}

/// A path from the config, relative to the config file's directory.
pub fn resolve(path: &Path, config_dir: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        config_dir.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct T {
        #[serde(default)]
        flags: Vec<FlagProviderConfig>,
        #[serde(default)]
        service_modes: ServiceModes,
    }

    fn check(src: &str) -> Result<(), FileError> {
        let t: T =
            toml::from_str(src).map_err(|e| FileError::from_toml(Path::new("c.toml"), src, &e))?;
        validate(&t.flags, &t.service_modes, Path::new("c.toml"), src)
    }

    const GOOD: &str = r#"
[[flags]]
name = "u"
kind = "unleash"
url = "http://127.0.0.1:4242"
token_env = "UNLEASH_TOKEN"

[[flags]]
name = "f"
kind = "flagd"
path = "flags.json"
mode = "default_variant"

[service_modes]
read_only = { provider = "u", flag = "ro" }
maintenance = { provider = "f", flag = "writes", active_when = "off" }
"#;

    #[test]
    fn good_config_passes() {
        check(GOOD).unwrap();
    }

    #[test]
    fn shipped_example_parses() {
        let src = include_str!("../../assets/config.flags.example.toml");
        let c = crate::config::Config::parse(Path::new("config.flags.example.toml"), src).unwrap();
        assert_eq!(c.flags.len(), 2);
        assert_eq!(c.service_modes.bindings().len(), 2);
    }

    #[test]
    fn misplaced_field_names_line_and_field() {
        let src = "[[flags]]\nname = \"a\"\nkind = \"flagd\"\npath = \"x.json\"\n\n[[flags]]\nname = \"b\"\nkind = \"flagd\"\npath = \"y.json\"\nproject = \"p\"\n";
        let e = check(src).unwrap_err();
        assert_eq!(e.line, Some(10), "{e}");
        assert_eq!(e.field.as_deref(), Some("project"));
        assert!(e.message.contains("kind = \"unleash\" only"), "{e}");
    }

    #[test]
    fn unleash_needs_url_and_one_token_source() {
        let e =
            check("[[flags]]\nname = \"u\"\nkind = \"unleash\"\ntoken_env = \"T\"\n").unwrap_err();
        assert!(e.message.contains("needs `url`"), "{e}");
        let e =
            check("[[flags]]\nname = \"u\"\nkind = \"unleash\"\nurl = \"http://x\"\n").unwrap_err();
        assert!(e.message.contains("token_env"), "{e}");
        let e = check("[[flags]]\nname = \"u\"\nkind = \"unleash\"\nurl = \"http://x\"\ntoken_env = \"T\"\ntoken_file = \"t\"\n")
            .unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
    }

    #[test]
    fn duplicate_names_and_unknown_mode_provider() {
        let e = check("[[flags]]\nname = \"a\"\nkind = \"demo\"\n").unwrap_err();
        assert!(e.message.contains("always named `demo`"), "{e}");
        let e = check("[[flags]]\nname = \"f\"\nkind = \"flagd\"\npath = \"a\"\n[[flags]]\nname = \"f\"\nkind = \"flagd\"\npath = \"b\"\n")
            .unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
        let e = check("[service_modes]\nread_only = { provider = \"nope\", flag = \"x\" }\n")
            .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("`nope`"), "{e}");
    }

    #[test]
    fn unknown_keys_and_bad_kinds_are_errors() {
        let e = check("[[flags]]\nname = \"f\"\nkind = \"flagd\"\npath = \"a\"\ncolour = 1\n")
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("colour"), "{e}");
        let e = check("[[flags]]\nname = \"f\"\nkind = \"launchdarkly\"\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = check(
            "[[flags]]\nname = \"f\"\nkind = \"flagd\"\npath = \"a\"\nmode = \"targeting\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
    }
}
