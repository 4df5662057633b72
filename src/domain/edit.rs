//! Edits of eLogii records: which fields may be edited, how a field is named
//! (`locations[CL-PWZNXZCP].postCode`), and reading or writing a field on the
//! raw JSON of a record so that members the models do not know survive.
//!
//! An [`Edit`] is `{entity, record _id, field, base, new}`. `base` is the value
//! the dispatcher saw when staging (`None` = the key was absent); `new` is the
//! value to send. A location is always addressed by its `uid` once staged:
//! [`FieldPath::resolve`] turns `locations[0].…` into `locations[CL-…].…`.

use std::fmt;

use serde_json::{Map, Value};

use super::schedule::{WeekHours, Weekday, format_week_line, format_window};
use super::validate::{ValidationError, parse_input};
use crate::api::types::Schedule;

/// The kind of record an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// A customer (and its locations).
    Customer,
    /// A task.
    Task,
}

impl Entity {
    /// `customer` or `task` (as written in edit files and the journal).
    pub fn name(self) -> &'static str {
        match self {
            Entity::Customer => "customer",
            Entity::Task => "task",
        }
    }

    /// Reads `customer`/`customers`/`task`/`tasks` (any case); empty means customer.
    pub fn parse(text: &str) -> Result<Entity, ValidationError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "customer" | "customers" => Ok(Entity::Customer),
            "task" | "tasks" => Ok(Entity::Task),
            _ => Err(ValidationError::UnknownEntity(text.trim().to_string())),
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Editable members of a customer.
pub const CUSTOMER_FIELDS: [&str; 7] = [
    "name",
    "contactName",
    "contactPhone",
    "contactEmail",
    "tags",
    "externalId",
    "reference",
];

/// Editable members of a customer location.
pub const LOCATION_FIELDS: [&str; 15] = [
    "name",
    "address",
    "addressLine2",
    "postCode",
    "city",
    "country",
    "what3words",
    "coordinates",
    "contactName",
    "contactPhone",
    "contactEmail",
    "instructions",
    "setupDuration",
    "serviceDuration",
    "schedule",
];

/// Editable members of a task.
pub const TASK_FIELDS: [&str; 3] = ["timeWindows", "instructions", "internalComment"];

/// Where the list of editable fields is written out for people.
pub const FIELDS_DOC: &str = "docs/editing.md";

/// Location members that a customer does not have itself: named alone on a
/// customer (`postCode`), they mean the member of the customer's location (see
/// [`FieldPath::parse_for`]). `name` and the contact fields are the customer's own.
pub fn is_location_only(name: &str) -> bool {
    LOCATION_FIELDS.contains(&name) && !CUSTOMER_FIELDS.contains(&name)
}

/// The editable fields of `entity`, for error messages and help:
/// "Customer fields: name, …. Location fields (…): …. See docs/editing.md."
pub fn editable_fields_text(entity: Entity) -> String {
    match entity {
        Entity::Customer => format!(
            "Customer fields: {}. Location fields (locations[CL-…].postCode or locations[0].postCode; \
             a location-only field such as postCode alone when the customer has one location): {}. See {FIELDS_DOC}.",
            CUSTOMER_FIELDS.join(", "),
            LOCATION_FIELDS.join(", ")
        ),
        Entity::Task => format!("Task fields: {}. See {FIELDS_DOC}.", TASK_FIELDS.join(", ")),
    }
}

/// How a field's value is typed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A name: text that must not be empty.
    Name,
    /// An e-mail address (or empty).
    Email,
    /// A phone number (or empty).
    Phone,
    /// A list of tags, typed `a, b`.
    Tags,
    /// `[lon, lat]`, typed `lat, lon`.
    Coordinates,
    /// Weekly opening hours, typed as a week line.
    Schedule,
    /// Minutes, a number `>= 0`.
    Duration,
    /// A task's time windows, typed `09:00-12:00, 14:00-17:00`.
    TimeWindows,
    /// A what3words address: three words joined by dots, typed with or
    /// without `///` (or empty).
    What3words,
}

/// Which location a field belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocationRef {
    /// By `uid` (`CL-…`): the only form kept once an edit is staged.
    Uid(String),
    /// By position in `locations` (as typed; resolved to a uid when staged).
    Index(usize),
}

