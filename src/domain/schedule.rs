//! Weekly opening hours: times as minutes from midnight, time windows, and the
//! one-line week form the console shows and reads (`Mo-Fr 08:30-17:30; Su off`).
//!
//! Two parsers read text into [`WeekHours`]:
//!
//! * the strict ones ([`parse_minutes`], [`parse_day`], [`parse_week_line`]) read
//!   what a dispatcher types; anything ambiguous is an error that says how to
//!   write it;
//! * the lenient one ([`parse_opening_hours`]) reads OpenStreetMap-style
//!   `opening_hours` strings as found in real data and repairs the few
//!   harmless mistakes seen there.
//!
//! [`format_week_line`] writes the canonical form, which [`parse_week_line`]
//! reads back to the same value.

use thiserror::Error;

use crate::api::types::{Field, Schedule, ScheduleDay, TimeWindow};

/// Minutes in a day.
pub const MINUTES_PER_DAY: i64 = 1440;

/// The latest end of a window: midnight at the end of the next day.
pub const MAX_END: i64 = 2 * MINUTES_PER_DAY;

/// In the strict form an end before the start means "next day" only up to this
/// time (08:00); later ends need an explicit `+1`.
pub const NIGHT_END_LIMIT: i64 = 8 * 60;

/// A day of the week, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// All days, Monday to Sunday.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// 0 for Monday … 6 for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The day for an index (0 = Monday); `None` above 6.
    pub fn from_index(index: usize) -> Option<Weekday> {
        Self::ALL.get(index).copied()
    }

    /// eLogii's schedule key: `"Mon"` … `"Sun"`.
    pub fn key(self) -> &'static str {
        match self {
            Weekday::Mon => "Mon",
            Weekday::Tue => "Tue",
            Weekday::Wed => "Wed",
            Weekday::Thu => "Thu",
            Weekday::Fri => "Fri",
            Weekday::Sat => "Sat",
            Weekday::Sun => "Sun",
        }
    }

    /// Two-letter form used in week lines: `"Mo"` … `"Su"`.
    pub fn short(self) -> &'static str {
        match self {
            Weekday::Mon => "Mo",
            Weekday::Tue => "Tu",
            Weekday::Wed => "We",
            Weekday::Thu => "Th",
            Weekday::Fri => "Fr",
            Weekday::Sat => "Sa",
            Weekday::Sun => "Su",
        }
    }

    /// The same day from jiff.
    pub fn from_jiff(day: jiff::civil::Weekday) -> Weekday {
        match day {
            jiff::civil::Weekday::Monday => Weekday::Mon,
            jiff::civil::Weekday::Tuesday => Weekday::Tue,
            jiff::civil::Weekday::Wednesday => Weekday::Wed,
            jiff::civil::Weekday::Thursday => Weekday::Thu,
            jiff::civil::Weekday::Friday => Weekday::Fri,
            jiff::civil::Weekday::Saturday => Weekday::Sat,
            jiff::civil::Weekday::Sunday => Weekday::Sun,
        }
    }
}

/// Why a time, window, day or week could not be read.
///
/// Every message is one sentence naming the fragment at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    /// Not written as `HH:MM`.
    #[error("“{0}” is not a time; write HH:MM, for example 08:30")]
    BadTime(String),
    /// Written as `HH:MM` but not a time of day.
    #[error("“{0}” is out of range: hours run from 00 to 24 and minutes from 00 to 59")]
    TimeOutOfRange(String),
    /// Not written as `HH:MM-HH:MM`.
    #[error("“{0}” is not a time window; write HH:MM-HH:MM, for example 08:30-13:00")]
    BadWindow(String),
    /// The window starts at or after midnight at the end of the day.
    #[error("{0} starts at 24:00 or later; a window must start before midnight")]
    StartTooLate(String),
    /// The end is before the start and too late in the morning to mean "next day".
    #[error("{window} ends before it starts (write {window}+1 if it runs past midnight)")]
    EndsBeforeStart {
        /// The window as written, without `+1`.
        window: String,
    },
    /// Start and end are the same.
    #[error("{0} has no length: it ends when it starts")]
    ZeroLength(String),
    /// The end is after midnight at the end of the next day.
    #[error("{0} ends too late; the latest end is 24:00+1")]
    EndTooLate(String),
    /// Two windows of one day overlap.
    #[error("{first} overlaps {second}; the windows of a day must not overlap")]
    Overlap {
        /// The earlier window.
        first: String,
        /// The window that starts inside it.
        second: String,
    },
    /// A word where a day was expected.
    #[error("“{0}” is not a day; use Mo, Tu, We, Th, Fr, Sa or Su")]
    BadDay(String),
    /// A rule of a week line with no days in front.
    #[error("“{0}” does not say which days it is for; start it with days such as Mo-Fr")]
    MissingDays(String),
    /// A rule of a week line with days but no hours.
    #[error("“{0}” gives no hours; add windows such as 08:30-17:30, or off")]
    MissingHours(String),
    /// A rule with a malformed list of days.
    #[error("“{0}” has a comma or dash that is not followed by a day")]
    BadDayList(String),
    /// A day named by two rules of a week line.
    #[error("{day} is given twice (again in “{rule}”); give each day once")]
    DayRepeated {
        /// The day, two-letter form.
        day: &'static str,
        /// The rule that names it the second time.
        rule: String,
    },
    /// Nothing to read.
    #[error("the opening hours are empty")]
    Empty,
    /// Opening-hours syntax a weekly schedule cannot hold.
    #[error("opening hours “{text}” use {what}, which a weekly schedule cannot hold")]
    Unsupported {
        /// The whole text.
        text: String,
        /// What was found.
        what: &'static str,
    },
    /// Opening hours that could not be read.
    #[error("{}", unreadable_message(text, at))]
    Unreadable {
        /// The whole text.
        text: String,
        /// Where reading stopped.
        at: String,
    },
}

fn unreadable_message(text: &str, at: &str) -> String {
    if at.is_empty() || at == text {
        format!("could not read opening hours “{text}”")
    } else {
        format!("could not read opening hours “{text}” from “{at}” on")
    }
}

/// Opening (or working) hours for a week: windows of minutes per day.
///
/// `days[0]` is Monday. A window is `(start, end)` in minutes from that day's
/// midnight, `0 <= start < 1440`, `start < end <= 2880` (an end after 1440 runs
/// into the next day). Windows are sorted by start and do not overlap; a day
/// with no windows is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct WeekHours {
    /// Windows per day, Monday first.
    pub days: [Vec<(i64, i64)>; 7],
}

impl WeekHours {
    /// A week with every day closed.
    pub fn closed() -> WeekHours {
        WeekHours::default()
    }

    /// The windows of one day.
    pub fn day(&self, day: Weekday) -> &[(i64, i64)] {
        &self.days[day.index()]
    }

    /// True when no day has a window.
    pub fn is_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// Checks the invariants of [`WeekHours`] (range, order, no overlap).
    pub fn validate(&self) -> Result<(), ScheduleError> {
        for windows in &self.days {
            for &(start, end) in windows {
                check_bounds(start, end)?;
            }
            check_order(windows)?;
        }
        Ok(())
    }

