//! export_parquet end to end through the dispatch path: a topic on the shared tansu (KAFKA_BOOTSTRAP_SERVERS;
//! run `tools/stack up` and `source .stack/env`), a PromQL window on a Prometheus this test starts with
//! recorded history, LogQL paging, failure and cancellation on a loopback Loki (no Loki can run here).
//! Every file is read back with pyarrow or duckdb.

use crate::support::stack::broker_config;
use kafka_qa_mcp::config::Config;
use kafka_qa_mcp::context::{AppState, CallContext};
use kafka_qa_mcp::export::topic::TopicPages;
use kafka_qa_mcp::kafka::{OutRecord, StartAt};
use kafka_qa_mcp::mcp::reply::Rendered;
use kafka_qa_mcp::mcp::Registry;
use kafka_qa_mcp::Error;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The test Python with pyarrow and duckdb (tools/test sets PYTHON; tools/test-deps installs it).
fn python_bin() -> String {
    std::env::var("PYTHON").expect("PYTHON is not set: tools/test sets it (tools/test-deps installs the test Python)")
}

fn state(export_dir: &Path, f: impl FnOnce(&mut Config)) -> Arc<AppState> {
    let mut c = broker_config();
    c.safety.max_messages_per_call = 100_000;
    c.export.dir = export_dir.to_path_buf();
    f(&mut c);
    AppState::new(c).unwrap()
}

async fn call(cx: &CallContext, args: Value) -> Result<Rendered, Error> {
    let Value::Object(args) = args else { panic!("arguments must be an object") };
    Registry::new().call(cx, "export_parquet", Some(args)).await
}

async fn export(state: &Arc<AppState>, args: Value) -> Value {
    match call(&CallContext::new(state.clone()), args.clone()).await {
        Ok(r) => r.structured,
        Err(e) => panic!("export_parquet {args} failed: {e}"),
    }
}

