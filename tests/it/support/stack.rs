//! The local stack's broker (`tools/stack up`, then `source .stack/env`).
use kafka_qa_mcp::config::Config;

/// The stack's broker address.
pub fn bootstrap() -> String {
    std::env::var("KAFKA_BOOTSTRAP_SERVERS")
        .expect("KAFKA_BOOTSTRAP_SERVERS is not set: run `tools/stack up` and `source .stack/env`")
}

/// A config on the stack's broker: its address, a 5 s request timeout and the stack's client properties
/// (`KAFKA_QA_KAFKA_PROPERTIES`).
pub fn broker_config() -> Config {
    broker_config_at(&bootstrap())
}

/// The same config on another broker (a test's own tansu, or a closed port).
pub fn broker_config_at(bootstrap: &str) -> Config {
    let mut c = Config::default();
    c.kafka.bootstrap_servers = bootstrap.to_string();
    c.kafka.request_timeout_ms = 5000;
    c.kafka.add_env_properties().unwrap();
    c
}
