//! The Kafka tools: one file each, registered in `mcp::registry::all_tools`.

pub mod infer_schema;
pub mod list_topics;
pub mod produce_test_message;

pub use infer_schema::InferSchema;
pub use list_topics::ListTopics;
pub use produce_test_message::ProduceTestMessage;
