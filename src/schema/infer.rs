//! JSON Schema (2020-12) inference from sample documents, with per-field statistics and a confidence.
//!
//! One pass, bounded memory: each position in the documents keeps counts, ranges and capped sets
//! (see `node.rs`), so a million samples cost what a thousand do. The schema accepts every sample it was
//! inferred from, formats included.

use super::node::{as_f64, Limits, Node};
use super::stream::NodeSeed;
use super::structure::SchemaCx;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Tuning of an [`Inferrer`].
#[derive(Debug, Clone, Copy)]
pub struct InferOptions {
    /// Most distinct strings a field may have and still be an enum candidate (default 10).
    pub max_enum_candidates: usize,
    /// Examples kept per field (default 3).
    pub max_examples: usize,
    /// Recover closed objects, patterns, multipleOf, uniqueItems and tagged unions, each with its evidence
    /// (default true; see `structure.rs`).
    pub structure: bool,
}

impl Default for InferOptions {
    fn default() -> Self {
        InferOptions { max_enum_candidates: 10, max_examples: 3, structure: true }
    }
}

/// Accumulates samples; [`Inferrer::finish`] gives the schema and the statistics.
pub struct Inferrer {
    root: Node,
    limits: Limits,
}

/// What inference found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Inference {
    /// JSON Schema 2020-12 accepting every sample (with `$schema`).
    pub schema: Value,
    /// One entry per field position, depth first; `items[]` is an array's elements, `items[].sku` a field of them.
    pub fields: Vec<FieldStats>,
    /// 0..1: how far the schema can be trusted (sample size, type agreement, field coverage).
    pub confidence: f64,
    /// Samples the schema was inferred from.
    pub samples: usize,
    /// Each structural keyword inferred (pattern, additionalProperties, multipleOf, uniqueItems, oneOf): where,
    /// how sure, and what the sample showed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<KeywordEvidence>,
}

/// Why a structural keyword is in the inferred schema.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeywordEvidence {
    /// Field path as in `fields` (`$` is the root).
    pub path: String,
    pub keyword: String,
    /// 0..1: how sure the inference is of this keyword.
    pub confidence: f64,
    /// What the sample showed.
    pub evidence: String,
}

/// Statistics of one field position.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FieldStats {
    /// Dotted path from the root; `[]` marks array elements (e.g. `items[].sku`); `$` is the root itself.
    pub path: String,
    /// Share (0..1) of the enclosing objects that have this field (for `x[]`: share of non-empty arrays).
    pub presence: f64,
    /// Values seen per JSON type (`integer` and `number` apart, `null` included).
    pub types: BTreeMap<String, usize>,
    /// A null value was seen.
    pub nullable: bool,
    /// String format every non-null value matched: date-time, date, uuid, email, ipv4 or uri.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The few short strings this field takes, most frequent first (see the enum rule in `node.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enum_candidates: Option<Vec<Value>>,
    /// Smallest number seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest number seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Shortest string (characters) or array (elements) seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Longest string (characters) or array (elements) seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// A few distinct short scalar values seen (absent for objects and arrays).
    // `default` keeps it out of the published schema's `required`, since it is skipped when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Value>,
}

impl Default for Inferrer {
    fn default() -> Self {
        Inferrer::new()
    }
}

impl Inferrer {
    pub fn new() -> Inferrer {
        Inferrer::with_options(InferOptions::default())
    }

    pub fn with_options(o: InferOptions) -> Inferrer {
        let limits = Limits { max_enum: o.max_enum_candidates, max_examples: o.max_examples, structure: o.structure };
        Inferrer { root: Node::new(), limits }
    }

    pub fn add(&mut self, v: &Value) {
        self.root.add(v, &self.limits);
    }

