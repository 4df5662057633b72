//! Editing in the console, through `update`: messages in, model and commands
//! out. Journal commands run against an in-memory journal with the same
//! function the effects use; writer events are fed by hand. No terminal, no
//! network.

use elogii_tui::api::types::Customer;
use elogii_tui::app::edit::{
    Mark, current_cell, form_rows, staged_cell, staged_order, summary_text,
};
use elogii_tui::app::effects::run_journal_op;
use elogii_tui::app::model::{ConfirmKind, JournalStatus, Model, Part, Screen, StatusKind};
use elogii_tui::app::msg::{
    Action, Cmd, ConfirmKey, EditKey, JournalOp, JournalReply, LoadKind, Msg,
};
use elogii_tui::app::run::model_for;
use elogii_tui::app::update::{start, update};
use elogii_tui::config::UiConfig;
use elogii_tui::domain::edit::{Entity, FieldPath};
use elogii_tui::sync::batch::{EditId, EditOutcome, EditState};
use elogii_tui::sync::journal::Journal;
use elogii_tui::sync::writer::{Progress, RunSummary, WriterEvent};
use jiff::Timestamp;
use jiff::civil::{Date, date};
use ratatui_textarea::{Input, Key};
use serde_json::{Value, json};

const TODAY: Date = date(2026, 12, 3);
const ORIGIN: &str = "http://127.0.0.1:9";

/// Customers 0–3 have a contact name; 4 has none (its Contact cell shows the
/// site's e-mail).
fn customer(i: usize) -> Customer {
    let mut c = json!({
        "_id": format!("{i:024x}"),
        "uid": format!("CUS-{i:08}"),
        "externalId": format!("ext-{i}"),
        "name": format!("Customer {i:03}"),
        "tags": ["pharmacy"],
        "customData": {"keep": [1, null]},
        "locations": [{
            "uid": format!("CL-{i:08}"),
            "name": format!("Site {i}"),
            "address": format!("{i} High Street"),
            "postCode": format!("M{i} 1AA"),
            "city": "Bolton",
            "country": "GB",
            "coordinates": [-2.3, 53.4],
            "contactEmail": "shop@example.com",
            "setupDuration": 5,
            "schedule": {
                "Mon": {"timeWindows": [{"start": 510, "end": 1050}]},
                "Tue": {"timeWindows": [{"start": 510, "end": 1050}]}
            }
        }]
    });
    if i != 4 {
        c["contactName"] = json!(format!("Desk {i}"));
    }
    serde_json::from_value(c).unwrap()
}

struct Rig {
    m: Model,
    j: Journal,
}

impl Rig {
    fn new(read_only: bool) -> Rig {
        Rig::with_customers(read_only, (0..5).map(customer).collect())
    }

    /// A rig that loads `page` as the customers.
    fn with_customers(read_only: bool, page: Vec<Customer>) -> Rig {
        let mut m = model_for(
            "test".into(),
            &UiConfig::default(),
            vec![],
            read_only,
            TODAY,
            false,
        );
        update(&mut m, Msg::Resize(100, 30));
        let cmds = start(&mut m);
        let req = match cmds.as_slice() {
            [
                Cmd::Load {
                    req,
                    kind: LoadKind::Customers,
                    ..
                },
            ] => *req,
            other => panic!("{other:?}"),
        };
        let total = page.len();
        update(&mut m, Msg::CustomersPage { req, page });
        update(
            &mut m,
            Msg::Loaded {
                req,
                total,
                at: Timestamp::from_second(1_800_000_000).unwrap(),
            },
        );
        let mut rig = Rig {
            m,
            j: Journal::open_in_memory().unwrap(),
        };
        rig.pump(vec![Cmd::Journal {
            op: 0,
            action: JournalOp::Reload { banner: true },
        }]);
        assert_eq!(rig.m.journal, JournalStatus::Ready);
        rig
    }

    /// Runs journal commands as the effects would and feeds the answers back;
    /// returns the other commands.
    fn pump(&mut self, cmds: Vec<Cmd>) -> Vec<Cmd> {
        let mut rest = Vec::new();
        for c in cmds {
            match c {
                Cmd::Journal { op, action } => {
                    let reply = run_journal_op(&self.j, ORIGIN, op, action);
                    let more = update(&mut self.m, Msg::Journal(reply));
                    rest.extend(self.pump(more));
                }
                other => rest.push(other),
            }
        }
        rest
    }

    fn act(&mut self, a: Action) -> Vec<Cmd> {
        let cmds = update(&mut self.m, Msg::Action(a));
        self.pump(cmds)
    }

    fn key(&mut self, k: EditKey) -> Vec<Cmd> {
        let cmds = update(&mut self.m, Msg::Editor(k));
        self.pump(cmds)
    }

    fn confirm(&mut self, k: ConfirmKey) -> Vec<Cmd> {
        let cmds = update(&mut self.m, Msg::Confirm(k));
        self.pump(cmds)
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(EditKey::Input(Input {
                key: Key::Char(c),
                ctrl: false,
                alt: false,
                shift: false,
            }));
        }
    }

    /// Opens the editor, clears it, types `text` and presses `submit`.
    fn edit(&mut self, text: &str, submit: EditKey) -> Vec<Cmd> {
        self.act(Action::Edit);
        assert!(self.m.editor.is_some(), "the editor opens");
        self.key(EditKey::Clear);
        self.type_text(text);
        self.key(submit)
    }

    fn editor_text(&self) -> String {
        self.m.editor.as_ref().unwrap().value()
    }

    fn status(&self) -> String {
        self.m
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }

    /// Opens customer `i`'s first location form and puts the cursor on `label`.
    fn location_form(&mut self, i: usize, label: &str) {
        self.m.customers_table.selected = i;
        self.act(Action::Open);
        self.act(Action::Open);
        assert!(matches!(self.m.screen(), Some(Screen::Location { .. })));
        self.form_row(label);
    }

    fn form_row(&mut self, label: &str) {
        self.act(Action::Top);
        let Some(Screen::Location { cust, loc, .. }) = self.m.screen().cloned() else {
            panic!("not on a location form");
        };
        let rows = form_rows(
            &self.m,
            elogii_tui::app::model::Target::Location { cust, loc },
        )
        .unwrap();
        let at = rows
            .iter()
            .position(|r| r.label.trim() == label)
            .unwrap_or_else(|| panic!("no row {label}"));
        for _ in 0..at {
            self.act(Action::MoveDown);
        }
    }

    fn pending(&self) -> Vec<(String, Option<Value>)> {
        self.j
            .pending(None)
            .unwrap()
            .into_iter()
            .map(|p| (p.edit.field.to_string(), p.edit.new))
            .collect()
    }
}

#[test]
fn edit_a_cell_cancel_then_stage_shows_the_staged_value_with_a_mark() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6; // Postcode of the first location
    r.act(Action::Edit);
    let ed = r.m.editor.as_ref().expect("editor");
    assert_eq!(ed.value(), "M0 1AA");
    assert_eq!(
        ed.cell.field,
        FieldPath::location("CL-00000000", "postCode")
    );
    // Esc: nothing staged.
    let cmds = r.key(EditKey::Cancel);
    assert!(cmds.is_empty() && r.m.editor.is_none());
    assert!(r.pending().is_empty());
    // Typed and staged: a journal command, then the staged value shows.
    r.act(Action::Edit);
    r.key(EditKey::Clear);
    r.type_text("M1 2AB");
    let cmds = update(&mut r.m, Msg::Editor(EditKey::Submit));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Journal { action: JournalOp::Stage { edits, .. }, .. }]
            if edits[0].new == Some(json!("M1 2AB")) && edits[0].base == Some(json!("M0 1AA"))),
        "{cmds:?}"
    );
    assert!(r.m.editor.is_none());
    // Not shown as staged before the journal answers.
    assert!(staged_cell(&r.m, None, 0, 6).is_none());
    r.pump(cmds);
    assert_eq!(
        r.pending(),
        vec![(
            "locations[CL-00000000].postCode".to_string(),
            Some(json!("M1 2AB"))
        )]
    );
    assert_eq!(
        staged_cell(&r.m, None, 0, 6),
        Some(("M1 2AB".to_string(), Mark::Staged))
    );
    // The journal names the record as `elogii-tui staged` lists it.
    let labels: Vec<String> =
        r.j.pending(None)
            .unwrap()
            .into_iter()
            .filter_map(|p| p.label)
            .collect();
    assert_eq!(labels, vec!["CUS-00000000 Customer 000".to_string()]);
    assert!(
        r.status().contains("Staged Postcode: M0 1AA → M1 2AB"),
        "{}",
        r.status()
    );
    // Editing again starts from the staged value; the base stays eLogii's.
    r.act(Action::Edit);
    assert_eq!(r.editor_text(), "M1 2AB");
    assert_eq!(r.m.editor.as_ref().unwrap().base, Some(json!("M0 1AA")));
}

