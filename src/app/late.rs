//! Lateness of a day's stops as plain data: each stop's verdict, a route's
//! counts, and the late-stop queue (late and at-risk stops across routes,
//! worst first).
//!
//! A stop is judged by [`crate::domain::lateness::judge`]: its planned ETA
//! (`assignment.eta`, see [`crate::app::data::ETA_FIELD`]) against the task's
//! `timeWindows`, or, when the task has none, against the weekly `schedule` of
//! the customer location it points at (`location.uid`, a `CL-` uid) for the
//! weekday of the task's `date`.

use std::borrow::Cow;
use std::collections::HashMap;

use jiff::civil::Date;
use serde_json::Value;

use crate::api::types::{Customer, Field, Task};
use crate::app::data::{
    RouteRec, TaskRec, mark_of, offset_sort_key, stop_staged, task_driver, task_eta, task_order,
    task_route, task_windows,
};
use crate::app::edit::Mark;
use crate::app::model::Staging;
use crate::app::table::{Column, RowMark, RowSource, Store};
use crate::domain::dates::from_number;
use crate::domain::edit::{Entity, FieldPath};
use crate::domain::lateness::{Lateness, Verdict, WindowSource, judge};
use crate::domain::schedule::{WeekHours, Weekday};
use crate::view;

/// Weekly opening hours of customer locations, by location uid (`CL-…`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schedules(HashMap<String, WeekHours>);

impl Schedules {
    /// The schedules of every location of `customers` that has one
    /// (`schedule: null` or absent: none).
    pub fn from_customers<'a>(customers: impl IntoIterator<Item = &'a Customer>) -> Schedules {
        let mut map = HashMap::new();
        for c in customers {
            for l in c.locations() {
                if let (Field::Value(uid), Field::Value(s)) = (&l.uid, &l.schedule) {
                    map.insert(uid.clone(), WeekHours::from_schedule(s));
                }
            }
        }
        Schedules(map)
    }

    /// Sets (or replaces) one location's hours, e.g. after a staged edit.
    pub fn insert(&mut self, location_uid: &str, hours: WeekHours) {
        self.0.insert(location_uid.to_string(), hours);
    }

    /// The hours of a location.
    pub fn get(&self, location_uid: &str) -> Option<&WeekHours> {
        self.0.get(location_uid)
    }

    /// Number of locations with hours.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no location has hours.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The uid of the customer location a task points at.
pub fn task_location_uid(t: &Task) -> Option<&str> {
    match &t.location.get()?.uid {
        Field::Value(s) if !s.trim().is_empty() => Some(s.as_str()),
        _ => None,
    }
}

/// The uid of a task's customer (`customer.uid`).
pub fn task_customer_uid(t: &Task) -> Option<&str> {
    match &t.customer {
        Field::Value(Value::Object(o)) => o
            .get("uid")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty()),
        _ => None,
    }
}

/// The `_id` of a task's customer (`customer._id`).
pub fn task_customer_id(t: &Task) -> Option<&str> {
    match &t.customer {
        Field::Value(Value::Object(o)) => o
            .get("_id")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty()),
        _ => None,
    }
}

/// The date of a task (its `date`, `YYYYMMDD`).
pub fn task_date(t: &Task) -> Option<Date> {
    from_number(t.date_number()?)
}

/// Minutes a stop waits at its location before a window opens, as planned
/// (`assignment.waitingTime`).
pub fn task_waiting(t: &Task) -> Option<i64> {
    match t.assignment()?.extra.get("waitingTime")? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        _ => None,
    }
}

/// A stop's lateness, or `None` when the task has no planned ETA.
pub fn task_lateness(t: &Task, schedules: &Schedules, margin: i64) -> Option<Lateness> {
    let hours = task_location_uid(t).and_then(|uid| schedules.get(uid));
    judge_task(t, &task_windows(t), hours, margin)
}

