//! Systematic test cases from a JSON Schema: positive records, edge records, boundary values per field and
//! bound, one negative case per field and constraint (built with the defect generator, so each breaks
//! exactly what it says), and message-level negatives (malformed JSON, empty message, wrong key, header
//! variations). Each case carries its input and the expectation that makes it executable.

use super::model::{CaseKind, Covers, Expectation, Input, Priority, Targets, TestCase};
use crate::datagen::defects::{self, Checker, Defect};
use crate::datagen::entities::{Entity, References};
use crate::datagen::plan::{self, Kind, Node};
use crate::datagen::stream::{Mode, Spec, Stream, Target};
use crate::datagen::values::Window;
use base64::Engine;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub struct Request<'a> {
    pub schema: &'a Value,
    /// When the messages are a built-in entity: coherent base records, its business rules kept by
    /// positive cases and broken by one negative case.
    pub entity: Option<Entity>,
    pub targets: &'a Targets,
    pub kinds: &'a [CaseKind],
    pub seed: u64,
    pub max_cases: usize,
    pub positives: usize,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Coverage {
    pub fields_total: usize,
    pub fields_covered: usize,
    /// Fields (JSON Pointers) no case exercises.
    pub fields_missing: Vec<String>,
    pub constraints_total: usize,
    pub constraints_covered: usize,
    /// `path constraint` pairs no case exercises (e.g. cut by max_cases).
    pub constraints_missing: Vec<String>,
}

