//! The cluster's shape for a live analysis, from Kafka: brokers, topics with each partition's leader,
//! replicas and ISR, `min.insync.replicas`, and the consumer groups with committed offsets on them. This
//! gives the graph its hosts/leads/replica_of/in_isr_of/consumes edges, so a broker's blast radius names
//! the topics and groups it really serves. Bounded (topics named by the signals or the focus first), and
//! never fatal: what Kafka could not give becomes a note.

use super::observation::{BrokerObs, ClusterObs, EntityRef, GroupObs, Observations, PartitionObs, TopicObs};
use crate::context::CallContext;
use crate::kafka::{ClusterInfo, GroupLag, Kafka};
use std::collections::{BTreeMap, BTreeSet};

/// Most topics put in the graph...
pub const MAX_TOPICS: usize = 50;
/// ...and most partitions over all of them (each costs a watermark request when groups are read).
pub const MAX_PARTITIONS: usize = 1000;
/// A window that ended longer ago than this is not what the metadata (read now) describes.
const STALE_AFTER_MS: i64 = 10 * 60 * 1000;

/// Adds Kafka's view of the cluster to `obs`. `focus_topic` and the topics the signals name are kept
/// first when the cluster has more than the bounds. Returns the notes on what was not read.
pub async fn add_metadata(
    cx: &CallContext,
    obs: &mut Observations,
    focus_topic: Option<&str>,
    window_end_ms: i64,
) -> Vec<String> {
    if cx.config().kafka.bootstrap_servers.trim().is_empty() {
        return vec![format!(
            "Kafka is not configured, so its metadata was not read: brokers, partitions and groups come from the signals' labels and the blast radius lists only entities with signals ({})",
            crate::config::Backend::Kafka.how_to_configure()
        )];
    }
    let kafka = &cx.state.kafka;
    let cluster = match kafka.cluster().await {
        Ok(c) => c,
        Err(e) => {
            return vec![format!(
                "Kafka metadata could not be read ({e}): brokers, partitions and groups come from the signals' labels"
            )]
        }
    };
    let mut notes = vec![];
    if chrono::Utc::now().timestamp_millis() - window_end_ms > STALE_AFTER_MS {
        notes.push("Kafka metadata is the cluster's placement now, not during the window (partitions named by ISR-shrink log lines keep the window's)".to_string());
    }
    let (topics, cut) = select_topics(&cluster, &wanted_topics(obs, focus_topic), MAX_TOPICS, MAX_PARTITIONS);
    notes.extend(cut);
    add_cluster(obs, &cluster);
    let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
    let mut topics = topics;
    match kafka.topic_configs(&names).await {
        Ok(configs) => set_min_isr(&mut topics, &configs),
        Err(e) => notes.push(format!("topic configs could not be read ({e}): min.insync.replicas is unknown")),
    }
    match consumer_groups(kafka, &topics).await {
        Ok((groups, skipped)) => {
            if skipped > 0 {
                notes.push(format!(
                    "{skipped} consumer group(s) were not read (at most {} per call, within the time limit)",
                    crate::kafka::groups::MAX_GROUPS
                ));
            }
            merge_groups(obs, groups);
        }
        Err(e) => notes.push(format!("consumer groups could not be read ({e}): the graph has no consumes edges")),
    }
    merge_topics(obs, topics);
    notes
}

/// Groups with committed offsets on the selected topics, and how many groups were left unread.
async fn consumer_groups(kafka: &Kafka, topics: &[TopicObs]) -> crate::error::Result<(Vec<GroupObs>, usize)> {
    let partitions = topics.iter().map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.id).collect())).collect();
    let marks = kafka.watermarks_of(partitions).await?;
    let lags = kafka.group_lags(marks).await?;
    Ok((groups_of(&lags.lags), lags.groups_skipped))
}

/// Topics the focus and the signals (or log placements) name: kept first.
fn wanted_topics(obs: &Observations, focus_topic: Option<&str>) -> BTreeSet<String> {
    let mut wanted: BTreeSet<String> = obs.topics.iter().map(|t| t.name.clone()).collect();
    wanted.extend(focus_topic.map(str::to_string));
    for s in &obs.signals {
        if let Ok(EntityRef::Topic(t) | EntityRef::Partition(t, _)) = EntityRef::parse(&s.entity, "entity") {
            wanted.insert(t);
        }
    }
    wanted
}

/// The topics to put in the graph: wanted ones first, then the others by name with internal (`__`) ones
/// last, within `max_topics` and `max_partitions`; and a note saying what was left out. Pure.
pub fn select_topics(
    cluster: &ClusterInfo,
    wanted: &BTreeSet<String>,
    max_topics: usize,
    max_partitions: usize,
) -> (Vec<TopicObs>, Option<String>) {
    let mut order: Vec<_> = cluster.topics.iter().filter(|t| t.error.is_none()).collect();
    order.sort_by_key(|t| (!wanted.contains(&t.name), t.internal(), t.name.clone()));
    let total_partitions: usize = order.iter().map(|t| t.partitions.len()).sum();
    let mut kept = vec![];
    let mut used = 0;
    for t in &order {
        let room = max_partitions.saturating_sub(used);
        if kept.len() == max_topics || room == 0 {
            break;
        }
        let partitions: Vec<PartitionObs> = t
            .partitions
            .iter()
            .take(room)
            .map(|p| PartitionObs {
                id: p.id,
                leader: Some(p.leader),
                replicas: p.replicas.clone(),
                isr: p.isr.clone(),
            })
            .collect();
        used += partitions.len();
        kept.push(TopicObs { name: t.name.clone(), partitions, min_insync_replicas: None });
    }
    let cut = (kept.len() < order.len() || used < total_partitions).then(|| {
        format!(
            "Kafka has {} topics and {total_partitions} partitions; the graph holds {} topics and {used} partitions (at most {max_topics} and {max_partitions}): topics named by the signals or focus.topic first, then by name. Pass focus.topic to include a given topic",
            order.len(),
            kept.len()
        )
    });
    (kept, cut)
}

