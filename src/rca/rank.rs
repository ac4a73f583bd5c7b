//! Hypotheses and their ranking. For every rule and every entity its trigger is seen on, the evidence per
//! step is gathered from the graph; a hypothesis scores on the steps found (weighted), the share of all
//! signals it explains, whether its steps began in the expected order, and contradicting evidence.

use super::graph::Graph;
use super::observation::EntityKind;
use super::rules::{Rule, Scope, Step};
use super::scope::{candidate_anchors, in_scope};
use crate::observe::time::format_ms;
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
    /// The signals of its trigger steps.
    pub trigger: Vec<usize>,
    /// When its trigger began (ms), if timed.
    pub onset: Option<i64>,
    /// When its trigger signals ended, when all did (None: one is ongoing or untimed).
    pub trigger_end: Option<i64>,
    /// When the last of its timed signals ended, when all did (None: one is ongoing).
    pub active_until: Option<i64>,
    /// Why the ranking demoted it (an effect of another hypothesis, a short blip, over before the rest).
    pub demoted: Vec<String>,
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
    demote(g, rules, &mut out);
    // Ties (the same evidence on two entities) go to the one that began first: the first thing that went wrong.
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.explained.len().cmp(&a.explained.len()))
            .then(a.onset.unwrap_or(i64::MAX).cmp(&b.onset.unwrap_or(i64::MAX)))
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
    let mut matched: Vec<Vec<(usize, bool)>> = rule.step.iter().map(|st| matching(g, by_class, anchor, st)).collect();
    // A trigger seen in separate episodes (a broker restarted briefly early in the window, then went down for
    // good) is judged on the episode that is the incident: the earlier ones were over, and the symptoms they
    // caused are not this episode's.
    if let Some((from, until)) = incident_episode(g, rule, &matched) {
        for (st, m) in rule.step.iter().zip(matched.iter_mut()) {
            if st.trigger {
                m.retain(|(s, _)| {
                    g.signals[*s].start_ms.is_none_or(|t| t >= from && until.is_none_or(|u| t <= u + OVER_BEFORE_MS))
                });
            }
        }
    }
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
    // time alone (a peer's connection errors) cannot say which came first. When the anchor has a step's signals
    // itself, they say when it began there (a group's own lag, not that of partitions other groups also read).
    let narrow: HashSet<usize> = matched.iter().flatten().filter(|(_, n)| *n).map(|(s, _)| *s).collect();
    let first: Vec<Option<i64>> = rule
        .step
        .iter()
        .zip(&steps)
        .map(|(st, m)| {
            let start = |s: &usize| g.signals[*s].start_ms;
            let own = m.iter().filter(|&&s| g.signals[s].entity == anchor).filter_map(start).min();
            own.or_else(|| m.iter().filter(|s| st.trigger || narrow.contains(s)).filter_map(start).min())
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
                min_count: 0,
                required: false,
            };
            let found = matching(g, by_class, anchor, &step).into_iter().map(|(s, _)| s);
            if c.min_count == 0 {
                return found.filter(|&s| in_frame(s, true) && !explained.contains(&s)).collect();
            }
            // A repeated condition present from the trigger's start: counted whether a step explains it or not.
            let early: Vec<usize> = found
                .filter(|&s| match (g.signals[s].start_ms, trigger_start) {
                    (Some(t), Some(t0)) => in_frame(s, true) && t <= t0 + ORDER_TOLERANCE_MS,
                    _ => false,
                })
                .collect();
            let lines: u64 = early.iter().map(|&s| g.signals[s].count.unwrap_or(1)).sum();
            if lines >= c.min_count {
                early
            } else {
                vec![]
            }
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
    let mut confidence: f64 = 0.45 * evidence + 0.2 * explained_share + 0.35 * order;
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
    let trigger_sigs: Vec<usize> =
        rule.step.iter().zip(&steps).filter(|(s, _)| s.trigger).flat_map(|(_, m)| m.iter().copied()).collect();
    let ended = |sigs: &mut dyn Iterator<Item = usize>| -> Option<i64> {
        let mut last: Option<i64> = None;
        for s in sigs {
            let sig = &g.signals[s];
            if sig.start_ms.is_none() {
                continue;
            }
            last = Some(last.unwrap_or(i64::MIN).max(sig.end_ms?));
        }
        last
    };
    let trigger_end = ended(&mut trigger_sigs.iter().copied());
    // A step that needs repetition (a storm, churn) seen fewer times is a single episode.
    let few: Vec<String> = rule
        .step
        .iter()
        .zip(&steps)
        .filter(|(st, m)| {
            st.min_count > 1
                && !m.is_empty()
                && m.iter().map(|&s| g.signals[s].count.unwrap_or(1)).sum::<u64>() < st.min_count
        })
        .map(|(st, _)| {
            format!("`{}` seen fewer than {} times: a single episode, not a repeated one", st.name, st.min_count)
        })
        .collect();
    if !few.is_empty() {
        confidence *= 0.6;
    }
    let mut few = few;
    for (st, m) in rule.step.iter().zip(&steps) {
        if st.required && m.is_empty() {
            confidence *= 0.6;
            few.push(format!("`{}` not seen: its defining symptom is missing", st.name));
        }
    }
    let active_until = ended(&mut explained.iter().copied());
    if rule.begins_with_a_change
        && !trigger_sigs.is_empty()
        && trigger_sigs.iter().all(|&s| g.signals[s].start_ms.is_none())
    {
        confidence *= 0.6;
        few.push("its trigger held unchanged from before the window to its end: that entity's steady state, not what began the incident".into());
    }
    // A trigger that is a standing condition (a configuration, a state held since before the window) has no
    // onset of its own: the incident it explains began with its first timed symptom.
    let onset = trigger_start.or_else(|| explained.iter().filter_map(|&s| g.signals[s].start_ms).min());
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
        onset,
        trigger: trigger_sigs,
        trigger_end,
        active_until,
        demoted: few,
    }
}

