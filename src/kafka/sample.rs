//! Bounded reads: assign partitions at chosen offsets (never joining a group, never committing) and read
//! until a message count, a byte total, a time limit, or the end of every partition as it was when the
//! read began. Reading from `Latest` waits for new messages until the time limit instead.

use super::client::Role;
use super::Kafka;
use crate::error::{Error, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    /// New messages only: waits for them until the timeout.
    Latest,
    /// The same offset in every partition read (clamped to the partition's range).
    Offset(i64),
    /// The first message at or after this time (Unix milliseconds).
    Timestamp(i64),
    /// The last N messages of each partition.
    Tail(u64),
    /// Explicit offsets; partitions not listed are not read.
    Offsets(Vec<(i32, i64)>),
}

#[derive(Debug, Clone)]
pub struct SampleRequest {
    pub topic: String,
    pub partition: Option<i32>,
    pub start: StartAt,
    pub max_messages: usize,
    pub max_bytes: usize,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Record {
    /// Bytes counted against `max_bytes`: key, value, header names and values.
    pub fn size(&self) -> usize {
        let len = |b: &Option<Vec<u8>>| b.as_ref().map_or(0, Vec::len);
        len(&self.key) + len(&self.value) + self.headers.iter().map(|(k, v)| k.len() + len(v)).sum::<usize>()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// max_messages reached.
    Count,
    /// max_bytes reached.
    Bytes,
    /// The time limit passed first.
    Timeout,
    /// Every partition was read to its end.
    End,
    /// The broker went away during the read and did not come back before the time limit: the records read
    /// before are kept.
    BrokerLost,
}

#[derive(Debug, Clone)]
pub struct Sample {
    /// Sorted by partition, then offset.
    pub records: Vec<Record>,
    pub bytes: usize,
    pub stopped_by: StopReason,
    pub elapsed: Duration,
}

/// One partition's read: from `start` up to `end` (exclusive); no end means "wait for new messages".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub partition: i32,
    pub start: i64,
    pub end: Option<i64>,
}

/// Where each partition's read starts and ends, from the watermarks (partition, low, high) and, for
/// `Timestamp`, the offsets the broker resolved (-1 = no message at or after that time). Pure.
pub fn plan(start: &StartAt, marks: &[(i32, i64, i64)], resolved: &BTreeMap<i32, i64>) -> Vec<Range> {
    let clamp = |o: i64, low: i64, high: i64| o.clamp(low, high.max(low));
    marks
        .iter()
        .filter_map(|&(partition, low, high)| {
            let begin = match start {
                StartAt::Earliest => low,
                StartAt::Latest => return Some(Range { partition, start: high, end: None }),
                StartAt::Offset(o) => clamp(*o, low, high),
                StartAt::Tail(n) => clamp(high.saturating_sub(i64::try_from(*n).unwrap_or(i64::MAX)), low, high),
                StartAt::Timestamp(_) => match resolved.get(&partition) {
                    Some(o) if *o >= 0 => clamp(*o, low, high),
                    _ => high,
                },
                StartAt::Offsets(list) => clamp(list.iter().find(|(p, _)| *p == partition)?.1, low, high),
            };
            Some(Range { partition, start: begin, end: Some(high) })
        })
        .collect()
}

/// Limits of one read loop.
pub(crate) struct Limits {
    pub max_messages: usize,
    pub max_bytes: usize,
    pub deadline: Instant,
    /// Records older than this (Unix ms) are skipped: some brokers resolve a time to an earlier offset.
    pub min_timestamp_ms: Option<i64>,
}

/// Sets a flag when dropped: the async caller went away (cancelled), so the blocking read stops early.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Kafka {
    /// Bounded read, see the module comment. Unknown topic or partition is a bad argument.
    pub async fn sample(&self, req: SampleRequest) -> Result<Sample> {
        let started = Instant::now();
        if req.max_messages == 0 {
            return Err(Error::bad_input("max_messages", "at least 1"));
        }
        if req.max_bytes == 0 {
            return Err(Error::bad_input("max_bytes", "at least 1"));
        }
        // The lookups before the read obey the call's time limit too, so a broker that is down fails the call
        // within timeout_ms instead of the client's own request timeout.
        let bound = req.timeout.max(Duration::from_secs(1));
        let info = within(bound, "topic metadata", self.topic(&req.topic)).await?;
        let ids: Vec<i32> =
            info.partitions.iter().map(|p| p.id).filter(|p| req.partition.is_none_or(|want| want == *p)).collect();
        if ids.is_empty() {
            return Err(Error::bad_input(
                "partition",
                format!("a partition of `{}` (0 to {})", req.topic, info.partitions.len().saturating_sub(1)),
            ));
        }
        let marks = within(bound, "watermarks", self.watermarks_of(vec![(req.topic.clone(), ids)]))
            .await?
            .remove(&req.topic)
            .unwrap_or_default();
        let stop = Arc::new(AtomicBool::new(false));
        let _guard = StopOnDrop(stop.clone());
        let this = self.clone();
        let timeout = self.timeout();
        let limit = req.timeout + timeout + Duration::from_secs(1);
        self.blocking("sample", limit, move || {
            let consumer = this.consumer(Role::Reader, None)?;
            let resolved = match req.start {
                StartAt::Timestamp(ms) => this.offsets_for_time(&consumer, &req.topic, &marks, ms, timeout)?,
                _ => BTreeMap::new(),
            };
            let ranges = plan(&req.start, &marks, &resolved);
            let min_timestamp_ms = match req.start {
                StartAt::Timestamp(ms) => Some(ms),
                _ => None,
            };
            let limits = Limits {
                max_messages: req.max_messages,
                max_bytes: req.max_bytes,
                deadline: Instant::now() + req.timeout,
                min_timestamp_ms,
            };
            let (records, bytes, stopped_by) = this.read_ranges(&consumer, &req.topic, &ranges, &limits, &stop)?;
            Ok(Sample { records, bytes, stopped_by, elapsed: started.elapsed() })
        })
        .await
    }

