//! Schema-driven and built-in entity test data, with edge and defect values, seeded.
//! `plan` compiles a JSON Schema, `generate` draws records from it (`values` picks realistic leaves,
//! `pattern` matches regexes, `places` are real countries and cities), `relations` keeps declared
//! arithmetic, `entities` are the coherent e-commerce records, `defects` breaks one constraint per record,
//! `history` learns a topic's distributions, `stream` is one job, `sinks` deliver.

pub mod defects;
pub mod entities;
pub mod generate;
pub mod generate_test_data;
pub mod history;
pub mod learn;
pub mod pattern;
pub mod places;
pub mod plan;
pub mod relations;
pub mod sinks;
pub mod stream;
pub mod values;

/// This domain's tools, in the order tools/list shows them.
pub fn tools() -> Vec<Box<dyn crate::mcp::tool::DynTool>> {
    vec![Box::new(generate_test_data::GenerateTestData)]
}
