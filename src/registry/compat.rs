//! Local explanations of why a candidate schema breaks compatibility with a registered one. The registry's
//! verdict is the authority; this says which field and why. Avro through apache-avro's schema resolution
//! check; Protobuf and JSON Schema by a field-by-field diff.

use super::codec::Parsed;
use apache_avro::schema::Schema as AvroSchema;
use apache_avro::schema_compatibility::{Compatibility, SchemaCompatibility};
use prost_reflect::{Kind, MessageDescriptor};
use serde_json::Value;
use std::collections::BTreeSet;

/// Which directions a compatibility level checks: (new reads old, old reads new, transitive).
pub fn directions(level: &str) -> Option<(bool, bool, bool)> {
    let l = level.to_ascii_uppercase();
    let transitive = l.ends_with("_TRANSITIVE");
    match l.trim_end_matches("_TRANSITIVE") {
        "BACKWARD" => Some((true, false, transitive)),
        "FORWARD" => Some((false, true, transitive)),
        "FULL" => Some((true, true, transitive)),
        "NONE" => Some((false, false, transitive)),
        _ => None,
    }
}

/// Breaking changes of `new` against `old` under `level` (empty: compatible as far as the local check sees).
pub fn explain(old: &Parsed, new: &Parsed, level: &str) -> Vec<String> {
    let Some((backward, forward, _)) = directions(level) else {
        return vec![format!("unknown compatibility level `{level}`")];
    };
    let mut out = vec![];
    if backward {
        out.extend(reads(old, new).into_iter().map(|e| format!("new schema cannot read old data: {e}")));
    }
    if forward {
        out.extend(reads(new, old).into_iter().map(|e| format!("old schema cannot read new data: {e}")));
    }
    out
}

/// Why a reader with schema `reader` cannot read data written with `writer`.
fn reads(writer: &Parsed, reader: &Parsed) -> Vec<String> {
    match (writer, reader) {
        (Parsed::Avro { schema: w, .. }, Parsed::Avro { schema: r, .. }) => match SchemaCompatibility::can_read(w, r) {
            Ok(Compatibility::Full) => vec![],
            // Resolution works for some values only: the registry (like Confluent) rejects it.
            Ok(Compatibility::Partial) => vec![format!(
                "some written values have no match in the reader: an enum symbol without a reader default, or a union branch the reader lacks{}",
                avro_missing_symbols(w, r).map(|m| format!(" ({m})")).unwrap_or_default()
            )],
            Err(e) => vec![e.to_string()],
        },
        (Parsed::Protobuf { pool: wp, file: wf }, Parsed::Protobuf { pool: rp, file: rf }) => {
            let wm: Vec<_> = wp.get_file_by_name(wf).map(|f| f.messages().collect()).unwrap_or_default();
            let rm: Vec<_> = rp.get_file_by_name(rf).map(|f| f.messages().collect()).unwrap_or_default();
            let mut out = vec![];
            for w in &wm {
                // Like the registry, a message that only changed package is the same message.
                let same = rm.iter().find(|r| r.full_name() == w.full_name()).or_else(|| rm.iter().find(|r| r.name() == w.name()));
                match same {
                    None => out.push(format!("message {} was removed", w.full_name())),
                    Some(r) => proto_fields(w, r, &mut out),
                }
            }
            out
        }
        (Parsed::Json { schema: w, .. }, Parsed::Json { schema: r, .. }) => {
            let mut out = vec![];
            json_props(w, r, "", &mut out);
            out
        }
        _ => vec!["the schema type changed".into()],
    }
}

