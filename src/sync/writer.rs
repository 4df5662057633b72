//! The sync writer: a tokio task that sends pending edits from the journal to
//! eLogii and reports what happens as [`WriterEvent`]s.
//!
//! One run: read the pending edits → re-read the touched records (`_id=a,b,c`,
//! in chunks) → check each edit against its record ([`super::batch::plan`]) →
//! cut `updateMany` batches → for each batch mark its edits `sending` in the
//! journal, then send it (up to `concurrency` at once) → record each edit's fate.
//!
//! Retries: 429, 5xx, timeouts and dropped connections are retried with
//! exponential backoff and full jitter, never sooner than `Retry-After`, up to
//! `max_attempts`; then the edits stay staged with the error. Before re-sending
//! after an answer that may have come after the write was applied (anything but
//! a 429), the batch's records are read again and edits whose value is already
//! there are settled as sent, so no change is written twice. A 413 splits the
//! batch in half.
//!
//! Recovery: edits left `sending` by a run that never finished (crash, kill) are
//! part of the next run and go through the same check: value already there →
//! sent; base still there → sent again; otherwise → conflict. [`spawn`] starts
//! such a run by itself when the journal holds any.

use crate::api::retry::{Jitter, backoff_delay};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinSet;

use super::batch::{
    self, Batch, DEFAULT_BATCH_SIZE, EditId, EditOutcome, EditState, Item, PendingEdit, Verdict,
};
use super::journal::{Journal, JournalError};
use crate::api::client::Client;
use crate::api::error::ApiError;
use crate::api::types::{BulkRequest, BulkResponse, Field};
use crate::domain::edit::Entity;
use crate::domain::sanitize::sanitize;

/// How the writer batches, paces and retries.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterConfig {
    /// Items per `updateMany` call.
    pub batch_size: usize,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Record ids per `GET ?_id=a,b,c` when re-reading.
    pub read_chunk: usize,
    /// Tries per request before giving up (the edits stay staged).
    pub max_attempts: u32,
    /// First backoff step.
    pub backoff_base: Duration,
    /// Longest backoff step (before `Retry-After`).
    pub backoff_cap: Duration,
    /// A `Retry-After` longer than this is not waited for: the edits stay staged.
    pub max_retry_after: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            concurrency: 3,
            read_chunk: 50,
            max_attempts: 8,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Which edits a run sends (edits left `sending` are always included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every staged or failed edit (conflicts wait for the dispatcher).
    All,
    /// These edits.
    Only(Vec<EditId>),
    /// Only edits left `sending` by an unfinished run.
    Recovery,
}

/// What the console (or `apply`) asks of the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriterCommand {
    /// Send everything pending.
    SendAll {
        /// Run id to tag the events with.
        run: u64,
    },
    /// Send these edits.
    Send {
        /// Run id to tag the events with.
        run: u64,
        /// The edits.
        ids: Vec<EditId>,
    },
}

/// Counters of one run, for "sending 3/12 batches, 1 failed".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Batches planned (grows when a batch is split).
    pub batches_total: usize,
    /// Batches answered (or given up).
    pub batches_done: usize,
    /// Batches with at least one edit that did not go through.
    pub batches_failed: usize,
    /// Edits in the run.
    pub edits_total: usize,
    /// Edits confirmed (or already there).
    pub sent: usize,
    /// Of those, edits whose value eLogii had already (nothing was written).
    pub already: usize,
    /// Edits refused.
    pub failed: usize,
    /// Edits held as conflicts.
    pub conflicts: usize,
    /// Edits left staged (not confirmed, retries used up, record unreadable).
    pub kept: usize,
    /// Records to read again before sending (the check for changes made meanwhile).
    pub records_total: usize,
    /// Of those, read (or given up on).
    pub records_checked: usize,
}

impl Progress {
    /// `sending 3/12 batches, 1 failed`; while records are still being read
    /// again, `checking 40/120 records, sending 0/3 batches`.
    pub fn text(&self) -> String {
        let mut t = String::new();
        if self.records_checked < self.records_total {
            t.push_str(&format!(
                "checking {}/{} records, ",
                self.records_checked, self.records_total
            ));
        }
        t.push_str(&format!(
            "sending {}/{} batches",
            self.batches_done, self.batches_total
        ));
        if self.batches_failed > 0 {
            t.push_str(&format!(", {} failed", self.batches_failed));
        }
        t
    }

