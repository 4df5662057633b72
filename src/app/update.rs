//! `update(&mut Model, Msg) -> Vec<Cmd>`: the only place the model changes.
//! No I/O and no clock: time arrives in [`Msg::Tick`] and [`Msg::Loaded`].

use std::sync::Arc;

use jiff::ToSpan;
use jiff::civil::Date;

use crate::app::data::{
    CustomerLocsSrc, CustomerRec, RoutesSrc, StopsSrc, TaskRec, build_routes, customer_search,
    location_rows, task_route, task_search,
};
use crate::app::edit;
use crate::app::model::{
    CustomersData, InputKind, InputLine, Load, Model, RoutesData, Screen, StatusKind, TableId,
    Target, TasksData, TopView,
};
use crate::app::msg::{Action, Cmd, LineEdit, LoadKind, Msg};
use crate::app::table::{RowSource, Sort, TableState, derive, derive_among, widths_of};
use crate::domain::sanitize::{replacement_for, sanitize, truncate_to_width};
use crate::view;

/// Tasks per day up to which routes are rebuilt on every page (else once, at the end).
const ROUTES_REBUILD_LIMIT: usize = 20_000;

/// Commands to run when the console starts: load the first view.
pub fn start(model: &mut Model) -> Vec<Cmd> {
    ensure_loaded(model, model.top)
}

/// Applies one message; returns the work to do.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Tick(now) => {
            let before = view::age_label(model);
            model.now = Some(now);
            if view::age_label(model) != before {
                model.dirty = true;
            }
            Vec::new()
        }
        Msg::Resize(w, h) => {
            model.size = (w, h);
            model.dirty = true;
            scroll_current(model);
            Vec::new()
        }
        Msg::Action(a) => {
            model.dirty = true;
            if model.input.is_some() || model.editor.is_some() || model.confirm.is_some() {
                // Actions do not arrive while the line, the editor or a dialog
                // is open; be safe anyway.
                return Vec::new();
            }
            if !matches!(a, Action::Copy | Action::Redraw) {
                model.status = None;
            }
            let cmds = action(model, a);
            scroll_current(model);
            cmds
        }
        Msg::Edit(e) => {
            model.dirty = true;
            edit(model, e)
        }
        Msg::Paste(text) => {
            if model.editor.is_some() {
                edit::paste(model, &text);
                return Vec::new();
            }
            paste(model, &text)
        }
        Msg::Scroll(n) => {
            if model.editor.is_some() || model.confirm.is_some() {
                return Vec::new();
            }
            model.dirty = true;
            move_cursor(model, isize::from(n));
            scroll_current(model);
            Vec::new()
        }
        Msg::CustomersPage { req, page } => customers_page(model, req, page),
        Msg::TasksPage { req, page } => tasks_page(model, req, page),
        Msg::RoutesPage { req, page } => {
            if model.routes.load.req() != Some(req) {
                return Vec::new();
            }
            model.dirty = true;
            if let Load::Loading { received, .. } = &mut model.routes.load {
                *received += page.len();
            }
            model.routes.meta.extend(page);
            rebuild_routes(model)
        }
        Msg::Loaded { req, total: _, at } => loaded(model, req, at),
        Msg::LoadFailed { req, error } => load_failed(model, req, &error),
        Msg::Derived {
            table,
            generation,
            rows,
            derived_from,
        } => derived(model, table, generation, rows, derived_from),
        Msg::Signal(_) | Msg::InputClosed(_) => {
            model.quit = true;
            Vec::new()
        }
        Msg::Editor(key) => edit::editor_key(model, key),
        Msg::Confirm(key) => edit::confirm_key(model, key),
        Msg::Journal(reply) => edit::journal_reply(model, reply),
        Msg::JournalUnavailable(error) => {
            model.dirty = true;
            model.journal = crate::app::model::JournalStatus::Failed(error.clone());
            model.set_status(StatusKind::Warning, format!("Editing is off: {error}"));
            Vec::new()
        }
        Msg::Writer(event) => edit::writer_event(model, event),
        Msg::SendRefused(why) => {
            model.dirty = true;
            edit::send_refused(model, &why);
            Vec::new()
        }
        Msg::ExternalEdited { token, result } => {
            edit::external_edited(model, token, result);
            Vec::new()
        }
    }
}

// ---------------------------------------------------------------------------
// Actions

