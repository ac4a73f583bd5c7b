//! `peek_messages`: forensic reads of a topic. Records at a partition and offset, from a time, the tail of
//! each partition, or those with a given key (a scan bounded by messages, bytes and time); each decoded
//! (JSON as JSON, text, base64 for binary, Confluent framing with its schema id) with its sizes. Reads only,
//! through the bounded sampler; never joins a group, never commits.

use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::kafka::decode::{decode, printable, Encoding};
use crate::kafka::sample::{Record, SampleRequest, StartAt, StopReason};
use crate::kafka::start_arg::{millis, TimeValue};
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Backend, Tool, ToolInfo};
use crate::observe::time::format_ms;
use crate::text::{cut_bytes, cut_chars, table_heading, table_row};
use base64::Engine;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

pub struct PeekMessages;

/// Most records one call returns, and most messages one key scan reads.
pub const MAX_RECORDS: usize = 1000;
pub const MAX_SCAN: usize = 1_000_000;
/// Characters of a value in the text table (the structured record keeps up to max_value_bytes).
const ROW_VALUE_CHARS: usize = 160;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeekMessagesArgs {
    /// The topic to read (see list_topics).
    #[schemars(length(min = 1, max = 249))]
    pub topic: String,
    /// Read only this partition; required with `offset`. Default: every partition.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub partition: Option<i32>,
    /// Start at this offset of `partition` (forensics of one record: with max_messages 1).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub offset: Option<i64>,
    /// Start at the first record at or after this time, in each partition read: RFC 3339 (e.g. "2024-01-15T03:00:00Z") or Unix milliseconds.
    #[serde(default)]
    pub timestamp: Option<TimeValue>,
    /// The last N records of each partition read, 1 to 1000.
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub tail: Option<u64>,
    /// Only records with this key: its text, or `base64:...` for a binary key (as this tool prints keys). Scans from `offset`, `timestamp` or `tail` when given, else from the earliest record, reading at most scan_messages.
    #[serde(default)]
    #[schemars(length(min = 1, max = 4096))]
    pub key: Option<String>,
    /// Most records returned, 1 to 1000. Default 20 (with `tail`: tail × partitions read, at most 1000).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub max_messages: Option<usize>,
    /// With `key`: most records read while looking for it, 1 to 1000000. Default 10000.
    #[serde(default = "default_scan")]
    #[schemars(range(min = 1, max = 1000000))]
    pub scan_messages: usize,
    /// Stop before reading more than this many bytes (keys, values, headers), 1 to 268435456. Default 16777216 (16 MiB).
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1, max = 268435456))]
    pub max_bytes: usize,
    /// Bytes of each value (and key) returned; longer ones are cut and marked `value_cut`. 16 to 1048576. Default 4096.
    #[serde(default = "default_value_bytes")]
    #[schemars(range(min = 16, max = 1048576))]
    pub max_value_bytes: usize,
    /// Stop reading after this many milliseconds, 100 to 120000. Default 10000.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 100, max = 120000))]
    pub timeout_ms: u64,
}

