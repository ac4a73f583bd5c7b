//! Shared by the Schema Registry tests: a state on the stack's broker with a given registry URL, unique
//! names, tool calls, and Python scripts (confluent-kafka's serializers: the client no one here wrote).

use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::reply::Rendered;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use serde_json::Value;
use std::sync::Arc;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `tools/stack up` and `source .stack/env` (PYTHON: tools/test)")
    })
}

pub fn state_with(registry_url: &str) -> Arc<AppState> {
    let mut c = super::stack::broker_config();
    c.schema_registry.url = Some(registry_url.to_string());
    c.schema_registry.timeout_ms = 3000;
    c.export.dir = std::env::temp_dir().join("kqm-registry-tests");
    AppState::new(c).unwrap()
}

pub fn unique(prefix: &str) -> String {
    format!("test.registry.{prefix}.{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

pub async fn call(state: &Arc<AppState>, tool: &str, args: Value) -> Result<Rendered, Error> {
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    Registry::new().call(&CallContext::new(state.clone()), tool, Some(args)).await
}

/// Runs a Python script with argv (topic, bootstrap, registry URL, extra); returns stdout.
pub fn python(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(env("PYTHON")).arg("-c").arg(script).args(args).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub const AVRO_SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"placed_at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"int"}},
 {"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"email","type":"string"}]}}]}"#;

/// Writes 5 orders with confluent-kafka's AvroSerializer: argv topic, bootstrap, registry URL, schema.
pub const PY_AVRO_PRODUCE: &str = r#"
import sys, decimal, datetime
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import SerializationContext, MessageField
topic, bootstrap, url, schema = sys.argv[1:5]
ser = AvroSerializer(SchemaRegistryClient({"url": url}), schema)
p = Producer({"bootstrap.servers": bootstrap, "batch.num.messages": 1})
for i in range(5):
    v = {"id": i, "status": ["NEW", "PAID"][i % 2], "amount": decimal.Decimal("12.3%d" % i),
         "placed_at": datetime.datetime(2024, 1, 15, 2, 50, i, tzinfo=datetime.timezone.utc),
         "note": None if i % 2 else "gift", "tags": ["a"] * i, "attrs": {"k": i}, "customer": {"email": "c%d@x.io" % i}}
    p.produce(topic, ser(v, SerializationContext(topic, MessageField.VALUE)), key=str(i))
    p.flush()
"#;
