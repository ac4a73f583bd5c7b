//! `list_topics`: the cluster at a glance (brokers, controller, partition health) and, per topic, its
//! partitions, message counts from watermarks, chosen configs and consumer groups with lag. Paged by name.

use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::kafka::admin::{BrokerInfo, ClusterInfo, TopicInfo};
use crate::kafka::groups::PartitionLag;
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Backend, ResourceTemplate, Tool, ToolInfo};
use base64::Engine;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Topic configs shown with include_configs: the ones that explain retention, durability and size limits.
const SELECTED_CONFIGS: &[&str] = &[
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "min.insync.replicas",
    "max.message.bytes",
    "compression.type",
    "segment.bytes",
    "message.timestamp.type",
];

pub struct ListTopics;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTopicsArgs {
    /// Glob over topic names, e.g. `orders*` or `*.dlq`. Default `*` (all).
    #[serde(default = "all_topics")]
    #[schemars(length(min = 1, max = 249))]
    pub pattern: String,
    /// Also list internal topics (names starting with `__`). Default false.
    #[serde(default)]
    pub include_internal: bool,
    /// Add selected topic configs (retention.ms, cleanup.policy, min.insync.replicas, max.message.bytes...). Default false.
    #[serde(default)]
    pub include_configs: bool,
    /// Add the consumer groups with committed offsets on each topic, with total and max lag. Default false (costs a request per group).
    #[serde(default)]
    pub include_groups: bool,
    /// Topics per page, 1 to 500. Default 100.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: u32,
    /// The `next_cursor` of a previous call, to get the next page. Omit for the first page.
    #[serde(default)]
    pub cursor: Option<String>,
}

