//! Messages into `update` and commands out of it.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;

use serde_json::Value;

use crate::api::types::{Customer, Location, Route, Task};
use crate::app::model::TableId;
use crate::app::table::{RowSource, Spec};
use crate::domain::edit::{Edit, Entity};
use crate::sync::batch::{EditId, PendingEdit};
use crate::sync::journal::{Resolution, StageResult};
use crate::sync::writer::WriterEvent;

/// Something the user means to do (keys are translated into these by the keymap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Cursor one row down.
    MoveDown,
    /// Cursor one row up.
    MoveUp,
    /// One page down.
    PageDown,
    /// One page up.
    PageUp,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Previous column.
    Left,
    /// Next column.
    Right,
    /// Open the row under the cursor.
    Open,
    /// Cancel, clear the filter, or go back.
    Back,
    /// Back, or quit from the top.
    Quit,
    /// Quit now.
    ForceQuit,
    /// Hand the terminal back to the shell and stop (Ctrl-z; `fg` resumes).
    Suspend,
    /// Next view (customers → tasks → routes).
    NextView,
    /// Previous view.
    PrevView,
    /// Open the command line.
    Command,
    /// Open the filter line.
    Filter,
    /// Sort by the current column, ascending.
    SortAsc,
    /// Sort by the current column, descending.
    SortDesc,
    /// Keys of this screen.
    Help,
    /// Copy the current value (OSC 52).
    Copy,
    /// Load the view's data again.
    Reload,
    /// Redraw the whole screen.
    Redraw,
    /// Tasks and routes of the previous day.
    PrevDay,
    /// Tasks and routes of the next day.
    NextDay,
    /// Switch between one row a customer and one row a location.
    ToggleLocations,
    /// Edit the current cell or field in place.
    Edit,
    /// Open the whole record as a form.
    EditForm,
    /// Undo the last staging.
    Undo,
    /// Stage again what was undone.
    Redo,
    /// Review and send the staged edits (asks first).
    Send,
    /// The list of staged edits.
    Staged,
    /// Mark or unmark the edit under the cursor (the staged list).
    ToggleMark,
    /// Drop the staged edit under the cursor (asks first).
    DropEdit,
    /// A conflict: send mine anyway.
    KeepMine,
    /// A conflict: keep eLogii's value.
    TakeTheirs,
    /// A schedule day: copy its hours to Monday–Friday.
    CopyDay,
    /// Back to the previous view or screen, as it was (selection, filter).
    GoBack,
    /// From a task or a late stop to its route, cursor on the stop.
    OpenRoute,
    /// Lock or unlock the route (asks first).
    Lock,
    /// Show or hide the route map.
    ToggleMap,
    /// Show or hide the day's other routes on the map.
    ToggleOthers,
    /// The late-stop queue of the day.
    LateQueue,
}

/// An edit of the filter or command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEdit {
    /// Type a character.
    Insert(char),
    /// Delete before the cursor.
    Backspace,
    /// Delete under the cursor.
    Delete,
    /// Cursor left.
    Left,
    /// Cursor right.
    Right,
    /// Cursor to the start.
    Home,
    /// Cursor to the end.
    End,
    /// Delete the word before the cursor.
    DeleteWord,
    /// Delete everything.
    Clear,
    /// Enter: apply.
    Submit,
    /// Esc: cancel (a filter is cleared).
    Cancel,
}

/// A key while the inline editor is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditKey {
    /// Enter: stage (single line) or a new line (multi-line fields).
    Submit,
    /// Ctrl-s or Alt-Enter: stage, in every editor.
    Stage,
    /// Esc: close without staging.
    Cancel,
    /// Tab: stage and edit the next editable cell.
    Next,
    /// Shift-Tab: stage and edit the previous editable cell.
    Prev,
    /// Ctrl-o: hand the text to `$EDITOR`.
    External,
    /// Ctrl-u: clear the text.
    Clear,
    /// Any other key, for the text area.
    Input(ratatui_textarea::Input),
}

/// A key while a confirm dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKey {
    /// `y`: yes.
    Yes,
    /// `n`, Esc: no (the default).
    No,
    /// Left/Right/Tab: move between the buttons.
    Toggle,
    /// Enter: the focused button (Cancel unless moved).
    Activate,
    /// Ctrl-c: quit at once.
    ForceQuit,
}

/// One staging and how to undo it.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoEntry {
    /// The edits as staged (redo stages them again).
    pub edits: Vec<Edit>,
    /// What the journal did with each (undo reverses them).
    pub results: Vec<StageResult>,
    /// The entry is a drop (`d` in `:staged`): undo stages the edits again
    /// and redo drops them again.
    pub dropped: bool,
}

/// What `Ctrl-r` does again.
#[derive(Debug, Clone, PartialEq)]
pub enum Redo {
    /// Stage these edits again (an undone staging).
    Stage(Vec<Edit>),
    /// Drop the staged edits of these records' fields again (an undone drop;
    /// found by field, as the field may have been staged again meanwhile).
    Drop(Vec<Edit>),
}

