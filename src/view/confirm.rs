//! A yes/no question over the screen. The focus starts on Cancel, so Enter
//! alone never sends, drops or quits.
//!
//! The box fits any screen: its text wraps at spaces to the box's width (a
//! word is split only when it is wider than a whole line), and when the
//! screen is too short for all of it the last line shown ends with `…`. The
//! buttons are always drawn, shorter on narrow screens.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Widget};

use crate::app::model::{Confirm, Model};
use crate::domain::sanitize::{display_width, truncate_to_width};
use crate::view::widgets::{clear_for_popup, fill, put, wrap};

/// Widest box, borders included.
pub const MAX_WIDTH: u16 = 64;

/// The buttons for a row `width` cells wide: `(cancel, yes, gap)`, the
/// widest form that fits.
fn buttons(yes: &str, width: usize) -> (String, String, usize) {
    let forms = [
        ("[ Cancel ]".to_string(), format!("[ {yes} ]"), 2),
        ("[Cancel]".to_string(), format!("[{yes}]"), 1),
        ("[n]".to_string(), format!("[y {yes}]"), 1),
        ("[n]".to_string(), "[y]".to_string(), 1),
    ];
    let fits =
        |(c, y, gap): &(String, String, usize)| display_width(c) + gap + display_width(y) <= width;
    let last = forms[forms.len() - 1].clone();
    forms.into_iter().find(fits).unwrap_or(last)
}

/// `lines` cut to `max` lines; the last one shown ends with `…` (after a
/// whole word) when some were left out.
fn cut_lines(mut lines: Vec<String>, max: usize, width: usize) -> Vec<String> {
    if lines.len() <= max {
        return lines;
    }
    lines.truncate(max);
    if let Some(last) = lines.last_mut() {
        if display_width(last) < width {
            last.push('…');
        } else {
            let kept = match last.rsplit_once(' ') {
                Some((head, _)) if !head.is_empty() => format!("{head} …"),
                _ => format!(
                    "{}…",
                    truncate_to_width(last, width.saturating_sub(1)).trim_end_matches('…')
                ),
            };
            *last = kept;
        }
    }
    lines
}

/// Draws the dialog centred in `area` (it never leaves `area`).
pub fn render(model: &Model, c: &Confirm, buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    let t = &model.theme;
    let focus = Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
    let plain = Style::new();
    // A margin around the box when there is room.
    let width = if area.width >= 24 {
        (area.width - 4).min(MAX_WIDTH)
    } else {
        area.width
    };
    let boxed = width >= 8 && area.height >= 3;
    let pad: u16 = 1;
    let inner_w = if boxed {
        width.saturating_sub(2 + 2 * pad)
    } else {
        width
    }
    .max(1);
    // Rows: borders, text, a blank line when it fits, the buttons.
    let frame = if boxed { 2 } else { 0 };
    let room = area.height.saturating_sub(frame + 1) as usize;
    let all = wrap(&c.text, inner_w as usize);
    let blank = usize::from(room > all.len());
    let text = cut_lines(all, room.saturating_sub(blank), inner_w as usize);
    let height = (text.len() + blank + 1) as u16 + frame;
    let pop = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height.min(area.height)) / 2,
        width,
        height: height.min(area.height),
    };
    clear_for_popup(buf, pop);
    let (tx, ty) = if boxed {
        Block::bordered()
            .border_style(t.border)
            .title(" Confirm ")
            .render(pop, buf);
        (pop.x + 1 + pad, pop.y + 1)
    } else {
        for y in pop.top()..pop.bottom() {
            fill(buf, pop.x, y, pop.width, t.warning);
        }
        (pop.x, pop.y)
    };
    let text_style = if boxed { Style::new() } else { t.warning };
    for (i, line) in text.iter().enumerate() {
        put(buf, tx, ty + i as u16, inner_w, line, text_style);
    }
    let y = ty + (text.len() + blank) as u16;
    let (cancel, yes, gap) = buttons(c.yes, inner_w as usize);
    let (cw, yw) = (display_width(&cancel) as u16, display_width(&yes) as u16);
    let total = cw + gap as u16 + yw;
    let x = tx + inner_w.saturating_sub(total);
    let (cs, ys) = if c.focus_yes {
        (plain, focus)
    } else {
        (focus, plain)
    };
    put(buf, x, y, cw, &cancel, cs);
    put(buf, x + cw + gap as u16, y, yw, &yes, ys);
    // Which keys do what, left of the buttons when it fits whole.
    let hint = format!("y {} · n/Esc cancel", c.yes.to_lowercase());
    let hint_room = x.saturating_sub(tx + 1);
    if display_width(&hint) as u16 <= hint_room {
        put(buf, tx, y, hint_room, &hint, t.dim);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_shrink_to_fit() {
        assert_eq!(buttons("Send", 40).0, "[ Cancel ]");
        assert_eq!(buttons("Send", 16), ("[Cancel]".into(), "[Send]".into(), 1));
        assert_eq!(
            buttons("Unlock", 14),
            ("[n]".into(), "[y Unlock]".into(), 1)
        );
        assert_eq!(buttons("Unlock", 5), ("[n]".into(), "[y]".into(), 1));
    }

    #[test]
    fn cut_text_ends_with_an_ellipsis_after_a_whole_word() {
        let lines = wrap("one two three four five six", 9);
        assert_eq!(lines, ["one two", "three", "four five", "six"]);
        assert_eq!(cut_lines(lines.clone(), 4, 9), lines);
        assert_eq!(cut_lines(lines.clone(), 2, 9), ["one two", "three…"]);
        assert_eq!(cut_lines(lines, 3, 9), ["one two", "three", "four …"]);
    }
}