fn python(script: &str, file: &Path) -> Value {
    let out = std::process::Command::new(python_bin()).args(["-c", script, file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        walk(dir).into_iter().map(|p| p.strip_prefix(dir).unwrap().display().to_string()).collect();
    names.sort();
    names
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn unique(prefix: &str) -> String {
    format!("test.export.{prefix}.{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// Partition 0 gets `p0` messages, partition 1 `p1`.
async fn topic_with_orders(state: &Arc<AppState>, p0: usize, p1: usize) -> String {
    let topic = unique("orders");
    state.kafka.create_topic(&state.guard, &topic, 2, &[]).await.unwrap();
    let records: Vec<OutRecord> = (0..p0 + p1)
        .map(|i| {
            let value = if i % 100 == 99 {
                b"not json".to_vec()
            } else {
                json!({"order_id": i, "status": (["new", "paid"][i % 2]), "amount": i as f64 / 2.0})
                    .to_string()
                    .into_bytes()
            };
            OutRecord {
                key: Some(format!("k{i}").into_bytes()),
                value: Some(value),
                headers: vec![("source".into(), b"test".to_vec())],
                partition: Some(if i < p0 { 0 } else { 1 }),
            }
        })
        .collect();
    for chunk in records.chunks(1000) {
        state.kafka.produce(&state.guard, &topic, chunk.to_vec()).await.unwrap();
    }
    topic
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_range_exports_every_message_with_json_columns() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), |_| {});
    let topic = topic_with_orders(&st, 5200, 300).await;
    let out = export(&st, json!({"source": {"kind": "topic", "topic": topic}, "path": "t/orders.parquet"})).await;
    assert_eq!(out["rows"], json!(5500), "{out}");
    assert_eq!(out["stopped_by"], json!("end"));
    assert_eq!(out["path"], json!("t/orders.parquet"));
    let names: Vec<&str> = out["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
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
            "order_id",
            "status",
            "amount"
        ]
    );
    assert!(out["bytes"].as_u64().unwrap() > 0);
    let file = dir.path().join("t/orders.parquet");
    assert_eq!(files_in(dir.path()), vec!["t/orders.parquet"]);
    let got = python(
        r#"
import duckdb, json, sys
f = sys.argv[1]
q = lambda s: duckdb.execute(s.replace("TBL", "read_parquet('" + f + "')")).fetchall()
print(json.dumps({
  "per_partition": q('SELECT partition, count(*), min("offset"), max("offset"), count(DISTINCT "offset") FROM TBL GROUP BY 1 ORDER BY 1'),
  "row": q("SELECT key_text, order_id, status, amount, value_text, headers['source'], year(timestamp) FROM TBL WHERE partition = 0 AND \"offset\" = 7"),
  "not_json": q("SELECT count(*), count(order_id), min(value_text) FROM TBL WHERE value_text = 'not json'"),
  "types": q("SELECT name, type FROM parquet_schema('" + f + "') WHERE name IN ('order_id', 'amount', 'timestamp')"),
}, default=lambda b: b.decode() if isinstance(b, bytes) else str(b)))
"#,
        &file,
    );
    assert_eq!(got["per_partition"], json!([[0, 5200, 0, 5199, 5200], [1, 300, 0, 299, 300]]));
    let year = chrono::Utc::now().format("%Y").to_string().parse::<i64>().unwrap();
    assert_eq!(
        got["row"],
        json!([["k7", 7, "paid", 3.5, "{\"order_id\":7,\"status\":\"paid\",\"amount\":3.5}", "test", year]])
    );
    assert_eq!(got["not_json"], json!([[55, 0, "not json"]]));
    assert_eq!(got["types"].as_array().unwrap().len(), 3);

    // A range: the last 10 of each partition; then a cap.
    let tail = export(&st, json!({"source": {"kind": "topic", "topic": topic, "from": "tail", "tail_count": 10, "json_columns": false}, "path": "tail.parquet"})).await;
    assert_eq!((tail["rows"].clone(), tail["columns"].as_array().unwrap().len()), (json!(20), 9));
    let capped = export(&st, json!({"source": {"kind": "topic", "topic": topic, "partition": 1, "from": {"offset": 100}}, "path": "capped.parquet", "max_rows": 7})).await;
    assert_eq!((capped["rows"].clone(), capped["stopped_by"].clone()), (json!(7), json!("max_rows")));
    let offsets = python("import duckdb, json, sys; print(json.dumps(duckdb.execute(\"SELECT list(\\\"offset\\\" ORDER BY \\\"offset\\\") FROM read_parquet(?)\", [sys.argv[1]]).fetchone()[0]))", &dir.path().join("capped.parquet"));
    assert_eq!(offsets, json!([100, 101, 102, 103, 104, 105, 106]));

    // Small pages: every message once, in order, page after page, across partitions.
    let mut pages = TopicPages::open(&st.kafka, &topic, None, StartAt::Offset(10), 700).await.unwrap();
    let (mut seen, mut count) = (vec![], 0);
    while let Some(page) = pages.next_page(700).await.unwrap() {
        assert!(!page.is_empty() && page.len() <= 700);
        seen.extend(page.iter().map(|r| (r.partition, r.offset)));
        count += 1;
    }
    let expected: Vec<(i32, i64)> = (10..5200).map(|o| (0, o)).chain((10..300).map(|o| (1, o))).collect();
    assert_eq!(seen, expected);
    assert!(count >= 9, "{count} pages");

    // Read-only mode still exports (it writes only into the export folder).
    let ro = state(dir.path(), |c| c.safety.read_only = true);
    let out =
        export(&ro, json!({"source": {"kind": "topic", "topic": topic, "partition": 1}, "path": "ro.parquet"})).await;
    assert_eq!(out["rows"], json!(300));
    st.kafka.delete_topic(&st.guard, &topic).await.unwrap();
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_outside_the_export_folder_are_refused_and_nothing_is_written() {
    let root = tempfile::tempdir().unwrap();
    let export_dir = root.path().join("exports");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&export_dir).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, export_dir.join("link")).unwrap();
    let st = state(&export_dir, |_| {});
    let src = json!({"kind": "topic", "topic": "does-not-matter"});
    let abs = outside.join("x.parquet").display().to_string();
    for (path, rule) in [
        ("../outside/x.parquet", "export_dir"),
        (abs.as_str(), "export_dir"),
        ("link/x.parquet", "export_dir"),
        ("a/../../x.parquet", "export_dir"),
    ] {
        match call(&CallContext::new(st.clone()), json!({"source": src, "path": path})).await {
            Err(Error::Denied { rule: r, .. }) => assert_eq!(r, rule, "{path}"),
            other => panic!("{path} should be refused, got {other:?}"),
        }
    }
    match call(&CallContext::new(st.clone()), json!({"source": src, "path": "x.csv"})).await {
        Err(Error::BadInput { argument, .. }) => assert_eq!(argument, "path"),
        other => panic!("{other:?}"),
    }
    std::fs::write(export_dir.join("exists.parquet"), b"keep me").unwrap();
    match call(&CallContext::new(st.clone()), json!({"source": src, "path": "exists.parquet"})).await {
        Err(Error::BadInput { argument, .. }) => assert_eq!(argument, "overwrite"),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(export_dir.join("exists.parquet")).unwrap(), b"keep me");
    assert!(files_in(&outside).is_empty(), "nothing written outside: {:?}", files_in(&outside));
    // An unknown topic fails before any file exists.
    match call(
        &CallContext::new(st.clone()),
        json!({"source": {"kind": "topic", "topic": unique("missing")}, "path": "missing.parquet"}),
    )
    .await
    {
        Err(Error::BadInput { argument, .. }) => assert_eq!(argument, "topic"),
        other => panic!("{other:?}"),
    }
    assert_eq!(files_in(&export_dir), vec!["exists.parquet", "link"]);
}

// ---- Loki: a loopback server answering query_range like Loki does, from a generated set of lines ----

/// `n` lines, three per nanosecond timestamp, in two streams; what a real Loki returns forward with `limit`.
mod fake_loki {
    use axum::extract::{RawQuery, State};
    use axum::routing::get;
    use axum::Router;
    use serde_json::{json, Value};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    pub const BASE_NS: i64 = 1_705_287_600_000_000_000;

    pub struct Behaviour {
        pub lines: usize,
        /// From this request on (1-based): 0 = answer all, else `fail` decides.
        pub bad_from: usize,
        /// true: answer 500; false: never answer.
        pub fail: bool,
        pub requests: AtomicUsize,
    }

    pub fn line(i: usize) -> (i64, &'static str, String) {
        let broker = if i.is_multiple_of(2) { "1" } else { "2" };
        let text = if i.is_multiple_of(10) {
            format!("ERROR [ReplicaManager broker={broker}] Error processing append operation on partition orders-0: No space left on device #{i}")
        } else {
            format!("INFO line {i}")
        };
        (BASE_NS + (i / 3) as i64, broker, text)
    }

    fn params(raw: Option<String>) -> HashMap<String, String> {
        raw.unwrap_or_default()
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    async fn query_range(State(b): State<Arc<Behaviour>>, RawQuery(raw): RawQuery) -> (axum::http::StatusCode, String) {
        let q = params(raw);
        let n = b.requests.fetch_add(1, Ordering::SeqCst) + 1;
        if b.bad_from > 0 && n >= b.bad_from {
            if b.fail {
                return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "too many outstanding requests".into());
            }
            futures::future::pending::<()>().await;
        }
        let start: i64 = q["start"].parse().unwrap();
        let end: i64 = q["end"].parse().unwrap();
        let limit: usize = q["limit"].parse().unwrap();
        assert_eq!(q["direction"], "forward");
        let picked: Vec<(i64, &str, String)> =
            (0..b.lines).map(line).filter(|(ts, _, _)| *ts >= start && *ts < end).take(limit).collect();
        let streams: Vec<Value> = ["1", "2"]
            .iter()
            .map(|broker| {
                let values: Vec<Value> = picked
                    .iter()
                    .filter(|l| l.1 == *broker)
                    .map(|(ts, _, text)| json!([ts.to_string(), text]))
                    .collect();
                json!({"stream": {"job": "kafka", "broker": broker}, "values": values})
            })
            .filter(|s| !s["values"].as_array().unwrap().is_empty())
            .collect();
        let body = json!({"status": "success", "data": {"resultType": "streams", "result": streams, "stats": {"summary": {"totalLinesProcessed": picked.len()}}}});
        (axum::http::StatusCode::OK, body.to_string())
    }

    /// Serves on a free loopback port; returns its URL and the shared behaviour.
    pub async fn start(lines: usize, bad_from: usize, fail: bool) -> (String, Arc<Behaviour>) {
        let b = Arc::new(Behaviour { lines, bad_from, fail, requests: AtomicUsize::new(0) });
        let app = Router::new().route("/loki/api/v1/query_range", get(query_range)).with_state(b.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, b)
    }
}

fn loki_state(dir: &Path, url: &str) -> Arc<AppState> {
    state(dir, |c| {
        c.loki.url = Some(url.to_string());
        c.loki.timeout_ms = 30_000;
    })
}

const WINDOW: (&str, &str) = ("2024-01-15T03:00:00Z", "2024-01-15T04:00:00Z");

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logql_window_pages_without_losing_or_repeating_lines() {
    let dir = tempfile::tempdir().unwrap();
    let n = 12_001; // three pages of 5000, page edges inside runs of equal timestamps
    let (url, b) = fake_loki::start(n, 0, false).await;
    let st = loki_state(dir.path(), &url);
    let out = export(&st, json!({"source": {"kind": "logql", "query": "{job=\"kafka\"}", "start": WINDOW.0, "end": WINDOW.1}, "path": "logs.parquet"})).await;
    assert_eq!(out["rows"], json!(n), "{out}");
    assert!(b.requests.load(std::sync::atomic::Ordering::SeqCst) >= 3);
    let got = python(
        r#"
import duckdb, json, sys
f = "read_parquet('" + sys.argv[1] + "')"
q = lambda s: duckdb.execute(s.replace("TBL", f)).fetchall()
print(json.dumps({
  "distinct": q("SELECT count(DISTINCT line), count(*) FROM TBL"),
  "classes": q("SELECT event_class, count(*) FROM TBL GROUP BY 1 ORDER BY 1 NULLS LAST"),
  "first": q("SELECT epoch_ns(time), labels['broker'], line FROM TBL ORDER BY time, line LIMIT 1"),
}))
"#,
        &dir.path().join("logs.parquet"),
    );
    assert_eq!(got["distinct"], json!([[n, n]]));
    let errors = (0..n).filter(|i| i % 10 == 0).count();
    assert_eq!(got["classes"][0][1], json!(errors), "{}", got["classes"]);
    assert!(got["classes"][0][0].as_str().is_some(), "ERROR lines get an event class: {}", got["classes"]);
    assert_eq!(got["classes"][1], json!([null, n - errors]));
    assert_eq!(got["first"][0][0], json!(fake_loki::BASE_NS));
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_cancelled_export_leaves_no_file() {
    // The second page fails: an error, no file.
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = fake_loki::start(12_000, 2, true).await;
    let st = loki_state(dir.path(), &url);
    let args = json!({"source": {"kind": "logql", "query": "{job=\"kafka\"}", "start": WINDOW.0, "end": WINDOW.1}, "path": "sub/failed.parquet"});
    match call(&CallContext::new(st.clone()), args).await {
        Err(Error::Upstream { .. }) => {}
        other => panic!("expected the Loki error, got {other:?}"),
    }
    assert!(files_in(&dir.path().join("sub")).is_empty(), "{:?}", files_in(dir.path()));

    // The second page never comes: cancel while the first page is on disk.
    let (url, b) = fake_loki::start(12_000, 2, false).await;
    let st = loki_state(dir.path(), &url);
    let cx = CallContext::new(st.clone());
    let cancel = cx.cancel.clone();
    let args = json!({"source": {"kind": "logql", "query": "{job=\"kafka\"}", "start": WINDOW.0, "end": WINDOW.1}, "path": "sub/cancelled.parquet"});
    let task = tokio::spawn(async move { call(&cx, args).await });
    let deadline = Instant::now() + Duration::from_secs(20);
    while b.requests.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "the export never asked for a second page");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let partial = files_in(&dir.path().join("sub"));
    assert!(partial.len() == 1 && partial[0].contains(".partial-"), "a partial file while writing: {partial:?}");
    cancel.cancel();
    assert!(matches!(task.await.unwrap(), Err(Error::Cancelled)));
    assert!(files_in(&dir.path().join("sub")).is_empty(), "{:?}", files_in(dir.path()));
}

// ---- Prometheus: a real server started by the test on recorded history ----

struct Prometheus {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Prometheus with two series of 61 samples each (every 15 s from 2024-01-15T03:00:00Z).
async fn prometheus() -> Prometheus {
    assert!(
        Path::new("/usr/bin/prometheus").exists(),
        "prometheus is missing: run tools/stack up (it installs Debian's prometheus)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut om = String::from("# TYPE kafka_log_size gauge\n");
    for i in 0..61 {
        let t = 1_705_287_600 + i * 15;
        om.push_str(&format!("kafka_log_size{{topic=\"orders\",partition=\"0\"}} {} {t}\n", 1000 + i * 10));
        om.push_str(&format!("kafka_log_size{{topic=\"orders\",partition=\"1\"}} {}.5 {t}\n", i));
    }
    om.push_str("# EOF\n");
    std::fs::write(dir.path().join("data.om"), om).unwrap();
    let data = dir.path().join("data");
    let st = std::process::Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(dir.path().join("data.om"))
        .arg(&data)
        .output()
        .unwrap();
    assert!(st.status.success(), "promtool: {}", String::from_utf8_lossy(&st.stderr));
    std::fs::write(dir.path().join("prometheus.yml"), "global:\n  scrape_interval: 15s\n").unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = std::process::Command::new("prometheus")
        .arg(format!("--config.file={}", dir.path().join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=100y")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let p = Prometheus { child, url, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest_ready(&p.url).await {
            if r {
                break;
            }
        }
        assert!(Instant::now() < deadline, "prometheus did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    p
}

async fn reqwest_ready(url: &str) -> std::io::Result<bool> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await?;
    s.write_all(b"GET /-/ready HTTP/1.0\r\nHost: localhost\r\n\r\n").await?;
    let mut buf = vec![];
    s.read_to_end(&mut buf).await?;
    Ok(buf.starts_with(b"HTTP/1.0 200") || buf.starts_with(b"HTTP/1.1 200"))
}

#[cfg_attr(not(feature = "stack"), ignore = "needs the local stack and test Python: run tools/test")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promql_window_exports_every_sample() {
    let prom = prometheus().await;
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path(), |c| c.prometheus.url = Some(prom.url.clone()));
    let out = export(
        &st,
        json!({"source": {"kind": "promql", "query": "kafka_log_size", "start": "2024-01-15T03:00:00Z", "end": "2024-01-15T03:15:00Z", "step_secs": 15}, "path": "m.parquet"}),
    )
    .await;
    assert_eq!(out["rows"], json!(122), "{out}");
    let got = python(
        r#"
import duckdb, json, sys
f = "read_parquet('" + sys.argv[1] + "')"
q = lambda s: duckdb.execute(s.replace("TBL", f)).fetchall()
print(json.dumps({
  "series": q("SELECT metric, labels['partition'], count(*), min(value), max(value), epoch_ms(min(time)), epoch_ms(max(time)) FROM TBL GROUP BY 1, 2 ORDER BY 2"),
  "types": q("SELECT name, type FROM parquet_schema('" + sys.argv[1] + "') WHERE name IN ('value', 'metric')"),
}))
"#,
        &dir.path().join("m.parquet"),
    );
    let t0 = 1_705_287_600_000i64;
    assert_eq!(
        got["series"],
        json!([
            ["kafka_log_size", "0", 61, 1000.0, 1600.0, t0, t0 + 900_000],
            ["kafka_log_size", "1", 61, 0.5, 60.5, t0, t0 + 900_000]
        ])
    );
    // A step that needs more than 11,000 points per query is read in chunks: 1 s over 4 hours.
    let out = export(
        &st,
        json!({"source": {"kind": "promql", "query": "kafka_log_size{partition=\"0\"}", "start": "2024-01-15T03:00:00Z", "end": "2024-01-15T07:00:00Z", "step_secs": 1}, "path": "chunked.parquet"}),
    )
    .await;
    // Prometheus looks back 5 minutes for the last sample: 15 minutes of data + 5 of staleness, every second.
    let rows = out["rows"].as_u64().unwrap();
    let distinct = python("import duckdb, json, sys; print(json.dumps(duckdb.execute('SELECT count(DISTINCT time) FROM read_parquet(?)', [sys.argv[1]]).fetchone()[0]))", &dir.path().join("chunked.parquet"));
    assert_eq!(json!(rows), distinct, "no sample twice across chunks");
    assert!((1200..=1202).contains(&rows), "{rows}");
}
