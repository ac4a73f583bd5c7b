//! Root-cause analysis: the graph model, building it from observations, rules, ranking and stores.

pub mod answer;
pub mod build;
pub mod checks;
pub mod graph;
pub mod graph_rca;
pub mod handles;
pub mod history;
pub mod hypothesis;
pub mod live;
mod live_ids;
mod live_kafka;
pub mod note;
pub mod observation;
pub mod rank;
pub mod rules;
mod scope;
pub mod store;

/// This domain's tools, in the order tools/list shows them.
pub fn tools() -> Vec<Box<dyn crate::mcp::tool::DynTool>> {
    vec![Box::new(graph_rca::GraphRca)]
}

#[cfg(test)]
mod cause_tests;
