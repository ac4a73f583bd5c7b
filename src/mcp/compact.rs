//! The schemas tools/list shows, derived in one place from the full schemas that arguments are validated
//! against and outputs are checked against. An agent pays for every byte of tools/list before its first
//! call, so the listed schemas keep what it needs to choose and call a tool: definitions inlined, numeric
//! `format`s, null defaults and titles dropped, nullable unions folded into `type`, each description cut to
//! its first sentence, and rarely used arguments left out (still accepted and validated as before; the
//! listing names them, and `schema://tools/{name}` serves the full schema with every argument's docs).

use serde_json::{json, Map, Value};

/// Prefix of the resource that serves a tool's full input schema.
pub const SCHEMA_URI_PREFIX: &str = "schema://tools/";

/// The common byte-budget argument (registry.rs adds it to every tool).
const BUDGET_ARGUMENT: &str = "max_output_bytes";

/// Per tool: arguments left out of tools/list (`rare`), arguments shown only as their type and first
/// sentence (`brief`, for large nested shapes), and objects shown with their property names and types only
/// (`outline`). All stay accepted and validated against the full schema.
struct Shape {
    tool: &'static str,
    rare: &'static [&'static str],
    brief: &'static [&'static str],
    outline: &'static [&'static str],
}

const SHAPES: &[Shape] = &[
    Shape { tool: "list_topics", rare: &["include_internal", "limit", "cursor"], brief: &[], outline: &[] },
    Shape { tool: "infer_schema", rare: &["max_bytes", "timeout_ms", "tail_count"], brief: &[], outline: &[] },
    Shape {
        tool: "peek_messages",
        rare: &["scan_messages", "max_bytes", "max_value_bytes", "timeout_ms"],
        brief: &[],
        outline: &[],
    },
    Shape {
        tool: "produce_test_message",
        rare: &["on_invalid", "verify", "subject_strategy", "record_name"],
        brief: &["messages"],
        outline: &[],
    },
    Shape {
        tool: "generate_test_data",
        rare: &[
            "defect_constraints",
            "references",
            "time_from",
            "time_to",
            "overwrite",
            "rate_per_second",
            "sample_size",
            "defect_rate",
        ],
        brief: &[],
        outline: &[],
    },
    Shape {
        tool: "generate_test_cases",
        rare: &["positives", "kinds", "user_story", "max_cases"],
        brief: &["cases"],
        outline: &["target"],
    },
    Shape {
        tool: "run_test_cases",
        rare: &["parallelism", "report_formats", "timeout_ms"],
        brief: &["cases"],
        outline: &[],
    },
    Shape { tool: "loki_query", rare: &["direction", "max_patterns", "max_points", "limit"], brief: &[], outline: &[] },
    Shape {
        tool: "prom_snapshot",
        rare: &["at", "step", "max_points", "shape_points", "max_series", "group"],
        brief: &[],
        outline: &[],
    },
    Shape { tool: "graph_rca", rare: &["persist"], brief: &["observations"], outline: &["confirm"] },
    Shape { tool: "export_parquet", rare: &["overwrite", "compression", "max_rows"], brief: &["source"], outline: &[] },
    Shape { tool: "check_schema_compatibility", rare: &["subject_strategy", "record_name"], brief: &[], outline: &[] },
];

/// The argument names of a tool that tools/list leaves out or shows briefly (for tests).
pub fn shaped_arguments(tool: &str) -> Vec<&'static str> {
    SHAPES
        .iter()
        .filter(|s| s.tool == tool)
        .flat_map(|s| s.rare.iter().chain(s.brief).chain(s.outline))
        .copied()
        .collect()
}

/// The tools that have a shape entry (for tests: a renamed tool must not leave a stale entry).
pub fn shaped_tools() -> Vec<&'static str> {
    SHAPES.iter().map(|s| s.tool).collect()
}

/// The input schema tools/list shows for `tool`.
pub fn input(tool: &str, full: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = inline_refs(full);
    simplify(&mut schema);
    loosen_for_listing(&mut schema, true);
    let shape = SHAPES.iter().find(|s| s.tool == tool);
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        // Every tool takes it; the server's instructions say so once instead of twelve times.
        props.shift_remove(BUDGET_ARGUMENT);
        // An argument's own description says what its parts are.
        props.values_mut().for_each(drop_nested_descriptions);
    }
    let mut left_out = vec![];
    let mut briefed = false;
    if let (Some(shape), Some(Value::Object(props))) = (shape, schema.get_mut("properties")) {
        for name in shape.rare {
            if props.shift_remove(*name).is_some() {
                left_out.push(*name);
            }
        }
        for (name, outlined) in shape.brief.iter().map(|n| (n, false)).chain(shape.outline.iter().map(|n| (n, true))) {
            if let Some(p) = props.get_mut(*name) {
                *p = brief(p, outlined);
                briefed = true;
            }
        }
    }
    let mut out = match schema {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    // The listed properties are not all the tool takes (max_output_bytes at least): the full schema says
    // which others exist, and the server refuses unknown ones against it.
    out.shift_remove("additionalProperties");
    if !left_out.is_empty() {
        out.insert("description".into(), json!(format!("Also: {} ({SCHEMA_URI_PREFIX}{tool}).", left_out.join(", "))));
    } else if briefed {
        out.insert("description".into(), json!(format!("Full schema: {SCHEMA_URI_PREFIX}{tool}.")));
    }
    out
}

