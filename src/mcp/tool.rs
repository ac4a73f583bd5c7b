//! What a tool is: a typed argument struct, a typed output, a description written for a model, truthful
//! annotations, and one async function. A new tool is a struct, a function and a line in `registry.rs`.

use super::reply::Reply;
pub use crate::config::Backend;
use crate::context::CallContext;
use crate::error::{Error, Result};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct ToolInfo {
    pub name: &'static str,
    pub title: &'static str,
    /// What it does, when to use it, and what to call next.
    pub description: &'static str,
    /// Annotations, set truthfully.
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
    /// Always writes to Kafka: disabled in read-only mode. Tools that write only on request (a topic
    /// destination) check the guard themselves.
    pub writes_kafka: bool,
    pub requires: &'static [Backend],
    /// The resource templates whose resources this tool serves (resources/templates/list shows them).
    pub resources: &'static [ResourceTemplate],
}

/// A kind of resource a tool serves, e.g. `incident://{id}`.
#[derive(Debug, Clone, Copy)]
pub struct ResourceTemplate {
    pub uri_template: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub mime_type: &'static str,
}

pub trait Tool: Send + Sync + 'static {
    type Args: DeserializeOwned + JsonSchema + Send;
    type Output: Serialize + JsonSchema;
    fn info(&self) -> ToolInfo;
    fn run<'a>(&'a self, cx: &'a CallContext, args: Self::Args) -> BoxFuture<'a, Result<Reply>>;
}

/// The object-safe face of a [`Tool`], used by the registry.
pub trait DynTool: Send + Sync {
    fn info(&self) -> ToolInfo;
    fn input_schema(&self) -> Map<String, Value>;
    fn output_schema(&self) -> Map<String, Value>;
    fn call<'a>(&'a self, cx: &'a CallContext, args: Value) -> BoxFuture<'a, Result<Reply>>;
}

impl<T: Tool> DynTool for T {
    fn info(&self) -> ToolInfo {
        Tool::info(self)
    }
    fn input_schema(&self) -> Map<String, Value> {
        schema_object::<T::Args>()
    }
    fn output_schema(&self) -> Map<String, Value> {
        let mut schema = schema_object::<T::Output>();
        // Every reply carries the truncation flag (see reply.rs); outputs may be cut, so nothing is required.
        schema.remove("required");
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.insert("truncated".into(), serde_json::json!({"type": "boolean", "description": "true when the reply was cut to fit the byte budget"}));
            props.insert(
                "truncation".into(),
                serde_json::json!({"type": "object", "description": "what was left out and how to narrow the request"}),
            );
            props.insert(
                "next".into(),
                serde_json::json!({"type": "object", "description": "the step an agent would take next: a call (tool, arguments) and why", "properties": {"tool": {"type": "string"}, "arguments": {"type": "object"}, "why": {"type": "string"}}}),
            );
            props.insert(
                "empty_hint".into(),
                serde_json::json!({"type": "string", "description": "why the result may be empty and what to try"}),
            );
        }
        schema
    }
    fn call<'a>(&'a self, cx: &'a CallContext, args: Value) -> BoxFuture<'a, Result<Reply>> {
        match parse_args::<T::Args>(args) {
            Ok(args) => self.run(cx, args),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }
}

fn schema_object<S: JsonSchema>() -> Map<String, Value> {
    let mut schema = serde_json::to_value(schemars::schema_for!(S)).unwrap_or_default();
    if let Value::Object(m) = &mut schema {
        m.remove("$schema");
        m.remove("title");
        if !m.contains_key("type") {
            m.insert("type".into(), Value::String("object".into()));
        }
        return std::mem::take(m);
    }
    Map::new()
}

/// Deserializes arguments with the path of the offending field in the error.
pub fn parse_args<A: DeserializeOwned>(args: Value) -> Result<A> {
    serde_path_to_error::deserialize::<_, A>(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let argument = if path == "." || path.is_empty() {
            // serde names the field in backticks: "missing field `topic`", "unknown field `x`, expected ..."
            inner.split('`').nth(1).unwrap_or("arguments").to_string()
        } else {
            path
        };
        let expected = inner.split(" at line ").next().unwrap_or(&inner).to_string();
        Error::bad_input(argument, expected)
    })
}
