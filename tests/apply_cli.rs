//! `elogii-tui apply`, `staged` and `send` as a user runs them: the real binary
//! against the emulator on 127.0.0.1, with the journal in a temporary data dir.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use elogii_tui::domain::edit::{Edit, Entity, FieldPath, get_field};
use elogii_tui::sandbox::seed;
use elogii_tui::sandbox::server::{SandboxConfig, SandboxHandle, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use secrecy::SecretString;
use serde_json::Value;

const KEY: &str = "test:0123456789abcdef01234567:apply";

async fn emulator(n: usize) -> SandboxHandle {
    emulator_with(n, |_| {}).await
}

/// An emulator whose seed data is changed by `change` first.
async fn emulator_with(n: usize, change: impl FnOnce(&mut seed::SeedData)) -> SandboxHandle {
    let mut data = seed::synthetic(n, jiff::civil::date(2026, 3, 2));
    change(&mut data);
    let store = Store::from_seed(data).unwrap();
    spawn_on_loopback(store, SandboxConfig::new(SecretString::from(KEY)))
        .await
        .unwrap()
}

/// Runs the binary with a private data dir and config, and a deadline.
async fn run(data: &Path, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_elogii-tui"));
    cmd.args(args)
        .env("ELOGII_API_KEY", KEY)
        .env("ELOGII_TUI_DATA_DIR", data.join("data"))
        .env("XDG_DATA_HOME", data.join("xdg"))
        .env("ELOGII_TUI_CONFIG", data.join("no-config.toml"))
        .env_remove("ELOGII_BASE_URL")
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("the command did not finish in time")
        .unwrap()
}

/// Writes `csv` to `name` in `data` and runs `apply` on it against `base_url`.
async fn apply_csv(data: &Path, name: &str, csv: &str, base_url: &str) -> Output {
    let file = data.join(name);
    std::fs::write(&file, csv).unwrap();
    run(
        data,
        &["apply", file.to_str().unwrap(), "--base-url", base_url],
    )
    .await
}

/// Like [`run`], with `input` on standard input.
async fn run_with_stdin(data: &Path, args: &[&str], input: &str) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_elogii-tui"));
    cmd.args(args)
        .env("ELOGII_API_KEY", KEY)
        .env("ELOGII_TUI_DATA_DIR", data.join("data"))
        .env("XDG_DATA_HOME", data.join("xdg"))
        .env("ELOGII_TUI_CONFIG", data.join("no-config.toml"))
        .env_remove("ELOGII_BASE_URL")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command did not finish in time")
        .unwrap()
}

fn err_text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn by_id(h: &SandboxHandle) -> HashMap<String, Value> {
    h.customers()
        .into_iter()
        .map(|c| (c["_id"].as_str().unwrap().to_string(), c))
        .collect()
}

