//! Scoring agent-written cases: structural compliance (they parse into the model), field completeness,
//! precondition completeness, 2 to 5 steps per case, a balance of kinds, and content: what the cases say
//! must make sense (a case expecting output sends a valid message, a positive case expects output, a
//! negative case breaks the rule it names, every case has its own key, no duplicates or contradictions,
//! expectations do not repeat the input). Every defect is named with the case it is in, so the agent (or the
//! model's repair request) can fix exactly that.

use super::model::{key_from_field, CaseKind, Expectation, TestCase};
use crate::schema::validate::Validator;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Serialize, JsonSchema)]
pub struct Score {
    /// 0 to 100: the mean of the six parts below.
    pub overall: f64,
    /// Share of cases that parse into the model (0..1).
    pub structural: f64,
    /// Share of cases with a non-empty title, expected_result and input value (0..1).
    pub field_completeness: f64,
    /// Share of cases with at least one precondition (0..1).
    pub preconditions: f64,
    /// Share of cases with 2 to 5 steps (0..1).
    pub steps: f64,
    /// 1 when positive and negative cases are both present and neither is over 80% of the set; lower otherwise.
    pub kinds_balance: f64,
    /// Share of cases without a content defect (0..1): a case expecting output whose message breaks the schema,
    /// a positive case not expecting output, a negative case expecting output or whose message passes the
    /// schema while its title names a field it breaks, a shared key, a duplicate, a contradiction, an
    /// expectation repeating the input.
    pub content: f64,
    /// Every defect found, naming its case.
    pub defects: Vec<String>,
}

/// Scores parsed cases; `problems` are the parse failures (each is a structural defect); `schema` is the
/// message format when known (a user story's `schema` or `entity`); `key_field` the target's key field.
pub fn score(
    cases: &[TestCase],
    problems: &[String],
    submitted: usize,
    schema: Option<&Value>,
    key_field: Option<&str>,
) -> Score {
    let mut defects: Vec<String> = problems.to_vec();
    let (content_defects, flawed) = content_defects(cases, schema, key_field);
    let n = cases.len().max(1) as f64;
    let mut complete = 0;
    let mut with_pre = 0;
    let mut good_steps = 0;
    for c in cases {
        let mut missing = vec![];
        if c.title.trim().is_empty() {
            missing.push("title");
        }
        if c.expected_result.trim().is_empty() {
            missing.push("expected_result");
        }
        if c.input.value.is_none() && c.input.raw_base64.is_none() && c.kind != CaseKind::Negative {
            missing.push("input.value");
        }
        if missing.is_empty() {
            complete += 1;
        } else {
            defects.push(format!("{}: empty {}", c.id, missing.join(", ")));
        }
        if c.preconditions.iter().any(|p| !p.trim().is_empty()) {
            with_pre += 1;
        } else {
            defects.push(format!("{}: no preconditions (say what must be running and which topics must exist)", c.id));
        }
        if (2..=5).contains(&c.steps.len()) {
            good_steps += 1;
        } else {
            defects.push(format!("{}: {} steps; write 2 to 5", c.id, c.steps.len()));
        }
    }
    let count = |k: CaseKind| cases.iter().filter(|c| c.kind == k).count();
    let (pos, neg) = (count(CaseKind::Positive), count(CaseKind::Negative));
    let kinds_balance = if cases.is_empty() {
        0.0
    } else if pos == 0 || neg == 0 {
        defects.push(format!("the set has {pos} positive and {neg} negative cases; include both"));
        0.0
    } else {
        let top = pos.max(neg) as f64 / cases.len() as f64;
        if top > 0.8 {
            defects.push(format!("{:.0}% of the cases are of one kind; balance positive and negative", top * 100.0));
            (1.0 - top) / 0.2
        } else {
            1.0
        }
    };
    let structural = if submitted == 0 { 0.0 } else { cases.len() as f64 / submitted as f64 };
    defects.extend(content_defects);
    let content = if cases.is_empty() { 0.0 } else { 1.0 - flawed.len() as f64 / n };
    let parts = [structural, complete as f64 / n, with_pre as f64 / n, good_steps as f64 / n, kinds_balance, content];
    let overall = (parts.iter().sum::<f64>() / parts.len() as f64 * 1000.0).round() / 10.0;
    Score {
        overall,
        structural,
        field_completeness: parts[1],
        preconditions: parts[2],
        steps: parts[3],
        kinds_balance,
        content,
        defects,
    }
}

