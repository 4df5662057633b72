//! The console over the demo data of a fixed weekday (Monday 2026-12-07),
//! driven through `update`: loads are answered from the seed as the emulator
//! would, derives run at once, journal commands run against an in-memory
//! journal with the effects' own function. No terminal, no network. Shared
//! by the test files that include it (`#[path = "common/demo_rig.rs"]`).
#![allow(dead_code)]

use elogii_tui::api::types::{Customer, Location, Route, Task};
use elogii_tui::app::effects::{derive_now, run_journal_op};
use elogii_tui::app::model::{Model, Screen, TopView};
use elogii_tui::app::msg::{Action, Cmd, EditKey, JournalOp, LineEdit, LoadKind, Msg};
use elogii_tui::app::run::model_for;
use elogii_tui::app::update::{start, update};
use elogii_tui::config::UiConfig;
use elogii_tui::sandbox::seed::{SeedData, demo};
use elogii_tui::sync::journal::Journal;
use elogii_tui::view;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub const DAY: Date = date(2026, 12, 7);
pub const ORIGIN: &str = "http://127.0.0.1:9";

pub fn t0() -> Timestamp {
    Timestamp::from_second(1_796_637_600).unwrap() // 2026-12-07 10:00 UTC
}

pub struct Rig {
    pub m: Model,
    pub seed: SeedData,
    pub j: Journal,
}

impl Rig {
    pub fn new(read_only: bool) -> Rig {
        let mut m = model_for(
            "demo".into(),
            &UiConfig::default(),
            vec![],
            read_only,
            DAY,
            false,
        );
        update(&mut m, Msg::Resize(120, 40));
        let mut rig = Rig {
            m,
            seed: demo(DAY).unwrap(),
            j: Journal::open_in_memory().unwrap(),
        };
        let cmds = start(&mut rig.m);
        rig.run(cmds);
        rig.run(vec![Cmd::Journal {
            op: 0,
            action: JournalOp::Reload { banner: false },
        }]);
        update(&mut rig.m, Msg::Tick(t0()));
        rig
    }

    /// Performs commands as the effects would: loads from the seed, derives
    /// at once, journal operations in memory. Returns the other commands.
    pub fn run(&mut self, cmds: Vec<Cmd>) -> Vec<Cmd> {
        let mut rest = Vec::new();
        for c in cmds {
            let more = match c {
                Cmd::Load { req, kind, date } => self.load(req, kind, date),
                Cmd::Journal { op, action } => {
                    let reply = run_journal_op(&self.j, ORIGIN, op, action);
                    update(&mut self.m, Msg::Journal(reply))
                }
                c @ Cmd::Derive { .. } => match derive_now(&c) {
                    Some(msg) => update(&mut self.m, msg),
                    None => Vec::new(),
                },
                other => {
                    rest.push(other);
                    Vec::new()
                }
            };
            rest.extend(self.run(more));
        }
        rest
    }

    pub fn load(&mut self, req: u64, kind: LoadKind, date: Option<Date>) -> Vec<Cmd> {
        let number = date.map(|d| {
            i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
        });
        let on_day = |v: &serde_json::Value| v["date"].as_i64() == number;
        let mut cmds = Vec::new();
        let total = match kind {
            LoadKind::Customers => {
                let page: Vec<Customer> = self
                    .seed
                    .customers
                    .iter()
                    .map(|v| serde_json::from_value(v.clone()).unwrap())
                    .collect();
                let n = page.len();
                cmds.extend(update(&mut self.m, Msg::CustomersPage { req, page }));
                n
            }
            LoadKind::Tasks => {
                let page: Vec<Task> = self
                    .seed
                    .tasks
                    .iter()
                    .filter(|v| on_day(v))
                    .map(|v| serde_json::from_value(v.clone()).unwrap())
                    .collect();
                let n = page.len();
                cmds.extend(update(&mut self.m, Msg::TasksPage { req, page }));
                n
            }
            LoadKind::Routes => {
                let page: Vec<Route> = self
                    .seed
                    .routes
                    .iter()
                    .filter(|v| on_day(v))
                    .map(|v| serde_json::from_value(v.clone()).unwrap())
                    .collect();
                let n = page.len();
                cmds.extend(update(&mut self.m, Msg::RoutesPage { req, page }));
                n
            }
            LoadKind::Depots => {
                let page: Vec<Location> = self
                    .seed
                    .depots
                    .iter()
                    .map(|v| serde_json::from_value(v.clone()).unwrap())
                    .collect();
                let n = page.len();
                cmds.extend(update(&mut self.m, Msg::DepotsPage { req, page }));
                n
            }
        };
        cmds.extend(update(
            &mut self.m,
            Msg::Loaded {
                req,
                total,
                at: t0(),
            },
        ));
        cmds
    }

    pub fn act(&mut self, a: Action) -> Vec<Cmd> {
        let cmds = update(&mut self.m, Msg::Action(a));
        self.run(cmds)
    }

    pub fn command(&mut self, text: &str) -> Vec<Cmd> {
        let mut cmds = update(&mut self.m, Msg::Action(Action::Command));
        for c in text.chars() {
            cmds.extend(update(&mut self.m, Msg::Edit(LineEdit::Insert(c))));
        }
        cmds.extend(update(&mut self.m, Msg::Edit(LineEdit::Submit)));
        self.run(cmds)
    }

    pub fn routes(&mut self) {
        self.command("routes");
        assert_eq!(self.m.top, TopView::Routes);
        assert_eq!(self.m.routes.recs.len(), 12, "a weekday has twelve routes");
    }

    /// Uids of the routes view's rows, in display order.
    pub fn route_rows(&self) -> Vec<String> {
        self.m
            .routes_table
            .rows
            .iter()
            .map(|&i| self.m.routes.recs[i as usize].uid.clone())
            .collect()
    }

    pub fn status(&self) -> String {
        self.m
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }

    pub fn screen_text(&mut self, w: u16, h: u16) -> String {
        render(&mut self.m, w, h).backend().to_string()
    }

    /// Opens the editor on the current cell, replaces its text and stages it.
    pub fn stage(&mut self, text: &str) -> Vec<Cmd> {
        let mut cmds = update(&mut self.m, Msg::Action(Action::Edit));
        cmds.extend(update(&mut self.m, Msg::Editor(EditKey::Clear)));
        cmds.extend(update(&mut self.m, Msg::Paste(text.into())));
        cmds.extend(update(&mut self.m, Msg::Editor(EditKey::Submit)));
        self.run(cmds)
    }

    /// Opens the route with the most late stops (sorted by the Late column).
    pub fn open_latest_route(&mut self) -> String {
        self.routes();
        for _ in 0..view::routes::LATE_COL {
            self.act(Action::Right);
        }
        self.act(Action::SortDesc);
        self.act(Action::Top);
        self.act(Action::Open);
        match self.m.screen() {
            Some(Screen::Route { uid, .. }) => uid.clone(),
            other => panic!("{other:?}"),
        }
    }
}

pub fn render(m: &mut Model, w: u16, h: u16) -> Terminal<TestBackend> {
    update(m, Msg::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::view(m, f)).unwrap();
    term
}
