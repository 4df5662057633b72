//! Reading values as a dispatcher types them, and checking them before they are
//! staged. Every error is one sentence that says what to type instead.
//!
//! What [`parse_input`] reads, per kind of field:
//!
//! * text: as typed, trimmed; control characters other than newline and tab are
//!   refused (unless the value already held them: [`parse_input_keeping`]). A
//!   field that holds a number keeps being a number when the text is one.
//! * postcodes (`postCode`): trimmed, inner spaces collapsed to one, upper-cased
//!   (`bl1  3qt` → `BL1 3QT`), letters, digits, spaces and hyphens only; when that is the current value in the same
//!   normal form, the current value is kept (no change).
//! * names: text that must not be empty.
//! * e-mail: `name@example.com`, or empty to clear it.
//! * phone: digits, spaces, `+ ( ) - . /` and an optional extension
//!   (`ext 12`, `x12`, `#12`), or empty.
//! * tags: `a, b` → `["a", "b"]` (empty entries and repeats dropped).
//! * coordinates: `53.7976, -1.5179` (latitude, longitude; also `53.7976,-1.5179`
//!   or separated by spaces) → `[-1.5179, 53.7976]` as eLogii stores it.
//!   Brackets are refused because `[a, b]` looks like eLogii's own
//!   `[longitude, latitude]` order and would be read the wrong way round.
//! * schedule: a week line (`Mo-Fr 08:30-17:30; Sa 09:00-12:30`). `none` gives
//!   `null` (no opening hours known); an empty input is refused (it would wipe
//!   every hour by accident); `Mo-Su off` gives an
//!   explicit all-closed week (`{}`). Only the `timeWindows` of each day are
//!   replaced: other members of the existing schedule and of each day are kept.
//! * durations: minutes, `15` or `7.5` (a `min` suffix is allowed); digits and
//!   one decimal point only (`1e3`, `0x10`, `inf` are refused); an integral
//!   value is written as an integer; a field that held a string stays a string.
//! * what3words: three words of letters (any script) joined by dots, with or
//!   without `///` (`///filled.count.soap`), stored without it; empty clears.
//! * task time windows: `09:00-12:00, 14:00-17:00`; empty for none.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Number, Value};
use thiserror::Error;

use super::edit::{Entity, FieldKind, FieldPath};
use super::schedule::{ScheduleError, WeekHours, Weekday, parse_day, parse_week_line};

/// The longest postcode taken (the world's longest are about 10 characters).
pub const MAX_POSTCODE: usize = 16;

/// The longest value of a one-line field, in characters: far more than any
/// real name or address, so only a paste gone wrong is refused.
pub const MAX_LINE_CHARS: usize = 1_000;

/// The longest `instructions` or `internalComment` (notes), in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// The most characters `field` takes.
pub fn max_chars(field: &FieldPath) -> usize {
    match field.name {
        "instructions" | "internalComment" => MAX_NOTE_CHARS,
        _ => MAX_LINE_CHARS,
    }
}

/// Why a field name or value cannot be staged.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ValidationError {
    #[error("“{0}” is not a kind of record; use customer or task")]
    UnknownEntity(String),
    #[error("the field name is empty")]
    EmptyField,
    #[error(
        "“{field}” is not a {entity} field that can be edited. {}",
        super::edit::editable_fields_text(*.entity)
    )]
    UnknownField { entity: Entity, field: String },
    #[error("“{0}” belongs to a customer location, and this customer has no locations")]
    NoLocations(&'static str),
    #[error(
        "“{field}” belongs to a customer location, and this customer has {} locations; name one: {}",
        .paths.len(),
        .paths.join(", ")
    )]
    WhichLocation {
        field: &'static str,
        paths: Vec<String>,
    },
    #[error("this customer has no location number {0} (locations are counted from 0)")]
    NoLocationAt(usize),
    #[error("location number {0} has no uid, so it cannot be edited safely")]
    LocationWithoutUid(usize),
    #[error("this customer has no location {0}")]
    NoSuchLocation(String),
    #[error("the record has no _id")]
    RecordWithoutId,
    #[error("the record is not a JSON object")]
    NotAnObject,
    #[error("the text holds a control character; remove it and type the value again")]
    ControlCharacter,
    #[error("the name must not be empty")]
    EmptyName,
    #[error(
        "an empty week removes nothing by accident: type none to remove the opening hours (none known), or Mo-Su off for closed every day"
    )]
    EmptySchedule,
    #[error("“{0}” is not an e-mail address; write it as name@example.com")]
    BadEmail(String),
    #[error(
        "“{0}” is not a phone number; use digits, spaces, + ( ) - . and an optional extension such as ext 12"
    )]
    BadPhone(String),
    #[error(
        "“{0}” is not a postcode; use letters, digits, spaces and hyphens, for example BL3 1SX"
    )]
    BadPostcode(String),
    #[error("a postcode of {0} characters is too long; postcodes have at most {MAX_POSTCODE}")]
    LongPostcode(usize),
    #[error(
        "this is {len} characters, and {field} takes at most {max}; was something pasted by mistake?"
    )]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the position is empty; type latitude, longitude, for example 53.7976, -1.5179")]
    EmptyCoordinates,
    #[error("“{0}” is not a position; type latitude, longitude, for example 53.7976, -1.5179")]
    BadCoordinates(String),
    #[error(
        "type latitude, longitude without brackets, because [a, b] looks like eLogii's own [longitude, latitude] order"
    )]
    BracketedCoordinates,
    #[error(
        "latitude {0} is out of range: it must be between -90 and 90 (type latitude first, then longitude)"
    )]
    LatitudeOutOfRange(String),
    #[error("longitude {0} is out of range: it must be between -180 and 180")]
    LongitudeOutOfRange(String),
    #[error("{0}")]
    Schedule(#[from] ScheduleError),
    #[error("“{0}” is not a duration; type minutes, for example 15")]
    BadDuration(String),
    #[error("a duration cannot be negative")]
    NegativeDuration,
    #[error("{0} minutes is more than a week; type minutes, for example 15")]
    DurationTooLong(String),
    #[error(
        "“{0}” is not a what3words address; type three words joined by dots, for example ///filled.count.soap"
    )]
    BadWhat3words(String),
    #[error("{field} must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
}

