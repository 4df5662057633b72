//! The emulator's data: five collections of eLogii JSON entities in insertion order,
//! indexed by `_id` and `uid`, with eLogii-like create/update/remove rules, and
//! durable saving to a `--state` file ([`Persistence`]).
//!
//! Behaviour marked [inferred] in elogii-api.md is implemented as follows:
//! * update = shallow merge of top-level keys; nested objects and arrays sent in an
//!   item replace the stored ones wholesale [inferred, §5.3];
//! * `_id`, `uid`, `organization`, `path` are read-only: sending the stored value is
//!   fine, a different value fails the item;
//! * customer locations without a `uid` get a fresh `CL-` uid;
//! * task `type` 0 (or absent) is stored as 2, `date` strings are stored as integers,
//!   and the defaults of §13 (state 0 "Created", empty arrays, …) are filled in.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Map, Value, json};
use tokio::sync::watch;

use super::ids::IdGen;
use super::query::resolve;

/// Organisation id used when the data names none.
pub const DEFAULT_ORGANIZATION: &str = "5f0c2a9e1d3b4c5a6e7f8091";

const STATE_FORMAT: &str = "elogii-sandbox-state";

/// The five collections the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `/customers`
    Customers,
    /// `/tasks`
    Tasks,
    /// `/routes`
    Routes,
    /// `/drivers`
    Drivers,
    /// `/depots`
    Depots,
}

impl Kind {
    /// All kinds, in storage order.
    pub const ALL: [Kind; 5] = [
        Kind::Customers,
        Kind::Tasks,
        Kind::Routes,
        Kind::Drivers,
        Kind::Depots,
    ];

    /// The collection's name as in its URL path.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Tasks => "tasks",
            Kind::Routes => "routes",
            Kind::Drivers => "drivers",
            Kind::Depots => "depots",
        }
    }

    /// The kind named by a URL path segment.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The entity's name in messages ("Customer", "Task" …).
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Customers => "Customer",
            Kind::Tasks => "Task",
            Kind::Routes => "Route",
            Kind::Drivers => "Driver",
            Kind::Depots => "Depot",
        }
    }

    /// The uid prefix (`CUS`, `T`, `R`, `DR`, `DEP`).
    pub fn uid_prefix(self) -> &'static str {
        match self {
            Kind::Customers => "CUS",
            Kind::Tasks => "T",
            Kind::Routes => "R",
            Kind::Drivers => "DR",
            Kind::Depots => "DEP",
        }
    }

    fn index(self) -> usize {
        match self {
            Kind::Customers => 0,
            Kind::Tasks => 1,
            Kind::Routes => 2,
            Kind::Drivers => 3,
            Kind::Depots => 4,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Plain collections to build a store from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collections {
    /// Customers.
    pub customers: Vec<Value>,
    /// Tasks.
    pub tasks: Vec<Value>,
    /// Routes.
    pub routes: Vec<Value>,
    /// Drivers.
    pub drivers: Vec<Value>,
    /// Depots.
    pub depots: Vec<Value>,
}

impl Collections {
    fn into_array(self) -> [Vec<Value>; 5] {
        [
            self.customers,
            self.tasks,
            self.routes,
            self.drivers,
            self.depots,
        ]
    }
}

/// What can go wrong building, loading or saving a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An entity in the input is not a JSON object.
    #[error("{collection}[{index}] is not a JSON object")]
    NotAnObject {
        /// The collection.
        collection: Kind,
        /// Its position.
        index: usize,
    },
    /// Two entities share an `_id` or `uid`, or one is not a string.
    #[error("{collection}[{index}]: {reason}")]
    BadIdentifier {
        /// The collection.
        collection: Kind,
        /// Its position.
        index: usize,
        /// What was wrong.
        reason: String,
    },
    /// The state file could not be read.
    #[error("cannot read state file {path}: {source}")]
    ReadState {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The state file is not an emulator state.
    #[error("state file {path} is not a valid emulator state: {reason}")]
    BadState {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The state file could not be written.
    #[error("cannot save state file {path}: {reason}")]
    SaveState {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// The background writer is gone (the server is shutting down).
    #[error("the state writer has stopped")]
    WriterStopped,
    /// The seed could not be built.
    #[error("cannot build seed data: {0}")]
    Seed(String),
}

/// One failed item of a bulk call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// 0-based position in the request.
    pub index: usize,
    /// eLogii-style message.
    pub message: String,
}

/// The result of a bulk call: `{result, ids, errors, items?}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkOutcome {
    /// `_id`s of the items that succeeded, in request order.
    pub ids: Vec<String>,
    /// The items that failed.
    pub errors: Vec<ItemError>,
    /// The stored entities of the items that succeeded.
    pub items: Vec<Value>,
    /// Store version after the call (wait for it with [`Persistence::durable`]).
    pub version: u64,
}

impl BulkOutcome {
    /// The response body; `items` only when `return_items`.
    pub fn to_json(&self, return_items: bool) -> Value {
        let mut body = json!({
            "result": self.ids.len(),
            "ids": self.ids,
            "errors": self.errors.iter()
                .map(|e| json!({"index": e.index, "message": e.message}))
                .collect::<Vec<_>>(),
        });
        if return_items && let Value::Object(map) = &mut body {
            map.insert("items".to_owned(), Value::Array(self.items.clone()));
        }
        body
    }
}

/// Options of a bulk create/update.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// `reject-field` fault: items whose field equals the value fail.
    pub reject_field: Option<(String, String)>,
}

/// Why a single-entity write failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// No entity with that `_id`/`uid` (404).
    #[error("{0}")]
    NotFound(String),
    /// The body was refused (400).
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Default)]
struct Coll {
    docs: Vec<Arc<Value>>,
    by_id: HashMap<String, usize>,
    by_uid: HashMap<String, usize>,
}

impl Coll {
    fn reindex(&mut self) {
        self.by_id.clear();
        self.by_uid.clear();
        for (i, doc) in self.docs.iter().enumerate() {
            if let Some(id) = doc.get("_id").and_then(Value::as_str) {
                self.by_id.insert(id.to_owned(), i);
            }
            if let Some(uid) = doc.get("uid").and_then(Value::as_str) {
                self.by_uid.insert(uid.to_owned(), i);
            }
        }
    }

    fn find(&self, id_or_uid: &str) -> Option<usize> {
        self.by_id
            .get(id_or_uid)
            .or_else(|| self.by_uid.get(id_or_uid))
            .copied()
    }
}

#[derive(Debug)]
struct Inner {
    colls: [Coll; 5],
    ids: IdGen,
    used_ids: HashSet<String>,
    used_uids: HashSet<String>,
    organization: String,
    version: u64,
}

