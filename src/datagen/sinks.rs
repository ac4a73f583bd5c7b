//! Where generated records go: back in the reply (small counts), an NDJSON file under the export folder,
//! or a topic at a rate. File and topic jobs stream in constant memory, report progress, honour
//! cancellation, and count bytes and rate. Defect tags never enter a record: they ride beside it (in the
//! reply, or a `.defects.ndjson` file whose lines name the record's index).

use super::defects::Defect;
use super::entities::Entity;
use super::stream::Stream;
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::export::AtomicFile;
use crate::kafka::OutRecord;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Records per progress report and cancellation check.
const CHUNK: u64 = 10_000;
/// Records sent to a topic between progress reports and cancellation checks (sends stay in flight).
const PRODUCE_CHUNK: u64 = 10_000;
/// At most this many records are sent at once under a rate, so the rate is held smoothly.
const RATE_CHUNK: u64 = 200;

/// What a job delivered.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Delivered {
    pub count: u64,
    /// Payload bytes (NDJSON lines without their newline, or message values).
    pub bytes: u64,
    pub duration_ms: u64,
    pub records_per_second: f64,
    /// Records tagged as defects.
    pub defects: u64,
    /// For entities: records that satisfy every coherence rule, of those checked.
    pub coherent: Option<u64>,
}

impl Delivered {
    fn finish(mut self, started: Instant) -> Delivered {
        let secs = started.elapsed().as_secs_f64();
        self.duration_ms = (secs * 1000.0) as u64;
        self.records_per_second = if secs > 0.0 { (self.count as f64 / secs).round() } else { 0.0 };
        self
    }

    fn tally(&mut self, entity: Option<Entity>, record: &Value, defect: &Option<Defect>, bytes: usize) {
        self.count += 1;
        self.bytes += bytes as u64;
        if defect.is_some() {
            self.defects += 1;
        }
        if let Some(e) = entity {
            *self.coherent.get_or_insert(0) += e.coherence(record).is_empty() as u64;
        }
    }
}

/// Records for the reply, with their defect tags (index into the records).
pub fn to_reply(stream: &mut Stream, count: u64) -> (Vec<Value>, Vec<(u64, Defect)>, Delivered) {
    let started = Instant::now();
    let mut out = Delivered::default();
    let mut records = Vec::with_capacity(count as usize);
    let mut tags = vec![];
    for i in 0..count {
        let (record, defect) = stream.next_record();
        out.tally(stream.entity(), &record, &defect, record.to_string().len());
        if let Some(d) = defect {
            tags.push((i, d));
        }
        records.push(record);
    }
    (records, tags, out.finish(started))
}

/// NDJSON to `path`; defect tags to `path` with `.defects.ndjson` appended, one `{"index", ...}` per line.
/// Both files appear only when the job completes: a cancelled or failed job leaves neither behind.
pub async fn to_file(cx: &CallContext, stream: &mut Stream, count: u64, path: &Path) -> Result<Delivered> {
    let started = Instant::now();
    let mut out = Delivered::default();
    let mut file = AtomicFile::create(path)?;
    let tag_path = tags_path(path);
    let mut tags: Option<AtomicFile> = None;
    let mut line = Vec::with_capacity(1024);
    for i in 0..count {
        let (record, defect) = stream.next_record();
        line.clear();
        serde_json::to_writer(&mut line, &record).map_err(Error::internal)?;
        out.tally(stream.entity(), &record, &defect, line.len());
        line.push(b'\n');
        file.write_all(&line)?;
        if let Some(d) = defect {
            let w = match &mut tags {
                Some(w) => w,
                None => tags.insert(AtomicFile::create(&tag_path)?),
            };
            serde_json::to_writer(
                &mut *w,
                &serde_json::json!({"index": i, "path": d.path, "constraint": d.constraint, "detail": d.detail}),
            )
            .map_err(Error::internal)?;
            w.write_all(b"\n")?;
        }
        if (i + 1) % CHUNK == 0 {
            cx.check_cancelled()?;
            cx.progress.report(i + 1, Some(count), format!("{} records written", i + 1)).await;
            tokio::task::yield_now().await;
        }
    }
    if let Some(w) = tags {
        w.commit()?;
    }
    file.commit()?;
    Ok(out.finish(started))
}

pub fn tags_path(path: &Path) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".defects.ndjson");
    p.into()
}

/// Produces to `topic` through one Kafka pipeline (the write rules checked when it opens, each record's
/// size against the cap), keyed by `key_field` when given, at most `rate` records per second when given.
/// Sends stay in flight across chunks; the job ends when every delivery is confirmed. Defect tags go in the
/// header `x-test-defect` so a consumer under test can be scored; the value stays the raw payload.
pub async fn to_topic(
    cx: &CallContext,
    stream: &mut Stream,
    count: u64,
    topic: &str,
    key_field: Option<&str>,
    rate: Option<f64>,
) -> Result<Delivered> {
    let started = Instant::now();
    let mut out = Delivered::default();
    let mut pipeline = cx.state.kafka.pipeline(cx.guard(), topic, false).await?;
    let chunk = match rate {
        Some(r) => (r.ceil() as u64).clamp(1, RATE_CHUNK),
        None => PRODUCE_CHUNK,
    };
    for i in 0..count {
        let (record, defect) = stream.next_record();
        let value = serde_json::to_vec(&record).map_err(Error::internal)?;
        out.tally(stream.entity(), &record, &defect, value.len());
        let key = key_field.and_then(|f| field_text(&record, f)).map(String::into_bytes);
        let headers = defect
            .map(|d| vec![("x-test-defect".to_string(), format!("{}:{}", d.constraint, d.path).into_bytes())])
            .unwrap_or_default();
        let r = OutRecord { key, value: Some(value), headers, partition: None };
        if r.size() > cx.guard().max_message_bytes {
            cx.guard().check_message_size(&format!("record {i}"), r.size())?;
        }
        pipeline.send(&r).await?;
        let sent = i + 1;
        if sent % chunk == 0 || sent == count {
            cx.check_cancelled()?;
            cx.progress.report(pipeline.delivered(), Some(count), format!("{sent} records sent to {topic}")).await;
            if let Some(r) = rate {
                // Hold the average at the rate: sleep until the time these records were due.
                let due = Duration::from_secs_f64(sent as f64 / r);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
    pipeline.flush().await?;
    debug_assert_eq!(pipeline.delivered(), count);
    Ok(out.finish(started))
}

/// A field's value as a key: strings as they are, other JSON as its text. `field` is a dotted path.
fn field_text(record: &Value, field: &str) -> Option<String> {
    let pointer = format!("/{}", field.replace('.', "/"));
    match record.pointer(&pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}
