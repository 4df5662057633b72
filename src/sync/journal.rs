//! The durable journal of staged edits: one SQLite file per profile in the data
//! directory (`journal-<profile>.sqlite3`).
//!
//! An edit is committed here before the console shows it as staged, so a crash,
//! `kill -9` or a dropped SSH session loses nothing. Rows move through
//! `staged → sending (with a batch id) → gone` (confirmed edits move to the
//! `history` table), or to `failed` (eLogii's message) or `conflict` (the
//! server's value kept as "theirs").
//!
//! Durability: WAL mode with `synchronous=FULL`. In WAL mode `NORMAL` already
//! survives a killed process (the WAL is in the OS page cache), but a power cut
//! or kernel panic can roll back the last commits: a dispatcher would lose edits
//! the screen said were staged. `FULL` syncs the WAL on every commit, which costs
//! one fsync per commit; the writer groups its updates per batch (and `apply`
//! stages a whole file in one transaction), so that is a few fsyncs per
//! `updateMany` call, not one per edit.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use super::batch::{EditId, EditOutcome, EditState, PendingEdit};
use crate::domain::edit::{Edit, Entity, FieldPath, LocationRef};

/// Environment variable that moves the data directory (journal files).
pub const ENV_DATA_DIR: &str = "ELOGII_TUI_DATA_DIR";

/// Schema version kept in `PRAGMA user_version`. 1: `edits` and `history`;
/// 2: `edits.label` (the record's uid and name, for lists).
pub const SCHEMA_VERSION: i64 = 2;

/// Sent edits older than this many days are dropped from `history` on open.
const HISTORY_DAYS: i64 = 30;

/// What can go wrong with the journal; each message is one sentence.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the journal {path} could not be opened: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("the journal failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the journal {path} was written by a newer elogii-tui (schema {found}; this one knows {known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("edit {0} is being sent; wait for eLogii's answer before changing it")]
    Busy(EditId),
    #[error("{0} names a location by position; resolve it to the location's uid before staging")]
    Unresolved(String),
    #[error("journal row {id} is damaged: {reason}")]
    Damaged { id: i64, reason: String },
    #[error("there is no pending edit {0}")]
    NotFound(EditId),
    #[error(
        "another elogii-tui is sending the edits of this journal right now; try again when it has finished"
    )]
    SendingElsewhere,
    #[error("the send lock {path} could not be taken: {reason}")]
    Lock { path: PathBuf, reason: String },
}

/// Held while this process sends from a journal file: a second process (or a
/// second writer) asking for it gets [`JournalError::SendingElsewhere`], so two
/// senders never check and send the same edits at once. Released when dropped,
/// or by the system when the process dies (a `kill -9` leaves nothing stale).
#[derive(Debug)]
pub struct SendLock {
    _file: Option<std::fs::File>,
}

/// How many pending edits the journal held when it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be sent.
    pub staged: usize,
    /// Were in a batch when the last run stopped (checked before sending again).
    pub sending: usize,
    /// Refused by eLogii.
    pub failed: usize,
    /// Held back because the field changed on eLogii.
    pub conflict: usize,
}

impl Counts {
    /// All pending edits.
    pub fn total(&self) -> usize {
        self.staged + self.sending + self.failed + self.conflict
    }

    /// "restored 3 staged edits (1 was being sent …)", or `None` when empty.
    pub fn restored_message(&self) -> Option<String> {
        if self.total() == 0 {
            return None;
        }
        let n = self.total();
        let mut text = format!("restored {n} staged edit{}", if n == 1 { "" } else { "s" });
        let mut notes = Vec::new();
        if self.sending > 0 {
            notes.push(format!(
                "{} {} being sent and will be checked against eLogii before sending again",
                self.sending,
                if self.sending == 1 { "was" } else { "were" }
            ));
        }
        if self.failed > 0 {
            notes.push(format!("{} failed", self.failed));
        }
        if self.conflict > 0 {
            notes.push(format!(
                "{} {} in conflict",
                self.conflict,
                if self.conflict == 1 { "is" } else { "are" }
            ));
        }
        if !notes.is_empty() {
            text.push_str(&format!(" ({})", notes.join(", ")));
        }
        Some(text)
    }
}

