//! The inline editor (ratatui-textarea) drawn over the cell or form line it
//! edits, with the reason a value cannot be staged right under it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::app::model::{Editor, Model};
use crate::view::widgets::{fill, put};

/// Narrowest editor on a table cell (it grows to the right, or shifts left).
pub const MIN_CELL_EDITOR: u16 = 32;

/// The editor's rectangle for a table cell: the cell, widened to
/// [`MIN_CELL_EDITOR`] inside `bounds`.
pub fn cell_rect(cell: Rect, bounds: Rect) -> Rect {
    let width = cell.width.max(MIN_CELL_EDITOR).min(bounds.width);
    let x = cell
        .x
        .min(bounds.right().saturating_sub(width))
        .max(bounds.x);
    Rect::new(x, cell.y, width, 1)
}

/// Draws the editor's text in `rect` (no message).
pub fn draw_text(ed: &Editor, buf: &mut Buffer, rect: Rect) {
    let rect = rect.intersection(buf.area);
    if rect.width == 0 || rect.height == 0 {
        return;
    }
    for y in rect.top()..rect.bottom() {
        fill(buf, rect.x, y, rect.width, ratatui::style::Style::new());
    }
    (&ed.text).render(rect, buf);
}

/// Draws the editor in `rect` and its message on the line below (above when
/// `rect` touches the bottom of `bounds`).
pub fn draw(model: &Model, ed: &Editor, buf: &mut Buffer, rect: Rect, bounds: Rect) {
    let rect = rect.intersection(buf.area);
    if rect.width == 0 || rect.height == 0 {
        return;
    }
    let t = &model.theme;
    draw_text(ed, buf, rect);
    let Some(error) = &ed.error else {
        return;
    };
    let y = if rect.bottom() < bounds.bottom() {
        rect.bottom()
    } else if rect.y > bounds.y {
        rect.y - 1
    } else {
        return;
    };
    // Under the editor, moved left as far as the whole message needs (it is
    // cut only when wider than the screen).
    let text = format!("✗ {error}");
    let need = (crate::domain::sanitize::display_width(&text) as u16).max(40);
    let x = rect
        .x
        .min(bounds.right().saturating_sub(need))
        .max(bounds.x);
    let w = bounds.right().saturating_sub(x);
    fill(buf, x, y, w, t.error);
    put(buf, x, y, w, &text, t.error);
}
