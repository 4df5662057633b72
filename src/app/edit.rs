//! Editing in the console (issue 4): which cells are editable, the inline
//! editor and the record forms, staging through the journal, undo and redo,
//! the staged list, sending, and the writer's events.
//!
//! Pure like the rest of `update`: journal and writer work leaves as
//! [`Cmd::Journal`] and [`Cmd::Send`]; their answers come back as
//! [`Msg::Journal`](crate::app::msg::Msg::Journal) and
//! [`Msg::Writer`](crate::app::msg::Msg::Writer). An edit shows as staged only
//! once the journal has committed it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, Key, TextArea};
use serde_json::Value;

use crate::api::types::{Customer, Field, Location, Schedule, Task};
use crate::app::data::{customer_search, location_rows, task_search};
use crate::app::model::{
    CellRef, Confirm, ConfirmKind, Editor, JournalStatus, Model, Part, Screen, SendRun, StagedRow,
    StatusKind, Step, Target,
};
use crate::app::msg::{
    Cmd, ConfirmKey, EditKey, JournalDone, JournalOp, JournalReply, Redo, UndoEntry,
};
use crate::domain::edit::{
    Edit, Entity, FieldKind, FieldPath, display_value, distance_km, get_field, set_field,
    swapped_hint,
};
use crate::domain::sanitize::{is_stand_in, replacement_for, sanitize, truncate_to_width};
use crate::domain::schedule::{WeekHours, Weekday, format_day, format_week_line, parse_day};
use crate::domain::validate::{parse_input, parse_input_keeping};
use crate::sync::batch::{EditId, EditOutcome, EditState};
use crate::sync::journal::{Counts, Resolution, StageResult};
use crate::sync::writer::{RunSummary, WriterEvent};
use crate::view;

/// How a staged cell is marked (a glyph, never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Waiting to be sent: `✎`.
    Staged,
    /// In a batch that went out: `⇡`.
    Sending,
    /// Left in a batch by a console that stopped, not checked (read-only): `◌`.
    Unconfirmed,
    /// eLogii confirmed it: `✓`.
    Sent,
    /// eLogii refused it: `✗`.
    Failed,
    /// The field changed on eLogii too: `≠`.
    Conflict,
}

impl Mark {
    /// The row's mark.
    pub fn of(row: &StagedRow) -> Mark {
        if row.sent {
            return Mark::Sent;
        }
        if row.unconfirmed {
            return Mark::Unconfirmed;
        }
        match row.edit.state {
            EditState::Staged => Mark::Staged,
            EditState::Sending => Mark::Sending,
            EditState::Failed => Mark::Failed,
            EditState::Conflict => Mark::Conflict,
        }
    }

    /// One narrow character.
    pub fn glyph(self) -> char {
        match self {
            Mark::Staged => '✎',
            Mark::Sending => '⇡',
            Mark::Unconfirmed => '◌',
            Mark::Sent => '✓',
            Mark::Failed => '✗',
            Mark::Conflict => '≠',
        }
    }
}

// ---------------------------------------------------------------------------
// Records and cells

