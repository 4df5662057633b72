//! Edits staged in the console and then sent by another process (`elogii-tui
//! send`, or a second console) are not silently lost from view: when the
//! dispatcher sends them, the console says they were settled elsewhere and
//! reads their records again. `update` and the real effects (journal worker,
//! writer task) run in-process against the emulator on 127.0.0.1.

use std::time::{Duration, Instant};

use elogii_tui::api::client::{Client, ClientConfig};
use elogii_tui::app::effects::{Effects, run_journal_op};
use elogii_tui::app::model::{Model, StatusKind};
use elogii_tui::app::msg::{Action, ConfirmKey, JournalOp, Msg};
use elogii_tui::app::update::update;
use elogii_tui::domain::edit::{Edit, Entity, FieldPath, get_field};
use elogii_tui::sandbox::seed;
use elogii_tui::sandbox::server::{SandboxConfig, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use elogii_tui::sync::journal::Journal;
use elogii_tui::sync::writer::{self, WriterConfig, WriterEvent};
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::mpsc;

#[path = "common/loaded_console.rs"]
mod loaded_console;

const KEY: &str = "test:0123456789abcdef01234567:elsewhere";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_sent_by_another_process_are_reported_when_the_console_sends() {
    let today = jiff::civil::date(2026, 3, 2);
    let store = Store::from_seed(seed::synthetic(3, today)).unwrap();
    let h = spawn_on_loopback(store, SandboxConfig::new(SecretString::from(KEY)))
        .await
        .unwrap();
    let client = Client::new(ClientConfig::new(h.base_url(), SecretString::from(KEY))).unwrap();
    let origin = client.base_url().to_string();

    // The console with the customers loaded.
    let records = h.customers();
    let mut m: Model = loaded_console::with_customers(today, &records);

    // One edit staged in the console.
    let journal = Journal::open_in_memory().unwrap();
    let path = FieldPath::parse(Entity::Customer, "locations[0].contactPhone").unwrap();
    let edit = Edit::from_input(Entity::Customer, &records[1], &path, "+44 113 496 0001").unwrap();
    let field = edit.field.clone();
    for (op, action) in [
        (
            1,
            JournalOp::Stage {
                edits: vec![edit],
                labels: Vec::new(),
                redo: false,
            },
        ),
        (2, JournalOp::Reload { banner: false }),
    ] {
        let reply = run_journal_op(&journal, &origin, op, action);
        update(&mut m, Msg::Journal(reply));
    }
    assert_eq!(m.staging.pending(), 1);

    // Another sender (as `elogii-tui send` does) sends it first.
    let (other, mut other_events) =
        writer::spawn(client.clone(), journal.clone(), WriterConfig::default());
    other.send_all().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, other_events.recv()).await {
            Ok(Some(WriterEvent::RunFinished { summary, .. })) => {
                assert_eq!(summary.progress.sent, 1, "{summary:?}");
                break;
            }
            Ok(Some(_)) => {}
            other => panic!("the other sender did not finish: {other:?}"),
        }
    }
    other.shutdown().await;
    assert!(journal.pending(None).unwrap().is_empty());
    // The console still shows it staged (it has not looked at the journal).
    assert_eq!(m.staging.pending(), 1);

    // The console's effects and writer; W, y.
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut effects = Effects::new(Some(client.clone()), tx.clone());
    effects.attach_journal(journal.clone(), origin.clone());
    let (handle, events) = writer::spawn(client.clone(), journal.clone(), WriterConfig::default());
    effects.attach_writer(handle, events);
    h.reset_stats();
    update(&mut m, Msg::Action(Action::Send));
    for c in update(&mut m, Msg::Confirm(ConfirmKey::Yes)) {
        effects.perform(c);
    }

    // Until the record has been read again and the rows show eLogii's value.
    let id = records[1]["_id"].as_str().unwrap().to_string();
    let shown = |m: &Model| {
        m.customers
            .by_id
            .get(&id)
            .and_then(|i| m.customers.recs.get(*i as usize))
            .and_then(|c| serde_json::to_value(&c.customer).ok())
            .and_then(|v| get_field(&v, &field).cloned())
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while shown(&m) != Some(json!("+44 113 496 0001")) {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no re-read; status {:?}", m.status))
            .unwrap();
        for c in update(&mut m, msg) {
            effects.perform(c);
        }
    }
    let status = m.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Warning);
    assert!(
        status.text.starts_with("Not sent from here: ")
            && status.text.contains(" had left the journal")
            && status
                .text
                .contains("another elogii-tui or `elogii-tui send` sent or dropped it")
            && status.text.contains("Phone: "),
        "{}",
        status.text
    );
    assert_eq!(m.staging.pending(), 0);
    // Undo does not bring back an edit made against the value eLogii had.
    let cmds = update(&mut m, Msg::Action(Action::Undo));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        m.status.as_ref().map(|s| s.text.as_str()),
        Some("Nothing to undo: those edits were sent.")
    );
    // Nothing was written twice.
    assert_eq!(h.stats().written_items, 0, "{:?}", h.stats());
    h.shutdown().await;
}
