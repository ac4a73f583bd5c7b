//! Test data and test cases from an Avro schema, a .proto definition or a registry subject: the generators
//! work from the converted JSON Schema, so valid records encode with the registry schema and defect records
//! and negative cases break it where the registry would (an int outside 32 bits, a string that is no enum
//! symbol). Needs the stack (the subject form asks Karapace).

use crate::support::registry as support;

use kafka_qa_mcp::registry::{Parsed, SchemaType};
use serde_json::{json, Value};
use support::{call, env, state_with, unique};

const AVRO: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},{"name":"qty","type":"int"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"placed_at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"uid","type":{"type":"string","logicalType":"uuid"}},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"int"}},
 {"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"email","type":"string"}]}}]}"#;

const PROTO: &str = r#"syntax = "proto3"; package shop;
import "google/protobuf/timestamp.proto";
enum Status { NEW = 0; PAID = 1; SHIPPED = 2; }
message Line { string sku = 1; uint32 qty = 2; double price = 3; }
message Order { int64 id = 1; Status status = 2; repeated Line lines = 3; map<string, int32> attrs = 4;
  google.protobuf.Timestamp placed_at = 5; optional string note = 6; sint32 delta = 7; }"#;

fn encodes(parsed: &Parsed, v: &Value, message: Option<&str>) -> bool {
    parsed.encode(v, message).is_ok()
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn data_from_avro_and_proto_encodes_and_defects_break_the_schema() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let avro = Parsed::parse(SchemaType::Avro, AVRO, &[]).unwrap();
    // The Avro schema as an object and as text alike.
    for schema in [serde_json::from_str::<Value>(AVRO).unwrap(), json!(AVRO)] {
        for mode in ["valid", "edge"] {
            let r = call(
                &state,
                "generate_test_data",
                json!({"schema": schema, "count": 300, "seed": 7, "mode": mode, "max_output_bytes": 1048576}),
            )
            .await
            .unwrap();
            assert_eq!(r.structured["source"], "avro schema shop.Order");
            let records = r.structured["records"].as_array().unwrap();
            assert_eq!(records.len(), 300);
            for v in records {
                assert!(encodes(&avro, v, None), "{mode}: {v} does not encode: {:?}", avro.encode(v, None));
            }
        }
    }
    let r = call(&state, "generate_test_data", json!({"schema": AVRO, "count": 200, "seed": 3, "mode": "defect", "defect_rate": 1.0, "max_output_bytes": 1048576}))
        .await
        .unwrap();
    let records = r.structured["records"].as_array().unwrap();
    let tags = r.structured["defects"].as_array().unwrap();
    assert!(tags.len() >= 190, "{} defects", tags.len());
    // The codec writes a number for a date, timestamp or decimal as Avro's own representation (days, millis,
    // the unscaled value): those type defects are values the registry schema can encode.
    let raw_number = |t: &&Value| {
        t["constraint"] == "type" && ["/day", "/placed_at", "/amount"].contains(&t["path"].as_str().unwrap())
    };
    let accepted: Vec<&Value> = tags
        .iter()
        .filter(|t| !raw_number(t) && encodes(&avro, &records[t["index"].as_u64().unwrap() as usize], None))
        .collect();
    assert!(
        accepted.is_empty(),
        "{} of {} defect records fit the Avro schema: {accepted:?}",
        accepted.len(),
        tags.len()
    );

    let proto = Parsed::parse(SchemaType::Protobuf, PROTO, &[]).unwrap();
    let r = call(
        &state,
        "generate_test_data",
        json!({"schema": PROTO, "count": 300, "seed": 5, "mode": "edge", "max_output_bytes": 1048576}),
    )
    .await
    .unwrap();
    assert_eq!(r.structured["source"], "protobuf message shop.Order", "the root message, not the first");
    for v in r.structured["records"].as_array().unwrap() {
        assert!(encodes(&proto, v, Some("shop.Order")), "{v}: {:?}", proto.encode(v, Some("shop.Order")));
    }
    let err = call(&state, "generate_test_data", json!({"schema": "message {", "count": 1})).await.unwrap_err();
    assert_eq!(err.argument(), Some("schema"), "{err}");
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn cases_from_a_registry_subject_turn_what_it_cannot_encode_into_negatives() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let topic = unique("cases");
    let subject = format!("{topic}-value");
    state.registry().unwrap().register(&subject, SchemaType::Avro, AVRO).await.unwrap();
    let r = call(
        &state,
        "generate_test_cases",
        json!({"schema": format!("subject:{subject}"), "max_cases": 200, "seed": 1, "max_output_bytes": 1048576,
        "target": {"input_topic": topic, "output_topic": format!("{topic}.out"), "dlq_topic": format!("{topic}.dlq")}}),
    )
    .await
    .unwrap();
    assert_eq!(r.structured["source"], format!("subject {subject} version 1 (AVRO)"));
    let avro = Parsed::parse(SchemaType::Avro, AVRO, &[]).unwrap();
    let cases = r.structured["cases"].as_array().unwrap();
    let input = |c: &Value| c["input"]["value"].clone();
    for c in cases.iter().filter(|c| c["type"] == "positive" || c["type"] == "edge") {
        assert!(encodes(&avro, &input(c), None), "{c}");
    }
    let negative = |field: &str, constraint: &str| {
        cases
            .iter()
            .find(|c| {
                c["type"] == "negative" && c["covers"]["field"] == field && c["covers"]["constraint"] == constraint
            })
            .unwrap_or_else(|| panic!("no negative case for {field} {constraint}"))
    };
    // Above int32, a symbol the enum lacks, a field the record lacks: the registry schema cannot encode them.
    for (field, constraint) in [("/qty", "maximum"), ("/status", "enum"), ("/customer/email", "required")] {
        let c = negative(field, constraint);
        assert!(!encodes(&avro, &input(c), None), "{c}");
        assert_eq!(c["expectation"]["kind"], "dlq", "{c}");
    }
    assert_eq!(negative("/qty", "maximum")["input"]["value"]["qty"], json!(2147483648u64));
    let err = call(
        &state,
        "generate_test_cases",
        json!({"schema": "subject:no-such-subject-here", "target": {"input_topic": "t"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.argument(), Some("schema"), "{err}");
}
