//! `view(&Model, &mut Frame)`: draws the model, changes nothing. One file a
//! screen; [`widgets`] is the only way text reaches the buffer (sanitised,
//! cut to display width).

pub mod confirm;
pub mod customer;
pub mod customers;
pub mod editor;
pub mod form;
pub mod help;
pub mod late;
pub mod location;
pub mod locations;
pub mod map;
pub mod route;
pub mod routes;
pub mod staged;
pub mod tasks;
pub mod theme;
pub mod widgets;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;

use crate::app::data::CustomerLocsSrc;
use crate::app::edit::{form_rows, staged_cell, sync_text};
use crate::app::model::{InputKind, Load, Model, Screen, StatusKind, TableId, TopView};
use crate::app::msg::Action;
use crate::app::table::{Column, RowSource, TableState};
use crate::domain::sanitize::{display_width, sanitize};
use widgets::{fill_line, put, put_padded, put_right};

/// Narrowest terminal the console draws in.
pub const MIN_WIDTH: u16 = 40;
/// Shortest terminal the console draws in.
pub const MIN_HEIGHT: u16 = 10;

/// Draws the whole screen.
pub fn view(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    let cursor = draw(model, frame.buffer_mut(), area);
    if let Some(p) = cursor {
        frame.set_cursor_position(p);
    }
}

/// Draws into a buffer; returns where the text cursor goes (input line open).
pub fn draw(model: &Model, buf: &mut Buffer, area: Rect) -> Option<Position> {
    if area.width == 0 || area.height == 0 {
        return None;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(buf, area);
        // A question waiting for y/n stays in view, buttons and all.
        if let Some(c) = &model.confirm {
            confirm::render(model, c, buf, area);
        }
        return None;
    }
    draw_header(model, buf, area);
    let mut body = body_area(area);
    body.height = body.height.saturating_sub(status_extra(model, area.width));
    match base_screen(model) {
        None => draw_top(model, buf, body),
        Some(Screen::Customer { cust, table }) => customer::render(model, *cust, table, buf, body),
        Some(Screen::Location { cust, loc, field }) => {
            location::render(model, *cust, *loc, *field, buf, body)
        }
        Some(Screen::Route { uid, table }) => route::render(model, uid, table, buf, body),
        Some(Screen::Late { table }) => late::render(model, table, buf, body),
        Some(Screen::Form { target, field }) => form::render(model, *target, *field, buf, body),
        Some(Screen::Staged { selected, marked }) => {
            staged::render(model, *selected, marked, buf, body)
        }
        Some(Screen::Help { .. }) => {}
    }
    if let Some(Screen::Help { scroll, messages }) = model.screen() {
        help::render(model, *scroll, *messages, buf, body);
    }
    if let Some(c) = &model.confirm {
        confirm::render(model, c, buf, body);
    }
    let cursor = draw_status(model, buf, area);
    draw_hints(model, buf, area);
    cursor
}

/// The rows between the header and the status line.
pub fn body_area(area: Rect) -> Rect {
    Rect {
        x: area.x,
        y: area.y + 1,
        width: area.width,
        height: area.height.saturating_sub(3),
    }
}

/// Lines an error or warning may take at the bottom (the body gives way).
pub const MAX_STATUS_LINES: usize = 3;

/// The status message as lines for a terminal `width` wide: an error or a
/// warning wraps onto up to [`MAX_STATUS_LINES`] lines (cut with a pointer to
/// `:messages` when longer); anything else takes one line. Empty while the
/// input line is open or there is no message.
pub fn status_lines(model: &Model, width: u16) -> Vec<String> {
    let Some(s) = model.status.as_ref().filter(|_| model.input.is_none()) else {
        return Vec::new();
    };
    let prefix = match s.kind {
        StatusKind::Info => "",
        StatusKind::Warning => "warning: ",
        StatusKind::Error => "error: ",
    };
    let text = format!("{prefix}{}", s.text);
    let left = status_left_width(model, width) as usize;
    if s.kind == StatusKind::Info || left < 20 {
        return vec![text];
    }
    let mut lines = widgets::wrap(&text, left);
    if lines.len() > MAX_STATUS_LINES {
        lines.truncate(MAX_STATUS_LINES);
        let tail = "… (:messages)";
        if let Some(last) = lines.last_mut() {
            let keep = left.saturating_sub(display_width(tail));
            let cut = crate::domain::sanitize::truncate_to_width(last, keep);
            *last = format!("{}{tail}", cut.trim_end_matches('…'));
        }
    }
    lines
}

