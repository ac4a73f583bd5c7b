//! The dispatch path every tool shares (MCP and `call`): argument validation against the published schema,
//! errors that name the argument, the byte budget, availability rules, cancellation and secret redaction.
//! Uses a small fixture tool, so it needs no server.

use futures::future::BoxFuture;
use kafka_qa_mcp::config::{Config, Secret};
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::registry::Availability;
use kafka_qa_mcp::mcp::{Backend, Registry, Reply, Tool, ToolInfo};
use kafka_qa_mcp::Error;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Echoes `count` numbered rows; fails on request; or waits for cancellation.
struct Rows;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RowsArgs {
    /// How many rows.
    #[schemars(range(min = 1, max = 100000))]
    count: u32,
    /// A word repeated in every row.
    #[serde(default)]
    word: String,
    /// Return this error text instead of rows (it is echoed back).
    #[serde(default)]
    fail_with: Option<String>,
    /// Never finish (until cancelled).
    #[serde(default)]
    hang: bool,
}

#[derive(Serialize, JsonSchema)]
struct RowsOut {
    rows: Vec<Value>,
}

impl Tool for Rows {
    type Args = RowsArgs;
    type Output = RowsOut;
    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "rows",
            title: "Rows",
            description: "fixture",
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
            writes_kafka: false,
            requires: &[],
            resources: &[],
        }
    }
    fn run<'a>(&'a self, _cx: &'a CallContext, a: RowsArgs) -> BoxFuture<'a, kafka_qa_mcp::Result<Reply>> {
        Box::pin(async move {
            if a.hang {
                futures::future::pending::<()>().await;
            }
            if let Some(text) = a.fail_with {
                return Err(Error::upstream("Fixture", text));
            }
            let rows: Vec<Value> = (0..a.count).map(|i| json!({"i": i, "word": a.word})).collect();
            let text = (0..a.count).map(|i| format!("| {i} | {} |", a.word)).collect();
            Ok(Reply::new(&RowsOut { rows })?
                .summary("# Rows")
                .rows("rows", "| i | word |\n|---|---|", text)
                .when_empty("nothing"))
        })
    }
}

/// A tool that writes to Kafka and needs it, to test availability.
struct Writer;
impl Tool for Writer {
    type Args = Map<String, Value>;
    type Output = RowsOut;
    fn info(&self) -> ToolInfo {
        ToolInfo { name: "writer", writes_kafka: true, requires: &[Backend::Kafka], read_only: false, ..Rows.info() }
    }
    fn run<'a>(&'a self, _cx: &'a CallContext, _a: Self::Args) -> BoxFuture<'a, kafka_qa_mcp::Result<Reply>> {
        Box::pin(async { Reply::new(&RowsOut { rows: vec![] }) })
    }
}

fn setup(config: Config) -> (Registry, CallContext) {
    let registry = Registry::with_tools(vec![Box::new(Rows), Box::new(Writer)]);
    (registry, CallContext::new(AppState::new(config).unwrap()))
}

fn args(v: Value) -> Option<Map<String, Value>> {
    v.as_object().cloned()
}

fn bad_argument(r: kafka_qa_mcp::Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::BadInput { argument, .. }) => argument,
        other => panic!("expected bad input, got {other:?}"),
    }
}

#[tokio::test]
async fn arguments_are_checked_against_the_schema_and_named() {
    let (reg, cx) = setup(Config::default());
    assert_eq!(bad_argument(reg.call(&cx, "rows", args(json!({}))).await), "count");
    assert_eq!(bad_argument(reg.call(&cx, "rows", args(json!({"count": "ten"}))).await), "count");
    assert_eq!(bad_argument(reg.call(&cx, "rows", args(json!({"count": 0}))).await), "count");
    assert_eq!(bad_argument(reg.call(&cx, "rows", args(json!({"count": 1, "colour": 1}))).await), "colour");
    assert_eq!(
        bad_argument(reg.call(&cx, "rows", args(json!({"count": 1, "max_output_bytes": 5}))).await),
        "max_output_bytes"
    );
    assert_eq!(bad_argument(reg.call(&cx, "nope", None).await), "name");
    // Still answering after every bad call.
    let ok = reg.call(&cx, "rows", args(json!({"count": 2}))).await.unwrap();
    assert_eq!(ok.structured["rows"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn replies_stay_within_the_budget() {
    let (reg, cx) = setup(Config::default());
    for budget in [1024u64, 8192, 32768] {
        let r = reg
            .call(&cx, "rows", args(json!({"count": 50000, "word": "kafka", "max_output_bytes": budget})))
            .await
            .unwrap();
        let size = r.text.len() + r.structured.to_string().len();
        assert!(size <= budget as usize, "{size} > {budget}");
        assert_eq!(r.structured["truncated"], json!(true));
        assert!(r.structured["truncation"]["omitted"]["rows"].as_u64().unwrap() > 0);
    }
    // The server default applies without the argument.
    let r = reg.call(&cx, "rows", args(json!({"count": 50000}))).await.unwrap();
    assert!(r.text.len() + r.structured.to_string().len() <= 32 * 1024);
}

#[tokio::test]
async fn read_only_mode_and_missing_backends_disable_tools() {
    let mut config = Config::default();
    let (reg, cx) = setup(config.clone());
    assert!(matches!(reg.call(&cx, "writer", args(json!({}))).await, Err(Error::NotConfigured { .. })));
    config.kafka.bootstrap_servers = "127.0.0.1:1".into();
    config.safety.read_only = true;
    let (reg, cx) = setup(config);
    match reg.call(&cx, "writer", args(json!({}))).await {
        Err(Error::Denied { rule, .. }) => assert_eq!(rule, "read_only"),
        other => panic!("{other:?}"),
    }
    let info = reg.infos().find(|(i, _, _)| i.name == "rows").unwrap().0.clone();
    assert!(matches!(reg.availability(&info, &cx.state.config), Availability::Enabled));
}

#[tokio::test]
async fn cancellation_ends_the_call() {
    let (reg, cx) = setup(Config::default());
    let cancel = cx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        cancel.cancel();
    });
    assert!(matches!(reg.call(&cx, "rows", args(json!({"count": 1, "hang": true}))).await, Err(Error::Cancelled)));
}

#[tokio::test]
async fn configured_secrets_never_leave_the_server() {
    let mut config = Config::default();
    config.loki.password = Some(Secret::new("loki-pa55-XYZ"));
    let (reg, cx) = setup(config);
    // A backend that echoes the credential in its error, and a value that contains it.
    let err =
        reg.call(&cx, "rows", args(json!({"count": 1, "fail_with": "bad password loki-pa55-XYZ"}))).await.unwrap_err();
    let result = kafka_qa_mcp::mcp::server::to_call_result(Err(err), &cx.state);
    assert!(!serde_json::to_string(&result).unwrap().contains("loki-pa55-XYZ"));
    let ok = reg.call(&cx, "rows", args(json!({"count": 1, "word": "loki-pa55-XYZ"}))).await.unwrap();
    assert!(!ok.text.contains("loki-pa55-XYZ") && !ok.structured.to_string().contains("loki-pa55-XYZ"));
}

#[test]
fn every_input_schema_offers_the_budget_argument() {
    let (reg, _) = setup(Config::default());
    for (_, input, output) in reg.infos() {
        assert_eq!(input["properties"]["max_output_bytes"]["maximum"], json!(1024 * 1024));
        assert_eq!(output["properties"]["truncated"]["type"], json!("boolean"));
    }
}
