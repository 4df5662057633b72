//! The one place a [`Cmd`] touches the network, the disk or a thread. Results
//! travel back as [`Msg`]s tagged with the request id, job generation or
//! journal operation id.
//!
//! Journal work (blocking SQLite with fsync) runs on the blocking pool, one
//! operation after another in the order asked, so an undo never overtakes the
//! staging it undoes. The writer is a tokio task of its own
//! ([`crate::sync::writer`]); its events are forwarded as [`Msg::Writer`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::AbortHandle;

use crate::api::client::Client;
use crate::app::model::TableId;
use crate::app::msg::{Cmd, JournalDone, JournalOp, JournalReply, LoadKind, Msg};
use crate::app::table::derive_among;
use crate::domain::edit::Entity;
use crate::sync::batch::{EditId, EditOutcome, EditState, PendingEdit};
use crate::sync::journal::{Journal, JournalError, StageResult};
use crate::sync::writer::{WriterConfig, WriterEvent, WriterHandle, read_where_in};

/// Runs commands in the background and sends their results as messages.
pub struct Effects {
    client: Option<Client>,
    tx: UnboundedSender<Msg>,
    loads: HashMap<LoadKind, AbortHandle>,
    latest: HashMap<TableId, Arc<AtomicU64>>,
    journal: Option<UnboundedSender<(u64, JournalOp)>>,
    writer: Option<WriterHandle>,
    tasks: Vec<AbortHandle>,
    input_pause: Option<crate::terminal::InputPause>,
    read_only: bool,
}

impl Effects {
    /// Effects talking to eLogii through `client` (`None`: every load fails).
    pub fn new(client: Option<Client>, tx: UnboundedSender<Msg>) -> Effects {
        Effects {
            client,
            tx,
            loads: HashMap::new(),
            latest: HashMap::new(),
            journal: None,
            writer: None,
            tasks: Vec::new(),
            input_pause: None,
            read_only: false,
        }
    }

    /// Refuses every command that would change remote data (route locks;
    /// sends have no writer to go to in read-only mode).
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    /// The switch that stops the terminal's key reader while `$EDITOR` runs.
    pub fn set_input_pause(&mut self, pause: crate::terminal::InputPause) {
        self.input_pause = Some(pause);
    }

    /// See [`Effects::set_input_pause`].
    pub fn input_pause(&self) -> Option<&crate::terminal::InputPause> {
        self.input_pause.as_ref()
    }

    /// A sender for results (the loop's queue).
    pub fn sender(&self) -> UnboundedSender<Msg> {
        self.tx.clone()
    }

