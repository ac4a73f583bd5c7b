//! Mutation testing of generated test cases against the example order processor (shared by
//! `examples/bench_mutation.rs` and `tests/it/testcases_mutants.rs`): the processor started with one planted
//! bug (`--mutant NAME`) on fresh topics, the generated suite (entity `order`, default size, the reason
//! header named) plus the agent's business-rule cases run against it, and the verdict: killed or not, by
//! which cases, and whether only the reject-reason check caught it.

#![allow(dead_code)]

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::Registry;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

/// The header the processor puts its reject reason in.
pub const REASON_HEADER: &str = "x-reject-reason";

pub fn bootstrap() -> String {
    std::env::var("KAFKA_BOOTSTRAP_SERVERS")
        .expect("KAFKA_BOOTSTRAP_SERVERS is not set: run tools/stack up and source .stack/env")
}

/// The server state the tools run on (Kafka from the environment, exports under the temp folder).
pub fn state(tag: &str) -> Arc<AppState> {
    let mut config = Config::default();
    config.kafka.bootstrap_servers = bootstrap();
    config.kafka.add_env_properties().expect("KAFKA_QA_KAFKA_PROPERTIES");
    config.export.dir = std::env::temp_dir().join(format!("kqm-mutation-{tag}-{}", std::process::id()));
    AppState::new(config).expect("server state")
}

/// The order processor next to `exe` (`target/<profile>/examples/`), built on demand.
pub fn processor_binary(examples_dir: &Path) -> PathBuf {
    let bin = examples_dir.join("order_processor");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo).args(["build", "--example", "order_processor"]).status().map(|s| s.success());
        assert!(ok.unwrap_or(false), "cargo build --example order_processor failed");
    }
    assert!(bin.exists(), "{} missing after the build", bin.display());
    bin
}

/// The mutants the processor knows: (name, what goes wrong), from `--list-mutants`.
pub fn mutants(bin: &Path) -> Vec<(String, String)> {
    let out = Command::new(bin).arg("--list-mutants").output().expect("order_processor --list-mutants");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, w)| (n.to_string(), w.to_string()))
        .collect()
}

pub struct Topics {
    pub input: String,
    pub output: String,
    pub dlq: String,
}

pub async fn fresh_topics(state: &AppState, tag: &str) -> Topics {
    let suffix = format!("{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let t = Topics {
        input: format!("mut.orders.{suffix}"),
        output: format!("mut.orders.enriched.{suffix}"),
        dlq: format!("mut.orders.dlq.{suffix}"),
    };
    for name in [&t.input, &t.output, &t.dlq] {
        state.kafka.create_topic(&state.guard, name, 1, &[]).await.expect("create topic");
    }
    t
}

pub async fn drop_topics(state: &AppState, t: &Topics) {
    for name in [&t.input, &t.output, &t.dlq] {
        let _ = state.kafka.delete_topic(&state.guard, name).await;
    }
}

/// A running processor, stopped when dropped.
pub struct Processor(Child);

impl Drop for Processor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn(bin: &Path, t: &Topics, mutant: Option<&str>) -> Processor {
    let mut cmd = Command::new(bin);
    let group = format!("g-{}", t.input);
    cmd.args([
        "--bootstrap",
        &bootstrap(),
        "--input",
        &t.input,
        "--output",
        &t.output,
        "--dlq",
        &t.dlq,
        "--group",
        &group,
    ]);
    if let Some(m) = mutant {
        cmd.args(["--mutant", m]);
    }
    cmd.stderr(Stdio::null());
    Processor(cmd.spawn().expect("start order_processor"))
}

pub async fn call(cx: &CallContext, tool: &str, args: Value) -> Value {
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    match Registry::new().call(cx, tool, Some(args)).await {
        Ok(r) => r.structured,
        Err(e) => panic!("{tool} failed: {e}"),
    }
}

fn target() -> Value {
    // The topics are given per run; the cases keep only what they expect.
    json!({"input_topic": "orders", "output_topic": "orders.enriched", "dlq_topic": "orders.dlq",
           "key_field": "order_id", "dlq_reason_header": REASON_HEADER})
}