/// Work for the journal (run in order, off the loop).
#[derive(Debug, Clone, PartialEq)]
pub enum JournalOp {
    /// Stage edits (one transaction).
    Stage {
        /// The edits.
        edits: Vec<Edit>,
        /// Each edit's record as `staged` names it (uid and name), in order.
        labels: Vec<Option<String>>,
        /// A redo (keeps the redo stack).
        redo: bool,
    },
    /// Undo one staging.
    Undo(UndoEntry),
    /// Drop pending edits.
    Discard {
        /// The edits.
        ids: Vec<EditId>,
        /// A redo of a drop (keeps the redo stack).
        redo: bool,
    },
    /// Drop pending edits, unconfirmed ones too: an edit left `sending` by a
    /// console that stopped is released, then dropped (read-only: nothing
    /// else will ever settle it).
    Forget(Vec<EditId>),
    /// Settle a conflict.
    Resolve(EditId, Resolution),
    /// Read every pending edit again.
    Reload {
        /// Say "restored N staged edits".
        banner: bool,
    },
}

/// What a journal operation did.
#[derive(Debug, Clone, PartialEq)]
pub enum JournalDone {
    /// Edits staged.
    Staged {
        /// The edits.
        edits: Vec<Edit>,
        /// What the journal did with each.
        results: Vec<StageResult>,
        /// It was a redo.
        redo: bool,
    },
    /// A staging undone.
    Undone(UndoEntry),
    /// Edits dropped (those that were there); `u` stages them again.
    Discarded {
        /// The edits that were there.
        removed: Vec<PendingEdit>,
        /// It was a redo.
        redo: bool,
    },
    /// Unconfirmed edits dropped from the journal (how many): eLogii may have
    /// them, so they are not offered back.
    Forgotten(usize),
    /// A conflict settled.
    Resolved(Resolution),
    /// Every pending edit of this connection.
    Loaded {
        /// The edits, oldest first.
        pending: Vec<PendingEdit>,
        /// Say "restored N staged edits".
        banner: bool,
    },
}

/// The journal's answer to a [`JournalOp`].
#[derive(Debug, Clone, PartialEq)]
pub struct JournalReply {
    /// The operation's id (from [`Cmd::Journal`]).
    pub op: u64,
    /// What it did, or why it failed (one sentence).
    pub result: Result<JournalDone, String>,
    /// The edits it touched as they are now (`None`: gone).
    pub touched: Vec<(EditId, Option<PendingEdit>)>,
}

/// A signal from the operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM.
    Terminate,
    /// SIGHUP: the terminal (SSH session) is gone.
    Hangup,
    /// SIGINT.
    Interrupt,
    /// SIGTSTP (`kill -TSTP`): hand the terminal back and stop, as Ctrl-z does.
    Stop,
    /// SIGCONT: the process runs again (after a stop it did not ask for, the
    /// shell may have put the terminal back to cooked mode).
    Continue,
}

/// Everything that can happen.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A user intent.
    Action(Action),
    /// An edit of the input line.
    Edit(LineEdit),
    /// Text pasted (bracketed paste).
    Paste(String),
    /// Mouse wheel: rows to move (negative is up).
    Scroll(i16),
    /// The terminal has a new size (columns, rows).
    Resize(u16, u16),
    /// The clock (sent every few seconds and at start).
    Tick(Timestamp),
    /// A page of customers.
    CustomersPage {
        /// Request id.
        req: u64,
        /// The records.
        page: Vec<Customer>,
    },
    /// A page of tasks.
    TasksPage {
        /// Request id.
        req: u64,
        /// The records.
        page: Vec<Task>,
    },
    /// A page of routes.
    RoutesPage {
        /// Request id.
        req: u64,
        /// The records.
        page: Vec<Route>,
    },
    /// The depots.
    DepotsPage {
        /// Request id.
        req: u64,
        /// The records.
        page: Vec<Location>,
    },
    /// A lock or unlock finished.
    Locked {
        /// Request id.
        req: u64,
        /// The route's uid.
        uid: String,
        /// Locked (true) or unlocked.
        lock: bool,
        /// Nothing, or why eLogii refused (one sentence).
        result: Result<(), String>,
    },
    /// A list finished loading.
    Loaded {
        /// Request id.
        req: u64,
        /// Records in all pages.
        total: usize,
        /// When it finished.
        at: Timestamp,
    },
    /// A list failed to load.
    LoadFailed {
        /// Request id.
        req: u64,
        /// What went wrong, one sentence.
        error: String,
    },
    /// Result of a filter/sort job.
    Derived {
        /// The table.
        table: TableId,
        /// Job generation; others are stale.
        generation: u64,
        /// Rows in display order.
        rows: Vec<u32>,
        /// Data rows the job saw.
        derived_from: usize,
    },
    /// A signal: quit at once.
    Signal(Signal),
    /// The input stream failed or ended (the terminal is gone).
    InputClosed(String),
    /// A key for the inline editor.
    Editor(EditKey),
    /// A key for the confirm dialog.
    Confirm(ConfirmKey),
    /// The journal answered.
    Journal(JournalReply),
    /// The journal could not be opened: editing is off.
    JournalUnavailable(String),
    /// The background writer reported.
    Writer(WriterEvent),
    /// Sending could not start.
    SendRefused(String),
    /// Records read again by `_id` (after a send), as eLogii has them now.
    Reread {
        /// Request id (from [`Cmd::Reread`]).
        req: u64,
        /// Customers or tasks.
        entity: Entity,
        /// The records, or why they could not be read (one sentence).
        result: Result<Vec<Value>, String>,
    },
    /// `$EDITOR` returned.
    ExternalEdited {
        /// The editor session it belongs to.
        token: u64,
        /// The text, or why it failed.
        result: Result<String, String>,
    },
    /// The console could not stop for the shell (one sentence why).
    SuspendRefused(String),
}

