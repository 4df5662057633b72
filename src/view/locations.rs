//! The locations view: one row a location, across all customers.

use std::borrow::Cow;

use crate::api::types::{Customer, Field, Location};
use crate::app::table::Column;
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::{WeekHours, format_week_line};
use crate::view::widgets::field_text;

/// Columns of the locations view.
pub const COLUMNS: &[Column] = &[
    Column::text("Customer", 14, 32),
    Column::text("Location", 10, 32),
    Column::text("UID", 11, 11),
    Column::text("Address", 12, 36),
    Column::text("Postcode", 8, 9),
    Column::text("City", 6, 16),
    Column::text("Hours", 10, 40),
    Column::text("Phone", 8, 16),
];

/// A location's opening hours as one line (`Mo-Fr 08:30-17:30; Sa-Su off`);
/// `?` and the source text when it could not be read; empty when not set.
pub fn hours(l: &Location) -> Cow<'_, str> {
    match &l.schedule {
        Field::Value(s) => Cow::Owned(format_week_line(&WeekHours::from_schedule(s))),
        Field::Null | Field::Raw(_) => {
            match l.extra.get("openingHoursText").and_then(|v| v.as_str()) {
                Some(t) => Cow::Owned(format!("? {}", sanitize(t))),
                None => Cow::Borrowed(""),
            }
        }
        Field::Absent => Cow::Borrowed(""),
    }
}

/// Text of one cell (sanitised).
pub fn cell<'a>(c: &'a Customer, l: &'a Location, col: usize) -> Cow<'a, str> {
    match col {
        0 => field_text(&c.name),
        1 => field_text(&l.name),
        2 => field_text(&l.uid),
        3 => field_text(&l.address),
        4 => field_text(&l.post_code),
        5 => field_text(&l.city),
        6 => hours(l),
        7 => field_text(&l.contact_phone),
        _ => Cow::Borrowed(""),
    }
}
