//! A test run's report: totals, success rate, latency percentiles and per-case evidence (what was sent,
//! where it landed, what was observed, the diff), rendered as JSON, Markdown and JUnit XML.

use super::model::{CaseKind, Priority, TestCase};
use crate::text::cell;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// The case could not be executed (produce failed, bad input, no topic to watch).
    Errored,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Sent {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Landed {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CaseResult {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: CaseKind,
    pub title: String,
    pub priority: Priority,
    pub status: Status,
    /// What was observed, in words.
    pub observed: String,
    /// What differs from the expectation.
    pub diff: Vec<String>,
    pub sent: Option<Sent>,
    /// Correlated messages seen on the watched topics.
    pub landed: Vec<Landed>,
    /// From the input's broker timestamp to the output's (or to when it was seen).
    pub latency_ms: Option<f64>,
}

pub struct Outcome {
    pub passed: bool,
    pub observed: String,
    pub diff: Vec<String>,
}

impl Outcome {
    pub fn pass(observed: String) -> Outcome {
        Outcome { passed: true, observed, diff: vec![] }
    }
    pub fn fail(observed: String) -> Outcome {
        Outcome { passed: false, diff: vec![observed.clone()], observed }
    }
}

impl CaseResult {
    pub fn new(c: &TestCase) -> CaseResult {
        CaseResult {
            id: c.id.clone(),
            kind: c.kind,
            title: c.title.clone(),
            priority: c.priority,
            status: Status::Errored,
            observed: String::new(),
            diff: vec![],
            sent: None,
            landed: vec![],
            latency_ms: None,
        }
    }
    pub fn errored(mut self, why: String) -> CaseResult {
        self.status = Status::Errored;
        self.observed = why;
        self
    }
    pub fn with(mut self, o: Outcome) -> CaseResult {
        self.status = if o.passed { Status::Passed } else { Status::Failed };
        self.observed = o.observed;
        self.diff = o.diff;
        self
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunReport {
    /// The run's id; the report is the resource `testrun://{id}`.
    pub id: String,
    pub input_topic: String,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    /// Failed cases that reached the DLQ without the expected reason (no reason header, or one naming something else).
    pub wrong_reason: usize,
    /// passed / total, 0..1.
    pub success_rate: f64,
    pub duration_ms: u64,
    /// Over cases whose message was observed.
    pub latency: Option<Latency>,
    pub cases: Vec<CaseResult>,
}

impl RunReport {
    pub fn new(id: String, input_topic: String, cases: Vec<CaseResult>, duration_ms: u64) -> RunReport {
        let count = |s: Status| cases.iter().filter(|c| c.status == s).count();
        let (passed, failed, errored) = (count(Status::Passed), count(Status::Failed), count(Status::Errored));
        let mut lat: Vec<f64> = cases.iter().filter_map(|c| c.latency_ms).collect();
        lat.sort_by(|a, b| a.total_cmp(b));
        let latency = (!lat.is_empty()).then(|| Latency {
            p50_ms: percentile(&lat, 0.5),
            p90_ms: percentile(&lat, 0.9),
            p99_ms: percentile(&lat, 0.99),
            max_ms: lat[lat.len() - 1],
        });
        let total = cases.len();
        let wrong_reason = cases
            .iter()
            .filter(|c| c.status == Status::Failed && c.observed.starts_with(super::run::WRONG_REASON))
            .count();
        RunReport {
            id,
            input_topic,
            total,
            passed,
            failed,
            errored,
            wrong_reason,
            success_rate: if total == 0 { 0.0 } else { passed as f64 / total as f64 },
            duration_ms,
            latency,
            cases,
        }
    }

    pub fn headline(&self) -> String {
        let lat = self
            .latency
            .as_ref()
            .map(|l| format!("; latency p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms", l.p50_ms, l.p90_ms, l.p99_ms))
            .unwrap_or_default();
        let wrong = if self.wrong_reason > 0 {
            format!(" ({} of them {})", self.wrong_reason, super::run::WRONG_REASON)
        } else {
            String::new()
        };
        format!(
            "## Test run {} on `{}`: {} of {} passed ({:.1}%), {} failed{wrong}, {} errored in {} ms{lat}",
            self.id,
            self.input_topic,
            self.passed,
            self.total,
            self.success_rate * 100.0,
            self.failed,
            self.errored,
            self.duration_ms
        )
    }

    /// One Markdown table row per case, in the order of `cases`.
    pub fn rows(&self) -> Vec<String> {
        self.cases
            .iter()
            .map(|c| {
                let sent = c
                    .sent
                    .as_ref()
                    .map(|s| format!("{}[{}]@{}", s.topic, s.partition, s.offset))
                    .unwrap_or_else(|| "-".into());
                let landed = if c.landed.is_empty() {
                    "-".to_string()
                } else {
                    c.landed
                        .iter()
                        .map(|l| format!("{}[{}]@{}", l.topic, l.partition, l.offset))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "| {} | {:?} | {} | {} | {} | {} | {} |",
                    c.id,
                    c.status,
                    kind(c.kind),
                    cell(&c.title),
                    sent,
                    landed,
                    cell(&c.observed)
                )
            })
            .collect()
    }

    pub const TABLE_HEADING: &'static str =
        "| case | status | type | title | sent | landed | observed |\n|---|---|---|---|---|---|---|";

    pub fn markdown(&self) -> String {
        let mut s = format!("{}\n\n{}\n{}\n", self.headline(), Self::TABLE_HEADING, self.rows().join("\n"));
        for c in self.cases.iter().filter(|c| !c.diff.is_empty()) {
            s.push_str(&format!("\n### {} {}\n", c.id, cell(&c.title)));
            for d in &c.diff {
                s.push_str(&format!("- {}\n", cell(d)));
            }
        }
        s
    }

    pub fn junit(&self) -> String {
        let mut x = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kafka-qa-mcp\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">\n  <testsuite name=\"testrun-{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">\n",
            self.total, self.failed, self.errored, self.duration_ms as f64 / 1000.0, xml(&self.id), self.total, self.failed, self.errored, self.duration_ms as f64 / 1000.0
        );
        for c in &self.cases {
            let time = c.latency_ms.unwrap_or(0.0) / 1000.0;
            x.push_str(&format!(
                "    <testcase classname=\"{}.{}\" name=\"{} {}\" time=\"{time:.3}\">",
                xml(&self.input_topic),
                kind(c.kind),
                xml(&c.id),
                xml(&c.title)
            ));
            match c.status {
                Status::Passed => {}
                Status::Failed => x.push_str(&format!(
                    "\n      <failure message=\"{}\">{}</failure>\n    ",
                    xml(&c.observed),
                    xml(&c.diff.join("\n"))
                )),
                Status::Errored => x.push_str(&format!("\n      <error message=\"{}\"/>\n    ", xml(&c.observed))),
            }
            x.push_str("</testcase>\n");
        }
        x.push_str("  </testsuite>\n</testsuites>\n");
        x
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn kind(k: CaseKind) -> &'static str {
    match k {
        CaseKind::Positive => "positive",
        CaseKind::Negative => "negative",
        CaseKind::Edge => "edge",
        CaseKind::Boundary => "boundary",
    }
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status, latency: Option<f64>) -> CaseResult {
        CaseResult {
            id: id.into(),
            kind: CaseKind::Negative,
            title: "a <b> & \"c\"".into(),
            priority: Priority::High,
            status,
            observed: "x".into(),
            diff: vec!["/total: expected 1, got 2".into()],
            sent: None,
            landed: vec![],
            latency_ms: latency,
        }
    }

    #[test]
    fn totals_percentiles_and_junit_escape() {
        let r = RunReport::new(
            "r1".into(),
            "orders".into(),
            vec![
                result("A", Status::Passed, Some(10.0)),
                result("B", Status::Failed, Some(30.0)),
                result("C", Status::Errored, None),
            ],
            5,
        );
        assert_eq!((r.passed, r.failed, r.errored, r.wrong_reason), (1, 1, 1, 0));
        assert!((r.success_rate - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.latency.as_ref().unwrap().max_ms, 30.0);
        let x = r.junit();
        assert!(
            x.contains("tests=\"3\" failures=\"1\" errors=\"1\"")
                && x.contains("a &lt;b&gt; &amp; &quot;c&quot;")
                && x.contains("<error message")
        );
        assert!(r.markdown().contains("| B | Failed |"));
        let mut wrong = result("D", Status::Failed, None);
        wrong.observed =
            format!("{}: the DLQ record has no `x-reject-reason` header", crate::testcases::run::WRONG_REASON);
        let r = RunReport::new("r2".into(), "orders".into(), vec![wrong, result("E", Status::Failed, None)], 5);
        assert_eq!((r.failed, r.wrong_reason), (2, 1));
        assert!(r.headline().contains("2 failed (1 of them rejected for the wrong reason)"), "{}", r.headline());
    }
}
