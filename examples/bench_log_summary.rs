//! Benchmark: summarising 100,000 synthetic Kafka-like log lines (deterministic) into patterns and event
//! classes. Prints lines per second, patterns and the summary's JSON size.
//!
//!     cargo run --release --example bench_log_summary

use kafka_qa_mcp::observe::loki::{summarise, LogEntry, LogStream, SummaryOptions, Taxonomy};
use std::time::Instant;

const LINES: usize = 100_000;

/// A small deterministic generator (xorshift), so every run summarises the same lines.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn line(r: &mut Rng, broker: u64) -> (&'static str, String) {
    let topic = ["orders", "payments", "inventory", "__consumer_offsets"][r.below(4) as usize];
    let p = r.below(12);
    let offset = 400_000_000 + r.below(9_000_000);
    match r.below(20) {
        0..=5 => ("INFO", format!("[LocalLog partition={topic}-{p}, dir=/var/lib/kafka/data] Rolled new log segment at offset {offset} in {} ms. (kafka.log.LocalLog)", r.below(6))),
        6..=9 => ("INFO", format!("[ProducerStateManager partition={topic}-{p}] Wrote producer snapshot at offset {offset} with {} producer ids in {} ms. (org.apache.kafka.storage.internals.log.ProducerStateManager)", r.below(4), r.below(3))),
        10..=11 => ("INFO", format!("[GroupCoordinator {broker}]: Preparing to rebalance group group-{} in state PreparingRebalance with old generation {} (__consumer_offsets-{p}) (reason: Adding new member consumer-{}-{:x})", r.below(30), r.below(400), r.below(9), r.next())),
        12 => ("INFO", format!("[Partition {topic}-{p} broker={broker}] Shrinking ISR from {broker},2,3 to {broker},3. Leader: (highWatermark: {offset}, endOffset: {}). Out of sync replicas: (brokerId: 2, endOffset: {}).", offset + 20, offset - 300)),
        13 => ("INFO", format!("[Partition {topic}-{p} broker={broker}] Expanding ISR from {broker},3 to {broker},3,2 (kafka.cluster.Partition)")),
        14 => ("WARN", format!("[ReplicaFetcher replicaId={broker}, leaderId=2, fetcherId=0] Connection to node 2 (kafka-2/10.20.1.{}:9092) could not be established. Broker may not be available. (org.apache.kafka.clients.NetworkClient)", r.below(255))),
        15 => ("ERROR", format!("Error while appending records to {topic}-{p} in dir /var/lib/kafka/data (org.apache.kafka.storage.internals.log.LogDirFailureChannel)\njava.io.IOException: No space left on device\n\tat java.base/sun.nio.ch.FileDispatcherImpl.write0(Native Method)")),
        16 => ("INFO", format!("[Controller id=1 epoch=7] Changed partition {topic}-{p} from OnlinePartition to OnlinePartition with state LeaderAndIsr(leader={broker}, leaderEpoch={}, isr=List({broker}, 3), leaderRecoveryState=RECOVERED, partitionEpoch={}) (state.change.logger)", r.below(40), r.below(90))),
        17 => ("WARN", format!("[GC pause (G1 Evacuation Pause) (young) {}M->{}M(4096M), 0.{:04} secs]", 2000 + r.below(1000), 500 + r.below(500), r.below(9999))),
        _ => ("INFO", format!("[GroupMetadataManager brokerId={broker}] Removed {} expired offsets in {} milliseconds. (kafka.coordinator.group.GroupMetadataManager)", r.below(4), r.below(3))),
    }
}

fn main() {
    let mut r = Rng(0x2024_0115);
    let mut streams: Vec<LogStream> = vec![];
    for broker in 1..=3u64 {
        for level in ["INFO", "WARN", "ERROR"] {
            streams.push(LogStream {
                labels: [("broker".into(), broker.to_string()), ("level".into(), level.into())].into(),
                entries: vec![],
            });
        }
    }
    let t0: i64 = 1_705_287_000_000_000_000;
    for i in 0..LINES {
        let broker = 1 + r.below(3);
        let (level, text) = line(&mut r, broker);
        let ts = t0 + i as i64 * 24_000_000;
        let header = format!("[2024-01-15 03:{:02}:{:02},{:03}] {level} ", (i / 2500) % 60, (i / 42) % 60, i % 1000);
        let s = (broker as usize - 1) * 3 + ["INFO", "WARN", "ERROR"].iter().position(|l| *l == level).unwrap_or(0);
        streams[s].entries.push(LogEntry { ts_ns: ts, line: header + &text });
    }
    let taxonomy = Taxonomy::built_in();
    let opts = SummaryOptions::default();
    // One warm-up run, then the best of five.
    let mut summary = summarise(&streams, &taxonomy, &opts);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        summary = summarise(&streams, &taxonomy, &opts);
        best = best.min(started.elapsed().as_secs_f64());
    }
    let json = serde_json::to_string(&summary).unwrap_or_default();
    println!("lines: {}", summary.lines);
    println!("time: {:.1} ms (best of 5, one core)", best * 1000.0);
    println!("lines/s: {:.0}", summary.lines as f64 / best);
    println!(
        "patterns: {} (kept {}), event classes: {}",
        summary.patterns_total,
        summary.patterns.len(),
        summary.events.len()
    );
    println!("summary JSON: {} bytes", json.len());
    for e in &summary.events {
        println!("  {:<18} {}", e.class, e.count);
    }
}