/// The emulator's shared, thread-safe data. Cheap to clone (an `Arc`).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<RwLock<Inner>>,
}

/// A consistent copy of every collection (entities shared, not deep-copied).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Store version the snapshot shows.
    pub version: u64,
    /// Organisation id.
    pub organization: String,
    collections: [Vec<Arc<Value>>; 5],
}

impl Snapshot {
    /// The entities of one collection.
    pub fn docs(&self, kind: Kind) -> &[Arc<Value>] {
        &self.collections[kind.index()]
    }

    /// The state file's JSON.
    pub fn to_state_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut map = Map::new();
        map.insert("format".to_owned(), json!(STATE_FORMAT));
        map.insert("formatVersion".to_owned(), json!(1));
        map.insert("organization".to_owned(), json!(self.organization));
        let mut out = serde_json::to_vec(&Value::Object(map))?;
        // Append the collections without deep-copying them into one Value.
        out.pop(); // the closing brace
        for kind in Kind::ALL {
            out.extend_from_slice(b",\n\"");
            out.extend_from_slice(kind.name().as_bytes());
            out.extend_from_slice(b"\":");
            let docs: Vec<&Value> = self.docs(kind).iter().map(|d| d.as_ref()).collect();
            serde_json::to_writer(&mut out, &docs)?;
        }
        out.extend_from_slice(b"}\n");
        Ok(out)
    }
}

fn now_stamp() -> (i64, String) {
    let now = jiff::Timestamp::now();
    let secs = now.as_second();
    let iso = jiff::Timestamp::from_second(secs)
        .unwrap_or(now)
        .to_string();
    (secs, iso)
}

/// `YYYYMMDD` as an integer, from an integer or a string, if it is a real date.
pub fn parse_date_value(v: &Value) -> Option<i64> {
    let n = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()?
        }
        _ => return None,
    };
    let (y, m, d) = (n / 10_000, (n / 100) % 100, n % 100);
    let y = i16::try_from(y).ok()?;
    let m = i8::try_from(m).ok()?;
    let d = i8::try_from(d).ok()?;
    jiff::civil::Date::new(y, m, d)
        .ok()
        .filter(|_| (1000..=9999).contains(&y))?;
    Some(n)
}

// ---------------------------------------------------------------------------------------------
// Validation (messages are per item, shown in `errors[].message`)

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn check_time_windows(v: &Value, at: &str) -> Result<(), String> {
    let Value::Array(windows) = v else {
        return Err(format!("{at} must be an array of {{start, end}}"));
    };
    for (i, w) in windows.iter().enumerate() {
        let start = w.get("start").and_then(Value::as_f64);
        let end = w.get("end").and_then(Value::as_f64);
        match (w.is_object(), start, end) {
            (true, Some(s), Some(e)) if (0.0..1440.0).contains(&s) && s < e && e <= 2880.0 => {}
            _ => {
                return Err(format!(
                    "{at}[{i}] must be {{start, end}} minutes with 0 <= start < 1440 and start < end <= 2880"
                ));
            }
        }
    }
    Ok(())
}

fn check_schedule(v: &Value, at: &str) -> Result<(), String> {
    let days = match v {
        Value::Null => return Ok(()),
        Value::Object(days) => days,
        _ => return Err(format!("{at} must be null or an object keyed Mon..Sun")),
    };
    for (day, value) in days {
        if !WEEKDAYS.contains(&day.as_str()) {
            return Err(format!("{at}: {day:?} is not a weekday (Mon..Sun)"));
        }
        match value {
            Value::Null => {}
            Value::Object(d) => match d.get("timeWindows") {
                None | Some(Value::Null) => {}
                Some(w) => check_time_windows(w, &format!("{at}.{day}.timeWindows"))?,
            },
            _ => return Err(format!("{at}.{day} must be {{timeWindows: [...]}} or null")),
        }
    }
    Ok(())
}

fn check_coordinates(v: &Value, at: &str) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    let ok = v.as_array().is_some_and(|a| {
        a.len() == 2
            && matches!((a[0].as_f64(), a[1].as_f64()),
                (Some(lon), Some(lat)) if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{at} must be [longitude, latitude] with -180 <= longitude <= 180 and -90 <= latitude <= 90"
        ))
    }
}

fn check_address_object(v: &Value, at: &str, with_schedule: bool) -> Result<(), String> {
    let Value::Object(obj) = v else {
        return Err(format!("{at} must be an object"));
    };
    if let Some(c) = obj.get("coordinates") {
        check_coordinates(c, &format!("{at}.coordinates"))?;
    }
    if with_schedule && let Some(s) = obj.get("schedule") {
        check_schedule(s, &format!("{at}.schedule"))?;
    }
    if let Some(uid) = obj.get("uid")
        && !(uid.is_null() || uid.as_str().is_some_and(|s| !s.is_empty()))
    {
        return Err(format!("{at}.uid must be a non-empty string"));
    }
    Ok(())
}

fn check_name(obj: &Map<String, Value>, required: bool) -> Result<(), String> {
    match obj.get("name") {
        None if required => Err("name is required".to_owned()),
        None => Ok(()),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(_) => Err("name must be a non-empty string".to_owned()),
    }
}

fn check_customer(obj: &Map<String, Value>, creating: bool) -> Result<(), String> {
    check_name(obj, creating)?;
    match obj.get("locations") {
        None | Some(Value::Null) => {}
        Some(Value::Array(locations)) => {
            for (i, l) in locations.iter().enumerate() {
                check_address_object(l, &format!("locations[{i}]"), true)?;
            }
        }
        Some(_) => return Err("locations must be an array of objects".to_owned()),
    }
    if let Some(s) = obj.get("schedule") {
        check_schedule(s, "schedule")?;
    }
    Ok(())
}

fn check_task(obj: &Map<String, Value>, creating: bool) -> Result<(), String> {
    match obj.get("date") {
        None if creating && obj.get("dateRange").is_none_or(Value::is_null) => {
            return Err("date is required (YYYYMMDD)".to_owned());
        }
        Some(d) if parse_date_value(d).is_none() => {
            return Err(format!("date must be a YYYYMMDD date, got {d}"));
        }
        _ => {}
    }
    if let Some(range) = obj.get("dateRange").filter(|r| !r.is_null()) {
        let ok = ["startDate", "endDate"]
            .iter()
            .all(|k| range.get(k).and_then(parse_date_value).is_some());
        if !ok {
            return Err("dateRange must be {startDate, endDate} as YYYYMMDD".to_owned());
        }
    }
    match obj.get("location") {
        None if creating => return Err("location is required".to_owned()),
        None => {}
        Some(l) => check_address_object(l, "location", false)?,
    }
    if let Some(w) = obj.get("timeWindows").filter(|w| !w.is_null()) {
        check_time_windows(w, "timeWindows")?;
    }
    match obj.get("pickup") {
        None | Some(Value::Null) => {}
        Some(Value::Object(p)) => {
            if let Some(l) = p.get("location") {
                check_address_object(l, "pickup.location", false)?;
            }
            if let Some(w) = p.get("timeWindows").filter(|w| !w.is_null()) {
                check_time_windows(w, "pickup.timeWindows")?;
            }
        }
        Some(_) => return Err("pickup must be an object".to_owned()),
    }
    if let Some(state) = obj.get("state")
        && state.as_i64().is_none()
    {
        return Err("state must be an integer".to_owned());
    }
    Ok(())
}

