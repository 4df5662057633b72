//! `:staged`: every staged edit as record › field: old → new, grouped into the
//! `updateMany` calls it will become, with its state (staged, sending, sent,
//! failed with eLogii's message, conflict with base / mine / theirs).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::app::edit::{Mark, action_off, field_label, record_label, staged_groups};
use crate::app::model::{Model, StagedRow};
use crate::domain::edit::display_value;
use crate::domain::sanitize::{display_width, sanitize, truncate_to_width};
use crate::sync::batch::{EditId, EditState};
use crate::view::editor;
use crate::view::widgets::{fill, put};

/// Lines above the list.
pub const TOP_LINES: u16 = 2;

enum Line {
    Title(String),
    Edit(usize, EditId),
    Note(String),
}

fn value(row: &StagedRow, v: Option<&serde_json::Value>, width: usize) -> String {
    let text = display_value(&row.edit.edit.field, v);
    if text.is_empty() {
        "(empty)".into()
    } else {
        truncate_to_width(&sanitize(&text.replace('\n', " ⏎ ")), width.max(8)).into_owned()
    }
}

/// `old → new` in about `width` cells; the new value gets the room first.
fn change(row: &StagedRow, width: usize) -> String {
    let e = &row.edit.edit;
    let full_new = value(row, e.new.as_ref(), usize::MAX / 4);
    let full_old = value(row, e.base.as_ref(), usize::MAX / 4);
    let room = width.saturating_sub(3);
    let new_w = display_width(&full_new);
    let old_w = display_width(&full_old);
    if new_w + old_w <= room {
        return format!("{full_old} → {full_new}");
    }
    let old_room = (room / 3).max(room.saturating_sub(new_w)).min(old_w);
    let new_room = room.saturating_sub(old_room);
    format!(
        "{} → {}",
        value(row, e.base.as_ref(), old_room),
        value(row, e.new.as_ref(), new_room)
    )
}

fn lines(model: &Model) -> Vec<Line> {
    let mut out = Vec::new();
    let mut k = 0usize;
    for g in staged_groups(model) {
        out.push(Line::Title(g.title));
        for id in g.rows {
            let Some(row) = model.staging.get(id) else {
                continue;
            };
            out.push(Line::Edit(k, id));
            if row.edit.state == EditState::Conflict && !row.sent {
                out.push(Line::Note(format!(
                    "base: {} · mine: {} · theirs: {}",
                    value(row, row.edit.edit.base.as_ref(), 30),
                    value(row, row.edit.edit.new.as_ref(), 30),
                    value(row, row.edit.theirs.as_ref(), 30)
                )));
            } else if let Some(m) = &row.edit.message
                && !row.sent
            {
                let who = if row.edit.state == EditState::Failed {
                    "eLogii: "
                } else {
                    ""
                };
                out.push(Line::Note(format!("{who}{}", sanitize(m))));
            }
            k += 1;
        }
    }
    out
}

/// Draws the staged list.
pub fn render(
    model: &Model,
    selected: usize,
    marked: &std::collections::BTreeSet<EditId>,
    buf: &mut Buffer,
    area: Rect,
) {
    let t = &model.theme;
    if area.height == 0 || area.width < 4 {
        return;
    }
    let c = model.staging.counts();
    let unconfirmed = model.staging.unconfirmed();
    let sending = if unconfirmed > 0 {
        format!("{unconfirmed} unconfirmed")
    } else {
        format!("{} sending", c.sending)
    };
    let head = format!(
        "Staged edits · {} staged, {sending}, {} failed, {} conflict{}",
        c.staged,
        c.failed,
        c.conflict,
        if c.conflict == 1 { "" } else { "s" }
    );
    put(buf, area.x + 1, area.y, area.width - 1, &head, t.title);
    let b = &model.bindings;
    use crate::app::msg::Action;
    let send = format!(
        "{} send (marked with {} or all)",
        b.first(Action::Send),
        b.first(Action::ToggleMark)
    );
    let keys: Vec<String> = [
        (Action::Send, send),
        (
            Action::DropEdit,
            format!("{} drop", b.first(Action::DropEdit)),
        ),
        (Action::Edit, format!("{} edit", b.first(Action::Edit))),
        (
            Action::KeepMine,
            format!("{} keep mine", b.first(Action::KeepMine)),
        ),
        (
            Action::TakeTheirs,
            format!("{} take theirs", b.first(Action::TakeTheirs)),
        ),
    ]
    .into_iter()
    .filter(|(a, _)| !b.first(*a).is_empty() && !action_off(model, *a))
    .map(|(_, text)| text)
    .collect();
    let mut keys = keys.join(" · ");
    if model.read_only {
        keys = format!("read-only: nothing is sent · {keys}");
    }
    if area.height > 1 {
        put(buf, area.x + 1, area.y + 1, area.width - 1, &keys, t.dim);
    }
    let body = Rect {
        y: area.y + TOP_LINES,
        height: area.height.saturating_sub(TOP_LINES),
        ..area
    };
    if body.height == 0 {
        return;
    }
    let all = lines(model);
    let state_w = if unconfirmed > 0 { 11 } else { 8 };
    if all.is_empty() {
        put(
            buf,
            body.x + 1,
            body.y,
            body.width - 1,
            &if action_off(model, Action::Edit) {
                "Nothing is staged.".to_string()
            } else {
                format!(
                    "Nothing is staged. Edit a cell with {}; staged edits are listed here.",
                    b.first(Action::Edit)
                )
            },
            t.dim,
        );
        return;
    }
    let h = body.height as usize;
    let at = all
        .iter()
        .position(|l| matches!(l, Line::Edit(k, _) if *k == selected))
        .unwrap_or(0);
    // Keep the selected edit and its note in view, from the top when all fits.
    let offset = (at + 2).saturating_sub(h).min(at);
    let mut editor_y = None;
    for (i, line) in all.iter().enumerate().skip(offset).take(h) {
        let y = body.y + (i - offset) as u16;
        match line {
            Line::Title(text) => {
                put(buf, body.x + 1, y, body.width - 1, text, t.label);
            }
            Line::Edit(k, id) => {
                let Some(row) = model.staging.get(*id) else {
                    continue;
                };
                let sel = *k == selected;
                let style = if sel { t.selected } else { Style::new() };
                if sel {
                    fill(buf, body.x, y, body.width, style);
                    editor_y = Some(y);
                }
                let tick = if marked.contains(id) { "[x]" } else { "[ ]" };
                let e = &row.edit.edit;
                let head = format!(
                    "{tick} {} {:<state_w$} {} › {}: ",
                    Mark::of(row).glyph(),
                    row.state_name(),
                    truncate_to_width(&record_label(model, e.entity, &e.record_id), 28),
                    field_label(model, e),
                );
                let room = (body.width as usize)
                    .saturating_sub(2 + display_width(&head))
                    .max(24);
                let text = format!("{head}{}", change(row, room));
                put(buf, body.x + 2, y, body.width - 2, &text, style);
            }
            Line::Note(text) => {
                put(
                    buf,
                    body.x + 18,
                    y,
                    body.width.saturating_sub(18),
                    text,
                    t.dim,
                );
            }
        }
    }
    if let (Some(ed), Some(y)) = (&model.editor, editor_y) {
        let rect = Rect::new(body.x + 18, y, body.width.saturating_sub(18), 1);
        editor::draw(model, ed, buf, rect, body);
    }
}