#[test]
fn pasted_control_characters_are_refused_and_line_breaks_become_spaces() {
    let mut r = Rig::new(false);
    r.location_form(1, "Name");
    r.act(Action::Edit);
    r.key(EditKey::Clear);
    update(&mut r.m, Msg::Paste("Plane\tTree\u{1b}[2J\r\nCourt".into()));
    // shown, never run: the escape is a visible stand-in in the editor
    assert_eq!(r.editor_text(), "Plane Tree␛[2J Court");
    let cmds = r.key(EditKey::Submit);
    assert!(cmds.is_empty(), "{cmds:?}");
    let error =
        r.m.editor
            .as_ref()
            .unwrap()
            .error
            .clone()
            .expect("an error");
    assert_eq!(error, "remove ␛ (a control character)");
    assert!(r.pending().is_empty());
    // A paste of an address over two lines is one line with a space, whether
    // the terminal ends its lines with CR (as tmux pastes), LF or both.
    r.key(EditKey::Clear);
    update(&mut r.m, Msg::Paste("Plane\rTree\r\n".into()));
    assert_eq!(r.editor_text(), "Plane Tree ");
    r.key(EditKey::Clear);
    update(&mut r.m, Msg::Paste("Plane Tree\nCourt".into()));
    r.key(EditKey::Submit);
    assert_eq!(
        r.pending(),
        vec![(
            "locations[CL-00000001].name".to_string(),
            Some(json!("Plane Tree Court"))
        )]
    );
}

#[test]
fn the_contact_cell_edits_the_field_it_shows() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 3;
    r.act(Action::Edit);
    let ed = r.m.editor.as_ref().expect("editor");
    assert_eq!(ed.value(), "Desk 0");
    assert_eq!(ed.cell.field, FieldPath::top("contactName"));
    r.key(EditKey::Cancel);
    // Customer 4 has no contact name, so the cell shows the site's e-mail.
    r.m.customers_table.selected = 4;
    r.act(Action::Edit);
    let ed = r.m.editor.as_ref().expect("editor");
    assert_eq!(ed.value(), "shop@example.com");
    assert_eq!(
        ed.cell.field,
        FieldPath::location("CL-00000004", "contactEmail")
    );
    r.key(EditKey::Clear);
    r.type_text("orders@example.com");
    r.key(EditKey::Submit);
    assert_eq!(
        r.pending(),
        vec![(
            "locations[CL-00000004].contactEmail".to_string(),
            Some(json!("orders@example.com"))
        )]
    );
}

#[test]
fn an_invalid_value_is_never_staged_and_the_reason_shows_under_the_editor() {
    let mut r = Rig::new(false);
    r.location_form(1, "Email");
    let cmds = r.edit("not an address", EditKey::Submit);
    assert!(cmds.is_empty(), "{cmds:?}");
    let ed = r.m.editor.as_ref().expect("the editor stays open");
    let error = ed.error.clone().expect("an error");
    assert!(error.contains("is not an e-mail address"), "{error}");
    assert!(r.pending().is_empty());
    // Typing clears the message; a good value stages.
    r.type_text("x");
    assert!(r.m.editor.as_ref().unwrap().error.is_none());
    r.key(EditKey::Clear);
    r.type_text("orders@example.com");
    r.key(EditKey::Submit);
    assert_eq!(r.pending().len(), 1);

    // Schedules: one day of the grid.
    r.form_row("Mon");
    for (text, want) in [
        ("13:00-09:00", "ends before it starts"),
        ("25:00-26:00", "out of range"),
        ("09:00-12:00, 11:00-13:00", "overlaps"),
        ("nine to five", "is not a time window"),
    ] {
        r.edit(text, EditKey::Submit);
        let error = r.m.editor.as_ref().unwrap().error.clone().unwrap();
        assert!(error.contains(want), "{text}: {error}");
        r.key(EditKey::Cancel);
    }
    assert_eq!(r.pending().len(), 1, "nothing more was staged");
    // Past midnight is fine: 22:00-02:00 is 1320..1560.
    r.edit("22:00-02:00", EditKey::Submit);
    let sched = r
        .pending()
        .into_iter()
        .find(|(f, _)| f.ends_with("schedule"))
        .unwrap()
        .1
        .unwrap();
    assert_eq!(
        sched["Mon"]["timeWindows"],
        json!([{"start": 1320, "end": 1560}])
    );
    assert_eq!(
        sched["Tue"]["timeWindows"],
        json!([{"start": 510, "end": 1050}])
    );
}

#[test]
fn the_one_line_schedule_round_trips_with_the_week_grid() {
    let mut r = Rig::new(false);
    r.location_form(2, "Hours");
    assert!(r.m.screen().is_some());
    r.act(Action::Edit);
    assert_eq!(r.editor_text(), "Mo-Tu 08:30-17:30; We-Su off");
    r.key(EditKey::Clear);
    r.type_text("Mo-Fr 08:00-17:00; Sa 09:00-12:00; Su off");
    r.key(EditKey::Submit);
    assert!(!r.status().contains("will be closed"), "{}", r.status());
    let Some(Screen::Location { cust, loc, .. }) = r.m.screen().cloned() else {
        panic!()
    };
    let rows = form_rows(&r.m, elogii_tui::app::model::Target::Location { cust, loc }).unwrap();
    let row = |l: &str| rows.iter().find(|x| x.label.trim() == l).unwrap().clone();
    assert_eq!(
        row("Hours").value,
        "Mo-Fr 08:00-17:00; Sa 09:00-12:00; Su off"
    );
    assert_eq!(row("Hours").mark, Some(Mark::Staged));
    assert_eq!(row("Wed").value, "08:00-17:00");
    assert_eq!(row("Sat").value, "09:00-12:00");
    assert_eq!(row("Sat").mark, Some(Mark::Staged));
    assert_eq!(row("Sun").value, "closed");
    assert_eq!(row("Sun").mark, None, "an unchanged day has no mark");
    // Copy Saturday to Monday–Friday with one key.
    r.form_row("Sat");
    r.act(Action::CopyDay);
    let sched = r.pending()[0].1.clone().unwrap();
    for d in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] {
        assert_eq!(
            sched[d]["timeWindows"],
            json!([{"start": 540, "end": 720}]),
            "{d}"
        );
    }
    assert!(sched.get("Sun").is_none());
    // Still one edit of the field (the journal replaced its value).
    assert_eq!(r.pending().len(), 1);
    // A week line that leaves out days eLogii has hours for says so.
    r.form_row("Hours");
    r.edit("We-Fr 08:00-17:00", EditKey::Submit);
    assert!(
        r.status()
            .contains("Mo, Tu had hours and will be closed (u undoes)"),
        "{}",
        r.status()
    );

    // Clearing the line does not wipe the hours; `none` does, and its days
    // show as not set rather than closed.
    r.form_row("Hours");
    r.act(Action::Edit);
    r.key(EditKey::Clear);
    r.key(EditKey::Submit);
    let error =
        r.m.editor
            .as_ref()
            .unwrap()
            .error
            .clone()
            .expect("an error");
    assert!(error.contains("type none to remove"), "{error}");
    r.type_text("none");
    r.key(EditKey::Submit);
    assert_eq!(r.pending()[0].1, Some(Value::Null));
    let rows = form_rows(&r.m, elogii_tui::app::model::Target::Location { cust, loc }).unwrap();
    let row = |l: &str| rows.iter().find(|x| x.label.trim() == l).unwrap().clone();
    assert_eq!(row("Mon").value, "", "not set, not closed");
    assert_eq!(row("Mon").mark, Some(Mark::Staged), "it had hours");
    assert_eq!(
        row("Sun").mark,
        Some(Mark::Staged),
        "closed before, not set now: shown differently, so marked"
    );
}

#[test]
fn tab_stages_and_moves_to_the_next_editable_cell_shift_tab_back() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 0; // Name
    r.edit("Renamed 0", EditKey::Next);
    // External id (column 1) is next; the UID column is skipped later.
    let ed = r.m.editor.as_ref().expect("the next cell is being edited");
    assert_eq!(ed.cell.field, FieldPath::top("externalId"));
    assert_eq!(r.m.customers_table.col, 1);
    r.key(EditKey::Next);
    assert_eq!(r.m.customers_table.col, 3, "UID (2) is not editable");
    assert_eq!(
        r.m.editor.as_ref().unwrap().cell.field,
        FieldPath::top("contactName")
    );
    r.key(EditKey::Prev);
    assert_eq!(r.m.customers_table.col, 1);
    r.key(EditKey::Cancel);
    assert_eq!(r.pending().len(), 1, "only the name changed");
    // At the last editable column Tab wraps to the next row.
    r.m.customers_table.col = 8;
    r.act(Action::Edit);
    r.key(EditKey::Next);
    assert_eq!(r.m.customers_table.selected, 1);
    assert_eq!(r.m.customers_table.col, 0);
    r.key(EditKey::Cancel);
    // In a form Tab goes to the next editable line.
    r.location_form(3, "UID");
    r.form_row("Address");
    r.edit("4 Low Street", EditKey::Next);
    let c = current_cell(&r.m).unwrap();
    assert_eq!(c.field.name, "addressLine2");
    assert_eq!(r.m.editor.as_ref().unwrap().cell.label, "Address line 2");
}