/// Judges a task's ETA against these windows (the task's) and hours (its
/// location's), on the weekday of the task's date.
fn judge_task(
    t: &Task,
    windows: &[(i64, i64)],
    hours: Option<&WeekHours>,
    margin: i64,
) -> Option<Lateness> {
    let eta = task_eta(t)?;
    match task_date(t) {
        Some(date) => Some(judge(
            eta,
            windows,
            hours,
            Weekday::from_jiff(date.weekday()),
            margin,
        )),
        // Without a date the weekday is unknown: the task's windows only.
        None => {
            let (verdict, window) = crate::domain::lateness::verdict(eta, windows, margin);
            let windows = crate::domain::lateness::merge(windows);
            let source = if windows.is_empty() {
                WindowSource::None
            } else {
                WindowSource::Task
            };
            Some(Lateness {
                verdict,
                source,
                window,
                windows,
            })
        }
    }
}

/// A stop judged as if its staged fixes were on eLogii: what the dispatcher
/// sees before sending.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedVerdict {
    /// The verdict with the staged windows or hours.
    pub lateness: Lateness,
    /// The mark of the staged edit that decides it (staged, sending, failed…).
    pub mark: Mark,
}

/// The stop judged again with its staged (not yet sent) task `timeWindows`
/// and its location's staged `schedule` in place of eLogii's; `None` when
/// neither is staged or the task has no ETA.
pub fn staged_lateness(
    staging: &Staging,
    t: &Task,
    schedules: &Schedules,
    margin: i64,
) -> Option<StagedVerdict> {
    if staging.is_empty() {
        return None;
    }
    let windows_edit =
        t.id.get()
            .and_then(|id| staging.find(Entity::Task, id, &FieldPath::top("timeWindows")));
    let location = task_location_uid(t);
    let hours_edit = task_customer_id(t)
        .zip(location)
        .and_then(|(c, l)| staging.find(Entity::Customer, c, &FieldPath::location(l, "schedule")));
    // Hours only matter to a stop without windows of its own.
    let hours_edit = hours_edit.filter(|_| {
        windows_edit.is_some() || crate::domain::lateness::merge(&task_windows(t)).is_empty()
    });
    let mark = Mark::of(windows_edit.or(hours_edit)?);
    let windows = match windows_edit {
        Some(r) => windows_of(r.edit.edit.new.as_ref()),
        None => task_windows(t),
    };
    let staged_hours =
        hours_edit.map(|r| crate::app::edit::week_from_value(r.edit.edit.new.as_ref()));
    let hours = match &staged_hours {
        Some(staged) => staged.as_ref(),
        None => location.and_then(|uid| schedules.get(uid)),
    };
    let lateness = judge_task(t, &windows, hours, margin)?;
    Some(StagedVerdict { lateness, mark })
}

/// Windows `[{start, end}, …]` as a staged edit holds them (absent: none).
fn windows_of(v: Option<&Value>) -> Vec<(i64, i64)> {
    let Some(Value::Array(items)) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|w| {
            let n = |k: &str| w.get(k).and_then(Value::as_i64);
            Some((n("start")?, n("end")?))
        })
        .collect()
}

/// How staged fixes change a set of stops' verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StagedEffect {
    /// Stops with a staged window or hours fix.
    pub staged: usize,
    /// Late on eLogii, on time (or waiting) once the fixes are sent.
    pub fixed: usize,
    /// Not late on eLogii, late once the fixes are sent (a fix gone wrong).
    pub broken: usize,
}

impl StagedEffect {
    /// The effect over stops given as (eLogii's verdict, the staged one).
    pub fn of<'a>(
        stops: impl IntoIterator<Item = (Option<&'a Lateness>, Option<StagedVerdict>)>,
    ) -> StagedEffect {
        let mut e = StagedEffect::default();
        for (now, staged) in stops {
            e.add(now, staged.as_ref());
        }
        e
    }

