//! Test cases from a user story through the optional language model: a prompt built from the case format of
//! the prompt `test_cases_from_story` with one complete case, an answer constrained by the case-set JSON
//! Schema (positive cases carry a message valid by the message format and expect output; at most `max_cases`
//! cases; short texts) and bounded by max_tokens, and at most three repair requests, each sending only the
//! last answer and its defects (structural and content: shared keys, a positive case expecting the DLQ, a
//! message breaking the schema, duplicates, contradictions). The loop stops early when a repair returns the
//! same defects. When the server refuses the schema, plain JSON mode and the repair loop are the fallback.
//! The cases are then validated and scored by the caller exactly like agent-written `cases`.

use super::llm::{ChatAnswer, ChatMessage, ChatRequest, Mode, ModelCheck};
use super::model::{parse_cases, Targets};
use super::score::content_defects;
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::prompts;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Instant;

/// Repair requests after the first answer.
pub const MAX_REPAIRS: usize = 3;
/// Cases asked of the model when `max_cases` is not given, and the most it may be asked for.
pub const DEFAULT_STORY_CASES: usize = 6;
pub const MAX_STORY_CASES: usize = 20;
/// Defects listed in a repair request or an error; the rest are counted.
const MAX_LISTED: usize = 25;

/// What the model was asked and what it did, for the reply and the benchmark.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelRun {
    /// The configured model name.
    pub model: String,
    /// The `model` field of the last reply.
    pub served_model: Option<String>,
    /// The served models against the configured name.
    pub model_check: ModelCheck,
    /// `json_schema` (the answer constrained by the case-set schema) or `json_object` (plain JSON mode, the
    /// fallback when the server refused the schema).
    pub mode: String,
    /// Why the mode changed, when it did.
    pub mode_note: Option<String>,
    /// Requests sent (a refused schema request counts).
    pub requests: usize,
    /// Which answer was used: 1 for the first, 2 to 4 after repairs.
    pub attempt: usize,
    /// Defects of each answer in turn (0 for an answer used as it came).
    pub defects_per_answer: Vec<usize>,
    /// Why the repair loop ended with defects left (they are in the score), when it did.
    pub stopped: Option<String>,
    pub max_cases: usize,
    /// max_tokens (OpenAI) / num_predict (Ollama) of each request.
    pub max_tokens: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub elapsed_ms: u64,
}

/// What the model produced: the raw cases (at least one parses into the model) and how.
#[derive(Debug)]
pub struct StoryCases {
    pub raw: Vec<Value>,
    pub run: ModelRun,
}

/// What the model is asked.
pub struct StoryRequest<'a> {
    pub story: &'a str,
    pub targets: &'a Targets,
    /// The JSON Schema of the input messages (`input.value`) when known.
    pub format: Option<&'a Value>,
    pub max_cases: usize,
}

/// The answer budget: enough for `max_cases` short cases, and no more.
pub fn max_tokens(max_cases: usize) -> u64 {
    300 + 350 * max_cases as u64
}

/// Ollama's context window: the prompt (about 3 characters a token), the answer, and room; never its default
/// 2048/4096 cutting the prompt silently.
fn num_ctx(messages: &[ChatMessage], max_tokens: u64) -> u64 {
    let prompt: usize = messages.iter().map(|m| m.content.len()).sum();
    let need = prompt as u64 / 3 + max_tokens + 512;
    need.div_ceil(1024).max(4) * 1024
}

