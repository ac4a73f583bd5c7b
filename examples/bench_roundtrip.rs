//! Round trip of schema inference: for each schema in tests/fixtures/roundtrip/, generate N records with the
//! project's generator (in process, valid mode, seeded), infer a schema from them, and count keyword by keyword
//! how much of the source schema came back. Also: does the inferred schema accept every record it came from,
//! and a second batch it never saw (holdout: a rejection there is a constraint stricter than the source).
//!
//! `cargo run --release --example bench_roundtrip [-- N [SEED]]` (default N 500, infer_schema's default
//! sample, seed 7).
//!
//! Counting, per keyword of the source (walked in parallel with the inferred schema, oneOf branches matched by
//! their tag's `const`):
//! - type: the same set of types; required: each required name; format: equal; enum: the same set of values
//!   (a `const` counts as a one-value enum); pattern: equivalent on samples (200 strings generated from each
//!   pattern all match the other); additionalProperties: false in both; multipleOf: equal; uniqueItems: true in
//!   both; oneOf: one inferred branch per source branch, matched by tag value.
//! - min/max (minimum, maximum, exclusive bounds, minLength, maxLength, minItems, maxItems): the inferred bound
//!   within 10% of the source's range (of the bound itself, at least 10, when one side is open).
//! - extra: keywords the inferred schema has where the source has none (stricter than the source).
//!
//! The generator does not enforce `uniqueItems`: records it makes that break their source schema are
//! dropped (and counted) before inference, so each sample is what a producer of that schema could send.

use kafka_qa_mcp::datagen::pattern::{Pattern, Reach};
use kafka_qa_mcp::datagen::stream::{Mode, Spec, Stream, Target};
use kafka_qa_mcp::schema::{InferOptions, Inferrer};
use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const KEYWORDS: [&str; 10] = [
    "type",
    "required",
    "format",
    "enum",
    "pattern",
    "additionalProperties",
    "multipleOf",
    "uniqueItems",
    "oneOf",
    "min/max",
];
const BOUNDS: [(&str, &str); 8] = [
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("exclusiveMinimum", "minimum"),
    ("exclusiveMaximum", "maximum"),
    ("minLength", "minLength"),
    ("maxLength", "maxLength"),
    ("minItems", "minItems"),
    ("maxItems", "maxItems"),
];

#[derive(Default)]
struct Tally {
    recovered: BTreeMap<&'static str, u32>,
    total: BTreeMap<&'static str, u32>,
    extra: BTreeMap<&'static str, u32>,
    missed: Vec<String>,
    extras: Vec<String>,
}

impl Tally {
    fn count(&mut self, kw: &'static str, ok: bool, at: &str) {
        *self.total.entry(kw).or_default() += 1;
        if ok {
            *self.recovered.entry(kw).or_default() += 1;
        } else {
            self.missed.push(format!("{kw} at {at}"));
        }
    }
    fn extra(&mut self, kw: &'static str, at: &str) {
        *self.extra.entry(kw).or_default() += 1;
        self.extras.push(format!("{kw} at {at}"));
    }
    fn add(&mut self, other: &Tally) {
        for (m, o) in
            [(&mut self.recovered, &other.recovered), (&mut self.total, &other.total), (&mut self.extra, &other.extra)]
        {
            for (k, v) in o {
                *m.entry(k).or_default() += v;
            }
        }
    }
}

