//! The incident graph: cluster entities (cluster, brokers, topics, partitions, groups, clients) and the
//! signals seen on them, joined by typed edges. The edge list is the one source of truth; the lookups the
//! rules need (partitions on a broker, groups of a topic...) are indexes derived from it in `finish`.

use super::observation::{EntityKind, EntityRef, SignalSource};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// cluster -> broker, cluster -> topic, topic -> partition
    Hosts,
    /// broker -> partition it leads
    Leads,
    /// broker -> partition it holds a replica of
    ReplicaOf,
    /// broker -> partition whose ISR it is in
    InIsrOf,
    /// group -> topic
    Consumes,
    /// client -> topic
    ProducesTo,
    /// client -> group it is a member of
    MemberOf,
    /// signal -> entity it concerns
    ObservedOn,
    /// signal -> signal that began later
    Precedes,
}

impl EdgeKind {
    /// The relationship type used in stores (Cypher) and diagrams.
    pub fn rel_type(self) -> &'static str {
        match self {
            EdgeKind::Hosts => "HOSTS",
            EdgeKind::Leads => "LEADS",
            EdgeKind::ReplicaOf => "REPLICA_OF",
            EdgeKind::InIsrOf => "IN_ISR_OF",
            EdgeKind::Consumes => "CONSUMES",
            EdgeKind::ProducesTo => "PRODUCES_TO",
            EdgeKind::MemberOf => "MEMBER_OF",
            EdgeKind::ObservedOn => "OBSERVED_ON",
            EdgeKind::Precedes => "PRECEDES",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    Entity(usize),
    Signal(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    pub from: Node,
    pub to: Node,
    pub kind: EdgeKind,
}

/// A signal as the analysis uses it: times in Unix milliseconds, class normalised.
#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    pub class: String,
    pub source: SignalSource,
    /// Index of the entity it concerns.
    #[serde(skip)]
    pub entity: usize,
    #[serde(skip)]
    pub reported_by: Option<usize>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub value: Option<f64>,
    pub count: Option<u64>,
    pub detail: Option<String>,
}

/// Replica placement of one partition.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

#[derive(Debug, Default)]
pub struct Graph {
    pub cluster_name: String,
    pub controller: Option<i32>,
    pub entities: Vec<EntityRef>,
    pub signals: Vec<Signal>,
    pub edges: Vec<Edge>,
    index: HashMap<EntityRef, usize>,
    pub placements: HashMap<usize, Placement>,
    /// How the brokers' log streams are labelled, when the live path found them (for LogQL checks).
    pub log_streams: Option<super::checks::LogStreams>,
    // Derived from `edges` by `finish`.
    signals_on: Vec<Vec<usize>>,
    out: HashMap<(usize, EdgeKind), Vec<usize>>,
    inc: HashMap<(usize, EdgeKind), Vec<usize>>,
}

impl Graph {
    pub fn new(cluster_name: impl Into<String>) -> Graph {
        let mut g = Graph { cluster_name: cluster_name.into(), ..Default::default() };
        g.entity(&EntityRef::Cluster);
        g
    }

    /// The index of an entity, adding it (with the edges that place it: topic of a partition, cluster
    /// hosting a broker or topic) when it is new.
    pub fn entity(&mut self, r: &EntityRef) -> usize {
        if let Some(&i) = self.index.get(r) {
            return i;
        }
        let i = self.entities.len();
        self.entities.push(r.clone());
        self.index.insert(r.clone(), i);
        match r {
            EntityRef::Broker(_) | EntityRef::Topic(_) => {
                let c = self.entity(&EntityRef::Cluster);
                self.link(c, i, EdgeKind::Hosts);
            }
            EntityRef::Partition(topic, _) => {
                let t = self.entity(&EntityRef::Topic(topic.clone()));
                self.link(t, i, EdgeKind::Hosts);
            }
            _ => {}
        }
        i
    }

    pub fn find(&self, r: &EntityRef) -> Option<usize> {
        self.index.get(r).copied()
    }

    /// An entity-to-entity edge, once.
    pub fn link(&mut self, from: usize, to: usize, kind: EdgeKind) {
        let edge = Edge { from: Node::Entity(from), to: Node::Entity(to), kind };
        // Duplicates only arise from repeated observations; the derived index dedups them cheaply later.
        self.edges.push(edge);
    }

    pub fn add_signal(&mut self, signal: Signal) -> usize {
        let i = self.signals.len();
        self.edges.push(Edge { from: Node::Signal(i), to: Node::Entity(signal.entity), kind: EdgeKind::ObservedOn });
        self.signals.push(signal);
        i
    }

    /// Builds the lookup indexes from the edge list; call once all edges are in.
    pub fn finish(&mut self) {
        self.edges.sort_unstable_by_key(|e| (edge_order(e.from), edge_order(e.to), e.kind as u8));
        self.edges.dedup();
        self.signals_on = vec![vec![]; self.entities.len()];
        self.out.clear();
        self.inc.clear();
        for e in &self.edges {
            match (e.from, e.to) {
                (Node::Signal(s), Node::Entity(en)) if e.kind == EdgeKind::ObservedOn => self.signals_on[en].push(s),
                (Node::Entity(a), Node::Entity(b)) => {
                    self.out.entry((a, e.kind)).or_default().push(b);
                    self.inc.entry((b, e.kind)).or_default().push(a);
                }
                _ => {}
            }
        }
    }

    pub fn signals_on(&self, entity: usize) -> &[usize] {
        self.signals_on.get(entity).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Entities reached from `from` over edges of `kind`.
    pub fn targets(&self, from: usize, kind: EdgeKind) -> &[usize] {
        self.out.get(&(from, kind)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Entities with an edge of `kind` into `to`.
    pub fn sources(&self, to: usize, kind: EdgeKind) -> &[usize] {
        self.inc.get(&(to, kind)).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn kind(&self, entity: usize) -> EntityKind {
        self.entities[entity].kind()
    }

    pub fn name(&self, entity: usize) -> String {
        self.entities[entity].to_string()
    }

    /// The topic of a partition, the topic itself, or nothing.
    pub fn topic_of(&self, entity: usize) -> Option<usize> {
        match self.kind(entity) {
            EntityKind::Topic => Some(entity),
            EntityKind::Partition => self.sources(entity, EdgeKind::Hosts).first().copied(),
            _ => None,
        }
    }

    pub fn entity_count(&self, kind: EntityKind) -> usize {
        self.entities.iter().filter(|e| e.kind() == kind).count()
    }
}

fn edge_order(n: Node) -> (u8, usize) {
    match n {
        Node::Entity(i) => (0, i),
        Node::Signal(i) => (1, i),
    }
}