    /// Parses one JSON document and adds it without building a `Value` (the fast path for raw payloads).
    /// Text that is not JSON is an error, but what was read before the error is already counted: decode
    /// first (e.g. `kafka::decode`) when payloads may be anything.
    pub fn add_json(&mut self, text: &[u8]) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(text);
        serde::de::DeserializeSeed::deserialize(NodeSeed { node: &mut self.root, lim: &self.limits }, &mut de)?;
        de.end()
    }

    pub fn samples(&self) -> usize {
        self.root.seen as usize
    }

    pub fn finish(self) -> Inference {
        let samples = self.root.seen as usize;
        let mut schema = Map::new();
        schema.insert("$schema".into(), SCHEMA_DIALECT.into());
        let mut cx = SchemaCx { structure: self.limits.structure, keywords: vec![] };
        if let Value::Object(body) = self.root.schema(&mut cx, "$") {
            schema.extend(body);
        }
        let mut found = vec![];
        if self.root.objects > 0 && self.root.non_null() == self.root.objects {
            collect_children(&self.root, "", &mut found);
        } else if samples > 0 {
            collect(&self.root, "$".into(), 1.0, &mut found);
        }
        let confidence = confidence(samples, &found, &self.root);
        let fields = found.into_iter().map(|(f, _)| f).collect();
        Inference { schema: Value::Object(schema), fields, confidence, samples, keywords: cx.keywords }
    }
}

/// Field statistics with the field's type agreement (see [`Node::type_agreement`]), depth first.
type Found = Vec<(FieldStats, f64)>;

fn collect(n: &Node, path: String, presence: f64, out: &mut Found) {
    let (min, max) = match n.number_range() {
        Some((lo, hi)) => (Some(as_f64(&lo)), Some(as_f64(&hi))),
        None => (None, None),
    };
    // A field that is sometimes a string and sometimes an array reports the string lengths.
    let lengths = n.str_len.or(n.arr_len);
    let stats = FieldStats {
        presence,
        types: n.type_counts().into_iter().map(|(t, c)| (t.to_string(), c as usize)).collect(),
        nullable: n.nulls > 0,
        format: n.format().map(str::to_string),
        enum_candidates: n.enum_candidates(),
        min,
        max,
        min_length: lengths.map(|l| l.0),
        max_length: lengths.map(|l| l.1),
        examples: n.examples.clone(),
        path: path.clone(),
    };
    out.push((stats, n.type_agreement()));
    collect_children(n, &path, out);
}

fn collect_children(n: &Node, path: &str, out: &mut Found) {
    let sep = if path.is_empty() || path == "$" { "" } else { "." };
    let base = if path == "$" { "" } else { path };
    for (k, child) in &n.props {
        collect(child, format!("{base}{sep}{k}"), ratio(child.seen, n.objects), out);
    }
    if let Some(items) = &n.items {
        collect(items, format!("{base}[]"), ratio(n.nonempty_arrays, n.arrays), out);
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// confidence = size × agreement × coverage, each in 0..1:
/// - size = n / (n + 10): 10 samples give 0.5, 100 give 0.91, 1000 give 0.99;
/// - agreement = mean over the root and every field of the share of its non-null values having its dominant
///   type (integers and floats count as one type), so a field that is half strings, half objects pulls it down;
/// - coverage = mean over fields of 0.5 + 0.5 × min(1, presence / 0.5): fields present in under half of their
///   enclosing objects are sparse, their statistics rest on few values, and each lowers it (at worst halves it).
///
/// Rounded to two decimals. No samples gives 0.
fn confidence(samples: usize, found: &Found, root: &Node) -> f64 {
    if samples == 0 {
        return 0.0;
    }
    let n = samples as f64;
    let size = n / (n + 10.0);
    let agreement = (root.type_agreement() + found.iter().map(|(_, a)| a).sum::<f64>()) / (found.len() + 1) as f64;
    let coverage = if found.is_empty() {
        1.0
    } else {
        found.iter().map(|(f, _)| 0.5 + 0.5 * (f.presence / 0.5).min(1.0)).sum::<f64>() / found.len() as f64
    };
    ((size * agreement * coverage) * 100.0).round() / 100.0
}
