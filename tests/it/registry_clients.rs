//! Clients no one here wrote: Python confluent-kafka's ProtobufSerializer and JSONSerializer (with the
//! registry) write topics that infer_schema and peek_messages decode; what produce_test_message writes is read
//! back by confluent-kafka's ProtobufDeserializer and JSONDeserializer. Needs the stack and PYTHON.

use crate::support::registry as support;

use serde_json::{json, Value};
use support::{call, env, python, state_with, unique};

/// The kqm.Order message class, built from a descriptor (no protoc here): Line, Order, enum Status.
const PY_PROTO_CLASS: &str = r#"
import sys, json
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.json_format import MessageToDict
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer, ProtobufDeserializer
from confluent_kafka.serialization import SerializationContext, MessageField
F = descriptor_pb2.FieldDescriptorProto
fdp = descriptor_pb2.FileDescriptorProto(name="kqm_order.proto", package="kqm", syntax="proto3")
e = fdp.enum_type.add(name="Status")
for i, n in enumerate(["NEW", "PAID", "SHIPPED"]):
    e.value.add(name=n, number=i)
line = fdp.message_type.add(name="Line")
line.field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
line.field.add(name="qty", number=2, type=F.TYPE_UINT32, label=F.LABEL_OPTIONAL)
o = fdp.message_type.add(name="Order")
o.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
o.field.add(name="status", number=2, type=F.TYPE_ENUM, type_name=".kqm.Status", label=F.LABEL_OPTIONAL)
o.field.add(name="lines", number=3, type=F.TYPE_MESSAGE, type_name=".kqm.Line", label=F.LABEL_REPEATED)
o.field.add(name="email", number=4, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
o.field.add(name="amount", number=5, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
pool = descriptor_pool.DescriptorPool()
pool.Add(fdp)
Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("kqm.Order"))
topic, bootstrap, url = sys.argv[1:4]
sr = SchemaRegistryClient({"url": url})
"#;

const PY_PROTO_PRODUCE: &str = r#"
ser = ProtobufSerializer(Order, sr, {"use.deprecated.format": False})
p = Producer({"bootstrap.servers": bootstrap, "batch.num.messages": 1})
for i in range(6):
    m = Order(id=i, status=i % 2, email="c%d@x.io" % i, amount=i * 1.5)
    for j in range(i % 3):
        m.lines.add(sku="SKU-%d" % j, qty=j + 1)
    p.produce(topic, ser(m, SerializationContext(topic, MessageField.VALUE)), key=str(i))
    p.flush()
"#;

const PY_PROTO_READ: &str = r#"
de = ProtobufDeserializer(Order, {"use.deprecated.format": False})
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-" + topic, "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, int(sys.argv[4]))])
m = c.poll(10)
v = de(m.value(), SerializationContext(topic, MessageField.VALUE))
print(json.dumps(MessageToDict(v, preserving_proto_field_name=True)))
c.close()
"#;

const JSON_SCHEMA: &str = r#"{"title": "Payment", "type": "object", "additionalProperties": false,
 "properties": {"payment_id": {"type": "string"}, "amount": {"type": "number", "minimum": 0},
   "method": {"type": "string", "enum": ["card", "iban", "cash"]}, "note": {"type": ["string", "null"]}},
 "required": ["payment_id", "amount", "method"]}"#;

const PY_JSON: &str = r#"
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONSerializer, JSONDeserializer
from confluent_kafka.serialization import SerializationContext, MessageField
topic, bootstrap, url, action, arg = sys.argv[1:6]
sr = SchemaRegistryClient({"url": url})
ctx = SerializationContext(topic, MessageField.VALUE)
if action == "produce":
    ser = JSONSerializer(arg, sr)
    p = Producer({"bootstrap.servers": bootstrap, "batch.num.messages": 1})
    for i in range(4):
        v = {"payment_id": "p%d" % i, "amount": i * 10.5, "method": ["card", "iban"][i % 2], "note": None}
        p.produce(topic, ser(v, ctx), key=str(i))
        p.flush()
else:
    de = JSONDeserializer(None, schema_registry_client=sr)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-" + topic, "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, int(arg))])
    m = c.poll(10)
    print(json.dumps(de(m.value(), ctx)))
    c.close()
