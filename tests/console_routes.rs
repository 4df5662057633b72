//! Route inspection through `update`, on the demo data of a fixed weekday
//! (Monday 2026-12-07): the routes of the day, one route's stops against
//! their windows, the late-stop queue, scopes, lock/unlock, `-` back, and
//! snapshots of those screens (with the map) at 120×40 and 80×24. Loads are
//! answered from the seed as the emulator would; journal commands run against
//! an in-memory journal with the effects' own function. No terminal, no
//! network.

use elogii_tui::app::data::task_order;
use elogii_tui::app::model::{ConfirmKind, Part, Screen, StatusKind, Target, TopView};
use elogii_tui::app::msg::{Action, Cmd, ConfirmKey, EditKey, Msg};
use elogii_tui::app::update::update;
use elogii_tui::domain::edit::Entity;
use elogii_tui::domain::lateness::{Verdict, WindowSource};
use elogii_tui::domain::schedule::Weekday;
use elogii_tui::view;
use jiff::civil::date;
use ratatui::style::Modifier;

#[path = "common/demo_rig.rs"]
mod demo_rig;
use demo_rig::{DAY, Rig, render};

#[test]
fn the_days_routes_with_their_lateness_sort_and_filter() {
    let mut r = Rig::new(false);
    r.routes();
    let recs = r.m.routes.recs.clone();
    let most = recs.iter().map(|x| x.late()).max().unwrap();
    assert!(most >= 2, "some route has several late stops");
    assert!(recs.iter().any(|x| x.late() == 0), "and some have none");
    let total_late: usize = recs.iter().map(|x| x.late()).sum();
    assert_eq!(
        total_late,
        r.m.late
            .iter()
            .filter(|s| s.lateness.verdict.is_late())
            .count()
    );
    for x in recs.iter() {
        assert!(
            x.distance_m.unwrap() > 1000.0,
            "{}: distance from GET /routes",
            x.uid
        );
        assert_eq!(x.start, Some(480), "routes leave at 08:00");
        assert!(x.end.unwrap() > 600 && x.duration_min.unwrap() > 120);
        assert_eq!(x.locked, Some(false));
        assert!(!x.driver.is_empty() && !x.vehicle.is_empty());
        assert!(x.depot.as_deref().unwrap().starts_with("DEP-"));
        // Stops in routeOrder.
        let orders: Vec<i64> = x
            .stops
            .iter()
            .map(|&i| task_order(&r.m.tasks.recs.get(i as usize).unwrap().task).unwrap())
            .collect();
        assert_eq!(orders, (1..=x.stops.len() as i64).collect::<Vec<_>>());
    }
    // Sort by Late, descending: the latest route first.
    for _ in 0..view::routes::LATE_COL {
        r.act(Action::Right);
    }
    r.act(Action::SortDesc);
    let first = r.route_rows()[0].clone();
    assert_eq!(r.m.route(&first).unwrap().late(), most);
    // `:routes late` keeps the routes with late stops, Esc shows all again.
    r.command("routes late");
    let rows = r.route_rows();
    assert!(!rows.is_empty() && rows.len() < 12);
    assert!(rows.iter().all(|u| r.m.route(u).unwrap().late() > 0));
    assert_eq!(r.m.routes_table.spec.scope, "late");
    r.act(Action::Back);
    assert_eq!(r.route_rows().len(), 12);
    // A driver's name filters by text.
    r.command("routes Aisha");
    assert_eq!(r.route_rows().len(), 1);
    assert_eq!(
        r.m.route(&r.route_rows()[0]).unwrap().driver,
        "Aisha Marlowe"
    );
    // The seed's day is a mid-day snapshot: routes planned, started or done.
    let mut by_state = 0;
    for state in ["planned", "started", "done"] {
        r.command(&format!("routes {state}"));
        by_state += r.route_rows().len();
    }
    assert_eq!(by_state, 12);
    r.command("routes started");
    assert!(!r.route_rows().is_empty());
    // Another day by date, and back with `[`.
    r.command("routes 2026-12-08");
    assert_eq!(r.m.routes.date, Some(date(2026, 12, 8)));
    assert!(!r.m.routes.recs.is_empty());
    r.act(Action::PrevDay);
    assert_eq!(r.m.routes.date, Some(DAY));
    assert_eq!(r.m.routes.recs.len(), 12);
}

