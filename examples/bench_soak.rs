//! Soak benchmark: the server's RSS over N tool calls (a mix of no-I/O calls: test data, test cases, a
//! validation error, a refused recursive schema) over stdio, then over Streamable HTTP (a new session every
//! 100 calls, the previous one deleted). RSS is read from /proc.
//!
//!   cargo build --release && cargo run --release --example bench_soak -- [BIN] [CALLS]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn call(i: usize) -> (String, Value) {
    match i % 4 {
        0 => ("generate_test_data".into(), json!({"entity": "order", "count": 20, "seed": i})),
        1 => (
            "generate_test_cases".into(),
            json!({"schema": {"type": "object", "properties": {"id": {"type": "string", "minLength": 3}, "n": {"type": "integer", "minimum": 0, "maximum": 9}}, "required": ["id"]}, "target": {"input_topic": "t.in"}, "seed": i}),
        ),
        2 => ("generate_test_data".into(), json!({"count": -1})),
        _ => ("generate_test_data".into(), json!({"schema": {"allOf": [{"$ref": "#"}]}, "count": 3})),
    }
}

fn request(id: usize, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

fn init_params() -> Value {
    json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "soak", "version": "0"}})
}

fn stdio(bin: &str, calls: usize) {
    let mut child = Command::new(bin)
        .arg("serve")
        .env("KAFKA_QA_LOG", "error")
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut roundtrip = |text: String, answer: bool| {
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        if answer {
            line.clear();
            stdout.read_line(&mut line).unwrap();
        }
    };
    roundtrip(request(0, "initialize", init_params()), true);
    roundtrip(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(), false);
    let started = Instant::now();
    println!("stdio: RSS {:.1} MB after initialize", rss_mb(pid));
    for i in 1..=calls {
        let (name, args) = call(i);
        roundtrip(request(i, "tools/call", json!({"name": name, "arguments": args})), true);
        if i % (calls / 10).max(1) == 0 {
            println!(
                "stdio: RSS {:.1} MB after {i} calls ({:.0} calls/s)",
                rss_mb(pid),
                i as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

async fn http(bin: &str, calls: usize) {
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut child = Command::new(bin)
        .args(["serve", "--http", &addr.to_string()])
        .env("KAFKA_QA_LOG", "error")
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    let pid = child.id();
    let url = format!("http://{addr}/mcp");
    let client = kafka_qa_mcp::observe::http::new_client();
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the server did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    let post = |body: String, session: Option<String>| {
        let mut r = client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body);
        if let Some(s) = session {
            r = r.header("mcp-session-id", s).header("mcp-protocol-version", "2025-06-18");
        }
        r.send()
    };
    let started = Instant::now();
    let mut session = None;
    for i in 1..=calls {
        if i % 100 == 1 {
            // A well-behaved client ends its session (without DELETE, sessions live until the idle expiry,
            // bounded by max_sessions).
            if let Some(old) = session.take() {
                let _ = client
                    .delete(&url)
                    .header("mcp-session-id", old)
                    .header("mcp-protocol-version", "2025-06-18")
                    .send()
                    .await;
            }
            let r = post(request(0, "initialize", init_params()), None).await.unwrap();
            let sid = r.headers()["mcp-session-id"].to_str().unwrap().to_string();
            let _ = r.bytes().await;
            let _ =
                post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(), Some(sid.clone()))
                    .await
                    .unwrap()
                    .bytes()
                    .await;
            session = Some(sid);
        }
        let (name, args) = call(i);
        let r =
            post(request(i, "tools/call", json!({"name": name, "arguments": args})), session.clone()).await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let _ = r.bytes().await;
        if i % (calls / 10).max(1) == 0 {
            println!(
                "http:  RSS {:.1} MB after {i} calls ({:.0} calls/s)",
                rss_mb(pid),
                i as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args.get(1).cloned().unwrap_or_else(|| "target/release/kafka-qa-mcp".into());
    let calls: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    stdio(&bin, calls);
    tokio::runtime::Runtime::new().unwrap().block_on(http(&bin, calls));
}