    fn offsets_for_time(
        &self,
        consumer: &BaseConsumer<super::client::QaContext>,
        topic: &str,
        marks: &[(i32, i64, i64)],
        ms: i64,
        timeout: Duration,
    ) -> Result<BTreeMap<i32, i64>> {
        let started = Instant::now();
        let mut tpl = TopicPartitionList::new();
        for (p, _, _) in marks {
            tpl.add_partition_offset(topic, *p, Offset::Offset(ms))
                .map_err(|e| self.map_err(e, "offsets for times", started))?;
        }
        let found =
            consumer.offsets_for_times(tpl, timeout).map_err(|e| self.map_err(e, "offsets for times", started))?;
        Ok(found
            .elements()
            .iter()
            .map(|e| {
                (
                    e.partition(),
                    match e.offset() {
                        Offset::Offset(o) => o,
                        _ => -1,
                    },
                )
            })
            .collect())
    }

    /// The read loop shared by sampling and read-back verification.
    pub(crate) fn read_ranges(
        &self,
        consumer: &BaseConsumer<super::client::QaContext>,
        topic: &str,
        ranges: &[Range],
        limits: &Limits,
        stop: &AtomicBool,
    ) -> Result<(Vec<Record>, usize, StopReason)> {
        let started = Instant::now();
        let ends: BTreeMap<i32, Option<i64>> = ranges.iter().map(|r| (r.partition, r.end)).collect();
        let mut pending: BTreeMap<i32, i64> =
            ranges.iter().filter_map(|r| r.end.filter(|e| r.start < *e).map(|e| (r.partition, e))).collect();
        let waits_for_new = ranges.iter().any(|r| r.end.is_none());
        let mut records = vec![];
        let mut bytes = 0usize;
        let mut tpl = TopicPartitionList::new();
        for r in ranges.iter().filter(|r| r.end.is_none() || pending.contains_key(&r.partition)) {
            tpl.add_partition_offset(topic, r.partition, Offset::Offset(r.start))
                .map_err(|e| self.map_err(e, "assign", started))?;
        }
        // The last "broker unreachable" seen and not followed by a message: the broker is away.
        let mut lost: Option<String> = None;
        let reason = 'read: {
            if pending.is_empty() && !waits_for_new {
                break 'read StopReason::End;
            }
            consumer.assign(&tpl).map_err(|e| self.map_err(e, "assign", started))?;
            loop {
                if stop.load(Ordering::Relaxed) {
                    return Err(Error::Cancelled);
                }
                let left = limits.deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    match (&lost, records.is_empty()) {
                        (None, _) => break 'read StopReason::Timeout,
                        (Some(_), false) => break 'read StopReason::BrokerLost,
                        (Some(e), true) => {
                            return Err(Error::unreachable(
                                super::client::BACKEND,
                                started.elapsed(),
                                format!("the broker was lost during the read of `{topic}` and no record arrived ({e})"),
                            ))
                        }
                    }
                }
                match consumer.poll(left.min(Duration::from_millis(100))) {
                    None => {}
                    Some(Err(KafkaError::PartitionEOF(p))) => {
                        pending.remove(&p);
                    }
                    // A broker that is away: keep waiting until the deadline, librdkafka reconnects.
                    Some(Err(e)) if super::client::is_unreachable(&e) => lost = Some(e.to_string()),
                    Some(Err(e)) => return Err(self.map_err(e, "read", started)),
                    Some(Ok(m)) => {
                        lost = None;
                        let end = ends.get(&m.partition()).copied().flatten();
                        let too_old = limits
                            .min_timestamp_ms
                            .is_some_and(|min| m.timestamp().to_millis().is_some_and(|t| t < min));
                        if end.is_some_and(|e| m.offset() >= e) {
                            pending.remove(&m.partition());
                        } else if too_old {
                            if end.is_some_and(|e| m.offset() + 1 >= e) {
                                pending.remove(&m.partition());
                            }
                        } else {
                            let record = owned(topic, &m);
                            let size = record.size();
                            if bytes + size > limits.max_bytes {
                                break 'read StopReason::Bytes;
                            }
                            bytes += size;
                            records.push(record);
                            if end.is_some_and(|e| m.offset() + 1 >= e) {
                                pending.remove(&m.partition());
                            }
                            // Everything was read: say so even when the count was reached at the same time.
                            if pending.is_empty() && !waits_for_new {
                                break 'read StopReason::End;
                            }
                            if records.len() >= limits.max_messages {
                                break 'read StopReason::Count;
                            }
                        }
                    }
                }
                if pending.is_empty() && !waits_for_new {
                    break 'read StopReason::End;
                }
            }
        };
        records.sort_by_key(|r: &Record| (r.partition, r.offset));
        Ok((records, bytes, reason))
    }
}

