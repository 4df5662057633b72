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
    // Tasks load the day's routes too (a task opens its route).
    let cmds = update(&mut m, Msg::Action(Action::NextView));
    let routes = load_req(&cmds, LoadKind::Routes);
    update(&mut m, Msg::Action(Action::NextView));
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

// ---------------------------------------------------------------------------
// Editing

use elogii_tui::app::msg::{ConfirmKey, EditKey, JournalDone, JournalReply};
use elogii_tui::domain::edit::{Edit, Entity, FieldPath};
use elogii_tui::sync::batch::{EditId, EditOutcome, EditState, PendingEdit};
use elogii_tui::sync::writer::WriterEvent;

/// The journal says it holds `pending` (and is open).
fn journal_holds(m: &mut Model, pending: Vec<PendingEdit>) {
    update(
        m,
        Msg::Journal(JournalReply {
            op: 0,
            result: Ok(JournalDone::Loaded {
                pending,
                banner: false,
            }),
            touched: vec![],
        }),
    );
}

fn pending(id: i64, record: &str, field: FieldPath, base: Value, new: Value) -> PendingEdit {
    PendingEdit {
        id: EditId(id),
        edit: Edit {
            entity: Entity::Customer,
            record_id: record.into(),
            field,
            base: Some(base),
            new: Some(new),
        },
        state: EditState::Staged,
        batch: None,
        message: None,
        theirs: None,
        origin: "http://127.0.0.1:9".into(),
        rev: 1,
        staged_at_ms: 0,
        label: None,
    }
}

use serde_json::Value;

fn type_in(m: &mut Model, text: &str) {
    update(m, Msg::Editor(EditKey::Clear));
    for c in text.chars() {
        update(
            m,
            Msg::Editor(EditKey::Input(ratatui_textarea::Input {
                key: ratatui_textarea::Key::Char(c),
                ctrl: false,
                alt: false,
                shift: false,
            })),
        );
    }
}

fn four_edits() -> Vec<PendingEdit> {
    let a1 = "65f000000000000000000001";
    let beech = "65f000000000000000000002";
    let tokyo = "65f000000000000000000003";
    let mut v = vec![
        pending(
            1,
            a1,
            FieldPath::location("CL-DLPS1E5Z", "postCode"),
            json!("BL3 1SX"),
            json!("BL3 1SY"),
        ),
        pending(
            2,
            a1,
            FieldPath::top("contactName"),
            json!("Priya Shah"),
            json!("Priya Shah-Khan"),
        ),
        pending(
            3,
            beech,
            FieldPath::location("CL-BEECH002", "postCode"),
            json!("OL10 2AP"),
            json!("OL10 2AQ"),
        ),
        pending(
            4,
            tokyo,
            FieldPath::location("CL-TOKYO003", "city"),
            json!("Manchester"),
            json!("Salford"),
        ),
        pending(
            5,
            tokyo,
            FieldPath::top("externalId"),
            json!("fhrs-77"),
            json!("fhrs-78"),
        ),
    ];
    v[2].state = EditState::Failed;
    v[2].message = Some("postCode OL10 2AQ is not a valid UK postcode".into());
    v[3].state = EditState::Conflict;
    v[3].theirs = Some(json!("Manchester City Centre"));
    v[4].state = EditState::Sending;
    v[4].batch = Some("b1".into());
    v
}

#[test]
fn inline_editor_on_a_cell_80x24() {
    let mut m = full_model(&UiConfig::default());
    journal_holds(&mut m, vec![]);
    act(&mut m, &[Action::Right; 6]);
    act(&mut m, &[Action::Edit]);
    type_in(&mut m, "BL3 1SY");
    insta::assert_snapshot!("editor_cell_80x24", render(&mut m, 80, 24).backend());
    // An invalid name: the reason shows under the editor, nothing is staged.
    update(&mut m, Msg::Editor(EditKey::Cancel));
    act(&mut m, &[Action::Top]);
    for _ in 0..6 {
        act(&mut m, &[Action::Left]);
    }
    act(&mut m, &[Action::Edit]);
    type_in(&mut m, "   ");
    let cmds = update(&mut m, Msg::Editor(EditKey::Submit));
    assert!(cmds.is_empty());
    insta::assert_snapshot!("editor_cell_error_80x24", render(&mut m, 80, 24).backend());
}

