//! The real binary: export from the demo, and one clear sentence for bad input.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_elogii-tui"));
    let home = std::env::temp_dir().join(format!("elogii-tui-cli-home-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    c.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("ELOGII_API_KEY")
        .env_remove("ELOGII_BASE_URL")
        .env_remove("ELOGII_TUI_CONFIG")
        .env_remove("RUST_BACKTRACE");
    c
}

/// The emulator as a child process on a free loopback port; killed when dropped.
struct Sandbox {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    addr: String,
}

impl Sandbox {
    /// Starts `elogii-tui sandbox --listen 127.0.0.1:0` with `args` and waits
    /// until it says where it listens.
    fn start(args: &[&str]) -> Sandbox {
        Sandbox::start_logging(args, Stdio::null())
    }

    /// Like [`Sandbox::start`], its log (stderr) going to `log`.
    fn start_logging(args: &[&str], log: impl Into<Stdio>) -> Sandbox {
        let mut child = bin()
            .args(["sandbox", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start sandbox");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("sandbox printed its address")
                .expect("read");
            if let Some(rest) = line.strip_prefix("eLogii sandbox listening on ") {
                break rest.trim().to_string();
            }
        };
        // Keep reading its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Sandbox { child, addr }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Text that would retitle and clear a terminal if it were written as is.
const EVIL: &str = "Evil\u{1b}]0;PWNED\u{7}\u{1b}[2J";
/// [`EVIL`] as the console shows it.
const EVIL_SHOWN: &str = "Evil␛]0;PWNED␇␛[2J";

/// A seed with [`EVIL`] in a customer, a task and a route of 2026-12-04.
fn evil_seed(dir: &std::path::Path) -> std::path::PathBuf {
    let seed = serde_json::json!({
        "customers": [{"_id": "65f000000000000000000001", "uid": "CUS-EVIL0001", "name": EVIL,
                       "locations": [{"uid": "CL-EVIL0001", "name": "Depot"}]}],
        "tasks": [{"_id": "65f000000000000000000002", "uid": "T-EVIL0001", "reference": EVIL,
                   "date": 20261204, "location": {"name": "Depot"}}],
        "routes": [{"_id": "65f000000000000000000003", "uid": "R-EVIL0001", "name": EVIL,
                    "date": 20261204}],
    });
    let path = dir.join("evil.json");
    std::fs::write(&path, seed.to_string()).expect("write seed");
    path
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run elogii-tui")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One sentence: a single `elogii-tui: ...` line, no backtrace or panic text.
fn assert_one_clear_sentence(o: &Output, must_contain: &str) {
    assert!(!o.status.success(), "should fail: {}", stderr(o));
    let err = stderr(o);
    assert!(err.starts_with("elogii-tui: "), "{err}");
    assert!(
        err.contains(must_contain),
        "expected {must_contain:?} in {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn export_customers_from_the_demo_prints_every_customer_with_every_field() {
    let o = run(bin().args(["export", "customers", "--demo", "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let customers: Vec<serde_json::Value> =
        serde_json::from_slice(&o.stdout).expect("a JSON array");
    assert_eq!(customers.len(), 1481);
    let first = &customers[0];
    assert_eq!(first["name"], "A1 Pharmacy");
    assert_eq!(first["locations"][0]["postCode"], "BL3 1SX");
    assert!(first["_id"].as_str().is_some_and(|id| id.len() == 24));
    // Every exported customer parses into the model and serialises back to equal JSON.
    for c in &customers {
        let typed: elogii_tui::api::types::Customer =
            serde_json::from_value(c.clone()).expect("parses");
        assert_eq!(&serde_json::to_value(&typed).expect("serialises"), c);
    }
}

#[test]
fn export_tasks_and_routes_as_csv() {
    let o = run(bin().args(["export", "routes", "--demo", "--format", "csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).expect("utf-8");
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("_id,uid,name,date,driver"))
    );
    assert!(lines.count() >= 1, "at least one route today");
    let o = run(bin().args([
        "export",
        "tasks",
        "--demo",
        "--format",
        "csv",
        "--date",
        "not-a-date",
    ]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("YYYY-MM-DD"));
}

#[test]
fn no_key_says_how_to_set_one_up_and_how_to_try_the_demo() {
    let o = run(bin().args(["export", "customers"]));
    assert_one_clear_sentence(
        &o,
        "no eLogii API key: run `export ELOGII_API_KEY=<your key>`",
    );
    let err = stderr(&o);
    assert!(err.ends_with("run `elogii-tui --demo`\n"), "{err}");
    // One line, and no advice that changes nothing (ELOGII_API_KEY is read anyway).
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("api_key_env = \"ELOGII_API_KEY\""), "{err}");
}

#[test]
fn unreadable_config_is_one_sentence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("config.toml");
    std::fs::write(&bad, "this is = = not toml").expect("write");
    let o = run(bin().args(["export", "customers", "--config"]).arg(&bad));
    assert_one_clear_sentence(&o, "is not valid");
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    let o = run(bin()
        .args(["export", "customers", "--config"])
        .arg(dir.path().join("missing.toml")));
    assert_one_clear_sentence(&o, "cannot read the config file");
}

#[test]
fn unreachable_base_url_is_one_sentence() {
    // Port 9 (discard) on loopback: nothing listens there.
    let o = run(bin().env("ELOGII_API_KEY", "k").args([
        "export",
        "customers",
        "--base-url",
        "http://127.0.0.1:9",
    ]));
    assert_one_clear_sentence(&o, "could not reach http://127.0.0.1:9");
    assert!(
        o.stdout.is_empty(),
        "a failed export writes nothing to stdout"
    );
    let o = run(bin().env("ELOGII_API_KEY", "k").args([
        "export",
        "customers",
        "--base-url",
        "http://example.invalid",
    ]));
    assert_one_clear_sentence(&o, "plain http");
}

#[test]
fn wrong_key_is_one_sentence_and_never_echoes_the_key() {
    let server = Sandbox::start(&["--api-key", "right-key"]);
    let o = run(bin().env("ELOGII_API_KEY", "wrong-secret-key").args([
        "export",
        "customers",
        "--base-url",
        &server.addr,
    ]));
    drop(server);
    assert_one_clear_sentence(&o, "401");
    assert!(
        o.stdout.is_empty(),
        "a failed export writes nothing to stdout"
    );
    assert!(!stderr(&o).contains("wrong-secret-key"));
}

#[test]
fn connection_flags_work_before_the_subcommand_too() {
    // Before the fix, a --base-url in front of `export` was silently dropped
    // and the default host used instead.
    let o = run(bin().env("ELOGII_API_KEY", "k").args([
        "--base-url",
        "http://127.0.0.1:9",
        "export",
        "customers",
    ]));
    assert_one_clear_sentence(&o, "could not reach http://127.0.0.1:9");
    // `staged` takes them too: a plain-http host elsewhere is refused, not ignored.
    let o = run(bin().args(["--base-url", "http://example.invalid", "staged"]));
    assert_one_clear_sentence(&o, "plain http");
    // The same flag in both places with two values is refused, naming it.
    let o = run(bin().env("ELOGII_API_KEY", "k").args([
        "--base-url",
        "http://127.0.0.1:9",
        "export",
        "customers",
        "--base-url",
        "http://127.0.0.1:10",
    ]));
    assert_one_clear_sentence(&o, "--base-url is given twice");
    // A connection flag means nothing to the emulator: say so instead of ignoring it.
    let o = run(bin().args(["--demo", "sandbox", "--listen", "127.0.0.1:0"]));
    assert_one_clear_sentence(&o, "the sandbox is the emulator itself");
    // --demo in front of export reaches the demo.
    let o = run(bin().args(["--demo", "export", "routes", "--format", "csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() > 1);
}

#[test]
fn csv_export_to_a_terminal_shows_control_bytes_instead_of_running_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = evil_seed(dir.path());
    let server = Sandbox::start(&["--seed", seed.to_str().expect("utf-8"), "--api-key", "k"]);
    let home = common::Home::new();
    for entity in ["customers", "tasks", "routes"] {
        let args = [
            "export",
            entity,
            "--format",
            "csv",
            "--date",
            "2026-12-04",
            "--base-url",
            &server.addr,
        ];
        let mut c = common::Console::spawn(home.path(), &args, &[("ELOGII_API_KEY", "k")]);
        assert!(c.wait_exit(common::WAIT).success(), "{}", c.screen());
        // Had the bytes run, the screen would be cleared and PWNED the title.
        c.wait("the exported record and the count", |s| {
            s.contains(EVIL_SHOWN) && s.contains("exported 1 record(s)")
        });
    }
}

#[test]
fn csv_export_to_a_pipe_keeps_the_data_and_json_escapes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = evil_seed(dir.path());
    let server = Sandbox::start(&["--seed", seed.to_str().expect("utf-8"), "--api-key", "k"]);
    for entity in ["customers", "tasks", "routes"] {
        let export = |format: &str| {
            let o = run(bin().env("ELOGII_API_KEY", "k").args([
                "export",
                entity,
                "--format",
                format,
                "--date",
                "2026-12-04",
                "--base-url",
                &server.addr,
            ]));
            assert!(o.status.success(), "{}", stderr(&o));
            String::from_utf8(o.stdout).expect("utf-8")
        };
        let csv = export("csv");
        assert!(csv.contains(EVIL), "{entity}: {csv:?}");
        let json = export("json");
        assert!(
            !json.contains('\u{1b}') && !json.contains('\u{7}'),
            "{json:?}"
        );
        let back: Vec<serde_json::Value> = serde_json::from_str(&json).expect("JSON");
        assert!(back[0].to_string().contains("PWNED"));
    }
}

/// Answers every request on a loopback port with HTTP 400 and `body`.
fn answer_400_with(body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn errors_and_warnings_never_write_control_bytes_from_data() {
    // eLogii's message quoted in the error.
    let url = answer_400_with(r#"{"message":"bad\u001b]0;PWNED\u0007\u001b[2J request"}"#);
    let o = run(bin()
        .env("ELOGII_API_KEY", "k")
        .args(["export", "customers", "--base-url", &url]));
    assert_one_clear_sentence(&o, "bad␛]0;PWNED␇␛[2J request");
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
    // A config file's text quoted in the error.
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[profiles.x]\n\"bse_url\\u001b[2J\" = 1\n").expect("write");
    let o = run(bin().args(["export", "customers", "--config"]).arg(&cfg));
    assert_one_clear_sentence(&o, "bse_url␛[2J");
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
    // A warning naming a config file whose name holds an escape.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let cfg = dir.path().join("config\u{1b}[2J.toml");
        std::fs::write(&cfg, "[profiles.default]\napi_key = \"k\"\n").expect("write");
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let o = run(bin()
            .args([
                "export",
                "customers",
                "--base-url",
                "http://127.0.0.1:9",
                "--config",
            ])
            .arg(&cfg));
        let err = stderr(&o);
        assert!(
            err.contains("warning: the config file") && err.contains("config␛[2J.toml"),
            "{err}"
        );
        assert!(!err.contains('\u{1b}'), "{err:?}");
    }
}

#[test]
fn the_sandbox_log_never_writes_control_bytes_from_a_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("sandbox.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = Sandbox::start_logging(&["--api-key", "k"], log);
    let body = "reject-field=contactName:a\rb\u{1b}[2J\u{202e}c";
    let host = server.addr.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "PUT /_sandbox/faults HTTP/1.1\r\nhost: {host}\r\nauthorization: ApiKey k\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(&log_path).expect("read log");
        if text.contains("sandbox faults changed") {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no log line: {text:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let line = text
        .lines()
        .find(|l| l.contains("sandbox faults changed"))
        .expect("the line");
    assert!(line.contains("a␍b␛[2J"), "{line:?}");
    assert!(
        !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{line:?}"
    );
}

#[test]
fn connection_flags_work_after_every_subcommand_that_talks_to_a_profile() {
    // Before the fix `staged --demo` was "unexpected argument" (only `--demo staged` worked).
    let o = run(bin().args(["staged", "--demo"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "No pending edits.\n");
    let o = run(bin().args(["staged", "--demo", "--profile", "north"]));
    assert_one_clear_sentence(&o, "give --demo or --profile, not both");
    let o = run(bin().args(["send", "--demo"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("Nothing to send to http://127.0.0.1:"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let edits = dir.path().join("edits.csv");
    std::fs::write(
        &edits,
        "entity,record,field,value\ncustomer,CUS-ANNYDY1A,contactName,Ann\n",
    )
    .expect("write");
    let o = run(bin().arg("apply").arg(&edits).args(["--dry-run", "--demo"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("CUS-ANNYDY1A → contactName: (empty) → Ann"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(bin().args(["export", "routes", "--format", "csv", "--demo"]));
    assert!(o.status.success(), "{}", stderr(&o));

    // The other connection flags after each of them, every one taking effect.
    let apply: [&str; 2] = ["apply", edits.to_str().expect("utf-8")];
    let commands: [&[&str]; 4] = [&["export", "customers"], &apply, &["send"], &["staged"]];
    let missing = dir.path().join("missing.toml");
    let cfg = dir.path().join("config.toml");
    // Profile a names a host that is refused at once, so choosing it shows without a network.
    std::fs::write(
        &cfg,
        "[profiles.a]\nbase_url = \"http://example.invalid\"\n",
    )
    .expect("write");
    let cfg = cfg.to_str().expect("utf-8");
    for cmd in commands {
        let with = |flags: &[&str]| {
            let mut c = bin();
            c.env("ELOGII_API_KEY", "k").args(cmd).args(flags);
            run(&mut c)
        };
        let o = with(&["--base-url", "http://example.invalid"]);
        assert_one_clear_sentence(&o, "plain http");
        // Allowed: then apply and send stop at --read-only, export at the unknown host.
        let o = with(&[
            "--base-url",
            "http://example.invalid",
            "--allow-insecure-http",
            "--read-only",
        ]);
        let expected = match cmd[0] {
            "export" => "could not reach http://example.invalid",
            "staged" => "",
            _ => "--read-only is set",
        };
        assert!(
            stderr(&o).contains(expected) && !stderr(&o).contains("plain http"),
            "{cmd:?}: {}",
            stderr(&o)
        );
        let o = with(&["--config", missing.to_str().expect("utf-8")]);
        assert_one_clear_sentence(&o, "cannot read the config file");
        if cmd[0] == "staged" {
            // `staged` lists any profile's journal, even one the file no longer has.
            let o = with(&["--config", cfg, "--profile", "b"]);
            assert!(o.status.success(), "{}", stderr(&o));
        } else {
            let o = with(&["--config", cfg, "--profile", "b"]);
            assert_one_clear_sentence(&o, "there is no profile \"b\"");
            let o = with(&["--config", cfg, "--profile", "a"]);
            assert_one_clear_sentence(&o, "http://example.invalid uses plain http");
        }
    }
}

#[test]
fn date_reads_days_as_the_console_does_counting_from_today() {
    let tasks_of = |day: &str| {
        let before = jiff::Zoned::now().date();
        let o = run(bin().args([
            "export", "tasks", "--demo", "--format", "csv", "--date", day,
        ]));
        assert!(o.status.success(), "{day}: {}", stderr(&o));
        let text = String::from_utf8(o.stdout).expect("utf-8");
        let dates: std::collections::BTreeSet<String> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("a CSV row")[3].to_string())
            .collect();
        // A run across midnight says nothing about which day was meant.
        (before == jiff::Zoned::now().date()).then_some((before, dates))
    };
    let number = |d: jiff::civil::Date| elogii_tui::domain::dates::to_number(d).to_string();
    // The demo has tasks for today and the six days after it.
    for (day, offset) in [("today", 0), ("tomorrow", 1), ("+3", 3), ("TOMORROW", 1)] {
        let Some((today, dates)) = tasks_of(day) else {
            continue;
        };
        let want = today
            .checked_add(jiff::Span::new().days(offset))
            .expect("a day");
        assert_eq!(dates, [number(want)].into(), "--date {day}");
    }
    // Days before the demo's first have no tasks, but are days.
    for day in ["yesterday", "-1", "-2"] {
        if let Some((_, dates)) = tasks_of(day) {
            assert!(dates.is_empty(), "--date {day}: {dates:?}");
        }
    }
    // The written form still works, and nonsense is still refused.
    let in_two_days = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(2))
        .expect("a day");
    if let Some((_, dates)) = tasks_of(&in_two_days.to_string()) {
        assert_eq!(dates, [number(in_two_days)].into());
    }
    let o = run(bin().args(["export", "tasks", "--demo", "--date", "someday"]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("YYYY-MM-DD"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn a_readable_config_file_is_warned_about_only_when_it_holds_a_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.toml");
    let export = |text: &str| {
        std::fs::write(&cfg, text).expect("write");
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let o = run(bin()
            .env("ELOGII_API_KEY", "k")
            .args([
                "export",
                "customers",
                "--base-url",
                "http://127.0.0.1:9",
                "--config",
            ])
            .arg(&cfg));
        stderr(&o)
    };
    let err = export("[profiles.default]\napi_key_env = \"MY_KEY\"\n[ui]\nmouse = true\n");
    assert!(!err.contains("warning"), "{err}");
    let err = export("[profiles.default]\napi_key = \"secret\"\n");
    assert!(
        err.starts_with(&format!(
            "elogii-tui: warning: the config file {} holds an API key and can be read by other users (mode 644); run: chmod 600 ",
            cfg.display()
        )),
        "{err}"
    );
}

#[test]
fn an_unknown_theme_is_refused_at_start_naming_the_setting_and_the_themes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[ui]\ntheme = \"neon\"\n").expect("write");
    let says = "is not valid: ui.theme = \"neon\" is not a theme: use \"default\" or \"mono\"";
    // The console (refused before it takes the terminal) and a subcommand alike.
    let o = run(bin().arg("--config").arg(&cfg));
    assert_one_clear_sentence(&o, says);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    let o = run(bin().args(["export", "customers", "--config"]).arg(&cfg));
    assert_one_clear_sentence(&o, says);
    std::fs::write(&cfg, "[ui]\ntheme = \"mono\"\n").expect("write");
    let o = run(bin().args(["export", "customers", "--config"]).arg(&cfg));
    assert_one_clear_sentence(&o, "no eLogii API key");
}

#[test]
fn a_faults_spec_with_a_fault_twice_or_an_empty_item_is_refused() {
    for (spec, says) in [
        (
            "5xx=0.3,5xx=0.4",
            "--faults: fault 5xx is given twice; give it once",
        ),
        (
            "5xx=0.3,503=0.4",
            "--faults: fault 503 is the same as 5xx, given before",
        ),
        ("5xx=0.3,,drop=0.1", "has an empty item"),
        ("5xx=0.3,", "has an empty item"),
    ] {
        // Were the spec taken, the emulator would run: give it a deadline.
        let mut child = bin()
            .args(["sandbox", "--listen", "127.0.0.1:0", "--faults", spec])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sandbox");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while child.try_wait().expect("wait").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the sandbox took --faults {spec}");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let o = child.wait_with_output().expect("output");
        assert_one_clear_sentence(&o, says);
    }
}

/// Runs `c` to its end, killing it (and failing) if it is still running at the deadline.
fn run_within(c: &mut Command, deadline: std::time::Duration) -> Output {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run elogii-tui");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > deadline {
            let _ = child.kill();
            let o = child.wait_with_output().expect("wait");
            panic!(
                "still running after {deadline:?}: {}{}",
                String::from_utf8_lossy(&o.stdout),
                stderr(&o)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
}

#[test]
fn sandbox_refuses_read_only_instead_of_ignoring_it() {
    // Before the fix the emulator started and took every write.
    for args in [
        ["sandbox", "--read-only", "--listen", "127.0.0.1:0"],
        ["--read-only", "sandbox", "--listen", "127.0.0.1:0"],
    ] {
        let o = run_within(bin().args(args), std::time::Duration::from_secs(30));
        assert_one_clear_sentence(
            &o,
            "--read-only turns off changes from the console, apply and send; the sandbox is the emulator itself",
        );
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
        assert!(
            o.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn a_date_that_is_not_read_lists_the_forms_and_an_offset_too_far_says_so() {
    const FORMS: &str = "write today, tomorrow, yesterday, +N or -N (days from today), or YYYY-MM-DD such as 2026-12-24";
    let date = |day: &str| {
        let o = run(bin().args([
            "export",
            "tasks",
            "--base-url",
            "http://127.0.0.1:9",
            "--date",
            day,
        ]));
        assert!(!o.status.success(), "{day}");
        stderr(&o)
    };
    for day in ["+100000", "-4000", "+3661"] {
        let err = date(day);
        assert!(
            err.contains(&format!(
                "\"{day}\" is out of range: an offset counts at most 3660 days (about ten years) from today; {FORMS}\n"
            )),
            "{err}"
        );
    }
    for day in ["someday", "+5x", "2026/12/24"] {
        let err = date(day);
        assert!(
            err.contains(&format!("\"{day}\" is not a day: {FORMS}\n")),
            "{err}"
        );
    }
    // A date in the right form that the calendar lacks says which.
    assert!(
        date("2026-02-30")
            .contains("\"2026-02-30\" is not a day of the calendar (check the month and day)")
    );
}

/// The text of every `elogii-tui.YYYY-MM-DD.log` in the log folder of the data
/// dir `data_home` (two when a run crossed midnight UTC), oldest first; fails
/// on any other file there.
fn log_text(data_home: &std::path::Path) -> String {
    let dir = data_home.join("elogii-tui").join("logs");
    let name = regex::Regex::new(r"^elogii-tui\.\d{4}-\d{2}-\d{2}\.log$").expect("regex");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no log folder {}: {e}", dir.display()))
        .map(|entry| {
            let entry = entry.expect("entry");
            entry.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no log file in {}", dir.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir)
            .expect("log folder")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "the log folder is only the user's");
    }
    for n in &names {
        assert!(
            name.is_match(n),
            "unexpected file {n:?} in {}",
            dir.display()
        );
    }
    names
        .iter()
        .map(|n| std::fs::read_to_string(dir.join(n)).expect("read log"))
        .collect()
}

#[test]
fn headless_commands_write_to_the_daily_log_file() {
    let data = tempfile::tempdir().expect("tempdir");
    let o = run(bin()
        .env("XDG_DATA_HOME", data.path())
        .env_remove("ELOGII_LOG")
        .args(["staged", "--demo"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "No pending edits.\n");
    // The log goes to the file, not to the screen.
    assert_eq!(stderr(&o), "");
    let o = run(bin()
        .env("XDG_DATA_HOME", data.path())
        .env_remove("ELOGII_LOG")
        .args(["export", "routes", "--demo", "--format", "csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // The process has ended (and flushed its log): the file is complete.
    let text = log_text(data.path());
    for line in [
        "headless command started command=staged --demo",
        "headless command finished command=staged --demo ok=true",
        "headless command started command=export routes --format csv --demo",
        "headless command finished command=export routes --format csv --demo ok=true",
    ] {
        assert!(text.contains(line), "{line:?} not in the log:\n{text}");
    }
    // Each of the two commands appended to the day's file rather than starting over.
    assert_eq!(
        text.matches("headless command started").count(),
        2,
        "{text}"
    );
}

#[test]
fn the_log_file_never_holds_the_api_key_even_at_trace_level() {
    const KEY: &str = "right-secret-key-5c1e";
    const WRONG: &str = "wrong-secret-key-9a7f";
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = serde_json::json!({
        "customers": [{"_id": "65f000000000000000000011", "uid": "CUS-LOGK0001", "name": "Log Test",
                       "locations": [{"uid": "CL-LOGK0001", "name": "Depot"}]}],
    });
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).expect("write seed");
    let edits = dir.path().join("edits.csv");
    std::fs::write(
        &edits,
        "entity,record,field,value\ncustomer,CUS-LOGK0001,contactName,Ann\n",
    )
    .expect("write");
    let server = Sandbox::start(&[
        "--api-key",
        KEY,
        "--seed",
        seed_path.to_str().expect("utf-8"),
    ]);
    let data = dir.path().join("data");
    let with_key = |key: &str, args: &[&str]| {
        run(bin()
            .env("XDG_DATA_HOME", &data)
            .env("ELOGII_LOG", "trace")
            .env("ELOGII_API_KEY", key)
            .args(args)
            .args(["--base-url", &server.addr]))
    };
    let o = with_key(KEY, &["apply", edits.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = with_key(KEY, &["send"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = with_key(KEY, &["export", "customers"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"contactName\":\"Ann\""));
    let o = with_key(WRONG, &["export", "customers"]);
    assert_one_clear_sentence(&o, "401");
    drop(server);
    let text = log_text(&data);
    // The commands and the send are on record...
    for line in [
        "headless command finished command=apply",
        "send run started",
        "headless command finished command=send",
        "headless command failed command=export customers",
    ] {
        assert!(text.contains(line), "{line:?} not in the log:\n{text}");
    }
    // ...and neither key, in any form, is.
    for secret in [KEY, WRONG, "5c1e", "9a7f"] {
        assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
    }
}

#[test]
fn sandbox_today_reads_the_same_day_forms_as_date() {
    // Seeded from tomorrow: today has no routes, tomorrow and +2 have some.
    let server = Sandbox::start(&["--api-key", "k", "--today", "tomorrow"]);
    let routes = |day: &str| {
        let o = run(bin().env("ELOGII_API_KEY", "k").args([
            "export",
            "routes",
            "--format",
            "json",
            "--date",
            day,
            "--base-url",
            &server.addr,
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        v.as_array().map(Vec::len).unwrap_or_default()
    };
    assert_eq!(routes("today"), 0);
    assert!(routes("tomorrow") >= 3);
    assert!(routes("+2") >= 3);
    drop(server);
    // A day it cannot read is one sentence listing the forms.
    let o = run(bin().args(["sandbox", "--listen", "127.0.0.1:0", "--today", "someday"]));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("today, tomorrow, yesterday, +N or -N"),
        "{}",
        stderr(&o)
    );
}