/// The output schema tools/list shows: the same values validate (clients check structured content against
/// it), with less text.
pub fn output(full: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = inline_refs(full);
    simplify(&mut schema);
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.values_mut().for_each(drop_nested_descriptions);
    }
    match schema {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A large nested argument shown as its type and first sentence, and when `outlined` its property names with
/// their types; the full schema has the rest.
fn brief(p: &Value, outlined: bool) -> Value {
    let mut out = Map::new();
    match p.get("type") {
        Some(t) => {
            out.insert("type".into(), t.clone());
        }
        // Alternatives of one type (export_parquet's source kinds): that type.
        None => {
            let alts = p.get("oneOf").or(p.get("anyOf")).and_then(Value::as_array);
            let types: Vec<&Value> = alts.into_iter().flatten().filter_map(|a| a.get("type")).collect();
            if let Some(first) = types.first().filter(|f| types.iter().all(|t| t == *f)) {
                out.insert("type".into(), (*first).clone());
            }
        }
    }
    if let Some(d) = p.get("description") {
        out.insert("description".into(), d.clone());
    }
    if let Some(Value::Object(props)) = p.get("properties").filter(|_| outlined) {
        let shallow: Map<String, Value> = props
            .iter()
            .map(|(k, v)| {
                let t = v.get("type").cloned().map(|t| json!({ "type": t })).unwrap_or_else(|| json!({}));
                (k.clone(), t)
            })
            .collect();
        out.insert("properties".into(), Value::Object(shallow));
        if let Some(r) = p.get("required") {
            out.insert("required".into(), r.clone());
        }
    }
    Value::Object(out)
}

/// Replaces `$ref`s to `#/$defs/..` by the definitions (the referring schema's own keywords win). A
/// recursive definition cannot be inlined: then the schema is returned with its definitions as they are.
fn inline_refs(full: &Map<String, Value>) -> Value {
    let mut schema = full.clone();
    let defs = match schema.shift_remove("$defs") {
        Some(Value::Object(d)) => d,
        Some(_) | None => return Value::Object(schema),
    };
    let mut stack = vec![];
    match inline(Value::Object(schema), &defs, &mut stack) {
        Some(v) => v,
        None => Value::Object(full.clone()),
    }
}

fn inline(v: Value, defs: &Map<String, Value>, stack: &mut Vec<String>) -> Option<Value> {
    match v {
        Value::Object(mut m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let name = r.strip_prefix("#/$defs/")?.to_string();
                if stack.contains(&name) {
                    return None;
                }
                let Some(Value::Object(def)) = defs.get(&name) else { return None };
                let mut merged = def.clone();
                m.shift_remove("$ref");
                if m.contains_key("description") {
                    merged.shift_remove("description");
                }
                merged.extend(m);
                stack.push(name);
                let out = inline(Value::Object(merged), defs, stack);
                stack.pop();
                return out;
            }
            let mut out = Map::new();
            for (k, v) in m {
                let v = if is_data_keyword(&k) { v } else { inline(v, defs, stack)? };
                out.insert(k, v);
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => {
            items.into_iter().map(|i| inline(i, defs, stack)).collect::<Option<Vec<_>>>().map(Value::Array)
        }
        other => Some(other),
    }
}

/// Keeps a property's own description, removes those of its parts.
fn drop_nested_descriptions(p: &mut Value) {
    for (k, child) in p.as_object_mut().into_iter().flat_map(|o| o.iter_mut()) {
        if !is_data_keyword(k) {
            drop_descriptions(child);
        }
    }
}

/// Removes every description below `v` (nested output fields: the agent reads the values, not the schema).
fn drop_descriptions(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(drop_descriptions),
        Value::Object(m) => {
            if m.get("description").is_some_and(Value::is_string) {
                m.shift_remove("description");
            }
            for (k, child) in m.iter_mut() {
                if !is_data_keyword(k) {
                    drop_descriptions(child);
                }
            }
        }
        _ => {}
    }
}

/// Keywords whose values are data, not schemas: never rewritten.
fn is_data_keyword(k: &str) -> bool {
    matches!(k, "default" | "const" | "enum" | "examples")
}

const NUMERIC_FORMATS: &[&str] =
    &["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "uint", "int", "double", "float"];

/// Equivalence-keeping rewrites, bottom up: the same instances validate before and after.
fn simplify(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(simplify),
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if !is_data_keyword(k) {
                    simplify(child);
                }
            }
            if m.get("format").and_then(Value::as_str).is_some_and(|f| NUMERIC_FORMATS.contains(&f)) {
                m.shift_remove("format");
            }
            if m.get("default").is_some_and(|d| d.is_null()) {
                m.shift_remove("default");
            }
            if m.get("title").is_some_and(Value::is_string) {
                m.shift_remove("title");
            }
            if let Some(Value::String(d)) = m.get_mut("description") {
                *d = first_sentence(d);
            }
            for key in ["anyOf", "oneOf"] {
                fold_alternatives(m, key);
            }
        }
        _ => {}
    }
}

