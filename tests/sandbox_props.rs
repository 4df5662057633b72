//! Random queries and bodies thrown at every route of the emulator: every answer is
//! 2xx or 4xx with a JSON body (no fault is configured, so never 5xx), and the
//! server keeps answering.

use std::time::Duration;

use elogii_tui::sandbox::server::{SandboxConfig, SandboxHandle, spawn_on_loopback};
use elogii_tui::sandbox::store::{Collections, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;

const KEY: &str = "prop:5f0c2a9e1d3b4c5a6e7f8091:key";
const CASES: u32 = 96;

fn seed() -> Collections {
    let customers = (0..40)
        .map(|i| {
            json!({"uid": format!("CUS-PROP{i:04}"), "externalId": format!("C-{i}"),
                   "name": format!("Customer {i}"), "contactName": "Someone",
                   "locations": [{"uid": format!("CL-PROP{i:04}"), "postCode": "BL3 1SX",
                                  "coordinates": [-2.0, 53.5], "schedule": null}],
                   "customData": {"rank": i}})
        })
        .collect();
    let tasks = (0..20)
        .map(|i| {
            json!({"uid": format!("T-PROP{i:04}"), "date": 20250115 + (i % 3),
                   "location": {"type": 2, "address": "1 A St"},
                   "assignment": {"state": 0, "routeUID": "R-PROP0001", "routeOrder": i}})
        })
        .collect();
    Collections {
        customers,
        tasks,
        routes: vec![json!({"uid": "R-PROP0001", "date": 20250115, "locked": false})],
        drivers: vec![json!({"uid": "DR-PROP0001", "firstName": "Robin"})],
        depots: vec![json!({"uid": "DEP-PROP0001", "name": "Depot"})],
    }
}

struct Harness {
    rt: Runtime,
    handle: SandboxHandle,
    http: reqwest::Client,
}

impl Harness {
    fn new() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = rt.block_on(async {
            let config = SandboxConfig::new(SecretString::from(KEY)).with_body_limit(256 * 1024);
            spawn_on_loopback(Store::new(seed()).unwrap(), config)
                .await
                .unwrap()
        });
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { rt, handle, http }
    }

    /// Sends a request and checks the answer: 2xx or 4xx, JSON body.
    fn check(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(), TestCaseError> {
        let url = format!("{}{path_and_query}", self.handle.base_url());
        let (status, text) = self.rt.block_on(async {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("Authorization", format!("ApiKey {KEY}"));
            if let Some(body) = body {
                req = req.header("Content-Type", "application/json").body(body);
            }
            let resp = req.send().await.expect("the server answers");
            let status = resp.status();
            (status, resp.text().await.expect("a whole body"))
        });
        prop_assert!(
            status.is_success() || status.is_client_error(),
            "{method} {url} -> {status}: {text}"
        );
        let parsed: Result<Value, _> = serde_json::from_str(&text);
        prop_assert!(
            parsed.is_ok(),
            "{method} {url} -> {status}: not JSON: {text}"
        );
        if !status.is_success() {
            let message = parsed.ok().and_then(|v| v.get("message").cloned());
            prop_assert!(
                message.as_ref().is_some_and(Value::is_string),
                "{method} {url} -> {status}: no message: {text}"
            );
        }
        Ok(())
    }

    fn still_answers(&self) {
        self.check(reqwest::Method::GET, "/customers?limit=1", None)
            .unwrap();
        let stats = self.handle.stats();
        assert_eq!(stats.dropped + stats.rate_limited, 0);
    }
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Percent-encodes everything except unreserved characters and the given extras.
fn encode(s: &str, keep: &[u8]) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!(20250115)),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "CUS-PROP0001",
            "T-PROP0002",
            "R-PROP0001",
            "C-3",
            "Mon",
            "BL3 1SX",
            "20250116",
            "",
            "$regex",
            "null",
            "1e400",
            "-0",
            "💥",
            "\u{202e}evil",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "_id", "uid", "name", "date", "location", "locations", "timeWindows", "schedule",
            "coordinates", "customer", "externalId", "contactName", "organization", "path",
            "state", "type", "locked", "dateRange", "pickup", "start", "end", "Mon", "Sun",
            "$regex", "$in", "$gt", "$exists", "$options", "$and", "$or", "$nor", "$not",
            "$type", "$size", "$where", "customData.rank", "locations.postCode",
            "assignment.routeUID",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

/// Objects shaped like entities, often naming existing ones, so validation runs deep.
fn entityish() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec![
            "6a20c2d3000000000000000f",
            "CUS-PROP0003",
            "T-PROP0004",
        ])),
        prop::collection::vec((field_name(), json_value()), 0..5),
        any::<bool>(),
    )
        .prop_map(|(id, fields, use_uid)| {
            let mut obj: Map<String, Value> = fields.into_iter().collect();
            if let Some(id) = id {
                let key = if use_uid || id.contains('-') {
                    "uid"
                } else {
                    "_id"
                };
                obj.insert(key.to_owned(), json!(id));
            }
            Value::Object(obj)
        })
}