/// Words in a case title that claim the named field is broken.
const CLAIMS: &[&str] = &[
    "invalid",
    "malformed",
    "wrong",
    "bad",
    "missing",
    "without",
    "empty",
    "negative",
    "exceeds",
    "exceeding",
    "too",
    "out",
    "over",
    "under",
    "unknown",
    "not",
    "no",
    "non",
    "illegal",
    "incorrect",
    "blank",
    "null",
];

/// The content defects of a case set, and the ids of the cases they concern. With the target's `key_field`, a
/// positive case keyed otherwise than by that field of its message is one (the system under test keys by it).
pub fn content_defects(
    cases: &[TestCase],
    schema: Option<&Value>,
    key_field: Option<&str>,
) -> (Vec<String>, BTreeSet<String>) {
    let mut defects = vec![];
    let mut flawed = BTreeSet::new();
    let validator = schema.and_then(|s| Validator::new(s).ok());
    let fields = schema.map(field_names).unwrap_or_default();
    let mut flag = |ids: &[&str], text: String| {
        flawed.extend(ids.iter().map(|i| i.to_string()));
        defects.push(text);
    };
    for c in cases {
        let expects = c.expectation.name();
        match (c.kind, &c.expectation) {
            (CaseKind::Positive, Expectation::Output { .. }) => {}
            (CaseKind::Positive, _) => flag(
                &[&c.id],
                format!("{}: a positive case expects `{expects}`; a positive case expects `output` (make it negative if the message is rejected)", c.id),
            ),
            (CaseKind::Negative, Expectation::Output { .. }) => flag(
                &[&c.id],
                format!("{}: a negative case expects `output`; a rejected message expects `dlq` or `no_output`", c.id),
            ),
            _ => {}
        }
        if let (Some(v), Some(value)) = (&validator, &c.input.value) {
            let errors = v.errors(value);
            if matches!(c.expectation, Expectation::Output { .. }) && !errors.is_empty() {
                let first: Vec<String> = errors.iter().take(3).map(|e| format!("{}: {}", e.path, e.message)).collect();
                flag(
                    &[&c.id],
                    format!(
                        "{}: expects `output` but input.value breaks the message schema ({}); a message the system accepts must be valid",
                        c.id,
                        first.join("; ")
                    ),
                );
            }
            if c.kind == CaseKind::Negative && errors.is_empty() {
                if let Some(field) = claimed_field(&c.title, &fields) {
                    flag(
                        &[&c.id],
                        format!(
                            "{}: the title says `{field}` is broken, but input.value passes the message schema{}; break `{field}` in the message or retitle the case after the business rule it breaks",
                            c.id,
                            find(value, &field).map(|v| format!(" (its `{field}` is {v})")).unwrap_or_default()
                        ),
                    );
                }
            }
        }
        if let (Expectation::Output { matches: Some(Value::Object(m)), .. }, Some(Value::Object(input))) =
            (&c.expectation, &c.input.value)
        {
            let echoed = m.iter().filter(|(k, v)| input.get(*k) == Some(*v)).count();
            if echoed >= 5 || (echoed >= 3 && echoed + 1 >= input.len()) || (m.len() >= 2 && m == input) {
                flag(
                    &[&c.id],
                    format!("{}: expectation.matches repeats {echoed} fields of the input; name only the 1 to 3 fields the output must show", c.id),
                );
            }
        }
    }
    if let Some(field) = key_field {
        // A negative case may break the key on purpose (the system rejects a message keyed otherwise).
        for c in cases.iter().filter(|c| c.kind == CaseKind::Positive) {
            let (Some(key), Some(value)) = (&c.input.key, &c.input.value) else { continue };
            let Some(want) = key_from_field(value, field) else { continue };
            if *key != want {
                flag(
                    &[&c.id],
                    format!("{}: the key `{key}` is not the message's `{field}` (`{want}`); the target keys messages by `{field}`: use it as the key", c.id),
                );
            }
        }
    }
    let mut by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in cases {
        if let Some(k) = &c.input.key {
            by_key.entry(k).or_default().push(&c.id);
        }
    }
    for (key, ids) in by_key.iter().filter(|(_, ids)| ids.len() > 1) {
        flag(ids, format!("{} share the key `{key}`; give every case its own key", ids.join(", ")));
    }
    for (i, a) in cases.iter().enumerate() {
        for b in &cases[i + 1..] {
            let same_message = a.input.value == b.input.value
                && a.input.raw_base64 == b.input.raw_base64
                && a.input.headers == b.input.headers
                && a.input.topic == b.input.topic
                && (a.input.value.is_some() || a.input.raw_base64.is_some());
            if !same_message {
                continue;
            }
            let (ea, eb) = (a.expectation.name(), b.expectation.name());
            if ea != eb {
                flag(
                    &[&a.id, &b.id],
                    format!("{} and {} send the same message but expect `{ea}` and `{eb}`: the cases contradict each other (or the story does; say which outcome it means)", a.id, b.id),
                );
            } else {
                flag(
                    &[&a.id, &b.id],
                    format!("{} and {} send the same message and expect the same: drop one or vary it", a.id, b.id),
                );
            }
        }
    }
    (defects, flawed)
}

