//! The answer of an analysis: ranked hypotheses with their evidence and times, what each explains (blast
//! radius), verification checks ready to run, and remediation; or, when no rule fits, the strongest signals.

use super::graph::Graph;
pub use super::hypothesis::*;
use super::observation::{EntityKind, EntityRef};
use super::rank::{rank, Scored};
use super::rules::Rule;
use crate::observe::time::format_ms;
use crate::text::first_line;
use std::collections::BTreeSet;

/// Below this confidence the best hypothesis is not called a fit.
pub const FIT_THRESHOLD: f64 = 0.4;
/// How many hypotheses an answer lists.
pub const MAX_HYPOTHESES: usize = 5;
/// Entities named per evidence step or blast-radius list; the rest are counted.
const MAX_NAMES: usize = 12;

/// Options of one analysis.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// The incident window (ms); verification queries use it. Default: the span of the signals.
    pub window: Option<(i64, i64)>,
    /// Keep hypotheses that concern these entities (their anchor or blast radius).
    pub focus: Vec<EntityRef>,
}

/// Ranks hypotheses and renders them; also returns the scored hypotheses behind them, same order.
pub fn analyze(g: &Graph, rules: &[Rule], opts: &AnalyzeOptions) -> (Analysis, Vec<Scored>) {
    let window = opts.window.or_else(|| signal_span(g));
    let mut scored = rank(g, rules);
    let mut focus_note = String::new();
    if !opts.focus.is_empty() {
        let focus: Vec<usize> = opts.focus.iter().filter_map(|f| g.find(f)).collect();
        let touching: Vec<Scored> = scored.iter().filter(|s| touches(g, s, &focus)).cloned().collect();
        if touching.is_empty() {
            focus_note = " (no hypothesis concerns the focus; showing all)".into();
        } else {
            scored = touching;
        }
    }
    scored.truncate(MAX_HYPOTHESES);
    let mut hypotheses: Vec<Hypothesis> =
        scored.iter().enumerate().map(|(i, s)| render(g, rules, s, i + 1, window)).collect();
    if let [a, b, ..] = scored.as_slice() {
        let apart = tells_apart(g, rules, a, b, &hypotheses[0], &hypotheses[1]);
        hypotheses[0].tells_apart = Some(apart);
    }
    let fits = hypotheses.first().is_some_and(|h| h.confidence >= FIT_THRESHOLD);
    let verdict = match hypotheses.first() {
        Some(h) if fits => format!("{} on {} (confidence {:.2}){focus_note}", h.cause, h.on, h.confidence),
        Some(h) => format!(
            "no rule fits well: the best, {} on {}, has confidence {:.2}; see the strongest signals{focus_note}",
            h.cause, h.on, h.confidence
        ),
        None if g.signals.is_empty() => "no signals to analyse: pass observations.signals or widen the window".into(),
        None => "no rule fits: none of the rules' trigger signals was seen; see the strongest signals".into(),
    };
    let known = super::rules::known_classes(rules);
    let unused: BTreeSet<String> =
        g.signals.iter().filter(|s| !known.contains(&s.class)).map(|s| s.class.clone()).collect();
    let analysis = Analysis {
        fits,
        verdict,
        hypotheses,
        strongest_signals: strongest(g, 10),
        unused_classes: unused.into_iter().collect(),
        graph: GraphStats {
            brokers: g.entity_count(EntityKind::Broker),
            topics: g.entity_count(EntityKind::Topic),
            partitions: g.entity_count(EntityKind::Partition),
            groups: g.entity_count(EntityKind::Group),
            clients: g.entity_count(EntityKind::Client),
            signals: g.signals.len(),
            edges: g.edges.len(),
        },
    };
    (analysis, scored)
}

fn touches(g: &Graph, s: &Scored, focus: &[usize]) -> bool {
    focus.iter().any(|&f| {
        s.anchor == f
            || s.explained.iter().any(|&x| {
                let e = g.signals[x].entity;
                e == f || g.topic_of(e) == Some(f)
            })
    })
}

fn signal_span(g: &Graph) -> Option<(i64, i64)> {
    let starts = g.signals.iter().filter_map(|s| s.start_ms);
    let min = starts.clone().min()?;
    let max = g.signals.iter().filter_map(|s| s.end_ms.or(s.start_ms)).max().unwrap_or(min);
    Some((min, max.max(min + 1000)))
}

