//! The eLogii HTTP client: one reqwest client built once, API-key auth,
//! timeouts, typed errors, and lists read page by page.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, message_from_body, parse_retry_after};
use super::retry::{Jitter, RetryPolicy};
use super::types::{BulkRequest, BulkResponse, Customer, Depot, Driver, Field, Route, Task};

/// The production API host.
pub const DEFAULT_BASE_URL: &str = "https://api-35.elogii.com";

/// How the `Authorization` header carries the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// `Authorization: ApiKey <key>` (what integrations in the wild send).
    #[default]
    Apikey,
    /// `Authorization: <key>` (what eLogii's curl samples show).
    Bare,
}

/// Paths of the calls the console makes. Those marked inferred in
/// docs/elogii-api.md (route lock/unlock) can be changed in the config file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiPaths {
    pub customers: String,
    pub tasks: String,
    pub routes: String,
    pub drivers: String,
    pub depots: String,
    pub customers_update_many: String,
    pub tasks_update_many: String,
    /// Inferred: not documented by eLogii.
    pub routes_lock: String,
    /// Inferred: not documented by eLogii.
    pub routes_unlock: String,
}

impl Default for ApiPaths {
    fn default() -> Self {
        Self {
            customers: "/customers".into(),
            tasks: "/tasks".into(),
            routes: "/routes".into(),
            drivers: "/drivers".into(),
            depots: "/depots".into(),
            customers_update_many: "/customers/updateMany".into(),
            tasks_update_many: "/tasks/updateMany".into(),
            routes_lock: "/routes/lock".into(),
            routes_unlock: "/routes/unlock".into(),
        }
    }
}

/// Everything needed to talk to one eLogii organisation.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://api-35.elogii.com` or the emulator's `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The API key; only ever exposed into the request header.
    pub api_key: SecretString,
    /// `ApiKey <key>` or the bare key.
    pub auth_scheme: AuthScheme,
    /// Records per page when reading lists.
    pub page_size: usize,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request.
    pub request_timeout: Duration,
    /// Endpoint paths.
    pub paths: ApiPaths,
    /// Retries of a page read that failed with 429, 5xx, a timeout or a dropped connection.
    pub read_retry: RetryPolicy,
}

impl ClientConfig {
    /// A config with default page size, timeouts and paths.
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            auth_scheme: AuthScheme::default(),
            page_size: 100,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            paths: ApiPaths::default(),
            read_retry: RetryPolicy::default(),
        }
    }
}

/// A `YYYYMMDD` date as eLogii writes it in queries.
pub fn date_param(date: jiff::civil::Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

/// The eLogii client. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    page_size: usize,
    request_timeout: Duration,
    paths: ApiPaths,
    read_retry: RetryPolicy,
    jitter: std::sync::Arc<Jitter>,
}

