//! `elogii-tui`: the console, the `sandbox` emulator and `export`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use elogii_tui::api::client::{Client, date_param};
use elogii_tui::config::{self, Connection, ConnectionArgs};
use elogii_tui::demo::{self, Demo};
use elogii_tui::domain::sanitize::sanitize;
use elogii_tui::export::{Entity, Exporter, Format};
use elogii_tui::sandbox;

/// A keyboard-driven console for eLogii dispatchers.
#[derive(Debug, Parser)]
#[command(name = "elogii-tui", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    conn: ConnFlags,
    /// Turn off every change to remote data.
    #[arg(long, global = true)]
    read_only: bool,
}

/// Where to connect.
#[derive(Debug, Clone, Args)]
struct ConnFlags {
    /// Use the built-in demo: a local eLogii emulator with real UK premises.
    #[arg(long, conflicts_with_all = ["profile", "base_url"])]
    demo: bool,
    /// Profile from the config file.
    #[arg(long)]
    profile: Option<String>,
    /// API host (overrides the profile and ELOGII_BASE_URL).
    #[arg(long)]
    base_url: Option<String>,
    /// Allow plain http:// to a host other than this machine.
    #[arg(long)]
    allow_insecure_http: bool,
    /// Config file (default: the platform config dir, or ELOGII_TUI_CONFIG).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local eLogii emulator.
    Sandbox(SandboxArgs),
    /// Write customers, tasks or routes to stdout.
    Export(ExportArgs),
    /// Stage and send the fixes in an edits file (CSV or JSON lines).
    Apply(ApplyArgs),
    /// List the journal's pending edits.
    Staged(StagedArgs),
    /// Send whatever is pending (after a crash, or to retry).
    Send(SendArgs),
}

#[derive(Debug, Args)]
struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8035")]
    listen: SocketAddr,
    /// API key clients must send (default: the one printed at start).
    #[arg(long, env = "ELOGII_SANDBOX_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Premises CSV (columns as assets/demo/uk-premises.csv) or a JSON file of collections.
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Keep state in this file (loaded at start if present, written atomically).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Faults, e.g. latency=200ms,5xx=0.3,429=0.1,retry-after=1,drop=0.05,reject-field=contactName:REJECT
    #[arg(long, value_name = "SPEC")]
    faults: Option<String>,
    /// Seed for the fault dice, so a run can be repeated.
    #[arg(long, value_name = "N")]
    faults_seed: Option<u64>,
    /// Seed N synthetic customers instead of the demo premises.
    #[arg(long, value_name = "N", conflicts_with = "seed")]
    synthetic: Option<usize>,
    /// The day seeded tasks start from (default: today): YYYY-MM-DD, today,
    /// tomorrow, yesterday, or +N / -N days from today.
    #[arg(long, value_name = "DATE", value_parser = parse_day, allow_negative_numbers = true)]
    today: Option<jiff::civil::Date>,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    entity: Entity,
    /// Day of tasks or routes, as the console's :date reads it: YYYY-MM-DD,
    /// today, tomorrow, yesterday, or +N / -N days from today (default today).
    #[arg(long, value_parser = parse_day, allow_negative_numbers = true)]
    date: Option<jiff::civil::Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    #[command(flatten)]
    conn: ConnFlags,
}

#[derive(Debug, Args)]
struct ApplyArgs {
    /// Edits file, or - for standard input: CSV with the header
    /// entity,record,field,value, or JSON lines with those keys. entity is
    /// customer (default) or task; record is the _id, uid, externalId or
    /// reference; value as typed in the console.
    ///
    /// Customer fields: name, contactName, contactPhone, contactEmail, tags,
    /// externalId, reference. Location fields, as locations[CL-…].postCode or
    /// locations[0].postCode: name, address, addressLine2, postCode, city,
    /// country, what3words, coordinates, contactName, contactPhone,
    /// contactEmail, instructions, setupDuration, serviceDuration, schedule (a
    /// location-only field alone, such as postCode, means the customer's one
    /// location). Task fields: timeWindows, instructions, internalComment. See
    /// docs/editing.md.
    #[arg(value_name = "EDITS")]
    file: PathBuf,
    /// List every change (record → field: old → new) without staging or sending.
    #[arg(long)]
    dry_run: bool,
    /// Send pin moves of more than 2 km too (without it such lines are held
    /// back and reported, with a hint when latitude and longitude look swapped).
    #[arg(long)]
    yes_moves: bool,
    #[command(flatten)]
    conn: ConnFlags,
}

