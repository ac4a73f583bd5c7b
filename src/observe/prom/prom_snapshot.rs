//! The `prom_snapshot` tool: PromQL or Kafka presets over a window (or at an instant), each series
//! summarised (statistics, trend, change points, states) with its downsampled shape, and a chart on request.

use super::analysis::{analyse, SeriesSummary, StateRule};
use super::catalog::{Catalog, Filters, ResolvedQuery};
use super::chart::{render_png, Panel, MAX_PANELS, PALETTE};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Backend, Tool, ToolInfo};
use crate::observe::series::{choose_step, points_per_series, Series, BACKEND_MAX_POINTS};
use crate::observe::time::{format_time, parse_time, TimeArg, TimeWindow, WindowArgs};
use base64::Engine;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub struct PromSnapshot;

fn default_max_points() -> usize {
    240
}
fn default_shape_points() -> usize {
    12
}
fn default_max_series() -> usize {
    20
}

#[derive(Debug, Deserialize, JsonSchema)]
// Unknown arguments are refused by the published schema (checked before parsing); serde cannot also deny
// them here, since it does not combine deny_unknown_fields with the flattened window.
#[schemars(deny_unknown_fields)]
pub struct PromSnapshotArgs {
    /// PromQL expressions to run, e.g. `sum by (broker) (kafka_server_replicamanager_underreplicatedpartitions)`. Run together with any presets. Default: none (and the `broker_health` preset when no preset is given either).
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub queries: Vec<String>,
    /// Kafka presets: `broker_health` (up, under-replicated, offline partitions, active controller, disk used, request handler idle), `replication` (under-replicated by broker and topic, ISR shrink/expand rates, brokers, leaders), `consumer_lag` (lag per group and topic), `jvm_gc` (GC time share, heap), `request_latency` (produce/fetch p99, handler idle), `quotas` (produce/fetch throttle time per client), `partition_skew` (growth of each partition against its topic's mean), `throughput` (messages and bytes in/out). Metric names cover the JMX exporter and kafka_exporter.
    #[serde(default)]
    #[schemars(length(max = 6))]
    pub presets: Vec<String>,
    /// Only this broker (the `broker` label; a regex such as `1|2` is allowed). Applies to preset metrics that have the label.
    pub broker: Option<String>,
    /// Only this topic (the `topic` label; regex allowed). Applies to preset metrics that have the label.
    pub topic: Option<String>,
    /// Only this consumer group (kafka_exporter's `consumergroup` label; regex allowed).
    pub group: Option<String>,
    #[serde(flatten)]
    pub window: WindowArgs,
    /// Evaluate at this single instant instead of over a window (same forms as `start`); `start`/`end` are then ignored.
    pub at: Option<TimeArg>,
    /// Seconds between points. Default: the smallest step that keeps every series within `max_points`.
    #[schemars(range(min = 1, max = 86400))]
    pub step: Option<u64>,
    /// Most points fetched per series (sets the automatic step; Prometheus allows 11,000). Default 240.
    #[serde(default = "default_max_points")]
    #[schemars(range(min = 10, max = 11000))]
    pub max_points: usize,
    /// Points of each series' shape included in the reply (downsampled, spikes kept). Default 12; 0 for none.
    #[serde(default = "default_shape_points")]
    #[schemars(range(min = 0, max = 500))]
    pub shape_points: usize,
    /// Most series kept per query (the others are counted). Default 20.
    #[serde(default = "default_max_series")]
    #[schemars(range(min = 1, max = 500))]
    pub max_series: usize,
    /// Also return a PNG chart of the window (one panel per query; no text in the image, the reply says which colour is which). Default false.
    #[serde(default)]
    pub chart: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QueryInfo {
    pub id: String,
    pub title: String,
    pub expr: String,
    /// Series the query returned.
    pub series: usize,
    /// Series summarised in `series` (at most `max_series`).
    pub shown: usize,
    /// The state this query's values are judged by, e.g. `under_replicated when above 0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_rule: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SeriesOut {
    /// The id of the query the series came from.
    pub query: String,
    #[serde(flatten)]
    pub summary: SeriesSummary,
}

/// One state span, with where it happened: the roll-up an incident review reads first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Finding {
    pub query: String,
    pub labels: String,
    pub state: String,
    pub from: String,
    pub to: String,
    pub ongoing: bool,
    pub worst: f64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChartPanelLegend {
    pub query: String,
    /// `colour: labels` for each line of the panel, top to bottom as drawn.
    pub lines: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PromSnapshotOutput {
    pub start: String,
    pub end: String,
    /// True when evaluated at one instant (`at`).
    pub instant: bool,
    /// Seconds between points (range queries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_secs: Option<u64>,
    pub queries: Vec<QueryInfo>,
    /// Every state span found, earliest first (at most 40).
    pub findings: Vec<Finding>,
    pub findings_total: usize,
    /// One entry per series: statistics, trend, change points, states, shape.
    pub series: Vec<SeriesOut>,
    /// Which panel and colour of the chart image is which (when `chart` is true).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chart_legend: Vec<ChartPanelLegend>,
    /// This reply's states as observations: pass it to graph_rca's `from`.
    pub handle: String,
}

const MAX_FINDINGS: usize = 40;

impl Tool for PromSnapshot {
    type Args = PromSnapshotArgs;
    type Output = PromSnapshotOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "prom_snapshot",
            title: "Metrics snapshot (Prometheus)",
            description: "Reads Kafka metrics from Prometheus for a window: per series min/max/mean/last, trend, change points and states with spans (under_replicated, broker_down, disk_full, lag_growing...); presets or PromQL; optional PNG chart. Returns a handle. Next: loki_query over the same window, then graph_rca.",
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            writes_kafka: false,
            requires: &[Backend::Prometheus],
            resources: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: PromSnapshotArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run(cx, args))
    }
}

