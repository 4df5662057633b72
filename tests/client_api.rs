//! The eLogii client against the real emulator over HTTP on 127.0.0.1.

use std::time::Duration;

use elogii_tui::api::client::{Client, ClientConfig};
use elogii_tui::api::error::ApiError;
use elogii_tui::api::retry::RetryPolicy;
use elogii_tui::api::types::{Customer, Field, Route, Task};
use elogii_tui::sandbox::faults::Faults;
use elogii_tui::sandbox::seed;
use elogii_tui::sandbox::server::{SandboxConfig, SandboxHandle, spawn_on_loopback};
use elogii_tui::sandbox::store::Store;
use secrecy::SecretString;
use serde_json::Value;

const KEY: &str = "test:0123456789abcdef01234567:secret";

fn monday() -> jiff::civil::Date {
    jiff::civil::date(2026, 12, 7)
}

async fn demo_server() -> SandboxHandle {
    let data = seed::demo(monday()).expect("demo seed");
    let store = Store::from_seed(data).expect("store");
    spawn_on_loopback(store, SandboxConfig::new(SecretString::from(KEY)))
        .await
        .expect("emulator starts")
}

fn client(server: &SandboxHandle, key: &str) -> Client {
    client_with_retry(
        server,
        key,
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        },
    )
}

fn client_with_retry(server: &SandboxHandle, key: &str, read_retry: RetryPolicy) -> Client {
    let mut cfg = ClientConfig::new(server.base_url(), SecretString::from(key.to_string()));
    cfg.request_timeout = Duration::from_secs(20);
    cfg.read_retry = read_retry;
    Client::new(cfg).expect("client")
}

#[tokio::test]
async fn pages_that_fail_transiently_are_asked_for_again() {
    let server = demo_server().await;
    let patient = RetryPolicy {
        attempts: 30,
        base: Duration::from_millis(2),
        cap: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    };
    let c = client_with_retry(&server, KEY, patient);
    server.faults().set(
        "5xx=0.3,drop=0.1,429=0.1,retry-after=1"
            .parse::<Faults>()
            .expect("spec")
            .with_seed(7),
    );
    server.reset_stats();
    let mut ids = std::collections::HashSet::new();
    let total = c
        .customers(|page| {
            for cust in page {
                ids.insert(cust.id.as_str().to_string());
            }
        })
        .await
        .expect("every page arrives in the end");
    assert_eq!(total, 1481);
    assert_eq!(ids.len(), 1481, "no page read twice or skipped");
    let stats = server.stats();
    assert!(
        stats.count("GET /customers") > 15,
        "some pages were retried: {stats:?}"
    );

    // A server that keeps failing still ends in the error, after the allowed tries.
    let few = RetryPolicy {
        attempts: 3,
        ..patient
    };
    let c = client_with_retry(&server, KEY, few);
    server
        .faults()
        .set("5xx=1".parse::<Faults>().expect("spec"));
    server.reset_stats();
    let err = c.customers(|_| {}).await.expect_err("gives up");
    assert!(err.status().is_some_and(|s| s >= 500));
    assert_eq!(server.stats().count("GET /customers"), 3);
}

#[tokio::test]
async fn all_demo_customers_arrive_in_fifteen_pages_of_a_hundred() {
    let server = demo_server().await;
    let c = client(&server, KEY);
    server.reset_stats();
    let mut pages = Vec::new();
    let total = c
        .customers(|page| pages.push(page.len()))
        .await
        .expect("customers");
    assert_eq!(total, 1481);
    assert_eq!(pages.len(), 15);
    assert!(pages[..14].iter().all(|n| *n == 100));
    assert_eq!(pages[14], 81);
    assert_eq!(server.stats().count("GET /customers"), 15);
}

#[tokio::test]
async fn typed_reads_of_tasks_routes_drivers_and_depots() {
    let server = demo_server().await;
    let c = client(&server, KEY);
    let mut tasks: Vec<Task> = Vec::new();
    c.tasks(monday(), |p| tasks.extend(p)).await.expect("tasks");
    assert!(
        tasks.len() > 100,
        "a weekday has many tasks: {}",
        tasks.len()
    );
    assert!(tasks.iter().all(|t| t.date_number() == Some(20261207)));
    assert!(tasks.iter().all(|t| {
        t.assignment()
            .is_some_and(|a| !a.route_uid.as_str().is_empty())
    }));
    let mut routes: Vec<Route> = Vec::new();
    c.routes(monday(), |p| routes.extend(p))
        .await
        .expect("routes");
    assert_eq!(routes.len(), 12);
    assert!(routes.iter().all(|r| r.uid.as_str().starts_with("R-")));
    assert_eq!(c.drivers().await.expect("drivers").len(), 12);
    assert_eq!(c.depots().await.expect("depots").len(), 1);
}

