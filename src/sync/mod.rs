//! The write path: staged edits kept in a durable journal, checked against fresh
//! records, and sent to eLogii in `updateMany` batches by a background writer.
//!
//! * [`batch`]: pure planning (check, build items, batches, reconcile answers).
//! * [`journal`]: the SQLite journal of pending edits, per profile.
//! * [`writer`]: the tokio task that sends, retries and reports events.

pub mod batch;
pub mod journal;
pub mod writer;

pub use batch::{EditId, EditOutcome, EditState, PendingEdit};
pub use journal::{Counts, Journal, JournalError, Resolution, StageResult};
pub use writer::{Progress, RunSummary, Selection, WriterConfig, WriterEvent, WriterHandle};
