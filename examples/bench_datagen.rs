//! Benchmark of generate_test_data, printed as figures:
//! - records/s in process for a flat 10-field schema and for the order entity, and to NDJSON through the
//!   tool; the same flat records made by Python Faker (`tools/bench/datagen_faker.py`) in the same run;
//! - peak RSS after 1 million and after 10 million NDJSON records (flat memory means the same peak);
//! - records/s to a topic on the local broker next to Python confluent-kafka producing the same records, both
//!   with librdkafka's default batching, then both with tansu's property (one record per batch).
//!
//! `cargo run --release --example bench_datagen -- [--records N] [--file-records N] [--topic-records N]
//! [--quirk-records N] [--topic-only] [--in-process-only]`
//! Needs KAFKA_BOOTSTRAP_SERVERS for the topic part (skipped with a note without it).

use kafka_qa_mcp::config::{parse_properties, Config};
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::datagen::entities::{Entity, References};
use kafka_qa_mcp::datagen::stream::{Mode, Spec, Stream, Target};
use kafka_qa_mcp::datagen::values::Window;
use kafka_qa_mcp::mcp::Registry;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Instant;

/// The Python with Faker for the baseline: PYTHON (tools/test-deps prints the test Python), else python3.
fn python_bin() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// What tools/stack sets for tansu (KAFKA_QA_KAFKA_PROPERTIES): one record per batch.
const TANSU_PROPERTIES: &str = "batch.num.messages=1,linger.ms=0";

