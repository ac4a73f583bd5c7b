//! Observations fetched live for a window: metric states from the Kafka presets of prom_snapshot (each
//! state span on the broker, topic or group its series is labelled with), log event classes from Loki
//! (each attached to the broker or partition the lines concern, reported by the broker that logged them),
//! then the cluster's placement and consumer groups from Kafka (live_kafka).

use super::observation::{EntityRef, Observations, PartitionObs, SignalObs, SignalSource, TimeArg, TopicObs};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::observe::loki::{summarise, Direction, LogPattern, LokiData, RangeQuery, SummaryOptions, Taxonomy};
use crate::observe::prom::analyse;
use crate::observe::prom::catalog::Filters;
use crate::observe::series::{choose_step, Series};
use crate::observe::time::TimeWindow;
use regex::Regex;
use std::sync::OnceLock;

/// The presets whose states feed the analysis.
const PRESETS: [&str; 5] = ["broker_health", "replication", "consumer_lag", "jvm_gc", "request_latency"];
/// Points per series when fetching metrics for the analysis.
const MAX_POINTS: usize = 240;
/// Log lines read (Loki's usual cap).
const LOG_LIMIT: usize = 5000;
/// Example lines kept per pattern: each may name another partition or broker.
const EXAMPLES: usize = 64;

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
    if cfg.prometheus.url.is_some() {
        cx.progress.report(0, Some(3), "reading metric states from Prometheus").await;
        let catalog = &cx.state.catalog;
        let client = cx.state.prometheus()?;
        let secs = window.duration().num_milliseconds() as f64 / 1000.0;
        let step = choose_step(secs, MAX_POINTS);
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
                    obs.signals.extend(metric_signals(
                        &series,
                        &analyse(&series, std::slice::from_ref(&rule), 0).states,
                        &q.expr,
                    ));
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
        let query = match broker {
            Some(b) => format!("{{job=\"kafka\", broker=\"{b}\"}}"),
            None => "{job=\"kafka\"}".to_string(),
        };
        let q = RangeQuery { query, window: *window, limit: LOG_LIMIT, direction: Direction::Forward, step_secs: None };
        if let (LokiData::Streams(streams), _) = client.query_range(&q).await? {
            let lines: usize = streams.iter().map(|s| s.entries.len()).sum();
            if lines >= LOG_LIMIT {
                notes.push(format!("Loki returned the first {LOG_LIMIT} lines of the window only; pass a narrower window or focus.broker"));
            }
            let summary = summarise(
                &streams,
                taxonomy,
                &SummaryOptions { max_patterns: 500, examples_per_pattern: EXAMPLES, example_chars: 300 },
            );
            for p in &summary.patterns {
                obs.signals.extend(log_signals(p, taxonomy));
                for line in &p.examples {
                    add_placement(&mut obs, line);
                }
            }
        }
    } else {
        notes.push("Loki is not configured: no log events".into());
    }
    cx.check_cancelled()?;
    cx.progress.report(2, Some(3), "reading the cluster's metadata and consumer groups from Kafka").await;
    notes.extend(super::live_kafka::add_metadata(cx, &mut obs, around.topic, window.end.timestamp_millis()).await);
    Ok(Live { observations: obs, notes })
}

/// The entity a series concerns, from its labels.
fn series_entity(series: &Series) -> String {
    let l = &series.labels;
    if let (Some(t), Some(p)) = (l.get("topic"), l.get("partition")) {
        return EntityRef::Partition(t.clone(), p.parse().unwrap_or(0)).to_string();
    }
    if let Some(g) = l.get("consumergroup").or(l.get("group")) {
        return format!("group:{g}");
    }
    if let Some(b) = l.get("broker").and_then(|b| b.parse::<i32>().ok()) {
        return format!("broker:{b}");
    }
    if let Some(t) = l.get("topic") {
        return format!("topic:{t}");
    }
    "cluster".into()
}

fn metric_signals(series: &Series, states: &[crate::observe::prom::StateSpan], expr: &str) -> Vec<SignalObs> {
    states
        .iter()
        .map(|s| SignalObs {
            class: s.state.clone(),
            entity: series_entity(series),
            source: SignalSource::Metric,
            start: Some(TimeArg::Number(s.from.timestamp_millis() as f64)),
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

/// One signal per entity the pattern's lines concern (the pattern's count and times when it is one).
fn log_signals(p: &LogPattern, taxonomy: &Taxonomy) -> Vec<SignalObs> {
    let Some(class) = p.class.as_ref() else { return vec![] };
    if taxonomy.class(class).map(|c| c.severity).unwrap_or(0) < MIN_SEVERITY {
        return vec![];
    }
    let reporter = p.sources.first().and_then(|s| s.parse::<i32>().ok()).map(|b| format!("broker:{b}"));
    let mut concerns: Vec<(String, &str)> = vec![];
    for line in p.examples.iter().map(String::as_str).chain(p.examples.is_empty().then_some(p.pattern.as_str())) {
        let entity = concerned(line).or_else(|| reporter.clone()).unwrap_or_else(|| "cluster".into());
        if !concerns.iter().any(|(e, _)| *e == entity) {
            concerns.push((entity, line));
        }
    }
    let single = concerns.len() == 1;
    concerns
        .into_iter()
        .map(|(entity, line)| SignalObs {
            class: class.clone(),
            reported_by: reporter.clone().filter(|r| *r != entity),
            entity,
            source: SignalSource::Log,
            start: Some(TimeArg::Number(p.first.timestamp_millis() as f64)),
            end: Some(TimeArg::Number(p.last.timestamp_millis() as f64)),
            value: None,
            count: Some(if single { p.count as u64 } else { 1 }),
            detail: Some(line.to_string()),
        })
        .collect()
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

/// The broker or partition a log line is about, when it names another one than the one logging it.
fn concerned(line: &str) -> Option<String> {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            (r"Connection to node (\d+)", "broker"),
            (r"leaderId=(\d+)", "broker"),
            (r"deleted brokers: (\d+)", "broker"),
            (r"[Bb]roker failure callback for (\d+)", "broker"),
            (r"Connection to \S+ \(id: (\d+)", "broker"),
            (r"\[Partition ([\w.-]+-\d+) broker=", "partition"),
        ]
        .into_iter()
        .filter_map(|(re, kind)| Regex::new(re).ok().map(|r| (r, kind)))
        .collect()
    });
    patterns.iter().find_map(|(re, kind)| re.captures(line).map(|c| format!("{kind}:{}", &c[1])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_name_the_entity_they_concern() {
        assert_eq!(
            concerned("[ReplicaFetcher replicaId=1, leaderId=2, fetcherId=0] Error for partition orders-1").as_deref(),
            Some("broker:2")
        );
        assert_eq!(
            concerned("Connection to node 2 (kafka-2/10.20.1.12:9092) could not be established").as_deref(),
            Some("broker:2")
        );
        assert_eq!(
            concerned("[Partition orders-3 broker=1] Shrinking ISR from 1,2,3 to 1,3.").as_deref(),
            Some("partition:orders-3")
        );
        assert_eq!(concerned("Rolled new log segment"), None);
    }
}
