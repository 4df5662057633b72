//! Everything the console shows: loaded data, tables, screens, the input line
//! and the status line. Changed only by [`crate::app::update`].

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use ratatui_textarea::TextArea;
use serde_json::Value;

use crate::api::types::{Location, Route};
use crate::app::data::{
    CustomerRec, CustomersSrc, LocRec, LocationsSrc, RouteRec, RoutesSrc, StopsSrc, TaskRec,
    TasksSrc,
};
use crate::app::keymap::Bindings;
use crate::app::late::{LateSrc, LateStop, Schedules};
use crate::app::msg::{Redo, UndoEntry};
use crate::app::table::{RowSource, Store, TableState, TextStore};
use crate::domain::edit::{Edit, Entity, FieldPath, MOVE_CONFIRM_KM};
use crate::domain::lateness::DEFAULT_AT_RISK_MARGIN;
use crate::domain::schedule::Weekday;
use crate::sync::batch::{DEFAULT_BATCH_SIZE, EditId, EditState, PendingEdit};
use crate::sync::journal::Counts;
use crate::sync::writer::Progress;
use crate::view::theme::Theme;

/// The four top-level views, in `Tab` order (locations is customers' other face).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopView {
    /// One row a customer.
    Customers,
    /// One row a location, across all customers.
    Locations,
    /// Tasks of the date.
    Tasks,
    /// Routes of the date.
    Routes,
}

impl TopView {
    /// Name shown in the header.
    pub fn title(self) -> &'static str {
        match self {
            TopView::Customers => "Customers",
            TopView::Locations => "Locations",
            TopView::Tasks => "Tasks",
            TopView::Routes => "Routes",
        }
    }

    /// The table that shows this view.
    pub fn table(self) -> TableId {
        match self {
            TopView::Customers => TableId::Customers,
            TopView::Locations => TableId::Locations,
            TopView::Tasks => TableId::Tasks,
            TopView::Routes => TableId::Routes,
        }
    }
}

/// Tables whose filter/sort may run off the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableId {
    /// The customers view.
    Customers,
    /// The locations view.
    Locations,
    /// The tasks view.
    Tasks,
    /// The routes view.
    Routes,
}

impl TableId {
    /// All top tables.
    pub const ALL: [TableId; 4] = [
        TableId::Customers,
        TableId::Locations,
        TableId::Tasks,
        TableId::Routes,
    ];
}

/// Progress of loading one list.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Load {
    /// Not asked for yet.
    #[default]
    Idle,
    /// Pages are arriving.
    Loading {
        /// Request id; messages with another id are stale.
        req: u64,
        /// Records received so far.
        received: usize,
        /// Count of the previous load, when there was one.
        expected: Option<usize>,
    },
    /// Complete.
    Done {
        /// Records loaded.
        total: usize,
        /// When it finished.
        at: Timestamp,
    },
    /// Failed (the status line says why).
    Failed {
        /// The error, one sentence.
        error: String,
    },
}

impl Load {
    /// The request id while loading.
    pub fn req(&self) -> Option<u64> {
        match self {
            Load::Loading { req, .. } => Some(*req),
            _ => None,
        }
    }

    /// True while pages are arriving.
    pub fn is_loading(&self) -> bool {
        matches!(self, Load::Loading { .. })
    }
}

/// Customers and their locations.
#[derive(Debug, Clone, Default)]
pub struct CustomersData {
    /// Customers in load order.
    pub recs: Store<CustomerRec>,
    /// Their filter texts.
    pub search: TextStore,
    /// One entry per location.
    pub locs: Store<LocRec>,
    /// The locations' filter texts.
    pub loc_search: TextStore,
    /// Load progress.
    pub load: Load,
    /// Widest cell of each customers column.
    pub widths: Vec<u16>,
    /// Widest cell of each locations column.
    pub loc_widths: Vec<u16>,
    /// Customer index by `_id`.
    pub by_id: HashMap<String, u32>,
    /// The last reload failed with this error; the rows are the earlier ones.
    pub stale: Option<String>,
}