/// Enum symbols of the writer the reader lacks, by field (top-level record fields and the root).
fn avro_missing_symbols(w: &AvroSchema, r: &AvroSchema) -> Option<String> {
    let missing = |w: &AvroSchema, r: &AvroSchema| match (w, r) {
        (AvroSchema::Enum(we), AvroSchema::Enum(re)) if re.default.is_none() => {
            let gone: Vec<&str> = we.symbols.iter().filter(|s| !re.symbols.contains(s)).map(String::as_str).collect();
            (!gone.is_empty()).then(|| gone.join(", "))
        }
        _ => None,
    };
    if let Some(m) = missing(w, r) {
        return Some(format!("enum symbols {m} were removed"));
    }
    let (AvroSchema::Record(wr), AvroSchema::Record(rr)) = (w, r) else { return None };
    let found: Vec<String> = wr
        .fields
        .iter()
        .filter_map(|wf| {
            let rf = rr.fields.iter().find(|f| f.name == wf.name)?;
            missing(&wf.schema, &rf.schema).map(|m| format!("field `{}`: enum symbols {m} were removed", wf.name))
        })
        .collect();
    (!found.is_empty()).then(|| found.join("; "))
}

fn proto_fields(w: &MessageDescriptor, r: &MessageDescriptor, out: &mut Vec<String>) {
    for wf in w.fields() {
        let Some(rf) = r.get_field(wf.number()) else {
            // Like the registry: a oneof losing a field is breaking (its value would read as none of them).
            if let Some(o) = wf.containing_oneof().filter(|o| !o.is_synthetic()) {
                out.push(format!(
                    "{}.{} (field {}): removed from oneof {}",
                    w.full_name(),
                    wf.name(),
                    wf.number(),
                    o.name()
                ));
            }
            continue;
        };
        let at = format!("{}.{} (field {})", w.full_name(), wf.name(), wf.number());
        // Named types compare by name, as the registry does (a package change alone breaks nothing).
        let kind = |k: Kind| match k {
            Kind::Message(m) => format!("message {}", m.name()),
            Kind::Enum(e) => format!("enum {}", e.name()),
            other => format!("{other:?}").to_lowercase(),
        };
        let (wk, rk) = (kind(wf.kind()), kind(rf.kind()));
        if wk != rk && !wire_compatible(&wk, &rk) {
            out.push(format!("{at}: type changed from {wk} to {rk}"));
        }
        // Repeated and singular read one another on the wire (the last value wins), as the registry agrees.
        if wf.containing_oneof().is_none() && rf.containing_oneof().is_some() {
            out.push(format!(
                "{at}: moved into oneof {}",
                rf.containing_oneof().map(|o| o.name().to_string()).unwrap_or_default()
            ));
        }
        if let (Kind::Message(wm), Kind::Message(rm)) = (wf.kind(), rf.kind()) {
            if wm.name() == rm.name() && wm.full_name() != w.full_name() {
                proto_fields(&wm, &rm, out);
            }
        }
    }
}

/// Scalar types protobuf decodes into one another without loss of framing (same wire type group).
fn wire_compatible(a: &str, b: &str) -> bool {
    let group = |k: &str| match k {
        "int32" | "uint32" | "int64" | "uint64" | "bool" => 1,
        "sint32" | "sint64" => 2,
        "fixed32" | "sfixed32" => 3,
        "fixed64" | "sfixed64" => 4,
        "string" | "bytes" => 5,
        _ => 0,
    };
    group(a) != 0 && group(a) == group(b)
}

fn types_of(s: &Value) -> BTreeSet<String> {
    match &s["type"] {
        Value::String(t) => [t.clone()].into(),
        Value::Array(a) => a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => BTreeSet::new(),
    }
}