    /// The eLogii schedule: days with windows become `{"timeWindows":[…]}`,
    /// closed days are left absent.
    pub fn to_schedule(&self) -> Schedule {
        let mut schedule = Schedule::default();
        for (index, windows) in self.days.iter().enumerate() {
            if windows.is_empty() {
                continue;
            }
            let time_windows = windows
                .iter()
                .map(|&(start, end)| TimeWindow::new(start, end))
                .collect();
            *schedule.day_mut(index) = Field::Value(ScheduleDay {
                time_windows: Field::Value(time_windows),
                ..ScheduleDay::default()
            });
        }
        schedule
    }

    /// Reads an eLogii schedule; absent, `null`, unreadable or empty days are
    /// closed. Windows are sorted by start; they are not otherwise checked
    /// (see [`WeekHours::validate`]).
    pub fn from_schedule(schedule: &Schedule) -> WeekHours {
        let mut week = WeekHours::default();
        for (index, day) in week.days.iter_mut().enumerate() {
            *day = schedule
                .windows(index)
                .iter()
                .map(|w| (w.start, w.end))
                .collect();
            day.sort_unstable();
        }
        week
    }
}

// ---------------------------------------------------------------------------
// Times

/// Writes minutes as `HH:MM`: 510 → `08:30`, 1440 → `24:00`, 1560 → `02:00+1`.
pub fn format_minutes(m: i64) -> String {
    let sign = if m < 0 { "-" } else { "" };
    let m = m.unsigned_abs();
    let day = MINUTES_PER_DAY.unsigned_abs();
    if m <= day {
        return format!("{sign}{:02}:{:02}", m / 60, m % 60);
    }
    let days = (m - 1) / day;
    let rest = m - days * day;
    format!("{sign}{:02}:{:02}+{days}", rest / 60, rest % 60)
}

/// Reads `H:MM` or `HH:MM` at the start of `s`: (hours, minutes, rest), no range check.
fn lex_clock(s: &str) -> Option<(i64, i64, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < 2 && b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == 0 || b.get(i) != Some(&b':') {
        return None;
    }
    let mins = b.get(i + 1..i + 3)?;
    if !mins.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let hours = b[..i]
        .iter()
        .fold(0, |acc, d| acc * 10 + i64::from(d - b'0'));
    let minutes = mins.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0'));
    Some((hours, minutes, &s[i + 3..]))
}

/// Minutes for a clock time, checking 00:00 ..= 24:00.
fn clock_minutes(hours: i64, minutes: i64, text: &str) -> Result<i64, ScheduleError> {
    if minutes > 59 || hours > 24 || (hours == 24 && minutes > 0) {
        return Err(ScheduleError::TimeOutOfRange(text.to_string()));
    }
    Ok(hours * 60 + minutes)
}

/// Reads a time: `8:30`, `08:30`, `24:00`, or `02:00+1` (next day, 1560).
pub fn parse_minutes(s: &str) -> Result<i64, ScheduleError> {
    let text = s.trim();
    let bad = || ScheduleError::BadTime(text.to_string());
    let (hours, minutes, rest) = lex_clock(text).ok_or_else(bad)?;
    let next_day = match rest.trim_start() {
        "" => false,
        "+1" => true,
        _ => return Err(bad()),
    };
    let clock = &text[..text.len() - rest.len()];
    let m = clock_minutes(hours, minutes, clock)?;
    Ok(if next_day { m + MINUTES_PER_DAY } else { m })
}

// ---------------------------------------------------------------------------
// Windows and days (strict)

/// Writes a window: `08:30-13:00`, `22:00-24:00`; an end past midnight
/// always with its `+1` (`23:00-01:00+1`, `13:00-09:00+1`), so a night window
/// never reads as one that ends before it starts. [`parse_day`] reads it
/// back to the same minutes.
pub fn format_window(start: i64, end: i64) -> String {
    format!("{}-{}", format_minutes(start), format_minutes(end))
}

/// A window in a week line, written as opening hours are: a night window
/// ending by 08:00 plainly (`Fr-Sa 11:00-05:00`, as OpenStreetMap data has
/// it, and [`parse_week_line`] reads it back the same), any other end past
/// midnight with its `+1` (`13:00-09:00+1`).
fn format_hours_window(start: i64, end: i64) -> String {
    let next = end.saturating_sub(MINUTES_PER_DAY);
    if end > MINUTES_PER_DAY && next <= NIGHT_END_LIMIT && next < start {
        format!("{}-{}", format_minutes(start), format_minutes(next))
    } else {
        format_window(start, end)
    }
}

/// Writes a day's windows, `08:30-13:00, 14:00-17:30`, or `closed`.
pub fn format_day(windows: &[(i64, i64)]) -> String {
    if windows.is_empty() {
        return "closed".to_string();
    }
    format_windows(windows)
}

/// Writes windows as `08:30-13:00, 14:00-17:30` (none: empty).
pub fn format_windows(windows: &[(i64, i64)]) -> String {
    windows
        .iter()
        .map(|&(s, e)| format_window(s, e))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks one window's range.
fn check_bounds(start: i64, end: i64) -> Result<(), ScheduleError> {
    let shown = || format_window(start, end);
    if !(0..MINUTES_PER_DAY).contains(&start) {
        return Err(ScheduleError::StartTooLate(shown()));
    }
    if end == start {
        return Err(ScheduleError::ZeroLength(shown()));
    }
    if end < start {
        return Err(ScheduleError::EndsBeforeStart { window: shown() });
    }
    if end > MAX_END {
        return Err(ScheduleError::EndTooLate(shown()));
    }
    Ok(())
}

/// Checks that windows sorted by start do not overlap.
fn check_order(windows: &[(i64, i64)]) -> Result<(), ScheduleError> {
    for pair in windows.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b.0 < a.0 || b.0 < a.1 {
            return Err(ScheduleError::Overlap {
                first: format_window(a.0, a.1),
                second: format_window(b.0, b.1),
            });
        }
    }
    Ok(())
}

/// Reads one strict window: `HH:MM-HH:MM`, or `HH:MM-HH:MM+1`.
fn parse_window(s: &str) -> Result<(i64, i64), ScheduleError> {
    let text = s.trim();
    let bad = || ScheduleError::BadWindow(text.to_string());
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let keep_range = |e: ScheduleError| match e {
        ScheduleError::TimeOutOfRange(_) => e,
        _ => bad(),
    };
    let start = parse_minutes(a).map_err(keep_range)?;
    let mut end = parse_minutes(b).map_err(keep_range)?;
    if start >= MINUTES_PER_DAY {
        return Err(ScheduleError::StartTooLate(text.to_string()));
    }
    let explicit_next_day = b.trim_end().ends_with("+1");
    if !explicit_next_day && end <= start {
        let plain = format!("{}-{}", format_minutes(start), format_minutes(end));
        if end == start {
            return Err(ScheduleError::ZeroLength(plain));
        }
        if end > NIGHT_END_LIMIT {
            return Err(ScheduleError::EndsBeforeStart { window: plain });
        }
        end += MINUTES_PER_DAY;
    }
    check_bounds(start, end)?;
    Ok((start, end))
}

/// Sorts a day's windows and rejects overlaps.
fn finish_day(mut windows: Vec<(i64, i64)>) -> Result<Vec<(i64, i64)>, ScheduleError> {
    windows.sort_unstable();
    check_order(&windows)?;
    Ok(windows)
}