fn action(model: &mut Model, a: Action) -> Vec<Cmd> {
    if let Some(Screen::Help { .. }) = model.screen() {
        return help_action(model, a);
    }
    if let Some(cmds) = edit::staged_action(model, a) {
        return cmds;
    }
    let page = view::page_height(model) as isize;
    match a {
        Action::MoveDown => move_cursor(model, 1),
        Action::MoveUp => move_cursor(model, -1),
        Action::PageDown => move_cursor(model, page.max(1)),
        Action::PageUp => move_cursor(model, -page.max(1)),
        Action::Top => move_cursor(model, isize::MIN / 2),
        Action::Bottom => move_cursor(model, isize::MAX / 2),
        Action::Left => move_column(model, -1),
        Action::Right => move_column(model, 1),
        Action::Open => return open(model),
        Action::Back => back(model),
        Action::Quit => {
            if model.stack.pop().is_none() {
                edit::ask_quit(model);
            }
        }
        Action::ForceQuit => edit::ask_quit(model),
        Action::NextView => return switch_to(model, next_view(model.top, true)),
        Action::PrevView => return switch_to(model, next_view(model.top, false)),
        Action::Command => open_input(model, InputKind::Command),
        Action::Filter => {
            if current_filter(model).is_some() {
                open_input(model, InputKind::Filter);
            } else {
                model.set_status(
                    StatusKind::Info,
                    "There is nothing to filter on this screen.",
                );
            }
        }
        Action::SortAsc => return sort(model, false),
        Action::SortDesc => return sort(model, true),
        Action::Help => model.stack.push(Screen::Help { scroll: 0 }),
        Action::Copy => return copy(model),
        Action::Reload => return reload(model),
        Action::Redraw => return vec![Cmd::Redraw],
        Action::PrevDay => return set_date(model, model.date - 1.day()),
        Action::NextDay => return set_date(model, model.date + 1.day()),
        Action::ToggleLocations => {
            let to = if model.top == TopView::Locations {
                TopView::Customers
            } else {
                TopView::Locations
            };
            return switch_to(model, to);
        }
        Action::Edit => return edit::begin_edit(model),
        Action::EditForm => open_form(model),
        Action::Undo => return edit::undo(model),
        Action::Redo => return edit::redo(model),
        Action::Send => return edit::ask_send(model, None),
        Action::Staged => open_staged(model),
        Action::CopyDay => return edit::copy_day(model),
        Action::ToggleMark | Action::DropEdit | Action::KeepMine | Action::TakeTheirs => {
            model.set_status(
                StatusKind::Info,
                "That key works in the list of staged edits (:staged).",
            );
        }
    }
    Vec::new()
}

fn open_staged(model: &mut Model) {
    if !matches!(model.screen(), Some(Screen::Staged { .. })) {
        model.stack.push(Screen::Staged {
            selected: 0,
            marked: Default::default(),
        });
    }
}

/// `E`: the whole record as a form.
fn open_form(model: &mut Model) {
    let screen = match model.screen() {
        None => match model.top {
            TopView::Customers => model.customers_table.selected_row().map(|r| Screen::Form {
                target: Target::Customer { cust: r as u32 },
                field: 0,
            }),
            TopView::Locations => model
                .locations_table
                .selected_row()
                .and_then(|r| model.customers.locs.get(r))
                .map(|r| Screen::Location {
                    cust: r.cust,
                    loc: r.loc,
                    field: 0,
                }),
            TopView::Tasks => model.tasks_table.selected_row().map(|r| Screen::Form {
                target: Target::Task { task: r as u32 },
                field: 0,
            }),
            TopView::Routes => None,
        },
        Some(Screen::Customer { cust, .. }) => Some(Screen::Form {
            target: Target::Customer { cust: *cust },
            field: 0,
        }),
        Some(Screen::Route { uid, table }) => table
            .selected_row()
            .and_then(|row| model.route(uid)?.stops.get(row).copied())
            .map(|task| Screen::Form {
                target: Target::Task { task },
                field: 0,
            }),
        _ => None,
    };
    match screen {
        Some(s) => model.stack.push(s),
        None => model.set_status(StatusKind::Info, "There is no record form here."),
    }
}

fn help_action(model: &mut Model, a: Action) -> Vec<Cmd> {
    let lines = view::help::line_count(model);
    let Some(Screen::Help { scroll }) = model.stack.last_mut() else {
        return Vec::new();
    };
    match a {
        Action::MoveDown => *scroll = (*scroll + 1).min(lines.saturating_sub(1)),
        Action::MoveUp => *scroll = scroll.saturating_sub(1),
        Action::PageDown => *scroll = (*scroll + 10).min(lines.saturating_sub(1)),
        Action::PageUp => *scroll = scroll.saturating_sub(10),
        Action::Top => *scroll = 0,
        Action::Bottom => *scroll = lines.saturating_sub(1),
        Action::ForceQuit => model.quit = true,
        Action::Redraw => return vec![Cmd::Redraw],
        _ => {
            model.stack.pop();
        }
    }
    Vec::new()
}

