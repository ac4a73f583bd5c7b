//! The incident note: what changed, the likely causes with their evidence, where to verify, incidents seen
//! before, and the causal chain of the top hypothesis as a Mermaid diagram. Served as `incident://{id}`.

use super::answer::{Analysis, Hypothesis};
use crate::observe::time::format_ms;
use crate::similar::index::Neighbour;
use crate::text::cell;
use std::fmt::Write;

pub struct NoteInput<'a> {
    pub id: &'a str,
    pub cluster: &'a str,
    pub window: Option<(i64, i64)>,
    pub analysis: &'a Analysis,
    pub similar: &'a [Neighbour],
}

pub fn render(n: &NoteInput) -> String {
    let a = n.analysis;
    let mut md = String::new();
    let _ = writeln!(md, "# Incident {}\n\n**{}**\n", n.id, a.verdict);
    let window = n
        .window
        .map(|(s, e)| format!("{} to {}", format_ms(s), format_ms(e)))
        .unwrap_or_else(|| "the span of the signals".into());
    let _ = writeln!(
        md,
        "Cluster `{}`, window {window}; {} signals on {} brokers, {} topics, {} partitions, {} groups.\n",
        n.cluster, a.graph.signals, a.graph.brokers, a.graph.topics, a.graph.partitions, a.graph.groups
    );

    md.push_str("## What changed\n\n| first seen | signal | on | detail |\n|---|---|---|---|\n");
    for s in &a.strongest_signals {
        let detail = s
            .detail
            .clone()
            .or_else(|| s.count.map(|c| format!("{c} lines")))
            .or_else(|| s.value.map(|v| format!("value {v}")));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            s.start.as_deref().unwrap_or("standing"),
            s.class,
            s.on,
            cell(detail.as_deref().unwrap_or(""))
        );
    }

    md.push_str("\n## Likely causes\n\n");
    if a.hypotheses.is_empty() {
        md.push_str("No rule fits these signals. Start from the earliest ones above.\n");
    }
    for h in &a.hypotheses {
        let _ =
            writeln!(md, "{}. **{}** on `{}`: confidence {:.2}. {}", h.rank, h.cause, h.on, h.confidence, h.summary);
        for e in &h.evidence {
            let on = if e.more > 0 { format!("{} and {} more", e.on.join(", "), e.more) } else { e.on.join(", ") };
            let _ = writeln!(
                md,
                "   - {} ({}): {} signal(s) from {} on {on}",
                e.step,
                e.classes.join(", "),
                e.signals,
                e.first.as_deref().unwrap_or("standing")
            );
        }
        if !h.missing.is_empty() {
            let _ = writeln!(md, "   - not seen: {}", h.missing.join("; "));
        }
        let _ = writeln!(md, "   - order: {}", h.order);
        for c in &h.contradicting {
            let _ = writeln!(md, "   - against: {c}");
        }
        for d in &h.demoted {
            let _ = writeln!(md, "   - ranked lower: {d}");
        }
    }
    if let Some(t) = a.hypotheses.first().and_then(|h| h.tells_apart.as_ref()) {
        let _ = writeln!(md, "\n**What tells the top two apart** (vs `{}`): {}", t.versus, t.discriminator);
        if let Some(v) = &t.verification {
            let _ = writeln!(md, "Run `{}` {}: {}", v.tool, v.arguments, v.confirms);
        }
    }

    if let Some(top) = a.hypotheses.first() {
        md.push_str("\n## Where to verify\n\n");
        for v in &top.verification {
            let _ = writeln!(md, "- `{}` {}: confirms if {}", v.tool, v.arguments, v.confirms);
        }
        let _ = writeln!(md, "\n## Remediation\n\n{}\n", top.remediation);
        let b = &top.blast_radius;
        let _ = writeln!(
            md,
            "Blast radius: brokers {}; topics {}; {} partitions; groups {}.\n",
            list(&b.brokers),
            list(&b.topics),
            b.partitions,
            list(&b.groups)
        );
        md.push_str("## Causal chain\n\n```mermaid\n");
        md.push_str(&mermaid(top));
        md.push_str("```\n");
    }

    if !n.similar.is_empty() {
        md.push_str("\n## Seen before\n\n");
        for s in n.similar {
            let cause = s
                .incident
                .confirmed_cause
                .as_ref()
                .map(|c| format!("confirmed cause {c}"))
                .or_else(|| s.incident.top_cause.as_ref().map(|c| format!("suspected {c} (not confirmed)")))
                .unwrap_or_else(|| "no cause recorded".into());
            let _ = writeln!(md, "- incident `{}` (similarity {:.2}): {cause}", s.incident.id, s.similarity);
        }
    }
    md
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// The cause, then each step seen, phase by phase: every step of a phase follows every step of the phase before.
pub fn mermaid(h: &Hypothesis) -> String {
    let label = |s: &str| s.replace('"', "'");
    let mut out = String::from("flowchart LR\n");
    let _ = writeln!(out, "  cause[\"{}<br/>{}\"]", label(&h.cause), label(&h.on));
    let mut previous = vec!["cause".to_string()];
    let mut phases: Vec<u32> = h.evidence.iter().map(|e| e.phase).collect();
    phases.dedup();
    let mut n = 0;
    for phase in phases {
        let mut current = vec![];
        for e in h.evidence.iter().filter(|e| e.phase == phase) {
            let id = format!("s{n}");
            n += 1;
            let when = e.first.as_deref().map(|t| t.get(11..19).unwrap_or(t)).unwrap_or("standing");
            let on = if e.more > 0 {
                format!("{} +{}", e.on.first().cloned().unwrap_or_default(), e.on.len() - 1 + e.more)
            } else if e.on.len() > 1 {
                format!("{} +{}", e.on[0], e.on.len() - 1)
            } else {
                e.on.join("")
            };
            let _ = writeln!(out, "  {id}[\"{}<br/>{when} {}\"]", label(&e.step), label(&on));
            for p in &previous {
                let _ = writeln!(out, "  {p} --> {id}");
            }
            current.push(id);
        }
        previous = current;
    }
    out
}
