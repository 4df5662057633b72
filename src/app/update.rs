//! `update(&mut Model, Msg) -> Vec<Cmd>`: the only place the model changes.
//! No I/O and no clock: time arrives in [`Msg::Tick`] and [`Msg::Loaded`].

use std::sync::Arc;

use jiff::ToSpan;
use jiff::civil::Date;

use crate::app::data::{
    CustomerLocsSrc, CustomerRec, RoutesSrc, TaskRec, build_routes, customer_search, location_rows,
    route_scope_word, task_route, task_scope_word, task_search,
};
use crate::app::edit;
use crate::app::late::{
    Schedules, queue_with_staged, task_customer_id, task_date, task_location_uid,
};
use crate::app::model::{
    Confirm, ConfirmKind, CustomersData, InputKind, InputLine, Load, Model, Part, PendingOpen,
    Reopen, RoutesData, Screen, StatusKind, TableId, Target, TasksData, TopView,
};
use crate::app::msg::{Action, Cmd, LineEdit, LoadKind, Msg, Signal};
use crate::app::table::{RowSource, Sort, TableState, derive, derive_among, widths_of};
use crate::domain::edit::Entity;
use crate::domain::lateness::WindowSource;
use crate::domain::sanitize::{replacement_for, sanitize, truncate_to_width};
use crate::view;

/// Tasks per day up to which routes are rebuilt on every page (else once, at the end).
const ROUTES_REBUILD_LIMIT: usize = 20_000;

/// The most characters the filter or command line takes: far more than any
/// filter or command, so a paste gone wrong never stalls the loop.
pub const MAX_INPUT_CHARS: usize = 500;

