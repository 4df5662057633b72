//! Loaded records with their filter text, routes built from tasks, and the
//! row sources of each table.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::api::types::{Customer, Field, Location, Route, Task};
use crate::app::edit::Mark;
use crate::app::late::{
    RouteCounts, Schedules, StagedEffect, StagedVerdict, counts_of, staged_lateness, task_lateness,
};
use crate::app::model::Staging;
use crate::app::table::{
    Column, RowMark, RowSource, Store, TextStore, haystack_measured, haystack_of,
};
use crate::domain::edit::Entity;
use crate::domain::lateness::Lateness;
use crate::view;

/// Where the planned ETA of a stop lives inside `assignment` (minutes from
/// midnight). eLogii does not document it; the demo emulator writes it here.
pub const ETA_FIELD: &str = "eta";

/// A loaded customer (its filter text lives in a [`TextStore`] beside it).
#[derive(Debug, Clone)]
pub struct CustomerRec {
    /// The customer as eLogii sent it.
    pub customer: Customer,
}

impl CustomerRec {
    /// Wraps a customer.
    pub fn new(customer: Customer) -> Self {
        Self { customer }
    }
}

/// The filter text of a customer's row, raising `widths` to its cells' widths.
pub fn customer_search(c: &Customer, widths: &mut Vec<u16>) -> String {
    haystack_measured(
        &One(c, view::customers::COLUMNS, view::customers::cell),
        0,
        widths,
    )
}

/// One location of one customer (a row of the locations view).
#[derive(Debug, Clone)]
pub struct LocRec {
    /// Index of the customer.
    pub cust: u32,
    /// Index of the location inside the customer.
    pub loc: u32,
}

/// A loaded task (its filter text lives in a [`TextStore`] beside it).
#[derive(Debug, Clone)]
pub struct TaskRec {
    /// The task as eLogii sent it.
    pub task: Task,
}

impl TaskRec {
    /// Wraps a task.
    pub fn new(task: Task) -> Self {
        Self { task }
    }
}

/// The filter text of a task's row, raising `widths` to its cells' widths.
pub fn task_search(t: &Task, widths: &mut Vec<u16>) -> String {
    haystack_measured(&One(t, view::tasks::COLUMNS, view::tasks::cell), 0, widths)
}

/// Where a route is in its day, from its tasks' states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouteState {
    /// No stop visited yet.
    #[default]
    Planned,
    /// Some stops done (or being done), some not.
    Started,
    /// Every stop completed, failed or cancelled.
    Done,
}

impl RouteState {
    /// `planned`, `started` or `done`.
    pub fn name(self) -> &'static str {
        match self {
            RouteState::Planned => "planned",
            RouteState::Started => "started",
            RouteState::Done => "done",
        }
    }
}

/// A route for a date: stops from tasks (by `assignment.routeUID`, in
/// `assignment.routeOrder`), metadata from `GET /routes`.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteRec {
    /// Route uid.
    pub uid: String,
    /// The route's `_id` from `GET /routes`, when it has one.
    pub id: Option<String>,
    /// Route name from `GET /routes`.
    pub name: String,
    /// Driver's name.
    pub driver: String,
    /// Vehicle: name and registration.
    pub vehicle: String,
    /// Task indices in stop order.
    pub stops: Vec<u32>,
    /// Each stop's lateness (same order as `stops`; `None`: no ETA).
    pub lateness: Vec<Option<Lateness>>,
    /// ETA of the first stop that has one (minutes from midnight).
    pub first_eta: Option<i64>,
    /// ETA of the last stop that has one.
    pub last_eta: Option<i64>,
    /// Start time: the route's `start`, else the first ETA.
    pub start: Option<i64>,
    /// End time: the route's `end`, else the last ETA.
    pub end: Option<i64>,
    /// Total distance in metres (the route's `distance`).
    pub distance_m: Option<f64>,
    /// Total duration in minutes (the route's `duration`).
    pub duration_min: Option<i64>,
    /// Late, at-risk and waiting stops.
    pub counts: RouteCounts,
    /// Planned, started or done.
    pub state: RouteState,
    /// Lock flag from `GET /routes`.
    pub locked: Option<bool>,
    /// The depot's uid (the route's `depot.uid`).
    pub depot: Option<String>,
    /// All cells of its row, joined.
    pub search: Box<str>,
}