/// `anyOf: [X, {type: null}]` becomes X with `null` added to its type (and enum); `anyOf` of bare types
/// becomes a type list; `oneOf` of string constants becomes an enum.
fn fold_alternatives(m: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(alts)) = m.get(key) else { return };
    let is_null = |a: &Value| a == &json!({"type": "null"});
    let bare_type = |a: &Value| {
        a.as_object().is_some_and(|o| o.contains_key("type") && o.keys().all(|k| k == "type" || k == "description"))
    };
    let folded: Option<Map<String, Value>> = if alts.len() == 2 && alts.iter().any(is_null) {
        let other = alts.iter().find(|a| !is_null(a)).and_then(Value::as_object).cloned();
        other.and_then(|mut o| {
            let composite = ["anyOf", "oneOf", "allOf", "$ref", "not"].iter().any(|k| o.contains_key(*k));
            let clash = o.keys().any(|k| k != "description" && m.contains_key(k) && k != key);
            if composite || clash || !(o.contains_key("type") || o.contains_key("enum") || o.contains_key("const")) {
                return None;
            }
            if let Some(t) = o.get_mut("type") {
                let mut types = match t.take() {
                    Value::Array(ts) => ts,
                    single => vec![single],
                };
                if !types.contains(&json!("null")) {
                    types.push(json!("null"));
                }
                *t = Value::Array(types);
            }
            if let Some(c) = o.shift_remove("const") {
                o.insert("enum".into(), json!([c]));
            }
            if let Some(Value::Array(e)) = o.get_mut("enum") {
                if !e.contains(&Value::Null) {
                    e.push(Value::Null);
                }
            }
            Some(o)
        })
    } else if alts.len() > 1 && alts.iter().all(bare_type) {
        let mut types = vec![];
        for a in alts {
            match &a["type"] {
                Value::Array(ts) => types.extend(ts.iter().cloned()),
                t => types.push(t.clone()),
            }
        }
        let mut o = Map::new();
        o.insert("type".into(), Value::Array(types));
        Some(o)
    } else if key == "oneOf"
        && alts.iter().all(|a| {
            a.get("const").is_some_and(Value::is_string)
                && a.as_object()
                    .is_some_and(|o| o.keys().all(|k| matches!(k.as_str(), "const" | "type" | "description")))
        })
    {
        let values: Vec<Value> = alts.iter().map(|a| a["const"].clone()).collect();
        let mut o = Map::new();
        o.insert("type".into(), json!("string"));
        o.insert("enum".into(), Value::Array(values));
        Some(o)
    } else {
        None
    };
    if let Some(o) = folded {
        m.shift_remove(key);
        for (k, v) in o {
            if k == "description" && m.contains_key("description") {
                continue;
            }
            m.insert(k, v);
        }
    }
}