fn check_other(kind: Kind, obj: &Map<String, Value>, creating: bool) -> Result<(), String> {
    if kind == Kind::Depots {
        check_name(obj, creating)?;
        if let Some(c) = obj.get("coordinates") {
            check_coordinates(c, "coordinates")?;
        }
    }
    if kind == Kind::Routes
        && let Some(l) = obj.get("locked")
        && !l.is_boolean()
    {
        return Err("locked must be true or false".to_owned());
    }
    Ok(())
}

fn check_fields(kind: Kind, obj: &Map<String, Value>, creating: bool) -> Result<(), String> {
    match kind {
        Kind::Customers => check_customer(obj, creating),
        Kind::Tasks => check_task(obj, creating),
        _ => check_other(kind, obj, creating),
    }
}

/// Whether the `reject-field` fault hits this item.
fn rejected(obj: &Map<String, Value>, reject: &Option<(String, String)>) -> Result<(), String> {
    let Some((field, wanted)) = reject else {
        return Ok(());
    };
    let path: Vec<String> = field.split('.').map(str::to_owned).collect();
    let doc = Value::Object(obj.clone());
    let mut found = Vec::new();
    resolve(&doc, &path, &mut found);
    let hit = found.iter().any(|v| match v {
        Value::String(s) => s == wanted,
        Value::Number(_) | Value::Bool(_) => v.to_string() == *wanted,
        _ => false,
    });
    if hit {
        Err(format!("Rejected by sandbox fault: {field} = {wanted}"))
    } else {
        Ok(())
    }
}

fn state_text(state: i64) -> Option<(&'static str, &'static str)> {
    // [inferred] texts and timestamp keys, elogii-api.md §9.1.
    Some(match state {
        -30 => ("Cancelled", "cancelled"),
        -20 => ("Failed", "failed"),
        -10 => ("Pickup Failed", "pickupFailed"),
        0 => ("Created", "created"),
        4 => ("Sorted", "sorted"),
        5 => ("Loaded", "loaded"),
        10 => ("Pickup En Route", "pickupEnRoute"),
        20 => ("Pickup Arrived", "pickupArrived"),
        30 => ("Picked Up", "pickedUp"),
        40 => ("Delivery En Route", "deliveryEnRoute"),
        50 => ("Delivery Arrived", "deliveryArrived"),
        60 => ("Completed", "completed"),
        _ => return None,
    })
}

const RO_FIELDS: [&str; 4] = ["_id", "uid", "organization", "path"];

