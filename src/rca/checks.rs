//! Verification checks of a hypothesis, ready to run: the rule's PromQL, LogQL and Kafka checks with the
//! hypothesis's broker, topic, partition, group, client and window filled in, as a tool call.

use super::graph::{EdgeKind, Graph};
use super::hypothesis::{BlastRadius, Verification};
use super::observation::EntityRef;
use super::rules::{CheckKind, Rule};
use crate::observe::time::format_ms;
use serde_json::{json, Value};

const PLACEHOLDERS: [&str; 7] = ["broker", "topic", "partition", "group", "client", "start", "end"];

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
    let id: i32 = broker.parse().ok()?;
    let entity = g.find(&EntityRef::Broker(id))?;
    let labels = g.signals_on(entity).iter().find_map(|&s| {
        let sig = &g.signals[s];
        (sig.source == super::observation::SignalSource::Metric).then_some(())?;
        let d = sig.detail.as_deref()?;
        let text = &d[d.rfind(" {")? + 1..];
        Some(crate::rca::checks::label_pairs(text))
    })?;
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
    let values =
        [broker, topic, partition, group, client, window.map(|w| format_ms(w.0)), window.map(|w| format_ms(w.1))];
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
    fn label_pairs_read_a_series_label_text() {
        assert_eq!(
            label_pairs(r#"{instance="kafka-2:7071", job="kafka"}"#),
            [("instance".to_string(), "kafka-2:7071".to_string()), ("job".to_string(), "kafka".to_string())]
        );
    }
}
