//! The language-model path against a real model server: generate_test_cases with `user_story` over the
//! stories of tools/bench/stories.json (easy, medium, hard, vague, conflicting, non-functional, multi-role),
//! through the same dispatch as MCP. Per story: whether the first answer was accepted as it came, the
//! requests (retries), the cases, the score and its parts, the latency, tokens in and out, the output mode;
//! with `--run`, the cases of stories that fit the example order processor are run against it on the local
//! Kafka (KAFKA_BOOTSTRAP_SERVERS). Prints a Markdown table per category and per story, and writes one JSON
//! line per story to `--out` (default target/bench_story.ndjson).
//!
//!     tools/stack up llm && source .stack/env     # llama-server + Qwen2.5-Coder-1.5B (see tools/stack.d/llm.sh)
//!     tools/bench/story [--only easy-confirm,hard-refund] [--max-cases 6] [--run]
//!     tools/bench/story --tables target/bench_story.ndjson,target/rerun.ndjson   # tables of earlier runs
//!                                                  # (a story in a later file replaces the earlier one)
//!
//! The model comes from KAFKA_QA_LLM_URL / KAFKA_QA_LLM_MODEL / KAFKA_QA_LLM_KIND / KAFKA_QA_LLM_TIMEOUT_MS.
//! Never part of the test suite: a real model answers slowly (minutes per story on 2 cores).

use kafka_qa_mcp::config::{Config, LlmKind};
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::Registry;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Child, Command};
use std::time::Instant;