#[test]
fn a_route_shows_its_stops_against_their_windows() {
    let mut r = Rig::new(false);
    let uid = r.open_latest_route();
    let route = r.m.route(&uid).unwrap().clone();
    assert!(route.counts.late >= 2 && route.counts.early >= 1);
    let verdicts: Vec<Verdict> = route
        .lateness
        .iter()
        .map(|l| l.as_ref().unwrap().verdict)
        .collect();
    assert_eq!(
        verdicts.iter().filter(|v| v.is_late()).count(),
        route.counts.late
    );
    // The seed's own waiting times agree with the verdicts.
    for (k, &i) in route.stops.iter().enumerate() {
        let t = &r.m.tasks.recs.get(i as usize).unwrap().task;
        let wait = elogii_tui::app::late::task_waiting(t).unwrap();
        assert_eq!(verdicts[k].wait(), wait, "stop {}", k + 1);
    }
    // Sorting by early/late minutes, descending, puts the worst stop first.
    for _ in 0..view::route::OFFSET_COL {
        r.act(Action::Right);
    }
    r.act(Action::SortDesc);
    r.act(Action::Top);
    let worst = match r.m.screen() {
        Some(Screen::Route { table, .. }) => table.selected_row().unwrap(),
        other => panic!("{other:?}"),
    };
    let worst_by = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Late { by } => Some(*by),
            _ => None,
        })
        .max()
        .unwrap();
    assert_eq!(verdicts[worst], Verdict::Late { by: worst_by });
    // The header says where we are.
    let stop_no = task_order(
        &r.m.tasks
            .recs
            .get(route.stops[worst] as usize)
            .unwrap()
            .task,
    )
    .unwrap();
    let text = r.screen_text(120, 40);
    assert!(
        text.contains(&format!("Routes › {uid} › stop {stop_no}")),
        "{text}"
    );
    // Late rows stand out by a glyph and a style.
    let term = render(&mut r.m, 120, 40);
    let buf = term.backend().buffer();
    let y = (0..40)
        .find(|&y| {
            let line: String = (0..60).map(|x| buf[(x, y)].symbol().to_string()).collect();
            line.trim_start().starts_with(&format!("{stop_no} !"))
        })
        .expect("the worst stop's row with its ! glyph");
    assert!(
        buf[(0, y)].modifier.contains(Modifier::REVERSED)
            || buf[(0, y)].modifier.contains(Modifier::BOLD)
    );
    // Enter: the window the stop is judged by, here the task's own: its
    // form, cursor on Windows.
    r.act(Action::Open);
    let (task, field) = match r.m.screen() {
        Some(Screen::Form {
            target: elogii_tui::app::model::Target::Task { task },
            field,
        }) => (*task, *field),
        other => panic!("{other:?}"),
    };
    let rows =
        elogii_tui::app::edit::form_rows(&r.m, elogii_tui::app::model::Target::Task { task })
            .unwrap();
    assert_eq!(rows[field].label, "Windows");
    assert!(r.status().contains("judged by the task's own time windows"));
    // Enter on its Address: the stop's location form, cursor on the address.
    let address = rows.iter().position(|r| r.label == "Address").unwrap();
    if let Some(Screen::Form { field, .. }) = r.m.stack.last_mut() {
        *field = address;
    }
    r.act(Action::Open);
    let cell = elogii_tui::app::edit::current_cell(&r.m).unwrap();
    assert_eq!(cell.field.name, "address");
    assert_eq!(cell.part, Part::Whole);
    // Back; Enter on its Customer: the location, cursor on Monday's hours.
    r.act(Action::GoBack);
    let customer = rows.iter().position(|r| r.label == "Customer").unwrap();
    if let Some(Screen::Form { field, .. }) = r.m.stack.last_mut() {
        *field = customer;
    }
    r.act(Action::Open);
    let (cust, loc, field) = match r.m.screen() {
        Some(Screen::Location { cust, loc, field }) => (*cust, *loc, *field),
        other => panic!("{other:?}"),
    };
    let rows = elogii_tui::app::edit::form_rows(
        &r.m,
        elogii_tui::app::model::Target::Location { cust, loc },
    )
    .unwrap();
    let cell = rows[field].cell.as_ref().unwrap();
    assert_eq!(cell.field.name, "schedule");
    assert_eq!(cell.part, Part::Day(Weekday::Mon));
    // `-` back: the task form, and again: the route with its sort and
    // selection as they were.
    r.act(Action::GoBack);
    assert!(matches!(r.m.screen(), Some(Screen::Form { .. })));
    r.act(Action::GoBack);
    match r.m.screen() {
        Some(Screen::Route { uid: u, table }) => {
            assert_eq!(u, &uid);
            assert_eq!(table.selected_row(), Some(worst));
            assert!(table.spec.sort.is_some_and(|s| s.desc));
        }
        other => panic!("{other:?}"),
    }
    // `-` again: the routes list, still sorted by Late.
    r.act(Action::GoBack);
    assert!(r.m.stack.is_empty());
    assert!(r.m.routes_table.spec.sort.is_some());
    assert_eq!(r.route_rows()[r.m.routes_table.selected], uid);
}

