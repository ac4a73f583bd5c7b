//! The Prometheus HTTP client: instant and range queries returning plain series, with credentials, a
//! timeout, and Prometheus's error message quoted with the query.

use crate::config::{Backend, PrometheusConfig};
use crate::error::{Error, Result};
use crate::observe::http::{excerpt, Endpoint};
use crate::observe::series::{parse_data, Series};
use crate::observe::time::TimeWindow;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct PromClient {
    endpoint: Endpoint,
}

impl PromClient {
    pub fn from_config(config: &PrometheusConfig, http: &reqwest::Client) -> Result<PromClient> {
        let base_url = config.url.clone().ok_or_else(|| Backend::Prometheus.not_configured())?;
        Ok(PromClient {
            endpoint: Endpoint {
                client: http.clone(),
                backend: "Prometheus",
                base_url,
                username: config.username.clone(),
                password: config.password.clone(),
                bearer_token: config.bearer_token.clone(),
                headers: vec![],
                timeout: Duration::from_millis(config.timeout_ms),
                max_body_bytes: (config.max_response_mb as usize).saturating_mul(1024 * 1024),
            },
        })
    }

    /// `/api/v1/query_range`: every series over the window at `step_secs`.
    pub async fn query_range(&self, expr: &str, window: &TimeWindow, step_secs: u64) -> Result<Vec<Series>> {
        let params = [
            ("query", expr.to_string()),
            ("start", window.start_secs().to_string()),
            ("end", window.end_secs().to_string()),
            ("step", step_secs.to_string()),
        ];
        self.get("/api/v1/query_range", &params, expr).await
    }

    /// `/api/v1/query`: one sample per series at `at`.
    pub async fn query(&self, expr: &str, at: DateTime<Utc>) -> Result<Vec<Series>> {
        let params = [("query", expr.to_string()), ("time", (at.timestamp_millis() as f64 / 1000.0).to_string())];
        self.get("/api/v1/query", &params, expr).await
    }

    async fn get(&self, path: &str, params: &[(&str, String)], expr: &str) -> Result<Vec<Series>> {
        let answer = self.endpoint.get(path, params).await?;
        let body: Option<Value> = serde_json::from_str(&answer.body).ok();
        if answer.status != 200
            || body.as_ref().and_then(|b| b.get("status")).and_then(Value::as_str) != Some("success")
        {
            return Err(prom_error(answer.status, body.as_ref(), &answer.body, expr));
        }
        let data = body
            .as_ref()
            .and_then(|b| b.get("data"))
            .ok_or_else(|| Error::upstream("Prometheus", "an answer without `data`"))?;
        parse_data(data).map_err(|e| Error::upstream("Prometheus", format!("{e} (query `{expr}`)")))
    }
}

/// Prometheus errors are JSON `{"status":"error","errorType":"bad_data","error":"..."}`; proxies may send text.
pub fn prom_error(status: u16, body: Option<&Value>, raw: &str, expr: &str) -> Error {
    let kind = body.and_then(|b| b.get("errorType")).and_then(Value::as_str).unwrap_or("");
    let message = body
        .and_then(|b| b.get("error"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| excerpt(raw, 300));
    // A 200 that is not an API answer (an empty body, an HTML page): say so instead of "HTTP 200:".
    let message = match (status, message.trim().is_empty()) {
        (200, true) => "an empty answer instead of Prometheus API JSON".to_string(),
        (200, false) if body.is_none() => format!("an answer that is not Prometheus API JSON: {message}"),
        (_, true) => "no error message".to_string(),
        _ => message,
    };
    let expr = crate::error::quote_arg(expr);
    let fix = match (status, kind) {
        (401 | 403, _) => "check [prometheus] username/password or bearer_token in the config",
        (404, _) | (200, "") => "check that [prometheus] url points at Prometheus itself (it answers /api/v1/query)",
        (_, "bad_data") if message.contains("11,000") || message.contains("too many") => {
            "use a shorter window or a smaller `max_points`"
        }
        (_, "bad_data") => "fix the PromQL where the message points (metric names, braces, quotes, functions)",
        (_, "timeout") | (503, _) => "the query was too heavy: narrow the window, add label filters, or aggregate",
        (_, "execution") => "the query failed to run: add label filters or aggregate to reduce the series",
        _ => "fix what the message names and call again",
    };
    let kind = if kind.is_empty() { String::new() } else { format!(" {kind}") };
    Error::upstream("Prometheus", format!("HTTP {status}{kind}: {message} — for the query `{expr}`. To fix: {fix}"))
}