/// What a list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadKind {
    /// `GET /customers`.
    Customers,
    /// `GET /tasks?date=`.
    Tasks,
    /// `GET /routes?date=`.
    Routes,
    /// `GET /depots`.
    Depots,
}

/// Work `update` asks for; [`crate::app::effects`] performs it.
#[derive(Clone)]
pub enum Cmd {
    /// Load a list (aborting an earlier load of the same kind).
    Load {
        /// Request id to tag the results with.
        req: u64,
        /// What to load.
        kind: LoadKind,
        /// Date of tasks and routes.
        date: Option<Date>,
    },
    /// Filter and sort a table's rows off the loop.
    Derive {
        /// The table.
        table: TableId,
        /// Generation to tag the result with.
        generation: u64,
        /// Snapshot of the rows.
        source: Arc<dyn RowSource>,
        /// Filter and sort.
        spec: Spec,
        /// Only these rows can match (the filter only grew), in this order.
        candidates: Option<Arc<[u32]>>,
    },
    /// Lock or unlock routes on eLogii (refused by effects when read-only).
    Lock {
        /// Request id to tag the answer with.
        req: u64,
        /// The route's uid (for the answer).
        uid: String,
        /// Ids to send.
        ids: Vec<String>,
        /// Lock (true) or unlock.
        lock: bool,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Clear and redraw the whole screen.
    Redraw,
    /// Ask the journal to do something (answered by [`Msg::Journal`]).
    Journal {
        /// Id echoed in the reply.
        op: u64,
        /// What to do.
        action: JournalOp,
    },
    /// Ask the writer to send (`None`: everything pending).
    Send {
        /// The edits.
        ids: Option<Vec<EditId>>,
    },
    /// Read these records again by `_id` (answered by [`Msg::Reread`]): after
    /// a send the writer may have merged the edits into a newer record, so
    /// the rows take the record as eLogii now has it.
    Reread {
        /// Request id to tag the answer with.
        req: u64,
        /// Customers or tasks.
        entity: Entity,
        /// Their `_id`s.
        ids: Vec<String>,
    },
    /// Suspend the console and edit `text` in `$EDITOR` (answered by
    /// [`Msg::ExternalEdited`]); handled by the loop, which owns the terminal.
    ExternalEditor {
        /// Editor session id.
        token: u64,
        /// The text to start from.
        text: String,
    },
    /// Give the terminal back and stop the process until the shell continues
    /// it (`fg`), then take the terminal again and redraw; handled by the loop.
    Suspend,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cmd::Load { req, kind, date } => f
                .debug_struct("Load")
                .field("req", req)
                .field("kind", kind)
                .field("date", date)
                .finish(),
            Cmd::Derive {
                table,
                generation,
                source,
                spec,
                candidates,
            } => f
                .debug_struct("Derive")
                .field("table", table)
                .field("generation", generation)
                .field("rows", &source.len())
                .field("spec", spec)
                .field("candidates", &candidates.as_ref().map(|c| c.len()))
                .finish(),
            Cmd::Lock {
                req,
                uid,
                ids,
                lock,
            } => f
                .debug_struct("Lock")
                .field("req", req)
                .field("uid", uid)
                .field("ids", ids)
                .field("lock", lock)
                .finish(),
            Cmd::Copy(s) => f.debug_tuple("Copy").field(s).finish(),
            Cmd::Redraw => f.write_str("Redraw"),
            Cmd::Suspend => f.write_str("Suspend"),
            Cmd::Journal { op, action } => f
                .debug_struct("Journal")
                .field("op", op)
                .field("action", action)
                .finish(),
            Cmd::Send { ids } => f.debug_struct("Send").field("ids", ids).finish(),
            Cmd::Reread { req, entity, ids } => f
                .debug_struct("Reread")
                .field("req", req)
                .field("entity", entity)
                .field("ids", ids)
                .finish(),
            Cmd::ExternalEditor { token, text } => f
                .debug_struct("ExternalEditor")
                .field("token", token)
                .field("text", text)
                .finish(),
        }
    }
}
