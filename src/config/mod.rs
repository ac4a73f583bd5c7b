//! Configuration: flags > environment > TOML file (with `${VAR}` expansion) > defaults.
//! Every section has defaults, so an empty file (or none) is a valid configuration.

mod backend;
mod expand;
mod secret;

pub use backend::Backend;
pub use expand::expand_env;
pub use secret::{redact, Secret};

use crate::error::Error;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub kafka: KafkaConfig,
    pub safety: SafetyConfig,
    pub output: OutputConfig,
    pub export: ExportConfig,
    pub loki: LokiConfig,
    pub prometheus: PrometheusConfig,
    pub graph: GraphConfig,
    pub http: HttpConfig,
    pub llm: LlmConfig,
    pub similar: SimilarConfig,
    pub schema_registry: SchemaRegistryConfig,
    pub store: StoreConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// Comma-separated host:port list; empty means Kafka is not configured.
    pub bootstrap_servers: String,
    pub client_id: String,
    /// PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; derived from sasl/ssl when unset.
    pub security_protocol: Option<String>,
    pub sasl: Option<SaslConfig>,
    pub ssl: Option<SslConfig>,
    /// librdkafka properties passed through as they are (values are treated as secrets when the key
    /// mentions password, secret or token).
    pub properties: Properties,
    /// Timeout of metadata and admin requests.
    pub request_timeout_ms: u64,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            bootstrap_servers: String::new(),
            client_id: "kafka-qa-mcp".into(),
            security_protocol: None,
            sasl: None,
            ssl: None,
            properties: Properties::default(),
            request_timeout_ms: 10_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaslConfig {
    /// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
    pub mechanism: String,
    pub username: String,
    pub password: Secret,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SslConfig {
    pub ca_location: Option<PathBuf>,
    pub certificate_location: Option<PathBuf>,
    pub key_location: Option<PathBuf>,
    pub key_password: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SafetyConfig {
    /// Disables every tool that writes to Kafka.
    pub read_only: bool,
    /// Globs of topics that may be written (produce, test data, test runs).
    pub produce_allow: Vec<String>,
    /// Globs of topics that may never be written; deny wins over allow.
    pub produce_deny: Vec<String>,
    pub max_messages_per_call: usize,
    pub max_message_bytes: usize,
}

impl Default for SafetyConfig {
    fn default() -> Self {
        SafetyConfig {
            read_only: false,
            produce_allow: vec!["*".into()],
            produce_deny: vec![],
            max_messages_per_call: 1000,
            max_message_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// Default byte budget of one tool reply (text + structured content).
    pub max_output_bytes: usize,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig { max_output_bytes: 32 * 1024 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportConfig {
    /// The only folder files are written to (test data, reports, Parquet).
    pub dir: PathBuf,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig { dir: PathBuf::from("exports") }
    }
}

/// Where case sets and test runs are kept between processes (see `store.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The folder; default `store` under the export folder.
    pub dir: Option<PathBuf>,
    /// Files kept per kind (case sets, test runs); the oldest go first.
    pub max_files: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { dir: None, max_files: 500 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LokiConfig {
    pub url: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub bearer_token: Option<Secret>,
    /// Sent as X-Scope-OrgID.
    pub tenant: Option<String>,
    pub timeout_ms: u64,
    /// Answers larger than this many MiB are refused (narrow the query).
    pub max_response_mb: u64,
    /// Extra event-class rules appended to the built-in taxonomy.
    pub taxonomy_file: Option<PathBuf>,
    /// LogQL stream selector of the Kafka brokers' logs for live analysis (e.g. `{app="kafka"}`); when
    /// unset (and LOKI_KAFKA_SELECTOR is unset) the streams are discovered from the labels in the window.
    pub kafka_selector: Option<String>,
}

impl Default for LokiConfig {
    fn default() -> Self {
        LokiConfig {
            url: None,
            username: None,
            password: None,
            bearer_token: None,
            tenant: None,
            timeout_ms: 15_000,
            max_response_mb: crate::observe::http::DEFAULT_MAX_RESPONSE_MB,
            taxonomy_file: None,
            kafka_selector: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusConfig {
    pub url: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub bearer_token: Option<Secret>,
    pub timeout_ms: u64,
    /// Answers larger than this many MiB are refused (narrow the query).
    pub max_response_mb: u64,
    /// Overrides of the Kafka metric catalog (metric role -> metric name).
    pub metric_names: BTreeMap<String, String>,
}

impl Default for PrometheusConfig {
    fn default() -> Self {
        PrometheusConfig {
            url: None,
            username: None,
            password: None,
            bearer_token: None,
            timeout_ms: 15_000,
            max_response_mb: crate::observe::http::DEFAULT_MAX_RESPONSE_MB,
            metric_names: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphConfig {
    /// `embedded` (default, in-process) or `neo4j` (Bolt).
    pub backend: GraphBackend,
    pub uri: Option<String>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub database: Option<String>,
    /// Extra correlation rules appended to the built-in ones.
    pub rules_file: Option<PathBuf>,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            backend: GraphBackend::Embedded,
            uri: None,
            user: None,
            password: None,
            database: None,
            rules_file: None,
        }
    }
}

/// Where incident graphs are stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphBackend {
    /// In-process, for the life of the server.
    #[default]
    Embedded,
    /// A Bolt server (Neo4j, or a Bolt-compatible store).
    Neo4j,
}

/// The similar-incident index: embedded by default; Qdrant when built with the `qdrant` feature and a URL is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimilarConfig {
    /// A Qdrant gRPC URL such as http://127.0.0.1:6334 (QDRANT_URL).
    pub qdrant_url: Option<String>,
    /// Qdrant's API key (QDRANT_API_KEY): a secret.
    pub qdrant_api_key: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Bearer token required on every HTTP request when set; mandatory when binding beyond loopback.
    pub auth_token: Option<Secret>,
    /// Extra Host names accepted besides localhost, 127.0.0.1 and ::1.
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted (scheme://host:port); requests without Origin are accepted.
    pub allowed_origins: Vec<String>,
    /// Sessions without a request for this many seconds are closed.
    pub session_idle_secs: u64,
    /// At most this many live sessions; further initializes are answered 503.
    pub max_sessions: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            auth_token: None,
            allowed_hosts: vec![],
            allowed_origins: vec![],
            session_idle_secs: 30 * 60,
            max_sessions: 1000,
        }
    }
}

/// An optional language model that turns a user story into test cases (generate_test_cases `user_story`).
/// Nothing needs it: without it the agent writes the cases itself with the prompt `test_cases_from_story`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// An OpenAI-compatible base URL ending in /v1, or an Ollama base URL; unset means no model.
    pub url: Option<String>,
    /// The model name the server knows (required with `url`).
    pub model: Option<String>,
    /// Sent as a bearer token when set.
    pub api_key: Option<Secret>,
    /// Timeout of one model request, from sending it to the answer's last token (--llm-timeout-ms,
    /// KAFKA_QA_LLM_TIMEOUT_MS). Default 300000: a 1.5B model on 2 CPU cores writes about 20 tokens/s, so
    /// 6 cases (about 2,500 tokens with the prompt read) take 2 to 3 minutes.
    pub timeout_ms: u64,
    /// `openai` (POST {url}/chat/completions) or `ollama` (POST {url}/api/chat).
    pub kind: LlmKind,
}

/// The API a language model speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LlmKind {
    /// An OpenAI-compatible /v1 API (POST {url}/chat/completions).
    #[default]
    Openai,
    /// Ollama (POST {url}/api/chat).
    Ollama,
}

/// The default timeout of one model request (see [`LlmConfig::timeout_ms`]).
pub const DEFAULT_LLM_TIMEOUT_MS: u64 = 300_000;

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig { url: None, model: None, api_key: None, timeout_ms: DEFAULT_LLM_TIMEOUT_MS, kind: LlmKind::Openai }
    }
}

/// A Confluent-compatible Schema Registry (Confluent, Karapace, Apicurio's ccompat API): payloads in the
/// Confluent wire format are decoded and encoded with its schemas.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchemaRegistryConfig {
    /// Base URL, e.g. http://127.0.0.1:8081 (or Apicurio's .../apis/ccompat/v7); unset means no registry.
    pub url: Option<String>,
    /// Basic auth user (Confluent Cloud: the API key).
    pub username: Option<String>,
    /// Basic auth secret (Confluent Cloud: the API secret).
    pub password: Option<Secret>,
    pub bearer_token: Option<Secret>,
    /// A PEM file of the CA that signed the registry's certificate, added to the system roots.
    pub ca_file: Option<PathBuf>,
    /// Timeout of one registry request.
    pub timeout_ms: u64,
    /// Globs of subjects a tool may register schemas under (only when asked, never in read-only mode).
    pub subject_allow: Vec<String>,
    /// Globs of subjects never registered under; deny wins over allow.
    pub subject_deny: Vec<String>,
}

impl Default for SchemaRegistryConfig {
    fn default() -> Self {
        SchemaRegistryConfig {
            url: None,
            username: None,
            password: None,
            bearer_token: None,
            ca_file: None,
            timeout_ms: 10_000,
            subject_allow: vec!["*".into()],
            subject_deny: vec![],
        }
    }
}

/// Values given on the command line or in the environment; each wins over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bootstrap_servers: Option<String>,
    pub read_only: Option<bool>,
    pub export_dir: Option<PathBuf>,
    pub loki_url: Option<String>,
    pub prometheus_url: Option<String>,
    pub max_output_bytes: Option<usize>,
    pub max_response_mb: Option<u64>,
    pub auth_token: Option<String>,
    pub session_idle_secs: Option<u64>,
    pub max_sessions: Option<usize>,
    pub sasl_mechanism: Option<String>,
    pub sasl_username: Option<String>,
    pub sasl_password: Option<String>,
    pub graph_uri: Option<String>,
    pub graph_user: Option<String>,
    pub graph_password: Option<String>,
    pub graph_database: Option<String>,
    pub produce_allow: Option<Vec<String>>,
    pub produce_deny: Option<Vec<String>>,
    pub llm_url: Option<String>,
    pub llm_model: Option<String>,
    pub llm_kind: Option<LlmKind>,
    pub llm_timeout_ms: Option<u64>,
    pub qdrant_url: Option<String>,
    pub qdrant_api_key: Option<String>,
    pub llm_api_key: Option<String>,
    pub schema_registry_url: Option<String>,
    pub schema_registry_user: Option<String>,
    pub schema_registry_password: Option<String>,
    pub schema_registry_bearer_token: Option<String>,
    pub schema_registry_ca_file: Option<PathBuf>,
    /// librdkafka properties (`--kafka-property`, KAFKA_QA_KAFKA_PROPERTIES), set over `[kafka.properties]`.
    pub kafka_properties: Vec<(String, String)>,
    pub store_dir: Option<PathBuf>,
}

impl Config {
    /// Reads the TOML file (if any), expands `${VAR}` from the process environment, then applies
    /// the overrides, then checks the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, Error> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        config.apply(overrides);
        config.check()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::bad_input("--config", format!("a readable TOML file at {} ({e})", path.display())))?;
        Self::from_toml(&text)
    }

    pub fn from_toml(text: &str) -> Result<Config, Error> {
        let expanded = expand_env(text, |name| std::env::var(name).ok())?;
        toml::from_str(&expanded).map_err(|e| {
            // toml's message quotes the offending line; with secrets expanded into it, redact them.
            let msg = e.message().to_string();
            Error::bad_input("--config", format!("valid configuration TOML: {msg}"))
        })
    }

    pub fn apply(&mut self, o: &Overrides) {
        if let Some(v) = &o.bootstrap_servers {
            self.kafka.bootstrap_servers = v.clone();
        }
        if let Some(v) = o.read_only {
            self.safety.read_only = v;
        }
        if let Some(v) = &o.export_dir {
            self.export.dir = v.clone();
        }
        if let Some(v) = &o.loki_url {
            self.loki.url = Some(v.clone());
        }
        if let Some(v) = &o.prometheus_url {
            self.prometheus.url = Some(v.clone());
        }
        if let Some(v) = o.max_output_bytes {
            self.output.max_output_bytes = v;
        }
        if let Some(v) = &o.auth_token {
            self.http.auth_token = Some(Secret::new(v.clone()));
        }
        if let Some(v) = o.max_response_mb {
            self.loki.max_response_mb = v;
            self.prometheus.max_response_mb = v;
        }
        if let Some(v) = o.session_idle_secs {
            self.http.session_idle_secs = v;
        }
        if let Some(v) = o.max_sessions {
            self.http.max_sessions = v;
        }
        if let Some(v) = &o.graph_uri {
            self.graph.uri = Some(v.clone());
            self.graph.backend = GraphBackend::Neo4j;
        }
        if let Some(v) = &o.graph_user {
            self.graph.user = Some(v.clone());
        }
        if let Some(v) = &o.graph_password {
            self.graph.password = Some(Secret::new(v.clone()));
        }
        if let Some(v) = &o.graph_database {
            self.graph.database = Some(v.clone());
        }
        if let Some(v) = &o.produce_allow {
            self.safety.produce_allow = v.clone();
        }
        if let Some(v) = &o.produce_deny {
            self.safety.produce_deny = v.clone();
        }
        if let Some(v) = &o.llm_url {
            self.llm.url = Some(v.clone());
        }
        if let Some(v) = &o.llm_model {
            self.llm.model = Some(v.clone());
        }
        if let Some(v) = o.llm_kind {
            self.llm.kind = v;
        }
        if let Some(v) = o.llm_timeout_ms {
            self.llm.timeout_ms = v;
        }
        if let Some(v) = &o.qdrant_url {
            self.similar.qdrant_url = Some(v.clone());
        }
        if let Some(v) = &o.qdrant_api_key {
            self.similar.qdrant_api_key = Some(Secret::new(v.clone()));
        }
        if let Some(v) = &o.llm_api_key {
            self.llm.api_key = Some(Secret::new(v.clone()));
        }
        if let Some(v) = &o.schema_registry_url {
            self.schema_registry.url = Some(v.clone());
        }
        if let Some(v) = &o.schema_registry_user {
            self.schema_registry.username = Some(v.clone());
        }
        if let Some(v) = &o.schema_registry_password {
            self.schema_registry.password = Some(Secret::new(v.clone()));
        }
        if let Some(v) = &o.schema_registry_bearer_token {
            self.schema_registry.bearer_token = Some(Secret::new(v.clone()));
        }
        if let Some(v) = &o.schema_registry_ca_file {
            self.schema_registry.ca_file = Some(v.clone());
        }
        if let Some(v) = &o.store_dir {
            self.store.dir = Some(v.clone());
        }
        for (k, v) in &o.kafka_properties {
            self.kafka.properties.0.insert(k.clone(), v.clone());
        }
        if let (Some(user), Some(password)) = (&o.sasl_username, &o.sasl_password) {
            self.kafka.sasl = Some(SaslConfig {
                mechanism: o.sasl_mechanism.clone().unwrap_or_else(|| "PLAIN".into()),
                username: user.clone(),
                password: Secret::new(password.clone()),
            });
        }
    }

    fn check(&self) -> Result<(), Error> {
        if let Some(sasl) = &self.kafka.sasl {
            let ok = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];
            if !ok.contains(&sasl.mechanism.as_str()) {
                return Err(Error::bad_input("kafka.sasl.mechanism", format!("one of {}", ok.join(", "))));
            }
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.output.max_output_bytes) {
            return Err(Error::bad_input("output.max_output_bytes", "a size from 1024 to 16777216 bytes"));
        }
        if self.llm.url.is_some() && self.llm.model.as_deref().unwrap_or("").trim().is_empty() {
            return Err(Error::bad_input(
                "llm.model",
                "the model name (--llm-model, KAFKA_QA_LLM_MODEL) when llm.url is set",
            ));
        }
        if !(1_000..=3_600_000).contains(&self.llm.timeout_ms) {
            return Err(Error::bad_input(
                "llm.timeout_ms",
                "a timeout from 1000 to 3600000 ms (--llm-timeout-ms, KAFKA_QA_LLM_TIMEOUT_MS)",
            ));
        }
        if !(1..=4096).contains(&self.loki.max_response_mb) || !(1..=4096).contains(&self.prometheus.max_response_mb) {
            return Err(Error::bad_input("max_response_mb", "a size from 1 to 4096 MiB ([loki] and [prometheus])"));
        }
        if self.http.session_idle_secs == 0 || self.http.max_sessions == 0 {
            return Err(Error::bad_input("http", "session_idle_secs and max_sessions above 0"));
        }
        if !(100..=600_000).contains(&self.schema_registry.timeout_ms) {
            return Err(Error::bad_input("schema_registry.timeout_ms", "a timeout from 100 to 600000 ms"));
        }
        if self.schema_registry.password.is_some() && self.schema_registry.username.is_none() {
            return Err(Error::bad_input(
                "schema_registry.username",
                "the user (--schema-registry-user, SCHEMA_REGISTRY_USER) that goes with the password",
            ));
        }
        if self.store.max_files == 0 {
            return Err(Error::bad_input("store.max_files", "1 or more files kept per kind"));
        }
        if self.safety.max_messages_per_call == 0 || self.safety.max_message_bytes == 0 {
            return Err(Error::bad_input("safety", "max_messages_per_call and max_message_bytes above 0"));
        }
        Ok(())
    }

    /// The folder of case sets and test runs: `[store] dir`, else `store` under the export folder.
    pub fn store_dir(&self) -> PathBuf {
        self.store.dir.clone().unwrap_or_else(|| self.export.dir.join("store"))
    }

    /// Every credential in the configuration, for [`redact`].
    pub fn secrets(&self) -> Vec<Secret> {
        let mut out = vec![];
        if let Some(s) = &self.kafka.sasl {
            out.push(s.password.clone());
        }
        if let Some(Some(p)) = self.kafka.ssl.as_ref().map(|s| s.key_password.clone()) {
            out.push(p);
        }
        for (k, v) in self.kafka.properties.iter() {
            if is_secret_key(k) {
                out.push(Secret::new(v.clone()));
            }
        }
        let optional = [
            &self.loki.password,
            &self.loki.bearer_token,
            &self.prometheus.password,
            &self.prometheus.bearer_token,
            &self.graph.password,
            &self.http.auth_token,
            &self.llm.api_key,
            &self.similar.qdrant_api_key,
            &self.schema_registry.password,
            &self.schema_registry.bearer_token,
        ];
        out.extend(optional.into_iter().flatten().cloned());
        out
    }
}

