//! Producing: the safety checks first (so no caller can skip them), then an idempotent producer with
//! acks=all and librdkafka's own batching, deliveries pipelined: up to [`WINDOW`] sends in flight, each
//! delivery awaited in the order it was sent. Order is kept per partition, so per key: librdkafka sends a
//! partition's records in the order they were queued, and idempotence keeps that order across retries.
//! Read-back verification fetches, per partition, the offset range the deliveries span and compares key,
//! value and header bytes of each record.

use super::client::{QaContext, Role};
use super::sample::{Limits, Range, Record};
use super::{Kafka, OffRuntime, TopicInfo};
use crate::error::{Error, Result};
use crate::safety::Guard;
use futures::channel::oneshot::Canceled;
use futures::FutureExt;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sends in flight at once: enough to keep librdkafka's batches full, few enough to bound the memory of
/// the delivery futures (and of records librdkafka holds) on a slow cluster.
pub const WINDOW: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub partition: Option<i32>,
}

impl OutRecord {
    /// Bytes checked against the message size cap: key, value, header names and values.
    pub fn size(&self) -> usize {
        let len = |b: &Option<Vec<u8>>| b.as_ref().map_or(0, Vec::len);
        len(&self.key) + len(&self.value) + self.headers.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Delivery {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: Option<i64>,
}

/// What reading a delivered record back found: None when key, value and headers are byte-identical,
/// else what differs. Pure.
pub fn compare(sent: &OutRecord, got: Option<&Record>) -> Option<String> {
    let Some(got) = got else { return Some("not found at its partition and offset".into()) };
    let mut diffs = vec![];
    if sent.key != got.key {
        diffs.push("key");
    }
    if sent.value.as_deref().unwrap_or_default() != got.value.as_deref().unwrap_or_default() {
        diffs.push("value");
    }
    let got_headers: Vec<(String, Vec<u8>)> =
        got.headers.iter().map(|(k, v)| (k.clone(), v.clone().unwrap_or_default())).collect();
    if sent.headers != got_headers {
        diffs.push("headers");
    }
    (!diffs.is_empty()).then(|| format!("{} differ from what was sent", diffs.join(", ")))
}

/// The safety checks of a write, in order: the topic rules, the message count, each message's size.
pub fn check_produce(guard: &Guard, topic: &str, records: &[OutRecord]) -> Result<()> {
    guard.check_topic_write(topic)?;
    if records.is_empty() {
        return Err(Error::bad_input("messages", "at least one message"));
    }
    guard.check_message_count("messages", records.len())?;
    for (i, r) in records.iter().enumerate() {
        guard.check_message_size(&format!("messages[{i}]"), r.size())?;
    }
    Ok(())
}

/// Every explicit partition exists in the topic.
pub fn check_partitions(info: &TopicInfo, records: &[OutRecord]) -> Result<()> {
    for (i, r) in records.iter().enumerate() {
        if let Some(p) = r.partition {
            if !info.partitions.iter().any(|x| x.id == p) {
                let last = info.partitions.len().saturating_sub(1);
                return Err(Error::bad_input(
                    format!("messages[{i}].partition"),
                    format!("a partition of `{}` (0 to {last}); got {p}", info.name),
                ));
            }
        }
    }
    Ok(())
}

/// An open stream of sends to one topic, see the module comment. Deliveries come back in the order of the
/// sends; `keep` chooses whether they are kept for the caller or only counted (a long stream).
pub struct Pipeline {
    kafka: Kafka,
    producer: OffRuntime<FutureProducer<QaContext>>,
    topic: Arc<str>,
    info: TopicInfo,
    inflight: VecDeque<(Instant, DeliveryFuture)>,
    keep: bool,
    deliveries: Vec<Delivery>,
    delivered: u64,
}

impl Pipeline {
    /// The topic's metadata, as read when the pipeline opened.
    pub fn info(&self) -> &TopicInfo {
        &self.info
    }

    /// Records whose delivery was confirmed so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Queues one record; waits only while the window is full (or librdkafka's queue is).
    pub async fn send(&mut self, r: &OutRecord) -> Result<()> {
        let topic = self.topic.clone();
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&topic);
        if !r.headers.is_empty() {
            let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
            for (k, v) in &r.headers {
                headers = headers.insert(Header { key: k, value: Some(v) });
            }
            record = record.headers(headers);
        }
        if let Some(k) = &r.key {
            record = record.key(k.as_slice());
        }
        if let Some(v) = &r.value {
            record = record.payload(v.as_slice());
        }
        if let Some(p) = r.partition {
            record = record.partition(p);
        }
        let started = Instant::now();
        loop {
            match self.producer.send_result(record) {
                Ok(future) => {
                    self.inflight.push_back((started, future));
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    // librdkafka's queue is full (other calls share the producer): make room first.
                    if self.inflight.is_empty() {
                        if started.elapsed() > self.kafka.timeout() {
                            return Err(super::client::timed_out("produce (queue full)", started.elapsed()));
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    } else {
                        self.settle_one().await?;
                    }
                }
                Err((e, _)) => return Err(self.kafka.map_err(e, "produce", started)),
            }
        }
        while self.inflight.len() >= WINDOW {
            self.settle_one().await?;
        }
        Ok(())
    }

    /// Awaits the oldest send in flight, bounded by the request timeout.
    async fn settle_one(&mut self) -> Result<()> {
        let Some((started, mut future)) = self.inflight.pop_front() else { return Ok(()) };
        let kafka = &self.kafka;
        let settled = |outcome: Result<OwnedDeliveryResult, Canceled>| match outcome {
            Ok(Ok(d)) => Ok(d),
            Ok(Err((e, _))) => Err(kafka.map_err(e, "produce", started)),
            Err(_) => Err(kafka.map_err(KafkaError::Canceled, "produce", started)),
        };
        // Most deliveries have arrived by the time they are looked at: no timer for those.
        let d = match (&mut future).now_or_never() {
            Some(outcome) => kafka.after(settled(outcome))?,
            None => kafka.bounded("produce", async { settled(future.await) }).await?,
        };
        self.delivered += 1;
        if self.keep {
            self.deliveries.push(Delivery {
                partition: d.partition,
                offset: d.offset,
                timestamp_ms: d.timestamp.to_millis(),
            });
        }
        Ok(())
    }

    /// Awaits every send in flight.
    pub async fn flush(&mut self) -> Result<()> {
        while !self.inflight.is_empty() {
            self.settle_one().await?;
        }
        Ok(())
    }

    /// Awaits every send in flight; the deliveries in the order of the sends (empty unless kept).
    pub async fn finish(mut self) -> Result<Vec<Delivery>> {
        self.flush().await?;
        Ok(std::mem::take(&mut self.deliveries))
    }
}

impl Kafka {
    /// Opens a pipeline to an existing topic after the topic rules (read-only mode, allow and deny globs).
    /// Callers check each record's size (`Guard::check_message_size`).
    pub async fn pipeline(&self, guard: &Guard, topic: &str, keep: bool) -> Result<Pipeline> {
        guard.check_topic_write(topic)?;
        let info = self.topic(topic).await?;
        Ok(Pipeline {
            kafka: self.clone(),
            producer: self.producer()?,
            topic: Arc::from(topic),
            info,
            inflight: VecDeque::new(),
            keep,
            deliveries: vec![],
            delivered: 0,
        })
    }

    /// Writes records after the guard's checks, pipelined; returns where each landed, in their order.
    pub async fn produce(&self, guard: &Guard, topic: &str, records: Vec<OutRecord>) -> Result<Vec<Delivery>> {
        check_produce(guard, topic, &records)?;
        let mut pipeline = self.pipeline(guard, topic, true).await?;
        check_partitions(pipeline.info(), &records)?;
        for r in &records {
            pipeline.send(r).await?;
        }
        pipeline.finish().await
    }

    /// Reads back, per partition, the offset range the deliveries span (one bounded read); per record, None
    /// when the record at its partition and offset is byte-identical to what was sent, else what differs.
    pub async fn verify(
        &self,
        topic: &str,
        sent: &[OutRecord],
        deliveries: &[Delivery],
    ) -> Result<Vec<Option<String>>> {
        let mut spans: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
        for d in deliveries {
            let span = spans.entry(d.partition).or_insert((d.offset, d.offset + 1));
            span.0 = span.0.min(d.offset);
            span.1 = span.1.max(d.offset + 1);
        }
        let ranges: Vec<Range> =
            spans.iter().map(|(p, (start, end))| Range { partition: *p, start: *start, end: Some(*end) }).collect();
        let this = self.clone();
        let topic_owned = topic.to_string();
        let timeout = self.timeout();
        let (records, _, _) = self
            .blocking("read back", timeout + Duration::from_secs(1), move || {
                let consumer = this.consumer(Role::Reader, None)?;
                let limits = Limits {
                    max_messages: usize::MAX,
                    max_bytes: usize::MAX,
                    deadline: Instant::now() + timeout,
                    min_timestamp_ms: None,
                };
                this.read_ranges(&consumer, &topic_owned, &ranges, &limits, &AtomicBool::new(false))
            })
            .await?;
        let by_position: BTreeMap<(i32, i64), &Record> = records.iter().map(|r| ((r.partition, r.offset), r)).collect();
        Ok(sent
            .iter()
            .zip(deliveries)
            .map(|(s, d)| compare(s, by_position.get(&(d.partition, d.offset)).copied()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> OutRecord {
        OutRecord {
            key: Some(b"k".to_vec()),
            value: Some(b"{}".to_vec()),
            headers: vec![("h".into(), b"v".to_vec())],
            partition: None,
        }
    }

    fn got() -> Record {
        Record {
            topic: "t".into(),
            partition: 0,
            offset: 1,
            timestamp_ms: None,
            key: Some(b"k".to_vec()),
            value: Some(b"{}".to_vec()),
            headers: vec![("h".into(), Some(b"v".to_vec()))],
        }
    }

    #[test]
    fn compares_every_byte_that_was_sent() {
        assert_eq!(compare(&sent(), Some(&got())), None);
        let mut other = got();
        other.value = Some(b"{ }".to_vec());
        other.headers[0].1 = Some(b"w".to_vec());
        assert_eq!(compare(&sent(), Some(&other)).as_deref(), Some("value, headers differ from what was sent"));
        assert!(compare(&sent(), None).unwrap().contains("not found"));
        assert_eq!(sent().size(), 1 + 2 + 1 + 1);
    }
}
