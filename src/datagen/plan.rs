//! A JSON Schema compiled into a generation plan: `$ref`/`$defs` resolved, `allOf` merged (bounds
//! intersected), `if`/`then`/`else` turned into two branches, exclusive bounds and lengths checked, patterns
//! parsed. Sub-schemas that generation cannot satisfy by construction (`oneOf` branches, `contains`,
//! `propertyNames`) also get a validator (`Matcher`) so generation can check itself. Schemas that no value can satisfy (minimum above maximum, a
//! dangling `$ref`, an unknown type, an empty enum) are refused here with the path of the offending keyword,
//! so generation never loops on an impossible constraint.

use super::pattern::Pattern;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Strings without `maxLength` stay at most this long (edge mode goes to the declared maximum only).
pub const DEFAULT_MAX_LEN: usize = 24;
/// Arrays without `maxItems` hold at most this many items.
pub const DEFAULT_MAX_ITEMS: usize = 4;
/// `$ref` chains deeper than this are refused (recursive schemas).
const MAX_REF_DEPTH: usize = 16;
/// Schemas nested deeper than this (through properties, items, branches, `allOf` and `$ref`) are refused:
/// a recursive `allOf` or `$ref` would otherwise recurse until the stack overflows.
pub const MAX_NESTING: usize = 64;
/// The largest `minLength`/`minItems` accepted (a schema above it is refused before anything is allocated;
/// records are capped at 1 MiB by default anyway); `maxLength`/`maxItems` above it are read as this.
pub const MAX_SIZE_KEYWORD: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Node {
    /// The property name this node generates (lower case), used to pick realistic values.
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Object(ObjectSpec),
    Array(ArraySpec),
    String(StringSpec),
    Number(NumberSpec),
    Boolean,
    Null,
    Enum(Vec<Value>),
    Const(Value),
    /// `oneOf`, `anyOf`, `if`/`then`/`else` or a list of types: generate one branch.
    Choice(ChoiceSpec),
    /// No constraint at all (`{}` or `true`).
    Any,
}

/// Which keyword made a choice: validators report a broken branch at the choice for `oneOf`/`anyOf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceOf {
    Types,
    AnyOf,
    OneOf,
    /// `if`+`then` (branch 0) or `else` (branch 1).
    Conditional,
}

#[derive(Debug, Clone)]
pub struct ChoiceSpec {
    pub of: ChoiceOf,
    pub branches: Vec<Node>,
    /// For `oneOf` and `anyOf`: one validator per branch (generation keeps a `oneOf` value in one branch only).
    pub matchers: Vec<Matcher>,
}

/// A validator of one sub-schema (its `$ref`s inlined), formats on.
#[derive(Clone)]
pub struct Matcher(Arc<jsonschema::Validator>);

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Matcher")
    }
}

impl Matcher {
    fn new(schema: &Value, root: &Value) -> Option<Matcher> {
        let inlined = inline_refs(schema, root, 0);
        jsonschema::options().should_validate_formats(true).build(&inlined).ok().map(|v| Matcher(Arc::new(v)))
    }

    pub fn matches(&self, v: &Value) -> bool {
        self.0.is_valid(v)
    }
}

#[derive(Debug, Clone)]
pub struct ObjectSpec {
    pub properties: Vec<(String, Node)>,
    pub required: Vec<String>,
    /// `additionalProperties: false`.
    pub closed: bool,
    /// `additionalProperties` as a schema.
    pub additional: Option<Box<Node>>,
    pub pattern_properties: Vec<PatternProperty>,
    /// `propertyNames`, as a validator of the name (a JSON string).
    pub property_names: Option<Matcher>,
    /// `dependentRequired`, plus the `required` of `dependentSchemas`.
    pub dependent_required: Vec<(String, Vec<String>)>,
    pub min_properties: usize,
    pub max_properties: Option<usize>,
    /// Timestamp properties whose names say an order (created before updated, start before end): (index into
    /// `properties`, rank).
    pub ordered_times: Vec<(usize, u8)>,
}

#[derive(Debug, Clone)]
pub struct PatternProperty {
    pub regex: regex::Regex,
    /// Generates names, when the pattern is in the supported subset.
    pub names: Option<Pattern>,
    pub node: Node,
}

