//! The Kafka log event taxonomy: which class a log entry belongs to (ISR shrink, out of disk space, ...).
//! The classes are data (`taxonomy.toml`, compiled in), extendable from `[loki] taxonomy_file`.

use crate::error::{Error, Result};
use regex::RegexSet;
use serde::{Deserialize, Serialize};
use std::path::Path;

const BUILT_IN: &str = include_str!("taxonomy.toml");

/// One event class as written in the taxonomy file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventClass {
    pub id: String,
    pub title: String,
    /// 0 routine .. 5 outage.
    pub severity: u8,
    #[serde(rename = "match")]
    pub patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    #[serde(default, rename = "class")]
    classes: Vec<EventClass>,
}

/// The compiled taxonomy: classes in priority order and one regex set over all their patterns.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    classes: Vec<EventClass>,
    set: RegexSet,
    /// For each regex of the set, the index of its class.
    owner: Vec<usize>,
}

impl Taxonomy {
    /// The built-in classes.
    pub fn built_in() -> Taxonomy {
        // The built-in file is tested below; failing here would be a build defect, not a runtime condition.
        Self::from_classes(parse(BUILT_IN, "the built-in taxonomy").unwrap_or_default())
            .unwrap_or_else(|_| Taxonomy::empty())
    }

    /// The built-in classes with those of `extra_file` tried first.
    pub fn with_file(extra_file: Option<&Path>) -> Result<Taxonomy> {
        let Some(path) = extra_file else { return Ok(Self::built_in()) };
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::bad_input("loki.taxonomy_file", format!("a readable TOML file ({}: {e})", path.display()))
        })?;
        let mut classes = parse(&text, &path.display().to_string())?;
        classes.extend(parse(BUILT_IN, "the built-in taxonomy")?);
        Self::from_classes(classes)
    }

    pub fn from_classes(classes: Vec<EventClass>) -> Result<Taxonomy> {
        let mut patterns = vec![];
        let mut owner = vec![];
        for (i, class) in classes.iter().enumerate() {
            for p in &class.patterns {
                patterns.push(format!("(?i){p}"));
                owner.push(i);
            }
        }
        let set = RegexSet::new(&patterns).map_err(|e| {
            Error::bad_input("loki.taxonomy_file", format!("valid regular expressions in `match` ({e})"))
        })?;
        Ok(Taxonomy { classes, set, owner })
    }

    fn empty() -> Taxonomy {
        Taxonomy { classes: vec![], set: RegexSet::empty(), owner: vec![] }
    }

    /// The class of a log entry's text, if any: the earliest class in file order with a matching pattern.
    pub fn classify(&self, text: &str) -> Option<&EventClass> {
        self.set.matches(text).iter().map(|i| self.owner[i]).min().map(|c| &self.classes[c])
    }

    /// The class of a log line, judged on its head: the first two lines (a message and the exception line
    /// under it; stack frames after that only add noise) and at most 1200 bytes. Every caller (summaries,
    /// exports, root-cause analysis) classifies lines through this, so a line gets one class everywhere.
    pub fn classify_line(&self, line: &str) -> Option<&EventClass> {
        let mut end = line.len().min(1200);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        let head = &line[..end];
        let head = match head.match_indices('\n').nth(1) {
            Some((i, _)) => &head[..i],
            None => head,
        };
        self.classify(head)
    }

    pub fn class(&self, id: &str) -> Option<&EventClass> {
        self.classes.iter().find(|c| c.id == id)
    }

    pub fn classes(&self) -> &[EventClass] {
        &self.classes
    }
}

