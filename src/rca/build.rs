//! Building the incident graph from observations: entities and placement edges, signals attached to what
//! they concern, findings derived from the metadata itself (offline and under-replicated partitions,
//! too few replicas), and `precedes` edges between signals that follow each other closely in time.

use super::graph::{Edge, EdgeKind, Graph, Node, Placement, Signal};
use super::live_ids::{entity_of_labels, BrokerIds};
use super::observation::{normalize_class, EntityRef, Observations, SignalSource, TimeArg};
use crate::error::Result;
use crate::observe::time::parse_time;
use std::collections::HashSet;

/// A signal precedes at most this many of the signals that begin after it...
const PRECEDES_FANOUT: usize = 3;
/// ...and only those that begin within this time after it.
const PRECEDES_HORIZON_MS: i64 = 15 * 60 * 1000;

pub fn from_observations(obs: &Observations) -> Result<Graph> {
    let name = obs.cluster.as_ref().and_then(|c| c.id.clone()).unwrap_or_else(|| "cluster".into());
    let mut g = Graph::new(name);
    g.controller = obs.cluster.as_ref().and_then(|c| c.controller);
    g.log_streams = obs.log_streams.clone();
    if let Some(c) = g.controller {
        g.entity(&EntityRef::Broker(c));
    }
    for b in &obs.brokers {
        g.entity(&EntityRef::Broker(b.id));
    }
    for t in &obs.topics {
        g.entity(&EntityRef::Topic(t.name.clone()));
        for p in &t.partitions {
            let pi = g.entity(&EntityRef::Partition(t.name.clone(), p.id));
            let leader = p.leader.filter(|l| *l >= 0);
            if let Some(l) = leader {
                let b = g.entity(&EntityRef::Broker(l));
                g.link(b, pi, EdgeKind::Leads);
            }
            for r in &p.replicas {
                let b = g.entity(&EntityRef::Broker(*r));
                g.link(b, pi, EdgeKind::ReplicaOf);
            }
            for r in &p.isr {
                let b = g.entity(&EntityRef::Broker(*r));
                g.link(b, pi, EdgeKind::InIsrOf);
            }
            g.placements.insert(pi, Placement { leader, replicas: p.replicas.clone(), isr: p.isr.clone() });
        }
    }
    for grp in &obs.groups {
        let gi = g.entity(&EntityRef::Group(grp.id.clone()));
        for t in &grp.topics {
            let ti = g.entity(&EntityRef::Topic(t.clone()));
            g.link(gi, ti, EdgeKind::Consumes);
        }
        for m in &grp.members {
            let ci = g.entity(&EntityRef::Client(m.clone()));
            g.link(ci, gi, EdgeKind::MemberOf);
        }
    }
    for c in &obs.clients {
        let ci = g.entity(&EntityRef::Client(c.id.clone()));
        for t in &c.produces_to {
            let ti = g.entity(&EntityRef::Topic(t.clone()));
            g.link(ci, ti, EdgeKind::ProducesTo);
        }
    }
    let now = chrono::Utc::now();
    let ids = broker_ids(obs);
    for (i, s) in obs.signals.iter().enumerate() {
        let at = |field: &str| format!("observations.signals[{i}].{field}");
        // Without an entity, the series' labels say (none: a cluster-wide series such as a sum).
        let entity = match s.entity.trim() {
            "" => EntityRef::parse(&entity_of_labels(&s.labels, &ids), &at("labels"))?,
            text => EntityRef::parse(text, &at("entity"))?,
        };
        let entity = g.entity(&entity);
        let reported_by = match &s.reported_by {
            Some(r) => Some(g.entity(&EntityRef::parse(r, &at("reported_by"))?)),
            None => None,
        };
        let ms = |t: &TimeArg, field: &str| parse_time(&at(field), t, now).map(|t| t.timestamp_millis());
        let start_ms = s.start.as_ref().map(|t| ms(t, "start")).transpose()?;
        let end_ms = s.end.as_ref().map(|t| ms(t, "end")).transpose()?;
        g.add_signal(Signal {
            class: client_side(normalize_class(&s.class), s.detail.as_deref()),
            source: s.source,
            entity,
            reported_by,
            start_ms,
            end_ms,
            value: s.value,
            count: s.count,
            detail: s.detail.clone(),
        });
    }
    derive_metadata_findings(&mut g, obs);
    link_precedence(&mut g);
    g.finish();
    Ok(g)
}

/// How close to the window's edges a metric state must reach to have held across it: about one sample.
const EDGE_MS: i64 = 60_000;

/// Metric states an agent copied from prom_snapshot that held from the window's first sample to its end are
/// standing conditions (a replication factor, a volume full since before), as a live analysis reads them:
/// their onset is unknown, not the window's start. Their `start` is dropped.
pub fn mark_standing(obs: &mut Observations, (start, end): (i64, i64)) {
    let now = chrono::Utc::now();
    let ms = |t: &Option<TimeArg>| t.as_ref().and_then(|t| parse_time("", t, now).ok()).map(|t| t.timestamp_millis());
    for s in obs.signals.iter_mut().filter(|s| s.source == SignalSource::Metric) {
        if ms(&s.start).is_some_and(|t| t <= start + EDGE_MS) && ms(&s.end).is_none_or(|t| t >= end - EDGE_MS) {
            s.start = None;
        }
    }
}

