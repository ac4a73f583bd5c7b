//! The one HTTP client the observability backends share, and the GET both the Loki and the Prometheus
//! clients make: base URL + path + parameters, credentials, a timeout, and errors that say what went wrong.

use crate::config::Secret;
use crate::error::{Error, Result};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Credentials and headers of one backend, taken from its config section, and the client to reach it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub client: reqwest::Client,
    /// Which backend, for error messages ("Loki", "Prometheus").
    pub backend: &'static str,
    pub base_url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub bearer_token: Option<Secret>,
    /// Extra headers sent on every request (Loki's `X-Scope-OrgID`).
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
}

/// What a backend answered: the status, the content type and the body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// A new client (the server keeps one in `AppState::http`). reqwest is built with `rustls-no-provider`,
/// so the ring provider is installed once before any client is built, or reqwest panics.
pub fn new_client() -> reqwest::Client {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Err means another part of the process installed one first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

impl Endpoint {
    /// GETs `path` with `params`; any status is returned, transport failures become `unreachable`.
    pub async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Answer> {
        let mut url = self.url(path)?;
        url.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        self.send(self.client.get(url)).await
    }

    /// POSTs `body` as JSON to `path`; the same status and error handling as [`Endpoint::get`].
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<Answer> {
        let url = self.url(path)?;
        self.send(self.client.post(url).json(body)).await
    }

    fn url(&self, path: &str) -> Result<reqwest::Url> {
        let base = self.base_url.trim_end_matches('/');
        reqwest::Url::parse(&format!("{base}{path}")).map_err(|e| {
            Error::not_configured(
                self.backend,
                format!("the URL `{base}` is not valid ({e}); set it to e.g. http://127.0.0.1:3100"),
            )
        })
    }

    /// Adds the credentials, headers and timeout, sends, and reads the whole answer.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer> {
        let base = self.base_url.trim_end_matches('/');
        let mut request = request.timeout(self.timeout);
        if let Some(token) = self.bearer_token.as_ref().filter(|t| !t.is_empty()) {
            request = request.bearer_auth(token.expose());
        } else if let Some(user) = &self.username {
            request = request.basic_auth(user, self.password.as_ref().map(|p| p.expose()));
        }
        for (k, v) in &self.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let started = Instant::now();
        let unreachable = |e: reqwest::Error| {
            let what = if e.is_timeout() { "no answer within the timeout".to_string() } else { describe(&e) };
            Error::unreachable(self.backend, started.elapsed(), format!("{what} ({base})"))
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.text().await.map_err(unreachable)?;
        Ok(Answer { status, content_type, body })
    }
}

/// The innermost cause of a transport error ("Connection refused"), which says more than reqwest's top line.
fn describe(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// The first `max` characters of a backend's message, on one line.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line = text.trim().replace('\n', " ");
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}
