//! Time windows, the Loki and Prometheus clients, log-pattern and metric summaries, and the Kafka metric and log catalogs.

pub mod http;
pub mod loki;
pub mod prom;
pub mod selector;
pub mod series;
pub mod time;
