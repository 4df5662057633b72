//! The local eLogii emulator (`elogii-tui sandbox`, and `--demo`).

pub mod faults;
pub mod ids;
pub mod query;
pub mod seed;
pub mod server;
pub mod store;
