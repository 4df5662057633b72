//! The emulator's HTTP side: eLogii-shaped routes over the [`Store`], API-key auth,
//! fault injection and the `/_sandbox/*` admin routes, served with hyper so a
//! "drop" fault can close a connection without any response.
//!
//! Routes (all JSON; errors are `{"message": "..."}`):
//! * `GET /customers|/tasks|/routes|/drivers|/depots` — bare arrays, query language of
//!   [`super::query`]; `GET /<collection>/{id}` by `_id` or `uid`.
//! * `POST /<customers|tasks|drivers|depots>/createMany|updateMany|removeMany` —
//!   `{result, ids, errors:[{index, message}], items?}`.
//! * `POST /tasks` (one task), `PUT /tasks/{id}`, `PUT /tasks?uid=`, `DELETE /tasks?uid=`,
//!   `DELETE /tasks/{id}`.
//! * `POST /routes/lock`, `POST /routes/unlock` with `{"ids": [...]}`.
//! * `GET|PUT /_sandbox/faults`, `GET|DELETE /_sandbox/stats` (same key, never faulted).
//!
//! Faults apply per request, in this order: latency, drop, 429, 503. The `reject-field`
//! fault applies to bulk `createMany`/`updateMany` items only, not to `POST`/`PUT /tasks`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use futures_util::{FutureExt, StreamExt};
use hyper_util::rt::{TokioIo, TokioTimer};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::faults::{Faults, FaultsHandle, Outcome};
use super::query::{parse_query, url_decode};
use super::store::{BulkOutcome, Kind, Persistence, Store, StoreError, WriteError, WriteOptions};

/// Largest request body accepted (larger ones get 413).
pub const DEFAULT_BODY_LIMIT: usize = 32 * 1024 * 1024;
/// How long shutdown waits for open requests before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
const UNAUTHORIZED: &str = "Unauthorized: missing or invalid API key";

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The key clients must send (`Authorization: ApiKey <key>` or the bare key).
    pub api_key: SecretString,
    /// Faults to start with (changeable later through the handle or `/_sandbox/faults`).
    pub faults: Faults,
    /// Where to save the state after every write; `None` keeps it in memory only.
    pub state_file: Option<PathBuf>,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
}

impl SandboxConfig {
    /// A config with this key, no faults, no state file.
    pub fn new(api_key: SecretString) -> Self {
        Self {
            api_key,
            faults: Faults::default(),
            state_file: None,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// With these faults.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// With (or without) a state file.
    pub fn with_state_file(mut self, state_file: Option<PathBuf>) -> Self {
        self.state_file = state_file;
        self
    }

    /// With another body size limit.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Binding or inspecting the socket failed.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    /// Loading or saving the data failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The seed data could not be built.
    #[error(transparent)]
    Seed(#[from] super::seed::SeedError),
}

impl Store {
    /// The store to serve: the `state_file` when given and present, else `seed`.
    pub fn open(
        seed: super::seed::SeedData,
        state_file: Option<&std::path::Path>,
    ) -> Result<Store, SandboxError> {
        match state_file {
            Some(path) if path.exists() => Ok(Store::load(path)?),
            _ => Ok(Store::from_seed(seed)?),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request statistics

#[derive(Debug, Default)]
struct StatsInner {
    requests: BTreeMap<String, u64>,
    writes: u64,
    written_items: u64,
    dropped: u64,
    rate_limited: u64,
    unavailable: u64,
}

/// Counts requests (per method and route) and applied writes.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<StatsInner>,
}

/// A copy of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests received per `"METHOD /route"` (ids shown as `{id}`), faulted ones included.
    pub requests: BTreeMap<String, u64>,
    /// Requests that changed the data.
    pub writes: u64,
    /// Entities created, changed or removed by them.
    pub written_items: u64,
    /// Connections dropped by the drop fault.
    pub dropped: u64,
    /// Requests answered 429 by the fault.
    pub rate_limited: u64,
    /// Requests answered 503 by the fault.
    pub unavailable: u64,
}

impl StatsSnapshot {
    /// Requests counted for one `"METHOD /route"`.
    pub fn count(&self, key: &str) -> u64 {
        self.requests.get(key).copied().unwrap_or(0)
    }

    /// All requests counted.
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Requests with a method other than GET (reads).
    pub fn non_get(&self) -> u64 {
        self.requests
            .iter()
            .filter(|(k, _)| !k.starts_with("GET "))
            .map(|(_, v)| v)
            .sum()
    }

    /// The JSON of `GET /_sandbox/stats`.
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "total": self.total(),
            "writes": self.writes,
            "writtenItems": self.written_items,
            "faults": {
                "dropped": self.dropped,
                "rateLimited": self.rate_limited,
                "unavailable": self.unavailable,
            },
        })
    }
}

impl Stats {
    fn lock(&self) -> MutexGuard<'_, StatsInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn count_request(&self, method: &Method, path: &str) {
        let key = route_key(method, path);
        *self.lock().requests.entry(key).or_insert(0) += 1;
    }