#[test]
fn the_late_queue_leads_to_the_task_windows_it_was_judged_by_and_shows_the_staged_fix() {
    let mut r = Rig::new(false);
    r.routes();
    r.command("late");
    let q = r.m.late.clone();
    assert!(q.len() >= 5);
    // Worst first: late by decreasing minutes, then at-risk stops.
    let keys: Vec<(u8, i64)> = q.iter().map(|s| s.lateness.verdict.severity()).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted);
    assert!(matches!(r.m.screen(), Some(Screen::Late { .. })));
    let worst = q[0].clone();
    // Its window is the task's own: the queue says so, and Enter opens the
    // task's form on its windows (not the location's hours).
    assert_eq!(worst.lateness.source, WindowSource::Task);
    let text = r.screen_text(120, 40);
    assert!(text.contains(" From "), "{text}");
    assert!(
        text.lines()
            .nth(3)
            .is_some_and(|l| l.split_whitespace().any(|w| w == "task")),
        "{text}"
    );
    r.act(Action::Open);
    match r.m.screen() {
        Some(Screen::Form {
            target: Target::Task { task },
            ..
        }) => {
            assert_eq!(*task, worst.task)
        }
        other => panic!("{other:?}"),
    }
    let cell = elogii_tui::app::edit::current_cell(&r.m).unwrap();
    assert_eq!(cell.field.name, "timeWindows");
    assert_eq!(cell.entity, Entity::Task);
    assert!(
        r.status().contains("task's own time windows"),
        "{}",
        r.status()
    );
    // Stage windows 09:00-15:00.
    let mut cmds = update(&mut r.m, Msg::Action(Action::Edit));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Clear)));
    cmds.extend(update(&mut r.m, Msg::Paste("09:00-15:00".into())));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Submit)));
    r.run(cmds);
    assert_eq!(r.m.staging.pending(), 1, "{:?}", r.m.status);
    // Back to the queue: the stop is marked as staged, the others are not.
    r.act(Action::GoBack);
    assert!(matches!(r.m.screen(), Some(Screen::Late { .. })));
    let src = r.m.late_src();
    assert!(src.staged(0).is_some());
    assert!((1..q.len()).all(|i| src.staged(i).is_none()));
    let text = r.screen_text(120, 40);
    assert!(text.contains("!✎"), "{text}");
    // The queue says what the fix will do once sent: eLogii's minutes late
    // and the staged verdict, and the window it will be judged by.
    assert!(
        text.contains("1 with a staged edit · 1 on time once sent"),
        "{text}"
    );
    // With room, the margin stays by "at risk" and the order comes last.
    let wide = r.screen_text(160, 40);
    assert!(
        wide.contains(
            "at risk (< 10 min left) · 1 with a staged edit · 1 on time once sent · worst first"
        ),
        "{wide}"
    );
    let text = r.screen_text(120, 40);
    let row = text.lines().nth(3).unwrap_or_default();
    let late_by = worst.lateness.verdict.offset().unwrap();
    assert!(row.contains(&format!("+{late_by}→0")), "{row}");
    assert!(row.contains("✎09:00-15:00"), "{row}");
    assert!(
        text.lines()
            .skip(4)
            .all(|l| !l.contains('→') && !l.contains("✎0")),
        "{text}"
    );
    // `o`: the stop in its route, and `-` back to the queue.
    r.act(Action::OpenRoute);
    match r.m.screen() {
        Some(Screen::Route { uid, table }) => {
            assert_eq!(uid, &worst.route);
            let t = r.m.route(uid).unwrap().stops[table.selected_row().unwrap()];
            assert_eq!(t, worst.task);
        }
        other => panic!("{other:?}"),
    }
    // The route's stop list shows the staged windows and the verdict too,
    // and its summary counts the stop as on time once sent.
    let text = r.screen_text(120, 40);
    assert!(text.contains(" late · 1 on time once sent"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("✎09:00-15"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains(&format!("+{late_by}→0")), "{row}");
    // The mark column keeps room for both marks: late now, and staged.
    assert!(row.contains(" !✎ "), "{row}");
    r.act(Action::GoBack);
    assert!(matches!(r.m.screen(), Some(Screen::Late { .. })));
    // `]` and `[`: the queue follows the day.
    r.act(Action::NextDay);
    assert!(matches!(r.m.screen(), Some(Screen::Late { .. })));
    assert_eq!(r.m.routes.date, Some(date(2026, 12, 8)));
    r.act(Action::PrevDay);
    assert_eq!(r.m.late.len(), q.len());
}

#[test]
fn a_late_stop_judged_by_opening_hours_opens_its_location_on_that_day() {
    let mut r = Rig::new(false);
    // T-BXQXELC5 (Asda Pharmacy) loses its own windows: the location's
    // Monday hours judge it, and it stays at risk.
    for t in r.seed.tasks.iter_mut() {
        if t["uid"] == "T-BXQXELC5" {
            t["timeWindows"] = serde_json::json!([]);
        }
    }
    r.routes();
    r.command("late");
    let q = r.m.late.clone();
    let at = q
        .iter()
        .position(|s| s.task_uid == "T-BXQXELC5")
        .expect("still in the queue");
    assert_eq!(q[at].lateness.source, WindowSource::Schedule);
    assert!(
        q.iter()
            .enumerate()
            .all(|(i, s)| i == at || s.lateness.source == WindowSource::Task)
    );
    let src = r.m.late_src();
    use elogii_tui::app::table::RowSource;
    assert_eq!(src.cell(at, view::late::FROM_COL), "hours");
    assert_eq!(src.cell(0, view::late::FROM_COL), "task");
    let text = r.screen_text(120, 40);
    let line = text
        .lines()
        .find(|l| l.contains("Asda Pharmacy"))
        .expect("the stop's row");
    assert!(line.contains(" hours "), "{line}");
    // Enter: the location's form, cursor on Monday's hours.
    let Some(Screen::Late { table }) = r.m.stack.last_mut() else {
        panic!()
    };
    table.selected = table.rows.iter().position(|&i| i as usize == at).unwrap();
    r.act(Action::Open);
    assert!(
        matches!(r.m.screen(), Some(Screen::Location { .. })),
        "{:?}",
        r.m.screen()
    );
    let cell = elogii_tui::app::edit::current_cell(&r.m).unwrap();
    assert_eq!(cell.field.name, "schedule");
    assert_eq!(cell.part, Part::Day(Weekday::Mon));
    assert_eq!(Some(cell.record_id), q[at].customer_id);
    assert_eq!(
        r.status(),
        "This stop is judged by the location's opening hours for Mon (the task has no time windows of its own)."
    );
    // A wrong fix: Monday's hours staged to close at noon. Back in the
    // queue the stop says it will be late once this is sent.
    let eta = q[at].eta;
    let mut cmds = update(&mut r.m, Msg::Action(Action::Edit));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Clear)));
    cmds.extend(update(&mut r.m, Msg::Paste("09:00-12:00".into())));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Submit)));
    r.run(cmds);
    assert_eq!(r.m.staging.pending(), 1, "{:?}", r.m.status);
    r.act(Action::GoBack);
    assert!(matches!(r.m.screen(), Some(Screen::Late { .. })));
    // Now late once sent, it moves up the queue (the worse verdict orders it).
    let at =
        r.m.late
            .iter()
            .position(|s| s.task_uid == "T-BXQXELC5")
            .expect("still in the queue");
    assert_eq!(
        r.m.late[at].staged,
        Some(elogii_tui::domain::lateness::Verdict::Late { by: eta - 720 })
    );
    let src = r.m.late_src();
    let staged = src
        .staged_lateness(at)
        .expect("judged with the staged hours");
    assert_eq!(staged.lateness.source, WindowSource::Schedule);
    assert_eq!(
        staged.lateness.verdict,
        elogii_tui::domain::lateness::Verdict::Late { by: eta - 720 }
    );
    let text = r.screen_text(120, 40);
    assert!(
        text.contains("1 with a staged edit · 1 more late once sent"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.contains("Asda Pharmacy"))
        .expect("the stop's row");
    assert!(line.contains(&format!("0→+{}", eta - 720)), "{line}");
    assert!(line.contains("✎09:00-12:00 hrs"), "{line}");
    assert_eq!(r.m.late_src().cell(at, view::late::FROM_COL), "hours");
    // Windows of its own staged on the task (E, the task form): the queue's
    // From column says the staged verdict comes from the task.
    let Some(Screen::Late { table }) = r.m.stack.last_mut() else {
        panic!()
    };
    table.selected = table.rows.iter().position(|&i| i as usize == at).unwrap();
    r.act(Action::EditForm);
    let Some(Screen::Form { target, .. }) = r.m.screen().cloned() else {
        panic!("{:?}", r.m.screen())
    };
    let rows = elogii_tui::app::edit::form_rows(&r.m, target).unwrap();
    let windows = rows.iter().position(|r| r.label == "Windows").unwrap();
    if let Some(Screen::Form { field, .. }) = r.m.stack.last_mut() {
        *field = windows;
    }
    let mut cmds = update(&mut r.m, Msg::Action(Action::Edit));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Clear)));
    cmds.extend(update(&mut r.m, Msg::Paste("08:00-18:00".into())));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Submit)));
    r.run(cmds);
    assert_eq!(r.m.staging.pending(), 2, "{:?}", r.m.status);
    r.act(Action::GoBack);
    let at =
        r.m.late
            .iter()
            .position(|s| s.task_uid == "T-BXQXELC5")
            .expect("still in the queue");
    assert_eq!(r.m.late_src().cell(at, view::late::FROM_COL), "✎task");
}