fn next_view(v: TopView, forward: bool) -> TopView {
    match (v, forward) {
        (TopView::Customers | TopView::Locations, true) => TopView::Tasks,
        (TopView::Tasks, true) => TopView::Routes,
        (TopView::Routes, true) => TopView::Customers,
        (TopView::Customers | TopView::Locations, false) => TopView::Routes,
        (TopView::Tasks, false) => TopView::Customers,
        (TopView::Routes, false) => TopView::Tasks,
    }
}

/// Shows a top view (closing screens over the current one) and loads its data if needed.
fn switch_to(model: &mut Model, to: TopView) -> Vec<Cmd> {
    model.stack.clear();
    model.top = to;
    ensure_loaded(model, to)
}

fn ensure_loaded(model: &mut Model, view: TopView) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    match view {
        TopView::Customers | TopView::Locations => {
            if model.customers.load == Load::Idle {
                cmds.push(start_load(model, LoadKind::Customers));
            }
        }
        TopView::Tasks | TopView::Routes => {
            if model.tasks.date != Some(model.date) || model.tasks.load == Load::Idle {
                cmds.push(start_load(model, LoadKind::Tasks));
            }
            if view == TopView::Routes
                && (model.routes.date != Some(model.date) || model.routes.load == Load::Idle)
            {
                cmds.push(start_load(model, LoadKind::Routes));
            }
        }
    }
    cmds
}

fn reload(model: &mut Model) -> Vec<Cmd> {
    match model.top {
        TopView::Customers | TopView::Locations => vec![start_load(model, LoadKind::Customers)],
        TopView::Tasks => vec![start_load(model, LoadKind::Tasks)],
        TopView::Routes => vec![
            start_load(model, LoadKind::Tasks),
            start_load(model, LoadKind::Routes),
        ],
    }
}

fn set_date(model: &mut Model, date: Date) -> Vec<Cmd> {
    model.date = date;
    if matches!(model.top, TopView::Tasks | TopView::Routes) {
        model.stack.clear();
        ensure_loaded(model, model.top)
    } else {
        Vec::new()
    }
}

fn start_load(model: &mut Model, kind: LoadKind) -> Cmd {
    let req = model.next_req;
    model.next_req += 1;
    let expected = |load: &Load| match load {
        Load::Done { total, .. } => Some(*total),
        Load::Loading {
            received, expected, ..
        } => expected.or(Some(*received)).filter(|n| *n > 0),
        _ => None,
    };
    let date = match kind {
        LoadKind::Customers => {
            let expected = expected(&model.customers.load);
            model.customers = CustomersData {
                load: Load::Loading {
                    req,
                    received: 0,
                    expected,
                },
                ..CustomersData::default()
            };
            for id in [TableId::Customers, TableId::Locations] {
                model.table_mut(id).reset_rows();
            }
            model
                .stack
                .retain(|s| !matches!(s, Screen::Customer { .. } | Screen::Location { .. }));
            None
        }
        LoadKind::Tasks => {
            let same_date = model.tasks.date == Some(model.date);
            let expected = if same_date {
                expected(&model.tasks.load)
            } else {
                None
            };
            model.tasks = TasksData {
                date: Some(model.date),
                load: Load::Loading {
                    req,
                    received: 0,
                    expected,
                },
                ..TasksData::default()
            };
            model.tasks_table.reset_rows();
            model.stack.retain(|s| !matches!(s, Screen::Route { .. }));
            let _ = rebuild_routes(model);
            Some(model.date)
        }
        LoadKind::Routes => {
            let same_date = model.routes.date == Some(model.date);
            let expected = if same_date {
                expected(&model.routes.load)
            } else {
                None
            };
            model.routes = RoutesData {
                date: Some(model.date),
                load: Load::Loading {
                    req,
                    received: 0,
                    expected,
                },
                ..RoutesData::default()
            };
            model.routes_table.reset_rows();
            let _ = rebuild_routes(model);
            Some(model.date)
        }
    };
    model.dirty = true;
    Cmd::Load { req, kind, date }
}

fn back(model: &mut Model) {
    if let Some(spec_filter) = current_filter(model)
        && !spec_filter.is_empty()
    {
        set_filter(model, String::new());
        return;
    }
    model.stack.pop();
}

