#!/usr/bin/env python3
"""Score graph_rca on the simulated incidents (tools/scenario/simulate.py) served by the stack's real Prometheus
and Loki: top-1 and top-3 (cause AND entity), per cause, and time to answer (p50/p90), per mode; the train set (the
30 incidents graph_rca is developed on) and the held-out set (installations it was never tuned on) apart.

Modes
  live          graph_rca {"sources":"live","start","end","persist":false} with PROMETHEUS_URL and LOKI_URL from the
                stack and no Kafka (observability only).
  observations  what an agent would do: prom_snapshot (the six Kafka presets) and loki_query (summary of every stream,
                detail full) for the window; each metric state passed with its series' labels (graph_rca places it),
                each classified log pattern on the entity its lines concern, plus the admin view at the window's end
                (list_topics / describe_cluster / describe_groups) as the topology; then graph_rca
                {"observations": ...}. Time is the whole path (three calls).

Usage
  tools/stack up prometheus loki        # once: loads every scenario
  tools/bench/rca.py                    # both modes, Markdown table
  tools/bench/rca.py --mode live --only 03 hot_partition --verbose
  tools/bench/rca.py --set held-out     # only the held-out incidents
  tools/bench/rca.py --json > scores.json
  tools/bench/rca.py --floor 0.5        # exit 1 when a mode's top-1 rate is below 0.5

The binary: $KAFKA_QA_BIN, else target/release/kafka-qa-mcp, else target/debug/kafka-qa-mcp. Scenarios:
.stack/scenarios/scenarios.json (written by `tools/stack up`), or --scenarios FILE.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
PRESETS = ['broker_health', 'replication', 'consumer_lag', 'jvm_gc', 'request_latency', 'throughput']


# ------------------------------------------------------------------------------------------------ running the tool
def binary(arg):
    if arg:
        return arg
    if os.environ.get('KAFKA_QA_BIN'):
        return os.environ['KAFKA_QA_BIN']
    for p in ('target/release/kafka-qa-mcp', 'target/debug/kafka-qa-mcp'):
        if os.path.exists(os.path.join(ROOT, p)):
            return os.path.join(ROOT, p)
    sys.exit('no kafka-qa-mcp binary: build it (cargo build --bin kafka-qa-mcp) or set KAFKA_QA_BIN')


def stack_env(path):
    """PROMETHEUS_URL and LOKI_URL from the stack's env file; nothing else (no Kafka, embedded graph)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('KAFKA_', 'NEO4J_', 'LOKI_', 'PROMETHEUS_'))}
    for k in ('KAFKA_QA_BIN',):
        env.pop(k, None)
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith('export '):
                for kv in line[7:].split():
                    k, _, v = kv.partition('=')
                    if k in ('PROMETHEUS_URL', 'LOKI_URL'):
                        env[k] = v
    for k in ('PROMETHEUS_URL', 'LOKI_URL'):
        if os.environ.get(k):
            env[k] = os.environ[k]
    env['KAFKA_QA_MAX_OUTPUT_BYTES'] = '16777216'
    env['KAFKA_QA_LOG'] = 'error'
    env['KAFKA_QA_EXPORT_DIR'] = os.path.join(ROOT, '.stack', 'bench-exports')
    return env


def call(bin_, env, tool, args, timeout):
    t0 = time.monotonic()
    p = subprocess.run([bin_, 'call', tool, json.dumps(args), '--json'], env=env, capture_output=True, text=True,
                       timeout=timeout)
    ms = (time.monotonic() - t0) * 1000
    try:
        out = json.loads(p.stdout)
    except json.JSONDecodeError:
        return None, ms, (p.stdout + p.stderr)[-800:]
    sc = out.get('structuredContent') or out.get('structured_content')
    if out.get('isError') or sc is None or (isinstance(sc, dict) and 'error' in sc and len(sc) == 1):
        text = ' '.join(c.get('text', '') for c in out.get('content', []))
        return None, ms, text[-800:] or p.stderr[-800:]
    return sc, ms, None


# ------------------------------------------------------------------------------------------------ observations
def label_text_to_map(text):
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', text or ''))