#[test]
fn location_form_with_a_schedule_error_80x24() {
    let mut m = full_model(&UiConfig::default());
    journal_holds(&mut m, vec![]);
    act(&mut m, &[Action::Open, Action::Open]);
    for _ in 0..11 {
        act(&mut m, &[Action::MoveDown]);
    }
    act(&mut m, &[Action::Edit]);
    type_in(&mut m, "13:00-09:00");
    assert!(update(&mut m, Msg::Editor(EditKey::Submit)).is_empty());
    insta::assert_snapshot!(
        "location_schedule_error_80x24",
        render(&mut m, 80, 24).backend()
    );
    let buf = render(&mut m, 80, 24).backend().buffer().clone();
    let text: String = (0..24)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect();
    assert!(text.contains("ends before it starts"), "{text}");
}

#[test]
fn a_record_form_error_is_drawn_under_the_field_that_failed_80x24_and_40x12() {
    for (w, h) in [(80u16, 24u16), (40, 12)] {
        let mut m = full_model(&UiConfig::default());
        journal_holds(&mut m, vec![]);
        act(&mut m, &[Action::EditForm]);
        for _ in 0..6 {
            act(&mut m, &[Action::MoveDown]);
        }
        act(&mut m, &[Action::Edit]);
        type_in(&mut m, "pharmacy.example");
        assert!(update(&mut m, Msg::Editor(EditKey::Submit)).is_empty());
        assert!(m.editor.as_ref().unwrap().error.is_some());
        let term = render(&mut m, w, h);
        let lines = screen_lines(&term);
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with("Email"))
            .unwrap_or_else(|| panic!("the Email line at {w}x{h}: {lines:#?}"));
        let value_x = lines[at].find("pharmacy.example").expect("the editor");
        // The message starts on the next line, in the value column, with
        // nothing over a label; the next field (Tags) comes after it.
        let next = &lines[at + 1];
        assert_eq!(next.find('✗'), Some(value_x), "{w}x{h}: {lines:#?}");
        assert!(next[..value_x].trim().is_empty(), "{w}x{h}: {lines:#?}");
        let tags = lines
            .iter()
            .position(|l| l.trim_start().starts_with("Tags"));
        if let Some(tags) = tags {
            assert!(tags > at + 1, "{w}x{h}: {lines:#?}");
            assert!(lines[at + 1..tags].iter().all(|l| !l.contains("Tags")));
        }
        insta::assert_snapshot!(format!("form_error_{w}x{h}"), term.backend());
    }
}

#[test]
fn staged_list_with_every_state_and_marks_in_tables_120x40() {
    let mut m = full_model(&UiConfig::default());
    journal_holds(&mut m, four_edits());
    // One edit was sent in this session.
    update(
        &mut m,
        Msg::Writer(WriterEvent::Edits {
            run: 1,
            outcomes: vec![(EditId(2), EditOutcome::Sent)],
        }),
    );
    insta::assert_snapshot!("customers_staged_120x40", render(&mut m, 120, 40).backend());
    update(&mut m, Msg::Action(Action::Staged));
    update(&mut m, Msg::Action(Action::ToggleMark));
    insta::assert_snapshot!("staged_120x40", render(&mut m, 120, 40).backend());
    insta::assert_snapshot!("staged_80x24", render(&mut m, 80, 24).backend());
}

