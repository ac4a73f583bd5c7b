//! Consumer groups: which groups committed offsets on which topics, and how far behind they are.
//! Committed offsets are read with a consumer per group that never joins the group nor commits.

use super::client::{timed_out, Role};
use super::Kafka;
use crate::error::Result;
use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Most groups whose offsets one call reads (each costs a round trip to the group coordinator).
pub const MAX_GROUPS: usize = 200;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PartitionLag {
    pub partition: i32,
    pub committed: i64,
    pub high: i64,
    pub lag: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GroupLag {
    pub group: String,
    /// As the broker reports it (some brokers always say Unknown).
    pub state: String,
    pub topic: String,
    pub partitions: Vec<PartitionLag>,
    pub total_lag: i64,
    pub max_lag: i64,
}

#[derive(Debug, Clone, Default)]
pub struct GroupLags {
    pub lags: Vec<GroupLag>,
    /// Groups left unread because of MAX_GROUPS or the time limit.
    pub groups_skipped: usize,
}

/// Lag of one partition: messages after the committed offset, never negative.
pub fn partition_lag(committed: i64, low: i64, high: i64) -> i64 {
    (high - committed.max(low)).max(0)
}

/// Turns one group's committed offsets into per-topic lags against the watermarks. Pure.
pub fn lags_of(
    group: &str,
    state: &str,
    committed: &[(String, i32, i64)],
    marks: &BTreeMap<String, Vec<(i32, i64, i64)>>,
) -> Vec<GroupLag> {
    let mut by_topic: BTreeMap<&str, Vec<PartitionLag>> = BTreeMap::new();
    for (topic, partition, offset) in committed {
        let Some((_, low, high)) = marks.get(topic).and_then(|m| m.iter().find(|(p, _, _)| p == partition)) else {
            continue;
        };
        by_topic.entry(topic).or_default().push(PartitionLag {
            partition: *partition,
            committed: *offset,
            high: *high,
            lag: partition_lag(*offset, *low, *high),
        });
    }
    by_topic
        .into_iter()
        .map(|(topic, mut partitions)| {
            partitions.sort_by_key(|p| p.partition);
            GroupLag {
                group: group.to_string(),
                state: state.to_string(),
                topic: topic.to_string(),
                total_lag: partitions.iter().map(|p| p.lag).sum(),
                max_lag: partitions.iter().map(|p| p.lag).max().unwrap_or(0),
                partitions,
            }
        })
        .collect()
}

impl Kafka {
    /// Every group with committed offsets on the topics of `marks` (topic -> (partition, low, high)).
    pub async fn group_lags(&self, marks: BTreeMap<String, Vec<(i32, i64, i64)>>) -> Result<GroupLags> {
        if marks.is_empty() {
            return Ok(GroupLags::default());
        }
        let admin = self.admin()?;
        let timeout = self.timeout();
        let this = self.clone();
        // Listing takes one timeout; reading offsets gets two more overall.
        self.blocking("consumer groups", timeout * 3 + Duration::from_secs(1), move || {
            let started = Instant::now();
            let list =
                admin.inner().fetch_group_list(None, timeout).map_err(|e| this.map_err(e, "list groups", started))?;
            let mut groups: Vec<(String, String)> =
                list.groups().iter().map(|g| (g.name().to_string(), g.state().to_string())).collect();
            groups.sort();
            let mut tpl = TopicPartitionList::new();
            for (topic, parts) in &marks {
                for (p, _, _) in parts {
                    tpl.add_partition(topic, *p);
                }
            }
            let deadline = started + timeout * 3;
            let mut out = GroupLags::default();
            for (i, (group, state)) in groups.iter().enumerate() {
                let left = deadline.saturating_duration_since(Instant::now());
                if i >= MAX_GROUPS || left.is_zero() {
                    out.groups_skipped = groups.len() - i;
                    break;
                }
                let consumer = this.consumer(Role::GroupOffsets, Some(group))?;
                let t0 = Instant::now();
                let committed = match consumer.committed_offsets(tpl.clone(), left.min(timeout)) {
                    Ok(c) => c,
                    Err(e) if super::client::is_unreachable(&e) => {
                        return Err(timed_out("committed offsets", started.elapsed().max(t0.elapsed())))
                    }
                    Err(e) => return Err(this.map_err(e, "committed offsets", t0)),
                };
                let offsets: Vec<(String, i32, i64)> = committed
                    .elements()
                    .iter()
                    .filter_map(|e| match e.offset() {
                        Offset::Offset(o) => Some((e.topic().to_string(), e.partition(), o)),
                        _ => None,
                    })
                    .collect();
                out.lags.extend(lags_of(group, state, &offsets, &marks));
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_counted_per_partition_and_summed_per_topic() {
        let marks =
            BTreeMap::from([("t".to_string(), vec![(0, 0, 10), (1, 5, 8)]), ("u".to_string(), vec![(0, 0, 3)])]);
        let committed = vec![("t".to_string(), 0, 4), ("t".to_string(), 1, 2), ("x".to_string(), 0, 1)];
        let lags = lags_of("g", "Stable", &committed, &marks);
        assert_eq!(lags.len(), 1);
        assert_eq!(lags[0].topic, "t");
        assert_eq!(lags[0].partitions.iter().map(|p| p.lag).collect::<Vec<_>>(), vec![6, 3]);
        assert_eq!((lags[0].total_lag, lags[0].max_lag), (9, 6));
        assert_eq!(partition_lag(12, 0, 10), 0);
    }
}
