//! The `generate_test_cases` tool: systematic cases from a topic or a schema, or agent-written (or
//! model-written, from a user story) cases validated and scored; stored as `testcases://{id}`.

use super::generate::{self, Coverage, Request};
use super::model::{parse_cases, CaseKind, Source, SourceKind, Targets, TestCase};
use super::score::{self, Score};
use super::story;
use crate::context::CallContext;
use crate::datagen::entities::Entity;
use crate::datagen::learn::learn_topic;
use crate::error::{Error, Result};
use crate::mcp::reply::Reply;
use crate::mcp::tool::{ResourceTemplate, Tool, ToolInfo};
use crate::resources::StoredResource;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Case sets are stored as resources under this scheme; run_test_cases reads them back.
pub const CASE_SET_PREFIX: &str = "testcases://";

pub struct GenerateTestCases;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateTestCasesArgs {
    /// A topic whose messages are sampled; cases follow its inferred schema. Also the default input topic.
    #[serde(default)]
    #[schemars(length(min = 1, max = 249))]
    pub topic: Option<String>,
    /// A JSON Schema of the input messages (or an Avro schema, .proto text, "subject:NAME"); cases exercise each field and constraint.
    #[serde(default)]
    pub schema: Option<Value>,
    /// A built-in entity (user, product, cart, order, payment, review) as the message format: coherent positive cases and a business-rule negative.
    #[serde(default)]
    pub entity: Option<Entity>,
    /// Agent-written cases (e.g. from a user story, see the prompt `test_cases_from_story`) to validate and score instead of generating.
    #[serde(default)]
    pub cases: Option<Vec<Value>>,
    /// A user story (with acceptance criteria) turned into cases by the server's optional language model ([llm] config), then validated and scored like `cases`; `schema` or `entity` may give the message format. Without a configured model, write the cases yourself with the prompt `test_cases_from_story`. 20 to 20000 characters.
    #[serde(default)]
    #[schemars(length(min = 20, max = 20000))]
    pub user_story: Option<String>,
    /// Kinds to generate: positive, negative, edge, boundary. Default: all.
    #[serde(default)]
    pub kinds: Vec<CaseKind>,
    /// Topics the cases run against and how outputs are correlated.
    #[serde(default)]
    pub target: Option<Targets>,
    /// Seed of the generated messages. Default 1.
    #[serde(default = "crate::defaults::u64::<1>")]
    pub seed: u64,
    /// Most cases generated (one per constraint kept first). Default 100, at most 500. With a `user_story`: the most cases the model writes (its answer's token budget follows), default 6, at most 20.
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    pub max_cases: Option<usize>,
    /// Positive cases besides the header variation. Default 2, at most 20.
    #[serde(default = "crate::defaults::usize::<2>")]
    #[schemars(range(min = 1, max = 20))]
    pub positives: usize,
}

/// Cases generated from a schema when `max_cases` is not given.
const DEFAULT_MAX_CASES: usize = 100;

#[derive(Debug, Serialize, JsonSchema)]
pub struct GenerateTestCasesOutput {
    /// Pass as `case_set` to run_test_cases (the cases are also the resource `testcases://{id}`).
    pub case_set: String,
    pub source: String,
    pub targets: Targets,
    pub coverage: Option<Coverage>,
    /// For agent-written cases: the quality score and every defect.
    pub score: Option<Score>,
    /// For a user story: the language-model answer used (1, or 2 to 4 after repairs).
    pub attempt: Option<usize>,
    /// For a user story: the model, the served model check, the output mode (json_schema or the json_object
    /// fallback), requests, defects per answer, why repairs stopped, tokens and time.
    pub model_run: Option<story::ModelRun>,
    pub cases: Vec<TestCase>,
}

impl Tool for GenerateTestCases {
    type Args = GenerateTestCasesArgs;
    type Output = GenerateTestCasesOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "generate_test_cases",
            title: "Generate test cases",
            description: "Builds executable test cases (positive, negative, edge, boundary per field and constraint, with coverage) from a topic, a JSON Schema or an entity, each with an input and an expectation on the output or DLQ topic; or validates and scores agent-written `cases`. Next: run_test_cases with the returned case_set.",
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            writes_kafka: false,
                     resources: &[ResourceTemplate {
                uri_template: "testcases://{id}",
                name: "case-set",
                description: "A generate_test_cases case set: its cases and targets (run it with run_test_cases case_set)",
                mime_type: "application/json",
            }],
   requires: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: Self::Args) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(generate_cases(cx, args))
    }
}