/// Reads one day as typed in the console: `08:30-13:00, 14:00-17:30`;
/// `closed`, `off` or nothing for a closed day. Windows are returned sorted.
pub fn parse_day(s: &str) -> Result<Vec<(i64, i64)>, ScheduleError> {
    let text = s.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") || text.eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    let windows = text
        .split(',')
        .filter(|piece| !piece.trim().is_empty())
        .map(parse_window)
        .collect::<Result<Vec<_>, _>>()?;
    finish_day(windows)
}

// ---------------------------------------------------------------------------
// Day selectors (shared by the week-line and opening-hours parsers)

/// Which day names a parser knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    /// English two- and three-letter names.
    Strict,
    /// Also Finnish and German two-letter names, and holiday markers.
    Lenient,
}

enum Word {
    Day(Weekday),
    Holiday,
}

fn classify(word: &str, names: Names) -> Option<Word> {
    use Weekday::*;
    let lower = word.to_ascii_lowercase();
    let day = match lower.as_str() {
        "mo" | "mon" | "monday" => Mon,
        "tu" | "tue" | "tuesday" => Tue,
        "we" | "wed" | "wednesday" => Wed,
        "th" | "thu" | "thursday" => Thu,
        "fr" | "fri" | "friday" => Fri,
        "sa" | "sat" | "saturday" => Sat,
        "su" | "sun" | "sunday" => Sun,
        _ if names == Names::Strict => return None,
        // Finnish: maanantai tiistai keskiviikko torstai perjantai lauantai (sunnuntai = Su).
        "ma" => Mon,
        "ti" => Tue,
        "ke" => Wed,
        "to" => Thu,
        "pe" => Fri,
        "la" => Sat,
        // German: Montag (Mo) Dienstag Mittwoch Donnerstag Freitag (Fr) Samstag (Sa) Sonntag.
        "di" => Tue,
        "mi" => Wed,
        "do" => Thu,
        "so" => Sun,
        // Public and school holidays: not representable, recognised so they can be skipped.
        "ph" | "sh" => return Some(Word::Holiday),
        _ => return None,
    };
    Some(Word::Day(day))
}