impl RouteRec {
    /// Late stops.
    pub fn late(&self) -> usize {
        self.counts.late
    }
}

/// The planned ETA of a task (minutes from midnight), from `assignment.eta`.
pub fn task_eta(t: &Task) -> Option<i64> {
    let v = t.assignment()?.extra.get(ETA_FIELD)?;
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        _ => None,
    }
}

/// The task's time windows as `(start, end)` minutes.
pub fn task_windows(t: &Task) -> Vec<(i64, i64)> {
    t.time_windows
        .get()
        .map(|w| w.iter().map(|w| (w.start, w.end)).collect())
        .unwrap_or_default()
}

/// The route uid of a task's assignment.
pub fn task_route(t: &Task) -> Option<&str> {
    match &t.assignment()?.route_uid {
        Field::Value(s) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    }
}

/// The stop number of a task's assignment.
pub fn task_order(t: &Task) -> Option<i64> {
    t.assignment()?.route_order.get().copied()
}

/// The driver of a task's assignment.
pub fn task_driver(t: &Task) -> String {
    t.assignment()
        .and_then(|a| a.assignee.get())
        .and_then(|a| a.info.get())
        .map(|p| p.full_name())
        .unwrap_or_default()
}

/// A vehicle value as one line: `Van 01 (EL24 QIA)`.
pub fn vehicle_text(v: &Field<Value>) -> String {
    match v {
        Field::Value(Value::Object(o)) | Field::Raw(Value::Object(o)) => {
            let s = |k: &str| {
                o.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let name = s("name");
            let reg = {
                let r = s("registration");
                if r.is_empty() { s("licensePlate") } else { r }
            };
            match (name.is_empty(), reg.is_empty()) {
                (false, false) => format!("{name} ({reg})"),
                (false, true) => name,
                (true, false) => reg,
                (true, true) => s("uid"),
            }
        }
        Field::Value(Value::String(s)) | Field::Raw(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn number_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn route_state(tasks: &[&Task]) -> RouteState {
    let finished = |t: &&Task| matches!(t.state.get(), Some(s) if *s >= 60 || *s < 0);
    let begun = |t: &&Task| matches!(t.state.get(), Some(s) if *s >= 10 || *s < 0);
    if !tasks.is_empty() && tasks.iter().all(finished) {
        RouteState::Done
    } else if tasks.iter().any(begun) {
        RouteState::Started
    } else {
        RouteState::Planned
    }
}

/// Groups tasks into routes and judges every stop (see
/// [`crate::app::late::task_lateness`]). Routes named by `GET /routes` come
/// first in its order, then routes seen only on tasks, in order of first
/// appearance.
pub fn build_routes(
    tasks: &Store<TaskRec>,
    meta: &[Route],
    schedules: &Schedules,
    margin: i64,
) -> Vec<RouteRec> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<RouteRec> = Vec::new();
    let blank = |uid: String| RouteRec {
        uid,
        id: None,
        name: String::new(),
        driver: String::new(),
        vehicle: String::new(),
        stops: Vec::new(),
        lateness: Vec::new(),
        first_eta: None,
        last_eta: None,
        start: None,
        end: None,
        distance_m: None,
        duration_min: None,
        counts: RouteCounts::default(),
        state: RouteState::Planned,
        locked: None,
        depot: None,
        search: Box::from(""),
    };
    for r in meta {
        let uid = match (&r.uid, &r.id) {
            (Field::Value(u), _) if !u.is_empty() => u.clone(),
            (_, Field::Value(id)) if !id.is_empty() => id.clone(),
            _ => continue,
        };
        if index.contains_key(&uid) {
            continue;
        }
        let mut rec = blank(uid.clone());
        rec.id = r.id.get().filter(|s| !s.is_empty()).cloned();
        rec.name = r.name.as_str().to_string();
        rec.driver = r.driver.get().map(|p| p.full_name()).unwrap_or_default();
        rec.vehicle = vehicle_text(&r.vehicle);
        rec.locked = r.locked.get().copied();
        rec.start = number_of(r.extra.get("start")).map(|f| f.round() as i64);
        rec.end = number_of(r.extra.get("end")).map(|f| f.round() as i64);
        rec.distance_m = r.distance.get().and_then(serde_json::Number::as_f64);
        rec.duration_min = r
            .duration
            .get()
            .and_then(serde_json::Number::as_f64)
            .map(|f| f.round() as i64);
        rec.depot = r
            .extra
            .get("depot")
            .and_then(|d| match d {
                Value::Object(o) => o.get("uid").and_then(Value::as_str),
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        index.insert(uid, out.len());
        out.push(rec);
    }
    for (i, t) in tasks.iter().enumerate() {
        let Some(uid) = task_route(&t.task) else {
            continue;
        };
        let k = match index.get(uid) {
            Some(&k) => k,
            None => {
                index.insert(uid.to_string(), out.len());
                out.push(blank(uid.to_string()));
                out.len() - 1
            }
        };
        out[k].stops.push(i as u32);
    }
    for rec in &mut out {
        let order = |i: &u32| {
            tasks
                .get(*i as usize)
                .and_then(|t| task_order(&t.task))
                .unwrap_or(i64::MAX)
        };
        rec.stops.sort_by_key(|i| (order(i), *i));
        let stop_tasks: Vec<&Task> = rec
            .stops
            .iter()
            .filter_map(|&i| tasks.get(i as usize).map(|t| &t.task))
            .collect();
        if rec.driver.is_empty() {
            rec.driver = stop_tasks
                .iter()
                .map(|t| task_driver(t))
                .find(|d| !d.is_empty())
                .unwrap_or_default();
        }
        rec.first_eta = stop_tasks.iter().find_map(|t| task_eta(t));
        rec.last_eta = stop_tasks.iter().rev().find_map(|t| task_eta(t));
        rec.start = rec.start.or(rec.first_eta);
        rec.end = rec.end.or(rec.last_eta);
        rec.lateness = stop_tasks
            .iter()
            .map(|t| task_lateness(t, schedules, margin))
            .collect();
        rec.counts = counts_of(&rec.lateness);
        rec.state = route_state(&stop_tasks);
        rec.search =
            haystack_of(&One(&*rec, view::routes::COLUMNS, view::routes::cell), 0).into_boxed_str();
    }
    out
}

/// A one-row source over a single record (to build filter text).
struct One<'a, T: Sync>(&'a T, &'static [Column], fn(&T, usize) -> Cow<'_, str>);

impl<T: Sync> RowSource for One<'_, T> {
    fn len(&self) -> usize {
        1
    }
    fn columns(&self) -> &'static [Column] {
        self.1
    }
    fn cell(&self, _row: usize, col: usize) -> Cow<'_, str> {
        (self.2)(self.0, col)
    }
}

/// Locations of customers `start..` as location rows with their filter
/// texts, raising `widths`.
pub fn location_rows(
    customers: &Store<CustomerRec>,
    start: usize,
    widths: &mut Vec<u16>,
) -> (Vec<LocRec>, Vec<String>) {
    let mut rows = Vec::new();
    let mut texts = Vec::new();
    for ci in start..customers.len() {
        let Some(c) = customers.get(ci) else {
            continue;
        };
        for (li, l) in c.customer.locations().iter().enumerate() {
            texts.push(haystack_measured(&LocOne(&c.customer, l), 0, widths));
            rows.push(LocRec {
                cust: ci as u32,
                loc: li as u32,
            });
        }
    }
    (rows, texts)
}

struct LocOne<'a>(&'a Customer, &'a Location);

impl RowSource for LocOne<'_> {
    fn len(&self) -> usize {
        1
    }
    fn columns(&self) -> &'static [Column] {
        view::locations::COLUMNS
    }
    fn cell(&self, _row: usize, col: usize) -> Cow<'_, str> {
        view::locations::cell(self.0, self.1, col)
    }
}

