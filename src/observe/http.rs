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
    /// Answers larger than this are refused while being read (a 50 MB answer must not take 1 GB).
    pub max_body_bytes: usize,
}

/// Default of `[loki]`/`[prometheus]` `max_response_mb`.
pub const DEFAULT_MAX_RESPONSE_MB: u64 = 32;

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
    client_builder().build().unwrap_or_else(|_| reqwest::Client::new())
}

/// The builder behind [`new_client`], for a client that needs other settings (the model client keeps no idle
/// connections).
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Err means another part of the process installed one first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder().connect_timeout(Duration::from_secs(5))
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
        let content_type = content_type(&response);
        let cap = self.max_body_bytes;
        let too_big = || {
            Error::upstream(
                self.backend,
                format!(
                    "the backend answered more than {} MB; narrow the query (a shorter window, label filters, a lower limit) or raise max_response_mb in the [{}] config",
                    cap.div_ceil(1024 * 1024),
                    self.backend.to_ascii_lowercase()
                ),
            )
        };
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > cap {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        let body = String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
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

/// A response's Content-Type header ("" when absent or not text).
pub fn content_type(response: &reqwest::Response) -> String {
    response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// The first `max` characters of a backend's message, on one line.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line = text.trim().replace('\n', " ");
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves one answer of `size` bytes, with or without Content-Length.
    async fn backend(size: usize, with_length: bool) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = if with_length {
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n")
                } else {
                    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string()
                };
                let _ = s.write_all(head.as_bytes()).await;
                let chunk = vec![b'x'; 64 * 1024];
                let mut left = size;
                while left > 0 {
                    let n = left.min(chunk.len());
                    if s.write_all(&chunk[..n]).await.is_err() {
                        break;
                    }
                    left -= n;
                }
            }
        });
        format!("http://{addr}")
    }

    fn endpoint(url: String, cap: usize) -> Endpoint {
        Endpoint {
            client: new_client(),
            backend: "Prometheus",
            base_url: url,
            username: None,
            password: None,
            bearer_token: None,
            headers: vec![],
            timeout: Duration::from_secs(10),
            max_body_bytes: cap,
        }
    }

    #[tokio::test]
    async fn answers_over_the_cap_are_refused_while_read() {
        for with_length in [true, false] {
            let url = backend(5 * 1024 * 1024, with_length).await;
            let e = endpoint(url.clone(), 1024 * 1024).get("/api/v1/query", &[]).await.unwrap_err();
            assert!(matches!(e, Error::Upstream { .. }), "{e}");
            assert!(e.to_string().contains("answered more than 1 MB; narrow the query"), "{e}");
            let ok = endpoint(url, 8 * 1024 * 1024).get("/api/v1/query", &[]).await.unwrap();
            assert_eq!(ok.body.len(), 5 * 1024 * 1024);
        }
    }
}
