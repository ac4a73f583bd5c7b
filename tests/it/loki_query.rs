//! loki_query against a real Loki 3.4.6 (the stack's, LOKI_URL) holding the 2024-01-15 incident that
//! `tools/stack up loki` pushes (tests/fixtures/loki/scenario-push.json). A few tests keep the loopback
//! replay of responses recorded from the same Loki version (tests/fixtures/loki/): those that count the
//! requests the tool makes or the headers it sends, and Loki's refusal of a limit over its
//! max_entries_limit_per_query, which the stack's Loki (configured for the simulated incidents) raises.

use crate::support::loki_replay;

use chrono::{DateTime, Utc};
use kafka_qa_mcp::config::{Config, Secret};
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::registry::Registry;
use kafka_qa_mcp::observe::loki::{Direction, LokiClient, RangeQuery};
use kafka_qa_mcp::observe::time::TimeWindow;
use loki_replay::start;
use serde_json::{json, Value};

/// The stack's real Loki.
fn real_loki() -> String {
    std::env::var("LOKI_URL")
        .expect("LOKI_URL is not set: run tools/stack up loki and source .stack/env (tools/test does)")
}

fn config(url: &str) -> Config {
    let mut c = Config::default();
    c.loki.url = Some(url.to_string());
    c
}

async fn call(c: Config, args: Value) -> Result<(String, Value), kafka_qa_mcp::Error> {
    let cx = CallContext::new(AppState::new(c).unwrap());
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    let r = Registry::new().call(&cx, "loki_query", Some(args)).await?;
    Ok((r.text, r.structured))
}

const START: &str = "2024-01-15T02:50:00Z";
const END: &str = "2024-01-15T03:30:00Z";

