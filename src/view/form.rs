//! A record as a form (`E`): label/value lines, editable ones marked when a
//! staged value is pending, and the inline editor over the line being edited.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::app::edit::{FormRow, form_rows, staged_style};
use crate::app::model::{Model, Target};
use crate::domain::sanitize::display_width;
use crate::view::editor;
use crate::view::widgets::{fill, put, put_padded};

/// Lines a multi-line editor takes at most.
pub const EDITOR_LINES: u16 = 6;

/// Draws form lines with the cursor on `cursor`; the open editor (if any) is
/// drawn over the cursor's value.
pub fn draw_form(buf: &mut Buffer, area: Rect, rows: &[FormRow], cursor: usize, model: &Model) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let theme = &model.theme;
    let label_w = rows
        .iter()
        .map(|r| display_width(&r.label))
        .max()
        .unwrap_or(0)
        .min(area.width as usize / 3) as u16;
    let h = area.height as usize;
    // Room for a multi-line editor and its message under the cursor.
    let below = match &model.editor {
        Some(ed) if ed.multiline => EDITOR_LINES as usize + 1,
        Some(_) => 2,
        None => 1,
    }
    .min(h);
    let offset = (cursor + below).saturating_sub(h);
    let vx = area.x + label_w + 2;
    let vw = area.width.saturating_sub(label_w + 2);
    for (line, (k, row)) in rows.iter().enumerate().skip(offset).take(h).enumerate() {
        let y = area.y + line as u16;
        let selected = k == cursor;
        let vstyle = if selected {
            theme.selected
        } else {
            Style::new()
        };
        let lstyle = if row.cell.is_some() {
            theme.label
        } else {
            theme.dim
        };
        put_padded(buf, area.x, y, label_w, &row.label, lstyle);
        if selected {
            fill(buf, vx, y, vw, vstyle);
        }
        match row.mark {
            Some(mark) => {
                let text = format!("{} {}", mark.glyph(), row.value);
                put(buf, vx, y, vw, &text, vstyle.patch(staged_style()));
            }
            None => {
                put(buf, vx, y, vw, &row.value, vstyle);
            }
        }
    }
    if let Some(ed) = &model.editor
        && cursor >= offset
        && cursor < offset + h
    {
        let y = area.y + (cursor - offset) as u16;
        let lines = if ed.multiline {
            (ed.text.lines().len() as u16 + 1).clamp(2, EDITOR_LINES)
        } else {
            1
        };
        let rect = Rect::new(vx, y, vw, lines.min(area.bottom() - y));
        editor::draw(model, ed, buf, rect, area);
    }
}

/// Draws a customer's or a task's form.
pub fn render(model: &Model, target: Target, field: usize, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    let title = match target {
        Target::Customer { .. } => "Customer",
        Target::Location { .. } => "Location",
        Target::Task { .. } => "Task",
    };
    match form_rows(model, target) {
        Some(rows) => {
            put(
                buf,
                area.x + 1,
                area.y,
                area.width.saturating_sub(1),
                &if crate::app::edit::action_off(model, crate::app::msg::Action::Edit) {
                    format!("{title} — read-only, Esc goes back")
                } else {
                    format!("{title} — e or Enter edits a line, Esc goes back")
                },
                t.title,
            );
            let inner = Rect {
                x: area.x + 1,
                y: area.y + 1,
                width: area.width.saturating_sub(2),
                height: area.height.saturating_sub(1),
            };
            draw_form(buf, inner, &rows, field, model);
        }
        None => {
            put(
                buf,
                area.x + 1,
                area.y,
                area.width.saturating_sub(1),
                "This record is no longer loaded.",
                t.dim,
            );
        }
    }
}