/// A field of a record: a top-level member, or a member of one customer location.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath {
    /// The location, for location members.
    pub location: Option<LocationRef>,
    /// The member's name as eLogii spells it (`postCode`).
    pub name: &'static str,
}

fn canonical(list: &[&'static str], name: &str) -> Option<&'static str> {
    list.iter()
        .copied()
        .find(|n| *n == name)
        .or_else(|| list.iter().copied().find(|n| n.eq_ignore_ascii_case(name)))
}

impl FieldPath {
    /// A top-level member (no check that it is editable; see [`FieldPath::parse`]).
    pub fn top(name: &'static str) -> FieldPath {
        FieldPath {
            location: None,
            name,
        }
    }

    /// The field as the console's forms name it (`Postcode`, `Hours`,
    /// `Windows`); the API name for a field no form shows.
    pub fn label(&self) -> &'static str {
        match self.name {
            "name" => "Name",
            "externalId" => "External id",
            "reference" => "Reference",
            "contactName" => "Contact",
            "contactPhone" => "Phone",
            "contactEmail" => "Email",
            "tags" => "Tags",
            "address" => "Address",
            "addressLine2" => "Address line 2",
            "postCode" => "Postcode",
            "city" => "City",
            "country" => "Country",
            "what3words" => "what3words",
            "coordinates" => "Coordinates",
            "instructions" => "Instructions",
            "setupDuration" => "Setup (min)",
            "serviceDuration" => "Service (min)",
            "schedule" => "Hours",
            "timeWindows" => "Windows",
            "internalComment" => "Internal comment",
            other => other,
        }
    }

    /// The `country` of the location a `postCode` belongs to (`None` for
    /// any other field): whether UK postcode rules apply.
    pub fn postcode_country(&self) -> Option<FieldPath> {
        (self.name == "postCode")
            .then(|| self.location.clone())
            .flatten()
            .map(|location| FieldPath {
                location: Some(location),
                name: "country",
            })
    }

    /// A member of the location with this uid.
    pub fn location(uid: impl Into<String>, name: &'static str) -> FieldPath {
        FieldPath {
            location: Some(LocationRef::Uid(uid.into())),
            name,
        }
    }

    /// Reads `contactName`, `locations[CL-PWZNXZCP].postCode`, `locations[0].schedule`
    /// or a task's `timeWindows`; names match case-insensitively. Only editable
    /// fields are accepted.
    pub fn parse(entity: Entity, text: &str) -> Result<FieldPath, ValidationError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(ValidationError::EmptyField);
        }
        let unknown = || ValidationError::UnknownField {
            entity,
            field: t.to_string(),
        };
        if let Some(rest) = t.strip_prefix("locations[").or_else(|| {
            t.get(..10)
                .filter(|p| p.eq_ignore_ascii_case("locations["))
                .map(|_| &t[10..])
        }) {
            if entity != Entity::Customer {
                return Err(unknown());
            }
            let (inside, after) = rest.split_once(']').ok_or_else(unknown)?;
            let name = after.strip_prefix('.').ok_or_else(unknown)?;
            let inside = inside.trim();
            if inside.is_empty() {
                return Err(unknown());
            }
            let location = if inside.bytes().all(|b| b.is_ascii_digit()) {
                LocationRef::Index(inside.parse().map_err(|_| unknown())?)
            } else {
                LocationRef::Uid(inside.to_string())
            };
            let name = canonical(&LOCATION_FIELDS, name.trim()).ok_or_else(unknown)?;
            return Ok(FieldPath {
                location: Some(location),
                name,
            });
        }
        let list: &[&'static str] = match entity {
            Entity::Customer => &CUSTOMER_FIELDS,
            Entity::Task => &TASK_FIELDS,
        };
        let name = canonical(list, t).ok_or_else(unknown)?;
        Ok(FieldPath::top(name))
    }

    /// Reads a field name against the record it will change and resolves it
    /// (locations by uid). Besides what [`FieldPath::parse`] reads, a
    /// location-only member named alone on a customer (`postCode`, `schedule`;
    /// any case) means that member of the customer's location when it has
    /// exactly one; with several, the error lists the paths to choose from.
    pub fn parse_for(
        entity: Entity,
        text: &str,
        record: &Value,
    ) -> Result<FieldPath, ValidationError> {
        let err = match FieldPath::parse(entity, text) {
            Ok(path) => return path.resolve(record),
            Err(e) => e,
        };
        let name = match (&err, entity) {
            (ValidationError::UnknownField { .. }, Entity::Customer) => {
                canonical(&LOCATION_FIELDS, text.trim()).filter(|n| is_location_only(n))
            }
            _ => None,
        };
        let Some(name) = name else {
            return Err(err);
        };
        let list = locations(record).map(Vec::as_slice).unwrap_or_default();
        match list {
            [] => Err(ValidationError::NoLocations(name)),
            [_] => FieldPath {
                location: Some(LocationRef::Index(0)),
                name,
            }
            .resolve(record),
            many => Err(ValidationError::WhichLocation {
                field: name,
                paths: many
                    .iter()
                    .enumerate()
                    .map(|(i, loc)| {
                        match loc
                            .get("uid")
                            .and_then(Value::as_str)
                            .filter(|u| !u.is_empty())
                        {
                            Some(uid) => format!("locations[{uid}].{name}"),
                            None => format!("locations[{i}].{name}"),
                        }
                    })
                    .collect(),
            }),
        }
    }

    /// How values of this field are typed and checked.
    pub fn kind(&self) -> FieldKind {
        match self.name {
            "name" => FieldKind::Name,
            "contactEmail" => FieldKind::Email,
            "contactPhone" => FieldKind::Phone,
            "tags" => FieldKind::Tags,
            "coordinates" => FieldKind::Coordinates,
            "schedule" => FieldKind::Schedule,
            "setupDuration" | "serviceDuration" => FieldKind::Duration,
            "timeWindows" => FieldKind::TimeWindows,
            "what3words" => FieldKind::What3words,
            _ => FieldKind::Text,
        }
    }

    /// The location uid, when the path names a location by uid.
    pub fn location_uid(&self) -> Option<&str> {
        match &self.location {
            Some(LocationRef::Uid(uid)) => Some(uid),
            _ => None,
        }
    }

    /// The same path with a location index replaced by that location's uid in
    /// `record`. Fails when there is no such location or it has no uid.
    pub fn resolve(&self, record: &Value) -> Result<FieldPath, ValidationError> {
        match &self.location {
            Some(LocationRef::Index(i)) => {
                let loc = locations(record)
                    .and_then(|l| l.get(*i))
                    .ok_or(ValidationError::NoLocationAt(*i))?;
                let uid = loc
                    .get("uid")
                    .and_then(Value::as_str)
                    .filter(|u| !u.is_empty())
                    .ok_or(ValidationError::LocationWithoutUid(*i))?;
                Ok(FieldPath::location(uid, self.name))
            }
            Some(LocationRef::Uid(uid)) => {
                if find_location(record, uid).is_none() {
                    return Err(ValidationError::NoSuchLocation(uid.clone()));
                }
                Ok(self.clone())
            }
            None => Ok(self.clone()),
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            None => f.write_str(self.name),
            Some(LocationRef::Uid(uid)) => write!(f, "locations[{uid}].{}", self.name),
            Some(LocationRef::Index(i)) => write!(f, "locations[{i}].{}", self.name),
        }
    }
}

