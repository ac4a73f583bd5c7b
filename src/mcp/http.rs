//! Streamable HTTP transport: rmcp's service under axum at `/mcp`, with Host and Origin checked (DNS
//! rebinding), a bearer token required beyond loopback and honoured on loopback when set. Bodies that are
//! not JSON-RPC are answered 400 with a JSON-RPC error; sessions expire when idle and are capped in number;
//! sockets use TCP_NODELAY (kept-alive calls are not held back by Nagle plus delayed ACK).

use super::server::McpServer;
use crate::config::Secret;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, LocalSessionManagerError};
use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub addr: SocketAddr,
    pub auth_token: Option<Secret>,
    pub extra_hosts: Vec<String>,
    pub extra_origins: Vec<String>,
    /// Sessions without a request for this long are closed.
    pub session_idle: Duration,
    /// At most this many live sessions; further initializes are answered 503.
    pub max_sessions: usize,
}

/// Defaults of `[http] session_idle_secs` and `max_sessions`.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_MAX_SESSIONS: usize = 1000;

/// The shortest bearer token accepted: a guessable token is no protection.
pub const MIN_TOKEN_LEN: usize = 16;

/// Refuses to expose the server beyond loopback without a token, and refuses empty, blank or short tokens.
pub fn check_bind(opts: &HttpOptions) -> anyhow::Result<()> {
    if let Some(t) = &opts.auth_token {
        let t = t.expose();
        if !t.is_empty() && (t.trim().len() < MIN_TOKEN_LEN || t.trim() != t) {
            anyhow::bail!(
                "the bearer token (--auth-token / KAFKA_QA_AUTH_TOKEN) must be at least {MIN_TOKEN_LEN} characters without surrounding spaces, e.g. from `openssl rand -hex 32`"
            );
        }
    }
    if !opts.addr.ip().is_loopback() && opts.auth_token.as_ref().is_none_or(|t| t.is_empty()) {
        anyhow::bail!(
            "refusing to listen on {} without a bearer token: set --auth-token or KAFKA_QA_AUTH_TOKEN, or bind 127.0.0.1",
            opts.addr
        );
    }
    Ok(())
}

pub fn router(server: McpServer, opts: &HttpOptions, cancel: CancellationToken) -> axum::Router {
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into(), "[::1]".into()];
    if !opts.addr.ip().is_loopback() && !opts.addr.ip().is_unspecified() {
        hosts.push(opts.addr.ip().to_string());
    }
    hosts.extend(opts.extra_hosts.iter().cloned());
    let mut origins: Vec<String> =
        vec!["http://localhost:*".into(), "http://127.0.0.1:*".into(), "http://[::1]:*".into()];
    origins.extend(opts.extra_origins.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .enforce_origin_validation()
        .with_cancellation_token(cancel.clone());
    let sessions = Arc::new(BoundedSessions::new(opts.session_idle, opts.max_sessions));
    let sweeper = sessions.clone();
    let sweep_every = (opts.session_idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(60));
    let stop = cancel.clone();
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(sweep_every) => sweeper.sweep().await,
                    _ = stop.cancelled() => break,
                }
            }
        });
    }
    let service = StreamableHttpService::new(move || Ok(server.clone()), sessions.clone(), config);
    let token = Arc::new(opts.auth_token.clone().filter(|t| !t.is_empty()));
    axum::Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn_with_state(sessions, check_messages))
        .layer(middleware::from_fn_with_state(token, require_token))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
}

/// rmcp's local sessions, closed after `idle` without a request (rmcp only stops the worker and keeps the
/// handle in its map) and capped at `max` live ones.
pub struct BoundedSessions {
    inner: LocalSessionManager,
    seen: std::sync::Mutex<HashMap<Arc<str>, Instant>>,
    idle: Duration,
    max: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionLimitError {
    #[error("{0} sessions are live, the server's limit (http.max_sessions); close idle sessions with DELETE or wait {1} s for them to expire")]
    Full(usize, u64),
    #[error(transparent)]
    Inner(#[from] LocalSessionManagerError),
}

type SessionId = Arc<str>;

impl BoundedSessions {
    pub fn new(idle: Duration, max: usize) -> BoundedSessions {
        let mut inner = LocalSessionManager::default();
        inner.session_config.keep_alive = Some(idle);
        BoundedSessions { inner, seen: Default::default(), idle, max }
    }

    fn touch(&self, id: &SessionId) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), Instant::now());
    }

    /// How many sessions are live.
    pub async fn live(&self) -> usize {
        self.inner.sessions.read().await.len()
    }

    /// Closes the sessions idle for longer than the limit (and forgets those already gone).
    pub async fn sweep(&self) {
        let expired: Vec<SessionId> = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let old: Vec<SessionId> =
                seen.iter().filter(|(_, t)| t.elapsed() > self.idle).map(|(id, _)| id.clone()).collect();
            for id in &old {
                seen.remove(id);
            }
            old
        };
        for id in expired {
            let _ = self.inner.close_session(&id).await;
        }
        let live: Vec<SessionId> = self.inner.sessions.read().await.keys().cloned().collect();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|id, _| live.contains(id));
        // Sessions in rmcp's map that we never saw a request for (should not happen) get a clock now.
        for id in live {
            seen.entry(id).or_insert_with(Instant::now);
        }
    }

    /// True when one more session would be over the limit (after closing the expired ones).
    pub async fn full(&self) -> bool {
        if self.live().await < self.max {
            return false;
        }
        self.sweep().await;
        self.live().await >= self.max
    }

    fn full_error(&self, live: usize) -> SessionLimitError {
        SessionLimitError::Full(live, self.idle.as_secs())
    }
}

