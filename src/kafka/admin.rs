//! Cluster metadata, watermarks, topic configs, and creating and deleting topics.

use super::client::unknown_topic;
use super::Kafka;
use crate::error::{Error, Result};
use crate::safety::Guard;
use rdkafka::admin::{AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PartitionInfo {
    pub id: i32,
    /// Broker id of the leader; -1 when the partition has none (offline).
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PartitionInfo {
    pub fn under_replicated(&self) -> bool {
        self.isr.len() < self.replicas.len()
    }
    pub fn offline(&self) -> bool {
        self.leader < 0
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: Vec<PartitionInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TopicInfo {
    pub fn replication_factor(&self) -> usize {
        self.partitions.iter().map(|p| p.replicas.len()).max().unwrap_or(0)
    }
    pub fn internal(&self) -> bool {
        self.name.starts_with("__")
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClusterInfo {
    pub cluster_id: Option<String>,
    pub controller_id: Option<i32>,
    pub brokers: Vec<BrokerInfo>,
    /// Sorted by name.
    pub topics: Vec<TopicInfo>,
}

impl ClusterInfo {
    pub fn topic(&self, name: &str) -> Result<&TopicInfo> {
        self.topics.iter().find(|t| t.name == name).ok_or_else(unknown_topic)
    }
}

fn code_text(code: rdkafka::types::RDKafkaRespErr) -> String {
    RDKafkaErrorCode::from(code).to_string()
}

fn cluster_from(md: &Metadata, cluster_id: Option<String>, controller_id: Option<i32>) -> ClusterInfo {
    let brokers =
        md.brokers().iter().map(|b| BrokerInfo { id: b.id(), host: b.host().to_string(), port: b.port() }).collect();
    let mut topics: Vec<TopicInfo> = md
        .topics()
        .iter()
        .map(|t| TopicInfo {
            name: t.name().to_string(),
            error: t.error().map(code_text),
            partitions: t
                .partitions()
                .iter()
                .map(|p| PartitionInfo {
                    id: p.id(),
                    leader: p.leader(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    error: p.error().map(code_text),
                })
                .collect(),
        })
        .collect();
    for t in &mut topics {
        t.partitions.sort_by_key(|p| p.id);
    }
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    ClusterInfo { cluster_id, controller_id, brokers, topics }
}

impl Kafka {
    /// Brokers, controller and every topic with its partitions (one metadata request for all topics, so
    /// no broker ever auto-creates a topic because we asked about it).
    pub async fn cluster(&self) -> Result<ClusterInfo> {
        let admin = self.admin()?;
        let timeout = self.timeout();
        let this = self.clone();
        self.blocking("metadata", timeout * 2, move || {
            let started = Instant::now();
            let client = admin.inner();
            let md = client.fetch_metadata(None, timeout).map_err(|e| this.map_err(e, "metadata", started))?;
            let left = timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(100));
            let cluster_id = client.fetch_cluster_id(left);
            // SAFETY: the pointer is the live client's; rd_kafka_controllerid only reads cached metadata.
            let controller = unsafe { rdkafka::bindings::rd_kafka_controllerid(client.native_ptr(), 100) };
            Ok(cluster_from(&md, cluster_id, (controller >= 0).then_some(controller)))
        })
        .await
    }

    /// One topic's metadata; an unknown topic is a bad `topic` argument.
    pub async fn topic(&self, name: &str) -> Result<TopicInfo> {
        let cluster = self.cluster().await?;
        cluster.topic(name).cloned()
    }

    /// (partition, low, high) of every partition of a topic.
    pub async fn watermarks(&self, topic: &str) -> Result<Vec<(i32, i64, i64)>> {
        let info = self.topic(topic).await?;
        let ids = info.partitions.iter().map(|p| p.id).collect();
        let mut all = self.watermarks_of(vec![(topic.to_string(), ids)]).await?;
        Ok(all.remove(topic).unwrap_or_default())
    }

    /// Watermarks of many topics' partitions in one blocking task, bounded by the request timeout overall.
    pub async fn watermarks_of(
        &self,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Result<BTreeMap<String, Vec<(i32, i64, i64)>>> {
        let admin = self.admin()?;
        let timeout = self.timeout();
        let this = self.clone();
        self.blocking("watermarks", timeout + Duration::from_secs(1), move || {
            let started = Instant::now();
            let mut out = BTreeMap::new();
            for (topic, partitions) in topics {
                let mut marks = vec![];
                for p in partitions {
                    let left = timeout.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(super::client::timed_out("watermarks", started.elapsed()));
                    }
                    let (low, high) = admin
                        .inner()
                        .fetch_watermarks(&topic, p, left)
                        .map_err(|e| this.map_err(e, "watermarks", started))?;
                    marks.push((p, low, high));
                }
                out.insert(topic, marks);
            }
            Ok(out)
        })
        .await
    }

    /// Topic configs as the broker reports them (some brokers return only explicitly set ones).
    pub async fn topic_configs(&self, topics: &[String]) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let admin = self.admin()?;
        let opts = AdminOptions::new().request_timeout(Some(self.timeout()));
        let started = Instant::now();
        let specs: Vec<ResourceSpecifier> = topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
        let results = self
            .bounded("describe configs", async {
                admin
                    .describe_configs(specs.iter(), &opts)
                    .await
                    .map_err(|e| self.map_err(e, "describe configs", started))
            })
            .await?;
        let mut out = BTreeMap::new();
        for (topic, result) in topics.iter().zip(results) {
            let entries = match result {
                Ok(resource) => resource
                    .entries
                    .into_iter()
                    .filter(|e| !e.is_sensitive)
                    .filter_map(|e| e.value.map(|v| (e.name, v)))
                    .collect(),
                Err(_) => BTreeMap::new(),
            };
            out.insert(topic.clone(), entries);
        }
        Ok(out)
    }

    pub async fn create_topic(
        &self,
        guard: &Guard,
        name: &str,
        partitions: i32,
        configs: &[(&str, &str)],
    ) -> Result<()> {
        guard.check_topic_write(name)?;
        if partitions < 1 {
            return Err(Error::bad_input("partitions", "at least 1"));
        }
        let admin = self.admin()?;
        let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        for (k, v) in configs {
            topic = topic.set(k, v);
        }
        let opts = AdminOptions::new().request_timeout(Some(self.timeout())).operation_timeout(Some(self.timeout()));
        let started = Instant::now();
        let results = self
            .bounded("create topic", async {
                admin.create_topics([&topic], &opts).await.map_err(|e| self.map_err(e, "create topic", started))
            })
            .await?;
        admin_result(results, "create topic")
    }

    pub async fn delete_topic(&self, guard: &Guard, name: &str) -> Result<()> {
        guard.check_topic_write(name)?;
        let admin = self.admin()?;
        let opts = AdminOptions::new().request_timeout(Some(self.timeout())).operation_timeout(Some(self.timeout()));
        let started = Instant::now();
        let results = self
            .bounded("delete topic", async {
                admin.delete_topics(&[name], &opts).await.map_err(|e| self.map_err(e, "delete topic", started))
            })
            .await?;
        admin_result(results, "delete topic")
    }
}

fn admin_result(results: Vec<rdkafka::admin::TopicResult>, what: &str) -> Result<()> {
    for r in results {
        if let Err((topic, code)) = r {
            return Err(match code {
                RDKafkaErrorCode::UnknownTopicOrPartition => unknown_topic(),
                RDKafkaErrorCode::TopicAlreadyExists => {
                    Error::bad_input("name", format!("a topic name not yet taken (`{topic}` exists)"))
                }
                RDKafkaErrorCode::InvalidTopic => {
                    Error::bad_input("name", format!("a valid topic name (`{topic}` is not)"))
                }
                other => Error::upstream(super::client::BACKEND, format!("{what} `{topic}`: {other}")),
            });
        }
    }
    Ok(())
}
