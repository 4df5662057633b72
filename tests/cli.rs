//! The real binary: export from the demo, and one clear sentence for bad input.

use std::process::{Command, Output};

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
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("ELOGII_API_KEY") && err.contains("--demo"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
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
    use std::io::{BufRead, BufReader};
    let mut server = bin()
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "right-key",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start sandbox");
    let stdout = server.stdout.take().expect("stdout");
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
    let o = run(bin().env("ELOGII_API_KEY", "wrong-secret-key").args([
        "export",
        "customers",
        "--base-url",
        &addr,
    ]));
    let _ = server.kill();
    let _ = server.wait();
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
