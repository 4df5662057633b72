//! Is a stop on time? The arithmetic of a planned ETA against time windows.
//!
//! Every time here is minutes on the **route's timeline**: minutes from
//! midnight at the start of the route's date. An ETA may exceed 1440 (a route
//! that runs past midnight); a window's end may reach 2880 (a window that runs
//! into the next day, eLogii's convention, elogii-api.md §3.2).
//!
//! Which windows a stop must meet ([`stop_windows`]):
//!
//! * the task's own `timeWindows` when it has any;
//! * otherwise the location's weekly schedule: the windows of the route's
//!   weekday, the part of the previous day's windows that runs past midnight,
//!   and, when the ETA is after midnight (≥ 1440), the next day's windows too;
//! * no windows at all: no verdict ([`Verdict::NoWindow`]).
//!
//! The verdict ([`judge`]): inside a window is on time (and *at risk* when the
//! window closes within the margin, [`DEFAULT_AT_RISK_MARGIN`] by default);
//! before the first window is early (the driver waits); after a window and
//! before the next is between windows (the driver waits for the next one);
//! after the last window is late.

use crate::domain::schedule::{MINUTES_PER_DAY, WeekHours, Weekday};

/// Minutes before a window closes inside which an on-time stop is at risk.
pub const DEFAULT_AT_RISK_MARGIN: i64 = 10;

/// How a planned ETA stands against the windows of its stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No window applies: nothing to judge.
    NoWindow,
    /// Inside a window that closes `slack` minutes after the ETA.
    OnTime {
        /// Minutes left before the window closes.
        slack: i64,
    },
    /// Inside a window, but it closes fewer than the margin's minutes after the ETA.
    AtRisk {
        /// Minutes left before the window closes.
        slack: i64,
    },
    /// Before the first window opens: the driver waits `wait` minutes.
    Early {
        /// Minutes until the first window opens.
        wait: i64,
    },
    /// After a window closed, before the next opens: the driver waits for it.
    Between {
        /// Minutes since the previous window closed.
        after: i64,
        /// Minutes until the next window opens.
        wait: i64,
    },
    /// After the last window that could apply has closed.
    Late {
        /// Minutes after that window closed.
        by: i64,
    },
}

impl Verdict {
    /// True for [`Verdict::Late`].
    pub fn is_late(self) -> bool {
        matches!(self, Verdict::Late { .. })
    }

    /// True for [`Verdict::AtRisk`].
    pub fn is_at_risk(self) -> bool {
        matches!(self, Verdict::AtRisk { .. })
    }

    /// True when the driver waits for a window ([`Verdict::Early`] or [`Verdict::Between`]).
    pub fn is_waiting(self) -> bool {
        matches!(self, Verdict::Early { .. } | Verdict::Between { .. })
    }

    /// Minutes the driver waits for a window to open (0 unless waiting).
    pub fn wait(self) -> i64 {
        match self {
            Verdict::Early { wait } | Verdict::Between { wait, .. } => wait,
            _ => 0,
        }
    }

    /// Signed minutes for a column: negative when early or waiting, positive
    /// when late, `Some(0)` when on time or at risk, `None` without a window.
    pub fn offset(self) -> Option<i64> {
        match self {
            Verdict::NoWindow => None,
            Verdict::OnTime { .. } | Verdict::AtRisk { .. } => Some(0),
            Verdict::Early { wait } | Verdict::Between { wait, .. } => Some(-wait),
            Verdict::Late { by } => Some(by),
        }
    }

    /// Short text for a cell: `late 12`, `wait 25`, `risk 4`, `ok`, or empty.
    pub fn label(self) -> String {
        match self {
            Verdict::NoWindow => String::new(),
            Verdict::OnTime { .. } => "ok".to_string(),
            Verdict::AtRisk { slack } => format!("risk {slack}"),
            Verdict::Early { wait } | Verdict::Between { wait, .. } => format!("wait {wait}"),
            Verdict::Late { by } => format!("late {by}"),
        }
    }

    /// Sort key, larger is worse: late stops by minutes late, then at-risk
    /// stops by how little time is left, then everything else.
    pub fn severity(self) -> (u8, i64) {
        match self {
            Verdict::Late { by } => (2, by),
            Verdict::AtRisk { slack } => (1, -slack),
            _ => (0, 0),
        }
    }
}

