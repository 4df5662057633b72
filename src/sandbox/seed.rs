//! Deterministic seed data for the emulator, built from real premises data.
//!
//! Everything here is a pure function of its input text and `today`: the same
//! CSV and date give byte-identical JSON. Every id and every random choice
//! comes from [`IdGen`] / [`Rng`] with fixed seeds (reading a file in
//! [`from_path`] is the only I/O).
//!
//! # What is seeded
//!
//! * **Customers**: one per CSV row with exactly one location (`CL-` uid).
//!   Tags come from the `source_id` prefix (`nhsbsa-ods:` → `pharmacy`,
//!   `cqc-` → `care-home`, `fhrs-` → `takeaway`, anything else → no tag).
//!   Empty CSV cells become absent members, except `address` and `postCode`,
//!   which stay `""` so the console shows that they are missing. Opening hours
//!   that parse become the eLogii `schedule` object; hours that do not parse give
//!   `"schedule": null` plus the raw text in `openingHoursText`; empty hours give
//!   no `schedule`. Coordinates that do not parse or are out of range are left
//!   out and the raw cells kept in `coordinatesText` (`[lon, lat]` strings).
//! * **One depot** at a fictional site in Trafford Park, Manchester, and
//!   **twelve drivers** with invented names, each with a van whose fictional
//!   registration ends in `QI?` (UK plates never use I or Q there).
//! * **Tasks and routes** for `today` and the next six days.
//!
//! # How the days are planned
//!
//! For each date a deterministic subset of customers gets a delivery task:
//! 150–190 on a weekday, 60–80 on a Saturday, 30–45 on a Sunday. Only
//! customers with coordinates within [`SERVICE_RADIUS_KM`] (60 km) of the depot
//! qualify (so the non-UK fixture seeds customers but no tasks), and a customer
//! with a `schedule` only on a weekday whose opening windows overlap the
//! drivers' shift (08:00–18:30). A scheduled customer's task is planned
//! against that weekday's opening windows; for every other scheduled site
//! (by its place in the data) the task also carries them as its own
//! `timeWindows`, and for the rest it carries none (`[]`), so eLogii (and the
//! console) judge it by the location's `schedule`. Customers without a
//! schedule (care homes, takeaways, or hours that did not parse) get
//! [`DEFAULT_WINDOW`], 09:00–17:00, except that three orders in ten
//! ([`MORNING_SHARE_PERCENT`]) ask for the morning slot [`MORNING_WINDOW`],
//! 09:00–11:00, as real orders do (before the lunchtime medication round,
//! before a kitchen opens).
//!
//! A day's tasks are split among the day's drivers (all twelve on weekdays; a
//! weekend rota of five on Saturday and three on Sunday) by sweeping around the
//! depot by angle into sectors of equal size. Each sector is ordered by a
//! nearest-neighbour tour from the depot. Planned times: a route leaves the
//! depot at [`ROUTE_START`] (08:00); a leg takes the haversine distance ×
//! [`ROAD_FACTOR`] (1.3) at [`AVERAGE_SPEED_KMH`] (25 km/h), rounded to whole
//! minutes; a driver
//! who arrives before a window opens waits for it (`assignment.waitingTime`);
//! then spends `setupDuration` + `serviceDuration` on site. Nothing is
//! adjusted afterwards, so some stops honestly arrive after their last window
//! has closed (late) and some before the first has opened (early). On the
//! demo data a weekday has about 9–20 late stops out of 150–185 (counted by
//! ETA after the last window's end; 2026-12-07 has 20 of 185), spread unevenly
//! (several routes with none, a few with two or three); routes end between
//! about 12:30 and 16:00.
//!
//! Today's tasks carry a deterministic mix of states as a mid-day snapshot:
//! the first stops of each route are done (60 "Completed", a few −20
//! "Failed"), two routes have a driver on site (50 "Arrived at delivery"),
//! the rest are 0 "Created". Later dates are all "Created".
//!
//! # Inferred shapes
//!
//! eLogii does not document the route object or ETA fields
//! (elogii-api.md §8.1.4, §8.7). These are our own inventions: the whole route
//! object (`driver`, `vehicle`, `depot`, `stops`, `start`, `end` in minutes
//! from midnight, `distance` in metres, `duration` in minutes),
//! `assignment.eta` (planned arrival, minutes from midnight),
//! `assignment.waitingTime` (minutes), `assignment.state: 1` for an assigned
//! task, and the task location `type: 1` for a customer location reference.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jiff::civil::{Date, Weekday};
use serde_json::{Map, Number, Value, json};

use crate::domain::schedule::{WeekHours, parse_opening_hours};
use crate::sandbox::ids::{IdGen, Rng};

/// The demo premises (Greater Manchester, Open Government Licence v3.0).
pub const DEMO_CSV: &str = include_str!("../../assets/demo/uk-premises.csv");