#[test]
fn undo_and_redo_walk_the_stagings() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 3; // contactName
    r.edit("Ann", EditKey::Submit);
    r.edit("Bob", EditKey::Submit);
    assert_eq!(
        r.pending(),
        vec![("contactName".into(), Some(json!("Bob")))]
    );
    r.act(Action::Undo);
    assert_eq!(
        r.pending(),
        vec![("contactName".into(), Some(json!("Ann")))]
    );
    assert!(r.status().starts_with("Undone"), "{}", r.status());
    r.act(Action::Undo);
    assert!(r.pending().is_empty());
    assert!(staged_cell(&r.m, None, 0, 3).is_none());
    r.act(Action::Undo);
    assert_eq!(r.status(), "Nothing to undo.");
    r.act(Action::Redo);
    assert_eq!(
        r.pending(),
        vec![("contactName".into(), Some(json!("Ann")))]
    );
    r.act(Action::Redo);
    assert_eq!(
        r.pending(),
        vec![("contactName".into(), Some(json!("Bob")))]
    );
    assert_eq!(
        staged_cell(&r.m, None, 0, 3),
        Some(("Bob".into(), Mark::Staged))
    );
    // A new edit clears what could be redone.
    r.act(Action::Undo);
    r.edit("Cy", EditKey::Submit);
    r.act(Action::Redo);
    assert_eq!(r.status(), "Nothing to redo.");
}

#[test]
fn the_send_confirm_shows_the_count_and_defaults_to_cancel() {
    let mut r = Rig::new(false);
    assert!(r.act(Action::Send).is_empty());
    assert_eq!(r.status(), "Nothing is staged.");
    r.m.customers_table.col = 6;
    r.edit("M9 9ZZ", EditKey::Submit);
    r.m.customers_table.selected = 1;
    r.edit("M9 9ZY", EditKey::Submit);
    r.m.customers_table.col = 3;
    r.edit("Zoe", EditKey::Submit);
    r.act(Action::Send);
    let c = r.m.confirm.clone().expect("a confirm");
    assert_eq!(c.text, "Send 3 edits in 1 batch to eLogii?");
    assert!(!c.focus_yes, "the focus starts on Cancel");
    assert_eq!(
        elogii_tui::app::run::mode_of(&r.m),
        elogii_tui::app::keymap::Mode::Confirm
    );
    // Enter takes the focused button: Cancel.
    let cmds = r.confirm(ConfirmKey::Activate);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(r.m.confirm.is_none());
    assert_eq!(r.status(), "Nothing was sent.");
    // Moving to Send and pressing Enter sends everything.
    r.act(Action::Send);
    r.confirm(ConfirmKey::Toggle);
    let cmds = r.confirm(ConfirmKey::Activate);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Send { ids: None }]),
        "{cmds:?}"
    );
    // `:w` asks the same; n cancels, y sends.
    update(&mut r.m, Msg::Action(Action::Command));
    for c in "w".chars() {
        update(
            &mut r.m,
            Msg::Edit(elogii_tui::app::msg::LineEdit::Insert(c)),
        );
    }
    update(&mut r.m, Msg::Edit(elogii_tui::app::msg::LineEdit::Submit));
    assert!(matches!(r.m.confirm, Some(ref c) if matches!(c.kind, ConfirmKind::Send(None))));
    assert!(r.confirm(ConfirmKey::No).is_empty());
    r.act(Action::Send);
    assert!(matches!(
        r.confirm(ConfirmKey::Yes).as_slice(),
        [Cmd::Send { ids: None }]
    ));
    // 51 records make two updateMany calls of at most 50.
    r.m.batch_size = 2;
    r.act(Action::Send);
    assert_eq!(
        r.m.confirm.as_ref().unwrap().text,
        "Send 3 edits in 1 batch to eLogii?",
        "two customers: one call"
    );
    r.confirm(ConfirmKey::No);
    r.m.batch_size = 1;
    r.act(Action::Send);
    assert_eq!(
        r.m.confirm.as_ref().unwrap().text,
        "Send 3 edits in 2 batches to eLogii?"
    );
}

#[test]
fn quitting_with_staged_edits_asks_and_says_they_are_kept() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 3;
    r.edit("Ann", EditKey::Submit);
    r.act(Action::Quit);
    assert!(!r.m.quit);
    let c = r.m.confirm.clone().expect("asks");
    assert_eq!(
        c.text,
        "1 staged edit is kept in the journal and restored at the next start. Quit?"
    );
    r.confirm(ConfirmKey::Activate);
    assert!(!r.m.quit, "Enter is Cancel");
    // Ctrl-c asks too; in the dialog Ctrl-c again quits.
    r.act(Action::ForceQuit);
    assert!(r.m.confirm.is_some() && !r.m.quit);
    r.confirm(ConfirmKey::No);
    r.act(Action::Quit);
    r.confirm(ConfirmKey::Yes);
    assert!(r.m.quit);

    // While a send runs it says so.
    let mut r = Rig::new(false);
    r.m.customers_table.col = 3;
    r.edit("Ann", EditKey::Submit);
    update(
        &mut r.m,
        Msg::Writer(WriterEvent::RunStarted {
            run: 1,
            edits: 1,
            recovering: 0,
        }),
    );
    r.act(Action::Quit);
    assert!(
        r.m.confirm
            .as_ref()
            .unwrap()
            .text
            .starts_with("A send is in progress. Quit anyway?")
    );
    // With nothing staged it quits at once.
    let mut r = Rig::new(false);
    r.act(Action::Quit);
    assert!(r.m.quit && r.m.confirm.is_none());
}

#[test]
fn read_only_refuses_staging_and_sending_with_a_message() {
    let mut r = Rig::new(true);
    r.m.customers_table.col = 6;
    let cmds = r.act(Action::Edit);
    assert!(cmds.is_empty());
    assert!(r.m.editor.is_none());
    assert!(r.status().starts_with("Read-only"), "{}", r.status());
    assert_eq!(r.m.status.as_ref().unwrap().kind, StatusKind::Error);
    r.act(Action::Send);
    assert!(r.m.confirm.is_none());
    assert!(r.status().starts_with("Read-only"));
    r.act(Action::Redo);
    assert!(r.status().starts_with("Read-only"));
    assert!(r.pending().is_empty());
    // A journal that could not be opened turns editing off too.
    let mut r = Rig::new(false);
    update(&mut r.m, Msg::JournalUnavailable("disk full".into()));
    r.act(Action::Edit);
    assert!(r.m.editor.is_none());
    assert!(r.status().contains("Editing is off: disk full"));
}

#[test]
fn a_far_move_of_the_pin_asks_first_and_says_how_far() {
    let mut r = Rig::new(false);
    r.location_form(0, "Coordinates");
    r.act(Action::Edit);
    assert_eq!(r.editor_text(), "53.4, -2.3");
    r.key(EditKey::Clear);
    r.type_text("53.43, -2.3");
    let cmds = r.key(EditKey::Submit);
    let c = r.m.confirm.clone().expect("3.3 km asks");
    assert!(cmds.is_empty());
    assert_eq!(c.text, "This moves the pin 3.3 km. Stage it?");
    r.confirm(ConfirmKey::No);
    assert!(r.m.editor.is_some(), "back in the editor");
    assert!(r.pending().is_empty());
    r.key(EditKey::Submit);
    r.confirm(ConfirmKey::Yes);
    assert_eq!(
        r.pending(),
        vec![(
            "locations[CL-00000000].coordinates".into(),
            Some(json!([-2.3, 53.43]))
        )]
    );
    // A short move stages at once; out-of-range is refused.
    r.edit("53.431, -2.301", EditKey::Submit);
    assert!(r.m.confirm.is_none() && r.m.editor.is_none());
    r.edit("153.4, -2.3", EditKey::Submit);
    let error = r.m.editor.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("out of range"), "{error}");
    r.key(EditKey::Cancel);
    // Longitude first, as eLogii stores it: the question says so.
    r.edit("-2.301, 53.431", EditKey::Submit);
    let c = r.m.confirm.clone().expect("a far move asks");
    assert!(
        c.text
            .contains("latitude and longitude swapped? 53.431, -2.301 would move it 0.0 km"),
        "{}",
        c.text
    );
}

