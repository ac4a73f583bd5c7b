//! Inference and validation together: every inferred schema must accept its own samples.

use super::*;
use crate::error::Error;
use serde_json::{json, Value};

fn infer(samples: &[Value]) -> Inference {
    let mut inf = Inferrer::new();
    for s in samples {
        inf.add(s);
    }
    inf.finish()
}

fn field<'a>(i: &'a Inference, path: &str) -> &'a FieldStats {
    i.fields
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no field {path} in {:?}", i.fields.iter().map(|f| &f.path).collect::<Vec<_>>()))
}

fn assert_accepts_all(i: &Inference, samples: &[Value]) {
    let v = Validator::new(&i.schema).expect("inferred schema compiles");
    for s in samples {
        assert_eq!(v.errors(s), vec![], "schema {} rejects {s}", i.schema);
    }
}

/// Orders with nested items, a nullable coupon, an optional note and categorical fields.
pub fn orders(n: usize) -> Vec<Value> {
    let statuses = ["created", "paid", "shipped"];
    (0..n)
        .map(|i| {
            let items: Vec<Value> = (0..(i % 3 + 1))
                .map(|j| json!({"sku": format!("SKU-{:04}", (i * 7 + j) % 500), "qty": j + 1, "price": 9.5 + (i % 10) as f64}))
                .collect();
            let mut o = json!({
                "order_id": format!("{:08x}-0000-4000-8000-{:012x}", i, i * 31),
                "customer": {"email": format!("user{i}@example.com"), "ip": format!("10.0.{}.{}", i % 256, (i * 3) % 256)},
                "status": statuses[i % 3],
                "created_at": format!("2024-01-{:02}T10:{:02}:00Z", i % 28 + 1, i % 60),
                "items": items,
                "coupon": if i % 4 == 0 { Value::Null } else { json!(format!("C{}", i % 5)) },
                "total": (i * 13 % 1000) as i64,
            });
            if i % 2 == 0 {
                o["note"] = json!("leave at the door");
            }
            o
        })
        .collect()
}

#[test]
fn orders_schema_has_types_required_nesting_and_accepts_every_sample() {
    let samples = orders(60);
    let i = infer(&samples);
    assert_eq!(i.samples, 60);
    let s = &i.schema;
    assert_eq!(s["$schema"], json!(infer::SCHEMA_DIALECT));
    assert_eq!(s["type"], json!("object"));
    let required: Vec<&str> = s["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for r in ["order_id", "customer", "status", "created_at", "items", "coupon", "total"] {
        assert!(required.contains(&r), "{r} should be required: {required:?}");
    }
    assert!(!required.contains(&"note"), "note is in half of the samples");
    assert_eq!(field(&i, "note").presence, 0.5);
    let item = &s["properties"]["items"]["items"];
    assert_eq!(item["type"], json!("object"));
    assert_eq!(
        item["properties"]["qty"],
        json!({"type": "integer", "minimum": 1, "maximum": 3, "examples": [1, 2, 3]})
    );
    assert_eq!(item["required"], json!(["sku", "qty", "price"]));
    assert_eq!(s["properties"]["items"]["minItems"], json!(1));
    assert_eq!(s["properties"]["items"]["maxItems"], json!(3));
    assert_eq!(
        field(&i, "items[].sku").types["string"],
        samples.iter().map(|o| o["items"].as_array().unwrap().len()).sum::<usize>()
    );
    assert_eq!(field(&i, "customer.email").format.as_deref(), Some("email"));
    assert_eq!(s["properties"]["total"]["minimum"], json!(0));
    assert_accepts_all(&i, &samples);
}