async fn generate_cases(cx: &CallContext, mut args: GenerateTestCasesArgs) -> Result<Reply> {
    // Avro, .proto and registry subjects become the JSON Schema the generators use.
    let mut schema_source = None;
    if let Some(s) = &args.schema {
        let (schema, from) = crate::registry::schema_arg::resolve(cx, "schema", s).await?;
        args.schema = Some(schema);
        schema_source = Some(from);
    }
    // With a user story, `schema` or `entity` is the message format the model writes to, not a source.
    let story = args.user_story.is_some();
    let given = [
        args.topic.is_some() && args.schema.is_none() && args.cases.is_none() && args.entity.is_none() && !story,
        args.schema.is_some() && !story,
        args.entity.is_some() && !story,
        args.cases.is_some(),
        story,
    ];
    if given.iter().filter(|x| **x).count() != 1 || (story && args.schema.is_some() && args.entity.is_some()) {
        return Err(Error::bad_input("schema", "one source: `topic` (its inferred schema), `schema`, `entity`, agent-written `cases`, or a `user_story` (with `schema` or `entity` as its message format)"));
    }
    let mut targets = args.target.clone().unwrap_or_default();
    if targets.dlq_reason_header.as_deref().is_some_and(|h| h.trim().is_empty() || h.len() > 255) {
        return Err(Error::bad_input("target.dlq_reason_header", "a Kafka header name, 1 to 255 bytes"));
    }
    if targets.input_topic.is_empty() {
        targets.input_topic = args.topic.clone().ok_or_else(|| {
            Error::bad_input("target.input_topic", "the topic the system under test consumes (or give `topic`)")
        })?;
    }
    let mut attempt = None;
    let mut model_run = None;
    let (cases, coverage, score, source) = if let Some(text) = &args.user_story {
        let format = args.schema.clone().or(args.entity.map(Entity::schema));
        let max_cases = args.max_cases.unwrap_or(story::DEFAULT_STORY_CASES);
        if max_cases > story::MAX_STORY_CASES {
            return Err(Error::bad_input(
                "max_cases",
                format!("with a user_story, 1 to {} cases (each costs the model time)", story::MAX_STORY_CASES),
            ));
        }
        let request = story::StoryRequest { story: text, targets: &targets, format: format.as_ref(), max_cases };
        let answer = story::cases_from_story(cx, &request).await?;
        let (cases, s) =
            validate_and_score(&answer.raw, format.as_ref(), targets.key_field.as_deref(), SourceKind::Story);
        let run = answer.run;
        attempt = Some(run.attempt);
        let source = format!(
            "a user story via the model `{}` ({}, answer {} of {} requests)",
            run.model, run.mode, run.attempt, run.requests
        );
        model_run = Some(run);
        (cases, None, Some(s), source)
    } else if let Some(raw) = &args.cases {
        let (cases, s) = validate_and_score(raw, None, targets.key_field.as_deref(), SourceKind::Agent);
        (cases, None, Some(s), format!("{} agent-written cases", raw.len()))
    } else {
        let (schema, source) = match (&args.schema, &args.topic) {
            _ if args.entity.is_some() => (
                args.entity.map(Entity::schema).unwrap_or_default(),
                format!("entity:{}", args.entity.map(Entity::name).unwrap_or_default()),
            ),
            (Some(s), _) => (s.clone(), schema_source.clone().unwrap_or_else(|| "schema".into())),
            (None, Some(t)) => {
                let learned = learn_topic(&cx.state.kafka, t, 500).await?;
                (
                    learned.schema,
                    format!("topic:{t} ({} messages, confidence {:.2})", learned.samples.len(), learned.confidence),
                )
            }
            (None, None) => unreachable!("checked above"),
        };
        let req = Request {
            schema: &schema,
            entity: args.entity,
            targets: &targets,
            kinds: &args.kinds,
            seed: args.seed,
            max_cases: args.max_cases.unwrap_or(DEFAULT_MAX_CASES),
            positives: args.positives,
        };
        let (cases, coverage) = generate::generate(&req)
            .map_err(|e| Error::bad_input(if args.schema.is_some() { "schema" } else { "topic" }, e))?;
        (cases, Some(coverage), None, source)
    };
    let case_set = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    cx.state.resources.put(StoredResource {
        uri: format!("{CASE_SET_PREFIX}{case_set}"),
        name: format!("test cases {case_set}"),
        description: format!("{} test cases from {source}", cases.len()),
        mime_type: "application/json".into(),
        text: json!({"targets": targets, "cases": cases}).to_string(),
    });
    let mut summary = format!(
        "## {} test cases from {source} (case_set `{case_set}`)\nInput topic `{}`",
        cases.len(),
        targets.input_topic
    );
    if let Some(c) = &coverage {
        summary.push_str(&format!(
            "\n- coverage: {} of {} fields, {} of {} constraints{}",
            c.fields_covered,
            c.fields_total,
            c.constraints_covered,
            c.constraints_total,
            if c.constraints_missing.is_empty() {
                String::new()
            } else {
                format!(" (missing: {})", c.constraints_missing.join(", "))
            }
        ));
    }
    if let Some(c) = coverage.as_ref().filter(|c| !c.dropped_by_cap.is_empty()) {
        let shown: Vec<&str> = c.dropped_by_cap.iter().take(12).map(String::as_str).collect();
        let more = c.dropped_by_cap.len().saturating_sub(shown.len());
        summary.push_str(&format!(
            "\n- max_cases left out {} cases (each constraint kept one case first): {}{}",
            c.dropped_by_cap.len(),
            shown.join(", "),
            if more > 0 { format!(", … {more} more") } else { String::new() }
        ));
    }
    if let Some(s) = &score {
        summary.push_str(&format!(
            "\n- score {:.1}/100: structure {:.2}, fields {:.2}, preconditions {:.2}, steps {:.2}, kinds balance {:.2}, content {:.2}",
            s.overall, s.structural, s.field_completeness, s.preconditions, s.steps, s.kinds_balance, s.content
        ));
        for d in &s.defects {
            summary.push_str(&format!("\n  - {d}"));
        }
    }
    if let Some(run) = &model_run {
        summary.push_str(&format!(
            "\n- model `{}`: {}; output {}{}; {} requests, defects per answer {:?}; {} tokens in, {} out (at most {} per answer); {:.1} s",
            run.model,
            run.model_check.note,
            run.mode,
            run.mode_note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default(),
            run.requests,
            run.defects_per_answer,
            run.tokens_in,
            run.tokens_out,
            run.max_tokens,
            run.elapsed_ms as f64 / 1000.0
        ));
        if let Some(stopped) = &run.stopped {
            summary.push_str(&format!("\n- repairs stopped: {stopped}; the remaining defects are in the score"));
        }
    }
    let rows = cases
        .iter()
        .map(|c| {
            format!(
                "| {} | {:?} | {:?} | {} | {} |",
                c.id,
                c.kind,
                c.priority,
                c.title.replace('|', "\\|"),
                c.expectation.name()
            )
        })
        .collect();
    let next_args = serde_json::json!({"case_set": case_set});
    let out = GenerateTestCasesOutput { case_set, source, targets, coverage, score, attempt, model_run, cases };
    Ok(Reply::new(&out)?
        .summary(summary)
        .next("run_test_cases", next_args, "run the cases against the live topics")
        .rows("cases", "| id | type | priority | title | expects |\n|---|---|---|---|---|", rows)
        .when_empty("the schema gave no cases for the chosen kinds; widen `kinds`")
        .narrow_with("the full set is stored as the resource testcases://{case_set}; pass case_set to run_test_cases, or lower max_cases"))
}

/// The one check of cases not generated here (agent-written, or a language model's): parse and score
/// (against the message format when one is known); a case that names no source gets `from` (agent or story).
fn validate_and_score(
    raw: &[Value],
    format: Option<&Value>,
    key_field: Option<&str>,
    from: SourceKind,
) -> (Vec<TestCase>, Score) {
    let (mut cases, problems) = parse_cases(raw);
    let s = score::score(&cases, &problems, raw.len(), format, key_field);
    for c in cases.iter_mut().filter(|c| c.source.is_none()) {
        c.source = Some(Source { from, pointer: None, rule: None });
    }
    (cases, s)
}
