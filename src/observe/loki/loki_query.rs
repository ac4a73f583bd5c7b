//! The `loki_query` tool: logs over a window, as a summary (patterns with counts, times, examples and
//! Kafka event classes) or as lines grouped by stream. Metric LogQL returns series analysed like
//! `prom_snapshot`'s.

use super::client::{Direction, LogStream, LokiData, RangeQuery, ScanStats};
use super::summary::{summarise, EventSummary, LogPattern, SummaryOptions};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::mcp::reply::{Detail, Reply};
use crate::mcp::tool::{Backend, Tool, ToolInfo};
use crate::observe::prom::analysis::{analyse, clock, SeriesSummary};
use crate::observe::selector::{label_matcher, quoted};
use crate::observe::series::choose_step;
use crate::observe::time::{format_time, TimeWindow, WindowArgs};
use crate::text::cut_chars;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub struct LokiQuery;

/// Characters of a line shown in `lines` mode (detail full, concise).
const MAX_LINE_CHARS: usize = 1000;
const CONCISE_LINE_CHARS: usize = 300;
/// Patterns of a concise summary.
const CONCISE_PATTERNS: usize = 15;
/// Characters of a pattern in the text table (the JSON keeps it whole).
const PATTERN_TEXT_CHARS: usize = 150;

