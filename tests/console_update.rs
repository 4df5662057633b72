//! `update` tests: messages in, model and commands out. No terminal, no network.

use std::collections::BTreeMap;

use elogii_tui::api::types::{Customer, Route, Task};
use elogii_tui::app::effects::derive_now;
use elogii_tui::app::model::{InputKind, Load, Model, Screen, StatusKind, TableId, TopView};
use elogii_tui::app::msg::{Action, Cmd, LineEdit, LoadKind, Msg, Signal};
use elogii_tui::app::run::model_for;
use elogii_tui::app::update::{read_day, start, update};
use elogii_tui::config::UiConfig;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use serde_json::json;

const TODAY: Date = date(2026, 12, 3);

fn model() -> Model {
    let mut m = model_for(
        "test".into(),
        &UiConfig::default(),
        vec![],
        false,
        TODAY,
        false,
    );
    update(&mut m, Msg::Resize(80, 24));
    m
}

fn customer(i: usize, name: &str, city: &str) -> Customer {
    serde_json::from_value(json!({
        "_id": format!("{i:024x}"),
        "uid": format!("CUS-{i:08}"),
        "externalId": format!("ext-{i}"),
        "name": name,
        "tags": ["pharmacy"],
        "locations": [{
            "uid": format!("CL-{i:08}"),
            "name": name,
            "address": format!("{i} High Street"),
            "postCode": format!("M{} 1AA", i % 40),
            "city": city,
            "coordinates": [-2.3, 53.4],
            "schedule": { "Mon": { "timeWindows": [{ "start": 510, "end": 1050 }] } }
        }]
    }))
    .unwrap()
}

fn customers(n: usize) -> Vec<Customer> {
    (0..n)
        .map(|i| {
            customer(
                i,
                &format!("Customer {i:03}"),
                if i % 2 == 0 { "Bolton" } else { "Salford" },
            )
        })
        .collect()
}

fn task(i: usize, route: Option<(&str, i64, i64)>, windows: &[(i64, i64)]) -> Task {
    let assignment = match route {
        Some((uid, order, eta)) => json!({
            "state": 1,
            "routeUID": uid,
            "routeOrder": order,
            "eta": eta,
            "assignee": { "info": { "firstName": "Aisha", "lastName": "Marlowe" } }
        }),
        None => json!({ "state": 0 }),
    };
    let windows: Vec<_> = windows
        .iter()
        .map(|(s, e)| json!({"start": s, "end": e}))
        .collect();
    serde_json::from_value(json!({
        "uid": format!("T-{i:08}"),
        "reference": format!("SO{i}"),
        "type": 2,
        "date": 20261203,
        "state": 0,
        "timeWindows": windows,
        "location": { "name": format!("Site {i}"), "address": format!("{i} Road"), "postCode": "M1 1AA" },
        "assignment": assignment
    }))
    .unwrap()
}

/// Starts the model and feeds one page of customers plus the end of the load.
fn loaded_customers(m: &mut Model, list: Vec<Customer>) -> u64 {
    let cmds = start(m);
    let req = match cmds.as_slice() {
        [
            Cmd::Load {
                req,
                kind: LoadKind::Customers,
                date: None,
            },
        ] => *req,
        other => panic!("expected one customers load, got {other:?}"),
    };
    let n = list.len();
    update(m, Msg::CustomersPage { req, page: list });
    update(
        m,
        Msg::Loaded {
            req,
            total: n,
            at: Timestamp::from_second(1_800_000_000).unwrap(),
        },
    );
    req
}

fn act(m: &mut Model, a: Action) -> Vec<Cmd> {
    update(m, Msg::Action(a))
}

fn type_text(m: &mut Model, text: &str) -> Vec<Cmd> {
    let mut all = Vec::new();
    for c in text.chars() {
        all.extend(update(m, Msg::Edit(LineEdit::Insert(c))));
    }
    all
}

fn names(m: &Model) -> Vec<String> {
    let t = &m.customers_table;
    t.rows
        .iter()
        .map(|&i| {
            m.customers
                .recs
                .get(i as usize)
                .unwrap()
                .customer
                .name
                .as_str()
                .to_string()
        })
        .collect()
}

#[test]
fn navigation_moves_pages_and_columns_within_bounds() {
    let mut m = model();
    loaded_customers(&mut m, customers(50));
    assert_eq!(m.customers_table.rows.len(), 50);
    act(&mut m, Action::MoveDown);
    act(&mut m, Action::MoveDown);
    assert_eq!(m.customers_table.selected, 2);
    act(&mut m, Action::MoveUp);
    assert_eq!(m.customers_table.selected, 1);
    act(&mut m, Action::Bottom);
    assert_eq!(m.customers_table.selected, 49);
    act(&mut m, Action::MoveDown);
    assert_eq!(m.customers_table.selected, 49, "stays on the last row");
    // 24 rows: header, status, hints, column titles → 20 rows a page
    assert_eq!(m.customers_table.offset, 30);
    act(&mut m, Action::Top);
    assert_eq!(
        (m.customers_table.selected, m.customers_table.offset),
        (0, 0)
    );
    act(&mut m, Action::PageDown);
    assert_eq!(m.customers_table.selected, 20);
    assert_eq!(m.customers_table.offset, 1);
    act(&mut m, Action::PageUp);
    assert_eq!(m.customers_table.selected, 0);
    act(&mut m, Action::MoveUp);
    assert_eq!(m.customers_table.selected, 0);
    act(&mut m, Action::Left);
    assert_eq!(m.customers_table.col, 0);
    for _ in 0..20 {
        act(&mut m, Action::Right);
    }
    assert_eq!(m.customers_table.col, 8, "clamped to the last column");
    update(&mut m, Msg::Scroll(3));
    assert_eq!(m.customers_table.selected, 3);
}

#[test]
fn enter_opens_customer_then_location_and_q_goes_back_then_quits() {
    let mut m = model();
    loaded_customers(&mut m, customers(5));
    act(&mut m, Action::MoveDown);
    act(&mut m, Action::Open);
    assert!(matches!(m.screen(), Some(Screen::Customer { cust: 1, .. })));
    act(&mut m, Action::Open);
    assert!(matches!(
        m.screen(),
        Some(Screen::Location {
            cust: 1,
            loc: 0,
            field: 0
        })
    ));
    act(&mut m, Action::Bottom);
    assert!(matches!(m.screen(), Some(Screen::Location { field, .. }) if *field > 10));
    act(&mut m, Action::Quit);
    assert!(matches!(m.screen(), Some(Screen::Customer { .. })));
    act(&mut m, Action::Back);
    assert!(m.screen().is_none());
    assert!(!m.quit);
    act(&mut m, Action::Quit);
    assert!(m.quit);
}

