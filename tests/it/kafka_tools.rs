//! The Kafka tools against a real broker (tansu), through the same dispatch path MCP uses.
//! Needs KAFKA_BOOTSTRAP_SERVERS (run `tools/stack up` and `source .stack/env`). The restart test starts
//! and stops its own tansu on a free port.

use crate::support::stack::{bootstrap, broker_config_at};
use kafka_qa_mcp::config::{Config, SaslConfig, Secret};
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::kafka::{Kafka, OutRecord};
use kafka_qa_mcp::mcp::reply::Rendered;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn config(bootstrap: &str) -> Config {
    let mut c = broker_config_at(bootstrap);
    c.export.dir = std::env::temp_dir().join("kqm-kafka-tests");
    c
}

fn state_with(f: impl FnOnce(&mut Config)) -> Arc<AppState> {
    let mut c = config(&bootstrap());
    f(&mut c);
    AppState::new(c).unwrap()
}

fn unique(prefix: &str) -> String {
    format!("test.kafka.{prefix}.{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

async fn call(state: &Arc<AppState>, tool: &str, args: Value) -> Result<Rendered, Error> {
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    Registry::new().call(&CallContext::new(state.clone()), tool, Some(args)).await
}

async fn ok(state: &Arc<AppState>, tool: &str, args: Value) -> Rendered {
    match call(state, tool, args.clone()).await {
        Ok(r) => r,
        Err(e) => panic!("{tool} {args} failed: {e}"),
    }
}

async fn create(state: &Arc<AppState>, name: &str, partitions: i32, configs: &[(&str, &str)]) {
    state.kafka.create_topic(&state.guard, name, partitions, configs).await.unwrap();
}

/// An independent read of a whole topic with plain rdkafka: (partition, offset, key, value, headers).
type Raw = (i32, i64, Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, Vec<u8>)>);

fn consume_all(topic: &str, partitions: i32, expected: usize) -> Vec<Raw> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", format!("test-reader-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    c.assign(&tpl).unwrap();
    let mut out = vec![];
    let deadline = Instant::now() + Duration::from_secs(15);
    while out.len() < expected && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            let headers = m
                .headers()
                .map(|h| h.iter().map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec())).collect())
                .unwrap_or_default();
            out.push((
                m.partition(),
                m.offset(),
                m.key().map(<[u8]>::to_vec),
                m.payload().map(<[u8]>::to_vec),
                headers,
            ));
        }
    }
    out.sort_by_key(|r| (r.0, r.1));
    out
}