/// Asks the configured model for cases.
pub async fn cases_from_story(cx: &CallContext, req: &StoryRequest<'_>) -> Result<StoryCases> {
    let client = cx.state.llm()?;
    let started = Instant::now();
    let model_check = client.model_check().await?.clone();
    let first = first_messages(req.story, req.targets, req.format, req.max_cases)?;
    let schema = case_set_schema(req.format, req.max_cases);
    let max_tokens = max_tokens(req.max_cases);
    let mut run = ModelRun {
        model: client.model.clone(),
        served_model: None,
        model_check,
        mode: Mode::Schema.name().into(),
        mode_note: None,
        requests: 0,
        attempt: 0,
        defects_per_answer: vec![],
        stopped: None,
        max_cases: req.max_cases,
        max_tokens,
        tokens_in: 0,
        tokens_out: 0,
        elapsed_ms: 0,
    };
    let mut mode = Mode::Schema;
    let mut tick = 0u64;
    let mut last: Option<(String, Vec<String>)> = None;
    // The answer with the fewest defects among those with at least one case that parses.
    let mut best: Option<(usize, Vec<Value>, usize)> = None;
    let mut attempt = 1;
    while attempt <= 1 + MAX_REPAIRS {
        cx.check_cancelled()?;
        let mut messages = first.clone();
        if let Some((answer, defects)) = &last {
            messages.push(ChatMessage::assistant(answer.clone()));
            messages.push(ChatMessage::user(repair_request(defects, req.max_cases)));
        }
        let label = if attempt == 1 {
            format!("request 1 to {} (first answer, {})", client.model, mode.name())
        } else {
            format!("request {attempt} to {} (repair {} of {MAX_REPAIRS}, {})", client.model, attempt - 1, mode.name())
        };
        tick += 1;
        cx.progress.report(tick, None, format!("{label}: asking for at most {max_tokens} tokens")).await;
        let request = ChatRequest { messages: &messages, mode, schema: &schema, max_tokens, label };
        run.requests += 1;
        let answer: ChatAnswer = match client
            .complete(&request, num_ctx(&messages, max_tokens), &cx.cancel, &cx.progress, &mut tick)
            .await?
        {
            Ok(a) => a,
            Err(refusal) => {
                if mode == Mode::Schema && refuses_schema(refusal.status, &refusal.body) {
                    mode = Mode::Json;
                    run.mode = mode.name().into();
                    run.mode_note = Some(format!(
                            "the server refused the case-set schema (HTTP {}: {}); fell back to plain JSON mode with the repair loop",
                            refusal.status,
                            crate::observe::http::excerpt(&refusal.body, 200)
                        ));
                    continue;
                }
                let mut message =
                    format!("HTTP {}: {}", refusal.status, crate::observe::http::excerpt(&refusal.body, 300));
                if run.model_check.matches == Some(false) {
                    message.push_str(&format!("; {}", run.model_check.note));
                }
                return Err(Error::upstream("LLM", message));
            }
        };
        run.tokens_in += answer.tokens_in;
        run.tokens_out += answer.tokens_out;
        if let Some(served) = &answer.served_model {
            run.served_model = Some(served.clone());
        }
        let checked = check_answer(
            &answer.content,
            req.format,
            req.targets.key_field.as_deref(),
            req.max_cases,
            answer.cut.then_some(max_tokens),
        );
        run.defects_per_answer.push(checked.defects.len());
        if checked.defects.is_empty() {
            run.attempt = attempt;
            run.elapsed_ms = started.elapsed().as_millis() as u64;
            return Ok(StoryCases { raw: checked.raw, run });
        }
        if checked.parsed > 0 && best.as_ref().is_none_or(|(n, _, _)| checked.defects.len() <= *n) {
            best = Some((checked.defects.len(), checked.raw.clone(), attempt));
        }
        if last.as_ref().is_some_and(|(_, before)| *before == checked.defects) {
            run.stopped = Some(format!(
                "repair {} returned the same {} defects as the answer before it; repairing again would not help",
                attempt - 1,
                checked.defects.len()
            ));
            last = Some((answer.content, checked.defects));
            break;
        }
        last = Some((answer.content, checked.defects));
        attempt += 1;
    }
    let defects = last.map(|(_, d)| d).unwrap_or_default();
    if run.stopped.is_none() {
        run.stopped = Some(format!(
            "defects remained after {} answers (1 + {MAX_REPAIRS} repairs)",
            run.defects_per_answer.len()
        ));
    }
    run.elapsed_ms = started.elapsed().as_millis() as u64;
    match best {
        Some((_, raw, used)) => {
            run.attempt = used;
            Ok(StoryCases { raw, run })
        }
        None => Err(Error::upstream(
            format!("LLM `{}`", client.model),
            format!(
                "no case that parses after {} answers ({}); the last answer's defects: {}. Nothing was stored. Write the cases yourself with the prompt `test_cases_from_story` and pass them as `cases`",
                run.defects_per_answer.len(),
                run.stopped.as_deref().unwrap_or_default(),
                listed(&defects)
            ),
        )),
    }
}

/// Whether a refusal of a schema-constrained request is about the schema (then plain JSON mode may work).
fn refuses_schema(status: u16, body: &str) -> bool {
    let body = body.to_lowercase();
    matches!(status, 400 | 422 | 500 | 501)
        && ["schema", "response_format", "format", "grammar"].iter().any(|w| body.contains(w))
}