fn text_of(f: &Field<String>) -> Option<&str> {
    match f {
        Field::Value(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

fn customer(model: &Model, cust: u32) -> Option<&Customer> {
    model.customers.recs.get(cust as usize).map(|r| &r.customer)
}

fn task(model: &Model, index: u32) -> Option<&Task> {
    model.tasks.recs.get(index as usize).map(|r| &r.task)
}

/// The record as JSON (what [`Edit`] reads its base from), when loaded.
pub fn record_json(model: &Model, entity: Entity, record_id: &str) -> Option<Value> {
    match entity {
        Entity::Customer => {
            let i = *model.customers.by_id.get(record_id)?;
            serde_json::to_value(customer(model, i)?).ok()
        }
        Entity::Task => {
            let i = *model.tasks.by_id.get(record_id)?;
            serde_json::to_value(task(model, i)?).ok()
        }
    }
}

fn cell(entity: Entity, id: &str, field: FieldPath, part: Part, label: &str) -> CellRef {
    CellRef {
        entity,
        record_id: id.to_string(),
        field,
        part,
        label: label.to_string(),
    }
}

fn customer_cell(c: &Customer, name: &'static str, label: &str) -> Option<CellRef> {
    Some(cell(
        Entity::Customer,
        text_of(&c.id)?,
        FieldPath::top(name),
        Part::Whole,
        label,
    ))
}

fn location_cell(
    c: &Customer,
    l: &Location,
    name: &'static str,
    part: Part,
    label: &str,
) -> Option<CellRef> {
    Some(cell(
        Entity::Customer,
        text_of(&c.id)?,
        FieldPath::location(text_of(&l.uid)?, name),
        part,
        label,
    ))
}

fn task_cell(t: &Task, name: &'static str, label: &str) -> Option<CellRef> {
    Some(cell(
        Entity::Task,
        text_of(&t.id)?,
        FieldPath::top(name),
        Part::Whole,
        label,
    ))
}

/// Location fields of the customer-screen table, by column.
fn customer_locs_field(col: usize) -> Option<(&'static str, &'static str)> {
    Some(match col {
        0 => ("name", "Location"),
        2 => ("address", "Address"),
        3 => ("postCode", "Postcode"),
        4 => ("city", "City"),
        5 => ("schedule", "Hours"),
        6 => ("contactPhone", "Phone"),
        _ => return None,
    })
}

/// The editable field behind a table cell (`row` is the data row).
pub fn table_cell(
    model: &Model,
    screen: Option<&Screen>,
    row: usize,
    col: usize,
) -> Option<CellRef> {
    match screen {
        None => match model.top {
            crate::app::model::TopView::Customers => {
                let c = customer(model, row as u32)?;
                match col {
                    0 => customer_cell(c, "name", "Name"),
                    1 => customer_cell(c, "externalId", "External id"),
                    // The cell edits the field it shows (a phone shown for
                    // want of a name is the phone).
                    3 => match view::customers::contact_source(c) {
                        None => customer_cell(c, "contactName", "Contact name"),
                        Some(s) => {
                            let label = match s.field {
                                "contactName" => "Contact name",
                                "contactPhone" => "Contact phone",
                                _ => "Contact e-mail",
                            };
                            if s.location {
                                location_cell(
                                    c,
                                    c.locations().first()?,
                                    s.field,
                                    Part::Whole,
                                    label,
                                )
                            } else {
                                customer_cell(c, s.field, label)
                            }
                        }
                    },
                    8 => customer_cell(c, "tags", "Tags"),
                    5..=7 => {
                        let l = c.locations().first()?;
                        let (name, label) = match col {
                            5 => ("address", "Address"),
                            6 => ("postCode", "Postcode"),
                            _ => ("city", "City"),
                        };
                        location_cell(c, l, name, Part::Whole, label)
                    }
                    _ => None,
                }
            }
            crate::app::model::TopView::Locations => {
                let r = model.customers.locs.get(row)?;
                let c = customer(model, r.cust)?;
                let l = c.locations().get(r.loc as usize)?;
                let (name, label) = match col {
                    0 => return customer_cell(c, "name", "Customer"),
                    1 => ("name", "Location"),
                    3 => ("address", "Address"),
                    4 => ("postCode", "Postcode"),
                    5 => ("city", "City"),
                    6 => ("schedule", "Hours"),
                    7 => ("contactPhone", "Phone"),
                    _ => return None,
                };
                location_cell(c, l, name, Part::Whole, label)
            }
            crate::app::model::TopView::Tasks => {
                let t = task(model, row as u32)?;
                (col == 6).then(|| task_cell(t, "timeWindows", "Windows"))?
            }
            crate::app::model::TopView::Routes => None,
        },
        Some(Screen::Customer { cust, .. }) => {
            let c = customer(model, *cust)?;
            let l = c.locations().get(row)?;
            let (name, label) = customer_locs_field(col)?;
            location_cell(c, l, name, Part::Whole, label)
        }
        Some(Screen::Route { uid, .. }) => {
            let route = model.route(uid)?;
            let t = task(model, *route.stops.get(row)?)?;
            (col == view::route::WINDOWS_COL).then(|| task_cell(t, "timeWindows", "Windows"))?
        }
        _ => None,
    }
}

/// The selected data row and column of the current table, if the screen has one.
fn table_position(model: &Model) -> Option<(Option<&Screen>, usize, usize)> {
    match view::base_screen(model) {
        None => {
            let t = model.table(model.top.table());
            Some((None, t.selected_row()?, t.col))
        }
        Some(s @ Screen::Customer { table, .. }) | Some(s @ Screen::Route { table, .. }) => {
            Some((Some(s), table.selected_row()?, table.col))
        }
        _ => None,
    }
}

/// The form behind the current screen and the row under the cursor.
pub fn form_position(model: &Model) -> Option<(Target, usize)> {
    match view::base_screen(model)? {
        Screen::Location { cust, loc, field } => Some((
            Target::Location {
                cust: *cust,
                loc: *loc,
            },
            *field,
        )),
        Screen::Form { target, field } => Some((*target, *field)),
        _ => None,
    }
}

/// The cell under the cursor, when it can be edited.
pub fn current_cell(model: &Model) -> Option<CellRef> {
    if let Some((screen, row, col)) = table_position(model) {
        return table_cell(model, screen, row, col);
    }
    if let Some((target, field)) = form_position(model) {
        return form_rows(model, target)?.into_iter().nth(field)?.cell;
    }
    if let Some(Screen::Staged { selected, .. }) = view::base_screen(model) {
        let id = *staged_order(model).get(*selected)?;
        let row = model.staging.get(id)?;
        return Some(cell_of_edit(model, &row.edit.edit));
    }
    None
}

fn cell_of_edit(model: &Model, edit: &Edit) -> CellRef {
    cell(
        edit.entity,
        &edit.record_id,
        edit.field.clone(),
        Part::Whole,
        &field_label(model, edit),
    )
}

/// The latest value of a cell's field: an edit on its way to the journal, else
/// the pending edit, else the record's (`None`: absent). `Err` when the record
/// is not loaded and nothing is staged for it.
fn current_value(
    model: &Model,
    cell: &CellRef,
    record: Option<&Value>,
) -> Result<Option<Value>, ()> {
    if let Some((_, e)) = model.inflight.iter().rev().find(|(_, e)| {
        e.entity == cell.entity && e.record_id == cell.record_id && e.field == cell.field
    }) {
        return Ok(e.new.clone());
    }
    if let Some(row) = model
        .staging
        .find(cell.entity, &cell.record_id, &cell.field)
    {
        return Ok(row.edit.edit.new.clone());
    }
    match record {
        Some(r) => Ok(get_field(r, &cell.field).cloned()),
        None => Err(()),
    }
}

/// The week of a schedule value (`null`, absent or unreadable: all closed).
pub fn week_of(value: Option<&Value>) -> WeekHours {
    week_from_value(value).unwrap_or_default()
}

/// The hours of a `schedule` value as eLogii holds it; `None` for no week
/// (absent, `null`, or not a schedule object).
pub fn week_from_value(value: Option<&Value>) -> Option<WeekHours> {
    match value {
        Some(v @ Value::Object(_)) => serde_json::from_value::<Schedule>(v.clone())
            .ok()
            .map(|s| WeekHours::from_schedule(&s)),
        _ => None,
    }
}

/// A value as the editor starts with it.
pub fn edit_text(field: &FieldPath, part: Part, value: Option<&Value>) -> String {
    match part {
        Part::Whole => display_value(field, value),
        // A week that is not set has no day to show (not "closed").
        Part::Day(d) => match value {
            Some(Value::Object(_)) => format_day(week_of(value).day(d)),
            _ => String::new(),
        },
    }
}

// ---------------------------------------------------------------------------
// Forms

/// One line of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormRow {
    /// The label.
    pub label: String,
    /// The value as shown (staged value when one is pending).
    pub value: String,
    /// The field, when editable.
    pub cell: Option<CellRef>,
    /// The staged mark, when the value is a staged one.
    pub mark: Option<Mark>,
}

fn ro(label: &str, value: String) -> FormRow {
    FormRow {
        label: label.to_string(),
        value,
        cell: None,
        mark: None,
    }
}

/// Fills in the value and mark of an editable row from the record and the staging.
fn editable(
    model: &Model,
    record: &Value,
    label: &str,
    cell: Option<CellRef>,
    shown: String,
) -> FormRow {
    let Some(c) = cell else {
        return ro(label, shown);
    };
    match model.staging.find(c.entity, &c.record_id, &c.field) {
        Some(row) => {
            let new = row.edit.edit.new.as_ref();
            let mark = match c.part {
                Part::Whole => Some(Mark::of(row)),
                // A day is marked when what it shows changes (not set → closed too).
                Part::Day(_) => {
                    let base = get_field(record, &c.field);
                    (edit_text(&c.field, c.part, new) != edit_text(&c.field, c.part, base))
                        .then(|| Mark::of(row))
                }
            };
            FormRow {
                label: label.to_string(),
                value: sanitize(&edit_text(&c.field, c.part, new)).into_owned(),
                cell: Some(c),
                mark,
            }
        }
        None => FormRow {
            label: label.to_string(),
            value: shown,
            cell: Some(c),
            mark: None,
        },
    }
}

/// The lines of a record's form, editable ones with their field.
pub fn form_rows(model: &Model, target: Target) -> Option<Vec<FormRow>> {
    match target {
        Target::Location { cust, loc } => {
            let c = customer(model, cust)?;
            let l = c.locations().get(loc as usize)?;
            let record = serde_json::to_value(c).ok()?;
            let mut out = Vec::new();
            for (label, shown, key) in view::location::fields(c, l) {
                let cell = key.and_then(|(name, part)| location_cell(c, l, name, part, &label));
                out.push(editable(model, &record, &label, cell, shown));
            }
            Some(out)
        }
        Target::Customer { cust } => {
            let c = customer(model, cust)?;
            let record = serde_json::to_value(c).ok()?;
            Some(
                view::customer::fields(c)
                    .into_iter()
                    .map(|(label, shown, key)| {
                        let cell = key.and_then(|name| customer_cell(c, name, label));
                        editable(model, &record, label, cell, shown)
                    })
                    .collect(),
            )
        }
        Target::Task { task: index } => {
            let t = task(model, index)?;
            let record = serde_json::to_value(t).ok()?;
            Some(
                view::tasks::form_fields(t)
                    .into_iter()
                    .map(|(label, shown, key)| {
                        let cell = key.and_then(|name| task_cell(t, name, label));
                        editable(model, &record, label, cell, shown)
                    })
                    .collect(),
            )
        }
    }
}

/// The staged value of a table cell, as text, with its mark.
pub fn staged_cell(
    model: &Model,
    screen: Option<&Screen>,
    row: usize,
    col: usize,
) -> Option<(String, Mark)> {
    if model.staging.is_empty() {
        return None;
    }
    let c = table_cell(model, screen, row, col)?;
    let r = model.staging.find(c.entity, &c.record_id, &c.field)?;
    let text = edit_text(&c.field, c.part, r.edit.edit.new.as_ref());
    Some((sanitize(&text).into_owned(), Mark::of(r)))
}

/// The staged values the rows of the top table `id` show, by row (for the
/// filter). Empty unless `id` is the table on screen and edits are staged.
pub fn staged_texts(model: &Model, id: crate::app::model::TableId) -> HashMap<u32, String> {
    use crate::app::model::TopView;
    let mut out = HashMap::new();
    if model.staging.is_empty() || model.top.table() != id {
        return out;
    }
    let records = |entity: Entity| -> HashSet<u32> {
        let by_id = match entity {
            Entity::Customer => &model.customers.by_id,
            Entity::Task => &model.tasks.by_id,
        };
        model
            .staging
            .iter()
            .filter(|r| !r.sent && r.edit.edit.entity == entity)
            .filter_map(|r| by_id.get(&r.edit.edit.record_id).copied())
            .collect()
    };
    let rows: Vec<u32> = match model.top {
        TopView::Customers => records(Entity::Customer).into_iter().collect(),
        TopView::Tasks => records(Entity::Task).into_iter().collect(),
        TopView::Locations => {
            let custs = records(Entity::Customer);
            if custs.is_empty() {
                return out;
            }
            // Locations are held in customer order: find each customer's run.
            let locs = &model.customers.locs;
            let cust_of = |r: usize| locs.get(r).map_or(u32::MAX, |l| l.cust);
            let mut rows = Vec::new();
            for c in custs {
                let (mut lo, mut hi) = (0, locs.len());
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if cust_of(mid) < c {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                rows.extend(
                    (lo..locs.len())
                        .take_while(|&r| cust_of(r) == c)
                        .map(|r| r as u32),
                );
            }
            rows
        }
        TopView::Routes => return out,
    };
    let cols = model.source(id).columns().len();
    for row in rows {
        let texts: Vec<String> = (0..cols)
            .filter_map(|col| staged_cell(model, None, row as usize, col).map(|(t, _)| t))
            .collect();
        if !texts.is_empty() {
            out.insert(row, texts.join("  "));
        }
    }
    out
}

/// The style added to a staged value (never colour alone).
pub fn staged_style() -> Style {
    Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

// ---------------------------------------------------------------------------
// The editor

/// Why editing is refused right now, if it is.
fn refusal(model: &Model) -> Option<String> {
    if model.read_only {
        return Some(
            "Read-only: nothing can be staged or sent (started with --read-only, or the profile is read-only)."
                .into(),
        );
    }
    match &model.journal {
        JournalStatus::Ready => None,
        JournalStatus::Opening => {
            Some("The journal is still opening; try again in a moment.".into())
        }
        JournalStatus::Failed(e) => Some(format!("Editing is off: {e}")),
    }
}

/// Staging is off for the whole session: read-only, or the journal could
/// not be opened (while it opens, keys are still offered).
pub fn staging_off(model: &Model) -> bool {
    model.read_only || matches!(model.journal, JournalStatus::Failed(_))
}

/// True when the key would only be refused now (it stages, sends or locks
/// and that is off): the hint bar and the help leave it out.
pub fn action_off(model: &Model, a: crate::app::msg::Action) -> bool {
    use crate::app::msg::Action;
    match a {
        Action::Edit
        | Action::Undo
        | Action::Redo
        | Action::CopyDay
        | Action::Send
        | Action::ToggleMark
        | Action::KeepMine => staging_off(model),
        Action::Lock => model.read_only,
        _ => false,
    }
}

/// `e`: edits the cell under the cursor.
pub fn begin_edit(model: &mut Model) -> Vec<Cmd> {
    if let Some(why) = refusal(model) {
        model.set_status(StatusKind::Error, why);
        return Vec::new();
    }
    match current_cell(model) {
        Some(c) => {
            open_editor(model, c);
        }
        None => model.set_status(StatusKind::Info, "This cell cannot be edited."),
    }
    Vec::new()
}

/// How a character shows in the editor, typed, pasted or loaded alike: a
/// tab as a space, a control or invisible one as its stand-in.
fn shown_char(c: char) -> char {
    if c == '\t' {
        ' '
    } else {
        replacement_for(c).unwrap_or(c)
    }
}

/// The editor's lines for `text` (see [`shown_char`]; CR LF and a lone CR
/// end a line, joined with spaces unless `multiline`), and the characters
/// their stand-ins stand for, in order (a stand-in character that was in the
/// text as such stands for itself).
fn clean_lines(text: &str, multiline: bool) -> (Vec<String>, Vec<char>) {
    let mut hidden = Vec::new();
    let mut clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                let shown = shown_char(c);
                if is_stand_in(shown) {
                    hidden.push(c);
                }
                shown
            })
            .collect()
    };
    // CR LF, and a lone CR (what tmux and many terminals paste), end a line.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines = if multiline {
        text.split('\n').map(&mut clean).collect()
    } else {
        vec![clean(&text.replace('\n', " "))]
    };
    (lines, hidden)
}

