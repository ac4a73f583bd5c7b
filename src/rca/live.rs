//! Observations fetched live for a window: metric states from the Kafka presets of prom_snapshot (each
//! state span on the broker, topic or group its series is labelled with), log event classes from Loki
//! (each attached to the broker or partition the lines concern, reported by the broker that logged them),
//! then the cluster's placement and consumer groups from Kafka (live_kafka).

use super::live_ids::{entity_of_labels, self_id, subject_broker, BrokerIds};
use super::observation::{Observations, PartitionObs, SignalObs, SignalSource, TimeArg, TopicObs};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::observe::loki::{Direction, LogStream, LokiData, RangeQuery, Taxonomy};
use crate::observe::prom::catalog::Filters;
use crate::observe::prom::{analyse, StateSpan};
use crate::observe::series::{choose_step, Series};
use crate::observe::time::TimeWindow;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The presets whose states feed the analysis.
const PRESETS: [&str; 7] =
    ["broker_health", "replication", "consumer_lag", "jvm_gc", "request_latency", "quotas", "partition_skew"];
/// Points per series when fetching metrics for the analysis.
const MAX_POINTS: usize = 240;
/// Log lines read (Loki's usual cap).
const LOG_LIMIT: usize = 5000;

/// What was fetched, and what could not be.
pub struct Live {
    pub observations: Observations,
    pub notes: Vec<String>,
}

/// What to fetch around: a broker (its log lines only) and a topic (kept in the graph whatever the cluster's size).
#[derive(Debug, Clone, Copy, Default)]
pub struct Around<'a> {
    pub broker: Option<i32>,
    pub topic: Option<&'a str>,
}