    fn count_write(&self, items: usize) {
        let mut s = self.lock();
        s.writes += 1;
        s.written_items += items as u64;
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let s = self.lock();
        StatsSnapshot {
            requests: s.requests.clone(),
            writes: s.writes,
            written_items: s.written_items,
            dropped: s.dropped,
            rate_limited: s.rate_limited,
            unavailable: s.unavailable,
        }
    }

    /// Sets every counter to zero.
    pub fn reset(&self) {
        *self.lock() = StatsInner::default();
    }
}

/// `"GET /customers/{id}"` style key; unknown paths collapse to `/*` so the map stays small.
fn route_key(method: &Method, path: &str) -> String {
    let method = match *method {
        Method::GET
        | Method::POST
        | Method::PUT
        | Method::DELETE
        | Method::PATCH
        | Method::HEAD
        | Method::OPTIONS => method.as_str(),
        _ => "OTHER",
    };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let known = |s: &str| Kind::from_name(s).is_some();
    let route = match segments.as_slice() {
        [c] if known(c) => format!("/{c}"),
        [c, a]
            if known(c)
                && matches!(
                    *a,
                    "createMany" | "updateMany" | "removeMany" | "lock" | "unlock"
                ) =>
        {
            format!("/{c}/{a}")
        }
        [c, _] if known(c) => format!("/{c}/{{id}}"),
        ["_sandbox", a] if matches!(*a, "faults" | "stats") => format!("/_sandbox/{a}"),
        _ => "/*".to_owned(),
    };
    format!("{method} {route}")
}

// ---------------------------------------------------------------------------------------------
// Errors and bodies

/// An error answer: status plus `{"message": ...}`.
#[derive(Debug, Clone)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        message_response(self.status, &self.message)
    }
}

fn message_response(status: StatusCode, message: &str) -> axum::response::Response {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            WriteError::Invalid(m) => ApiError::bad_request(m),
        }
    }
}

type ApiResult = Result<axum::response::Response, ApiError>;

async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("Could not read the body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

async fn read_json(body: Body, headers: &HeaderMap, limit: usize) -> Result<Value, ApiError> {
    let bytes = read_body(body, headers, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("Body must be JSON, got nothing"));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("Body is not valid JSON: {e}")))
}

/// One parameter of the raw query string, decoded.
fn query_param(uri: &Uri, name: &str) -> Result<Option<String>, ApiError> {
    let Some(raw) = uri.query() else {
        return Ok(None);
    };
    for piece in raw.split('&') {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        let k = url_decode(k, name).map_err(|e| ApiError::bad_request(e.to_string()))?;
        if k == name {
            let v = url_decode(v, name).map_err(|e| ApiError::bad_request(e.to_string()))?;
            return Ok(Some(v));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// Handlers

#[derive(Clone)]
struct AppState {
    store: Store,
    persistence: Option<Arc<Persistence>>,
    faults: FaultsHandle,
    stats: Arc<Stats>,
    body_limit: usize,
}

impl AppState {
    /// Counts a write and waits until it is on disk (when saving to a file).
    async fn commit(&self, version: u64, items: usize) -> Result<(), ApiError> {
        if items == 0 {
            return Ok(());
        }
        self.stats.count_write(items);
        if let Some(p) = &self.persistence {
            p.durable(version).await.map_err(|e| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("The change was applied but could not be saved: {e}"),
                )
            })?;
        }
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "sandbox worker failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
    })
}