/// The environment variable of librdkafka pass-through properties, `KEY=VALUE[,KEY=VALUE...]`: how
/// `tools/stack` gives its broker's quirks to every client (see [`KafkaConfig::add_env_properties`]).
pub const KAFKA_PROPERTIES_ENV: &str = "KAFKA_QA_KAFKA_PROPERTIES";

/// `KEY=VALUE` pairs separated by commas. A piece without `=` continues the previous value, so values that
/// are lists (`debug=broker,topic`) survive. Empty text is no properties.
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = vec![];
    for piece in text.split(',') {
        match piece.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => out.push((k.trim().to_string(), v.trim().to_string())),
            None if piece.trim().is_empty() => {}
            None if !out.is_empty() => {
                let last = out.len() - 1;
                out[last].1.push(',');
                out[last].1.push_str(piece.trim());
            }
            _ => {
                // Never echo the piece: it may hold a credential.
                return Err(Error::bad_input(
                    "kafka properties",
                    "librdkafka properties as KEY=VALUE[,KEY=VALUE...] (--kafka-property, KAFKA_QA_KAFKA_PROPERTIES)",
                ));
            }
        }
    }
    Ok(out)
}

impl KafkaConfig {
    /// Adds the properties of [`KAFKA_PROPERTIES_ENV`] over the configured ones, as the command line does:
    /// for programs and tests that build their configuration in code.
    pub fn add_env_properties(&mut self) -> Result<(), Error> {
        let text = std::env::var(KAFKA_PROPERTIES_ENV).unwrap_or_default();
        for (k, v) in parse_properties(&text)? {
            self.properties.0.insert(k, v);
        }
        Ok(())
    }
}