/// Rows the status message takes above its own line.
pub fn status_extra(model: &Model, width: u16) -> u16 {
    status_lines(model, width).len().saturating_sub(1) as u16
}

/// The position and send progress shown at the right of the status line.
fn status_right(model: &Model) -> String {
    let position = position_label(model);
    let sync = sync_text(model);
    match (sync.is_empty(), position.is_empty()) {
        (true, _) => position,
        (false, true) => sync,
        (false, false) => format!("{sync} · {position}"),
    }
}

fn status_left_width(model: &Model, width: u16) -> u16 {
    let pos_w = (display_width(&status_right(model)) as u16).min(width / 2);
    width.saturating_sub(pos_w + 1)
}

/// The screen under any help pop-up.
pub fn base_screen(model: &Model) -> Option<&Screen> {
    model
        .stack
        .iter()
        .rev()
        .find(|s| !matches!(s, Screen::Help { .. }))
}

/// Rows of the current table that fit on screen (for PgUp/PgDn).
pub fn page_height(model: &Model) -> usize {
    let body = model
        .size
        .1
        .saturating_sub(3 + status_extra(model, model.size.0)) as usize;
    let h = match base_screen(model) {
        None => body.saturating_sub(1),
        Some(Screen::Customer { .. }) => body.saturating_sub(customer::TOP_LINES as usize + 1),
        Some(Screen::Route { .. }) => body.saturating_sub(route::TOP_LINES as usize + 1),
        Some(Screen::Late { .. }) => body.saturating_sub(late::TOP_LINES as usize + 1),
        Some(Screen::Staged { .. }) => body.saturating_sub(staged::TOP_LINES as usize),
        Some(_) => body,
    };
    h.max(1)
}

/// The columns of a top table.
pub fn columns_of(id: TableId) -> &'static [Column] {
    match id {
        TableId::Customers => customers::COLUMNS,
        TableId::Locations => locations::COLUMNS,
        TableId::Tasks => tasks::COLUMNS,
        TableId::Routes => routes::COLUMNS,
    }
}

/// The value under the cursor (what `y` copies), sanitised.
pub fn current_value(model: &Model) -> Option<String> {
    match base_screen(model) {
        None => {
            let id = model.top.table();
            let t = model.table(id);
            let row = t.selected_row()?;
            Some(model.source(id).cell(row, t.col).into_owned())
        }
        Some(Screen::Customer { cust, table }) => {
            let c = &model.customers.recs.get(*cust as usize)?.customer;
            let row = table.selected_row()?;
            Some(CustomerLocsSrc(c).cell(row, table.col).into_owned())
        }
        Some(Screen::Route { uid, table }) => {
            let route = model.route(uid)?;
            let row = table.selected_row()?;
            Some(model.stops_src(route).cell(row, table.col).into_owned())
        }
        Some(Screen::Late { table }) => {
            let row = table.selected_row()?;
            Some(model.late_src().cell(row, table.col).into_owned())
        }
        Some(Screen::Location { cust, loc, field }) => {
            let rows = location::rows_of(model, *cust, *loc)?;
            rows.get(*field).map(|r| sanitize(&r.value).into_owned())
        }
        Some(Screen::Form { target, field }) => {
            let rows = form_rows(model, *target)?;
            rows.get(*field).map(|r| sanitize(&r.value).into_owned())
        }
        Some(Screen::Help { .. }) | Some(Screen::Staged { .. }) => None,
    }
}

/// "loaded 3 min ago" for the current view's data (empty before it loaded).
pub fn age_label(model: &Model) -> String {
    let Load::Done { at, .. } = model.load_of(model.top) else {
        return String::new();
    };
    let Some(now) = model.now else {
        return "loaded just now".into();
    };
    let secs = now.as_second() - at.as_second();
    match secs {
        s if s < 60 => "loaded just now".into(),
        s if s < 3600 => format!("loaded {} min ago", s / 60),
        s if s < 86_400 => format!("loaded {} h ago", s / 3600),
        s => format!("loaded {} d ago", s / 86_400),
    }
}

