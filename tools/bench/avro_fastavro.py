"""Baseline for examples/bench_avro.rs: Python fastavro decoding the same Confluent-framed Avro messages.

Usage: python avro_fastavro.py SCHEMA.avsc FRAMES.bin  (FRAMES: u32 little-endian length + framed message, repeated)
Prints {"messages", "decode_per_s"}: schemaless_reader after the 5-byte header, logical types converted.
"""
import io
import json
import struct
import sys
import time

from fastavro import parse_schema, schemaless_reader


def main(schema_path, frames_path):
    with open(schema_path) as f:
        schema = parse_schema(json.load(f))
    with open(frames_path, "rb") as f:
        data = f.read()
    frames, at = [], 0
    while at < len(data):
        (size,) = struct.unpack_from("<I", data, at)
        frames.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    t = time.perf_counter()
    fields = 0
    for frame in frames:
        value = schemaless_reader(io.BytesIO(frame[5:]), schema)
        fields += len(value)
    elapsed = time.perf_counter() - t
    assert fields == len(frames) * 12, fields
    print(json.dumps({"messages": len(frames), "decode_per_s": len(frames) / elapsed}))


if __name__ == "__main__":
    main(*sys.argv[1:])
