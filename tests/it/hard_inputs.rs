//! Reproductions of the adversarial probe (issue 13) through the one dispatch path: each must end in a typed
//! error naming the argument, quickly, without a crash, and within the byte budget. The backends point at
//! closed loopback ports, so nothing here needs the stack.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::server::to_call_result;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::closed_backends;
use closed_backends::{closed_port, closed_state};

fn state() -> Arc<AppState> {
    closed_state("hard")
}

async fn call(state: &Arc<AppState>, tool: &str, args: Value) -> Result<kafka_qa_mcp::mcp::reply::Rendered, Error> {
    let Value::Object(args) = args else { panic!("object") };
    let cx = CallContext::new(state.clone());
    let started = Instant::now();
    let out = Registry::new().call(&cx, tool, Some(args)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "{tool} took {:?}", started.elapsed());
    out
}

fn bad_input(r: Result<kafka_qa_mcp::mcp::reply::Rendered, Error>, argument: &str) -> String {
    match r {
        Err(e @ Error::BadInput { .. }) => {
            assert_eq!(e.argument(), Some(argument), "{e}");
            e.to_string()
        }
        Err(e) => panic!("expected bad_input `{argument}`, got {e}"),
        Ok(r) => panic!("expected bad_input `{argument}`, got a reply: {}", r.text),
    }
}

#[tokio::test]
async fn recursive_schemas_are_bad_input_not_a_crash() {
    let s = state();
    for schema in [json!({"allOf": [{"$ref": "#"}]}), json!({"$ref": "#"}), json!({"anyOf": [{"$ref": "#"}]})] {
        let e = bad_input(call(&s, "generate_test_data", json!({"schema": schema, "count": 3})).await, "schema");
        assert!(e.contains("deeper than"), "{e}");
        let e = bad_input(
            call(
                &s,
                "generate_test_cases",
                json!({"schema": schema, "target": {"input_topic": "t.in", "output_topic": "t.out"}}),
            )
            .await,
            "schema",
        );
        assert!(e.contains("deeper than"), "{e}");
    }
}

#[tokio::test]
async fn huge_sizes_are_refused_before_allocating() {
    let s = state();
    for schema in [
        json!({"type": "array", "minItems": 1_000_000_000u64, "items": {"type": "integer"}}),
        json!({"type": "string", "minLength": 1_000_000_000u64}),
        json!({"type": "array", "minItems": 2_000_000u64, "items": {"type": "integer"}}),
        json!({"type": "object", "properties": {"a": {"type": "string", "minLength": 10_000_000u64}}, "required": ["a"]}),
        json!({"type": "string", "pattern": "^a{1000000000}$"}),
    ] {
        let e = bad_input(call(&s, "generate_test_data", json!({"schema": schema, "count": 3})).await, "schema");
        assert!(e.contains("bytes") || e.contains("at most"), "{e}");
    }
    // 900 KB records are allowed one at a time, but not 100 of them into one reply.
    let big = json!({"type": "string", "minLength": 900_000u64});
    let e = bad_input(call(&s, "generate_test_data", json!({"schema": big, "count": 100})).await, "schema");
    assert!(e.contains("lower `count`"), "{e}");
    // A huge maxLength is fine (2^31-1 is common) and edge mode stays small.
    let r = call(
        &s,
        "generate_test_data",
        json!({"schema": {"type": "array", "maxItems": 2_147_483_647u64, "items": {"type": "string", "maxLength": 2_147_483_647u64}}, "count": 20, "mode": "edge", "seed": 1}),
    )
    .await
    .unwrap();
    assert!(r.text.len() < 64 * 1024);
    let r = call(
        &s,
        "generate_test_cases",
        json!({"schema": {"type": "object", "properties": {"s": {"type": "string", "maxLength": 2_147_483_647u64}}}, "target": {"input_topic": "t.in", "output_topic": "t.out"}}),
    )
    .await;
    assert!(r.is_ok(), "{:?}", r.err());
}

