//! The write path against the real emulator over HTTP on 127.0.0.1: stage in the
//! journal, check against fresh records, send in batches, reconcile; with
//! per-item rejections, 5xx/429/dropped connections, concurrent changes,
//! oversized batches and recovery of a batch left `sending`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use elogii_tui::api::client::{Client, ClientConfig};
use elogii_tui::domain::edit::{Edit, Entity, FieldPath, get_field};
use elogii_tui::sandbox::faults::Faults;
use elogii_tui::sandbox::seed;
use elogii_tui::sandbox::server::{SandboxConfig, SandboxHandle, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use elogii_tui::sync::batch::{EditId, EditOutcome, EditState};
use elogii_tui::sync::journal::Journal;
use elogii_tui::sync::writer::{self, RunSummary, WriterConfig, WriterEvent};
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "test:0123456789abcdef01234567:write";

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 3, 2)
}

async fn emulator(customers: usize, config: SandboxConfig) -> SandboxHandle {
    let store = Store::from_seed(seed::synthetic(customers, today())).unwrap();
    spawn_on_loopback(store, config).await.unwrap()
}

fn client(h: &SandboxHandle) -> Client {
    let mut c = ClientConfig::new(h.base_url(), SecretString::from(KEY));
    c.request_timeout = Duration::from_secs(10);
    c.connect_timeout = Duration::from_secs(5);
    Client::new(c).unwrap()
}

/// Short backoff so fault tests finish quickly; many tries so they always do.
fn fast() -> WriterConfig {
    WriterConfig {
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(50),
        max_attempts: 60,
        ..WriterConfig::default()
    }
}

fn by_id(h: &SandboxHandle) -> HashMap<String, Value> {
    h.customers()
        .into_iter()
        .map(|c| (c["_id"].as_str().unwrap().to_string(), c))
        .collect()
}

/// Starts a writer, asks it to send everything, and waits (with a deadline)
/// for the run to finish. Returns the summary and every event seen.
async fn send_all(
    client: Client,
    journal: Journal,
    config: WriterConfig,
) -> (RunSummary, Vec<WriterEvent>) {
    let (handle, mut events) = writer::spawn(client, journal, config);
    let run = handle.send_all().unwrap();
    let mut seen = Vec::new();
    let summary = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let e = events.recv().await.expect("writer stopped");
            seen.push(e.clone());
            match e {
                WriterEvent::RunFinished { run: r, summary } if r == run => return summary,
                WriterEvent::RunFailed { error, .. } => panic!("run failed: {error}"),
                _ => {}
            }
        }
    })
    .await
    .expect("the run did not finish in time");
    handle.shutdown().await;
    (summary, seen)
}

