//! graph_rca on a synthetic cluster: 100 brokers, 10,000 partitions (100 topics x 100, RF 3), 50 groups and
//! 1,000 signals (a disk-full incident on broker 7 plus noise of every class on random entities).
//! Times building the graph, ranking, and fingerprint + note, over repeated runs. Goal: < 100 ms in total.
//!
//!     cargo run --release --example bench_rca

use kafka_qa_mcp::rca::answer::{analyze, AnalyzeOptions};
use kafka_qa_mcp::rca::build::from_observations;
use kafka_qa_mcp::rca::note::{render, NoteInput};
use kafka_qa_mcp::rca::observation::Observations;
use kafka_qa_mcp::rca::rules;
use kafka_qa_mcp::similar::fingerprint::Fingerprint;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const BROKERS: i64 = 100;
const TOPICS: i64 = 100;
const PARTITIONS: i64 = 100;
const SIGNALS: usize = 1000;
const RUNS: usize = 15;
const T0: i64 = 1_705_287_600_000;

/// A small deterministic generator, so every run analyses the same cluster.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as i64
    }
}

fn synthetic() -> Observations {
    let mut rng = Lcg(42);
    let brokers: Vec<Value> = (1..=BROKERS).map(|id| json!({"id": id})).collect();
    let mut topics = vec![];
    for t in 0..TOPICS {
        let partitions: Vec<Value> = (0..PARTITIONS)
            .map(|p| {
                let l = (t * PARTITIONS + p) % BROKERS + 1;
                let replicas = [l, l % BROKERS + 1, (l + 1) % BROKERS + 1];
                json!({"id": p, "leader": l, "replicas": replicas, "isr": replicas})
            })
            .collect();
        topics.push(json!({"name": format!("topic-{t:03}"), "partitions": partitions}));
    }
    let groups: Vec<Value> =
        (0..50).map(|g| json!({"id": format!("group-{g}"), "topics": [format!("topic-{:03}", g * 2)]})).collect();
    let mut signals = vec![
        json!({"class": "out_of_space", "entity": "broker:7", "start": T0, "count": 12}),
        json!({"class": "broker_stop", "entity": "broker:7", "start": T0 + 2_000}),
        json!({"class": "leader_election", "entity": "cluster", "start": T0 + 20_000, "count": 100}),
    ];
    // ISR shrinks on partitions with a replica on broker 7.
    for t in 0..TOPICS {
        for p in 0..PARTITIONS {
            let l = (t * PARTITIONS + p) % BROKERS + 1;
            if [l, l % BROKERS + 1, (l + 1) % BROKERS + 1].contains(&7) && signals.len() < 300 {
                signals.push(json!({"class": "isr_shrink", "entity": format!("partition:topic-{t:03}-{p}"), "start": T0 + 30_000 + p}));
            }
        }
    }
    let classes = [
        "connection_error",
        "gc_pause",
        "latency_high",
        "group_rebalance",
        "lag_growing",
        "under_replicated",
        "session_expiry",
        "controller_change",
        "segment_roll",
        "member_timeout",
    ];
    while signals.len() < SIGNALS {
        let class = classes[rng.next(classes.len() as i64) as usize];
        let entity = match rng.next(3) {
            0 => format!("broker:{}", rng.next(BROKERS) + 1),
            1 => format!("partition:topic-{:03}-{}", rng.next(TOPICS), rng.next(PARTITIONS)),
            _ => format!("group:group-{}", rng.next(50)),
        };
        signals.push(json!({"class": class, "entity": entity, "start": T0 - 3_600_000 + rng.next(7_200_000)}));
    }
    serde_json::from_value(json!({"cluster": {"id": "synthetic"}, "brokers": brokers, "topics": topics, "groups": groups, "signals": signals}))
        .expect("valid observations")
}

fn main() {
    let obs = synthetic();
    let rules = rules::load(None).expect("built-in rules");
    let (mut build, mut rank, mut note, mut total) = (vec![], vec![], vec![], vec![]);
    let mut verdict = String::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let g = from_observations(&obs).expect("graph");
        let built = t.elapsed();
        let (analysis, _) = analyze(&g, &rules, &AnalyzeOptions::default());
        let ranked = t.elapsed();
        let fp = Fingerprint::of(&g);
        let _ = fp.vector();
        let _ = render(&NoteInput {
            id: "bench",
            cluster: &g.cluster_name,
            window: None,
            analysis: &analysis,
            similar: &[],
        });
        let done = t.elapsed();
        build.push(built);
        rank.push(ranked - built);
        note.push(done - ranked);
        total.push(done);
        let ranked: Vec<String> = analysis
            .hypotheses
            .iter()
            .take(3)
            .map(|h| format!("{} on {} {:.2} ({})", h.rule, h.on, h.confidence, h.order))
            .collect();
        verdict = format!(
            "{} entities, {} signals, {} edges; top 3: {}",
            g.entities.len(),
            g.signals.len(),
            g.edges.len(),
            ranked.join("; ")
        );
    }
    if std::env::var("BENCH_DEBUG").is_ok() {
        let g = from_observations(&obs).expect("graph");
        for s in kafka_qa_mcp::rca::rank::rank(&g, &rules).iter().filter(|s| s.rule == 0).take(3) {
            println!(
                "{} {:.3} {:?} steps {:?} viol {:?} contra {:?} pre {:?}",
                g.name(s.anchor),
                s.confidence,
                s.parts,
                s.steps.iter().map(|x| x.len()).collect::<Vec<_>>(),
                s.order_violations,
                s.contradictions,
                s.preceded_by
            );
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    println!(
        "graph_rca on {BROKERS} brokers, {} partitions, {SIGNALS} signals ({RUNS} runs, median):",
        TOPICS * PARTITIONS
    );
    println!("  build graph        {:8.2} ms", median(&mut build));
    println!("  rank + render      {:8.2} ms", median(&mut rank));
    println!("  fingerprint + note {:8.2} ms", median(&mut note));
    println!("  total              {:8.2} ms (goal < 100 ms)", median(&mut total));
    println!("  verdict: {verdict}");
}
