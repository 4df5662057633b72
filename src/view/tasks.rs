//! The tasks view: the tasks of a date.

use std::borrow::Cow;

use serde_json::Value;

use crate::api::types::{Field, Task};
use crate::app::data::{task_driver, task_order, task_route, task_windows};
use crate::app::table::Column;
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::format_windows;
use crate::view::widgets::field_text;

/// Columns of the tasks view.
pub const COLUMNS: &[Column] = &[
    Column::text("Ref", 8, 12),
    Column::text("State", 7, 20),
    Column::text("Type", 8, 13),
    Column::text("Customer", 12, 32),
    Column::text("Address", 12, 36),
    Column::text("Postcode", 8, 9),
    Column::text("Windows", 11, 24),
    Column::text("Route", 10, 10),
    Column::num("Stop", 4, 4),
    Column::text("Driver", 10, 20),
];

/// eLogii's name for a task state number (docs/elogii-api.md §9.1).
pub fn state_name(state: i64) -> Option<&'static str> {
    Some(match state {
        -30 => "Cancelled",
        -20 => "Failed",
        -10 => "Pickup failed",
        0 => "Created",
        4 => "Sorted",
        5 => "Loaded",
        10 => "En route to pickup",
        20 => "At pickup",
        30 => "Picked up",
        40 => "En route",
        50 => "Arrived",
        60 => "Completed",
        _ => return None,
    })
}

/// A task's state as text: `stateText` when present, else the name of `state`.
pub fn state_text(t: &Task) -> Cow<'_, str> {
    let text = field_text(&t.state_text);
    if !text.trim().is_empty() {
        return text;
    }
    match &t.state {
        Field::Value(n) => match state_name(*n) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("state {n}")),
        },
        Field::Raw(v) => Cow::Owned(sanitize(&v.to_string()).into_owned()),
        _ => Cow::Borrowed(""),
    }
}

/// A task's type as text (1 pickup and delivery, 2 delivery; inferred meanings).
pub fn type_text(t: &Task) -> Cow<'static, str> {
    match &t.task_type {
        Field::Value(0) => Cow::Borrowed("unset"),
        Field::Value(1) => Cow::Borrowed("pickup+drop"),
        Field::Value(2) => Cow::Borrowed("delivery"),
        Field::Value(n) => Cow::Owned(n.to_string()),
        Field::Raw(v) => Cow::Owned(sanitize(&v.to_string()).into_owned()),
        _ => Cow::Borrowed(""),
    }
}

/// Who the task is for: the location's name, else the customer's name, else its ids.
pub fn customer_text(t: &Task) -> Cow<'_, str> {
    if let Some(l) = t.location.get() {
        let n = field_text(&l.name);
        if !n.trim().is_empty() {
            return n;
        }
    }
    if let Field::Value(Value::Object(c)) = &t.customer {
        for k in ["name", "externalId", "uid"] {
            if let Some(s) = c.get(k).and_then(Value::as_str)
                && !s.trim().is_empty()
            {
                return sanitize(s);
            }
        }
    }
    Cow::Borrowed("")
}

/// Index of the Windows column (the task's `timeWindows`).
pub const WINDOWS_COL: usize = 6;

/// Windows as `08:30-13:00, 14:00-17:00`.
pub fn windows_text(t: &Task) -> String {
    format_windows(&task_windows(t))
}

/// Text of one cell (sanitised).
pub fn cell(t: &Task, col: usize) -> Cow<'_, str> {
    let loc = t.location.get();
    match col {
        0 => {
            let r = field_text(&t.reference);
            if r.trim().is_empty() {
                field_text(&t.uid)
            } else {
                r
            }
        }
        1 => state_text(t),
        2 => type_text(t),
        3 => customer_text(t),
        4 => loc.map_or(Cow::Borrowed(""), |l| field_text(&l.address)),
        5 => loc.map_or(Cow::Borrowed(""), |l| field_text(&l.post_code)),
        WINDOWS_COL => Cow::Owned(windows_text(t)),
        7 => task_route(t).map_or(Cow::Borrowed(""), sanitize),
        8 => task_order(t).map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string())),
        9 => Cow::Owned(sanitize(&task_driver(t)).into_owned()),
        _ => Cow::Borrowed(""),
    }
}

/// A task's form: label, value, and the field it edits (`None`: read-only).
pub fn form_fields(t: &Task) -> Vec<(&'static str, String, Option<&'static str>)> {
    vec![
        ("Ref", cell(t, 0).into_owned(), None),
        ("State", state_text(t).into_owned(), None),
        ("Customer", customer_text(t).into_owned(), None),
        (
            "Address",
            t.location
                .get()
                .map(|l| field_text(&l.address).into_owned())
                .unwrap_or_default(),
            None,
        ),
        ("Windows", windows_text(t), Some("timeWindows")),
        (
            "Instructions",
            field_text(&t.instructions).into_owned(),
            Some("instructions"),
        ),
        (
            "Internal comment",
            field_text(&t.internal_comment).into_owned(),
            Some("internalComment"),
        ),
        ("Route", cell(t, 7).into_owned(), None),
        ("Stop", cell(t, 8).into_owned(), None),
        ("Driver", cell(t, 9).into_owned(), None),
    ]
}