fn noun(view: TopView) -> &'static str {
    match view {
        TopView::Customers => "customers",
        TopView::Locations => "locations",
        TopView::Tasks => "tasks",
        TopView::Routes => "routes",
    }
}

/// The load part of the header: "N of M loaded…", "N loaded…", "N customers".
pub fn load_label(model: &Model) -> String {
    let view = model.top;
    let load = model.load_of(view);
    let rows = model.source_len(view.table());
    let table = model.table(view.table());
    match load {
        Load::Idle => String::new(),
        Load::Loading {
            received, expected, ..
        } => {
            let what = if view == TopView::Routes && model.tasks.load.is_loading() {
                "tasks "
            } else {
                ""
            };
            match expected {
                Some(m) => format!("{received} of {m} {what}loaded…"),
                None => format!("{received} {what}loaded…"),
            }
        }
        Load::Done { .. } => {
            let count = if table.spec.filter.trim().is_empty() && table.spec.scope.is_empty() {
                format!("{rows} {}", noun(view))
            } else {
                format!("{} of {rows} {}", table.rows.len(), noun(view))
            };
            match stale_error(model) {
                Some(e) => format!(
                    "{count} · stale: reload failed ({})",
                    crate::domain::sanitize::truncate_to_width(&sanitize(e), 40)
                ),
                None => count,
            }
        }
        Load::Failed { .. } => "not loaded".into(),
    }
}

/// The error of the failed reload whose earlier rows the current view shows.
pub fn stale_error(model: &Model) -> Option<&str> {
    match model.top {
        TopView::Customers | TopView::Locations => model.customers.stale.as_deref(),
        TopView::Tasks => model.tasks.stale.as_deref(),
        TopView::Routes => model
            .tasks
            .stale
            .as_deref()
            .or(model.routes.stale.as_deref()),
    }
}

fn draw_header(model: &Model, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    fill_line(buf, area, area.y, t.header);
    let text = header_text(model, area.width as usize);
    put(buf, area.x, area.y, area.width, &text, t.header);
}

/// How much of the breadcrumb the header shows.
#[derive(Clone, Copy)]
enum Place {
    /// Every part.
    All,
    /// The first part and the last `n`, the middle elided:
    /// `Routes › … › late › stop 13 of R-V7RLJTTY`.
    Ends(usize),
    /// The last part only: `… › stop 13 of R-V7RLJTTY`.
    Last,
}

/// The breadcrumb's parts as the header shows them in `form`.
fn place_text(crumbs: &[String], form: Place) -> String {
    let n = crumbs.len();
    let (head, keep) = match form {
        Place::All => return crumbs.join(" › "),
        Place::Ends(k) if n > k + 1 => (crumbs.first().map(String::as_str), k),
        Place::Ends(_) => return crumbs.join(" › "),
        Place::Last if n > 1 => (None, 1),
        Place::Last => return crumbs.join(" › "),
    };
    let mut parts: Vec<&str> = head.into_iter().collect();
    parts.push("…");
    parts.extend(crumbs[n - keep..].iter().map(String::as_str));
    parts.join(" › ")
}

