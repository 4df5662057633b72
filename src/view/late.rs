//! The late-stop queue (`:late`): the day's late and at-risk stops across
//! routes, worst first. A stop whose location (or task) has a staged edit
//! shows the edit's mark (`✎`) next to its `!`.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::app::edit::Mark;
use crate::app::late::{LateStop, StagedVerdict};
use crate::app::model::Model;
use crate::app::table::{Column, TableState};
use crate::domain::lateness::WindowSource;
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::format_windows;
use crate::view::route::{mark_text, offset_cell, risk_text, staged_window_text};
use crate::view::routes::time_text;
use crate::view::widgets::{draw_table, put};

/// Lines above the table.
pub const TOP_LINES: u16 = 1;

/// Columns of the queue.
pub const COLUMNS: &[Column] = &[
    Column::text("!", 1, 2).widened_first(),
    Column::num("±min", 4, 10),
    Column::text("Route", 10, 12),
    Column::num("Stop", 4, 4),
    Column::text("ETA", 5, 8),
    Column::text("Window", 11, 24),
    Column::text("From", 5, 5),
    Column::text("Customer", 12, 32),
    Column::text("Postcode", 8, 9),
    Column::text("Driver", 10, 20),
];

/// Index of the early/late minutes column.
pub const OFFSET_COL: usize = 1;
/// Index of the window column.
pub const WINDOW_COL: usize = 5;
/// Index of the stop number column.
pub const STOP_COL: usize = 3;
/// Index of the column saying where the window came from.
pub const FROM_COL: usize = 6;

/// Where a stop's window came from, as the queue says it: the task's own
/// `timeWindows` (`task`) or the location's opening hours (`hours`).
pub fn source_text(source: WindowSource) -> &'static str {
    match source {
        WindowSource::Task => "task",
        WindowSource::Schedule => "hours",
        WindowSource::None => "",
    }
}

/// Text of one cell (sanitised).
pub fn cell<'a>(
    s: &'a LateStop,
    staged: Option<Mark>,
    whatif: Option<&StagedVerdict>,
    col: usize,
) -> Cow<'a, str> {
    let l = &s.lateness;
    match col {
        0 => Cow::Owned(mark_text(Some(l), staged)),
        OFFSET_COL => offset_cell(Some(l), whatif),
        WINDOW_COL => Cow::Owned(match whatif {
            Some(s) => staged_window_text(s),
            None => format_windows(&l.windows) + &risk_text(l),
        }),
        2 => sanitize(&s.route),
        3 => Cow::Owned(s.stop.map_or(String::new(), |n| n.to_string())),
        4 => time_text(Some(s.eta)),
        // A staged fix that changes where the window comes from says so.
        FROM_COL => match whatif {
            Some(w) if w.lateness.source != l.source => {
                Cow::Owned(format!("✎{}", source_text(w.lateness.source)))
            }
            _ => Cow::Borrowed(source_text(l.source)),
        },
        7 => sanitize(&s.name),
        8 => sanitize(&s.postcode),
        9 => sanitize(&s.driver),
        _ => Cow::Borrowed(""),
    }
}

/// The line above the table.
pub fn title(model: &Model) -> String {
    title_parts(model).concat()
}

/// The title's parts: the counts, the at-risk margin (it belongs right after
/// "at risk"), the staged edits and what they do, `· worst first`.
fn title_parts(model: &Model) -> [String; 4] {
    let late = model
        .late
        .iter()
        .filter(|s| s.lateness.verdict.is_late())
        .count();
    let risk = model
        .late
        .iter()
        .filter(|s| s.lateness.verdict.is_at_risk())
        .count();
    let date = model.routes.date.unwrap_or(model.date);
    let day = crate::domain::schedule::Weekday::from_jiff(date.weekday()).key();
    let src = model.late_src();
    let staged = (0..model.late.len())
        .filter(|&i| src.staged(i).is_some())
        .count();
    let mut edits = String::new();
    if staged > 0 {
        let what = if staged == 1 {
            "a staged edit"
        } else {
            "staged edits"
        };
        edits = format!(" · {staged} with {what}{}", src.staged_effect().text());
    }
    [
        format!("Late and at-risk stops · {day} {date} · {late} late · {risk} at risk"),
        format!(" (< {} min left)", model.margin),
        edits,
        " · worst first".to_string(),
    ]
}

/// The title as it fits in `width` cells: `· worst first` goes first, then
/// the margin; counts and staged edits are cut only when nothing else is left.
fn title_in(model: &Model, width: u16) -> String {
    let [counts, margin, edits, order] = title_parts(model);
    let fits = |t: &str| crate::domain::sanitize::display_width(t) <= usize::from(width);
    let full = format!("{counts}{margin}{edits}{order}");
    if fits(&full) {
        return full;
    }
    let with_margin = format!("{counts}{margin}{edits}");
    if fits(&with_margin) {
        return with_margin;
    }
    format!("{counts}{edits}")
}

/// Draws the queue.
pub fn render(model: &Model, table: &TableState, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    put(
        buf,
        area.x + 1,
        area.y,
        area.width.saturating_sub(1),
        &title_in(model, area.width.saturating_sub(1)),
        t.title,
    );
    let table_area = Rect {
        y: area.y + TOP_LINES.min(area.height),
        height: area.height.saturating_sub(TOP_LINES),
        ..area
    };
    let src = model.late_src();
    let empty = if !table.spec.filter.trim().is_empty() || !table.spec.scope.is_empty() {
        "no stops match the filter (Esc clears it)".to_string()
    } else {
        crate::view::empty_text(
            model.load_of(crate::app::model::TopView::Routes),
            table,
            "late or at-risk stops",
        )
    };
    let widths = crate::app::table::widths_of(&src);
    draw_table(buf, table_area, &src, table, t, &empty, &widths);
}
