//! Records from a compiled plan, seeded: valid ones, edge ones (boundary values, unicode, empty and
//! maximal strings, extreme numbers; still valid), or ones shaped like a topic's history. Within a record,
//! values that must agree do: the e-mail and username come from the record's person, the country code,
//! country, city, state, postal code and currency from one real place (`places`), and timestamps whose names
//! say an order (created before updated, start before end) are in that order.

use super::history::{FieldProfile, Profile};
use super::pattern::Reach;
use super::places::{self, Place};
use super::plan::{ArraySpec, ChoiceOf, ChoiceSpec, Kind, Node, NumberSpec, ObjectSpec, StringSpec};
use super::values::{self, Persona, Sem, Window};
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
    cx: RecordCx,
}

/// What one record's values agree on, made when first needed.
#[derive(Default)]
struct RecordCx {
    persona: Option<Persona>,
    /// The record's first place: currencies follow it, and nested addresses mostly share its country.
    primary: Option<Place>,
    /// The place of each object being generated (innermost last).
    places: Vec<Option<Place>>,
}

/// Tries to draw a value that a check accepts (a `oneOf` branch alone, a unique item) before keeping one anyway.
const RETRIES: usize = 12;
/// Strings chosen by name (a street, a full name) may be this long where the schema sets no `maxLength`.
const NAMED_MAX_LEN: usize = 120;

impl Generator {
    pub fn new(node: Arc<Node>, seed: u64, window: Window, edge: bool) -> Generator {
        Generator {
            node,
            rng: ChaCha8Rng::seed_from_u64(seed),
            window,
            edge,
            profile: None,
            path: String::new(),
            cx: RecordCx::default(),
        }
    }

    /// Values follow the observed distributions of a topic's history where the profile has them.
    pub fn like(mut self, profile: Arc<Profile>) -> Self {
        self.profile = Some(profile);
        self
    }