    fn count(&mut self, outcome: &EditOutcome) {
        match outcome {
            EditOutcome::Sent => self.sent += 1,
            EditOutcome::AlreadyThere => {
                self.sent += 1;
                self.already += 1;
            }
            EditOutcome::Failed(_) => self.failed += 1,
            EditOutcome::Conflict { .. } => self.conflicts += 1,
            EditOutcome::StillStaged(_) => self.kept += 1,
        }
    }
}

/// The end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Final counters.
    pub progress: Progress,
    /// Edits found already on eLogii (included in `progress.sent`).
    pub already_there: usize,
    /// HTTP requests made (reads and writes, retries included).
    pub requests: usize,
}

/// What the writer reports. Events of one run carry its `run` id.
#[derive(Debug, Clone, PartialEq)]
pub enum WriterEvent {
    /// A run began.
    RunStarted {
        run: u64,
        /// Edits in it.
        edits: usize,
        /// Of which were left `sending` by an unfinished run.
        recovering: usize,
    },
    /// A batch is about to go out; its edits are `sending`.
    BatchStarted {
        run: u64,
        batch: String,
        entity: Entity,
        items: usize,
        edits: Vec<EditId>,
    },
    /// A request failed and will be tried again after `delay`.
    Retrying {
        run: u64,
        batch: String,
        attempt: u32,
        delay: Duration,
        error: String,
    },
    /// What became of some edits (already recorded in the journal).
    Edits {
        run: u64,
        outcomes: Vec<(EditId, EditOutcome)>,
    },
    /// Counters after a batch.
    Progress { run: u64, progress: Progress },
    /// The run ended.
    RunFinished { run: u64, summary: RunSummary },
    /// The run stopped early (the journal failed); edits keep their state.
    RunFailed { run: u64, error: String },
}

/// What the log file keeps of a writer event (text from eLogii sanitised, so
/// reading the log in a terminal is safe): runs, batches, retries and
/// each edit that did not go through, by id and field name (never a value, a
/// record's contents or the key).
fn log_event(event: &WriterEvent) {
    match event {
        WriterEvent::RunStarted {
            run,
            edits,
            recovering,
        } => tracing::info!(run, edits, recovering, "send run started"),
        WriterEvent::BatchStarted {
            run,
            batch,
            entity,
            items,
            edits,
        } => tracing::info!(run, %batch, ?entity, items, edits = edits.len(), "batch sending"),
        WriterEvent::Retrying {
            run,
            batch,
            attempt,
            delay,
            error,
        } => {
            tracing::warn!(run, %batch, attempt, ?delay, error = %sanitize(error), "request failed, retrying")
        }
        WriterEvent::Edits { run, outcomes } => {
            for (id, outcome) in outcomes {
                match outcome {
                    EditOutcome::Sent | EditOutcome::AlreadyThere => {}
                    EditOutcome::Failed(why) => {
                        tracing::warn!(run, edit = id.0, why = %sanitize(why), "edit refused")
                    }
                    EditOutcome::Conflict { .. } => {
                        tracing::warn!(run, edit = id.0, "edit held: changed on eLogii meanwhile")
                    }
                    EditOutcome::StillStaged(why) => {
                        tracing::warn!(run, edit = id.0, why = %sanitize(why), "edit left staged")
                    }
                }
            }
        }
        WriterEvent::Progress { .. } => {}
        WriterEvent::RunFinished { run, summary } => tracing::info!(
            run,
            sent = summary.progress.sent,
            failed = summary.progress.failed,
            conflicts = summary.progress.conflicts,
            kept = summary.progress.kept,
            requests = summary.requests,
            "send run finished"
        ),
        WriterEvent::RunFailed { run, error } => {
            tracing::error!(run, error = %sanitize(error), "send run stopped")
        }
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("a writer task failed: {0}")]
    Task(String),
}

