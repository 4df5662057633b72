//! The routes view: one row a route of the date.

use std::borrow::Cow;

use crate::app::data::RouteRec;
use crate::app::table::Column;
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::format_minutes;

/// Columns of the routes view.
pub const COLUMNS: &[Column] = &[
    Column::text("Route", 10, 12),
    Column::text("Driver", 12, 24),
    Column::text("Vehicle", 10, 24),
    Column::num("Stops", 5, 5),
    Column::text("First ETA", 9, 9),
    Column::text("Last ETA", 8, 8),
    Column::num("Late", 4, 4),
    Column::text("Locked", 6, 6),
];

/// `HH:MM` of an optional time.
pub fn time_text(m: Option<i64>) -> Cow<'static, str> {
    m.map_or(Cow::Borrowed(""), |m| Cow::Owned(format_minutes(m)))
}

/// Text of one cell (sanitised).
pub fn cell(r: &RouteRec, col: usize) -> Cow<'_, str> {
    match col {
        0 => sanitize(&r.uid),
        1 => sanitize(&r.driver),
        2 => sanitize(&r.vehicle),
        3 => Cow::Owned(r.stops.len().to_string()),
        4 => time_text(r.first_eta),
        5 => time_text(r.last_eta),
        6 => Cow::Owned(r.late.to_string()),
        7 => match r.locked {
            Some(true) => Cow::Borrowed("locked"),
            Some(false) => Cow::Borrowed("no"),
            None => Cow::Borrowed(""),
        },
        _ => Cow::Borrowed(""),
    }
}
