//! The table of Kafka messages: where each came from, its key, headers and value (raw bytes, and text when
//! they are UTF-8), plus the top-level JSON fields of the value as typed columns when a schema is known. With a
//! Schema Registry, also the value as JSON text (registry-framed Avro, Protobuf and JSON Schema payloads
//! decoded, plain JSON as is) and the schema id, subject and version of framed values.

use super::json_columns::JsonColumns;
use super::table::{map_of, utc, Table};
use crate::context::AppState;
use crate::kafka::Record;
use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, Int32Builder, Int64Builder, MapBuilder, StringBuilder, TimestampMillisecondBuilder,
    UInt32Builder,
};
use arrow_array::ArrayRef;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::Value;
use std::sync::Arc;

/// The fixed columns, in order; JSON columns follow and are renamed `value_<name>` when they collide.
pub const FIXED_COLUMNS: [&str; 9] =
    ["topic", "partition", "offset", "timestamp", "key", "key_text", "headers", "value", "value_text"];
/// The columns a Schema Registry adds after the fixed ones.
pub const REGISTRY_COLUMNS: [&str; 4] = ["value_json", "schema_id", "subject", "schema_version"];

/// The registry's columns: the decoded value and which schema it had.
struct RegistryColumns {
    state: Arc<AppState>,
    value_json: StringBuilder,
    schema_id: UInt32Builder,
    subject: StringBuilder,
    version: Int64Builder,
}

pub struct MessageTable {
    schema: SchemaRef,
    topic: StringBuilder,
    partition: Int32Builder,
    offset: Int64Builder,
    timestamp: TimestampMillisecondBuilder,
    key: BinaryBuilder,
    key_text: StringBuilder,
    headers: MapBuilder<StringBuilder, BinaryBuilder>,
    value: BinaryBuilder,
    value_text: StringBuilder,
    registry: Option<RegistryColumns>,
    json: JsonColumns,
}

impl MessageTable {
    /// `json_schema`: an inferred schema of the values whose top-level properties become columns.
    pub fn new(json_schema: Option<&Value>) -> MessageTable {
        MessageTable::with_registry(json_schema, None)
    }

    /// The same, with the registry's columns when `state` has a Schema Registry (its schemas prefetched, see
    /// [`crate::registry::prefetch_topic`]).
    pub fn with_registry(json_schema: Option<&Value>, state: Option<Arc<AppState>>) -> MessageTable {
        let state = state.filter(|s| s.registry_opt().is_some());
        let reserved: Vec<&str> = FIXED_COLUMNS.iter().chain(&REGISTRY_COLUMNS).copied().collect();
        let json = json_schema.map(|s| JsonColumns::plan(s, &reserved)).unwrap_or_default();
        let mut fields = vec![
            Field::new("topic", DataType::Utf8, false),
            Field::new("partition", DataType::Int32, false),
            Field::new("offset", DataType::Int64, false),
            Field::new("timestamp", utc(TimeUnit::Millisecond), true),
            Field::new("key", DataType::Binary, true),
            Field::new("key_text", DataType::Utf8, true),
            Field::new("headers", map_of(DataType::Binary), false),
            Field::new("value", DataType::Binary, true),
            Field::new("value_text", DataType::Utf8, true),
        ];
        if state.is_some() {
            fields.extend([
                Field::new("value_json", DataType::Utf8, true),
                Field::new("schema_id", DataType::UInt32, true),
                Field::new("subject", DataType::Utf8, true),
                Field::new("schema_version", DataType::Int64, true),
            ]);
        }
        fields.extend(json.fields());
        MessageTable {
            schema: Arc::new(Schema::new(fields)),
            topic: StringBuilder::new(),
            partition: Int32Builder::new(),
            offset: Int64Builder::new(),
            timestamp: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            key: BinaryBuilder::new(),
            key_text: StringBuilder::new(),
            headers: MapBuilder::new(None, StringBuilder::new(), BinaryBuilder::new()),
            value: BinaryBuilder::new(),
            value_text: StringBuilder::new(),
            registry: state.map(|state| RegistryColumns {
                state,
                value_json: StringBuilder::new(),
                schema_id: UInt32Builder::new(),
                subject: StringBuilder::new(),
                version: Int64Builder::new(),
            }),
            json,
        }
    }
}

fn text(bytes: Option<&[u8]>) -> Option<&str> {
    bytes.and_then(|b| std::str::from_utf8(b).ok())
}

impl Table for MessageTable {
    type Row = Record;
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn push(&mut self, m: &Record) {
        self.topic.append_value(&m.topic);
        self.partition.append_value(m.partition);
        self.offset.append_value(m.offset);
        self.timestamp.append_option(m.timestamp_ms);
        self.key.append_option(m.key.as_deref());
        self.key_text.append_option(text(m.key.as_deref()));
        for (k, v) in &m.headers {
            self.headers.keys().append_value(k);
            self.headers.values().append_option(v.as_deref());
        }
        // Balanced keys and values: appending the entry cannot fail.
        let _ = self.headers.append(true);
        self.value.append_option(m.value.as_deref());
        self.value_text.append_option(text(m.value.as_deref()));
        let mut doc = None;
        if let Some(reg) = &mut self.registry {
            let decoded = m.value.as_deref().and_then(|v| {
                crate::registry::decode_named(reg.state.registry_opt()?, v, Some((&m.topic, false)))?.ok()
            });
            match decoded {
                Some(d) => {
                    reg.schema_id.append_value(d.schema_id);
                    reg.subject.append_option(d.subject.as_deref());
                    reg.version.append_option(d.version);
                    doc = Some(d.value);
                }
                None => {
                    reg.schema_id.append_option(m.value.as_deref().and_then(crate::registry::codec::schema_id));
                    reg.subject.append_null();
                    reg.version.append_null();
                    doc = m.value.as_deref().and_then(|v| crate::kafka::decode(v).1);
                }
            }
            reg.value_json.append_option(doc.as_ref().map(Value::to_string));
        }
        if !self.json.is_empty() {
            // Plain or Confluent-framed JSON alike, and registry-decoded values.
            let doc = doc.or_else(|| m.value.as_deref().and_then(|v| crate::kafka::decode(v).1));
            self.json.push(doc.as_ref());
        }
    }
    fn len(&self) -> usize {
        self.offset.len()
    }
    fn finish_columns(&mut self) -> Vec<ArrayRef> {
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.topic.finish()),
            Arc::new(self.partition.finish()),
            Arc::new(self.offset.finish()),
            Arc::new(self.timestamp.finish()),
            Arc::new(self.key.finish()),
            Arc::new(self.key_text.finish()),
            Arc::new(self.headers.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.value_text.finish()),
        ];
        if let Some(reg) = &mut self.registry {
            cols.push(Arc::new(reg.value_json.finish()));
            cols.push(Arc::new(reg.schema_id.finish()));
            cols.push(Arc::new(reg.subject.finish()));
            cols.push(Arc::new(reg.version.finish()));
        }
        cols.extend(self.json.finish());
        cols
    }
}
