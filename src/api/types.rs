//! Serde models of eLogii's entities. Typed members for what the console shows
//! or edits, and `extra` at every object level so no field is ever lost.
//!
//! Every member is a [`Field`]: absent stays absent, `null` stays `null`,
//! numbers keep their JSON form (`serde_json::Number`), postcodes stay strings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

pub use super::field::Field;

/// Members of an object that the typed model does not name.
pub type Extra = Map<String, Value>;

/// A time window in minutes from midnight; `end` may run past 1440 (next day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Start, minutes from midnight (0..=1440).
    pub start: i64,
    /// End, minutes from midnight (up to 2880: past midnight).
    pub end: i64,
    /// Anything else the API put in the window.
    #[serde(flatten)]
    pub extra: Extra,
}

impl TimeWindow {
    /// A window with no extra members.
    pub fn new(start: i64, end: i64) -> Self {
        Self {
            start,
            end,
            extra: Extra::new(),
        }
    }
}

/// One day of a weekly schedule.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScheduleDay {
    /// The day's opening (or working) windows.
    #[serde(
        rename = "timeWindows",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub time_windows: Field<Vec<TimeWindow>>,
    /// Other members (drivers' schedules carry `breaks`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A weekly schedule keyed `Mon` … `Sun`. A day that is absent has no hours.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(rename = "Mon", default, skip_serializing_if = "Field::is_absent")]
    pub mon: Field<ScheduleDay>,
    #[serde(rename = "Tue", default, skip_serializing_if = "Field::is_absent")]
    pub tue: Field<ScheduleDay>,
    #[serde(rename = "Wed", default, skip_serializing_if = "Field::is_absent")]
    pub wed: Field<ScheduleDay>,
    #[serde(rename = "Thu", default, skip_serializing_if = "Field::is_absent")]
    pub thu: Field<ScheduleDay>,
    #[serde(rename = "Fri", default, skip_serializing_if = "Field::is_absent")]
    pub fri: Field<ScheduleDay>,
    #[serde(rename = "Sat", default, skip_serializing_if = "Field::is_absent")]
    pub sat: Field<ScheduleDay>,
    #[serde(rename = "Sun", default, skip_serializing_if = "Field::is_absent")]
    pub sun: Field<ScheduleDay>,
    /// Members other than the seven day keys.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Schedule {
    /// The day for index 0 (Monday) … 6 (Sunday).
    pub fn day(&self, index: usize) -> &Field<ScheduleDay> {
        match index {
            0 => &self.mon,
            1 => &self.tue,
            2 => &self.wed,
            3 => &self.thu,
            4 => &self.fri,
            5 => &self.sat,
            _ => &self.sun,
        }
    }

    /// The day for index 0 (Monday) … 6 (Sunday), mutably.
    pub fn day_mut(&mut self, index: usize) -> &mut Field<ScheduleDay> {
        match index {
            0 => &mut self.mon,
            1 => &mut self.tue,
            2 => &mut self.wed,
            3 => &mut self.thu,
            4 => &mut self.fri,
            5 => &mut self.sat,
            _ => &mut self.sun,
        }
    }

    /// The windows of a day (0 = Monday); empty when the day is absent or unreadable.
    pub fn windows(&self, index: usize) -> &[TimeWindow] {
        match self.day(index) {
            Field::Value(day) => match &day.time_windows {
                Field::Value(w) => w.as_slice(),
                _ => &[],
            },
            _ => &[],
        }
    }
}

/// `[longitude, latitude]` in GeoJSON order, numbers kept in their JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Coordinates(pub Vec<Number>);

impl Coordinates {
    /// Coordinates from a longitude and latitude. `None` for non-finite values.
    pub fn from_lon_lat(lon: f64, lat: f64) -> Option<Self> {
        Some(Self(vec![Number::from_f64(lon)?, Number::from_f64(lat)?]))
    }

    /// Longitude, when present and numeric.
    pub fn lon(&self) -> Option<f64> {
        self.0.first().and_then(Number::as_f64)
    }

    /// Latitude, when present and numeric.
    pub fn lat(&self) -> Option<f64> {
        self.0.get(1).and_then(Number::as_f64)
    }
}

/// A place: a customer location, a task's pickup/drop-off location, or a depot
/// (they share eLogii's address-like members).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Location {
    #[serde(rename = "_id", default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    #[serde(
        rename = "externalId",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub external_id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub reference: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub address: Field<String>,
    #[serde(
        rename = "addressLine2",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub address_line2: Field<String>,
    #[serde(rename = "postCode", default, skip_serializing_if = "Field::is_absent")]
    pub post_code: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub city: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub country: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub what3words: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub coordinates: Field<Coordinates>,
    #[serde(
        rename = "contactName",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub contact_name: Field<String>,
    #[serde(
        rename = "contactPhone",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub contact_phone: Field<String>,
    #[serde(
        rename = "contactEmail",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub contact_email: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub instructions: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub schedule: Field<Schedule>,
    #[serde(
        rename = "setupDuration",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub setup_duration: Field<Number>,
    #[serde(
        rename = "serviceDuration",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub service_duration: Field<Number>,
    /// Members the model does not name (`type`, `teams`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A depot has the members of a [`Location`].