fn default_limit() -> usize {
    2000
}
fn default_max_patterns() -> usize {
    30
}
fn default_max_points() -> usize {
    120
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Patterns with counts, times, examples and Kafka event classes.
    #[default]
    Summary,
    /// The lines themselves, grouped by stream.
    Lines,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DirectionArg {
    /// Newest lines first (what the limit keeps).
    #[default]
    Backward,
    /// Oldest lines first.
    Forward,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LevelArg {
    Error,
    Warn,
    Info,
    Debug,
}

#[derive(Debug, Deserialize, JsonSchema)]
// Unknown arguments are refused by the published schema (checked before parsing); serde cannot also deny
// them here, since it does not combine deny_unknown_fields with the flattened window.
#[schemars(deny_unknown_fields)]
pub struct LokiQueryArgs {
    /// A LogQL query, e.g. `{job="kafka", broker="2"} |= "No space"`, or a metric query such as `sum by (broker) (count_over_time({job="kafka", level="ERROR"}[1m]))`. When given, `labels`, `contains`, `regex` and `level` must be left out.
    pub logql: Option<String>,
    /// Stream labels to select, e.g. {"job": "kafka", "broker": "2"} (also cluster, service_name, ...). A value with regex characters (`1|2`) matches as a regex. Needed when `logql` is not given.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Text each line must contain (case-sensitive), e.g. ["No space"]. Default: none.
    #[serde(default)]
    #[schemars(length(max = 5))]
    pub contains: Vec<String>,
    /// A regular expression lines must match (RE2), e.g. `ISR|leader`. Default: none.
    pub regex: Option<String>,
    /// Lowest level kept: `error` (error and fatal), `warn`, `info`, `debug`. Uses Loki's `detected_level`. Default: all.
    pub level: Option<LevelArg>,
    #[serde(flatten)]
    pub window: WindowArgs,
    /// Most lines read (Loki's own cap is usually 5000). Default 2000. The reply says when more lines matched.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 5000))]
    pub limit: usize,
    /// `backward` (newest first, default) or `forward` (oldest first): which end of the window the limit keeps.
    #[serde(default)]
    pub direction: DirectionArg,
    /// `summary` (default): patterns and Kafka event classes; `lines`: the lines, grouped by stream.
    #[serde(default)]
    pub mode: Mode,
    /// Most patterns in a summary, most important first. Default 30.
    #[serde(default = "default_max_patterns")]
    #[schemars(range(min = 1, max = 200))]
    pub max_patterns: usize,
    /// Metric queries only: most points per series (sets the step). Default 120.
    #[serde(default = "default_max_points")]
    #[schemars(range(min = 10, max = 11000))]
    pub max_points: usize,
    /// `concise` (default): 15 patterns, no examples, 300-char lines; `full`: all.
    #[serde(default)]
    pub detail: Detail,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StreamInfo {
    /// The stream's number, used by `lines`.
    pub stream: usize,
    pub labels: BTreeMap<String, String>,
    pub lines: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LineOut {
    /// The number of the stream in `streams`.
    pub stream: usize,
    #[schemars(with = "String")]
    pub time: DateTime<Utc>,
    pub line: String,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct LokiQueryOutput {
    /// The LogQL that ran.
    pub query: String,
    pub start: String,
    pub end: String,
    /// `streams` (log lines) or `matrix` (a metric query).
    pub result_type: String,
    pub lines_returned: usize,
    /// Lines Loki read to answer (its statistics), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_scanned: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_scanned: Option<u64>,
    /// More lines matched than `limit`: narrow the window or the filters, or page with `start`/`end`.
    pub limit_reached: bool,
    /// Lines per level.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub levels: BTreeMap<String, usize>,
    /// Kafka events seen (one per class), most severe first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventSummary>,
    /// Summary mode: line patterns, most important first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<LogPattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patterns_total: Option<usize>,
    /// Lines mode: the streams (label sets) the lines belong to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamInfo>,
    /// Lines mode: the lines, each naming its stream.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineOut>,
    /// Metric queries: each series analysed (statistics, trend, change points).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<SeriesSummary>,
    /// Log queries: the Kafka event classes as observations; pass it to graph_rca's `from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
}

impl Tool for LokiQuery {
    type Args = LokiQueryArgs;
    type Output = LokiQueryOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "loki_query",
            title: "Logs for a window (Loki)",
            description: "Reads Loki logs for a window: `summary` (patterns with counts, first/last seen and a Kafka event class such as out_of_space, broker_stop, isr_shrink) or `lines`; select with `logql` or `labels` + `contains`/`regex`/`level`. Returns a handle. Next: graph_rca with from: [handle], or prom_snapshot.",
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            writes_kafka: false,
            requires: &[Backend::Loki],
            resources: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: LokiQueryArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run(cx, args))
    }
}

async fn run(cx: &CallContext, args: LokiQueryArgs) -> Result<Reply> {
    let client = cx.state.loki()?;
    let window = args.window.resolve(Utc::now())?;
    let query = build_logql(&args)?;
    let step = choose_step(window.duration().num_milliseconds() as f64 / 1000.0, args.max_points);
    let direction = match args.direction {
        DirectionArg::Backward => Direction::Backward,
        DirectionArg::Forward => Direction::Forward,
    };
    let is_metric = !query.trim_start().starts_with('{');
    // One line more than asked says whether the limit cut the result.
    let mut request = RangeQuery {
        query: query.clone(),
        window,
        limit: args.limit + 1,
        direction,
        step_secs: is_metric.then_some(step),
    };
    let (data, stats, exact_limit) = match client.query_range(&request).await {
        Ok((d, s)) => (d, s, false),
        // A server capped at exactly `limit` refuses limit+1: ask for `limit` and report a full page as cut.
        Err(Error::Upstream { message, .. }) if message.contains("max entries limit") && args.limit < 5001 => {
            request.limit = args.limit;
            let (d, s) = client.query_range(&request).await?;
            (d, s, true)
        }
        Err(e) => return Err(e),
    };
    cx.check_cancelled()?;
    match data {
        LokiData::Streams(streams) => log_reply(cx, &args, &query, &window, streams, stats, exact_limit),
        LokiData::Series(series) => {
            let summaries: Vec<SeriesSummary> = series.iter().map(|s| analyse(s, &[], 12)).collect();
            metric_reply(&query, &window, step, summaries, stats)
        }
    }
}

/// The longest LogQL sent (it travels in the URL).
const MAX_QUERY_BYTES: usize = 16 * 1024;

/// The LogQL of the arguments: `logql` as given, or a selector from `labels` with line filters.
pub fn build_logql(args: &LokiQueryArgs) -> Result<String> {
    if let Some(q) = &args.logql {
        let helpers =
            !args.labels.is_empty() || !args.contains.is_empty() || args.regex.is_some() || args.level.is_some();
        if helpers {
            return Err(Error::bad_input("logql", "either `logql` or the helpers (`labels`, `contains`, `regex`, `level`), not both: put the filters into the LogQL"));
        }
        if q.trim().is_empty() {
            return Err(Error::bad_input("logql", "a LogQL query such as {job=\"kafka\"}"));
        }
        if q.len() > MAX_QUERY_BYTES {
            return Err(Error::bad_input("logql", format!("a query of at most {MAX_QUERY_BYTES} bytes")));
        }
        return Ok(q.trim().to_string());
    }
    if args.labels.is_empty() {
        return Err(Error::bad_input(
            "labels",
            "at least one stream label, e.g. {\"job\": \"kafka\"} or {\"service_name\": \"kafka\", \"broker\": \"2\"}, or a full `logql` query",
        ));
    }
    let matchers: Vec<String> = args.labels.iter().map(|(k, v)| label_matcher(k, v)).collect();
    let mut q = format!("{{{}}}", matchers.join(", "));
    for text in &args.contains {
        q.push_str(&format!(" |= {}", quoted(text)));
    }
    if let Some(re) = &args.regex {
        // Checked here (Loki's RE2 is close to the regex crate): a broken regex is the argument's fault,
        // not "Loki is unreachable".
        if let Err(e) = regex::RegexBuilder::new(re).size_limit(1 << 20).build() {
            return Err(Error::bad_input(
                "regex",
                format!(
                    "a valid regular expression (RE2 syntax); got `{}`: {}",
                    crate::error::quote_arg(re),
                    crate::text::cut_bytes(&e.to_string().replace('\n', " "), 300)
                ),
            ));
        }
        q.push_str(&format!(" |~ {}", quoted(re)));
    }
    if let Some(level) = args.level {
        let levels = match level {
            LevelArg::Error => "error|fatal|critical",
            LevelArg::Warn => "warn|warning|error|fatal|critical",
            LevelArg::Info => "info|warn|warning|error|fatal|critical",
            LevelArg::Debug => "debug|trace|info|warn|warning|error|fatal|critical",
        };
        q.push_str(&format!(" | detected_level=~\"(?i)({levels})\""));
    }
    if q.len() > MAX_QUERY_BYTES {
        return Err(Error::bad_input(
            "contains",
            format!(
                "filters (labels, contains, regex) of at most {MAX_QUERY_BYTES} bytes in all; got {} bytes",
                q.len()
            ),
        ));
    }
    Ok(q)
}

fn empty_hint(query: &str, window: &TimeWindow) -> String {
    format!(
        "no lines matched `{query}` from {} to {}. Try a wider window (e.g. start=now-6h), fewer `contains`/`regex` filters, or check the label values: a selector must match the streams' labels exactly (job, broker, cluster, service_name ...).",
        format_time(window.start),
        format_time(window.end)
    )
}

fn log_reply(
    cx: &CallContext,
    args: &LokiQueryArgs,
    query: &str,
    window: &TimeWindow,
    mut streams: Vec<LogStream>,
    stats: ScanStats,
    exact_limit: bool,
) -> Result<Reply> {
    let taxonomy = &cx.state.taxonomy;
    // The event classes as observations behind a handle, for graph_rca's `from`.
    let observations = crate::rca::live::log_observations(&streams, taxonomy);
    let what =
        format!("loki_query `{}` {} → {}", cut_chars(query, 80), format_time(window.start), format_time(window.end));
    let handle = crate::rca::handles::keep(&cx.state, "loki", window, observations, &what);
    let returned: usize = streams.iter().map(|s| s.entries.len()).sum();
    let limit_reached = if exact_limit { returned >= args.limit } else { returned > args.limit };
    if returned > args.limit {
        drop_extra_line(&mut streams, args.direction);
    }
    let lines_returned = returned.min(args.limit);
    let mut output = LokiQueryOutput {
        query: query.to_string(),
        start: format_time(window.start),
        end: format_time(window.end),
        result_type: "streams".into(),
        lines_returned,
        lines_scanned: stats.lines_scanned,
        bytes_scanned: stats.bytes_scanned,
        limit_reached,
        handle: Some(handle.clone()),
        ..Default::default()
    };
    let scanned = stats.lines_scanned.map_or(String::new(), |n| format!(", {n} scanned"));
    let cut = if limit_reached {
        format!(" — **limit {} reached**: more lines matched; narrow the window or filters", args.limit)
    } else {
        String::new()
    };
    let title = format!(
        "# Logs {} → {}\n`{query}`: {lines_returned} lines{scanned}{cut}. Handle `{handle}` (graph_rca `from`).",
        format_time(window.start),
        format_time(window.end)
    );
    let concise = args.detail == Detail::Concise;
    let next_args = serde_json::json!({"from": [handle], "start": output.start, "end": output.end});
    let hint = empty_hint(query, window);
    match args.mode {
        Mode::Summary => {
            let max_patterns = if concise { args.max_patterns.min(CONCISE_PATTERNS) } else { args.max_patterns };
            let mut summary = summarise(&streams, taxonomy, &SummaryOptions { max_patterns, ..Default::default() });
            if concise {
                summary.patterns.iter_mut().for_each(|p| p.examples.clear());
            }
            let mut text = vec![title];
            if !summary.levels.is_empty() {
                text.push(format!(
                    "Levels: {}",
                    summary.levels.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", ")
                ));
            }
            if !summary.events.is_empty() {
                text.push("**Kafka events**, most severe first (class ×lines first–last [sources]):".into());
                text.extend(summary.events.iter().map(|e| {
                    format!("- {} ×{} {}–{} [{}]", e.class, e.count, clock(e.first), clock(e.last), e.sources.join(","))
                }));
            }
            let rows = summary.patterns.iter().map(pattern_row).collect();
            output.levels = summary.levels;
            output.events = summary.events;
            output.patterns_total = Some(summary.patterns_total);
            output.patterns = summary.patterns;
            let why = match output.events.first() {
                Some(e) => format!("rank root causes from these log events ({} first at {}), with a prom_snapshot handle if you have one", e.class, clock(e.first)),
                None => "no Kafka event class in these lines: check the metrics of the window with prom_snapshot, or graph_rca with sources live".into(),
            };
            Ok(Reply::new(&output)?
                .summary(text.join("\n"))
                .next("graph_rca", next_args, why)
                .rows(
                    "patterns",
                    "| n | level | class | first–last | sources | pattern |\n|---|---|---|---|---|---|",
                    rows,
                )
                .when_empty(hint)
                .narrow_with(
                    "a smaller window, a `level` or `contains` filter, a label such as broker, or a lower max_patterns",
                ))
        }
        Mode::Lines => {
            let mut lines = vec![];
            for (i, s) in streams.iter().enumerate() {
                output.streams.push(StreamInfo { stream: i, labels: s.labels.clone(), lines: s.entries.len() });
                lines.extend(s.entries.iter().map(|e| LineOut {
                    stream: i,
                    time: super::summary::ns_to_time(e.ts_ns),
                    line: cut_chars(&e.line, if concise { CONCISE_LINE_CHARS } else { MAX_LINE_CHARS }),
                }));
            }
            match args.direction {
                DirectionArg::Backward => lines.sort_by_key(|l| std::cmp::Reverse(l.time)),
                DirectionArg::Forward => lines.sort_by_key(|l| l.time),
            }
            let mut text = vec![title, "Streams:".to_string()];
            text.extend(output.streams.iter().map(|s| {
                let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("- s{}: {{{}}} ({} lines)", s.stream, labels.join(", "), s.lines)
            }));
            let rows = lines
                .iter()
                .map(|l| format!("s{} {} {}", l.stream, format_time(l.time), l.line.replace('\n', "\n    ")))
                .collect();
            output.lines = lines;
            Ok(Reply::new(&output)?
                .summary(text.join("\n"))
                .next("graph_rca", next_args, "rank root causes from the event classes in these lines")
                .rows("lines", "", rows)
                .when_empty(hint)
                .narrow_with("a smaller window or limit, a `contains` filter, or mode=summary"))
        }
    }
}

/// Removes the one line past the limit: the oldest (backward) or newest (forward) of all streams.
fn drop_extra_line(streams: &mut [LogStream], direction: DirectionArg) {
    let pick = streams
        .iter()
        .enumerate()
        .flat_map(|(si, s)| s.entries.iter().enumerate().map(move |(ei, e)| (e.ts_ns, si, ei)));
    let victim = match direction {
        DirectionArg::Backward => pick.min(),
        DirectionArg::Forward => pick.max(),
    };
    if let Some((_, si, ei)) = victim {
        streams[si].entries.remove(ei);
    }
}

fn pattern_row(p: &LogPattern) -> String {
    format!(
        "| {} | {} | {} | {}–{} | {} | `{}` |",
        p.count,
        p.level,
        p.class.as_deref().unwrap_or("-"),
        clock(p.first),
        clock(p.last),
        p.sources.join(","),
        cut_chars(&p.pattern, PATTERN_TEXT_CHARS).replace('|', "\\|")
    )
}

fn metric_reply(
    query: &str,
    window: &TimeWindow,
    step: u64,
    series: Vec<SeriesSummary>,
    stats: ScanStats,
) -> Result<Reply> {
    let rows = series.iter().map(|s| s.row("logql")).collect();
    let output = LokiQueryOutput {
        query: query.to_string(),
        start: format_time(window.start),
        end: format_time(window.end),
        result_type: "matrix".into(),
        lines_scanned: stats.lines_scanned,
        bytes_scanned: stats.bytes_scanned,
        series,
        ..Default::default()
    };
    let scanned = stats.lines_scanned.map_or(String::new(), |n| format!(", {n} lines scanned"));
    let next_args = serde_json::json!({"labels": {"job": "kafka"}, "start": output.start, "end": output.end});
    Ok(Reply::new(&output)?
        .next("loki_query", next_args, "read the log patterns behind the counts (summary mode), or use your own selector")
        .summary(format!("# Log metrics {} → {} (step {step} s)\n`{query}`{scanned}", format_time(window.start), format_time(window.end)))
        .rows("series", SeriesSummary::TABLE_HEADING, rows)
        .when_empty(format!(
            "the metric query `{query}` matched no lines from {} to {}. Check the selector's labels, widen the window, or run it as a log query (mode=summary) to see what is there.",
            format_time(window.start),
            format_time(window.end)
        ))
        .narrow_with("aggregate with sum by (...) or filter the selector"))
}
