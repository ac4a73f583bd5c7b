//! The `from` argument of tools that read a topic: where to start, as a model would write it.
//! `"earliest"`, `"latest"`, `"tail"` (the last `tail_count` messages of each partition),
//! `{"offset": N}` or `{"timestamp": "2024-01-15T03:00:00Z" | 1705287600000}`.

use super::sample::StartAt;
use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FromArg {
    /// "earliest" (oldest retained), "latest" (only new messages, waits up to timeout_ms) or "tail" (the last tail_count of each partition).
    Named(Position),
    /// Start at this offset in every partition read (clamped to what the partition holds).
    Offset(OffsetArg),
    /// Start at the first message at or after this time: RFC 3339 text or Unix milliseconds.
    Timestamp(TimestampArg),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    Earliest,
    Latest,
    Tail,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OffsetArg {
    /// Offset, 0 or more.
    #[schemars(range(min = 0))]
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimestampArg {
    /// RFC 3339 (e.g. "2024-01-15T03:00:00Z") or Unix milliseconds.
    pub timestamp: TimeValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TimeValue {
    Millis(i64),
    Text(String),
}

impl Default for FromArg {
    fn default() -> Self {
        FromArg::Named(Position::Tail)
    }
}

impl FromArg {
    /// The start position for sampling; `argument` names the argument in errors.
    pub fn to_start(&self, argument: &str, tail_count: u64) -> Result<StartAt> {
        Ok(match self {
            FromArg::Named(Position::Earliest) => StartAt::Earliest,
            FromArg::Named(Position::Latest) => StartAt::Latest,
            FromArg::Named(Position::Tail) => StartAt::Tail(tail_count),
            FromArg::Offset(o) if o.offset < 0 => {
                return Err(Error::bad_input(format!("{argument}.offset"), "an offset of 0 or more"))
            }
            FromArg::Offset(o) => StartAt::Offset(o.offset),
            FromArg::Timestamp(t) => StartAt::Timestamp(millis(&t.timestamp).ok_or_else(|| {
                Error::bad_input(
                    format!("{argument}.timestamp"),
                    "RFC 3339 text such as \"2024-01-15T03:00:00Z\" or Unix milliseconds (0 or more)",
                )
            })?),
        })
    }

    pub fn describe(&self, tail_count: u64) -> String {
        match self {
            FromArg::Named(Position::Earliest) => "earliest".into(),
            FromArg::Named(Position::Latest) => "latest".into(),
            FromArg::Named(Position::Tail) => format!("tail {tail_count} per partition"),
            FromArg::Offset(o) => format!("offset {}", o.offset),
            FromArg::Timestamp(t) => match &t.timestamp {
                TimeValue::Millis(ms) => format!("timestamp {ms} ms"),
                TimeValue::Text(s) => format!("timestamp {s}"),
            },
        }
    }
}

pub(crate) fn millis(t: &TimeValue) -> Option<i64> {
    let ms = match t {
        TimeValue::Millis(ms) => *ms,
        TimeValue::Text(s) => match s.trim().parse::<i64>() {
            Ok(ms) => ms,
            Err(_) => chrono::DateTime::parse_from_rfc3339(s.trim()).ok()?.timestamp_millis(),
        },
    };
    (ms >= 0).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> std::result::Result<FromArg, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn accepts_each_form() {
        assert_eq!(parse(json!("earliest")).unwrap().to_start("from", 5).unwrap(), StartAt::Earliest);
        assert_eq!(parse(json!("tail")).unwrap().to_start("from", 5).unwrap(), StartAt::Tail(5));
        assert_eq!(parse(json!({"offset": 12})).unwrap().to_start("from", 5).unwrap(), StartAt::Offset(12));
        assert_eq!(
            parse(json!({"timestamp": 1705287600000i64})).unwrap().to_start("from", 5).unwrap(),
            StartAt::Timestamp(1705287600000)
        );
        assert_eq!(
            parse(json!({"timestamp": "2024-01-15T03:00:00Z"})).unwrap().to_start("from", 5).unwrap(),
            StartAt::Timestamp(1705287600000)
        );
        assert_eq!(FromArg::default().to_start("from", 7).unwrap(), StartAt::Tail(7));
    }

    #[test]
    fn rejects_bad_forms_naming_the_argument() {
        assert!(parse(json!("newest")).is_err());
        assert!(parse(json!({"offset": 1, "x": 2})).is_err());
        let e = parse(json!({"timestamp": "yesterday"})).unwrap().to_start("from", 1).unwrap_err();
        assert_eq!(e.argument(), Some("from.timestamp"));
        let e = parse(json!({"offset": -1})).unwrap().to_start("from", 1).unwrap_err();
        assert_eq!(e.argument(), Some("from.offset"));
    }
}