/// Roads are longer than the straight line: road distance = haversine × this.
pub const ROAD_FACTOR: f64 = 1.3;
/// Average van speed over a route, including traffic and parking, in km/h.
pub const AVERAGE_SPEED_KMH: f64 = 25.0;
/// Every route leaves the depot at 08:00 (minutes from midnight).
pub const ROUTE_START: i64 = 480;
/// End of the drivers' delivery shift (18:30); customers closed all through
/// `ROUTE_START..SHIFT_END` on a weekday get no task that day.
pub const SHIFT_END: i64 = 1110;
/// Delivery window for customers without opening hours: 09:00–17:00.
pub const DEFAULT_WINDOW: (i64, i64) = (540, 1020);
/// The morning slot (09:00–11:00) that some orders of customers without
/// opening hours ask for instead of [`DEFAULT_WINDOW`].
pub const MORNING_WINDOW: (i64, i64) = (540, 660);
/// Percentage of those orders that ask for [`MORNING_WINDOW`].
pub const MORNING_SHARE_PERCENT: u64 = 30;
/// Customers farther than this from the depot are never given tasks.
pub const SERVICE_RADIUS_KM: f64 = 60.0;
/// Every location's `setupDuration` in minutes.
pub const SETUP_DURATION: i64 = 2;
/// The depot, `[lon, lat]`: a fictional site in Trafford Park, Manchester.
pub const DEPOT_COORDINATES: [f64; 2] = [-2.3200, 53.4650];

/// Seed of the id generator (customers, depot, drivers, tasks, routes in that order).
const ID_SEED: u64 = 0x5EED_0E10_6111_0001;
/// Seed of per-row choices (service durations); mixed with a hash of `source_id`.
const ROW_SEED: u64 = 0x5EED_0E10_6111_0002;
/// Seed of per-date planning; mixed with the date.
const PLAN_SEED: u64 = 0x5EED_0E10_6111_0003;
/// Seed of [`synthetic`] premises.
const SYNTHETIC_SEED: u64 = 0x5EED_0E10_6111_0004;
/// The first task reference number (`SO100001`).
const FIRST_REFERENCE: u64 = 100_001;
const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// The CSV columns, in file order.
const COLUMNS: [&str; 11] = [
    "source_id",
    "name",
    "address",
    "address_line2",
    "postcode",
    "city",
    "country",
    "lon",
    "lat",
    "opening_hours",
    "phone",
];

/// Invented drivers: `(first name, last name)`.
const DRIVERS: [(&str, &str); 12] = [
    ("Aisha", "Marlowe"),
    ("Tomasz", "Wrenfield"),
    ("Niamh", "Okoro"),
    ("Ravi", "Pemberton"),
    ("Chloe", "Haddad"),
    ("Declan", "Ashby"),
    ("Mei", "Sandford"),
    ("Kwame", "Hollins"),
    ("Sofia", "Brannigan"),
    ("Imran", "Castleton"),
    ("Bethany", "Ravensworth"),
    ("Oluwaseun", "Pike"),
];

/// Everything the emulator starts with, as eLogii JSON entities.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeedData {
    /// Customers, one location each.
    pub customers: Vec<Value>,
    /// Depots (one when seeded from premises).
    pub depots: Vec<Value>,
    /// Drivers with vehicles and schedules.
    pub drivers: Vec<Value>,
    /// Delivery tasks for today and the next six days.
    pub tasks: Vec<Value>,
    /// Routes grouping those tasks, one per working driver and date.
    pub routes: Vec<Value>,
}

/// Why seed data could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path} is not UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// The CSV header lacks a required column.
    #[error("the CSV header has no `{column}` column")]
    MissingColumn {
        /// The missing column's name.
        column: String,
    },
    /// A CSV row could not be read.
    #[error("bad CSV row at line {line}: {message}")]
    Csv {
        /// 1-based line of the row (the header is line 1); 0 when unknown.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// The JSON seed file is malformed.
    #[error("bad JSON seed: {0}")]
    Json(String),
}

/// Seed data from the bundled demo premises ([`DEMO_CSV`]).
pub fn demo(today: Date) -> Result<SeedData, SeedError> {
    from_premises_csv(DEMO_CSV, today)
}

/// Seed data from premises CSV text with the columns
/// `source_id,name,address,address_line2,postcode,city,country,lon,lat,opening_hours,phone`
/// (a header row, in any order; RFC 4180 quoting).
pub fn from_premises_csv(text: &str, today: Date) -> Result<SeedData, SeedError> {
    let rows = parse_csv(text)?;
    Ok(build(&rows, today))
}

/// Seed data from a file: a premises CSV (see [`from_premises_csv`]), or a JSON
/// object `{"customers":[…],"tasks":[…],"routes":[…],"drivers":[…],"depots":[…]}`
/// taken as it is (missing keys are empty). A file is JSON when its name ends
/// in `.json` or its text starts with `{`.
pub fn from_path(path: &Path, today: Date) -> Result<SeedData, SeedError> {
    let bytes = std::fs::read(path).map_err(|source| SeedError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| SeedError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let is_json_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json_name || text.trim_start().starts_with('{') {
        from_json(text)
    } else {
        from_premises_csv(text, today)
    }
}

/// `n` synthetic customers around Greater Manchester (invented names, streets
/// and postcodes in real district formats, fictional phone numbers from
/// Ofcom's drama range), with the same depot, drivers, tasks and routes as
/// [`from_premises_csv`] would make from them. For benchmarks.
pub fn synthetic(n: usize, today: Date) -> SeedData {
    let rows = synthetic_rows(n);
    build(&rows, today)
}

// ---------------------------------------------------------------------------
// Input

/// One premises row, cells verbatim.
#[derive(Debug, Clone, Default)]
struct Row {
    source_id: String,
    name: String,
    address: String,
    address_line2: String,
    postcode: String,
    city: String,
    country: String,
    lon: String,
    lat: String,
    opening_hours: String,
    phone: String,
}

fn parse_csv(text: &str) -> Result<Vec<Row>, SeedError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(csv_error)?.clone();
    let mut index = [0usize; COLUMNS.len()];
    for (slot, column) in index.iter_mut().zip(COLUMNS) {
        *slot = headers
            .iter()
            .position(|h| h.trim() == column)
            .ok_or_else(|| SeedError::MissingColumn {
                column: column.to_string(),
            })?;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let cell = |i: usize| record.get(index[i]).unwrap_or("").to_string();
        rows.push(Row {
            source_id: cell(0),
            name: cell(1),
            address: cell(2),
            address_line2: cell(3),
            postcode: cell(4),
            city: cell(5),
            country: cell(6),
            lon: cell(7),
            lat: cell(8),
            opening_hours: cell(9),
            phone: cell(10),
        });
    }
    Ok(rows)
}

