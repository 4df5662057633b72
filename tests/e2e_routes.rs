//! End-to-end route inspection: the real binary in a pseudo-terminal, read
//! back through a vt100 parser.
//!
//! * With `--demo`: routes of a weekday → the route with the most late stops
//!   → its worst stop's location → change that day's hours, stage → the late
//!   queue shows the stop as staged; quit, start again (same data directory)
//!   and the staged fix is restored and still marked.
//! * With `--read-only` against a separate emulator process: every write key
//!   is pressed and the emulator's request counts show no request but GETs.
//!
//! The demo seeds tasks for today and the next six days, so the tests use
//! the first weekday among them (a weekday has twelve routes).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child as StdChild, Command, Stdio};
use std::time::Duration;

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde_json::Value;

use common::Console;

const KEY: &str = "sandbox:000000000000000000000000:e2e-routes";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_elogii-tui")
}

/// The first Monday–Friday from today (the demo seeds today + 6 days).
fn weekday() -> Date {
    let today = jiff::Zoned::now().date();
    (0..7)
        .map(|n| today + n.days())
        .find(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
        .unwrap_or(today)
}

/// `HH:MM` tokens of a line.
fn times(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .filter(|w| {
            let b = w.as_bytes();
            b.len() == 5 && b[2] == b':' && w.chars().filter(char::is_ascii_digit).count() == 4
        })
        .collect()
}

/// Goes to the routes of `day`, opens the route with the most late stops and
/// puts the cursor on its worst stop; returns that stop's row.
fn open_worst_stop(c: &mut Console, day: Date) -> String {
    c.command(&format!("routes {day}"));
    c.wait("the day's routes", |s| {
        s.contains(" routes · ") && s.contains("R-")
    });
    // Late is the fourth column; sort it descending and open the first row.
    c.keys(&["l", "l", "l", "S"]);
    c.wait("sorted by Late", |s| {
        s.contains("Sorted by Late, descending")
    });
    c.keys(&["g", "\r"]);
    c.wait("the route with its map", |s| {
        s.contains(" Route R-") && s.contains("map · R-")
    });
    let summary = c.lines()[2].clone();
    assert!(
        !summary.contains(" 0 late"),
        "the latest route has late stops: {summary}"
    );
    // The early/late minutes column is the fifth: descending, worst first.
    c.keys(&["l", "l", "l", "l", "S"]);
    c.wait("sorted by minutes late", |s| {
        s.contains("Sorted by ±min, descending")
    });
    c.send("g");
    c.wait("the cursor on the first stop", |s| {
        s.lines().next().is_some_and(|h| {
            h.contains(" › stop ")
                && s.lines().nth(4).is_some_and(|r| {
                    h.contains(&format!(
                        "stop {}",
                        r.split_whitespace().next().unwrap_or("?")
                    ))
                })
        })
    });
    let row = c.lines()[4].clone();
    assert!(row.contains(" ! "), "the worst stop is late: {row}");
    row
}

/// On a stop judged by its task's windows: Enter (the task form, on
/// Windows), then up past Address to Customer and Enter (the customer
/// location, on the hours of the stop's day).
fn open_location_of_stop(c: &mut Console) {
    c.send("\r");
    c.wait("the stop's task form", |s| {
        s.contains("judged by the task's own time windows") && s.contains(" › form")
    });
    c.keys(&["k", "k", "\r"]);
}

#[test]
fn from_the_latest_route_to_a_staged_fix_seen_in_the_late_queue_and_restored() {
    let home = tempfile::tempdir().unwrap();
    let day = weekday();
    let mut c = Console::spawn(home.path(), &["--demo"], &[]);
    c.wait("the customers", |s| s.contains("customers · loaded"));
    let worst = open_worst_stop(&mut c, day);
    let eta = times(&worst)[0].to_string();
    // Enter: the window it is judged by, the task's own: the task form on
    // Windows. Two up is its Customer, and Enter there opens the stop's
    // location, cursor on that day's hours.
    open_location_of_stop(&mut c);
    c.wait("the location form", |s| {
        s.contains("Hours") && s.contains("Coordinates")
    });
    let day_key = elogii_tui::domain::schedule::Weekday::from_jiff(day.weekday()).key();
    // Edit that day: clear, type new hours, Enter stages.
    c.send("e");
    c.wait("the editor", |s| s.contains("Ctrl-u  clear"));
    c.send("\x15");
    c.send("09:00-15:00");
    c.send("\r");
    c.wait("the staged hours", |s| {
        s.lines()
            .any(|l| l.trim_start().starts_with(day_key) && l.contains("✎ 09:00-15:00"))
    });
    assert!(c.screen().contains("1 staged"), "{}", c.screen());
    // Back to the queue: the stop is marked as staged.
    c.command("late");
    c.wait("the late queue", |s| s.contains("Late and at-risk stops"));
    let marked = |s: &str| {
        s.lines()
            .any(|l| l.starts_with("!✎") && times(l).first() == Some(&eta.as_str()))
    };
    c.wait("the stop marked as staged", marked);
    assert!(c.screen().contains("1 with a staged edit"));
    // Quit (asks, edits are staged) and start again: the fix is restored.
    c.command("q");
    c.wait("the quit question", |s| s.contains("Quit?"));
    c.send("y");
    c.wait_exit(Duration::from_secs(10));
    drop(c);

    let mut c = Console::spawn(home.path(), &["--demo"], &[]);
    c.wait("the restore banner", |s| {
        s.contains("1 staged") && s.contains("customers · loaded")
    });
    c.command(&format!("late {day}"));
    c.wait("the late queue again", |s| {
        s.contains("Late and at-risk stops")
    });
    c.wait("the restored fix, still marked", marked);
    c.command("q");
    c.wait("the quit question", |s| s.contains("Quit?"));
    c.send("y");
    c.wait_exit(Duration::from_secs(10));
}

/// The emulator as a separate process: its URL (first line of its output).
fn start_emulator(day: Date, dir: &Path) -> (StdChild, String) {
    let mut child = Command::new(bin())
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--today",
        ])
        .arg(day.to_string())
        .env("XDG_DATA_HOME", dir.join("emulator-data"))
        .env("HOME", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("eLogii sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .trim()
        .to_string();
    // Keep reading so the emulator never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// `GET /_sandbox/stats` over a plain socket.
fn stats(url: &str) -> Value {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /_sandbox/stats HTTP/1.1\r\nHost: {host}\r\nAuthorization: ApiKey {KEY}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

struct Emulator(StdChild);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn read_only_sends_nothing_but_reads_whatever_keys_are_pressed() {
    let home = tempfile::tempdir().unwrap();
    let day = weekday();
    let (child, url) = start_emulator(day, home.path());
    let _emulator = Emulator(child);
    let mut c = Console::spawn(
        home.path(),
        &["--read-only", "--base-url", &url],
        &[("ELOGII_API_KEY", KEY)],
    );
    c.wait("the customers, read-only", |s| {
        s.contains("customers · loaded")
            && s.lines().next().is_some_and(|l| l.contains("READ-ONLY"))
    });
    // Customers view: edit, form, undo/redo, copy day, send, staged list keys.
    c.keys(&["e", "E"]);
    c.wait("the customer form", |s| s.contains(" › form"));
    c.keys(&["e", "\x12", "u", "W", "-"]);
    c.command("staged");
    c.keys(&["d", "m", "t", " ", "W", "-"]);
    c.command("w");
    c.command("send");
    // Routes: lock, and the worst stop's location with its editing keys.
    open_worst_stop(&mut c, day);
    c.keys(&["L"]);
    c.wait("the refusal", |s| {
        s.contains("Read-only: routes cannot be locked")
    });
    c.command("lock");
    c.command("unlock");
    c.keys(&["e"]);
    open_location_of_stop(&mut c);
    c.wait("the location form", |s| {
        s.contains("Hours") && s.contains("Coordinates")
    });
    c.keys(&["e", "c", "E", "u", "\x12", "W"]);
    c.command("late");
    c.wait("the late queue", |s| s.contains("Late and at-risk stops"));
    c.keys(&["\r"]);
    // The worst stop is judged by the task's own windows: its task form.
    c.wait("the stop's task from the queue", |s| {
        s.contains(" › form") && s.contains("Windows")
    });
    c.keys(&["e", "c", "W", "-", "L"]);
    c.command("w");
    c.command("tasks");
    c.wait("the tasks", |s| s.contains(" tasks · "));
    c.keys(&["e", "E", "e", "W", "-", "o", "L"]);
    c.wait("the route of a task", |s| s.contains(" Route R-"));
    assert!(
        !c.screen().contains("1 staged"),
        "nothing staged: {}",
        c.status_line()
    );
    // Everything the console asked the emulator was a read.
    let st = stats(&url);
    let requests = st["requests"].as_object().unwrap();
    assert!(
        requests.keys().any(|k| k.starts_with("GET /routes")),
        "the console did read: {st}"
    );
    let writes: Vec<&String> = requests
        .keys()
        .filter(|k| !k.starts_with("GET ") && !k.contains("/_sandbox/"))
        .collect();
    assert!(
        writes.is_empty(),
        "requests other than GET: {writes:?} in {st}"
    );
    assert_eq!(st["writes"], 0, "{st}");
    // q goes back, then quits (nothing is staged, so it does not ask).
    c.keys(&["q", "q", "q"]);
    c.wait_exit(Duration::from_secs(10));
}