    /// Adds one stop: eLogii's verdict and the staged one.
    pub fn add(&mut self, now: Option<&Lateness>, staged: Option<&StagedVerdict>) {
        let Some(s) = staged else {
            return;
        };
        self.staged += 1;
        let late_now = now.is_some_and(|l| l.verdict.is_late());
        let late_then = s.lateness.verdict.is_late();
        if late_now && !late_then {
            self.fixed += 1;
        }
        if !late_now && late_then {
            self.broken += 1;
        }
    }

    /// `· 2 on time once sent · 1 more late once sent`, or empty.
    pub fn text(&self) -> String {
        let mut t = String::new();
        if self.fixed > 0 {
            t.push_str(&format!(" · {} on time once sent", self.fixed));
        }
        if self.broken > 0 {
            t.push_str(&format!(" · {} more late once sent", self.broken));
        }
        t
    }
}

/// Counts of a route's stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteCounts {
    /// Stops.
    pub stops: usize,
    /// Late stops.
    pub late: usize,
    /// On-time stops close to their window's end.
    pub at_risk: usize,
    /// Stops that wait for a window (early or between windows).
    pub early: usize,
    /// Minutes waited in all, as judged (early and between windows).
    pub waiting: i64,
    /// Stops with an ETA but no window to judge against.
    pub unjudged: usize,
}

/// Counts over a route's stops.
pub fn route_counts<'a>(
    stops: impl IntoIterator<Item = &'a Task>,
    schedules: &Schedules,
    margin: i64,
) -> RouteCounts {
    let judged: Vec<Option<Lateness>> = stops
        .into_iter()
        .map(|t| task_lateness(t, schedules, margin))
        .collect();
    counts_of(&judged)
}

/// Counts over stops already judged (`None`: a stop without an ETA).
pub fn counts_of(stops: &[Option<Lateness>]) -> RouteCounts {
    let mut c = RouteCounts {
        stops: stops.len(),
        ..RouteCounts::default()
    };
    for l in stops.iter().flatten() {
        match l.verdict {
            Verdict::Late { .. } => c.late += 1,
            Verdict::AtRisk { .. } => c.at_risk += 1,
            Verdict::Early { wait } | Verdict::Between { wait, .. } => {
                c.early += 1;
                c.waiting += wait;
            }
            Verdict::NoWindow => c.unjudged += 1,
            Verdict::OnTime { .. } => {}
        }
    }
    c
}

/// One entry of the late-stop queue.
#[derive(Debug, Clone, PartialEq)]
pub struct LateStop {
    /// Index of the task in the day's task list.
    pub task: u32,
    /// The task's uid (`T-…`).
    pub task_uid: String,
    /// The route's uid.
    pub route: String,
    /// Stop number in the route (`assignment.routeOrder`, 1-based).
    pub stop: Option<i64>,
    /// Driver's name.
    pub driver: String,
    /// The location's (or customer's) name, unsanitised.
    pub name: String,
    /// Postcode, unsanitised.
    pub postcode: String,
    /// The customer's uid (`CUS-…`).
    pub customer_uid: Option<String>,
    /// The customer's `_id` (the record an edit of its location changes).
    pub customer_id: Option<String>,
    /// The customer location's uid (`CL-…`): the record to fix.
    pub location_uid: Option<String>,
    /// Planned ETA, route timeline.
    pub eta: i64,
    /// The verdict and its windows.
    pub lateness: Lateness,
    /// The verdict once the staged window or hours fixes are sent, when
    /// there are any (as the queue was built).
    pub staged: Option<Verdict>,
}

impl LateStop {
    /// The worse of eLogii's verdict and the staged one (the queue's order).
    fn severity(&self) -> (u8, i64) {
        let now = self.lateness.verdict.severity();
        self.staged.map_or(now, |s| now.max(s.severity()))
    }
}

fn needs_a_look(v: Verdict) -> bool {
    v.is_late() || v.is_at_risk()
}

/// The late queue from routes already judged by
/// [`crate::app::data::build_routes`] (the same as [`late_queue`] over their
/// tasks, without judging every stop again).
pub fn queue_of_routes(routes: &[RouteRec], tasks: &Store<TaskRec>) -> Vec<LateStop> {
    queue_with_staged(routes, tasks, &Staging::default(), &Schedules::default(), 0)
}

