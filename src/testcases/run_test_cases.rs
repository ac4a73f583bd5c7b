//! The `run_test_cases` tool: executes a case set (or cases given inline) against live topics and reports
//! what passed, with evidence (JSON, Markdown, JUnit; `testrun://{id}`).

use super::generate_test_cases::CASE_SET_PREFIX;
use super::model::{parse_cases, Targets, TestCase};
use super::report::{RunReport, Status};
use super::run::{self, RunPlan};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::mcp::reply::{Detail, Reply};
use crate::mcp::tool::{Backend, ResourceTemplate, Tool, ToolInfo};
use crate::resources::StoredResource;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, Instant};

pub struct RunTestCases;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Json,
    Markdown,
    Junit,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunTestCasesArgs {
    /// The case_set returned by generate_test_cases. Give this or `cases`.
    #[serde(default)]
    pub case_set: Option<String>,
    /// Cases to run (the generate_test_cases format), e.g. written by the agent.
    #[serde(default)]
    pub cases: Option<Vec<Value>>,
    /// The topic inputs are produced to. Default: the case set's target.
    #[serde(default)]
    pub input_topic: Option<String>,
    /// The output topic watched. Default: the case set's target.
    #[serde(default)]
    pub output_topic: Option<String>,
    /// The dead-letter topic watched. Default: the case set's target.
    #[serde(default)]
    pub dlq_topic: Option<String>,
    /// How long each case waits for its outcome, ms (a case's own timeout_ms wins). Default 10000, 100 to 300000.
    #[serde(default)]
    #[schemars(range(min = 100, max = 300_000))]
    pub timeout_ms: Option<u64>,
    /// Cases in flight at once. Default 4, 1 to 64.
    #[serde(default = "crate::defaults::usize::<4>")]
    #[schemars(range(min = 1, max = 64))]
    pub parallelism: usize,
    /// Report files written under the export folder as `reports/testrun-{id}.{json,md,xml}`: json, markdown, junit. Default: none (the report is always the resource testrun://{id}).
    #[serde(default)]
    pub report_formats: Vec<ReportFormat>,
    /// `concise` (default): only the cases that did not pass; `full`: every case.
    #[serde(default)]
    pub detail: Detail,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RunTestCasesOutput {
    #[serde(flatten)]
    pub report: RunReport,
    /// Report files written.
    pub files: Vec<String>,
    /// The resource holding the full report.
    pub resource: String,
    /// Passed cases left out of `cases` (detail `concise`); the resource has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed_omitted: Option<usize>,
}

impl Tool for RunTestCases {
    type Args = RunTestCasesArgs;
    type Output = RunTestCasesOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "run_test_cases",
            title: "Run test cases",
            description: "Runs test cases (a case_set or `cases`) against live topics: produces each input, watches output and DLQ topics, checks each expectation; pass/fail with evidence, latency percentiles, JSON/Markdown/JUnit reports, testrun://{id}. Writes to Kafka. Next: fix what failed and re-run.",
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
            writes_kafka: true,
            requires: &[Backend::Kafka],
            resources: &[ResourceTemplate {
                uri_template: "testrun://{id}",
                name: "test-run",
                description: "A run_test_cases report",
                mime_type: "application/json",
            }],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: Self::Args) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run_cases(cx, args))
    }
}

