//! Structure beyond types and ranges, each keyword with the evidence behind it and a confidence:
//! closed objects (`additionalProperties: false`), `pattern` (shape.rs), `multipleOf`, `uniqueItems`, and
//! tagged unions (`oneOf`, unions.rs). The rules, with the sample each needs:
//! - closed: at least 20 objects at the position, no key past the property cap, no key seen in only one
//!   object (one rare key suggests more), and no new key in the second half of the objects (the key set had
//!   stopped growing). Confidence n/(n+20) × (1 - share of objects before the last new key).
//! - pattern: at least 20 strings, more distinct values than the enum cap, no format, and a stable shape
//!   (see shape.rs). Confidence n/(n+20).
//! - multipleOf 0.01: every number has at most two decimals and at least 10, and a quarter, have exactly two
//!   (money). Integers: at least 20, all multiples of one of 1000, 500, 250, 100, 50, 25, 20, 10 or 5, and
//!   spanning at least 5 steps. Confidence n/(n+10) over the values that show it.
//! - uniqueItems: at least 20 arrays of scalars, none with a repeated element, and enough pairs that chance
//!   would have repeated one: confidence 1 - e^-E, E = pairs / distinct element values (at least 0.95).

use super::node::Node;
use super::KeywordEvidence;
use serde_json::Value;

pub const MIN_CLOSED: u64 = 20;
const MIN_PATTERN: u64 = 20;
const MIN_CENTS: u64 = 10;
const MIN_INT_MULTIPLE: u64 = 20;
const MIN_ARRAYS: u64 = 20;
const MIN_UNIQUE_CONFIDENCE: f64 = 0.95;
/// Elements hashed per array; a longer array is not checked (and blocks `uniqueItems`).
const MAX_HASHED: usize = 16;
const ROUND_STEPS: [u128; 9] = [1000, 500, 250, 100, 50, 25, 20, 10, 5];

/// What schema building carries: whether structure is recovered, and the evidence of each keyword.
pub struct SchemaCx {
    pub structure: bool,
    pub keywords: Vec<KeywordEvidence>,
}

