//! Fuzz: thousands of argument objects generated from every tool's published input schema (valid-ish values,
//! wrong types, huge strings, deep nesting, numbers out of range, unicode edge cases), through the one
//! dispatch path, with every backend on a closed loopback port. Bounded in time. Every call must end in a
//! reply or a typed error (no panic, no hang, no internal error), within its byte budget.

use futures::StreamExt;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::server::to_call_result;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TIME_BOUND: Duration = Duration::from_secs(60);
const MIN_CALLS: usize = 2000;
const MAX_CALLS: usize = 5000;
const PER_CALL: Duration = Duration::from_secs(20);

use crate::support::closed_backends;
use closed_backends::closed_state;

fn state() -> Arc<AppState> {
    closed_state("fuzz")
}

const STRINGS: &[&str] = &[
    "",
    " ",
    "now",
    "now-100000000d",
    "now-15m",
    "2024-01-15T03:00:00Z",
    "*",
    "orders*",
    "[",
    "(",
    "a\u{0}b",
    "../../etc/passwd",
    "/etc/passwd",
    "x.parquet",
    "out/x.parquet",
    "é",
    "\u{202e}rtl",
    "🙂🚀",
    "e\u{301}",
    "\u{FFFF}",
    "{job=\"kafka\"}",
    "up",
    "rate(x[5m])",
    "earliest",
    "latest",
    "tail",
    "broker:1",
    "topic:orders",
    "1e400",
    "-1",
    "18446744073709551616",
];

fn huge_string(rng: &mut ChaCha8Rng) -> String {
    let unit = ["é", "x", "\u{0}", "🙂", "("][rng.random_range(0..5)];
    unit.repeat(rng.random_range(1_000..200_000))
}

fn deep(depth: usize) -> Value {
    let mut v = json!(1);
    for i in 0..depth {
        v = if i % 2 == 0 { json!([v]) } else { json!({"a": v}) };
    }
    v
}

fn number(rng: &mut ChaCha8Rng, schema: &Map<String, Value>) -> Value {
    let lo = schema.get("minimum").and_then(Value::as_f64);
    let hi = schema.get("maximum").and_then(Value::as_f64);
    match rng.random_range(0..8) {
        0 => json!(-1),
        1 => json!(0),
        2 => json!(u64::MAX),
        3 => json!(1e300),
        4 => json!(-1e300),
        5 => json!(0.5),
        _ => {
            let (a, b) = (lo.unwrap_or(0.0), hi.unwrap_or(lo.unwrap_or(0.0) + 100.0).min(1e6));
            let x = if a < b { rng.random_range(a..=b) } else { a };
            if schema.get("type") == Some(&json!("integer")) {
                json!(x.round() as i64)
            } else {
                json!(x)
            }
        }
    }
}

/// A value for a property schema: mostly shaped like it, sometimes anything.
fn value(rng: &mut ChaCha8Rng, schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 6 {
        return json!(null);
    }
    let Some(m) = schema.as_object() else { return json!(null) };
    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
        if let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p)) {
            return value(rng, target, root, depth + 1);
        }
    }
    if let Some(e) = m.get("enum").and_then(Value::as_array).filter(|e| !e.is_empty()) {
        if rng.random_bool(0.8) {
            return e[rng.random_range(0..e.len())].clone();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(b) = m.get(key).and_then(Value::as_array).filter(|b| !b.is_empty()) {
            let pick = rng.random_range(0..b.len());
            return value(rng, &b[pick], root, depth + 1);
        }
    }
    if rng.random_bool(0.1) {
        return wild(rng);
    }
    let ty = match m.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) if !ts.is_empty() => ts[rng.random_range(0..ts.len())].as_str().unwrap_or("null").into(),
        _ => ["string", "integer", "object"][rng.random_range(0..3)].into(),
    };
    match ty.as_str() {
        "string" => {
            if rng.random_bool(0.05) {
                json!(huge_string(rng))
            } else {
                json!(STRINGS[rng.random_range(0..STRINGS.len())])
            }
        }
        "integer" | "number" => number(rng, m),
        "boolean" => json!(rng.random_bool(0.5)),
        "null" => Value::Null,
        "array" => {
            let n = rng.random_range(0..4);
            let items = m.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| value(rng, &items, root, depth + 1)).collect())
        }
        _ => object(rng, m, root, depth + 1),
    }
}