/// Longest accepted duration in minutes (a week).
pub const MAX_DURATION_MIN: f64 = 7.0 * 24.0 * 60.0;

/// Reads `text` as the new value of `field`; `current` is the field's value now
/// (used to keep types and unknown members). See the module docs for the forms.
pub fn parse_input(
    field: &FieldPath,
    text: &str,
    current: Option<&Value>,
) -> Result<Value, ValidationError> {
    parse_input_keeping(field, text, current, &[])
}

/// [`parse_input`], letting through the control characters in `kept`: ones
/// the saved value already held, put back where they were by the console's
/// editor (typed or pasted ones are still refused).
pub fn parse_input_keeping(
    field: &FieldPath,
    text: &str,
    current: Option<&Value>,
    kept: &[char],
) -> Result<Value, ValidationError> {
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r' && !kept.contains(&c))
    {
        return Err(ValidationError::ControlCharacter);
    }
    let t = text.trim();
    let len = t.chars().count();
    if len > max_chars(field) {
        return Err(ValidationError::TooLong {
            field: field.name,
            len,
            max: max_chars(field),
        });
    }
    match field.kind() {
        FieldKind::Text if field.name == "postCode" => {
            let typed = normalise_postcode(t);
            if !typed
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
            {
                return Err(ValidationError::BadPostcode(t.to_string()));
            }
            if typed.chars().count() > MAX_POSTCODE {
                return Err(ValidationError::LongPostcode(typed.chars().count()));
            }
            if let Some(Value::String(now)) = current
                && normalise_postcode(now) == typed
            {
                return Ok(Value::String(now.clone()));
            }
            Ok(text_value(&typed, current))
        }
        FieldKind::Text => Ok(text_value(t, current)),
        FieldKind::Name => {
            if t.is_empty() {
                Err(ValidationError::EmptyName)
            } else {
                Ok(Value::String(t.to_string()))
            }
        }
        FieldKind::Email => {
            if t.is_empty() || is_email(t) {
                Ok(Value::String(t.to_string()))
            } else {
                Err(ValidationError::BadEmail(t.to_string()))
            }
        }
        FieldKind::Phone => {
            if t.is_empty() || is_phone(t) {
                Ok(Value::String(t.to_string()))
            } else {
                Err(ValidationError::BadPhone(t.to_string()))
            }
        }
        FieldKind::Tags => Ok(Value::Array(parse_tags(t))),
        FieldKind::Coordinates => parse_coordinates(t),
        FieldKind::Schedule => {
            if t.is_empty() {
                return Err(ValidationError::EmptySchedule);
            }
            if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("null") {
                return Ok(Value::Null);
            }
            let week = parse_week_line(t)?;
            week.validate()?;
            Ok(schedule_value(&week, current))
        }
        FieldKind::Duration => parse_duration(t, current),
        FieldKind::TimeWindows => {
            let windows = parse_day(t)?;
            Ok(windows_value(&windows, current))
        }
        FieldKind::What3words => parse_what3words(t),
    }
}

