//! One route: a summary, its stops in order and, when there is room and it
//! is wanted, a map beside (wide screens) or under (tall ones) the stops.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::api::types::{Field, Task};
use crate::app::data::{RouteRec, task_eta, task_windows};
use crate::app::edit::Mark;
use crate::app::late::{StagedEffect, StagedVerdict};
use crate::app::model::Model;
use crate::app::table::{Column, TableState};
use crate::domain::lateness::{Lateness, Verdict, WindowSource};
use crate::domain::schedule::format_windows;
use crate::view::map::{self, MapStop, RouteMap, StopMark};
use crate::view::routes::{duration_text, km_text, time_text};
use crate::view::tasks::{customer_text, state_text};
use crate::view::widgets::{draw_table_marked, field_text, put};

/// Lines above the stops table.
pub const TOP_LINES: u16 = 2;

/// Columns of the stops table.
pub const COLUMNS: &[Column] = &[
    Column::num("#", 2, 4),
    Column::text("!", 1, 2).widened_first(),
    Column::text("ETA", 5, 8),
    Column::text("Window", 11, 24).widened_first(),
    Column::num("±min", 4, 10),
    Column::num("Svc", 3, 3),
    Column::text("Customer", 12, 32),
    Column::text("Address", 12, 36),
    Column::text("Postcode", 8, 9),
    Column::text("State", 7, 20),
    Column::text("Ref", 8, 12),
];

/// Index of the Window column (edits the task's `timeWindows`).
pub const WINDOWS_COL: usize = 3;
/// Index of the early/late minutes column.
pub const OFFSET_COL: usize = 4;

/// The mark column: `!` late, `?` at risk, then the staged mark if any.
pub fn mark_text(l: Option<&Lateness>, staged: Option<Mark>) -> String {
    let mut s = String::new();
    match l.map(|l| l.verdict) {
        Some(v) if v.is_late() => s.push('!'),
        Some(v) if v.is_at_risk() => s.push('?'),
        _ => {}
    }
    if let Some(m) = staged {
        s.push(m.glyph());
    }
    s
}

/// Signed minutes: `+45` late, `-25` early (waiting), `0` on time.
pub fn offset_text(l: Option<&Lateness>) -> Cow<'static, str> {
    match l.and_then(|l| l.verdict.offset()) {
        Some(m) if m > 0 => Cow::Owned(format!("+{m}")),
        Some(m) => Cow::Owned(m.to_string()),
        None => Cow::Borrowed(""),
    }
}

/// The minutes cell: eLogii's, and with a staged window or hours fix what
/// they will be once it is sent (`+57→0`; `→none` when nothing would judge
/// the stop).
pub fn offset_cell(l: Option<&Lateness>, staged: Option<&StagedVerdict>) -> Cow<'static, str> {
    match staged {
        None => offset_text(l),
        Some(s) => {
            let then = offset_text(Some(&s.lateness));
            let then = if then.is_empty() { "none".into() } else { then };
            Cow::Owned(format!("{}→{then}", offset_text(l)))
        }
    }
}

/// The window cell of a stop with a staged window or hours fix: the staged
/// edit's mark, then the windows it will be judged by once it is sent.
pub fn staged_window_text(s: &StagedVerdict) -> String {
    format!("{}{}", s.mark.glyph(), judged_windows_text(&s.lateness))
}

/// The windows a verdict was judged by: the task's, the location's hours
/// marked `hrs`, or `none`; `(N min left)` when at risk.
fn judged_windows_text(l: &Lateness) -> String {
    let text = match l.source {
        WindowSource::Schedule => format!("{} hrs", format_windows(&l.windows)),
        WindowSource::None => "none".into(),
        WindowSource::Task => format_windows(&l.windows),
    };
    text + &risk_text(l)
}

/// ` (5 min left)` for a stop at risk, else empty.
pub fn risk_text(l: &Lateness) -> String {
    match l.verdict {
        Verdict::AtRisk { slack } => format!(" ({slack} min left)"),
        _ => String::new(),
    }
}

/// The windows a stop must meet: the task's as it holds them, or the
/// location's hours for the day marked `hrs` (opening hours), or `none`.
pub fn window_text(t: &Task, l: Option<&Lateness>) -> String {
    match l {
        Some(l) if l.source != WindowSource::Task => judged_windows_text(l),
        _ => format_windows(&task_windows(t)) + &l.map(risk_text).unwrap_or_default(),
    }
}

/// Service minutes: the task's, else its location's.
pub fn service_text(t: &Task) -> Cow<'_, str> {
    let n = |f: &Field<serde_json::Number>| f.get().map(|n| n.to_string());
    match n(&t.service_duration).or_else(|| t.location.get().and_then(|l| n(&l.service_duration))) {
        Some(s) => Cow::Owned(s),
        None => Cow::Borrowed(""),
    }
}

