//! Verification checks of a hypothesis, ready to run: the rule's PromQL, LogQL and Kafka checks with the
//! hypothesis's broker, topic, partition, group, client and window filled in, as a tool call.

use super::graph::{EdgeKind, Graph};
use super::hypothesis::{BlastRadius, Verification};
use super::observation::EntityRef;
use super::rules::{CheckKind, Rule};
use crate::observe::time::format_ms;
use serde_json::{json, Value};

const PLACEHOLDERS: [&str; 9] =
    ["broker", "topic", "partition", "group", "client", "start", "end", "broker_pod", "broker_host"];

/// How the brokers' log streams are labelled, as the live path found them: the selector of all the brokers'
/// streams (`{job="kafka"}`, `{namespace=~"kafka"}`, `{service_name=~"kafka"}`) and per broker the matcher
/// that picks its own streams (`broker="2"`, `pod="prod-kafka-2"`, `host="kafka-2"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogStreams {
    pub selector: String,
    pub brokers: std::collections::BTreeMap<i32, String>,
}

pub fn verification(
    g: &Graph,
    rule: &Rule,
    anchor: usize,
    blast: &BlastRadius,
    window: Option<(i64, i64)>,
) -> Vec<Verification> {
    let values = placeholder_values(g, anchor, blast, window);
    let matcher = values[0].1.as_deref().and_then(|b| broker_matcher(g, b));
    let mut out = vec![];
    for check in &rule.check {
        let (start, end) = (values[5].1.clone(), values[6].1.clone());
        let made = match check.kind {
            CheckKind::Promql => fill(check.query.as_deref().unwrap_or_default(), &values).map(|q| {
                let q = match (&matcher, &values[0].1) {
                    (Some(m), Some(b)) => q.replace(&format!("broker=\"{b}\""), m),
                    _ => q,
                };
                let mut args = json!({"queries": [q]});
                add_window(&mut args, start, end);
                ("prom_snapshot".to_string(), args)
            }),
            CheckKind::Logql => fill(check.query.as_deref().unwrap_or_default(), &values).map(|q| {
                let q = match &g.log_streams {
                    Some(streams) => relabel_logql(&q, streams, values[0].1.as_deref()),
                    None => q,
                };
                let mut args = json!({"logql": q, "mode": "summary"});
                add_window(&mut args, start, end);
                ("loki_query".to_string(), args)
            }),
            CheckKind::Kafka => fill(check.arguments.as_deref().unwrap_or_default(), &values)
                .and_then(|a| serde_json::from_str::<Value>(&a).ok())
                .map(|args| (check.tool.clone().unwrap_or_default(), args)),
        };
        let Some((tool, arguments)) = made else { continue };
        // The text of `confirms` may name the same placeholders; unresolved ones stay readable.
        let confirms = fill(&check.confirms, &values).unwrap_or_else(|| check.confirms.clone());
        out.push(Verification { kind: check.kind.name().into(), tool, arguments, confirms });
    }
    out
}

/// How the broker's metric series are labelled when not by `broker` (host-only or Kubernetes label
/// schemes): the pod, else its host in `instance` (any port, so its node exporter matches too), from the
/// labels of a metric signal on that broker. None when they carry `broker` or nothing is known.
fn broker_matcher(g: &Graph, broker: &str) -> Option<String> {
    let labels = broker_labels(g, broker)?;
    let get = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("broker").is_some() {
        return None;
    }
    if let Some(pod) = get("pod") {
        return Some(format!("pod=\"{pod}\""));
    }
    let instance = get("instance")?;
    let host = instance.rsplit_once(':').map(|(h, _)| h).unwrap_or(&instance);
    Some(format!("instance=~\"{}(:[0-9]+)?\"", regex::escape(host).replace('\\', "\\\\")))
}

/// A regex for the broker's pod, for the volume claims named after it (`data-kafka-2`, Strimzi's
/// `data-0-prod-kafka-2`): the pod its metric series carry when known, else a name ending in `kafka-<id>`.
fn broker_pod(g: &Graph, broker: &str) -> String {
    let pod = broker_labels(g, broker).and_then(|l| l.into_iter().find(|(k, _)| k == "pod").map(|(_, v)| v));
    match pod {
        Some(p) => p.replace('.', "\\."),
        // The check puts `(.+-)?` before it (a claim is named `data-<pod>`).
        None => format!("kafka-0*{broker}"),
    }
}

