//! The loop: events and results in, `update`, effects out, and a draw when
//! something changed once the queue is drained. Generic over the backend and
//! the input stream so whole-loop tests run without a terminal.

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::api::client::Client;
use crate::app::effects::{self, Effects};
use crate::app::keymap::{Bindings, Mode, translate};
use crate::app::model::{Model, Options};
use crate::app::msg::{Cmd, JournalOp, Msg, Signal};
use crate::app::update::{start, update};
use crate::config::{Connection, UiConfig};
use crate::sync::writer::{self, WriterConfig};
use crate::terminal::{self, TerminalGuard, osc52};
use crate::view::{self, theme::Theme};

/// Messages handled between two draws at most (so a flood of pages still
/// lets the screen update).
const DRAIN_LIMIT: usize = 512;

/// How often the clock ticks (for "loaded 3 min ago"); a tick redraws only
/// when that text changes.
pub const TICK: Duration = Duration::from_secs(10);

/// Why the console stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// There is no terminal to run in.
    #[error("the console needs a terminal; for scripts use `elogii-tui export`")]
    NotATerminal,
    /// The terminal could not be set up, read or written.
    #[error("terminal: {0}")]
    Terminal(io::Error),
    /// Drawing failed.
    #[error("drawing the screen failed: {0}")]
    Draw(String),
    /// The API client could not be built.
    #[error(transparent)]
    Client(#[from] crate::api::error::ApiError),
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Terminal(e)
    }
}

/// Runs the loop until the model says quit (or the input ends).
///
/// `events` is the terminal's input; `rx` carries results of background work
/// (`effects` holds its sender); `out` receives OSC 52 clipboard writes.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    events: S,
    rx: &mut UnboundedReceiver<Msg>,
    effects: &mut Effects,
    out: &mut dyn Write,
    tick: Duration,
) -> Result<(), RunError>
where
    B: Backend,
    S: Stream<Item = io::Result<Event>> + Send + Unpin + 'static,
{
    let bindings = model.bindings.clone();
    // Input is read by its own task into a channel, so both queues can be
    // drained without polling the stream outside the select.
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let forward = tokio::spawn(async move {
        let mut events = events;
        while let Some(ev) = events.next().await {
            if ev_tx.send(ev).is_err() {
                break;
            }
        }
    });
    let result = drive(
        terminal, model, &bindings, &mut ev_rx, rx, effects, out, tick,
    )
    .await;
    forward.abort();
    result
}

#[allow(clippy::too_many_arguments)]
async fn drive<B: Backend>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    bindings: &Bindings,
    ev_rx: &mut UnboundedReceiver<io::Result<Event>>,
    rx: &mut UnboundedReceiver<Msg>,
    effects: &mut Effects,
    out: &mut dyn Write,
    tick: Duration,
) -> Result<(), RunError> {
    if let Ok(size) = terminal.size() {
        update(model, Msg::Resize(size.width, size.height));
    }
    let cmds = start(model);
    perform(terminal, model, effects, out, cmds).await?;
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if model.quit {
            break;
        }
        if model.dirty {
            terminal
                .draw(|f| view::view(model, f))
                .map_err(|e| RunError::Draw(e.to_string()))?;
            model.dirty = false;
        }
        let first = tokio::select! {
            ev = ev_rx.recv() => event_msg(bindings, model, ev)?,
            Some(msg) = rx.recv() => Some(msg),
            _ = ticker.tick() => Some(Msg::Tick(jiff::Timestamp::now())),
        };
        if let Some(msg) = first {
            apply(terminal, model, effects, out, msg).await?;
        }
        // Drain what is already waiting before drawing.
        let mut handled = 0;
        while handled < DRAIN_LIMIT && !model.quit {
            let next = match ev_rx.try_recv() {
                Ok(ev) => event_msg(bindings, model, Some(ev))?,
                Err(_) => match rx.try_recv() {
                    Ok(msg) => Some(msg),
                    Err(_) => break,
                },
            };
            if let Some(msg) = next {
                apply(terminal, model, effects, out, msg).await?;
            }
            handled += 1;
        }
    }
    Ok(())
}

