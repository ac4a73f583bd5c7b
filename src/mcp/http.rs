//! Streamable HTTP transport: rmcp's service under axum at `/mcp`, with Host and Origin checked (DNS
//! rebinding), a bearer token required beyond loopback and honoured on loopback when set.

use super::server::McpServer;
use crate::config::Secret;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub addr: SocketAddr,
    pub auth_token: Option<Secret>,
    pub extra_hosts: Vec<String>,
    pub extra_origins: Vec<String>,
}

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
        .with_cancellation_token(cancel);
    let service =
        StreamableHttpService::new(move || Ok(server.clone()), Arc::new(LocalSessionManager::default()), config);
    let token = Arc::new(opts.auth_token.clone().filter(|t| !t.is_empty()));
    axum::Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn_with_state(token, require_token))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
}

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
    let listener = tokio::net::TcpListener::bind(opts.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving MCP over Streamable HTTP at /mcp");
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
