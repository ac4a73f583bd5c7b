//! Where a generated expectation comes from and what it may ask of a rejection: nullable fields seen through
//! their null branch (so they are covered like any field), the JSON Pointer of a constraint inside the
//! schema (the `source` of a case), and the words a reject reason should mention (the broken field).

use crate::datagen::plan::{Kind, Node};
use serde_json::{Map, Value};

/// The schema with `anyOf`/`oneOf: [X, {"type": "null"}]` written as X with `"type": [t, "null"]` (the same
/// values validate), so that a broken `maxLength` of a nullable field is reported as `maxLength`, not as
/// "no branch matched". Only rewritten when X has one type and no enum/const; otherwise left as it is.
pub fn normalize_nullable(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => {
            let mut out: Map<String, Value> = m.iter().map(|(k, v)| (k.clone(), normalize_nullable(v))).collect();
            for key in ["anyOf", "oneOf"] {
                let Some(Value::Array(branches)) = out.get(key) else { continue };
                if branches.len() != 2 || out.contains_key("type") {
                    continue;
                }
                let is_null =
                    |b: &Value| b.as_object().is_some_and(|o| o.len() == 1 && o.get("type") == Some(&"null".into()));
                let Some(other) = branches.iter().find(|b| !is_null(b)).and_then(Value::as_object) else { continue };
                if !branches.iter().any(is_null) || other.contains_key("enum") || other.contains_key("const") {
                    continue;
                }
                let Some(Value::String(t)) = other.get("type") else { continue };
                if other.keys().any(|k| out.contains_key(k)) {
                    continue;
                }
                let mut merged = other.clone();
                merged.insert("type".into(), Value::Array(vec![t.clone().into(), "null".into()]));
                out.remove(key);
                out.extend(merged);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize_nullable).collect()),
        other => other.clone(),
    }
}

