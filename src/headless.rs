//! Headless commands sharing the console's write path: `apply` (an edits file
//! in, a report out), `staged` (the journal's pending edits) and `send`
//! (send whatever is pending, e.g. after a crash).
//!
//! Edits files are CSV with the header `entity,record,field,value` (other
//! columns are ignored, so `staged --format csv` output can be applied again)
//! or JSON lines with the same keys. `entity` is `customer` (the default when
//! empty) or `task`; `record` is the `_id`, `uid` or `externalId`; `field` is a
//! path such as `locations[0].postCode`; `value` is written as a person types it
//! (see [`crate::domain::validate`]); in JSON lines a non-string value is taken
//! as eLogii JSON.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::api::client::Client;
use crate::api::error::ApiError;
use crate::domain::edit::{
    Edit, Entity, FieldPath, MOVE_CONFIRM_KM, display_value, get_field, record_id,
};
use crate::domain::sanitize::sanitize;
use crate::domain::validate::validate_value;
use crate::sync::batch::{EditId, EditOutcome, PendingEdit};
use crate::sync::journal::{Journal, JournalError, StageResult};
use crate::sync::writer::{self, Progress, WriterConfig, WriterEvent, read_where_in};

/// Errors that stop a headless command (bad lines do not: they are reported).
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("the writer stopped: {0}")]
    Writer(String),
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
}

/// `staged` output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StagedFormat {
    /// One line per edit, for people.
    #[default]
    Text,
    /// `entity,record,field,value,old,state,message` (can be applied again).
    Csv,
}

/// How `apply` runs.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Only list the changes; stage and send nothing.
    pub dry_run: bool,
    /// Batching and retries.
    pub writer: WriterConfig,
    /// Write "sending 3/12 batches" progress to stderr.
    pub progress: bool,
}

/// What `apply` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Edit lines read (the header not counted).
    pub lines: usize,
    /// Lines refused (bad value, unknown record or field …).
    pub invalid: usize,
    /// Lines whose value is already the record's.
    pub unchanged: usize,
    /// Changes listed (dry run) or staged.
    pub changes: usize,
    /// Confirmed by eLogii (or already there).
    pub sent: usize,
    /// Refused by eLogii.
    pub failed: usize,
    /// Held back: changed on eLogii meanwhile.
    pub conflicts: usize,
    /// Still staged (not confirmed, retries used up).
    pub kept: usize,
}

impl ApplyReport {
    /// True when every line was valid and every change went through.
    pub fn ok(&self) -> bool {
        self.invalid == 0 && self.failed == 0 && self.conflicts == 0 && self.kept == 0
    }
}

/// What `send` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Edits in the journal before sending.
    pub pending: usize,
    /// Confirmed by eLogii (or already there).
    pub sent: usize,
    /// Refused by eLogii.
    pub failed: usize,
    /// Held back as conflicts (including those already in conflict).
    pub conflicts: usize,
    /// Still staged.
    pub kept: usize,
}

impl SendReport {
    /// True when nothing is left pending.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.conflicts == 0 && self.kept == 0
    }
}

#[derive(Debug, Clone, PartialEq)]
enum RawValue {
    Text(String),
    Json(Value),
}

#[derive(Debug, Clone)]
struct Line {
    line: u64,
    entity: String,
    record: String,
    field: String,
    value: RawValue,
}

#[derive(Debug, Clone)]
struct LineError {
    line: u64,
    record: String,
    message: String,
}

fn is_jsonl(path: &Path, text: &str) -> bool {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jsonl" | "ndjson" | "json") => true,
        Some("csv") => false,
        _ => text.trim_start().starts_with('{'),
    }
}

