//! `produce_test_message`: write a few test messages (JSON, text or raw bytes, with keys, headers and
//! partitions), optionally validated against the topic's inferred schema or a given one, and read back
//! to prove the bytes landed as sent. Every safety rule applies, dry runs included.

use super::infer_schema::{infer_topic, schema_uri, InferSchemaArgs};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::kafka::decode::decode;
use crate::kafka::produce::{check_partitions, check_produce};
use crate::kafka::OutRecord;
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Backend, Tool, ToolInfo};
use crate::schema::{Issue, Validator};
use base64::Engine;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub struct ProduceTestMessage;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProduceArgs {
    /// The topic to write to; it must exist (see list_topics) and pass the server's produce allow/deny globs.
    #[schemars(length(min = 1, max = 249))]
    pub topic: String,
    /// The messages, 1 to 1000 (the server's safety.max_messages_per_call may allow fewer), written in order.
    #[schemars(length(min = 1, max = 1000))]
    pub messages: Vec<MessageArg>,
    /// "none" (default), "inferred" (the topic's schema from infer_schema, inferred now if not yet kept), or a JSON Schema object.
    #[serde(default)]
    pub validate: ValidateArg,
    /// What to do when a message breaks the schema: "reject" (default: write nothing) or "write" (write anyway, e.g. for negative tests).
    #[serde(default)]
    pub on_invalid: OnInvalid,
    /// Validate and report, write nothing. Default false.
    #[serde(default)]
    pub dry_run: bool,
    /// Read each written message back at its partition and offset and compare key, value and header bytes. Default true.
    #[serde(default = "crate::defaults::yes")]
    pub verify: bool,
    /// With a Schema Registry: JSON values are serialised with the schema of the topic's value subject (Confluent
    /// wire format) when it has one. Subject naming: topic_name (default, `<topic>-value`), record_name or topic_record_name.
    #[serde(default)]
    pub subject_strategy: crate::registry::SubjectStrategy,
    /// The record's full name (e.g. shop.Order) for the record_name strategies; with Protobuf, the message to write (default: the schema's first).
    #[serde(default)]
    pub record_name: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageArg {
    /// The key as UTF-8 text. Default: no key.
    #[serde(default)]
    pub key: Option<String>,
    /// The value: any JSON value (written as compact JSON) with value_encoding "json"; a string with "text" (UTF-8) or "base64" (raw bytes, e.g. a Confluent-framed payload). Absent or null: a tombstone (no value).
    #[serde(default)]
    pub value: Option<Value>,
    /// "json" (default), "text" or "base64".
    #[serde(default)]
    pub value_encoding: ValueEncoding,
    /// Headers, name to UTF-8 text value. Default none.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The partition. Default: chosen by the key's hash (or spread when there is no key).
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub partition: Option<i32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueEncoding {
    #[default]
    Json,
    Text,
    Base64,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ValidateArg {
    /// "none" or "inferred".
    Mode(ValidateMode),
    /// A JSON Schema (2020-12 unless its $schema says otherwise).
    Schema(Map<String, Value>),
}

impl Default for ValidateArg {
    fn default() -> Self {
        ValidateArg::Mode(ValidateMode::None)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValidateMode {
    None,
    Inferred,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnInvalid {
    #[default]
    Reject,
    Write,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProduceOutput {
    pub topic: String,
    pub dry_run: bool,
    /// Messages written to Kafka by this call.
    pub written: usize,
    /// none, inferred (with the resource it came from) or given.
    pub validation: String,
    /// Messages that break the schema.
    pub invalid: usize,
    /// Messages whose read-back differed from what was sent (only when verify).
    pub mismatched: usize,
    pub results: Vec<MessageResult>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MessageResult {
    pub index: usize,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub timestamp_ms: Option<i64>,
    /// true when the read-back was byte-identical; absent when not written or not verified.
    pub verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    pub validation_errors: Vec<Issue>,
}

impl Tool for ProduceTestMessage {
    type Args = ProduceArgs;
    type Output = ProduceOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "produce_test_message",
            title: "Produce test messages",
            description: "Writes test messages (JSON, text or base64; keys, headers, partition) idempotently with acks=all and reads each back to verify; validates first against the inferred or a given schema (`dry_run` writes nothing). Next: peek_messages or run_test_cases to check the consumer.",
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
            writes_kafka: true,
            requires: &[Backend::Kafka],
            resources: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: ProduceArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run(cx, args))
    }
}

/// The bytes of one message argument; errors name `messages[i].value`.
fn to_record(i: usize, m: &MessageArg) -> Result<OutRecord> {
    let arg = format!("messages[{i}].value");
    let value = match (&m.value, m.value_encoding) {
        (None, _) => None,
        (Some(v), ValueEncoding::Json) => Some(serde_json::to_vec(v).map_err(Error::internal)?),
        (Some(Value::String(s)), ValueEncoding::Text) => Some(s.as_bytes().to_vec()),
        (Some(Value::String(s)), ValueEncoding::Base64) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .map_err(|e| Error::bad_input(&arg, format!("standard base64 with value_encoding \"base64\" ({e})")))?,
        ),
        (Some(_), enc) => {
            return Err(Error::bad_input(
                &arg,
                format!(
                    "a string with value_encoding \"{}\"",
                    if enc == ValueEncoding::Text { "text" } else { "base64" }
                ),
            ))
        }
    };
    Ok(OutRecord {
        key: m.key.as_ref().map(|k| k.as_bytes().to_vec()),
        value,
        headers: m.headers.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())).collect(),
        partition: m.partition,
    })
}

/// The JSON document a value stands for, to validate: the argument itself for JSON, else the decoded bytes.
fn document(m: &MessageArg, record: &OutRecord) -> std::result::Result<Option<Value>, Issue> {
    match (&m.value, m.value_encoding, &record.value) {
        (None, _, _) | (_, _, None) => Ok(None),
        (Some(v), ValueEncoding::Json, _) => Ok(Some(v.clone())),
        (_, _, Some(bytes)) => match decode(bytes) {
            (_, Some(v)) => Ok(Some(v)),
            (enc, None) => Err(Issue {
                path: "$".into(),
                message: format!("the value is {enc}, not JSON, so it cannot match a JSON Schema"),
            }),
        },
    }
}

/// The schema to validate against and how it was found, or None for "none".
async fn schema_for(cx: &CallContext, topic: &str, validate: &ValidateArg) -> Result<Option<(Value, String)>> {
    match validate {
        ValidateArg::Mode(ValidateMode::None) => Ok(None),
        ValidateArg::Schema(s) => Ok(Some((Value::Object(s.clone()), "given".into()))),
        ValidateArg::Mode(ValidateMode::Inferred) => {
            let uri = schema_uri(topic);
            let kept = cx
                .state
                .resources
                .get(&uri)
                .and_then(|r| serde_json::from_str::<Value>(&r.text).ok())
                .and_then(|v| v.get("schema").cloned());
            if let Some(schema) = kept {
                return Ok(Some((schema, format!("inferred (kept as {uri})"))));
            }
            let inferred = infer_topic(cx, &InferSchemaArgs::for_topic(topic)).await?;
            let schema = inferred.schema.ok_or_else(|| {
                Error::bad_input("validate", format!("a JSON Schema object or \"none\": `{topic}` has no JSON messages to infer a schema from ({} sampled)", inferred.messages_sampled))
            })?;
            Ok(Some((schema, format!("inferred now from {} messages (kept as {uri})", inferred.json_values))))
        }
    }
}

async fn run(cx: &CallContext, args: ProduceArgs) -> Result<Reply> {
    let mut records: Vec<OutRecord> =
        args.messages.iter().enumerate().map(|(i, m)| to_record(i, m)).collect::<Result<_>>()?;
    check_produce(cx.guard(), &args.topic, &records)?;
    let registered = serialise_with_registry(cx, &args, &mut records).await?;
    let kafka = &cx.state.kafka;
    check_partitions(&kafka.topic(&args.topic).await?, &records)?;

    let schema = schema_for(cx, &args.topic, &args.validate).await?;
    let validator = match &schema {
        Some((s, _)) => Some(Validator::new(s).map_err(|e| match e {
            Error::BadInput { expected, .. } => Error::bad_input("validate", expected),
            other => other,
        })?),
        None => None,
    };
    let issues: Vec<Vec<Issue>> = args
        .messages
        .iter()
        .zip(&records)
        .map(|(m, r)| match (&validator, document(m, r)) {
            (None, _) | (Some(_), Ok(None)) => vec![],
            (Some(v), Ok(Some(doc))) => v.errors(&doc),
            (Some(_), Err(issue)) => vec![issue],
        })
        .collect();
    let invalid = issues.iter().filter(|i| !i.is_empty()).count();
    let mut results: Vec<MessageResult> = issues
        .into_iter()
        .enumerate()
        .map(|(index, validation_errors)| MessageResult {
            index,
            partition: records[index].partition,
            offset: None,
            timestamp_ms: None,
            verified: None,
            mismatch: None,
            validation_errors,
        })
        .collect();

    let rejected = invalid > 0 && args.on_invalid == OnInvalid::Reject;
    let mut mismatched = 0;
    let mut written = 0;
    if !args.dry_run && !rejected {
        cx.check_cancelled()?;
        let deliveries = kafka.produce(cx.guard(), &args.topic, records.clone()).await?;
        written = deliveries.len();
        for (r, d) in results.iter_mut().zip(&deliveries) {
            (r.partition, r.offset, r.timestamp_ms) = (Some(d.partition), Some(d.offset), d.timestamp_ms);
        }
        if args.verify {
            cx.progress.report(written as u64, Some(written as u64), "reading back").await;
            let checks = kafka.verify(&args.topic, &records, &deliveries).await?;
            for (r, mismatch) in results.iter_mut().zip(checks) {
                r.verified = Some(mismatch.is_none());
                mismatched += usize::from(mismatch.is_some());
                r.mismatch = mismatch;
            }
        }
    }

    let mut validation = schema.as_ref().map_or("none".to_string(), |(_, how)| how.clone());
    if let Some(r) = &registered {
        validation.push_str(&format!("; values serialised with {r}"));
    }
    let outcome = if args.dry_run {
        format!("Dry run: nothing written; {invalid} of {} messages break the schema.", records.len())
    } else if rejected {
        format!("Nothing written: {invalid} of {} messages break the schema (on_invalid \"reject\"; pass \"write\" to write them anyway).", records.len())
    } else if args.verify {
        format!(
            "Wrote {written} messages; {} read back byte-identical, {mismatched} differ; {invalid} break the schema.",
            written - mismatched
        )
    } else {
        format!("Wrote {written} messages (not verified); {invalid} break the schema.")
    };
    let summary = format!("# Produce to `{}`\n{outcome} Validation: {validation}.", args.topic);
    let rows = results.iter().map(result_row).collect();
    let out =
        ProduceOutput { topic: args.topic, dry_run: args.dry_run, written, validation, invalid, mismatched, results };
    Ok(next_step(Reply::new(&out)?, &out)
        .summary(summary)
        .rows(
            "results",
            "| # | partition | offset | timestamp ms | verified | validation errors |\n|---|---|---|---|---|---|",
            rows,
        )
        .narrow_with("send fewer messages per call"))
}

/// After producing: read a written record back (the first one), or fix what the schema refused.
fn next_step(reply: Reply, out: &ProduceOutput) -> Reply {
    use serde_json::json;
    let written = out.results.iter().find_map(|r| Some((r.partition?, r.offset?)));
    match written {
        Some((partition, offset)) if out.written > 0 => reply.next(
            "peek_messages",
            json!({"topic": out.topic, "partition": partition, "offset": offset, "max_messages": out.written.min(20)}),
            "see the written records as a consumer would; then run_test_cases to check the processor",
        ),
        _ if out.invalid > 0 => reply.next(
            "infer_schema",
            json!({"topic": out.topic}),
            format!(
                "{} message(s) break the schema: compare them with the topic's schema, fix and send again",
                out.invalid
            ),
        ),
        _ => reply.next_tool("produce_test_message", "the dry run passed: send the same messages without dry_run"),
    }
}

/// With a Schema Registry and a subject that has a schema: JSON values become Confluent-framed payloads of that
/// schema (nothing is written when one does not fit: the error names the message and the field). Returns what
/// was used ("AVRO schema id 3, subject `orders-value` version 2"), or None without a registry or subject.
async fn serialise_with_registry(
    cx: &CallContext,
    args: &ProduceArgs,
    records: &mut [OutRecord],
) -> Result<Option<String>> {
    let Some(registry) = cx.state.registry_opt() else { return Ok(None) };
    let wants =
        |m: &MessageArg| m.value_encoding == ValueEncoding::Json && m.value.as_ref().is_some_and(|v| !v.is_null());
    if !args.messages.iter().any(wants) {
        return Ok(None);
    }
    let subject = crate::registry::subject_for(&args.topic, false, args.subject_strategy, args.record_name.as_deref())
        .map_err(|e| Error::bad_input("record_name", e))?;
    let Some(reg) = registry.latest(&subject).await? else { return Ok(None) };
    let message = match reg.schema_type {
        crate::registry::SchemaType::Protobuf => args.record_name.as_deref(),
        _ => None,
    };
    for (i, (m, r)) in args.messages.iter().zip(records.iter_mut()).enumerate() {
        if let (true, Some(v)) = (wants(m), &m.value) {
            let payload = reg.parsed.encode(v, message).map_err(|e| {
                Error::bad_input(
                    format!("messages[{i}].value"),
                    format!("{e} (schema id {}, subject `{subject}`)", reg.id),
                )
            })?;
            r.value = Some(crate::registry::codec::frame(reg.id, &payload));
        }
    }
    Ok(Some(format!(
        "{} schema id {}, subject `{subject}` version {}",
        reg.schema_type.as_str(),
        reg.id,
        reg.version.map_or("?".into(), |v| v.to_string())
    )))
}

fn result_row(r: &MessageResult) -> String {
    let show = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
    let verified = match (r.verified, &r.mismatch) {
        (Some(true), _) => "yes".to_string(),
        (Some(false), Some(m)) => format!("NO: {m}"),
        _ => "-".to_string(),
    };
    let errors =
        r.validation_errors.iter().map(|i| format!("{}: {}", i.path, i.message)).collect::<Vec<_>>().join("; ");
    format!(
        "| {} | {} | {} | {} | {verified} | {} |",
        r.index,
        show(r.partition.map(i64::from)),
        show(r.offset),
        show(r.timestamp_ms),
        if errors.is_empty() { "none".into() } else { errors }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(v: Value) -> MessageArg {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn builds_bytes_for_each_encoding() {
        let r =
            to_record(0, &msg(json!({"key": "k", "value": {"a": 1}, "headers": {"h": "v"}, "partition": 2}))).unwrap();
        assert_eq!(
            (r.key.as_deref(), r.value.as_deref(), r.partition),
            (Some(&b"k"[..]), Some(&br#"{"a":1}"#[..]), Some(2))
        );
        assert_eq!(r.headers, vec![("h".to_string(), b"v".to_vec())]);
        assert_eq!(to_record(0, &msg(json!({"value": "hi", "value_encoding": "text"}))).unwrap().value.unwrap(), b"hi");
        assert_eq!(
            to_record(0, &msg(json!({"value": "AAAAAAc=", "value_encoding": "base64"}))).unwrap().value.unwrap(),
            vec![0, 0, 0, 0, 7]
        );
        assert_eq!(to_record(0, &msg(json!({}))).unwrap().value, None);
        assert_eq!(
            to_record(3, &msg(json!({"value": 5, "value_encoding": "text"}))).unwrap_err().argument(),
            Some("messages[3].value")
        );
        assert_eq!(
            to_record(1, &msg(json!({"value": "%%", "value_encoding": "base64"}))).unwrap_err().argument(),
            Some("messages[1].value")
        );
    }

    #[test]
    fn documents_to_validate_come_from_json_or_decoded_bytes() {
        let text = msg(json!({"value": "{\"a\":1}", "value_encoding": "text"}));
        assert_eq!(document(&text, &to_record(0, &text).unwrap()).unwrap(), Some(json!({"a": 1})));
        let plain = msg(json!({"value": "hello", "value_encoding": "text"}));
        assert!(document(&plain, &to_record(0, &plain).unwrap()).unwrap_err().message.contains("not JSON"));
        let tomb = msg(json!({"key": "k"}));
        assert_eq!(document(&tomb, &to_record(0, &tomb).unwrap()).unwrap(), None);
    }
}
