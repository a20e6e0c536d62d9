//! Themes: semantic colour roles read from TOML (`themes/*.toml`), looked
//! up user dir -> built-in -> default. `NO_COLOR` turns colour off and
//! keeps emphasis with bold/reverse.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::error::{line_of, FileError};

/// Built-in themes shipped in `themes/`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[allow(dead_code)]
    #[serde(default)]
    description: String,
    colors: Colors,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    fg: toml::Spanned<String>,
    bg: toml::Spanned<String>,
    muted: toml::Spanned<String>,
    accent: toml::Spanned<String>,
    critical: toml::Spanned<String>,
    warning: toml::Spanned<String>,
    info: toml::Spanned<String>,
    ok: toml::Spanned<String>,
    border: toml::Spanned<String>,
    border_focused: toml::Spanned<String>,
    selection_fg: toml::Spanned<String>,
    selection_bg: toml::Spanned<String>,
    header_fg: toml::Spanned<String>,
    header_bg: toml::Spanned<String>,
}

/// Styles for each semantic role. Widgets ask for roles, never colours.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub muted: Style,
    pub accent: Style,
    pub critical: Style,
    pub warning: Style,
    pub info: Style,
    pub ok: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selection: Style,
    pub header: Style,
    /// Raw colours for charts, which need a `Color`.
    pub chart_line: Color,
    pub chart_warn: Color,
    pub chart_crit: Color,
}

impl Theme {
    /// Parse a theme file. Errors name file, line and field.
    pub fn parse(name: &str, file: &Path, src: &str) -> Result<Theme, FileError> {
        let t: ThemeFile = crate::error::parse_toml(file, src)?;
        let c = &t.colors;
        let col = |field: &str, v: &toml::Spanned<String>| -> Result<Color, FileError> {
            v.get_ref().parse::<Color>().map_err(|_| {
                FileError::new(
                    file,
                    Some(line_of(src, v.span().start)),
                    Some(&format!("colors.{field}")),
                    format!(
                        "`{}` is not a colour (use a name like red, an index 0-255, or #rrggbb)",
                        v.get_ref()
                    ),
                )
            })
        };
        let fg = col("fg", &c.fg)?;
        let bg = col("bg", &c.bg)?;
        let base = Style::new().fg(fg).bg(bg);
        let critical = col("critical", &c.critical)?;
        let warning = col("warning", &c.warning)?;
        let accent = col("accent", &c.accent)?;
        Ok(Theme {
            name: name.to_string(),
            base,
            muted: Style::new().fg(col("muted", &c.muted)?),
            accent: Style::new().fg(accent),
            critical: Style::new().fg(critical).add_modifier(Modifier::BOLD),
            warning: Style::new().fg(warning),
            info: Style::new().fg(col("info", &c.info)?),
            ok: Style::new().fg(col("ok", &c.ok)?),
            border: Style::new().fg(col("border", &c.border)?),
            border_focused: Style::new()
                .fg(col("border_focused", &c.border_focused)?)
                .add_modifier(Modifier::BOLD),
            selection: Style::new()
                .fg(col("selection_fg", &c.selection_fg)?)
                .bg(col("selection_bg", &c.selection_bg)?),
            header: Style::new()
                .fg(col("header_fg", &c.header_fg)?)
                .bg(col("header_bg", &c.header_bg)?),
            chart_line: accent,
            chart_warn: warning,
            chart_crit: critical,
        })
    }

    /// The default dark theme (always valid: covered by a test).
    pub fn default_theme() -> Theme {
        Theme::builtin("dark").unwrap_or_else(Theme::no_color)
    }

    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, src) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        Theme::parse(name, Path::new(&format!("<built-in theme {name}>")), src).ok()
    }

    /// No colours at all: emphasis by bold, underline and reverse video.
    pub fn no_color() -> Theme {
        let plain = Style::new();
        Theme {
            name: "no-color".into(),
            base: plain,
            muted: plain.add_modifier(Modifier::DIM),
            accent: plain.add_modifier(Modifier::BOLD),
            critical: plain.add_modifier(Modifier::BOLD | Modifier::REVERSED),
            warning: plain.add_modifier(Modifier::BOLD),
            info: plain,
            ok: plain,
            border: plain,
            border_focused: plain.add_modifier(Modifier::BOLD),
            selection: plain.add_modifier(Modifier::REVERSED),
            header: plain.add_modifier(Modifier::REVERSED),
            chart_line: Color::Reset,
            chart_warn: Color::Reset,
            chart_crit: Color::Reset,
        }
    }

    /// Find a theme: `<user_dir>/NAME.toml`, then built-in. A missing or
    /// bad theme falls back to the default and returns a notice.
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> (Theme, Option<String>) {
        if no_color {
            return (Theme::no_color(), None);
        }
        if let Some(dir) = user_dir {
            let path = dir.join(format!("{name}.toml"));
            match std::fs::read_to_string(&path) {
                Ok(src) => {
                    return match Theme::parse(name, &path, &src) {
                        Ok(t) => (t, None),
                        Err(e) => (
                            Theme::default_theme(),
                            Some(format!("theme error, using default: {e}")),
                        ),
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return (
                        Theme::default_theme(),
                        Some(format!("cannot read the theme: {e}: {}", path.display())),
                    )
                }
            }
        }
        match Theme::builtin(name) {
            Some(t) => (t, None),
            None => (
                Theme::default_theme(),
                Some(format!(
                    "no theme named `{name}` (built-in: {}); using dark",
                    BUILTIN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
        }
    }

    /// Style for an alert severity label.
    pub fn severity(&self, severity: &str) -> Style {
        match severity.to_ascii_lowercase().as_str() {
            "critical" | "page" | "error" | "sev1" | "sev2" => self.critical,
            "warning" | "warn" | "sev3" => self.warning,
            "info" | "informational" | "sev4" | "none" => self.info,
            _ => self.muted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses() {
        for (name, src) in BUILTIN {
            Theme::parse(name, Path::new(name), src).unwrap();
        }
    }

    #[test]
    fn bad_colour_names_line_and_field() {
        let src = BUILTIN[0]
            .1
            .replace("critical = \"", "critical = \"reddish");
        let err = Theme::parse("x", Path::new("x.toml"), &src).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("colors.critical"));
        let line = src.lines().position(|l| l.contains("reddish")).unwrap() + 1;
        assert_eq!(err.line, Some(line));
    }

    #[test]
    fn unknown_theme_falls_back_with_notice() {
        let (t, notice) = Theme::load("neon", None, false);
        assert_eq!(t.name, "dark");
        assert!(notice.unwrap().contains("neon"));
    }

    #[test]
    fn no_color_has_no_colours() {
        let (t, _) = Theme::load("dark", None, true);
        assert_eq!(t.critical.fg, None);
        assert_eq!(t.base.bg, None);
    }
}