/// Rows of the customers view.
#[derive(Clone)]
pub struct CustomersSrc {
    /// The customers.
    pub recs: Store<CustomerRec>,
    /// Their filter texts.
    pub search: TextStore,
}

impl RowSource for CustomersSrc {
    fn len(&self) -> usize {
        self.recs.len()
    }
    fn columns(&self) -> &'static [Column] {
        view::customers::COLUMNS
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.recs.get(row) {
            Some(c) => view::customers::cell(&c.customer, col),
            None => Cow::Borrowed(""),
        }
    }
    fn haystack(&self, row: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.search.get(row).unwrap_or(""))
    }
}

/// Rows of the locations view (one per location of every customer).
#[derive(Clone)]
pub struct LocationsSrc {
    /// The customers.
    pub customers: Store<CustomerRec>,
    /// Their locations.
    pub locs: Store<LocRec>,
    /// The locations' filter texts.
    pub search: TextStore,
}

impl LocationsSrc {
    /// The customer and location of a row.
    pub fn get(&self, row: usize) -> Option<(&Customer, &Location)> {
        let r = self.locs.get(row)?;
        let c = &self.customers.get(r.cust as usize)?.customer;
        Some((c, c.locations().get(r.loc as usize)?))
    }
}

impl RowSource for LocationsSrc {
    fn len(&self) -> usize {
        self.locs.len()
    }
    fn columns(&self) -> &'static [Column] {
        view::locations::COLUMNS
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.get(row) {
            Some((c, l)) => view::locations::cell(c, l, col),
            None => Cow::Borrowed(""),
        }
    }
    fn haystack(&self, row: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.search.get(row).unwrap_or(""))
    }
}

