//! What inference remembers about one position in the documents (the root, a property, array items):
//! counts per JSON type, ranges, string formats still possible, a capped set of distinct short strings and
//! a few examples. Memory per position is bounded, whatever the number of samples.

use super::formats;
use super::shape::Shape;
use super::structure::{self, SchemaCx, Unique};
use super::unions::{self, TagTrack};
use serde_json::{Map, Number, Value};

/// Strings longer than this are never enum candidates, and end distinct-value tracking.
pub const ENUM_MAX_CHARS: usize = 32;
/// Strings longer than this are not kept as examples.
const EXAMPLE_MAX_CHARS: usize = 64;
/// Properties kept per object position; more (maps keyed by ids) are counted, not tracked, so memory stays
/// bounded. Untracked properties stay allowed by the schema (no `additionalProperties: false`).
pub const MAX_PROPERTIES: usize = 512;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_enum: usize,
    pub max_examples: usize,
    /// Track what closed objects, patterns, multipleOf, uniqueItems and tagged unions need.
    pub structure: bool,
}

#[derive(Debug, Default)]
pub struct Node {
    /// Times a value was present here (null included).
    pub seen: u64,
    pub nulls: u64,
    pub bools: u64,
    pub integers: u64,
    pub floats: u64,
    pub strings: u64,
    pub arrays: u64,
    pub objects: u64,
    pub int_range: Option<(i128, i128)>,
    float_range: Option<(f64, f64)>,
    /// Lengths in characters (strings) and elements (arrays).
    pub str_len: Option<(u64, u64)>,
    pub arr_len: Option<(u64, u64)>,
    pub nonempty_arrays: u64,
    /// Formats every string so far matched (bit mask over `formats::FORMATS`).
    pub format_mask: u8,
    /// Distinct short strings with their counts; `None` once more than the enum cap were seen.
    pub distinct: Option<Vec<(Box<str>, u64)>>,
    pub examples: Vec<Value>,
    pub items: Option<Box<Node>>,
    pub props: Vec<(Box<str>, Node)>,
    pub untracked_props: u64,
    // What structure recovery needs (see structure.rs, shape.rs, unions.rs); untouched when it is off.
    /// String shapes, from the moment distinct values outnumber the enum cap.
    pub shape: Option<Box<Shape>>,
    /// Some strings were not shaped (a format explained them then): no pattern.
    pub shape_gap: bool,
    /// Numbers with more than two decimals, with exactly two, and exact cents a float division misses.
    pub over_cents: u64,
    pub cents: u64,
    pub float_division_misses: u64,
    /// Greatest common divisor of the integers seen (0 before any).
    pub int_gcd: u128,
    pub unique: Unique,
    /// Keys of the object being added (bit per property slot, first 64 slots).
    pub cur_mask: u64,
    /// Keys of the last object added here, until the enclosing object reads it.
    pub last_mask: Option<u64>,
    /// The object count when the last new key appeared.
    pub last_new_key: u64,
    /// Index in `distinct` of the last string added here, until the enclosing object reads it.
    pub last_tag: Option<u8>,
    /// Property slots that may still be a tag or an object-valued sibling (see unions.rs).
    pub watch: u64,
    /// This property stopped being watched by its object: its key sets per tag value are incomplete.
    pub sib_gap: bool,
    /// Per candidate tag property: the key sets each of its values went with.
    pub tags: Vec<TagTrack>,
}

impl Node {
    pub fn new() -> Node {
        Node { format_mask: formats::ALL, distinct: Some(Vec::new()), watch: u64::MAX, ..Default::default() }
    }

