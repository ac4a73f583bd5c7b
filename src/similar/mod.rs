//! Incident fingerprints and nearest neighbours (embedded index, Qdrant behind a feature).
