//! The schedule parsers against real opening hours: NHS pharmacies in
//! `assets/demo/uk-premises.csv` and OpenStreetMap rows in
//! `tests/fixtures/non-ascii-premises.csv`.

use elogii_tui::domain::schedule::{
    ScheduleError, WeekHours, Weekday, format_week_line, parse_opening_hours, parse_week_line,
};

/// (source_id, name, opening_hours) of every row.
fn rows(path: &str) -> Vec<(String, String, String)> {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(&full).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, name, hours) = (col("source_id"), col("name"), col("opening_hours"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[id].to_string(), r[name].to_string(), r[hours].to_string())
        })
        .collect()
}

fn assert_round_trips(id: &str, raw: &str, week: &WeekHours) {
    assert_eq!(week.validate(), Ok(()), "{id}: {raw}");
    let line = format_week_line(week);
    assert_eq!(
        parse_week_line(&line).as_ref(),
        Ok(week),
        "{id}: {raw} -> {line}"
    );
}

#[test]
fn every_pharmacy_parses_and_round_trips() {
    let pharmacies: Vec<_> = rows("assets/demo/uk-premises.csv")
        .into_iter()
        .filter(|(id, _, _)| id.starts_with("nhsbsa-ods:"))
        .collect();
    assert_eq!(pharmacies.len(), 631);
    let mut split_days = 0;
    for (id, _, raw) in &pharmacies {
        let week = parse_opening_hours(raw).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(!week.is_closed(), "{id}: {raw}");
        assert_round_trips(id, raw, &week);
        split_days += week.days.iter().filter(|d| d.len() > 1).count();
    }
    assert!(split_days > 100, "split days seen: {split_days}");

    let (id, name, raw) = &pharmacies[0];
    assert_eq!(
        (id.as_str(), name.as_str()),
        ("nhsbsa-ods:FM664", "A1 Pharmacy")
    );
    let week = parse_opening_hours(raw).unwrap();
    assert_eq!(week.day(Weekday::Mon), &[(510, 780), (840, 1050)]);
    assert_eq!(week.day(Weekday::Fri), &[(510, 780), (840, 1050)]);
    assert_eq!(week.day(Weekday::Sat), &[(540, 750)]);
    assert!(week.day(Weekday::Sun).is_empty());
    assert_eq!(
        format_week_line(&week),
        "Mo-Fr 08:30-13:00,14:00-17:30; Sa 09:00-12:30; Su off"
    );
}

#[test]
fn pharmacy_quirks() {
    let all = rows("assets/demo/uk-premises.csv");
    let hours = |wanted: &str| {
        let (_, _, raw) = all.iter().find(|(id, _, _)| id == wanted).unwrap();
        parse_opening_hours(raw).unwrap()
    };
    // `09:00-13:00:14:00-18:00`: a colon typed in place of a comma
    let w = hours("nhsbsa-ods:FVW83");
    assert_eq!(w.day(Weekday::Tue), &[(540, 780), (840, 1080)]);
    assert!(w.day(Weekday::Sat).is_empty());
    // `08:30-00:00`: open until midnight
    let w = hours("nhsbsa-ods:FWG32");
    assert_eq!(w.day(Weekday::Mon), &[(510, 1440)]);
    assert_eq!(w.day(Weekday::Sat), &[(480, 1440)]);
}

#[test]
fn non_ascii_premises_hours() {
    let all = rows("tests/fixtures/non-ascii-premises.csv");
    let with_hours: Vec<_> = all
        .iter()
        .filter(|(_, _, h)| !h.trim().is_empty())
        .collect();
    assert!(with_hours.len() > 100);
    let mut failures = Vec::new();
    for (id, _, raw) in &with_hours {
        match parse_opening_hours(raw) {
            Ok(week) => assert_round_trips(id, raw, &week),
            Err(e) => {
                // a failure is an error value with a message, never a panic
                assert!(!e.to_string().is_empty());
                failures.push(format!("{id}: {raw}: {e}"));
            }
        }
    }
    // Every hours string in this file is one the lenient parser understands.
    assert!(failures.is_empty(), "{failures:#?}");

    let parse = |raw: &str| {
        assert!(
            with_hours.iter().any(|(_, _, h)| h == raw),
            "not in the file: {raw}"
        );
        parse_opening_hours(raw).unwrap()
    };
    let w = parse("Ti-To 17:00-00:00, Pe-La 17:00-02:00");
    assert!(w.day(Weekday::Mon).is_empty());
    assert_eq!(w.day(Weekday::Wed), &[(1020, 1440)]);
    assert_eq!(w.day(Weekday::Sat), &[(1020, 1560)]);
    assert!(w.day(Weekday::Sun).is_empty());
    let w = parse("Mo-Th 10:30-22:30, Fr,Sa 11:00-05:00, Su 11:00-22:30");
    assert_eq!(w.day(Weekday::Fri), &[(660, 1740)]);
    assert_eq!(
        format_week_line(&w),
        "Mo-Th 10:30-22:30; Fr-Sa 11:00-05:00; Su 11:00-22:30"
    );
    let w = parse("Mo-Su 18:00-12:00");
    assert_eq!(w.day(Weekday::Tue), &[(1080, 2160)]);
    assert_eq!(format_week_line(&w), "Mo-Su 18:00-12:00+1");
    let w = parse("Mo-Fr 11:00-15:00, Tu-Fr 17:00-23:00, Sa 12:00-23:00, Su 15:00-21:00");
    assert_eq!(w.day(Weekday::Mon), &[(660, 900)]);
    assert_eq!(w.day(Weekday::Thu), &[(660, 900), (1020, 1380)]);
    let w = parse("PH,Sa,Su 12:00-22:00; Mo-Fr 11:00-22:00");
    assert_eq!(w.day(Weekday::Sun), &[(720, 1320)]);
    let all_day: &[(i64, i64)] = &[(0, 1440)];
    assert_eq!(parse("7/24").days, [all_day; 7].map(<[_]>::to_vec));
    assert_eq!(parse("24/7").days, [all_day; 7].map(<[_]>::to_vec));
}

#[test]
fn free_text_hours_are_errors() {
    // Forms seen in OpenStreetMap data that a weekly schedule cannot hold.
    for raw in [
        "10am - 4pm, Monday - Friday.",
        "9-5pm, Monday-Saturday",
        "As per garden",
        "Tu-We 10:00-19:00; Th 10:00-20:00; Fr 10:00-18:00; Sa 09:00-17:30 || \"on appointment\"",
    ] {
        let err = parse_opening_hours(raw).unwrap_err();
        assert!(
            matches!(
                err,
                ScheduleError::Unreadable { .. } | ScheduleError::Unsupported { .. }
            ),
            "{raw}: {err:?}"
        );
    }
}

/// The postcode shape check asks before staging an odd UK postcode: every
/// real one in the demo premises must pass it as it is.
#[test]
fn every_real_uk_postcode_passes_the_shape_check_unchanged() {
    use elogii_tui::domain::validate::{is_uk_country, normalise_postcode, uk_postcode};
    let full = format!("{}/assets/demo/uk-premises.csv", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(&full).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (postcode, country) = (col("postcode"), col("country"));
    let mut checked = 0;
    for r in reader.records() {
        let r = r.unwrap();
        let p = normalise_postcode(&r[postcode]);
        if p.is_empty() || !is_uk_country(&r[country]) {
            continue;
        }
        assert_eq!(uk_postcode(&p).as_deref(), Some(p.as_str()), "{p}");
        checked += 1;
    }
    assert!(checked > 1000, "{checked}");
}