/// The header: program, profile, READ-ONLY, where you are, date (tasks and
/// routes), load and age. When it does not fit, a long path loses its
/// middle first (`Routes › … › late › stop 13 of R-V7RLJTTY`), so the
/// program, date, counts and age stay; on narrower screens the program and
/// weekday go, the age shortens and the path keeps its first and last parts
/// (`Routes › … › form`) before the age goes, then the counts; the profile,
/// READ-ONLY and the last part of the path stay longest.
pub fn header_text(model: &Model, width: usize) -> String {
    let load = load_label(model);
    let age = age_label(model);
    let crumbs = breadcrumb_parts(model);
    // (program, weekday, age: 0 none / 1 short / 2 long, load, how much of the place)
    let build = |program: bool, weekday_too: bool, age_form: u8, with_load: bool, place: Place| {
        let mut parts: Vec<String> = Vec::new();
        if program {
            parts.push("elogii-tui".into());
        }
        parts.push(model.profile.clone());
        if model.read_only {
            parts.push("READ-ONLY".into());
        }
        parts.push(place_text(&crumbs, place));
        // Customers have no date; tasks and routes are of one day.
        if matches!(model.top, TopView::Tasks | TopView::Routes) {
            parts.push(if weekday_too {
                format!("{} {}", model.date, weekday(model.date))
            } else {
                model.date.to_string()
            });
        }
        if with_load && !load.is_empty() {
            parts.push(load.clone());
        } else if stale_error(model).is_some() {
            parts.push("stale".into());
        }
        if age_form > 0 && !age.is_empty() {
            let a = if age_form == 1 {
                age.trim_start_matches("loaded ").to_string()
            } else {
                age.clone()
            };
            parts.push(a);
        }
        format!(" {}", parts.join(" · "))
    };
    let (all, three, two, one) = (Place::All, Place::Ends(3), Place::Ends(2), Place::Ends(1));
    for (program, wd, age_form, with_load, place) in [
        (true, true, 2, true, all),
        (true, true, 2, true, three),
        (true, true, 2, true, two),
        (false, true, 2, true, two),
        (false, false, 2, true, two),
        (false, false, 1, true, two),
        (false, false, 1, true, one),
        (false, false, 0, true, two),
        (false, false, 0, true, one),
        (false, false, 0, false, two),
        (false, false, 0, false, one),
        (false, false, 0, false, Place::Last),
    ] {
        let text = build(program, wd, age_form, with_load, place);
        if display_width(&text) <= width {
            return text;
        }
    }
    build(false, false, 0, false, Place::Last)
}

/// Where the dispatcher is: the view, then each screen over it
/// (`Routes › R-8SQ0UNDB › stop 7`, `Routes › late › stop 15 of R-3HATTBZA`).
pub fn breadcrumb(model: &Model) -> String {
    breadcrumb_parts(model).join(" › ")
}

/// The parts of [`breadcrumb`], one a screen (a name may itself hold `›`).
pub fn breadcrumb_parts(model: &Model) -> Vec<String> {
    let mut parts: Vec<String> = vec![model.top.title().to_string()];
    let short = |s: &str| crate::domain::sanitize::truncate_to_width(&sanitize(s), 24).into_owned();
    for s in &model.stack {
        match s {
            Screen::Late { table } => {
                parts.push("late".into());
                if let Some(stop) = table.selected_row().and_then(|r| model.late.get(r)) {
                    match stop.stop {
                        Some(n) => parts.push(format!("stop {n} of {}", short(&stop.route))),
                        None => parts.push(short(&stop.route)),
                    }
                }
            }
            Screen::Route { uid, table } => {
                parts.push(short(uid));
                let stop = table.selected_row().and_then(|row| {
                    let r = model.route(uid)?;
                    let t = &model.tasks.recs.get(*r.stops.get(row)? as usize)?.task;
                    Some(crate::app::data::task_order(t).unwrap_or(row as i64 + 1))
                });
                if let Some(n) = stop {
                    parts.push(format!("stop {n}"));
                }
            }
            Screen::Customer { cust, .. } => {
                if let Some(c) = model.customers.recs.get(*cust as usize) {
                    parts.push(short(c.customer.name.as_str()));
                }
            }
            Screen::Location { cust, loc, .. } => {
                let name = model
                    .customers
                    .recs
                    .get(*cust as usize)
                    .and_then(|c| c.customer.locations().get(*loc as usize))
                    .map(|l| l.name.as_str().to_string())
                    .unwrap_or_default();
                parts.push(if name.trim().is_empty() {
                    "location".into()
                } else {
                    short(&name)
                });
            }
            Screen::Form { .. } => parts.push("form".into()),
            Screen::Staged { .. } => parts.push("staged".into()),
            Screen::Help { messages, .. } => parts.push(if *messages {
                "messages".into()
            } else {
                "help".into()
            }),
        }
    }
    parts
}

fn weekday(d: jiff::civil::Date) -> &'static str {
    crate::domain::schedule::Weekday::from_jiff(d.weekday()).key()
}

