//! A chat client for the optional language model of `[llm]`: streamed chat requests to an OpenAI-compatible
//! API (POST {url}/chat/completions, server-sent events) or to Ollama (POST {url}/api/chat, NDJSON), with
//! the answer constrained by a JSON Schema (`response_format: json_schema` / `format: <schema>`) or, as a
//! fallback, plain JSON mode. Tokens are counted as they arrive, so progress can be reported while the model
//! writes, a cancelled call drops the HTTP request, and a timeout says how far the model got.

use crate::config::{LlmConfig, LlmKind, Secret};
use crate::context::Progress;
use crate::error::{Error, Result};
use crate::observe::http::excerpt;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How the backend is named in errors.
const BACKEND: &str = "LLM";
/// Progress is reported every this many tokens written.
pub const PROGRESS_EVERY: u64 = 200;

#[derive(Debug, Clone, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage { role: "system", content: content.into() }
    }
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage { role: "user", content: content.into() }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage { role: "assistant", content: content.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    OpenAi,
    Ollama,
}

/// How the answer is constrained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The server's grammar follows the case-set JSON Schema.
    Schema,
    /// Any JSON object (the fallback when the server refuses a schema).
    Json,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Schema => "json_schema",
            Mode::Json => "json_object",
        }
    }
}

/// One request: the conversation, the constraint and the bound of the answer.
pub struct ChatRequest<'a> {
    pub messages: &'a [ChatMessage],
    pub mode: Mode,
    /// The JSON Schema of the answer (sent in `Mode::Schema`).
    pub schema: &'a Value,
    /// max_tokens / num_predict.
    pub max_tokens: u64,
    /// What progress messages call this request, e.g. `request 2 (repair 1)`.
    pub label: String,
}

/// What came back from one request.
#[derive(Debug, Clone, Default)]
pub struct ChatAnswer {
    pub content: String,
    /// Prompt tokens as the server counted them (when it said).
    pub tokens_in: u64,
    /// Tokens written (the server's count, else the streamed pieces).
    pub tokens_out: u64,
    /// The `model` field of the reply.
    pub served_model: Option<String>,
    /// True when the answer stopped at max_tokens.
    pub cut: bool,
    pub elapsed: Duration,
}

/// The server refused the request with this status and body (the caller decides: fallback or error).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub body: String,
}

/// Which models the server says it serves, against the configured name.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ModelCheck {
    /// The models listed by /v1/models (OpenAI-compatible) or /api/tags (Ollama); empty when not listed.
    pub served: Vec<String>,
    /// true: the configured name is served; false: it is not; null: the server did not list its models.
    pub matches: Option<bool>,
    pub note: String,
}

pub struct ChatClient {
    client: reqwest::Client,
    base_url: String,
    api_key: Option<Secret>,
    timeout: Duration,
    api: Api,
    pub model: String,
    check: tokio::sync::OnceCell<ModelCheck>,
}

/// No model is configured, and none is needed: the agent writes the cases itself.
pub fn not_configured() -> Error {
    Error::not_configured(
        "A language model",
        "no [llm] url is set (--llm-url / KAFKA_QA_LLM_URL with --llm-model), and none is needed: write the cases yourself \
         following the prompt `test_cases_from_story` (arguments story, input_topic, output_topic, dlq_topic) and pass them \
         to generate_test_cases as `cases`, which validates and scores them the same way",
    )
}