/// The system rules and the story. The case format comes from the prompt file, so the model and an agent
/// following the prompt write the same format.
pub fn first_messages(
    story: &str,
    targets: &Targets,
    format: Option<&Value>,
    max_cases: usize,
) -> Result<Vec<ChatMessage>> {
    let system = format!(
        "You write executable test cases for a Kafka consumer from a user story. You cannot call tools. \
         Answer with STRICT JSON only: one object {{\"cases\": [ ... ]}} with 2 to {max_cases} cases, no Markdown, \
         no comments, no text around it. Write compact JSON on one line, without indentation or line breaks (every space \
         is a token the model pays for), and keep every text short.\n\n{}",
        case_rules()?
    );
    let mut user = format!("User story:\n{story}\n\nInput topic `{}`", targets.input_topic);
    for (name, topic) in [("output topic", &targets.output_topic), ("dead-letter topic", &targets.dlq_topic)] {
        if let Some(t) = topic {
            user.push_str(&format!(", {name} `{t}`"));
        }
    }
    user.push('.');
    match format {
        Some(schema) => user.push_str(&format!(
            "\nThe messages follow this JSON Schema. It is the schema of `input.value` (the message itself): its \
             fields go inside `input.value`, never directly in `input`; use only its field names. A positive case's \
             `input.value` must be valid by it:\n{schema}"
        )),
        None => user.push_str(
            "\nNo schema of the input messages is known: take the field names from the story only, inside `input.value`.",
        ),
    }
    user.push_str(&format!("\nReturn {{\"cases\": [...]}} with at most {max_cases} cases now."));
    Ok(vec![ChatMessage::system(system), ChatMessage::user(user)])
}

/// Step 3 of the prompt `test_cases_from_story` (the case format, with one complete case); the other steps
/// call tools or ask for prose, which a strict JSON answer cannot hold.
fn case_rules() -> Result<String> {
    let prompt = prompts::all()
        .into_iter()
        .find(|p| p.name == "test_cases_from_story")
        .ok_or_else(|| Error::internal("the prompt test_cases_from_story is not compiled in"))?;
    let start = prompt.body.find("3. **Write the cases**");
    let end = prompt.body.find("4. **Validate and score.**");
    match (start, end) {
        (Some(s), Some(e)) if s < e => Ok(prompt.body[s..e].trim().to_string()),
        _ => Err(Error::internal("the prompt test_cases_from_story lost its steps 3 to 4 headings")),
    }
}

/// The JSON Schema of an answer: `{"cases": [...]}` with 1 to `max_cases` cases; a positive case sends a
/// message valid by `format` and expects output; a negative case expects the DLQ or nothing; edge and
/// boundary cases may expect anything. Texts and lists are bounded so the answer stays short.
pub fn case_set_schema(format: Option<&Value>, max_cases: usize) -> Value {
    let text = |max: u64| json!({"type": "string", "minLength": 1, "maxLength": max});
    let mut message = format.cloned().unwrap_or_else(|| json!({"type": "object"}));
    if let Some(m) = message.as_object_mut() {
        for meta in ["$schema", "$id", "title", "description", "examples"] {
            m.remove(meta);
        }
    }
    let key = text(60);
    let with_value = |value: Value| json!({"type": "object", "properties": {"key": key, "value": value}, "required": ["key", "value"], "additionalProperties": false});
    let with_raw = json!({"type": "object", "properties": {"key": key, "raw_base64": {"type": "string", "maxLength": 400}},
        "required": ["key", "raw_base64"], "additionalProperties": false});
    let any_input = json!({"anyOf": [with_value(json!({"type": "object"})), with_raw]});
    let output = json!({"type": "object", "properties": {"kind": {"const": "output"},
        "matches": {"type": "object", "maxProperties": 3}}, "required": ["kind", "matches"], "additionalProperties": false});
    let dlq = json!({"type": "object", "properties": {"kind": {"const": "dlq"}, "reason_contains": text(60)},
        "required": ["kind"], "additionalProperties": false});
    let nothing = json!({"type": "object", "properties": {"kind": {"const": "no_output"}}, "required": ["kind"], "additionalProperties": false});
    let case = |kind: Value, input: Value, expectation: Value| {
        json!({"type": "object", "properties": {
            "id": {"type": "string", "pattern": "^US-[0-9]{3}$"},
            "type": kind,
            "title": text(100),
            "priority": {"enum": ["critical", "high", "medium", "low"]},
            "preconditions": {"type": "array", "items": text(100), "minItems": 1, "maxItems": 3},
            "steps": {"type": "array", "items": text(100), "minItems": 2, "maxItems": 5},
            "expected_result": text(200),
            "input": input,
            "expectation": expectation},
            "required": ["id", "type", "title", "priority", "preconditions", "steps", "expected_result", "input", "expectation"],
            "additionalProperties": false})
    };
    json!({"type": "object", "properties": {"cases": {"type": "array", "minItems": max_cases.min(2), "maxItems": max_cases,
        "items": {"anyOf": [
            case(json!({"const": "positive"}), with_value(message), output.clone()),
            case(json!({"const": "negative"}), any_input.clone(), json!({"anyOf": [dlq.clone(), nothing.clone()]})),
            case(json!({"enum": ["edge", "boundary"]}), any_input, json!({"anyOf": [output, dlq, nothing]})),
        ]}}}, "required": ["cases"], "additionalProperties": false})
}

