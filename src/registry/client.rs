//! The Schema Registry client: the Confluent REST API (Confluent, Karapace, Apicurio's ccompat API) through the
//! shared [`Endpoint`], with parsed schemas cached by id and by subject/version, so a sample of many framed
//! messages with one schema costs one request: `/schemas/ids/{id}`, or the topic subject's latest version when
//! a read primes with it ([`super::prefetch_topic`]). Which subjects and versions hold an id is looked up only
//! when asked ([`RegistryClient::names`]), once per id.

use super::codec::{Parsed, SchemaType};
use crate::config::{Backend, SchemaRegistryConfig};
use crate::error::{Error, Result};
use crate::observe::http::{excerpt, Endpoint};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BACKEND: &str = "Schema Registry";
/// How long "the latest version of a subject" is trusted before asking again (writes look it up per call).
const LATEST_TTL: Duration = Duration::from_secs(10);
/// After the registry did not answer (refused, or timed out), requests fail at once for this long instead of
/// each waiting out the timeout again (a watcher polls every 150 ms).
const DOWN_BACKOFF: Duration = Duration::from_secs(5);

/// A schema the registry holds: its id, type, text, references and, when known, a subject and version.
#[derive(Debug)]
pub struct Registered {
    pub id: u32,
    pub schema_type: SchemaType,
    pub text: String,
    /// (name, subject, version) of each reference.
    pub references: Vec<Reference>,
    pub subject: Option<String>,
    pub version: Option<i64>,
    pub parsed: Parsed,
}

/// The subject and version to name for a topic's values (or keys) among the (subject, version) pairs that hold
/// a schema: `<topic>-value`, else a subject of the topic, else the first.
pub fn naming(subjects: &[(String, i64)], topic: Option<(&str, bool)>) -> (Option<String>, Option<i64>) {
    let found = topic.and_then(|(topic, is_key)| {
        let exact = format!("{topic}-{}", if is_key { "key" } else { "value" });
        let prefix = format!("{topic}-");
        subjects.iter().find(|(s, _)| *s == exact).or_else(|| subjects.iter().find(|(s, _)| s.starts_with(&prefix)))
    });
    found.or(subjects.first()).map_or((None, None), |(s, v)| (Some(s.clone()), Some(*v)))
}

/// The registry's own compatibility verdict.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Verdict {
    pub is_compatible: bool,
    /// The registry's messages (verbose=true), when it gives them.
    pub messages: Vec<String>,
}

/// A reference: (name, subject, version).
pub type Reference = (String, String, i64);
/// The latest version of a subject when it was looked up (None: no such subject).
type Latest = (Instant, Option<Arc<Registered>>);
/// The (subject, version) pairs known to hold an id, and whether the registry's full list was fetched.
type Names = (bool, Vec<(String, i64)>);
/// A referenced schema's text and its own references.
type RefText = (String, Vec<Reference>);

pub struct RegistryClient {
    endpoint: Endpoint,
    by_id: Mutex<HashMap<u32, Arc<Registered>>>,
    /// (subject, version) pairs known to hold each id; `true` once the registry's full list was fetched.
    names: Mutex<HashMap<u32, Names>>,
    latest: Mutex<HashMap<String, Latest>>,
    /// Reference texts by (subject, version).
    texts: Mutex<HashMap<(String, i64), RefText>>,
    requests: AtomicU64,
    /// When the registry last failed to answer, and how.
    down: Mutex<Option<(Instant, String)>>,
}