fn stage_text(
    j: &Journal,
    origin: &str,
    record: &Value,
    entity: Entity,
    field: &str,
    text: &str,
) -> EditId {
    let path = FieldPath::parse(entity, field).unwrap();
    let edit = Edit::from_input(entity, record, &path, text).unwrap();
    j.stage(origin, &edit).unwrap().id().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn location_edit_changes_exactly_those_fields() {
    let h = emulator(20, SandboxConfig::new(SecretString::from(KEY))).await;
    let c = client(&h);
    // Another system put members the models do not know on the customer.
    let mut target = h.customers()[3].clone();
    target["customData"] = json!({"nested": {"keep": [1, {"x": null}], "n": 1.50}});
    target["locations"][0]["dockNotes"] = json!({"bay": "B", "slots": [null, 2]});
    target["locations"][0]["schedule"] = json!({
        "Mon": {"timeWindows": [{"start": 480, "end": 1020, "label": "am"}], "breaks": [{"start": 720}]},
        "Sun": {"timeWindows": [{"start": 600, "end": 660}], "note": "sunday"}
    });
    let r: Value = c
        .post_json("/customers/updateMany", &json!({"items": [target.clone()]}))
        .await
        .unwrap();
    assert_eq!(r["result"], json!(1));
    let before = h
        .store()
        .get(
            elogii_tui::sandbox::store::Kind::Customers,
            target["_id"].as_str().unwrap(),
        )
        .unwrap();
    let others_before = by_id(&h);

    let j = Journal::open_in_memory().unwrap();
    let origin = c.base_url().to_string();
    stage_text(
        &j,
        &origin,
        &before,
        Entity::Customer,
        "locations[0].postCode",
        "LS1 4DY",
    );
    stage_text(
        &j,
        &origin,
        &before,
        Entity::Customer,
        "locations[0].schedule",
        "Mo-Fr 08:00-17:00; Sa 09:00-12:30",
    );
    h.reset_stats();

    let (summary, events) = send_all(c.clone(), j.clone(), WriterConfig::default()).await;
    assert_eq!(summary.progress.sent, 2);
    assert_eq!(summary.progress.batches_total, 1);
    assert!(
        j.pending(None).unwrap().is_empty(),
        "the journal is empty once sent"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WriterEvent::BatchStarted { items: 1, .. }))
    );
    // Progress says the one record is being checked, then that it was.
    let checks: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            WriterEvent::Progress { progress, .. } => {
                Some((progress.records_checked, progress.records_total))
            }
            _ => None,
        })
        .collect();
    assert_eq!(checks.first(), Some(&(0, 1)), "{checks:?}");
    assert_eq!(checks.last(), Some(&(1, 1)), "{checks:?}");
    assert_eq!(summary.progress.records_checked, 1);

    let after = by_id(&h);
    let id = target["_id"].as_str().unwrap();
    let mut expected = before.clone();
    expected["locations"][0]["postCode"] = json!("LS1 4DY");
    expected["locations"][0]["schedule"] = json!({
        "Mon": {"timeWindows": [{"start": 480, "end": 1020, "label": "am"}], "breaks": [{"start": 720}]},
        "Tue": {"timeWindows": [{"start": 480, "end": 1020}]},
        "Wed": {"timeWindows": [{"start": 480, "end": 1020}]},
        "Thu": {"timeWindows": [{"start": 480, "end": 1020}]},
        "Fri": {"timeWindows": [{"start": 480, "end": 1020}]},
        "Sat": {"timeWindows": [{"start": 540, "end": 750}]},
        "Sun": {"note": "sunday"}
    });
    assert_eq!(after[id], expected);
    // Byte-level fidelity of the unknown members (1.50 stays a float, nulls stay).
    assert_eq!(after[id]["customData"]["nested"]["n"], json!(1.5));
    assert!(after[id]["customData"]["nested"]["n"].is_f64());
    for (other, record) in &others_before {
        if other != id {
            assert_eq!(&after[other], record, "customer {other} must not change");
        }
    }
    let stats = h.stats();
    assert_eq!(stats.written_items, 1);
    assert_eq!(stats.count("POST /customers/updateMany"), 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_time_windows_are_sent_as_whole_tasks() {
    let h = emulator(10, SandboxConfig::new(SecretString::from(KEY))).await;
    let c = client(&h);
    let task = h.tasks()[0].clone();
    let j = Journal::open_in_memory().unwrap();
    let origin = c.base_url().to_string();
    stage_text(
        &j,
        &origin,
        &task,
        Entity::Task,
        "timeWindows",
        "09:00-12:00, 14:00-17:00",
    );
    stage_text(
        &j,
        &origin,
        &task,
        Entity::Task,
        "internalComment",
        "ring the bell twice",
    );
    let (summary, _) = send_all(c, j.clone(), WriterConfig::default()).await;
    assert_eq!(summary.progress.sent, 2, "{summary:?}");
    let id = task["_id"].as_str().unwrap();
    let after = h
        .tasks()
        .into_iter()
        .find(|t| t["_id"] == json!(id))
        .unwrap();
    assert_eq!(
        after["timeWindows"],
        json!([{"start": 540, "end": 720}, {"start": 840, "end": 1020}])
    );
    assert_eq!(after["internalComment"], json!("ring the bell twice"));
    // Every other member is as it was (the emulator may add server-derived ones,
    // such as `dateTimeWindows` or the customer's name).
    for (key, value) in task.as_object().unwrap() {
        match key.as_str() {
            "timeWindows" => {}
            "customer" => {
                for (k, v) in value.as_object().unwrap() {
                    assert_eq!(&after["customer"][k], v, "customer.{k}");
                }
            }
            _ => assert_eq!(&after[key], value, "{key}"),
        }
    }
    assert!(j.pending(None).unwrap().is_empty());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_items_stay_staged_with_the_emulators_message() {
    let faults: Faults = "reject-field=contactName:REJECT".parse().unwrap();
    let h = emulator(
        100,
        SandboxConfig::new(SecretString::from(KEY)).with_faults(faults),
    )
    .await;
    let c = client(&h);
    let j = Journal::open_in_memory().unwrap();
    let origin = c.base_url().to_string();
    let customers = h.customers();
    let mut rejected = HashSet::new();
    for (i, record) in customers.iter().enumerate() {
        let text = if [7, 50, 93].contains(&i) {
            rejected.insert(record["_id"].as_str().unwrap().to_string());
            "REJECT".to_string()
        } else {
            format!("Contact {i}")
        };
        stage_text(&j, &origin, record, Entity::Customer, "contactName", &text);
    }
    assert_eq!(j.counts().unwrap().staged, 100);
    h.reset_stats();
    let (summary, _) = send_all(c, j.clone(), WriterConfig::default()).await;
    assert_eq!((summary.progress.sent, summary.progress.failed), (97, 3));
    assert_eq!(summary.progress.batches_total, 2);
    assert_eq!(
        summary.progress.batches_failed, 2,
        "both batches held a rejected item"
    );

    let left = j.pending(None).unwrap();
    assert_eq!(left.len(), 3, "97 leave the journal, 3 stay");
    for p in &left {
        assert!(rejected.contains(&p.edit.record_id));
        assert_eq!(p.state, EditState::Failed);
        assert_eq!(
            p.message.as_deref(),
            Some("Rejected by sandbox fault: contactName = REJECT")
        );
    }
    let after = by_id(&h);
    for (i, record) in customers.iter().enumerate() {
        let id = record["_id"].as_str().unwrap();
        if rejected.contains(id) {
            assert_eq!(after[id], *record, "a rejected item is not written");
        } else {
            assert_eq!(after[id]["contactName"], json!(format!("Contact {i}")));
        }
    }
    assert_eq!(h.stats().written_items, 97);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_5xx_429_and_drops_every_edit_lands_exactly_once() {
    let h = emulator(1000, SandboxConfig::new(SecretString::from(KEY))).await;
    let c = client(&h);
    let j = Journal::open_in_memory().unwrap();
    let origin = c.base_url().to_string();
    let customers = h.customers();
    assert_eq!(customers.len(), 1000);
    let mut expected = HashMap::new();
    let mut edits = Vec::new();
    for (i, record) in customers.iter().enumerate() {
        let path = FieldPath::parse(Entity::Customer, "locations[0].contactPhone").unwrap();
        let text = format!("+44 113 496 {:04}", i);
        let edit = Edit::from_input(Entity::Customer, record, &path, &text).unwrap();
        expected.insert(
            record["_id"].as_str().unwrap().to_string(),
            (edit.field.clone(), text),
        );
        edits.push(edit);
    }
    j.stage_many(&origin, &edits).unwrap();
    h.faults().set(
        "5xx=0.3,429=0.1,retry-after=1,drop=0.05,seed=7"
            .parse()
            .unwrap(),
    );
    h.reset_stats();

    let (summary, events) = send_all(c, j.clone(), fast()).await;
    h.faults().clear();
    assert_eq!(summary.progress.sent, 1000, "{summary:?}");
    assert!(j.pending(None).unwrap().is_empty());
    let after = by_id(&h);
    for (id, (field, text)) in &expected {
        assert_eq!(get_field(&after[id], field), Some(&json!(text)), "{id}");
    }
    let stats = h.stats();
    // Each of the 1 000 customers was written exactly once.
    assert_eq!(stats.written_items, 1000, "{stats:?}");
    assert!(
        stats.rate_limited > 0 && stats.unavailable > 0 && stats.dropped > 0,
        "{stats:?}"
    );
    assert!(
        events.iter().any(
            |e| matches!(e, WriterEvent::Retrying { delay, .. } if *delay >= Duration::from_secs(1))
        ),
        "a 429's Retry-After is honoured"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_field_changed_elsewhere_is_a_conflict_other_fields_merge() {
    let h = emulator(10, SandboxConfig::new(SecretString::from(KEY))).await;
    let c = client(&h);
    let j = Journal::open_in_memory().unwrap();
    let origin = c.base_url().to_string();
    let customers = h.customers();
    let (a, b) = (customers[0].clone(), customers[1].clone());
    let conflicted = stage_text(&j, &origin, &a, Entity::Customer, "contactName", "Mine");
    stage_text(
        &j,
        &origin,
        &b,
        Entity::Customer,
        "locations[0].postCode",
        "M1 1AE",
    );

    // Another client changes A's contactName and B's name after the edits were staged.
    let mut a2 = a.clone();
    a2["contactName"] = json!("Theirs");
    let mut b2 = b.clone();
    b2["name"] = json!("Renamed by someone else");
    let r: Value = c
        .post_json("/customers/updateMany", &json!({"items": [a2, b2]}))
        .await
        .unwrap();
    assert_eq!(r["result"], json!(2));

    let (summary, events) = send_all(c, j.clone(), WriterConfig::default()).await;
    assert_eq!((summary.progress.sent, summary.progress.conflicts), (1, 1));
    let after = by_id(&h);
    let a_id = a["_id"].as_str().unwrap();
    let b_id = b["_id"].as_str().unwrap();
    assert_eq!(
        after[a_id]["contactName"],
        json!("Theirs"),
        "nothing is overwritten"
    );
    assert_eq!(after[b_id]["name"], json!("Renamed by someone else"));
    assert_eq!(after[b_id]["locations"][0]["postCode"], json!("M1 1AE"));
    let left = j.pending(None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, conflicted);
    assert_eq!(left[0].state, EditState::Conflict);
    assert_eq!(left[0].edit.base, None, "the base was absent");
    assert_eq!(left[0].edit.new, Some(json!("Mine")));
    assert_eq!(left[0].theirs, Some(json!("Theirs")));
    assert!(events.iter().any(|e| matches!(e, WriterEvent::Edits { outcomes, .. }
        if outcomes.iter().any(|(id, o)| *id == conflicted && matches!(o, EditOutcome::Conflict { .. })))));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_batches_are_split_in_half() {
    // Each customer is well under 2 KB; 50 of them are not.
    let config = SandboxConfig::new(SecretString::from(KEY)).with_body_limit(12 * 1024);
    let h = emulator(60, config).await;
    let c = client(&h);
    let j = Journal::open_in_memory().unwrap();
    let origin = c.base_url().to_string();
    for (i, record) in h.customers().iter().enumerate() {
        stage_text(
            &j,
            &origin,
            record,
            Entity::Customer,
            "reference",
            &format!("REF-{i}"),
        );
    }
    h.reset_stats();
    let (summary, _) = send_all(c, j.clone(), WriterConfig::default()).await;
    assert_eq!(summary.progress.sent, 60, "{summary:?}");
    assert!(summary.progress.batches_total > 2, "{summary:?}");
    let stats = h.stats();
    assert_eq!(stats.written_items, 60);
    assert!(stats.count("POST /customers/updateMany") > summary.progress.batches_total as u64 / 2);
    assert!(j.pending(None).unwrap().is_empty());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_left_sending_are_rechecked_at_start() {
    let h = emulator(10, SandboxConfig::new(SecretString::from(KEY))).await;
    let c = client(&h);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal-default.sqlite3");
    let origin = c.base_url().to_string();
    let customers = h.customers();
    let ids: Vec<EditId> = {
        let (j, _) = Journal::open(&path).unwrap();
        let ids: Vec<EditId> = customers[..6]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                stage_text(
                    &j,
                    &origin,
                    r,
                    Entity::Customer,
                    "contactName",
                    &format!("New {i}"),
                )
            })
            .collect();
        // A batch went out and the process died before the answer was recorded.
        j.claim(
            "dead-batch",
            &ids.iter().map(|id| (*id, 1)).collect::<Vec<_>>(),
        )
        .unwrap();
        ids
    };
    // The batch had landed for the first two; someone else changed the third.
    let mut landed = Vec::new();
    for (i, r) in customers[..3].iter().enumerate() {
        let mut r = r.clone();
        r["contactName"] = json!(if i < 2 {
            format!("New {i}")
        } else {
            "Other".to_string()
        });
        landed.push(r);
    }
    let _: Value = c
        .post_json("/customers/updateMany", &json!({"items": landed}))
        .await
        .unwrap();
    h.reset_stats();

    let (j, counts) = Journal::open(&path).unwrap();
    assert_eq!(counts.sending, 6);
    let (handle, mut events) = writer::spawn(c, j.clone(), WriterConfig::default());
    let summary = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match events.recv().await.unwrap() {
                WriterEvent::RunStarted {
                    run, recovering, ..
                } => {
                    assert_eq!((run, recovering), (0, 6));
                }
                WriterEvent::RunFinished { run: 0, summary } => return summary,
                _ => {}
            }
        }
    })
    .await
    .unwrap();
    handle.shutdown().await;
    assert_eq!(summary.already_there, 2);
    assert_eq!(summary.progress.sent, 5);
    assert_eq!(summary.progress.conflicts, 1);
    let left = j.pending(None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, ids[2]);
    assert_eq!(left[0].state, EditState::Conflict);
    assert_eq!(
        h.stats().written_items,
        3,
        "only the three not yet there are written"
    );
    let after = by_id(&h);
    for (i, r) in customers[..6].iter().enumerate() {
        let want = if i == 2 {
            json!("Other")
        } else {
            json!(format!("New {i}"))
        };
        assert_eq!(after[r["_id"].as_str().unwrap()]["contactName"], want);
    }
    h.shutdown().await;
}

/// A server that answers `updateMany` with 200 but names no item: nothing is
/// taken as sent. The next answer names the record: then it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2xx_that_names_no_item_confirms_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Json;
    use axum::routing::{get, post};

    let record = json!({"_id": "64b7f0c2a1b2c3d4e5f60718", "uid": "CUS-AAAA1111", "name": "Shop"});
    let posts = Arc::new(AtomicUsize::new(0));
    let app = {
        let record = record.clone();
        let posts = Arc::clone(&posts);
        axum::Router::new()
            .route("/customers", get(move || {
                let record = record.clone();
                async move { Json(json!([record])) }
            }))
            .route("/customers/updateMany", post(move || {
                let n = posts.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        Json(json!({"result": 1}))
                    } else {
                        Json(json!({"result": 1, "ids": ["64b7f0c2a1b2c3d4e5f60718"], "errors": []}))
                    }
                }
            }))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = Client::new(ClientConfig::new(
        format!("http://{addr}"),
        SecretString::from(KEY),
    ))
    .unwrap();
    let j = Journal::open_in_memory().unwrap();
    let id = stage_text(
        &j,
        c.base_url(),
        &record,
        Entity::Customer,
        "contactName",
        "Ann",
    );

    let (summary, _) = send_all(c.clone(), j.clone(), WriterConfig::default()).await;
    assert_eq!((summary.progress.sent, summary.progress.kept), (0, 1));
    let p = j.get(id).unwrap().unwrap();
    assert_eq!(p.state, EditState::Staged);
    assert_eq!(
        p.message.as_deref(),
        Some(elogii_tui::sync::batch::UNCONFIRMED)
    );

    let (summary, _) = send_all(c, j.clone(), WriterConfig::default()).await;
    assert_eq!(summary.progress.sent, 1);
    assert!(j.pending(None).unwrap().is_empty());
    assert_eq!(posts.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sender_on_the_same_journal_waits_its_turn_and_sends_nothing() {
    let h = emulator(5, SandboxConfig::new(SecretString::from(KEY))).await;
    let c = client(&h);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    let (j, _) = Journal::open(&path).unwrap();
    let origin = c.base_url().to_string();
    let record = h.customers()[1].clone();
    stage_text(
        &j,
        &origin,
        &record,
        Entity::Customer,
        "contactName",
        "Only Once",
    );
    h.reset_stats();

    // Another process is sending from this journal file (its lock is held).
    let (other, _) = Journal::open(&path).unwrap();
    let held = other.lock_for_sending().unwrap();
    let (handle, mut events) = writer::spawn(c.clone(), j.clone(), WriterConfig::default());
    let run = handle.send_all().unwrap();
    let error = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match events.recv().await.expect("writer stopped") {
                WriterEvent::RunFailed { run: r, error } if r == run => return error,
                WriterEvent::RunFinished { run: r, .. } if r == run => {
                    panic!("the run went ahead beside another sender")
                }
                _ => {}
            }
        }
    })
    .await
    .expect("an answer in time");
    handle.shutdown().await;
    assert!(error.contains("another elogii-tui is sending"), "{error}");
    assert_eq!(h.stats().total(), 0, "nothing was read or sent");
    assert_eq!(j.pending(None).unwrap().len(), 1, "the edit waits, staged");

    // Once the other sender is done, the edit goes out, once.
    drop(held);
    let (summary, _) = send_all(c, j.clone(), WriterConfig::default()).await;
    assert_eq!(summary.progress.sent, 1);
    assert_eq!(h.stats().written_items, 1);
    assert!(j.pending(None).unwrap().is_empty());
}
