//! Systematic test cases from a JSON Schema: positive records, edge records, boundary values per field and
//! bound (nullable fields included, with null itself), one negative case per field and constraint (built
//! with the defect generator, so each breaks exactly what it says), and message-level negatives (malformed
//! JSON, empty message, header variations). Each case carries its input, the expectation that makes it
//! executable and the source of that expectation (the schema constraint's JSON Pointer, or an entity's
//! rule); nothing is expected that the schema or the entity does not state.

use super::model::{
    key_from_field, CaseKind, Covers, Expectation, Input, Priority, Source, SourceKind, Targets, TestCase,
};
use super::trace;
use crate::datagen::defects::{self, Checker, Defect};
use crate::datagen::entities::{Entity, References};
use crate::datagen::plan::{self, Kind, Node};
use crate::datagen::stream::{Mode, Spec, Stream, Target};
use crate::datagen::values::Window;
use base64::Engine;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

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
    /// Cases left out by max_cases (`path constraint (kind)`, or the title).
    pub dropped_by_cap: Vec<String>,
}

/// The cases and the coverage of the schema's fields and constraints. Errors name the schema problem.
pub fn generate(req: &Request) -> Result<(Vec<TestCase>, Coverage), String> {
    // anyOf [X, null] read as a nullable X (the same values validate), so its constraints are X's.
    let schema = trace::normalize_nullable(req.schema);
    let node = plan::compile(&schema)?;
    // Cases carry a few records each: the smallest record must fit the default record cap.
    plan::check_sizes(&node, 1, MAX_CASE_RECORD_BYTES, u64::MAX)?;
    // Nullable fields seen through their non-null branch: their constraints are cases like any other.
    let flat = trace::strip_null(&node);
    let checker = Checker::new(&schema)?;
    let target = || match req.entity {
        Some(e) => Target::Entity(e, References::default()),
        None => Target::Schema(schema.clone()),
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
    let pointer = |path: &str, keyword: &str| trace::schema_pointer(req.schema, path, keyword);
    let whole = Source::schema("", "a message valid against the schema is accepted and passed on with its fields");

    // Every applicable (field, constraint), from one representative record; every field from the schema.
    let sample = base.next_record().0;
    let mut all_constraints: BTreeSet<String> =
        defects::all(&flat, &sample, &checker).iter().map(|(_, d)| slot(&d.path, &d.constraint)).collect();
    let (mut field_list, mut nullable) = (vec![], vec![]);
    trace::fields(&node, "", "", &mut field_list, &mut nullable);
    let fields: BTreeSet<String> = field_list.into_iter().collect();

    if wants(CaseKind::Positive) {
        for i in 0..req.positives.max(1) {
            let record = base.next_record().0;
            let title = if i == 0 {
                "A valid message is processed".to_string()
            } else {
                format!("A valid message is processed (variant {})", i + 1)
            };
            let priority = if i == 0 { Priority::Critical } else { Priority::High };
            b.positive(CaseKind::Positive, priority, &title, record, BTreeSeq::new(), (None, whole.clone()));
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
            (
                Some(Covers { field: String::new(), constraint: "headers".into() }),
                Source::schema("", "headers are outside the schema: a valid message is accepted whatever its headers"),
            ),
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
                (None, whole.clone()),
            );
        }
    }
    // Valid non-null values for nullable fields, so that records drawn with a null there still offer
    // the field's constraints to the negative cases.
    let mut fills: BTreeMap<String, Value> = BTreeMap::new();
    if wants(CaseKind::Boundary) {
        let record = base.next_record().0;
        let mut points = vec![];
        walk_leaves(&flat, &record, "", &mut points);
        for (path, leaf) in points {
            for (constraint, value) in boundary_values(leaf) {
                let mut r = base.next_record().0;
                if defects::set(&mut r, &path, value.clone()).is_none() {
                    continue;
                }
                if let Some(e) = req.entity.filter(|_| !coherent(&r)) {
                    // A quantity at its bound changes the total: recompute it, if the bound value survives.
                    e.rebalance(&mut r);
                }
                if r.pointer(&path) == Some(&value) && checker.is_valid(&r) && coherent(&r) {
                    all_constraints.insert(slot(&path, constraint));
                    if nullable.contains(&path) {
                        fills.entry(path.clone()).or_insert_with(|| value.clone());
                    }
                    b.positive(
                        CaseKind::Boundary,
                        Priority::Medium,
                        &format!("`{path}` at its {constraint} bound ({}) is accepted", cut(&value)),
                        r,
                        BTreeSeq::new(),
                        (
                            Some(Covers { field: path.clone(), constraint: constraint.into() }),
                            Source::schema(pointer(&path, constraint), format!("`{path}` may be at its {constraint}")),
                        ),
                    );
                }
            }
        }
        // Null itself is a valid value of a nullable field.
        for path in &nullable {
            let mut r = base.next_record().0;
            if defects::set(&mut r, path, Value::Null).is_some() && checker.is_valid(&r) && coherent(&r) {
                all_constraints.insert(slot(path, "nullable"));
                b.positive(
                    CaseKind::Boundary,
                    Priority::Medium,
                    &format!("`{path}` null is accepted (the field is nullable)"),
                    r,
                    BTreeSeq::new(),
                    (
                        Some(Covers { field: path.clone(), constraint: "nullable".into() }),
                        Source::schema(pointer(path, "type"), format!("`{path}` may be null")),
                    ),
                );
            }
        }
    }
    if wants(CaseKind::Negative) {
        let mut done = BTreeSet::new();
        let mut attempts = 0;
        // One fresh record per case, so that every case has its own key; a record that offers no
        // constraint still uncovered counts as a miss (optional fields appear in some records only).
        while done.len() < all_constraints.len() && attempts < 20 {
            let mut record = base.next_record().0;
            for path in &nullable {
                match record.pointer(path) {
                    Some(Value::Null) => {
                        if let Some(v) = fills.get(path) {
                            let mut filled = record.clone();
                            if defects::set(&mut filled, path, v.clone()).is_some() && checker.is_valid(&filled) {
                                record = filled;
                            }
                        }
                    }
                    Some(v) => {
                        fills.entry(path.clone()).or_insert_with(|| v.clone());
                    }
                    None => {}
                }
            }
            let found = defects::all(&flat, &record, &checker);
            for (_, d) in &found {
                all_constraints.insert(slot(&d.path, &d.constraint));
            }
            match found.into_iter().find(|(_, d)| !done.contains(&slot(&d.path, &d.constraint))) {
                Some((broken, d)) => {
                    done.insert(slot(&d.path, &d.constraint));
                    let at = match d.constraint.as_str() {
                        "required" | "additionalProperties" => d.reported_at(),
                        _ => &d.path,
                    };
                    let source = Source::schema(pointer(at, &d.constraint), d.detail.clone());
                    let mentions = trace::field_name(&d.path).into_iter().collect();
                    b.negative(broken, &d, source, mentions);
                }
                None => attempts += 1,
            }
        }
        if let Some(e) = req.entity {
            let mut rules = BTreeSet::new();
            // A fresh record per rule, so that each case has its own key.
            for path in AMOUNTS {
                let Some((record, path, rule)) = incoherent(e, &base.next_record().0, path, &mut rules) else {
                    continue;
                };
                let source =
                    Source { from: SourceKind::Entity, pointer: None, rule: Some(format!("{}: {rule}", e.name())) };
                let mentions = trace::field_name(&path).into_iter().collect();
                let d = Defect { path, constraint: "business_rule".into(), detail: rule };
                b.negative(record, &d, source, mentions);
            }
        }
        let type_source = || {
            Source::schema(
                if schema.get("type").is_some() { "/type" } else { "" },
                "a message is a JSON value of the schema's type",
            )
        };
        let record = base.next_record().0;
        let mut text = serde_json::to_string(&record).unwrap_or_default();
        text.truncate(text.len() / 2);
        b.raw(
            "Malformed JSON (a message cut in half) is rejected",
            text.into_bytes(),
            ("malformed_json", trace::MALFORMED_WORDS),
            Priority::High,
            type_source(),
        );
        b.raw(
            "An empty message is rejected",
            vec![],
            ("empty_message", trace::EMPTY_WORDS),
            Priority::High,
            type_source(),
        );
    }
    let (cases, dropped) = cap(b.cases, &all_constraints, req.max_cases);
    let mut cases = cases;
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
        dropped_by_cap: dropped,
    };
    Ok((cases, coverage))
}