/// One change to one field of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// Customer or task.
    pub entity: Entity,
    /// The record's `_id`.
    pub record_id: String,
    /// The field (locations by uid).
    pub field: FieldPath,
    /// The value when the edit was made; `None` = the key was absent.
    pub base: Option<Value>,
    /// The value to send; `None` = remove the key.
    pub new: Option<Value>,
}

impl Edit {
    /// Builds an edit from what a person typed: resolves the field against the
    /// record, reads the current value as the base and parses `input`.
    pub fn from_input(
        entity: Entity,
        record: &Value,
        field: &FieldPath,
        input: &str,
    ) -> Result<Edit, ValidationError> {
        let field = field.resolve(record)?;
        let current = get_field(record, &field);
        let new = parse_input(&field, input, current)?;
        Ok(Edit {
            entity,
            record_id: record_id(record)
                .ok_or(ValidationError::RecordWithoutId)?
                .to_string(),
            base: current.cloned(),
            new: Some(new),
            field,
        })
    }

    /// True when the edit would change nothing.
    pub fn is_noop(&self) -> bool {
        self.base == self.new
    }

    /// For a location's `postCode` when that location's `country` (given:
    /// as loaded, or as staged or changed in the same file) is the United
    /// Kingdom: puts in the space a UK postcode was typed without (`M314FQ` →
    /// `M31 4FQ`) and says whether the value is shaped like a UK postcode.
    /// `None` for any other field or country.
    pub fn shape_uk_postcode_in(&mut self, country: Option<&Value>) -> Option<bool> {
        self.field.postcode_country()?;
        let uk = country
            .and_then(Value::as_str)
            .is_some_and(crate::domain::validate::is_uk_country);
        let Some(Value::String(p)) = &mut self.new else {
            return None;
        };
        if !uk || p.is_empty() {
            return None;
        }
        match crate::domain::validate::uk_postcode(p) {
            Some(shaped) => {
                *p = shaped;
                Some(true)
            }
            None => Some(false),
        }
    }

