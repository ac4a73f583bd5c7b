//! Registry-framed messages are decoded wherever a tool reads them: run_test_cases' watchers (output and DLQ
//! written by a Python processor with confluent-kafka's AvroSerializer and JSONSerializer), peek_messages and
//! export_parquet (decoded value, schema id, subject and version columns). Needs the stack and PYTHON.

use crate::support::registry as support;

use serde_json::{json, Value};
use support::{call, env, python, state_with, unique, AVRO_SCHEMA, PY_AVRO_PRODUCE};

/// The system under test: reads N orders from the input topic (Avro through confluent-kafka's
/// AvroDeserializer, else JSON); a negative amount goes to the DLQ as JSON Schema-framed JSON with an
/// x-reject-reason header, anything else to the output topic as Avro, saying which format the input had.
const PY_PROCESSOR: &str = r#"
import sys, json, datetime, time
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer, AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import SerializationContext, MessageField
src, out, dlq, bootstrap, url, n = sys.argv[1:7]
sr = SchemaRegistryClient({"url": url})
avro = AvroSerializer(sr, json.dumps({"type": "record", "name": "Enriched", "namespace": "shop", "fields": [
    {"name": "order_id", "type": "string"}, {"name": "amount", "type": "double"},
    {"name": "status", "type": {"type": "enum", "name": "State", "symbols": ["ENRICHED", "HELD"]}},
    {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "input_format", "type": "string"}]}))
read_avro = AvroDeserializer(sr)
reject = JSONSerializer(json.dumps({"type": "object", "properties": {"order_id": {"type": "string"},
    "error": {"type": "string"}}, "required": ["order_id", "error"]}), sr)
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "proc-" + src, "enable.auto.commit": False})
c.assign([TopicPartition(src, 0, 0)])
p = Producer({"bootstrap.servers": bootstrap})
done, deadline = 0, time.time() + 90
while done < int(n) and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    framed = m.value()[:1] == b"\x00"
    v = read_avro(m.value(), SerializationContext(src, MessageField.VALUE)) if framed else json.loads(m.value())
    if v["amount"] < 0:
        p.produce(dlq, reject({"order_id": v["order_id"], "error": "negative amount"},
                  SerializationContext(dlq, MessageField.VALUE)), key=m.key(), headers={"x-reject-reason": "negative amount"})
    else:
        e = {"order_id": v["order_id"], "amount": float(v["amount"]), "status": "ENRICHED",
             "placed_at": datetime.datetime(2024, 1, 15, 3, 0, tzinfo=datetime.timezone.utc),
             "input_format": "avro" if framed else "json"}
        p.produce(out, avro(e, SerializationContext(out, MessageField.VALUE)), key=m.key())
    p.flush()
    done += 1
c.close()
"#;

fn case(id: &str, amount: f64, expectation: Value) -> Value {
    case_with(id, json!({"order_id": id, "amount": amount}), expectation)
}