struct Options {
    stories: String,
    only: Vec<String>,
    max_cases: usize,
    run: bool,
    out: String,
    /// Only print the tables of these earlier runs.
    tables: Vec<String>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        stories: "tools/bench/stories.json".into(),
        only: vec![],
        max_cases: 6,
        run: false,
        out: "target/bench_story.ndjson".into(),
        tables: vec![],
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--stories" => o.stories = value()?,
            "--only" => o.only = value()?.split(',').map(str::to_string).collect(),
            "--max-cases" => o.max_cases = value()?.parse().map_err(|e| format!("--max-cases: {e}"))?,
            "--run" => o.run = true,
            "--out" => o.out = value()?,
            "--tables" => o.tables = value()?.split(',').map(str::to_string).collect(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

fn config() -> Result<Config, String> {
    let mut c = Config::default();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    c.llm.url =
        Some(env("KAFKA_QA_LLM_URL").ok_or("KAFKA_QA_LLM_URL is not set: tools/stack up llm; source .stack/env")?);
    c.llm.model = Some(env("KAFKA_QA_LLM_MODEL").ok_or("KAFKA_QA_LLM_MODEL is not set")?);
    if env("KAFKA_QA_LLM_KIND").as_deref() == Some("ollama") {
        c.llm.kind = LlmKind::Ollama;
    }
    if let Some(t) = env("KAFKA_QA_LLM_TIMEOUT_MS") {
        c.llm.timeout_ms = t.parse().map_err(|e| format!("KAFKA_QA_LLM_TIMEOUT_MS: {e}"))?;
    }
    if let Some(b) = env("KAFKA_BOOTSTRAP_SERVERS") {
        c.kafka.bootstrap_servers = b;
    }
    c.export.dir = std::env::temp_dir().join(format!("kqm-bench-story-{}", std::process::id()));
    Ok(c)
}

struct Processor(Child);
impl Drop for Processor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The example processor's binary next to this one (cargo builds every example of the package).
fn processor(bootstrap: &str, input: &str, output: &str, dlq: &str) -> Result<Processor, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name("order_processor");
    if !bin.exists() {
        let ok =
            Command::new("cargo").args(["build", "--example", "order_processor"]).status().is_ok_and(|s| s.success());
        if !ok {
            return Err("cargo build --example order_processor failed".into());
        }
    }
    let child = Command::new(bin)
        .args([
            "--bootstrap",
            bootstrap,
            "--input",
            input,
            "--output",
            output,
            "--dlq",
            dlq,
            "--group",
            &format!("g-{input}"),
        ])
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(Processor(child))
}

async fn call(reg: &Registry, cx: &CallContext, tool: &str, args: Value) -> Result<Value, (String, String)> {
    let Value::Object(args) = args else { unreachable!("objects only") };
    reg.call(cx, tool, Some(args))
        .await
        .map(|r| r.structured)
        .map_err(|e| (format!("{:?}", e.kind()).to_lowercase(), e.to_string()))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (n, s) = v.fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

#[tokio::main]
async fn main() {
    let o = options().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    if !o.tables.is_empty() {
        print_tables(&earlier_rows(&o.tables));
        return;
    }
    let config = config().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let bootstrap = config.kafka.bootstrap_servers.clone();
    let state = AppState::new(config).expect("configuration");
    let reg = Registry::new();
    let stories: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&o.stories).expect("stories file"))
        .expect("stories file is a JSON array");
    let mut out = std::fs::File::create(&o.out).expect("--out file");
    let mut rows: Vec<Value> = vec![];
    for s in stories.iter().filter(|s| o.only.is_empty() || o.only.iter().any(|id| s["id"] == json!(id))) {
        let id = s["id"].as_str().unwrap_or("?").to_string();
        let fits = o.run && s["fits_processor"] == json!(true);
        let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        let (input, output, dlq) = if fits {
            (format!("bench.orders.{tag}"), format!("bench.orders.enriched.{tag}"), format!("bench.orders.dlq.{tag}"))
        } else {
            ("orders".to_string(), "orders.out".to_string(), "orders.dlq".to_string())
        };
        let mut args = json!({"user_story": s["story"], "max_cases": o.max_cases, "max_output_bytes": 1048576,
            "target": {"input_topic": input, "output_topic": output, "dlq_topic": dlq, "timeout_ms": 15000}});
        for k in ["entity", "schema"] {
            if !s[k].is_null() {
                args[k] = s[k].clone();
            }
        }
        if fits {
            args["target"]["key_field"] = json!("order_id");
        }
        eprintln!("[bench] {id} ({})", s["category"].as_str().unwrap_or("?"));
        let cx = CallContext::new(state.clone());
        let started = Instant::now();
        let result = call(&reg, &cx, "generate_test_cases", args).await;
        let latency_s = started.elapsed().as_secs_f64();
        let mut row = json!({"id": id, "category": s["category"], "latency_s": latency_s});
        match &result {
            Ok(v) => {
                let run = &v["model_run"];
                row["cases"] = json!(v["cases"].as_array().map_or(0, Vec::len));
                row["score"] = v["score"].clone();
                row["requests"] = run["requests"].clone();
                row["first_accepted"] = json!(run["defects_per_answer"][0] == json!(0));
                row["defects_per_answer"] = run["defects_per_answer"].clone();
                row["mode"] = run["mode"].clone();
                row["tokens_in"] = run["tokens_in"].clone();
                row["tokens_out"] = run["tokens_out"].clone();
                row["model_check"] = run["model_check"]["matches"].clone();
                row["stopped"] = run["stopped"].clone();
            }
            Err((kind, message)) => {
                row["error"] = json!(kind);
                row["message"] = json!(message);
                row["cases"] = json!(0);
            }
        }
        if let (true, Ok(v)) = (fits, &result) {
            let mut created = true;
            for t in [&input, &output, &dlq] {
                created &= state.kafka.create_topic(&state.guard, t, 1, &[]).await.is_ok();
            }
            match (created, processor(&bootstrap, &input, &output, &dlq)) {
                (true, Ok(_p)) => {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    match call(
                        &reg,
                        &cx,
                        "run_test_cases",
                        json!({"case_set": v["case_set"], "parallelism": 4, "detail": "full"}),
                    )
                    .await
                    {
                        Ok(r) => {
                            // Why cases failed: what was observed for the first three.
                            let failures: Vec<Value> = r["cases"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter(|c| c["status"] != json!("passed"))
                                .take(3)
                                .map(|c| {
                                    json!(format!(
                                        "{} ({}): {}",
                                        c["id"].as_str().unwrap_or("?"),
                                        c["type"].as_str().unwrap_or("?"),
                                        c["observed"].as_str().unwrap_or("")
                                    ))
                                })
                                .collect();
                            row["processor"] =
                                json!({"passed": r["passed"], "total": r["total"], "failures": failures});
                        }
                        Err((_, m)) => row["processor"] = json!({"error": m}),
                    }
                }
                (_, Err(e)) => row["processor"] = json!({"error": e}),
                (false, _) => row["processor"] = json!({"error": "the topics could not be created"}),
            }
            for t in [&input, &output, &dlq] {
                let _ = state.kafka.delete_topic(&state.guard, t).await;
            }
        }
        eprintln!("[bench] {id}: {row}");
        writeln!(out, "{row}").ok();
        rows.push(row);
    }
    print_tables(&rows);
}

/// The rows of earlier runs, in the order stories first appear; a later file's row replaces an earlier one's.
fn earlier_rows(files: &[String]) -> Vec<Value> {
    let mut rows: Vec<Value> = vec![];
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        for row in text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()) {
            match rows.iter_mut().find(|r| r["id"] == row["id"]) {
                Some(r) => *r = row,
                None => rows.push(row),
            }
        }
    }
    rows
}