async fn list(state: AppState, kind: Kind, uri: Uri) -> ApiResult {
    let query = parse_query(uri.query()).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let docs = state.store.docs(kind);
    let bytes = blocking(move || {
        let found = query.run(docs.iter().map(|d| d.as_ref()));
        serde_json::to_vec(&found)
    })
    .await?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response())
}

fn path_id(
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|e| ApiError::bad_request(format!("Bad id in path: {e}")))
}

async fn get_one(state: AppState, kind: Kind, id: String) -> ApiResult {
    state
        .store
        .get(kind, &id)
        .map(|doc| axum::Json(doc).into_response())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{} {id} cannot be found", kind.singular()),
            )
        })
}

#[derive(Debug, Clone, Copy)]
enum BulkOp {
    Create,
    Update,
    Remove,
}

async fn bulk(
    state: AppState,
    kind: Kind,
    op: BulkOp,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let value = read_json(body, &headers, state.body_limit).await?;
    let Value::Object(mut obj) = value else {
        return Err(ApiError::bad_request("Body must be a JSON object"));
    };
    let list_key = match op {
        BulkOp::Create | BulkOp::Update => "items",
        BulkOp::Remove => "ids",
    };
    let Some(Value::Array(list)) = obj.shift_remove(list_key) else {
        return Err(ApiError::bad_request(format!(
            "Body must have an \"{list_key}\" array"
        )));
    };
    let return_items = match obj.get("returnItems") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::bad_request("returnItems must be true or false")),
    };
    let opts = WriteOptions {
        reject_field: state.faults.reject_field(),
    };
    let store = state.store.clone();
    let outcome: BulkOutcome = blocking(move || match op {
        BulkOp::Create => store.create_many(kind, list, &opts),
        BulkOp::Update => store.update_many(kind, list, &opts),
        BulkOp::Remove => store.remove_many(kind, &list),
    })
    .await?;
    state.commit(outcome.version, outcome.ids.len()).await?;
    Ok(axum::Json(outcome.to_json(return_items)).into_response())
}

async fn lock_routes(state: AppState, locked: bool, headers: HeaderMap, body: Body) -> ApiResult {
    let value = read_json(body, &headers, state.body_limit).await?;
    let Some(Value::Array(ids)) = value.get("ids") else {
        return Err(ApiError::bad_request("Body must be {\"ids\": [...]}"));
    };
    let ids = ids.clone();
    let store = state.store.clone();
    let outcome = blocking(move || store.set_route_lock(&ids, locked)).await?;
    state.commit(outcome.version, outcome.ids.len()).await?;
    Ok(axum::Json(outcome.to_json(false)).into_response())
}

async fn create_task(state: AppState, headers: HeaderMap, body: Body) -> ApiResult {
    let value = read_json(body, &headers, state.body_limit).await?;
    let store = state.store.clone();
    let (doc, version) = blocking(move || store.create_one(Kind::Tasks, value)).await??;
    state.commit(version, 1).await?;
    Ok(axum::Json(doc).into_response())
}

async fn update_task(state: AppState, id: String, headers: HeaderMap, body: Body) -> ApiResult {
    let value = read_json(body, &headers, state.body_limit).await?;
    let store = state.store.clone();
    let (doc, version) = blocking(move || store.update_one(Kind::Tasks, &id, value)).await??;
    state.commit(version, 1).await?;
    Ok(axum::Json(doc).into_response())
}

