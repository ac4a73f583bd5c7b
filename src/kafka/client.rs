//! How the server talks to Kafka: the librdkafka configuration built from `[kafka]` (bootstrap, client id,
//! SASL, SSL, pass-through properties, timeouts), a client context that logs through `tracing` with every
//! credential removed, and the mapping of librdkafka errors to the server's error kinds.

use crate::config::{is_secret_key, redact, KafkaConfig, Secret};
use crate::error::Error;
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use std::time::Duration;

pub const BACKEND: &str = "Kafka";

/// What a client is for: each role gets the properties that apply to it (librdkafka warns about others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Producer,
    /// Reads by assignment only: never joins a group, never commits.
    Reader,
    /// Reads the committed offsets of one consumer group (never commits).
    GroupOffsets,
}

/// The security protocol: the configured one, or the one implied by the SASL and SSL sections.
pub fn security_protocol(cfg: &KafkaConfig) -> String {
    if let Some(p) = cfg.security_protocol.as_deref().filter(|p| !p.trim().is_empty()) {
        return p.trim().to_ascii_uppercase();
    }
    match (cfg.sasl.is_some(), cfg.ssl.is_some()) {
        (true, true) => "SASL_SSL",
        (true, false) => "SASL_PLAINTEXT",
        (false, true) => "SSL",
        (false, false) => "PLAINTEXT",
    }
    .to_string()
}

/// Every librdkafka property of a client, in the order they are set (later wins). Pure, so it is tested
/// without a broker; values of credential keys must never be printed by callers.
pub fn properties(cfg: &KafkaConfig, role: Role, group_id: Option<&str>) -> Vec<(String, String)> {
    let timeout_ms = cfg.request_timeout_ms.max(100);
    let mut p: Vec<(String, String)> = vec![];
    let mut set = |k: &str, v: String| p.push((k.to_string(), v));
    set("bootstrap.servers", cfg.bootstrap_servers.clone());
    set("client.id", cfg.client_id.clone());
    set("security.protocol", security_protocol(cfg));
    set("socket.timeout.ms", timeout_ms.max(10).to_string());
    // A broker that comes back is found again within a second, not librdkafka's default 10 s backoff.
    set("reconnect.backoff.max.ms", "1000".into());
    set("topic.metadata.refresh.interval.ms", "30000".into());
    if let Some(sasl) = &cfg.sasl {
        set("sasl.mechanism", sasl.mechanism.clone());
        set("sasl.username", sasl.username.clone());
        set("sasl.password", sasl.password.expose().to_string());
    }
    if let Some(ssl) = &cfg.ssl {
        let path = |p: &std::path::PathBuf| p.display().to_string();
        if let Some(v) = &ssl.ca_location {
            set("ssl.ca.location", path(v));
        }
        if let Some(v) = &ssl.certificate_location {
            set("ssl.certificate.location", path(v));
        }
        if let Some(v) = &ssl.key_location {
            set("ssl.key.location", path(v));
        }
        if let Some(v) = &ssl.key_password {
            set("ssl.key.password", v.expose().to_string());
        }
    }
    match role {
        Role::Admin => {}
        Role::Producer => {
            // Idempotent with acks=all: no duplicates, and order kept per partition across retries.
            // Batching (linger.ms, batch.size) stays librdkafka's: a broker that needs one record per batch
            // (tansu) gets it through the pass-through properties, as tools/stack does.
            set("enable.idempotence", "true".into());
            set("acks", "all".into());
            set("message.timeout.ms", timeout_ms.to_string());
            set("request.timeout.ms", timeout_ms.to_string());
        }
        Role::Reader | Role::GroupOffsets => {
            let group = group_id
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}-reader-{}", cfg.client_id, uuid::Uuid::new_v4()));
            set("group.id", group);
            set("enable.auto.commit", "false".into());
            set("enable.auto.offset.store", "false".into());
            set("enable.partition.eof", "true".into());
            set("auto.offset.reset", "earliest".into());
            set("allow.auto.create.topics", "false".into());
        }
    }
    for (k, v) in cfg.properties.iter() {
        p.push((k.clone(), v.clone()));
    }
    p
}

pub fn client_config(cfg: &KafkaConfig, role: Role, group_id: Option<&str>) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in properties(cfg, role, group_id) {
        c.set(k, v);
    }
    c.set_log_level(RDKafkaLogLevel::Warning);
    c
}

/// The credentials of the Kafka section, removed from every log line and error text.
pub fn kafka_secrets(cfg: &KafkaConfig) -> Vec<Secret> {
    let mut out = vec![];
    if let Some(s) = &cfg.sasl {
        out.push(s.password.clone());
    }
    if let Some(Some(p)) = cfg.ssl.as_ref().map(|s| s.key_password.clone()) {
        out.push(p);
    }
    out.extend(cfg.properties.iter().filter(|(k, _)| is_secret_key(k)).map(|(_, v)| Secret::new(v.clone())));
    out
}

/// Client context: librdkafka's log lines and errors go to `tracing`, redacted. Connection failures to a
/// broker that is down repeat every second, so they are logged at debug level; calls report them instead.
#[derive(Clone)]
pub struct QaContext {
    secrets: Vec<Secret>,
}

impl QaContext {
    pub fn new(secrets: Vec<Secret>) -> Self {
        QaContext { secrets }
    }
}