#[test]
fn formats_are_detected_only_when_every_value_matches() {
    let mut samples: Vec<Value> = (0..8)
        .map(|k| {
            json!({
                "at": format!("2024-03-0{}T12:00:0{}.5+01:00", k + 1, k),
                "day": format!("2024-03-0{}", k + 1),
                "id": format!("123e4567-e89b-12d3-a456-42661417400{k}"),
                "mail": format!("a{k}@shop.example"),
                "ip": format!("192.168.1.{k}"),
                "url": format!("https://shop.example/p/{k}?ref=mail"),
                "mixed": if k == 7 { "not a date".to_string() } else { format!("2024-03-0{}", k + 1) },
                "maybe_day": if k % 2 == 0 { Value::Null } else { json!(format!("2024-03-0{}", k + 1)) },
            })
        })
        .collect();
    samples.push(json!({"at": "2024-03-09T00:00:00Z", "day": "2024-03-09", "id": "00000000-0000-0000-0000-000000000000", "mail": "x@y.io", "ip": "1.2.3.4", "url": "http://localhost:8080/", "mixed": "2024-03-09", "maybe_day": null}));
    let i = infer(&samples);
    let fmt = |p: &str| field(&i, p).format.clone();
    assert_eq!(fmt("at").as_deref(), Some("date-time"));
    assert_eq!(fmt("day").as_deref(), Some("date"));
    assert_eq!(fmt("id").as_deref(), Some("uuid"));
    assert_eq!(fmt("mail").as_deref(), Some("email"));
    assert_eq!(fmt("ip").as_deref(), Some("ipv4"));
    assert_eq!(fmt("url").as_deref(), Some("uri"));
    assert_eq!(fmt("mixed"), None, "one value is not a date");
    assert_eq!(fmt("maybe_day").as_deref(), Some("date"), "nulls do not break a format");
    assert_eq!(i.schema["properties"]["maybe_day"]["type"], json!(["string", "null"]));
    assert_accepts_all(&i, &samples);
    // The format is asserted: a later non-date fails.
    let v = Validator::new(&i.schema).unwrap();
    let mut bad = samples[0].clone();
    bad["day"] = json!("2024-13-01");
    assert_eq!(v.errors(&bad).iter().map(|e| e.path.as_str()).collect::<Vec<_>>(), vec!["$.day"]);
}

#[test]
fn enums_need_few_short_repeated_strings() {
    let samples: Vec<Value> = (0..40)
        .map(|k| {
            json!({
                "status": (["new", "paid", "paid", "void"][k % 4]),
                "currency": "EUR",
                "name": format!("customer {k}"),
                "level": if k % 5 == 0 { Value::Null } else { json!((["gold", "silver"][k % 2])) },
                "code": if k % 2 == 0 { json!("A") } else { json!(1) },
            })
        })
        .collect();
    let i = infer(&samples);
    assert_eq!(field(&i, "status").enum_candidates, Some(vec![json!("paid"), json!("new"), json!("void")]));
    assert_eq!(field(&i, "currency").enum_candidates, Some(vec![json!("EUR")]));
    assert_eq!(field(&i, "name").enum_candidates, None, "40 distinct values is not a category");
    assert_eq!(field(&i, "code").enum_candidates, None, "not only strings");
    assert_eq!(i.schema["properties"]["level"]["enum"], json!(["gold", "silver", null]));
    assert_accepts_all(&i, &samples);
    // Three samples are too few to call anything an enum.
    assert_eq!(field(&infer(&samples[..3]), "currency").enum_candidates, None);
    // The cap: 11 distinct values with the default of 10 is no enum, with a cap of 12 it is.
    let many: Vec<Value> = (0..44).map(|k| json!({"c": format!("v{}", k % 11)})).collect();
    assert_eq!(field(&infer(&many), "c").enum_candidates, None);
    let mut wide =
        Inferrer::with_options(InferOptions { max_enum_candidates: 12, max_examples: 2, ..Default::default() });
    many.iter().for_each(|m| wide.add(m));
    let wide = wide.finish();
    assert_eq!(field(&wide, "c").enum_candidates.as_ref().map(Vec::len), Some(11));
    assert_eq!(field(&wide, "c").examples.len(), 2);
}

