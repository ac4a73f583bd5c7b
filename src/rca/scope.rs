//! Where a rule looks, relative to the entity its cause sits on: "partitions with a replica on broker 2",
//! "topics group payments-svc reads", "the leader of orders-3". Answered from the graph's edges.

use super::graph::{EdgeKind, Graph};
use super::observation::{EntityKind, EntityRef};
use super::rules::{Rule, Scope};

/// Whether `entity` lies in `scope` of `anchor`.
pub fn in_scope(g: &Graph, anchor: usize, scope: Scope, entity: usize) -> bool {
    let kind = g.kind(entity);
    match scope {
        Scope::Anchor => entity == anchor,
        Scope::Any => true,
        Scope::Cluster => kind == EntityKind::Cluster,
        Scope::Brokers => kind == EntityKind::Broker,
        Scope::Peers => kind == EntityKind::Broker && entity != anchor,
        Scope::Hosted => match kind {
            EntityKind::Partition => hosts(g, anchor, entity),
            EntityKind::Topic => g.targets(entity, EdgeKind::Hosts).iter().any(|&p| hosts(g, anchor, p)),
            _ => false,
        },
        Scope::Partitions => match g.kind(anchor) {
            EntityKind::Topic => kind == EntityKind::Partition && g.topic_of(entity) == Some(anchor),
            EntityKind::Partition => entity == anchor,
            EntityKind::Broker => kind == EntityKind::Partition && hosts(g, anchor, entity),
            _ => false,
        },
        Scope::Leader => kind == EntityKind::Broker && leads_for(g, anchor, entity),
        Scope::Consumed => {
            g.kind(anchor) == EntityKind::Group
                && g.topic_of(entity).is_some_and(|t| g.targets(anchor, EdgeKind::Consumes).contains(&t))
        }
        Scope::Members => g.sources(anchor, EdgeKind::MemberOf).contains(&entity),
        Scope::Produced => {
            g.kind(anchor) == EntityKind::Client
                && g.topic_of(entity).is_some_and(|t| g.targets(anchor, EdgeKind::ProducesTo).contains(&t))
        }
        Scope::Consumers => {
            kind == EntityKind::Group
                && g.targets(entity, EdgeKind::Consumes).iter().any(|&t| match g.kind(anchor) {
                    EntityKind::Client => g.targets(anchor, EdgeKind::ProducesTo).contains(&t),
                    _ => g.topic_of(anchor) == Some(t),
                })
        }
    }
}

/// The broker `broker` holds a replica of (or leads) `partition`.
fn hosts(g: &Graph, broker: usize, partition: usize) -> bool {
    g.sources(partition, EdgeKind::ReplicaOf).contains(&broker)
        || g.sources(partition, EdgeKind::Leads).contains(&broker)
}

/// `broker` leads the anchor partition, a partition of the anchor topic, or one the anchor group reads.
fn leads_for(g: &Graph, anchor: usize, broker: usize) -> bool {
    let led = g.targets(broker, EdgeKind::Leads);
    match g.kind(anchor) {
        EntityKind::Partition => led.contains(&anchor),
        EntityKind::Topic => led.iter().any(|&p| g.topic_of(p) == Some(anchor)),
        EntityKind::Group => {
            let topics = g.targets(anchor, EdgeKind::Consumes);
            led.iter().any(|&p| g.topic_of(p).is_some_and(|t| topics.contains(&t)))
        }
        _ => false,
    }
}

/// Entities of the rule's anchor kind a signal on `entity` may point at.
pub fn candidate_anchors(g: &Graph, rule: &Rule, entity: usize) -> Vec<usize> {
    let kind = g.kind(entity);
    if kind == rule.anchor {
        return vec![entity];
    }
    match (rule.anchor, kind) {
        (EntityKind::Cluster, _) => g.find(&EntityRef::Cluster).into_iter().collect(),
        (EntityKind::Topic, EntityKind::Partition) => g.topic_of(entity).into_iter().collect(),
        (EntityKind::Group, EntityKind::Topic | EntityKind::Partition) => {
            g.topic_of(entity).map(|t| g.sources(t, EdgeKind::Consumes).to_vec()).unwrap_or_default()
        }
        (EntityKind::Group, EntityKind::Client) => g.targets(entity, EdgeKind::MemberOf).to_vec(),
        _ => vec![],
    }
}
