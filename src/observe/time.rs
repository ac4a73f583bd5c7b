//! Time windows as an agent writes them: `now`, `now-15m` (s, m, h, d, w), RFC 3339, Unix seconds or
//! milliseconds (as a string or a number). Everything is UTC. Parsing is pure: `now` is passed in, so the
//! same input always gives the same window in tests.

use crate::error::{Error, Result};
use chrono::{DateTime, Duration, TimeZone, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The window used when neither `start` nor `end` is given, and the length before `end` when only `end` is.
pub const DEFAULT_WINDOW: Duration = Duration::hours(1);
/// The longest window a query may cover (Loki's default `max_query_length` is 30 days and 1 hour).
pub const MAX_WINDOW: Duration = Duration::days(30);

/// Numbers below this are Unix seconds, at or above it milliseconds (1e11 s is the year 5138; 1e11 ms is
/// March 1973, so no realistic time is ambiguous).
const MILLIS_THRESHOLD: f64 = 1e11;
/// Numbers at or above this (Unix milliseconds in the year 5138) are neither seconds nor milliseconds.
const MILLIS_LIMIT: f64 = 1e14;

/// A point in time as the agent wrote it: a string (`now`, `now-15m`, RFC 3339, digits) or a number.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum TimeArg {
    Number(f64),
    Text(String),
}

impl From<&str> for TimeArg {
    fn from(s: &str) -> Self {
        TimeArg::Text(s.to_string())
    }
}

/// A resolved window, start strictly before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TimeWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl TimeWindow {
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
    /// Both ends in Unix seconds (what Prometheus and Loki accept).
    pub fn start_secs(&self) -> f64 {
        self.start.timestamp_millis() as f64 / 1000.0
    }
    pub fn end_secs(&self) -> f64 {
        self.end.timestamp_millis() as f64 / 1000.0
    }
}

const EXPECTED: &str = "`now`, `now-15m` (units s, m, h, d, w), an RFC 3339 time such as 2024-01-15T03:00:00Z, or Unix seconds or milliseconds";

/// Parses one time argument; `argument` names it in errors.
pub fn parse_time(argument: &str, value: &TimeArg, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let bad = |got: &dyn std::fmt::Display| {
        Error::bad_input(argument, format!("{EXPECTED}; got {}", crate::error::quote_arg(&got.to_string())))
    };
    match value {
        TimeArg::Number(n) => from_unix(*n).ok_or_else(|| bad(n)),
        TimeArg::Text(text) => {
            let s = text.trim();
            if s.eq_ignore_ascii_case("now") {
                return Ok(now);
            }
            if let Some(rest) = s.strip_prefix("now-").or_else(|| s.strip_prefix("NOW-")) {
                // Checked: `now-100000000d` lies before the first representable time.
                return parse_duration(rest)
                    .and_then(|d| now.checked_sub_signed(d))
                    .ok_or_else(|| bad(&format!("`{text}` (a time after year -262143)")));
            }
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Ok(t.with_timezone(&Utc));
            }
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                if let Some(t) = s.parse::<f64>().ok().and_then(from_unix) {
                    return Ok(t);
                }
            }
            Err(bad(&format!("`{text}`")))
        }
    }
}

/// `15m`, `2h`, `7d`, `1w`, `30s`: a positive whole number and one unit.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok().filter(|n| *n > 0)?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    n.checked_mul(secs).and_then(Duration::try_seconds)
}

fn from_unix(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || !(0.0..MILLIS_LIMIT).contains(&n) {
        return None;
    }
    let millis = if n < MILLIS_THRESHOLD { n * 1000.0 } else { n };
    Utc.timestamp_millis_opt(millis.round() as i64).single()
}