async fn db<T, F>(journal: &Journal, f: F) -> Result<T, WriterError>
where
    T: Send + 'static,
    F: FnOnce(&Journal) -> Result<T, JournalError> + Send + 'static,
{
    let j = journal.clone();
    tokio::task::spawn_blocking(move || f(&j))
        .await
        .map_err(|e| WriterError::Task(e.to_string()))?
        .map_err(WriterError::from)
}

/// The delay before retry number `attempt` (1-based): full jitter, but never
/// less than the server's `Retry-After`.
pub fn retry_delay(
    attempt: u32,
    retry_after: Option<Duration>,
    config: &WriterConfig,
    random: u64,
) -> Duration {
    backoff_delay(
        attempt,
        retry_after,
        config.backoff_base,
        config.backoff_cap,
        random,
    )
}

/// Reads the records of `entity` whose `field` is one of `values`
/// (`GET /<entity>?<field>=a,b,c`, in chunks of `config.read_chunk`), retrying
/// 429/5xx/timeouts/dropped connections as the writer does. A value holding a
/// comma is asked for on its own through `filter`.
pub async fn read_where_in(
    client: &Client,
    config: &WriterConfig,
    entity: Entity,
    field: &str,
    values: &[String],
) -> Result<Vec<Value>, ApiError> {
    let (path, _) = paths_for(client, entity);
    let jitter = Jitter::new();
    let mut queries: Vec<(String, String)> = Vec::new();
    let (plain, odd): (Vec<&String>, Vec<&String>) = values.iter().partition(|v| !v.contains(','));
    for chunk in plain.chunks(config.read_chunk.max(1)) {
        let joined: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        queries.push((field.to_string(), joined.join(",")));
    }
    for v in odd {
        queries.push((
            "filter".to_string(),
            serde_json::json!({ field: v }).to_string(),
        ));
    }
    let mut out = Vec::new();
    for q in queries {
        let query = [q];
        let mut attempt = 0;
        loop {
            attempt += 1;
            match client.collect::<Value>(&path, &query).await {
                Ok(records) => {
                    out.extend(records);
                    break;
                }
                Err(e) => {
                    let retry_after = e.retry_after();
                    if !e.is_transient()
                        || attempt >= config.max_attempts
                        || retry_after.is_some_and(|ra| ra > config.max_retry_after)
                    {
                        return Err(e);
                    }
                    tokio::time::sleep(retry_delay(attempt, retry_after, config, jitter.next()))
                        .await;
                }
            }
        }
    }
    Ok(out)
}

/// Sends pending edits; shared by the spawned task and the headless commands.
#[derive(Debug, Clone)]
pub struct Sender {
    client: Client,
    journal: Journal,
    config: WriterConfig,
    origin: String,
    events: UnboundedSender<WriterEvent>,
    batch_seq: Arc<AtomicU64>,
    batch_prefix: String,
    jitter: Arc<Jitter>,
}

struct Ctx {
    sender: Sender,
    run: u64,
}

/// One batch's end.
struct BatchDone {
    outcomes: Vec<(EditId, i64, EditOutcome)>,
    split: Option<(Batch, Batch)>,
    requests: usize,
}

fn paths_for(client: &Client, entity: Entity) -> (String, String) {
    let p = client.paths();
    match entity {
        Entity::Customer => (p.customers.clone(), p.customers_update_many.clone()),
        Entity::Task => (p.tasks.clone(), p.tasks_update_many.clone()),
    }
}

impl Sender {
    /// A sender for `client`'s base URL; events go to `events`.
    pub fn new(
        client: Client,
        journal: Journal,
        config: WriterConfig,
        events: UnboundedSender<WriterEvent>,
    ) -> Sender {
        let origin = client.base_url().to_string();
        Sender {
            client,
            journal,
            config,
            origin,
            events,
            batch_seq: Arc::new(AtomicU64::new(0)),
            batch_prefix: format!("b{:x}", jiff::Timestamp::now().as_millisecond()),
            jitter: Arc::new(Jitter::new()),
        }
    }

