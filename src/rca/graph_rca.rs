//! The `graph_rca` tool: builds the incident graph (from observations, or live from Kafka, Prometheus and
//! Loki), ranks root-cause hypotheses, writes an incident note (`incident://{id}`), stores the analysis and
//! finds similar past incidents; `confirm` records the confirmed cause of a past incident.

use super::answer::{analyze, Analysis, AnalyzeOptions, GraphStats, Hypothesis, SignalView};
use super::build::from_observations;
use super::history::History;
use super::note::{render, NoteInput};
use super::observation::{EntityRef, Observations};
use super::store::{IncidentRecord, RankedCause};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::mcp::reply::{Detail, Reply};
use crate::mcp::tool::{ResourceTemplate, Tool, ToolInfo};
use crate::observe::time::format_ms;
use crate::observe::time::WindowArgs;
use crate::resources::StoredResource;
use crate::similar::fingerprint::Fingerprint;
use crate::similar::index::Neighbour;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, JsonSchema)]
// Unknown arguments are refused by the published schema (checked before parsing); serde cannot also deny
// them here, since it does not combine deny_unknown_fields with the flattened window.
#[schemars(deny_unknown_fields)]
pub struct GraphRcaArgs {
    /// The incident window. Default: the last hour for live sources; the span of the signals for observations.
    #[serde(flatten)]
    pub window: WindowArgs,
    /// Keep the hypotheses that concern this broker, topic or group (as cause or in their blast radius).
    #[serde(default)]
    pub focus: Option<Focus>,
    /// Where the signals come from: `observations` (the `observations` argument; default when it is given)
    /// or `live` (Kafka metadata, prom_snapshot states and loki_query events for the window).
    #[serde(default)]
    pub sources: Option<Sources>,
    /// Entities and signals to analyse (for sources = observations): what prom_snapshot, loki_query and
    /// list_topics showed, or what you know. Signals: {class, entity, start, end?, value?, count?, detail?}.
    #[serde(default)]
    pub observations: Option<Observations>,
    /// Handles of prom_snapshot and loki_query replies whose signals to analyse.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub from: Vec<String>,
    /// Store the analysis in the graph store and the similar-incident index (default true). The note is
    /// served as incident://{id} either way.
    #[serde(default = "crate::defaults::yes")]
    pub persist: bool,
    /// Record the confirmed cause of a past incident, so later analyses say "seen before: X, confirmed
    /// cause Y". Alone, it only confirms; with observations or live sources, it confirms then analyses.
    #[serde(default)]
    pub confirm: Option<Confirm>,
    /// `concise` (default): the top 3 hypotheses and 8 earliest signals; `full`: all.
    #[serde(default)]
    pub detail: Detail,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Focus {
    /// Broker id.
    #[serde(default)]
    pub broker: Option<i32>,
    /// Topic name. Live: this topic is in the graph even when the cluster has more topics than it holds.
    #[serde(default)]
    pub topic: Option<String>,
    /// Consumer group id.
    #[serde(default)]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sources {
    Observations,
    Live,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// The incident id a previous graph_rca call returned.
    #[schemars(length(min = 1, max = 100))]
    pub incident_id: String,
    /// The confirmed cause: a rule id from the hypotheses (e.g. `broker_out_of_disk`) or a short text.
    #[schemars(length(min = 1, max = 200))]
    pub cause: String,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct GraphRcaOutput {
    /// Id of this analysis (pass it to `confirm` later); absent for a confirm-only call.
    pub incident_id: Option<String>,
    /// The incident note resource.
    pub note: Option<String>,
    /// Whether the analysis was stored, and where.
    pub persisted: bool,
    pub store: String,
    /// Why storing (or reading the history) failed, when it did; the analysis itself is complete.
    pub store_error: Option<String>,
    pub fits: bool,
    pub verdict: String,
    pub hypotheses: Vec<Hypothesis>,
    /// Similar past incidents, most similar first.
    pub similar: Vec<Neighbour>,
    pub strongest_signals: Vec<SignalView>,
    pub unused_classes: Vec<String>,
    pub graph: Option<GraphStats>,
    /// The incident whose cause was confirmed by this call.
    pub confirmed: Option<ConfirmedIncident>,
    /// What live sources could not provide.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfirmedIncident {
    pub incident_id: String,
    pub cause: String,
    pub verdict: String,
}

pub struct GraphRca;

/// Hypotheses and signals of a concise reply.
const CONCISE_HYPOTHESES: usize = 3;
const CONCISE_SIGNALS: usize = 8;

const DESCRIPTION: &str = "Ranks root causes of a Kafka incident over a graph of brokers, topics, partitions, groups and the signals on them: hypotheses with evidence, blast radius, verification calls and remediation; writes incident://{id}. Pass from: [handles of prom_snapshot/loki_query], `observations` or sources: live. Next: run the top verification call; then confirm.";

impl Tool for GraphRca {
    type Args = GraphRcaArgs;
    type Output = GraphRcaOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "graph_rca",
            title: "Root cause of a Kafka incident",
            description: DESCRIPTION,
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
            writes_kafka: false,
            resources: &[ResourceTemplate {
                uri_template: "incident://{id}",
                name: "incident",
                description: "A graph_rca incident note",
                mime_type: "text/markdown",
            }],
            requires: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: GraphRcaArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(async move {
            let (rules, history) = (&cx.state.rules, &cx.state.history);
            let mut confirmed = None;
            if let Some(c) = &args.confirm {
                confirmed = Some(confirm(cx, history, c).await?);
            }
            let given = args.observations.is_some() || !args.from.is_empty();
            let sources = match (args.sources, given, &args.confirm) {
                (Some(Sources::Live), _, _) if !args.from.is_empty() => {
                    return Err(Error::bad_input(
                        "from",
                        "no handles with sources \"live\" (it fetches the same signals itself): leave out one of them",
                    ))
                }
                (Some(s), _, _) => s,
                (None, true, _) => Sources::Observations,
                (None, false, Some(_)) => return confirm_only_reply(history, confirmed),
                (None, false, None) => {
                    return Err(Error::bad_input(
                        "from",
                        "handles of prom_snapshot/loki_query replies, `observations` to analyse, or `sources: \"live\"` to fetch them",
                    ))
                }
            };
            let mut notes = vec![];
            let (observations, window) = match sources {
                Sources::Observations => {
                    let mut observations = args.observations.clone().unwrap_or_default();
                    let mut span = window(&args)?;
                    if let Some(w) = span {
                        super::build::mark_standing(&mut observations, w);
                    }
                    if !args.from.is_empty() {
                        let (kept, kept_window) = super::handles::resolve(&cx.state, &args.from)?;
                        super::handles::merge(&mut observations, kept);
                        span = span.or(Some(kept_window));
                    } else if args.observations.is_none() {
                        return Err(Error::bad_input(
                            "observations",
                            "observations (or `from` handles) when sources is `observations`",
                        ));
                    }
                    (observations, span)
                }
                Sources::Live => {
                    let w = args.window.resolve(chrono::Utc::now())?;
                    let live = super::live::fetch(cx, &w, around(args.focus.as_ref())).await?;
                    notes = live.notes;
                    (live.observations, Some((w.start.timestamp_millis(), w.end.timestamp_millis())))
                }
            };
            let focus = focus(&args.focus);
            let graph = from_observations(&observations)?;
            cx.check_cancelled()?;
            let (analysis, _) = analyze(&graph, rules, &AnalyzeOptions { window, focus });
            let id = incident_id(window.map(|w| w.0));
            let fingerprint = Fingerprint::of(&graph);

            let mut store_error = None;
            if let Err(e) = history.warm_up().await {
                store_error = Some(format!("past incidents could not be read: {e}"));
            }
            let similar = history.similar(&fingerprint.vector(), &id).await.unwrap_or_default();
            let note = render(&NoteInput {
                id: &id,
                cluster: &graph.cluster_name,
                window,
                analysis: &analysis,
                similar: &similar,
            });
            let record = record(&id, &graph.cluster_name, window, &analysis, fingerprint, note.clone());
            let mut persisted = false;
            if args.persist {
                match history.save(&record, &graph).await {
                    Ok(()) => persisted = true,
                    Err(e) => store_error = Some(format!("the analysis was not stored: {e}")),
                }
            }
            let uri = format!("incident://{id}");
            cx.state.resources.put(StoredResource {
                uri: uri.clone(),
                name: format!("Incident {id}"),
                description: analysis.verdict.clone(),
                mime_type: "text/markdown".into(),
                text: note,
            });
            let mut hypotheses = analysis.hypotheses.clone();
            let mut strongest_signals = analysis.strongest_signals.clone();
            if args.detail == Detail::Concise {
                let (h, sg) = (hypotheses.len(), strongest_signals.len());
                hypotheses.truncate(CONCISE_HYPOTHESES);
                strongest_signals.truncate(CONCISE_SIGNALS);
                if h + sg > hypotheses.len() + strongest_signals.len() {
                    notes.push(format!(
                        "detail concise: {} more hypotheses and {} more signals left out (detail \"full\" lists them; the note has the chain)",
                        h - hypotheses.len(),
                        sg - strongest_signals.len()
                    ));
                }
            }
            let output = GraphRcaOutput {
                incident_id: Some(id),
                note: Some(uri),
                persisted,
                store: history.store.backend().into(),
                store_error,
                fits: analysis.fits,
                verdict: analysis.verdict.clone(),
                hypotheses,
                similar,
                strongest_signals,
                unused_classes: analysis.unused_classes.clone(),
                graph: Some(analysis.graph.clone()),
                confirmed,
                notes,
            };
            analysis_reply(&output, &analysis)
        })
    }
}

async fn confirm(cx: &CallContext, history: &History, c: &Confirm) -> Result<ConfirmedIncident> {
    let cause = c.cause.trim();
    let record = history.confirm(&c.incident_id, cause).await?.ok_or_else(|| {
        Error::bad_input(
            "confirm.incident_id",
            format!(
                "the id of a stored incident (a previous graph_rca call with persist); `{}` is unknown",
                c.incident_id
            ),
        )
    })?;
    let uri = format!("incident://{}", record.id);
    if let Some(mut note) = cx.state.resources.get(&uri) {
        note.text.push_str(&format!("\n## Confirmed cause\n\n{cause}\n"));
        cx.state.resources.put(note);
    }
    Ok(ConfirmedIncident { incident_id: record.id, cause: cause.to_string(), verdict: record.verdict })
}

fn confirm_only_reply(history: &History, confirmed: Option<ConfirmedIncident>) -> Result<Reply> {
    let Some(c) = confirmed else { return Err(Error::internal("confirm-only call without a confirmation")) };
    let text = format!(
        "# Cause confirmed\n\nIncident `{}` ({}) now has the confirmed cause **{}**. Later analyses with a similar fingerprint will show it.",
        c.incident_id, c.verdict, c.cause
    );
    let output = GraphRcaOutput {
        incident_id: None,
        note: Some(format!("incident://{}", c.incident_id)),
        persisted: true,
        store: history.store.backend().into(),
        confirmed: Some(c),
        ..Default::default()
    };
    Ok(Reply::new(&output)?.summary(text).next_step(
        "nothing more to do for this incident: later analyses with a similar fingerprint show the confirmed cause",
    ))
}

/// The window of an analysis of observations: the one given, or none (the span of the signals).
fn window(args: &GraphRcaArgs) -> Result<Option<(i64, i64)>> {
    if args.window.is_empty() {
        return Ok(None);
    }
    let w = args.window.resolve(chrono::Utc::now())?;
    Ok(Some((w.start.timestamp_millis(), w.end.timestamp_millis())))
}

fn around(f: Option<&Focus>) -> super::live::Around<'_> {
    super::live::Around { broker: f.and_then(|f| f.broker), topic: f.and_then(|f| f.topic.as_deref()) }
}

