//! JSON Schema inference from sampled messages, and validation.