/// A regex for the broker's host, as its node exporter's `instance` names it (any port): the host in the
/// `instance` of its own series when that is a name, else its pod, else a name ending in `kafka-<id>`.
fn broker_host(g: &Graph, broker: &str) -> String {
    let labels = broker_labels(g, broker).unwrap_or_default();
    let get = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let named = get("instance").and_then(|i| super::live_ids::host_of(&i).map(|_| i.clone()));
    match named.map(|i| i.rsplit_once(':').map(|(h, _)| h.to_string()).unwrap_or(i)).or_else(|| get("pod")) {
        // Host names hold letters, digits, `-` and `.`: only the dot needs escaping (kept readable).
        Some(h) => h.replace('.', "\\."),
        None => format!("(.+-)?kafka-0*{broker}"),
    }
}

/// The labels of a metric series on the broker (from a metric signal's detail), when there is one.
fn broker_labels(g: &Graph, broker: &str) -> Option<Vec<(String, String)>> {
    let id: i32 = broker.parse().ok()?;
    let entity = g.find(&EntityRef::Broker(id))?;
    g.signals_on(entity).iter().find_map(|&s| {
        let sig = &g.signals[s];
        (sig.source == super::observation::SignalSource::Metric).then_some(())?;
        let d = sig.detail.as_deref()?;
        let text = &d[d.rfind(" {")? + 1..];
        Some(label_pairs(text))
    })
}

/// A rule's LogQL on the streams the live path found: its stream selector (`{job="kafka"}`, written for
/// one label scheme) becomes the discovered one, narrowed to the broker's own streams when it named a
/// broker (`{job="kafka", broker="2"}` -> `{namespace=~"kafka", pod="prod-kafka-2"}`); the pipeline stays.
/// A broker whose streams are unknown (it logged nothing) gets all the brokers' streams.
pub fn relabel_logql(query: &str, streams: &LogStreams, broker: Option<&str>) -> String {
    let Some(end) = selector_end(query) else { return query.to_string() };
    let (selector, pipeline) = query.split_at(end + 1);
    let names_broker = label_pairs(selector).iter().any(|(k, _)| k == "broker");
    let matcher = broker.and_then(|b| b.parse::<i32>().ok()).and_then(|b| streams.brokers.get(&b));
    let chosen = match (names_broker, matcher, streams.selector.trim().strip_suffix('}')) {
        (true, Some(m), Some(open)) => format!("{}, {m}}}", open.trim_end().trim_end_matches(',')),
        _ => streams.selector.trim().to_string(),
    };
    format!("{chosen}{pipeline}")
}