/// Checks a value given as JSON (an edits file's non-string `value`) and returns
/// it unchanged when it fits the field.
pub fn validate_value(field: &FieldPath, value: &Value) -> Result<Value, ValidationError> {
    if let Value::String(s) = value {
        return parse_input(field, s, None);
    }
    let wrong = |expected| ValidationError::WrongType {
        field: field.name,
        expected,
    };
    match (field.kind(), value) {
        (FieldKind::Name, _) => Err(wrong("a non-empty text")),
        (_, Value::Null) => Ok(Value::Null),
        (FieldKind::Text, Value::Number(_)) => Ok(value.clone()),
        (FieldKind::Text | FieldKind::Email | FieldKind::Phone | FieldKind::What3words, _) => {
            Err(wrong("a text"))
        }
        (FieldKind::Tags, Value::Array(list)) if list.iter().all(Value::is_string) => {
            Ok(value.clone())
        }
        (FieldKind::Tags, _) => Err(wrong("a list of texts")),
        (FieldKind::Coordinates, Value::Array(a)) if a.len() == 2 => {
            match (a[0].as_f64(), a[1].as_f64()) {
                (Some(lon), Some(lat)) => {
                    check_lat_lon(lat, lon, &a[1].to_string(), &a[0].to_string())?;
                    Ok(value.clone())
                }
                _ => Err(wrong("[longitude, latitude]")),
            }
        }
        (FieldKind::Coordinates, _) => Err(wrong("[longitude, latitude]")),
        (FieldKind::Duration, Value::Number(n)) => {
            let m = n.as_f64().ok_or_else(|| wrong("a number of minutes"))?;
            check_duration(m, &n.to_string())?;
            Ok(value.clone())
        }
        (FieldKind::Duration, _) => Err(wrong("a number of minutes")),
        (FieldKind::Schedule, Value::Object(days)) => {
            let mut week = WeekHours::default();
            for (key, day) in days {
                let Some(d) = Weekday::ALL.into_iter().find(|d| d.key() == key) else {
                    continue;
                };
                if day.is_null() {
                    continue;
                }
                let windows = match day.get("timeWindows") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(w) => raw_windows(w).ok_or_else(|| wrong("a schedule keyed Mon … Sun"))?,
                };
                week.days[d.index()] = windows;
            }
            for day in &mut week.days {
                day.sort_unstable();
            }
            week.validate()?;
            Ok(value.clone())
        }
        (FieldKind::Schedule, _) => Err(wrong("a schedule keyed Mon … Sun, or null")),
        (FieldKind::TimeWindows, w @ Value::Array(_)) => {
            let mut windows = raw_windows(w).ok_or_else(|| wrong("a list of {start, end}"))?;
            windows.sort_unstable();
            let mut week = WeekHours::default();
            week.days[0] = windows;
            week.validate()?;
            Ok(value.clone())
        }
        (FieldKind::TimeWindows, _) => Err(wrong("a list of {start, end}")),
    }
}

fn raw_windows(v: &Value) -> Option<Vec<(i64, i64)>> {
    v.as_array()?
        .iter()
        .map(|w| Some((w.get("start")?.as_i64()?, w.get("end")?.as_i64()?)))
        .collect()
}

/// A postcode as eLogii should hold it: trimmed, inner whitespace collapsed to
/// one space, upper-case (`" bl1   3qt "` → `"BL1 3QT"`).
pub fn normalise_postcode(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Whether a location's `country` names the United Kingdom (`GB`, `UK`,
/// `United Kingdom`, `Great Britain`, or one of its four nations; any case).
pub fn is_uk_country(country: &str) -> bool {
    let c = country.trim().to_ascii_lowercase().replace('.', "");
    matches!(
        c.as_str(),
        "gb" | "gbr"
            | "uk"
            | "united kingdom"
            | "great britain"
            | "england"
            | "scotland"
            | "wales"
            | "northern ireland"
    )
}

/// A UK postcode in its usual shape (area letters, district, one space,
/// sector digit, two unit letters: `M31 4FQ`, `EC1A 1BB`, `GIR 0AA`), from
/// text already put through [`normalise_postcode`]; the space is put in when
/// it was left out (`M314FQ`). `None` when the text is not shaped like one.
pub fn uk_postcode(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| *c != ' ').collect();
    if text.chars().filter(|c| *c == ' ').count() > 1 || !compact.is_ascii() {
        return None;
    }
    if compact == "GIR0AA" {
        return Some("GIR 0AA".into());
    }
    let b = compact.as_bytes();
    if !(5..=7).contains(&b.len()) {
        return None;
    }
    let (outward, inward) = b.split_at(b.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_uppercase()
        && inward[2].is_ascii_uppercase();
    // Outward: A9, A99, AA9, AA99, A9A, AA9A.
    let letters = outward
        .iter()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    let rest = &outward[letters..];
    let outward_ok = (1..=2).contains(&letters)
        && match rest {
            [d] => d.is_ascii_digit(),
            [d, x] => d.is_ascii_digit() && (x.is_ascii_digit() || x.is_ascii_uppercase()),
            _ => false,
        };
    if !(inward_ok && outward_ok) {
        return None;
    }
    let (o, i) = compact.split_at(compact.len() - 3);
    Some(format!("{o} {i}"))
}

fn text_value(t: &str, current: Option<&Value>) -> Value {
    if matches!(current, Some(Value::Number(_)))
        && let Ok(n) = serde_json::from_str::<Number>(t)
        && n.to_string() == t
    {
        return Value::Number(n);
    }
    Value::String(t.to_string())
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty()
        || domain.contains('@')
        || s.chars().any(|c| c.is_whitespace() || c.is_control())
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

fn is_phone(s: &str) -> bool {
    let lower = s.to_lowercase();
    // Split off an extension: `ext 12`, `ext. 12`, `extension 12`, `x12`, `#12`.
    let cut = lower
        .char_indices()
        .find(|&(_, c)| c.is_alphabetic() || c == '#')
        .map(|(i, _)| i);
    let (main, ext) = match cut {
        Some(i) => (&lower[..i], Some(&lower[i..])),
        None => (lower.as_str(), None),
    };
    if let Some(ext) = ext {
        let digits = ["extension", "ext.", "ext", "x", "#"]
            .iter()
            .find_map(|p| ext.strip_prefix(p))
            .map(|d| d.trim_start_matches([':', '.', ' ']).trim());
        match digits {
            Some(d) if !d.is_empty() && d.len() <= 8 && d.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return false,
        }
    }
    let main = main.trim();
    let body = main.strip_prefix('+').unwrap_or(main);
    let allowed = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '.' | '/'));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    allowed && (3..=20).contains(&digits)
}

