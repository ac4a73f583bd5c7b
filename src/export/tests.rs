//! Files written from plain rows, read back by independent readers (pyarrow and duckdb).

use super::*;
use crate::kafka::Record;
use crate::schema::Inferrer;
use serde_json::{json, Value};
use std::path::Path;

/// The test Python with pyarrow and duckdb (tools/test sets PYTHON; tools/test-deps installs it).
fn python() -> String {
    std::env::var("PYTHON").expect("PYTHON is not set: tools/test sets it (tools/test-deps installs the test Python)")
}

/// Runs `script` with the file path as argv[1]; the script prints one JSON document.
pub fn python_read(script: &str, file: &Path) -> Value {
    let out = std::process::Command::new(python()).args(["-c", script, file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// pyarrow: rows, row groups, column types, and rows picked by index (binary as hex, maps as lists,
/// nanosecond times as integers). Map types print the name of their value field, hence `map_type`.
pub const PYARROW_DUMP: &str = r#"
import json, sys, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
types = {n: str(t.schema.field(n).type) for n in t.schema.names}
# Nanosecond times do not fit Python datetimes: compare them as integers.
for i, n in enumerate(t.schema.names):
    if types[n].startswith("timestamp[ns"):
        t = t.set_column(i, n, t.column(n).cast("int64"))
def plain(v):
    if isinstance(v, bytes): return "hex:" + v.hex()
    if isinstance(v, list): return [plain(x) for x in v]
    if isinstance(v, tuple): return [plain(x) for x in v]
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if hasattr(v, "isoformat"): return v.isoformat()
    return v
rows = t.to_pylist()
pick = [min(i, len(rows) - 1) for i in (0, 1, 2, len(rows) - 1)] if rows else []
print(json.dumps({
    "rows": t.num_rows,
    "row_groups": f.num_row_groups,
    "compression": f.metadata.row_group(0).column(0).compression if f.num_row_groups else None,
    "types": types,
    "picked": [plain(rows[i]) for i in pick],
}))
"#;

fn message(i: i64) -> Record {
    let value = match i % 5 {
        4 => json!({"id": i, "status": 7, "amount": 1.5}).to_string().into_bytes(), // status of another type
        _ => json!({"id": i, "status": (["new", "paid"][(i % 2) as usize]), "amount": i as f64 / 4.0, "tags": ["a"], "ok": i % 3 == 0}).to_string().into_bytes(),
    };
    Record {
        topic: "orders".into(),
        partition: (i % 3) as i32,
        offset: i,
        timestamp_ms: if i == 1 { None } else { Some(1_705_287_601_000 + i) },
        key: match i % 4 {
            0 => Some(format!("k{i}").into_bytes()),
            1 => None,
            _ => Some(vec![0xff, 0xfe, i as u8]),
        },
        value: if i == 2 { None } else { Some(value) },
        headers: if i % 2 == 0 {
            vec![("trace".into(), Some(b"t-1".to_vec())), ("empty".into(), None)]
        } else {
            vec![]
        },
    }
}

fn json_value(bytes: &[u8]) -> Option<Value> {
    serde_json::from_slice(bytes).ok()
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the test Python: run tools/test")]
#[test]
fn messages_round_trip_through_pyarrow_and_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.parquet");
    let n = 70_000;
    let mut inf = Inferrer::new();
    // The first batch had no message with a numeric status (every fifth one has).
    for i in (0..100).filter(|i| i % 5 != 4) {
        if let Some(v) = message(i).value.as_deref().and_then(json_value) {
            inf.add(&v);
        }
    }
    let schema = inf.finish().schema;
    let mut w = TableWriter::create(&path, MessageTable::new(Some(&schema)), ExportCompression::Zstd).unwrap();
    for i in 0..n {
        w.push(&message(i)).unwrap();
    }
    let names: Vec<String> = w.columns().into_iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "topic",
            "partition",
            "offset",
            "timestamp",
            "key",
            "key_text",
            "headers",
            "value",
            "value_text",
            "id",
            "status",
            "amount",
            "tags",
            "ok"
        ]
    );
    let written = w.finish().unwrap();
    assert_eq!((written.rows, written.row_groups), (n as u64, 2));
    assert_eq!(written.bytes, std::fs::metadata(&path).unwrap().len());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");

    let d = python_read(PYARROW_DUMP, &path);
    assert_eq!(d["rows"], json!(n));
    assert_eq!(d["row_groups"], json!(2));
    assert_eq!(d["compression"], json!("ZSTD"));
    assert_eq!(d["types"]["timestamp"], json!("timestamp[ms, tz=UTC]"));
    assert_eq!(map_type(&d["types"]["headers"]), "map<string, binary>");
    assert_eq!(d["types"]["id"], json!("int64"));
    assert_eq!(d["types"]["amount"], json!("double"));
    assert_eq!(d["types"]["ok"], json!("bool"));
    assert_eq!(d["types"]["tags"], json!("string"));
    let r0 = &d["picked"][0];
    assert_eq!(r0["key"], json!("hex:6b30"));
    assert_eq!(r0["key_text"], json!("k0"));
    assert_eq!(r0["headers"], json!([["trace", "hex:742d31"], ["empty", null]]));
    assert_eq!(r0["timestamp"], json!("2024-01-15T03:00:01+00:00"));
    assert_eq!(
        (r0["status"].clone(), r0["amount"].clone(), r0["tags"].clone(), r0["ok"].clone()),
        (json!("new"), json!(0.0), json!("[\"a\"]"), json!(true))
    );
    let r1 = &d["picked"][1];
    assert_eq!(
        (r1["key"].clone(), r1["timestamp"].clone(), r1["headers"].clone()),
        (Value::Null, Value::Null, json!([]))
    );
    let r2 = &d["picked"][2];
    assert_eq!((r2["key"].clone(), r2["key_text"].clone()), (json!("hex:fffe02"), Value::Null));
    assert_eq!((r2["value"].clone(), r2["id"].clone()), (Value::Null, Value::Null), "no value, no JSON fields");
    let last = &d["picked"][3];
    assert_eq!(last["offset"], json!(n - 1));
    assert_eq!(last["value_text"].as_str().map(json_value_str), Some(json!({"id": n - 1, "status": 7, "amount": 1.5})));
    assert_eq!(last["status"], Value::Null, "a number where strings were inferred is null");

    let agg = python_read(
        r#"
import duckdb, json, sys
q = "SELECT count(*), sum(\"offset\"), count(key_text), count(status), count(DISTINCT partition) FROM read_parquet(?)"
print(json.dumps(list(duckdb.execute(q, [sys.argv[1]]).fetchone())))
"#,
        &path,
    );
    let sum: i64 = (0..n).sum();
    // key_text: keys `k{i}` (i % 4 == 0); status: strings in 4 of 5 values, minus the missing value (i = 2).
    assert_eq!(agg, json!([n, sum, n / 4, (0..n).filter(|i| i % 5 != 4 && *i != 2).count(), 3]));
}

/// `map<string, binary ('headers')>` -> `map<string, binary>`.
pub fn map_type(t: &Value) -> String {
    let t = t.as_str().unwrap_or_default();
    match t.find(" (") {
        Some(i) => format!("{}>", &t[..i]),
        None => t.to_string(),
    }
}

fn json_value_str(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the test Python: run tools/test")]
#[test]
fn log_and_metric_rows_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs.parquet");
    let mut w = TableWriter::create(&logs, LogTable::default(), ExportCompression::None).unwrap();
    for i in 0..3 {
        w.push(&LogRow {
            time_ns: 1_705_287_601_000_000_123 + i,
            labels: vec![("job".into(), "kafka".into()), ("broker".into(), format!("{i}"))],
            line: format!("ERROR disk full {i}"),
            event_class: if i == 1 { None } else { Some("disk_full".into()) },
        })
        .unwrap();
    }
    assert_eq!(w.finish().unwrap().rows, 3);
    let d = python_read(PYARROW_DUMP, &logs);
    assert_eq!(d["types"]["time"], json!("timestamp[ns, tz=UTC]"));
    assert_eq!(map_type(&d["types"]["labels"]), "map<string, string>");
    assert_eq!((d["types"]["line"].clone(), d["types"]["event_class"].clone()), (json!("string"), json!("string")));
    assert_eq!(d["compression"], json!("UNCOMPRESSED"));
    assert_eq!(d["picked"][0]["labels"], json!([["job", "kafka"], ["broker", "0"]]));
    assert_eq!(d["picked"][1]["event_class"], Value::Null);
    assert_eq!(d["picked"][0]["time"], json!(1_705_287_601_000_000_123i64));
    assert_eq!(d["picked"][3]["line"], json!("ERROR disk full 2"));

    let metrics = dir.path().join("metrics.parquet");
    let mut w = TableWriter::create(&metrics, MetricTable::default(), ExportCompression::Zstd).unwrap();
    w.push(&MetricRow {
        metric: "kafka_log_size".into(),
        labels: vec![("topic".into(), "orders".into())],
        time_ms: 1_705_287_600_000,
        value: 42.5,
    })
    .unwrap();
    w.push(&MetricRow { metric: "up".into(), labels: vec![], time_ms: 1_705_287_615_000, value: 1e-9 }).unwrap();
    w.finish().unwrap();
    let d = python_read(PYARROW_DUMP, &metrics);
    assert_eq!(d["types"]["time"], json!("timestamp[ms, tz=UTC]"));
    assert_eq!((d["types"]["metric"].clone(), d["types"]["value"].clone()), (json!("string"), json!("double")));
    assert_eq!(
        d["picked"][0],
        json!({"metric": "kafka_log_size", "labels": [["topic", "orders"]], "time": "2024-01-15T03:00:00+00:00", "value": 42.5})
    );
    assert_eq!(d["picked"][1]["time"], json!("2024-01-15T03:00:15+00:00"));
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the test Python: run tools/test")]
#[test]
fn an_unfinished_file_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.parquet");
    {
        let mut w = TableWriter::create(&path, MessageTable::new(None), ExportCompression::Zstd).unwrap();
        for i in 0..20_000 {
            w.push(&message(i)).unwrap();
        }
        assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "the partial file exists while writing");
        // Dropped without finish: an error or a cancelled call.
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(!path.exists());
}
