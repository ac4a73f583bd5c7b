//! A table is a row type and the Arrow builders that turn rows into record batches; a [`TableWriter`]
//! feeds those batches to a [`ParquetSink`] every few thousand rows, so memory holds one batch at a time.

use super::sink::{ExportCompression, ParquetSink, Written};
use crate::error::{Error, Result};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, SchemaRef, TimeUnit};
use schemars::JsonSchema;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// Rows per record batch handed to the Parquet writer.
pub const BATCH_ROWS: usize = 8192;

pub trait Table {
    type Row: ?Sized;
    fn schema(&self) -> SchemaRef;
    fn push(&mut self, row: &Self::Row);
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The columns of the rows pushed since the last call, in schema order.
    fn finish_columns(&mut self) -> Vec<ArrayRef>;
}

pub struct TableWriter<T: Table> {
    table: T,
    sink: ParquetSink,
}

impl<T: Table> TableWriter<T> {
    pub fn create(target: &Path, table: T, compression: ExportCompression) -> Result<TableWriter<T>> {
        let sink = ParquetSink::create(target, table.schema(), compression)?;
        Ok(TableWriter { table, sink })
    }

    pub fn push(&mut self, row: &T::Row) -> Result<()> {
        self.table.push(row);
        if self.table.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.sink.rows() + self.table.len() as u64
    }

    pub fn columns(&self) -> Vec<Column> {
        columns(&self.table.schema())
    }

    fn flush(&mut self) -> Result<()> {
        if self.table.is_empty() {
            return Ok(());
        }
        let batch = RecordBatch::try_new(self.table.schema(), self.table.finish_columns()).map_err(Error::internal)?;
        self.sink.write(&batch)
    }

    pub fn finish(mut self) -> Result<Written> {
        self.flush()?;
        self.sink.finish()
    }
}

/// A column of an exported file.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Column {
    pub name: String,
    /// Arrow type: utf8, binary, int32, int64, float64, boolean, timestamp[ms, UTC], timestamp[ns, UTC],
    /// map<utf8, binary>, map<utf8, utf8>.
    #[serde(rename = "type")]
    pub data_type: String,
}

pub fn columns(schema: &SchemaRef) -> Vec<Column> {
    schema.fields().iter().map(|f| Column { name: f.name().clone(), data_type: type_name(f.data_type()) }).collect()
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "utf8".into(),
        DataType::Binary => "binary".into(),
        DataType::Timestamp(unit, tz) => {
            let unit = match unit {
                TimeUnit::Second => "s",
                TimeUnit::Millisecond => "ms",
                TimeUnit::Microsecond => "us",
                TimeUnit::Nanosecond => "ns",
            };
            format!("timestamp[{unit}, {}]", tz.as_deref().unwrap_or("naive"))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("map<{}, {}>", type_name(kv[0].data_type()), type_name(kv[1].data_type()))
            }
            other => format!("map<{other}>"),
        },
        other => other.to_string().to_lowercase(),
    }
}

/// The Arrow type `MapBuilder` (default field names) produces for string keys and `value` values.
pub fn map_of(value: DataType) -> DataType {
    let kv = vec![
        Field::new(Field::MAP_KEY_FIELD_DEFAULT_NAME, DataType::Utf8, false),
        Field::new(Field::MAP_VALUE_FIELD_DEFAULT_NAME, value, true),
    ];
    let entries = Field::new_struct(Field::MAP_ENTRIES_FIELD_DEFAULT_NAME, kv, false);
    DataType::Map(Arc::new(entries), false)
}

pub fn utc(unit: TimeUnit) -> DataType {
    DataType::Timestamp(unit, Some("UTC".into()))
}
