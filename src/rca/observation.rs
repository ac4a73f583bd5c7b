//! What an agent (or the live path) hands to the analysis: the cluster's entities and the signals seen on
//! them. This is the `observations` argument of `graph_rca`, so every field is documented for a model and
//! the shape stays flat: entities are referred to by short strings such as `broker:2` or `partition:orders-3`.

use crate::error::{Error, Result};
pub use crate::observe::time::TimeArg;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Entities of the cluster and the signals seen on them during the incident window.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Observations {
    /// The cluster: its name and current controller broker. Optional.
    #[serde(default)]
    pub cluster: Option<ClusterObs>,
    /// Brokers. Brokers named only by a signal or a partition are added automatically.
    #[serde(default)]
    pub brokers: Vec<BrokerObs>,
    /// Topics with their partitions (leader, replicas, ISR). Optional but needed for a blast radius.
    #[serde(default)]
    pub topics: Vec<TopicObs>,
    /// Consumer groups with the topics they consume and their member clients.
    #[serde(default)]
    pub groups: Vec<GroupObs>,
    /// Producer clients with the topics they write to.
    #[serde(default)]
    pub clients: Vec<ClientObs>,
    /// What was seen: metric states, log event classes and Kafka findings, each on the entity it concerns.
    #[serde(default)]
    pub signals: Vec<SignalObs>,
    /// How the brokers' log streams are labelled (filled by live sources, not an argument).
    #[serde(skip)]
    #[schemars(skip)]
    pub log_streams: Option<crate::rca::checks::LogStreams>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterObs {
    /// Cluster name, e.g. `prod-eu`. Default `cluster`.
    #[serde(default)]
    pub id: Option<String>,
    /// Broker id of the active controller, when known.
    #[serde(default)]
    pub controller: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerObs {
    /// Broker id.
    pub id: i32,
    /// host:port, when known.
    #[serde(default)]
    pub host: Option<String>,
    /// Rack, when known.
    #[serde(default)]
    pub rack: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicObs {
    /// Topic name.
    pub name: String,
    /// Partitions with their replica placement. May be empty.
    #[serde(default)]
    pub partitions: Vec<PartitionObs>,
    /// The topic's `min.insync.replicas`, when known (checked against the replication factor).
    #[serde(default)]
    pub min_insync_replicas: Option<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionObs {
    /// Partition number.
    pub id: i32,
    /// Leader broker id; absent or -1 means the partition is offline.
    #[serde(default)]
    pub leader: Option<i32>,
    /// Replica broker ids, preferred leader first.
    #[serde(default)]
    pub replicas: Vec<i32>,
    /// In-sync replica broker ids. Fewer than `replicas` means under-replicated.
    #[serde(default)]
    pub isr: Vec<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupObs {
    /// Consumer group id.
    pub id: String,
    /// Topics the group consumes.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Client ids of its members.
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientObs {
    /// Client id.
    pub id: String,
    /// Topics it produces to.
    #[serde(default)]
    pub produces_to: Vec<String>,
}

/// Where a signal comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    /// A metric state (prom_snapshot).
    #[default]
    Metric,
    /// A log event class (loki_query).
    Log,
    /// A finding from Kafka metadata or configuration (list_topics).
    Kafka,
}

/// One signal: a metric state with its time span and value, or a log event class with its count and
/// first/last seen, attached to the entity it concerns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalObs {
    /// The signal class, snake_case. Metric states (prom_snapshot): disk_full, broker_down,
    /// under_replicated, offline_partitions, under_min_isr, no_active_controller, isr_shrinking,
    /// gc_pressure, heap_pressure, latency_high, request_handlers_saturated, lag_growing, lag_drained; also
    /// controller_change, leader_election, network_errors, produce_throttled, partition_skew.
    /// Log event classes (loki_query): out_of_space, disk_error, log_dir_failure, broker_stop, broker_lost,
    /// connection_error, fetcher_error, session_expiry, isr_shrink, leader_election, gc_pause,
    /// member_timeout, group_rebalance, controller_change, not_enough_replicas.
    /// Kafka findings: low_replication_factor (derived from the topics given). Other classes are kept and
    /// shown, but no rule uses them.
    pub class: String,
    /// The entity the signal concerns: `cluster`, `broker:2`, `topic:orders`, `partition:orders-3`,
    /// `group:payments-svc` or `client:checkout-producer`. Unknown entities are added. Without it, `labels` say
    /// (no labels: the cluster).
    #[serde(default)]
    pub entity: String,
    /// metric (default), log or kafka.
    #[serde(default)]
    pub source: SignalSource,
    /// When the state began or the event class was first seen: RFC 3339, Unix seconds or milliseconds,
    /// or `now-15m`.
    /// Absent for static findings (a configuration).
    #[serde(default, alias = "first_seen")]
    pub start: Option<TimeArg>,
    /// When the state ended or the event class was last seen; absent if still ongoing.
    #[serde(default, alias = "last_seen")]
    pub end: Option<TimeArg>,
    /// The metric value that characterises the state (a peak or the last value).
    #[serde(default)]
    pub value: Option<f64>,
    /// How many log lines of this class were seen.
    #[serde(default)]
    pub count: Option<u64>,
    /// A short description or an example log line.
    #[serde(default)]
    pub detail: Option<String>,
    /// The entity that reported it, when different from the one it concerns (broker 1 logging that
    /// broker 2 is unreachable).
    #[serde(default)]
    pub reported_by: Option<String>,
    /// The labels of the series the state was seen on, as prom_snapshot gives them (`{"pod": "kafka-2"}`,
    /// `{"topic": "orders", "partition": "3"}`, `{"consumergroup": "billing"}`): without `entity`, they say
    /// which entity it concerns (a partition, group, client, broker by its `broker` label or host/pod name,
    /// or topic; else the cluster).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Kinds of entity in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Cluster,
    Broker,
    Topic,
    Partition,
    Group,
    Client,
}

impl EntityKind {
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Cluster => "cluster",
            EntityKind::Broker => "broker",
            EntityKind::Topic => "topic",
            EntityKind::Partition => "partition",
            EntityKind::Group => "group",
            EntityKind::Client => "client",
        }
    }
}

/// A parsed entity reference such as `partition:orders-3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityRef {
    Cluster,
    Broker(i32),
    Topic(String),
    Partition(String, i32),
    Group(String),
    Client(String),
}

const ENTITY_FORMS: &str = "`cluster`, `broker:ID`, `topic:NAME`, `partition:TOPIC-N`, `group:ID` or `client:ID`";

impl EntityRef {
    pub fn parse(text: &str, argument: &str) -> Result<EntityRef> {
        let text = text.trim();
        if text == "cluster" || text.starts_with("cluster:") {
            return Ok(EntityRef::Cluster);
        }
        let bad = || Error::bad_input(argument, format!("one of {ENTITY_FORMS}; got `{text}`"));
        let (kind, name) = text.split_once(':').ok_or_else(bad)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(bad());
        }
        Ok(match kind.trim() {
            "broker" => EntityRef::Broker(name.parse().map_err(|_| bad())?),
            "topic" => EntityRef::Topic(name.to_string()),
            "partition" => {
                let (topic, n) = name.rsplit_once('-').ok_or_else(bad)?;
                EntityRef::Partition(topic.to_string(), n.parse().map_err(|_| bad())?)
            }
            "group" => EntityRef::Group(name.to_string()),
            "client" => EntityRef::Client(name.to_string()),
            _ => return Err(bad()),
        })
    }

    pub fn kind(&self) -> EntityKind {
        match self {
            EntityRef::Cluster => EntityKind::Cluster,
            EntityRef::Broker(_) => EntityKind::Broker,
            EntityRef::Topic(_) => EntityKind::Topic,
            EntityRef::Partition(..) => EntityKind::Partition,
            EntityRef::Group(_) => EntityKind::Group,
            EntityRef::Client(_) => EntityKind::Client,
        }
    }
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityRef::Cluster => write!(f, "cluster"),
            EntityRef::Broker(id) => write!(f, "broker:{id}"),
            EntityRef::Topic(t) => write!(f, "topic:{t}"),
            EntityRef::Partition(t, p) => write!(f, "partition:{t}-{p}"),
            EntityRef::Group(g) => write!(f, "group:{g}"),
            EntityRef::Client(c) => write!(f, "client:{c}"),
        }
    }
}

/// Signal classes compare in one spelling: lower case, `_` between words.
pub fn normalize_class(class: &str) -> String {
    class.trim().to_ascii_lowercase().replace(['-', ' ', '.'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_references_parse_and_print_back() {
        for text in ["cluster", "broker:2", "topic:orders", "partition:orders-eu-3", "group:payments-svc", "client:c-1"]
        {
            assert_eq!(EntityRef::parse(text, "e").unwrap().to_string(), text);
        }
        assert_eq!(
            EntityRef::parse("partition:orders-eu-3", "e").unwrap(),
            EntityRef::Partition("orders-eu".into(), 3)
        );
        for bad in ["broker:x", "partition:orders", "host:1", "broker:", "orders"] {
            let err = EntityRef::parse(bad, "signals[0].entity").unwrap_err().to_string();
            assert!(err.contains("signals[0].entity") && err.contains("broker:ID"), "{err}");
        }
    }
}