#[test]
fn views_switch_and_load_what_they_need_once() {
    let mut m = model();
    loaded_customers(&mut m, customers(3));
    let cmds = act(&mut m, Action::NextView);
    assert_eq!(m.top, TopView::Tasks);
    assert!(
        matches!(
            cmds.as_slice(),
            [
                Cmd::Load { kind: LoadKind::Tasks, date: Some(d), .. },
                Cmd::Load { kind: LoadKind::Routes, date: Some(r), .. },
                Cmd::Load { kind: LoadKind::Depots, .. }
            ] if *d == TODAY && *r == TODAY
        ),
        "tasks, and the routes and depot they open, load: {cmds:?}"
    );
    let cmds = act(&mut m, Action::NextView);
    assert_eq!(m.top, TopView::Routes);
    assert!(cmds.is_empty(), "all of it is loading already: {cmds:?}");
    let cmds = act(&mut m, Action::NextView);
    assert_eq!(m.top, TopView::Customers);
    assert!(cmds.is_empty(), "customers are loaded: {cmds:?}");
    act(&mut m, Action::PrevView);
    assert_eq!(m.top, TopView::Routes);
    act(&mut m, Action::ToggleLocations);
    assert_eq!(m.top, TopView::Locations);
    assert_eq!(m.locations_table.rows.len(), 3);
    act(&mut m, Action::ToggleLocations);
    assert_eq!(m.top, TopView::Customers);

    act(&mut m, Action::Command);
    assert_eq!(m.input.as_ref().map(|l| l.kind), Some(InputKind::Command));
    type_text(&mut m, "tasks 2026-12-24");
    let cmds = update(&mut m, Msg::Edit(LineEdit::Submit));
    assert_eq!(m.top, TopView::Tasks);
    assert_eq!(m.date, date(2026, 12, 24));
    assert!(
        matches!(cmds.as_slice(), [
            Cmd::Load { kind: LoadKind::Tasks, date: Some(d), .. },
            Cmd::Load { kind: LoadKind::Routes, date: Some(r), .. }
        ] if *d == date(2026, 12, 24) && *r == *d),
        "{cmds:?}"
    );

    act(&mut m, Action::Command);
    type_text(&mut m, "frobnicate");
    update(&mut m, Msg::Edit(LineEdit::Submit));
    let status = m.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status.text.contains(":frobnicate") && status.text.contains(":tasks"),
        "{}",
        status.text
    );

    act(&mut m, Action::Command);
    type_text(&mut m, "tasks 2026-02-30");
    update(&mut m, Msg::Edit(LineEdit::Submit));
    assert_eq!(m.status.clone().unwrap().kind, StatusKind::Error);
    assert_eq!(m.date, date(2026, 12, 24), "a bad date changes nothing");

    act(&mut m, Action::Command);
    type_text(&mut m, "q");
    update(&mut m, Msg::Edit(LineEdit::Submit));
    assert!(m.quit);
}

#[test]
fn filter_narrows_as_you_type_inverts_and_clears() {
    let mut m = model();
    let mut list = customers(10);
    list.push(customer(10, "Acme Pharmacy", "Wigan"));
    list.push(customer(11, "Zenith Bakery", "Wigan"));
    loaded_customers(&mut m, list);
    act(&mut m, Action::Filter);
    assert_eq!(m.input.as_ref().map(|l| l.kind), Some(InputKind::Filter));
    let cmds = type_text(&mut m, "acme");
    assert!(cmds.is_empty(), "small tables filter inside update");
    assert_eq!(names(&m), ["Acme Pharmacy"]);
    for _ in 0..4 {
        update(&mut m, Msg::Edit(LineEdit::Backspace));
    }
    assert_eq!(m.customers_table.rows.len(), 12);
    type_text(&mut m, "wigan");
    assert_eq!(names(&m), ["Acme Pharmacy", "Zenith Bakery"]);
    update(&mut m, Msg::Edit(LineEdit::Submit));
    assert!(m.input.is_none());
    assert_eq!(m.customers_table.spec.filter, "wigan");
    assert_eq!(m.customers_table.rows.len(), 2, "Enter keeps the filter");
    // Esc in the table clears the filter before anything else
    act(&mut m, Action::Back);
    assert_eq!(m.customers_table.rows.len(), 12);

    act(&mut m, Action::Filter);
    type_text(&mut m, "!wigan");
    assert_eq!(m.customers_table.rows.len(), 10);
    assert!(!names(&m).iter().any(|n| n.contains("Acme")));
    update(&mut m, Msg::Edit(LineEdit::Cancel));
    assert!(m.input.is_none());
    assert_eq!(m.customers_table.spec.filter, "");
    assert_eq!(
        m.customers_table.rows.len(),
        12,
        "Esc in the line clears the filter"
    );

    // a paste goes into the line, control characters stripped
    act(&mut m, Action::Filter);
    update(&mut m, Msg::Paste("Ze\u{1b}[2J\u{7}nith\n".into()));
    assert_eq!(m.input.as_ref().unwrap().text, "Ze[2Jnith ");
    update(&mut m, Msg::Edit(LineEdit::Clear));
    update(&mut m, Msg::Paste("Zenith".into()));
    assert_eq!(names(&m), ["Zenith Bakery"]);
}

#[test]
fn sort_by_current_column_ascending_descending_and_off() {
    let mut m = model();
    let list = vec![
        customer(0, "Stop 10", "B"),
        customer(1, "stop 9", "A"),
        customer(2, "Stop 100", "C"),
        customer(3, "", "D"),
    ];
    loaded_customers(&mut m, list);
    act(&mut m, Action::SortAsc);
    assert_eq!(
        names(&m),
        ["stop 9", "Stop 10", "Stop 100", ""],
        "natural order, empty last"
    );
    act(&mut m, Action::SortDesc);
    assert_eq!(names(&m), ["Stop 100", "Stop 10", "stop 9", ""]);
    act(&mut m, Action::SortDesc);
    assert_eq!(
        names(&m),
        ["Stop 10", "stop 9", "Stop 100", ""],
        "again: load order"
    );
    // sort by city (column 7)
    for _ in 0..7 {
        act(&mut m, Action::Right);
    }
    act(&mut m, Action::SortAsc);
    assert_eq!(names(&m), ["stop 9", "Stop 10", "Stop 100", ""]);
    assert!(m.status.as_ref().unwrap().text.contains("City"));
}