/// When the trigger's signals fall into separate episodes (each over, with its broker or client back, more than
/// OVER_BEFORE_MS before the next began), the start of the one that is the incident: the latest that is not a
/// short blip (sustained or still going), else the latest: its start and end (None: still going). None when
/// there is one episode.
fn incident_episode(g: &Graph, rule: &Rule, matched: &[Vec<(usize, bool)>]) -> Option<(i64, Option<i64>)> {
    let mut spans: Vec<(i64, Option<i64>, u64)> = rule
        .step
        .iter()
        .zip(matched)
        .filter(|(st, _)| st.trigger)
        .flat_map(|(_, m)| m.iter())
        .filter_map(|(s, _)| {
            let sig = &g.signals[*s];
            sig.start_ms.map(|t| (t, sig.end_ms, sig.count.unwrap_or(0)))
        })
        .collect();
    spans.sort_by_key(|s| s.0);
    // Episodes as (start, end or None when ongoing, lines).
    let mut episodes: Vec<(i64, Option<i64>, u64)> = vec![];
    for (t0, t1, n) in spans {
        match episodes.last_mut() {
            Some(e) if e.1.is_none_or(|end| t0 <= end + OVER_BEFORE_MS) => {
                e.1 = match (e.1, t1) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                e.2 += n;
            }
            _ => episodes.push((t0, t1, n)),
        }
    }
    if episodes.len() < 2 {
        return None;
    }
    let blip = |e: &(i64, Option<i64>, u64)| e.1.is_some_and(|end| end - e.0 < BLIP_MS && e.2 <= BLIP_LINES);
    episodes.iter().rev().find(|e| !blip(e)).or(episodes.last()).map(|e| (e.0, e.1))
}

/// A trigger shorter than this that is over is a blip (a GC spike, one controller move, a brief throttle).
pub const BLIP_MS: i64 = 3 * 60 * 1000;
/// At most this many trigger lines in a short span are one event.
pub const BLIP_LINES: u64 = 2;
/// Whether a broker's hypothesis says it went away (stopped, lost, host down): a topic that could not ride
/// through that is under-provisioned. A broker cut off from its peers while still leading shrinks its
/// partitions' ISR to itself, which no replication factor rides through: that topic is its effect.
fn went_away(g: &Graph, s: &Scored) -> bool {
    s.trigger.iter().any(|&x| WENT_AWAY.contains(&g.signals[x].class.as_str()))
}

/// Classes that say a broker process stopped or left the cluster (not merely unreachable).
const WENT_AWAY: [&str; 5] = ["broker_down", "host_down", "broker_shutdown", "broker_stop", "broker_lost"];
/// A hypothesis whose signals were all over this long before another one's began is a past episode.
pub const OVER_BEFORE_MS: i64 = 5 * 60 * 1000;