/// The non-null branch of a nullable node (`type: [T, "null"]`), if it is one.
pub fn non_null(node: &Node) -> Option<&Node> {
    match &node.kind {
        Kind::Choice(c) if c.branches.iter().any(|b| matches!(b.kind, Kind::Null)) => {
            let mut rest = c.branches.iter().filter(|b| !matches!(b.kind, Kind::Null));
            match (rest.next(), rest.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The plan with every nullable node replaced by its non-null branch: what defects, boundaries and field
/// coverage walk (a null value simply offers no defect).
pub fn strip_null(node: &Node) -> Node {
    let inner = non_null(node).unwrap_or(node);
    let kind = match &inner.kind {
        Kind::Object(o) => {
            let mut o = o.clone();
            o.properties = o.properties.iter().map(|(k, n)| (k.clone(), strip_null(n))).collect();
            Kind::Object(o)
        }
        Kind::Array(a) => {
            let mut a = a.clone();
            a.items = Box::new(strip_null(&a.items));
            Kind::Array(a)
        }
        other => other.clone(),
    };
    Node { name: inner.name.clone(), kind }
}

/// Every field of the schema (leaves: strings, numbers, booleans, enums, consts), nullable ones included,
/// with `*` for array items; and, apart, the nullable fields as concrete paths (`0` for array items).
pub fn fields(node: &Node, at: &str, concrete: &str, leaves: &mut Vec<String>, nullable: &mut Vec<String>) {
    if non_null(node).is_some() {
        nullable.push(concrete.to_string());
    }
    let node = non_null(node).unwrap_or(node);
    match &node.kind {
        Kind::Object(o) => {
            for (k, child) in &o.properties {
                let k = escape(k);
                fields(child, &format!("{at}/{k}"), &format!("{concrete}/{k}"), leaves, nullable);
            }
        }
        Kind::Array(a) => fields(&a.items, &format!("{at}/*"), &format!("{concrete}/0"), leaves, nullable),
        Kind::String(_) | Kind::Number(_) | Kind::Enum(_) | Kind::Const(_) | Kind::Boolean => {
            leaves.push(at.to_string())
        }
        _ => {}
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}

/// The JSON Pointer, inside `root`, of the schema `keyword` that governs the value at `path` (an instance
/// pointer such as `/items/0/price`), looking through `$ref`, `allOf`, `anyOf` and `oneOf`. Where the
/// keyword is not found, the pointer of the field's schema (or of the deepest part found).
pub fn schema_pointer(root: &Value, path: &str, keyword: &str) -> String {
    let mut at = (root, String::new());
    for seg in path.split('/').skip(1) {
        let name = unescape(seg);
        let is_index = seg == "*" || (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()));
        let step = locate(root, at.0, &at.1, 0, &|s: &Value| {
            s.get("properties").and_then(|p| p.get(&name)).map(|v| (v, format!("/properties/{}", escape(&name))))
        })
        .or_else(|| {
            is_index
                .then(|| locate(root, at.0, &at.1, 0, &|s: &Value| s.get("items").map(|v| (v, "/items".to_string()))))
                .flatten()
        });
        match step {
            Some(next) => at = next,
            None => return at.1,
        }
    }
    locate(root, at.0, &at.1, 0, &|s: &Value| s.get(keyword).map(|v| (v, format!("/{}", escape(keyword)))))
        .map(|(_, p)| p)
        .unwrap_or(at.1)
}

/// `step` applied to `schema` or, failing that, to what its `$ref` points at or one of its sub-schemas.
fn locate<'v, F>(root: &'v Value, schema: &'v Value, at: &str, depth: usize, step: &F) -> Option<(&'v Value, String)>
where
    F: Fn(&'v Value) -> Option<(&'v Value, String)>,
{
    if depth > 16 {
        return None;
    }
    if let Some((v, suffix)) = step(schema) {
        return Some((v, format!("{at}{suffix}")));
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        if let Some(target) = root.pointer(r) {
            if let Some(found) = locate(root, target, r, depth + 1, step) {
                return Some(found);
            }
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, branch) in schema.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(found) = locate(root, branch, &format!("{at}/{key}/{i}"), depth + 1, step) {
                return Some(found);
            }
        }
    }
    None
}

/// The field a reject reason should name for a value at `path`: its last segment that is not an array index.
pub fn field_name(path: &str) -> Option<String> {
    path.rsplit('/').find(|s| !s.is_empty() && *s != "*" && !s.bytes().all(|b| b.is_ascii_digit())).map(unescape)
}

/// Words one of which a reason for rejecting malformed JSON uses, whatever the processor's phrasing.
pub const MALFORMED_WORDS: &[&str] =
    &["json", "parse", "parsing", "malformed", "syntax", "decode", "decoding", "deserialize", "deserialization", "eof"];

/// Words one of which a reason for rejecting an empty message uses.
pub const EMPTY_WORDS: &[&str] = &[
    "empty",
    "null",
    "tombstone",
    "missing",
    "blank",
    "json",
    "parse",
    "parsing",
    "eof",
    "decode",
    "deserialize",
    "deserialization",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datagen::plan::compile;
    use serde_json::json;

    #[test]
    fn pointers_find_the_constraint_through_items_refs_and_nullable_branches() {
        let schema = json!({"$defs": {"line": {"type": "object", "properties": {"qty": {"type": "integer", "maximum": 20}}}},
            "type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/$defs/line"}},
            "note": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]},
            "memo": {"type": ["string", "null"], "maxLength": 5}}});
        assert_eq!(schema_pointer(&schema, "/items/0/qty", "maximum"), "/$defs/line/properties/qty/maximum");
        assert_eq!(schema_pointer(&schema, "/note", "maxLength"), "/properties/note/anyOf/0/maxLength");
        assert_eq!(schema_pointer(&schema, "/memo", "maxLength"), "/properties/memo/maxLength");
        assert_eq!(schema_pointer(&schema, "", "required"), "/required");
        assert_eq!(schema_pointer(&schema, "/nowhere", "maximum"), "");
        assert_eq!(field_name("/items/0/qty").as_deref(), Some("qty"));
        assert_eq!(field_name("/a~1b/3").as_deref(), Some("a/b"));
        assert_eq!(field_name(""), None);
    }

    #[test]
    fn nullable_fields_are_fields_and_any_of_null_becomes_a_type_list() {
        let schema = json!({"type": "object", "properties": {
            "note": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]},
            "memo": {"type": ["string", "null"], "maxLength": 5},
            "tags": {"type": "array", "items": {"type": ["integer", "null"], "maximum": 3}},
            "pick": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}});
        let normal = normalize_nullable(&schema);
        assert_eq!(normal["properties"]["note"], json!({"type": ["string", "null"], "maxLength": 200}));
        assert_eq!(normal["properties"]["pick"], schema["properties"]["pick"], "not a nullable: left alone");
        let node = compile(&normal).unwrap();
        let (mut leaves, mut nullable) = (vec![], vec![]);
        fields(&node, "", "", &mut leaves, &mut nullable);
        leaves.sort();
        nullable.sort();
        assert_eq!(leaves, vec!["/memo", "/note", "/tags/*"], "the choice `pick` has no single type; the rest count");
        assert_eq!(nullable, vec!["/memo", "/note", "/tags/0"]);
        let flat = strip_null(&node);
        let Kind::Object(o) = &flat.kind else { panic!("object") };
        assert!(o.properties.iter().all(|(k, n)| k == "pick" || !matches!(n.kind, Kind::Choice(_))));
    }
}
