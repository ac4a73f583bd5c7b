//! Sources read page by page, so an export of any size holds one page in memory: Loki log lines (forward
//! through the window) and Prometheus samples (the window cut into chunks Prometheus accepts).

use super::observations::{LogRow, MetricRow};
use crate::error::{Error, Result};
use crate::observe::loki::client::{Direction, LokiClient, LokiData, RangeQuery};
use crate::observe::loki::taxonomy::Taxonomy;
use crate::observe::prom::client::PromClient;
use crate::observe::series::BACKEND_MAX_POINTS;
use crate::observe::time::TimeWindow;
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use std::collections::HashSet;

/// Loki's default `max_entries_limit_per_query`.
pub const LOKI_PAGE: usize = 5000;

/// A source of rows, page by page.
pub trait Pages: Send {
    type Row;
    /// The next page of at most `max` rows, or None when the source is exhausted.
    fn next_page(&mut self, max: usize) -> BoxFuture<'_, Result<Option<Vec<Self::Row>>>>;
    /// Rows the source holds at most, when known (for progress).
    fn upper_bound(&self) -> Option<u64> {
        None
    }
}

impl Pages for super::topic::TopicPages {
    type Row = crate::kafka::Record;
    fn next_page(&mut self, max: usize) -> BoxFuture<'_, Result<Option<Vec<Self::Row>>>> {
        Box::pin(super::topic::TopicPages::next_page(self, max))
    }
    fn upper_bound(&self) -> Option<u64> {
        Some(self.upper_bound)
    }
}

/// Log lines of a LogQL query, oldest first. Each page starts at the newest time of the previous one, and
/// the lines already written at that instant are skipped, so no line is lost or repeated at page edges.
pub struct LogPages {
    client: LokiClient,
    taxonomy: Taxonomy,
    query: String,
    cursor: DateTime<Utc>,
    end: DateTime<Utc>,
    /// (stream labels, line) written at the cursor's nanosecond.
    at_cursor: HashSet<(String, String)>,
    done: bool,
}

impl LogPages {
    pub fn new(client: LokiClient, taxonomy: Taxonomy, query: String, window: TimeWindow) -> LogPages {
        LogPages {
            client,
            taxonomy,
            query,
            cursor: window.start,
            end: window.end,
            at_cursor: HashSet::new(),
            done: false,
        }
    }

    async fn page(&mut self, max: usize) -> Result<Option<Vec<LogRow>>> {
        if self.done {
            return Ok(None);
        }
        let limit = (max + self.at_cursor.len()).clamp(1, LOKI_PAGE);
        let window = TimeWindow { start: self.cursor, end: self.end };
        let q = RangeQuery { query: self.query.clone(), window, limit, direction: Direction::Forward, step_secs: None };
        let (data, _) = self.client.query_range(&q).await?;
        let LokiData::Streams(streams) = data else {
            return Err(Error::bad_input("source.query", "a log query (a stream selector with filters, e.g. {job=\"kafka\"} |= \"ERROR\"); metric queries go to the promql source or loki_query"));
        };
        // (time, stream key, labels, line)
        let mut entries: Vec<Entry> = vec![];
        for s in streams {
            let key = format!("{:?}", s.labels);
            let labels: Vec<(String, String)> = s.labels.into_iter().collect();
            for e in s.entries {
                entries.push((e.ts_ns, key.clone(), labels.clone(), e.line));
            }
        }
        let returned = entries.len();
        entries.sort_by_key(|e| e.0);
        let cursor_ns = self.cursor.timestamp_nanos_opt().unwrap_or(i64::MIN);
        entries
            .retain(|(ts, key, _, line)| !(*ts == cursor_ns && self.at_cursor.contains(&(key.clone(), line.clone()))));
        let newest = entries.last().map(|e| e.0);
        if returned < limit || entries.is_empty() {
            // Loki had no more than this (or only lines already written): the window is read.
            self.done = true;
        } else if let Some(ns) = newest {
            if ns != cursor_ns {
                self.at_cursor.clear();
            }
            self.at_cursor.extend(entries.iter().filter(|e| e.0 == ns).map(|e| (e.1.clone(), e.3.clone())));
            self.cursor = DateTime::from_timestamp_nanos(ns);
        }
        let rows = entries
            .into_iter()
            .map(|(time_ns, _, labels, line)| {
                let event_class = self.taxonomy.classify_line(&line).map(|c| c.id.clone());
                LogRow { time_ns, labels, line, event_class }
            })
            .collect();
        Ok(Some(rows))
    }
}

type Entry = (i64, String, Vec<(String, String)>, String);

/// The message and, for an exception, its cause: what the taxonomy patterns are written for.
impl Pages for LogPages {
    type Row = LogRow;
    fn next_page(&mut self, max: usize) -> BoxFuture<'_, Result<Option<Vec<LogRow>>>> {
        Box::pin(self.page(max))
    }
}

/// Samples of a PromQL range query, one chunk of the window per page (each within Prometheus's
/// 11,000 points per series).
pub struct MetricPages {
    client: PromClient,
    query: String,
    step_secs: u64,
    cursor: DateTime<Utc>,
    end: DateTime<Utc>,
    done: bool,
}

impl MetricPages {
    pub fn new(client: PromClient, query: String, window: TimeWindow, step_secs: u64) -> MetricPages {
        MetricPages { client, query, step_secs: step_secs.max(1), cursor: window.start, end: window.end, done: false }
    }

    async fn page(&mut self) -> Result<Option<Vec<MetricRow>>> {
        if self.done {
            return Ok(None);
        }
        let span = Duration::seconds((self.step_secs * (BACKEND_MAX_POINTS as u64 - 1)) as i64);
        let chunk_end = (self.cursor + span).min(self.end);
        let window = TimeWindow { start: self.cursor, end: chunk_end };
        let series = self.client.query_range(&self.query, &window, self.step_secs).await?;
        // The next chunk starts one step after this one's last point.
        self.cursor = chunk_end + Duration::seconds(self.step_secs as i64);
        self.done = self.cursor > self.end;
        let mut rows = vec![];
        for s in series {
            let metric = s.labels.get("__name__").cloned().unwrap_or_default();
            let labels: Vec<(String, String)> = s.labels.into_iter().filter(|(k, _)| k != "__name__").collect();
            for p in s.points {
                rows.push(MetricRow {
                    metric: metric.clone(),
                    labels: labels.clone(),
                    time_ms: (p.t * 1000.0).round() as i64,
                    value: p.v,
                });
            }
        }
        Ok(Some(rows))
    }
}

impl Pages for MetricPages {
    type Row = MetricRow;
    fn next_page(&mut self, _max: usize) -> BoxFuture<'_, Result<Option<Vec<MetricRow>>>> {
        Box::pin(self.page())
    }
}
