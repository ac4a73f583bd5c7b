//! Schema evolution test cases (the `compatibility` expectation): a value written with one schema and read
//! with another, without Kafka: Avro through apache-avro's schema resolution, Protobuf by decoding the
//! writer's bytes as the reader's message (prost-reflect), JSON Schema by validating with the reader. And the
//! cases themselves: for a subject and a candidate, values written with the registered schema read with the
//! candidate, and the reverse, each required or not by the subject's compatibility level.

use super::codec::{avro_to_json, Parsed, SchemaType};
use super::schema_arg::root_message;
use crate::testcases::model::{CaseKind, Covers, Expectation, Input, Priority, Source, SourceKind, TestCase};
use serde_json::Value;

/// Values generated per direction.
pub const VALUES_PER_DIRECTION: usize = 3;

/// `value` written with `writer` and read with `reader` (schema texts of one type): what the reader sees.
pub fn read_across(kind: SchemaType, writer: &str, reader: &str, value: &Value) -> Result<Value, String> {
    let w = Parsed::parse(kind, writer, &[]).map_err(|e| format!("the writer schema is not {e}"))?;
    let r = Parsed::parse(kind, reader, &[]).map_err(|e| format!("the reader schema is not {e}"))?;
    let message = root_message(&w);
    let bytes = w.encode(value, message.as_deref()).map_err(|e| format!("the writer cannot write the value: {e}"))?;
    match (&w, &r) {
        (Parsed::Avro { schema: ws, referenced: wr, .. }, Parsed::Avro { schema: rs, referenced: rr, names, .. }) => {
            let mut reader_bytes = &bytes[..];
            let v = apache_avro::reader::datum::GenericDatumReader::builder(ws)
                .writer_schemata(std::iter::once(ws).chain(wr).collect())
                .and_then(|b| b.reader_schema(rs).reader_schemata(std::iter::once(rs).chain(rr).collect()))
                .and_then(|b| b.build())
                .and_then(|d| d.read_value(&mut reader_bytes))
                .map_err(|e| format!("the reader cannot resolve the written value: {e}"))?;
            Ok(avro_to_json(v, rs, names))
        }
        (Parsed::Protobuf { .. }, Parsed::Protobuf { .. }) => {
            let name = message.unwrap_or_default();
            let short = name.rsplit('.').next().unwrap_or_default().to_string();
            let indexes = r
                .proto_indexes(&name)
                .or_else(|| root_message(&r).filter(|m| m.ends_with(&short)).and_then(|m| r.proto_indexes(&m)))
                .ok_or_else(|| format!("the reader has no message {name}"))?;
            let (_, used) = super::codec::read_message_indexes(&bytes)?;
            let mut payload = super::codec::write_message_indexes(&indexes);
            payload.extend_from_slice(&bytes[used..]);
            r.decode(&payload).map(|(v, _)| v).map_err(|e| format!("the reader cannot decode it: {e}"))
        }
        (Parsed::Json { .. }, Parsed::Json { .. }) => {
            r.encode(value, None).map_err(|e| format!("the reader refuses it: {e}"))?;
            Ok(value.clone())
        }
        _ => Err("writer and reader are different schema types".into()),
    }
}

/// The cases of a subject's evolution to `candidate`: values valid under the registered schema read with the
/// candidate (required by BACKWARD and FULL), values valid under the candidate read with the registered one
/// (required by FORWARD and FULL).
pub fn cases(
    kind: SchemaType,
    registered: &str,
    candidate: &str,
    level: &str,
    seed: u64,
) -> Result<Vec<TestCase>, String> {
    let (backward, forward, _) = super::compat::directions(level).unwrap_or((true, false, false));
    let mut out = vec![];
    let directions = [
        ("old", "new", registered, candidate, backward, "BACKWARD"),
        ("new", "old", candidate, registered, forward, "FORWARD"),
    ];
    for (w_name, r_name, writer, reader, required, needs) in directions {
        for (i, value) in values(kind, writer, seed, VALUES_PER_DIRECTION)?.into_iter().enumerate() {
            let id = format!("EVO-{:03}", out.len() + 1);
            let why =
                if required { format!("required by {level}") } else { format!("not required by {level} ({needs} is)") };
            out.push(TestCase {
                id,
                kind: if required { CaseKind::Positive } else { CaseKind::Edge },
                title: format!(
                    "A value written with the {w_name} schema reads with the {r_name} one (value {})",
                    i + 1
                ),
                priority: if required { Priority::Critical } else { Priority::Low },
                preconditions: vec![format!("the subject's compatibility level is {level}")],
                steps: vec![
                    format!("Serialise the input with the {w_name} schema"),
                    format!("Deserialise the bytes with the {r_name} schema"),
                ],
                expected_result: format!("the {r_name} schema reads it ({why})"),
                input: Input { value: Some(value), ..Input::default() },
                expectation: Expectation::Compatibility {
                    schema_type: kind,
                    writer: writer.to_string(),
                    reader: reader.to_string(),
                    readable: true,
                },
                covers: Some(Covers { field: String::new(), constraint: format!("{w_name}_to_{r_name}") }),
                source: Some(Source {
                    from: SourceKind::Schema,
                    pointer: None,
                    rule: Some(format!(
                        "the subject's {level} compatibility: {w_name} writer, {r_name} reader ({why})"
                    )),
                }),
            });
        }
    }
    Ok(out)
}

