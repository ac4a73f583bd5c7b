//! A `schema` argument in any of the forms the generators accept, as the JSON Schema they work from: a JSON
//! Schema (as is), an Avro schema (its JSON, as an object or text), a Protobuf definition (.proto text; the
//! root message: the first top-level message no other one uses), or `subject:NAME` / `subject:NAME@VERSION`
//! (that registered schema, from the Schema Registry). Detected by content; converted with
//! [`super::to_json_schema`], so the generators' negative cases follow the registry's limits (an int outside
//! 32 bits, a string that is no enum symbol, a field the record lacks).

use super::codec::{Parsed, SchemaType};
use super::to_json_schema::to_json_schema;
use crate::context::CallContext;
use crate::error::{Error, Result};
use prost_reflect::Kind;
use serde_json::Value;

/// The JSON Schema of a `schema` argument named `arg`, and what it was (`schema`, `avro schema shop.Order`,
/// `protobuf message shop.Order`, `subject orders-value version 3`).
pub async fn resolve(cx: &CallContext, arg: &str, value: &Value) -> Result<(Value, String)> {
    let bad = |e: String| Error::bad_input(arg, e);
    match value {
        Value::String(text) => {
            let t = text.trim();
            if let Some(subject) = t.strip_prefix("subject:") {
                return registered(cx, arg, subject.trim()).await;
            }
            if t.starts_with('{') || t.starts_with('[') || t.starts_with('"') {
                let parsed: Value = serde_json::from_str(t)
                    .map_err(|e| bad(format!("a JSON Schema, Avro schema JSON, .proto text or subject:NAME ({e})")))?;
                return from_json(arg, &parsed);
            }
            if t.contains("message ") || t.starts_with("syntax") {
                let parsed = Parsed::parse(SchemaType::Protobuf, t, &[]).map_err(bad)?;
                return proto(&parsed).map_err(bad);
            }
            Err(bad("a JSON Schema, Avro schema JSON, .proto text, or subject:NAME (a Schema Registry subject)".into()))
        }
        v => from_json(arg, v),
    }
}

/// An Avro schema when it looks like one (a record, enum or fixed with a name, or a union list); else a JSON
/// Schema as is.
fn from_json(arg: &str, v: &Value) -> Result<(Value, String)> {
    let avro_like = match v {
        Value::Object(o) => {
            o.get("fields").is_some_and(Value::is_array)
                || (matches!(o.get("type").and_then(Value::as_str), Some("record" | "enum" | "fixed"))
                    && o.contains_key("name"))
        }
        Value::Array(_) => true,
        Value::String(s) => !s.is_empty(),
        _ => false,
    };
    if !avro_like {
        return Ok((v.clone(), "schema".into()));
    }
    let parsed = Parsed::parse(SchemaType::Avro, &v.to_string(), &[]).map_err(|e| Error::bad_input(arg, e))?;
    let name = v.get("namespace").and_then(Value::as_str).map_or(String::new(), |n| format!("{n}."))
        + v.get("name").and_then(Value::as_str).unwrap_or("");
    let schema = to_json_schema(&parsed, None).map_err(|e| Error::bad_input(arg, e))?;
    Ok((schema, format!("avro schema {name}").trim_end().to_string()))
}

/// The root message of a Protobuf schema: the first top-level message no other top-level message uses.
/// None for other formats.
pub fn root_message(parsed: &Parsed) -> Option<String> {
    let Parsed::Protobuf { pool, file } = parsed else { return None };
    let top: Vec<_> = pool.get_file_by_name(file).map(|f| f.messages().collect()).unwrap_or_default();
    let used = |name: &str| {
        top.iter().any(|m| {
            m.full_name() != name
                && m.fields().any(|f| matches!(f.kind(), Kind::Message(ref k) if k.full_name() == name))
        })
    };
    top.iter().find(|m| !used(m.full_name())).or(top.first()).map(|m| m.full_name().to_string())
}

fn proto(parsed: &Parsed) -> std::result::Result<(Value, String), String> {
    let name = root_message(parsed).ok_or("a .proto with a message")?;
    Ok((to_json_schema(parsed, Some(&name))?, format!("protobuf message {name}")))
}

async fn registered(cx: &CallContext, arg: &str, spec: &str) -> Result<(Value, String)> {
    let registry = cx.state.registry()?;
    let (subject, version) = match spec.rsplit_once('@') {
        Some((s, v)) if v.parse::<u32>().is_ok() => (s, v),
        _ => (spec, "latest"),
    };
    let r = registry.version(subject, version).await?.ok_or_else(|| {
        Error::bad_input(
            arg,
            format!("subject:NAME[@VERSION] of a subject the registry has (`{subject}` version {version}: none)"),
        )
    })?;
    let message = root_message(&r.parsed);
    let schema = to_json_schema(&r.parsed, message.as_deref()).map_err(|e| Error::bad_input(arg, e))?;
    let v = r.version.map_or(version.to_string(), |v| v.to_string());
    Ok((schema, format!("subject {subject} version {v} ({})", r.schema_type.as_str())))
}
