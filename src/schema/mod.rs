//! JSON Schema inference from sampled messages, and validation.

mod formats;
pub mod infer;
mod node;
mod shape;
mod stream;
mod structure;
mod unions;
pub mod validate;

pub use infer::{FieldStats, InferOptions, Inference, Inferrer, KeywordEvidence};
pub use validate::{Issue, Validator};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_structure;
