//! Parquet writers for messages, log lines and metric samples.