/// The leading run of ASCII letters, and the rest.
fn take_word(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn strip_dash(s: &str) -> Option<&str> {
    s.strip_prefix('-').or_else(|| s.strip_prefix('–'))
}

/// Days named at the start of a rule.
#[derive(Default)]
struct Selector {
    days: [bool; 7],
    holidays: bool,
}

/// Reads a day selector (`Mo-Fr`, `Mo,We`, `Sa, Su`, `PH,Sa`, wrapping `Sa-Mo`)
/// at the start of `rule`. `None` when the rule does not start with a day (the
/// strict names report an unknown leading word as [`ScheduleError::BadDay`]).
fn parse_selector(rule: &str, names: Names) -> Result<(Option<Selector>, &str), ScheduleError> {
    let mut sel = Selector::default();
    let mut rest = rule.trim_start();
    let (first, _) = take_word(rest);
    if first.is_empty() {
        return Ok((None, rest));
    }
    if classify(first, names).is_none() {
        if names == Names::Strict {
            return Err(ScheduleError::BadDay(first.to_string()));
        }
        return Ok((None, rest));
    }
    loop {
        let (word, after) = take_word(rest);
        match classify(word, names) {
            Some(Word::Holiday) => {
                sel.holidays = true;
                rest = after;
            }
            Some(Word::Day(from)) => {
                rest = after;
                let mut to = from;
                if let Some(t) = strip_dash(after.trim_start()) {
                    let (word2, after2) = take_word(t.trim_start());
                    match classify(word2, names) {
                        Some(Word::Day(d)) => {
                            to = d;
                            rest = after2;
                        }
                        _ => return Err(ScheduleError::BadDayList(rule.trim().to_string())),
                    }
                }
                let mut i = from.index();
                loop {
                    sel.days[i] = true;
                    if i == to.index() {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None if word.is_empty() => {
                return Err(ScheduleError::BadDayList(rule.trim().to_string()));
            }
            None => return Err(ScheduleError::BadDay(word.to_string())),
        }
        // A comma followed by a word continues the list.
        match rest.trim_start().strip_prefix(',') {
            Some(t)
                if t.trim_start()
                    .starts_with(|c: char| c.is_ascii_alphabetic()) =>
            {
                rest = t.trim_start();
            }
            _ => break,
        }
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    Ok((Some(sel), rest))
}

// ---------------------------------------------------------------------------
// Week lines (strict)

/// Reads a week as a dispatcher types it: `Mo-Fr 08:30-17:30; Sa 09:00-12:30; Su off`.
///
/// Rules are separated by `;`; each is days (`Mo`, `Mo-Fr`, wrapping `Sa-Mo`,
/// lists `Mo,We`) then windows (as [`parse_day`]) or `off`/`closed`. Days not
/// mentioned are closed; a day may be named only once.
pub fn parse_week_line(s: &str) -> Result<WeekHours, ScheduleError> {
    let mut week = WeekHours::default();
    let mut seen = [false; 7];
    for raw in s.split(';') {
        let rule = raw.trim();
        if rule.is_empty() {
            continue;
        }
        let (sel, rest) = parse_selector(rule, Names::Strict)?;
        let sel = sel.ok_or_else(|| ScheduleError::MissingDays(rule.to_string()))?;
        if rest.trim().is_empty() {
            return Err(ScheduleError::MissingHours(rule.to_string()));
        }
        let windows = parse_day(rest)?;
        for day in Weekday::ALL {
            if !sel.days[day.index()] {
                continue;
            }
            if seen[day.index()] {
                return Err(ScheduleError::DayRepeated {
                    day: day.short(),
                    rule: rule.to_string(),
                });
            }
            seen[day.index()] = true;
            week.days[day.index()] = windows.clone();
        }
    }
    Ok(week)
}

/// Writes the canonical week line covering all seven days, consecutive equal
/// days grouped: `Mo-Fr 08:30-17:30; Sa 09:00-12:30; Su off` (`Mo-Su off` when
/// closed all week). [`parse_week_line`] reads it back to the same value for
/// every week that passes [`WeekHours::validate`].
pub fn format_week_line(week: &WeekHours) -> String {
    let mut rules = Vec::new();
    let mut i = 0;
    while i < 7 {
        let mut j = i;
        while j + 1 < 7 && week.days[j + 1] == week.days[i] {
            j += 1;
        }
        let (first, last) = (Weekday::ALL[i], Weekday::ALL[j]);
        let days = if i == j {
            first.short().to_string()
        } else {
            format!("{}-{}", first.short(), last.short())
        };
        let hours = if week.days[i].is_empty() {
            "off".to_string()
        } else {
            week.days[i]
                .iter()
                .map(|&(s, e)| format_hours_window(s, e))
                .collect::<Vec<_>>()
                .join(",")
        };
        rules.push(format!("{days} {hours}"));
        i = j + 1;
    }
    rules.join("; ")
}

// ---------------------------------------------------------------------------
// OpenStreetMap-style opening hours (lenient)

enum Hours {
    Off,
    Windows(Vec<(i64, i64)>),
}

struct SubRule {
    sel: Option<Selector>,
    hours: Hours,
}

/// Reads OpenStreetMap-style `opening_hours` as found in real data.
///
/// Understands `Mo 08:30-13:00,14:00-17:30; Tu-Fr …; Su off`, ranges and lists
/// of days (English, Finnish `Ma Ti Ke To Pe La Su` and German `Mo Di Mi Do Fr
/// Sa So`, any case), `24/7` and `7/24`, windows with no days (every day),
/// `off`/`closed`, `7:30`, ends `24:00` and `00:00` (both midnight), and ends at
/// or before the start (next day: `20:00-2:00` is 1200..1560; an explicit `+1`
/// as [`format_week_line`] writes is read too). A `;` rule
/// replaces the hours of the days it names; a `,` followed by days starts an
/// additive rule that adds windows to those days. `PH`/`SH` (holidays) are
/// skipped. Overlapping windows of a day are merged.
///
/// Repairs: two windows glued together (`09:00-13:0014:00-17:30`) or joined by
/// a colon (`09:00-13:00:14:00-18:00`, seen in NHS pharmacy data) are read as
/// two windows.
///
/// Anything else (`10am - 6pm`, fallback rules `||`, comments in quotes) is an
/// error; the caller keeps the raw text.
pub fn parse_opening_hours(s: &str) -> Result<WeekHours, ScheduleError> {
    let text = s.trim();
    if text.is_empty() {
        return Err(ScheduleError::Empty);
    }
    if text.contains("||") {
        return Err(ScheduleError::Unsupported {
            text: text.to_string(),
            what: "a fallback rule (||)",
        });
    }
    if text.contains('"') {
        return Err(ScheduleError::Unsupported {
            text: text.to_string(),
            what: "a comment in quotes",
        });
    }
    let mut days: [Vec<(i64, i64)>; 7] = Default::default();
    let mut applied = false;
    for raw in text.split(';') {
        let rule = raw.trim();
        if rule.is_empty() {
            continue;
        }
        let subs = lenient_rule(rule, text)?;
        for (n, sub) in subs.into_iter().enumerate() {
            let targets = match &sub.sel {
                None => [true; 7],
                Some(sel) => sel.days,
            };
            if !targets.contains(&true) {
                continue; // holidays only
            }
            applied = true;
            for (day, hit) in days.iter_mut().zip(targets) {
                if !hit {
                    continue;
                }
                match &sub.hours {
                    Hours::Off => day.clear(),
                    Hours::Windows(w) if n > 0 => day.extend_from_slice(w),
                    Hours::Windows(w) => *day = w.clone(),
                }
            }
        }
    }
    if !applied {
        return Err(ScheduleError::Unsupported {
            text: text.to_string(),
            what: "only holiday rules",
        });
    }
    for day in &mut days {
        *day = merge(std::mem::take(day));
    }
    Ok(WeekHours { days })
}

/// One `;` rule: a first rule and any additive `, days hours` rules after it.
fn lenient_rule(rule: &str, text: &str) -> Result<Vec<SubRule>, ScheduleError> {
    let unreadable = |at: &str| ScheduleError::Unreadable {
        text: text.to_string(),
        at: at.trim().to_string(),
    };
    let mut subs = Vec::new();
    let mut rest = rule;
    loop {
        let (sel, after) = parse_selector(rest, Names::Lenient).map_err(|e| match e {
            ScheduleError::BadDay(_) | ScheduleError::BadDayList(_) => unreadable(rest),
            other => other,
        })?;
        if sel.is_some() && after.trim().is_empty() {
            return Err(ScheduleError::MissingHours(rest.trim().to_string()));
        }
        let (hours, after) = lenient_hours(after.trim_start(), text)?;
        subs.push(SubRule { sel, hours });
        let after = after.trim_start();
        if after.is_empty() {
            return Ok(subs);
        }
        match after.strip_prefix(',').map(str::trim_start) {
            Some(t) if t.starts_with(|c: char| c.is_ascii_alphabetic()) => rest = t,
            _ => return Err(unreadable(after)),
        }
    }
}

/// `off`, `closed`, `24/7`, or a list of windows.
fn lenient_hours<'a>(s: &'a str, text: &str) -> Result<(Hours, &'a str), ScheduleError> {
    let (word, after) = take_word(s);
    if word.eq_ignore_ascii_case("off") || word.eq_ignore_ascii_case("closed") {
        return Ok((Hours::Off, after));
    }
    if let Some(after) = s.strip_prefix("24/7").or_else(|| s.strip_prefix("7/24")) {
        return Ok((Hours::Windows(vec![(0, MINUTES_PER_DAY)]), after));
    }
    let mut windows = Vec::new();
    let mut rest = s;
    loop {
        let (window, after) = lenient_window(rest, text)?;
        windows.push(window);
        rest = after;
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            continue; // glued: 13:0014:00
        }
        if let Some(t) = rest.strip_prefix(':')
            && t.starts_with(|c: char| c.is_ascii_digit())
        {
            rest = t; // colon typo: 13:00:14:00
            continue;
        }
        let t = rest.trim_start();
        let t = t.strip_prefix(',').unwrap_or(t).trim_start();
        if t.starts_with(|c: char| c.is_ascii_digit()) {
            rest = t;
            continue;
        }
        return Ok((Hours::Windows(windows), rest));
    }
}

/// `H:MM-H:MM` with optional spaces; an end at or before the start, or with
/// `+1`, is next day.
fn lenient_window<'a>(s: &'a str, text: &str) -> Result<((i64, i64), &'a str), ScheduleError> {
    let unreadable = || ScheduleError::Unreadable {
        text: text.to_string(),
        at: s.trim().to_string(),
    };
    let (h1, m1, rest) = lex_clock(s).ok_or_else(unreadable)?;
    let start_text = &s[..s.len() - rest.len()];
    let rest = strip_dash(rest.trim_start()).ok_or_else(unreadable)?;
    let rest = rest.trim_start();
    let (h2, m2, after) = lex_clock(rest).ok_or_else(unreadable)?;
    let end_text = &rest[..rest.len() - after.len()];
    let start = clock_minutes(h1, m1, start_text)?;
    let mut end = clock_minutes(h2, m2, end_text)?;
    if start >= MINUTES_PER_DAY {
        return Err(ScheduleError::StartTooLate(format!(
            "{start_text}-{end_text}"
        )));
    }
    let after = match after.strip_prefix("+1") {
        Some(rest) => {
            end += MINUTES_PER_DAY; // our own canonical form
            rest
        }
        None if end <= start => {
            end += MINUTES_PER_DAY;
            after
        }
        None => after,
    };
    Ok(((start, end), after))
}

/// Sorts windows and merges overlapping ones (touching windows stay apart).
fn merge(mut windows: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    windows.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(windows.len());
    for (start, end) in windows {
        match out.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn week(days: [&[(i64, i64)]; 7]) -> WeekHours {
        WeekHours {
            days: days.map(<[(i64, i64)]>::to_vec),
        }
    }

    #[test]
    fn weekday_names_and_indices() {
        for (i, d) in Weekday::ALL.iter().enumerate() {
            assert_eq!(d.index(), i);
            assert_eq!(Weekday::from_index(i), Some(*d));
        }
        assert_eq!(Weekday::from_index(7), None);
        assert_eq!(Weekday::Mon.key(), "Mon");
        assert_eq!(Weekday::Sun.key(), "Sun");
        assert_eq!(Weekday::Thu.short(), "Th");
        assert_eq!(
            Weekday::from_jiff(jiff::civil::Weekday::Monday),
            Weekday::Mon
        );
        assert_eq!(
            Weekday::from_jiff(jiff::civil::Weekday::Sunday),
            Weekday::Sun
        );
        let date = jiff::civil::date(2026, 12, 3); // a Thursday
        assert_eq!(Weekday::from_jiff(date.weekday()), Weekday::Thu);
    }

    #[test]
    fn minutes_format() {
        assert_eq!(format_minutes(0), "00:00");
        assert_eq!(format_minutes(510), "08:30");
        assert_eq!(format_minutes(1440), "24:00");
        assert_eq!(format_minutes(1560), "02:00+1");
        assert_eq!(format_minutes(2880), "24:00+1");
        assert_eq!(format_minutes(1441), "00:01+1");
        assert_eq!(format_minutes(2881), "00:01+2");
        assert_eq!(format_minutes(-90), "-01:30");
        assert!(format_minutes(i64::MIN).starts_with('-'));
    }

    #[test]
    fn minutes_parse() {
        assert_eq!(parse_minutes("8:30"), Ok(510));
        assert_eq!(parse_minutes("08:30"), Ok(510));
        assert_eq!(parse_minutes(" 00:00 "), Ok(0));
        assert_eq!(parse_minutes("24:00"), Ok(1440));
        assert_eq!(parse_minutes("02:00+1"), Ok(1560));
        assert_eq!(parse_minutes("24:00+1"), Ok(2880));
        assert_eq!(
            parse_minutes("25:00"),
            Err(ScheduleError::TimeOutOfRange("25:00".into()))
        );
        assert_eq!(
            parse_minutes("12:60"),
            Err(ScheduleError::TimeOutOfRange("12:60".into()))
        );
        assert_eq!(
            parse_minutes("24:01"),
            Err(ScheduleError::TimeOutOfRange("24:01".into()))
        );
        for bad in [
            "", "noon", "8", "830", "8:3", "123:00", "08:30+2", "08:30x", "+1",
        ] {
            assert!(
                matches!(parse_minutes(bad), Err(ScheduleError::BadTime(_))),
                "{bad}"
            );
        }
        let msg = parse_minutes("noon").unwrap_err().to_string();
        assert!(msg.contains("“noon”"), "{msg}");
    }

    #[test]
    fn minutes_round_trip() {
        for m in 0..=2880 {
            assert_eq!(parse_minutes(&format_minutes(m)), Ok(m), "{m}");
        }
    }

    #[test]
    fn window_format() {
        assert_eq!(format_window(510, 780), "08:30-13:00");
        // an end past midnight always says so
        assert_eq!(format_window(1320, 1560), "22:00-02:00+1");
        assert_eq!(format_window(1380, 1500), "23:00-01:00+1");
        assert_eq!(format_window(1080, 1920), "18:00-08:00+1");
        assert_eq!(format_window(780, 1980), "13:00-09:00+1");
        assert_eq!(format_window(1320, 1440), "22:00-24:00");
        assert_eq!(format_window(60, 1500), "01:00-01:00+1");
        assert_eq!(format_window(0, 1480), "00:00-00:40+1");
        assert_eq!(format_window(0, 2880), "00:00-24:00+1");
        // a week line writes night hours as opening hours are written
        assert_eq!(format_hours_window(1320, 1560), "22:00-02:00");
        assert_eq!(format_hours_window(1080, 1920), "18:00-08:00");
        assert_eq!(format_hours_window(780, 1980), "13:00-09:00+1");
        assert_eq!(format_hours_window(60, 1500), "01:00-01:00+1");
        assert_eq!(format_hours_window(510, 780), "08:30-13:00");
    }

    #[test]
    fn day_parse_strict() {
        assert_eq!(
            parse_day("08:30-13:00, 14:00-17:30"),
            Ok(vec![(510, 780), (840, 1050)])
        );
        assert_eq!(
            parse_day("14:00-17:30,08:30-13:00"),
            Ok(vec![(510, 780), (840, 1050)])
        );
        assert_eq!(parse_day("closed"), Ok(vec![]));
        assert_eq!(parse_day(" Off "), Ok(vec![]));
        assert_eq!(parse_day(""), Ok(vec![]));
        assert_eq!(parse_day("22:00-02:00"), Ok(vec![(1320, 1560)]));
        assert_eq!(parse_day("18:00-08:00"), Ok(vec![(1080, 1920)]));
        assert_eq!(parse_day("22:00-00:00"), Ok(vec![(1320, 1440)]));
        assert_eq!(parse_day("22:00-24:00"), Ok(vec![(1320, 1440)]));
        assert_eq!(parse_day("13:00-09:00+1"), Ok(vec![(780, 1980)]));
        assert_eq!(parse_day("8:00 - 12:00"), Ok(vec![(480, 720)]));
        assert_eq!(parse_day("00:00-24:00+1"), Ok(vec![(0, 2880)]));
        // touching windows are fine
        assert_eq!(
            parse_day("08:00-12:00,12:00-13:00"),
            Ok(vec![(480, 720), (720, 780)])
        );
    }

    #[test]
    fn day_errors_are_clear() {
        let err = parse_day("13:00-09:00").unwrap_err();
        assert_eq!(
            err.to_string(),
            "13:00-09:00 ends before it starts (write 13:00-09:00+1 if it runs past midnight)"
        );
        assert_eq!(
            parse_day("25:00-26:00"),
            Err(ScheduleError::TimeOutOfRange("25:00".into()))
        );
        assert!(matches!(
            parse_day("09:00-09:00"),
            Err(ScheduleError::ZeroLength(_))
        ));
        assert!(matches!(
            parse_day("00:00-00:00"),
            Err(ScheduleError::ZeroLength(_))
        ));
        assert!(matches!(
            parse_day("24:00-02:00"),
            Err(ScheduleError::StartTooLate(_))
        ));
        assert!(matches!(
            parse_day("01:00+1-03:00+1"),
            Err(ScheduleError::StartTooLate(_))
        ));
        assert!(matches!(parse_day("9-5"), Err(ScheduleError::BadWindow(_))));
        assert!(matches!(
            parse_day("08:00-12:00 13:00-14:00"),
            Err(ScheduleError::BadWindow(_))
        ));
        let err = parse_day("08:00-12:00, 11:00-13:00").unwrap_err();
        assert_eq!(
            err,
            ScheduleError::Overlap {
                first: "08:00-12:00".into(),
                second: "11:00-13:00".into()
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("08:00-12:00") && msg.contains("11:00-13:00"));
        // a long window swallowing a later one
        assert!(matches!(
            parse_day("08:00-18:00, 09:00-10:00, 19:00-20:00"),
            Err(ScheduleError::Overlap { .. })
        ));
        assert!(matches!(
            parse_day("22:00-02:00, 23:00-23:30"),
            Err(ScheduleError::Overlap { .. })
        ));
    }

    #[test]
    fn day_format() {
        assert_eq!(format_day(&[]), "closed");
        assert_eq!(
            format_day(&[(510, 780), (840, 1050)]),
            "08:30-13:00, 14:00-17:30"
        );
        let windows = vec![(510, 780), (840, 1050), (1320, 1560)];
        assert_eq!(parse_day(&format_day(&windows)), Ok(windows));
    }

    #[test]
    fn week_line_parse() {
        let w = parse_week_line("Mo-Fr 08:30-17:30; Sa 09:00-12:30; Su off").unwrap();
        let wd: &[(i64, i64)] = &[(510, 1050)];
        assert_eq!(w, week([wd, wd, wd, wd, wd, &[(540, 750)], &[]]));
        let w = parse_week_line("Mo,We 08:00-12:00").unwrap();
        assert_eq!(w.day(Weekday::Mon), &[(480, 720)]);
        assert_eq!(w.day(Weekday::Wed), &[(480, 720)]);
        assert!(w.day(Weekday::Tue).is_empty());
        let w = parse_week_line("Sa-Mo 10:00-14:00").unwrap();
        for d in [Weekday::Sat, Weekday::Sun, Weekday::Mon] {
            assert_eq!(w.day(d), &[(600, 840)]);
        }
        assert!(w.day(Weekday::Fri).is_empty());
        let w = parse_week_line("mo-fr 08:00-12:00, 13:00-17:00;sa closed;").unwrap();
        assert_eq!(w.day(Weekday::Fri), &[(480, 720), (780, 1020)]);
        let w = parse_week_line("Mon-Fri: 22:00-02:00").unwrap();
        assert_eq!(w.day(Weekday::Thu), &[(1320, 1560)]);
        assert_eq!(parse_week_line(""), Ok(WeekHours::closed()));
        assert_eq!(parse_week_line("Mo-Su off"), Ok(WeekHours::closed()));
    }

    #[test]
    fn week_line_errors() {
        assert_eq!(
            parse_week_line("08:00-17:00"),
            Err(ScheduleError::MissingDays("08:00-17:00".into()))
        );
        assert_eq!(
            parse_week_line("Mo-Fr"),
            Err(ScheduleError::MissingHours("Mo-Fr".into()))
        );
        assert_eq!(
            parse_week_line("Xy 08:00-17:00"),
            Err(ScheduleError::BadDay("Xy".into()))
        );
        // Finnish names are for the lenient parser only
        assert_eq!(
            parse_week_line("Ma 08:00-17:00"),
            Err(ScheduleError::BadDay("Ma".into()))
        );
        assert!(matches!(
            parse_week_line("Mo- 08:00-17:00"),
            Err(ScheduleError::BadDayList(_))
        ));
        assert_eq!(
            parse_week_line("Mo-Fr 08:00-17:00; We 09:00-10:00"),
            Err(ScheduleError::DayRepeated {
                day: "We",
                rule: "We 09:00-10:00".into()
            })
        );
        assert!(matches!(
            parse_week_line("Mo 13:00-09:00"),
            Err(ScheduleError::EndsBeforeStart { .. })
        ));
        assert!(matches!(
            parse_week_line("Mo 08:00-12:00 || Tu off"),
            Err(ScheduleError::BadWindow(_))
        ));
    }

    #[test]
    fn week_line_format() {
        let wd: &[(i64, i64)] = &[(510, 1050)];
        let w = week([wd, wd, wd, wd, wd, &[(540, 750)], &[]]);
        assert_eq!(
            format_week_line(&w),
            "Mo-Fr 08:30-17:30; Sa 09:00-12:30; Su off"
        );
        assert_eq!(format_week_line(&WeekHours::closed()), "Mo-Su off");
        let split: &[(i64, i64)] = &[(510, 780), (840, 1050)];
        let w = week([split, &[], split, &[], &[], &[(780, 1980)], &[(1320, 1560)]]);
        let line = format_week_line(&w);
        assert_eq!(
            line,
            "Mo 08:30-13:00,14:00-17:30; Tu off; We 08:30-13:00,14:00-17:30; Th-Fr off; \
             Sa 13:00-09:00+1; Su 22:00-02:00"
        );
        assert_eq!(parse_week_line(&line), Ok(w));
    }

    #[test]
    fn schedule_conversion() {
        let w = week([
            &[(510, 780), (840, 1050)],
            &[],
            &[],
            &[],
            &[],
            &[(1320, 1560)],
            &[],
        ]);
        let schedule = w.to_schedule();
        let json = serde_json::to_value(&schedule).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "Mon": {"timeWindows": [{"start": 510, "end": 780}, {"start": 840, "end": 1050}]},
                "Sat": {"timeWindows": [{"start": 1320, "end": 1560}]}
            })
        );
        assert_eq!(WeekHours::from_schedule(&schedule), w);

        let json = serde_json::json!({
            "Mon": {"timeWindows": [{"start": 840, "end": 1050}, {"start": 510, "end": 780}]},
            "Tue": null,
            "Wed": {"timeWindows": []},
            "Thu": {},
            "Fri": {"timeWindows": "garbage"},
            "Sun": {"timeWindows": [{"start": 60, "end": 120, "note": 1}]}
        });
        let schedule: Schedule = serde_json::from_value(json).unwrap();
        let w = WeekHours::from_schedule(&schedule);
        assert_eq!(w.day(Weekday::Mon), &[(510, 780), (840, 1050)]);
        for d in [
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
        ] {
            assert!(w.day(d).is_empty(), "{d:?}");
        }
        assert_eq!(w.day(Weekday::Sun), &[(60, 120)]);
    }

    #[test]
    fn validate_catches_bad_weeks() {
        assert_eq!(WeekHours::closed().validate(), Ok(()));
        let bad = week([&[(600, 500)], &[], &[], &[], &[], &[], &[]]);
        assert!(bad.validate().is_err());
        let bad = week([&[(0, 3000)], &[], &[], &[], &[], &[], &[]]);
        assert!(matches!(bad.validate(), Err(ScheduleError::EndTooLate(_))));
        let bad = week([&[(600, 700), (650, 800)], &[], &[], &[], &[], &[], &[]]);
        assert!(matches!(bad.validate(), Err(ScheduleError::Overlap { .. })));
        let bad = week([&[(650, 800), (600, 640)], &[], &[], &[], &[], &[], &[]]);
        assert!(bad.validate().is_err(), "unsorted");
    }

    fn lenient(s: &str) -> WeekHours {
        match parse_opening_hours(s) {
            Ok(w) => w,
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    #[test]
    fn lenient_basic_forms() {
        let w = lenient("Mo 08:30-13:00,14:00-17:30; Tu-Fr 09:00-17:00; Su off");
        assert_eq!(w.day(Weekday::Mon), &[(510, 780), (840, 1050)]);
        assert_eq!(w.day(Weekday::Fri), &[(540, 1020)]);
        assert!(w.day(Weekday::Sat).is_empty());
        assert!(w.day(Weekday::Sun).is_empty());

        let w = lenient("Mo,We 10:00-12:00; Tu,Th,Sa 10:00-18:00");
        assert_eq!(w.day(Weekday::Wed), &[(600, 720)]);
        assert_eq!(w.day(Weekday::Sat), &[(600, 1080)]);
        assert!(w.day(Weekday::Fri).is_empty());

        let w = lenient("Sa, Su 12:00-21:00; Tu-Fr 11:00-21:00");
        assert_eq!(w.day(Weekday::Sun), &[(720, 1260)]);
        assert!(w.day(Weekday::Mon).is_empty());

        let w = lenient("mo-sa 11:00-22:00; su 13:00-22:00");
        assert_eq!(w.day(Weekday::Tue), &[(660, 1320)]);
        assert_eq!(w.day(Weekday::Sun), &[(780, 1320)]);

        let w = lenient("Mo-Fr 10:00-23:30;Sa-Su 11:00-23:30");
        assert_eq!(w.day(Weekday::Sat), &[(660, 1410)]);

        let w = lenient("Tu-We 09:30-17:30; Th 10:00-19:00 ; Fr 09:00-17:00");
        assert_eq!(w.day(Weekday::Thu), &[(600, 1140)]);

        let w = lenient("Mo-We 9:30-17:30;Th 9:30-18:00");
        assert_eq!(w.day(Weekday::Mon), &[(570, 1050)]);
    }

    #[test]
    fn lenient_languages() {
        let w = lenient("Ti-To 17:00-00:00, Pe-La 17:00-02:00");
        assert!(w.day(Weekday::Mon).is_empty());
        for d in [Weekday::Tue, Weekday::Wed, Weekday::Thu] {
            assert_eq!(w.day(d), &[(1020, 1440)]);
        }
        for d in [Weekday::Fri, Weekday::Sat] {
            assert_eq!(w.day(d), &[(1020, 1560)]);
        }
        assert!(w.day(Weekday::Sun).is_empty());
        let fi = lenient("Ma-Pe 08:00-16:00; La 10:00-14:00; Su off");
        let de = lenient("Mo-Fr 08:00-16:00; Sa 10:00-14:00; So off");
        let en = lenient("Mo-Fr 08:00-16:00; Sa 10:00-14:00; Su off");
        assert_eq!(fi, en);
        assert_eq!(de, en);
        let de = lenient("Mo,Di,Mi,Do 09:00-12:00");
        assert_eq!(de.day(Weekday::Thu), &[(540, 720)]);
        assert!(de.day(Weekday::Fri).is_empty());
    }

    #[test]
    fn lenient_all_days_and_midnight() {
        let all: &[(i64, i64)] = &[(0, 1440)];
        assert_eq!(lenient("24/7"), week([all; 7]));
        assert_eq!(lenient("7/24"), week([all; 7]));
        let w: &[(i64, i64)] = &[(540, 1020)];
        assert_eq!(lenient("09:00-17:00"), week([w; 7]));
        let w: &[(i64, i64)] = &[(900, 1200)];
        assert_eq!(lenient("15:00 - 20:00"), week([w; 7]));
        let w: &[(i64, i64)] = &[(450, 1440)];
        assert_eq!(lenient("7:30-00:00"), week([w; 7]));
        let w: &[(i64, i64)] = &[(480, 1440)];
        assert_eq!(lenient("08:00-24:00"), week([w; 7]));
        let w: &[(i64, i64)] = &[(1200, 1560)];
        assert_eq!(lenient("Mo-Su 20:00-2:00"), week([w; 7]));
        let w: &[(i64, i64)] = &[(1080, 2160)];
        assert_eq!(lenient("Mo-Su 18:00-12:00"), week([w; 7]));
        let w: &[(i64, i64)] = &[(780, 1980)];
        assert_eq!(lenient("13:00-09:00+1"), week([w; 7]));
        let w = lenient("Su-Th 17:00-0:00;Fr-Sa 17:00-2:00");
        assert_eq!(w.day(Weekday::Sun), &[(1020, 1440)]);
        assert_eq!(w.day(Weekday::Sat), &[(1020, 1560)]);
    }

    #[test]
    fn lenient_rule_semantics() {
        // `,` + days adds to days already given
        let w = lenient("Mo-Fr 11:00-15:00, Tu-Fr 17:00-23:00, Sa 12:00-23:00, Su 15:00-21:00");
        assert_eq!(w.day(Weekday::Mon), &[(660, 900)]);
        assert_eq!(w.day(Weekday::Tue), &[(660, 900), (1020, 1380)]);
        assert_eq!(w.day(Weekday::Sat), &[(720, 1380)]);
        assert_eq!(w.day(Weekday::Sun), &[(900, 1260)]);
        // `;` replaces the hours of the days it names
        let w = lenient("Mo-Fr 08:30-20:00; Sa 09:00-18:00; Sa 10:00-18:00");
        assert_eq!(w.day(Weekday::Sat), &[(600, 1080)]);
        let w = lenient("Mo-Sa 09:30-17:00; Tu 10:00-17:00");
        assert_eq!(w.day(Weekday::Tue), &[(600, 1020)]);
        assert_eq!(w.day(Weekday::Wed), &[(570, 1020)]);
        let w = lenient("Mo-Fr 08:00-18:00; Su off; We off");
        assert!(w.day(Weekday::Wed).is_empty());
        // overlapping windows merge; touching ones stay apart
        let w = lenient("Mo-Fr 11:00-02:00,13:00-02:00");
        assert_eq!(w.day(Weekday::Mon), &[(660, 1560)]);
        let w = lenient("Mo 08:00-12:00, 10:00-14:00, 14:00-15:00");
        assert_eq!(w.day(Weekday::Mon), &[(480, 840), (840, 900)]);
        let w = lenient("Mo-Fr 08:00-18:00, Sa 08:00-12:00");
        assert_eq!(w.day(Weekday::Sat), &[(480, 720)]);
        assert_eq!(w.day(Weekday::Fri), &[(480, 1080)]);
    }

    #[test]
    fn lenient_holidays_are_skipped() {
        let with = lenient("Mo-Fr 08:00-18:00; Sa 08:00-12:00; PH off");
        let without = lenient("Mo-Fr 08:00-18:00; Sa 08:00-12:00");
        assert_eq!(with, without);
        let w = lenient("Mo-Tu 08:00-17:00; We-Fr 08:00-22:00; PH closed; Sa 09:00-22:00");
        assert_eq!(w.day(Weekday::Sat), &[(540, 1320)]);
        let w = lenient("PH,Sa,Su 10:00-16:00; Mo-Fr 11:00-22:00");
        assert_eq!(w.day(Weekday::Sat), &[(600, 960)]);
        assert_eq!(w.day(Weekday::Sun), &[(600, 960)]);
        assert_eq!(w.day(Weekday::Mon), &[(660, 1320)]);
        assert!(matches!(
            parse_opening_hours("PH off"),
            Err(ScheduleError::Unsupported { .. })
        ));
    }

    #[test]
    fn lenient_repairs() {
        // glued windows
        let w = lenient("Mo 09:00-13:0014:00-17:30");
        assert_eq!(w.day(Weekday::Mon), &[(540, 780), (840, 1050)]);
        // colon in place of comma (nhsbsa-ods:FVW83)
        let w = lenient("Mo 09:00-13:00:14:00-18:00; Sa off");
        assert_eq!(w.day(Weekday::Mon), &[(540, 780), (840, 1080)]);
    }

    #[test]
    fn lenient_rejects_free_text() {
        for bad in [
            "10am - 6pm, Monday - Friday.",
            "10am - 4pm, Monday - Friday.",
            "9-5pm, Monday-Saturday",
            "As per garden",
            "Mo-Fr 08:00-12:00 nope",
            "Mo-Fr",
            "Mo 25:00-26:00",
            "Mo 24:00-02:00",
            "Mo-Fr 08:00-",
            "sunrise-sunset",
            "Mo-Fr 08:00-12:00,",
            "Jan-Mar Mo 10:00-12:00",
        ] {
            assert!(parse_opening_hours(bad).is_err(), "{bad}");
        }
        let err = parse_opening_hours("Sa 10:00-17:30 || \"on appointment\"").unwrap_err();
        assert!(matches!(err, ScheduleError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("||"));
        assert_eq!(parse_opening_hours("  "), Err(ScheduleError::Empty));
        assert_eq!(
            parse_opening_hours("Mo-Fr 08:00-12:00 nope")
                .unwrap_err()
                .to_string(),
            "could not read opening hours “Mo-Fr 08:00-12:00 nope” from “nope” on"
        );
        assert_eq!(
            parse_opening_hours("Mo-Fr"),
            Err(ScheduleError::MissingHours("Mo-Fr".into()))
        );
        let err = parse_opening_hours("10am - 6pm, Monday - Friday.").unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not read opening hours “10am - 6pm, Monday - Friday.”"
        );
    }

    fn window_strategy() -> impl Strategy<Value = (i64, i64)> {
        (0..MINUTES_PER_DAY).prop_flat_map(|s| (Just(s), (s + 1)..=MAX_END))
    }

    /// A valid day: non-overlapping sorted windows, built from cut points.
    fn day_strategy() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop_oneof![
            Just(Vec::new()),
            window_strategy().prop_map(|w| vec![w]),
            prop::collection::btree_set(0..MINUTES_PER_DAY, 2..=6)
                .prop_flat_map(|cuts| {
                    let cuts: Vec<i64> = cuts.into_iter().collect();
                    let pairs: Vec<(i64, i64)> =
                        cuts.chunks_exact(2).map(|c| (c[0], c[1])).collect();
                    let last_start = pairs.last().map_or(0, |p| p.0);
                    (Just(pairs), any::<bool>(), (last_start + 1)..=MAX_END)
                })
                .prop_map(|(mut pairs, stretch, end)| {
                    if stretch && let Some(last) = pairs.last_mut() {
                        last.1 = end;
                    }
                    pairs
                }),
        ]
    }

    fn week_strategy() -> impl Strategy<Value = WeekHours> {
        // Few distinct days so that grouping into ranges is exercised.
        prop::collection::vec(day_strategy(), 1..=3).prop_flat_map(|pool| {
            let n = pool.len();
            prop::array::uniform7(0..n).prop_map(move |pick| WeekHours {
                days: pick.map(|i| pool[i].clone()),
            })
        })
    }

    /// A day name in one of the languages the lenient parser knows, any case.
    fn day_name(day: usize) -> impl Strategy<Value = String> {
        const EN: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
        const FI: [&str; 7] = ["Ma", "Ti", "Ke", "To", "Pe", "La", "Su"];
        const DE: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];
        (0..3usize, any::<bool>()).prop_map(move |(lang, lower)| {
            let name = [EN, FI, DE][lang][day];
            if lower {
                name.to_lowercase()
            } else {
                name.to_string()
            }
        })
    }

    fn selector() -> impl Strategy<Value = String> {
        let item = (0..7usize, 0..7usize, any::<bool>()).prop_flat_map(|(a, b, range)| {
            (day_name(a), day_name(b)).prop_map(
                move |(x, y)| {
                    if range { format!("{x}-{y}") } else { x }
                },
            )
        });
        (
            prop::collection::vec(item, 1..=3),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(items, spaced, holiday)| {
                let mut items = items;
                if holiday {
                    items.insert(0, "PH".to_string());
                }
                items.join(if spaced { ", " } else { "," })
            })
    }

    fn clock() -> impl Strategy<Value = String> {
        prop_oneof![
            (0..24i64, 0..60i64, any::<bool>()).prop_map(|(h, m, pad)| if pad {
                format!("{h:02}:{m:02}")
            } else {
                format!("{h}:{m:02}")
            }),
            Just("24:00".to_string()),
        ]
    }

    fn hours() -> impl Strategy<Value = String> {
        let window = (clock(), clock(), any::<bool>()).prop_map(|(a, b, spaced)| {
            let a = if a == "24:00" { "00:00".to_string() } else { a };
            if spaced {
                format!("{a} - {b}")
            } else {
                format!("{a}-{b}")
            }
        });
        prop_oneof![
            1 => Just("off".to_string()),
            1 => Just("closed".to_string()),
            1 => Just("24/7".to_string()),
            6 => (prop::collection::vec(window, 1..=3), prop::sample::select(vec![",", ", ", ":", ""]))
                .prop_map(|(w, sep)| w.join(sep)),
        ]
    }

    /// OpenStreetMap-style opening hours built from valid pieces.
    fn osm_text() -> impl Strategy<Value = String> {
        let additive = (selector(), hours()).prop_map(|(s, h)| format!("{s} {h}"));
        let rule = (
            prop::option::of(selector()),
            hours(),
            prop::collection::vec(additive, 0..=2),
        )
            .prop_map(|(sel, h, more)| {
                let mut text = match sel {
                    Some(s) => format!("{s} {h}"),
                    None => h,
                };
                for m in more {
                    text.push_str(", ");
                    text.push_str(&m);
                }
                text
            });
        (prop::collection::vec(rule, 1..=4), any::<bool>())
            .prop_map(|(rules, spaced)| rules.join(if spaced { "; " } else { ";" }))
    }

    proptest! {
        #[test]
        fn lenient_reads_generated_opening_hours(text in osm_text()) {
            // PH-only rules are skipped; everything else built here is understood.
            let week = parse_opening_hours(&text);
            prop_assert!(week.is_ok(), "{}: {:?}", text, week);
            if let Ok(week) = week {
                prop_assert_eq!(week.validate(), Ok(()), "{}", text);
                let line = format_week_line(&week);
                prop_assert_eq!(parse_week_line(&line), Ok(week.clone()), "{} -> {}", text, line);
                // the canonical line is itself lenient-readable to the same week
                prop_assert_eq!(parse_opening_hours(&line), Ok(week), "{}", line);
            }
        }

        #[test]
        fn week_line_round_trips(w in week_strategy()) {
            prop_assert_eq!(w.validate(), Ok(()));
            let line = format_week_line(&w);
            prop_assert_eq!(parse_week_line(&line), Ok(w.clone()), "{}", line);
            // and each day on its own
            for day in &w.days {
                prop_assert_eq!(parse_day(&format_day(day)), Ok(day.clone()));
            }
        }

        #[test]
        fn windows_round_trip((s, e) in window_strategy()) {
            let shown = format_window(s, e);
            prop_assert_eq!(parse_day(&shown), Ok(vec![(s, e)]));
            prop_assert_eq!(shown.ends_with("+1"), e > MINUTES_PER_DAY, "{}", shown);
        }

        #[test]
        fn formatting_never_panics(start in any::<i64>(), end in any::<i64>()) {
            let _ = format_minutes(start);
            let _ = format_window(start, end);
            let week = WeekHours { days: std::array::from_fn(|_| vec![(start, end), (end, start)]) };
            let _ = format_week_line(&week);
            let _ = format_day(&week.days[0]);
            prop_assert!(week.validate().is_err());
        }

        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = parse_minutes(&s);
            let _ = parse_day(&s);
            let _ = parse_week_line(&s);
            let _ = parse_opening_hours(&s);
        }

        #[test]
        fn parsers_never_panic_on_near_misses(
            s in "[MoTuWeFrSaSuPHTiLa ,;:/+0-9–-]{0,40}"
        ) {
            let _ = parse_minutes(&s);
            let _ = parse_day(&s);
            let _ = parse_week_line(&s);
            if let Ok(w) = parse_opening_hours(&s) {
                // whatever the lenient parser accepts is a valid week that round-trips
                prop_assert_eq!(w.validate(), Ok(()), "{}", s);
                prop_assert_eq!(parse_week_line(&format_week_line(&w)), Ok(w.clone()), "{}", s);
            }
            if let Ok(w) = parse_week_line(&s) {
                prop_assert_eq!(w.validate(), Ok(()), "{}", s);
            }
        }
    }
}
