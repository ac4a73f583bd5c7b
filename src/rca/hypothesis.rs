//! What an analysis answers: the ranked hypotheses with their evidence, blast radius and verification
//! calls. Types only, so the analysis, its checks and the tool share them without depending on each other.

use super::observation::SignalSource;
use super::rank::ScoreParts;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Analysis {
    /// Whether a rule explains the signals well enough (confidence >= 0.4).
    pub fits: bool,
    /// One line: the most likely cause, or that nothing fits.
    pub verdict: String,
    /// Ranked hypotheses, most likely first.
    pub hypotheses: Vec<Hypothesis>,
    /// The earliest signals (what to look at when no rule fits).
    pub strongest_signals: Vec<SignalView>,
    /// Signal classes no rule uses: they were kept but explain nothing.
    pub unused_classes: Vec<String>,
    /// Size of the graph analysed.
    pub graph: GraphStats,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GraphStats {
    pub brokers: usize,
    pub topics: usize,
    pub partitions: usize,
    pub groups: usize,
    pub clients: usize,
    pub signals: usize,
    pub edges: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Hypothesis {
    pub rank: usize,
    /// The rule's id (use it in `confirm.cause`).
    pub rule: String,
    pub cause: String,
    /// The entity the cause sits on, e.g. `broker:2`.
    pub on: String,
    /// 0-1.
    pub confidence: f64,
    pub summary: String,
    /// Evidence per step of the rule that was seen, in the expected order.
    pub evidence: Vec<Evidence>,
    /// Steps of the rule that were not seen (what the verification should look for).
    pub missing: Vec<String>,
    /// Whether the steps began in the expected order, and which did not.
    pub order: String,
    /// Findings that speak against this cause.
    pub contradicting: Vec<String>,
    pub blast_radius: BlastRadius,
    /// Checks that confirm or refute it, ready to run.
    pub verification: Vec<Verification>,
    pub remediation: String,
    pub score: ScoreParts,
    /// Why the ranking lowered it: an effect of another hypothesis, a short blip, over before the incident.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub demoted: Vec<String>,
    /// On the first hypothesis: what tells it from the second, and the call that decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tells_apart: Option<TellsApart>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TellsApart {
    /// The hypothesis it is told from, e.g. `slow_consumer@group:orders`.
    pub versus: String,
    /// What tells the two apart, in one or two sentences.
    pub discriminator: String,
    /// The call to run to decide.
    pub verification: Option<Verification>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Evidence {
    pub step: String,
    pub phase: u32,
    /// Signal classes seen for this step.
    pub classes: Vec<String>,
    pub signals: usize,
    /// Log lines behind the signals, when counted.
    pub lines: Option<u64>,
    /// First start and last end, RFC 3339.
    pub first: Option<String>,
    pub last: Option<String>,
    /// The entities concerned (first few).
    pub on: Vec<String>,
    /// How many more entities were concerned.
    pub more: usize,
    pub example: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct BlastRadius {
    pub brokers: Vec<String>,
    pub topics: Vec<String>,
    /// Number of partitions concerned, and the first few.
    pub partitions: usize,
    pub partition_sample: Vec<String>,
    pub groups: Vec<String>,
    pub clients: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Verification {
    /// promql, logql or kafka.
    pub kind: String,
    /// The tool to call with `arguments`.
    pub tool: String,
    pub arguments: Value,
    /// What result confirms the hypothesis.
    pub confirms: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SignalView {
    pub class: String,
    pub on: String,
    /// Who reported it, when not the entity itself.
    pub reported_by: Option<String>,
    pub source: SignalSource,
    pub start: Option<String>,
    pub end: Option<String>,
    pub value: Option<f64>,
    pub count: Option<u64>,
    pub detail: Option<String>,
}