/// The event classes of the incident (broker 2's disk fills, it halts, leaders move, ISRs shrink and
/// expand, it restarts and recovers its logs, group coordination moves, a member times out).
const INCIDENT_CLASSES: [&str; 14] = [
    "out_of_space",
    "disk_error",
    "broker_stop",
    "fetcher_error",
    "broker_lost",
    "leader_election",
    "isr_shrink",
    "isr_expand",
    "broker_start",
    "broker_joined",
    "log_recovery",
    "coordinator_change",
    "member_timeout",
    "group_rebalance",
];

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn the_whole_incident_summarised_in_4_kib_names_every_event_class() {
    let args = json!({"labels": {"job": "kafka"}, "start": START, "end": END, "limit": 5000, "max_output_bytes": 4096});
    let (text, out) = call(config(&real_loki()), args).await.unwrap();
    assert!(text.len() + out.to_string().len() <= 4096, "{} bytes", text.len() + out.to_string().len());
    assert_eq!(out["query"], "{job=\"kafka\"}");
    assert_eq!(out["lines_returned"], 1382);
    // Loki counts every line of the chunks it decompressed, which on a live server depends on how its chunks
    // were cut and flushed: at least the lines returned.
    assert!(out["lines_scanned"].as_u64().unwrap() >= 1382, "{}", out["lines_scanned"]);
    assert_eq!(out["limit_reached"], false);
    assert_eq!(out["levels"], json!({"ERROR": 19, "FATAL": 1, "INFO": 1278, "WARN": 84}));
    let events: Vec<&str> = out["events"].as_array().unwrap().iter().map(|e| e["class"].as_str().unwrap()).collect();
    for class in INCIDENT_CLASSES {
        assert!(events.contains(&class), "{class} missing from {events:?}");
        assert!(text.contains(class), "{class} missing from the text");
    }
    let event = |class: &str| out["events"].as_array().unwrap().iter().find(|e| e["class"] == class).unwrap().clone();
    assert_eq!(event("out_of_space")["first"], "2024-01-15T02:59:47.310Z");
    assert_eq!(event("out_of_space")["sources"], json!(["2"]));
    assert_eq!(event("broker_stop")["first"], "2024-01-15T03:00:01.652Z");
    assert_eq!(event("isr_shrink")["count"], 45);
    assert_eq!(event("isr_shrink")["sources"], json!(["1", "3"]));
    assert_eq!(event("isr_expand")["count"], 68);
    assert!(event("broker_start")["first"].as_str().unwrap().starts_with("2024-01-15T03:13:02"));
    assert_eq!(event("isr_expand")["last"], "2024-01-15T03:16:20.919Z");
    // Most severe first.
    assert_eq!(events[..3], ["out_of_space", "disk_error", "broker_stop"]);
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn a_roomy_summary_has_ranked_patterns_with_examples() {
    let args = json!({"labels": {"job": "kafka"}, "start": START, "end": END, "limit": 5000, "max_patterns": 200, "detail": "full", "max_output_bytes": 1048576});
    let (_, out) = call(config(&real_loki()), args).await.unwrap();
    assert_eq!(out["truncated"], false);
    let patterns = out["patterns"].as_array().unwrap();
    assert!(patterns.len() < 110, "{} patterns for 1,382 lines: masking merges too little", patterns.len());
    assert_eq!(patterns.iter().map(|p| p["count"].as_u64().unwrap()).sum::<u64>(), 1382);
    assert_eq!(patterns[0]["severity"], 5);
    for p in patterns {
        let examples = p["examples"].as_array().unwrap();
        assert!(!examples.is_empty() && examples.len() <= 3);
        assert!(!p["pattern"].as_str().unwrap().contains("1705"), "a timestamp leaked into {}", p["pattern"]);
    }
    let shrink = patterns.iter().find(|p| p["class"] == "isr_shrink").unwrap();
    assert_eq!(shrink["count"], 45);
    assert!(
        shrink["pattern"].as_str().unwrap().starts_with("[Partition <*> broker=<*>] Shrinking ISR from <*> to <*>"),
        "{}",
        shrink["pattern"]
    );
}

#[tokio::test]
async fn the_limit_is_detected_by_asking_for_one_line_more() {
    let h = start().await;
    let args = json!({"labels": {"job": "kafka"}, "start": START, "end": END, "limit": 100, "mode": "lines", "max_output_bytes": 1048576});
    let (text, out) = call(config(&h.url), args).await.unwrap();
    assert_eq!(out["lines_returned"], 100);
    assert_eq!(out["limit_reached"], true);
    assert_eq!(out["lines"].as_array().unwrap().len(), 100);
    assert!(text.contains("limit 100 reached"));
    // Backward: the newest lines, newest first.
    let times: Vec<&str> = out["lines"].as_array().unwrap().iter().map(|l| l["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    assert!(times[0].starts_with("2024-01-15T03:29"));
    let requested = h.replay.seen_headers.lock().unwrap().len();
    assert_eq!(requested, 1);
}

#[tokio::test]
async fn a_server_capped_at_the_limit_is_asked_again_for_exactly_the_limit() {
    // limit 5000 -> the tool asks 5001 -> Loki's recorded refusal (fixture 16) -> asks 5000 (fixture 27).
    let h = start().await;
    let args = json!({"labels": {"job": "kafka"}, "start": START, "end": END, "limit": 5000, "max_patterns": 1});
    let (_, out) = call(config(&h.url), args).await.unwrap();
    assert_eq!(out["lines_returned"], 1382);
    assert_eq!(out["limit_reached"], false);
    assert_eq!(h.replay.seen_headers.lock().unwrap().len(), 2);
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn lines_are_grouped_by_stream_without_repeating_labels() {
    let args = json!({"logql": "{job=\"kafka\", broker=\"2\"} |= \"No space\"", "start": START, "end": END, "limit": 100, "mode": "lines", "detail": "full"});
    let (text, out) = call(config(&real_loki()), args).await.unwrap();
    let streams = out["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    assert_eq!(streams.iter().map(|s| s["lines"].as_u64().unwrap()).sum::<u64>(), 8);
    let lines = out["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 8);
    for l in lines {
        assert!(l.get("labels").is_none());
        let s = &streams[l["stream"].as_u64().unwrap() as usize];
        assert_eq!(s["labels"]["broker"], "2");
        assert!(l["line"].as_str().unwrap().contains("No space"));
    }
    assert!(text.contains("s0:") && text.contains("s1:"));
    assert_eq!(out["limit_reached"], false);
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn a_metric_query_gives_analysed_series() {
    // 40 minutes with at most 41 points per series: a 60 s step, as recorded.
    let args = json!({"logql": "sum by (broker, level) (count_over_time({job=\"kafka\"}[1m]))", "start": START, "end": END, "max_points": 41});
    let (text, out) = call(config(&real_loki()), args).await.unwrap();
    assert_eq!(out["result_type"], "matrix");
    let series = out["series"].as_array().unwrap();
    assert_eq!(series.len(), 9);
    let b2_error = series.iter().find(|s| s["labels"] == json!({"broker": "2", "level": "ERROR"})).unwrap();
    // 7 "No space" errors and the FATAL halt (shipped as level=ERROR) in the minute to 03:01.
    assert_eq!(b2_error["max"], 8.0);
    assert!(text.contains("step 60 s"));
    let b1_info = series.iter().find(|s| s["labels"] == json!({"broker": "1", "level": "INFO"})).unwrap();
    assert!(b1_info["samples"].as_u64().unwrap() > 30);
}

async fn error_of(args: Value) -> String {
    let e = call(config(&real_loki()), args).await.unwrap_err();
    assert_eq!(e.kind(), kafka_qa_mcp::error::ErrorKind::Upstream);
    e.to_string()
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn a_parse_error_quotes_loki_and_the_query_and_says_what_to_fix() {
    let e = error_of(
        json!({"logql": "{job=\"kafka\", broker=\"2\"} |= No space", "start": START, "end": END, "limit": 100}),
    )
    .await;
    assert!(
        e.contains("parse error at line 1, col 30: syntax error: unexpected IDENTIFIER, expecting STRING or ip"),
        "{e}"
    );
    assert!(e.contains("`{job=\"kafka\", broker=\"2\"} |= No space`"), "{e}");
    assert!(e.contains("quoted strings"), "{e}");
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn an_empty_compatible_matcher_is_explained() {
    let e = error_of(json!({"logql": "{job=~\".*\"}", "start": START, "end": END, "limit": 100})).await;
    assert!(e.contains("queries require at least one regexp or equality matcher"), "{e}");
    assert!(e.contains("non-empty value"), "{e}");
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn loki_refusals_of_limit_and_resolution_are_clear_client_errors() {
    let h = start().await;
    let client = LokiClient::from_config(&config(&h.url).loki, &kafka_qa_mcp::observe::http::new_client()).unwrap();
    let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let query = |q: &str, start: &str, limit: usize, step: Option<u64>| RangeQuery {
        query: q.into(),
        window: TimeWindow { start: t(start), end: t(END) },
        limit,
        direction: Direction::Backward,
        step_secs: step,
    };
    let e = client.query_range(&query("{job=\"kafka\"}", START, 10000, None)).await.unwrap_err().to_string();
    assert!(
        e.contains("max entries limit per query exceeded, limit > max_entries_limit_per_query (10000 > 5000)")
            && e.contains("lower `limit`"),
        "{e}"
    );
    let real = LokiClient::from_config(&config(&real_loki()).loki, &kafka_qa_mcp::observe::http::new_client()).unwrap();
    let e = real
        .query_range(&query("sum(count_over_time({job=\"kafka\"}[1m]))", "2024-01-14T03:30:00Z", 100, Some(1)))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("exceeded maximum resolution of 11,000 points per time series") && e.contains("larger step"),
        "{e}"
    );
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn empty_results_say_why_and_what_to_try() {
    let (text, out) =
        call(config(&real_loki()), json!({"labels": {"job": "zookeeper"}, "start": START, "end": END, "limit": 100}))
            .await
            .unwrap();
    assert_eq!(out["lines_returned"], 0);
    let hint = out["empty_hint"].as_str().unwrap();
    assert!(hint.contains("{job=\"zookeeper\"}") && hint.contains("wider window"), "{hint}");
    assert!(text.contains("Nothing found."));
}

#[tokio::test]
async fn tenant_and_credentials_are_sent() {
    let h = start().await;
    let mut c = config(&h.url);
    c.loki.tenant = Some("team-a".into());
    c.loki.bearer_token = Some(Secret::new("tok-123"));
    call(c, json!({"labels": {"job": "zookeeper"}, "start": START, "end": END, "limit": 10})).await.unwrap();
    let mut c = config(&h.url);
    c.loki.username = Some("grafana".into());
    c.loki.password = Some(Secret::new("pw"));
    call(c, json!({"labels": {"job": "zookeeper"}, "start": START, "end": END, "limit": 10})).await.unwrap();
    let seen = h.replay.seen_headers.lock().unwrap();
    assert_eq!(seen[0]["x-scope-orgid"], "team-a");
    assert_eq!(seen[0]["authorization"], "Bearer tok-123");
    assert_eq!(seen[1]["authorization"], "Basic Z3JhZmFuYTpwdw==");
    assert!(seen[1].get("x-scope-orgid").is_none());
}

#[tokio::test]
async fn helpers_build_the_logql_and_misuse_names_the_argument() {
    let h = start().await;
    let both = call(config(&h.url), json!({"logql": "{job=\"kafka\"}", "labels": {"job": "kafka"}})).await.unwrap_err();
    assert_eq!(both.argument(), Some("logql"));
    let none = call(config(&h.url), json!({})).await.unwrap_err();
    assert_eq!(none.argument(), Some("labels"));
    let bad_time =
        call(config(&h.url), json!({"labels": {"job": "kafka"}, "start": END, "end": START})).await.unwrap_err();
    assert_eq!(bad_time.argument(), Some("start"));
    // The helpers' query reaches Loki as LogQL (no fixture has it: the replay server answers 501).
    let e = call(config(&h.url), json!({"labels": {"job": "kafka", "broker": "1|3"}, "contains": ["ISR"], "regex": "Shrink|Expand", "level": "warn", "start": START, "end": END})).await.unwrap_err();
    let want = r#"`{broker=~"1|3", job="kafka"} |= "ISR" |~ "Shrink|Expand" | detected_level=~"(?i)(warn|warning|error|fatal|critical)"`"#;
    assert!(e.to_string().contains(want), "{e}");
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack (a real Loki): run tools/test")]
#[tokio::test]
async fn a_concise_summary_keeps_the_events_and_drops_examples() {
    let args =
        json!({"labels": {"job": "kafka"}, "start": START, "end": END, "limit": 5000, "max_output_bytes": 1048576});
    let (text, out) = call(config(&real_loki()), args).await.unwrap();
    let patterns = out["patterns"].as_array().unwrap();
    assert_eq!(patterns.len(), 15, "concise keeps 15 patterns");
    assert!(patterns.iter().all(|p| p["examples"].as_array().unwrap().is_empty()));
    assert!(out["patterns_total"].as_u64().unwrap() > 15);
    // The event roll-up is whole, and the reply hands its signals on.
    assert!(out["events"].as_array().unwrap().iter().any(|e| e["class"] == "out_of_space"));
    assert!(out["handle"].as_str().unwrap().starts_with("loki-"));
    assert!(text.ends_with(&format!("— {}", out["next"]["why"].as_str().unwrap())), "{text}");
}