/// An answer judged: its raw cases, how many parse, and every defect a repair should fix.
#[derive(Debug)]
pub struct Checked {
    pub raw: Vec<Value>,
    pub parsed: usize,
    pub defects: Vec<String>,
}

/// The defects of an answer: not JSON, not `{"cases": [...]}`, no case, too many cases, cut at max_tokens,
/// cases that do not parse into the model (the same parser as agent-written cases), and content defects
/// (the same checks the score counts).
pub fn check_answer(
    answer: &str,
    format: Option<&Value>,
    key_field: Option<&str>,
    max_cases: usize,
    cut_at: Option<u64>,
) -> Checked {
    let mut defects = vec![];
    if let Some(n) = cut_at {
        defects.push(format!(
            "the answer was cut at {n} tokens (max_tokens): write at most {max_cases} cases and keep every text short"
        ));
    }
    let none = |defects: Vec<String>| Checked { raw: vec![], parsed: 0, defects };
    let value: Value = match serde_json::from_str(answer.trim()) {
        Ok(v) => v,
        Err(e) => {
            defects.push(format!("the answer is not valid JSON: {e}"));
            return none(defects);
        }
    };
    let Some(Value::Array(raw)) = value.get("cases") else {
        defects.push("the answer must be an object {\"cases\": [...]} with an array of cases".to_string());
        return none(defects);
    };
    if raw.is_empty() {
        defects.push("`cases` is empty; write at least one positive and one negative case".to_string());
        return none(defects);
    }
    if raw.len() > max_cases {
        defects.push(format!("{} cases; write at most {max_cases}", raw.len()));
    }
    let (cases, problems) = parse_cases(raw);
    defects.extend(problems);
    defects.extend(content_defects(&cases, format, key_field).0);
    Checked { raw: raw.clone(), parsed: cases.len(), defects }
}

fn repair_request(defects: &[String], max_cases: usize) -> String {
    format!(
        "Your answer above cannot be used as it is. Defects:\n{}\nAnswer again with the corrected STRICT JSON object {{\"cases\": [...]}} only (at most {max_cases} cases), keeping the cases that were right.",
        defects.iter().take(MAX_LISTED).map(|d| format!("- {d}")).collect::<Vec<_>>().join("\n")
            + &more(defects.len())
    )
}

fn listed(defects: &[String]) -> String {
    defects.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join("; ") + &more(defects.len())
}