#[test]
fn tasks_by_state_and_from_a_task_to_its_stop_and_back() {
    let mut r = Rig::new(false);
    r.command("tasks");
    // A task without windows of its own shows its location's hours for the
    // day (marked `hrs`); one with windows shows them as they are.
    {
        let src = r.m.source(elogii_tui::app::model::TableId::Tasks);
        let own = |i: usize| {
            r.m.tasks
                .recs
                .get(i)
                .unwrap()
                .task
                .time_windows
                .get()
                .is_some_and(|w| !w.is_empty())
        };
        let by_hours = (0..src.len())
            .find(|&i| !own(i))
            .expect("a task judged by hours");
        let text = src.cell(by_hours, view::tasks::WINDOWS_COL);
        assert!(text.ends_with(" hrs") && text.len() > 4, "{text}");
        let with_own = (0..src.len())
            .find(|&i| own(i))
            .expect("a task with windows");
        let text = src.cell(with_own, view::tasks::WINDOWS_COL);
        assert!(!text.contains("hrs") && text.contains(':'), "{text}");
    }
    r.command("tasks late");
    assert_eq!(r.m.top, TopView::Tasks);
    let late_rows = r.m.tasks_table.rows.clone();
    assert_eq!(
        late_rows.len(),
        r.m.late
            .iter()
            .filter(|s| s.lateness.verdict.is_late())
            .count()
    );
    // States of the mid-day snapshot add up to every task.
    let mut by_state = 0;
    for state in [
        "created",
        "enroute",
        "arrived",
        "completed",
        "failed",
        "cancelled",
    ] {
        r.command(&format!("tasks {state}"));
        by_state += r.m.tasks_table.rows.len();
    }
    assert_eq!(by_state, r.m.tasks.recs.len());
    r.command("tasks done");
    assert!(!r.m.tasks_table.rows.is_empty());
    assert_eq!(r.m.tasks_table.spec.scope, "completed");
    r.command("tasks failed");
    let failed = r.m.tasks_table.rows.clone();
    assert!(
        failed
            .iter()
            .all(|&i| { r.m.tasks.recs.get(i as usize).unwrap().task.state.get() == Some(&-20) })
    );
    assert!(r.screen_text(120, 40).contains("howing failed"));
    // Filter + scope survive a trip to the route and back.
    r.command("tasks late");
    r.act(Action::MoveDown);
    let row = r.m.tasks_table.selected_row().unwrap();
    r.act(Action::OpenRoute);
    let (uid, stop) = match r.m.screen() {
        Some(Screen::Route { uid, table }) => (uid.clone(), table.selected_row().unwrap()),
        other => panic!("{other:?}"),
    };
    assert_eq!(r.m.route(&uid).unwrap().stops[stop], row as u32);
    r.act(Action::GoBack);
    assert!(r.m.stack.is_empty());
    assert_eq!(r.m.tasks_table.spec.scope, "late");
    assert_eq!(r.m.tasks_table.selected_row(), Some(row));
    // `-` from the top goes back to the view before (customers, at start).
    r.act(Action::GoBack);
    r.act(Action::GoBack);
    assert_eq!(r.m.top, TopView::Customers);
    // Unknown words are a text filter, not an error.
    r.command("tasks zzzz-nothing");
    assert!(r.m.tasks_table.rows.is_empty());
    assert_eq!(r.m.tasks_table.spec.scope, "");
}

