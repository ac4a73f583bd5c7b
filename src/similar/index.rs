//! Nearest past incidents by fingerprint. `VectorIndex` has an embedded implementation (in-process,
//! brute-force cosine: a few thousand incidents take microseconds) and Qdrant behind the `qdrant` feature.

use super::fingerprint::cosine;
use crate::error::Result;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::RwLock;

/// What is kept beside an incident's vector, to say "seen before: X, confirmed cause Y" without a lookup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentSummary {
    pub id: String,
    pub created_ms: i64,
    /// The top-ranked cause (rule id) and where it sat.
    pub top_cause: Option<String>,
    pub top_on: Option<String>,
    /// The cause someone confirmed (rule id or free text).
    pub confirmed_cause: Option<String>,
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Neighbour {
    /// Cosine similarity of the fingerprints, 0-1.
    pub similarity: f32,
    #[serde(flatten)]
    pub incident: IncidentSummary,
}

pub trait VectorIndex: Send + Sync {
    fn backend(&self) -> &'static str;
    /// Adds or replaces an incident.
    fn upsert<'a>(&'a self, incident: IncidentSummary, vector: Vec<f32>) -> BoxFuture<'a, Result<()>>;
    /// The `k` most similar incidents, the one with id `exclude` left out.
    fn search<'a>(
        &'a self,
        vector: &'a [f32],
        k: usize,
        exclude: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Neighbour>>>;
}

#[derive(Default)]
pub struct EmbeddedIndex {
    items: RwLock<HashMap<String, (IncidentSummary, Vec<f32>)>>,
}

impl VectorIndex for EmbeddedIndex {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn upsert<'a>(&'a self, incident: IncidentSummary, vector: Vec<f32>) -> BoxFuture<'a, Result<()>> {
        let mut items = self.items.write().unwrap_or_else(|p| p.into_inner());
        items.insert(incident.id.clone(), (incident, vector));
        Box::pin(async { Ok(()) })
    }

    fn search<'a>(
        &'a self,
        vector: &'a [f32],
        k: usize,
        exclude: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Neighbour>>> {
        let items = self.items.read().unwrap_or_else(|p| p.into_inner());
        let mut found: Vec<Neighbour> = items
            .values()
            .filter(|(inc, _)| Some(inc.id.as_str()) != exclude)
            .map(|(inc, v)| Neighbour { similarity: cosine(vector, v).clamp(0.0, 1.0), incident: inc.clone() })
            .collect();
        found.sort_by(|a, b| {
            b.similarity.total_cmp(&a.similarity).then(b.incident.created_ms.cmp(&a.incident.created_ms))
        });
        found.truncate(k);
        Box::pin(async { Ok(found) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(id: &str, cause: Option<&str>) -> IncidentSummary {
        IncidentSummary {
            id: id.into(),
            created_ms: 1,
            top_cause: None,
            top_on: None,
            confirmed_cause: cause.map(Into::into),
            verdict: String::new(),
        }
    }

    #[tokio::test]
    async fn nearest_first_excluding_itself_and_upserts_replace() {
        let idx = EmbeddedIndex::default();
        idx.upsert(inc("a", None), vec![1.0, 0.0]).await.unwrap();
        idx.upsert(inc("b", None), vec![0.6, 0.8]).await.unwrap();
        idx.upsert(inc("c", None), vec![0.0, 1.0]).await.unwrap();
        let near = idx.search(&[1.0, 0.0], 2, Some("a")).await.unwrap();
        let ids: Vec<&str> = near.iter().map(|n| n.incident.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        idx.upsert(inc("b", Some("broker_out_of_disk")), vec![0.6, 0.8]).await.unwrap();
        let near = idx.search(&[1.0, 0.0], 1, Some("a")).await.unwrap();
        assert_eq!(near[0].incident.confirmed_cause.as_deref(), Some("broker_out_of_disk"));
        assert!((near[0].similarity - 0.6).abs() < 1e-6);
    }
}