async fn delete_task(state: AppState, id: String) -> ApiResult {
    let store = state.store.clone();
    let (doc, version) = blocking(move || store.remove_one(Kind::Tasks, &id)).await??;
    state.commit(version, 1).await?;
    let id = doc.get("_id").cloned().unwrap_or(Value::Null);
    Ok(axum::Json(json!({"result": 1, "ids": [id], "errors": []})).into_response())
}

fn task_id_from_query(uri: &Uri) -> Result<String, ApiError> {
    match query_param(uri, "uid")? {
        Some(uid) if !uid.is_empty() => Ok(uid),
        _ => match query_param(uri, "_id")? {
            Some(id) if !id.is_empty() => Ok(id),
            _ => Err(ApiError::bad_request("Name the task with ?uid=T-...")),
        },
    }
}

fn faults_json(f: &Faults) -> Value {
    json!({
        "spec": f.to_string(),
        "latencyMs": f.latency.as_millis() as u64,
        "jitterMs": f.latency_jitter.as_millis() as u64,
        "p5xx": f.p_5xx,
        "p429": f.p_429,
        "retryAfterSecs": f.retry_after_secs,
        "pDrop": f.p_drop,
        "rejectField": f.reject_field.as_ref().map(|(k, v)| json!([k, v])),
        "seed": f.seed,
    })
}

async fn put_faults(state: AppState, headers: HeaderMap, body: Body) -> ApiResult {
    let bytes = read_body(body, &headers, 64 * 1024).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_request("Body must be a fault spec or JSON"))?;
    let faults = match serde_json::from_str::<Value>(text) {
        Ok(json) => Faults::from_json(&json),
        Err(_) => text.parse::<Faults>(),
    }
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    state.faults.set(faults.clone());
    // The spec came over the network: no control character of it reaches a terminal.
    let shown = crate::domain::sanitize::sanitize(&faults.to_string()).into_owned();
    tracing::info!(faults = %shown, "sandbox faults changed");
    Ok(axum::Json(faults_json(&faults)).into_response())
}

fn router(state: AppState) -> Router {
    let mut app: Router<AppState> = Router::new();
    for kind in Kind::ALL {
        let base = format!("/{}", kind.name());
        let list_route = get(move |State(st): State<AppState>, uri: Uri| list(st, kind, uri));
        let list_route = if kind == Kind::Tasks {
            list_route
                .post(|State(st): State<AppState>, headers: HeaderMap, body: Body| {
                    create_task(st, headers, body)
                })
                .put(
                    |State(st): State<AppState>, uri: Uri, headers: HeaderMap, body: Body| async move {
                        let id = task_id_from_query(&uri)?;
                        update_task(st, id, headers, body).await
                    },
                )
                .delete(|State(st): State<AppState>, uri: Uri| async move {
                    let id = task_id_from_query(&uri)?;
                    delete_task(st, id).await
                })
        } else {
            list_route
        };
        app = app.route(&base, list_route);

        let one = get(
            move |State(st): State<AppState>,
                  path: Result<Path<String>, axum::extract::rejection::PathRejection>| async move {
                get_one(st, kind, path_id(path)?).await
            },
        );
        let one = if kind == Kind::Tasks {
            one.put(
                |State(st): State<AppState>,
                 path: Result<Path<String>, axum::extract::rejection::PathRejection>,
                 headers: HeaderMap,
                 body: Body| async move { update_task(st, path_id(path)?, headers, body).await },
            )
            .delete(
                |State(st): State<AppState>,
                 path: Result<Path<String>, axum::extract::rejection::PathRejection>| async move {
                    delete_task(st, path_id(path)?).await
                },
            )
        } else {
            one
        };
        app = app.route(&format!("{base}/{{id}}"), one);

        if kind != Kind::Routes {
            for (action, op) in [
                ("createMany", BulkOp::Create),
                ("updateMany", BulkOp::Update),
                ("removeMany", BulkOp::Remove),
            ] {
                app = app.route(
                    &format!("{base}/{action}"),
                    post(
                        move |State(st): State<AppState>, headers: HeaderMap, body: Body| {
                            bulk(st, kind, op, headers, body)
                        },
                    ),
                );
            }
        }
    }
    app.route(
        "/routes/lock",
        post(
            |State(st): State<AppState>, headers: HeaderMap, body: Body| {
                lock_routes(st, true, headers, body)
            },
        ),
    )
    .route(
        "/routes/unlock",
        post(
            |State(st): State<AppState>, headers: HeaderMap, body: Body| {
                lock_routes(st, false, headers, body)
            },
        ),
    )
    .route(
        "/_sandbox/faults",
        get(|State(st): State<AppState>| async move {
            axum::Json(faults_json(&st.faults.get())).into_response()
        })
        .put(
            |State(st): State<AppState>, headers: HeaderMap, body: Body| {
                put_faults(st, headers, body)
            },
        ),
    )
    .route(
        "/_sandbox/stats",
        get(|State(st): State<AppState>| async move {
            axum::Json(st.stats.snapshot().to_json()).into_response()
        })
        .delete(|State(st): State<AppState>| async move {
            st.stats.reset();
            axum::Json(st.stats.snapshot().to_json()).into_response()
        }),
    )
    .fallback(|method: Method, uri: Uri| async move {
        message_response(
            StatusCode::NOT_FOUND,
            &format!("Not found: {method} {}", uri.path()),
        )
    })
    .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
        message_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("Method {method} is not allowed on {}", uri.path()),
        )
    })
    .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// The connection layer: stats, faults, auth, panic guard

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by sandbox fault")]
struct DropConnection;

