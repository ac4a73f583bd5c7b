"""Baseline for examples/bench_export.rs: pyarrow writing the same message rows (same formulas, zstd level 1,
65536-row row groups), built and written chunk by chunk so memory stays flat, as a careful Python export would.

Usage: python export_pyarrow.py ROWS OUT.parquet -> prints {"rows", "seconds", "rows_per_s", "bytes", "peak_rss_kb"}
"""
import json
import os
import resource
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

STATUSES = ["created", "paid", "shipped", "cancelled"]
CHUNK = 65536
MASK = (1 << 64) - 1

SCHEMA = pa.schema([
    pa.field("topic", pa.string(), nullable=False),
    pa.field("partition", pa.int32(), nullable=False),
    pa.field("offset", pa.int64(), nullable=False),
    pa.field("timestamp", pa.timestamp("ms", tz="UTC")),
    pa.field("key", pa.binary()),
    pa.field("key_text", pa.string()),
    pa.field("headers", pa.map_(pa.string(), pa.binary()), nullable=False),
    pa.field("value", pa.binary()),
    pa.field("value_text", pa.string()),
])


def chunk(start, end):
    topic, part, off, ts, key, key_text, headers, value, value_text = [], [], [], [], [], [], [], [], []
    for i in range(start, end):
        v = ('{"order_id":%d,"customer":"customer-%d","status":"%s","amount":%d.%02d,"items":[{"sku":"SKU-%05d","qty":%d}]}'
             % (i, i % 50000, STATUSES[i % 4], i % 1000, i % 100, i % 20000, i % 5 + 1))
        k = "customer-%d" % (i % 50000)
        topic.append("orders")
        part.append(i % 6)
        off.append(i // 6)
        ts.append(1705287600000 + i)
        key.append(k.encode())
        key_text.append(k)
        headers.append([("trace-id", ("%016x" % ((i * 0x9E3779B97F4A7C15) & MASK)).encode()), ("source", b"checkout")])
        value.append(v.encode())
        value_text.append(v)
    return pa.record_batch([
        pa.array(topic, pa.string()), pa.array(part, pa.int32()), pa.array(off, pa.int64()),
        pa.array(ts, pa.timestamp("ms", tz="UTC")), pa.array(key, pa.binary()), pa.array(key_text, pa.string()),
        pa.array(headers, pa.map_(pa.string(), pa.binary())), pa.array(value, pa.binary()), pa.array(value_text, pa.string()),
    ], schema=SCHEMA)


def main(rows, out):
    t = time.perf_counter()
    with pq.ParquetWriter(out, SCHEMA, compression="zstd", compression_level=1) as w:
        for start in range(0, rows, CHUNK):
            w.write_batch(chunk(start, min(rows, start + CHUNK)), row_group_size=CHUNK)
    secs = time.perf_counter() - t
    print(json.dumps({
        "rows": rows, "seconds": secs, "rows_per_s": rows / secs, "bytes": os.path.getsize(out),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
