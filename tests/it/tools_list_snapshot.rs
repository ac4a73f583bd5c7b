//! Snapshots of what a model sees in tools/list, one file per tool
//! (`snapshots/it__tools_list_snapshot__<tool>.snap`): name, description, annotations, input and output schemas.
//! Descriptions and schemas are the product's interface for a model, so any change to them must be reviewed on
//! purpose: `cargo insta review` (or INSTA_UPDATE=always) after a deliberate change, and the diff shows which
//! tool changed.

use crate::tools_list_size::listed_tools;
use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::AppState;
use kafka_qa_mcp::mcp::{McpServer, Registry};
use std::sync::Arc;

#[test]
fn tools_list_is_reviewed_on_purpose() {
    let tools = listed_tools();
    assert_eq!(tools.len(), Registry::new().infos().count(), "every registered tool is listed");
    for tool in &tools {
        insta::assert_json_snapshot!(tool["name"].as_str().unwrap(), tool);
    }
}

#[test]
fn read_only_mode_hides_the_tools_that_always_write() {
    let mut config = Config::default();
    config.kafka.bootstrap_servers = "127.0.0.1:9".into();
    config.safety.read_only = true;
    let server = McpServer::new(AppState::new(config).unwrap(), Arc::new(Registry::new()));
    let names: Vec<String> = server.tool_list().into_iter().map(|t| t.name.to_string()).collect();
    assert!(names.contains(&"list_topics".to_string()));
    assert!(!names.contains(&"produce_test_message".to_string()), "{names:?}");
}