fn csv_error(e: csv::Error) -> SeedError {
    let line = e.position().map_or(0, |p| p.line());
    SeedError::Csv {
        line,
        message: e.to_string(),
    }
}

fn from_json(text: &str) -> Result<SeedData, SeedError> {
    let value: Value = serde_json::from_str(text).map_err(|e| SeedError::Json(e.to_string()))?;
    let Value::Object(mut object) = value else {
        return Err(SeedError::Json("the top level must be an object".into()));
    };
    let mut take = |key: &str| -> Result<Vec<Value>, SeedError> {
        match object.remove(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(SeedError::Json(format!("`{key}` must be an array"))),
        }
    };
    Ok(SeedData {
        customers: take("customers")?,
        depots: take("depots")?,
        drivers: take("drivers")?,
        tasks: take("tasks")?,
        routes: take("routes")?,
    })
}

// ---------------------------------------------------------------------------
// Building

/// Ids that never repeat within one seed: `_id`s are unique by construction,
/// uids are re-drawn on the (rare) collision.
struct Ids {
    generator: IdGen,
    used: HashSet<String>,
}

impl Ids {
    fn new() -> Self {
        Self {
            generator: IdGen::new(ID_SEED),
            used: HashSet::new(),
        }
    }

    fn object_id(&mut self) -> String {
        self.generator.object_id()
    }

    fn uid(&mut self, prefix: &str) -> String {
        loop {
            let uid = self.generator.uid(prefix);
            if self.used.insert(uid.clone()) {
                return uid;
            }
        }
    }
}

/// Opening hours of a site as far as planning cares.
enum Hours {
    /// Parsed weekly hours.
    Week(WeekHours),
    /// No usable hours (empty or unparsed): the default window every day.
    Unknown,
}

/// What planning needs to know about one customer location.
struct Site {
    customer_ref: Value,
    location_ref: Value,
    point: Option<(f64, f64)>,
    hours: Hours,
    service: i64,
}

struct Driver {
    uid: String,
    first: &'static str,
    last: &'static str,
    vehicle: Value,
}

fn build(rows: &[Row], today: Date) -> SeedData {
    let mut ids = Ids::new();
    let mut customers = Vec::with_capacity(rows.len());
    let mut sites = Vec::with_capacity(rows.len());
    for row in rows {
        let (customer, site) = customer_from_row(row, &mut ids);
        customers.push(customer);
        sites.push(site);
    }
    let (depot, depot_uid) = make_depot(&mut ids);
    let (drivers_json, drivers) = make_drivers(&mut ids, &depot_uid);

    let mut tasks = Vec::new();
    let mut routes = Vec::new();
    let mut next_reference = FIRST_REFERENCE;
    for offset in 0..7i64 {
        let Ok(date) = today.checked_add(jiff::Span::new().days(offset)) else {
            break;
        };
        plan_day(
            &mut DayPlan {
                ids: &mut ids,
                sites: &sites,
                drivers: &drivers,
                depot_uid: &depot_uid,
                next_reference: &mut next_reference,
                tasks: &mut tasks,
                routes: &mut routes,
            },
            date,
            offset == 0,
        );
    }
    SeedData {
        customers,
        depots: vec![depot],
        drivers: drivers_json,
        tasks,
        routes,
    }
}

fn non_empty(s: &str) -> Option<&str> {
    if s.trim().is_empty() { None } else { Some(s) }
}

fn tag_for(source_id: &str) -> Option<&'static str> {
    if source_id.starts_with("nhsbsa-ods:") {
        Some("pharmacy")
    } else if source_id.starts_with("cqc-") {
        Some("care-home")
    } else if source_id.starts_with("fhrs-") {
        Some("takeaway")
    } else {
        None
    }
}

/// FNV-1a, for stable per-row choices.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn parse_point(lon: &str, lat: &str) -> Option<(f64, f64)> {
    let lon: f64 = lon.trim().parse().ok()?;
    let lat: f64 = lat.trim().parse().ok()?;
    let ok = lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat);
    ok.then_some((lon, lat))
}

fn coordinates_json(lon: f64, lat: f64) -> Value {
    match (Number::from_f64(lon), Number::from_f64(lat)) {
        (Some(a), Some(b)) => Value::Array(vec![Value::Number(a), Value::Number(b)]),
        _ => Value::Null,
    }
}