/// Ranking across hypotheses: an earlier cause that explains the symptoms outranks the effects that
/// followed it in its scope; short blips that were over, and episodes that ended before the incident's
/// other symptoms began (a routine restart long before), rank low.
fn demote(g: &Graph, rules: &[Rule], out: &mut [Scored]) {
    let base: Vec<f64> = out.iter().map(|s| s.confidence).collect();
    let blip: Vec<bool> = out
        .iter()
        .map(|s| match (s.onset, s.trigger_end) {
            // Log lines come in bursts: a few lines are one event, many lines a sustained one.
            (Some(a), Some(b)) => {
                b - a < BLIP_MS && s.trigger.iter().filter_map(|&x| g.signals[x].count).sum::<u64>() <= BLIP_LINES
            }
            _ => false,
        })
        .collect();
    // Over before another, sustained hypothesis of comparable strength began.
    // Its trigger is what happened; later signals tied to it by scope alone may be unrelated noise.
    let over = |s: &Scored| s.trigger_end.or(s.active_until);
    let past = demote_each(
        out,
        |out, i| {
            let until = over(&out[i])?;
            (0..out.len()).find(|&j| {
                j != i
                    && !blip[j]
                    // Evidence against it (a lag that drained by itself): not the incident either.
                    && out[j].parts.contradictions == 0
                    && base[j] >= 0.5 * base[i]
                    && out[j].onset.is_some_and(|t| t > until + OVER_BEFORE_MS)
            })
        },
        |a, b| {
            format!(
                "its signals were over at {}, before {} on {} began: a past episode, not this incident",
                format_ms(over(a).unwrap_or_default()),
                rules[b.rule].id,
                g.name(b.anchor)
            )
        },
    );
    for (i, s) in out.iter_mut().enumerate() {
        if blip[i] {
            s.confidence *= 0.7;
            s.demoted.push("a short blip that was over within minutes".into());
        }
    }
    // A topic-level finding confined to one topic (others rode through) is about that topic; the same
    // finding on several topics at once is about what they share (a broker).
    let confined: Vec<bool> = (0..out.len())
        .map(|j| {
            g.kind(out[j].anchor) == EntityKind::Topic
                && !(0..out.len()).any(|k| {
                    k != j
                        && out[k].rule == out[j].rule
                        && g.kind(out[k].anchor) == EntityKind::Topic
                        && match (out[j].onset, out[k].onset) {
                            (Some(a), Some(b)) => (a - b).abs() <= OVER_BEFORE_MS,
                            _ => false,
                        }
                })
        })
        .collect();
    // A broker that went away and came back (a routine restart) is not the cause when a topic could not
    // ride through its absence (too few replicas for min.insync.replicas): the topic's provisioning is.
    demote_each(
        out,
        |out, i| {
            let (Some(a0), Some(a1)) = (out[i].onset, out[i].trigger_end) else { return None };
            if g.kind(out[i].anchor) != EntityKind::Broker || !went_away(g, &out[i]) {
                return None;
            }
            // The topic was in trouble while the broker was away: one of its timed signals overlaps the absence
            // (its onset may be an earlier restart's, in a rolling restart).
            let during = |x: usize| {
                let sig = &g.signals[x];
                sig.start_ms.is_some_and(|t0| {
                    t0 <= a1 + OVER_BEFORE_MS && sig.end_ms.is_none_or(|t1| t1 >= a0 - ORDER_TOLERANCE_MS)
                })
            };
            (0..out.len())
                .find(|&j| confined[j] && base[j] >= 0.5 * base[i] && out[j].steps.iter().flatten().any(|&x| during(x)))
        },
        |a, b| {
            format!(
                "the broker came back at {}; {} on {} could not ride through its absence",
                format_ms(a.trigger_end.unwrap_or_default()),
                rules[b.rule].id,
                g.name(b.anchor)
            )
        },
    );
    // A transient inside a sustained condition: it began after another hypothesis's trigger (clearly, beyond the
    // order tolerance) and all its signals were over well before that trigger ended (or it still holds). It
    // cannot have caused what began before it and outlived it, so it is an effect or unrelated, not the cause
    // (a consumer paused for a few minutes while a producer was throttled throughout).
    // A condition already there when the data begins (the window's first samples) has no known onset: it cannot be
    // said to have begun before anything.
    let data_start = g.signals.iter().filter_map(|s| s.start_ms).min().unwrap_or(i64::MIN);
    demote_each(
        out,
        |out, i| {
            let (Some(ti), Some(until)) = (out[i].onset, out[i].active_until) else { return None };
            (0..out.len()).find(|&j| {
                j != i
                    && !past[j]
                    && out[j].onset.is_some_and(|tj| tj > data_start + ORDER_TOLERANCE_MS)
                    // ...and a full-fledged one: not a blip, a single episode of a repeated cause or a look-alike.
                    && out[j].demoted.is_empty()
                    && base[j] >= 0.5 * base[i]
                    && out[j].trigger_end.is_none_or(|end| end > until + OVER_BEFORE_MS)
                    && !out[j].trigger.is_empty()
                    && out[j].onset.is_some_and(|tj| tj + ORDER_TOLERANCE_MS < ti && tj < until)
            })
        },
        |a, b| {
            format!(
                "began after {} on {} and was over at {} while it went on: not its cause",
                rules[b.rule].id,
                g.name(b.anchor),
                format_ms(a.active_until.unwrap_or_default())
            )
        },
    );
    // Effects: a hypothesis whose trigger began after another one's, within its horizon and its scope.
    // Decided on onsets and scopes alone, which demotion does not change.
    demote_each(
        out,
        |out, j| {
            let tb = out[j].onset?;
            (0..out.len())
                .filter(|&i| i != j && !past[i] && !blip[i] && base[i] >= 0.6 * base[j])
                .filter(|&i| {
                    active_before(g, &out[i], tb)
                        && (out[i].rule != out[j].rule || out[i].anchor != out[j].anchor)
                        && reaches(g, &out[i], &out[j], confined[j])
                })
                .min_by_key(|&i| out[i].onset)
        },
        |_, cause| {
            format!(
                "began after {} on {} (in its scope): likely an effect of it",
                rules[cause.rule].id,
                g.name(cause.anchor)
            )
        },
    );
}