/// Resolves `start` and `end` (both optional) into a window: end defaults to now, start to `DEFAULT_WINDOW`
/// before end. Start must be before end and the window at most `max` long.
pub fn resolve_window(
    start: Option<&TimeArg>,
    end: Option<&TimeArg>,
    now: DateTime<Utc>,
    max: Duration,
) -> Result<TimeWindow> {
    let end = match end {
        Some(v) => parse_time("end", v, now)?,
        None => now,
    };
    let start = match start {
        Some(v) => parse_time("start", v, now)?,
        None => end.checked_sub_signed(DEFAULT_WINDOW).ok_or_else(|| {
            Error::bad_input(
                "end",
                format!("a time at least one hour after the first representable time; got {}", end.to_rfc3339()),
            )
        })?,
    };
    if start >= end {
        return Err(Error::bad_input(
            "start",
            format!(
                "a time before `end` ({}); got {} — swap them or move `start` earlier",
                end.to_rfc3339(),
                start.to_rfc3339()
            ),
        ));
    }
    if end - start > max {
        return Err(Error::bad_input(
            "start",
            format!(
                "a window of at most {} days; got {} hours — narrow `start`/`end`",
                max.num_days(),
                (end - start).num_hours()
            ),
        ));
    }
    Ok(TimeWindow { start, end })
}

// The `start`/`end` arguments of every tool that reads a window, flattened into its arguments. (A plain
// comment: a doc comment would become the description of each tool's whole input schema.)
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct WindowArgs {
    /// Window start: `now-1h`, RFC 3339, Unix s or ms. Default: one hour before `end`.
    #[serde(default)]
    pub start: Option<TimeArg>,
    /// Window end (same forms). Default: now.
    #[serde(default)]
    pub end: Option<TimeArg>,
}

impl WindowArgs {
    /// The window these arguments name, at most [`MAX_WINDOW`] long.
    pub fn resolve(&self, now: DateTime<Utc>) -> Result<TimeWindow> {
        resolve_window(self.start.as_ref(), self.end.as_ref(), now, MAX_WINDOW)
    }

    pub fn is_empty(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }
}

/// RFC 3339 at second precision (milliseconds when present): how times appear in tool output.
/// A time given in Unix milliseconds, formatted as [`format_time`] does (the number itself if out of range).
pub fn format_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map(format_time).unwrap_or_else(|| ms.to_string())
}

