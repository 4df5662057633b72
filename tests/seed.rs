//! Seed data built from the real premises files.

use std::collections::{BTreeMap, HashSet};

use elogii_tui::sandbox::seed::{self, SeedData, SeedError};
use jiff::civil::{Date, date};
use serde_json::{Value, json};

/// A Monday.
const MONDAY: Date = date(2026, 3, 2);
const HEADER: &str =
    "source_id,name,address,address_line2,postcode,city,country,lon,lat,opening_hours,phone\n";

fn demo() -> SeedData {
    seed::demo(MONDAY).unwrap()
}

fn location(customer: &Value) -> &Value {
    &customer["locations"][0]
}

fn is_object_id(s: &str) -> bool {
    s.len() == 24
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn date_int(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

#[test]
fn demo_gives_one_customer_per_row_with_one_location() {
    let data = demo();
    assert_eq!(data.customers.len(), 1481);
    for c in &data.customers {
        let locations = c["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1, "{c}");
        let uid = locations[0]["uid"].as_str().unwrap();
        assert!(uid.starts_with("CL-") && uid.len() == 11, "{uid}");
        assert!(c["uid"].as_str().unwrap().starts_with("CUS-"));
        assert_eq!(locations[0]["setupDuration"], json!(2));
        let service = locations[0]["serviceDuration"].as_i64().unwrap();
        assert!((5..=15).contains(&service), "{service}");
    }
    assert_eq!(data.depots.len(), 1);
    assert_eq!(data.depots[0]["name"], "Trafford Park Depot");
    assert_eq!(data.drivers.len(), 12);
}

#[test]
fn demo_tags_follow_the_source_prefix() {
    let data = demo();
    let mut counts = BTreeMap::new();
    for c in &data.customers {
        let tags = c["tags"].as_array().unwrap();
        assert_eq!(tags.len(), 1, "{c}");
        let tag = tags[0].as_str().unwrap().to_string();
        let external = c["externalId"].as_str().unwrap();
        let expected = if external.starts_with("nhsbsa-ods:") {
            "pharmacy"
        } else if external.starts_with("cqc-gm-2019:") {
            "care-home"
        } else {
            assert!(external.starts_with("fhrs-trafford-2023:"), "{external}");
            "takeaway"
        };
        assert_eq!(tag, expected);
        *counts.entry(tag).or_insert(0) += 1;
    }
    assert_eq!(counts["pharmacy"], 631);
    assert_eq!(counts["care-home"], 559);
    assert_eq!(counts["takeaway"], 291);
}

#[test]
fn all_ids_are_object_ids_and_all_ids_and_uids_are_unique() {
    let data = demo();
    let mut ids = HashSet::new();
    let mut uids = HashSet::new();
    let all = data
        .customers
        .iter()
        .chain(&data.depots)
        .chain(&data.drivers)
        .chain(&data.tasks)
        .chain(&data.routes);
    for entity in all {
        let id = entity["_id"].as_str().unwrap();
        assert!(is_object_id(id), "{id}");
        assert!(ids.insert(id.to_string()), "duplicate _id {id}");
        let uid = entity["uid"].as_str().unwrap();
        assert!(uids.insert(uid.to_string()), "duplicate uid {uid}");
    }
    for c in &data.customers {
        let uid = location(c)["uid"].as_str().unwrap();
        assert!(uids.insert(uid.to_string()), "duplicate uid {uid}");
    }
    assert!(
        data.tasks
            .iter()
            .all(|t| t["uid"].as_str().unwrap().starts_with("T-"))
    );
    assert!(
        data.routes
            .iter()
            .all(|r| r["uid"].as_str().unwrap().starts_with("R-"))
    );
    assert!(
        data.drivers
            .iter()
            .all(|d| d["uid"].as_str().unwrap().starts_with("DR-"))
    );
    assert!(data.depots[0]["uid"].as_str().unwrap().starts_with("DEP-"));
}

#[test]
fn postcodes_are_strings_and_a_missing_one_stays_empty() {
    let data = demo();
    for c in &data.customers {
        assert!(location(c)["postCode"].is_string(), "{c}");
        assert!(location(c)["address"].is_string(), "{c}");
    }
    let busby = data
        .customers
        .iter()
        .find(|c| c["externalId"] == "fhrs-trafford-2023:281")
        .unwrap();
    assert_eq!(location(busby)["postCode"], "");
}

#[test]
fn pharmacies_have_schedules_and_others_have_none() {
    let data = demo();
    for c in &data.customers {
        let loc = location(c);
        if c["tags"][0] == "pharmacy" {
            let schedule = loc["schedule"].as_object().unwrap_or_else(|| panic!("{c}"));
            assert!(!schedule.is_empty(), "{c}");
            for (day, value) in schedule {
                assert!(
                    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&day.as_str()),
                    "{day}"
                );
                assert!(!value["timeWindows"].as_array().unwrap().is_empty(), "{c}");
            }
            assert!(loc.get("openingHoursText").is_none(), "{c}");
        } else {
            assert!(loc.get("schedule").is_none(), "{c}");
        }
    }
    // The first row: split days, Sunday closed (absent).
    let a1 = data
        .customers
        .iter()
        .find(|c| c["externalId"] == "nhsbsa-ods:FM664")
        .unwrap();
    let schedule = &location(a1)["schedule"];
    assert_eq!(
        schedule["Mon"]["timeWindows"],
        json!([{"start": 510, "end": 780}, {"start": 840, "end": 1050}])
    );
    assert_eq!(
        schedule["Sat"]["timeWindows"],
        json!([{"start": 540, "end": 750}])
    );
    assert!(schedule.get("Sun").is_none());
}

#[test]
fn care_home_phones_are_kept_verbatim_on_customer_and_location() {
    let data = demo();
    let home = data
        .customers
        .iter()
        .find(|c| c["externalId"] == "cqc-gm-2019:2")
        .unwrap();
    assert_eq!(home["contactPhone"], "1616275874");
    assert_eq!(location(home)["contactPhone"], "1616275874");
    assert_eq!(location(home)["addressLine2"], "Chadderton");
    assert_eq!(location(home)["coordinates"], json!([-2.13315, 53.543922]));
    let takeaway = data
        .customers
        .iter()
        .find(|c| c["externalId"] == "fhrs-trafford-2023:1")
        .unwrap();
    assert!(takeaway.get("contactPhone").is_none());
    assert!(location(takeaway).get("addressLine2").is_none());
}

#[test]
fn unparsable_hours_give_null_schedule_and_keep_the_text() {
    let csv = format!(
        "{HEADER}osm:node/1,Odd Hours Shop,1 Some Street,,EH1 1AA,Edinburgh,GB,-3.19,55.95,\"10am - 6pm, Monday - Friday.\",\n\
         osm:node/2,Good Hours Shop,2 Some Street,,EH1 1AB,Edinburgh,GB,-3.19,55.95,Mo 09:00-17:00,\n\
         osm:node/3,No Hours Shop,,,,,GB,-3.19,55.95,,\n"
    );
    let data = seed::from_premises_csv(&csv, MONDAY).unwrap();
    assert_eq!(data.customers.len(), 3);
    let odd = location(&data.customers[0]);
    assert_eq!(odd["schedule"], Value::Null);
    assert_eq!(odd["openingHoursText"], "10am - 6pm, Monday - Friday.");
    let good = location(&data.customers[1]);
    assert_eq!(
        good["schedule"],
        json!({"Mon": {"timeWindows": [{"start": 540, "end": 1020}]}})
    );
    assert!(good.get("openingHoursText").is_none());
    let none = location(&data.customers[2]);
    assert!(none.get("schedule").is_none());
    assert!(none.get("openingHoursText").is_none());
    assert_eq!(none["address"], "");
    assert_eq!(none["postCode"], "");
    assert!(none.get("city").is_none());
    // Edinburgh is outside the depot's service area: no tasks.
    assert!(data.tasks.is_empty());
    assert!(data.routes.is_empty());
}

#[test]
fn bad_coordinates_are_left_out_and_kept_as_text() {
    let csv = format!(
        "{HEADER}x:1,Nowhere,1 Road,,M1 1AA,Manchester,GB,abc,53.4,,\n\
         x:2,Far North,2 Road,,M1 1AB,Manchester,GB,-2.2,95.0,,\n\
         x:3,Fine,3 Road,,M1 1AD,Manchester,GB,-2.2,53.48,,\n"
    );
    let data = seed::from_premises_csv(&csv, MONDAY).unwrap();
    let first = location(&data.customers[0]);
    assert!(first.get("coordinates").is_none());
    assert_eq!(first["coordinatesText"], json!(["abc", "53.4"]));
    let second = location(&data.customers[1]);
    assert!(second.get("coordinates").is_none());
    assert_eq!(second["coordinatesText"], json!(["-2.2", "95.0"]));
    let third = location(&data.customers[2]);
    assert_eq!(third["coordinates"], json!([-2.2, 53.48]));
    assert!(third.get("coordinatesText").is_none());
    // Only the customer with coordinates can be delivered to.
    let today: Vec<&Value> = data
        .tasks
        .iter()
        .filter(|t| t["date"] == date_int(MONDAY))
        .collect();
    assert_eq!(today.len(), 1);
    assert_eq!(today[0]["customer"]["externalId"], "x:3");
    assert_eq!(
        today[0]["timeWindows"],
        json!([{"start": 540, "end": 1020}])
    );
}

#[test]
fn seeds_are_deterministic() {
    let a = demo();
    let b = demo();
    assert_eq!(a, b);
    let text = |d: &SeedData| {
        serde_json::to_string(&json!([
            d.customers,
            d.depots,
            d.drivers,
            d.tasks,
            d.routes
        ]))
        .unwrap()
    };
    assert_eq!(text(&a), text(&b));
    // Customers do not depend on the date; the plan does.
    let other = seed::demo(date(2026, 3, 3)).unwrap();
    assert_eq!(a.customers, other.customers);
    assert_ne!(a.tasks, other.tasks);
}

#[test]
fn tasks_cover_today_and_the_next_six_days() {
    let data = demo();
    let mut per_day: BTreeMap<i64, usize> = BTreeMap::new();
    for t in &data.tasks {
        *per_day.entry(t["date"].as_i64().unwrap()).or_default() += 1;
    }
    let days: Vec<i64> = (0..7)
        .map(|i| date_int(MONDAY.checked_add(jiff::Span::new().days(i)).unwrap()))
        .collect();
    assert_eq!(per_day.keys().copied().collect::<Vec<_>>(), days);
    for (i, d) in days.iter().enumerate() {
        let n = per_day[d];
        if i < 5 {
            assert!((150..=190).contains(&n), "{d}: {n}");
        } else {
            assert!((20..100).contains(&n), "{d}: {n}");
        }
    }
    for t in &data.tasks {
        assert_eq!(t["type"], 2);
        assert!(t["reference"].as_str().unwrap().starts_with("SO"));
        assert!(t["location"]["uid"].as_str().unwrap().starts_with("CL-"));
        assert_eq!(t["location"]["type"], 1);
        assert!(t["customer"]["uid"].as_str().unwrap().starts_with("CUS-"));
        assert!(t["size"]["Weight"].as_i64().unwrap() > 0);
        assert!(t["timeWindows"].is_array());
        assert!(!effective_windows(&data, t).as_array().unwrap().is_empty());
        if t["date"] != date_int(MONDAY) {
            assert_eq!(t["state"], 0);
            assert_eq!(t["stateText"], "Created");
        }
    }
}

#[test]
fn scheduled_customers_only_get_tasks_on_days_they_open_and_their_windows() {
    let data = demo();
    let by_location: BTreeMap<&str, &Value> = data
        .customers
        .iter()
        .map(|c| (location(c)["uid"].as_str().unwrap(), location(c)))
        .collect();
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let (mut own, mut by_hours) = (0, 0);
    for t in &data.tasks {
        let loc = by_location[t["location"]["uid"].as_str().unwrap()];
        let date = t["date"].as_i64().unwrap();
        let offset = days_between(date);
        if let Some(schedule) = loc.get("schedule").filter(|s| s.is_object()) {
            let day = days[offset % 7];
            // Its own copy of that day's hours, or none (the hours apply).
            if t["timeWindows"] == json!([]) {
                by_hours += 1;
                assert!(
                    schedule[day]["timeWindows"]
                        .as_array()
                        .is_some_and(|w| !w.is_empty())
                );
            } else {
                own += 1;
                assert_eq!(t["timeWindows"], schedule[day]["timeWindows"], "{t}");
            }
        } else {
            assert!(is_default_or_morning(&t["timeWindows"]), "{t}");
        }
    }
    // Both kinds are in the demo, so the console shows both paths.
    assert!(
        own > 100 && by_hours > 100,
        "{own} with their own windows, {by_hours} by hours"
    );
}

/// The windows a task is judged by: its own, else its location's hours for
/// the task's weekday.
fn effective_windows(data: &SeedData, t: &Value) -> Value {
    if t["timeWindows"].as_array().is_some_and(|w| !w.is_empty()) {
        return t["timeWindows"].clone();
    }
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let uid = &t["location"]["uid"];
    let day = days[days_between(t["date"].as_i64().unwrap()) % 7];
    data.customers
        .iter()
        .find(|c| location(c)["uid"] == *uid)
        .map(|c| location(c)["schedule"][day]["timeWindows"].clone())
        .unwrap_or(Value::Null)
}

/// Customers without opening hours get 09:00–17:00 or the 09:00–11:00 morning slot.
fn is_default_or_morning(windows: &Value) -> bool {
    *windows == json!([{"start": 540, "end": 1020}])
        || *windows == json!([{"start": 540, "end": 660}])
}

/// Day offset from MONDAY for a YYYYMMDD integer.
fn days_between(d: i64) -> usize {
    let day = date(
        (d / 10_000) as i16,
        ((d / 100) % 100) as i8,
        (d % 100) as i8,
    );
    (day - MONDAY).get_days() as usize
}

/// Stops of a route, by route uid, ordered by routeOrder.
fn routes_of(data: &SeedData, date: i64) -> BTreeMap<String, Vec<&Value>> {
    let mut routes: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for t in data.tasks.iter().filter(|t| t["date"] == date) {
        let uid = t["assignment"]["routeUID"].as_str().unwrap().to_string();
        routes.entry(uid).or_default().push(t);
    }
    for stops in routes.values_mut() {
        stops.sort_by_key(|t| t["assignment"]["routeOrder"].as_i64().unwrap());
    }
    routes
}

fn is_late(task: &Value, windows: &Value) -> bool {
    let eta = task["assignment"]["eta"].as_i64().unwrap();
    let last_end = windows
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["end"].as_i64().unwrap())
        .max()
        .unwrap();
    eta > last_end
}

fn is_inside_a_window(task: &Value, windows: &Value) -> bool {
    let eta = task["assignment"]["eta"].as_i64().unwrap();
    windows
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["start"].as_i64().unwrap() <= eta && eta <= w["end"].as_i64().unwrap())
}

