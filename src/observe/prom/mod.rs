//! Prometheus: the client, the Kafka metric catalog and presets, series analysis, charts, and the
//! `prom_snapshot` tool.

pub mod analysis;
pub mod catalog;
pub mod chart;
pub mod client;
pub mod prom_snapshot;

pub use analysis::{analyse, ChangePoint, Condition, SeriesSummary, StateRule, StateSpan, Trend, TrendDirection};
pub use client::PromClient;
pub use prom_snapshot::PromSnapshot;