/// Broker ids by the host names the brokers were given with (`kafka-2.kafka-headless:9092`), for signals
/// that name their entity by labels.
fn broker_ids(obs: &Observations) -> BrokerIds {
    let mut ids = BrokerIds::default();
    for b in &obs.brokers {
        if let Some(host) = &b.host {
            ids.learn(&[("host".to_string(), host.clone())].into_iter().collect(), b.id);
        }
    }
    ids
}

/// A broker's SocketServer logging a client's connection (`Unexpected error from /10.1.2.3 ...; closing
/// connection`, `Failed authentication with /10.1.2.3`) says nothing of the broker's reachability from its peers:
/// such a connection error is kept as `client_connection_error`, which no rule reads (the live path drops them).
fn client_side(class: String, detail: Option<&str>) -> String {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| {
            regex::Regex::new(r"(?:Unexpected error from|Failed authentication with|Failed to send SSL Close to) /\S")
                .ok()
        })
        .as_ref()
    else {
        return class;
    };
    match detail {
        Some(d) if class == "connection_error" && re.is_match(d) => "client_connection_error".into(),
        _ => class,
    }
}

/// Findings the metadata shows by itself, unless a caller already reported the same class on the entity.
fn derive_metadata_findings(g: &mut Graph, obs: &Observations) {
    let given: HashSet<(String, usize)> = g.signals.iter().map(|s| (s.class.clone(), s.entity)).collect();
    let mut found: Vec<(usize, &str, String)> = vec![];
    let mut placements: Vec<(usize, Placement)> = g.placements.iter().map(|(k, v)| (*k, v.clone())).collect();
    placements.sort_by_key(|(k, _)| *k);
    for (pi, p) in &placements {
        if p.leader.is_none() && !p.replicas.is_empty() {
            found.push((*pi, "offline_partitions", "no leader in the metadata".into()));
        }
        if p.isr.len() < p.replicas.len() {
            found.push((*pi, "under_replicated", format!("ISR {:?} of replicas {:?}", p.isr, p.replicas)));
        }
    }
    for t in &obs.topics {
        let rf = t.partitions.iter().map(|p| p.replicas.len()).max().unwrap_or(0);
        let Some(ti) = g.find(&EntityRef::Topic(t.name.clone())) else { continue };
        if rf == 1 {
            found.push((
                ti,
                "low_replication_factor",
                "replication factor 1: any broker loss takes partitions offline".into(),
            ));
        } else if let Some(min) = t.min_insync_replicas.filter(|m| rf > 0 && *m as usize >= rf) {
            found.push((
                ti,
                "low_replication_factor",
                format!("min.insync.replicas {min} >= replication factor {rf}: one broker down stops acks=all writes"),
            ));
        }
    }
    for (entity, class, detail) in found {
        if !given.contains(&(class.to_string(), entity)) {
            g.add_signal(Signal {
                class: class.into(),
                source: SignalSource::Kafka,
                entity,
                reported_by: None,
                start_ms: None,
                end_ms: None,
                value: None,
                count: None,
                detail: Some(detail),
            });
        }
    }
}

