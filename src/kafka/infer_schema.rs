//! `infer_schema`: sample a topic within bounds, decode every payload, infer a JSON Schema from the JSON
//! values, and keep it as the resource `kafka://topics/{name}/schema`.

use crate::context::CallContext;
use crate::error::Result;
use crate::kafka::payloads::{Contents, EncodingCount, NonJsonExample};
use crate::kafka::start_arg::FromArg;
use crate::kafka::{SampleRequest, StopReason};
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Backend, ResourceTemplate, Tool, ToolInfo};
use crate::resources::StoredResource;
use crate::schema::{FieldStats, Inferrer, KeywordEvidence};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

pub struct InferSchema;

pub const MAX_BYTES_LIMIT: usize = 256 * 1024 * 1024;
/// Structural keywords listed in the reply's text (all are in `keywords`).
const MAX_KEYWORDS_SHOWN: usize = 12;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InferSchemaArgs {
    /// The topic to sample (see list_topics).
    #[schemars(length(min = 1, max = 249))]
    pub topic: String,
    /// Read only this partition. Default: every partition.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub partition: Option<i32>,
    /// Where to start: "tail" (default: the last tail_count messages of each partition), "earliest", "latest" (waits for new messages until timeout_ms), {"offset": N}, or {"timestamp": "2024-01-15T03:00:00Z" or Unix ms}.
    #[serde(default)]
    pub from: FromArg,
    /// With from "tail": messages per partition, 1 to 100000. Default 100.
    #[serde(default = "default_tail")]
    #[schemars(range(min = 1, max = 100000))]
    pub tail_count: u64,
    /// Stop after this many messages, 1 to 100000. Default 500.
    #[serde(default = "default_max_messages")]
    #[schemars(range(min = 1, max = 100000))]
    pub max_messages: usize,
    /// Stop before reading more than this many bytes (keys, values, headers), 1 to 268435456 (256 MiB). Default 16777216 (16 MiB).
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1, max = 268435456))]
    pub max_bytes: usize,
    /// Stop reading after this many milliseconds, 100 to 120000. Default 10000.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 100, max = 120000))]
    pub timeout_ms: u64,
}

fn default_tail() -> u64 {
    100
}
fn default_max_messages() -> usize {
    500
}
fn default_max_bytes() -> usize {
    16 * 1024 * 1024
}
fn default_timeout() -> u64 {
    10_000
}

