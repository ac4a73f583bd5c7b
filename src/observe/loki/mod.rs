//! Loki: the client, the Kafka log event taxonomy, log-pattern summaries, and the `loki_query` tool.

pub mod client;
pub mod loki_query;
pub mod summary;
pub mod taxonomy;

pub use client::{Direction, LogEntry, LogStream, LokiClient, LokiData, RangeQuery, ScanStats};
pub use loki_query::LokiQuery;
pub use summary::{summarise, EventSummary, LogPattern, LogSummary, SummaryOptions};
pub use taxonomy::{EventClass, Taxonomy};