/// What staging did (for undo: see each variant).
#[derive(Debug, Clone, PartialEq)]
pub enum StageResult {
    /// A new pending edit. Undo: [`Journal::discard`].
    Added(EditId),
    /// An edit of the same field was pending; its new value was replaced and its
    /// original base kept. Undo: [`Journal::set_new`] with `previous`.
    Replaced {
        /// The pending edit.
        id: EditId,
        /// Its new value before (`None` = remove the key).
        previous: Option<Value>,
    },
    /// The new value equals the original base, so the pending edit was removed.
    /// Undo: [`Journal::stage`] the removed edit again.
    Reverted(Box<PendingEdit>),
    /// Nothing pending and the value equals the base: nothing to stage.
    Unchanged,
}

impl StageResult {
    /// The pending edit's id, when one exists after staging.
    pub fn id(&self) -> Option<EditId> {
        match self {
            StageResult::Added(id) | StageResult::Replaced { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// How the dispatcher settles a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Send mine anyway: "theirs" becomes the base, and the edit is staged again.
    KeepMine,
    /// Keep eLogii's value: the edit is dropped.
    TakeTheirs,
}

/// The journal. Cheap to clone; every call is one short SQLite transaction.
#[derive(Debug, Clone)]
pub struct Journal {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

/// The data directory: `ELOGII_TUI_DATA_DIR`, else the platform's
/// (`$XDG_DATA_HOME/elogii-tui` on Linux).
pub fn data_dir() -> PathBuf {
    match std::env::var_os(ENV_DATA_DIR) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => crate::config::data_dir(),
    }
}

/// `journal-<profile>.sqlite3` in the data directory (odd characters in the
/// profile name become `_`).
pub fn profile_path(profile: &str) -> PathBuf {
    let safe: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe.is_empty() || safe.starts_with('.') {
        format!("_{safe}")
    } else {
        safe
    };
    data_dir().join(format!("journal-{safe}.sqlite3"))
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn to_json(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(Value::to_string)
}

fn from_json(id: i64, text: Option<String>) -> Result<Option<Value>, JournalError> {
    match text {
        None => Ok(None),
        Some(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| JournalError::Damaged {
                id,
                reason: e.to_string(),
            }),
    }
}

const COLUMNS: &str = "id, origin, entity, record_id, field, base, new, state, batch, message, theirs, rev, staged_at, label";

fn row_to_pending(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        origin: row.get(1)?,
        entity: row.get(2)?,
        record_id: row.get(3)?,
        field: row.get(4)?,
        base: row.get(5)?,
        new: row.get(6)?,
        state: row.get(7)?,
        batch: row.get(8)?,
        message: row.get(9)?,
        theirs: row.get(10)?,
        rev: row.get(11)?,
        staged_at: row.get(12)?,
        label: row.get(13)?,
    })
}

struct RawRow {
    id: i64,
    origin: String,
    entity: String,
    record_id: String,
    field: String,
    base: Option<String>,
    new: Option<String>,
    state: String,
    batch: Option<String>,
    message: Option<String>,
    theirs: Option<String>,
    rev: i64,
    staged_at: i64,
    label: Option<String>,
}

impl RawRow {
    fn into_pending(self) -> Result<PendingEdit, JournalError> {
        let id = self.id;
        let damaged = |reason: String| JournalError::Damaged { id, reason };
        let entity = Entity::parse(&self.entity).map_err(|e| damaged(e.to_string()))?;
        let field = FieldPath::parse(entity, &self.field).map_err(|e| damaged(e.to_string()))?;
        let state = EditState::parse(&self.state)
            .ok_or_else(|| damaged(format!("unknown state {:?}", self.state)))?;
        Ok(PendingEdit {
            id: EditId(id),
            edit: Edit {
                entity,
                record_id: self.record_id,
                field,
                base: from_json(id, self.base)?,
                new: from_json(id, self.new)?,
            },
            state,
            batch: self.batch,
            message: self.message,
            theirs: from_json(id, self.theirs)?,
            origin: self.origin,
            rev: self.rev,
            staged_at_ms: self.staged_at,
            label: self.label,
        })
    }
}

impl Journal {
    /// Opens (creating when needed) the journal at `path` and returns it with the
    /// counts of what it holds, so the caller can say "restored 3 staged edits".
    pub fn open(path: &Path) -> Result<(Journal, Counts), JournalError> {
        let fail = |reason: String| JournalError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        #[cfg(unix)]
        {
            // The journal holds customer data: keep it private from the start.
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| fail(e.to_string()))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(e.to_string()))?;
        let journal = Journal {
            conn: Arc::new(Mutex::new(conn)),
            path: Some(path.to_path_buf()),
        };
        journal.init(true)?;
        let counts = journal.counts()?;
        Ok((journal, counts))
    }

    /// Opens the journal of a profile in the data directory.
    pub fn open_profile(profile: &str) -> Result<(Journal, Counts), JournalError> {
        Journal::open(&profile_path(profile))
    }

    /// A journal that lives only in memory (tests, the throw-away demo).
    pub fn open_in_memory() -> Result<Journal, JournalError> {
        let journal = Journal {
            conn: Arc::new(Mutex::new(Connection::open_in_memory()?)),
            path: None,
        };
        journal.init(false)?;
        Ok(journal)
    }

    /// The file, when not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Takes the journal's send lock (`<journal file>.send-lock`, an advisory
    /// file lock) without waiting; an in-memory journal needs none.
    pub fn lock_for_sending(&self) -> Result<SendLock, JournalError> {
        let Some(path) = &self.path else {
            return Ok(SendLock { _file: None });
        };
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".send-lock");
        let lock_path = path.with_file_name(name);
        let fail = |reason: String| JournalError::Lock {
            path: lock_path.clone(),
            reason,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| fail(e.to_string()))?;
        match file.try_lock() {
            Ok(()) => Ok(SendLock { _file: Some(file) }),
            Err(std::fs::TryLockError::WouldBlock) => Err(JournalError::SendingElsewhere),
            Err(std::fs::TryLockError::Error(e)) => Err(fail(e.to_string())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn init(&self, on_disk: bool) -> Result<(), JournalError> {
        let mut conn = self.lock();
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        if on_disk {
            let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            tracing::debug!(mode, "journal mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(JournalError::TooNew {
                path: self.path.clone().unwrap_or_default(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version < 1 {
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS edits (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    origin TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    base TEXT,
                    new TEXT,
                    state TEXT NOT NULL
                        CHECK (state IN ('staged', 'sending', 'failed', 'conflict')),
                    batch TEXT,
                    message TEXT,
                    theirs TEXT,
                    rev INTEGER NOT NULL DEFAULT 1,
                    staged_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (origin, entity, record_id, field)
                );
                CREATE INDEX IF NOT EXISTS edits_state ON edits (state);
                CREATE TABLE IF NOT EXISTS history (
                    id INTEGER PRIMARY KEY,
                    origin TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    field TEXT NOT NULL,
                    base TEXT,
                    new TEXT,
                    batch TEXT,
                    outcome TEXT NOT NULL,
                    staged_at INTEGER NOT NULL,
                    sent_at INTEGER NOT NULL
                );
                PRAGMA user_version = 1;",
            )?;
        }
        if version < 2 {
            tx.execute_batch(
                "ALTER TABLE edits ADD COLUMN label TEXT;
                 PRAGMA user_version = 2;",
            )?;
        }
        let cutoff = now_ms() - HISTORY_DAYS * 24 * 3600 * 1000;
        tx.execute("DELETE FROM history WHERE sent_at < ?1", [cutoff])?;
        tx.commit()?;
        Ok(())
    }

    /// Pending edits per state.
    pub fn counts(&self) -> Result<Counts, JournalError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM edits GROUP BY state")?;
        let mut counts = Counts::default();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            let n = usize::try_from(n).unwrap_or(0);
            match EditState::parse(&state) {
                Some(EditState::Staged) => counts.staged = n,
                Some(EditState::Sending) => counts.sending = n,
                Some(EditState::Failed) => counts.failed = n,
                Some(EditState::Conflict) => counts.conflict = n,
                None => {}
            }
        }
        Ok(counts)
    }

    /// Stages one edit against `origin` (the API base URL); committed before it returns.
    pub fn stage(&self, origin: &str, edit: &Edit) -> Result<StageResult, JournalError> {
        self.stage_labelled(origin, edit, None)
    }

    /// Like [`Journal::stage`], keeping `label` (the record's uid and name, see
    /// [`crate::domain::edit::record_label`]) for lists; `None` keeps the label
    /// a pending edit of the same field already has.
    pub fn stage_labelled(
        &self,
        origin: &str,
        edit: &Edit,
        label: Option<&str>,
    ) -> Result<StageResult, JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let result = stage_in(&tx, origin, edit, label, now_ms())?;
        tx.commit()?;
        Ok(result)
    }

    /// Stages many edits in one transaction (all or none).
    pub fn stage_many(
        &self,
        origin: &str,
        edits: &[Edit],
    ) -> Result<Vec<StageResult>, JournalError> {
        self.stage_many_labelled(origin, edits.iter().map(|e| (e, None)))
    }

    /// Like [`Journal::stage_many`], each edit with its record's label
    /// (`None`: keep the label a pending edit of the field already has).
    pub fn stage_many_labelled<'a>(
        &self,
        origin: &str,
        edits: impl IntoIterator<Item = (&'a Edit, Option<&'a str>)>,
    ) -> Result<Vec<StageResult>, JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now = now_ms();
        let mut out = Vec::new();
        for (edit, label) in edits {
            out.push(stage_in(&tx, origin, edit, label, now)?);
        }
        tx.commit()?;
        Ok(out)
    }