/// What the line being typed is called in messages.
fn line_name(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Filter => "The filter",
        InputKind::Command => "The command line",
    }
}

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
        Msg::Action(Action::Suspend) => vec![Cmd::Suspend],
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
        Msg::DepotsPage { req, page } => {
            if model.depots.load.req() != Some(req) {
                return Vec::new();
            }
            model.dirty = true;
            if let Load::Loading { received, .. } = &mut model.depots.load {
                *received += page.len();
            }
            model.depots.list.extend(page);
            Vec::new()
        }
        Msg::Locked {
            req,
            uid,
            lock,
            result,
        } => locked(model, req, &uid, lock, result),
        Msg::Loaded { req, total: _, at } => loaded(model, req, at),
        Msg::LoadFailed { req, error } => load_failed(model, req, &error),
        Msg::Derived {
            table,
            generation,
            rows,
            derived_from,
        } => derived(model, table, generation, rows, derived_from),
        Msg::Signal(Signal::Stop) => vec![Cmd::Suspend],
        Msg::Signal(Signal::Continue) => vec![Cmd::Redraw],
        Msg::Signal(_) | Msg::InputClosed(_) => {
            model.quit = true;
            Vec::new()
        }
        Msg::SuspendRefused(why) => {
            model.dirty = true;
            model.set_status(StatusKind::Warning, why);
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
        Msg::Reread {
            req,
            entity,
            result,
        } => reread(model, req, entity, result),
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
        Action::Back => return back(model),
        Action::Quit => {
            if model.stack.pop().is_none() {
                edit::ask_quit(model);
            }
        }
        Action::ForceQuit => edit::ask_quit(model),
        Action::Suspend => return vec![Cmd::Suspend],
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
        Action::Help => model.stack.push(Screen::Help {
            scroll: 0,
            messages: false,
        }),
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
        Action::GoBack => go_back(model),
        Action::OpenRoute => open_route(model),
        Action::Lock => ask_lock(model, None),
        Action::ToggleMap => {
            model.map.show = !model.map.show;
            let text = if model.map.show {
                "Map on (shown beside or under the stops when there is room)."
            } else {
                "Map off."
            };
            model.set_status(StatusKind::Info, text);
        }
        Action::ToggleOthers => {
            model.map.others = !model.map.others;
            let text = if model.map.others {
                "The day's other routes are drawn faint on the map."
            } else {
                "Only this route on the map."
            };
            model.set_status(StatusKind::Info, text);
        }
        Action::LateQueue => return open_late(model),
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
        Some(Screen::Late { table }) => table
            .selected_row()
            .and_then(|row| model.late.get(row))
            .map(|s| Screen::Form {
                target: Target::Task { task: s.task },
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
    let messages = matches!(
        model.stack.last(),
        Some(Screen::Help { messages: true, .. })
    );
    let max = view::help::max_scroll(model, messages);
    let page = view::page_height(model).saturating_sub(2).max(1);
    let Some(Screen::Help { scroll, .. }) = model.stack.last_mut() else {
        return Vec::new();
    };
    *scroll = (*scroll).min(max);
    match a {
        Action::MoveDown => *scroll = (*scroll + 1).min(max),
        Action::MoveUp => *scroll = scroll.saturating_sub(1),
        Action::PageDown => *scroll = (*scroll + page).min(max),
        Action::PageUp => *scroll = scroll.saturating_sub(page),
        Action::Top => *scroll = 0,
        Action::Bottom => *scroll = max,
        Action::ForceQuit => {
            model.stack.pop();
            edit::ask_quit(model);
        }
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

/// Views `-` can go back to.
const HISTORY_LIMIT: usize = 50;

/// Shows a top view (closing screens over the current one) and loads its data
/// if needed. Where it was is remembered for `-`.
fn switch_to(model: &mut Model, to: TopView) -> Vec<Cmd> {
    remember(model);
    model.stack.clear();
    model.top = to;
    ensure_loaded(model, to)
}

/// Pushes the current view and its screens on the history (for `-`).
fn remember(model: &mut Model) {
    let here = (model.top, model.stack.clone());
    if model.history.last() != Some(&here) {
        model.history.push(here);
        if model.history.len() > HISTORY_LIMIT {
            model.history.remove(0);
        }
    }
}

/// `-`: the screen under this one, or the view before this one, with its
/// selection and filter as they were.
fn go_back(model: &mut Model) {
    if model.stack.pop().is_some() {
        return;
    }
    match model.history.pop() {
        Some((top, stack)) => {
            model.top = top;
            model.stack = stack;
            // Screens whose records are gone (another day, reloaded) close.
            model.stack.retain(|s| match s {
                Screen::Route { uid, .. } => model.routes.recs.iter().any(|r| &r.uid == uid),
                _ => true,
            });
        }
        None => model.set_status(StatusKind::Info, "Nothing to go back to."),
    }
}

fn ensure_loaded(model: &mut Model, view: TopView) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    match view {
        TopView::Customers | TopView::Locations => {
            if model.customers.load == Load::Idle {
                cmds.push(start_load(model, LoadKind::Customers));
            }
        }
        // Tasks open their routes (Enter, o): the routes' own members
        // (vehicle, distance, lock) and the depot are wanted there too.
        TopView::Tasks | TopView::Routes => {
            if model.tasks.date != Some(model.date) || model.tasks.load == Load::Idle {
                cmds.push(start_load(model, LoadKind::Tasks));
            }
            if model.routes.date != Some(model.date) || model.routes.load == Load::Idle {
                cmds.push(start_load(model, LoadKind::Routes));
            }
            if model.depots.load == Load::Idle {
                cmds.push(start_load(model, LoadKind::Depots));
            }
        }
    }
    cmds
}

fn reload(model: &mut Model) -> Vec<Cmd> {
    match model.top {
        TopView::Customers | TopView::Locations => vec![start_load(model, LoadKind::Customers)],
        TopView::Tasks | TopView::Routes => vec![
            start_load(model, LoadKind::Tasks),
            start_load(model, LoadKind::Routes),
        ],
    }
}

fn set_date(model: &mut Model, date: Date) -> Vec<Cmd> {
    model.date = date;
    if matches!(model.top, TopView::Tasks | TopView::Routes) {
        // The late queue follows the day; other screens belonged to the old one.
        let late = model.stack.iter().any(|s| matches!(s, Screen::Late { .. }));
        model.stack.clear();
        let mut cmds = ensure_loaded(model, model.top);
        if late {
            cmds.extend(open_late(model));
        }
        cmds
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
            if let Some(r) = take_screens(model, on_customers) {
                model.reopen_customers = Some(r);
            }
            let expected = expected(&model.customers.load);
            if matches!(model.customers.load, Load::Done { .. }) {
                let old = std::mem::take(&mut model.customers);
                model.kept.customers = Some(Box::new((
                    old,
                    model.customers_table.clone(),
                    model.locations_table.clone(),
                )));
            } else if !model.customers.load.is_loading() {
                model.kept.customers = None;
            }
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
            None
        }
        LoadKind::Tasks => {
            if let Some(r) = take_screens(model, on_tasks) {
                model.reopen_tasks = Some(r);
            }
            let same_date = model.tasks.date == Some(model.date);
            let expected = if same_date {
                expected(&model.tasks.load)
            } else {
                None
            };
            if same_date && matches!(model.tasks.load, Load::Done { .. }) {
                let old = std::mem::take(&mut model.tasks);
                model.kept.tasks = Some(Box::new((old, model.tasks_table.clone())));
            } else if !(same_date && model.tasks.load.is_loading()) {
                model.kept.tasks = None;
            }
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
            let _ = rebuild_routes(model);
            Some(model.date)
        }
        LoadKind::Depots => {
            model.depots = crate::app::model::DepotsData {
                list: Vec::new(),
                load: Load::Loading {
                    req,
                    received: 0,
                    expected: None,
                },
            };
            None
        }
        LoadKind::Routes => {
            let same_date = model.routes.date == Some(model.date);
            let expected = if same_date {
                expected(&model.routes.load)
            } else {
                None
            };
            if same_date && matches!(model.routes.load, Load::Done { .. }) {
                let old = std::mem::take(&mut model.routes);
                model.kept.routes = Some(Box::new((old, model.routes_table.clone())));
            } else if !(same_date && model.routes.load.is_loading()) {
                model.kept.routes = None;
            }
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

/// A screen showing loaded customers by index.
fn on_customers(s: &Screen) -> bool {
    matches!(
        s,
        Screen::Customer { .. }
            | Screen::Location { .. }
            | Screen::Form {
                target: Target::Customer { .. } | Target::Location { .. },
                ..
            }
    )
}

/// A screen showing loaded tasks (a route's stops, a task's form).
fn on_tasks(s: &Screen) -> bool {
    matches!(
        s,
        Screen::Route { .. }
            | Screen::Form {
                target: Target::Task { .. },
                ..
            }
    )
}

fn text_id(f: &crate::api::types::Field<String>) -> Option<String> {
    match f {
        crate::api::types::Field::Value(s) => Some(s.clone()),
        _ => None,
    }
}

/// Takes the screens from the first one that `shows` reloading records off
/// the stack, with the ids of the records they show.
fn take_screens(model: &mut Model, shows: fn(&Screen) -> bool) -> Option<Reopen> {
    let base = model.stack.iter().position(shows)?;
    let screens = model.stack.split_off(base);
    let mut r = Reopen {
        top: model.top,
        base,
        screens,
        customers: std::collections::HashMap::new(),
        tasks: std::collections::HashMap::new(),
    };
    for s in &r.screens {
        let cust = match s {
            Screen::Customer { cust, .. }
            | Screen::Location { cust, .. }
            | Screen::Form {
                target: Target::Customer { cust } | Target::Location { cust, .. },
                ..
            } => Some(*cust),
            _ => None,
        };
        if let Some(cust) = cust
            && let Some(c) = model.customers.recs.get(cust as usize)
            && let Some(id) = text_id(&c.customer.id)
        {
            let uids = c
                .customer
                .locations()
                .iter()
                .map(|l| text_id(&l.uid))
                .collect();
            r.customers.insert(cust, (id, uids));
        }
        if let Screen::Form {
            target: Target::Task { task },
            ..
        } = s
            && let Some(t) = model.tasks.recs.get(*task as usize)
            && let Some(id) = text_id(&t.task.id)
        {
            r.tasks.insert(*task, id);
        }
    }
    Some(r)
}

/// The screen on the same record after a reload, or what is gone.
fn remap(model: &Model, r: &Reopen, s: Screen) -> Result<Screen, &'static str> {
    let cust = |old: u32| -> Result<u32, &'static str> {
        match r.customers.get(&old) {
            None => Ok(old),
            Some((id, _)) => model
                .customers
                .by_id
                .get(id)
                .copied()
                .ok_or("That customer is no longer on eLogii"),
        }
    };
    let loc = |old_cust: u32, new_cust: u32, old: u32| -> Result<u32, &'static str> {
        let uid = r
            .customers
            .get(&old_cust)
            .and_then(|(_, uids)| uids.get(old as usize).cloned().flatten());
        let locs = model
            .customers
            .recs
            .get(new_cust as usize)
            .map(|c| c.customer.locations())
            .unwrap_or_default();
        match uid {
            Some(uid) => locs
                .iter()
                .position(|l| text_id(&l.uid).as_deref() == Some(uid.as_str()))
                .map(|i| i as u32)
                .ok_or("That location is no longer on eLogii"),
            None if (old as usize) < locs.len() => Ok(old),
            None => Err("That location is no longer on eLogii"),
        }
    };
    let target = |t: Target| -> Result<Target, &'static str> {
        Ok(match t {
            Target::Customer { cust: c } => Target::Customer { cust: cust(c)? },
            Target::Location { cust: c, loc: l } => {
                let n = cust(c)?;
                Target::Location {
                    cust: n,
                    loc: loc(c, n, l)?,
                }
            }
            Target::Task { task } => match r.tasks.get(&task) {
                None => Target::Task { task },
                Some(id) => Target::Task {
                    task: model
                        .tasks
                        .by_id
                        .get(id)
                        .copied()
                        .ok_or("That task is no longer on eLogii")?,
                },
            },
        })
    };
    Ok(match s {
        Screen::Customer { cust: c, table } => Screen::Customer {
            cust: cust(c)?,
            table,
        },
        Screen::Location {
            cust: c,
            loc: l,
            field,
        } => {
            let n = cust(c)?;
            Screen::Location {
                cust: n,
                loc: loc(c, n, l)?,
                field,
            }
        }
        Screen::Form { target: t, field } => Screen::Form {
            target: target(t)?,
            field,
        },
        Screen::Route { uid, table } => {
            if model.route(&uid).is_none() {
                return Err("That route is no longer on eLogii for this day");
            }
            Screen::Route { uid, table }
        }
        other => other,
    })
}

/// Puts screens taken off for a reload back on the same records; closes the
/// first whose record is gone (and those over it), saying so.
fn put_back(model: &mut Model, r: Reopen) {
    if r.top != model.top || r.base != model.stack.len() {
        return; // the dispatcher moved on meanwhile
    }
    let screens = r.screens.clone();
    for s in screens {
        match remap(model, &r, s) {
            Ok(s) => model.stack.push(s),
            Err(what) => {
                model.set_status(
                    StatusKind::Warning,
                    format!("{what}; its screen was closed."),
                );
                break;
            }
        }
    }
    for i in r.base..model.stack.len() {
        derive_screen_at(model, i);
    }
    model.dirty = true;
}

fn back(model: &mut Model) -> Vec<Cmd> {
    if let Some(spec_filter) = current_filter(model)
        && !spec_filter.is_empty()
    {
        return set_filter(model, String::new());
    }
    if current_scope(model).is_some_and(|s| !s.is_empty()) {
        return set_scope(model, String::new());
    }
    model.stack.pop();
    Vec::new()
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
        Some(Screen::Form {
            target: Target::Task { task },
            field,
        }) => {
            let task = *task;
            return match task_form_place(model, task, *field) {
                Some(focus) => open_location_at(model, task, focus),
                None => edit::begin_edit(model),
            };
        }
        Some(Screen::Location { .. }) | Some(Screen::Form { .. }) => {
            return edit::begin_edit(model);
        }
        Some(Screen::Route { uid, table }) => {
            let stop = table.selected_row().and_then(|row| {
                let route = model.route(uid)?;
                let task = *route.stops.get(row)?;
                let source = route.lateness.get(row)?.as_ref().map(|l| l.source);
                Some((task, source))
            });
            match stop {
                Some((task, source)) => return open_window_of(model, task, source),
                None => model.set_status(StatusKind::Info, "No stop here."),
            }
        }
        Some(Screen::Late { table }) => {
            let stop = table
                .selected_row()
                .and_then(|row| model.late.get(row))
                .map(|s| (s.task, Some(s.lateness.source)));
            match stop {
                Some((task, source)) => return open_window_of(model, task, source),
                None => model.set_status(StatusKind::Info, "No stop here."),
            }
        }
        Some(Screen::Help { .. }) | Some(Screen::Staged { .. }) => {}
    }
    Vec::new()
}