pub async fn fetch(cx: &CallContext, window: &TimeWindow, around: Around<'_>) -> Result<Live> {
    let cfg = cx.config();
    let mut obs = Observations::default();
    let mut notes = vec![];
    if cfg.prometheus.url.is_none() && cfg.loki.url.is_none() && cfg.kafka.bootstrap_servers.trim().is_empty() {
        return Err(Error::not_configured(
            "Prometheus, Loki or Kafka",
            "live analysis reads metric states, log events and the cluster's metadata: set PROMETHEUS_URL, LOKI_URL and/or KAFKA_BOOTSTRAP_SERVERS, or pass `observations`",
        ));
    }
    let broker = around.broker;
    let mut ids = BrokerIds::default();
    let mut pending_metrics: Option<Vec<(Series, Vec<StateSpan>, String)>> = None;
    // A state already holding at the window's first sample and still holding at its end has no known onset.
    let mut standing_until = i64::MIN;
    if cfg.prometheus.url.is_some() {
        let pending = pending_metrics.get_or_insert_with(Vec::new);
        cx.progress.report(0, Some(3), "reading metric states from Prometheus").await;
        let catalog = &cx.state.catalog;
        let client = cx.state.prometheus()?;
        let secs = window.duration().num_milliseconds() as f64 / 1000.0;
        let step = choose_step(secs, MAX_POINTS);
        standing_until = window.start.timestamp_millis() + step as i64 * 1000;
        let range = format!("{}s", step.saturating_mul(2).max(60));
        let filters = Filters { broker: None, topic: None, group: None };
        let mut seen = vec![];
        for id in PRESETS {
            let Some(preset) = catalog.preset(id) else { continue };
            for q in catalog.resolve(preset, &filters, &range)? {
                let Some(rule) = q.state.clone() else { continue };
                if seen.contains(&q.expr) {
                    continue;
                }
                seen.push(q.expr.clone());
                cx.check_cancelled()?;
                for series in client.query_range(&q.expr, window, step).await? {
                    let states = analyse(&series, std::slice::from_ref(&rule), 0).states;
                    if !states.is_empty() {
                        pending.push((series, states, q.expr.clone()));
                    }
                }
            }
        }
    } else {
        notes.push("Prometheus is not configured: no metric states".into());
    }
    if cfg.loki.url.is_some() {
        cx.progress.report(1, Some(3), "reading log events from Loki").await;
        let client = cx.state.loki()?;
        let taxonomy = &cx.state.taxonomy;
        let configured = cfg.loki.kafka_selector.clone().or_else(|| std::env::var("LOKI_KAFKA_SELECTOR").ok());
        let candidates = match configured.filter(|s| !s.trim().is_empty()) {
            Some(s) => vec![s],
            None => discover_selectors(client, window).await,
        };
        // Label values are indexed by day, not by window: a label naming Kafka that day may have no stream in
        // this window (another installation's shipper), so the next candidate is tried when one finds nothing.
        let mut found = None;
        for (i, query) in candidates.iter().enumerate() {
            let q = RangeQuery {
                query: query.clone(),
                window: *window,
                limit: LOG_LIMIT,
                direction: Direction::Forward,
                step_secs: None,
            };
            let data = client.query_range(&q).await?.0;
            let empty = matches!(&data, LokiData::Streams(s) if s.is_empty());
            if !empty || i + 1 == candidates.len() {
                found = Some((query.clone(), data));
                break;
            }
        }
        if let Some((query, LokiData::Streams(streams))) = found {
            let lines: usize = streams.iter().map(|s| s.entries.len()).sum();
            if lines >= LOG_LIMIT {
                notes.push(format!("Loki returned the first {LOG_LIMIT} lines of the window only; pass a narrower window or focus.broker"));
            }
            if streams.is_empty() {
                notes.push(format!(
                    "no Kafka log streams for `{query}`: set [loki] kafka_selector (or LOKI_KAFKA_SELECTOR)"
                ));
            }
            for (labels, id) in stream_ids(&streams, &ids) {
                ids.learn(labels, id);
            }
            let brokers = broker_matchers(&stream_ids(&streams, &ids));
            obs.log_streams = Some(super::checks::LogStreams { selector: query.clone(), brokers });
            let (signals, placements) = stream_signals(&streams, taxonomy, &ids, broker);
            obs.signals.extend(signals);
            for line in &placements {
                add_placement(&mut obs, line);
            }
        }
    } else {
        notes.push("Loki is not configured: no log events".into());
    }
    if let Some(series) = pending_metrics.take() {
        for (series, states, expr) in series {
            obs.signals.extend(metric_signals(&series, &states, &expr, &ids, standing_until));
        }
    }
    cx.check_cancelled()?;
    cx.progress.report(2, Some(3), "reading the cluster's metadata and consumer groups from Kafka").await;
    notes.extend(super::live_kafka::add_metadata(cx, &mut obs, around.topic, window.end.timestamp_millis()).await);
    Ok(Live { observations: obs, notes })
}

/// Observations of metric states prom_snapshot already analysed (each series with its states and query),
/// kept behind a handle for graph_rca's `from`; a span held since `standing_until` (the window's first
/// sample) is a standing condition, as in a live analysis.
pub fn metric_observations<'a>(
    items: impl IntoIterator<Item = (&'a Series, &'a [StateSpan], &'a str)>,
    standing_until: i64,
) -> Observations {
    let ids = BrokerIds::default();
    let mut obs = Observations::default();
    for (series, states, expr) in items {
        obs.signals.extend(metric_signals(series, states, expr, &ids, standing_until));
    }
    obs
}

/// Observations of the log event classes in streams loki_query already read (as a live analysis reads
/// them), kept behind a handle for graph_rca's `from`.
pub fn log_observations(streams: &[LogStream], taxonomy: &Taxonomy) -> Observations {
    let mut ids = BrokerIds::default();
    for (labels, id) in stream_ids(streams, &ids) {
        ids.learn(labels, id);
    }
    let (signals, placements) = stream_signals(streams, taxonomy, &ids, None);
    let mut obs = Observations { signals, ..Default::default() };
    for line in &placements {
        add_placement(&mut obs, line);
    }
    obs
}