#[test]
fn unions_widen_integers_and_keep_other_types_apart() {
    let samples = vec![
        json!({"n": 1, "x": "a", "tags": ["a", 1], "deep": {"a": 1}}),
        json!({"n": 2.5, "x": 7, "tags": [], "deep": null}),
        json!({"n": -3, "x": {"k": true}, "tags": [null, 2.5], "deep": {"a": "s", "b": [1]}}),
    ];
    let i = infer(&samples);
    let p = &i.schema["properties"];
    assert_eq!(p["n"]["type"], json!("number"));
    assert_eq!((p["n"]["minimum"].clone(), p["n"]["maximum"].clone()), (json!(-3), json!(2.5)));
    assert_eq!(p["x"]["type"], json!(["object", "string", "integer"]));
    assert_eq!(p["tags"]["items"]["type"], json!(["string", "number", "null"]));
    assert_eq!(p["tags"]["minItems"], json!(0));
    assert_eq!(p["deep"]["type"], json!(["object", "null"]));
    assert_eq!(p["deep"]["required"], json!(["a"]));
    assert_eq!(field(&i, "tags[]").presence, 2.0 / 3.0);
    assert!(field(&i, "deep").nullable);
    assert_eq!(field(&i, "x").types.len(), 3);
    assert_accepts_all(&i, &samples);
}

#[test]
fn confidence_grows_with_samples_and_falls_with_disagreement_and_sparseness() {
    let consistent: Vec<Value> = (0..50).map(|k| json!({"id": k, "name": format!("n{k}")})).collect();
    let conflicting: Vec<Value> = (0..50)
        .map(|k| if k % 2 == 0 { json!({"id": k, "name": "x"}) } else { json!({"id": "k", "name": {"first": "x"}}) })
        .collect();
    let sparse: Vec<Value> = (0..50)
        .map(|k| {
            if k % 10 == 0 {
                json!({"id": k, "name": "n", "rare": 1, "rarer": 2})
            } else {
                json!({"id": k, "name": "n"})
            }
        })
        .collect();
    let c = infer(&consistent).confidence;
    assert!(infer(&conflicting).confidence < c * 0.8, "{} vs {c}", infer(&conflicting).confidence);
    assert!(infer(&sparse).confidence < c, "{} vs {c}", infer(&sparse).confidence);
    assert!(infer(&consistent[..5]).confidence < c);
    assert!(infer(&orders(1000)).confidence > 0.95);
    assert!((0.0..=1.0).contains(&c));
    assert_eq!(infer(&[]).confidence, 0.0);
}

#[test]
fn scalars_and_empty_input() {
    let empty = infer(&[]);
    assert_eq!((empty.samples, empty.fields.len()), (0, 0));
    assert_eq!(empty.schema, json!({"$schema": infer::SCHEMA_DIALECT}));
    let scalars = vec![json!("a"), json!("bb"), json!(null)];
    let i = infer(&scalars);
    assert_eq!(i.fields[0].path, "$");
    assert_eq!(i.schema["type"], json!(["string", "null"]));
    assert_eq!((i.fields[0].min_length, i.fields[0].max_length), (Some(1), Some(2)));
    assert_accepts_all(&i, &scalars);
}

#[test]
fn memory_stays_bounded_with_many_distinct_values_and_keys() {
    let mut inf = Inferrer::new();
    for k in 0..5000 {
        // A map keyed by ids: keys beyond the cap are counted, not tracked.
        inf.add(&json!({"by_id": {format!("id{k}"): k}, "s": format!("value number {k}")}));
    }
    let i = inf.finish();
    assert!(i.fields.len() <= node::MAX_PROPERTIES + 3, "{}", i.fields.len());
    assert_eq!(field(&i, "s").enum_candidates, None);
    assert!(field(&i, "s").examples.len() <= 3);
    // Untracked keys stay allowed.
    let v = Validator::new(&i.schema).unwrap();
    assert!(v.is_valid(&json!({"by_id": {"id4999": 4999}, "s": "value number 1"})));
}