async fn run(cx: &CallContext, args: PromSnapshotArgs) -> Result<Reply> {
    let catalog = &cx.state.catalog;
    let client = cx.state.prometheus()?;
    let now = chrono::Utc::now();
    let (window, step) = match &args.at {
        Some(at) => {
            let t = parse_time("at", at, now)?;
            (TimeWindow { start: t, end: t }, None)
        }
        None => {
            let window = args.window.resolve(now)?;
            (window, Some(step_for(&window, args.step, args.max_points)?))
        }
    };
    let queries = plan_queries(catalog, &args, step.unwrap_or(60))?;

    let mut results = Vec::with_capacity(queries.len());
    for (i, q) in queries.iter().enumerate() {
        cx.check_cancelled()?;
        cx.progress.report(i as u64, Some(queries.len() as u64), format!("querying {}", q.id)).await;
        let series = match step {
            Some(step) => client.query_range(&q.expr, &window, step).await?,
            None => client.query(&q.expr, window.start).await?,
        };
        results.push(series);
    }
    // The states as observations behind a handle, for graph_rca's `from`.
    let mut analysed = vec![];
    for (q, series) in queries.iter().zip(&results) {
        let rules: Vec<StateRule> = q.state.iter().cloned().collect();
        for s in series {
            analysed.push((s, analyse(s, &rules, 0).states, q.expr.as_str()));
        }
    }
    let standing_until = step.map_or(i64::MIN, |step| window.start.timestamp_millis() + step as i64 * 1000);
    let observations = crate::rca::live::metric_observations(
        analysed.iter().map(|(s, st, e)| (*s, st.as_slice(), *e)),
        standing_until,
    );
    let what = format!("prom_snapshot {} → {}", format_time(window.start), format_time(window.end));
    let handle = crate::rca::handles::keep(&cx.state, "prom", &window, observations, &what);
    build_reply(&args, &window, step, &queries, &results, handle)
}

/// The step: the caller's, checked against the point budget, or the smallest that fits it.
fn step_for(window: &TimeWindow, asked: Option<u64>, max_points: usize) -> Result<u64> {
    let secs = window.duration().num_milliseconds() as f64 / 1000.0;
    let budget = max_points.min(BACKEND_MAX_POINTS);
    match asked {
        None => Ok(choose_step(secs, budget)),
        Some(step) if points_per_series(secs, step) <= budget => Ok(step),
        Some(step) => Err(Error::bad_input(
            "step",
            format!("a step of at least {} s for this window and max_points {budget} (got {step} s, which gives {} points per series)", choose_step(secs, budget), points_per_series(secs, step)),
        )),
    }
}