    /// Journal operations go to `journal` (edits staged against `origin`, the
    /// API base URL). Must run inside a tokio runtime.
    pub fn attach_journal(&mut self, journal: Journal, origin: String) {
        let (op_tx, mut op_rx) = tokio::sync::mpsc::unbounded_channel::<(u64, JournalOp)>();
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            while let Some((op, action)) = op_rx.recv().await {
                let j = journal.clone();
                let origin = origin.clone();
                let reply =
                    tokio::task::spawn_blocking(move || run_journal_op(&j, &origin, op, action))
                        .await
                        .unwrap_or_else(|e| JournalReply {
                            op,
                            result: Err(format!("the journal task failed: {e}")),
                            touched: Vec::new(),
                        });
                if tx.send(Msg::Journal(reply)).is_err() {
                    break;
                }
            }
        });
        self.tasks.push(task.abort_handle());
        self.journal = Some(op_tx);
    }

    /// Sends go to `writer`; its events are forwarded as [`Msg::Writer`].
    /// Must run inside a tokio runtime.
    pub fn attach_writer(
        &mut self,
        writer: WriterHandle,
        mut events: UnboundedReceiver<WriterEvent>,
    ) {
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                if tx.send(Msg::Writer(ev)).is_err() {
                    break;
                }
            }
        });
        self.tasks.push(task.abort_handle());
        self.writer = Some(writer);
    }

    /// Starts a command. `Copy` and `Redraw` belong to the terminal and are
    /// handled by the loop; here they do nothing. Must run inside a tokio runtime.
    pub fn perform(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Load { req, kind, date } => self.load(req, kind, date),
            Cmd::Derive {
                table,
                generation,
                source,
                spec,
                candidates,
            } => {
                let latest = self
                    .latest
                    .entry(table)
                    .or_insert_with(|| Arc::new(AtomicU64::new(0)))
                    .clone();
                latest.store(generation, Ordering::SeqCst);
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let cancelled = || latest.load(Ordering::Relaxed) != generation;
                    if let Some(rows) =
                        derive_among(&*source, &spec, candidates.as_deref(), &cancelled)
                    {
                        let _ = tx.send(Msg::Derived {
                            table,
                            generation,
                            rows,
                            derived_from: source.len(),
                        });
                    }
                });
            }
            Cmd::Journal { op, action } => match &self.journal {
                Some(j) => {
                    if j.send((op, action)).is_err() {
                        let _ = self.tx.send(Msg::Journal(JournalReply {
                            op,
                            result: Err("the journal has stopped".into()),
                            touched: Vec::new(),
                        }));
                    }
                }
                None => {
                    let _ = self.tx.send(Msg::Journal(JournalReply {
                        op,
                        result: Err("there is no journal".into()),
                        touched: Vec::new(),
                    }));
                }
            },
            Cmd::Send { ids } => {
                let started = match &self.writer {
                    None => Err(
                        "the writer is not running (read-only, or the journal could not be opened)",
                    ),
                    Some(w) => {
                        let run = match ids {
                            None => w.send_all(),
                            Some(ids) => w.send(ids),
                        };
                        run.map(|_| ()).ok_or("the writer has stopped")
                    }
                };
                if let Err(why) = started {
                    let _ = self.tx.send(Msg::SendRefused(why.to_string()));
                }
            }
            Cmd::Lock {
                req,
                uid,
                ids,
                lock,
            } => self.lock(req, uid, ids, lock),
            Cmd::Reread { req, entity, ids } => self.reread(req, entity, ids),
            Cmd::Copy(_) | Cmd::Redraw | Cmd::Suspend | Cmd::ExternalEditor { .. } => {}
        }
    }

    fn reread(&mut self, req: u64, entity: Entity, ids: Vec<String>) {
        let tx = self.tx.clone();
        let Some(client) = self.client.clone() else {
            let _ = tx.send(Msg::Reread {
                req,
                entity,
                result: Err("there is no connection to eLogii".into()),
            });
            return;
        };
        let task = tokio::spawn(async move {
            let result = read_where_in(&client, &WriterConfig::default(), entity, "_id", &ids)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, ?entity, "reading sent records back failed");
                    e.to_string()
                });
            let _ = tx.send(Msg::Reread {
                req,
                entity,
                result,
            });
        });
        self.tasks.retain(|h| !h.is_finished());
        self.tasks.push(task.abort_handle());
    }

    fn lock(&mut self, req: u64, uid: String, ids: Vec<String>, lock: bool) {
        let tx = self.tx.clone();
        let refuse = |why: &str| {
            let _ = tx.send(Msg::Locked {
                req,
                uid: uid.clone(),
                lock,
                result: Err(why.to_string()),
            });
        };
        if self.read_only {
            refuse("the console is read-only");
            return;
        }
        let Some(client) = self.client.clone() else {
            refuse("there is no connection to eLogii");
            return;
        };
        let task = tokio::spawn(async move {
            let answer = if lock {
                client.lock_routes(&ids).await
            } else {
                client.unlock_routes(&ids).await
            };
            let result = match answer {
                Ok(r) => match r.errors.get().and_then(|e| e.first()) {
                    Some(e) => Err(e.text()),
                    None => Ok(()),
                },
                Err(e) => {
                    tracing::warn!(error = %e, lock, "route lock failed");
                    Err(e.to_string())
                }
            };
            let _ = tx.send(Msg::Locked {
                req,
                uid,
                lock,
                result,
            });
        });
        self.tasks.push(task.abort_handle());
    }

    fn load(&mut self, req: u64, kind: LoadKind, date: Option<jiff::civil::Date>) {
        let tx = self.tx.clone();
        let Some(client) = self.client.clone() else {
            let _ = tx.send(Msg::LoadFailed {
                req,
                error: "there is no connection to eLogii".into(),
            });
            return;
        };
        let date = date.unwrap_or_else(|| jiff::Zoned::now().date());
        let task = tokio::spawn(async move {
            let result = match kind {
                LoadKind::Customers => {
                    client
                        .customers(|page| {
                            let _ = tx.send(Msg::CustomersPage { req, page });
                        })
                        .await
                }
                LoadKind::Tasks => {
                    client
                        .tasks(date, |page| {
                            let _ = tx.send(Msg::TasksPage { req, page });
                        })
                        .await
                }
                LoadKind::Routes => {
                    client
                        .routes(date, |page| {
                            let _ = tx.send(Msg::RoutesPage { req, page });
                        })
                        .await
                }
                LoadKind::Depots => client.depots().await.map(|page| {
                    let n = page.len();
                    let _ = tx.send(Msg::DepotsPage { req, page });
                    n
                }),
            };
            let msg = match result {
                Ok(total) => Msg::Loaded {
                    req,
                    total,
                    at: jiff::Timestamp::now(),
                },
                Err(e) => {
                    tracing::warn!(?kind, error = %e, "load failed");
                    Msg::LoadFailed {
                        req,
                        error: e.to_string(),
                    }
                }
            };
            let _ = tx.send(msg);
        });
        if let Some(old) = self.loads.insert(kind, task.abort_handle()) {
            old.abort();
        }
    }
}