struct Shared {
    router: Router,
    faults: FaultsHandle,
    stats: Arc<Stats>,
    api_key: SecretString,
}

fn authorized(headers: &HeaderMap, key: &SecretString) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let value = value.trim();
    let presented = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("apikey") => rest.trim(),
        _ => value,
    };
    let expected = key.expose_secret().as_bytes();
    let given = presented.as_bytes();
    // Constant time over the expected length.
    let mut diff = u8::from(given.len() != expected.len());
    for (i, e) in expected.iter().enumerate() {
        diff |= e ^ given.get(i).copied().unwrap_or(0);
    }
    !expected.is_empty() && diff == 0
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let path = req.uri().path();
    shared.stats.count_request(req.method(), path);
    let admin = path == "/_sandbox" || path.starts_with("/_sandbox/");
    if !admin {
        let decision = shared.faults.decide();
        if !decision.delay.is_zero() {
            tokio::time::sleep(decision.delay).await;
        }
        match decision.outcome {
            Outcome::Pass => {}
            Outcome::Drop => {
                shared.stats.lock().dropped += 1;
                return Err(DropConnection);
            }
            Outcome::TooManyRequests(secs) => {
                shared.stats.lock().rate_limited += 1;
                let mut resp = message_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!("You have exceeded the request limit, retry after {secs} second(s)"),
                );
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                return Ok(resp);
            }
            Outcome::Unavailable => {
                shared.stats.lock().unavailable += 1;
                return Ok(message_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service temporarily unavailable (sandbox fault)",
                ));
            }
        }
    }
    if !authorized(req.headers(), &shared.api_key) {
        let mut resp = message_response(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("ApiKey"));
        return Ok(resp);
    }
    let req = req.map(Body::new);
    let answer = AssertUnwindSafe(shared.router.clone().oneshot(req))
        .catch_unwind()
        .await;
    match answer {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(never)) => match never {},
        Err(_) => {
            tracing::error!("sandbox handler panicked");
            Ok(message_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
            ))
        }
    }
}

