//! Parquet writers for messages, log lines and metric samples, and the export_parquet tool.

pub mod json_columns;
pub mod messages;
pub mod observations;
pub mod sink;
pub mod table;

pub use messages::{Message, MessageTable};
pub use observations::{LogRow, LogTable, MetricRow, MetricTable};
pub use sink::{ExportCompression, ParquetSink, Written};
pub use table::{Column, Table, TableWriter};

#[cfg(test)]
mod tests;