/// What a reader with JSON Schema `r` refuses of data valid under `w`.
fn json_props(w: &Value, r: &Value, path: &str, out: &mut Vec<String>) {
    let at = if path.is_empty() { "/" } else { path };
    let (wt, rt) = (types_of(w), types_of(r));
    if !rt.is_empty()
        && !wt.is_empty()
        && !wt.iter().all(|t| rt.contains(t) || (t == "integer" && rt.contains("number")))
    {
        out.push(format!("`{at}`: type {wt:?} is not accepted by {rt:?}"));
    }
    if let (Some(we), Some(re)) = (w["enum"].as_array(), r["enum"].as_array()) {
        let missing: Vec<String> = we.iter().filter(|v| !re.contains(v)).map(|v| v.to_string()).collect();
        if !missing.is_empty() {
            out.push(format!("`{at}`: enum values {} were removed", missing.join(", ")));
        }
    }
    for (key, upper) in [
        ("maxLength", true),
        ("maxItems", true),
        ("maxProperties", true),
        ("maximum", true),
        ("exclusiveMaximum", true),
        ("minLength", false),
        ("minItems", false),
        ("minProperties", false),
        ("minimum", false),
        ("exclusiveMinimum", false),
    ] {
        if let Some(rb) = r[key].as_f64() {
            let narrower = match w[key].as_f64() {
                None => true,
                Some(wb) => (upper && rb < wb) || (!upper && rb > wb),
            };
            if narrower {
                out.push(format!("`{at}`: {key} {} refuses values the old schema allowed", r[key]));
            }
        }
    }
    if r["pattern"].is_string() && r["pattern"] != w["pattern"] {
        out.push(format!("`{at}`: pattern {} is new or changed", r["pattern"]));
    }
    let wreq: BTreeSet<&str> =
        w["required"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    for req in r["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !wreq.contains(req) {
            out.push(format!("`{path}/{req}`: is now required, and older data may not have it"));
        }
    }
    let wp = w["properties"].as_object();
    let rp = r["properties"].as_object();
    if let Some(wp) = wp {
        for (name, ws) in wp {
            match rp.and_then(|p| p.get(name)) {
                Some(rs) => json_props(ws, rs, &format!("{path}/{name}"), out),
                None if r["additionalProperties"] == Value::Bool(false) => {
                    out.push(format!("`{path}/{name}`: removed while additionalProperties is false"))
                }
                None => {}
            }
        }
    }
    if w["additionalProperties"] != Value::Bool(false) && r["additionalProperties"] == Value::Bool(false) {
        out.push(format!("`{at}`: additionalProperties became false, and older data may carry other properties"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::SchemaType;

    fn avro(s: &str) -> Parsed {
        Parsed::parse(SchemaType::Avro, s, &[]).unwrap()
    }

    #[test]
    fn avro_added_field_without_default_breaks_backward_only() {
        let old = avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
        let new =
            avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#);
        let back = explain(&old, &new, "BACKWARD");
        assert!(back.len() == 1 && back[0].contains('b'), "{back:?}");
        assert!(explain(&old, &new, "FORWARD").is_empty());
        assert_eq!(explain(&old, &new, "FULL_TRANSITIVE").len(), 1);
        assert!(explain(&old, &new, "NONE").is_empty());
        let e1 = avro(
            r#"{"type":"record","name":"R","fields":[{"name":"s","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}"#,
        );
        let e2 = avro(
            r#"{"type":"record","name":"R","fields":[{"name":"s","type":{"type":"enum","name":"E","symbols":["X"]}}]}"#,
        );
        let e = explain(&e1, &e2, "BACKWARD");
        assert!(e.len() == 1 && e[0].contains("field `s`: enum symbols Y were removed"), "{e:?}");
    }

    #[test]
    fn protobuf_and_json_diffs_name_the_field() {
        let p = |s: &str| Parsed::parse(SchemaType::Protobuf, s, &[]).unwrap();
        let old = p("syntax = \"proto3\"; message M { string a = 1; int32 n = 2; }");
        let new = p("syntax = \"proto3\"; message M { int64 a = 1; int64 n = 2; }");
        let e = explain(&old, &new, "BACKWARD");
        assert!(e.len() == 1 && e[0].contains("M.a") && e[0].contains("string"), "{e:?}");
        let j = |s: &str| Parsed::parse(SchemaType::Json, s, &[]).unwrap();
        let old = j(r#"{"type":"object","properties":{"s":{"type":"string","enum":["A","B"]}}}"#);
        let new = j(r#"{"type":"object","properties":{"s":{"type":"string","enum":["A"]}},"required":["s"]}"#);
        let e = explain(&old, &new, "BACKWARD");
        assert!(e.iter().any(|m| m.contains("/s") && m.contains("\"B\"")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("required")), "{e:?}");
    }
}