/// Where the windows of a stop came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSource {
    /// The task's own `timeWindows`.
    Task,
    /// The location's weekly schedule (the task has no windows).
    Schedule,
    /// Neither gives a window.
    None,
}

/// A stop's verdict with the windows it was judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lateness {
    /// On time, early, between windows, late, or no verdict.
    pub verdict: Verdict,
    /// Where the windows came from.
    pub source: WindowSource,
    /// The window that decided: the one holding the ETA, the next to open
    /// (early or between), or the last to close (late). Route timeline.
    pub window: Option<(i64, i64)>,
    /// All windows that applied, merged and sorted, on the route timeline.
    pub windows: Vec<(i64, i64)>,
}

/// The windows a stop must meet, on the route's timeline, and where they
/// came from. `task` are the task's `timeWindows`; `schedule` the location's
/// weekly hours (used only when `task` has no usable window); `route_day` the
/// weekday of the route's date; `eta` the planned arrival.
pub fn stop_windows(
    task: &[(i64, i64)],
    schedule: Option<&WeekHours>,
    route_day: Weekday,
    eta: i64,
) -> (Vec<(i64, i64)>, WindowSource) {
    let own = merge(task);
    if !own.is_empty() {
        return (own, WindowSource::Task);
    }
    let Some(week) = schedule else {
        return (Vec::new(), WindowSource::None);
    };
    // Days of the route's timeline the ETA could fall on: the route's day and
    // every day up to the ETA's (a week at most either way).
    let eta_day = eta.div_euclid(MINUTES_PER_DAY).clamp(-7, 7);
    let (first, last) = (eta_day.min(0), eta_day.max(0));
    let mut windows = Vec::new();
    // The day before `first` reaches into it only with its past-midnight part.
    for &(start, end) in week.day(shift(route_day, first - 1)) {
        if end > MINUTES_PER_DAY {
            let offset = (first - 1) * MINUTES_PER_DAY;
            windows.push((start + offset, end + offset));
        }
    }
    for d in first..=last {
        let offset = d * MINUTES_PER_DAY;
        for &(start, end) in week.day(shift(route_day, d)) {
            windows.push((start + offset, end + offset));
        }
    }
    let windows = merge(&windows);
    if windows.is_empty() {
        (windows, WindowSource::None)
    } else {
        (windows, WindowSource::Schedule)
    }
}

/// The weekday `days` after (or before, when negative) `day`.
fn shift(day: Weekday, days: i64) -> Weekday {
    let i = (day.index() as i64 + days).rem_euclid(7) as usize;
    Weekday::from_index(i).unwrap_or(day)
}