#[test]
fn lock_asks_first_defaults_to_cancel_and_updates_the_route() {
    let mut r = Rig::new(false);
    r.routes();
    let uid = r.route_rows()[0].clone();
    let id = r.m.route(&uid).unwrap().id.clone().unwrap();
    r.act(Action::Lock);
    match &r.m.confirm {
        Some(c) => {
            assert!(matches!(&c.kind, ConfirmKind::Lock { lock: true, .. }));
            assert!(!c.focus_yes, "the dialog defaults to Cancel");
        }
        None => panic!("no dialog: {:?}", r.m.status),
    }
    // Enter takes the default: nothing is sent.
    let cmds = update(&mut r.m, Msg::Confirm(ConfirmKey::Activate));
    assert!(cmds.is_empty());
    r.act(Action::Lock);
    let cmds = update(&mut r.m, Msg::Confirm(ConfirmKey::Yes));
    let req = match cmds.as_slice() {
        [
            Cmd::Lock {
                req,
                uid: u,
                ids,
                lock: true,
            },
        ] => {
            assert_eq!((u, ids), (&uid, &vec![id.clone()]));
            *req
        }
        other => panic!("{other:?}"),
    };
    update(
        &mut r.m,
        Msg::Locked {
            req,
            uid: uid.clone(),
            lock: true,
            result: Ok(()),
        },
    );
    assert_eq!(r.m.route(&uid).unwrap().locked, Some(true));
    r.command("routes locked");
    assert_eq!(r.route_rows(), vec![uid.clone()]);
    // A refusal is shown and changes nothing.
    r.act(Action::Lock);
    let cmds = update(&mut r.m, Msg::Confirm(ConfirmKey::Yes));
    let req = match cmds.as_slice() {
        [
            Cmd::Lock {
                req, lock: false, ..
            },
        ] => *req,
        other => panic!("{other:?}"),
    };
    update(
        &mut r.m,
        Msg::Locked {
            req,
            uid: uid.clone(),
            lock: false,
            result: Err("Route cannot be found".into()),
        },
    );
    assert_eq!(r.m.route(&uid).unwrap().locked, Some(true));
    assert_eq!(r.m.status.as_ref().unwrap().kind, StatusKind::Error);
}

