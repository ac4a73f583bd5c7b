//! Defect records: a valid record with exactly one named constraint broken (a missing required field, a
//! wrong type, a value out of range, a bad format, an enum outsider, a string too long, a duplicate item, a
//! missing dependent field...), also inside `oneOf`/`anyOf` branches and nullable fields. Each defect is
//! checked with a JSON Schema validator before it is kept: the record must fail that constraint at that
//! place and nothing else (inside a branch: fail the enclosing `oneOf`/`anyOf` only), so a defect's tag is
//! the whole truth about the record.

use super::generate::{json_eq, Generator};
use super::plan::{ArraySpec, ChoiceOf, ChoiceSpec, Kind, Node, ObjectSpec};
use super::values::Window;
use rand::seq::SliceRandom;
use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The constraints a defect can break (JSON Schema keywords).
pub const CONSTRAINTS: &[&str] = &[
    "required",
    "type",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "enum",
    "const",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "items",
    "additionalProperties",
    "dependentRequired",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "oneOf",
    "anyOf",
];

/// What one defect record violates; the record itself stays the raw payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Defect {
    /// JSON Pointer of the broken value (for `required`: of the field that is missing).
    pub path: String,
    /// The JSON Schema keyword violated.
    pub constraint: String,
    /// What was done, in words.
    pub detail: String,
}

impl Defect {
    /// Where a validator reports this defect: the parent object for `required`, `additionalProperties`,
    /// `dependentRequired` and `propertyNames` (a defect inside a branch: at the enclosing `oneOf`/`anyOf`).
    pub fn reported_at(&self) -> &str {
        default_report_at(&self.path, &self.constraint)
    }

    /// Whether a validator's only error, `keyword` at `at`, is this defect: at its place, or at the `oneOf` or
    /// `anyOf` enclosing the broken value.
    pub fn is_reported_as(&self, at: &str, keyword: &str) -> bool {
        reported_here(&self.path, &self.constraint, at, keyword)
            || (matches!(keyword, "oneOf" | "anyOf")
                && (at.is_empty() || self.path == at || self.path.starts_with(&format!("{at}/"))))
    }
}

fn default_report_at<'a>(path: &'a str, constraint: &str) -> &'a str {
    match constraint {
        "required" | "additionalProperties" | "dependentRequired" | "propertyNames" => {
            path.rsplit_once('/').map_or("", |(parent, _)| parent)
        }
        _ => path,
    }
}

/// Whether a validator's error (`keyword` at `at`) is the defect `constraint` at `path`: keywords and places
/// differ a little between drafts and implementations (`dependentRequired` is reported as `required`, an item
/// beyond `items: false` as a false schema at the item).
fn reported_here(path: &str, constraint: &str, at: &str, keyword: &str) -> bool {
    let same_keyword = constraint == keyword
        || matches!(
            (constraint, keyword),
            ("contains" | "minContains" | "maxContains", "contains" | "minContains" | "maxContains")
                | ("items", "prefixItems" | "additionalItems" | "unevaluatedItems" | "falseSchema")
                | ("dependentRequired", "required")
                | ("propertyNames", _)
        );
    let place = at == default_report_at(path, constraint)
        || (constraint == "items" && at.strip_prefix(path).is_some_and(|rest| rest.starts_with('/')));
    same_keyword && place
}

/// `maxItems`/`maxLength`/`maxProperties` above these are not broken (the defect would be a huge value, not a test).
const MAX_BROKEN_ITEMS: usize = 1000;
const MAX_BROKEN_LEN: usize = 64 * 1024;

/// A schema validator that reports (instance path, keyword) pairs.
pub struct Checker(jsonschema::Validator);

impl Checker {
    pub fn new(schema: &Value) -> Result<Checker, String> {
        jsonschema::options().should_validate_formats(true).build(schema).map(Checker).map_err(|e| e.to_string())
    }

    pub fn violations(&self, v: &Value) -> Vec<(String, String)> {
        self.0.iter_errors(v).map(|e| (e.instance_path().to_string(), e.kind().keyword().to_string())).collect()
    }

    pub fn is_valid(&self, v: &Value) -> bool {
        self.0.is_valid(v)
    }
}

enum Change {
    Remove,
    Set(Value),
}

