//! Benchmark: cold start to `initialize` answered, tools/call round trip for a no-I/O call over stdio
//! (p50, p99), and idle RSS of the server process.
//!
//!   cargo build --release && cargo run --release --example bench_startup -- [BIN] [TOOL] [ARGS_JSON]
//!
//! Defaults: target/release/kafka-qa-mcp, and `generate_test_data` with one built-in user record (no I/O).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const COLD_STARTS: usize = 30;
const CALLS: usize = 2000;

struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Server {
    fn spawn(bin: &str) -> Server {
        let mut child = Command::new(bin)
            .arg("serve")
            .env("KAFKA_QA_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Server { child, stdin, stdout, next_id: 1 }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line).unwrap() == 0 {
                panic!("server closed stdout");
            }
            let v: Value = serde_json::from_str(&line).expect("stdout carries JSON-RPC only");
            if v["id"] == json!(id) {
                return v;
            }
        }
    }

    fn initialize(&mut self) -> Value {
        let r = self.request("initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}));
        writeln!(self.stdin, "{}", json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap();
        r
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bin = args.next().unwrap_or_else(|| "target/release/kafka-qa-mcp".into());
    let tool = args.next().unwrap_or_else(|| "generate_test_data".into());
    let tool_args: Value =
        serde_json::from_str(&args.next().unwrap_or_else(|| r#"{"entity": "user", "count": 1, "seed": 7}"#.into()))
            .unwrap();

    let mut cold = vec![];
    for _ in 0..COLD_STARTS {
        let start = Instant::now();
        let mut s = Server::spawn(&bin);
        let r = s.initialize();
        cold.push(start.elapsed());
        assert_eq!(r["result"]["serverInfo"]["name"], json!("kafka-qa-mcp"));
    }
    cold.sort();

    let mut s = Server::spawn(&bin);
    s.initialize();
    let probe = s.request("tools/call", json!({"name": tool, "arguments": tool_args}));
    assert!(probe["result"]["isError"] != json!(true), "the benchmark call failed: {probe}");
    let mut calls = vec![];
    for _ in 0..CALLS {
        let start = Instant::now();
        s.request("tools/call", json!({"name": tool, "arguments": tool_args}));
        calls.push(start.elapsed());
    }
    calls.sort();
    std::thread::sleep(Duration::from_millis(500));
    let rss_after_calls = s.rss_kib();
    let idle = Server::spawn(&bin);
    let mut idle = idle;
    idle.initialize();
    std::thread::sleep(Duration::from_millis(500));
    let rss_idle = idle.rss_kib();

    println!("binary: {bin}");
    println!(
        "cold start to initialize answered ({COLD_STARTS} runs): p50 {:.1} ms, p99 {:.1} ms (goal < 50 ms)",
        percentile(&cold, 0.5).as_secs_f64() * 1e3,
        percentile(&cold, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "tools/call {tool} round trip over stdio ({CALLS} calls): p50 {:.3} ms, p99 {:.3} ms (goal < 1 ms)",
        percentile(&calls, 0.5).as_secs_f64() * 1e3,
        percentile(&calls, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "RSS: idle after initialize {:.1} MB (goal < 30 MB); after {CALLS} calls {:.1} MB",
        rss_idle as f64 / 1024.0,
        rss_after_calls as f64 / 1024.0
    );
}
