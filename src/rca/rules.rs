//! Root-cause rules: the built-in set (rules.toml, compiled in) plus the rules of `[graph] rules_file`.
//! A rule is data: the cause, the entity kind it sits on, the steps of symptoms in the order they appear,
//! where each step is looked for, what contradicts it, checks to confirm it and the remediation.

use super::observation::{normalize_class, EntityKind};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

const BUILT_IN: &str = include_str!("rules.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rule: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub cause: String,
    pub anchor: EntityKind,
    pub summary: String,
    pub remediation: String,
    /// What this cause shows that its look-alikes do not (tells the top two hypotheses apart).
    #[serde(default)]
    pub tell: Option<String>,
    pub step: Vec<Step>,
    /// The cause is a change (a quota starting to throttle a client): a trigger held unchanged from before the
    /// window to its end is that entity's steady state, not what began the incident.
    #[serde(default)]
    pub begins_with_a_change: bool,
    #[serde(default)]
    pub contradiction: Vec<Contradiction>,
    #[serde(default)]
    pub check: Vec<Check>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: String,
    /// Steps of a lower phase are expected to begin first.
    pub phase: u32,
    pub classes: Vec<String>,
    pub scope: Vec<Scope>,
    /// How much the step counts in the score (default: a full step, 1.0).
    #[serde(default = "full_weight")]
    pub weight: f64,
    /// A hypothesis is only formed for an anchor where a trigger step is seen.
    #[serde(default)]
    pub trigger: bool,
    /// Lines (or signals) the step needs in all to count as repeated (a storm, churn); 0 = any.
    #[serde(default)]
    pub min_count: u64,
    /// The cause's defining symptom: a hypothesis without it is a routine look-alike and ranks lower.
    #[serde(default)]
    pub required: bool,
}

fn full_weight() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contradiction {
    pub classes: Vec<String>,
    pub scope: Vec<Scope>,
    pub why: String,
    /// When above 0: the classes contradict only when seen at least this many times (lines) in all, beginning
    /// no later than the trigger (within the order tolerance), even when a step of the rule explains them (a
    /// storm of rebalances with the lag from its start is not the handful a slow consumer causes later).
    #[serde(default)]
    pub min_count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Promql,
    Logql,
    Kafka,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub kind: CheckKind,
    /// PromQL or LogQL text (promql, logql).
    #[serde(default)]
    pub query: Option<String>,
    /// The tool to call (kafka checks).
    #[serde(default)]
    pub tool: Option<String>,
    /// Its arguments as a JSON object template (kafka checks).
    #[serde(default)]
    pub arguments: Option<String>,
    /// What result confirms the hypothesis.
    pub confirms: String,
}

/// Where, relative to the anchor entity, a step's signals are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Anchor,
    Hosted,
    Peers,
    Brokers,
    Cluster,
    Partitions,
    Leader,
    Consumed,
    Members,
    Produced,
    Consumers,
    Any,
}

/// The rules in force: built-in ones, then those of the configured file (same id replaces).
pub fn load(extra: Option<&Path>) -> Result<Vec<Rule>> {
    let mut rules = parse(BUILT_IN, "built-in rules")?;
    if let Some(path) = extra {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::bad_input("graph.rules_file", format!("a readable rules file at {} ({e})", path.display()))
        })?;
        for rule in parse(&text, "graph.rules_file")? {
            match rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule,
                None => rules.push(rule),
            }
        }
    }
    Ok(rules)
}

pub fn parse(text: &str, origin: &str) -> Result<Vec<Rule>> {
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        Error::bad_input(origin, format!("rules in TOML ([[rule]] with [[rule.step]]): {}", e.message()))
    })?;
    let mut rules = file.rule;
    for rule in &mut rules {
        if rule.step.is_empty() {
            return Err(Error::bad_input(origin, format!("rule `{}` with at least one [[rule.step]]", rule.id)));
        }
        if !rule.step.iter().any(|s| s.trigger) {
            rule.step[0].trigger = true;
        }
        for s in &mut rule.step {
            s.classes = s.classes.iter().map(|c| normalize_class(c)).collect();
            if s.classes.is_empty() || s.scope.is_empty() || s.weight <= 0.0 {
                return Err(Error::bad_input(
                    origin,
                    format!("rule `{}` step `{}` with classes, a scope and a positive weight", rule.id, s.name),
                ));
            }
        }
        for c in &mut rule.contradiction {
            c.classes = c.classes.iter().map(|c| normalize_class(c)).collect();
        }
        for c in &rule.check {
            let ok = match c.kind {
                CheckKind::Kafka => c.tool.is_some() && c.arguments.is_some(),
                _ => c.query.is_some(),
            };
            if !ok {
                return Err(Error::bad_input(
                    origin,
                    format!(
                        "rule `{}`: promql/logql checks need `query`, kafka checks `tool` and `arguments`",
                        rule.id
                    ),
                ));
            }
        }
    }
    Ok(rules)
}

/// Every signal class some rule looks for.
pub fn known_classes(rules: &[Rule]) -> std::collections::BTreeSet<String> {
    rules
        .iter()
        .flat_map(|r| {
            r.step.iter().flat_map(|s| s.classes.iter()).chain(r.contradiction.iter().flat_map(|c| c.classes.iter()))
        })
        .cloned()
        .collect()
}

impl CheckKind {
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Promql => "promql",
            CheckKind::Logql => "logql",
            CheckKind::Kafka => "kafka",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_cover_the_ten_causes() {
        let rules = load(None).unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "broker_out_of_disk",
                "broker_down",
                "gc_pressure",
                "controller_churn",
                "network_partition",
                "slow_consumer",
                "rebalance_storm",
                "producer_quota_throttling",
                "hot_partition",
                "under_provisioned_replication"
            ]
        );
        for r in &rules {
            assert!(!r.check.is_empty(), "{} has no checks", r.id);
        }
    }

    #[test]
    fn a_rules_file_replaces_and_extends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(
            &path,
            "[[rule]]\nid = \"broker_down\"\ncause = \"Mine\"\nanchor = \"broker\"\nsummary = \"s\"\nremediation = \"r\"\n\
             [[rule.step]]\nname = \"x\"\nphase = 1\nclasses = [\"Broker-Down\"]\nscope = [\"anchor\"]\n\
             [[rule]]\nid = \"new\"\ncause = \"New\"\nanchor = \"topic\"\nsummary = \"s\"\nremediation = \"r\"\n\
             [[rule.step]]\nname = \"y\"\nphase = 1\nclasses = [\"z\"]\nscope = [\"any\"]\n",
        )
        .unwrap();
        let rules = load(Some(&path)).unwrap();
        assert_eq!(rules.len(), 11);
        let mine = rules.iter().find(|r| r.id == "broker_down").unwrap();
        assert_eq!(mine.cause, "Mine");
        assert!(mine.step[0].trigger);
        assert_eq!(mine.step[0].classes, ["broker_down"]);
        std::fs::write(&path, "[[rule]]\nid = \"bad\"\n").unwrap();
        assert!(load(Some(&path)).unwrap_err().to_string().contains("graph.rules_file"));
    }
}
