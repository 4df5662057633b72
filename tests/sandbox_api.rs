//! The eLogii emulator over real HTTP on 127.0.0.1: paging, queries, bulk writes,
//! auth, faults, route locks and the durable state file.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use elogii_tui::sandbox::faults::Faults;
use elogii_tui::sandbox::server::{SandboxConfig, SandboxHandle, spawn_on_loopback};
use elogii_tui::sandbox::store::{Collections, Kind, Store};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "test:5f0c2a9e1d3b4c5a6e7f8091:s3cret";
const N: usize = 1503;
const TOWNS: [&str; 5] = ["Bolton", "Leeds", "Bury", "Wigan", "Salford"];

fn customer(i: usize) -> Value {
    let mut c = json!({
        "externalId": format!("C-{i:05}"),
        "name": format!("Customer {:04} {}", (i * 7919) % 10_000, TOWNS[i % 5]),
        "contactName": format!("Contact {i}"),
        "tags": if i.is_multiple_of(3) { json!(["retail"]) } else { json!(["pharma", "north"]) },
        "customData": {"rank": i as i64, "Priority": format!("P{}", i % 13)},
        "locations": [
            {"name": "Main", "address": format!("{i} High Street"), "postCode": format!("BL{} {}SX", i % 9, i % 7),
             "city": TOWNS[i % 5], "coordinates": [-2.0 - ((i % 64) as f64) / 64.0, 53.5],
             "schedule": {"Mon": {"timeWindows": [{"start": 480, "end": 1020}]}}},
            {"name": "Back", "postCode": if i.is_multiple_of(100) { "M1 1AA" } else { "WN1 1AA" }, "coordinates": null,
             "schedule": null}
        ]
    });
    if i.is_multiple_of(10) {
        c["description"] = json!("has a description");
    }
    c
}

