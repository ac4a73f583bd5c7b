//! The test-case model, generation, execution against topics, and reports (JSON, JUnit XML, Markdown).
//! `model` is the case format, `generate` builds cases from a schema, `score` grades agent-written ones,
//! `story` has the optional language model (`llm`) write them from a user story, `run` executes them
//! against live topics, `report` renders the outcome, `tool` is the MCP face.

pub mod generate;
pub mod llm;
pub mod model;
pub mod report;
pub mod run;
pub mod score;
pub mod story;
pub mod tool;
