//! Benchmark: tools/call round trip of a no-I/O call over Streamable HTTP on one kept-alive connection
//! (p50, p99), against a new connection per call; for the server binary (TCP_NODELAY set by `serve`) and
//! for an in-process server without TCP_NODELAY (how it was before: ~40 ms per kept-alive call from Nagle
//! plus delayed ACK).
//!
//!   cargo build --release && cargo run --release --example bench_http -- [BIN] [CALLS]

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::AppState;
use kafka_qa_mcp::mcp::http::{router, HttpOptions, DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_IDLE};
use kafka_qa_mcp::mcp::{McpServer, Registry};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A minimal HTTP/1.1 client: one request at a time, Content-Length or chunked answers.
struct Conn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    fn post(&mut self, body: &str, session: Option<&str>) -> (u16, Option<String>, String) {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr).unwrap();
            s.set_nodelay(true).unwrap();
            self.stream = Some(BufReader::new(s));
        }
        let r = self.stream.as_mut().unwrap();
        let mut req = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(s) = session {
            req.push_str(&format!("mcp-session-id: {s}\r\nmcp-protocol-version: 2025-06-18\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        r.get_mut().write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let (mut len, mut chunked, mut sid) = (None, false, None);
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap_or((l, ""));
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse::<usize>().ok(),
                "transfer-encoding" => chunked = v.contains("chunked"),
                "mcp-session-id" => sid = Some(v.trim().to_string()),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                r.read_line(&mut line).unwrap();
                let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                r.read_exact(&mut chunk).unwrap();
                body.extend_from_slice(&chunk[..n]);
                if n == 0 {
                    break;
                }
            }
        } else if let Some(n) = len {
            body.resize(n, 0);
            r.read_exact(&mut body).unwrap();
        }
        (status, sid, String::from_utf8_lossy(&body).into_owned())
    }
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0
}

fn measure(addr: SocketAddr, calls: usize, keep_alive: bool) -> (f64, f64) {
    let mut c = Conn { addr, stream: None };
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}});
    let (_, sid, _) = c.post(&init.to_string(), None);
    let sid = sid.expect("a session id");
    c.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(), Some(&sid));
    let mut times = Vec::with_capacity(calls);
    for i in 0..calls {
        if !keep_alive {
            c.stream = None;
        }
        // A validation error: the whole dispatch path, no I/O.
        let call = json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {"name": "generate_test_data", "arguments": {"count": -1}}});
        let t = Instant::now();
        let (status, _, body) = c.post(&call.to_string(), Some(&sid));
        times.push(t.elapsed());
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("count"), "{body}");
    }
    (percentile(&mut times, 0.5), percentile(&mut times, 0.99))
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args.get(1).cloned().unwrap_or_else(|| "target/release/kafka-qa-mcp".into());
    let calls: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);

    // The server binary, as deployed.
    let addr = free_addr();
    let mut child = Command::new(&bin)
        .args(["serve", "--http", &addr.to_string()])
        .env("KAFKA_QA_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the server did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (p50, p99) = measure(addr, calls, true);
    println!("binary, kept-alive connection:   p50 {p50:.3} ms  p99 {p99:.3} ms  ({calls} calls)");
    let (p50, p99) = measure(addr, calls / 4, false);
    println!("binary, new connection per call: p50 {p50:.3} ms  p99 {p99:.3} ms  ({} calls)", calls / 4);
    let _ = child.kill();
    let _ = child.wait();

    // In process, without TCP_NODELAY on accepted sockets (the code before the fix).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(Config::default()).unwrap();
        let server = McpServer::new(state, Arc::new(Registry::new()));
        let opts = HttpOptions {
            addr,
            auth_token: None,
            extra_hosts: vec![],
            extra_origins: vec![],
            session_idle: DEFAULT_SESSION_IDLE,
            max_sessions: DEFAULT_MAX_SESSIONS,
        };
        let app = router(server, &opts, tokio_util::sync::CancellationToken::new());
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    let n = calls.min(200);
    let (p50, p99) = measure(addr, n, true);
    println!("without TCP_NODELAY, kept-alive: p50 {p50:.3} ms  p99 {p99:.3} ms  ({n} calls)");
}