/// librdkafka properties; Debug masks the values of credential keys.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Properties(pub BTreeMap<String, String>);

impl Properties {
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, if is_secret_key(k) { "***" } else { v.as_str() })))
            .finish()
    }
}

/// Whether a librdkafka property carries a credential.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "credential"].iter().any(|w| k.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_lose_to_overrides() {
        let mut c = Config::from_toml(
            "[kafka]\nbootstrap_servers = \"file:9092\"\n[safety]\nread_only = false\nproduce_deny = [\"prod.*\"]\n",
        )
        .unwrap();
        assert_eq!(c.kafka.bootstrap_servers, "file:9092");
        c.apply(&Overrides {
            bootstrap_servers: Some("flag:9092".into()),
            read_only: Some(true),
            ..Default::default()
        });
        assert_eq!(c.kafka.bootstrap_servers, "flag:9092");
        assert!(c.safety.read_only);
        assert_eq!(c.safety.produce_deny, vec!["prod.*".to_string()]);
    }

    #[test]
    fn kafka_properties_parse_and_win_over_the_file() {
        assert_eq!(parse_properties("").unwrap(), vec![]);
        assert_eq!(
            parse_properties("batch.num.messages=1, linger.ms=0,debug=broker,topic").unwrap(),
            vec![
                ("batch.num.messages".to_string(), "1".to_string()),
                ("linger.ms".to_string(), "0".to_string()),
                ("debug".to_string(), "broker,topic".to_string())
            ]
        );
        let e = parse_properties("sasl.password").unwrap_err();
        assert_eq!(e.argument(), Some("kafka properties"));
        assert!(!e.to_string().contains("sasl.password"));
        assert!(parse_properties("=1").is_err());
        let mut c = Config::from_toml("[kafka.properties]\n\"linger.ms\" = \"20\"\n\"acks\" = \"all\"\n").unwrap();
        c.apply(&Overrides { kafka_properties: parse_properties("linger.ms=0").unwrap(), ..Default::default() });
        let props: Vec<(&str, &str)> = c.kafka.properties.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(props, vec![("acks", "all"), ("linger.ms", "0")]);
    }

    #[test]
    fn unknown_keys_and_bad_mechanisms_are_named() {
        let err = Config::from_toml("[kafka]\nbootstrap = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("bootstrap"), "{err}");
        let mut c = Config::default();
        c.kafka.sasl =
            Some(SaslConfig { mechanism: "GSSAPI".into(), username: "u".into(), password: Secret::new("p") });
        assert!(c.check().unwrap_err().to_string().contains("kafka.sasl.mechanism"));
    }

    #[test]
    fn secrets_are_collected_and_hidden_in_debug() {
        let c = Config::from_toml(
            "[kafka.sasl]\nmechanism = \"SCRAM-SHA-512\"\nusername = \"svc\"\npassword = \"pa55word-xyz\"\n[kafka.properties]\n\"sasl.oauthbearer.client.secret\" = \"other-secret\"\n",
        )
        .unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("pa55word-xyz") && !debug.contains("other-secret") && debug.contains("svc"));
        let secrets: Vec<String> = c.secrets().iter().map(|s| s.expose().to_string()).collect();
        assert!(secrets.contains(&"pa55word-xyz".to_string()) && secrets.contains(&"other-secret".to_string()));
    }

    #[test]
    fn schema_registry_section_overrides_and_secrets() {
        let mut c = Config::from_toml(
            "[schema_registry]\nurl = \"http://file:8081\"\nusername = \"key\"\npassword = \"sr-secret-1\"\n",
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("sr-secret-1"));
        assert!(Backend::SchemaRegistry.is_configured(&c));
        c.apply(&Overrides {
            schema_registry_url: Some("http://flag:8081".into()),
            schema_registry_bearer_token: Some("sr-token-2".into()),
            ..Default::default()
        });
        assert_eq!(c.schema_registry.url.as_deref(), Some("http://flag:8081"));
        let secrets: Vec<String> = c.secrets().iter().map(|s| s.expose().to_string()).collect();
        assert!(secrets.contains(&"sr-secret-1".to_string()) && secrets.contains(&"sr-token-2".to_string()));
        assert!(c.check().is_ok());
        c.schema_registry.username = None;
        assert_eq!(c.check().unwrap_err().argument(), Some("schema_registry.username"));
        assert!(!Backend::SchemaRegistry.is_configured(&Config::default()));
    }

    #[test]
    fn llm_section_defaults_overrides_checks_and_secret() {
        let c = Config::from_toml("").unwrap();
        assert_eq!((c.llm.url.as_deref(), c.llm.kind, c.llm.timeout_ms), (None, LlmKind::Openai, 300_000));
        let mut c = Config::from_toml(
            "[llm]\nurl = \"http://file/v1\"\nmodel = \"m\"\napi_key = \"sk-file-key\"\nkind = \"ollama\"\n",
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("sk-file-key"));
        c.apply(&Overrides {
            llm_url: Some("http://flag/v1".into()),
            llm_api_key: Some("sk-env-key".into()),
            llm_timeout_ms: Some(900_000),
            ..Default::default()
        });
        assert_eq!(
            (c.llm.url.as_deref(), c.llm.model.as_deref(), c.llm.kind, c.llm.timeout_ms),
            (Some("http://flag/v1"), Some("m"), LlmKind::Ollama, 900_000)
        );
        assert!(c.secrets().iter().any(|s| s.expose() == "sk-env-key"));
        assert!(c.check().is_ok());
        let err = Config::from_toml("[llm]\nkind = \"anthropic\"\n").unwrap_err().to_string();
        assert!(err.contains("openai") && err.contains("ollama"), "{err}");
        c.llm.timeout_ms = 3_600_001;
        assert_eq!(c.check().unwrap_err().argument(), Some("llm.timeout_ms"));
        c.llm.timeout_ms = 300_000;
        c.llm.model = None;
        assert_eq!(c.check().unwrap_err().argument(), Some("llm.model"));
    }
}