fn open(model: &mut Model) -> Vec<Cmd> {
    match model.screen() {
        None => match model.top {
            TopView::Customers => {
                if let Some(row) = model.customers_table.selected_row() {
                    let mut table = TableState::default();
                    if let Some(c) = model.customers.recs.get(row) {
                        table.rows = (0..c.customer.locations().len() as u32).collect();
                        table.derived_from = table.rows.len();
                    }
                    model.stack.push(Screen::Customer {
                        cust: row as u32,
                        table,
                    });
                }
            }
            TopView::Locations => {
                if let Some(row) = model.locations_table.selected_row()
                    && let Some(r) = model.customers.locs.get(row)
                {
                    model.stack.push(Screen::Location {
                        cust: r.cust,
                        loc: r.loc,
                        field: 0,
                    });
                }
            }
            TopView::Tasks => {
                let Some(row) = model.tasks_table.selected_row() else {
                    return Vec::new();
                };
                let Some(t) = model.tasks.recs.get(row) else {
                    return Vec::new();
                };
                match task_route(&t.task).map(str::to_string) {
                    Some(uid) => {
                        let mut table = TableState::default();
                        if let Some(r) = model.route(&uid) {
                            table.rows = (0..r.stops.len() as u32).collect();
                            table.derived_from = table.rows.len();
                            table.selected =
                                r.stops.iter().position(|&s| s as usize == row).unwrap_or(0);
                        }
                        model.stack.push(Screen::Route { uid, table });
                    }
                    None => model.set_status(StatusKind::Info, "This task is not on a route."),
                }
            }
            TopView::Routes => {
                if let Some(row) = model.routes_table.selected_row()
                    && let Some(r) = model.routes.recs.get(row)
                {
                    let mut table = TableState::default();
                    table.rows = (0..r.stops.len() as u32).collect();
                    table.derived_from = table.rows.len();
                    let uid = r.uid.clone();
                    model.stack.push(Screen::Route { uid, table });
                }
            }
        },
        Some(Screen::Customer { cust, table }) => {
            if let Some(loc) = table.selected_row() {
                let cust = *cust;
                model.stack.push(Screen::Location {
                    cust,
                    loc: loc as u32,
                    field: 0,
                });
            }
        }
        Some(Screen::Location { .. }) | Some(Screen::Form { .. }) => {
            return edit::begin_edit(model);
        }
        Some(Screen::Route { .. }) | Some(Screen::Help { .. }) | Some(Screen::Staged { .. }) => {}
    }
    Vec::new()
}

fn open_input(model: &mut Model, kind: InputKind) {
    let text = match kind {
        InputKind::Filter => current_filter(model).unwrap_or_default(),
        InputKind::Command => String::new(),
    };
    let cursor = text.chars().count();
    model.input = Some(InputLine { kind, text, cursor });
}

// ---------------------------------------------------------------------------
// Cursor

/// The table under the cursor, if the current screen has one.
fn current_table_mut(model: &mut Model) -> Option<&mut TableState> {
    if model.stack.is_empty() {
        let id = model.top.table();
        return Some(model.table_mut(id));
    }
    match model.stack.last_mut() {
        Some(Screen::Customer { table, .. }) | Some(Screen::Route { table, .. }) => Some(table),
        _ => None,
    }
}

fn move_cursor(model: &mut Model, delta: isize) {
    if let Some(Screen::Location { cust, loc, field }) = model.stack.last() {
        let n = view::location::field_count(model, *cust, *loc);
        let f = field.saturating_add_signed(delta).min(n.saturating_sub(1));
        if let Some(Screen::Location { field, .. }) = model.stack.last_mut() {
            *field = f;
        }
        return;
    }
    if let Some(Screen::Form { target, field }) = model.stack.last() {
        let n = edit::form_rows(model, *target).map_or(0, |r| r.len());
        let f = field.saturating_add_signed(delta).min(n.saturating_sub(1));
        edit::set_form_field(model, f);
        return;
    }
    if let Some(Screen::Help { .. }) = model.stack.last() {
        return;
    }
    if let Some(t) = current_table_mut(model) {
        t.move_by(delta);
    }
}

fn move_column(model: &mut Model, delta: isize) {
    let ncols = current_columns(model);
    if ncols == 0 {
        return;
    }
    if let Some(t) = current_table_mut(model) {
        t.col = t.col.saturating_add_signed(delta).min(ncols - 1);
    }
}

fn current_columns(model: &Model) -> usize {
    match model.screen() {
        None => view::columns_of(model.top.table()).len(),
        Some(Screen::Customer { .. }) => view::customer::COLUMNS.len(),
        Some(Screen::Route { .. }) => view::route::COLUMNS.len(),
        _ => 0,
    }
}

fn scroll_current(model: &mut Model) {
    let h = view::page_height(model);
    if let Some(t) = current_table_mut(model) {
        t.clamp();
        t.scroll_into_view(h);
    }
}

