//! Hostile text from the API goes through the whole loop — the emulator over
//! HTTP, the client, `update`, `view`, and a real `CrosstermBackend` writing
//! into memory — and no byte of the data's control sequences reaches the
//! terminal: only ratatui's own cursor moves and styles do.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use elogii_tui::api::client::{Client, ClientConfig};
use elogii_tui::app::effects::Effects;
use elogii_tui::app::run::{model_for, run_loop};
use elogii_tui::config::UiConfig;
use elogii_tui::sandbox::seed::SeedData;
use elogii_tui::sandbox::server::{SandboxConfig, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use elogii_tui::terminal::osc52;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::mpsc;

const EVIL_NAME: &str = "Acme\u{1b}[2J\u{1b}[31mX";
const EVIL_ADDRESS: &str =
    "Unit\u{7} 9\u{1b}]52;c;ZXZpbA==\u{7} \u{9b}31m \u{202e}evil\u{202c} Road";

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
    fn contains(&self, needle: &str) -> bool {
        contains(&self.bytes(), needle.as_bytes())
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

async fn wait_for(screen: &Shared, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !screen.contains(needle) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {needle:?} on screen; it has: {}",
            String::from_utf8_lossy(&screen.bytes())
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_bytes_from_data_never_reach_the_terminal() {
    let seed = SeedData {
        customers: vec![
            json!({
                "_id": "65f000000000000000000001", "uid": "CUS-EVIL0001", "name": EVIL_NAME,
                "contactName": "\u{1b}]0;pwned\u{7}",
                "locations": [{"uid": "CL-EVIL0001", "name": EVIL_NAME, "address": EVIL_ADDRESS,
                               "postCode": "M1\u{9b}2J", "city": "Salford\u{202e}"}]
            }),
            json!({"_id": "65f000000000000000000002", "uid": "CUS-A1PHARM1", "name": "A1 Pharmacy",
                   "locations": [{"uid": "CL-A1PHARM1", "address": "491 Radcliffe Road"}]}),
        ],
        ..SeedData::default()
    };
    let key_text = "test:000000000000000000000000:secret";
    let store = Store::open(seed, None).unwrap();
    let server = spawn_on_loopback(store, SandboxConfig::new(SecretString::from(key_text)))
        .await
        .unwrap();
    let client = Client::new(ClientConfig::new(
        format!("http://{}", server.local_addr()),
        SecretString::from(key_text),
    ))
    .unwrap();

    let mut model = model_for(
        "test".into(),
        &UiConfig::default(),
        vec![],
        false,
        jiff::civil::date(2026, 12, 3),
        false,
    );
    let screen = Shared::default();
    let backend = CrosstermBackend::new(screen.clone());
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 100, 30)),
        },
    )
    .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut effects = Effects::new(Some(client), tx);
    let (ev_tx, ev_rx) = mpsc::unbounded_channel::<Event>();
    let events = Box::pin(futures_util::stream::unfold(ev_rx, |mut rx| async move {
        rx.recv().await.map(|ev| (Ok(ev), rx))
    }));
    let mut clipboard = Shared::default();
    let clip = clipboard.clone();

    let driver = {
        let screen = screen.clone();
        async move {
            ev_tx.send(Event::Resize(100, 30)).unwrap();
            wait_for(&screen, "CUS-A1PHARM1").await;
            // copy the hostile name (first row, first column)
            ev_tx.send(key(KeyCode::Char('y'))).unwrap();
            wait_for(&clip, "\u{7}").await;
            // a paste into the filter line loses its control characters
            ev_tx.send(key(KeyCode::Char('/'))).unwrap();
            ev_tx
                .send(Event::Paste("\u{1b}[2J\u{9b}Acme".into()))
                .unwrap();
            wait_for(&screen, "[2JAcme").await;
            ev_tx.send(key(KeyCode::Esc)).unwrap();
            // the customer, then its location form
            ev_tx.send(key(KeyCode::Enter)).unwrap();
            wait_for(&screen, "location").await;
            ev_tx.send(key(KeyCode::Enter)).unwrap();
            wait_for(&screen, "Coordinates").await;
            for _ in 0..3 {
                ev_tx.send(key(KeyCode::Char('q'))).unwrap();
            }
            // the loop ends on the last q; keep the channel open until then
            ev_tx
        }
    };
    let (result, _ev_tx) = tokio::join!(
        run_loop(
            &mut terminal,
            &mut model,
            events,
            &mut rx,
            &mut effects,
            &mut clipboard,
            Duration::from_secs(60)
        ),
        driver
    );
    result.unwrap();
    assert!(model.quit);

    let out = screen.bytes();
    // The data was drawn, as visible placeholders (ratatui skips unchanged
    // cells, so only runs without spaces are sure to be contiguous).
    assert!(contains(&out, "Acme␛[2J␛[31mX".as_bytes()));
    assert!(contains(&out, "␛]52;c;ZXZpbA==␇".as_bytes()));
    assert!(contains(&out, "\u{fffd}evil\u{fffd}".as_bytes()));
    assert!(contains(&out, "␛]0;pwned␇".as_bytes()));
    // None of the data's control sequences were written.
    for bad in [
        &b"\x1b[2J"[..],
        b"\x1b[31mX",
        b"\x1b]",
        b"\x07",
        "\u{9b}".as_bytes(),
        "\u{202e}".as_bytes(),
        "\u{202c}".as_bytes(),
    ] {
        assert!(!contains(&out, bad), "found {bad:?} in the terminal output");
    }
    // Every ESC the backend wrote starts a CSI sequence of ratatui's own kinds.
    let mut i = 0;
    let mut seqs = 0;
    while let Some(p) = out[i..].iter().position(|&b| b == 0x1b) {
        let start = i + p;
        assert_eq!(
            out.get(start + 1),
            Some(&b'['),
            "ESC not followed by [ at byte {start}"
        );
        let mut j = start + 2;
        while j < out.len() && (out[j].is_ascii_digit() || out[j] == b';' || out[j] == b'?') {
            j += 1;
        }
        let fin = out.get(j).copied().unwrap_or(0);
        assert!(
            b"HmhlJK".contains(&fin),
            "unexpected sequence {:?}",
            String::from_utf8_lossy(&out[start..(j + 1).min(out.len())])
        );
        seqs += 1;
        i = j + 1;
    }
    assert!(seqs > 10);
    // The clipboard got the name as shown, base64 inside OSC 52.
    assert_eq!(clipboard.bytes(), osc52("Acme␛[2J␛[31mX").into_bytes());
    server.shutdown().await;
}
