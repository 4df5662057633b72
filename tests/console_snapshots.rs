//! View snapshots on a `TestBackend` at fixed sizes, with fixed data (a few
//! customers built here plus Helsinki and Hanoi premises from
//! tests/fixtures/non-ascii-premises.csv) and a fixed clock.

use elogii_tui::api::types::{Customer, Route, Task};
use elogii_tui::app::model::{Model, TopView};
use elogii_tui::app::msg::{Action, Cmd, LineEdit, LoadKind, Msg};
use elogii_tui::app::run::model_for;
use elogii_tui::app::update::{start, update};
use elogii_tui::config::UiConfig;
use elogii_tui::view;
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use serde_json::json;

const TODAY: Date = date(2026, 12, 3);

fn t0() -> Timestamp {
    Timestamp::from_second(1_796_292_000).unwrap() // 2026-12-03 10:00 UTC
}

fn hand_customers() -> Vec<Customer> {
    let v = json!([
        {
            "_id": "65f000000000000000000001", "uid": "CUS-A1PHARM1", "externalId": "nhsbsa-ods:FM664",
            "name": "A1 Pharmacy", "contactName": "Priya Shah", "tags": ["pharmacy"],
            "locations": [{
                "uid": "CL-DLPS1E5Z", "name": "A1 Pharmacy", "address": "491 Radcliffe Road",
                "addressLine2": "Darcy Lever", "postCode": "BL3 1SX", "city": "Bolton", "country": "GB",
                "coordinates": [-2.394879, 53.570812], "contactPhone": "01204 000000",
                "setupDuration": 2, "serviceDuration": 15,
                "schedule": {
                    "Mon": {"timeWindows": [{"start": 510, "end": 780}, {"start": 840, "end": 1050}]},
                    "Tue": {"timeWindows": [{"start": 510, "end": 780}, {"start": 840, "end": 1050}]},
                    "Wed": {"timeWindows": [{"start": 510, "end": 780}, {"start": 840, "end": 1050}]},
                    "Thu": {"timeWindows": [{"start": 510, "end": 780}, {"start": 840, "end": 1050}]},
                    "Fri": {"timeWindows": [{"start": 510, "end": 780}, {"start": 840, "end": 1050}]},
                    "Sat": {"timeWindows": [{"start": 540, "end": 750}]}
                }
            }, {
                "uid": "CL-SECOND01", "name": "A1 Pharmacy (stores)", "address": "Unit 4, Lever Street",
                "postCode": "BL3 6NZ", "city": "Bolton", "schedule": null,
                "openingHoursText": "Mo-Fr 9-5 by appointment"
            }]
        },
        {
            "_id": "65f000000000000000000002", "uid": "CUS-BEECHHS2", "externalId": "cqc-1-101",
            "name": "Beech House Residential Care Home for the Elderly (Heywood)", "contactPhone": "01706 000000",
            "tags": ["care-home"],
            "locations": [{"uid": "CL-BEECH002", "name": "Beech House", "address": "68 Manchester Road",
                           "postCode": "OL10 2AP", "city": "Heywood"}]
        },
        {
            "_id": "65f000000000000000000003", "uid": "CUS-TOKYO003", "externalId": "fhrs-77",
            "name": "東京ラーメン 本店", "tags": ["takeaway"],
            "locations": [{"uid": "CL-TOKYO003", "name": "東京ラーメン", "address": "1 Oxford Road",
                           "postCode": "M1 5QA", "city": "Manchester"}]
        }
    ]);
    serde_json::from_value(v).unwrap()
}

fn fixture_customers() -> Vec<Customer> {
    let text = std::fs::read_to_string("tests/fixtures/non-ascii-premises.csv").unwrap();
    let seed = elogii_tui::sandbox::seed::from_premises_csv(&text, TODAY).unwrap();
    let all: Vec<Customer> = seed
        .customers
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let city = |c: &Customer| {
        c.locations()
            .first()
            .map(|l| l.city.as_str().to_string())
            .unwrap_or_default()
    };
    let mut out: Vec<Customer> = all
        .iter()
        .filter(|c| city(c) == "Helsinki")
        .take(5)
        .cloned()
        .collect();
    out.extend(all.iter().filter(|c| city(c) == "Hà Nội").take(5).cloned());
    out.extend(
        all.iter()
            .filter(|c| c.name.as_str().contains("분짜") || c.name.as_str() == "Xôi Gà")
            .cloned(),
    );
    assert!(out.len() >= 11, "fixture rows found: {}", out.len());
    out
}

