//! The Bolt graph store against a real Bolt server (ArcadeDB from `tools/stack up graph`): analyses are
//! written and read back, repeated saves do not duplicate nodes or edges (MERGE), and a server restart
//! mid-way gives a clear error, after which the next call works.

use kafka_qa_mcp::config::{GraphBackend, GraphConfig, Secret};
use kafka_qa_mcp::error::Error;
use kafka_qa_mcp::rca::build::from_observations;
use kafka_qa_mcp::rca::graph::Graph;
use kafka_qa_mcp::rca::observation::Observations;
use kafka_qa_mcp::rca::store::neo4j::Neo4jStore;
use kafka_qa_mcp::rca::store::{GraphStore, IncidentRecord, RankedCause};
use kafka_qa_mcp::similar::fingerprint::Fingerprint;
use std::path::Path;
use std::process::Command;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run tools/stack up and source .stack/env"))
}

fn config(uri: &str) -> GraphConfig {
    GraphConfig {
        backend: GraphBackend::Neo4j,
        uri: Some(uri.into()),
        user: Some(env("NEO4J_USER")),
        password: Some(Secret::new(env("NEO4J_PASSWORD"))),
        database: Some("kafka".into()),
        rules_file: None,
    }
}

/// The shared scenario with a cluster name of its own, so counts see only this test's nodes.
fn scenario(cluster: &str) -> Graph {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rca/disk-full-scenario.json"),
    )
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["observations"]["cluster"]["id"] = cluster.into();
    let obs: Observations = serde_json::from_value(v["observations"].take()).unwrap();
    from_observations(&obs).unwrap()
}

fn record(id: &str, g: &Graph) -> IncidentRecord {
    IncidentRecord {
        id: id.into(),
        created_ms: 1_705_289_400_000,
        cluster: g.cluster_name.clone(),
        window_start_ms: Some(1_705_287_000_000),
        window_end_ms: Some(1_705_289_400_000),
        verdict: "Broker out of disk on broker:2".into(),
        causes: vec![RankedCause {
            rule: "broker_out_of_disk".into(),
            cause: "Broker out of disk".into(),
            on: "broker:2".into(),
            confidence: 0.98,
        }],
        confirmed_cause: None,
        fingerprint: Fingerprint::of(g),
        note: "# note".into(),
    }
}

fn suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// (entity nodes of the cluster, relationships among them, signals of the incident and their edges)
async fn counts(uri: &str, cluster: &str, incident: &str) -> (i64, i64, i64, i64) {
    let cfg = neo4rs::ConfigBuilder::default()
        .uri(uri)
        .user(env("NEO4J_USER"))
        .password(env("NEO4J_PASSWORD"))
        .db("kafka")
        .build()
        .unwrap();
    let g = neo4rs::Graph::connect(cfg).await.unwrap();
    let one = |q: &str| neo4rs::query(q).param("cluster", cluster).param("id", incident);
    let mut out = vec![];
    for q in [
        "MATCH (n) WHERE n.cluster = $cluster AND n.key IS NOT NULL RETURN count(n) AS n",
        "MATCH (a)-[r]->(b) WHERE a.cluster = $cluster AND b.cluster = $cluster RETURN count(r) AS n",
        "MATCH (i:Incident {id: $id})-[:HAS_SIGNAL]->(s:Signal) RETURN count(s) AS n",
        "MATCH (i:Incident {id: $id})-[:HAS_SIGNAL]->(s:Signal)-[r]->() RETURN count(r) AS n",
    ] {
        let mut rows = g.execute(one(q)).await.unwrap();
        let row = rows.next().await.unwrap().unwrap();
        out.push(row.get::<i64>("n").unwrap());
    }
    (out[0], out[1], out[2], out[3])
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn analyses_are_merged_and_read_back() {
    let uri = env("NEO4J_URI");
    let cluster = format!("test-{}", suffix());
    let id = format!("inc-test-{}", suffix());
    let g = scenario(&cluster);
    let store = Neo4jStore::new(&config(&uri)).unwrap();
    let rec = record(&id, &g);

    store.save(&rec, &g).await.unwrap();
    let first = counts(&uri, &cluster, &id).await;
    // Every entity and every entity edge of the graph, every signal with OBSERVED_ON and PRECEDES.
    let entity_edges = g
        .edges
        .iter()
        .filter(|e| {
            matches!(
                (e.from, e.to),
                (kafka_qa_mcp::rca::graph::Node::Entity(_), kafka_qa_mcp::rca::graph::Node::Entity(_))
            )
        })
        .count();
    let signal_edges = g.edges.len() - entity_edges;
    assert_eq!(first, (g.entities.len() as i64, entity_edges as i64, g.signals.len() as i64, signal_edges as i64));

    store.save(&rec, &g).await.unwrap();
    store.save(&rec, &g).await.unwrap();
    assert_eq!(counts(&uri, &cluster, &id).await, first, "a repeated save must not duplicate nodes or edges");

    let back = store.get(&id).await.unwrap().expect("the incident reads back");
    assert_eq!(back, rec);
    let listed = store.list(1000).await.unwrap();
    assert!(listed.iter().any(|r| r.id == id));
    assert!(store.get("inc-none").await.unwrap().is_none());

    let confirmed = store.confirm(&id, "broker_out_of_disk").await.unwrap().unwrap();
    assert_eq!(confirmed.confirmed_cause.as_deref(), Some("broker_out_of_disk"));
    let again = store.confirm(&id, "disk filled by a runaway log").await.unwrap().unwrap();
    assert_eq!(again.confirmed_cause.as_deref(), Some("disk filled by a runaway log"));
    assert!(store.confirm("inc-none", "x").await.unwrap().is_none());
}

/// A private ArcadeDB on its own ports and folder, driven by the project's stack script.
struct PrivateServer {
    dir: tempfile::TempDir,
    http: u16,
    bolt: u16,
}

impl PrivateServer {
    fn script(&self, verb: &str) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let status = Command::new(root.join("tools/stack"))
            .args([verb, "graph"])
            .env("KAFKA_QA_STACK_DIR", self.dir.path())
            .env("KAFKA_QA_GRAPH_HTTP_PORT", self.http.to_string())
            .env("KAFKA_QA_GRAPH_BOLT_PORT", self.bolt.to_string())
            .env("KAFKA_QA_GRAPH_PASSWORD", env("NEO4J_PASSWORD"))
            .status()
            .expect("tools/stack runs");
        assert!(status.success(), "tools/stack {verb} graph failed");
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.script("down");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test]
async fn a_restart_gives_a_clear_error_and_the_next_call_works() {
    let server = PrivateServer { dir: tempfile::tempdir().unwrap(), http: free_port(), bolt: free_port() };
    server.script("up");
    let uri = format!("bolt://127.0.0.1:{}", server.bolt);
    let cluster = format!("test-{}", suffix());
    let g = scenario(&cluster);
    let store = Neo4jStore::new(&config(&uri)).unwrap();
    store.save(&record("inc-before", &g), &g).await.unwrap();

    server.script("down");
    let err = store.save(&record("inc-during", &g), &g).await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("Neo4j") && text.contains(&uri) && text.contains("tools/stack up graph"), "{text}");

    server.script("up");
    store.save(&record("inc-after", &g), &g).await.unwrap();
    let ids: Vec<String> = store.list(10).await.unwrap().into_iter().map(|r| r.id).collect();
    assert!(ids.contains(&"inc-after".to_string()) && ids.contains(&"inc-before".to_string()), "{ids:?}");
}