async fn run_cases(cx: &CallContext, args: RunTestCasesArgs) -> Result<Reply> {
    let (cases, targets) = match (&args.case_set, &args.cases) {
        (Some(id), None) => {
            let stored = cx.state.resources.get(&format!("{CASE_SET_PREFIX}{id}")).ok_or_else(|| {
                Error::bad_input(
                    "case_set",
                    format!(
                        "the case_set of a generate_test_cases call (kept in the store folder); `{id}` is unknown or was pruned"
                    ),
                )
            })?;
            let v: Value = serde_json::from_str(&stored.text).map_err(Error::internal)?;
            let targets: Targets = serde_json::from_value(v["targets"].clone()).map_err(Error::internal)?;
            let cases: Vec<TestCase> = serde_json::from_value(v["cases"].clone()).map_err(Error::internal)?;
            (cases, Some(targets))
        }
        (None, Some(raw)) => {
            let (cases, problems) = parse_cases(raw);
            if !problems.is_empty() {
                return Err(Error::bad_input(
                    "cases",
                    format!("cases in the generate_test_cases format; {}", problems.join("; ")),
                ));
            }
            (cases, None)
        }
        _ => return Err(Error::bad_input("case_set", "exactly one of `case_set` or `cases`")),
    };
    if cases.is_empty() {
        return Err(Error::bad_input("cases", "at least one case"));
    }
    cx.guard().check_message_count("cases", cases.len())?;
    let pick =
        |arg: &Option<String>, stored: Option<&Option<String>>| arg.clone().or_else(|| stored.cloned().flatten());
    let input_topic = pick(&args.input_topic, targets.as_ref().map(|t| Some(t.input_topic.clone())).as_ref())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::bad_input("input_topic", "the topic the system under test consumes"))?;
    let plan = RunPlan {
        input_topic,
        output_topic: pick(&args.output_topic, targets.as_ref().map(|t| &t.output_topic)),
        dlq_topic: pick(&args.dlq_topic, targets.as_ref().map(|t| &t.dlq_topic)),
        timeout: Duration::from_millis(
            args.timeout_ms.or(targets.as_ref().and_then(|t| t.timeout_ms)).unwrap_or(10_000),
        ),
        parallelism: args.parallelism,
    };
    run::check_plan(cx, &cases, &plan)?;
    let started = Instant::now();
    let results = run::run(cx, &cases, &plan).await?;
    let id =
        format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S"), &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let report = RunReport::new(id.clone(), plan.input_topic.clone(), results, started.elapsed().as_millis() as u64);
    let mut files = vec![];
    for f in &args.report_formats {
        let (ext, text) = match f {
            ReportFormat::Json => ("json", serde_json::to_string_pretty(&report).map_err(Error::internal)?),
            ReportFormat::Markdown => ("md", report.markdown()),
            ReportFormat::Junit => ("xml", report.junit()),
        };
        let path = cx.guard().export_path("report_formats", &format!("reports/testrun-{id}.{ext}"), false)?;
        std::fs::write(&path, text)?;
        files.push(path.display().to_string());
    }
    let resource = format!("testrun://{id}");
    cx.state.resources.put(StoredResource {
        uri: resource.clone(),
        name: format!("test run {id}"),
        description: format!("{} of {} passed on {}", report.passed, report.total, plan.input_topic),
        mime_type: "application/json".into(),
        text: serde_json::to_string(&report).map_err(Error::internal)?,
    });
    let mut summary = report.headline();
    if !files.is_empty() {
        summary.push_str(&format!("\n- reports: {}", files.join(", ")));
    }
    summary.push_str(&format!("\n- full report: `{resource}`"));
    let mut report = report;
    let mut passed_omitted = None;
    if args.detail == Detail::Concise && report.passed > 0 {
        report.cases.retain(|c| c.status != Status::Passed);
        passed_omitted = Some(report.passed);
        summary.push_str(&format!(
            "\n- {} passed cases left out (detail \"full\" lists them; the resource has them all)",
            report.passed
        ));
    }
    let failing = report.failed + report.errored > 0;
    let rows = report.rows();
    let out = RunTestCasesOutput { report, files, resource, passed_omitted };
    let reply = Reply::new(&out)?.summary(summary);
    let reply = match (&args.case_set, failing) {
        (Some(id), true) => reply.next(
            "run_test_cases",
            serde_json::json!({"case_set": id}),
            "read the failing cases' diffs, fix the system under test, then run the same cases again",
        ),
        (None, true) => reply.next_step("read the failing cases' diffs, fix the system under test, then run the same cases again"),
        (_, false) => reply.next(
            "export_parquet",
            serde_json::json!({"source": {"kind": "topic", "topic": out.report.input_topic}, "path": format!("{}.parquet", out.report.input_topic)}),
            "every case passed: keep the input topic's messages for analysis",
        ),
    };
    Ok(reply
        .rows("cases", RunReport::TABLE_HEADING, rows)
        .narrow_with("read the resource testrun://{id} for every case, or run fewer cases"))
}
