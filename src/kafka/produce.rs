//! Producing: the safety checks first (so no caller can skip them), then one record per batch with an
//! idempotent producer and acks=all, each delivery awaited. Read-back verification fetches the exact
//! partition and offset of each delivery and compares key, value and header bytes.

use super::client::Role;
use super::sample::{Limits, Range, Record};
use super::{Kafka, TopicInfo};
use crate::error::{Error, Result};
use crate::safety::Guard;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::util::Timeout;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

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

impl Kafka {
    /// Writes records one at a time after the guard's checks; returns where each landed.
    pub async fn produce(&self, guard: &Guard, topic: &str, records: Vec<OutRecord>) -> Result<Vec<Delivery>> {
        check_produce(guard, topic, &records)?;
        check_partitions(&self.topic(topic).await?, &records)?;
        let producer = self.producer()?;
        let mut out = Vec::with_capacity(records.len());
        for r in &records {
            let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
            for (k, v) in &r.headers {
                headers = headers.insert(Header { key: k, value: Some(v) });
            }
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
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
            let timeout = self.timeout();
            let delivery = self
                .bounded("produce", async {
                    producer
                        .send(record, Timeout::After(timeout))
                        .await
                        .map_err(|(e, _)| self.map_err(e, "produce", started))
                })
                .await?;
            out.push(Delivery {
                partition: delivery.partition,
                offset: delivery.offset,
                timestamp_ms: delivery.timestamp.to_millis(),
            });
        }
        Ok(out)
    }

    /// Reads back each delivered record at its exact partition and offset; per record, None when it is
    /// byte-identical to what was sent, else what differs.
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
