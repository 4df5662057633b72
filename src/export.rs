//! `elogii-tui export`: records to stdout as JSON (every field kept) or CSV
//! (one row per customer location, task or route).

use std::io::Write;

use serde_json::Value;

use crate::api::types::{Customer, Route, Task};
use crate::domain::sanitize::sanitize;
use crate::domain::schedule::{WeekHours, format_week_line, format_window};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Entity {
    Customers,
    Tasks,
    Routes,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A JSON array, every field as eLogii sent it.
    #[default]
    Json,
    /// CSV with a header row.
    Csv,
}

/// Column names of the CSV for an entity.
pub fn csv_header(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Customers => &[
            "_id",
            "uid",
            "externalId",
            "name",
            "contactName",
            "contactPhone",
            "contactEmail",
            "tags",
            "location_uid",
            "location_name",
            "address",
            "addressLine2",
            "postCode",
            "city",
            "country",
            "lat",
            "lon",
            "schedule",
            "setupDuration",
            "serviceDuration",
        ],
        Entity::Tasks => &[
            "_id",
            "uid",
            "reference",
            "date",
            "state",
            "stateText",
            "customer_uid",
            "location_name",
            "address",
            "postCode",
            "city",
            "timeWindows",
            "routeUID",
            "routeOrder",
            "driver",
        ],
        Entity::Routes => &[
            "_id", "uid", "name", "date", "driver", "vehicle", "locked", "distance", "duration",
        ],
    }
}

/// CSV rows for one record (customers give one row per location, at least one).
pub fn csv_rows(entity: Entity, record: &Value) -> Vec<Vec<String>> {
    match entity {
        Entity::Customers => customer_rows(record),
        Entity::Tasks => vec![task_row(record)],
        Entity::Routes => vec![route_row(record)],
    }
}

fn customer_rows(record: &Value) -> Vec<Vec<String>> {
    let Ok(c) = serde_json::from_value::<Customer>(record.clone()) else {
        return vec![unreadable_row(record, csv_header(Entity::Customers).len())];
    };
    let head = vec![
        c.id.display(),
        c.uid.display(),
        c.external_id.display(),
        c.name.display(),
        c.contact_name.display(),
        c.contact_phone.display(),
        c.contact_email.display(),
        c.tags.get().map(|t| t.join(";")).unwrap_or_default(),
    ];
    let mut rows = Vec::new();
    for loc in c.locations() {
        let mut row = head.clone();
        let coords = loc.coordinates.get();
        row.extend([
            loc.uid.display(),
            loc.name.display(),
            loc.address.display(),
            loc.address_line2.display(),
            loc.post_code.display(),
            loc.city.display(),
            loc.country.display(),
            coords
                .and_then(|c| c.lat())
                .map(|v| v.to_string())
                .unwrap_or_default(),
            coords
                .and_then(|c| c.lon())
                .map(|v| v.to_string())
                .unwrap_or_default(),
            match loc.schedule.get() {
                Some(s) => format_week_line(&WeekHours::from_schedule(s)),
                None => loc.schedule.display(),
            },
            loc.setup_duration.display(),
            loc.service_duration.display(),
        ]);
        rows.push(row);
    }
    if rows.is_empty() {
        let mut row = head;
        row.resize(csv_header(Entity::Customers).len(), String::new());
        rows.push(row);
    }
    rows
}

