//! A record as a form (`E`): label/value lines, editable ones marked when a
//! staged value is pending, and the inline editor over the line being edited.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::app::edit::{FormRow, form_rows, staged_style};
use crate::app::model::{Model, Target};
use crate::domain::sanitize::{display_width, truncate_to_width};
use crate::view::editor;
use crate::view::widgets::{fill, put, put_padded, wrap};

/// Lines a multi-line editor takes at most.
pub const EDITOR_LINES: u16 = 6;

/// Lines an editor's message may always take under the field (more when
/// half the form is more).
pub const ERROR_LINES: usize = 3;

/// The open editor's message as lines `width` wide (at most `max`, the
/// last cut with `…` when longer).
fn error_lines(model: &Model, width: u16, max: usize) -> Vec<String> {
    let Some(error) = model.editor.as_ref().and_then(|e| e.error.as_ref()) else {
        return Vec::new();
    };
    let width = (width as usize).max(1);
    let mut lines = wrap(&format!("✗ {error}"), width);
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let cut = truncate_to_width(last, width.saturating_sub(1)).into_owned();
            *last = format!("{}…", cut.trim_end_matches('…'));
        }
    }
    lines
}

/// Draws form lines with the cursor on `cursor`. The open editor (if any) is
/// drawn over the cursor's value, and the reason its text cannot be staged
/// right under it, in the value column of the field being edited; the
/// fields below move down to make room (nothing is drawn over them).
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
    let vx = area.x + label_w + 2;
    let vw = area.width.saturating_sub(label_w + 2);
    // Lines the cursor's field takes: the editor's text, then its message.
    let (ed_lines, errors) = match &model.editor {
        Some(ed) if cursor < rows.len() => {
            let lines = if ed.multiline {
                (ed.text.lines().len() + 1).clamp(2, EDITOR_LINES as usize)
            } else {
                1
            };
            let max = (h / 2).max(ERROR_LINES).min(h.saturating_sub(lines));
            (lines, error_lines(model, vw, max))
        }
        _ => (1, Vec::new()),
    };
    let extra = ed_lines - 1 + errors.len();
    // Display line of row `k` (rows under the cursor's field move down).
    let line_of = |k: usize| if k > cursor { k + extra } else { k };
    // Scroll so the whole block of the cursor's field shows, its first line first.
    let offset = (cursor + 1 + extra).saturating_sub(h).min(cursor);
    for (k, row) in rows.iter().enumerate() {
        let Some(line) = line_of(k).checked_sub(offset).filter(|&l| l < h) else {
            continue;
        };
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
    let Some(ed) = &model.editor else {
        return;
    };
    let Some(first) = line_of(cursor).checked_sub(offset).filter(|&l| l < h) else {
        return;
    };
    let y = area.y + first as u16;
    let lines = (ed_lines as u16).min(area.bottom() - y);
    editor::draw_text(ed, buf, Rect::new(vx, y, vw, lines));
    for (i, text) in errors.iter().enumerate() {
        let ey = y + (ed_lines + i) as u16;
        if ey >= area.bottom() {
            break;
        }
        fill(buf, area.x, ey, area.width, Style::new());
        put_padded(buf, vx, ey, vw, text, theme.error);
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
                &match (
                    crate::app::edit::action_off(model, crate::app::msg::Action::Edit),
                    matches!(target, Target::Task { .. }),
                ) {
                    (true, _) => format!("{title} — read-only, Esc goes back"),
                    (false, true) => format!(
                        "{title} — e or Enter edits a line, Enter on Customer or Address opens the location, Esc goes back"
                    ),
                    (false, false) => format!("{title} — e or Enter edits a line, Esc goes back"),
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
