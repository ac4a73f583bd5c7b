//! Registry schemas as JSON Schema (2020-12), describing the JSON the codec decodes them to (and accepts when
//! encoding): Avro records, enums, arrays, maps, fixed, unions (nullable, else oneOf/anyOf) and logical types
//! (date, time, timestamps as ISO text, decimal as exact text, uuid); Protobuf messages with the JSON mapping
//! prost-reflect uses (proto field names, enums by name, 64-bit integers as numbers, well-known types). Used
//! by infer_schema (registered schema vs the data) and by the generators (data and cases from Avro/Protobuf).

use super::codec::Parsed;
use apache_avro::schema::{Name, Schema as AvroSchema};
use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
/// Named types nested deeper than this (recursive schemas) become `{}` with a description.
const MAX_DEPTH: usize = 24;

/// The JSON Schema of a parsed registry schema (a Protobuf message by name, default the file's first).
pub fn to_json_schema(parsed: &Parsed, message: Option<&str>) -> Result<Value, String> {
    let mut out = match parsed {
        Parsed::Avro { schema, names, .. } => avro(schema, names, &mut vec![]),
        Parsed::Protobuf { .. } => {
            let m = parsed.proto_message(message).ok_or_else(|| match message {
                Some(n) => format!("`{n}`, a message of the schema"),
                None => "a Protobuf schema with at least one message".to_string(),
            })?;
            proto_message(&m, &mut vec![])
        }
        Parsed::Json { schema, .. } => return Ok(schema.clone()),
    };
    if let Value::Object(o) = &mut out {
        o.insert("$schema".into(), json!(DRAFT));
    }
    Ok(out)
}

