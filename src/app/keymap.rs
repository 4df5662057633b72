//! Keys are translated here, once, into intent messages. Every action can be
//! rebound in the config file:
//!
//! ```toml
//! [ui.keys]
//! move_down = ["j", "Down", "Ctrl-n"]
//! sort_desc = ["S"]
//! ```
//!
//! A configured action replaces that action's default keys. Unknown actions,
//! unreadable key names and a key given to two actions are reported (shown at
//! start) and skipped; they never stop the console.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};

use crate::app::msg::{Action, ConfirmKey, EditKey, LineEdit, Msg};

/// A key as bindings name it: a code plus Ctrl/Alt (Shift is in the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl held.
    pub ctrl: bool,
    /// Alt held.
    pub alt: bool,
}

impl Key {
    /// A plain key.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// The key of a crossterm key event (Shift folded into the character).
    pub fn from_event(k: &KeyEvent) -> Key {
        let code = match k.code {
            KeyCode::Char(c) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        Key {
            code,
            ctrl: k.modifiers.contains(KeyModifiers::CONTROL),
            alt: k.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Reads a key name: `j`, `G`, `?`, `Enter`, `Esc`, `Tab`, `Shift-Tab`,
    /// `PageDown`, `Ctrl-r`, `Alt-x`, `F1`, `Space` (names ignore case).
    pub fn parse(name: &str) -> Option<Key> {
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = name.trim();
        if rest.is_empty() {
            return None;
        }
        loop {
            let lower = rest.to_ascii_lowercase();
            let cut = [
                "ctrl-", "ctrl+", "c-", "alt-", "alt+", "a-", "m-", "shift-", "shift+", "s-",
            ]
            .iter()
            .find(|p| lower.starts_with(**p) && rest.len() > p.len());
            let Some(p) = cut else { break };
            match p.chars().next() {
                Some('c') => ctrl = true,
                Some('a') | Some('m') => alt = true,
                _ => shift = true,
            }
            rest = &rest[p.len()..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if ctrl {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else if shift {
                    KeyCode::Char(c.to_ascii_uppercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                match lower.as_str() {
                    "enter" | "return" | "cr" => KeyCode::Enter,
                    "esc" | "escape" => KeyCode::Esc,
                    "tab" if shift => KeyCode::BackTab,
                    "tab" => KeyCode::Tab,
                    "backtab" => KeyCode::BackTab,
                    "backspace" | "bs" => KeyCode::Backspace,
                    "delete" | "del" => KeyCode::Delete,
                    "insert" | "ins" => KeyCode::Insert,
                    "up" => KeyCode::Up,
                    "down" => KeyCode::Down,
                    "left" => KeyCode::Left,
                    "right" => KeyCode::Right,
                    "home" => KeyCode::Home,
                    "end" => KeyCode::End,
                    "pageup" | "pgup" => KeyCode::PageUp,
                    "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
                    "space" => KeyCode::Char(' '),
                    "minus" => KeyCode::Char('-'),
                    "plus" => KeyCode::Char('+'),
                    f if f.starts_with('f') => {
                        let n: u8 = f[1..].parse().ok()?;
                        if (1..=24).contains(&n) {
                            KeyCode::F(n)
                        } else {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
        };
        Some(Key { code, ctrl, alt })
    }

    /// The key's name as help shows it.
    pub fn name(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Delete".into(),
            KeyCode::Insert => "Insert".into(),
            KeyCode::Up => "Up".into(),
            KeyCode::Down => "Down".into(),
            KeyCode::Left => "Left".into(),
            KeyCode::Right => "Right".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        match (self.ctrl, self.alt) {
            (true, true) => format!("Ctrl-Alt-{base}"),
            (true, false) => format!("Ctrl-{base}"),
            (false, true) => format!("Alt-{base}"),
            (false, false) => base,
        }
    }
}

/// Config name of each action and its default keys.
pub const DEFAULTS: &[(Action, &str, &[&str])] = &[
    (Action::MoveDown, "move_down", &["j", "Down"]),
    (Action::MoveUp, "move_up", &["k", "Up"]),
    (Action::PageDown, "page_down", &["PageDown", "Ctrl-d"]),
    (Action::PageUp, "page_up", &["PageUp", "Ctrl-u"]),
    (Action::Top, "top", &["g", "Home"]),
    (Action::Bottom, "bottom", &["G", "End"]),
    (Action::Left, "left", &["h", "Left"]),
    (Action::Right, "right", &["l", "Right"]),
    (Action::Open, "open", &["Enter"]),
    (Action::Back, "back", &["Esc"]),
    (Action::Quit, "quit", &["q"]),
    (Action::ForceQuit, "force_quit", &["Ctrl-c"]),
    (Action::Suspend, "suspend", &["Ctrl-z"]),
    (Action::NextView, "next_view", &["Tab"]),
    (Action::PrevView, "prev_view", &["Shift-Tab"]),
    (Action::Command, "command", &[":"]),
    (Action::Filter, "filter", &["/"]),
    (Action::SortAsc, "sort_asc", &["s"]),
    (Action::SortDesc, "sort_desc", &["S"]),
    (Action::Help, "help", &["?", "F1"]),
    (Action::Copy, "copy", &["y"]),
    (Action::Reload, "reload", &["r"]),
    (Action::Redraw, "redraw", &["Ctrl-l"]),
    (Action::PrevDay, "prev_day", &["["]),
    (Action::NextDay, "next_day", &["]"]),
    (Action::ToggleLocations, "toggle_locations", &["v"]),
    (Action::Edit, "edit", &["e"]),
    (Action::EditForm, "edit_form", &["E"]),
    (Action::Undo, "undo", &["u"]),
    (Action::Redo, "redo", &["Ctrl-r"]),
    (Action::Send, "send", &["W"]),
    (Action::Staged, "staged", &[]),
    (Action::ToggleMark, "toggle_mark", &["Space"]),
    (Action::DropEdit, "drop_edit", &["d"]),
    (Action::KeepMine, "keep_mine", &["m"]),
    (Action::TakeTheirs, "take_theirs", &["t"]),
    (Action::CopyDay, "copy_day", &["c"]),
    (Action::GoBack, "go_back", &["-"]),
    (Action::OpenRoute, "open_route", &["o"]),
    (Action::Lock, "lock", &["L"]),
    (Action::ToggleMap, "toggle_map", &["M"]),
    (Action::ToggleOthers, "toggle_other_routes", &["R"]),
    (Action::LateQueue, "late_queue", &[]),
];

/// The config name of an action (`move_down`).
pub fn action_name(action: Action) -> &'static str {
    DEFAULTS
        .iter()
        .find(|(a, _, _)| *a == action)
        .map_or("?", |(_, n, _)| n)
}

/// Which keys do what.
#[derive(Debug, Clone, PartialEq)]
pub struct Bindings {
    by_key: HashMap<Key, Action>,
    by_action: BTreeMap<Action, Vec<Key>>,
}

impl Default for Bindings {
    fn default() -> Self {
        Bindings::from_config(&BTreeMap::new()).0
    }
}

impl Bindings {
    /// The defaults with the config's `[ui.keys]` applied, plus one warning
    /// per problem found (unknown action, unreadable key, key used twice).
    pub fn from_config(keys: &BTreeMap<String, Vec<String>>) -> (Bindings, Vec<String>) {
        let mut warnings = Vec::new();
        let mut by_action: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        let mut configured: Vec<(Action, Vec<Key>)> = Vec::new();
        for (name, list) in keys {
            let Some(&(action, _, _)) = DEFAULTS.iter().find(|(_, n, _)| n == name) else {
                warnings.push(format!(
                    "[ui.keys] has an unknown action {name:?} (known: {})",
                    DEFAULTS.iter().map(|d| d.1).collect::<Vec<_>>().join(", ")
                ));
                continue;
            };
            let mut parsed = Vec::new();
            for k in list {
                match Key::parse(k) {
                    Some(key) => parsed.push(key),
                    None => warnings.push(format!(
                        "[ui.keys] {name}: {k:?} is not a key name (try e.g. \"j\", \"Ctrl-r\", \"PageDown\")"
                    )),
                }
            }
            configured.retain(|(a, _)| *a != action);
            configured.push((action, parsed));
        }
        let mut by_key: HashMap<Key, Action> = HashMap::new();
        // Configured keys first (in the file's order), so they win over defaults.
        for (action, list) in &configured {
            for key in list {
                match by_key.get(key) {
                    Some(other) if other != action => warnings.push(format!(
                        "[ui.keys] {} is bound to both {} and {}; it stays with {}",
                        key.name(),
                        action_name(*other),
                        action_name(*action),
                        action_name(*other)
                    )),
                    Some(_) => {}
                    None => {
                        by_key.insert(*key, *action);
                        by_action.entry(*action).or_default().push(*key);
                    }
                }
            }
        }
        for (action, _, defaults) in DEFAULTS {
            if configured.iter().any(|(a, _)| a == action) {
                continue;
            }
            for name in *defaults {
                let Some(key) = Key::parse(name) else {
                    continue;
                };
                if let Some(taker) = by_key.get(&key) {
                    // Said once, so a rebinding never silently costs a key.
                    warnings.push(format!(
                        "[ui.keys] {} takes {} from {}",
                        action_name(*taker),
                        key.name(),
                        action_name(*action)
                    ));
                    continue;
                }
                by_key.insert(key, *action);
                by_action.entry(*action).or_default().push(key);
            }
        }
        (Bindings { by_key, by_action }, warnings)
    }

    /// The action of a key.
    pub fn action(&self, key: &Key) -> Option<Action> {
        self.by_key.get(key).copied()
    }

    /// The keys of an action.
    pub fn keys(&self, action: Action) -> &[Key] {
        self.by_action.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The first key of an action, as help shows it (`""` when unbound).
    pub fn first(&self, action: Action) -> String {
        self.keys(action).first().map(Key::name).unwrap_or_default()
    }

    /// All keys of an action joined with `/` (`j/Down`).
    pub fn label(&self, action: Action) -> String {
        self.keys(action)
            .iter()
            .map(Key::name)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Whether keys go to the input line or to actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keys are actions.
    Normal,
    /// Keys edit the filter or command line.
    Input,
    /// Keys go to the inline editor.
    Editor,
    /// A confirm dialog is open.
    Confirm,
    /// The terminal is too small to show anything but "make the window
    /// larger": keys that would act unseen are dropped; quit, redraw and
    /// suspend still work.
    Hidden,
}

/// Translates a terminal event into a message (`None`: nothing to do).
pub fn translate(bindings: &Bindings, mode: Mode, event: &Event) -> Option<Msg> {
    match event {
        Event::Key(k)
            if k.kind != KeyEventKind::Release
                && bindings.action(&Key::from_event(k)) == Some(Action::Suspend) =>
        {
            // Stopping for the shell works wherever the keys are going.
            Some(Msg::Action(Action::Suspend))
        }
        Event::Key(k) if k.kind != KeyEventKind::Release => match mode {
            Mode::Input => edit_key(k).map(Msg::Edit),
            Mode::Editor => editor_key(k).map(Msg::Editor),
            Mode::Confirm => confirm_key(k).map(Msg::Confirm),
            Mode::Normal => bindings.action(&Key::from_event(k)).map(Msg::Action),
            Mode::Hidden => bindings
                .action(&Key::from_event(k))
                .filter(|a| matches!(a, Action::Quit | Action::ForceQuit | Action::Redraw))
                .map(Msg::Action),
        },
        Event::Paste(_) if mode == Mode::Hidden => None,
        Event::Paste(text) => Some(Msg::Paste(text.clone())),
        Event::Resize(w, h) => Some(Msg::Resize(*w, *h)),
        Event::Mouse(MouseEvent { kind, .. }) => match kind {
            MouseEventKind::ScrollDown => Some(Msg::Scroll(3)),
            MouseEventKind::ScrollUp => Some(Msg::Scroll(-3)),
            _ => None,
        },
        _ => None,
    }
}

/// Keys of the inline editor: Enter stages (a new line in multi-line fields),
/// Ctrl-s and Alt-Enter always stage, Esc cancels, Tab/Shift-Tab stage and
/// move, Ctrl-o opens `$EDITOR`, Ctrl-u clears; the rest edits the text.
pub fn editor_key(k: &KeyEvent) -> Option<EditKey> {
    use ratatui_textarea::{Input, Key as TKey};
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let alt = k.modifiers.contains(KeyModifiers::ALT);
    let shift = k.modifiers.contains(KeyModifiers::SHIFT);
    let key = match k.code {
        KeyCode::Esc => return Some(EditKey::Cancel),
        KeyCode::Enter if ctrl || alt => return Some(EditKey::Stage),
        KeyCode::Enter => return Some(EditKey::Submit),
        KeyCode::Tab if shift => return Some(EditKey::Prev),
        KeyCode::Tab => return Some(EditKey::Next),
        KeyCode::BackTab => return Some(EditKey::Prev),
        KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
            's' => return Some(EditKey::Stage),
            'o' => return Some(EditKey::External),
            'u' => return Some(EditKey::Clear),
            'c' => return Some(EditKey::Cancel),
            'm' | 'j' => return Some(EditKey::Submit),
            other => TKey::Char(other),
        },
        KeyCode::Char(c) => TKey::Char(c),
        KeyCode::Backspace => TKey::Backspace,
        KeyCode::Delete => TKey::Delete,
        KeyCode::Left => TKey::Left,
        KeyCode::Right => TKey::Right,
        KeyCode::Up => TKey::Up,
        KeyCode::Down => TKey::Down,
        KeyCode::Home => TKey::Home,
        KeyCode::End => TKey::End,
        KeyCode::PageUp => TKey::PageUp,
        KeyCode::PageDown => TKey::PageDown,
        _ => return None,
    };
    Some(EditKey::Input(Input {
        key,
        ctrl,
        alt,
        shift,
    }))
}

/// Keys of a confirm dialog: `y` yes; `n`, `q`, Esc no; arrows and Tab move
/// between the buttons; Enter takes the focused one (Cancel at first).
pub fn confirm_key(k: &KeyEvent) -> Option<ConfirmKey> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('c') if ctrl => ConfirmKey::ForceQuit,
        _ if ctrl => return None,
        KeyCode::Char('y') | KeyCode::Char('Y') => ConfirmKey::Yes,
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Char('q') | KeyCode::Esc => {
            ConfirmKey::No
        }
        KeyCode::Left
        | KeyCode::Right
        | KeyCode::Tab
        | KeyCode::BackTab
        | KeyCode::Char('h')
        | KeyCode::Char('l') => ConfirmKey::Toggle,
        KeyCode::Enter => ConfirmKey::Activate,
        _ => return None,
    })
}

fn edit_key(k: &KeyEvent) -> Option<LineEdit> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let alt = k.modifiers.contains(KeyModifiers::ALT);
    Some(match k.code {
        KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
            'u' => LineEdit::Clear,
            'w' | 'h' => LineEdit::DeleteWord,
            'a' => LineEdit::Home,
            'e' => LineEdit::End,
            'c' => LineEdit::Cancel,
            _ => return None,
        },
        KeyCode::Char(_) if alt => return None,
        KeyCode::Char(c) => LineEdit::Insert(c),
        KeyCode::Backspace if ctrl || alt => LineEdit::DeleteWord,
        KeyCode::Backspace => LineEdit::Backspace,
        KeyCode::Delete => LineEdit::Delete,
        KeyCode::Left => LineEdit::Left,
        KeyCode::Right => LineEdit::Right,
        KeyCode::Home => LineEdit::Home,
        KeyCode::End => LineEdit::End,
        KeyCode::Enter => LineEdit::Submit,
        KeyCode::Esc => LineEdit::Cancel,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, mods))
    }

    #[test]
    fn names_parse_and_print() {
        assert_eq!(Key::parse("j"), Some(Key::plain(KeyCode::Char('j'))));
        assert_eq!(Key::parse("G"), Some(Key::plain(KeyCode::Char('G'))));
        assert_eq!(Key::parse("shift-g"), Some(Key::plain(KeyCode::Char('G'))));
        assert_eq!(Key::parse("pgdn"), Some(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("Shift-Tab"), Some(Key::plain(KeyCode::BackTab)));
        let c = Key::parse("Ctrl-R").unwrap();
        assert!(c.ctrl && c.code == KeyCode::Char('r'));
        assert_eq!(c.name(), "Ctrl-r");
        assert_eq!(Key::parse("-"), Some(Key::plain(KeyCode::Char('-'))));
        assert_eq!(Key::parse("F5"), Some(Key::plain(KeyCode::F(5))));
        assert_eq!(Key::parse("Hyper-x"), None);
        assert_eq!(Key::parse("F99"), None);
        assert_eq!(Key::parse(""), None);
    }

    #[test]
    fn config_rebinds_and_reports_problems() {
        let mut keys = BTreeMap::new();
        keys.insert(
            "move_down".to_string(),
            vec!["n".to_string(), "Ctrl-n".into()],
        );
        keys.insert("filter".to_string(), vec!["n".to_string(), "Florp".into()]);
        keys.insert("fly".to_string(), vec!["x".to_string()]);
        let (b, warnings) = Bindings::from_config(&keys);
        assert_eq!(b.action(&Key::parse("n").unwrap()), Some(Action::Filter));
        assert_eq!(
            b.action(&Key::parse("Ctrl-n").unwrap()),
            Some(Action::MoveDown)
        );
        // move_down's defaults are replaced
        assert_eq!(b.action(&Key::parse("j").unwrap()), None);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("\"fly\"")));
        assert!(warnings.iter().any(|w| w.contains("Florp")));
        assert!(warnings.iter().any(|w| w.contains("both")));

        // A configured key taken from another action's defaults is said.
        let mut keys = BTreeMap::new();
        keys.insert("quit".to_string(), vec!["j".to_string()]);
        let (b, warnings) = Bindings::from_config(&keys);
        assert_eq!(b.action(&Key::parse("j").unwrap()), Some(Action::Quit));
        assert_eq!(
            b.action(&Key::parse("Down").unwrap()),
            Some(Action::MoveDown)
        );
        assert_eq!(
            warnings,
            vec!["[ui.keys] quit takes j from move_down".to_string()]
        );
    }

    #[test]
    fn events_become_messages() {
        let b = Bindings::default();
        let m = translate(
            &b,
            Mode::Normal,
            &key(KeyCode::Char('G'), KeyModifiers::SHIFT),
        );
        assert!(matches!(m, Some(Msg::Action(Action::Bottom))));
        let m = translate(
            &b,
            Mode::Normal,
            &key(KeyCode::BackTab, KeyModifiers::SHIFT),
        );
        assert!(matches!(m, Some(Msg::Action(Action::PrevView))));
        let m = translate(
            &b,
            Mode::Normal,
            &key(KeyCode::Char('c'), KeyModifiers::CONTROL),
        );
        assert!(matches!(m, Some(Msg::Action(Action::ForceQuit))));
        let m = translate(
            &b,
            Mode::Input,
            &key(KeyCode::Char('j'), KeyModifiers::NONE),
        );
        assert!(matches!(m, Some(Msg::Edit(LineEdit::Insert('j')))));
        let m = translate(&b, Mode::Input, &key(KeyCode::Esc, KeyModifiers::NONE));
        assert!(matches!(m, Some(Msg::Edit(LineEdit::Cancel))));
        let m = translate(&b, Mode::Normal, &Event::Paste("x".into()));
        assert!(matches!(m, Some(Msg::Paste(_))));
    }
}
