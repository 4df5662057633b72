//! Console benchmarks: frame render at 100 and 100 000 customers (TestBackend
//! 120×40), a filter keystroke at 100 000, sorting 100 000, and loading
//! 10 000 customers from the emulator on loopback.
//!
//! Run: `cargo bench --bench console`. Nothing here asserts on time.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use elogii_tui::api::client::{Client, ClientConfig};
use elogii_tui::api::types::Customer;
use elogii_tui::app::effects::derive_now;
use elogii_tui::app::model::Model;
use elogii_tui::app::msg::{Action, Cmd, LineEdit, LoadKind, Msg};
use elogii_tui::app::run::model_for;
use elogii_tui::app::update::{start, update};
use elogii_tui::config::UiConfig;
use elogii_tui::sandbox::seed::synthetic;
use elogii_tui::sandbox::server::{SandboxConfig, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use elogii_tui::view;
use jiff::civil::{Date, date};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;

const TODAY: Date = date(2026, 12, 3);

fn customers(n: usize) -> Vec<Customer> {
    synthetic(n, TODAY)
        .customers
        .into_iter()
        .map(|v| serde_json::from_value(v).expect("synthetic customer"))
        .collect()
}

/// A model with `n` customers loaded in pages of 100, cursor in the middle.
fn model_with(n: usize) -> Model {
    let mut m = model_for(
        "bench".into(),
        &UiConfig::default(),
        vec![],
        false,
        TODAY,
        false,
    );
    update(&mut m, Msg::Resize(120, 40));
    let cmds = start(&mut m);
    let req = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Load {
                req,
                kind: LoadKind::Customers,
                ..
            } => Some(*req),
            _ => None,
        })
        .expect("a customers load");
    let all = customers(n);
    for page in all.chunks(100) {
        update(
            &mut m,
            Msg::CustomersPage {
                req,
                page: page.to_vec(),
            },
        );
    }
    update(
        &mut m,
        Msg::Loaded {
            req,
            total: n,
            at: jiff::Timestamp::UNIX_EPOCH,
        },
    );
    for _ in 0..n / 2 {
        m.customers_table.move_by(1);
    }
    m.customers_table.scroll_into_view(view::page_height(&m));
    m
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_120x40");
    for n in [100usize, 100_000] {
        let model = model_with(n);
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        group.bench_with_input(BenchmarkId::from_parameter(n), &model, |b, m| {
            b.iter(|| {
                term.draw(|f| view::view(black_box(m), f)).expect("draw");
            })
        });
    }
    group.finish();
}

fn filter(c: &mut Criterion) {
    let base = model_with(100_000);
    let mut group = c.benchmark_group("filter_100000");
    group.sample_size(20);
    // What the loop does on a keystroke: update returns at once with a job.
    group.bench_function("keystroke_update", |b| {
        b.iter_batched(
            || {
                let mut m = base.clone();
                update(&mut m, Msg::Action(Action::Filter));
                update(&mut m, Msg::Edit(LineEdit::Insert('a')));
                update(&mut m, Msg::Edit(LineEdit::Insert('s')));
                m
            },
            // The model is handed back so dropping it is not timed.
            |mut m| {
                let cmds = update(&mut m, Msg::Edit(LineEdit::Insert('h')));
                black_box((m, cmds))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    // The job itself (off the loop), then the result applied.
    let mut m = base.clone();
    update(&mut m, Msg::Action(Action::Filter));
    update(&mut m, Msg::Edit(LineEdit::Insert('a')));
    update(&mut m, Msg::Edit(LineEdit::Insert('s')));
    let job = update(&mut m, Msg::Edit(LineEdit::Insert('h')))
        .into_iter()
        .next()
        .expect("a derive job");
    group.bench_function("job_fuzzy_ash", |b| b.iter(|| black_box(derive_now(&job))));
    let mut m2 = base.clone();
    update(&mut m2, Msg::Action(Action::Filter));
    let job1 = update(&mut m2, Msg::Edit(LineEdit::Insert('x')))
        .into_iter()
        .next()
        .expect("a derive job");
    group.bench_function("job_fuzzy_x", |b| b.iter(|| black_box(derive_now(&job1))));
    // The same keystroke when the result for "as" had come back: only its
    // rows are looked at.
    let mut n = base.clone();
    update(&mut n, Msg::Action(Action::Filter));
    for c in ['a', 's'] {
        let cmds = update(&mut n, Msg::Edit(LineEdit::Insert(c)));
        if let Some(r) = cmds.first().and_then(derive_now) {
            update(&mut n, r);
        }
    }
    let narrowed = update(&mut n, Msg::Edit(LineEdit::Insert('h')))
        .into_iter()
        .next()
        .expect("a derive job");
    group.bench_function("job_fuzzy_ash_narrowed", |b| {
        b.iter(|| black_box(derive_now(&narrowed)))
    });
    let result = derive_now(&job).expect("result");
    group.bench_function("apply_result", |b| {
        b.iter_batched(
            || (m.clone(), result.clone()),
            |(mut m, r)| {
                let cmds = update(&mut m, r);
                black_box((m, cmds))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    // Sorting by name.
    let mut s = base.clone();
    let sort_job = update(&mut s, Msg::Action(Action::SortAsc))
        .into_iter()
        .next()
        .expect("a sort job");
    group.bench_function("job_sort_name", |b| {
        b.iter(|| black_box(derive_now(&sort_job)))
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let key = "bench:000000000000000000000000:secret";
    let (server, client) = rt.block_on(async {
        let store = Store::open(synthetic(10_000, TODAY), None).expect("store");
        let server = spawn_on_loopback(store, SandboxConfig::new(SecretString::from(key)))
            .await
            .expect("sandbox");
        let client = Client::new(ClientConfig::new(
            format!("http://{}", server.local_addr()),
            SecretString::from(key),
        ))
        .expect("client");
        (server, client)
    });
    let mut group = c.benchmark_group("load_10000_customers");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("http_pages", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut n = 0;
                client
                    .customers(|page| n += page.len())
                    .await
                    .expect("load");
                assert_eq!(n, 10_000);
            })
        })
    });
    group.bench_function("http_pages_into_model", |b| {
        b.iter(|| {
            let mut m = model_for(
                "bench".into(),
                &UiConfig::default(),
                vec![],
                false,
                TODAY,
                false,
            );
            let cmds = start(&mut m);
            let req = match cmds.first() {
                Some(Cmd::Load { req, .. }) => *req,
                _ => 0,
            };
            rt.block_on(async {
                client
                    .customers(|page| {
                        update(&mut m, Msg::CustomersPage { req, page });
                    })
                    .await
                    .expect("load");
            });
            assert_eq!(m.customers.recs.len(), 10_000);
            m
        })
    });
    group.finish();
    rt.block_on(server.shutdown());
}

criterion_group!(benches, render, filter, load);
criterion_main!(benches);
