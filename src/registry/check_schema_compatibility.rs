//! `check_schema_compatibility`: is a candidate schema compatible with a subject under the subject's level
//! (BACKWARD, FORWARD, FULL, their _TRANSITIVE forms, NONE)? The registry's own verdict, plus a local
//! explanation of each breaking change against the latest version. Registers only when asked, never in
//! read-only mode, and only subjects the allow/deny globs permit.

use super::codec::{Parsed, SchemaType};
use super::{compat, subject_for, SubjectStrategy};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::mcp::reply::Reply;
use crate::mcp::tool::{Backend, Tool, ToolInfo};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub struct CheckSchemaCompatibility;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckArgs {
    /// The subject to check against. Give this or `topic`.
    #[serde(default)]
    pub subject: Option<String>,
    /// A topic: its value subject under `subject_strategy` (default `<topic>-value`).
    #[serde(default)]
    pub topic: Option<String>,
    /// topic_name (default), record_name or topic_record_name.
    #[serde(default)]
    pub subject_strategy: SubjectStrategy,
    /// The record's full name for the record_name strategies (e.g. shop.Order).
    #[serde(default)]
    pub record_name: Option<String>,
    /// The candidate schema: Avro or JSON Schema as a JSON object or text, Protobuf as .proto text.
    pub schema: Value,
    /// AVRO (default), PROTOBUF or JSON.
    #[serde(default = "avro")]
    pub schema_type: SchemaType,
    /// Register the candidate when the registry finds it compatible. Default false. Refused in read-only
    /// mode and for subjects outside schema_registry.subject_allow / inside subject_deny.
    #[serde(default)]
    pub register: bool,
    /// Also store schema-evolution test cases (old data read by the candidate, and the reverse) for run_test_cases.
    #[serde(default)]
    pub cases: bool,
}

