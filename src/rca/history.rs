//! Past incidents: the configured graph store and the similar-incident index, made on first use and shared
//! by every call. The index is warmed from the store, so with a Bolt store the history outlives restarts.

use super::store::{embedded::EmbeddedStore, neo4j::Neo4jStore, GraphStore, IncidentRecord};
use crate::config::{GraphBackend, GraphConfig, SimilarConfig};
use crate::error::Result;
use crate::rca::graph::Graph;
use crate::similar::index::{EmbeddedIndex, Neighbour, VectorIndex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Past incidents loaded into the index at warm-up.
const WARM_UP_LIMIT: usize = 1000;
/// Neighbours shown per analysis.
pub const NEIGHBOURS: usize = 3;
/// Below this similarity a past incident is not called similar.
pub const MIN_SIMILARITY: f32 = 0.5;

pub struct History {
    pub store: Arc<dyn GraphStore>,
    pub index: Arc<dyn VectorIndex>,
    warmed: AtomicBool,
}

impl History {
    pub fn new(cfg: &GraphConfig, similar: &SimilarConfig) -> Result<History> {
        let store: Arc<dyn GraphStore> = match cfg.backend {
            GraphBackend::Neo4j => Arc::new(Neo4jStore::new(cfg)?),
            GraphBackend::Embedded => Arc::new(EmbeddedStore::default()),
        };
        Ok(History { store, index: index_of(similar)?, warmed: AtomicBool::new(false) })
    }

    /// Loads past incidents into the index once; a store that does not answer is retried next time.
    pub async fn warm_up(&self) -> Result<()> {
        if self.warmed.load(Ordering::Acquire) {
            return Ok(());
        }
        for r in self.store.list(WARM_UP_LIMIT).await? {
            self.index.upsert(r.summary(), r.fingerprint.vector()).await?;
        }
        self.warmed.store(true, Ordering::Release);
        Ok(())
    }

    pub async fn similar(&self, vector: &[f32], exclude: &str) -> Result<Vec<Neighbour>> {
        let found = self.index.search(vector, NEIGHBOURS, Some(exclude)).await?;
        Ok(found.into_iter().filter(|n| n.similarity >= MIN_SIMILARITY).collect())
    }

    pub async fn save(&self, record: &IncidentRecord, graph: &Graph) -> Result<()> {
        self.store.save(record, graph).await?;
        self.index.upsert(record.summary(), record.fingerprint.vector()).await
    }

    pub async fn confirm(&self, id: &str, cause: &str) -> Result<Option<IncidentRecord>> {
        let Some(record) = self.store.confirm(id, cause).await? else { return Ok(None) };
        self.index.upsert(record.summary(), record.fingerprint.vector()).await?;
        Ok(Some(record))
    }
}

/// Qdrant when built with the `qdrant` feature and `[similar] qdrant_url` (QDRANT_URL) is set; the embedded
/// index otherwise. A URL set without the feature, or one the client refuses, stops the start.
fn index_of(cfg: &SimilarConfig) -> Result<Arc<dyn VectorIndex>> {
    let Some(url) = cfg.qdrant_url.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(Arc::new(EmbeddedIndex::default()));
    };
    #[cfg(feature = "qdrant")]
    {
        let key = cfg.qdrant_api_key.as_ref().map(|k| k.expose().to_string());
        Ok(Arc::new(crate::similar::qdrant::QdrantIndex::new(url, key)?))
    }
    #[cfg(not(feature = "qdrant"))]
    Err(crate::error::Error::bad_input(
        "similar.qdrant_url",
        format!(
            "unset (QDRANT_URL too): this build has no Qdrant client, build it with `--features qdrant`; got `{url}`"
        ),
    ))
}
