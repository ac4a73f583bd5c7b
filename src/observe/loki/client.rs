//! The Loki HTTP client: range queries (log streams or metric matrices) with credentials and tenant, and
//! Loki's text/plain errors turned into messages that quote the query and say what to fix.

use crate::config::{Backend, LokiConfig};
use crate::error::{Error, Result};
use crate::observe::http::{excerpt, Endpoint};
use crate::observe::series::{parse_data, Series};
use crate::observe::time::TimeWindow;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// One log line: its Unix time in nanoseconds and its text (multi-line entries keep their `\n`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub ts_ns: i64,
    pub line: String,
}

/// The lines of one stream (one label set).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogStream {
    pub labels: BTreeMap<String, String>,
    pub entries: Vec<LogEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Backward,
    Forward,
}

/// A `query_range` request.
#[derive(Debug, Clone)]
pub struct RangeQuery {
    pub query: String,
    pub window: TimeWindow,
    /// Maximum entries returned (log queries).
    pub limit: usize,
    pub direction: Direction,
    /// Seconds between points (metric queries).
    pub step_secs: Option<u64>,
}

/// What Loki returned.
#[derive(Debug, Clone, PartialEq)]
pub enum LokiData {
    Streams(Vec<LogStream>),
    Series(Vec<Series>),
}

/// What Loki read to answer (`stats.summary`), when it says.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScanStats {
    pub lines_scanned: Option<u64>,
    pub bytes_scanned: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct LokiClient {
    endpoint: Endpoint,
}

impl LokiClient {
    pub fn from_config(config: &LokiConfig, http: &reqwest::Client) -> Result<LokiClient> {
        let base_url = config.url.clone().ok_or_else(|| Backend::Loki.not_configured())?;
        let headers = config.tenant.iter().map(|t| ("X-Scope-OrgID".to_string(), t.clone())).collect();
        Ok(LokiClient {
            endpoint: Endpoint {
                client: http.clone(),
                backend: "Loki",
                base_url,
                username: config.username.clone(),
                password: config.password.clone(),
                bearer_token: config.bearer_token.clone(),
                headers,
                timeout: Duration::from_millis(config.timeout_ms),
                max_body_bytes: (config.max_response_mb as usize).saturating_mul(1024 * 1024),
            },
        })
    }

    /// Runs a `query_range` and returns its data and scan statistics.
    pub async fn query_range(&self, q: &RangeQuery) -> Result<(LokiData, ScanStats)> {
        let mut params = vec![
            ("query", q.query.clone()),
            ("start", ns(q.window.start.timestamp_nanos_opt())),
            ("end", ns(q.window.end.timestamp_nanos_opt())),
            ("limit", q.limit.to_string()),
            ("direction", if q.direction == Direction::Forward { "forward" } else { "backward" }.to_string()),
        ];
        if let Some(step) = q.step_secs {
            params.push(("step", step.to_string()));
        }
        let answer = self.endpoint.get("/loki/api/v1/query_range", &params).await?;
        if answer.status != 200 {
            return Err(loki_error(answer.status, &answer.body, &q.query));
        }
        let body: Value = serde_json::from_str(&answer.body).map_err(|e| {
            Error::upstream("Loki", format!("an answer that is not JSON ({e}): {}", excerpt(&answer.body, 200)))
        })?;
        parse_response(&body)
    }
}

impl LokiClient {
    /// Values of a stream label seen in the window (`/loki/api/v1/label/<name>/values`); empty when none.
    pub async fn label_values(&self, name: &str, window: &TimeWindow) -> Result<Vec<String>> {
        // RFC 3339: some Loki versions read large nanosecond numbers here as out of range.
        let params = [("start", window.start.to_rfc3339()), ("end", window.end.to_rfc3339())];
        let answer = self.endpoint.get(&format!("/loki/api/v1/label/{name}/values"), &params).await?;
        if answer.status != 200 {
            return Err(loki_error(answer.status, &answer.body, &format!("label values of {name}")));
        }
        let body: Value = serde_json::from_str(&answer.body).map_err(|e| {
            Error::upstream("Loki", format!("an answer that is not JSON ({e}): {}", excerpt(&answer.body, 200)))
        })?;
        Ok(body
            .get("data")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default())
    }
}

fn ns(t: Option<i64>) -> String {
    t.unwrap_or_default().to_string()
}