#[test]
fn send_confirm_80x24() {
    let mut m = full_model(&UiConfig::default());
    journal_holds(&mut m, four_edits());
    update(&mut m, Msg::Action(Action::Send));
    let c = m.confirm.clone().unwrap();
    assert_eq!(
        c.text,
        "Send 3 edits in 1 batch to eLogii? 1 conflict is held back."
    );
    insta::assert_snapshot!("send_confirm_80x24", render(&mut m, 80, 24).backend());
    update(&mut m, Msg::Confirm(ConfirmKey::Toggle));
    let term = render(&mut m, 80, 24);
    let buf = term.backend().buffer();
    // Find the button by cells (box-drawing characters are several bytes).
    let (x, y) = (0..24u16)
        .flat_map(|y| (0..72u16).map(move |x| (x, y)))
        .find(|&(x, y)| {
            (0..8u16)
                .map(|k| buf[(x + k, y)].symbol())
                .collect::<String>()
                == "[ Send ]"
        })
        .expect("the send button");
    assert!(buf[(x + 2, y)].modifier.contains(Modifier::REVERSED));
    assert!(
        !buf[(x - 4, y)].modifier.contains(Modifier::REVERSED),
        "Cancel lost the focus"
    );
}

#[test]
fn editing_screens_never_panic_at_any_size() {
    let setups: &[&dyn Fn(&mut Model)] = &[
        &|m| act(m, &[Action::Edit]),
        &|m| act(m, &[Action::Open, Action::Open, Action::Edit]),
        &|m| act(m, &[Action::Staged]),
        &|m| act(m, &[Action::Staged, Action::Edit]),
        &|m| act(m, &[Action::Send]),
        &|m| act(m, &[Action::EditForm]),
        &|m| act(m, &[Action::Quit]),
    ];
    for setup in setups {
        let mut m = full_model(&UiConfig::default());
        journal_holds(&mut m, four_edits());
        setup(&mut m);
        for w in [1u16, 2, 5, 20, 39, 40, 41, 60, 200] {
            for h in [1u16, 2, 3, 5, 9, 10, 11, 14, 60] {
                let term = render(&mut m, w, h);
                let _ = term.backend().buffer();
            }
        }
    }
}

fn run_command(m: &mut Model, text: &str) {
    update(m, Msg::Action(Action::Command));
    for c in text.chars() {
        update(m, Msg::Edit(LineEdit::Insert(c)));
    }
    update(m, Msg::Edit(LineEdit::Submit));
}

fn screen_lines(term: &Terminal<TestBackend>) -> Vec<String> {
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn a_long_error_wraps_above_the_hints_and_messages_shows_it_in_full() {
    let mut m = full_model(&UiConfig::default());
    let long = "Could not load customers: error sending request for url (http://127.0.0.1:8099/customers?limit=500): connection closed before message completed. Press r to try again.";
    m.set_status(elogii_tui::app::model::StatusKind::Error, long);
    let term = render(&mut m, 80, 24);
    let lines = screen_lines(&term);
    let status: String = lines[20..23].join("\n");
    assert!(
        status.contains("Press r to try again."),
        "the end of the error is on screen:\n{status}"
    );
    assert!(
        lines[20].starts_with("error: Could not load customers"),
        "{status}"
    );
    insta::assert_snapshot!("long_error_80x24", term.backend());

    // a message longer than three lines points to :messages …
    let longer = format!("{long} {long}");
    m.set_status(elogii_tui::app::model::StatusKind::Error, longer.clone());
    let lines = screen_lines(&render(&mut m, 80, 24));
    assert!(lines[22].contains("… (:messages)"), "{}", lines[22]);
    // … which lists recent messages in full, wrapped
    run_command(&mut m, "messages");
    let all = view::help::display_lines(&m, true, 80)
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(all.contains(&longer), "{all}");
    let lines = screen_lines(&render(&mut m, 80, 24));
    assert!(lines[0].contains("messages"), "{}", lines[0]);
    update(&mut m, Msg::Action(Action::Quit));
    assert!(m.screen().is_none());
}

#[test]
fn help_at_120x40_wraps_instead_of_cutting_and_lists_every_command() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::Help]);
    update(&mut m, Msg::Resize(120, 40));
    let lines = view::help::display_lines(&m, false, 120);
    let text: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        text.iter().all(|t| !t.ends_with('…')),
        "nothing is cut: {text:?}"
    );
    for c in elogii_tui::app::update::COMMANDS {
        assert!(
            lines.iter().any(|(k, _)| *k == format!(":{}", c.name)),
            ":{} is in the help",
            c.name
        );
    }
    // j scrolls down to the end, where the commands are
    let term = render(&mut m, 120, 40);
    assert!(!screen_lines(&term).join("\n").contains(":quit!"));
    for _ in 0..lines.len() {
        update(&mut m, Msg::Action(Action::MoveDown));
    }
    let shown = screen_lines(&render(&mut m, 120, 40)).join("\n");
    assert!(shown.contains(":quit!"), "{shown}");
    assert!(shown.contains(":date"), "{shown}");
    assert!(m.screen().is_some(), "j scrolls, it does not close");
}

