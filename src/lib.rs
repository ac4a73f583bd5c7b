//! kafka-qa-mcp: an MCP server that lets an AI agent test Kafka systems and triage Kafka incidents.
//!
//! Data flows one way: the MCP face (`mcp`) -> domains -> clients. Each domain is one folder:
//! `kafka` (client, metadata, sampling, producing, decoding), `schema` (inference, validation),
//! `observe` (time windows, Loki, Prometheus, the Kafka catalog), `datagen` (test data), `testcases`
//! (generation, execution, reports), `rca` (graph, rules, ranking, stores), `similar` (incident
//! fingerprints), `export` (Parquet).

pub mod config;
pub mod context;
pub mod datagen;
pub mod defaults;
pub mod error;
pub mod export;
pub mod kafka;
pub mod mcp;
pub mod observe;
pub mod prompts;
pub mod rca;
pub mod registry;
pub mod resources;
pub mod safety;
pub mod schema;
pub mod similar;
pub mod store;
pub mod testcases;
pub mod text;

pub use error::{Error, Result};