/// `precedes` edges: each timed signal to the next few that begin after it, within the horizon.
fn link_precedence(g: &mut Graph) {
    let mut timed: Vec<(i64, usize)> =
        g.signals.iter().enumerate().filter_map(|(i, s)| s.start_ms.map(|t| (t, i))).collect();
    timed.sort_unstable();
    for (k, &(t, a)) in timed.iter().enumerate() {
        let later = timed[k + 1..].iter().filter(|(u, _)| *u > t).take_while(|(u, _)| u - t <= PRECEDES_HORIZON_MS);
        for &(_, b) in later.take(PRECEDES_FANOUT) {
            g.edges.push(Edge { from: Node::Signal(a), to: Node::Signal(b), kind: EdgeKind::Precedes });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obs(v: serde_json::Value) -> Observations {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn entities_edges_and_derived_findings() {
        let g = from_observations(&obs(json!({
            "cluster": {"id": "prod-eu", "controller": 1},
            "topics": [{"name": "orders", "partitions": [
                {"id": 0, "leader": 1, "replicas": [1, 2, 3], "isr": [1, 3]},
                {"id": 1, "leader": -1, "replicas": [2], "isr": []}]}],
            "groups": [{"id": "payments-svc", "topics": ["orders"], "members": ["c1"]}],
            "signals": [
                {"class": "Disk-Full", "entity": "broker:2", "start": "2024-01-15T03:00:00Z"},
                {"class": "isr_shrink", "entity": "partition:orders-0", "start": "2024-01-15T03:00:30Z", "reported_by": "broker:1"}]
        })))
        .unwrap();
        let b2 = g.find(&EntityRef::Broker(2)).unwrap();
        let p0 = g.find(&EntityRef::Partition("orders".into(), 0)).unwrap();
        let p1 = g.find(&EntityRef::Partition("orders".into(), 1)).unwrap();
        assert_eq!(g.targets(b2, EdgeKind::ReplicaOf), &[p0, p1]);
        assert_eq!(g.sources(p0, EdgeKind::InIsrOf).len(), 2);
        assert_eq!(g.topic_of(p1), g.find(&EntityRef::Topic("orders".into())));
        let classes: Vec<&str> = g.signals.iter().map(|s| s.class.as_str()).collect();
        assert_eq!(classes[..2], ["disk_full", "isr_shrink"]);
        assert!(classes.contains(&"offline_partitions") && classes.contains(&"under_replicated"));
        assert_eq!(g.signals_on(b2), &[0]);
        let precedes: Vec<&Edge> = g.edges.iter().filter(|e| e.kind == EdgeKind::Precedes).collect();
        assert_eq!(precedes.len(), 1);
        assert_eq!((precedes[0].from, precedes[0].to), (Node::Signal(0), Node::Signal(1)));
    }

    #[test]
    fn a_clients_connection_to_a_broker_is_not_about_the_broker() {
        let g = from_observations(&obs(json!({"signals": [
            {"class": "connection_error", "entity": "broker:1", "source": "log",
             "detail": "[2024-03-05 15:03:29,134] WARN [SocketServer listenerType=BROKER, nodeId=1] Unexpected error from /10.131.56.134 (channelId=10.42.7.147:9092-10.131.56.134:33528-120); closing connection"},
            {"class": "connection_error", "entity": "broker:3", "source": "log", "reported_by": "broker:1",
             "detail": "WARN [ReplicaFetcher replicaId=1, leaderId=3, fetcherId=0] Connection to node 3 (kafka-3/10.0.0.3:9092) could not be established."}]})))
        .unwrap();
        let classes: Vec<&str> = g.signals.iter().map(|s| s.class.as_str()).collect();
        assert_eq!(classes, ["client_connection_error", "connection_error"]);
    }

    #[test]
    fn bad_signals_name_their_position() {
        let err = from_observations(&obs(json!({"signals": [
            {"class": "disk_full", "entity": "broker:2"},
            {"class": "disk_full", "entity": "node 2"}]})))
        .unwrap_err()
        .to_string();
        assert!(err.contains("observations.signals[1].entity"), "{err}");
    }
    #[test]
    fn signals_without_an_entity_are_placed_by_their_series_labels() {
        let g = from_observations(&obs(json!({
            "brokers": [{"id": 7, "host": "kafka-eu-west.internal:9092"}],
            "signals": [
                {"class": "gc_pressure", "labels": {"instance": "10.42.2.17:9404", "pod": "kafka-2"}},
                {"class": "lag_growing", "labels": {"consumergroup": "billing", "topic": "orders", "partition": "3"}},
                {"class": "under_replicated", "labels": {"topic": "orders", "partition": "1"}},
                {"class": "disk_full", "labels": {"instance": "kafka-eu-west.internal:11001"}},
                {"class": "produce_throttled", "labels": {"client_id": "checkout", "instance": "kafka-1:7071"}},
                {"class": "offline_partitions", "labels": {}},
                {"class": "heap_pressure", "entity": "broker:4", "labels": {"pod": "kafka-2"}}]
        })))
        .unwrap();
        let on: Vec<String> = g.signals.iter().take(7).map(|s| g.name(s.entity)).collect();
        assert_eq!(
            on,
            ["broker:2", "group:billing", "partition:orders-1", "broker:7", "client:checkout", "cluster", "broker:4"]
        );
    }

    #[test]
    fn metric_states_held_across_the_window_are_standing() {
        let mut o = obs(json!({"signals": [
            {"class": "single_isr", "entity": "topic:a", "start": "2024-03-02T03:00:00Z"},
            {"class": "single_isr", "entity": "topic:b", "start": "2024-03-02T03:00:30Z", "end": "2024-03-02T04:10:00Z"},
            {"class": "single_isr", "entity": "topic:c", "start": "2024-03-02T03:00:00Z", "end": "2024-03-02T03:20:00Z"},
            {"class": "offline_partitions", "entity": "topic:d", "start": "2024-03-02T03:36:00Z"},
            {"class": "broker_stop", "entity": "broker:1", "source": "log", "start": "2024-03-02T03:00:00Z"}]}));
        let ms = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis();
        mark_standing(&mut o, (ms("2024-03-02T03:00:00Z"), ms("2024-03-02T04:10:00Z")));
        let started: Vec<bool> = o.signals.iter().map(|s| s.start.is_some()).collect();
        // Held all window (ongoing, or to its end): standing. Over before the end, begun later, or a log line: timed.
        assert_eq!(started, [false, false, true, true, true]);
    }
}
