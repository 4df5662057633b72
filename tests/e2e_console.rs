//! End-to-end: the real binary with `--demo` in a pseudo-terminal, read back
//! through a vt100 parser. Browse, filter, switch views, quit; and SIGHUP.

mod common;

use std::time::Duration;

use common::Console;

fn demo() -> Console {
    Console::in_temp_home(&["--demo"], &[])
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

#[test]
fn browse_filter_switch_views_and_quit_restores_the_terminal() {
    let mut c = demo();
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
    let status = c.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
    c.wait_restored();
}

#[test]
fn sighup_ends_the_console_promptly() {
    let mut c = demo();
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    // It ends on the signal alone: no key, no other input (the deadline is
    // a bound for a loaded machine, not a timing).
    c.signal("HUP");
    c.wait_exit(Duration::from_secs(10));
    c.wait_restored();
}

#[test]
fn sigterm_ends_the_console_and_restores_the_terminal() {
    let mut c = demo();
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.signal("TERM");
    c.wait_exit(Duration::from_secs(10));
    c.wait_restored();
}

// The F12 faults exist in debug builds only (`cargo test --release` skips these).
#[cfg(debug_assertions)]
#[test]
fn a_panic_restores_the_terminal_before_its_message() {
    let mut c = Console::in_temp_home(&["--demo"], &[("ELOGII_TUI_TEST_FAULT", "panic")]);
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.send("\x1b[24~"); // F12
    let status = c.wait_exit(Duration::from_secs(20));
    assert!(!status.success());
    c.wait_restored();
    // the message is on the normal screen, readable
    c.wait("the panic message", |s| s.contains("test panic requested"));
}

#[cfg(debug_assertions)]
#[test]
fn a_terminal_error_restores_the_terminal_and_says_why() {
    let mut c = Console::in_temp_home(&["--demo"], &[("ELOGII_TUI_TEST_FAULT", "error")]);
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.send("\x1b[24~"); // F12
    let status = c.wait_exit(Duration::from_secs(20));
    assert_eq!(status.exit_code(), 1);
    c.wait_restored();
    c.wait("the error", |s| s.contains("test error requested"));
}

#[test]
fn an_unreachable_api_is_a_status_line_not_a_crash() {
    let mut c = Console::in_temp_home(
        &["--base-url", "http://127.0.0.1:9"],
        &[("ELOGII_API_KEY", "test:000000000000000000000000:key")],
    );
    c.wait("the error in the status line", |s| {
        s.contains("error: Could not load customers: could not reach http://127.0.0.1:9")
    });
    let s = c.screen();
    assert!(
        header(&s).contains("default @ 127.0.0.1:9 · Customers"),
        "{s}"
    );
    c.send("q");
    let status = c.wait_exit(Duration::from_secs(20));
    assert!(status.success());
    c.wait_restored();
}

#[test]
fn a_burst_of_keys_longer_than_one_read_is_handled_without_another_key() {
    // A paste without bracketed paste arrives as one burst; crossterm reads
    // 1 024 bytes at a time, and the rest must not wait for the next key.
    let mut c = demo();
    c.wait("the customers of the demo", |s| {
        s.contains("A1 Pharmacy") && header(s).contains("1481 customers")
    });
    c.send(&"j".repeat(1300));
    c.wait("all 1 300 moves", |s| s.contains("1301/1481"));
}

/// The process ids whose parent is `pid` (Linux `/proc`).
#[cfg(target_os = "linux")]
fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_z_and_sigtstp_give_the_shell_the_terminal_and_fg_takes_it_back() {
    let mut c = common::Console::program_in_temp_home(
        "bash",
        &["--norc", "--noprofile", "-i"],
        &[("PS1", "shell$ ")],
    );
    c.wait("the shell", |s| s.contains("shell$"));
    c.send(&format!("{} --demo\r", common::BIN));
    c.wait("the customers of the demo", |s| {
        s.contains("A1 Pharmacy") && header(s).contains("1481 customers")
    });
    c.send("j");
    c.wait("the second row", |s| s.contains("2/1481"));

    // Ctrl-z: the terminal is the shell's again, in cooked mode
    c.send("\x1a");
    c.wait_restored();
    c.wait("the shell's job report", |s| s.contains("Stopped"));
    c.send("fg\r");
    c.wait("the console again", |s| {
        s.contains("A1 Pharmacy") && s.contains("2/1481")
    });
    assert!(c.parser.lock().unwrap().screen().alternate_screen());
    // raw mode again: one key, no Enter, moves the cursor
    c.send("j");
    c.wait("the third row", |s| s.contains("3/1481"));

    // the same for a stop asked for from outside
    let shell = c.child.process_id().expect("the shell's pid");
    let console = children_of(shell);
    assert_eq!(console.len(), 1, "one console under the shell: {console:?}");
    let sent = std::process::Command::new("kill")
        .args(["-TSTP", &console[0].to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    c.wait_restored();
    c.wait("the shell's second job report", |s| {
        s.matches("Stopped").count() >= 2
    });
    c.send("fg\r");
    c.wait("the console again", |s| s.contains("3/1481"));
    c.send("j");
    c.wait("the fourth row", |s| s.contains("4/1481"));
    // The shell's prompts so far (its screen is under the console's).
    let prompts = 3;
    c.send("q");
    c.wait_restored();
    // The terminal is restored before the console has ended: keys typed
    // now would still go to it. Wait until it is gone and the shell has
    // taken the terminal back (its next prompt), then leave the shell.
    c.wait("the console to end and the shell's prompt", |s| {
        children_of(shell).is_empty() && s.matches("shell$").count() > prompts
    });
    c.send("exit\r");
    c.wait_exit(Duration::from_secs(30));
}

#[test]
fn ctrl_z_without_a_shell_to_return_to_says_so_and_keeps_running() {
    let mut c = demo();
    c.wait("the customers of the demo", |s| s.contains("A1 Pharmacy"));
    c.send("\x1a");
    c.wait("the reason", |s| s.contains("needs a shell to return to"));
    c.send("j");
    c.wait("the second row", |s| s.contains("2/1481"));
    c.send("q");
    c.wait_exit(Duration::from_secs(20));
}
