//! generate_test_cases with `user_story`: the optional language model, played by a loopback HTTP server with
//! scripted answers (the real-model run is a benchmark run by hand: tools/bench/story). The server speaks the
//! OpenAI-compatible API (/v1/models, /v1/chat/completions streamed as server-sent events) and Ollama's
//! (/api/tags, /api/chat streamed as NDJSON) and records each request, so the tests check what the tool sends
//! (the case-set schema or JSON mode, max_tokens/num_predict, num_ctx, the bearer key, repair requests holding
//! only the last answer) and what it makes of each answer (cases scored like agent-written ones, repairs, the
//! same-defects stop, timeouts naming the tokens written, cancellation dropping the request, a wrong model
//! name, errors), through the real dispatch path.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use futures::SinkExt;
use kafka_qa_mcp::config::{Config, LlmKind, Secret};
use kafka_qa_mcp::context::{AppState, CallContext, Progress, ProgressSink};
use kafka_qa_mcp::mcp::server::to_call_result;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const STORY: &str =
    "As a shop I want paid orders confirmed on orders.confirmed; orders without an amount go to the DLQ.";

enum Scripted {
    /// The model's text, streamed in pieces of 4 characters (one "token" each) in the API's envelope.
    Content(String),
    /// The same, one piece every this many ms.
    Slow(String, u64),
    /// An HTTP error with this body.
    Http(u16, &'static str),
}

struct Seen {
    path: String,
    authorization: Option<String>,
    body: Value,
}

#[derive(Clone)]
struct FakeModel {
    script: Arc<Mutex<VecDeque<Scripted>>>,
    /// Answered when the script is used up.
    fallback: Arc<Mutex<Option<String>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// What /v1/models and /api/tags list.
    served: Arc<Mutex<Vec<String>>>,
    /// Set when a streamed answer could not be sent on: the client dropped the request.
    dropped: Arc<AtomicBool>,
}

impl Default for FakeModel {
    fn default() -> Self {
        FakeModel {
            script: Default::default(),
            fallback: Default::default(),
            seen: Default::default(),
            served: Arc::new(Mutex::new(vec!["story-model".into()])),
            dropped: Default::default(),
        }
    }
}

/// The streamed lines of an answer: SSE for OpenAI, NDJSON for Ollama; the last carries the counts.
fn stream_lines(ollama: bool, content: &str) -> Vec<String> {
    let chars: Vec<char> = content.chars().collect();
    let pieces: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    let n = pieces.len();
    let mut lines: Vec<String> = pieces
        .into_iter()
        .map(|p| {
            if ollama {
                format!("{}\n", json!({"model": "served", "message": {"role": "assistant", "content": p}, "done": false}))
            } else {
                format!(
                    "data: {}\n\n",
                    json!({"model": "served", "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]})
                )
            }
        })
        .collect();
    if ollama {
        lines.push(format!(
            "{}\n",
            json!({"model": "served", "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop", "prompt_eval_count": 100, "eval_count": n})
        ));
    } else {
        lines.push(format!(
            "data: {}\n\n",
            json!({"model": "served", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 100, "completion_tokens": n}})
        ));
        lines.push("data: [DONE]\n\n".into());
    }
    lines
}

async fn answer(State(m): State<FakeModel>, method: Method, uri: Uri, headers: HeaderMap, body: String) -> Response {
    let path = uri.path().to_string();
    if method == Method::GET {
        let served = m.served.lock().unwrap().clone();
        return match path.as_str() {
            "/v1/models" => {
                Json(json!({"object": "list", "data": served.iter().map(|s| json!({"id": s})).collect::<Vec<_>>()}))
            }
            "/api/tags" => Json(json!({"models": served.iter().map(|s| json!({"name": s})).collect::<Vec<_>>()})),
            _ => return (StatusCode::NOT_FOUND, "no such route").into_response(),
        }
        .into_response();
    }
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let streamed = body["stream"] == json!(true);
    m.seen.lock().unwrap().push(Seen { path: path.clone(), authorization, body });
    let next = m.script.lock().unwrap().pop_front();
    let (content, every) = match next {
        Some(Scripted::Http(status, body)) => return (StatusCode::from_u16(status).unwrap(), body).into_response(),
        Some(Scripted::Content(c)) => (c, 0),
        Some(Scripted::Slow(c, ms)) => (c, ms),
        None => (m.fallback.lock().unwrap().clone().unwrap_or_default(), 0),
    };
    let ollama = match path.as_str() {
        "/v1/chat/completions" => false,
        "/api/chat" => true,
        other => return (StatusCode::NOT_FOUND, format!("no route {other}")).into_response(),
    };
    if !streamed {
        let envelope = if ollama {
            json!({"model": "m", "message": {"role": "assistant", "content": content}, "done": true})
        } else {
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
        };
        return Json(envelope).into_response();
    }
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<String, std::convert::Infallible>>(1);
    let dropped = m.dropped.clone();
    tokio::spawn(async move {
        for line in stream_lines(ollama, &content) {
            if every > 0 {
                tokio::time::sleep(Duration::from_millis(every)).await;
            }
            if tx.send(Ok(line)).await.is_err() {
                dropped.store(true, Ordering::SeqCst);
                return;
            }
        }
    });
    let content_type = if ollama { "application/x-ndjson" } else { "text/event-stream" };
    Response::builder().header("content-type", content_type).body(Body::from_stream(rx)).unwrap()
}

struct Json(Value);
impl IntoResponse for Json {
    fn into_response(self) -> Response {
        Response::builder().header("content-type", "application/json").body(Body::from(self.0.to_string())).unwrap()
    }
}

async fn start(script: Vec<Scripted>) -> (FakeModel, String) {
    let model = FakeModel { script: Arc::new(Mutex::new(script.into())), ..Default::default() };
    let app = axum::Router::new().fallback(answer).with_state(model.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (model, format!("http://{addr}"))
}

/// Progress messages as the client would receive them.
#[derive(Default)]
struct Recorded(Mutex<Vec<(u64, String)>>);
impl ProgressSink for Recorded {
    fn report(&self, done: u64, _total: Option<u64>, message: String) -> BoxFuture<'_, ()> {
        self.0.lock().unwrap().push((done, message));
        Box::pin(async {})
    }
}

fn setup(url: Option<String>, kind: &str, key: Option<&str>) -> (Registry, CallContext) {
    setup_with(url, kind, key, |_| {})
}

fn setup_with(
    url: Option<String>,
    kind: &str,
    key: Option<&str>,
    edit: impl FnOnce(&mut Config),
) -> (Registry, CallContext) {
    let mut config = Config::default();
    config.llm.url = url;
    config.llm.model = Some("story-model".into());
    config.llm.kind = if kind == "ollama" { LlmKind::Ollama } else { LlmKind::Openai };
    config.llm.api_key = key.map(Secret::new);
    // Case sets persist in the store folder: each test its own, so what one stores is not seen by another.
    config.store.dir = Some(tempfile::tempdir().unwrap().keep());
    edit(&mut config);
    (Registry::new(), CallContext::new(AppState::new(config).unwrap()))
}

fn case(id: &str, kind: &str, steps: usize) -> Value {
    let (value, expectation) = if kind == "positive" {
        (json!({"order_id": id, "amount": 10}), json!({"kind": "output", "matches": {"order_id": id}}))
    } else {
        (json!({"order_id": id}), json!({"kind": "dlq"}))
    };
    json!({"id": id, "type": kind, "title": format!("{kind} order"), "priority": "high", "expected_result": "it lands where the story says",
        "preconditions": ["the order processor runs"], "steps": (0..steps).map(|i| format!("step {i}")).collect::<Vec<_>>(),
        "input": {"key": id, "value": value}, "expectation": expectation})
}

fn valid_pair() -> String {
    json!({"cases": [case("US-1", "positive", 2), case("US-2", "negative", 2)]}).to_string()
}

const ORDER_SCHEMA: &str = r#"{"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}}}"#;

fn story_args(extra: Value) -> Option<serde_json::Map<String, Value>> {
    let mut args =
        json!({"user_story": STORY, "target": {"input_topic": "orders", "output_topic": "orders.confirmed"}});
    args.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    args.as_object().cloned()
}

fn messages(seen: &Seen) -> Vec<Value> {
    seen.body["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_constrained_streamed_first_answer_is_returned_and_scored_like_agent_written_cases() {
    // One case has a single step: a quality defect the score names, not a reason to repair.
    let cases = json!([case("US-1", "positive", 2), case("US-2", "negative", 1)]);
    let (model, url) = start(vec![Scripted::Content(json!({"cases": cases}).to_string())]).await;
    let (reg, mut cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let progress = Arc::new(Recorded::default());
    cx.progress = Progress::to(progress.clone());
    let result = reg
        .call(
            &cx,
            "generate_test_cases",
            story_args(json!({"schema": serde_json::from_str::<Value>(ORDER_SCHEMA).unwrap()})),
        )
        .await
        .unwrap();
    let out = result.structured;
    assert_eq!(out["attempt"], json!(1));
    assert_eq!(out["cases"].as_array().unwrap().len(), 2);
    assert!(out["case_set"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        out["source"].as_str().unwrap().contains("story-model")
            && out["source"].as_str().unwrap().contains("json_schema"),
        "{}",
        out["source"]
    );
    let run = &out["model_run"];
    assert_eq!(
        (run["mode"].clone(), run["requests"].clone(), run["max_cases"].clone()),
        (json!("json_schema"), json!(1), json!(6))
    );
    assert_eq!(
        (run["tokens_in"].clone(), run["max_tokens"].clone(), run["served_model"].clone()),
        (json!(100), json!(2400), json!("served"))
    );
    assert!(run["tokens_out"].as_u64().unwrap() > 50, "{run}");
    assert_eq!(run["model_check"]["matches"], json!(true));
    assert_eq!(run["defects_per_answer"], json!([0]));
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
    let body = &seen[0].body;
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(
        (body["stream"].clone(), body["max_tokens"].clone(), body["model"].clone()),
        (json!(true), json!(2400), json!("story-model"))
    );
    assert_eq!(body["response_format"]["type"], json!("json_schema"));
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["properties"]["cases"]["maxItems"], json!(6));
    let positive = &schema["properties"]["cases"]["items"]["anyOf"][0]["properties"];
    assert_eq!(
        positive["input"]["properties"]["value"]["required"],
        json!(["order_id"]),
        "the message format constrains positive values"
    );
    assert_eq!(seen[0].authorization, None, "no key configured, none sent");
    let m = messages(&seen[0]);
    assert!(m[0]["content"].as_str().unwrap().contains("\"id\": \"US-001\""), "one complete case is shown");
    let user = m[1]["content"].as_str().unwrap();
    assert!(user.contains(STORY) && user.contains("`orders`") && user.contains("`orders.confirmed`"), "{user}");
    assert!(user.contains("schema of `input.value`"), "{user}");
    let reported = progress.0.lock().unwrap();
    assert!(
        reported.iter().any(|(_, m)| m.contains("request 1 to story-model (first answer, json_schema)")),
        "{reported:?}"
    );
    assert!(reported.windows(2).all(|w| w[0].0 < w[1].0), "progress only grows: {reported:?}");
}

#[tokio::test]
async fn ollama_gets_the_schema_as_format_num_predict_num_ctx_and_a_malformed_answer_is_repaired() {
    let malformed = "{\"cases\": [ {\"id\": \"US-1\", }";
    let parse_error = serde_json::from_str::<Value>(malformed).unwrap_err().to_string();
    let (model, url) = start(vec![Scripted::Content(malformed.into()), Scripted::Content(valid_pair())]).await;
    let (reg, cx) = setup(Some(url), "ollama", None);
    let out = reg
        .call(
            &cx,
            "generate_test_cases",
            story_args(json!({"schema": serde_json::from_str::<Value>(ORDER_SCHEMA).unwrap(), "max_cases": 2})),
        )
        .await
        .unwrap()
        .structured;
    assert_eq!(out["attempt"], json!(2));
    assert_eq!(out["score"]["overall"], json!(100.0), "{}", out["score"]);
    assert_eq!(out["model_run"]["defects_per_answer"], json!([1, 0]));
    assert_eq!(out["model_run"]["tokens_in"], json!(200), "the counts of both answers");

    let seen = model.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for s in seen.iter() {
        assert_eq!((s.path.as_str(), s.body["stream"].clone()), ("/api/chat", json!(true)));
        assert_eq!(s.body["format"]["properties"]["cases"]["maxItems"], json!(2), "the schema is the format");
        assert_eq!(s.body["options"]["num_predict"], json!(1000));
        assert!(s.body["options"]["num_ctx"].as_u64().unwrap() >= 4096);
    }
    let repair = messages(&seen[1]);
    assert_eq!(repair.len(), 4, "system, story, the model's answer, the repair request");
    assert_eq!(repair[2], json!({"role": "assistant", "content": malformed}));
    let request = repair[3]["content"].as_str().unwrap();
    assert!(
        request.contains(&parse_error) && request.contains("STRICT JSON") && request.contains("at most 2"),
        "{request}"
    );
}

#[tokio::test]
async fn a_server_refusing_the_schema_falls_back_to_json_mode_and_says_so() {
    let (model, url) = start(vec![
        Scripted::Http(400, "{\"error\": \"response_format json_schema is not supported\"}"),
        Scripted::Content(valid_pair()),
    ])
    .await;
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let out = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap().structured;
    let run = &out["model_run"];
    assert_eq!(
        (run["mode"].clone(), run["requests"].clone(), run["attempt"].clone()),
        (json!("json_object"), json!(2), json!(1))
    );
    assert!(
        run["mode_note"].as_str().unwrap().contains("HTTP 400")
            && run["mode_note"].as_str().unwrap().contains("plain JSON mode"),
        "{run}"
    );
    let seen = model.seen.lock().unwrap();
    assert_eq!(seen[0].body["response_format"]["type"], json!("json_schema"));
    assert_eq!(seen[1].body["response_format"], json!({"type": "json_object"}));
}

#[tokio::test]
async fn repairs_send_only_the_last_answer_and_content_defects_are_repaired() {
    let first = "not json at all";
    // Parses, but both cases share a key and the positive one expects the DLQ.
    let mut shared = case("US-2", "negative", 2);
    shared["input"]["key"] = json!("US-1");
    let mut wrong = case("US-1", "positive", 2);
    wrong["expectation"] = json!({"kind": "dlq"});
    let second = json!({"cases": [wrong, shared]}).to_string();
    let (model, url) = start(vec![
        Scripted::Content(first.into()),
        Scripted::Content(second.clone()),
        Scripted::Content(valid_pair()),
    ])
    .await;
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let out = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap().structured;
    assert_eq!(out["attempt"], json!(3));
    assert_eq!(out["model_run"]["defects_per_answer"], json!([1, 2, 0]));
    let seen = model.seen.lock().unwrap();
    let third = messages(&seen[2]);
    assert_eq!(third.len(), 4, "only the last answer and its defects, not every earlier one");
    assert_eq!(third[2]["content"], json!(second));
    let request = third[3]["content"].as_str().unwrap();
    assert!(
        request.contains("US-1, US-2 share the key `US-1`") && request.contains("US-1: a positive case expects `dlq`"),
        "{request}"
    );
    assert!(!serde_json::to_string(&third).unwrap().contains(first));
}

#[tokio::test]
async fn a_repair_returning_the_same_defects_stops_the_loop_and_unparsable_answers_store_nothing() {
    let mut bad = case("US-1", "positive", 2);
    bad["type"] = json!("happy-path");
    let (model, url) = start(vec![]).await;
    *model.fallback.lock().unwrap() = Some(json!({"cases": [bad]}).to_string());
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let err = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap_err();
    assert!(matches!(err, Error::Upstream { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cases[0].type") && text.contains("happy-path") && text.contains("same 1 defects"), "{text}");
    assert!(text.contains("Nothing was stored") && text.contains("test_cases_from_story"), "{text}");
    assert_eq!(model.seen.lock().unwrap().len(), 2, "the first answer and one repair that changed nothing");
    assert!(cx.state.resources.list().iter().all(|r| !r.uri.starts_with("testcases://")), "no empty case set stored");
}

#[tokio::test]
async fn changing_defects_get_three_repairs_and_the_best_parsable_answer_is_kept_with_its_defects_scored() {
    let mut shared = case("US-2", "negative", 2);
    shared["input"]["key"] = json!("US-1");
    let partial = json!({"cases": [case("US-1", "positive", 2), shared]}).to_string();
    let (model, url) = start(vec![
        Scripted::Content("no json 1".into()),
        Scripted::Content(partial),
        Scripted::Content("{\"x\": 1}".into()),
        Scripted::Content("no json 4".into()),
    ])
    .await;
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let result = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap();
    let out = &result.structured;
    assert_eq!(model.seen.lock().unwrap().len(), 4, "1 request + 3 repairs, no more");
    assert_eq!(out["attempt"], json!(2), "the answer whose cases parse");
    assert!(out["model_run"]["stopped"].as_str().unwrap().contains("after 4 answers"), "{}", out["model_run"]);
    let score = &out["score"];
    assert!(score["overall"].as_f64().unwrap() < 100.0 && score["content"] == json!(0.0), "{score}");
    assert!(score["defects"].to_string().contains("share the key"), "{score}");
}

#[tokio::test]
async fn a_slow_model_times_out_naming_the_seconds_and_tokens_not_unreachable() {
    let (_model, url) = start(vec![Scripted::Slow(valid_pair(), 150)]).await;
    let (reg, cx) = setup_with(Some(format!("{url}/v1")), "openai", None, |c| c.llm.timeout_ms = 1_000);
    let err = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("the model did not finish in 1 s after "), "{text}");
    let tokens: u64 =
        text.split("after ").nth(2).and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!((3..=8).contains(&tokens), "{text}");
    assert!(text.contains("--llm-timeout-ms") && text.contains("max_cases"), "{text}");
}

#[tokio::test]
async fn cancelling_the_call_drops_the_model_request() {
    let (model, url) = start(vec![Scripted::Slow(valid_pair(), 100)]).await;
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let cancel = cx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        cancel.cancel();
    });
    let started = std::time::Instant::now();
    let err = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    for _ in 0..30 {
        if model.dropped.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server kept streaming to nobody: the request was not dropped");
}

#[tokio::test]
async fn a_wrong_model_name_is_noticed_and_said() {
    let (model, url) = start(vec![Scripted::Content(valid_pair())]).await;
    *model.served.lock().unwrap() = vec!["/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf".into()];
    let (reg, cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let result = reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap();
    let check = &result.structured["model_run"]["model_check"];
    assert_eq!(check["matches"], json!(false));
    let note = check["note"].as_str().unwrap();
    assert!(
        note.contains("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf") && note.contains("not the configured `story-model`"),
        "{note}"
    );
    let shown = serde_json::to_string(&to_call_result(Ok(result), &cx.state)).unwrap();
    assert!(shown.contains("not the configured"), "{shown}");
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
    let (model, url) =
        start(vec![Scripted::Content(valid_pair()), Scripted::Http(401, "invalid api key sk-llmtest-Q7v9Zr2KxW4p")])
            .await;
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
async fn a_server_that_is_down_is_unreachable() {
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
    let many = story_args(json!({"max_cases": 21}));
    assert_eq!(argument(reg.call(&cx, "generate_test_cases", many).await), "max_cases");
    assert!(model.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_long_answer_reports_progress_every_200_tokens() {
    let mut long = case("US-1", "positive", 2);
    long["expected_result"] = json!("x".repeat(2000));
    let answer = json!({"cases": [long, case("US-2", "negative", 2)]}).to_string();
    let (_model, url) = start(vec![Scripted::Content(answer)]).await;
    let (reg, mut cx) = setup(Some(format!("{url}/v1")), "openai", None);
    let progress = Arc::new(Recorded::default());
    cx.progress = Progress::to(progress.clone());
    reg.call(&cx, "generate_test_cases", story_args(json!({}))).await.unwrap();
    let reported = progress.0.lock().unwrap();
    let messages: Vec<&str> = reported.iter().map(|(_, m)| m.as_str()).collect();
    for expected in ["request 1 to story-model", "200 tokens written (at most 2400)", "400 tokens written"] {
        assert!(messages.iter().any(|m| m.contains(expected)), "{expected} missing from {messages:?}");
    }
    assert!(reported.windows(2).all(|w| w[0].0 < w[1].0), "progress only grows: {reported:?}");
}
