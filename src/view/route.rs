//! One route: a summary and its stops in order.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::api::types::Task;
use crate::app::data::{StopsSrc, is_late, task_eta};
use crate::app::model::Model;
use crate::app::table::{Column, TableState};
use crate::view::routes::time_text;
use crate::view::tasks::{customer_text, state_text, windows_text};
use crate::view::widgets::{draw_table_marked, field_text, put};

/// Lines above the stops table.
pub const TOP_LINES: u16 = 2;

/// Columns of the stops table.
pub const COLUMNS: &[Column] = &[
    Column::num("#", 3, 4),
    Column::text("ETA", 5, 8),
    Column::text("Late", 4, 4),
    Column::text("State", 7, 20),
    Column::text("Customer", 12, 32),
    Column::text("Address", 12, 36),
    Column::text("Postcode", 8, 9),
    Column::text("Windows", 11, 24),
    Column::text("Ref", 8, 12),
];

/// Text of one cell of stop `k` (0-based position in the route), sanitised.
pub fn cell(k: usize, t: &Task, col: usize) -> Cow<'_, str> {
    let loc = t.location.get();
    match col {
        0 => Cow::Owned((k + 1).to_string()),
        1 => time_text(task_eta(t)),
        2 => Cow::Borrowed(if is_late(t) { "late" } else { "" }),
        3 => state_text(t),
        4 => customer_text(t),
        5 => loc.map_or(Cow::Borrowed(""), |l| field_text(&l.address)),
        6 => loc.map_or(Cow::Borrowed(""), |l| field_text(&l.post_code)),
        7 => Cow::Owned(windows_text(t)),
        8 => {
            let r = field_text(&t.reference);
            if r.trim().is_empty() {
                field_text(&t.uid)
            } else {
                r
            }
        }
        _ => Cow::Borrowed(""),
    }
}

/// Draws the route screen.
pub fn render(model: &Model, uid: &str, table: &TableState, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    let Some(route) = model.route(uid) else {
        put(
            buf,
            area.x + 1,
            area.y,
            area.width.saturating_sub(1),
            "This route is no longer loaded.",
            t.dim,
        );
        return;
    };
    let mut first = format!("Route {}", route.uid);
    for part in [&route.driver, &route.vehicle] {
        if !part.is_empty() {
            first.push_str(" · ");
            first.push_str(part);
        }
    }
    put(
        buf,
        area.x + 1,
        area.y,
        area.width.saturating_sub(1),
        &first,
        t.title,
    );
    let span = match (route.first_eta, route.last_eta) {
        (Some(a), Some(b)) => format!(" · {}–{}", time_text(Some(a)), time_text(Some(b))),
        _ => String::new(),
    };
    let lock = match route.locked {
        Some(true) => " · locked",
        Some(false) => " · not locked",
        None => "",
    };
    let second = format!(
        "{} stops{span} · {} late{lock}",
        route.stops.len(),
        route.late
    );
    if area.height > 1 {
        put(
            buf,
            area.x + 1,
            area.y + 1,
            area.width.saturating_sub(1),
            &second,
            t.dim,
        );
    }
    let table_area = Rect {
        y: area.y + TOP_LINES,
        height: area.height.saturating_sub(TOP_LINES),
        ..area
    };
    let src = StopsSrc {
        route,
        tasks: &model.tasks.recs,
    };
    let empty = if table.spec.filter.trim().is_empty() {
        "no stops"
    } else {
        "no stops match the filter (Esc clears it)"
    };
    let widths = crate::view::widths_with_marks(model, &crate::app::table::widths_of(&src));
    let screen = crate::view::base_screen(model);
    let marks = |row: usize, col: usize| {
        crate::app::edit::staged_cell(model, screen, row, col)
            .map(|(text, mark)| (text, mark.glyph()))
    };
    draw_table_marked(buf, table_area, &src, table, t, empty, &widths, &marks);
    crate::view::draw_cell_editor(model, buf, table_area, COLUMNS, table, &widths);
}
