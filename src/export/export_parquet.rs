//! `export_parquet`: a topic range, a LogQL window or a PromQL window into a Parquet file under the export
//! folder, streamed page by page with progress, atomic (no partial file on failure or cancellation).

use super::messages::MessageTable;
use super::observations::{LogTable, MetricTable};
use super::pages::{LogPages, MetricPages, Pages};
use super::sink::ExportCompression;
use super::table::{Column, Table, TableWriter};
use super::topic::{TopicPages, PAGE_MESSAGES};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::kafka::start_arg::{FromArg, Position};
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Tool, ToolInfo};
use crate::observe::time::{format_time, resolve_window, TimeArg, MAX_WINDOW};
use crate::schema::{InferOptions, Inferrer};
use chrono::Utc;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

pub struct ExportParquet;

pub const MAX_ROWS_LIMIT: u64 = 10_000_000;

fn default_max_rows() -> u64 {
    1_000_000
}
fn default_from() -> FromArg {
    FromArg::Named(Position::Earliest)
}
fn default_tail() -> u64 {
    1000
}
fn default_step() -> u64 {
    15
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportParquetArgs {
    /// What to export: {"kind": "topic", "topic": "orders"}, {"kind": "logql", "query": "{job=\"kafka\"}", "start": "now-1h"} or {"kind": "promql", "query": "kafka_server_brokertopicmetrics_messagesin_total", "start": "now-6h"}.
    pub source: Source,
    /// File to write, relative to the server's export folder, ending in `.parquet`, e.g. "incidents/orders-2024-01-15.parquet". No `..`, no absolute path; folders are created.
    #[schemars(length(min = 1, max = 500))]
    pub path: String,
    /// Replace the file if it exists. Default false (an existing file is an error).
    #[serde(default)]
    pub overwrite: bool,
    /// Column compression: "zstd" (default) or "none".
    #[serde(default)]
    pub compression: ExportCompression,
    /// Stop after this many rows, 1 to 10000000. Default 1000000.
    #[serde(default = "default_max_rows")]
    #[schemars(range(min = 1, max = 10000000))]
    pub max_rows: u64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// Messages of a topic, partition by partition, up to each partition's end when the export starts. Columns: topic, partition, offset, timestamp (ms, UTC), key, key_text, headers, value, value_text, with a registry value_json, schema_id, subject, schema_version, and the top-level JSON fields of the values.
    Topic {
        /// The topic (see list_topics).
        #[schemars(length(min = 1, max = 249))]
        topic: String,
        /// Only this partition. Default: every partition.
        #[serde(default)]
        #[schemars(range(min = 0))]
        partition: Option<i32>,
        /// Where to start: "earliest" (default), "tail" (the last tail_count of each partition), {"offset": N} or {"timestamp": "2024-01-15T03:00:00Z" or Unix ms}.
        #[serde(default = "default_from")]
        from: FromArg,
        /// With from "tail": messages per partition, 1 to 10000000. Default 1000.
        #[serde(default = "default_tail")]
        #[schemars(range(min = 1, max = 10000000))]
        tail_count: u64,
        /// Add the top-level fields of JSON values as typed columns (schema inferred from the first page). Default true.
        #[serde(default = "crate::defaults::yes")]
        json_columns: bool,
    },
    /// Log lines of a LogQL log query over a window, oldest first. Columns: time (ns, UTC), labels, line, event_class (the Kafka event the line shows, if any).
    Logql {
        /// A LogQL log query, e.g. {job="kafka"} |= "ERROR".
        #[schemars(length(min = 1, max = 10000))]
        query: String,
        /// Start: `now-1h`, RFC 3339, Unix seconds or ms. Default: one hour before `end`.
        #[serde(default)]
        start: Option<TimeArg>,
        /// End (same forms). Default: now.
        #[serde(default)]
        end: Option<TimeArg>,
    },
    /// Samples of a PromQL range query over a window. Columns: metric, labels, time (ms, UTC), value.
    Promql {
        /// A PromQL expression, e.g. rate(kafka_server_brokertopicmetrics_messagesin_total[5m]).
        #[schemars(length(min = 1, max = 10000))]
        query: String,
        /// Start: `now-1h`, RFC 3339, Unix seconds or ms. Default: one hour before `end`.
        #[serde(default)]
        start: Option<TimeArg>,
        /// End (same forms). Default: now.
        #[serde(default)]
        end: Option<TimeArg>,
        /// Seconds between samples, 1 to 86400. Default 15.
        #[serde(default = "default_step")]
        #[schemars(range(min = 1, max = 86400))]
        step_secs: u64,
    },
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ExportOutput {
    /// What was exported.
    pub source: String,
    /// The file, relative to the export folder.
    pub path: String,
    pub rows: u64,
    /// File size.
    pub bytes: u64,
    pub row_groups: usize,
    pub duration_ms: u64,
    pub rows_per_s: f64,
    /// Why the export stopped: `end` (everything in the range), `max_rows`, or `timeout` (a partition gave nothing in time).
    pub stopped_by: String,
    /// Topic exports: messages the JSON columns were inferred from (0: no JSON values, no JSON columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_columns_inferred_from: Option<usize>,
    /// The file's columns with their Arrow types.
    pub columns: Vec<Column>,
}

impl Tool for ExportParquet {
    type Args = ExportParquetArgs;
    type Output = ExportOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "export_parquet",
            title: "Export to Parquet",
            description: "Writes a topic range, a LogQL window or a PromQL window to a Parquet file (zstd) under the export folder, streaming, no partial file on failure. Next: query the file with DuckDB or pandas.",
            read_only: false,
            // Replaces a file only when overwrite is true.
            destructive: true,
            idempotent: false,
            open_world: true,
            writes_kafka: false,
            requires: &[],
            resources: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: ExportParquetArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run(cx, args))
    }
}

