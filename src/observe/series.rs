//! Metric series as Prometheus and Loki both return them (`matrix` and `vector` results share one JSON
//! shape), parsed into plain data that the analysis, the chart and other domains (root cause, export) use.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One sample: Unix seconds and a value (NaN and infinities are kept: Prometheus can return them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub t: f64,
    pub v: f64,
}

/// One labelled series, points in time order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<Point>,
}

impl Series {
    /// `{a="1", b="x"}`, or `{}`: how a series is named in text.
    pub fn label_text(&self) -> String {
        let inner: Vec<String> = self.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        format!("{{{}}}", inner.join(", "))
    }
}

/// Prometheus refuses range queries with more points per series than this (Loki too).
pub const BACKEND_MAX_POINTS: usize = 11_000;

/// Steps a person reads easily (and that line up with 15 s scrapes); larger windows use whole hours.
const NICE_STEPS: [u64; 16] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];

/// The smallest readable step (1 s, 15 s, 1 min, 5 min, ...) that keeps a series over `window_secs`
/// within `max_points` points (and never over the backends' 11,000).
pub fn choose_step(window_secs: f64, max_points: usize) -> u64 {
    let budget = max_points.clamp(2, BACKEND_MAX_POINTS) as f64;
    let least = (window_secs / (budget - 1.0)).ceil().max(1.0) as u64;
    NICE_STEPS.iter().copied().find(|&s| s >= least).unwrap_or_else(|| least.div_ceil(3600) * 3600)
}

/// Points a range query returns per series with this step.
pub fn points_per_series(window_secs: f64, step_secs: u64) -> usize {
    (window_secs / step_secs.max(1) as f64).floor() as usize + 1
}

/// Parses the `data` object of a `matrix`, `vector` or `scalar` result into series.
pub fn parse_data(data: &Value) -> Result<Vec<Series>> {
    let kind = data.get("resultType").and_then(Value::as_str).unwrap_or("");
    let result = data.get("result").unwrap_or(&Value::Null);
    let bad = |what: &str| Error::upstream("metrics backend", format!("unexpected {kind} result: {what}"));
    match kind {
        "matrix" | "vector" => {
            let items = result.as_array().ok_or_else(|| bad("`result` is not a list"))?;
            items
                .iter()
                .map(|item| {
                    let labels = item
                        .get("metric")
                        .and_then(Value::as_object)
                        .map(|m| {
                            m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect()
                        })
                        .unwrap_or_default();
                    let points = if kind == "matrix" {
                        let values = item
                            .get("values")
                            .and_then(Value::as_array)
                            .ok_or_else(|| bad("a series without `values`"))?;
                        values
                            .iter()
                            .map(|p| parse_point(p).ok_or_else(|| bad("a malformed point")))
                            .collect::<Result<Vec<_>>>()?
                    } else {
                        vec![item.get("value").and_then(parse_point).ok_or_else(|| bad("a sample without `value`"))?]
                    };
                    Ok(Series { labels, points })
                })
                .collect()
        }
        "scalar" => Ok(vec![Series {
            labels: BTreeMap::new(),
            points: vec![parse_point(result).ok_or_else(|| bad("a malformed scalar"))?],
        }]),
        other => Err(bad(&format!("result type `{other}` is not a metric result"))),
    }
}

/// `[1705287660, "6"]` -> Point. Values are strings so that NaN and ±Inf survive JSON.
fn parse_point(p: &Value) -> Option<Point> {
    let pair = p.as_array()?;
    let t = pair.first()?.as_f64()?;
    let v = match pair.get(1)? {
        Value::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "+Inf" | "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            s => s.parse().ok()?,
        },
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    Some(Point { t, v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_matrix_vector_and_scalar() {
        let m = parse_data(&json!({"resultType": "matrix", "result": [{"metric": {"broker": "1"}, "values": [[1705287660, "6"], [1705287720.5, "NaN"]]}]})).unwrap();
        assert_eq!(m[0].labels["broker"], "1");
        assert_eq!(m[0].points[0], Point { t: 1705287660.0, v: 6.0 });
        assert!(m[0].points[1].v.is_nan());
        let v = parse_data(&json!({"resultType": "vector", "result": [{"metric": {}, "value": [1705289400, "+Inf"]}]}))
            .unwrap();
        assert_eq!(v[0].points, vec![Point { t: 1705289400.0, v: f64::INFINITY }]);
        assert_eq!(v[0].label_text(), "{}");
        let s = parse_data(&json!({"resultType": "scalar", "result": [1705289400, "2"]})).unwrap();
        assert_eq!(s[0].points[0].v, 2.0);
    }

    #[test]
    fn the_step_keeps_every_series_within_the_budget() {
        for (window, budget) in
            [(3600.0, 240), (86400.0 * 30.0, 11_000), (7200.0, 480), (60.0, 1000), (86400.0 * 30.0, 50_000)]
        {
            let step = choose_step(window, budget);
            let points = points_per_series(window, step);
            assert!(points <= budget.min(BACKEND_MAX_POINTS), "{window}/{budget}: step {step} gives {points}");
            let smaller = NICE_STEPS.iter().rev().find(|&&s| s < step);
            assert!(
                smaller.is_none_or(|&s| points_per_series(window, s) > budget.min(BACKEND_MAX_POINTS)),
                "{window}/{budget}: step {step} is not the smallest"
            );
        }
    }

    #[test]
    fn refuses_log_streams_and_malformed_points() {
        assert!(parse_data(&json!({"resultType": "streams", "result": []})).is_err());
        assert!(parse_data(&json!({"resultType": "matrix", "result": [{"metric": {}, "values": [["x"]]}]})).is_err());
    }
}
