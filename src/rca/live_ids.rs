//! Which broker a series or a log stream belongs to, from observability data alone (no Kafka access):
//! a `broker` label when there is one; else the node id the broker writes into its own log lines
//! (`[KafkaServer id=2]`, `[Partition orders-3 broker=2]`, `[ReplicaFetcher replicaId=2, ...]`), learned
//! per stream and carried to the metrics by the host or pod the stream and the series share; else the
//! number a host or pod name ends with (`kafka-2`, `prod-kafka-02`, `my-cluster-kafka-2`).
//!
//! And which broker a log line is *about*: a line on broker 1 saying it cannot reach node 3 concerns
//! broker 3 (the subject), broker 1 only reports it.

use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Labels that name the machine or pod a series or stream comes from, most specific first.
const HOST_LABELS: [&str; 7] = ["pod", "host", "hostname", "instance", "persistentvolumeclaim", "node", "nodename"];

/// Host-ish label values mapped to broker ids learned from log lines.
#[derive(Debug, Default, Clone)]
pub struct BrokerIds {
    by_host: HashMap<String, i32>,
}

/// `kafka-2:7071` -> `kafka-2`; `kafka-2.kafka-headless.svc:9404` -> `kafka-2`; an IP address -> None.
pub fn host_of(value: &str) -> Option<&str> {
    let v = value.trim();
    let v = v.strip_prefix("http://").or_else(|| v.strip_prefix("https://")).unwrap_or(v);
    let v = v.split('/').next().unwrap_or(v);
    let host = match v.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => v,
    };
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    host.split('.').next().filter(|h| !h.is_empty())
}

/// The number a host, pod or volume-claim name ends with: `kafka-2` -> 2, `prod-kafka-02` -> 2.
pub fn trailing_number(name: &str) -> Option<i32> {
    let digits: String = name.chars().rev().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 6 || digits.len() == name.len() {
        return None;
    }
    digits.chars().rev().collect::<String>().parse().ok()
}

impl BrokerIds {
    /// Remembers that the stream with these labels is broker `id`.
    pub fn learn(&mut self, labels: &BTreeMap<String, String>, id: i32) {
        for l in HOST_LABELS {
            if let Some(h) = labels.get(l).and_then(|v| host_of(v)) {
                self.by_host.entry(h.to_string()).or_insert(id);
            }
        }
    }

    /// The broker a series or stream belongs to, from its labels.
    pub fn of_labels(&self, labels: &BTreeMap<String, String>) -> Option<i32> {
        if let Some(b) = labels.get("broker").or(labels.get("broker_id")).and_then(|b| b.trim().parse().ok()) {
            return Some(b);
        }
        for l in HOST_LABELS {
            let Some(h) = labels.get(l).and_then(|v| host_of(v)) else { continue };
            if let Some(&id) = self.by_host.get(h) {
                return Some(id);
            }
            // A volume claim is named after its pod (`data-0-my-cluster-kafka-2`).
            if let Some((_, &id)) =
                self.by_host.iter().find(|(k, _)| l == "persistentvolumeclaim" && h.ends_with(k.as_str()))
            {
                return Some(id);
            }
        }
        // Kubernetes node names and IPs do not say which broker: only pod-, host- and claim-like names do.
        ["pod", "host", "hostname", "instance", "persistentvolumeclaim"]
            .iter()
            .filter_map(|l| labels.get(*l).and_then(|v| host_of(v)))
            .find_map(trailing_number)
    }
}

/// The entity a series concerns, from its labels: a consumer group, a partition, a client (quota
/// metrics), a broker (its `broker` label or the host/pod it runs on), a topic, else the cluster.
pub fn entity_of_labels(l: &BTreeMap<String, String>, ids: &BrokerIds) -> String {
    // A group's lag per partition (kafka_exporter) is about the group's consumption.
    if let Some(g) = l.get("consumergroup").or(l.get("group")).filter(|g| !g.is_empty()) {
        return format!("group:{g}");
    }
    if let (Some(t), Some(p)) = (l.get("topic"), l.get("partition").and_then(|p| p.trim().parse::<i32>().ok())) {
        return format!("partition:{t}-{p}");
    }
    if let Some(c) = ["clientId", "client_id", "client"].iter().find_map(|k| l.get(*k)).filter(|c| !c.is_empty()) {
        return format!("client:{c}");
    }
    if let Some(b) = ids.of_labels(l) {
        return format!("broker:{b}");
    }
    if let Some(t) = l.get("topic").filter(|t| !t.is_empty()) {
        return format!("topic:{t}");
    }
    "cluster".into()
}