impl Inner {
    fn new(data: [Vec<Value>; 5]) -> Result<Self, StoreError> {
        let total: usize = data.iter().map(Vec::len).sum();
        let organization = data
            .iter()
            .flatten()
            .find_map(|d| d.get("organization").and_then(Value::as_str))
            .unwrap_or(DEFAULT_ORGANIZATION)
            .to_owned();
        let mut inner = Inner {
            colls: Default::default(),
            ids: IdGen::new(0x5EED_0000 ^ total as u64),
            used_ids: HashSet::with_capacity(total),
            used_uids: HashSet::with_capacity(total * 2),
            organization,
            version: 0,
        };
        // First reserve every identifier already present, then fill the gaps.
        for (kind, docs) in Kind::ALL.into_iter().zip(&data) {
            for (index, doc) in docs.iter().enumerate() {
                let Value::Object(obj) = doc else {
                    return Err(StoreError::NotAnObject {
                        collection: kind,
                        index,
                    });
                };
                let bad = |reason: String| StoreError::BadIdentifier {
                    collection: kind,
                    index,
                    reason,
                };
                for field in ["_id", "uid"] {
                    match obj.get(field) {
                        None | Some(Value::Null) => {}
                        Some(Value::String(s)) => {
                            let set = if field == "_id" {
                                &mut inner.used_ids
                            } else {
                                &mut inner.used_uids
                            };
                            if !set.insert(s.clone()) {
                                return Err(bad(format!("duplicate {field} {s:?}")));
                            }
                        }
                        Some(_) => return Err(bad(format!("{field} is not a string"))),
                    }
                }
                if kind == Kind::Customers {
                    for loc in obj
                        .get("locations")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(uid) = loc.get("uid").and_then(Value::as_str)
                            && !inner.used_uids.insert(uid.to_owned())
                        {
                            return Err(bad(format!("duplicate location uid {uid:?}")));
                        }
                    }
                }
            }
        }
        for (kind, docs) in Kind::ALL.into_iter().zip(data) {
            let mut filled = Vec::with_capacity(docs.len());
            for doc in docs {
                let Value::Object(obj) = doc else {
                    continue; // checked above
                };
                filled.push(Arc::new(Value::Object(inner.fill_identifiers(kind, obj))));
            }
            let coll = &mut inner.colls[kind.index()];
            coll.docs = filled;
            coll.reindex();
        }
        Ok(inner)
    }

    fn fresh_id(&mut self) -> String {
        loop {
            let id = self.ids.object_id();
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn fresh_uid(&mut self, prefix: &str) -> String {
        loop {
            let uid = self.ids.uid(prefix);
            if self.used_uids.insert(uid.clone()) {
                return uid;
            }
        }
    }

    /// `_id` and `uid` first, then the fields, then `organization`/`path` if missing.
    fn fill_identifiers(&mut self, kind: Kind, mut obj: Map<String, Value>) -> Map<String, Value> {
        let id = match obj.shift_remove("_id") {
            Some(Value::String(s)) => s,
            _ => self.fresh_id(),
        };
        let uid = match obj.shift_remove("uid") {
            Some(Value::String(s)) => s,
            _ => self.fresh_uid(kind.uid_prefix()),
        };
        let mut out = Map::with_capacity(obj.len() + 4);
        out.insert("_id".to_owned(), Value::String(id));
        out.insert("uid".to_owned(), Value::String(uid));
        out.extend(obj);
        for key in ["organization", "path"] {
            if !out.contains_key(key) {
                out.insert(key.to_owned(), Value::String(self.organization.clone()));
            }
        }
        if kind == Kind::Customers
            && let Some(Value::Array(locations)) = out.get_mut("locations")
        {
            let mut locations = std::mem::take(locations);
            for loc in &mut locations {
                if let Value::Object(l) = loc
                    && l.get("uid").is_none_or(Value::is_null)
                {
                    let uid = self.fresh_uid("CL");
                    l.insert("uid".to_owned(), Value::String(uid));
                }
            }
            out.insert("locations".to_owned(), Value::Array(locations));
        }
        out
    }

    /// Checks location uids of a customer write and gives missing ones a `CL-` uid.
    /// `own` are the uids the customer already has.
    fn assign_location_uids(
        &mut self,
        obj: &mut Map<String, Value>,
        own: &HashSet<String>,
    ) -> Result<(), String> {
        let Some(Value::Array(locations)) = obj.get_mut("locations") else {
            return Ok(());
        };
        let mut seen = HashSet::new();
        let mut to_reserve = Vec::new();
        for (i, loc) in locations.iter().enumerate() {
            if let Some(uid) = loc.get("uid").and_then(Value::as_str) {
                if !seen.insert(uid.to_owned()) {
                    return Err(format!("locations[{i}].uid {uid:?} is used twice"));
                }
                if !own.contains(uid) {
                    if self.used_uids.contains(uid) {
                        return Err(format!("locations[{i}].uid {uid:?} already exists"));
                    }
                    to_reserve.push(uid.to_owned());
                }
            }
        }
        for uid in to_reserve {
            self.used_uids.insert(uid);
        }
        for loc in locations.iter_mut() {
            if let Value::Object(l) = loc
                && l.get("uid").is_none_or(Value::is_null)
            {
                let uid = loop {
                    let uid = self.ids.uid("CL");
                    if self.used_uids.insert(uid.clone()) {
                        break uid;
                    }
                };
                l.insert("uid".to_owned(), Value::String(uid));
            }
        }
        Ok(())
    }

    /// Resolves `customer: {_id|uid|externalId}` to an existing customer.
    fn resolve_customer(&self, obj: &mut Map<String, Value>) -> Result<(), String> {
        let reference = match obj.get("customer") {
            None | Some(Value::Null) => return Ok(()),
            Some(Value::Object(r)) => r.clone(),
            Some(_) => return Err("customer must be an object {externalId|uid|_id}".to_owned()),
        };
        let customers = &self.colls[Kind::Customers.index()];
        let (how, key) = ["_id", "uid", "externalId"]
            .iter()
            .find_map(|k| reference.get(*k).and_then(Value::as_str).map(|v| (*k, v)))
            .ok_or_else(|| "customer needs an _id, uid or externalId".to_owned())?;
        let index = match how {
            "_id" => customers.by_id.get(key).copied(),
            "uid" => customers.by_uid.get(key).copied(),
            _ => customers
                .docs
                .iter()
                .position(|c| c.get("externalId").and_then(Value::as_str) == Some(key)),
        };
        let customer = index
            .and_then(|i| customers.docs.get(i))
            .ok_or_else(|| format!("Customer {how} {key} cannot be found"))?;
        let mut linked = reference;
        for field in ["_id", "uid", "externalId", "name"] {
            if let Some(v) = customer.get(field) {
                linked.insert(field.to_owned(), v.clone());
            }
        }
        obj.insert("customer".to_owned(), Value::Object(linked));
        Ok(())
    }

    fn normalize_task(obj: &mut Map<String, Value>) {
        if let Some(date) = obj.get("date").and_then(parse_date_value) {
            obj.insert("date".to_owned(), json!(date));
            obj.insert("dateTimeWindows".to_owned(), json!([{"date": date}]));
        }
    }

    fn task_defaults(obj: &mut Map<String, Value>) {
        let (secs, iso) = now_stamp();
        match obj.get("type").and_then(Value::as_i64) {
            None | Some(0) => {
                obj.insert("type".to_owned(), json!(2));
            }
            Some(_) => {}
        }
        let state = obj.get("state").and_then(Value::as_i64).unwrap_or(0);
        let (text, key) = state_text(state).unwrap_or(("Created", "created"));
        let defaults = [
            ("state", json!(state)),
            ("stateText", json!(text)),
            ("stateTimestamp", json!(secs)),
            ("stateTimestamps", {
                let mut stamps = Map::new();
                stamps.insert(key.to_owned(), json!(secs));
                stamps.insert(format!("{key}ISO"), json!(iso));
                Value::Object(stamps)
            }),
            ("assignment", json!({"state": 0})),
            ("allowedWeekDays", Value::Null),
            ("items", json!([])),
            ("skills", json!([])),
            ("capabilities", json!([])),
            ("tags", json!([])),
            ("teams", json!([])),
            ("teamsExplicit", json!([])),
            ("zones", json!([])),
        ];
        for (k, v) in defaults {
            if !obj.contains_key(k) {
                obj.insert(k.to_owned(), v);
            }
        }
    }

    /// After a task update: a new `state` brings its text and timestamps.
    fn task_state_change(obj: &mut Map<String, Value>, old_state: Option<i64>) {
        let Some(state) = obj.get("state").and_then(Value::as_i64) else {
            return;
        };
        if Some(state) == old_state {
            return;
        }
        let (secs, iso) = now_stamp();
        if let Some((text, key)) = state_text(state) {
            obj.insert("stateText".to_owned(), json!(text));
            obj.insert("stateTimestamp".to_owned(), json!(secs));
            let mut stamps = obj
                .get("stateTimestamps")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            stamps.insert(key.to_owned(), json!(secs));
            stamps.insert(format!("{key}ISO"), json!(iso));
            obj.insert("stateTimestamps".to_owned(), Value::Object(stamps));
        }
    }

    fn create(&mut self, kind: Kind, item: Value, opts: &WriteOptions) -> Result<usize, String> {
        let Value::Object(mut obj) = item else {
            return Err("Item must be a JSON object".to_owned());
        };
        rejected(&obj, &opts.reject_field)?;
        for field in RO_FIELDS {
            match obj.get(field) {
                None | Some(Value::Null) => {
                    obj.shift_remove(field);
                }
                Some(Value::String(s))
                    if field != "_id" && field != "uid" && *s == self.organization => {}
                Some(_) => return Err(format!("{field} is read-only and cannot be set")),
            }
        }
        check_fields(kind, &obj, true)?;
        match kind {
            Kind::Tasks => {
                self.resolve_customer(&mut obj)?;
                Self::normalize_task(&mut obj);
                Self::task_defaults(&mut obj);
            }
            Kind::Customers => self.assign_location_uids(&mut obj, &HashSet::new())?,
            Kind::Routes if !obj.contains_key("locked") => {
                obj.insert("locked".to_owned(), Value::Bool(false));
            }
            _ => {}
        }
        let doc = self.fill_identifiers(kind, obj);
        let coll = &mut self.colls[kind.index()];
        let index = coll.docs.len();
        if let Some(Value::String(id)) = doc.get("_id") {
            coll.by_id.insert(id.clone(), index);
        }
        if let Some(Value::String(uid)) = doc.get("uid") {
            coll.by_uid.insert(uid.clone(), index);
        }
        coll.docs.push(Arc::new(Value::Object(doc)));
        Ok(index)
    }

    fn update(
        &mut self,
        kind: Kind,
        index: usize,
        patch: Map<String, Value>,
        opts: &WriteOptions,
    ) -> Result<(), String> {
        rejected(&patch, &opts.reject_field)?;
        let current = match self.colls[kind.index()].docs.get(index) {
            Some(doc) => Arc::clone(doc),
            None => return Err(format!("{} cannot be found", kind.singular())),
        };
        let Value::Object(stored) = current.as_ref() else {
            return Err(format!("{} is damaged", kind.singular()));
        };
        for field in RO_FIELDS {
            if let Some(v) = patch.get(field)
                && stored.get(field) != Some(v)
            {
                return Err(format!("{field} is read-only and cannot be changed"));
            }
        }
        let mut patch = patch;
        for field in RO_FIELDS {
            patch.shift_remove(field);
        }
        check_fields(kind, &patch, false)?;
        match kind {
            Kind::Tasks => {
                self.resolve_customer(&mut patch)?;
                Self::normalize_task(&mut patch);
            }
            Kind::Customers => {
                let own: HashSet<String> = stored
                    .get("locations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.get("uid").and_then(Value::as_str).map(str::to_owned))
                    .collect();
                self.assign_location_uids(&mut patch, &own)?;
            }
            _ => {}
        }
        let old_state = stored.get("state").and_then(Value::as_i64);
        let mut merged = stored.clone();
        for (k, v) in patch {
            merged.insert(k, v);
        }
        if kind == Kind::Tasks {
            Self::task_state_change(&mut merged, old_state);
        }
        self.colls[kind.index()].docs[index] = Arc::new(Value::Object(merged));
        Ok(())
    }

    fn remove(&mut self, kind: Kind, indexes: &mut [usize]) {
        indexes.sort_unstable();
        let coll = &mut self.colls[kind.index()];
        for &i in indexes.iter().rev() {
            if i < coll.docs.len() {
                coll.docs.remove(i);
            }
        }
        coll.reindex();
    }

    fn doc(&self, kind: Kind, index: usize) -> Value {
        self.colls[kind.index()]
            .docs
            .get(index)
            .map(|d| d.as_ref().clone())
            .unwrap_or(Value::Null)
    }

    fn id_of(&self, kind: Kind, index: usize) -> String {
        self.colls[kind.index()]
            .docs
            .get(index)
            .and_then(|d| d.get("_id"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// Finds the entity an update item names: `_id` (customers), `_id` or `uid` (others).
    fn match_item(&self, kind: Kind, item: &Map<String, Value>) -> Result<usize, String> {
        let coll = &self.colls[kind.index()];
        let id = item.get("_id").and_then(Value::as_str);
        let uid = item.get("uid").and_then(Value::as_str);
        match (id, uid) {
            (Some(id), _) => coll
                .by_id
                .get(id)
                .copied()
                .ok_or_else(|| format!("{} {id} cannot be found", kind.singular())),
            (None, Some(uid)) if kind != Kind::Customers => coll
                .by_uid
                .get(uid)
                .copied()
                .ok_or_else(|| format!("{} {uid} cannot be found", kind.singular())),
            _ if kind == Kind::Customers => Err("Item has no _id".to_owned()),
            _ => Err("Item has no _id or uid".to_owned()),
        }
    }
}

impl Store {
    /// A store over these collections; fills missing `_id`, `uid`, `CL-` location uids,
    /// `organization` and `path`. Fails on non-objects and duplicate identifiers.
    pub fn new(collections: Collections) -> Result<Self, StoreError> {
        let inner = Inner::new(collections.into_array())?;
        Ok(Self {
            inner: Arc::new(RwLock::new(inner)),
        })
    }

    /// A store built from the seed module's data.
    pub fn from_seed(seed: super::seed::SeedData) -> Result<Self, StoreError> {
        Self::new(Collections {
            customers: seed.customers,
            tasks: seed.tasks,
            routes: seed.routes,
            drivers: seed.drivers,
            depots: seed.depots,
        })
    }

    /// Loads a state file written by [`Persistence`].
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        let bytes = std::fs::read(path).map_err(|source| StoreError::ReadState {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: String| StoreError::BadState {
            path: path.to_path_buf(),
            reason,
        };
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let Value::Object(mut map) = value else {
            return Err(bad("not a JSON object".to_owned()));
        };
        if map.get("format").and_then(Value::as_str) != Some(STATE_FORMAT) {
            return Err(bad(format!("missing \"format\": \"{STATE_FORMAT}\"")));
        }
        let mut take = |kind: Kind| match map.shift_remove(kind.name()) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(bad(format!("{kind} is not an array"))),
        };
        let collections = Collections {
            customers: take(Kind::Customers)?,
            tasks: take(Kind::Tasks)?,
            routes: take(Kind::Routes)?,
            drivers: take(Kind::Drivers)?,
            depots: take(Kind::Depots)?,
        };
        let store = Self::new(collections)?;
        if let Some(org) = map.get("organization").and_then(Value::as_str) {
            store.write().organization = org.to_owned();
        }
        Ok(store)
    }

    /// Loads `state_file` when given and present; otherwise builds the store from `seed()`.
    pub fn load_or_else<E: fmt::Display>(
        state_file: Option<&Path>,
        seed: impl FnOnce() -> Result<Collections, E>,
    ) -> Result<Self, StoreError> {
        match state_file {
            Some(path) if path.exists() => Self::load(path),
            _ => Self::new(seed().map_err(|e| StoreError::Seed(e.to_string()))?),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The organisation id set on created entities.
    pub fn organization(&self) -> String {
        self.read().organization.clone()
    }

    /// The current version; it grows with every applied write.
    pub fn version(&self) -> u64 {
        self.read().version
    }

    /// The entities of one collection, shared.
    pub fn docs(&self, kind: Kind) -> Vec<Arc<Value>> {
        self.read().colls[kind.index()].docs.clone()
    }

    /// Deep copies of one collection's entities, in insertion order.
    pub fn all(&self, kind: Kind) -> Vec<Value> {
        self.read().colls[kind.index()]
            .docs
            .iter()
            .map(|d| d.as_ref().clone())
            .collect()
    }

    /// How many entities one collection holds.
    pub fn len(&self, kind: Kind) -> usize {
        self.read().colls[kind.index()].docs.len()
    }

    /// Whether every collection is empty.
    pub fn is_empty(&self) -> bool {
        let inner = self.read();
        inner.colls.iter().all(|c| c.docs.is_empty())
    }

    /// A consistent view of everything (for saving).
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.read();
        Snapshot {
            version: inner.version,
            organization: inner.organization.clone(),
            collections: std::array::from_fn(|i| inner.colls[i].docs.clone()),
        }
    }

    /// One entity by `_id` or `uid`.
    pub fn get(&self, kind: Kind, id_or_uid: &str) -> Option<Value> {
        let inner = self.read();
        let coll = &inner.colls[kind.index()];
        coll.find(id_or_uid)
            .and_then(|i| coll.docs.get(i))
            .map(|d| d.as_ref().clone())
    }

    /// `createMany`: every item is validated on its own; good ones are stored.
    pub fn create_many(&self, kind: Kind, items: Vec<Value>, opts: &WriteOptions) -> BulkOutcome {
        let mut inner = self.write();
        let mut out = BulkOutcome::default();
        for (index, item) in items.into_iter().enumerate() {
            match inner.create(kind, item, opts) {
                Ok(at) => {
                    out.ids.push(inner.id_of(kind, at));
                    out.items.push(inner.doc(kind, at));
                }
                Err(message) => out.errors.push(ItemError { index, message }),
            }
        }
        if !out.ids.is_empty() {
            inner.version += 1;
        }
        out.version = inner.version;
        out
    }

    /// `updateMany`: items name their entity by `_id` (customers) or `_id`/`uid` (others)
    /// and are shallow-merged into it.
    pub fn update_many(&self, kind: Kind, items: Vec<Value>, opts: &WriteOptions) -> BulkOutcome {
        let mut inner = self.write();
        let mut out = BulkOutcome::default();
        for (index, item) in items.into_iter().enumerate() {
            let result = match item {
                Value::Object(obj) => inner
                    .match_item(kind, &obj)
                    .and_then(|at| inner.update(kind, at, obj, opts).map(|()| at)),
                _ => Err("Item must be a JSON object".to_owned()),
            };
            match result {
                Ok(at) => {
                    out.ids.push(inner.id_of(kind, at));
                    out.items.push(inner.doc(kind, at));
                }
                Err(message) => out.errors.push(ItemError { index, message }),
            }
        }
        if !out.ids.is_empty() {
            inner.version += 1;
        }
        out.version = inner.version;
        out
    }

    /// `removeMany`: ids are `_id`s or `uid`s.
    pub fn remove_many(&self, kind: Kind, ids: &[Value]) -> BulkOutcome {
        let mut inner = self.write();
        let mut out = BulkOutcome::default();
        let mut doomed = Vec::new();
        for (index, id) in ids.iter().enumerate() {
            let Some(id) = id.as_str() else {
                out.errors.push(ItemError {
                    index,
                    message: "id must be a string".to_owned(),
                });
                continue;
            };
            match inner.colls[kind.index()].find(id) {
                Some(at) if !doomed.contains(&at) => {
                    out.ids.push(inner.id_of(kind, at));
                    out.items.push(inner.doc(kind, at));
                    doomed.push(at);
                }
                _ => out.errors.push(ItemError {
                    index,
                    message: format!("{} {id} cannot be found", kind.singular()),
                }),
            }
        }
        if !doomed.is_empty() {
            inner.remove(kind, &mut doomed);
            inner.version += 1;
        }
        out.version = inner.version;
        out
    }

    /// Sets `locked` on the routes named by `_id` or `uid`.
    pub fn set_route_lock(&self, ids: &[Value], locked: bool) -> BulkOutcome {
        let kind = Kind::Routes;
        let mut inner = self.write();
        let mut out = BulkOutcome::default();
        let patch = {
            let mut m = Map::new();
            m.insert("locked".to_owned(), Value::Bool(locked));
            m
        };
        for (index, id) in ids.iter().enumerate() {
            let result = match id.as_str() {
                None => Err("id must be a string".to_owned()),
                Some(id) => inner.colls[kind.index()]
                    .find(id)
                    .ok_or_else(|| format!("Route {id} cannot be found"))
                    .and_then(|at| {
                        inner
                            .update(kind, at, patch.clone(), &WriteOptions::default())
                            .map(|()| at)
                    }),
            };
            match result {
                Ok(at) => {
                    out.ids.push(inner.id_of(kind, at));
                    out.items.push(inner.doc(kind, at));
                }
                Err(message) => out.errors.push(ItemError { index, message }),
            }
        }
        if !out.ids.is_empty() {
            inner.version += 1;
        }
        out.version = inner.version;
        out
    }

    /// Creates one entity (`POST /tasks`); returns it and the store version.
    pub fn create_one(&self, kind: Kind, item: Value) -> Result<(Value, u64), WriteError> {
        let mut inner = self.write();
        let at = inner
            .create(kind, item, &WriteOptions::default())
            .map_err(WriteError::Invalid)?;
        inner.version += 1;
        Ok((inner.doc(kind, at), inner.version))
    }

    /// Merges `patch` into the entity named by `_id` or `uid` (`PUT /tasks/{id}`).
    pub fn update_one(
        &self,
        kind: Kind,
        id_or_uid: &str,
        patch: Value,
    ) -> Result<(Value, u64), WriteError> {
        let Value::Object(patch) = patch else {
            return Err(WriteError::Invalid("Body must be a JSON object".to_owned()));
        };
        let mut inner = self.write();
        let at = inner.colls[kind.index()].find(id_or_uid).ok_or_else(|| {
            WriteError::NotFound(format!("{} {id_or_uid} cannot be found", kind.singular()))
        })?;
        inner
            .update(kind, at, patch, &WriteOptions::default())
            .map_err(WriteError::Invalid)?;
        inner.version += 1;
        Ok((inner.doc(kind, at), inner.version))
    }

    /// Removes the entity named by `_id` or `uid`; returns it and the store version.
    pub fn remove_one(&self, kind: Kind, id_or_uid: &str) -> Result<(Value, u64), WriteError> {
        let mut inner = self.write();
        let at = inner.colls[kind.index()].find(id_or_uid).ok_or_else(|| {
            WriteError::NotFound(format!("{} {id_or_uid} cannot be found", kind.singular()))
        })?;
        let doc = inner.doc(kind, at);
        inner.remove(kind, &mut [at]);
        inner.version += 1;
        Ok((doc, inner.version))
    }
}

// ---------------------------------------------------------------------------------------------
// Durable saving

/// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename,
/// then fsync of the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "state file path has no file name",
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Not every platform can fsync a directory; the rename is done either way.
        let _ = d.sync_all();
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
struct SaveState {
    saved: u64,
    failed: Option<(u64, String)>,
}

/// Saves the store to a file after writes, off the async threads, coalescing
/// saves that pile up while one is running. A write is acknowledged only after
/// [`Persistence::durable`] says its version is on disk.
#[derive(Debug)]
pub struct Persistence {
    path: PathBuf,
    request: watch::Sender<u64>,
    saved: watch::Receiver<SaveState>,
    task: tokio::task::JoinHandle<()>,
}

async fn save_once(store: &Store, path: &Path) -> Result<u64, String> {
    let snapshot = store.snapshot();
    let version = snapshot.version;
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let bytes = snapshot.to_state_json().map_err(|e| e.to_string())?;
        write_atomically(&path, &bytes).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| format!("save task failed: {e}"))??;
    Ok(version)
}

async fn writer(
    store: Store,
    path: PathBuf,
    mut request: watch::Receiver<u64>,
    saved: watch::Sender<SaveState>,
) {
    loop {
        let closed = request.changed().await.is_err();
        let wanted = *request.borrow_and_update();
        if wanted > saved.borrow().saved {
            match save_once(&store, &path).await {
                Ok(version) => saved.send_modify(|s| s.saved = s.saved.max(version)),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "cannot save sandbox state");
                    let version = store.version();
                    saved.send_modify(|s| s.failed = Some((version, e)));
                }
            }
        }
        if closed {
            break;
        }
    }
}

impl Persistence {
    /// Saves the store to `path` now (so a bad path fails at start) and then after
    /// every write that asks for it. Must run inside a tokio runtime.
    pub async fn start(store: Store, path: PathBuf) -> Result<Self, StoreError> {
        let version = save_once(&store, &path)
            .await
            .map_err(|reason| StoreError::SaveState {
                path: path.clone(),
                reason,
            })?;
        let (request_tx, request_rx) = watch::channel(version);
        let (saved_tx, saved_rx) = watch::channel(SaveState {
            saved: version,
            failed: None,
        });
        let task = tokio::spawn(writer(store, path.clone(), request_rx, saved_tx));
        Ok(Self {
            path,
            request: request_tx,
            saved: saved_rx,
            task,
        })
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until the store at `version` (or later) is on disk.
    pub async fn durable(&self, version: u64) -> Result<(), StoreError> {
        let mut saved = self.saved.clone();
        self.request.send_modify(|w| *w = (*w).max(version));
        let state = saved
            .wait_for(|s| {
                s.saved >= version || s.failed.as_ref().is_some_and(|(v, _)| *v >= version)
            })
            .await
            .map_err(|_| StoreError::WriterStopped)?
            .clone();
        match state.failed {
            Some((_, reason)) if state.saved < version => Err(StoreError::SaveState {
                path: self.path.clone(),
                reason,
            }),
            _ => Ok(()),
        }
    }

    /// Stops the writer after it has saved what was asked of it.
    pub async fn shutdown(self) {
        let Persistence { request, task, .. } = self;
        drop(request);
        let _ = task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::new(Collections {
            customers: vec![
                json!({"name": "Alpha", "externalId": "C-1",
                       "locations": [{"name": "HQ", "coordinates": [-2.0, 53.0]}]}),
                json!({"_id": "6a0000000000000000000002", "uid": "CUS-BBBBBBBB", "name": "Beta",
                       "organization": "5f0000000000000000000009"}),
            ],
            routes: vec![json!({"uid": "R-AAAAAAAA", "locked": false})],
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn new_fills_identifiers() {
        let s = store();
        let customers = s.all(Kind::Customers);
        let a = &customers[0];
        assert_eq!(a["_id"].as_str().unwrap().len(), 24);
        assert!(a["uid"].as_str().unwrap().starts_with("CUS-"));
        assert!(
            a["locations"][0]["uid"]
                .as_str()
                .unwrap()
                .starts_with("CL-")
        );
        assert_eq!(a["organization"], "5f0000000000000000000009");
        assert_eq!(customers[1]["uid"], "CUS-BBBBBBBB");
        assert_eq!(
            a.as_object().unwrap().keys().take(2).collect::<Vec<_>>(),
            ["_id", "uid"]
        );
        assert!(s.get(Kind::Customers, "CUS-BBBBBBBB").is_some());
        assert!(s.get(Kind::Customers, "6a0000000000000000000002").is_some());
        assert!(s.get(Kind::Customers, "nope").is_none());
    }

    #[test]
    fn duplicates_and_non_objects_are_refused() {
        let dup = Collections {
            customers: vec![json!({"uid": "CUS-A"}), json!({"uid": "CUS-A"})],
            ..Default::default()
        };
        assert!(matches!(
            Store::new(dup),
            Err(StoreError::BadIdentifier { .. })
        ));
        let bad = Collections {
            tasks: vec![json!(1)],
            ..Default::default()
        };
        assert!(matches!(
            Store::new(bad),
            Err(StoreError::NotAnObject { .. })
        ));
    }

    #[test]
    fn update_many_merges_and_reports_per_item() {
        let s = store();
        let v0 = s.version();
        let out = s.update_many(
            Kind::Customers,
            vec![
                json!({"_id": "6a0000000000000000000002", "contactName": "Ann",
                       "locations": [{"name": "New"}]}),
                json!({"_id": "ffffffffffffffffffffffff", "contactName": "X"}),
                json!({"_id": "6a0000000000000000000002", "uid": "CUS-OTHER"}),
                json!({"_id": "6a0000000000000000000002", "name": ""}),
                json!({"_id": "6a0000000000000000000002",
                       "locations": [{"coordinates": [200, 1]}]}),
                json!({"_id": "6a0000000000000000000002",
                       "locations": [{"schedule": {"Mon": {"timeWindows": [{"start": 600, "end": 500}]}}}]}),
                json!("text"),
                json!({"uid": "CUS-BBBBBBBB"}),
            ],
            &WriteOptions::default(),
        );
        assert_eq!(out.ids, ["6a0000000000000000000002"]);
        let idx: Vec<usize> = out.errors.iter().map(|e| e.index).collect();
        assert_eq!(idx, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            out.errors[0].message,
            "Customer ffffffffffffffffffffffff cannot be found"
        );
        assert!(s.version() > v0);
        let b = s.get(Kind::Customers, "CUS-BBBBBBBB").unwrap();
        assert_eq!(b["contactName"], "Ann");
        assert_eq!(b["name"], "Beta");
        assert!(
            b["locations"][0]["uid"]
                .as_str()
                .unwrap()
                .starts_with("CL-")
        );
    }

    #[test]
    fn location_uids_cannot_be_stolen() {
        let s = store();
        let alpha = s.all(Kind::Customers)[0].clone();
        let cl = alpha["locations"][0]["uid"].as_str().unwrap().to_owned();
        let out = s.update_many(
            Kind::Customers,
            vec![json!({"_id": "6a0000000000000000000002", "locations": [{"uid": cl}]})],
            &WriteOptions::default(),
        );
        assert_eq!(out.errors.len(), 1, "{out:?}");
        // The owner may resend its own location.
        let out = s.update_many(
            Kind::Customers,
            vec![json!({"_id": alpha["_id"], "locations": [{"uid": cl, "name": "HQ2"}]})],
            &WriteOptions::default(),
        );
        assert_eq!(out.errors, []);
    }

    #[test]
    fn tasks_resolve_customers_and_get_defaults() {
        let s = store();
        let out = s.create_many(
            Kind::Tasks,
            vec![
                json!({"date": "20250115", "location": {"address": "1 A St"},
                       "customer": {"externalId": "C-1"}}),
                json!({"date": 20250115, "location": {}, "customer": {"externalId": "C-9"}}),
                json!({"location": {}}),
                json!({"date": 20250115}),
                json!({"date": 20251345, "location": {}}),
                json!({"date": 20250115, "location": {}, "timeWindows": [{"start": 1500, "end": 1600}]}),
            ],
            &WriteOptions::default(),
        );
        assert_eq!(out.ids.len(), 1);
        assert_eq!(
            out.errors[0].message,
            "Customer externalId C-9 cannot be found"
        );
        assert_eq!(
            out.errors.iter().map(|e| e.index).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        let t = &out.items[0];
        assert_eq!(t["date"], 20250115);
        assert_eq!(t["type"], 2);
        assert_eq!(t["state"], 0);
        assert_eq!(t["stateText"], "Created");
        assert_eq!(t["customer"]["uid"], s.all(Kind::Customers)[0]["uid"]);
        assert!(t["uid"].as_str().unwrap().starts_with("T-"));
        assert_eq!(t["dateTimeWindows"], json!([{"date": 20250115}]));

        let uid = t["uid"].as_str().unwrap();
        let (updated, _) = s
            .update_one(Kind::Tasks, uid, json!({"state": 60}))
            .unwrap();
        assert_eq!(updated["stateText"], "Completed");
        assert!(matches!(
            s.update_one(Kind::Tasks, "T-NOPE", json!({})),
            Err(WriteError::NotFound(_))
        ));
        assert!(matches!(
            s.update_one(Kind::Tasks, uid, json!({"date": "soon"})),
            Err(WriteError::Invalid(_))
        ));
        let (_, _) = s.remove_one(Kind::Tasks, uid).unwrap();
        assert!(s.get(Kind::Tasks, uid).is_none());
        assert!(matches!(
            s.remove_one(Kind::Tasks, uid),
            Err(WriteError::NotFound(_))
        ));
    }

    #[test]
    fn reject_field_and_route_lock() {
        let s = store();
        let opts = WriteOptions {
            reject_field: Some(("contactName".to_owned(), "REJECT".to_owned())),
        };
        let out = s.create_many(
            Kind::Customers,
            vec![
                json!({"name": "A", "contactName": "REJECT"}),
                json!({"name": "B", "contactName": "ok"}),
            ],
            &opts,
        );
        assert_eq!(out.ids.len(), 1);
        assert_eq!(
            out.errors,
            [ItemError {
                index: 0,
                message: "Rejected by sandbox fault: contactName = REJECT".to_owned()
            }]
        );
        let out = s.set_route_lock(&[json!("R-AAAAAAAA"), json!("R-NONE"), json!(5)], true);
        assert_eq!(out.ids.len(), 1);
        assert_eq!(out.errors.len(), 2);
        assert_eq!(s.get(Kind::Routes, "R-AAAAAAAA").unwrap()["locked"], true);
        let body = out.to_json(false);
        assert_eq!(body["result"], 1);
        assert!(body.get("items").is_none());
        assert_eq!(out.to_json(true)["items"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn remove_many_by_id_or_uid() {
        let s = store();
        let out = s.remove_many(
            Kind::Customers,
            &[json!("CUS-BBBBBBBB"), json!("CUS-BBBBBBBB"), json!("x")],
        );
        assert_eq!(out.ids, ["6a0000000000000000000002"]);
        assert_eq!(out.errors.len(), 2);
        assert_eq!(s.len(Kind::Customers), 1);
        assert!(s.get(Kind::Customers, "6a0000000000000000000002").is_none());
        // Indexes still point at the right entity after removal.
        let alpha = s.all(Kind::Customers)[0].clone();
        assert_eq!(
            s.get(Kind::Customers, alpha["uid"].as_str().unwrap()),
            Some(alpha)
        );
    }

    #[tokio::test]
    async fn state_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let s = store();
        let p = Persistence::start(s.clone(), path.clone()).await.unwrap();
        let out = s.create_many(
            Kind::Customers,
            vec![json!({"name": "Saved"})],
            &WriteOptions::default(),
        );
        p.durable(out.version).await.unwrap();
        let loaded = Store::load(&path).unwrap();
        assert_eq!(loaded.all(Kind::Customers), s.all(Kind::Customers));
        assert_eq!(loaded.all(Kind::Routes), s.all(Kind::Routes));
        p.shutdown().await;
        let again = Store::load_or_else(Some(&path), || -> Result<Collections, String> {
            Err("seed must not be used".to_owned())
        })
        .unwrap();
        assert_eq!(again.len(Kind::Customers), 3);
        // New ids never collide with loaded ones.
        let out = again.create_many(
            Kind::Customers,
            vec![json!({"name": "N"}); 20],
            &WriteOptions::default(),
        );
        assert_eq!(out.ids.len(), 20);
        std::fs::write(&path, b"{}").unwrap();
        assert!(matches!(
            Store::load(&path),
            Err(StoreError::BadState { .. })
        ));
    }

    #[tokio::test]
    async fn unwritable_state_path_fails_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("state.json");
        assert!(Persistence::start(store(), path).await.is_err());
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date_value(&json!(20240229)), Some(20240229));
        assert_eq!(parse_date_value(&json!("20240229")), Some(20240229));
        assert_eq!(parse_date_value(&json!(20230229)), None);
        assert_eq!(parse_date_value(&json!("2024-02-29")), None);
        assert_eq!(parse_date_value(&json!(-1)), None);
    }
}
