//! elogii-tui: a keyboard-driven terminal console for eLogii dispatchers.

pub mod api;
pub mod app;
pub mod config;
pub mod demo;
pub mod domain;
pub mod export;
pub mod headless;
pub mod sandbox;
pub mod sync;
pub mod terminal;
pub mod view;
