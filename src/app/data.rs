//! Loaded records with their filter text, routes built from tasks, and the
//! row sources of each table.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::api::types::{Customer, Field, Location, Route, Task};
use crate::app::table::{Column, RowSource, Store, TextStore, haystack_measured, haystack_of};
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

/// A route for a date: stops from tasks (by `assignment.routeUID`, in
/// `assignment.routeOrder`), metadata from `GET /routes`.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteRec {
    /// Route uid.
    pub uid: String,
    /// Route name from `GET /routes`.
    pub name: String,
    /// Driver's name.
    pub driver: String,
    /// Vehicle: name and registration.
    pub vehicle: String,
    /// Task indices in stop order.
    pub stops: Vec<u32>,
    /// ETA of the first stop that has one (minutes from midnight).
    pub first_eta: Option<i64>,
    /// ETA of the last stop that has one.
    pub last_eta: Option<i64>,
    /// Stops whose ETA is after the end of all their windows.
    pub late: usize,
    /// Lock flag from `GET /routes`.
    pub locked: Option<bool>,
    /// All cells of its row, joined.
    pub search: Box<str>,
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

/// True when the task has an ETA after the end of every one of its windows.
pub fn is_late(t: &Task) -> bool {
    let Some(eta) = task_eta(t) else {
        return false;
    };
    let windows = task_windows(t);
    match windows.iter().map(|w| w.1).max() {
        Some(end) => eta > end,
        None => false,
    }
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

/// Groups tasks into routes. Routes named by `GET /routes` come first in its
/// order, then routes seen only on tasks, in order of first appearance.
pub fn build_routes(tasks: &Store<TaskRec>, meta: &[Route]) -> Vec<RouteRec> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<RouteRec> = Vec::new();
    let blank = |uid: String| RouteRec {
        uid,
        name: String::new(),
        driver: String::new(),
        vehicle: String::new(),
        stops: Vec::new(),
        first_eta: None,
        last_eta: None,
        late: 0,
        locked: None,
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
        rec.name = r.name.as_str().to_string();
        rec.driver = r.driver.get().map(|p| p.full_name()).unwrap_or_default();
        rec.vehicle = vehicle_text(&r.vehicle);
        rec.locked = r.locked.get().copied();
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
        rec.late = stop_tasks.iter().filter(|t| is_late(t)).count();
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

/// Rows of the tasks view.
#[derive(Clone)]
pub struct TasksSrc {
    /// The tasks.
    pub recs: Store<TaskRec>,
    /// Their filter texts.
    pub search: TextStore,
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
            Some(t) => view::tasks::cell(&t.task, col),
            None => Cow::Borrowed(""),
        }
    }
    fn haystack(&self, row: usize) -> Cow<'_, str> {
        Cow::Borrowed(self.search.get(row).unwrap_or(""))
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
}

impl StopsSrc<'_> {
    /// The task of stop `row`.
    pub fn task(&self, row: usize) -> Option<&Task> {
        let i = *self.route.stops.get(row)?;
        self.tasks.get(i as usize).map(|t| &t.task)
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
            Some(t) => view::route::cell(row, t, col),
            None => Cow::Borrowed(""),
        }
    }
}
