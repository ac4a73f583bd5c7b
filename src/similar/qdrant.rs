//! The Qdrant vector index (feature `qdrant`, selected by QDRANT_URL): one collection of incident
//! fingerprints (cosine, DIM dimensions), the incident summary as a JSON string in the payload. No Qdrant
//! server can be installed on the project's machines, so the requests are unit-tested, not run.

use super::fingerprint::{fnv1a, DIM};
use super::index::{IncidentSummary, Neighbour, VectorIndex};
use crate::error::{Error, Result};
use futures::future::BoxFuture;
use qdrant_client::qdrant::{
    value::Kind, Condition, CreateCollectionBuilder, Distance, Filter, PointStruct, SearchPoints, SearchPointsBuilder,
    UpsertPoints, UpsertPointsBuilder, Value, VectorParamsBuilder,
};
use qdrant_client::{Payload, Qdrant};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::OnceCell;

const COLLECTION: &str = "kafka_qa_incidents";
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct QdrantIndex {
    client: Qdrant,
    ready: OnceCell<()>,
}

impl QdrantIndex {
    /// No I/O: the version check is skipped and the collection is made on first use.
    pub fn new(url: &str, api_key: Option<String>) -> Result<QdrantIndex> {
        let client =
            Qdrant::from_url(url).api_key(api_key).timeout(TIMEOUT).skip_compatibility_check().build().map_err(
                |e| Error::bad_input("QDRANT_URL", format!("a Qdrant gRPC URL such as http://127.0.0.1:6334 ({e})")),
            )?;
        Ok(QdrantIndex { client, ready: OnceCell::new() })
    }

    async fn ensure_collection(&self) -> Result<()> {
        self.ready
            .get_or_try_init(|| async {
                if !self.client.collection_exists(COLLECTION).await.map_err(unreachable)? {
                    self.client.create_collection(create_request()).await.map_err(upstream)?;
                }
                Ok::<_, Error>(())
            })
            .await
            .map(|_| ())
    }
}

fn unreachable(e: qdrant_client::QdrantError) -> Error {
    Error::unreachable("Qdrant", TIMEOUT, e.to_string())
}

fn upstream(e: qdrant_client::QdrantError) -> Error {
    Error::upstream("Qdrant", e.to_string())
}

pub fn create_request() -> CreateCollectionBuilder {
    CreateCollectionBuilder::new(COLLECTION).vectors_config(VectorParamsBuilder::new(DIM as u64, Distance::Cosine))
}

/// Qdrant ids are numbers or UUIDs: the incident id's stable hash.
pub fn point_id(incident_id: &str) -> u64 {
    fnv1a(incident_id)
}

pub fn upsert_request(incident: &IncidentSummary, vector: Vec<f32>) -> Result<UpsertPoints> {
    let summary = serde_json::to_string(incident).map_err(Error::internal)?;
    let payload = Payload::from(HashMap::from([
        ("summary", Value::from(summary)),
        ("incident_id", Value::from(incident.id.as_str())),
    ]));
    let point = PointStruct::new(point_id(&incident.id), vector, payload);
    Ok(UpsertPointsBuilder::new(COLLECTION, vec![point]).wait(true).build())
}

pub fn search_request(vector: &[f32], k: usize, exclude: Option<&str>) -> SearchPoints {
    let mut b = SearchPointsBuilder::new(COLLECTION, vector.to_vec(), k as u64).with_payload(true);
    if let Some(id) = exclude {
        b = b.filter(Filter::must_not([Condition::has_id([point_id(id)])]));
    }
    b.build()
}

/// The summary kept in a point's payload.
pub fn summary_of(payload: &HashMap<String, Value>) -> Option<IncidentSummary> {
    match payload.get("summary")?.kind.as_ref()? {
        Kind::StringValue(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

impl VectorIndex for QdrantIndex {
    fn backend(&self) -> &'static str {
        "qdrant"
    }

    fn upsert<'a>(&'a self, incident: IncidentSummary, vector: Vec<f32>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.ensure_collection().await?;
            self.client.upsert_points(upsert_request(&incident, vector)?).await.map_err(upstream)?;
            Ok(())
        })
    }

    fn search<'a>(
        &'a self,
        vector: &'a [f32],
        k: usize,
        exclude: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Neighbour>>> {
        Box::pin(async move {
            self.ensure_collection().await?;
            let found = self.client.search_points(search_request(vector, k, exclude)).await.map_err(upstream)?;
            Ok(found
                .result
                .into_iter()
                .filter_map(|p| {
                    summary_of(&p.payload).map(|incident| Neighbour { similarity: p.score.clamp(0.0, 1.0), incident })
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qdrant_client::qdrant::{condition::ConditionOneOf, point_id::PointIdOptions, vectors_config::Config};

    fn incident() -> IncidentSummary {
        IncidentSummary {
            id: "inc-202401150250-abc123".into(),
            created_ms: 1,
            top_cause: Some("broker_out_of_disk".into()),
            top_on: Some("broker:2".into()),
            confirmed_cause: None,
            verdict: "Broker out of disk on broker:2".into(),
        }
    }

    #[test]
    fn the_collection_is_cosine_over_fingerprint_vectors() {
        let c = create_request().build();
        assert_eq!(c.collection_name, COLLECTION);
        let Some(Config::Params(p)) = c.vectors_config.and_then(|v| v.config) else { panic!("vector params") };
        assert_eq!((p.size, p.distance), (DIM as u64, Distance::Cosine as i32));
    }

    #[test]
    fn an_upsert_carries_the_id_hash_the_vector_and_the_summary() {
        let u = upsert_request(&incident(), vec![0.5; DIM]).unwrap();
        assert_eq!(u.collection_name, COLLECTION);
        assert_eq!(u.wait, Some(true));
        let p = &u.points[0];
        assert_eq!(
            p.id.as_ref().and_then(|i| i.point_id_options.clone()),
            Some(PointIdOptions::Num(point_id(&incident().id)))
        );
        assert_eq!(summary_of(&p.payload), Some(incident()));
        assert!(p.vectors.is_some());
    }

    #[test]
    fn a_search_asks_for_k_with_payload_and_leaves_out_the_incident_itself() {
        let s = search_request(&[1.0; DIM], 3, Some("inc-x"));
        assert_eq!((s.collection_name.as_str(), s.limit, s.vector.len()), (COLLECTION, 3, DIM));
        assert!(s.with_payload.is_some());
        let f = s.filter.expect("a filter");
        let Some(ConditionOneOf::HasId(h)) = f.must_not[0].condition_one_of.clone() else { panic!("has_id") };
        assert_eq!(h.has_id[0].point_id_options, Some(PointIdOptions::Num(point_id("inc-x"))));
        assert!(search_request(&[1.0; DIM], 3, None).filter.is_none());
    }
}