async fn run(cx: &CallContext, args: ExportParquetArgs) -> Result<Reply> {
    if !args.path.ends_with(".parquet") {
        return Err(Error::bad_input("path", format!("a file name ending in `.parquet`; got `{}`", args.path)));
    }
    let target = cx.guard().export_path("path", &args.path, args.overwrite)?;
    let started = Instant::now();
    let (source, done, inferred_from) = match &args.source {
        Source::Topic { topic, partition, from, tail_count, json_columns } => {
            let start = from.to_start("source.from", *tail_count)?;
            let mut pages = TopicPages::open(&cx.state.kafka, topic, *partition, start, PAGE_MESSAGES).await?;
            pages.registry = cx.state.registry_opt().is_some().then(|| cx.state.clone());
            let first = pages.next_page(PAGE_MESSAGES.min(args.max_rows as usize)).await?.unwrap_or_default();
            let schema = json_columns.then(|| infer_values(cx.state.registry_opt(), &first)).flatten();
            let inferred_from = json_columns.then(|| schema.as_ref().map_or(0, |(_, n)| *n));
            let table = MessageTable::with_registry(schema.as_ref().map(|(s, _)| s), pages.registry.clone());
            let mut done = drain(cx, &target, table, args.compression, first, &mut pages, args.max_rows).await?;
            if pages.timed_out && done.stopped_by == "end" {
                done.stopped_by = "timeout".into();
            }
            let what = match partition {
                Some(p) => format!("topic `{topic}` partition {p} from {}", from.describe(*tail_count)),
                None => format!("topic `{topic}` from {}", from.describe(*tail_count)),
            };
            (what, done, inferred_from)
        }
        Source::Logql { query, start, end } => {
            let client = cx.state.loki()?.clone();
            let taxonomy = cx.state.taxonomy.clone();
            let window = resolve_window(start.as_ref(), end.as_ref(), Utc::now(), MAX_WINDOW)?;
            let mut pages = LogPages::new(client, taxonomy, query.clone(), window);
            let done =
                drain(cx, &target, LogTable::default(), args.compression, vec![], &mut pages, args.max_rows).await?;
            (format!("LogQL `{query}` from {} to {}", format_time(window.start), format_time(window.end)), done, None)
        }
        Source::Promql { query, start, end, step_secs } => {
            let client = cx.state.prometheus()?.clone();
            let window = resolve_window(start.as_ref(), end.as_ref(), Utc::now(), MAX_WINDOW)?;
            let mut pages = MetricPages::new(client, query.clone(), window, *step_secs);
            let done =
                drain(cx, &target, MetricTable::default(), args.compression, vec![], &mut pages, args.max_rows).await?;
            let what = format!(
                "PromQL `{query}` from {} to {} every {step_secs} s",
                format_time(window.start),
                format_time(window.end)
            );
            (what, done, None)
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let out = ExportOutput {
        source,
        path: args.path.clone(),
        rows: done.rows,
        bytes: done.bytes,
        row_groups: done.row_groups,
        duration_ms: (secs * 1000.0).round() as u64,
        rows_per_s: if secs > 0.0 { (done.rows as f64 / secs).round() } else { 0.0 },
        stopped_by: done.stopped_by,
        json_columns_inferred_from: inferred_from,
        columns: done.columns,
    };
    reply(&out)
}

/// What a drained source produced.
struct Done {
    rows: u64,
    bytes: u64,
    row_groups: usize,
    columns: Vec<Column>,
    stopped_by: String,
}

/// Writes `first` and then every page of `pages` until the source ends or `max_rows` is reached.
async fn drain<T, P>(
    cx: &CallContext,
    target: &Path,
    table: T,
    compression: ExportCompression,
    first: Vec<T::Row>,
    pages: &mut P,
    max_rows: u64,
) -> Result<Done>
where
    T: Table,
    T::Row: Sized,
    P: Pages<Row = T::Row>,
{
    let mut writer = TableWriter::create(target, table, compression)?;
    let total = pages.upper_bound().map(|n| n.min(max_rows));
    let mut page = Some(first);
    let mut stopped_by = "end";
    loop {
        cx.check_cancelled()?;
        let rows = match page.take() {
            Some(rows) => rows,
            None => {
                let left = (max_rows - writer.rows()) as usize;
                match pages.next_page(left).await? {
                    Some(rows) => rows,
                    None => break,
                }
            }
        };
        for row in &rows {
            if writer.rows() >= max_rows {
                stopped_by = "max_rows";
                break;
            }
            writer.push(row)?;
        }
        cx.progress.report(writer.rows(), total, format!("{} rows written", writer.rows())).await;
        if stopped_by == "max_rows" || writer.rows() >= max_rows {
            stopped_by = "max_rows";
            break;
        }
    }
    let columns = writer.columns();
    let written = writer.finish()?;
    Ok(Done {
        rows: written.rows,
        bytes: written.bytes,
        row_groups: written.row_groups,
        columns,
        stopped_by: stopped_by.into(),
    })
}

/// The schema of the JSON values of `records` and how many there were, when there were any.
fn infer_values(
    registry: Option<&crate::registry::RegistryClient>,
    records: &[crate::kafka::Record],
) -> Option<(serde_json::Value, usize)> {
    // Columns come from the top-level properties: no tagged union (`oneOf`) in their place.
    let mut inf = Inferrer::with_options(InferOptions { structure: false, ..Default::default() });
    for r in records {
        if let Some(v) = r.value.as_deref().and_then(|b| crate::registry::json_of(registry, b)) {
            inf.add(&v);
        }
    }
    let n = inf.samples();
    (n > 0).then(|| (inf.finish().schema, n))
}

fn reply(out: &ExportOutput) -> Result<Reply> {
    let rows: Vec<String> = out.columns.iter().map(|c| format!("| {} | {} |", c.name, c.data_type)).collect();
    let mut summary = format!(
        "# Exported {} rows to `{}`\n\n- source: {}\n- {} bytes, {} row groups, {} ms ({} rows/s)\n- stopped by: {}",
        out.rows, out.path, out.source, out.bytes, out.row_groups, out.duration_ms, out.rows_per_s, out.stopped_by
    );
    if out.rows == 0 {
        summary.push_str("\n\nThe file has the columns but no rows: the range held nothing. Check the topic's offsets (list_topics) or widen the window (start/end).");
    }
    if out.stopped_by == "max_rows" {
        summary.push_str("\n\nThe range holds more rows: raise `max_rows` or export the rest to another file.");
    }
    if out.json_columns_inferred_from == Some(0) {
        summary.push_str(
            "\n\nNo JSON values in the first page: no JSON columns (the values are in `value` / `value_text`).",
        );
    }
    let reply = Reply::new(out)?.summary(summary).rows("columns", "| column | type |\n|---|---|", rows);
    Ok(if out.rows == 0 {
        reply.next(
            "list_topics",
            serde_json::json!({"pattern": "*"}),
            "the range was empty: check the topics' message counts",
        )
    } else {
        reply.next_step(format!(
            "query the file outside the server, e.g. duckdb -c \"SELECT * FROM '{}' LIMIT 10\" or pandas.read_parquet",
            out.path
        ))
    })
}
