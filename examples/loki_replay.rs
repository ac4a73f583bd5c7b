//! Serves the recorded real Loki 3.4.6 responses (tests/fixtures/loki/) on a loopback port, for the demo and
//! the protocol tests: no real Loki can be installed on this project's machines (README, "Backends").
//!
//!   cargo run --example loki_replay -- 127.0.0.1:13100

#[path = "../tests/it/support/loki_replay.rs"]
#[allow(dead_code)]
mod loki_replay;

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:13100".into());
    let harness = loki_replay::start_on(&addr).await;
    eprintln!("replaying {} recorded Loki responses at {}", harness.replay.fixtures.len(), harness.url);
    std::future::pending::<()>().await;
}
