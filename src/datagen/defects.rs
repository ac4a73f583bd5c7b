//! Defect records: a valid record with exactly one named constraint broken (a missing required field, a
//! wrong type, a value out of range, a bad format, an enum outsider, a string too long...). Each defect is
//! checked with a JSON Schema validator before it is kept: the record must fail that constraint at that
//! place and nothing else, so a defect's tag is the whole truth about the record.

use super::plan::{Kind, Node};
use rand::seq::SliceRandom;
use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The constraints a defect can break (JSON Schema keyword names).
pub const CONSTRAINTS: &[&str] = &[
    "required",
    "type",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "enum",
    "const",
    "minItems",
    "maxItems",
    "additionalProperties",
];

/// What one defect record violates; the record itself stays the raw payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Defect {
    /// JSON Pointer of the broken value (for `required`: of the field that is missing).
    pub path: String,
    /// The JSON Schema keyword violated.
    pub constraint: String,
    /// What was done, in words.
    pub detail: String,
}

impl Defect {
    /// Where a validator reports this defect: the parent object for `required` and `additionalProperties`.
    pub fn reported_at(&self) -> &str {
        match self.constraint.as_str() {
            "required" | "additionalProperties" => self.path.rsplit_once('/').map_or("", |(parent, _)| parent),
            _ => &self.path,
        }
    }
}

/// A schema validator that reports (instance path, keyword) pairs.
/// `maxItems`/`maxLength` above these are not broken (the defect would be a huge value, not a test).
const MAX_BROKEN_ITEMS: usize = 1000;
const MAX_BROKEN_LEN: usize = 64 * 1024;

pub struct Checker(jsonschema::Validator);

impl Checker {
    pub fn new(schema: &Value) -> Result<Checker, String> {
        jsonschema::options().should_validate_formats(true).build(schema).map(Checker).map_err(|e| e.to_string())
    }

    pub fn violations(&self, v: &Value) -> Vec<(String, String)> {
        self.0.iter_errors(v).map(|e| (e.instance_path().to_string(), e.kind().keyword().to_string())).collect()
    }

    pub fn is_valid(&self, v: &Value) -> bool {
        self.0.is_valid(v)
    }
}

enum Change {
    Remove,
    Set(Value),
}

struct Candidate {
    defect: Defect,
    change: Change,
}

/// Breaks one constraint of `record` (one of `allowed`, or any), checked with `checker`. None when the
/// record offers no such constraint.
pub fn inject<R: RngExt + ?Sized>(
    node: &Node,
    record: &Value,
    allowed: &[String],
    checker: &Checker,
    rng: &mut R,
) -> Option<(Value, Defect)> {
    let mut found = vec![];
    collect(node, record, "", &mut found);
    found.retain(|c| allowed.is_empty() || allowed.iter().any(|a| a == &c.defect.constraint));
    found.shuffle(rng);
    found.into_iter().find_map(|c| apply(record, c, checker))
}

/// Every single-constraint defect `record` offers, each checked: one per (path, constraint).
pub fn all(node: &Node, record: &Value, checker: &Checker) -> Vec<(Value, Defect)> {
    let mut found = vec![];
    collect(node, record, "", &mut found);
    found.into_iter().filter_map(|c| apply(record, c, checker)).collect()
}

/// The record with the candidate's change, when the validator reports exactly that defect.
fn apply(record: &Value, c: Candidate, checker: &Checker) -> Option<(Value, Defect)> {
    let mut broken = record.clone();
    match c.change {
        Change::Remove => {
            let (parent, key) = c.defect.path.rsplit_once('/')?;
            broken.pointer_mut(parent).and_then(Value::as_object_mut)?.shift_remove(&unescape(key));
        }
        Change::Set(v) => set(&mut broken, &c.defect.path, v)?,
    }
    let errors = checker.violations(&broken);
    (errors.len() == 1 && errors[0].0 == c.defect.reported_at() && errors[0].1 == c.defect.constraint)
        .then_some((broken, c.defect))
}