fn default_scan() -> usize {
    10_000
}
fn default_max_bytes() -> usize {
    16 * 1024 * 1024
}
fn default_value_bytes() -> usize {
    4096
}
fn default_timeout() -> u64 {
    10_000
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PartitionRange {
    pub partition: i32,
    /// The oldest offset retained.
    pub low: i64,
    /// The offset the next record will get.
    pub high: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PeekHeader {
    pub name: String,
    /// Text as is, other bytes as `base64:...`; absent for a null header value.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PeekedRecord {
    pub partition: i32,
    pub offset: i64,
    /// Unix milliseconds, when the broker gave one.
    pub timestamp_ms: Option<i64>,
    /// The same, RFC 3339.
    pub timestamp: Option<String>,
    /// Text as is, other bytes as `base64:...`; absent when the record has no key.
    pub key: Option<String>,
    /// json, confluent_json, confluent_binary, text, binary or empty; absent for a tombstone.
    pub encoding: Option<String>,
    /// The Confluent Schema Registry id, when the value is Confluent-framed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<u32>,
    /// JSON values as JSON (framed ones without the 5-byte framing; Avro and Protobuf decoded with a Schema Registry), text as a string, other bytes as `base64:...`; absent for a tombstone.
    pub value: Option<Value>,
    /// The value was longer than max_value_bytes: `value` is its cut text form.
    pub value_cut: bool,
    pub headers: Vec<PeekHeader>,
    pub key_bytes: usize,
    pub value_bytes: usize,
    /// Key, value, header names and values.
    pub total_bytes: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PeekMessagesOutput {
    pub topic: String,
    /// What was asked, as understood.
    pub mode: String,
    /// Each partition read, with its offsets when the read began.
    pub partitions: Vec<PartitionRange>,
    /// Records read (with `key`: scanned).
    pub messages_read: usize,
    pub bytes_read: usize,
    /// Why reading stopped: count, bytes, timeout or end (every partition read to where it ended).
    pub stopped_by: StopReason,
    pub elapsed_ms: u64,
    /// With `key`: records whose key matched (at most max_messages are returned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<usize>,
    pub records: Vec<PeekedRecord>,
}

/// The read one call makes, from the arguments. Pure, so every rule is tested without a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub start: StartAt,
    pub read_limit: usize,
    pub returned: usize,
    pub key: Option<Vec<u8>>,
    pub mode: String,
}

/// Checks the arguments and plans the read; `partitions` is how many partitions are read.
pub fn plan(args: &PeekMessagesArgs, partitions: usize) -> Result<Plan> {
    let positions = [args.offset.is_some(), args.timestamp.is_some(), args.tail.is_some()];
    if positions.iter().filter(|x| **x).count() > 1 {
        return Err(Error::bad_input("offset", "one start: `offset` (with `partition`), `timestamp` or `tail`"));
    }
    if !positions.iter().any(|x| *x) && args.key.is_none() {
        return Err(Error::bad_input(
            "offset",
            "what to read: `offset` (with `partition`), `timestamp`, `tail` or `key`",
        ));
    }
    let (start, mut mode) = if let Some(offset) = args.offset {
        let Some(p) = args.partition else {
            return Err(Error::bad_input("partition", "the partition to read at `offset`"));
        };
        (StartAt::Offsets(vec![(p, offset)]), format!("partition {p} from offset {offset}"))
    } else if let Some(t) = &args.timestamp {
        let ms = millis(t).ok_or_else(|| {
            Error::bad_input(
                "timestamp",
                "RFC 3339 text such as \"2024-01-15T03:00:00Z\" or Unix milliseconds (0 or more)",
            )
        })?;
        (StartAt::Timestamp(ms), format!("from {}", format_ms(ms)))
    } else if let Some(n) = args.tail {
        (StartAt::Tail(n), format!("the last {n} of each partition"))
    } else {
        (StartAt::Earliest, "from the earliest record".to_string())
    };
    if args.offset.is_none() {
        if let Some(p) = args.partition {
            mode.push_str(&format!(" of partition {p}"));
        }
    }
    let key = args.key.as_deref().map(key_bytes).transpose()?;
    let returned = args.max_messages.unwrap_or(match args.tail {
        Some(n) => usize::try_from(n).unwrap_or(MAX_RECORDS).saturating_mul(partitions.max(1)),
        None => 20,
    });
    let returned = returned.clamp(1, MAX_RECORDS);
    let read_limit = if key.is_some() { args.scan_messages.clamp(1, MAX_SCAN) } else { returned };
    if let Some(k) = &args.key {
        mode = format!("records with key `{}` {mode}, scanning at most {read_limit}", cut_chars(k, 80));
    }
    Ok(Plan { start, read_limit, returned, key, mode })
}

/// A key as given: `base64:...` is decoded, anything else is its UTF-8 bytes.
fn key_bytes(key: &str) -> Result<Vec<u8>> {
    match key.strip_prefix("base64:") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| Error::bad_input("key", "text, or `base64:` followed by standard base64")),
        None => Ok(key.as_bytes().to_vec()),
    }
}

