//! Drift between a registered schema (as JSON Schema, see [`super::to_json_schema`]) and what a sample of
//! decoded values shows: declared fields never used, values outside an enum and enum symbols never seen,
//! nulls where the schema allows none, fields seen but not declared, type mismatches, numbers out of range.
//! Pure.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Findings kept at most (the most frequent first).
pub const MAX_FINDINGS: usize = 60;
const MAX_EXAMPLES: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DriftFinding {
    /// unused_field, enum_unused, outside_enum, null_not_allowed, undeclared_field, type_mismatch or out_of_range.
    pub kind: String,
    /// JSON Pointer of the field (`/items/*/sku` for array items, `/attrs/*` for map values).
    pub path: String,
    /// Values concerned (for unused_field and enum_unused: 0).
    pub count: usize,
    pub detail: String,
}

/// The drift of `values` from `schema`, most frequent first, at most [`MAX_FINDINGS`].
pub fn drift(schema: &Value, values: &[Value]) -> Vec<DriftFinding> {
    let refs: Vec<&Value> = values.iter().collect();
    let mut out = vec![];
    walk(schema, &refs, "", &mut out);
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.path.cmp(&b.path)));
    out.truncate(MAX_FINDINGS);
    out
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON types a schema allows; None when it says nothing about types.
fn types(schema: &Value) -> Option<BTreeSet<String>> {
    match schema.get("type")? {
        Value::String(t) => Some([t.clone()].into()),
        Value::Array(a) => Some(a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect()),
        _ => None,
    }
}

fn accepts(types: &BTreeSet<String>, v: &Value) -> bool {
    let k = kind_of(v);
    types.contains(k) || (k == "integer" && types.contains("number"))
}

fn examples(values: &[&Value]) -> String {
    let mut seen: Vec<String> = vec![];
    for v in values {
        let s = crate::text::cut_chars(&v.to_string(), 60);
        if !seen.contains(&s) {
            seen.push(s);
        }
        if seen.len() == MAX_EXAMPLES {
            break;
        }
    }
    seen.join(", ")
}

fn push(out: &mut Vec<DriftFinding>, kind: &str, path: &str, count: usize, detail: String) {
    out.push(DriftFinding {
        kind: kind.into(),
        path: if path.is_empty() { "/".into() } else { path.into() },
        count,
        detail,
    });
}

fn walk(schema: &Value, values: &[&Value], path: &str, out: &mut Vec<DriftFinding>) {
    if values.is_empty() {
        return;
    }
    // Unions: each value goes to the first branch that takes its type.
    if let Some(branches) = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array) {
        let mut per: Vec<Vec<&Value>> = vec![vec![]; branches.len()];
        let mut unmatched = vec![];
        for v in values {
            match branches.iter().position(|b| types(b).is_none_or(|t| accepts(&t, v))) {
                Some(i) => per[i].push(v),
                None => unmatched.push(*v),
            }
        }
        report_types(&unmatched, path, "one of the union's types", out);
        for (b, vs) in branches.iter().zip(&per) {
            walk(b, vs, path, out);
        }
        return;
    }
    let declared = types(schema);
    let mut fitting = vec![];
    let (mut nulls, mut wrong) = (vec![], vec![]);
    for v in values {
        match &declared {
            Some(t) if !accepts(t, v) && v.is_null() => nulls.push(*v),
            Some(t) if !accepts(t, v) => wrong.push(*v),
            _ => fitting.push(*v),
        }
    }
    if !nulls.is_empty() {
        push(
            out,
            "null_not_allowed",
            path,
            nulls.len(),
            format!("{} null values; the schema allows no null", nulls.len()),
        );
    }
    if let Some(t) = &declared {
        let want = t.iter().cloned().collect::<Vec<_>>().join(" or ");
        report_types(&wrong, path, &want, out);
    }
    let non_null: Vec<&Value> = fitting.iter().copied().filter(|v| !v.is_null()).collect();
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        let outside: Vec<&Value> = non_null.iter().copied().filter(|v| !allowed.contains(v)).collect();
        if !outside.is_empty() {
            push(out, "outside_enum", path, outside.len(), format!("not a symbol of the enum: {}", examples(&outside)));
        }
        let unseen: Vec<&Value> = allowed.iter().filter(|a| !a.is_null() && !non_null.contains(a)).collect();
        if !unseen.is_empty() {
            push(
                out,
                "enum_unused",
                path,
                0,
                format!(
                    "{} of {} symbols seen; never: {}",
                    allowed.iter().filter(|a| !a.is_null()).count() - unseen.len(),
                    allowed.iter().filter(|a| !a.is_null()).count(),
                    examples(&unseen)
                ),
            );
        }
    }
    let numbers: Vec<f64> = non_null.iter().filter_map(|v| v.as_f64()).collect();
    let (lo, hi) = (schema.get("minimum").and_then(Value::as_f64), schema.get("maximum").and_then(Value::as_f64));
    let out_of_range: Vec<&Value> = non_null
        .iter()
        .copied()
        .filter(|v| v.as_f64().is_some_and(|n| lo.is_some_and(|l| n < l) || hi.is_some_and(|h| n > h)))
        .collect();
    if !numbers.is_empty() && !out_of_range.is_empty() {
        push(
            out,
            "out_of_range",
            path,
            out_of_range.len(),
            format!("outside {}..{}: {}", fmt_bound(lo), fmt_bound(hi), examples(&out_of_range)),
        );
    }
    let objects: Vec<&Map<String, Value>> = non_null.iter().filter_map(|v| v.as_object()).collect();
    if !objects.is_empty() {
        walk_object(schema, &objects, path, out);
    }
    let items: Vec<&Value> = non_null.iter().filter_map(|v| v.as_array()).flatten().collect();
    if let Some(item_schema) = schema.get("items") {
        walk(item_schema, &items, &format!("{path}/*"), out);
    }
}