#[tokio::test]
async fn times_before_the_calendar_are_bad_input_in_every_tool() {
    let s = state();
    let far = "now-100000000d";
    bad_input(call(&s, "prom_snapshot", json!({"queries": ["up"], "start": far})).await, "start");
    bad_input(call(&s, "prom_snapshot", json!({"queries": ["up"], "end": far})).await, "end");
    bad_input(call(&s, "prom_snapshot", json!({"queries": ["up"], "at": far})).await, "at");
    bad_input(call(&s, "loki_query", json!({"labels": {"job": "kafka"}, "start": far})).await, "start");
    bad_input(call(&s, "graph_rca", json!({"sources": "live", "start": far})).await, "start");
    bad_input(
        call(
            &s,
            "graph_rca",
            json!({"sources": "observations", "observations": {"signals": [{"class": "broker_down", "entity": "broker:1", "start": far}]}}),
        )
        .await,
        "observations.signals[0].start",
    );
    bad_input(
        call(
            &s,
            "export_parquet",
            json!({"path": "x.parquet", "source": {"kind": "promql", "query": "up", "start": far}}),
        )
        .await,
        "start",
    );
}

#[tokio::test]
async fn error_replies_obey_the_byte_budget() {
    let s = state();
    let huge = "é".repeat(500_000);
    let cases = [
        ("prom_snapshot", json!({"queries": ["up"], "start": huge})),
        ("loki_query", json!({"labels": {"job": "kafka"}, "end": huge})),
        ("list_topics", json!({"pattern": huge})),
        ("export_parquet", json!({"path": huge, "source": {"kind": "promql", "query": "up"}})),
        ("graph_rca", json!({"sources": "live", "start": huge})),
        ("prom_snapshot", json!({"queries": ["up"], "max_output_bytes": huge})),
        ("no_such_tool", json!({"x": huge})),
        ("list_topics", json!({huge.clone(): 1})),
    ];
    for (tool, mut args) in cases {
        for budget in [1024usize, 2048, 32 * 1024] {
            if args.get("max_output_bytes").is_none_or(|v| v.is_u64()) {
                args["max_output_bytes"] = json!(budget);
            }
            let out = call(&s, tool, args.clone()).await;
            assert!(out.is_err(), "{tool}");
            let result = to_call_result(out, &s);
            let text: usize = result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.len()).sum();
            let json = serde_json::to_string(&result.structured_content).unwrap().len();
            // The default budget applies when max_output_bytes itself is the bad argument.
            let limit = if args["max_output_bytes"].is_u64() { budget } else { 32 * 1024 };
            assert!(text + json <= limit, "{tool} at {budget}: {} bytes", text + json);
        }
    }
}

#[tokio::test]
async fn errors_name_the_argument_at_fault() {
    let s = state();
    for topic in ["bad topic!", "", &"t".repeat(300)] {
        bad_input(
            call(
                &s,
                "generate_test_data",
                json!({"entity": "user", "count": 1, "destination": "topic", "target_topic": topic}),
            )
            .await,
            "target_topic",
        );
    }
    let e = bad_input(
        call(&s, "loki_query", json!({"labels": {"job": "kafka"}, "regex": "(".repeat(100_000)})).await,
        "regex",
    );
    assert!(e.len() < 1000, "{e}");
    for path in ["a\0b.parquet", &format!("{}.parquet", "n".repeat(300))] {
        bad_input(
            call(&s, "export_parquet", json!({"path": path, "source": {"kind": "promql", "query": "up"}})).await,
            "path",
        );
    }
    let e = kafka_qa_mcp::observe::prom::client::prom_error(200, None, "", "up").to_string();
    assert!(e.contains("HTTP 200: an empty answer"), "{e}");
    let e = kafka_qa_mcp::observe::prom::client::prom_error(200, None, "<html>", "up").to_string();
    assert!(e.contains("not Prometheus API JSON"), "{e}");
}

#[tokio::test]
async fn infer_schema_obeys_timeout_ms_while_the_broker_is_down() {
    // The client's own request timeout is 10 s here; the call's timeout_ms (500) must bound the whole call.
    let mut c = Config::default();
    c.kafka.bootstrap_servers = format!("127.0.0.1:{}", closed_port());
    c.kafka.request_timeout_ms = 10_000;
    let state = AppState::new(c).unwrap();
    let started = Instant::now();
    let err = call(&state, "infer_schema", json!({"topic": "orders", "timeout_ms": 500})).await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "infer_schema took {took:?} with timeout_ms 500");
    assert_eq!(err.kind(), kafka_qa_mcp::error::ErrorKind::Unreachable, "{err}");
}