fn focus(f: &Option<Focus>) -> Vec<EntityRef> {
    let Some(f) = f else { return vec![] };
    let mut out = vec![];
    out.extend(f.broker.map(EntityRef::Broker));
    out.extend(f.topic.clone().map(EntityRef::Topic));
    out.extend(f.group.clone().map(EntityRef::Group));
    out
}

/// Readable and unique: the window's start minute plus a random suffix.
fn incident_id(start_ms: Option<i64>) -> String {
    let at = start_ms.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    let stamp: String = format_ms(at).chars().filter(|c| c.is_ascii_digit()).take(12).collect();
    let suffix: String = uuid::Uuid::new_v4().simple().to_string().chars().take(6).collect();
    format!("inc-{stamp}-{suffix}")
}

fn record(
    id: &str,
    cluster: &str,
    window: Option<(i64, i64)>,
    a: &Analysis,
    fingerprint: Fingerprint,
    note: String,
) -> IncidentRecord {
    IncidentRecord {
        id: id.to_string(),
        created_ms: chrono::Utc::now().timestamp_millis(),
        cluster: cluster.to_string(),
        window_start_ms: window.map(|w| w.0),
        window_end_ms: window.map(|w| w.1),
        verdict: a.verdict.clone(),
        causes: a
            .hypotheses
            .iter()
            .map(|h| RankedCause {
                rule: h.rule.clone(),
                cause: h.cause.clone(),
                on: h.on.clone(),
                confidence: h.confidence,
            })
            .collect(),
        confirmed_cause: None,
        fingerprint,
        note,
    }
}