    /// The kilometres a coordinates edit moves the location (`None` for other
    /// fields or when either side is not a coordinate pair).
    pub fn moved_km(&self) -> Option<f64> {
        if self.field.kind() != FieldKind::Coordinates {
            return None;
        }
        distance_km(self.base.as_ref()?, self.new.as_ref()?)
    }

    /// True when a coordinates edit moves the pin more than `limit_km`
    /// ([`MOVE_CONFIRM_KM`] unless configured), so it needs confirmation.
    pub fn is_big_move(&self, limit_km: f64) -> bool {
        self.moved_km().is_some_and(|km| km > limit_km)
    }

    /// For a schedule edit: the days that had opening hours before and have
    /// none after (a week line names the whole week, so days it leaves out are
    /// closed). Empty for other fields, and when the new value is `null` (no
    /// hours known) or either side cannot be read as a schedule.
    pub fn days_closed(&self) -> Vec<Weekday> {
        if self.field.kind() != FieldKind::Schedule {
            return Vec::new();
        }
        let week = |v: Option<&Value>| -> Option<WeekHours> {
            match v? {
                v @ Value::Object(_) => serde_json::from_value::<Schedule>(v.clone())
                    .ok()
                    .map(|s| WeekHours::from_schedule(&s)),
                _ => None,
            }
        };
        let (Some(old), Some(new)) = (week(self.base.as_ref()), week(self.new.as_ref())) else {
            return Vec::new();
        };
        Weekday::ALL
            .into_iter()
            .filter(|d| !old.day(*d).is_empty() && new.day(*d).is_empty())
            .collect()
    }
}

/// A short name for a record in lists: its `uid` and its `name` (a task
/// without a name: its `reference`), e.g. `CUS-A8QP5SPM Corner Shop`; `None`
/// when it has neither.
pub fn record_label(record: &Value) -> Option<String> {
    let text = |key: &str| {
        record
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let parts: Vec<&str> = [text("uid"), text("name").or_else(|| text("reference"))]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// When a pin move is more than `limit_km` but swapping the new
/// latitude and longitude would move it less, says so:
/// `latitude and longitude swapped? 53.59, -2.43 would move it 0.4 km`.
/// `old` and `new` are eLogii `[lon, lat]` values.
pub fn swapped_hint(old: &Value, new: &Value, limit_km: f64) -> Option<String> {
    let moved = distance_km(old, new)?;
    if moved <= limit_km {
        return None;
    }
    let (lon, lat) = lon_lat(new)?;
    // Swapped: the typed longitude is the latitude.
    let (s_lat, s_lon) = (lon, lat);
    if !(-90.0..=90.0).contains(&s_lat) || !(-180.0..=180.0).contains(&s_lon) {
        return None;
    }
    let swapped = serde_json::json!([s_lon, s_lat]);
    let km = distance_km(old, &swapped)?;
    (km <= limit_km).then(|| {
        format!("latitude and longitude swapped? {s_lat}, {s_lon} would move it {km:.1} km")
    })
}

/// The record's `_id`.
pub fn record_id(record: &Value) -> Option<&str> {
    record.get("_id").and_then(Value::as_str)
}

fn locations(record: &Value) -> Option<&Vec<Value>> {
    record.get("locations").and_then(Value::as_array)
}

fn find_location<'a>(record: &'a Value, uid: &str) -> Option<&'a Value> {
    locations(record)?
        .iter()
        .find(|l| l.get("uid").and_then(Value::as_str) == Some(uid))
}

