//! One location as a form: its fields, coordinates as `lat, lon`, and its
//! opening hours as a week grid (one line a day) and as the one-line form.
//! Editable lines open the inline editor (`e` or Enter); staged values show
//! with their mark.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::Value;

use crate::api::types::{Customer, Field, Location};
use crate::app::edit::{FormRow, form_rows};
use crate::app::model::{Model, Part, Target};
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::{WeekHours, Weekday, format_day, format_week_line};
use crate::view::form::draw_form;
use crate::view::widgets::{field_text, put};

/// Coordinates as `lat, lon` (numbers as eLogii sent them).
pub fn coordinates_text(l: &Location) -> String {
    match &l.coordinates {
        Field::Value(c) if c.0.len() >= 2 => format!("{}, {}", c.0[1], c.0[0]),
        Field::Value(c) => sanitize(&serde_json::to_string(&c.0).unwrap_or_default()).into_owned(),
        Field::Raw(v) => sanitize(&v.to_string()).into_owned(),
        Field::Null | Field::Absent => match l.extra.get("coordinatesText") {
            Some(v) => format!("? {}", sanitize(&v.to_string())),
            None => String::new(),
        },
    }
}

fn number(f: &Field<serde_json::Number>) -> String {
    match f {
        Field::Value(n) => n.to_string(),
        Field::Raw(v) => sanitize(&v.to_string()).into_owned(),
        _ => String::new(),
    }
}

/// A form line: label, value as shown, and the location field it edits
/// (`None`: read-only).
pub type FieldLine = (String, String, Option<(&'static str, Part)>);

/// The form's lines, with the location field each one edits. The schedule
/// shows as the one-line form (`Hours`) and as a week grid (`Mon` … `Sun`),
/// both editable.
pub fn fields(c: &Customer, l: &Location) -> Vec<FieldLine> {
    let s = |f: &Field<String>| field_text(f).into_owned();
    let whole = |name: &'static str| Some((name, Part::Whole));
    let mut out: Vec<FieldLine> = vec![
        ("Customer".into(), s(&c.name), None),
        ("Name".into(), s(&l.name), whole("name")),
        ("UID".into(), s(&l.uid), None),
        ("External id".into(), s(&l.external_id), None),
        ("Address".into(), s(&l.address), whole("address")),
        (
            "Address line 2".into(),
            s(&l.address_line2),
            whole("addressLine2"),
        ),
        ("Postcode".into(), s(&l.post_code), whole("postCode")),
        ("City".into(), s(&l.city), whole("city")),
        ("Country".into(), s(&l.country), whole("country")),
        (
            "Coordinates".into(),
            coordinates_text(l),
            whole("coordinates"),
        ),
    ];
    let source = l
        .extra
        .get("openingHoursText")
        .and_then(Value::as_str)
        .map(|t| sanitize(t).into_owned());
    let week = match &l.schedule {
        Field::Value(schedule) => {
            let week = WeekHours::from_schedule(schedule);
            out.push(("Hours".into(), format_week_line(&week), whole("schedule")));
            week
        }
        other => {
            let text = match other {
                Field::Raw(v) => format!("unreadable: {}", sanitize(&v.to_string())),
                Field::Null => "not set (null)".into(),
                _ => "not set".into(),
            };
            out.push(("Hours".into(), text, whole("schedule")));
            WeekHours::default()
        }
    };
    for day in Weekday::ALL {
        let shown = if matches!(l.schedule, Field::Value(_)) {
            format_day(week.day(day))
        } else {
            String::new()
        };
        out.push((
            format!("  {}", day.key()),
            shown,
            Some(("schedule", Part::Day(day))),
        ));
    }
    if let Some(src) = source {
        out.push(("Hours as given".into(), src, None));
    }
    out.extend([
        ("Contact".into(), s(&l.contact_name), whole("contactName")),
        ("Phone".into(), s(&l.contact_phone), whole("contactPhone")),
        ("Email".into(), s(&l.contact_email), whole("contactEmail")),
        (
            "Instructions".into(),
            s(&l.instructions),
            whole("instructions"),
        ),
        (
            "Setup (min)".into(),
            number(&l.setup_duration),
            whole("setupDuration"),
        ),
        (
            "Service (min)".into(),
            number(&l.service_duration),
            whole("serviceDuration"),
        ),
        ("Reference".into(), s(&l.reference), None),
        ("what3words".into(), s(&l.what3words), whole("what3words")),
    ]);
    out
}

/// The form's lines for a customer and location index (with staged values).
pub fn rows_of(model: &Model, cust: u32, loc: u32) -> Option<Vec<FormRow>> {
    form_rows(model, Target::Location { cust, loc })
}

/// Number of lines of the form.
pub fn field_count(model: &Model, cust: u32, loc: u32) -> usize {
    rows_of(model, cust, loc).map_or(0, |f| f.len())
}

/// Draws the location form.
pub fn render(model: &Model, cust: u32, loc: u32, field: usize, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    match rows_of(model, cust, loc) {
        Some(rows) => {
            let inner = Rect {
                x: area.x + 1,
                width: area.width.saturating_sub(2),
                ..area
            };
            draw_form(buf, inner, &rows, field, model);
        }
        None => {
            put(
                buf,
                area.x + 1,
                area.y,
                area.width.saturating_sub(1),
                "This location is no longer loaded.",
                t.dim,
            );
        }
    }
}
