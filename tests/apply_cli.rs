//! `elogii-tui apply`, `staged` and `send` as a user runs them: the real binary
//! against the emulator on 127.0.0.1, with the journal in a temporary data dir.

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
    let store = Store::from_seed(seed::synthetic(n, jiff::civil::date(2026, 3, 2))).unwrap();
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
            0 => ("locations[0].postCode", format!("ZZ{i} 1AA")),
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
        "entity,record,field,value,old,state,message\n"
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
    let file = dir.path().join("mixed.csv");
    std::fs::write(&file, csv).unwrap();
    let out = run(
        dir.path(),
        &["apply", file.to_str().unwrap(), "--base-url", &h.base_url()],
    )
    .await;
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
        &["apply", file.to_str().unwrap(), "--base-url", &base],
    )
    .await;
    let stdout = text(&out);
    assert!(!out.status.success());
    assert!(stdout.contains("failed: line 1: "), "{stdout}");
    assert!(
        stdout.contains("Rejected by sandbox fault: contactName = REJECT"),
        "{stdout}"
    );
    assert!(stdout.contains("2 sent, 1 failed"), "{stdout}");

    let staged = run(dir.path(), &["staged", "--format", "csv"]).await;
    let csv = text(&staged);
    let id0 = c[0]["_id"].as_str().unwrap();
    assert_eq!(
        csv,
        format!(
            "entity,record,field,value,old,state,message\ncustomer,{id0},contactName,REJECT,,failed,Rejected by sandbox fault: contactName = REJECT\n"
        )
    );
    let listed = run(dir.path(), &["staged"]).await;
    assert!(
        text(&listed).starts_with("1 pending edit:\nfailed   customer "),
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
