//! Draft 2020-12 keywords in generated records, checked by validators that are not the generator's: three
//! realistic schemas (`tests/fixtures/schemas/`: an order, a user profile with addresses, an event envelope
//! with `oneOf` payloads) that together use every keyword. Valid and edge records must all validate, every
//! defect record must be invalid exactly where its tag says, and the records must be coherent.

use kafka_qa_mcp::datagen::stream::{Mode, Spec, Stream, Target};
use kafka_qa_mcp::datagen::values::Window;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SCHEMAS: &[&str] = &["order", "user_profile", "event_envelope"];
const ORDER_RELATION: &str = "total = sum(items[].qty * items[].unit_price)";

fn schema(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/schemas/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn stream(name: &str, seed: u64, mode: Mode, defect_constraints: Vec<String>) -> Stream {
    let spec = Spec {
        target: Target::Schema(schema(name)),
        seed,
        mode,
        window: Window::default(),
        defect_rate: if mode == Mode::Defect { 1.0 } else { 0.0 },
        defect_constraints,
        profile: None,
    };
    let relations = if name == "order" { vec![ORDER_RELATION.to_string()] } else { vec![] };
    Stream::new(spec).unwrap().with_relations(&relations).unwrap()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options().should_validate_formats(true).build(schema).unwrap()
}

#[test]
fn valid_and_edge_records_of_every_keyword_validate() {
    for name in SCHEMAS {
        for mode in [Mode::Valid, Mode::Edge] {
            let mut s = stream(name, 7, mode, vec![]);
            let v = validator(s.schema());
            for i in 0..600 {
                let (r, tag) = s.next_record();
                assert!(tag.is_none());
                let errors: Vec<String> = v.iter_errors(&r).map(|e| format!("{e} at {}", e.instance_path())).collect();
                assert!(errors.is_empty(), "{name} {mode:?} record {i}: {errors:?}\n{r}");
            }
            assert_eq!(s.unmet, 0, "{name} {mode:?}");
        }
    }
}

/// One small schema per keyword: its records validate, show the keyword at work, and a defect can break it.
#[test]
fn each_keyword_alone() {
    type Check = fn(&Value) -> bool;
    let cases: Vec<(&str, Value, Check)> = vec![
        (
            "uniqueItems",
            json!({"type": "array", "items": {"enum": [1, 2, 3, 4]}, "minItems": 3, "maxItems": 4, "uniqueItems": true}),
            |v| {
                let a = v.as_array().unwrap();
                a.iter().enumerate().all(|(i, x)| !a[..i].contains(x))
            },
        ),
        (
            "uniqueItems",
            json!({"type": "array", "items": {"type": "object", "properties": {"k": {"enum": ["a", "b", "c"]}}, "required": ["k"], "additionalProperties": false}, "minItems": 2, "maxItems": 3, "uniqueItems": true}),
            |v| {
                let a = v.as_array().unwrap();
                a.iter().enumerate().all(|(i, x)| !a[..i].contains(x))
            },
        ),
        (
            "contains",
            json!({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9}, "contains": {"const": 7}, "minContains": 2, "maxContains": 3, "maxItems": 6}),
            |v| (2..=3).contains(&v.as_array().unwrap().iter().filter(|x| **x == 7).count()),
        ),
        (
            "dependentRequired",
            json!({"type": "object", "properties": {"card": {"type": "string"}, "cvv": {"type": "string", "pattern": "^\\d{3}$"}}, "required": ["card"], "dependentRequired": {"card": ["cvv"]}}),
            |v| v.get("cvv").is_some(),
        ),
        (
            "dependentSchemas",
            json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a"], "dependentSchemas": {"a": {"required": ["b"], "properties": {"b": {"minimum": 100}}}}}),
            |v| v["b"].as_i64().is_some_and(|b| b >= 100),
        ),
        (
            "if",
            json!({"type": "object", "properties": {"country": {"enum": ["US", "DE"]}, "zip": {"type": "string"}}, "required": ["country", "zip"],
            "if": {"properties": {"country": {"const": "US"}}}, "then": {"properties": {"zip": {"pattern": "^\\d{5}$"}}}, "else": {"properties": {"zip": {"pattern": "^D-\\d{4}$"}}}}),
            |v| {
                if v["country"] == "US" {
                    v["zip"].as_str().unwrap().len() == 5
                } else {
                    v["zip"].as_str().unwrap().starts_with("D-")
                }
            },
        ),
        (
            "propertyNames",
            json!({"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}, "additionalProperties": {"type": "integer"}, "minProperties": 2}),
            |v| {
                v.as_object().unwrap().keys().all(|k| k.chars().all(|c| c.is_ascii_lowercase()))
                    && v.as_object().unwrap().len() >= 2
            },
        ),
        (
            "patternProperties",
            json!({"type": "object", "patternProperties": {"^S_": {"type": "string", "maxLength": 5}, "^I_": {"type": "integer"}}, "additionalProperties": false, "minProperties": 1}),
            |v| {
                v.as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, x)| (k.starts_with("S_") && x.is_string()) || (k.starts_with("I_") && x.is_i64()))
            },
        ),
        ("const", json!({"type": "object", "properties": {"v": {"const": 2}}, "required": ["v"]}), |v| v["v"] == 2),
        ("exclusiveMinimum", json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5}), |v| {
            let x = v.as_f64().unwrap();
            x > 0.0 && x < 0.5
        }),
        ("multipleOf", json!({"type": "number", "minimum": 0.1, "maximum": 99, "multipleOf": 0.05}), |v| {
            let q = v.as_f64().unwrap() / 0.05;
            q.fract() == 0.0
        }),
        (
            "maxProperties",
            json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}, "d": {"type": "integer"}}, "maxProperties": 2}),
            |v| v.as_object().unwrap().len() <= 2,
        ),
        (
            "prefixItems",
            json!({"type": "array", "prefixItems": [{"type": "string", "format": "uuid"}, {"type": "integer"}], "items": false, "minItems": 2}),
            |v| v[0].is_string() && v[1].is_i64() && v.as_array().unwrap().len() == 2,
        ),
        (
            "oneOf",
            json!({"oneOf": [{"type": "integer", "multipleOf": 3}, {"type": "integer", "multipleOf": 5}], "minimum": 1, "maximum": 100}),
            |v| {
                let x = v.as_i64().unwrap();
                (x % 3 == 0) != (x % 5 == 0)
            },
        ),
    ];
    for (keyword, schema, check) in cases {
        let spec = |mode, rate| Spec {
            target: Target::Schema(schema.clone()),
            seed: 9,
            mode,
            window: Window::default(),
            defect_rate: rate,
            defect_constraints: vec![],
            profile: None,
        };
        let v = validator(&schema);
        let mut s = Stream::new(spec(Mode::Valid, 0.0)).unwrap();
        for _ in 0..200 {
            let r = s.next_record().0;
            assert!(v.is_valid(&r), "{keyword}: invalid {r}");
            assert!(check(&r), "{keyword}: not honoured in {r}");
        }
        let mut s = Stream::new(spec(Mode::Defect, 1.0)).unwrap();
        for _ in 0..50 {
            if let (r, Some(d)) = s.next_record() {
                let errors: Vec<(String, String)> = v
                    .iter_errors(&r)
                    .map(|e| (e.instance_path().to_string(), e.kind().keyword().to_string()))
                    .collect();
                assert!(
                    errors.len() == 1 && d.is_reported_as(&errors[0].0, &errors[0].1),
                    "{keyword}: {d:?} {errors:?} {r}"
                );
            }
        }
    }
}