fn parse(text: &str, source: &str) -> Result<Vec<EventClass>> {
    toml::from_str::<TaxonomyFile>(text).map(|f| f.classes).map_err(|e| {
        Error::bad_input(
            "loki.taxonomy_file",
            format!("the taxonomy format (`[[class]]` with id, title, severity, match) in {source}: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> Option<String> {
        Taxonomy::built_in().classify(text).map(|c| c.id.clone())
    }

    #[test]
    fn the_built_in_file_parses_and_ids_are_unique() {
        let classes = parse(BUILT_IN, "built-in").unwrap();
        assert!(classes.len() >= 20);
        let mut ids: Vec<&str> = classes.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), classes.len());
        assert_eq!(Taxonomy::built_in().classes().len(), classes.len());
    }

    #[test]
    fn classifies_real_kafka_broker_lines() {
        let cases = [
            ("ERROR Error while appending records to payments-3 in dir /var/lib/kafka/data (org.apache.kafka.storage.internals.log.LogDirFailureChannel)\njava.io.IOException: No space left on device", "out_of_space"),
            ("FATAL Shutdown broker because all log dirs in /var/lib/kafka/data have failed (kafka.log.LogManager)", "broker_stop"),
            ("WARN Stopping serving logs in dir /var/lib/kafka/data (kafka.log.LogManager)", "disk_error"),
            ("INFO [Partition orders-3 broker=1] Shrinking ISR from 1,2,3 to 1,3. Leader: (highWatermark: 5)", "isr_shrink"),
            ("INFO [Partition orders-3 broker=1] Expanding ISR from 1,3 to 1,3,2 (kafka.cluster.Partition)", "isr_expand"),
            ("INFO [Controller id=1 epoch=7] Changed partition orders-1 from OnlinePartition to OnlinePartition with state LeaderAndIsr(leader=3, leaderEpoch=28)", "leader_election"),
            ("ERROR [ReplicaFetcher replicaId=1, leaderId=2, fetcherId=0] Error for partition orders-1 at offset 415889655 (kafka.server.ReplicaFetcherThread)", "fetcher_error"),
            ("INFO [Controller id=1] Broker failure callback for 2 (kafka.controller.KafkaController)", "broker_lost"),
            ("INFO [Controller id=1] Newly added brokers: 2, deleted brokers: , bounced brokers: ", "broker_joined"),
            ("INFO [GroupCoordinator 3]: Member consumer-fraud-detector-3-5b56 in group fraud-detector has failed, removing it from the group", "member_timeout"),
            ("INFO [GroupCoordinator 3]: Preparing to rebalance group payment-service in state PreparingRebalance", "group_rebalance"),
            ("INFO [KafkaServer id=2] started (kafka.server.KafkaServer)", "broker_start"),
            ("WARN [LogLoader partition=orders-1, dir=/var/lib/kafka/data] Found a corrupted index file corresponding to log file", "log_recovery"),
            ("INFO [ZooKeeperClient Kafka server] Session expired. (kafka.zookeeper.ZooKeeperClient)", "session_expiry"),
            ("[GC pause (G1 Evacuation Pause) (young) 512M->128M(1024M), 0.2345 secs]", "gc_pause"),
            ("INFO [SocketServer listenerType=BROKER, nodeId=1] Failed authentication with /10.0.0.5 (Authentication failed: Invalid username or password)", "auth_failure"),
            ("WARN [Consumer clientId=c1, groupId=g1] Fetch position FetchPosition{offset=5} is out of range for partition orders-0, resetting offset", "offset_out_of_range"),
            ("ERROR org.apache.kafka.common.errors.TimeoutException: Expiring 12 record(s) for orders-0: 30001 ms has passed", "request_timeout"),
            ("INFO [Controller id=2] Resigned as the controller", "controller_change"),
            ("INFO [LocalLog partition=orders-1, dir=/d] Rolled new log segment at offset 5 in 2 ms.", "segment_roll"),
            // The texts of Apache Kafka's sources (trunk, 2024-10): KafkaController `info("Resigned")`,
            // QuorumController, Partition's ISR update below min ISR and its refused append, the new group
            // coordinator (KIP-848) fencing a member whose session expired, ReplicationControlManager.
            ("INFO [Controller id=2] Resigned (kafka.controller.KafkaController)", "controller_change"),
            ("WARN [QuorumController id=3000] Renouncing the leadership due to a metadata log event. We were the leader at epoch 7", "controller_change"),
            ("INFO [Partition orders-3 broker=1] ISR updated to 1 (under-min-isr) and version updated to 12 (kafka.cluster.Partition)", "under_min_isr"),
            ("INFO [Partition orders-3 broker=1] ISR updated to 1,2  and version updated to 13 (kafka.cluster.Partition)", "isr_update"),
            ("org.apache.kafka.common.errors.NotEnoughReplicasException: The size of the current ISR Set(1) is insufficient to satisfy the min.isr requirement of 2 for partition orders-3", "under_min_isr"),
            ("INFO [GroupCoordinator id=1 topic=__consumer_offsets partition=7] [GroupId payments] Member m-1 fenced from the group because the member session expired.", "member_timeout"),
            ("ERROR [QuorumController id=1] Triggering unclean leader election for offline partition orders-2.", "offline_partitions"),
        ];
        for (line, want) in cases {
            assert_eq!(id(line).as_deref(), Some(want), "{line}");
        }
        assert_eq!(id("INFO [GroupMetadataManager brokerId=1] Removed 0 expired offsets in 1 milliseconds."), None);
    }

    #[test]
    fn an_extra_file_is_tried_first_and_bad_files_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("extra.toml");
        std::fs::write(
            &path,
            "[[class]]\nid = \"probe\"\ntitle = \"Health probe\"\nseverity = 0\nmatch = ['InvalidReceiveException']\n",
        )
        .unwrap();
        let t = Taxonomy::with_file(Some(&path)).unwrap();
        assert_eq!(t.classify("InvalidReceiveException: Invalid receive").unwrap().id, "probe");
        assert!(t.class("isr_shrink").is_some());
        std::fs::write(&path, "[[class]]\nid = \"x\"\ntitle = \"x\"\nseverity = 1\nmatch = ['(unclosed']\n").unwrap();
        assert_eq!(Taxonomy::with_file(Some(&path)).unwrap_err().argument(), Some("loki.taxonomy_file"));
    }
}
