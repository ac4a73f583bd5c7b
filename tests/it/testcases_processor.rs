//! Generated test cases run against the example order processor on the real broker: the report says
//! what the processor did (negative cases in the DLQ, the rest in the output, every case passing), and
//! with `--break-validation` the case that checks the broken rule fails.
//! Needs KAFKA_BOOTSTRAP_SERVERS (run `tools/stack up` and `source .stack/env`).

use crate::support::stack::bootstrap;
use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::Registry;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::Arc;

/// The example binary, built on demand (cargo test --all-targets builds it already).
fn processor_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|p| p.parent()).unwrap().join("examples");
    let bin = dir.join("order_processor");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo).args(["build", "--example", "order_processor"]).status().unwrap().success();
        assert!(ok, "cargo build --example order_processor failed");
    }
    assert!(bin.exists(), "{} missing after the build", bin.display());
    bin
}

struct Processor(Child);

impl Drop for Processor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Setup {
    state: Arc<AppState>,
    input: String,
    output: String,
    dlq: String,
}

async fn setup(tag: &str) -> Setup {
    let mut config = Config::default();
    config.kafka.bootstrap_servers = bootstrap();
    config.kafka.add_env_properties().unwrap();
    config.export.dir = std::env::temp_dir().join(format!("kqm-testcases-{}", std::process::id()));
    let state = AppState::new(config).unwrap();
    let suffix = format!("{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (input, output, dlq) =
        (format!("tc.orders.{suffix}"), format!("tc.orders.enriched.{suffix}"), format!("tc.orders.dlq.{suffix}"));
    for t in [&input, &output, &dlq] {
        state.kafka.create_topic(&state.guard, t, 1, &[]).await.unwrap();
    }
    Setup { state, input, output, dlq }
}

fn spawn(s: &Setup, break_validation: bool) -> Processor {
    let mut cmd = Command::new(processor_binary());
    cmd.args([
        "--bootstrap",
        &bootstrap(),
        "--input",
        &s.input,
        "--output",
        &s.output,
        "--dlq",
        &s.dlq,
        "--group",
        &format!("g-{}", s.input),
    ]);
    if break_validation {
        cmd.arg("--break-validation");
    }
    Processor(cmd.spawn().unwrap())
}

async fn call(cx: &CallContext, tool: &str, args: Value) -> Value {
    let Value::Object(args) = args else { panic!("object") };
    match Registry::new().call(cx, tool, Some(args.clone())).await {
        Ok(r) => r.structured,
        Err(e) => panic!("{tool} failed: {e}"),
    }
}

async fn generate_and_run(s: &Setup) -> (Value, Value) {
    let cx = CallContext::new(s.state.clone());
    let cases = call(&cx, "generate_test_cases", json!({
        "entity": "order", "seed": 3, "max_cases": 200, "max_output_bytes": 1048576,
        "target": {"input_topic": s.input, "output_topic": s.output, "dlq_topic": s.dlq, "key_field": "order_id", "timeout_ms": 20000}
    })).await;
    let report = call(&cx, "run_test_cases", json!({"case_set": cases["case_set"], "parallelism": 8, "report_formats": ["junit", "markdown", "json"], "detail": "full", "max_output_bytes": 1048576})).await;
    eprintln!(
        "{}: {} cases, {} passed, {} failed, {} errored; coverage {}",
        s.input, report["total"], report["passed"], report["failed"], report["errored"], cases["coverage"]
    );
    (cases, report)
}

async fn teardown(s: &Setup) {
    for t in [&s.input, &s.output, &s.dlq] {
        let _ = s.state.kafka.delete_topic(&s.state.guard, t).await;
    }
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generated_cases_pass_against_the_processor_and_catch_a_broken_rule() {
    // A correct processor: every case passes, and each landed where its kind says.
    let good = setup("ok").await;
    let processor = spawn(&good, false);
    let (cases, report) = generate_and_run(&good).await;
    drop(processor);
    teardown(&good).await;
    let total = report["total"].as_u64().unwrap();
    assert!(total >= 40, "at least 40 cases generated, got {total}");
    assert_eq!(report["truncated"], false);
    let coverage = &cases["coverage"];
    assert!(
        coverage["constraints_covered"].as_u64() == coverage["constraints_total"].as_u64(),
        "every constraint covered: {coverage}"
    );
    let failures: Vec<&Value> =
        report["cases"].as_array().unwrap().iter().filter(|c| c["status"] != "passed").collect();
    assert!(
        failures.is_empty(),
        "cases failed against a correct processor: {}",
        serde_json::to_string_pretty(&failures).unwrap()
    );
    for c in report["cases"].as_array().unwrap() {
        let landed: Vec<&str> = c["landed"].as_array().unwrap().iter().map(|l| l["topic"].as_str().unwrap()).collect();
        let want = if c["type"] == "negative" { &good.dlq } else { &good.output };
        assert_eq!(landed, vec![want.as_str()], "case {} ({}) landed in {landed:?}", c["id"], c["title"]);
    }
    // Each case's outcome is its own message: no two cases share a landing place.
    let places: std::collections::BTreeSet<String> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}@{}", c["landed"][0]["topic"], c["landed"][0]["offset"]))
        .collect();
    assert_eq!(places.len() as u64, total, "two cases claim the same landed message");
    let kinds: std::collections::BTreeSet<&str> =
        report["cases"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 4, "all four kinds ran: {kinds:?}");
    let files: Vec<String> =
        report["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
    let junit = std::fs::read_to_string(files.iter().find(|f| f.ends_with(".xml")).unwrap()).unwrap();
    assert!(
        junit.contains(&format!("tests=\"{total}\" failures=\"0\" errors=\"0\"")),
        "{}",
        &junit[..300.min(junit.len())]
    );
    assert!(
        good.state.resources.get(report["resource"].as_str().unwrap()).is_some(),
        "the report is stored as a resource"
    );
    assert!(report["latency"]["p50_ms"].as_f64().unwrap() >= 0.0);

    // A processor that skips the total check: the business-rule case now fails, with evidence.
    let broken = setup("broken").await;
    let processor = spawn(&broken, true);
    let (_, report) = generate_and_run(&broken).await;
    drop(processor);
    teardown(&broken).await;
    let failed: Vec<&Value> = report["cases"].as_array().unwrap().iter().filter(|c| c["status"] == "failed").collect();
    assert!(!failed.is_empty(), "the broken processor must fail some case");
    for f in &failed {
        assert!(
            f["title"].as_str().unwrap().contains("business_rule"),
            "only the total rule was broken, yet {} failed: {}",
            f["id"],
            f["observed"]
        );
        assert!(f["observed"].as_str().unwrap().contains(&broken.output), "{}", f["observed"]);
    }
    assert_eq!(report["failed"].as_u64().unwrap() as usize, failed.len());
}