/// The field's value in a raw record (`None` when absent, or when the location
/// is not there).
pub fn get_field<'a>(record: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let holder = match &path.location {
        None => record,
        Some(LocationRef::Uid(uid)) => find_location(record, uid)?,
        Some(LocationRef::Index(i)) => locations(record)?.get(*i)?,
    };
    holder.get(path.name)
}

/// Sets (`Some`) or removes (`None`) the field in a raw record, in place; every
/// other member, known or not, is left as it was.
pub fn set_field(
    record: &mut Value,
    path: &FieldPath,
    value: Option<Value>,
) -> Result<(), ValidationError> {
    let holder: &mut Map<String, Value> = match &path.location {
        None => record.as_object_mut().ok_or(ValidationError::NotAnObject)?,
        Some(loc) => {
            let list = record
                .get_mut("locations")
                .and_then(Value::as_array_mut)
                .ok_or_else(|| missing_location(loc))?;
            let found = match loc {
                LocationRef::Uid(uid) => list
                    .iter_mut()
                    .find(|l| l.get("uid").and_then(Value::as_str) == Some(uid.as_str())),
                LocationRef::Index(i) => list.get_mut(*i),
            };
            found
                .ok_or_else(|| missing_location(loc))?
                .as_object_mut()
                .ok_or(ValidationError::NotAnObject)?
        }
    };
    match value {
        Some(v) => {
            holder.insert(path.name.to_string(), v);
        }
        None => {
            holder.shift_remove(path.name);
        }
    }
    Ok(())
}

fn missing_location(loc: &LocationRef) -> ValidationError {
    match loc {
        LocationRef::Uid(uid) => ValidationError::NoSuchLocation(uid.clone()),
        LocationRef::Index(i) => ValidationError::NoLocationAt(*i),
    }
}

/// A value as a person would type it back: schedules as one week line
/// (`none` for `null`), coordinates `lat, lon`, time windows `09:00-12:00, …`,
/// tags `a, b`, strings as they are; absent and `null` are empty text.
/// [`parse_input`] reads this text back to the same value.
pub fn display_value(path: &FieldPath, value: Option<&Value>) -> String {
    let Some(value) = value else {
        return String::new();
    };
    match (path.kind(), value) {
        (FieldKind::Schedule, Value::Null) => "none".to_string(),
        (_, Value::Null) => String::new(),
        (_, Value::String(s)) => s.clone(),
        (FieldKind::Coordinates, Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
            (Value::Number(lon), Value::Number(lat)) => format!("{lat}, {lon}"),
            _ => value.to_string(),
        },
        (FieldKind::Schedule, Value::Object(_)) => {
            match serde_json::from_value::<Schedule>(value.clone()) {
                Ok(s) => format_week_line(&WeekHours::from_schedule(&s)),
                Err(_) => value.to_string(),
            }
        }
        (FieldKind::TimeWindows, Value::Array(list)) => {
            let mut parts = Vec::with_capacity(list.len());
            for w in list {
                match (
                    w.get("start").and_then(Value::as_i64),
                    w.get("end").and_then(Value::as_i64),
                ) {
                    (Some(s), Some(e)) => parts.push(format_window(s, e)),
                    _ => return value.to_string(),
                }
            }
            parts.join(", ")
        }
        (FieldKind::Tags, Value::Array(list)) if list.iter().all(Value::is_string) => list
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Number(n)) => n.to_string(),
        _ => value.to_string(),
    }
}

/// Great-circle distance in kilometres between two `[lon, lat]` values.
pub fn distance_km(old: &Value, new: &Value) -> Option<f64> {
    let (lon1, lat1) = lon_lat(old)?;
    let (lon2, lat2) = lon_lat(new)?;
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin())
}

fn lon_lat(v: &Value) -> Option<(f64, f64)> {
    let a = v.as_array()?;
    if a.len() != 2 {
        return None;
    }
    Some((a[0].as_f64()?, a[1].as_f64()?))
}

