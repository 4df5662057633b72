//! The console stays responsive while 1 000 staged edits are sent under
//! faults (30 % 5xx, 10 % 429 with `Retry-After`, dropped connections, latency):
//! `update` and the real effects (journal worker, writer task) run in-process
//! against the emulator on 127.0.0.1, drained and drawn the way the loop does,
//! while a key presser keeps sending keys and timing their handling.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use elogii_tui::api::client::{Client, ClientConfig};
use elogii_tui::app::effects::{Effects, run_journal_op};
use elogii_tui::app::model::Model;
use elogii_tui::app::msg::{Action, Cmd, ConfirmKey, JournalOp, Msg};
use elogii_tui::app::update::update;
use elogii_tui::domain::edit::{Edit, Entity, FieldPath, get_field};
use elogii_tui::sandbox::seed;
use elogii_tui::sandbox::server::{SandboxConfig, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use elogii_tui::sync::journal::Journal;
use elogii_tui::sync::writer::{self, WriterConfig, WriterEvent};
use elogii_tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

#[path = "common/loaded_console.rs"]
mod loaded_console;

const KEY: &str = "test:0123456789abcdef01234567:console";

/// A key and when it was pressed; the loop answers when it has handled it.
type Press = (Instant, oneshot::Sender<()>);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_console_stays_responsive_while_1000_edits_are_sent_under_faults() {
    let today = jiff::civil::date(2026, 3, 2);
    let store = Store::from_seed(seed::synthetic(1000, today)).unwrap();
    let h = spawn_on_loopback(store, SandboxConfig::new(SecretString::from(KEY)))
        .await
        .unwrap();
    let mut cc = ClientConfig::new(h.base_url(), SecretString::from(KEY));
    cc.request_timeout = Duration::from_secs(10);
    let client = Client::new(cc).unwrap();
    let origin = client.base_url().to_string();

    // The console with every customer loaded.
    let records = h.customers();
    assert_eq!(records.len(), 1000);
    let mut m: Model = loaded_console::with_customers(today, &records);

    // 1 000 staged edits (one per customer) through the console's journal path.
    let journal = Journal::open_in_memory().unwrap();
    let mut expected: HashMap<String, (FieldPath, String)> = HashMap::new();
    let mut edits = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let path = FieldPath::parse(Entity::Customer, "locations[0].contactPhone").unwrap();
        let text = format!("+44 113 496 {i:04}");
        let edit = Edit::from_input(Entity::Customer, record, &path, &text).unwrap();
        expected.insert(
            record["_id"].as_str().unwrap().to_string(),
            (edit.field.clone(), text),
        );
        edits.push(edit);
    }
    for (op, action) in [
        (
            1,
            JournalOp::Stage {
                edits,
                labels: Vec::new(),
                redo: false,
            },
        ),
        (2, JournalOp::Reload { banner: true }),
    ] {
        let reply = run_journal_op(&journal, &origin, op, action);
        update(&mut m, Msg::Journal(reply));
    }
    assert_eq!(m.staging.pending(), 1000);

    // The real effects: journal worker and writer task.
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut effects = Effects::new(Some(client.clone()), tx.clone());
    effects.attach_journal(journal.clone(), origin.clone());
    let config = WriterConfig {
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(50),
        max_attempts: 60,
        ..WriterConfig::default()
    };
    let (handle, events) = writer::spawn(client.clone(), journal.clone(), config);
    effects.attach_writer(handle, events);
    h.faults().set(
        "latency=15ms,5xx=0.3,429=0.1,retry-after=1,drop=0.05,seed=11"
            .parse()
            .unwrap(),
    );
    h.reset_stats();

    // W, then y in the dialog.
    let mut pending_cmds = update(&mut m, Msg::Action(Action::Send));
    assert_eq!(
        m.confirm.as_ref().unwrap().text,
        "Send 1000 edits in 20 batches to eLogii?"
    );
    pending_cmds.extend(update(&mut m, Msg::Confirm(ConfirmKey::Yes)));
    assert!(matches!(pending_cmds.as_slice(), [Cmd::Send { ids: None }]));
    for c in pending_cmds {
        effects.perform(c);
    }

    // A key presser: one key at a time, each timed until the loop handled it.
    let (keys_tx, mut keys_rx) = mpsc::unbounded_channel::<Press>();
    let presser = tokio::spawn(async move {
        let mut latencies = Vec::new();
        loop {
            let (done_tx, done_rx) = oneshot::channel();
            let at = Instant::now();
            if keys_tx.send((at, done_tx)).is_err() {
                break;
            }
            if done_rx.await.is_err() {
                break;
            }
            latencies.push(at.elapsed());
            tokio::task::yield_now().await;
        }
        latencies
    });

    // The loop: select, drain, draw when something changed.
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut trace: Vec<char> = Vec::new();
    let mut keys_during_run = 0usize;
    let mut down = true;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut finished = false;
    while !finished {
        assert!(Instant::now() < deadline, "the send did not finish in time");
        let mut batch: Vec<Result<Press, Msg>> = Vec::new();
        tokio::select! {
            Some(p) = keys_rx.recv() => batch.push(Ok(p)),
            Some(msg) = rx.recv() => batch.push(Err(msg)),
        }
        while batch.len() < 512 {
            if let Ok(p) = keys_rx.try_recv() {
                batch.push(Ok(p));
            } else if let Ok(msg) = rx.try_recv() {
                batch.push(Err(msg));
            } else {
                break;
            }
        }
        for item in batch {
            match item {
                Ok((_, done)) => {
                    let a = if down {
                        Action::MoveDown
                    } else {
                        Action::MoveUp
                    };
                    down = !down;
                    for c in update(&mut m, Msg::Action(a)) {
                        effects.perform(c);
                    }
                    if m.sending.is_some() {
                        keys_during_run += 1;
                        if trace.last() != Some(&'k') {
                            trace.push('k');
                        }
                    }
                    let _ = done.send(());
                }
                Err(msg) => {
                    if let Msg::Writer(e) = &msg {
                        if matches!(e, WriterEvent::Edits { .. }) {
                            trace.push('w');
                        }
                        if matches!(e, WriterEvent::RunFinished { .. }) {
                            finished = true;
                        }
                    }
                    for c in update(&mut m, msg) {
                        effects.perform(c);
                    }
                }
            }
        }
        if m.dirty {
            term.draw(|f| view::view(&m, f)).unwrap();
            m.dirty = false;
        }
    }
    // Let the journal's reload after the run arrive.
    let deadline = Instant::now() + Duration::from_secs(10);
    while m.staging.pending() > 0 {
        assert!(Instant::now() < deadline, "the reload did not arrive");
        if let Some(msg) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
        {
            for c in update(&mut m, msg) {
                effects.perform(c);
            }
        }
    }
    drop(keys_rx);
    let latencies = presser.await.unwrap();
    h.faults().clear();

    // Every edit landed exactly once.
    let stats = h.stats();
    assert_eq!(stats.written_items, 1000, "{stats:?}");
    assert!(
        stats.rate_limited > 0 && stats.unavailable > 0 && stats.dropped > 0,
        "the faults happened: {stats:?}"
    );
    let after: HashMap<String, Value> = h
        .customers()
        .into_iter()
        .map(|c| (c["_id"].as_str().unwrap().to_string(), c))
        .collect();
    for (id, (field, text)) in &expected {
        assert_eq!(get_field(&after[id], field), Some(&json!(text)), "{id}");
    }
    assert!(journal.pending(None).unwrap().is_empty());
    assert_eq!(
        m.status.as_ref().map(|s| s.text.as_str()),
        Some("Sent 1000 edits to eLogii.")
    );
    // The loaded records show eLogii's new values, unmarked.
    let last = records.last().unwrap()["_id"].as_str().unwrap();
    let idx = m.customers.by_id[last] as usize;
    let c = &m.customers.recs.get(idx).unwrap().customer;
    assert_eq!(
        c.locations()[0].contact_phone.as_str(),
        &expected[last].1,
        "the sent value is in the table"
    );

    // Responsive: keys were handled all through the run, between the writer's
    // reports, and none waited long.
    let switches = trace.windows(3).filter(|w| w == &['w', 'k', 'w']).count();
    assert!(
        keys_during_run >= 100,
        "only {keys_during_run} keys handled during the send"
    );
    assert!(
        switches >= 10,
        "keys handled between only {switches} pairs of writer reports: {}",
        trace.iter().collect::<String>()
    );
    let worst = latencies.iter().max().copied().unwrap_or_default();
    eprintln!(
        "keys during the send: {keys_during_run}; key/report switches: {switches}; worst key wait: {worst:?}; requests: {}",
        stats.total()
    );
    // How long a key waited is printed, not asserted: wall-clock numbers
    // belong to the benchmarks; the order of keys and reports above is the
    // proof that the loop kept answering.
    h.shutdown().await;
}
