//! The one place a [`Cmd`] touches the network or a thread. Results travel
//! back as [`Msg`]s tagged with the request id or job generation.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use crate::api::client::Client;
use crate::app::model::TableId;
use crate::app::msg::{Cmd, LoadKind, Msg};
use crate::app::table::derive_among;

/// Runs commands in the background and sends their results as messages.
pub struct Effects {
    client: Option<Client>,
    tx: UnboundedSender<Msg>,
    loads: HashMap<LoadKind, AbortHandle>,
    latest: HashMap<TableId, Arc<AtomicU64>>,
}

impl Effects {
    /// Effects talking to eLogii through `client` (`None`: every load fails).
    pub fn new(client: Option<Client>, tx: UnboundedSender<Msg>) -> Effects {
        Effects {
            client,
            tx,
            loads: HashMap::new(),
            latest: HashMap::new(),
        }
    }

    /// Starts a command. `Copy` and `Redraw` belong to the terminal and are
    /// handled by the loop; here they do nothing. Must run inside a tokio runtime.
    pub fn perform(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Load { req, kind, date } => self.load(req, kind, date),
            Cmd::Derive {
                table,
                generation,
                source,
                spec,
                candidates,
            } => {
                let latest = self
                    .latest
                    .entry(table)
                    .or_insert_with(|| Arc::new(AtomicU64::new(0)))
                    .clone();
                latest.store(generation, Ordering::SeqCst);
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let cancelled = || latest.load(Ordering::Relaxed) != generation;
                    if let Some(rows) =
                        derive_among(&*source, &spec, candidates.as_deref(), &cancelled)
                    {
                        let _ = tx.send(Msg::Derived {
                            table,
                            generation,
                            rows,
                            derived_from: source.len(),
                        });
                    }
                });
            }
            Cmd::Copy(_) | Cmd::Redraw => {}
        }
    }

    fn load(&mut self, req: u64, kind: LoadKind, date: Option<jiff::civil::Date>) {
        let tx = self.tx.clone();
        let Some(client) = self.client.clone() else {
            let _ = tx.send(Msg::LoadFailed {
                req,
                error: "there is no connection to eLogii".into(),
            });
            return;
        };
        let date = date.unwrap_or_else(|| jiff::Zoned::now().date());
        let task = tokio::spawn(async move {
            let result = match kind {
                LoadKind::Customers => {
                    client
                        .customers(|page| {
                            let _ = tx.send(Msg::CustomersPage { req, page });
                        })
                        .await
                }
                LoadKind::Tasks => {
                    client
                        .tasks(date, |page| {
                            let _ = tx.send(Msg::TasksPage { req, page });
                        })
                        .await
                }
                LoadKind::Routes => {
                    client
                        .routes(date, |page| {
                            let _ = tx.send(Msg::RoutesPage { req, page });
                        })
                        .await
                }
            };
            let msg = match result {
                Ok(total) => Msg::Loaded {
                    req,
                    total,
                    at: jiff::Timestamp::now(),
                },
                Err(e) => {
                    tracing::warn!(?kind, error = %e, "load failed");
                    Msg::LoadFailed {
                        req,
                        error: e.to_string(),
                    }
                }
            };
            let _ = tx.send(msg);
        });
        if let Some(old) = self.loads.insert(kind, task.abort_handle()) {
            old.abort();
        }
    }
}

impl Drop for Effects {
    fn drop(&mut self) {
        for h in self.loads.values() {
            h.abort();
        }
        for l in self.latest.values() {
            l.store(u64::MAX, Ordering::SeqCst);
        }
    }
}

/// Runs a `Derive` command at once on this thread and returns its result
/// message (for tests and benchmarks); other commands give `None`.
pub fn derive_now(cmd: &Cmd) -> Option<Msg> {
    match cmd {
        Cmd::Derive {
            table,
            generation,
            source,
            spec,
            candidates,
        } => derive_among(&**source, spec, candidates.as_deref(), &|| false).map(|rows| {
            Msg::Derived {
                table: *table,
                generation: *generation,
                rows,
                derived_from: source.len(),
            }
        }),
        _ => None,
    }
}
