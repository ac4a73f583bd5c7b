//! The test-case model, generation, execution against topics, and reports (JSON, JUnit XML, Markdown).
//! `model` is the case format, `generate` builds cases from a schema, `score` grades agent-written ones,
//! `story` has the optional language model (`llm`) write them from a user story, `run` executes them
//! against live topics, `report` renders the outcome, `trace` ties expectations to their source, `tool` is the MCP face.

pub mod generate;
pub mod generate_test_cases;
pub mod llm;
pub mod model;
pub mod report;
pub mod run;
pub mod run_test_cases;
pub mod score;
pub mod story;
pub mod trace;

/// This domain's tools, in the order tools/list shows them.
pub fn tools() -> Vec<Box<dyn crate::mcp::tool::DynTool>> {
    vec![Box::new(generate_test_cases::GenerateTestCases), Box::new(run_test_cases::RunTestCases)]
}
