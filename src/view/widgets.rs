//! Drawing primitives. All text reaches the buffer through [`put`], which
//! sanitises it and cuts it to display width, so nothing from the API is ever
//! written to the terminal as a command.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use crate::api::types::Field;
use crate::app::table::{Column, RowMark, RowSource, TableState};
use crate::domain::sanitize::{display_width, pad_to_width, sanitize, truncate_to_width};
use crate::view::theme::Theme;

/// A string member as cell text: sanitised; non-string values as JSON.
pub fn field_text(f: &Field<String>) -> Cow<'_, str> {
    match f {
        Field::Value(s) => sanitize(s),
        Field::Raw(serde_json::Value::String(s)) => sanitize(s),
        Field::Raw(v) => Cow::Owned(sanitize(&v.to_string()).into_owned()),
        Field::Absent | Field::Null => Cow::Borrowed(""),
    }
}

/// Writes `text` at (x, y) in at most `width` cells (sanitised, cut with `…`,
/// never splitting a character). Returns the cells used. Clipped to the buffer.
pub fn put(buf: &mut Buffer, x: u16, y: u16, width: u16, text: &str, style: Style) -> u16 {
    let area = buf.area;
    if y < area.top() || y >= area.bottom() || x < area.left() || x >= area.right() {
        return 0;
    }
    let width = width.min(area.right() - x);
    if width == 0 {
        return 0;
    }
    let clean = sanitize(text);
    let cut = truncate_to_width(&clean, width as usize);
    let (end_x, _) = buf.set_stringn(x, y, cut.as_ref(), width as usize, style);
    end_x.saturating_sub(x)
}