fn render(g: &Graph, rules: &[Rule], s: &Scored, rank: usize, window: Option<(i64, i64)>) -> Hypothesis {
    let rule = &rules[s.rule];
    let mut evidence: Vec<(u32, Evidence)> = vec![];
    let mut missing = vec![];
    for (step, found) in rule.step.iter().zip(&s.steps) {
        if found.is_empty() {
            missing.push(step.name.clone());
        } else {
            evidence.push((step.phase, evidence_of(g, &step.name, step.phase, found)));
        }
    }
    evidence.sort_by_key(|(phase, e)| (*phase, e.first.clone()));
    let order = if s.order_pairs == 0 {
        "not checked: fewer than two steps with times".to_string()
    } else if s.order_violations.is_empty() {
        format!("as expected ({} step pairs checked)", s.order_pairs)
    } else {
        let v: Vec<String> = s
            .order_violations
            .iter()
            .map(|(a, b)| format!("`{}` began before `{}`", rule.step[*b].name, rule.step[*a].name))
            .collect();
        format!("contradicted: {}", v.join("; "))
    };
    let mut contradicting: Vec<String> = rule
        .contradiction
        .iter()
        .zip(&s.contradictions)
        .filter(|(_, found)| !found.is_empty())
        .map(|(c, found)| {
            format!("{} ({} on {})", c.why, g.signals[found[0]].class, g.name(g.signals[found[0]].entity))
        })
        .collect();
    if let Some(&first) = s.preceded_by.first() {
        let sig = &g.signals[first];
        contradicting.push(format!(
            "{} signal(s) on {} began before the trigger and are not explained, e.g. {} at {}: a deeper cause may exist",
            s.preceded_by.len(),
            g.name(s.anchor),
            sig.class,
            sig.start_ms.map(format_ms).unwrap_or_default()
        ));
    }
    let blast = blast_radius(g, s);
    Hypothesis {
        rank,
        rule: rule.id.clone(),
        cause: rule.cause.clone(),
        on: g.name(s.anchor),
        confidence: (s.confidence * 100.0).round() / 100.0,
        summary: rule.summary.clone(),
        evidence: evidence.into_iter().map(|(_, e)| e).collect(),
        missing,
        order,
        contradicting,
        verification: super::checks::verification(g, rule, s.anchor, &blast, window),
        blast_radius: blast,
        remediation: rule.remediation.clone(),
        score: s.parts,
        demoted: s.demoted.clone(),
        tells_apart: None,
    }
}

/// What tells the first hypothesis from the second: what each cause shows that the other does not, which
/// began first, and the first query check of the first (else of the second) to run.
fn tells_apart(g: &Graph, rules: &[Rule], a: &Scored, b: &Scored, ha: &Hypothesis, hb: &Hypothesis) -> TellsApart {
    let (ra, rb) = (&rules[a.rule], &rules[b.rule]);
    let tell = |r: &Rule| r.tell.clone().unwrap_or_else(|| first_line(&r.summary, 200));
    let mut text = if a.rule == b.rule {
        format!(
            "Same cause on two entities: it is on {} if {} shows it there and {} shows it less or later ({}).",
            ha.on,
            ha.on,
            hb.on,
            tell(ra)
        )
    } else {
        format!("{} on {} if {}; {} on {} if {}.", ra.cause, ha.on, tell(ra), rb.cause, hb.on, tell(rb))
    };
    match (a.onset, b.onset) {
        (Some(x), Some(y)) if x + super::rank::ORDER_TOLERANCE_MS < y => text.push_str(&format!(
            " {} began first ({}, {} at {}): the later one may be its effect.",
            ha.rule,
            format_ms(x),
            hb.rule,
            format_ms(y)
        )),
        (Some(x), Some(y)) if y + super::rank::ORDER_TOLERANCE_MS < x => text.push_str(&format!(
            " {} began first ({}, {} at {}): check that it is not the cause.",
            hb.rule,
            format_ms(y),
            ha.rule,
            format_ms(x)
        )),
        _ => {}
    }
    let _ = g;
    let query = |h: &Hypothesis| h.verification.iter().find(|v| v.kind != "kafka").cloned();
    TellsApart {
        versus: format!("{}@{}", hb.rule, hb.on),
        discriminator: text,
        verification: query(ha).or_else(|| query(hb)).or_else(|| ha.verification.first().cloned()),
    }
}

