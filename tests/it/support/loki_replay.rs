//! A loopback HTTP server that replays responses recorded from a real Loki 3.4.6 (tests/fixtures/loki/, see
//! its README). It matches a request on its path, LogQL, times, direction and step, and applies `limit` to
//! recorded streams the way Loki does (keeping the newest lines for backward queries). Used by the
//! loki_query and rca_scenario tests and, through `examples/loki_replay.rs`, by the protocol tests and the demo: no real Loki
//! can be installed on this project's machines. A request no recording answers gets 501 saying so.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub struct Fixture {
    name: String,
    path: String,
    query: BTreeMap<String, String>,
    request_headers: BTreeMap<String, String>,
    status: u16,
    content_type: String,
    body: String,
}

#[derive(Clone)]
pub struct Replay {
    pub fixtures: Arc<Vec<Fixture>>,
    /// Request headers seen, for tests of tenancy and credentials.
    pub seen_headers: Arc<Mutex<Vec<HeaderMap>>>,
}

fn load_fixtures() -> Vec<Fixture> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/loki");
    let mut out = vec![];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") || !name.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.push(Fixture {
            name,
            path: f["path"].as_str().unwrap().to_string(),
            query: f["query"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect())
                .unwrap_or_default(),
            request_headers: f["request_headers"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.to_lowercase(), v.as_str().unwrap().to_string())).collect())
                .unwrap_or_default(),
            status: f["status"].as_u64().unwrap() as u16,
            content_type: f["headers"]["content-type"].as_str().unwrap_or("text/plain").to_string(),
            body: f["body"].as_str().unwrap().to_string(),
        });
    }
    out
}

/// Unix nanoseconds of an RFC 3339 time or a Unix number (ns when 19 digits, else seconds).
fn ns(t: &str) -> i128 {
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return d.with_timezone(&Utc).timestamp_nanos_opt().unwrap() as i128;
    }
    let n: f64 = t.parse().unwrap();
    if t.len() >= 19 {
        n as i128
    } else {
        (n * 1e9) as i128
    }
}

fn matches(f: &Fixture, path: &str, q: &BTreeMap<String, String>, headers: &HeaderMap) -> bool {
    if f.path != path
        || f.request_headers
            .iter()
            .any(|(k, v)| headers.get(k.as_str()).and_then(|h| h.to_str().ok()) != Some(v.as_str()))
    {
        return false;
    }
    for key in ["query", "match[]"] {
        if f.query.get(key) != q.get(key) && f.query.contains_key(key) {
            return false;
        }
    }
    for key in ["start", "end", "time"] {
        if let (Some(a), Some(b)) = (f.query.get(key), q.get(key)) {
            if ns(a) != ns(b) {
                return false;
            }
        }
    }
    let direction = |m: &BTreeMap<String, String>| m.get("direction").cloned().unwrap_or_else(|| "backward".into());
    if f.query.contains_key("direction") && direction(&f.query) != direction(q) {
        return false;
    }
    if let (Some(a), Some(b)) = (f.query.get("step"), q.get("step")) {
        if a != b {
            return false;
        }
    }
    // Loki refuses limits over its max_entries_limit_per_query (5000): fixture 16 recorded that answer.
    let over =
        |m: &BTreeMap<String, String>| m.get("limit").and_then(|l| l.parse::<usize>().ok()).is_some_and(|l| l > 5000);
    over(&f.query) == over(q)
}

/// Keeps the `limit` newest (backward) or oldest (forward) entries of a recorded streams answer.
fn apply_limit(body: &str, limit: usize, forward: bool) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap();
    if v["data"]["resultType"] != "streams" {
        return body.to_string();
    }
    let streams = v["data"]["result"].as_array().unwrap().clone();
    let mut all: Vec<(i128, usize, Value)> = vec![];
    for (i, s) in streams.iter().enumerate() {
        for e in s["values"].as_array().unwrap() {
            all.push((e[0].as_str().unwrap().parse().unwrap(), i, e.clone()));
        }
    }
    if all.len() <= limit {
        return body.to_string();
    }
    all.sort_by_key(|(t, _, _)| if forward { *t } else { -*t });
    all.truncate(limit);
    let mut kept: Vec<Value> = vec![];
    for (i, s) in streams.iter().enumerate() {
        let values: Vec<Value> = all.iter().filter(|(_, si, _)| *si == i).map(|(_, _, e)| e.clone()).collect();
        if !values.is_empty() {
            kept.push(json!({"stream": s["stream"], "values": values}));
        }
    }
    v["data"]["result"] = Value::Array(kept);
    v.to_string()
}

async fn serve(State(replay): State<Replay>, request: Request) -> impl IntoResponse {
    let headers = request.headers().clone();
    replay.seen_headers.lock().unwrap().push(headers.clone());
    let path = request.uri().path().to_string();
    let q: BTreeMap<String, String> = request.uri().query().map(url_pairs).unwrap_or_default();
    let mut found: Vec<&Fixture> = replay.fixtures.iter().filter(|f| matches(f, &path, &q, &headers)).collect();
    if found.len() > 1 {
        // Several recordings answer the same query with different limits: the one recorded with the same limit,
        // else the most complete one (the largest limit), cut to the asked limit below as Loki would.
        let limit_of = |m: &BTreeMap<String, String>| m.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(0);
        let asked = limit_of(&q);
        found = match found.iter().find(|f| limit_of(&f.query) == asked) {
            Some(exact) => vec![*exact],
            None => found.iter().max_by_key(|f| limit_of(&f.query)).map(|f| vec![*f]).unwrap_or_default(),
        };
    }
    match found.as_slice() {
        [f] => {
            let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(usize::MAX);
            let body = if f.status == 200 {
                apply_limit(&f.body, limit, q.get("direction").map(String::as_str) == Some("forward"))
            } else {
                f.body.clone()
            };
            (StatusCode::from_u16(f.status).unwrap(), [(header::CONTENT_TYPE, f.content_type.clone())], body)
        }
        other => {
            let names: Vec<&str> = other.iter().map(|f| f.name.as_str()).collect();
            (
                StatusCode::NOT_IMPLEMENTED,
                [(header::CONTENT_TYPE, "text/plain".to_string())],
                format!("no single fixture for {path} {q:?}: {names:?}"),
            )
        }
    }
}

fn url_pairs(query: &str) -> BTreeMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub struct Harness {
    pub url: String,
    pub replay: Replay,
}

/// Starts the replay on a free loopback port, in the current runtime.
pub async fn start() -> Harness {
    start_on("127.0.0.1:0").await
}

pub async fn start_on(addr: &str) -> Harness {
    let replay = Replay { fixtures: Arc::new(load_fixtures()), seen_headers: Arc::default() };
    assert!(replay.fixtures.len() >= 28, "the recorded fixtures are missing from tests/fixtures/loki");
    let app = axum::Router::new().fallback(serve).with_state(replay.clone());
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the Loki replay address");
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Harness { url, replay }
}
