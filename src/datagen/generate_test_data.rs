//! `generate_test_data`: realistic, seeded records from a JSON Schema, a built-in e-commerce entity or a
//! topic's inferred schema; valid, edge, defect or like-history; to the reply, an NDJSON file or a topic.

use super::defects::Defect;
use super::entities::{Entity, References};
use super::history::Profile;
use super::learn::learn_topic;
use super::sinks::{self, Delivered};
use super::stream::{Mode, Spec, Stream, Target};
use super::values::Window;
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Tool, ToolInfo};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// Most records returned in the reply.
pub const MAX_REPLY_RECORDS: u64 = 1000;
/// Most records written to a file or a topic in one call.
pub const MAX_STREAM_RECORDS: u64 = 10_000_000;
/// The most record bytes one call may build in memory for destination reply.
pub const MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;

pub struct GenerateTestData;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// Records in the reply (at most 1000).
    #[default]
    Reply,
    /// NDJSON file under the export folder (`path`).
    File,
    /// Produced to `target_topic`.
    Topic,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateTestDataArgs {
    /// A JSON Schema (draft 2020-12), an Avro schema, .proto text or "subject:NAME". Give exactly one of schema, entity, topic.
    #[serde(default)]
    pub schema: Option<Value>,
    /// A built-in e-commerce entity, coherent within each record: user, product, cart, order, payment, review.
    #[serde(default)]
    pub entity: Option<Entity>,
    /// A topic whose messages are sampled and whose inferred schema the records follow (required for mode like_history).
    #[serde(default)]
    #[schemars(length(min = 1, max = 249))]
    pub topic: Option<String>,
    /// How many records. Default 10; at most 1000 to the reply, 10,000,000 to a file or a topic.
    #[serde(default = "default_count")]
    #[schemars(range(min = 1, max = 10_000_000))]
    pub count: u64,
    /// Seed of the generator: the same seed and arguments give the same records byte for byte. Default: a random seed, reported in the reply.
    #[serde(default)]
    pub seed: Option<u64>,
    /// valid (default; all validate), edge (boundary values, unicode, empty and maximal strings, extreme numbers; still valid), defect (a share of records each breaking one named constraint, tagged beside the record), like_history (resembling the topic's sampled messages).
    #[serde(default)]
    pub mode: Mode,
    /// In defect mode, the share of records that break a constraint, 0 to 1. Default 0.2.
    #[serde(default = "default_defect_rate")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub defect_rate: f64,
    /// In defect mode, the JSON Schema keywords defects may break (required, type, maxLength, uniqueItems, oneOf, dependentRequired...). Default: any.
    #[serde(default)]
    pub defect_constraints: Vec<String>,
    /// Arithmetic every record keeps, e.g. `total = sum(items[].qty * items[].unit_price)` (paths, sum(), count(), + - * /).
    #[serde(default)]
    pub relations: Vec<String>,
    /// For entities: refer to earlier-generated records of the same seed, e.g. {"users": 100, "products": 50} makes orders reference the first 100 users and 50 products that the same seed generates. Default: fresh identifiers.
    #[serde(default)]
    pub references: References,
    /// Start of the timestamp window, RFC 3339. Default 2024-01-01T00:00:00Z (fixed, so seeds reproduce).
    #[serde(default)]
    pub time_from: Option<String>,
    /// End of the timestamp window, RFC 3339. Default 2024-12-31T23:59:59Z.
    #[serde(default)]
    pub time_to: Option<String>,
    /// reply (default), file (NDJSON under the export folder) or topic.
    #[serde(default)]
    pub destination: Destination,
    /// For destination file: the path inside the export folder, e.g. `data/orders.ndjson`.
    #[serde(default)]
    pub path: Option<String>,
    /// For destination file: replace an existing file. Default false.
    #[serde(default)]
    pub overwrite: bool,
    /// For destination topic: the topic written to (the server's write rules apply).
    #[serde(default)]
    #[schemars(length(min = 1, max = 249))]
    pub target_topic: Option<String>,
    /// For destination topic: the record field (dotted path) whose value becomes the message key, e.g. `order_id`. Default: no key.
    #[serde(default)]
    pub key_field: Option<String>,
    /// For destination topic: at most this many records per second. Default: as fast as the broker takes them.
    #[serde(default)]
    #[schemars(range(min = 0.1, max = 1_000_000.0))]
    pub rate_per_second: Option<f64>,
    /// With `topic`: how many messages to sample. Default 500, at most 10000.
    #[serde(default = "default_sample")]
    #[schemars(range(min = 1, max = 10_000))]
    pub sample_size: usize,
}