// ---------------------------------------------------------------------------
// Filter and sort

/// The filter text of the current table (`None` when the screen has no table).
fn current_filter(model: &Model) -> Option<String> {
    match model.screen() {
        None => Some(model.table(model.top.table()).spec.filter.clone()),
        Some(Screen::Customer { table, .. }) | Some(Screen::Route { table, .. }) => {
            Some(table.spec.filter.clone())
        }
        _ => None,
    }
}

fn set_filter(model: &mut Model, text: String) -> Vec<Cmd> {
    if model.stack.is_empty() {
        let id = model.top.table();
        let t = model.table_mut(id);
        if t.spec.filter == text {
            return Vec::new();
        }
        t.spec.filter = text;
        t.selected = 0;
        t.offset = 0;
        return rederive(model, id);
    }
    match model.stack.last_mut() {
        Some(Screen::Customer { table, .. }) | Some(Screen::Route { table, .. }) => {
            table.spec.filter = text;
            table.selected = 0;
            table.offset = 0;
            derive_screen(model);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn sort(model: &mut Model, desc: bool) -> Vec<Cmd> {
    let columns = match model.screen() {
        None => view::columns_of(model.top.table()),
        Some(Screen::Customer { .. }) => view::customer::COLUMNS,
        Some(Screen::Route { .. }) => view::route::COLUMNS,
        _ => {
            model.set_status(StatusKind::Info, "There is nothing to sort on this screen.");
            return Vec::new();
        }
    };
    let Some(t) = current_table_mut(model) else {
        return Vec::new();
    };
    let want = Sort { col: t.col, desc };
    let (new, text) = if t.spec.sort == Some(want) {
        (None, "Back to the order eLogii sent.".to_string())
    } else {
        let title = columns.get(t.col).map_or("?", |c| c.title);
        let dir = if desc { "descending" } else { "ascending" };
        (Some(want), format!("Sorted by {title}, {dir}."))
    };
    t.spec.sort = new;
    model.set_status(StatusKind::Info, text);
    match model.screen() {
        None => rederive(model, model.top.table()),
        _ => {
            derive_screen(model);
            Vec::new()
        }
    }
}

/// Derives a top table's rows again: at once when small or unfiltered,
/// else as a background job (stale results of earlier jobs are dropped).
fn rederive(model: &mut Model, id: TableId) -> Vec<Cmd> {
    let len = model.source_len(id);
    let spec = model.table(id).spec.clone();
    if spec.is_identity() {
        let t = model.table_mut(id);
        t.generation = t.generation.wrapping_add(1);
        t.pending = false;
        t.rerun = false;
        t.set_rows((0..len as u32).collect(), len);
        t.applied = spec;
        return Vec::new();
    }
    let candidates = model.table(id).candidates_for(&spec, len);
    let source = model.source(id);
    if len <= model.sync_limit {
        let rows =
            derive_among(&*source, &spec, candidates.as_deref(), &|| false).unwrap_or_default();
        let t = model.table_mut(id);
        t.generation = t.generation.wrapping_add(1);
        t.pending = false;
        t.rerun = false;
        t.set_rows(rows, len);
        t.applied = spec;
        return Vec::new();
    }
    let generation = model.next_gen;
    model.next_gen += 1;
    let t = model.table_mut(id);
    t.generation = generation;
    t.pending = true;
    t.rerun = false;
    vec![Cmd::Derive {
        table: id,
        generation,
        source,
        spec,
        candidates: candidates.map(Arc::from),
    }]
}

/// New rows were appended to a top table's data.
fn data_grew(model: &mut Model, id: TableId) -> Vec<Cmd> {
    let len = model.source_len(id);
    let sync_limit = model.sync_limit;
    let t = model.table_mut(id);
    if t.spec.is_identity() && !t.pending {
        let from = t.derived_from.min(len);
        t.rows.extend(from as u32..len as u32);
        t.derived_from = len;
        return Vec::new();
    }
    if t.pending && len > sync_limit {
        t.rerun = true;
        return Vec::new();
    }
    rederive(model, id)
}

fn derived(
    model: &mut Model,
    id: TableId,
    generation: u64,
    rows: Vec<u32>,
    from: usize,
) -> Vec<Cmd> {
    let len = model.source_len(id);
    let t = model.table_mut(id);
    if t.generation != generation || !t.pending {
        return Vec::new(); // stale
    }
    t.pending = false;
    t.set_rows(rows, from);
    t.applied = t.spec.clone();
    let again = t.rerun || from != len;
    t.rerun = false;
    model.dirty = true;
    let cmds = if again {
        rederive(model, id)
    } else {
        Vec::new()
    };
    scroll_current(model);
    cmds
}

/// Derives the table of the screen on top (small tables: always at once).
fn derive_screen(model: &mut Model) {
    let (rows, len) = match model.screen() {
        Some(Screen::Customer { cust, table }) => {
            let Some(c) = model.customers.recs.get(*cust as usize) else {
                return;
            };
            let src = CustomerLocsSrc(&c.customer);
            (
                derive(&src, &table.spec, &|| false).unwrap_or_default(),
                src.len(),
            )
        }
        Some(Screen::Route { uid, table }) => {
            let Some(route) = model.route(uid) else {
                return;
            };
            let src = StopsSrc {
                route,
                tasks: &model.tasks.recs,
            };
            (
                derive(&src, &table.spec, &|| false).unwrap_or_default(),
                src.len(),
            )
        }
        _ => return,
    };
    if let Some(Screen::Customer { table, .. }) | Some(Screen::Route { table, .. }) =
        model.stack.last_mut()
    {
        table.set_rows(rows, len);
    }
}

// ---------------------------------------------------------------------------
// Input line

fn edit(model: &mut Model, e: LineEdit) -> Vec<Cmd> {
    let Some(line) = model.input.as_mut() else {
        return Vec::new();
    };
    let kind = line.kind;
    let mut chars: Vec<char> = line.text.chars().collect();
    let mut cursor = line.cursor.min(chars.len());
    match e {
        LineEdit::Insert(c) => {
            if replacement_for(c).is_none() {
                chars.insert(cursor, c);
                cursor += 1;
            }
        }
        LineEdit::Backspace => {
            if cursor > 0 {
                chars.remove(cursor - 1);
                cursor -= 1;
            } else if chars.is_empty() && kind == InputKind::Command {
                model.input = None;
                return Vec::new();
            }
        }
        LineEdit::Delete => {
            if cursor < chars.len() {
                chars.remove(cursor);
            }
        }
        LineEdit::Left => cursor = cursor.saturating_sub(1),
        LineEdit::Right => cursor = (cursor + 1).min(chars.len()),
        LineEdit::Home => cursor = 0,
        LineEdit::End => cursor = chars.len(),
        LineEdit::DeleteWord => {
            let mut start = cursor;
            while start > 0 && chars[start - 1] == ' ' {
                start -= 1;
            }
            while start > 0 && chars[start - 1] != ' ' {
                start -= 1;
            }
            chars.drain(start..cursor);
            cursor = start;
        }
        LineEdit::Clear => {
            chars.clear();
            cursor = 0;
        }
        LineEdit::Submit => {
            let text: String = chars.into_iter().collect();
            model.input = None;
            return match kind {
                InputKind::Filter => set_filter(model, text.trim().to_string()),
                InputKind::Command => command(model, &text),
            };
        }
        LineEdit::Cancel => {
            model.input = None;
            return match kind {
                InputKind::Filter => set_filter(model, String::new()),
                InputKind::Command => Vec::new(),
            };
        }
    }
    let text: String = chars.into_iter().collect();
    let changed = line.text != text;
    line.text = text.clone();
    line.cursor = cursor;
    if kind == InputKind::Filter && changed {
        let cmds = set_filter(model, text);
        scroll_current(model);
        return cmds;
    }
    Vec::new()
}

fn paste(model: &mut Model, text: &str) -> Vec<Cmd> {
    let Some(line) = model.input.as_mut() else {
        return Vec::new();
    };
    model.dirty = true;
    let clean: Vec<char> = text
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .filter(|c| replacement_for(*c).is_none())
        .collect();
    if clean.is_empty() {
        return Vec::new();
    }
    let mut chars: Vec<char> = line.text.chars().collect();
    let cursor = line.cursor.min(chars.len());
    chars.splice(cursor..cursor, clean.iter().copied());
    line.text = chars.into_iter().collect();
    line.cursor = cursor + clean.len();
    if line.kind == InputKind::Filter {
        // One filter run for the whole paste, not one a character.
        let text = line.text.clone();
        let cmds = set_filter(model, text);
        scroll_current(model);
        return cmds;
    }
    Vec::new()
}

fn command(model: &mut Model, text: &str) -> Vec<Cmd> {
    let mut words = text.split_whitespace();
    let Some(cmd) = words.next() else {
        return Vec::new();
    };
    let arg: Vec<&str> = words.collect();
    let arg = arg.join(" ");
    let with_date = |model: &mut Model, arg: &str| -> Result<(), ()> {
        if arg.is_empty() {
            return Ok(());
        }
        match parse_day(arg, model.today, model.date) {
            Ok(d) => {
                model.date = d;
                Ok(())
            }
            Err(e) => {
                model.set_status(StatusKind::Error, e);
                Err(())
            }
        }
    };
    match cmd {
        "q!" | "qa!" => {
            model.quit = true;
            Vec::new()
        }
        "q" | "quit" | "qa" | "exit" => {
            edit::ask_quit(model);
            Vec::new()
        }
        "customers" | "cu" | "c" => switch_to(model, TopView::Customers),
        "locations" | "loc" | "l" => switch_to(model, TopView::Locations),
        "tasks" | "t" => match with_date(model, &arg) {
            Ok(()) => switch_to(model, TopView::Tasks),
            Err(()) => Vec::new(),
        },
        "routes" | "r" => match with_date(model, &arg) {
            Ok(()) => switch_to(model, TopView::Routes),
            Err(()) => Vec::new(),
        },
        "date" | "d" | "today" => {
            let arg = if cmd == "today" {
                "today".to_string()
            } else {
                arg
            };
            match parse_day(&arg, model.today, model.date) {
                Ok(d) => set_date(model, d),
                Err(e) => {
                    model.set_status(StatusKind::Error, e);
                    Vec::new()
                }
            }
        }
        "reload" | "e" | "e!" => reload(model),
        "help" | "h" => {
            model.stack.push(Screen::Help { scroll: 0 });
            Vec::new()
        }
        "w" | "wq" | "write" | "send" => edit::ask_send(model, None),
        "staged" | "st" => {
            open_staged(model);
            Vec::new()
        }
        "undo" | "u" => edit::undo(model),
        "redo" => edit::redo(model),
        other => {
            let shown = truncate_to_width(&sanitize(other), 20).into_owned();
            model.set_status(
                StatusKind::Error,
                format!(
                    "Unknown command :{shown}; try :customers, :locations, :tasks 2026-12-24, :routes, :date, :staged, :w, :q."
                ),
            );
            Vec::new()
        }
    }
}

/// Reads a day for `:tasks`/`:date`: `YYYY-MM-DD`, `YYYYMMDD`, `today`,
/// `tomorrow`, `yesterday`, or `+N`/`-N` days from the current date.
pub fn parse_day(s: &str, today: Date, current: Date) -> Result<Date, String> {
    let s = s.trim();
    match s.to_ascii_lowercase().as_str() {
        "" | "today" => return Ok(today),
        "tomorrow" => return Ok(today + 1.day()),
        "yesterday" => return Ok(today - 1.day()),
        _ => {}
    }
    if let Some(n) = s
        .strip_prefix('+')
        .or(s.strip_prefix('-').filter(|r| !r.contains('-')))
        && let Ok(n) = n.parse::<i32>()
        && n.abs() <= 3660
    {
        let n = if s.starts_with('-') { -n } else { n };
        return current.checked_add(n.days()).map_err(|e| e.to_string());
    }
    crate::domain::dates::parse_date(s)
}

// ---------------------------------------------------------------------------
// Copy

fn copy(model: &mut Model) -> Vec<Cmd> {
    let Some(text) = view::current_value(model) else {
        model.set_status(StatusKind::Info, "Nothing to copy here.");
        return Vec::new();
    };
    if text.is_empty() {
        model.set_status(StatusKind::Info, "The cell is empty: nothing copied.");
        return Vec::new();
    }
    let shown = truncate_to_width(&text, 40).into_owned();
    model.set_status(
        StatusKind::Info,
        format!("Copied “{shown}” to the clipboard."),
    );
    vec![Cmd::Copy(text)]
}

// ---------------------------------------------------------------------------
// Data

fn customers_page(model: &mut Model, req: u64, page: Vec<crate::api::types::Customer>) -> Vec<Cmd> {
    if model.customers.load.req() != Some(req) {
        return Vec::new();
    }
    model.dirty = true;
    let n = page.len();
    let start = model.customers.recs.len();
    for (k, c) in page.iter().enumerate() {
        if let crate::api::types::Field::Value(id) = &c.id {
            model.customers.by_id.insert(id.clone(), (start + k) as u32);
        }
    }
    let widths = &mut model.customers.widths;
    let texts: Vec<String> = page.iter().map(|c| customer_search(c, widths)).collect();
    model.customers.search.push_chunk(texts);
    model
        .customers
        .recs
        .push_chunk(page.into_iter().map(CustomerRec::new).collect());
    let (locs, loc_texts) = location_rows(
        &model.customers.recs,
        start,
        &mut model.customers.loc_widths,
    );
    model.customers.locs.push_chunk(locs);
    model.customers.loc_search.push_chunk(loc_texts);
    if let Load::Loading { received, .. } = &mut model.customers.load {
        *received += n;
    }
    let mut cmds = data_grew(model, TableId::Customers);
    cmds.extend(data_grew(model, TableId::Locations));
    cmds
}

fn tasks_page(model: &mut Model, req: u64, page: Vec<crate::api::types::Task>) -> Vec<Cmd> {
    if model.tasks.load.req() != Some(req) {
        return Vec::new();
    }
    model.dirty = true;
    let n = page.len();
    let start = model.tasks.recs.len();
    for (k, t) in page.iter().enumerate() {
        if let crate::api::types::Field::Value(id) = &t.id {
            model.tasks.by_id.insert(id.clone(), (start + k) as u32);
        }
    }
    let widths = &mut model.tasks.widths;
    let texts: Vec<String> = page.iter().map(|t| task_search(t, widths)).collect();
    model.tasks.search.push_chunk(texts);
    model
        .tasks
        .recs
        .push_chunk(page.into_iter().map(TaskRec::new).collect());
    if let Load::Loading { received, .. } = &mut model.tasks.load {
        *received += n;
    }
    let mut cmds = data_grew(model, TableId::Tasks);
    if model.tasks.recs.len() <= ROUTES_REBUILD_LIMIT {
        cmds.extend(rebuild_routes(model));
    }
    cmds
}

/// Customers were changed in place (a sent edit): filters and sorts follow.
pub fn customers_changed(model: &mut Model) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for id in [TableId::Customers, TableId::Locations] {
        if !model.table(id).spec.is_identity() {
            cmds.extend(rederive(model, id));
        }
    }
    if matches!(model.screen(), Some(Screen::Customer { .. })) {
        derive_screen(model);
    }
    cmds
}

/// Tasks were changed in place (a sent edit): routes and filters follow.
pub fn tasks_changed(model: &mut Model) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    if !model.tasks_table.spec.is_identity() {
        cmds.extend(rederive(model, TableId::Tasks));
    }
    cmds.extend(rebuild_routes(model));
    cmds
}

/// Rebuilds routes from the tasks and `GET /routes` of the current dates.
fn rebuild_routes(model: &mut Model) -> Vec<Cmd> {
    let meta: &[crate::api::types::Route] =
        if model.routes.date.is_some() && model.routes.date == model.tasks.date {
            &model.routes.meta
        } else {
            &[]
        };
    let recs = build_routes(&model.tasks.recs, meta);
    let recs = Arc::new(recs);
    model.routes.widths = widths_of(&RoutesSrc(recs.clone()));
    model.routes.recs = recs;
    model.routes_table.derived_from = 0;
    let cmds = rederive(model, TableId::Routes);
    if matches!(model.screen(), Some(Screen::Route { .. })) {
        derive_screen(model);
    }
    cmds
}

fn loaded(model: &mut Model, req: u64, at: jiff::Timestamp) -> Vec<Cmd> {
    model.dirty = true;
    if model.now.is_none_or(|n| n < at) {
        model.now = Some(at);
    }
    let done = |load: &mut Load| {
        if let Load::Loading { received, .. } = *load {
            *load = Load::Done {
                total: received,
                at,
            };
        }
    };
    if model.customers.load.req() == Some(req) {
        done(&mut model.customers.load);
    } else if model.tasks.load.req() == Some(req) {
        done(&mut model.tasks.load);
        if model.tasks.recs.len() > ROUTES_REBUILD_LIMIT {
            return rebuild_routes(model);
        }
    } else if model.routes.load.req() == Some(req) {
        done(&mut model.routes.load);
    }
    Vec::new()
}

fn load_failed(model: &mut Model, req: u64, error: &str) -> Vec<Cmd> {
    let what = if model.customers.load.req() == Some(req) {
        model.customers.load = Load::Failed {
            error: error.to_string(),
        };
        "customers"
    } else if model.tasks.load.req() == Some(req) {
        model.tasks.load = Load::Failed {
            error: error.to_string(),
        };
        "tasks"
    } else if model.routes.load.req() == Some(req) {
        model.routes.load = Load::Failed {
            error: error.to_string(),
        };
        "routes"
    } else {
        return Vec::new();
    };
    model.dirty = true;
    let error = error.trim_end_matches('.');
    let key = model.bindings.first(Action::Reload);
    let retry = if key.is_empty() {
        String::new()
    } else {
        format!(" Press {key} to try again.")
    };
    model.set_status(
        StatusKind::Error,
        format!("Could not load {what}: {error}.{retry}"),
    );
    Vec::new()
}