/// Tasks of one date.
#[derive(Debug, Clone, Default)]
pub struct TasksData {
    /// The date they are for.
    pub date: Option<Date>,
    /// Tasks in load order.
    pub recs: Store<TaskRec>,
    /// Their filter texts.
    pub search: TextStore,
    /// Load progress.
    pub load: Load,
    /// Widest cell of each column.
    pub widths: Vec<u16>,
    /// Task index by `_id`.
    pub by_id: HashMap<String, u32>,
    /// The last reload failed with this error; the rows are the earlier ones.
    pub stale: Option<String>,
}

/// Routes of one date (`GET /routes`) and the routes built from tasks.
#[derive(Debug, Clone, Default)]
pub struct RoutesData {
    /// The date they are for.
    pub date: Option<Date>,
    /// Route objects from `GET /routes`.
    pub meta: Vec<Route>,
    /// Load progress of `GET /routes`.
    pub load: Load,
    /// Routes with their stops, rebuilt when tasks or metadata arrive.
    pub recs: Arc<Vec<RouteRec>>,
    /// Widest cell of each column.
    pub widths: Vec<u16>,
    /// The last reload failed with this error; the rows are the earlier ones.
    pub stale: Option<String>,
}

/// Data shown before a reload began, put back when the reload fails.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    /// Customers with the customers and locations tables.
    pub customers: Option<Box<(CustomersData, TableState, TableState)>>,
    /// Tasks (of the same date) with their table.
    pub tasks: Option<Box<(TasksData, TableState)>>,
    /// Routes (of the same date) with their table.
    pub routes: Option<Box<(RoutesData, TableState)>>,
}

/// Screens taken off the stack while the records they show reload, with the
/// ids of those records (the reload may put them at other indices).
#[derive(Debug, Clone, PartialEq)]
pub struct Reopen {
    /// The top view they were over.
    pub top: TopView,
    /// Stack height below them (they go back only onto the same stack).
    pub base: usize,
    /// The screens, bottom first.
    pub screens: Vec<Screen>,
    /// Old customer index → its `_id` and its locations' uids.
    pub customers: HashMap<u32, (String, Vec<Option<String>>)>,
    /// Old task index → its `_id`.
    pub tasks: HashMap<u32, String>,
}

/// A screen stacked over the top view.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// The late and at-risk stops of the day, worst first (`:late`).
    Late {
        /// Its table.
        table: TableState,
    },
    /// One customer: its fields and its locations.
    Customer {
        /// Customer index.
        cust: u32,
        /// Its locations table.
        table: TableState,
    },
    /// One location's fields (read-only form).
    Location {
        /// Customer index.
        cust: u32,
        /// Location index inside the customer.
        loc: u32,
        /// Field under the cursor.
        field: usize,
    },
    /// One route's stops.
    Route {
        /// Route uid.
        uid: String,
        /// Its stops table.
        table: TableState,
    },
    /// Keys of the screen below, or the recent messages (`:messages`).
    Help {
        /// First line shown.
        scroll: usize,
        /// Shows the recent status messages instead of the keys.
        messages: bool,
    },
    /// A customer's or a task's fields as a form (`E`).
    Form {
        /// The record.
        target: Target,
        /// Field under the cursor.
        field: usize,
    },
    /// Every staged edit, grouped into the `updateMany` calls it will become.
    Staged {
        /// Edit under the cursor (position in the list).
        selected: usize,
        /// Edits marked for "send selected".
        marked: BTreeSet<EditId>,
    },
}

/// The record behind a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A customer's own fields.
    Customer {
        /// Customer index.
        cust: u32,
    },
    /// One location of a customer.
    Location {
        /// Customer index.
        cust: u32,
        /// Location index inside the customer.
        loc: u32,
    },
    /// A task.
    Task {
        /// Task index.
        task: u32,
    },
}