impl Drop for Effects {
    fn drop(&mut self) {
        for h in self.loads.values() {
            h.abort();
        }
        for h in &self.tasks {
            h.abort();
        }
        for l in self.latest.values() {
            l.store(u64::MAX, Ordering::SeqCst);
        }
    }
}

/// Runs a `Derive` command at once on this thread and returns its result
/// message (for tests and benchmarks); other commands give `None`.
pub fn derive_now(cmd: &Cmd) -> Option<Msg> {
    match cmd {
        Cmd::Derive {
            table,
            generation,
            source,
            spec,
            candidates,
        } => derive_among(&**source, spec, candidates.as_deref(), &|| false).map(|rows| {
            Msg::Derived {
                table: *table,
                generation: *generation,
                rows,
                derived_from: source.len(),
            }
        }),
        _ => None,
    }
}

fn touched_after(
    journal: &Journal,
    ids: &[EditId],
) -> Result<Vec<(EditId, Option<PendingEdit>)>, JournalError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push((*id, journal.get(*id)?));
    }
    Ok(out)
}

fn result_ids(results: &[StageResult]) -> Vec<EditId> {
    results
        .iter()
        .filter_map(|r| match r {
            StageResult::Added(id) | StageResult::Replaced { id, .. } => Some(*id),
            StageResult::Reverted(p) => Some(p.id),
            StageResult::Unchanged => None,
        })
        .collect()
}