#[test]
fn keywords_are_honoured_not_just_passed() {
    let mut s = stream("user_profile", 3, Mode::Valid, vec![]);
    let records: Vec<Value> = (0..400).map(|_| s.next_record().0).collect();
    let some = |f: &dyn Fn(&Value) -> bool| records.iter().any(f);
    // patternProperties and additionalProperties-as-schema both generate names; propertyNames holds.
    assert!(some(&|r| r["preferences"].as_object().unwrap().keys().any(|k| k.starts_with("notify_"))));
    assert!(some(&|r| r["metadata"].as_object().is_some_and(|m| m.keys().any(|k| k.starts_with("x-")))));
    // contains with minContains = maxContains = 1: exactly one default address, with several addresses.
    for r in &records {
        let defaults = r["addresses"].as_array().unwrap().iter().filter(|a| a["is_default"] == true).count();
        assert_eq!(defaults, 1, "{r}");
    }
    assert!(some(&|r| r["addresses"].as_array().unwrap().len() > 1));
    // prefixItems with items: false.
    assert!(some(&|r| r["phones"].as_array().is_some_and(|p| p.len() == 2 && p[1].is_string())));
    // dependentRequired.
    for r in records.iter().filter(|r| r.get("marketing_channel").is_some()) {
        assert!(r.get("marketing_opt_in").is_some(), "{r}");
    }
    // anyOf with null and an object both appear.
    assert!(some(&|r| r["loyalty"].is_null() && r.get("loyalty").is_some()) && some(&|r| r["loyalty"].is_object()));

    let mut s = stream("event_envelope", 4, Mode::Valid, vec![]);
    let events: Vec<Value> = (0..300).map(|_| s.next_record().0).collect();
    let kinds: std::collections::BTreeSet<&str> = events.iter().filter_map(|e| e["payload"]["kind"].as_str()).collect();
    assert_eq!(kinds.len(), 3, "every oneOf branch is generated: {kinds:?}");
    for e in &events {
        if let Some(tags) = e["tags"].as_array() {
            let mut sorted = tags.clone();
            sorted.sort_by_key(|t| t.to_string());
            sorted.dedup();
            assert_eq!(sorted.len(), tags.len(), "uniqueItems: {tags:?}");
            assert!(tags.iter().filter(|t| *t == "kafka").count() <= 1, "maxContains: {tags:?}");
        }
        if e["payload"]["method"] == "card" {
            assert!(e["payload"].get("card_last_four").is_some(), "if/then: {e}");
        }
    }
}

