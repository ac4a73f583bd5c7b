//! Parquet export speed and memory: 1,000,000 Kafka message rows (topic, partition, offset, timestamp,
//! key, two headers, a ~150-byte JSON value) through the same table and sink the export_parquet tool uses,
//! rows generated on the fly; then Python pyarrow writing the same rows (tools/bench/export_pyarrow.py,
//! same formulas, same row groups and compression) in the same run. Prints rows/s and peak RSS for both.
//!
//! `cargo run --release --example bench_export [-- ROWS]`; PYTHON overrides the interpreter
//! (default python3; tools/test-deps prints the test Python).

use kafka_qa_mcp::export::{ExportCompression, MessageTable, TableWriter};
use kafka_qa_mcp::kafka::Record;
use kafka_qa_mcp::schema::Inferrer;
use serde_json::Value;
use std::time::Instant;

const STATUSES: [&str; 4] = ["created", "paid", "shipped", "cancelled"];

/// Row `i`; tools/bench/export_pyarrow.py builds the same one.
fn row(i: u64) -> Record {
    let value = format!(
        "{{\"order_id\":{i},\"customer\":\"customer-{}\",\"status\":\"{}\",\"amount\":{}.{:02},\"items\":[{{\"sku\":\"SKU-{:05}\",\"qty\":{}}}]}}",
        i % 50_000,
        STATUSES[(i % 4) as usize],
        i % 1000,
        i % 100,
        i % 20_000,
        i % 5 + 1
    );
    Record {
        topic: "orders".into(),
        partition: (i % 6) as i32,
        offset: (i / 6) as i64,
        timestamp_ms: Some(1_705_287_600_000 + i as i64),
        key: Some(format!("customer-{}", i % 50_000).into_bytes()),
        value: Some(value.into_bytes()),
        headers: vec![
            ("trace-id".into(), Some(format!("{:016x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).into_bytes())),
            ("source".into(), Some(b"checkout".to_vec())),
        ],
    }
}

/// Resident set size figures from /proc (kB): (current, peak).
fn rss_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn write(path: &std::path::Path, rows: u64, json_schema: Option<&Value>) -> (f64, u64, Vec<u64>) {
    let mut w = TableWriter::create(path, MessageTable::new(json_schema), ExportCompression::Zstd).expect("create");
    let mut rss = vec![];
    let t = Instant::now();
    for i in 0..rows {
        w.push(&row(i)).expect("push");
        if (i + 1) % (rows / 5).max(1) == 0 {
            rss.push(rss_kb().0);
        }
    }
    let written = w.finish().expect("finish");
    (t.elapsed().as_secs_f64(), written.bytes, rss)
}

fn main() {
    let rows: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("bench-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!("{rows} message rows, zstd level 1, 65536-row row groups");

    let (secs, bytes, rss) = write(&dir.join("rust.parquet"), rows, None);
    let peak = rss_kb().1;
    println!(
        "rust (fixed columns):      {:>9.0} rows/s  {:>6.1} s  file {:.1} MB  peak RSS {:.1} MB  RSS at 20/40/60/80/100%: {:?} MB",
        rows as f64 / secs,
        secs,
        bytes as f64 / 1e6,
        peak as f64 / 1024.0,
        rss.iter().map(|k| (*k as f64 / 1024.0).round()).collect::<Vec<_>>()
    );
    let rust_rate = rows as f64 / secs;

    let mut inf = Inferrer::new();
    for i in 0..5000 {
        if let Some(v) = row(i).value.as_deref().and_then(|b| serde_json::from_slice::<Value>(b).ok()) {
            inf.add(&v);
        }
    }
    let schema = inf.finish().schema;
    let (secs, bytes, _) = write(&dir.join("rust-json.parquet"), rows, Some(&schema));
    println!(
        "rust (+ 5 JSON columns):   {:>9.0} rows/s  {:>6.1} s  file {:.1} MB  peak RSS {:.1} MB",
        rows as f64 / secs,
        secs,
        bytes as f64 / 1e6,
        rss_kb().1 as f64 / 1024.0
    );

    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/bench/export_pyarrow.py");
    let out =
        std::process::Command::new(&python).arg(script).arg(rows.to_string()).arg(dir.join("py.parquet")).output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("pyarrow run failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("cannot run {python}: {e} (set PYTHON to an interpreter with pyarrow)"),
    };
    let py: Value = serde_json::from_slice(&out.stdout).expect("the pyarrow script prints JSON");
    let py_rate = py["rows_per_s"].as_f64().unwrap_or(f64::NAN);
    println!(
        "python pyarrow:            {:>9.0} rows/s  {:>6.1} s  file {:.1} MB  peak RSS {:.1} MB",
        py_rate,
        py["seconds"].as_f64().unwrap_or(f64::NAN),
        py["bytes"].as_f64().unwrap_or(f64::NAN) / 1e6,
        py["peak_rss_kb"].as_f64().unwrap_or(f64::NAN) / 1024.0
    );
    println!("ratio (rust / pyarrow, fixed columns): {:.2}x (goal >= 1x)", rust_rate / py_rate);
}