fn default_count() -> u64 {
    10
}
fn default_defect_rate() -> f64 {
    0.2
}
fn default_sample() -> usize {
    500
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DefectTag {
    /// Index of the record in `records` (or line in the file, from 0).
    pub index: u64,
    #[serde(flatten)]
    pub defect: Defect,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct GenerateTestDataOutput {
    /// Where the schema came from: `schema`, `entity:order`, `topic:orders (confidence 0.9)`.
    pub source: String,
    pub mode: Mode,
    /// Pass it back to reproduce these records.
    pub seed: u64,
    #[serde(flatten)]
    pub delivered: Delivered,
    /// Defect records the schema could not supply (it lacks the named constraints); delivered valid.
    pub defects_unavailable: u64,
    /// destination file: the NDJSON file written; defect tags, if any, are in `<path>.defects.ndjson`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The schema the records follow (for entities and topics, the built-in or inferred one).
    pub schema: Value,
    /// destination reply: the records.
    pub records: Vec<Value>,
    /// destination reply, mode defect: what each defect record violates (index into records).
    pub defects: Vec<DefectTag>,
}

impl Tool for GenerateTestData {
    type Args = GenerateTestDataArgs;
    type Output = GenerateTestDataOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "generate_test_data",
            title: "Generate test data",
            description: "Generates seeded, realistic records from a JSON Schema, a built-in entity (user, product, cart, order, payment, review) or a topic's inferred schema; modes valid, edge, defect (tagged), like_history; to the reply, an NDJSON file or a topic. Next: generate_test_cases or run_test_cases.",
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
            writes_kafka: false,
            requires: &[],
            resources: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: Self::Args) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run(cx, args))
    }
}

async fn run(cx: &CallContext, args: GenerateTestDataArgs) -> Result<Reply> {
    let cap = if args.destination == Destination::Reply { MAX_REPLY_RECORDS } else { MAX_STREAM_RECORDS };
    if args.count > cap {
        let hint = if args.destination == Destination::Reply { "; use destination file or topic for more" } else { "" };
        return Err(Error::bad_input(
            "count",
            format!("at most {cap} records to destination {:?}{hint}; got {}", args.destination, args.count)
                .to_lowercase(),
        ));
    }
    if [args.schema.is_some(), args.entity.is_some(), args.topic.is_some()].iter().filter(|x| **x).count() > 1 {
        return Err(Error::bad_input("schema", "exactly one of `schema`, `entity` or `topic`"));
    }
    if args.mode == Mode::LikeHistory && args.topic.is_none() {
        return Err(Error::bad_input("mode", "like_history together with `topic` (the history to resemble)"));
    }
    let window = window(&args)?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let schema = match &args.schema {
        Some(s) => Some(crate::registry::schema_arg::resolve(cx, "schema", s).await?),
        None => None,
    };
    let (target, source, profile) = match (&schema, args.entity, &args.topic) {
        (Some((s, from)), _, _) => (Target::Schema(s.clone()), from.clone(), None),
        (_, Some(e), _) => (Target::Entity(e, args.references), format!("entity:{}", e.name()), None),
        (None, None, None) => return Err(Error::bad_input("schema", "exactly one of `schema`, `entity` or `topic`")),
        (_, _, Some(t)) => {
            let learned = learn_topic(&cx.state.kafka, t, args.sample_size).await?;
            let profile = (args.mode == Mode::LikeHistory).then(|| Arc::new(Profile::from_samples(&learned.samples)));
            (
                Target::Schema(learned.schema),
                format!("topic:{t} ({} messages, confidence {:.2})", learned.samples.len(), learned.confidence),
                profile,
            )
        }
    };
    let argument = if args.topic.is_some() { "topic" } else { "schema" };
    let spec = Spec {
        target,
        seed,
        mode: args.mode,
        window,
        defect_rate: args.defect_rate,
        defect_constraints: args.defect_constraints.clone(),
        profile,
    };
    let mut stream = Stream::new(spec)
        .map_err(|e| {
            if e.starts_with("defect constraint") {
                Error::bad_input("defect_constraints", e)
            } else {
                Error::bad_input(argument, e)
            }
        })?
        .with_relations(&args.relations)
        .map_err(|e| Error::bad_input("relations", e))?;
    // Sizes are checked before a single record is allocated.
    let total_cap = if args.destination == Destination::Reply { MAX_REPLY_BYTES } else { u64::MAX };
    crate::datagen::plan::check_sizes(stream.node(), args.count, cx.guard().max_message_bytes, total_cap)
        .map_err(|e| Error::bad_input(argument, e))?;
    let schema = stream.schema().clone();
    let mut out = GenerateTestDataOutput {
        source,
        mode: args.mode,
        seed,
        delivered: Delivered::default(),
        defects_unavailable: 0,
        path: None,
        topic: None,
        schema,
        records: vec![],
        defects: vec![],
    };
    match args.destination {
        Destination::Reply => {
            let (records, tags, delivered) = sinks::to_reply(&mut stream, args.count);
            out.records = records;
            out.defects = tags.into_iter().map(|(index, defect)| DefectTag { index, defect }).collect();
            out.delivered = delivered;
        }
        Destination::File => {
            let rel = args.path.as_deref().ok_or_else(|| {
                Error::bad_input(
                    "path",
                    "a file path inside the export folder for destination file, e.g. `data/orders.ndjson`",
                )
            })?;
            let full = cx.guard().export_path("path", rel, args.overwrite)?;
            out.delivered = sinks::to_file(cx, &mut stream, args.count, &full).await?;
            out.path = Some(full.display().to_string());
        }
        Destination::Topic => {
            let topic = args
                .target_topic
                .as_deref()
                .ok_or_else(|| Error::bad_input("target_topic", "the topic to write to, for destination topic"))?;
            let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
            if topic.is_empty() || topic.len() > 249 || !topic.chars().all(valid) {
                return Err(Error::bad_input(
                    "target_topic",
                    format!(
                        "a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -); got `{}`",
                        crate::error::quote_arg(topic)
                    ),
                ));
            }
            cx.guard().check_topic_write(topic)?;
            // Errors about "the topic" are about this argument, not the `topic` the records may be learnt from.
            out.delivered =
                sinks::to_topic(cx, &mut stream, args.count, topic, args.key_field.as_deref(), args.rate_per_second)
                    .await
                    .map_err(|e| match e {
                        Error::BadInput { argument, expected } if argument == "topic" => {
                            Error::BadInput { argument: "target_topic".into(), expected }
                        }
                        other => other,
                    })?;
            out.topic = Some(topic.to_string());
        }
    }
    out.defects_unavailable = stream.defects_unavailable;
    let mut summary = summary(&out, args.destination);
    if stream.unmet > 0 {
        summary.push_str(&format!(
            "\n- {} records still broke the schema or a relation after 50 draws each (kept as drawn): loosen the bounds the relations must fit",
            stream.unmet
        ));
    }
    let rows: Vec<String> = out.records.iter().map(|r| format!("- `{}`", r)).collect();
    let defect_rows: Vec<String> = out
        .defects
        .iter()
        .map(|d| format!("| {} | `{}` | {} | {} |", d.index, d.defect.path, d.defect.constraint, d.defect.detail))
        .collect();
    let mut reply = Reply::new(&out)?.summary(summary);
    if args.destination == Destination::Reply {
        reply = reply
            .rows("defects", "| record | path | constraint | detail |\n|---|---|---|---|", defect_rows)
            .rows("records", "Records:", rows);
    } else {
        reply = reply.rows("defects", "", defect_rows).rows("records", "", rows);
    }
    reply = match (args.destination, &out.topic, &out.path) {
        (Destination::Topic, Some(t), _) => reply.next(
            "infer_schema",
            serde_json::json!({"topic": t}),
            "check what landed on the topic; then generate_test_cases for its consumer",
        ),
        (Destination::File, _, Some(p)) => {
            reply.next_step(format!("read the NDJSON file `{p}`, or send the records with destination \"topic\""))
        }
        _ => reply.next_step(
            "send these records with produce_test_message (`messages`), or build test cases from the same source with generate_test_cases",
        ),
    };
    Ok(reply.narrow_with("lower `count`, or use destination file (NDJSON) and read the file"))
}