/// The user's PromQL first, then the presets' queries; `broker_health` when nothing is asked.
fn plan_queries(catalog: &Catalog, args: &PromSnapshotArgs, step: u64) -> Result<Vec<ResolvedQuery>> {
    let filters = Filters { broker: args.broker.clone(), topic: args.topic.clone(), group: args.group.clone() };
    // A rate window of at least a minute (four 15 s scrapes) and at least two steps.
    let range = format!("{}s", step.saturating_mul(2).max(60));
    let mut queries: Vec<ResolvedQuery> = vec![];
    for (i, expr) in args.queries.iter().enumerate() {
        if expr.trim().is_empty() {
            return Err(Error::bad_input(format!("queries[{i}]"), "a PromQL expression, e.g. `up`"));
        }
        queries.push(ResolvedQuery {
            id: format!("q{}", i + 1),
            title: "PromQL".into(),
            expr: expr.trim().to_string(),
            state: None,
        });
    }
    let presets: Vec<&str> = if args.presets.is_empty() && args.queries.is_empty() {
        vec!["broker_health"]
    } else {
        args.presets.iter().map(String::as_str).collect()
    };
    for (i, id) in presets.iter().enumerate() {
        let preset = catalog.preset(id).ok_or_else(|| {
            let known: Vec<&str> = catalog.presets.iter().map(|p| p.id.as_str()).collect();
            Error::bad_input(format!("presets[{i}]"), format!("one of {}; got `{id}`", known.join(", ")))
        })?;
        for q in catalog.resolve(preset, &filters, &range)? {
            // Presets share queries (under_replicated is in two): run each once.
            if !queries.iter().any(|have| have.expr == q.expr) {
                queries.push(q);
            }
        }
    }
    Ok(queries)
}

/// After metrics: the logs of the window when a state held (what the brokers said), else a wider look.
fn prom_next(out: &PromSnapshotOutput) -> (&'static str, serde_json::Value, String) {
    use serde_json::json;
    match out.findings.first() {
        Some(f) => (
            "loki_query",
            json!({"labels": {"job": "kafka"}, "start": out.start, "end": out.end}),
            format!(
                "{} from {}: read what the brokers logged, then graph_rca with from: [\"{}\", <loki handle>]",
                f.state, f.from, out.handle
            ),
        ),
        None => (
            "prom_snapshot",
            json!({"presets": ["broker_health", "replication", "consumer_lag"], "start": out.start, "end": out.end}),
            "no state held: check the other presets over the same window".into(),
        ),
    }
}

fn rule_text(rule: &StateRule) -> String {
    format!(
        "{} when {} {}",
        rule.name,
        serde_json::to_value(rule.when).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        rule.value
    )
}