/// The default generated suite for the processor's messages (entity `order`, default max_cases), with the
/// reason header named; and the coverage it reports.
pub async fn schema_cases(cx: &CallContext, seed: u64) -> (Vec<Value>, Value) {
    let out = call(cx, "generate_test_cases", json!({"entity": "order", "seed": seed, "target": target()})).await;
    (
        stored(cx, &format!("testcases://{}", out["case_set"].as_str().unwrap_or_default()))["cases"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        out["coverage"].clone(),
    )
}

/// The business-rule cases an agent writes from the processor's story ("valid orders are enriched with
/// item_count, the sum of the quantities, and validated_at; an order whose total differs from its items,
/// whose payment amount differs from its total, or whose key is not its order_id is rejected with the
/// reason in x-reject-reason"), on orders from generate_test_data; checked by generate_test_cases.
pub async fn agent_cases(cx: &CallContext) -> Vec<Value> {
    let data = call(cx, "generate_test_data", json!({"entity": "order", "count": 40, "seed": 20261207})).await;
    let records: Vec<Value> = data["records"].as_array().cloned().unwrap_or_default();
    let quantities = |r: &Value| -> (usize, i64) {
        let items = r["items"].as_array().cloned().unwrap_or_default();
        (items.len(), items.iter().map(|i| i["quantity"].as_i64().unwrap_or(0)).sum())
    };
    // Orders where counting lines and counting quantities differ, so item_count says which was done.
    let mut pool = records.into_iter().filter(|r| {
        let (lines, sum) = quantities(r);
        lines as i64 != sum
    });
    let mut next = || pool.next().expect("40 orders hold 5 with more units than lines");
    let case = |id: &str, kind: &str, title: &str, key: &str, value: Value, expectation: Value| {
        json!({"id": id, "type": kind, "title": title, "priority": "high",
               "preconditions": ["The order processor consumes the input topic and is running"],
               "steps": ["Produce the order to the input topic", "Watch the output and dead-letter topics", "Compare with the story"],
               "expected_result": title, "input": {"key": key, "value": value}, "expectation": expectation})
    };
    let rejected =
        |mentions: &[&str]| json!({"kind": "dlq", "reason_header": REASON_HEADER, "reason_mentions": mentions});
    let mut cases = vec![];
    let o = next();
    let (_, units) = quantities(&o);
    cases.push(case("AG-1", "positive", "A valid order is enriched: item_count is the sum of the quantities, validated_at is set",
        o["order_id"].as_str().unwrap_or_default(), o.clone(),
        json!({"kind": "output", "matches": {"order_id": o["order_id"], "item_count": units},
               "schema": {"type": "object", "required": ["validated_at", "item_count"], "properties": {"validated_at": {"type": "string", "format": "date-time"}}}})));
    let mut o = next();
    let paid = o["payment"]["amount"].as_f64().unwrap_or(0.0) + 5.0;
    o["payment"]["amount"] = json!((paid * 100.0).round() / 100.0);
    cases.push(case(
        "AG-2",
        "negative",
        "An order whose payment amount differs from its total is rejected, saying so",
        o["order_id"].as_str().unwrap_or_default(),
        o.clone(),
        rejected(&["payment", "amount"]),
    ));
    let mut o = next();
    let total = o["total"].as_f64().unwrap_or(0.0) + 3.0;
    o["total"] = json!((total * 100.0).round() / 100.0);
    o["payment"]["amount"] = o["total"].clone();
    cases.push(case(
        "AG-3",
        "negative",
        "An order whose total differs from the sum of its items is rejected, saying so",
        o["order_id"].as_str().unwrap_or_default(),
        o.clone(),
        rejected(&["total"]),
    ));
    let o = next();
    cases.push(case(
        "AG-4",
        "negative",
        "An order keyed by something other than its order_id is rejected, naming the key",
        "not-the-order-id",
        o,
        rejected(&["key", "order_id"]),
    ));
    // Checked like any agent-written cases; they come back with `source: agent`.
    let checked = call(cx, "generate_test_cases", json!({"cases": cases, "target": target()})).await;
    let defects = &checked["score"]["defects"];
    assert!(
        defects.as_array().is_none_or(|d| d.iter().all(|d| !d.as_str().unwrap_or("").starts_with("cases["))),
        "agent cases malformed: {defects}"
    );
    checked["cases"].as_array().cloned().unwrap_or_default()
}

/// Runs `cases` against the topics; the run's report.
pub async fn run(cx: &CallContext, cases: &[Value], t: &Topics, timeout_ms: u64) -> Value {
    let out = call(
        cx,
        "run_test_cases",
        json!({"cases": cases, "input_topic": t.input, "output_topic": t.output, "dlq_topic": t.dlq,
        "timeout_ms": timeout_ms, "parallelism": 16}),
    )
    .await;
    // The whole report, whatever the reply's byte budget kept.
    stored(cx, out["resource"].as_str().unwrap_or_default())
}

/// A stored resource's JSON (a case set or a test run).
fn stored(cx: &CallContext, uri: &str) -> Value {
    let r = cx.state.resources.get(uri).unwrap_or_else(|| panic!("resource {uri} not stored"));
    serde_json::from_str(&r.text).expect("stored JSON")
}

/// What one run says about a mutant.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Failed generated cases, wrong-reason failures included.
    pub schema_failed: Vec<String>,
    /// Failed generated cases whose failure is not a wrong reason (what the suite would catch without the reason check).
    pub schema_failed_plain: Vec<String>,
    pub agent_failed: Vec<String>,
    pub errored: usize,
}

