//! prom_snapshot against the real Prometheus of the local stack, loaded with the backfilled Kafka incident
//! (tools/scenario/gen_prometheus.py): broker 2's disk fills and it halts at 03:00:01, partitions are
//! under-replicated until ISRs expand at ~03:15-03:16, broker 2 is back at 03:13.

use chrono::{DateTime, Utc};
use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::error::ErrorKind;
use kafka_qa_mcp::mcp::registry::Registry;
use kafka_qa_mcp::mcp::reply::Rendered;
use serde_json::{json, Value};

fn config() -> Config {
    let url = std::env::var("PROMETHEUS_URL").expect(
        "PROMETHEUS_URL is not set: run `tools/stack up prometheus` and `source .stack/env` (CI runs tools/test)",
    );
    let mut c = Config::default();
    c.prometheus.url = Some(url);
    c
}

async fn call(args: Value) -> Result<Rendered, kafka_qa_mcp::Error> {
    let cx = CallContext::new(AppState::new(config()).unwrap());
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    Registry::new().call(&cx, "prom_snapshot", Some(args)).await
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// `got` is within `slack_secs` of `want`.
fn near(got: &Value, want: &str, slack_secs: i64) -> bool {
    (t(got.as_str().unwrap()) - t(want)).num_seconds().abs() <= slack_secs
}

/// Findings of `state` on the series whose labels start with `labels` (broker series also carry `instance`).
fn findings<'a>(out: &'a Value, state: &str, labels: &str) -> Vec<&'a Value> {
    let on = |l: &str| l == labels || l.starts_with(&format!("{labels},instance="));
    out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["state"] == state && on(f["labels"].as_str().unwrap_or("")))
        .collect()
}

