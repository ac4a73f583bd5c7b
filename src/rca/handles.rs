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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use serde_json::json;

    fn obs(v: serde_json::Value) -> Observations {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn merging_keeps_entities_once_and_every_signal() {
        let mut into = obs(
            json!({"topics": [{"name": "orders", "partitions": [{"id": 0}]}], "signals": [{"class": "disk_full", "entity": "broker:2"}]}),
        );
        merge(
            &mut into,
            obs(
                json!({"topics": [{"name": "orders", "partitions": [{"id": 0}, {"id": 1}]}], "signals": [{"class": "out_of_space", "entity": "broker:2", "source": "log"}]}),
            ),
        );
        assert_eq!(into.topics.len(), 1);
        assert_eq!(into.topics[0].partitions.iter().map(|p| p.id).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(into.signals.len(), 2);
    }

    #[test]
    fn handles_resolve_to_their_observations_and_window() {
        let state = AppState::new(Config::default()).unwrap();
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        let w1 = TimeWindow { start: at("2024-01-15T02:50:00Z"), end: at("2024-01-15T03:10:00Z") };
        let w2 = TimeWindow { start: at("2024-01-15T03:00:00Z"), end: at("2024-01-15T03:30:00Z") };
        let a = keep(&state, "prom", &w1, obs(json!({"signals": [{"class": "disk_full", "entity": "broker:2"}]})), "a");
        let b =
            keep(&state, "loki", &w2, obs(json!({"signals": [{"class": "broker_stop", "entity": "broker:2"}]})), "b");
        // The bare id and the resource URI both work.
        let (o, window) = resolve(&state, &[a.clone(), format!("{HANDLE_PREFIX}{b}")]).unwrap();
        assert_eq!(o.signals.len(), 2);
        assert_eq!(window, (w1.start.timestamp_millis(), w2.end.timestamp_millis()));
        let err = resolve(&state, &[a, "loki-nope".into()]).unwrap_err();
        assert!(matches!(&err, Error::BadInput { argument, .. } if argument == "from[1]"), "{err}");
    }
}
