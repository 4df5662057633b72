//! A console model (120×40) with the emulator's customers loaded through
//! `update`, as the first load of a real start delivers them. Shared by the
//! in-process send tests (`#[path = "common/loaded_console.rs"]`).

use elogii_tui::api::types::Customer;
use elogii_tui::app::model::Model;
use elogii_tui::app::msg::{Cmd, LoadKind, Msg};
use elogii_tui::app::run::model_for;
use elogii_tui::app::update::{start, update};
use elogii_tui::config::UiConfig;
use jiff::Timestamp;
use serde_json::Value;

/// The console on `today` with `records` (the emulator's customers) loaded,
/// page by page of 100.
pub fn with_customers(today: jiff::civil::Date, records: &[Value]) -> Model {
    let mut m: Model = model_for(
        "test".into(),
        &UiConfig::default(),
        vec![],
        false,
        today,
        false,
    );
    update(&mut m, Msg::Resize(120, 40));
    let req = match start(&mut m).as_slice() {
        [
            Cmd::Load {
                req,
                kind: LoadKind::Customers,
                ..
            },
        ] => *req,
        other => panic!("{other:?}"),
    };
    for page in records.chunks(100) {
        let page: Vec<Customer> = page
            .iter()
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .collect();
        update(&mut m, Msg::CustomersPage { req, page });
    }
    update(
        &mut m,
        Msg::Loaded {
            req,
            total: records.len(),
            at: Timestamp::now(),
        },
    );
    m
}