#[derive(Debug, Args)]
struct StagedArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = elogii_tui::headless::StagedFormat::Text)]
    format: elogii_tui::headless::StagedFormat,
    /// List the demo console's journal (the profile "demo").
    #[arg(long)]
    demo: bool,
    /// Profile whose journal to list.
    #[arg(long)]
    profile: Option<String>,
    /// Only edits for this API host (and --drop-failed / --drop-all only drop those).
    #[arg(long)]
    base_url: Option<String>,
    /// Allow a plain http:// --base-url to a host other than this machine.
    #[arg(long)]
    allow_insecure_http: bool,
    /// Config file (for the default profile).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    drop: elogii_tui::headless::DropArgs,
}

#[derive(Debug, Args)]
struct SendArgs {
    #[command(flatten)]
    conn: ConnFlags,
}

/// `--date`: read like the console's `:date`, counting from today's date on the clock.
fn parse_day(s: &str) -> Result<jiff::civil::Date, String> {
    day_from(s, today())
}

/// The furthest `+N` / `-N` the console's `:date` takes (see `app::update::read_day`).
const MAX_OFFSET_DAYS: u32 = 3660;

/// `--date` counted from `today`; a refusal lists the forms it takes, or says
/// that an offset is out of range.
fn day_from(s: &str, today: jiff::civil::Date) -> Result<jiff::civil::Date, String> {
    const FORMS: &str =
        "today, tomorrow, yesterday, +N or -N (days from today), or YYYY-MM-DD such as 2026-12-24";
    let t = s.trim();
    let is_offset = t
        .strip_prefix('+')
        .or_else(|| t.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    elogii_tui::app::update::read_day(s, today).map_err(|e| {
        if is_offset {
            format!(
                "{t:?} is out of range: an offset counts at most {MAX_OFFSET_DAYS} days (about ten years) from today; write {FORMS}"
            )
        } else if e.contains("day of the calendar") {
            // A date in the right form that the calendar does not have (2026-02-30).
            e
        } else {
            format!("{t:?} is not a day: write {FORMS}")
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The headless commands log to the console's log file (nothing more on
    // stderr than before), so what a `send` did is on record. The console
    // starts its file log itself; the emulator logs to stderr. The guard is
    // dropped last, after the runtime (and a demo emulator in it) has stopped.
    let headless = headless_summary(&cli);
    let _log = headless
        .as_ref()
        .and_then(|_| elogii_tui::app::run::init_file_logging());
    if let Some(command) = &headless {
        tracing::info!(%command, version = env!("CARGO_PKG_VERSION"), "headless command started");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("elogii-tui: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    let command = headless.as_deref().unwrap_or_default();
    match result {
        Ok(code) => {
            if headless.is_some() {
                let ok = code == ExitCode::SUCCESS;
                tracing::info!(%command, ok, "headless command finished");
            }
            code
        }
        Err(e) => {
            if is_broken_pipe(&e) {
                if headless.is_some() {
                    tracing::info!(%command, "headless command stopped: its output was closed");
                }
                return ExitCode::SUCCESS;
            }
            let sentence = one_sentence(&e);
            if headless.is_some() {
                // The sentence shown on stderr: errors never quote the API key.
                tracing::warn!(%command, error = %sentence, "headless command failed");
            }
            eprintln!("elogii-tui: {sentence}");
            ExitCode::FAILURE
        }
    }
}

/// `export`, `apply`, `staged` and `send` as the log records them (e.g.
/// `send --demo`, `apply edits.csv --dry-run --profile north`), from flags
/// that hold no secret; `None` for the console and the emulator. A base URL
/// is written without any user name or password in it.
fn headless_summary(cli: &Cli) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut conn: Vec<&ConnFlags> = vec![&cli.conn];
    match cli.command.as_ref()? {
        Command::Sandbox(_) => return None,
        Command::Export(args) => {
            words.push("export".into());
            words.push(format!("{:?}", args.entity).to_lowercase());
            if let Some(date) = args.date {
                words.push(format!("--date {date}"));
            }
            words.push(format!("--format {:?}", args.format).to_lowercase());
            conn.push(&args.conn);
        }
        Command::Apply(args) => {
            words.push("apply".into());
            words.push(args.file.display().to_string());
            if args.dry_run {
                words.push("--dry-run".into());
            }
            if args.yes_moves {
                words.push("--yes-moves".into());
            }
            conn.push(&args.conn);
        }
        Command::Staged(args) => {
            words.push("staged".into());
            if args.demo {
                words.push("--demo".into());
            }
            if let Some(p) = &args.profile {
                words.push(format!("--profile {p}"));
            }
            if let Some(url) = &args.base_url {
                words.push(format!("--base-url {}", without_credentials(url)));
            }
            let ids: Vec<String> = args.drop.ids.iter().map(|id| id.0.to_string()).collect();
            if !ids.is_empty() {
                words.push(format!("--drop {}", ids.join(",")));
            }
            if args.drop.drop_failed {
                words.push("--drop-failed".into());
            }
            if args.drop.drop_all {
                words.push("--drop-all".into());
            }
        }
        Command::Send(args) => {
            words.push("send".into());
            conn.push(&args.conn);
        }
    }
    for flags in conn {
        if flags.demo {
            words.push("--demo".into());
        }
        if let Some(p) = &flags.profile {
            words.push(format!("--profile {p}"));
        }
        if let Some(url) = &flags.base_url {
            words.push(format!("--base-url {}", without_credentials(url)));
        }
    }
    if cli.read_only {
        words.push("--read-only".into());
    }
    Some(sanitize(&words.join(" ")).into_owned())
}

/// `url` with any `user:password@` before its host left out.
fn without_credentials(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(host_end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{host}{tail}"),
        None => url.to_string(),
    }
}

/// The error and its causes on one line, leaving out a cause whose text the
/// message already holds (many errors quote their cause). Errors quote API
/// answers, file names and file text, so the line is sanitised like the
/// console's cells: no control or escape byte from data reaches the terminal.
fn one_sentence(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    sanitize(&text).into_owned()
}

/// Writes a warning about the config (it names files and profiles) to stderr, sanitised.
fn warn(text: &str) {
    eprintln!("elogii-tui: warning: {}", sanitize(text));
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let top = cli.conn;
    match cli.command {
        Some(Command::Sandbox(args)) => {
            if let Some(flag) = top.first_set() {
                bail!(
                    "{flag} chooses what the console, export, apply and send talk to; \
                     the sandbox is the emulator itself (see elogii-tui sandbox --help)"
                );
            }
            if cli.read_only {
                bail!(
                    "--read-only turns off changes from the console, apply and send; \
                     the sandbox is the emulator itself and always accepts changes (see elogii-tui sandbox --help)"
                );
            }
            run_sandbox(args).await
        }
        Some(Command::Export(mut args)) => {
            args.conn = top.merged_into(args.conn)?;
            run_export(args).await
        }
        Some(Command::Apply(mut args)) => {
            args.conn = top.merged_into(args.conn)?;
            write_path::run_apply(args, cli.read_only).await
        }
        Some(Command::Staged(mut args)) => {
            if top.demo || args.demo {
                // The console's demo keeps its journal under the profile name "demo".
                if args.profile.as_deref().is_some_and(|p| p != "demo") {
                    bail!("--demo lists the demo's journal: give --demo or --profile, not both");
                }
                args.profile = Some("demo".to_string());
            }
            args.profile = merge_one("--profile", top.profile, args.profile)?;
            args.base_url = merge_one("--base-url", top.base_url, args.base_url)?;
            args.config = merge_one("--config", top.config, args.config)?;
            args.allow_insecure_http |= top.allow_insecure_http;
            let demo = top.demo || args.demo;
            if demo && args.base_url.is_some() {
                bail!("--demo cannot be used with --base-url: the demo runs its own emulator");
            }
            let flags = elogii_tui::headless::CommandFlags {
                demo,
                profile: args.profile.clone().filter(|_| !demo),
                base_url: args.base_url.clone(),
                config: args.config.clone(),
                allow_insecure_http: args.allow_insecure_http && args.base_url.is_some(),
            };
            write_path::run_staged(args, &flags)
        }
        Some(Command::Send(mut args)) => {
            args.conn = top.merged_into(args.conn)?;
            write_path::run_send(args, cli.read_only).await
        }
        None => run_console(top, cli.read_only).await,
    }
}

/// One connection flag given before and/or after the subcommand: either place
/// works; two different values are refused rather than one silently winning.
fn merge_one<T: PartialEq + std::fmt::Debug>(
    flag: &str,
    before: Option<T>,
    after: Option<T>,
) -> Result<Option<T>> {
    match (before, after) {
        (Some(a), Some(b)) if a != b => bail!(
            "{flag} is given twice with different values ({a:?} before the command, {b:?} after it); give it once"
        ),
        (a, b) => Ok(b.or(a)),
    }
}

impl ConnFlags {
    /// The first connection flag set on the command line, by its name.
    fn first_set(&self) -> Option<&'static str> {
        if self.demo {
            Some("--demo")
        } else if self.profile.is_some() {
            Some("--profile")
        } else if self.base_url.is_some() {
            Some("--base-url")
        } else if self.allow_insecure_http {
            Some("--allow-insecure-http")
        } else if self.config.is_some() {
            Some("--config")
        } else {
            None
        }
    }

    /// The flags as the commands a report suggests repeat them.
    fn hint(&self) -> elogii_tui::headless::CommandFlags {
        elogii_tui::headless::CommandFlags {
            demo: self.demo,
            profile: self.profile.clone(),
            base_url: self.base_url.clone(),
            config: self.config.clone(),
            allow_insecure_http: self.allow_insecure_http,
        }
    }

    /// These flags (given before the subcommand) joined with the subcommand's own.
    fn merged_into(self, sub: ConnFlags) -> Result<ConnFlags> {
        let merged = ConnFlags {
            demo: self.demo || sub.demo,
            profile: merge_one("--profile", self.profile, sub.profile)?,
            base_url: merge_one("--base-url", self.base_url, sub.base_url)?,
            allow_insecure_http: self.allow_insecure_http || sub.allow_insecure_http,
            config: merge_one("--config", self.config, sub.config)?,
        };
        if merged.demo
            && let Some(other) = [
                merged.profile.as_ref().map(|_| "--profile"),
                merged.base_url.as_ref().map(|_| "--base-url"),
            ]
            .into_iter()
            .flatten()
            .next()
        {
            bail!("--demo cannot be used with {other}: the demo runs its own emulator");
        }
        Ok(merged)
    }
}

fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

/// A connection, and the demo emulator behind it when `--demo`.
async fn connect(flags: &ConnFlags) -> Result<(Connection, Option<Demo>, Vec<String>)> {
    let loaded = config::load(flags.config.as_deref())?;
    let warnings = loaded.warnings.clone();
    if flags.demo {
        let demo = demo::start(today(), &loaded.config).await?;
        let conn = demo.connection.clone();
        return Ok((conn, Some(demo), warnings));
    }
    let args = ConnectionArgs {
        profile: flags.profile.clone(),
        base_url: flags.base_url.clone(),
        allow_insecure_http: flags.allow_insecure_http,
    };
    let conn = config::resolve(&loaded, &args, &config::process_env)?;
    Ok((conn, None, warnings))
}

async fn run_console(flags: ConnFlags, read_only: bool) -> Result<ExitCode> {
    let (conn, demo, warnings) = connect(&flags).await?;
    // The [ui] section (theme, mouse, keys); a bad file was already reported by connect.
    let ui = config::load(flags.config.as_deref())
        .map(|l| l.config.ui)
        .unwrap_or_default();
    let _log = elogii_tui::app::run::init_file_logging();
    let opts = elogii_tui::app::run::ConsoleOptions {
        connection: conn,
        ui,
        warnings,
        read_only,
        today: today(),
    };
    // `demo` (the emulator) stays alive until the console has stopped.
    let result = elogii_tui::app::run::run_console(opts).await;
    drop(demo);
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn run_export(args: ExportArgs) -> Result<ExitCode> {
    let (conn, _demo, warnings) = connect(&args.conn).await?;
    for w in &warnings {
        warn(w);
    }
    let client = Client::new(conn.client)?;
    let date = args.date.unwrap_or_else(today);
    let (path, query) = match args.entity {
        Entity::Customers => (client.paths().customers.clone(), vec![]),
        Entity::Tasks => (
            client.paths().tasks.clone(),
            vec![("date".to_string(), date_param(date))],
        ),
        Entity::Routes => (
            client.paths().routes.clone(),
            vec![("date".to_string(), date_param(date))],
        ),
    };
    // Everything is written into memory first and reaches stdout only when the
    // whole list has been read: a failed export leaves no half file behind.
    let stdout = std::io::stdout();
    let to_terminal = stdout.is_terminal();
    let mut exporter = Exporter::new(Vec::new(), args.entity, args.format, to_terminal)?;
    let mut write_error: Option<std::io::Error> = None;
    let listed = client
        .list_pages(&path, &query, |page: Vec<serde_json::Value>| {
            if write_error.is_none()
                && let Err(e) = exporter.write_page(&page)
            {
                write_error = Some(e);
            }
        })
        .await;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    listed?;
    let (bytes, n) = exporter.finish()?;
    let mut out = stdout.lock();
    out.write_all(&bytes)?;
    out.flush()?;
    if to_terminal || std::io::stderr().is_terminal() {
        eprintln!("elogii-tui: exported {n} record(s)");
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_sandbox(args: SandboxArgs) -> Result<ExitCode> {
    init_stderr_logging();
    let today = args.today.unwrap_or_else(today);
    let faults = match &args.faults {
        Some(spec) => spec
            .parse::<sandbox::faults::Faults>()
            .map_err(|e| anyhow::anyhow!("--faults: {e}"))?,
        None => sandbox::faults::Faults::default(),
    };
    let faults = match args.faults_seed {
        Some(seed) => faults.with_seed(seed),
        None => faults,
    };
    let seed = if let Some(n) = args.synthetic {
        sandbox::seed::synthetic(n, today)
    } else if let Some(path) = &args.seed {
        sandbox::seed::from_path(path, today)?
    } else {
        sandbox::seed::demo(today)?
    };
    let key = args
        .api_key
        .clone()
        .unwrap_or_else(|| demo::SANDBOX_DEFAULT_KEY.to_string());
    if key.trim().is_empty() {
        bail!("--api-key must not be empty");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let config = sandbox::server::SandboxConfig::new(SecretString::from(key.clone()))
        .with_faults(faults)
        .with_state_file(args.state.clone());
    let store = sandbox::store::Store::open(seed, args.state.as_deref())?;
    let handle = sandbox::server::start(listener, store, config).await?;
    let addr = handle.local_addr();
    println!("eLogii sandbox listening on http://{addr}");
    if args.api_key.is_none() {
        println!("API key: {key}  (set your own with --api-key or ELOGII_SANDBOX_API_KEY)");
    }
    if !addr.ip().is_loopback() && args.api_key.is_none() {
        eprintln!(
            "elogii-tui: warning: listening on {} with the published default key: anyone who can reach this machine can read and change its data; pass --api-key",
            addr.ip()
        );
    }
    // A wildcard address is not one a client can connect to: suggest loopback.
    let reach = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    println!("Try: ELOGII_API_KEY=<key> elogii-tui export customers --base-url http://{reach}");
    wait_for_shutdown().await;
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let hup = signal(SignalKind::hangup());
        if let (Ok(mut term), Ok(mut hup)) = (term, hup) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ELOGII_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `apply`, `staged` and `send`: the headless write path (see `elogii_tui::headless`).
mod write_path {
    use std::io::IsTerminal;
    use std::process::ExitCode;

    use anyhow::Result;
    use elogii_tui::api::client::Client;
    use elogii_tui::app::effects;
    use elogii_tui::config::{self, Connection};
    use elogii_tui::headless::{self, ApplyOptions, CommandFlags};
    use elogii_tui::sync::journal::Journal;

    use super::{ApplyArgs, SendArgs, StagedArgs, connect, warn};

    /// The profile's journal. The demo's (profile "demo", shared with the
    /// console's `--demo`) has its edits moved to this run's emulator first
    /// when `rehome`, as the console does at start: each demo listens on a new
    /// port, with the same records. (Earlier edits are reported by the
    /// commands where they matter, not here.)
    fn open_journal(
        conn: &Connection,
        client: &Client,
        demo: bool,
        rehome: bool,
    ) -> Result<Journal> {
        let origin = client.base_url().to_string();
        let rehome = demo && rehome && effects::is_demo_origin(&origin);
        Ok(effects::open_journal(&conn.profile, &origin, rehome)?)
    }

    fn refuse_read_only(conn: &Connection, read_only: bool) -> Result<()> {
        Ok(headless::check_writable(
            read_only,
            &conn.profile,
            conn.read_only,
        )?)
    }

    pub(super) async fn run_apply(args: ApplyArgs, read_only: bool) -> Result<ExitCode> {
        let (conn, _demo, warnings) = connect(&args.conn).await?;
        for w in &warnings {
            warn(w);
        }
        if !args.dry_run {
            refuse_read_only(&conn, read_only)?;
        }
        let client = Client::new(conn.client.clone())?;
        // A dry run stages nothing, so it leaves the demo's journal as it is.
        let journal = open_journal(&conn, &client, args.conn.demo, !args.dry_run)?;
        // `connect` has read and checked the file already.
        let settings = config::load(args.conn.config.as_deref())?.config;
        let options = ApplyOptions {
            dry_run: args.dry_run,
            writer: settings.writer_config(),
            progress: std::io::stderr().is_terminal(),
            yes_moves: args.yes_moves,
            move_limit_km: settings.move_confirm_km(),
            flags: args.conn.hint(),
        };
        let mut out = std::io::stdout();
        let report = headless::apply(&client, &journal, &args.file, &options, &mut out).await?;
        Ok(if report.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }

    pub(super) async fn run_send(args: SendArgs, read_only: bool) -> Result<ExitCode> {
        let (conn, _demo, warnings) = connect(&args.conn).await?;
        for w in &warnings {
            warn(w);
        }
        refuse_read_only(&conn, read_only)?;
        let client = Client::new(conn.client.clone())?;
        let journal = open_journal(&conn, &client, args.conn.demo, true)?;
        let mut out = std::io::stdout();
        let progress = std::io::stderr().is_terminal();
        let config = config::load(args.conn.config.as_deref())?
            .config
            .writer_config();
        let flags = args.conn.hint();
        let report = headless::send(&client, &journal, &config, progress, &flags, &mut out).await?;
        Ok(if report.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }

    pub(super) fn run_staged(args: StagedArgs, flags: &CommandFlags) -> Result<ExitCode> {
        let loaded = config::load(args.config.as_deref())?;
        let profile = args
            .profile
            .or_else(|| loaded.config.default_profile.clone())
            .unwrap_or_else(|| "default".to_string());
        if let Some(url) = &args.base_url {
            config::check_base_url(url, args.allow_insecure_http)?;
        }
        let origin = args.base_url.as_deref().map(headless::origin_of);
        let origin = origin.as_deref();
        let (journal, _) = Journal::open_profile(&profile)?;
        let stdout = std::io::stdout();
        let to_terminal = stdout.is_terminal();
        let mut out = stdout.lock();
        if args.drop.any() {
            let stdin = std::io::stdin();
            let interactive = stdin.is_terminal();
            let report = headless::drop_staged(
                &journal,
                origin,
                &args.drop,
                flags,
                interactive,
                &mut stdin.lock(),
                &mut std::io::stderr(),
                &mut out,
            )?;
            return Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        headless::staged(&journal, origin, args.format, to_terminal, flags, &mut out)?;
        Ok(ExitCode::SUCCESS)
    }
}
