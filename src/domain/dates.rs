//! Calendar dates as the console shows them (`2026-12-03`) and as eLogii
//! writes them (`20261203`).

use jiff::civil::Date;

/// Reads `YYYY-MM-DD` or `YYYYMMDD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    if digits.len() == 8
        && digits.chars().all(|c| c.is_ascii_digit())
        && (s.len() == 8 || s.len() == 10)
    {
        let n: i64 = digits.parse().map_err(|_| bad(s))?;
        return from_number(n).ok_or_else(|| {
            format!("{s:?} is not a day of the calendar (check the month and day)")
        });
    }
    Err(bad(s))
}

fn bad(s: &str) -> String {
    format!("{s:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24")
}

/// The date of an eLogii `YYYYMMDD` number.
pub fn from_number(n: i64) -> Option<Date> {
    let year = i16::try_from(n / 10_000).ok()?;
    let month = i8::try_from((n / 100) % 100).ok()?;
    let day = i8::try_from(n % 100).ok()?;
    Date::new(year, month, day).ok()
}

/// eLogii's `YYYYMMDD` number for a date.
pub fn to_number(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_both_forms_and_refuse_nonsense() {
        let d = parse_date("2026-12-24").unwrap();
        assert_eq!(to_number(d), 20261224);
        assert_eq!(parse_date("20261224").unwrap(), d);
        assert_eq!(from_number(20261224), Some(d));
        assert!(parse_date("2026-13-01").is_err());
        assert!(
            parse_date("2026-02-30")
                .unwrap_err()
                .contains("not a day of the calendar")
        );
        assert!(parse_date("tomorrow").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_date("2026-1224").is_err());
        assert_eq!(from_number(99), None);
    }
}
