//! A server state whose backends all point at closed loopback ports: calls reach the point of talking to a
//! backend and fail fast there, so nothing needs the stack. Shared by the fuzz and hard-input tests.

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::AppState;
use std::sync::Arc;

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Kafka, Prometheus and Loki on closed ports with 1 s timeouts; exports under a temporary folder named `tag`.
pub fn closed_state(tag: &str) -> Arc<AppState> {
    let mut c = Config::default();
    c.kafka.bootstrap_servers = format!("127.0.0.1:{}", closed_port());
    c.kafka.request_timeout_ms = 1000;
    c.prometheus.url = Some(format!("http://127.0.0.1:{}", closed_port()));
    c.prometheus.timeout_ms = 1000;
    c.loki.url = Some(format!("http://127.0.0.1:{}", closed_port()));
    c.loki.timeout_ms = 1000;
    c.export.dir = std::env::temp_dir().join(format!("kqm-{tag}-{}", std::process::id()));
    AppState::new(c).unwrap()
}
