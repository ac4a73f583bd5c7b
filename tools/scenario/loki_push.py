#!/usr/bin/env python3
"""Push Loki push bodies (JSON files shaped {"streams":[{"stream":{...},"values":[["ns","line"],...]}]}) into Loki.

Streams with the same labels across files are merged and every stream is sent in time order (Loki refuses a line
more than ~1 h behind the newest line of its stream), in bodies of about --batch-bytes.

Usage: loki_push.py --url http://127.0.0.1:3100 FILE.json...
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def load(paths):
    streams = {}
    for path in paths:
        with open(path, encoding='utf-8') as f:
            body = json.load(f)
        for s in body.get('streams', []):
            key = tuple(sorted(s['stream'].items()))
            streams.setdefault(key, []).extend(s['values'])
    for values in streams.values():
        values.sort(key=lambda v: int(v[0]))
    return streams


def batches(streams, limit):
    """Bodies of about `limit` bytes; each stream's slices come in time order across bodies."""
    body, size = [], 0
    for key, values in streams.items():
        labels = dict(key)
        i = 0
        while i < len(values):
            chunk = []
            while i < len(values) and size < limit:
                chunk.append(values[i])
                size += len(values[i][1]) + 40
                i += 1
            body.append({'stream': labels, 'values': chunk})
            if size >= limit:
                yield body
                body, size = [], 0
    if body:
        yield body


def push(url, streams_body):
    data = json.dumps({'streams': streams_body}).encode()
    req = urllib.request.Request(url + '/loki/api/v1/push', data=data, method='POST',
                                 headers={'Content-Type': 'application/json'})
    for attempt in range(5):
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                if r.status in (200, 204):
                    return
        except urllib.error.HTTPError as e:
            msg = e.read().decode(errors='replace')[:500]
            # 429 (rate limited) and 5xx are retried; 400 (bad or too old lines) is a bug in the input.
            if e.code != 429 and e.code < 500:
                raise SystemExit(f'push failed: HTTP {e.code}: {msg}')
            err = f'HTTP {e.code}: {msg}'
        except OSError as e:
            err = str(e)
        time.sleep(0.5 * (attempt + 1))
    raise SystemExit(f'push failed after retries: {err}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--url', required=True)
    ap.add_argument('--batch-bytes', type=int, default=2_000_000)
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    t0 = time.monotonic()
    streams = load(a.files)
    lines = sum(len(v) for v in streams.values())
    n = 0
    for body in batches(streams, a.batch_bytes):
        push(a.url.rstrip('/'), body)
        n += 1
    print(f'{lines} lines in {len(streams)} streams from {len(a.files)} files, {n} pushes, '
          f'{time.monotonic() - t0:.1f} s')


if __name__ == '__main__':
    sys.exit(main())