/// Items that pass validation on some routes (customer/depot creates, task/driver updates).
fn valid_item() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[A-Za-z]\\PC{0,10}".prop_map(|name| json!({ "name": name })),
        (0..20u32, "\\PC{0,10}")
            .prop_map(|(i, text)| json!({"uid": format!("T-PROP{i:04}"), "internalComment": text})),
        json_leaf().prop_map(|v| json!({"uid": "DR-PROP0001", "customData": {"x": v}})),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(valid_item(), 1..4)
            .prop_map(|items| serde_json::to_vec(&json!({ "items": items })).unwrap()),
        prop::collection::vec(any::<u8>(), 0..200),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        (
            prop::collection::vec(entityish(), 0..6),
            prop::option::of(json_leaf())
        )
            .prop_map(|(items, ret)| {
                let mut b = json!({ "items": items });
                if let Some(r) = ret {
                    b["returnItems"] = r;
                }
                serde_json::to_vec(&b).unwrap()
            }),
        prop::collection::vec(json_leaf(), 0..6)
            .prop_map(|ids| serde_json::to_vec(&json!({ "ids": ids })).unwrap()),
        entityish().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        Just(b"{\"items\": [".to_vec()),
        Just(b"{\"items\": [{\"name\": \"\\ud800\"}]}".to_vec()),
        Just(vec![b'['; 300]),
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,16}",
        any::<i64>().prop_map(|n| n.to_string()),
        Just("99999999999999999999999999999999".to_owned()),
        Just("20250115,20250116".to_owned()),
        Just("-name,customData.rank".to_owned()),
        Just("name locations.postCode".to_owned()),
        json_value().prop_map(|v| v.to_string()),
        json_value().prop_map(|v| {
            let s = v.to_string();
            s.chars().take(s.chars().count() / 2).collect::<String>()
        }),
        (field_name(), field_name(), json_value()).prop_map(|(f, op, v)| {
            let inner: Map<String, Value> = [(op, v)].into_iter().collect();
            let outer: Map<String, Value> = [(f, Value::Object(inner))].into_iter().collect();
            Value::Object(outer).to_string()
        }),
    ]
}