/// Signals of a series' state spans. A span that held from the window's first sample (`standing_until`) to its
/// end is a standing condition (a replication factor, a volume full since before): it has no start.
fn metric_signals(
    series: &Series,
    states: &[StateSpan],
    expr: &str,
    ids: &BrokerIds,
    standing_until: i64,
) -> Vec<SignalObs> {
    states
        .iter()
        .map(|s| SignalObs {
            class: s.state.clone(),
            entity: entity_of_labels(&series.labels, ids),
            labels: BTreeMap::new(),
            source: SignalSource::Metric,
            start: (!(s.ongoing && s.from.timestamp_millis() <= standing_until))
                .then(|| TimeArg::Number(s.from.timestamp_millis() as f64)),
            end: (!s.ongoing).then(|| TimeArg::Number(s.to.timestamp_millis() as f64)),
            value: Some(s.worst),
            count: None,
            detail: Some(format!("{expr} {}", series.label_text())),
            reported_by: None,
        })
        .collect()
}

/// Routine classes (segment rolls, retention) say nothing about a cause.
const MIN_SEVERITY: u8 = 2;
/// Classes of a broker failing to reach or fetch from another one.
const PEER_LOSS: [&str; 4] = ["connection_error", "fetcher_error", "request_timeout", "connection_failed"];
/// Classes that, naming no broker, are about a client's connection to the writer.
const CLIENT_SIDE: [&str; 2] = ["connection_error", "auth_failure"];

/// Labels whose values name the service a stream belongs to, tried in order when discovering the brokers'
/// log streams.
const SERVICE_LABELS: [&str; 8] =
    ["job", "app", "app_kubernetes_io_name", "service_name", "service", "container", "component", "namespace"];
/// Words that mark a Kafka-named service that is not a broker.
const NOT_BROKERS: [&str; 16] = [
    "exporter",
    "zookeeper",
    "zk",
    "connect",
    "schema",
    "registry",
    "rest",
    "ui",
    "mirror",
    "mirrormaker",
    "cruise",
    "ksql",
    "ksqldb",
    "lag",
    "operator",
    "bridge",
];

/// Whether a service name looks like Kafka brokers (or KRaft controllers): a word `kafka` and no word of
/// another Kafka-ecosystem service.
fn is_kafka_service(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.iter().any(|w| *w == "kafka" || *w == "broker" || *w == "brokers")
        && !words.iter().any(|w| NOT_BROKERS.contains(w))
}

/// Candidate selectors of the brokers' log streams, best first: per service label (job, app, ...) whose values
/// in the window name Kafka, all such values; then `{job=~".*kafka.*"}`.
async fn discover_selectors(client: &crate::observe::loki::LokiClient, window: &TimeWindow) -> Vec<String> {
    let mut out = vec![];
    for label in SERVICE_LABELS {
        let Ok(values) = client.label_values(label, window).await else { continue };
        let kafka: Vec<String> = values.iter().filter(|v| is_kafka_service(v)).map(|v| regex::escape(v)).collect();
        if !kafka.is_empty() {
            let alternatives = kafka.join("|").replace('\\', "\\\\").replace('"', "\\\"");
            out.push(format!("{{{label}=~\"{alternatives}\"}}"));
        }
    }
    out.push("{job=~\".*kafka.*\"}".to_string());
    out
}

/// Each stream's broker: the id its lines carry about their writer (most often), else its labels.
fn stream_ids<'a>(streams: &'a [LogStream], ids: &BrokerIds) -> Vec<(&'a BTreeMap<String, String>, i32)> {
    streams
        .iter()
        .filter_map(|s| {
            let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
            for e in s.entries.iter().take(2000) {
                if let Some(id) = self_id(&e.line) {
                    *counts.entry(id).or_default() += 1;
                }
            }
            let learned = counts.into_iter().max_by_key(|&(id, n)| (n, -id)).map(|(id, _)| id);
            learned.or_else(|| ids.of_labels(&s.labels)).map(|id| (&s.labels, id))
        })
        .collect()
}

/// Labels tried first for the matcher that picks one broker's streams, most specific first; any other label
/// whose value is one broker's alone comes after them.
const BROKER_STREAM_LABELS: [&str; 12] = [
    "broker",
    "broker_id",
    "pod",
    "k8s_pod_name",
    "host",
    "hostname",
    "host_name",
    "instance",
    "service_instance_id",
    "nodename",
    "container_name",
    "node",
];