class Resolver:
    """Maps exporter labels and log sources to graph entities using the admin view (broker hosts), the way an
    agent that has run list_topics / describe_cluster would."""

    def __init__(self, sc):
        self.sc = sc
        admin = sc['admin']
        self.hosts = {}
        all_ids = set(b['id'] for b in admin['brokers'])
        for t in admin['topics']:
            for p in t['partitions']:
                all_ids.update(p['replicas'])
        for b in admin['brokers']:
            h = b.get('host', '').rsplit(':', 1)[0]
            self.hosts[h] = b['id']
            self.hosts[h.split('.')[0]] = b['id']
        self.ids = all_ids
        self.groups = {g['id'] for g in admin['groups']}
        self.clients = {c['id'] for c in admin['clients']}

    def broker_of(self, text):
        if text is None:
            return None
        text = str(text)
        if text.isdigit():
            return int(text)
        host = text.rsplit(':', 1)[0]
        if host in self.hosts:
            return self.hosts[host]
        if host.split('.')[0] in self.hosts:
            return self.hosts[host.split('.')[0]]
        # kafka-2, prod-eu-kafka-02, <cluster>-kafka-2 (pods): the trailing number, when it is a broker id
        m = re.search(r'kafka-0*(\d+)$', host.split('.')[0])
        if m and int(m.group(1)) in self.ids:
            return int(m.group(1))
        # MSK's b-3.<cluster>...amazonaws.com is broker 3 (also when the admin view no longer lists it)
        m = re.fullmatch(r'b-(\d+)', host.split('.')[0])
        if m and int(m.group(1)) in self.ids:
            return int(m.group(1))
        return None

    def app_entity(self, text):
        for g in self.groups:
            if text and str(text).startswith(g):
                return f'group:{g}'
        for c in self.clients:
            if text and str(text).startswith(c):
                return f'client:{c}'
        return None

    def from_labels(self, lab):
        if 'topic' in lab and 'partition' in lab and 'consumergroup' not in lab:
            return f'partition:{lab["topic"]}-{lab["partition"]}'
        if 'consumergroup' in lab:
            return f'group:{lab["consumergroup"]}'
        for k in ('clientId', 'client_id'):      # the brokers' quota sensors, the clients' own (Micrometer) metrics
            if lab.get(k) in self.clients:
                return f'client:{lab[k]}'
        for k in ('broker', 'pod', 'instance'):
            if k in lab and lab.get('job', '').startswith('kafka') and not lab.get('job', '').startswith('kafka-exp'):
                b = self.broker_of(lab[k])
                if b is not None:
                    return f'broker:{b}'
        if 'topic' in lab:
            return f'topic:{lab["topic"]}'
        for k in ('instance', 'node', 'persistentvolumeclaim'):
            if k in lab:
                b = self.broker_of(lab[k].replace('data-0-', '').replace('data-', ''))
                if b is not None:
                    return f'broker:{b}'
        return 'cluster'

    def concerned(self, line):
        """The broker a log line is about when it names another one than its writer."""
        for pat in (r'Out of sync replicas: \(brokerId: (\d+)', r'Connection to node (\d+)',
                    r'Disconnecting from node (\d+)', r'Error in response for fetch request.*?leaderId=(\d+)',
                    r'leaderId=(\d+), fetcherId=\d+\] Error', r'Broker failure callback for (\d+)',
                    r'deleted brokers: (\d+)', r'Fencing broker (\d+)'):
            m = re.search(pat, line)
            if m and int(m.group(1)) >= 0:
                return f'broker:{m.group(1)}'
        m = re.search(r'groupId=([\w.-]+)\]', line) or re.search(r'rebalance group ([\w.-]+) ', line) \
            or re.search(r'Stabilized group ([\w.-]+) ', line) or re.search(r'in group ([\w.-]+) has failed', line)
        if m and m.group(1) in self.groups:
            return f'group:{m.group(1)}'
        m = re.search(r'\[Producer clientId=([\w.-]+)\]', line)
        if m and m.group(1) in self.clients:
            return f'client:{m.group(1)}'
        m = re.search(r'partition ([\w.-]+-\d+)\b', line) or re.search(r'\[Partition ([\w.-]+-\d+) broker=', line)
        if m and not m.group(1).startswith('__'):
            return f'partition:{m.group(1)}'
        return None

    def source_entity(self, src):
        b = self.broker_of(src)
        if b is not None:
            return f'broker:{b}'
        return self.app_entity(src)


