//! Bad input around the Schema Registry: an unknown subject, a schema id the registry lacks, corrupt framing
//! (magic byte with a cut id, garbage after a real id), the registry down (a closed port) and slow (a loopback
//! server that accepts and never answers). Each gives a clear error or a named decode failure within the
//! timeout, writes nothing, and the server keeps answering. Needs the stack.

use crate::support::registry as support;

use kafka_qa_mcp::kafka::OutRecord;
use kafka_qa_mcp::registry::codec::frame;
use kafka_qa_mcp::registry::SchemaType;
use kafka_qa_mcp::Error;
use serde_json::json;
use std::time::{Duration, Instant};
use support::{call, env, state_with, unique};

fn record(value: Vec<u8>) -> OutRecord {
    OutRecord { key: None, value: Some(value), headers: vec![], partition: None }
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn unknown_ids_and_corrupt_framing_are_named_and_reads_go_on() {
    let state = state_with(&env("SCHEMA_REGISTRY_URL"));
    let topic = unique("corrupt");
    state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
    let schema = r#"{"type":"record","name":"G","fields":[{"name":"n","type":"long"},{"name":"s","type":"string"}]}"#;
    let id = state.registry().unwrap().register(&format!("{topic}-value"), SchemaType::Avro, schema).await.unwrap();
    let good = frame(id, &[0x02, 0x02, b'x']);
    let records = vec![
        record(good.clone()),
        record(frame(987_654_321, b"\x02\x04ab")), // an id the registry lacks
        record(vec![0, 0, 1]),                     // magic byte, id cut short
        record([good.clone(), b"trailing garbage".to_vec()].concat()), // garbage after the datum
        record(frame(id, &[0x02, 0x7f])),          // a string longer than the bytes left
        record(br#"{"n": 3, "s": "plain json"}"#.to_vec()),
    ];
    let delivered = state.kafka.produce(&state.guard, &topic, records).await.unwrap();
    assert_eq!(delivered.len(), 6);
    assert_eq!(state.kafka.watermarks(&topic).await.unwrap()[0].2, 6);

    let r = call(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await.unwrap();
    let s = &r.structured;
    assert_eq!(s["messages_sampled"], 6, "{s}");
    let errors = s["registry_errors"].to_string();
    assert!(errors.contains("no schema with id 987654321"), "{errors}");
    assert!(errors.contains("bytes left over"), "{errors}");
    assert!(
        errors.contains("ends early or holds an invalid value") || errors.contains("fits the writer schema"),
        "{errors}"
    );
    // The good Avro value and the plain JSON were read.
    assert_eq!(s["json_values"], 2, "{s}");
    assert_eq!(s["registered"]["values"], 1, "{s}");

    let peek = call(&state, "peek_messages", json!({"topic": topic, "partition": 0, "offset": 0, "max_messages": 6}))
        .await
        .unwrap();
    let recs = peek.structured["records"].as_array().unwrap();
    assert_eq!(recs[0]["value"], json!({"n": 1, "s": "x"}));
    assert_eq!(recs[1]["encoding"], "confluent_binary", "undecoded, shown raw: {}", recs[1]);
    assert_eq!(recs[2]["encoding"], "binary", "three bytes are no framing: {}", recs[2]);
    assert_eq!(recs[3]["encoding"], "confluent_binary", "{}", recs[3]);
    let out = call(
        &state,
        "export_parquet",
        json!({"source": {"kind": "topic", "topic": topic}, "path": format!("{topic}.parquet")}),
    )
    .await
    .unwrap();
    assert_eq!(out.structured["rows"], 6, "{}", out.text);
    let _ = std::fs::remove_file(state.config.export.dir.join(format!("{topic}.parquet")));

    let e = call(&state, "check_schema_compatibility", json!({"subject": unique("nosuch"), "schema": schema}))
        .await
        .unwrap_err();
    assert_eq!(e.argument(), Some("subject"), "{e}");
    let e =
        call(&state, "generate_test_data", json!({"schema": "subject:no.such.subject", "count": 1})).await.unwrap_err();
    assert!(e.argument() == Some("schema") && e.to_string().contains("no.such.subject"), "{e}");
}

/// A loopback server that accepts connections and never answers.
fn silent_server() -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut held = vec![];
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            match listener.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (url, handle)
}

#[tokio::test]
#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack: run tools/test")]
async fn a_registry_down_or_silent_is_a_clear_error_in_time_and_nothing_is_written() {
    let (silent, _server) = silent_server();
    for (what, url) in [("down", "http://127.0.0.1:9".to_string()), ("silent", silent)] {
        let state = state_with(&url); // registry timeout 3000 ms
        let topic = unique(what);
        state.kafka.create_topic(&state.guard, &topic, 1, &[]).await.unwrap();
        let t = Instant::now();
        let e = call(&state, "produce_test_message", json!({"topic": topic, "messages": [{"value": {"a": 1}}]}))
            .await
            .unwrap_err();
        let took = t.elapsed();
        assert!(took < Duration::from_secs(8), "{what}: {took:?}");
        assert!(matches!(e, Error::Unreachable { .. } | Error::Timeout { .. }), "{what}: {e:?}");
        assert!(e.to_string().contains("Schema Registry"), "{what}: {e}");
        let marks = state.kafka.watermarks(&topic).await.unwrap();
        assert_eq!(marks[0].2, 0, "{what}: nothing written");

        // Reads go on without decoding, within the timeout, and say why.
        state.kafka.produce(&state.guard, &topic, vec![record(frame(4242, b"\x02"))]).await.unwrap();
        let t = Instant::now();
        let r = call(&state, "infer_schema", json!({"topic": topic, "from": "earliest"})).await.unwrap();
        // A registry that just failed is not waited for again (5 s backoff): well under its 3 s timeout.
        assert!(t.elapsed() < Duration::from_millis(2500), "{what}: {:?}", t.elapsed());
        assert!(r.text.contains("not decoded with the Schema Registry"), "{what}: {}", r.text);
        let e = call(
            &state,
            "check_schema_compatibility",
            json!({"subject": "x-value", "schema": "{\"type\":\"string\"}"}),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, Error::Unreachable { .. } | Error::Timeout { .. }), "{what}: {e:?}");
        // The server keeps answering.
        let l = call(&state, "list_topics", json!({"pattern": topic})).await.unwrap();
        assert!(l.text.contains(&topic), "{what}: {}", l.text);
    }
}