/// Text of one cell of stop `k` (0-based position in the route), sanitised.
pub fn cell<'a>(
    k: usize,
    t: &'a Task,
    l: Option<&Lateness>,
    staged: Option<Mark>,
    whatif: Option<&StagedVerdict>,
    col: usize,
) -> Cow<'a, str> {
    let loc = t.location.get();
    match col {
        0 => Cow::Owned(
            crate::app::data::task_order(t)
                .unwrap_or(k as i64 + 1)
                .to_string(),
        ),
        1 => Cow::Owned(mark_text(l, staged)),
        2 => time_text(task_eta(t)),
        WINDOWS_COL => Cow::Owned(match whatif {
            Some(s) => staged_window_text(s),
            None => window_text(t, l),
        }),
        OFFSET_COL => offset_cell(l, whatif),
        5 => service_text(t),
        6 => customer_text(t),
        7 => loc.map_or(Cow::Borrowed(""), |l| field_text(&l.address)),
        8 => loc.map_or(Cow::Borrowed(""), |l| field_text(&l.post_code)),
        9 => state_text(t),
        10 => {
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

/// The summary line: stops, late, at risk, what staged fixes change,
/// waiting, distance, time, span, lock.
pub fn summary(route: &RouteRec, staged: &StagedEffect) -> String {
    let c = &route.counts;
    let mut parts = vec![
        format!("{} stops", route.stops.len()),
        format!("{} late", c.late),
    ];
    if c.at_risk > 0 {
        parts.push(format!("{} at risk", c.at_risk));
    }
    if staged.fixed > 0 {
        parts.push(format!("{} on time once sent", staged.fixed));
    }
    if staged.broken > 0 {
        parts.push(format!("{} more late once sent", staged.broken));
    }
    parts.push(format!("{} min waiting", c.waiting));
    let km = km_text(route.distance_m);
    if !km.is_empty() {
        parts.push(format!("{km} km"));
    }
    let time = duration_text(route.duration_min);
    if !time.is_empty() {
        parts.push(format!("{time} h"));
    }
    if let (Some(a), Some(b)) = (route.start, route.end) {
        parts.push(format!("{}–{}", time_text(Some(a)), time_text(Some(b))));
    }
    parts.push(route.state.name().to_string());
    match route.locked {
        Some(true) => parts.push("locked".into()),
        Some(false) => parts.push("not locked".into()),
        None => {}
    }
    parts.join(" · ")
}

/// `[lon, lat]` of a task's location.
pub fn task_point(t: &Task) -> Option<[f64; 2]> {
    let c = t.location.get()?.coordinates.get()?;
    let p = [c.lon()?, c.lat()?];
    p.iter().all(|v| v.is_finite()).then_some(p)
}

/// How a stop is marked on the map.
pub fn stop_mark(l: Option<&Lateness>) -> StopMark {
    match l.map(|l| l.verdict) {
        Some(Verdict::Late { .. }) => StopMark::Late,
        Some(Verdict::AtRisk { .. }) => StopMark::AtRisk,
        _ => StopMark::Plain,
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
    if area.height > 1 {
        put(
            buf,
            area.x + 1,
            area.y + 1,
            area.width.saturating_sub(1),
            &summary(route, &model.stops_src(route).staged_effect()),
            t.dim,
        );
    }
    let below = Rect {
        y: area.y + TOP_LINES.min(area.height),
        height: area.height.saturating_sub(TOP_LINES),
        ..area
    };
    // A route without a single coordinate gets no map (the stops take the room).
    let mappable = model.map.show
        && route.stops.iter().any(|&i| {
            model
                .tasks
                .recs
                .get(i as usize)
                .is_some_and(|t| task_point(&t.task).is_some())
        });
    let placed = map::place(below, mappable);
    let table_area = placed.list;
    let src = model.stops_src(route);
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
    if let Some(map_area) = placed.map {
        draw_map(model, route, table, buf, map_area);
    }
}

/// The route's map (only called when it is shown: a hidden map costs nothing).
fn draw_map(model: &Model, route: &RouteRec, table: &TableState, buf: &mut Buffer, area: Rect) {
    let tasks = &model.tasks.recs;
    let stops: Vec<MapStop> = route
        .stops
        .iter()
        .enumerate()
        .map(|(k, &i)| MapStop {
            at: tasks.get(i as usize).and_then(|t| task_point(&t.task)),
            mark: stop_mark(route.lateness.get(k).and_then(Option::as_ref)),
        })
        .collect();
    let depot = model.depot_point(route);
    let others: Vec<Vec<[f64; 2]>> = if model.map.others {
        model
            .routes
            .recs
            .iter()
            .filter(|r| r.uid != route.uid)
            .map(|r| {
                let mut line: Vec<[f64; 2]> = Vec::with_capacity(r.stops.len() + 2);
                let d = model.depot_point(r);
                line.extend(d);
                line.extend(
                    r.stops
                        .iter()
                        .filter_map(|&i| tasks.get(i as usize).and_then(|t| task_point(&t.task))),
                );
                line.extend(d);
                line
            })
            .collect()
    } else {
        Vec::new()
    };
    let title = route.uid.clone();
    map::render(
        &RouteMap {
            stops: &stops,
            depot,
            selected: table.selected_row(),
            others: &others,
            title: &title,
        },
        &model.theme,
        buf,
        area,
    );
}