fn task_row(record: &Value) -> Vec<String> {
    let Ok(t) = serde_json::from_value::<Task>(record.clone()) else {
        return unreadable_row(record, csv_header(Entity::Tasks).len());
    };
    let loc = t.location.get();
    let windows = t
        .time_windows
        .get()
        .map(|w| {
            w.iter()
                .map(|w| format_window(w.start, w.end))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let a = t.assignment();
    vec![
        t.id.display(),
        t.uid.display(),
        t.reference.display(),
        t.date.display(),
        t.state.display(),
        t.state_text.display(),
        t.customer
            .get()
            .and_then(|c| c.get("uid"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        loc.map(|l| l.name.display()).unwrap_or_default(),
        loc.map(|l| l.address.display()).unwrap_or_default(),
        loc.map(|l| l.post_code.display()).unwrap_or_default(),
        loc.map(|l| l.city.display()).unwrap_or_default(),
        windows,
        a.map(|a| a.route_uid.display()).unwrap_or_default(),
        a.map(|a| a.route_order.display()).unwrap_or_default(),
        a.and_then(|a| a.assignee.get())
            .and_then(|x| x.info.get())
            .map(|p| p.full_name())
            .unwrap_or_default(),
    ]
}

fn route_row(record: &Value) -> Vec<String> {
    let Ok(r) = serde_json::from_value::<Route>(record.clone()) else {
        return unreadable_row(record, csv_header(Entity::Routes).len());
    };
    let vehicle = match r.vehicle.get() {
        Some(Value::Object(m)) => m
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| r.vehicle.display()),
        _ => r.vehicle.display(),
    };
    vec![
        r.id.display(),
        r.uid.display(),
        r.name.display(),
        r.date.display(),
        r.driver.get().map(|d| d.full_name()).unwrap_or_default(),
        vehicle,
        r.locked.display(),
        r.distance.display(),
        r.duration.display(),
    ]
}

fn unreadable_row(record: &Value, width: usize) -> Vec<String> {
    let mut row = vec![
        record
            .get("_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    ];
    row.resize(width, String::new());
    row
}

/// Writes JSON with every non-ASCII control, bidi or invisible format character
/// escaped as `\uXXXX`: the same JSON value, but safe to show on a terminal.
pub fn terminal_safe_json(value: &Value) -> String {
    let text = value.to_string();
    if !text.chars().any(needs_json_escape) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_json_escape(c) {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_json_escape(c: char) -> bool {
    // serde_json already escapes C0; what remains dangerous is DEL, C1 and invisible/bidi format chars.
    c == '\u{7f}' || sanitize(c.encode_utf8(&mut [0u8; 4])) != c.to_string()
}

/// Streams records into `out` in the chosen format.
pub struct Exporter<W: Write> {
    out: W,
    entity: Entity,
    format: Format,
    sanitize_text: bool,
    csv: Option<csv::Writer<Vec<u8>>>,
    written: usize,
}

impl<W: Write> Exporter<W> {
    /// Starts an export; `to_terminal` makes CSV cells safe to show on a tty.
    pub fn new(out: W, entity: Entity, format: Format, to_terminal: bool) -> std::io::Result<Self> {
        let mut this = Self {
            out,
            entity,
            format,
            sanitize_text: to_terminal,
            csv: None,
            written: 0,
        };
        match format {
            Format::Json => this.out.write_all(b"[")?,
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(csv_header(entity))
                    .map_err(std::io::Error::other)?;
                this.flush_csv(w)?;
            }
        }
        Ok(this)
    }

    fn flush_csv(&mut self, mut w: csv::Writer<Vec<u8>>) -> std::io::Result<()> {
        w.flush()?;
        let bytes = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.out.write_all(&bytes)?;
        self.csv = Some(csv::Writer::from_writer(Vec::new()));
        Ok(())
    }

    /// Writes one page of records.
    pub fn write_page(&mut self, page: &[Value]) -> std::io::Result<()> {
        match self.format {
            Format::Json => {
                for record in page {
                    let sep: &[u8] = if self.written == 0 { b"\n" } else { b",\n" };
                    self.out.write_all(sep)?;
                    self.out.write_all(terminal_safe_json(record).as_bytes())?;
                    self.written += 1;
                }
            }
            Format::Csv => {
                let mut w = self
                    .csv
                    .take()
                    .unwrap_or_else(|| csv::Writer::from_writer(Vec::new()));
                for record in page {
                    for row in csv_rows(self.entity, record) {
                        let row: Vec<String> = if self.sanitize_text {
                            row.iter().map(|c| sanitize(c).into_owned()).collect()
                        } else {
                            row
                        };
                        w.write_record(&row).map_err(std::io::Error::other)?;
                    }
                    self.written += 1;
                }
                self.flush_csv(w)?;
            }
        }
        self.out.flush()
    }

    /// Closes the output (the JSON array) and returns it with the number of records.
    pub fn finish(mut self) -> std::io::Result<(W, usize)> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_export_is_the_same_value_and_terminal_safe() {
        let v = json!({"name": "Acme\u{1b}[2J\u{9b}31m\u{202e}X", "n": 5});
        let text = terminal_safe_json(&v);
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn exporter_writes_a_json_array_and_csv_rows() {
        let page = vec![
            json!({"_id": "a", "name": "One", "locations": [{"uid": "CL-1", "postCode": "00500"}, {"uid": "CL-2"}]}),
            json!({"_id": "b", "name": "Two"}),
        ];
        let mut buf = Vec::new();
        let mut e = Exporter::new(&mut buf, Entity::Customers, Format::Json, false).unwrap();
        e.write_page(&page).unwrap();
        assert_eq!(e.finish().unwrap().1, 2);
        let back: Vec<Value> = serde_json::from_slice(&buf).unwrap();
        assert_eq!(back, page);

        let mut buf = Vec::new();
        let mut e = Exporter::new(&mut buf, Entity::Customers, Format::Csv, true).unwrap();
        e.write_page(&page).unwrap();
        e.finish().unwrap();
        let text = String::from_utf8(buf).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(
            rows.len(),
            3,
            "two locations + one customer without locations"
        );
        assert_eq!(&rows[0][12], "00500");
        assert_eq!(&rows[2][0], "b");
    }

    /// Exports `page` in `format` as `run_export` does for a terminal or not.
    fn exported(entity: Entity, page: &[Value], format: Format, to_terminal: bool) -> String {
        let mut buf = Vec::new();
        let mut e = Exporter::new(&mut buf, entity, format, to_terminal).unwrap();
        e.write_page(page).unwrap();
        e.finish().unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn csv_is_sanitised_for_a_terminal_only_and_json_is_always_escaped() {
        const EVIL: &str = "Evil\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{9b}31m\u{202e}";
        let customers = vec![json!({"_id": "a", "name": EVIL,
            "locations": [{"uid": "CL-1", "name": EVIL, "city": EVIL}]})];
        let tasks = vec![json!({"_id": "t", "reference": EVIL, "stateText": EVIL,
            "location": {"name": EVIL, "address": EVIL}})];
        let routes = vec![json!({"_id": "r", "name": EVIL, "vehicle": {"name": EVIL}})];
        let dangerous = |c: char| c.is_control() && c != '\n' && c != '\r' || c == '\u{202e}';
        for (entity, page) in [
            (Entity::Customers, &customers),
            (Entity::Tasks, &tasks),
            (Entity::Routes, &routes),
        ] {
            // A terminal: every cell as the console shows it.
            let tty = exported(entity, page, Format::Csv, true);
            assert!(!tty.chars().any(dangerous), "{entity:?}: {tty:?}");
            assert!(tty.contains(&*sanitize(EVIL)), "{entity:?}: {tty:?}");
            // A file or pipe: the data as it is, for spreadsheets.
            let file = exported(entity, page, Format::Csv, false);
            assert!(file.contains(EVIL), "{entity:?}: {file:?}");
            // JSON escapes either way and is still the same value.
            for to_terminal in [true, false] {
                let text = exported(entity, page, Format::Json, to_terminal);
                assert!(!text.chars().any(dangerous), "{entity:?}: {text:?}");
                let back: Vec<Value> = serde_json::from_str(&text).unwrap();
                assert_eq!(&back, page);
            }
        }
    }

    #[test]
    fn empty_json_export_is_an_empty_array() {
        let mut buf = Vec::new();
        let e = Exporter::new(&mut buf, Entity::Routes, Format::Json, false).unwrap();
        e.finish().unwrap();
        let back: Vec<Value> = serde_json::from_slice(&buf).unwrap();
        assert!(back.is_empty());
    }
}