/// Runs one journal operation on this thread (blocking: SQLite with fsync)
/// and returns its answer. The effects run it on the blocking pool; tests may
/// call it directly.
pub fn run_journal_op(journal: &Journal, origin: &str, op: u64, action: JournalOp) -> JournalReply {
    let mut touched = Vec::new();
    let result = (|| -> Result<JournalDone, JournalError> {
        match action {
            JournalOp::Stage {
                edits,
                labels,
                redo,
            } => {
                let labels = labels
                    .iter()
                    .map(Option::as_deref)
                    .chain(std::iter::repeat(None));
                let results = journal.stage_many_labelled(origin, edits.iter().zip(labels))?;
                touched = touched_after(journal, &result_ids(&results))?;
                Ok(JournalDone::Staged {
                    edits,
                    results,
                    redo,
                })
            }
            JournalOp::Undo(entry) => {
                let mut ids = result_ids(&entry.results);
                for r in entry.results.iter().rev() {
                    if let Some(id) = journal.undo(r)? {
                        ids.push(id);
                    }
                }
                touched = touched_after(journal, &ids)?;
                Ok(JournalDone::Undone(entry))
            }
            JournalOp::Discard { ids, redo } => {
                let mut removed = Vec::new();
                for id in &ids {
                    removed.extend(journal.discard(*id)?);
                }
                touched = touched_after(journal, &ids)?;
                Ok(JournalDone::Discarded { removed, redo })
            }
            JournalOp::Forget(ids) => {
                let mut removed = Vec::new();
                for id in &ids {
                    if let Some(p) = journal.get(*id)?
                        && p.state == EditState::Sending
                    {
                        journal.record(&[(
                            p.id,
                            p.rev,
                            EditOutcome::StillStaged("dropped while unconfirmed".into()),
                        )])?;
                    }
                    removed.extend(journal.discard(*id)?);
                }
                touched = touched_after(journal, &ids)?;
                Ok(JournalDone::Forgotten(removed.len()))
            }
            JournalOp::Resolve(id, how) => {
                journal.resolve_conflict(id, how)?;
                touched = touched_after(journal, &[id])?;
                Ok(JournalDone::Resolved(how))
            }
            JournalOp::Reload { banner } => Ok(JournalDone::Loaded {
                pending: journal.pending(Some(origin))?,
                banner,
            }),
        }
    })();
    JournalReply {
        op,
        result: result.map_err(|e| e.to_string()),
        touched,
    }
}

/// Opens a profile's journal (blocking). For the demo (`rehome`), whose
/// emulator listens on a new port each start, pending edits staged against an
/// earlier demo address are moved to `origin` first: the demo's records have
/// the same ids every time, and its emulator starts from the same data, so
/// an edit left `sending` is simply staged again.
pub fn open_journal(profile: &str, origin: &str, rehome: bool) -> Result<Journal, JournalError> {
    let (journal, _) = Journal::open_profile(profile)?;
    if rehome {
        rehome_demo(&journal, origin)?;
    }
    Ok(journal)
}

/// True for an address the demo emulator uses (`http://127.0.0.1:PORT`).
pub fn is_demo_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://127.0.0.1:")
        .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

fn rehome_demo(journal: &Journal, origin: &str) -> Result<usize, JournalError> {
    let stale: Vec<PendingEdit> = journal
        .pending(None)?
        .into_iter()
        .filter(|p| p.origin != origin && is_demo_origin(&p.origin))
        .collect();
    let mut moved = 0;
    for p in stale {
        if p.state == EditState::Sending {
            // Release it (its emulator is gone) so it can be moved.
            journal.record(&[(
                p.id,
                p.rev,
                EditOutcome::StillStaged("the demo restarted".into()),
            )])?;
        }
        // Stage under the new address first, then drop the old row: a crash in
        // between leaves a copy, never a loss.
        journal.stage_labelled(origin, &p.edit, p.label.as_deref())?;
        journal.discard(p.id)?;
        moved += 1;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::edit::{Edit, Entity, FieldPath};
    use serde_json::json;

    #[test]
    fn demo_edits_move_to_the_new_address_with_their_labels() {
        let j = Journal::open_in_memory().unwrap();
        let record =
            json!({"_id": "a1", "uid": "CUS-1", "name": "Corner Shop", "contactName": "Ann"});
        let path = FieldPath::parse(Entity::Customer, "contactName").unwrap();
        let edit = Edit::from_input(Entity::Customer, &record, &path, "Bob").unwrap();
        j.stage_labelled("http://127.0.0.1:4000", &edit, Some("CUS-1 Corner Shop"))
            .unwrap();
        j.stage("https://api-35.elogii.com", &edit).unwrap();
        assert_eq!(rehome_demo(&j, "http://127.0.0.1:5000").unwrap(), 1);
        let pending = j.pending(Some("http://127.0.0.1:5000")).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].label.as_deref(), Some("CUS-1 Corner Shop"));
        assert!(j.pending(Some("http://127.0.0.1:4000")).unwrap().is_empty());
        assert_eq!(
            j.pending(Some("https://api-35.elogii.com")).unwrap().len(),
            1,
            "edits for eLogii itself stay where they are"
        );
    }
}