/// Windows sorted by start, empty ones (end ≤ start) dropped, overlapping or
/// touching ones joined into one.
pub fn merge(windows: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut sorted: Vec<(i64, i64)> = windows.iter().copied().filter(|w| w.1 > w.0).collect();
    sorted.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(sorted.len());
    for (start, end) in sorted {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// The verdict of `eta` against `windows` (any order; merged first). A stop
/// arriving exactly when a window closes is on time (with no slack left).
/// It is at risk when fewer than `margin` minutes are left.
pub fn verdict(eta: i64, windows: &[(i64, i64)], margin: i64) -> (Verdict, Option<(i64, i64)>) {
    let windows = merge(windows);
    let (Some(&first), Some(&last)) = (windows.first(), windows.last()) else {
        return (Verdict::NoWindow, None);
    };
    if let Some(&w) = windows.iter().find(|w| w.0 <= eta && eta <= w.1) {
        let slack = w.1 - eta;
        let v = if slack < margin {
            Verdict::AtRisk { slack }
        } else {
            Verdict::OnTime { slack }
        };
        return (v, Some(w));
    }
    if eta < first.0 {
        return (
            Verdict::Early {
                wait: first.0 - eta,
            },
            Some(first),
        );
    }
    if eta > last.1 {
        return (Verdict::Late { by: eta - last.1 }, Some(last));
    }
    // Not inside, not before the first, not after the last: between two.
    let next = windows.iter().copied().find(|w| w.0 > eta).unwrap_or(last);
    let prev = windows
        .iter()
        .copied()
        .rev()
        .find(|w| w.1 < eta)
        .unwrap_or(first);
    (
        Verdict::Between {
            after: eta - prev.1,
            wait: next.0 - eta,
        },
        Some(next),
    )
}

/// Judges a stop: its windows by [`stop_windows`], its verdict by [`verdict`].
pub fn judge(
    eta: i64,
    task: &[(i64, i64)],
    schedule: Option<&WeekHours>,
    route_day: Weekday,
    margin: i64,
) -> Lateness {
    let (windows, source) = stop_windows(task, schedule, route_day, eta);
    let (verdict, window) = verdict(eta, &windows, margin);
    Lateness {
        verdict,
        source,
        window,
        windows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::parse_week_line;

    const M: i64 = DEFAULT_AT_RISK_MARGIN;

    fn hm(h: i64, m: i64) -> i64 {
        h * 60 + m
    }

    #[test]
    fn inside_before_after_and_at_the_edges() {
        let w = [(hm(9, 0), hm(17, 0))];
        assert_eq!(verdict(hm(12, 0), &w, M).0, Verdict::OnTime { slack: 300 });
        assert_eq!(verdict(hm(9, 0), &w, M).0, Verdict::OnTime { slack: 480 });
        // Closing time itself is still on time, with nothing left.
        assert_eq!(verdict(hm(17, 0), &w, M).0, Verdict::AtRisk { slack: 0 });
        assert_eq!(verdict(hm(16, 51), &w, M).0, Verdict::AtRisk { slack: 9 });
        assert_eq!(verdict(hm(16, 50), &w, M).0, Verdict::OnTime { slack: 10 });
        assert_eq!(verdict(hm(8, 35), &w, M).0, Verdict::Early { wait: 25 });
        let (v, win) = verdict(hm(17, 12), &w, M);
        assert_eq!(v, Verdict::Late { by: 12 });
        assert_eq!(win, Some(w[0]));
        // A zero margin never flags at risk.
        assert_eq!(verdict(hm(17, 0), &w, 0).0, Verdict::OnTime { slack: 0 });
    }

    #[test]
    fn several_windows_a_stop() {
        // A pharmacy closed for lunch, given out of order.
        let w = [(hm(14, 0), hm(18, 0)), (hm(9, 0), hm(13, 0))];
        assert_eq!(verdict(hm(10, 0), &w, M).0, Verdict::OnTime { slack: 180 });
        let (v, win) = verdict(hm(13, 20), &w, M);
        assert_eq!(
            v,
            Verdict::Between {
                after: 20,
                wait: 40
            }
        );
        assert_eq!(win, Some((hm(14, 0), hm(18, 0))));
        assert!(v.is_waiting() && !v.is_late());
        assert_eq!(v.wait(), 40);
        assert_eq!(v.offset(), Some(-40));
        assert_eq!(verdict(hm(12, 55), &w, M).0, Verdict::AtRisk { slack: 5 });
        assert_eq!(verdict(hm(18, 30), &w, M).0, Verdict::Late { by: 30 });
        assert_eq!(verdict(hm(8, 0), &w, M).0, Verdict::Early { wait: 60 });
        // Touching windows are one: no false "at risk" at the seam.
        let touching = [(hm(9, 0), hm(12, 0)), (hm(12, 0), hm(17, 0))];
        assert_eq!(
            verdict(hm(11, 58), &touching, M).0,
            Verdict::OnTime { slack: 302 }
        );
        // Three windows: between the second and the third.
        let three = [(540, 600), (660, 720), (900, 960)];
        assert_eq!(
            verdict(800, &three, M).0,
            Verdict::Between {
                after: 80,
                wait: 100
            }
        );
    }

    #[test]
    fn windows_past_midnight() {
        // A late-night takeaway open 18:00 until 02:00 the next morning.
        let w = [(hm(18, 0), 1440 + hm(2, 0))];
        assert_eq!(verdict(hm(23, 30), &w, M).0, Verdict::OnTime { slack: 150 });
        assert_eq!(
            verdict(1440 + hm(1, 55), &w, M).0,
            Verdict::AtRisk { slack: 5 }
        );
        assert_eq!(verdict(1440 + hm(2, 30), &w, M).0, Verdict::Late { by: 30 });
        // The same window as a schedule: the previous day's part past
        // midnight covers an early-morning ETA on the route's own day.
        let week = parse_week_line("Mo-Su 18:00-02:00").unwrap();
        let l = judge(hm(0, 45), &[], Some(&week), Weekday::Tue, M);
        assert_eq!(l.source, WindowSource::Schedule);
        assert_eq!(l.verdict, Verdict::OnTime { slack: 75 });
        assert_eq!(l.window, Some((hm(18, 0) - 1440, hm(2, 0))));
        // At 03:00 the night window has closed and the evening one is ahead.
        let l = judge(hm(3, 0), &[], Some(&week), Weekday::Tue, M);
        assert_eq!(
            l.verdict,
            Verdict::Between {
                after: 60,
                wait: 900
            }
        );
    }

    #[test]
    fn a_stop_with_no_window_uses_the_schedule_for_that_weekday() {
        let week = parse_week_line("Mo-Fr 09:00-17:30; Sa 10:00-12:00; Su off").unwrap();
        // Task windows win when present.
        let l = judge(
            hm(11, 0),
            &[(hm(8, 0), hm(10, 0))],
            Some(&week),
            Weekday::Sat,
            M,
        );
        assert_eq!(l.source, WindowSource::Task);
        assert_eq!(l.verdict, Verdict::Late { by: 60 });
        // No task windows: Saturday's hours.
        let l = judge(hm(11, 0), &[], Some(&week), Weekday::Sat, M);
        assert_eq!(l.source, WindowSource::Schedule);
        assert_eq!(l.verdict, Verdict::OnTime { slack: 60 });
        assert_eq!(l.windows, vec![(hm(10, 0), hm(12, 0))]);
        // The same time on a weekday is inside the long weekday window.
        let l = judge(hm(11, 0), &[], Some(&week), Weekday::Wed, M);
        assert_eq!(l.verdict, Verdict::OnTime { slack: 390 });
        // Sunday is closed: nothing to judge against.
        let l = judge(hm(11, 0), &[], Some(&week), Weekday::Sun, M);
        assert_eq!(l.source, WindowSource::None);
        assert_eq!(l.verdict, Verdict::NoWindow);
        assert_eq!(l.verdict.offset(), None);
        // Neither task windows nor a schedule: no verdict either.
        let l = judge(hm(11, 0), &[], None, Weekday::Mon, M);
        assert_eq!(
            (l.verdict, l.source),
            (Verdict::NoWindow, WindowSource::None)
        );
        // Empty task windows (end before start) fall back to the schedule.
        let l = judge(hm(11, 0), &[(600, 600)], Some(&week), Weekday::Mon, M);
        assert_eq!(l.source, WindowSource::Schedule);
    }

    #[test]
    fn a_route_crossing_midnight() {
        // A Friday night route: 23:40, then 00:20 and 01:10 on Saturday.
        let task_windows = [(hm(22, 0), 1440 + hm(1, 0))];
        assert_eq!(
            verdict(hm(23, 40), &task_windows, M).0,
            Verdict::OnTime { slack: 80 }
        );
        assert_eq!(
            verdict(1440 + hm(0, 20), &task_windows, M).0,
            Verdict::OnTime { slack: 40 }
        );
        assert_eq!(
            verdict(1440 + hm(1, 10), &task_windows, M).0,
            Verdict::Late { by: 10 }
        );
        // From a schedule: Friday's night window, then Saturday's own hours
        // once the ETA is past midnight.
        let week = parse_week_line("Fr 20:00-01:00+1; Sa 06:00-10:00").unwrap();
        let l = judge(1440 + hm(0, 55), &[], Some(&week), Weekday::Fri, M);
        assert_eq!(l.verdict, Verdict::AtRisk { slack: 5 });
        let l = judge(1440 + hm(5, 0), &[], Some(&week), Weekday::Fri, M);
        assert_eq!(
            l.verdict,
            Verdict::Between {
                after: 240,
                wait: 60
            }
        );
        assert_eq!(l.window, Some((1440 + hm(6, 0), 1440 + hm(10, 0))));
        let l = judge(1440 + hm(10, 30), &[], Some(&week), Weekday::Fri, M);
        assert_eq!(l.verdict, Verdict::Late { by: 30 });
        // Before midnight Saturday's hours do not apply: late, not "waiting
        // for tomorrow".
        let week = parse_week_line("Fr 09:00-17:00; Sa 09:00-17:00").unwrap();
        let l = judge(hm(18, 0), &[], Some(&week), Weekday::Fri, M);
        assert_eq!(l.verdict, Verdict::Late { by: 60 });
        // Sunday night into Monday wraps the week.
        let week = parse_week_line("Su 22:00-02:00+1; Mo 09:00-12:00").unwrap();
        let l = judge(1440 + hm(1, 0), &[], Some(&week), Weekday::Sun, M);
        assert_eq!(l.verdict, Verdict::OnTime { slack: 60 });
        let l = judge(hm(1, 0), &[], Some(&week), Weekday::Mon, M);
        assert_eq!(l.verdict, Verdict::OnTime { slack: 60 });
    }

    #[test]
    fn labels_offsets_and_severity_order() {
        let late = Verdict::Late { by: 12 };
        let later = Verdict::Late { by: 40 };
        let risk = Verdict::AtRisk { slack: 3 };
        let risk_less = Verdict::AtRisk { slack: 9 };
        let early = Verdict::Early { wait: 25 };
        assert_eq!(late.label(), "late 12");
        assert_eq!(risk.label(), "risk 3");
        assert_eq!(early.label(), "wait 25");
        assert_eq!(Verdict::OnTime { slack: 50 }.label(), "ok");
        assert_eq!(Verdict::NoWindow.label(), "");
        assert_eq!(late.offset(), Some(12));
        assert_eq!(early.offset(), Some(-25));
        assert_eq!(risk.offset(), Some(0));
        let mut all = [early, risk_less, late, risk, later];
        all.sort_by_key(|v| std::cmp::Reverse(v.severity()));
        assert_eq!(all[..4], [later, late, risk, risk_less]);
        assert!(later.is_late() && risk.is_at_risk() && !early.is_late());
    }

    proptest::proptest! {
        /// Whatever the windows and the ETA, the verdict agrees with them.
        #[test]
        fn verdicts_agree_with_the_windows(
            raw in proptest::collection::vec((0i64..1440, 1i64..1440), 0..5),
            eta in -200i64..3000,
            margin in 0i64..30,
        ) {
            let windows: Vec<(i64, i64)> = raw.iter().map(|&(s, len)| (s, s + len)).collect();
            let merged = merge(&windows);
            let inside = merged.iter().find(|w| w.0 <= eta && eta <= w.1);
            let (v, w) = verdict(eta, &windows, margin);
            match v {
                Verdict::NoWindow => proptest::prop_assert!(merged.is_empty()),
                Verdict::OnTime { slack } | Verdict::AtRisk { slack } => {
                    let win = inside.copied();
                    proptest::prop_assert_eq!(w, win);
                    proptest::prop_assert_eq!(Some(slack), win.map(|x| x.1 - eta));
                    proptest::prop_assert_eq!(v.is_at_risk(), slack < margin);
                }
                Verdict::Early { wait } => {
                    proptest::prop_assert!(inside.is_none());
                    proptest::prop_assert_eq!(wait, merged[0].0 - eta);
                    proptest::prop_assert!(wait > 0);
                }
                Verdict::Late { by } => {
                    proptest::prop_assert!(merged.iter().all(|x| x.1 < eta));
                    proptest::prop_assert_eq!(by, eta - merged[merged.len() - 1].1);
                }
                Verdict::Between { after, wait } => {
                    proptest::prop_assert!(inside.is_none());
                    proptest::prop_assert!(after > 0 && wait > 0);
                    proptest::prop_assert!(merged.iter().any(|x| x.1 == eta - after));
                    proptest::prop_assert!(merged.iter().any(|x| x.0 == eta + wait));
                    proptest::prop_assert_eq!(w.map(|x| x.0), Some(eta + wait));
                }
            }
            // Merged windows are sorted, apart and non-empty.
            for pair in merged.windows(2) {
                proptest::prop_assert!(pair[0].1 < pair[1].0);
            }
            proptest::prop_assert!(merged.iter().all(|x| x.0 < x.1));
        }
    }

    #[test]
    fn merge_joins_and_drops() {
        assert_eq!(
            merge(&[(600, 700), (500, 650), (800, 800), (700, 720), (900, 850)]),
            vec![(500, 720)]
        );
        assert!(merge(&[]).is_empty());
    }
}