impl SchemaCx {
    pub fn note(&mut self, path: &str, keyword: &str, confidence: f64, evidence: String) {
        self.keywords.push(KeywordEvidence {
            path: path.to_string(),
            keyword: keyword.to_string(),
            confidence: round2(confidence),
            evidence,
        });
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The path of property `key` under `path`, as `FieldStats` names it.
pub fn child_path(path: &str, key: &str) -> String {
    if path == "$" {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The path of the elements of the array at `path`.
pub fn items_path(path: &str) -> String {
    if path == "$" {
        "[]".to_string()
    } else {
        format!("{path}[]")
    }
}

pub fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Hashes of one array's scalar elements; `None` once an element is an object or array, or too many.
pub struct Hashes {
    list: [u64; MAX_HASHED],
    len: usize,
    unknown: bool,
}

impl Default for Hashes {
    fn default() -> Self {
        Hashes { list: [0; MAX_HASHED], len: 0, unknown: false }
    }
}

impl Hashes {
    #[inline]
    pub fn push(&mut self, h: Option<u64>) {
        match h {
            Some(h) if self.len < MAX_HASHED => {
                self.list[self.len] = h;
                self.len += 1;
            }
            _ => self.unknown = true,
        }
    }
}

/// Per array position: how many arrays were checked for repeated elements, and what was found.
#[derive(Debug, Default)]
pub struct Unique {
    pub checked: u64,
    pub unknown: u64,
    pub repeats: u64,
    /// Arrays with two or more elements, and the element pairs they hold.
    pub multi: u64,
    pub pairs: u64,
}

impl Unique {
    /// Whether `uniqueItems` can still be inferred (else arrays here are not hashed any more).
    #[inline]
    pub fn possible(&self) -> bool {
        self.unknown == 0 && self.repeats == 0
    }

    /// Notes an array of parsed values; kept out of line so the recursive `Node::add` keeps a small frame.
    #[inline(never)]
    pub fn note_values(&mut self, a: &[Value]) {
        let mut hashes = Hashes::default();
        a.iter().for_each(|x| hashes.push(hash_value(x)));
        self.note(&hashes);
    }

    #[inline]
    pub fn note(&mut self, h: &Hashes) {
        if h.unknown {
            self.unknown += 1;
            return;
        }
        self.checked += 1;
        let n = h.len;
        if n < 2 {
            return;
        }
        self.multi += 1;
        self.pairs += (n * (n - 1) / 2) as u64;
        let list = &h.list[..n];
        if (1..n).any(|i| list[..i].contains(&list[i])) {
            self.repeats += 1;
        }
    }
}

const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(SEED)
}

pub fn hash_str(s: &str) -> u64 {
    let mut h = mix(SEED, 1);
    for chunk in s.as_bytes().chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(w));
    }
    mix(h, s.len() as u64)
}

/// Integers and floats equal in JSON Schema (1 and 1.0) hash alike.
pub fn hash_int(i: i128) -> u64 {
    mix(mix(SEED, 2), i as u64 ^ ((i >> 64) as u64).rotate_left(17))
}

pub fn hash_float(f: f64) -> u64 {
    if f.fract() == 0.0 && f.abs() < 1e30 {
        return hash_int(f as i128);
    }
    mix(mix(SEED, 3), f.to_bits())
}

pub fn hash_bool(b: bool) -> u64 {
    mix(SEED, 4 + u64::from(b))
}

pub fn hash_null() -> u64 {
    mix(SEED, 6)
}

/// The hash of a scalar; None for objects and arrays (their arrays are not checked).
pub fn hash_value(v: &Value) -> Option<u64> {
    Some(match v {
        Value::Null => hash_null(),
        Value::Bool(b) => hash_bool(*b),
        Value::Number(n) => match n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)) {
            Some(i) => hash_int(i),
            None => hash_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => hash_str(s),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

impl Node {
    /// Counts a float's decimals: at most two (exact cents, as the decimal-exact validators read them)?
    #[inline]
    pub fn note_decimals(&mut self, f: f64) {
        // Rounding by casts (no libm calls): |f| < 1e12 keeps every product far inside i64.
        if f.abs() < 1e12 {
            let cents = (f * 100.0 + 0.5f64.copysign(f)) as i64;
            if cents as f64 / 100.0 == f {
                if cents % 10 != 0 {
                    self.cents += 1;
                }
                let q = f / 0.01;
                if q != q as i64 as f64 {
                    self.float_division_misses += 1;
                }
                return;
            }
        }
        self.over_cents += 1;
    }

    /// The key set stopped growing: no key past the cap, none seen once, none new in the second half.
    pub fn key_set_settled(&self) -> bool {
        self.untracked_props == 0
            && !self.props.iter().any(|(_, c)| c.seen == 1)
            && self.last_new_key * 2 <= self.objects
    }

    /// `additionalProperties: false` by the closed rule (module docs).
    pub fn closed(&self) -> Option<(f64, String)> {
        let n = self.objects;
        if n < MIN_CLOSED || !self.key_set_settled() {
            return None;
        }
        let confidence = n as f64 / (n as f64 + 20.0) * (1.0 - self.last_new_key as f64 / n as f64);
        Some((
            confidence,
            format!(
                "{n} objects, {} keys, none new after object {}, none seen only once",
                self.props.len(),
                self.last_new_key
            ),
        ))
    }

    /// `pattern` by the pattern rule (module docs).
    pub fn pattern(&self) -> Option<(String, f64, String)> {
        let shape = self.shape.as_ref()?;
        if self.shape_gap || self.distinct.is_some() || self.strings < MIN_PATTERN || self.format().is_some() {
            return None;
        }
        let (lo, hi) = self.str_len?;
        let found = shape.pattern(lo as usize, hi as usize)?;
        let n = self.strings as f64;
        let evidence = format!("{} strings, more distinct values than an enum has, one {}", self.strings, found.kind);
        Some((found.pattern, n / (n + 20.0), evidence))
    }

    /// `multipleOf` by the money and round-integer rules (module docs).
    pub fn multiple_of(&self) -> Option<(Value, f64, String)> {
        let numbers = self.floats + self.integers;
        if self.floats > 0 {
            if self.over_cents > 0 || self.cents < MIN_CENTS || self.cents * 4 < numbers {
                return None;
            }
            let mut evidence = format!("{} of {numbers} numbers have exactly 2 decimals, none more", self.cents);
            if self.float_division_misses > 0 {
                evidence.push_str(&format!(
                    "; {} of them fail validators that divide in floating point (Python jsonschema)",
                    self.float_division_misses
                ));
            }
            let c = self.cents as f64;
            return Some((serde_json::json!(0.01), c / (c + 10.0), evidence));
        }
        let (lo, hi) = self.int_range?;
        if self.integers < MIN_INT_MULTIPLE || self.int_gcd == 0 {
            return None;
        }
        let step = ROUND_STEPS.into_iter().find(|s| self.int_gcd.is_multiple_of(*s))?;
        if hi.abs_diff(lo) < 5 * step {
            return None;
        }
        let n = self.integers as f64;
        let evidence =
            format!("all {} integers are multiples of {step} (their gcd is {})", self.integers, self.int_gcd);
        Some((Value::from(step as u64), n / (n + 10.0), evidence))
    }

    /// `uniqueItems` by the rule in the module docs.
    pub fn unique_items(&self) -> Option<(f64, String)> {
        let u = &self.unique;
        if u.unknown > 0 || u.repeats > 0 || u.checked < MIN_ARRAYS || u.pairs == 0 {
            return None;
        }
        let items = self.items.as_ref()?;
        let d = items.distinct_values().max(1);
        let expected = u.pairs as f64 / d as f64;
        let confidence = 1.0 - (-expected).exp();
        if confidence < MIN_UNIQUE_CONFIDENCE {
            return None;
        }
        Some((
            confidence,
            format!(
                "{} arrays, {} with 2+ elements, no repeat in {} pairs of about {d} distinct values",
                u.checked, u.multi, u.pairs
            ),
        ))
    }

    /// An upper bound on the distinct values seen here (exact for few strings, integers by their range).
    fn distinct_values(&self) -> u64 {
        let non_null = self.non_null();
        if self.strings == non_null {
            if let Some(d) = &self.distinct {
                return d.len() as u64;
            }
        }
        if self.integers == non_null {
            if let Some((lo, hi)) = self.int_range {
                return (hi.abs_diff(lo) as u64).saturating_add(1).min(self.integers);
            }
        }
        if self.bools == non_null {
            return 2;
        }
        self.seen
    }
}