fn summary(out: &GenerateTestDataOutput, destination: Destination) -> String {
    let d = &out.delivered;
    let mut s = format!(
        "## Test data: {} records from {} ({:?}, seed {})\n{} bytes in {} ms ({} records/s)",
        d.count, out.source, out.mode, out.seed, d.bytes, d.duration_ms, d.records_per_second
    );
    match destination {
        Destination::Reply => {}
        Destination::File => s.push_str(&format!("; written to `{}`", out.path.as_deref().unwrap_or(""))),
        Destination::Topic => s.push_str(&format!("; produced to `{}`", out.topic.as_deref().unwrap_or(""))),
    }
    if out.mode == Mode::Defect {
        s.push_str(&format!(
            "\n- defects: {} records break one constraint each (tags beside the records{})",
            d.defects,
            if destination == Destination::File { ", in `<path>.defects.ndjson`" } else { "" }
        ));
        if out.defects_unavailable > 0 {
            s.push_str(&format!(
                "; {} could not be made (the schema lacks the named constraints) and were sent valid",
                out.defects_unavailable
            ));
        }
    }
    if let Some(c) = d.coherent {
        s.push_str(&format!(
            "\n- coherence: {c} of {} records satisfy their entity's rules ({:.1}%)",
            d.count,
            100.0 * c as f64 / d.count.max(1) as f64
        ));
    }
    s
}

fn window(args: &GenerateTestDataArgs) -> Result<Window> {
    let parse = |arg: &str, v: &Option<String>| -> Result<Option<i64>> {
        v.as_deref()
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|d| d.timestamp_millis())
                    .map_err(|e| Error::bad_input(arg, format!("an RFC 3339 time such as 2024-06-01T00:00:00Z ({e})")))
            })
            .transpose()
    };
    let d = Window::default();
    let w = Window {
        start_ms: parse("time_from", &args.time_from)?.unwrap_or(d.start_ms),
        end_ms: parse("time_to", &args.time_to)?.unwrap_or(d.end_ms),
    };
    if w.start_ms > w.end_ms {
        return Err(Error::bad_input("time_to", "a time after time_from"));
    }
    Ok(w)
}