#[test]
fn instructions_are_multi_line_and_external_editor_text_comes_back() {
    let mut r = Rig::new(false);
    r.location_form(0, "Instructions");
    r.act(Action::Edit);
    assert!(r.m.editor.as_ref().unwrap().multiline);
    r.type_text("Ring twice");
    assert!(r.key(EditKey::Submit).is_empty(), "Enter is a new line");
    r.type_text("Side door");
    assert_eq!(r.editor_text(), "Ring twice\nSide door");
    // Ctrl-o hands the text to $EDITOR (the loop runs it).
    let cmds = r.key(EditKey::External);
    let token = match cmds.as_slice() {
        [Cmd::ExternalEditor { token, text }] => {
            assert_eq!(text, "Ring twice\nSide door");
            *token
        }
        other => panic!("{other:?}"),
    };
    // An answer for another session is dropped.
    update(
        &mut r.m,
        Msg::ExternalEdited {
            token: token + 7,
            result: Ok("stale\n".into()),
        },
    );
    assert_eq!(r.editor_text(), "Ring twice\nSide door");
    update(
        &mut r.m,
        Msg::ExternalEdited {
            token,
            result: Ok("Ring twice\nUse the side door\u{1b}[2J\n".into()),
        },
    );
    // Control characters become visible placeholders, never raw bytes, and
    // are never staged as if typed.
    assert_eq!(r.editor_text(), "Ring twice\nUse the side door␛[2J");
    r.key(EditKey::Stage);
    let error =
        r.m.editor
            .as_ref()
            .unwrap()
            .error
            .clone()
            .expect("an error");
    assert_eq!(error, "remove ␛ (a control character)");
    assert!(r.pending().is_empty());
    update(
        &mut r.m,
        Msg::ExternalEdited {
            token,
            result: Ok("Ring twice\nUse the side door\n".into()),
        },
    );
    r.key(EditKey::Stage);
    assert_eq!(
        r.pending()[0].1,
        Some(json!("Ring twice\nUse the side door"))
    );
    // A failing editor leaves a message, not a change.
    r.act(Action::Edit);
    let token = r.m.editor.as_ref().unwrap().token;
    update(
        &mut r.m,
        Msg::ExternalEdited {
            token,
            result: Err("vi exited with 1".into()),
        },
    );
    assert!(
        r.m.editor
            .as_ref()
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .contains("vi exited")
    );
    // Single-line fields join pasted lines.
    r.key(EditKey::Cancel);
    r.form_row("Postcode");
    r.act(Action::Edit);
    r.key(EditKey::Clear);
    update(&mut r.m, Msg::Paste("BL1\n1AA".into()));
    assert_eq!(r.editor_text(), "BL1 1AA");
}

fn staged_ids(r: &Rig) -> Vec<EditId> {
    r.j.pending(None)
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[test]
fn writer_events_move_rows_through_their_states_and_sent_values_land_in_the_table() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    for i in 0..3 {
        r.m.customers_table.selected = i;
        r.edit(&format!("M{i} 9ZZ"), EditKey::Submit);
    }
    let ids = staged_ids(&r);
    let ev = |r: &mut Rig, e: WriterEvent| {
        let cmds = update(&mut r.m, Msg::Writer(e));
        r.pump(cmds)
    };
    ev(
        &mut r,
        WriterEvent::RunStarted {
            run: 4,
            edits: 3,
            recovering: 0,
        },
    );
    ev(
        &mut r,
        WriterEvent::BatchStarted {
            run: 4,
            batch: "b1".into(),
            entity: Entity::Customer,
            items: 3,
            edits: ids.clone(),
        },
    );
    assert_eq!(staged_cell(&r.m, None, 0, 6).unwrap().1, Mark::Sending);
    ev(
        &mut r,
        WriterEvent::Progress {
            run: 4,
            progress: Progress {
                batches_total: 12,
                batches_done: 3,
                batches_failed: 1,
                ..Progress::default()
            },
        },
    );
    assert_eq!(
        elogii_tui::app::edit::sync_text(&r.m),
        "sending 3/12 batches, 1 failed"
    );
    // Sending edits cannot be edited meanwhile.
    r.m.customers_table.selected = 0;
    r.act(Action::Edit);
    assert!(r.m.editor.is_none());
    // The journal records outcomes before the writer reports them.
    r.j.claim("b1", &[(ids[0], 1), (ids[1], 1), (ids[2], 1)])
        .unwrap();
    let outcomes = vec![
        (ids[0], EditOutcome::Sent),
        (ids[1], EditOutcome::Failed("postCode is not valid".into())),
        (
            ids[2],
            EditOutcome::Conflict {
                theirs: Some(json!("M2 0XX")),
            },
        ),
    ];
    r.j.record(
        &outcomes
            .iter()
            .map(|(id, o)| (*id, 1, o.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    ev(&mut r, WriterEvent::Edits { run: 4, outcomes });
    // Sent: the table shows the new value as eLogii's, without a mark.
    assert!(staged_cell(&r.m, None, 0, 6).is_none());
    let src = r.m.source(elogii_tui::app::model::TableId::Customers);
    assert_eq!(src.cell(0, 6), "M0 9ZZ");
    let c0 = &r.m.customers.recs.get(0).unwrap().customer;
    assert_eq!(
        c0.extra.get("customData"),
        Some(&json!({"keep": [1, null]})),
        "unknown members survive"
    );
    assert_eq!(staged_cell(&r.m, None, 1, 6).unwrap().1, Mark::Failed);
    assert_eq!(staged_cell(&r.m, None, 2, 6).unwrap().1, Mark::Conflict);
    let cmds = update(
        &mut r.m,
        Msg::Writer(WriterEvent::RunFinished {
            run: 4,
            summary: RunSummary {
                progress: Progress {
                    edits_total: 3,
                    sent: 1,
                    failed: 1,
                    conflicts: 1,
                    ..Progress::default()
                },
                ..RunSummary::default()
            },
        }),
    );
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::Journal {
            action: JournalOp::Reload { banner: false },
            ..
        }]
    ));
    r.pump(cmds);
    assert!(r.m.sending.is_none());
    assert_eq!(
        r.status(),
        "Sent 1 edit to eLogii; 1 failed, 1 conflict (see :staged)."
    );

    // The staged list: one call for the failed edit, the conflict, the sent one.
    r.act(Action::Staged);
    let groups = elogii_tui::app::edit::staged_groups(&r.m);
    let titles: Vec<&str> = groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "POST /customers/updateMany  call 1 of 1 · 1 record · 1 edit",
            "Conflicts · 1 held back: the field changed on eLogii too",
            "Sent in this session · 1",
        ]
    );
    assert_eq!(staged_order(&r.m), vec![ids[1], ids[2], ids[0]]);
    // On the failed row keep mine does nothing; on the conflict it stages again.
    r.act(Action::KeepMine);
    assert!(r.status().contains("Only a conflict"));
    r.act(Action::MoveDown);
    r.act(Action::KeepMine);
    let p = r.j.get(ids[2]).unwrap().unwrap();
    assert_eq!(p.state, EditState::Staged);
    assert_eq!(p.edit.base, Some(json!("M2 0XX")), "theirs became the base");
    // Mark the first row and send the selected ones.
    r.act(Action::Top);
    r.act(Action::ToggleMark);
    r.act(Action::Send);
    assert_eq!(
        r.m.confirm.as_ref().unwrap().text,
        "Send 1 selected edit in 1 batch to eLogii?"
    );
    assert!(matches!(
        r.confirm(ConfirmKey::Yes).as_slice(),
        [Cmd::Send { ids: Some(v) }] if v == &vec![ids[1]]
    ));
    // Drop asks, then the journal forgets the edit.
    r.act(Action::Top);
    r.act(Action::DropEdit);
    assert!(
        r.m.confirm
            .as_ref()
            .unwrap()
            .text
            .starts_with("Drop the staged edit Customer 001")
    );
    r.confirm(ConfirmKey::Activate);
    assert_eq!(r.j.pending(None).unwrap().len(), 2, "Cancel keeps it");
    r.act(Action::DropEdit);
    r.confirm(ConfirmKey::Yes);
    assert_eq!(staged_ids(&r), vec![ids[2]]);
    // Edit again from the list: the editor opens on the edit's value.
    r.act(Action::Top);
    r.act(Action::Edit);
    assert_eq!(r.editor_text(), "M2 9ZZ");
    r.key(EditKey::Clear);
    r.type_text("M2 8YY");
    r.key(EditKey::Submit);
    assert_eq!(
        r.j.get(ids[2]).unwrap().unwrap().edit.new,
        Some(json!("M2 8YY"))
    );
}

#[test]
fn restored_edits_are_announced_and_marked() {
    let j = Journal::open_in_memory().unwrap();
    let record = serde_json::to_value(customer(4)).unwrap();
    let f = FieldPath::location("CL-00000004", "postCode");
    let edit = elogii_tui::domain::edit::Edit::from_input(Entity::Customer, &record, &f, "M4 4DD")
        .unwrap();
    j.stage(ORIGIN, &edit).unwrap();
    let mut r = Rig::new(false);
    r.j = j;
    r.pump(vec![Cmd::Journal {
        op: 0,
        action: JournalOp::Reload { banner: true },
    }]);
    assert_eq!(r.status(), "Restored 1 staged edit.");
    assert_eq!(
        staged_cell(&r.m, None, 4, 6),
        Some(("M4 4DD".into(), Mark::Staged))
    );
    assert_eq!(elogii_tui::app::edit::sync_text(&r.m), "✎ 1 staged");
    // The customer and its location form show it too.
    r.m.customers_table.selected = 4;
    r.act(Action::Open);
    r.act(Action::Open);
    r.form_row("Postcode");
    let c = current_cell(&r.m).unwrap();
    assert_eq!(c.part, Part::Whole);
    let Some(Screen::Location { cust, loc, .. }) = r.m.screen().cloned() else {
        panic!()
    };
    let rows = form_rows(&r.m, elogii_tui::app::model::Target::Location { cust, loc }).unwrap();
    let row = rows.iter().find(|x| x.label == "Postcode").unwrap();
    assert_eq!(
        (row.value.as_str(), row.mark),
        ("M4 4DD", Some(Mark::Staged))
    );
}