    /// One pending edit.
    pub fn get(&self, id: EditId) -> Result<Option<PendingEdit>, JournalError> {
        let conn = self.lock();
        get_in(&conn, id)
    }

    /// Removes a pending edit (undo of a stage). Refused while it is being sent.
    pub fn discard(&self, id: EditId) -> Result<Option<PendingEdit>, JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let Some(p) = get_in(&tx, id)? else {
            return Ok(None);
        };
        if p.state == EditState::Sending {
            return Err(JournalError::Busy(id));
        }
        tx.execute("DELETE FROM edits WHERE id = ?1", [id.0])?;
        tx.commit()?;
        Ok(Some(p))
    }

    /// Sets a pending edit's new value (undo of a replacement). When it equals
    /// the base the edit is removed. Refused while it is being sent.
    pub fn set_new(&self, id: EditId, new: Option<Value>) -> Result<(), JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let p = get_in(&tx, id)?.ok_or(JournalError::NotFound(id))?;
        if p.state == EditState::Sending {
            return Err(JournalError::Busy(id));
        }
        if new == p.edit.base {
            tx.execute("DELETE FROM edits WHERE id = ?1", [id.0])?;
        } else {
            tx.execute(
                "UPDATE edits SET new = ?2, state = 'staged', message = NULL, theirs = NULL,
                        rev = rev + 1, updated_at = ?3 WHERE id = ?1",
                params![id.0, to_json(&new), now_ms()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Undoes what [`Journal::stage`] did (the console's `u`): an added edit is
    /// discarded, a replaced one gets its previous new value back, a reverted
    /// (or dropped) one comes back as it was, under its own id, so the undo
    /// steps below it still find it. Returns the id of the edit after the
    /// undo. Redo is staging the same edit again.
    pub fn undo(&self, staged: &StageResult) -> Result<Option<EditId>, JournalError> {
        match staged {
            StageResult::Added(id) => {
                self.discard(*id)?;
                Ok(None)
            }
            StageResult::Replaced { id, previous } => {
                self.set_new(*id, previous.clone())?;
                Ok(Some(*id))
            }
            StageResult::Reverted(p) => self.restore(p).map(Some),
            StageResult::Unchanged => Ok(None),
        }
    }

    /// Puts a removed edit back as it was, under its own id (ids are never
    /// reused). When the same field has been staged again since, the removed
    /// value is staged over that edit instead (its id is returned).
    fn restore(&self, p: &PendingEdit) -> Result<EditId, JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let field = p.edit.field.to_string();
        let taken = tx
            .query_row(
                "SELECT 1 FROM edits
                 WHERE id = ?1 OR (origin = ?2 AND entity = ?3 AND record_id = ?4 AND field = ?5)",
                params![
                    p.id.0,
                    p.origin,
                    p.edit.entity.name(),
                    p.edit.record_id,
                    field
                ],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        let id = if taken {
            stage_in(&tx, &p.origin, &p.edit, p.label.as_deref(), now_ms())?
                .id()
                .unwrap_or(p.id)
        } else {
            tx.execute(
                "INSERT INTO edits (id, origin, entity, record_id, field, base, new, state,
                                    message, theirs, rev, staged_at, updated_at, label)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    p.id.0,
                    p.origin,
                    p.edit.entity.name(),
                    p.edit.record_id,
                    field,
                    to_json(&p.edit.base),
                    to_json(&p.edit.new),
                    p.state.name(),
                    p.message,
                    to_json(&p.theirs),
                    p.rev + 1,
                    p.staged_at_ms,
                    now_ms(),
                    p.label
                ],
            )?;
            p.id
        };
        tx.commit()?;
        Ok(id)
    }

    /// Settles a conflict.
    pub fn resolve_conflict(&self, id: EditId, how: Resolution) -> Result<(), JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let p = get_in(&tx, id)?.ok_or(JournalError::NotFound(id))?;
        if p.state != EditState::Conflict {
            return Err(JournalError::NotFound(id));
        }
        match how {
            Resolution::TakeTheirs => {
                tx.execute("DELETE FROM edits WHERE id = ?1", [id.0])?;
            }
            Resolution::KeepMine => {
                tx.execute(
                    "UPDATE edits SET base = theirs, theirs = NULL, state = 'staged', message = NULL,
                            rev = rev + 1, updated_at = ?2 WHERE id = ?1",
                    params![id.0, now_ms()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every pending edit (all states), oldest first; only those staged against
    /// `origin` when given.
    pub fn pending(&self, origin: Option<&str>) -> Result<Vec<PendingEdit>, JournalError> {
        let conn = self.lock();
        let (sql, args): (String, Vec<String>) = match origin {
            Some(o) => (
                format!("SELECT {COLUMNS} FROM edits WHERE origin = ?1 ORDER BY id"),
                vec![o.to_string()],
            ),
            None => (format!("SELECT {COLUMNS} FROM edits ORDER BY id"), vec![]),
        };
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), row_to_pending)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?.into_pending()?);
        }
        Ok(out)
    }

    /// Marks edits `sending` in `batch`, before the request goes out. Only rows
    /// still at the given revision and not in conflict are claimed; returns those.
    pub fn claim(&self, batch: &str, edits: &[(EditId, i64)]) -> Result<Vec<EditId>, JournalError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now = now_ms();
        let mut claimed = Vec::with_capacity(edits.len());
        {
            let mut stmt = tx.prepare(
                "UPDATE edits SET state = 'sending', batch = ?3, updated_at = ?4
                 WHERE id = ?1 AND rev = ?2 AND state IN ('staged', 'failed', 'sending')",
            )?;
            for (id, rev) in edits {
                if stmt.execute(params![id.0, rev, batch, now])? == 1 {
                    claimed.push(*id);
                }
            }
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// Records outcomes in one transaction. Each applies only while the row is
    /// still at the given revision (a re-staged edit is not touched). Sent edits
    /// move to `history`. Returns how many rows changed.
    pub fn record(&self, outcomes: &[(EditId, i64, EditOutcome)]) -> Result<usize, JournalError> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now = now_ms();
        let mut changed = 0;
        for (id, rev, outcome) in outcomes {
            changed += record_in(&tx, *id, *rev, outcome, now)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Number of sent edits kept in `history`.
    pub fn history_len(&self) -> Result<usize, JournalError> {
        let conn = self.lock();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM history", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

fn get_in(conn: &Connection, id: EditId) -> Result<Option<PendingEdit>, JournalError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM edits WHERE id = ?1"),
        [id.0],
        row_to_pending,
    )
    .optional()?
    .map(RawRow::into_pending)
    .transpose()
}

fn stage_in(
    tx: &Transaction<'_>,
    origin: &str,
    edit: &Edit,
    label: Option<&str>,
    now: i64,
) -> Result<StageResult, JournalError> {
    if matches!(edit.field.location, Some(LocationRef::Index(_))) {
        return Err(JournalError::Unresolved(edit.field.to_string()));
    }
    let field = edit.field.to_string();
    let existing = tx
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM edits
                 WHERE origin = ?1 AND entity = ?2 AND record_id = ?3 AND field = ?4"
            ),
            params![origin, edit.entity.name(), edit.record_id, field],
            row_to_pending,
        )
        .optional()?
        .map(RawRow::into_pending)
        .transpose()?;
    let Some(p) = existing else {
        if edit.is_noop() {
            return Ok(StageResult::Unchanged);
        }
        tx.execute(
            "INSERT INTO edits (origin, entity, record_id, field, base, new, state, rev,
                                staged_at, updated_at, label)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'staged', 1, ?7, ?7, ?8)",
            params![
                origin,
                edit.entity.name(),
                edit.record_id,
                field,
                to_json(&edit.base),
                to_json(&edit.new),
                now,
                label
            ],
        )?;
        return Ok(StageResult::Added(EditId(tx.last_insert_rowid())));
    };
    if p.state == EditState::Sending {
        return Err(JournalError::Busy(p.id));
    }
    // Re-staging over a conflict means the dispatcher has seen theirs: it becomes the base.
    let base = if p.state == EditState::Conflict {
        p.theirs.clone()
    } else {
        p.edit.base.clone()
    };
    if edit.new == base {
        tx.execute("DELETE FROM edits WHERE id = ?1", [p.id.0])?;
        return Ok(StageResult::Reverted(Box::new(p)));
    }
    tx.execute(
        "UPDATE edits SET base = ?2, new = ?3, state = 'staged', batch = NULL, message = NULL,
                theirs = NULL, rev = rev + 1, updated_at = ?4, label = COALESCE(?5, label)
         WHERE id = ?1",
        params![p.id.0, to_json(&base), to_json(&edit.new), now, label],
    )?;
    Ok(StageResult::Replaced {
        id: p.id,
        previous: p.edit.new,
    })
}

