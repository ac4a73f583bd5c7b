//! The MCP face: initialize, tools, resources, prompts and logging, all answered from the registry, the
//! resource store and the prompt files. Tool failures are tool results with `isError`; only protocol misuse
//! (unknown prompt or resource) is a JSON-RPC error.

use super::registry::{Availability, Registry};
use crate::context::{AppState, CallContext, Progress, ProgressSink};
use crate::error::Error;
use crate::prompts;
use rmcp::model::*;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub const SERVER_NAME: &str = "kafka-qa-mcp";
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

const INSTRUCTIONS: &str =
    "Tools to test Kafka systems and triage Kafka incidents. Start with list_topics to see the cluster; \
infer_schema learns a topic's data; produce_test_message writes checked test messages. Every tool also takes \
max_output_bytes (the reply's byte budget, 1024 to 1048576; default 32 KiB); a reply says when it was cut and how to \
narrow the request, and ends with the next step. tools/list leaves rare arguments out: schema://tools/{name} has them all.";

// Logging (set_level) is deprecated by SEP-2577 but still part of the protocol versions clients speak today.
#[allow(deprecated)]
#[derive(Clone)]
pub struct McpServer {
    state: Arc<AppState>,
    registry: Arc<Registry>,
    log_level: Arc<Mutex<LoggingLevel>>,
}

#[allow(deprecated)]
impl McpServer {
    pub fn new(state: Arc<AppState>, registry: Arc<Registry>) -> McpServer {
        McpServer { state, registry, log_level: Arc::new(Mutex::new(LoggingLevel::Info)) }
    }

    /// The tools the client may call: disabled ones (read-only mode, no backend) are not offered.
    pub fn tool_list(&self) -> Vec<Tool> {
        self.registry
            .listed()
            .filter(|(info, _, _)| {
                matches!(self.registry.availability(info, &self.state.config), Availability::Enabled)
            })
            .filter_map(|(info, input, output)| {
                serde_json::from_value(json!({
                    "name": info.name,
                    "title": info.title,
                    "description": info.description,
                    "inputSchema": **input,
                    "outputSchema": **output,
                    // A call may raise its budget to MAX_OUTPUT_BYTES, past the 50,000 characters after which
                    // Claude Code hands the model only a preview unless the tool declares its maximum.
                    "_meta": {"anthropic/maxResultSizeChars": super::registry::MAX_OUTPUT_BYTES},
                    "annotations": {
                        "title": info.title,
                        "readOnlyHint": info.read_only,
                        "destructiveHint": info.destructive,
                        "idempotentHint": info.idempotent,
                        "openWorldHint": info.open_world,
                    }
                }))
                .ok()
            })
            .collect()
    }
}

/// Progress notifications to the client that sent a progress token with its call.
struct ClientProgress {
    peer: rmcp::Peer<RoleServer>,
    token: ProgressToken,
}

impl ProgressSink for ClientProgress {
    fn report(&self, done: u64, total: Option<u64>, message: String) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut param = ProgressNotificationParam::new(self.token.clone(), done as f64);
            param.total = total.map(|t| t as f64);
            param.message = Some(message);
            // A client that went away is not the tool's failure.
            let _ = self.peer.notify_progress(param).await;
        })
    }
}

/// A tool's outcome as an MCP result: the rendered reply, or the error as `isError` with an actionable text.
pub fn to_call_result(outcome: Result<super::reply::Rendered, Error>, state: &AppState) -> CallToolResult {
    match outcome {
        Ok(r) => {
            let mut content = vec![ContentBlock::text(r.text)];
            content.extend(r.images.into_iter().map(|i| ContentBlock::image(i.base64, i.mime_type)));
            let mut result = CallToolResult::success(content);
            result.structured_content = Some(r.structured);
            result
        }
        Err(e) => {
            let message = state.redact(&e.to_string());
            let mut text = format!(
                "Error ({}): {message}",
                serde_json::to_value(e.kind()).unwrap_or_default().as_str().unwrap_or("error")
            );
            if let Some(h) = e.hint() {
                text.push_str(&format!("\nNext: {h}."));
            }
            let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
            result.structured_content = Some(
                json!({"error": {"kind": e.kind(), "message": message, "argument": e.argument(), "hint": e.hint()}}),
            );
            result
        }
    }
}

fn protocol_error(e: Error) -> ErrorData {
    match e {
        Error::BadInput { .. } => ErrorData::invalid_params(e.to_string(), None),
        other => ErrorData::internal_error(other.to_string(), None),
    }
}

/// Builds a result from JSON, marked `resultType: complete` (required by 2026-07-28 clients; rmcp clears it
/// for peers that negotiated an older version).
fn from_json<T: serde::de::DeserializeOwned>(mut v: Value) -> Result<T, ErrorData> {
    if let Value::Object(m) = &mut v {
        m.insert("resultType".into(), json!("complete"));
    }
    serde_json::from_value(v).map_err(|e| ErrorData::internal_error(format!("building a reply: {e}"), None))
}

