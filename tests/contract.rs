//! Every contract vector parses into the models and serialises back to equal JSON.

use elogii_tui::api::types::{
    BulkRequest, BulkResponse, Customer, Depot, Field, RemoveRequest, Task,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::PathBuf;

fn vector(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/contract")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn round_trip<T: Serialize + DeserializeOwned>(name: &str, value: &Value) -> T {
    let typed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&typed).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&back, value, "{name} did not round-trip");
    typed
}

#[test]
fn customers_update_many_request_round_trips_and_reads_typed_fields() {
    let v = vector("customers-updateMany.request.json");
    let req: BulkRequest<Customer> = round_trip("customers-updateMany.request", &v);
    assert_eq!(req.items.len(), 2);
    let second = &req.items[1];
    assert_eq!(second.id.as_str(), "67858863ad2b0de4ba66e250");
    let loc = &second.locations()[0];
    assert_eq!(loc.uid.as_str(), "CL-PWZNXZCP");
    assert_eq!(loc.schedule, Field::Null, "null schedule must stay null");
    assert!(loc.name.is_absent(), "absent name must stay absent");
    assert!(second.extra.contains_key("userInfo"));
    let first = &req.items[0].locations()[0];
    let schedule = first.schedule.get().expect("schedule");
    assert_eq!(schedule.windows(1)[0].start, 420);
    assert!(schedule.mon.is_absent());
}

#[test]
fn bulk_responses_round_trip() {
    for name in [
        "customers-updateMany.response.json",
        "tasks-createMany.response.json",
        "tasks-createMany.response.errors.inferred.json",
    ] {
        let v = vector(name);
        let r: BulkResponse = round_trip(name, &v);
        assert!(matches!(r.result, Field::Value(_)), "{name}: result typed");
    }
    let r: BulkResponse = round_trip(
        "errors",
        &vector("tasks-createMany.response.errors.inferred.json"),
    );
    let errors = r.errors.get().expect("errors");
    assert_eq!(errors[0].index, Field::Value(1));
    assert!(errors[0].text().contains("cannot be found"));
}

#[test]
fn task_vectors_round_trip() {
    for name in [
        "tasks-create.request.json",
        "tasks-create.integration.request.json",
    ] {
        let _: Task = round_trip(name, &vector(name));
    }
    let integration: Task = round_trip(
        "integration",
        &vector("tasks-create.integration.request.json"),
    );
    assert_eq!(
        integration.date_number(),
        Some(20250115),
        "string date readable"
    );
    assert!(
        matches!(integration.date, Field::Raw(Value::String(_))),
        "and kept a string"
    );
    for name in [
        "tasks-createMany.request.json",
        "tasks-updateMany.request.json",
    ] {
        let _: BulkRequest<Task> = round_trip(name, &vector(name));
    }
    let _: RemoveRequest = round_trip("remove", &vector("tasks-removeMany.request.json"));
    let tasks: Vec<Task> = round_trip("get", &vector("tasks-get.assigned.inferred.json"));
    let a = tasks[0].assignment().expect("assignment");
    assert_eq!(a.route_uid.as_str(), "R-4HJK8LMN");
    assert_eq!(a.route_order, Field::Value(3));
}

#[test]
fn entity_vectors_round_trip() {
    let c: Customer = round_trip("customer", &vector("customers-entity.constructed.json"));
    assert_eq!(c.locations()[0].post_code.as_str(), "ZZ9 9ZZ");
    let d: Depot = round_trip("depot", &vector("depots-entity.constructed.json"));
    assert_eq!(d.uid.as_str(), "DEP-7Q2M4K8P");
    let _: BulkRequest<Customer> =
        round_trip("createMany", &vector("customers-createMany.request.json"));
}

#[test]
fn odd_types_are_kept_verbatim() {
    let v: Value = serde_json::json!({
        "name": 42,
        "postCode": "00500",
        "locations": [{"postCode": 500, "setupDuration": 5, "serviceDuration": 2.5,
                        "coordinates": [0, 52], "schedule": {"Mon": {"timeWindows": "x"}}}],
        "tags": null
    });
    let c: Customer = round_trip("odd", &v);
    assert!(matches!(c.name, Field::Raw(_)));
    assert_eq!(c.tags, Field::Null);
}
