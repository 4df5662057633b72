//! The terminal: raw mode, alternate screen, bracketed paste and (optional)
//! mouse, restored on every way out — drop, error, panic (the hook restores
//! first so the message is readable), and signals (the loop quits and drops
//! the guard). Also suspending it for `$EDITOR` (with the key reader paused,
//! so no keystroke meant for the editor is taken), and the OSC 52 clipboard
//! sequence.

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crossterm::event::{Event, EventStream};
use futures_util::Stream;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// The terminal is in console mode (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Mouse reporting is on.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal in console mode; restores it when dropped.
#[derive(Debug)]
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Raw mode, alternate screen, bracketed paste, hidden cursor, and mouse
    /// reporting when `mouse`. On failure the terminal is restored first.
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        activate(mouse)?;
        Ok(TerminalGuard { _private: () })
    }
}

fn activate(mouse: bool) -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    MOUSE.store(mouse, Ordering::SeqCst);
    let mut out = io::stdout();
    let result = execute!(out, EnterAlternateScreen, EnableBracketedPaste, Hide).and_then(|()| {
        if mouse {
            execute!(out, EnableMouseCapture)
        } else {
            Ok(())
        }
    });
    if let Err(e) = result {
        restore();
        return Err(e);
    }
    Ok(())
}

/// What [`suspend`] turned off, for [`resume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspended {
    mouse: bool,
}

/// Leaves console mode for another program (`$EDITOR`); `None` when the
/// console was not in control of the terminal (tests).
pub fn suspend() -> Option<Suspended> {
    if !ACTIVE.load(Ordering::SeqCst) {
        return None;
    }
    let mouse = MOUSE.load(Ordering::SeqCst);
    restore();
    Some(Suspended { mouse })
}

/// Enters console mode again after [`suspend`].
pub fn resume(s: Suspended) -> io::Result<()> {
    activate(s.mouse)
}

/// Takes console mode again when it is meant to be on: after a stop the
/// console did not ask for (`kill -STOP`, then `fg`) the shell has put the
/// terminal back to cooked mode. Harmless when nothing changed.
pub fn reassert() -> io::Result<()> {
    if !ACTIVE.load(Ordering::SeqCst) {
        return Ok(());
    }
    activate(MOUSE.load(Ordering::SeqCst))
}

/// Whether a shell with job control started the console, so that stopping
/// gives the terminal back to it and `fg` resumes (the console runs in a
/// process group of its own inside the shell's session). Started straight by
/// sshd, `tmux new-session 'elogii-tui'` or `sh -c`, a stop would leave the
/// terminal hanging: the answer then says so.
#[cfg(unix)]
pub fn job_control() -> Result<(), String> {
    // Raw numbers, not rustix's non-zero `Pid`: inside a container the
    // kernel answers 0 for a session or group whose leader lives outside
    // this PID namespace, and that must read as "unknown", not crash.
    // SAFETY: these calls take and return plain integers and touch no memory.
    let (parent, my_session, my_group) =
        unsafe { (libc::getppid(), libc::getsid(0), libc::getpgrp()) };
    let (their_session, their_group) = if parent > 0 {
        // SAFETY: as above.
        unsafe { (libc::getsid(parent), libc::getpgid(parent)) }
    } else {
        (-1, -1)
    };
    let ids = ProcessIds {
        my_session,
        my_group,
        their_session,
        their_group,
    };
    if ids.shell_can_take_back() {
        Ok(())
    } else {
        Err("Ctrl-z needs a shell to return to (this console was not started from one with job control); q quits".into())
    }
}

/// The session and process group of this process and of its parent, as the
/// kernel gives them: -1 for an error, 0 for one outside this PID namespace.
#[derive(Debug, Clone, Copy)]
struct ProcessIds {
    my_session: i32,
    my_group: i32,
    their_session: i32,
    their_group: i32,
}

impl ProcessIds {
    /// The parent is a job-control shell in the same session and the console
    /// is a job of its own; an id that is not known never counts as a match.
    fn shell_can_take_back(self) -> bool {
        let known = |id: i32| id > 0;
        let same_session = known(self.my_session)
            && known(self.their_session)
            && self.their_session == self.my_session;
        let own_group =
            known(self.my_group) && known(self.their_group) && self.their_group != self.my_group;
        same_session && own_group
    }
}

