//! The server's shared state and what each tool call receives.

use crate::config::{redact, Backend, Config, Secret};
use crate::error::{Error, Result};
use crate::observe::loki::{LokiClient, Taxonomy};
use crate::observe::prom::catalog::Catalog;
use crate::observe::prom::PromClient;
use crate::rca::history::History;
use crate::rca::rules::Rule;
use crate::resources::ResourceStore;
use crate::safety::Guard;
use crate::testcases::llm::ChatClient;
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Everything tools share for the life of the server.
pub struct AppState {
    pub config: Config,
    pub guard: Guard,
    /// Results worth reading again: inferred schemas, test runs, incident notes.
    pub resources: ResourceStore,
    /// The Kafka client; connects on first use.
    pub kafka: crate::kafka::Kafka,
    /// The one HTTP client of the HTTP backends (Loki, Prometheus, a language model): shares connections and TLS.
    pub http: reqwest::Client,
    /// Loki and Prometheus clients, when configured.
    loki: Option<LokiClient>,
    prometheus: Option<PromClient>,
    /// The optional language model of generate_test_cases `user_story`.
    llm: Option<ChatClient>,
    /// The Schema Registry client (schemas cached by id and subject), when configured.
    registry: Option<crate::registry::RegistryClient>,
    /// Log event classes (built in, plus `loki.taxonomy_file`).
    pub taxonomy: Taxonomy,
    /// The Kafka metric catalog (built in, with `prometheus.metric_names` overrides).
    pub catalog: Catalog,
    /// Root-cause rules (built in, plus `graph.rules_file`).
    pub rules: Vec<Rule>,
    /// Past incidents: the graph store and the similar-incident index.
    pub history: History,
    secrets: Vec<Secret>,
}

impl AppState {
    /// Builds everything a tool call uses, once: files are read, patterns compiled and clients made here, so
    /// a broken configuration stops the start with a message naming the setting, instead of failing calls.
    /// No I/O to the backends themselves: they are reached on first use.
    pub fn new(config: Config) -> Result<Arc<AppState>> {
        let guard = Guard::new(&config.safety, &config.export.dir)?;
        let secrets = config.secrets();
        let kafka = crate::kafka::Kafka::new(&config.kafka);
        let http = crate::observe::http::new_client();
        let loki = config.loki.url.is_some().then(|| LokiClient::from_config(&config.loki, &http)).transpose()?;
        let prometheus =
            config.prometheus.url.is_some().then(|| PromClient::from_config(&config.prometheus, &http)).transpose()?;
        let llm = config.llm.url.is_some().then(|| ChatClient::from_config(&http, &config.llm)).transpose()?;
        let registry = Backend::SchemaRegistry
            .is_configured(&config)
            .then(|| crate::registry::RegistryClient::from_config(&config.schema_registry, &http))
            .transpose()?;
        Ok(Arc::new(AppState {
            guard,
            resources: ResourceStore::with_files(crate::store::FileStore::new(
                &config.store_dir(),
                config.store.max_files,
            )),
            kafka,
            loki,
            prometheus,
            llm,
            registry,
            taxonomy: Taxonomy::with_file(config.loki.taxonomy_file.as_deref())?,
            catalog: Catalog::with_overrides(&config.prometheus.metric_names)?,
            rules: crate::rca::rules::load(config.graph.rules_file.as_deref())?,
            history: History::new(&config.graph, &config.similar)?,
            http,
            secrets,
            config,
        }))
    }

    /// The Loki client, or the error saying how to configure Loki.
    pub fn loki(&self) -> Result<&LokiClient> {
        self.loki.as_ref().ok_or_else(|| Backend::Loki.not_configured())
    }

    /// The Prometheus client, or the error saying how to configure Prometheus.
    pub fn prometheus(&self) -> Result<&PromClient> {
        self.prometheus.as_ref().ok_or_else(|| Backend::Prometheus.not_configured())
    }

    /// The language model, or the error saying that none is needed.
    pub fn llm(&self) -> Result<&ChatClient> {
        self.llm.as_ref().ok_or_else(crate::testcases::llm::not_configured)
    }

    /// The Schema Registry client, or the error saying how to configure one.
    pub fn registry(&self) -> Result<&crate::registry::RegistryClient> {
        self.registry.as_ref().ok_or_else(|| Backend::SchemaRegistry.not_configured())
    }

    /// The Schema Registry client when one is configured (read paths decode with it when present).
    pub fn registry_opt(&self) -> Option<&crate::registry::RegistryClient> {
        self.registry.as_ref()
    }

    /// Removes every configured credential from text that leaves the server.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }

    /// The same for JSON: every string (keys too) is redacted in place, so the result stays valid JSON.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => *s = self.redact(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    self.redact_json(&mut v);
                    map.insert(self.redact(&k), v);
                }
            }
            _ => {}
        }
    }
}

/// One tool call: the shared state, the client's cancellation, and a progress channel.
pub struct CallContext {
    pub state: Arc<AppState>,
    pub cancel: CancellationToken,
    pub progress: Progress,
}

impl CallContext {
    pub fn new(state: Arc<AppState>) -> CallContext {
        CallContext { state, cancel: CancellationToken::new(), progress: Progress::none() }
    }
    pub fn config(&self) -> &Config {
        &self.state.config
    }
    pub fn guard(&self) -> &Guard {
        &self.state.guard
    }
    /// For long loops: an error once the client has cancelled the call.
    pub fn check_cancelled(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Where progress of a long call goes: the MCP layer implements it with progress notifications to the
/// client that asked for them; domain code only sees this trait.
pub trait ProgressSink: Send + Sync {
    fn report(&self, done: u64, total: Option<u64>, message: String) -> BoxFuture<'_, ()>;
}

/// Progress of one call: a sink when the client asked for progress, else nothing.
#[derive(Clone, Default)]
pub struct Progress {
    sink: Option<Arc<dyn ProgressSink>>,
}

impl Progress {
    pub fn none() -> Progress {
        Progress { sink: None }
    }
    pub fn to(sink: Arc<dyn ProgressSink>) -> Progress {
        Progress { sink: Some(sink) }
    }
    pub async fn report(&self, done: u64, total: Option<u64>, message: impl Into<String>) {
        if let Some(sink) = &self.sink {
            sink.report(done, total, message.into()).await;
        }
    }
}
