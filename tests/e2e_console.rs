//! End-to-end: the real binary with `--demo` in a pseudo-terminal, read back
//! through a vt100 parser. Browse, filter, switch views, quit; and SIGHUP.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 120;

struct Console {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    _master: Box<dyn MasterPty + Send>,
    _home: tempfile::TempDir,
}

impl Console {
    fn start() -> Console {
        Console::start_with(&["--demo"], &[])
    }

    fn start_with(args: &[&str], envs: &[(&str, &str)]) -> Console {
        let home = tempfile::tempdir().unwrap();
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_elogii-tui"));
        for a in args {
            cmd.arg(a);
        }
        cmd.env_clear();
        let h = home.path();
        cmd.env("HOME", h);
        cmd.env("XDG_CONFIG_HOME", h.join("config"));
        cmd.env("XDG_DATA_HOME", h.join("data"));
        cmd.env("XDG_CACHE_HOME", h.join("cache"));
        cmd.env("XDG_STATE_HOME", h.join("state"));
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.cwd(h);
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
        Console {
            child,
            writer,
            parser,
            _master: pair.master,
            _home: home,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until `cond` holds for the screen text.
    fn wait(&self, what: &str, cond: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
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

    /// Waits for the process to end, at most `limit`.
    fn wait_exit(&mut self, limit: Duration) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "the console did not exit within {limit:?}; screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

impl Console {
    /// Waits until the terminal has left the alternate screen and shows the cursor.
    fn wait_restored(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let p = self.parser.lock().unwrap();
            let restored = !p.screen().alternate_screen() && !p.screen().hide_cursor();
            drop(p);
            if restored {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "terminal not restored; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.process_id().expect("child pid");
        let sent = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

#[test]
fn browse_filter_switch_views_and_quit_restores_the_terminal() {
    let mut c = Console::start();
    c.wait("the customers of the demo", |s| {
        s.contains("A1 Pharmacy") && header(s).contains("1481 customers")
    });
    assert!(c.parser.lock().unwrap().screen().alternate_screen());

    // filter as you type
    c.send("/boots");
    c.wait("the filtered list", |s| {
        s.contains("/boots")
            && header(s).contains(" of 1481 customers")
            && !s.contains("A1 Pharmacy")
    });
    let s = c.screen();
    let rows: Vec<&str> = s
        .lines()
        .skip(2)
        .take(30)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        rows.iter().filter(|l| l.starts_with("Boots")).count() >= 3,
        "{s}"
    );
    c.send("\r");
    c.wait("the filter kept", |s| s.contains("filter /boots"));

    // Tab reaches tasks, then routes
    c.send("\t");
    c.wait("the tasks view", |s| {
        header(s).contains("Tasks") && header(s).contains(" tasks") && s.contains("SO1000")
    });
    c.send("\t");
    c.wait("the routes view", |s| {
        header(s).contains("Routes") && s.contains("Aisha Marlowe") && s.contains("Van 01")
    });
    // Enter shows a route's stops
    c.send("\r");
    c.wait("the route's stops", |s| {
        s.contains("stops ·") && s.contains("ETA")
    });
    c.send("q");
    c.wait("back on the routes", |s| !s.contains("stops ·"));

    // q quits from the top, the terminal is restored
    c.send("q");
    let status = c.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    c.wait_restored();
}

#[test]
fn sighup_ends_the_console_promptly() {
    let mut c = Console::start();
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.signal("HUP");
    let started = Instant::now();
    c.wait_exit(Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(2));
    c.wait_restored();
}

#[test]
fn sigterm_ends_the_console_and_restores_the_terminal() {
    let mut c = Console::start();
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.signal("TERM");
    c.wait_exit(Duration::from_secs(2));
    c.wait_restored();
}

#[test]
fn a_panic_restores_the_terminal_before_its_message() {
    let mut c = Console::start_with(&["--demo"], &[("ELOGII_TUI_TEST_FAULT", "panic")]);
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.send("\x1b[24~"); // F12
    let status = c.wait_exit(Duration::from_secs(5));
    assert!(!status.success());
    c.wait_restored();
    // the message is on the normal screen, readable
    c.wait("the panic message", |s| s.contains("test panic requested"));
}

#[test]
fn a_terminal_error_restores_the_terminal_and_says_why() {
    let mut c = Console::start_with(&["--demo"], &[("ELOGII_TUI_TEST_FAULT", "error")]);
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.send("\x1b[24~"); // F12
    let status = c.wait_exit(Duration::from_secs(5));
    assert_eq!(status.exit_code(), 1);
    c.wait_restored();
    c.wait("the error", |s| s.contains("test error requested"));
}

#[test]
fn an_unreachable_api_is_a_status_line_not_a_crash() {
    let mut c = Console::start_with(
        &["--base-url", "http://127.0.0.1:9"],
        &[("ELOGII_API_KEY", "test:000000000000000000000000:key")],
    );
    c.wait("the error in the status line", |s| {
        s.contains("error: Could not load customers: could not reach http://127.0.0.1:9")
    });
    let s = c.screen();
    assert!(
        header(&s).contains("default") && header(&s).contains("Customers"),
        "{s}"
    );
    c.send("q");
    let status = c.wait_exit(Duration::from_secs(5));
    assert!(status.success());
    c.wait_restored();
}