/// A registry-framed value (Avro, Protobuf, JSON Schema) decoded to JSON, when its schema is cached and the
/// JSON fits `max_value_bytes` (else the value stays as `peeked` shows it).
fn registry_decoded(
    registry: Option<&crate::registry::RegistryClient>,
    r: &Record,
    p: &mut PeekedRecord,
    max_value_bytes: usize,
) {
    let decoded = registry.zip(r.value.as_deref()).and_then(|(reg, b)| crate::registry::decode_cached(reg, b));
    if let Some(Ok(d)) = decoded {
        if d.value.to_string().len() <= max_value_bytes {
            p.encoding = Some(format!("confluent_{}", d.schema_type.as_str().to_lowercase()));
            p.value = Some(d.value);
            p.value_cut = false;
        }
    }
}

/// One record as the agent reads it, each key and value cut to `max_value_bytes`. Pure.
pub fn peeked(r: &Record, max_value_bytes: usize) -> PeekedRecord {
    let (encoding, schema_id, value, value_cut) = match r.value.as_deref() {
        None => (None, None, None, false),
        Some(bytes) => {
            let (enc, json) = decode(bytes);
            let body = match enc {
                Encoding::ConfluentJson { .. } | Encoding::ConfluentBinary { .. } => &bytes[5..],
                _ => bytes,
            };
            let (value, cut) = match json {
                Some(v) if body.len() <= max_value_bytes => (v, false),
                _ => {
                    let text = printable(body);
                    let cut = text.len() > max_value_bytes;
                    (Value::String(if cut { cut_bytes(&text, max_value_bytes) } else { text }), cut)
                }
            };
            (Some(enc.kind().to_string()), enc.schema_id(), Some(value), cut)
        }
    };
    let headers = r
        .headers
        .iter()
        .map(|(name, v)| PeekHeader {
            name: name.clone(),
            value: v.as_deref().map(|b| cut_bytes(&printable(b), max_value_bytes)),
        })
        .collect();
    PeekedRecord {
        partition: r.partition,
        offset: r.offset,
        timestamp_ms: r.timestamp_ms,
        timestamp: r.timestamp_ms.map(format_ms),
        key: r.key.as_deref().map(|k| cut_bytes(&printable(k), max_value_bytes)),
        encoding,
        schema_id,
        value,
        value_cut,
        headers,
        key_bytes: r.key.as_ref().map_or(0, Vec::len),
        value_bytes: r.value.as_ref().map_or(0, Vec::len),
        total_bytes: r.size(),
    }
}

impl Tool for PeekMessages {
    type Args = PeekMessagesArgs;
    type Output = PeekMessagesOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "peek_messages",
            title: "Peek at a topic's records",
            description: "Reads records for forensics: at a partition+offset, from a timestamp, the tail, or by key (bounded scan); values decoded (JSON, text, base64, Confluent schema id). Read-only. Next: infer_schema for the shape, or export_parquet to keep a range.",
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            writes_kafka: false,
            requires: &[Backend::Kafka],
            resources: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: PeekMessagesArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(peek(cx, args))
    }
}

async fn peek(cx: &CallContext, args: PeekMessagesArgs) -> Result<Reply> {
    let kafka = &cx.state.kafka;
    let marks = kafka.watermarks(&args.topic).await?;
    let marks: Vec<(i32, i64, i64)> =
        marks.into_iter().filter(|(p, _, _)| args.partition.is_none_or(|want| want == *p)).collect();
    if marks.is_empty() {
        return Err(Error::bad_input(
            "partition",
            format!("a partition of `{}`; list_topics shows its partitions", args.topic),
        ));
    }
    let plan = plan(&args, marks.len())?;
    cx.progress.report(0, None, format!("reading {}", args.topic)).await;
    let sample = kafka
        .sample(SampleRequest {
            topic: args.topic.clone(),
            partition: args.partition,
            start: plan.start.clone(),
            max_messages: plan.read_limit,
            max_bytes: args.max_bytes,
            timeout: Duration::from_millis(args.timeout_ms),
        })
        .await?;
    cx.check_cancelled()?;
    let matching: Vec<&Record> = match &plan.key {
        Some(k) => sample.records.iter().filter(|r| r.key.as_deref() == Some(k.as_slice())).collect(),
        None => sample.records.iter().collect(),
    };
    let matched = plan.key.as_ref().map(|_| matching.len());
    let shown: Vec<Record> = matching.iter().take(plan.returned).map(|r| (*r).clone()).collect();
    let registry = cx.state.registry_opt();
    if let Some(reg) = registry {
        crate::registry::prefetch_topic(reg, &args.topic, &shown, false).await;
    }
    let records: Vec<PeekedRecord> = shown
        .iter()
        .map(|r| {
            let mut p = peeked(r, args.max_value_bytes);
            registry_decoded(registry, r, &mut p, args.max_value_bytes);
            p
        })
        .collect();
    let out = PeekMessagesOutput {
        topic: args.topic.clone(),
        mode: plan.mode.clone(),
        partitions: marks.iter().map(|&(partition, low, high)| PartitionRange { partition, low, high }).collect(),
        messages_read: sample.records.len(),
        bytes_read: sample.bytes,
        stopped_by: sample.stopped_by,
        elapsed_ms: sample.elapsed.as_millis() as u64,
        matched,
        records,
    };
    reply(out, &plan)
}

