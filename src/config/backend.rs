//! The backends a tool may need, whether the configuration has them, and how to configure each: the one
//! place that text lives, used by the registry (a disabled tool), the `tools` command and the domains'
//! not-configured errors.

use super::Config;

/// A backend without which a tool cannot work at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Kafka,
    Loki,
    Prometheus,
    SchemaRegistry,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Kafka => "Kafka",
            Backend::Loki => "Loki",
            Backend::Prometheus => "Prometheus",
            Backend::SchemaRegistry => "Schema Registry",
        }
    }

    pub fn how_to_configure(self) -> &'static str {
        match self {
            Backend::Kafka => {
                "pass --bootstrap-servers HOST:PORT, set KAFKA_BOOTSTRAP_SERVERS, or [kafka] bootstrap_servers in the config file"
            }
            Backend::Loki => "pass --loki-url URL, set LOKI_URL, or [loki] url in the config file",
            Backend::Prometheus => "pass --prometheus-url URL, set PROMETHEUS_URL, or [prometheus] url in the config file",
            Backend::SchemaRegistry => {
                "pass --schema-registry-url URL, set SCHEMA_REGISTRY_URL, or [schema_registry] url in the config file"
            }
        }
    }

    pub fn is_configured(self, config: &Config) -> bool {
        match self {
            Backend::Kafka => !config.kafka.bootstrap_servers.trim().is_empty(),
            Backend::Loki => config.loki.url.is_some(),
            Backend::Prometheus => config.prometheus.url.is_some(),
            Backend::SchemaRegistry => config.schema_registry.url.as_deref().is_some_and(|u| !u.trim().is_empty()),
        }
    }

    /// The not-configured error naming this backend and how to configure it.
    pub fn not_configured(self) -> crate::error::Error {
        crate::error::Error::not_configured(self.name(), self.how_to_configure())
    }
}
