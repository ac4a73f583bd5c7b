//! Incident fingerprints and nearest neighbours (embedded index, Qdrant behind a feature).

pub mod fingerprint;
pub mod index;
#[cfg(feature = "qdrant")]
pub mod qdrant;