fn more(total: usize) -> String {
    if total > MAX_LISTED {
        format!(" (and {} more)", total - MAX_LISTED)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_prompt_carries_the_case_format_an_example_topics_and_schema() {
        let targets =
            Targets { input_topic: "orders".into(), dlq_topic: Some("orders.dlq".into()), ..Default::default() };
        let schema = json!({"type": "object", "properties": {"amount": {"type": "number"}}});
        let m = first_messages("As a buyer I want my order confirmed", &targets, Some(&schema), 4).unwrap();
        assert_eq!((m[0].role, m[1].role), ("system", "user"));
        for expected in [
            "STRICT JSON",
            "compact JSON on one line",
            "{\"cases\": [",
            "2 to 4 cases",
            "`expectation`",
            "\"kind\": \"dlq\"",
            "preconditions",
            "2 to 5",
            "\"id\": \"US-001\"",
            "never directly in `input`",
        ] {
            assert!(m[0].content.contains(expected), "{expected} missing from the system message");
        }
        assert!(!m[0].content.contains("run_test_cases"), "tool steps are left out");
        assert!(!m[0].content.contains("One line per acceptance criterion"), "no prose asked for");
        for expected in
            ["order confirmed", "`orders`", "`orders.dlq`", "\"amount\"", "schema of `input.value`", "at most 4"]
        {
            assert!(m[1].content.contains(expected), "{expected} missing from {}", m[1].content);
        }
        assert!(!m[1].content.contains("output topic"));
    }

    #[test]
    fn the_case_set_schema_constrains_kinds_values_and_count() {
        let format = json!({"$schema": "x", "type": "object", "required": ["amount"], "properties": {"amount": {"type": "number"}}});
        let schema = case_set_schema(Some(&format), 3);
        let v = crate::schema::validate::Validator::new(&schema).unwrap();
        let case = |kind: &str, value: Value, expects: &str| {
            json!({"id": "US-001", "type": kind, "title": "t", "priority": "high", "preconditions": ["p"],
                "steps": ["a", "b"], "expected_result": "r", "input": {"key": "k", "value": value},
                "expectation": if expects == "output" { json!({"kind": "output", "matches": {}}) } else { json!({"kind": expects}) }})
        };
        let good =
            json!({"cases": [case("positive", json!({"amount": 1}), "output"), case("negative", json!({}), "dlq")]});
        assert!(v.is_valid(&good), "{:?}", v.errors(&good));
        for bad in [
            json!({"cases": [case("positive", json!({}), "output")]}),
            json!({"cases": [case("positive", json!({"amount": 1}), "dlq")]}),
            json!({"cases": [case("negative", json!({}), "output")]}),
            json!({"cases": vec![case("edge", json!({}), "dlq"); 4]}),
            json!({"cases": [{"id": "US-001", "type": "positive", "input": {"user_id": 1}}]}),
        ] {
            assert!(!v.is_valid(&bad), "{bad}");
        }
        assert!(schema.to_string().contains("\"maxItems\":3") && !schema.to_string().contains("$schema"));
    }

    #[test]
    fn answers_are_checked_strictly_and_every_defect_named() {
        let case = json!({"id": "US-1", "type": "positive", "title": "t", "priority": "high", "expected_result": "ok",
            "preconditions": ["runs"], "steps": ["a", "b"], "input": {"key": "k", "value": {}}, "expectation": {"kind": "output"}});
        let ok = check_answer(&json!({"cases": [case.clone()]}).to_string(), None, None, 6, None);
        assert_eq!((ok.parsed, ok.defects.len()), (1, 0), "{:?}", ok.defects);
        assert!(
            check_answer("```json\n{\"cases\": []}\n```", None, None, 6, None).defects[0].contains("not valid JSON")
        );
        assert!(check_answer("[1]", None, None, 6, None).defects[0].contains("{\"cases\": [...]}"));
        assert!(check_answer("{\"cases\": []}", None, None, 6, None).defects[0].contains("empty"));
        let cut = check_answer("{\"cases\": [", None, None, 6, Some(900));
        assert!(cut.defects[0].contains("cut at 900 tokens") && cut.defects[1].contains("not valid JSON"));
        let mut bad = case.clone();
        bad["type"] = json!("happy");
        let checked = check_answer(&json!({"cases": [case.clone(), bad, case]}).to_string(), None, None, 2, None);
        let all = checked.defects.join("\n");
        assert!(
            all.contains("3 cases; write at most 2") && all.contains("cases[1].type") && all.contains("used twice"),
            "{all}"
        );
        assert!(all.contains("share the key `k`") && all.contains("send the same message"), "{all}");
        assert_eq!(checked.parsed, 2);
    }

    #[test]
    fn long_defect_lists_are_capped_and_counted_and_budgets_follow_the_case_count() {
        let defects: Vec<String> = (0..30).map(|i| format!("d{i}")).collect();
        let r = repair_request(&defects, 6);
        assert!(r.contains("- d24") && !r.contains("- d25") && r.contains("(and 5 more)"), "{r}");
        assert!(listed(&defects).ends_with("d24 (and 5 more)"));
        assert_eq!((max_tokens(1), max_tokens(6)), (650, 2400));
        let m = [ChatMessage::user("x".repeat(9000))];
        assert_eq!(num_ctx(&m, 2400), 6144);
        assert_eq!(num_ctx(&[], 100), 4096);
    }
}