pub type Depot = Location;

/// A customer with its locations.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Customer {
    #[serde(rename = "_id", default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    #[serde(
        rename = "externalId",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub external_id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub reference: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(
        rename = "contactName",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub contact_name: Field<String>,
    #[serde(
        rename = "contactPhone",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub contact_phone: Field<String>,
    #[serde(
        rename = "contactEmail",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub contact_email: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub locations: Field<Vec<Location>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tags: Field<Vec<String>>,
    /// Members the model does not name (`teams`, `userInfo`, `customData`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Customer {
    /// The customer's locations (empty when absent or unreadable).
    pub fn locations(&self) -> &[Location] {
        self.locations.get().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A person as eLogii embeds one (`assignment.assignee.info`, a route's driver).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PersonInfo {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    #[serde(
        rename = "firstName",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub first_name: Field<String>,
    #[serde(rename = "lastName", default, skip_serializing_if = "Field::is_absent")]
    pub last_name: Field<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl PersonInfo {
    /// "First Last", trimmed.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name.as_str(), self.last_name.as_str())
            .trim()
            .to_string()
    }
}

/// `assignment.assignee`: the driver a task is assigned to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Assignee {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub info: Field<PersonInfo>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A task's assignment to a route (read-only, set by planning).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Assignment {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub state: Field<i64>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub assignee: Field<Assignee>,
    #[serde(rename = "routeUID", default, skip_serializing_if = "Field::is_absent")]
    pub route_uid: Field<String>,
    #[serde(
        rename = "routeOrder",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub route_order: Field<i64>,
    #[serde(
        rename = "loadingOrder",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub loading_order: Field<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A task: one visit on a date.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Task {
    #[serde(rename = "_id", default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    #[serde(
        rename = "externalId",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub external_id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub reference: Field<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Field::is_absent")]
    pub task_type: Field<i64>,
    /// `YYYYMMDD`, an integer (some integrations send a string: kept as `Raw`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub date: Field<i64>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub state: Field<i64>,
    #[serde(
        rename = "stateText",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub state_text: Field<String>,
    #[serde(
        rename = "timeWindows",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub time_windows: Field<Vec<TimeWindow>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub location: Field<Location>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub customer: Field<Value>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub instructions: Field<String>,
    #[serde(
        rename = "internalComment",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub internal_comment: Field<String>,
    #[serde(
        rename = "serviceDuration",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub service_duration: Field<Number>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub assignment: Field<Assignment>,
    /// Members the model does not name (`pickup`, `items`, `customData`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Task {
    /// The task date as `YYYYMMDD`, accepting the string form some integrations send.
    pub fn date_number(&self) -> Option<i64> {
        match &self.date {
            Field::Value(d) => Some(*d),
            Field::Raw(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The assignment, if any.
    pub fn assignment(&self) -> Option<&Assignment> {
        self.assignment.get()
    }
}

/// A driver.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Driver {
    #[serde(rename = "_id", default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    #[serde(
        rename = "externalId",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub external_id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub reference: Field<String>,
    #[serde(
        rename = "firstName",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub first_name: Field<String>,
    #[serde(rename = "lastName", default, skip_serializing_if = "Field::is_absent")]
    pub last_name: Field<String>,
    #[serde(
        rename = "startLocation",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub start_location: Field<Location>,
    #[serde(
        rename = "endLocation",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub end_location: Field<Location>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub schedule: Field<Schedule>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub vehicle: Field<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A route: one driver's ordered stops on a date. The shape of eLogii's route
/// object is not documented (elogii-api.md §8.7); the console takes stops from
/// tasks and only route-level metadata from here.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Route {
    #[serde(rename = "_id", default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub uid: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub date: Field<i64>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub locked: Field<bool>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub driver: Field<PersonInfo>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub vehicle: Field<Value>,
    /// Total distance (metres in the emulator; unit not documented).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub distance: Field<Number>,
    /// Total duration (minutes in the emulator; unit not documented).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub duration: Field<Number>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of `createMany` / `updateMany`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRequest<T> {
    pub items: Vec<T>,
    #[serde(
        rename = "returnItems",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub return_items: Field<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of `removeMany`: `_id`s or `uid`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoveRequest {
    pub ids: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One failed item of a bulk call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BulkError {
    /// 0-based position of the item in the request's `items`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub index: Field<i64>,
    /// eLogii's description (key name inferred).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message: Field<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl BulkError {
    /// The error's text: `message`, else any other string member, else the JSON.
    pub fn text(&self) -> String {
        if let Field::Value(m) = &self.message {
            return m.clone();
        }
        for key in ["error", "description", "msg"] {
            if let Some(Value::String(s)) = self.extra.get(key) {
                return s.clone();
            }
        }
        serde_json::to_string(&self.extra).unwrap_or_default()
    }
}

/// Answer of a bulk call: `{result, ids, errors, items?}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BulkResponse {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub result: Field<i64>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub ids: Field<Vec<String>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub errors: Field<Vec<BulkError>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub items: Field<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Extra,
}
