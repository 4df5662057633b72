//! One location as a read-only form: its fields, coordinates as `lat, lon`,
//! and its opening hours as a week grid and as the one-line form.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::Value;

use crate::api::types::{Customer, Field, Location};
use crate::app::model::Model;
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::{WeekHours, Weekday, format_day, format_week_line};
use crate::view::widgets::{draw_fields, field_text, put};

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

/// The form's lines: label and value.
pub fn fields(c: &Customer, l: &Location) -> Vec<(String, String)> {
    let s = |f: &Field<String>| field_text(f).into_owned();
    let mut out: Vec<(String, String)> = vec![
        ("Customer".into(), s(&c.name)),
        ("Name".into(), s(&l.name)),
        ("UID".into(), s(&l.uid)),
        ("External id".into(), s(&l.external_id)),
        ("Address".into(), s(&l.address)),
        ("Address line 2".into(), s(&l.address_line2)),
        ("Postcode".into(), s(&l.post_code)),
        ("City".into(), s(&l.city)),
        ("Country".into(), s(&l.country)),
        ("Coordinates".into(), coordinates_text(l)),
    ];
    let source = l
        .extra
        .get("openingHoursText")
        .and_then(Value::as_str)
        .map(|t| sanitize(t).into_owned());
    match &l.schedule {
        Field::Value(schedule) => {
            let week = WeekHours::from_schedule(schedule);
            out.push(("Hours".into(), format_week_line(&week)));
            for day in Weekday::ALL {
                out.push((format!("  {}", day.key()), format_day(week.day(day))));
            }
        }
        Field::Raw(v) => out.push((
            "Hours".into(),
            format!("unreadable: {}", sanitize(&v.to_string())),
        )),
        Field::Null => out.push(("Hours".into(), "not set (null)".into())),
        Field::Absent => out.push(("Hours".into(), "not set".into())),
    }
    if let Some(src) = source {
        out.push(("Hours as given".into(), src));
    }
    out.extend([
        ("Contact".into(), s(&l.contact_name)),
        ("Phone".into(), s(&l.contact_phone)),
        ("Email".into(), s(&l.contact_email)),
        ("Instructions".into(), s(&l.instructions)),
        ("Setup (min)".into(), number(&l.setup_duration)),
        ("Service (min)".into(), number(&l.service_duration)),
        ("Reference".into(), s(&l.reference)),
        ("what3words".into(), s(&l.what3words)),
    ]);
    out
}

/// The form's lines for a customer and location index.
pub fn fields_of(model: &Model, cust: u32, loc: u32) -> Option<Vec<(String, String)>> {
    let c = &model.customers.recs.get(cust as usize)?.customer;
    let l = c.locations().get(loc as usize)?;
    Some(fields(c, l))
}

/// Number of lines of the form.
pub fn field_count(model: &Model, cust: u32, loc: u32) -> usize {
    fields_of(model, cust, loc).map_or(0, |f| f.len())
}

/// Draws the location form.
pub fn render(model: &Model, cust: u32, loc: u32, field: usize, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    match fields_of(model, cust, loc) {
        Some(fields) => {
            let inner = Rect {
                x: area.x + 1,
                width: area.width.saturating_sub(2),
                ..area
            };
            draw_fields(buf, inner, &fields, Some(field), t);
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
