//! Avro decoding speed: N Confluent-framed Avro messages (a nested order record with logical types, unions,
//! arrays and maps), generated deterministically and encoded by the codec, then decoded to JSON by the
//! registry codec (what infer_schema, peek_messages, run_test_cases and export_parquet do per message), and
//! the same bytes decoded by Python fastavro's `schemaless_reader` after the 5-byte header
//! (tools/bench/avro_fastavro.py) in the same run. Prints messages/s for both and the ratio.
//!
//! `cargo run --release --example bench_avro [-- MESSAGES]`; PYTHON overrides the interpreter
//! (default python3; it needs fastavro).

use kafka_qa_mcp::registry::codec::{frame, HEADER};
use kafka_qa_mcp::registry::{Parsed, SchemaType};
use serde_json::{json, Value};
use std::io::Write;
use std::time::Instant;

const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"bench","fields":[
 {"name":"order_id","type":{"type":"string","logicalType":"uuid"}},
 {"name":"seq","type":"long"},
 {"name":"created_at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"ship_date","type":{"type":"int","logicalType":"date"}},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["CREATED","PAID","SHIPPED","DELIVERED","CANCELLED"]}},
 {"name":"currency","type":"string"},
 {"name":"total","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},
 {"name":"customer","type":{"type":"record","name":"Customer","fields":[
   {"name":"id","type":"long"},{"name":"email","type":"string"},{"name":"name","type":"string"},
   {"name":"vip","type":"boolean"},{"name":"phone","type":["null","string"],"default":null}]}},
 {"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
   {"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"unit_price","type":"double"}]}}},
 {"name":"attributes","type":{"type":"map","values":"string"}},
 {"name":"coupon","type":["null","string"],"default":null},
 {"name":"shipping","type":["null",{"type":"record","name":"Address","fields":[
   {"name":"city","type":"string"},{"name":"zip","type":"string"}]}],"default":null}]}"#;

#[path = "bench_support/rng.rs"]
mod rng;
use rng::Rng;

const STATUSES: [&str; 5] = ["CREATED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"];
const CURRENCIES: [&str; 3] = ["EUR", "USD", "GBP"];
const CITIES: [&str; 6] = ["Berlin", "Lyon", "Porto", "Gdansk", "Turin", "Ghent"];

fn order(r: &mut Rng, i: u64) -> Value {
    let items: Vec<Value> = (0..1 + r.below(5))
        .map(|_| json!({"sku": format!("SKU-{:05}", r.below(20_000)), "qty": 1 + r.below(4), "unit_price": (r.below(20_000) as f64) / 100.0 + 0.99}))
        .collect();
    let attributes: serde_json::Map<String, Value> =
        (0..r.below(4)).map(|k| (format!("attr{k}"), json!(format!("v{}", r.below(100))))).collect();
    json!({
        "order_id": format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", r.next() as u32, r.below(1 << 16), r.below(1 << 12), r.below(1 << 12), r.next() & 0xFFFF_FFFF_FFFF),
        "seq": i,
        "created_at": 1_704_067_200_000i64 + r.below(31_536_000_000) as i64,
        "ship_date": 19_723 + r.below(365) as i64,
        "status": STATUSES[r.below(5) as usize],
        "currency": CURRENCIES[r.below(3) as usize],
        "total": format!("{}.{:02}", r.below(100_000), r.below(100)),
        "customer": {
            "id": r.below(1_000_000),
            "email": format!("user{}@example.com", r.below(1_000_000)),
            "name": format!("Customer {}", r.below(100_000)),
            "vip": r.below(10) == 0,
            "phone": if r.below(3) == 0 { Value::Null } else { json!(format!("+49 30 {:07}", r.below(10_000_000))) },
        },
        "items": items,
        "attributes": attributes,
        "coupon": if r.below(4) == 0 { json!(format!("SAVE{}", r.below(50))) } else { Value::Null },
        "shipping": if r.below(5) == 0 { Value::Null } else { json!({"city": CITIES[r.below(6) as usize], "zip": format!("{:05}", r.below(100_000))}) },
    })
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let parsed = Parsed::parse(SchemaType::Avro, SCHEMA, &[]).expect("the bench schema parses");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let frames: Vec<Vec<u8>> =
        (0..n as u64).map(|i| frame(7, &parsed.encode(&order(&mut rng, i), None).expect("encodes"))).collect();
    let bytes: usize = frames.iter().map(Vec::len).sum();

    // Rust: the registry codec, bytes -> JSON value, as the tools decode each message.
    let t = Instant::now();
    let mut fields = 0usize;
    for f in &frames {
        let (v, _) = parsed.decode(&f[HEADER..]).expect("decodes");
        fields += v.as_object().map_or(0, |o| o.len());
    }
    let rust = n as f64 / t.elapsed().as_secs_f64();
    assert_eq!(fields, n * 12);

    // Python fastavro on the same bytes.
    let dir = std::env::temp_dir().join(format!("bench-avro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let data = dir.join("frames.bin");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&data).expect("frames file"));
    for f in &frames {
        out.write_all(&(f.len() as u32).to_le_bytes()).and_then(|_| out.write_all(f)).expect("write");
    }
    drop(out);
    std::fs::write(dir.join("schema.avsc"), SCHEMA).expect("schema file");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/bench/avro_fastavro.py");
    let py = std::process::Command::new(&python)
        .arg(script)
        .arg(dir.join("schema.avsc"))
        .arg(&data)
        .output()
        .expect("python runs");
    let _ = std::fs::remove_dir_all(&dir);
    let py_out = String::from_utf8_lossy(&py.stdout);
    let fast: Value = match serde_json::from_str(py_out.trim()) {
        Ok(v) => v,
        Err(_) => {
            eprintln!("fastavro baseline failed: {}", String::from_utf8_lossy(&py.stderr));
            std::process::exit(1);
        }
    };
    let fast_rate = fast["decode_per_s"].as_f64().unwrap_or(0.0);
    assert_eq!(fast["messages"].as_u64(), Some(n as u64), "fastavro read every message");
    println!("messages: {n}, {bytes} bytes framed ({:.0} bytes/message)", bytes as f64 / n as f64);
    println!("kafka-qa-mcp codec (Avro -> JSON): {rust:.0} msg/s");
    println!("fastavro schemaless_reader:        {fast_rate:.0} msg/s");
    println!("ratio: {:.2}x", rust / fast_rate);
}
