//! peek_messages against a real broker (tansu), through the same dispatch path MCP uses: each mode, the
//! bounds, a bad argument and a missing topic. Needs KAFKA_BOOTSTRAP_SERVERS (`source .stack/env`).

use crate::support::stack::broker_config;
use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::kafka::OutRecord;
use kafka_qa_mcp::mcp::reply::Rendered;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use serde_json::{json, Value};
use std::sync::Arc;

fn state() -> Arc<AppState> {
    let mut c = broker_config();
    c.safety.read_only = false;
    AppState::new(c).unwrap()
}

async fn call(state: &Arc<AppState>, args: Value) -> Result<Rendered, Error> {
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    Registry::new().call(&CallContext::new(state.clone()), "peek_messages", Some(args)).await
}

async fn ok(state: &Arc<AppState>, args: Value) -> Rendered {
    match call(state, args.clone()).await {
        Ok(r) => r,
        Err(e) => panic!("peek_messages {args} failed: {e}"),
    }
}

fn offsets(r: &Rendered) -> Vec<(i64, i64)> {
    r.structured["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["partition"].as_i64().unwrap(), x["offset"].as_i64().unwrap()))
        .collect()
}

fn record(key: &str, value: Option<Vec<u8>>, partition: i32) -> OutRecord {
    OutRecord { key: Some(key.as_bytes().to_vec()), value, headers: vec![], partition: Some(partition) }
}

/// Partition 0: six JSON orders (one with a header); partition 1: text, binary, Confluent-framed JSON,
/// a tombstone, and order-1 again.
async fn seeded(state: &Arc<AppState>) -> String {
    let topic = format!("test.peek.{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    state.kafka.create_topic(&state.guard, &topic, 2, &[]).await.unwrap();
    let mut records: Vec<OutRecord> = (0..6)
        .map(|i| record(&format!("order-{i}"), Some(format!("{{\"id\":{i},\"status\":\"NEW\"}}").into_bytes()), 0))
        .collect();
    records[3].headers = vec![("trace-id".into(), b"abc-123".to_vec())];
    let framed = [&[0u8, 0, 0, 0, 7][..], br#"{"id":99}"#].concat();
    records.extend([
        record("text", Some(b"plain text line".to_vec()), 1),
        record("bin", Some(vec![0xff, 0xfe, 0x01]), 1),
        record("framed", Some(framed), 1),
        record("gone", None, 1),
        record("order-1", Some(br#"{"id":1,"status":"PAID"}"#.to_vec()), 1),
    ]);
    state.kafka.produce(&state.guard, &topic, records).await.unwrap();
    topic
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
#[tokio::test]
async fn each_mode_reads_what_it_names_decoded() {
    let state = state();
    let topic = seeded(&state).await;

    // Partition and offset: exactly that record, decoded, with its header and sizes.
    let r = ok(&state, json!({"topic": topic, "partition": 0, "offset": 3, "max_messages": 1})).await;
    assert_eq!(offsets(&r), vec![(0, 3)]);
    let rec = &r.structured["records"][0];
    assert_eq!(rec["value"], json!({"id": 3, "status": "NEW"}));
    assert_eq!((rec["key"].as_str(), rec["encoding"].as_str()), (Some("order-3"), Some("json")));
    assert_eq!(rec["headers"], json!([{"name": "trace-id", "value": "abc-123"}]));
    assert_eq!(rec["value_bytes"], 23);
    assert!(rec["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.structured["partitions"], json!([{"partition": 0, "low": 0, "high": 6}]));
    assert!(r.text.contains("| 0 | 3 |") && r.text.contains("trace-id=abc-123"), "{}", r.text);

    // Tail: the last 2 of each partition.
    let r = ok(&state, json!({"topic": topic, "tail": 2})).await;
    assert_eq!(offsets(&r), vec![(0, 4), (0, 5), (1, 3), (1, 4)]);
    let tombstone = &r.structured["records"][2];
    assert_eq!((tombstone["key"].as_str(), &tombstone["value"]), (Some("gone"), &Value::Null));

    // Each encoding of partition 1.
    let r = ok(&state, json!({"topic": topic, "partition": 1, "offset": 0, "max_messages": 3})).await;
    let values: Vec<(Value, Value)> = r.structured["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["encoding"].clone(), x["value"].clone()))
        .collect();
    assert_eq!(
        values,
        vec![
            (json!("text"), json!("plain text line")),
            (json!("binary"), json!("base64://4B")),
            (json!("confluent_json"), json!({"id": 99}))
        ]
    );
    assert_eq!(r.structured["records"][2]["schema_id"], 7);
    assert!(r.text.contains("confluent_json (schema id 7)"), "{}", r.text);

    // Timestamp: from the epoch, everything; from 2100, nothing (with the hint).
    let r = ok(&state, json!({"topic": topic, "timestamp": 0})).await;
    assert_eq!(offsets(&r).len(), 11);
    let r = ok(&state, json!({"topic": topic, "timestamp": "2100-01-01T00:00:00Z"})).await;
    assert!(offsets(&r).is_empty() && r.text.contains("Nothing found"), "{}", r.text);

    // Key: every record with it, in both partitions; binary keys as base64.
    let r = ok(&state, json!({"topic": topic, "key": "order-1"})).await;
    assert_eq!(offsets(&r), vec![(0, 1), (1, 4)]);
    assert_eq!((r.structured["matched"].as_u64(), r.structured["messages_read"].as_u64()), (Some(2), Some(11)));
    let r = ok(&state, json!({"topic": topic, "key": "base64:Ymlu"})).await;
    assert_eq!(offsets(&r), vec![(1, 1)]);
    let _ = state.kafka.delete_topic(&state.guard, &topic).await;
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
#[tokio::test]
async fn reads_stay_within_their_bounds_and_bad_arguments_are_named() {
    let state = state();
    let topic = seeded(&state).await;

    // A key scan bounded by scan_messages stops by count before reaching partition 1.
    let r = ok(&state, json!({"topic": topic, "key": "order-1", "partition": 0, "scan_messages": 1})).await;
    assert_eq!((r.structured["stopped_by"].as_str(), r.structured["matched"].as_u64()), (Some("count"), Some(0)));
    // Bytes: the read stops before going over max_bytes.
    let r = ok(&state, json!({"topic": topic, "partition": 0, "offset": 0, "max_bytes": 60})).await;
    assert_eq!(r.structured["stopped_by"], "bytes");
    assert!(r.structured["bytes_read"].as_u64().unwrap() <= 60);
    // Count, and a value cut to max_value_bytes.
    let r = ok(&state, json!({"topic": topic, "partition": 0, "offset": 0, "max_messages": 2, "max_value_bytes": 16}))
        .await;
    assert_eq!(offsets(&r), vec![(0, 0), (0, 1)]);
    assert_eq!(r.structured["records"][0]["value_cut"], true);
    assert_eq!(r.structured["records"][0]["value"], "{\"id\":0,\"status\"…");
    // The reply budget cuts records, and says so.
    let r = ok(&state, json!({"topic": topic, "timestamp": 0, "max_output_bytes": 1024})).await;
    assert!(r.truncated && r.text.contains("Truncated"), "{}", r.text);

    // Bad arguments name the argument; a missing topic points to list_topics.
    let arg = |e: Error| e.argument().map(str::to_string);
    let e = call(&state, json!({"topic": topic, "offset": 2})).await.unwrap_err();
    assert_eq!(arg(e).as_deref(), Some("partition"));
    let e = call(&state, json!({"topic": topic})).await.unwrap_err();
    assert_eq!(arg(e).as_deref(), Some("offset"));
    let e = call(&state, json!({"topic": topic, "tail": 0})).await.unwrap_err();
    assert_eq!(arg(e).as_deref(), Some("tail"));
    let e = call(&state, json!({"topic": topic, "partition": 9, "tail": 1})).await.unwrap_err();
    assert_eq!(arg(e).as_deref(), Some("partition"));
    let e = call(&state, json!({"topic": format!("{topic}.missing"), "tail": 1})).await.unwrap_err();
    assert_eq!(arg(e).as_deref(), Some("topic"));
    let _ = state.kafka.delete_topic(&state.guard, &topic).await;
}

#[test]
fn offered_in_read_only_mode() {
    let mut c = Config::default();
    c.kafka.bootstrap_servers = "127.0.0.1:9".into();
    c.safety.read_only = true;
    let registry = Registry::new();
    let state = AppState::new(c).unwrap();
    let info = registry.infos().map(|(i, _, _)| i).find(|i| i.name == "peek_messages").expect("registered");
    assert!(info.read_only && !info.writes_kafka);
    assert!(matches!(registry.availability(info, &state.config), kafka_qa_mcp::mcp::registry::Availability::Enabled));
}