#[test]
fn read_only_refuses_every_write_key_and_says_so_in_the_header() {
    let mut r = Rig::new(true);
    r.routes();
    assert!(
        r.screen_text(120, 40)
            .lines()
            .next()
            .unwrap()
            .contains("READ-ONLY")
    );
    assert!(
        r.screen_text(80, 24)
            .lines()
            .next()
            .unwrap()
            .contains("READ-ONLY")
    );
    let mut all = Vec::new();
    for a in [Action::Lock, Action::Send, Action::Edit] {
        all.extend(r.act(a));
        assert!(r.m.confirm.is_none() && r.m.editor.is_none());
    }
    assert!(r.m.status.as_ref().unwrap().text.contains("Read-only"));
    r.act(Action::Open);
    all.extend(r.act(Action::Lock));
    all.extend(r.command("lock"));
    all.extend(r.command("unlock"));
    all.extend(r.command("w"));
    r.command("late");
    r.act(Action::Open);
    for a in [Action::Edit, Action::CopyDay, Action::Send, Action::Undo] {
        all.extend(r.act(a));
    }
    assert!(
        all.iter()
            .all(|c| !matches!(c, Cmd::Lock { .. } | Cmd::Send { .. } | Cmd::Journal { .. })),
        "{all:?}"
    );
    assert_eq!(r.m.staging.pending(), 0);
}

