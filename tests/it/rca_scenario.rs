//! graph_rca on the shared incident scenario, live: Prometheus with the backfilled scenario
//! (`tools/stack up prometheus`) and Loki's recorded answer (all 1,382 lines of the window, fixture 27)
//! from the shared Loki replay. Broker 2's disk fills at 03:00:01; the analysis must name broker 2 out of
//! disk first, with the ISR shrinks and leader elections as evidence. With Kafka (the shared tansu) the
//! graph also holds the cluster's real topics, partitions and consumer groups.

use crate::support::loki_replay;

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::registry::Registry;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run tools/stack up and source .stack/env"))
}

/// Prometheus and the Loki replay; Kafka only when `kafka` is given.
async fn config(kafka: Option<String>) -> Config {
    let mut config = Config::default();
    config.prometheus.url = Some(env("PROMETHEUS_URL"));
    config.loki.url = Some(loki_replay::start().await.url);
    // The replay answers the recorded query only (it has no labels API to discover the streams from).
    config.loki.kafka_selector = Some("{job=\"kafka\"}".into());
    if let Some(bootstrap) = kafka {
        config.kafka.bootstrap_servers = bootstrap;
        config.kafka.request_timeout_ms = 5000;
        config.kafka.add_env_properties().unwrap();
    }
    config
}

/// A live graph_rca over the scenario's window, plus `extra` arguments.
async fn analyse(config: Config, extra: Value) -> (CallContext, Value, String) {
    let cx = CallContext::new(AppState::new(config).unwrap());
    let mut args =
        json!({"sources": "live", "start": "2024-01-15T02:50:00Z", "end": "2024-01-15T03:30:00Z", "persist": false});
    args.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let Value::Object(args) = args else { unreachable!() };
    let reply = Registry::new().call(&cx, "graph_rca", Some(args)).await.expect("graph_rca runs");
    (cx, reply.structured, reply.text)
}