fn draw_top(model: &Model, buf: &mut Buffer, body: Rect) {
    let id = model.top.table();
    let table = model.table(id);
    let src = model.source(id);
    let mut empty = empty_text(model.load_of(model.top), table, noun(model.top));
    if matches!(model.top, TopView::Tasks | TopView::Routes)
        && table.spec.filter.trim().is_empty()
        && matches!(model.load_of(model.top), Load::Done { .. })
    {
        // A day without work: say which, and where work is.
        empty = format!(
            "{empty} on {} {} ([ and ] step a day)",
            model.date,
            weekday(model.date)
        );
        if model.profile == "demo" {
            let last = model.today.saturating_add(jiff::ToSpan::days(6));
            empty.push_str(&format!("; the demo plans {} to {}", model.today, last));
        }
    }
    let marks = |row: usize, col: usize| {
        staged_cell(model, None, row, col).map(|(text, mark)| (text, mark.glyph()))
    };
    let widths = widths_with_marks(model, model.widths(id));
    widgets::draw_table_marked(
        buf,
        body,
        &*src,
        table,
        &model.theme,
        &empty,
        &widths,
        &marks,
    );
    draw_cell_editor(model, buf, body, src.columns(), table, &widths);
}

/// Column widths with room for a mark glyph while edits are staged.
pub fn widths_with_marks(model: &Model, desired: &[u16]) -> Vec<u16> {
    if model.staging.is_empty() {
        desired.to_vec()
    } else {
        desired.iter().map(|w| w.saturating_add(1)).collect()
    }
}

/// Draws the open editor over the selected cell of a table drawn in `area`.
pub fn draw_cell_editor(
    model: &Model,
    buf: &mut Buffer,
    area: Rect,
    cols: &[Column],
    table: &TableState,
    desired: &[u16],
) {
    let Some(ed) = &model.editor else {
        return;
    };
    if let Some(cell) = widgets::selected_cell_rect(area, cols, table, desired) {
        let rect = editor::cell_rect(cell, area);
        editor::draw(model, ed, buf, rect, area);
    }
}

/// What an empty table says.
pub fn empty_text(load: &Load, table: &TableState, noun: &str) -> String {
    if !table.spec.filter.trim().is_empty() {
        if table.pending {
            return "filtering…".into();
        }
        return format!("no {noun} match the filter (Esc clears it)");
    }
    match load {
        Load::Idle | Load::Loading { .. } => "loading…".into(),
        Load::Done { .. } => format!("no {noun}"),
        Load::Failed { .. } => "could not load (see below)".into(),
    }
}

fn draw_status(model: &Model, buf: &mut Buffer, area: Rect) -> Option<Position> {
    let y = area.bottom() - 2;
    let t = &model.theme;
    fill_line(buf, area, y, Style::new());
    if let Some(line) = &model.input {
        let prefix = match line.kind {
            InputKind::Filter => "/",
            InputKind::Command => ":",
        };
        let avail = area.width.saturating_sub(2) as usize;
        let chars: Vec<char> = line.text.chars().collect();
        let cursor = line.cursor.min(chars.len());
        // Scroll so the text just before the cursor fits: walk back from the
        // cursor (one pass, whatever the line's length).
        let mut start = cursor;
        let mut used = 0;
        while start > 0 {
            let w = display_width(chars[start - 1].encode_utf8(&mut [0; 4]));
            if used + w >= avail {
                break;
            }
            used += w;
            start -= 1;
        }
        let shown: String = chars[start..].iter().collect();
        put(buf, area.x, y, 1, prefix, t.label);
        put(buf, area.x + 1, y, area.width - 1, &shown, Style::new());
        let before: String = chars[start..cursor].iter().collect();
        let x = area.x + 1 + display_width(&sanitize(&before)) as u16;
        return Some(Position::new(x.min(area.right() - 1), y));
    }
    let position = status_right(model);
    let pos_w = (display_width(&position) as u16).min(area.width / 2);
    let left_w = status_left_width(model, area.width);
    if let Some(s) = &model.status {
        let style = match s.kind {
            StatusKind::Info => t.info,
            StatusKind::Warning => t.warning,
            StatusKind::Error => t.error,
        };
        let lines = status_lines(model, area.width);
        let top = y.saturating_sub(lines.len().saturating_sub(1) as u16);
        for (i, line) in lines.iter().enumerate() {
            let row = top + i as u16;
            if row != y {
                fill_line(buf, area, row, Style::new());
            }
            put(buf, area.x, row, left_w, line, style);
        }
    } else if let Some(f) = current_filter_text(model)
        && !f.is_empty()
    {
        put(buf, area.x, y, left_w, &format!("{f}  (Esc clears)"), t.dim);
    }
    if pos_w > 0 && pos_w < area.width {
        let style = if model.sending.is_some() {
            t.info
        } else {
            t.dim
        };
        put_right(buf, area.right() - pos_w, y, pos_w, &position, style);
    }
    None
}

