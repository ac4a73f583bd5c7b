//! Time windows, the Loki and Prometheus clients, log-pattern and metric summaries, and the Kafka metric and log catalogs.

pub mod http;
pub mod loki;
pub mod prom;
pub mod selector;
pub mod series;
pub mod time;

/// This domain's tools, in the order tools/list shows them.
pub fn tools() -> Vec<Box<dyn crate::mcp::tool::DynTool>> {
    vec![Box::new(loki::LokiQuery), Box::new(prom::PromSnapshot)]
}