/// Resolves once shutdown is asked for (or the handle is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req| handle(Arc::clone(&shared), req));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "sandbox connection ended with an error");
            }
        }
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    persistence: Option<Arc<Persistence>>,
) {
    let for_connections = shutdown.clone();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(
                        stream,
                        Arc::clone(&shared),
                        for_connections.clone(),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sandbox accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    drop(shared);
    if let Some(p) = persistence {
        match Arc::try_unwrap(p) {
            Ok(p) => p.shutdown().await,
            Err(_) => tracing::warn!("sandbox state writer still in use at shutdown"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/// A running emulator. Dropping it stops the server (in the background);
/// [`SandboxHandle::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    store: Store,
    faults: FaultsHandle,
    stats: Arc<Stats>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SandboxHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The live fault settings.
    pub fn faults(&self) -> &FaultsHandle {
        &self.faults
    }

    /// The live data.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The customers now.
    pub fn customers(&self) -> Vec<Value> {
        self.store.all(Kind::Customers)
    }

    /// The tasks now.
    pub fn tasks(&self) -> Vec<Value> {
        self.store.all(Kind::Tasks)
    }

    /// The routes now.
    pub fn routes(&self) -> Vec<Value> {
        self.store.all(Kind::Routes)
    }

    /// Request and write counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.stats.reset();
    }

    /// Stops accepting, lets open requests finish (up to a grace period), and waits
    /// for the state file to be written.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "sandbox server task failed");
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// Serves `store` on `listener` with `config`. With a state file, the store is saved
/// once before serving (so an unwritable path fails here) and after every write.
pub async fn start(
    listener: TcpListener,
    store: Store,
    config: SandboxConfig,
) -> Result<SandboxHandle, SandboxError> {
    let addr = listener.local_addr()?;
    let persistence = match &config.state_file {
        Some(path) => Some(Arc::new(
            Persistence::start(store.clone(), path.clone()).await?,
        )),
        None => None,
    };
    let faults = FaultsHandle::new(config.faults);
    let stats = Arc::new(Stats::default());
    let state = AppState {
        store: store.clone(),
        persistence: persistence.clone(),
        faults: faults.clone(),
        stats: Arc::clone(&stats),
        body_limit: config.body_limit,
    };
    let shared = Arc::new(Shared {
        router: router(state),
        faults: faults.clone(),
        stats: Arc::clone(&stats),
        api_key: config.api_key,
    });
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, shared, shutdown_rx, persistence));
    tracing::info!(%addr, "eLogii sandbox listening");
    Ok(SandboxHandle {
        addr,
        store,
        faults,
        stats,
        shutdown: shutdown_tx,
        task: Some(task),
    })
}

/// [`start`] on `127.0.0.1` with a port the system picks.
pub async fn spawn_on_loopback(
    store: Store,
    config: SandboxConfig,
) -> Result<SandboxHandle, SandboxError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    start(listener, store, config).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys_stay_few() {
        assert_eq!(route_key(&Method::GET, "/customers"), "GET /customers");
        assert_eq!(
            route_key(&Method::POST, "/customers/updateMany"),
            "POST /customers/updateMany"
        );
        assert_eq!(route_key(&Method::PUT, "/tasks/T-ABC"), "PUT /tasks/{id}");
        assert_eq!(route_key(&Method::GET, "/nope/x/y"), "GET /*");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(route_key(&odd, "/customers"), "OTHER /customers");
    }

    #[test]
    fn api_key_forms() {
        let key = SecretString::from("dev:abc:secret");
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, &key));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("ApiKey dev:abc:secret"),
        );
        assert!(authorized(&h, &key));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("dev:abc:secret"),
        );
        assert!(authorized(&h, &key));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("apikey  dev:abc:secret "),
        );
        assert!(authorized(&h, &key));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("ApiKey dev:abc:secreT"),
        );
        assert!(!authorized(&h, &key));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("ApiKey dev:abc:secret2"),
        );
        assert!(!authorized(&h, &key));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer dev:abc:secret"),
        );
        assert!(!authorized(&h, &key));
        assert!(!authorized(&HeaderMap::new(), &SecretString::from("")));
    }
}
