//! Sending 10 000 staged edits to the emulator on loopback: the whole write path
//! (journal on disk, re-read of the records, check, `updateMany` batches of 50,
//! three in flight, journal updates). Staging is not timed. Prints the time per
//! run and the requests one run makes.
//!
//! `cargo bench --bench send`

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use elogii_tui::api::client::{Client, ClientConfig};
use elogii_tui::domain::edit::{Edit, Entity, FieldPath};
use elogii_tui::sandbox::seed;
use elogii_tui::sandbox::server::{SandboxConfig, SandboxHandle, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use elogii_tui::sync::journal::Journal;
use elogii_tui::sync::writer::{self, RunSummary, WriterConfig, WriterEvent};
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "bench:0123456789abcdef01234567:send";
const EDITS: usize = 10_000;

async fn start() -> (SandboxHandle, Client) {
    let store =
        Store::from_seed(seed::synthetic(EDITS, jiff::civil::date(2026, 3, 2))).expect("seed");
    let handle = spawn_on_loopback(store, SandboxConfig::new(SecretString::from(KEY)))
        .await
        .expect("emulator");
    let client = Client::new(ClientConfig::new(
        handle.base_url(),
        SecretString::from(KEY),
    ))
    .expect("client");
    (handle, client)
}

/// Sends everything; returns the summary and the time until the first batch
/// went out (reading the journal, re-reading the records, planning).
async fn send_all(client: Client, journal: Journal) -> (RunSummary, Duration) {
    let (handle, mut events) = writer::spawn(client, journal, WriterConfig::default());
    let start = Instant::now();
    let run = handle.send_all().expect("writer");
    let mut checked = None;
    let summary = loop {
        match events.recv().await.expect("writer stopped") {
            WriterEvent::BatchStarted { .. } if checked.is_none() => {
                checked = Some(start.elapsed());
            }
            WriterEvent::RunFinished { run: r, summary } if r == run => break summary,
            WriterEvent::RunFailed { error, .. } => panic!("run failed: {error}"),
            _ => {}
        }
    };
    handle.shutdown().await;
    (summary, checked.unwrap_or_default())
}

fn bench_send(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (emulator, client) = rt.block_on(start());
    let mut records: Vec<Value> = emulator.customers();
    assert_eq!(records.len(), EDITS);
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = client.base_url().to_string();
    let path = FieldPath::parse(Entity::Customer, "contactName").expect("path");
    let mut round = 0usize;
    let mut runs: Vec<(Duration, Duration, RunSummary, u64, u64, u64)> = Vec::new();

    let mut group = c.benchmark_group("send");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(EDITS as u64));
    group.bench_function("10k_staged_edits", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                let (journal, _) =
                    Journal::open(&dir.path().join(format!("journal-{round}.sqlite3")))
                        .expect("journal");
                let edits: Vec<Edit> = records
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        Edit::from_input(Entity::Customer, r, &path, &format!("Bench {round} {i}"))
                            .expect("edit")
                    })
                    .collect();
                journal.stage_many(&origin, &edits).expect("stage");
                emulator.reset_stats();
                let start = Instant::now();
                let (summary, checked) = rt.block_on(send_all(client.clone(), journal.clone()));
                let took = start.elapsed();
                total += took;
                assert_eq!(summary.progress.sent, EDITS, "{summary:?}");
                let stats = emulator.stats();
                runs.push((
                    took,
                    checked,
                    summary,
                    stats.total(),
                    stats.count("POST /customers/updateMany"),
                    stats.count("GET /customers"),
                ));
                for (i, r) in records.iter_mut().enumerate() {
                    r["contactName"] = json!(format!("Bench {round} {i}"));
                }
            }
            total
        })
    });
    group.finish();

    if let Some((_, _, summary, total, posts, gets)) = runs.last() {
        let median = |mut v: Vec<Duration>| {
            v.sort();
            (v[v.len() / 2], v[0], v[v.len() - 1])
        };
        let (mid, min, max) = median(runs.iter().map(|r| r.0).collect());
        let (check, _, _) = median(runs.iter().map(|r| r.1).collect());
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "send: {EDITS} edits in {:.0} ms (median of {} runs, min {:.0} ms, max {:.0} ms; \
             {:.0} ms of it before the first batch: journal, re-reading, checking); \
             {total} requests per run ({posts} POST /customers/updateMany, {gets} GET /customers; \
             the writer counted {})",
            ms(mid),
            runs.len(),
            ms(min),
            ms(max),
            ms(check),
            summary.requests,
        );
    }
    rt.block_on(emulator.shutdown());
}

criterion_group!(benches, bench_send);
criterion_main!(benches);