struct Candidate {
    defect: Defect,
    change: Change,
    /// Where the change applies (the defect's path, or a nullable field's path when a whole value is set).
    at: String,
    /// The enclosing `oneOf`/`anyOf` (path, keyword) a validator reports a broken branch at.
    via: Option<(String, &'static str)>,
}

/// What `collect` walks with: fresh values come from `g`, the enclosing choice is `via`.
struct Walk<'g> {
    g: &'g mut Generator,
    out: Vec<Candidate>,
}

impl Walk<'_> {
    fn add(
        &mut self,
        constraint: &str,
        detail: String,
        change: Change,
        path: &str,
        via: &Option<(String, &'static str)>,
    ) {
        let detail = match via {
            Some((at, kw)) => format!(
                "{detail} (inside the `{kw}` at `{}`, which then matches no branch)",
                if at.is_empty() { "/" } else { at }
            ),
            None => detail,
        };
        self.out.push(Candidate {
            defect: Defect { path: path.to_string(), constraint: constraint.into(), detail },
            change,
            at: path.to_string(),
            via: via.clone(),
        });
    }
}

fn scratch<R: RngExt + ?Sized>(rng: &mut R) -> Generator {
    Generator::new(Arc::new(Node { name: String::new(), kind: Kind::Any }), rng.random(), Window::default(), false)
}

/// Breaks one constraint of `record` (one of `allowed`, or any), checked with `checker`. None when the
/// record offers no such constraint.
pub fn inject<R: RngExt + ?Sized>(
    node: &Node,
    record: &Value,
    allowed: &[String],
    checker: &Checker,
    rng: &mut R,
) -> Option<(Value, Defect)> {
    let mut g = scratch(rng);
    let mut w = Walk { g: &mut g, out: vec![] };
    collect(node, record, "", &None, &mut w);
    let mut found = w.out;
    found.retain(|c| {
        allowed.is_empty()
            || allowed.iter().any(|a| *a == c.defect.constraint || c.via.as_ref().is_some_and(|v| a == v.1))
    });
    found.shuffle(rng);
    found.into_iter().find_map(|c| apply(record, c, checker))
}

/// Every single-constraint defect `record` offers, each checked: one per (path, constraint).
pub fn all(node: &Node, record: &Value, checker: &Checker) -> Vec<(Value, Defect)> {
    let mut rng = <rand::rngs::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    let mut g = scratch(&mut rng);
    let mut w = Walk { g: &mut g, out: vec![] };
    collect(node, record, "", &None, &mut w);
    w.out.into_iter().filter_map(|c| apply(record, c, checker)).collect()
}

/// `root` with one change at `pointer` (relative to `root`).
fn change(root: &mut Value, pointer: &str, change: Change) -> Option<()> {
    match change {
        Change::Remove => {
            let (parent, key) = pointer.rsplit_once('/')?;
            root.pointer_mut(parent).and_then(Value::as_object_mut)?.shift_remove(&unescape(key));
            Some(())
        }
        Change::Set(v) => set(root, pointer, v),
    }
}

/// The record with the candidate's change, when the validator reports exactly that defect.
fn apply(record: &Value, c: Candidate, checker: &Checker) -> Option<(Value, Defect)> {
    let mut broken = record.clone();
    change(&mut broken, &c.at, c.change)?;
    let errors = checker.violations(&broken);
    let [(at, keyword)] = errors.as_slice() else { return None };
    let fits = match &c.via {
        Some((via_at, kw)) => at == via_at && keyword == kw,
        None => reported_here(&c.defect.path, &c.defect.constraint, at, keyword),
    };
    fits.then_some((broken, c.defect))
}

