//! Schema inference speed: 100,000 order messages (nested items, formats, enums, nulls), generated
//! deterministically, inferred by `Inferrer`, then by Python `genson` on the same messages
//! (tools/bench/infer_genson.py) in the same run. Prints messages/s for both and the ratio.
//!
//! `cargo run --release --example bench_infer [-- MESSAGES]`; PYTHON overrides the interpreter
//! (default python3; tools/test-deps prints the test Python).

use kafka_qa_mcp::schema::{InferOptions, Inferrer};
use serde_json::{json, Value};
use std::io::Write;
use std::time::Instant;

#[path = "bench_support/rng.rs"]
mod rng;
use rng::Rng;

const CITIES: [&str; 6] = ["Berlin", "Lyon", "Porto", "Gdansk", "Turin", "Ghent"];
const PRODUCTS: [&str; 8] = ["mug", "lamp", "desk", "chair", "pen", "notebook", "cable", "charger"];

fn order(r: &mut Rng, i: u64) -> Value {
    let items: Vec<Value> = (0..1 + r.below(5))
        .map(|_| {
            json!({
                "sku": format!("SKU-{:05}", r.below(20_000)),
                "name": r.pick(&PRODUCTS),
                "qty": 1 + r.below(4),
                "unit_price": (r.below(20_000) as f64) / 100.0 + 0.99,
            })
        })
        .collect();
    let total: f64 =
        items.iter().map(|x| x["qty"].as_u64().unwrap_or(1) as f64 * x["unit_price"].as_f64().unwrap_or(0.0)).sum();
    let mut o = json!({
        "order_id": format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", r.next() as u32, r.below(1 << 16), r.below(1 << 12), r.below(1 << 12), r.next() & 0xFFFF_FFFF_FFFF),
        "seq": i,
        "created_at": format!("2024-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", 1 + r.below(12), 1 + r.below(28), r.below(24), r.below(60), r.below(60), r.below(1000)),
        "status": r.pick(&["created", "paid", "shipped", "delivered", "cancelled"]),
        "currency": r.pick(&["EUR", "USD", "GBP"]),
        "customer": {
            "id": r.below(1_000_000),
            "email": format!("user{}@example.com", r.below(1_000_000)),
            "name": format!("Customer {}", r.below(100_000)),
            "ip": format!("10.{}.{}.{}", r.below(256), r.below(256), r.below(256)),
            "vip": r.below(10) == 0,
        },
        "items": items,
        "total": (total * 100.0).round() / 100.0,
        "coupon": if r.below(3) == 0 { json!(format!("SAVE{}", 5 * (1 + r.below(4)))) } else { Value::Null },
        "shipping": {
            "method": r.pick(&["standard", "express", "pickup"]),
            "address": {"street": format!("{} Main Street", 1 + r.below(300)), "city": r.pick(&CITIES), "zip": format!("{:05}", r.below(100_000))},
        },
        "tags": (0..r.below(3)).map(|_| r.pick(&["gift", "fragile", "b2b", "promo"])).collect::<Vec<_>>(),
    });
    if r.below(5) == 0 {
        o["note"] = json!("Please ring twice");
    }
    o
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut r = Rng(0x5EED_0F0B_DE25);
    let messages: Vec<Value> = (0..n).map(|i| order(&mut r, i)).collect();
    let lines: Vec<String> = messages.iter().map(Value::to_string).collect();
    let bytes: usize = lines.iter().map(String::len).sum();
    println!("{n} order messages, {:.1} MB of JSON", bytes as f64 / 1e6);

    // Inference alone, on parsed values.
    let t = Instant::now();
    let mut inf = Inferrer::new();
    for m in &messages {
        inf.add(m);
    }
    let result = inf.finish();
    let infer_secs = t.elapsed().as_secs_f64();

    // The same without structure recovery (closed objects, patterns, multipleOf, uniqueItems, unions).
    let t = Instant::now();
    let mut plain = Inferrer::with_options(InferOptions { structure: false, ..Default::default() });
    for m in &messages {
        plain.add(m);
    }
    let plain_keywords = plain.finish().keywords.len();
    let plain_secs = t.elapsed().as_secs_f64();

    // Parse + inference, from the bytes (what a topic sample costs), without building values.
    let t = Instant::now();
    let mut inf = Inferrer::new();
    for l in &lines {
        if let Err(e) = inf.add_json(l.as_bytes()) {
            panic!("generated invalid JSON: {e}");
        }
    }
    let parsed = inf.finish();
    let parse_secs = t.elapsed().as_secs_f64();
    assert_eq!(
        serde_json::to_value(&parsed.fields).ok(),
        serde_json::to_value(&result.fields).ok(),
        "both paths infer the same"
    );
    println!(
        "rust Inferrer: {} fields, confidence {:.2}; infer {:.0} msg/s; parse+infer {:.0} msg/s",
        result.fields.len(),
        result.confidence,
        n as f64 / infer_secs,
        n as f64 / parse_secs
    );
    println!(
        "structure recovery: {} keywords inferred; without it (structure: false, {plain_keywords} keywords) infer {:.0} msg/s",
        result.keywords.len(),
        n as f64 / plain_secs
    );

    let dir = std::env::temp_dir().join(format!("bench-infer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("orders.ndjson");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).expect("create NDJSON"));
        for l in &lines {
            writeln!(f, "{l}").expect("write NDJSON");
        }
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/bench/infer_genson.py");
    let out = std::process::Command::new(&python).arg(script).arg(&file).output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("genson run failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("cannot run {python}: {e} (set PYTHON to an interpreter with genson)"),
    };
    let py: Value = serde_json::from_slice(&out.stdout).expect("genson script prints JSON");
    let py_infer = py["infer_per_s"].as_f64().unwrap_or(f64::NAN);
    let py_parse = py["parse_infer_per_s"].as_f64().unwrap_or(f64::NAN);
    println!("python genson: infer {py_infer:.0} msg/s; parse+infer {py_parse:.0} msg/s");
    println!(
        "ratio (rust / genson): infer {:.1}x, parse+infer {:.1}x (goal >= 10x)",
        n as f64 / infer_secs / py_infer,
        n as f64 / parse_secs / py_parse
    );
}