/// `text` with each stand-in put back to the character it stood for when the
/// editor opened (`hidden`, in order; a deleted one is skipped). `Err` is a
/// stand-in that stands for none of them (typed or pasted): never sent.
fn restore_hidden(text: &str, hidden: &[char]) -> Result<String, char> {
    let mut left = hidden.iter();
    text.chars()
        .map(|c| {
            if !is_stand_in(c) {
                return Ok(c);
            }
            left.by_ref()
                .find(|h| shown_char(**h) == c)
                .copied()
                .ok_or(c)
        })
        .collect()
}

fn textarea(lines: Vec<String>) -> TextArea<'static> {
    let mut t = TextArea::new(lines);
    t.set_cursor_line_style(Style::new());
    t.set_style(Style::new().add_modifier(Modifier::UNDERLINED));
    t.set_cursor_style(Style::new().add_modifier(Modifier::REVERSED));
    t.move_cursor(CursorMove::Bottom);
    t.move_cursor(CursorMove::End);
    t
}

/// Opens the editor on `c`; false (with a status) when it cannot be edited.
fn open_editor(model: &mut Model, c: CellRef) -> bool {
    if let Some(row) = model.staging.find(c.entity, &c.record_id, &c.field)
        && row.edit.state == EditState::Sending
    {
        model.set_status(
            StatusKind::Info,
            "This edit is being sent; wait for eLogii's answer before changing it.",
        );
        return false;
    }
    let record = record_json(model, c.entity, &c.record_id);
    let pending = model
        .staging
        .find(c.entity, &c.record_id, &c.field)
        .map(|r| r.edit.edit.base.clone());
    let base = match (&record, pending) {
        (Some(r), _) => get_field(r, &c.field).cloned(),
        (None, Some(base)) => base,
        (None, None) => {
            model.set_status(
                StatusKind::Info,
                "That record is not loaded; open its view first.",
            );
            return false;
        }
    };
    let Ok(current) = current_value(model, &c, record.as_ref()) else {
        return false;
    };
    let multiline = c.field.name == "instructions" && c.part == Part::Whole;
    let text = edit_text(&c.field, c.part, current.as_ref());
    let token = model.next_token;
    model.next_token += 1;
    let (lines, hidden) = clean_lines(&text, multiline);
    model.editor = Some(Editor {
        cell: c,
        base,
        initial: lines.join("\n"),
        hidden,
        text: textarea(lines),
        multiline,
        error: None,
        token,
    });
    model.dirty = true;
    true
}

/// The edit the editor's text makes (`Ok(None)`: nothing changes).
fn build_edit(model: &Model, ed: &Editor) -> Result<Option<Edit>, String> {
    let text = ed.value();
    let c = &ed.cell;
    let record = record_json(model, c.entity, &c.record_id);
    let current = current_value(model, c, record.as_ref()).unwrap_or_else(|()| ed.base.clone());
    if text == ed.initial {
        return Ok(None);
    }
    // Short enough to read under a cell editor 40 cells wide.
    let text = restore_hidden(&text, &ed.hidden)
        .map_err(|stand_in| {
            if stand_in == crate::domain::sanitize::REPLACEMENT {
                format!(
                    "remove {stand_in}: it stands for an invisible character (a zero-width joiner or space, a direction mark)"
                )
            } else {
                format!("remove {stand_in} (a control character)")
            }
        })?;
    let like = current.as_ref().or(ed.base.as_ref());
    // Control characters put back from the saved value may stay.
    let parse = |text: &str| {
        parse_input_keeping(&c.field, text, like, &ed.hidden).map_err(|e| e.to_string())
    };
    let new = match c.part {
        Part::Whole => parse(&text)?,
        Part::Day(d) => {
            let windows = parse_day(&text).map_err(|e| e.to_string())?;
            let mut week = week_of(current.as_ref());
            week.days[d.index()] = windows;
            week.validate().map_err(|e| e.to_string())?;
            parse_input(&c.field, &format_week_line(&week), like).map_err(|e| e.to_string())?
        }
    };
    let mut edit = Edit {
        entity: c.entity,
        record_id: c.record_id.clone(),
        field: c.field.clone(),
        base: ed.base.clone(),
        new: Some(new),
    };
    // At a UK location `M314FQ` is staged as `M31 4FQ` (an odd one is asked
    // about when staging).
    edit.shape_uk_postcode_in(postcode_country(model, &edit, record.as_ref()).as_ref());
    if current == edit.new {
        return Ok(None);
    }
    Ok(Some(edit))
}

/// The `country` of the location a `postCode` edit belongs to, as staged,
/// else as in `record` (eLogii's; `None` for other fields).
fn postcode_country(model: &Model, edit: &Edit, record: Option<&Value>) -> Option<Value> {
    let path = edit.field.postcode_country()?;
    match model.staging.find(edit.entity, &edit.record_id, &path) {
        Some(r) => r.edit.edit.new.clone(),
        None => record.and_then(|r| get_field(r, &path)).cloned(),
    }
}

/// Why a staged UK postcode looks wrong, if it does.
fn odd_uk_postcode(model: &Model, edit: &Edit) -> Option<String> {
    edit.field.postcode_country()?;
    let record = record_json(model, edit.entity, &edit.record_id);
    let country = postcode_country(model, edit, record.as_ref());
    if edit.clone().shape_uk_postcode_in(country.as_ref()) != Some(false) {
        return None;
    }
    let shown = edit
        .new
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(format!(
        "“{}” is not shaped like a UK postcode (like M31 4FQ or EC1A 1BB).",
        sanitize(shown)
    ))
}

/// A key in the editor.
pub fn editor_key(model: &mut Model, key: EditKey) -> Vec<Cmd> {
    model.dirty = true;
    let Some(ed) = model.editor.as_mut() else {
        return Vec::new();
    };
    match key {
        EditKey::Cancel => {
            model.editor = None;
            Vec::new()
        }
        EditKey::Submit if ed.multiline => {
            ed.text.insert_newline();
            ed.error = None;
            Vec::new()
        }
        EditKey::Submit | EditKey::Stage => stage_editor(model, None),
        EditKey::Next => stage_editor(model, Some(Step::Next)),
        EditKey::Prev => stage_editor(model, Some(Step::Prev)),
        EditKey::Clear => {
            ed.text = textarea(vec![String::new()]);
            ed.error = None;
            Vec::new()
        }
        EditKey::External => vec![Cmd::ExternalEditor {
            token: ed.token,
            text: ed.value(),
        }],
        EditKey::Input(mut input) => {
            // A typed character shows as a pasted one does (a control or
            // invisible one as its stand-in, refused when staged).
            if let Key::Char(c) = input.key
                && !matches!(c, '\n' | '\r')
            {
                input.key = Key::Char(shown_char(c));
            }
            if ed.text.input(input) {
                ed.error = None;
            }
            if !ed.multiline && ed.text.lines().len() > 1 {
                // A shortcut of the text area (Ctrl-m) split the line: join it back.
                let joined = ed.text.lines().join(" ");
                ed.text = textarea(vec![joined]);
            }
            Vec::new()
        }
    }
}

/// Pasted text into the editor, shown as typed text is (tabs as spaces,
/// control and invisible characters as their stand-ins, refused when staged);
/// one line unless multi-line.
pub fn paste(model: &mut Model, text: &str) {
    let Some(ed) = model.editor.as_mut() else {
        return;
    };
    model.dirty = true;
    let (lines, _) = clean_lines(text, ed.multiline);
    if ed.text.insert_str(lines.join("\n")) {
        ed.error = None;
    }
}

/// `$EDITOR` answered.
pub fn external_edited(model: &mut Model, token: u64, result: Result<String, String>) {
    let Some(ed) = model.editor.as_mut().filter(|e| e.token == token) else {
        return;
    };
    model.dirty = true;
    match result {
        Ok(text) => {
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            ed.text = textarea(clean_lines(text, ed.multiline).0);
            ed.error = None;
        }
        Err(e) => ed.error = Some(format!("$EDITOR did not work: {e}")),
    }
}

fn stage_editor(model: &mut Model, step: Option<Step>) -> Vec<Cmd> {
    let Some(ed) = model.editor.as_ref() else {
        return Vec::new();
    };
    match build_edit(model, ed) {
        Err(why) => {
            if let Some(ed) = model.editor.as_mut() {
                ed.error = Some(why);
            }
            Vec::new()
        }
        Ok(None) => {
            model.editor = None;
            match step {
                Some(s) => go(model, s),
                None => Vec::new(),
            }
        }
        Ok(Some(edit)) => {
            if let Some((km, from)) = moved_km(model, &edit)
                && km > model.move_confirm_km
            {
                let swapped = edit
                    .new
                    .as_ref()
                    .and_then(|to| swapped_hint(&from, to, model.move_confirm_km))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                model.confirm = Some(Confirm {
                    text: format!("This moves the pin {km:.1} km{swapped}. Stage it?"),
                    kind: ConfirmKind::Move { edit, step },
                    yes: "Stage",
                    focus_yes: false,
                });
                return Vec::new();
            }
            if let Some(why) = odd_uk_postcode(model, &edit) {
                model.confirm = Some(Confirm {
                    text: format!("{why} Stage it as typed?"),
                    kind: ConfirmKind::Postcode { edit, step },
                    yes: "Stage",
                    focus_yes: false,
                });
                return Vec::new();
            }
            model.editor = None;
            let mut cmds = stage(model, vec![edit], false);
            if let Some(s) = step {
                cmds.extend(go(model, s));
            }
            cmds
        }
    }
}

