//! Styles. The default theme uses the 16 ANSI colours only; `mono` (and
//! `NO_COLOR`) uses bold/reverse/underline alone. The selected row is always
//! reverse video, so it shows without colour.

use ratatui::style::{Color, Modifier, Style};

/// Every style the views use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Name of the theme (`default` or `mono`).
    pub name: &'static str,
    /// The header line.
    pub header: Style,
    /// Column titles.
    pub column: Style,
    /// The current column's title.
    pub column_current: Style,
    /// The selected row.
    pub selected: Style,
    /// The cell under the cursor.
    pub cursor: Style,
    /// Field labels in forms.
    pub label: Style,
    /// Section titles.
    pub title: Style,
    /// Less important text (empty notes, counts).
    pub dim: Style,
    /// Error status.
    pub error: Style,
    /// Warning status.
    pub warning: Style,
    /// Info status.
    pub info: Style,
    /// Keys in the hint bar.
    pub hint_key: Style,
    /// Words in the hint bar.
    pub hint: Style,
    /// Late stops (always with the word "late" too).
    pub late: Style,
    /// Borders of pop-ups.
    pub border: Style,
}

impl Theme {
    /// 16-colour theme.
    pub fn default16() -> Theme {
        Theme {
            name: "default",
            header: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            column: Style::new().add_modifier(Modifier::BOLD),
            column_current: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            cursor: Style::new()
                .add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED),
            label: Style::new().fg(Color::Cyan),
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            dim: Style::new().fg(Color::DarkGray),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            warning: Style::new().fg(Color::Yellow),
            info: Style::new().fg(Color::Green),
            hint_key: Style::new().fg(Color::Black).bg(Color::Cyan),
            hint: Style::new(),
            late: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::Cyan),
        }
    }

    /// No colours: bold, reverse and underline only.
    pub fn mono() -> Theme {
        Theme {
            name: "mono",
            header: Style::new().add_modifier(Modifier::REVERSED),
            column: Style::new().add_modifier(Modifier::BOLD),
            column_current: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            cursor: Style::new()
                .add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED),
            label: Style::new().add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            dim: Style::new(),
            error: Style::new().add_modifier(Modifier::BOLD),
            warning: Style::new().add_modifier(Modifier::BOLD),
            info: Style::new(),
            hint_key: Style::new().add_modifier(Modifier::REVERSED),
            hint: Style::new(),
            late: Style::new().add_modifier(Modifier::BOLD),
            border: Style::new(),
        }
    }

    /// The theme for a `ui.theme` setting; `NO_COLOR` (set and not empty)
    /// forces `mono`. An unknown name gives the default and a warning.
    pub fn from_setting(name: Option<&str>, no_color: bool) -> (Theme, Option<String>) {
        use crate::config::{THEME_CHOICES, ThemeName};
        let (theme, warning) = match ThemeName::parse(name) {
            Some(ThemeName::Default) => (Theme::default16(), None),
            Some(ThemeName::Mono) => (Theme::mono(), None),
            None => (
                Theme::default16(),
                Some(format!(
                    "[ui] theme {:?} is not known (use {THEME_CHOICES}); using default",
                    name.unwrap_or_default().trim()
                )),
            ),
        };
        if no_color {
            (Theme::mono(), warning)
        } else {
            (theme, warning)
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::default16()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_and_unknown_names_warn() {
        assert_eq!(Theme::from_setting(Some("default"), true).0, Theme::mono());
        assert_eq!(Theme::from_setting(None, false).0, Theme::default16());
        let (t, w) = Theme::from_setting(Some("neon"), false);
        assert_eq!(t, Theme::default16());
        assert!(w.unwrap().contains("neon"));
        let mono = Theme::mono();
        for s in [
            mono.header,
            mono.selected,
            mono.cursor,
            mono.error,
            mono.late,
        ] {
            assert!(s.fg.is_none() && s.bg.is_none());
        }
    }
}