fn task(
    i: usize,
    route: Option<(&str, i64, i64)>,
    windows: &[(i64, i64)],
    state: i64,
    name: &str,
) -> Task {
    let assignment = match route {
        Some((uid, order, eta)) => {
            let (first, last) = if uid == "R-V7RLJTTY" {
                ("Aisha", "Marlowe")
            } else {
                ("Tomasz", "Wrenfield")
            };
            json!({"state": 1, "routeUID": uid, "routeOrder": order, "eta": eta,
                   "assignee": {"info": {"firstName": first, "lastName": last}}})
        }
        None => json!({"state": 0}),
    };
    let windows: Vec<_> = windows
        .iter()
        .map(|(s, e)| json!({"start": s, "end": e}))
        .collect();
    serde_json::from_value(json!({
        "uid": format!("T-{i:08}"), "reference": format!("SO{}", 100_000 + i), "type": 2,
        "date": 20261203, "state": state,
        "timeWindows": windows,
        "location": {"type": 1, "name": name, "address": format!("{} Ashley Road", 10 + i), "postCode": "WA14 2UW"},
        "customer": {"uid": format!("CUS-{i:08}")},
        "assignment": assignment
    }))
    .unwrap()
}

fn tasks() -> Vec<Task> {
    let a = "R-V7RLJTTY";
    let b = "R-8MA0TS1Y";
    vec![
        task(1, Some((a, 1, 494)), &[(540, 1020)], 60, "Alfresco"),
        task(2, Some((b, 2, 560)), &[(540, 1020)], 0, "Madras Spice"),
        task(
            3,
            Some((a, 2, 551)),
            &[(540, 1020)],
            -20,
            "Bean Coffee Manchester",
        ),
        task(4, Some((a, 3, 685)), &[(540, 660)], 50, "Domino's Pizza"),
        task(
            5,
            Some((b, 1, 505)),
            &[(540, 780), (840, 1050)],
            0,
            "A1 Pharmacy",
        ),
        task(6, None, &[(540, 1020)], 0, "Xôi Gà"),
        task(7, Some((a, 4, 703)), &[(540, 720)], 0, "東京ラーメン"),
    ]
}

fn routes_meta() -> Vec<Route> {
    serde_json::from_value(json!([
        {"uid": "R-V7RLJTTY", "locked": false, "driver": {"firstName": "Aisha", "lastName": "Marlowe"},
         "vehicle": {"name": "Van 01", "registration": "EL24 QIA"}},
        {"uid": "R-8MA0TS1Y", "locked": true, "driver": {"firstName": "Tomasz", "lastName": "Wrenfield"},
         "vehicle": {"name": "Van 02", "registration": "EL24 QIB"}}
    ]))
    .unwrap()
}

fn load_req(cmds: &[Cmd], want: LoadKind) -> u64 {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::Load { req, kind, .. } if *kind == want => Some(*req),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {want:?} load in {cmds:?}"))
}

/// A model with customers, tasks and routes loaded, showing customers, 3 min after loading.
fn full_model(ui: &UiConfig) -> Model {
    let mut m = model_for("demo".into(), ui, vec![], false, TODAY, false);
    let cmds = start(&mut m);
    let req = load_req(&cmds, LoadKind::Customers);
    let mut list = hand_customers();
    list.extend(fixture_customers());
    let n = list.len();
    update(&mut m, Msg::CustomersPage { req, page: list });
    update(
        &mut m,
        Msg::Loaded {
            req,
            total: n,
            at: t0(),
        },
    );
    update(&mut m, Msg::Action(Action::NextView));
    let cmds = update(&mut m, Msg::Action(Action::NextView));
    let routes = load_req(&cmds, LoadKind::Routes);
    let treq = m.tasks.load.req().unwrap();
    update(
        &mut m,
        Msg::TasksPage {
            req: treq,
            page: tasks(),
        },
    );
    update(
        &mut m,
        Msg::Loaded {
            req: treq,
            total: 7,
            at: t0(),
        },
    );
    update(
        &mut m,
        Msg::RoutesPage {
            req: routes,
            page: routes_meta(),
        },
    );
    update(
        &mut m,
        Msg::Loaded {
            req: routes,
            total: 2,
            at: t0(),
        },
    );
    update(&mut m, Msg::Action(Action::NextView));
    assert_eq!(m.top, TopView::Customers);
    update(
        &mut m,
        Msg::Tick(t0().checked_add(SignedDuration::from_secs(185)).unwrap()),
    );
    m.status = None;
    m
}

fn render(m: &mut Model, w: u16, h: u16) -> Terminal<TestBackend> {
    update(m, Msg::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::view(m, f)).unwrap();
    term
}

fn act(m: &mut Model, actions: &[Action]) {
    for a in actions {
        update(m, Msg::Action(*a));
    }
}

#[test]
fn customers_80x24_and_120x40() {
    let mut m = full_model(&UiConfig::default());
    insta::assert_snapshot!("customers_80x24", render(&mut m, 80, 24).backend());
    act(&mut m, &[Action::MoveDown, Action::MoveDown, Action::Right]);
    insta::assert_snapshot!("customers_120x40", render(&mut m, 120, 40).backend());
}

#[test]
fn locations_120x40() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::ToggleLocations]);
    insta::assert_snapshot!("locations_120x40", render(&mut m, 120, 40).backend());
}