fn print_tables(rows: &[Value]) {
    let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for r in rows {
        groups.entry(r["category"].as_str().unwrap_or("?").to_string()).or_default().push(r);
    }
    groups.insert("all".into(), rows.iter().collect());
    println!("| stories | n | with cases | errors | first answer accepted | retried | cases/story | score | structure | fields | preconditions | steps | balance | content | latency p50 / p90 / p99 s | tokens in / out (mean) | processor passed |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, g) in &groups {
        let n = g.len();
        let ok: Vec<&&Value> = g.iter().filter(|r| r["error"].is_null()).collect();
        let errors: BTreeMap<String, usize> =
            g.iter().filter_map(|r| r["error"].as_str()).fold(BTreeMap::new(), |mut m, e| {
                *m.entry(e.to_string()).or_default() += 1;
                m
            });
        let part = |k: &str| mean(ok.iter().filter_map(|r| r["score"][k].as_f64()));
        let mut lat: Vec<f64> = g.iter().filter_map(|r| r["latency_s"].as_f64()).collect();
        lat.sort_by(f64::total_cmp);
        let (passed, total) = g
            .iter()
            .filter_map(|r| Some((r["processor"]["passed"].as_u64()?, r["processor"]["total"].as_u64()?)))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        println!(
            "| {name} | {n} | {} | {} | {} of {} | {} of {} | {:.1} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} / {:.0} / {:.0} | {:.0} / {:.0} | {} |",
            g.iter().filter(|r| r["cases"].as_u64().unwrap_or(0) > 0).count(),
            if errors.is_empty() { "0".into() } else { errors.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ") },
            ok.iter().filter(|r| r["first_accepted"] == json!(true)).count(),
            ok.len(),
            ok.iter().filter(|r| r["requests"].as_u64().unwrap_or(0) > 1).count(),
            ok.len(),
            mean(g.iter().filter_map(|r| r["cases"].as_f64())),
            part("overall"),
            part("structural"),
            part("field_completeness"),
            part("preconditions"),
            part("steps"),
            part("kinds_balance"),
            part("content"),
            percentile(&lat, 0.5),
            percentile(&lat, 0.9),
            percentile(&lat, 0.99),
            mean(ok.iter().filter_map(|r| r["tokens_in"].as_f64())),
            mean(ok.iter().filter_map(|r| r["tokens_out"].as_f64())),
            if total == 0 { "-".to_string() } else { format!("{passed} of {total}") },
        );
    }
    println!("\n| story | category | cases | requests | defects per answer | mode | score | content | s | tokens in/out | processor | error |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {}/{} | {} | {} |",
            r["id"].as_str().unwrap_or(""),
            r["category"].as_str().unwrap_or(""),
            r["cases"],
            r["requests"],
            r["defects_per_answer"],
            r["mode"].as_str().unwrap_or("-"),
            r["score"]["overall"],
            r["score"]["content"],
            r["latency_s"].as_f64().unwrap_or(0.0),
            r["tokens_in"],
            r["tokens_out"],
            r["processor"]["passed"].as_u64().map(|p| format!("{p}/{}", r["processor"]["total"])).unwrap_or("-".into()),
            r["message"]
                .as_str()
                .map(|m| kafka_qa_mcp::observe::http::excerpt(m, 80).replace('|', "/"))
                .unwrap_or_default(),
        );
    }
}
