//! The test-case model: what a person reads (id, type, title, priority, preconditions, steps, expected
//! result) and what the runner executes (the input message and the expectation), plus the topics a case
//! runs against. Agent-written cases are parsed here with the path of every problem.

use base64::Engine;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Positive,
    Negative,
    Edge,
    Boundary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// Unique within the run, e.g. `TC-001`.
    pub id: String,
    /// positive, negative, edge or boundary.
    #[serde(rename = "type")]
    pub kind: CaseKind,
    pub title: String,
    pub priority: Priority,
    #[serde(default)]
    pub preconditions: Vec<String>,
    /// What a person would do, 2 to 5 steps.
    #[serde(default)]
    pub steps: Vec<String>,
    pub expected_result: String,
    /// The message sent.
    pub input: Input,
    /// What must be observed.
    pub expectation: Expectation,
    /// The field and constraint the case exercises (generated cases), for coverage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers: Option<Covers>,
    /// What the expectation rests on: the schema (with the constraint's pointer), a story, the agent, or an entity's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Schema,
    Story,
    Agent,
    /// A built-in entity's business rule (`entity` argument).
    Entity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub from: SourceKind,
    /// For `schema`: the JSON Pointer of the constraint in the schema, e.g. `/properties/note/maxLength`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The rule, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Source {
    pub fn schema(pointer: impl Into<String>, rule: impl Into<String>) -> Source {
        Source { from: SourceKind::Schema, pointer: Some(pointer.into()), rule: Some(rule.into()) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Covers {
    /// JSON Pointer of the field, e.g. `/items/0/price`; empty for the whole message.
    pub field: String,
    /// The constraint or situation, e.g. `minimum`, `required`, `malformed_json`.
    pub constraint: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The topic to produce to; default: the run's input topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The message key (UTF-8); also the default correlation of the expectation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A JSON value, sent as its JSON text. Give `value` or `raw_base64`, or neither for an empty message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Raw value bytes, base64 (malformed JSON, binary); an empty string sends an empty value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_base64: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    /// A message on the output topic, correlated with the input, matching a JSON subset and/or a schema.
    Output {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        /// How the output is found: `key` (default: same key as the input) or a dotted field path whose value equals the input's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlate_by: Option<String>,
        /// Every field here must be in the output with this value (objects compared recursively).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        matches: Option<Value>,
        /// The output must validate against this JSON Schema.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// A message on the dead-letter topic, correlated with the input; nothing on the output topic.
    Dlq {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlate_by: Option<String>,
        /// A header value of the DLQ message (e.g. the reject reason) must contain this text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_contains: Option<String>,
        /// The DLQ message must carry this header (the processor's reject reason).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_header: Option<String>,
        /// That reason must mention one of these (case, spaces and punctuation ignored), e.g. the broken field.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reason_mentions: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// Schema evolution, without Kafka: the input value written with `writer` reads with `reader` (or, with `readable` false, is refused).
    Compatibility {
        schema_type: crate::registry::SchemaType,
        writer: String,
        reader: String,
        #[serde(default = "crate::defaults::yes")]
        readable: bool,
    },
    /// Nothing correlated with the input reaches the output topic within the timeout.
    NoOutput {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlate_by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
}

impl Expectation {
    pub fn correlate_by(&self) -> Option<&str> {
        match self {
            Expectation::Output { correlate_by, .. }
            | Expectation::Dlq { correlate_by, .. }
            | Expectation::NoOutput { correlate_by, .. } => correlate_by.as_deref().filter(|c| *c != "key"),
            Expectation::Compatibility { .. } => None,
        }
    }
    pub fn timeout_ms(&self) -> Option<u64> {
        match self {
            Expectation::Output { timeout_ms, .. }
            | Expectation::Dlq { timeout_ms, .. }
            | Expectation::NoOutput { timeout_ms, .. } => *timeout_ms,
            Expectation::Compatibility { .. } => None,
        }
    }
    pub fn topic(&self) -> Option<&str> {
        match self {
            Expectation::Output { topic, .. }
            | Expectation::Dlq { topic, .. }
            | Expectation::NoOutput { topic, .. } => topic.as_deref(),
            Expectation::Compatibility { .. } => None,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Expectation::Output { .. } => "output",
            Expectation::Dlq { .. } => "dlq",
            Expectation::NoOutput { .. } => "no_output",
            Expectation::Compatibility { .. } => "compatibility",
        }
    }
}

impl Input {
    /// The value bytes to send; None for an empty message.
    pub fn value_bytes(&self) -> Result<Option<Vec<u8>>, String> {
        match (&self.value, &self.raw_base64) {
            (Some(_), Some(_)) => Err("give `value` or `raw_base64`, not both".into()),
            (Some(v), None) => Ok(Some(serde_json::to_vec(v).map_err(|e| e.to_string())?)),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map(Some)
                .map_err(|e| format!("`raw_base64` is not base64 ({e})")),
            (None, None) => Ok(None),
        }
    }
}

/// The topics cases run against; a case's own topics win.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// The topic the system under test consumes (inputs are produced here).
    pub input_topic: String,
    /// Where it writes its results.
    #[serde(default)]
    pub output_topic: Option<String>,
    /// Where it writes rejected messages.
    #[serde(default)]
    pub dlq_topic: Option<String>,
    /// The record field (dotted path) used as message key and to correlate outputs, e.g. `order_id`. Default: a per-case key.
    #[serde(default)]
    pub key_field: Option<String>,
    /// How long each case waits for its outcome, ms. Default 10000.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// The DLQ header carrying the reject reason (e.g. `x-reject-reason`); negative cases then check it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq_reason_header: Option<String>,
}

/// The message key a record has under a target's `key_field` (a dotted path): the field's text, or its JSON.
pub fn key_from_field(record: &Value, key_field: &str) -> Option<String> {
    let v = record.pointer(&format!("/{}", key_field.replace('.', "/")))?;
    Some(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}

/// Parses agent-written cases, naming every problem as `cases[i].field: what is wrong`.
pub fn parse_cases(raw: &[Value]) -> (Vec<TestCase>, Vec<String>) {
    let mut cases = vec![];
    let mut problems = vec![];
    for (i, v) in raw.iter().enumerate() {
        match serde_path_to_error::deserialize::<_, TestCase>(v) {
            Ok(c) => {
                if let Err(e) = c.input.value_bytes() {
                    problems.push(format!("cases[{i}].input: {e}"));
                }
                cases.push(c);
            }
            Err(e) => {
                let path = e.path().to_string();
                let at = if path == "." { String::new() } else { format!(".{path}") };
                problems.push(format!("cases[{i}]{at}: {}", e.into_inner()));
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &cases {
        if !seen.insert(c.id.clone()) {
            problems.push(format!("case id `{}` is used twice; ids must be unique", c.id));
        }
    }
    (cases, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malformed_cases_are_named_with_their_path() {
        let good = json!({"id": "A", "type": "positive", "title": "t", "priority": "high", "expected_result": "ok",
            "input": {"key": "k", "value": {"a": 1}}, "expectation": {"kind": "output"}});
        let mut wrong_kind = good.clone();
        wrong_kind["type"] = json!("happy");
        let mut bad_expectation = good.clone();
        bad_expectation["expectation"] = json!({"kind": "somewhere"});
        let mut both = good.clone();
        both["input"]["raw_base64"] = json!("e30=");
        let (cases, problems) = parse_cases(&[good.clone(), wrong_kind, bad_expectation, both, good]);
        assert_eq!(cases.len(), 3);
        assert!(problems[0].starts_with("cases[1].type: unknown variant `happy`"), "{problems:?}");
        assert!(problems[1].starts_with("cases[2].expectation"), "{problems:?}");
        assert!(problems[2].contains("cases[3].input: give `value` or `raw_base64`"), "{problems:?}");
        assert!(problems[3].contains("`A` is used twice"), "{problems:?}");
    }
}