/// Per broker, a LogQL matcher that selects its streams and no other broker's: the first label (in
/// BROKER_STREAM_LABELS order, then by name) with one value across all its streams that no other broker's
/// stream carries.
fn broker_matchers(streams: &[(&BTreeMap<String, String>, i32)]) -> BTreeMap<i32, String> {
    let mut by_broker: BTreeMap<i32, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for (labels, id) in streams {
        by_broker.entry(*id).or_default().push(labels);
    }
    let mut out = BTreeMap::new();
    for (id, mine) in &by_broker {
        let mut keys: Vec<&String> = mine[0].keys().collect();
        keys.sort_by_key(|k| (BROKER_STREAM_LABELS.iter().position(|l| l == k).unwrap_or(usize::MAX), k.as_str()));
        let unique = keys.into_iter().find_map(|k| {
            let v = mine[0].get(k)?;
            let same = mine.iter().all(|l| l.get(k) == Some(v));
            let alone = streams.iter().all(|(l, other)| other == id || l.get(k) != Some(v));
            (same && alone).then(|| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        });
        if let Some(m) = unique {
            out.insert(*id, m);
        }
    }
    out
}

/// Lines of one class on one entity further apart than this are separate episodes (a broker restarted early in
/// the window and again in the incident): each becomes its own signal, so the incident's episode keeps its own
/// onset.
const EPISODE_GAP_NS: i64 = super::rank::OVER_BEFORE_MS * 1_000_000;

/// The lines of one class on one entity: when each came, and what it said.
type Lines<'a> = Vec<(i64, &'a str)>;

/// One signal per episode of the lines (see [`EPISODE_GAP_NS`]), with the episode's first line as the example.
fn episodes(mut lines: Lines<'_>) -> Vec<(i64, i64, u64, String)> {
    lines.sort_by_key(|l| l.0);
    let mut out: Vec<(i64, i64, u64, String)> = vec![];
    for (t, line) in lines {
        match out.last_mut() {
            Some(e) if t - e.1 <= EPISODE_GAP_NS => {
                e.1 = t;
                e.2 += 1;
            }
            _ => out.push((t, t, 1, line.chars().take(300).collect())),
        }
    }
    out
}

