//! Snapshots of what a model sees in tools/list, one file per tool (`snapshots/tools_list_snapshot__<tool>.snap`):
//! name, description, annotations, input and output schemas. Descriptions and schemas are the product's
//! interface for a model, so any change to them must be reviewed on purpose: `cargo insta review` (or
//! INSTA_UPDATE=always) after a deliberate change, and the diff shows which tool changed.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::AppState;
use kafka_qa_mcp::mcp::{McpServer, Registry};
use std::sync::Arc;

#[test]
fn tools_list_is_reviewed_on_purpose() {
    // Every backend configured (no I/O happens: listing never connects), so every tool is offered.
    let mut config = Config::default();
    config.kafka.bootstrap_servers = "127.0.0.1:9".into();
    config.loki.url = Some("http://127.0.0.1:9".into());
    config.prometheus.url = Some("http://127.0.0.1:9".into());
    config.schema_registry.url = Some("http://127.0.0.1:9".into());
    let server = McpServer::new(AppState::new(config).unwrap(), Arc::new(Registry::new()));
    let tools = serde_json::to_value(server.tool_list()).unwrap();
    assert_eq!(tools.as_array().unwrap().len(), Registry::new().infos().count(), "every registered tool is listed");
    for tool in tools.as_array().unwrap() {
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