#[test]
fn validator_reports_paths_and_refuses_bad_schemas() {
    let v = Validator::new(&json!({
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string", "format": "uuid"}, "items": {"type": "array", "items": {"properties": {"qty": {"minimum": 1}}}}}
    }))
    .unwrap();
    let errs = v.errors(&json!({"id": "nope", "items": [{"qty": 1}, {"qty": 0}]}));
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["$.id", "$.items[1].qty"], "{errs:?}");
    assert!(errs[0].message.contains("uuid"), "{}", errs[0].message);
    assert_eq!(v.errors(&json!({})).len(), 1);
    for bad in [json!({"type": "strang"}), json!({"properties": {"a": {"minimum": "one"}}}), json!([1])] {
        match Validator::new(&bad) {
            Err(Error::BadInput { argument, expected }) => {
                assert_eq!(argument, "schema");
                assert!(expected.contains("JSON Schema"), "{expected}");
            }
            other => panic!("{bad} should be refused, got {:?}", other.map(|_| ())),
        }
    }
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the test Python: run tools/test")]
#[test]
fn python_jsonschema_accepts_what_was_inferred() {
    let python = &std::env::var("PYTHON")
        .expect("PYTHON is not set: tools/test sets it (tools/test-deps installs the test Python)");
    assert!(
        std::path::Path::new(python).exists(),
        "{python} is missing: run tools/stack up (it installs the test Python)"
    );
    let mut samples = orders(200);
    samples.push(json!({"order_id": "00000000-0000-4000-8000-000000000000", "customer": {"email": "z@example.org", "ip": "1.1.1.1"}, "status": "paid", "created_at": "2024-02-29T23:59:59.999-05:00", "items": [{"sku": "S", "qty": 2, "price": 3}], "coupon": null, "total": 5}));
    let i = infer(&samples);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.json"), i.schema.to_string()).unwrap();
    let mut lines: Vec<String> = samples.iter().map(Value::to_string).collect();
    // One sample that must be rejected, so the check can fail.
    lines.push(json!({"status": "lost"}).to_string());
    std::fs::write(dir.path().join("samples.ndjson"), lines.join("\n")).unwrap();
    let script = r#"
import json, sys, jsonschema
d = sys.argv[1]
schema = json.load(open(d + "/schema.json"))
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
bad = [n for n, line in enumerate(open(d + "/samples.ndjson")) if not v.is_valid(json.loads(line))]
print(json.dumps(bad))
"#;
    let out = std::process::Command::new(python).args(["-c", script, dir.path().to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rejected: Vec<usize> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rejected, vec![samples.len()], "Python rejected inferred samples");
}

#[test]
fn inference_from_text_equals_inference_from_values() {
    let mut samples = orders(300);
    samples.extend([
        json!({"n": 1, "x": "a\u{e9}\"q", "tags": ["a", 1], "deep": {"a": 1}, "big": 18446744073709551615u64, "neg": -9007199254740993i64}),
        json!({"n": 2.5, "x": 7, "tags": [], "deep": null, "e": []}),
        json!([1, {"k": null}]),
        json!("scalar"),
    ]);
    let from_values = infer(&samples);
    let mut text = Inferrer::new();
    for s in &samples {
        text.add_json(s.to_string().as_bytes()).unwrap();
    }
    let from_text = text.finish();
    assert_eq!(serde_json::to_value(&from_text).unwrap(), serde_json::to_value(&from_values).unwrap());
    assert!(Inferrer::new().add_json(b"{\"a\": 1} trailing").is_err());
    assert!(Inferrer::new().add_json(b"{\"a\": ").is_err());
}

#[test]
fn field_stats_of_objects_and_arrays_match_their_published_schema() {
    // Clients (the Python MCP SDK) validate structured content against the output schema: a field skipped when
    // empty must not be `required` there. Objects and arrays have no examples.
    let i = infer(&orders(20));
    let schema = serde_json::to_value(schemars::schema_for!(FieldStats)).unwrap();
    let v = Validator::new(&schema).expect("the FieldStats schema compiles");
    assert!(i.fields.iter().any(|f| f.examples.is_empty()), "the sample has object fields");
    for f in &i.fields {
        let value = serde_json::to_value(f).unwrap();
        assert_eq!(v.errors(&value), vec![], "{value}");
    }
}