impl ChatClient {
    /// The configured model, or `not_configured` saying that the agent can write the cases itself.
    pub fn from_config(http: &reqwest::Client, config: &LlmConfig) -> Result<ChatClient> {
        let (Some(url), Some(model)) = (config.url.as_ref().filter(|u| !u.trim().is_empty()), config.model.as_ref())
        else {
            return Err(not_configured());
        };
        let base = url.trim_end_matches('/').to_string();
        reqwest::Url::parse(&base).map_err(|e| {
            Error::not_configured(
                BACKEND,
                format!("the URL `{base}` is not valid ({e}); set it to e.g. http://127.0.0.1:8080/v1"),
            )
        })?;
        let api = match config.kind {
            LlmKind::Ollama => Api::Ollama,
            LlmKind::Openai => Api::OpenAi,
        };
        Ok(ChatClient {
            // A connection per request: llama-server closes a connection after a streamed answer, and a repair
            // sent at once on the pooled connection failed with "connection closed before message completed".
            // A model request takes seconds; a new connection costs milliseconds.
            client: crate::observe::http::client_builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap_or_else(|_| http.clone()),
            base_url: base,
            api_key: config.api_key.clone(),
            timeout: Duration::from_millis(config.timeout_ms),
            api,
            model: model.clone(),
            check: tokio::sync::OnceCell::new(),
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn is_ollama(&self) -> bool {
        self.api == Api::Ollama
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.client.request(method, format!("{}{path}", self.base_url));
        if let Some(token) = self.api_key.as_ref().filter(|t| !t.is_empty()) {
            r = r.bearer_auth(token.expose());
        }
        r
    }

    fn unreachable(&self, started: Instant, e: reqwest::Error) -> Error {
        Error::unreachable(BACKEND, started.elapsed(), format!("{} ({})", describe(&e), self.base_url))
    }

    /// The body of one request (public for the tests of what is sent).
    pub fn body(&self, req: &ChatRequest<'_>, num_ctx: u64) -> Value {
        match self.api {
            Api::OpenAi => {
                let format = match req.mode {
                    Mode::Schema => {
                        json!({"type": "json_schema", "json_schema": {"name": "case_set", "strict": true, "schema": req.schema}})
                    }
                    Mode::Json => json!({"type": "json_object"}),
                };
                json!({"model": self.model, "messages": req.messages, "temperature": 0, "stream": true,
                    "stream_options": {"include_usage": true}, "max_tokens": req.max_tokens, "response_format": format})
            }
            Api::Ollama => {
                let format = match req.mode {
                    Mode::Schema => req.schema.clone(),
                    Mode::Json => json!("json"),
                };
                json!({"model": self.model, "messages": req.messages, "stream": true, "format": format,
                    "options": {"temperature": 0, "num_predict": req.max_tokens, "num_ctx": num_ctx}})
            }
        }
    }

    /// Which models the server serves, once per server life (a failed listing is retried next call; a server
    /// that cannot be reached is `unreachable`).
    pub async fn model_check(&self) -> Result<&ModelCheck> {
        self.check.get_or_try_init(|| self.list_models()).await
    }

    async fn list_models(&self) -> Result<ModelCheck> {
        let path = if self.api == Api::OpenAi { "/models" } else { "/api/tags" };
        let started = Instant::now();
        let answer = self
            .request(reqwest::Method::GET, path)
            .timeout(self.timeout.min(Duration::from_secs(15)))
            .send()
            .await
            .map_err(|e| self.unreachable(started, e))?;
        let status = answer.status().as_u16();
        let body = answer.text().await.unwrap_or_default();
        let listed: Option<Vec<String>> = serde_json::from_str::<Value>(&body).ok().and_then(|v| {
            let items = if self.api == Api::OpenAi { v.get("data")? } else { v.get("models")? };
            Some(
                items
                    .as_array()?
                    .iter()
                    .filter_map(|m| m.get("id").or_else(|| m.get("name")).and_then(Value::as_str).map(str::to_string))
                    .collect(),
            )
        });
        Ok(match listed {
            Some(served) if (200..300).contains(&status) => {
                let wanted = &self.model;
                let matches = served.iter().any(|s| same_model(s, wanted));
                let note = if matches {
                    format!("the server serves `{wanted}`")
                } else {
                    format!(
                        "the server serves {} (from {path}), not the configured `{wanted}`: check --llm-model; {}",
                        served.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
                        if self.api == Api::OpenAi {
                            "an OpenAI-compatible server with one model (llama-server) answers with it whatever the name"
                        } else {
                            "Ollama refuses an unknown name"
                        }
                    )
                };
                ModelCheck { served, matches: Some(matches), note }
            }
            _ => ModelCheck {
                served: vec![],
                matches: None,
                note: format!(
                    "the server did not list its models (HTTP {status} from {path}); the name was not checked"
                ),
            },
        })
    }

    /// Sends one request and reads the streamed answer. `Ok(Err(refusal))` is an HTTP error status for the
    /// caller to judge; transport failures are `unreachable`, the deadline is `timeout` (naming the tokens
    /// written so far), a cancelled call stops reading and drops the connection.
    pub async fn complete(
        &self,
        req: &ChatRequest<'_>,
        num_ctx: u64,
        cancel: &CancellationToken,
        progress: &Progress,
        tick: &mut u64,
    ) -> Result<std::result::Result<ChatAnswer, Refusal>> {
        let path = if self.api == Api::OpenAi { "/chat/completions" } else { "/api/chat" };
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut answer = ChatAnswer::default();
        let send = self.request(reqwest::Method::POST, path).json(&self.body(req, num_ctx)).send();
        let response =
            self.within(deadline, cancel, started, 0, send).await?.map_err(|e| self.unreachable(started, e))?;
        let status = response.status().as_u16();
        let content_type = crate::observe::http::content_type(&response);
        if !(200..300).contains(&status) {
            let body = self.within(deadline, cancel, started, 0, response.text()).await?.unwrap_or_default();
            return Ok(Err(Refusal { status, body }));
        }
        let mut response = response;
        let mut pending: Vec<u8> = vec![];
        let mut streamed = 0u64;
        let mut whole = String::new();
        let mut reported = 0u64;
        loop {
            let chunk = self
                .within(deadline, cancel, started, streamed, response.chunk())
                .await?
                .map_err(|e| self.unreachable(started, e))?;
            let Some(chunk) = chunk else { break };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line).trim().to_string();
                if content_type.contains("application/json") && !content_type.contains("ndjson") {
                    whole.push_str(&line);
                    continue;
                }
                if let Some(piece) = self.read_line(&line, &mut answer)? {
                    if !piece.is_empty() {
                        answer.content.push_str(&piece);
                        streamed += 1;
                    }
                }
            }
            if streamed >= reported + PROGRESS_EVERY {
                reported = streamed / PROGRESS_EVERY * PROGRESS_EVERY;
                *tick += 1;
                progress
                    .report(
                        *tick,
                        None,
                        format!("{}: {streamed} tokens written (at most {})", req.label, req.max_tokens),
                    )
                    .await;
            }
        }
        let rest = String::from_utf8_lossy(&pending).trim().to_string();
        if content_type.contains("application/json") && !content_type.contains("ndjson") {
            // A server that ignored `stream`: one JSON answer.
            whole.push_str(&rest);
            self.read_whole(&whole, &mut answer)?;
        } else if !rest.is_empty() {
            if let Some(piece) = self.read_line(&rest, &mut answer)? {
                answer.content.push_str(&piece);
                streamed += 1;
            }
        }
        if answer.tokens_out == 0 {
            answer.tokens_out = streamed;
        }
        answer.elapsed = started.elapsed();
        Ok(Ok(answer))
    }

    /// Awaits `fut` until the deadline or the client's cancellation (which drops `fut`, and with it the request).
    async fn within<T>(
        &self,
        deadline: tokio::time::Instant,
        cancel: &CancellationToken,
        started: Instant,
        tokens: u64,
        fut: impl std::future::Future<Output = T>,
    ) -> Result<T> {
        tokio::select! {
            _ = cancel.cancelled() => Err(Error::Cancelled),
            r = tokio::time::timeout_at(deadline, fut) => r.map_err(|_| self.timed_out(started, tokens)),
        }
    }

    fn timed_out(&self, started: Instant, tokens: u64) -> Error {
        let secs = started.elapsed().as_secs();
        let busy = if tokens == 0 { " (it was still reading the prompt, or busy with another request)" } else { "" };
        Error::timeout(
            BACKEND,
            started.elapsed(),
            format!(
                "the model did not finish in {secs} s after {tokens} tokens{busy}; the server is up but slow: raise \
                 --llm-timeout-ms (KAFKA_QA_LLM_TIMEOUT_MS, now {} ms) or lower max_cases",
                self.timeout.as_millis()
            ),
        )
    }

    /// One line of the stream: the piece of content it carries, if any; the counts and model are noted.
    fn read_line(&self, line: &str, answer: &mut ChatAnswer) -> Result<Option<String>> {
        let data = match self.api {
            Api::OpenAi => match line.strip_prefix("data:") {
                Some(d) => d.trim(),
                None => return Ok(None), // comments, `event:` lines, blank separators
            },
            Api::Ollama => line,
        };
        if data.is_empty() || data == "[DONE]" {
            return Ok(None);
        }
        let v: Value = serde_json::from_str(data).map_err(|e| {
            Error::upstream(BACKEND, format!("a streamed line is not JSON ({e}): {}", excerpt(data, 300)))
        })?;
        if let Some(err) = v.get("error") {
            return Err(Error::upstream(
                BACKEND,
                format!("the stream ended with an error: {}", excerpt(&err.to_string(), 300)),
            ));
        }
        self.note_counts(&v, answer);
        let piece = match self.api {
            Api::OpenAi => {
                let choice = &v["choices"][0];
                if choice["finish_reason"] == "length" {
                    answer.cut = true;
                }
                choice["delta"]["content"].as_str().or(choice["message"]["content"].as_str())
            }
            Api::Ollama => {
                if v["done_reason"] == "length" {
                    answer.cut = true;
                }
                v["message"]["content"].as_str()
            }
        };
        Ok(piece.map(str::to_string))
    }

    /// A whole (not streamed) answer.
    fn read_whole(&self, body: &str, answer: &mut ChatAnswer) -> Result<()> {
        let v: Value = serde_json::from_str(body)
            .map_err(|e| Error::upstream(BACKEND, format!("the answer is not JSON ({e}): {}", excerpt(body, 300))))?;
        self.note_counts(&v, answer);
        let (content, field) = match self.api {
            Api::OpenAi => (&v["choices"][0]["message"]["content"], "choices[0].message.content"),
            Api::Ollama => (&v["message"]["content"], "message.content"),
        };
        if v["choices"][0]["finish_reason"] == "length" || v["done_reason"] == "length" {
            answer.cut = true;
        }
        answer.content = content.as_str().map(str::to_string).ok_or_else(|| {
            Error::upstream(BACKEND, format!("the answer has no {field} (is llm.kind right?): {}", excerpt(body, 300)))
        })?;
        Ok(())
    }

    fn note_counts(&self, v: &Value, answer: &mut ChatAnswer) {
        if let Some(m) = v.get("model").and_then(Value::as_str).filter(|m| !m.is_empty()) {
            answer.served_model = Some(m.to_string());
        }
        let count = |a: &Value, b: &str| a.get(b).and_then(Value::as_u64);
        match self.api {
            Api::OpenAi => {
                if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                    answer.tokens_in = count(u, "prompt_tokens").unwrap_or(answer.tokens_in);
                    answer.tokens_out = count(u, "completion_tokens").unwrap_or(answer.tokens_out);
                } else if let Some(t) = v.get("timings").filter(|t| t.is_object()) {
                    // llama-server's own counts.
                    answer.tokens_in = count(t, "prompt_n").unwrap_or(answer.tokens_in);
                    answer.tokens_out = count(t, "predicted_n").unwrap_or(answer.tokens_out);
                }
            }
            Api::Ollama => {
                answer.tokens_in = count(v, "prompt_eval_count").unwrap_or(answer.tokens_in);
                answer.tokens_out = count(v, "eval_count").unwrap_or(answer.tokens_out);
            }
        }
    }
}

/// Whether a served model name is the configured one (`name` and `name:latest` are the same in Ollama; a
/// path's file name counts, as llama-server lists the model file).
fn same_model(served: &str, wanted: &str) -> bool {
    let plain = |s: &str| s.strip_suffix(":latest").unwrap_or(s).to_string();
    let file = served.rsplit('/').next().unwrap_or(served);
    plain(served) == plain(wanted) || file == wanted || file.strip_suffix(".gguf") == Some(wanted)
}

/// The innermost cause of a transport error ("Connection refused"), which says more than reqwest's top line.
fn describe(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_match_with_ollama_tags_and_file_names() {
        assert!(same_model("qwen2.5-coder:1.5b", "qwen2.5-coder:1.5b"));
        assert!(same_model("m:latest", "m"));
        assert!(same_model("/cache/qwen.gguf", "qwen"));
        assert!(!same_model("qwen", "llama3"));
    }
}
