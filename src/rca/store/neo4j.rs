//! The Bolt store (Neo4j, or ArcadeDB's Bolt plugin here): each analysis MERGEs the cluster's entities,
//! their placement edges, the incident with its signals (OBSERVED_ON, PRECEDES) and suspected causes, so
//! running it twice adds nothing. Only Cypher both Neo4j and ArcadeDB speak: MERGE, UNWIND of maps, MATCH,
//! SET, parameters. The connection is made on first use; after a failure it is dropped and the next call
//! reconnects, so a restarted server is picked up without restarting this one.

use super::{GraphStore, IncidentRecord};
use crate::config::GraphConfig;
use crate::error::{Error, Result};
use crate::rca::graph::{EdgeKind, Graph, Node};
use crate::rca::observation::EntityKind;
use futures::future::BoxFuture;
use neo4rs::{BoltType, ConfigBuilder, Query};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// Per statement; neo4rs itself retries a failing server for up to a minute.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Rows per UNWIND.
const BATCH: usize = 500;
const HOW: &str = "set [graph] uri/user/password/database in the config file, or NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE";

type Row = HashMap<String, BoltType>;

pub struct Neo4jStore {
    uri: String,
    user: String,
    password: String,
    database: String,
    graph: Mutex<Option<neo4rs::Graph>>,
}

impl Neo4jStore {
    /// No I/O here: the connection is made on first use.
    pub fn new(cfg: &GraphConfig) -> Result<Neo4jStore> {
        let uri = cfg.uri.clone().ok_or_else(|| Error::not_configured("Neo4j", HOW))?;
        Ok(Neo4jStore {
            uri,
            user: cfg.user.clone().unwrap_or_else(|| "neo4j".into()),
            password: cfg.password.as_ref().map(|s| s.expose().to_string()).unwrap_or_default(),
            database: cfg.database.clone().unwrap_or_else(|| "kafka".into()),
            graph: Mutex::new(None),
        })
    }

    /// neo4rs retries a refused connection for up to a minute; a TCP probe first makes a stopped server a
    /// prompt, clear error.
    async fn probe(&self) -> Result<()> {
        let started = Instant::now();
        let rest = self.uri.split_once("://").map(|(_, r)| r).unwrap_or(&self.uri);
        let authority = rest.split(['/', '?']).next().unwrap_or(rest);
        let addr = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
            authority.to_string()
        } else {
            format!("{authority}:7687")
        };
        match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(&addr)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(self.unreachable(started, &format!("connection refused ({e})"))),
            Err(_) => Err(self.unreachable(started, "no answer to a TCP connect")),
        }
    }

    async fn connection(&self) -> Result<neo4rs::Graph> {
        self.probe().await?;
        let mut slot = self.graph.lock().await;
        if let Some(g) = slot.as_ref() {
            return Ok(g.clone());
        }
        let started = Instant::now();
        let config = ConfigBuilder::default()
            .uri(self.uri.as_str())
            .user(self.user.as_str())
            .password(self.password.as_str())
            .db(self.database.as_str())
            .max_connections(4)
            .build()
            .map_err(|e| Error::bad_input("graph.uri", format!("a Bolt URI such as bolt://127.0.0.1:7687 ({e})")))?;
        let g = tokio::time::timeout(CONNECT_TIMEOUT, neo4rs::Graph::connect(config))
            .await
            .map_err(|_| self.unreachable(started, "no answer to the connection"))?
            .map_err(|e| self.error(started, e))?;
        *slot = Some(g.clone());
        Ok(g)
    }

    fn unreachable(&self, started: Instant, detail: &str) -> Error {
        Error::unreachable(
            "Neo4j",
            started.elapsed(),
            format!("{detail} at {}; start it (tools/stack up graph) or fix [graph] uri", self.uri),
        )
    }

    fn error(&self, started: Instant, e: neo4rs::Error) -> Error {
        match e {
            neo4rs::Error::Neo4j(n) => Error::upstream("Neo4j", format!("{}: {}", n.code(), n.message())),
            neo4rs::Error::AuthenticationError(m) => {
                Error::upstream("Neo4j", format!("authentication failed ({m}); {HOW}"))
            }
            other => self.unreachable(started, &other.to_string()),
        }
    }

    /// Runs statements in order; any failure drops the connection so the next call reconnects.
    async fn run_all(&self, statements: Vec<Query>) -> Result<()> {
        let g = self.connection().await?;
        for q in statements {
            let started = Instant::now();
            let outcome = match tokio::time::timeout(STATEMENT_TIMEOUT, g.run(q)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(self.error(started, e)),
                Err(_) => Err(self.unreachable(started, "a statement timed out")),
            };
            if let Err(e) = outcome {
                self.graph.lock().await.take();
                return Err(e);
            }
        }
        Ok(())
    }

    /// The `record` column of every row.
    async fn records(&self, q: Query) -> Result<Vec<IncidentRecord>> {
        let g = self.connection().await?;
        let started = Instant::now();
        let work = async {
            let mut stream = g.execute(q).await?;
            let mut out = vec![];
            while let Some(row) = stream.next().await? {
                out.push((row.get::<String>("record").ok(), row.get::<String>("confirmed").ok()));
            }
            Ok::<_, neo4rs::Error>(out)
        };
        let rows = match tokio::time::timeout(STATEMENT_TIMEOUT, work).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(e)) => {
                self.graph.lock().await.take();
                return Err(self.error(started, e));
            }
            Err(_) => {
                self.graph.lock().await.take();
                return Err(self.unreachable(started, "a query timed out"));
            }
        };
        let mut out = vec![];
        for (record, confirmed) in rows {
            let Some(text) = record else { continue };
            let mut r: IncidentRecord = serde_json::from_str(&text)
                .map_err(|e| Error::upstream("Neo4j", format!("a stored incident record is not valid: {e}")))?;
            if confirmed.is_some() {
                r.confirmed_cause = confirmed;
            }
            out.push(r);
        }
        Ok(out)
    }
}