fn parse_tags(t: &str) -> Vec<Value> {
    let mut seen: Vec<&str> = Vec::new();
    for tag in t.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !seen.contains(&tag) {
            seen.push(tag);
        }
    }
    seen.into_iter()
        .map(|s| Value::String(s.to_string()))
        .collect()
}

fn parse_coordinates(t: &str) -> Result<Value, ValidationError> {
    if t.is_empty() {
        return Err(ValidationError::EmptyCoordinates);
    }
    if t.starts_with('[') {
        return Err(ValidationError::BracketedCoordinates);
    }
    let inner = t
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(t)
        .trim();
    let parts: Vec<&str> = if inner.contains(',') {
        inner.split(',').map(str::trim).collect()
    } else {
        inner.split_whitespace().collect()
    };
    let bad = || ValidationError::BadCoordinates(t.to_string());
    let [lat_text, lon_text] = parts.as_slice() else {
        return Err(bad());
    };
    let lat: f64 = lat_text.parse().map_err(|_| bad())?;
    let lon: f64 = lon_text.parse().map_err(|_| bad())?;
    if !lat.is_finite() || !lon.is_finite() {
        return Err(bad());
    }
    check_lat_lon(lat, lon, lat_text, lon_text)?;
    let lon = Number::from_f64(lon).ok_or_else(bad)?;
    let lat = Number::from_f64(lat).ok_or_else(bad)?;
    Ok(Value::Array(vec![Value::Number(lon), Value::Number(lat)]))
}

fn check_lat_lon(
    lat: f64,
    lon: f64,
    lat_text: &str,
    lon_text: &str,
) -> Result<(), ValidationError> {
    if !(-90.0..=90.0).contains(&lat) {
        return Err(ValidationError::LatitudeOutOfRange(lat_text.to_string()));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(ValidationError::LongitudeOutOfRange(lon_text.to_string()));
    }
    Ok(())
}

fn check_duration(m: f64, text: &str) -> Result<(), ValidationError> {
    if !m.is_finite() {
        return Err(ValidationError::BadDuration(text.to_string()));
    }
    if m < 0.0 {
        return Err(ValidationError::NegativeDuration);
    }
    if m > MAX_DURATION_MIN {
        return Err(ValidationError::DurationTooLong(text.to_string()));
    }
    Ok(())
}

/// Whether `s` is written as minutes are typed: digits with at most one
/// decimal point, and a leading `-` (refused later as negative). Not `1e3`,
/// `0x10`, `inf` or `NaN`, which Rust's float parsing would take.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
}

fn parse_duration(t: &str, current: Option<&Value>) -> Result<Value, ValidationError> {
    let number = ["minutes", "minute", "mins", "min", "m"]
        .iter()
        .find_map(|s| t.strip_suffix(s))
        .unwrap_or(t)
        .trim();
    if !is_plain_number(number) {
        return Err(ValidationError::BadDuration(t.to_string()));
    }
    let m: f64 = number
        .parse()
        .map_err(|_| ValidationError::BadDuration(t.to_string()))?;
    check_duration(m, t)?;
    let n = if m.fract() == 0.0 {
        // Integral and within a week, so the cast is exact.
        Number::from(m as i64)
    } else {
        Number::from_f64(m).ok_or_else(|| ValidationError::BadDuration(t.to_string()))?
    };
    if matches!(current, Some(Value::String(_))) {
        return Ok(Value::String(n.to_string()));
    }
    Ok(Value::Number(n))
}