fn top_is_broker_2_out_of_disk(out: &Value, text: &str) {
    let top = &out["hypotheses"][0];
    assert_eq!((top["rule"].as_str(), top["on"].as_str()), (Some("broker_out_of_disk"), Some("broker:2")), "{text}");
    let classes: Vec<&str> = top["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["classes"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect();
    for needed in ["out_of_space", "isr_shrink", "leader_election"] {
        assert!(classes.contains(&needed), "{needed} missing from the evidence {classes:?}");
    }
}

fn notes(out: &Value) -> Vec<&str> {
    out["notes"].as_array().unwrap().iter().filter_map(Value::as_str).collect()
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn live_analysis_names_broker_2_out_of_disk_first() {
    let (cx, out, text) = analyse(config(None).await, json!({})).await;
    top_is_broker_2_out_of_disk(&out, &text);
    let note = cx.state.resources.get(out["note"].as_str().unwrap()).expect("the incident note is stored");
    assert_eq!(note.mime_type, "text/markdown");
    assert!(note.text.contains("```mermaid\nflowchart LR"));
    // Without Kafka, the graph holds only what the signals and log lines name, and the notes say so.
    assert!(notes(&out).iter().any(|n| n.starts_with("Kafka is not configured")), "{:?}", notes(&out));
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn live_analysis_places_the_topics_and_groups_kafka_reports() {
    let bootstrap = env("KAFKA_BOOTSTRAP_SERVERS");
    let config = config(Some(bootstrap.clone())).await;
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..10];
    let (topic, group) = (format!("test.rca.placed.{suffix}"), format!("test-rca-group-{suffix}"));
    let state = AppState::new(config.clone()).unwrap();
    state.kafka.create_topic(&state.guard, &topic, 3, &[]).await.expect("create the topic");
    let committer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition_offset(&topic, p, Offset::Offset(0)).unwrap();
    }
    committer.commit(&tpl, CommitMode::Sync).expect("commit the group's offsets");
    drop(committer);

    let (_, out, text) = analyse(config, json!({"focus": {"topic": topic}})).await;
    // The focus keeps the hypotheses on this topic: a single replica per partition (tansu has one broker).
    let h = out["hypotheses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["on"] == json!(format!("topic:{topic}")))
        .unwrap_or_else(|| panic!("no hypothesis on the topic: {text}"));
    assert_eq!(h["rule"], json!("under_provisioned_replication"), "{text}");
    let b = &h["blast_radius"];
    assert_eq!(b["partitions"], json!(3), "{text}");
    let sample: Vec<String> = (0..3).map(|p| format!("partition:{topic}-{p}")).collect();
    assert_eq!(b["partition_sample"], json!(sample), "{text}");
    assert_eq!(b["groups"], json!([format!("group:{group}")]), "{text}");
    let graph = &out["graph"];
    assert!(graph["partitions"].as_u64().unwrap() >= 3 && graph["groups"].as_u64().unwrap() >= 1, "{graph}");
    assert!(
        !notes(&out).iter().any(|n| n.contains("Kafka is not configured") || n.contains("could not be read")),
        "{:?}",
        notes(&out)
    );
    // The window is in 2024: the notes say the placement is today's.
    assert!(notes(&out).iter().any(|n| n.contains("placement now")), "{:?}", notes(&out));

    state.kafka.delete_topic(&state.guard, &topic).await.expect("delete the topic");
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn handles_of_prom_snapshot_and_loki_query_give_the_same_top_cause() {
    // Prometheus with the scenario and the stack's real Loki (loki_query's own query, not the replay's).
    let mut config = Config::default();
    config.prometheus.url = Some(env("PROMETHEUS_URL"));
    config.loki.url = Some(env("LOKI_URL"));
    let cx = CallContext::new(AppState::new(config).unwrap());
    let registry = Registry::new();
    let window = json!({"start": "2024-01-15T02:50:00Z", "end": "2024-01-15T03:30:00Z"});
    let call = |name: &'static str, args: Value| {
        let (cx, registry) = (&cx, &registry);
        async move {
            let Value::Object(args) = args else { unreachable!() };
            registry.call(cx, name, Some(args)).await
        }
    };
    let mut prom_args = json!({"presets": ["broker_health", "replication"]});
    prom_args.as_object_mut().unwrap().extend(window.as_object().unwrap().clone());
    let prom = call("prom_snapshot", prom_args).await.expect("prom_snapshot runs").structured;
    let mut loki_args = json!({"labels": {"job": "kafka"}, "limit": 5000});
    loki_args.as_object_mut().unwrap().extend(window.as_object().unwrap().clone());
    let loki = call("loki_query", loki_args).await.expect("loki_query runs").structured;
    let handles = [prom["handle"].as_str().unwrap(), loki["handle"].as_str().unwrap()];
    assert!(handles[0].starts_with("prom-") && handles[1].starts_with("loki-"), "{handles:?}");
    // loki_query's next step is this very call.
    assert_eq!(loki["next"]["tool"], "graph_rca");
    assert_eq!(loki["next"]["arguments"]["from"][0], handles[1]);

    let reply = call("graph_rca", json!({"from": handles, "persist": false})).await.expect("graph_rca runs");
    top_is_broker_2_out_of_disk(&reply.structured, &reply.text);
    // Concise: at most three hypotheses; the next step is the top one's first verification call.
    assert!(reply.structured["hypotheses"].as_array().unwrap().len() <= 3);
    let first = &reply.structured["hypotheses"][0]["verification"][0];
    assert_eq!(reply.structured["next"]["tool"], first["tool"]);
    assert!(reply.text.contains("\n\nNext: `"), "{}", reply.text);

    // An unknown handle is named, and so is a handle with live sources.
    let err = call("graph_rca", json!({"from": [handles[0], "prom-00000000"]})).await.unwrap_err();
    assert!(matches!(&err, kafka_qa_mcp::Error::BadInput { argument, .. } if argument == "from[1]"), "{err}");
    let err = call("graph_rca", json!({"from": [handles[0]], "sources": "live"})).await.unwrap_err();
    assert!(matches!(&err, kafka_qa_mcp::Error::BadInput { argument, .. } if argument == "from"), "{err}");
}