fn customer_from_row(row: &Row, ids: &mut Ids) -> (Value, Site) {
    let customer_id = ids.object_id();
    let customer_uid = ids.uid("CUS");
    let location_uid = ids.uid("CL");
    let mut per_row = Rng::new(ROW_SEED ^ fnv1a(&row.source_id));
    let service = 5 + per_row.below(11) as i64;

    let phone = non_empty(&row.phone);
    let mut location = Map::new();
    location.insert("uid".into(), json!(location_uid));
    if let Some(name) = non_empty(&row.name) {
        location.insert("name".into(), json!(name));
    }
    location.insert("address".into(), json!(row.address));
    if let Some(line2) = non_empty(&row.address_line2) {
        location.insert("addressLine2".into(), json!(line2));
    }
    location.insert("postCode".into(), json!(row.postcode));
    if let Some(city) = non_empty(&row.city) {
        location.insert("city".into(), json!(city));
    }
    if let Some(country) = non_empty(&row.country) {
        location.insert("country".into(), json!(country));
    }
    let point = parse_point(&row.lon, &row.lat);
    match point {
        Some((lon, lat)) => {
            location.insert("coordinates".into(), coordinates_json(lon, lat));
        }
        None if non_empty(&row.lon).is_some() || non_empty(&row.lat).is_some() => {
            location.insert("coordinatesText".into(), json!([row.lon, row.lat]));
        }
        None => {}
    }
    if let Some(phone) = phone {
        location.insert("contactPhone".into(), json!(phone));
    }
    let hours = match non_empty(&row.opening_hours) {
        None => Hours::Unknown,
        Some(text) => match parse_opening_hours(text)
            .ok()
            .and_then(|week| Some((serde_json::to_value(week.to_schedule()).ok()?, week)))
        {
            Some((schedule, week)) => {
                location.insert("schedule".into(), schedule);
                Hours::Week(week)
            }
            None => {
                location.insert("schedule".into(), Value::Null);
                location.insert("openingHoursText".into(), json!(text));
                Hours::Unknown
            }
        },
    };
    location.insert("setupDuration".into(), json!(SETUP_DURATION));
    location.insert("serviceDuration".into(), json!(service));

    let mut location_ref = Map::new();
    location_ref.insert("type".into(), json!(1));
    for key in [
        "uid",
        "name",
        "address",
        "addressLine2",
        "postCode",
        "city",
        "country",
        "coordinates",
    ] {
        if let Some(v) = location.get(key) {
            location_ref.insert(key.into(), v.clone());
        }
    }

    let mut customer = Map::new();
    customer.insert("_id".into(), json!(customer_id));
    customer.insert("uid".into(), json!(customer_uid));
    if let Some(source) = non_empty(&row.source_id) {
        customer.insert("externalId".into(), json!(source));
    }
    if let Some(name) = non_empty(&row.name) {
        customer.insert("name".into(), json!(name));
    }
    let tags: Vec<&str> = tag_for(&row.source_id).into_iter().collect();
    customer.insert("tags".into(), json!(tags));
    if let Some(phone) = phone {
        customer.insert("contactPhone".into(), json!(phone));
    }
    customer.insert("locations".into(), json!([Value::Object(location)]));

    let mut customer_ref = Map::new();
    customer_ref.insert("_id".into(), json!(customer_id));
    customer_ref.insert("uid".into(), json!(customer_uid));
    if let Some(source) = non_empty(&row.source_id) {
        customer_ref.insert("externalId".into(), json!(source));
    }

    let site = Site {
        customer_ref: Value::Object(customer_ref),
        location_ref: Value::Object(location_ref),
        point,
        hours,
        service,
    };
    (Value::Object(customer), site)
}

fn make_depot(ids: &mut Ids) -> (Value, String) {
    let id = ids.object_id();
    let uid = ids.uid("DEP");
    let depot = json!({
        "_id": id,
        "uid": uid,
        "externalId": "DEPOT-TP",
        "name": "Trafford Park Depot",
        "address": "Unit 9, Kestrel Trade Park",
        "addressLine2": "Westinghouse Road, Trafford Park",
        "postCode": "M17 1PY",
        "city": "Manchester",
        "country": "GB",
        "coordinates": coordinates_json(DEPOT_COORDINATES[0], DEPOT_COORDINATES[1]),
        "instructions": "Goods-in via the yard gate; vans load from bay 3",
    });
    (depot, uid)
}

/// Drivers on a weekend day, as indexes into [`DRIVERS`].
fn rota(weekday: Weekday) -> std::ops::Range<usize> {
    match weekday {
        Weekday::Saturday => 0..5,
        Weekday::Sunday => 5..8,
        _ => 0..DRIVERS.len(),
    }
}

