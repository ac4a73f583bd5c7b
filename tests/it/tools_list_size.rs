//! What tools/list costs an agent before its first call, measured as the MCP SDKs send it (compact JSON):
//! name + description + inputSchema of every tool within 16 KiB, the output schemas within 40 KiB. Sizes,
//! not times; the per-tool snapshots (tools_list_snapshot.rs) show what changed.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::AppState;
use kafka_qa_mcp::mcp::{compact, McpServer, Registry};
use serde_json::{json, Value};
use std::sync::Arc;

const INPUT_BUDGET: usize = 16 * 1024;
const OUTPUT_BUDGET: usize = 40 * 1024;

/// What tools/list offers with every backend configured (no I/O happens: listing never connects).
pub fn listed_tools() -> Vec<Value> {
    let mut config = Config::default();
    config.kafka.bootstrap_servers = "127.0.0.1:9".into();
    config.loki.url = Some("http://127.0.0.1:9".into());
    config.prometheus.url = Some("http://127.0.0.1:9".into());
    config.schema_registry.url = Some("http://127.0.0.1:9".into());
    let server = McpServer::new(AppState::new(config).unwrap(), Arc::new(Registry::new()));
    serde_json::to_value(server.tool_list()).unwrap().as_array().unwrap().clone()
}

fn bytes(v: &Value) -> usize {
    serde_json::to_string(v).unwrap().len()
}

#[test]
fn tools_list_fits_the_agent_budget() {
    let tools = listed_tools();
    assert_eq!(tools.len(), Registry::new().infos().count(), "every tool is offered");
    let mut table = String::from("tool                          input  output\n");
    let (mut input, mut output) = (0, 0);
    for t in &tools {
        let i = bytes(&json!({"name": t["name"], "description": t["description"], "inputSchema": t["inputSchema"]}));
        let o = bytes(&t["outputSchema"]);
        table.push_str(&format!("{:<28} {i:>6} {o:>7}\n", t["name"].as_str().unwrap()));
        input += i;
        output += o;
    }
    table.push_str(&format!("{:<28} {input:>6} {output:>7}\n", "total"));
    println!("{table}");
    assert!(input <= INPUT_BUDGET, "name + description + inputSchema: {input} > {INPUT_BUDGET} bytes\n{table}");
    assert!(output <= OUTPUT_BUDGET, "outputSchema: {output} > {OUTPUT_BUDGET} bytes\n{table}");
}

#[test]
fn every_tool_declares_its_largest_result_for_claude_code() {
    // Above 50,000 characters Claude Code shows the model a preview unless the tool declares more; every tool
    // takes max_output_bytes up to 1 MiB.
    for t in listed_tools() {
        assert_eq!(t["_meta"]["anthropic/maxResultSizeChars"], json!(1024 * 1024), "{}", t["name"]);
    }
}

#[test]
fn arguments_left_out_of_the_listing_are_still_taken_and_named() {
    let registry = Registry::new();
    let names: Vec<&str> = registry.infos().map(|(i, _, _)| i.name).collect();
    for tool in compact::shaped_tools() {
        assert!(names.contains(&tool), "a shape entry for the unknown tool {tool}");
    }
    for ((info, full, _), (_, listed, _)) in registry.infos().zip(registry.listed()) {
        for arg in compact::shaped_arguments(info.name) {
            assert!(full["properties"].get(arg).is_some(), "{}: `{arg}` is not an argument", info.name);
            let about = listed["description"].as_str().unwrap_or_default();
            assert!(about.contains(&format!("schema://tools/{}", info.name)), "{}: {about}", info.name);
            // A rare argument is named in the listing's description; a brief one is listed.
            if listed["properties"].get(arg).is_none() {
                assert!(about.contains(arg), "{}: {arg}", info.name);
            }
        }
        // Every listed argument is a real one, with the same required set.
        for arg in listed["properties"].as_object().unwrap().keys() {
            assert!(full["properties"].get(arg).is_some(), "{}: listed `{arg}` is not an argument", info.name);
        }
        assert_eq!(listed.get("required"), full.get("required"), "{}", info.name);
        // A client checking calls against the listing must not refuse the arguments it leaves out.
        assert!(listed.get("additionalProperties").is_none(), "{}", info.name);
    }
}