impl RegistryClient {
    pub fn from_config(config: &SchemaRegistryConfig, http: &reqwest::Client) -> Result<RegistryClient> {
        let base_url = config.url.clone().ok_or_else(|| Backend::SchemaRegistry.not_configured())?;
        let client = match &config.ca_file {
            None => http.clone(),
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    Error::bad_input(
                        "schema_registry.ca_file",
                        format!("a readable PEM file ({}: {e})", path.display()),
                    )
                })?;
                let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                    Error::bad_input("schema_registry.ca_file", format!("a PEM certificate ({}: {e})", path.display()))
                })?;
                crate::observe::http::new_client(); // installs the TLS provider once
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .add_root_certificate(cert)
                    .build()
                    .map_err(|e| Error::bad_input("schema_registry.ca_file", format!("a usable CA ({e})")))?
            }
        };
        Ok(RegistryClient {
            endpoint: Endpoint {
                client,
                backend: BACKEND,
                base_url,
                username: config.username.clone(),
                password: config.password.clone(),
                bearer_token: config.bearer_token.clone(),
                headers: vec![("Accept".into(), "application/vnd.schemaregistry.v1+json, application/json".into())],
                timeout: Duration::from_millis(config.timeout_ms),
                max_body_bytes: crate::observe::http::DEFAULT_MAX_RESPONSE_MB as usize * 1024 * 1024,
            },
            by_id: Mutex::default(),
            names: Mutex::default(),
            latest: Mutex::default(),
            texts: Mutex::default(),
            requests: AtomicU64::new(0),
            down: Mutex::default(),
        })
    }

    /// Requests sent so far (the cache's effect is measured with it).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A cached schema by id, without I/O.
    pub fn cached(&self, id: u32) -> Option<Arc<Registered>> {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned()
    }

    async fn get(&self, path: &str) -> Result<(u16, Value)> {
        self.check_down()?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let answer = self.endpoint.get(path, &[]).await.inspect_err(|e| self.note_down(e))?;
        Ok((answer.status, body_json(answer.status, &answer.body)?))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value)> {
        self.check_down()?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let answer = self.endpoint.post_json(path, body).await.inspect_err(|e| self.note_down(e))?;
        Ok((answer.status, body_json(answer.status, &answer.body)?))
    }

    fn check_down(&self) -> Result<()> {
        match &*self.down.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((at, why)) if at.elapsed() < DOWN_BACKOFF => Err(Error::unreachable(
                BACKEND,
                Duration::ZERO,
                format!(
                    "{why} ({} ms ago; not asked again for {} s)",
                    at.elapsed().as_millis(),
                    DOWN_BACKOFF.as_secs()
                ),
            )),
            _ => Ok(()),
        }
    }

    fn note_down(&self, e: &Error) {
        if matches!(e, Error::Unreachable { .. } | Error::Timeout { .. }) {
            *self.down.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), e.to_string()));
        }
    }

    /// The schema with this id (cached), parsed: one request, `/schemas/ids/{id}`. Its subject and version
    /// come from [`Self::names`] (asked only when wanted) or from a subject lookup that found it.
    pub async fn by_id(&self, id: u32) -> Result<Arc<Registered>> {
        if let Some(r) = self.cached(id) {
            return Ok(r);
        }
        let (status, body) = self.get(&format!("/schemas/ids/{id}")).await?;
        if status == 404 {
            return Err(Error::upstream(
                BACKEND,
                format!("it has no schema with id {id} ({}); the message was written against another registry, or the schema was deleted", message(&body)),
            ));
        }
        ok(status, &body, &format!("schema id {id}"))?;
        let r = Arc::new(self.build(id, &body, None, None).await?);
        Ok(self.by_id.lock().unwrap_or_else(|p| p.into_inner()).entry(id).or_insert(r).clone())
    }

    /// The (subject, version) pairs known to hold `id`, without I/O.
    pub fn known_names(&self, id: u32) -> Vec<(String, i64)> {
        self.names.lock().unwrap_or_else(|p| p.into_inner()).get(&id).map(|(_, n)| n.clone()).unwrap_or_default()
    }

    /// Every (subject, version) holding `id` as the registry lists them (one request per id, cached); what
    /// is already known when the registry cannot say.
    pub async fn names(&self, id: u32) -> Vec<(String, i64)> {
        if let Some((true, n)) = self.names.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return n.clone();
        }
        if let Ok((200, Value::Array(list))) = self.get(&format!("/schemas/ids/{id}/versions")).await {
            let listed: Vec<(String, i64)> = list
                .iter()
                .filter_map(|v| Some((v["subject"].as_str()?.to_string(), v["version"].as_i64()?)))
                .collect();
            let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
            let entry = names.entry(id).or_default();
            for n in listed {
                if !entry.1.contains(&n) {
                    entry.1.push(n);
                }
            }
            entry.0 = true;
        }
        self.known_names(id)
    }

    fn add_name(&self, id: u32, subject: &str, version: i64) {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let entry = names.entry(id).or_default();
        if !entry.1.iter().any(|(s, v)| s == subject && *v == version) {
            entry.1.push((subject.to_string(), version));
        }
    }

    /// The latest version of a subject, or None when the subject does not exist (cached for a few seconds).
    pub async fn latest(&self, subject: &str) -> Result<Option<Arc<Registered>>> {
        if let Some((at, r)) = self.latest.lock().unwrap_or_else(|p| p.into_inner()).get(subject) {
            if at.elapsed() < LATEST_TTL {
                return Ok(r.clone());
            }
        }
        let r = self.version(subject, "latest").await?;
        self.latest.lock().unwrap_or_else(|p| p.into_inner()).insert(subject.to_string(), (Instant::now(), r.clone()));
        Ok(r)
    }

    /// One version ("latest" or a number) of a subject; None when the subject or version does not exist.
    pub async fn version(&self, subject: &str, version: &str) -> Result<Option<Arc<Registered>>> {
        let (status, body) = self.get(&format!("/subjects/{}/versions/{version}", enc(subject))).await?;
        if status == 404 {
            return Ok(None);
        }
        ok(status, &body, &format!("subject `{subject}` version {version}"))?;
        let id = body["id"].as_u64().and_then(|i| u32::try_from(i).ok()).ok_or_else(|| {
            Error::upstream(BACKEND, format!("a subject version without an id: {}", excerpt(&body.to_string(), 200)))
        })?;
        let number = body["version"].as_i64();
        if let Some(v) = number {
            self.add_name(id, subject, v);
        }
        if let Some(r) = self.cached(id).filter(|r| r.subject.as_deref() == Some(subject) && r.version == number) {
            return Ok(Some(r));
        }
        let r = Arc::new(self.build(id, &body, Some(subject.to_string()), number).await?);
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        // A schema cached without a subject (read by id) gets this one; parsing is the same either way.
        if by_id.get(&id).is_none_or(|c| c.subject.is_none()) {
            by_id.insert(id, r.clone());
        }
        Ok(Some(r))
    }

    /// The subjects the registry has.
    pub async fn subjects(&self) -> Result<Vec<String>> {
        let (status, body) = self.get("/subjects").await?;
        ok(status, &body, "the subject list")?;
        Ok(body
            .as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default())
    }

    /// The compatibility level of a subject (its own, else the global one).
    pub async fn compatibility_level(&self, subject: &str) -> Result<String> {
        let (status, body) = self.get(&format!("/config/{}?defaultToGlobal=true", enc(subject))).await?;
        if status == 200 {
            if let Some(level) = body["compatibilityLevel"].as_str().or(body["compatibility"].as_str()) {
                return Ok(level.to_string());
            }
        }
        let (status, body) = self.get("/config").await?;
        ok(status, &body, "the global compatibility level")?;
        Ok(body["compatibilityLevel"].as_str().or(body["compatibility"].as_str()).unwrap_or("BACKWARD").to_string())
    }

    /// Asks the registry whether `schema` is compatible with the subject's versions under its level.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        kind: SchemaType,
        schema: &str,
        references: &Value,
    ) -> Result<Verdict> {
        let mut body = json!({"schema": schema, "schemaType": kind.as_str()});
        if references.as_array().is_some_and(|a| !a.is_empty()) {
            body["references"] = references.clone();
        }
        let (status, answer) =
            self.post(&format!("/compatibility/subjects/{}/versions/latest?verbose=true", enc(subject)), &body).await?;
        if status == 404 {
            return Err(Error::bad_input(
                "subject",
                format!("a subject the registry has (`{subject}`: {})", message(&answer)),
            ));
        }
        if status == 422 {
            return Err(Error::bad_input("schema", format!("a schema the registry can parse: {}", message(&answer))));
        }
        ok(status, &answer, &format!("the compatibility check against `{subject}`"))?;
        Ok(Verdict {
            is_compatible: answer["is_compatible"].as_bool().unwrap_or(false),
            messages: answer["messages"]
                .as_array()
                .map(|a| a.iter().map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string)).collect())
                .unwrap_or_default(),
        })
    }

    /// Registers a schema under a subject; returns its id. Callers check the safety rules first.
    pub async fn register(&self, subject: &str, kind: SchemaType, schema: &str) -> Result<u32> {
        let body = json!({"schema": schema, "schemaType": kind.as_str()});
        let (status, answer) = self.post(&format!("/subjects/{}/versions", enc(subject)), &body).await?;
        if status == 409 {
            return Err(Error::upstream(
                BACKEND,
                format!("the schema is incompatible with `{subject}`: {}", message(&answer)),
            ));
        }
        if status == 422 {
            return Err(Error::bad_input("schema", format!("a schema the registry accepts: {}", message(&answer))));
        }
        ok(status, &answer, &format!("registering under `{subject}`"))?;
        self.latest.lock().unwrap_or_else(|p| p.into_inner()).remove(subject);
        answer["id"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| Error::upstream(BACKEND, "a registration answer without an id"))
    }

    /// Parses a registry answer holding `schema`, `schemaType` and `references` (fetching the references).
    async fn build(&self, id: u32, body: &Value, subject: Option<String>, version: Option<i64>) -> Result<Registered> {
        let text = body["schema"]
            .as_str()
            .ok_or_else(|| Error::upstream(BACKEND, format!("schema id {id} without a `schema` text")))?;
        let schema_type =
            SchemaType::from_registry(body["schemaType"].as_str()).map_err(|e| Error::upstream(BACKEND, e))?;
        let references = refs(&body["references"]);
        let mut texts = vec![];
        self.reference_texts(&references, &mut texts, 0).await?;
        let parsed = Parsed::parse(schema_type, text, &texts)
            .map_err(|e| Error::upstream(BACKEND, format!("schema id {id} is not {e}")))?;
        Ok(Registered { id, schema_type, text: text.to_string(), references, subject, version, parsed })
    }

    /// The texts of references and of their own references, depth first (dependencies before dependents).
    fn reference_texts<'a>(
        &'a self,
        references: &'a [Reference],
        out: &'a mut Vec<(String, String)>,
        depth: usize,
    ) -> futures::future::BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if depth > 16 {
                return Err(Error::upstream(BACKEND, "schema references nested more than 16 deep"));
            }
            for (name, subject, version) in references {
                if out.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let key = (subject.clone(), *version);
                let cached = self.texts.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
                let (text, nested) = match cached {
                    Some(t) => t,
                    None => {
                        let (status, body) =
                            self.get(&format!("/subjects/{}/versions/{version}", enc(subject))).await?;
                        ok(status, &body, &format!("reference `{name}` (subject `{subject}` version {version})"))?;
                        let t = (body["schema"].as_str().unwrap_or_default().to_string(), refs(&body["references"]));
                        self.texts.lock().unwrap_or_else(|p| p.into_inner()).insert(key, t.clone());
                        t
                    }
                };
                self.reference_texts(&nested, out, depth + 1).await?;
                out.push((name.clone(), text));
            }
            Ok(())
        })
    }
}

fn refs(v: &Value) -> Vec<Reference> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some((r["name"].as_str()?.to_string(), r["subject"].as_str()?.to_string(), r["version"].as_i64()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn body_json(status: u16, body: &str) -> Result<Value> {
    if body.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(body).map_err(|e| {
        Error::upstream(BACKEND, format!("an answer that is not JSON (HTTP {status}, {e}): {}", excerpt(body, 200)))
    })
}

fn message(body: &Value) -> String {
    match (body["error_code"].as_i64(), body["message"].as_str()) {
        (Some(code), Some(m)) => format!("{m}, error_code {code}"),
        (None, Some(m)) => m.to_string(),
        _ => excerpt(&body.to_string(), 200),
    }
}

fn ok(status: u16, body: &Value, what: &str) -> Result<()> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(Error::upstream(BACKEND, format!("HTTP {status} for {what}: {}", message(body))))
}

/// A subject as one URL path segment.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