/// [`queue_of_routes`] with staged fixes taken into account: a stop is in it
/// when eLogii's verdict or the staged one is late or at risk (a fix gone
/// wrong shows up before it is sent), ordered by the worse of the two.
pub fn queue_with_staged(
    routes: &[RouteRec],
    tasks: &Store<TaskRec>,
    staging: &Staging,
    schedules: &Schedules,
    margin: i64,
) -> Vec<LateStop> {
    let mut out = Vec::new();
    for r in routes {
        for (k, &i) in r.stops.iter().enumerate() {
            let Some(Some(l)) = r.lateness.get(k) else {
                continue;
            };
            let Some(t) = tasks.get(i as usize) else {
                continue;
            };
            let staged =
                staged_lateness(staging, &t.task, schedules, margin).map(|s| s.lateness.verdict);
            if !(needs_a_look(l.verdict) || staged.is_some_and(needs_a_look)) {
                continue;
            }
            let mut e = entry(i, &t.task, &r.uid, l.clone());
            e.staged = staged;
            out.push(e);
        }
    }
    sort_queue(&mut out);
    out
}

fn entry(i: u32, t: &Task, route: &str, l: Lateness) -> LateStop {
    let loc = t.location.get();
    let name = loc
        .map(|l| l.name.as_str().trim().to_string())
        .filter(|n| !n.is_empty())
        .or_else(|| match &t.customer {
            Field::Value(Value::Object(o)) => {
                o.get("name").and_then(Value::as_str).map(str::to_string)
            }
            _ => None,
        })
        .unwrap_or_default();
    LateStop {
        task: i,
        task_uid: t.uid.as_str().to_string(),
        route: route.to_string(),
        stop: task_order(t),
        driver: task_driver(t),
        name,
        postcode: loc
            .map(|l| l.post_code.as_str().to_string())
            .unwrap_or_default(),
        customer_uid: task_customer_uid(t).map(str::to_string),
        customer_id: task_customer_id(t).map(str::to_string),
        location_uid: task_location_uid(t).map(str::to_string),
        eta: task_eta(t).unwrap_or_default(),
        lateness: l,
        staged: None,
    }
}

/// Worst first: late by minutes, then at risk by time left; ties by ETA,
/// route and stop.
fn sort_queue(out: &mut [LateStop]) {
    out.sort_by(|a, b| {
        b.severity()
            .cmp(&a.severity())
            .then(a.eta.cmp(&b.eta))
            .then_with(|| a.route.cmp(&b.route))
            .then(a.stop.cmp(&b.stop))
    });
}

/// All late and at-risk stops of a day's tasks, worst first: late stops by
/// minutes late, then at-risk stops by how little time is left; ties by ETA,
/// then route and stop. Tasks without a route or an ETA are left out.
pub fn late_queue<'a>(
    tasks: impl IntoIterator<Item = &'a Task>,
    schedules: &Schedules,
    margin: i64,
) -> Vec<LateStop> {
    let mut out = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let Some(route) = task_route(t) else {
            continue;
        };
        let Some(l) = task_lateness(t, schedules, margin) else {
            continue;
        };
        if !(l.verdict.is_late() || l.verdict.is_at_risk()) {
            continue;
        }
        out.push(entry(u32::try_from(i).unwrap_or(u32::MAX), t, route, l));
    }
    sort_queue(&mut out);
    out
}

/// Rows of the late queue.
pub struct LateSrc<'a> {
    /// The queue, worst first.
    pub items: &'a [LateStop],
    /// The day's tasks.
    pub tasks: &'a Store<TaskRec>,
    /// Staged edits (a stop whose location or task has one is marked).
    pub staging: &'a Staging,
    /// Opening hours of the day's locations (for staged verdicts).
    pub schedules: &'a Schedules,
    /// At-risk margin in minutes.
    pub margin: i64,
}

