//! The server's shared state and what each tool call receives.

use crate::config::{redact, Config, Secret};
use crate::error::{Error, Result};
use crate::resources::ResourceStore;
use crate::safety::Guard;
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
    /// The one HTTP client of the observability backends (Loki, Prometheus): shares connections and TLS.
    pub http: reqwest::Client,
    secrets: Vec<Secret>,
}

impl AppState {
    pub fn new(config: Config) -> Result<Arc<AppState>> {
        let guard = Guard::new(&config.safety, &config.export.dir)?;
        let secrets = config.secrets();
        let kafka = crate::kafka::Kafka::new(&config.kafka);
        let http = crate::observe::http::new_client();
        Ok(Arc::new(AppState { guard, resources: ResourceStore::default(), kafka, http, secrets, config }))
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