/// What each screen's hint bar and help offer.
fn offered(r: &mut Rig) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut look = |r: &mut Rig, name: &str| {
        let hints: Vec<String> = view::hints(&r.m)
            .into_iter()
            .map(|(k, l)| format!("{k} {l}"))
            .collect();
        let help: Vec<String> = view::help::lines(&r.m)
            .into_iter()
            .map(|(k, w)| format!("{k} {w}"))
            .collect();
        out.push((name.to_string(), hints, help));
    };
    r.command("customers");
    look(r, "customers");
    r.act(Action::Open);
    look(r, "customer");
    r.act(Action::Open);
    look(r, "location");
    r.act(Action::GoBack);
    r.act(Action::EditForm);
    look(r, "customer form");
    r.m.stack.clear();
    r.routes();
    look(r, "routes");
    r.act(Action::Open);
    look(r, "route");
    r.command("late");
    look(r, "late");
    r.act(Action::Open);
    look(r, "task form");
    r.command("staged");
    look(r, "staged");
    out
}

#[test]
fn read_only_offers_no_key_or_command_that_would_only_be_refused() {
    let writes = [
        "W send",
        "e edit",
        "L lock",
        "u undo",
        "c day→Mo-Fr",
        "Space mark",
        "m keep mine",
    ];
    let help_writes = [
        "W send",
        "L lock",
        "e edit",
        "c copy this day",
        "u Ctrl-r undo",
        "m a conflict: send mine",
        ":send ",
        ":lock ",
        ":unlock ",
        ":undo ",
        ":redo ",
    ];
    // With writes on, the screens do offer them.
    let mut r = Rig::new(false);
    let all_hints: Vec<String> = offered(&mut r)
        .into_iter()
        .flat_map(|(_, h, help)| h.into_iter().chain(help))
        .collect();
    for w in writes.iter().chain(help_writes.iter()) {
        assert!(
            all_hints.iter().any(|h| h.starts_with(w)),
            "{w} is offered somewhere: {all_hints:?}"
        );
    }
    // Read-only: none of them anywhere, and the help says why.
    let mut r = Rig::new(true);
    for (screen, hints, help) in offered(&mut r) {
        for w in writes {
            assert!(
                !hints.iter().any(|h| h.starts_with(w)),
                "{screen}: the hint bar offers {w}: {hints:?}"
            );
        }
        for w in help_writes {
            assert!(
                !help.iter().any(|h| h.starts_with(w)),
                "{screen}: the help offers {w}: {help:?}"
            );
        }
        assert!(help[0].starts_with("READ-ONLY"), "{screen}: {help:?}");
        assert!(!hints.is_empty(), "{screen}");
    }
    // The staged list and the forms say it in their own lines too.
    let text = r.screen_text(120, 40);
    assert!(text.contains("read-only: nothing is sent"), "{text}");
    assert!(!text.contains("W send"), "{text}");
    r.act(Action::GoBack);
    let text = r.screen_text(120, 40);
    assert!(text.contains("Task — read-only, Esc goes back"), "{text}");
}

