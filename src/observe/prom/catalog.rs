//! The Kafka metric catalog (`catalog.toml`, compiled in): metric roles and their names in both naming
//! families, and the presets built from them. Names are overridable by `[prometheus] metric_names`.

use super::analysis::StateRule;
use crate::error::{Error, Result};
use crate::observe::selector::label_matcher;
use serde::Deserialize;
use std::collections::BTreeMap;

const BUILT_IN: &str = include_str!("catalog.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    pub name: String,
    /// `jmx` (JMX exporter rules, JVM, node_exporter) or `exporter` (kafka_exporter).
    pub family: String,
    /// Which tool filters (broker, topic, group) apply to this metric.
    pub filters: Vec<String>,
    /// Matchers always added (e.g. `job="kafka"` for `up`).
    #[serde(default)]
    pub matchers: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetQuery {
    pub id: String,
    pub title: String,
    pub expr: String,
    #[serde(default)]
    pub state: Option<StateRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub id: String,
    pub title: String,
    pub query: Vec<PresetQuery>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub filter_labels: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, MetricDef>,
    #[serde(rename = "preset")]
    pub presets: Vec<Preset>,
}

/// The tool's label filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub broker: Option<String>,
    pub topic: Option<String>,
    pub group: Option<String>,
}

impl Filters {
    fn get(&self, filter: &str) -> Option<&str> {
        match filter {
            "broker" => self.broker.as_deref(),
            "topic" => self.topic.as_deref(),
            "group" => self.group.as_deref(),
            _ => None,
        }
    }
}

/// A preset query with its templates filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedQuery {
    pub id: String,
    pub title: String,
    pub expr: String,
    pub state: Option<StateRule>,
}

impl Catalog {
    pub fn built_in() -> Catalog {
        // Parsed in a unit test; an error here would be a build defect, so fall back to an empty catalog.
        toml::from_str(BUILT_IN).unwrap_or(Catalog {
            filter_labels: BTreeMap::new(),
            metrics: BTreeMap::new(),
            presets: vec![],
        })
    }

    /// The built-in catalog with names overridden by role (`[prometheus] metric_names`).
    pub fn with_overrides(names: &BTreeMap<String, String>) -> Result<Catalog> {
        let mut catalog = Self::built_in();
        let roles: Vec<String> = catalog.metrics.keys().cloned().collect();
        for (role, name) in names {
            let metric = catalog.metrics.get_mut(role).ok_or_else(|| {
                Error::bad_input(
                    format!("prometheus.metric_names.{role}"),
                    format!("one of the metric roles: {}", roles.join(", ")),
                )
            })?;
            metric.name = name.clone();
        }
        Ok(catalog)
    }

    pub fn preset(&self, id: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.id == id)
    }

    /// The queries of a preset with roles, filters and the rate window filled in.
    pub fn resolve(&self, preset: &Preset, filters: &Filters, range: &str) -> Result<Vec<ResolvedQuery>> {
        preset
            .query
            .iter()
            .map(|q| {
                Ok(ResolvedQuery {
                    id: q.id.clone(),
                    title: q.title.clone(),
                    expr: self.expand(&q.expr, filters, range)?,
                    state: q.state.clone(),
                })
            })
            .collect()
    }

    /// Replaces `{{role}}` (optionally followed by `{extra matchers}`) with `name{filters, matchers}`, and
    /// `{{range}}` with `range`.
    pub fn expand(&self, template: &str, filters: &Filters, range: &str) -> Result<String> {
        let mut out = String::with_capacity(template.len() + 64);
        let mut rest = template;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| Error::internal(format!("unclosed {{{{ in the catalog query `{template}`")))?;
            let role = after[..close].trim();
            rest = &after[close + 2..];
            if role == "range" {
                out.push_str(range);
                continue;
            }
            let metric = self.metrics.get(role).ok_or_else(|| {
                Error::internal(format!("the catalog query `{template}` names an unknown metric role `{role}`"))
            })?;
            let mut matchers: Vec<String> = metric.matchers.iter().cloned().collect();
            for f in &metric.filters {
                if let (Some(value), Some(label)) = (filters.get(f), self.filter_labels.get(f)) {
                    matchers.push(label_matcher(label, value));
                }
            }
            if let Some(extra) = rest.strip_prefix('{') {
                let end = extra
                    .find('}')
                    .ok_or_else(|| Error::internal(format!("unclosed matcher in the catalog query `{template}`")))?;
                matchers.push(extra[..end].to_string());
                rest = &extra[end + 1..];
            }
            out.push_str(&metric.name);
            if !matchers.is_empty() {
                out.push('{');
                out.push_str(&matchers.join(", "));
                out.push('}');
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalog_parses_and_every_preset_resolves() {
        let c: Catalog = toml::from_str(BUILT_IN).unwrap();
        let ids: Vec<&str> = c.presets.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "broker_health",
                "replication",
                "consumer_lag",
                "jvm_gc",
                "request_latency",
                "quotas",
                "partition_skew",
                "throughput"
            ]
        );
        for p in &c.presets {
            for q in c.resolve(p, &Filters::default(), "1m").unwrap() {
                assert!(!q.expr.contains("{{"), "{}", q.expr);
            }
        }
        assert!(c.metrics.values().any(|m| m.family == "exporter") && c.metrics.values().any(|m| m.family == "jmx"));
    }

    #[test]
    fn filters_apply_only_where_the_metric_has_the_label() {
        let c = Catalog::built_in();
        let f = Filters { broker: Some("2".into()), topic: Some("orders|payments".into()), group: None };
        assert_eq!(
            c.expand("sum by (topic) (rate({{messages_in}}[{{range}}]))", &f, "2m").unwrap(),
            "sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{broker=\"2\", topic=~\"orders|payments\"}[2m]))"
        );
        assert_eq!(c.expand("max({{brokers}})", &f, "1m").unwrap(), "max(kafka_brokers)");
        assert_eq!(
            c.expand("{{broker_up}}", &f, "1m").unwrap(),
            "up{job=~\".*(kafka|msk).*\", job!~\".*(exporter|connect|zookeeper|zk|schema|registry|rest|mirror|cruise|lag|controller|ui|ksql|bridge|node).*\", broker=\"2\"}"
        );
        // MSK / Confluent for Kubernetes naming: the bean's `name` key as a label, the metric name in either case.
        assert_eq!(
            c.expand("{{produce_p99_named}}{request=\"Produce\"}", &Filters::default(), "1m").unwrap(),
            "{__name__=~\"(?i:kafka_network_requestmetrics_99thpercentile)\", name=\"TotalTimeMs\", request=\"Produce\"}"
        );
        assert_eq!(
            c.expand("{{heap_used}}{area=\"heap\"} / {{heap_max}}{area=\"heap\"}", &Filters::default(), "1m").unwrap(),
            "jvm_memory_bytes_used{area=\"heap\"} / jvm_memory_bytes_max{area=\"heap\"}"
        );
    }

    #[test]
    fn names_are_overridable_by_role_and_unknown_roles_are_named() {
        let names = [("consumer_lag".to_string(), "kafka_consumergroup_group_lag".to_string())].into();
        let c = Catalog::with_overrides(&names).unwrap();
        assert_eq!(c.expand("{{consumer_lag}}", &Filters::default(), "1m").unwrap(), "kafka_consumergroup_group_lag");
        let bad = [("lagg".to_string(), "x".to_string())].into();
        let err = Catalog::with_overrides(&bad).unwrap_err();
        assert_eq!(err.argument(), Some("prometheus.metric_names.lagg"));
        assert!(err.to_string().contains("consumer_lag"));
    }
}