#[derive(Debug, Clone)]
pub struct ArraySpec {
    pub items: Box<Node>,
    pub min_items: usize,
    pub max_items: Option<usize>,
    /// `prefixItems`: the first items' schemas.
    pub prefix: Vec<Node>,
    /// `items: false` beside `prefixItems`: nothing after the prefix.
    pub closed: bool,
    pub unique: bool,
    pub contains: Option<Box<Contains>>,
}

#[derive(Debug, Clone)]
pub struct Contains {
    /// `items` and `contains` merged: what a matching item is generated from.
    pub node: Node,
    pub matcher: Matcher,
    pub min: usize,
    pub max: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct StringSpec {
    pub min_len: usize,
    pub max_len: Option<usize>,
    pub format: Option<String>,
    pub pattern: Option<Pattern>,
    /// The pattern as a regex, to check values chosen by name (a real country code) against it.
    pub regex: Option<regex::Regex>,
    /// What the field's name says it holds (an e-mail, a city...), worked out once.
    pub sem: Option<super::values::Sem>,
}

#[derive(Debug, Clone)]
pub struct NumberSpec {
    pub integer: bool,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<f64>,
}

impl StringSpec {
    /// The longest string generation aims for outside edge mode.
    pub fn soft_max(&self) -> usize {
        self.max_len.unwrap_or(DEFAULT_MAX_LEN.max(self.min_len))
    }
}

impl ArraySpec {
    pub fn soft_max(&self) -> usize {
        self.max_items.unwrap_or(DEFAULT_MAX_ITEMS.max(self.min_items))
    }
}

impl NumberSpec {
    /// The inclusive bounds values must fall in (exclusive ones moved inward), before `multipleOf`.
    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        // A real number strictly inside an exclusive bound, far enough to survive decimal rounding.
        let nudge = |x: f64| (x.abs() * 1e-9).max(1e-6);
        let lo =
            [self.minimum, self.exclusive_minimum.map(|x| if self.integer { x.floor() + 1.0 } else { x + nudge(x) })]
                .into_iter()
                .flatten()
                .reduce(f64::max);
        let hi =
            [self.maximum, self.exclusive_maximum.map(|x| if self.integer { x.ceil() - 1.0 } else { x - nudge(x) })]
                .into_iter()
                .flatten()
                .reduce(f64::min);
        let lo = if self.integer { lo.map(f64::ceil) } else { lo };
        let hi = if self.integer { hi.map(f64::floor) } else { hi };
        (lo, hi)
    }
}

/// The fewest bytes a record of this node serializes to (saturating): what `minLength`, `minItems` and
/// required properties force, checked against the record and byte caps before anything is generated.
pub fn min_bytes(node: &Node) -> u64 {
    match &node.kind {
        Kind::String(s) => (s.min_len as u64).saturating_add(2),
        Kind::Array(a) => {
            2u64.saturating_add((a.min_items as u64).saturating_mul(min_bytes(&a.items).saturating_add(1)))
        }
        Kind::Object(o) => o
            .properties
            .iter()
            .filter(|(k, _)| o.required.contains(k))
            .fold(2u64, |sum, (k, child)| sum.saturating_add(k.len() as u64 + 4).saturating_add(min_bytes(child))),
        Kind::Choice(c) => c.branches.iter().map(min_bytes).min().unwrap_or(1),
        Kind::Const(v) => serde_json::to_string(v).map_or(1, |s| s.len() as u64),
        Kind::Enum(vs) => vs.iter().map(|v| serde_json::to_string(v).map_or(1, |s| s.len() as u64)).min().unwrap_or(1),
        _ => 1,
    }
}

/// Refuses, before anything is generated, a schema whose smallest record is over `max_record_bytes` or whose
/// `count` smallest records are over `max_total_bytes`.
pub fn check_sizes(node: &Node, count: u64, max_record_bytes: usize, max_total_bytes: u64) -> Result<(), String> {
    let one = min_bytes(node);
    if one > max_record_bytes as u64 {
        return Err(format!(
            "its smallest record is {one} bytes (minLength/minItems/required), above the record cap of {max_record_bytes} bytes (safety.max_message_bytes); lower minLength or minItems"
        ));
    }
    let all = one.saturating_mul(count);
    if all > max_total_bytes {
        return Err(format!(
            "{count} records of at least {one} bytes make {all} bytes, above the cap of {max_total_bytes} bytes for one call; lower `count` or minLength/minItems"
        ));
    }
    Ok(())
}

