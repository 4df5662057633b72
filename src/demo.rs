//! `--demo`: the emulator started in-process on an ephemeral loopback port,
//! seeded with real premises, reached over real HTTP like any eLogii host.

use std::hash::{BuildHasher, Hasher};

use secrecy::SecretString;

use crate::api::client::ClientConfig;
use crate::config::{Config, Connection};
use crate::sandbox;

/// Key the `sandbox` command accepts when none is given (printed at start).
pub const SANDBOX_DEFAULT_KEY: &str = "sandbox:000000000000000000000000:demo";

/// A running demo emulator and the connection to it.
pub struct Demo {
    /// Connection for the console (profile "demo").
    pub connection: Connection,
    /// The emulator; dropped with the demo.
    pub handle: sandbox::server::SandboxHandle,
}

impl Demo {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.connection.client.base_url
    }
}

/// Errors starting the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo data could not be loaded: {0}")]
    Seed(#[from] sandbox::seed::SeedError),
    #[error("the demo emulator could not start: {0}")]
    Server(#[from] sandbox::server::SandboxError),
}

/// Starts the emulator with the demo data on 127.0.0.1 with a fresh random key.
pub async fn start(today: jiff::civil::Date, config: &Config) -> Result<Demo, DemoError> {
    let seed = sandbox::seed::demo(today)?;
    let key = random_key();
    let store = sandbox::store::Store::open(seed, None)?;
    let server_config = sandbox::server::SandboxConfig::new(SecretString::from(key.clone()));
    let handle = sandbox::server::spawn_on_loopback(store, server_config).await?;
    let mut client = ClientConfig::new(
        format!("http://{}", handle.local_addr()),
        SecretString::from(key),
    );
    client.paths = config.paths.clone();
    Ok(Demo {
        connection: Connection {
            profile: "demo".to_string(),
            client,
            read_only: false,
        },
        handle,
    })
}

/// A key nobody else knows: 24 hex digits from the std library's random hasher seed.
fn random_key() -> String {
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        *p = h.finish();
    }
    format!(
        "demo:{:016x}{:08x}:{:016x}",
        parts[0], parts[1] as u32, parts[1]
    )
}