/// Every property name of a schema, at any depth.
fn field_names(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(props)) = m.get("properties") {
                    out.extend(props.keys().cloned());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(schema, &mut out);
    out
}

/// The schema field a title claims is broken: the title names the field (`user_id` or `user id`) and a
/// claim word (invalid, missing, ...).
fn claimed_field(title: &str, fields: &BTreeSet<String>) -> Option<String> {
    let lower = title.to_lowercase();
    let words: Vec<&str> =
        lower.split(|ch: char| !(ch.is_alphanumeric() || ch == '_')).filter(|w| !w.is_empty()).collect();
    if !words.iter().any(|w| CLAIMS.contains(w)) {
        return None;
    }
    let joined = format!(" {} ", words.join(" "));
    fields
        .iter()
        .filter(|f| f.len() > 2)
        .find(|f| {
            let f = f.to_lowercase();
            joined.contains(&format!(" {f} ")) || joined.contains(&format!(" {} ", f.replace('_', " ")))
        })
        .cloned()
}

/// The first value under `field` anywhere in `v`, shown short.
fn find(v: &Value, field: &str) -> Option<String> {
    match v {
        Value::Object(m) => m
            .get(field)
            .map(|x| crate::observe::http::excerpt(&x.to_string(), 40))
            .or_else(|| m.values().find_map(|x| find(x, field))),
        Value::Array(a) => a.iter().find_map(|x| find(x, field)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::parse_cases;
    use super::*;
    use serde_json::json;

    #[test]
    fn each_defect_is_named_and_lowers_the_score() {
        let good = |id: &str, kind: &str| {
            json!({"id": id, "type": kind, "title": "t", "priority": "high", "expected_result": "ok",
            "preconditions": ["the processor runs"], "steps": ["produce", "watch"], "input": {"key": id, "value": {"id": id}},
            "expectation": {"kind": if kind == "positive" { "output" } else { "dlq" }}})
        };
        let (cases, problems) = parse_cases(&[good("A", "positive"), good("B", "negative")]);
        let s = score(&cases, &problems, 2, None, None);
        assert_eq!((s.overall, s.defects.len()), (100.0, 0), "{:?}", s.defects);

        let mut no_steps = good("C", "positive");
        no_steps["steps"] = json!(["one"]);
        no_steps["preconditions"] = json!([]);
        let broken = json!({"id": "D", "type": "positive"});
        let raw = [good("A", "positive"), no_steps, broken];
        let (cases, problems) = parse_cases(&raw);
        let s = score(&cases, &problems, raw.len(), None, None);
        assert!(s.overall < 65.0, "{}", s.overall);
        let all = s.defects.join("\n");
        for expected in ["cases[2]", "C: 1 steps", "C: no preconditions", "0 negative"] {
            assert!(all.contains(expected), "{expected} missing from {all}");
        }
    }

    fn case(id: &str, kind: &str, title: &str, key: &str, value: Value, expects: Value) -> Value {
        json!({"id": id, "type": kind, "title": title, "priority": "high", "expected_result": "ok",
            "preconditions": ["the processor runs"], "steps": ["produce", "watch"],
            "input": {"key": key, "value": value}, "expectation": expects})
    }

    #[test]
    fn content_defects_that_passed_before_are_named_and_counted() {
        let schema = json!({"type": "object", "required": ["refund_id", "status", "email"], "properties": {
            "refund_id": {"type": "string", "pattern": "^R-[0-9]+$"},
            "status": {"enum": ["requested", "approved"]},
            "email": {"type": "string", "format": "email"}}});
        let ok = |id: &str| json!({"refund_id": format!("R-{id}"), "status": "requested", "email": "a@b.co"});
        let output = json!({"kind": "output", "matches": {"status": "approved"}});
        let dlq = json!({"kind": "dlq"});
        let raw = [
            // A clean pair first: no defect.
            case("A", "positive", "A refund is approved", "a", ok("1"), output.clone()),
            case("B", "negative", "A refund over the limit is rejected", "b", ok("2"), dlq.clone()),
            // Shared key, id breaking the pattern, status outside the enum.
            case(
                "C",
                "positive",
                "Refund approved",
                "shared",
                json!({"refund_id": "X1", "status": "approved", "email": "a@b.co"}),
                output.clone(),
            ),
            case(
                "D",
                "positive",
                "Refund approved again",
                "shared",
                json!({"refund_id": "R-4", "status": "done", "email": "a@b.co"}),
                output.clone(),
            ),
            // Two identical cases.
            case("E", "positive", "Same", "e", ok("5"), output.clone()),
            case("F", "positive", "Same", "f", ok("5"), output.clone()),
            // A contradiction and a positive case expecting the DLQ.
            case("G", "positive", "Conflict", "g", ok("7"), output.clone()),
            case("H", "positive", "Conflict", "h", ok("7"), dlq.clone()),
            // An 'invalid email' case whose email is valid.
            case("I", "negative", "Invalid email is rejected", "i", ok("9"), dlq.clone()),
            // The expectation repeats the input.
            case(
                "J",
                "positive",
                "Echo",
                "j",
                ok("10"),
                json!({"kind": "output", "matches": {"refund_id": "R-10", "status": "requested", "email": "a@b.co", "x": 1}}),
            ),
        ];
        let (cases, problems) = parse_cases(&raw);
        assert!(problems.is_empty(), "{problems:?}");
        let (defects, flawed) = content_defects(&cases, Some(&schema), None);
        let all = defects.join("\n");
        for expected in [
            "C, D share the key `shared`",
            "C: expects `output` but input.value breaks the message schema ($.refund_id",
            "D: expects `output` but input.value breaks the message schema ($.status",
            "E and F send the same message and expect the same",
            "G and H send the same message but expect `output` and `dlq`",
            "H: a positive case expects `dlq`",
            "I: the title says `email` is broken, but input.value passes the message schema (its `email` is \"a@b.co\")",
            "J: expectation.matches repeats 3 fields",
        ] {
            assert!(all.contains(expected), "{expected} missing from\n{all}");
        }
        assert!(!all.contains("A:") && !all.contains("B:") && !all.contains("A,"), "{all}");
        assert!(!flawed.contains("A") && !flawed.contains("B") && flawed.len() == 8, "{flawed:?}");
        let s = score(&cases, &problems, raw.len(), Some(&schema), None);
        assert!((s.content - 0.2).abs() < 1e-9, "{}", s.content);
        assert!(s.overall < 90.0, "{}", s.overall);
    }
    #[test]
    fn a_key_other_than_the_targets_key_field_is_a_defect() {
        let output = json!({"kind": "output"});
        let raw = [
            case("A", "positive", "Keyed by its order id", "ord-1", json!({"order_id": "ord-1"}), output.clone()),
            case("B", "positive", "Keyed otherwise", "order-123", json!({"order_id": "ord-2"}), output.clone()),
            case("C", "positive", "No order id", "c", json!({"total": 3}), output),
            case(
                "D",
                "negative",
                "Keyed otherwise is rejected",
                "x",
                json!({"order_id": "ord-4"}),
                json!({"kind": "dlq"}),
            ),
        ];
        let (cases, _) = parse_cases(&raw);
        let (defects, flawed) = content_defects(&cases, None, Some("order_id"));
        assert_eq!(flawed.into_iter().collect::<Vec<_>>(), ["B"], "{defects:?}");
        assert!(defects[0].contains("the key `order-123` is not the message's `order_id` (`ord-2`)"), "{defects:?}");
        assert!(content_defects(&cases, None, None).0.is_empty());
    }
}
