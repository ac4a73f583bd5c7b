//! Scoring agent-written cases: structural compliance (they parse into the model), field completeness,
//! precondition completeness, 2 to 5 steps per case, and a balance of kinds. Every defect is named with
//! the case it is in, so the agent can fix exactly that.

use super::model::{CaseKind, TestCase};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Score {
    /// 0 to 100: the mean of the five parts below.
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
    /// Every defect found, naming its case.
    pub defects: Vec<String>,
}

/// Scores parsed cases; `problems` are the parse failures (each is a structural defect).
pub fn score(cases: &[TestCase], problems: &[String], submitted: usize) -> Score {
    let mut defects: Vec<String> = problems.to_vec();
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
    let parts = [structural, complete as f64 / n, with_pre as f64 / n, good_steps as f64 / n, kinds_balance];
    let overall = (parts.iter().sum::<f64>() / parts.len() as f64 * 1000.0).round() / 10.0;
    Score {
        overall,
        structural,
        field_completeness: parts[1],
        preconditions: parts[2],
        steps: parts[3],
        kinds_balance,
        defects,
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
            "preconditions": ["the processor runs"], "steps": ["produce", "watch"], "input": {"key": "k", "value": {}}, "expectation": {"kind": "output"}})
        };
        let (cases, problems) = parse_cases(&[good("A", "positive"), good("B", "negative")]);
        let s = score(&cases, &problems, 2);
        assert_eq!((s.overall, s.defects.len()), (100.0, 0), "{:?}", s.defects);

        let mut no_steps = good("C", "positive");
        no_steps["steps"] = json!(["one"]);
        no_steps["preconditions"] = json!([]);
        let broken = json!({"id": "D", "type": "positive"});
        let raw = [good("A", "positive"), no_steps, broken];
        let (cases, problems) = parse_cases(&raw);
        let s = score(&cases, &problems, raw.len());
        assert!(s.overall < 60.0, "{}", s.overall);
        let all = s.defects.join("\n");
        for expected in ["cases[2]", "C: 1 steps", "C: no preconditions", "0 negative"] {
            assert!(all.contains(expected), "{expected} missing from {all}");
        }
    }
}
