//! End-to-end editing: the real binary in a pseudo-terminal (portable-pty +
//! vt100) against a separate emulator process (`elogii-tui sandbox`) over
//! HTTP, read back with `elogii-tui export`. Edit a location's postcode and
//! schedule, send, check exactly those fields changed; quit with a staged edit
//! and find it restored; take instructions back from `$EDITOR`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child as ProcChild, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use elogii_tui::domain::edit::{Edit, Entity, FieldPath, set_field};
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::{Value, json};

const ROWS: u16 = 40;
const COLS: u16 = 120;
const KEY: &str = "sandbox:000000000000000000000000:demo";
const BIN: &str = env!("CARGO_BIN_EXE_elogii-tui");

/// A temporary home: config, data (the journal) and the emulator's state.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn envs(&self) -> Vec<(String, PathBuf)> {
        let h = self.path();
        vec![
            ("HOME".into(), h.to_path_buf()),
            ("XDG_CONFIG_HOME".into(), h.join("config")),
            ("XDG_DATA_HOME".into(), h.join("data")),
            ("XDG_CACHE_HOME".into(), h.join("cache")),
            ("XDG_STATE_HOME".into(), h.join("state")),
        ]
    }
}

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

struct Console {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    _master: Box<dyn MasterPty + Send>,
}

impl Console {
    fn start(home: &Home, sandbox: &Sandbox, extra_env: &[(&str, &str)]) -> Console {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(["--base-url", &sandbox.url]);
        cmd.env_clear();
        for (k, v) in home.envs() {
            cmd.env(k, v);
        }
        cmd.env("ELOGII_API_KEY", KEY);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.cwd(home.path());
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let p = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => p.lock().unwrap().process(&buf[..n]),
                }
            }
        });
        let c = Console {
            child,
            writer,
            parser,
            _master: pair.master,
        };
        c.wait("the customers loaded", |s| {
            s.lines()
                .next()
                .is_some_and(|h| h.contains(" customers · loaded"))
        });
        c
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits (polling, with a deadline) until `cond` holds for the screen text.
    fn wait(&self, what: &str, cond: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.screen();
            if cond(&text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("the console did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Opens the first customer's first location form, cursor on the first line.
    fn open_first_location(&mut self, customer_name: &str) {
        self.send("\r");
        self.wait("the customer", |s| s.contains("1 location"));
        self.send("\r");
        self.wait("the location form", |s| {
            s.contains("Coordinates") && s.contains(customer_name)
        });
    }

    /// Opens the editor on the current line, replaces its text, and stages with `end`.
    fn replace(&mut self, text: &str, end: &str) {
        self.send("e");
        self.wait("the editor", |s| s.contains("Esc  cancel"));
        self.send("\x15"); // Ctrl-u clears
        self.send(text);
        self.send(end);
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
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

    let mut c = Console::start(&home, &sandbox, &[]);
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
    assert!(c.wait_exit().success());
    let mut c = Console::start(&home, &sandbox, &[]);
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
    assert!(c.wait_exit().success());
}

#[test]
fn a_staged_edit_survives_quitting_and_is_restored_with_its_mark() {
    let home = Home::new();
    let sandbox = Sandbox::start(&home);
    let before = sandbox.customers(&home);
    first_location_customer(&before);

    let mut c = Console::start(&home, &sandbox, &[]);
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
    assert!(c.wait_exit().success());

    let mut c = Console::start(&home, &sandbox, &[]);
    c.wait("the banner and the mark", |s| {
        s.contains("Restored 1 staged edit.") && s.contains("✎QQ1 1QQ") && s.contains("✎ 1 staged")
    });
    // Nothing was sent.
    assert_eq!(sandbox.customers(&home), before);
    c.send("q");
    c.wait("the question", |s| s.contains("Quit?"));
    c.send("y");
    assert!(c.wait_exit().success());
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

    let mut c = Console::start(&home, &sandbox, &[("EDITOR", &editor)]);
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
    assert!(c.wait_exit().success());
}
