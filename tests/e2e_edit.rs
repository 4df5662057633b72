//! End-to-end editing: the real binary in a pseudo-terminal (portable-pty +
//! vt100) against a separate emulator process (`elogii-tui sandbox`) over
//! HTTP, read back with `elogii-tui export`. Edit a location's postcode and
//! schedule, send, check exactly those fields changed; quit with a staged edit
//! and find it restored; take instructions back from `$EDITOR`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child as ProcChild, Command, Stdio};
use std::time::Duration;

use elogii_tui::domain::edit::{Edit, Entity, FieldPath, set_field};
use serde_json::{Value, json};

use common::{BIN, Console, Home};

const KEY: &str = "sandbox:000000000000000000000000:demo";

/// `elogii-tui sandbox` on an ephemeral port, killed when dropped.
struct Sandbox {
    child: ProcChild,
    url: String,
}

impl Sandbox {
    fn start(home: &Home) -> Sandbox {
        let mut cmd = Command::new(BIN);
        cmd.args(["sandbox", "--listen", "127.0.0.1:0", "--state"])
            .arg(home.path().join("emulator-state.json"))
            .env_clear()
            .envs(home.envs())
            .env("ELOGII_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("eLogii sandbox listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the sandbox says where it listens");
        Sandbox { child, url }
    }

    /// Every customer as the emulator holds it (`elogii-tui export customers`).
    fn customers(&self, home: &Home) -> Vec<Value> {
        let mut cmd = Command::new(BIN);
        cmd.args(["export", "customers", "--base-url", &self.url])
            .env_clear()
            .envs(home.envs())
            .env("ELOGII_API_KEY", KEY)
            .stdin(Stdio::null());
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("a JSON array")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The console against the sandbox, the customers loaded.
fn start_console(home: &Home, sandbox: &Sandbox, extra_env: &[(&str, &str)]) -> Console {
    let mut envs: Vec<(&str, &str)> = vec![("ELOGII_API_KEY", KEY)];
    envs.extend_from_slice(extra_env);
    let c = Console::spawn(home.path(), &["--base-url", &sandbox.url], &envs);
    c.wait("the customers loaded", |s| {
        s.lines()
            .next()
            .is_some_and(|h| h.contains(" customers · loaded"))
    });
    c
}

/// Key sequences of the editing tests.
trait EditKeys {
    /// Opens the first customer's first location form, cursor on the first line.
    fn open_first_location(&mut self, customer_name: &str);
    /// Opens the editor on the current line, replaces its text, and stages with `end`.
    fn replace(&mut self, text: &str, end: &str);
}

impl EditKeys for Console {
    fn open_first_location(&mut self, customer_name: &str) {
        self.send("\r");
        self.wait("the customer", |s| s.contains("1 location"));
        self.send("\r");
        self.wait("the location form", |s| {
            s.contains("Coordinates") && s.contains(customer_name)
        });
    }

    fn replace(&mut self, text: &str, end: &str) {
        self.send("e");
        self.wait("the editor", |s| s.contains("Esc  cancel"));
        self.send("\x15"); // Ctrl-u clears
        self.send(text);
        self.send(end);
    }
}

fn first_location_customer(customers: &[Value]) -> &Value {
    let c = &customers[0];
    assert_eq!(
        c["locations"].as_array().map(Vec::len),
        Some(1),
        "the first demo customer has one location"
    );
    c
}

#[test]
fn edit_postcode_and_schedule_send_and_exactly_those_fields_change() {
    let home = Home::new();
    let sandbox = Sandbox::start(&home);
    let before = sandbox.customers(&home);
    let target = first_location_customer(&before).clone();
    let name = target["name"].as_str().unwrap().to_string();
    let old_pc = target["locations"][0]["postCode"]
        .as_str()
        .unwrap()
        .to_string();
    let week = "Mo-Fr 08:00-17:00; Sa 09:00-12:00; Su off";

    let mut c = start_console(&home, &sandbox, &[]);
    c.open_first_location(&name);
    // Postcode is the seventh line of the form.
    c.send(&"j".repeat(6));
    c.replace("BL9 9ZZ", "\r");
    c.wait("the staged postcode", |s| s.contains("✎ BL9 9ZZ"));
    // Hours (the one-line form) is the eleventh.
    c.send(&"j".repeat(4));
    c.replace(week, "\r");
    c.wait("the staged schedule", |s| {
        s.contains(&format!("✎ {week}")) && s.contains("✎ 2 staged")
    });
    c.send("W");
    c.wait("the confirm with the count", |s| {
        s.contains("Send 2 edits in 1 batch to eLogii?")
    });
    c.send("y");
    c.wait("the edits sent", |s| s.contains("Sent 2 edits to eLogii."));
    assert!(
        !c.screen().contains("✎"),
        "nothing is marked staged any more"
    );

    let after = sandbox.customers(&home);
    assert_eq!(after.len(), before.len());
    let id = target["_id"].as_str().unwrap();
    // What the console should have sent, computed with the library's own reading.
    let mut expected = target.clone();
    let field = FieldPath::parse(Entity::Customer, "locations[0].schedule").unwrap();
    let edit = Edit::from_input(Entity::Customer, &target, &field, week).unwrap();
    set_field(&mut expected, &edit.field, edit.new.clone()).unwrap();
    expected["locations"][0]["postCode"] = json!("BL9 9ZZ");
    let got = after.iter().find(|c| c["_id"] == id).unwrap();
    assert_eq!(
        got, &expected,
        "exactly the postcode and the schedule changed"
    );
    assert_ne!(old_pc, "BL9 9ZZ");
    let sched = &got["locations"][0]["schedule"];
    assert_eq!(
        sched["Wed"]["timeWindows"],
        json!([{"start": 480, "end": 1020}])
    );
    assert_eq!(
        sched["Sat"]["timeWindows"],
        json!([{"start": 540, "end": 720}])
    );
    for (b, a) in before.iter().zip(&after) {
        if b["_id"] != id {
            assert_eq!(a, b, "customer {} must not change", b["_id"]);
        }
    }

    // Quit (nothing staged: no question), start again: nothing is restored.
    c.send("qqq");
    assert!(c.wait_exit(Duration::from_secs(10)).success());

    // The log file tells the send, and never the key.
    // The day's file, `elogii-tui.YYYY-MM-DD.log` (two when the run crossed midnight UTC).
    let logs = home.path().join("data/elogii-tui/logs");
    let mut names: Vec<_> = std::fs::read_dir(&logs)
        .expect("the log folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("elogii-tui.") && n.ends_with(".log"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no log file in {}", logs.display());
    let log: String = names
        .iter()
        .map(|n| std::fs::read_to_string(logs.join(n)).expect("the log file"))
        .collect();
    assert!(
        log.contains("send run started") && log.contains("batch sending"),
        "{log}"
    );
    assert!(
        log.contains("send run finished") && log.contains("sent=2"),
        "{log}"
    );
    assert!(!log.contains(KEY), "the key is never logged");
    let mut c = start_console(&home, &sandbox, &[]);
    let s = c.screen();
    assert!(!s.contains("Restored") && !s.contains("staged"), "{s}");
    assert!(
        s.contains("BL9 9ZZ"),
        "the table shows eLogii's new postcode"
    );
    c.send(":staged\r");
    c.wait("the empty staged list", |s| {
        s.contains("Nothing is staged.")
    });
    c.send("qq");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
}

#[test]
fn a_staged_edit_survives_quitting_and_is_restored_with_its_mark() {
    let home = Home::new();
    let sandbox = Sandbox::start(&home);
    let before = sandbox.customers(&home);
    first_location_customer(&before);

    let mut c = start_console(&home, &sandbox, &[]);
    // The Postcode column of the first row.
    c.send(&"l".repeat(6));
    c.replace("QQ1 1QQ", "\r");
    c.wait("the staged cell", |s| s.contains("✎QQ1 1QQ"));
    c.send("q");
    c.wait("the question", |s| {
        s.contains("1 staged edit is kept in the journal")
    });
    // Enter is Cancel.
    c.send("\r");
    c.wait("the question gone", |s| !s.contains("Confirm"));
    c.send("q");
    c.wait("the question again", |s| s.contains("Quit?"));
    c.send("y");
    assert!(c.wait_exit(Duration::from_secs(10)).success());

    let mut c = start_console(&home, &sandbox, &[]);
    c.wait("the banner and the mark", |s| {
        s.contains("Restored 1 staged edit.") && s.contains("✎QQ1 1QQ") && s.contains("✎ 1 staged")
    });
    // Nothing was sent.
    assert_eq!(sandbox.customers(&home), before);
    c.send("q");
    c.wait("the question", |s| s.contains("Quit?"));
    c.send("y");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
}

#[test]
fn instructions_come_back_from_the_editor_and_are_sent() {
    let home = Home::new();
    let script = home.path().join("fake-editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'Ring twice\\nUse the side door\\n' > \"$1\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let sandbox = Sandbox::start(&home);
    let before = sandbox.customers(&home);
    let target = first_location_customer(&before).clone();
    let name = target["name"].as_str().unwrap().to_string();
    let editor = script.to_str().unwrap().to_string();

    let mut c = start_console(&home, &sandbox, &[("EDITOR", &editor)]);
    c.open_first_location(&name);
    // Instructions is the fifth line from the bottom.
    c.send("G");
    c.send("kkkk");
    c.send("e");
    c.wait("the multi-line editor", |s| s.contains("Ctrl-s  stage"));
    c.send("\x0f"); // Ctrl-o
    c.wait("the text back from the editor", |s| {
        s.contains("Ring twice") && s.contains("Use the side door") && s.contains("Ctrl-s  stage")
    });
    c.send("\x13"); // Ctrl-s
    c.wait("the staged instructions", |s| {
        s.contains("✎ Ring twice␊Use the side door")
    });
    c.send("W");
    c.wait("the confirm", |s| s.contains("Send 1 edit in 1 batch"));
    c.send("y");
    c.wait("sent", |s| s.contains("Sent 1 edit to eLogii."));
    let after = sandbox.customers(&home);
    let id = &target["_id"];
    let got = after.iter().find(|c| &c["_id"] == id).unwrap();
    assert_eq!(
        got["locations"][0]["instructions"],
        json!("Ring twice\nUse the side door")
    );
    let mut expected = target.clone();
    expected["locations"][0]["instructions"] = json!("Ring twice\nUse the side door");
    assert_eq!(got, &expected);
    c.send("qqq");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
}