fn collections(n: usize) -> Collections {
    Collections {
        customers: (0..n).map(customer).collect(),
        routes: vec![
            json!({"uid": "R-AAAA1111", "date": 20250115, "locked": false, "driver": {"uid": "DR-ONE"}}),
            json!({"uid": "R-BBBB2222", "date": "20250116", "locked": false}),
        ],
        tasks: vec![
            json!({"uid": "T-KNOWN001", "date": 20250115, "location": {"type": 2, "address": "1 A St"},
                           "assignment": {"state": 0, "routeUID": "R-AAAA1111", "routeOrder": 1}}),
        ],
        ..Default::default()
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn server_with(n: usize, config: SandboxConfig) -> SandboxHandle {
    let store = Store::new(collections(n)).unwrap();
    spawn_on_loopback(store, config).await.unwrap()
}

async fn server(n: usize) -> SandboxHandle {
    server_with(n, SandboxConfig::new(SecretString::from(KEY))).await
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(h: &SandboxHandle) -> Self {
        Self {
            http: client(),
            base: h.base_url(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req
            .header("Authorization", format!("ApiKey {KEY}"))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text}"));
        (status, body)
    }

    async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path_and_query}", self.base)))
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    async fn list(&self, path_and_query: &str) -> Vec<Value> {
        let (status, body) = self.get(path_and_query).await;
        assert_eq!(status, StatusCode::OK, "{path_and_query}: {body}");
        body.as_array().unwrap().clone()
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ids(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn paging_reads_everything_in_ceil_n_over_100_requests() {
    let h = server(N).await;
    let api = Api::new(&h);
    let mut all = Vec::new();
    let mut requests = 0;
    loop {
        let page = api
            .list(&format!("/customers?limit=100&skip={}", all.len()))
            .await;
        requests += 1;
        let len = page.len();
        all.extend(page);
        if len < 100 {
            assert_eq!(len, N % 100, "short last page");
            break;
        }
        assert!(requests <= N / 100 + 1, "too many pages");
    }
    assert_eq!(requests, N.div_ceil(100));
    assert_eq!(
        all,
        h.customers(),
        "pages concatenate to the store, in order"
    );
    assert_eq!(ids(&all).into_iter().collect::<HashSet<_>>().len(), N);
    assert_eq!(h.stats().count("GET /customers"), requests as u64);
    assert_eq!(h.stats().writes, 0);
    // Without limit: everything in one bare array.
    assert_eq!(api.list("/customers").await.len(), N);
    assert!(api.list("/customers?skip=5000").await.is_empty());
}

#[tokio::test]
async fn sort_ascending_descending_and_by_several_keys() {
    let h = server(N).await;
    let api = Api::new(&h);
    let names = |docs: &[Value]| -> Vec<String> {
        docs.iter()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let asc = names(&api.list("/customers?sort=name").await);
    let mut expected = names(&h.customers());
    expected.sort();
    assert_eq!(asc, expected);
    let desc = names(&api.list("/customers?sort=-name").await);
    expected.reverse();
    assert_eq!(desc, expected);

    let ranked = api
        .list("/customers?sort=-customData.rank&limit=3&select=customData.rank")
        .await;
    let ranks: Vec<i64> = ranked
        .iter()
        .map(|d| d["customData"]["rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, [N as i64 - 1, N as i64 - 2, N as i64 - 3]);

    let two_keys = api
        .list("/customers?sort=customData.Priority,-customData.rank")
        .await;
    for pair in two_keys.windows(2) {
        let (a, b) = (&pair[0]["customData"], &pair[1]["customData"]);
        let pa = a["Priority"].as_str().unwrap();
        let pb = b["Priority"].as_str().unwrap();
        assert!(pa < pb || (pa == pb && a["rank"].as_i64() > b["rank"].as_i64()));
    }
}

#[tokio::test]
async fn select_returns_only_those_fields_and_id() {
    let h = server(50).await;
    let api = Api::new(&h);
    let docs = api
        .list("/customers?select=name,locations.postCode&limit=5")
        .await;
    assert_eq!(docs.len(), 5);
    for (doc, full) in docs.iter().zip(h.customers()) {
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["_id", "name", "locations"]);
        assert_eq!(doc["_id"], full["_id"]);
        assert_eq!(doc["name"], full["name"]);
        for (loc, full_loc) in doc["locations"]
            .as_array()
            .unwrap()
            .iter()
            .zip(full["locations"].as_array().unwrap())
        {
            assert_eq!(loc, &json!({"postCode": full_loc["postCode"]}));
        }
    }
    let spaced = api
        .list("/customers?select=contactName%20uid&limit=1")
        .await;
    assert_eq!(
        spaced[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["_id", "uid", "contactName"]
    );
}

#[tokio::test]
async fn field_equality_including_dotted_paths_into_arrays() {
    let h = server(N).await;
    let api = Api::new(&h);
    let all = h.customers();

    let target = &all[42];
    let by_uid = api
        .list(&format!(
            "/customers?uid={}",
            target["uid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_uid, vec![target.clone()]);

    let second = api.list("/customers?locations.postCode=M1%201AA").await;
    let expected: Vec<Value> = all
        .iter()
        .filter(|c| c["locations"][1]["postCode"] == "M1 1AA")
        .cloned()
        .collect();
    assert_eq!(second.len(), N.div_ceil(100));
    assert_eq!(second, expected);

    let first = api.list("/customers?locations.postCode=BL3+1SX").await;
    let expected: Vec<String> = ids(&all
        .iter()
        .filter(|c| c["locations"][0]["postCode"] == "BL3 1SX")
        .cloned()
        .collect::<Vec<_>>());
    assert!(!expected.is_empty());
    assert_eq!(ids(&first), expected);

    let in_list = api
        .list("/customers?externalId=C-00001,C-00002,C-00003,C-99999&tags=north")
        .await;
    assert_eq!(
        ids(&in_list),
        [
            all[1]["_id"].as_str().unwrap(),
            all[2]["_id"].as_str().unwrap()
        ]
    );

    let numeric = api.list("/customers?customData.rank=7").await;
    assert_eq!(ids(&numeric), [all[7]["_id"].as_str().unwrap()]);
    let greater = api.list("/customers?customData.rank>=1500").await;
    assert_eq!(greater.len(), N - 1500);

    let routes = api.list("/routes?date=20250116").await;
    assert_eq!(routes.len(), 1, "string date matches");
    let routes = api.list("/routes?date=20250115,20250116").await;
    assert_eq!(routes.len(), 2);
    let tasks = api.list("/tasks?assignment.routeUID=R-AAAA1111").await;
    assert_eq!(tasks.len(), 1);
    assert!(
        api.list("/customers?name=Nobody%20at%20all")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn filter_json_with_mongo_operators() {
    let h = server(N).await;
    let api = Api::new(&h);
    let all = h.customers();
    let filter = |f: Value| format!("/customers?filter={}", enc(&f.to_string()));

    let regex = api
        .list(&filter(
            json!({"name": {"$regex": "bolton$", "$options": "i"}}),
        ))
        .await;
    assert_eq!(regex.len(), N.div_ceil(5));
    assert!(
        regex
            .iter()
            .all(|c| c["name"].as_str().unwrap().ends_with("Bolton"))
    );

    let within = api
        .list(&filter(
            json!({"externalId": {"$in": ["C-00010", "C-00020", "nope"]}}),
        ))
        .await;
    assert_eq!(ids(&within), ids(&[all[10].clone(), all[20].clone()]));

    let gt = api
        .list(&filter(json!({"customData.rank": {"$gt": 1499}})))
        .await;
    assert_eq!(ids(&gt), ids(&all[1500..]));

    let exists = api
        .list(&filter(json!({"description": {"$exists": true}})))
        .await;
    assert_eq!(exists.len(), N.div_ceil(10));
    let missing = api
        .list(&filter(json!({"description": {"$exists": false}})))
        .await;
    assert_eq!(exists.len() + missing.len(), N);

    let combined = api
        .list(&format!(
            "{}&tags=retail&limit=2",
            filter(json!({"$or": [{"customData.rank": {"$lt": 3}}, {"customData.rank": {"$gte": 1500}}]}))
        ))
        .await;
    assert_eq!(ids(&combined), ids(&[all[0].clone(), all[1500].clone()]));

    let (status, body) = api.get(&filter(json!({"name": {"$where": "1"}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("$where"),
        "{body}"
    );
    let (status, body) = api.get("/customers?filter=%7Bbroken").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn update_many_changes_exactly_the_named_customers() {
    let h = server(N).await;
    let api = Api::new(&h);
    let before = h.customers();
    let targets = [5usize, 700, 1502];
    let items: Vec<Value> = targets
        .iter()
        .map(|&i| {
            json!({"_id": before[i]["_id"], "contactName": format!("Changed {i}"),
                   "locations": [{"uid": before[i]["locations"][0]["uid"], "name": "Main",
                                  "postCode": "ZZ9 9ZZ", "coordinates": [-1.5, 53.8]},
                                 {"name": "Brand new"}]})
        })
        .collect();
    let (status, body) = api
        .post("/customers/updateMany", &json!({ "items": items }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let expected_ids: Vec<Value> = targets.iter().map(|&i| before[i]["_id"].clone()).collect();
    assert_eq!(
        body,
        json!({"result": 3, "ids": expected_ids, "errors": []})
    );

    let after = h.customers();
    assert_eq!(after.len(), before.len());
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if targets.contains(&i) {
            assert_eq!(a["contactName"], format!("Changed {i}"));
            assert_eq!(
                a["name"], b["name"],
                "untouched keys survive (shallow merge)"
            );
            assert_eq!(a["customData"], b["customData"]);
            assert_eq!(a["locations"][0]["uid"], b["locations"][0]["uid"]);
            assert!(
                a["locations"][0].get("schedule").is_none(),
                "arrays replace wholesale"
            );
            let new_uid = a["locations"][1]["uid"].as_str().unwrap();
            assert!(new_uid.starts_with("CL-") && new_uid.len() == 11);
        } else {
            assert_eq!(
                serde_json::to_string(a).unwrap(),
                serde_json::to_string(b).unwrap(),
                "customer {i} must be byte-identical"
            );
        }
    }
    assert_eq!(h.stats().writes, 1);
    assert_eq!(h.stats().written_items, 3);

    // returnItems gives the stored entities.
    let (_, body) = api
        .post(
            "/customers/updateMany",
            &json!({"items": [{"_id": before[9]["_id"], "reference": "R9"}], "returnItems": true}),
        )
        .await;
    assert_eq!(body["items"][0]["reference"], "R9");
    assert_eq!(body["items"][0]["name"], before[9]["name"]);
}

#[tokio::test]
async fn unknown_ids_and_bad_items_fail_alone() {
    let h = server(20).await;
    let api = Api::new(&h);
    let before = h.customers();
    let (status, body) = api
        .post(
            "/customers/updateMany",
            &json!({"items": [
                {"_id": before[0]["_id"], "contactName": "ok 0"},
                {"_id": "0123456789abcdef01234567", "contactName": "nobody"},
                {"_id": before[2]["_id"], "uid": "CUS-CHANGED1"},
                {"_id": before[3]["_id"], "locations": [{"coordinates": [-2.0, 95.0]}]},
                {"_id": before[4]["_id"], "locations": [{"schedule": {"Tue": {"timeWindows": [{"start": 1440, "end": 1500}]}}}]},
                {"_id": before[5]["_id"], "contactName": "ok 5"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], 2);
    assert_eq!(body["ids"], json!([before[0]["_id"], before[5]["_id"]]));
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(
        errors
            .iter()
            .map(|e| e["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(
        errors[0]["message"],
        "Customer 0123456789abcdef01234567 cannot be found"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty()))
    );
    let after = h.customers();
    assert_eq!(after[0]["contactName"], "ok 0");
    assert_eq!(after[5]["contactName"], "ok 5");
    for i in 1..5 {
        assert_eq!(after[i], before[i], "failed item {i} left untouched");
    }
}

#[tokio::test]
async fn missing_or_wrong_key_is_401_and_bare_key_works() {
    let h = server(3).await;
    let http = client();
    let url = format!("{}/customers", h.base_url());
    for auth in [
        None,
        Some("ApiKey wrong"),
        Some("wrong"),
        Some("Bearer test"),
    ] {
        let mut req = http.get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({"message": "Unauthorized: missing or invalid API key"})
        );
    }
    let resp = http
        .get(&url)
        .header("Authorization", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = http
        .get(format!("{}/_sandbox/stats", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "admin routes need the key"
    );
}

#[tokio::test]
async fn rate_limit_fault_sends_retry_after_and_admin_routes_are_exempt() {
    let h = server(3).await;
    let api = Api::new(&h);
    h.faults().set("429=1,retry-after=7".parse().unwrap());
    let resp = api
        .http
        .get(format!("{}/customers", h.base_url()))
        .header("Authorization", format!("ApiKey {KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "7");
    let text = resp.text().await.unwrap();
    assert!(text.contains("exceeded the request limit"), "{text}");
    serde_json::from_str::<Value>(&text).unwrap();

    let (status, stats) = api.get("/_sandbox/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["faults"]["rateLimited"], 1);
    assert_eq!(stats["requests"]["GET /customers"], 1);
    h.faults().clear();
    assert_eq!(api.list("/customers").await.len(), 3);
}

#[tokio::test]
async fn unavailable_fault_is_503_json_and_latency_delays() {
    let h = server(3).await;
    let api = Api::new(&h);
    h.faults().set("5xx=1".parse().unwrap());
    let (status, body) = api.get("/customers").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["message"].is_string());
    let (status, _) = api
        .post("/customers/createMany", &json!({"items": [{"name": "x"}]}))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.customers().len(), 3, "a faulted write changes nothing");

    h.faults().set("latency=60ms".parse().unwrap());
    let started = Instant::now();
    assert_eq!(api.list("/customers").await.len(), 3);
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn drop_fault_gives_a_connection_error_then_recovers() {
    let h = server(3).await;
    let api = Api::new(&h);
    h.faults().set("drop=1".parse().unwrap());
    let err = api
        .http
        .get(format!("{}/customers", h.base_url()))
        .header("Authorization", KEY)
        .send()
        .await
        .expect_err("the connection must be dropped");
    assert!(err.status().is_none(), "no HTTP status at all: {err:?}");
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    assert_eq!(h.stats().dropped, 1);
    h.faults().clear();
    assert_eq!(api.list("/customers").await.len(), 3);
}

#[tokio::test]
async fn reject_field_fails_exactly_the_marked_items() {
    let h = server(6).await;
    let api = Api::new(&h);
    h.faults()
        .set("reject-field=contactName:REJECT".parse().unwrap());
    let (status, body) = api
        .post(
            "/customers/createMany",
            &json!({"items": [
                {"name": "A", "contactName": "fine"},
                {"name": "B", "contactName": "REJECT"},
                {"name": "C"},
                {"name": "D", "contactName": "REJECT"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], 2);
    assert_eq!(
        body["errors"],
        json!([
            {"index": 1, "message": "Rejected by sandbox fault: contactName = REJECT"},
            {"index": 3, "message": "Rejected by sandbox fault: contactName = REJECT"},
        ])
    );
    let names: Vec<Value> = h.customers().iter().map(|c| c["name"].clone()).collect();
    assert!(names.contains(&json!("A")) && names.contains(&json!("C")));
    assert!(!names.contains(&json!("B")) && !names.contains(&json!("D")));

    let before = h.customers();
    let (_, body) = api
        .post(
            "/customers/updateMany",
            &json!({"items": [
                {"_id": before[0]["_id"], "contactName": "REJECT"},
                {"_id": before[1]["_id"], "contactName": "accepted"},
            ]}),
        )
        .await;
    assert_eq!(body["ids"], json!([before[1]["_id"]]));
    assert_eq!(body["errors"][0]["index"], 0);
    assert_eq!(h.customers()[0], before[0]);
}

#[tokio::test]
async fn route_lock_and_unlock_flip_locked() {
    let h = server(1).await;
    let api = Api::new(&h);
    let routes = h.routes();
    let (status, body) = api
        .post(
            "/routes/lock",
            &json!({"ids": [routes[0]["_id"], "R-BBBB2222", "R-NOPE0000"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], 2);
    assert_eq!(body["ids"], json!([routes[0]["_id"], routes[1]["_id"]]));
    assert_eq!(
        body["errors"],
        json!([{"index": 2, "message": "Route R-NOPE0000 cannot be found"}])
    );
    assert!(h.routes().iter().all(|r| r["locked"] == true));
    let (_, body) = api
        .post("/routes/unlock", &json!({"ids": ["R-AAAA1111"]}))
        .await;
    assert_eq!(body["result"], 1);
    let (_, one) = api.get("/routes/R-AAAA1111").await;
    assert_eq!(one["locked"], false);
    let (_, two) = api.get("/routes/R-BBBB2222").await;
    assert_eq!(two["locked"], true);
    let (status, _) = api.post("/routes/lock", &json!({"id": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tasks_single_and_bulk_routes() {
    let h = server(3).await;
    let api = Api::new(&h);
    let customers = h.customers();

    let (status, created) = api
        .post(
            "/tasks",
            &json!({"type": 0, "date": "20250115", "location": {"type": 2, "address": "2 B St"},
                    "customer": {"externalId": "C-00001"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let uid = created["uid"].as_str().unwrap().to_owned();
    assert!(uid.starts_with("T-"));
    assert_eq!(created["type"], 2);
    assert_eq!(created["date"], 20250115);
    assert_eq!(created["customer"]["_id"], customers[1]["_id"]);
    assert_eq!(created["organization"], "5f0c2a9e1d3b4c5a6e7f8091");

    let by_customer = api
        .list(&format!(
            "/tasks?customer.uid={}&date=20250115",
            customers[1]["uid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ids(&by_customer), [created["_id"].as_str().unwrap()]);

    let put = api
        .send(
            api.http
                .put(format!("{}/tasks?uid={uid}", h.base_url()))
                .json(&json!({"internalComment": "via uid"})),
        )
        .await;
    assert_eq!(put.0, StatusCode::OK);
    assert_eq!(put.1["internalComment"], "via uid");
    let put = api
        .send(
            api.http
                .put(format!(
                    "{}/tasks/{}",
                    h.base_url(),
                    created["_id"].as_str().unwrap()
                ))
                .json(&json!({"state": 60})),
        )
        .await;
    assert_eq!(put.1["stateText"], "Completed");
    assert_eq!(put.1["internalComment"], "via uid");

    let (status, body) = api
        .post(
            "/tasks/createMany",
            &json!({"items": [
                {"date": 20250116, "location": {"address": "x"}, "customer": {"externalId": "C-00002"}},
                {"date": 20250116, "location": {"address": "y"}, "customer": {"externalId": "C-1002"}},
            ], "returnItems": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], 1);
    assert_eq!(
        body["errors"],
        json!([{"index": 1, "message": "Customer externalId C-1002 cannot be found"}])
    );
    assert_eq!(body["items"].as_array().unwrap().len(), 1);

    let (status, body) = api
        .post(
            "/tasks/updateMany",
            &json!({"items": [{"uid": uid, "reference": "SO1"}, {"uid": "T-MISSING0", "reference": "x"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], 1);
    assert_eq!(
        body["errors"][0]["message"],
        "Task T-MISSING0 cannot be found"
    );

    let del = |u: String| api.send(api.http.delete(format!("{}/tasks?uid={u}", h.base_url())));
    assert_eq!(del(uid.clone()).await.0, StatusCode::OK);
    let (status, body) = del(uid.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].as_str().unwrap().contains(&uid));
    let (status, _) = api.get(&format!("/tasks/{uid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, body) = api
        .post(
            "/tasks/removeMany",
            &json!({"ids": ["T-KNOWN001", "T-KNOWN001"]}),
        )
        .await;
    assert_eq!(body["result"], 1);
    assert_eq!(body["errors"][0]["index"], 1);
}

#[tokio::test]
async fn contract_requests_are_accepted() {
    let fixture = |name: &str| -> Value {
        let text = std::fs::read_to_string(format!("tests/fixtures/contract/{name}")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let update = fixture("customers-updateMany.request.json");
    let mut data = collections(0);
    for item in update["items"].as_array().unwrap() {
        data.customers
            .push(json!({"_id": item["_id"], "name": "Existing"}));
    }
    let h = spawn_on_loopback(
        Store::new(data).unwrap(),
        SandboxConfig::new(SecretString::from(KEY)),
    )
    .await
    .unwrap();
    let api = Api::new(&h);

    let (status, body) = api.post("/customers/updateMany", &update).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], 2, "{body}");
    assert_eq!(body["errors"], json!([]));
    let c = &h.customers()[1];
    assert_eq!(c["locations"][0]["uid"], "CL-PWZNXZCP");
    assert!(c["locations"][0]["schedule"].is_null());

    let (_, body) = api
        .post(
            "/customers/createMany",
            &fixture("customers-createMany.request.json"),
        )
        .await;
    assert_eq!(body["result"], 1);
    let (_, body) = api
        .post(
            "/tasks/createMany",
            &fixture("tasks-createMany.request.json"),
        )
        .await;
    assert_eq!(body["result"], 2, "{body}");
    assert_eq!(body["items"][1]["type"], 2, "type 0 is stored as 2");
    for name in [
        "tasks-create.request.json",
        "tasks-create.integration.request.json",
    ] {
        let (status, body) = api.post("/tasks", &fixture(name)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert!(body["uid"].as_str().unwrap().starts_with("T-"));
    }
}

#[tokio::test]
async fn malformed_requests_get_json_4xx() {
    let h = server_with(
        2,
        SandboxConfig::new(SecretString::from(KEY)).with_body_limit(4096),
    )
    .await;
    let api = Api::new(&h);
    let raw = |path: &str, body: Vec<u8>| {
        api.send(
            api.http
                .post(format!("{}{path}", h.base_url()))
                .header("Content-Type", "application/json")
                .body(body),
        )
    };
    for (path, body, status) in [
        ("/customers/createMany", b"not json".to_vec(), 400),
        ("/customers/createMany", b"".to_vec(), 400),
        ("/customers/createMany", b"[1,2]".to_vec(), 400),
        ("/customers/updateMany", br#"{"item": []}"#.to_vec(), 400),
        ("/customers/updateMany", br#"{"items": {}}"#.to_vec(), 400),
        ("/customers/removeMany", br#"{"items": []}"#.to_vec(), 400),
        (
            "/customers/createMany",
            br#"{"items": [], "returnItems": "yes"}"#.to_vec(),
            400,
        ),
        ("/customers/createMany", vec![b' '; 10_000], 413),
        ("/nowhere", b"{}".to_vec(), 404),
    ] {
        let (got, body) = raw(path, body).await;
        assert_eq!(got.as_u16(), status, "{path}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    let (status, body) = api.get("/customers?limit=-3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("limit"));
    let (status, _) = api.get("/customers/0123456789abcdef01234567").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api
        .send(api.http.patch(format!("{}/customers", h.base_url())))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["message"].is_string());
    let (status, body) = api
        .post("/customers/createMany", &json!({"items": []}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"result": 0, "ids": [], "errors": []}));
}

#[tokio::test]
async fn faults_can_be_changed_over_http() {
    let h = server(2).await;
    let api = Api::new(&h);
    let put = |body: String| {
        api.send(
            api.http
                .put(format!("{}/_sandbox/faults", h.base_url()))
                .body(body),
        )
    };
    let (status, body) = put("429=1,retry-after=3".to_owned()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["p429"], 1.0);
    assert_eq!(h.faults().get().retry_after_secs, 3);
    let (status, _) = api.get("/customers").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, body) = put(r#"{"latency": "5ms"}"#.to_owned()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["spec"], "latency=5ms");
    let (status, body) = put("boom=1".to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("boom"));
    let (_, body) = api.get("/_sandbox/faults").await;
    assert_eq!(body["spec"], "latency=5ms");
    assert_eq!(h.faults().get(), "latency=5ms".parse::<Faults>().unwrap());
    let (_, stats) = api
        .send(api.http.delete(format!("{}/_sandbox/stats", h.base_url())))
        .await;
    assert_eq!(stats["total"], 0);
}

#[tokio::test]
async fn state_file_survives_a_restart_and_every_ack_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox-state.json");
    let config = || SandboxConfig::new(SecretString::from(KEY)).with_state_file(Some(path.clone()));
    let h = server_with(40, config()).await;
    assert!(path.exists(), "the state is saved before serving");
    let api = Api::new(&h);
    let before = h.customers();

    // Many writes at once; each acknowledged one must already be in the file.
    let mut pending = Vec::new();
    for (i, c) in before.iter().enumerate().take(30) {
        let id = c["_id"].as_str().unwrap().to_owned();
        let body = json!({"items": [{"_id": id, "contactName": format!("saved {i}")}]});
        let http = api.http.clone();
        let url = format!("{}/customers/updateMany", h.base_url());
        let path = path.clone();
        pending.push(tokio::spawn(async move {
            let resp = http
                .post(url)
                .header("Authorization", KEY)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let answer = resp.json::<Value>().await.unwrap();
            let on_disk = Store::load(&path).unwrap();
            assert_eq!(
                on_disk.get(Kind::Customers, &id).unwrap()["contactName"],
                format!("saved {i}"),
                "acknowledged write {i} is in the state file"
            );
            answer
        }));
    }
    for p in pending {
        assert_eq!(p.await.unwrap()["result"], 1);
    }
    let on_disk = Store::load(&path).unwrap();
    for (i, c) in on_disk.all(Kind::Customers).iter().enumerate().take(30) {
        assert_eq!(c["contactName"], format!("saved {i}"));
    }
    h.shutdown().await;

    let store = Store::load_or_else(Some(&path), || -> Result<Collections, String> {
        Err("the seed must not be used when the state file exists".to_owned())
    })
    .unwrap();
    let h2 = spawn_on_loopback(store, config()).await.unwrap();
    let api2 = Api::new(&h2);
    let again = api2.list("/customers").await;
    assert_eq!(again.len(), 40);
    assert_eq!(again[3]["contactName"], "saved 3");
    assert_eq!(again[35], before[35]);
    assert_eq!(api2.list("/routes?locked=false").await.len(), 2);
    h2.shutdown().await;
}

#[tokio::test]
async fn demo_seed_pages_routes_and_tasks() {
    use elogii_tui::sandbox::seed;
    let today = jiff::civil::date(2026, 3, 2);
    let store = Store::from_seed(seed::demo(today).unwrap()).unwrap();
    let h = spawn_on_loopback(store, SandboxConfig::new(SecretString::from(KEY)))
        .await
        .unwrap();
    let api = Api::new(&h);
    let total = h.customers().len();
    let mut read = 0;
    let mut requests = 0;
    loop {
        let page = api
            .list(&format!("/customers?limit=100&skip={read}&select=name"))
            .await;
        requests += 1;
        read += page.len();
        if page.len() < 100 {
            break;
        }
    }
    assert_eq!(read, total);
    assert_eq!(requests, total / 100 + 1);

    let routes = api.list("/routes?date=20260302").await;
    assert!(!routes.is_empty());
    let route_uid = routes[0]["uid"].as_str().unwrap();
    let stops = api
        .list(&format!(
            "/tasks?date=20260302&assignment.routeUID={route_uid}&sort=assignment.routeOrder"
        ))
        .await;
    let orders: Vec<i64> = stops
        .iter()
        .map(|t| t["assignment"]["routeOrder"].as_i64().unwrap())
        .collect();
    let mut sorted = orders.clone();
    sorted.sort();
    assert_eq!(orders, sorted);
    assert_eq!(
        stops.len(),
        h.tasks()
            .iter()
            .filter(|t| t["assignment"]["routeUID"] == route_uid)
            .count()
    );
    let later = api.list("/tasks?date%3E20260302").await;
    assert!(later.iter().all(|t| t["date"].as_i64().unwrap() > 20260302));
    assert!(!later.is_empty());
}

#[tokio::test]
async fn non_ascii_premises_are_found_by_equality_and_case_insensitive_regex() {
    use elogii_tui::sandbox::seed;
    let data = seed::from_path(
        std::path::Path::new("tests/fixtures/non-ascii-premises.csv"),
        jiff::civil::date(2026, 3, 2),
    )
    .unwrap();
    let h = spawn_on_loopback(
        Store::from_seed(data).unwrap(),
        SandboxConfig::new(SecretString::from(KEY)),
    )
    .await
    .unwrap();
    let api = Api::new(&h);
    let by_name = api
        .list(&format!("/customers?name={}", enc("Picnic Sörnäinen")))
        .await;
    assert_eq!(by_name.len(), 1);
    let filter = json!({"name": {"$regex": "SÖRNÄINEN", "$options": "i"}});
    let by_regex = api
        .list(&format!("/customers?filter={}", enc(&filter.to_string())))
        .await;
    assert!(by_regex.iter().any(|c| c["_id"] == by_name[0]["_id"]));
    assert!(by_regex.iter().all(|c| {
        c["name"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("sörnäinen")
    }));
}