#[test]
fn every_defect_is_invalid_where_its_tag_says_and_reaches_every_keyword() {
    let mut reached: BTreeMap<String, usize> = BTreeMap::new();
    for name in SCHEMAS {
        let mut s = stream(name, 11, Mode::Defect, vec![]);
        let v = validator(s.schema());
        for i in 0..1500 {
            let (r, tag) = s.next_record();
            let d = tag.unwrap_or_else(|| panic!("{name} record {i}: no defect"));
            let errors: Vec<(String, String)> =
                v.iter_errors(&r).map(|e| (e.instance_path().to_string(), e.kind().keyword().to_string())).collect();
            assert_eq!(errors.len(), 1, "{name} record {i}: {d:?} gave {errors:?}\n{r}");
            assert!(d.is_reported_as(&errors[0].0, &errors[0].1), "{name} record {i}: {d:?} but {errors:?}\n{r}");
            *reached.entry(d.constraint.clone()).or_default() += 1;
        }
        assert_eq!(s.defects_unavailable, 0, "{name}");
    }
    for keyword in [
        "uniqueItems",
        "contains",
        "maxContains",
        "dependentRequired",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "oneOf",
        "anyOf",
        "maxItems",
        "minItems",
        "items",
        "const",
        "multipleOf",
        "exclusiveMaximum",
    ] {
        assert!(reached.contains_key(keyword), "no defect breaks {keyword}: {reached:?}");
    }
}

