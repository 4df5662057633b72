//! A yes/no question over the screen. The focus starts on Cancel, so Enter
//! alone never sends, drops or quits.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Clear, Widget};

use crate::app::model::{Confirm, Model};
use crate::domain::sanitize::display_width;
use crate::view::widgets::put;

/// Words of `text` in lines of at most `width` cells.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if display_width(&candidate) > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws the dialog centred in `area`.
pub fn render(model: &Model, c: &Confirm, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    let width = area.width.saturating_sub(4).min(64);
    if width < 16 || area.height < 5 {
        // Too small for a box: one line says it all.
        let text = format!("{}  [y/N]", c.text);
        put(buf, area.x, area.y, area.width, &text, t.warning);
        return;
    }
    let text = wrap(&c.text, (width - 4) as usize);
    let height = (text.len() as u16 + 4).min(area.height);
    let pop = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(pop, buf);
    Block::bordered()
        .border_style(t.border)
        .title(" Confirm ")
        .render(pop, buf);
    for (i, line) in text.iter().enumerate().take((height - 4) as usize) {
        put(
            buf,
            pop.x + 2,
            pop.y + 1 + i as u16,
            width - 4,
            line,
            Style::new(),
        );
    }
    let focus = Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
    let plain = Style::new();
    let cancel = "[ Cancel ]";
    let yes = format!("[ {} ]", c.yes);
    let y = pop.bottom() - 2;
    let total = display_width(cancel) + 2 + display_width(&yes);
    let x = pop.x + width.saturating_sub(total as u16 + 2);
    let (cs, ys) = if c.focus_yes {
        (plain, focus)
    } else {
        (focus, plain)
    };
    put(buf, x, y, display_width(cancel) as u16, cancel, cs);
    let yx = x + display_width(cancel) as u16 + 2;
    put(buf, yx, y, display_width(&yes) as u16, &yes, ys);
    let hint = format!("y {} · n/Esc cancel", c.yes.to_lowercase());
    put(buf, pop.x + 2, y, x.saturating_sub(pop.x + 3), &hint, t.dim);
}