/// Log event signals: each classified line is attached to what it concerns — the broker it names (a
/// peer's connection failure, a fetch error from the leader, the replica an ISR shrink drops, the broker
/// the controller fences) with the writer as the reporter, the partition it names, else its writer.
/// Also the ISR-shrink lines, which tell where partitions live. With `only`, the lines of that broker.
fn stream_signals(
    streams: &[LogStream],
    taxonomy: &Taxonomy,
    ids: &BrokerIds,
    only: Option<i32>,
) -> (Vec<SignalObs>, Vec<String>) {
    let mut agg: BTreeMap<(String, String, Option<String>), Lines<'_>> = BTreeMap::new();
    let mut placements: Vec<String> = vec![];
    let mut placed: std::collections::HashSet<String> = Default::default();
    // Per broker named by peers' connection or fetch failures: the reporters and when each first did.
    let mut lost: BTreeMap<i32, BTreeMap<i32, i64>> = BTreeMap::new();
    let mut reporters: std::collections::BTreeSet<i32> = Default::default();
    for s in streams {
        let writer = ids.of_labels(&s.labels);
        let learned = stream_ids(std::slice::from_ref(s), ids).first().map(|(_, id)| *id);
        let writer = learned.or(writer);
        if only.is_some() && writer != only {
            continue;
        }
        reporters.extend(writer);
        for e in &s.entries {
            let Some(class) = taxonomy.classify_line(&e.line) else { continue };
            if class.severity < MIN_SEVERITY {
                continue;
            }
            let reporter = self_id(&e.line).or(writer);
            let mut entities: Vec<String> = vec![];
            match subject_broker(&e.line) {
                Some(None) => continue,
                Some(Some(b)) if Some(b) != reporter => {
                    entities.push(format!("broker:{b}"));
                    if PEER_LOSS.contains(&class.id.as_str()) {
                        if let Some(r) = reporter {
                            let t = lost.entry(b).or_default().entry(r).or_insert(e.ts_ns);
                            *t = (*t).min(e.ts_ns);
                        }
                    }
                }
                // A client's connection (a scanner, a TLS mismatch) names no broker: it says nothing of the
                // broker's health.
                None if CLIENT_SIDE.contains(&class.id.as_str()) => continue,
                _ => {}
            }
            if let Some(g) = group_of(&e.line) {
                entities.push(format!("group:{g}"));
            } else if let Some(p) = partition_of(&e.line) {
                entities.push(format!("partition:{p}"));
                if class.id == "isr_shrink" && placed.insert(p.to_string()) {
                    placements.push(e.line.clone());
                }
            }
            if entities.is_empty() {
                entities.push(reporter.map(|b| format!("broker:{b}")).unwrap_or_else(|| "cluster".into()));
            }
            let reporter = reporter.map(|b| format!("broker:{b}"));
            for entity in entities {
                let by = reporter.clone().filter(|r| *r != entity);
                agg.entry((class.id.clone(), entity, by)).or_default().push((e.ts_ns, e.line.as_str()));
            }
        }
    }
    // A broker that alone loses two or more peers, which no other broker lost, is the common factor: it is the one
    // cut off (a follower keeps failing to fetch from every leader it follows). Its lines about them concern it,
    // and it is unreachable from the time it lost the second.
    // Per reporter: when it lost each peer, and whether it was alone in losing that peer.
    let mut losses: BTreeMap<i32, Vec<(i64, bool)>> = BTreeMap::new();
    for by in lost.values() {
        for (r, t) in by {
            losses.entry(*r).or_default().push((*t, by.len() == 1));
        }
    }
    let isolated: BTreeMap<i32, Vec<i64>> = losses
        .into_iter()
        .filter(|(_, l)| l.len() >= 2 && l.iter().all(|(_, alone)| *alone))
        .map(|(r, l)| (r, l.into_iter().map(|(t, _)| t).collect()))
        .collect();
    for r in isolated.keys() {
        let me = format!("broker:{r}");
        let moved: Vec<_> = agg
            .keys()
            .filter(|(class, _, by)| PEER_LOSS.contains(&class.as_str()) && by.as_deref() == Some(me.as_str()))
            .cloned()
            .collect();
        for key in moved {
            let lines = agg.remove(&key).unwrap_or_default();
            agg.entry((key.0, me.clone(), None)).or_default().extend(lines);
        }
    }
    // When most of the brokers that log lose the same broker, the finding is about that broker: it is
    // unreachable from the time the second peer (or the only one, in a two-broker view) lost it.
    let unreachable_from = |b: i32, mut times: Vec<i64>, detail: String| {
        times.sort_unstable();
        SignalObs {
            class: "broker_unreachable".into(),
            entity: format!("broker:{b}"),
            source: SignalSource::Log,
            start: Some(TimeArg::Number((times[(times.len() >= 2) as usize] / 1_000_000) as f64)),
            end: None,
            value: None,
            count: Some(times.len() as u64),
            detail: Some(detail),
            reported_by: None,
            labels: BTreeMap::new(),
        }
    };
    let mut unreachable = vec![];
    for (b, by) in &lost {
        let peers = reporters.iter().filter(|r| *r != b).count();
        if by.len() * 2 > peers && (by.len() >= 2 || peers == 1) {
            let detail = format!(
                "{} of {peers} peers report failures connecting to or fetching from broker {b}: {}",
                by.len(),
                by.keys().map(|r| r.to_string()).collect::<Vec<_>>().join(", ")
            );
            unreachable.push(unreachable_from(*b, by.values().copied().collect(), detail));
        }
    }
    for (r, times) in isolated {
        if !unreachable.iter().any(|s| s.entity == format!("broker:{r}")) {
            let detail = format!(
                "broker {r} alone reports failures reaching {} peers no other broker lost: it is the one cut off",
                times.len()
            );
            unreachable.push(unreachable_from(r, times, detail));
        }
    }
    let signals = unreachable
        .into_iter()
        .chain(agg.into_iter().flat_map(|((class, entity, reported_by), lines)| {
            episodes(lines).into_iter().map(move |(first, last, count, example)| SignalObs {
                class: class.clone(),
                entity: entity.clone(),
                source: SignalSource::Log,
                start: Some(TimeArg::Number((first / 1_000_000) as f64)),
                end: Some(TimeArg::Number((last / 1_000_000) as f64)),
                value: None,
                count: Some(count),
                detail: Some(example),
                reported_by: reported_by.clone(),
                labels: BTreeMap::new(),
            })
        }))
        .collect();
    (signals, placements)
}
/// The consumer group a group coordinator's line is about: `Preparing to rebalance group orders in state
/// ...`, `Stabilized group orders generation 7`, `Member m-1 in group orders has failed, removing it`.
fn group_of(line: &str) -> Option<&str> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(r"(?:[Rr]ebalance group|Stabilized group|[Mm]ember \S+ in group|for group|[Gg]roup coordinator for group|groupId=) ?([\w.\-]+)").ok()
        })
        .as_ref()?;
    re.captures(line).and_then(|c| c.get(1)).map(|m| m.as_str()).filter(|g| !g.is_empty())
}