/// Scope words of the tasks view (`:tasks failed`), with what they keep.
pub const TASK_SCOPES: &[(&str, &str)] = &[
    ("created", "created, not yet handled (state 0)"),
    (
        "open",
        "not finished: neither completed, failed nor cancelled",
    ),
    ("enroute", "on the way (states 10–40)"),
    ("arrived", "driver on site (50)"),
    ("completed", "completed (60)"),
    ("failed", "failed or pickup failed (−20, −10)"),
    ("cancelled", "cancelled (−30)"),
    ("late", "planned after their last window closes"),
    ("risk", "on time but close to the window's end"),
    ("waiting", "planned before their window opens"),
    ("unassigned", "not on a route"),
];

/// The canonical scope word for what was typed (`done` → `completed`).
pub fn task_scope_word(word: &str) -> Option<&'static str> {
    let w = word.trim().to_ascii_lowercase();
    let w = match w.as_str() {
        "done" | "complete" => "completed",
        "fail" => "failed",
        "canceled" | "cancel" => "cancelled",
        "en-route" | "route" | "driving" => "enroute",
        "at-risk" => "risk",
        "early" => "waiting",
        "new" | "scheduled" => "created",
        "pending" => "open",
        other => other,
    };
    TASK_SCOPES.iter().find(|(k, _)| *k == w).map(|(k, _)| *k)
}

/// Whether a task belongs to a scope word of [`TASK_SCOPES`] (unknown words
/// keep every task).
pub fn task_in_scope(t: &Task, scope: &str, schedules: &Schedules, margin: i64) -> bool {
    let state = t.state.get().copied();
    let verdict = || task_lateness(t, schedules, margin).map(|l| l.verdict);
    match scope {
        "created" => state == Some(0),
        "open" => state.is_some_and(|s| (0..60).contains(&s)),
        "enroute" => state.is_some_and(|s| (10..=40).contains(&s)),
        "arrived" => state == Some(50),
        "completed" => state == Some(60),
        "failed" => matches!(state, Some(-20) | Some(-10)),
        "cancelled" => state == Some(-30),
        "late" => verdict().is_some_and(|v| v.is_late()),
        "risk" => verdict().is_some_and(|v| v.is_at_risk()),
        "waiting" => verdict().is_some_and(|v| v.is_waiting()),
        "unassigned" => task_route(t).is_none(),
        _ => true,
    }
}

/// Rows of the tasks view.
#[derive(Clone)]
pub struct TasksSrc {
    /// The tasks.
    pub recs: Store<TaskRec>,
    /// Their filter texts.
    pub search: TextStore,
    /// Opening hours for stops without windows (the `late` scope).
    pub schedules: Arc<Schedules>,
    /// At-risk margin in minutes.
    pub margin: i64,
}

