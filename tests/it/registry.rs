//! The Schema Registry against a real Karapace and a real broker, with Python confluent-kafka's serializers as
//! the client no one here wrote. Needs KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL (`tools/stack up`,
//! `source .stack/env`) and PYTHON (the test Python, tools/test-deps).

use crate::support::registry as support;

use kafka_qa_mcp::Error;
use serde_json::{json, Value};
use support::{call, env, python, state_with, unique, AVRO_SCHEMA, PY_AVRO_PRODUCE};

const PY_AVRO_READ: &str = r#"
import sys, json
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import SerializationContext, MessageField
topic, bootstrap, url, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
de = AvroDeserializer(SchemaRegistryClient({"url": url}))
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-reader-" + topic, "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, 0)])
out = []
while len(out) < n:
    m = c.poll(10)
    if m is None: break
    v = de(m.value(), SerializationContext(topic, MessageField.VALUE))
    out.append(v)
c.close()
print(json.dumps(out, default=str))
"#;

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn topics_written_by_confluent_avro_serializer_are_decoded_with_subject_and_version() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let topic = unique("avro-in");
    state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
    python(PY_AVRO_PRODUCE, &[&topic, &env("KAFKA_BOOTSTRAP_SERVERS"), &env("SCHEMA_REGISTRY_URL"), AVRO_SCHEMA]);
    let r = call(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await.unwrap();
    assert!(r.text.contains(&format!("AVRO, subject `{topic}-value` version 1) ×5")), "{}", r.text);
    let s = r.structured;
    assert_eq!(s["json_values"], 5, "{s}");
    let props = &s["schema"]["properties"];
    for field in ["id", "status", "amount", "placed_at", "note", "tags", "attrs", "customer"] {
        assert!(props.get(field).is_some(), "{field} missing in {props}");
    }
    assert!(r.text.contains("12.30") || s.to_string().contains("12.3"), "{}", r.text);
    // The registered schema as JSON Schema, and where the data departs from it: SHIPPED is never written.
    let reg = &s["registered"];
    assert_eq!(
        (reg["subject"].clone(), reg["version"].clone(), reg["values"].clone()),
        (json!(format!("{topic}-value")), json!(1), json!(5)),
        "{reg}"
    );
    let js = &reg["json_schema"]["properties"];
    assert_eq!(js["placed_at"]["format"], "date-time", "{js}");
    assert_eq!(js["note"]["type"], json!(["string", "null"]), "{js}");
    assert_eq!(js["amount"]["pattern"], r"^-?\d{1,8}\.\d{2}$", "{js}");
    let drift = reg["drift"].as_array().unwrap();
    assert!(
        drift.iter().any(|d| d["kind"] == "enum_unused"
            && d["path"] == "/status"
            && d["detail"].as_str().unwrap().contains("SHIPPED")),
        "{drift:?}"
    );
    assert!(!drift.iter().any(|d| d["kind"] == "type_mismatch" || d["kind"] == "null_not_allowed"), "{drift:?}");
    assert!(r.text.contains("## Registered schema") && r.text.contains("enum_unused `/status`"), "{}", r.text);
    // One request (the topic subject's latest version, which is the messages' schema) for the five messages;
    // none on a second read.
    let registry = state.registry().unwrap();
    assert_eq!(registry.requests(), 1);
    call(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await.unwrap();
    assert_eq!(registry.requests(), 1);
}

/// 10,000 framed messages of one schema: read by id they cost one request (`/schemas/ids/{id}`), naming the
/// subject one more only when asked; read as a topic's records they cost one request in all, named.
#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn ten_thousand_messages_of_one_schema_cost_one_registry_request() {
    use kafka_qa_mcp::registry::{codec, decode_named, prefetch, prefetch_topic, Parsed, SchemaType};
    let url = env("SCHEMA_REGISTRY_URL");
    let topic = unique("cache");
    // A record name of its own: the registry gives one id to equal schemas, whatever subject holds them.
    let name = format!("C{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let schema = &format!(
        r#"{{"type":"record","name":"{name}","fields":[{{"name":"n","type":"long"}},{{"name":"s","type":"string"}}]}}"#
    );
    let id = state_with(&url)
        .registry()
        .unwrap()
        .register(&format!("{topic}-value"), SchemaType::Avro, schema)
        .await
        .unwrap();
    let parsed = Parsed::parse(SchemaType::Avro, schema, &[]).unwrap();
    let records: Vec<_> = (0..10_000)
        .map(|i| kafka_qa_mcp::kafka::Record {
            topic: topic.clone(),
            partition: 0,
            offset: i,
            timestamp_ms: None,
            key: None,
            value: Some(codec::frame(id, &parsed.encode(&json!({"n": i, "s": format!("v{i}")}), None).unwrap())),
            headers: vec![],
        })
        .collect();
    let decode_all = |reg: &kafka_qa_mcp::registry::RegistryClient| {
        records
            .iter()
            .map(|r| decode_named(reg, r.value.as_deref().unwrap(), Some((&topic, false))).unwrap().unwrap())
            .collect::<Vec<_>>()
    };
    // By id.
    let state = state_with(&url);
    let reg = state.registry().unwrap();
    assert!(prefetch(reg, &records).await.is_empty());
    let decoded = decode_all(reg);
    assert_eq!(reg.requests(), 1);
    assert_eq!(decoded[9_999].value, json!({"n": 9_999, "s": "v9999"}));
    assert_eq!(decoded[0].subject, None, "no subject unless asked");
    assert_eq!(reg.names(id).await, vec![(format!("{topic}-value"), 1)]);
    assert_eq!(reg.requests(), 2);
    assert_eq!(decode_all(reg)[5].subject.as_deref(), Some(&*format!("{topic}-value")));
    // As the topic's records, named.
    let state = state_with(&url);
    let reg = state.registry().unwrap();
    assert!(prefetch_topic(reg, &topic, &records, true).await.is_empty());
    let decoded = decode_all(reg);
    assert_eq!(reg.requests(), 1);
    assert_eq!((decoded[42].subject.as_deref(), decoded[42].version), (Some(&*format!("{topic}-value")), Some(1)));
    assert!(prefetch_topic(reg, &topic, &records, true).await.is_empty());
    assert_eq!(reg.requests(), 1, "cached");
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn produce_test_message_writes_avro_that_confluent_deserializer_reads_and_names_bad_fields() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let topic = unique("avro-out");
    state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
    let registry = state.registry().unwrap();
    registry.register(&format!("{topic}-value"), kafka_qa_mcp::registry::SchemaType::Avro, AVRO_SCHEMA).await.unwrap();
    let value = json!({"id": 1, "status": "PAID", "amount": "12.34", "placed_at": "2024-01-15T02:50:00Z",
        "tags": ["x"], "attrs": {"k": 2}, "customer": {"email": "a@b.c"}});
    // A value that does not fit names the field, and nothing is written.
    let mut bad = value.clone();
    bad["customer"]["email"] = json!(5);
    let e =
        call(&state, "produce_test_message", json!({"topic": topic, "messages": [{"value": value}, {"value": bad}]}))
            .await
            .unwrap_err()
            .to_string();
    assert!(e.contains("messages[1].value") && e.contains("/customer/email"), "{e}");
    let r =
        call(&state, "produce_test_message", json!({"topic": topic, "messages": [{"value": value}]})).await.unwrap();
    assert!(r.text.contains("AVRO schema id"), "{}", r.text);
    let read = python(PY_AVRO_READ, &[&topic, &env("KAFKA_BOOTSTRAP_SERVERS"), &env("SCHEMA_REGISTRY_URL"), "1"]);
    let got: Value = serde_json::from_str(&read).unwrap();
    assert_eq!(got.as_array().unwrap().len(), 1, "only the good call wrote: {got}");
    let v = &got[0];
    assert_eq!(
        (v["id"].clone(), v["status"].clone(), v["amount"].clone()),
        (json!(1), json!("PAID"), json!("12.34")),
        "{v}"
    );
    assert_eq!(v["placed_at"], json!("2024-01-15 02:50:00+00:00"), "{v}");
    assert_eq!(v["note"], Value::Null);
    assert_eq!(v["customer"]["email"], json!("a@b.c"));
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn compatibility_verdicts_agree_with_the_registry() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let registry = state.registry().unwrap();
    let base = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#;
    let candidates = [
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}},{"name":"b","type":"string"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}},{"name":"b","type":"string","default":""}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X"]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y","Z"]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"]},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"float"},{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":"string"}]}"#,
    ];
    let subject = unique("compat");
    registry.register(&subject, kafka_qa_mcp::registry::SchemaType::Avro, base).await.unwrap();
    let mut disagreements = vec![];
    for (i, c) in candidates.iter().enumerate() {
        let r = call(&state, "check_schema_compatibility", json!({"subject": subject, "schema": c})).await.unwrap();
        let s = r.structured;
        let registry_says = s["registry"]["is_compatible"].as_bool().unwrap();
        let local_says = s["breaking_changes"].as_array().unwrap().is_empty();
        if registry_says != local_says {
            disagreements.push(format!("pair {i}: registry {registry_says}, local {local_says}: {s}"));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn registry_down_is_a_clear_error_and_nothing_is_written() {
    // Nothing listens on port 9 of loopback.
    let state = state_with("http://127.0.0.1:9");
    let topic = unique("down");
    state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
    let e = call(&state, "produce_test_message", json!({"topic": topic, "messages": [{"value": {"a": 1}}]}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unreachable { .. }), "{e}");
    // A framed message whose schema cannot be fetched is reported, and the tool answers.
    let framed = kafka_qa_mcp::registry::codec::frame(424242, b"\x02");
    let rec = kafka_qa_mcp::kafka::OutRecord { key: None, value: Some(framed), headers: vec![], partition: None };
    state.kafka.produce(&state.guard, &topic, vec![rec]).await.unwrap();
    let r = call(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await.unwrap();
    assert!(r.text.contains("not decoded with the Schema Registry") && r.text.contains("unreachable"), "{}", r.text);
    let s = r.structured;
    assert_eq!(s["messages_sampled"], 1, "nothing but the framed message was written: {s}");
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn a_new_subject_is_registered_only_when_asked_and_then_checked_against() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let subject = unique("new");
    let v1 = r#"{"type":"record","name":"N","fields":[{"name":"a","type":"int"}]}"#;
    let err = call(&state, "check_schema_compatibility", json!({"subject": subject, "schema": v1})).await.unwrap_err();
    assert_eq!(err.argument(), Some("subject"), "{err}");
    assert!(err.to_string().contains("register: true"), "{err}");
    assert!(state.registry().unwrap().latest(&subject).await.unwrap().is_none(), "nothing registered unasked");
    let first = call(&state, "check_schema_compatibility", json!({"subject": subject, "schema": v1, "register": true}))
        .await
        .unwrap();
    assert!(first.structured["registered_id"].as_u64().is_some(), "{}", first.text);
    // The next candidate is checked against that first version: a new field without a default breaks BACKWARD.
    let v2 = r#"{"type":"record","name":"N","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
    let second = call(&state, "check_schema_compatibility", json!({"subject": subject, "schema": v2})).await.unwrap();
    assert_eq!(second.structured["registry"]["is_compatible"], false, "{}", second.text);
    assert_eq!(second.structured["latest_version"], 1);
}