#[test]
fn days_step_and_stale_pages_of_the_old_day_are_dropped() {
    let mut m = model();
    start(&mut m);
    let cmds = act(&mut m, Action::NextView);
    let Some(Cmd::Load { req: first, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let first = *first;
    let cmds = act(&mut m, Action::NextDay);
    assert_eq!(m.date, date(2026, 12, 4));
    let Some(Cmd::Load {
        req: second,
        date: Some(d),
        ..
    }) = cmds.first()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*d, date(2026, 12, 4));
    assert_ne!(first, *second);
    let second = *second;
    // a page for the old day arrives late: dropped
    update(
        &mut m,
        Msg::TasksPage {
            req: first,
            page: vec![task(1, None, &[])],
        },
    );
    assert_eq!(m.tasks.recs.len(), 0);
    update(
        &mut m,
        Msg::TasksPage {
            req: second,
            page: vec![task(2, None, &[]), task(3, None, &[])],
        },
    );
    assert_eq!(m.tasks.recs.len(), 2);
    assert!(matches!(m.tasks.load, Load::Loading { received: 2, .. }));
    update(
        &mut m,
        Msg::Loaded {
            req: first,
            total: 1,
            at: Timestamp::UNIX_EPOCH,
        },
    );
    assert!(m.tasks.load.is_loading(), "the old day's end is stale too");
    act(&mut m, Action::PrevDay);
    act(&mut m, Action::PrevDay);
    assert_eq!(m.date, date(2026, 12, 2));
    // the customers view does not load tasks when the day changes
    act(&mut m, Action::NextView);
    act(&mut m, Action::NextView);
    assert_eq!(m.top, TopView::Customers);
    assert!(act(&mut m, Action::NextDay).is_empty());
}

#[test]
fn reload_drops_pages_of_the_earlier_request_and_counts_against_the_last_total() {
    let mut m = model();
    let req = loaded_customers(&mut m, customers(4));
    let cmds = act(&mut m, Action::Reload);
    let Some(Cmd::Load {
        req: again,
        kind: LoadKind::Customers,
        ..
    }) = cmds.first()
    else {
        panic!("{cmds:?}")
    };
    assert_ne!(req, *again);
    assert!(matches!(
        m.customers.load,
        Load::Loading {
            expected: Some(4),
            ..
        }
    ));
    update(
        &mut m,
        Msg::CustomersPage {
            req,
            page: customers(4),
        },
    );
    assert_eq!(m.customers.recs.len(), 0);
    let again = *again;
    update(
        &mut m,
        Msg::CustomersPage {
            req: again,
            page: customers(2),
        },
    );
    assert_eq!(m.customers_table.rows.len(), 2);
    update(
        &mut m,
        Msg::LoadFailed {
            req: again,
            error: "eLogii answered 503 (server error): down".into(),
        },
    );
    let s = m.status.clone().unwrap();
    assert_eq!(s.kind, StatusKind::Error);
    assert!(
        s.text
            .starts_with("Could not load customers: eLogii answered 503"),
        "{}",
        s.text
    );
    assert!(!s.text.contains('\n'));
    assert_eq!(m.customers.recs.len(), 4, "the earlier rows are back");
    assert_eq!(m.customers_table.rows.len(), 4);
    assert!(matches!(m.customers.load, Load::Done { total: 4, .. }));
    let header = elogii_tui::view::header_text(&m, 200);
    assert!(
        header.contains("4 customers · stale: reload failed (eLogii answered 503"),
        "{header}"
    );
}

#[test]
fn a_failed_first_load_says_not_loaded() {
    let mut m = model();
    let cmds = start(&mut m);
    let [Cmd::Load { req, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    update(
        &mut m,
        Msg::LoadFailed {
            req: *req,
            error: "connection refused".into(),
        },
    );
    assert!(matches!(m.customers.load, Load::Failed { .. }));
    assert!(m.customers.stale.is_none());
    let header = elogii_tui::view::header_text(&m, 200);
    assert!(header.contains("not loaded"), "{header}");
    assert!(!header.contains("stale"), "{header}");
}

#[test]
fn a_failed_reload_of_tasks_keeps_the_rows_of_that_date_and_a_good_one_clears_stale() {
    let mut m = model();
    loaded_customers(&mut m, customers(1));
    let cmds = act(&mut m, Action::NextView);
    let [
        Cmd::Load {
            req,
            kind: LoadKind::Tasks,
            ..
        },
        ..,
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    let req = *req;
    let at = Timestamp::from_second(1_800_000_000).unwrap();
    let page: Vec<Task> = (0..3).map(|i| task(i, None, &[])).collect();
    update(&mut m, Msg::TasksPage { req, page });
    update(&mut m, Msg::Loaded { req, total: 3, at });
    act(&mut m, Action::MoveDown);
    assert_eq!(m.tasks_table.selected, 1);

    let cmds = act(&mut m, Action::Reload);
    let [
        Cmd::Load {
            req: again,
            kind: LoadKind::Tasks,
            ..
        },
        ..,
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    let again = *again;
    assert_eq!(m.tasks.recs.len(), 0, "rows come again while reloading");
    update(
        &mut m,
        Msg::LoadFailed {
            req: again,
            error: "eLogii answered 502 (server error)".into(),
        },
    );
    assert_eq!(m.tasks.recs.len(), 3);
    assert_eq!(m.tasks_table.rows.len(), 3);
    assert_eq!(m.tasks_table.selected, 1, "the cursor stays where it was");
    let header = elogii_tui::view::header_text(&m, 200);
    assert!(
        header.contains("3 tasks · stale: reload failed"),
        "{header}"
    );
    let narrow = elogii_tui::view::header_text(&m, 50);
    assert!(
        narrow.contains("stale"),
        "narrow headers still say so: {narrow}"
    );
    assert_eq!(m.status.as_ref().map(|s| s.kind), Some(StatusKind::Error));

    // a good reload takes the new rows and the mark goes
    let cmds = act(&mut m, Action::Reload);
    let [
        Cmd::Load {
            req: third,
            kind: LoadKind::Tasks,
            ..
        },
        ..,
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    let third = *third;
    let page: Vec<Task> = (0..2).map(|i| task(i, None, &[])).collect();
    update(&mut m, Msg::TasksPage { req: third, page });
    update(
        &mut m,
        Msg::Loaded {
            req: third,
            total: 2,
            at,
        },
    );
    assert_eq!(m.tasks.recs.len(), 2);
    assert!(m.tasks.stale.is_none());
    assert!(!elogii_tui::view::header_text(&m, 200).contains("stale"));
}

#[test]
fn big_tables_filter_off_the_loop_and_stale_results_are_dropped() {
    let mut m = model();
    m.sync_limit = 10;
    loaded_customers(&mut m, customers(40));
    act(&mut m, Action::Filter);
    let c1 = type_text(&mut m, "1");
    let [Cmd::Derive { generation: g1, .. }] = c1.as_slice() else {
        panic!("{c1:?}")
    };
    let c2 = type_text(&mut m, "2");
    let [Cmd::Derive { generation: g2, .. }] = c2.as_slice() else {
        panic!("{c2:?}")
    };
    assert!(g2 > g1);
    assert_eq!(
        m.customers_table.rows.len(),
        40,
        "rows stay until a result comes"
    );
    // the newer result arrives first, then the stale one
    let r2 = derive_now(&c2[0]).unwrap();
    let r1 = derive_now(&c1[0]).unwrap();
    update(&mut m, r2);
    let after_new = m.customers_table.rows.clone();
    assert!(
        after_new.len() < 40 && !after_new.is_empty(),
        "{after_new:?}"
    );
    update(&mut m, r1);
    assert_eq!(m.customers_table.rows, after_new, "stale result dropped");
    // a result with a forged generation is dropped too
    update(
        &mut m,
        Msg::Derived {
            table: TableId::Customers,
            generation: 999,
            rows: vec![],
            derived_from: 40,
        },
    );
    assert_eq!(m.customers_table.rows, after_new);
}

#[test]
fn rows_arriving_during_a_background_filter_are_filtered_after_it() {
    let mut m = model();
    m.sync_limit = 5;
    let cmds = start(&mut m);
    let Some(Cmd::Load { req, .. }) = cmds.first() else {
        panic!()
    };
    let req = *req;
    update(
        &mut m,
        Msg::CustomersPage {
            req,
            page: customers(20),
        },
    );
    act(&mut m, Action::Filter);
    let cmds = type_text(&mut m, "Salford");
    assert_eq!(cmds.len(), 7, "one job a keystroke");
    let job = cmds.last().unwrap().clone();
    // more rows arrive while the job runs: no new job yet
    let more: Vec<Customer> = (20..30)
        .map(|i| customer(i, &format!("Customer {i}"), "Salford"))
        .collect();
    let cmds = update(&mut m, Msg::CustomersPage { req, page: more });
    assert!(cmds.is_empty(), "{cmds:?}");
    // the job reports: the table takes its rows and asks again for the new data
    let cmds = update(&mut m, derive_now(&job).unwrap());
    assert_eq!(m.customers_table.rows.len(), 10);
    let [again @ Cmd::Derive { .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    update(&mut m, derive_now(again).unwrap());
    assert_eq!(m.customers_table.rows.len(), 20);
}

#[test]
fn routes_come_from_tasks_grouped_and_ordered_with_late_stops() {
    let mut m = model();
    start(&mut m);
    let cmds = act(&mut m, Action::NextView);
    act(&mut m, Action::NextView);
    assert_eq!(m.top, TopView::Routes);
    let routes_req = match cmds.as_slice() {
        [
            Cmd::Load {
                kind: LoadKind::Tasks,
                ..
            },
            Cmd::Load {
                req,
                kind: LoadKind::Routes,
                ..
            },
            Cmd::Load {
                kind: LoadKind::Depots,
                ..
            },
        ] => *req,
        other => panic!("{other:?}"),
    };
    let tasks_req = m.tasks.load.req().unwrap();
    let tasks = vec![
        task(1, Some(("R-B", 2, 600)), &[(540, 1020)]),
        task(2, Some(("R-A", 1, 500)), &[(540, 1020)]),
        task(3, Some(("R-B", 1, 560)), &[(540, 550)]), // eta 560 after 550: late
        task(4, None, &[]),
        task(5, Some(("R-B", 3, 700)), &[(540, 600), (650, 690)]), // late
    ];
    update(
        &mut m,
        Msg::TasksPage {
            req: tasks_req,
            page: tasks,
        },
    );
    update(
        &mut m,
        Msg::Loaded {
            req: tasks_req,
            total: 5,
            at: Timestamp::UNIX_EPOCH,
        },
    );
    let meta: Vec<Route> = vec![
        serde_json::from_value(json!({"uid": "R-A", "locked": true, "vehicle": {"name": "Van 01", "registration": "EL24 QIA"}, "driver": {"firstName": "Tomasz", "lastName": "Wrenfield"}})).unwrap(),
        serde_json::from_value(json!({"uid": "R-EMPTY", "locked": false})).unwrap(),
    ];
    update(
        &mut m,
        Msg::RoutesPage {
            req: routes_req,
            page: meta,
        },
    );
    let recs = m.routes.recs.clone();
    let uids: Vec<&str> = recs.iter().map(|r| r.uid.as_str()).collect();
    assert_eq!(uids, ["R-A", "R-EMPTY", "R-B"]);
    let b = &recs[2];
    let refs: Vec<String> = b
        .stops
        .iter()
        .map(|&i| {
            m.tasks
                .recs
                .get(i as usize)
                .unwrap()
                .task
                .reference
                .as_str()
                .to_string()
        })
        .collect();
    assert_eq!(refs, ["SO3", "SO1", "SO5"]);
    assert_eq!(
        (b.first_eta, b.last_eta, b.late()),
        (Some(560), Some(700), 2)
    );
    assert_eq!(
        b.driver, "Aisha Marlowe",
        "from the tasks when GET /routes has none"
    );
    assert_eq!(recs[0].driver, "Tomasz Wrenfield");
    assert_eq!(recs[0].vehicle, "Van 01 (EL24 QIA)");
    assert_eq!(recs[0].locked, Some(true));
    assert_eq!(m.routes_table.rows.len(), 3);
    // Enter on R-B shows its stops in order
    act(&mut m, Action::Bottom);
    act(&mut m, Action::Open);
    match m.screen() {
        Some(Screen::Route { uid, table }) => {
            assert_eq!(uid, "R-B");
            assert_eq!(table.rows, [0, 1, 2]);
        }
        other => panic!("{other:?}"),
    }
    // Enter on a task opens its route with the cursor on that stop
    act(&mut m, Action::Quit);
    act(&mut m, Action::PrevView);
    assert_eq!(m.top, TopView::Tasks);
    act(&mut m, Action::Open); // task 1: R-B stop 2
    match m.screen() {
        Some(Screen::Route { uid, table }) => {
            assert_eq!((uid.as_str(), table.selected), ("R-B", 1))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn copy_gives_the_cell_under_the_cursor() {
    let mut m = model();
    loaded_customers(&mut m, customers(3));
    act(&mut m, Action::MoveDown);
    act(&mut m, Action::Right);
    let cmds = act(&mut m, Action::Copy);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Copy(t)] if t == "ext-1"),
        "{cmds:?}"
    );
    assert!(m.status.as_ref().unwrap().text.contains("ext-1"));
}

#[test]
fn ticks_redraw_only_when_the_age_text_changes() {
    let mut m = model();
    let t0 = Timestamp::from_second(1_800_000_000).unwrap();
    loaded_customers(&mut m, customers(2));
    m.dirty = false;
    update(
        &mut m,
        Msg::Tick(t0.checked_add(jiff::SignedDuration::from_secs(20)).unwrap()),
    );
    assert!(!m.dirty, "still 'just now'");
    update(
        &mut m,
        Msg::Tick(
            t0.checked_add(jiff::SignedDuration::from_secs(190))
                .unwrap(),
        ),
    );
    assert!(m.dirty);
    assert_eq!(elogii_tui::view::age_label(&m), "loaded 3 min ago");
    m.dirty = false;
    update(
        &mut m,
        Msg::Tick(
            t0.checked_add(jiff::SignedDuration::from_secs(200))
                .unwrap(),
        ),
    );
    assert!(!m.dirty);
}

#[test]
fn signals_and_a_closed_input_quit() {
    for msg in [
        Msg::Signal(Signal::Hangup),
        Msg::Signal(Signal::Terminate),
        Msg::InputClosed("eof".into()),
    ] {
        let mut m = model();
        update(&mut m, msg);
        assert!(m.quit);
    }
    // A stop goes the way of Ctrl-z; a continue redraws (raw mode again).
    let mut m = model();
    let cmds = update(&mut m, Msg::Signal(Signal::Stop));
    assert!(matches!(cmds.as_slice(), [Cmd::Suspend]), "{cmds:?}");
    assert!(matches!(
        act(&mut m, Action::Suspend).as_slice(),
        [Cmd::Suspend]
    ));
    let cmds = update(&mut m, Msg::Signal(Signal::Continue));
    assert!(matches!(cmds.as_slice(), [Cmd::Redraw]), "{cmds:?}");
    update(&mut m, Msg::SuspendRefused("no shell".into()));
    assert!(!m.quit);
    assert_eq!(m.status.as_ref().map(|s| s.text.as_str()), Some("no shell"));
}

#[test]
fn key_binding_problems_are_shown_at_start() {
    let mut keys = BTreeMap::new();
    keys.insert("jump".to_string(), vec!["x".to_string()]);
    keys.insert("move_down".to_string(), vec!["Hyper-j".to_string()]);
    let ui = UiConfig {
        keys,
        ..UiConfig::default()
    };
    let m = model_for(
        "p".into(),
        &ui,
        vec!["config warning".into()],
        false,
        TODAY,
        false,
    );
    let s = m.status.clone().unwrap();
    assert_eq!(s.kind, StatusKind::Warning);
    assert!(
        s.text.contains("config warning") && s.text.contains("jump") && s.text.contains("Hyper-j"),
        "{}",
        s.text
    );
}

#[test]
fn days_parse_in_several_forms() {
    assert_eq!(read_day("today", TODAY).unwrap(), TODAY);
    assert_eq!(read_day("tomorrow", TODAY).unwrap(), date(2026, 12, 4));
    assert_eq!(read_day("+7", TODAY).unwrap(), date(2026, 12, 10));
    assert_eq!(read_day("-3", TODAY).unwrap(), date(2026, 11, 30));
    assert_eq!(read_day("20261224", TODAY).unwrap(), date(2026, 12, 24));
    assert!(read_day("soon", TODAY).unwrap_err().contains("YYYY-MM-DD"));
}

#[test]
fn a_paste_into_the_filter_starts_one_job_not_one_a_character() {
    let mut m = model();
    m.sync_limit = 10;
    loaded_customers(&mut m, customers(40));
    act(&mut m, Action::Filter);
    let cmds = update(&mut m, Msg::Paste("Salford\tCustomer".into()));
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    assert_eq!(m.input.as_ref().unwrap().text, "Salford Customer");
    assert_eq!(m.input.as_ref().unwrap().cursor, 16);
    update(&mut m, derive_now(&cmds[0]).unwrap());
    assert_eq!(m.customers_table.rows.len(), 20);
    // a paste with nothing printable does nothing
    assert!(update(&mut m, Msg::Paste("\u{1b}\u{7}".into())).is_empty());
}

#[test]
fn a_growing_filter_only_rechecks_the_rows_that_matched() {
    let mut m = model();
    m.sync_limit = 10;
    loaded_customers(&mut m, customers(40));
    act(&mut m, Action::Filter);
    let first = type_text(&mut m, "S");
    assert!(matches!(
        first.as_slice(),
        [Cmd::Derive {
            candidates: None,
            ..
        }]
    ));
    update(&mut m, derive_now(&first[0]).unwrap());
    let matched = m.customers_table.rows.clone();
    let next = type_text(&mut m, "alford");
    // one job a key; only the first after a result can narrow (later ones wait for nothing)
    let Cmd::Derive {
        candidates: Some(c),
        ..
    } = &next[0]
    else {
        panic!("{:?}", next[0])
    };
    assert_eq!(&c[..], &matched[..]);
    update(&mut m, derive_now(next.last().unwrap()).unwrap());
    assert_eq!(m.customers_table.rows.len(), 20);
    // deleting a character widens the filter: all rows again
    let wider = update(&mut m, Msg::Edit(LineEdit::Backspace));
    assert!(matches!(
        wider.as_slice(),
        [Cmd::Derive {
            candidates: None,
            ..
        }]
    ));
}

fn command(m: &mut Model, text: &str) -> Vec<Cmd> {
    act(m, Action::Command);
    for c in text.chars() {
        update(m, Msg::Edit(LineEdit::Insert(c)));
    }
    update(m, Msg::Edit(LineEdit::Submit))
}

fn status_text(m: &Model) -> String {
    m.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn commands_take_any_case_and_unique_starts() {
    let mut m = model();
    loaded_customers(&mut m, customers(2));
    command(&mut m, "TASKS");
    assert_eq!(m.top, TopView::Tasks);
    command(&mut m, "cu");
    assert_eq!(m.top, TopView::Customers);
    command(&mut m, "ro");
    assert_eq!(m.top, TopView::Routes);
    command(&mut m, "task");
    assert_eq!(m.top, TopView::Tasks);
    command(&mut m, "Cust");
    assert_eq!(m.top, TopView::Customers);
    command(&mut m, "st");
    assert!(matches!(m.screen(), Some(Screen::Staged { .. })));
    act(&mut m, Action::Quit);
    // ambiguous and unknown words say so
    command(&mut m, "re");
    let s = status_text(&m);
    assert!(s.contains(":reload") && s.contains(":redo"), "{s}");
    command(&mut m, "frobnicate");
    assert!(status_text(&m).starts_with("Unknown command :frobnicate"));
}

#[test]
fn commands_with_a_missing_extra_or_bad_argument_answer_with_their_usage() {
    let mut m = model();
    loaded_customers(&mut m, customers(2));
    command(&mut m, "customers extra");
    assert_eq!(
        status_text(&m),
        ":customers takes no arguments (one row a customer)."
    );
    assert_eq!(m.status.as_ref().map(|s| s.kind), Some(StatusKind::Error));

    let before = m.date;
    // Alone, :date says the day shown and how to change it.
    command(&mut m, "date");
    let s = status_text(&m);
    assert!(
        s.starts_with(&format!("Tasks and routes show {before} ")),
        "{s}"
    );
    assert!(
        s.contains(" Write :date DATE: ") && s.contains("tomorrow"),
        "{s}"
    );
    assert_eq!(m.status.as_ref().map(|s| s.kind), Some(StatusKind::Info));
    assert_eq!(m.date, before);

    command(&mut m, "date someday");
    let s = status_text(&m);
    assert!(s.starts_with("Write :date DATE: "), "{s}");
    assert!(s.contains("\"someday\" is not a date"), "{s}");

    command(&mut m, "risk");
    assert!(status_text(&m).starts_with("Write :risk N: "));
    command(&mut m, "tasks 2026-13-45");
    assert!(status_text(&m).starts_with("Write :tasks [DATE] [STATE] [TEXT]"));
    command(&mut m, "late nope");
    assert!(status_text(&m).starts_with("Write :late [DATE]"));
    command(&mut m, "help me");
    assert!(status_text(&m).starts_with(":help takes no arguments"));
    assert!(m.screen().is_none());

    // :date in the customers view says what it changed
    command(&mut m, "date tomorrow");
    assert_eq!(m.date, date(2026, 12, 4));
    assert_eq!(status_text(&m), "Tasks and routes now show 2026-12-04.");
}

#[test]
fn copy_says_what_was_sent_and_gives_the_tmux_hint_once() {
    let mut m = model();
    loaded_customers(&mut m, customers(2));
    let cmds = act(&mut m, Action::Copy);
    let [Cmd::Copy(text)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        status_text(&m),
        format!("Sent “{text}” to your terminal's clipboard (OSC 52).")
    );
    m.tmux = true;
    act(&mut m, Action::Copy);
    assert!(
        status_text(&m).ends_with("(OSC 52); in tmux this needs `set -g set-clipboard on`."),
        "{}",
        status_text(&m)
    );
    act(&mut m, Action::Copy);
    assert!(
        !status_text(&m).contains("tmux"),
        "once a session: {}",
        status_text(&m)
    );
}

#[test]
fn the_header_names_the_host_next_to_the_profile() {
    use elogii_tui::app::run::header_profile;
    assert_eq!(
        header_profile("default", "http://127.0.0.1:8099"),
        "default @ 127.0.0.1:8099"
    );
    assert_eq!(
        header_profile("acme", "https://api.elogii.com/"),
        "acme @ api.elogii.com"
    );
    assert_eq!(header_profile("demo", "http://127.0.0.1:40123"), "demo");
    assert_eq!(header_profile("odd", "not a url"), "odd");
    let m = model_for(
        header_profile("default", "http://127.0.0.1:8099"),
        &UiConfig::default(),
        vec![],
        false,
        TODAY,
        false,
    );
    assert!(
        elogii_tui::view::header_text(&m, 120).contains("default @ 127.0.0.1:8099 · Customers"),
        "{}",
        elogii_tui::view::header_text(&m, 120)
    );
}

#[test]
fn only_tasks_and_routes_show_the_date_in_the_header() {
    let mut m = model();
    loaded_customers(&mut m, customers(2));
    let h = elogii_tui::view::header_text(&m, 200);
    assert!(!h.contains("2026-12-03"), "customers have no date: {h}");
    act(&mut m, Action::ToggleLocations);
    let h = elogii_tui::view::header_text(&m, 200);
    assert!(!h.contains("2026-12-03"), "{h}");
    act(&mut m, Action::NextView);
    let h = elogii_tui::view::header_text(&m, 200);
    assert!(h.contains("Tasks · 2026-12-03 Thu"), "{h}");
}

/// Presses `r` and returns the customers reload's request id.
fn reload_customers(m: &mut Model) -> u64 {
    let cmds = act(m, Action::Reload);
    match cmds.as_slice() {
        [
            Cmd::Load {
                req,
                kind: LoadKind::Customers,
                ..
            },
        ] => *req,
        other => panic!("expected a customers reload, got {other:?}"),
    }
}

#[test]
fn reload_on_a_customer_or_location_screen_stays_on_the_same_record() {
    let mut m = model();
    loaded_customers(&mut m, customers(5));
    m.customers_table.selected = 2;
    act(&mut m, Action::Open);
    act(&mut m, Action::Open);
    assert!(matches!(
        m.screen(),
        Some(Screen::Location {
            cust: 2,
            loc: 0,
            ..
        })
    ));
    // The reload comes back in another order: customer 2 is now at index 0.
    let req = reload_customers(&mut m);
    let mut list = customers(5);
    list.reverse();
    list.swap(0, 2);
    update(&mut m, Msg::CustomersPage { req, page: list });
    update(
        &mut m,
        Msg::Loaded {
            req,
            total: 5,
            at: Timestamp::from_second(1_800_000_060).unwrap(),
        },
    );
    assert_eq!(m.stack.len(), 2, "{:?}", m.stack);
    assert!(
        matches!(m.stack[0], Screen::Customer { cust: 0, .. }),
        "{:?}",
        m.stack
    );
    assert!(matches!(
        m.screen(),
        Some(Screen::Location {
            cust: 0,
            loc: 0,
            ..
        })
    ));
    let c = &m.customers.recs.get(0).unwrap().customer;
    assert_eq!(
        serde_json::to_value(c).unwrap()["_id"],
        json!(format!("{:024x}", 2))
    );

    // A failed reload keeps the screens and the earlier data, said stale with its age.
    let req = reload_customers(&mut m);
    update(
        &mut m,
        Msg::LoadFailed {
            req,
            error: "connection refused".into(),
        },
    );
    assert!(matches!(
        m.screen(),
        Some(Screen::Location {
            cust: 0,
            loc: 0,
            ..
        })
    ));
    assert_eq!(m.stack.len(), 2);
    let header = elogii_tui::view::header_text(&m, 200);
    assert!(header.contains("stale"), "{header}");
    assert!(header.contains("loaded "), "{header}");

    // The record is gone after the next reload: its screens close, saying so.
    let req = reload_customers(&mut m);
    let list: Vec<Customer> = customers(5)
        .into_iter()
        .filter(|c| serde_json::to_value(c).unwrap()["_id"] != json!(format!("{:024x}", 2)))
        .collect();
    update(&mut m, Msg::CustomersPage { req, page: list });
    update(
        &mut m,
        Msg::Loaded {
            req,
            total: 4,
            at: Timestamp::from_second(1_800_000_120).unwrap(),
        },
    );
    assert!(m.stack.is_empty(), "{:?}", m.stack);
    let status = m.status.as_ref().unwrap().text.clone();
    assert!(status.contains("no longer on eLogii"), "{status}");
}

#[test]
fn a_screen_too_small_to_show_anything_drops_keys_that_would_act_unseen() {
    use elogii_tui::app::keymap::{Mode, translate};
    use elogii_tui::app::run::mode_of;
    use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    let mut m = model();
    loaded_customers(&mut m, customers(5));
    let key = |c: char| Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    assert_eq!(mode_of(&m), Mode::Normal);
    update(&mut m, Msg::Resize(20, 5));
    assert_eq!(mode_of(&m), Mode::Hidden);
    let b = m.bindings.clone();
    // Editing, sending, moving and pasting do nothing while nothing shows.
    for c in ['e', 'W', 'j', 'E', 'u', '/', ':'] {
        assert!(translate(&b, Mode::Hidden, &key(c)).is_none(), "{c}");
    }
    assert!(translate(&b, Mode::Hidden, &Event::Paste("x".into())).is_none());
    // Quitting and redrawing still work; so does a resize.
    assert!(matches!(
        translate(&b, Mode::Hidden, &key('q')),
        Some(Msg::Action(Action::Quit))
    ));
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(matches!(
        translate(&b, Mode::Hidden, &ctrl_c),
        Some(Msg::Action(Action::ForceQuit))
    ));
    assert!(matches!(
        translate(&b, Mode::Hidden, &Event::Resize(80, 24)),
        Some(Msg::Resize(80, 24))
    ));
    // Back to a usable size: keys act again.
    update(&mut m, Msg::Resize(80, 24));
    assert_eq!(mode_of(&m), Mode::Normal);
    assert!(matches!(
        translate(&b, mode_of(&m), &key('j')),
        Some(Msg::Action(Action::MoveDown))
    ));
}

#[test]
fn day_offsets_count_from_today_and_brackets_step_from_the_day_shown() {
    let mut m = model();
    loaded_customers(&mut m, customers(2));
    // The day shown is tomorrow; +2 is still two days from today.
    command(&mut m, "late tomorrow");
    assert_eq!(m.date, date(2026, 12, 4));
    command(&mut m, "late +2");
    assert_eq!(m.date, date(2026, 12, 5));
    command(&mut m, "date +7");
    assert_eq!(m.date, date(2026, 12, 10));
    command(&mut m, "date -1");
    assert_eq!(m.date, date(2026, 12, 2));
    command(&mut m, "tasks +2");
    assert_eq!(m.date, date(2026, 12, 5));
    command(&mut m, "routes -3");
    assert_eq!(m.date, date(2026, 11, 30));
    // `]` steps from the day shown.
    act(&mut m, Action::NextDay);
    assert_eq!(m.date, date(2026, 12, 1));
    command(&mut m, "t +1");
    assert_eq!(m.date, date(2026, 12, 4));
    assert_eq!(read_day("+2", TODAY).unwrap(), date(2026, 12, 5));
}

#[test]
fn a_word_that_is_no_day_or_state_filters_and_says_so() {
    let mut m = model();
    loaded_customers(&mut m, customers(2));
    // A typo of a day: a filter, said so, with the day it is close to.
    command(&mut m, "ta tomorow");
    let s = m.status.clone().unwrap();
    assert_eq!(s.kind, StatusKind::Warning, "{}", s.text);
    assert!(
        s.text
            .starts_with("Filtering by “tomorow”: did you mean tomorrow? (days: today, tomorrow, yesterday, +N, -N, YYYY-MM-DD; states: created, open,"),
        "{}",
        s.text
    );
    assert_eq!(m.tasks_table.spec.filter, "tomorow");
    assert_eq!(m.date, TODAY);
    command(&mut m, "tasks faild");
    assert!(
        status_text(&m).contains("did you mean failed?"),
        "{}",
        status_text(&m)
    );
    assert_eq!(m.tasks_table.spec.scope, "");
    // A word near nothing (a driver's name) filters, and says what else it could be.
    command(&mut m, "tasks Aisha");
    let s = m.status.clone().unwrap();
    assert_eq!(s.kind, StatusKind::Info);
    assert!(
        s.text.starts_with(
            "Filtering by “Aisha” (not a day: today, tomorrow, yesterday, +N, -N, YYYY-MM-DD; nor a state: created, open,"
        ) && s.text.ends_with("unassigned) (Esc clears it)."),
        "{}",
        s.text
    );
    assert_eq!(m.tasks_table.spec.filter, "Aisha");
    // A state and a filter: both said.
    command(&mut m, "tasks failed Aisha");
    assert_eq!(m.tasks_table.spec.scope, "failed");
    assert_eq!(m.tasks_table.spec.filter, "Aisha");
    let s = status_text(&m);
    assert!(
        s.starts_with("Showing failed: ") && s.contains(", filtering by “Aisha” (not a day"),
        "{s}"
    );
    assert!(
        s.ends_with("(Esc clears the filter, again the state)."),
        "{s}"
    );
    // Several states: refused, nothing changes.
    command(&mut m, "tasks today failed late open");
    let s = m.status.clone().unwrap();
    assert_eq!(s.kind, StatusKind::Error);
    assert!(
        s.text.starts_with("Write :tasks [DATE] [STATE] [TEXT]")
            && s.text
                .ends_with("(one state at a time, and failed, late, open are 3)."),
        "{}",
        s.text
    );
    assert_eq!(m.tasks_table.spec.scope, "failed");
    assert_eq!(m.tasks_table.spec.filter, "Aisha");
    command(&mut m, "routes late locked");
    assert!(
        status_text(&m).ends_with("(one scope at a time, and late, locked are 2)."),
        "{}",
        status_text(&m)
    );
    assert_eq!(m.top, TopView::Tasks, "a refused command changes nothing");
    // The same state twice is one state.
    command(&mut m, "routes late late");
    assert_eq!(m.top, TopView::Routes);
    assert_eq!(m.routes_table.spec.scope, "late");
    assert!(status_text(&m).starts_with("Showing late: "));
    // Where only a day is taken, a near miss is named.
    command(&mut m, "date tomorow");
    let s = status_text(&m);
    assert!(
        s.starts_with("Write :date DATE: ")
            && s.contains("\"tomorow\" is not a day: did you mean tomorrow?"),
        "{s}"
    );
    command(&mut m, "late yesturday");
    assert!(
        status_text(&m).contains("did you mean yesterday?"),
        "{}",
        status_text(&m)
    );
    assert_eq!(m.date, TODAY);
}

#[test]
fn a_huge_paste_into_the_filter_or_command_line_is_cut_and_says_so() {
    let mut m = model();
    m.sync_limit = 10;
    loaded_customers(&mut m, customers(40));
    act(&mut m, Action::Filter);
    // 54 KB, as a mistaken paste of a whole file.
    let big = "Salford Customer\n".repeat(54_000 / 17);
    let cmds = update(&mut m, Msg::Paste(big.clone()));
    assert_eq!(cmds.len(), 1, "one filter job: {cmds:?}");
    let line = m.input.clone().unwrap();
    assert_eq!(line.text.chars().count(), 500);
    assert_eq!(line.cursor, 500);
    assert!(big.replace('\n', " ").starts_with(&line.text));
    let s = m.status.clone().unwrap();
    assert_eq!(s.kind, StatusKind::Warning);
    assert_eq!(
        s.text,
        format!(
            "The filter takes at most 500 characters: the paste was cut ({} left out).",
            big.chars().count() - 500
        )
    );
    // Full: a typed character is refused too, and said so.
    m.status = None;
    assert!(update(&mut m, Msg::Edit(LineEdit::Insert('x'))).is_empty());
    assert_eq!(m.input.as_ref().unwrap().text.chars().count(), 500);
    assert_eq!(status_text(&m), "The filter takes at most 500 characters.");
    // Room for part of a paste: that part goes in.
    for _ in 0..10 {
        update(&mut m, Msg::Edit(LineEdit::Backspace));
    }
    update(&mut m, Msg::Paste("abcdefghijklmnop".into()));
    let text = m.input.as_ref().unwrap().text.clone();
    assert!(text.ends_with("abcdefghij"), "{text}");
    assert_eq!(text.chars().count(), 500);
    assert!(
        status_text(&m).contains("(6 left out)"),
        "{}",
        status_text(&m)
    );
    update(&mut m, Msg::Edit(LineEdit::Submit));
    assert_eq!(m.customers_table.spec.filter.chars().count(), 500);
    // The command line takes as much.
    act(&mut m, Action::Command);
    update(&mut m, Msg::Paste(big));
    assert_eq!(m.input.as_ref().unwrap().text.chars().count(), 500);
    assert!(
        status_text(&m).starts_with("The command line takes at most 500 characters"),
        "{}",
        status_text(&m)
    );
}

#[test]
fn a_long_filter_line_scrolls_to_keep_the_cursor_in_view() {
    use elogii_tui::app::msg::LineEdit;
    let mut m = model();
    loaded_customers(&mut m, customers(5));
    update(&mut m, Msg::Resize(40, 12));
    act(&mut m, Action::Filter);
    for _ in 0..300 {
        update(&mut m, Msg::Edit(LineEdit::Insert('a')));
    }
    for c in "XYZ".chars() {
        update(&mut m, Msg::Edit(LineEdit::Insert(c)));
    }
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(40, 12)).unwrap();
    term.draw(|f| elogii_tui::view::view(&m, f)).unwrap();
    let text = term.backend().to_string();
    let line = text.lines().nth(10).unwrap_or_default();
    // The end of what was typed shows, right before the cursor, at the edge.
    assert!(line.contains("aaaXYZ"), "{line}");
    let pos = term.get_cursor_position().unwrap();
    assert!(pos.x < 40 && pos.x >= 35, "{pos:?}");
}

#[test]
fn a_day_without_tasks_says_which_day_and_the_demo_says_which_days_it_plans() {
    let screen = |profile: &str| {
        let mut m = model_for(
            profile.into(),
            &UiConfig::default(),
            vec![],
            false,
            TODAY,
            false,
        );
        update(&mut m, Msg::Resize(120, 24));
        start(&mut m);
        let cmds = act(&mut m, Action::NextView);
        let Some(Cmd::Load { req, .. }) = cmds.first() else {
            panic!("{cmds:?}")
        };
        let req = *req;
        update(
            &mut m,
            Msg::Loaded {
                req,
                total: 0,
                at: Timestamp::UNIX_EPOCH,
            },
        );
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 24)).unwrap();
        term.draw(|f| elogii_tui::view::view(&m, f)).unwrap();
        let buf = term.backend().buffer().clone();
        (0..24)
            .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let text = screen("demo");
    assert!(
        text.contains(
            "no tasks on 2026-12-03 Thu ([ and ] step a day); the demo plans 2026-12-03 to 2026-12-09"
        ),
        "{text}"
    );
    let text = screen("work");
    assert!(
        text.contains("no tasks on 2026-12-03 Thu ([ and ] step a day)")
            && !text.contains("demo plans"),
        "{text}"
    );
}