/// Enter on a stop (of a route or the late queue): the record whose window
/// the stop is judged by. The task's form on its windows when the task has
/// its own; else its location's form on the day's hours.
fn open_window_of(model: &mut Model, task: u32, source: Option<WindowSource>) -> Vec<Cmd> {
    if source == Some(WindowSource::Task) {
        open_task_windows(model, task);
        return Vec::new();
    }
    let cmds = open_location_of(model, task);
    if matches!(model.screen(), Some(Screen::Location { .. })) {
        let day = model
            .tasks
            .recs
            .get(task as usize)
            .and_then(|t| task_date(&t.task))
            .map(|d| crate::domain::schedule::Weekday::from_jiff(d.weekday()).key());
        let text = match (source, day) {
            (Some(WindowSource::Schedule), Some(day)) => Some(format!(
                "This stop is judged by the location's opening hours for {day} (the task has no time windows of its own)."
            )),
            (Some(WindowSource::None), _) => Some(
                "Neither the task nor the location gives this stop a window: set the hours here, or the task's windows (-, then E)."
                    .to_string(),
            ),
            _ => None,
        };
        if let Some(text) = text {
            model.set_status(StatusKind::Info, text);
        }
    }
    cmds
}

/// Where Enter on row `field` of task `task`'s form goes, when that row is
/// its customer or address: the customer location, with the cursor on the
/// address (`Some(Some("address"))`) or, from Customer, on the hours of the
/// task's day (`Some(None)`, as Enter on a stop).
fn task_form_place(model: &Model, task: u32, field: usize) -> Option<Option<&'static str>> {
    let rows = edit::form_rows(model, Target::Task { task })?;
    match rows.get(field)?.label.as_str() {
        "Customer" => Some(None),
        "Address" => Some(Some("address")),
        _ => None,
    }
}

/// Enter on a stop judged by the task's own `timeWindows`: the task's form,
/// cursor on its windows.
fn open_task_windows(model: &mut Model, task: u32) {
    let target = Target::Task { task };
    let Some(rows) = edit::form_rows(model, target) else {
        model.set_status(StatusKind::Info, "That task is no longer loaded.");
        return;
    };
    let field = rows
        .iter()
        .position(|r| {
            r.cell
                .as_ref()
                .is_some_and(|c| c.field.name == "timeWindows")
        })
        .unwrap_or(0);
    model.stack.push(Screen::Form { target, field });
    model.set_status(
        StatusKind::Info,
        "This stop is judged by the task's own time windows, not the location's hours (Enter on Customer: the location).",
    );
}

/// Enter on a stop: its customer location's form, cursor on the schedule day
/// of the stop's date (customers are loaded first when they are not yet).
fn open_location_of(model: &mut Model, task: u32) -> Vec<Cmd> {
    open_location_at(model, task, None)
}

/// Task `task`'s customer location form, the cursor on `field` when given,
/// else on the schedule day of the task's date.
fn open_location_at(model: &mut Model, task: u32, field: Option<&'static str>) -> Vec<Cmd> {
    let Some(t) = model.tasks.recs.get(task as usize).map(|t| &t.task) else {
        return Vec::new();
    };
    let (Some(customer_id), Some(location_uid)) = (
        task_customer_id(t).map(str::to_string),
        task_location_uid(t).map(str::to_string),
    ) else {
        model.set_status(
            StatusKind::Info,
            "This stop is not at a customer location (no customer or location uid); E opens the task.",
        );
        return Vec::new();
    };
    let day = task_date(t).map(|d| crate::domain::schedule::Weekday::from_jiff(d.weekday()));
    let want = PendingOpen {
        customer_id,
        location_uid,
        day,
        field,
    };
    if try_open(model, &want) {
        return Vec::new();
    }
    let mut cmds = Vec::new();
    match &model.customers.load {
        Load::Done { .. } => {
            model.set_status(
                StatusKind::Error,
                "The customer of this stop is not among the loaded customers (r on the customers view reloads them).",
            );
            return cmds;
        }
        Load::Idle | Load::Failed { .. } => cmds.push(start_load(model, LoadKind::Customers)),
        Load::Loading { .. } => {}
    }
    model.pending_open = Some(want);
    model.set_status(
        StatusKind::Info,
        "Loading customers; the location opens when its customer arrives.",
    );
    cmds
}

