//! Root-cause analysis: the graph model, building it from observations, rules, ranking and stores.

pub mod answer;
pub mod build;
mod checks;
pub mod graph;
pub mod observation;
pub mod rank;
pub mod rules;
mod scope;

#[cfg(test)]
mod cause_tests;
