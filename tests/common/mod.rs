//! The pty harness of the end-to-end tests: the real binary in a
//! pseudo-terminal (portable-pty), its output read by a thread into a vt100
//! parser, waits on the screen with a deadline, and a temporary home.
//!
//! Each e2e file has `mod common;` and uses what it needs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// Terminal rows of every console.
pub const ROWS: u16 = 40;
/// Terminal columns of every console.
pub const COLS: u16 = 120;
/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_elogii-tui");
/// Longest wait for something to show on the screen.
pub const WAIT: Duration = Duration::from_secs(30);

/// A temporary home: config, data (the journal), cache and state.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A new empty home.
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Its directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `HOME` and the XDG directories inside it.
    pub fn envs(&self) -> Vec<(String, PathBuf)> {
        home_envs(self.path())
    }
}

/// `HOME` and the XDG directories inside `home`.
pub fn home_envs(home: &Path) -> Vec<(String, PathBuf)> {
    vec![
        ("HOME".into(), home.to_path_buf()),
        ("XDG_CONFIG_HOME".into(), home.join("config")),
        ("XDG_DATA_HOME".into(), home.join("data")),
        ("XDG_CACHE_HOME".into(), home.join("cache")),
        ("XDG_STATE_HOME".into(), home.join("state")),
    ]
}

/// The console in a pseudo-terminal; killed when dropped.
pub struct Console {
    pub child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    pub parser: Arc<Mutex<vt100::Parser>>,
    _master: Box<dyn MasterPty + Send>,
    _home: Option<Home>,
}

impl Console {
    /// Starts the binary with `args` in a clean environment (home, XDG
    /// directories, `TERM`, `LANG`, `PATH`, then `envs`), working in `home`.
    pub fn spawn(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Console {
        Console::spawn_program(home, BIN, args, envs)
    }

    /// Like [`Console::spawn`] for another program (a shell, say).
    pub fn spawn_program(
        home: &Path,
        program: &str,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Console {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(program);
        for a in args {
            cmd.arg(a);
        }
        cmd.env_clear();
        for (k, v) in home_envs(home) {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.cwd(home);
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
            _home: None,
        }
    }

    /// Like [`Console::spawn`] in a temporary home of its own.
    pub fn in_temp_home(args: &[&str], envs: &[(&str, &str)]) -> Console {
        Console::program_in_temp_home(BIN, args, envs)
    }

    /// Like [`Console::spawn_program`] in a temporary home of its own.
    pub fn program_in_temp_home(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Console {
        let home = Home::new();
        let mut c = Console::spawn_program(home.path(), program, args, envs);
        c._home = Some(home);
        c
    }

    /// The screen's text.
    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// The screen's lines.
    pub fn lines(&self) -> Vec<String> {
        self.screen().lines().map(str::to_string).collect()
    }

    /// The status line (second from the bottom).
    pub fn status_line(&self) -> String {
        self.lines()
            .get(ROWS as usize - 2)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits (polling, with a deadline) until `cond` holds for the screen text.
    pub fn wait(&self, what: &str, cond: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + WAIT;
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

    /// Types `bytes`.
    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends keys one after another (the console reads them in order).
    pub fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            self.send(k);
        }
    }

    /// Opens the command line, types `text` and runs it.
    pub fn command(&mut self, text: &str) {
        self.send(":");
        self.wait("the command line", |s| {
            s.lines()
                .nth(ROWS as usize - 2)
                .is_some_and(|l| l.starts_with(':'))
        });
        self.send(text);
        self.send("\r");
    }

    /// Waits for the process to end, at most `limit` (then kills it and fails).
    pub fn wait_exit(&mut self, limit: Duration) -> portable_pty::ExitStatus {
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

    /// Waits until the terminal has left the alternate screen and shows the cursor.
    pub fn wait_restored(&self) {
        let deadline = Instant::now() + WAIT;
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

    /// Sends a signal (`HUP`, `TERM` …) to the console.
    pub fn signal(&self, name: &str) {
        let pid = self.child.process_id().expect("child pid");
        let sent = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}