impl SessionManager for BoundedSessions {
    type Error = SessionLimitError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        if self.full().await {
            return Err(self.full_error(self.live().await));
        }
        let (id, transport) = self.inner.create_session().await?;
        self.touch(&id);
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: rmcp::model::ClientJsonRpcMessage,
    ) -> Result<rmcp::model::ServerJsonRpcMessage, Self::Error> {
        self.touch(id);
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: rmcp::model::ClientJsonRpcMessage,
    ) -> Result<
        impl futures::Stream<Item = rmcp::transport::common::server_side_http::ServerSseMessage> + Send + Sync + 'static,
        Self::Error,
    > {
        self.touch(id);
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: rmcp::model::ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<
        impl futures::Stream<Item = rmcp::transport::common::server_side_http::ServerSseMessage> + Send + Sync + 'static,
        Self::Error,
    > {
        self.touch(id);
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<
        impl futures::Stream<Item = rmcp::transport::common::server_side_http::ServerSseMessage> + Send + Sync + 'static,
        Self::Error,
    > {
        self.touch(id);
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}

/// Answers what rmcp would drop or answer in plain text: a POST body that is not JSON (400, -32700) or not
/// an MCP message (400, -32600), an initialize beyond the session cap (503), and turns DELETE's 202 into
/// the 204 clients expect.
async fn check_messages(State(sessions): State<Arc<BoundedSessions>>, request: Request, next: Next) -> Response {
    use axum::http::Method;
    let json_error = |status: StatusCode, body: serde_json::Value| {
        (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    };
    if request.method() == Method::DELETE {
        let mut response = next.run(request).await;
        if response.status() == StatusCode::ACCEPTED {
            *response.status_mut() = StatusCode::NO_CONTENT;
        }
        return response;
    }
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                super::wire::error_reply(
                    serde_json::Value::Null,
                    super::wire::INVALID_REQUEST,
                    &format!("Invalid request: a body larger than {MAX_BODY_BYTES} bytes"),
                ),
            )
        }
    };
    let message = match super::wire::check_message(&bytes) {
        Ok(m) => m,
        Err(reply) => {
            tracing::warn!(error = %reply["error"]["message"], "answered an undecodable HTTP body");
            return json_error(StatusCode::BAD_REQUEST, reply);
        }
    };
    let initialize = matches!(
        &message,
        rmcp::model::JsonRpcMessage::Request(r) if matches!(r.request, rmcp::model::ClientRequest::InitializeRequest(_))
    );
    if initialize && !parts.headers.contains_key("mcp-session-id") && sessions.full().await {
        let id = match &message {
            rmcp::model::JsonRpcMessage::Request(r) => serde_json::to_value(&r.id).unwrap_or_default(),
            _ => serde_json::Value::Null,
        };
        let live = sessions.live().await;
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            super::wire::error_reply(id, -32000, &sessions.full_error(live).to_string()),
        );
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// The largest request body (rmcp's own limit).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

async fn require_token(State(token): State<Arc<Option<Secret>>>, request: Request, next: Next) -> Response {
    if let Some(expected) = token.as_ref() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "missing or wrong bearer token\n",
            )
                .into_response();
        }
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn serve(server: McpServer, opts: HttpOptions) -> anyhow::Result<()> {
    check_bind(&opts)?;
    let cancel = CancellationToken::new();
    let app = router(server, &opts, cancel.clone());
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(opts.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving MCP over Streamable HTTP at /mcp");
    // Without TCP_NODELAY a kept-alive client waits ~40 ms per call (Nagle plus delayed ACK).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            cancel.cancel();
        })
        .await?;
    Ok(())
}

pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(addr: &str, token: Option<&str>) -> HttpOptions {
        HttpOptions {
            addr: addr.parse().unwrap(),
            auth_token: token.map(Secret::new),
            extra_hosts: vec![],
            extra_origins: vec![],
            session_idle: DEFAULT_SESSION_IDLE,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }

    #[test]
    fn non_loopback_needs_a_token() {
        assert!(check_bind(&opts("127.0.0.1:0", None)).is_ok());
        assert!(check_bind(&opts("0.0.0.0:8080", None)).is_err());
        assert!(check_bind(&opts("0.0.0.0:8080", Some(""))).is_err());
        assert!(check_bind(&opts("0.0.0.0:8080", Some(" "))).is_err());
        assert!(check_bind(&opts("0.0.0.0:8080", Some("t0ken"))).is_err());
        assert!(check_bind(&opts("127.0.0.1:0", Some("   "))).is_err());
        assert!(check_bind(&opts("0.0.0.0:8080", Some(" 0123456789abcdef "))).is_err());
        assert!(check_bind(&opts("0.0.0.0:8080", Some("0123456789abcdef"))).is_ok());
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
