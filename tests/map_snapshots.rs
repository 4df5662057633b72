//! Snapshots of the route map alone, from the demo data of a fixed weekday
//! (2026-12-07, a Monday), at the map's size in a 120×40 and an 80×24
//! terminal.

use elogii_tui::api::types::{Customer, Task};
use elogii_tui::app::data::{task_order, task_route};
use elogii_tui::app::late::{Schedules, route_counts, task_lateness};
use elogii_tui::domain::lateness::DEFAULT_AT_RISK_MARGIN;
use elogii_tui::view::map::{self, MapStop, RouteMap, StopMark};
use elogii_tui::view::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::collections::BTreeMap;

struct Day {
    routes: BTreeMap<String, Vec<Task>>,
    schedules: Schedules,
    depot: [f64; 2],
}

fn demo_day() -> Day {
    let seed = elogii_tui::sandbox::seed::demo(jiff::civil::date(2026, 12, 7)).unwrap();
    let customers: Vec<Customer> = seed
        .customers
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    let mut routes: BTreeMap<String, Vec<Task>> = BTreeMap::new();
    for v in &seed.tasks {
        let t: Task = serde_json::from_value(v.clone()).unwrap();
        if t.date_number() != Some(20261207) {
            continue;
        }
        if let Some(r) = task_route(&t) {
            routes.entry(r.to_string()).or_default().push(t);
        }
    }
    for stops in routes.values_mut() {
        stops.sort_by_key(task_order);
    }
    let d = &seed.depots[0]["coordinates"];
    Day {
        routes,
        schedules: Schedules::from_customers(&customers),
        depot: [d[0].as_f64().unwrap(), d[1].as_f64().unwrap()],
    }
}

fn point(t: &Task) -> Option<[f64; 2]> {
    let c = t.location.get()?.coordinates.get()?;
    Some([c.lon()?, c.lat()?])
}

fn render(day: &Day, terminal: (u16, u16), others: bool) -> String {
    let (uid, stops) = day
        .routes
        .iter()
        .max_by_key(|(_, s)| route_counts(s.iter(), &day.schedules, DEFAULT_AT_RISK_MARGIN).late)
        .unwrap();
    let marks: Vec<MapStop> = stops
        .iter()
        .map(|t| {
            let v = task_lateness(t, &day.schedules, DEFAULT_AT_RISK_MARGIN)
                .unwrap()
                .verdict;
            MapStop {
                at: point(t),
                mark: if v.is_late() {
                    StopMark::Late
                } else if v.is_at_risk() {
                    StopMark::AtRisk
                } else {
                    StopMark::Plain
                },
            }
        })
        .collect();
    let lines: Vec<Vec<[f64; 2]>> = if others {
        day.routes
            .iter()
            .filter(|(u, _)| *u != uid)
            .map(|(_, s)| s.iter().filter_map(point).collect())
            .collect()
    } else {
        Vec::new()
    };
    let worst = marks.iter().position(|m| m.mark == StopMark::Late);
    let body = Rect::new(0, 1, terminal.0, terminal.1 - 3);
    let area = map::place(body, true).map.unwrap();
    let mut buf = Buffer::empty(Rect::new(0, 0, terminal.0, terminal.1));
    map::render(
        &RouteMap {
            stops: &marks,
            depot: Some(day.depot),
            selected: worst,
            others: &lines,
            title: uid,
        },
        &Theme::default16(),
        &mut buf,
        area,
    );
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn map_of_the_latest_route_120x40() {
    insta::assert_snapshot!(render(&demo_day(), (120, 40), false));
}

#[test]
fn map_of_the_latest_route_80x24() {
    insta::assert_snapshot!(render(&demo_day(), (80, 24), false));
}

#[test]
fn map_with_the_other_routes_120x40() {
    insta::assert_snapshot!(render(&demo_day(), (120, 40), true));
}