fn fmt_bound(b: Option<f64>) -> String {
    b.map_or(
        String::new(),
        |b| if b.fract() == 0.0 && b.abs() < 1e18 { format!("{}", b as i64) } else { b.to_string() },
    )
}

fn report_types(wrong: &[&Value], path: &str, want: &str, out: &mut Vec<DriftFinding>) {
    if wrong.is_empty() {
        return;
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    wrong.iter().for_each(|v| *kinds.entry(kind_of(v)).or_default() += 1);
    let got = kinds.iter().map(|(k, n)| format!("{k} ×{n}")).collect::<Vec<_>>().join(", ");
    push(out, "type_mismatch", path, wrong.len(), format!("expected {want}, got {got}: {}", examples(wrong)));
}

fn walk_object(schema: &Value, objects: &[&Map<String, Value>], path: &str, out: &mut Vec<DriftFinding>) {
    let props = schema.get("properties").and_then(Value::as_object);
    if let Some(props) = props {
        for (name, sub) in props {
            let child_path = format!("{path}/{name}");
            let children: Vec<&Value> = objects.iter().filter_map(|o| o.get(name)).collect();
            if children.iter().all(|v| v.is_null()) {
                let detail = if children.is_empty() {
                    format!("declared, absent from all {} values", objects.len())
                } else {
                    format!("declared, null in all {} values", objects.len())
                };
                push(out, "unused_field", &child_path, 0, detail);
            }
            walk(sub, &children, &child_path, out);
        }
    }
    match schema.get("additionalProperties") {
        Some(extra @ Value::Object(_)) => {
            let values: Vec<&Value> = objects
                .iter()
                .flat_map(|o| o.iter())
                .filter(|(k, _)| props.is_none_or(|p| !p.contains_key(*k)))
                .map(|(_, v)| v)
                .collect();
            walk(extra, &values, &format!("{path}/*"), out);
        }
        _ if props.is_some() => {
            let mut undeclared: BTreeMap<&str, usize> = BTreeMap::new();
            for o in objects {
                for k in o.keys().filter(|k| props.is_some_and(|p| !p.contains_key(*k))) {
                    *undeclared.entry(k).or_default() += 1;
                }
            }
            for (k, n) in undeclared {
                push(out, "undeclared_field", &format!("{path}/{k}"), n, format!("in {n} values, not in the schema"));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_each_kind_of_drift_and_nothing_when_the_data_fits() {
        let schema = json!({"type": "object", "additionalProperties": false, "properties": {
            "id": {"type": "integer", "minimum": -2147483648i64, "maximum": 2147483647},
            "status": {"type": "string", "enum": ["NEW", "PAID", "SHIPPED"]},
            "note": {"type": ["string", "null"]},
            "email": {"type": "string"},
            "legacy": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "attrs": {"type": "object", "additionalProperties": {"type": "integer"}},
            "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}});
        let fits = json!({"id": 1, "status": "NEW", "note": null, "email": "a@b", "legacy": "x", "tags": ["a"],
            "attrs": {"k": 1}, "either": "s"});
        let all = [
            json!({"id": 2, "status": "PAID", "note": "n", "email": "c@d", "legacy": "y", "tags": [], "attrs": {}, "either": 3}),
            json!({"id": 3, "status": "SHIPPED", "note": "m", "email": "e@f", "legacy": null, "tags": ["b"], "attrs": {"z": 2}, "either": "t"}),
        ];
        assert_eq!(drift(&schema, &[fits.clone(), all[0].clone(), all[1].clone()]), vec![]);

        let drifted = vec![
            json!({"id": 4294967296i64, "status": "LOST", "note": null, "email": null, "tags": ["a", 5], "attrs": {"k": "x"}, "either": true, "extra": 1}),
            json!({"id": "7", "status": "NEW", "note": null, "email": "x@y", "tags": [], "attrs": {}, "either": 1}),
        ];
        let found = drift(&schema, &drifted);
        let has = |kind: &str, path: &str| found.iter().any(|f| f.kind == kind && f.path == path);
        assert!(has("out_of_range", "/id"), "{found:#?}");
        assert!(has("type_mismatch", "/id"), "{found:#?}");
        assert!(has("outside_enum", "/status"), "{found:#?}");
        assert!(has("enum_unused", "/status"), "{found:#?}");
        assert!(has("null_not_allowed", "/email"), "{found:#?}");
        assert!(has("unused_field", "/legacy"), "{found:#?}");
        assert!(has("unused_field", "/note"), "{found:#?}");
        assert!(has("undeclared_field", "/extra"), "{found:#?}");
        assert!(has("type_mismatch", "/tags/*"), "{found:#?}");
        assert!(has("type_mismatch", "/attrs/*"), "{found:#?}");
        assert!(has("type_mismatch", "/either"), "{found:#?}");
        let e = found.iter().find(|f| f.kind == "enum_unused").unwrap();
        assert_eq!(e.detail, "1 of 3 symbols seen; never: \"PAID\", \"SHIPPED\"");
    }
}

/// A topic's registered schema next to what its sample shows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RegisteredView {
    pub schema_id: u32,
    /// AVRO, PROTOBUF or JSON.
    pub schema_type: String,
    pub subject: Option<String>,
    pub version: Option<i64>,
    /// The Protobuf message type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Values of the sample written with this schema.
    pub values: usize,
    /// The registered schema converted to JSON Schema.
    pub json_schema: Value,
    /// Where the sample departs from the registered schema (most frequent first).
    pub drift: Vec<DriftFinding>,
}

/// The schema most of the sample's framed values were written with (cached by a prefetch), converted, with
/// the drift of those values from it. None without such values.
pub fn registered_view(
    registry: &super::RegistryClient,
    records: &[crate::kafka::Record],
) -> Option<Result<RegisteredView, String>> {
    let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
    for id in records.iter().filter_map(|r| r.value.as_deref()).filter_map(super::codec::schema_id) {
        if registry.cached(id).is_some() {
            *counts.entry(id).or_default() += 1;
        }
    }
    let (&id, _) = counts.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))?;
    let topic = records.first().map(|r| r.topic.as_str()).unwrap_or_default();
    let decoded: Vec<super::Decoded> = records
        .iter()
        .filter_map(|r| r.value.as_deref())
        .filter(|b| super::codec::schema_id(b) == Some(id))
        .filter_map(|b| super::decode_named(registry, b, Some((topic, false)))?.ok())
        .collect();
    let first = decoded.first()?;
    let (subject, version, message) = (first.subject.clone(), first.version, first.message.clone());
    let registered = registry.cached(id)?;
    Some(super::to_json_schema::to_json_schema(&registered.parsed, message.as_deref()).map(|json_schema| {
        let values: Vec<Value> = decoded.into_iter().map(|d| d.value).collect();
        RegisteredView {
            schema_id: id,
            schema_type: registered.schema_type.as_str().to_string(),
            subject,
            version,
            message,
            values: values.len(),
            drift: drift(&json_schema, &values),
            json_schema,
        }
    }))
}

/// The view in Markdown: which schema, its JSON Schema, and each drift finding.
pub fn summary(r: &RegisteredView) -> String {
    let mut s = format!(
        "\n\n## Registered schema: id {} ({}{}{}), {} values written with it\n```json\n{}\n```\n",
        r.schema_id,
        r.schema_type,
        r.subject.as_ref().map_or(String::new(), |s| format!(", subject `{s}`")),
        r.version.map_or(String::new(), |v| format!(" version {v}")),
        r.values,
        serde_json::to_string(&r.json_schema).unwrap_or_default()
    );
    if r.drift.is_empty() {
        s.push_str("No drift: every value fits the registered schema, and every field and enum symbol is used.");
    } else {
        s.push_str(&format!("Drift ({} findings):", r.drift.len()));
        for f in &r.drift {
            s.push_str(&format!("\n- {} `{}`: {}", f.kind, f.path, f.detail));
        }
    }
    s
}