pub fn format_time(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_millis() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 15, 4, 0, 0).unwrap()
    }
    fn t(s: &str) -> DateTime<Utc> {
        parse_time("start", &TimeArg::from(s), now()).unwrap()
    }
    fn n(x: f64) -> DateTime<Utc> {
        parse_time("start", &TimeArg::Number(x), now()).unwrap()
    }
    fn rejected(v: TimeArg) -> String {
        let e = parse_time("start", &v, now()).unwrap_err();
        assert_eq!(e.argument(), Some("start"));
        e.to_string()
    }

    #[test]
    fn accepts_now_and_relative_times_in_every_unit() {
        assert_eq!(t("now"), now());
        assert_eq!(t(" NOW "), now());
        assert_eq!(t("now-30s"), now() - Duration::seconds(30));
        assert_eq!(t("now-15m"), now() - Duration::minutes(15));
        assert_eq!(t("now-2h"), now() - Duration::hours(2));
        assert_eq!(t("now-1d"), now() - Duration::days(1));
        assert_eq!(t("now-1w"), now() - Duration::weeks(1));
    }

    #[test]
    fn accepts_rfc3339_in_any_offset_as_utc() {
        let want = Utc.with_ymd_and_hms(2024, 1, 15, 3, 0, 1).unwrap();
        assert_eq!(t("2024-01-15T03:00:01Z"), want);
        assert_eq!(t("2024-01-15T04:00:01+01:00"), want);
        assert_eq!(t("2024-01-15T03:00:01.250Z"), want + Duration::milliseconds(250));
    }

    #[test]
    fn accepts_unix_seconds_and_milliseconds_as_strings_and_numbers() {
        let want = Utc.with_ymd_and_hms(2024, 1, 15, 3, 0, 0).unwrap();
        assert_eq!(t("1705287600"), want);
        assert_eq!(t("1705287600000"), want);
        assert_eq!(t("1705287600.5"), want + Duration::milliseconds(500));
        assert_eq!(n(1705287600.0), want);
        assert_eq!(n(1705287600000.0), want);
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for bad in [
            "",
            "yesterday",
            "now-",
            "now-15",
            "now-15y",
            "now-0m",
            "now+15m",
            "now-1.5h",
            "2024-01-15",
            "15m",
            "-5",
            "1705287600000000000",
        ] {
            let msg = rejected(TimeArg::from(bad));
            assert!(msg.contains("RFC 3339"), "{bad}: {msg}");
        }
        rejected(TimeArg::Number(-1.0));
        rejected(TimeArg::Number(1.7e18));
    }

    #[test]
    fn numbers_and_strings_deserialize_from_json() {
        let v: TimeArg = serde_json::from_str("1705287600").unwrap();
        assert_eq!(v, TimeArg::Number(1705287600.0));
        let v: TimeArg = serde_json::from_str("\"now-5m\"").unwrap();
        assert_eq!(v, TimeArg::from("now-5m"));
    }

    #[test]
    fn default_window_is_the_last_hour() {
        let w = resolve_window(None, None, now(), MAX_WINDOW).unwrap();
        assert_eq!(w.end, now());
        assert_eq!(w.duration(), Duration::hours(1));
        let w = resolve_window(None, Some(&"now-2h".into()), now(), MAX_WINDOW).unwrap();
        assert_eq!(w.end, now() - Duration::hours(2));
        assert_eq!(w.start, now() - Duration::hours(3));
        let w = resolve_window(Some(&"now-15m".into()), None, now(), MAX_WINDOW).unwrap();
        assert_eq!((w.start, w.end), (now() - Duration::minutes(15), now()));
    }

    #[test]
    fn start_after_end_names_start() {
        for (s, e) in [("2024-01-15T03:30:00Z", "2024-01-15T02:50:00Z"), ("now", "now")] {
            let err = resolve_window(Some(&s.into()), Some(&e.into()), now(), MAX_WINDOW).unwrap_err();
            assert_eq!(err.argument(), Some("start"));
            assert!(err.to_string().contains("before `end`"), "{err}");
        }
    }

    #[test]
    fn bad_end_names_end() {
        let err = resolve_window(None, Some(&"soon".into()), now(), MAX_WINDOW).unwrap_err();
        assert_eq!(err.argument(), Some("end"));
    }

    #[test]
    fn windows_longer_than_the_cap_are_refused() {
        let err = resolve_window(Some(&"now-31d".into()), None, now(), MAX_WINDOW).unwrap_err();
        assert_eq!(err.argument(), Some("start"));
        assert!(err.to_string().contains("at most 30 days"), "{err}");
        assert!(resolve_window(Some(&"now-30d".into()), None, now(), MAX_WINDOW).is_ok());
    }

    #[test]
    fn relative_times_beyond_the_calendar_are_bad_input_not_a_panic() {
        for (arg, v) in [("start", "now-100000000d"), ("end", "now-9999999999w"), ("start", "now-9223372036854775807s")]
        {
            let e = parse_time(arg, &TimeArg::from(v), now()).unwrap_err();
            assert_eq!(e.argument(), Some(arg), "{v}");
        }
        let e = resolve_window(Some(&"now-100000000d".into()), None, now(), MAX_WINDOW).unwrap_err();
        assert_eq!(e.argument(), Some("start"));
        let e = resolve_window(None, Some(&"now-100000000d".into()), now(), MAX_WINDOW).unwrap_err();
        assert_eq!(e.argument(), Some("end"));
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format_time(t("2024-01-15T03:00:01Z")), "2024-01-15T03:00:01Z");
        assert_eq!(format_time(t("2024-01-15T03:00:01.234Z")), "2024-01-15T03:00:01.234Z");
    }
}
