//! The eLogii API: serde models, the HTTP client and its errors.

pub mod client;
pub mod error;
pub mod field;
pub mod retry;
pub mod types;
