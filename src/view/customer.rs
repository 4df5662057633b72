//! One customer: its fields, then its locations.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::api::types::{Customer, Location};
use crate::app::data::CustomerLocsSrc;
use crate::app::edit::{form_rows, staged_cell, staged_style};
use crate::app::model::{Model, Target};
use crate::app::table::{Column, TableState};
use crate::domain::sanitize::sanitize;
use crate::view::locations::hours;
use crate::view::widgets::{field_text, put, put_padded};

/// Lines above the locations table (fields and a title).
pub const TOP_LINES: u16 = 6;

/// Columns of a customer's locations table.
pub const COLUMNS: &[Column] = &[
    Column::text("Location", 12, 32),
    Column::text("UID", 11, 11),
    Column::text("Address", 12, 36),
    Column::text("Postcode", 8, 9),
    Column::text("City", 6, 16),
    Column::text("Hours", 10, 40),
    Column::text("Phone", 8, 16),
];

/// Text of one cell (sanitised).
pub fn cell(l: &Location, col: usize) -> Cow<'_, str> {
    match col {
        0 => field_text(&l.name),
        1 => field_text(&l.uid),
        2 => field_text(&l.address),
        3 => field_text(&l.post_code),
        4 => field_text(&l.city),
        5 => hours(l),
        6 => field_text(&l.contact_phone),
        _ => Cow::Borrowed(""),
    }
}

/// The customer's own fields: label, value, and the field it edits (`None`: read-only).
pub fn fields(c: &Customer) -> Vec<(&'static str, String, Option<&'static str>)> {
    let tags = c.tags.get().map(|t| t.join(", ")).unwrap_or_default();
    vec![
        ("Name", field_text(&c.name).into_owned(), Some("name")),
        ("UID", field_text(&c.uid).into_owned(), None),
        (
            "External id",
            field_text(&c.external_id).into_owned(),
            Some("externalId"),
        ),
        (
            "Reference",
            field_text(&c.reference).into_owned(),
            Some("reference"),
        ),
        (
            "Contact",
            field_text(&c.contact_name).into_owned(),
            Some("contactName"),
        ),
        (
            "Phone",
            field_text(&c.contact_phone).into_owned(),
            Some("contactPhone"),
        ),
        (
            "Email",
            field_text(&c.contact_email).into_owned(),
            Some("contactEmail"),
        ),
        ("Tags", sanitize(&tags).into_owned(), Some("tags")),
        ("Description", field_text(&c.description).into_owned(), None),
    ]
}

/// Draws the customer screen.
pub fn render(model: &Model, cust: u32, table: &TableState, buf: &mut Buffer, area: Rect) {
    let t = &model.theme;
    let Some(rec) = model.customers.recs.get(cust as usize) else {
        put(
            buf,
            area.x + 1,
            area.y,
            area.width.saturating_sub(1),
            "This customer is no longer loaded.",
            t.dim,
        );
        return;
    };
    let c = &rec.customer;
    let rows = form_rows(model, Target::Customer { cust }).unwrap_or_default();
    // Two columns of fields, five lines.
    let half = area.width / 2;
    let label_w = 12u16;
    for (i, row) in rows.iter().enumerate() {
        let label = &row.label;
        let (col, line) = if i < 5 { (0, i) } else { (1, i - 5) };
        let line = line as u16;
        if line >= area.height {
            continue;
        }
        let x = area.x + 1 + col * half;
        let w = half.saturating_sub(1);
        let y = area.y + line;
        put_padded(buf, x, y, label_w.min(w), label, t.label);
        let (text, style) = match row.mark {
            Some(m) => (format!("{} {}", m.glyph(), row.value), staged_style()),
            None => (row.value.clone(), ratatui::style::Style::new()),
        };
        put(
            buf,
            x + label_w + 1,
            y,
            w.saturating_sub(label_w + 2),
            &text,
            style,
        );
    }
    let n = c.locations().len();
    let title = if n == 1 {
        "1 location".to_string()
    } else {
        format!("{n} locations")
    };
    if area.height > 5 {
        put(
            buf,
            area.x + 1,
            area.y + 5,
            area.width.saturating_sub(1),
            &title,
            t.title,
        );
    }
    let table_area = Rect {
        y: area.y + TOP_LINES,
        height: area.height.saturating_sub(TOP_LINES),
        ..area
    };
    let empty = if table.spec.filter.trim().is_empty() {
        "no locations"
    } else {
        "no locations match the filter (Esc clears it)"
    };
    let src = CustomerLocsSrc(c);
    let widths = crate::view::widths_with_marks(model, &crate::app::table::widths_of(&src));
    let screen = crate::view::base_screen(model);
    let marks = |row: usize, col: usize| {
        staged_cell(model, screen, row, col).map(|(text, mark)| (text, mark.glyph()))
    };
    crate::view::widgets::draw_table_marked(
        buf, table_area, &src, table, t, empty, &widths, &marks,
    );
    crate::view::draw_cell_editor(model, buf, table_area, COLUMNS, table, &widths);
}