/// Opens the location form of `want` if its customer is loaded.
fn try_open(model: &mut Model, want: &PendingOpen) -> bool {
    let Some(&cust) = model.customers.by_id.get(&want.customer_id) else {
        return false;
    };
    let Some(c) = model.customers.recs.get(cust as usize) else {
        return false;
    };
    let locs = c.customer.locations();
    let loc = locs
        .iter()
        .position(|l| l.uid.as_str() == want.location_uid)
        .or(if locs.len() == 1 { Some(0) } else { None });
    let Some(loc) = loc else {
        model.set_status(
            StatusKind::Error,
            format!(
                "The customer has no location {} any more.",
                truncate_to_width(&sanitize(&want.location_uid), 20)
            ),
        );
        return true;
    };
    let loc = loc as u32;
    let target = Target::Location { cust, loc };
    let rows = edit::form_rows(model, target).unwrap_or_default();
    let is_schedule = |r: &&edit::FormRow, part: Part| {
        r.cell
            .as_ref()
            .is_some_and(|c| c.field.name == "schedule" && c.part == part)
    };
    let on_field = |name: &str| {
        rows.iter().position(|r| {
            r.cell
                .as_ref()
                .is_some_and(|c| c.field.name == name && c.part == Part::Whole)
        })
    };
    let field = match want.field {
        Some(name) => on_field(name).unwrap_or(0),
        None => want
            .day
            .and_then(|d| rows.iter().position(|r| is_schedule(&r, Part::Day(d))))
            .or_else(|| rows.iter().position(|r| is_schedule(&r, Part::Whole)))
            .unwrap_or(0),
    };
    model.stack.push(Screen::Location { cust, loc, field });
    true
}

/// `o`: from a task, a late stop (or a stop already) to its route with the
/// cursor on the stop.
fn open_route(model: &mut Model) {
    let task = match model.screen() {
        None if model.top == TopView::Tasks => model.tasks_table.selected_row().map(|r| r as u32),
        Some(Screen::Late { table }) => table
            .selected_row()
            .and_then(|row| model.late.get(row))
            .map(|s| s.task),
        Some(Screen::Form {
            target: Target::Task { task },
            ..
        }) => Some(*task),
        _ => {
            model.set_status(
                StatusKind::Info,
                "o opens the route of a task or of a late stop.",
            );
            return;
        }
    };
    let Some(task) = task else {
        return;
    };
    let Some(uid) = model
        .tasks
        .recs
        .get(task as usize)
        .and_then(|t| task_route(&t.task))
        .map(str::to_string)
    else {
        model.set_status(StatusKind::Info, "This task is not on a route.");
        return;
    };
    push_route(model, uid, Some(task));
}

/// Pushes a route's screen, the cursor on `task`'s stop when given.
fn push_route(model: &mut Model, uid: String, task: Option<u32>) {
    let mut table = TableState::default();
    if let Some(r) = model.route(&uid) {
        table.rows = (0..r.stops.len() as u32).collect();
        table.derived_from = table.rows.len();
        if let Some(task) = task {
            table.selected = r.stops.iter().position(|&s| s == task).unwrap_or(0);
        }
    }
    model.stack.push(Screen::Route { uid, table });
}

/// `:late`: the late queue of the routes' day over the current view (tasks,
/// routes and customers are loaded as needed).
fn open_late(model: &mut Model) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    if model.tasks.date != Some(model.date) || model.tasks.load == Load::Idle {
        cmds.push(start_load(model, LoadKind::Tasks));
    }
    if model.routes.date != Some(model.date) || model.routes.load == Load::Idle {
        cmds.push(start_load(model, LoadKind::Routes));
    }
    if model.customers.load == Load::Idle {
        cmds.push(start_load(model, LoadKind::Customers));
    }
    if let Some(i) = model
        .stack
        .iter()
        .rposition(|s| matches!(s, Screen::Late { .. }))
    {
        // Already open below: go back to it as it was.
        model.stack.truncate(i + 1);
        return cmds;
    }
    let mut table = TableState::default();
    table.rows = (0..model.late.len() as u32).collect();
    table.derived_from = table.rows.len();
    model.stack.push(Screen::Late { table });
    cmds
}

/// `L` or `:lock`/`:unlock`: asks before locking or unlocking the route
/// under the cursor (refused in read-only mode). `want`: lock (true),
/// unlock (false), or the opposite of its state (`None`).
fn ask_lock(model: &mut Model, want: Option<bool>) {
    let uid = match model.screen() {
        Some(Screen::Route { uid, .. }) => Some(uid.clone()),
        None if model.top == TopView::Routes => model
            .routes_table
            .selected_row()
            .and_then(|r| model.routes.recs.get(r))
            .map(|r| r.uid.clone()),
        _ => None,
    };
    let Some(uid) = uid else {
        model.set_status(
            StatusKind::Info,
            "L locks the route under the cursor (on the routes view or a route).",
        );
        return;
    };
    if model.read_only {
        model.set_status(
            StatusKind::Error,
            "Read-only: routes cannot be locked or unlocked (started with --read-only, or the profile is read-only).",
        );
        return;
    }
    if model.locking.is_some() {
        model.set_status(StatusKind::Info, "A lock is on its way; wait for it.");
        return;
    }
    let Some(r) = model.route(&uid) else {
        return;
    };
    let lock = want.unwrap_or(r.locked != Some(true));
    let ids = vec![r.id.clone().unwrap_or_else(|| uid.clone())];
    let who = if r.driver.is_empty() {
        String::new()
    } else {
        format!(" ({}, {} stops)", r.driver, r.stops.len())
    };
    let text = if lock {
        format!(
            "Lock route {uid}{who} on eLogii? A locked route is left as it is by later optimisations."
        )
    } else {
        format!("Unlock route {uid}{who} on eLogii? Later optimisations may change it again.")
    };
    model.confirm = Some(Confirm {
        kind: ConfirmKind::Lock { uid, ids, lock },
        text,
        yes: if lock { "Lock" } else { "Unlock" },
        focus_yes: false,
    });
}

/// The confirm dialog said yes to a lock: the command to send it.
pub fn lock_confirmed(model: &mut Model, uid: String, ids: Vec<String>, lock: bool) -> Vec<Cmd> {
    if model.read_only {
        model.set_status(StatusKind::Error, "Read-only: nothing was changed.");
        return Vec::new();
    }
    let req = model.next_req;
    model.next_req += 1;
    model.locking = Some((req, uid.clone()));
    let what = if lock { "Locking" } else { "Unlocking" };
    model.set_status(StatusKind::Info, format!("{what} route {uid}…"));
    vec![Cmd::Lock {
        req,
        uid,
        ids,
        lock,
    }]
}

fn locked(
    model: &mut Model,
    req: u64,
    uid: &str,
    lock: bool,
    result: Result<(), String>,
) -> Vec<Cmd> {
    if model.locking.as_ref().map(|l| l.0) != Some(req) {
        return Vec::new();
    }
    model.locking = None;
    model.dirty = true;
    match result {
        Ok(()) => {
            let mut found = false;
            for m in &mut model.routes.meta {
                if m.uid.as_str() == uid || m.id.as_str() == uid {
                    m.locked = crate::api::types::Field::Value(lock);
                    found = true;
                }
            }
            if !found {
                model.routes.meta.push(crate::api::types::Route {
                    uid: crate::api::types::Field::Value(uid.to_string()),
                    locked: crate::api::types::Field::Value(lock),
                    ..Default::default()
                });
            }
            let what = if lock { "locked" } else { "unlocked" };
            model.set_status(StatusKind::Info, format!("Route {uid} {what} on eLogii."));
            rebuild_routes(model)
        }
        Err(e) => {
            let what = if lock { "lock" } else { "unlock" };
            model.set_status(
                StatusKind::Error,
                format!("Could not {what} route {uid}: {}", e.trim_end_matches('.')),
            );
            Vec::new()
        }
    }
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
        Some(Screen::Customer { table, .. })
        | Some(Screen::Route { table, .. })
        | Some(Screen::Late { table }) => Some(table),
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
        Some(Screen::Late { .. }) => view::late::COLUMNS.len(),
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
    current_spec(model).map(|s| s.filter.clone())
}

