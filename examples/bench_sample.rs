//! Throughput of the Kafka path: produce N JSON messages (pipelined, batching as configured), then sample them back and
//! run infer_schema over them through the tool dispatch. Prints figures; needs KAFKA_BOOTSTRAP_SERVERS.
//! `cargo run --release --example bench_sample [N]`

use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::kafka::{OutRecord, SampleRequest, StartAt};
use kafka_qa_mcp::mcp::Registry;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let mut config = Config::default();
    config.kafka.bootstrap_servers = std::env::var("KAFKA_BOOTSTRAP_SERVERS")
        .map_err(|_| anyhow::anyhow!("set KAFKA_BOOTSTRAP_SERVERS (source .stack/env)"))?;
    config.kafka.add_env_properties()?;
    config.safety.max_messages_per_call = n;
    let state = AppState::new(config)?;
    let topic = format!("bench.sample.{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    state.kafka.create_topic(&state.guard, &topic, 3, &[]).await?;

    let records: Vec<OutRecord> = (0..n)
        .map(|i| {
            let status = ["NEW", "PAID", "SHIPPED"][i % 3];
            let v = json!({"id": format!("{i:08}-9c1e-4b59-8f0e-3f1f6d7a2b11"), "amount": i as f64 * 1.5, "status": status, "created": "2024-01-15T03:00:00Z", "items": [{"sku": format!("S{}", i % 50), "qty": i % 4}]});
            OutRecord { key: Some(format!("k{i}").into_bytes()), value: Some(serde_json::to_vec(&v).unwrap()), headers: vec![], partition: None }
        })
        .collect();
    let bytes: usize = records.iter().map(OutRecord::size).sum();
    let t = Instant::now();
    state.kafka.produce(&state.guard, &topic, records).await?;
    let produce = t.elapsed();
    println!(
        "produce: {n} messages ({bytes} bytes), pipelined: {:.2} s, {:.0} msg/s",
        produce.as_secs_f64(),
        n as f64 / produce.as_secs_f64()
    );

    let t = Instant::now();
    let sample = state
        .kafka
        .sample(SampleRequest {
            topic: topic.clone(),
            partition: None,
            start: StartAt::Earliest,
            max_messages: n,
            max_bytes: 256 << 20,
            timeout: Duration::from_secs(60),
        })
        .await?;
    let read = t.elapsed();
    println!(
        "sample: {} messages, stopped by {:?}: {:.3} s, {:.0} msg/s",
        sample.records.len(),
        sample.stopped_by,
        read.as_secs_f64(),
        sample.records.len() as f64 / read.as_secs_f64()
    );

    let args = json!({"topic": topic, "from": "earliest", "max_messages": n.min(100_000), "timeout_ms": 60000});
    let t = Instant::now();
    let r = Registry::new().call(&CallContext::new(state.clone()), "infer_schema", args.as_object().cloned()).await?;
    let infer = t.elapsed();
    println!(
        "infer_schema tool (sample + decode + infer + reply): {} messages: {:.3} s, {:.0} msg/s",
        r.structured["messages_sampled"],
        infer.as_secs_f64(),
        n as f64 / infer.as_secs_f64()
    );
    Ok(())
}