#[test]
fn sorting_by_postcode_shows_the_whole_title_and_the_direction() {
    let mut m = full_model(&UiConfig::default());
    let col = view::customers::COLUMNS
        .iter()
        .position(|c| c.title == "Postcode")
        .unwrap();
    for _ in 0..col {
        update(&mut m, Msg::Action(Action::Right));
    }
    update(&mut m, Msg::Action(Action::SortAsc));
    let lines = screen_lines(&render(&mut m, 80, 24));
    assert!(lines[1].contains("Postcode▲"), "{}", lines[1]);
    update(&mut m, Msg::Action(Action::SortDesc));
    let lines = screen_lines(&render(&mut m, 80, 24));
    assert!(lines[1].contains("Postcode▼"), "{}", lines[1]);
}

// ---------------------------------------------------------------------------
// Dialogs and help at small sizes

/// The cells from `x0` up to (not including) `x1` on row `y` as text, a wide
/// character once (its second cell left out).
fn cells(term: &Terminal<TestBackend>, y: u16, x0: u16, x1: u16) -> String {
    let buf = term.backend().buffer();
    let mut line = String::new();
    let mut x = x0;
    while x < x1 {
        let sym = buf[(x, y)].symbol();
        line.push_str(sym);
        x += display_width_of(sym).max(1) as u16;
    }
    line
}

/// The dialog box on screen: top and bottom rows, left and right columns.
fn dialog_box(term: &Terminal<TestBackend>) -> Option<(u16, u16, u16, u16)> {
    let buf = term.backend().buffer();
    let (w, h) = (buf.area.width, buf.area.height);
    let find = |ch: &str| {
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .find(|&(x, y)| buf[(x, y)].symbol() == ch)
    };
    let (left, top) = find("┌")?;
    let (right, _) = (left..w)
        .map(|x| (x, top))
        .find(|&(x, y)| buf[(x, y)].symbol() == "┐")?;
    let bottom = (top..h).find(|&y| buf[(left, y)].symbol() == "└")?;
    Some((top, bottom, left, right))
}

/// Checks the confirm dialog: the box is whole, its buttons show, and every
/// word shown is a word of the question (or ends with `…`).
fn check_dialog(m: &Model, term: &Terminal<TestBackend>, w: u16, h: u16) {
    let c = m.confirm.as_ref().expect("a dialog");
    let all = screen_lines(term).join("\n");
    let (top, bottom, left, right) =
        dialog_box(term).unwrap_or_else(|| panic!("a box at {w}x{h}:\n{all}"));
    assert!(top < bottom && left < right, "{w}x{h}:\n{all}");
    assert_eq!(
        term.backend().buffer()[(right, bottom)].symbol(),
        "┘",
        "the box is whole at {w}x{h}:\n{all}"
    );
    let row = |y: u16| cells(term, y, left + 1, right);
    let buttons = row(bottom - 1);
    assert!(
        buttons.contains("Cancel") || buttons.contains("[n]"),
        "Cancel shows at {w}x{h}:\n{all}"
    );
    assert!(buttons.contains("[y") || buttons.contains(c.yes), "{all}");
    if w >= 40 {
        assert!(
            buttons.contains("Cancel") && buttons.contains(c.yes),
            "{all}"
        );
    }
    let words: Vec<&str> = c.text.split_whitespace().collect();
    for y in top + 1..bottom - 1 {
        for token in row(y).split_whitespace() {
            let whole = words.contains(&token);
            let cut = token == "…" || token.strip_suffix('…').is_some_and(|t| words.contains(&t));
            assert!(whole || cut, "{token:?} is cut at {w}x{h}:\n{all}");
        }
    }
}