/// The scope word of the current table (`None` when the screen has no table).
fn current_scope(model: &Model) -> Option<String> {
    current_spec(model).map(|s| s.scope.clone())
}

fn current_spec(model: &Model) -> Option<&crate::app::table::Spec> {
    match model.screen() {
        None => Some(&model.table(model.top.table()).spec),
        Some(Screen::Customer { table, .. })
        | Some(Screen::Route { table, .. })
        | Some(Screen::Late { table }) => Some(&table.spec),
        _ => None,
    }
}

/// Sets the scope word of the current table (see [`crate::app::table::Spec::scope`]).
fn set_scope(model: &mut Model, scope: String) -> Vec<Cmd> {
    set_spec_text(model, scope, |spec| &mut spec.scope)
}

fn set_filter(model: &mut Model, text: String) -> Vec<Cmd> {
    set_spec_text(model, text, |spec| &mut spec.filter)
}

/// Puts `text` into one text member of the current table's spec (its filter
/// or its scope), back at the first row, and derives the rows again; the same
/// text again changes nothing.
fn set_spec_text(
    model: &mut Model,
    text: String,
    member: fn(&mut crate::app::table::Spec) -> &mut String,
) -> Vec<Cmd> {
    if model.stack.is_empty() {
        let id = model.top.table();
        let t = model.table_mut(id);
        if *member(&mut t.spec) == text {
            return Vec::new();
        }
        *member(&mut t.spec) = text;
        t.selected = 0;
        t.offset = 0;
        return rederive(model, id);
    }
    match model.stack.last_mut() {
        Some(Screen::Customer { table, .. })
        | Some(Screen::Route { table, .. })
        | Some(Screen::Late { table }) => {
            if *member(&mut table.spec) == text {
                return Vec::new();
            }
            *member(&mut table.spec) = text;
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
        Some(Screen::Late { .. }) => view::late::COLUMNS,
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
    // The filter also finds rows by the staged values they show.
    let staged = if spec.filter.trim().is_empty() {
        std::collections::HashMap::new()
    } else {
        edit::staged_texts(model, id)
    };
    let source: Arc<dyn RowSource> = if staged.is_empty() {
        source
    } else {
        Arc::new(crate::app::table::WithExtraText {
            inner: source,
            extra: staged,
        })
    };
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
    if let Some(i) = model.stack.len().checked_sub(1) {
        derive_screen_at(model, i);
    }
}

/// Derives the table of the screen at `i` in the stack.
fn derive_screen_at(model: &mut Model, i: usize) {
    let (rows, len) = match model.stack.get(i) {
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
            let src = model.stops_src(route);
            (
                derive(&src, &table.spec, &|| false).unwrap_or_default(),
                src.len(),
            )
        }
        Some(Screen::Late { table }) => {
            let src = model.late_src();
            (
                derive(&src, &table.spec, &|| false).unwrap_or_default(),
                src.len(),
            )
        }
        _ => return,
    };
    if let Some(Screen::Customer { table, .. })
    | Some(Screen::Route { table, .. })
    | Some(Screen::Late { table }) = model.stack.get_mut(i)
    {
        table.set_rows(rows, len);
        table.clamp();
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
    let mut full = false;
    match e {
        LineEdit::Insert(c) => {
            if chars.len() >= MAX_INPUT_CHARS {
                full = true;
            } else if replacement_for(c).is_none() {
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
    if full {
        model.set_status(
            StatusKind::Warning,
            format!(
                "{} takes at most {MAX_INPUT_CHARS} characters.",
                line_name(kind)
            ),
        );
    }
    if kind == InputKind::Filter && changed {
        let cmds = set_filter(model, text);
        scroll_current(model);
        return cmds;
    }
    Vec::new()
}

fn paste(model: &mut Model, text: &str) -> Vec<Cmd> {
    let Some(line) = model.input.as_ref() else {
        return Vec::new();
    };
    let kind = line.kind;
    let mut chars: Vec<char> = line.text.chars().collect();
    let cursor = line.cursor.min(chars.len());
    model.dirty = true;
    let mut clean: Vec<char> = text
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
    let room = MAX_INPUT_CHARS.saturating_sub(chars.len());
    if clean.len() > room {
        let left_out = clean.len() - room;
        clean.truncate(room);
        model.set_status(
            StatusKind::Warning,
            format!(
                "{} takes at most {MAX_INPUT_CHARS} characters: the paste was cut ({left_out} left out).",
                line_name(kind)
            ),
        );
    }
    if clean.is_empty() {
        return Vec::new();
    }
    chars.splice(cursor..cursor, clean.iter().copied());
    let Some(line) = model.input.as_mut() else {
        return Vec::new();
    };
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

/// A console command (`:tasks`), for the command line, its usage messages
/// and the help.
#[derive(Debug, Clone, Copy)]
pub struct CommandInfo {
    /// Full name.
    pub name: &'static str,
    /// Other names (any unique start of the name works too).
    pub aliases: &'static [&'static str],
    /// Its arguments as the help writes them (empty: none).
    pub args: &'static str,
    /// What it does, a few words.
    pub what: &'static str,
}

const fn cmd(
    name: &'static str,
    aliases: &'static [&'static str],
    args: &'static str,
    what: &'static str,
) -> CommandInfo {
    CommandInfo {
        name,
        aliases,
        args,
        what,
    }
}

/// Every command, in help order.
pub const COMMANDS: &[CommandInfo] = &[
    cmd("customers", &["c", "cu"], "", "one row a customer"),
    cmd(
        "locations",
        &["l", "loc"],
        "",
        "one row a customer location",
    ),
    cmd(
        "tasks",
        &["t"],
        "[DATE] [STATE] [TEXT]",
        "tasks of a day, e.g. :tasks tomorrow failed (states: open, failed, late, unassigned …)",
    ),
    cmd(
        "routes",
        &["r"],
        "[DATE] [SCOPE] [TEXT]",
        "routes of a day, e.g. :routes late (scopes: late, risk, locked, started, done …)",
    ),
    cmd(
        "late",
        &[],
        "[DATE]",
        "the late and at-risk stops of the day, worst first",
    ),
    cmd(
        "date",
        &["d"],
        "DATE",
        "day of tasks, routes: YYYY-MM-DD, today, tomorrow, yesterday, +N/-N from today",
    ),
    cmd("today", &[], "", "tasks and routes of today"),
    cmd(
        "lock",
        &[],
        "",
        "lock the route under the cursor on eLogii (asks first)",
    ),
    cmd(
        "unlock",
        &[],
        "",
        "unlock the route under the cursor (asks first)",
    ),
    cmd("map", &[], "", "show / hide the route map"),
    cmd(
        "risk",
        &["margin"],
        "N",
        "stops on time with less than N minutes left are at risk (0–240)",
    ),
    cmd("reload", &["e", "e!"], "", "load the current view again"),
    cmd("staged", &["st"], "", "the staged edits"),
    cmd(
        "send",
        &["w", "wq", "write"],
        "",
        "review and send the staged edits (asks first)",
    ),
    cmd("undo", &["u"], "", "undo the last staged edit"),
    cmd("redo", &[], "", "stage the undone edit again"),
    cmd("messages", &["mes"], "", "the recent messages in full"),
    cmd("help", &["h"], "", "keys and commands"),
    cmd(
        "quit",
        &["q", "qa", "exit"],
        "",
        "quit (asks when edits are staged or sending)",
    ),
    cmd("quit!", &["q!", "qa!"], "", "quit at once"),
];

/// The command a typed word names: a name or alias in any case, or the
/// unique command whose name starts with it. `Err` says why not.
pub fn resolve_command(word: &str) -> Result<&'static CommandInfo, String> {
    let w = word.to_lowercase();
    if let Some(c) = COMMANDS
        .iter()
        .find(|c| c.name == w || c.aliases.contains(&w.as_str()))
    {
        return Ok(c);
    }
    let starts: Vec<&CommandInfo> = COMMANDS
        .iter()
        .filter(|c| !c.name.ends_with('!') && c.name.starts_with(w.as_str()))
        .collect();
    let shown = truncate_to_width(&sanitize(word), 20).into_owned();
    match starts.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "Unknown command :{shown}; try :customers, :tasks failed, :routes late, :late, :date tomorrow, :staged, :w, :q (:help lists all)."
        )),
        many => Err(format!(
            ":{shown} could be {}; type more letters.",
            many.iter()
                .map(|c| format!(":{}", c.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// One sentence saying how to write a command.
pub fn usage(c: &CommandInfo) -> String {
    if c.args.is_empty() {
        format!(":{} takes no arguments ({}).", c.name, c.what)
    } else {
        format!("Write :{} {}: {}.", c.name, c.args, c.what)
    }
}

fn command(model: &mut Model, text: &str) -> Vec<Cmd> {
    let mut words = text.split_whitespace();
    let Some(word) = words.next() else {
        return Vec::new();
    };
    let arg: Vec<&str> = words.collect();
    let arg = arg.join(" ");
    let info = match resolve_command(word) {
        Ok(c) => c,
        Err(e) => {
            model.set_status(StatusKind::Error, e);
            return Vec::new();
        }
    };
    if info.args.is_empty() && !arg.is_empty() {
        model.set_status(StatusKind::Error, usage(info));
        return Vec::new();
    }
    let bad = |model: &mut Model, e: String| {
        let u = usage(info);
        model.set_status(
            StatusKind::Error,
            format!("{} ({}).", u.trim_end_matches('.'), e.trim_end_matches('.')),
        );
        Vec::new()
    };
    match info.name {
        "quit!" => {
            model.quit = true;
            Vec::new()
        }
        "quit" => {
            edit::ask_quit(model);
            Vec::new()
        }
        "customers" => switch_to(model, TopView::Customers),
        "locations" => switch_to(model, TopView::Locations),
        "tasks" => view_command(model, TopView::Tasks, &arg),
        "routes" => view_command(model, TopView::Routes, &arg),
        "late" => {
            if !arg.is_empty() {
                match read_day(&arg, model.today) {
                    Ok(d) => model.date = d,
                    Err(e) => return bad(model, e),
                }
            }
            if model.top != TopView::Routes && model.top != TopView::Tasks {
                let mut cmds = switch_to(model, TopView::Routes);
                cmds.extend(open_late(model));
                cmds
            } else {
                open_late(model)
            }
        }
        "lock" => {
            ask_lock(model, Some(true));
            Vec::new()
        }
        "unlock" => {
            ask_lock(model, Some(false));
            Vec::new()
        }
        "map" => {
            model.map.show = !model.map.show;
            Vec::new()
        }
        "risk" => match arg.trim().parse::<i64>() {
            Ok(n) if (0..=240).contains(&n) => {
                model.margin = n;
                model.set_status(
                    StatusKind::Info,
                    format!("Stops on time with less than {n} min left are at risk."),
                );
                rebuild_routes(model)
            }
            _ => bad(model, format!("now {}", model.margin)),
        },
        "date" | "today" => {
            let arg = if info.name == "today" {
                "today".to_string()
            } else {
                arg
            };
            if arg.is_empty() {
                // The day shown, and how to change it.
                model.set_status(
                    StatusKind::Info,
                    format!(
                        "Tasks and routes show {} {}. {}",
                        model.date,
                        crate::domain::schedule::Weekday::from_jiff(model.date.weekday()).key(),
                        usage(info)
                    ),
                );
                return Vec::new();
            }
            match read_day(&arg, model.today) {
                Ok(d) => {
                    let cmds = set_date(model, d);
                    if !matches!(model.top, TopView::Tasks | TopView::Routes) {
                        model.set_status(
                            StatusKind::Info,
                            format!("Tasks and routes now show {d}."),
                        );
                    }
                    cmds
                }
                Err(e) => bad(model, e),
            }
        }
        "reload" => reload(model),
        "help" => {
            model.stack.push(Screen::Help {
                scroll: 0,
                messages: false,
            });
            Vec::new()
        }
        "messages" => {
            let scroll = view::help::max_scroll(model, true);
            model.stack.push(Screen::Help {
                scroll,
                messages: true,
            });
            Vec::new()
        }
        "send" => edit::ask_send(model, None),
        "staged" => {
            open_staged(model);
            Vec::new()
        }
        "undo" => edit::undo(model),
        "redo" => edit::redo(model),
        _ => Vec::new(),
    }
}

/// `:tasks [date] [state] [text]`, `:routes [date] [scope] [text]`: the
/// view, for a date, keeping only rows of a scope word, and filtered by the
/// other words (a driver's name). The status says what filters, naming a day
/// or scope word near a filter word (`tomorow`: did you mean tomorrow?). Two
/// scope words are refused (a table keeps one). No words: every row.
fn view_command(model: &mut Model, view: TopView, arg: &str) -> Vec<Cmd> {
    let (name, noun, scopes) = match view {
        TopView::Tasks => ("tasks", "state", crate::app::data::TASK_SCOPES),
        _ => ("routes", "scope", crate::app::data::ROUTE_SCOPES),
    };
    let refuse = |model: &mut Model, why: &str| {
        let u = resolve_command(name).map(usage).unwrap_or_default();
        model.set_status(
            StatusKind::Error,
            format!(
                "{} ({}).",
                u.trim_end_matches('.'),
                why.trim_end_matches('.')
            ),
        );
        Vec::new()
    };
    let mut date = None;
    let mut given: Vec<&'static str> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    for w in arg.split_whitespace() {
        let scope_word = match view {
            TopView::Tasks => task_scope_word(w),
            _ => route_scope_word(w),
        };
        let date_like = w.chars().any(|c| c.is_ascii_digit())
            && w.chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '+');
        if let Some(sw) = scope_word {
            if !given.contains(&sw) {
                given.push(sw);
            }
        } else if date.is_none() && rest.is_empty() && date_like {
            match read_day(w, model.today) {
                Ok(d) => date = Some(d),
                Err(e) => return refuse(model, &e),
            }
        } else if date.is_none()
            && rest.is_empty()
            && let Ok(d) = read_day(w, model.today)
        {
            date = Some(d);
        } else {
            rest.push(w);
        }
    }
    if given.len() > 1 {
        return refuse(
            model,
            &format!(
                "one {noun} at a time, and {} are {}",
                given.join(", "),
                given.len()
            ),
        );
    }
    let scope = given.first().copied().unwrap_or_default();
    let filter = rest.join(" ");
    if let Some(d) = date {
        model.date = d;
    }
    let mut cmds = switch_to(model, view);
    let id = view.table();
    let t = model.table_mut(id);
    t.spec.scope = scope.to_string();
    t.spec.filter = filter.clone();
    t.selected = 0;
    t.offset = 0;
    cmds.extend(rederive(model, id));
    let mut kind = StatusKind::Info;
    let mut said = Vec::new();
    if !scope.is_empty() {
        let what = scopes
            .iter()
            .find(|(k, _)| *k == scope)
            .map_or("", |(_, d)| *d);
        said.push(format!("Showing {scope}: {what}"));
    }
    if !filter.is_empty() {
        let shown = truncate_to_width(&sanitize(&filter), 40).into_owned();
        let words: Vec<&'static str> = scopes.iter().map(|(k, _)| *k).collect();
        let near = rest.iter().find_map(|w| {
            close_match(w, &DAY_WORDS)
                .or_else(|| close_match(w, &words))
                .map(|m| (*w, m))
        });
        let days = "today, tomorrow, yesterday, +N, -N, YYYY-MM-DD";
        let by = if said.is_empty() {
            "Filtering by"
        } else {
            "filtering by"
        };
        said.push(match near {
            Some((w, m)) => {
                kind = StatusKind::Warning;
                let of = if rest.len() > 1 {
                    format!(" for “{}”", sanitize(w))
                } else {
                    String::new()
                };
                format!(
                    "{by} “{shown}”: did you mean {m}{of}? (days: {days}; {noun}s: {})",
                    words.join(", ")
                )
            }
            None => format!(
                "{by} “{shown}” (not a day: {days}; nor a {noun}: {})",
                words.join(", ")
            ),
        });
    }
    let esc = match (scope.is_empty(), filter.is_empty()) {
        (_, true) => "Esc shows all".to_string(),
        (true, false) => "Esc clears it".to_string(),
        (false, false) => format!("Esc clears the filter, again the {noun}"),
    };
    if !said.is_empty() {
        model.set_status(kind, format!("{} ({esc}).", said.join(", ")));
    }
    cmds
}

/// The day words [`read_day`] takes besides dates and offsets.
const DAY_WORDS: [&str; 3] = ["today", "tomorrow", "yesterday"];

/// Reads a day for `:date`, `:tasks`, `:routes` and `:late`: `YYYY-MM-DD`,
/// `YYYYMMDD`, `today`, `tomorrow`, `yesterday`, or `+N`/`-N` days from
/// today (as the help says; `[`/`]` step from the day shown). A near miss of
/// a day word is named (`tomorow`: did you mean tomorrow?).
pub fn read_day(s: &str, today: Date) -> Result<Date, String> {
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
        return today.checked_add(n.days()).map_err(|e| e.to_string());
    }
    crate::domain::dates::parse_date(s).map_err(|e| match close_match(s, &DAY_WORDS) {
        Some(w) => format!("{s:?} is not a day: did you mean {w}?"),
        None => e,
    })
}

/// The word of `words` that `typed` most likely meant: one typo away (two
/// for words of eight letters or more; any case), when just one is nearest.
fn close_match(typed: &str, words: &[&'static str]) -> Option<&'static str> {
    let typed = typed.to_lowercase();
    let n = typed.chars().count();
    if n < 3 {
        return None;
    }
    let limit = if n >= 8 { 2 } else { 1 };
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for w in words {
        let d = edit_distance(&typed, w);
        if d == 0 || d > limit {
            continue;
        }
        match best {
            Some((b, _)) if d > b => {}
            Some((b, _)) if d == b => tie = true,
            _ => {
                best = Some((d, w));
                tie = false;
            }
        }
    }
    best.filter(|_| !tie).map(|(_, w)| w)
}

/// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

// ---------------------------------------------------------------------------
// Copy

fn copy(model: &mut Model) -> Vec<Cmd> {
    let Some(text) = view::current_value(model) else {
        model.set_status(StatusKind::Info, "Nothing to copy here.");
        return Vec::new();
    };
    // "not set" stands for no value: there is nothing to copy.
    if text.trim().is_empty() || text == "not set" || text == "not set (null)" {
        let what = if matches!(
            view::base_screen(model),
            Some(Screen::Location { .. } | Screen::Form { .. })
        ) {
            "The field is empty"
        } else {
            "The cell is empty"
        };
        model.set_status(StatusKind::Info, format!("{what}: nothing copied."));
        return Vec::new();
    }
    let shown = truncate_to_width(&text, 40).into_owned();
    // OSC 52 gets no answer: say what was sent, not that it arrived.
    let hint = if model.tmux && !model.tmux_hint_shown {
        model.tmux_hint_shown = true;
        "; in tmux this needs `set -g set-clipboard on`"
    } else {
        ""
    };
    model.set_status(
        StatusKind::Info,
        format!("Sent “{shown}” to your terminal's clipboard (OSC 52){hint}."),
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
    if let Some(want) = model.pending_open.clone()
        && model.customers.by_id.contains_key(&want.customer_id)
    {
        model.pending_open = None;
        rebuild_schedules(model);
        try_open(model, &want);
    }
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
    rebuild_schedules(model);
    cmds.extend(rebuild_routes(model));
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

/// Records read again after a send arrived: each takes the place of the
/// loaded one (same index), so the cursor, the screens over it and the
/// filters stay where they were. Answers older than the latest request for a
/// record are dropped.
fn reread(
    model: &mut Model,
    req: u64,
    entity: Entity,
    result: Result<Vec<serde_json::Value>, String>,
) -> Vec<Cmd> {
    let asked: std::collections::HashSet<String> = model
        .rereads
        .iter()
        .filter(|((e, _), r)| *e == entity && **r == req)
        .map(|((_, id), _)| id.clone())
        .collect();
    if asked.is_empty() {
        return Vec::new();
    }
    model.rereads.retain(|_, r| *r != req);
    let records = match result {
        Ok(records) => records,
        Err(e) => {
            model.dirty = true;
            let what = match entity {
                Entity::Customer => "customers",
                Entity::Task => "tasks",
            };
            let key = model.bindings.first(Action::Reload);
            model.set_status(
                StatusKind::Warning,
                format!(
                    "Sent, but the {what} could not be read back ({}); their rows show the sent values. {key} reloads.",
                    truncate_to_width(&sanitize(e.trim_end_matches('.')), 80)
                ),
            );
            return Vec::new();
        }
    };
    let mine = |v: &serde_json::Value| -> Option<String> {
        let id = v.get("_id")?.as_str()?;
        asked.contains(id).then(|| id.to_string())
    };
    model.dirty = true;
    match entity {
        Entity::Customer => {
            let mut list = Vec::new();
            let mut reshaped = false;
            for v in records {
                let Some(id) = mine(&v) else { continue };
                let Some(&i) = model.customers.by_id.get(&id) else {
                    continue;
                };
                let Ok(c) = serde_json::from_value::<crate::api::types::Customer>(v) else {
                    continue;
                };
                let uids = |c: &crate::api::types::Customer| -> Vec<Option<String>> {
                    c.locations().iter().map(|l| text_id(&l.uid)).collect()
                };
                if model
                    .customers
                    .recs
                    .get(i as usize)
                    .map(|r| uids(&r.customer))
                    != Some(uids(&c))
                {
                    reshaped = true;
                }
                list.push((i as usize, c));
            }
            if list.is_empty() {
                return Vec::new();
            }
            if !reshaped {
                edit::replace_customers(model, list);
                return customers_changed(model);
            }
            // Locations came or went: the screens on these customers find
            // their location again by uid, the locations view is rebuilt.
            let reopen = take_screens(model, on_customers);
            let selected = model
                .locations_table
                .selected_row()
                .and_then(|r| model.customers.locs.get(r))
                .and_then(|r| {
                    let c = &model.customers.recs.get(r.cust as usize)?.customer;
                    Some((r.cust, text_id(&c.locations().get(r.loc as usize)?.uid)))
                });
            edit::replace_customers(model, list);
            let d = &mut model.customers;
            let (locs, texts) = location_rows(&d.recs, 0, &mut d.loc_widths);
            d.locs = locs.into_iter().collect();
            d.loc_search = crate::app::table::TextStore::default();
            d.loc_search.push_chunk(texts);
            let mut cmds = rederive(model, TableId::Locations);
            if let Some((cust, uid)) = selected {
                let found = (0..model.customers.locs.len()).find(|&k| {
                    model.customers.locs.get(k).is_some_and(|r| {
                        r.cust == cust
                            && model
                                .customers
                                .recs
                                .get(cust as usize)
                                .and_then(|c| c.customer.locations().get(r.loc as usize))
                                .is_some_and(|l| text_id(&l.uid) == uid)
                    })
                });
                let t = &mut model.locations_table;
                if let Some(pos) = found.and_then(|k| t.rows.iter().position(|&r| r as usize == k))
                {
                    t.selected = pos;
                }
            }
            if let Some(r) = reopen {
                put_back(model, r);
            }
            cmds.extend(customers_changed(model));
            cmds
        }
        Entity::Task => {
            let mut list = Vec::new();
            for v in records {
                let Some(id) = mine(&v) else { continue };
                let Some(&i) = model.tasks.by_id.get(&id) else {
                    continue;
                };
                if let Ok(t) = serde_json::from_value::<crate::api::types::Task>(v) {
                    list.push((i as usize, t));
                }
            }
            if list.is_empty() {
                return Vec::new();
            }
            edit::replace_tasks(model, list);
            tasks_changed(model)
        }
    }
}

/// Rebuilds routes from the tasks and `GET /routes` of the current dates.
fn rebuild_routes(model: &mut Model) -> Vec<Cmd> {
    let meta: &[crate::api::types::Route] =
        if model.routes.date.is_some() && model.routes.date == model.tasks.date {
            &model.routes.meta
        } else {
            &[]
        };
    let recs = build_routes(&model.tasks.recs, meta, &model.schedules, model.margin);
    let recs = Arc::new(recs);
    model.routes.widths = widths_of(&RoutesSrc(recs.clone()));
    model.routes.recs = recs;
    model.late = Arc::new(queue_with_staged(
        &model.routes.recs,
        &model.tasks.recs,
        &model.staging,
        &model.schedules,
        model.margin,
    ));
    model.routes_table.derived_from = 0;
    let cmds = rederive(model, TableId::Routes);
    for i in 0..model.stack.len() {
        if matches!(model.stack[i], Screen::Route { .. } | Screen::Late { .. }) {
            derive_screen_at(model, i);
        }
    }
    cmds
}

/// Builds the late queue again with the staged edits as they are now (one
/// was staged, undone or dropped): a fix that makes a stop late puts it in.
pub fn refresh_late(model: &mut Model) {
    let queue = queue_with_staged(
        &model.routes.recs,
        &model.tasks.recs,
        &model.staging,
        &model.schedules,
        model.margin,
    );
    if *model.late == queue {
        return;
    }
    model.late = Arc::new(queue);
    for i in 0..model.stack.len() {
        if matches!(model.stack[i], Screen::Late { .. }) {
            derive_screen_at(model, i);
        }
    }
}

/// Reads the opening hours of every loaded customer location again.
fn rebuild_schedules(model: &mut Model) {
    model.schedules = Arc::new(Schedules::from_customers(
        model.customers.recs.iter().map(|c| &c.customer),
    ));
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
        model.kept.customers = None;
        rebuild_schedules(model);
        if let Some(r) = model.reopen_customers.take() {
            put_back(model, r);
        }
        if let Some(want) = model.pending_open.take()
            && !try_open(model, &want)
        {
            model.set_status(
                StatusKind::Error,
                "The customer of that stop is not among the loaded customers.",
            );
        }
        return rebuild_routes(model);
    } else if model.depots.load.req() == Some(req) {
        done(&mut model.depots.load);
    } else if model.tasks.load.req() == Some(req) {
        done(&mut model.tasks.load);
        model.kept.tasks = None;
        let cmds = if model.tasks.recs.len() > ROUTES_REBUILD_LIMIT {
            rebuild_routes(model)
        } else {
            Vec::new()
        };
        if let Some(r) = model.reopen_tasks.take() {
            put_back(model, r);
        }
        return cmds;
    } else if model.routes.load.req() == Some(req) {
        done(&mut model.routes.load);
        model.kept.routes = None;
    }
    Vec::new()
}

fn load_failed(model: &mut Model, req: u64, error: &str) -> Vec<Cmd> {
    let failed = Load::Failed {
        error: error.to_string(),
    };
    let stale = Some(error.to_string());
    let mut cmds = Vec::new();
    // A failed reload puts the earlier rows back; the header says they are stale.
    let what = if model.customers.load.req() == Some(req) {
        model.customers.load = failed;
        if let Some(k) = model.kept.customers.take() {
            let (data, customers, locations) = *k;
            model.customers = CustomersData { stale, ..data };
            model.customers_table = customers;
            model.locations_table = locations;
            rebuild_schedules(model);
            cmds.extend(rebuild_routes(model));
            if let Some(mut r) = model.reopen_customers.take() {
                r.customers.clear(); // the earlier records are back at their indices
                put_back(model, r);
            }
        }
        model.reopen_customers = None;
        "customers"
    } else if model.tasks.load.req() == Some(req) {
        model.tasks.load = failed;
        if let Some(k) = model.kept.tasks.take() {
            let (data, table) = *k;
            model.tasks = TasksData { stale, ..data };
            model.tasks_table = table;
            cmds.extend(rebuild_routes(model));
            if let Some(mut r) = model.reopen_tasks.take() {
                r.tasks.clear(); // the earlier records are back at their indices
                put_back(model, r);
            }
        }
        model.reopen_tasks = None;
        "tasks"
    } else if model.routes.load.req() == Some(req) {
        model.routes.load = failed;
        if let Some(k) = model.kept.routes.take() {
            let (data, table) = *k;
            model.routes = RoutesData { stale, ..data };
            model.routes_table = table;
            cmds.extend(rebuild_routes(model));
        }
        "routes"
    } else if model.depots.load.req() == Some(req) {
        // The map only loses its depot; say nothing.
        model.depots.load = failed;
        return Vec::new();
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
    scroll_current(model);
    cmds
}