/// Parses a `query_range` body: `streams` into log streams, `matrix`/`vector` into series.
pub fn parse_response(body: &Value) -> Result<(LokiData, ScanStats)> {
    let data = body.get("data").ok_or_else(|| Error::upstream("Loki", "an answer without `data`"))?;
    let summary = data.pointer("/stats/summary");
    let stats = ScanStats {
        lines_scanned: summary.and_then(|s| s.get("totalLinesProcessed")).and_then(Value::as_u64),
        bytes_scanned: summary.and_then(|s| s.get("totalBytesProcessed")).and_then(Value::as_u64),
    };
    if data.get("resultType").and_then(Value::as_str) != Some("streams") {
        return Ok((LokiData::Series(parse_data(data)?), stats));
    }
    let result = data
        .get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::upstream("Loki", "a streams answer without a `result` list"))?;
    let mut streams = Vec::with_capacity(result.len());
    for s in result {
        let labels = s
            .get("stream")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        let values = s.get("values").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let mut entries = Vec::with_capacity(values.len());
        for v in values {
            // [ "<unix ns>", "<line>" ] (a third element, structured metadata, may follow).
            let ts_ns = v.get(0).and_then(Value::as_str).and_then(|t| t.parse::<i64>().ok());
            let line = v.get(1).and_then(Value::as_str);
            match (ts_ns, line) {
                (Some(ts_ns), Some(line)) => entries.push(LogEntry { ts_ns, line: line.to_string() }),
                _ => {
                    return Err(Error::upstream(
                        "Loki",
                        format!("a malformed log entry: {}", excerpt(&v.to_string(), 120)),
                    ))
                }
            }
        }
        streams.push(LogStream { labels, entries });
    }
    Ok((LokiData::Streams(streams), stats))
}

/// Loki answers errors as text/plain with a bare message: quote it and the query, and say what to fix.
pub fn loki_error(status: u16, body: &str, query: &str) -> Error {
    let message = excerpt(body, 400);
    let fix = match status {
        401 | 403 => "check [loki] username/password or bearer_token, and tenant (X-Scope-OrgID) in the config",
        404 => "check that [loki] url points at Loki itself (the server answers /loki/api/v1/query_range)",
        429 => "Loki is rate-limiting: wait and retry, or narrow the window",
        500..=599 => "Loki failed on its side: retry, or narrow the window and the query",
        _ if message.contains("max entries limit") => "lower `limit` below the server's max_entries_limit_per_query (often 5000), or narrow the window",
        _ if message.contains("maximum resolution") => "use a shorter window (start/end) or a larger step, so a series has at most 11,000 points",
        _ if message.contains("at least one regexp or equality matcher") => "add a label matcher with a non-empty value, e.g. {job=\"kafka\"} or app=~\".+\"",
        _ if message.contains("parse error") => "fix the LogQL syntax: line filters need quoted strings (|= \"No space\"), label values are quoted, braces balance",
        _ if message.contains("not supported as an instant query") => "use a metric query (count_over_time, rate) or a range of time",
        _ if message.contains("pipeline error") => "add `| __error__=\"\"` after the parser to drop lines it cannot parse, or use another parser",
        _ if message.contains("timestamp") => "make `start` earlier than `end`",
        _ => "fix what the message names and call again",
    };
    let what = if message.is_empty() {
        format!("HTTP {status} with an empty body")
    } else {
        format!("HTTP {status}: {message}")
    };
    Error::upstream("Loki", format!("{what} — for the query `{query}`. To fix: {fix}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_streams_and_stats() {
        let body = json!({"status": "success", "data": {"resultType": "streams", "result": [
            {"stream": {"broker": "2", "level": "ERROR"}, "values": [["1705287601234000000", "a\nb"], ["1705287601000000000", "c"]]}],
            "stats": {"summary": {"totalLinesProcessed": 1382, "totalBytesProcessed": 403628}}}});
        let (data, stats) = parse_response(&body).unwrap();
        let LokiData::Streams(s) = data else { panic!("streams expected") };
        assert_eq!(s[0].labels["broker"], "2");
        assert_eq!(s[0].entries[0], LogEntry { ts_ns: 1705287601234000000, line: "a\nb".into() });
        assert_eq!(stats.lines_scanned, Some(1382));
        assert_eq!(stats.bytes_scanned, Some(403628));
    }

    #[test]
    fn errors_quote_the_query_and_say_what_to_fix() {
        let e = loki_error(
            400,
            "parse error at line 1, col 30: syntax error: unexpected IDENTIFIER",
            "{job=\"kafka\"} |= No space",
        )
        .to_string();
        assert!(
            e.contains("parse error at line 1")
                && e.contains("`{job=\"kafka\"} |= No space`")
                && e.contains("quoted strings"),
            "{e}"
        );
        assert!(loki_error(401, "", "q").to_string().contains("bearer_token"));
    }
}