"#;

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn protobuf_written_by_confluent_is_decoded_and_what_we_write_confluent_reads() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let topic = unique("proto");
    state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
    let (bootstrap, url) = (env("KAFKA_BOOTSTRAP_SERVERS"), env("SCHEMA_REGISTRY_URL"));
    python(&format!("{PY_PROTO_CLASS}{PY_PROTO_PRODUCE}"), &[&topic, &bootstrap, &url]);

    let r = call(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await.unwrap();
    assert!(r.text.contains(&format!("PROTOBUF, subject `{topic}-value` version 1) ×6")), "{}", r.text);
    let s = &r.structured;
    assert_eq!(s["json_values"], 6, "{s}");
    let reg = &s["registered"];
    assert_eq!(reg["message"], "kqm.Order", "{reg}");
    assert_eq!(reg["json_schema"]["properties"]["status"]["enum"], json!(["NEW", "PAID", "SHIPPED"]), "{reg}");
    let drift = reg["drift"].to_string();
    assert!(drift.contains("enum_unused") && drift.contains("SHIPPED"), "{drift}");

    let peek = call(&state, "peek_messages", json!({"topic": topic, "partition": 0, "offset": 2, "max_messages": 1}))
        .await
        .unwrap();
    let v = &peek.structured["records"][0];
    assert_eq!(v["encoding"], "confluent_protobuf", "{v}");
    assert_eq!(
        v["value"],
        json!({"id": 2, "status": "NEW", "lines": [{"sku": "SKU-0", "qty": 1}, {"sku": "SKU-1", "qty": 2}], "email": "c2@x.io", "amount": 3.0}),
        "{v}"
    );

    let value =
        json!({"id": 77, "status": "SHIPPED", "lines": [{"sku": "Z", "qty": 9}], "email": "z@y.io", "amount": 12.25});
    let w = call(
        &state,
        "produce_test_message",
        json!({"topic": topic, "record_name": "kqm.Order", "messages": [{"key": "77", "value": value}]}),
    )
    .await
    .unwrap();
    assert!(w.text.contains("PROTOBUF schema id"), "{}", w.text);
    let read: Value =
        serde_json::from_str(&python(&format!("{PY_PROTO_CLASS}{PY_PROTO_READ}"), &[&topic, &bootstrap, &url, "6"]))
            .unwrap();
    // MessageToDict writes int64 as text.
    assert_eq!(
        read,
        json!({"id": "77", "status": "SHIPPED", "lines": [{"sku": "Z", "qty": 9}], "email": "z@y.io", "amount": 12.25})
    );
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn json_schema_written_by_confluent_is_decoded_and_what_we_write_confluent_reads() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let topic = unique("jsonschema");
    state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
    let (bootstrap, url) = (env("KAFKA_BOOTSTRAP_SERVERS"), env("SCHEMA_REGISTRY_URL"));
    python(PY_JSON, &[&topic, &bootstrap, &url, "produce", JSON_SCHEMA]);

    let r = call(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await.unwrap();
    assert!(r.text.contains(&format!("JSON, subject `{topic}-value` version 1) ×4")), "{}", r.text);
    let reg = &r.structured["registered"];
    let drift = reg["drift"].to_string();
    assert!(drift.contains(r#""kind":"unused_field","path":"/note""#), "{drift}");
    assert!(drift.contains("cash"), "the enum symbol never used: {drift}");
    let peek = call(&state, "peek_messages", json!({"topic": topic, "partition": 0, "offset": 1, "max_messages": 1}))
        .await
        .unwrap();
    assert_eq!(
        peek.structured["records"][0]["value"],
        json!({"payment_id": "p1", "amount": 10.5, "method": "iban", "note": null})
    );

    // A value the registered JSON Schema refuses names the field, and nothing is written.
    let bad = call(
        &state,
        "produce_test_message",
        json!({"topic": topic, "messages": [{"value": {"payment_id": "x", "amount": -1, "method": "card"}}]}),
    )
    .await
    .unwrap_err();
    assert!(bad.to_string().contains("/amount"), "{bad}");
    let good = json!({"payment_id": "p9", "amount": 99.5, "method": "cash", "note": "tip"});
    call(&state, "produce_test_message", json!({"topic": topic, "messages": [{"key": "9", "value": good}]}))
        .await
        .unwrap();
    let read: Value = serde_json::from_str(&python(PY_JSON, &[&topic, &bootstrap, &url, "read", "4"])).unwrap();
    assert_eq!(read, good);
}