impl Client {
    /// Builds the client once: auth header, timeouts, User-Agent.
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        install_crypto_provider();
        let base_url = config.base_url.trim_end_matches('/').to_string();
        if reqwest::Url::parse(&base_url).is_err() {
            return Err(ApiError::Config(format!(
                "the base URL {base_url:?} is not a valid URL (expected e.g. {DEFAULT_BASE_URL})"
            )));
        }
        let key = config.api_key.expose_secret().trim();
        let value = match config.auth_scheme {
            AuthScheme::Apikey => format!("ApiKey {key}"),
            AuthScheme::Bare => key.to_string(),
        };
        let mut auth = HeaderValue::from_str(&value).map_err(|_| {
            ApiError::Config("the API key holds characters that cannot be sent in a header".into())
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("elogii-tui/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| ApiError::Config(format!("could not set up HTTP: {e}")))?;
        Ok(Self {
            http,
            base_url,
            page_size: config.page_size.max(1),
            request_timeout: config.request_timeout,
            paths: config.paths,
            read_retry: config.read_retry,
            jitter: std::sync::Arc::new(Jitter::new()),
        })
    }

    /// The base URL this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The endpoint paths in use.
    pub fn paths(&self) -> &ApiPaths {
        &self.paths
    }

    /// Reads a list page by page (`limit`/`skip`), handing each page to
    /// `on_page` as it arrives. A short page ends the list. A page that fails
    /// with 429, 5xx, a timeout or a dropped connection is asked for again
    /// (backoff with jitter, honouring `Retry-After`) before the error is
    /// returned; pages already handed over are not read twice. Returns the count.
    pub async fn list_pages<T, F>(
        &self,
        path: &str,
        query: &[(String, String)],
        mut on_page: F,
    ) -> Result<usize, ApiError>
    where
        T: DeserializeOwned,
        F: FnMut(Vec<T>),
    {
        let mut skip = 0usize;
        loop {
            let mut q: Vec<(String, String)> = query.to_vec();
            q.push(("limit".into(), self.page_size.to_string()));
            q.push(("skip".into(), skip.to_string()));
            let page: Vec<T> = self.get_json_retrying(path, &q).await?;
            let n = page.len();
            skip += n;
            on_page(page);
            if n < self.page_size {
                return Ok(skip);
            }
        }
    }

    /// `GET /customers`, page by page.
    pub async fn customers(&self, on_page: impl FnMut(Vec<Customer>)) -> Result<usize, ApiError> {
        self.list_pages(&self.paths.customers, &[], on_page).await
    }

    /// `GET /tasks?date=YYYYMMDD`, page by page.
    pub async fn tasks(
        &self,
        date: jiff::civil::Date,
        on_page: impl FnMut(Vec<Task>),
    ) -> Result<usize, ApiError> {
        let q = [("date".to_string(), date_param(date))];
        self.list_pages(&self.paths.tasks, &q, on_page).await
    }

    /// `GET /routes?date=YYYYMMDD`, page by page.
    pub async fn routes(
        &self,
        date: jiff::civil::Date,
        on_page: impl FnMut(Vec<Route>),
    ) -> Result<usize, ApiError> {
        let q = [("date".to_string(), date_param(date))];
        self.list_pages(&self.paths.routes, &q, on_page).await
    }

    /// `GET /drivers`, all pages.
    pub async fn drivers(&self) -> Result<Vec<Driver>, ApiError> {
        self.collect(&self.paths.drivers, &[]).await
    }

    /// `GET /depots`, all pages.
    pub async fn depots(&self) -> Result<Vec<Depot>, ApiError> {
        self.collect(&self.paths.depots, &[]).await
    }

    /// Reads a whole list into memory.
    pub async fn collect<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        self.list_pages(path, query, |page: Vec<T>| all.extend(page))
            .await?;
        Ok(all)
    }

    /// Reads customers whose `field` is one of `values` (e.g. `_id`), in pages.
    pub async fn customers_where_in(
        &self,
        field: &str,
        values: &[String],
    ) -> Result<Vec<Customer>, ApiError> {
        let q = [(field.to_string(), values.join(","))];
        self.collect(&self.paths.customers, &q).await
    }

    /// `POST /customers/updateMany` with whole customer records.
    pub async fn update_customers(&self, items: &[Customer]) -> Result<BulkResponse, ApiError> {
        let body = BulkRequest {
            items: items.to_vec(),
            return_items: Field::Value(false),
            extra: Default::default(),
        };
        self.post_json(&self.paths.customers_update_many, &body)
            .await
    }

    /// `POST /tasks/updateMany`.
    pub async fn update_tasks(&self, items: &[Task]) -> Result<BulkResponse, ApiError> {
        let body = BulkRequest {
            items: items.to_vec(),
            return_items: Field::Value(false),
            extra: Default::default(),
        };
        self.post_json(&self.paths.tasks_update_many, &body).await
    }

    /// Locks routes (by `_id` or uid). Path configurable: inferred.
    pub async fn lock_routes(&self, ids: &[String]) -> Result<BulkResponse, ApiError> {
        let body = serde_json::json!({ "ids": ids });
        self.post_json(&self.paths.routes_lock, &body).await
    }

    /// Unlocks routes (by `_id` or uid). Path configurable: inferred.
    pub async fn unlock_routes(&self, ids: &[String]) -> Result<BulkResponse, ApiError> {
        let body = serde_json::json!({ "ids": ids });
        self.post_json(&self.paths.routes_unlock, &body).await
    }

    /// `GET path?query`, retried on transient failures as `read_retry` says.
    pub async fn get_json_retrying<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<T, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.get_json(path, query).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() => {
                    let Some(delay) =
                        self.read_retry
                            .delay(attempt, e.retry_after(), self.jitter.next())
                    else {
                        return Err(e);
                    };
                    tracing::info!(%e, attempt, ?delay, path, "retrying a read");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `GET path?query` decoded as `T` (one try).
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<T, ApiError> {
        let request = self.http.get(self.url(path)).query(query);
        self.send(path, request).await
    }

    /// `POST path` with a JSON body, decoded as `T`.
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let request = self.http.post(self.url(path)).json(body);
        self.send(path, request).await
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{}", self.base_url, path)
        } else {
            format!("{}/{}", self.base_url, path)
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&bytes);
            return Err(ApiError::Status {
                status: status.as_u16(),
                message: message_from_body(&body),
                retry_after,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode {
            path: path.to_string(),
            reason: decode_reason(&e, &bytes),
        })
    }

    fn transport_error(&self, e: reqwest::Error) -> ApiError {
        if e.is_timeout() {
            return ApiError::Timeout {
                url: self.base_url.clone(),
                timeout: self.request_timeout,
            };
        }
        ApiError::Connect {
            url: self.base_url.clone(),
            reason: root_cause(&e),
        }
    }
}

fn decode_reason(e: &serde_json::Error, bytes: &[u8]) -> String {
    let looks_html = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<');
    if looks_html {
        "it is an HTML page, not JSON (is the base URL the API host?)".to_string()
    } else {
        e.to_string()
    }
}

/// The innermost error text (e.g. "Connection refused (os error 111)").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    if text.is_empty() { e.to_string() } else { text }
}

/// Installs rustls' `ring` provider once per process (reqwest is built without one).
pub fn install_crypto_provider() {
    // Err means one is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Reads any JSON value list (for export): every field kept as it came.
pub async fn list_values(
    client: &Client,
    path: &str,
    query: &[(String, String)],
    on_page: impl FnMut(Vec<Value>),
) -> Result<usize, ApiError> {
    client.list_pages(path, query, on_page).await
}
