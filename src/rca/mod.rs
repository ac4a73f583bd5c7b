//! Root-cause analysis: the graph model, building it from observations, rules, ranking and stores.

pub mod answer;
pub mod build;
mod checks;
pub mod graph;
mod history;
pub mod hypothesis;
mod live;
mod live_kafka;
pub mod note;
pub mod observation;
pub mod rank;
pub mod rules;
mod scope;
pub mod store;
pub mod tool;

#[cfg(test)]
mod cause_tests;