fn all_topics() -> String {
    "*".into()
}
fn default_limit() -> u32 {
    100
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ListTopicsOutput {
    pub cluster_id: Option<String>,
    pub controller_id: Option<i32>,
    pub brokers: Vec<BrokerInfo>,
    /// Topics matching the pattern (all pages).
    pub topics_matched: usize,
    /// Topics (all pages) with under-replicated or offline partitions.
    pub health: Health,
    /// This page, sorted by name.
    pub topics: Vec<TopicRow>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Consumer groups whose offsets were not read (too many, or out of time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_skipped: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    pub under_replicated_topics: Vec<String>,
    pub offline_topics: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TopicRow {
    pub name: String,
    pub partitions: usize,
    pub replication_factor: usize,
    pub under_replicated_partitions: usize,
    pub offline_partitions: usize,
    /// Sum over partitions of high - low watermark (what the topic retains).
    pub messages: i64,
    pub partition_details: Vec<PartitionRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configs: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<TopicGroup>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PartitionRow {
    pub id: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub low: i64,
    pub high: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TopicGroup {
    pub group: String,
    pub state: String,
    pub total_lag: i64,
    pub max_lag: i64,
    pub partitions: Vec<PartitionLag>,
}

impl Tool for ListTopics {
    type Args = ListTopicsArgs;
    type Output = ListTopicsOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "list_topics",
            title: "List Kafka topics",
            description: "Kafka cluster overview: brokers, controller; per topic partitions, RF, leaders, ISR, under-replicated/offline counts, message count; configs and consumer-group lag on request. Glob `pattern`, paging. Next: infer_schema or peek_messages on a topic.",
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            writes_kafka: false,
            requires: &[Backend::Kafka],
            resources: &[ResourceTemplate {
                uri_template: "kafka://topics/{name}",
                name: "topic",
                description: "One topic: partitions, leaders, ISR, watermarks, configs",
                mime_type: "application/json",
            }],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: ListTopicsArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run(cx, args))
    }
}

const CURSOR_PREFIX: &str = "after:";

fn encode_cursor(last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{last}"))
}

fn decode_cursor(cursor: &str) -> Result<String> {
    let bad = || Error::bad_input("cursor", "the next_cursor value of a previous list_topics call, unchanged");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix(CURSOR_PREFIX).map(str::to_string).ok_or_else(bad)
}

/// The topics matching the filters, sorted by name. Pure.
pub fn matching<'c>(
    cluster: &'c ClusterInfo,
    pattern: &globset::GlobMatcher,
    include_internal: bool,
) -> Vec<&'c TopicInfo> {
    cluster.topics.iter().filter(|t| (include_internal || !t.internal()) && pattern.is_match(&t.name)).collect()
}

/// One line an agent reads first: which topics need attention. Pure.
pub fn health(topics: &[&TopicInfo]) -> Health {
    let names =
        |f: &dyn Fn(&TopicInfo) -> bool| topics.iter().filter(|t| f(t)).map(|t| t.name.clone()).collect::<Vec<_>>();
    let under = names(&|t| t.partitions.iter().any(|p| p.under_replicated()));
    let offline = names(&|t| t.partitions.iter().any(|p| p.offline()));
    let plural = |n: usize| if n == 1 { "topic" } else { "topics" };
    let summary = match (under.len(), offline.len()) {
        (0, 0) => {
            format!("Healthy: no under-replicated or offline partitions in {} {}.", topics.len(), plural(topics.len()))
        }
        (u, 0) => format!("{u} {} with under-replicated partitions.", plural(u)),
        (0, o) => format!("{o} {} with offline partitions.", plural(o)),
        (u, o) => {
            format!("{u} {} with under-replicated partitions; {o} {} with offline partitions.", plural(u), plural(o))
        }
    };
    Health { under_replicated_topics: under, offline_topics: offline, summary }
}

async fn run(cx: &CallContext, args: ListTopicsArgs) -> Result<Reply> {
    let pattern = crate::safety::topic_matcher("pattern", &args.pattern)?;
    let after = args.cursor.as_deref().map(decode_cursor).transpose()?;
    let kafka = &cx.state.kafka;
    let cluster = kafka.cluster().await?;
    let matched = matching(&cluster, &pattern, args.include_internal);
    let health = health(&matched);
    let rest: Vec<&TopicInfo> =
        matched.iter().copied().filter(|t| after.as_ref().is_none_or(|a| t.name.as_str() > a.as_str())).collect();
    let limit = args.limit as usize;
    let page: Vec<&TopicInfo> = rest.iter().copied().take(limit).collect();
    let next_cursor = (rest.len() > limit).then(|| page.last().map(|t| encode_cursor(&t.name))).flatten();

    cx.check_cancelled()?;
    let healthy: Vec<(String, Vec<i32>)> = page
        .iter()
        .filter(|t| t.error.is_none())
        .map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.id).collect()))
        .collect();
    let marks = kafka.watermarks_of(healthy).await?;
    let names: Vec<String> = page.iter().map(|t| t.name.clone()).collect();
    let configs = if args.include_configs { Some(kafka.topic_configs(&names).await?) } else { None };
    let (groups, groups_skipped) = if args.include_groups {
        let g = kafka.group_lags(marks.clone()).await?;
        (Some(g.lags), Some(g.groups_skipped))
    } else {
        (None, None)
    };

    let rows: Vec<TopicRow> = page.iter().map(|t| topic_row(t, &marks, configs.as_ref(), groups.as_deref())).collect();
    let text_rows: Vec<String> = rows.iter().map(markdown_row).collect();
    let brokers =
        cluster.brokers.iter().map(|b| format!("{} ({}:{})", b.id, b.host, b.port)).collect::<Vec<_>>().join(", ");
    let controller = cluster.controller_id.map_or("unknown".to_string(), |c| c.to_string());
    let mut summary = format!(
        "# Kafka topics\nCluster `{}`: {} broker(s) [{brokers}], controller {controller}. {} topic(s) match `{}`; showing {}.\n\n**{}**",
        cluster.cluster_id.as_deref().unwrap_or("unknown"),
        cluster.brokers.len(),
        matched.len(),
        args.pattern,
        rows.len(),
        health.summary
    );
    if next_cursor.is_some() {
        summary.push_str("\n\nMore topics: call again with `cursor` = `next_cursor`.");
    }
    let output = ListTopicsOutput {
        cluster_id: cluster.cluster_id.clone(),
        controller_id: cluster.controller_id,
        brokers: cluster.brokers.clone(),
        topics_matched: matched.len(),
        health,
        topics: rows,
        next_cursor,
        groups_skipped: groups_skipped.filter(|n| *n > 0),
    };
    let heading = "| topic | partitions | RF | messages | under-replicated | offline | leaders | groups (total/max lag) | configs |\n|---|---|---|---|---|---|---|---|---|";
    let (tool, arguments, why) = next_step(&output, &args.pattern);
    Ok(Reply::new(&output)?
        .next(tool, arguments, why)
        .summary(summary)
        .rows("topics", heading, text_rows)
        .when_empty(format!(
            "No topic matches `{}`{}. Try pattern `*`{}.",
            args.pattern,
            if args.include_internal { "" } else { " (internal `__` topics are hidden)" },
            if args.cursor.is_some() { " or drop the cursor" } else { "" }
        ))
        .narrow_with("pass a narrower `pattern`, a lower `limit`, or leave out include_configs/include_groups"))
}

/// What to look at next: a topic in trouble (its replication metrics), the next page, the topic with the
/// most consumer lag or messages (its schema), or everything when nothing matched.
fn next_step(out: &ListTopicsOutput, pattern: &str) -> (&'static str, serde_json::Value, String) {
    use serde_json::json;
    if let Some(t) = out.topics.iter().find(|t| t.under_replicated_partitions + t.offline_partitions > 0) {
        let why = format!("`{}` has under-replicated or offline partitions: see since when", t.name);
        return ("prom_snapshot", json!({"presets": ["replication"], "topic": t.name, "start": "now-1h"}), why);
    }
    if let Some(cursor) = &out.next_cursor {
        return ("list_topics", json!({"pattern": pattern, "cursor": cursor}), "the next page of topics".into());
    }
    let lag = |t: &TopicRow| t.groups.as_ref().map_or(0, |g| g.iter().map(|g| g.total_lag).max().unwrap_or(0));
    let busiest = out.topics.iter().filter(|t| t.error.is_none()).max_by_key(|t| (lag(t), t.messages));
    match busiest {
        Some(t) if lag(t) > 0 => (
            "infer_schema",
            json!({"topic": t.name}),
            format!("`{}` has the most consumer lag: learn its messages", t.name),
        ),
        Some(t) => (
            "infer_schema",
            json!({"topic": t.name}),
            format!("learn the messages of `{}` (the most messages)", t.name),
        ),
        None => ("list_topics", json!({"pattern": "*"}), "no topic matched: list them all".into()),
    }
}