impl RowSource for TasksSrc {
    fn len(&self) -> usize {
        self.recs.len()
    }
    fn columns(&self) -> &'static [Column] {
        view::tasks::COLUMNS
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.recs.get(row) {
            Some(t) if col == view::tasks::WINDOWS_COL && task_windows(&t.task).is_empty() => {
                Cow::Owned(hours_text(&t.task, &self.schedules))
            }
            Some(t) => view::tasks::cell(&t.task, col),
            None => Cow::Borrowed(""),
        }
    }
    fn haystack(&self, row: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.search.get(row).unwrap_or(""))
    }
    fn in_scope(&self, row: usize, scope: &str) -> bool {
        self.recs
            .get(row)
            .is_some_and(|t| task_in_scope(&t.task, scope, &self.schedules, self.margin))
    }
}

/// A task without windows of its own: its location's opening hours on the
/// task's weekday, marked `hrs` (`closed hrs` on a closed day), or empty
/// when the location has no hours.
fn hours_text(t: &Task, schedules: &Schedules) -> String {
    let hours = crate::app::late::task_location_uid(t).and_then(|uid| schedules.get(uid));
    let day = crate::app::late::task_date(t)
        .map(|d| crate::domain::schedule::Weekday::from_jiff(d.weekday()));
    match (hours, day) {
        (Some(h), Some(day)) => format!("{} hrs", crate::domain::schedule::format_day(h.day(day))),
        _ => String::new(),
    }
}

/// Scope words of the routes view (`:routes late`), with what they keep.
pub const ROUTE_SCOPES: &[(&str, &str)] = &[
    ("late", "routes with late stops"),
    ("risk", "routes with stops at risk"),
    ("waiting", "routes where a driver waits for a window"),
    ("locked", "locked routes"),
    ("unlocked", "routes not locked"),
    ("planned", "no stop visited yet"),
    ("started", "some stops done"),
    ("done", "every stop finished"),
];

/// The canonical route scope word for what was typed.
pub fn route_scope_word(word: &str) -> Option<&'static str> {
    let w = word.trim().to_ascii_lowercase();
    let w = match w.as_str() {
        "at-risk" => "risk",
        "early" => "waiting",
        "finished" | "completed" => "done",
        other => other,
    };
    ROUTE_SCOPES.iter().find(|(k, _)| *k == w).map(|(k, _)| *k)
}

/// Whether a route belongs to a scope word of [`ROUTE_SCOPES`].
pub fn route_in_scope(r: &RouteRec, scope: &str) -> bool {
    match scope {
        "late" => r.counts.late > 0,
        "risk" => r.counts.at_risk > 0,
        "waiting" => r.counts.early > 0,
        "locked" => r.locked == Some(true),
        "unlocked" => r.locked != Some(true),
        "planned" => r.state == RouteState::Planned,
        "started" => r.state == RouteState::Started,
        "done" => r.state == RouteState::Done,
        _ => true,
    }
}

/// Rows of the routes view.
#[derive(Clone)]
pub struct RoutesSrc(pub Arc<Vec<RouteRec>>);

impl RowSource for RoutesSrc {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn columns(&self) -> &'static [Column] {
        view::routes::COLUMNS
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.0.get(row) {
            Some(r) => view::routes::cell(r, col),
            None => Cow::Borrowed(""),
        }
    }
    fn haystack(&self, row: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.0.get(row).map_or("", |r| &r.search))
    }
    fn sort_cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.0.get(row) {
            Some(r) => view::routes::sort_cell(r, col),
            None => Cow::Borrowed(""),
        }
    }
    fn in_scope(&self, row: usize, scope: &str) -> bool {
        self.0.get(row).is_some_and(|r| route_in_scope(r, scope))
    }
    fn row_mark(&self, row: usize) -> RowMark {
        match self.0.get(row) {
            Some(r) if r.counts.late > 0 => RowMark::Alert,
            _ => RowMark::Plain,
        }
    }
}

/// Rows of a customer's locations table.
pub struct CustomerLocsSrc<'a>(pub &'a Customer);