#[test]
fn a_weekday_has_twelve_realistic_routes() {
    let data = demo();
    let today = date_int(MONDAY);
    let route_objects: Vec<&Value> = data.routes.iter().filter(|r| r["date"] == today).collect();
    assert_eq!(route_objects.len(), 12);
    let routes = routes_of(&data, today);
    assert_eq!(routes.len(), 12);
    let mut late_per_route = Vec::new();
    let mut on_time = 0;
    for route in &route_objects {
        let uid = route["uid"].as_str().unwrap();
        let stops = &routes[uid];
        let n = stops.len();
        assert!((10..=20).contains(&n), "{uid}: {n} stops");
        assert_eq!(route["stops"], json!(n));
        assert_eq!(route["start"], 480);
        assert_eq!(route["locked"], false);
        assert_eq!(route["depot"]["uid"], data.depots[0]["uid"]);
        let driver_uid = route["driver"]["uid"].as_str().unwrap();
        let mut previous_eta = 480;
        for (k, t) in stops.iter().enumerate() {
            let a = &t["assignment"];
            assert_eq!(a["state"], 1);
            assert_eq!(a["routeOrder"], json!(k + 1));
            assert_eq!(a["loadingOrder"], json!(n - k));
            assert_eq!(a["assignee"]["info"]["uid"], driver_uid);
            let eta = a["eta"].as_i64().unwrap();
            assert!(eta > previous_eta, "{uid}: eta {eta} after {previous_eta}");
            previous_eta = eta;
            if is_inside_a_window(t, &effective_windows(&data, t)) {
                on_time += 1;
            }
        }
        let end = route["end"].as_i64().unwrap();
        assert!(end > previous_eta);
        assert_eq!(route["duration"].as_i64().unwrap(), end - 480);
        assert!(route["distance"].as_i64().unwrap() > 1_000);
        late_per_route.push(
            stops
                .iter()
                .filter(|t| is_late(t, &effective_windows(&data, t)))
                .count(),
        );
    }
    assert!(on_time > 100, "{on_time} stops arrive inside a window");
    let late: usize = late_per_route.iter().sum();
    assert!(late > 0, "no late stop: {late_per_route:?}");
    assert!(late < 60, "too many late stops: {late_per_route:?}");
    assert!(late_per_route.contains(&0), "{late_per_route:?}");
    assert!(late_per_route.iter().any(|&l| l >= 2), "{late_per_route:?}");
}