/// Keeps at most `max` cases, in this order of need: the first positive; one case per constraint (its
/// negative, or its only case: an at-bound or null positive, malformed and empty messages, a business
/// rule); the constraint's second case (the at-bound positive beside the over-bound negative); then the
/// rest (more positives, edge values, headers). A tier that does not fit whole keeps its most important
/// cases (priority, then kind). Returns the kept cases in their original order and what was dropped.
fn cap(cases: Vec<TestCase>, constraints: &BTreeSet<String>, max: usize) -> (Vec<TestCase>, Vec<String>) {
    let slot_of = |c: &TestCase| c.covers.as_ref().map(|v| slot(&v.field, &v.constraint));
    let negative_slots: BTreeSet<String> =
        cases.iter().filter(|c| c.kind == CaseKind::Negative).filter_map(slot_of).collect();
    let mut seen = BTreeSet::new();
    let tiers: Vec<u8> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 && c.priority == Priority::Critical {
                return 0;
            }
            let Some(s) = slot_of(c) else { return 3 };
            let only_case = constraints.contains(&s) && !negative_slots.contains(&s);
            if c.kind == CaseKind::Negative || only_case {
                if seen.insert(s) {
                    1
                } else {
                    3
                }
            } else if constraints.contains(&s) {
                2
            } else {
                3
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| (tiers[i], cases[i].priority as u8, cases[i].kind, i));
    let keep: BTreeSet<usize> = order.iter().take(max).copied().collect();
    // What was left out, most needed first.
    let dropped = order
        .iter()
        .skip(max)
        .map(|&i| {
            let c = &cases[i];
            let what = match (&c.covers, tiers[i]) {
                (Some(v), 1 | 2) => {
                    format!("{} ({})", slot(&v.field, &v.constraint), format!("{:?}", c.kind).to_lowercase())
                }
                _ => c.title.clone(),
            };
            crate::text::cut_bytes(&what, 120)
        })
        .collect();
    let kept = cases.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, c)| c).collect();
    (kept, dropped)
}