/// Which part of a field an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The whole value.
    Whole,
    /// One day of a schedule (the week grid).
    Day(Weekday),
}

/// An editable cell: a field of a record, or one day of a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct CellRef {
    /// Customer or task.
    pub entity: Entity,
    /// The record's `_id`.
    pub record_id: String,
    /// The field (a location by uid).
    pub field: FieldPath,
    /// All of it, or one schedule day.
    pub part: Part,
    /// What the dispatcher calls it (`Postcode`, `Tue`).
    pub label: String,
}

/// The inline editor (ratatui-textarea), open on one cell.
#[derive(Debug, Clone)]
pub struct Editor {
    /// What is edited.
    pub cell: CellRef,
    /// The value on eLogii when editing began (`None`: absent).
    pub base: Option<Value>,
    /// The text.
    pub text: TextArea<'static>,
    /// The text it opened with (unchanged text stages nothing).
    pub initial: String,
    /// The characters the stand-ins of the opening text stand for, in order
    /// (a ZWJ for a `�`, an ESC for a `␛`): put back when staging, so a
    /// saved value holding one can be edited again.
    pub hidden: Vec<char>,
    /// Enter inserts a new line (`instructions`).
    pub multiline: bool,
    /// Why the text cannot be staged, shown under the editor.
    pub error: Option<String>,
    /// Session id (answers from `$EDITOR` for older sessions are dropped).
    pub token: u64,
}

impl Editor {
    /// The text as typed (lines joined with `\n`).
    pub fn value(&self) -> String {
        self.text.lines().join("\n")
    }
}

/// After staging from the editor: stay, or edit the next/previous cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Tab.
    Next,
    /// Shift-Tab.
    Prev,
}

/// What a confirm dialog asks.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmKind {
    /// Send these edits (`None`: everything pending).
    Send(Option<Vec<EditId>>),
    /// Quit with edits staged or in flight.
    Quit,
    /// Drop staged edits.
    Drop(Vec<EditId>),
    /// Stage a coordinates edit that moves the pin far.
    Move {
        /// The edit.
        edit: Edit,
        /// Where to go after staging.
        step: Option<Step>,
    },
    /// Stage a UK postcode that is not shaped like one (`M31 4FQQ`).
    Postcode {
        /// The edit.
        edit: Edit,
        /// Where to go after staging.
        step: Option<Step>,
    },
    /// Lock or unlock a route on eLogii.
    Lock {
        /// The route's uid.
        uid: String,
        /// Ids sent (`_id` when known, else the uid).
        ids: Vec<String>,
        /// Lock (true) or unlock.
        lock: bool,
    },
}

/// A yes/no question over the screen; the default (Enter) is Cancel.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// What it asks.
    pub kind: ConfirmKind,
    /// The question, one or two sentences.
    pub text: String,
    /// Label of the yes button (`Send`, `Quit`, `Drop`, `Stage`).
    pub yes: &'static str,
    /// The yes button has the focus (starts false: Cancel).
    pub focus_yes: bool,
}

/// Whether edits can be staged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum JournalStatus {
    /// Being opened.
    #[default]
    Opening,
    /// Open.
    Ready,
    /// Could not be opened (the message says why); editing is off.
    Failed(String),
}

/// A pending edit as the console shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRow {
    /// The journal row.
    pub edit: PendingEdit,
    /// eLogii confirmed it in this session (no longer in the journal; shown
    /// under "Sent in this session" until the console stops).
    pub sent: bool,
    /// Left `sending` by a console that stopped, and nothing here will check
    /// it (read-only: no writer): eLogii may or may not have it. It can be
    /// dropped from the journal; it is never shown as being sent.
    pub unconfirmed: bool,
}

impl StagedRow {
    /// `staged`, `sending`, `unconfirmed`, `sent`, `failed` or `conflict`.
    pub fn state_name(&self) -> &'static str {
        if self.sent {
            "sent"
        } else if self.unconfirmed {
            "unconfirmed"
        } else {
            self.edit.state.name()
        }
    }
}

