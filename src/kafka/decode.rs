//! What a payload is: JSON, Confluent wire format (magic byte 0, a 4-byte big-endian schema id, then JSON
//! or binary such as Avro/Protobuf), UTF-8 text, other binary, or empty. Never fails: anything that is not
//! recognised is reported as binary.

use serde::Serialize;
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Encoding {
    Json,
    ConfluentJson { schema_id: u32 },
    ConfluentBinary { schema_id: u32 },
    Text,
    Binary,
    Empty,
}

impl Encoding {
    /// A short stable name, without the schema id ("json", "confluent_json", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::ConfluentJson { .. } => "confluent_json",
            Encoding::ConfluentBinary { .. } => "confluent_binary",
            Encoding::Text => "text",
            Encoding::Binary => "binary",
            Encoding::Empty => "empty",
        }
    }
    pub fn schema_id(&self) -> Option<u32> {
        match self {
            Encoding::ConfluentJson { schema_id } | Encoding::ConfluentBinary { schema_id } => Some(*schema_id),
            _ => None,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.schema_id() {
            Some(id) => write!(f, "{} (schema id {id})", self.kind()),
            None => f.write_str(self.kind()),
        }
    }
}

/// Confluent framing: magic byte 0 and a 4-byte big-endian schema id before the payload.
const CONFLUENT_HEADER: usize = 5;

/// The encoding of a payload and, when it is JSON (framed or not), its value.
pub fn decode(bytes: &[u8]) -> (Encoding, Option<Value>) {
    if bytes.is_empty() {
        return (Encoding::Empty, None);
    }
    if bytes[0] == 0 && bytes.len() >= CONFLUENT_HEADER {
        let schema_id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        return match json_value(&bytes[CONFLUENT_HEADER..]) {
            Some(v) => (Encoding::ConfluentJson { schema_id }, Some(v)),
            None => (Encoding::ConfluentBinary { schema_id }, None),
        };
    }
    if let Some(v) = json_value(bytes) {
        return (Encoding::Json, Some(v));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if looks_like_text(s) => (Encoding::Text, None),
        _ => (Encoding::Binary, None),
    }
}

/// A JSON document, or None. Bare scalars count ("42", "true", "\"x\""): they are valid JSON values.
fn json_value(bytes: &[u8]) -> Option<Value> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}

/// UTF-8 that a person would call text: no control characters other than whitespace.
fn looks_like_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Bytes as a string an agent can read: UTF-8 text as is, anything else base64 with a prefix.
pub fn printable(bytes: &[u8]) -> String {
    use base64::Engine;
    match std::str::from_utf8(bytes) {
        Ok(s) if looks_like_text(s) => s.to_string(),
        _ => format!("base64:{}", base64::engine::general_purpose::STANDARD.encode(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn framed(id: u32, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0];
        v.extend(id.to_be_bytes());
        v.extend(body);
        v
    }

    #[test]
    fn recognises_each_encoding() {
        assert_eq!(decode(b""), (Encoding::Empty, None));
        assert_eq!(decode(br#" {"a": 1} "#), (Encoding::Json, Some(json!({"a": 1}))));
        assert_eq!(decode(b"42"), (Encoding::Json, Some(json!(42))));
        assert_eq!(decode(b"hello world"), (Encoding::Text, None));
        assert_eq!(decode("naïve café\n".as_bytes()), (Encoding::Text, None));
        assert_eq!(decode(&[0xff, 0xfe, 0x01]), (Encoding::Binary, None));
        assert_eq!(decode(b"\x01\x02abc"), (Encoding::Binary, None));
        assert_eq!(
            decode(&framed(7, br#"{"id": 3}"#)),
            (Encoding::ConfluentJson { schema_id: 7 }, Some(json!({"id": 3})))
        );
        assert_eq!(
            decode(&framed(258, &[0x02, 0x06, b'a', b'b', b'c'])),
            (Encoding::ConfluentBinary { schema_id: 258 }, None)
        );
        // A zero byte followed by too little to be framed is just binary.
        assert_eq!(decode(&[0, 1, 2]), (Encoding::Binary, None));
        assert_eq!(decode(b"{not json"), (Encoding::Text, None));
    }

    #[test]
    fn labels_carry_schema_ids() {
        assert_eq!(Encoding::ConfluentJson { schema_id: 7 }.to_string(), "confluent_json (schema id 7)");
        assert_eq!(Encoding::Text.to_string(), "text");
        assert_eq!(
            serde_json::to_value(Encoding::ConfluentBinary { schema_id: 2 }).unwrap(),
            json!({"kind": "confluent_binary", "schema_id": 2})
        );
        assert_eq!(printable(b"abc"), "abc");
        assert_eq!(printable(&[0xff]), "base64:/w==");
    }
}
