//! The test-case model, generation, execution against topics, and reports (JSON, JUnit XML, Markdown).