/// `text` (sanitised) broken into lines of at most `width` cells: at spaces
/// where it can, inside a word longer than a line where it must (never
/// splitting a character). Always at least one line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let clean = sanitize(text);
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in clean.split(' ') {
        let sep = usize::from(!line.is_empty());
        if display_width(&line) + sep + display_width(word) <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than a line is cut where it must be.
        for c in word.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if display_width(&line) + cw > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Like [`put`] but pads with spaces to exactly `width` cells (all in `style`).
pub fn put_padded(buf: &mut Buffer, x: u16, y: u16, width: u16, text: &str, style: Style) {
    fill(buf, x, y, width, style);
    put(buf, x, y, width, text, style);
}

/// Like [`put_padded`] but right-aligned.
pub fn put_right(buf: &mut Buffer, x: u16, y: u16, width: u16, text: &str, style: Style) {
    fill(buf, x, y, width, style);
    let clean = sanitize(text);
    let w = display_width(&clean).min(width as usize) as u16;
    put(buf, x + (width - w), y, w, &clean, style);
}

/// Paints `width` blank cells in `style`.
pub fn fill(buf: &mut Buffer, x: u16, y: u16, width: u16, style: Style) {
    let area = buf.area;
    if y < area.top() || y >= area.bottom() || x >= area.right() {
        return;
    }
    let end = x.saturating_add(width).min(area.right());
    for cx in x.max(area.left())..end {
        if let Some(cell) = buf.cell_mut((cx, y)) {
            cell.reset();
            cell.set_style(style);
        }
    }
}

/// Blanks `rect` for a pop-up over what is drawn, including a wide
/// character just left of it whose second half would fall inside (a
/// terminal would draw it over the pop-up's border).
pub fn clear_for_popup(buf: &mut Buffer, rect: Rect) {
    let rect = rect.intersection(buf.area);
    if rect.width == 0 || rect.height == 0 {
        return;
    }
    for y in rect.top()..rect.bottom() {
        if rect.x > buf.area.x
            && let Some(cell) = buf.cell_mut((rect.x - 1, y))
            && display_width(cell.symbol()) > 1
        {
            cell.set_symbol(" ");
        }
        fill(buf, rect.x, y, rect.width, Style::new());
    }
}

/// Paints a whole line of `area` in `style`.
pub fn fill_line(buf: &mut Buffer, area: Rect, y: u16, style: Style) {
    fill(buf, area.x, y, area.width, style);
}

/// Where each shown column goes: `(column index, x offset, width)`.
///
/// A column wants the width of its widest cell (`desired`, from the data;
/// empty means "as wide as allowed") or its title, within its min and max.
/// Columns start narrow; when they do not all fit, the first ones are skipped
/// so the current column shows. Spare cells are shared out one at a time up
/// to what each column wants. The `sorted` column is at least as wide as its
/// whole title and the ▲/▼ after it (the others give way first).
pub fn layout_columns(
    cols: &[Column],
    width: u16,
    current: usize,
    desired: &[u16],
    sorted: Option<usize>,
) -> Vec<(usize, u16, u16)> {
    if cols.is_empty() || width == 0 {
        return Vec::new();
    }
    let bounds: Vec<(u16, u16)> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let title = display_width(c.title) as u16;
            let want = match desired.get(i) {
                Some(&d) => d.max(title),
                None => c.max,
            };
            let mut lo = c.min.min(want).max(1);
            if sorted == Some(i) {
                lo = lo.max(title + 1);
            }
            let hi = c.max.min(want).max(lo);
            (lo, hi)
        })
        .collect();
    let current = current.min(cols.len() - 1);
    let need = |from: usize, to: usize| -> u32 {
        bounds[from..=to]
            .iter()
            .map(|b| u32::from(b.0))
            .sum::<u32>()
            + (to - from) as u32
    };
    let mut first = 0;
    while first < current && need(first, current) > u32::from(width) {
        first += 1;
    }
    let mut shown: Vec<(usize, u16)> = Vec::new();
    let mut used: u32 = 0;
    for (i, b) in bounds.iter().enumerate().skip(first) {
        let gap = u32::from(!shown.is_empty());
        if used + gap + u32::from(b.0) > u32::from(width) {
            if shown.is_empty() {
                shown.push((i, width));
                used = u32::from(width);
            }
            break;
        }
        used += gap + u32::from(b.0);
        shown.push((i, b.0));
    }
    let mut spare = u32::from(width).saturating_sub(used);
    // Numbers first, then a screen's main column: a cut number (`+229…`)
    // says nothing, a cut name still reads.
    for numbers in [true, false] {
        for (i, w) in shown.iter_mut() {
            if cols[*i].first && cols[*i].numeric == numbers {
                let grow = u32::from(bounds[*i].1.saturating_sub(*w)).min(spare);
                *w += grow as u16;
                spare -= grow;
            }
        }
    }
    while spare > 0 {
        let mut grew = false;
        for (i, w) in shown.iter_mut() {
            if spare == 0 {
                break;
            }
            if *w < bounds[*i].1 {
                *w += 1;
                spare -= 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let mut x = 0u16;
    shown
        .into_iter()
        .map(|(i, w)| {
            let at = x;
            x = x.saturating_add(w).saturating_add(1);
            (i, at, w)
        })
        .collect()
}

/// A staged value for a cell: its text and mark glyph (data row, column).
pub type CellMarks<'a> = &'a dyn Fn(usize, usize) -> Option<(String, char)>;

/// Draws a table: a title row of column names, then the visible rows only
/// (cells are formatted for those rows and no others).
pub fn draw_table(
    buf: &mut Buffer,
    area: Rect,
    src: &dyn RowSource,
    state: &TableState,
    theme: &Theme,
    empty: &str,
    desired: &[u16],
) {
    draw_table_marked(buf, area, src, state, theme, empty, desired, &|_, _| None);
}

/// The first visible position of a table body `h` rows high (the selected
/// row stays in view).
pub fn visible_offset(state: &TableState, h: usize) -> usize {
    let mut offset = state.offset.min(state.rows.len().saturating_sub(1));
    if state.selected < offset {
        offset = state.selected;
    } else if h > 0 && state.selected >= offset + h {
        offset = state.selected + 1 - h;
    }
    offset
}

/// Where the selected cell of a table drawn in `area` is on screen.
pub fn selected_cell_rect(
    area: Rect,
    cols: &[Column],
    state: &TableState,
    desired: &[u16],
) -> Option<Rect> {
    if area.height < 2 || state.rows.is_empty() {
        return None;
    }
    let h = (area.height - 1) as usize;
    let offset = visible_offset(state, h);
    let line = state.selected.checked_sub(offset)?;
    if line >= h {
        return None;
    }
    let sorted = state.spec.sort.map(|s| s.col);
    let layout = layout_columns(cols, area.width, state.col, desired, sorted);
    let &(_, x, w) = layout.iter().find(|(i, _, _)| *i == state.col)?;
    Some(Rect::new(area.x + x, area.y + 1 + line as u16, w, 1))
}

/// Like [`draw_table`]; cells with a staged value show it after its mark
/// glyph, bold and underlined (never colour alone).
#[allow(clippy::too_many_arguments)]
pub fn draw_table_marked(
    buf: &mut Buffer,
    area: Rect,
    src: &dyn RowSource,
    state: &TableState,
    theme: &Theme,
    empty: &str,
    desired: &[u16],
    marks: CellMarks<'_>,
) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let cols = src.columns();
    let sorted = state.spec.sort.map(|s| s.col);
    let layout = layout_columns(cols, area.width, state.col, desired, sorted);
    // Column titles.
    fill_line(buf, area, area.y, theme.column);
    for &(i, x, w) in &layout {
        let c = &cols[i];
        let mut title = c.title.to_string();
        if let Some(s) = state.spec.sort
            && s.col == i
        {
            title.push(if s.desc { '▼' } else { '▲' });
        }
        let style = if i == state.col {
            theme.column_current
        } else {
            theme.column
        };
        if c.numeric {
            put_right(buf, area.x + x, area.y, w, &title, style);
        } else {
            put_padded(buf, area.x + x, area.y, w, &title, style);
        }
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    if body.height == 0 {
        return;
    }
    if state.rows.is_empty() {
        put(
            buf,
            body.x + 1,
            body.y,
            body.width.saturating_sub(1),
            empty,
            theme.dim,
        );
        return;
    }
    let h = body.height as usize;
    let offset = visible_offset(state, h);
    for (line, pos) in (offset..state.rows.len()).take(h).enumerate() {
        let y = body.y + line as u16;
        let row = state.rows[pos] as usize;
        let selected = pos == state.selected;
        let base = row_style(src, row, selected, theme);
        if selected {
            fill_line(buf, body, y, base);
        }
        for &(i, x, w) in &layout {
            let mut style = if selected && i == state.col {
                theme.cursor
            } else {
                base
            };
            let text = match marks(row, i) {
                Some((staged, glyph)) => {
                    style = style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
                    pad_to_width(&format!("{glyph}{staged}"), w as usize)
                }
                None => pad_or_align(&src.cell(row, i), w, cols[i].numeric),
            };
            put(buf, body.x + x, y, w, &text, style);
        }
    }
}

/// The style of a whole row: reverse when selected, else its mark's style.
fn row_style(src: &dyn RowSource, row: usize, selected: bool, theme: &Theme) -> Style {
    let mark = src.row_mark(row);
    if selected {
        match mark {
            RowMark::Plain => theme.selected,
            _ => theme.selected.add_modifier(Modifier::BOLD),
        }
    } else {
        match mark {
            RowMark::Plain => Style::new(),
            RowMark::Alert => theme.late,
            RowMark::Warn => theme.warning,
        }
    }
}

fn pad_or_align(text: &str, w: u16, numeric: bool) -> String {
    let w = w as usize;
    if numeric {
        let cut = truncate_to_width(text, w);
        let pad = w.saturating_sub(display_width(&cut));
        format!("{}{}", " ".repeat(pad), cut)
    } else {
        pad_to_width(text, w)
    }
}

/// Label/value lines of a form, with a cursor line. `scroll` follows the cursor.
pub fn draw_fields(
    buf: &mut Buffer,
    area: Rect,
    fields: &[(String, String)],
    cursor: Option<usize>,
    theme: &Theme,
) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let label_w = fields
        .iter()
        .map(|(l, _)| display_width(l))
        .max()
        .unwrap_or(0)
        .min(area.width as usize / 3) as u16;
    let h = area.height as usize;
    let offset = match cursor {
        Some(c) if c >= h => c + 1 - h,
        _ => 0,
    };
    for (line, (k, (label, value))) in fields.iter().enumerate().skip(offset).take(h).enumerate() {
        let y = area.y + line as u16;
        let selected = cursor == Some(k);
        let vstyle = if selected {
            theme.selected
        } else {
            Style::new()
        };
        put_padded(buf, area.x, y, label_w, label, theme.label);
        let vx = area.x + label_w + 2;
        let vw = area.width.saturating_sub(label_w + 2);
        if selected {
            fill(buf, vx, y, vw, vstyle);
        }
        put(buf, vx, y, vw, value, vstyle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 3] = [
        Column::text("a", 10, 20),
        Column::text("b", 10, 10),
        Column::num("c", 4, 4),
    ];

    #[test]
    fn columns_grow_to_max_and_scroll_to_the_current_one() {
        let l = layout_columns(&COLS, 100, 0, &[], None);
        assert_eq!(l, vec![(0, 0, 20), (1, 21, 10), (2, 32, 4)]);
        let l = layout_columns(&COLS, 26, 0, &[], None);
        assert_eq!(l, vec![(0, 0, 10), (1, 11, 10), (2, 22, 4)]);
        let l = layout_columns(&COLS, 25, 0, &[], None);
        assert_eq!(l, vec![(0, 0, 14), (1, 15, 10)]);
        let l = layout_columns(&COLS, 15, 2, &[], None);
        assert_eq!(l, vec![(1, 0, 10), (2, 11, 4)]);
        let l = layout_columns(&COLS, 3, 0, &[], None);
        assert_eq!(l, vec![(0, 0, 3)]);
        assert!(layout_columns(&COLS, 0, 0, &[], None).is_empty());
        // content narrower than the minimum: the column shrinks to its title
        let l = layout_columns(&COLS, 100, 0, &[12, 0, 2], None);
        assert_eq!(l, vec![(0, 0, 12), (1, 13, 1), (2, 15, 2)]);
        // content wider than the maximum is capped
        let l = layout_columns(&COLS, 100, 0, &[50, 50, 50], None);
        assert_eq!(l, vec![(0, 0, 20), (1, 21, 10), (2, 32, 4)]);
    }

    #[test]
    fn the_sorted_column_keeps_its_whole_title_and_arrow() {
        const C: [Column; 3] = [
            Column::text("Name", 4, 20),
            Column::text("Postcode", 4, 8),
            Column::text("City", 4, 20),
        ];
        // narrow data: Postcode would be 4 wide; sorted, it is 8 + 1
        let l = layout_columns(&C, 30, 1, &[4, 4, 4], None);
        assert_eq!(l[1], (1, 5, 8), "unsorted: as wide as its title");
        let l = layout_columns(&C, 14, 1, &[20, 4, 20], None);
        assert_eq!(l[1].2, 4, "tight and unsorted: cut");
        let l = layout_columns(&C, 14, 1, &[20, 4, 20], Some(1));
        assert_eq!(l[1].2, 9, "sorted: title and arrow, others give way");
        let mut buf = Buffer::empty(Rect::new(0, 0, 14, 2));
        struct One;
        impl RowSource for One {
            fn len(&self) -> usize {
                1
            }
            fn columns(&self) -> &'static [Column] {
                const C: [Column; 3] = [
                    Column::text("Name", 4, 20),
                    Column::text("Postcode", 4, 8),
                    Column::text("City", 4, 20),
                ];
                &C
            }
            fn cell(&self, _row: usize, _col: usize) -> Cow<'_, str> {
                Cow::Borrowed("x")
            }
        }
        let mut state = TableState {
            rows: vec![0],
            col: 1,
            ..TableState::default()
        };
        state.spec.sort = Some(crate::app::table::Sort { col: 1, desc: true });
        let theme = Theme::default();
        let area = buf.area;
        draw_table(&mut buf, area, &One, &state, &theme, "", &[20, 4, 20]);
        let line: String = (0..14).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert!(line.contains("Postcode▼"), "{line:?}");
    }

    #[test]
    fn put_sanitises_and_never_writes_outside() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        let used = put(&mut buf, 0, 0, 10, "A\u{1b}[2Jbcdef", Style::new());
        assert_eq!(used, 6);
        let line: String = (0..6).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert_eq!(line, "A␛[2J…");
        assert_eq!(put(&mut buf, 0, 5, 3, "x", Style::new()), 0);
        assert_eq!(put(&mut buf, 9, 0, 3, "x", Style::new()), 0);
        // wide characters are never split
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        put(&mut buf, 0, 0, 4, "東京都庁", Style::new());
        let line: String = (0..4).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert_eq!(line, "東 … ");
    }
}