fn current_table(model: &Model) -> Option<&TableState> {
    match base_screen(model) {
        None => Some(model.table(model.top.table())),
        Some(Screen::Customer { table, .. })
        | Some(Screen::Route { table, .. })
        | Some(Screen::Late { table }) => Some(table),
        _ => None,
    }
}

fn current_filter_text(model: &Model) -> Option<String> {
    let t = current_table(model)?;
    let mut parts = Vec::new();
    if !t.spec.scope.is_empty() {
        parts.push(format!("showing {}", t.spec.scope));
    }
    if !t.spec.filter.is_empty() {
        parts.push(format!("filter /{}", t.spec.filter));
    }
    Some(parts.join(" · "))
}

fn position_label(model: &Model) -> String {
    let Some(t) = current_table(model) else {
        return String::new();
    };
    if t.rows.is_empty() {
        String::new()
    } else {
        format!("{}/{}", t.selected + 1, t.rows.len())
    }
}

/// The hints of the current screen, most useful first.
pub fn hints(model: &Model) -> Vec<(String, &'static str)> {
    let b = &model.bindings;
    let k = |a: Action| b.first(a);
    if let Some(c) = &model.confirm {
        return vec![
            ("y".into(), c.yes),
            ("n/Esc".into(), "cancel"),
            ("←/→".into(), "choose"),
            ("Enter".into(), "the chosen (Cancel)"),
        ];
    }
    if let Some(ed) = &model.editor {
        let mut v: Vec<(String, &'static str)> = if ed.multiline {
            vec![
                ("Ctrl-s".into(), "stage"),
                ("Enter".into(), "new line"),
                ("Alt-Enter".into(), "stage"),
            ]
        } else {
            vec![("Enter".into(), "stage")]
        };
        v.extend([
            ("Esc".into(), "cancel"),
            ("Tab".into(), "stage, next"),
            ("Shift-Tab".into(), "stage, previous"),
            ("Ctrl-u".into(), "clear"),
            ("Ctrl-o".into(), "$EDITOR"),
        ]);
        return v;
    }
    if let Some(line) = &model.input {
        return match line.kind {
            InputKind::Filter => vec![("Enter".into(), "keep filter"), ("Esc".into(), "clear")],
            InputKind::Command => vec![("Enter".into(), "run"), ("Esc".into(), "cancel")],
        };
    }
    let list: Vec<(Action, &'static str)> = match model.screen() {
        Some(Screen::Help { .. }) => vec![(Action::Quit, "close"), (Action::MoveDown, "scroll")],
        _ => match base_screen(model) {
            None => {
                let mut v = vec![
                    (Action::Help, "help"),
                    (Action::Filter, "filter"),
                    (Action::Open, "open"),
                ];
                if model.top != TopView::Routes {
                    v.push((Action::Edit, "edit"));
                }
                if model.staging.pending() > 0 {
                    v.push((Action::Send, "send"));
                }
                match model.top {
                    TopView::Customers => v.push((Action::ToggleLocations, "locations")),
                    TopView::Locations => v.push((Action::ToggleLocations, "customers")),
                    TopView::Tasks | TopView::Routes => {
                        v.push((Action::PrevDay, "day−"));
                        v.push((Action::NextDay, "day+"));
                    }
                }
                v.extend([
                    (Action::NextView, "view"),
                    (Action::SortAsc, "sort"),
                    (Action::Reload, "reload"),
                    (Action::Copy, "copy"),
                    (Action::Command, "command"),
                    (Action::Quit, "quit"),
                ]);
                v
            }
            Some(Screen::Customer { .. }) => vec![
                (Action::Help, "help"),
                (Action::Open, "location"),
                (Action::Edit, "edit"),
                (Action::EditForm, "customer form"),
                (Action::Quit, "back"),
                (Action::Filter, "filter"),
                (Action::Undo, "undo"),
                (Action::Send, "send"),
                (Action::SortAsc, "sort"),
                (Action::Copy, "copy"),
            ],
            Some(Screen::Location { .. }) => vec![
                (Action::Help, "help"),
                (Action::Edit, "edit"),
                (Action::CopyDay, "day→Mo-Fr"),
                (Action::Undo, "undo"),
                (Action::Redo, "redo"),
                (Action::Send, "send"),
                (Action::Quit, "back"),
                (Action::Copy, "copy"),
            ],
            Some(Screen::Form { .. }) => vec![
                (Action::Help, "help"),
                (Action::Edit, "edit"),
                (Action::Undo, "undo"),
                (Action::Redo, "redo"),
                (Action::Send, "send"),
                (Action::Quit, "back"),
                (Action::Copy, "copy"),
            ],
            Some(Screen::Route { .. }) => vec![
                (Action::Help, "help"),
                (Action::Open, "fix window"),
                (Action::GoBack, "back"),
                (Action::SortDesc, "sort↓"),
                (Action::Edit, "edit"),
                (Action::Lock, "lock"),
                (Action::ToggleMap, "map"),
                (Action::EditForm, "task"),
                (Action::ToggleOthers, "all routes"),
                (Action::Filter, "filter"),
                (Action::Copy, "copy"),
            ],
            Some(Screen::Late { .. }) => vec![
                (Action::Help, "help"),
                (Action::Open, "fix window"),
                (Action::OpenRoute, "route"),
                (Action::GoBack, "back"),
                (Action::Send, "send"),
                (Action::Filter, "filter"),
                (Action::EditForm, "task"),
                (Action::SortAsc, "sort"),
                (Action::Copy, "copy"),
            ],
            Some(Screen::Staged { .. }) => vec![
                (Action::Send, "send"),
                (Action::ToggleMark, "mark"),
                (Action::DropEdit, "drop"),
                (Action::Edit, "edit"),
                (Action::KeepMine, "keep mine"),
                (Action::TakeTheirs, "take theirs"),
                (Action::Quit, "back"),
            ],
            Some(Screen::Help { .. }) => Vec::new(),
        },
    };
    // A key that would only be refused (read-only) is not offered.
    list.into_iter()
        .filter(|(a, _)| !crate::app::edit::action_off(model, *a))
        .map(|(a, l)| (k(a), l))
        .filter(|(key, _)| !key.is_empty())
        .collect()
}

fn draw_hints(model: &Model, buf: &mut Buffer, area: Rect) {
    let y = area.bottom() - 1;
    let t = &model.theme;
    fill_line(buf, area, y, t.hint);
    let mut x = area.x;
    for (key, label) in hints(model) {
        let kw = display_width(&key) as u16 + 2;
        let lw = display_width(label) as u16 + 1;
        if x + kw + lw > area.right() {
            break;
        }
        put_padded(buf, x, y, kw, &format!(" {key} "), t.hint_key);
        put(buf, x + kw, y, lw, &format!(" {label}"), t.hint);
        x += kw + lw + 1;
    }
}

fn too_small(buf: &mut Buffer, area: Rect) {
    let msg = format!(
        "Make the window larger: at least {MIN_WIDTH}×{MIN_HEIGHT} (now {}×{}).",
        area.width, area.height
    );
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in msg.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if display_width(&candidate) > area.width as usize && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    let top = area.y + area.height.saturating_sub(lines.len() as u16) / 2;
    for (i, l) in lines.iter().enumerate().take(area.height as usize) {
        let w = (display_width(l) as u16).min(area.width);
        let x = area.x + (area.width - w) / 2;
        put_padded(buf, x, top + i as u16, w, l, Style::new());
    }
}