/// One entry per group, with the topics it committed offsets on. Pure.
pub fn groups_of(lags: &[GroupLag]) -> Vec<GroupObs> {
    let mut by_group: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for l in lags {
        by_group.entry(&l.group).or_default().insert(&l.topic);
    }
    by_group
        .into_iter()
        .map(|(id, topics)| GroupObs {
            id: id.to_string(),
            topics: topics.into_iter().map(str::to_string).collect(),
            members: vec![],
        })
        .collect()
}

fn add_cluster(obs: &mut Observations, cluster: &ClusterInfo) {
    let c = obs.cluster.get_or_insert_with(ClusterObs::default);
    c.id = c.id.clone().or_else(|| cluster.cluster_id.clone());
    c.controller = c.controller.or(cluster.controller_id);
    for b in &cluster.brokers {
        if !obs.brokers.iter().any(|known| known.id == b.id) {
            obs.brokers.push(BrokerObs { id: b.id, host: Some(format!("{}:{}", b.host, b.port)), rack: None });
        }
    }
}

fn set_min_isr(topics: &mut [TopicObs], configs: &BTreeMap<String, BTreeMap<String, String>>) {
    for t in topics {
        t.min_insync_replicas =
            configs.get(&t.name).and_then(|c| c.get("min.insync.replicas")).and_then(|v| v.parse().ok());
    }
}

/// Adds the metadata's topics; partitions already placed (by ISR-shrink log lines, which describe the
/// window rather than now) keep their placement. Pure.
pub fn merge_topics(obs: &mut Observations, topics: Vec<TopicObs>) {
    for t in topics {
        match obs.topics.iter_mut().find(|known| known.name == t.name) {
            Some(known) => {
                known.min_insync_replicas = known.min_insync_replicas.or(t.min_insync_replicas);
                for p in t.partitions {
                    if !known.partitions.iter().any(|kp| kp.id == p.id) {
                        known.partitions.push(p);
                    }
                }
            }
            None => obs.topics.push(t),
        }
    }
}

fn merge_groups(obs: &mut Observations, groups: Vec<GroupObs>) {
    for g in groups {
        match obs.groups.iter_mut().find(|known| known.id == g.id) {
            Some(known) => {
                for t in g.topics {
                    if !known.topics.contains(&t) {
                        known.topics.push(t);
                    }
                }
            }
            None => obs.groups.push(g),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{PartitionInfo, TopicInfo};

    fn topic(name: &str, partitions: i32) -> TopicInfo {
        let partitions = (0..partitions)
            .map(|id| PartitionInfo { id, leader: 1, replicas: vec![1, 2], isr: vec![1], error: None })
            .collect();
        TopicInfo { name: name.into(), partitions, error: None }
    }

    fn cluster(topics: Vec<TopicInfo>) -> ClusterInfo {
        ClusterInfo { cluster_id: Some("c".into()), controller_id: Some(1), brokers: vec![], topics }
    }

    #[test]
    fn wanted_topics_come_first_and_the_cut_is_noted() {
        let c = cluster(vec![topic("__consumer_offsets", 2), topic("a", 2), topic("b", 3), topic("z", 1)]);
        let (kept, cut) = select_topics(&c, &BTreeSet::from(["z".to_string()]), 2, 100);
        assert_eq!(kept.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["z", "a"]);
        assert_eq!(kept[1].partitions[0].isr, vec![1]);
        let cut = cut.expect("a note on the cut");
        assert!(cut.contains("4 topics and 8 partitions") && cut.contains("2 topics and 3 partitions"), "{cut}");

        // The partition bound cuts inside a topic; internal topics come after the others.
        let (kept, cut) = select_topics(&c, &BTreeSet::new(), 10, 4);
        assert_eq!(
            kept.iter().map(|t| (t.name.as_str(), t.partitions.len())).collect::<Vec<_>>(),
            [("a", 2), ("b", 2)]
        );
        assert!(cut.is_some());
        let (kept, cut) = select_topics(&c, &BTreeSet::new(), 10, 100);
        assert_eq!((kept.len(), kept[3].name.as_str(), cut), (4, "__consumer_offsets", None));
    }

    #[test]
    fn groups_list_each_topic_once_and_log_placements_are_kept() {
        let lag = |g: &str, t: &str| GroupLag {
            group: g.into(),
            state: "Stable".into(),
            topic: t.into(),
            partitions: vec![],
            total_lag: 0,
            max_lag: 0,
        };
        let groups = groups_of(&[lag("g1", "a"), lag("g1", "b"), lag("g2", "a")]);
        assert_eq!(
            groups.iter().map(|g| (g.id.as_str(), g.topics.join(","))).collect::<Vec<_>>(),
            [("g1", "a,b".to_string()), ("g2", "a".to_string())]
        );

        let mut obs = Observations::default();
        obs.topics.push(TopicObs {
            name: "a".into(),
            partitions: vec![PartitionObs { id: 1, leader: Some(3), replicas: vec![3], isr: vec![3] }],
            min_insync_replicas: None,
        });
        let (kept, _) = select_topics(&cluster(vec![topic("a", 2)]), &BTreeSet::new(), 10, 100);
        merge_topics(&mut obs, kept);
        let leaders: Vec<(i32, Option<i32>)> = obs.topics[0].partitions.iter().map(|p| (p.id, p.leader)).collect();
        assert_eq!(leaders, [(1, Some(3)), (0, Some(1))]);
    }
}