impl RowSource for CustomerLocsSrc<'_> {
    fn len(&self) -> usize {
        self.0.locations().len()
    }
    fn columns(&self) -> &'static [Column] {
        view::customer::COLUMNS
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.0.locations().get(row) {
            Some(l) => view::customer::cell(l, col),
            None => Cow::Borrowed(""),
        }
    }
}

/// Rows of a route's stops table.
pub struct StopsSrc<'a> {
    /// The route.
    pub route: &'a RouteRec,
    /// The day's tasks.
    pub tasks: &'a Store<TaskRec>,
    /// Staged edits (a stop whose location or task has one is marked).
    pub staging: &'a Staging,
    /// Opening hours of the day's locations (for staged verdicts).
    pub schedules: &'a Schedules,
    /// At-risk margin in minutes.
    pub margin: i64,
}

impl StopsSrc<'_> {
    /// The task of stop `row`.
    pub fn task(&self, row: usize) -> Option<&Task> {
        let i = *self.route.stops.get(row)?;
        self.tasks.get(i as usize).map(|t| &t.task)
    }

    /// The lateness of stop `row`.
    pub fn lateness(&self, row: usize) -> Option<&Lateness> {
        self.route.lateness.get(row)?.as_ref()
    }

    /// Stop `row` judged with its staged window or hours fix, if it has one.
    pub fn staged_lateness(&self, row: usize) -> Option<StagedVerdict> {
        staged_lateness(self.staging, self.task(row)?, self.schedules, self.margin)
    }

    /// What the staged fixes do to the route's verdicts.
    pub fn staged_effect(&self) -> StagedEffect {
        if self.staging.is_empty() {
            return StagedEffect::default();
        }
        StagedEffect::of(
            (0..self.route.stops.len()).map(|row| (self.lateness(row), self.staged_lateness(row))),
        )
    }
}

impl RowSource for StopsSrc<'_> {
    fn len(&self) -> usize {
        self.route.stops.len()
    }
    fn columns(&self) -> &'static [Column] {
        view::route::COLUMNS
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.task(row) {
            Some(t) => {
                let staged = stop_staged(self.staging, t);
                let whatif = if matches!(col, view::route::WINDOWS_COL | view::route::OFFSET_COL) {
                    self.staged_lateness(row)
                } else {
                    None
                };
                view::route::cell(row, t, self.lateness(row), staged, whatif.as_ref(), col)
            }
            None => Cow::Borrowed(""),
        }
    }
    fn sort_cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        if col == view::route::OFFSET_COL {
            return Cow::Owned(offset_sort_key(self.lateness(row)));
        }
        self.cell(row, col)
    }
    fn row_mark(&self, row: usize) -> RowMark {
        mark_of(self.lateness(row))
    }
}

/// The row mark of a stop: late stands out, at risk a little.
pub fn mark_of(l: Option<&Lateness>) -> RowMark {
    match l.map(|l| l.verdict) {
        Some(v) if v.is_late() => RowMark::Alert,
        Some(v) if v.is_at_risk() => RowMark::Warn,
        _ => RowMark::Plain,
    }
}

/// Signed minutes late (negative: waiting) as a key that sorts as a number;
/// empty (last) without a verdict.
pub fn offset_sort_key(l: Option<&Lateness>) -> String {
    match l.and_then(|l| l.verdict.offset()) {
        Some(m) => format!("{:07}", m.clamp(-99_999, 99_999) + 100_000),
        None => String::new(),
    }
}

/// The staged mark of a stop: an edit of its customer location or of the task.
pub fn stop_staged(staging: &Staging, t: &Task) -> Option<Mark> {
    if staging.is_empty() {
        return None;
    }
    let customer_id = match &t.customer {
        Field::Value(Value::Object(o)) => o.get("_id").and_then(Value::as_str),
        _ => None,
    };
    let loc_uid = crate::app::late::task_location_uid(t);
    if let (Some(c), Some(l)) = (customer_id, loc_uid)
        && let Some(r) = staging.location_edit(c, l)
    {
        return Some(Mark::of(r));
    }
    let task_id = t.id.get()?;
    staging.record_edit(Entity::Task, task_id).map(Mark::of)
}