/// Listing-only loosening of an input schema (arguments are validated against the full one): `null` is
/// not offered as a value, nested objects do not repeat `additionalProperties: false`, string lengths and
/// empty defaults are left out.
fn loosen_for_listing(v: &mut Value, top: bool) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| loosen_for_listing(i, false)),
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if !is_data_keyword(k) {
                    loosen_for_listing(child, false);
                }
            }
            if let Some(Value::Array(types)) = m.get("type") {
                let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if kept.len() < types.len() && !kept.is_empty() {
                    m.insert("type".into(), if kept.len() == 1 { kept[0].clone() } else { Value::Array(kept) });
                }
            }
            if let Some(Value::Array(e)) = m.get_mut("enum") {
                if e.len() > 1 {
                    e.retain(|x| !x.is_null());
                }
            }
            if !top && m.get("additionalProperties") == Some(&Value::Bool(false)) {
                m.shift_remove("additionalProperties");
            }
            // String lengths (a topic's 249) and empty defaults tell a model nothing it needs to call.
            for k in ["minLength", "maxLength"] {
                m.shift_remove(k);
            }
            if m.get("default")
                .is_some_and(|d| d.as_array().is_some_and(Vec::is_empty) || d.as_object().is_some_and(Map::is_empty))
            {
                m.shift_remove("default");
            }
            // Alternatives under a described argument: the argument's own description says what they are.
            if m.contains_key("description") {
                for key in ["anyOf", "oneOf"] {
                    if let Some(Value::Array(alts)) = m.get_mut(key) {
                        for a in alts.iter_mut().filter_map(Value::as_object_mut) {
                            a.shift_remove("description");
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// The first sentence of a doc text, whitespace collapsed ("e.g." and "i.e." do not end a sentence); when
/// long, without its parenthetical asides (outside backticks).
pub fn first_sentence(s: &str) -> String {
    let first = first_sentence_whole(s);
    if first.len() <= LONG_DESCRIPTION {
        return first;
    }
    let chars: Vec<char> = first.chars().collect();
    let (mut out, mut i, mut code) = (String::with_capacity(first.len()), 0, false);
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            code = !code;
        }
        if !code && c == ' ' && chars.get(i + 1) == Some(&'(') {
            // Skip the aside up to its matching parenthesis (backticked parentheses do not count).
            let (mut depth, mut j, mut quoted) = (0i32, i + 1, false);
            while j < chars.len() {
                match chars[j] {
                    '`' => quoted = !quoted,
                    '(' if !quoted => depth += 1,
                    ')' if !quoted => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if j >= chars.len() {
                return first;
            }
            i = j + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Descriptions longer than this lose their parenthetical asides in the listing.
const LONG_DESCRIPTION: usize = 90;

fn first_sentence_whole(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut from = 0;
    while let Some(i) = s[from..].find(". ") {
        let end = from + i;
        let before = &s[..end];
        if !["e.g", "i.e", "etc", "vs"].iter().any(|a| before.ends_with(a)) {
            return s[..=end].to_string();
        }
        from = end + 2;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn refs_are_inlined_and_nullable_unions_folded() {
        let full = obj(json!({
            "type": "object",
            "properties": {
                "start": {"description": "Start. Long manual text.", "anyOf": [{"$ref": "#/$defs/Time"}, {"type": "null"}], "default": null},
                "n": {"type": ["integer", "null"], "format": "uint32", "minimum": 0},
                "mode": {"oneOf": [{"const": "a", "type": "string", "description": "A"}, {"const": "b", "type": "string"}]}
            },
            "$defs": {"Time": {"description": "A time.", "anyOf": [{"type": "number"}, {"type": "string"}]}}
        }));
        let out = output(&full);
        assert_eq!(out["properties"]["start"], json!({"description": "Start.", "type": ["number", "string", "null"]}));
        assert_eq!(out["properties"]["n"], json!({"type": ["integer", "null"], "minimum": 0}));
        assert_eq!(out["properties"]["mode"], json!({"type": "string", "enum": ["a", "b"]}));
        assert!(!out.contains_key("$defs"));
        let listed = input("none", &full);
        assert_eq!(listed["properties"]["n"]["type"], json!("integer"));
    }

    #[test]
    fn recursive_definitions_are_kept() {
        let full = obj(
            json!({"type": "object", "properties": {"t": {"$ref": "#/$defs/T"}}, "$defs": {"T": {"type": "object", "properties": {"c": {"$ref": "#/$defs/T"}}}}}),
        );
        assert_eq!(output(&full)["$defs"], full["$defs"]);
    }

    #[test]
    fn first_sentences_skip_abbreviations() {
        assert_eq!(first_sentence("A name, e.g. `x`. Default 3."), "A name, e.g. `x`.");
        assert_eq!(first_sentence("No full stop"), "No full stop");
        assert_eq!(first_sentence("Two\nlines. Second."), "Two lines.");
        let long = "Where to start: \"tail\" (default: the last tail_count of each partition), \"earliest\", or `sum by (broker) (x)` (a metric query with enough words to be long).";
        assert_eq!(first_sentence(long), "Where to start: \"tail\", \"earliest\", or `sum by (broker) (x)`.");
        assert_eq!(
            first_sentence("Unbalanced (aside that never closes, long enough to pass the length threshold for asides."),
            "Unbalanced (aside that never closes, long enough to pass the length threshold for asides."
        );
    }
}
