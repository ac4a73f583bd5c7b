//! An incident's fingerprint: which signal classes fired, on what kind of entity, in what order. Two
//! incidents with the same story (disk errors on a broker, then ISR shrinks on partitions...) get close
//! vectors whatever the broker ids, topic names or exact times.

use crate::rca::graph::Graph;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Length of the fingerprint vectors (hashed features).
pub const DIM: usize = 128;
/// Ordered pairs are taken among this many first features (keeps the vector about the story's start).
const ORDERED_PREFIX: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fingerprint {
    /// `class@entity_kind`, in order of first appearance (timed signals first, then standing findings).
    pub features: Vec<String>,
}

impl Fingerprint {
    pub fn of(g: &Graph) -> Fingerprint {
        let mut order: Vec<usize> = (0..g.signals.len()).collect();
        order.sort_by_key(|&i| (g.signals[i].start_ms.is_none(), g.signals[i].start_ms, i));
        let mut features: Vec<String> = vec![];
        for i in order {
            let s = &g.signals[i];
            let f = format!("{}@{}", s.class, g.kind(s.entity).name());
            if !features.contains(&f) {
                features.push(f);
            }
        }
        Fingerprint { features }
    }

    /// A unit vector: each feature, and each ordered pair of the first features (weighted half), hashed
    /// into DIM buckets.
    pub fn vector(&self) -> Vec<f32> {
        let mut v = vec![0f32; DIM];
        for f in &self.features {
            v[bucket(f)] += 1.0;
        }
        let head = &self.features[..self.features.len().min(ORDERED_PREFIX)];
        for (i, a) in head.iter().enumerate() {
            for b in &head[i + 1..] {
                v[bucket(&format!("{a}>{b}"))] += 0.5;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

/// FNV-1a: stable across runs and builds, unlike the std hasher, so stored vectors stay comparable.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

fn bucket(feature: &str) -> usize {
    (fnv1a(feature) % DIM as u64) as usize
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(features: &[&str]) -> Fingerprint {
        Fingerprint { features: features.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn the_same_story_is_closer_than_another_one_or_another_order() {
        let disk =
            fp(&["disk_full@broker", "broker_shutdown@broker", "leader_election@cluster", "isr_shrink@partition"]);
        let disk_again = fp(&["disk_full@broker", "broker_shutdown@broker", "isr_shrink@partition"]);
        let reversed =
            fp(&["isr_shrink@partition", "leader_election@cluster", "broker_shutdown@broker", "disk_full@broker"]);
        let lag = fp(&["lag_growing@group", "member_timeout@client", "rebalance@group"]);
        let v = disk.vector();
        assert!((cosine(&v, &v) - 1.0).abs() < 1e-5);
        let same = cosine(&v, &disk_again.vector());
        assert!(same > cosine(&v, &reversed.vector()) && cosine(&v, &reversed.vector()) > cosine(&v, &lag.vector()));
        assert!(same > 0.8, "{same}");
    }
}
