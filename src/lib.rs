//! elogii-tui: a keyboard-driven terminal console for eLogii dispatchers.

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod sandbox;
pub mod terminal;
pub mod view;
