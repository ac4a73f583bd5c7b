//! Every verification call graph_rca emits (PromQL through prom_snapshot, LogQL through loki_query) must be
//! accepted as given by the stack's real Prometheus and Loki: on the recorded 2024-01-15 incident and on
//! simulated incidents of other label schemes (no broker label, Kubernetes pods). A check that does not
//! parse, or that the backend refuses, fails here.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::registry::Registry;
use serde_json::{json, Value};

const SCENARIOS: [&str; 3] = ["06-rebalance-storm-a", "12-gc-pressure-b", "19-under-provisioned-replication-b"];

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run tools/stack up and source .stack/env"))
}

fn windows() -> Vec<(String, Value, Value)> {
    let mut out = vec![("2024-01-15".to_string(), json!("2024-01-15T02:50:00Z"), json!("2024-01-15T03:30:00Z"))];
    let dir = std::env::var("KAFKA_QA_STACK_DIR").unwrap_or_else(|_| format!("{}/.stack", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{dir}/scenarios/scenarios.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}: run tools/stack up prometheus loki"));
    let all: Value = serde_json::from_str(&text).unwrap();
    for name in SCENARIOS {
        let s = all["scenarios"].as_array().unwrap().iter().find(|s| s["name"] == name).expect(name);
        out.push((name.to_string(), s["window"]["start"].clone(), s["window"]["end"].clone()));
    }
    out
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
async fn every_verification_query_is_accepted_by_the_stack() {
    let mut config = Config::default();
    config.prometheus.url = Some(env("PROMETHEUS_URL"));
    config.loki.url = Some(env("LOKI_URL"));
    let cx = CallContext::new(AppState::new(config).unwrap());
    let registry = Registry::new();
    let mut refused = vec![];
    let mut ran = 0;
    for (name, start, end) in windows() {
        let args = json!({"sources": "live", "start": start, "end": end, "persist": false});
        let reply = registry.call(&cx, "graph_rca", Some(object(args))).await.expect("graph_rca runs");
        let hypotheses = reply.structured["hypotheses"].as_array().cloned().unwrap_or_default();
        assert!(!hypotheses.is_empty(), "{name}: no hypotheses");
        let mut calls: Vec<Value> = hypotheses
            .iter()
            .flat_map(|h| h["verification"].as_array().cloned().unwrap_or_default())
            .chain(
                hypotheses
                    .iter()
                    .filter_map(|h| h["tells_apart"]["verification"].as_object().cloned().map(Value::Object)),
            )
            .filter(|v| v["kind"] == "promql" || v["kind"] == "logql")
            .collect();
        calls.dedup();
        for v in calls {
            let tool = v["tool"].as_str().unwrap().to_string();
            ran += 1;
            if let Err(e) = registry.call(&cx, &tool, Some(object(v["arguments"].clone()))).await {
                refused.push(format!("{name}: {tool} {}: {e}", v["arguments"]));
            }
        }
    }
    assert!(ran >= 8, "only {ran} verification calls");
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
}

/// Simulated incidents whose cause sits on a broker, one per label scheme: VMs with a broker label, VMs
/// labelled by host only, Kubernetes pods (job="kafka"), promtail's `namespace/name` jobs, and two held-out
/// ones: Strimzi node pools (pods <cluster>-broker-N, volume claims data-0-<pod>) and logs shipped by the
/// OpenTelemetry collector (service_name, host_name: no job label at all).
const BROKER_CAUSES: [&str; 6] = [
    "00-broker-out-of-disk-a",
    "04-network-partition-a",
    "10-broker-out-of-disk-b",
    "14-network-partition-b",
    "30-broker-out-of-disk-h",
    "32-gc-pressure-h",
];

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
async fn checks_of_a_broker_cause_find_its_lines_and_volume_on_every_label_scheme() {
    let mut config = Config::default();
    config.prometheus.url = Some(env("PROMETHEUS_URL"));
    config.loki.url = Some(env("LOKI_URL"));
    let cx = CallContext::new(AppState::new(config).unwrap());
    let registry = Registry::new();
    let dir = std::env::var("KAFKA_QA_STACK_DIR").unwrap_or_else(|_| format!("{}/.stack", env!("CARGO_MANIFEST_DIR")));
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/scenarios/scenarios.json")).unwrap()).unwrap();
    let mut empty = vec![];
    for name in BROKER_CAUSES {
        let s = all["scenarios"].as_array().unwrap().iter().find(|s| s["name"] == name).expect(name);
        let args =
            json!({"sources": "live", "start": s["window"]["start"], "end": s["window"]["end"], "persist": false});
        let reply = registry.call(&cx, "graph_rca", Some(object(args))).await.expect("graph_rca runs");
        let hypotheses = reply.structured["hypotheses"].as_array().cloned().unwrap_or_default();
        let h = hypotheses
            .iter()
            .find(|h| h["rule"] == s["cause"] && h["on"] == s["entity"])
            .unwrap_or_else(|| panic!("{name}: no {} on {}", s["cause"], s["entity"]));
        for v in h["verification"].as_array().unwrap() {
            let q = v["arguments"]["logql"].as_str().or(v["arguments"]["queries"][0].as_str()).unwrap_or_default();
            let out = match v["kind"].as_str() {
                Some("logql") => registry.call(&cx, "loki_query", Some(object(v["arguments"].clone()))).await,
                // The disk check: free space of the broker's data volume (node_exporter or the kubelet).
                Some("promql") if q.contains("_bytes") => {
                    registry.call(&cx, "prom_snapshot", Some(object(v["arguments"].clone()))).await
                }
                _ => continue,
            };
            let out = out.unwrap_or_else(|e| panic!("{name}: {q}: {e}")).structured;
            let found =
                out["lines_returned"].as_u64().unwrap_or(0) + out["series"].as_array().map_or(0, |s| s.len() as u64);
            if found == 0 {
                empty.push(format!("{name} ({}): {q}", s["label_scheme"]));
            }
        }
    }
    assert!(empty.is_empty(), "checks that found nothing:\n{}", empty.join("\n"));
}