fn collect(node: &Node, v: &Value, at: &str, out: &mut Vec<Candidate>) {
    let mut add = |constraint: &str, detail: String, change: Change, path: String| {
        out.push(Candidate { defect: Defect { path, constraint: constraint.into(), detail }, change })
    };
    match (&node.kind, v) {
        (Kind::Object(o), Value::Object(m)) => {
            for r in &o.required {
                if m.contains_key(r) {
                    add(
                        "required",
                        format!("removed the required field `{r}`"),
                        Change::Remove,
                        format!("{at}/{}", escape(r)),
                    );
                }
            }
            if o.closed {
                add(
                    "additionalProperties",
                    "added the undeclared field `unexpected_field`".into(),
                    Change::Set(json!("surprise")),
                    format!("{at}/unexpected_field"),
                );
            }
            for (k, child) in &o.properties {
                if let Some(cv) = m.get(k) {
                    collect(child, cv, &format!("{at}/{}", escape(k)), out);
                }
            }
        }
        (Kind::Array(a), Value::Array(items)) => {
            if a.min_items > 0 && items.len() >= a.min_items {
                add(
                    "minItems",
                    format!("kept {} items, below minItems {}", a.min_items - 1, a.min_items),
                    Change::Set(Value::Array(items[..a.min_items - 1].to_vec())),
                    at.to_string(),
                );
            }
            // Beyond a sane size a too-long array is no test of the bound, just a huge allocation.
            if let (Some(max), Some(first)) = (a.max_items.filter(|m| *m < MAX_BROKEN_ITEMS), items.first()) {
                add(
                    "maxItems",
                    format!("{} items, above maxItems {max}", max + 1),
                    Change::Set(Value::Array(vec![first.clone(); max + 1])),
                    at.to_string(),
                );
            }
            for (i, item) in items.iter().enumerate() {
                collect(&a.items, item, &format!("{at}/{i}"), out);
            }
        }
        (Kind::String(s), Value::String(text)) => {
            add("type", "a number where a string belongs".into(), Change::Set(json!(12345)), at.to_string());
            if s.min_len > 0 {
                let short: String = text.chars().take(s.min_len - 1).collect();
                add(
                    "minLength",
                    format!("{} characters, below minLength {}", s.min_len - 1, s.min_len),
                    Change::Set(json!(short)),
                    at.to_string(),
                );
            }
            if let Some(max) = s.max_len.filter(|m| *m < MAX_BROKEN_LEN) {
                let mut long: String = text.chars().take(max).collect();
                while long.chars().count() <= max {
                    long.push('x');
                }
                add(
                    "maxLength",
                    format!("{} characters, above maxLength {max}", max + 1),
                    Change::Set(json!(long)),
                    at.to_string(),
                );
            }
            if let Some(p) = &s.pattern {
                let n = s.min_len.max(1).min(s.max_len.unwrap_or(usize::MAX));
                add(
                    "pattern",
                    format!("a string that does not match `{}`", p.source()),
                    Change::Set(json!("~".repeat(n))),
                    at.to_string(),
                );
            }
            if let Some(f) = &s.format {
                let bad = if f.contains("hostname") { "bad_host_name!" } else { "not-a-valid-value" };
                add("format", format!("`{bad}`, not a valid {f}"), Change::Set(json!(bad)), at.to_string());
            }
        }
        (Kind::Number(n), Value::Number(_)) => {
            add("type", "a string where a number belongs".into(), Change::Set(json!("not-a-number")), at.to_string());
            let step = n.multiple_of.unwrap_or(1.0);
            let num = |x: f64| if n.integer && x.fract() == 0.0 { json!(x as i64) } else { json!(x) };
            if let Some(lo) = n.minimum {
                add(
                    "minimum",
                    format!("{}, below minimum {lo}", lo - step),
                    Change::Set(num(lo - step)),
                    at.to_string(),
                );
            }
            if let Some(hi) = n.maximum {
                add(
                    "maximum",
                    format!("{}, above maximum {hi}", hi + step),
                    Change::Set(num(hi + step)),
                    at.to_string(),
                );
            }
            if let Some(x) = n.exclusive_minimum {
                add(
                    "exclusiveMinimum",
                    format!("{x}, equal to the exclusive minimum"),
                    Change::Set(num(x)),
                    at.to_string(),
                );
            }
            if let Some(x) = n.exclusive_maximum {
                add(
                    "exclusiveMaximum",
                    format!("{x}, equal to the exclusive maximum"),
                    Change::Set(num(x)),
                    at.to_string(),
                );
            }
            if let (Some(m), Some(x)) = (n.multiple_of, v.as_f64()) {
                let off = if n.integer && m >= 2.0 { x + 1.0 } else { x + m / 2.0 };
                add("multipleOf", format!("{off}, not a multiple of {m}"), Change::Set(num(off)), at.to_string());
            }
        }
        (Kind::Boolean, _) => add(
            "type",
            "the string \"true\" where a boolean belongs".into(),
            Change::Set(json!("true")),
            at.to_string(),
        ),
        (Kind::Enum(values), _) => {
            let outsider = if values.iter().all(Value::is_string) { json!("NOT_IN_ENUM") } else { json!(-987654321) };
            add("enum", format!("{outsider}, outside the enum"), Change::Set(outsider), at.to_string());
        }
        (Kind::Const(c), _) => {
            let other = if c == "NOT_THE_CONST" { json!("OTHER") } else { json!("NOT_THE_CONST") };
            add("const", format!("{other} instead of the constant {c}"), Change::Set(other), at.to_string());
        }
        // Inside oneOf/anyOf a broken branch may still match another one: no defects there.
        _ => {}
    }
}

pub fn set(root: &mut Value, pointer: &str, v: Value) -> Option<()> {
    if pointer.is_empty() {
        *root = v;
        return Some(());
    }
    let (parent, key) = pointer.rsplit_once('/')?;
    match root.pointer_mut(parent)? {
        Value::Object(m) => {
            m.insert(unescape(key), v);
        }
        Value::Array(items) => *items.get_mut(key.parse::<usize>().ok()?)? = v,
        _ => return None,
    }
    Some(())
}

pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}