fn evidence_of(g: &Graph, step: &str, phase: u32, found: &[usize]) -> Evidence {
    let sigs: Vec<&super::graph::Signal> = found.iter().map(|&i| &g.signals[i]).collect();
    let classes: BTreeSet<String> = sigs.iter().map(|s| s.class.clone()).collect();
    let mut on: Vec<usize> = found.iter().map(|&i| g.signals[i].entity).collect();
    on.sort_unstable();
    on.dedup();
    let lines: u64 = sigs.iter().filter_map(|s| s.count).sum();
    let first_sig =
        found.iter().copied().filter(|&i| g.signals[i].start_ms.is_some()).min_by_key(|&i| g.signals[i].start_ms);
    Evidence {
        step: step.to_string(),
        phase,
        classes: classes.into_iter().collect(),
        signals: found.len(),
        lines: (lines > 0).then_some(lines),
        first: sigs.iter().filter_map(|s| s.start_ms).min().map(format_ms),
        last: sigs.iter().filter_map(|s| s.end_ms.or(s.start_ms)).max().map(format_ms),
        more: on.len().saturating_sub(MAX_NAMES),
        on: on.iter().take(MAX_NAMES).map(|&e| g.name(e)).collect(),
        example: first_sig
            .or(found.first().copied())
            .and_then(|i| g.signals[i].detail.clone())
            .map(|d| first_line(&d, 240)),
    }
}

fn blast_radius(g: &Graph, s: &Scored) -> BlastRadius {
    let mut brokers = BTreeSet::new();
    let mut topics = BTreeSet::new();
    let mut partitions = BTreeSet::new();
    let mut groups = BTreeSet::new();
    let mut clients = BTreeSet::new();
    let mut entities: BTreeSet<usize> = s.explained.iter().map(|&x| g.signals[x].entity).collect();
    entities.insert(s.anchor);
    // A cause on a topic (too few replicas) concerns every partition of it, signals or not.
    if g.kind(s.anchor) == EntityKind::Topic {
        entities.extend(g.targets(s.anchor, super::graph::EdgeKind::Hosts).iter().copied());
    }
    for e in entities {
        match &g.entities[e] {
            EntityRef::Broker(_) => {
                brokers.insert(e);
            }
            EntityRef::Topic(_) => {
                topics.insert(e);
            }
            EntityRef::Partition(..) => {
                partitions.insert(e);
                topics.extend(g.topic_of(e));
            }
            EntityRef::Group(_) => {
                groups.insert(e);
            }
            EntityRef::Client(_) => {
                clients.insert(e);
            }
            EntityRef::Cluster => {}
        }
    }
    // Groups reading an affected topic are affected too.
    for &t in &topics {
        groups.extend(g.sources(t, super::graph::EdgeKind::Consumes).iter().copied());
    }
    let names = |set: &BTreeSet<usize>| set.iter().map(|&e| g.name(e)).collect::<Vec<_>>();
    BlastRadius {
        brokers: names(&brokers),
        topics: names(&topics),
        partitions: partitions.len(),
        partition_sample: partitions.iter().take(MAX_NAMES).map(|&e| g.name(e)).collect(),
        groups: names(&groups),
        clients: names(&clients),
    }
}

/// The earliest signals first, then the untimed ones.
fn strongest(g: &Graph, n: usize) -> Vec<SignalView> {
    let mut order: Vec<usize> = (0..g.signals.len()).collect();
    order.sort_by_key(|&i| {
        (g.signals[i].start_ms.is_none(), g.signals[i].start_ms, std::cmp::Reverse(g.signals[i].count))
    });
    order.into_iter().take(n).map(|i| signal_view(g, i)).collect()
}

pub fn signal_view(g: &Graph, i: usize) -> SignalView {
    let s = &g.signals[i];
    SignalView {
        class: s.class.clone(),
        on: g.name(s.entity),
        reported_by: s.reported_by.map(|r| g.name(r)),
        source: s.source,
        start: s.start_ms.map(format_ms),
        end: s.end_ms.map(format_ms),
        value: s.value,
        count: s.count,
        detail: s.detail.as_deref().map(|d| first_line(d, 240)),
    }
}