#[test]
fn every_day_is_routed_and_weekends_use_fewer_drivers() {
    let data = demo();
    for offset in 0..7 {
        let d = MONDAY.checked_add(jiff::Span::new().days(offset)).unwrap();
        let routes = routes_of(&data, date_int(d));
        let expected = match offset {
            5 => 5,
            6 => 3,
            _ => 12,
        };
        assert_eq!(routes.len(), expected, "{d}");
        assert!(routes.values().all(|s| (8..=20).contains(&s.len())), "{d}");
    }
}

#[test]
fn today_shows_a_mid_day_mix_of_states() {
    let data = demo();
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for t in data.tasks.iter().filter(|t| t["date"] == date_int(MONDAY)) {
        let state = t["state"].as_i64().unwrap();
        let text = t["stateText"].as_str().unwrap();
        let expected = match state {
            0 => "Created",
            60 => "Completed",
            -20 => "Failed",
            50 => "Arrived at delivery",
            other => panic!("unexpected state {other}"),
        };
        assert_eq!(text, expected);
        *counts.entry(state).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    assert!(counts[&0] * 2 > total, "{counts:?}");
    assert!(counts.get(&60).copied().unwrap_or(0) >= 10, "{counts:?}");
    assert!(counts.get(&-20).copied().unwrap_or(0) >= 1, "{counts:?}");
    assert_eq!(counts.get(&50).copied().unwrap_or(0), 2, "{counts:?}");
    // Done stops come first on their route.
    for stops in routes_of(&data, date_int(MONDAY)).values() {
        let states: Vec<i64> = stops.iter().map(|t| t["state"].as_i64().unwrap()).collect();
        let first_open = states
            .iter()
            .position(|s| *s == 0 || *s == 50)
            .unwrap_or(states.len());
        assert!(
            states[first_open..].iter().all(|s| *s == 0 || *s == 50),
            "{states:?}"
        );
    }
}

#[test]
fn drivers_start_and_end_at_the_depot_with_a_van() {
    let data = demo();
    let depot_uid = &data.depots[0]["uid"];
    let mut names = HashSet::new();
    for d in &data.drivers {
        for key in ["startLocation", "endLocation"] {
            assert_eq!(d[key]["type"], 0);
            assert_eq!(&d[key]["uid"], depot_uid);
            assert!(d[key]["coordinates"].is_array());
        }
        assert_eq!(d["vehicle"]["category"], 5);
        assert!(d["vehicle"]["registration"].is_string());
        assert_eq!(
            d["schedule"]["Mon"]["timeWindows"],
            json!([{"start": 450, "end": 1110}])
        );
        names.insert(d["firstName"].as_str().unwrap().to_string());
    }
    assert_eq!(names.len(), 12);
}

#[test]
fn from_path_reads_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("premises.csv");
    std::fs::write(&csv_path, seed::DEMO_CSV).unwrap();
    let from_file = seed::from_path(&csv_path, MONDAY).unwrap();
    assert_eq!(from_file, demo());

    let json_path = dir.path().join("seed.json");
    let body = json!({
        "customers": [{"_id": "6a20c2d3e4f5061728394a5b", "uid": "CUS-5XN3QW7E", "name": "Fictional Retail Co"}],
        "tasks": [{"uid": "T-R5T8Y2UC", "date": 20250115}],
    });
    std::fs::write(&json_path, serde_json::to_vec(&body).unwrap()).unwrap();
    let data = seed::from_path(&json_path, MONDAY).unwrap();
    assert_eq!(data.customers, vec![body["customers"][0].clone()]);
    assert_eq!(data.tasks, vec![body["tasks"][0].clone()]);
    assert!(data.routes.is_empty() && data.drivers.is_empty() && data.depots.is_empty());

    // JSON is also recognised by content.
    let odd_name = dir.path().join("seed.txt");
    std::fs::write(&odd_name, b"{\"depots\": [{\"uid\": \"DEP-8JCJT2ND\"}]}").unwrap();
    assert_eq!(seed::from_path(&odd_name, MONDAY).unwrap().depots.len(), 1);
}

