//! Hypotheses and their ranking. For every rule and every entity its trigger is seen on, the evidence per
//! step is gathered from the graph; a hypothesis scores on the steps found (weighted), the share of all
//! signals it explains, whether its steps began in the expected order, and contradicting evidence.

use super::graph::Graph;
use super::observation::EntityKind;
use super::rules::{Rule, Scope, Step};
use super::scope::{candidate_anchors, in_scope};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Steps may overlap by this much and still count as in order (metrics are sampled, logs are not).
pub const ORDER_TOLERANCE_MS: i64 = 30_000;
/// A symptom counts from this long before its cause's trigger...
pub const LOOKBACK_MS: i64 = 15 * 60 * 1000;
/// ...to this long after it.
pub const HORIZON_MS: i64 = 30 * 60 * 1000;

/// A scored hypothesis, with signal indexes into the graph; rendering is `answer.rs`'s job.
#[derive(Debug, Clone)]
pub struct Scored {
    pub rule: usize,
    pub anchor: usize,
    /// 0-1, unrounded (ties at two decimals are still ordered).
    pub confidence: f64,
    /// Per step of the rule: the signals matched.
    pub steps: Vec<Vec<usize>>,
    /// Pairs of step indexes (earlier phase, later phase) whose order the times contradict.
    pub order_violations: Vec<(usize, usize)>,
    pub order_pairs: usize,
    /// Per contradiction of the rule: the signals found.
    pub contradictions: Vec<Vec<usize>>,
    /// Signals not explained by this hypothesis that began before its trigger, on its anchor.
    pub preceded_by: Vec<usize>,
    pub explained: BTreeSet<usize>,
    pub parts: ScoreParts,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize, schemars::JsonSchema)]
pub struct ScoreParts {
    /// Weighted share of the rule's steps seen (0-1).
    pub evidence: f64,
    /// Share of all signals this hypothesis explains (0-1).
    pub explained: f64,
    /// Share of step pairs in the expected order (0-1; 1 when there is nothing to compare).
    pub order: f64,
    /// Contradicting findings.
    pub contradictions: usize,
}

/// Ranks every hypothesis the rules form on the graph, best first.
pub fn rank(g: &Graph, rules: &[Rule]) -> Vec<Scored> {
    let mut by_class: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in g.signals.iter().enumerate() {
        by_class.entry(s.class.as_str()).or_default().push(i);
    }
    let mut out = vec![];
    for (ri, rule) in rules.iter().enumerate() {
        let mut anchors = BTreeSet::new();
        for step in rule.step.iter().filter(|s| s.trigger) {
            for s in signals_of(&by_class, step) {
                for a in candidate_anchors(g, rule, g.signals[s].entity) {
                    if step.scope.iter().any(|&sc| in_scope(g, a, sc, g.signals[s].entity)) {
                        anchors.insert(a);
                    }
                }
            }
        }
        for a in anchors {
            out.push(score(g, &by_class, ri, rule, a));
        }
    }
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.explained.len().cmp(&a.explained.len()))
            .then(a.rule.cmp(&b.rule))
            .then(a.anchor.cmp(&b.anchor))
    });
    out
}

fn signals_of<'a>(by_class: &'a HashMap<&str, Vec<usize>>, classes: &'a Step) -> impl Iterator<Item = usize> + 'a {
    classes.classes.iter().flat_map(|c| by_class.get(c.as_str()).into_iter().flatten().copied())
}