/// Labels of entity nodes. `Group` is a keyword in some stores' SQL, hence ConsumerGroup.
fn label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Cluster => "Cluster",
        EntityKind::Broker => "Broker",
        EntityKind::Topic => "Topic",
        EntityKind::Partition => "Partition",
        EntityKind::Group => "ConsumerGroup",
        EntityKind::Client => "Client",
    }
}

fn row(pairs: Vec<(&str, BoltType)>) -> Row {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// One `UNWIND $rows` statement per batch.
fn batched(cypher: &str, rows: Vec<Row>, extra: &[(&str, BoltType)]) -> Vec<Query> {
    rows.chunks(BATCH)
        .map(|chunk| {
            let mut q = neo4rs::query(cypher).param("rows", chunk.to_vec());
            for (k, v) in extra {
                q = q.param(k, v.clone());
            }
            q
        })
        .collect()
}

/// The statements that MERGE one analysis.
pub fn statements(record: &IncidentRecord, g: &Graph) -> Result<Vec<Query>> {
    let key = |e: usize| -> String {
        match g.kind(e) {
            EntityKind::Cluster => g.cluster_name.clone(),
            _ => format!("{}/{}", g.cluster_name, g.name(e)),
        }
    };
    let mut out = vec![];
    let mut by_kind: BTreeMap<EntityKind, Vec<Row>> = BTreeMap::new();
    for (i, e) in g.entities.iter().enumerate() {
        by_kind.entry(e.kind()).or_default().push(row(vec![("key", key(i).into()), ("name", g.name(i).into())]));
    }
    for (kind, rows) in by_kind {
        let cypher = format!(
            "UNWIND $rows AS r MERGE (n:{} {{key: r.key}}) SET n.name = r.name, n.cluster = $cluster",
            label(kind)
        );
        out.extend(batched(&cypher, rows, &[("cluster", g.cluster_name.clone().into())]));
    }
    let mut links: BTreeMap<(EntityKind, EntityKind, &str), Vec<Row>> = BTreeMap::new();
    let mut observed: BTreeMap<EntityKind, Vec<Row>> = BTreeMap::new();
    let mut precedes = vec![];
    let signal_key = |s: usize| format!("{}/{s}", record.id);
    for e in &g.edges {
        match (e.from, e.to, e.kind) {
            (Node::Entity(a), Node::Entity(b), kind) => links
                .entry((g.kind(a), g.kind(b), kind.rel_type()))
                .or_default()
                .push(row(vec![("from", key(a).into()), ("to", key(b).into())])),
            (Node::Signal(s), Node::Entity(b), EdgeKind::ObservedOn) => observed
                .entry(g.kind(b))
                .or_default()
                .push(row(vec![("from", signal_key(s).into()), ("to", key(b).into())])),
            (Node::Signal(a), Node::Signal(b), EdgeKind::Precedes) => {
                precedes.push(row(vec![("from", signal_key(a).into()), ("to", signal_key(b).into())]))
            }
            _ => {}
        }
    }
    for ((from, to, rel), rows) in links {
        let cypher = format!(
            "UNWIND $rows AS r MATCH (a:{} {{key: r.from}}) MATCH (b:{} {{key: r.to}}) MERGE (a)-[:{rel}]->(b)",
            label(from),
            label(to)
        );
        out.extend(batched(&cypher, rows, &[]));
    }
    let text = serde_json::to_string(record).map_err(Error::internal)?;
    let top = record.causes.first();
    out.push(
        neo4rs::query(
            "MERGE (i:Incident {id: $id}) SET i.created_ms = $created, i.cluster = $cluster, i.verdict = $verdict, \
             i.top_cause = $top, i.top_on = $on, i.record = $record",
        )
        .param("id", record.id.as_str())
        .param("created", record.created_ms)
        .param("cluster", record.cluster.as_str())
        .param("verdict", record.verdict.as_str())
        .param("top", top.map(|c| c.rule.clone()))
        .param("on", top.map(|c| c.on.clone()))
        .param("record", text),
    );
    let signals: Vec<Row> = g
        .signals
        .iter()
        .enumerate()
        .map(|(i, s)| {
            row(vec![
                ("key", signal_key(i).into()),
                ("class", s.class.as_str().into()),
                ("source", format!("{:?}", s.source).to_lowercase().into()),
                ("start_ms", s.start_ms.into()),
                ("end_ms", s.end_ms.into()),
                ("value", s.value.into()),
                ("count", s.count.map(|c| c as i64).into()),
                ("detail", s.detail.clone().into()),
            ])
        })
        .collect();
    out.extend(batched(
        "UNWIND $rows AS r MATCH (i:Incident {id: $id}) MERGE (s:Signal {key: r.key}) \
         SET s.class = r.class, s.source = r.source, s.start_ms = r.start_ms, s.end_ms = r.end_ms, s.value = r.value, \
         s.count = r.count, s.detail = r.detail MERGE (i)-[:HAS_SIGNAL]->(s)",
        signals,
        &[("id", record.id.clone().into())],
    ));
    for (kind, rows) in observed {
        let cypher = format!("UNWIND $rows AS r MATCH (s:Signal {{key: r.from}}) MATCH (e:{} {{key: r.to}}) MERGE (s)-[:OBSERVED_ON]->(e)", label(kind));
        out.extend(batched(&cypher, rows, &[]));
    }
    out.extend(batched(
        "UNWIND $rows AS r MATCH (a:Signal {key: r.from}) MATCH (b:Signal {key: r.to}) MERGE (a)-[:PRECEDES]->(b)",
        precedes,
        &[],
    ));
    let causes: Vec<Row> = record
        .causes
        .iter()
        .enumerate()
        .map(|(rank, c)| {
            row(vec![
                ("rule", c.rule.as_str().into()),
                ("cause", c.cause.as_str().into()),
                ("on", c.on.as_str().into()),
                ("rank", (rank as i64 + 1).into()),
                ("confidence", c.confidence.into()),
            ])
        })
        .collect();
    out.extend(batched(
        "UNWIND $rows AS r MATCH (i:Incident {id: $id}) MERGE (c:Cause {id: r.rule}) SET c.name = r.cause \
         MERGE (i)-[h:SUSPECTS {rank: r.rank}]->(c) SET h.on = r.on, h.confidence = r.confidence",
        causes,
        &[("id", record.id.clone().into())],
    ));
    Ok(out)
}

impl GraphStore for Neo4jStore {
    fn backend(&self) -> &'static str {
        "neo4j"
    }

    fn save<'a>(&'a self, record: &'a IncidentRecord, graph: &'a Graph) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.run_all(statements(record, graph)?).await })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<IncidentRecord>>> {
        Box::pin(async move {
            let q =
                neo4rs::query("MATCH (i:Incident {id: $id}) RETURN i.record AS record, i.confirmed_cause AS confirmed")
                    .param("id", id);
            Ok(self.records(q).await?.into_iter().next())
        })
    }

    fn list<'a>(&'a self, limit: usize) -> BoxFuture<'a, Result<Vec<IncidentRecord>>> {
        Box::pin(async move {
            let q = neo4rs::query(
                "MATCH (i:Incident) RETURN i.record AS record, i.confirmed_cause AS confirmed, i.created_ms AS created \
                 ORDER BY created DESC LIMIT $limit",
            )
            .param("limit", limit as i64);
            self.records(q).await
        })
    }

    fn confirm<'a>(&'a self, id: &'a str, cause: &'a str) -> BoxFuture<'a, Result<Option<IncidentRecord>>> {
        Box::pin(async move {
            if self.get(id).await?.is_none() {
                return Ok(None);
            }
            // A new confirmation replaces the old one.
            self.run_all(vec![
                neo4rs::query("MATCH (i:Incident {id: $id})-[old:CONFIRMED]->() DELETE old").param("id", id),
                neo4rs::query(
                    "MATCH (i:Incident {id: $id}) SET i.confirmed_cause = $cause MERGE (c:Cause {id: $cause}) MERGE (i)-[:CONFIRMED]->(c)",
                )
                .param("id", id)
                .param("cause", cause),
            ])
            .await?;
            self.get(id).await
        })
    }
}