/// The cases and the coverage of the schema's fields and constraints. Errors name the schema problem.
pub fn generate(req: &Request) -> Result<(Vec<TestCase>, Coverage), String> {
    let node = plan::compile(req.schema)?;
    // Cases carry a few records each: the smallest record must fit the default record cap.
    plan::check_sizes(&node, 1, MAX_CASE_RECORD_BYTES, u64::MAX)?;
    let checker = Checker::new(req.schema)?;
    let target = || match req.entity {
        Some(e) => Target::Entity(e, References::default()),
        None => Target::Schema(req.schema.clone()),
    };
    let coherent = |r: &Value| req.entity.is_none_or(|e| e.coherence(r).is_empty());
    let valid = |seed_offset: u64, mode: Mode| {
        Stream::new(Spec {
            target: target(),
            seed: req.seed.wrapping_add(seed_offset),
            mode,
            window: Window::default(),
            defect_rate: 0.0,
            defect_constraints: vec![],
            profile: None,
        })
    };
    let mut base = valid(0, Mode::Valid)?;
    let mut edge = valid(1, Mode::Edge)?;
    let mut b = Builder { targets: req.targets, cases: vec![] };
    let wants = |k: CaseKind| req.kinds.is_empty() || req.kinds.contains(&k);

    // Every applicable (field, constraint), from one representative record.
    let sample = base.next_record().0;
    let mut all_constraints: BTreeSet<String> =
        defects::all(&node, &sample, &checker).iter().map(|(_, d)| slot(&d.path, &d.constraint)).collect();
    let mut leaves = vec![];
    walk_leaves(&node, &sample, "", &mut leaves);
    let fields: BTreeSet<String> = leaves.iter().map(|(p, _)| generic(p)).collect();

    if wants(CaseKind::Positive) {
        for i in 0..req.positives.max(1) {
            let record = base.next_record().0;
            let title = if i == 0 {
                "A valid message is processed".to_string()
            } else {
                format!("A valid message is processed (variant {})", i + 1)
            };
            b.positive(
                CaseKind::Positive,
                if i == 0 { Priority::Critical } else { Priority::High },
                &title,
                record,
                BTreeSeq::new(),
                None,
            );
        }
        let record = base.next_record().0;
        let headers = [("content-type", "application/json"), ("x-trace-id", "7f3c9a52-test"), ("x-note", "ünïcødé ✓")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        b.positive(
            CaseKind::Positive,
            Priority::Medium,
            "A valid message with extra headers is processed",
            record,
            headers,
            Some(Covers { field: String::new(), constraint: "headers".into() }),
        );
    }
    if wants(CaseKind::Edge) {
        for i in 0..3 {
            let record = edge.next_record().0;
            b.positive(
                CaseKind::Edge,
                Priority::Medium,
                &format!(
                    "An edge-value message (boundaries, unicode, empty or maximal strings) is processed, #{}",
                    i + 1
                ),
                record,
                BTreeSeq::new(),
                None,
            );
        }
    }
    if wants(CaseKind::Boundary) {
        let record = base.next_record().0;
        let mut points = vec![];
        walk_leaves(&node, &record, "", &mut points);
        for (path, leaf) in points {
            for (constraint, value) in boundary_values(leaf) {
                let mut r = base.next_record().0;
                if defects::set(&mut r, &path, value.clone()).is_some() && checker.is_valid(&r) && coherent(&r) {
                    all_constraints.insert(slot(&path, constraint));
                    b.positive(
                        CaseKind::Boundary,
                        Priority::Medium,
                        &format!("`{path}` at its {constraint} bound ({value}) is accepted"),
                        r,
                        BTreeSeq::new(),
                        Some(Covers { field: path.clone(), constraint: constraint.into() }),
                    );
                }
            }
        }
    }
    if wants(CaseKind::Negative) {
        let mut done = BTreeSet::new();
        let mut attempts = 0;
        // One fresh record per case, so that every case has its own key; a record that offers no
        // constraint still uncovered counts as a miss (optional fields appear in some records only).
        while done.len() < all_constraints.len() && attempts < 20 {
            let record = base.next_record().0;
            let found = defects::all(&node, &record, &checker);
            for (_, d) in &found {
                all_constraints.insert(slot(&d.path, &d.constraint));
            }
            match found.into_iter().find(|(_, d)| !done.contains(&slot(&d.path, &d.constraint))) {
                Some((broken, d)) => {
                    done.insert(slot(&d.path, &d.constraint));
                    b.negative(broken, &d);
                }
                None => attempts += 1,
            }
        }
        if let Some((record, rule)) = req.entity.and_then(|e| incoherent(e, base.next_record().0)) {
            b.negative(record, &Defect { path: "/total".into(), constraint: "business_rule".into(), detail: rule });
        }
        let record = base.next_record().0;
        let mut text = serde_json::to_string(&record).unwrap_or_default();
        text.truncate(text.len() / 2);
        b.raw(
            "Malformed JSON (a message cut in half) is rejected",
            text.into_bytes(),
            "malformed_json",
            Priority::High,
        );
        b.raw("An empty message is rejected", vec![], "empty_message", Priority::High);
        if let Some(field) = &req.targets.key_field {
            let record = base.next_record().0;
            b.wrong_key(record, field);
        }
    }
    let mut cases = b.cases;
    // Keep the most important cases when capped: by priority, then kind, stable otherwise.
    if cases.len() > req.max_cases {
        cases.sort_by_key(|c| (c.priority as u8, c.kind));
        cases.truncate(req.max_cases);
    }
    for (i, c) in cases.iter_mut().enumerate() {
        c.id = format!("TC-{:03}", i + 1);
    }
    let covered_fields: BTreeSet<String> =
        cases.iter().filter_map(|c| c.covers.as_ref()).map(|c| generic(&c.field)).collect();
    let covered_constraints: BTreeSet<String> =
        cases.iter().filter_map(|c| c.covers.as_ref()).map(|c| slot(&c.field, &c.constraint)).collect();
    let coverage = Coverage {
        fields_total: fields.len(),
        fields_covered: fields.iter().filter(|f| covered_fields.contains(*f)).count(),
        fields_missing: fields.iter().filter(|f| !covered_fields.contains(*f)).cloned().collect(),
        constraints_total: all_constraints.len(),
        constraints_covered: all_constraints.iter().filter(|c| covered_constraints.contains(*c)).count(),
        constraints_missing: all_constraints.iter().filter(|c| !covered_constraints.contains(*c)).cloned().collect(),
    };
    Ok((cases, coverage))
}

/// A path with array indexes generalised (`/items/3/price` -> `/items/*/price`): one field for coverage.
fn generic(path: &str) -> String {
    path.split('/')
        .map(|seg| if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) { "*" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// A (field, constraint) pair as coverage counts it.
fn slot(path: &str, constraint: &str) -> String {
    format!("{} {constraint}", generic(path))
}

type BTreeSeq = std::collections::BTreeMap<String, String>;

struct Builder<'a> {
    targets: &'a Targets,
    cases: Vec<TestCase>,
}

impl Builder<'_> {
    fn key_of(&self, record: &Value) -> String {
        let n = self.cases.len() + 1;
        self.targets
            .key_field
            .as_deref()
            .and_then(|f| record.pointer(&format!("/{}", f.replace('.', "/"))))
            .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
            .unwrap_or_else(|| format!("case-{n:03}-{}", short_hash(record)))
    }

    fn preconditions(&self) -> Vec<String> {
        let mut p = vec![format!("The system under test consumes `{}` and is running", self.targets.input_topic)];
        if let Some(o) = &self.targets.output_topic {
            p.push(format!("The output topic `{o}` exists"));
        }
        if let Some(d) = &self.targets.dlq_topic {
            p.push(format!("The dead-letter topic `{d}` exists"));
        }
        p
    }

    /// Adds a case; `outcome` is the expectation and its expected result in words.
    fn push(
        &mut self,
        kind: CaseKind,
        priority: Priority,
        title: String,
        input: Input,
        outcome: (Expectation, String),
        covers: Option<Covers>,
    ) {
        let (expectation, expected_result) = outcome;
        let key = input.key.clone().unwrap_or_default();
        let where_ = match &expectation {
            Expectation::Output { .. } => {
                format!("the output topic `{}`", self.targets.output_topic.as_deref().unwrap_or("?"))
            }
            Expectation::Dlq { .. } => {
                format!("the dead-letter topic `{}`", self.targets.dlq_topic.as_deref().unwrap_or("?"))
            }
            Expectation::Compatibility { .. } => "the reader schema".to_string(),
            Expectation::NoOutput { .. } => format!(
                "the output topic `{}` (nothing must arrive)",
                self.targets.output_topic.as_deref().unwrap_or("?")
            ),
        };
        let steps = vec![
            format!("Produce the input message with key `{key}` to `{}`", self.targets.input_topic),
            format!(
                "Watch {where_} for a message with key `{key}` for up to {} ms",
                self.targets.timeout_ms.unwrap_or(10_000)
            ),
            "Compare what arrived with the expected result".to_string(),
        ];
        let preconditions = self.preconditions();
        self.cases.push(TestCase {
            id: String::new(),
            kind,
            title,
            priority,
            preconditions,
            steps,
            expected_result,
            input,
            expectation,
            covers,
        });
    }

    fn positive(
        &mut self,
        kind: CaseKind,
        priority: Priority,
        title: &str,
        record: Value,
        headers: BTreeSeq,
        covers: Option<Covers>,
    ) {
        let key = self.key_of(&record);
        let input = Input { topic: None, key: Some(key), value: Some(record.clone()), raw_base64: None, headers };
        let (expectation, expected) = match &self.targets.output_topic {
            Some(_) => (
                Expectation::Output {
                    topic: None,
                    correlate_by: None,
                    matches: Some(record),
                    schema: None,
                    timeout_ms: None,
                },
                "The message reaches the output topic with every input field unchanged".to_string(),
            ),
            None => (
                Expectation::NoOutput { topic: self.targets.dlq_topic.clone(), correlate_by: None, timeout_ms: None },
                "The message is accepted: nothing reaches the dead-letter topic".to_string(),
            ),
        };
        self.push(kind, priority, title.to_string(), input, (expectation, expected), covers);
    }

    fn rejected(&self) -> (Expectation, String) {
        match &self.targets.dlq_topic {
            Some(_) => (
                Expectation::Dlq { topic: None, correlate_by: None, reason_contains: None, timeout_ms: None },
                "The message is rejected to the dead-letter topic and nothing reaches the output topic".into(),
            ),
            None => (
                Expectation::NoOutput { topic: None, correlate_by: None, timeout_ms: None },
                "The message is rejected: nothing reaches the output topic".into(),
            ),
        }
    }

    fn negative(&mut self, broken: Value, d: &Defect) {
        let key = self.key_of(&broken);
        let priority = match d.constraint.as_str() {
            "required" | "type" => Priority::High,
            _ => Priority::Medium,
        };
        let (expectation, expected) = self.rejected();
        let input =
            Input { topic: None, key: Some(key), value: Some(broken), raw_base64: None, headers: BTreeSeq::new() };
        let title = format!(
            "`{}` breaking `{}` is rejected: {}",
            if d.path.is_empty() { "/" } else { &d.path },
            d.constraint,
            d.detail
        );
        self.push(
            CaseKind::Negative,
            priority,
            title,
            input,
            (expectation, expected),
            Some(Covers { field: d.path.clone(), constraint: d.constraint.clone() }),
        );
    }

    fn raw(&mut self, title: &str, bytes: Vec<u8>, what: &str, priority: Priority) {
        let key = format!("case-{:03}-{what}", self.cases.len() + 1);
        let (expectation, expected) = self.rejected();
        let raw = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let input = Input { topic: None, key: Some(key), value: None, raw_base64: Some(raw), headers: BTreeSeq::new() };
        self.push(
            CaseKind::Negative,
            priority,
            title.to_string(),
            input,
            (expectation, expected),
            Some(Covers { field: String::new(), constraint: what.into() }),
        );
    }

    fn wrong_key(&mut self, record: Value, field: &str) {
        let key = format!("wrong-key-{}", short_hash(&record));
        let (expectation, expected) = self.rejected();
        let input =
            Input { topic: None, key: Some(key), value: Some(record), raw_base64: None, headers: BTreeSeq::new() };
        self.push(
            CaseKind::Negative,
            Priority::High,
            format!("A message whose key differs from its `{field}` is rejected"),
            input,
            (expectation, expected),
            Some(Covers { field: format!("/{}", field.replace('.', "/")), constraint: "key".into() }),
        );
    }
}

/// Leaves (strings, numbers) of a record with the plan node that generated them, outside oneOf/anyOf.
fn walk_leaves<'n>(node: &'n Node, v: &Value, at: &str, out: &mut Vec<(String, &'n Node)>) {
    match (&node.kind, v) {
        (Kind::Object(o), Value::Object(m)) => {
            for (k, child) in &o.properties {
                if let Some(cv) = m.get(k) {
                    walk_leaves(child, cv, &format!("{at}/{}", defects::escape(k)), out);
                }
            }
        }
        (Kind::Array(a), Value::Array(items)) => {
            if let Some(first) = items.first() {
                walk_leaves(&a.items, first, &format!("{at}/0"), out);
            }
        }
        (Kind::String(_) | Kind::Number(_) | Kind::Enum(_) | Kind::Const(_) | Kind::Boolean, _) => {
            out.push((at.to_string(), node))
        }
        _ => {}
    }
}

/// The largest smallest-record a schema may force for test cases (the default record cap).
const MAX_CASE_RECORD_BYTES: usize = 1024 * 1024;

/// The longest boundary string a case carries.
const MAX_BOUNDARY_LEN: usize = 64 * 1024;

/// Valid values at a leaf's declared bounds: (the bound's keyword, the value).
fn boundary_values(node: &Node) -> Vec<(&'static str, Value)> {
    let mut out = vec![];
    match &node.kind {
        Kind::Number(n) => {
            let (lo, hi) = n.bounds();
            let m = n.multiple_of.unwrap_or(if n.integer { 1.0 } else { 0.0 });
            let snap =
                |x: f64, up: bool| if m > 0.0 { (if up { (x / m).ceil() } else { (x / m).floor() }) * m } else { x };
            let num = |x: f64| if n.integer { json!(x as i64) } else { json!(x) };
            if let Some(lo) = lo {
                out.push((
                    if n.exclusive_minimum.is_some() { "exclusiveMinimum" } else { "minimum" },
                    num(snap(lo, true)),
                ));
            }
            if let Some(hi) = hi {
                out.push((
                    if n.exclusive_maximum.is_some() { "exclusiveMaximum" } else { "maximum" },
                    num(snap(hi, false)),
                ));
            }
        }
        Kind::String(s) if s.pattern.is_none() && s.format.is_none() => {
            // Bounds beyond a record's size make no test case, only a huge string.
            if s.min_len > 0 && s.min_len <= MAX_BOUNDARY_LEN {
                out.push(("minLength", json!("a".repeat(s.min_len))));
            }
            if let Some(max) = s.max_len.filter(|m| *m <= MAX_BOUNDARY_LEN) {
                out.push(("maxLength", json!("z".repeat(max))));
            }
        }
        _ => {}
    }
    out
}

/// A record that keeps its schema but breaks its entity's arithmetic: the total is off by one.
fn incoherent(e: Entity, mut record: Value) -> Option<(Value, String)> {
    let total = record.get("total")?.as_f64()?;
    record["total"] = json!(((total + 1.0) * 100.0).round() / 100.0);
    let broken = e.coherence(&record);
    (!broken.is_empty()).then(|| (record, format!("total off by 1.00, breaking: {}", broken.join("; "))))
}

fn short_hash(v: &Value) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.to_string().hash(&mut h);
    format!("{:08x}", h.finish() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Targets {
        Targets {
            input_topic: "in".into(),
            output_topic: Some("out".into()),
            dlq_topic: Some("dlq".into()),
            key_field: Some("id".into()),
            timeout_ms: None,
        }
    }

    #[test]
    fn cases_cover_every_constraint_and_say_what_they_break() {
        let schema = json!({"type": "object", "required": ["id", "qty", "tags"], "additionalProperties": false, "properties": {
            "id": {"type": "string", "pattern": "^o-[0-9]{4}$"}, "qty": {"type": "integer", "minimum": 1, "maximum": 10},
            "email": {"type": "string", "format": "email"}, "kind": {"enum": ["a", "b"]},
            "tags": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string", "maxLength": 5}}}});
        let t = targets();
        let (cases, coverage) = generate(&Request {
            schema: &schema,
            entity: None,
            targets: &t,
            kinds: &[],
            seed: 1,
            max_cases: 500,
            positives: 2,
        })
        .unwrap();
        assert_eq!(coverage.constraints_covered, coverage.constraints_total, "{:?}", coverage.constraints_missing);
        assert_eq!(coverage.fields_covered, coverage.fields_total, "{:?}", coverage.fields_missing);
        let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
        let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), cases.len());
        let keys: BTreeSet<&str> = cases.iter().filter_map(|c| c.input.key.as_deref()).collect();
        assert_eq!(keys.len(), cases.len(), "every case has its own key, so outcomes cannot be confused");
        for c in &cases {
            let Some(v) = &c.input.value else { continue };
            match (&c.expectation, c.kind) {
                (Expectation::Dlq { .. }, CaseKind::Negative) => {
                    let cov = c.covers.as_ref().unwrap();
                    if cov.constraint == "key" {
                        assert!(validator.is_valid(v));
                        continue;
                    }
                    let errors: Vec<String> =
                        validator.iter_errors(v).map(|e| e.kind().keyword().to_string()).collect();
                    assert_eq!(errors, vec![cov.constraint.clone()], "{}", c.title);
                }
                (Expectation::Output { matches, .. }, _) => {
                    assert!(validator.is_valid(v), "{}: {v}", c.title);
                    assert_eq!(matches.as_ref(), Some(v));
                    assert_eq!(c.input.key.as_deref(), v["id"].as_str(), "keyed by the key field");
                }
                other => panic!("unexpected expectation {:?} for {}", other.0.name(), c.title),
            }
            assert!((2..=5).contains(&c.steps.len()) && !c.preconditions.is_empty());
        }
        let kinds: BTreeSet<CaseKind> = cases.iter().map(|c| c.kind).collect();
        assert_eq!(kinds.len(), 4);
        assert!(cases.iter().any(|c| c.covers.as_ref().is_some_and(|v| v.constraint == "malformed_json")));
    }
}