fn read_edits(path: &Path) -> Result<Vec<Result<Line, LineError>>, HeadlessError> {
    let bytes = std::fs::read(path).map_err(|e| HeadlessError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| HeadlessError::BadFile {
        path: path.to_path_buf(),
        reason: "the file is not UTF-8 text".into(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if is_jsonl(path, text) {
        Ok(read_jsonl(text))
    } else {
        read_csv(path, text)
    }
}

fn read_jsonl(text: &str) -> Vec<Result<Line, LineError>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let err = |message: String| LineError {
            line,
            record: String::new(),
            message,
        };
        let obj = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                out.push(Err(err("the line is not a JSON object".into())));
                continue;
            }
            Err(e) => {
                out.push(Err(err(format!("the line is not JSON: {e}"))));
                continue;
            }
        };
        let text_of = |key: &str| -> Result<String, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Number(n)) if key == "record" => Ok(n.to_string()),
                Some(_) => Err(format!("\"{key}\" must be a text")),
            }
        };
        let parts = (text_of("entity"), text_of("record"), text_of("field"));
        let (entity, record, field) = match parts {
            (Ok(e), Ok(r), Ok(f)) => (e, r, f),
            (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => {
                out.push(Err(err(m)));
                continue;
            }
        };
        let value = match obj.get("value") {
            None => {
                out.push(Err(LineError {
                    line,
                    record,
                    message: "the line has no \"value\"".into(),
                }));
                continue;
            }
            Some(Value::String(s)) => RawValue::Text(s.clone()),
            Some(v) => RawValue::Json(v.clone()),
        };
        out.push(check_line(Line {
            line,
            entity,
            record,
            field,
            value,
        }));
    }
    out
}

fn read_csv(path: &Path, text: &str) -> Result<Vec<Result<Line, LineError>>, HeadlessError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| HeadlessError::BadFile {
            path: path.to_path_buf(),
            reason: format!("cannot read the header: {e}"),
        })?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (entity, record, field, value) = (col("entity"), col("record"), col("field"), col("value"));
    let (Some(record), Some(field), Some(value)) = (record, field, value) else {
        return Err(HeadlessError::BadFile {
            path: path.to_path_buf(),
            reason: "the header must name the columns entity,record,field,value".into(),
        });
    };
    // Line numbers from byte offsets (the csv crate does not count blank lines).
    let line_at = |byte: u64| -> u64 {
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        // A record's position can be where blank lines before it start.
        while end < text.len() && matches!(text.as_bytes()[end], b'\n' | b'\r') {
            end += 1;
        }
        1 + text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
    };
    let mut out = Vec::new();
    for row in reader.records() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(p.byte())).unwrap_or(0);
                out.push(Err(LineError {
                    line,
                    record: String::new(),
                    message: format!("the CSV row cannot be read: {e}"),
                }));
                continue;
            }
        };
        let line = row.position().map(|p| line_at(p.byte())).unwrap_or(0);
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| row.get(i).map(str::to_string);
        let (Some(r), Some(f), Some(v)) = (cell(record), cell(field), cell(value)) else {
            out.push(Err(LineError {
                line,
                record: cell(record).unwrap_or_default(),
                message: "the row has fewer cells than the header".into(),
            }));
            continue;
        };
        out.push(check_line(Line {
            line,
            entity: entity.and_then(cell).unwrap_or_default(),
            record: r.trim().to_string(),
            field: f,
            value: RawValue::Text(v),
        }));
    }
    Ok(out)
}

fn check_line(l: Line) -> Result<Line, LineError> {
    if l.record.trim().is_empty() {
        return Err(LineError {
            line: l.line,
            record: String::new(),
            message: "the record is empty; give its _id, uid or externalId".into(),
        });
    }
    Ok(l)
}

fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uid(s: &str) -> bool {
    match s.split_once('-') {
        Some((prefix, rest)) => {
            (1..=4).contains(&prefix.len())
                && prefix.bytes().all(|b| b.is_ascii_uppercase())
                && rest.len() == 8
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
        None => false,
    }
}

enum Found {
    One(Value),
    Missing,
    Many(usize),
}

/// Looks up every record key by `_id`, `uid` and then `externalId`.
async fn resolve_records(
    client: &Client,
    config: &WriterConfig,
    keys: &BTreeMap<Entity, BTreeSet<String>>,
) -> Result<HashMap<(Entity, String), Found>, ApiError> {
    let mut out = HashMap::new();
    for (&entity, keys) in keys {
        let ids: Vec<String> = keys.iter().filter(|k| is_object_id(k)).cloned().collect();
        let uids: Vec<String> = keys.iter().filter(|k| is_uid(k)).cloned().collect();
        let mut found: HashMap<String, Vec<Value>> = HashMap::new();
        for r in read_where_in(client, config, entity, "_id", &ids).await? {
            if let Some(id) = record_id(&r).map(str::to_string) {
                found.entry(id).or_default().push(r);
            }
        }
        for r in read_where_in(client, config, entity, "uid", &uids).await? {
            if let Some(uid) = r.get("uid").and_then(Value::as_str).map(str::to_string) {
                found.entry(uid).or_default().push(r);
            }
        }
        let rest: Vec<String> = keys
            .iter()
            .filter(|k| !found.contains_key(*k))
            .cloned()
            .collect();
        for r in read_where_in(client, config, entity, "externalId", &rest).await? {
            if let Some(ext) = r
                .get("externalId")
                .and_then(Value::as_str)
                .map(str::to_string)
            {
                found.entry(ext).or_default().push(r);
            }
        }
        for key in keys {
            let f = match found.remove(key) {
                None => Found::Missing,
                Some(mut list) if list.len() == 1 => match list.pop() {
                    Some(v) => Found::One(v),
                    None => Found::Missing,
                },
                Some(list) => Found::Many(list.len()),
            };
            out.insert((entity, key.clone()), f);
        }
    }
    Ok(out)
}

fn edit_for(entity: Entity, record: &Value, l: &Line) -> Result<Edit, String> {
    let path = FieldPath::parse(entity, &l.field).map_err(|e| e.to_string())?;
    match &l.value {
        RawValue::Text(t) => Edit::from_input(entity, record, &path, t).map_err(|e| e.to_string()),
        RawValue::Json(v) => {
            let field = path.resolve(record).map_err(|e| e.to_string())?;
            let new = validate_value(&field, v).map_err(|e| e.to_string())?;
            Ok(Edit {
                entity,
                record_id: record_id(record)
                    .ok_or("the record has no _id")?
                    .to_string(),
                base: get_field(record, &field).cloned(),
                new: Some(new),
                field,
            })
        }
    }
}

struct Change {
    line: u64,
    record: String,
    edit: Edit,
}

fn shown(field: &FieldPath, v: Option<&Value>) -> String {
    let text = display_value(field, v);
    if text.is_empty() {
        "(empty)".to_string()
    } else {
        text
    }
}

fn change_text(record: &str, edit: &Edit) -> String {
    let mut text = format!(
        "{record} → {}: {} → {}",
        edit.field,
        shown(&edit.field, edit.base.as_ref()),
        shown(&edit.field, edit.new.as_ref())
    );
    if let Some(km) = edit.moved_km() {
        text.push_str(&format!(" (moves {km:.1} km"));
        if km > MOVE_CONFIRM_KM {
            text.push_str(&format!(", more than {MOVE_CONFIRM_KM} km: check it"));
        }
        text.push(')');
    }
    text
}

fn say(out: &mut dyn Write, text: &str) -> Result<(), HeadlessError> {
    writeln!(out, "{}", sanitize(text))?;
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Reads an edits file, checks every line against freshly read records, and
/// lists the changes (dry run) or stages them in `journal` and sends them
/// through the writer. A bad line is reported with its line number and the
/// rest still go. Text written to `out` is sanitised.
pub async fn apply(
    client: &Client,
    journal: &Journal,
    path: &Path,
    options: &ApplyOptions,
    out: &mut dyn Write,
) -> Result<ApplyReport, HeadlessError> {
    let parsed = read_edits(path)?;
    let mut report = ApplyReport {
        lines: parsed.len(),
        ..ApplyReport::default()
    };
    let mut errors: Vec<LineError> = Vec::new();
    let mut good: Vec<(Line, Entity)> = Vec::new();
    let mut keys: BTreeMap<Entity, BTreeSet<String>> = BTreeMap::new();
    for p in parsed {
        match p {
            Err(e) => errors.push(e),
            Ok(l) => match Entity::parse(&l.entity) {
                Ok(entity) => {
                    keys.entry(entity).or_default().insert(l.record.clone());
                    good.push((l, entity));
                }
                Err(e) => errors.push(LineError {
                    line: l.line,
                    record: l.record,
                    message: e.to_string(),
                }),
            },
        }
    }
    let records = resolve_records(client, &options.writer, &keys).await?;

    let mut changes: Vec<Option<Change>> = Vec::new();
    let mut index: HashMap<(Entity, String, String), usize> = HashMap::new();
    for (l, entity) in good {
        let fail = |message: String| LineError {
            line: l.line,
            record: l.record.clone(),
            message,
        };
        let record = match records.get(&(entity, l.record.clone())) {
            Some(Found::One(r)) => r,
            Some(Found::Many(n)) => {
                errors.push(fail(format!(
                    "{n} {entity}s have this externalId; use the _id or uid instead"
                )));
                continue;
            }
            _ => {
                errors.push(fail(format!(
                    "there is no {entity} with this _id, uid or externalId"
                )));
                continue;
            }
        };
        let edit = match edit_for(entity, record, &l) {
            Ok(e) => e,
            Err(m) => {
                errors.push(fail(m));
                continue;
            }
        };
        let key = (entity, edit.record_id.clone(), edit.field.to_string());
        // A later line for the same field wins.
        if let Some(i) = index.remove(&key)
            && let Some(slot) = changes.get_mut(i)
        {
            *slot = None;
        }
        if edit.is_noop() {
            report.unchanged += 1;
            continue;
        }
        index.insert(key, changes.len());
        changes.push(Some(Change {
            line: l.line,
            record: l.record.clone(),
            edit,
        }));
    }
    let changes: Vec<Change> = changes.into_iter().flatten().collect();
    errors.sort_by_key(|e| e.line);
    report.invalid = errors.len();
    report.changes = changes.len();

    let error_lines = |out: &mut dyn Write| -> Result<(), HeadlessError> {
        for e in &errors {
            let who = if e.record.is_empty() {
                String::new()
            } else {
                format!("{}: ", e.record)
            };
            say(out, &format!("line {}: {who}{}", e.line, e.message))?;
        }
        Ok(())
    };

    if options.dry_run {
        say(
            out,
            &format!(
                "Dry run: {} (nothing was staged or sent).",
                plural(changes.len(), "change", "changes")
            ),
        )?;
        for c in &changes {
            say(out, &change_text(&c.record, &c.edit))?;
        }
        error_lines(out)?;
        say(out, &apply_summary(&report, true))?;
        return Ok(report);
    }

    let origin = client.base_url().to_string();
    let edits: Vec<Edit> = changes.iter().map(|c| c.edit.clone()).collect();
    let staged = {
        let j = journal.clone();
        tokio::task::spawn_blocking(move || j.stage_many(&origin, &edits))
            .await
            .map_err(|e| HeadlessError::Writer(e.to_string()))??
    };
    let mut ids: Vec<Option<EditId>> = Vec::with_capacity(staged.len());
    for s in &staged {
        match s {
            StageResult::Added(id) | StageResult::Replaced { id, .. } => ids.push(Some(*id)),
            StageResult::Reverted(_) | StageResult::Unchanged => {
                report.unchanged += 1;
                ids.push(None);
            }
        }
    }
    let wanted: Vec<EditId> = ids.iter().flatten().copied().collect();
    say(
        out,
        &format!(
            "Staged {}; sending to {}.",
            plural(wanted.len(), "change", "changes"),
            client.base_url()
        ),
    )?;
    let (outcomes, recovered) = run_writer(
        client,
        journal,
        &options.writer,
        Some(wanted),
        options.progress,
    )
    .await?;

    for (c, id) in changes.iter().zip(&ids) {
        let Some(id) = id else { continue };
        let text = change_text(&c.record, &c.edit);
        match outcomes.get(id) {
            Some(EditOutcome::Sent | EditOutcome::AlreadyThere) => {
                report.sent += 1;
                say(out, &format!("sent: {text}"))?;
            }
            Some(EditOutcome::Failed(m)) => {
                report.failed += 1;
                say(out, &format!("failed: line {}: {text}: {m}", c.line))?;
            }
            Some(EditOutcome::Conflict { theirs }) => {
                report.conflicts += 1;
                say(
                    out,
                    &format!(
                        "conflict: line {}: {text}: eLogii now has {} (kept in the journal; see `elogii-tui staged`)",
                        c.line,
                        shown(&c.edit.field, theirs.as_ref())
                    ),
                )?;
            }
            Some(EditOutcome::StillStaged(m)) => {
                report.kept += 1;
                say(out, &format!("not sent: line {}: {text}: {m}", c.line))?;
            }
            None => {
                report.kept += 1;
                say(
                    out,
                    &format!("not sent: line {}: {text}: still staged", c.line),
                )?;
            }
        }
    }
    if recovered > 0 {
        say(
            out,
            &format!(
                "Also settled {} left from an earlier run.",
                plural(recovered, "edit", "edits")
            ),
        )?;
    }
    error_lines(out)?;
    say(out, &apply_summary(&report, false))?;
    Ok(report)
}

fn apply_summary(r: &ApplyReport, dry_run: bool) -> String {
    let mut parts = Vec::new();
    if dry_run {
        parts.push(format!(
            "{} would be sent",
            plural(r.changes, "change", "changes")
        ));
    } else {
        parts.push(format!("{} sent", r.sent));
        parts.push(format!("{} failed", r.failed));
        parts.push(plural(r.conflicts, "conflict", "conflicts"));
        parts.push(format!("{} left staged", r.kept));
    }
    if r.unchanged > 0 {
        parts.push(format!(
            "{} already as asked",
            plural(r.unchanged, "line", "lines")
        ));
    }
    let mut text = parts.join(", ");
    if r.invalid > 0 {
        text.push_str(&format!(
            "; {} an error",
            plural(r.invalid, "line has", "lines have")
        ));
    }
    text.push('.');
    text
}

/// Runs the writer over `only` (or everything pending) and collects every
/// outcome. Returns the outcomes and how many belonged to a recovery run.
async fn run_writer(
    client: &Client,
    journal: &Journal,
    config: &WriterConfig,
    only: Option<Vec<EditId>>,
    progress: bool,
) -> Result<(HashMap<EditId, EditOutcome>, usize), HeadlessError> {
    let (handle, mut events) = writer::spawn(client.clone(), journal.clone(), config.clone());
    let run = match only {
        Some(ids) => handle.send(ids),
        None => handle.send_all(),
    }
    .ok_or_else(|| HeadlessError::Writer("it did not take the request".into()))?;
    let mut outcomes = HashMap::new();
    let mut recovered = 0;
    let mut last_progress: Option<Progress> = None;
    let result = loop {
        let Some(event) = events.recv().await else {
            break Err(HeadlessError::Writer(
                "it ended before the run finished".into(),
            ));
        };
        match event {
            WriterEvent::Edits {
                run: r,
                outcomes: o,
            } => {
                if r != run {
                    recovered += o.len();
                }
                outcomes.extend(o);
            }
            WriterEvent::Progress { progress: p, .. } if progress => {
                eprint!("\r{}", p.text());
                last_progress = Some(p);
            }
            WriterEvent::RunFinished { run: r, .. } if r == run => break Ok(()),
            WriterEvent::RunFailed { run: r, error } if r == run => {
                break Err(HeadlessError::Writer(error));
            }
            _ => {}
        }
    };
    if last_progress.is_some() {
        eprintln!();
    }
    handle.shutdown().await;
    result.map(|()| (outcomes, recovered))
}

/// Sends every pending edit of `client`'s base URL (edits left `sending` are
/// checked first) and reports each one.
pub async fn send(
    client: &Client,
    journal: &Journal,
    config: &WriterConfig,
    progress: bool,
    out: &mut dyn Write,
) -> Result<SendReport, HeadlessError> {
    let pending: Vec<PendingEdit> = {
        let j = journal.clone();
        let origin = client.base_url().to_string();
        tokio::task::spawn_blocking(move || j.pending(Some(&origin)))
            .await
            .map_err(|e| HeadlessError::Writer(e.to_string()))??
    };
    let mut report = SendReport {
        pending: pending.len(),
        ..SendReport::default()
    };
    if pending.is_empty() {
        say(out, &format!("Nothing to send to {}.", client.base_url()))?;
        return Ok(report);
    }
    say(
        out,
        &format!(
            "Sending {} to {}.",
            plural(pending.len(), "pending edit", "pending edits"),
            client.base_url()
        ),
    )?;
    let (outcomes, _) = run_writer(client, journal, config, None, progress).await?;
    for p in &pending {
        let text = change_text(&p.edit.record_id, &p.edit);
        match outcomes.get(&p.id) {
            Some(EditOutcome::Sent | EditOutcome::AlreadyThere) => {
                report.sent += 1;
                say(out, &format!("sent: {text}"))?;
            }
            Some(EditOutcome::Failed(m)) => {
                report.failed += 1;
                say(out, &format!("failed: {text}: {m}"))?;
            }
            Some(EditOutcome::Conflict { theirs }) => {
                report.conflicts += 1;
                say(
                    out,
                    &format!(
                        "conflict: {text}: eLogii now has {}",
                        shown(&p.edit.field, theirs.as_ref())
                    ),
                )?;
            }
            Some(EditOutcome::StillStaged(m)) => {
                report.kept += 1;
                say(out, &format!("not sent: {text}: {m}"))?;
            }
            None if p.state == crate::sync::batch::EditState::Conflict => {
                report.conflicts += 1;
                say(out, &format!("conflict (waiting for you): {text}"))?;
            }
            None => {
                report.kept += 1;
                say(out, &format!("not sent: {text}: still staged"))?;
            }
        }
    }
    say(
        out,
        &format!(
            "{} sent, {} failed, {}, {} left staged.",
            report.sent,
            report.failed,
            plural(report.conflicts, "conflict", "conflicts"),
            report.kept
        ),
    )?;
    Ok(report)
}

/// Lists the journal's pending edits; CSV cells are sanitised only when
/// `to_terminal` (a file gets the values as they are). Returns the count.
pub fn staged(
    journal: &Journal,
    format: StagedFormat,
    to_terminal: bool,
    out: &mut dyn Write,
) -> Result<usize, HeadlessError> {
    let pending = journal.pending(None)?;
    match format {
        StagedFormat::Text => {
            if pending.is_empty() {
                say(out, "No pending edits.")?;
            } else {
                say(
                    out,
                    &format!(
                        "{}:",
                        plural(pending.len(), "pending edit", "pending edits")
                    ),
                )?;
            }
            let origins: BTreeSet<&str> = pending.iter().map(|p| p.origin.as_str()).collect();
            for p in &pending {
                let mut text = format!(
                    "{:<8} {} {}",
                    p.state.name(),
                    p.edit.entity,
                    change_text(&p.edit.record_id, &p.edit)
                );
                if let Some(theirs) = &p.theirs {
                    text.push_str(&format!(
                        " [eLogii has {}]",
                        shown(&p.edit.field, Some(theirs))
                    ));
                }
                if let Some(m) = &p.message {
                    text.push_str(&format!(" ({m})"));
                }
                if origins.len() > 1 {
                    text.push_str(&format!(" @ {}", p.origin));
                }
                say(out, &text)?;
            }
        }
        StagedFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            let clean = |s: String| -> String {
                if to_terminal {
                    sanitize(&s).into_owned()
                } else {
                    s
                }
            };
            w.write_record([
                "entity", "record", "field", "value", "old", "state", "message",
            ])
            .map_err(csv_io)?;
            for p in &pending {
                w.write_record([
                    p.edit.entity.name().to_string(),
                    clean(p.edit.record_id.clone()),
                    clean(p.edit.field.to_string()),
                    clean(display_value(&p.edit.field, p.edit.new.as_ref())),
                    clean(display_value(&p.edit.field, p.edit.base.as_ref())),
                    p.state.name().to_string(),
                    clean(p.message.clone().unwrap_or_default()),
                ])
                .map_err(csv_io)?;
            }
            w.flush()?;
        }
    }
    Ok(pending.len())
}

fn csv_io(e: csv::Error) -> HeadlessError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => HeadlessError::Io(io),
        other => HeadlessError::Writer(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_classified() {
        assert!(is_object_id("6a20c2d3ab7261e300000001"));
        assert!(!is_object_id("6a20c2d3ab7261e30000000"));
        assert!(is_uid("CUS-ANNYDY1A"));
        assert!(is_uid("T-99IK4EZW"));
        assert!(!is_uid("fhrs-synthetic:0"));
        assert!(!is_uid("C-1001"));
    }

    #[test]
    fn csv_and_jsonl_lines_are_read_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("e.csv");
        std::fs::write(
            &csv_path,
            "\u{feff}record,field,value,entity,old\nCUS-AAAA1111,contactName,\"Ann, Lee\",,x\n\n,name,x,customer,\nT-AAAA1111,instructions,\"two\nlines\",task,\n",
        )
        .unwrap();
        let lines = read_edits(&csv_path).unwrap();
        assert_eq!(lines.len(), 3);
        let first = lines[0].as_ref().unwrap();
        assert_eq!((first.line, first.entity.as_str()), (2, ""));
        assert_eq!(first.value, RawValue::Text("Ann, Lee".into()));
        assert_eq!(lines[1].as_ref().unwrap_err().line, 4);
        let third = lines[2].as_ref().unwrap();
        assert_eq!(
            (third.line, third.value.clone()),
            (5, RawValue::Text("two\nlines".into()))
        );

        let jl = dir.path().join("e.jsonl");
        std::fs::write(
            &jl,
            "{\"record\":\"CUS-AAAA1111\",\"field\":\"locations[0].coordinates\",\"value\":[-1.5,53.8]}\nnot json\n\n{\"record\":\"x\",\"field\":\"name\"}\n",
        )
        .unwrap();
        let lines = read_edits(&jl).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0].as_ref().unwrap().value,
            RawValue::Json(serde_json::json!([-1.5, 53.8]))
        );
        assert_eq!(lines[1].as_ref().unwrap_err().line, 2);
        assert_eq!(lines[2].as_ref().unwrap_err().line, 4);

        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "id,name\n1,2\n").unwrap();
        assert!(matches!(
            read_edits(&bad),
            Err(HeadlessError::BadFile { .. })
        ));
    }

    #[test]
    fn change_text_reports_moves() {
        let e = Edit {
            entity: Entity::Customer,
            record_id: "a".into(),
            field: FieldPath::location("CL-1", "coordinates"),
            base: Some(serde_json::json!([-1.5479, 53.7949])),
            new: Some(serde_json::json!([-1.5179, 53.7976])),
        };
        let t = change_text("CUS-1", &e);
        assert!(t.starts_with("CUS-1 → locations[CL-1].coordinates: 53.7949, -1.5479 → 53.7976, -1.5179 (moves 2.0 km"), "{t}");
        let e = Edit {
            field: FieldPath::top("contactName"),
            base: None,
            new: Some(serde_json::json!("Ann")),
            ..e
        };
        assert_eq!(change_text("x", &e), "x → contactName: (empty) → Ann");
    }
}