impl LateSrc<'_> {
    fn task(&self, row: usize) -> Option<&Task> {
        let s = self.items.get(row)?;
        Some(&self.tasks.get(s.task as usize)?.task)
    }

    /// The staged mark of entry `row`.
    pub fn staged(&self, row: usize) -> Option<Mark> {
        stop_staged(self.staging, self.task(row)?)
    }

    /// Entry `row` judged with its staged window or hours fix, if it has one.
    pub fn staged_lateness(&self, row: usize) -> Option<StagedVerdict> {
        staged_lateness(self.staging, self.task(row)?, self.schedules, self.margin)
    }

    /// What the staged fixes do to the queue's stops.
    pub fn staged_effect(&self) -> StagedEffect {
        if self.staging.is_empty() {
            return StagedEffect::default();
        }
        StagedEffect::of(
            (self.items.iter().enumerate())
                .map(|(row, s)| (Some(&s.lateness), self.staged_lateness(row))),
        )
    }
}

impl RowSource for LateSrc<'_> {
    fn len(&self) -> usize {
        self.items.len()
    }
    fn columns(&self) -> &'static [Column] {
        view::late::COLUMNS
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.items.get(row) {
            Some(s) => {
                let whatif = if matches!(
                    col,
                    view::late::WINDOW_COL | view::late::OFFSET_COL | view::late::FROM_COL
                ) {
                    self.staged_lateness(row)
                } else {
                    None
                };
                view::late::cell(s, self.staged(row), whatif.as_ref(), col)
            }
            None => Cow::Borrowed(""),
        }
    }
    fn sort_cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        match self.items.get(row) {
            Some(s) if col == view::late::OFFSET_COL => {
                Cow::Owned(offset_sort_key(Some(&s.lateness)))
            }
            Some(s) if col == view::late::STOP_COL => {
                Cow::Owned(s.stop.map_or(String::new(), |n| format!("{n:07}")))
            }
            _ => self.cell(row, col),
        }
    }
    fn in_scope(&self, row: usize, scope: &str) -> bool {
        match (self.items.get(row), scope) {
            (Some(s), "late") => s.lateness.verdict.is_late(),
            (Some(s), "risk") => s.lateness.verdict.is_at_risk(),
            (Some(_), "staged") => self.staged(row).is_some(),
            (Some(_), _) => true,
            (None, _) => false,
        }
    }
    fn row_mark(&self, row: usize) -> RowMark {
        mark_of(self.items.get(row).map(|s| &s.lateness))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lateness::DEFAULT_AT_RISK_MARGIN as M;
    use serde_json::json;

    fn task(uid: &str, route: &str, order: i64, eta: i64, windows: Value, loc: &str) -> Task {
        serde_json::from_value(json!({
            "uid": uid,
            "date": 20261207,
            "timeWindows": windows,
            "location": { "type": 1, "uid": loc, "name": format!("Site {uid}"), "postCode": "M1 1AA" },
            "customer": { "uid": format!("CUS-{uid}") },
            "assignment": {
                "state": 1,
                "routeUID": route,
                "routeOrder": order,
                "eta": eta,
                "waitingTime": 0,
                "assignee": { "info": { "firstName": "Aisha", "lastName": "Marlowe" } }
            }
        }))
        .unwrap()
    }

    fn customer(loc: &str, schedule: Value) -> Customer {
        serde_json::from_value(json!({
            "uid": "CUS-X",
            "locations": [ { "uid": loc, "schedule": schedule } ]
        }))
        .unwrap()
    }

    #[test]
    fn queue_is_late_and_at_risk_only_worst_first() {
        let tasks = [
            task(
                "T-1",
                "R-A",
                1,
                600,
                json!([{"start": 540, "end": 1020}]),
                "CL-1",
            ),
            task(
                "T-2",
                "R-A",
                2,
                1030,
                json!([{"start": 540, "end": 1020}]),
                "CL-2",
            ),
            task(
                "T-3",
                "R-B",
                1,
                700,
                json!([{"start": 540, "end": 660}]),
                "CL-3",
            ),
            task(
                "T-4",
                "R-B",
                2,
                655,
                json!([{"start": 540, "end": 660}]),
                "CL-4",
            ),
            task(
                "T-5",
                "R-B",
                3,
                500,
                json!([{"start": 540, "end": 660}]),
                "CL-5",
            ),
            // No windows on the task: the location's Monday hours decide.
            task("T-6", "R-C", 1, 800, json!([]), "CL-6"),
        ];
        // 2026-12-07 is a Monday; CL-6 closes at 12:00 on Mondays.
        let schedules = Schedules::from_customers(&[customer(
            "CL-6",
            json!({"Mon": {"timeWindows": [{"start": 480, "end": 720}]}}),
        )]);
        assert_eq!(schedules.len(), 1);
        let q = late_queue(&tasks, &schedules, M);
        let uids: Vec<&str> = q.iter().map(|s| s.task_uid.as_str()).collect();
        assert_eq!(uids, ["T-6", "T-3", "T-2", "T-4"]);
        assert_eq!(q[0].lateness.verdict, Verdict::Late { by: 80 });
        assert_eq!(q[0].lateness.source, WindowSource::Schedule);
        assert_eq!(q[1].lateness.verdict, Verdict::Late { by: 40 });
        assert_eq!(q[3].lateness.verdict, Verdict::AtRisk { slack: 5 });
        let first = &q[0];
        assert_eq!(first.route, "R-C");
        assert_eq!(first.stop, Some(1));
        assert_eq!(first.driver, "Aisha Marlowe");
        assert_eq!(first.location_uid.as_deref(), Some("CL-6"));
        assert_eq!(first.customer_uid.as_deref(), Some("CUS-T-6"));
        assert_eq!(first.name, "Site T-6");
        assert_eq!(first.task, 5);
        // A wider margin puts more stops at risk, a zero margin none.
        assert_eq!(late_queue(&tasks, &schedules, 0).len(), 3);
        // Fixing the schedule (staged hours) takes the stop off the queue.
        let mut fixed = schedules.clone();
        fixed.insert(
            "CL-6",
            crate::domain::schedule::parse_week_line("Mo 08:00-17:00").unwrap(),
        );
        let q = late_queue(&tasks, &fixed, M);
        assert!(q.iter().all(|s| s.task_uid != "T-6"));
    }

    #[test]
    fn the_queue_from_judged_routes_is_the_queue_from_tasks() {
        let tasks = [
            task(
                "T-1",
                "R-A",
                1,
                600,
                json!([{"start": 540, "end": 1020}]),
                "CL-1",
            ),
            task(
                "T-2",
                "R-A",
                2,
                1030,
                json!([{"start": 540, "end": 1020}]),
                "CL-2",
            ),
            task(
                "T-3",
                "R-B",
                1,
                700,
                json!([{"start": 540, "end": 660}]),
                "CL-3",
            ),
            task(
                "T-4",
                "R-B",
                2,
                655,
                json!([{"start": 540, "end": 660}]),
                "CL-4",
            ),
            task("T-6", "R-C", 1, 800, json!([]), "CL-6"),
        ];
        let schedules = Schedules::from_customers(&[customer(
            "CL-6",
            json!({"Mon": {"timeWindows": [{"start": 480, "end": 720}]}}),
        )]);
        let store: Store<TaskRec> = tasks.iter().cloned().map(TaskRec::new).collect();
        let routes = crate::app::data::build_routes(&store, &[], &schedules, M);
        let from_routes = queue_of_routes(&routes, &store);
        assert_eq!(from_routes, late_queue(&tasks, &schedules, M));
        assert_eq!(from_routes.len(), 4);
        let c = routes.iter().find(|r| r.uid == "R-B").unwrap().counts;
        assert_eq!((c.stops, c.late, c.at_risk), (2, 1, 1));
    }

    #[test]
    fn counts_of_a_route() {
        let tasks = [
            task(
                "T-1",
                "R-A",
                1,
                500,
                json!([{"start": 540, "end": 1020}]),
                "CL-1",
            ),
            task(
                "T-2",
                "R-A",
                2,
                700,
                json!([{"start": 540, "end": 600}, {"start": 720, "end": 900}]),
                "CL-2",
            ),
            task(
                "T-3",
                "R-A",
                3,
                1030,
                json!([{"start": 540, "end": 1020}]),
                "CL-3",
            ),
            task(
                "T-4",
                "R-A",
                4,
                1015,
                json!([{"start": 540, "end": 1020}]),
                "CL-4",
            ),
            task("T-5", "R-A", 5, 1015, json!([]), "CL-5"),
        ];
        let c = route_counts(&tasks, &Schedules::default(), M);
        assert_eq!(
            c,
            RouteCounts {
                stops: 5,
                late: 1,
                at_risk: 1,
                early: 2,
                waiting: 40 + 20,
                unjudged: 1,
            }
        );
    }

    fn pending(id: i64, edit: crate::domain::edit::Edit) -> crate::sync::batch::PendingEdit {
        crate::sync::batch::PendingEdit {
            id: crate::sync::batch::EditId(id),
            edit,
            state: crate::sync::batch::EditState::Staged,
            batch: None,
            message: None,
            theirs: None,
            origin: "http://127.0.0.1".into(),
            rev: 1,
            staged_at_ms: 0,
            label: None,
        }
    }

    #[test]
    fn a_staged_fix_judges_the_stop_as_if_it_were_sent() {
        // T-1 is 40 minutes late against its own 09:00-11:00; T-6 has no
        // windows and is 80 minutes late against CL-6's Monday hours.
        let mut t1 = task(
            "T-1",
            "R-A",
            1,
            700,
            json!([{"start": 540, "end": 660}]),
            "CL-1",
        );
        t1.id = Field::Value("t1".into());
        let mut t6 = task("T-6", "R-C", 1, 800, json!([]), "CL-6");
        if let Field::Value(Value::Object(o)) = &mut t6.customer {
            o.insert("_id".into(), json!("c6"));
        }
        let schedules = Schedules::from_customers(&[customer(
            "CL-6",
            json!({"Mon": {"timeWindows": [{"start": 480, "end": 720}]}}),
        )]);
        let mut staging = Staging::new(false);
        assert_eq!(staged_lateness(&staging, &t1, &schedules, M), None);
        // A postcode edit of T-6's location does not touch its verdict.
        staging.upsert(pending(
            1,
            crate::domain::edit::Edit {
                entity: Entity::Customer,
                record_id: "c6".into(),
                field: FieldPath::location("CL-6", "postCode"),
                base: Some(json!("M1 1AA")),
                new: Some(json!("M1 1AB")),
            },
        ));
        assert_eq!(staged_lateness(&staging, &t6, &schedules, M), None);
        // Hours staged for T-1's location: T-1 is judged by its own windows,
        // so they change nothing for it.
        if let Field::Value(Value::Object(o)) = &mut t1.customer {
            o.insert("_id".into(), json!("c1"));
        }
        staging.upsert(pending(
            4,
            crate::domain::edit::Edit {
                entity: Entity::Customer,
                record_id: "c1".into(),
                field: FieldPath::location("CL-1", "schedule"),
                base: None,
                new: Some(json!({"Mon": {"timeWindows": [{"start": 480, "end": 1200}]}})),
            },
        ));
        assert_eq!(staged_lateness(&staging, &t1, &schedules, M), None);
        // T-1's windows staged to 09:00-12:00: on time (at risk, 20 min left
        // is outside the margin), eLogii still says late.
        staging.upsert(pending(
            2,
            crate::domain::edit::Edit {
                entity: Entity::Task,
                record_id: "t1".into(),
                field: FieldPath::top("timeWindows"),
                base: Some(json!([{"start": 540, "end": 660}])),
                new: Some(json!([{"start": 540, "end": 720}])),
            },
        ));
        let s = staged_lateness(&staging, &t1, &schedules, M).unwrap();
        assert_eq!(s.lateness.verdict, Verdict::OnTime { slack: 20 });
        assert_eq!(s.lateness.windows, vec![(540, 720)]);
        assert_eq!(s.mark, Mark::Staged);
        let now = task_lateness(&t1, &schedules, M).unwrap();
        assert_eq!(now.verdict, Verdict::Late { by: 40 });
        // CL-6's hours staged to close at 14:00 on Mondays (through the
        // schedule shape eLogii keeps): on time; at 12:00 on Tuesdays only
        // (closed on Monday): no window at all.
        let hours = |v: Value| {
            pending(
                3,
                crate::domain::edit::Edit {
                    entity: Entity::Customer,
                    record_id: "c6".into(),
                    field: FieldPath::location("CL-6", "schedule"),
                    base: None,
                    new: Some(v),
                },
            )
        };
        staging.upsert(hours(
            json!({"Mon": {"timeWindows": [{"start": 480, "end": 840}]}}),
        ));
        let s = staged_lateness(&staging, &t6, &schedules, M).unwrap();
        assert_eq!(s.lateness.verdict, Verdict::OnTime { slack: 40 });
        assert_eq!(s.lateness.source, WindowSource::Schedule);
        staging.upsert(hours(
            json!({"Tue": {"timeWindows": [{"start": 480, "end": 720}]}}),
        ));
        let s = staged_lateness(&staging, &t6, &schedules, M).unwrap();
        assert_eq!(s.lateness.verdict, Verdict::NoWindow);
        // The effect on a set of stops: one fixed, one made late.
        let mut e = StagedEffect::default();
        e.add(
            Some(&now),
            Some(&staged_lateness(&staging, &t1, &schedules, M).unwrap()),
        );
        let fine = task_lateness(&t1, &Schedules::default(), M).map(|mut l| {
            l.verdict = Verdict::OnTime { slack: 30 };
            l
        });
        let late_then = StagedVerdict {
            lateness: now.clone(),
            mark: Mark::Staged,
        };
        e.add(fine.as_ref(), Some(&late_then));
        e.add(Some(&now), None);
        assert_eq!(
            e,
            StagedEffect {
                staged: 2,
                fixed: 1,
                broken: 1
            }
        );
        assert_eq!(e.text(), " · 1 on time once sent · 1 more late once sent");
        assert_eq!(StagedEffect::default().text(), "");
    }

    #[test]
    fn missing_pieces() {
        // No ETA: no verdict, not in the queue.
        let mut t = task(
            "T-1",
            "R-A",
            1,
            0,
            json!([{"start": 540, "end": 600}]),
            "CL-1",
        );
        if let Field::Value(a) = &mut t.assignment {
            a.extra.remove("eta");
        }
        assert_eq!(task_lateness(&t, &Schedules::default(), M), None);
        // No date: the task's own windows still judge.
        let mut t = task(
            "T-2",
            "R-A",
            1,
            700,
            json!([{"start": 540, "end": 600}]),
            "CL-1",
        );
        t.date = Field::Absent;
        let l = task_lateness(&t, &Schedules::default(), M).unwrap();
        assert_eq!(l.verdict, Verdict::Late { by: 100 });
        // Not on a route: not in the queue.
        let mut t = task(
            "T-3",
            "",
            1,
            700,
            json!([{"start": 540, "end": 600}]),
            "CL-1",
        );
        t.date = Field::Value(20261207);
        assert!(late_queue([&t], &Schedules::default(), M).is_empty());
        assert_eq!(task_waiting(&t), Some(0));
        assert_eq!(task_date(&t), jiff::civil::Date::new(2026, 12, 7).ok());
        // A null schedule is no schedule.
        let s = Schedules::from_customers(&[customer("CL-9", Value::Null)]);
        assert!(s.is_empty());
    }
}