const START: &str = "2024-01-15T02:30:00Z";
const END: &str = "2024-01-15T03:40:00Z";

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn broker_health_finds_the_incident_at_the_right_times() {
    let r = call(json!({"presets": ["broker_health"], "start": START, "end": END, "max_points": 300, "max_output_bytes": 262144})).await.unwrap();
    let out = &r.structured;
    assert_eq!(out["step_secs"], 15);
    // Partitions led by brokers 1 and 3 are under-replicated while broker 2 is out: ~03:00:30 to ~03:16.
    for broker in ["broker=1", "broker=3"] {
        let urp = findings(out, "under_replicated", broker);
        assert_eq!(urp.len(), 1, "{broker}: {urp:?}");
        assert!(near(&urp[0]["from"], "2024-01-15T03:00:30Z", 15), "{}", urp[0]["from"]);
        assert!(near(&urp[0]["to"], "2024-01-15T03:16:00Z", 30), "{}", urp[0]["to"]);
        assert_eq!(urp[0]["ongoing"], false);
    }
    let down = findings(out, "broker_down", "broker=2");
    assert_eq!(down.len(), 1);
    assert!(
        near(&down[0]["from"], "2024-01-15T03:00:15Z", 15) && near(&down[0]["to"], "2024-01-15T03:13:00Z", 15),
        "{down:?}"
    );
    let disk = findings(out, "disk_full", "broker=2");
    assert_eq!(disk.len(), 1);
    assert!(
        near(&disk[0]["from"], "2024-01-15T02:55:00Z", 30) && near(&disk[0]["to"], "2024-01-15T03:11:45Z", 15),
        "{disk:?}"
    );
    assert!(findings(out, "no_active_controller", "").is_empty());
    assert!(findings(out, "offline_partitions", "").is_empty());
    // Change points where the level shifts.
    let series = out["series"].as_array().unwrap();
    let urp1 =
        series.iter().find(|s| s["query"] == "under_replicated" && s["labels"] == json!({"broker": "1"})).unwrap();
    let cps = urp1["change_points"].as_array().unwrap();
    assert!(
        near(&cps[0]["at"], "2024-01-15T03:00:30Z", 15)
            && cps[0]["before"] == 0.0
            && cps[0]["after"].as_f64().unwrap() > 0.0,
        "{cps:?}"
    );
    assert!(
        near(&cps.last().unwrap()["at"], "2024-01-15T03:16:15Z", 45) && cps.last().unwrap()["after"] == 0.0,
        "{cps:?}"
    );
    let up2 = series.iter().find(|s| s["query"] == "broker_up" && s["labels"]["broker"] == "2").unwrap();
    let at: Vec<&Value> = up2["change_points"].as_array().unwrap().iter().map(|c| &c["at"]).collect();
    assert_eq!(at.len(), 2, "{at:?}");
    assert!(near(at[0], "2024-01-15T03:00:15Z", 15) && near(at[1], "2024-01-15T03:13:15Z", 15), "{at:?}");
    assert!(r.text.contains("under_replicated {broker=1}"), "{}", r.text);
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn replication_preset_sees_every_topic_under_replicated_and_a_broker_missing() {
    let r = call(
        json!({"presets": ["replication"], "start": START, "end": END, "max_points": 300, "max_output_bytes": 262144}),
    )
    .await
    .unwrap();
    let out = &r.structured;
    for (topic, until) in [
        ("payments", "2024-01-15T03:14:45Z"),
        ("orders", "2024-01-15T03:15:15Z"),
        ("inventory", "2024-01-15T03:16:00Z"),
    ] {
        let f = findings(out, "under_replicated", &format!("topic={topic}"));
        assert_eq!(f.len(), 1, "{topic}");
        assert!(near(&f[0]["from"], "2024-01-15T03:00:30Z", 15) && near(&f[0]["to"], until, 15), "{topic}: {f:?}");
        assert_eq!(f[0]["worst"], 6.0);
    }
    let brokers = out["series"].as_array().unwrap().iter().find(|s| s["query"] == "brokers").unwrap();
    assert_eq!((brokers["min"].as_f64(), brokers["max"].as_f64()), (Some(2.0), Some(3.0)));
    let shrink = findings(out, "isr_shrinking", "broker=3");
    assert!(!shrink.is_empty() && near(&shrink[0]["from"], "2024-01-15T03:00:45Z", 30), "{shrink:?}");
    // under_replicated is in both presets: asking for both runs it once.
    let both = call(json!({"presets": ["broker_health", "replication"], "start": START, "end": END})).await.unwrap();
    let ids: Vec<&str> =
        both.structured["queries"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap()).collect();
    assert_eq!(ids.iter().filter(|i| **i == "under_replicated").count(), 1, "{ids:?}");
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn filters_narrow_presets_to_one_broker() {
    let r = call(json!({"presets": ["broker_health"], "broker": "2", "start": START, "end": END})).await.unwrap();
    let out = &r.structured;
    for s in out["series"].as_array().unwrap() {
        let labels = s["labels"].as_object().unwrap();
        assert!(labels.is_empty() || labels["broker"] == "2", "{labels:?}");
    }
    let exprs: Vec<&str> = out["queries"].as_array().unwrap().iter().map(|q| q["expr"].as_str().unwrap()).collect();
    assert!(
        exprs.contains(&"max by (broker, instance, pod) (up{job=~\".*(kafka|msk).*\", job!~\".*(exporter|connect|zookeeper|zk|schema|registry|rest|mirror|cruise|lag|controller|ui|ksql|bridge|node).*\", broker=\"2\"})"),
        "{exprs:?}"
    );
    // Controller metrics stay cluster-wide: one broker alone would look like "no active controller".
    assert!(
        exprs.contains(&"sum(kafka_controller_kafkacontroller_activecontrollercount) or sum({__name__=~\"(?i:kafka_controller_kafkacontroller_value)\", name=\"ActiveControllerCount\"})"),
        "{exprs:?}"
    );
    assert!(out["findings"].as_array().unwrap().iter().all(|f| f["state"] != "no_active_controller"));
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn consumer_lag_and_gc_presets_find_their_states() {
    let r = call(json!({"presets": ["consumer_lag", "jvm_gc"], "group": "fraud-detector|payment-service", "start": START, "end": END, "max_points": 300, "max_output_bytes": 262144})).await.unwrap();
    let out = &r.structured;
    let lag = findings(out, "lag_growing", "consumergroup=fraud-detector");
    assert_eq!(lag.len(), 1, "{lag:?}");
    assert!(
        near(&lag[0]["from"], "2024-01-15T03:01:45Z", 45) && near(&lag[0]["to"], "2024-01-15T03:08:00Z", 30),
        "{lag:?}"
    );
    let fraud = out["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["query"] == "lag_by_group" && s["labels"] == json!({"consumergroup": "fraud-detector"}))
        .unwrap();
    assert!(fraud["max"].as_f64().unwrap() > 40_000.0);
    let gc = findings(out, "gc_pressure", "broker=3");
    assert_eq!(gc.len(), 1, "{gc:?}");
    assert!(
        near(&gc[0]["from"], "2024-01-15T03:00:45Z", 45) && near(&gc[0]["to"], "2024-01-15T03:04:45Z", 60),
        "{gc:?}"
    );
    assert!(findings(out, "gc_pressure", "broker=1").is_empty());
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn the_step_keeps_every_series_within_the_point_budget() {
    let r = call(json!({"presets": ["throughput"], "start": "2024-01-15T02:00:00Z", "end": "2024-01-15T04:00:00Z", "max_points": 50, "shape_points": 50, "max_output_bytes": 1048576})).await.unwrap();
    let out = &r.structured;
    let step = out["step_secs"].as_u64().unwrap();
    assert!(7200 / step < 50, "step {step}");
    for s in out["series"].as_array().unwrap() {
        assert!(s["samples"].as_u64().unwrap() <= 50, "{}", s["samples"]);
        assert!(s["points"].as_array().unwrap().len() <= 50);
    }
    let e = call(json!({"queries": ["up"], "start": "2024-01-15T02:00:00Z", "end": "2024-01-15T04:00:00Z", "step": 1, "max_points": 1000})).await.unwrap_err();
    assert_eq!(e.argument(), Some("step"));
    assert!(e.to_string().contains("at least"), "{e}");
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn bad_promql_gives_prometheus_message_and_the_query() {
    let e = call(json!({"queries": ["sum by (broker (up)"], "start": START, "end": END})).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Upstream);
    let msg = e.to_string();
    assert!(msg.contains("bad_data") && msg.contains("parse error"), "{msg}");
    assert!(msg.contains("`sum by (broker (up)`") && msg.contains("fix the PromQL"), "{msg}");
    let e = call(json!({"presets": ["disk"]})).await.unwrap_err();
    assert_eq!(e.argument(), Some("presets[0]"));
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn an_instant_and_a_chart() {
    let r = call(json!({"queries": ["max by (broker) (kafka_server_replicamanager_underreplicatedpartitions)"], "at": "2024-01-15T03:05:00Z"})).await.unwrap();
    assert_eq!(r.structured["instant"], true);
    let series = r.structured["series"].as_array().unwrap();
    assert!(series.iter().all(|s| s["samples"] == 1));
    let b1 = series.iter().find(|s| s["labels"] == json!({"broker": "1"})).unwrap();
    assert!(b1["last"].as_f64().unwrap() > 0.0);

    let r = call(json!({"presets": ["replication"], "start": START, "end": END, "chart": true})).await.unwrap();
    assert_eq!(r.images.len(), 1);
    assert_eq!(r.images[0].mime_type, "image/png");
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.decode(&r.images[0].base64).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    assert!(r.text.contains("**Chart**") && r.text.contains("blue: {broker=\"1\"}"), "{}", r.text);
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn a_metric_that_does_not_exist_gives_an_empty_hint() {
    let r = call(json!({"queries": ["kafka_no_such_metric"], "start": START, "end": END})).await.unwrap();
    assert!(r.structured["empty_hint"].as_str().unwrap().contains("metric_names"));
}
