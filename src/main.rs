//! The command line: `serve` (stdio, or Streamable HTTP with --http), `call TOOL JSON`, `tools`.
//! Logs go to stderr; in stdio mode stdout carries the protocol only.

use clap::{Args, Parser, Subcommand};
use kafka_qa_mcp::config::{Config, LlmKind, Overrides};
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::mcp::http::{self, HttpOptions};
use kafka_qa_mcp::mcp::registry::Availability;
use kafka_qa_mcp::mcp::server::to_call_result;
use kafka_qa_mcp::mcp::{McpServer, Registry};
use rmcp::ServiceExt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "kafka-qa-mcp",
    version,
    about = "An MCP server that lets an AI agent test Kafka systems and triage Kafka incidents"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct Global {
    /// TOML configuration file (`${VAR}` is expanded from the environment).
    #[arg(long, env = "KAFKA_QA_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Kafka bootstrap servers, host:port[,host:port].
    #[arg(long, env = "KAFKA_BOOTSTRAP_SERVERS", global = true)]
    bootstrap_servers: Option<String>,
    /// SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (password only from KAFKA_SASL_PASSWORD).
    #[arg(long, env = "KAFKA_SASL_MECHANISM", global = true)]
    sasl_mechanism: Option<String>,
    #[arg(long, env = "KAFKA_SASL_USERNAME", global = true)]
    sasl_username: Option<String>,
    /// Disable every tool that writes to Kafka (environment: KAFKA_QA_READ_ONLY=true).
    #[arg(long, env = "KAFKA_QA_READ_ONLY", global = true)]
    read_only: bool,
    /// Topics that may be written, comma-separated globs (default `*`).
    #[arg(long, env = "KAFKA_QA_PRODUCE_ALLOW", global = true, value_delimiter = ',')]
    produce_allow: Option<Vec<String>>,
    /// Topics that may never be written, comma-separated globs.
    #[arg(long, env = "KAFKA_QA_PRODUCE_DENY", global = true, value_delimiter = ',')]
    produce_deny: Option<Vec<String>>,
    /// The only folder files are written to.
    #[arg(long, env = "KAFKA_QA_EXPORT_DIR", global = true)]
    export_dir: Option<PathBuf>,
    /// Where case sets and test runs are kept between calls (default: `store` under the export folder).
    #[arg(long, env = "KAFKA_QA_STORE_DIR", global = true)]
    store_dir: Option<PathBuf>,
    #[arg(long, env = "LOKI_URL", global = true)]
    loki_url: Option<String>,
    #[arg(long, env = "PROMETHEUS_URL", global = true)]
    prometheus_url: Option<String>,
    /// Confluent-compatible Schema Registry URL (secret only from SCHEMA_REGISTRY_PASSWORD or SCHEMA_REGISTRY_BEARER_TOKEN).
    #[arg(long, env = "SCHEMA_REGISTRY_URL", global = true)]
    schema_registry_url: Option<String>,
    /// Schema Registry basic-auth user (Confluent Cloud: the API key).
    #[arg(long, env = "SCHEMA_REGISTRY_USER", global = true)]
    schema_registry_user: Option<String>,
    /// PEM file of the CA of the Schema Registry's certificate.
    #[arg(long, env = "SCHEMA_REGISTRY_CA_FILE", global = true)]
    schema_registry_ca_file: Option<PathBuf>,
    /// Bolt URI of a Neo4j-compatible graph store (default: the embedded graph).
    #[arg(long, env = "NEO4J_URI", global = true)]
    graph_uri: Option<String>,
    /// Graph store user (password only from NEO4J_PASSWORD).
    #[arg(long, env = "NEO4J_USER", global = true)]
    graph_user: Option<String>,
    /// Graph store database.
    #[arg(long, env = "NEO4J_DATABASE", global = true)]
    graph_database: Option<String>,
    /// Optional language model for generate_test_cases `user_story`: an OpenAI-compatible base URL ending in /v1, or an Ollama base URL (key only from KAFKA_QA_LLM_API_KEY).
    #[arg(long, env = "KAFKA_QA_LLM_URL", global = true)]
    llm_url: Option<String>,
    /// The language model's name.
    #[arg(long, env = "KAFKA_QA_LLM_MODEL", global = true)]
    llm_model: Option<String>,
    /// The language model's API: openai (default) or ollama.
    #[arg(long, env = "KAFKA_QA_LLM_KIND", global = true, value_enum)]
    llm_kind: Option<LlmKind>,
    /// Timeout of one language-model request in ms, until its last token (default 300000; 1000 to 3600000).
    #[arg(long, env = "KAFKA_QA_LLM_TIMEOUT_MS", global = true)]
    llm_timeout_ms: Option<u64>,
    /// A librdkafka property set over the config's `[kafka.properties]`, KEY=VALUE; repeatable, or
    /// comma-separated (environment: KAFKA_QA_KAFKA_PROPERTIES="batch.num.messages=1,linger.ms=0").
    #[arg(
        long = "kafka-property",
        value_name = "KEY=VALUE",
        env = "KAFKA_QA_KAFKA_PROPERTIES",
        hide_env_values = true,
        global = true
    )]
    kafka_property: Vec<String>,
    /// Default byte budget of a tool reply.
    #[arg(long, env = "KAFKA_QA_MAX_OUTPUT_BYTES", global = true)]
    max_output_bytes: Option<usize>,
    /// Largest Loki or Prometheus answer read, in MiB (default 32); larger ones ask to narrow the query.
    #[arg(long, env = "KAFKA_QA_MAX_RESPONSE_MB", global = true)]
    max_response_mb: Option<u64>,
    /// Log filter for stderr (e.g. info, debug, kafka_qa_mcp=debug).
    #[arg(long, env = "KAFKA_QA_LOG", global = true, default_value = "info,rmcp=warn")]
    log: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP over stdio (default) or Streamable HTTP.
    Serve {
        /// Listen for Streamable HTTP on this address (e.g. 127.0.0.1:8765) instead of stdio.
        #[arg(long)]
        http: Option<SocketAddr>,
        /// Bearer token for HTTP; required when listening beyond loopback.
        #[arg(long, env = "KAFKA_QA_AUTH_TOKEN", hide_env_values = true)]
        auth_token: Option<String>,
        /// HTTP sessions without a request for this many seconds are closed (default 1800).
        #[arg(long, env = "KAFKA_QA_SESSION_IDLE_SECS")]
        session_idle_secs: Option<u64>,
        /// At most this many live HTTP sessions (default 1000).
        #[arg(long, env = "KAFKA_QA_MAX_SESSIONS")]
        max_sessions: Option<usize>,
    },
    /// Run one tool through the same dispatch as MCP and print its result; exit 1 on a tool error.
    Call {
        tool: String,
        /// The arguments as a JSON object.
        #[arg(default_value = "{}")]
        arguments: String,
        /// Print the full MCP result as JSON instead of the text.
        #[arg(long)]
        json: bool,
    },
    /// List the tools, with why any is disabled.
    Tools,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.global.log).unwrap_or_else(|_| "info".into()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn overrides(g: &Global, auth_token: Option<String>) -> anyhow::Result<Overrides> {
    let mut kafka_properties = vec![];
    for text in &g.kafka_property {
        kafka_properties.extend(kafka_qa_mcp::config::parse_properties(text)?);
    }
    Ok(Overrides {
        bootstrap_servers: g.bootstrap_servers.clone(),
        read_only: g.read_only.then_some(true),
        export_dir: g.export_dir.clone(),
        loki_url: g.loki_url.clone(),
        prometheus_url: g.prometheus_url.clone(),
        max_output_bytes: g.max_output_bytes,
        max_response_mb: g.max_response_mb,
        auth_token,
        session_idle_secs: None,
        max_sessions: None,
        sasl_mechanism: g.sasl_mechanism.clone(),
        sasl_username: g.sasl_username.clone(),
        sasl_password: std::env::var("KAFKA_SASL_PASSWORD").ok(),
        graph_uri: g.graph_uri.clone(),
        graph_user: g.graph_user.clone(),
        graph_password: std::env::var("NEO4J_PASSWORD").ok().filter(|p| !p.is_empty()),
        graph_database: g.graph_database.clone(),
        produce_allow: g.produce_allow.clone(),
        produce_deny: g.produce_deny.clone(),
        llm_url: g.llm_url.clone(),
        llm_model: g.llm_model.clone(),
        llm_kind: g.llm_kind,
        llm_timeout_ms: g.llm_timeout_ms,
        qdrant_url: std::env::var("QDRANT_URL").ok().filter(|u| !u.is_empty()),
        qdrant_api_key: std::env::var("QDRANT_API_KEY").ok().filter(|k| !k.is_empty()),
        llm_api_key: std::env::var("KAFKA_QA_LLM_API_KEY").ok().filter(|k| !k.is_empty()),
        schema_registry_url: g.schema_registry_url.clone().filter(|u| !u.is_empty()),
        schema_registry_user: g.schema_registry_user.clone(),
        schema_registry_password: std::env::var("SCHEMA_REGISTRY_PASSWORD").ok().filter(|p| !p.is_empty()),
        schema_registry_bearer_token: std::env::var("SCHEMA_REGISTRY_BEARER_TOKEN").ok().filter(|t| !t.is_empty()),
        schema_registry_ca_file: g.schema_registry_ca_file.clone(),
        kafka_properties,
        store_dir: g.store_dir.clone(),
    })
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Serve {
        http: None,
        auth_token: std::env::var("KAFKA_QA_AUTH_TOKEN").ok(),
        session_idle_secs: None,
        max_sessions: None,
    });
    let (auth_token, sessions) = match &command {
        Command::Serve { auth_token, session_idle_secs, max_sessions, .. } => {
            (auth_token.clone(), (*session_idle_secs, *max_sessions))
        }
        _ => (None, (None, None)),
    };
    let mut overrides = overrides(&cli.global, auth_token)?;
    (overrides.session_idle_secs, overrides.max_sessions) = sessions;
    let config = Config::load(cli.global.config.as_deref(), &overrides)?;
    let state = AppState::new(config)?;
    let registry = Arc::new(Registry::new());
    match command {
        Command::Serve { http: None, .. } => {
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "serving MCP over stdio");
            let server = McpServer::new(state, registry);
            // Undecodable lines are answered (-32700/-32600) instead of dropped: see mcp::wire.
            let (transport, written) = kafka_qa_mcp::mcp::wire::stdio();
            let service = server.serve(transport).await?;
            service.waiting().await?;
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), written).await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { http: Some(addr), .. } => {
            let opts = HttpOptions {
                addr,
                auth_token: state.config.http.auth_token.clone(),
                extra_hosts: state.config.http.allowed_hosts.clone(),
                extra_origins: state.config.http.allowed_origins.clone(),
                session_idle: std::time::Duration::from_secs(state.config.http.session_idle_secs),
                max_sessions: state.config.http.max_sessions,
            };
            http::serve(McpServer::new(state, registry), opts).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Call { tool, arguments, json } => {
            let args: serde_json::Value = serde_json::from_str(&arguments)
                .map_err(|e| anyhow::anyhow!("the arguments must be a JSON object: {e}"))?;
            let serde_json::Value::Object(args) = args else {
                anyhow::bail!("the arguments must be a JSON object, e.g. '{{\"pattern\": \"orders*\"}}'");
            };
            let cx = CallContext::new(state.clone());
            let outcome = registry.call(&cx, &tool, Some(args)).await;
            let failed = outcome.is_err();
            let result = to_call_result(outcome, &state);
            if json {
                print_out(&serde_json::to_string_pretty(&result)?);
            } else {
                for block in &result.content {
                    if let Some(t) = block.as_text() {
                        print_out(&t.text);
                    }
                }
            }
            Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Tools => {
            for (info, _, _) in registry.infos() {
                match registry.availability(info, &state.config) {
                    Availability::Enabled => print_out(&format!("{:<22} enabled   {}", info.name, info.title)),
                    Availability::Disabled(why) => {
                        print_out(&format!("{:<22} disabled  {}", info.name, state.redact(&why.to_string())))
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints a line to stdout; a reader that went away (`| head`) ends the output quietly instead of a panic.
fn print_out(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").is_err() {
        std::process::exit(0);
    }
}
