//! Live resources: `kafka://cluster` (brokers, controller, topic names) and `kafka://topics/{name}`
//! (partitions with watermarks and configs), read from the cluster when asked. Inferred schemas
//! (`kafka://topics/{name}/schema`) are stored by infer_schema in the resource store instead.

use crate::context::AppState;
use crate::error::Result;
use serde_json::json;

const JSON: &str = "application/json";

/// The resource at `uri` if it is a live Kafka resource (None when the URI is not one of them).
pub async fn read_resource(state: &AppState, uri: &str) -> Option<Result<(String, String)>> {
    if uri == "kafka://cluster" {
        return Some(cluster(state).await);
    }
    let name = uri.strip_prefix("kafka://topics/")?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some(topic(state, name).await)
}

async fn cluster(state: &AppState) -> Result<(String, String)> {
    let c = state.kafka.cluster().await?;
    let topics: Vec<_> = c
        .topics
        .iter()
        .map(
            |t| json!({"name": t.name, "partitions": t.partitions.len(), "replication_factor": t.replication_factor()}),
        )
        .collect();
    let body =
        json!({"cluster_id": c.cluster_id, "controller_id": c.controller_id, "brokers": c.brokers, "topics": topics});
    Ok((JSON.into(), body.to_string()))
}

async fn topic(state: &AppState, name: &str) -> Result<(String, String)> {
    let kafka = &state.kafka;
    let info = kafka.topic(name).await?;
    let marks = kafka.watermarks(name).await?;
    let configs = kafka.topic_configs(&[name.to_string()]).await?.remove(name).unwrap_or_default();
    let partitions: Vec<_> = info
        .partitions
        .iter()
        .map(|p| {
            let (low, high) = marks.iter().find(|(id, _, _)| *id == p.id).map_or((0, 0), |(_, l, h)| (*l, *h));
            json!({"id": p.id, "leader": p.leader, "replicas": p.replicas, "isr": p.isr, "low": low, "high": high})
        })
        .collect();
    let messages: i64 = marks.iter().map(|(_, l, h)| (h - l).max(0)).sum();
    let body = json!({"name": name, "replication_factor": info.replication_factor(), "messages": messages, "partitions": partitions, "configs": configs});
    Ok((JSON.into(), body.to_string()))
}
