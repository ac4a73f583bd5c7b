//! generate_test_cases with `user_story`: the optional language model, played by a loopback HTTP server with
//! scripted answers (no model can run on this project's machines: no weights can be fetched). The server
//! speaks the OpenAI-compatible API (/v1/chat/completions) and Ollama's (/api/chat) and records each request,
//! so the tests check what the tool sends (JSON mode, the bearer key, the repair requests) and what it makes
//! of each answer (cases scored like agent-written ones, repairs, errors), through the real dispatch path.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use kafka_qa_mcp::config::{Config, LlmKind, Secret};
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::server::to_call_result;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

const STORY: &str =
    "As a shop I want paid orders confirmed on orders.confirmed; orders without an amount go to the DLQ.";

enum Scripted {
    /// The model's text, wrapped in the API's envelope.
    Content(String),
    /// An HTTP error with this body.
    Http(u16, &'static str),
}

struct Seen {
    path: String,
    authorization: Option<String>,
    body: Value,
}

#[derive(Clone, Default)]
struct FakeModel {
    script: Arc<Mutex<VecDeque<Scripted>>>,
    /// Answered when the script is used up.
    fallback: Arc<Mutex<Option<String>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn answer(State(m): State<FakeModel>, uri: Uri, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    m.seen.lock().unwrap().push(Seen {
        path: uri.path().to_string(),
        authorization,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
    });
    let next = m.script.lock().unwrap().pop_front();
    let content = match next {
        Some(Scripted::Http(status, body)) => return (StatusCode::from_u16(status).unwrap(), body.to_string()),
        Some(Scripted::Content(c)) => c,
        None => m.fallback.lock().unwrap().clone().unwrap_or_default(),
    };
    let envelope = match uri.path() {
        "/v1/chat/completions" => {
            json!({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
        }
        "/api/chat" => json!({"model": "m", "message": {"role": "assistant", "content": content}, "done": true}),
        other => return (StatusCode::NOT_FOUND, format!("no route {other}")),
    };
    (StatusCode::OK, envelope.to_string())
}

async fn start(script: Vec<Scripted>) -> (FakeModel, String) {
    let model = FakeModel { script: Arc::new(Mutex::new(script.into())), ..Default::default() };
    let app = axum::Router::new().fallback(answer).with_state(model.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (model, format!("http://{addr}"))
}

fn setup(url: Option<String>, kind: &str, key: Option<&str>) -> (Registry, CallContext) {
    let mut config = Config::default();
    config.llm.url = url;
    config.llm.model = Some("story-model".into());
    config.llm.kind = if kind == "ollama" { LlmKind::Ollama } else { LlmKind::Openai };
    config.llm.api_key = key.map(Secret::new);
    (Registry::new(), CallContext::new(AppState::new(config).unwrap()))
}

fn case(id: &str, kind: &str, steps: usize) -> Value {
    json!({"id": id, "type": kind, "title": format!("{kind} order"), "priority": "high", "expected_result": "it lands where the story says",
        "preconditions": ["the order processor runs"], "steps": (0..steps).map(|i| format!("step {i}")).collect::<Vec<_>>(),
        "input": {"key": id, "value": {"order_id": id, "amount": 10}}, "expectation": {"kind": "output", "matches": {"order_id": id}}})
}

fn story_args(extra: Value) -> Option<serde_json::Map<String, Value>> {
    let mut args =
        json!({"user_story": STORY, "target": {"input_topic": "orders", "output_topic": "orders.confirmed"}});
    args.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    args.as_object().cloned()
}

#[tokio::test]
async fn a_valid_first_answer_is_returned_and_scored_like_agent_written_cases() {
    // One case has a single step: a quality defect the score names, not a reason to repair.
    let cases = json!([case("US-1", "positive", 2), case("US-2", "negative", 1)]);
    let (model, url) = start(vec![Scripted::Content(json!({"cases": cases}).to_string())]).await;
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let out = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap().structured;
    assert_eq!(out["attempt"], json!(1));
    assert_eq!(out["cases"].as_array().unwrap().len(), 2);
    assert!(out["case_set"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(out["source"].as_str().unwrap().contains("story-model"), "{}", out["source"]);
    // The same validation and score as the same cases written by the agent.
    let agent = reg
        .call(
            &cx,
            "generate_test_cases",
            Some(json!({"cases": cases, "target": {"input_topic": "orders"}}).as_object().unwrap().clone()),
        )
        .await
        .unwrap()
        .structured;
    assert_eq!(out["score"], agent["score"]);
    assert!(out["score"]["defects"][0].as_str().unwrap().contains("US-2: 1 steps"), "{}", out["score"]);

    let seen = model.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].body["response_format"], json!({"type": "json_object"}));
    assert_eq!(seen[0].body["model"], json!("story-model"));
    assert_eq!(seen[0].authorization, None, "no key configured, none sent");
    let messages = seen[0].body["messages"].as_array().unwrap();
    assert!(messages[0]["content"].as_str().unwrap().contains("{\"cases\": [ ... ]}"));
    let user = messages[1]["content"].as_str().unwrap();
    assert!(user.contains(STORY) && user.contains("`orders`") && user.contains("`orders.confirmed`"), "{user}");
}

#[tokio::test]
async fn a_malformed_answer_is_repaired_with_the_parse_error() {
    let malformed = "{\"cases\": [ {\"id\": \"US-1\", }";
    let parse_error = serde_json::from_str::<Value>(malformed).unwrap_err().to_string();
    let valid = json!({"cases": [case("US-1", "positive", 2), case("US-2", "negative", 2)]}).to_string();
    let (model, url) = start(vec![Scripted::Content(malformed.into()), Scripted::Content(valid)]).await;
    let (reg, cx) = setup(Some(url), "ollama", None);
    // An entity gives the model the message format.
    let out = reg.call(&cx, "generate_test_cases", story_args(json!({"entity": "order"}))).await.unwrap().structured;
    assert_eq!(out["attempt"], json!(2));
    assert_eq!(out["score"]["overall"], json!(100.0));

    let seen = model.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|s| s.path == "/api/chat" && s.body["format"] == json!("json") && s.body["stream"] == json!(false)));
    let repair = seen[1].body["messages"].as_array().unwrap();
    assert_eq!(repair.len(), 4, "system, story, the model's answer, the repair request");
    assert!(repair[1]["content"].as_str().unwrap().contains("follow this JSON Schema"), "{}", repair[1]);
    assert_eq!(repair[2], json!({"role": "assistant", "content": malformed}));
    let request = repair[3]["content"].as_str().unwrap();
    assert!(request.contains(&parse_error) && request.contains("STRICT JSON"), "{request}");
}

#[tokio::test]
async fn answers_still_invalid_after_three_repairs_are_an_upstream_error_naming_the_defects() {
    let mut bad = case("US-1", "positive", 2);
    bad["type"] = json!("happy-path");
    let (model, url) = start(vec![]).await;
    *model.fallback.lock().unwrap() = Some(json!({"cases": [bad]}).to_string());
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let err = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap_err();
    assert!(matches!(err, Error::Upstream { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cases[0].type") && text.contains("happy-path") && text.contains("4 requests"), "{text}");
    assert!(text.contains("test_cases_from_story"), "{text}");
    assert_eq!(model.seen.lock().unwrap().len(), 4, "1 request + 3 repairs, no more");
}

#[tokio::test]
async fn without_a_model_the_agent_is_told_to_write_the_cases_with_the_prompt() {
    let (reg, cx) = setup(None, "openai", None);
    let err = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("test_cases_from_story") && text.contains("`cases`"), "{text}");
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_bearer_token_and_never_shown() {
    const KEY: &str = "sk-llmtest-Q7v9Zr2KxW4p";
    let valid = json!({"cases": [case("US-1", "positive", 2), case("US-2", "negative", 2)]}).to_string();
    let (model, url) =
        start(vec![Scripted::Content(valid), Scripted::Http(401, "invalid api key sk-llmtest-Q7v9Zr2KxW4p")]).await;
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", Some(KEY));
    let ok = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await;
    let shown = serde_json::to_string(&to_call_result(ok, &cx.state)).unwrap();
    assert!(shown.contains("US-2") && !shown.contains(KEY));

    let failed = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await;
    let err = failed.as_ref().unwrap_err();
    assert!(matches!(err, Error::Upstream { .. }) && err.to_string().contains("HTTP 401"), "{err:?}");
    // The server echoed the key in its body, so only redaction keeps it out of what the agent sees.
    assert!(err.to_string().contains(KEY));
    let shown = serde_json::to_string(&to_call_result(failed, &cx.state)).unwrap();
    assert!(shown.contains("401") && !shown.contains(KEY), "{shown}");

    let seen = model.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.authorization.as_deref() == Some(&format!("Bearer {KEY}")[..])));
}

#[tokio::test]
async fn an_unreachable_model_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (reg, cx) = setup(Some(format!("http://127.0.0.1:{port}/v1")), "openai", None);
    match reg.call(&cx, "generate_test_cases", story_args(json!({}))).await {
        Err(Error::Unreachable { backend, .. }) => assert_eq!(backend, "LLM"),
        other => panic!("expected unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn user_story_bounds_and_sources_are_checked_before_any_request() {
    let (model, url) = start(vec![]).await;
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let argument = |r: kafka_qa_mcp::Result<_>| match r {
        Err(Error::BadInput { argument, .. }) => argument,
        other => panic!("expected bad input, got {other:?}"),
    };
    let short = story_args(json!({"user_story": "x".repeat(19)}));
    assert_eq!(argument(reg.call(&cx, "generate_test_cases", short).await), "user_story");
    let long = story_args(json!({"user_story": "x".repeat(20_001)}));
    assert_eq!(argument(reg.call(&cx, "generate_test_cases", long).await), "user_story");
    let both = story_args(json!({"cases": [case("US-1", "positive", 2)]}));
    assert_eq!(argument(reg.call(&cx, "generate_test_cases", both).await), "schema");
    assert!(model.seen.lock().unwrap().is_empty());
}
