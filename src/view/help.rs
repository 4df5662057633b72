//! `?`: the keys of the current screen (with the bindings in use).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Widget};

use crate::app::edit::action_off;
use crate::app::model::{Model, Screen, StatusKind, Target, TopView};
use crate::app::msg::Action;
use crate::domain::sanitize::display_width;
use crate::view::base_screen;
use crate::view::widgets::{clear_for_popup, put, put_padded, wrap};

/// Keys and what they do on the screen under the help.
pub fn lines(model: &Model) -> Vec<(String, String)> {
    let b = &model.bindings;
    let both = |a: Action, c: Action| {
        let (x, y) = (b.label(a), b.label(c));
        match (x.is_empty(), y.is_empty()) {
            (false, false) => format!("{x} {y}"),
            (false, true) => x,
            _ => y,
        }
    };
    let off = |a: Action| action_off(model, a);
    let mut out: Vec<(String, String)> = Vec::new();
    if model.read_only {
        out.push((
            "READ-ONLY".into(),
            "staging, sending and route locks are off (--read-only, or the profile's read_only); their keys and commands are not listed".into(),
        ));
    }
    let mut add = |keys: String, what: &str| {
        if !keys.is_empty() {
            out.push((keys, what.to_string()));
        }
    };
    let screen = base_screen(model);
    let table = !matches!(
        screen,
        Some(Screen::Location { .. }) | Some(Screen::Form { .. }) | Some(Screen::Staged { .. })
    );
    add(
        both(Action::MoveDown, Action::MoveUp),
        if table {
            "next / previous row"
        } else {
            "next / previous field"
        },
    );
    add(both(Action::PageDown, Action::PageUp), "page down / up");
    add(both(Action::Top, Action::Bottom), "first / last");
    if table {
        add(both(Action::Left, Action::Right), "previous / next column");
    }
    match screen {
        None => {
            let open = match model.top {
                TopView::Customers => "open the customer",
                TopView::Locations => "open the location",
                TopView::Tasks => "open the task's route",
                TopView::Routes => "open the route's stops",
            };
            add(b.label(Action::Open), open);
        }
        Some(Screen::Customer { .. }) => add(b.label(Action::Open), "open the location"),
        Some(Screen::Route { .. }) => {
            add(
                b.label(Action::Open),
                "fix the stop's window where it came from: the task form on its own time windows, else the customer location on that day's hours",
            );
            add(
                b.label(Action::EditForm),
                "the stop's task form (Enter on its Address: the customer location)",
            );
            add(b.label(Action::ToggleMap), "show / hide the map");
            add(
                b.label(Action::ToggleOthers),
                "the day's other routes on the map, faint",
            );
        }
        Some(Screen::Late { .. }) => {
            add(
                b.label(Action::Open),
                "fix the stop's window where it came from (the From column): task → the task form on its time windows; hours → the customer location's opening hours",
            );
            add(
                b.label(Action::EditForm),
                "the stop's task form (Enter on its Address: the customer location)",
            );
            add(b.label(Action::OpenRoute), "the stop in its route");
        }
        Some(Screen::Form {
            target: Target::Task { .. },
            ..
        }) => add(
            b.label(Action::Open),
            "on Customer: the customer location on the task's day's hours; on Address: the location on its address; else edit",
        ),
        _ => {}
    }
    if !off(Action::Lock)
        && (matches!(screen, Some(Screen::Route { .. }))
            || (screen.is_none() && model.top == TopView::Routes))
    {
        add(
            b.label(Action::Lock),
            "lock / unlock the route on eLogii (asks first)",
        );
    }
    if screen.is_none() && model.top == TopView::Tasks {
        add(b.label(Action::OpenRoute), "the task's stop in its route");
    }
    if table {
        add(
            b.label(Action::Filter),
            "filter as you type: words match in any case, fuzzy inside one cell; 'exact text, ^start of a cell, end$ of a cell, !without; all words must match",
        );
        add(
            b.label(Action::SortAsc),
            "sort by this column (again: unsorted)",
        );
        add(b.label(Action::SortDesc), "sort by this column, descending");
    }
    add(b.label(Action::Copy), "copy the value under the cursor");
    if let Some(Screen::Staged { .. }) = screen {
        if !off(Action::Send) {
            add(
                b.label(Action::Send),
                "send the marked edits, or all (asks first)",
            );
            add(b.label(Action::ToggleMark), "mark / unmark an edit");
        }
        add(
            b.label(Action::DropEdit),
            if model.read_only {
                "drop the edit here, unconfirmed ones too (asks first; nothing is sent)"
            } else {
                "drop the staged edit (asks first)"
            },
        );
        if !off(Action::Edit) {
            add(b.label(Action::Edit), "edit the new value again");
            add(b.label(Action::KeepMine), "a conflict: send mine anyway");
        }
        add(
            b.label(Action::TakeTheirs),
            "a conflict: keep eLogii's value",
        );
    } else {
        if !off(Action::Edit) {
            add(
                b.label(Action::Edit),
                "edit the cell in place (Enter stages, Esc cancels, Tab next)",
            );
        }
        add(
            b.label(Action::EditForm),
            if off(Action::Edit) {
                "the whole record as a form (to read)"
            } else {
                "the whole record as a form"
            },
        );
        if matches!(screen, Some(Screen::Location { .. })) && !off(Action::CopyDay) {
            add(b.label(Action::CopyDay), "copy this day's hours to Mo–Fr");
        }
        if !off(Action::Undo) {
            add(
                both(Action::Undo, Action::Redo),
                "undo / redo the last staged edit",
            );
        }
        if !off(Action::Send) {
            add(b.label(Action::Send), "send the staged edits (asks first)");
        }
    }
    if screen.is_none() {
        add(
            both(Action::NextView, Action::PrevView),
            "next / previous view",
        );
        if matches!(model.top, TopView::Customers | TopView::Locations) {
            add(
                b.label(Action::ToggleLocations),
                "one row a customer / a location",
            );
        }
        add(
            both(Action::PrevDay, Action::NextDay),
            "previous / next day",
        );
        add(b.label(Action::Reload), "load again");
    }
    add(
        b.label(Action::Command),
        "a command (listed below; any case, a unique start is enough: :ta, :ro)",
    );
    add(
        b.label(Action::GoBack),
        "back to the previous screen or view, as it was",
    );
    add(b.label(Action::Back), "clear the filter, or back");
    add(
        b.label(Action::Quit),
        if screen.is_none() { "quit" } else { "back" },
    );
    add(
        b.label(Action::ForceQuit),
        "quit (asks first while edits are staged or sending; again to quit anyway)",
    );
    add(
        b.label(Action::Suspend),
        "back to the shell for a moment (fg returns)",
    );
    add(b.label(Action::Redraw), "redraw the screen");
    add(b.label(Action::Help), "this help");
    out.push((String::new(), String::new()));
    out.push(("Commands".into(), String::new()));
    for c in crate::app::update::COMMANDS {
        let refused = match c.name {
            "send" | "undo" | "redo" => off(Action::Send),
            "lock" | "unlock" => off(Action::Lock),
            _ => false,
        };
        if refused {
            continue;
        }
        let mut what = if c.args.is_empty() {
            c.what.to_string()
        } else {
            format!("{} — {}", c.args, c.what)
        };
        if !c.aliases.is_empty() {
            let also: Vec<String> = c.aliases.iter().map(|a| format!(":{a}")).collect();
            what = format!("{what} (also {})", also.join(" "));
        }
        out.push((format!(":{}", c.name), what));
    }
    out
}