/// Puts a dialog on a model.
type Setup = Box<dyn Fn(&mut Model)>;

/// Opens each dialog on a fresh model; (name, setup).
fn dialogs() -> Vec<(&'static str, Setup)> {
    vec![
        (
            "send",
            Box::new(|m: &mut Model| act(m, &[Action::Send])) as Setup,
        ),
        ("quit", Box::new(|m: &mut Model| act(m, &[Action::Quit]))),
        (
            "quit_while_sending",
            Box::new(|m: &mut Model| {
                update(
                    m,
                    Msg::Writer(WriterEvent::RunStarted {
                        run: 1,
                        edits: 3,
                        recovering: 0,
                    }),
                );
                act(m, &[Action::Quit]);
            }),
        ),
        (
            "lock",
            Box::new(|m: &mut Model| {
                run_command(m, "routes");
                act(m, &[Action::Lock]);
            }),
        ),
        (
            "conflict",
            Box::new(|m: &mut Model| {
                act(m, &[Action::Staged]);
                let order = elogii_tui::app::edit::staged_order(m);
                let at = order.iter().position(|id| *id == EditId(4)).unwrap();
                for _ in 0..at {
                    act(m, &[Action::MoveDown]);
                }
                act(m, &[Action::DropEdit]);
            }),
        ),
    ]
}

#[test]
fn dialogs_wrap_and_keep_their_buttons_at_any_size_40x12() {
    for (name, setup) in dialogs() {
        let mut m = full_model(&UiConfig::default());
        journal_holds(&mut m, four_edits());
        setup(&mut m);
        assert!(m.confirm.is_some(), "{name} opens a dialog");
        for (w, h) in [
            (40u16, 12u16),
            (20, 5),
            (120, 40),
            (120, 12),
            (40, 10),
            (60, 14),
            (30, 8),
            (25, 6),
            (80, 24),
        ] {
            let term = render(&mut m, w, h);
            check_dialog(&m, &term, w, h);
            if (w, h) == (40, 12) {
                insta::assert_snapshot!(format!("{name}_confirm_40x12"), term.backend());
            }
            if (w, h) == (20, 5) && name == "send" {
                insta::assert_snapshot!("send_confirm_20x5", term.backend());
            }
        }
    }
    // The conflict's dialog says what eLogii has.
    let mut m = full_model(&UiConfig::default());
    journal_holds(&mut m, four_edits());
    dialogs()[4].1(&mut m);
    let text = &m.confirm.as_ref().unwrap().text;
    assert!(text.contains("Manchester City Centre"), "{text}");
    // Below the smallest size the console draws, the question still shows
    // (it waits for y or n); nothing panics down to 1x1.
    for (w, h) in [(1u16, 1u16), (5, 2), (12, 3), (39, 9)] {
        let lines = screen_lines(&render(&mut m, w, h));
        let all = lines.join("\n");
        assert!(
            all.contains("Cancel") || all.contains("[n]") || w < 3,
            "{w}x{h}:\n{all}"
        );
    }
}

