//! Mutation benchmark of generated test cases: the example order processor with each of its planted bugs
//! (`order_processor --list-mutants`), on fresh topics of the running stack, against the default generated
//! suite (generate_test_cases, entity `order`, the reason header named) plus the agent's business-rule cases.
//! First the unmutated processor must pass every case (no false alarms). Prints a Markdown table (mutant,
//! killed by the schema cases without and with the reason check, by schema + agent cases, the killing
//! case) and the kill rates.
//!
//!     source .stack/env && cargo run --example bench_mutation -- [--only a,b] [--timeout-ms 8000] [--seed 3]

#[path = "mutation/harness.rs"]
mod harness;

use harness::Verdict;
use kafka_qa_mcp::context::CallContext;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let mut only: Vec<String> = vec![];
    let (mut timeout_ms, mut seed) = (8000u64, 3u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().unwrap_or_default();
        match a.as_str() {
            "--only" => only = value.split(',').map(str::to_string).collect(),
            "--timeout-ms" => timeout_ms = value.parse().expect("--timeout-ms N"),
            "--seed" => seed = value.parse().expect("--seed N"),
            other => {
                eprintln!("bench_mutation: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let started = Instant::now();
    let exe = std::env::current_exe().expect("own path");
    let bin = harness::processor_binary(exe.parent().expect("examples folder"));
    let cx = CallContext::new(harness::state("bench"));
    let (schema_cases, coverage) = harness::schema_cases(&cx, seed).await;
    let agent_cases = harness::agent_cases(&cx).await;
    let cases: Vec<_> = schema_cases.iter().chain(&agent_cases).cloned().collect();
    println!(
        "generated: {} cases (coverage: {} of {} fields, {} of {} constraints, {} dropped by the cap); agent: {} cases",
        schema_cases.len(),
        coverage["fields_covered"],
        coverage["fields_total"],
        coverage["constraints_covered"],
        coverage["constraints_total"],
        coverage["dropped_by_cap"].as_array().map_or(0, Vec::len),
        agent_cases.len()
    );

    let t = Instant::now();
    let clean = harness::run_against(&cx, &bin, None, &cases, timeout_ms).await;
    let v = Verdict::of(&clean);
    println!(
        "clean processor: {} of {} passed, {} errored, in {:.1} s",
        clean["passed"],
        clean["total"],
        v.errored,
        t.elapsed().as_secs_f64()
    );
    if v.killed() || v.errored > 0 {
        for line in v.schema_failed.iter().chain(&v.agent_failed) {
            println!("  false alarm: {line}");
        }
        eprintln!("bench_mutation: the unmutated processor fails cases; no mutation score is meaningful");
        std::process::exit(1);
    }

    println!("\n| mutant | what goes wrong | killed by schema cases, no reason check | killed by schema cases | killed by schema + agent cases | killed by | also failed | failed cases | s |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let (mut n, mut plain, mut schema, mut all) = (0, 0, 0, 0);
    for (name, what) in harness::mutants(&bin) {
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let t = Instant::now();
        let report = harness::run_against(&cx, &bin, Some(&name), &cases, timeout_ms).await;
        let v = Verdict::of(&report);
        n += 1;
        plain += usize::from(!v.schema_failed_plain.is_empty());
        schema += usize::from(v.killed_by_schema());
        all += usize::from(v.killed());
        let yes = |b: bool| if b { "yes" } else { "**no**" };
        println!(
            "| {name} | {what} | {} | {} | {} | {} | {} | {} schema ({} wrong reason), {} agent | {:.0} |",
            yes(!v.schema_failed_plain.is_empty()),
            yes(v.killed_by_schema()),
            yes(v.killed()),
            v.killer().map(|k| k.replace('|', "\\|")).unwrap_or_else(|| "-".into()),
            v.others(4),
            v.schema_failed.len(),
            v.schema_failed.len() - v.schema_failed_plain.len(),
            v.agent_failed.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let pct = |k: usize| if n == 0 { 0.0 } else { 100.0 * k as f64 / n as f64 };
    println!("\nkill rate over {n} mutants: schema cases without the reason check {plain}/{n} ({:.0}%), schema cases {schema}/{n} ({:.0}%), schema + agent cases {all}/{n} ({:.0}%)", pct(plain), pct(schema), pct(all));
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
}