fn query_string() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        3 => prop::sample::select(vec![
            "date", "limit", "skip", "sort", "select", "filter", "uid", "name",
            "customData.rank", "locations.postCode", "assignment.routeUID", "a..b", "$where",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,10}",
    ];
    let op = prop::sample::select(vec!["=", "=", "=", ">", ">=", "<", "<=", "!=", "", "=="]);
    prop::collection::vec((key, op, query_value(), any::<bool>()), 0..5).prop_map(|params| {
        params
            .into_iter()
            .map(|(k, op, v, raw_ops)| {
                let keep: &[u8] = if raw_ops { b"<>!=,$" } else { b"," };
                format!("{}{op}{}", encode(&k, keep), encode(&v, b","))
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[test]
fn the_oracle_rejects_5xx_and_non_json() {
    let h = Harness::new();
    h.handle.faults().set("5xx=1".parse().unwrap());
    assert!(h.check(reqwest::Method::GET, "/customers", None).is_err());
    h.handle.faults().clear();
    assert!(h.check(reqwest::Method::GET, "/customers", None).is_ok());
}

#[test]
fn random_queries_on_every_list_and_get_route() {
    let h = Harness::new();
    let paths = prop::sample::select(vec![
        "/customers",
        "/tasks",
        "/routes",
        "/drivers",
        "/depots",
        "/customers/CUS-PROP0001",
        "/tasks/T-PROP0001",
        "/_sandbox/stats",
        "/_sandbox/faults",
    ]);
    runner()
        .run(&(paths, query_string()), |(path, query)| {
            h.check(reqwest::Method::GET, &format!("{path}?{query}"), None)
        })
        .unwrap();
    h.still_answers();
}

#[test]
fn random_bodies_on_every_write_route() {
    let h = Harness::new();
    let routes = prop::sample::select(vec![
        ("POST", "/customers/createMany"),
        ("POST", "/customers/updateMany"),
        ("POST", "/customers/removeMany"),
        ("POST", "/tasks/createMany"),
        ("POST", "/tasks/updateMany"),
        ("POST", "/tasks/removeMany"),
        ("POST", "/drivers/updateMany"),
        ("POST", "/depots/createMany"),
        ("POST", "/tasks"),
        ("PUT", "/tasks/T-PROP0005"),
        ("PUT", "/tasks?uid=T-PROP0006"),
        ("PUT", "/tasks?uid=T-NOPE"),
        ("DELETE", "/tasks?uid=T-NOPE"),
        ("DELETE", "/tasks"),
        ("POST", "/routes/lock"),
        ("POST", "/routes/unlock"),
        ("POST", "/customers"),
        ("PATCH", "/customers/CUS-PROP0001"),
        ("POST", "/no/such/route"),
    ]);
    runner()
        .run(&(routes, body()), |((method, path), body)| {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            h.check(method, path, Some(body))
        })
        .unwrap();
    h.still_answers();
    // Valid writes still work after the barrage.
    let before = h.handle.stats().writes;
    let body = json!({"items": [{"uid": "T-PROP0007", "internalComment": "after"}]});
    h.check(
        reqwest::Method::POST,
        "/tasks/updateMany",
        Some(serde_json::to_vec(&body).unwrap()),
    )
    .unwrap();
    assert_eq!(h.handle.stats().writes, before + 1);
    // The data is still consistent: every entity can be read back by its uid.
    for c in h.handle.customers().iter().take(20) {
        let uid = c["uid"].as_str().unwrap();
        h.check(reqwest::Method::GET, &format!("/customers/{uid}"), None)
            .unwrap();
    }
}

#[test]
fn random_fault_specs_are_accepted_or_refused_cleanly() {
    let h = Harness::new();
    let spec = prop_oneof![
        "\\PC{0,30}",
        json_value().prop_map(|v| v.to_string()),
        (
            prop::sample::select(vec![
                "latency",
                "jitter",
                "5xx",
                "429",
                "retry-after",
                "drop",
                "reject-field",
                "seed",
                "bogus",
            ]),
            "[0-9a-z.:-]{0,8}",
        )
            .prop_map(|(k, v)| format!("{k}={v}")),
    ];
    runner()
        .run(&spec, |spec| {
            let result = h.check(
                reqwest::Method::PUT,
                "/_sandbox/faults",
                Some(spec.into_bytes()),
            );
            // Whatever was set, switch faults off again before the next case.
            h.handle.faults().clear();
            result
        })
        .unwrap();
    h.still_answers();
}