#[test]
fn help_at_40x12_puts_keys_on_their_own_lines_and_cuts_nothing() {
    let mut m = full_model(&UiConfig::default());
    act(&mut m, &[Action::Help]);
    let term = render(&mut m, 40, 12);
    insta::assert_snapshot!("help_40x12", term.backend());
    let lines = view::help::display_lines(&m, false, 40);
    let keys = view::help::lines(&m);
    // Every key and every word of the help is there whole, in order.
    for (key, _) in keys.iter().filter(|(k, _)| !k.is_empty()) {
        assert!(lines.iter().any(|(k, _)| k == key), "{key} whole");
    }
    let shown: Vec<&str> = lines
        .iter()
        .flat_map(|(_, t)| t.split_whitespace())
        .collect();
    let all: Vec<&str> = keys
        .iter()
        .flat_map(|(_, t)| t.split_whitespace())
        .collect();
    assert_eq!(shown, all, "no word is cut or lost");
    for (_, t) in &lines {
        assert!(display_width_of(t) <= 30, "{t:?} fits beside the margin");
    }
    // Scrolling to the end shows the last command, inside the pop-up.
    for _ in 0..lines.len() {
        update(&mut m, Msg::Action(Action::MoveDown));
    }
    let term = render(&mut m, 40, 12);
    let all = screen_lines(&term).join("\n");
    assert!(all.contains(":quit!"), "{all}");
    let (top, bottom, _, right) = dialog_box(&term).expect("the pop-up");
    assert!(top >= 1 && bottom <= 9 && right < 40, "{all}");
    // The messages pop-up too, with a long message.
    m.set_status(
        elogii_tui::app::model::StatusKind::Error,
        "the journal /home/dispatcher/.local/share/elogii-tui/journal-default.sqlite3 could not be opened: permission denied",
    );
    update(&mut m, Msg::Action(Action::Quit));
    run_command(&mut m, "messages");
    let lines = view::help::display_lines(&m, true, 40);
    assert!(lines.iter().any(|(k, t)| k == "error" && t.is_empty()));
    assert!(lines.iter().all(|(_, t)| display_width_of(t) <= 30));
    insta::assert_snapshot!("messages_40x12", render(&mut m, 40, 12).backend());
}

fn display_width_of(s: &str) -> usize {
    elogii_tui::domain::sanitize::display_width(s)
}

#[test]
fn a_deep_path_loses_its_middle_and_the_header_keeps_the_date_counts_and_age() {
    let mut m = full_model(&UiConfig::default());
    // Routes › R-V7RLJTTY › stop 1 › late › stop 3 of R-V7RLJTTY › form
    act(&mut m, &[Action::PrevView, Action::Open]);
    run_command(&mut m, "late");
    act(&mut m, &[Action::Open]);
    let path = view::breadcrumb(&m);
    assert!(
        path.starts_with("Routes › R-V7RLJTTY › stop 1 › late › stop ")
            && path.ends_with(" of R-V7RLJTTY › form"),
        "{path}"
    );
    let tail = "stop 3 of R-V7RLJTTY › form";
    assert!(path.ends_with(tail), "{path}");
    // Wide: the program name stays, the middle goes.
    let wide = view::header_text(&m, 120);
    assert_eq!(
        wide,
        format!(
            " elogii-tui · demo · Routes › … › late › {tail} · 2026-12-03 Thu · 2 routes · loaded 3 min ago"
        )
    );
    // 80 columns: date, counts and age stay; the path keeps its first and
    // last parts.
    let header = view::header_text(&m, 80);
    assert!(display_width_of(&header) <= 80, "{header}");
    assert_eq!(
        header,
        " demo · Routes › … › form · 2026-12-03 · 2 routes · 3 min ago"
    );
    let screen = screen_lines(&render(&mut m, 80, 24));
    assert_eq!(screen[0].trim_end(), header.trim_end());
    // Narrower still: never wider than the screen, the last part stays.
    for w in 40..80 {
        let h = view::header_text(&m, w);
        assert!(display_width_of(&h) <= w, "{w}: {h}");
        assert!(h.contains("form"), "{w}: {h}");
    }
}
