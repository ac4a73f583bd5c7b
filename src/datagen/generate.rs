//! Records from a compiled plan, seeded: valid ones, edge ones (boundary values, unicode, empty and
//! maximal strings, extreme numbers; still valid), or ones shaped like a topic's history.

use super::history::{FieldProfile, Profile};
use super::pattern::Reach;
use super::plan::{ArraySpec, Kind, Node, NumberSpec, ObjectSpec, StringSpec};
use super::values::{self, Window};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Integers beyond this lose precision in JavaScript consumers; edge mode uses it as "extreme".
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// Without `maxLength`, edge mode's "maximal" string is this long.
const EDGE_LONG_STRING: usize = 512;
/// Without `maxItems`, edge mode's "maximal" array holds this many items.
const EDGE_MANY_ITEMS: usize = 20;
/// The longest string and the most items ever generated, whatever `maxLength`/`maxItems` allow (edge mode's
/// "maximal" values included): a bound of 2^31 must not become a 2 GB allocation.
const MAX_GENERATED_LEN: usize = 64 * 1024;
const MAX_GENERATED_ITEMS: usize = 100;
const UNICODE: &[char] = &['é', 'ß', 'ø', 'ñ', 'ü', 'Ж', 'λ', '漢', '字', 'ف', '🙂', '🚀'];

pub struct Generator {
    node: Arc<Node>,
    rng: ChaCha8Rng,
    window: Window,
    edge: bool,
    profile: Option<Arc<Profile>>,
    path: String,
}

impl Generator {
    pub fn new(node: Arc<Node>, seed: u64, window: Window, edge: bool) -> Generator {
        Generator { node, rng: ChaCha8Rng::seed_from_u64(seed), window, edge, profile: None, path: String::new() }
    }