def observations(bin_, env, sc, timeout):
    start, end = sc['window']['start'], sc['window']['end']
    res = Resolver(sc)
    signals = []
    ms_total = 0.0
    prom, ms, err = call(bin_, env, 'prom_snapshot', {'presets': PRESETS, 'start': start, 'end': end,
                                                      'max_series': 500, 'shape_points': 0}, timeout)
    ms_total += ms
    notes = []
    if prom is None:
        notes.append(f'prom_snapshot failed: {err}')
    else:
        for s in prom.get('series', []):
            summ = s.get('summary', s)
            lab = summ.get('labels', {})
            for st in summ.get('states', []):
                # The labels as prom_snapshot prints them: graph_rca reads the entity from them.
                signals.append({'class': st['state'], 'labels': lab, 'source': 'metric',
                                'start': st['from'], **({} if st.get('ongoing') else {'end': st['to']}),
                                'value': st.get('worst'), 'detail': f"{s.get('query', '')} {json.dumps(lab)}"[:300]})
    # Every stream: promtail/Alloy streams carry `job`, the OpenTelemetry collector's carry `service_name`.
    patterns = []
    for selector in ('{job=~".+"}', '{service_name=~".+"}'):
        logs, ms, err = call(bin_, env, 'loki_query', {'logql': selector, 'start': start, 'end': end,
                                                        'limit': 5000, 'direction': 'forward', 'mode': 'summary', 'detail': 'full',
                                                        'max_patterns': 200}, timeout)
        ms_total += ms
        if logs is None:
            notes.append(f'loki_query {selector} failed: {err}')
        else:
            patterns += logs.get('patterns', [])
    if True:
        for p in patterns:
            cls = p.get('class')
            if not cls:
                continue
            srcs = p.get('sources', [])
            reporter = next((res.source_entity(x) for x in srcs if res.source_entity(x)), None)
            per = {}
            for line in p.get('examples', []) or [p.get('pattern', '')]:
                ent = res.concerned(line) or reporter or 'cluster'
                per.setdefault(ent, line)
            for ent, line in per.items():
                sig = {'class': cls, 'entity': ent, 'source': 'log', 'start': p['first'], 'end': p['last'],
                       'count': p['count'] if len(per) == 1 else max(1, p['count'] // len(per)),
                       'detail': line[:300]}
                if reporter and reporter != ent:
                    sig['reported_by'] = reporter
                signals.append(sig)
    obs = dict(sc['admin'])
    obs['signals'] = signals
    out, ms, err = call(bin_, env, 'graph_rca', {'observations': obs, 'start': start, 'end': end, 'persist': False},
                        timeout)
    ms_total += ms
    return out, ms_total, err, len(signals), notes


# ------------------------------------------------------------------------------------------------ scoring
def hits(sc, out):
    hyps = (out or {}).get('hypotheses', [])
    ranked = [(h.get('rule'), h.get('on')) for h in hyps]
    ok = [r == sc['cause'] and on in sc['accept'] for r, on in ranked]
    cause_only = [r == sc['cause'] for r, _ in ranked]
    return {'top1': bool(ok[:1] and ok[0]), 'top3': any(ok[:3]), 'cause_top1': bool(cause_only[:1] and cause_only[0]),
            'got': [f'{r}@{on}' for r, on in ranked[:3]]}


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def run(args):
    path = args.scenarios or os.path.join(ROOT, '.stack', 'scenarios', 'scenarios.json')
    if not os.path.exists(path):
        sys.exit(f'{path} not found: run `tools/stack up prometheus loki` first (or pass --scenarios)')
    data = json.load(open(path))
    scs = data['scenarios'] if isinstance(data, dict) else data
    if args.set != 'all':
        scs = [s for s in scs if s.get('set', 'train') == args.set]
    if args.only:
        scs = [s for s in scs if any(s['name'] == o or s['name'].startswith(o) or s['cause'] == o for o in args.only)]
    bin_ = binary(args.bin)
    env = stack_env(args.env)
    if 'PROMETHEUS_URL' not in env or 'LOKI_URL' not in env:
        sys.exit('PROMETHEUS_URL / LOKI_URL unknown: start the stack (tools/stack up prometheus loki)')
    modes = ['live', 'observations'] if args.mode == 'both' else [args.mode]
    results = []
    for sc in scs:
        row = {'name': sc['name'], 'cause': sc['cause'], 'entity': sc['entity'], 'accept': sc['accept'],
               'set': sc.get('set', 'train')}
        for mode in modes:
            if mode == 'live':
                out, ms, err = call(bin_, env, 'graph_rca', {'sources': 'live', 'start': sc['window']['start'],
                                                             'end': sc['window']['end'], 'persist': False},
                                    args.timeout)
                extra = {}
            else:
                out, ms, err, nsig, notes = observations(bin_, env, sc, args.timeout)
                extra = {'signals': nsig, **({'notes': notes} if notes else {})}
            h = hits(sc, out)
            row[mode] = {**h, 'ms': round(ms), **({'error': err} if err else {}), **extra,
                         'verdict': (out or {}).get('verdict', '')[:200]}
            if args.verbose:
                mark = 'OK ' if h['top1'] else ('top3' if h['top3'] else 'miss')
                print(f"{sc['name']:<38} {mode:<12} {mark:<4} truth {sc['cause']}@{sc['entity']:<28} got "
                      f"{', '.join(h['got']) or '-'} ({round(ms)} ms){'  ERROR ' + err[:200] if err else ''}",
                      file=sys.stderr)
        results.append(row)
    return modes, results


def totals(rows):
    ms = [r['ms'] for r in rows]
    return {'n': len(rows), 'top1': sum(r['top1'] for r in rows), 'top3': sum(r['top3'] for r in rows),
            'cause_top1': sum(r['cause_top1'] for r in rows), 'errors': sum(1 for r in rows if r.get('error')),
            'p50_ms': pct(ms, 0.5), 'p90_ms': pct(ms, 0.9)}


def summary(modes, results):
    """Totals per mode over the train set (the 30 scenarios graph_rca is developed on) and, apart, the held-out set
    (installations it was never tuned on)."""
    out = {'modes': {}, 'sets': {}, 'per_cause': {}, 'scenarios': results}
    for m in modes:
        out['modes'][m] = totals([r[m] for r in results if r['set'] == 'train'] or [r[m] for r in results])
        for st in sorted({r['set'] for r in results}):
            out['sets'].setdefault(st, {})[m] = totals([r[m] for r in results if r['set'] == st])
        for r in results:
            if r['set'] != 'train':
                continue
            pc = out['per_cause'].setdefault(r['cause'], {})
            d = pc.setdefault(m, {'n': 0, 'top1': 0, 'top3': 0})
            d['n'] += 1
            d['top1'] += r[m]['top1']
            d['top3'] += r[m]['top3']
    return out


def markdown(s, modes):
    lines = ['| set | mode | scenarios | top-1 | top-3 | cause only top-1 | errors | p50 ms | p90 ms |',
             '|---|---|---|---|---|---|---|---|---|']
    for st, per in sorted(s['sets'].items(), key=lambda x: x[0] != 'train'):
        for m in modes:
            d = per[m]
            n = max(1, d['n'])
            lines.append(f"| {st} | {m} | {d['n']} | {d['top1']} ({d['top1'] / n:.0%}) | {d['top3']} ({d['top3'] / n:.0%})"
                         f" | {d['cause_top1']} | {d['errors']} | {d['p50_ms']} | {d['p90_ms']} |")
    lines += ['', '(per cause: the train set)', '', '| cause | ' + ' | '.join(f'{m} top-1 | {m} top-3' for m in modes) + ' |',
              '|---|' + '---|---|' * len(modes)]
    for cause, d in sorted(s['per_cause'].items()):
        lines.append(f'| {cause} | ' + ' | '.join(f"{d[m]['top1']}/{d[m]['n']} | {d[m]['top3']}/{d[m]['n']}"
                                                  for m in modes) + ' |')
    lines += ['', '| scenario | truth | ' + ' | '.join(f'{m} (top 3)' for m in modes) + ' |',
              '|---|---|' + '---|' * len(modes)]
    for r in s['scenarios']:
        cells = []
        for m in modes:
            x = r[m]
            mark = '**1**' if x['top1'] else ('3' if x['top3'] else '-')
            got = ', '.join(x['got']) or ('error' if x.get('error') else 'nothing')
            cells.append(f'{mark} {got}')
        lines.append(f"| {r['name']} | {r['cause']}@{r['entity']} | " + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--mode', choices=['live', 'observations', 'both'], default='both')
    ap.add_argument('--set', choices=['all', 'train', 'held-out'], default='all',
                    help='the 30 train scenarios, the held-out ones, or both (scored apart)')
    ap.add_argument('--only', nargs='*', help='scenario names, name prefixes (03, 03-controller) or causes')
    ap.add_argument('--scenarios', help='scenarios.json (default .stack/scenarios/scenarios.json)')
    ap.add_argument('--env', default=os.path.join(ROOT, '.stack', 'env'), help='the stack env file')
    ap.add_argument('--bin', help='kafka-qa-mcp binary')
    ap.add_argument('--timeout', type=float, default=180)
    ap.add_argument('--json', action='store_true', help='machine-readable output')
    ap.add_argument('--floor', type=float, help='exit 1 when a mode\'s top-1 rate is below this (0..1)')
    ap.add_argument('--verbose', '-v', action='store_true', help='one line per scenario on stderr as it runs')
    a = ap.parse_args()
    t0 = time.monotonic()
    modes, results = run(a)
    s = summary(modes, results)
    s['seconds'] = round(time.monotonic() - t0, 1)
    if a.json:
        print(json.dumps(s, indent=1))
    else:
        print(markdown(s, modes))
        print(f"\n{len(results)} scenarios, {s['seconds']} s")
    if a.floor is not None:
        low = [m for m in modes if s['modes'][m]['top1'] / max(1, s['modes'][m]['n']) < a.floor]
        if low:
            print(f'top-1 below {a.floor:.0%} in: {", ".join(low)}', file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
