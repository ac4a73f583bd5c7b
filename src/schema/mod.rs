//! JSON Schema inference from sampled messages, and validation.

mod formats;
pub mod infer;
mod node;
mod stream;
pub mod validate;

pub use infer::{FieldStats, InferOptions, Inference, Inferrer};
pub use validate::{Issue, Validator};

#[cfg(test)]
mod tests;