/// Demotes (×0.6, with the reason `why(it, other)`) each hypothesis for which `find` names another one, in
/// order, so a later check sees the earlier demotions; returns which were demoted.
fn demote_each(
    out: &mut [Scored],
    find: impl Fn(&[Scored], usize) -> Option<usize>,
    why: impl Fn(&Scored, &Scored) -> String,
) -> Vec<bool> {
    let mut hit = vec![false; out.len()];
    for i in 0..out.len() {
        if let Some(j) = find(out, i) {
            let reason = why(&out[i], &out[j]);
            out[i].confidence *= 0.6;
            out[i].demoted.push(reason);
            hit[i] = true;
        }
    }
    hit
}

/// Whether one of `a`'s trigger signals began before `t` and was still going (or had just ended) then:
/// an effect follows its cause while the cause lasts.
fn active_before(g: &Graph, a: &Scored, t: i64) -> bool {
    a.trigger.iter().any(|&s| {
        let sig = &g.signals[s];
        // A log line is timed to the millisecond: one a few seconds earlier is what tells a cause from its
        // effect. A metric state is known only to its sampling step (the lag rising at one scrape began somewhere
        // since the previous one, and a rate over a window lags further): it must have begun clearly earlier.
        let margin = if sig.source == super::observation::SignalSource::Metric { ORDER_TOLERANCE_MS } else { 0 };
        sig.start_ms.is_some_and(|t0| t0 + margin < t && t <= t0 + HORIZON_MS)
            && sig.end_ms.is_none_or(|t1| t1 + OVER_BEFORE_MS >= t)
    })
}

/// Whether a cause on `a`'s anchor can produce `b`'s symptoms: the same entity, a broker or cluster
/// failure reaching the clients, groups, partitions and controller, a hot partition the group reads, a
/// producer and the group of the same application (or its member), or a signal `a` already explains.
fn reaches(g: &Graph, a: &Scored, b: &Scored, confined_topic: bool) -> bool {
    use EntityKind::*;
    if a.anchor == b.anchor {
        return true;
    }
    // A topic whose partitions alone could not ride through a broker's absence is its own cause, even though
    // the broker's hypothesis also counts the refused writes it exposed among its symptoms. Not so for a broker
    // cut off while leading (see `went_away`).
    let own_cause = confined_topic
        && g.kind(b.anchor) == Topic
        && match g.kind(a.anchor) {
            Cluster => true,
            Broker => went_away(g, a),
            _ => false,
        };
    if own_cause {
        return false;
    }
    if b.trigger.iter().any(|s| a.explained.contains(s)) {
        return true;
    }
    let (ka, kb) = (g.kind(a.anchor), g.kind(b.anchor));
    match (ka, kb) {
        (Broker, Group | Partition | Client | Cluster) => true,
        (Cluster, Group | Partition | Client) => true,
        (Broker | Cluster, Topic) => true,
        (Partition, Group) => {
            g.topic_of(a.anchor).is_some_and(|t| g.targets(b.anchor, super::graph::EdgeKind::Consumes).contains(&t))
        }
        (Topic, Group) => g.targets(b.anchor, super::graph::EdgeKind::Consumes).contains(&a.anchor),
        (Client, Group) => {
            g.targets(a.anchor, super::graph::EdgeKind::MemberOf).contains(&b.anchor)
                || same_app(&g.name(a.anchor), &g.name(b.anchor))
        }
        _ => false,
    }
}

/// `client:orders-ingest` and `group:orders-ingest` (or `orders-ingest-producer`): one application.
fn same_app(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.split_once(':').map(|(_, n)| n.to_string()).unwrap_or_else(|| s.to_string());
    let (a, b) = (strip(a), strip(b));
    !a.is_empty() && !b.is_empty() && (a == b || a.starts_with(&format!("{b}-")) || b.starts_with(&format!("{a}-")))
}