/// The text of the pop-up for a terminal `area_width` wide: keys (or the
/// kind of a message) and what they do, wrapped to the pop-up's width;
/// continuation lines have no key.
pub fn display_lines(model: &Model, messages: bool, area_width: u16) -> Vec<(String, String)> {
    let items: Vec<(String, String)> = if messages {
        if model.messages.is_empty() {
            vec![(String::new(), "No messages yet.".to_string())]
        } else {
            model
                .messages
                .iter()
                .map(|m| {
                    let kind = match m.kind {
                        StatusKind::Info => "info",
                        StatusKind::Warning => "warning",
                        StatusKind::Error => "error",
                    };
                    (kind.to_string(), m.text.clone())
                })
                .collect()
        }
    } else {
        lines(model)
    };
    let inner = popup_width(area_width).saturating_sub(4) as usize;
    let widest = items
        .iter()
        .filter(|(_, w)| !w.is_empty())
        .map(|(k, _)| display_width(k))
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    if widest + 2 + MIN_TEXT_WIDTH > inner {
        // Narrow: each key on a line of its own, what it does under it.
        let text_w = inner.saturating_sub(2).max(1);
        for (key, what) in items {
            if !key.is_empty() {
                out.push((key, String::new()));
            }
            if !what.is_empty() {
                out.extend(
                    wrap(&what, text_w)
                        .into_iter()
                        .map(|line| (String::new(), line)),
                );
            }
        }
        return out;
    }
    let key_w = widest.min(inner / 2);
    let text_w = inner.saturating_sub(key_w + 2).max(1);
    for (key, what) in items {
        for (i, line) in wrap(&what, text_w).into_iter().enumerate() {
            out.push((if i == 0 { key.clone() } else { String::new() }, line));
        }
    }
    out
}

