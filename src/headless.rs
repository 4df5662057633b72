//! Headless commands sharing the console's write path: `apply` (an edits file
//! in, a report out), `staged` (the journal's pending edits) and `send`
//! (send whatever is pending, e.g. after a crash).
//!
//! Edits files are CSV with the header `entity,record,field,value` (other
//! columns are ignored, so `staged --format csv` output can be applied again)
//! or JSON lines with the same keys; the path `-` reads them from standard
//! input. `entity` is `customer` (the default when empty) or `task`; `record`
//! is the `_id`, `uid`, `externalId` or `reference` (tried in that order);
//! `field` is a path such as `locations[0].postCode`, or a location-only name
//! such as `postCode` for a customer with one location (see
//! [`FieldPath::parse_for`]); `value` is written as a person types it (see
//! [`crate::domain::validate`]); in JSON lines a non-string value is taken as
//! eLogii JSON. The field list for people is in `docs/editing.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::api::client::Client;
use crate::api::error::ApiError;
use crate::domain::edit::{
    Edit, Entity, FieldPath, MOVE_CONFIRM_KM, display_value, get_field, record_id, record_label,
    swapped_hint,
};
use crate::domain::sanitize::sanitize;
use crate::domain::validate::validate_value;
use crate::sync::batch::{EditId, EditOutcome, EditState, PendingEdit};
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
    #[error("{0}, so nothing can be sent")]
    ReadOnly(String),
    #[error("--drop-all would drop {0}; add --yes to confirm (there is no terminal to ask on)")]
    DropAllNeedsYes(String),
}

/// Refuses to send when the connection is read-only, saying whether the
/// `--read-only` flag or the profile's `read_only = true` is the reason.
pub fn check_writable(
    flag: bool,
    profile: &str,
    profile_read_only: bool,
) -> Result<(), HeadlessError> {
    let profile_text = format!("profile {profile:?} has read_only = true");
    match (flag, profile_read_only) {
        (false, false) => Ok(()),
        (true, false) => Err(HeadlessError::ReadOnly("--read-only is set".into())),
        (false, true) => Err(HeadlessError::ReadOnly(profile_text)),
        (true, true) => Err(HeadlessError::ReadOnly(format!(
            "--read-only is set and {profile_text}"
        ))),
    }
}

/// `staged` output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StagedFormat {
    /// One line per edit, for people.
    #[default]
    Text,
    /// An edits file that can be applied again; columns
    /// entity,record,field,value,old,state,message,id,server (record is the _id).
    Csv,
}

/// How `apply` runs.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Only list the changes; stage and send nothing.
    pub dry_run: bool,
    /// Batching and retries.
    pub writer: WriterConfig,
    /// Write "sending 3/12 batches" progress to stderr.
    pub progress: bool,
    /// Send pin moves of more than `move_limit_km` too (otherwise such
    /// lines are held back and reported).
    pub yes_moves: bool,
    /// A pin move further than this is held back ([`MOVE_CONFIRM_KM`] by default).
    pub move_limit_km: f64,
    /// The connection flags the command was run with, repeated in the
    /// commands the report suggests.
    pub flags: CommandFlags,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            writer: WriterConfig::default(),
            progress: false,
            yes_moves: false,
            move_limit_km: MOVE_CONFIRM_KM,
            flags: CommandFlags::default(),
        }
    }
}