impl InferSchemaArgs {
    /// The defaults for a topic, as produce_test_message uses them to infer a schema it was not given.
    pub fn for_topic(topic: &str) -> InferSchemaArgs {
        InferSchemaArgs {
            topic: topic.to_string(),
            partition: None,
            from: FromArg::default(),
            tail_count: default_tail(),
            max_messages: default_max_messages(),
            max_bytes: default_max_bytes(),
            timeout_ms: default_timeout(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct InferSchemaOutput {
    pub topic: String,
    /// Where the sample started, as understood.
    pub from: String,
    pub messages_sampled: usize,
    pub bytes_sampled: usize,
    /// Why sampling stopped: count, bytes, timeout or end (every partition read to its end).
    pub stopped_by: StopReason,
    pub elapsed_ms: u64,
    /// Encodings seen per part (value, key, header:NAME), with Confluent schema ids.
    pub encodings: Vec<EncodingCount>,
    /// JSON Schema 2020-12 of the JSON values (framed or not); absent when no value was JSON.
    pub schema: Option<Value>,
    /// 0..1: how far the schema can be trusted.
    pub confidence: f64,
    /// JSON values the schema was inferred from.
    pub json_values: usize,
    pub non_json_values: usize,
    pub tombstones: usize,
    /// A few values that are not JSON (text, binary, Confluent binary such as Avro or Protobuf).
    pub non_json_examples: Vec<NonJsonExample>,
    /// Framed payloads not decoded with the Schema Registry, and why (an id it lacks, bytes that do not fit, the registry down).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registry_errors: Vec<String>,
    /// JSON Schema of the keys, when keys are JSON objects or arrays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<Value>,
    /// Where the schema is kept for later reads (absent when no schema was inferred).
    pub resource_uri: Option<String>,
    /// Per field: presence, types, format, enum candidates, ranges, examples.
    pub fields: Vec<FieldStats>,
    /// Structural keywords inferred (pattern, additionalProperties, multipleOf, uniqueItems, oneOf), each with its confidence and evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<KeywordEvidence>,
    /// With a Schema Registry: the schema most values were written with, as JSON Schema, and the drift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered: Option<crate::registry::drift::RegisteredView>,
}

impl Tool for InferSchema {
    type Args = InferSchemaArgs;
    type Output = InferSchemaOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "infer_schema",
            title: "Infer a topic's message schema",
            description: "Samples a topic (bounded) and infers a JSON Schema of its values: types, presence, formats, enums, ranges, examples, encodings (JSON, Confluent, text, binary) and a confidence; kept as kafka://topics/{name}/schema. Next: produce_test_message with validate \"inferred\", generate_test_data or generate_test_cases.",
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            writes_kafka: false,
            requires: &[Backend::Kafka],
            resources: &[ResourceTemplate {
                uri_template: "kafka://topics/{name}/schema",
                name: "topic-schema",
                description: "The latest schema infer_schema inferred for the topic",
                mime_type: "application/schema+json",
            }],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: InferSchemaArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(async move {
            let out = infer_topic(cx, &args).await?;
            reply(out)
        })
    }
}

pub fn schema_uri(topic: &str) -> String {
    format!("kafka://topics/{topic}/schema")
}

/// Samples, decodes, infers, and stores the schema resource. Shared with produce_test_message.
pub async fn infer_topic(cx: &CallContext, args: &InferSchemaArgs) -> Result<InferSchemaOutput> {
    let start = args.from.to_start("from", args.tail_count)?;
    cx.progress.report(0, None, format!("sampling {}", args.topic)).await;
    let sample = cx
        .state
        .kafka
        .sample(SampleRequest {
            topic: args.topic.clone(),
            partition: args.partition,
            start,
            max_messages: args.max_messages,
            max_bytes: args.max_bytes,
            timeout: Duration::from_millis(args.timeout_ms),
        })
        .await?;
    cx.check_cancelled()?;
    let count = sample.records.len() as u64;
    cx.progress.report(count, Some(count), format!("decoding {count} messages")).await;
    let registry = cx.state.registry_opt();
    let mut registry_errors = vec![];
    if let Some(reg) = registry {
        registry_errors
            .extend(crate::registry::prefetch_topic(reg, &args.topic, &sample.records, true).await.into_values());
    }
    let contents = Contents::of_with(&sample.records, registry);
    registry_errors.extend(contents.decode_errors.iter().cloned());
    let registered = match registry.and_then(|reg| crate::registry::drift::registered_view(reg, &sample.records)) {
        Some(Ok(view)) => Some(view),
        Some(Err(e)) => {
            registry_errors.push(format!("the registered schema could not be converted: {e}"));
            None
        }
        None => None,
    };
    let (schema, confidence, fields, keywords) = if contents.values.is_empty() {
        (None, 0.0, vec![], vec![])
    } else {
        let mut inferrer = Inferrer::new();
        contents.values.iter().for_each(|v| inferrer.add(v));
        let inference = inferrer.finish();
        (Some(inference.schema), inference.confidence, inference.fields, inference.keywords)
    };
    let key_schema = (!contents.keys.is_empty()).then(|| {
        let mut inferrer = Inferrer::new();
        contents.keys.iter().for_each(|v| inferrer.add(v));
        inferrer.finish().schema
    });
    let resource_uri = schema.as_ref().map(|s| {
        let uri = schema_uri(&args.topic);
        let text = json!({
            "topic": args.topic,
            "schema": s,
            "confidence": confidence,
            "keywords": keywords,
            "samples": contents.values.len(),
            "encodings": contents.encodings,
            "inferred_at": chrono::Utc::now().to_rfc3339(),
        });
        cx.state.resources.put(StoredResource {
            uri: uri.clone(),
            name: format!("Schema of {}", args.topic),
            description: format!("JSON Schema inferred from {} messages of {}", contents.values.len(), args.topic),
            mime_type: "application/json".into(),
            text: text.to_string(),
        });
        uri
    });
    Ok(InferSchemaOutput {
        topic: args.topic.clone(),
        from: args.from.describe(args.tail_count),
        messages_sampled: sample.records.len(),
        bytes_sampled: sample.bytes,
        stopped_by: sample.stopped_by,
        elapsed_ms: sample.elapsed.as_millis() as u64,
        encodings: contents.encodings,
        schema,
        confidence,
        json_values: contents.values.len(),
        non_json_values: contents.non_json_values,
        tombstones: contents.tombstones,
        non_json_examples: contents.non_json_examples,
        registry_errors,
        key_schema,
        resource_uri,
        fields,
        keywords,
        registered,
    })
}

fn reply(out: InferSchemaOutput) -> Result<Reply> {
    let encodings = out
        .encodings
        .iter()
        .map(|e| match (e.schema_id, &e.subject, &e.schema_type) {
            (Some(id), Some(subject), Some(kind)) => format!(
                "{} {} (schema id {id}: {kind}, subject `{subject}` version {}) ×{}",
                e.part,
                e.encoding,
                e.version.map_or("?".into(), |v| v.to_string()),
                e.count
            ),
            (Some(id), _, _) => format!("{} {} (schema id {id}) ×{}", e.part, e.encoding, e.count),
            _ => format!("{} {} ×{}", e.part, e.encoding, e.count),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut summary = format!(
        "# Schema of `{}`\nSampled {} messages ({} bytes) from {} in {} ms; stopped by {:?}. Encodings: {}.\n{} JSON values, {} not JSON, {} tombstones. Confidence {:.2}.",
        out.topic,
        out.messages_sampled,
        out.bytes_sampled,
        out.from,
        out.elapsed_ms,
        out.stopped_by,
        if encodings.is_empty() { "none".into() } else { encodings },
        out.json_values,
        out.non_json_values,
        out.tombstones,
        out.confidence
    );
    if let Some(uri) = &out.resource_uri {
        summary.push_str(&format!(" Kept as `{uri}`."));
    }
    if let Some(schema) = &out.schema {
        summary.push_str(&format!("\n\n```json\n{}\n```", serde_json::to_string(schema).unwrap_or_default()));
    }
    if !out.keywords.is_empty() {
        let shown: Vec<String> = out
            .keywords
            .iter()
            .take(MAX_KEYWORDS_SHOWN)
            .map(|k| format!("`{}` at {} ({:.2}: {})", k.keyword, k.path, k.confidence, k.evidence))
            .collect();
        let more = out.keywords.len().saturating_sub(MAX_KEYWORDS_SHOWN);
        let more = if more > 0 { format!("; {more} more in `keywords`") } else { String::new() };
        summary.push_str(&format!("\nStructure inferred: {}{more}.", shown.join("; ")));
    }
    if let Some(r) = &out.registered {
        summary.push_str(&crate::registry::drift::summary(r));
    }
    for e in &out.registry_errors {
        summary.push_str(&format!("\n- not decoded with the Schema Registry: {e}"));
    }
    for e in &out.non_json_examples {
        summary.push_str(&format!("\n- not JSON at {}:{} ({}): {}", e.partition, e.offset, e.encoding, e.value));
    }
    let rows = out.fields.iter().map(field_row).collect();
    let empty = if out.messages_sampled == 0 {
        "The sample was empty: the topic (or partition) holds no messages in the chosen range. Try from \"earliest\", a larger tail_count, or from \"latest\" with a longer timeout_ms while messages are produced."
    } else {
        "No field statistics: no sampled value was a JSON object. See the encodings above."
    };
    let topic = serde_json::json!(out.topic);
    let (tool, arguments, why) = if out.messages_sampled == 0 {
        (
            "infer_schema",
            serde_json::json!({"topic": topic, "from": "earliest"}),
            "the tail was empty: sample from the start",
        )
    } else if out.schema.is_some() && out.confidence < 0.5 {
        (
            "infer_schema",
            serde_json::json!({"topic": topic, "from": "earliest", "max_messages": 5000}),
            "low confidence: sample more messages",
        )
    } else if out.schema.is_some() {
        (
            "generate_test_cases",
            serde_json::json!({"topic": topic}),
            "test cases for each field and constraint of this schema",
        )
    } else {
        ("peek_messages", serde_json::json!({"topic": topic, "tail": 3}), "no JSON values: look at the raw records")
    };
    Ok(Reply::new(&out)?
        .summary(summary)
        .next(tool, arguments, why)
        .rows(
            "fields",
            "| field | types | presence | format | enum candidates | range | examples |\n|---|---|---|---|---|---|---|",
            rows,
        )
        .when_empty(empty)
        .narrow_with("lower max_messages, or read one partition"))
}

fn field_row(f: &FieldStats) -> String {
    let types = f.types.iter().map(|(t, n)| format!("{t}:{n}")).collect::<Vec<_>>().join(" ");
    let enums = f
        .enum_candidates
        .as_ref()
        .map(|e| e.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let range = match (f.min, f.max, f.min_length, f.max_length) {
        (Some(lo), Some(hi), _, _) => format!("{lo}..{hi}"),
        (_, _, Some(lo), Some(hi)) => format!("len {lo}..{hi}"),
        _ => String::new(),
    };
    let examples = f.examples.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
    format!(
        "| {} | {types} | {:.0}% | {} | {enums} | {range} | {} |",
        f.path,
        f.presence * 100.0,
        f.format.as_deref().unwrap_or(""),
        examples.chars().take(120).collect::<String>()
    )
}
