//! Where analyses are kept: the embedded store (in-process, the default) or a Neo4j-compatible graph
//! database over Bolt. Both keep the incident record; the Bolt store also MERGEs the incident graph
//! (entities, signals, edges) so past incidents can be queried with Cypher.

pub mod embedded;
pub mod neo4j;

use crate::error::Result;
use crate::rca::graph::Graph;
use crate::similar::fingerprint::Fingerprint;
use crate::similar::index::IncidentSummary;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One stored analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentRecord {
    pub id: String,
    pub created_ms: i64,
    pub cluster: String,
    pub window_start_ms: Option<i64>,
    pub window_end_ms: Option<i64>,
    pub verdict: String,
    /// Ranked causes as the analysis saw them.
    pub causes: Vec<RankedCause>,
    /// The cause someone confirmed later (rule id or free text).
    pub confirmed_cause: Option<String>,
    pub fingerprint: Fingerprint,
    /// The incident note (Markdown), also served as `incident://{id}`.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankedCause {
    pub rule: String,
    pub cause: String,
    pub on: String,
    pub confidence: f64,
}

impl IncidentRecord {
    pub fn summary(&self) -> IncidentSummary {
        IncidentSummary {
            id: self.id.clone(),
            created_ms: self.created_ms,
            top_cause: self.causes.first().map(|c| c.rule.clone()),
            top_on: self.causes.first().map(|c| c.on.clone()),
            confirmed_cause: self.confirmed_cause.clone(),
            verdict: self.verdict.clone(),
        }
    }
}

pub trait GraphStore: Send + Sync {
    fn backend(&self) -> &'static str;
    /// Stores an analysis and its graph; saving the same incident again changes nothing more.
    fn save<'a>(&'a self, record: &'a IncidentRecord, graph: &'a Graph) -> BoxFuture<'a, Result<()>>;
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<IncidentRecord>>>;
    /// The most recent incidents, newest first.
    fn list<'a>(&'a self, limit: usize) -> BoxFuture<'a, Result<Vec<IncidentRecord>>>;
    /// Records the confirmed cause; None when there is no such incident.
    fn confirm<'a>(&'a self, id: &'a str, cause: &'a str) -> BoxFuture<'a, Result<Option<IncidentRecord>>>;
}
