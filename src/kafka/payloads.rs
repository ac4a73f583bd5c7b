//! What a sample of records contains: the encodings of values, keys and header values (with Confluent
//! schema ids), the JSON documents among them, and a few examples of what is not JSON. Pure.

use super::decode::{decode, printable, Encoding};
use super::sample::Record;
use crate::registry::{decode_named, RegistryClient};
use crate::text::cut_chars;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Examples of non-JSON payloads kept, each cut to this many characters.
const MAX_EXAMPLES: usize = 3;
const EXAMPLE_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EncodingCount {
    /// `value`, `key`, or `header:NAME`.
    pub part: String,
    /// json, confluent_json, confluent_binary, text, binary or empty.
    pub encoding: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<u32>,
    /// With a Schema Registry: the schema's format (AVRO, PROTOBUF, JSON), subject and version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NonJsonExample {
    pub partition: i32,
    pub offset: i64,
    pub encoding: String,
    /// Text as is, other bytes as `base64:...`; cut to 200 characters.
    pub value: String,
}

#[derive(Debug, Default)]
pub struct Contents {
    pub encodings: Vec<EncodingCount>,
    /// The JSON documents of the values (framed or not), in record order.
    pub values: Vec<Value>,
    pub keys: Vec<Value>,
    /// Records whose value is absent (tombstones).
    pub tombstones: usize,
    pub non_json_values: usize,
    pub non_json_examples: Vec<NonJsonExample>,
    /// Framed payloads the registry's schema could not decode (the first few, with why).
    pub decode_errors: Vec<String>,
}

/// A registry schema seen in a sample: (format, subject, version).
type SchemaSeen = (String, Option<String>, Option<i64>);

impl Contents {
    pub fn of(records: &[Record]) -> Contents {
        Contents::of_with(records, None)
    }

    /// The same, decoding framed payloads whose schema the registry client has cached (see
    /// [`crate::registry::prefetch`]): Avro and Protobuf values become JSON documents too.
    pub fn of_with(records: &[Record], registry: Option<&RegistryClient>) -> Contents {
        let mut counts: BTreeMap<(String, Encoding), usize> = BTreeMap::new();
        let mut seen: BTreeMap<u32, SchemaSeen> = BTreeMap::new();
        let mut c = Contents::default();
        let mut with_registry = |bytes: &[u8], topic: (&str, bool), c: &mut Contents| -> Option<Value> {
            match registry.and_then(|reg| decode_named(reg, bytes, Some(topic)))? {
                Ok(d) => {
                    seen.insert(d.schema_id, (d.schema_type.as_str().to_string(), d.subject, d.version));
                    Some(d.value)
                }
                Err(e) => {
                    if c.decode_errors.len() < MAX_EXAMPLES {
                        c.decode_errors.push(e);
                    }
                    None
                }
            }
        };
        for r in records {
            match r.value.as_deref() {
                None => c.tombstones += 1,
                Some(bytes) => {
                    let (enc, json) = decode(bytes);
                    *counts.entry(("value".into(), enc)).or_default() += 1;
                    let json = with_registry(bytes, (&r.topic, false), &mut c).or(json);
                    match json {
                        Some(v) => c.values.push(v),
                        None => {
                            c.non_json_values += 1;
                            if c.non_json_examples.len() < MAX_EXAMPLES {
                                c.non_json_examples.push(NonJsonExample {
                                    partition: r.partition,
                                    offset: r.offset,
                                    encoding: enc.to_string(),
                                    value: cut_chars(&printable(bytes), EXAMPLE_CHARS),
                                });
                            }
                        }
                    }
                }
            }
            if let Some(key) = r.key.as_deref() {
                let (enc, json) = decode(key);
                let json = with_registry(key, (&r.topic, true), &mut c).or(json);
                *counts.entry(("key".into(), enc)).or_default() += 1;
                c.keys.extend(json.filter(|v| v.is_object() || v.is_array()));
            }
            for (name, value) in &r.headers {
                let enc = value.as_deref().map_or(Encoding::Empty, |v| decode(v).0);
                *counts.entry((format!("header:{name}"), enc)).or_default() += 1;
            }
        }
        c.encodings = counts
            .into_iter()
            .map(|((part, enc), count)| {
                let known = enc.schema_id().and_then(|id| seen.get(&id)).cloned();
                let (schema_type, subject, version) = match known {
                    Some((t, s, v)) => (Some(t), s, v),
                    None => (None, None, None),
                };
                EncodingCount {
                    part,
                    encoding: enc.kind().to_string(),
                    schema_id: enc.schema_id(),
                    schema_type,
                    subject,
                    version,
                    count,
                }
            })
            .collect();
        // Values first, then keys, then headers; the most frequent first within each.
        c.encodings.sort_by_key(|e| (part_rank(&e.part), std::cmp::Reverse(e.count)));
        c
    }
}

fn part_rank(part: &str) -> u8 {
    match part {
        "value" => 0,
        "key" => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(offset: i64, key: Option<&[u8]>, value: Option<&[u8]>, headers: &[(&str, &[u8])]) -> Record {
        Record {
            topic: "t".into(),
            partition: 0,
            offset,
            timestamp_ms: None,
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            headers: headers.iter().map(|(k, v)| (k.to_string(), Some(v.to_vec()))).collect(),
        }
    }

    #[test]
    fn tallies_encodings_per_part_and_keeps_json_documents() {
        let framed = [&[0u8, 0, 0, 0, 9][..], br#"{"a":2}"#].concat();
        let records = vec![
            rec(0, Some(br#"{"id":1}"#), Some(br#"{"a":1}"#), &[("trace", b"abc")]),
            rec(1, Some(b"k2"), Some(&framed), &[]),
            rec(2, None, Some(b"plain text"), &[]),
            rec(3, None, Some(&[0xff, 0x00]), &[]),
            rec(4, None, None, &[]),
        ];
        let c = Contents::of(&records);
        assert_eq!(c.values, vec![json!({"a": 1}), json!({"a": 2})]);
        assert_eq!(c.keys, vec![json!({"id": 1})]);
        assert_eq!((c.tombstones, c.non_json_values), (1, 2));
        assert_eq!(c.non_json_examples[0].value, "plain text");
        assert_eq!(c.non_json_examples[1].value, "base64:/wA=");
        let find = |part: &str, enc: &str| {
            c.encodings.iter().find(|e| e.part == part && e.encoding == enc).map(|e| (e.count, e.schema_id))
        };
        assert_eq!(find("value", "json"), Some((1, None)));
        assert_eq!(find("value", "confluent_json"), Some((1, Some(9))));
        assert_eq!(find("value", "text"), Some((1, None)));
        assert_eq!(find("value", "binary"), Some((1, None)));
        assert_eq!(find("key", "text"), Some((1, None)));
        assert_eq!(find("header:trace", "text"), Some((1, None)));
        assert_eq!(c.encodings.last().unwrap().part, "header:trace");
    }
}
