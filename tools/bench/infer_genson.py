"""Baseline for examples/bench_infer.rs: Python genson on the same NDJSON messages.

Usage: python infer_genson.py FILE.ndjson  -> prints {"messages", "infer_per_s", "parse_infer_per_s"}
"""
import json
import sys
import time

from genson import SchemaBuilder


def main(path):
    with open(path) as f:
        lines = f.read().splitlines()

    t = time.perf_counter()
    builder = SchemaBuilder()
    for line in lines:
        builder.add_object(json.loads(line))
    builder.to_schema()
    parse_infer = time.perf_counter() - t

    values = [json.loads(line) for line in lines]
    t = time.perf_counter()
    builder = SchemaBuilder()
    for v in values:
        builder.add_object(v)
    builder.to_schema()
    infer = time.perf_counter() - t

    n = len(lines)
    print(json.dumps({"messages": n, "infer_per_s": n / infer, "parse_infer_per_s": n / parse_infer}))


if __name__ == "__main__":
    main(sys.argv[1])
