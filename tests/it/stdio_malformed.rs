//! Over stdio every line with an id gets an answer, malformed or not (issue 13, defect 4): too deep, `1e400`,
//! a lone surrogate, garbage, an invalid message. The process stays up and answers the next request.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn every_line_with_an_id_is_answered_and_the_server_survives() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-qa-mcp"))
        .arg("serve")
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env("KAFKA_QA_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let mut send = |line: String| {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    };
    send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}).to_string());
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string());
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"list_topics","arguments":{{"x":{}{}}}}}}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let bad = [
        deep,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_topics","arguments":{"n":1e400}}}"#
            .into(),
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"\ud800","arguments":{}}}"#.into(),
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":"#.into(),
        r#"{"jsonrpc":"2.0","id":5}"#.into(),
        "garbage".into(),
    ];
    for line in bad {
        send(line);
    }
    send(json!({"jsonrpc": "2.0", "id": 6, "method": "ping"}).to_string());
    let mut answered = std::collections::BTreeMap::new();
    let mut anonymous = 0;
    while answered.len() < 7 || anonymous < 1 {
        let v = rx.recv_timeout(Duration::from_secs(20)).expect("an answer for every line");
        match v.get("id") {
            Some(Value::Number(n)) => {
                answered.insert(n.as_i64().unwrap(), v.clone());
            }
            Some(Value::Null) => anonymous += 1,
            _ => {}
        }
    }
    for id in 1..=3 {
        assert_eq!(answered[&id]["error"]["code"], json!(-32700), "{id}: {}", answered[&id]);
    }
    assert_eq!(answered[&4]["error"]["code"], json!(-32700));
    assert_eq!(answered[&5]["error"]["code"], json!(-32600));
    assert!(answered[&1]["error"]["message"].as_str().unwrap().contains("deeper than 128"));
    assert!(answered[&6].get("result").is_some(), "{}", answered[&6]);
    assert!(child.try_wait().unwrap().is_none(), "the server died");
    drop(stdin);
    let _ = child.wait();
}
