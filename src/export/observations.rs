//! Tables for what Loki and Prometheus return: log lines and metric samples, as plain rows.

use super::table::{map_of, utc, Table};
use arrow_array::builder::{
    ArrayBuilder, Float64Builder, MapBuilder, StringBuilder, TimestampMillisecondBuilder, TimestampNanosecondBuilder,
};
use arrow_array::ArrayRef;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;

/// One log line of a LogQL window.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    pub time_ns: i64,
    pub labels: Vec<(String, String)>,
    pub line: String,
    /// The Kafka event class the line was classified as, when it was.
    pub event_class: Option<String>,
}

/// One sample of a PromQL window.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// `__name__`, or empty for expressions without one.
    pub metric: String,
    pub labels: Vec<(String, String)>,
    pub time_ms: i64,
    pub value: f64,
}

fn label_map() -> MapBuilder<StringBuilder, StringBuilder> {
    MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
}

fn push_labels(b: &mut MapBuilder<StringBuilder, StringBuilder>, labels: &[(String, String)]) {
    for (k, v) in labels {
        b.keys().append_value(k);
        b.values().append_value(v);
    }
    // Appending one entry after balanced keys and values cannot fail.
    let _ = b.append(true);
}

pub struct LogTable {
    schema: SchemaRef,
    time: TimestampNanosecondBuilder,
    labels: MapBuilder<StringBuilder, StringBuilder>,
    line: StringBuilder,
    event_class: StringBuilder,
}

impl Default for LogTable {
    fn default() -> Self {
        LogTable {
            schema: Arc::new(Schema::new(vec![
                Field::new("time", utc(TimeUnit::Nanosecond), false),
                Field::new("labels", map_of(DataType::Utf8), false),
                Field::new("line", DataType::Utf8, false),
                Field::new("event_class", DataType::Utf8, true),
            ])),
            time: TimestampNanosecondBuilder::new().with_timezone("UTC"),
            labels: label_map(),
            line: StringBuilder::new(),
            event_class: StringBuilder::new(),
        }
    }
}

impl Table for LogTable {
    type Row = LogRow;
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn push(&mut self, r: &LogRow) {
        self.time.append_value(r.time_ns);
        push_labels(&mut self.labels, &r.labels);
        self.line.append_value(&r.line);
        self.event_class.append_option(r.event_class.as_deref());
    }
    fn len(&self) -> usize {
        self.line.len()
    }
    fn finish_columns(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.time.finish()),
            Arc::new(self.labels.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.event_class.finish()),
        ]
    }
}

pub struct MetricTable {
    schema: SchemaRef,
    metric: StringBuilder,
    labels: MapBuilder<StringBuilder, StringBuilder>,
    time: TimestampMillisecondBuilder,
    value: Float64Builder,
}

impl Default for MetricTable {
    fn default() -> Self {
        MetricTable {
            schema: Arc::new(Schema::new(vec![
                Field::new("metric", DataType::Utf8, false),
                Field::new("labels", map_of(DataType::Utf8), false),
                Field::new("time", utc(TimeUnit::Millisecond), false),
                Field::new("value", DataType::Float64, false),
            ])),
            metric: StringBuilder::new(),
            labels: label_map(),
            time: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            value: Float64Builder::new(),
        }
    }
}

impl Table for MetricTable {
    type Row = MetricRow;
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn push(&mut self, r: &MetricRow) {
        self.metric.append_value(&r.metric);
        push_labels(&mut self.labels, &r.labels);
        self.time.append_value(r.time_ms);
        self.value.append_value(r.value);
    }
    fn len(&self) -> usize {
        self.metric.len()
    }
    fn finish_columns(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.metric.finish()),
            Arc::new(self.labels.finish()),
            Arc::new(self.time.finish()),
            Arc::new(self.value.finish()),
        ]
    }
}