/// The console's copy of the journal's pending edits (kept in step with the
/// journal's answers and the writer's events).
#[derive(Debug, Clone, Default)]
pub struct Staging {
    rows: BTreeMap<EditId, StagedRow>,
    by_record: HashMap<(Entity, String), Vec<EditId>>,
    /// What the journal calls a record (`CUS-… name`, a task's reference),
    /// for records this session has not loaded.
    labels: HashMap<(Entity, String), String>,
    no_writer: bool,
}

impl Staging {
    /// An empty list; `no_writer` (read-only): edits the journal holds as
    /// `sending` are shown as unconfirmed, since nothing will check them.
    pub fn new(no_writer: bool) -> Staging {
        Staging {
            no_writer,
            ..Staging::default()
        }
    }

    /// Edits left `sending` by a console that stopped, which nothing here
    /// checks (read-only).
    pub fn unconfirmed(&self) -> usize {
        self.rows
            .values()
            .filter(|r| !r.sent && r.unconfirmed)
            .count()
    }

    /// Every row, oldest first (sent ones included).
    pub fn iter(&self) -> impl Iterator<Item = &StagedRow> {
        self.rows.values()
    }

    /// One row.
    pub fn get(&self, id: EditId) -> Option<&StagedRow> {
        self.rows.get(&id)
    }

    /// Rows of every state, sent ones included.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows at all.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Pending edits per state (sent ones not counted).
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in self.rows.values().filter(|r| !r.sent) {
            match r.edit.state {
                EditState::Staged => c.staged += 1,
                EditState::Sending => c.sending += 1,
                EditState::Failed => c.failed += 1,
                EditState::Conflict => c.conflict += 1,
            }
        }
        c
    }

    /// Edits still in the journal (not sent).
    pub fn pending(&self) -> usize {
        self.rows.values().filter(|r| !r.sent).count()
    }

    /// The pending (not sent) edit of a field, if any.
    pub fn find(&self, entity: Entity, record_id: &str, field: &FieldPath) -> Option<&StagedRow> {
        self.by_record
            .get(&(entity, record_id.to_string()))?
            .iter()
            .filter_map(|id| self.rows.get(id))
            .find(|r| !r.sent && &r.edit.edit.field == field)
    }

    /// True when the record has any pending (not sent) edit.
    pub fn has_record(&self, entity: Entity, record_id: &str) -> bool {
        self.by_record
            .get(&(entity, record_id.to_string()))
            .is_some_and(|ids| {
                ids.iter()
                    .any(|id| self.rows.get(id).is_some_and(|r| !r.sent))
            })
    }

    /// A pending (not sent) edit of the record, if any (the first staged).
    pub fn record_edit(&self, entity: Entity, record_id: &str) -> Option<&StagedRow> {
        self.by_record
            .get(&(entity, record_id.to_string()))?
            .iter()
            .filter_map(|id| self.rows.get(id))
            .find(|r| !r.sent)
    }

    /// A pending (not sent) edit of one location of a customer (by `_id` and
    /// the location's uid), if any.
    pub fn location_edit(&self, customer_id: &str, location_uid: &str) -> Option<&StagedRow> {
        self.by_record
            .get(&(Entity::Customer, customer_id.to_string()))?
            .iter()
            .filter_map(|id| self.rows.get(id))
            .find(|r| {
                !r.sent
                    && matches!(&r.edit.edit.field.location,
                        Some(crate::domain::edit::LocationRef::Uid(u)) if u == location_uid)
            })
    }

    /// Adds or replaces a row from the journal (it is pending again).
    pub fn upsert(&mut self, edit: PendingEdit) {
        let id = edit.id;
        let key = (edit.edit.entity, edit.edit.record_id.clone());
        if let Some(old) = self.rows.get(&id) {
            let old_key = (old.edit.edit.entity, old.edit.edit.record_id.clone());
            if old_key != key {
                self.unindex(id, &old_key);
            }
        }
        let ids = self.by_record.entry(key).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
        let unconfirmed = self.no_writer && edit.state == EditState::Sending;
        self.rows.insert(
            id,
            StagedRow {
                edit,
                sent: false,
                unconfirmed,
            },
        );
    }

    fn unindex(&mut self, id: EditId, key: &(Entity, String)) {
        if let Some(ids) = self.by_record.get_mut(key) {
            ids.retain(|x| *x != id);
            if ids.is_empty() {
                self.by_record.remove(key);
            }
        }
    }

    /// Removes a row.
    pub fn remove(&mut self, id: EditId) -> Option<StagedRow> {
        let row = self.rows.remove(&id)?;
        let key = (row.edit.edit.entity, row.edit.edit.record_id.clone());
        self.unindex(id, &key);
        Some(row)
    }

    /// The row, to change its state.
    pub fn get_mut(&mut self, id: EditId) -> Option<&mut StagedRow> {
        self.rows.get_mut(&id)
    }

    /// Drops the rows shown as sent.
    pub fn purge_sent(&mut self) {
        let sent: Vec<EditId> = self
            .rows
            .values()
            .filter(|r| r.sent)
            .map(|r| r.edit.id)
            .collect();
        for id in sent {
            self.remove(id);
        }
    }

    /// Keeps the journal's name for a record (shown while it is not loaded).
    pub fn set_label(&mut self, entity: Entity, record_id: &str, label: &str) {
        self.labels
            .insert((entity, record_id.to_string()), label.to_string());
    }

    /// The journal's name for a record, if it kept one.
    pub fn label(&self, entity: Entity, record_id: &str) -> Option<&str> {
        self.labels
            .get(&(entity, record_id.to_string()))
            .map(String::as_str)
    }

    /// Replaces every pending row with the journal's list (sent rows stay).
    pub fn replace(&mut self, pending: Vec<PendingEdit>) {
        let stale: Vec<EditId> = self
            .rows
            .values()
            .filter(|r| !r.sent)
            .map(|r| r.edit.id)
            .collect();
        for id in stale {
            self.remove(id);
        }
        for p in pending {
            self.upsert(p);
        }
    }
}

