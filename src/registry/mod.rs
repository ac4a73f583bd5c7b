//! Schema Registry: the client (Confluent REST API, cached), the wire-format codec (Avro, Protobuf, JSON
//! Schema), subject naming strategies, compatibility checks, and the registry tool.
//!
//! Read paths decode in two steps: [`prefetch`] fetches (once, cached) the schemas of the framed payloads of a
//! batch of records, then [`decode_cached`] decodes each payload without I/O.

pub mod avro_fast;
pub mod check_schema_compatibility;
pub mod client;
pub mod codec;
pub mod compat;
pub mod drift;
pub mod evolution;
pub mod schema_arg;
pub mod to_json_schema;

pub use client::{naming, Registered, RegistryClient};
pub use codec::{Parsed, SchemaType};

use crate::kafka::Record;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// How the subject of a topic's values (or keys) is named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectStrategy {
    /// `<topic>-value` (`<topic>-key`): Confluent's default.
    #[default]
    TopicName,
    /// The record's full name (Avro record / Protobuf message / JSON Schema title): needs `record_name`.
    RecordName,
    /// `<topic>-<record full name>`: needs `record_name`.
    TopicRecordName,
}

/// The subject of a topic's values (`is_key` false) or keys under a strategy.
pub fn subject_for(
    topic: &str,
    is_key: bool,
    strategy: SubjectStrategy,
    record_name: Option<&str>,
) -> Result<String, String> {
    let part = if is_key { "key" } else { "value" };
    match (strategy, record_name.filter(|n| !n.is_empty())) {
        (SubjectStrategy::TopicName, _) => Ok(format!("{topic}-{part}")),
        (SubjectStrategy::RecordName, Some(n)) => Ok(n.to_string()),
        (SubjectStrategy::TopicRecordName, Some(n)) => Ok(format!("{topic}-{n}")),
        (_, None) => Err("`record_name` (the record's full name, e.g. shop.Order) with this subject_strategy".into()),
    }
}

/// A payload decoded with a registry schema: its value and which schema it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub value: Value,
    pub schema_id: u32,
    pub schema_type: SchemaType,
    pub subject: Option<String>,
    pub version: Option<i64>,
    /// The Protobuf message type.
    pub message: Option<String>,
}

/// Fetches the schemas of every framed value and key of `records` that are not cached yet (one request per
/// schema id); returns the ids that could not be fetched with why (an id the registry lacks, the registry down:
/// reads go on without them).
pub async fn prefetch(registry: &RegistryClient, records: &[Record]) -> BTreeMap<u32, String> {
    fetch_ids(registry, framed_ids(records)).await
}

/// The same for records of one topic, naming subjects and versions: first the latest version of the topic's
/// `<topic>-value` (and `-key`) subject, which holds the schema of most topics' messages and names it in the
/// same request; then the remaining ids, and with `names` the subjects of those (one more request per id).
pub async fn prefetch_topic(
    registry: &RegistryClient,
    topic: &str,
    records: &[Record],
    names: bool,
) -> BTreeMap<u32, String> {
    let missing = |ids: &[u32]| ids.iter().any(|id| registry.cached(*id).is_none());
    let value_ids = framed(records.iter().filter_map(|r| r.value.as_deref()));
    let key_ids = framed(records.iter().filter_map(|r| r.key.as_deref()));
    let mut failed = BTreeMap::new();
    for (ids, part) in [(&value_ids, "value"), (&key_ids, "key")] {
        if !missing(ids) {
            continue;
        }
        if let Err(e) = registry.latest(&format!("{topic}-{part}")).await {
            if matches!(e, crate::Error::Unreachable { .. } | crate::Error::Timeout { .. }) {
                failed.extend(value_ids.iter().chain(&key_ids).map(|id| (*id, e.to_string())));
                return failed;
            }
        }
    }
    let mut ids = [value_ids, key_ids].concat();
    ids.sort_unstable();
    ids.dedup();
    failed.extend(fetch_ids(registry, ids.clone()).await);
    if names {
        for id in ids.into_iter().filter(|id| !failed.contains_key(id)) {
            if registry.known_names(id).is_empty() {
                registry.names(id).await;
            }
        }
    }
    failed
}

fn framed<'a>(payloads: impl Iterator<Item = &'a [u8]>) -> Vec<u32> {
    let mut ids: Vec<u32> = payloads.filter_map(codec::schema_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn framed_ids(records: &[Record]) -> Vec<u32> {
    framed(records.iter().flat_map(|r| [r.value.as_deref(), r.key.as_deref()]).flatten())
}

async fn fetch_ids(registry: &RegistryClient, ids: Vec<u32>) -> BTreeMap<u32, String> {
    let mut failed = BTreeMap::new();
    for id in ids {
        if registry.cached(id).is_some() {
            continue;
        }
        if let Err(e) = registry.by_id(id).await {
            let unreachable = matches!(e, crate::Error::Unreachable { .. } | crate::Error::Timeout { .. });
            failed.insert(id, e.to_string());
            // A registry that does not answer is not asked again for every id of the batch.
            if unreachable {
                break;
            }
        }
    }
    failed
}

/// Decodes a framed payload with its cached schema: None when it is not framed or its schema is not cached;
/// Some(Err) when the schema is known but the bytes do not fit it.
pub fn decode_cached(registry: &RegistryClient, bytes: &[u8]) -> Option<Result<Decoded, String>> {
    decode_named(registry, bytes, None)
}

/// The same, naming the subject of `topic` (values, or keys with `is_key`) when the schema has several.
pub fn decode_named(
    registry: &RegistryClient,
    bytes: &[u8],
    topic: Option<(&str, bool)>,
) -> Option<Result<Decoded, String>> {
    let id = codec::schema_id(bytes)?;
    let r = registry.cached(id)?;
    let (subject, version) = match client::naming(&registry.known_names(id), topic) {
        (None, _) => (r.subject.clone(), r.version),
        named => named,
    };
    Some(
        r.parsed
            .decode(&bytes[codec::HEADER..])
            .map(|(value, message)| Decoded {
                value,
                schema_id: id,
                schema_type: r.schema_type,
                subject,
                version,
                message,
            })
            .map_err(|e| format!("schema id {id}: expected {e}")),
    )
}

/// The JSON of a payload: decoded with the registry when it is framed and its schema is cached, else what
/// [`crate::kafka::decode`] finds (JSON, framed JSON).
pub fn json_of(registry: Option<&RegistryClient>, bytes: &[u8]) -> Option<Value> {
    if let Some(Some(Ok(d))) = registry.map(|r| decode_cached(r, bytes)) {
        return Some(d.value);
    }
    crate::kafka::decode(bytes).1
}

/// This domain's tools, in the order tools/list shows them.
pub fn tools() -> Vec<Box<dyn crate::mcp::tool::DynTool>> {
    vec![Box::new(check_schema_compatibility::CheckSchemaCompatibility)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_by_strategy() {
        assert_eq!(subject_for("orders", false, SubjectStrategy::TopicName, None).unwrap(), "orders-value");
        assert_eq!(subject_for("orders", true, SubjectStrategy::TopicName, None).unwrap(), "orders-key");
        assert_eq!(subject_for("o", false, SubjectStrategy::RecordName, Some("shop.Order")).unwrap(), "shop.Order");
        assert_eq!(
            subject_for("o", false, SubjectStrategy::TopicRecordName, Some("shop.Order")).unwrap(),
            "o-shop.Order"
        );
        assert!(subject_for("o", false, SubjectStrategy::RecordName, None).is_err());
    }
}
