//! The integration tests, one binary (each file a module): one link instead of one per file, and one
//! copy of the crate and its dependencies on disk. Tests that need the local stack are ignored without
//! feature `stack` (run `tools/test`).
mod support;

mod bad_arguments;
mod datagen_destinations;
mod datagen_keywords;
mod datagen_records;
mod dispatch;
mod export_parquet;
mod fuzz_calls;
mod hard_inputs;
mod http_limits;
mod infer_roundtrip;
mod kafka_tools;
mod loki_query;
mod peek_messages;
mod prom_snapshot;
mod rca_neo4j;
mod rca_scenario;
mod rca_simulated;
mod rca_verification;
mod registry;
mod registry_bad_input;
mod registry_clients;
mod registry_compat;
mod registry_generate;
mod registry_reads;
mod stdio_malformed;
mod testcases_mutants;
mod testcases_processor;
mod testcases_store;
mod testcases_story;
mod testdata_bad_input;
mod tools_list_size;
mod tools_list_snapshot;