    /// Adds a parsed value (the streaming path in `stream.rs` calls the same primitives).
    pub fn add(&mut self, v: &Value, lim: &Limits) {
        match v {
            Value::Null => self.add_null(),
            Value::Bool(b) => self.add_bool(*b, lim),
            Value::Number(n) => match n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)) {
                Some(i) => self.add_int(i, lim),
                None => self.add_float(n.as_f64().unwrap_or(0.0), lim),
            },
            Value::String(s) => self.add_str(s, lim),
            Value::Array(a) => {
                if let Some(items) = self.begin_array(a.len()) {
                    for x in a {
                        items.add(x, lim);
                    }
                }
                if lim.structure && self.unique.possible() {
                    self.unique.note_values(a);
                }
            }
            Value::Object(o) => {
                self.begin_object();
                for (slot, (k, v)) in o.iter().enumerate() {
                    if let Some(child) = self.property(slot, k) {
                        child.add(v, lim);
                    }
                }
                if lim.structure {
                    self.end_object();
                }
            }
        }
    }

    #[inline]
    pub fn add_null(&mut self) {
        self.seen += 1;
        self.nulls += 1;
    }

    #[inline]
    pub fn add_bool(&mut self, b: bool, lim: &Limits) {
        self.seen += 1;
        self.bools += 1;
        if self.examples.len() < lim.max_examples && !self.examples.iter().any(|e| e.as_bool() == Some(b)) {
            self.examples.push(Value::Bool(b));
        }
    }

    #[inline]
    pub fn add_int(&mut self, i: i128, lim: &Limits) {
        self.seen += 1;
        self.integers += 1;
        if lim.structure && self.int_gcd != 1 {
            self.int_gcd = structure::gcd(self.int_gcd, i.unsigned_abs());
        }
        self.int_range = Some(match self.int_range {
            Some((lo, hi)) => (lo.min(i), hi.max(i)),
            None => (i, i),
        });
        if self.examples.len() < lim.max_examples {
            let n = int_number(i);
            if !self.examples.iter().any(|e| e.as_number() == Some(&n)) {
                self.examples.push(Value::Number(n));
            }
        }
    }

    #[inline]
    pub fn add_float(&mut self, f: f64, lim: &Limits) {
        self.seen += 1;
        self.floats += 1;
        if lim.structure {
            self.note_decimals(f);
        }
        self.float_range = Some(match self.float_range {
            Some((lo, hi)) => (lo.min(f), hi.max(f)),
            None => (f, f),
        });
        if self.examples.len() < lim.max_examples && !self.examples.iter().any(|e| e.as_f64() == Some(f) && e.is_f64())
        {
            if let Some(n) = Number::from_f64(f) {
                self.examples.push(Value::Number(n));
            }
        }
    }

    #[inline]
    pub fn add_str(&mut self, s: &str, lim: &Limits) {
        self.seen += 1;
        self.strings += 1;
        let chars = if s.is_ascii() { s.len() } else { s.chars().count() };
        self.str_len = Some(widen(self.str_len, chars as u64));
        if self.format_mask != 0 {
            self.format_mask = formats::narrow(self.format_mask, s);
        }
        if let Some(d) = &mut self.distinct {
            // A short list scanned in place: cheaper than hashing for the few values an enum has.
            if chars > ENUM_MAX_CHARS {
                self.end_distinct(s, lim);
            } else if let Some(i) = d.iter().position(|(v, _)| **v == *s) {
                d[i].1 += 1;
                if lim.structure && i < unions::MAX_TAG_VALUES {
                    self.last_tag = Some(i as u8);
                }
            } else if d.len() >= lim.max_enum {
                self.end_distinct(s, lim);
            } else {
                if lim.structure && d.len() < unions::MAX_TAG_VALUES {
                    self.last_tag = Some(d.len() as u8);
                }
                d.push((s.into(), 1));
            }
        } else if lim.structure && !self.shape_gap {
            self.shape_value(s);
        }
        if chars <= EXAMPLE_MAX_CHARS
            && self.examples.len() < lim.max_examples
            && !self.examples.iter().any(|e| e.as_str() == Some(s))
        {
            self.examples.push(Value::String(s.to_string()));
        }
    }

    /// Distinct values outnumber the enum cap (or one is too long): stop counting them, and start shaping
    /// strings from the values seen so far (a shape does not care how often a value was seen).
    fn end_distinct(&mut self, s: &str, lim: &Limits) {
        let seen = self.distinct.take().unwrap_or_default();
        if !lim.structure {
            return;
        }
        for (v, _) in &seen {
            self.shape_value(v);
        }
        self.shape_value(s);
    }

    /// Adds `s` to the shape, unless a format still explains every value (then the shape would not be used,
    /// and is given up: a format that fails later leaves no pattern).
    fn shape_value(&mut self, s: &str) {
        if self.shape_gap {
            return;
        }
        if self.format_mask != 0 {
            self.shape_gap = true;
            self.shape = None;
            return;
        }
        if !self.shape.get_or_insert_with(Default::default).add(s) {
            self.shape_gap = true;
            self.shape = None;
        }
    }

    /// Counts an array of `len` elements; returns the items node when there are elements to add to it.
    #[inline]
    pub fn begin_array(&mut self, len: usize) -> Option<&mut Node> {
        self.seen += 1;
        self.arrays += 1;
        self.arr_len = Some(widen(self.arr_len, len as u64));
        if len == 0 {
            return None;
        }
        self.nonempty_arrays += 1;
        Some(self.items.get_or_insert_with(|| Box::new(Node::new())))
    }

    #[inline]
    pub fn begin_object(&mut self) {
        self.seen += 1;
        self.objects += 1;
    }

    /// The node of property `key`, the `slot`-th key of the object being added; None once the property cap
    /// is reached (the property is counted, not tracked).
    #[inline]
    pub fn property(&mut self, slot: usize, key: &str) -> Option<&mut Node> {
        // Objects of one kind list their keys in the same order: try the same slot first, then scan.
        let found = match self.props.get(slot) {
            Some((name, _)) if **name == *key => Some(slot),
            _ => self.props.iter().position(|(name, _)| **name == *key),
        };
        let i = match found {
            Some(i) => i,
            None if self.props.len() < MAX_PROPERTIES => {
                self.props.push((key.into(), Node::new()));
                self.last_new_key = self.objects;
                self.props.len() - 1
            }
            None => {
                self.untracked_props += 1;
                return None;
            }
        };
        if i < 64 {
            self.cur_mask |= 1 << i;
        }
        Some(&mut self.props[i].1)
    }

    /// Ends the object being added: records which keys each candidate tag value went with.
    pub fn end_object(&mut self) {
        let mask = std::mem::take(&mut self.cur_mask);
        self.last_mask = Some(mask);
        if self.props.len() <= 64 {
            unions::end_object(self, mask);
        }
    }

    /// Non-null values seen.
    pub fn non_null(&self) -> u64 {
        self.seen - self.nulls
    }

    /// JSON Schema type names seen, integers folded into `number` when floats were seen too.
    pub fn type_names(&self) -> Vec<&'static str> {
        let mut t = vec![];
        if self.objects > 0 {
            t.push("object");
        }
        if self.arrays > 0 {
            t.push("array");
        }
        if self.strings > 0 {
            t.push("string");
        }
        if self.floats > 0 {
            t.push("number");
        } else if self.integers > 0 {
            t.push("integer");
        }
        if self.bools > 0 {
            t.push("boolean");
        }
        if self.nulls > 0 {
            t.push("null");
        }
        t
    }

    /// Counts per type as observed (integers and floats apart), null included.
    pub fn type_counts(&self) -> Vec<(&'static str, u64)> {
        [
            ("object", self.objects),
            ("array", self.arrays),
            ("string", self.strings),
            ("number", self.floats),
            ("integer", self.integers),
            ("boolean", self.bools),
            ("null", self.nulls),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    /// Share of non-null values that have the dominant type (integers and floats count as one type).
    pub fn type_agreement(&self) -> f64 {
        let non_null = self.non_null();
        if non_null == 0 {
            return 1.0;
        }
        let dominant = [self.objects, self.arrays, self.strings, self.floats + self.integers, self.bools]
            .into_iter()
            .max()
            .unwrap_or(0);
        dominant as f64 / non_null as f64
    }

    pub fn format(&self) -> Option<&'static str> {
        if self.strings == 0 {
            return None;
        }
        formats::name(self.format_mask)
    }

    /// Enum rule: only string values (nulls allowed), at least 4 of them, at most `max_enum` distinct values
    /// of at most 32 characters each, and each distinct value seen twice on average (distinct <= strings / 2),
    /// and no format detected (dates, ids and addresses are not categories). Most frequent first.
    pub fn enum_candidates(&self) -> Option<Vec<Value>> {
        let d = self.distinct.as_ref()?;
        let only_strings = self.strings == self.non_null();
        if !only_strings
            || self.strings < 4
            || d.is_empty()
            || (d.len() as u64) * 2 > self.strings
            || self.format().is_some()
        {
            return None;
        }
        let mut values: Vec<(&str, u64)> = d.iter().map(|(k, c)| (&**k, *c)).collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        Some(values.into_iter().map(|(k, _)| Value::String(k.to_string())).collect())
    }

    /// Smallest and largest number seen, exact for integers.
    pub fn number_range(&self) -> Option<(Number, Number)> {
        let int = self.int_range.map(|(lo, hi)| (int_number(lo), int_number(hi)));
        let float = self.float_range.and_then(|(lo, hi)| Some((Number::from_f64(lo)?, Number::from_f64(hi)?)));
        match (int, float) {
            (Some(i), None) => Some(i),
            (None, Some(f)) => Some(f),
            (Some((ilo, ihi)), Some((flo, fhi))) => {
                let lo = if as_f64(&ilo) <= as_f64(&flo) { ilo } else { flo };
                let hi = if as_f64(&ihi) >= as_f64(&fhi) { ihi } else { fhi };
                Some((lo, hi))
            }
            (None, None) => None,
        }
    }

    /// The JSON Schema of this position (no `$schema`); `path` names it in the evidence `cx` collects.
    pub fn schema(&self, cx: &mut SchemaCx, path: &str) -> Value {
        let mut s = Map::new();
        let types = self.type_names();
        match types.as_slice() {
            [] => return Value::Object(s),
            [one] => s.insert("type".into(), Value::from(*one)),
            many => s.insert("type".into(), Value::from(many.to_vec())),
        };
        if self.objects > 0 {
            let children: Vec<Value> =
                self.props.iter().map(|(k, n)| n.schema(cx, &structure::child_path(path, k))).collect();
            let union = if cx.structure { unions::find(self) } else { None };
            if let Some(u) = union {
                s.insert("oneOf".into(), unions::branches(self, &u, &children, cx, path));
            } else {
                let required: Vec<Value> =
                    self.props.iter().filter(|(_, n)| n.seen == self.objects).map(|(k, _)| Value::from(&**k)).collect();
                let props: Map<String, Value> =
                    self.props.iter().zip(children).map(|((k, _), c)| (k.to_string(), c)).collect();
                s.insert("properties".into(), Value::Object(props));
                if !required.is_empty() {
                    s.insert("required".into(), Value::Array(required));
                }
                if cx.structure {
                    if let Some((confidence, evidence)) = self.closed() {
                        s.insert("additionalProperties".into(), Value::Bool(false));
                        cx.note(path, "additionalProperties", confidence, evidence);
                    }
                }
            }
        }
        if self.arrays > 0 {
            if let Some(items) = &self.items {
                s.insert("items".into(), items.schema(cx, &structure::items_path(path)));
            }
            if let Some((lo, hi)) = self.arr_len {
                s.insert("minItems".into(), lo.into());
                s.insert("maxItems".into(), hi.into());
            }
            if cx.structure {
                if let Some((confidence, evidence)) = self.unique_items() {
                    s.insert("uniqueItems".into(), Value::Bool(true));
                    cx.note(path, "uniqueItems", confidence, evidence);
                }
            }
        }
        if let Some((lo, hi)) = self.str_len {
            s.insert("minLength".into(), lo.into());
            s.insert("maxLength".into(), hi.into());
        }
        if let Some(f) = self.format() {
            s.insert("format".into(), f.into());
        }
        if cx.structure {
            if let Some((pattern, confidence, evidence)) = self.pattern() {
                s.insert("pattern".into(), pattern.into());
                cx.note(path, "pattern", confidence, evidence);
            }
        }
        if let Some((lo, hi)) = self.number_range() {
            s.insert("minimum".into(), Value::Number(lo));
            s.insert("maximum".into(), Value::Number(hi));
        }
        if cx.structure {
            if let Some((m, confidence, evidence)) = self.multiple_of() {
                s.insert("multipleOf".into(), m);
                cx.note(path, "multipleOf", confidence, evidence);
            }
        }
        if let Some(mut values) = self.enum_candidates() {
            // `enum` applies to every type, so null must be listed when the position is nullable.
            if self.nulls > 0 {
                values.push(Value::Null);
            }
            s.insert("enum".into(), Value::Array(values));
        }
        if !self.examples.is_empty() {
            s.insert("examples".into(), Value::Array(self.examples.clone()));
        }
        Value::Object(s)
    }
}

fn widen(range: Option<(u64, u64)>, x: u64) -> (u64, u64) {
    match range {
        Some((lo, hi)) => (lo.min(x), hi.max(x)),
        None => (x, x),
    }
}

fn int_number(i: i128) -> Number {
    i64::try_from(i).map(Number::from).unwrap_or_else(|_| Number::from(u64::try_from(i).unwrap_or(u64::MAX)))
}

pub fn as_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(0.0)
}