fn avro() -> SchemaType {
    SchemaType::Avro
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckOutput {
    pub subject: String,
    /// The subject's compatibility level (its own, else the global one).
    pub level: String,
    /// The version the local explanation compared with.
    pub latest_version: Option<i64>,
    pub registry: super::client::Verdict,
    /// Each breaking change the local check finds against the latest version.
    pub breaking_changes: Vec<String>,
    /// The id the candidate was registered with, when `register` was true and it was compatible.
    pub registered_id: Option<u32>,
    /// With `cases`: the stored case set (testcases://{id}) to pass to run_test_cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_set: Option<String>,
}

impl Tool for CheckSchemaCompatibility {
    type Args = CheckArgs;
    type Output = CheckOutput;

    fn info(&self) -> ToolInfo {
        ToolInfo {
            name: "check_schema_compatibility",
            title: "Check schema compatibility",
            description: "Checks a candidate Avro, Protobuf or JSON Schema against a Schema Registry subject under its compatibility level: the registry's verdict and each breaking change explained; registers only with register=true; cases=true stores schema-evolution cases. Next: run_test_cases on those, or produce_test_message.",
            read_only: false,
            destructive: false,
            idempotent: true,
            open_world: true,
            writes_kafka: false,
            requires: &[Backend::SchemaRegistry],
            resources: &[],
        }
    }

    fn run<'a>(&'a self, cx: &'a CallContext, args: CheckArgs) -> BoxFuture<'a, Result<Reply>> {
        Box::pin(run(cx, args))
    }
}

async fn run(cx: &CallContext, args: CheckArgs) -> Result<Reply> {
    let registry = cx.state.registry()?;
    let subject = match (&args.subject, &args.topic) {
        (Some(s), _) if !s.trim().is_empty() => s.clone(),
        (_, Some(t)) => subject_for(t, false, args.subject_strategy, args.record_name.as_deref())
            .map_err(|e| Error::bad_input("record_name", e))?,
        _ => return Err(Error::bad_input("subject", "a subject, or a topic to name it from")),
    };
    let text = match &args.schema {
        Value::String(s) => s.clone(),
        other if args.schema_type != SchemaType::Protobuf => other.to_string(),
        _ => return Err(Error::bad_input("schema", "Protobuf schema text (.proto source) as a string")),
    };
    let candidate = Parsed::parse(args.schema_type, &text, &[]).map_err(|e| Error::bad_input("schema", e))?;
    let Some(latest) = registry.latest(&subject).await? else {
        // A new subject: nothing to be compatible with. Registering its first version is what `register` asks.
        if !args.register {
            return Err(Error::bad_input(
                "subject",
                format!("a subject the registry has (`{subject}` does not exist, so nothing to be compatible with; pass register: true to register this schema as its first version)"),
            ));
        }
        let id = register_checked(cx, registry, &subject, args.schema_type, &text).await?;
        let level = registry.compatibility_level(&subject).await?;
        let summary = format!(
            "# Compatibility with `{subject}` ({level})\n`{subject}` had no version, so there is nothing to be compatible with: registered as its first version (schema id {id})."
        );
        let out = CheckOutput {
            subject,
            level,
            latest_version: None,
            registry: super::client::Verdict { is_compatible: true, messages: vec![] },
            breaking_changes: vec![],
            registered_id: Some(id),
            case_set: None,
        };
        return Ok(Reply::new(&out)?.summary(summary).next_tool(
            "produce_test_message",
            "write a message to the subject's topic: its values are now serialised with this schema",
        ));
    };
    let level = registry.compatibility_level(&subject).await?;
    let verdict = registry.check_compatibility(&subject, args.schema_type, &text, &Value::Null).await?;
    let breaking = compat::explain(&latest.parsed, &candidate, &level);

    let mut registered_id = None;
    if args.register && verdict.is_compatible {
        registered_id = Some(register_checked(cx, registry, &subject, args.schema_type, &text).await?);
    } else if args.register {
        // Refused either way, but say which rule would have refused it too.
        allowed_to_register(cx, &subject)?;
    }

    let verdict_text = if verdict.is_compatible { "compatible" } else { "NOT compatible" };
    let mut summary = format!(
        "# Compatibility with `{subject}` ({level})\nThe registry says: **{verdict_text}** (against version {} and the versions the level covers).",
        latest.version.map_or("?".into(), |v| v.to_string())
    );
    if let Some(id) = registered_id {
        summary.push_str(&format!(" Registered as schema id {id}."));
    } else if args.register && !verdict.is_compatible {
        summary.push_str(" Not registered: it is incompatible.");
    }
    if breaking.is_empty() && !verdict.is_compatible {
        summary.push_str("\nThe local check finds no breaking change against the latest version: the registry's verdict covers older versions (a _TRANSITIVE level) or rules the local check does not know; see its messages.");
    }
    for m in verdict.messages.iter().take(5) {
        summary.push_str(&format!("\n- registry: {}", crate::text::cut_chars(m, 300)));
    }
    let case_set = if args.cases {
        let cases = super::evolution::cases(args.schema_type, &latest.text, &text, &level, 1)
            .map_err(|e| Error::bad_input("schema", e))?;
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let targets = crate::testcases::model::Targets {
            input_topic: args.topic.clone().unwrap_or_else(|| subject.clone()),
            ..Default::default()
        };
        cx.state.resources.put(crate::resources::StoredResource {
            uri: format!("{}{id}", crate::testcases::generate_test_cases::CASE_SET_PREFIX),
            name: format!("test cases {id}"),
            description: format!("{} schema-evolution cases for {subject}", cases.len()),
            mime_type: "application/json".into(),
            text: serde_json::json!({"targets": targets, "cases": cases}).to_string(),
        });
        summary.push_str(&format!(
            "\nStored {} schema-evolution cases as case_set `{id}`: run them with run_test_cases.",
            cases.len()
        ));
        Some(id)
    } else {
        None
    };
    let rows: Vec<String> = breaking.iter().map(|m| format!("- {}", crate::text::cut_chars(m, 300))).collect();
    let out = CheckOutput {
        subject,
        level,
        latest_version: latest.version,
        registry: verdict,
        breaking_changes: breaking,
        registered_id,
        case_set,
    };
    let reply = Reply::new(&out)?.summary(summary);
    let reply = match (out.registry.is_compatible, out.registered_id) {
        _ if out.case_set.is_some() => reply.next_tool(
            "run_test_cases",
            "run the stored schema-evolution cases (case_set) to see each direction read or fail",
        ),
        (false, _) => reply.next_step("change the candidate so each breaking change goes away (a default, an optional field), then check it again"),
        (true, None) => reply.next_tool("check_schema_compatibility", "compatible: the same call with register: true registers it"),
        (true, Some(_)) => reply.next_tool("produce_test_message", "write a message to the subject's topic to see the new version in use"),
    };
    Ok(reply.rows("breaking_changes", "Breaking changes against the latest version:", rows))
}

/// Read-only mode and the subject globs allow registering under `subject`.
fn allowed_to_register(cx: &CallContext, subject: &str) -> Result<()> {
    if cx.guard().read_only() {
        return Err(Error::denied("read_only", "the server is read-only: schemas are not registered"));
    }
    check_subject(&cx.config().schema_registry, subject)
}

/// Registers `text` under `subject` once the safety rules allow it; the new schema id.
async fn register_checked(
    cx: &CallContext,
    registry: &super::client::RegistryClient,
    subject: &str,
    schema_type: SchemaType,
    text: &str,
) -> Result<u32> {
    allowed_to_register(cx, subject)?;
    registry.register(subject, schema_type, text).await
}

/// Subjects may be registered only when they match an allow glob and no deny glob.
fn check_subject(cfg: &crate::config::SchemaRegistryConfig, subject: &str) -> Result<()> {
    let matches = |globs: &[String]| {
        globs.iter().any(|g| globset::Glob::new(g).map(|g| g.compile_matcher().is_match(subject)).unwrap_or(false))
    };
    if matches(&cfg.subject_deny) {
        return Err(Error::denied("subject_deny", format!("subject `{subject}` matches schema_registry.subject_deny")));
    }
    if !matches(&cfg.subject_allow) {
        return Err(Error::denied(
            "subject_allow",
            format!("subject `{subject}` matches no schema_registry.subject_allow glob"),
        ));
    }
    Ok(())
}
