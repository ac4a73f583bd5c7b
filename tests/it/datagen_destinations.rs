//! generate_test_data's destinations on the real broker and the export folder: a topic (keys from a field,
//! a rate limit), like_history from that topic, and an NDJSON file with its defect tags beside it.
//! Needs KAFKA_BOOTSTRAP_SERVERS (run `tools/stack up` and `source .stack/env`).

use crate::support::stack::broker_config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::kafka::{SampleRequest, StartAt};
use kafka_qa_mcp::mcp::Registry;
use serde_json::{json, Value};
use std::time::Duration;

fn state() -> std::sync::Arc<AppState> {
    let mut config = broker_config();
    config.export.dir = std::env::temp_dir().join(format!("kqm-datagen-{}", std::process::id()));
    AppState::new(config).unwrap()
}

async fn call(cx: &CallContext, args: Value) -> Value {
    let Value::Object(args) = args else { panic!("object") };
    match Registry::new().call(cx, "generate_test_data", Some(args)).await {
        Ok(r) => r.structured,
        Err(e) => panic!("generate_test_data failed: {e}"),
    }
}

/// Every message of a small topic, from the start.
async fn everything_in(state: &AppState, topic: &str) -> kafka_qa_mcp::kafka::Sample {
    state
        .kafka
        .sample(SampleRequest {
            topic: topic.to_string(),
            partition: None,
            start: StartAt::Earliest,
            max_messages: 200,
            max_bytes: 1 << 24,
            timeout: Duration::from_secs(10),
        })
        .await
        .unwrap()
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn to_a_topic_at_a_rate_then_like_its_history() {
    let state = state();
    let cx = CallContext::new(state.clone());
    let topic = format!("td.orders.{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    state.kafka.create_topic(&state.guard, &topic, 2, &[]).await.unwrap();

    let out = call(&cx, json!({"entity": "order", "count": 120, "seed": 5, "destination": "topic", "target_topic": topic, "key_field": "order_id"})).await;
    assert_eq!(out["count"], 120);
    let marks = state.kafka.watermarks(&topic).await.unwrap();
    assert_eq!(marks.iter().map(|(_, lo, hi)| hi - lo).sum::<i64>(), 120, "{marks:?}");
    let sample = everything_in(&state, &topic).await;
    assert_eq!(sample.records.len(), 120);
    for r in &sample.records {
        let v: Value = serde_json::from_slice(r.value.as_deref().unwrap()).unwrap();
        assert_eq!(r.key.as_deref(), v["order_id"].as_str().map(str::as_bytes), "keys come from order_id");
    }

    let slow = call(&cx, json!({"entity": "payment", "count": 20, "seed": 1, "destination": "topic", "target_topic": topic, "rate_per_second": 40})).await;
    assert!(
        slow["duration_ms"].as_u64().unwrap() >= 450,
        "20 records at 40/s take about 500 ms: {}",
        slow["duration_ms"]
    );

    // like_history learns from the 140 messages: only order statuses and methods seen there come back.
    let like = call(
        &cx,
        json!({"topic": topic, "mode": "like_history", "count": 300, "seed": 2, "max_output_bytes": 1048576}),
    )
    .await;
    let sample = everything_in(&state, &topic).await;
    assert_eq!(sample.records.len(), 140);
    let history: Vec<Value> =
        sample.records.iter().map(|r| serde_json::from_slice(r.value.as_deref().unwrap()).unwrap()).collect();
    let seen_status: std::collections::BTreeSet<&str> = history.iter().filter_map(|v| v["status"].as_str()).collect();
    let records = like["records"].as_array().unwrap();
    assert_eq!(records.len(), 300);
    let validator = jsonschema::validator_for(&like["schema"]).unwrap();
    let mut with_status = 0;
    for r in records {
        assert!(validator.is_valid(r), "like_history record does not fit the inferred schema: {r}");
        if let Some(s) = r["status"].as_str() {
            with_status += 1;
            assert!(seen_status.contains(s), "status {s} never seen in the history");
        }
    }
    assert!(
        with_status > 250,
        "every message in the history has a status; so do nearly all generated ones ({with_status})"
    );
    state.kafka.delete_topic(&state.guard, &topic).await.unwrap();
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn to_a_file_with_defect_tags_beside_it() {
    let state = state();
    let cx = CallContext::new(state.clone());
    let path = format!("data/users-{}.ndjson", uuid::Uuid::new_v4().simple());
    let out = call(&cx, json!({"entity": "user", "count": 5000, "seed": 4, "mode": "defect", "defect_rate": 0.1, "destination": "file", "path": path})).await;
    let file = out["path"].as_str().unwrap();
    let lines: Vec<Value> =
        std::fs::read_to_string(file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 5000);
    assert_eq!(out["bytes"].as_u64().unwrap() as usize + 5000, std::fs::metadata(file).unwrap().len() as usize);
    let tags: Vec<Value> = std::fs::read_to_string(format!("{file}.defects.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tags.len(), 500);
    let validator = jsonschema::options().should_validate_formats(true).build(&out["schema"]).unwrap();
    let tagged: std::collections::BTreeSet<u64> = tags.iter().map(|t| t["index"].as_u64().unwrap()).collect();
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(validator.is_valid(line), !tagged.contains(&(i as u64)), "record {i}: valid exactly when untagged");
    }
}
