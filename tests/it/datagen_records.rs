//! Generated records checked by validators that are not the generator's: the `jsonschema` crate built here
//! (formats on) and, in one test, Python's `jsonschema` with its format checker.

use kafka_qa_mcp::datagen::entities::{Entity, References};
use kafka_qa_mcp::datagen::stream::{Mode, Spec, Stream, Target};
use kafka_qa_mcp::datagen::values::Window;
use serde_json::{json, Value};

/// A schema using every keyword the generator supports.
fn rich_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {
            "money": {"type": "number", "exclusiveMinimum": 0, "maximum": 10000, "multipleOf": 0.01},
            "line": {"type": "object", "required": ["sku", "qty", "price"], "additionalProperties": false, "properties": {
                "sku": {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
                "qty": {"type": "integer", "minimum": 1, "maximum": 99},
                "price": {"$ref": "#/$defs/money"}}}
        },
        "type": "object",
        "required": ["order_id", "email", "status", "items", "created_at", "version", "channel", "score"],
        "properties": {
            "order_id": {"type": "string", "format": "uuid"},
            "email": {"type": "string", "format": "email", "maxLength": 80},
            "customer_name": {"type": "string", "minLength": 2, "maxLength": 40},
            "status": {"enum": ["NEW", "PAID", "SHIPPED"]},
            "version": {"const": 2},
            "items": {"type": "array", "minItems": 1, "maxItems": 5, "items": {"$ref": "#/$defs/line"}},
            "created_at": {"type": "string", "format": "date-time"},
            "score": {"type": "integer", "exclusiveMinimum": -5, "exclusiveMaximum": 100, "multipleOf": 5},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1},
            "note": {"type": ["string", "null"], "maxLength": 30},
            "channel": {"oneOf": [
                {"type": "object", "required": ["kind", "store"], "properties": {"kind": {"const": "store"}, "store": {"type": "integer", "minimum": 1}}},
                {"type": "object", "required": ["kind", "url"], "properties": {"kind": {"const": "web"}, "url": {"type": "string", "format": "uri"}}}
            ]},
            "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 10}},
            "ip": {"type": "string", "format": "ipv4"},
            "flag": {"type": "boolean"}
        },
        "additionalProperties": false
    })
}

fn spec(target: Target, seed: u64, mode: Mode) -> Spec {
    Spec { target, seed, mode, window: Window::default(), defect_rate: 0.3, defect_constraints: vec![], profile: None }
}

fn targets() -> Vec<(String, Target)> {
    let mut t = vec![("rich schema".to_string(), Target::Schema(rich_schema()))];
    for e in Entity::all() {
        t.push((e.name().to_string(), Target::Entity(*e, References::default())));
    }
    t
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options().should_validate_formats(true).build(schema).expect("schema compiles")
}

#[test]
fn valid_and_edge_records_validate_and_entities_are_coherent() {
    for mode in [Mode::Valid, Mode::Edge] {
        for (name, target) in targets() {
            let mut stream = Stream::new(spec(target, 42, mode)).unwrap();
            let v = validator(stream.schema());
            let entity = stream.entity();
            for i in 0..1500 {
                let (record, tag) = stream.next_record();
                assert!(tag.is_none());
                let errors: Vec<String> =
                    v.iter_errors(&record).map(|e| format!("{} at {}", e, e.instance_path())).collect();
                assert!(errors.is_empty(), "{name} {mode:?} record {i} invalid: {errors:?}\n{record}");
                if let Some(e) = entity {
                    assert_eq!(e.coherence(&record), Vec::<String>::new(), "{name} {mode:?} record {i}: {record}");
                }
            }
        }
    }
}

#[test]
fn edge_mode_reaches_the_boundaries() {
    let mut stream = Stream::new(spec(Target::Schema(rich_schema()), 9, Mode::Edge)).unwrap();
    let records: Vec<Value> = (0..500).map(|_| stream.next_record().0).collect();
    let scores: Vec<i64> = records.iter().filter_map(|r| r["score"].as_i64()).collect();
    assert!(
        scores.contains(&0) && scores.contains(&95),
        "score bounds 0 and 95 (exclusive -5, 100; multiple of 5) reached"
    );
    assert!(records.iter().any(|r| r["items"].as_array().unwrap().len() == 5), "maxItems reached");
    assert!(
        records.iter().any(|r| r["customer_name"].as_str().is_some_and(|s| !s.is_ascii())),
        "unicode strings appear"
    );
    assert!(records.iter().any(|r| r["tags"].as_array().is_some_and(|t| t.is_empty())), "empty arrays appear");
}