fn make_drivers(ids: &mut Ids, depot_uid: &str) -> (Vec<Value>, Vec<Driver>) {
    let depot_ref = json!({
        "type": 0,
        "uid": depot_uid,
        "name": "Trafford Park Depot",
        "coordinates": coordinates_json(DEPOT_COORDINATES[0], DEPOT_COORDINATES[1]),
    });
    let shift = json!({ "timeWindows": [{ "start": 450, "end": 1110 }] });
    let mut json_out = Vec::with_capacity(DRIVERS.len());
    let mut drivers = Vec::with_capacity(DRIVERS.len());
    for (i, (first, last)) in DRIVERS.iter().enumerate() {
        let id = ids.object_id();
        let uid = ids.uid("DR");
        let vehicle = json!({
            "name": format!("Van {:02}", i + 1),
            // `I` and `Q` never appear in the last three letters of a UK plate.
            "registration": format!("EL24 QI{}", char::from(b'A' + i as u8)),
            "category": 5,
        });
        let mut schedule = Map::new();
        for day in ["Mon", "Tue", "Wed", "Thu", "Fri"] {
            schedule.insert(day.into(), shift.clone());
        }
        if rota(Weekday::Saturday).contains(&i) {
            schedule.insert("Sat".into(), shift.clone());
        }
        if rota(Weekday::Sunday).contains(&i) {
            schedule.insert("Sun".into(), shift.clone());
        }
        json_out.push(json!({
            "_id": id,
            "uid": uid,
            "firstName": first,
            "lastName": last,
            "startLocation": depot_ref,
            "endLocation": depot_ref,
            "vehicle": vehicle,
            "schedule": Value::Object(schedule),
        }));
        drivers.push(Driver {
            uid,
            first,
            last,
            vehicle,
        });
    }
    (json_out, drivers)
}

// ---------------------------------------------------------------------------
// Planning

struct DayPlan<'a> {
    ids: &'a mut Ids,
    sites: &'a [Site],
    drivers: &'a [Driver],
    depot_uid: &'a str,
    next_reference: &'a mut u64,
    tasks: &'a mut Vec<Value>,
    routes: &'a mut Vec<Value>,
}

/// A picked site with its windows for the day.
struct Stop {
    site: usize,
    windows: Vec<(i64, i64)>,
    point: (f64, f64),
    /// The task carries the windows as its own `timeWindows` (else `[]`:
    /// the location's opening hours apply).
    own_windows: bool,
}

/// Where a task ended up in the plan.
#[derive(Clone, Copy)]
struct Planned {
    /// Index of the route among the day's routes.
    route: usize,
    /// 1-based stop number.
    order: i64,
    /// Planned arrival, minutes from midnight.
    eta: i64,
    /// Minutes spent waiting for the window to open.
    wait: i64,
}

fn date_number(date: Date) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

/// Great-circle distance in metres.
fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Road distance in metres and driving time in whole minutes.
fn leg(a: (f64, f64), b: (f64, f64)) -> (f64, i64) {
    let road_m = haversine_m(a, b) * ROAD_FACTOR;
    let minutes = (road_m / 1000.0 / AVERAGE_SPEED_KMH * 60.0).round() as i64;
    (road_m, minutes)
}

fn day_windows(site: &Site, weekday: usize) -> Vec<(i64, i64)> {
    match &site.hours {
        Hours::Week(week) => week.days.get(weekday).cloned().unwrap_or_default(),
        Hours::Unknown => vec![DEFAULT_WINDOW],
    }
}