/// The message for an input event. A read error ends the loop with that
/// error (the terminal is unusable); the end of the input quits quietly.
fn event_msg(
    bindings: &Bindings,
    model: &Model,
    ev: Option<io::Result<Event>>,
) -> Result<Option<Msg>, RunError> {
    match ev {
        Some(Ok(ev)) => Ok(translate(bindings, mode_of(model), &ev)),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "reading the terminal failed");
            Err(RunError::Terminal(e))
        }
        None => Ok(Some(Msg::InputClosed("the input ended".into()))),
    }
}

/// Where keys go: a dialog, nowhere (the screen is too small to show what
/// they would do), the editor, the input line, or actions.
pub fn mode_of(model: &Model) -> Mode {
    let (w, h) = model.size;
    if model.confirm.is_some() {
        Mode::Confirm
    } else if w < crate::view::MIN_WIDTH || h < crate::view::MIN_HEIGHT {
        Mode::Hidden
    } else if model.editor.is_some() {
        Mode::Editor
    } else if model.input.is_some() {
        Mode::Input
    } else {
        Mode::Normal
    }
}

async fn apply<B: Backend>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    effects: &mut Effects,
    out: &mut dyn Write,
    msg: Msg,
) -> Result<(), RunError> {
    if let Msg::InputClosed(reason) = &msg {
        tracing::info!(%reason, "input closed");
    }
    let cmds = update(model, msg);
    perform(terminal, model, effects, out, cmds).await
}

async fn perform<B: Backend>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    effects: &mut Effects,
    out: &mut dyn Write,
    cmds: Vec<Cmd>,
) -> Result<(), RunError> {
    for cmd in cmds {
        match cmd {
            Cmd::Copy(text) => {
                out.write_all(osc52(&text).as_bytes())?;
                out.flush()?;
            }
            Cmd::Redraw => {
                // After a stop the shell may have left the terminal cooked.
                terminal::reassert()?;
                redraw_all(terminal, model)?;
            }
            Cmd::Suspend => {
                if let Err(why) = suspend_for_shell(effects) {
                    let _ = effects.sender().send(Msg::SuspendRefused(why));
                }
                redraw_all(terminal, model)?;
            }
            Cmd::ExternalEditor { token, text } => {
                let result = external_editor(effects, &text).await;
                // The editor drew over everything: clear and draw again.
                redraw_all(terminal, model)?;
                let _ = effects.sender().send(Msg::ExternalEdited { token, result });
            }
            other => effects.perform(other),
        }
    }
    Ok(())
}

/// Clears the screen and draws all of it at the next draw. `resize` clears
/// and forgets the last frame without asking the terminal for the cursor
/// position (`clear` would: a round trip).
fn redraw_all<B: Backend>(terminal: &mut Terminal<B>, model: &mut Model) -> Result<(), RunError> {
    let size = terminal.size().map_err(|e| RunError::Draw(e.to_string()))?;
    terminal
        .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
        .map_err(|e| RunError::Draw(e.to_string()))?;
    model.dirty = true;
    Ok(())
}