#[test]
fn snapshots_of_routes_a_route_and_the_late_queue() {
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let mut r = Rig::new(false);
        r.routes();
        insta::assert_snapshot!(format!("routes_{w}x{h}"), r.screen_text(w, h));
        let uid = r.open_latest_route();
        assert!(r.m.route(&uid).unwrap().counts.early > 0);
        // Cursor on the first late stop, so the map shows it selected.
        let first_late =
            r.m.route(&uid)
                .unwrap()
                .lateness
                .iter()
                .position(|l| l.as_ref().is_some_and(|l| l.verdict.is_late()))
                .unwrap();
        for _ in 0..first_late {
            r.act(Action::MoveDown);
        }
        let text = r.screen_text(w, h);
        assert!(text.contains("map · "), "the map shows at {w}x{h}:\n{text}");
        assert!(text.contains('@') && text.contains('D'));
        insta::assert_snapshot!(format!("route_late_early_{w}x{h}"), text);
        r.act(Action::ToggleOthers);
        if w == 120 {
            insta::assert_snapshot!(format!("route_other_routes_{w}x{h}"), r.screen_text(w, h));
        }
        r.act(Action::ToggleMap);
        let text = r.screen_text(w, h);
        assert!(!text.contains("map · "), "M hides the map");
        r.act(Action::ToggleMap);
        r.command("late");
        insta::assert_snapshot!(format!("late_queue_{w}x{h}"), r.screen_text(w, h));
    }
}

#[test]
fn a_narrow_or_small_terminal_folds_the_map_away_and_never_panics() {
    let mut r = Rig::new(false);
    r.open_latest_route();
    let text = r.screen_text(70, 24);
    assert!(!text.contains("map · "), "no room at 70 columns");
    let text = r.screen_text(60, 50);
    assert!(
        text.contains("map · "),
        "tall and narrow: the map goes under"
    );
    for (w, h) in [(1, 1), (20, 5), (40, 10), (79, 23), (200, 60)] {
        r.screen_text(w, h);
    }
    r.command("late");
    for (w, h) in [(1, 1), (20, 5), (40, 10), (200, 60)] {
        r.screen_text(w, h);
    }
}

#[test]
fn a_staged_fix_that_makes_an_on_time_stop_late_puts_it_in_the_queue() {
    let mut r = Rig::new(false);
    r.routes();
    // A stop on time, judged by its location's hours (no windows of its own).
    let (route, row, eta) =
        r.m.routes
            .recs
            .iter()
            .find_map(|route| {
                route.stops.iter().enumerate().find_map(|(k, &i)| {
                    let t = &r.m.tasks.recs.get(i as usize)?.task;
                    let l = route.lateness.get(k)?.as_ref()?;
                    let eta = elogii_tui::app::data::task_eta(t)?;
                    (l.source == WindowSource::Schedule
                        && matches!(l.verdict, Verdict::OnTime { .. })
                        && eta > 10 * 60 + 30)
                        .then(|| (route.uid.clone(), k, eta))
                })
            })
            .expect("an on-time stop judged by hours after 10:30");
    let before = r.m.late.len();
    // Open it from its route and stage Monday's hours as 09:00-10:00.
    let at = r.route_rows().iter().position(|u| *u == route).unwrap();
    r.m.routes_table.selected = at;
    r.act(Action::Open);
    let Some(Screen::Route { table, .. }) = r.m.stack.last_mut() else {
        panic!("{:?}", r.m.screen())
    };
    table.selected = table.rows.iter().position(|&i| i as usize == row).unwrap();
    r.act(Action::Open);
    assert!(matches!(r.m.screen(), Some(Screen::Location { .. })));
    let cell = elogii_tui::app::edit::current_cell(&r.m).unwrap();
    assert_eq!(cell.part, Part::Day(Weekday::Mon));
    let mut cmds = update(&mut r.m, Msg::Action(Action::Edit));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Clear)));
    cmds.extend(update(&mut r.m, Msg::Paste("09:00-10:00".into())));
    cmds.extend(update(&mut r.m, Msg::Editor(EditKey::Submit)));
    r.run(cmds);
    assert_eq!(r.m.staging.pending(), 1, "{:?}", r.m.status);
    // The queue holds it now, with what the fix would do.
    r.command("late");
    assert_eq!(r.m.late.len(), before + 1);
    let text = r.screen_text(120, 40);
    assert!(text.contains("1 more late once sent"), "{text}");
    let late_by = eta - 600;
    let line = text
        .lines()
        .find(|l| l.contains(&format!("0→+{late_by}")))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("✎09:00-10:00"), "{line}");
    // Undo: it leaves the queue again.
    r.act(Action::Undo);
    assert_eq!(r.m.staging.pending(), 0);
    assert_eq!(r.m.late.len(), before);
}