fn plan_day(plan: &mut DayPlan<'_>, date: Date, is_today: bool) {
    let weekday = date.weekday();
    let day_index = weekday.to_monday_zero_offset() as usize;
    let date_int = date_number(date);
    let mut rng = Rng::new(PLAN_SEED ^ (date_int as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let depot = (DEPOT_COORDINATES[0], DEPOT_COORDINATES[1]);

    let mut eligible: Vec<Stop> = Vec::new();
    for (i, site) in plan.sites.iter().enumerate() {
        let Some(point) = site.point else { continue };
        if haversine_m(depot, point) > SERVICE_RADIUS_KM * 1000.0 {
            continue;
        }
        let windows = day_windows(site, day_index);
        if !windows
            .iter()
            .any(|&(s, e)| s < SHIFT_END && e > ROUTE_START)
        {
            continue;
        }
        let own_windows = !matches!(site.hours, Hours::Week(_)) || i % 2 == 0;
        eligible.push(Stop {
            site: i,
            windows,
            point,
            own_windows,
        });
    }
    let target = match weekday {
        Weekday::Saturday => 60 + rng.below(21),
        Weekday::Sunday => 30 + rng.below(16),
        _ => 150 + rng.below(41),
    } as usize;
    let target = target.min(eligible.len());
    // Partial Fisher–Yates: the first `target` entries are the day's picks,
    // in the order the orders "came in".
    for i in 0..target {
        let j = i + rng.below((eligible.len() - i) as u64) as usize;
        eligible.swap(i, j);
    }
    eligible.truncate(target);
    let mut stops = eligible;
    if stops.is_empty() {
        return;
    }
    for stop in &mut stops {
        if matches!(plan.sites[stop.site].hours, Hours::Unknown)
            && rng.below(100) < MORNING_SHARE_PERCENT
        {
            stop.windows = vec![MORNING_WINDOW];
        }
    }

    let task_ids: Vec<(String, String, u64)> = stops
        .iter()
        .map(|_| {
            let reference = *plan.next_reference;
            *plan.next_reference += 1;
            (plan.ids.object_id(), plan.ids.uid("T"), reference)
        })
        .collect();
    let sizes: Vec<u64> = stops.iter().map(|_| 2 + rng.below(39)).collect();

    let day_drivers = &plan.drivers[rota(weekday)];
    let sectors = sweep(&stops, depot, day_drivers.len().min(stops.len()));

    let mut assigned: Vec<Option<Planned>> = vec![None; stops.len()];
    let mut route_uids = Vec::with_capacity(sectors.len());
    let mut route_orders: Vec<Vec<usize>> = Vec::with_capacity(sectors.len());
    for (r, sector) in sectors.iter().enumerate() {
        let Some(driver) = day_drivers.get(r) else {
            break;
        };
        let order = nearest_neighbour(&stops, sector, depot);
        let route_id = plan.ids.object_id();
        let route_uid = plan.ids.uid("R");
        let n = order.len() as i64;
        let mut clock = ROUTE_START;
        let mut here = depot;
        let mut distance = 0.0;
        for (k, &s) in order.iter().enumerate() {
            let stop = &stops[s];
            let (metres, minutes) = leg(here, stop.point);
            distance += metres;
            let arrival = clock + minutes;
            let wait = stop
                .windows
                .iter()
                .find(|&&(_, end)| end >= arrival)
                .map_or(0, |&(start, _)| (start - arrival).max(0));
            let k = k as i64 + 1;
            assigned[s] = Some(Planned {
                route: r,
                order: k,
                eta: arrival,
                wait,
            });
            clock = arrival + wait + SETUP_DURATION + plan.sites[stop.site].service;
            here = stop.point;
        }
        let (metres, minutes) = leg(here, depot);
        distance += metres;
        let end = clock + minutes;
        plan.routes.push(json!({
            "_id": route_id,
            "uid": route_uid,
            "name": format!("{} {}", driver.first, date),
            "date": date_int,
            "locked": false,
            "driver": { "uid": driver.uid, "firstName": driver.first, "lastName": driver.last },
            "vehicle": driver.vehicle,
            "depot": { "uid": plan.depot_uid },
            "stops": n,
            "start": ROUTE_START,
            "end": end,
            "distance": distance.round() as i64,
            "duration": end - ROUTE_START,
        }));
        route_uids.push(route_uid);
        route_orders.push(order);
    }

    let states = if is_today {
        today_states(&route_orders, stops.len(), &mut rng)
    } else {
        vec![0; stops.len()]
    };

    for (i, stop) in stops.iter().enumerate() {
        let site = &plan.sites[stop.site];
        let (id, uid, reference) = &task_ids[i];
        let state = states.get(i).copied().unwrap_or(0);
        let windows: Vec<Value> = stop
            .windows
            .iter()
            .filter(|_| stop.own_windows)
            .map(|&(start, end)| json!({ "start": start, "end": end }))
            .collect();
        let mut task = Map::new();
        task.insert("_id".into(), json!(id));
        task.insert("uid".into(), json!(uid));
        task.insert("reference".into(), json!(format!("SO{reference}")));
        task.insert("type".into(), json!(2));
        task.insert("date".into(), json!(date_int));
        task.insert("state".into(), json!(state));
        task.insert("stateText".into(), json!(state_text(state)));
        task.insert("timeWindows".into(), Value::Array(windows));
        task.insert("location".into(), site.location_ref.clone());
        task.insert("customer".into(), site.customer_ref.clone());
        task.insert("serviceDuration".into(), json!(site.service));
        task.insert("size".into(), json!({ "Weight": sizes[i] }));
        let assignment = match assigned[i] {
            Some(Planned {
                route: r,
                order,
                eta,
                wait,
            }) => {
                let driver = &day_drivers[r];
                let loading = route_orders[r].len() as i64 - order + 1;
                json!({
                    "state": 1,
                    "assignee": { "info": {
                        "uid": driver.uid, "firstName": driver.first, "lastName": driver.last,
                    } },
                    "routeUID": route_uids[r],
                    "routeOrder": order,
                    "loadingOrder": loading,
                    "eta": eta,
                    "waitingTime": wait,
                })
            }
            None => json!({ "state": 0 }),
        };
        task.insert("assignment".into(), assignment);
        plan.tasks.push(Value::Object(task));
    }
}

fn state_text(state: i64) -> &'static str {
    match state {
        60 => "Completed",
        50 => "Arrived at delivery",
        -20 => "Failed",
        _ => "Created",
    }
}

/// A mid-day snapshot: each route has done its first few stops (a few of them
/// failed), two routes have their driver on site at the next stop.
fn today_states(routes: &[Vec<usize>], n_tasks: usize, rng: &mut Rng) -> Vec<i64> {
    let mut states = vec![0i64; n_tasks];
    let mut next_stops = Vec::new();
    for order in routes {
        let done = rng.below(order.len() as u64 * 2 / 5 + 1) as usize;
        for &s in order.iter().take(done) {
            states[s] = if rng.below(100) < 8 { -20 } else { 60 };
        }
        if let Some(&next) = order.get(done) {
            next_stops.push(next);
        }
    }
    for _ in 0..2 {
        if next_stops.is_empty() {
            break;
        }
        let pick = rng.below(next_stops.len() as u64) as usize;
        let s = next_stops.swap_remove(pick);
        states[s] = 50;
    }
    states
}

/// Splits stops into `k` sectors of (nearly) equal size by their angle around
/// the depot, starting after the widest empty angle.
fn sweep(stops: &[Stop], depot: (f64, f64), k: usize) -> Vec<Vec<usize>> {
    if k == 0 || stops.is_empty() {
        return Vec::new();
    }
    let scale = depot.1.to_radians().cos();
    let mut by_angle: Vec<(f64, usize)> = stops
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                (s.point.1 - depot.1).atan2((s.point.0 - depot.0) * scale),
                i,
            )
        })
        .collect();
    by_angle.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let n = by_angle.len();
    let mut start = 0;
    let mut widest = f64::MIN;
    for i in 0..n {
        let next = by_angle[(i + 1) % n].0;
        let gap = if i + 1 == n {
            next + std::f64::consts::TAU - by_angle[i].0
        } else {
            next - by_angle[i].0
        };
        if gap > widest {
            widest = gap;
            start = (i + 1) % n;
        }
    }
    let mut sectors = Vec::with_capacity(k);
    let mut taken = 0;
    for r in 0..k {
        let size = n / k + usize::from(r < n % k);
        sectors.push(
            (taken..taken + size)
                .map(|j| by_angle[(start + j) % n].1)
                .collect(),
        );
        taken += size;
    }
    sectors
}