fn framed(schema_id: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![0];
    v.extend(schema_id.to_be_bytes());
    v.extend(body);
    v
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn order(i: u32, status: &str) -> Value {
    json!({"id": format!("{i:08}-9c1e-4b59-8f0e-3f1f6d7a2b11"), "amount": 10.5 + i as f64, "qty": i, "status": status, "email": format!("user{i}@example.com"), "created": "2024-01-15T03:00:00Z"})
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn produce_then_consume_proves_bytes_and_infer_schema_finds_the_shape() {
    let state = state_with(|_| {});
    let topic = unique("orders");
    create(&state, &topic, 3, &[("retention.ms", "3600000"), ("cleanup.policy", "delete")]).await;

    let confluent = framed(42, serde_json::to_vec(&order(9, "NEW")).unwrap().as_slice());
    let binary = vec![0xde, 0xad, 0xbe, 0xef, 0x01];
    let mut messages: Vec<Value> = (0..6).map(|i| json!({"key": format!("k{i}"), "value": order(i, if i % 2 == 0 { "NEW" } else { "PAID" }), "headers": {"trace-id": format!("t{i}"), "source": "test"}, "partition": (i % 3) as i32})).collect();
    messages.push(json!({"key": "framed", "value": b64(&confluent), "value_encoding": "base64", "partition": 0}));
    messages.push(json!({"value": "just some text", "value_encoding": "text", "partition": 1}));
    messages.push(json!({"key": "bin", "value": b64(&binary), "value_encoding": "base64", "partition": 2}));
    let r = ok(&state, "produce_test_message", json!({"topic": topic, "messages": messages})).await;
    let s = &r.structured;
    assert_eq!(s["written"], json!(9), "{}", r.text);
    assert_eq!(s["mismatched"], json!(0));
    assert!(s["results"].as_array().unwrap().iter().all(|m| m["verified"] == json!(true)), "{}", r.text);

    // An independent consumer sees exactly the bytes sent, at the reported partitions and offsets.
    let raw = consume_all(&topic, 3, 9);
    assert_eq!(raw.len(), 9);
    for (i, m) in s["results"].as_array().unwrap().iter().enumerate() {
        let (p, o) = (m["partition"].as_i64().unwrap() as i32, m["offset"].as_i64().unwrap());
        let got = raw.iter().find(|r| r.0 == p && r.1 == o).unwrap_or_else(|| panic!("message {i} not at {p}:{o}"));
        let sent = &messages[i];
        let expected_value = match sent["value_encoding"].as_str() {
            Some("base64") if sent["key"] == json!("framed") => confluent.clone(),
            Some("base64") => binary.clone(),
            Some("text") => b"just some text".to_vec(),
            _ => serde_json::to_vec(&sent["value"]).unwrap(),
        };
        assert_eq!(got.3.as_deref(), Some(expected_value.as_slice()), "value of message {i}");
        assert_eq!(got.2.as_deref(), sent["key"].as_str().map(str::as_bytes), "key of message {i}");
        if i < 6 {
            assert_eq!(
                got.4,
                vec![("source".to_string(), b"test".to_vec()), ("trace-id".to_string(), format!("t{i}").into_bytes())]
            );
        }
    }

    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await;
    let s = &r.structured;
    assert_eq!(s["messages_sampled"], json!(9), "{}", r.text);
    assert_eq!(s["stopped_by"], json!("end"));
    assert_eq!(s["json_values"], json!(7));
    assert_eq!(s["non_json_values"], json!(2));
    let schema = &s["schema"];
    assert_eq!(schema["type"], json!("object"));
    assert_eq!(schema["properties"]["qty"]["type"], json!("integer"));
    assert_eq!(schema["properties"]["amount"]["type"], json!("number"));
    assert_eq!(schema["properties"]["id"]["format"], json!("uuid"));
    assert_eq!(schema["properties"]["email"]["format"], json!("email"));
    assert_eq!(schema["properties"]["created"]["format"], json!("date-time"));
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for f in ["id", "amount", "qty", "status", "email", "created"] {
        assert!(required.contains(&f), "{f} required: {required:?}");
    }
    let enc = |part: &str, kind: &str| {
        s["encodings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["part"] == json!(part) && e["encoding"] == json!(kind))
            .cloned()
    };
    assert_eq!(enc("value", "json").unwrap()["count"], json!(6));
    assert_eq!(enc("value", "confluent_json").unwrap()["schema_id"], json!(42));
    assert_eq!(enc("value", "text").unwrap()["count"], json!(1));
    assert_eq!(enc("value", "binary").unwrap()["count"], json!(1));
    assert_eq!(enc("header:trace-id", "text").unwrap()["count"], json!(6));
    let status = s["fields"].as_array().unwrap().iter().find(|f| f["path"] == json!("status")).unwrap();
    assert_eq!(status["presence"], json!(1.0));
    assert!(r.text.contains("confluent_json (schema id 42)"), "{}", r.text);

    // The schema is kept as a resource.
    let kept = state.resources.get(&format!("kafka://topics/{topic}/schema")).expect("schema resource");
    assert_eq!(serde_json::from_str::<Value>(&kept.text).unwrap()["schema"], *schema);

    // Bounds: one partition, a count limit, tail, an offset, a timestamp in the future.
    let r = ok(&state, "infer_schema", json!({"topic": topic, "partition": 1, "from": "earliest"})).await;
    assert_eq!(r.structured["messages_sampled"], json!(3));
    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": "earliest", "max_messages": 4})).await;
    assert_eq!(
        (r.structured["messages_sampled"].clone(), r.structured["stopped_by"].clone()),
        (json!(4), json!("count"))
    );
    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": "tail", "tail_count": 1})).await;
    assert_eq!(r.structured["messages_sampled"], json!(3));
    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": {"offset": 2}})).await;
    assert_eq!(r.structured["messages_sampled"], json!(3), "{}", r.text);
    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": {"timestamp": "2100-01-01T00:00:00Z"}})).await;
    assert_eq!(r.structured["messages_sampled"], json!(0));
    assert!(r.text.contains("sample was empty"), "{}", r.text);
    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": {"timestamp": 0}})).await;
    assert_eq!(r.structured["messages_sampled"], json!(9));
    let times: Vec<i64> = timestamps_of(&state, &topic).await;
    let middle = times[6];
    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": {"timestamp": middle}})).await;
    assert_eq!(r.structured["messages_sampled"], json!(times.iter().filter(|t| **t >= middle).count()), "{}", r.text);
    let started = Instant::now();
    let r = ok(&state, "infer_schema", json!({"topic": topic, "from": "latest", "timeout_ms": 800})).await;
    assert_eq!(
        (r.structured["messages_sampled"].clone(), r.structured["stopped_by"].clone()),
        (json!(0), json!("timeout"))
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// The timestamps of a topic's messages in the order they were written (offsets ascending per partition).
async fn timestamps_of(state: &Arc<AppState>, topic: &str) -> Vec<i64> {
    let sample = state
        .kafka
        .sample(kafka_qa_mcp::kafka::SampleRequest {
            topic: topic.into(),
            partition: None,
            start: kafka_qa_mcp::kafka::StartAt::Earliest,
            max_messages: 100,
            max_bytes: 1 << 20,
            timeout: Duration::from_secs(5),
        })
        .await
        .unwrap();
    let mut times: Vec<i64> = sample.records.iter().filter_map(|r| r.timestamp_ms).collect();
    times.sort();
    times
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn validation_uses_the_inferred_or_given_schema_and_dry_runs_write_nothing() {
    let state = state_with(|_| {});
    let topic = unique("validate");
    create(&state, &topic, 1, &[]).await;
    let good: Vec<Value> = (0..3).map(|i| json!({"value": order(i, "NEW")})).collect();
    ok(&state, "produce_test_message", json!({"topic": topic, "messages": good})).await;

    let bad = json!([{"value": {"id": "not-a-uuid", "amount": "x"}}]);
    let r = ok(&state, "produce_test_message", json!({"topic": topic, "messages": bad, "validate": "inferred"})).await;
    assert_eq!((r.structured["written"].clone(), r.structured["invalid"].clone()), (json!(0), json!(1)), "{}", r.text);
    let issues = r.structured["results"][0]["validation_errors"].as_array().unwrap();
    assert!(issues.iter().any(|i| i["path"] == json!("$.amount")), "{issues:?}");
    assert_eq!(state.kafka.watermarks(&topic).await.unwrap(), vec![(0, 0, 3)]);

    let r = ok(
        &state,
        "produce_test_message",
        json!({"topic": topic, "messages": [{"value": order(1, "NEW")}], "validate": "inferred", "dry_run": true}),
    )
    .await;
    assert_eq!((r.structured["written"].clone(), r.structured["invalid"].clone()), (json!(0), json!(0)));
    let given = json!({"type": "object", "required": ["sku"]});
    let r = ok(
        &state,
        "produce_test_message",
        json!({"topic": topic, "messages": bad, "validate": given, "on_invalid": "write"}),
    )
    .await;
    assert_eq!((r.structured["written"].clone(), r.structured["invalid"].clone()), (json!(1), json!(1)));
    assert_eq!(state.kafka.watermarks(&topic).await.unwrap(), vec![(0, 0, 4)]);
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn list_topics_shows_partitions_counts_configs_and_group_lag() {
    let state = state_with(|_| {});
    let topic = unique("listed");
    create(&state, &topic, 2, &[("retention.ms", "7200000"), ("min.insync.replicas", "1")]).await;
    let records: Vec<OutRecord> = (0..8)
        .map(|i| OutRecord {
            value: Some(format!("{{\"n\":{i}}}").into_bytes()),
            partition: Some(if i < 5 { 0 } else { 1 }),
            ..Default::default()
        })
        .collect();
    state.kafka.produce(&state.guard, &topic, records).await.unwrap();

    let group = format!("test-group-{}", uuid::Uuid::new_v4().simple());
    let committer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(2)).unwrap();
    tpl.add_partition_offset(&topic, 1, Offset::Offset(3)).unwrap();
    committer.commit(&tpl, CommitMode::Sync).unwrap();
    drop(committer);

    let r = ok(&state, "list_topics", json!({"pattern": topic, "include_configs": true, "include_groups": true})).await;
    let s = &r.structured;
    assert_eq!(s["topics_matched"], json!(1), "{}", r.text);
    assert!(!s["brokers"].as_array().unwrap().is_empty());
    let t = &s["topics"][0];
    assert_eq!(
        (t["partitions"].clone(), t["replication_factor"].clone(), t["messages"].clone()),
        (json!(2), json!(1), json!(8))
    );
    assert_eq!(t["partition_details"][0]["high"], json!(5));
    assert_eq!(t["partition_details"][1]["high"], json!(3));
    assert_eq!(t["configs"]["retention.ms"], json!("7200000"));
    assert_eq!(t["configs"]["min.insync.replicas"], json!("1"));
    let g = t["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == json!(group))
        .unwrap_or_else(|| panic!("group missing: {}", r.text));
    assert_eq!((g["total_lag"].clone(), g["max_lag"].clone()), (json!(3), json!(3)));
    assert!(r.text.contains(&format!("{group} (3/3)")), "{}", r.text);
    assert!(r.text.contains("Healthy"), "{}", r.text);

    // Paging: two topics with a common prefix, one per page.
    let prefix = unique("paged");
    for n in ["a", "b"] {
        create(&state, &format!("{prefix}.{n}"), 1, &[]).await;
    }
    let first = ok(&state, "list_topics", json!({"pattern": format!("{prefix}.*"), "limit": 1})).await;
    assert_eq!(first.structured["topics"][0]["name"], json!(format!("{prefix}.a")));
    let cursor = first.structured["next_cursor"].as_str().expect("next_cursor").to_string();
    let second =
        ok(&state, "list_topics", json!({"pattern": format!("{prefix}.*"), "limit": 1, "cursor": cursor})).await;
    assert_eq!(second.structured["topics"][0]["name"], json!(format!("{prefix}.b")));
    assert_eq!(second.structured["next_cursor"], Value::Null);

    // The live resources.
    let (mime, text) = kafka_qa_mcp::kafka::resources::read_resource(&state, &format!("kafka://topics/{topic}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mime, "application/json");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["messages"], json!(8));
    let (_, cluster) = kafka_qa_mcp::kafka::resources::read_resource(&state, "kafka://cluster").await.unwrap().unwrap();
    assert!(cluster.contains(&topic));
}

fn argument_of(e: &Error) -> String {
    e.argument().unwrap_or_else(|| panic!("not a bad-input error: {e}")).to_string()
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn bad_input_names_the_argument_and_the_server_keeps_answering() {
    let state = state_with(|_| {});
    let topic = unique("bad");
    create(&state, &topic, 2, &[]).await;
    let missing = unique("missing");
    let many: Vec<Value> = (0..1001).map(|_| json!({"value": 1})).collect();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("list_topics", json!({"limit": 0}), "limit"),
        ("list_topics", json!({"limit": 501}), "limit"),
        ("list_topics", json!({"limit": "ten"}), "limit"),
        ("list_topics", json!({"cursor": "garbage!"}), "cursor"),
        ("list_topics", json!({"pattern": "a[b"}), "pattern"),
        ("list_topics", json!({"nope": true}), "nope"),
        ("infer_schema", json!({}), "topic"),
        ("infer_schema", json!({"topic": 5}), "topic"),
        ("infer_schema", json!({"topic": missing}), "topic"),
        ("infer_schema", json!({"topic": topic, "partition": 7}), "partition"),
        ("infer_schema", json!({"topic": topic, "max_messages": 100001}), "max_messages"),
        ("infer_schema", json!({"topic": topic, "max_bytes": 268435457u64}), "max_bytes"),
        ("infer_schema", json!({"topic": topic, "timeout_ms": 120001}), "timeout_ms"),
        ("infer_schema", json!({"topic": topic, "from": "newest"}), "from"),
        ("infer_schema", json!({"topic": topic, "from": {"timestamp": "yesterday"}}), "from.timestamp"),
        ("produce_test_message", json!({"topic": topic}), "messages"),
        ("produce_test_message", json!({"topic": topic, "messages": []}), "messages"),
        ("produce_test_message", json!({"topic": topic, "messages": many}), "messages"),
        ("produce_test_message", json!({"topic": missing, "messages": [{"value": 1}]}), "topic"),
        (
            "produce_test_message",
            json!({"topic": topic, "messages": [{"value": 1, "partition": 9}]}),
            "messages[0].partition",
        ),
        (
            "produce_test_message",
            json!({"topic": topic, "messages": [{"value": 1, "value_encoding": "text"}]}),
            "messages[0].value",
        ),
        (
            "produce_test_message",
            json!({"topic": topic, "messages": [{"value": 1}], "validate": "sometimes"}),
            "validate",
        ),
        (
            "produce_test_message",
            json!({"topic": topic, "messages": [{"value": 1}], "validate": {"type": 12}}),
            "validate",
        ),
    ];
    for (tool, args, argument) in cases {
        let err = call(&state, tool, args.clone()).await.expect_err(&format!("{tool} {args} should fail"));
        let named = argument_of(&err);
        assert!(named.starts_with(argument), "{tool} {args}: named `{named}`, expected `{argument}` ({err})");
    }
    assert_eq!(state.kafka.watermarks(&topic).await.unwrap(), vec![(0, 0, 0), (1, 0, 0)]);
    ok(&state, "list_topics", json!({"pattern": topic})).await;
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn safety_rules_refuse_writes_before_they_reach_the_broker() {
    let open = state_with(|_| {});
    let topic = unique("guarded");
    create(&open, &topic, 1, &[]).await;
    let msg = json!({"topic": topic, "messages": [{"value": {"a": 1}}]});

    let read_only = state_with(|c| c.safety.read_only = true);
    let deny = state_with(|c| c.safety.produce_deny = vec!["test.kafka.guarded.*".into()]);
    let allow = state_with(|c| c.safety.produce_allow = vec!["orders.*".into()]);
    let capped = state_with(|c| c.safety.max_messages_per_call = 2);
    let small = state_with(|c| c.safety.max_message_bytes = 10);
    let rule = |e: Error| match e {
        Error::Denied { rule, .. } => rule,
        other => format!("not denied: {other}"),
    };
    assert_eq!(rule(call(&read_only, "produce_test_message", msg.clone()).await.unwrap_err()), "read_only");
    assert_eq!(
        rule(
            call(
                &read_only,
                "produce_test_message",
                json!({"topic": topic, "messages": [{"value": 1}], "dry_run": true})
            )
            .await
            .unwrap_err()
        ),
        "read_only"
    );
    assert_eq!(rule(call(&deny, "produce_test_message", msg.clone()).await.unwrap_err()), "produce_deny");
    assert_eq!(
        rule(
            call(&deny, "produce_test_message", json!({"topic": topic, "messages": [{"value": 1}], "dry_run": true}))
                .await
                .unwrap_err()
        ),
        "produce_deny"
    );
    assert_eq!(rule(call(&allow, "produce_test_message", msg.clone()).await.unwrap_err()), "produce_allow");
    assert_eq!(
        rule(
            call(&open, "produce_test_message", json!({"topic": "__consumer_offsets", "messages": [{"value": 1}]}))
                .await
                .unwrap_err()
        ),
        "internal_topic"
    );
    let three = json!({"topic": topic, "messages": [{"value": 1}, {"value": 2}, {"value": 3}]});
    assert_eq!(argument_of(&call(&capped, "produce_test_message", three).await.unwrap_err()), "messages");
    assert_eq!(
        argument_of(
            &call(&small, "produce_test_message", json!({"topic": topic, "messages": [{"value": "x".repeat(20)}]}))
                .await
                .unwrap_err()
        ),
        "messages[0]"
    );
    // The handle refuses too, for callers that bypass the tool.
    assert!(matches!(
        read_only.kafka.produce(&read_only.guard, &topic, vec![OutRecord::default()]).await,
        Err(Error::Denied { .. })
    ));
    let r =
        ok(&open, "produce_test_message", json!({"topic": topic, "messages": [{"value": 1}], "dry_run": true})).await;
    assert_eq!(r.structured["written"], json!(0));
    // Nothing reached the broker.
    assert_eq!(open.kafka.watermarks(&topic).await.unwrap(), vec![(0, 0, 0)]);
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn a_sasl_password_appears_in_no_output_or_error() {
    let password = "sup3r-s3cret-pa55";
    let state = state_with(|c| {
        c.kafka.request_timeout_ms = 1500;
        c.kafka.sasl = Some(SaslConfig {
            mechanism: "PLAIN".into(),
            username: "svc-test".into(),
            password: Secret::new(password),
        });
    });
    let mut seen = vec![format!("{:?}", state.config)];
    for (tool, args) in [
        ("list_topics", json!({})),
        ("infer_schema", json!({"topic": "whatever"})),
        ("produce_test_message", json!({"topic": "whatever", "messages": [{"value": 1}]})),
    ] {
        match call(&state, tool, args).await {
            Ok(r) => seen.push(format!("{} {}", r.text, r.structured)),
            Err(e) => seen.push(format!("{e} {e:?}")),
        }
    }
    for text in &seen {
        assert!(!text.contains(password), "password leaked: {text}");
    }
    // The broker does not speak SASL, so the calls failed; they said why without the password.
    assert!(seen[1..].iter().all(|t| t.contains("Kafka")), "{seen:?}");
}

/// A tansu broker of the test's own, on a free port, stopped and restarted on the same port.
struct OwnBroker {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl OwnBroker {
    fn binary() -> std::path::PathBuf {
        let path = std::env::var("TANSU_BIN").map(Into::into).unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/kafka-qa-mcp/tansu-0.6.0/bin/tansu")
        });
        assert!(path.exists(), "tansu not found at {} (run tools/stack up, or set TANSU_BIN)", path.display());
        path
    }

    fn start() -> OwnBroker {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut b = OwnBroker { port, dir: tempfile::tempdir().unwrap(), child: None };
        b.restart();
        b
    }

    fn restart(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = std::process::Command::new(Self::binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .current_dir(self.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start on {}", self.port);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = std::process::Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn a_stopped_broker_fails_calls_in_time_and_the_next_call_after_restart_works() {
    let mut broker = OwnBroker::start();
    let mut c = config(&format!("127.0.0.1:{}", broker.port));
    c.kafka.request_timeout_ms = 2000;
    let state = AppState::new(c).unwrap();
    let topic = "restart.orders";
    create(&state, topic, 1, &[]).await;
    ok(&state, "produce_test_message", json!({"topic": topic, "messages": [{"value": {"a": 1}}]})).await;
    ok(&state, "list_topics", json!({})).await;

    broker.stop();
    for (tool, args) in [
        ("list_topics", json!({})),
        ("infer_schema", json!({"topic": topic, "timeout_ms": 1000})),
        ("produce_test_message", json!({"topic": topic, "messages": [{"value": {"a": 2}}]})),
    ] {
        let started = Instant::now();
        let err = call(&state, tool, args).await.expect_err("broker is down");
        let took = started.elapsed();
        assert!(matches!(err, Error::Unreachable { .. }), "{tool}: {err}");
        assert!(err.to_string().contains("unreachable"), "{err}");
        assert!(took < Duration::from_millis(2000 * 2 + 1500), "{tool} took {took:?}");
    }
    assert!(Kafka::new(&state.config.kafka).watermarks(topic).await.is_err());

    broker.restart();
    // Same state, same registry path: the very next call works (the in-memory broker starts empty).
    let r = ok(&state, "list_topics", json!({})).await;
    assert_eq!(r.structured["brokers"].as_array().unwrap().len(), 1);
    create(&state, topic, 1, &[]).await;
    let r = ok(&state, "produce_test_message", json!({"topic": topic, "messages": [{"value": {"a": 3}}]})).await;
    assert_eq!(r.structured["results"][0]["verified"], json!(true), "{}", r.text);
}
