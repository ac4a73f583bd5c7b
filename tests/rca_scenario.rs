//! graph_rca on the shared incident scenario, live: Prometheus with the backfilled scenario
//! (`tools/stack up prometheus`) and Loki's recorded answer (all 1,382 lines of the window, fixture 27)
//! replayed by a loopback server. Broker 2's disk fills at 03:00:01; the analysis must name broker 2 out of
//! disk first, with the ISR shrinks and leader elections as evidence.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::registry::Registry;
use serde_json::{json, Value};
use std::path::Path;

/// Answers every range query with the recorded response of `{job="kafka"}` over the window (limit 5000).
async fn loki_replay() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/loki/27-query_range-all-lines.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture 27")).unwrap();
    let body = fixture["body"].as_str().unwrap().to_string();
    let app = axum::Router::new().route(
        "/loki/api/v1/query_range",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json; charset=UTF-8")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn live_analysis_names_broker_2_out_of_disk_first() {
    let prometheus = std::env::var("PROMETHEUS_URL").expect("PROMETHEUS_URL is not set: run tools/stack up and source .stack/env");
    let mut config = Config::default();
    config.prometheus.url = Some(prometheus);
    config.loki.url = Some(loki_replay().await);
    config.graph.backend = "embedded".into();
    let cx = CallContext::new(AppState::new(config).unwrap());
    let args = json!({"sources": "live", "start": "2024-01-15T02:50:00Z", "end": "2024-01-15T03:30:00Z", "persist": false});
    let Value::Object(args) = args else { unreachable!() };
    let reply = Registry::new().call(&cx, "graph_rca", Some(args)).await.expect("graph_rca runs");
    let out = reply.structured;
    let top = &out["hypotheses"][0];
    assert_eq!((top["rule"].as_str(), top["on"].as_str()), (Some("broker_out_of_disk"), Some("broker:2")), "{}", reply.text);
    let classes: Vec<&str> = top["evidence"].as_array().unwrap().iter().flat_map(|e| e["classes"].as_array().unwrap()).filter_map(Value::as_str).collect();
    for needed in ["out_of_space", "isr_shrink", "leader_election"] {
        assert!(classes.contains(&needed), "{needed} missing from the evidence {classes:?}");
    }
    let note = cx.state.resources.get(out["note"].as_str().unwrap()).expect("the incident note is stored");
    assert_eq!(note.mime_type, "text/markdown");
    assert!(note.text.contains("```mermaid\nflowchart LR"));
}