#[tokio::test]
async fn query_parameters_sort_select_filter_and_equality() {
    let server = demo_server().await;
    let c = client(&server, KEY);
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let sorted: Vec<Value> = c
        .get_json("/customers", &q(&[("sort", "-name"), ("limit", "5")]))
        .await
        .expect("sorted");
    let names: Vec<&str> = sorted.iter().filter_map(|v| v["name"].as_str()).collect();
    let mut expected = names.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, expected);
    assert_eq!(names.len(), 5);

    let selected: Vec<Value> = c
        .get_json("/customers", &q(&[("select", "name"), ("limit", "3")]))
        .await
        .expect("select");
    for v in &selected {
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert!(keys.iter().all(|k| *k == "_id" || *k == "name"), "{keys:?}");
    }

    let by_postcode: Vec<Customer> = c
        .get_json("/customers", &q(&[("locations.postCode", "BL3 1SX")]))
        .await
        .expect("field=value");
    assert!(!by_postcode.is_empty());
    assert!(
        by_postcode
            .iter()
            .all(|c| c.locations()[0].post_code.as_str() == "BL3 1SX")
    );

    let filter =
        r#"{"name": {"$regex": "^boots", "$options": "i"}, "tags": {"$in": ["pharmacy"]}}"#;
    let boots: Vec<Customer> = c
        .get_json("/customers", &q(&[("filter", filter)]))
        .await
        .expect("filter");
    assert!(
        boots.len() > 10,
        "many Boots pharmacies in Greater Manchester"
    );
    assert!(
        boots
            .iter()
            .all(|c| c.name.as_str().to_lowercase().starts_with("boots"))
    );

    let bad = c
        .get_json::<Vec<Value>>("/customers", &q(&[("filter", "{not json")]))
        .await
        .expect_err("bad filter");
    assert_eq!(bad.status(), Some(400));
}

#[tokio::test]
async fn update_many_changes_exactly_the_named_customers() {
    let server = demo_server().await;
    let c = client(&server, KEY);
    let before = server.customers();
    let mut items: Vec<Customer> = before[..2]
        .iter()
        .map(|v| serde_json::from_value(v.clone()).expect("customer"))
        .collect();
    items[0].contact_name = Field::Value("Ada Porter".into());
    items[1].contact_email = Field::Value("robin@example.test".into());
    let answer = c.update_customers(&items).await.expect("updateMany");
    assert_eq!(answer.result, Field::Value(2));
    assert_eq!(
        answer.ids.get().cloned().unwrap_or_default(),
        vec![
            items[0].id.as_str().to_string(),
            items[1].id.as_str().to_string()
        ]
    );
    assert_eq!(answer.errors.get().map(Vec::len), Some(0));
    let after = server.customers();
    assert_eq!(after[0]["contactName"], "Ada Porter");
    assert_eq!(after[1]["contactEmail"], "robin@example.test");
    assert_eq!(after[2..], before[2..], "no other customer changed");
    let mut untouched = after[0].clone();
    untouched
        .as_object_mut()
        .expect("object")
        .remove("contactName");
    let mut was = before[0].clone();
    was.as_object_mut().expect("object").remove("contactName");
    assert_eq!(untouched, was, "no other field changed");
}

#[tokio::test]
async fn an_unknown_id_fails_alone() {
    let server = demo_server().await;
    let c = client(&server, KEY);
    let mut first: Customer =
        serde_json::from_value(server.customers()[0].clone()).expect("customer");
    first.contact_name = Field::Value("Changed".into());
    let mut ghost = first.clone();
    ghost.id = Field::Value("0123456789abcdef01234567".into());
    let answer = c
        .update_customers(&[first.clone(), ghost])
        .await
        .expect("updateMany");
    assert_eq!(answer.result, Field::Value(1));
    let errors = answer.errors.get().expect("errors");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].index, Field::Value(1));
    assert!(
        errors[0].text().contains("cannot be found"),
        "{}",
        errors[0].text()
    );
    assert_eq!(server.customers()[0]["contactName"], "Changed");
}

#[tokio::test]
async fn wrong_or_missing_key_is_401() {
    let server = demo_server().await;
    let err = client(&server, "nope")
        .customers(|_| {})
        .await
        .expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert!(!err.to_string().contains("nope"));
    assert!(!err.is_transient());
}

#[tokio::test]
async fn rate_limit_carries_retry_after_and_drops_are_transient() {
    let server = demo_server().await;
    let c = client(&server, KEY);
    server
        .faults()
        .set("429=1,retry-after=3".parse::<Faults>().expect("spec"));
    let err = c.customers(|_| {}).await.expect_err("429");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert!(err.is_transient());
    assert!(
        err.to_string().contains("exceeded the request limit"),
        "{err}"
    );

    server
        .faults()
        .set("drop=1".parse::<Faults>().expect("spec"));
    let err = c.customers(|_| {}).await.expect_err("dropped");
    assert!(matches!(err, ApiError::Connect { .. }), "{err:?}");
    assert!(err.is_transient());

    server
        .faults()
        .set("5xx=1".parse::<Faults>().expect("spec"));
    let err = c.customers(|_| {}).await.expect_err("503");
    assert!(err.status().is_some_and(|s| s >= 500));
    assert!(err.is_transient());

    server.faults().clear();
    assert_eq!(c.customers(|_| {}).await.expect("recovers"), 1481);
}
