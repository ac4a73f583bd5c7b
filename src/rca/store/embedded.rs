//! The in-process store: incident records in memory, for the life of the server.

use super::{GraphStore, IncidentRecord};
use crate::error::Result;
use crate::rca::graph::Graph;
use futures::future::BoxFuture;
use std::sync::RwLock;

/// Incidents kept before the oldest are dropped.
const MAX_INCIDENTS: usize = 1000;

#[derive(Default)]
pub struct EmbeddedStore {
    records: RwLock<Vec<IncidentRecord>>,
}

impl GraphStore for EmbeddedStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    fn save<'a>(&'a self, record: &'a IncidentRecord, _graph: &'a Graph) -> BoxFuture<'a, Result<()>> {
        let mut records = self.records.write().unwrap_or_else(|p| p.into_inner());
        records.retain(|r| r.id != record.id);
        records.push(record.clone());
        if records.len() > MAX_INCIDENTS {
            let excess = records.len() - MAX_INCIDENTS;
            records.drain(..excess);
        }
        Box::pin(async { Ok(()) })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<IncidentRecord>>> {
        let found = self.records.read().unwrap_or_else(|p| p.into_inner()).iter().find(|r| r.id == id).cloned();
        Box::pin(async { Ok(found) })
    }

    fn list<'a>(&'a self, limit: usize) -> BoxFuture<'a, Result<Vec<IncidentRecord>>> {
        let records = self.records.read().unwrap_or_else(|p| p.into_inner());
        let found: Vec<IncidentRecord> = records.iter().rev().take(limit).cloned().collect();
        Box::pin(async { Ok(found) })
    }

    fn confirm<'a>(&'a self, id: &'a str, cause: &'a str) -> BoxFuture<'a, Result<Option<IncidentRecord>>> {
        let mut records = self.records.write().unwrap_or_else(|p| p.into_inner());
        let found = records.iter_mut().find(|r| r.id == id).map(|r| {
            r.confirmed_cause = Some(cause.to_string());
            r.clone()
        });
        Box::pin(async { Ok(found) })
    }
}