#[test]
fn defect_records_violate_exactly_their_tag_at_the_stated_share() {
    for (name, target) in targets() {
        let mut stream = Stream::new(spec(target, 5, Mode::Defect)).unwrap();
        let v = validator(stream.schema());
        let mut tagged = 0;
        let mut constraints = std::collections::BTreeSet::new();
        for i in 0..1000 {
            let (record, tag) = stream.next_record();
            let errors: Vec<(String, String)> = v
                .iter_errors(&record)
                .map(|e| (e.instance_path().to_string(), e.kind().keyword().to_string()))
                .collect();
            match tag {
                None => assert!(errors.is_empty(), "{name} record {i} untagged but invalid: {errors:?}"),
                Some(d) => {
                    tagged += 1;
                    constraints.insert(d.constraint.clone());
                    assert_eq!(errors.len(), 1, "{name} record {i}: tag {d:?}, errors {errors:?}\n{record}");
                    assert!(
                        d.is_reported_as(&errors[0].0, &errors[0].1),
                        "{name} record {i}: tag {d:?}, errors {errors:?}\n{record}"
                    );
                }
            }
        }
        assert_eq!(tagged as u64 + stream.defects_unavailable, 300, "{name}: 30% of 1000");
        assert_eq!(stream.defects_unavailable, 0, "{name}");
        assert!(constraints.len() >= 4, "{name}: defects spread over constraints, got {constraints:?}");
    }
}

#[test]
fn named_defect_constraints_are_the_only_ones_broken() {
    let mut s = spec(Target::Schema(rich_schema()), 3, Mode::Defect);
    s.defect_constraints = vec!["format".into(), "enum".into()];
    let mut stream = Stream::new(s).unwrap();
    for _ in 0..200 {
        if let (_, Some(d)) = stream.next_record() {
            assert!(d.constraint == "format" || d.constraint == "enum", "{d:?}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    for (name, _) in targets() {
        let render = |seed: u64| {
            let target = targets().into_iter().find(|(n, _)| *n == name).unwrap().1;
            let mut stream = Stream::new(spec(target, seed, Mode::Defect)).unwrap();
            (0..300).map(|_| serde_json::to_string(&stream.next_record()).unwrap()).collect::<Vec<_>>().join("\n")
        };
        assert_eq!(render(11), render(11), "{name}");
        assert_ne!(render(11), render(12), "{name}");
    }
}

#[test]
fn orders_refer_to_the_users_and_products_of_the_same_seed() {
    let users: Vec<Value> = {
        let mut s = Stream::new(spec(Target::Entity(Entity::User, References::default()), 77, Mode::Valid)).unwrap();
        (0..20).map(|_| s.next_record().0).collect()
    };
    let products: Vec<Value> = {
        let mut s = Stream::new(spec(Target::Entity(Entity::Product, References::default()), 77, Mode::Valid)).unwrap();
        (0..10).map(|_| s.next_record().0).collect()
    };
    let refs = References { users: 20, products: 10, orders: 0 };
    let mut orders = Stream::new(spec(Target::Entity(Entity::Order, refs), 77, Mode::Valid)).unwrap();
    for _ in 0..200 {
        let (o, _) = orders.next_record();
        assert!(users.iter().any(|u| u["user_id"] == o["customer_id"]), "{}", o["customer_id"]);
        for item in o["items"].as_array().unwrap() {
            assert!(products.iter().any(|p| p["product_id"] == item["product_id"]));
        }
    }
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the test Python: run tools/test")]
#[test]
fn python_jsonschema_agrees_that_valid_and_edge_records_validate() {
    let python = &std::env::var("PYTHON")
        .expect("PYTHON is not set: tools/test sets it (tools/test-deps installs the test Python)");
    assert!(std::path::Path::new(python).exists(), "{python} missing: run tools/test-deps (installs the test Python)");
    let dir = tempfile::tempdir().unwrap();
    let mut cases = vec![];
    for mode in [Mode::Valid, Mode::Edge] {
        for (name, target) in targets() {
            let mut stream = Stream::new(spec(target, 8, mode)).unwrap();
            let file = dir.path().join(format!("{name}-{mode:?}.ndjson").replace(' ', "_"));
            let lines: Vec<String> = (0..300).map(|_| stream.next_record().0.to_string()).collect();
            std::fs::write(&file, lines.join("\n")).unwrap();
            let schema_file = file.with_extension("schema.json");
            std::fs::write(&schema_file, stream.schema().to_string()).unwrap();
            cases.push(json!([schema_file, file]));
        }
    }
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator, FormatChecker
bad = 0
for schema_file, data_file in json.loads(sys.argv[1]):
    v = Draft202012Validator(json.load(open(schema_file)), format_checker=FormatChecker())
    for n, line in enumerate(open(data_file, encoding="utf-8")):
        for e in v.iter_errors(json.loads(line)):
            bad += 1
            print(data_file, n, e.message[:200])
print("checked", len(json.loads(sys.argv[1])), "files; invalid:", bad)
sys.exit(1 if bad else 0)
"#;
    let out =
        std::process::Command::new(python).arg("-c").arg(script).arg(Value::Array(cases).to_string()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Python jsonschema found invalid records:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("invalid: 0"), "{text}");
}