fn case_with(id: &str, value: Value, expectation: Value) -> Value {
    let amount = value["amount"].as_f64().unwrap_or(0.0);
    json!({"id": id, "type": if amount < 0.0 { "negative" } else { "positive" }, "title": id, "priority": "high",
        "expected_result": "as the expectation says", "preconditions": ["the processor runs"], "steps": ["send", "watch"],
        "input": {"key": id, "value": value}, "expectation": expectation})
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn run_test_cases_matches_avro_output_and_json_schema_dlq_messages_decoded() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let (input, output, dlq) = (unique("run-in"), unique("run-out"), unique("run-dlq"));
    for t in [&input, &output, &dlq] {
        state.kafka.create_topic(&state.guard, t, 1, &[]).await.unwrap();
    }
    let (bootstrap, url) = (env("KAFKA_BOOTSTRAP_SERVERS"), env("SCHEMA_REGISTRY_URL"));
    // Inputs that fit the input topic's registered schema are sent Avro-encoded; the others as JSON text.
    let input_schema = r#"{"type":"record","name":"In","fields":[{"name":"order_id","type":"string"},{"name":"amount","type":"double"}]}"#;
    let registry = state.registry().unwrap();
    registry.register(&format!("{input}-value"), kafka_qa_mcp::registry::SchemaType::Avro, input_schema).await.unwrap();
    let mut processor = std::process::Command::new(env("PYTHON"))
        .arg("-c")
        .arg(PY_PROCESSOR)
        .args([&input, &output, &dlq, &bootstrap, &url, "6"])
        .spawn()
        .unwrap();
    let cases = json!([
        case(
            "A",
            5.0,
            json!({"kind": "output", "matches": {"order_id": "A", "status": "ENRICHED", "amount": 5, "input_format": "avro"}})
        ),
        case_with(
            "F",
            json!({"order_id": "F", "amount": 3, "extra": true}),
            json!({"kind": "output", "matches": {"input_format": "json"}})
        ),
        case(
            "B",
            7.5,
            json!({"kind": "output", "correlate_by": "order_id", "matches": {"amount": 7.5},
            "schema": {"type": "object", "required": ["placed_at"], "properties": {"placed_at": {"type": "string", "pattern": "^2024-01-15T03:00"}}}})
        ),
        case("C", 9.0, json!({"kind": "output", "matches": {"status": "HELD"}})),
        case("D", -1.0, json!({"kind": "dlq", "reason_contains": "negative"})),
        case("E", -2.0, json!({"kind": "output"})),
    ]);
    let r = call(
        &state,
        "run_test_cases",
        json!({"cases": cases, "input_topic": input, "output_topic": output,
        "dlq_topic": dlq, "timeout_ms": 30000, "parallelism": 5, "detail": "full"}),
    )
    .await
    .unwrap();
    let _ = processor.wait();
    let results = r.structured["cases"].as_array().unwrap_or_else(|| panic!("{}", r.structured)).clone();
    let by_id =
        |id: &str| results.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("{id}: {results:?}")).clone();
    for id in ["A", "B", "D", "F"] {
        assert_eq!(by_id(id)["status"], "passed", "{id}: {}", by_id(id));
    }
    // Failing for the right reason proves the Avro value was read: its enum symbol is named in the diff.
    let c = by_id("C");
    assert_eq!(c["status"], "failed", "{c}");
    assert!(c.to_string().contains(r#"/status: expected \"HELD\", got \"ENRICHED\""#), "{c}");
    let e = by_id("E");
    assert_eq!(e["status"], "failed", "{e}");
    // The DLQ evidence is the decoded JSON Schema payload.
    assert!(by_id("D").to_string().contains(r#"negative amount"#), "{}", by_id("D"));
    assert!(e.to_string().contains(r#"\"error\":\"negative amount\""#), "{e}");
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn peek_and_export_decode_avro_with_schema_columns() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let topic = unique("export");
    state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
    python(PY_AVRO_PRODUCE, &[&topic, &env("KAFKA_BOOTSTRAP_SERVERS"), &env("SCHEMA_REGISTRY_URL"), AVRO_SCHEMA]);

    let peek = call(&state, "peek_messages", json!({"topic": topic, "partition": 0, "offset": 1})).await.unwrap();
    let first = &peek.structured["records"][0];
    assert_eq!(first["encoding"], "confluent_avro", "{first}");
    assert_eq!(first["value"]["status"], "PAID", "{first}");
    assert_eq!(first["value"]["amount"], "12.31", "{first}");
    assert_eq!(first["value"]["placed_at"], "2024-01-15T02:50:01Z", "{first}");

    let path = format!("{topic}.parquet");
    let out = call(&state, "export_parquet", json!({"source": {"kind": "topic", "topic": topic}, "path": path}))
        .await
        .unwrap();
    assert_eq!(out.structured["rows"], 5, "{}", out.text);
    let file = state.config.export.dir.join(&path);
    let read = python(
        r#"
import sys, json, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1]).to_pylist()
print(json.dumps([{k: r[k] for k in ("offset", "value_json", "schema_id", "subject", "schema_version", "status", "id")} for r in t]))
"#,
        &[file.to_str().unwrap()],
    );
    let rows: Value = serde_json::from_str(&read).unwrap();
    let row = &rows[3];
    assert_eq!(row["offset"], 3);
    let decoded: Value = serde_json::from_str(row["value_json"].as_str().unwrap()).unwrap();
    assert_eq!((decoded["id"].clone(), decoded["customer"]["email"].clone()), (json!(3), json!("c3@x.io")));
    assert_eq!(row["subject"], format!("{topic}-value"));
    assert_eq!(row["schema_version"], 1);
    assert!(row["schema_id"].as_u64().is_some(), "{row}");
    // The typed JSON columns come from the decoded Avro values.
    assert_eq!((row["status"].clone(), row["id"].clone()), (json!("PAID"), json!(3)));
    let _ = std::fs::remove_file(file);
}
