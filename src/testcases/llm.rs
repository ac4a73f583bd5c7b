//! A chat client for the optional language model of `[llm]`: one JSON-mode chat request to an
//! OpenAI-compatible API (POST {url}/chat/completions) or to Ollama (POST {url}/api/chat), through the
//! server's shared HTTP client (`observe::http::Endpoint`: bearer key, timeout, unreachable errors).

use crate::config::{LlmConfig, LlmKind};
use crate::error::{Error, Result};
use crate::observe::http::{excerpt, Endpoint};
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Duration;

/// How the backend is named in errors.
const BACKEND: &str = "LLM";

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

pub struct ChatClient {
    endpoint: Endpoint,
    api: Api,
    pub model: String,
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
        let endpoint = Endpoint {
            client: http.clone(),
            backend: BACKEND,
            base_url: url.clone(),
            username: None,
            password: None,
            bearer_token: config.api_key.clone(),
            headers: vec![],
            timeout: Duration::from_millis(config.timeout_ms),
            max_body_bytes: crate::observe::http::DEFAULT_MAX_RESPONSE_MB as usize * 1024 * 1024,
        };
        let api = match config.kind {
            LlmKind::Ollama => Api::Ollama,
            LlmKind::Openai => Api::OpenAi,
        };
        Ok(ChatClient { endpoint, api, model: model.clone() })
    }

    /// Sends the conversation asking for a JSON answer; returns the answer's text as the model wrote it.
    pub async fn complete_json(&self, messages: &[ChatMessage]) -> Result<String> {
        let (path, body) = match self.api {
            Api::OpenAi => (
                "/chat/completions",
                json!({"model": self.model, "messages": messages, "temperature": 0, "response_format": {"type": "json_object"}}),
            ),
            Api::Ollama => (
                "/api/chat",
                json!({"model": self.model, "messages": messages, "stream": false, "format": "json", "options": {"temperature": 0}}),
            ),
        };
        let answer = self.endpoint.post_json(path, &body).await?;
        if !(200..300).contains(&answer.status) {
            return Err(Error::upstream(
                BACKEND,
                format!("HTTP {} from {}{path}: {}", answer.status, self.endpoint.base_url, excerpt(&answer.body, 300)),
            ));
        }
        let reply: Value = serde_json::from_str(&answer.body).map_err(|e| {
            Error::upstream(BACKEND, format!("the answer is not JSON ({e}): {}", excerpt(&answer.body, 300)))
        })?;
        let content = match self.api {
            Api::OpenAi => &reply["choices"][0]["message"]["content"],
            Api::Ollama => &reply["message"]["content"],
        };
        content.as_str().map(str::to_string).ok_or_else(|| {
            let field = if self.api == Api::OpenAi { "choices[0].message.content" } else { "message.content" };
            Error::upstream(
                BACKEND,
                format!("the answer has no {field} (is llm.kind right?): {}", excerpt(&answer.body, 300)),
            )
        })
    }
}