/// The top hypothesis's first verification call; once verified, the confirmation; without a hypothesis,
/// the broker health over the window.
fn next_step(reply: Reply, out: &GraphRcaOutput, a: &Analysis) -> Reply {
    match (a.hypotheses.first(), &out.incident_id) {
        (Some(top), _) if !top.verification.is_empty() => {
            let v = &top.verification[0];
            reply.next(&v.tool, v.arguments.clone(), format!("verify `{}`: confirms if {}", top.rule, v.confirms))
        }
        (Some(top), Some(id)) => reply.next(
            "graph_rca",
            serde_json::json!({"confirm": {"incident_id": id, "cause": top.rule}}),
            "once the cause is verified, record it",
        ),
        _ => reply.next(
            "prom_snapshot",
            serde_json::json!({"presets": ["broker_health", "replication"], "start": "now-1h"}),
            "nothing fits: look at broker health, then pass its handle in `from` with a loki_query handle",
        ),
    }
}

fn analysis_reply(out: &GraphRcaOutput, a: &Analysis) -> Result<Reply> {
    let mut md = format!("# Root cause: {}\n", out.verdict);
    if let Some(id) = &out.incident_id {
        md.push_str(&format!("\nIncident `{id}`; note `incident://{id}`"));
        md.push_str(if out.persisted { "; stored." } else { "; not stored." });
    }
    if let Some(e) = &out.store_error {
        md.push_str(&format!("\n\n_Warning: {e}_"));
    }
    for n in &out.notes {
        md.push_str(&format!("\n\n_Note: {n}_"));
    }
    if let Some(c) = &out.confirmed {
        md.push_str(&format!("\n\nConfirmed cause `{}` recorded for incident `{}`.", c.cause, c.incident_id));
    }
    for s in &out.similar {
        let cause = s
            .incident
            .confirmed_cause
            .as_ref()
            .map(|c| format!("confirmed cause **{c}**"))
            .or_else(|| s.incident.top_cause.as_ref().map(|c| format!("suspected {c}, not confirmed")))
            .unwrap_or_default();
        md.push_str(&format!(
            "\n\nSeen before: incident `{}` (similarity {:.2}), {cause}.",
            s.incident.id, s.similarity
        ));
    }
    if let Some(top) = a.hypotheses.first() {
        md.push_str(&format!(
            "\n\n## 1. {} on {} (confidence {:.2})\n\n{}\n\n| step | signals | first seen | on |\n|---|---|---|---|\n",
            top.cause, top.on, top.confidence, top.summary
        ));
        for e in &top.evidence {
            let on = if e.more > 0 { format!("{} +{} more", e.on.join(", "), e.more) } else { e.on.join(", ") };
            md.push_str(&format!(
                "| {} ({}) | {} | {} | {on} |\n",
                e.step,
                e.classes.join(", "),
                e.signals,
                e.first.as_deref().unwrap_or("standing")
            ));
        }
        md.push_str(&format!("\nOrder: {}.", top.order));
        if !top.missing.is_empty() {
            md.push_str(&format!(" Not seen: {}.", top.missing.join("; ")));
        }
        for c in &top.contradicting {
            md.push_str(&format!("\nAgainst: {c}."));
        }
        let b = &top.blast_radius;
        let names = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        md.push_str(&format!(
            "\n\nBlast radius: {} partitions; topics {}; groups {}.\n\nVerify:\n",
            b.partitions,
            names(&b.topics),
            names(&b.groups)
        ));
        for v in &top.verification {
            md.push_str(&format!("- `{}` {} (confirms if {})\n", v.tool, v.arguments, v.confirms));
        }
        md.push_str(&format!("\nRemediation: {}", top.remediation));
    }
    let rows: Vec<String> = out
        .hypotheses
        .iter()
        .map(|h| format!("| {} | {} | {} | {:.2} | {} |", h.rank, h.cause, h.on, h.confidence, h.order))
        .collect();
    let signal_rows: Vec<String> = out
        .strongest_signals
        .iter()
        .map(|s| {
            let by = s.reported_by.as_ref().map(|r| format!(" (by {r})")).unwrap_or_default();
            format!(
                "| {} | {} | {}{by} | {} |",
                s.start.as_deref().unwrap_or("standing"),
                s.class,
                s.on,
                s.count.map(|c| c.to_string()).unwrap_or_default()
            )
        })
        .collect();
    Ok(next_step(Reply::new(out)?, out, a)
        .summary(md)
        .rows("hypotheses", "## Hypotheses\n\n| # | cause | on | confidence | order |\n|---|---|---|---|---|", rows)
        .rows("strongest_signals", "## Earliest signals\n\n| first seen | class | on | lines |\n|---|---|---|---|", signal_rows)
        .when_empty("no signals matched any rule; pass more observations (prom_snapshot states, loki_query event classes) or widen the window")
        .narrow_with("pass `focus` (a broker, topic or group) or fewer observations"))
}
