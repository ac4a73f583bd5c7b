//! Streamable HTTP under abuse (issue 13): bodies that are not JSON-RPC get a 400 with a JSON-RPC error,
//! idle sessions expire, live sessions are capped with a clear 503, DELETE answers 204.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::AppState;
use kafka_qa_mcp::mcp::http::{router, HttpOptions};
use kafka_qa_mcp::mcp::{McpServer, Registry};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn start(idle: Duration, max: usize) -> String {
    let state = AppState::new(Config::default()).unwrap();
    let server = McpServer::new(state, Arc::new(Registry::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let opts = HttpOptions {
        addr,
        auth_token: None,
        extra_hosts: vec![],
        extra_origins: vec![],
        session_idle: idle,
        max_sessions: max,
    };
    let app = router(server, &opts, CancellationToken::new());
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/mcp")
}

async fn post(client: &reqwest::Client, url: &str, body: String, session: Option<&str>) -> reqwest::Response {
    let mut r = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body);
    if let Some(s) = session {
        r = r.header("mcp-session-id", s).header("mcp-protocol-version", "2025-06-18");
    }
    r.send().await.unwrap()
}

fn initialize(id: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}).to_string()
}

async fn open(client: &reqwest::Client, url: &str, id: u64) -> Result<String, (u16, Value)> {
    let r = post(client, url, initialize(id), None).await;
    let status = r.status().as_u16();
    if status == 200 {
        return Ok(r.headers()["mcp-session-id"].to_str().unwrap().to_string());
    }
    Err((status, r.json().await.unwrap_or_default()))
}

#[tokio::test]
async fn malformed_bodies_get_a_json_rpc_error() {
    let url = start(Duration::from_secs(60), 10).await;
    let client = reqwest::Client::new();
    let deep = format!(r#"{{"jsonrpc":"2.0","id":7,"method":"ping","params":{}{}}}"#, "[".repeat(300), "]".repeat(300));
    let cases = [
        (deep, -32700, json!(7)),
        (r#"{"jsonrpc":"2.0","id":8,"method":"ping","params":{"n":1e400}}"#.to_string(), -32700, json!(8)),
        (r#"{"jsonrpc":"2.0","id":"s","method":"\ud800"}"#.to_string(), -32700, json!("s")),
        ("garbage".to_string(), -32700, Value::Null),
        (r#"{"jsonrpc":"2.0","id":9}"#.to_string(), -32600, json!(9)),
    ];
    for (body, code, id) in cases {
        let r = post(&client, &url, body, None).await;
        assert_eq!(r.status().as_u16(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!((v["error"]["code"].as_i64().unwrap(), v["id"].clone()), (code, id), "{v}");
    }
}

#[tokio::test]
async fn sessions_are_capped_expire_when_idle_and_delete_answers_204() {
    let url = start(Duration::from_millis(400), 3).await;
    let client = reqwest::Client::new();
    let mut ids = vec![];
    for i in 0..3 {
        ids.push(open(&client, &url, i).await.unwrap());
    }
    let (status, body) = open(&client, &url, 99).await.unwrap_err();
    assert_eq!(status, 503);
    assert_eq!(body["id"], json!(99));
    assert!(body["error"]["message"].as_str().unwrap().contains("max_sessions"), "{body}");
    let r = client
        .delete(&url)
        .header("mcp-session-id", &ids[0])
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert!([200, 204].contains(&r.status().as_u16()), "{}", r.status());
    open(&client, &url, 4).await.unwrap();
    // Idle sessions are closed: after the idle time the cap is free again.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for i in 10..13 {
        open(&client, &url, i).await.unwrap();
    }
}