type Via = Option<(String, &'static str)>;

fn collect(node: &Node, v: &Value, at: &str, via: &Via, w: &mut Walk) {
    match (&node.kind, v) {
        (Kind::Object(o), Value::Object(m)) => object(o, m, at, via, w),
        (Kind::Array(a), Value::Array(items)) => array(a, items, at, via, w),
        (Kind::Choice(c), _) => choice(c, v, at, via, w),
        (Kind::String(s), Value::String(text)) => {
            w.add("type", "a number where a string belongs".into(), Change::Set(json!(12345)), at, via);
            if s.min_len > 0 {
                let short: String = text.chars().take(s.min_len - 1).collect();
                w.add(
                    "minLength",
                    format!("{} characters, below minLength {}", s.min_len - 1, s.min_len),
                    Change::Set(json!(short)),
                    at,
                    via,
                );
            }
            if let Some(max) = s.max_len.filter(|m| *m < MAX_BROKEN_LEN) {
                let mut long: String = text.chars().take(max).collect();
                while long.chars().count() <= max {
                    long.push('x');
                }
                w.add(
                    "maxLength",
                    format!("{} characters, above maxLength {max}", max + 1),
                    Change::Set(json!(long)),
                    at,
                    via,
                );
            }
            if let Some(p) = &s.pattern {
                let n = s.min_len.max(1).min(s.max_len.unwrap_or(usize::MAX));
                w.add(
                    "pattern",
                    format!("a string that does not match `{}`", p.source()),
                    Change::Set(json!("~".repeat(n))),
                    at,
                    via,
                );
            }
            if let Some(f) = &s.format {
                let bad = if f.contains("hostname") { "bad_host_name!" } else { "not-a-valid-value" };
                w.add("format", format!("`{bad}`, not a valid {f}"), Change::Set(json!(bad)), at, via);
            }
        }
        (Kind::Number(n), Value::Number(_)) => {
            w.add("type", "a string where a number belongs".into(), Change::Set(json!("not-a-number")), at, via);
            let step = n.multiple_of.unwrap_or(1.0);
            let num = |x: f64| if n.integer && x.fract() == 0.0 { json!(x as i64) } else { json!(x) };
            if let Some(lo) = n.minimum {
                w.add("minimum", format!("{}, below minimum {lo}", lo - step), Change::Set(num(lo - step)), at, via);
            }
            if let Some(hi) = n.maximum {
                w.add("maximum", format!("{}, above maximum {hi}", hi + step), Change::Set(num(hi + step)), at, via);
            }
            if let Some(x) = n.exclusive_minimum {
                w.add("exclusiveMinimum", format!("{x}, equal to the exclusive minimum"), Change::Set(num(x)), at, via);
            }
            if let Some(x) = n.exclusive_maximum {
                w.add("exclusiveMaximum", format!("{x}, equal to the exclusive maximum"), Change::Set(num(x)), at, via);
            }
            if let (Some(m), Some(x)) = (n.multiple_of, v.as_f64()) {
                let off = if n.integer && m >= 2.0 { x + 1.0 } else { x + m / 2.0 };
                w.add("multipleOf", format!("{off}, not a multiple of {m}"), Change::Set(num(off)), at, via);
            }
        }
        (Kind::Boolean, _) => {
            w.add("type", "the string \"true\" where a boolean belongs".into(), Change::Set(json!("true")), at, via)
        }
        (Kind::Enum(values), _) => {
            let outsider = if values.iter().all(Value::is_string) { json!("NOT_IN_ENUM") } else { json!(-987654321) };
            w.add("enum", format!("{outsider}, outside the enum"), Change::Set(outsider), at, via);
        }
        (Kind::Const(c), _) => {
            let other = if c == "NOT_THE_CONST" { json!("OTHER") } else { json!("NOT_THE_CONST") };
            w.add("const", format!("{other} instead of the constant {c}"), Change::Set(other), at, via);
        }
        _ => {}
    }
}

fn object(o: &ObjectSpec, m: &Map<String, Value>, at: &str, via: &Via, w: &mut Walk) {
    for r in &o.required {
        if m.contains_key(r) {
            w.add(
                "required",
                format!("removed the required field `{r}`"),
                Change::Remove,
                &format!("{at}/{}", escape(r)),
                via,
            );
        }
    }
    for (k, deps) in &o.dependent_required {
        if !m.contains_key(k) {
            // The field that requires others, added without one of them.
            if let Some(d) = deps.iter().find(|d| !o.required.contains(d)) {
                let mut with = m.clone();
                let v = match o.properties.iter().find(|(p, _)| p == k) {
                    Some((_, n)) => w.g.value(n),
                    None => json!("x"),
                };
                with.insert(k.clone(), v);
                for d in deps.iter().filter(|d| !o.required.contains(d)) {
                    with.shift_remove(d);
                }
                w.out.push(Candidate {
                    defect: Defect {
                        path: format!("{at}/{}", escape(d)),
                        constraint: "dependentRequired".into(),
                        detail: format!("added `{k}` without `{d}`, which it requires"),
                    },
                    change: Change::Set(Value::Object(with)),
                    at: at.to_string(),
                    via: via.clone(),
                });
            }
        } else {
            for d in deps.iter().filter(|d| m.contains_key(*d) && !o.required.contains(d)) {
                w.add(
                    "dependentRequired",
                    format!("removed `{d}`, which `{k}` requires"),
                    Change::Remove,
                    &format!("{at}/{}", escape(d)),
                    via,
                );
            }
        }
    }
    if o.closed {
        w.add(
            "additionalProperties",
            "added the undeclared field `unexpected_field`".into(),
            Change::Set(json!("surprise")),
            &format!("{at}/unexpected_field"),
            via,
        );
    }
    if o.min_properties > 0 && m.len() >= o.min_properties {
        let mut fewer = m.clone();
        let optional: Vec<String> = m.keys().filter(|k| !o.required.contains(k)).cloned().collect();
        for k in optional.iter().rev() {
            if fewer.len() < o.min_properties {
                break;
            }
            fewer.shift_remove(k);
        }
        if fewer.len() < o.min_properties {
            w.add(
                "minProperties",
                format!("{} properties, below minProperties {}", fewer.len(), o.min_properties),
                Change::Set(Value::Object(fewer)),
                at,
                via,
            );
        }
    }
    if let Some(max) = o.max_properties.filter(|m| *m < MAX_BROKEN_ITEMS) {
        let mut more = m.clone();
        for (k, child) in &o.properties {
            if more.len() > max {
                break;
            }
            if !more.contains_key(k) {
                let v = w.g.value(child);
                more.insert(k.clone(), v);
            }
        }
        let mut i = 0;
        while more.len() <= max && i < MAX_BROKEN_ITEMS {
            // Letters only, and `x-` for the common header patterns, so that names stay allowed.
            let suffix: String = (0..=i / 26).map(|n| (b'a' + ((i + n) % 26) as u8) as char).collect();
            i += 1;
            for k in [format!("extra_{suffix}"), format!("x-extra-{suffix}")] {
                let pattern = o.pattern_properties.iter().find(|p| p.regex.is_match(&k));
                let allowed =
                    (pattern.is_some() || !o.closed) && o.property_names.as_ref().is_none_or(|n| n.matches(&json!(k)));
                if allowed && !more.contains_key(&k) {
                    let v = match (pattern, &o.additional) {
                        (Some(p), _) => w.g.value(&p.node),
                        (None, Some(a)) => w.g.value(a),
                        (None, None) => json!("extra"),
                    };
                    more.insert(k, v);
                    break;
                }
            }
        }
        if more.len() > max {
            w.add(
                "maxProperties",
                format!("{} properties, above maxProperties {max}", more.len()),
                Change::Set(Value::Object(more)),
                at,
                via,
            );
        }
    }
    if let Some(names) = &o.property_names {
        let bad = ["Not A Valid Name!", "~", "X_NOT_A_VALID_PROPERTY_NAME_0123456789_0123456789_0123456789"]
            .into_iter()
            .find(|k| !names.matches(&json!(k)) && !m.contains_key(*k));
        if let Some(k) = bad {
            w.add(
                "propertyNames",
                format!("added the property `{k}`, whose name propertyNames refuses"),
                Change::Set(json!("x")),
                &format!("{at}/{}", escape(k)),
                via,
            );
        }
    }
    for (k, cv) in m {
        let child = match o.properties.iter().find(|(d, _)| d == k) {
            Some((_, n)) => Some(n),
            None => {
                o.pattern_properties.iter().find(|p| p.regex.is_match(k)).map(|p| &p.node).or(o.additional.as_deref())
            }
        };
        if let Some(child) = child {
            collect(child, cv, &format!("{at}/{}", escape(k)), via, w);
        }
    }
    // Optional fields this record left out: defects in a value added for them.
    for (k, child) in o.properties.iter().filter(|(k, _)| !m.contains_key(k)) {
        if o.property_names.as_ref().is_none_or(|n| n.matches(&json!(k))) {
            fresh_defects(child, &format!("{at}/{}", escape(k)), via, "the optional field was absent", w);
        }
    }
}

fn array(a: &ArraySpec, items: &[Value], at: &str, via: &Via, w: &mut Walk) {
    if a.min_items > 0 && items.len() >= a.min_items {
        w.add(
            "minItems",
            format!("kept {} items, below minItems {}", a.min_items - 1, a.min_items),
            Change::Set(Value::Array(items[..a.min_items - 1].to_vec())),
            at,
            via,
        );
    }
    // Beyond a sane size a too-long array is no test of the bound, just a huge allocation.
    if let Some(max) = a.max_items.filter(|m| *m < MAX_BROKEN_ITEMS && !a.closed) {
        let mut more = items.to_vec();
        let mut tries = 0;
        while more.len() <= max && tries < 4 * (max + 2) {
            tries += 1;
            let v = w.g.value(a.prefix.get(more.len()).unwrap_or(&a.items));
            if !a.unique || !more.iter().any(|x| json_eq(x, &v)) {
                more.push(v);
            }
        }
        if more.len() > max {
            w.add(
                "maxItems",
                format!("{} items, above maxItems {max}", more.len()),
                Change::Set(Value::Array(more)),
                at,
                via,
            );
        }
    }
    if a.closed && !items.is_empty() {
        let mut more = items.to_vec();
        more.push(items[items.len() - 1].clone());
        w.add(
            "items",
            format!("{} items, beyond the {} prefixItems that `items: false` allows", more.len(), a.prefix.len()),
            Change::Set(Value::Array(more)),
            at,
            via,
        );
    }
    if a.unique && !items.is_empty() {
        let mut dup = items.to_vec();
        let last = dup.len() - 1;
        if dup.len() >= 2 && last > a.prefix.len() {
            dup[last] = dup[last - 1].clone();
        } else {
            dup.push(dup[last].clone());
        }
        w.add("uniqueItems", "the last item repeats the one before it".into(), Change::Set(Value::Array(dup)), at, via);
    }
    if let Some(c) = &a.contains {
        let matching = items.iter().filter(|v| c.matcher.matches(v)).count();
        if c.min >= 1 {
            // Keep min-1 matching items; replace the others with items that do not match.
            let mut kept = 0;
            let mut fewer: Vec<Value> = vec![];
            for v in items {
                if c.matcher.matches(v) {
                    if kept + 1 < c.min {
                        kept += 1;
                        fewer.push(v.clone());
                    }
                } else {
                    fewer.push(v.clone());
                }
            }
            let mut tries = 0;
            while fewer.len() < a.min_items && tries < 4 * RETRY_ITEMS {
                tries += 1;
                let v = w.g.value(&a.items);
                if !c.matcher.matches(&v) && (!a.unique || !fewer.iter().any(|x| json_eq(x, &v))) {
                    fewer.push(v);
                }
            }
            let keyword = if c.min > 1 { "minContains" } else { "contains" };
            w.add(
                keyword,
                format!("{kept} items match `contains`, below {}", c.min),
                Change::Set(Value::Array(fewer)),
                at,
                via,
            );
        }
        if let Some(max) = c.max.filter(|m| *m < MAX_BROKEN_ITEMS) {
            let mut more = items.to_vec();
            let mut count = matching;
            let mut tries = 0;
            while count <= max && tries < 4 * (max + 2) {
                tries += 1;
                let v = w.g.value(&c.node);
                if c.matcher.matches(&v) && (!a.unique || !more.iter().any(|x| json_eq(x, &v))) {
                    // Replace a non-matching item when the array is full.
                    match more
                        .iter()
                        .position(|x| !c.matcher.matches(x))
                        .filter(|_| a.max_items.is_some_and(|m| more.len() >= m))
                    {
                        Some(i) => more[i] = v,
                        None => more.push(v),
                    }
                    count += 1;
                }
            }
            w.add(
                "maxContains",
                format!("{count} items match `contains`, above maxContains {max}"),
                Change::Set(Value::Array(more)),
                at,
                via,
            );
        }
    }
    for (i, item) in items.iter().enumerate() {
        collect(a.prefix.get(i).unwrap_or(&a.items), item, &format!("{at}/{i}"), via, w);
    }
}

const RETRY_ITEMS: usize = 12;

/// Defects in a fresh value of `node` put at `at` (a field that was null or absent), each as the whole broken
/// value set there.
fn fresh_defects(node: &Node, at: &str, via: &Via, why: &str, w: &mut Walk) {
    let fresh = w.g.value(node);
    let mut inner = Walk { g: &mut *w.g, out: vec![] };
    collect(node, &fresh, at, via, &mut inner);
    for mut cand in inner.out {
        let mut whole = fresh.clone();
        let relative = cand.at.strip_prefix(at).unwrap_or("").to_string();
        if change(&mut whole, &relative, std::mem::replace(&mut cand.change, Change::Remove)).is_some() {
            cand.change = Change::Set(whole);
            cand.at = at.to_string();
            cand.defect.detail = format!("{} ({why})", cand.defect.detail);
            w.out.push(cand);
        }
    }
}

fn choice(c: &ChoiceSpec, v: &Value, at: &str, via: &Via, w: &mut Walk) {
    match c.of {
        ChoiceOf::Types => {
            if v.is_null() {
                // A nullable field holding null: a non-null value that breaks the non-null branch's constraint.
                for b in c.branches.iter().filter(|b| !matches!(b.kind, Kind::Null)) {
                    fresh_defects(b, at, via, "the field was null", w);
                }
            } else if let Some(b) = c.branches.iter().find(|b| same_type(b, v)) {
                collect(b, v, at, via, w);
            }
        }
        ChoiceOf::Conditional => {
            for b in &c.branches {
                collect(b, v, at, via, w);
            }
        }
        ChoiceOf::OneOf | ChoiceOf::AnyOf => {
            let kw = if c.of == ChoiceOf::OneOf { "oneOf" } else { "anyOf" };
            let inner_via: Via = via.clone().or_else(|| Some((at.to_string(), kw)));
            let branch = if c.matchers.len() == c.branches.len() {
                c.matchers.iter().position(|m| m.matches(v))
            } else {
                c.branches.iter().position(|b| same_type(b, v))
            };
            if let Some(i) = branch {
                collect(&c.branches[i], v, at, &inner_via, w);
                // A value two branches accept: this one's fields and another branch's, merged.
                if c.of == ChoiceOf::OneOf && v.is_object() {
                    for (j, other) in c.branches.iter().enumerate().filter(|(j, _)| *j != i) {
                        if let Value::Object(extra) = w.g.value(other) {
                            let mut both = v.as_object().cloned().unwrap_or_default();
                            for (k, x) in extra {
                                both.entry(k).or_insert(x);
                            }
                            w.add(
                                "oneOf",
                                format!("a value matching both branch {i} and branch {j}"),
                                Change::Set(Value::Object(both)),
                                at,
                                &via.clone().or_else(|| Some((at.to_string(), kw))),
                            );
                        }
                    }
                }
            }
            for (what, bad) in [("an empty object", json!({})), ("a string", json!("~")), ("false", json!(false))] {
                w.add(
                    kw,
                    format!("{what}, which no branch accepts"),
                    Change::Set(bad),
                    at,
                    &via.clone().or_else(|| Some((at.to_string(), kw))),
                );
            }
        }
    }
}

/// Whether a branch generates values of `v`'s JSON type.
fn same_type(b: &Node, v: &Value) -> bool {
    match (&b.kind, v) {
        (Kind::Object(_), Value::Object(_))
        | (Kind::Array(_), Value::Array(_))
        | (Kind::String(_), Value::String(_))
        | (Kind::Number(_), Value::Number(_))
        | (Kind::Boolean, Value::Bool(_))
        | (Kind::Null, Value::Null) => true,
        (Kind::Enum(vs), _) => vs.contains(v),
        (Kind::Const(c), _) => c == v,
        (Kind::Choice(c), _) => c.branches.iter().any(|b| same_type(b, v)),
        _ => false,
    }
}

pub fn set(root: &mut Value, pointer: &str, v: Value) -> Option<()> {
    if pointer.is_empty() {
        *root = v;
        return Some(());
    }
    let (parent, key) = pointer.rsplit_once('/')?;
    match root.pointer_mut(parent)? {
        Value::Object(m) => {
            m.insert(unescape(key), v);
        }
        Value::Array(items) => *items.get_mut(key.parse::<usize>().ok()?)? = v,
        _ => return None,
    }
    Some(())
}

pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}