fn flat_schema() -> Value {
    json!({"type": "object", "required": ["id", "email", "first_name", "last_name", "age", "city", "status", "amount", "created_at", "active"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "email": {"type": "string", "format": "email"},
            "first_name": {"type": "string"}, "last_name": {"type": "string"}, "age": {"type": "integer", "minimum": 18, "maximum": 90},
            "city": {"type": "string"}, "status": {"enum": ["active", "suspended", "closed"]},
            "amount": {"type": "number", "minimum": 1, "maximum": 500}, "created_at": {"type": "string", "format": "date-time"},
            "active": {"type": "boolean"}}})
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn in_process(target: Target, n: u64) -> f64 {
    let mut stream = Stream::new(Spec {
        target,
        seed: 1,
        mode: Mode::Valid,
        window: Window::default(),
        defect_rate: 0.0,
        defect_constraints: vec![],
        profile: None,
    })
    .unwrap();
    let mut buf = Vec::with_capacity(4096);
    let started = Instant::now();
    for _ in 0..n {
        buf.clear();
        serde_json::to_writer(&mut buf, &stream.next_record().0).unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

async fn tool(cx: &CallContext, args: Value) -> Value {
    let Value::Object(args) = args else { unreachable!() };
    match Registry::new().call(cx, "generate_test_data", Some(args)).await {
        Ok(r) => r.structured,
        Err(e) => panic!("generate_test_data: {e}"),
    }
}

fn python(args: &[&str]) -> Option<Value> {
    let out = Command::new(python_bin()).args(args).output().ok()?;
    if !out.status.success() {
        eprintln!("python {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    serde_json::from_slice(String::from_utf8_lossy(&out.stdout).lines().last()?.as_bytes()).ok()
}

#[tokio::main]
async fn main() {
    let records = arg("--records", 1_000_000);
    let file_records = arg("--file-records", 10_000_000);
    let topic_records = arg("--topic-records", 200_000);
    let quirk_records = arg("--quirk-records", 3000);
    if std::env::args().any(|a| a == "--topic-only") {
        topic_part(
            &std::env::temp_dir().join(format!("kqm-bench-{}", std::process::id())),
            topic_records,
            quirk_records,
        )
        .await;
        return;
    }
    let dir = std::env::temp_dir().join(format!("kqm-bench-{}", std::process::id()));
    let mut config = Config::default();
    config.export.dir = dir.clone();
    config.kafka.bootstrap_servers = std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_default();
    config.safety.max_messages_per_call = 1000;
    let state = AppState::new(config).unwrap();
    let cx = CallContext::new(state.clone());

    println!("## generate_test_data benchmark ({} cores)", std::thread::available_parallelism().map_or(1, |n| n.get()));
    let flat = in_process(Target::Schema(flat_schema()), records);
    println!("in process, flat 10-field schema: {flat:>12.0} records/s ({records} records)");
    let order = in_process(Target::Entity(Entity::Order, References::default()), records / 4);
    println!("in process, order entity:         {order:>12.0} records/s ({} records)", records / 4);
    if std::env::args().any(|a| a == "--in-process-only") {
        return;
    }

    let rss_before = peak_rss_mb();
    let out = tool(&cx, json!({"schema": flat_schema(), "count": 1_000_000, "seed": 1, "destination": "file", "path": "bench/flat-1m.ndjson", "overwrite": true})).await;
    let rss_1m = peak_rss_mb();
    println!("NDJSON, flat, 1M:                 {:>12} records/s, {} MB written, peak RSS {rss_1m:.1} MB (before {rss_before:.1} MB)", out["records_per_second"], out["bytes"].as_u64().unwrap_or(0) >> 20);
    let out = tool(&cx, json!({"schema": flat_schema(), "count": file_records, "seed": 1, "destination": "file", "path": "bench/flat-big.ndjson", "overwrite": true})).await;
    let rss_big = peak_rss_mb();
    println!(
        "NDJSON, flat, {file_records}:          {:>12} records/s, {} MB written, peak RSS {rss_big:.1} MB",
        out["records_per_second"],
        out["bytes"].as_u64().unwrap_or(0) >> 20
    );
    let _ = std::fs::remove_file(dir.join("bench/flat-big.ndjson"));
    let out = tool(&cx, json!({"entity": "order", "count": 1_000_000, "seed": 1, "destination": "file", "path": "bench/order-1m.ndjson", "overwrite": true})).await;
    println!(
        "NDJSON, order entity, 1M:         {:>12} records/s, {} MB written",
        out["records_per_second"],
        out["bytes"].as_u64().unwrap_or(0) >> 20
    );

    let py_count = 50_000.to_string();
    let py_out = dir.join("bench/faker.ndjson");
    match python(&["tools/bench/datagen_faker.py", &py_count, py_out.to_str().unwrap()]) {
        Some(p) => {
            let rate = p["records_per_second"].as_f64().unwrap_or(f64::NAN);
            let ours = tool(&cx, json!({"schema": flat_schema(), "count": 1_000_000, "seed": 2, "destination": "file", "path": "bench/flat-1m.ndjson", "overwrite": true})).await["records_per_second"].as_f64().unwrap_or(0.0);
            println!("Python Faker, flat, {py_count} to NDJSON: {rate:>8.0} records/s -> generate_test_data to NDJSON is {:.1}x (goal >= 20x)", ours / rate);
        }
        None => println!("Python Faker baseline not run ({} missing or failed)", python_bin()),
    }

    topic_part(&dir, topic_records, quirk_records).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// generate_test_data to a topic next to Python confluent-kafka producing the same records to the same
/// broker: both with librdkafka's default batching, then both with tansu's property (one record per batch).
async fn topic_part(dir: &std::path::Path, topic_records: u64, quirk_records: u64) {
    let bootstrap = std::env::var("KAFKA_BOOTSTRAP_SERVERS").unwrap_or_default();
    if bootstrap.is_empty() {
        println!("topic benchmark skipped: KAFKA_BOOTSTRAP_SERVERS is not set (source .stack/env)");
        return;
    }
    let runs = [("default batching", "", topic_records), ("tansu property", TANSU_PROPERTIES, quirk_records)];
    for (label, properties, count) in runs {
        let mut config = Config::default();
        config.export.dir = dir.to_path_buf();
        config.kafka.bootstrap_servers = bootstrap.clone();
        config.kafka.properties.0.extend(parse_properties(properties).unwrap());
        let state = AppState::new(config).unwrap();
        let cx = CallContext::new(state.clone());
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let (ours_topic, theirs_topic) = (format!("bench.td.ours.{suffix}"), format!("bench.td.python.{suffix}"));
        for t in [&ours_topic, &theirs_topic] {
            state.kafka.create_topic(&state.guard, t, 1, &[]).await.unwrap();
        }
        let file = tool(&cx, json!({"entity": "order", "count": count, "seed": 9, "destination": "file", "path": "bench/orders-topic.ndjson", "overwrite": true})).await;
        let ours = tool(&cx, json!({"entity": "order", "count": count, "seed": 9, "destination": "topic", "target_topic": ours_topic, "key_field": "order_id"})).await;
        let ours_rate = ours["records_per_second"].as_f64().unwrap_or(0.0);
        println!("to topic, order entity, {count}, {label}: {ours_rate:>10.0} records/s");
        let mut args = vec![
            "tools/bench/produce_confluent.py".to_string(),
            bootstrap.clone(),
            theirs_topic.clone(),
            file["path"].as_str().unwrap().to_string(),
            "order_id".to_string(),
        ];
        args.extend(properties.split(',').filter(|p| !p.is_empty()).map(str::to_string));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match python(&args) {
            Some(p) => {
                let rate = p["records_per_second"].as_f64().unwrap_or(f64::NAN);
                println!(
                    "Python confluent-kafka, same {count} records, {label}: {rate:>8.0} records/s -> ratio {:.2}x (goal >= 1x)",
                    ours_rate / rate
                );
            }
            None => println!("Python confluent-kafka baseline not run"),
        }
        for t in [&ours_topic, &theirs_topic] {
            let _ = state.kafka.delete_topic(&state.guard, t).await;
        }
    }
}