#[test]
fn a_journal_error_is_shown_and_nothing_shows_as_staged() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 3;
    r.act(Action::Edit);
    r.key(EditKey::Clear);
    r.type_text("Ann");
    let cmds = update(&mut r.m, Msg::Editor(EditKey::Submit));
    let op = match cmds.as_slice() {
        [Cmd::Journal { op, .. }] => *op,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.m.inflight.len(), 1);
    update(
        &mut r.m,
        Msg::Journal(JournalReply {
            op,
            result: Err("database is locked".into()),
            touched: vec![],
        }),
    );
    assert!(r.m.inflight.is_empty());
    assert!(staged_cell(&r.m, None, 0, 3).is_none());
    assert_eq!(r.status(), "The journal refused: database is locked");
    assert!(r.m.undo.is_empty());
}

/// Claims `ids`, records them sent in the journal and tells the console, as
/// the writer does for one run.
fn send_all(r: &mut Rig, run: u64, ids: &[EditId]) {
    send_all_recovering(r, run, ids, 0);
}

/// Like [`send_all`], `recovering` of the edits left sending by an earlier console.
fn send_all_recovering(r: &mut Rig, run: u64, ids: &[EditId], recovering: usize) {
    let ev = |r: &mut Rig, e: WriterEvent| {
        let cmds = update(&mut r.m, Msg::Writer(e));
        r.pump(cmds)
    };
    ev(
        r,
        WriterEvent::RunStarted {
            run,
            edits: ids.len(),
            recovering,
        },
    );
    let batch = format!("b{run}");
    r.j.claim(&batch, &ids.iter().map(|id| (*id, 1)).collect::<Vec<_>>())
        .unwrap();
    let outcomes: Vec<(EditId, EditOutcome)> =
        ids.iter().map(|id| (*id, EditOutcome::Sent)).collect();
    r.j.record(
        &outcomes
            .iter()
            .map(|(id, o)| (*id, 1, o.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    ev(r, WriterEvent::Edits { run, outcomes });
    ev(
        r,
        WriterEvent::RunFinished {
            run,
            summary: RunSummary {
                progress: Progress {
                    edits_total: ids.len(),
                    sent: ids.len(),
                    ..Progress::default()
                },
                ..RunSummary::default()
            },
        },
    );
}

#[test]
fn a_run_that_finished_an_interrupted_send_says_so() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    for i in 0..2 {
        r.m.customers_table.selected = i;
        r.act(Action::Edit);
        r.key(EditKey::Clear);
        r.type_text(&format!("M{i} 9ZZ"));
        r.key(EditKey::Submit);
    }
    let ids = staged_ids(&r);
    send_all_recovering(&mut r, 9, &ids, 1);
    assert_eq!(
        r.status(),
        "Sent 2 edits to eLogii. 1 of them was left sending when the console stopped and checked against eLogii first."
    );
}

#[test]
fn the_summary_counts_edits_elogii_already_had_apart() {
    let summary = |sent, already, failed| RunSummary {
        progress: Progress {
            edits_total: sent + failed,
            sent,
            already,
            failed,
            ..Progress::default()
        },
        ..RunSummary::default()
    };
    assert_eq!(summary_text(&summary(3, 0, 0)).1, "Sent 3 edits to eLogii.");
    assert_eq!(
        summary_text(&summary(2, 2, 0)).1,
        "Sent 0 edits to eLogii (2 already had their values, nothing to write)."
    );
    assert_eq!(
        summary_text(&summary(3, 1, 1)).1,
        "Sent 2 edits to eLogii (1 already had its value, nothing to write); 1 failed (see :staged)."
    );
}

#[test]
fn sent_edits_leave_the_undo_stack_and_stay_listed_as_sent_for_the_session() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    for i in 0..3 {
        r.m.customers_table.selected = i;
        r.edit(&format!("M{i} 9ZZ"), EditKey::Submit);
    }
    let ids = staged_ids(&r);
    assert_eq!(ids.len(), 3);
    send_all(&mut r, 1, &ids);
    assert_eq!(r.status(), "Sent 3 edits to eLogii.");
    // Undo right after the send: no journal error, and it says why.
    r.act(Action::Undo);
    assert_eq!(r.status(), "Nothing to undo: those edits were sent.");
    assert!(r.m.undo.is_empty());

    // Two more sends: the sent list keeps every one of the session.
    for (run, i) in [(2, 3), (3, 4)] {
        r.m.customers_table.selected = i;
        r.edit(&format!("M{i} 9ZZ"), EditKey::Submit);
        assert!(r.status().ends_with("W sends."), "{}", r.status());
        let ids = staged_ids(&r);
        send_all(&mut r, run, &ids);
    }
    r.act(Action::Staged);
    let groups = elogii_tui::app::edit::staged_groups(&r.m);
    let titles: Vec<&str> = groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(titles, vec!["Sent in this session · 5"]);

    // Sent rows are history: e refuses to edit them.
    r.act(Action::Top);
    r.act(Action::Edit);
    assert!(r.m.editor.is_none());
    assert!(
        r.status().contains("sent rows are history"),
        "{}",
        r.status()
    );
}

#[test]
fn editing_back_to_elogii_value_says_w_sends_only_when_something_is_staged() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    r.edit("M0 9ZZ", EditKey::Submit);
    r.edit("M0 1AA", EditKey::Submit);
    assert_eq!(
        r.status(),
        "Postcode is back to eLogii's value; the staged edit is gone."
    );
    r.m.customers_table.selected = 1;
    r.edit("M1 9ZZ", EditKey::Submit);
    r.m.customers_table.selected = 2;
    r.edit("M2 9ZZ", EditKey::Submit);
    r.edit("M2 1AA", EditKey::Submit);
    assert!(r.status().ends_with("W sends."), "{}", r.status());
}