impl ClientContext for QaContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        let message = redact(message, &self.secrets);
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
                tracing::warn!(target: "librdkafka", "{fac} {message}")
            }
            RDKafkaLogLevel::Warning => tracing::debug!(target: "librdkafka", "{fac} {message}"),
            _ => tracing::trace!(target: "librdkafka", "{fac} {message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let reason = redact(reason, &self.secrets);
        tracing::debug!(target: "librdkafka", "{} {reason}", redact(&error.to_string(), &self.secrets));
    }
}

impl ConsumerContext for QaContext {}

impl rdkafka::producer::ProducerContext for QaContext {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &rdkafka::message::DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

/// Whether a librdkafka error means the cluster did not answer (as opposed to answering with an error).
pub fn is_unreachable(e: &KafkaError) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        e.rdkafka_error_code(),
        Some(
            OperationTimedOut
                | AllBrokersDown
                | BrokerTransportFailure
                | Resolve
                | MessageTimedOut
                | TimedOutQueue
                | RequestTimedOut
                | NetworkException
                | BrokerNotAvailable
        )
    ) || matches!(e, KafkaError::Canceled)
}

/// Maps a librdkafka error to the server's error: unreachable (with the time spent), unknown topic, or
/// what the broker said. `what` names the operation ("metadata", "produce"...).
pub fn map_error(e: KafkaError, what: &str, after: Duration, secrets: &[Secret]) -> Error {
    if is_unreachable(&e) {
        return Error::unreachable(
            BACKEND,
            after,
            format!("{what}: no broker answered ({})", redact(&e.to_string(), secrets)),
        );
    }
    if matches!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic)
    ) {
        return unknown_topic();
    }
    Error::upstream(BACKEND, format!("{what}: {}", redact(&e.to_string(), secrets)))
}

pub fn unknown_topic() -> Error {
    Error::bad_input("topic", "an existing topic; call list_topics")
}

/// The timeout of a call that did not finish in time, as an unreachable error.
pub fn timed_out(what: &str, after: Duration) -> Error {
    Error::unreachable(BACKEND, after, format!("{what}: no answer within {} ms", after.as_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Properties, SaslConfig, SslConfig};

    fn cfg() -> KafkaConfig {
        KafkaConfig { bootstrap_servers: "b:9092".into(), ..Default::default() }
    }

    fn get<'a>(p: &'a [(String, String)], key: &str) -> Option<&'a str> {
        p.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    #[test]
    fn security_protocol_follows_sasl_and_ssl_unless_set() {
        let mut c = cfg();
        assert_eq!(security_protocol(&c), "PLAINTEXT");
        c.ssl = Some(SslConfig::default());
        assert_eq!(security_protocol(&c), "SSL");
        c.sasl = Some(SaslConfig {
            mechanism: "SCRAM-SHA-512".into(),
            username: "u".into(),
            password: Secret::new("pw-123"),
        });
        assert_eq!(security_protocol(&c), "SASL_SSL");
        c.ssl = None;
        assert_eq!(security_protocol(&c), "SASL_PLAINTEXT");
        c.security_protocol = Some("ssl".into());
        assert_eq!(security_protocol(&c), "SSL");
    }

    #[test]
    fn roles_get_their_properties_and_passthrough_wins() {
        let mut c = cfg();
        c.sasl =
            Some(SaslConfig { mechanism: "PLAIN".into(), username: "svc".into(), password: Secret::new("pw-123") });
        c.ssl = Some(SslConfig {
            ca_location: Some("/ca.pem".into()),
            key_password: Some(Secret::new("kp-456")),
            ..Default::default()
        });
        c.properties = Properties(
            [
                ("acks".to_string(), "1".to_string()),
                ("sasl.oauthbearer.client.secret".to_string(), "s-789".to_string()),
            ]
            .into(),
        );
        let plain = properties(&cfg(), Role::Producer, None);
        assert_eq!(get(&plain, "acks"), Some("all"));
        assert!(get(&plain, "batch.num.messages").is_none() && get(&plain, "linger.ms").is_none());
        let p = properties(&c, Role::Producer, None);
        assert_eq!(get(&p, "enable.idempotence"), Some("true"));
        assert_eq!(get(&p, "acks"), Some("1"), "pass-through properties are set last");
        assert_eq!(get(&p, "sasl.username"), Some("svc"));
        assert_eq!(get(&p, "sasl.password"), Some("pw-123"));
        assert_eq!(get(&p, "ssl.ca.location"), Some("/ca.pem"));
        assert_eq!(get(&p, "security.protocol"), Some("SASL_SSL"));
        let r = properties(&c, Role::Reader, None);
        assert_eq!(get(&r, "enable.auto.commit"), Some("false"));
        assert!(get(&r, "enable.idempotence").is_none());
        assert_eq!(get(&properties(&c, Role::GroupOffsets, Some("g1")), "group.id"), Some("g1"));
        let secrets: Vec<String> = kafka_secrets(&c).iter().map(|s| s.expose().to_string()).collect();
        assert_eq!(secrets, vec!["pw-123", "kp-456", "s-789"]);
    }

    #[test]
    fn errors_are_classified() {
        let down = KafkaError::MetadataFetch(RDKafkaErrorCode::OperationTimedOut);
        assert!(matches!(map_error(down, "metadata", Duration::from_secs(1), &[]), Error::Unreachable { .. }));
        let unknown = KafkaError::MetadataFetch(RDKafkaErrorCode::UnknownTopicOrPartition);
        assert_eq!(map_error(unknown, "metadata", Duration::ZERO, &[]).argument(), Some("topic"));
        let other = KafkaError::MetadataFetch(RDKafkaErrorCode::TopicAuthorizationFailed);
        assert!(matches!(map_error(other, "metadata", Duration::ZERO, &[]), Error::Upstream { .. }));
    }
}
