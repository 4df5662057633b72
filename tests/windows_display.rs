//! A time window past midnight (`23:00-01:00+1`, 1380..1500) typed into a
//! task's Windows is shown with its `+1` wherever it appears: the Tasks
//! view's cell, the status line after staging, the route's stop list, the
//! editor opened on it again, and the record form; and what is shown reads
//! back to the same minutes. Demo data of Monday 2026-12-07, loads answered
//! from the seed, an in-memory journal; no terminal, no network.

use elogii_tui::app::model::{Screen, TableId};
use elogii_tui::app::msg::{Action, EditKey, Msg};
use elogii_tui::app::update::update;
use elogii_tui::domain::schedule::{format_window, parse_day};
use elogii_tui::view;

#[path = "common/demo_rig.rs"]
mod demo_rig;
use demo_rig::Rig;

const NIGHT: &str = "23:00-01:00+1";

#[test]
fn a_window_past_midnight_is_written_with_its_plus_one_and_reads_back() {
    assert_eq!(format_window(1380, 1500), NIGHT);
    assert_eq!(format_window(1320, 1560), "22:00-02:00+1");
    assert_eq!(format_window(1080, 1920), "18:00-08:00+1");
    // Until midnight is still the same day.
    assert_eq!(format_window(1320, 1440), "22:00-24:00");
    for (s, e) in [
        (1380, 1500),
        (1320, 1560),
        (1080, 1920),
        (60, 1500),
        (0, 2880),
    ] {
        let shown = format_window(s, e);
        assert!(shown.ends_with("+1"), "{shown}");
        assert_eq!(parse_day(&shown), Ok(vec![(s, e)]), "{shown}");
    }
}

#[test]
fn a_staged_night_window_keeps_its_plus_one_in_every_view() {
    let mut r = Rig::new(false);
    r.command("tasks");
    // The first task with windows of its own that is on a route.
    let row = {
        let src = r.m.source(TableId::Tasks);
        (0..src.len())
            .find(|&i| {
                let t = &r.m.tasks.recs.get(i).unwrap().task;
                t.time_windows.get().is_some_and(|w| !w.is_empty())
                    && elogii_tui::app::data::task_order(t).is_some()
            })
            .expect("a routed task with its own windows")
    };
    let at =
        r.m.tasks_table
            .rows
            .iter()
            .position(|&i| i as usize == row)
            .unwrap();
    r.m.tasks_table.selected = at;
    for _ in 0..view::tasks::WINDOWS_COL {
        r.act(Action::Right);
    }
    let cell = elogii_tui::app::edit::current_cell(&r.m).unwrap();
    assert_eq!(cell.field.name, "timeWindows");

    r.stage(NIGHT);
    assert_eq!(r.m.staging.pending(), 1, "{:?}", r.m.status);
    // What was staged: 23:00 to 01:00 the next day.
    let staged = r.m.staging.iter().next().expect("one staged edit");
    assert_eq!(
        staged.edit.edit.new,
        Some(serde_json::json!([{"start": 1380, "end": 1500}]))
    );
    // The status says what was staged, with the +1.
    let status = r.status();
    assert!(status.contains(&format!("→ {NIGHT}")), "{status}");
    // The Tasks view shows the staged value with its +1.
    let text = r.screen_text(160, 40);
    let line = text
        .lines()
        .find(|l| l.contains("✎23:00"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(&format!("✎{NIGHT}")), "{line}");
    // The editor opened again on the cell starts from the same text, and
    // that text reads back to the staged minutes.
    update(&mut r.m, Msg::Action(Action::Edit));
    let shown = r.m.editor.as_ref().expect("an editor").value();
    assert_eq!(shown, NIGHT);
    assert_eq!(parse_day(&shown), Ok(vec![(1380, 1500)]));
    update(&mut r.m, Msg::Editor(EditKey::Cancel));

    // The record form shows it too.
    r.act(Action::EditForm);
    let text = r.screen_text(160, 40);
    assert!(text.contains(NIGHT), "{text}");
    r.act(Action::Back);

    // The route's stop list: the staged window, with its +1.
    r.command("tasks");
    r.m.tasks_table.selected =
        r.m.tasks_table
            .rows
            .iter()
            .position(|&i| i as usize == row)
            .unwrap();
    r.act(Action::OpenRoute);
    assert!(
        matches!(r.m.screen(), Some(Screen::Route { .. })),
        "{:?}",
        r.m.screen()
    );
    let text = r.screen_text(160, 40);
    let line = text
        .lines()
        .find(|l| l.contains("✎23:00"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(&format!("✎{NIGHT}")), "{line}");
}

#[test]
fn clearing_a_tasks_windows_says_the_locations_hours_apply() {
    let mut r = Rig::new(false);
    r.command("tasks");
    let row = (0..r.m.tasks.recs.len())
        .find(|&i| {
            let t = &r.m.tasks.recs.get(i).unwrap().task;
            t.time_windows.get().is_some_and(|w| !w.is_empty())
        })
        .expect("a task with windows of its own");
    let at =
        r.m.tasks_table
            .rows
            .iter()
            .position(|&i| i as usize == row)
            .unwrap();
    r.m.tasks_table.selected = at;
    for _ in 0..view::tasks::WINDOWS_COL {
        r.act(Action::Right);
    }
    r.stage("");
    assert_eq!(r.m.staging.pending(), 1, "{:?}", r.m.status);
    assert!(
        r.status()
            .contains("→ none (the location's opening hours apply)"),
        "{}",
        r.status()
    );
}