/// How far a coordinates edit moves the pin from where it is shown now (the
/// staged position, else eLogii's), with that position.
fn moved_km(model: &Model, edit: &Edit) -> Option<(f64, Value)> {
    edit.moved_km()?;
    let c = cell_of_edit(model, edit);
    let record = record_json(model, edit.entity, &edit.record_id);
    let current = current_value(model, &c, record.as_ref())
        .ok()
        .flatten()
        .or_else(|| edit.base.clone())?;
    let km = distance_km(&current, edit.new.as_ref()?)?;
    Some((km, current))
}

/// Sends edits to the journal; they show as staged when it answers.
fn stage(model: &mut Model, edits: Vec<Edit>, redo: bool) -> Vec<Cmd> {
    let op = model.next_op;
    model.next_op += 1;
    for e in &edits {
        model.inflight.push((op, e.clone()));
    }
    let labels = edits
        .iter()
        .map(|e| {
            record_json(model, e.entity, &e.record_id)
                .and_then(|r| crate::domain::edit::record_label(&r))
        })
        .collect();
    vec![Cmd::Journal {
        op,
        action: JournalOp::Stage {
            edits,
            labels,
            redo,
        },
    }]
}

fn journal_cmd(model: &mut Model, action: JournalOp) -> Vec<Cmd> {
    let op = model.next_op;
    model.next_op += 1;
    vec![Cmd::Journal { op, action }]
}

/// Moves to the next or previous editable cell and opens the editor there.
fn go(model: &mut Model, step: Step) -> Vec<Cmd> {
    if let Some((target, field)) = form_position(model) {
        let rows = form_rows(model, target).unwrap_or_default();
        let next = match step {
            Step::Next => (field + 1..rows.len()).find(|&i| rows[i].cell.is_some()),
            Step::Prev => (0..field).rev().find(|&i| rows[i].cell.is_some()),
        };
        if let Some(i) = next {
            set_form_field(model, i);
            if let Some(c) = rows.into_iter().nth(i).and_then(|r| r.cell) {
                open_editor(model, c);
            }
        }
        return Vec::new();
    }
    if table_position(model).is_some() {
        step_table(model, step);
    }
    Vec::new()
}

/// Puts the cursor of the current form on line `i`.
pub fn set_form_field(model: &mut Model, i: usize) {
    if let Some(Screen::Location { field, .. }) | Some(Screen::Form { field, .. }) =
        model.stack.last_mut()
    {
        *field = i;
    }
}

fn step_table(model: &mut Model, step: Step) {
    let ncols = match view::base_screen(model) {
        None => view::columns_of(model.top.table()).len(),
        Some(Screen::Customer { .. }) => view::customer::COLUMNS.len(),
        Some(Screen::Route { .. }) => view::route::COLUMNS.len(),
        _ => return,
    };
    let (pos, col, nrows) = {
        let Some(t) = table_state(model) else {
            return;
        };
        (t.selected, t.col, t.rows.len())
    };
    // Scan at most a few rows for the next editable cell.
    let mut p = pos as isize;
    let mut c = col as isize;
    for _ in 0..(ncols * 4 + 1) {
        match step {
            Step::Next => {
                c += 1;
                if c >= ncols as isize {
                    c = 0;
                    p += 1;
                }
            }
            Step::Prev => {
                c -= 1;
                if c < 0 {
                    c = ncols as isize - 1;
                    p -= 1;
                }
            }
        }
        if p < 0 || p >= nrows as isize {
            return;
        }
        let row = table_state(model).and_then(|t| t.rows.get(p as usize).copied());
        let Some(row) = row else { return };
        let screen = view::base_screen(model);
        if let Some(cell) = table_cell(model, screen, row as usize, c as usize) {
            if let Some(t) = table_state_mut(model) {
                t.selected = p as usize;
                t.col = c as usize;
            }
            let h = view::page_height(model);
            if let Some(t) = table_state_mut(model) {
                t.scroll_into_view(h);
            }
            open_editor(model, cell);
            return;
        }
    }
}

fn table_state(model: &Model) -> Option<&crate::app::table::TableState> {
    match view::base_screen(model) {
        None => Some(model.table(model.top.table())),
        Some(Screen::Customer { table, .. }) | Some(Screen::Route { table, .. }) => Some(table),
        _ => None,
    }
}

fn table_state_mut(model: &mut Model) -> Option<&mut crate::app::table::TableState> {
    if !model
        .stack
        .iter()
        .any(|s| !matches!(s, Screen::Help { .. }))
    {
        let id = model.top.table();
        return Some(model.table_mut(id));
    }
    match model
        .stack
        .iter_mut()
        .rev()
        .find(|s| !matches!(s, Screen::Help { .. }))
    {
        Some(Screen::Customer { table, .. }) | Some(Screen::Route { table, .. }) => Some(table),
        _ => None,
    }
}

/// `c` on a day of the week grid: Monday–Friday get that day's hours.
pub fn copy_day(model: &mut Model) -> Vec<Cmd> {
    let Some(c) = current_cell(model).filter(|c| matches!(c.part, Part::Day(_))) else {
        model.set_status(
            StatusKind::Info,
            "Put the cursor on a day of the week grid (Mon … Sun) to copy it to Monday–Friday.",
        );
        return Vec::new();
    };
    if let Some(why) = refusal(model) {
        model.set_status(StatusKind::Error, why);
        return Vec::new();
    }
    let Part::Day(day) = c.part else {
        return Vec::new();
    };
    let record = record_json(model, c.entity, &c.record_id);
    let Some(record) = record else {
        model.set_status(StatusKind::Info, "That record is not loaded.");
        return Vec::new();
    };
    let base = get_field(&record, &c.field).cloned();
    let Ok(current) = current_value(model, &c, Some(&record)) else {
        return Vec::new();
    };
    let mut week = week_of(current.as_ref());
    let windows = week.day(day).to_vec();
    for d in &mut week.days[..5] {
        *d = windows.clone();
    }
    let like = current.as_ref().or(base.as_ref());
    let new = match parse_input(&c.field, &format_week_line(&week), like) {
        Ok(v) => v,
        Err(e) => {
            model.set_status(StatusKind::Error, e.to_string());
            return Vec::new();
        }
    };
    if current.as_ref() == Some(&new) {
        model.set_status(
            StatusKind::Info,
            format!("Monday–Friday already have the hours of {}.", day.key()),
        );
        return Vec::new();
    }
    stage(
        model,
        vec![Edit {
            entity: c.entity,
            record_id: c.record_id,
            field: c.field,
            base,
            new: Some(new),
        }],
        false,
    )
}

// ---------------------------------------------------------------------------
// Undo, redo, journal answers

/// `u`: undoes the last staging.
pub fn undo(model: &mut Model) -> Vec<Cmd> {
    let Some(entry) = model.undo.pop() else {
        let text = if model.undo_sent {
            "Nothing to undo: those edits were sent."
        } else {
            "Nothing to undo."
        };
        model.set_status(StatusKind::Info, text);
        return Vec::new();
    };
    journal_cmd(model, JournalOp::Undo(entry))
}

/// `Ctrl-r`: stages again what was undone.
pub fn redo(model: &mut Model) -> Vec<Cmd> {
    if let Some(why) = refusal(model) {
        model.set_status(StatusKind::Error, why);
        return Vec::new();
    }
    match model.redo.pop() {
        None => {
            model.set_status(StatusKind::Info, "Nothing to redo.");
            Vec::new()
        }
        Some(Redo::Stage(edits)) => stage(model, edits, true),
        Some(Redo::Drop(edits)) => {
            let ids: Vec<EditId> = edits
                .iter()
                .filter_map(|e| model.staging.find(e.entity, &e.record_id, &e.field))
                .filter(|r| !r.sent)
                .map(|r| r.edit.id)
                .collect();
            if ids.is_empty() {
                model.set_status(
                    StatusKind::Info,
                    "Nothing to redo: those edits are no longer staged.",
                );
                return Vec::new();
            }
            journal_cmd(model, JournalOp::Discard { ids, redo: true })
        }
    }
}

fn short(text: &str) -> String {
    let one = text.replace('\n', " ⏎ ");
    truncate_to_width(&sanitize(&one), 28).into_owned()
}