/// The commands the console gives when the writer reports `outcomes`.
fn outcomes(r: &mut Rig, run: u64, outcomes: Vec<(EditId, EditOutcome)>) -> Vec<Cmd> {
    r.j.record(
        &outcomes
            .iter()
            .map(|(id, o)| (*id, 1, o.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let cmds = update(&mut r.m, Msg::Writer(WriterEvent::Edits { run, outcomes }));
    r.pump(cmds)
}

#[test]
fn after_a_send_the_rows_show_the_records_as_elogii_has_them_now() {
    let mut r = Rig::new(false);
    // Sorted by name, descending: customer 2 is the third row.
    r.m.customers_table.col = 0;
    r.act(Action::SortDesc);
    r.act(Action::Top);
    r.act(Action::MoveDown);
    r.act(Action::MoveDown);
    assert_eq!(r.m.customers_table.selected_row(), Some(2));
    r.m.customers_table.col = 6;
    r.edit("M2 9ZZ", EditKey::Submit);
    let ids = staged_ids(&r);
    // Its location form is open while the edit goes out.
    r.act(Action::Open);
    r.act(Action::Open);
    assert!(matches!(
        r.m.screen(),
        Some(Screen::Location { cust: 2, .. })
    ));
    let stack = r.m.stack.clone();
    update(
        &mut r.m,
        Msg::Writer(WriterEvent::RunStarted {
            run: 1,
            edits: 1,
            recovering: 0,
        }),
    );
    r.j.claim("b1", &[(ids[0], 1)]).unwrap();
    let cmds = outcomes(&mut r, 1, vec![(ids[0], EditOutcome::Sent)]);
    // The console asks for the record again by _id.
    let id2 = format!("{:024x}", 2);
    let req = match cmds.as_slice() {
        [Cmd::Reread { req, entity, ids }] => {
            assert_eq!(*entity, Entity::Customer);
            assert_eq!(ids, &vec![id2.clone()]);
            *req
        }
        other => panic!("{other:?}"),
    };
    // Meanwhile someone renamed the customer and changed the city on eLogii;
    // the writer merged the postcode into that record.
    let mut fresh = serde_json::to_value(customer(2)).unwrap();
    fresh["name"] = json!("Customer 002 (Trafford)");
    fresh["locations"][0]["city"] = json!("Sale");
    fresh["locations"][0]["postCode"] = json!("M2 9ZZ");
    // An answer to some other request changes nothing.
    let mut other = fresh.clone();
    other["name"] = json!("Stale");
    update(
        &mut r.m,
        Msg::Reread {
            req: req + 100,
            entity: Entity::Customer,
            result: Ok(vec![other]),
        },
    );
    let src = r.m.source(elogii_tui::app::model::TableId::Customers);
    assert_eq!(src.cell(2, 0), "Customer 002");
    assert_eq!(src.cell(2, 6), "M2 9ZZ", "the sent value shows at once");
    update(
        &mut r.m,
        Msg::Reread {
            req,
            entity: Entity::Customer,
            result: Ok(vec![fresh.clone()]),
        },
    );
    let src = r.m.source(elogii_tui::app::model::TableId::Customers);
    assert_eq!(src.cell(2, 0), "Customer 002 (Trafford)");
    assert_eq!(src.cell(2, 6), "M2 9ZZ");
    assert_eq!(src.cell(2, 7), "Sale");
    // Same screens, same record; the form shows the new city.
    assert_eq!(r.m.stack, stack);
    let Some(Screen::Location { cust, loc, .. }) = r.m.screen().cloned() else {
        panic!()
    };
    let rows = form_rows(&r.m, elogii_tui::app::model::Target::Location { cust, loc }).unwrap();
    assert_eq!(
        rows.iter().find(|x| x.label == "City").unwrap().value,
        "Sale"
    );
    // Back on the list, still sorted, the cursor is on the same customer.
    r.act(Action::Quit);
    r.act(Action::Quit);
    assert_eq!(r.m.customers_table.selected_row(), Some(2));
    assert!(r.m.rereads.is_empty());
    // A second answer to the same request is dropped (the record may have
    // changed again since).
    let mut late = fresh;
    late["name"] = json!("Older");
    update(
        &mut r.m,
        Msg::Reread {
            req,
            entity: Entity::Customer,
            result: Ok(vec![late]),
        },
    );
    let src = r.m.source(elogii_tui::app::model::TableId::Customers);
    assert_eq!(src.cell(2, 0), "Customer 002 (Trafford)");
}

#[test]
fn a_record_read_back_with_another_location_keeps_the_screens_on_the_same_location() {
    let mut r = Rig::new(false);
    r.m.customers_table.selected = 1;
    r.m.customers_table.col = 6;
    r.edit("M1 9ZZ", EditKey::Submit);
    let ids = staged_ids(&r);
    r.act(Action::Open);
    r.act(Action::Open);
    r.j.claim("b1", &[(ids[0], 1)]).unwrap();
    let cmds = outcomes(&mut r, 1, vec![(ids[0], EditOutcome::Sent)]);
    let [Cmd::Reread { req, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    // On eLogii a new location was put first.
    let mut fresh = serde_json::to_value(customer(1)).unwrap();
    let mut first = fresh["locations"][0].clone();
    first["uid"] = json!("CL-NEW00001");
    first["name"] = json!("Depot gate");
    fresh["locations"][0]["postCode"] = json!("M1 9ZZ");
    fresh["locations"].as_array_mut().unwrap().insert(0, first);
    update(
        &mut r.m,
        Msg::Reread {
            req: *req,
            entity: Entity::Customer,
            result: Ok(vec![fresh]),
        },
    );
    // The form is still on CL-00000001, now the second location.
    assert!(
        matches!(
            r.m.screen(),
            Some(Screen::Location {
                cust: 1,
                loc: 1,
                ..
            })
        ),
        "{:?}",
        r.m.stack
    );
    let rows = form_rows(
        &r.m,
        elogii_tui::app::model::Target::Location { cust: 1, loc: 1 },
    )
    .unwrap();
    assert_eq!(
        rows.iter().find(|x| x.label == "UID").unwrap().value,
        "CL-00000001"
    );
    // The locations view has one row more, in customer order.
    assert_eq!(r.m.customers.locs.len(), 6);
    let src = r.m.source(elogii_tui::app::model::TableId::Locations);
    let names: Vec<String> = (0..6).map(|i| src.cell(i, 1).into_owned()).collect();
    assert!(names.iter().any(|n| n.contains("Depot gate")), "{names:?}");
    // A failed read-back says so and keeps the sent values.
    let ids2 = {
        r.act(Action::Quit);
        r.act(Action::Quit);
        r.m.customers_table.selected = 3;
        r.edit("M3 9ZZ", EditKey::Submit);
        staged_ids(&r)
    };
    r.j.claim("b2", &[(ids2[0], 1)]).unwrap();
    let cmds = outcomes(&mut r, 2, vec![(ids2[0], EditOutcome::Sent)]);
    let [Cmd::Reread { req, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    update(
        &mut r.m,
        Msg::Reread {
            req: *req,
            entity: Entity::Customer,
            result: Err("eLogii answered 503".into()),
        },
    );
    assert!(
        r.status().contains("could not be read back"),
        "{}",
        r.status()
    );
    let src = r.m.source(elogii_tui::app::model::TableId::Customers);
    assert_eq!(src.cell(3, 6), "M3 9ZZ");
}

/// The screen as text (rows joined with newlines).
fn screen_text(m: &mut Model, w: u16, h: u16) -> String {
    update(m, Msg::Resize(w, h));
    let area = ratatui::layout::Rect::new(0, 0, w, h);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    elogii_tui::view::draw(m, &mut buf, area);
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn read_only_shows_edits_left_sending_as_unconfirmed_and_drops_them_locally() {
    // An earlier console staged two edits and died while sending the first.
    let j = Journal::open_in_memory().unwrap();
    let f = FieldPath::location("CL-00000002", "postCode");
    let record = serde_json::to_value(customer(2)).unwrap();
    let e = elogii_tui::domain::edit::Edit::from_input(Entity::Customer, &record, &f, "M2 7XX")
        .unwrap();
    j.stage(ORIGIN, &e).unwrap();
    let record = serde_json::to_value(customer(3)).unwrap();
    let f3 = FieldPath::location("CL-00000003", "postCode");
    let e3 = elogii_tui::domain::edit::Edit::from_input(Entity::Customer, &record, &f3, "M3 7XX")
        .unwrap();
    j.stage(ORIGIN, &e3).unwrap();
    let ids: Vec<EditId> = j.pending(None).unwrap().iter().map(|p| p.id).collect();
    j.claim("b-dead", &[(ids[0], 1)]).unwrap();

    let mut r = Rig::new(true);
    r.j = j;
    r.pump(vec![Cmd::Journal {
        op: 0,
        action: JournalOp::Reload { banner: true },
    }]);
    // Not "being sent": nothing here will send or check it.
    assert!(r.status().contains("1 is unconfirmed"), "{}", r.status());
    assert!(
        !r.status().contains("checked against eLogii"),
        "{}",
        r.status()
    );
    let row = r.m.staging.get(ids[0]).unwrap();
    assert_eq!(row.state_name(), "unconfirmed");
    assert_eq!(Mark::of(row), Mark::Unconfirmed);
    assert_eq!(
        staged_cell(&r.m, None, 2, 6),
        Some(("M2 7XX".into(), Mark::Unconfirmed))
    );
    assert_eq!(
        elogii_tui::app::edit::sync_text(&r.m),
        "✎ 1 staged, ◌ 1 unconfirmed"
    );
    // The staged list says so, never "sending".
    r.act(Action::Staged);
    let text = screen_text(&mut r.m, 120, 30);
    assert!(text.contains("◌ unconfirmed"), "{text}");
    assert!(text.contains("Unconfirmed · 1"), "{text}");
    assert!(!text.contains("sending"), "{text}");
    // d drops it: it asks, says what dropping means, and only the journal
    // changes (no command leaves for eLogii).
    let order = staged_order(&r.m);
    let at = order.iter().position(|id| *id == ids[0]).unwrap();
    for _ in 0..at {
        r.act(Action::MoveDown);
    }
    r.act(Action::DropEdit);
    let c = r.m.confirm.clone().expect("asks first");
    assert!(matches!(&c.kind, ConfirmKind::Drop(v) if v == &vec![ids[0]]));
    assert!(c.text.contains("unconfirmed"), "{}", c.text);
    assert!(c.text.contains("nothing is sent"), "{}", c.text);
    let rest = r.confirm(ConfirmKey::Yes);
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(r.status(), "Dropped 1 staged edit.");
    assert_eq!(staged_ids(&r), vec![ids[1]]);
    assert!(r.m.staging.get(ids[0]).is_none());
    assert_eq!(r.m.staging.unconfirmed(), 0);
    assert!(staged_cell(&r.m, None, 2, 6).is_none());
}

#[test]
fn a_uk_postcode_gets_its_space_and_an_odd_one_is_asked_about() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6; // Postcode of the first location (GB)
    // Typed without the space: staged with it.
    r.edit("m314fq", EditKey::Submit);
    assert!(r.m.confirm.is_none());
    assert_eq!(
        r.pending(),
        vec![(
            "locations[CL-00000000].postCode".to_string(),
            Some(json!("M31 4FQ"))
        )]
    );
    // Not shaped like a UK postcode: asked, Cancel first; nothing is lost.
    r.edit("M31 4FQQ", EditKey::Submit);
    let c = r.m.confirm.as_ref().expect("a question");
    assert!(
        c.text
            .contains("“M31 4FQQ” is not shaped like a UK postcode")
            && !c.focus_yes,
        "{}",
        c.text
    );
    r.confirm(ConfirmKey::Activate);
    assert!(r.m.confirm.is_none());
    let ed = r.m.editor.as_ref().expect("the editor stays open");
    assert_eq!(ed.value(), "M31 4FQQ");
    assert!(ed.error.as_deref().unwrap_or("").starts_with("Not staged"));
    assert_eq!(r.pending()[0].1, Some(json!("M31 4FQ")));
    // Asked again and staged as typed.
    r.key(EditKey::Submit);
    assert!(r.m.confirm.is_some());
    r.confirm(ConfirmKey::Yes);
    assert!(r.m.editor.is_none());
    assert_eq!(r.pending()[0].1, Some(json!("M31 4FQQ")));
    // A location staged to move to Finland takes a Finnish postcode without
    // a question.
    r.m.customers_table.selected = 1;
    r.location_form(1, "Country");
    r.edit("FI", EditKey::Submit);
    r.form_row("Postcode");
    r.edit("00100", EditKey::Submit);
    assert!(r.m.confirm.is_none(), "{:?}", r.m.confirm);
    assert!(
        r.pending().contains(&(
            "locations[CL-00000001].postCode".to_string(),
            Some(json!("00100"))
        )),
        "{:?}",
        r.pending()
    );
}

/// Customer `i` with another name.
fn named(i: usize, name: &str) -> Customer {
    let mut c = serde_json::to_value(customer(i)).unwrap();
    c["name"] = json!(name);
    serde_json::from_value(c).unwrap()
}

impl Rig {
    fn press(&mut self, key: Key) {
        self.key(EditKey::Input(Input {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }));
    }

    fn editor_error(&self) -> Option<String> {
        self.m.editor.as_ref().and_then(|e| e.error.clone())
    }

    fn staged_name(&self, i: usize) -> Option<Value> {
        let id = format!("{i:024x}");
        self.j
            .pending(None)
            .unwrap()
            .into_iter()
            .find(|p| p.edit.record_id == id && p.edit.field == FieldPath::top("name"))
            .and_then(|p| p.edit.new)
    }
}

const FAMILY: &str = "B \u{1F469}\u{200D}\u{1F467} Y";

#[test]
fn a_saved_value_with_an_invisible_or_control_character_can_be_edited_again() {
    let mut page: Vec<Customer> = (0..5).map(customer).collect();
    page[1] = named(1, FAMILY);
    page[2] = named(2, "Acme\u{1b}Ltd");
    let mut r = Rig::with_customers(false, page);
    r.m.customers_table.col = 0;

    // The ZWJ shows as U+FFFD; appending a letter stages the name with the ZWJ.
    r.m.customers_table.selected = 1;
    r.act(Action::Edit);
    assert_eq!(r.editor_text(), "B 👩\u{FFFD}👧 Y");
    r.type_text("z");
    r.key(EditKey::Submit);
    assert_eq!(r.editor_error(), None);
    assert!(r.m.editor.is_none());
    assert_eq!(
        r.staged_name(1),
        Some(json!("B \u{1F469}\u{200D}\u{1F467} Yz"))
    );
    // The status shows the stand-in, never the raw character.
    assert!(r.status().starts_with("Staged Name: "), "{}", r.status());
    assert!(!r.status().contains('\u{200D}'), "{:?}", r.status());

    // Unchanged text stages nothing.
    r.m.customers_table.selected = 2;
    r.act(Action::Edit);
    assert_eq!(r.editor_text(), "Acme␛Ltd");
    let cmds = r.key(EditKey::Submit);
    assert!(cmds.is_empty() && r.m.editor.is_none(), "{cmds:?}");
    assert_eq!(r.staged_name(2), None);

    // The ESC is kept too.
    r.act(Action::Edit);
    r.type_text("!");
    r.key(EditKey::Submit);
    assert_eq!(r.editor_error(), None);
    assert_eq!(r.staged_name(2), Some(json!("Acme\u{1b}Ltd!")));

    // A new ␛ (typed as the picture, or as the raw character) or a different
    // stand-in is refused; the one that was there still goes back.
    for typed in ["␛", "\u{1b}", "\u{7}"] {
        r.act(Action::Edit);
        assert_eq!(r.editor_text(), "Acme␛Ltd!");
        r.press(Key::Home);
        r.type_text(typed);
        let shown = if typed == "\u{7}" { '␇' } else { '␛' };
        assert!(r.editor_text().starts_with(shown), "{:?}", r.editor_text());
        assert!(!r.editor_text().contains(['\u{1b}', '\u{7}']));
        r.key(EditKey::Submit);
        assert_eq!(
            r.editor_error().as_deref(),
            Some(format!("remove {shown} (a control character)").as_str()),
            "{typed:?}"
        );
        r.key(EditKey::Cancel);
        assert_eq!(r.staged_name(2), Some(json!("Acme\u{1b}Ltd!")));
    }
    // Two stand-ins where one was: the pasted emoji's ZWJ is refused.
    r.m.customers_table.selected = 1;
    r.act(Action::Edit);
    update(&mut r.m, Msg::Paste(" \u{1F469}\u{200D}\u{1F467}".into()));
    assert_eq!(r.editor_text(), "B 👩\u{FFFD}👧 Yz 👩\u{FFFD}👧");
    r.key(EditKey::Submit);
    assert_eq!(r.editor_error().as_deref(), Some(INVISIBLE));
    r.key(EditKey::Cancel);

    // Deleting the stand-in deletes the character it stood for.
    r.m.customers_table.selected = 2;
    r.act(Action::Edit);
    r.press(Key::Home);
    for _ in 0..4 {
        r.press(Key::Right);
    }
    r.press(Key::Delete);
    assert_eq!(r.editor_text(), "AcmeLtd!");
    r.key(EditKey::Submit);
    assert_eq!(r.staged_name(2), Some(json!("AcmeLtd!")));
}

/// Why a stand-in for an invisible character (U+FFFD) cannot be staged.
const INVISIBLE: &str = "remove \u{FFFD}: it stands for an invisible character (a zero-width joiner or space, a direction mark)";

#[test]
fn the_reason_under_a_cell_editor_is_short_enough_to_read() {
    let mut page: Vec<Customer> = (0..5).map(customer).collect();
    page[1] = named(1, "Acme Ltd");
    let mut r = Rig::with_customers(false, page);
    // The name cell at 50 columns: the editor's message has the whole width.
    r.m.customers_table.selected = 1;
    r.act(Action::Edit);
    r.type_text("\u{1b}");
    r.key(EditKey::Submit);
    let text = screen_text(&mut r.m, 50, 30);
    assert!(text.contains("✗ remove ␛ (a control character)"), "{text}");
    assert!(!text.contains('\u{1b}'));
    r.key(EditKey::Cancel);
    // A postcode near the right edge: the message gets the last 40 columns.
    r.m.customers_table.col = 6;
    r.edit("M31 4FQQ", EditKey::Submit);
    r.confirm(ConfirmKey::No);
    assert_eq!(
        r.editor_error().as_deref(),
        Some("Not staged: not a UK postcode shape.")
    );
    let text = screen_text(&mut r.m, 100, 30);
    assert!(
        text.contains("✗ Not staged: not a UK postcode shape."),
        "{text}"
    );
    r.key(EditKey::Cancel);
    // A long reason moves left as far as it needs to be read whole.
    r.act(Action::Edit);
    r.type_text("\u{200D}");
    r.key(EditKey::Submit);
    assert_eq!(r.editor_error().as_deref(), Some(INVISIBLE));
    let text = screen_text(&mut r.m, 120, 30);
    assert!(text.contains(&format!("✗ {INVISIBLE}")), "{text}");
}

#[test]
fn a_staged_schedule_names_only_the_days_that_change() {
    let mut page: Vec<Customer> = (0..5).map(customer).collect();
    let mut c = serde_json::to_value(customer(2)).unwrap();
    let split = json!({"timeWindows": [{"start": 540, "end": 780}, {"start": 840, "end": 1020}]});
    c["locations"][0]["schedule"] = json!({
        "Mon": split, "Tue": split, "Wed": split, "Thu": split, "Fri": split,
        "Sat": {"timeWindows": [{"start": 540, "end": 720}]}
    });
    page[2] = serde_json::from_value(c).unwrap();
    let mut r = Rig::with_customers(false, page);
    r.location_form(2, "Sat");
    r.edit("10:00-12:00", EditKey::Submit);
    assert!(
        r.status()
            .starts_with("Staged Hours: Sa 09:00-12:00 → Sa 10:00-12:00."),
        "{}",
        r.status()
    );
    // A closed day says closed (and warns that it had hours).
    r.edit("closed", EditKey::Submit);
    assert!(
        r.status()
            .starts_with("Staged Hours: Sa 09:00-12:00 → Sa closed. Sa had hours"),
        "{}",
        r.status()
    );
    // The whole week: neighbouring days with the same change are grouped,
    // days as eLogii has them are left out.
    r.form_row("Hours");
    r.edit(
        "Mo-Th 08:00-17:00; Fr 09:00-13:00,14:00-17:00; Sa 09:00-12:00; Su 10:00-12:00",
        EditKey::Submit,
    );
    assert!(
        r.status().starts_with(
            "Staged Hours: Mo-Th 09:00-13:00, 14:00-17:00; Su closed → Mo-Th 08:00-17:00; Su 10:00-12:00."
        ),
        "{}",
        r.status()
    );
    // Undo names the record and what is staged now, the earlier edit
    // (again only its changed days).
    r.act(Action::Undo);
    assert_eq!(
        r.status(),
        "Undone: Customer 002 Hours: Sa 09:00-12:00 → Sa closed is staged again."
    );
    // Other fields are as before.
    r.form_row("Postcode");
    r.edit("M2 9ZZ", EditKey::Submit);
    assert!(
        r.status().starts_with("Staged Postcode: M2 1AA → M2 9ZZ."),
        "{}",
        r.status()
    );
}

#[test]
fn an_edit_of_a_record_not_loaded_is_named_as_the_journal_kept_it() {
    let mut r = Rig::new(false);
    // Staged by an earlier session (or `apply`) for a task this session has
    // not loaded: the journal kept its name.
    let edit = elogii_tui::domain::edit::Edit {
        entity: Entity::Task,
        record_id: "6a20c2d3c82c4a13000005ec".into(),
        field: FieldPath::top("timeWindows"),
        base: Some(json!([{"start": 540, "end": 660}])),
        new: Some(json!([{"start": 540, "end": 840}])),
    };
    r.j.stage_labelled(ORIGIN, &edit, Some("SO100069")).unwrap();
    r.pump(vec![Cmd::Journal {
        op: 99,
        action: JournalOp::Reload { banner: true },
    }]);
    assert_eq!(r.m.staging.pending(), 1);
    assert_eq!(
        elogii_tui::app::edit::record_label(&r.m, Entity::Task, "6a20c2d3c82c4a13000005ec"),
        "SO100069"
    );
    // A loaded record is still named from what is loaded.
    assert_eq!(
        elogii_tui::app::edit::record_label(&r.m, Entity::Customer, &format!("{:024x}", 1)),
        "Customer 001"
    );
}

#[test]
fn u_after_a_drop_stages_the_dropped_edit_again() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    r.edit("M0 2AB", EditKey::Submit);
    r.m.customers_table.selected = 1;
    r.edit("M1 2AB", EditKey::Submit);
    assert_eq!(r.pending().len(), 2);
    r.act(Action::Staged);
    r.act(Action::Top);
    r.act(Action::DropEdit);
    r.confirm(ConfirmKey::Yes);
    assert_eq!(r.pending().len(), 1);
    assert_eq!(r.status(), "Dropped 1 staged edit. u brings it back.");
    let kept = r.pending()[0].clone();
    // u brings back the dropped edit, not the staging before it.
    r.act(Action::Undo);
    assert!(r.status().starts_with("Staged again: "), "{}", r.status());
    let mut now = r.pending();
    now.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(now.contains(&kept));
    assert!(
        now.iter().any(|(_, v)| *v == Some(json!("M0 2AB")))
            && now.iter().any(|(_, v)| *v == Some(json!("M1 2AB"))),
        "{now:?}"
    );
    // Staged again under its record's name, as `staged` lists it.
    let named = |r: &Rig| {
        let mut labels: Vec<String> =
            r.j.pending(None)
                .unwrap()
                .into_iter()
                .filter_map(|p| p.label)
                .collect();
        labels.sort();
        labels
    };
    assert_eq!(
        named(&r),
        vec![
            "CUS-00000000 Customer 000".to_string(),
            "CUS-00000001 Customer 001".to_string()
        ]
    );
    // Ctrl-r drops it again, and u brings it back again.
    r.act(Action::Redo);
    assert_eq!(r.status(), "Dropped 1 staged edit. u brings it back.");
    assert_eq!(r.pending(), vec![kept.clone()]);
    r.act(Action::Redo);
    assert_eq!(r.status(), "Nothing to redo.");
    r.act(Action::Undo);
    assert!(r.status().starts_with("Staged again: "), "{}", r.status());
    assert_eq!(r.pending().len(), 2);
    // The next u undoes the second staging, as before.
    r.act(Action::Undo);
    assert_eq!(r.pending().len(), 1);
}

#[test]
fn undo_steps_back_through_a_return_to_elogiis_value_one_staging_at_a_time() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    r.edit("M1 1AA", EditKey::Submit);
    r.edit("M2 2AA", EditKey::Submit);
    let field = r.pending()[0].0.clone();
    let id = r.j.pending(None).unwrap()[0].id;
    // Typing eLogii's value again removes the staged edit.
    r.edit("M0 1AA", EditKey::Submit);
    assert!(r.pending().is_empty());
    assert!(
        r.status().contains("is back to eLogii's value"),
        "{}",
        r.status()
    );
    // u: the edit before it, under its own journal id and name.
    r.act(Action::Undo);
    assert_eq!(
        r.status(),
        "Undone: Customer 000 Postcode: M0 1AA → M2 2AA is staged again."
    );
    assert_eq!(r.pending(), vec![(field.clone(), Some(json!("M2 2AA")))]);
    let restored = r.j.pending(None).unwrap();
    assert_eq!(restored[0].id, id);
    assert_eq!(
        restored[0].label.as_deref(),
        Some("CUS-00000000 Customer 000")
    );
    // u: the first value; u: nothing staged; u: nothing left to undo.
    r.act(Action::Undo);
    assert_eq!(
        r.status(),
        "Undone: Customer 000 Postcode: M0 1AA → M1 1AA is staged again."
    );
    assert_eq!(r.pending(), vec![(field, Some(json!("M1 1AA")))]);
    r.act(Action::Undo);
    assert_eq!(
        r.status(),
        "Undone: Customer 000 Postcode: M0 1AA → M1 1AA is no longer staged."
    );
    assert!(r.pending().is_empty());
    assert_eq!(r.m.staging.pending(), 0);
    r.act(Action::Undo);
    assert_eq!(r.status(), "Nothing to undo.");
    // Ctrl-r walks forward again, ending back at eLogii's value.
    for _ in 0..3 {
        r.act(Action::Redo);
    }
    assert!(r.pending().is_empty());
    assert!(
        r.status().contains("is back to eLogii's value"),
        "{}",
        r.status()
    );
}

#[test]
fn the_filter_finds_a_row_by_the_staged_value_it_shows() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    r.edit("M9 9ZZ", EditKey::Submit);
    assert_eq!(r.pending().len(), 1);
    let filter = |r: &mut Rig, text: &str| {
        r.act(Action::Filter);
        for c in text.chars() {
            update(
                &mut r.m,
                Msg::Edit(elogii_tui::app::msg::LineEdit::Insert(c)),
            );
        }
        update(&mut r.m, Msg::Edit(elogii_tui::app::msg::LineEdit::Submit));
        r.m.customers_table.rows.clone()
    };
    // The staged postcode, as the row shows it (an exact match: `'`).
    assert_eq!(filter(&mut r, "'M9 9ZZ"), vec![0]);
    // One row a location: the same.
    r.act(Action::ToggleLocations);
    assert_eq!(r.m.top, elogii_tui::app::model::TopView::Locations);
    r.act(Action::Filter);
    for c in "'M9 9ZZ".chars() {
        update(
            &mut r.m,
            Msg::Edit(elogii_tui::app::msg::LineEdit::Insert(c)),
        );
    }
    update(&mut r.m, Msg::Edit(elogii_tui::app::msg::LineEdit::Submit));
    let rows = r.m.locations_table.rows.clone();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        r.m.customers.locs.get(rows[0] as usize).map(|l| l.cust),
        Some(0)
    );
}

#[test]
fn after_a_send_no_earlier_staging_or_drop_of_that_field_comes_back() {
    let mut r = Rig::new(false);
    r.m.customers_table.col = 6;
    // Other values, then eLogii's again, then a staging that is dropped.
    for v in ["M1 1AA", "M2 2AA", "M0 1AA", "M3 3AA"] {
        r.edit(v, EditKey::Submit);
    }
    r.act(Action::Staged);
    r.act(Action::Top);
    r.act(Action::DropEdit);
    r.confirm(ConfirmKey::Yes);
    assert!(r.pending().is_empty());
    r.act(Action::GoBack);
    // A fresh value, sent.
    r.edit("M4 4AA", EditKey::Submit);
    r.act(Action::Undo);
    r.act(Action::Redo);
    let ids = staged_ids(&r);
    assert_eq!(ids.len(), 1);
    send_all(&mut r, 1, &ids);
    assert_eq!(r.status(), "Sent 1 edit to eLogii.");
    // Nothing made against the old value comes back: not the drop, not the
    // stagings before it, not a redo.
    r.act(Action::Undo);
    assert_eq!(r.status(), "Nothing to undo: those edits were sent.");
    assert!(r.pending().is_empty());
    assert!(r.m.undo.is_empty(), "{:?}", r.m.undo);
    r.act(Action::Redo);
    assert_eq!(r.status(), "Nothing to redo.");
    assert!(r.pending().is_empty());
}