/// Orders a sector by repeatedly driving to the nearest unvisited stop.
fn nearest_neighbour(stops: &[Stop], sector: &[usize], depot: (f64, f64)) -> Vec<usize> {
    let mut left: Vec<usize> = sector.to_vec();
    let mut order = Vec::with_capacity(left.len());
    let mut here = depot;
    while !left.is_empty() {
        let mut best = 0;
        let mut best_d = f64::INFINITY;
        for (j, &s) in left.iter().enumerate() {
            let d = haversine_m(here, stops[s].point);
            if d < best_d {
                best_d = d;
                best = j;
            }
        }
        let s = left.remove(best);
        here = stops[s].point;
        order.push(s);
    }
    order
}

// ---------------------------------------------------------------------------
// Synthetic premises

/// Towns of Greater Manchester: name, centre `[lon, lat]`, postcode districts.
const TOWNS: [(&str, f64, f64, &[&str]); 20] = [
    (
        "Manchester",
        -2.2426,
        53.4808,
        &[
            "M1", "M2", "M3", "M4", "M8", "M9", "M11", "M12", "M13", "M14", "M15", "M16", "M18",
            "M19", "M21", "M40",
        ],
    ),
    ("Salford", -2.2900, 53.4875, &["M5", "M6", "M7"]),
    (
        "Stockport",
        -2.1575,
        53.4106,
        &["SK1", "SK2", "SK3", "SK4", "SK5"],
    ),
    ("Bolton", -2.4282, 53.5769, &["BL1", "BL2", "BL3"]),
    ("Bury", -2.2969, 53.5933, &["BL8", "BL9"]),
    ("Rochdale", -2.1561, 53.6097, &["OL11", "OL12", "OL16"]),
    ("Oldham", -2.1183, 53.5409, &["OL1", "OL4", "OL8", "OL9"]),
    (
        "Wigan",
        -2.6325,
        53.5448,
        &["WN1", "WN2", "WN3", "WN5", "WN6"],
    ),
    ("Altrincham", -2.3487, 53.3870, &["WA14", "WA15"]),
    ("Sale", -2.3210, 53.4246, &["M33"]),
    ("Stretford", -2.3150, 53.4460, &["M32"]),
    ("Ashton-under-Lyne", -2.0980, 53.4880, &["OL6", "OL7"]),
    ("Hyde", -2.0790, 53.4510, &["SK14"]),
    ("Leigh", -2.5190, 53.4970, &["WN7"]),
    ("Urmston", -2.3540, 53.4480, &["M41"]),
    ("Didsbury", -2.2310, 53.4170, &["M20"]),
    ("Eccles", -2.3340, 53.4830, &["M30"]),
    ("Middleton", -2.2010, 53.5550, &["M24"]),
    ("Prestwich", -2.2830, 53.5330, &["M25"]),
    ("Wythenshawe", -2.2640, 53.3900, &["M22", "M23"]),
];

const STREET_NAMES: [&str; 24] = [
    "Ashworth",
    "Birchfield",
    "Coppice",
    "Dalebrook",
    "Elmridge",
    "Fernhill",
    "Greystoke",
    "Hollinwood",
    "Ivydene",
    "Kingsmere",
    "Larkhill",
    "Meadowbank",
    "Northfold",
    "Oakenshaw",
    "Primrose",
    "Queensway",
    "Rosedale",
    "Sandbrook",
    "Thornleigh",
    "Upperdale",
    "Valebrook",
    "Willowmere",
    "Yewtree",
    "Brambling",
];
const STREET_KINDS: [&str; 8] = [
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Grove", "Parade",
];
const SURNAMES: [&str; 16] = [
    "Ainsworth",
    "Brennan",
    "Chadwick",
    "Duckworth",
    "Entwistle",
    "Fairclough",
    "Greenhalgh",
    "Hargreaves",
    "Ingham",
    "Kershaw",
    "Lomax",
    "Mellor",
    "Nuttall",
    "Ormerod",
    "Pilkington",
    "Schofield",
];
const HOME_WORDS: [&str; 12] = [
    "Beech", "Cedar", "Heather", "Laurel", "Maple", "Orchard", "Rowan", "Sycamore", "Willow",
    "Hawthorn", "Linden", "Juniper",
];
const HOME_KINDS: [&str; 6] = ["Lodge", "House", "Court", "Manor", "Gardens", "View"];
const FOOD_WORDS: [&str; 12] = [
    "Golden", "Lucky", "Royal", "Happy", "Star", "Corner", "Village", "Express", "Bella", "Dragon",
    "Sunrise", "Crown",
];
const FOOD_KINDS: [&str; 8] = [
    "Chippy",
    "Pizza",
    "Kebab House",
    "Grill",
    "Wok",
    "Fried Chicken",
    "Fish Bar",
    "Balti",
];
/// Letters allowed in the inward part of a UK postcode.
const POSTCODE_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
/// Pharmacy hours in the demo file's style.
const PHARMACY_HOURS: [&str; 5] = [
    "Mo 09:00-18:00; Tu 09:00-18:00; We 09:00-18:00; Th 09:00-18:00; Fr 09:00-18:00; Sa 09:00-13:00; Su off",
    "Mo 08:30-13:00,14:00-17:30; Tu 08:30-13:00,14:00-17:30; We 08:30-13:00,14:00-17:30; Th 08:30-13:00,14:00-17:30; Fr 08:30-13:00,14:00-17:30; Sa 09:00-12:30; Su off",
    "Mo 09:00-17:30; Tu 09:00-17:30; We 09:00-13:00; Th 09:00-17:30; Fr 09:00-17:30; Sa off; Su off",
    "Mo 08:00-22:00; Tu 08:00-22:00; We 08:00-22:00; Th 08:00-22:00; Fr 08:00-22:00; Sa 08:00-22:00; Su 10:00-16:00",
    "Mo 09:00-12:30,13:30-18:00; Tu 09:00-12:30,13:30-18:00; We 09:00-12:30,13:30-18:00; Th 09:00-12:30,13:30-18:00; Fr 09:00-12:30,13:30-18:00; Sa 09:00-12:00; Su off",
];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items
        .get(rng.below(items.len() as u64) as usize)
        .copied()
        .unwrap_or_default()
}