/// The days a schedule edit changes, before and after: `Sa 09:00-12:00`,
/// `Su closed`, neighbouring days with the same change as `Mo-Fr`. `None`
/// when either side is no week (`none`, unreadable) or no day's hours change.
fn schedule_change(edit: &Edit) -> Option<(String, String)> {
    if edit.field.kind() != FieldKind::Schedule {
        return None;
    }
    let (old, new) = (
        week_from_value(edit.base.as_ref())?,
        week_from_value(edit.new.as_ref())?,
    );
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < 7 {
        if old.days[i] == new.days[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < 7 && old.days[j + 1] == old.days[i] && new.days[j + 1] == new.days[i] {
            j += 1;
        }
        let days = if i == j {
            Weekday::ALL[i].short().to_string()
        } else {
            format!("{}-{}", Weekday::ALL[i].short(), Weekday::ALL[j].short())
        };
        before.push(format!("{days} {}", format_day(&old.days[i])));
        after.push(format!("{days} {}", format_day(&new.days[i])));
        i = j + 1;
    }
    (!before.is_empty()).then(|| (before.join("; "), after.join("; ")))
}

/// `postCode: BL3 1SX → BL3 1SY`; a schedule names only the days that
/// change (`schedule: Sa 09:00-12:00 → Sa 10:00-12:00`).
fn change_text(edit: &Edit) -> String {
    if let Some((old, new)) = schedule_change(edit) {
        let cut = |s: &str| truncate_to_width(s, 60).into_owned();
        return format!("{}: {} → {}", edit.field.label(), cut(&old), cut(&new));
    }
    let old = display_value(&edit.field, edit.base.as_ref());
    let new = display_value(&edit.field, edit.new.as_ref());
    let old = if old.is_empty() {
        "(empty)".into()
    } else {
        short(&old)
    };
    let new = if new.is_empty() && edit.field.kind() == FieldKind::TimeWindows {
        // A task without windows is judged by its location's hours.
        "none (the location's opening hours apply)".into()
    } else if new.is_empty() {
        "(empty)".into()
    } else {
        short(&new)
    };
    format!("{}: {old} → {new}", edit.field.label())
}

/// What `u` did, for the status line: the record, and what is staged now.
fn undone_text(model: &Model, entry: &UndoEntry) -> String {
    let ([e], [result]) = (entry.edits.as_slice(), entry.results.as_slice()) else {
        return format!("Undone: {} edits.", entry.edits.len());
    };
    let who = record_label(model, e.entity, &e.record_id);
    match result {
        StageResult::Added(_) | StageResult::Unchanged => {
            format!("Undone: {who} {} is no longer staged.", change_text(e))
        }
        StageResult::Replaced { previous, .. } => {
            let back = Edit {
                new: previous.clone(),
                ..e.clone()
            };
            format!("Undone: {who} {} is staged again.", change_text(&back))
        }
        StageResult::Reverted(p) => {
            format!("Undone: {who} {} is staged again.", change_text(&p.edit))
        }
    }
}

/// The journal answered.
pub fn journal_reply(model: &mut Model, reply: JournalReply) -> Vec<Cmd> {
    model.dirty = true;
    model.inflight.retain(|(op, _)| *op != reply.op);
    let staging_changed = !reply.touched.is_empty();
    for (id, now) in reply.touched {
        match now {
            Some(p) => model.staging.upsert(p),
            None => {
                if model.staging.get(id).is_some_and(|r| !r.sent) {
                    model.staging.remove(id);
                }
            }
        }
    }
    if staging_changed {
        crate::app::update::refresh_late(model);
    }
    let done = match reply.result {
        Ok(done) => done,
        Err(e) => {
            model.set_status(StatusKind::Error, format!("The journal refused: {e}"));
            return Vec::new();
        }
    };
    match done {
        JournalDone::Staged {
            edits,
            results,
            redo,
        } => {
            let changed = results.iter().any(|r| *r != StageResult::Unchanged);
            if changed {
                model.undo.push(UndoEntry {
                    edits: edits.clone(),
                    results: results.clone(),
                    dropped: false,
                });
                if !redo {
                    model.redo.clear();
                }
            }
            let mut kind = StatusKind::Info;
            let text = match (edits.as_slice(), results.as_slice()) {
                (_, [StageResult::Unchanged]) => {
                    "No change: that is the value eLogii has.".to_string()
                }
                ([e], [StageResult::Reverted(_)]) => format!(
                    "{} is back to eLogii's value; the staged edit is gone.",
                    e.field.label()
                ),
                ([e], _) => {
                    // A week line names the whole week: say which open days it closes.
                    let closed: Vec<&str> = e.days_closed().iter().map(|d| d.short()).collect();
                    if closed.is_empty() {
                        format!("Staged {}.", change_text(e))
                    } else {
                        kind = StatusKind::Warning;
                        let undo = model.bindings.first(crate::app::msg::Action::Undo);
                        format!(
                            "Staged {}. {} had hours and will be closed{}.",
                            change_text(e),
                            closed.join(", "),
                            if undo.is_empty() {
                                String::new()
                            } else {
                                format!(" ({undo} undoes)")
                            }
                        )
                    }
                }
                (many, _) => format!("Staged {} edits.", many.len()),
            };
            let key = model.bindings.first(crate::app::msg::Action::Send);
            let hint = if changed && !key.is_empty() && model.staging.pending() > 0 {
                format!(" {key} sends.")
            } else {
                String::new()
            };
            model.set_status(kind, format!("{text}{hint}"));
        }
        JournalDone::Undone(entry) if entry.dropped => {
            let text = match entry.edits.as_slice() {
                [e] => format!(
                    "Staged again: {} {}.",
                    record_label(model, e.entity, &e.record_id),
                    change_text(e)
                ),
                many => format!("Staged again: {} edits.", many.len()),
            };
            model.redo.push(Redo::Drop(entry.edits));
            model.set_status(StatusKind::Info, text);
        }
        JournalDone::Undone(entry) => {
            let text = undone_text(model, &entry);
            model.redo.push(Redo::Stage(entry.edits));
            model.set_status(StatusKind::Info, text);
        }
        JournalDone::Forgotten(n) => model.set_status(
            StatusKind::Info,
            format!("Dropped {n} staged edit{}.", plural(n)),
        ),
        JournalDone::Discarded { removed, redo } => {
            let n = removed.len();
            let key = model.bindings.first(crate::app::msg::Action::Undo);
            let hint = if n > 0 && !key.is_empty() {
                format!(" {key} brings {} back.", if n == 1 { "it" } else { "them" })
            } else {
                String::new()
            };
            if n > 0 {
                model.undo.push(UndoEntry {
                    edits: removed.iter().map(|p| p.edit.clone()).collect(),
                    results: removed
                        .into_iter()
                        .map(|p| StageResult::Reverted(Box::new(p)))
                        .collect(),
                    dropped: true,
                });
                if !redo {
                    model.redo.clear();
                }
            }
            model.set_status(
                StatusKind::Info,
                format!("Dropped {n} staged edit{}.{hint}", plural(n)),
            );
        }
        JournalDone::Resolved(how) => model.set_status(
            StatusKind::Info,
            match how {
                Resolution::KeepMine => "Kept mine: the edit is staged again over eLogii's value.",
                Resolution::TakeTheirs => "Took eLogii's value: the edit is dropped.",
            },
        ),
        JournalDone::Loaded { pending, banner } => {
            model.journal = JournalStatus::Ready;
            for p in &pending {
                if let Some(label) = &p.label {
                    model
                        .staging
                        .set_label(p.edit.entity, &p.edit.record_id, label);
                }
            }
            let settled = settled_elsewhere(model, &pending);
            model.staging.replace(pending);
            if !settled.is_empty() {
                clamp_staged(model);
                return settled_elsewhere_said(model, settled);
            }
            if banner {
                let mut counts = model.staging.counts();
                let unconfirmed = model.staging.unconfirmed();
                counts.sending -= unconfirmed.min(counts.sending);
                counts.staged += unconfirmed;
                if let Some(text) = counts.restored_message() {
                    let mut text = format!("{}.", capital(&text));
                    if unconfirmed > 0 {
                        let key = model.bindings.first(crate::app::msg::Action::DropEdit);
                        text.push_str(&format!(
                            " {unconfirmed} {} unconfirmed: being sent when the console stopped, not checked while read-only (:staged lists {}{}).",
                            if unconfirmed == 1 { "is" } else { "are" },
                            if unconfirmed == 1 { "it" } else { "them" },
                            if key.is_empty() {
                                String::new()
                            } else {
                                format!("; {key} drops one here")
                            }
                        ));
                    }
                    model.set_status(StatusKind::Info, text);
                }
            }
        }
    }
    clamp_staged(model);
    Vec::new()
}

/// After a send the dispatcher asked for (the writer has finished): the edits
/// of it that the journal no longer holds and that were not sent from here.
/// Another console or `elogii-tui send` sent or dropped them meanwhile.
fn settled_elsewhere(model: &mut Model, pending: &[crate::sync::PendingEdit]) -> Vec<Edit> {
    let held: HashSet<EditId> = pending.iter().map(|p| p.id).collect();
    std::mem::take(&mut model.send_check)
        .into_iter()
        .filter(|id| !held.contains(id))
        .filter_map(|id| model.staging.get(id))
        .filter(|r| !r.sent)
        .map(|r| r.edit.edit.clone())
        .collect()
}

/// Says which edits were settled elsewhere and reads their records again, so
/// the rows show what eLogii has now.
fn settled_elsewhere_said(model: &mut Model, settled: Vec<Edit>) -> Vec<Cmd> {
    let n = settled.len();
    let what = match settled.as_slice() {
        [e] => format!(
            "{} {}",
            record_label(model, e.entity, &e.record_id),
            change_text(e)
        ),
        _ => format!("{n} of the edits"),
    };
    let before = model
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .filter(|t| t != "Sending…")
        .map(|t| format!("{t} "))
        .unwrap_or_default();
    model.set_status(
        StatusKind::Warning,
        format!(
            "{before}Not sent from here: {what} had left the journal (another elogii-tui or `elogii-tui send` sent or dropped {}); {} read again.",
            if n == 1 { "it" } else { "them" },
            if n == 1 { "its record is" } else { "their records are" }
        ),
    );
    forget_fields(model, &settled);
    let mut ids: BTreeMap<Entity, BTreeSet<String>> = BTreeMap::new();
    for e in settled {
        ids.entry(e.entity).or_default().insert(e.record_id);
    }
    ids.into_iter()
        .map(|(entity, ids)| reread(model, entity, ids.into_iter().collect()))
        .collect()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Keeps the staged list's cursor on a row.
pub fn clamp_staged(model: &mut Model) {
    let n = staged_order(model).len();
    for s in model.stack.iter_mut() {
        if let Screen::Staged { selected, marked } = s {
            *selected = (*selected).min(n.saturating_sub(1));
            marked.retain(|id| model.staging.get(*id).is_some_and(|r| !r.sent));
        }
    }
}

// ---------------------------------------------------------------------------
// Sending

/// Edits a send would carry: `ids`, or everything staged or failed.
fn sendable<'a>(model: &'a Model, ids: Option<&[EditId]>) -> Vec<&'a StagedRow> {
    model
        .staging
        .iter()
        .filter(|r| !r.sent && matches!(r.edit.state, EditState::Staged | EditState::Failed))
        .filter(|r| ids.is_none_or(|ids| ids.contains(&r.edit.id)))
        .collect()
}

