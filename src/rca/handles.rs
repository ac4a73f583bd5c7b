//! Handles: prom_snapshot and loki_query keep the signals of each reply (metric states, log event classes)
//! as observations under a short id, so graph_rca takes `from: [ids]` instead of the agent typing the
//! observations back. Kept in the resource store (`observations://{id}`, bounded like every stored
//! resource: the oldest go first), for this process's lifetime.

use super::observation::Observations;
use crate::context::AppState;
use crate::error::{Error, Result};
use crate::observe::time::TimeWindow;
use crate::resources::StoredResource;
use serde::{Deserialize, Serialize};

pub const HANDLE_PREFIX: &str = "observations://";

#[derive(Serialize, Deserialize)]
struct Kept {
    /// The window the signals were read over, Unix ms.
    window: (i64, i64),
    observations: Observations,
}

/// Keeps the observations of one reply; returns the handle (`prom-…` or `loki-…`).
pub fn keep(state: &AppState, kind: &str, window: &TimeWindow, observations: Observations, what: &str) -> String {
    let id = format!("{kind}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let signals = observations.signals.len();
    let kept = Kept { window: (window.start.timestamp_millis(), window.end.timestamp_millis()), observations };
    state.resources.put(StoredResource {
        uri: format!("{HANDLE_PREFIX}{id}"),
        name: format!("observations {id}"),
        description: format!("{signals} signals of {what}, for graph_rca's `from`"),
        mime_type: "application/json".into(),
        text: serde_json::to_string(&kept).unwrap_or_default(),
    });
    id
}

/// The observations behind the handles, merged, and the window they span (earliest start, latest end).
pub fn resolve(state: &AppState, handles: &[String]) -> Result<(Observations, (i64, i64))> {
    let mut merged = Observations::default();
    let mut window: Option<(i64, i64)> = None;
    for (i, h) in handles.iter().enumerate() {
        let id = h.trim().strip_prefix(HANDLE_PREFIX).unwrap_or(h.trim());
        let kept: Kept = state
            .resources
            .get(&format!("{HANDLE_PREFIX}{id}"))
            .and_then(|r| serde_json::from_str(&r.text).ok())
            .ok_or_else(|| {
                Error::bad_input(
                    format!("from[{i}]"),
                    format!("the `handle` of a prom_snapshot or loki_query reply of this server session; `{}` is unknown or was pruned: call that tool again", crate::error::quote_arg(h)),
                )
            })?;
        window = Some(match window {
            None => kept.window,
            Some((s, e)) => (s.min(kept.window.0), e.max(kept.window.1)),
        });
        merge(&mut merged, kept.observations);
    }
    let window = window.ok_or_else(|| Error::bad_input("from", "at least one handle"))?;
    Ok((merged, window))
}

/// Adds `more` to `into`: entities once (the first description wins), every signal.
pub fn merge(into: &mut Observations, more: Observations) {
    if into.cluster.is_none() {
        into.cluster = more.cluster;
    }
    for b in more.brokers {
        if !into.brokers.iter().any(|have| have.id == b.id) {
            into.brokers.push(b);
        }
    }
    for t in more.topics {
        match into.topics.iter_mut().find(|have| have.name == t.name) {
            Some(have) => {
                for p in t.partitions {
                    if !have.partitions.iter().any(|hp| hp.id == p.id) {
                        have.partitions.push(p);
                    }
                }
            }
            None => into.topics.push(t),
        }
    }
    for g in more.groups {
        if !into.groups.iter().any(|have| have.id == g.id) {
            into.groups.push(g);
        }
    }
    for c in more.clients {
        if !into.clients.iter().any(|have| have.id == c.id) {
            into.clients.push(c);
        }
    }
    into.signals.extend(more.signals);
}
