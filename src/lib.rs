//! kafka-qa-mcp: an MCP server that lets an AI agent test Kafka systems and triage Kafka incidents.
//!
//! Data flows one way: the MCP face (`mcp`) -> domains (`kafka`, `schema`, ...) -> clients.

pub mod config;
pub mod context;
pub mod error;
pub mod mcp;
pub mod safety;

pub use error::{Error, Result};