#[test]
fn from_path_reports_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = seed::from_path(&dir.path().join("nope.csv"), MONDAY).unwrap_err();
    assert!(matches!(missing, SeedError::Read { .. }), "{missing}");

    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, b"{\"tasks\": {}}").unwrap();
    assert!(matches!(
        seed::from_path(&bad_json, MONDAY),
        Err(SeedError::Json(_))
    ));
    std::fs::write(&bad_json, b"{\"tasks\": [").unwrap();
    assert!(matches!(
        seed::from_path(&bad_json, MONDAY),
        Err(SeedError::Json(_))
    ));
    std::fs::write(&bad_json, b"[]").unwrap();
    assert!(matches!(
        seed::from_path(&bad_json, MONDAY),
        Err(SeedError::Json(_))
    ));

    let binary = dir.path().join("bin.csv");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    assert!(matches!(
        seed::from_path(&binary, MONDAY),
        Err(SeedError::NotUtf8 { .. })
    ));
}

#[test]
fn bad_csv_rows_are_reported_with_their_line() {
    let csv = format!("{HEADER}x:1,A,1 Road,,M1 1AA,Manchester,GB,-2.2,53.4,,\nx:2,B,too,few\n");
    match seed::from_premises_csv(&csv, MONDAY) {
        Err(SeedError::Csv { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    match seed::from_premises_csv("source_id,name\nx,y\n", MONDAY) {
        Err(SeedError::MissingColumn { column }) => assert_eq!(column, "address"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_ascii_premises_keep_names_byte_for_byte() {
    let text = std::fs::read_to_string("tests/fixtures/non-ascii-premises.csv").unwrap();
    let data = seed::from_premises_csv(&text, MONDAY).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(data.customers.len(), rows.len());
    let mut non_nfc_seen = false;
    for (c, row) in data.customers.iter().zip(&rows) {
        assert_eq!(c["externalId"].as_str().unwrap(), &row[0]);
        assert_eq!(c["name"].as_str().unwrap().as_bytes(), row[1].as_bytes());
        assert_eq!(
            location(c)["name"].as_str().unwrap().as_bytes(),
            row[1].as_bytes()
        );
        if !row[4].is_empty() {
            assert_eq!(location(c)["postCode"].as_str().unwrap(), &row[4]);
        }
        if row[1].contains('\u{300}') {
            non_nfc_seen = true;
        }
    }
    assert!(non_nfc_seen, "the fixture's non-NFC name was not found");
    // Helsinki postcodes keep their leading zeros.
    assert!(
        data.customers
            .iter()
            .any(|c| location(c)["postCode"] == "00500")
    );
    // Far from the Manchester depot: nobody gets a task.
    assert!(data.tasks.is_empty());
}

#[test]
fn synthetic_customers_are_plausible_and_deterministic() {
    let a = seed::synthetic(2_000, MONDAY);
    assert_eq!(a.customers.len(), 2_000);
    assert_eq!(a, seed::synthetic(2_000, MONDAY));
    let mut uids = HashSet::new();
    for c in &a.customers {
        let loc = location(c);
        assert!(uids.insert(loc["uid"].as_str().unwrap().to_string()));
        let lon = loc["coordinates"][0].as_f64().unwrap();
        let lat = loc["coordinates"][1].as_f64().unwrap();
        assert!(
            (-2.8..-1.9).contains(&lon) && (53.3..53.7).contains(&lat),
            "{loc}"
        );
        let postcode = loc["postCode"].as_str().unwrap();
        assert!(postcode.contains(' ') && postcode.len() >= 6, "{postcode}");
        if c["tags"][0] == "pharmacy" {
            assert!(loc["schedule"].is_object(), "{c}");
        }
    }
    assert_eq!(a.drivers.len(), 12);
    assert!(
        a.tasks
            .iter()
            .filter(|t| t["date"] == date_int(MONDAY))
            .count()
            >= 150
    );
    assert_eq!(seed::synthetic(0, MONDAY).customers.len(), 0);
}