fn csv_cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// 500 fixes of several kinds, naming records by `_id`, uid and externalId.
/// Returns the CSV and, per customer, the field and the value typed.
fn fixes(customers: &[Value]) -> (String, Vec<(String, String, String, String)>) {
    let mut csv = String::from("entity,record,field,value\n");
    let mut rows = Vec::new();
    for (i, c) in customers.iter().take(500).enumerate() {
        let key = match i % 3 {
            0 => c["_id"].as_str().unwrap().to_string(),
            1 => c["uid"].as_str().unwrap().to_string(),
            _ => c["externalId"].as_str().unwrap().to_string(),
        };
        let lat = c["locations"][0]["coordinates"][1].as_f64().unwrap();
        let lon = c["locations"][0]["coordinates"][0].as_f64().unwrap();
        let (field, value) = match i % 5 {
            0 => (
                "locations[0].postCode",
                format!("ZZ{} {}AA", i / 10, i % 10),
            ),
            1 => ("locations[0].contactPhone", format!("+44 161 496 {i:04}")),
            2 => (
                "locations[0].schedule",
                format!("Mo-Fr 07:{}5-19:00; Sa 09:00-12:00", i % 6),
            ),
            3 => (
                "locations[0].coordinates",
                format!("{:.6}, {lon}", lat + 0.001),
            ),
            _ => ("locations[0].serviceDuration", format!("{}", 100 + i % 30)),
        };
        let entity = if i % 2 == 0 { "customer" } else { "" };
        csv.push_str(&format!("{entity},{key},{field},{}\n", csv_cell(&value)));
        rows.push((
            c["_id"].as_str().unwrap().to_string(),
            key,
            field.to_string(),
            value,
        ));
    }
    (csv, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_lists_500_changes_and_changes_nothing_then_apply_sends_them() {
    let h = emulator(600).await;
    let dir = tempfile::tempdir().unwrap();
    let before = h.customers();
    let (csv, rows) = fixes(&before);
    let file = dir.path().join("fixes.csv");
    std::fs::write(&file, csv).unwrap();
    let base = h.base_url();
    h.reset_stats();

    let out = run(
        dir.path(),
        &[
            "apply",
            "--dry-run",
            file.to_str().unwrap(),
            "--base-url",
            &base,
        ],
    )
    .await;
    let stdout = text(&out);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("Dry run: 500 changes (nothing was staged or sent)."),
        "{stdout}"
    );
    for (_, key, field, _) in &rows {
        let prefix = format!("{key} → locations[CL-");
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains(&field["locations[0]".len()..])),
            "{key} {field} not listed"
        );
    }
    let change_lines = stdout
        .lines()
        .filter(|l| l.matches(" → ").count() >= 2)
        .count();
    assert_eq!(change_lines, 500);
    assert!(stdout.contains("500 changes would be sent."));
    // Nothing changed: no write reached the emulator, the data is as it was,
    // and nothing was staged.
    assert_eq!(h.stats().non_get(), 0, "{:?}", h.stats());
    assert_eq!(h.customers(), before);
    let staged = run(dir.path(), &["staged"]).await;
    assert_eq!(text(&staged), "No pending edits.\n");

    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stdout = text(&out);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("sent: ")).count(),
        500
    );
    assert!(
        stdout.contains("500 sent, 0 failed, 0 conflicts, 0 left staged."),
        "{stdout}"
    );
    let after = by_id(&h);
    let old: HashMap<&str, &Value> = before
        .iter()
        .map(|c| (c["_id"].as_str().unwrap(), c))
        .collect();
    for (id, _, field, value) in &rows {
        let path = FieldPath::parse(Entity::Customer, field).unwrap();
        let expected = Edit::from_input(Entity::Customer, old[id.as_str()], &path, value).unwrap();
        assert_eq!(
            get_field(&after[id], &expected.field),
            expected.new.as_ref(),
            "{id} {field}"
        );
    }
    // The 100 customers not in the file are untouched.
    for c in &before[500..] {
        assert_eq!(&after[c["_id"].as_str().unwrap()], c);
    }
    assert_eq!(h.stats().written_items, 500);
    let staged = run(dir.path(), &["staged", "--format", "csv"]).await;
    assert_eq!(
        text(&staged),
        "entity,record,field,value,old,state,message,id,server\n"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_line_is_reported_by_number_and_the_rest_still_go() {
    let h = emulator(20).await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let csv = [
        "entity,record,field,value".to_string(),
        format!("customer,{},contactName,Ann Lee", uid(0)),
        format!("customer,{},locations[0].postCode,LS1 4DY", uid(1)),
        format!("customer,{},contactEmail,ann at example", uid(2)),
        format!(
            "customer,{},locations[0].coordinates,\"153.2, -1.5\"",
            uid(3)
        ),
        format!(
            "customer,{},locations[0].schedule,Mo-Fr 08:00-17:00",
            uid(4)
        ),
        format!("customer,{},locations[7].name,Back door", uid(5)),
        format!("customer,{},uid,CUS-HIJACK00", uid(6)),
        format!("customer,{},contactEmail,ann@example.com", uid(2)),
    ]
    .join("\n");
    let out = apply_csv(dir.path(), "mixed.csv", &csv, &h.base_url()).await;
    let stdout = text(&out);
    assert!(
        !out.status.success(),
        "a bad line makes the exit status non-zero"
    );
    assert!(
        stdout.contains(&format!(
            "line 4: {}: “ann at example” is not an e-mail address",
            uid(2)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "line 5: {}: latitude 153.2 is out of range",
            uid(3)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "line 7: {}: this customer has no location number 7",
            uid(5)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "line 8: {}: “uid” is not a customer field that can be edited",
            uid(6)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("4 sent, 0 failed, 0 conflicts, 0 left staged; 4 lines have an error."),
        "{stdout}"
    );
    let after = by_id(&h);
    let id = |i: usize| c[i]["_id"].as_str().unwrap().to_string();
    assert_eq!(after[&id(0)]["contactName"], "Ann Lee");
    assert_eq!(after[&id(1)]["locations"][0]["postCode"], "LS1 4DY");
    assert_eq!(after[&id(2)]["contactEmail"], "ann@example.com");
    assert_eq!(after[&id(3)], c[3]);
    assert_eq!(
        after[&id(4)]["locations"][0]["schedule"]["Fri"]["timeWindows"][0]["start"],
        480
    );
    assert_eq!(after[&id(5)], c[5]);
    assert_eq!(after[&id(6)], c[6]);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_edits_stay_staged_and_the_staged_csv_can_be_applied_again() {
    let h = emulator(10).await;
    h.faults()
        .set("reject-field=contactName:REJECT".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let jsonl = [
        serde_json::json!({"record": c[0]["_id"], "field": "contactName", "value": "REJECT"}),
        serde_json::json!({"record": c[1]["_id"], "field": "locations[0].coordinates", "value": [-1.5, 53.8]}),
        serde_json::json!({"entity": "customer", "record": c[2]["uid"], "field": "tags", "value": "a, b"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let file = dir.path().join("e.jsonl");
    std::fs::write(&file, jsonl).unwrap();
    let base = h.base_url();
    let out = run(
        dir.path(),
        &[
            "apply",
            file.to_str().unwrap(),
            "--base-url",
            &base,
            "--yes-moves",
        ],
    )
    .await;
    let stdout = text(&out);
    assert!(!out.status.success());
    assert!(stdout.contains("failed: line 1 (edit #1): "), "{stdout}");
    assert!(
        stdout.contains("Rejected by sandbox fault: contactName = REJECT"),
        "{stdout}"
    );
    // The summary agrees with `staged`: the failed edit is kept, and says how to drop it.
    assert!(
        stdout.contains(&format!(
            "2 sent, 1 failed (kept in the journal: see `elogii-tui staged --base-url {base}`; \
             drop with `elogii-tui staged --base-url {base} --drop-failed`), 0 conflicts, 0 left staged."
        )),
        "{stdout}"
    );

    let staged = run(dir.path(), &["staged", "--format", "csv"]).await;
    let csv = text(&staged);
    let id0 = c[0]["_id"].as_str().unwrap();
    let label0 = format!(
        "{} {}",
        c[0]["uid"].as_str().unwrap(),
        c[0]["name"].as_str().unwrap()
    );
    assert_eq!(
        csv,
        format!(
            "entity,record,field,value,old,state,message,id,server\ncustomer,{id0},contactName,REJECT,,failed,Rejected by sandbox fault: contactName = REJECT,1,{base}\n"
        )
    );
    let listed = run(dir.path(), &["staged"]).await;
    assert!(
        text(&listed).starts_with(&format!(
            "1 pending edit for {base}:\n#1    failed   customer {label0} → contactName: "
        )),
        "{}",
        text(&listed)
    );

    // After the cause is fixed, `send` retries what is pending.
    h.faults().clear();
    let out = run(dir.path(), &["send", "--base-url", &base]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 sent, 0 failed, 0 conflicts, 0 left staged."));
    assert_eq!(by_id(&h)[id0]["contactName"], "REJECT");
    assert_eq!(
        text(&run(dir.path(), &["staged"]).await),
        "No pending edits.\n"
    );
    let nothing = run(dir.path(), &["send", "--base-url", &base]).await;
    assert!(nothing.status.success());
    assert!(text(&nothing).starts_with("Nothing to send"));

    // The staged CSV of one run is an edits file for another.
    let file = dir.path().join("again.csv");
    std::fs::write(&file, csv.replace(",REJECT,", ",Someone Else,")).unwrap();
    let out = run(
        dir.path(),
        &[
            "apply",
            "--dry-run",
            file.to_str().unwrap(),
            "--base-url",
            &base,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("{id0} → contactName: REJECT → Someone Else")),
        "{}",
        text(&out)
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn location_fields_named_alone_mean_the_only_location_in_any_case() {
    let h = emulator_with(6, |data| {
        // Customer 1 gets a second location.
        let mut second = data.customers[1]["locations"][0].clone();
        second["uid"] = "CL-SECOND01".into();
        second["postCode"] = "M1 1AA".into();
        data.customers[1]["locations"]
            .as_array_mut()
            .unwrap()
            .push(second);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let loc = |i: usize| c[i]["locations"][0]["uid"].as_str().unwrap().to_string();
    let old_pc = c[0]["locations"][0]["postCode"]
        .as_str()
        .unwrap()
        .to_string();
    let csv = [
        "entity,record,field,value".to_string(),
        format!("customer,{},postCode,BL3 1SX", uid(0)),
        format!("customer,{},Schedule,Mo-Fr 08:00-17:00", uid(2)),
        format!("customer,{},coordinates,\"53.58, -2.43\"", uid(3)),
        format!("customer,{},instructions,Ring at the back", uid(4)),
        format!("customer,{},servicEduration,12", uid(5)),
        format!("customer,{},postcode,M2 2BB", uid(1)),
        format!("customer,{},Name,Shop Renamed", uid(5)),
        format!("customer,{},uid,CUS-HIJACK00", uid(2)),
        format!(
            "task,{},postCode,XX1 1XX",
            h.tasks()[0]["uid"].as_str().unwrap()
        ),
    ]
    .join("\n");
    let file = dir.path().join("alone.csv");
    std::fs::write(&file, &csv).unwrap();
    let base = h.base_url();
    let file = file.to_str().unwrap();
    let out = run(
        dir.path(),
        &[
            "apply",
            "--dry-run",
            file,
            "--base-url",
            &base,
            "--yes-moves",
        ],
    )
    .await;
    let stdout = text(&out);
    // The dry run shows the path each name was read as.
    assert!(
        stdout.contains(&format!(
            "{} → locations[{}].postCode: {old_pc} → BL3 1SX",
            uid(0),
            loc(0)
        )),
        "{stdout}"
    );
    for (i, field) in [
        (2, "schedule"),
        (3, "coordinates"),
        (4, "instructions"),
        (5, "serviceDuration"),
    ] {
        assert!(
            stdout.contains(&format!("{} → locations[{}].{field}: ", uid(i), loc(i))),
            "{field}: {stdout}"
        );
    }
    // `name` alone is the customer's own.
    assert!(stdout.contains(&format!("{} → name: ", uid(5))), "{stdout}");
    // Several locations: the error names each path.
    assert!(
        stdout.contains(&format!(
            "line 7: {}: “postCode” belongs to a customer location, and this customer has 2 locations; \
             name one: locations[{}].postCode, locations[CL-SECOND01].postCode",
            uid(1),
            loc(1)
        )),
        "{stdout}"
    );
    // Not a field: the error lists what can be edited and where it is written down.
    let bad = stdout
        .lines()
        .find(|l| l.starts_with("line 9: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        bad.contains(
            "“uid” is not a customer field that can be edited. Customer fields: name, contactName,"
        ),
        "{bad}"
    );
    assert!(
        bad.contains("postCode")
            && bad.contains("serviceDuration")
            && bad.contains("docs/editing.md"),
        "{bad}"
    );
    let bad = stdout
        .lines()
        .find(|l| l.starts_with("line 10: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        bad.ends_with("“postCode” is not a task field that can be edited. Task fields: timeWindows, instructions, internalComment. See docs/editing.md."),
        "{bad}"
    );
    assert!(
        stdout.contains("6 changes would be sent; 3 lines have an error."),
        "{stdout}"
    );

    // The real run writes the location's member.
    let out = run(
        dir.path(),
        &["apply", file, "--base-url", &base, "--yes-moves"],
    )
    .await;
    assert!(!out.status.success(), "bad lines make the status non-zero");
    assert!(text(&out).contains("6 sent, 0 failed"), "{}", text(&out));
    let after = by_id(&h);
    let id = |i: usize| c[i]["_id"].as_str().unwrap().to_string();
    assert_eq!(after[&id(0)]["locations"][0]["postCode"], "BL3 1SX");
    assert_eq!(after[&id(5)]["locations"][0]["serviceDuration"], 12);
    assert_eq!(after[&id(5)]["name"], "Shop Renamed");
    assert_eq!(
        after[&id(4)]["locations"][0]["instructions"],
        "Ring at the back"
    );
    assert_eq!(after[&id(1)], c[1]);
    assert_eq!(after[&id(2)]["uid"], c[2]["uid"]);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_help_lists_the_editable_fields() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["apply", "--help"]).await;
    assert!(out.status.success());
    let help = text(&out);
    use elogii_tui::domain::edit::{CUSTOMER_FIELDS, LOCATION_FIELDS, TASK_FIELDS};
    for f in CUSTOMER_FIELDS
        .iter()
        .chain(&LOCATION_FIELDS)
        .chain(&TASK_FIELDS)
    {
        assert!(help.contains(f), "{f} is not in apply --help:\n{help}");
    }
    assert!(help.contains("docs/editing.md"), "{help}");
    assert!(help.contains("reference"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_found_by_reference_and_a_shared_reference_fails_its_line() {
    let h = emulator_with(6, |data| {
        // Two tasks share a reference; one has an externalId.
        let shared = data.tasks[2]["reference"].clone();
        data.tasks[3]["reference"] = shared;
        data.tasks[4]["externalId"] = "ORDER-77".into();
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let t = h.tasks();
    let reference = |i: usize| t[i]["reference"].as_str().unwrap().to_string();
    assert!(reference(0).starts_with("SO"), "{}", reference(0));
    let csv = [
        "entity,record,field,value".to_string(),
        format!("task,{},internalComment,by reference", reference(0)),
        format!("task,{},internalComment,shared", reference(2)),
        "task,ORDER-77,timeWindows,09:00-12:00".to_string(),
        format!("task,{},instructions,by uid", t[1]["uid"].as_str().unwrap()),
        "task,SO999999999,instructions,nobody".to_string(),
    ]
    .join("\n");
    let file = dir.path().join("tasks.csv");
    std::fs::write(&file, &csv).unwrap();
    let base = h.base_url();
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stdout = text(&out);
    assert!(
        stdout.contains(&format!(
            "line 3: {}: 2 tasks have this reference, so the line is not applied; use the _id or uid instead",
            reference(2)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "line 6: SO999999999: there is no task with this _id, uid, externalId or reference"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 sent, 0 failed, 0 conflicts, 0 left staged; 2 lines have an error."),
        "{stdout}"
    );
    let after: HashMap<String, Value> = h
        .tasks()
        .into_iter()
        .map(|t| (t["_id"].as_str().unwrap().to_string(), t))
        .collect();
    let id = |i: usize| t[i]["_id"].as_str().unwrap().to_string();
    assert_eq!(after[&id(0)]["internalComment"], "by reference");
    assert_eq!(after[&id(1)]["instructions"], "by uid");
    assert_eq!(
        after[&id(4)]["timeWindows"],
        serde_json::json!([{"start": 540, "end": 720}])
    );
    assert_eq!(after[&id(2)], t[2]);
    assert_eq!(after[&id(3)], t[3]);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_line_for_the_same_field_wins_and_the_report_says_so() {
    let h = emulator(4).await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let id0 = c[0]["_id"].as_str().unwrap().to_string();
    let csv = [
        "entity,record,field,value".to_string(),
        format!("customer,{},contactName,First Try", uid(0)),
        format!("customer,{},contactName,Other Field Record", uid(1)),
        // The same record by _id and the same field in another case.
        format!("customer,{id0},CONTACTNAME,Second Try"),
        format!("customer,{},locations[0].postCode,AB1 2CD", uid(0)),
        format!("customer,{},postCode,EF3 4GH", uid(0)),
        format!("customer,{},contactName,Final", uid(0)),
    ]
    .join("\n");
    let file = dir.path().join("twice.csv");
    std::fs::write(&file, &csv).unwrap();
    let base = h.base_url();
    let file = file.to_str().unwrap();
    for dry in [true, false] {
        let mut args = vec!["apply", file, "--base-url", &base];
        if dry {
            args.insert(1, "--dry-run");
        }
        let out = run(dir.path(), &args).await;
        let stdout = text(&out);
        assert!(out.status.success(), "{stdout}");
        assert!(
            stdout.contains("line 4 overrides line 2 (same record and field)\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains("line 7 overrides line 4 (same record and field)\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains("line 6 overrides line 5 (same record and field)\n"),
            "{stdout}"
        );
        assert!(!stdout.contains("overrides line 3"), "{stdout}");
        assert!(
            !stdout.contains("First Try") && !stdout.contains("Second Try"),
            "{stdout}"
        );
        assert!(
            stdout.contains("3 lines overridden by a later line."),
            "{stdout}"
        );
        if dry {
            assert!(stdout.contains("3 changes would be sent"), "{stdout}");
        } else {
            assert!(stdout.contains("3 sent, 0 failed"), "{stdout}");
        }
    }
    let after = by_id(&h);
    assert_eq!(after[&id0]["contactName"], "Final");
    assert_eq!(after[&id0]["locations"][0]["postCode"], "EF3 4GH");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_edits_can_be_dropped_and_staged_shows_ids_and_server() {
    let h = emulator(6).await;
    h.faults()
        .set("reject-field=contactName:REJECT".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let base = h.base_url();
    let file = dir.path().join("e.csv");
    std::fs::write(
        &file,
        format!(
            "record,field,value\n{},contactName,REJECT\n{},contactName,REJECT\n{},contactName,REJECT\n",
            uid(0),
            uid(1),
            uid(2)
        ),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stdout = text(&out);
    assert!(!out.status.success());
    assert!(stdout.contains("failed: line 2 (edit #1): "), "{stdout}");
    assert!(
        stdout.contains(&format!("0 sent, 3 failed (kept in the journal: see `elogii-tui staged --base-url {base}`; drop with `elogii-tui staged --base-url {base} --drop-failed`)")),
        "{stdout}"
    );

    let listed = text(&run(dir.path(), &["staged"]).await);
    assert!(
        listed.starts_with(&format!(
            "3 pending edits for {base}:\n#1    failed   customer "
        )),
        "{listed}"
    );
    assert!(listed.contains("\n#3    failed   customer "), "{listed}");
    assert!(
        listed.contains("`elogii-tui staged --drop-failed` drops them."),
        "{listed}"
    );

    // Drop one by id (as `staged` shows it), then an unknown one.
    let out = run(dir.path(), &["staged", "--drop", "#2"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).starts_with(&format!(
            "dropped #2: customer {} {} → contactName: ",
            uid(1),
            c[1]["name"].as_str().unwrap()
        )),
        "{}",
        text(&out)
    );
    assert!(text(&out).ends_with("Dropped 1 edit; 2 still pending.\n"));
    let out = run(dir.path(), &["staged", "--drop", "2,9"]).await;
    assert!(
        !out.status.success(),
        "unknown ids make the status non-zero"
    );
    assert!(
        text(&out).contains("not dropped #9: there is no pending edit #9"),
        "{}",
        text(&out)
    );
    let out = run(dir.path(), &["staged", "--drop", "abc"]).await;
    assert!(!out.status.success());
    assert!(
        err_text(&out).contains("is not an edit id"),
        "{}",
        err_text(&out)
    );

    // One more edit that is only staged (the emulator is unreachable for it).
    let other = "http://127.0.0.1:9";
    let j = elogii_tui::sync::journal::Journal::open(
        &dir.path().join("data").join("journal-default.sqlite3"),
    )
    .unwrap()
    .0;
    let path = FieldPath::parse(Entity::Customer, "contactName").unwrap();
    let edit = Edit::from_input(Entity::Customer, &c[3], &path, "Elsewhere").unwrap();
    j.stage(other, &edit).unwrap();
    drop(j);
    let listed = text(&run(dir.path(), &["staged"]).await);
    assert!(
        listed.starts_with("3 pending edits for 2 servers:\n"),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("2 edits for {base}:\n")),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("1 edit for {other}:\n  #4    staged   ")),
        "{listed}"
    );
    let csv = text(&run(dir.path(), &["staged", "--format", "csv"]).await);
    assert!(
        csv.contains(&format!(
            ",failed,Rejected by sandbox fault: contactName = REJECT,1,{base}\n"
        )),
        "{csv}"
    );
    assert!(csv.contains(&format!(",staged,,4,{other}\n")), "{csv}");

    // --drop-failed leaves the staged edit.
    let out = run(dir.path(), &["staged", "--drop-failed"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(text(&out).matches("dropped #").count(), 2, "{}", text(&out));
    assert!(text(&out).ends_with("Dropped 2 edits; 1 still pending.\n"));

    // --drop-all is never silent: without --yes and without a terminal it refuses.
    let out = run(dir.path(), &["staged", "--drop-all"]).await;
    assert!(!out.status.success());
    assert!(
        err_text(&out).contains("--drop-all would drop 1 pending edit; add --yes to confirm"),
        "{}",
        err_text(&out)
    );
    assert!(text(&run(dir.path(), &["staged"]).await).starts_with("1 pending edit for "));
    let out = run(dir.path(), &["staged", "--yes"]).await;
    assert!(!out.status.success(), "--yes alone is refused");
    let out = run(dir.path(), &["staged", "--drop-all", "--yes"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).starts_with("dropped #4: customer "),
        "{}",
        text(&out)
    );
    assert_eq!(
        text(&run(dir.path(), &["staged"]).await),
        "No pending edits.\n"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_edits_are_mentioned_only_where_they_matter() {
    let h = emulator(4).await;
    h.faults()
        .set("reject-field=contactName:REJECT".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let base = h.base_url();
    let first = dir.path().join("first.csv");
    std::fs::write(
        &first,
        format!("record,field,value\n{},contactName,REJECT\n", uid(0)),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["apply", first.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    assert!(!out.status.success());
    // The first run had nothing from earlier.
    assert!(!text(&out).contains("from earlier"), "{}", text(&out));
    assert!(!err_text(&out).contains("journal"), "{}", err_text(&out));

    let second = dir.path().join("second.csv");
    std::fs::write(
        &second,
        format!("record,field,value\n{},contactName,Fine\n", uid(1)),
    )
    .unwrap();
    // A dry run and a failing command say nothing about the journal.
    let out = run(
        dir.path(),
        &[
            "apply",
            "--dry-run",
            second.to_str().unwrap(),
            "--base-url",
            &base,
        ],
    )
    .await;
    assert!(out.status.success());
    assert!(
        !text(&out).contains("earlier") && !err_text(&out).contains("journal"),
        "{}{}",
        text(&out),
        err_text(&out)
    );
    assert_eq!(err_text(&out), "");
    let out = run(dir.path(), &["apply", "missing.csv", "--base-url", &base]).await;
    assert!(!out.status.success());
    assert!(!err_text(&out).contains("journal"), "{}", err_text(&out));
    assert!(
        err_text(&out).contains("cannot read missing.csv"),
        "{}",
        err_text(&out)
    );

    // A real apply with an older pending edit says so, worded for the CLI.
    let out = run(
        dir.path(),
        &["apply", second.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("1 sent, 0 failed"), "{stdout}");
    assert!(
        stdout.ends_with(&format!("1 edit from earlier is still pending; `elogii-tui send --base-url {base}` sends it, `elogii-tui staged --base-url {base}` lists it.\n")),
        "{stdout}"
    );
    assert!(!err_text(&out).contains("journal"), "{}", err_text(&out));

    // `send` names what it sends.
    h.faults().clear();
    let out = run(dir.path(), &["send", "--base-url", &base]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).starts_with(&format!("Sending 1 pending edit from earlier to {base}.\n")),
        "{}",
        text(&out)
    );
    // Nothing for this server, but something for another: say where.
    let j = elogii_tui::sync::journal::Journal::open(
        &dir.path().join("data").join("journal-default.sqlite3"),
    )
    .unwrap()
    .0;
    let path = FieldPath::parse(Entity::Customer, "contactName").unwrap();
    let edit = Edit::from_input(Entity::Customer, &c[2], &path, "Elsewhere").unwrap();
    j.stage("http://127.0.0.1:9", &edit).unwrap();
    drop(j);
    let out = run(dir.path(), &["send", "--base-url", &base]).await;
    assert!(out.status.success());
    assert_eq!(
        text(&out),
        format!(
            "Nothing to send to {base}.\nThe journal holds 1 edit for http://127.0.0.1:9: `elogii-tui send --base-url http://127.0.0.1:9` sends it.\n"
        )
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_says_whether_the_flag_or_the_profile_set_it() {
    let h = emulator(3).await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let base = h.base_url();
    let file = dir.path().join("e.csv");
    std::fs::write(
        &file,
        format!(
            "record,field,value\n{},contactName,Nobody\n",
            c[0]["uid"].as_str().unwrap()
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for args in [
        vec!["--read-only", "apply", file, "--base-url", &base],
        vec!["apply", "--read-only", file, "--base-url", &base],
        vec!["apply", file, "--base-url", &base, "--read-only"],
        vec!["send", "--read-only", "--base-url", &base],
    ] {
        let out = run(dir.path(), &args).await;
        assert!(!out.status.success(), "{args:?}");
        assert!(
            err_text(&out).contains("--read-only is set, so nothing can be sent"),
            "{args:?}: {}",
            err_text(&out)
        );
        assert!(!err_text(&out).contains("profile"), "{}", err_text(&out));
    }
    // A dry run is fine when read-only.
    let out = run(
        dir.path(),
        &[
            "apply",
            "--dry-run",
            "--read-only",
            file,
            "--base-url",
            &base,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", err_text(&out));

    std::fs::write(
        dir.path().join("no-config.toml"),
        format!("[profiles.audit]\nbase_url = \"{base}\"\nread_only = true\n"),
    )
    .unwrap();
    let out = run(dir.path(), &["apply", file, "--profile", "audit"]).await;
    assert!(!out.status.success());
    assert!(
        err_text(&out).contains("profile \"audit\" has read_only = true, so nothing can be sent"),
        "{}",
        err_text(&out)
    );
    assert!(
        !err_text(&out).contains("--read-only"),
        "{}",
        err_text(&out)
    );
    assert_eq!(
        by_id(&h),
        c.iter()
            .map(|c| (c["_id"].as_str().unwrap().to_string(), c.clone()))
            .collect()
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_dash_reads_csv_or_json_lines_from_stdin() {
    let h = emulator(3).await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let base = h.base_url();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let csv = format!(
        "entity,record,field,value\ncustomer,{},contactName,From Stdin\n",
        uid(0)
    );
    let out = run_with_stdin(
        dir.path(),
        &["apply", "--dry-run", "-", "--base-url", &base],
        &csv,
    )
    .await;
    assert!(out.status.success(), "{}{}", text(&out), err_text(&out));
    assert!(
        text(&out).contains(&format!("{} → contactName: ", uid(0)))
            && text(&out).contains(" → From Stdin\n"),
        "{}",
        text(&out)
    );
    let jsonl = format!(
        "\n  {}\n{}\n",
        serde_json::json!({"record": uid(1), "field": "coordinates", "value": [-1.5, 53.8]}),
        serde_json::json!({"record": uid(2), "field": "contactName", "value": "Jay"})
    );
    let out = run_with_stdin(
        dir.path(),
        &["apply", "-", "--base-url", &base, "--yes-moves"],
        &jsonl,
    )
    .await;
    assert!(out.status.success(), "{}{}", text(&out), err_text(&out));
    assert!(text(&out).contains("2 sent, 0 failed"), "{}", text(&out));
    let after = by_id(&h);
    assert_eq!(
        after[c[1]["_id"].as_str().unwrap()]["locations"][0]["coordinates"],
        serde_json::json!([-1.5, 53.8])
    );
    assert_eq!(after[c[2]["_id"].as_str().unwrap()]["contactName"], "Jay");
    // A bad line from stdin is reported by its number like a file's.
    let out = run_with_stdin(
        dir.path(),
        &["apply", "-", "--dry-run", "--base-url", &base],
        "{\"record\": 1}\nnot json\n",
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("line 2: the line is not JSON"),
        "{}",
        text(&out)
    );
    h.shutdown().await;
}

/// A location's `[lon, lat]`.
fn lon_lat(c: &Value) -> (f64, f64) {
    let p = &c["locations"][0]["coordinates"];
    (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_pin_moves_are_held_back_unless_yes_moves_and_a_swap_is_suggested() {
    let h = emulator(6).await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let loc = |i: usize| c[i]["locations"][0]["uid"].as_str().unwrap().to_string();
    let (lon0, lat0) = lon_lat(&c[0]);
    let (lon3, lat3) = lon_lat(&c[3]);
    let csv = [
        "entity,record,field,value".to_string(),
        // Longitude typed first: thousands of km away.
        format!("customer,{},coordinates,\"{lon0}, {lat0}\"", uid(0)),
        format!("customer,{},contactName,Ann Lee", uid(1)),
        // Far, and not a swap.
        format!("customer,{},coordinates,\"10.5, 10.5\"", uid(2)),
        // A short move goes as before.
        format!(
            "customer,{},coordinates,\"{:.6}, {lon3}\"",
            uid(3),
            lat3 + 0.001
        ),
    ]
    .join("\n");
    let file = dir.path().join("moves.csv");
    std::fs::write(&file, csv).unwrap();
    let base = h.base_url();
    let path = file.to_str().unwrap();
    let args = |extra: &'static str| {
        let mut a = vec!["apply", path, "--base-url", base.as_str()];
        if !extra.is_empty() {
            a.push(extra);
        }
        a
    };

    let dry = run(dir.path(), &args("--dry-run")).await;
    let stdout = text(&dry);
    assert!(!dry.status.success(), "held moves make the status non-zero");
    assert!(stdout.starts_with("Dry run: 2 changes"), "{stdout}");
    let held0 = format!(
        "line 2: {}: locations[{}].coordinates moves the pin ",
        uid(0),
        loc(0)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&held0))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("more than 2 km, so it would not be sent (latitude and longitude swapped? ")
            && line.contains(&format!("swapped? {lat0}, {lon0} would move it 0.0 km)"))
            && line.ends_with("check it, or run apply again with --yes-moves to send it"),
        "{line}"
    );
    let line4 = stdout
        .lines()
        .find(|l| l.starts_with(&format!("line 4: {}: ", uid(2))))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line4.contains("moves the pin"), "{line4}");
    assert!(!line4.contains("swapped"), "{line4}");
    assert!(
        stdout.contains(
            "2 lines move a pin more than 2 km and were held back (--yes-moves sends them)."
        ),
        "{stdout}"
    );

    // The real run sends the rest and holds the two back.
    let out = run(dir.path(), &args("")).await;
    let stdout = text(&out);
    assert!(!out.status.success());
    assert!(stdout.contains(&held0), "{stdout}");
    assert!(stdout.contains("so it was not sent"), "{stdout}");
    assert!(
        stdout.contains("2 sent, 0 failed, 0 conflicts, 0 left staged; 2 lines move a pin"),
        "{stdout}"
    );
    let after = by_id(&h);
    let id = |i: usize| c[i]["_id"].as_str().unwrap().to_string();
    assert_eq!(after[&id(0)], c[0]);
    assert_eq!(after[&id(2)], c[2]);
    assert_eq!(after[&id(1)]["contactName"], "Ann Lee");
    assert_ne!(after[&id(3)], c[3]);
    assert_eq!(
        text(&run(dir.path(), &["staged"]).await),
        "No pending edits.\n"
    );

    // --yes-moves sends them.
    let out = run(dir.path(), &args("--yes-moves")).await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("2 sent, 0 failed"), "{stdout}");
    let after = by_id(&h);
    assert_eq!(lon_lat(&after[&id(0)]), (lat0, lon0));
    assert_eq!(lon_lat(&after[&id(2)]), (10.5, 10.5));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekday_line_warns_that_weekend_hours_will_close() {
    let h = emulator_with(4, |data| {
        data.customers[0]["locations"][0]["schedule"] = serde_json::json!({
            "Mon": {"timeWindows": [{"start": 480, "end": 1080}]},
            "Sat": {"timeWindows": [{"start": 540, "end": 780}]},
            "Sun": {"timeWindows": [{"start": 600, "end": 720}]}
        });
        data.customers[1]["locations"][0]["schedule"] = serde_json::json!({
            "Mon": {"timeWindows": [{"start": 480, "end": 1080}]}
        });
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let csv = format!(
        "entity,record,field,value\ncustomer,{},schedule,Mo-Fr 08:00-18:00\ncustomer,{},schedule,Mo-Fr 08:00-18:00\n",
        uid(0),
        uid(1)
    );
    let file = dir.path().join("hours.csv");
    std::fs::write(&file, csv).unwrap();
    let base = h.base_url();
    let warning = "line 2: Sa, Su had hours and will be closed\n";
    let dry = run(
        dir.path(),
        &[
            "apply",
            "--dry-run",
            file.to_str().unwrap(),
            "--base-url",
            &base,
        ],
    )
    .await;
    let stdout = text(&dry);
    assert!(dry.status.success(), "{stdout}");
    assert!(stdout.contains(warning), "{stdout}");
    assert!(!stdout.contains("line 3:"), "{stdout}");
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(warning), "{stdout}");
    assert!(stdout.contains("2 sent"), "{stdout}");
    let after = by_id(&h);
    let schedule = &after[c[0]["_id"].as_str().unwrap()]["locations"][0]["schedule"];
    assert_eq!(schedule["Fri"]["timeWindows"][0]["end"], 1080);
    assert!(
        schedule.get("Sat").is_none() && schedule.get("Sun").is_none(),
        "{schedule}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postcodes_are_normalised_and_the_same_postcode_is_no_change() {
    let h = emulator_with(4, |data| {
        data.customers[1]["locations"][0]["postCode"] = "BL1 3QT".into();
        data.customers[3]["locations"][0]["country"] = "FI".into();
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    assert_eq!(c[2]["locations"][0]["country"], "GB");
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    // 0: spaces and case; 1: the same postcode without its space (a UK one
    // gets it back: no change); 2: not shaped like a UK postcode (a warning,
    // still sent); 3: a Finnish location takes a Finnish postcode as it is.
    let csv = format!(
        "entity,record,field,value\ncustomer,{},postCode,\"  bl1   3qt \"\ncustomer,{},postCode,bl13qt\ncustomer,{},postCode,M31 4FQQ\ncustomer,{},postCode,00100\n",
        uid(0),
        uid(1),
        uid(2),
        uid(3)
    );
    let out = apply_csv(dir.path(), "pc.csv", &csv, &h.base_url()).await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(": ") && stdout.contains(" → BL1 3QT\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 sent, 0 failed, 0 conflicts, 0 left staged, 1 line already as asked."),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "line 4: {}: “M31 4FQQ” is not shaped like a UK postcode (like M31 4FQ or EC1A 1BB); check it",
            uid(2)
        )),
        "{stdout}"
    );
    assert_eq!(stdout.matches("not shaped like").count(), 1, "{stdout}");
    let after = by_id(&h);
    let id = |i: usize| c[i]["_id"].as_str().unwrap().to_string();
    assert_eq!(after[&id(0)]["locations"][0]["postCode"], "BL1 3QT");
    assert_eq!(after[&id(1)], c[1]);
    assert_eq!(after[&id(2)]["locations"][0]["postCode"], "M31 4FQQ");
    assert_eq!(after[&id(3)]["locations"][0]["postCode"], "00100");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_country_changed_in_the_same_file_decides_how_its_postcode_is_read() {
    let h = emulator_with(2, |data| {
        data.customers[1]["locations"][0]["country"] = "FI".into();
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    assert_eq!(c[0]["locations"][0]["country"], "GB");
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    // 0: a UK site moved to Finland takes a Finnish postcode without a
    // warning (the country line comes after the postcode line); 1: a Finnish
    // site made British gets its postcode shaped the UK way.
    let csv = format!(
        "entity,record,field,value\ncustomer,{0},postCode,00100\ncustomer,{0},country,FI\ncustomer,{1},country,GB\ncustomer,{1},postCode,m314fq\n",
        uid(0),
        uid(1)
    );
    let out = apply_csv(dir.path(), "moved.csv", &csv, &h.base_url()).await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(!stdout.contains("not shaped like"), "{stdout}");
    assert!(stdout.contains("4 sent, 0 failed"), "{stdout}");
    let after = by_id(&h);
    let id = |i: usize| c[i]["_id"].as_str().unwrap().to_string();
    assert_eq!(after[&id(0)]["locations"][0]["postCode"], "00100");
    assert_eq!(after[&id(0)]["locations"][0]["country"], "FI");
    assert_eq!(after[&id(1)]["locations"][0]["postCode"], "M31 4FQ");
    assert_eq!(after[&id(1)]["locations"][0]["country"], "GB");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_and_send_take_connection_flags_and_name_records_by_uid_and_name() {
    let h = emulator(4).await;
    h.faults()
        .set("reject-field=contactName:REJECT".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let name = |i: usize| c[i]["name"].as_str().unwrap().to_string();
    let base = h.base_url();
    let file = dir.path().join("e.csv");
    std::fs::write(
        &file,
        format!(
            "record,field,value\n{},contactName,REJECT\n",
            c[0]["_id"].as_str().unwrap()
        ),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    assert!(!out.status.success());

    let label = format!("{} {}", uid(0), name(0));
    let cfg = dir.path().join("cfg.toml");
    std::fs::write(&cfg, "").unwrap();
    for args in [
        vec!["staged"],
        vec!["staged", "--base-url", &base],
        vec![
            "staged",
            "--profile",
            "default",
            "--base-url",
            &format!("{base}/"),
        ],
        vec![
            "staged",
            "--base-url",
            &base,
            "--config",
            cfg.to_str().unwrap(),
            "--allow-insecure-http",
        ],
    ] {
        let out = run(dir.path(), &args).await;
        let listed = text(&out);
        assert!(out.status.success(), "{args:?}: {listed}{}", err_text(&out));
        assert!(
            listed.contains(&format!("#1    failed   customer {label} → contactName: ")),
            "{args:?}: {listed}"
        );
        // The commands it suggests repeat the flags it was given.
        let flags = args[1..].join(" ");
        let send = format!("`elogii-tui send {flags}`").replace("send `", "send`");
        let drop = format!("`elogii-tui staged {flags} --drop-failed`").replace("  ", " ");
        assert!(
            listed.contains(&format!(
                "1 edit was refused by eLogii: {send} tries again once the cause is fixed; {drop} drops it."
            )),
            "{args:?}: {listed}"
        );
    }
    let out = run(dir.path(), &["staged", "--base-url", "http://127.0.0.1:9"]).await;
    assert!(out.status.success());
    assert_eq!(
        text(&out),
        "No pending edits for http://127.0.0.1:9.\n1 edit is for other servers: `elogii-tui staged` without --base-url lists it.\n"
    );
    let out = run(dir.path(), &["staged", "--base-url", "http://example.com"]).await;
    assert!(
        !out.status.success(),
        "plain http to another host is refused"
    );
    // CSV: the _id stays the record (it is an edits file).
    let csv = text(&run(dir.path(), &["staged", "--format", "csv"]).await);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(elogii_tui::headless::STAGED_CSV_HEADER.join(",").as_str())
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&format!(
            "customer,{},contactName,REJECT,",
            c[0]["_id"].as_str().unwrap()
        )),
        "{row}"
    );
    assert!(row.ends_with(&format!(",1,{base}")), "{row}");

    // send takes the connection flags after the subcommand too.
    h.faults().set("".parse().unwrap());
    let out = run(
        dir.path(),
        &[
            "send",
            "--config",
            cfg.to_str().unwrap(),
            "--base-url",
            &base,
            "--allow-insecure-http",
        ],
    )
    .await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}{}", err_text(&out));
    assert!(
        stdout.contains(&format!("sent: {label} → contactName: ")),
        "{stdout}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_help_gives_one_correct_csv_column_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["staged", "--help"]).await;
    assert!(out.status.success());
    let help = text(&out);
    let columns = elogii_tui::headless::STAGED_CSV_HEADER.join(",");
    assert_eq!(help.matches(&columns).count(), 1, "{help}");
    assert_eq!(help.matches("entity,record,field").count(), 1, "{help}");
    for flag in [
        "--profile",
        "--base-url",
        "--config",
        "--allow-insecure-http",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_file_sets_the_pin_move_limit_and_the_batch_size() {
    let h = emulator(4).await;
    let dir = tempfile::tempdir().unwrap();
    let c = h.customers();
    let uid = |i: usize| c[i]["uid"].as_str().unwrap().to_string();
    let (lon0, lat0) = lon_lat(&c[0]);
    // About 110 m north: under the default 2 km, over a 50 m limit.
    let csv = [
        "entity,record,field,value".to_string(),
        format!(
            "customer,{},coordinates,\"{:.6}, {lon0}\"",
            uid(0),
            lat0 + 0.001
        ),
        format!("customer,{},contactName,Ann Lee", uid(1)),
        format!("customer,{},contactName,Bo Chen", uid(2)),
        format!("customer,{},contactName,Cy Diaz", uid(3)),
    ]
    .join("\n");
    let file = dir.path().join("fixes.csv");
    std::fs::write(&file, csv).unwrap();
    std::fs::write(
        dir.path().join("no-config.toml"),
        "[editing]\nmove_confirm_km = 0.05\n\n[send]\nbatch_size = 1\n",
    )
    .unwrap();
    let base = h.base_url();
    h.reset_stats();
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stdout = text(&out);
    assert!(
        !out.status.success(),
        "the held move fails the run: {stdout}"
    );
    assert!(
        stdout.contains("moves the pin 0.1 km, more than 0.05 km, so it was not sent"),
        "{stdout}"
    );
    assert!(stdout.contains("3 sent, 0 failed"), "{stdout}");
    // One item a call: three updateMany calls for three customers.
    assert_eq!(
        h.stats().count("POST /customers/updateMany"),
        3,
        "{:?}",
        h.stats()
    );

    // A value out of range is one sentence naming the setting, and nothing is sent.
    std::fs::write(
        dir.path().join("no-config.toml"),
        "[send]\nbatch_size = 0\n",
    )
    .unwrap();
    h.reset_stats();
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("send.batch_size = 0 is out of range: use 1 to 500"),
        "{stderr}"
    );
    assert_eq!(h.stats().total(), 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_and_lists_on_a_terminal_show_control_bytes_instead_of_running_them() {
    // Text that would retitle and clear a terminal if it were written as is.
    const EVIL: &str = "Evil\u{1b}]0;PWNED\u{7}\u{1b}[2J";
    const EVIL_SHOWN: &str = "Evil␛]0;PWNED␇␛[2J";
    // Values typed with control characters are refused, so it comes from eLogii:
    // the record's name (the label lists show) and the old value of the field.
    let h = emulator_with(2, |d| {
        d.customers[0]["name"] = Value::from(EVIL);
        d.customers[0]["contactName"] = Value::from(EVIL);
    })
    .await;
    // eLogii refuses the new value: the edit stays in the journal for `staged` and `send`.
    h.faults()
        .set("reject-field=contactName:Safe".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.csv");
    let id = h.customers()[0]["_id"].as_str().unwrap().to_string();
    std::fs::write(
        &file,
        format!("record,field,value\n{id},contactName,Safe\n"),
    )
    .unwrap();
    let base = h.base_url();
    let file = file.to_str().unwrap().to_string();
    tokio::task::spawn_blocking(move || {
        let home = common::Home::new();
        for args in [
            vec!["apply", "--dry-run", &file, "--base-url", &base],
            vec!["apply", &file, "--base-url", &base],
            vec!["staged"],
            vec!["staged", "--format", "csv"],
            vec!["send", "--base-url", &base],
        ] {
            let mut c = common::Console::spawn(home.path(), &args, &[("ELOGII_API_KEY", KEY)]);
            c.wait_exit(Duration::from_secs(120));
            // Had the bytes run, the screen would be cleared and PWNED the title.
            c.wait(&format!("{args:?} to show the text"), |s| {
                s.contains(EVIL_SHOWN)
            });
        }
    })
    .await
    .unwrap();
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_edit_lines_is_no_edits_to_apply_and_succeeds() {
    let h = emulator(2).await;
    let dir = tempfile::tempdir().unwrap();
    let base = h.base_url();
    h.reset_stats();
    for input in [
        "",
        "\n\n  \n",
        "entity,record,field,value\n",
        "\u{feff}record,field,value",
    ] {
        for dry_run in [true, false] {
            let mut args = vec!["apply", "-", "--base-url", &base];
            if dry_run {
                args.push("--dry-run");
            }
            let out = run_with_stdin(dir.path(), &args, input).await;
            assert!(out.status.success(), "{input:?}: {}", err_text(&out));
            assert_eq!(
                text(&out),
                "No edits to apply: standard input holds no edit lines.\n",
                "{input:?}"
            );
            assert_eq!(err_text(&out), "", "{input:?}");
        }
    }
    // An empty file says the same, naming it.
    let file = dir.path().join("empty.csv");
    std::fs::write(&file, "").unwrap();
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    assert!(out.status.success(), "{}", err_text(&out));
    assert_eq!(
        text(&out),
        format!(
            "No edits to apply: {} holds no edit lines.\n",
            file.display()
        )
    );
    assert_eq!(h.stats().non_get(), 0, "{:?}", h.stats());
    // A header that names other columns is still refused.
    let out = run_with_stdin(
        dir.path(),
        &["apply", "-", "--base-url", &base],
        "id,name\n",
    )
    .await;
    assert!(!out.status.success());
    assert!(
        err_text(&out).contains("the header must name the columns entity,record,field,value"),
        "{}",
        err_text(&out)
    );
    h.shutdown().await;
}

/// The demo's journal as the console leaves it: edits staged against an
/// earlier demo's address (each demo listens on a new port), one of them cut
/// off while being sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_demo_lists_what_send_demo_then_sends_to_its_own_demo() {
    use elogii_tui::sync::journal::Journal;
    let dir = tempfile::tempdir().unwrap();
    let data = seed::demo(jiff::Zoned::now().date()).unwrap();
    let c = &data.customers;
    let path = FieldPath::parse(Entity::Customer, "contactName").unwrap();
    let label = |i: usize| {
        format!(
            "{} {}",
            c[i]["uid"].as_str().unwrap(),
            c[i]["name"].as_str().unwrap()
        )
    };
    let earlier = "http://127.0.0.1:1";
    {
        let (j, _) = Journal::open(&dir.path().join("data").join("journal-demo.sqlite3")).unwrap();
        for (i, value) in [(0, "Night Desk"), (1, "Day Desk")] {
            let edit = Edit::from_input(Entity::Customer, &c[i], &path, value).unwrap();
            j.stage_labelled(earlier, &edit, Some(&label(i))).unwrap();
        }
        let cut_off = &j.pending(None).unwrap()[1];
        j.claim("b1", &[(cut_off.id, cut_off.rev)]).unwrap();
    }

    let listed = text(&run(dir.path(), &["staged", "--demo"]).await);
    assert!(
        listed.starts_with(&format!("2 pending edits for {earlier}:\n")),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("{} → contactName: ", label(0))),
        "{listed}"
    );
    assert!(
        listed.ends_with("2 edits are not sent yet: `elogii-tui send --demo` sends them.\n"),
        "{listed}"
    );

    // apply --demo works on the same journal: the earlier edits are moved to
    // its emulator and mentioned with the command that sends them.
    let file = dir.path().join("e.csv");
    std::fs::write(
        &file,
        format!(
            "record,field,value\n{},contactName,Ann\n",
            label(2).split(' ').next().unwrap()
        ),
    )
    .unwrap();
    let out = run(dir.path(), &["apply", "--demo", file.to_str().unwrap()]).await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}{}", err_text(&out));
    assert!(stdout.contains("1 sent, 0 failed"), "{stdout}");
    assert!(
        stdout.ends_with("2 edits from earlier are still pending; `elogii-tui send --demo` sends them, `elogii-tui staged --demo` lists them.\n"),
        "{stdout}"
    );

    let out = run(dir.path(), &["send", "--demo"]).await;
    let stdout = text(&out);
    assert!(out.status.success(), "{stdout}{}", err_text(&out));
    assert!(
        stdout.starts_with("Sending 2 pending edits from earlier to http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(earlier),
        "sent to this run's demo: {stdout}"
    );
    // (Moving an edit to the new address keeps no uid and name: it is named by _id.)
    for (i, value) in [(0, "Night Desk"), (1, "Day Desk")] {
        let sent = |name: &str| format!("sent: {name} → contactName: (empty) → {value}\n");
        assert!(
            stdout.contains(&sent(&label(i)))
                || stdout.contains(&sent(c[i]["_id"].as_str().unwrap())),
            "{stdout}"
        );
    }
    assert!(
        stdout.ends_with("2 sent, 0 failed, 0 conflicts, 0 left staged.\n"),
        "{stdout}"
    );
    assert_eq!(
        text(&run(dir.path(), &["staged", "--demo"]).await),
        "No pending edits.\n"
    );
}
