//! A topic range read in pages, partition by partition, up to the end each partition had when the export
//! began (messages produced meanwhile are not chased), so the file is a well-defined snapshot.

use crate::error::{Error, Result};
use crate::kafka::{Kafka, Record, SampleRequest, StartAt, StopReason};
use std::time::Duration;

/// Messages per page: enough to amortise a read, small enough to keep memory flat.
pub const PAGE_MESSAGES: usize = 10_000;
const PAGE_BYTES: usize = 32 * 1024 * 1024;
/// A page that brings nothing for this long ends the partition's read (the broker may be lagging).
const PAGE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct TopicPages {
    kafka: Kafka,
    topic: String,
    start: StartAt,
    /// Messages per page at most.
    page: usize,
    /// Partitions left, with their end offset (exclusive) at the start of the export.
    partitions: Vec<(i32, i64)>,
    /// Where the current partition's next page starts (None: at `start`).
    next: Option<i64>,
    /// Messages the whole range holds at most (for progress).
    pub upper_bound: u64,
    pub timed_out: bool,
    /// With a Schema Registry: each page's schemas are fetched (cached) before it is returned.
    pub registry: Option<std::sync::Arc<crate::context::AppState>>,
}

impl TopicPages {
    /// Pages of at most `page` messages (the tool uses [`PAGE_MESSAGES`]).
    pub async fn open(
        kafka: &Kafka,
        topic: &str,
        partition: Option<i32>,
        start: StartAt,
        page: usize,
    ) -> Result<TopicPages> {
        if start == StartAt::Latest {
            return Err(Error::bad_input("source.from", "\"earliest\", \"tail\", {\"offset\": N} or {\"timestamp\": ...}: an export reads what is already there, not new messages"));
        }
        let marks = kafka.watermarks(topic).await?;
        if let Some(p) = partition {
            if !marks.iter().any(|(id, _, _)| *id == p) {
                return Err(Error::bad_input(
                    "source.partition",
                    format!("a partition of `{topic}` (0 to {})", marks.len().saturating_sub(1)),
                ));
            }
        }
        let chosen: Vec<(i32, i64, i64)> =
            marks.into_iter().filter(|(id, _, _)| partition.is_none_or(|p| p == *id)).collect();
        Ok(TopicPages {
            kafka: kafka.clone(),
            topic: topic.to_string(),
            start,
            page: page.max(1),
            upper_bound: chosen.iter().map(|(_, low, high)| (high - low).max(0) as u64).sum(),
            partitions: chosen.into_iter().rev().map(|(p, _, high)| (p, high)).collect(),
            next: None,
            timed_out: false,
            registry: None,
        })
    }

    /// The next page (at most `max` messages), or None when every partition is read.
    pub async fn next_page(&mut self, max: usize) -> Result<Option<Vec<Record>>> {
        while let Some(&(partition, end)) = self.partitions.last() {
            let start = match self.next {
                Some(o) if o >= end => {
                    self.finish_partition();
                    continue;
                }
                Some(o) => StartAt::Offset(o),
                None => self.start.clone(),
            };
            let req = SampleRequest {
                topic: self.topic.clone(),
                partition: Some(partition),
                start,
                max_messages: max.clamp(1, self.page),
                max_bytes: PAGE_BYTES,
                timeout: PAGE_TIMEOUT,
            };
            let page = self.kafka.sample(req).await?;
            let mut records = page.records;
            records.retain(|r| r.partition == partition && r.offset < end);
            match records.last() {
                Some(last) if page.stopped_by != StopReason::End => self.next = Some(last.offset + 1),
                // Read to the partition's end, or nothing came: the partition is done.
                _ => {
                    self.timed_out |= page.stopped_by == StopReason::Timeout && records.is_empty();
                    self.finish_partition();
                }
            }
            if !records.is_empty() {
                if let Some(reg) = self.registry.as_ref().and_then(|s| s.registry_opt()) {
                    crate::registry::prefetch_topic(reg, &self.topic, &records, true).await;
                }
                return Ok(Some(records));
            }
        }
        Ok(None)
    }

    fn finish_partition(&mut self) {
        self.partitions.pop();
        self.next = None;
    }
}
