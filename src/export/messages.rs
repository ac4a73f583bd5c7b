//! The table of Kafka messages: where each came from, its key, headers and value (raw bytes, and text when
//! they are UTF-8), plus the top-level JSON fields of the value as typed columns when a schema is known.

use super::json_columns::JsonColumns;
use super::table::{map_of, utc, Table};
use crate::kafka::Record;
use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, Int32Builder, Int64Builder, MapBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::ArrayRef;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::Value;
use std::sync::Arc;

/// The fixed columns, in order; JSON columns follow and are renamed `value_<name>` when they collide.
pub const FIXED_COLUMNS: [&str; 9] =
    ["topic", "partition", "offset", "timestamp", "key", "key_text", "headers", "value", "value_text"];

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
    json: JsonColumns,
}

impl MessageTable {
    /// `json_schema`: an inferred schema of the values whose top-level properties become columns.
    pub fn new(json_schema: Option<&Value>) -> MessageTable {
        let json = json_schema.map(|s| JsonColumns::plan(s, &FIXED_COLUMNS)).unwrap_or_default();
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
        if !self.json.is_empty() {
            // Plain or Confluent-framed JSON alike.
            let doc = m.value.as_deref().and_then(|v| crate::kafka::decode(v).1);
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
        cols.extend(self.json.finish());
        cols
    }
}