/// The node id a broker (or KRaft controller) writes about itself in a log line's context prefix.
pub fn self_id(line: &str) -> Option<i32> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(concat!(
                r"\[(?:KafkaServer|BrokerServer|ControllerServer|KafkaRaftServer|RaftManager|BrokerLifecycleManager|",
                r"Controller|QuorumController|ReplicaManager|ReplicaAlterLogDirsManager|BrokerToControllerChannelManager[^\]]*|",
                r"LogDirFailureHandler|SocketServer|TransactionCoordinator|KafkaApi|DynamicConfigPublisher[^\]]*|",
                r"ControllerRegistrationManager|MetadataLoader|SnapshotGenerator)\s+(?:id|brokerId|nodeId)=(\d+)",
                r"|\[Partition \S+ broker=(\d+)\]",
                r"|\[ReplicaFetcher replicaId=(\d+)",
                r"|\[GroupCoordinator (\d+)\]",
                r"|\[GroupMetadataManager brokerId=(\d+)\]",
                r"|\[Log partition=\S+, dir=[^\]]*\]\s.*?broker=(\d+)"
            ))
            .ok()
        })
        .as_ref()?;
    let c = re.captures(line)?;
    c.iter().skip(1).flatten().next().and_then(|m| m.as_str().parse().ok())
}

/// The broker a line is about when it names another node than the one logging it: peers' connection
/// failures and fetch errors (`Connection to node 3`, `leaderId=3`, `to node 3`), the controller's
/// view (`Broker failure callback for 3`, `deleted brokers: 3`, `Fencing broker 3`) and the replica an
/// ISR shrink drops (`Out of sync replicas: (brokerId: 3, ...)`). Negative ids are bootstrap addresses,
/// not brokers: `Some(None)` says the line is about no broker at all.
pub fn subject_broker(line: &str) -> Option<Option<i32>> {
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            r"Connection to node (-?\d+)",
            r"[Cc]onnection with node (-?\d+)",
            r"[Nn]ode (-?\d+) disconnected",
            r"due to node (-?\d+) being disconnected",
            r"(?:request|requests) to node (-?\d+)",
            r"from node (-?\d+)",
            r"\(id: (-?\d+) rack",
            r"leaderId=(\d+)",
            r"[Bb]roker failure callback for (\d+)",
            r"deleted brokers: (\d+)",
            r"[Ff]encing broker:? (\d+)",
            r"[Bb]roker (\d+) (?:is )?fenced",
            r"Out of sync replicas: \(brokerId: (\d+)",
            r"Out of sync replicas: \(replicaId: (\d+)",
        ]
        .into_iter()
        .filter_map(|r| Regex::new(r).ok())
        .collect()
    });
    let id: i32 = res.iter().find_map(|re| re.captures(line)).and_then(|c| c[1].parse().ok())?;
    Some((id >= 0).then_some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn broker_ids_come_from_whatever_labels_there_are() {
        let ids = BrokerIds::default();
        assert_eq!(ids.of_labels(&labels(&[("broker", "2"), ("instance", "kafka-7:7071")])), Some(2));
        assert_eq!(ids.of_labels(&labels(&[("instance", "kafka-2:7071")])), Some(2));
        assert_eq!(ids.of_labels(&labels(&[("instance", "prod-kafka-02.example.net:9100")])), Some(2));
        assert_eq!(ids.of_labels(&labels(&[("instance", "10.1.2.3:9404"), ("pod", "my-cluster-kafka-1")])), Some(1));
        assert_eq!(ids.of_labels(&labels(&[("instance", "10.1.2.3:9404"), ("node", "ip-10-1-2-3")])), None);
        assert_eq!(ids.of_labels(&labels(&[("job", "kafka")])), None);
        // Learned from log lines: hosts kafka-1..3 carrying broker ids 0..2.
        let mut ids = BrokerIds::default();
        ids.learn(&labels(&[("host", "kafka-1"), ("job", "kafka")]), 0);
        ids.learn(&labels(&[("pod", "c-kafka-1")]), 0);
        assert_eq!(ids.of_labels(&labels(&[("instance", "kafka-1:7071")])), Some(0));
        assert_eq!(ids.of_labels(&labels(&[("persistentvolumeclaim", "data-0-c-kafka-1")])), Some(0));
    }

    #[test]
    fn lines_name_their_writer_and_their_subject() {
        let fetch = "[2024-03-01 00:31:02,114] WARN [ReplicaFetcher replicaId=1, leaderId=3, fetcherId=0] Error in response for fetch request (type=FetchRequest, replicaId=1, leaderId=3)";
        assert_eq!(self_id(fetch), Some(1));
        assert_eq!(subject_broker(fetch), Some(Some(3)));
        let shrink = "INFO [Partition orders-3 broker=1] Shrinking ISR from 1,2,3 to 1,2. Leader: (highWatermark: 5, endOffset: 9). Out of sync replicas: (brokerId: 3, endOffset: 5, lastCaughtUpTimeMs: 1)";
        assert_eq!(self_id(shrink), Some(1));
        assert_eq!(subject_broker(shrink), Some(Some(3)));
        assert_eq!(self_id("INFO [KafkaServer id=2] started (kafka.server.KafkaServer)"), Some(2));
        assert_eq!(self_id("INFO [BrokerLifecycleManager id=4] Successfully registered"), Some(4));
        assert_eq!(
            subject_broker("INFO [Controller id=1] Broker failure callback for 3 (kafka.controller.KafkaController)"),
            Some(Some(3))
        );
        assert_eq!(subject_broker("WARN [AdminClient clientId=ops] Connection to node -1 (old-kafka/10.0.0.9:9092) could not be established."), Some(None));
        assert_eq!(subject_broker("INFO Rolled new log segment at offset 5"), None);
    }
}