fn avro(schema: &AvroSchema, names: &HashMap<Name, AvroSchema>, path: &mut Vec<String>) -> Value {
    let schema = match schema {
        AvroSchema::Ref { name } => match names.get(name) {
            Some(s) => s,
            None => return json!({"description": format!("undefined Avro type {name}")}),
        },
        s => s,
    };
    let int_range = |min: i64, max: i64| json!({"type": "integer", "minimum": min, "maximum": max});
    match schema {
        AvroSchema::Null => json!({"type": "null"}),
        AvroSchema::Boolean => json!({"type": "boolean"}),
        AvroSchema::Int => int_range(i64::from(i32::MIN), i64::from(i32::MAX)),
        AvroSchema::Long => int_range(i64::MIN, i64::MAX),
        AvroSchema::Float | AvroSchema::Double => json!({"type": "number"}),
        AvroSchema::String => json!({"type": "string"}),
        AvroSchema::Bytes => json!({"type": "string", "description": "bytes, one character per byte"}),
        AvroSchema::Fixed(f) => json!({"type": "string", "minLength": f.size, "maxLength": f.size}),
        AvroSchema::Uuid(_) => json!({"type": "string", "format": "uuid"}),
        AvroSchema::Date => json!({"type": "string", "format": "date"}),
        AvroSchema::TimeMillis | AvroSchema::TimeMicros => json!({"type": "string", "format": "time"}),
        AvroSchema::TimestampMillis | AvroSchema::TimestampMicros | AvroSchema::TimestampNanos => {
            json!({"type": "string", "format": "date-time"})
        }
        AvroSchema::LocalTimestampMillis | AvroSchema::LocalTimestampMicros | AvroSchema::LocalTimestampNanos => {
            json!({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$"})
        }
        AvroSchema::Decimal(d) => {
            let whole = d.precision.saturating_sub(d.scale).max(1);
            let pattern = if d.scale == 0 {
                format!(r"^-?\d{{1,{whole}}}$")
            } else {
                format!(r"^-?\d{{1,{whole}}}\.\d{{{}}}$", d.scale)
            };
            json!({"type": "string", "pattern": pattern,
                "description": format!("decimal({}, {}) as exact text", d.precision, d.scale)})
        }
        AvroSchema::BigDecimal => json!({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
        AvroSchema::Duration(_) => json!({"type": "object", "required": ["months", "days", "millis"],
            "properties": {"months": {"type": "integer", "minimum": 0}, "days": {"type": "integer", "minimum": 0},
            "millis": {"type": "integer", "minimum": 0}}, "additionalProperties": false}),
        AvroSchema::Enum(e) => {
            let mut s = json!({"type": "string", "enum": e.symbols});
            describe(&mut s, e.doc.as_deref());
            s
        }
        AvroSchema::Array(a) => json!({"type": "array", "items": avro(&a.items, names, path)}),
        AvroSchema::Map(m) => json!({"type": "object", "additionalProperties": avro(&m.types, names, path)}),
        AvroSchema::Record(r) => {
            let full = r.name.fullname(None);
            if path.contains(&full) || path.len() >= MAX_DEPTH {
                return json!({"type": "object", "description": format!("recursive record {full}")});
            }
            path.push(full.clone());
            let mut properties = Map::new();
            let mut required = vec![];
            for f in &r.fields {
                let mut s = avro(&f.schema, names, path);
                describe(&mut s, f.doc.as_deref());
                match &f.default {
                    Some(d) => {
                        if let Value::Object(o) = &mut s {
                            o.insert("default".into(), d.clone());
                        }
                    }
                    None => required.push(json!(f.name)),
                }
                properties.insert(f.name.clone(), s);
            }
            path.pop();
            let mut s = json!({"type": "object", "title": full, "properties": properties,
                "required": required, "additionalProperties": false});
            describe(&mut s, r.doc.as_deref());
            s
        }
        AvroSchema::Union(u) => {
            let branches: Vec<Value> = u.variants().iter().map(|b| avro(b, names, path)).collect();
            union(branches)
        }
        AvroSchema::Ref { name } => json!({"description": format!("undefined Avro type {name}")}),
    }
}

/// A union of branch schemas: `null` + one branch becomes that branch with "null" added to its type; else
/// oneOf when the branches' JSON types are disjoint, anyOf when they overlap (int and long are both integer).
fn union(branches: Vec<Value>) -> Value {
    let (nulls, others): (Vec<Value>, Vec<Value>) = branches.into_iter().partition(|b| b["type"] == "null");
    if others.len() == 1 {
        let mut only = others.into_iter().next().unwrap_or_default();
        if !nulls.is_empty() {
            match only.get("type").cloned() {
                Some(Value::String(t)) => {
                    only["type"] = json!([t, "null"]);
                    if let Some(Value::Array(e)) = only.get_mut("enum") {
                        e.push(Value::Null);
                    }
                }
                _ => return json!({"anyOf": [{"type": "null"}, only]}),
            }
        }
        return only;
    }
    let mut all: Vec<Value> = nulls.into_iter().take(1).chain(others).collect();
    let mut seen = std::collections::BTreeSet::new();
    let disjoint = all.iter().all(|b| match b["type"].as_str() {
        Some("integer") => seen.insert("number") && seen.insert("integer"),
        Some("number") => seen.insert("number") && seen.insert("integer"),
        Some(t) => seen.insert(t),
        None => false,
    });
    if all.len() == 1 {
        return all.remove(0);
    }
    json!({ if disjoint { "oneOf" } else { "anyOf" }: all })
}

fn describe(s: &mut Value, doc: Option<&str>) {
    if let (Some(d), Value::Object(o)) = (doc.filter(|d| !d.is_empty()), s) {
        o.entry("description").or_insert_with(|| json!(d));
    }
}

fn proto_message(m: &MessageDescriptor, path: &mut Vec<String>) -> Value {
    if let Some(wk) = well_known(m.full_name()) {
        return wk;
    }
    let full = m.full_name().to_string();
    if path.contains(&full) || path.len() >= MAX_DEPTH {
        return json!({"type": "object", "description": format!("recursive message {full}")});
    }
    path.push(full.clone());
    let mut properties = Map::new();
    let mut required = vec![];
    for f in m.fields() {
        let s = if f.is_map() {
            let entry = match f.kind() {
                Kind::Message(e) => e,
                _ => continue,
            };
            json!({"type": "object", "additionalProperties": proto_kind(&entry.map_entry_value_field().kind(), path)})
        } else if f.is_list() {
            json!({"type": "array", "items": proto_kind(&f.kind(), path)})
        } else {
            proto_kind(&f.kind(), path)
        };
        // Fields without presence are always in the decoded JSON (defaults included); the others only when set.
        if !f.supports_presence() {
            required.push(json!(f.name()));
        }
        properties.insert(f.name().to_string(), s);
    }
    path.pop();
    json!({"type": "object", "title": full, "properties": properties, "required": required,
        "additionalProperties": false})
}

fn proto_kind(kind: &Kind, path: &mut Vec<String>) -> Value {
    let range = |min: i128, max: i128| json!({"type": "integer", "minimum": min, "maximum": max});
    match kind {
        Kind::Double | Kind::Float => json!({"type": "number"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => range(i32::MIN.into(), i32::MAX.into()),
        Kind::Uint32 | Kind::Fixed32 => range(0, u32::MAX.into()),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => range(i64::MIN.into(), i64::MAX.into()),
        Kind::Uint64 | Kind::Fixed64 => range(0, u64::MAX.into()),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
        Kind::Enum(e) => {
            json!({"type": "string", "enum": e.values().map(|v| v.name().to_string()).collect::<Vec<_>>()})
        }
        Kind::Message(m) => proto_message(m, path),
    }
}

/// The JSON mapping of Protobuf's well-known types.
fn well_known(name: &str) -> Option<Value> {
    let nullable = |t: &str| json!({"type": [t, "null"]});
    Some(match name {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => json!({"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"}),
        "google.protobuf.StringValue" | "google.protobuf.BytesValue" => nullable("string"),
        "google.protobuf.BoolValue" => nullable("boolean"),
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => nullable("number"),
        "google.protobuf.Int32Value"
        | "google.protobuf.Int64Value"
        | "google.protobuf.UInt32Value"
        | "google.protobuf.UInt64Value" => nullable("integer"),
        "google.protobuf.Struct" => json!({"type": "object"}),
        "google.protobuf.ListValue" => json!({"type": "array"}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.FieldMask" => json!({"type": "string"}),
        "google.protobuf.Empty" => json!({"type": "object", "additionalProperties": false}),
        "google.protobuf.Any" => json!({"type": "object", "required": ["@type"]}),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::SchemaType;

    fn avro_schema(text: &str) -> Value {
        to_json_schema(&Parsed::parse(SchemaType::Avro, text, &[]).unwrap(), None).unwrap()
    }

    #[test]
    fn avro_records_logical_types_unions_enums_arrays_maps() {
        let s = avro_schema(
            r#"{"type":"record","name":"Order","namespace":"shop","fields":[
            {"name":"id","type":{"type":"string","logicalType":"uuid"}},
            {"name":"n","type":"int"},
            {"name":"day","type":{"type":"int","logicalType":"date"}},
            {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
            {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}},
            {"name":"status","type":{"type":"enum","name":"S","symbols":["NEW","PAID"]}},
            {"name":"maybe","type":["null","string"],"default":null},
            {"name":"either","type":["string","long"]},
            {"name":"tags","type":{"type":"array","items":"string"}},
            {"name":"attrs","type":{"type":"map","values":"long"}},
            {"name":"next","type":["null","Order"],"default":null}]}"#,
        );
        let p = &s["properties"];
        assert_eq!(s["title"], "shop.Order");
        assert_eq!(p["id"], json!({"type": "string", "format": "uuid"}));
        assert_eq!((p["n"]["minimum"].clone(), p["n"]["maximum"].clone()), (json!(-2147483648), json!(2147483647)));
        assert_eq!(p["day"]["format"], "date");
        assert_eq!(p["at"]["format"], "date-time");
        assert_eq!(p["amount"]["pattern"], r"^-?\d{1,4}\.\d{2}$");
        assert_eq!(p["status"]["enum"], json!(["NEW", "PAID"]));
        assert_eq!(p["maybe"], json!({"type": ["string", "null"], "default": null}));
        assert_eq!(p["either"]["oneOf"][0]["type"], "string");
        assert_eq!(p["tags"], json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(p["attrs"]["additionalProperties"]["type"], "integer");
        assert_eq!(p["next"]["type"], json!(["object", "null"]));
        assert!(p["next"]["description"].as_str().unwrap().contains("recursive"));
        let required: Vec<&str> = s["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(required.contains(&"id") && !required.contains(&"maybe") && !required.contains(&"next"));
        assert_eq!(s["additionalProperties"], false);
        // Every value the codec decodes validates against the converted schema.
        let parsed = Parsed::parse(
            SchemaType::Avro,
            r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}},
            {"name":"b","type":{"type":"long","logicalType":"timestamp-millis"}},
            {"name":"c","type":["null",{"type":"enum","name":"E","symbols":["X"]}]}]}"#,
            &[],
        )
        .unwrap();
        let value = json!({"a": "12.50", "b": "2024-01-15T03:00:00Z", "c": "X"});
        let (decoded, _) = parsed.decode(&parsed.encode(&value, None).unwrap()).unwrap();
        let schema = to_json_schema(&parsed, None).unwrap();
        let v = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
        assert!(v.is_valid(&decoded), "{decoded} against {schema}");
        assert!(!v.is_valid(&json!({"a": "12.5", "b": "2024-01-15T03:00:00Z", "c": "X"})));
        assert!(!v.is_valid(&json!({"a": "12.50", "b": "2024-01-15T03:00:00Z", "c": "Y"})));
    }

    #[test]
    fn protobuf_messages_enums_repeated_maps_well_known_types() {
        let proto = r#"syntax = "proto3"; package shop;
            import "google/protobuf/timestamp.proto";
            enum Status { NEW = 0; PAID = 1; }
            message Line { string sku = 1; uint32 qty = 2; }
            message Order { int64 id = 1; Status status = 2; repeated Line lines = 3; map<string, double> prices = 4;
              google.protobuf.Timestamp at = 5; optional string note = 6; oneof pay { string card = 7; string iban = 8; } }"#;
        let parsed = Parsed::parse(SchemaType::Protobuf, proto, &[]).unwrap();
        let s = to_json_schema(&parsed, Some("shop.Order")).unwrap();
        let p = &s["properties"];
        assert_eq!(p["status"]["enum"], json!(["NEW", "PAID"]));
        assert_eq!(p["lines"]["items"]["properties"]["qty"]["minimum"], 0);
        assert_eq!(p["prices"]["additionalProperties"]["type"], "number");
        assert_eq!(p["at"]["format"], "date-time");
        let required: Vec<&str> = s["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(required, ["id", "status", "lines", "prices"]);
        // The first message is the default; what the codec decodes validates.
        assert_eq!(to_json_schema(&parsed, None).unwrap()["title"], "shop.Line");
        let value = json!({"id": 7, "status": "PAID", "lines": [{"sku": "a", "qty": 2}], "prices": {"a": 1.5},
            "at": "2024-01-15T03:00:00Z", "card": "4111"});
        let (decoded, _) = parsed.decode(&parsed.encode(&value, Some("shop.Order")).unwrap()).unwrap();
        assert!(jsonschema::is_valid(&s, &decoded), "{decoded} against {s}");
        assert!(!jsonschema::is_valid(&s, &json!({"id": 1, "status": "GONE", "lines": [], "prices": {}})));
    }
}