#[test]
fn defects_asked_for_by_keyword_are_made_inside_branches_and_nullable_fields() {
    for (name, keyword) in [
        ("order", "maxItems"),
        ("order", "uniqueItems"),
        ("order", "contains"),
        ("order", "dependentRequired"),
        ("user_profile", "maxContains"),
        ("user_profile", "propertyNames"),
        ("user_profile", "anyOf"),
        ("event_envelope", "oneOf"),
        ("event_envelope", "pattern"),
    ] {
        let mut s = stream(name, 5, Mode::Defect, vec![keyword.to_string()]);
        for _ in 0..50 {
            let (_, d) = s.next_record();
            let d = d.unwrap_or_else(|| panic!("{name}: no {keyword} defect"));
            // Inside a branch the tag names the broken keyword and the detail the `oneOf`/`anyOf` reporting it.
            assert!(d.constraint == keyword || d.detail.contains(&format!("`{keyword}`")), "{keyword}: {d:?}");
        }
        assert_eq!(s.defects_unavailable, 0, "{name} {keyword}");
    }
    // A nullable field holding null gets a non-null value breaking the non-null branch.
    let mut s = stream("user_profile", 6, Mode::Defect, vec!["maxLength".into()]);
    let found = (0..300).filter_map(|_| s.next_record().1).any(|d| d.path == "/nickname" && d.detail.contains("null"));
    assert!(found, "a maxLength defect on a null nickname");
    // Inside oneOf branches: the deep path is tagged; the validator reports the oneOf.
    let mut s = stream("event_envelope", 6, Mode::Defect, vec!["maxLength".into(), "multipleOf".into()]);
    let deep = (0..300)
        .filter_map(|_| s.next_record().1)
        .any(|d| d.path.starts_with("/payload/") && d.detail.contains("oneOf"));
    assert!(deep, "a defect inside a oneOf branch");
}

/// Shares of coherent records, printed (the README quotes them) and held to a floor.
#[test]
fn schema_records_are_coherent() {
    let mut s = stream("order", 21, Mode::Valid, vec![]);
    let n = 2000;
    let (mut sums, mut emails, mut places, mut currencies, mut ordered, mut with_updated) = (0, 0, 0, 0, 0, 0);
    let table = places_table();
    for _ in 0..n {
        let r = s.next_record().0;
        let sum: f64 = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["qty"].as_f64().unwrap() * i["unit_price"].as_f64().unwrap())
            .sum();
        sums += ((r["total"].as_f64().unwrap() - sum).abs() < 0.005) as usize;
        let c = &r["customer"];
        let local = c["email"].as_str().unwrap().split('@').next().unwrap().to_string();
        let last = ascii(c["last_name"].as_str().unwrap());
        emails += local.contains(&last) as usize;
        let addresses: Vec<&Value> = ["shipping_address", "billing_address"].iter().filter_map(|k| r.get(*k)).collect();
        places += addresses.iter().all(|a| {
            table.contains(&(a["country_code"].as_str().unwrap().to_string(), a["city"].as_str().unwrap().to_string()))
        }) as usize;
        let first_country = addresses.first().map(|a| a["country_code"].as_str().unwrap().to_string());
        currencies += first_country.is_none_or(|c| currency_of(&c).is_none_or(|cur| cur == r["currency"])) as usize;
        if let Some(u) = r.get("updated_at") {
            with_updated += 1;
            ordered += (r["created_at"].as_str().unwrap() <= u.as_str().unwrap()) as usize;
        }
    }
    let pct = |x: usize, of: usize| 100.0 * x as f64 / of.max(1) as f64;
    println!(
        "coherence over {n} orders: total = sum(qty * unit_price) {:.1}%, e-mail carries the last name {:.1}%, \
         country/city from one real row {:.1}%, currency of an enum-listed country matches {:.1}%, created_at <= updated_at {:.1}%",
        pct(sums, n),
        pct(emails, n),
        pct(places, n),
        pct(currencies, n),
        pct(ordered, with_updated)
    );
    assert_eq!(sums, n);
    assert!(pct(emails, n) > 95.0);
    assert_eq!(places, n);
    assert_eq!(ordered, with_updated);
    assert!(pct(currencies, n) > 80.0);
}