fn record_in(
    tx: &Transaction<'_>,
    id: EditId,
    rev: i64,
    outcome: &EditOutcome,
    now: i64,
) -> Result<usize, JournalError> {
    let n = match outcome {
        EditOutcome::Sent | EditOutcome::AlreadyThere => {
            let label = if matches!(outcome, EditOutcome::Sent) {
                "sent"
            } else {
                "already there"
            };
            tx.execute(
                "INSERT OR REPLACE INTO history
                    (id, origin, entity, record_id, field, base, new, batch, outcome, staged_at, sent_at)
                 SELECT id, origin, entity, record_id, field, base, new, batch, ?3, staged_at, ?4
                 FROM edits WHERE id = ?1 AND rev = ?2",
                params![id.0, rev, label, now],
            )?;
            tx.execute(
                "DELETE FROM edits WHERE id = ?1 AND rev = ?2",
                params![id.0, rev],
            )?
        }
        EditOutcome::Failed(message) => tx.execute(
            "UPDATE edits SET state = 'failed', batch = NULL, message = ?3, updated_at = ?4
             WHERE id = ?1 AND rev = ?2",
            params![id.0, rev, message, now],
        )?,
        EditOutcome::Conflict { theirs } => tx.execute(
            "UPDATE edits SET state = 'conflict', batch = NULL, theirs = ?3,
                    message = 'the field changed on eLogii after this edit was staged', updated_at = ?4
             WHERE id = ?1 AND rev = ?2",
            params![id.0, rev, to_json(theirs), now],
        )?,
        EditOutcome::StillStaged(message) => tx.execute(
            "UPDATE edits SET state = 'staged', batch = NULL, message = ?3, updated_at = ?4
             WHERE id = ?1 AND rev = ?2",
            params![id.0, rev, message, now],
        )?,
    };
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const O: &str = "http://127.0.0.1:1";

    fn edit(record: &str, field: FieldPath, base: Value, new: Value) -> Edit {
        Edit {
            entity: Entity::Customer,
            record_id: record.into(),
            field,
            base: Some(base),
            new: Some(new),
        }
    }

    #[test]
    fn stage_replace_revert_and_undo() {
        let j = Journal::open_in_memory().unwrap();
        let f = FieldPath::location("CL-1", "postCode");
        let r = j
            .stage(O, &edit("a", f.clone(), json!("X"), json!("Y")))
            .unwrap();
        let id = r.id().unwrap();
        assert_eq!(r, StageResult::Added(id));
        // Second edit of the same field: replaces new, keeps the original base.
        let r2 = j
            .stage(O, &edit("a", f.clone(), json!("Y"), json!("Z")))
            .unwrap();
        assert_eq!(
            r2,
            StageResult::Replaced {
                id,
                previous: Some(json!("Y"))
            }
        );
        let p = j.get(id).unwrap().unwrap();
        assert_eq!(
            (p.edit.base.clone(), p.edit.new.clone(), p.rev),
            (Some(json!("X")), Some(json!("Z")), 2)
        );
        // Undo the replacement.
        j.set_new(id, Some(json!("Y"))).unwrap();
        assert_eq!(j.get(id).unwrap().unwrap().edit.new, Some(json!("Y")));
        // Typing the original back removes the edit.
        let r3 = j
            .stage(O, &edit("a", f.clone(), json!("Y"), json!("X")))
            .unwrap();
        assert!(matches!(r3, StageResult::Reverted(ref p) if p.id == id));
        assert!(j.pending(None).unwrap().is_empty());
        assert_eq!(
            j.stage(O, &edit("a", f, json!("X"), json!("X"))).unwrap(),
            StageResult::Unchanged
        );
        // Absent stays absent, null stays null.
        let mut e = edit("b", FieldPath::top("reference"), json!(null), json!(null));
        e.base = None;
        let id = j.stage(O, &e).unwrap().id().unwrap();
        let p = j.get(id).unwrap().unwrap();
        assert_eq!((p.edit.base, p.edit.new), (None, Some(Value::Null)));
        assert!(j.discard(id).unwrap().is_some());
        assert!(j.get(id).unwrap().is_none());
    }

    #[test]
    fn undo_and_redo_each_kind_of_stage() {
        let j = Journal::open_in_memory().unwrap();
        let f = FieldPath::top("contactName");
        let first = edit("a", f.clone(), json!("Ann"), json!("Bob"));
        let added = j.stage(O, &first).unwrap();
        let second = edit("a", f.clone(), json!("Bob"), json!("Cy"));
        let replaced = j.stage(O, &second).unwrap();
        let back = edit("a", f.clone(), json!("Cy"), json!("Ann"));
        let reverted = j.stage(O, &back).unwrap();
        assert!(j.pending(None).unwrap().is_empty());
        // Undo in reverse order walks the history back.
        let id = j.undo(&reverted).unwrap().unwrap();
        let p = j.get(id).unwrap().unwrap();
        assert_eq!(
            (p.edit.base, p.edit.new),
            (Some(json!("Ann")), Some(json!("Cy")))
        );
        let replaced = match replaced {
            StageResult::Replaced { previous, .. } => StageResult::Replaced { id, previous },
            other => panic!("{other:?}"),
        };
        j.undo(&replaced).unwrap();
        assert_eq!(j.get(id).unwrap().unwrap().edit.new, Some(json!("Bob")));
        j.undo(&StageResult::Added(id)).unwrap();
        assert!(j.pending(None).unwrap().is_empty());
        // Redo: stage again.
        assert!(matches!(j.stage(O, &first).unwrap(), StageResult::Added(_)));
        assert!(matches!(added, StageResult::Added(_)));
        assert_eq!(j.undo(&StageResult::Unchanged).unwrap(), None);
    }

    #[test]
    fn index_paths_are_refused() {
        let j = Journal::open_in_memory().unwrap();
        let f = FieldPath::parse(Entity::Customer, "locations[0].name").unwrap();
        assert!(matches!(
            j.stage(O, &edit("a", f, json!("X"), json!("Y"))),
            Err(JournalError::Unresolved(_))
        ));
    }

    #[test]
    fn claim_and_record_respect_revisions() {
        let j = Journal::open_in_memory().unwrap();
        let ids: Vec<EditId> = (0..4)
            .map(|i| {
                j.stage(
                    O,
                    &edit(
                        &format!("r{i}"),
                        FieldPath::top("contactName"),
                        json!("A"),
                        json!("B"),
                    ),
                )
                .unwrap()
                .id()
                .unwrap()
            })
            .collect();
        // r3 is re-staged after the writer read it at rev 1: not claimed.
        j.stage(
            O,
            &edit("r3", FieldPath::top("contactName"), json!("B"), json!("C")),
        )
        .unwrap();
        let claimed = j
            .claim("b1", &ids.iter().map(|id| (*id, 1)).collect::<Vec<_>>())
            .unwrap();
        assert_eq!(claimed, ids[..3].to_vec());
        assert!(matches!(j.discard(ids[0]), Err(JournalError::Busy(_))));
        assert!(matches!(
            j.stage(
                O,
                &edit("r0", FieldPath::top("contactName"), json!("B"), json!("Q"))
            ),
            Err(JournalError::Busy(_))
        ));
        let c = j.counts().unwrap();
        assert_eq!((c.staged, c.sending), (1, 3));
        let n = j
            .record(&[
                (ids[0], 1, EditOutcome::Sent),
                (ids[1], 1, EditOutcome::Failed("Rejected".into())),
                (ids[2], 1, EditOutcome::Conflict { theirs: None }),
                (ids[3], 1, EditOutcome::Sent), // stale revision: ignored
            ])
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(j.history_len().unwrap(), 1);
        let pending = j.pending(Some(O)).unwrap();
        assert_eq!(pending.len(), 3);
        assert_eq!(pending[0].state, EditState::Failed);
        assert_eq!(pending[0].message.as_deref(), Some("Rejected"));
        assert_eq!(pending[1].state, EditState::Conflict);
        assert_eq!(pending[1].theirs, None);
        assert_eq!(pending[2].state, EditState::Staged);
        assert!(j.pending(Some("http://other")).unwrap().is_empty());
        // Keep mine: theirs becomes the base, staged again.
        j.resolve_conflict(ids[2], Resolution::KeepMine).unwrap();
        let p = j.get(ids[2]).unwrap().unwrap();
        assert_eq!((p.state, p.edit.base), (EditState::Staged, None));
    }

    #[test]
    fn survives_reopen_and_reports_what_it_restored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("journal-test.sqlite3");
        {
            let (j, counts) = Journal::open(&path).unwrap();
            assert_eq!(counts.total(), 0);
            assert_eq!(counts.restored_message(), None);
            for i in 0..3 {
                j.stage(
                    O,
                    &edit(
                        &format!("r{i}"),
                        FieldPath::top("name"),
                        json!("A"),
                        json!("B"),
                    ),
                )
                .unwrap();
            }
            let first = j.pending(None).unwrap()[0].id;
            j.claim("b9", &[(first, 1)]).unwrap();
        }
        let (j, counts) = Journal::open(&path).unwrap();
        assert_eq!(
            counts,
            Counts {
                staged: 2,
                sending: 1,
                failed: 0,
                conflict: 0
            }
        );
        assert_eq!(
            counts.restored_message().unwrap(),
            "restored 3 staged edits (1 was being sent and will be checked against eLogii before sending again)"
        );
        assert_eq!(j.pending(None).unwrap()[0].batch.as_deref(), Some("b9"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        // A newer schema is refused.
        j.lock().pragma_update(None, "user_version", 99).unwrap();
        drop(j);
        assert!(matches!(
            Journal::open(&path),
            Err(JournalError::TooNew { .. })
        ));
    }

    #[test]
    fn labels_are_kept_and_a_version_1_journal_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal-old.sqlite3");
        {
            // A journal as version 1 wrote it, with one pending edit.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE edits (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL,
                    entity TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL,
                    base TEXT, new TEXT, state TEXT NOT NULL, batch TEXT, message TEXT,
                    theirs TEXT, rev INTEGER NOT NULL DEFAULT 1, staged_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL, UNIQUE (origin, entity, record_id, field));
                 CREATE TABLE history (id INTEGER PRIMARY KEY, origin TEXT NOT NULL,
                    entity TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL,
                    base TEXT, new TEXT, batch TEXT, outcome TEXT NOT NULL,
                    staged_at INTEGER NOT NULL, sent_at INTEGER NOT NULL);
                 INSERT INTO edits (origin, entity, record_id, field, base, new, state,
                    staged_at, updated_at)
                 VALUES ('http://127.0.0.1:1', 'customer', 'old', 'name', '\"A\"', '\"B\"',
                    'staged', 1, 1);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let (j, counts) = Journal::open(&path).unwrap();
        assert_eq!(counts.staged, 1);
        let version: i64 = j
            .lock()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert!(j.pending(None).unwrap().iter().all(|p| p.label.is_none()));
        let f = FieldPath::top("contactName");
        let id = j
            .stage_labelled(
                O,
                &edit("new", f.clone(), json!("A"), json!("B")),
                Some("CUS-AAAA1111 Corner Shop"),
            )
            .unwrap()
            .id()
            .unwrap();
        // Re-staging without a label keeps it.
        j.stage(O, &edit("new", f, json!("A"), json!("C"))).unwrap();
        let labels: Vec<_> = j
            .pending(None)
            .unwrap()
            .into_iter()
            .filter_map(|p| p.label.map(|l| (p.id, l)))
            .collect();
        assert_eq!(labels, vec![(id, "CUS-AAAA1111 Corner Shop".to_string())]);
        drop(j);
        // Opening again does not migrate twice.
        let (j, _) = Journal::open(&path).unwrap();
        assert_eq!(j.pending(None).unwrap().len(), 2);
    }

    #[test]
    fn profile_names_make_safe_file_names() {
        let p = profile_path("../etc/x y");
        let name = p.file_name().unwrap().to_str().unwrap();
        assert_eq!(name, "journal-_.._etc_x_y.sqlite3");
        assert!(!name.contains('/'));
    }
}