/// Narrowest text column beside the keys; narrower pop-ups put each key
/// on a line of its own.
const MIN_TEXT_WIDTH: usize = 28;

fn popup_width(area_width: u16) -> u16 {
    area_width.saturating_sub(4).min(100)
}

/// Width of the key column: the widest key that has text beside it (none
/// when keys stand on lines of their own).
fn key_width(lines: &[(String, String)], inner: usize) -> usize {
    lines
        .iter()
        .filter(|(k, w)| !k.is_empty() && !w.is_empty())
        .map(|(k, _)| display_width(k))
        .max()
        .unwrap_or(0)
        .min(inner / 2)
}

/// The largest first line: the last page shows the end of the text.
pub fn max_scroll(model: &Model, messages: bool) -> usize {
    let (w, h) = model.size;
    let n = display_lines(model, messages, w).len();
    let body_h = h.saturating_sub(3) as usize;
    let inner_h = body_h.min(n + 2).saturating_sub(2);
    n.saturating_sub(inner_h)
}

/// Draws the help (or messages) pop-up over `area`; `j`/`k` scroll it.
pub fn render(model: &Model, scroll: usize, messages: bool, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    let lines = display_lines(model, messages, area.width);
    let width = popup_width(area.width);
    let height = area.height.min(lines.len() as u16 + 2);
    if width < 10 || height < 3 {
        return;
    }
    let pop = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let inner = Rect {
        x: pop.x + 2,
        y: pop.y + 1,
        width: pop.width.saturating_sub(4),
        height: pop.height - 2,
    };
    let scroll = scroll.min(lines.len().saturating_sub(inner.height as usize));
    // The keys as bound (the config file may have moved them).
    let b = &model.bindings;
    let key_or = |action: Action, fallback: &str| {
        let k = b.first(action);
        if k.is_empty() {
            fallback.to_string()
        } else {
            k
        }
    };
    let more = if lines.len() > inner.height as usize {
        format!(
            " {}–{} of {}, {}/{} scroll ",
            scroll + 1,
            (scroll + inner.height as usize).min(lines.len()),
            lines.len(),
            key_or(Action::MoveDown, "Down"),
            key_or(Action::MoveUp, "Up"),
        )
    } else {
        String::new()
    };
    let closes = key_or(Action::Quit, "Esc");
    let title = if messages {
        format!(" Messages ({closes} closes) ")
    } else {
        format!(" Keys and commands ({closes} closes) ")
    };
    clear_for_popup(buf, pop);
    Block::bordered()
        .border_style(t.border)
        .title(title)
        .title_bottom(more)
        .render(pop, buf);
    let key_w = key_width(&lines, inner.width as usize) as u16;
    for (i, (keys, what)) in lines
        .iter()
        .skip(scroll)
        .take(inner.height as usize)
        .enumerate()
    {
        let y = inner.y + i as u16;
        // A key alone on its line (or a heading) takes the whole width.
        let kw = if what.is_empty() { inner.width } else { key_w };
        put_padded(buf, inner.x, y, kw, keys, t.label);
        put(
            buf,
            inner.x + key_w + 2,
            y,
            inner.width.saturating_sub(key_w + 2),
            what,
            ratatui::style::Style::new(),
        );
    }
}