    /// The base URL edits are sent to (the journal's `origin`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn emit(&self, event: WriterEvent) {
        log_event(&event);
        let _ = self.events.send(event);
    }

    fn next_batch_id(&self) -> String {
        let n = self.batch_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}-{n}", self.batch_prefix)
    }

    /// Runs once over `selection`, reporting events tagged `run`. Never panics;
    /// a journal failure ends the run early ([`WriterEvent::RunFailed`]).
    pub async fn run(&self, run: u64, selection: Selection) -> Result<RunSummary, WriterError> {
        match self.run_inner(run, selection).await {
            Ok(summary) => {
                self.emit(WriterEvent::RunFinished {
                    run,
                    summary: summary.clone(),
                });
                Ok(summary)
            }
            Err(e) => {
                self.emit(WriterEvent::RunFailed {
                    run,
                    error: e.to_string(),
                });
                Err(e)
            }
        }
    }

    async fn run_inner(&self, run: u64, selection: Selection) -> Result<RunSummary, WriterError> {
        // One sender at a time per journal: edits another process is sending
        // are not ours to recover or send again.
        let _lock = db(&self.journal, |j| j.lock_for_sending()).await?;
        let origin = self.origin.clone();
        let all = db(&self.journal, move |j| j.pending(Some(&origin))).await?;
        let wanted: Option<HashSet<EditId>> = match &selection {
            Selection::Only(ids) => Some(ids.iter().copied().collect()),
            _ => None,
        };
        let edits: Vec<PendingEdit> = all
            .into_iter()
            .filter(|p| match p.state {
                EditState::Sending => true,
                EditState::Conflict => false,
                EditState::Staged | EditState::Failed => match &selection {
                    Selection::All => true,
                    Selection::Recovery => false,
                    Selection::Only(_) => wanted.as_ref().is_some_and(|w| w.contains(&p.id)),
                },
            })
            .collect();
        let recovering = edits
            .iter()
            .filter(|p| p.state == EditState::Sending)
            .count();
        self.emit(WriterEvent::RunStarted {
            run,
            edits: edits.len(),
            recovering,
        });
        let mut summary = RunSummary::default();
        summary.progress.edits_total = edits.len();
        if edits.is_empty() {
            return Ok(summary);
        }
        let ctx = Arc::new(Ctx {
            sender: self.clone(),
            run,
        });

        // Records to re-read, in chunks; each record's edits travel together.
        let mut by_record: HashMap<(Entity, String), Vec<PendingEdit>> = HashMap::new();
        let mut order: Vec<(Entity, String)> = Vec::new();
        for p in edits {
            let key = (p.edit.entity, p.edit.record_id.clone());
            if !by_record.contains_key(&key) {
                order.push(key.clone());
            }
            by_record.entry(key).or_default().push(p);
        }
        let size = self.config.batch_size.max(1);
        let mut estimate = 0usize;
        let mut splits = 0usize;
        let mut records_per_entity: HashMap<Entity, Vec<String>> = HashMap::new();
        for (entity, id) in order {
            records_per_entity.entry(entity).or_default().push(id);
        }
        let mut reads: VecDeque<(Entity, Vec<String>)> = VecDeque::new();
        let mut entities: Vec<Entity> = records_per_entity.keys().copied().collect();
        entities.sort();
        for entity in entities {
            let ids = &records_per_entity[&entity];
            // An estimate until the checks say how many records need sending.
            estimate += ids.len().div_ceil(size);
            for chunk in ids.chunks(self.config.read_chunk.max(1)) {
                reads.push_back((entity, chunk.to_vec()));
            }
        }
        summary.progress.batches_total = estimate;
        summary.progress.records_total = reads.iter().map(|(_, ids)| ids.len()).sum();
        self.emit(WriterEvent::Progress {
            run,
            progress: summary.progress,
        });

        // Reads and sends share `concurrency` slots; queued batches go first, so
        // sending starts while later records are still being read.
        let mut ready: HashMap<Entity, Vec<Item>> = HashMap::new();
        let mut queue: VecDeque<Batch> = VecDeque::new();
        let mut cut = 0usize;
        let mut reads_in_flight = 0usize;
        let mut set: JoinSet<Task> = JoinSet::new();
        let limit = self.config.concurrency.max(1);
        loop {
            // Cut batches: full ones as items arrive, the rest once every read is in.
            let reading = !reads.is_empty() || reads_in_flight > 0;
            let mut entities: Vec<Entity> = ready.keys().copied().collect();
            entities.sort();
            for entity in entities {
                let Some(items) = ready.get_mut(&entity) else {
                    continue;
                };
                while items.len() >= size || (!reading && !items.is_empty()) {
                    let take = items.len().min(size);
                    let chunk: Vec<Item> = items.drain(..take).collect();
                    cut += 1;
                    queue.push_back(Batch {
                        id: self.next_batch_id(),
                        entity,
                        items: chunk,
                    });
                }
            }
            // The estimate becomes the count once every record is checked.
            summary.progress.batches_total = if reading { estimate.max(cut) } else { cut } + splits;
            while set.len() < limit {
                if let Some(b) = queue.pop_front() {
                    let ctx = Arc::clone(&ctx);
                    set.spawn(async move { Task::Batch(ctx.send_batch(b).await) });
                } else if let Some((entity, ids)) = reads.pop_front() {
                    reads_in_flight += 1;
                    let ctx = Arc::clone(&ctx);
                    set.spawn(async move {
                        let (result, requests) = ctx.read_records(entity, &ids, None).await;
                        Task::Read {
                            entity,
                            ids,
                            result,
                            requests,
                        }
                    });
                } else {
                    break;
                }
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
            match joined.map_err(|e| WriterError::Task(e.to_string()))? {
                Task::Read {
                    entity,
                    ids,
                    result,
                    requests,
                } => {
                    reads_in_flight -= 1;
                    summary.requests += requests;
                    summary.progress.records_checked += ids.len();
                    let edits: Vec<PendingEdit> = ids
                        .iter()
                        .filter_map(|id| by_record.remove(&(entity, id.clone())))
                        .flatten()
                        .collect();
                    let records = match result {
                        Ok(records) => records,
                        Err(why) => {
                            let outcomes = edits
                                .iter()
                                .map(|p| {
                                    (
                                        p.id,
                                        p.rev,
                                        EditOutcome::StillStaged(format!(
                                            "the record could not be read: {why}"
                                        )),
                                    )
                                })
                                .collect();
                            ctx.settle(&mut summary, outcomes).await?;
                            self.emit(WriterEvent::Progress {
                                run,
                                progress: summary.progress,
                            });
                            continue;
                        }
                    };
                    let fresh: HashMap<(Entity, String), Value> = records
                        .into_iter()
                        .filter_map(|r| {
                            let id = r.get("_id")?.as_str()?.to_string();
                            Some(((entity, id), r))
                        })
                        .collect();
                    let plan = batch::plan(&edits, &fresh);
                    let revs: HashMap<EditId, i64> = edits.iter().map(|p| (p.id, p.rev)).collect();
                    let outcomes = plan
                        .outcomes
                        .into_iter()
                        .map(|(id, o)| (id, revs.get(&id).copied().unwrap_or_default(), o))
                        .collect();
                    ctx.settle(&mut summary, outcomes).await?;
                    ready.entry(entity).or_default().extend(plan.items);
                }
                Task::Batch(done) => {
                    summary.requests += done.requests;
                    if let Some((a, b)) = done.split {
                        // The halves replace the batch: one more batch in total.
                        splits += 1;
                        queue.push_front(b);
                        queue.push_front(a);
                        continue;
                    }
                    summary.progress.batches_done += 1;
                    if done.outcomes.iter().any(|(_, _, o)| !o.is_sent()) {
                        summary.progress.batches_failed += 1;
                    }
                    ctx.settle(&mut summary, done.outcomes).await?;
                }
            }
            self.emit(WriterEvent::Progress {
                run,
                progress: summary.progress,
            });
        }
        Ok(summary)
    }
}