fn ascii(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

fn places_table() -> Vec<(String, String)> {
    kafka_qa_mcp::datagen::places::COUNTRIES
        .iter()
        .flat_map(|c| c.cities.iter().map(|city| (c.alpha2.to_string(), city.0.to_string())))
        .collect()
}

/// The currency of a country code, when the order schema's currency enum lists it.
fn currency_of(code: &str) -> Option<Value> {
    let c = kafka_qa_mcp::datagen::places::COUNTRIES.iter().find(|c| c.alpha2 == code)?;
    ["USD", "EUR", "GBP", "JPY", "CHF"].contains(&c.currency).then(|| json!(c.currency))
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the test Python: run tools/test")]
#[test]
fn python_jsonschema_agrees_valid_records_are_valid_and_defects_invalid() {
    let python = &std::env::var("PYTHON").expect("PYTHON is not set: tools/test sets it");
    let dir = tempfile::tempdir().unwrap();
    let mut cases = vec![];
    for name in SCHEMAS {
        let schema_file = dir.path().join(format!("{name}.schema.json"));
        std::fs::write(&schema_file, schema(name).to_string()).unwrap();
        for mode in [Mode::Valid, Mode::Edge, Mode::Defect] {
            let mut s = stream(name, 17, mode, vec![]);
            let file = dir.path().join(format!("{name}-{mode:?}.ndjson"));
            let lines: Vec<String> = (0..700)
                .map(|_| {
                    let (r, d) = s.next_record();
                    json!({"record": r, "defect": d}).to_string()
                })
                .collect();
            std::fs::write(&file, lines.join("\n")).unwrap();
            cases.push(json!([schema_file, file, mode == Mode::Defect]));
        }
    }
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator, FormatChecker
def flat(errors):
    for e in errors:
        yield e
        yield from flat(e.context or [])
fail = 0
checked_formats = set(FormatChecker().checkers)
def schema_at(schema, pointer):
    # The `format` of the field a defect names, looked up by property names anywhere in the schema.
    name = pointer.rsplit("/", 1)[-1]
    found = []
    def walk(s):
        if isinstance(s, dict):
            for k, v in (s.get("properties") or {}).items():
                if k == name and isinstance(v, dict) and "format" in v:
                    found.append(v["format"])
            for v in s.values():
                walk(v)
        elif isinstance(s, list):
            for v in s:
                walk(v)
    walk(schema)
    return found
for schema_file, data_file, defects in json.loads(sys.argv[1]):
    schema = json.load(open(schema_file))
    v = Draft202012Validator(schema, format_checker=FormatChecker())
    n = ok = unchecked = 0
    for line in open(data_file, encoding="utf-8"):
        row = json.loads(line)
        n += 1
        errors = list(v.iter_errors(row["record"]))
        if not defects:
            ok += not errors
            if errors:
                print("INVALID", data_file, errors[0].message[:200])
            continue
        d = row["defect"]
        if d["constraint"] == "format" and not set(schema_at(schema, d["path"])) & checked_formats:
            # This Python has no checker for the format (rfc3339-validator, fqdn, rfc3987 are optional).
            unchecked += 1
            n -= 1
            continue
        seen = {("/" + "/".join(map(str, e.absolute_path)) if e.absolute_path else "", e.validator) for e in flat(errors)}
        paths = {p for p, _ in seen}
        near = any(d["path"] == p or d["path"].startswith(p + "/") or p.startswith(d["path"]) for p in paths)
        good = bool(errors) and near
        ok += good
        if not good:
            print("NOT A DEFECT", data_file, d, sorted(seen)[:5])
    rate = ok / max(n, 1)
    fail += ok != n
    note = f"; {unchecked} format defects of formats this Python does not check left out" if unchecked else ""
    print(f"{data_file.rsplit('/', 1)[-1]}: {ok}/{n} {'invalid as tagged' if defects else 'valid'} ({100 * rate:.1f}%){note}")
sys.exit(1 if fail else 0)
"#;
    let out =
        std::process::Command::new(python).arg("-c").arg(script).arg(Value::Array(cases).to_string()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(out.status.success(), "Python jsonschema disagrees:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
}