/// The index of the `}` closing a query's leading stream selector (quotes and escapes respected).
fn selector_end(query: &str) -> Option<usize> {
    if !query.starts_with('{') {
        return None;
    }
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in query.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `{a="1", b="x"}` as pairs.
pub(crate) fn label_pairs(text: &str) -> Vec<(String, String)> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = RE.get_or_init(|| regex::Regex::new(r#"(\w+)="((?:[^"\\]|\\.)*)""#).ok()) else { return vec![] };
    re.captures_iter(text).map(|c| (c[1].to_string(), c[2].to_string())).collect()
}

fn add_window(args: &mut Value, start: Option<String>, end: Option<String>) {
    if let (Some(s), Some(e), Value::Object(m)) = (start, end, args) {
        m.insert("start".into(), Value::String(s));
        m.insert("end".into(), Value::String(e));
    }
}

/// Replaces every `{name}`; None when a placeholder used has no value. Values are escaped as in a JSON
/// (and PromQL/LogQL) double-quoted string.
fn fill(template: &str, values: &[(&str, Option<String>)]) -> Option<String> {
    let mut text = template.to_string();
    for (name, value) in values {
        let token = format!("{{{name}}}");
        if text.contains(&token) {
            let v = value.as_ref()?;
            let escaped = serde_json::to_string(v).ok()?;
            text = text.replace(&token, &escaped[1..escaped.len() - 1]);
        }
    }
    Some(text)
}

fn placeholder_values(
    g: &Graph,
    anchor: usize,
    blast: &BlastRadius,
    window: Option<(i64, i64)>,
) -> Vec<(&'static str, Option<String>)> {
    let strip = |s: &String, prefix: &str| s.strip_prefix(prefix).map(str::to_string);
    let (mut broker, mut topic, mut partition, mut group, mut client) = (None, None, None, None, None);
    match &g.entities[anchor] {
        EntityRef::Broker(b) => broker = Some(b.to_string()),
        EntityRef::Topic(t) => topic = Some(t.clone()),
        EntityRef::Partition(t, p) => {
            topic = Some(t.clone());
            partition = Some(p.to_string());
            broker = g.sources(anchor, EdgeKind::Leads).first().map(|&b| g.name(b).replace("broker:", ""));
        }
        EntityRef::Group(id) => group = Some(id.clone()),
        EntityRef::Client(id) => client = Some(id.clone()),
        EntityRef::Cluster => {}
    }
    broker = broker.or_else(|| blast.brokers.first().and_then(|b| strip(b, "broker:")));
    // Prefer a user topic over internal ones (__consumer_offsets) for checks.
    let mut topics: Vec<&String> = blast.topics.iter().collect();
    topics.sort_by_key(|t| t.starts_with("topic:__"));
    topic = topic.or_else(|| topics.first().and_then(|t| strip(t, "topic:")));
    if partition.is_none() {
        if let Some(t) = &topic {
            let prefix = format!("partition:{t}-");
            partition = blast.partition_sample.iter().find_map(|p| p.strip_prefix(&prefix).map(str::to_string));
        }
    }
    group = group.or_else(|| blast.groups.first().and_then(|g| strip(g, "group:")));
    client = client.or_else(|| blast.clients.first().and_then(|c| strip(c, "client:")));
    let pod = broker.as_deref().map(|b| broker_pod(g, b));
    let host = broker.as_deref().map(|b| broker_host(g, b));
    let values = [
        broker,
        topic,
        partition,
        group,
        client,
        window.map(|w| format_ms(w.0)),
        window.map(|w| format_ms(w.1)),
        pod,
        host,
    ];
    PLACEHOLDERS.into_iter().zip(values).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_escape_and_leave_out_what_has_no_value() {
        let values = vec![("broker", Some("2".to_string())), ("group", Some("a\"b".to_string())), ("topic", None)];
        assert_eq!(fill(r#"up{broker="{broker}"}"#, &values).unwrap(), r#"up{broker="2"}"#);
        assert_eq!(fill(r#"{job="kafka"} |= "{group}""#, &values).unwrap(), r#"{job="kafka"} |= "a\"b""#);
        assert_eq!(fill(r#"{"pattern": "{topic}"}"#, &values), None);
    }

    #[test]
    fn logql_checks_follow_the_discovered_streams() {
        let streams = LogStreams {
            selector: r#"{namespace=~"kafka"}"#.into(),
            brokers: [(2, r#"pod="prod-kafka-2""#.to_string())].into_iter().collect(),
        };
        let q = r#"{job="kafka", broker="2"} |~ "No space left on device|LogDirFailureChannel""#;
        assert_eq!(
            relabel_logql(q, &streams, Some("2")),
            r#"{namespace=~"kafka", pod="prod-kafka-2"} |~ "No space left on device|LogDirFailureChannel""#
        );
        // A broker that logged nothing: all the brokers' streams, the filter kept.
        assert_eq!(
            relabel_logql(q, &streams, Some("3")),
            r#"{namespace=~"kafka"} |~ "No space left on device|LogDirFailureChannel""#
        );
        // A cluster-wide check keeps its pipeline, quotes and braces in it included.
        let q = r#"{job="kafka"} |= "a}\"b" |~ "Preparing to rebalance group g""#;
        assert_eq!(
            relabel_logql(q, &streams, None),
            r#"{namespace=~"kafka"} |= "a}\"b" |~ "Preparing to rebalance group g""#
        );
        // Not a selector first: left as it is.
        assert_eq!(relabel_logql("sum(rate({job=\"kafka\"}[1m]))", &streams, None), "sum(rate({job=\"kafka\"}[1m]))");
    }

    #[test]
    fn label_pairs_read_a_series_label_text() {
        assert_eq!(
            label_pairs(r#"{instance="kafka-2:7071", job="kafka"}"#),
            [("instance".to_string(), "kafka-2:7071".to_string()), ("job".to_string(), "kafka".to_string())]
        );
    }
}