/// A value as a title shows it: long strings cut.
fn cut(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 24 => {
            format!("\"{}…\" ({} characters)", s.chars().take(12).collect::<String>(), s.chars().count())
        }
        other => other.to_string(),
    }
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
            .and_then(|f| key_from_field(record, f))
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
        traced: (Option<Covers>, Source),
    ) {
        let (covers, source) = traced;
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
            source: Some(source),
        });
    }

    fn positive(
        &mut self,
        kind: CaseKind,
        priority: Priority,
        title: &str,
        record: Value,
        headers: BTreeSeq,
        traced: (Option<Covers>, Source),
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
        self.push(kind, priority, title.to_string(), input, (expectation, expected), traced);
    }

    /// The expectation of a rejection; with the target's reason header, the reason must name one of `mentions`.
    fn rejected(&self, mentions: Vec<String>) -> (Expectation, String) {
        match &self.targets.dlq_topic {
            Some(_) => {
                let header = self.targets.dlq_reason_header.clone();
                let mut said =
                    "The message is rejected to the dead-letter topic and nothing reaches the output topic".to_string();
                if let Some(h) = &header {
                    said.push_str(&format!("; its `{h}` header gives the reason"));
                    if !mentions.is_empty() {
                        said.push_str(&format!(", naming {}", mentions.join(" or ")));
                    }
                }
                let reason_mentions = if header.is_some() { mentions } else { vec![] };
                (
                    Expectation::Dlq {
                        topic: None,
                        correlate_by: None,
                        reason_contains: None,
                        reason_header: header,
                        reason_mentions,
                        timeout_ms: None,
                    },
                    said,
                )
            }
            None => (
                Expectation::NoOutput { topic: None, correlate_by: None, timeout_ms: None },
                "The message is rejected: nothing reaches the output topic".into(),
            ),
        }
    }

    fn negative(&mut self, broken: Value, d: &Defect, source: Source, mentions: Vec<String>) {
        let key = self.key_of(&broken);
        let priority = match d.constraint.as_str() {
            "required" | "type" => Priority::High,
            _ => Priority::Medium,
        };
        let (expectation, expected) = self.rejected(mentions);
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
            (Some(Covers { field: d.path.clone(), constraint: d.constraint.clone() }), source),
        );
    }

    fn raw(&mut self, title: &str, bytes: Vec<u8>, what: (&str, &[&str]), priority: Priority, source: Source) {
        let (what, words) = what;
        let key = format!("case-{:03}-{what}", self.cases.len() + 1);
        let (expectation, expected) = self.rejected(words.iter().map(|w| w.to_string()).collect());
        let raw = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let input = Input { topic: None, key: Some(key), value: None, raw_base64: Some(raw), headers: BTreeSeq::new() };
        self.push(
            CaseKind::Negative,
            priority,
            title.to_string(),
            input,
            (expectation, expected),
            (Some(Covers { field: String::new(), constraint: what.into() }), source),
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

/// The amounts an entity's arithmetic rules tie together.
const AMOUNTS: &[&str] = &["/total", "/payment/amount", "/subtotal", "/tax"];

/// A record that keeps the schema but breaks one of the entity's arithmetic rules not in `rules` yet: the
/// amount at `path` off by 1.00, with the amounts that equalled it following along when that leaves one rule
/// broken (an order's total with its payment amount breaks only "total = sum of items"). (record, path, rule.)
fn incoherent(e: Entity, record: &Value, path: &str, rules: &mut BTreeSet<String>) -> Option<(Value, String, String)> {
    let amount = |r: &Value, p: &str| r.pointer(p).and_then(Value::as_f64);
    let x = amount(record, path)?;
    let bumped = json!(((x + 1.0) * 100.0).round() / 100.0);
    let mut alone = record.clone();
    defects::set(&mut alone, path, bumped.clone())?;
    let mut follow = alone.clone();
    for q in AMOUNTS.iter().filter(|q| **q != path && amount(record, q) == Some(x)) {
        defects::set(&mut follow, q, bumped.clone());
    }
    for r in [alone, follow] {
        let broken = e.coherence(&r);
        if broken.len() == 1 {
            let rule = broken[0].clone();
            return rules
                .insert(rule.clone())
                .then(|| (r, path.to_string(), format!("`{path}` off by 1.00, breaking: {rule}")));
        }
    }
    None
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
            dlq_reason_header: None,
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

    fn order_like() -> Value {
        json!({"type": "object", "required": ["id", "qty"], "additionalProperties": false, "properties": {
            "id": {"type": "string", "pattern": "^o-[0-9]{4}$"}, "qty": {"type": "integer", "minimum": 1, "maximum": 10},
            "note": {"type": ["string", "null"], "maxLength": 20},
            "memo": {"anyOf": [{"type": "string", "maxLength": 8}, {"type": "null"}]}}})
    }

    fn run(schema: &Value, max_cases: usize, t: &Targets) -> (Vec<TestCase>, Coverage) {
        generate(&Request { schema, entity: None, targets: t, kinds: &[], seed: 5, max_cases, positives: 2 }).unwrap()
    }

    #[test]
    fn nullable_fields_count_and_get_bound_over_limit_and_null_cases() {
        let schema = order_like();
        let (cases, coverage) = run(&schema, 500, &targets());
        assert_eq!(coverage.fields_total, 4, "id, qty and both nullable fields: {:?}", coverage.fields_missing);
        assert_eq!(coverage.fields_covered, 4, "{:?}", coverage.fields_missing);
        assert_eq!(coverage.constraints_covered, coverage.constraints_total, "{:?}", coverage.constraints_missing);
        let validator = jsonschema::validator_for(&schema).unwrap();
        for field in ["/note", "/memo"] {
            let slots: BTreeSet<(CaseKind, &str)> = cases
                .iter()
                .filter_map(|c| c.covers.as_ref().filter(|v| v.field == field).map(|v| (c.kind, v.constraint.as_str())))
                .collect();
            for want in
                [(CaseKind::Boundary, "maxLength"), (CaseKind::Negative, "maxLength"), (CaseKind::Boundary, "nullable")]
            {
                assert!(slots.contains(&want), "{field}: {want:?} missing from {slots:?}");
            }
            for c in cases.iter().filter(|c| c.covers.as_ref().is_some_and(|v| v.field == field)) {
                let v = c.input.value.as_ref().unwrap();
                let null = v.pointer(field) == Some(&Value::Null);
                assert_eq!(c.kind == CaseKind::Negative, !validator.is_valid(v), "{}: {v}", c.title);
                assert_eq!(null, c.covers.as_ref().unwrap().constraint == "nullable", "{}", c.title);
            }
        }
    }

    #[test]
    fn every_expectation_traces_to_a_constraint_of_the_schema() {
        let schema = order_like();
        let (cases, _) = run(&schema, 500, &targets());
        for c in &cases {
            let source = c.source.as_ref().unwrap_or_else(|| panic!("{} has no source", c.title));
            assert_eq!(source.from, SourceKind::Schema, "{}", c.title);
            let pointer = source.pointer.as_deref().unwrap();
            let at = schema.pointer(pointer).unwrap_or_else(|| panic!("{}: `{pointer}` is not in the schema", c.title));
            if let Some(cov) = c.covers.as_ref().filter(|v| !v.field.is_empty()) {
                let keyword = pointer.rsplit('/').next().unwrap();
                let want = if cov.constraint == "nullable" { "type" } else { cov.constraint.as_str() };
                assert_eq!(keyword, want, "{}: {pointer}", c.title);
                assert!(!at.is_object() || keyword == "properties", "{}: points at a keyword, not a schema", c.title);
            }
        }
        assert!(cases.iter().all(|c| !c.title.contains("key differs")), "a key rule nobody stated");
        // The business rule of an entity is sourced to the entity, not to the schema.
        let t = targets();
        let order = Entity::Order.schema();
        let req = Request {
            schema: &order,
            entity: Some(Entity::Order),
            targets: &t,
            kinds: &[CaseKind::Negative],
            seed: 1,
            max_cases: 500,
            positives: 1,
        };
        let (cases, _) = generate(&req).unwrap();
        let rules: Vec<&TestCase> =
            cases.iter().filter(|c| c.covers.as_ref().unwrap().constraint == "business_rule").collect();
        assert_eq!(rules.len(), 2, "total = sum and payment.amount = total, each broken alone");
        for c in rules {
            assert_eq!(c.source.as_ref().unwrap().from, SourceKind::Entity);
            assert_eq!(Entity::Order.coherence(c.input.value.as_ref().unwrap()).len(), 1, "{}", c.title);
        }
    }

    #[test]
    fn negatives_expect_the_reason_to_name_the_broken_field_when_the_header_is_given() {
        let schema = order_like();
        let mut t = targets();
        let (cases, _) = run(&schema, 500, &t);
        assert!(cases.iter().all(|c| !matches!(&c.expectation, Expectation::Dlq { reason_header: Some(_), .. })));
        t.dlq_reason_header = Some("x-reject-reason".into());
        let (cases, _) = run(&schema, 500, &t);
        for c in cases.iter().filter(|c| c.kind == CaseKind::Negative) {
            let Expectation::Dlq { reason_header, reason_mentions, .. } = &c.expectation else { panic!("dlq") };
            assert_eq!(reason_header.as_deref(), Some("x-reject-reason"));
            let cov = c.covers.as_ref().unwrap();
            match cov.field.rsplit('/').next().filter(|f| !f.is_empty()) {
                Some(field) => assert_eq!(reason_mentions, &vec![field.to_string()], "{}", c.title),
                None => assert!(reason_mentions.iter().any(|m| m == "json"), "{}: {reason_mentions:?}", c.title),
            }
        }
    }

    #[test]
    fn the_cap_keeps_one_case_per_constraint_before_repeats_and_says_what_it_dropped() {
        let schema = order_like();
        let (all, full) = run(&schema, 500, &targets());
        assert!(full.dropped_by_cap.is_empty());
        let constraints = full.constraints_total;
        // Room for the first positive and one case per constraint plus the two message-level negatives.
        let (cases, coverage) = run(&schema, constraints + 3, &targets());
        assert_eq!(cases.len(), constraints + 3);
        assert_eq!(coverage.constraints_covered, constraints, "{:?}", coverage.constraints_missing);
        assert_eq!(coverage.dropped_by_cap.len(), all.len() - cases.len());
        assert!(
            coverage.dropped_by_cap.iter().any(|d| d.contains("variant 2") || d.contains("edge")),
            "{:?}",
            coverage.dropped_by_cap
        );
        // A bit more room: the at-bound positives come before more positives, edges and headers.
        let bounds = all
            .iter()
            .filter(|c| c.kind == CaseKind::Boundary && c.covers.as_ref().unwrap().constraint != "nullable")
            .count();
        let (cases, coverage) = run(&schema, constraints + 3 + bounds, &targets());
        assert_eq!(
            cases.iter().filter(|c| c.kind == CaseKind::Boundary).count(),
            all.iter().filter(|c| c.kind == CaseKind::Boundary).count()
        );
        assert!(coverage.dropped_by_cap.iter().all(|d| !d.contains("(boundary)")), "{:?}", coverage.dropped_by_cap);
        // Too little room for every constraint: each kept case is a different constraint.
        let (cases, coverage) = run(&schema, 6, &targets());
        let slots: BTreeSet<String> =
            cases.iter().filter_map(|c| c.covers.as_ref()).map(|v| slot(&v.field, &v.constraint)).collect();
        assert_eq!(slots.len() + 1, cases.len(), "the first positive plus 5 different constraints");
        assert_eq!(
            coverage.constraints_covered,
            5 - cases.iter().filter(|c| c.covers.as_ref().is_some_and(|v| v.field.is_empty())).count()
        );
    }
}
