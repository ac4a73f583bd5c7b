//! The Kafka tools: one file each, registered in `mcp::registry::all_tools`.

pub mod list_topics;

pub use list_topics::ListTopics;