/// A send in progress.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendRun {
    /// The writer's run id.
    pub run: u64,
    /// Its counters.
    pub progress: Progress,
    /// The last retry, while waiting for it.
    pub retrying: Option<String>,
    /// Edits of the run that an earlier console left `sending` (checked first).
    pub recovering: usize,
}

/// The route map's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapSettings {
    /// Drawn when there is room (`M` toggles).
    pub show: bool,
    /// The day's other routes drawn faint under the route (`R` toggles).
    pub others: bool,
}

impl Default for MapSettings {
    fn default() -> Self {
        MapSettings {
            show: true,
            others: false,
        }
    }
}

/// Depots of the organisation.
#[derive(Debug, Clone, Default)]
pub struct DepotsData {
    /// The depots.
    pub list: Vec<Location>,
    /// Load progress.
    pub load: Load,
}

/// A customer location to open when the customers have loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOpen {
    /// The customer's `_id`.
    pub customer_id: String,
    /// The location's uid.
    pub location_uid: String,
    /// Put the cursor on this day of the schedule.
    pub day: Option<Weekday>,
    /// Or on this field (`address`), when given.
    pub field: Option<&'static str>,
}

/// What the line at the bottom is being used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `/`: filter the table as you type.
    Filter,
    /// `:`: a command.
    Command,
}

/// The filter or command line being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLine {
    /// Filter or command.
    pub kind: InputKind,
    /// The text.
    pub text: String,
    /// Cursor as a char index into `text`.
    pub cursor: usize,
}

/// Kind of a status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// Something done.
    Info,
    /// A problem to tell about (config warnings).
    Warning,
    /// Something failed.
    Error,
}

/// The status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// One sentence.
    pub text: String,
    /// Info, warning or error.
    pub kind: StatusKind,
}

