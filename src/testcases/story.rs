//! Test cases from a user story through the optional language model: a prompt built from the rules of the
//! prompt `test_cases_from_story`, a strict JSON answer `{"cases": [...]}`, and at most three repair requests
//! that show the model its answer and the exact defects. The cases it returns are then validated and scored
//! by the caller exactly like agent-written `cases`; this module only decides when an answer is usable.

use super::llm::ChatMessage;
use super::model::{parse_cases, Targets};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::prompts;
use serde_json::Value;

/// Repair requests after the first answer.
pub const MAX_REPAIRS: usize = 3;
/// Defects listed in a repair request or an error; the rest are counted.
const MAX_LISTED: usize = 25;

/// What the model produced: the raw cases (they parse into the model) and which request gave them.
#[derive(Debug)]
pub struct StoryCases {
    pub raw: Vec<Value>,
    /// 1 for the first request, 2 to 4 after repairs.
    pub attempt: usize,
    pub model: String,
}

/// Asks the configured model for cases; `format` is the JSON Schema of the input messages when known.
pub async fn cases_from_story(
    cx: &CallContext,
    story: &str,
    targets: &Targets,
    format: Option<&Value>,
) -> Result<StoryCases> {
    let client = cx.state.llm()?;
    let mut messages = first_messages(story, targets, format)?;
    let mut defects = vec![];
    for attempt in 1..=1 + MAX_REPAIRS {
        cx.check_cancelled()?;
        cx.progress
            .report(
                attempt as u64 - 1,
                Some(1 + MAX_REPAIRS as u64),
                format!("asking {} (request {attempt})", client.model),
            )
            .await;
        let answer = client.complete_json(&messages).await?;
        match check_answer(&answer) {
            Ok(raw) => return Ok(StoryCases { raw, attempt, model: client.model.clone() }),
            Err(found) => {
                messages.push(ChatMessage::assistant(answer));
                messages.push(ChatMessage::user(repair_request(&found)));
                defects = found;
            }
        }
    }
    Err(Error::upstream(
        format!("LLM `{}`", client.model),
        format!(
            "no valid cases after {} requests (1 + {MAX_REPAIRS} repairs); remaining defects: {}. Write the cases yourself with the prompt `test_cases_from_story` and pass them as `cases`",
            1 + MAX_REPAIRS,
            listed(&defects)
        ),
    ))
}

/// The system rules and the story. The case format comes from the prompt file, so the model and an agent
/// following the prompt write the same format.
pub fn first_messages(story: &str, targets: &Targets, format: Option<&Value>) -> Result<Vec<ChatMessage>> {
    let system = format!(
        "You write executable test cases for a Kafka consumer from a user story. You cannot call tools. \
         Answer with STRICT JSON only: one object {{\"cases\": [ ... ]}}, no Markdown, no comments, no text around it.\n\n{}",
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
        Some(schema) => {
            user.push_str(&format!("\nThe input messages follow this JSON Schema; use only its field names:\n{schema}"))
        }
        None => user.push_str("\nNo schema of the input messages is known: take the field names from the story only."),
    }
    user.push_str("\nReturn {\"cases\": [...]} now.");
    Ok(vec![ChatMessage::system(system), ChatMessage::user(user)])
}

/// Steps 2 and 3 of the prompt `test_cases_from_story` (derive the rules, write the cases in the case
/// format); the other steps call tools, which the model cannot.
fn case_rules() -> Result<String> {
    let prompt = prompts::all()
        .into_iter()
        .find(|p| p.name == "test_cases_from_story")
        .ok_or_else(|| Error::internal("the prompt test_cases_from_story is not compiled in"))?;
    let start = prompt.body.find("2. **Derive the rules.**");
    let end = prompt.body.find("4. **Validate and score.**");
    match (start, end) {
        (Some(s), Some(e)) if s < e => Ok(prompt.body[s..e].trim().to_string()),
        _ => Err(Error::internal("the prompt test_cases_from_story lost its steps 2 to 4 headings")),
    }
}

/// The cases of an answer when it is usable, or every defect: not JSON, not `{"cases": [...]}`, no case,
/// or cases that do not parse into the model (the same parser as agent-written cases).
pub fn check_answer(answer: &str) -> Result<Vec<Value>, Vec<String>> {
    let value: Value =
        serde_json::from_str(answer.trim()).map_err(|e| vec![format!("the answer is not valid JSON: {e}")])?;
    let Some(Value::Array(raw)) = value.get("cases") else {
        return Err(vec!["the answer must be an object {\"cases\": [...]} with an array of cases".to_string()]);
    };
    if raw.is_empty() {
        return Err(vec!["`cases` is empty; write at least one positive and one negative case".to_string()]);
    }
    let (_, problems) = parse_cases(raw);
    if problems.is_empty() {
        Ok(raw.clone())
    } else {
        Err(problems)
    }
}

fn repair_request(defects: &[String]) -> String {
    format!(
        "Your answer cannot be used. Defects:\n{}\nAnswer again with the corrected STRICT JSON object {{\"cases\": [...]}} only, keeping the cases that were right.",
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
    fn the_prompt_carries_the_case_format_topics_and_schema() {
        let targets =
            Targets { input_topic: "orders".into(), dlq_topic: Some("orders.dlq".into()), ..Default::default() };
        let schema = json!({"type": "object", "properties": {"amount": {"type": "number"}}});
        let m = first_messages("As a buyer I want my order confirmed", &targets, Some(&schema)).unwrap();
        assert_eq!((m[0].role, m[1].role), ("system", "user"));
        for expected in
            ["STRICT JSON", "{\"cases\": [", "`expectation`", "\"kind\": \"dlq\"", "preconditions", "2 to 5"]
        {
            assert!(m[0].content.contains(expected), "{expected} missing from the system message");
        }
        assert!(!m[0].content.contains("run_test_cases"), "tool steps are left out");
        for expected in ["order confirmed", "`orders`", "`orders.dlq`", "\"amount\""] {
            assert!(m[1].content.contains(expected), "{expected} missing from {}", m[1].content);
        }
        assert!(!m[1].content.contains("output topic"));
    }

    #[test]
    fn answers_are_checked_strictly_and_every_defect_named() {
        let case = json!({"id": "US-1", "type": "positive", "title": "t", "priority": "high", "expected_result": "ok",
            "preconditions": ["runs"], "steps": ["a", "b"], "input": {"key": "k", "value": {}}, "expectation": {"kind": "output"}});
        assert_eq!(check_answer(&json!({"cases": [case.clone()]}).to_string()).unwrap().len(), 1);
        assert!(check_answer("```json\n{\"cases\": []}\n```").unwrap_err()[0].contains("not valid JSON"));
        assert!(check_answer("[1]").unwrap_err()[0].contains("{\"cases\": [...]}"));
        assert!(check_answer("{\"cases\": []}").unwrap_err()[0].contains("empty"));
        let mut bad = case.clone();
        bad["type"] = json!("happy");
        let errors = check_answer(&json!({"cases": [case.clone(), bad, case]}).to_string()).unwrap_err();
        let all = errors.join("\n");
        assert!(all.contains("cases[1].type") && all.contains("used twice"), "{all}");
    }

    #[test]
    fn long_defect_lists_are_capped_and_counted() {
        let defects: Vec<String> = (0..30).map(|i| format!("d{i}")).collect();
        let r = repair_request(&defects);
        assert!(r.contains("- d24") && !r.contains("- d25") && r.contains("(and 5 more)"), "{r}");
        assert!(listed(&defects).ends_with("d24 (and 5 more)"));
    }
}