/// Stops this process until it is continued (SIGCONT, the shell's `fg`).
#[cfg(unix)]
pub fn stop_self() -> io::Result<()> {
    // SAFETY: `kill` on our own pid with a constant signal touches no memory.
    if unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[derive(Default)]
struct PauseState {
    inner: Option<EventStream>,
    paused: bool,
    waker: Option<Waker>,
}

/// The terminal's key stream, which can be paused: while paused nothing reads
/// the terminal (crossterm's reader thread is stopped), so a program run in
/// the foreground gets every key.
pub struct PausableEvents(Arc<Mutex<PauseState>>);

/// Pauses and resumes a [`PausableEvents`].
#[derive(Clone)]
pub struct InputPause(Arc<Mutex<PauseState>>);

impl std::fmt::Debug for InputPause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InputPause")
    }
}

/// The terminal's events and their pause switch.
pub fn pausable_events() -> (PausableEvents, InputPause) {
    let state = Arc::new(Mutex::new(PauseState::default()));
    (PausableEvents(state.clone()), InputPause(state))
}

impl InputPause {
    /// Stops reading the terminal (the reader is dropped).
    pub fn pause(&self) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.paused = true;
        s.inner = None;
    }

    /// Reads the terminal again.
    pub fn resume(&self) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.paused = false;
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    }
}

impl Stream for PausableEvents {
    type Item = io::Result<Event>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if s.paused {
            s.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let inner = s.inner.get_or_insert_with(EventStream::new);
        Pin::new(inner).poll_next(cx)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves console mode if it is on (safe to call any number of times, from
/// any thread). Errors are ignored: the terminal may already be gone (SIGHUP).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal before the panic message is printed, then exits
/// (a panic in a background task must not leave a half-working console).
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let was_active = ACTIVE.load(Ordering::SeqCst);
        restore();
        previous(info);
        if was_active {
            std::process::exit(101);
        }
    }));
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ABC[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal the
/// user sits at (works over SSH; tmux needs `set-clipboard on`). The text is
/// base64, so nothing in it can act as a terminal command.
pub fn osc52(text: &str) -> String {
    format!("\u{1b}]52;c;{}\u{7}", base64(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn osc52_carries_only_base64() {
        let s = osc52("Acme\u{1b}[2J");
        assert!(s.starts_with("\u{1b}]52;c;") && s.ends_with('\u{7}'));
        let body = &s[7..s.len() - 1];
        assert!(
            body.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
        );
    }

    #[test]
    fn job_control_needs_a_known_shared_session_and_a_group_of_its_own() {
        let shell = ProcessIds {
            my_session: 100,
            my_group: 120,
            their_session: 100,
            their_group: 100,
        };
        assert!(shell.shell_can_take_back());
        // Same group as the parent: `sh -c` or a script without job control.
        assert!(
            !ProcessIds {
                my_group: 100,
                ..shell
            }
            .shell_can_take_back()
        );
        // Started in a session of its own (sshd, tmux new-session, a pty).
        assert!(
            !ProcessIds {
                my_session: 120,
                ..shell
            }
            .shell_can_take_back()
        );
        // A container: the parent's session leader is outside this PID
        // namespace, so the kernel answers 0 for both sides.
        let hidden = ProcessIds {
            my_session: 0,
            their_session: 0,
            ..shell
        };
        assert!(!hidden.shell_can_take_back());
        assert!(
            !ProcessIds {
                their_group: -1,
                ..shell
            }
            .shell_can_take_back()
        );
    }

    #[cfg(unix)]
    #[test]
    fn job_control_answers_for_the_test_process_without_panicking() {
        // Whatever runs the tests (a shell, CI in a container), this only
        // has to answer; the reason names the way out.
        if let Err(reason) = job_control() {
            assert!(reason.contains("q quits"));
        }
    }

    #[test]
    fn restore_without_enter_does_nothing() {
        restore();
        restore();
        assert!(!ACTIVE.load(Ordering::SeqCst));
    }
}
