//! Round trip through the broker: generate_test_data writes events of a tagged-union schema
//! (tests/fixtures/roundtrip/events.json) to a topic, infer_schema reads them back and recovers the union,
//! its patterns and closed branches; produce_test_message then holds new messages to that contract.

use crate::support::stack::broker_config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::reply::Rendered;
use kafka_qa_mcp::mcp::Registry;
use serde_json::{json, Value};
use std::sync::Arc;

fn state() -> Arc<AppState> {
    let mut c = broker_config();
    c.export.dir = std::env::temp_dir().join("kqm-infer-roundtrip-tests");
    AppState::new(c).unwrap()
}

async fn ok(state: &Arc<AppState>, tool: &str, args: Value) -> Rendered {
    let Value::Object(map) = args.clone() else { panic!("arguments must be an object") };
    match Registry::new().call(&CallContext::new(state.clone()), tool, Some(map)).await {
        Ok(r) => r,
        Err(e) => panic!("{tool} {args} failed: {e}"),
    }
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
#[tokio::test]
async fn events_written_then_inferred_come_back_as_a_tagged_union() {
    let state = state();
    let topic = format!("test.infer.roundtrip.{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    state.kafka.create_topic(&state.guard, &topic, 2, &[]).await.unwrap();
    let source: Value =
        serde_json::from_str(include_str!("../fixtures/roundtrip/events.json")).expect("the fixture is JSON");
    let r = ok(
        &state,
        "generate_test_data",
        json!({"schema": source, "count": 300, "seed": 5, "destination": "topic", "target_topic": topic}),
    )
    .await;
    assert_eq!(r.structured["count"], json!(300), "{}", r.text);

    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": "earliest", "max_messages": 300})).await;
    let s = &r.structured;
    assert_eq!(s["json_values"], json!(300), "{}", r.text);
    let branches = s["schema"]["oneOf"].as_array().unwrap_or_else(|| panic!("no oneOf: {}", r.text));
    let mut tags: Vec<&str> = branches.iter().filter_map(|b| b["properties"]["type"]["const"].as_str()).collect();
    tags.sort_unstable();
    assert_eq!(tags, ["add_to_cart", "click", "page_view", "purchase"]);
    for b in branches {
        assert_eq!(b["additionalProperties"], json!(false), "{b}");
        assert_eq!(b["properties"]["session_id"]["pattern"], json!("^s_[0-9a-z]{10}$"), "{b}");
    }
    let keywords = s["keywords"].as_array().unwrap();
    assert!(
        keywords.iter().any(|k| k["keyword"] == json!("oneOf") && k["confidence"].as_f64() > Some(0.7)),
        "{keywords:?}"
    );
    assert!(r.text.contains("Structure inferred: "), "{}", r.text);

    // The recovered contract is enforced: a purchase carrying a click's fields is refused, a proper one passes.
    let purchase = |extra: Value| {
        let mut v = json!({"event_id": "0b6c3e4a-9c1e-4b59-8f0e-3f1f6d7a2b11", "type": "purchase", "ts": "2024-05-01T10:00:00.000Z",
                           "session_id": "s_ab12cd34ef", "order_id": "ORD-123456", "amount": 25.5, "currency": "EUR"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"value": v})
    };
    let r = ok(
        &state,
        "produce_test_message",
        json!({"topic": topic, "validate": "inferred", "dry_run": true, "messages": [purchase(json!({})), purchase(json!({"x": 10, "y": 20}))]}),
    )
    .await;
    assert_eq!(r.structured["invalid"], json!(1), "{}", r.text);
}