#[allow(deprecated)]
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities =
            ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().enable_logging().build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(SERVER_NAME, SERVER_VERSION))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        from_json(json!({"tools": self.tool_list()}))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool_list().into_iter().find(|t| t.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // An unknown tool is protocol misuse (JSON-RPC -32602); a disabled one is a tool error saying why.
        if !self.registry.contains(&request.name) {
            let names: Vec<String> = self.tool_list().into_iter().map(|t| t.name.to_string()).collect();
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`; tools: {}", request.name, names.join(", ")),
                None,
            ));
        }
        let progress = match context.meta.get_progress_token() {
            Some(token) => Progress::to(Arc::new(ClientProgress { peer: context.peer.clone(), token })),
            None => Progress::none(),
        };
        let cx = CallContext { state: self.state.clone(), cancel: context.ct.clone(), progress };
        let started = std::time::Instant::now();
        let outcome = self.registry.call(&cx, &request.name, request.arguments).await;
        match &outcome {
            Ok(r) => {
                tracing::info!(tool = %request.name, ms = started.elapsed().as_millis() as u64, truncated = r.truncated, "tool call")
            }
            Err(e) => {
                tracing::info!(tool = %request.name, ms = started.elapsed().as_millis() as u64, error = %self.state.redact(&e.to_string()), "tool call failed")
            }
        }
        Ok(CallToolResponse::Complete(to_call_result(outcome, &self.state)))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut list = vec![
            json!({"uri": "kafka://cluster", "name": "cluster", "description": "Brokers, controller and topic summary of the configured Kafka cluster", "mimeType": "application/json"}),
        ];
        for r in self.state.resources.list() {
            list.push(json!({"uri": r.uri, "name": r.name, "description": r.description, "mimeType": r.mime_type}));
        }
        from_json(json!({"resources": list}))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        // Each tool declares the resources it serves.
        let templates: Vec<Value> = self
            .registry
            .infos()
            .flat_map(|(info, _, _)| info.resources)
            .map(|t| {
                json!({"uriTemplate": t.uri_template, "name": t.name, "description": t.description, "mimeType": t.mime_type})
            })
            .chain(std::iter::once(json!({
                "uriTemplate": format!("{}{{name}}", super::compact::SCHEMA_URI_PREFIX),
                "name": "tool_schema",
                "description": "A tool's full input schema: every argument (tools/list leaves rare ones out) with its docs and bounds",
                "mimeType": "application/schema+json"
            })))
            .collect();
        from_json(json!({"resourceTemplates": templates}))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let full_schema = uri
            .strip_prefix(super::compact::SCHEMA_URI_PREFIX)
            .and_then(|name| self.registry.full_input_schema(name))
            .map(|s| serde_json::to_string_pretty(&**s).unwrap_or_default());
        let (mime, text) = match (full_schema, self.state.resources.get(&uri)) {
            (Some(schema), _) => ("application/schema+json".to_string(), schema),
            (None, Some(r)) => (r.mime_type, r.text),
            (None, None) => match crate::kafka::resources::read_resource(&self.state, &uri).await {
                Some(Ok(found)) => found,
                Some(Err(e)) => return Err(protocol_error(e)),
                None => {
                    return Err(ErrorData::resource_not_found(
                        format!("no resource {uri}; resources/list and resources/templates/list show what exists"),
                        None,
                    ))
                }
            },
        };
        let text = self.state.redact(&text);
        from_json::<ReadResourceResult>(json!({"contents": [{"uri": uri, "mimeType": mime, "text": text}]}))
            .map(ReadResourceResponse::Complete)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let list: Vec<Value> = prompts::all()
            .into_iter()
            .map(|p| {
                let args: Vec<Value> = p
                    .arguments
                    .iter()
                    .map(|a| json!({"name": a.name, "description": a.description, "required": a.required}))
                    .collect();
                json!({"name": p.name, "title": p.title, "description": p.description, "arguments": args})
            })
            .collect();
        from_json(json!({"prompts": list}))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let prompt = prompts::all().into_iter().find(|p| p.name == request.name).ok_or_else(|| {
            let names: Vec<String> = prompts::all().into_iter().map(|p| p.name).collect();
            ErrorData::invalid_params(format!("unknown prompt `{}`; prompts: {}", request.name, names.join(", ")), None)
        })?;
        let args: BTreeMap<String, String> = request
            .arguments
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect();
        let text = prompts::render(&prompt, &args).map_err(protocol_error)?;
        from_json::<GetPromptResult>(json!({"description": prompt.description, "messages": [{"role": "user", "content": {"type": "text", "text": text}}]}))
            .map(GetPromptResponse::Complete)
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self.log_level.lock().unwrap_or_else(|p| p.into_inner()) = request.level;
        Ok(())
    }
}
