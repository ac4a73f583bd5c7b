//! Kafka: the rdkafka client (SASL/SSL), metadata and admin, bounded sampling, producing, payload decoding, and the Kafka tools.
//!
//! [`Kafka`] is the one handle every tool uses. It connects lazily (no I/O at start-up), runs librdkafka's
//! blocking calls off the async runtime, bounds every call by the configured timeout, and forgets its
//! clients when the cluster stops answering, so the next call after the broker returns starts afresh.

pub mod admin;
pub mod client;
pub mod decode;
pub mod groups;
pub mod infer_schema;
pub mod list_topics;
pub mod payloads;
pub mod peek_messages;
pub mod produce;
pub mod produce_test_message;
pub mod resources;
pub mod sample;
pub mod start_arg;

pub use admin::{BrokerInfo, ClusterInfo, PartitionInfo, TopicInfo};
pub use decode::{decode, Encoding};
pub use groups::GroupLag;
pub use produce::{Delivery, OutRecord, Pipeline};
pub use sample::{Record, Sample, SampleRequest, StartAt, StopReason};

use crate::config::{KafkaConfig, Secret};
use crate::error::{Error, Result};
use client::{client_config, kafka_secrets, map_error, timed_out, QaContext, Role};
use rdkafka::admin::AdminClient;
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The shared Kafka handle: cheap to clone, lazily connected.
#[derive(Clone)]
pub struct Kafka {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: KafkaConfig,
    secrets: Vec<Secret>,
    admin: Mutex<Option<Arc<AdminClient<QaContext>>>>,
    producer: Mutex<Option<Arc<FutureProducer<QaContext>>>>,
}

impl Kafka {
    pub fn new(cfg: &KafkaConfig) -> Kafka {
        Kafka {
            inner: Arc::new(Inner {
                secrets: kafka_secrets(cfg),
                cfg: cfg.clone(),
                admin: Mutex::new(None),
                producer: Mutex::new(None),
            }),
        }
    }

    /// The bound of one metadata, admin or produce request.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.inner.cfg.request_timeout_ms.max(100))
    }

    fn ensure_configured(&self) -> Result<()> {
        if self.inner.cfg.bootstrap_servers.trim().is_empty() {
            return Err(crate::config::Backend::Kafka.not_configured());
        }
        Ok(())
    }

    fn context(&self) -> QaContext {
        QaContext::new(self.inner.secrets.clone())
    }

    fn create_error(&self, e: KafkaError) -> Error {
        // A client that cannot even be created has a configuration problem (a bad property or file path).
        Error::bad_input(
            "kafka configuration",
            crate::config::redact(&format!("settings librdkafka accepts ({e})"), &self.inner.secrets),
        )
    }

    pub(crate) fn admin(&self) -> Result<OffRuntime<AdminClient<QaContext>>> {
        self.ensure_configured()?;
        let mut slot = self.inner.admin.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = slot.as_ref() {
            return Ok(OffRuntime(Some(a.clone())));
        }
        let admin: AdminClient<QaContext> = client_config(&self.inner.cfg, Role::Admin, None)
            .create_with_context(self.context())
            .map_err(|e| self.create_error(e))?;
        let admin = Arc::new(admin);
        *slot = Some(admin.clone());
        Ok(OffRuntime(Some(admin)))
    }

    pub(crate) fn producer(&self) -> Result<OffRuntime<FutureProducer<QaContext>>> {
        self.ensure_configured()?;
        let mut slot = self.inner.producer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = slot.as_ref() {
            // An idempotent producer that hit a fatal error (e.g. the broker lost its state) is unusable.
            if p.client().fatal_error().is_none() {
                return Ok(OffRuntime(Some(p.clone())));
            }
            drop_off_runtime(slot.take());
        }
        let producer: FutureProducer<QaContext> = client_config(&self.inner.cfg, Role::Producer, None)
            .create_with_context(self.context())
            .map_err(|e| self.create_error(e))?;
        let producer = Arc::new(producer);
        *slot = Some(producer.clone());
        Ok(OffRuntime(Some(producer)))
    }

    /// A short-lived consumer for assigned reads (`Role::Reader`) or one group's committed offsets.
    /// Create, use and drop it on a blocking thread: dropping waits for librdkafka's threads.
    pub(crate) fn consumer(&self, role: Role, group: Option<&str>) -> Result<BaseConsumer<QaContext>> {
        self.ensure_configured()?;
        client_config(&self.inner.cfg, role, group)
            .create_with_context(self.context())
            .map_err(|e| self.create_error(e))
    }

    /// Drops the cached clients (off the runtime) so the next call connects afresh.
    pub(crate) fn forget_clients(&self) {
        let admin = self.inner.admin.lock().unwrap_or_else(|p| p.into_inner()).take();
        let producer = self.inner.producer.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop_off_runtime((admin, producer));
    }

    pub(crate) fn map_err(&self, e: KafkaError, what: &str, started: Instant) -> Error {
        map_error(e, what, started.elapsed(), &self.inner.secrets)
    }

    /// Runs librdkafka's blocking work on a blocking thread, bounded by `limit` (the work's own timeouts
    /// should end it sooner). A call the cluster did not answer makes the handle forget its clients.
    pub(crate) async fn blocking<T, F>(&self, what: &str, limit: Duration, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let started = Instant::now();
        let result = match tokio::time::timeout(limit, tokio::task::spawn_blocking(work)).await {
            Err(_) => Err(timed_out(what, started.elapsed())),
            Ok(Err(join)) => Err(Error::internal(format!("{what}: {join}"))),
            Ok(Ok(r)) => r,
        };
        self.after(result)
    }

    /// Bounds an async librdkafka call (admin operations, deliveries) by the request timeout.
    pub(crate) async fn bounded<T, Fut>(&self, what: &str, work: Fut) -> Result<T>
    where
        Fut: std::future::Future<Output = Result<T>>,
    {
        let started = Instant::now();
        let limit = self.timeout() + Duration::from_millis(500);
        let result = match tokio::time::timeout(limit, work).await {
            Err(_) => Err(timed_out(what, started.elapsed())),
            Ok(r) => r,
        };
        self.after(result)
    }

    pub(crate) fn after<T>(&self, result: Result<T>) -> Result<T> {
        if matches!(result, Err(Error::Unreachable { .. })) {
            self.forget_clients();
        }
        result
    }
}

/// A shared client whose last owner may be an async task (after `forget_clients`): dropping it hands the
/// client to a blocking thread, so librdkafka's destructor never runs on the runtime.
pub(crate) struct OffRuntime<T: Send + Sync + 'static>(Option<Arc<T>>);

impl<T: Send + Sync + 'static> std::ops::Deref for OffRuntime<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().expect("present until dropped")
    }
}

impl<T: Send + Sync + 'static> Drop for OffRuntime<T> {
    fn drop(&mut self) {
        // Only the last owner gets the client back; the others just let go of their reference.
        if let Some(client) = self.0.take().and_then(Arc::into_inner) {
            drop_off_runtime(client);
        }
    }
}

/// librdkafka's destructors block (they join threads and flush): never run them on the async runtime.
fn drop_off_runtime<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn_blocking(move || drop(value));
        }
        Err(_) => drop(value),
    }
}

/// This domain's tools, in the order tools/list shows them.
pub fn tools() -> Vec<Box<dyn crate::mcp::tool::DynTool>> {
    vec![
        Box::new(list_topics::ListTopics),
        Box::new(infer_schema::InferSchema),
        Box::new(peek_messages::PeekMessages),
        Box::new(produce_test_message::ProduceTestMessage),
    ]
}