/// The connection flags a command was run with. The commands its messages
/// suggest (`elogii-tui send --demo`, `elogii-tui staged --profile north`)
/// repeat them, so that they reach the same journal and server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandFlags {
    /// `--demo`.
    pub demo: bool,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--allow-insecure-http`.
    pub allow_insecure_http: bool,
}

impl CommandFlags {
    /// `elogii-tui SUB FLAGS REST`, e.g. `elogii-tui staged --demo --drop-failed`.
    pub fn command(&self, sub: &str, rest: &str) -> String {
        let mut words = vec!["elogii-tui".to_string(), sub.to_string()];
        if self.demo {
            words.push("--demo".into());
        }
        if let Some(p) = &self.profile {
            words.extend(["--profile".into(), shell_word(p)]);
        }
        if let Some(u) = &self.base_url {
            words.extend(["--base-url".into(), shell_word(u)]);
        }
        if let Some(c) = &self.config {
            words.extend(["--config".into(), shell_word(&c.display().to_string())]);
        }
        if self.allow_insecure_http {
            words.push("--allow-insecure-http".into());
        }
        if !rest.is_empty() {
            words.push(rest.to_string());
        }
        words.join(" ")
    }

    /// The same flags with `--base-url` set to `url` (`None`: left out).
    pub fn with_base_url(&self, url: Option<&str>) -> CommandFlags {
        CommandFlags {
            base_url: url.map(str::to_string),
            ..self.clone()
        }
    }
}

/// A word as a POSIX shell reads it back: as it is when it holds only safe
/// characters, else in single quotes.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
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
    /// Lines overridden by a later line for the same record and field.
    pub overridden: usize,
    /// Pending edits from earlier runs (for the same server) still in the journal.
    pub earlier_pending: usize,
    /// Lines held back because they move a pin more than the limit
    /// (without `yes_moves`).
    pub held_moves: usize,
    /// Schedule lines that close days which had hours (sent, with a warning).
    pub closing_warnings: usize,
}

impl ApplyReport {
    /// True when every line was valid, none was held back and every change
    /// went through.
    pub fn ok(&self) -> bool {
        self.invalid == 0
            && self.held_moves == 0
            && self.failed == 0
            && self.conflicts == 0
            && self.kept == 0
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

/// The path that stands for standard input.
pub const STDIN_PATH: &str = "-";

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN_PATH
}

/// `path` as messages name it.
fn source_name(path: &Path) -> PathBuf {
    if is_stdin(path) {
        PathBuf::from("standard input")
    } else {
        path.to_path_buf()
    }
}

fn read_edits(path: &Path) -> Result<Vec<Result<Line, LineError>>, HeadlessError> {
    let read = if is_stdin(path) {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("elogii-tui: reading edits from standard input (end with Ctrl-D)");
        }
        let mut bytes = Vec::new();
        stdin.lock().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    let bytes = read.map_err(|e| HeadlessError::Read {
        path: source_name(path),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| HeadlessError::BadFile {
        path: source_name(path),
        reason: "the text is not UTF-8".into(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // Nothing at all (an empty file, or empty standard input) is no edits, not a bad header.
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
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
            path: source_name(path),
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
            path: source_name(path),
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
            message: "the record is empty; give its _id, uid, externalId or reference".into(),
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
    /// Several records share the key in this member (`externalId`, `reference`).
    Many(usize, &'static str),
}

/// Looks up every record key by `_id`, `uid`, `externalId` and then `reference`:
/// a key found by one member is not looked up by the next.
async fn resolve_records(
    client: &Client,
    config: &WriterConfig,
    keys: &BTreeMap<Entity, BTreeSet<String>>,
) -> Result<HashMap<(Entity, String), Found>, ApiError> {
    let mut out = HashMap::new();
    for (&entity, keys) in keys {
        let mut found: HashMap<String, (&'static str, Vec<Value>)> = HashMap::new();
        for member in ["_id", "uid", "externalId", "reference"] {
            let wanted: Vec<String> = keys
                .iter()
                .filter(|k| !found.contains_key(*k))
                .filter(|k| match member {
                    "_id" => is_object_id(k),
                    "uid" => is_uid(k),
                    _ => true,
                })
                .cloned()
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let mut this: HashMap<String, Vec<Value>> = HashMap::new();
            for r in read_where_in(client, config, entity, member, &wanted).await? {
                // Numbers are matched loosely by eLogii; compare as text.
                let key = match r.get(member) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => continue,
                };
                if keys.contains(&key) {
                    this.entry(key).or_default().push(r);
                }
            }
            for (key, list) in this {
                found.insert(key, (member, list));
            }
        }
        for key in keys {
            let f = match found.remove(key) {
                None => Found::Missing,
                Some((member, mut list)) => match (list.pop(), list.is_empty()) {
                    (Some(v), true) => Found::One(v),
                    (Some(_), false) => Found::Many(list.len() + 1, member),
                    (None, _) => Found::Missing,
                },
            };
            out.insert((entity, key.clone()), f);
        }
    }
    Ok(out)
}

fn edit_for(entity: Entity, record: &Value, l: &Line) -> Result<Edit, String> {
    let field = FieldPath::parse_for(entity, &l.field, record).map_err(|e| e.to_string())?;
    match &l.value {
        RawValue::Text(t) => Edit::from_input(entity, record, &field, t).map_err(|e| e.to_string()),
        RawValue::Json(v) => {
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

fn shown(field: &FieldPath, v: Option<&Value>) -> String {
    let text = display_value(field, v);
    if text.is_empty() {
        "(empty)".to_string()
    } else {
        text
    }
}

fn change_text(record: &str, edit: &Edit) -> String {
    change_text_with(record, edit, MOVE_CONFIRM_KM)
}

/// [`change_text`] with the pin-move limit in force.
fn change_text_with(record: &str, edit: &Edit, limit_km: f64) -> String {
    let mut text = format!(
        "{record} → {}: {} → {}",
        edit.field,
        shown(&edit.field, edit.base.as_ref()),
        shown(&edit.field, edit.new.as_ref())
    );
    if let Some(km) = edit.moved_km() {
        text.push_str(&format!(" (moves {km:.1} km"));
        if km > limit_km {
            text.push_str(&format!(", more than {limit_km} km: check it"));
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

/// One line that reads as an edit of a found record.
struct Valid {
    line: u64,
    record: String,
    edit: Edit,
    /// The record's uid and name, kept in the journal for `staged`.
    label: Option<String>,
    /// A UK location's new postcode is not shaped like a UK postcode.
    odd_postcode: bool,
    /// For a location's postcode: that location's country as loaded.
    country: Option<Value>,
}

/// Shapes the postcodes of UK locations (`m314fq` → `M31 4FQ`) and marks the
/// odd ones. The location's country is the one the file gives it, when a line
/// changes it (the last such line), else the one eLogii has.
fn shape_uk_postcodes(valid: &mut [Valid]) {
    let countries: HashMap<(Entity, String, String), Option<Value>> = valid
        .iter()
        .filter(|v| v.edit.field.name == "country")
        .map(|v| {
            let key = (
                v.edit.entity,
                v.edit.record_id.clone(),
                v.edit.field.to_string(),
            );
            (key, v.edit.new.clone())
        })
        .collect();
    for v in valid.iter_mut() {
        let Some(path) = v.edit.field.postcode_country() else {
            continue;
        };
        let key = (v.edit.entity, v.edit.record_id.clone(), path.to_string());
        let country = match countries.get(&key) {
            Some(from_file) => from_file.clone(),
            None => v.country.clone(),
        };
        v.odd_postcode = v.edit.shape_uk_postcode_in(country.as_ref()) == Some(false);
    }
}

/// "line 4: CUS-…: “M31 4FQQ” is not shaped like a UK postcode …": a warning;
/// the value is still staged as written.
fn odd_postcode_text(v: &Valid) -> Option<String> {
    if !v.odd_postcode {
        return None;
    }
    let typed = match &v.edit.new {
        Some(Value::String(p)) => p.as_str(),
        _ => "",
    };
    Some(format!(
        "line {}: {}: “{typed}” is not shaped like a UK postcode (like M31 4FQ or EC1A 1BB); check it",
        v.line, v.record
    ))
}

/// "line 5: CUS-…: locations[CL-…].coordinates moves 8084.3 km, …": why a big
/// pin move is held back, with a hint when latitude and longitude look swapped.
fn held_move_text(v: &Valid, dry_run: bool, limit_km: f64) -> String {
    let km = v.edit.moved_km().unwrap_or_default();
    let mut text = format!(
        "line {}: {}: {} moves the pin {km:.1} km, more than {limit_km} km, so it {} sent",
        v.line,
        v.record,
        v.edit.field,
        if dry_run { "would not be" } else { "was not" },
    );
    if let (Some(old), Some(new)) = (&v.edit.base, &v.edit.new)
        && let Some(hint) = swapped_hint(old, new, limit_km)
    {
        text.push_str(&format!(" ({hint})"));
    }
    text.push_str("; check it, or run apply again with --yes-moves to send it");
    text
}

/// "line 7: Sa, Su had hours and will be closed" for a schedule line that
/// leaves out days which had opening hours.
fn closing_text(v: &Valid) -> Option<String> {
    let days = v.edit.days_closed();
    if days.is_empty() {
        return None;
    }
    let names: Vec<&str> = days.iter().map(|d| d.short()).collect();
    Some(format!(
        "line {}: {} had hours and will be closed",
        v.line,
        names.join(", ")
    ))
}

/// Reads an edits file (`-`: standard input), checks every line against
/// freshly read records, and lists the changes (dry run) or stages them in
/// `journal` and sends them through the writer. A bad line is reported with its
/// line number and the rest still go; of several lines for the same record and
/// field the last wins, and the report says so. An input with no edit lines
/// (empty, blank, or a header alone) says "No edits to apply" and succeeds.
/// Text written to `out` is sanitised.
pub async fn apply(
    client: &Client,
    journal: &Journal,
    path: &Path,
    options: &ApplyOptions,
    out: &mut dyn Write,
) -> Result<ApplyReport, HeadlessError> {
    let parsed = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || read_edits(&path))
            .await
            .map_err(|e| HeadlessError::Writer(e.to_string()))??
    };
    let mut report = ApplyReport {
        lines: parsed.len(),
        ..ApplyReport::default()
    };
    if parsed.is_empty() {
        say(
            out,
            &format!(
                "No edits to apply: {} holds no edit lines.",
                source_name(path).display()
            ),
        )?;
        return Ok(report);
    }
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

    let mut valid: Vec<Valid> = Vec::new();
    for (l, entity) in good {
        let fail = |message: String| LineError {
            line: l.line,
            record: l.record.clone(),
            message,
        };
        let record = match records.get(&(entity, l.record.clone())) {
            Some(Found::One(r)) => r,
            Some(Found::Many(n, member)) => {
                errors.push(fail(format!(
                    "{n} {entity}s have this {member}, so the line is not applied; use the _id or uid instead"
                )));
                continue;
            }
            _ => {
                errors.push(fail(format!(
                    "there is no {entity} with this _id, uid, externalId or reference"
                )));
                continue;
            }
        };
        match edit_for(entity, record, &l) {
            Ok(edit) => {
                let country = edit
                    .field
                    .postcode_country()
                    .and_then(|path| get_field(record, &path).cloned());
                valid.push(Valid {
                    line: l.line,
                    record: l.record.clone(),
                    edit,
                    label: record_label(record),
                    odd_postcode: false,
                    country,
                })
            }
            Err(m) => errors.push(fail(m)),
        }
    }
    shape_uk_postcodes(&mut valid);

    // Of several lines for the same record and field, the last wins.
    let mut last: HashMap<(Entity, String, String), usize> = HashMap::new();
    let mut overrides: Vec<(u64, u64)> = Vec::new();
    for (i, v) in valid.iter().enumerate() {
        let key = (
            v.edit.entity,
            v.edit.record_id.clone(),
            v.edit.field.to_string(),
        );
        if let Some(earlier) = last.insert(key, i) {
            overrides.push((v.line, valid[earlier].line));
        }
    }
    let winners: HashSet<usize> = last.into_values().collect();
    let mut changes: Vec<Valid> = Vec::new();
    let mut held: Vec<Valid> = Vec::new();
    for (i, v) in valid.into_iter().enumerate() {
        if !winners.contains(&i) {
            continue;
        }
        if v.edit.is_noop() {
            report.unchanged += 1;
        } else if v.edit.is_big_move(options.move_limit_km) && !options.yes_moves {
            held.push(v);
        } else {
            changes.push(v);
        }
    }
    errors.sort_by_key(|e| e.line);
    report.invalid = errors.len();
    report.held_moves = held.len();
    report.changes = changes.len();
    report.overridden = overrides.len();
    let mut warnings: Vec<String> = changes.iter().filter_map(closing_text).collect();
    report.closing_warnings = warnings.len();
    warnings.extend(changes.iter().filter_map(odd_postcode_text));

    let notes = |out: &mut dyn Write| -> Result<(), HeadlessError> {
        for (later, earlier) in &overrides {
            say(
                out,
                &format!("line {later} overrides line {earlier} (same record and field)"),
            )?;
        }
        let mut lines: Vec<(u64, String)> = errors
            .iter()
            .map(|e| {
                let who = if e.record.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", e.record)
                };
                (e.line, format!("line {}: {who}{}", e.line, e.message))
            })
            .collect();
        lines.extend(held.iter().map(|v| {
            (
                v.line,
                held_move_text(v, options.dry_run, options.move_limit_km),
            )
        }));
        lines.sort_by_key(|(line, _)| *line);
        for (_, text) in &lines {
            say(out, text)?;
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
            say(
                out,
                &change_text_with(&c.record, &c.edit, options.move_limit_km),
            )?;
        }
        for w in &warnings {
            say(out, w)?;
        }
        notes(out)?;
        say(
            out,
            &apply_summary(&report, true, options.move_limit_km, &options.flags),
        )?;
        return Ok(report);
    }

    for w in &warnings {
        say(out, w)?;
    }
    let origin = client.base_url().to_string();
    let edits: Vec<(Edit, Option<String>)> = changes
        .iter()
        .map(|c| (c.edit.clone(), c.label.clone()))
        .collect();
    let staged = {
        let j = journal.clone();
        let origin = origin.clone();
        tokio::task::spawn_blocking(move || {
            j.stage_many_labelled(&origin, edits.iter().map(|(e, l)| (e, l.as_deref())))
        })
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
        Some(wanted.clone()),
        options.progress,
    )
    .await?;

    for (c, id) in changes.iter().zip(&ids) {
        let Some(id) = id else { continue };
        let text = change_text_with(&c.record, &c.edit, options.move_limit_km);
        match outcomes.get(id) {
            Some(EditOutcome::Sent | EditOutcome::AlreadyThere) => {
                report.sent += 1;
                say(out, &format!("sent: {text}"))?;
            }
            Some(EditOutcome::Failed(m)) => {
                report.failed += 1;
                say(
                    out,
                    &format!("failed: line {} (edit {id}): {text}: {m}", c.line),
                )?;
            }
            Some(EditOutcome::Conflict { theirs }) => {
                report.conflicts += 1;
                say(
                    out,
                    &format!(
                        "conflict: line {} (edit {id}): {text}: eLogii now has {}",
                        c.line,
                        shown(&c.edit.field, theirs.as_ref())
                    ),
                )?;
            }
            Some(EditOutcome::StillStaged(m)) => {
                report.kept += 1;
                say(
                    out,
                    &format!("not sent: line {} (edit {id}): {text}: {m}", c.line),
                )?;
            }
            None => {
                report.kept += 1;
                say(
                    out,
                    &format!(
                        "not sent: line {} (edit {id}): {text}: still staged",
                        c.line
                    ),
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
    notes(out)?;
    say(
        out,
        &apply_summary(&report, false, options.move_limit_km, &options.flags),
    )?;
    let after = {
        let j = journal.clone();
        tokio::task::spawn_blocking(move || j.pending(Some(&origin)))
            .await
            .map_err(|e| HeadlessError::Writer(e.to_string()))??
    };
    let mine: HashSet<EditId> = wanted.into_iter().collect();
    let earlier: Vec<&PendingEdit> = after.iter().filter(|p| !mine.contains(&p.id)).collect();
    report.earlier_pending = earlier.len();
    if !earlier.is_empty() {
        say(out, &earlier_text(&earlier, &options.flags))?;
    }
    Ok(report)
}

/// "3 edits from earlier are still pending; `elogii-tui send` sends them."
fn earlier_text(earlier: &[&PendingEdit], flags: &CommandFlags) -> String {
    let n = earlier.len();
    let mut text = format!(
        "{} from earlier {} still pending",
        plural(n, "edit", "edits"),
        if n == 1 { "is" } else { "are" }
    );
    let conflicts = earlier
        .iter()
        .filter(|p| p.state == EditState::Conflict)
        .count();
    if conflicts == n {
        text.push_str(&format!(
            " ({}); see `{}`.",
            if n == 1 {
                "a conflict"
            } else {
                "all conflicts"
            },
            flags.command("staged", "")
        ));
    } else {
        text.push_str(&format!(
            "; `{}` sends {}, `{}` lists {}.",
            flags.command("send", ""),
            if n == 1 { "it" } else { "them" },
            flags.command("staged", ""),
            if n == 1 { "it" } else { "them" }
        ));
    }
    text
}

/// "2 sent, 1 failed (kept in the journal: …), 0 conflicts, 0 left staged".
fn outcome_text(
    sent: usize,
    failed: usize,
    conflicts: usize,
    kept: usize,
    flags: &CommandFlags,
) -> String {
    let kept_text = format!("kept in the journal: see `{}`", flags.command("staged", ""));
    let mut parts = vec![format!("{sent} sent")];
    parts.push(if failed > 0 {
        format!(
            "{failed} failed ({kept_text}; drop with `{}`)",
            flags.command("staged", "--drop-failed")
        )
    } else {
        "0 failed".to_string()
    });
    parts.push(if conflicts > 0 {
        format!(
            "{} ({kept_text})",
            plural(conflicts, "conflict", "conflicts")
        )
    } else {
        "0 conflicts".to_string()
    });
    parts.push(if kept > 0 {
        format!(
            "{kept} left staged (`{}` tries again)",
            flags.command("send", "")
        )
    } else {
        "0 left staged".to_string()
    });
    parts.join(", ")
}

fn apply_summary(r: &ApplyReport, dry_run: bool, limit_km: f64, flags: &CommandFlags) -> String {
    let mut parts = Vec::new();
    if dry_run {
        parts.push(format!(
            "{} would be sent",
            plural(r.changes, "change", "changes")
        ));
    } else {
        parts.push(outcome_text(r.sent, r.failed, r.conflicts, r.kept, flags));
    }
    if r.unchanged > 0 {
        parts.push(format!(
            "{} already as asked",
            plural(r.unchanged, "line", "lines")
        ));
    }
    if r.overridden > 0 {
        parts.push(format!(
            "{} overridden by a later line",
            plural(r.overridden, "line", "lines")
        ));
    }
    let mut text = parts.join(", ");
    if r.invalid > 0 {
        text.push_str(&format!(
            "; {} an error",
            plural(r.invalid, "line has", "lines have")
        ));
    }
    if r.held_moves > 0 {
        text.push_str(&format!(
            "; {} a pin more than {limit_km} km and {} held back (--yes-moves sends {})",
            plural(r.held_moves, "line moves", "lines move"),
            if r.held_moves == 1 { "was" } else { "were" },
            if r.held_moves == 1 { "it" } else { "them" },
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
/// checked first) and reports each one. The commands it suggests carry `flags`.
pub async fn send(
    client: &Client,
    journal: &Journal,
    config: &WriterConfig,
    progress: bool,
    flags: &CommandFlags,
    out: &mut dyn Write,
) -> Result<SendReport, HeadlessError> {
    let origin = client.base_url().to_string();
    let all: Vec<PendingEdit> = {
        let j = journal.clone();
        tokio::task::spawn_blocking(move || j.pending(None))
            .await
            .map_err(|e| HeadlessError::Writer(e.to_string()))??
    };
    let (pending, elsewhere): (Vec<PendingEdit>, Vec<PendingEdit>) =
        all.into_iter().partition(|p| p.origin == origin);
    let mut report = SendReport {
        pending: pending.len(),
        ..SendReport::default()
    };
    if pending.is_empty() {
        say(out, &format!("Nothing to send to {origin}."))?;
        let others: BTreeSet<&str> = elsewhere.iter().map(|p| p.origin.as_str()).collect();
        for other in others {
            let n = elsewhere.iter().filter(|p| p.origin == other).count();
            let them = if n == 1 { "it" } else { "them" };
            let text = if flags.demo {
                // Not a demo address (those were moved to this run's): --demo cannot reach it.
                format!(
                    "The journal holds {} for {other}: `{}` lists {them}.",
                    plural(n, "edit", "edits"),
                    flags.command("staged", "")
                )
            } else {
                format!(
                    "The journal holds {} for {other}: `{}` sends {them}.",
                    plural(n, "edit", "edits"),
                    flags.with_base_url(Some(other)).command("send", "")
                )
            };
            say(out, &text)?;
        }
        return Ok(report);
    }
    let mut header = format!(
        "Sending {} from earlier to {origin}",
        plural(pending.len(), "pending edit", "pending edits")
    );
    let cut_off = pending
        .iter()
        .filter(|p| p.state == EditState::Sending)
        .count();
    if cut_off > 0 {
        header.push_str(&format!(
            " ({} being sent when the last run stopped; checked against eLogii first)",
            if cut_off == 1 {
                "1 was".to_string()
            } else {
                format!("{cut_off} were")
            }
        ));
    }
    header.push('.');
    say(out, &header)?;
    let (outcomes, _) = run_writer(client, journal, config, None, progress).await?;
    for p in &pending {
        let text = change_text(&record_name(p), &p.edit);
        let id = p.id;
        match outcomes.get(&p.id) {
            Some(EditOutcome::Sent | EditOutcome::AlreadyThere) => {
                report.sent += 1;
                say(out, &format!("sent: {text}"))?;
            }
            Some(EditOutcome::Failed(m)) => {
                report.failed += 1;
                say(out, &format!("failed (edit {id}): {text}: {m}"))?;
            }
            Some(EditOutcome::Conflict { theirs }) => {
                report.conflicts += 1;
                say(
                    out,
                    &format!(
                        "conflict (edit {id}): {text}: eLogii now has {}",
                        shown(&p.edit.field, theirs.as_ref())
                    ),
                )?;
            }
            Some(EditOutcome::StillStaged(m)) => {
                report.kept += 1;
                say(out, &format!("not sent (edit {id}): {text}: {m}"))?;
            }
            None if p.state == EditState::Conflict => {
                report.conflicts += 1;
                say(
                    out,
                    &format!("conflict (edit {id}, waiting for you): {text}"),
                )?;
            }
            None => {
                report.kept += 1;
                say(out, &format!("not sent (edit {id}): {text}: still staged"))?;
            }
        }
    }
    say(
        out,
        &format!(
            "{}.",
            outcome_text(
                report.sent,
                report.failed,
                report.conflicts,
                report.kept,
                flags
            )
        ),
    )?;
    Ok(report)
}

/// How lists name the record of a pending edit: the uid and name kept when it
/// was staged (`CUS-A8QP5SPM Corner Shop`), else its `_id`.
fn record_name(p: &PendingEdit) -> String {
    p.label.clone().unwrap_or_else(|| p.edit.record_id.clone())
}

/// The server part of a base URL as the journal keeps it (no trailing `/`).
pub fn origin_of(base_url: &str) -> String {
    base_url.trim().trim_end_matches('/').to_string()
}

/// Lists the journal's pending edits (only those for the server `origin`
/// when given) with their ids and the server (base URL) they belong to,
/// naming records by uid and name when the journal has them; CSV cells are
/// sanitised only when `to_terminal` (a file gets the values as they are).
/// The commands it suggests carry `flags`. Returns the count.
pub fn staged(
    journal: &Journal,
    origin: Option<&str>,
    format: StagedFormat,
    to_terminal: bool,
    flags: &CommandFlags,
    out: &mut dyn Write,
) -> Result<usize, HeadlessError> {
    let pending = journal.pending(origin)?;
    match format {
        StagedFormat::Text => {
            if pending.is_empty()
                && let Some(o) = origin
            {
                let others = journal.pending(None)?.len();
                say(out, &format!("No pending edits for {o}."))?;
                if others > 0 {
                    say(
                        out,
                        &format!(
                            "{} for other servers: `{}` without --base-url lists {}.",
                            plural(others, "edit is", "edits are"),
                            flags.with_base_url(None).command("staged", ""),
                            if others == 1 { "it" } else { "them" }
                        ),
                    )?;
                }
            } else {
                staged_text(&pending, flags, out)?
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
            w.write_record(STAGED_CSV_HEADER).map_err(csv_io)?;
            for p in &pending {
                w.write_record([
                    p.edit.entity.name().to_string(),
                    clean(p.edit.record_id.clone()),
                    clean(p.edit.field.to_string()),
                    clean(display_value(&p.edit.field, p.edit.new.as_ref())),
                    clean(display_value(&p.edit.field, p.edit.base.as_ref())),
                    p.state.name().to_string(),
                    clean(p.message.clone().unwrap_or_default()),
                    p.id.0.to_string(),
                    clean(p.origin.clone()),
                ])
                .map_err(csv_io)?;
            }
            w.flush()?;
        }
    }
    Ok(pending.len())
}

/// The columns of `staged --format csv` (the first four make it an edits file).
pub const STAGED_CSV_HEADER: [&str; 9] = [
    "entity", "record", "field", "value", "old", "state", "message", "id", "server",
];

fn pending_line(p: &PendingEdit) -> String {
    let mut text = format!(
        "{:<5} {:<8} {} {}",
        p.id.to_string(),
        p.state.name(),
        p.edit.entity,
        change_text(&record_name(p), &p.edit)
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
    text
}

fn staged_text(
    pending: &[PendingEdit],
    flags: &CommandFlags,
    out: &mut dyn Write,
) -> Result<(), HeadlessError> {
    if pending.is_empty() {
        return say(out, "No pending edits.");
    }
    let mut origins: Vec<&str> = Vec::new();
    for p in pending {
        if !origins.contains(&p.origin.as_str()) {
            origins.push(&p.origin);
        }
    }
    let count = |o: &str| pending.iter().filter(|p| p.origin == o).count();
    if let [only] = origins.as_slice() {
        say(
            out,
            &format!(
                "{} for {only}:",
                plural(pending.len(), "pending edit", "pending edits")
            ),
        )?;
        for p in pending {
            say(out, &pending_line(p))?;
        }
    } else {
        say(
            out,
            &format!(
                "{} for {} servers:",
                plural(pending.len(), "pending edit", "pending edits"),
                origins.len()
            ),
        )?;
        for o in &origins {
            say(
                out,
                &format!("{} for {o}:", plural(count(o), "edit", "edits")),
            )?;
            for p in pending.iter().filter(|p| p.origin == *o) {
                say(out, &format!("  {}", pending_line(p)))?;
            }
        }
    }
    let in_state = |s: EditState| pending.iter().filter(|p| p.state == s).count();
    let waiting = in_state(EditState::Staged) + in_state(EditState::Sending);
    if waiting > 0 {
        say(
            out,
            &format!(
                "{} not sent yet: `{}` sends {}.",
                plural(waiting, "edit is", "edits are"),
                flags.command("send", ""),
                if waiting == 1 { "it" } else { "them" }
            ),
        )?;
    }
    let failed = in_state(EditState::Failed);
    if failed > 0 {
        say(
            out,
            &format!(
                "{} refused by eLogii: `{}` tries again once the cause is fixed; \
                 `{}` drops {}.",
                plural(failed, "edit was", "edits were"),
                flags.command("send", ""),
                flags.command("staged", "--drop-failed"),
                if failed == 1 { "it" } else { "them" }
            ),
        )?;
    }
    let conflicts = in_state(EditState::Conflict);
    if conflicts > 0 {
        say(
            out,
            &format!(
                "{} in conflict (changed on eLogii meanwhile): settle {} in the console's staged list, \
                 or drop {} with `{}`.",
                plural(conflicts, "edit is", "edits are"),
                if conflicts == 1 { "it" } else { "them" },
                if conflicts == 1 { "it" } else { "them" },
                flags.command("staged", "--drop ID")
            ),
        )?;
    }
    Ok(())
}

/// `staged --drop …`: which pending edits to drop.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DropArgs {
    /// Drop these pending edits (ids as `staged` shows them: 12 or #12; several
    /// separated by spaces or commas).
    #[arg(long = "drop", value_name = "ID", num_args = 1.., value_delimiter = ',', value_parser = parse_edit_id)]
    pub ids: Vec<EditId>,
    /// Drop every failed edit (refused by eLogii).
    #[arg(long)]
    pub drop_failed: bool,
    /// Drop every pending edit; asks first (needs --yes when not run from a terminal).
    #[arg(long, conflicts_with_all = ["ids", "drop_failed"])]
    pub drop_all: bool,
    /// Confirm --drop-all without asking.
    #[arg(long, requires = "drop_all")]
    pub yes: bool,
}

impl DropArgs {
    /// True when anything is to be dropped (otherwise `staged` only lists).
    pub fn any(&self) -> bool {
        !self.ids.is_empty() || self.drop_failed || self.drop_all
    }
}

fn parse_edit_id(text: &str) -> Result<EditId, String> {
    let t = text.trim();
    let digits = t.strip_prefix('#').unwrap_or(t);
    match digits.parse::<i64>() {
        Ok(n) if n > 0 => Ok(EditId(n)),
        _ => Err(format!(
            "“{t}” is not an edit id; use the number `elogii-tui staged` shows, such as 12 or #12"
        )),
    }
}

/// What `staged --drop…` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropReport {
    /// Edits removed from the journal.
    pub dropped: usize,
    /// Ids asked for that were not dropped (unknown, or being sent).
    pub refused: usize,
    /// `--drop-all` was not confirmed at the prompt.
    pub cancelled: bool,
}

impl DropReport {
    /// True when everything asked for was dropped.
    pub fn ok(&self) -> bool {
        self.refused == 0 && !self.cancelled
    }
}

/// Drops pending edits from the journal and says which (`dropped #12: …`).
/// `--drop-failed` and `--drop-all` take only edits for the server `origin`
/// when given (ids given with `--drop` are dropped whatever their server).
/// `--drop-all` without `--yes` asks on `prompt` and reads the answer from
/// `input` when `interactive` (stdin is a terminal), and is refused otherwise;
/// it never drops silently. The commands it suggests carry `flags`.
#[allow(clippy::too_many_arguments)]
pub fn drop_staged(
    journal: &Journal,
    origin: Option<&str>,
    args: &DropArgs,
    flags: &CommandFlags,
    interactive: bool,
    input: &mut dyn BufRead,
    prompt: &mut dyn Write,
    out: &mut dyn Write,
) -> Result<DropReport, HeadlessError> {
    let pending = journal.pending(origin)?;
    let mut report = DropReport::default();
    let mut targets: Vec<EditId> = Vec::new();
    if args.drop_all {
        if pending.is_empty() {
            say(out, "No pending edits; nothing to drop.")?;
            return Ok(report);
        }
        let what = plural(pending.len(), "pending edit", "pending edits");
        if !args.yes {
            if !interactive {
                return Err(HeadlessError::DropAllNeedsYes(what));
            }
            write!(
                prompt,
                "Drop all {what}? They are not sent and this cannot be undone. [y/N] "
            )?;
            prompt.flush()?;
            let mut answer = String::new();
            input.read_line(&mut answer)?;
            if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
                say(out, "Nothing dropped.")?;
                report.cancelled = true;
                return Ok(report);
            }
        }
        targets.extend(pending.iter().map(|p| p.id));
    } else {
        if args.drop_failed {
            let failed: Vec<EditId> = pending
                .iter()
                .filter(|p| p.state == EditState::Failed)
                .map(|p| p.id)
                .collect();
            if failed.is_empty() {
                say(out, "No failed edits to drop.")?;
            }
            targets.extend(failed);
        }
        for id in &args.ids {
            if !targets.contains(id) {
                targets.push(*id);
            }
        }
    }
    for id in targets {
        match journal.discard(id) {
            Ok(Some(p)) => {
                report.dropped += 1;
                say(
                    out,
                    &format!(
                        "dropped {id}: {} {} ({}{})",
                        p.edit.entity,
                        change_text(&record_name(&p), &p.edit),
                        p.state.name(),
                        p.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                )?;
            }
            Ok(None) => {
                report.refused += 1;
                say(
                    out,
                    &format!(
                        "not dropped {id}: there is no pending edit {id} (see `{}`)",
                        flags.command("staged", "")
                    ),
                )?;
            }
            Err(JournalError::Busy(_)) => {
                report.refused += 1;
                say(
                    out,
                    &format!(
                        "not dropped {id}: it is being sent; `{}` settles it (it is checked against eLogii first)",
                        flags.command("send", "")
                    ),
                )?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let left = journal.pending(origin)?.len();
    say(
        out,
        &format!(
            "Dropped {}; {} still pending.",
            plural(report.dropped, "edit", "edits"),
            left
        ),
    )?;
    Ok(report)
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

        // No lines at all is no edits, not a bad header; a header alone too.
        let empty = dir.path().join("empty.csv");
        for text in ["", "\n \n", "\u{feff}", "entity,record,field,value\n"] {
            std::fs::write(&empty, text).unwrap();
            assert!(read_edits(&empty).unwrap().is_empty(), "{text:?}");
        }
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "id,name\n1,2\n").unwrap();
        assert!(matches!(
            read_edits(&bad),
            Err(HeadlessError::BadFile { .. })
        ));
    }

    #[test]
    fn read_only_names_its_reason() {
        assert!(check_writable(false, "default", false).is_ok());
        let text = |flag, ro| check_writable(flag, "night", ro).unwrap_err().to_string();
        assert_eq!(
            text(true, false),
            "--read-only is set, so nothing can be sent"
        );
        assert_eq!(
            text(false, true),
            "profile \"night\" has read_only = true, so nothing can be sent"
        );
        assert_eq!(
            text(true, true),
            "--read-only is set and profile \"night\" has read_only = true, so nothing can be sent"
        );
    }

    #[test]
    fn edit_ids_read_as_staged_shows_them() {
        assert_eq!(parse_edit_id("12"), Ok(EditId(12)));
        assert_eq!(parse_edit_id(" #7 "), Ok(EditId(7)));
        for bad in ["", "#", "0", "-3", "x1", "1.5"] {
            assert!(parse_edit_id(bad).is_err(), "{bad}");
        }
    }

    fn journal_with(n: usize) -> (Journal, Vec<EditId>) {
        let j = Journal::open_in_memory().unwrap();
        let ids = (0..n)
            .map(|i| {
                j.stage(
                    "http://127.0.0.1:1",
                    &Edit {
                        entity: Entity::Customer,
                        record_id: format!("r{i}"),
                        field: FieldPath::top("contactName"),
                        base: None,
                        new: Some(serde_json::json!("B")),
                    },
                )
                .unwrap()
                .id()
                .unwrap()
            })
            .collect();
        (j, ids)
    }

    fn drop_all(
        j: &Journal,
        yes: bool,
        interactive: bool,
        answer: &str,
    ) -> (Result<DropReport, HeadlessError>, String, String) {
        let args = DropArgs {
            drop_all: true,
            yes,
            ..DropArgs::default()
        };
        let (mut prompt, mut out) = (Vec::new(), Vec::new());
        let r = drop_staged(
            j,
            None,
            &args,
            &CommandFlags::default(),
            interactive,
            &mut answer.as_bytes(),
            &mut prompt,
            &mut out,
        );
        (
            r,
            String::from_utf8(prompt).unwrap(),
            String::from_utf8(out).unwrap(),
        )
    }

    #[test]
    fn drop_all_asks_on_a_terminal_and_refuses_without_one() {
        let (j, ids) = journal_with(2);
        // No terminal, no --yes: refused, nothing dropped.
        let (r, prompt, out) = drop_all(&j, false, false, "y\n");
        assert!(matches!(r, Err(HeadlessError::DropAllNeedsYes(_))));
        assert_eq!((prompt.as_str(), out.as_str()), ("", ""));
        assert_eq!(j.pending(None).unwrap().len(), 2);
        // A terminal: asked; anything but yes keeps them.
        for answer in ["\n", "n\n", "", "maybe\n"] {
            let (r, prompt, out) = drop_all(&j, false, true, answer);
            assert!(!r.unwrap().ok());
            assert!(prompt.starts_with("Drop all 2 pending edits?"), "{prompt}");
            assert!(prompt.ends_with("[y/N] "), "{prompt}");
            assert_eq!(out, "Nothing dropped.\n");
            assert_eq!(j.pending(None).unwrap().len(), 2);
        }
        let (r, _, out) = drop_all(&j, false, true, "Yes\n");
        assert_eq!(
            r.unwrap(),
            DropReport {
                dropped: 2,
                refused: 0,
                cancelled: false
            }
        );
        assert!(
            out.starts_with(&format!(
                "dropped {}: customer r0 → contactName: (empty) → B (staged)\n",
                ids[0]
            )),
            "{out}"
        );
        assert!(
            out.ends_with("Dropped 2 edits; 0 still pending.\n"),
            "{out}"
        );
        // --yes: no question.
        let (j, _) = journal_with(1);
        let (r, prompt, _) = drop_all(&j, true, false, "");
        assert_eq!(r.unwrap().dropped, 1);
        assert_eq!(prompt, "");
    }

    #[test]
    fn an_edit_being_sent_is_not_dropped() {
        let (j, ids) = journal_with(2);
        j.claim("b1", &[(ids[0], 1)]).unwrap();
        let args = DropArgs {
            ids: ids.clone(),
            ..DropArgs::default()
        };
        let mut out = Vec::new();
        let r = drop_staged(
            &j,
            None,
            &args,
            &CommandFlags::default(),
            false,
            &mut "".as_bytes(),
            &mut Vec::new(),
            &mut out,
        )
        .unwrap();
        assert_eq!((r.dropped, r.refused), (1, 1));
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(&format!("not dropped {}: it is being sent", ids[0])),
            "{out}"
        );
        assert_eq!(j.pending(None).unwrap().len(), 1);
    }

    #[test]
    fn suggested_commands_repeat_the_flags_and_quote_what_needs_it() {
        let none = CommandFlags::default();
        assert_eq!(none.command("send", ""), "elogii-tui send");
        let demo = CommandFlags {
            demo: true,
            ..CommandFlags::default()
        };
        assert_eq!(
            demo.command("staged", "--drop-failed"),
            "elogii-tui staged --demo --drop-failed"
        );
        let named = CommandFlags {
            profile: Some("night desk".into()),
            base_url: Some("http://10.0.0.5:8035/".into()),
            config: Some(PathBuf::from("/tmp/it's.toml")),
            allow_insecure_http: true,
            ..CommandFlags::default()
        };
        assert_eq!(
            named.command("send", ""),
            "elogii-tui send --profile 'night desk' --base-url http://10.0.0.5:8035/ \
             --config '/tmp/it'\\''s.toml' --allow-insecure-http"
        );
        assert_eq!(
            named.with_base_url(None).command("staged", ""),
            "elogii-tui staged --profile 'night desk' --config '/tmp/it'\\''s.toml' --allow-insecure-http"
        );
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