    /// Values follow the observed distributions of a topic's history where the profile has them.
    pub fn like(mut self, profile: Arc<Profile>) -> Self {
        self.profile = Some(profile);
        self
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    pub fn next_record(&mut self) -> Value {
        let node = self.node.clone();
        self.value(&node)
    }

    pub fn value(&mut self, node: &Node) -> Value {
        let profile = self.profile.clone();
        if let Some(observed) = profile.as_ref().and_then(|p| p.field(&self.path)) {
            if let Some(v) = self.historical(node, observed) {
                return v;
            }
        }
        match &node.kind {
            Kind::Const(c) => c.clone(),
            Kind::Enum(values) => {
                let i = if self.edge && self.rng.random_bool(0.5) {
                    [0, values.len() - 1][self.rng.random_range(0..2)]
                } else {
                    self.rng.random_range(0..values.len())
                };
                values[i].clone()
            }
            Kind::Choice(branches) => {
                let b = &branches[self.rng.random_range(0..branches.len())];
                self.value(b)
            }
            Kind::Any => Value::String(values::word(&mut self.rng)),
            Kind::Boolean => Value::Bool(self.rng.random_bool(0.5)),
            Kind::Null => Value::Null,
            Kind::Object(o) => self.object(o),
            Kind::Array(a) => self.array(a),
            Kind::String(s) => Value::String(self.string(s, &node.name)),
            Kind::Number(n) => self.number(n, &node.name),
        }
    }

    fn object(&mut self, o: &ObjectSpec) -> Value {
        // Edge objects carry either every optional property or none of them.
        let edge_all = if self.edge { Some(self.rng.random_bool(0.5)) } else { None };
        let mut out = Map::with_capacity(o.properties.len());
        for (key, child) in &o.properties {
            let required = o.required.iter().any(|r| r == key);
            let len = self.path.len();
            if self.profile.is_some() {
                self.path.push('/');
                self.path.push_str(key);
            }
            let profile = self.profile.clone();
            let present = required
                || match (edge_all, profile.as_ref().and_then(|p| p.field(&self.path))) {
                    (Some(all), _) => all,
                    (None, Some(f)) => self.rng.random_bool(f.presence()),
                    (None, None) => self.rng.random_bool(0.8),
                };
            if present {
                let v = self.value(child);
                out.insert(key.clone(), v);
            }
            self.path.truncate(len);
        }
        Value::Object(out)
    }

    fn array(&mut self, a: &ArraySpec) -> Value {
        let n = if self.edge && self.rng.random_bool(0.6) {
            if self.rng.random_bool(0.5) {
                a.min_items
            } else {
                a.max_items.unwrap_or(EDGE_MANY_ITEMS.max(a.min_items)).min(MAX_GENERATED_ITEMS.max(a.min_items))
            }
        } else {
            let hi = a.soft_max().min(MAX_GENERATED_ITEMS.max(a.min_items));
            let lo = if a.min_items == 0 && hi > 0 { 1 } else { a.min_items };
            self.rng.random_range(lo.min(hi)..=hi)
        };
        let len = self.path.len();
        if self.profile.is_some() {
            self.path.push_str("/[]");
        }
        let items = (0..n).map(|_| self.value(&a.items)).collect();
        self.path.truncate(len);
        Value::Array(items)
    }

    fn string(&mut self, s: &StringSpec, name: &str) -> String {
        let max = s.soft_max();
        if let Some(p) = &s.pattern {
            let reach = if self.edge {
                [Reach::Shortest, Reach::Longest, Reach::Any][self.rng.random_range(0..3)]
            } else {
                Reach::Any
            };
            let mut last = String::new();
            for _ in 0..20 {
                last = p.generate(&mut self.rng, reach);
                if fits(&last, s.min_len, s.max_len.unwrap_or(usize::MAX)) {
                    break;
                }
            }
            return last;
        }
        if let Some(f) = &s.format {
            let candidate = if self.edge && self.rng.random_bool(0.5) {
                edge_format(f, &self.window, &mut self.rng)
            } else {
                values::by_format(f, &mut self.rng, &self.window)
            };
            if let Some(v) = candidate.filter(|v| fits(v, s.min_len, s.max_len.unwrap_or(usize::MAX))) {
                return v;
            }
        }
        if self.edge && s.format.is_none() && self.rng.random_bool(0.7) {
            let hard_max = s.max_len.unwrap_or(EDGE_LONG_STRING.max(s.min_len)).min(MAX_GENERATED_LEN.max(s.min_len));
            return match self.rng.random_range(0..3) {
                0 => letters(&mut self.rng, s.min_len),
                1 => letters(&mut self.rng, hard_max),
                _ => {
                    let n = self.rng.random_range(s.min_len.max(1).min(hard_max)..=hard_max.min(s.min_len.max(12)));
                    (0..n).map(|_| UNICODE[self.rng.random_range(0..UNICODE.len())]).collect()
                }
            };
        }
        if let Some(v) = values::by_name(name, &mut self.rng, &self.window) {
            let cut: String = v.chars().take(max).collect();
            if fits(&cut, s.min_len, max) {
                return cut;
            }
        }
        let lo = s.min_len.max(1).min(max);
        let hi = max.min(s.min_len + 12).max(lo);
        let n = self.rng.random_range(lo..=hi);
        letters(&mut self.rng, n)
    }

    fn number(&mut self, spec: &NumberSpec, name: &str) -> Value {
        let (lo, hi) = spec.bounds();
        let hint = values::number_hint(name, &self.window);
        let decimals = if spec.integer { 0 } else { hint.map(|h| h.2).unwrap_or(2) };
        // The hint's range where it meets the declared bounds; else the bounds; else a plain default.
        let (mut a, mut b) = match hint {
            Some((hl, hh, _)) if lo.is_none_or(|l| hh >= l) && hi.is_none_or(|h| hl <= h) => {
                (lo.map_or(hl, |l| l.max(hl)), hi.map_or(hh, |h| h.min(hh)))
            }
            _ => {
                (lo.unwrap_or_else(|| hi.map_or(0.0, |h| h - 1000.0)), hi.unwrap_or_else(|| lo.unwrap_or(0.0) + 1000.0))
            }
        };
        if self.edge && self.rng.random_bool(0.6) {
            (a, b) = match self.rng.random_range(0..3) {
                0 => {
                    let x = lo.unwrap_or(-MAX_SAFE_INTEGER);
                    (x, x)
                }
                1 => {
                    let x = hi.unwrap_or(MAX_SAFE_INTEGER);
                    (x, x)
                }
                _ if lo.is_none_or(|l| l <= 0.0) && hi.is_none_or(|h| h >= 0.0) => (0.0, 0.0),
                _ => (a, b),
            };
        }
        if let Some(m) = spec.multiple_of {
            return self.multiple(
                m,
                lo.map_or(a, |l| l.max(a.min(b))),
                hi.map_or(b, |h| h.min(b.max(a))),
                spec.integer,
                (lo, hi),
            );
        }
        if spec.integer {
            let (ia, ib) = (a.ceil() as i64, b.floor() as i64);
            return Value::from(if ia <= ib { self.rng.random_range(ia..=ib) } else { ia });
        }
        let raw = if a < b { self.rng.random_range(a..=b) } else { a };
        let scale = 10f64.powi(decimals as i32);
        let mut v = (raw * scale).round() / scale;
        // Rounding must not cross a bound.
        if lo.is_some_and(|l| v < l) || hi.is_some_and(|h| v > h) {
            v = raw;
        }
        Value::from(v)
    }

    /// A multiple of `m` within [a, b] (falling back to the declared bounds), exact in floating point so
    /// strict validators (which divide and test for an integer) accept it.
    fn multiple(&mut self, m: f64, a: f64, b: f64, integer: bool, declared: (Option<f64>, Option<f64>)) -> Value {
        let (mut ka, mut kb) = ((a / m).ceil(), (b / m).floor());
        if ka > kb {
            ka = declared.0.map_or(ka, |l| (l / m).ceil());
            kb = declared.1.map_or(ka, |h| (h / m).floor());
        }
        let decimals = decimals_of(m);
        let scale = 10f64.powi(decimals as i32);
        let mut best = ka * m;
        for _ in 0..20 {
            let k = if ka < kb { self.rng.random_range(ka as i64..=kb as i64) as f64 } else { ka };
            let v = (k * m * scale).round() / scale;
            best = v;
            if (v / m).fract() == 0.0 {
                break;
            }
        }
        if integer && best.fract() == 0.0 {
            Value::from(best as i64)
        } else {
            Value::from(best)
        }
    }

    /// A value shaped like the topic's history for this field, when the history says enough.
    fn historical(&mut self, node: &Node, f: &FieldProfile) -> Option<Value> {
        match &node.kind {
            Kind::String(_) | Kind::Number(_) | Kind::Boolean | Kind::Enum(_) => f.pick(&mut self.rng),
            _ => None,
        }
    }
}

fn fits(s: &str, min: usize, max: usize) -> bool {
    let n = s.chars().count();
    n >= min && n <= max
}

fn letters<R: RngExt + ?Sized>(rng: &mut R, n: usize) -> String {
    (0..n).map(|_| rng.random_range(b'a'..=b'z') as char).collect()
}

fn decimals_of(m: f64) -> u32 {
    let s = format!("{m}");
    s.split_once('.').map_or(0, |(_, d)| d.len() as u32)
}

/// Valid but unusual values of a format: window ends, leap days, sub-addressed e-mails, nil UUIDs.
fn edge_format<R: RngExt + ?Sized>(format: &str, window: &Window, rng: &mut R) -> Option<String> {
    let pick = |rng: &mut R, options: &[String]| options[rng.random_range(0..options.len())].clone();
    Some(match format {
        "date-time" => pick(
            rng,
            &[values::rfc3339(window.start_ms), values::rfc3339(window.end_ms), "2024-02-29T23:59:59.999Z".into()],
        ),
        "date" => pick(rng, &["2024-02-29".into(), values::rfc3339(window.start_ms)[..10].to_string()]),
        "email" => pick(rng, &["a@b.co".into(), "first.last+tag@sub.example.co.uk".into()]),
        "uuid" => {
            pick(rng, &["00000000-0000-0000-0000-000000000000".into(), "ffffffff-ffff-4fff-bfff-ffffffffffff".into()])
        }
        "ipv4" => pick(rng, &["0.0.0.0".into(), "255.255.255.255".into()]),
        _ => return values::by_format(format, rng, window),
    })
}