/// `updateMany` calls the rows become: per entity, records in chunks of the batch size.
fn batch_count(rows: &[&StagedRow], size: usize) -> usize {
    let mut records: HashMap<Entity, Vec<&str>> = HashMap::new();
    for r in rows {
        let list = records.entry(r.edit.edit.entity).or_default();
        if !list.contains(&r.edit.edit.record_id.as_str()) {
            list.push(&r.edit.edit.record_id);
        }
    }
    records
        .values()
        .map(|l| l.len().div_ceil(size.max(1)))
        .sum()
}

/// `W` / `:w`: asks before sending (the dialog defaults to Cancel).
pub fn ask_send(model: &mut Model, ids: Option<Vec<EditId>>) -> Vec<Cmd> {
    if let Some(why) = refusal(model) {
        model.set_status(StatusKind::Error, why);
        return Vec::new();
    }
    if model.sending.is_some() {
        model.set_status(
            StatusKind::Info,
            "A send is already running; wait for it to finish.",
        );
        return Vec::new();
    }
    let rows = sendable(model, ids.as_deref());
    let conflicts = model.staging.counts().conflict;
    if rows.is_empty() {
        let text = if conflicts > 0 {
            format!(
                "Nothing to send: {conflicts} conflict{} wait for you in :staged.",
                plural(conflicts)
            )
        } else {
            "Nothing is staged.".to_string()
        };
        model.set_status(StatusKind::Info, text);
        return Vec::new();
    }
    let n = rows.len();
    let b = batch_count(&rows, model.batch_size);
    let what = if ids.is_some() {
        "selected edit"
    } else {
        "edit"
    };
    let mut text = format!(
        "Send {n} {what}{} in {b} batch{} to eLogii?",
        plural(n),
        if b == 1 { "" } else { "es" }
    );
    if ids.is_none() && conflicts > 0 {
        text.push_str(&format!(
            " {conflicts} conflict{} {} held back.",
            plural(conflicts),
            if conflicts == 1 { "is" } else { "are" }
        ));
    }
    model.confirm = Some(Confirm {
        kind: ConfirmKind::Send(ids),
        text,
        yes: "Send",
        focus_yes: false,
    });
    Vec::new()
}

/// `q` at the top, `:q`, Ctrl-c: quits, asking first when edits are staged or in flight.
pub fn ask_quit(model: &mut Model) {
    let pending = model.staging.pending() + model.inflight.len();
    if pending == 0 && model.sending.is_none() {
        model.quit = true;
        return;
    }
    let one = pending == 1;
    let text = if model.sending.is_some() {
        format!(
            "A send is in progress. Quit anyway? {pending} edit{} {} in the journal and {} checked against eLogii at the next start.",
            plural(pending),
            if one { "stays" } else { "stay" },
            if one { "is" } else { "are" }
        )
    } else {
        // Failed or held edits are not "staged" in the dialog's sense.
        let all_staged = model
            .staging
            .iter()
            .filter(|r| !r.sent)
            .all(|r| r.edit.state == EditState::Staged);
        format!(
            "{pending} {} edit{} {} kept in the journal and restored at the next start. Quit?",
            if all_staged { "staged" } else { "unsent" },
            plural(pending),
            if one { "is" } else { "are" }
        )
    };
    model.confirm = Some(Confirm {
        kind: ConfirmKind::Quit,
        text,
        yes: "Quit",
        focus_yes: false,
    });
}

/// A key in the confirm dialog.
pub fn confirm_key(model: &mut Model, key: ConfirmKey) -> Vec<Cmd> {
    model.dirty = true;
    let Some(mut c) = model.confirm.take() else {
        return Vec::new();
    };
    let yes = match key {
        ConfirmKey::Yes => true,
        ConfirmKey::No => false,
        ConfirmKey::Activate => c.focus_yes,
        ConfirmKey::Toggle => {
            c.focus_yes = !c.focus_yes;
            model.confirm = Some(c);
            return Vec::new();
        }
        ConfirmKey::ForceQuit => {
            model.quit = true;
            return Vec::new();
        }
    };
    if !yes {
        match c.kind {
            ConfirmKind::Send(_) => model.set_status(StatusKind::Info, "Nothing was sent."),
            ConfirmKind::Move { .. } => {
                if let Some(ed) = model.editor.as_mut() {
                    ed.error = Some("Not staged: the pin stays where it is.".into());
                }
            }
            ConfirmKind::Postcode { .. } => {
                if let Some(ed) = model.editor.as_mut() {
                    // Short enough to read under a cell editor 40 cells wide.
                    ed.error = Some("Not staged: not a UK postcode shape.".into());
                }
            }
            ConfirmKind::Lock { uid, .. } => {
                model.set_status(StatusKind::Info, format!("Route {uid} left as it was."))
            }
            ConfirmKind::Drop(_) | ConfirmKind::Quit => {}
        }
        return Vec::new();
    }
    match c.kind {
        ConfirmKind::Send(ids) => {
            model.set_status(StatusKind::Info, "Sending…");
            model.send_asked = match &ids {
                Some(ids) => ids.clone(),
                None => model
                    .staging
                    .iter()
                    .filter(|r| !r.sent)
                    .map(|r| r.edit.id)
                    .collect(),
            };
            vec![Cmd::Send { ids }]
        }
        ConfirmKind::Quit => {
            model.quit = true;
            Vec::new()
        }
        ConfirmKind::Drop(ids) => {
            let unconfirmed = ids
                .iter()
                .any(|id| model.staging.get(*id).is_some_and(|r| r.unconfirmed));
            let op = if unconfirmed {
                JournalOp::Forget(ids)
            } else {
                JournalOp::Discard { ids, redo: false }
            };
            journal_cmd(model, op)
        }
        ConfirmKind::Move { edit, step } | ConfirmKind::Postcode { edit, step } => {
            model.editor = None;
            let mut cmds = stage(model, vec![edit], false);
            if let Some(s) = step {
                cmds.extend(go(model, s));
            }
            cmds
        }
        ConfirmKind::Lock { uid, ids, lock } => {
            crate::app::update::lock_confirmed(model, uid, ids, lock)
        }
    }
}

/// Sending could not start.
pub fn send_refused(model: &mut Model, why: &str) {
    model.send_asked.clear();
    model.set_status(StatusKind::Error, format!("Cannot send: {why}"));
}

// ---------------------------------------------------------------------------
// Writer events

/// The writer reported.
pub fn writer_event(model: &mut Model, event: WriterEvent) -> Vec<Cmd> {
    model.dirty = true;
    match event {
        WriterEvent::RunStarted {
            run,
            edits,
            recovering,
        } => {
            model.sending = Some(SendRun {
                run,
                recovering,
                ..SendRun::default()
            });
            if recovering > 0 {
                model.set_status(
                    StatusKind::Info,
                    format!(
                        "Checking {recovering} edit{} that {} being sent when the console stopped…",
                        plural(recovering),
                        if recovering == 1 { "was" } else { "were" }
                    ),
                );
            } else if edits == 0 {
                model.sending = None;
            }
            clamp_staged(model);
            Vec::new()
        }
        WriterEvent::BatchStarted { batch, edits, .. } => {
            for id in edits {
                if let Some(r) = model.staging.get_mut(id) {
                    r.edit.state = EditState::Sending;
                    r.edit.batch = Some(batch.clone());
                }
            }
            Vec::new()
        }
        WriterEvent::Retrying {
            attempt,
            delay,
            error,
            ..
        } => {
            if let Some(s) = model.sending.as_mut() {
                s.retrying = Some(format!(
                    "retry {attempt} in {:.1} s: {}",
                    delay.as_secs_f64(),
                    truncate_to_width(&sanitize(&error), 60)
                ));
            }
            Vec::new()
        }
        WriterEvent::Edits { outcomes, .. } => outcomes_in(model, outcomes),
        WriterEvent::Progress { progress, .. } => {
            if let Some(s) = model.sending.as_mut() {
                s.progress = progress;
                s.retrying = None;
            }
            Vec::new()
        }
        WriterEvent::RunFinished { summary, .. } => {
            model.send_check = std::mem::take(&mut model.send_asked);
            let recovering = model.sending.take().map_or(0, |s| s.recovering);
            let (kind, mut text) = summary_text(&summary);
            if recovering > 0 && !text.is_empty() {
                text.push_str(&format!(
                    " {recovering} of them {} left sending when the console stopped and checked against eLogii first.",
                    if recovering == 1 { "was" } else { "were" }
                ));
            }
            if !text.is_empty() {
                model.set_status(kind, text);
            }
            journal_cmd(model, JournalOp::Reload { banner: false })
        }
        WriterEvent::RunFailed { error, .. } => {
            model.sending = None;
            model.send_asked.clear();
            model.set_status(
                StatusKind::Error,
                format!("Sending stopped: {error}. The edits keep their state."),
            );
            journal_cmd(model, JournalOp::Reload { banner: false })
        }
    }
}

/// "Sent 12 edits to eLogii." with what did not go through.
pub fn summary_text(summary: &RunSummary) -> (StatusKind, String) {
    let p = &summary.progress;
    if p.edits_total == 0 {
        return (StatusKind::Info, String::new());
    }
    let written = p.sent.saturating_sub(p.already);
    let mut text = format!("Sent {written} edit{} to eLogii", plural(written));
    if p.already > 0 {
        text.push_str(&format!(
            " ({} already had {} value{}, nothing to write)",
            p.already,
            if p.already == 1 { "its" } else { "their" },
            plural(p.already)
        ));
    }
    let mut rest = Vec::new();
    if p.failed > 0 {
        rest.push(format!("{} failed", p.failed));
    }
    if p.conflicts > 0 {
        rest.push(format!("{} conflict{}", p.conflicts, plural(p.conflicts)));
    }
    if p.kept > 0 {
        rest.push(format!("{} still staged", p.kept));
    }
    if rest.is_empty() {
        text.push('.');
        (StatusKind::Info, text)
    } else {
        text.push_str(&format!("; {} (see :staged).", rest.join(", ")));
        (StatusKind::Warning, text)
    }
}

