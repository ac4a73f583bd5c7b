//! Parquet writers for messages, log lines and metric samples, and the export_parquet tool.
//! Tables turn plain rows into Arrow batches (`messages`, `observations`), a sink writes them atomically
//! (`sink`), sources bring rows page by page (`topic`, `pages`), and `tool` ties them together.

pub mod atomic;
pub mod export_parquet;
pub mod json_columns;
pub mod messages;
pub mod observations;
pub mod pages;
pub mod sink;
pub mod table;
pub mod topic;

pub use atomic::AtomicFile;
pub use export_parquet::ExportParquet;
pub use messages::MessageTable;
pub use observations::{LogRow, LogTable, MetricRow, MetricTable};
pub use sink::{ExportCompression, ParquetSink, Written};
pub use table::{Column, Table, TableWriter};

/// This domain's tools, in the order tools/list shows them.
pub fn tools() -> Vec<Box<dyn crate::mcp::tool::DynTool>> {
    vec![Box::new(ExportParquet)]
}

#[cfg(test)]
mod tests;