impl Verdict {
    pub fn of(report: &Value) -> Verdict {
        let mut v = Verdict { schema_failed: vec![], schema_failed_plain: vec![], agent_failed: vec![], errored: 0 };
        for c in report["cases"].as_array().into_iter().flatten() {
            match c["status"].as_str() {
                Some("failed") => {}
                Some("errored") => {
                    v.errored += 1;
                    continue;
                }
                _ => continue,
            }
            let id = c["id"].as_str().unwrap_or("?").to_string();
            let wrong_reason = c["observed"].as_str().unwrap_or("").starts_with("rejected for the wrong reason");
            let line = format!("{id} {}", c["title"].as_str().unwrap_or(""));
            if id.starts_with("AG-") {
                v.agent_failed.push(line);
            } else {
                if !wrong_reason {
                    v.schema_failed_plain.push(line.clone());
                }
                v.schema_failed.push(line);
            }
        }
        v
    }
    pub fn killed_by_schema(&self) -> bool {
        !self.schema_failed.is_empty()
    }
    pub fn killed(&self) -> bool {
        self.killed_by_schema() || !self.agent_failed.is_empty()
    }
    /// The case that killed it, schema cases first: `id title`.
    pub fn killer(&self) -> Option<&str> {
        self.schema_failed_plain
            .first()
            .or(self.schema_failed.first())
            .or(self.agent_failed.first())
            .map(String::as_str)
    }
    /// The ids of the other failed cases (at most `n`, then how many more).
    pub fn others(&self, n: usize) -> String {
        let killer = self.killer().unwrap_or("");
        let ids: Vec<&str> = self
            .schema_failed
            .iter()
            .chain(&self.agent_failed)
            .filter(|l| l.as_str() != killer)
            .filter_map(|l| l.split(' ').next())
            .collect();
        let more = ids.len().saturating_sub(n);
        let shown = ids[..ids.len().min(n)].join(", ");
        if more > 0 {
            format!("{shown} +{more}")
        } else {
            shown
        }
    }
}

/// One processor (clean or mutated) on fresh topics, the cases run against it; the report.
pub async fn run_against(
    cx: &CallContext,
    bin: &Path,
    mutant: Option<&str>,
    cases: &[Value],
    timeout_ms: u64,
) -> Value {
    let t = fresh_topics(&cx.state, mutant.unwrap_or("clean")).await;
    let processor = spawn(bin, &t, mutant);
    let report = run(cx, cases, &t, timeout_ms).await;
    drop(processor);
    drop_topics(&cx.state, &t).await;
    report
}