/// Confirmed values per record: field and value.
type SentValues = BTreeMap<(Entity, String), Vec<(FieldPath, Option<Value>)>>;

fn outcomes_in(model: &mut Model, outcomes: Vec<(EditId, EditOutcome)>) -> Vec<Cmd> {
    let mut sent: SentValues = BTreeMap::new();
    let gone: Vec<EditId> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, EditOutcome::Sent | EditOutcome::AlreadyThere))
        .map(|(id, _)| *id)
        .collect();
    forget_sent(model, &gone);
    for (id, outcome) in outcomes {
        let Some(r) = model.staging.get_mut(id) else {
            continue;
        };
        r.edit.batch = None;
        match outcome {
            EditOutcome::Sent | EditOutcome::AlreadyThere => {
                r.sent = true;
                r.edit.message = None;
                let e = &r.edit.edit;
                sent.entry((e.entity, e.record_id.clone()))
                    .or_default()
                    .push((e.field.clone(), e.new.clone()));
            }
            EditOutcome::Failed(m) => {
                r.edit.state = EditState::Failed;
                r.edit.message = Some(m);
            }
            EditOutcome::Conflict { theirs } => {
                r.edit.state = EditState::Conflict;
                r.edit.theirs = theirs;
                r.edit.message =
                    Some("the field changed on eLogii after this edit was staged".into());
            }
            EditOutcome::StillStaged(m) => {
                r.edit.state = EditState::Staged;
                r.edit.message = Some(m);
            }
        }
    }
    if sent.is_empty() {
        return Vec::new();
    }
    let mut ids: BTreeMap<Entity, Vec<String>> = BTreeMap::new();
    for (entity, id) in sent.keys() {
        ids.entry(*entity).or_default().push(id.clone());
    }
    let mut cmds = apply_sent(model, sent);
    for (entity, ids) in ids {
        cmds.push(reread(model, entity, ids));
    }
    cmds
}

/// Asks for `ids` again by `_id`: the writer sent each as the record it had
/// just read with the edits applied, which may hold other changes made on
/// eLogii meanwhile; the rows then show the record as eLogii has it.
fn reread(model: &mut Model, entity: Entity, ids: Vec<String>) -> Cmd {
    let req = model.next_req;
    model.next_req += 1;
    for id in &ids {
        model.rereads.insert((entity, id.clone()), req);
    }
    Cmd::Reread { req, entity, ids }
}

/// Sent edits are history: see [`forget_fields`].
fn forget_sent(model: &mut Model, sent: &[EditId]) {
    let fields: Vec<Edit> = sent
        .iter()
        .filter_map(|id| model.staging.get(*id))
        .map(|r| r.edit.edit.clone())
        .collect();
    forget_fields(model, &fields);
}

/// Edits of these fields were settled on eLogii (sent from here or
/// elsewhere): every staging, drop and redo of those fields leaves the undo
/// and redo stacks, since each was made against a value eLogii no longer
/// has (undoing one would stage a stale edit that then reads as a conflict).
fn forget_fields(model: &mut Model, settled: &[Edit]) {
    if settled.is_empty() {
        return;
    }
    let keys: HashSet<(Entity, &str, String)> = settled
        .iter()
        .map(|e| (e.entity, e.record_id.as_str(), e.field.to_string()))
        .collect();
    let touches = |edits: &[Edit]| {
        edits
            .iter()
            .any(|e| keys.contains(&(e.entity, e.record_id.as_str(), e.field.to_string())))
    };
    let before = model.undo.len();
    model.undo.retain(|entry| !touches(&entry.edits));
    model.redo.retain(|redo| match redo {
        Redo::Stage(edits) | Redo::Drop(edits) => !touches(edits),
    });
    if model.undo.len() != before {
        model.undo_sent = true;
    }
}

/// Writes confirmed values into the loaded records, so the tables show what
/// eLogii now has and later edits start from it.
fn apply_sent(model: &mut Model, sent: SentValues) -> Vec<Cmd> {
    let mut customers: Vec<(usize, Customer)> = Vec::new();
    let mut tasks: Vec<(usize, Task)> = Vec::new();
    for ((entity, id), changes) in sent {
        let patch = |record: Value| -> Option<Value> {
            let mut record = record;
            for (field, value) in &changes {
                set_field(&mut record, field, value.clone()).ok()?;
            }
            Some(record)
        };
        match entity {
            Entity::Customer => {
                let Some(&i) = model.customers.by_id.get(&id) else {
                    continue;
                };
                let Some(v) = customer(model, i).and_then(|c| serde_json::to_value(c).ok()) else {
                    continue;
                };
                if let Some(c) = patch(v).and_then(|v| serde_json::from_value(v).ok()) {
                    customers.push((i as usize, c));
                }
            }
            Entity::Task => {
                let Some(&i) = model.tasks.by_id.get(&id) else {
                    continue;
                };
                let Some(v) = task(model, i).and_then(|t| serde_json::to_value(t).ok()) else {
                    continue;
                };
                if let Some(t) = patch(v).and_then(|v| serde_json::from_value(v).ok()) {
                    tasks.push((i as usize, t));
                }
            }
        }
    }
    let mut cmds = Vec::new();
    if !customers.is_empty() {
        replace_customers(model, customers);
        cmds.extend(crate::app::update::customers_changed(model));
    }
    if tasks.is_empty() {
        return cmds;
    }
    replace_tasks(model, tasks);
    cmds.extend(crate::app::update::tasks_changed(model));
    cmds
}

/// Puts tasks in place of the loaded ones at the same indices (their filter
/// texts too); the caller rebuilds what depends on them.
pub(crate) fn replace_tasks(model: &mut Model, list: Vec<(usize, Task)>) {
    let d = &mut model.tasks;
    let texts: Vec<(usize, String)> = list
        .iter()
        .map(|(i, t)| (*i, task_search(t, &mut d.widths)))
        .collect();
    d.search.replace_many(texts);
    d.recs.replace_many(
        list.into_iter()
            .map(|(i, t)| (i, crate::app::data::TaskRec::new(t)))
            .collect(),
    );
}

/// Puts customers in place of the loaded ones at the same indices (their
/// filter texts and their locations' too). Each keeps its number of
/// locations; the caller rebuilds the locations when that changed.
pub(crate) fn replace_customers(model: &mut Model, list: Vec<(usize, Customer)>) {
    let d = &mut model.customers;
    let texts: Vec<(usize, String)> = list
        .iter()
        .map(|(i, c)| (*i, customer_search(c, &mut d.widths)))
        .collect();
    d.search.replace_many(texts);
    let indices: Vec<usize> = list.iter().map(|(i, _)| *i).collect();
    d.recs.replace_many(
        list.into_iter()
            .map(|(i, c)| (i, crate::app::data::CustomerRec::new(c)))
            .collect(),
    );
    // The locations view's filter texts of those customers.
    let mut loc_texts: Vec<(usize, String)> = Vec::new();
    for ci in indices {
        let first = first_loc_row(&d.locs, ci as u32);
        let (rows, texts) = location_rows_of(&d.recs, ci, &mut d.loc_widths);
        for (k, text) in texts.into_iter().enumerate().take(rows) {
            loc_texts.push((first + k, text));
        }
    }
    d.loc_search.replace_many(loc_texts);
}

/// Index of the first locations-view row of customer `cust` (rows are in customer order).
fn first_loc_row(locs: &crate::app::table::Store<crate::app::data::LocRec>, cust: u32) -> usize {
    let (mut lo, mut hi) = (0usize, locs.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        match locs.get(mid) {
            Some(r) if r.cust < cust => lo = mid + 1,
            _ => hi = mid,
        }
    }
    lo
}

fn location_rows_of(
    recs: &crate::app::table::Store<crate::app::data::CustomerRec>,
    ci: usize,
    widths: &mut Vec<u16>,
) -> (usize, Vec<String>) {
    let one: crate::app::table::Store<crate::app::data::CustomerRec> = match recs.get(ci) {
        Some(c) => std::iter::once(c.clone()).collect(),
        None => return (0, Vec::new()),
    };
    let (rows, texts) = location_rows(&one, 0, widths);
    (rows.len(), texts)
}

// ---------------------------------------------------------------------------
// The staged list

/// A group of the staged list: one `updateMany` call, the conflicts, or the sent ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Its title line.
    pub title: String,
    /// Its edits, in order.
    pub rows: Vec<EditId>,
}

