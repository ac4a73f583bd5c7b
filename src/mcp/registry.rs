//! The tool registry and the one dispatch path shared by MCP and the `call` command: availability
//! (read-only mode, missing backends), argument validation against the published schema, the common
//! `max_output_bytes` argument, cancellation, the byte budget and secret redaction.

use super::reply::Rendered;
use super::tool::{DynTool, ToolInfo};
use crate::config::Config;
use crate::context::CallContext;
use crate::error::{Error, Result};
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

/// Bounds of the per-call `max_output_bytes` argument.
pub const MIN_OUTPUT_BYTES: usize = 1024;
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// Every tool of the server, in the order `tools/list` shows them: each domain exports its own.
fn all_tools() -> Vec<Box<dyn DynTool>> {
    [
        crate::kafka::tools(),
        crate::datagen::tools(),
        crate::testcases::tools(),
        crate::observe::tools(),
        crate::rca::tools(),
        crate::export::tools(),
        crate::registry::tools(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

struct Entry {
    tool: Box<dyn DynTool>,
    info: ToolInfo,
    input_schema: Arc<Map<String, Value>>,
    output_schema: Arc<Map<String, Value>>,
    /// What tools/list shows (see compact.rs); validation uses the full schemas above.
    listed_input: Schema,
    listed_output: Schema,
    validator: OnceLock<std::result::Result<jsonschema::Validator, String>>,
    output_validator: OnceLock<std::result::Result<jsonschema::Validator, String>>,
}

/// A published JSON Schema (input or output) of a tool.
pub type Schema = Arc<Map<String, Value>>;

pub struct Registry {
    entries: Vec<Entry>,
}

/// Why a tool is not offered.
#[derive(Debug)]
pub enum Availability {
    Enabled,
    Disabled(Error),
}

impl Registry {
    pub fn new() -> Registry {
        Self::with_tools(all_tools())
    }

    pub fn with_tools(tools: Vec<Box<dyn DynTool>>) -> Registry {
        let entries = tools
            .into_iter()
            .map(|tool| {
                let info = tool.info();
                let mut input = tool.input_schema();
                add_budget_argument(&mut input);
                let output = tool.output_schema();
                Entry {
                    listed_input: Arc::new(super::compact::input(info.name, &input)),
                    listed_output: Arc::new(super::compact::output(&output)),
                    input_schema: Arc::new(input),
                    output_schema: Arc::new(output),
                    info,
                    tool,
                    validator: OnceLock::new(),
                    output_validator: OnceLock::new(),
                }
            })
            .collect();
        Registry { entries }
    }

    pub fn infos(&self) -> impl Iterator<Item = (&ToolInfo, &Schema, &Schema)> {
        self.entries.iter().map(|e| (&e.info, &e.input_schema, &e.output_schema))
    }

    /// The compact schemas tools/list shows (input, output): see compact.rs.
    pub fn listed(&self) -> impl Iterator<Item = (&ToolInfo, &Schema, &Schema)> {
        self.entries.iter().map(|e| (&e.info, &e.listed_input, &e.listed_output))
    }

    /// The full input schema of a tool, every argument documented: what arguments are validated against.
    pub fn full_input_schema(&self, name: &str) -> Option<&Schema> {
        self.entries.iter().find(|e| e.info.name == name).map(|e| &e.input_schema)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|e| e.info.name == name)
    }

    pub fn availability(&self, info: &ToolInfo, config: &Config) -> Availability {
        if info.writes_kafka && config.safety.read_only {
            return Availability::Disabled(Error::denied(
                "read_only",
                format!("{} writes to Kafka and the server runs in read-only mode", info.name),
            ));
        }
        if let Some(backend) = info.requires.iter().find(|b| !b.is_configured(config)) {
            return Availability::Disabled(backend.not_configured());
        }
        Availability::Enabled
    }

    /// Runs one tool call to the end: the rendered reply, or an error meant for the agent. Errors obey the
    /// byte budget too (the call's `max_output_bytes` when valid, else the server's).
    pub async fn call(&self, cx: &CallContext, name: &str, args: Option<Map<String, Value>>) -> Result<Rendered> {
        let default = cx.config().output.max_output_bytes;
        let budget = args
            .as_ref()
            .and_then(|a| a.get("max_output_bytes"))
            .and_then(Value::as_u64)
            .filter(|n| (MIN_OUTPUT_BYTES as u64..=MAX_OUTPUT_BYTES as u64).contains(n))
            .map_or(default, |n| n as usize);
        self.call_unbounded(cx, name, args).await.map_err(|e| e.fit(budget))
    }

    async fn call_unbounded(&self, cx: &CallContext, name: &str, args: Option<Map<String, Value>>) -> Result<Rendered> {
        let entry = self.entries.iter().find(|e| e.info.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.entries.iter().map(|e| e.info.name).collect();
            Error::bad_input("name", format!("one of the tools: {}", names.join(", ")))
        })?;
        if let Availability::Disabled(why) = self.availability(&entry.info, cx.config()) {
            return Err(why);
        }
        let mut args = args.unwrap_or_default();
        let budget = take_budget(&mut args, cx.config().output.max_output_bytes)?;
        let args = Value::Object(args);
        entry.validate(&args)?;
        let work = entry.tool.call(cx, args);
        let reply = tokio::select! {
            r = work => r?,
            _ = cx.cancel.cancelled() => return Err(Error::Cancelled),
        };
        let mut rendered = reply.render(budget);
        entry.check_output(&rendered.structured)?;
        rendered.text = cx.state.redact(&rendered.text);
        cx.state.redact_json(&mut rendered.structured);
        Ok(rendered)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Entry {
    /// Clients (the Python SDK among them) reject structured content that breaks the published output
    /// schema, so a mismatch is a bug of ours: logged always, and an error in debug builds so every test
    /// that calls a tool checks it.
    fn check_output(&self, structured: &Value) -> Result<()> {
        let validator = self.output_validator.get_or_init(|| {
            jsonschema::validator_for(&Value::Object((*self.output_schema).clone())).map_err(|e| e.to_string())
        });
        let problem = match validator {
            Ok(v) => v.iter_errors(structured).next().map(|e| format!("{} at {}", e, e.instance_path())),
            Err(e) => Some(format!("the output schema does not compile: {e}")),
        };
        match problem {
            None => Ok(()),
            Some(p) => {
                tracing::error!(tool = self.info.name, problem = %p, "structured output breaks the output schema");
                if cfg!(debug_assertions) {
                    Err(Error::internal(format!("{} output breaks its output schema: {p}", self.info.name)))
                } else {
                    Ok(())
                }
            }
        }
    }

    fn validate(&self, args: &Value) -> Result<()> {
        let validator = self.validator.get_or_init(|| {
            jsonschema::validator_for(&Value::Object((*self.input_schema).clone())).map_err(|e| e.to_string())
        });
        let validator =
            validator.as_ref().map_err(|e| Error::internal(format!("input schema of {}: {e}", self.info.name)))?;
        // Every problem at once (a few), the most specific first: a bad value of a given argument, then an
        // unknown argument, then a missing one, so the agent can fix them all in one go.
        let mut problems: Vec<(u8, String, String)> =
            validator.iter_errors(args).take(10).map(|err| describe(&err)).collect();
        if problems.is_empty() {
            return Ok(());
        }
        problems.sort_by_key(|p| p.0);
        let (_, argument, mut expected) = problems.remove(0);
        let others: Vec<String> = problems.iter().take(3).map(|(_, a, e)| format!("`{a}`: {e}")).collect();
        if !others.is_empty() {
            expected.push_str(&format!(" (also: {})", others.join("; ")));
        }
        Err(Error::bad_input(argument, expected))
    }
}

/// (rank, argument, what was expected) of one schema violation.
fn describe(err: &jsonschema::ValidationError<'_>) -> (u8, String, String) {
    use jsonschema::error::ValidationErrorKind as Kind;
    let path = err.instance_path().to_string().trim_start_matches('/').replace('/', ".");
    let join =
        |parent: &str, child: &str| if parent.is_empty() { child.to_string() } else { format!("{parent}.{child}") };
    match err.kind() {
        Kind::Required { property } => {
            (2, join(&path, property.as_str().unwrap_or("?")), "a value: this argument is required".to_string())
        }
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => (
            1,
            crate::error::quote_arg(&join(&path, &unexpected.first().cloned().unwrap_or_default())),
            "no such argument; the tool's input schema lists the arguments it takes".to_string(),
        ),
        // The validator's message quotes the value: cut, so a huge argument is not echoed back whole.
        _ => (
            0,
            if path.is_empty() { "arguments".to_string() } else { crate::error::quote_arg(&path) },
            crate::text::cut_bytes(&err.to_string(), 2 * crate::error::QUOTE_BYTES),
        ),
    }
}

fn add_budget_argument(schema: &mut Map<String, Value>) {
    let props = schema.entry("properties").or_insert_with(|| json!({}));
    if let Value::Object(p) = props {
        p.insert(
            "max_output_bytes".into(),
            json!({
                "type": "integer",
                "minimum": MIN_OUTPUT_BYTES,
                "maximum": MAX_OUTPUT_BYTES,
                "description": "Reply byte budget (text + JSON). Default: the server's, 32 KiB unless configured. Larger replies are cut and say so."
            }),
        );
    }
}

fn take_budget(args: &mut Map<String, Value>, default: usize) -> Result<usize> {
    match args.remove("max_output_bytes") {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if (MIN_OUTPUT_BYTES as u64..=MAX_OUTPUT_BYTES as u64).contains(&n) => Ok(n as usize),
            _ => Err(Error::bad_input(
                "max_output_bytes",
                format!(
                    "an integer from {MIN_OUTPUT_BYTES} to {MAX_OUTPUT_BYTES}; got {}",
                    crate::error::quote_arg(&v.to_string())
                ),
            )),
        },
    }
}