/// The partition a broker's line is about: `[Partition orders-3 broker=1] ...`.
fn partition_of(line: &str) -> Option<&str> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(r"\[Partition ([\w.-]+-\d+) broker=|(?:append operation on|requirement of \d+ for) partition ([\w.-]+-\d+)").ok()
        })
        .as_ref()?;
    re.captures(line).and_then(|c| c.get(1).or(c.get(2))).map(|m| m.as_str())
}

/// An ISR shrink line tells where a partition lives: `[Partition orders-3 broker=1] Shrinking ISR from
/// 1,2,3 to 1,3` (leader 1, replicas 1,2,3, ISR 1,3). The first line seen per partition wins.
fn add_placement(obs: &mut Observations, line: &str) {
    static SHRINK: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = SHRINK.get_or_init(|| {
        Regex::new(r"\[Partition ([\w.-]+)-(\d+) broker=(\d+)\] Shrinking ISR from ([\d,]+) to ([\d,]+)").ok()
    }) else {
        return;
    };
    let Some(c) = re.captures(line) else { return };
    let ids = |s: &str| s.split(',').filter_map(|x| x.trim().parse::<i32>().ok()).collect::<Vec<_>>();
    let (topic, Ok(id), Ok(leader)) = (c[1].to_string(), c[2].parse::<i32>(), c[3].parse::<i32>()) else { return };
    let t = match obs.topics.iter().position(|t| t.name == topic) {
        Some(i) => &mut obs.topics[i],
        None => {
            obs.topics.push(TopicObs { name: topic, partitions: vec![], min_insync_replicas: None });
            obs.topics.last_mut().expect("just pushed")
        }
    };
    if !t.partitions.iter().any(|p| p.id == id) {
        t.partitions.push(PartitionObs { id, leader: Some(leader), replicas: ids(&c[4]), isr: ids(&c[5]) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::loki::LogEntry;

    fn stream(labels: &[(&str, &str)], lines: &[(i64, &str)]) -> LogStream {
        LogStream {
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            entries: lines.iter().map(|(t, l)| LogEntry { ts_ns: t * 1_000_000_000, line: l.to_string() }).collect(),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn each_broker_gets_the_matcher_of_its_own_streams_whatever_the_label_scheme() {
        // VMs with a broker label, one stream per file.
        let vm = [
            labels(&[("job", "kafka"), ("host", "kafka-1"), ("broker", "1"), ("filename", "server.log")]),
            labels(&[("job", "kafka"), ("host", "kafka-1"), ("broker", "1"), ("filename", "controller.log")]),
            labels(&[("job", "kafka"), ("host", "kafka-2"), ("broker", "2"), ("filename", "server.log")]),
        ];
        let m = broker_matchers(&[(&vm[0], 1), (&vm[1], 1), (&vm[2], 2)]);
        assert_eq!(m[&1], r#"broker="1""#);
        assert_eq!(m[&2], r#"broker="2""#);
        // Kubernetes: the pod (namespace and container are shared by all brokers).
        let k8s = [
            labels(&[("namespace", "kafka"), ("pod", "prod-kafka-0"), ("container", "kafka")]),
            labels(&[("namespace", "kafka"), ("pod", "prod-kafka-1"), ("container", "kafka")]),
        ];
        let m = broker_matchers(&[(&k8s[0], 0), (&k8s[1], 1)]);
        assert_eq!(m[&1], r#"pod="prod-kafka-1""#);
        // OpenTelemetry's Loki labels: service_name is shared, host_name tells them apart.
        let otel = [
            labels(&[("service_name", "kafka"), ("host_name", "ip-10-0-0-1")]),
            labels(&[("service_name", "kafka"), ("host_name", "ip-10-0-0-2")]),
        ];
        assert_eq!(broker_matchers(&[(&otel[0], 1), (&otel[1], 2)])[&2], r#"host_name="ip-10-0-0-2""#);
        // Only an unusual label differs (a Docker Compose service): it is still used.
        let compose = [
            labels(&[("job", "kafka"), ("compose_service", "kafka-a")]),
            labels(&[("job", "kafka"), ("compose_service", "kafka-b")]),
        ];
        assert_eq!(broker_matchers(&[(&compose[0], 1), (&compose[1], 2)])[&1], r#"compose_service="kafka-a""#);
        // Two brokers sharing every label value: no matcher for either.
        let shared = [labels(&[("job", "kafka")]), labels(&[("job", "kafka")])];
        assert!(broker_matchers(&[(&shared[0], 1), (&shared[1], 2)]).is_empty());
    }

    #[test]
    fn kafka_services_are_told_from_their_neighbours() {
        for yes in ["kafka", "kafka/prod-kafka", "strimzi-kafka", "kafka-broker", "data/kafka-0"] {
            assert!(is_kafka_service(yes), "{yes}");
        }
        for no in [
            "kafka-exporter",
            "kafka-connect",
            "zookeeper",
            "cp-schema-registry",
            "kafka-ui",
            "shop/orders",
            "kafkacat",
        ] {
            assert!(!is_kafka_service(no), "{no}");
        }
    }

    #[test]
    fn peer_reports_concern_the_broker_they_name() {
        let taxonomy = Taxonomy::with_file(None).unwrap();
        // Hosts kafka-1..3 are brokers 0..2 (learned from their own lines); 0 and 1 lose broker 2.
        let streams = vec![
            stream(&[("job", "kafka"), ("host", "kafka-1")], &[
                (10, "[2024-03-01 00:00:10,000] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)"),
                (60, "[2024-03-01 00:01:00,000] WARN [ReplicaFetcher replicaId=0, leaderId=2, fetcherId=0] Connection to node 2 (kafka-3/10.0.0.3:9092) could not be established. Node may not be available. (org.apache.kafka.clients.NetworkClient)"),
                (90, "[2024-03-01 00:01:30,000] INFO [Partition orders-2 broker=0] Shrinking ISR from 0,1,2 to 0,1. Leader: (highWatermark: 5, endOffset: 9). Out of sync replicas: (brokerId: 2, endOffset: 5, lastCaughtUpTimeMs: 1). (kafka.cluster.Partition)"),
            ]),
            stream(&[("job", "kafka"), ("host", "kafka-2")], &[
                (11, "[2024-03-01 00:00:11,000] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)"),
                (61, "[2024-03-01 00:01:01,000] WARN [ReplicaFetcher replicaId=1, leaderId=2, fetcherId=0] Connection to node 2 (kafka-3/10.0.0.3:9092) could not be established. Node may not be available. (org.apache.kafka.clients.NetworkClient)"),
            ]),
        ];
        let mut ids = BrokerIds::default();
        for (l, id) in stream_ids(&streams, &ids) {
            ids.learn(l, id);
        }
        assert_eq!(ids.of_labels(&streams[0].labels), Some(0));
        let (signals, placements) = stream_signals(&streams, &taxonomy, &ids, None);
        let on = |class: &str, entity: &str| signals.iter().filter(|s| s.class == class && s.entity == entity).count();
        assert_eq!(on("connection_error", "broker:2") + on("fetcher_error", "broker:2"), 2, "{signals:#?}");
        assert_eq!(on("connection_error", "broker:0") + on("fetcher_error", "broker:0"), 0);
        assert_eq!(on("isr_shrink", "broker:2"), 1);
        assert_eq!(on("isr_shrink", "partition:orders-2"), 1);
        assert_eq!(placements.len(), 1);
        assert!(signals
            .iter()
            .filter(|s| s.entity == "broker:2" && s.class != "broker_unreachable")
            .all(|s| s.reported_by.is_some()));
        // Both peers lost broker 2: it is unreachable (and nobody else is).
        let unreachable: Vec<&str> =
            signals.iter().filter(|s| s.class == "broker_unreachable").map(|s| s.entity.as_str()).collect();
        assert_eq!(unreachable, ["broker:2"]);
    }
    #[test]
    fn a_broker_that_alone_loses_its_leaders_is_the_one_cut_off() {
        let taxonomy = Taxonomy::with_file(None).unwrap();
        let fetch = |me: i32, leader: i32, ts: i64| {
            (ts, format!("[2024-03-01 00:0{ts}:00,000] WARN [ReplicaFetcher replicaId={me}, leaderId={leader}, fetcherId=0] Connection to node {leader} (kafka-{leader}/10.0.0.{leader}:9092) could not be established. Node may not be available. (org.apache.kafka.clients.NetworkClient)"))
        };
        // Broker 3 fails to fetch from leaders 0 and 1; nobody else loses anyone.
        let lines = [fetch(3, 0, 1), fetch(3, 1, 2), fetch(3, 0, 3)];
        let lines: Vec<(i64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
        let streams = vec![
            stream(&[("job", "kafka"), ("host", "kafka-3")], &lines),
            stream(
                &[("job", "kafka"), ("host", "kafka-0")],
                &[(1, "[2024-03-01 00:00:01,000] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)")],
            ),
            stream(
                &[("job", "kafka"), ("host", "kafka-1")],
                &[(1, "[2024-03-01 00:00:01,000] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)")],
            ),
        ];
        let mut ids = BrokerIds::default();
        for (l, id) in stream_ids(&streams, &ids) {
            ids.learn(l, id);
        }
        let (signals, _) = stream_signals(&streams, &taxonomy, &ids, None);
        let unreachable: Vec<&str> =
            signals.iter().filter(|s| s.class == "broker_unreachable").map(|s| s.entity.as_str()).collect();
        assert_eq!(unreachable, ["broker:3"], "{signals:#?}");
        let about = |e: &str| signals.iter().filter(|s| s.entity == e && PEER_LOSS.contains(&s.class.as_str())).count();
        assert_eq!((about("broker:0"), about("broker:1"), about("broker:3")), (0, 0, 1), "{signals:#?}");
        // With a second broker also losing broker 0, broker 0 is the one in trouble, not 3.
        let mut streams = streams;
        streams[1] = stream(&[("job", "kafka"), ("host", "kafka-1")], &[(4, "[2024-03-01 00:04:00,000] WARN [ReplicaFetcher replicaId=1, leaderId=0, fetcherId=0] Connection to node 0 (kafka-0/10.0.0.0:9092) could not be established. Node may not be available. (org.apache.kafka.clients.NetworkClient)")]);
        let (signals, _) = stream_signals(&streams, &taxonomy, &ids, None);
        assert!(!signals.iter().any(|s| s.class == "broker_unreachable" && s.entity == "broker:3"), "{signals:#?}");
    }
    #[test]
    fn lines_far_apart_are_separate_episodes() {
        let min = 60 * 1_000_000_000i64;
        // A restart early in the window (two lines), then the incident twenty minutes later (three lines, out of order).
        let lines = vec![(21 * min, "c"), (min, "a"), (2 * min, "b"), (20 * min, "x"), (24 * min, "d")];
        let got: Vec<(i64, i64, u64, String)> = episodes(lines);
        assert_eq!(got, [(min, 2 * min, 2, "a".to_string()), (20 * min, 24 * min, 3, "x".to_string())]);
    }
}