/// Moves of more than this many kilometres are confirmed by the dispatcher.
pub const MOVE_CONFIRM_KM: f64 = 2.0;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn customer() -> Value {
        json!({
            "_id": "64b7f0c2a1b2c3d4e5f60718",
            "uid": "CUS-AAAA1111",
            "name": "Corner Shop",
            "customData": {"deep": {"x": [1, 2]}},
            "locations": [
                {"uid": "CL-PWZNXZCP", "name": "Main", "postCode": "LS1 1AA",
                 "coordinates": [-1.5179, 53.7976], "setupDuration": 5, "weird": {"a": null}},
                {"uid": "CL-SECOND01", "name": "Back", "schedule": null}
            ]
        })
    }

    #[test]
    fn paths_parse_and_print() {
        let p = FieldPath::parse(Entity::Customer, "locations[CL-PWZNXZCP].postCode").unwrap();
        assert_eq!(p.location_uid(), Some("CL-PWZNXZCP"));
        assert_eq!(p.name, "postCode");
        assert_eq!(p.to_string(), "locations[CL-PWZNXZCP].postCode");
        let p = FieldPath::parse(Entity::Customer, "locations[0].postcode").unwrap();
        assert_eq!(p.location, Some(LocationRef::Index(0)));
        assert_eq!(p.name, "postCode");
        assert_eq!(
            FieldPath::parse(Entity::Customer, "contactname").unwrap(),
            FieldPath::top("contactName")
        );
        assert_eq!(
            FieldPath::parse(Entity::Task, "timeWindows")
                .unwrap()
                .kind(),
            FieldKind::TimeWindows
        );
        for bad in [
            "uid",
            "_id",
            "locations[].name",
            "locations[0]name",
            "locations[0].uid",
            "",
        ] {
            assert!(FieldPath::parse(Entity::Customer, bad).is_err(), "{bad}");
        }
        assert!(FieldPath::parse(Entity::Task, "contactName").is_err());
        assert!(FieldPath::parse(Entity::Task, "locations[0].name").is_err());
    }

    #[test]
    fn location_only_names_mean_the_only_location() {
        let mut one = customer();
        one["locations"].as_array_mut().unwrap().truncate(1);
        for text in ["postCode", "postcode", "Postcode", " POSTCODE "] {
            assert_eq!(
                FieldPath::parse_for(Entity::Customer, text, &one).unwrap(),
                FieldPath::location("CL-PWZNXZCP", "postCode"),
                "{text}"
            );
        }
        for name in [
            "address",
            "schedule",
            "coordinates",
            "instructions",
            "serviceDuration",
        ] {
            let p = FieldPath::parse_for(Entity::Customer, name, &one).unwrap();
            assert_eq!(p.location_uid(), Some("CL-PWZNXZCP"), "{name}");
            assert_eq!(p.name, name);
        }
        // `name` and the contact fields stay the customer's own.
        assert_eq!(
            FieldPath::parse_for(Entity::Customer, "Name", &one).unwrap(),
            FieldPath::top("name")
        );
        assert_eq!(
            FieldPath::parse_for(Entity::Customer, "contactphone", &one).unwrap(),
            FieldPath::top("contactPhone")
        );
        // Several locations: the error names each path.
        let two = customer();
        let err = FieldPath::parse_for(Entity::Customer, "postcode", &two).unwrap_err();
        assert_eq!(
            err.to_string(),
            "“postCode” belongs to a customer location, and this customer has 2 locations; \
             name one: locations[CL-PWZNXZCP].postCode, locations[CL-SECOND01].postCode"
        );
        let mut none = customer();
        none["locations"] = json!([]);
        assert_eq!(
            FieldPath::parse_for(Entity::Customer, "city", &none).unwrap_err(),
            ValidationError::NoLocations("city")
        );
        // Tasks have no shorthand; unknown names list what can be edited.
        let err = FieldPath::parse_for(Entity::Task, "postCode", &one).unwrap_err();
        assert_eq!(
            err.to_string(),
            "“postCode” is not a task field that can be edited. Task fields: timeWindows, \
             instructions, internalComment. See docs/editing.md."
        );
        let err = FieldPath::parse_for(Entity::Customer, "uid", &one)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("“uid” is not a customer field that can be edited. Customer fields: name, contactName,"),
            "{err}"
        );
        for f in CUSTOMER_FIELDS.iter().chain(&LOCATION_FIELDS) {
            assert!(err.contains(f), "{f} missing from {err}");
        }
        assert!(err.ends_with("See docs/editing.md."), "{err}");
    }

    #[test]
    fn the_fields_doc_lists_every_editable_field() {
        let doc = include_str!("../../docs/editing.md");
        for f in CUSTOMER_FIELDS
            .iter()
            .chain(&LOCATION_FIELDS)
            .chain(&TASK_FIELDS)
        {
            assert!(
                doc.contains(&format!("`{f}`")),
                "{f} is not in {FIELDS_DOC}"
            );
        }
    }

    #[test]
    fn index_resolves_to_uid() {
        let c = customer();
        let p = FieldPath::parse(Entity::Customer, "locations[1].name").unwrap();
        assert_eq!(
            p.resolve(&c).unwrap(),
            FieldPath::location("CL-SECOND01", "name")
        );
        let p = FieldPath::parse(Entity::Customer, "locations[2].name").unwrap();
        assert_eq!(
            p.resolve(&c).unwrap_err().to_string(),
            "this customer has no location number 2 (locations are counted from 0)"
        );
        let p = FieldPath::parse(Entity::Customer, "locations[CL-NOPE].name").unwrap();
        assert!(p.resolve(&c).is_err());
    }

    #[test]
    fn set_field_keeps_everything_else() {
        let mut c = customer();
        let before = c.clone();
        let p = FieldPath::location("CL-PWZNXZCP", "postCode");
        set_field(&mut c, &p, Some(json!("LS2 7HY"))).unwrap();
        assert_eq!(get_field(&c, &p), Some(&json!("LS2 7HY")));
        let mut expect = before.clone();
        expect["locations"][0]["postCode"] = json!("LS2 7HY");
        assert_eq!(c, expect);
        // Removing a key and restoring it.
        set_field(&mut c, &p, None).unwrap();
        assert_eq!(get_field(&c, &p), None);
        assert!(c["locations"][0].get("weird").is_some());
        set_field(&mut c, &FieldPath::top("contactName"), Some(json!("Ann"))).unwrap();
        assert_eq!(c["contactName"], json!("Ann"));
        assert!(
            set_field(
                &mut c,
                &FieldPath::location("CL-NOPE", "name"),
                Some(json!("x"))
            )
            .is_err()
        );
    }

    #[test]
    fn edit_from_input_uses_current_as_base() {
        let c = customer();
        let p = FieldPath::parse(Entity::Customer, "locations[0].coordinates").unwrap();
        let e = Edit::from_input(Entity::Customer, &c, &p, "53.8008, -1.5491").unwrap();
        assert_eq!(e.field, FieldPath::location("CL-PWZNXZCP", "coordinates"));
        assert_eq!(e.base, Some(json!([-1.5179, 53.7976])));
        assert_eq!(e.new, Some(json!([-1.5491, 53.8008])));
        let km = e.moved_km().unwrap();
        assert!((2.0..2.2).contains(&km), "{km}");
        let same = Edit::from_input(Entity::Customer, &c, &p, "53.7976,-1.5179").unwrap();
        assert!(same.is_noop());
    }

    #[test]
    fn display_round_trips_through_parse_input() {
        let cases = [
            (
                "schedule",
                json!({"Mon": {"timeWindows": [{"start": 480, "end": 1020}]},
                                "Sat": {"timeWindows": [{"start": 540, "end": 750}]}}),
            ),
            ("schedule", json!(null)),
            ("coordinates", json!([-1.5179, 53.7976])),
            ("postCode", json!("01234")),
            ("setupDuration", json!(10)),
            ("setupDuration", json!(2.5)),
        ];
        for (name, value) in cases {
            let p = FieldPath::location("CL-X", canonical(&LOCATION_FIELDS, name).unwrap());
            let text = display_value(&p, Some(&value));
            let back = parse_input(&p, &text, Some(&value)).unwrap();
            assert_eq!(back, value, "{name}: {text}");
        }
        let tw = json!([{"start": 540, "end": 720}, {"start": 840, "end": 1020}]);
        let p = FieldPath::top("timeWindows");
        assert_eq!(display_value(&p, Some(&tw)), "09:00-12:00, 14:00-17:00");
        assert_eq!(
            parse_input(&p, "09:00-12:00, 14:00-17:00", Some(&tw)).unwrap(),
            tw
        );
        let tags = json!(["a", "b c"]);
        let p = FieldPath::top("tags");
        assert_eq!(display_value(&p, Some(&tags)), "a, b c");
        assert_eq!(display_value(&FieldPath::top("name"), None), "");
    }

    #[test]
    fn swapped_lat_lon_is_suggested() {
        let old = json!([-2.4282, 53.5884]);
        // Typed "-2.43, 53.59": latitude -2.43, longitude 53.59.
        let new = json!([53.59, -2.43]);
        let hint = swapped_hint(&old, &new, MOVE_CONFIRM_KM).unwrap();
        assert!(
            hint.starts_with("latitude and longitude swapped? 53.59, -2.43 would move it 0."),
            "{hint}"
        );
        let e = Edit {
            entity: Entity::Customer,
            record_id: "a".into(),
            field: FieldPath::location("CL-1", "coordinates"),
            base: Some(old.clone()),
            new: Some(new),
        };
        assert!(e.is_big_move(MOVE_CONFIRM_KM));
        // A far move that is not a swap, and a short move: no hint.
        assert_eq!(
            swapped_hint(&old, &json!([-0.1276, 51.5072]), MOVE_CONFIRM_KM),
            None
        );
        assert_eq!(
            swapped_hint(&old, &json!([-2.43, 53.59]), MOVE_CONFIRM_KM),
            None
        );
        assert_eq!(swapped_hint(&old, &json!("x"), MOVE_CONFIRM_KM), None);
        let near = Edit {
            new: Some(json!([-2.43, 53.59])),
            ..e
        };
        assert!(!near.is_big_move(MOVE_CONFIRM_KM));
    }

    #[test]
    fn schedule_edits_name_the_days_they_close() {
        let c = customer();
        let mut c = c;
        c["locations"][0]["schedule"] = json!({
            "Mon": {"timeWindows": [{"start": 480, "end": 1080}]},
            "Sat": {"timeWindows": [{"start": 540, "end": 780}]},
            "Sun": {"timeWindows": [{"start": 600, "end": 720}]}
        });
        let p = FieldPath::location("CL-PWZNXZCP", "schedule");
        let e = Edit::from_input(Entity::Customer, &c, &p, "Mo-Fr 08:00-18:00").unwrap();
        assert_eq!(e.days_closed(), vec![Weekday::Sat, Weekday::Sun]);
        let e = Edit::from_input(
            Entity::Customer,
            &c,
            &p,
            "Mo-Fr 08:00-18:00; Sa-Su 10:00-12:00",
        )
        .unwrap();
        assert!(e.days_closed().is_empty());
        let e = Edit::from_input(Entity::Customer, &c, &p, "none").unwrap();
        assert!(e.days_closed().is_empty());
        let e = Edit::from_input(Entity::Customer, &c, &p, "Mo-Su off").unwrap();
        assert_eq!(
            e.days_closed(),
            vec![Weekday::Mon, Weekday::Sat, Weekday::Sun]
        );
        // No schedule before: nothing is closed by the edit.
        let p2 = FieldPath::location("CL-SECOND01", "schedule");
        let e = Edit::from_input(Entity::Customer, &c, &p2, "Mo 09:00-10:00").unwrap();
        assert!(e.days_closed().is_empty());
    }

    #[test]
    fn records_are_labelled_by_uid_and_name() {
        assert_eq!(
            record_label(&customer()).as_deref(),
            Some("CUS-AAAA1111 Corner Shop")
        );
        assert_eq!(
            record_label(&json!({"uid": "T-AAAA1111", "reference": "SO1"})).as_deref(),
            Some("T-AAAA1111 SO1")
        );
        assert_eq!(record_label(&json!({"_id": "x", "name": " "})), None);
    }

    #[test]
    fn distance_is_plausible() {
        // Leeds station to Manchester Piccadilly: about 58 km.
        let d = distance_km(&json!([-1.5479, 53.7949]), &json!([-2.2309, 53.4774])).unwrap();
        assert!((55.0..62.0).contains(&d), "{d}");
        assert_eq!(distance_km(&json!([1, 2]), &json!("x")), None);
        assert_eq!(
            distance_km(&json!([0.0, 0.0]), &json!([0.0, 0.0])),
            Some(0.0)
        );
    }
}