/// `work`, or an unreachable error once `bound` has passed.
async fn within<T>(bound: Duration, what: &str, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(bound, work).await.unwrap_or_else(|_| {
        Err(Error::unreachable(
            super::client::BACKEND,
            bound,
            format!("no answer for the {what} within the call's time limit; is the broker up?"),
        ))
    })
}

fn owned(topic: &str, m: &rdkafka::message::BorrowedMessage<'_>) -> Record {
    let headers = m
        .headers()
        .map(|h| h.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect())
        .unwrap_or_default();
    Record {
        topic: topic.to_string(),
        partition: m.partition(),
        offset: m.offset(),
        timestamp_ms: m.timestamp().to_millis(),
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec),
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKS: &[(i32, i64, i64)] = &[(0, 0, 10), (1, 5, 8), (2, 3, 3)];

    fn starts(plan: &[Range]) -> Vec<(i32, i64, Option<i64>)> {
        plan.iter().map(|r| (r.partition, r.start, r.end)).collect()
    }

    #[test]
    fn plans_each_start_position() {
        let none = BTreeMap::new();
        assert_eq!(
            starts(&plan(&StartAt::Earliest, MARKS, &none)),
            vec![(0, 0, Some(10)), (1, 5, Some(8)), (2, 3, Some(3))]
        );
        assert_eq!(starts(&plan(&StartAt::Latest, MARKS, &none)), vec![(0, 10, None), (1, 8, None), (2, 3, None)]);
        assert_eq!(
            starts(&plan(&StartAt::Tail(2), MARKS, &none)),
            vec![(0, 8, Some(10)), (1, 6, Some(8)), (2, 3, Some(3))]
        );
        assert_eq!(
            starts(&plan(&StartAt::Tail(u64::MAX), MARKS, &none)),
            vec![(0, 0, Some(10)), (1, 5, Some(8)), (2, 3, Some(3))]
        );
        assert_eq!(
            starts(&plan(&StartAt::Offset(7), MARKS, &none)),
            vec![(0, 7, Some(10)), (1, 7, Some(8)), (2, 3, Some(3))]
        );
        assert_eq!(starts(&plan(&StartAt::Offset(100), MARKS, &none))[0], (0, 10, Some(10)));
        assert_eq!(starts(&plan(&StartAt::Offsets(vec![(1, 6)]), MARKS, &none)), vec![(1, 6, Some(8))]);
        let resolved = BTreeMap::from([(0, 4), (1, -1)]);
        assert_eq!(
            starts(&plan(&StartAt::Timestamp(1), MARKS, &resolved)),
            vec![(0, 4, Some(10)), (1, 8, Some(8)), (2, 3, Some(3))]
        );
    }

    #[test]
    fn record_size_counts_key_value_and_headers() {
        let r = Record {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            timestamp_ms: None,
            key: Some(b"k".to_vec()),
            value: Some(b"vvv".to_vec()),
            headers: vec![("h".into(), Some(b"xy".to_vec())), ("n".into(), None)],
        };
        assert_eq!(r.size(), 1 + 3 + 1 + 2 + 1);
    }
}