#[test]
fn customer_and_location_80x24() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::Open]);
    insta::assert_snapshot!("customer_80x24", render(&mut m, 80, 24).backend());
    act(&mut m, &[Action::Open]);
    insta::assert_snapshot!("location_80x24", render(&mut m, 80, 24).backend());
    act(&mut m, &[Action::Quit, Action::MoveDown, Action::Open]);
    insta::assert_snapshot!(
        "location_null_schedule_80x24",
        render(&mut m, 80, 24).backend()
    );
}

#[test]
fn tasks_80x24_and_120x40() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::NextView]);
    insta::assert_snapshot!("tasks_80x24", render(&mut m, 80, 24).backend());
    insta::assert_snapshot!("tasks_120x40", render(&mut m, 120, 40).backend());
}

#[test]
fn routes_and_stops() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::PrevView]);
    insta::assert_snapshot!("routes_80x24", render(&mut m, 80, 24).backend());
    insta::assert_snapshot!("routes_120x40", render(&mut m, 120, 40).backend());
    act(&mut m, &[Action::Open]);
    insta::assert_snapshot!("route_stops_120x40", render(&mut m, 120, 40).backend());
}

#[test]
fn filtered_table_and_open_filter_line_80x24() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::Filter]);
    for c in "helsinki".chars() {
        update(&mut m, Msg::Edit(LineEdit::Insert(c)));
    }
    let term = render(&mut m, 80, 24);
    insta::assert_snapshot!("filter_typing_80x24", term.backend());
    update(&mut m, Msg::Edit(LineEdit::Submit));
    insta::assert_snapshot!("filtered_80x24", render(&mut m, 80, 24).backend());
}

#[test]
fn help_80x24() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::Help]);
    insta::assert_snapshot!("help_80x24", render(&mut m, 80, 24).backend());
}

#[test]
fn tiny_screens_ask_for_more_room_and_never_panic() {
    let mut m = full_model(&UiConfig::default());
    insta::assert_snapshot!("too_small_20x5", render(&mut m, 20, 5).backend());
    let screens: &[&[Action]] = &[
        &[],
        &[Action::ToggleLocations],
        &[Action::Open],
        &[Action::Open, Action::Open],
        &[Action::NextView],
        &[Action::PrevView],
        &[Action::PrevView, Action::Open],
        &[Action::Help],
        &[Action::Filter],
    ];
    for actions in screens {
        let mut m = full_model(&UiConfig::default());
        act(&mut m, actions);
        for w in [1u16, 2, 5, 20, 39, 40, 41, 60] {
            for h in [1u16, 2, 3, 5, 9, 10, 11, 14] {
                let term = render(&mut m, w, h);
                let _ = term.backend().buffer();
            }
        }
    }
}

#[test]
fn non_ascii_names_line_up_and_wide_text_is_not_split() {
    let mut m = full_model(&UiConfig::default());
    let term = render(&mut m, 120, 40);
    let buf = term.backend().buffer();
    // The UID column starts at the same cell on every row, whatever the widths before it.
    let header: String = (0..120).map(|x| buf[(x, 1)].symbol().to_string()).collect();
    let uid_col = header.find("UID").unwrap() as u16;
    let mut rows = 0;
    for y in 2..(2 + m.customers_table.rows.len() as u16).min(37) {
        let s: String = (uid_col..uid_col + 4)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        assert_eq!(s, "CUS-", "row {y}");
        rows += 1;
    }
    assert!(rows >= 14);
    // a wide character is never cut in half: its trailing cell stays blank
    for y in 0..40 {
        for x in 0..120u16 {
            let sym = buf[(x, y)].symbol();
            if unicode_width::UnicodeWidthStr::width(sym) == 2 && x + 1 < 120 {
                assert_eq!(buf[(x + 1, y)].symbol(), " ", "at {x},{y}");
            }
            assert!(
                !sym.chars().any(|c| c.is_control()),
                "control char at {x},{y}"
            );
        }
    }
}

#[test]
fn mono_theme_and_selected_row_without_colour() {
    let ui = UiConfig {
        theme: Some("mono".into()),
        ..UiConfig::default()
    };
    let mut m = full_model(&ui);
    act(&mut m, &[Action::MoveDown]);
    let term = render(&mut m, 80, 24);
    let buf = term.backend().buffer();
    for y in 0..24 {
        for x in 0..80 {
            let c = &buf[(x, y)];
            assert_eq!(c.fg, ratatui::style::Color::Reset, "fg at {x},{y}");
            assert_eq!(c.bg, ratatui::style::Color::Reset, "bg at {x},{y}");
        }
    }
    // row 2 (data row 1) is selected: reverse video across the line
    assert!(buf[(30, 3)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(30, 2)].modifier.contains(Modifier::REVERSED));
    // NO_COLOR gives the same as mono
    let m2 = model_for("x".into(), &UiConfig::default(), vec![], false, TODAY, true);
    assert_eq!(m2.theme.name, "mono");
}