/// Whether `w` is one word of a what3words address: letters of any script,
/// with their combining marks (`índice`, `क्या`).
fn is_what3words_word(w: &str) -> bool {
    static WORD: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"^\p{L}[\p{L}\p{M}]*$").ok());
    match WORD.as_ref() {
        Some(re) => re.is_match(w),
        None => !w.is_empty() && w.chars().all(char::is_alphabetic),
    }
}

/// `///filled.count.soap` or `filled.count.soap` → `filled.count.soap`; empty
/// clears.
fn parse_what3words(t: &str) -> Result<Value, ValidationError> {
    if t.is_empty() {
        return Ok(Value::String(String::new()));
    }
    let words = t.strip_prefix("///").unwrap_or(t);
    let parts: Vec<&str> = words.split('.').collect();
    if parts.len() == 3 && parts.iter().all(|w| is_what3words_word(w)) {
        Ok(Value::String(words.to_string()))
    } else {
        Err(ValidationError::BadWhat3words(t.to_string()))
    }
}

/// Windows as `[{start, end}]`, reusing a current window object (with its other
/// members) when it has the same start and end.
fn windows_value(windows: &[(i64, i64)], current: Option<&Value>) -> Value {
    let existing = current.and_then(Value::as_array);
    let list = windows
        .iter()
        .map(|&(start, end)| {
            existing
                .and_then(|list| {
                    list.iter().find(|w| {
                        w.get("start").and_then(Value::as_i64) == Some(start)
                            && w.get("end").and_then(Value::as_i64) == Some(end)
                    })
                })
                .cloned()
                .unwrap_or_else(|| serde_json::json!({"start": start, "end": end}))
        })
        .collect();
    Value::Array(list)
}