/// Gives the terminal back to the shell and stops until `fg` continues the
/// process, then takes the terminal again. Refused (with the reason) when no
/// shell with job control could resume it, or when the console does not own
/// a terminal (tests).
fn suspend_for_shell(effects: &Effects) -> Result<(), String> {
    #[cfg(unix)]
    {
        terminal::job_control()?;
        if let Some(p) = effects.input_pause() {
            p.pause();
        }
        let outcome = match terminal::suspend() {
            Some(s) => {
                tracing::info!("stopped for the shell");
                let stopped = terminal::stop_self();
                // Running again: the shell continued the process.
                tracing::info!("continued by the shell");
                let resumed = terminal::resume(s);
                stopped
                    .and(resumed)
                    .map_err(|e| format!("Suspending failed: {e}"))
            }
            None => Err("Ctrl-z: the console does not own a terminal here".to_string()),
        };
        if let Some(p) = effects.input_pause() {
            p.resume();
        }
        outcome
    }
    #[cfg(not(unix))]
    {
        let _ = effects;
        Err("Ctrl-z does not suspend on this system; q quits".to_string())
    }
}

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`.
fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// A new private temporary file for the editor.
fn temp_file(text: &str) -> io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir();
    for attempt in 0..100u32 {
        let name = format!(
            "elogii-tui-{}-{}-{attempt}.txt",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond()
        );
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                f.write_all(b"\n")?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free temporary file name"))
}

/// Suspends the console, runs the editor on `text` in a temporary file and
/// returns what it saved. Keys are not read meanwhile.
async fn external_editor(effects: &Effects, text: &str) -> Result<String, String> {
    let path = temp_file(text).map_err(|e| format!("no temporary file: {e}"))?;
    if let Some(p) = effects.input_pause() {
        p.pause();
    }
    let suspended = terminal::suspend();
    let editor = editor_command();
    tracing::info!(%editor, "running the editor");
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .await;
    let resumed = match suspended {
        Some(s) => terminal::resume(s),
        None => Ok(()),
    };
    if let Some(p) = effects.input_pause() {
        p.resume();
    }
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("reading the edited text failed: {e}")),
        Ok(s) => Err(format!("{editor} exited with {s}; nothing changed")),
        Err(e) => Err(format!("{editor} could not start: {e}")),
    };
    let _ = std::fs::remove_file(&path);
    resumed.map_err(|e| format!("the terminal could not be restored: {e}"))?;
    result
}

/// Everything the real console needs.
pub struct ConsoleOptions {
    /// The resolved connection (profile name for the header).
    pub connection: Connection,
    /// The `[ui]` section of the config file.
    pub ui: UiConfig,
    /// Warnings from reading the config, shown at start.
    pub warnings: Vec<String>,
    /// Remote writes are off.
    pub read_only: bool,
    /// Today's date.
    pub today: jiff::civil::Date,
}

/// A model for these options: theme (with `NO_COLOR`), bindings and the
/// warnings from both.
pub fn model_for(
    profile: String,
    ui: &UiConfig,
    mut warnings: Vec<String>,
    read_only: bool,
    today: jiff::civil::Date,
    no_color: bool,
) -> Model {
    let (bindings, key_warnings) = Bindings::from_config(&ui.keys);
    let (theme, theme_warning) = Theme::from_setting(ui.theme.as_deref(), no_color);
    warnings.extend(key_warnings);
    warnings.extend(theme_warning);
    Model::new(Options {
        profile,
        read_only,
        today,
        theme,
        bindings,
        warnings,
    })
}

/// What the header says about the connection: the profile and the host it
/// talks to (`default @ 127.0.0.1:8099`); the demo is just `demo`.
pub fn header_profile(profile: &str, base_url: &str) -> String {
    if profile == "demo" {
        return profile.to_string();
    }
    let host = reqwest::Url::parse(base_url).ok().and_then(|u| {
        let host = u.host_str()?.to_string();
        Some(match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        })
    });
    match host {
        Some(h) => format!("{profile} @ {h}"),
        None => profile.to_string(),
    }
}

/// True when `NO_COLOR` is set to something (https://no-color.org).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Runs the console on the real terminal until the user quits or a signal
/// (SIGTERM, SIGHUP, SIGINT) arrives. The terminal is restored on every path.
pub async fn run_console(opts: ConsoleOptions) -> Result<(), RunError> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(RunError::NotATerminal);
    }
    let client = Client::new(opts.connection.client.clone())?;
    let read_only = opts.read_only || opts.connection.read_only;
    let mut model = model_for(
        header_profile(&opts.connection.profile, &opts.connection.client.base_url),
        &opts.ui,
        opts.warnings,
        read_only,
        opts.today,
        no_color_env(),
    );
    model.tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let (tx, mut rx) = mpsc::unbounded_channel();
    spawn_signal_listener(tx.clone());
    let mut effects = Effects::new(Some(client.clone()), tx.clone());
    effects.set_read_only(read_only);
    start_sync(
        &mut effects,
        &tx,
        client,
        &opts.connection.profile,
        read_only,
    )
    .await;
    terminal::install_panic_hook();
    let guard = TerminalGuard::enter(opts.ui.mouse)?;
    let result = async {
        let backend = ratatui::backend::CrosstermBackend::new(io::stdout());
        let mut term = Terminal::new(backend).map_err(|e| RunError::Draw(e.to_string()))?;
        let (events, pause) = terminal::pausable_events();
        effects.set_input_pause(pause);
        let events: EventStream = Box::pin(events);
        #[cfg(debug_assertions)]
        let events = with_test_faults(events);
        let mut out = io::stdout();
        run_loop(
            &mut term,
            &mut model,
            events,
            &mut rx,
            &mut effects,
            &mut out,
            TICK,
        )
        .await
    }
    .await;
    // Nothing reads the terminal from here on: a key typed after quitting
    // waits for the shell instead of being taken by the stopping console.
    if let Some(p) = effects.input_pause() {
        p.pause();
    }
    drop(effects);
    drop(guard);
    tracing::info!(ok = result.is_ok(), "console stopped");
    result
}

/// Opens the profile's journal (the demo's edits are moved to this run's
/// address), starts the writer unless read-only, and asks for the pending
/// edits (answered with the "restored N staged edits" banner). A journal that
/// cannot be opened turns editing off with a message; the console still runs.
pub async fn start_sync(
    effects: &mut Effects,
    tx: &UnboundedSender<Msg>,
    client: Client,
    profile: &str,
    read_only: bool,
) {
    let origin = client.base_url().to_string();
    let rehome = profile == "demo" && effects::is_demo_origin(&origin);
    let (p, o) = (profile.to_string(), origin.clone());
    let opened = tokio::task::spawn_blocking(move || effects::open_journal(&p, &o, rehome))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    match opened {
        Ok(journal) => {
            effects.attach_journal(journal.clone(), origin);
            if !read_only {
                let (handle, events) = writer::spawn(client, journal, WriterConfig::default());
                effects.attach_writer(handle, events);
            }
            effects.perform(Cmd::Journal {
                op: 0,
                action: JournalOp::Reload { banner: true },
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, "journal unavailable");
            let _ = tx.send(Msg::JournalUnavailable(e));
        }
    }
}

/// The terminal's input as the loop takes it.
type EventStream = std::pin::Pin<Box<dyn Stream<Item = io::Result<Event>> + Send>>;

/// Debug builds only, for the end-to-end tests of the exit paths: with
/// `ELOGII_TUI_TEST_FAULT=panic` (or `error`) the key F12 panics (or fails
/// reading the terminal).
#[cfg(debug_assertions)]
fn with_test_faults(events: EventStream) -> EventStream {
    let Ok(fault) = std::env::var("ELOGII_TUI_TEST_FAULT") else {
        return events;
    };
    Box::pin(events.map(move |ev| {
        let f12 = matches!(&ev, Ok(Event::Key(k)) if k.code == crossterm::event::KeyCode::F(12));
        match (f12, fault.as_str()) {
            (true, "panic") => panic!("test panic requested with F12"),
            (true, "error") => Err(io::Error::other("test error requested with F12")),
            _ => ev,
        }
    }))
}

fn spawn_signal_listener(tx: UnboundedSender<Msg>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Quit signals end the loop at the first; a stop asked for from
        // outside (`kill -TSTP`) goes the way of Ctrl-z and a continue takes
        // the terminal again, any number of times.
        let kinds = [
            (SignalKind::terminate(), Signal::Terminate),
            (SignalKind::hangup(), Signal::Hangup),
            (SignalKind::interrupt(), Signal::Interrupt),
            (SignalKind::from_raw(libc::SIGTSTP), Signal::Stop),
            (SignalKind::from_raw(libc::SIGCONT), Signal::Continue),
        ];
        for (kind, sig) in kinds {
            let Ok(mut stream) = signal(kind) else {
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    tracing::info!(?sig, "signal");
                    if tx.send(Msg::Signal(sig)).is_err() {
                        break;
                    }
                }
            });
        }
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(Msg::Signal(Signal::Interrupt));
            }
        });
    }
}

/// Sends logs to `<data dir>/logs/elogii-tui.YYYY-MM-DD.log` (never to the
/// screen): a new file each day (the UTC date), the 7 newest kept, in a folder
/// only the user can open (logs name customers and records). Level from
/// `ELOGII_LOG` (default `info`). Keep the guard while running. `None`, and no
/// logging, when the directory or the file cannot be made.
pub fn init_file_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = crate::config::data_dir().join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).ok()?;
    }
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("elogii-tui")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("ELOGII_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