/// What the console is started with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Profile name for the header ("demo" for `--demo`).
    pub profile: String,
    /// Remote writes are off.
    pub read_only: bool,
    /// Today's date (the default date of tasks and routes).
    pub today: Date,
    /// Colours.
    pub theme: Theme,
    /// Key bindings (shown in hints and help).
    pub bindings: Bindings,
    /// Warnings to show at start (config, key bindings).
    pub warnings: Vec<String>,
}

/// Status messages `:messages` keeps.
pub const MESSAGES_KEPT: usize = 50;

/// Row counts at or below this are filtered and sorted inside `update`;
/// larger tables use a background job.
pub const SYNC_DERIVE_LIMIT: usize = 5_000;

/// The console's whole state.
#[derive(Debug, Clone)]
pub struct Model {
    /// Profile shown in the header.
    pub profile: String,
    /// Remote writes are off.
    pub read_only: bool,
    /// Today (from the clock at start).
    pub today: Date,
    /// Date of tasks and routes.
    pub date: Date,
    /// Time of the last tick.
    pub now: Option<Timestamp>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Colours and styles.
    pub theme: Theme,
    /// Key bindings, for hints and help.
    pub bindings: Bindings,
    /// The top-level view.
    pub top: TopView,
    /// Screens over the top view (last is shown).
    pub stack: Vec<Screen>,
    /// Customers and locations.
    pub customers: CustomersData,
    /// Tasks of `tasks.date`.
    pub tasks: TasksData,
    /// Routes of `routes.date`.
    pub routes: RoutesData,
    /// Table of the customers view.
    pub customers_table: TableState,
    /// Table of the locations view.
    pub locations_table: TableState,
    /// Table of the tasks view.
    pub tasks_table: TableState,
    /// Table of the routes view.
    pub routes_table: TableState,
    /// The filter or command line, when open.
    pub input: Option<InputLine>,
    /// The status line.
    pub status: Option<Status>,
    /// Recent status messages, oldest first (`:messages` lists them).
    pub messages: VecDeque<Status>,
    /// Next request id.
    pub next_req: u64,
    /// Next derive generation.
    pub next_gen: u64,
    /// Tables up to this many rows are derived inside `update`.
    pub sync_limit: usize,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// The loop should end.
    pub quit: bool,
    /// Whether the journal is open.
    pub journal: JournalStatus,
    /// The journal's pending edits, as shown.
    pub staging: Staging,
    /// Edits sent to the journal and not yet answered (op id, edit).
    pub inflight: Vec<(u64, Edit)>,
    /// Stagings that `u` undoes, last on top.
    pub undo: Vec<UndoEntry>,
    /// Undone stagings and drops that `Ctrl-r` does again.
    pub redo: Vec<Redo>,
    /// Stagings left the undo stack because their edits were sent (so `u`
    /// says why there is nothing to undo).
    pub undo_sent: bool,
    /// The inline editor, when open.
    pub editor: Option<Editor>,
    /// A confirm dialog, when open.
    pub confirm: Option<Confirm>,
    /// The send in progress.
    pub sending: Option<SendRun>,
    /// The edits the dispatcher asked to send, until the writer has run.
    pub send_asked: Vec<EditId>,
    /// Those edits once the writer has run, until the journal is read again:
    /// any it no longer holds and not sent from here were settled elsewhere.
    pub send_check: Vec<EditId>,
    /// Items per `updateMany` call (for the staged list's grouping).
    pub batch_size: usize,
    /// A coordinates edit moving the pin farther than this (km) asks first.
    pub move_confirm_km: f64,
    /// Next journal operation id.
    pub next_op: u64,
    /// Next editor session id.
    pub next_token: u64,
    /// Map beside the stops: shown, and with the day's other routes.
    pub map: MapSettings,
    /// On-time stops within this many minutes of their window's end are at risk.
    pub margin: i64,
    /// Opening hours of the loaded customers' locations (for stops without windows).
    pub schedules: Arc<Schedules>,
    /// Depots (for the map).
    pub depots: DepotsData,
    /// Late and at-risk stops of the routes' day, worst first.
    pub late: Arc<Vec<LateStop>>,
    /// Views left by `:routes`, `Tab` …, for `-` (last on top).
    pub history: Vec<(TopView, Vec<Screen>)>,
    /// A location to open once customers have loaded (Enter on a stop early on).
    pub pending_open: Option<PendingOpen>,
    /// A lock or unlock on its way: request id and route uid.
    pub locking: Option<(u64, String)>,
    /// What was loaded before the reloads in progress.
    pub kept: Kept,
    /// Screens over reloading customers, put back on the same records after.
    pub reopen_customers: Option<Reopen>,
    /// Screens over reloading tasks, put back on the same records after.
    pub reopen_tasks: Option<Reopen>,
    /// Running inside tmux (`$TMUX` set), where OSC 52 needs `set-clipboard on`.
    pub tmux: bool,
    /// The tmux clipboard hint was shown this session.
    pub tmux_hint_shown: bool,
    /// Records being read again after a send: the latest request for each
    /// (an older answer for the same record is dropped).
    pub rereads: HashMap<(Entity, String), u64>,
}