fn reply(out: PeekMessagesOutput, plan: &Plan) -> Result<Reply> {
    let ranges: Vec<String> =
        out.partitions.iter().map(|p| format!("{}: {}..{}", p.partition, p.low, p.high)).collect();
    let mut summary = format!(
        "# Records of `{}`: {}\nRead {} records ({} bytes) in {} ms; stopped by {}. Partitions (offsets low..high): {}.",
        out.topic,
        out.mode,
        out.messages_read,
        out.bytes_read,
        out.elapsed_ms,
        serde_json::to_value(out.stopped_by).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        ranges.join(", ")
    );
    if let Some(m) = out.matched {
        summary.push_str(&format!(" {m} matched the key."));
    }
    if out.records.len() < out.matched.unwrap_or(out.records.len()) || out.messages_read > out.records.len() {
        summary.push_str(&format!(" Showing {} (max_messages {}).", out.records.len(), plan.returned));
    }
    let rows = out.records.iter().map(row).collect();
    let empty = if plan.key.is_some() {
        "No record with that key in what was scanned. Raise scan_messages or timeout_ms, start later (timestamp, tail), or check the key's form (binary keys as base64:...)."
    } else {
        "No record in the chosen range: compare the offsets with the partitions' low..high above, or try tail."
    };
    // The records before the first one shown (what led to it), or the topic's shape when nothing was found.
    let (tool, arguments, why) = match out.records.first() {
        Some(r) if r.offset > 0 => (
            "peek_messages",
            serde_json::json!({"topic": out.topic, "partition": r.partition, "offset": (r.offset - 5).max(0), "max_messages": 5}),
            "the records just before, in the same partition",
        ),
        _ => ("infer_schema", serde_json::json!({"topic": out.topic}), "the topic's message shape across a sample"),
    };
    Ok(Reply::new(&out)?
        .summary(summary)
        .next(tool, arguments, why)
        .rows(
            "records",
            table_heading(&["partition", "offset", "timestamp", "key", "headers", "encoding", "bytes", "value"]),
            rows,
        )
        .when_empty(empty)
        .narrow_with("lower max_messages or max_value_bytes, or read one partition"))
}