/// What a slot of a run finished.
enum Task {
    Read {
        entity: Entity,
        ids: Vec<String>,
        result: Result<Vec<Value>, String>,
        requests: usize,
    },
    Batch(BatchDone),
}

impl Ctx {
    fn config(&self) -> &WriterConfig {
        &self.sender.config
    }

    /// Records outcomes in the journal, counts them, and reports them.
    async fn settle(
        &self,
        summary: &mut RunSummary,
        outcomes: Vec<(EditId, i64, EditOutcome)>,
    ) -> Result<(), WriterError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        for (_, _, o) in &outcomes {
            summary.progress.count(o);
            if matches!(o, EditOutcome::AlreadyThere) {
                summary.already_there += 1;
            }
        }
        let events: Vec<(EditId, EditOutcome)> =
            outcomes.iter().map(|(id, _, o)| (*id, o.clone())).collect();
        db(&self.sender.journal, move |j| j.record(&outcomes)).await?;
        self.sender.emit(WriterEvent::Edits {
            run: self.run,
            outcomes: events,
        });
        Ok(())
    }

    /// `GET /<entity>?_id=a,b,c` with retries. Returns the records (or the last
    /// error) and the number of requests made.
    async fn read_records(
        &self,
        entity: Entity,
        ids: &[String],
        batch: Option<&str>,
    ) -> (Result<Vec<Value>, String>, usize) {
        let (path, _) = paths_for(&self.sender.client, entity);
        let query = [("_id".to_string(), ids.join(","))];
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.sender.client.collect::<Value>(&path, &query).await {
                Ok(records) => return (Ok(records), attempt as usize),
                Err(e) => match self.retry_wait(attempt, &e, batch).await {
                    Some(()) => continue,
                    None => return (Err(e.to_string()), attempt as usize),
                },
            }
        }
    }

    /// Waits before another try when `e` is worth retrying; `None` when not.
    async fn retry_wait(&self, attempt: u32, e: &ApiError, batch: Option<&str>) -> Option<()> {
        if !e.is_transient() || attempt >= self.config().max_attempts {
            return None;
        }
        let retry_after = e.retry_after();
        if retry_after.is_some_and(|ra| ra > self.config().max_retry_after) {
            return None;
        }
        let delay = retry_delay(
            attempt,
            retry_after,
            self.config(),
            self.sender.jitter.next(),
        );
        self.sender.emit(WriterEvent::Retrying {
            run: self.run,
            batch: batch.unwrap_or("read").to_string(),
            attempt,
            delay,
            error: e.to_string(),
        });
        tokio::time::sleep(delay).await;
        Some(())
    }

    async fn post(&self, batch: &Batch) -> Result<BulkResponse, ApiError> {
        let (_, path) = paths_for(&self.sender.client, batch.entity);
        let body = BulkRequest {
            items: batch.bodies(),
            return_items: Field::Value(false),
            extra: Default::default(),
        };
        self.sender.client.post_json(&path, &body).await
    }

    /// Claims, sends, retries and reconciles one batch.
    async fn send_batch(&self, batch: Batch) -> BatchDone {
        let mut done = BatchDone {
            outcomes: Vec::new(),
            split: None,
            requests: 0,
        };
        let revs: HashMap<EditId, i64> = batch.edit_revs().into_iter().collect();
        let all_of = |b: &Batch, o: EditOutcome| -> Vec<(EditId, i64, EditOutcome)> {
            b.edit_revs()
                .into_iter()
                .map(|(id, rev)| (id, rev, o.clone()))
                .collect()
        };
        // Mark `sending` before anything goes out.
        let id = batch.id.clone();
        let wanted = batch.edit_revs();
        let claimed = match db(&self.sender.journal, move |j| j.claim(&id, &wanted)).await {
            Ok(c) => c,
            Err(e) => {
                done.outcomes = all_of(&batch, EditOutcome::StillStaged(format!("not sent: {e}")));
                return done;
            }
        };
        let mut batch = batch;
        if claimed.len() < revs.len() {
            // Some edits changed (re-staged or undone) since they were read: leave them.
            let claimed: HashSet<EditId> = claimed.into_iter().collect();
            let drop: HashSet<EditId> = revs
                .keys()
                .filter(|id| !claimed.contains(id))
                .copied()
                .collect();
            batch.items = batch
                .items
                .iter()
                .filter_map(|i| i.without(&drop))
                .collect();
            if batch.items.is_empty() {
                return done;
            }
        }
        self.sender.emit(WriterEvent::BatchStarted {
            run: self.run,
            batch: batch.id.clone(),
            entity: batch.entity,
            items: batch.items.len(),
            edits: batch.edit_ids(),
        });
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            done.requests += 1;
            let e = match self.post(&batch).await {
                Ok(response) => {
                    done.outcomes.extend(
                        batch::reconcile(&batch, &response)
                            .into_iter()
                            .map(|(id, o)| (id, revs.get(&id).copied().unwrap_or_default(), o)),
                    );
                    return done;
                }
                Err(e) => e,
            };
            if e.status() == Some(413) {
                match batch.split() {
                    Some(halves) => {
                        done.split = Some(halves);
                        return done;
                    }
                    None => {
                        done.outcomes.extend(all_of(
                            &batch,
                            EditOutcome::Failed(format!("the record is too large to send: {e}")),
                        ));
                        return done;
                    }
                }
            }
            if !e.is_transient() {
                let outcome = match (&e, e.status()) {
                    (ApiError::Decode { .. }, _) => EditOutcome::StillStaged(format!(
                        "eLogii's answer could not be read, so the change may or may not be applied; it stays staged and is checked again before the next send ({e})"
                    )),
                    (_, Some(400 | 422)) => EditOutcome::Failed(e.to_string()),
                    _ => EditOutcome::StillStaged(format!("not sent: {e}")),
                };
                done.outcomes.extend(all_of(&batch, outcome));
                return done;
            }
            if self
                .retry_wait(attempt, &e, Some(&batch.id))
                .await
                .is_none()
            {
                let why = match e.retry_after() {
                    Some(ra) if ra > self.config().max_retry_after => format!(
                        "eLogii asked to wait {}s before trying again: {e}",
                        ra.as_secs()
                    ),
                    _ => format!("not sent after {attempt} tries: {e}"),
                };
                done.outcomes
                    .extend(all_of(&batch, EditOutcome::StillStaged(why)));
                return done;
            }
            if e.status() == Some(429) {
                // Refused before anything was done: send the same batch again.
                continue;
            }
            // The write may have been applied before the answer was lost:
            // read the records again and keep only what is still to do.
            let ids: Vec<String> = batch.items.iter().map(|i| i.record_id.clone()).collect();
            let (read, n) = self.read_records(batch.entity, &ids, Some(&batch.id)).await;
            done.requests += n;
            let records = match read {
                Ok(r) => r,
                Err(why) => {
                    done.outcomes.extend(all_of(
                        &batch,
                        EditOutcome::StillStaged(format!(
                            "not confirmed, and the record could not be read again: {why}"
                        )),
                    ));
                    return done;
                }
            };
            let fresh: HashMap<String, Value> = records
                .into_iter()
                .filter_map(|r| Some((r.get("_id")?.as_str()?.to_string(), r)))
                .collect();
            let mut items = Vec::with_capacity(batch.items.len());
            for item in &batch.items {
                let record = fresh.get(&item.record_id);
                let mut keep = Vec::new();
                for p in &item.edits {
                    let rev = revs.get(&p.id).copied().unwrap_or_default();
                    match batch::check(&p.edit, record) {
                        Verdict::Apply => keep.push(p.clone()),
                        Verdict::AlreadyThere => {
                            done.outcomes.push((p.id, rev, EditOutcome::AlreadyThere))
                        }
                        Verdict::Conflict { theirs } => {
                            done.outcomes
                                .push((p.id, rev, EditOutcome::Conflict { theirs }))
                        }
                        Verdict::Gone(why) => {
                            done.outcomes.push((p.id, rev, EditOutcome::Failed(why)))
                        }
                    }
                }
                if keep.is_empty() {
                    continue;
                }
                let Some(record) = record else { continue };
                let ids: Vec<(EditId, i64)> = keep.iter().map(|p| (p.id, p.rev)).collect();
                match Item::build(item.entity, item.record_id.clone(), record.clone(), keep) {
                    Ok(i) => items.push(i),
                    Err(why) => done.outcomes.extend(
                        ids.into_iter()
                            .map(|(id, rev)| (id, rev, EditOutcome::Failed(why.clone()))),
                    ),
                }
            }
            if items.is_empty() {
                return done;
            }
            batch.items = items;
        }
    }
}

