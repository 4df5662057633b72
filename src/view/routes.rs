//! The routes view: one row a route of the date.

use std::borrow::Cow;

use crate::app::data::RouteRec;
use crate::app::table::Column;
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::format_minutes;

/// Columns of the routes view (most useful first: narrow screens keep these).
pub const COLUMNS: &[Column] = &[
    Column::text("Route", 10, 12),
    Column::text("Driver", 12, 24),
    Column::num("Stops", 5, 5),
    Column::num("Late", 4, 5),
    Column::num("Risk", 4, 4),
    Column::num("Early", 5, 5),
    Column::text("Start", 5, 8),
    Column::text("End", 5, 8),
    Column::num("Km", 5, 7),
    Column::num("Time", 5, 6),
    Column::text("State", 7, 7),
    Column::text("Locked", 6, 6),
    Column::text("Vehicle", 10, 24),
];

/// Index of the Late column.
pub const LATE_COL: usize = 3;

/// `HH:MM` of an optional time.
pub fn time_text(m: Option<i64>) -> Cow<'static, str> {
    m.map_or(Cow::Borrowed(""), |m| Cow::Owned(format_minutes(m)))
}

/// Minutes as `H:MM` (a duration).
pub fn duration_text(m: Option<i64>) -> Cow<'static, str> {
    match m {
        Some(m) if m >= 0 => Cow::Owned(format!("{}:{:02}", m / 60, m % 60)),
        _ => Cow::Borrowed(""),
    }
}

/// Metres as kilometres with one decimal.
pub fn km_text(m: Option<f64>) -> Cow<'static, str> {
    match m {
        Some(m) if m.is_finite() && m >= 0.0 => Cow::Owned(format!("{:.1}", m / 1000.0)),
        _ => Cow::Borrowed(""),
    }
}

fn count(n: usize, glyph: &str) -> Cow<'static, str> {
    if n == 0 {
        Cow::Borrowed("0")
    } else {
        Cow::Owned(format!("{glyph}{n}"))
    }
}

/// Text of one cell (sanitised). Late counts carry a `!` (a glyph, not
/// colour alone), at-risk counts a `?`.
pub fn cell(r: &RouteRec, col: usize) -> Cow<'_, str> {
    match col {
        0 => sanitize(&r.uid),
        1 => sanitize(&r.driver),
        2 => Cow::Owned(r.stops.len().to_string()),
        3 => count(r.counts.late, "!"),
        4 => count(r.counts.at_risk, "?"),
        5 => Cow::Owned(r.counts.early.to_string()),
        6 => time_text(r.start),
        7 => time_text(r.end),
        8 => km_text(r.distance_m),
        9 => duration_text(r.duration_min),
        10 => Cow::Borrowed(r.state.name()),
        11 => match r.locked {
            Some(true) => Cow::Borrowed("locked"),
            Some(false) => Cow::Borrowed("no"),
            None => Cow::Borrowed(""),
        },
        12 => sanitize(&r.vehicle),
        _ => Cow::Borrowed(""),
    }
}

/// What a column sorts by: numbers without their glyphs, times and
/// durations as minutes.
pub fn sort_cell(r: &RouteRec, col: usize) -> Cow<'_, str> {
    let n = |v: Option<i64>| v.map_or(Cow::Borrowed(""), |v| Cow::Owned(format!("{v:07}")));
    match col {
        3 => Cow::Owned(r.counts.late.to_string()),
        4 => Cow::Owned(r.counts.at_risk.to_string()),
        6 => n(r.start.map(|v| v.max(0))),
        7 => n(r.end.map(|v| v.max(0))),
        8 => n(r
            .distance_m
            .filter(|m| m.is_finite() && *m >= 0.0)
            .map(|m| m.round() as i64)),
        9 => n(r.duration_min.map(|v| v.max(0))),
        _ => cell(r, col),
    }
}