/// Compiles a schema; errors name the JSON path of the problem and what was expected.
pub fn compile(schema: &Value) -> Result<Node, String> {
    Compiler { root: schema, depth: 0, nesting: 0 }.node(schema, "", "schema")
}

struct Compiler<'a> {
    root: &'a Value,
    depth: usize,
    nesting: usize,
}

impl<'a> Compiler<'a> {
    fn node(&mut self, schema: &Value, name: &str, at: &str) -> Result<Node, String> {
        if self.nesting >= MAX_NESTING {
            let at = crate::text::cut_bytes(at, 200);
            return Err(format!(
                "{at}: the schema nests deeper than {MAX_NESTING} levels (a recursive `$ref` or `allOf`?); recursive schemas are not supported this deep"
            ));
        }
        self.nesting += 1;
        let node = self.node_inner(schema, name, at);
        self.nesting -= 1;
        node
    }

    fn node_inner(&mut self, schema: &Value, name: &str, at: &str) -> Result<Node, String> {
        let name = name.to_ascii_lowercase();
        let map = match schema {
            Value::Bool(true) => return Ok(Node { name, kind: Kind::Any }),
            Value::Bool(false) => return Err(format!("{at} is `false`: no value can satisfy it")),
            Value::Object(m) => m,
            other => return Err(format!("{at} must be a schema object, got {other}")),
        };
        if let Some(reference) = map.get("$ref") {
            let target = self.resolve(reference, at)?;
            if self.depth >= MAX_REF_DEPTH {
                return Err(format!("{at}.$ref: recursive references deeper than {MAX_REF_DEPTH} are not supported"));
            }
            self.depth += 1;
            // Keywords beside `$ref` (2019-09 and later) still apply: merge them over the target.
            let merged = merge(target.clone(), map.iter().filter(|(k, _)| *k != "$ref"));
            let node = self.node(&merged, &name, at);
            self.depth -= 1;
            return node;
        }
        if let Some(all) = map.get("allOf") {
            let parts = all
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or(format!("{at}.allOf must be a non-empty array of schemas"))?;
            let mut merged =
                Value::Object(map.iter().filter(|(k, _)| *k != "allOf").map(|(k, v)| (k.clone(), v.clone())).collect());
            for (i, part) in parts.iter().enumerate() {
                let part = match part.get("$ref") {
                    Some(r) => self.resolve(r, &format!("{at}.allOf[{i}]"))?.clone(),
                    None => part.clone(),
                };
                let Value::Object(pm) = part else { return Err(format!("{at}.allOf[{i}] must be a schema object")) };
                merged = merge(merged, pm.iter());
            }
            return self.node(&merged, &name, at);
        }
        if let Some(Value::Object(cond)) = map.get("if") {
            // `if` holds and `then` applies, or `else` applies (a record that happens to meet `if` there is
            // caught by the whole-record check); a branch no value can satisfy is dropped.
            let base: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "if" | "then" | "else"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let empty = Map::new();
            let part = |k: &str| map.get(k).and_then(Value::as_object).unwrap_or(&empty);
            let yes = merge(merge(Value::Object(base.clone()), cond.iter()), part("then").iter());
            let no = merge(Value::Object(base), part("else").iter());
            let yes = self.node(&yes, &name, &format!("{at}.then"));
            let no = self.node(&no, &name, &format!("{at}.else"));
            return match (yes, no) {
                (Ok(a), Ok(b)) => Ok(Node {
                    name,
                    kind: Kind::Choice(ChoiceSpec {
                        of: ChoiceOf::Conditional,
                        branches: vec![a, b],
                        matchers: vec![],
                    }),
                }),
                (Ok(n), Err(_)) | (Err(_), Ok(n)) => Ok(n),
                (Err(e), Err(_)) => Err(e),
            };
        }
        if let Some(c) = map.get("const") {
            return Ok(Node { name, kind: Kind::Const(c.clone()) });
        }
        if let Some(e) = map.get("enum") {
            let values =
                e.as_array().filter(|a| !a.is_empty()).ok_or(format!("{at}.enum must be a non-empty array"))?;
            return Ok(Node { name, kind: Kind::Enum(values.clone()) });
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = map.get(key) {
                let list = branches
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .ok_or(format!("{at}.{key} must be a non-empty array of schemas"))?;
                let base: Map<String, Value> =
                    map.iter().filter(|(k, _)| *k != key).map(|(k, v)| (k.clone(), v.clone())).collect();
                let merged: Vec<Value> = list
                    .iter()
                    .map(|b| merge(Value::Object(base.clone()), b.as_object().into_iter().flatten()))
                    .collect();
                let nodes = merged
                    .iter()
                    .enumerate()
                    .map(|(i, b)| self.node(b, &name, &format!("{at}.{key}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                let matchers: Vec<Matcher> = merged.iter().filter_map(|b| Matcher::new(b, self.root)).collect();
                let of = if key == "oneOf" { ChoiceOf::OneOf } else { ChoiceOf::AnyOf };
                let matchers = if matchers.len() == nodes.len() { matchers } else { vec![] };
                return Ok(Node { name, kind: Kind::Choice(ChoiceSpec { of, branches: nodes, matchers }) });
            }
        }
        let types: Vec<String> = match map.get("type") {
            None => vec![infer_type(map).to_string()],
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) if !ts.is_empty() => ts
                .iter()
                .map(|t| t.as_str().map(str::to_string).ok_or(format!("{at}.type must list type names")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("{at}.type must be a type name or a list of them, got {other}")),
        };
        if types.len() > 1 {
            let nodes = types.iter().map(|t| self.typed(map, t, &name, at)).collect::<Result<Vec<_>, _>>()?;
            return Ok(Node {
                name,
                kind: Kind::Choice(ChoiceSpec { of: ChoiceOf::Types, branches: nodes, matchers: vec![] }),
            });
        }
        self.typed(map, &types[0], &name, at)
    }

    fn typed(&mut self, map: &Map<String, Value>, ty: &str, name: &str, at: &str) -> Result<Node, String> {
        let kind = match ty {
            "object" => Kind::Object(self.object(map, at)?),
            "array" => Kind::Array(self.array(map, name, at)?),
            "string" => {
                let min_len = usize_kw(map, "minLength", at)?.unwrap_or(0);
                let max_len = usize_kw(map, "maxLength", at)?;
                if let Some(max) = max_len.filter(|m| *m < min_len) {
                    return Err(format!(
                        "{at}: minLength {min_len} is above maxLength {max}; no string can satisfy both"
                    ));
                }
                let pattern = match map.get("pattern") {
                    Some(Value::String(p)) => Some(Pattern::parse(p).map_err(|e| format!("{at}.pattern `{p}`: {e} (supported: literals, escapes, `.`, classes, groups with `|`, quantifiers)"))?),
                    Some(other) => return Err(format!("{at}.pattern must be a string, got {other}")),
                    None => None,
                };
                let format = map.get("format").and_then(Value::as_str).map(str::to_string);
                let regex = pattern.as_ref().and_then(|p| regex::Regex::new(p.source()).ok());
                Kind::String(StringSpec {
                    min_len,
                    max_len,
                    format,
                    pattern,
                    regex,
                    sem: super::values::semantic(name),
                })
            }
            "integer" | "number" => {
                let spec = NumberSpec {
                    integer: ty == "integer",
                    minimum: f64_kw(map, "minimum", at)?,
                    maximum: f64_kw(map, "maximum", at)?,
                    exclusive_minimum: f64_kw(map, "exclusiveMinimum", at)?,
                    exclusive_maximum: f64_kw(map, "exclusiveMaximum", at)?,
                    multiple_of: f64_kw(map, "multipleOf", at)?,
                };
                if spec.multiple_of.is_some_and(|m| m <= 0.0) {
                    return Err(format!("{at}.multipleOf must be above 0"));
                }
                if let (Some(lo), Some(hi)) = spec.bounds() {
                    if lo > hi {
                        return Err(format!(
                            "{at}: the lower bound {lo} is above the upper bound {hi}; no number can satisfy both"
                        ));
                    }
                    if let Some(m) = spec.multiple_of {
                        if (lo / m).ceil() > (hi / m).floor() {
                            return Err(format!("{at}: no multiple of {m} lies between {lo} and {hi}"));
                        }
                    }
                }
                Kind::Number(spec)
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            other => {
                return Err(format!(
                "{at}.type `{other}` is not a JSON Schema type (object, array, string, integer, number, boolean, null)"
            ))
            }
        };
        Ok(Node { name: name.to_string(), kind })
    }

    fn object(&mut self, map: &Map<String, Value>, at: &str) -> Result<ObjectSpec, String> {
        let mut pattern_properties = vec![];
        let mut pattern_schemas: Vec<(regex::Regex, &Value)> = vec![];
        if let Some(pp) = map.get("patternProperties") {
            let pp = pp.as_object().ok_or(format!("{at}.patternProperties must be an object"))?;
            for (p, schema) in pp {
                let here = format!("{at}.patternProperties.{p}");
                let regex = regex::Regex::new(p).map_err(|e| format!("{here}: not a regular expression ({e})"))?;
                let names = Pattern::parse(p).ok().map(|n| (n, p.ends_with('$')));
                let node = self.node(schema, "", &here)?;
                pattern_schemas.push((regex.clone(), schema));
                pattern_properties.push(PatternProperty {
                    regex,
                    names: names.map(|(n, anchored)| if anchored { n } else { n.open_ended() }),
                    node,
                });
            }
        }
        let mut dependent_required: Vec<(String, Vec<String>)> = vec![];
        if let Some(dr) = map.get("dependentRequired") {
            let dr = dr.as_object().ok_or(format!("{at}.dependentRequired must be an object"))?;
            for (k, names) in dr {
                let names = names
                    .as_array()
                    .and_then(|a| a.iter().map(|n| n.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                    .ok_or(format!("{at}.dependentRequired.{k} must list property names"))?;
                dependent_required.push((k.clone(), names));
            }
        }
        // `dependentSchemas`: their `required` join dependentRequired; their `properties` restrict the
        // properties always (stricter than needed, never wrong).
        let mut extra_properties: Map<String, Value> = Map::new();
        if let Some(ds) = map.get("dependentSchemas").and_then(Value::as_object) {
            for (k, dep) in ds {
                if let Some(req) = dep.get("required").and_then(Value::as_array) {
                    dependent_required
                        .push((k.clone(), req.iter().filter_map(|r| r.as_str().map(str::to_string)).collect()));
                }
                if let Some(props) = dep.get("properties").and_then(Value::as_object) {
                    for (pk, pv) in props {
                        let merged = match extra_properties.remove(pk) {
                            Some(prev) => merge(prev, pv.as_object().into_iter().flatten()),
                            None => pv.clone(),
                        };
                        extra_properties.insert(pk.clone(), merged);
                    }
                }
            }
        }
        let mut properties = vec![];
        if let Some(props) = map.get("properties") {
            let props = props.as_object().ok_or(format!("{at}.properties must be an object"))?;
            for (k, v) in props {
                // A declared property whose name a patternProperties regex matches must satisfy both.
                let mut schema = v.clone();
                for (re, ps) in &pattern_schemas {
                    if re.is_match(k) {
                        schema = merge(schema, ps.as_object().into_iter().flatten());
                    }
                }
                if let Some(extra) = extra_properties.get(k) {
                    schema = merge(schema, extra.as_object().into_iter().flatten());
                }
                properties.push((k.clone(), self.node(&schema, k, &format!("{at}.properties.{k}"))?));
            }
        }
        let required: Vec<String> = match map.get("required") {
            None => vec![],
            Some(Value::Array(r)) => r
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or(format!("{at}.required must list property names")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("{at}.required must be an array of names, got {other}")),
        };
        let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
        let additional = match map.get("additionalProperties") {
            Some(a @ Value::Object(_)) => Some(Box::new(self.node(a, "", &format!("{at}.additionalProperties"))?)),
            _ => None,
        };
        let names: Vec<String> =
            required.iter().chain(dependent_required.iter().flat_map(|(_, d)| d)).cloned().collect();
        for r in names {
            if !properties.iter().any(|(k, _)| *k == r) {
                let by_pattern = pattern_properties.iter().find(|p| p.regex.is_match(&r)).map(|p| p.node.clone());
                if closed && by_pattern.is_none() {
                    return Err(format!("{at}.required names `{r}`, which additionalProperties: false forbids"));
                }
                // Required but undescribed: the pattern's or additional schema, else any string.
                let mut node = by_pattern.or_else(|| additional.as_deref().cloned()).unwrap_or(Node {
                    name: String::new(),
                    kind: Kind::String(StringSpec {
                        min_len: 1,
                        max_len: None,
                        format: None,
                        pattern: None,
                        regex: None,
                        sem: None,
                    }),
                });
                node.name = r.to_ascii_lowercase();
                properties.push((r.clone(), node));
            }
        }
        let property_names = match map.get("propertyNames") {
            Some(pn @ Value::Object(_)) => Matcher::new(pn, self.root),
            _ => None,
        };
        let min_properties = usize_kw(map, "minProperties", at)?.unwrap_or(0);
        let max_properties = usize_kw(map, "maxProperties", at)?;
        if let Some(max) = max_properties {
            if max < min_properties {
                return Err(format!("{at}: minProperties {min_properties} is above maxProperties {max}"));
            }
            if max < required.len() {
                return Err(format!("{at}: {} required properties, above maxProperties {max}", required.len()));
            }
        }
        let ordered_times = properties
            .iter()
            .enumerate()
            .filter(|(_, (_, n))| {
                matches!(&n.kind, Kind::String(s) if s.pattern.is_none()) || matches!(n.kind, Kind::Number(_))
            })
            .filter_map(|(i, (k, _))| super::values::time_rank(&k.to_ascii_lowercase()).map(|r| (i, r)))
            .collect::<Vec<_>>();
        let ordered_times = if ordered_times.len() >= 2 { ordered_times } else { vec![] };
        Ok(ObjectSpec {
            properties,
            required,
            closed,
            additional,
            pattern_properties,
            property_names,
            dependent_required,
            min_properties,
            max_properties,
            ordered_times,
        })
    }

    fn array(&mut self, map: &Map<String, Value>, name: &str, at: &str) -> Result<ArraySpec, String> {
        let mut prefix = vec![];
        if let Some(p) = map.get("prefixItems") {
            let p = p.as_array().ok_or(format!("{at}.prefixItems must be an array of schemas"))?;
            for (i, s) in p.iter().enumerate() {
                prefix.push(self.node(s, name, &format!("{at}.prefixItems[{i}]"))?);
            }
        }
        let closed = map.get("items") == Some(&Value::Bool(false)) && !prefix.is_empty();
        let items_schema = match map.get("items") {
            Some(Value::Bool(false)) | None => Value::Object(Map::new()),
            Some(s) => s.clone(),
        };
        let items = match map.get("items") {
            Some(Value::Bool(false)) | None => Node { name: name.to_string(), kind: Kind::Any },
            Some(s) => self.node(s, name, &format!("{at}.items"))?,
        };
        let mut min_items = usize_kw(map, "minItems", at)?.unwrap_or(0);
        let mut max_items = usize_kw(map, "maxItems", at)?;
        if closed {
            max_items = Some(max_items.map_or(prefix.len(), |m| m.min(prefix.len())));
        }
        let contains = match map.get("contains") {
            Some(c @ Value::Object(cm)) => {
                let min = usize_kw(map, "minContains", at)?.unwrap_or(1);
                let max = usize_kw(map, "maxContains", at)?;
                if max.is_some_and(|m| m < min) {
                    return Err(format!("{at}: minContains {min} is above maxContains {}", max.unwrap_or(0)));
                }
                min_items = min_items.max(min);
                let merged = merge(items_schema.clone(), cm.iter());
                let node = self.node(&merged, name, &format!("{at}.contains"))?;
                let matcher = Matcher::new(c, self.root).ok_or(format!("{at}.contains does not compile"))?;
                Some(Box::new(Contains { node, matcher, min, max }))
            }
            _ => None,
        };
        if let Some(max) = max_items.filter(|m| *m < min_items) {
            return Err(format!("{at}: minItems {min_items} is above maxItems {max}; no array can satisfy both"));
        }
        let unique = map.get("uniqueItems") == Some(&Value::Bool(true));
        Ok(ArraySpec { items: Box::new(items), min_items, max_items, prefix, closed, unique, contains })
    }

    fn resolve(&self, reference: &Value, at: &str) -> Result<&'a Value, String> {
        let r = reference.as_str().ok_or(format!("{at}.$ref must be a string"))?;
        let pointer = r
            .strip_prefix('#')
            .ok_or(format!("{at}.$ref `{r}`: only local references (`#/$defs/..`) are supported"))?;
        self.root
            .pointer(pointer)
            .ok_or(format!("{at}.$ref `{r}` points to nothing in the schema (a dangling reference)"))
    }
}

/// The type a schema without `type` most likely means, from its keywords.
fn infer_type(map: &Map<String, Value>) -> &'static str {
    let any = |ks: &[&str]| ks.iter().any(|k| map.contains_key(*k));
    if any(&[
        "properties",
        "required",
        "patternProperties",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "minProperties",
        "maxProperties",
    ]) {
        "object"
    } else if any(&["items", "prefixItems", "contains", "minItems", "maxItems", "uniqueItems"]) {
        "array"
    } else if any(&["minLength", "maxLength", "pattern", "format"]) {
        "string"
    } else if any(&["minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum"]) {
        "number"
    } else {
        "string"
    }
}

/// `extra` laid over `base` as `allOf` would combine them, as far as one schema can say it: properties merged
/// key by key, `required` joined, bounds intersected, types and enums intersected; other keywords: `extra`'s.
fn merge<'v>(base: Value, extra: impl Iterator<Item = (&'v String, &'v Value)>) -> Value {
    let mut out = match base {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for (k, v) in extra {
        let merged = match (k.as_str(), out.get(k), v) {
            (
                "properties" | "patternProperties" | "dependentSchemas",
                Some(Value::Object(existing)),
                Value::Object(more),
            ) => {
                let mut m = existing.clone();
                for (pk, pv) in more {
                    let value = match (m.get(pk), pv) {
                        (Some(prev @ Value::Object(_)), Value::Object(pm)) => merge(prev.clone(), pm.iter()),
                        _ => pv.clone(),
                    };
                    m.insert(pk.clone(), value);
                }
                Value::Object(m)
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                let mut all = existing.clone();
                all.extend(more.iter().filter(|m| !existing.contains(m)).cloned());
                Value::Array(all)
            }
            (
                "minimum" | "exclusiveMinimum" | "minLength" | "minItems" | "minProperties" | "minContains",
                Some(Value::Number(a)),
                Value::Number(b),
            ) => {
                if a.as_f64() > b.as_f64() {
                    Value::Number(a.clone())
                } else {
                    Value::Number(b.clone())
                }
            }
            (
                "maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" | "maxProperties" | "maxContains",
                Some(Value::Number(a)),
                Value::Number(b),
            ) => {
                if a.as_f64() < b.as_f64() {
                    Value::Number(a.clone())
                } else {
                    Value::Number(b.clone())
                }
            }
            ("enum", Some(Value::Array(a)), Value::Array(b)) => {
                let both: Vec<Value> = a.iter().filter(|x| b.contains(x)).cloned().collect();
                Value::Array(if both.is_empty() { b.clone() } else { both })
            }
            ("type", Some(a), b) => {
                let list = |t: &Value| -> Vec<String> {
                    match t {
                        Value::String(s) => vec![s.clone()],
                        Value::Array(ts) => ts.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                        _ => vec![],
                    }
                };
                let (la, lb) = (list(a), list(b));
                let meet: Vec<String> = la
                    .iter()
                    .filter_map(|x| {
                        if lb.contains(x) {
                            Some(x.clone())
                        } else if (x == "number" && lb.iter().any(|y| y == "integer"))
                            || (x == "integer" && lb.iter().any(|y| y == "number"))
                        {
                            Some("integer".into())
                        } else {
                            None
                        }
                    })
                    .collect();
                match meet.len() {
                    0 => b.clone(),
                    1 => Value::String(meet[0].clone()),
                    _ => Value::Array(meet.into_iter().map(Value::String).collect()),
                }
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), merged);
    }
    Value::Object(out)
}

/// `schema` with its local `$ref`s replaced by their targets (keywords beside a `$ref` merged over it), so a
/// validator can be built for a sub-schema on its own. Deeper than the `$ref` limit, a reference becomes `true`.
fn inline_refs(schema: &Value, root: &Value, depth: usize) -> Value {
    match schema {
        Value::Object(m) => {
            if let Some(target) =
                m.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).map(|p| root.pointer(p))
            {
                let Some(target) = target.filter(|_| depth < MAX_REF_DEPTH) else { return Value::Bool(true) };
                let merged = merge(target.clone(), m.iter().filter(|(k, _)| *k != "$ref"));
                return inline_refs(&merged, root, depth + 1);
            }
            Value::Object(
                m.iter()
                    .filter(|(k, _)| *k != "$defs" && *k != "definitions" && *k != "$schema")
                    .map(|(k, v)| (k.clone(), inline_refs(v, root, depth)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| inline_refs(v, root, depth)).collect()),
        other => other.clone(),
    }
}

fn usize_kw(map: &Map<String, Value>, key: &str, at: &str) -> Result<Option<usize>, String> {
    match map.get(key) {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            // An upper bound beyond what is ever generated means no bound in practice (2^31-1 is common).
            Some(n) if n > MAX_SIZE_KEYWORD && key.starts_with("max") => Ok(Some(MAX_SIZE_KEYWORD as usize)),
            Some(n) if n > MAX_SIZE_KEYWORD => Err(format!(
                "{at}.{key} is {n}; at most {MAX_SIZE_KEYWORD} is supported (records are capped far below that)"
            )),
            Some(n) => Ok(Some(n as usize)),
            None => Err(format!("{at}.{key} must be a non-negative integer, got {v}")),
        },
    }
}

fn f64_kw(map: &Map<String, Value>, key: &str, at: &str) -> Result<Option<f64>, String> {
    match map.get(key) {
        None => Ok(None),
        // Draft 4 wrote exclusive bounds as booleans beside minimum/maximum.
        Some(Value::Bool(_)) => {
            Err(format!("{at}.{key} as a boolean is draft 4; write it as a number (draft 6 and later)"))
        }
        Some(v) => v.as_f64().map(Some).ok_or(format!("{at}.{key} must be a number, got {v}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn impossible_schemas_are_refused_with_their_path() {
        let cases = [
            (json!({"type": "object", "properties": {"a": {"type": "strng"}}}), "schema.properties.a.type `strng`"),
            (
                json!({"properties": {"n": {"type": "integer", "minimum": 10, "maximum": 5}}}),
                "schema.properties.n: the lower bound 10 is above",
            ),
            (
                json!({"properties": {"s": {"type": "string", "minLength": 5, "maxLength": 2}}}),
                "minLength 5 is above maxLength 2",
            ),
            (json!({"properties": {"x": {"$ref": "#/$defs/missing"}}}), "dangling reference"),
            (
                json!({"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 2}),
                "lower bound 2 is above the upper bound 1",
            ),
            (json!({"type": "integer", "minimum": 1, "maximum": 4, "multipleOf": 5}), "no multiple of 5"),
            (json!({"enum": []}), "schema.enum must be a non-empty array"),
            (
                json!({"type": "object", "required": ["z"], "additionalProperties": false}),
                "which additionalProperties: false forbids",
            ),
        ];
        for (schema, expected) in cases {
            let err = compile(&schema).unwrap_err();
            assert!(err.contains(expected), "{schema}: {err}");
        }
    }

    #[test]
    fn recursive_schemas_are_refused_not_a_stack_overflow() {
        for schema in [
            json!({"allOf": [{"$ref": "#"}]}),
            json!({"$ref": "#"}),
            json!({"type": "object", "properties": {"a": {"$ref": "#"}}, "required": ["a"]}),
            json!({"anyOf": [{"$ref": "#"}]}),
            json!({"type": "array", "items": {"$ref": "#"}}),
        ] {
            let err = compile(&schema).unwrap_err();
            assert!(err.contains("recursive") || err.contains("deeper"), "{schema}: {err}");
        }
    }

    #[test]
    fn huge_sizes_are_refused_or_bounded() {
        let err = compile(&json!({"type": "array", "minItems": 1_000_000_000u64, "items": {"type": "integer"}}));
        assert!(err.unwrap_err().contains("minItems is 1000000000"));
        let err = compile(&json!({"type": "string", "minLength": 1_000_000_000u64}));
        assert!(err.unwrap_err().contains("minLength"));
        let n = compile(&json!({"type": "string", "maxLength": 2_147_483_647u64})).unwrap();
        assert!(matches!(n.kind, Kind::String(s) if s.max_len == Some(MAX_SIZE_KEYWORD as usize)));
        let n = compile(&json!({"type": "array", "minItems": 1000, "items": {"type": "string", "minLength": 1000}}));
        assert!(min_bytes(&n.unwrap()) > 1_000_000);
        let n = compile(
            &json!({"type": "object", "properties": {"a": {"type": "string", "minLength": 5}}, "required": ["a"]}),
        );
        assert_eq!(min_bytes(&n.unwrap()), 2 + 5 + 7);
    }

    #[test]
    fn refs_and_all_of_are_resolved() {
        let schema = json!({
            "$defs": {"money": {"type": "number", "minimum": 0}},
            "allOf": [{"type": "object", "properties": {"a": {"$ref": "#/$defs/money"}}}, {"required": ["a"]}]
        });
        let node = compile(&schema).unwrap();
        let Kind::Object(o) = node.kind else { panic!("object expected") };
        assert_eq!(o.required, vec!["a"]);
        assert!(matches!(&o.properties[0].1.kind, Kind::Number(n) if n.minimum == Some(0.0)));
    }
}
