//! The customers view: one row a customer.

use std::borrow::Cow;

use crate::api::types::Customer;
use crate::app::table::Column;
use crate::domain::sanitize::sanitize;
use crate::view::widgets::field_text;

/// Columns of the customers view.
pub const COLUMNS: &[Column] = &[
    Column::text("Name", 14, 40),
    Column::text("External id", 8, 28),
    Column::text("UID", 12, 12),
    Column::text("Contact", 8, 22),
    Column::num("Locs", 4, 4),
    Column::text("Address", 12, 40),
    Column::text("Postcode", 8, 9),
    Column::text("City", 6, 18),
    Column::text("Tags", 4, 20),
];

/// A customer's contact: its name, phone or email, else its first location's.
pub fn contact(c: &Customer) -> Cow<'_, str> {
    for f in [&c.contact_name, &c.contact_phone, &c.contact_email] {
        let t = field_text(f);
        if !t.trim().is_empty() {
            return t;
        }
    }
    if let Some(l) = c.locations().first() {
        for f in [&l.contact_name, &l.contact_phone, &l.contact_email] {
            let t = field_text(f);
            if !t.trim().is_empty() {
                return t;
            }
        }
    }
    Cow::Borrowed("")
}

/// Text of one cell (sanitised).
pub fn cell(c: &Customer, col: usize) -> Cow<'_, str> {
    let first = c.locations().first();
    match col {
        0 => field_text(&c.name),
        1 => field_text(&c.external_id),
        2 => field_text(&c.uid),
        3 => contact(c),
        4 => Cow::Owned(c.locations().len().to_string()),
        5 => first.map_or(Cow::Borrowed(""), |l| field_text(&l.address)),
        6 => first.map_or(Cow::Borrowed(""), |l| field_text(&l.post_code)),
        7 => first.map_or(Cow::Borrowed(""), |l| field_text(&l.city)),
        8 => match c.tags.get() {
            Some(tags) => Cow::Owned(sanitize(&tags.join(", ")).into_owned()),
            None => Cow::Borrowed(""),
        },
        _ => Cow::Borrowed(""),
    }
}