    /// Records come from `node` from now on (relations make fields required).
    pub fn set_node(&mut self, node: Arc<Node>) {
        self.node = node;
    }

    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    pub fn next_record(&mut self) -> Value {
        self.cx.persona = None;
        self.cx.primary = None;
        self.cx.places.clear();
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
                if !self.edge {
                    if let Some(v) = self.enum_by_name(values, &node.name) {
                        return v;
                    }
                }
                let i = if self.edge && self.rng.random_bool(0.5) {
                    [0, values.len() - 1][self.rng.random_range(0..2)]
                } else {
                    self.rng.random_range(0..values.len())
                };
                values[i].clone()
            }
            Kind::Choice(c) => self.choice(c),
            Kind::Any => Value::String(values::word(&mut self.rng)),
            Kind::Boolean => Value::Bool(self.rng.random_bool(0.5)),
            Kind::Null => Value::Null,
            Kind::Object(o) => self.object(o),
            Kind::Array(a) => self.array(a),
            Kind::String(s) => Value::String(self.string(s, &node.name)),
            Kind::Number(n) => self.number(n, &node.name),
        }
    }

    fn choice(&mut self, c: &ChoiceSpec) -> Value {
        let n = c.branches.len();
        if c.of != ChoiceOf::OneOf || c.matchers.len() != n {
            let b = &c.branches[self.rng.random_range(0..n)];
            return self.value(b);
        }
        // A `oneOf` value must match its branch and no other.
        let mut last = Value::Null;
        for _ in 0..RETRIES {
            let i = self.rng.random_range(0..n);
            let v = self.value(&c.branches[i]);
            if c.matchers.iter().enumerate().all(|(j, m)| m.matches(&v) == (i == j)) {
                return v;
            }
            last = v;
        }
        last
    }

    fn object(&mut self, o: &ObjectSpec) -> Value {
        self.cx.places.push(None);
        // Edge objects carry either every optional property or none of them.
        let edge_all = if self.edge { Some(self.rng.random_bool(0.5)) } else { None };
        let mut out = Map::with_capacity(o.properties.len());
        for (key, child) in &o.properties {
            let required = o.required.iter().any(|r| r == key);
            if !required && !name_ok(o, key) {
                continue;
            }
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
        if !o.pattern_properties.is_empty() && edge_all.unwrap_or_else(|| self.rng.random_bool(0.5)) {
            let n = self.rng.random_range(1..=2);
            for _ in 0..n {
                if o.max_properties.is_some_and(|m| out.len() >= m) {
                    break;
                }
                if let Some((k, v)) = self.pattern_property(o, &out) {
                    out.insert(k, v);
                }
            }
        }
        if !o.dependent_required.is_empty() || o.min_properties > 0 || o.max_properties.is_some() {
            self.property_counts(o, &mut out);
        }
        if !o.ordered_times.is_empty() {
            order_times(o, &mut out);
        }
        self.cx.places.pop();
        Value::Object(out)
    }

    /// A new name from a `patternProperties` regex (matching that one only, allowed by `propertyNames`, not
    /// declared) and its value.
    fn pattern_property(&mut self, o: &ObjectSpec, out: &Map<String, Value>) -> Option<(String, Value)> {
        let pp = &o.pattern_properties[self.rng.random_range(0..o.pattern_properties.len())];
        let names = pp.names.as_ref()?;
        for _ in 0..RETRIES {
            let k = names.generate(&mut self.rng, super::pattern::Reach::Any);
            let fresh = !k.is_empty() && !out.contains_key(&k) && !o.properties.iter().any(|(d, _)| *d == k);
            if fresh && o.pattern_properties.iter().filter(|p| p.regex.is_match(&k)).count() == 1 && name_ok(o, &k) {
                let v = self.value(&pp.node);
                return Some((k, v));
            }
        }
        None
    }

    /// The value for a property name: its declared schema, a matching pattern's, `additionalProperties`', or a word.
    fn value_for_key(&mut self, o: &ObjectSpec, key: &str) -> Value {
        if let Some((_, n)) = o.properties.iter().find(|(k, _)| k == key) {
            return self.value(n);
        }
        if let Some(p) = o.pattern_properties.iter().find(|p| p.regex.is_match(key)) {
            return self.value(&p.node);
        }
        if let Some(a) = &o.additional {
            return self.value(a);
        }
        Value::String(values::word(&mut self.rng))
    }

    /// `dependentRequired`, then `minProperties` and `maxProperties`.
    fn property_counts(&mut self, o: &ObjectSpec, out: &mut Map<String, Value>) {
        for _ in 0..3 {
            let mut added = false;
            for (k, deps) in &o.dependent_required {
                if out.contains_key(k) {
                    for d in deps {
                        if !out.contains_key(d) {
                            let v = self.value_for_key(o, d);
                            out.insert(d.clone(), v);
                            added = true;
                        }
                    }
                }
            }
            if !added {
                break;
            }
        }
        if out.len() < o.min_properties {
            for (key, child) in &o.properties {
                if out.len() >= o.min_properties {
                    break;
                }
                if !out.contains_key(key) && name_ok(o, key) {
                    let v = self.value(child);
                    out.insert(key.clone(), v);
                }
            }
            let mut tries = 0;
            while out.len() < o.min_properties && tries < 4 * RETRIES {
                tries += 1;
                if !o.pattern_properties.is_empty() {
                    if let Some((k, v)) = self.pattern_property(o, out) {
                        out.insert(k, v);
                        continue;
                    }
                }
                if o.closed {
                    continue;
                }
                let word = values::word(&mut self.rng);
                let k = if tries % 2 == 0 { word } else { format!("{word}_{}", values::word(&mut self.rng)) };
                if !out.contains_key(&k) && name_ok(o, &k) && !o.pattern_properties.iter().any(|p| p.regex.is_match(&k))
                {
                    let v = self.value_for_key(o, &k);
                    out.insert(k, v);
                }
            }
        }
        if let Some(max) = o.max_properties {
            while out.len() > max {
                let needed = |k: &str| {
                    o.required.iter().any(|r| r == k)
                        || o.dependent_required
                            .iter()
                            .any(|(p, deps)| out.contains_key(p) && deps.iter().any(|d| d == k))
                };
                let Some(k) = out.keys().rev().find(|k| !needed(k)).cloned() else { break };
                out.shift_remove(&k);
            }
        }
    }

    fn array(&mut self, a: &ArraySpec) -> Value {
        let mut n = if self.edge && self.rng.random_bool(0.6) {
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
        if a.closed {
            n = n.min(a.prefix.len());
        }
        let len = self.path.len();
        if self.profile.is_some() {
            self.path.push_str("/[]");
        }
        let mut items: Vec<Value> = Vec::with_capacity(n);
        for i in 0..n {
            let node = a.prefix.get(i).unwrap_or(&a.items);
            let mut v = self.value(node);
            if a.unique {
                for _ in 0..RETRIES {
                    if !items.iter().any(|x| json_eq(x, &v)) {
                        break;
                    }
                    v = self.value(node);
                }
                if items.iter().any(|x| json_eq(x, &v)) && items.len() >= a.min_items {
                    // The items' values ran out: a shorter array beats a duplicate.
                    break;
                }
            }
            items.push(v);
        }
        if let Some(c) = &a.contains {
            self.fit_contains(a, c, &mut items);
        }
        self.path.truncate(len);
        Value::Array(items)
    }

    /// Between `minContains` and `maxContains` items match `contains`: items after the prefix are replaced by
    /// ones drawn from `items` and `contains` merged (or from `items` alone, when too many match).
    fn fit_contains(&mut self, a: &ArraySpec, c: &super::plan::Contains, items: &mut [Value]) {
        let free: Vec<usize> = (a.prefix.len()..items.len()).collect();
        if free.is_empty() {
            return;
        }
        let mut matching: Vec<bool> = items.iter().map(|v| c.matcher.matches(v)).collect();
        for _ in 0..4 * RETRIES {
            let count = matching.iter().filter(|m| **m).count();
            let want_fewer = c.max.is_some_and(|m| count > m);
            if count >= c.min && !want_fewer {
                break;
            }
            let want_more = !want_fewer;
            let slots: Vec<usize> = free.iter().copied().filter(|i| matching[*i] == want_fewer).collect();
            let Some(&i) = slots.get(self.rng.random_range(0..slots.len().max(1))) else { break };
            let node = if want_more { &c.node } else { &a.items };
            let v = self.value(node);
            if a.unique && items.iter().enumerate().any(|(j, x)| j != i && json_eq(x, &v)) {
                continue;
            }
            matching[i] = c.matcher.matches(&v);
            items[i] = v;
        }
    }

    fn string(&mut self, s: &StringSpec, name: &str) -> String {
        if let Some(sem) = s.sem {
            if !self.edge || self.rng.random_bool(0.5) {
                if let Some(v) = self.named(sem, s) {
                    return v;
                }
            }
        }
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
            // Cut at a word boundary, not mid-word.
            let cut = values::cut_words(&v, max).unwrap_or_else(|| v.chars().take(max).collect());
            if fits(&cut, s.min_len, max) {
                return cut;
            }
        }
        let lo = s.min_len.max(1).min(max);
        let hi = max.min(s.min_len + 12).max(lo);
        let n = self.rng.random_range(lo..=hi);
        letters(&mut self.rng, n)
    }

    /// The record's person, made when first needed.
    fn persona(&mut self) -> &Persona {
        if self.cx.persona.is_none() {
            self.cx.persona = Some(Persona::random(&mut self.rng));
        }
        self.cx.persona.as_ref().expect("set above")
    }

    /// The place of the object being generated: the record's first place, then mostly the same country.
    fn place(&mut self) -> &Place {
        if self.cx.places.is_empty() {
            self.cx.places.push(None);
        }
        if self.cx.places.last().is_some_and(Option::is_none) {
            let p = match &self.cx.primary {
                None => Place::random(&mut self.rng),
                Some(pr) if self.rng.random_bool(0.95) => Place::in_country(pr.country, &mut self.rng),
                Some(_) => Place::random(&mut self.rng),
            };
            self.set_place(p);
        }
        self.cx.places.last().and_then(Option::as_ref).expect("set above")
    }

    fn set_place(&mut self, p: Place) {
        if self.cx.primary.is_none() {
            self.cx.primary = Some(p);
        }
        if let Some(slot) = self.cx.places.last_mut() {
            *slot = Some(p);
        } else {
            self.cx.places.push(Some(p));
        }
    }

    /// A value that agrees with the record's person or place, when it fits the field's constraints.
    fn named(&mut self, sem: Sem, s: &StringSpec) -> Option<String> {
        match s.format.as_deref() {
            None => {}
            Some("email" | "idn-email") if sem == Sem::Email => {}
            Some(_) => return None,
        }
        let candidates: Vec<String> = match sem {
            Sem::Email => vec![self.persona().email.clone()],
            Sem::FirstName => vec![self.persona().first.clone()],
            Sem::LastName => vec![self.persona().last.clone()],
            Sem::FullName => vec![self.persona().full_name()],
            Sem::Username => vec![self.persona().username()],
            Sem::Currency => {
                self.place();
                let p = self.cx.primary.as_ref()?;
                vec![p.row().currency.to_string()]
            }
            Sem::City => vec![self.place().city().to_string()],
            Sem::State => vec![self.place().state().to_string()],
            Sem::PostalCode => vec![self.place().postal_code()],
            Sem::Country => {
                let r = self.place().row();
                vec![r.name.to_string(), r.alpha2.to_string(), r.alpha3.to_string()]
            }
            Sem::CountryCode => {
                let r = self.place().row();
                vec![r.alpha2.to_string(), r.alpha3.to_string()]
            }
            Sem::Street => {
                let street: String = fake::Fake::fake_with_rng(&fake::faker::address::en::StreetName(), &mut self.rng);
                vec![format!("{} {street}", self.rng.random_range(1..2000))]
            }
        };
        let max = s.max_len.unwrap_or(NAMED_MAX_LEN.max(s.min_len));
        let ok = |v: &str| fits(v, s.min_len, max) && s.regex.as_ref().is_none_or(|r| r.is_match(v));
        let mut cut = None;
        for c in candidates {
            if ok(&c) {
                return Some(c);
            }
            // Too long: cut at a word boundary (a street, a full name), never mid-word.
            if cut.is_none() {
                cut = values::cut_words(&c, max).filter(|c| ok(c));
            }
        }
        cut
    }

    /// For an enum of countries or currencies: the value that agrees with the record's place, or one that
    /// then fixes the place.
    fn enum_by_name(&mut self, options: &[Value], name: &str) -> Option<Value> {
        if !name.contains("countr") && !name.contains("currenc") {
            return None;
        }
        let sem = values::semantic(name)?;
        if !matches!(sem, Sem::Country | Sem::CountryCode | Sem::Currency) || !options.iter().all(Value::is_string) {
            return None;
        }
        let placed = match sem {
            Sem::Currency => self.cx.primary.as_ref().map(|p| p.country),
            _ => self.cx.places.last().and_then(|p| p.as_ref()).map(|p| p.country),
        };
        if let Some(c) = placed {
            let row = &places::COUNTRIES[c];
            let agrees = |v: &&Value| {
                let v = v.as_str().unwrap_or("");
                [row.alpha2, row.alpha3, row.name, row.currency].iter().any(|x| x.eq_ignore_ascii_case(v))
            };
            // Currencies: only the place's own; countries: the same country in the enum's spelling.
            if let Some(v) = options.iter().find(agrees) {
                return Some(v.clone());
            }
            return None;
        }
        let v = options[self.rng.random_range(0..options.len())].clone();
        if let Some(c) = places::find(v.as_str().unwrap_or(""), &mut self.rng) {
            let p = Place::in_country(c, &mut self.rng);
            self.set_place(p);
        }
        Some(v)
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

fn name_ok(o: &ObjectSpec, key: &str) -> bool {
    o.property_names.as_ref().is_none_or(|m| m.matches(&Value::String(key.to_string())))
}

/// Equality as JSON Schema means it (`uniqueItems`): numbers by value, objects regardless of key order.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Timestamps whose names say an order are put in it, by swapping values between fields of the same schema.
fn order_times(o: &ObjectSpec, out: &mut Map<String, Value>) {
    let same_schema = |a: &Node, b: &Node| match (&a.kind, &b.kind) {
        (Kind::String(x), Kind::String(y)) => x.format == y.format && x.min_len == y.min_len && x.max_len == y.max_len,
        (Kind::Number(x), Kind::Number(y)) => {
            x.integer == y.integer && x.bounds() == y.bounds() && x.multiple_of == y.multiple_of
        }
        _ => false,
    };
    let key = |v: &Value| -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|d| d.timestamp_millis() as f64)
                .ok()
                .or_else(|| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.to_epoch_days() as f64)),
            _ => None,
        }
    };
    let t = &o.ordered_times;
    for _ in 0..t.len() {
        let mut swapped = false;
        for x in 0..t.len() {
            for y in 0..t.len() {
                let ((i, ri), (j, rj)) = (t[x], t[y]);
                if ri >= rj || !same_schema(&o.properties[i].1, &o.properties[j].1) {
                    continue;
                }
                let (ki, kj) = (&o.properties[i].0, &o.properties[j].0);
                let (Some(a), Some(b)) = (out.get(ki).and_then(key), out.get(kj).and_then(key)) else { continue };
                if a > b {
                    let va = out[ki].clone();
                    let vb = std::mem::replace(out.get_mut(kj).expect("present"), va);
                    *out.get_mut(ki).expect("present") = vb;
                    swapped = true;
                }
            }
        }
        if !swapped {
            break;
        }
    }
}