fn build_reply(
    args: &PromSnapshotArgs,
    window: &TimeWindow,
    step: Option<u64>,
    queries: &[ResolvedQuery],
    results: &[Vec<Series>],
    handle: String,
) -> Result<Reply> {
    let mut infos = vec![];
    let mut series_out = vec![];
    let mut panels = vec![];
    let mut legend = vec![];
    for (q, series) in queries.iter().zip(results) {
        let rules: Vec<StateRule> = q.state.iter().cloned().collect();
        let mut summaries: Vec<SeriesSummary> = series.iter().map(|s| analyse(s, &rules, args.shape_points)).collect();
        // The series in a state come first, then the largest.
        summaries.sort_by(|a, b| {
            b.states
                .len()
                .min(1)
                .cmp(&a.states.len().min(1))
                .then(b.max.unwrap_or(f64::MIN).total_cmp(&a.max.unwrap_or(f64::MIN)))
        });
        let shown = summaries.len().min(args.max_series);
        infos.push(QueryInfo {
            id: q.id.clone(),
            title: q.title.clone(),
            expr: q.expr.clone(),
            series: series.len(),
            shown,
            state_rule: q.state.as_ref().map(rule_text),
        });
        if args.chart && !series.is_empty() && panels.len() < MAX_PANELS {
            let lines: Vec<&Series> = series.iter().take(PALETTE.len()).collect();
            legend.push(ChartPanelLegend {
                query: q.id.clone(),
                lines: lines.iter().zip(PALETTE.iter()).map(|(s, c)| format!("{}: {}", c.3, s.label_text())).collect(),
            });
            let spans = summaries
                .iter()
                .flat_map(|s| s.states.iter().map(|st| (st.from.timestamp() as f64, st.to.timestamp() as f64)))
                .collect();
            panels.push(Panel { lines: lines.iter().map(|s| s.points.clone()).collect(), spans });
        }
        series_out.extend(summaries.into_iter().take(shown).map(|summary| SeriesOut { query: q.id.clone(), summary }));
    }
    let mut findings: Vec<Finding> = series_out
        .iter()
        .flat_map(|s| {
            let labels = s.summary.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            s.summary.states.iter().map(move |st| Finding {
                query: s.query.clone(),
                labels: labels.clone(),
                state: st.state.clone(),
                from: format_time(st.from),
                to: format_time(st.to),
                ongoing: st.ongoing,
                worst: st.worst,
            })
        })
        .collect();
    findings.sort_by(|a, b| a.from.cmp(&b.from).then(a.query.cmp(&b.query)));
    let findings_total = findings.len();
    findings.truncate(MAX_FINDINGS);

    let instant = args.at.is_some();
    let title = if instant {
        format!("# Prometheus at {}", format_time(window.start))
    } else {
        format!(
            "# Prometheus {} → {} (step {} s)",
            format_time(window.start),
            format_time(window.end),
            step.unwrap_or(0)
        )
    };
    let mut text = vec![title];
    if findings.is_empty() {
        text.push("No state held in the window (no threshold of the presets was crossed).".into());
    } else {
        text.push(format!("**States** ({findings_total}):"));
        text.extend(findings.iter().map(|f| {
            let end = if f.ongoing { "ongoing".to_string() } else { f.to[11..].to_string() };
            format!("- {} {{{}}} ({}): {}–{end}, worst {}", f.state, f.labels, f.query, &f.from[11..], f.worst)
        }));
    }
    text.push("**Queries:**".into());
    text.extend(infos.iter().map(|i| {
        let kept = if i.shown < i.series { format!(", {} shown", i.shown) } else { String::new() };
        format!("- {} — {}: {} series{kept} — `{}`", i.id, i.title, i.series, i.expr)
    }));
    if !legend.is_empty() {
        text.push("**Chart** (panels top to bottom; shaded = a state held; ticks every tenth of the window):".into());
        text.extend(legend.iter().map(|l| format!("- {}: {}", l.query, l.lines.join("; "))));
    }
    let rows: Vec<String> = series_out.iter().map(|s| s.summary.row(&s.query)).collect();
    let output = PromSnapshotOutput {
        start: format_time(window.start),
        end: format_time(window.end),
        instant,
        step_secs: step,
        queries: infos,
        findings,
        findings_total,
        series: series_out,
        chart_legend: legend,
        handle,
    };
    text.push(format!("Handle `{}` (graph_rca `from`).", output.handle));
    let (tool, arguments, why) = prom_next(&output);
    let mut reply = Reply::new(&output)?
        .summary(text.join("\n"))
        .next(tool, arguments, why)
        .rows("series", SeriesSummary::TABLE_HEADING, rows)
        .when_empty(format!(
            "no series matched in {} → {}. Check the metric names exist (`count by (__name__)({{__name__=~\"kafka.*\"}})`), widen the window, drop filters, or override names with [prometheus] metric_names.",
            format_time(window.start),
            format_time(window.end)
        ))
        .narrow_with("fewer presets or queries, a broker/topic/group filter, a lower max_series or shape_points");
    if !panels.is_empty() {
        let png = render_png(&panels, window.start_secs(), window.end_secs())?;
        reply = reply.image(base64::engine::general_purpose::STANDARD.encode(png), "image/png");
    }
    Ok(reply)
}