/// The running writer task.
#[derive(Debug)]
pub struct WriterHandle {
    commands: UnboundedSender<WriterCommand>,
    next_run: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl WriterHandle {
    /// Asks for everything pending to be sent; returns the run id its events carry
    /// (`None` when the writer has stopped).
    pub fn send_all(&self) -> Option<u64> {
        let run = self.next_run.fetch_add(1, Ordering::Relaxed);
        self.commands.send(WriterCommand::SendAll { run }).ok()?;
        Some(run)
    }

    /// Asks for these edits to be sent; returns the run id.
    pub fn send(&self, ids: Vec<EditId>) -> Option<u64> {
        let run = self.next_run.fetch_add(1, Ordering::Relaxed);
        self.commands.send(WriterCommand::Send { run, ids }).ok()?;
        Some(run)
    }

    /// Lets queued runs finish, then stops the task.
    pub async fn shutdown(self) {
        drop(self.commands);
        let _ = self.task.await;
    }
}

/// Starts the writer task. Runs are done one after another in the order asked.
/// When the journal holds edits left `sending`, a recovery run (id 0) comes
/// first. Events go to the returned receiver.
pub fn spawn(
    client: Client,
    journal: Journal,
    config: WriterConfig,
) -> (WriterHandle, UnboundedReceiver<WriterEvent>) {
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<WriterCommand>();
    let sender = Sender::new(client, journal, config, event_tx);
    let task = tokio::spawn(async move {
        let origin = sender.origin().to_string();
        let stale = db(&sender.journal, move |j| {
            Ok(j.pending(Some(&origin))?
                .iter()
                .any(|p| p.state == EditState::Sending))
        })
        .await;
        match stale {
            Ok(true) => {
                let _ = sender.run(0, Selection::Recovery).await;
            }
            Ok(false) => {}
            Err(e) => sender.emit(WriterEvent::RunFailed {
                run: 0,
                error: e.to_string(),
            }),
        }
        while let Some(cmd) = cmd_rx.recv().await {
            let (run, selection) = match cmd {
                WriterCommand::SendAll { run } => (run, Selection::All),
                WriterCommand::Send { run, ids } => (run, Selection::Only(ids)),
            };
            let _ = sender.run(run, selection).await;
        }
    });
    (
        WriterHandle {
            commands: cmd_tx,
            next_run: Arc::new(AtomicU64::new(1)),
            task,
        },
        event_rx,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let c = WriterConfig {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(2),
            ..WriterConfig::default()
        };
        for attempt in 1..12 {
            for r in [0, 1, 12345, u64::MAX / 3, u64::MAX] {
                let d = retry_delay(attempt, None, &c, r);
                let step = Duration::from_millis(100 * (1u64 << (attempt - 1))).min(c.backoff_cap);
                assert!(d <= step, "{attempt}: {d:?} > {step:?}");
            }
        }
        assert_eq!(
            retry_delay(1, Some(Duration::from_secs(1)), &c, 0),
            Duration::from_secs(1)
        );
        assert_eq!(
            retry_delay(30, Some(Duration::from_secs(1)), &c, 7),
            Duration::from_nanos(7).max(Duration::from_secs(1))
        );
        let zero = WriterConfig {
            backoff_base: Duration::ZERO,
            ..c
        };
        assert_eq!(retry_delay(3, None, &zero, 99), Duration::ZERO);
    }

    #[test]
    fn jitter_spreads() {
        let j = Jitter::new();
        let draws: HashSet<u64> = (0..100).map(|_| j.next()).collect();
        assert!(draws.len() > 95);
        let c = WriterConfig {
            backoff_base: Duration::from_millis(10),
            backoff_cap: Duration::from_millis(50),
            ..WriterConfig::default()
        };
        assert!((0..100).all(|a| retry_delay(a, None, &c, j.next()) <= c.backoff_cap));
    }

    #[test]
    fn progress_text() {
        let p = Progress {
            batches_total: 12,
            batches_done: 3,
            batches_failed: 1,
            ..Default::default()
        };
        assert_eq!(p.text(), "sending 3/12 batches, 1 failed");
        let p = Progress {
            batches_total: 2,
            batches_done: 2,
            ..Default::default()
        };
        assert_eq!(p.text(), "sending 2/2 batches");
        let p = Progress {
            batches_total: 3,
            records_total: 120,
            records_checked: 40,
            ..Default::default()
        };
        assert_eq!(p.text(), "checking 40/120 records, sending 0/3 batches");
    }
}
