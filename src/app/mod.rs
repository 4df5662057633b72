//! The interactive console: an Elm-style loop (design.md §1).
//!
//! * [`model`]: everything the screen shows; [`msg`]: what can happen;
//! * [`update`]: `update(&mut Model, Msg) -> Vec<Cmd>`, pure (no I/O, no clock);
//! * [`keymap`]: raw keys → intent messages, remappable from the config file;
//! * [`table`] and [`data`]: rows, lazy cells, filter and sort;
//! * [`edit`]: editable cells, the inline editor and forms, staging, the
//!   staged list, sending;
//! * [`effects`]: the one place a [`msg::Cmd`] touches the network or a thread;
//! * [`run`]: the loop, generic over the backend and the input stream.

pub mod data;
pub mod edit;
pub mod effects;
pub mod keymap;
pub mod late;
pub mod model;
pub mod msg;
pub mod run;
pub mod table;
pub mod update;

pub use model::Model;
pub use msg::{Cmd, Msg};
pub use update::update;
