//! What several test modules share: backends that refuse every connection, a replay of recorded Loki
//! answers, and the Schema Registry helpers.
pub mod closed_backends;
pub mod loki_replay;
pub mod registry;
pub mod stack;
