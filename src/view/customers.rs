//! The customers view: one row a customer.

use std::borrow::Cow;

use crate::api::field::Field;
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

/// Where the Contact column's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactSource {
    /// The first location's field rather than the customer's own.
    pub location: bool,
    /// `contactName`, `contactPhone` or `contactEmail`.
    pub field: &'static str,
}

const CONTACT_FIELDS: [&str; 3] = ["contactName", "contactPhone", "contactEmail"];

/// The first non-empty contact field, the customer's own before its first
/// location's, with where it came from.
fn shown_contact(c: &Customer) -> Option<(ContactSource, &Field<String>)> {
    let own = [&c.contact_name, &c.contact_phone, &c.contact_email];
    let first = c.locations().first();
    let theirs = first.map(|l| [&l.contact_name, &l.contact_phone, &l.contact_email]);
    [(false, Some(own)), (true, theirs)]
        .into_iter()
        .filter_map(|(location, fields)| Some((location, fields?)))
        .find_map(|(location, fields)| {
            let i = fields
                .iter()
                .position(|f| !field_text(f).trim().is_empty())?;
            let field = CONTACT_FIELDS[i];
            Some((ContactSource { location, field }, fields[i]))
        })
}

/// The field the Contact column shows: the customer's name, phone or email,
/// else its first location's; `None` when all are empty.
pub fn contact_source(c: &Customer) -> Option<ContactSource> {
    shown_contact(c).map(|(s, _)| s)
}

/// A customer's contact: its name, phone or email, else its first location's.
pub fn contact(c: &Customer) -> Cow<'_, str> {
    shown_contact(c).map_or(Cow::Borrowed(""), |(_, f)| field_text(f))
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