impl Model {
    /// A model showing the customers view, nothing loaded yet.
    pub fn new(opts: Options) -> Model {
        let status = if opts.warnings.is_empty() {
            None
        } else {
            Some(Status {
                text: opts.warnings.join("; "),
                kind: StatusKind::Warning,
            })
        };
        Model {
            profile: opts.profile,
            read_only: opts.read_only,
            today: opts.today,
            date: opts.today,
            now: None,
            size: (80, 24),
            theme: opts.theme,
            bindings: opts.bindings,
            top: TopView::Customers,
            stack: Vec::new(),
            customers: CustomersData::default(),
            tasks: TasksData::default(),
            routes: RoutesData::default(),
            customers_table: TableState::default(),
            locations_table: TableState::default(),
            tasks_table: TableState::default(),
            routes_table: TableState::default(),
            input: None,
            messages: status.iter().cloned().collect(),
            status,
            next_req: 1,
            next_gen: 1,
            sync_limit: SYNC_DERIVE_LIMIT,
            dirty: true,
            quit: false,
            journal: JournalStatus::Opening,
            staging: Staging::new(opts.read_only),
            inflight: Vec::new(),
            undo: Vec::new(),
            redo: Vec::new(),
            undo_sent: false,
            editor: None,
            confirm: None,
            sending: None,
            send_asked: Vec::new(),
            send_check: Vec::new(),
            batch_size: DEFAULT_BATCH_SIZE,
            move_confirm_km: MOVE_CONFIRM_KM,
            next_op: 1,
            next_token: 1,
            map: MapSettings::default(),
            margin: DEFAULT_AT_RISK_MARGIN,
            schedules: Arc::new(Schedules::default()),
            depots: DepotsData::default(),
            late: Arc::new(Vec::new()),
            history: Vec::new(),
            pending_open: None,
            locking: None,
            kept: Kept::default(),
            reopen_customers: None,
            reopen_tasks: None,
            tmux: false,
            tmux_hint_shown: false,
            rereads: HashMap::new(),
        }
    }

    /// The table state of a top table.
    pub fn table(&self, id: TableId) -> &TableState {
        match id {
            TableId::Customers => &self.customers_table,
            TableId::Locations => &self.locations_table,
            TableId::Tasks => &self.tasks_table,
            TableId::Routes => &self.routes_table,
        }
    }

    /// The table state of a top table, mutably.
    pub fn table_mut(&mut self, id: TableId) -> &mut TableState {
        match id {
            TableId::Customers => &mut self.customers_table,
            TableId::Locations => &mut self.locations_table,
            TableId::Tasks => &mut self.tasks_table,
            TableId::Routes => &mut self.routes_table,
        }
    }