fn topic_row(
    t: &TopicInfo,
    marks: &BTreeMap<String, Vec<(i32, i64, i64)>>,
    configs: Option<&BTreeMap<String, BTreeMap<String, String>>>,
    groups: Option<&[crate::kafka::GroupLag]>,
) -> TopicRow {
    let topic_marks = marks.get(&t.name);
    let mark =
        |id: i32| topic_marks.and_then(|m| m.iter().find(|(p, _, _)| *p == id)).map_or((0, 0), |(_, l, h)| (*l, *h));
    let partition_details: Vec<PartitionRow> = t
        .partitions
        .iter()
        .map(|p| {
            let (low, high) = mark(p.id);
            PartitionRow { id: p.id, leader: p.leader, replicas: p.replicas.clone(), isr: p.isr.clone(), low, high }
        })
        .collect();
    TopicRow {
        name: t.name.clone(),
        partitions: t.partitions.len(),
        replication_factor: t.replication_factor(),
        under_replicated_partitions: t.partitions.iter().filter(|p| p.under_replicated()).count(),
        offline_partitions: t.partitions.iter().filter(|p| p.offline()).count(),
        messages: partition_details.iter().map(|p| (p.high - p.low).max(0)).sum(),
        partition_details,
        error: t.error.clone(),
        configs: configs.map(|c| {
            c.get(&t.name)
                .map(|all| {
                    all.iter()
                        .filter(|(k, _)| SELECTED_CONFIGS.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        }),
        groups: groups.map(|g| {
            g.iter()
                .filter(|l| l.topic == t.name)
                .map(|l| TopicGroup {
                    group: l.group.clone(),
                    state: l.state.clone(),
                    total_lag: l.total_lag,
                    max_lag: l.max_lag,
                    partitions: l.partitions.clone(),
                })
                .collect()
        }),
    }
}

fn markdown_row(r: &TopicRow) -> String {
    let leaders = r.partition_details.iter().map(|p| p.leader.to_string()).collect::<Vec<_>>().join(",");
    let groups = match &r.groups {
        None => "-".to_string(),
        Some(g) if g.is_empty() => "none".to_string(),
        Some(g) => {
            g.iter().map(|g| format!("{} ({}/{})", g.group, g.total_lag, g.max_lag)).collect::<Vec<_>>().join(", ")
        }
    };
    let configs = match &r.configs {
        None => "-".to_string(),
        Some(c) if c.is_empty() => "none set".to_string(),
        Some(c) => c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
    };
    let name = match &r.error {
        Some(e) => format!("{} (error: {e})", r.name),
        None => r.name.clone(),
    };
    format!(
        "| {name} | {} | {} | {} | {} | {} | {leaders} | {groups} | {configs} |",
        r.partitions, r.replication_factor, r.messages, r.under_replicated_partitions, r.offline_partitions
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::admin::PartitionInfo;

    fn topic(name: &str, isr: Vec<i32>, leader: i32) -> TopicInfo {
        TopicInfo {
            name: name.into(),
            error: None,
            partitions: vec![PartitionInfo { id: 0, leader, replicas: vec![1, 2], isr, error: None }],
        }
    }

    fn cluster() -> ClusterInfo {
        ClusterInfo {
            cluster_id: None,
            controller_id: Some(1),
            brokers: vec![],
            topics: vec![
                topic("__consumer_offsets", vec![1, 2], 1),
                topic("a", vec![1, 2], 1),
                topic("b", vec![1], 1),
                topic("c", vec![], -1),
            ],
        }
    }

    #[test]
    fn filters_and_reports_health() {
        let c = cluster();
        let all = crate::safety::topic_matcher("pattern", "*").unwrap();
        let names = |v: Vec<&TopicInfo>| v.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(matching(&c, &all, false)), vec!["a", "b", "c"]);
        assert_eq!(matching(&c, &all, true).len(), 4);
        let h = health(&matching(&c, &all, false));
        assert_eq!(h.under_replicated_topics, vec!["b", "c"]);
        assert_eq!(h.offline_topics, vec!["c"]);
        assert_eq!(h.summary, "2 topics with under-replicated partitions; 1 topic with offline partitions.");
        assert!(health(&[]).summary.starts_with("Healthy"));
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_named() {
        assert_eq!(decode_cursor(&encode_cursor("orders.v1")).unwrap(), "orders.v1");
        assert_eq!(decode_cursor("not a cursor").unwrap_err().argument(), Some("cursor"));
    }
}