fn types(s: &Value) -> Option<Vec<String>> {
    let mut t: Vec<String> = match s.get("type")? {
        Value::String(t) => vec![t.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => return None,
    };
    t.sort();
    Some(t)
}

fn value_set(s: &Value) -> Option<Vec<String>> {
    let mut v: Vec<String> = match (s.get("enum"), s.get("const")) {
        (Some(Value::Array(a)), _) => a.iter().filter(|x| !x.is_null()).map(Value::to_string).collect(),
        (_, Some(c)) => vec![c.to_string()],
        _ => return None,
    };
    v.sort();
    Some(v)
}

/// Patterns equivalent on samples: strings generated from each match the other.
fn same_pattern(a: &str, b: &str, rng: &mut ChaCha8Rng) -> bool {
    let (Ok(pa), Ok(pb)) = (Pattern::parse(a), Pattern::parse(b)) else { return false };
    let (Ok(ra), Ok(rb)) = (regex::Regex::new(a), regex::Regex::new(b)) else { return false };
    (0..200).all(|_| rb.is_match(&pa.generate(rng, Reach::Any)) && ra.is_match(&pb.generate(rng, Reach::Any)))
}

fn tag_const(branch: &Value) -> Option<(String, Value)> {
    branch.get("properties")?.as_object()?.iter().find_map(|(k, p)| Some((k.clone(), p.get("const")?.clone())))
}

fn walk(src: &Value, inf: &Value, t: &mut Tally, at: &str, rng: &mut ChaCha8Rng) {
    let empty = Map::new();
    let s = src.as_object().unwrap_or(&empty);
    let i = inf.as_object().unwrap_or(&empty);
    if let Some(st) = types(src) {
        t.count("type", types(inf).as_ref() == Some(&st), at);
    }
    if let Some(Value::Array(branches)) = s.get("oneOf") {
        let inferred = i.get("oneOf").and_then(Value::as_array);
        let mut matched = 0;
        for b in branches {
            let partner = tag_const(b)
                .and_then(|(tag, value)| inferred?.iter().find(|ib| ib["properties"][&tag]["const"] == value).cloned());
            let label = tag_const(b).map(|(_, v)| v.to_string()).unwrap_or_default();
            matched += usize::from(partner.is_some());
            // Without a matching branch, the branch is compared with the inferred object as a whole.
            walk(b, partner.as_ref().unwrap_or(inf), t, &format!("{at}|{label}"), rng);
        }
        t.count("oneOf", matched == branches.len() && inferred.map(Vec::len) == Some(branches.len()), at);
        return;
    }
    if i.contains_key("oneOf") {
        t.extra("oneOf", at);
    }
    let inf_required: Vec<&str> = i
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let src_required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for r in &src_required {
        t.count("required", inf_required.contains(r), &format!("{at}.{r}"));
    }
    for r in &inf_required {
        if !src_required.contains(r) && s.contains_key("properties") {
            t.extra("required", at);
        }
    }
    match (s.get("format"), i.get("format")) {
        (Some(f), g) => t.count("format", g == Some(f), at),
        (None, Some(_)) => t.extra("format", at),
        _ => {}
    }
    match (value_set(src), value_set(inf)) {
        (Some(a), b) => t.count("enum", b.as_ref() == Some(&a), at),
        (None, Some(_)) => t.extra("enum", at),
        _ => {}
    }
    match (s.get("pattern").and_then(Value::as_str), i.get("pattern").and_then(Value::as_str)) {
        (Some(a), Some(b)) => {
            let same = same_pattern(a, b, rng);
            t.count("pattern", same, &format!("{at} ({a} vs {b})"));
        }
        (Some(a), None) => t.count("pattern", false, &format!("{at} ({a} vs none)")),
        (None, Some(_)) => t.extra("pattern", at),
        _ => {}
    }
    let closed = |m: &Map<String, Value>| m.get("additionalProperties") == Some(&Value::Bool(false));
    match (closed(s), closed(i)) {
        (true, c) => t.count("additionalProperties", c, at),
        (false, true) => t.extra("additionalProperties", at),
        _ => {}
    }
    match (s.get("multipleOf").and_then(Value::as_f64), i.get("multipleOf").and_then(Value::as_f64)) {
        (Some(a), b) => t.count("multipleOf", b.is_some_and(|b| (a - b).abs() < 1e-9), at),
        (None, Some(_)) => t.extra("multipleOf", at),
        _ => {}
    }
    let unique = |m: &Map<String, Value>| m.get("uniqueItems") == Some(&Value::Bool(true));
    match (unique(s), unique(i)) {
        (true, u) => t.count("uniqueItems", u, at),
        (false, true) => t.extra("uniqueItems", at),
        _ => {}
    }
    let num = |k: &str| s.get(k).and_then(Value::as_f64);
    for (kw, inferred_kw) in BOUNDS {
        let Some(b) = num(kw) else { continue };
        let (lo, hi) = if kw.contains("Length") {
            (num("minLength").unwrap_or(0.0), num("maxLength"))
        } else if kw.contains("Items") {
            (num("minItems").unwrap_or(0.0), num("maxItems"))
        } else {
            (num("minimum").or(num("exclusiveMinimum")).unwrap_or(f64::NAN), num("maximum").or(num("exclusiveMaximum")))
        };
        let span = match hi {
            Some(h) if !lo.is_nan() && h > lo => h - lo,
            _ => b.abs().max(10.0),
        };
        let got = i.get(inferred_kw).and_then(Value::as_f64);
        t.count("min/max", got.is_some_and(|g| (g - b).abs() <= 0.1 * span), &format!("{at} {kw}"));
    }
    if let Some(Value::Object(props)) = s.get("properties") {
        for (k, sub) in props {
            walk(sub, &inf["properties"][k], t, &format!("{at}.{k}"), rng);
        }
    }
    if let Some(items) = s.get("items") {
        walk(items, &inf["items"], t, &format!("{at}[]"), rng);
    }
}

fn generate(schema: &Value, n: usize, seed: u64, checker: &jsonschema::Validator) -> (Vec<Value>, usize) {
    let spec = Spec {
        target: Target::Schema(schema.clone()),
        seed,
        mode: Mode::Valid,
        window: Default::default(),
        defect_rate: 0.0,
        defect_constraints: vec![],
        profile: None,
    };
    let mut stream = Stream::new(spec).unwrap_or_else(|e| panic!("the generator refuses the schema: {e}"));
    let (mut out, mut dropped) = (Vec::with_capacity(n), 0);
    while out.len() < n {
        let r = stream.next_record().0;
        if checker.is_valid(&r) {
            out.push(r);
        } else {
            dropped += 1;
            assert!(dropped < 50 * n, "the generator rarely meets this schema");
        }
    }
    (out, dropped)
}

fn keyword_of(e: &jsonschema::ValidationError) -> String {
    e.schema_path().to_string().rsplit('/').next().unwrap_or("?").to_string()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let seed: u64 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(7);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/roundtrip");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).expect("fixtures").filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let mut all = Tally::default();
    let mut plain_all = Tally::default();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    println!("Round trip: {n} generated records per schema (seed {seed}), inferred, compared with the source\n");
    println!("| schema | dropped by generator | recovered | self-check | holdout rejected (by keyword) | structure inferred |");
    println!("|---|---|---|---|---|---|");
    let mut notes = vec![];
    for f in &files {
        let name = f.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let src: Value =
            serde_json::from_str(&std::fs::read_to_string(f).expect("read fixture")).expect("fixture JSON");
        let checker = jsonschema::options().should_validate_formats(true).build(&src).expect("source compiles");
        let (records, dropped) = generate(&src, n, seed, &checker);
        let mut inf = Inferrer::new();
        records.iter().for_each(|r| inf.add(r));
        let inference = inf.finish();
        let inferred =
            jsonschema::options().should_validate_formats(true).build(&inference.schema).expect("inferred compiles");
        let self_ok = records.iter().filter(|r| inferred.is_valid(r)).count();
        let (holdout, _) = generate(&src, n, seed + 1000, &checker);
        // A record no branch of an inferred union accepts is checked against the branch of its tag, to name
        // the keyword that refused it.
        let branches: Vec<(String, Value, jsonschema::Validator)> = inference.schema["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| {
                let (tag, value) = tag_const(b)?;
                Some((tag, value, jsonschema::options().should_validate_formats(true).build(b).ok()?))
            })
            .collect();
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        let mut rejected = 0;
        for r in &holdout {
            let mut errors: Vec<String> = inferred.iter_errors(r).map(|e| keyword_of(&e)).collect();
            if errors == ["oneOf"] {
                if let Some((_, _, b)) = branches.iter().find(|(tag, value, _)| &r[tag] == value) {
                    errors = b.iter_errors(r).map(|e| format!("oneOf→{}", keyword_of(&e))).collect();
                }
            }
            if !errors.is_empty() {
                rejected += 1;
                let mut kinds = errors;
                kinds.sort();
                kinds.dedup();
                kinds.into_iter().for_each(|k| *reasons.entry(k).or_default() += 1);
            }
        }
        let mut t = Tally::default();
        walk(&src, &inference.schema, &mut t, "$", &mut rng);
        // The same records without structure recovery: what inference gave before it.
        let mut plain = Inferrer::with_options(InferOptions { structure: false, ..Default::default() });
        records.iter().for_each(|r| plain.add(r));
        let mut pt = Tally::default();
        walk(&src, &plain.finish().schema, &mut pt, "$", &mut rng);
        plain_all.add(&pt);
        let (got, total): (u32, u32) = (t.recovered.values().sum(), t.total.values().sum());
        let mut kw_counts: BTreeMap<&str, usize> = BTreeMap::new();
        inference.keywords.iter().for_each(|k| *kw_counts.entry(k.keyword.as_str()).or_default() += 1);
        let structure = kw_counts.iter().map(|(k, c)| format!("{k} ×{c}")).collect::<Vec<_>>().join(", ");
        let reasons = reasons.iter().map(|(k, c)| format!("{k} {c}")).collect::<Vec<_>>().join(", ");
        println!(
            "| {name} | {dropped} | {got}/{total} | {self_ok}/{} accepted | {rejected}/{} ({}) | {structure} |",
            records.len(),
            holdout.len(),
            if reasons.is_empty() { "none" } else { &reasons }
        );
        for m in &t.missed {
            notes.push(format!("{name}: missed {m}"));
        }
        for m in &t.extras {
            notes.push(format!("{name}: extra {m}"));
        }
        all.add(&t);
    }
    println!("\n| keyword | recovered / total | extra (inferred, not in the source) | without structure recovery |");
    println!("|---|---|---|---|");
    let (mut got, mut total, mut plain_got) = (0, 0, 0);
    let pct = |r: u32, n: u32| if n > 0 { format!(" ({:.0}%)", 100.0 * r as f64 / n as f64) } else { String::new() };
    for kw in KEYWORDS {
        let (r, n) = (all.recovered.get(kw).copied().unwrap_or(0), all.total.get(kw).copied().unwrap_or(0));
        let p = plain_all.recovered.get(kw).copied().unwrap_or(0);
        got += r;
        total += n;
        plain_got += p;
        let extra = all.extra.get(kw).copied().unwrap_or(0);
        println!("| {kw} | {r}/{n}{} | {extra} | {p}/{n}{} |", pct(r, n), pct(p, n));
    }
    println!("| **overall** | **{got}/{total}{}** | | {plain_got}/{total}{} |", pct(got, total), pct(plain_got, total));
    println!("\nMissed and extra:");
    for n in notes {
        println!("- {n}");
    }
}
