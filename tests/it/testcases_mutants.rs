//! Mutation testing on the real broker: the generated order suite (the reason header named) plus the
//! agent's business-rule cases pass against the clean example processor, and kill three planted bugs, each
//! by the case meant for it: a processor that rejects with a generic reason (only the reason check sees
//! it), one that forgets the nullable note's maxLength, and one whose business-rule outcome is only in the
//! story (item_count). The full table is `cargo run --example bench_mutation` (README).
//! Needs KAFKA_BOOTSTRAP_SERVERS (run `tools/stack up` and `source .stack/env`).

#[path = "../../examples/mutation/harness.rs"]
mod harness;

use harness::Verdict;
use kafka_qa_mcp::context::CallContext;

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generated_and_agent_cases_kill_planted_bugs_and_pass_the_clean_processor() {
    let exe = std::env::current_exe().unwrap();
    let bin = harness::processor_binary(&exe.parent().and_then(|p| p.parent()).unwrap().join("examples"));
    let cx = CallContext::new(harness::state("test"));
    let (schema_cases, coverage) = harness::schema_cases(&cx, 3).await;
    assert_eq!(coverage["fields_total"], 15, "the nullable note counts: {coverage}");
    assert_eq!(coverage["fields_covered"], 15, "{coverage}");
    assert_eq!(coverage["dropped_by_cap"].as_array().map(Vec::len), Some(0), "{coverage}");
    let agent_cases = harness::agent_cases(&cx).await;
    assert!(agent_cases.iter().all(|c| c["source"]["from"] == "agent"), "agent cases are sourced to the agent");
    let cases: Vec<_> = schema_cases.iter().chain(&agent_cases).cloned().collect();

    let clean = Verdict::of(&harness::run_against(&cx, &bin, None, &cases, 10_000).await);
    assert!(
        !clean.killed() && clean.errored == 0,
        "false alarms on the clean processor: {:?} {:?} ({} errored)",
        clean.schema_failed,
        clean.agent_failed,
        clean.errored
    );

    let crash = Verdict::of(&harness::run_against(&cx, &bin, Some("crash_into_dlq"), &cases, 10_000).await);
    assert!(crash.killed_by_schema(), "a generic reject reason must fail the negative cases");
    assert!(
        crash.schema_failed_plain.is_empty(),
        "every message still lands in the DLQ: only the reason check may fail, yet {:?}",
        crash.schema_failed_plain
    );

    let nullable = Verdict::of(&harness::run_against(&cx, &bin, Some("nullable_unchecked"), &cases, 10_000).await);
    assert_eq!(nullable.schema_failed.len(), 1, "{:?}", nullable.schema_failed);
    assert!(nullable.schema_failed[0].contains("`/note` breaking `maxLength`"), "{:?}", nullable.schema_failed);

    let count = Verdict::of(&harness::run_against(&cx, &bin, Some("item_count_wrong"), &cases, 10_000).await);
    assert!(!count.killed_by_schema(), "the schema says nothing of item_count: {:?}", count.schema_failed);
    assert_eq!(count.agent_failed.len(), 1, "{:?}", count.agent_failed);
    assert!(count.agent_failed[0].starts_with("AG-1 "), "{:?}", count.agent_failed);
}