    /// A snapshot of a top table's rows (cheap: shared chunks).
    pub fn source(&self, id: TableId) -> Arc<dyn RowSource> {
        match id {
            TableId::Customers => Arc::new(CustomersSrc {
                recs: self.customers.recs.clone(),
                search: self.customers.search.clone(),
            }),
            TableId::Locations => Arc::new(self.locations_src()),
            TableId::Tasks => Arc::new(TasksSrc {
                recs: self.tasks.recs.clone(),
                search: self.tasks.search.clone(),
                schedules: self.schedules.clone(),
                margin: self.margin,
            }),
            TableId::Routes => Arc::new(RoutesSrc(self.routes.recs.clone())),
        }
    }

    /// Widest cell of each column of a top table (for layout).
    pub fn widths(&self, id: TableId) -> &[u16] {
        match id {
            TableId::Customers => &self.customers.widths,
            TableId::Locations => &self.customers.loc_widths,
            TableId::Tasks => &self.tasks.widths,
            TableId::Routes => &self.routes.widths,
        }
    }

    /// Number of data rows of a top table.
    pub fn source_len(&self, id: TableId) -> usize {
        match id {
            TableId::Customers => self.customers.recs.len(),
            TableId::Locations => self.customers.locs.len(),
            TableId::Tasks => self.tasks.recs.len(),
            TableId::Routes => self.routes.recs.len(),
        }
    }

    /// The locations view's rows.
    pub fn locations_src(&self) -> LocationsSrc {
        LocationsSrc {
            customers: self.customers.recs.clone(),
            locs: self.customers.locs.clone(),
            search: self.customers.loc_search.clone(),
        }
    }

    /// The load progress behind a top view (routes: tasks first, then routes).
    pub fn load_of(&self, view: TopView) -> &Load {
        match view {
            TopView::Customers | TopView::Locations => &self.customers.load,
            TopView::Tasks => &self.tasks.load,
            TopView::Routes => {
                if self.tasks.load.is_loading() || matches!(self.tasks.load, Load::Failed { .. }) {
                    &self.tasks.load
                } else {
                    &self.routes.load
                }
            }
        }
    }

    /// The screen on top, if any.
    pub fn screen(&self) -> Option<&Screen> {
        self.stack.last()
    }

    /// The stops of a route as a table source.
    pub fn stops_src<'a>(&'a self, route: &'a RouteRec) -> StopsSrc<'a> {
        StopsSrc {
            route,
            tasks: &self.tasks.recs,
            staging: &self.staging,
            schedules: &self.schedules,
            margin: self.margin,
        }
    }

    /// The late queue as a table source.
    pub fn late_src(&self) -> LateSrc<'_> {
        LateSrc {
            items: &self.late,
            tasks: &self.tasks.recs,
            staging: &self.staging,
            schedules: &self.schedules,
            margin: self.margin,
        }
    }

    /// `[lon, lat]` of a route's depot: by the route's `depot.uid`, else the
    /// only depot there is.
    pub fn depot_point(&self, route: &RouteRec) -> Option<[f64; 2]> {
        let list = &self.depots.list;
        let d = match &route.depot {
            Some(uid) => list.iter().find(|d| d.uid.as_str() == uid.as_str()),
            None => None,
        }
        .or(if list.len() == 1 { list.first() } else { None })?;
        let c = d.coordinates.get()?;
        let p = [c.lon()?, c.lat()?];
        p.iter().all(|v| v.is_finite()).then_some(p)
    }

    /// The route with this uid.
    pub fn route(&self, uid: &str) -> Option<&RouteRec> {
        self.routes.recs.iter().find(|r| r.uid == uid)
    }

    /// Shows a status message.
    pub fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        let status = Status {
            text: text.into(),
            kind,
        };
        if self.messages.back() != Some(&status) {
            if self.messages.len() >= MESSAGES_KEPT {
                self.messages.pop_front();
            }
            self.messages.push_back(status.clone());
        }
        self.status = Some(status);
    }
}
