//! Validation of JSON documents against a JSON Schema, formats asserted (a `format: email` that does not
//! match is an error, not an annotation). Drafts 4 to 2020-12, detected from `$schema` (default 2020-12).

use crate::error::{Error, Result};
use jsonschema::paths::LocationSegment;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// Most issues reported for one document: past this, more detail does not help anyone fix it.
pub const MAX_ISSUES: usize = 50;

pub struct Validator {
    inner: jsonschema::Validator,
}

/// One way a document breaks the schema.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Issue {
    /// Where in the document, e.g. `$.items[0].sku` (`$` is the document itself).
    pub path: String,
    /// What is wrong, e.g. `"abc" is not a "uuid"`.
    pub message: String,
}

impl Validator {
    /// Compiles `schema`; a schema that is not valid JSON Schema is a bad `schema` argument naming where.
    pub fn new(schema: &Value) -> Result<Validator> {
        if !(schema.is_object() || schema.is_boolean()) {
            return Err(Error::bad_input(
                "schema",
                format!("a JSON Schema object (or true/false); got {}", kind(schema)),
            ));
        }
        jsonschema::options().should_validate_formats(true).build(schema).map(|inner| Validator { inner }).map_err(
            |e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "the top level".to_string() } else { format!("`{at}`") };
                Error::bad_input("schema", format!("a valid JSON Schema; at {at}: {e}"))
            },
        )
    }

    pub fn is_valid(&self, v: &Value) -> bool {
        self.inner.is_valid(v)
    }

    /// The issues of `v` (none when valid), at most [`MAX_ISSUES`].
    pub fn errors(&self, v: &Value) -> Vec<Issue> {
        self.inner
            .iter_errors(v)
            .take(MAX_ISSUES)
            .map(|e| Issue { path: dotted(e.instance_path()), message: e.to_string() })
            .collect()
    }
}

/// `$.items[0].sku` from the instance location `/items/0/sku`.
fn dotted(at: &jsonschema::paths::Location) -> String {
    let mut out = String::from("$");
    for segment in at.segments() {
        match segment {
            LocationSegment::Index(i) => out.push_str(&format!("[{i}]")),
            LocationSegment::Property(p) => {
                out.push('.');
                out.push_str(&p);
            }
        }
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