fn row(r: &PeekedRecord) -> String {
    let value = match &r.value {
        None => "(tombstone)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let encoding = match (&r.encoding, r.schema_id) {
        (Some(e), Some(id)) => format!("{e} (schema id {id})"),
        (Some(e), None) => e.clone(),
        (None, _) => "-".into(),
    };
    let headers: Vec<String> =
        r.headers.iter().map(|h| format!("{}={}", h.name, h.value.as_deref().unwrap_or("null"))).collect();
    table_row(&[
        r.partition.to_string(),
        r.offset.to_string(),
        r.timestamp.clone().unwrap_or_default(),
        cut_chars(r.key.as_deref().unwrap_or(""), 60),
        cut_chars(&headers.join(" "), 80),
        encoding,
        r.total_bytes.to_string(),
        cut_chars(&value, ROW_VALUE_CHARS),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> PeekMessagesArgs {
        let mut base = json!({"topic": "t"});
        base.as_object_mut().unwrap().extend(v.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn plans_each_mode_and_names_bad_arguments() {
        let p = plan(&args(json!({"partition": 2, "offset": 7})), 1).unwrap();
        assert_eq!((p.start, p.read_limit, p.returned), (StartAt::Offsets(vec![(2, 7)]), 20, 20));
        let p = plan(&args(json!({"timestamp": "2024-01-15T03:00:00Z"})), 3).unwrap();
        assert_eq!(p.start, StartAt::Timestamp(1705287600000));
        let p = plan(&args(json!({"tail": 5})), 3).unwrap();
        assert_eq!((p.start, p.returned), (StartAt::Tail(5), 15));
        let p = plan(&args(json!({"tail": 5, "max_messages": 2})), 3).unwrap();
        assert_eq!(p.returned, 2);
        let p = plan(&args(json!({"key": "order-1", "max_messages": 3})), 3).unwrap();
        assert_eq!((p.start, p.read_limit, p.returned), (StartAt::Earliest, 10_000, 3));
        assert_eq!(p.key.as_deref(), Some(&b"order-1"[..]));
        let p = plan(&args(json!({"key": "base64:/wA=", "tail": 10})), 1).unwrap();
        assert_eq!((p.start, p.key), (StartAt::Tail(10), Some(vec![0xff, 0])));

        let bad = |v: Value| plan(&args(v), 1).unwrap_err().argument().map(str::to_string);
        assert_eq!(bad(json!({"offset": 3})).as_deref(), Some("partition"));
        assert_eq!(bad(json!({})).as_deref(), Some("offset"));
        assert_eq!(bad(json!({"tail": 1, "timestamp": 5})).as_deref(), Some("offset"));
        assert_eq!(bad(json!({"timestamp": "yesterday"})).as_deref(), Some("timestamp"));
        assert_eq!(bad(json!({"key": "base64:%%%"})).as_deref(), Some("key"));
    }

    fn rec(key: Option<&[u8]>, value: Option<&[u8]>) -> Record {
        Record {
            topic: "t".into(),
            partition: 1,
            offset: 42,
            timestamp_ms: Some(1705287600000),
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            headers: vec![("trace".into(), Some(b"abc".to_vec())), ("nil".into(), None)],
        }
    }

    #[test]
    fn decodes_each_kind_of_value_within_the_cut() {
        let p = peeked(&rec(Some(b"k1"), Some(br#"{"a":1}"#)), 4096);
        assert_eq!((p.value, p.encoding.as_deref(), p.value_cut), (Some(json!({"a": 1})), Some("json"), false));
        assert_eq!(p.timestamp.as_deref(), Some("2024-01-15T03:00:00Z"));
        assert_eq!(
            (p.key.as_deref(), p.key_bytes, p.value_bytes, p.total_bytes),
            (Some("k1"), 2, 7, 2 + 7 + 5 + 3 + 3)
        );
        assert_eq!(p.headers[0].value.as_deref(), Some("abc"));
        assert_eq!(p.headers[1].value, None);

        let framed = [&[0u8, 0, 0, 0, 9][..], br#"{"b":2}"#].concat();
        let p = peeked(&rec(None, Some(&framed)), 4096);
        assert_eq!(
            (p.value, p.schema_id, p.encoding.as_deref()),
            (Some(json!({"b": 2})), Some(9), Some("confluent_json"))
        );
        let avro = [&[0u8, 0, 0, 1, 2][..], &[0x02, 0x06]].concat();
        let p = peeked(&rec(Some(&[0xff]), Some(&avro)), 4096);
        assert_eq!((p.value, p.schema_id), (Some(json!("base64:AgY=")), Some(258)));
        assert_eq!(p.key.as_deref(), Some("base64:/w=="));

        let p = peeked(&rec(None, Some(b"plain text")), 4096);
        assert_eq!((p.value, p.encoding.as_deref()), (Some(json!("plain text")), Some("text")));
        let p = peeked(&rec(None, None), 4096);
        assert_eq!((p.value, p.encoding), (None, None));

        let big = format!("{{\"s\":\"{}\"}}", "x".repeat(100));
        let p = peeked(&rec(None, Some(big.as_bytes())), 32);
        assert!(p.value_cut);
        assert_eq!(p.value.unwrap().as_str().unwrap(), format!("{}…", &big[..32]));
    }
}