/// `n` valid values of a schema text, generated from its JSON Schema (seeded).
fn values(kind: SchemaType, text: &str, seed: u64, n: usize) -> Result<Vec<Value>, String> {
    use crate::datagen::stream::{Spec, Stream, Target};
    let parsed = Parsed::parse(kind, text, &[])?;
    let message = root_message(&parsed);
    let schema = super::to_json_schema::to_json_schema(&parsed, message.as_deref())?;
    let mut stream = Stream::new(Spec {
        target: Target::Schema(schema),
        seed,
        mode: crate::datagen::stream::Mode::Valid,
        window: Default::default(),
        defect_rate: 0.0,
        defect_constraints: vec![],
        profile: None,
    })?;
    Ok((0..n).map(|_| stream.next_record().0).collect())
}

/// Runs one compatibility expectation: (passed, what was observed).
pub fn check(kind: SchemaType, writer: &str, reader: &str, value: Option<&Value>, readable: bool) -> (bool, String) {
    let Some(value) = value else { return (false, "the case has no input value to write".into()) };
    match (read_across(kind, writer, reader, value), readable) {
        (Ok(v), true) => (true, format!("written and read back: {}", crate::text::cut_chars(&v.to_string(), 200))),
        (Ok(_), false) => (false, "the reader read it, but the case expects it refused".into()),
        (Err(e), true) => (false, e),
        (Err(e), false) => (true, format!("refused as expected: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn avro_resolution_protobuf_reflection_and_json_validation() {
        let old = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
        let with_default = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string","default":"x"}]}"#;
        let without =
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
        assert_eq!(
            read_across(SchemaType::Avro, old, with_default, &json!({"a": 5})).unwrap(),
            json!({"a": 5, "b": "x"})
        );
        let e = read_across(SchemaType::Avro, old, without, &json!({"a": 5})).unwrap_err();
        assert!(e.contains("cannot resolve"), "{e}");
        let p1 = "syntax = \"proto3\"; message M { string a = 1; int32 n = 2; }";
        let p2 = "syntax = \"proto3\"; message M { string a = 1; int64 n = 2; bool extra = 3; }";
        let p3 = "syntax = \"proto3\"; message M { int32 a = 1; }";
        assert_eq!(
            read_across(SchemaType::Protobuf, p1, p2, &json!({"a": "x", "n": 7})).unwrap(),
            json!({"a": "x", "n": 7, "extra": false})
        );
        assert!(read_across(SchemaType::Protobuf, p1, p3, &json!({"a": "x", "n": 7})).is_err());
        let j1 = r#"{"type":"object","properties":{"s":{"type":"string"}}}"#;
        let j2 = r#"{"type":"object","properties":{"s":{"type":"string","maxLength":2}}}"#;
        assert!(read_across(SchemaType::Json, j1, j2, &json!({"s": "ab"})).is_ok());
        assert!(read_across(SchemaType::Json, j1, j2, &json!({"s": "abc"})).is_err());
        let (passed, observed) = check(SchemaType::Avro, old, without, Some(&json!({"a": 1})), false);
        assert!(passed && observed.starts_with("refused as expected"), "{observed}");

        let cs = cases(SchemaType::Avro, old, without, "BACKWARD", 3).unwrap();
        assert_eq!(cs.len(), 2 * VALUES_PER_DIRECTION);
        assert!(cs
            .iter()
            .take(3)
            .all(|c| c.kind == CaseKind::Positive && c.expected_result.contains("required by BACKWARD")));
        assert!(cs.iter().skip(3).all(|c| c.kind == CaseKind::Edge));
        // Old values cannot be read by the new schema (b has no default); new values can be read by the old one.
        let results: Vec<bool> = cs
            .iter()
            .map(|c| match &c.expectation {
                Expectation::Compatibility { schema_type, writer, reader, readable } => {
                    check(*schema_type, writer, reader, c.input.value.as_ref(), *readable).0
                }
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(results, [false, false, false, true, true, true]);
    }
}