/// Anything at all: wrong types, deep nesting, huge strings, odd schemas.
fn wild(rng: &mut ChaCha8Rng) -> Value {
    match rng.random_range(0..10) {
        0 => deep(rng.random_range(10..120)),
        1 => json!(huge_string(rng)),
        2 => json!(-9.9e307),
        3 => json!({"allOf": [{"$ref": "#"}]}),
        4 => json!({"type": "array", "minItems": 1_000_000_000u64, "items": {"type": "integer"}}),
        5 => json!({"type": "string", "minLength": 100_000_000u64}),
        6 => json!([]),
        7 => json!({}),
        8 => json!(true),
        _ => json!(STRINGS[rng.random_range(0..STRINGS.len())]),
    }
}

fn object(rng: &mut ChaCha8Rng, schema: &Map<String, Value>, root: &Value, depth: usize) -> Value {
    let mut out = Map::new();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            if required.contains(&k.as_str()) || rng.random_bool(0.5) {
                out.insert(k.clone(), value(rng, p, root, depth));
            }
        }
    }
    if rng.random_bool(0.05) {
        out.insert(huge_string(rng), json!(1));
    }
    Value::Object(out)
}

fn arguments(rng: &mut ChaCha8Rng, schema: &Value) -> Map<String, Value> {
    let mut args = match rng.random_range(0..20) {
        0 => Map::new(),
        1 => {
            let mut m = Map::new();
            m.insert("x".into(), wild(rng));
            m
        }
        _ => object(rng, schema.as_object().unwrap(), schema, 0).as_object().cloned().unwrap_or_default(),
    };
    if rng.random_bool(0.5) {
        args.insert(
            "max_output_bytes".into(),
            [json!(1024), json!(2048), json!(4096), json!(32768), json!(100), json!("x")][rng.random_range(0..6)]
                .clone(),
        );
    }
    args
}

fn budget(args: &Map<String, Value>, default: usize) -> usize {
    args.get("max_output_bytes")
        .and_then(Value::as_u64)
        .filter(|n| (1024..=1024 * 1024).contains(n))
        .map_or(default, |n| n as usize)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_generated_calls_all_end_in_a_reply_or_a_typed_error() {
    let state = state();
    let registry = Arc::new(Registry::new());
    let tools: Vec<(String, Value)> =
        registry.infos().map(|(info, input, _)| (info.name.to_string(), Value::Object((**input).clone()))).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let mut calls = vec![];
    for i in 0..MAX_CALLS {
        let (name, schema) = &tools[i % tools.len()];
        calls.push((name.clone(), arguments(&mut rng, schema)));
    }
    let started = Instant::now();
    let default_budget = state.config.output.max_output_bytes;
    let results = futures::stream::iter(calls.into_iter().enumerate())
        .take_while(|(i, _)| futures::future::ready(*i < MIN_CALLS || started.elapsed() < TIME_BOUND))
        .map(|(_, (name, args))| {
            let (state, registry) = (state.clone(), registry.clone());
            async move {
                let budget = budget(&args, default_budget);
                let shown = kafka_qa_mcp::text::cut_bytes(&Value::Object(args.clone()).to_string(), 300);
                let task = tokio::spawn({
                    let (state, name) = (state.clone(), name.clone());
                    async move {
                        let cx = CallContext::new(state.clone());
                        let out = registry.call(&cx, &name, Some(args)).await;
                        let internal =
                            matches!(&out, Err(Error::Internal(_))).then(|| format!("{:?}", out.as_ref().err()));
                        let rendered = to_call_result(out, &state);
                        let text: usize =
                            rendered.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.len()).sum();
                        let json = serde_json::to_string(&rendered.structured_content).unwrap().len();
                        (text + json, internal)
                    }
                });
                match tokio::time::timeout(PER_CALL, task).await {
                    Err(_) => Err(format!("{name} did not answer within {PER_CALL:?}: {shown}")),
                    Ok(Err(e)) => Err(format!("{name} panicked ({e}): {shown}")),
                    Ok(Ok((_, Some(internal)))) => Err(format!("{name} internal error {internal}: {shown}")),
                    Ok(Ok((size, None))) if size > budget => {
                        Err(format!("{name} replied {size} bytes over its budget {budget}: {shown}"))
                    }
                    Ok(Ok(_)) => Ok(()),
                }
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    eprintln!(
        "fuzz: {} calls over {} tools in {:.1} s, {} failures",
        results.len(),
        tools.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(results.len() >= MIN_CALLS);
    assert!(
        failures.is_empty(),
        "{} failures, first ones:\n{}",
        failures.len(),
        failures.iter().take(10).map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}