/// The staged list's groups: the `updateMany` calls the pending edits become
/// (per entity, records in order of their first edit, chunks of the batch
/// size), then conflicts, then what was sent in this session.
pub fn staged_groups(model: &Model) -> Vec<Group> {
    let size = model.batch_size.max(1);
    let mut groups = Vec::new();
    for entity in [Entity::Customer, Entity::Task] {
        let mut records: Vec<(&str, Vec<EditId>)> = Vec::new();
        for r in model.staging.iter().filter(|r| {
            !r.sent
                && !r.unconfirmed
                && r.edit.state != EditState::Conflict
                && r.edit.edit.entity == entity
        }) {
            let rid = r.edit.edit.record_id.as_str();
            match records.iter_mut().find(|(id, _)| *id == rid) {
                Some((_, ids)) => ids.push(r.edit.id),
                None => records.push((rid, vec![r.edit.id])),
            }
        }
        let path = match entity {
            Entity::Customer => "customers",
            Entity::Task => "tasks",
        };
        // Read-only: nothing becomes a call; one group an entity.
        let size = if model.read_only { usize::MAX } else { size };
        let chunks = records.len().div_ceil(size);
        for (k, chunk) in records.chunks(size).enumerate() {
            let rows: Vec<EditId> = chunk
                .iter()
                .flat_map(|(_, ids)| ids.iter().copied())
                .collect();
            let title = if model.read_only {
                format!(
                    "{} · {} record{} · {} edit{} (read-only: not sent)",
                    capital(path),
                    chunk.len(),
                    plural(chunk.len()),
                    rows.len(),
                    plural(rows.len())
                )
            } else {
                format!(
                    "POST /{path}/updateMany  call {} of {chunks} · {} record{} · {} edit{}",
                    k + 1,
                    chunk.len(),
                    plural(chunk.len()),
                    rows.len(),
                    plural(rows.len())
                )
            };
            groups.push(Group { title, rows });
        }
    }
    let unconfirmed: Vec<EditId> = model
        .staging
        .iter()
        .filter(|r| !r.sent && r.unconfirmed)
        .map(|r| r.edit.id)
        .collect();
    if !unconfirmed.is_empty() {
        groups.push(Group {
            title: format!(
                "Unconfirmed · {}: being sent when an earlier console stopped; eLogii may have them (read-only: not checked)",
                unconfirmed.len()
            ),
            rows: unconfirmed,
        });
    }
    let conflicts: Vec<EditId> = model
        .staging
        .iter()
        .filter(|r| !r.sent && !r.unconfirmed && r.edit.state == EditState::Conflict)
        .map(|r| r.edit.id)
        .collect();
    if !conflicts.is_empty() {
        groups.push(Group {
            title: format!(
                "Conflicts · {} held back: the field changed on eLogii too",
                conflicts.len()
            ),
            rows: conflicts,
        });
    }
    let sent: Vec<EditId> = model
        .staging
        .iter()
        .filter(|r| r.sent)
        .map(|r| r.edit.id)
        .collect();
    if !sent.is_empty() {
        groups.push(Group {
            title: format!("Sent in this session · {}", sent.len()),
            rows: sent,
        });
    }
    groups
}

/// The staged list's edits in display order.
pub fn staged_order(model: &Model) -> Vec<EditId> {
    staged_groups(model)
        .into_iter()
        .flat_map(|g| g.rows)
        .collect()
}

/// Who a record is: the customer's name, else the task's reference, else its id.
pub fn record_label(model: &Model, entity: Entity, record_id: &str) -> String {
    let name = match entity {
        Entity::Customer => model
            .customers
            .by_id
            .get(record_id)
            .and_then(|i| customer(model, *i))
            .and_then(|c| text_of(&c.name).map(str::to_string)),
        Entity::Task => model
            .tasks
            .by_id
            .get(record_id)
            .and_then(|i| task(model, *i))
            .and_then(|t| {
                text_of(&t.reference)
                    .or(text_of(&t.uid))
                    .map(str::to_string)
            }),
    };
    let name = name.or_else(|| model.staging.label(entity, record_id).map(str::to_string));
    sanitize(&name.unwrap_or_else(|| record_id.to_string())).into_owned()
}

/// A field as the staged list names it: `A1 Pharmacy (CL-DLPS1E5Z) › postCode`.
pub fn field_label(model: &Model, edit: &Edit) -> String {
    let Some(uid) = edit.field.location_uid() else {
        return edit.field.name.to_string();
    };
    let name = model
        .customers
        .by_id
        .get(&edit.record_id)
        .and_then(|i| customer(model, *i))
        .and_then(|c| {
            c.locations()
                .iter()
                .find(|l| text_of(&l.uid) == Some(uid))
                .and_then(|l| text_of(&l.name).map(str::to_string))
        });
    let uid = sanitize(uid);
    let customer_name = record_label(model, edit.entity, &edit.record_id);
    match name {
        Some(n) if sanitize(&n) != customer_name => format!(
            "{} ({uid}) › {}",
            truncate_to_width(&sanitize(&n), 20),
            edit.field.name
        ),
        _ => format!("{uid} › {}", edit.field.name),
    }
}

/// A key on the staged list; `None` when the key does something else there.
pub fn staged_action(model: &mut Model, a: crate::app::msg::Action) -> Option<Vec<Cmd>> {
    use crate::app::msg::Action;
    let Some(Screen::Staged { selected, .. }) = model.stack.last() else {
        return None;
    };
    let order = staged_order(model);
    let n = order.len();
    let current = order.get(*selected).copied();
    let page = view::page_height(model).max(1) as isize;
    let step = |model: &mut Model, d: isize| {
        if let Some(Screen::Staged { selected, .. }) = model.stack.last_mut() {
            *selected = selected.saturating_add_signed(d).min(n.saturating_sub(1));
        }
    };
    match a {
        Action::MoveDown => step(model, 1),
        Action::MoveUp => step(model, -1),
        Action::PageDown => step(model, page),
        Action::PageUp => step(model, -page),
        Action::Top => step(model, isize::MIN / 2),
        Action::Bottom => step(model, isize::MAX / 2),
        Action::ToggleMark => {
            let Some(id) = current else {
                return Some(Vec::new());
            };
            if model.staging.get(id).is_some_and(|r| r.sent) {
                return Some(Vec::new());
            }
            if let Some(Screen::Staged { marked, .. }) = model.stack.last_mut()
                && !marked.remove(&id)
            {
                marked.insert(id);
            }
            step(model, 1);
        }
        Action::Send => {
            let marked: Vec<EditId> = match model.stack.last() {
                Some(Screen::Staged { marked, .. }) => marked.iter().copied().collect(),
                _ => Vec::new(),
            };
            let ids = (!marked.is_empty()).then_some(marked);
            return Some(ask_send(model, ids));
        }
        Action::DropEdit => {
            let Some(row) = current.and_then(|id| model.staging.get(id)) else {
                model.set_status(StatusKind::Info, "Nothing to drop.");
                return Some(Vec::new());
            };
            if row.sent {
                model.set_status(StatusKind::Info, "That edit was sent already.");
                return Some(Vec::new());
            }
            if row.edit.state == EditState::Sending && !row.unconfirmed {
                model.set_status(
                    StatusKind::Info,
                    "That edit is being sent; wait for eLogii's answer.",
                );
                return Some(Vec::new());
            }
            let who = record_label(model, row.edit.edit.entity, &row.edit.edit.record_id);
            let text = if row.edit.state == EditState::Conflict {
                let theirs = display_value(&row.edit.edit.field, row.edit.theirs.as_ref());
                let theirs = if theirs.is_empty() {
                    "(empty)".to_string()
                } else {
                    short(&theirs)
                };
                format!(
                    "Drop the conflicting edit {who} → {}? eLogii has {theirs} now and keeps it.",
                    change_text(&row.edit.edit)
                )
            } else if row.unconfirmed {
                format!(
                    "Drop the unconfirmed edit {who} → {}? It was being sent when an earlier console stopped, so eLogii may have it already. Dropping only forgets it here; nothing is sent.",
                    change_text(&row.edit.edit)
                )
            } else {
                format!(
                    "Drop the staged edit {who} → {}? eLogii keeps its value.",
                    change_text(&row.edit.edit)
                )
            };
            let id = row.edit.id;
            model.confirm = Some(Confirm {
                kind: ConfirmKind::Drop(vec![id]),
                text,
                yes: "Drop",
                focus_yes: false,
            });
        }
        Action::Edit | Action::Open => {
            if current
                .and_then(|id| model.staging.get(id))
                .is_some_and(|r| r.sent)
            {
                model.set_status(
                    StatusKind::Info,
                    "That edit was sent: sent rows are history. Edit the field on its record to change it again.",
                );
                return Some(Vec::new());
            }
            return Some(begin_edit(model));
        }
        Action::KeepMine | Action::TakeTheirs => {
            let Some(row) = current.and_then(|id| model.staging.get(id)) else {
                return Some(Vec::new());
            };
            if row.sent || row.edit.state != EditState::Conflict {
                model.set_status(
                    StatusKind::Info,
                    "Only a conflict is settled with keep mine / take theirs.",
                );
                return Some(Vec::new());
            }
            if a == Action::KeepMine
                && let Some(why) = refusal(model)
            {
                model.set_status(StatusKind::Error, why);
                return Some(Vec::new());
            }
            let how = if a == Action::KeepMine {
                Resolution::KeepMine
            } else {
                Resolution::TakeTheirs
            };
            let id = row.edit.id;
            return Some(journal_cmd(model, JournalOp::Resolve(id, how)));
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// The sync part of the status line: `sending 3/12 batches, 1 failed`, or
/// `✎ 3 staged` when idle.
pub fn sync_text(model: &Model) -> String {
    if let Some(s) = &model.sending {
        let mut t = s.progress.text();
        if let Some(r) = &s.retrying {
            t.push_str(&format!(" ({r})"));
        }
        return t;
    }
    let c: Counts = model.staging.counts();
    let unconfirmed = model.staging.unconfirmed();
    let mut parts = Vec::new();
    if c.staged + c.sending > unconfirmed {
        parts.push(format!(
            "{} {} staged",
            Mark::Staged.glyph(),
            c.staged + c.sending - unconfirmed
        ));
    }
    if unconfirmed > 0 {
        parts.push(format!(
            "{} {unconfirmed} unconfirmed",
            Mark::Unconfirmed.glyph()
        ));
    }
    if c.failed > 0 {
        parts.push(format!("{} {} failed", Mark::Failed.glyph(), c.failed));
    }
    if c.conflict > 0 {
        parts.push(format!(
            "{} {} conflict{}",
            Mark::Conflict.glyph(),
            c.conflict,
            plural(c.conflict)
        ));
    }
    parts.join(", ")
}

/// Weekday names for the week grid.
pub fn day_label(d: Weekday) -> String {
    format!("  {}", d.key())
}