fn synthetic_rows(n: usize) -> Vec<Row> {
    let mut rng = Rng::new(SYNTHETIC_SEED);
    (0..n)
        .map(|i| {
            let (town, lon, lat, districts) = TOWNS[rng.below(TOWNS.len() as u64) as usize];
            let district = pick(&mut rng, districts);
            let letter = |rng: &mut Rng| {
                char::from(POSTCODE_LETTERS[rng.below(POSTCODE_LETTERS.len() as u64) as usize])
            };
            let postcode = format!(
                "{district} {}{}{}",
                rng.below(10),
                letter(&mut rng),
                letter(&mut rng)
            );
            let street = format!(
                "{} {}",
                pick(&mut rng, &STREET_NAMES),
                pick(&mut rng, &STREET_KINDS)
            );
            let address = format!("{} {street}", 1 + rng.below(240));
            let lon = lon + (rng.next_f64() - 0.5) * 0.06;
            let lat = lat + (rng.next_f64() - 0.5) * 0.04;
            let kind = rng.below(100);
            let (source, name, hours, phone) = if kind < 43 {
                let name = if rng.below(2) == 0 {
                    format!("{} Pharmacy", pick(&mut rng, &SURNAMES))
                } else {
                    format!("{} Chemist", pick(&mut rng, &STREET_NAMES))
                };
                (
                    "nhsbsa-ods:SYN",
                    name,
                    pick(&mut rng, &PHARMACY_HOURS),
                    String::new(),
                )
            } else if kind < 81 {
                let name = format!(
                    "{} {} Care Home",
                    pick(&mut rng, &HOME_WORDS),
                    pick(&mut rng, &HOME_KINDS)
                );
                // Ofcom reserves 0161 496 0000–0999 for drama: never a real line.
                let phone = format!("0161 496 0{:03}", rng.below(1000));
                ("cqc-synthetic", name, "", phone)
            } else {
                let name = format!(
                    "{} {}",
                    pick(&mut rng, &FOOD_WORDS),
                    pick(&mut rng, &FOOD_KINDS)
                );
                ("fhrs-synthetic", name, "", String::new())
            };
            Row {
                source_id: format!("{source}:{i}"),
                name,
                address,
                address_line2: String::new(),
                postcode,
                city: town.to_string(),
                country: "GB".to_string(),
                lon: format!("{lon:.6}"),
                lat: format!("{lat:.6}"),
                opening_hours: hours.to_string(),
                phone,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_a_known_distance() {
        // Manchester Piccadilly to Stockport station, about 9.1 km apart.
        let d = haversine_m((-2.2309, 53.4774), (-2.1639, 53.4053));
        assert!((8_800.0..9_400.0).contains(&d), "{d}");
    }

    #[test]
    fn sweep_covers_every_stop_once_in_balanced_sectors() {
        let stops: Vec<Stop> = (0..37)
            .map(|i| {
                let a = f64::from(i) * 0.7;
                Stop {
                    site: i as usize,
                    windows: vec![],
                    own_windows: true,
                    point: (-2.32 + a.cos() * 0.1, 53.465 + a.sin() * 0.05),
                }
            })
            .collect();
        let sectors = sweep(&stops, (-2.32, 53.465), 12);
        assert_eq!(sectors.len(), 12);
        let mut all: Vec<usize> = sectors.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..37).collect::<Vec<_>>());
        assert!(sectors.iter().all(|s| s.len() == 3 || s.len() == 4));
    }

    #[test]
    fn bad_coordinates_are_rejected() {
        assert_eq!(parse_point("-2.5", "53.1"), Some((-2.5, 53.1)));
        assert_eq!(parse_point("200", "53.1"), None);
        assert_eq!(parse_point("x", "53.1"), None);
        assert_eq!(parse_point("NaN", "53.1"), None);
        assert_eq!(parse_point("", ""), None);
    }
}
