//! Bad input to the test-data and test-case tools gives errors that name the argument and the problem.
//! No server is contacted: every call here is refused before any I/O.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::Registry;
use serde_json::{json, Value};

async fn call(tool: &str, args: Value) -> String {
    let mut config = Config::default();
    // Configured but never reached: these calls must fail on their arguments first.
    config.kafka.bootstrap_servers = "127.0.0.1:1".into();
    config.export.dir = std::env::temp_dir().join("kqm-testdata-bad-input");
    let cx = CallContext::new(AppState::new(config).unwrap());
    let Value::Object(args) = args else { panic!("object") };
    match Registry::new().call(&cx, tool, Some(args)).await {
        Ok(r) => panic!("{tool} accepted bad input: {}", r.text),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn invalid_schemas_are_named() {
    let cases = [
        (
            json!({"type": "object", "properties": {"age": {"type": "int"}}}),
            ["`schema`", "schema.properties.age.type `int` is not a JSON Schema type"],
        ),
        (
            json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 9, "maximum": 1}}}),
            ["`schema`", "the lower bound 9 is above the upper bound 1"],
        ),
        (
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}}),
            ["`schema`", "`#/$defs/nope` points to nothing"],
        ),
        (json!({"type": "string", "pattern": "(a)\\1"}), ["`schema`", "back-references are not supported"]),
    ];
    for (schema, expected) in cases {
        for tool in ["generate_test_data", "generate_test_cases"] {
            let args = if tool == "generate_test_cases" {
                json!({"schema": schema, "target": {"input_topic": "in"}})
            } else {
                json!({"schema": schema})
            };
            let err = call(tool, args).await;
            for e in expected {
                assert!(err.contains(e), "{tool}: `{e}` not in: {err}");
            }
        }
    }
}

#[tokio::test]
async fn counts_over_the_caps_are_refused() {
    let err = call("generate_test_data", json!({"entity": "order", "count": 1001})).await;
    assert!(
        err.contains("`count`") && err.contains("at most 1000") && err.contains("destination file or topic"),
        "{err}"
    );
    let err = call(
        "generate_test_data",
        json!({"entity": "order", "count": 10_000_001, "destination": "file", "path": "x.ndjson"}),
    )
    .await;
    assert!(err.contains("count"), "{err}");
    let err =
        call("generate_test_data", json!({"entity": "order", "mode": "defect", "defect_constraints": ["nonsense"]}))
            .await;
    assert!(err.contains("`defect_constraints`") && err.contains("`nonsense` is not one of"), "{err}");
}

#[tokio::test]
async fn malformed_agent_cases_are_named() {
    let cases = json!([
        {"id": "A", "type": "positive", "title": "t", "priority": "urgent", "expected_result": "x", "input": {}, "expectation": {"kind": "output"}},
        {"id": "B", "type": "negative", "title": "t", "priority": "high", "expected_result": "x", "input": {"value": {}, "raw_base64": "e30="}, "expectation": {"kind": "dlq"}},
        {"id": "C", "type": "negative", "title": "t", "priority": "high", "expected_result": "x", "input": {"raw_base64": "%%%"}, "expectation": {"kind": "dlq"}},
        {"id": "D", "type": "negative", "title": "t", "priority": "high", "input": {}, "expectation": {"kind": "dlq"}}
    ]);
    let err = call("run_test_cases", json!({"cases": cases, "input_topic": "in", "dlq_topic": "dlq"})).await;
    for e in [
        "cases[0].priority: unknown variant `urgent`",
        "cases[1].input: give `value` or `raw_base64`, not both",
        "cases[2].input: `raw_base64` is not base64",
        "cases[3]: missing field `expected_result`",
    ] {
        assert!(err.contains(e), "`{e}` not in: {err}");
    }
}

#[tokio::test]
async fn cases_sharing_a_key_are_refused() {
    let case = |id: &str| json!({"id": id, "type": "positive", "title": "t", "priority": "high", "expected_result": "x", "input": {"key": "same", "value": {}}, "expectation": {"kind": "output"}});
    let err =
        call("run_test_cases", json!({"cases": [case("A"), case("B")], "input_topic": "in", "output_topic": "out"}))
            .await;
    assert!(err.contains("cases A and B share the key `same`"), "{err}");
}

#[tokio::test]
async fn relations_are_checked_against_the_schema() {
    let schema = json!({"type": "object", "properties": {
        "total": {"type": "number"}, "items": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer"}}}}}});
    for (relations, expected) in [
        (json!(["total = sum(items[].qty * items[].unit_price)"]), "no field `unit_price`"),
        (json!(["total = items[].qty"]), "outside sum()"),
        (json!(["total + 1"]), "field = expression"),
    ] {
        let err = call("generate_test_data", json!({"schema": schema, "relations": relations})).await;
        assert!(err.contains("`relations`") && err.contains(expected), "{err}");
    }
    let err = call("generate_test_data", json!({"entity": "order", "relations": ["total = 1"]})).await;
    assert!(err.contains("`relations`") && err.contains("entities keep their own"), "{err}");
}
