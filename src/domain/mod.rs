//! Plain data and rules: schedules and time windows, sanitising text for the terminal.

pub mod dates;
pub mod edit;
pub mod lateness;
pub mod sanitize;
pub mod schedule;
pub mod validate;
