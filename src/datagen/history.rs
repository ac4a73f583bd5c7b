//! What a topic's history looks like, field by field (paths like `/items/[]/price`): how often each field
//! is present, the categories it takes and how often, numeric ranges and precision, string lengths.
//! `like_history` generation draws from it so new records resemble the old ones.

use rand::RngExt;
use serde_json::Value;
use std::collections::HashMap;

/// Fields with at most this many distinct values (each seen at least twice on average) are categories.
const MAX_CATEGORIES: usize = 20;

#[derive(Debug, Default)]
pub struct Profile {
    fields: HashMap<String, FieldProfile>,
    /// How many times each object path was seen, for presence rates.
    objects: HashMap<String, usize>,
}

#[derive(Debug, Default, Clone)]
pub struct FieldProfile {
    seen: usize,
    parent_seen: usize,
    values: Vec<(Value, usize)>,
    too_many_values: bool,
    numbers: Option<(f64, f64)>,
    all_integers: bool,
    decimals: u32,
    lengths: Option<(usize, usize)>,
}

impl Profile {
    pub fn from_samples<'v>(samples: impl IntoIterator<Item = &'v Value>) -> Profile {
        let mut p = Profile::default();
        for s in samples {
            p.walk(s, "");
        }
        for (path, f) in p.fields.iter_mut() {
            let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
            f.parent_seen = p.objects.get(parent).copied().unwrap_or(f.seen).max(f.seen);
        }
        p
    }

    pub fn field(&self, path: &str) -> Option<&FieldProfile> {
        self.fields.get(path)
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn walk(&mut self, v: &Value, path: &str) {
        match v {
            Value::Object(m) => {
                *self.objects.entry(path.to_string()).or_default() += 1;
                for (k, child) in m {
                    let child_path = format!("{path}/{k}");
                    self.leaf(&child_path, child);
                    self.walk(child, &child_path);
                }
            }
            Value::Array(items) => {
                let child_path = format!("{path}/[]");
                *self.objects.entry(path.to_string()).or_default() += 1;
                for item in items {
                    self.leaf(&child_path, item);
                    self.walk(item, &child_path);
                }
            }
            _ => {}
        }
    }

    fn leaf(&mut self, path: &str, v: &Value) {
        let f = self
            .fields
            .entry(path.to_string())
            .or_insert_with(|| FieldProfile { all_integers: true, ..Default::default() });
        f.seen += 1;
        if matches!(v, Value::Object(_) | Value::Array(_)) {
            return;
        }
        if !f.too_many_values {
            match f.values.iter().position(|(x, _)| x == v) {
                Some(i) => f.values[i].1 += 1,
                None if f.values.len() < MAX_CATEGORIES => f.values.push((v.clone(), 1)),
                None => {
                    f.too_many_values = true;
                    f.values.clear();
                }
            }
        }
        if let Some(x) = v.as_f64() {
            f.numbers = Some(f.numbers.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
            f.all_integers &= v.is_i64() || v.is_u64();
            let text = v.to_string();
            f.decimals = f.decimals.max(text.split_once('.').map_or(0, |(_, d)| d.len() as u32));
        }
        if let Some(s) = v.as_str() {
            let n = s.chars().count();
            f.lengths = Some(f.lengths.map_or((n, n), |(lo, hi)| (lo.min(n), hi.max(n))));
        }
    }
}

impl FieldProfile {
    /// How often the field is present in its parent object.
    pub fn presence(&self) -> f64 {
        if self.parent_seen == 0 {
            return 1.0;
        }
        (self.seen as f64 / self.parent_seen as f64).clamp(0.0, 1.0)
    }

    fn is_category(&self) -> bool {
        !self.too_many_values && !self.values.is_empty() && self.seen >= 2 * self.values.len()
    }

    /// The observed string length range.
    pub fn lengths(&self) -> Option<(usize, usize)> {
        self.lengths
    }

    /// A value drawn like the history: a category by its frequency, or a number in the observed range
    /// with the observed precision. None when the history says nothing useful (free text).
    pub fn pick<R: RngExt + ?Sized>(&self, rng: &mut R) -> Option<Value> {
        if self.is_category() {
            let total: usize = self.values.iter().map(|(_, n)| n).sum();
            let mut k = rng.random_range(0..total);
            for (v, n) in &self.values {
                if k < *n {
                    return Some(v.clone());
                }
                k -= n;
            }
        }
        let (lo, hi) = self.numbers?;
        if self.all_integers {
            return Some(Value::from(rng.random_range(lo as i64..=hi as i64)));
        }
        let scale = 10f64.powi(self.decimals as i32);
        let x = if lo < hi { rng.random_range(lo..=hi) } else { lo };
        Some(Value::from(((x * scale).round() / scale).clamp(lo, hi)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use serde_json::json;

    #[test]
    fn categories_ranges_and_presence_are_learned() {
        let samples: Vec<Value> = (0..100)
            .map(|i| {
                let mut v = json!({"status": if i % 4 == 0 { "NEW" } else { "PAID" }, "amount": 10.5 + (i as f64), "items": [{"qty": i % 3 + 1}]});
                if i % 2 == 0 {
                    v["note"] = json!("x");
                }
                v
            })
            .collect();
        let p = Profile::from_samples(&samples);
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
        let status = p.field("/status").unwrap();
        let picks: Vec<Value> = (0..400).map(|_| status.pick(&mut rng).unwrap()).collect();
        let new = picks.iter().filter(|v| *v == "NEW").count();
        assert!((60..140).contains(&new), "NEW drawn {new} of 400, history has 25%");
        let amount = p.field("/amount").unwrap().pick(&mut rng).unwrap().as_f64().unwrap();
        assert!((10.5..=109.5).contains(&amount));
        assert!((p.field("/note").unwrap().presence() - 0.5).abs() < 1e-9);
        assert!(p.field("/items/[]/qty").unwrap().pick(&mut rng).unwrap().is_i64());
    }
}