/// The eLogii schedule for `week`, keeping every member of the current schedule
/// other than the days' `timeWindows`. A closed day is left out unless its
/// current object holds other members (then they are kept, without windows).
fn schedule_value(week: &WeekHours, current: Option<&Value>) -> Value {
    let current = current.and_then(Value::as_object);
    let mut out = Map::new();
    for day in Weekday::ALL {
        let key = day.key();
        let windows = &week.days[day.index()];
        let existing = current.and_then(|c| c.get(key));
        let mut obj = existing
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if windows.is_empty() {
            obj.shift_remove("timeWindows");
            if !obj.is_empty() {
                out.insert(key.to_string(), Value::Object(obj));
            }
            continue;
        }
        let old_windows = existing.and_then(|d| d.get("timeWindows"));
        obj.insert(
            "timeWindows".to_string(),
            windows_value(windows, old_windows),
        );
        out.insert(key.to_string(), Value::Object(obj));
    }
    if let Some(c) = current {
        for (k, v) in c {
            if !Weekday::ALL.iter().any(|d| d.key() == k) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn loc(name: &'static str) -> FieldPath {
        FieldPath::location("CL-X", name)
    }

    #[test]
    fn coordinates_are_typed_lat_lon() {
        let p = loc("coordinates");
        assert_eq!(
            parse_input(&p, "53.7976, -1.5179", None).unwrap(),
            json!([-1.5179, 53.7976])
        );
        assert_eq!(
            parse_input(&p, "53.7976,-1.5179", None).unwrap(),
            json!([-1.5179, 53.7976])
        );
        assert_eq!(
            parse_input(&p, " 53.7976  -1.5179 ", None).unwrap(),
            json!([-1.5179, 53.7976])
        );
        assert_eq!(
            parse_input(&p, "(53.7976, -1.5179)", None).unwrap(),
            json!([-1.5179, 53.7976])
        );
        let e = parse_input(&p, "153.8, -1.5", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "latitude 153.8 is out of range: it must be between -90 and 90 (type latitude first, then longitude)"
        );
        assert!(matches!(
            parse_input(&p, "53.8, 200", None),
            Err(ValidationError::LongitudeOutOfRange(_))
        ));
        assert_eq!(
            parse_input(&p, "[-1.5, 53.8]", None),
            Err(ValidationError::BracketedCoordinates)
        );
        for bad in [
            "53.8",
            "a, b",
            "1, 2, 3",
            "53,79, -1,51",
            "NaN, 1",
            "inf, 1",
        ] {
            assert!(parse_input(&p, bad, None).is_err(), "{bad}");
        }
        assert_eq!(
            parse_input(&p, "", None),
            Err(ValidationError::EmptyCoordinates)
        );
    }

    #[test]
    fn schedules_keep_unknown_members() {
        let p = loc("schedule");
        let current = json!({
            "Mon": {"timeWindows": [{"start": 480, "end": 1020, "note": "keep"}], "breaks": [1]},
            "Tue": {"timeWindows": [{"start": 480, "end": 1020}]},
            "Sun": {"timeWindows": [{"start": 600, "end": 720}], "flag": true},
            "timezone": "Europe/London"
        });
        let v = parse_input(&p, "Mo-Fr 08:00-17:00; Sa 09:00-12:30", Some(&current)).unwrap();
        assert_eq!(
            v,
            json!({
                "Mon": {"timeWindows": [{"start": 480, "end": 1020, "note": "keep"}], "breaks": [1]},
                "Tue": {"timeWindows": [{"start": 480, "end": 1020}]},
                "Wed": {"timeWindows": [{"start": 480, "end": 1020}]},
                "Thu": {"timeWindows": [{"start": 480, "end": 1020}]},
                "Fri": {"timeWindows": [{"start": 480, "end": 1020}]},
                "Sat": {"timeWindows": [{"start": 540, "end": 750}]},
                "Sun": {"flag": true},
                "timezone": "Europe/London"
            })
        );
        assert_eq!(
            parse_input(&p, "none", Some(&current)).unwrap(),
            Value::Null
        );
        assert_eq!(
            parse_input(&p, "  ", Some(&current)),
            Err(ValidationError::EmptySchedule),
            "clearing the line is not taken as removing every hour"
        );
        assert_eq!(parse_input(&p, "Mo-Su off", None).unwrap(), json!({}));
        let e = parse_input(&p, "Mo 09:00-08:30", None).unwrap_err();
        assert!(e.to_string().contains("ends before it starts"), "{e}");
        assert!(parse_input(&p, "Mo 09:00-12:00, 11:00-13:00", None).is_err());
    }

    #[test]
    fn durations_keep_their_type() {
        let p = loc("serviceDuration");
        assert_eq!(parse_input(&p, "15", Some(&json!(10))).unwrap(), json!(15));
        assert!(parse_input(&p, "15", None).unwrap().as_u64() == Some(15));
        assert_eq!(parse_input(&p, "15.0", None).unwrap(), json!(15));
        assert_eq!(parse_input(&p, "7.5 min", None).unwrap(), json!(7.5));
        assert_eq!(
            parse_input(&p, "20", Some(&json!("10"))).unwrap(),
            json!("20")
        );
        assert_eq!(
            parse_input(&p, "-1", None),
            Err(ValidationError::NegativeDuration)
        );
        assert!(matches!(
            parse_input(&p, "ten", None),
            Err(ValidationError::BadDuration(_))
        ));
        assert!(matches!(
            parse_input(&p, "99999", None),
            Err(ValidationError::DurationTooLong(_))
        ));
    }

    #[test]
    fn durations_are_digits_not_float_notation() {
        let p = loc("serviceDuration");
        for bad in [
            "1e3", "1E3", "1e3 min", "2.5e1", "0x10", "inf", "infinity", "NaN", "+5", "1.2.3", ".",
            "-", "5-",
        ] {
            assert_eq!(
                parse_input(&p, bad, None),
                Err(ValidationError::BadDuration(bad.to_string())),
                "{bad}"
            );
        }
        let err = parse_input(&p, "1e3", None).unwrap_err().to_string();
        assert_eq!(err, "“1e3” is not a duration; type minutes, for example 15");
        for (good, want) in [
            ("7.5", json!(7.5)),
            ("15 min", json!(15)),
            ("15min", json!(15)),
            ("20 minutes", json!(20)),
            ("0", json!(0)),
            (".5", json!(0.5)),
        ] {
            assert_eq!(parse_input(&p, good, None).unwrap(), want, "{good}");
        }
        assert_eq!(
            parse_input(&p, "-5", None),
            Err(ValidationError::NegativeDuration)
        );
    }

    #[test]
    fn what3words_are_three_words_joined_by_dots() {
        let p = loc("what3words");
        assert_eq!(p.kind(), FieldKind::What3words);
        for (typed, want) in [
            ("///filled.count.soap", "filled.count.soap"),
            ("filled.count.soap", "filled.count.soap"),
            ("  ///índice.placa.pelo ", "índice.placa.pelo"),
            ("///закрыть.жена.солнце", "закрыть.жена.солнце"),
            ("///क्या.कहा.गया", "क्या.कहा.गया"),
            ("", ""),
        ] {
            assert_eq!(
                parse_input(&p, typed, None).unwrap(),
                json!(want),
                "{typed}"
            );
        }
        for bad in [
            "Mo-Fr 08:00-20:00",
            "filled.count",
            "filled.count.soap.more",
            "filled..soap",
            "filled count soap",
            "filled.count.s0ap",
            "//filled.count.soap",
            "///",
            "https://w3w.co/filled.count.soap",
        ] {
            assert_eq!(
                parse_input(&p, bad, None),
                Err(ValidationError::BadWhat3words(bad.to_string())),
                "{bad}"
            );
        }
        assert!(
            parse_input(&p, "Mo-Fr 08:00-20:00", None)
                .unwrap_err()
                .to_string()
                .contains("///filled.count.soap")
        );
        assert_eq!(
            validate_value(&p, &json!(12)),
            Err(ValidationError::WrongType {
                field: "what3words",
                expected: "a text"
            })
        );
    }

    #[test]
    fn control_characters_the_value_held_can_be_kept() {
        let p = FieldPath::top("name");
        assert_eq!(
            parse_input(&p, "A\u{1b}B", None),
            Err(ValidationError::ControlCharacter)
        );
        assert_eq!(
            parse_input_keeping(&p, "A\u{1b}Bz", None, &['\u{1b}']).unwrap(),
            json!("A\u{1b}Bz")
        );
        assert_eq!(
            parse_input_keeping(&p, "A\u{1b}B\u{7}", None, &['\u{1b}']),
            Err(ValidationError::ControlCharacter)
        );
    }

    #[test]
    fn text_email_phone_name_tags() {
        assert_eq!(
            parse_input(&FieldPath::top("contactName"), "  Ann Lee ", None).unwrap(),
            json!("Ann Lee")
        );
        assert_eq!(
            parse_input(&loc("postCode"), "01234", Some(&json!("01000"))).unwrap(),
            json!("01234")
        );
        assert_eq!(
            parse_input(&loc("postCode"), "1234", Some(&json!(1000))).unwrap(),
            json!(1234)
        );
        assert_eq!(
            parse_input(&loc("postCode"), "01234", Some(&json!(1000))).unwrap(),
            json!("01234")
        );
        assert_eq!(
            parse_input(&FieldPath::top("contactName"), "a\u{1b}[2Jb", None),
            Err(ValidationError::ControlCharacter)
        );
        assert_eq!(
            parse_input(&FieldPath::top("name"), "  ", None),
            Err(ValidationError::EmptyName)
        );
        let email = FieldPath::top("contactEmail");
        for good in ["a@b.co", "first.last+tag@sub.example.org", ""] {
            assert!(parse_input(&email, good, None).is_ok(), "{good}");
        }
        for bad in [
            "a@b", "a b@c.d", "@c.d", "a@@c.d", "a@.c", "a..b@c.d", "a@c..d",
        ] {
            assert!(parse_input(&email, bad, None).is_err(), "{bad}");
        }
        let phone = FieldPath::top("contactPhone");
        for good in [
            "+44 113 496 0000",
            "(0113) 496-0000",
            "0113.496.0000 ext 12",
            "0113 4960000 x12",
            "0113 4960000 #3",
            "",
        ] {
            assert!(parse_input(&phone, good, None).is_ok(), "{good}");
        }
        for bad in [
            "call me",
            "12",
            "0113 496 0000 ext",
            "44+113",
            "0113 ext twelve",
        ] {
            assert!(parse_input(&phone, bad, None).is_err(), "{bad}");
        }
        assert_eq!(
            parse_input(&FieldPath::top("tags"), "a, b,, a , c d", None).unwrap(),
            json!(["a", "b", "c d"])
        );
        assert_eq!(
            parse_input(&FieldPath::top("tags"), "", None).unwrap(),
            json!([])
        );
    }

    #[test]
    fn a_value_far_longer_than_any_real_one_is_refused_with_its_length() {
        let name = "x".repeat(MAX_LINE_CHARS + 1);
        assert_eq!(
            parse_input(&FieldPath::top("name"), &name, None),
            Err(ValidationError::TooLong {
                field: "name",
                len: MAX_LINE_CHARS + 1,
                max: MAX_LINE_CHARS
            })
        );
        // Characters, not bytes: 1 000 Vietnamese letters are fine.
        let viet = "ệ".repeat(MAX_LINE_CHARS);
        assert!(parse_input(&FieldPath::top("name"), &viet, None).is_ok());
        // Notes take more.
        let note = "line\n".repeat(1_500);
        assert!(parse_input(&FieldPath::top("instructions"), &note, None).is_ok());
        let e = parse_input(
            &FieldPath::top("instructions"),
            &"y".repeat(MAX_NOTE_CHARS + 5),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "this is 10005 characters, and instructions takes at most 10000; was something pasted by mistake?"
        );
    }

    #[test]
    fn uk_postcodes_are_told_by_their_shape() {
        for (typed, shaped) in [
            ("M31 4FQ", "M31 4FQ"),
            ("M314FQ", "M31 4FQ"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("W1A 0AX", "W1A 0AX"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("SK144LW", "SK14 4LW"),
            ("GIR 0AA", "GIR 0AA"),
        ] {
            assert_eq!(uk_postcode(typed).as_deref(), Some(shaped), "{typed}");
        }
        for odd in [
            "M31 4FQQ", "M31", "ZZ499", "31 4FQ", "M31 FQ4", "MMM1 4FQ", "M31 4 FQ", "M3-1 4FQ",
            "", "M31 4ÉQ",
        ] {
            assert_eq!(uk_postcode(odd), None, "{odd}");
        }
        for uk in ["GB", "uk", "United Kingdom", "U.K.", " Scotland ", "wales"] {
            assert!(is_uk_country(uk), "{uk}");
        }
        for other in ["FI", "Austria", "VN", "", "Ireland"] {
            assert!(!is_uk_country(other), "{other}");
        }
    }

    #[test]
    fn postcodes_are_normalised() {
        let p = loc("postCode");
        assert_eq!(
            parse_input(&p, " bl1   3qt\t", Some(&json!("BL1 1AA"))).unwrap(),
            json!("BL1 3QT")
        );
        assert_eq!(parse_input(&p, "ls1 4dy", None).unwrap(), json!("LS1 4DY"));
        // Normalising to the current value (in its normal form) is no change.
        assert_eq!(
            parse_input(&p, "bl1 3qt", Some(&json!("BL1 3QT"))).unwrap(),
            json!("BL1 3QT")
        );
        assert_eq!(
            parse_input(&p, "bl1 3qt", Some(&json!("bl1  3QT"))).unwrap(),
            json!("bl1  3QT")
        );
        assert_eq!(parse_input(&p, "  ", None).unwrap(), json!(""));
        // Postcodes of every country are letters, digits, spaces and hyphens.
        for good in [
            "00530", "5020", "100000", "D02 X285", "1010-123", "SW1A 0AA",
        ] {
            assert!(parse_input(&p, good, None).is_ok(), "{good}");
        }
        assert_eq!(
            parse_input(&p, "12345678901234567890", None),
            Err(ValidationError::LongPostcode(20))
        );
        for bad in ["91, 0", "BL3/1SX", "M1 1AA.", "53.4, -2.3"] {
            assert_eq!(
                parse_input(&p, bad, None),
                Err(ValidationError::BadPostcode(bad.to_string())),
                "{bad}"
            );
        }
        // Other text fields keep their case and spaces.
        assert_eq!(
            parse_input(&loc("city"), "  st  ives ", None).unwrap(),
            json!("st  ives")
        );
        assert_eq!(
            validate_value(&p, &json!("m1  1ae")).unwrap(),
            json!("M1 1AE")
        );
    }

    #[test]
    fn task_windows_keep_members() {
        let p = FieldPath::top("timeWindows");
        let current = json!([{"start": 540, "end": 720, "x": 1}]);
        assert_eq!(
            parse_input(&p, "14:00-17:00, 09:00-12:00", Some(&current)).unwrap(),
            json!([{"start": 540, "end": 720, "x": 1}, {"start": 840, "end": 1020}])
        );
        assert_eq!(parse_input(&p, "", None).unwrap(), json!([]));
        assert!(parse_input(&p, "9-12", None).is_err());
    }

    #[test]
    fn json_values_are_checked() {
        assert!(validate_value(&loc("coordinates"), &json!([-1.5, 53.8])).is_ok());
        assert!(validate_value(&loc("coordinates"), &json!([53.8, -191.5])).is_err());
        assert!(validate_value(&loc("coordinates"), &json!("53.8, -1.5")).is_ok());
        assert!(
            validate_value(
                &loc("schedule"),
                &json!({"Mon": {"timeWindows": [{"start": 480, "end": 600}]}})
            )
            .is_ok()
        );
        assert!(
            validate_value(
                &loc("schedule"),
                &json!({"Mon": {"timeWindows": [{"start": 600, "end": 480}]}})
            )
            .is_err()
        );
        assert!(validate_value(&loc("schedule"), &json!(null)).is_ok());
        assert!(validate_value(&loc("setupDuration"), &json!(-3)).is_err());
        assert!(validate_value(&FieldPath::top("tags"), &json!(["a", 1])).is_err());
        assert!(validate_value(&FieldPath::top("name"), &json!(null)).is_err());
        assert!(
            validate_value(
                &FieldPath::top("timeWindows"),
                &json!([{"start": 540, "end": 720}])
            )
            .is_ok()
        );
    }
}