/// Signals of the step's classes in its scope, each with whether a narrow scope (one that follows the
/// graph from the anchor) matched it, rather than only a broad one (peers, all brokers, cluster, any).
fn matching(g: &Graph, by_class: &HashMap<&str, Vec<usize>>, anchor: usize, step: &Step) -> Vec<(usize, bool)> {
    let mut found: Vec<(usize, bool)> = signals_of(by_class, step)
        .filter_map(|s| {
            let e = g.signals[s].entity;
            let narrow = step.scope.iter().any(|&sc| !is_broad(sc) && in_scope(g, anchor, sc, e));
            (narrow || step.scope.iter().any(|&sc| is_broad(sc) && in_scope(g, anchor, sc, e))).then_some((s, narrow))
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Scopes that tie a signal to the anchor by time alone.
fn is_broad(scope: Scope) -> bool {
    matches!(scope, Scope::Peers | Scope::Brokers | Scope::Cluster | Scope::Any)
}

fn score(g: &Graph, by_class: &HashMap<&str, Vec<usize>>, ri: usize, rule: &Rule, anchor: usize) -> Scored {
    let matched: Vec<Vec<(usize, bool)>> = rule.step.iter().map(|st| matching(g, by_class, anchor, st)).collect();
    // The incident's time frame around the trigger: a symptom counts from LOOKBACK before it (so an effect
    // that came first can contradict the order) to HORIZON after; older or later ones are background. A
    // signal tied to the anchor only by a broad scope (a peer, the cluster) must not precede the trigger.
    let trigger_start = rule
        .step
        .iter()
        .zip(&matched)
        .filter(|(s, _)| s.trigger)
        .flat_map(|(_, m)| m.iter())
        .filter_map(|(s, _)| g.signals[*s].start_ms)
        .min();
    let in_frame = |s: usize, narrow: bool| match (g.signals[s].start_ms, trigger_start) {
        (Some(t), Some(t0)) => {
            let from = if narrow { t0 - LOOKBACK_MS } else { t0 - ORDER_TOLERANCE_MS };
            t >= from && t <= t0 + HORIZON_MS
        }
        _ => true,
    };
    let steps: Vec<Vec<usize>> = rule
        .step
        .iter()
        .zip(&matched)
        .map(|(st, m)| m.iter().filter(|(s, narrow)| st.trigger || in_frame(*s, *narrow)).map(|(s, _)| *s).collect())
        .collect();
    let total_weight: f64 = rule.step.iter().map(|s| s.weight).sum();
    let seen_weight: f64 = rule.step.iter().zip(&steps).filter(|(_, m)| !m.is_empty()).map(|(s, _)| s.weight).sum();
    let evidence = seen_weight / total_weight;

    // Order is judged on signals tied to the anchor through the graph (and the trigger's own): one linked by
    // time alone (a peer's connection errors) cannot say which came first.
    let narrow: HashSet<usize> = matched.iter().flatten().filter(|(_, n)| *n).map(|(s, _)| *s).collect();
    let first: Vec<Option<i64>> = rule
        .step
        .iter()
        .zip(&steps)
        .map(|(st, m)| {
            m.iter().filter(|s| st.trigger || narrow.contains(s)).filter_map(|&s| g.signals[s].start_ms).min()
        })
        .collect();
    let mut order_pairs = 0;
    let mut order_violations = vec![];
    for (i, a) in rule.step.iter().enumerate() {
        for (j, b) in rule.step.iter().enumerate() {
            if a.phase >= b.phase {
                continue;
            }
            if let (Some(ta), Some(tb)) = (first[i], first[j]) {
                order_pairs += 1;
                if tb + ORDER_TOLERANCE_MS < ta {
                    order_violations.push((i, j));
                }
            }
        }
    }
    let order = if order_pairs == 0 { 1.0 } else { 1.0 - order_violations.len() as f64 / order_pairs as f64 };

    let explained: BTreeSet<usize> = steps.iter().flatten().copied().collect();
    let contradictions: Vec<Vec<usize>> = rule
        .contradiction
        .iter()
        .map(|c| {
            let step = Step {
                name: String::new(),
                phase: 0,
                classes: c.classes.clone(),
                scope: c.scope.clone(),
                weight: 1.0,
                trigger: false,
            };
            matching(g, by_class, anchor, &step)
                .into_iter()
                .filter(|&(s, _)| in_frame(s, true) && !explained.contains(&s))
                .map(|(s, _)| s)
                .collect()
        })
        .collect();
    let contradiction_count = contradictions.iter().filter(|c| !c.is_empty()).count();

    // A deeper cause shows as an unexplained signal on the same entity that began before the trigger (no
    // tolerance here: a log line a few seconds earlier is exactly what tells a cause from its effect).
    let preceded_by: Vec<usize> = match trigger_start {
        Some(t0) if g.kind(anchor) != EntityKind::Cluster => g
            .signals_on(anchor)
            .iter()
            .copied()
            .filter(|s| {
                !explained.contains(s) && g.signals[*s].start_ms.is_some_and(|t| t < t0 && t >= t0 - LOOKBACK_MS)
            })
            .collect(),
        _ => vec![],
    };

    let explained_share = if g.signals.is_empty() { 0.0 } else { explained.len() as f64 / g.signals.len() as f64 };
    let mut confidence = 0.45 * evidence + 0.2 * explained_share + 0.35 * order;
    if !order_violations.is_empty() {
        confidence *= 0.6;
    }
    confidence *= 0.6f64.powi(contradiction_count as i32);
    if !preceded_by.is_empty() {
        confidence *= 0.85;
    }
    // Only standing findings (configuration, current metadata) and nothing that happened: not an incident.
    if !explained.iter().any(|&s| g.signals[s].start_ms.is_some()) {
        confidence *= 0.5;
    }
    Scored {
        rule: ri,
        anchor,
        confidence,
        steps,
        order_violations,
        order_pairs,
        contradictions,
        preceded_by,
        explained,
        parts: ScoreParts { evidence, explained: explained_share, order, contradictions: contradiction_count },
    }
}
