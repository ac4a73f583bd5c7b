#!/usr/bin/env python3
"""Kafka incident simulator: many varied incidents as real Prometheus data, real Loki logs and the truth.

Each scenario is one cluster (3-9 brokers with racks, KRaft or ZooKeeper, topics, consumer groups, producer clients
with quotas, its own label scheme) living through one incident window: one of ten causes, one to three red herrings,
and the same routine background everywhere. Scenario k lives in its own window (2024-03-01T00:00Z + k * 3 h,
70 minutes long), so one Prometheus and one Loki hold all of them at once. Deterministic by --seed.

  simulate.py --out DIR [--seed N] [--only NAME...] [--list]

writes DIR/metrics.om (OpenMetrics for `promtool tsdb create-blocks-from openmetrics`, all scenarios, `# EOF`),
DIR/loki/<scenario>.json (bodies for POST /loki/api/v1/push) and DIR/scenarios.json (name, cause, entity, window,
admin view, red herrings, mode, ...). See README.md in this folder.
"""
import argparse
import concurrent.futures
import datetime as dt
import json
import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from incidents import CAUSES, HERRINGS, MIN          # noqa: E402
from model import build_cluster, CLUSTER_NAMES      # noqa: E402
from sim import Sim                                  # noqa: E402

BASE = int(dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc).timestamp() * 1000)
SLOT = 3 * 3600 * 1000
WINDOW = 70 * MIN
CAUSE_ORDER = ['broker_out_of_disk', 'broker_down', 'gc_pressure', 'controller_churn', 'network_partition',
               'slow_consumer', 'rebalance_storm', 'producer_quota_throttling', 'hot_partition',
               'under_provisioned_replication']
VARIANTS = 3
SCHEMES = ['vm', 'k8s', 'vm-nobroker', 'vm', 'k8s', 'vm-nobroker', 'vm', 'k8s', 'vm', 'k8s-promtail-job']
VERSIONS = ['3.4.1', '3.5.2', '3.6.1', '3.6.2', '3.7.0', '3.7.1', '3.8.0']


def iso(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def plan(seed):
    """The scenario list: every cause in VARIANTS variants (cluster size, mode, label scheme, entity differ)."""
    out = []
    k = 0
    for v in range(VARIANTS):
        for ci, cause in enumerate(CAUSE_ORDER):
            rng = random.Random(seed * 100_003 + k)
            mode = 'kraft' if (ci + v) % 2 == 0 else 'zookeeper'
            if cause == 'controller_churn':
                mode = ['zookeeper', 'kraft', 'zookeeper'][v]
            n = [3, 4, 5, 6, 7, 9][(ci * 7 + v * 5 + seed) % 6]
            scheme = SCHEMES[(ci * 3 + v * 7) % len(SCHEMES)]
            out.append(dict(k=k, name=f'{k:02d}-{cause.replace("_", "-")}-{"abc"[v]}', cause=cause, variant=v,
                            mode=mode, brokers=n, scheme=scheme, version=rng.choice(VERSIONS),
                            cluster=CLUSTER_NAMES[(ci + v * 3) % len(CLUSTER_NAMES)]))
            k += 1
    return out + held_out(seed, k)


# The held-out set: incidents that differ from the 30 above the way real installations do (other label schemes and
# metric naming families, a larger cluster, partial data, noisy neighbours at the same time). Scored apart by
# tools/bench/rca.py; never used to tune graph_rca. (cause, variant, mode, brokers, scheme, data, herrings near t0)
# data: all | metrics (no logs reach Loki) | logs (no metrics reach Prometheus).
HELD_OUT = [
    ('broker_out_of_disk', 0, 'kraft', 6, 'k8s-strimzi', 'all', False),
    ('broker_down', 1, 'zookeeper', 5, 'vm-msk', 'all', False),
    ('gc_pressure', 0, 'kraft', 12, 'vm-otel', 'all', False),
    ('controller_churn', 0, 'zookeeper', 4, 'k8s-cfk', 'all', False),
    ('network_partition', 2, 'kraft', 5, 'vm', 'metrics', False),
    ('slow_consumer', 1, 'zookeeper', 6, 'vm-msk', 'all', True),
    ('rebalance_storm', 2, 'kraft', 3, 'k8s-strimzi', 'logs', False),
    ('producer_quota_throttling', 1, 'kraft', 4, 'k8s-strimzi', 'all', False),
    ('hot_partition', 0, 'zookeeper', 6, 'k8s-cfk', 'all', False),
    ('under_provisioned_replication', 1, 'kraft', 5, 'vm-otel', 'all', False),
    ('broker_down', 0, 'kraft', 12, 'vm', 'all', True),
    ('gc_pressure', 1, 'zookeeper', 4, 'k8s-cfk', 'metrics', False),
]


def held_out(seed, k0):
    out = []
    for i, (cause, v, mode, n, scheme, data, near) in enumerate(HELD_OUT):
        k = k0 + i
        rng = random.Random(seed * 100_003 + k)
        out.append(dict(k=k, name=f'{k:02d}-{cause.replace("_", "-")}-h', cause=cause, variant=v, mode=mode,
                        brokers=n, scheme=scheme, version=rng.choice(VERSIONS), data=data, near=near,
                        set='held-out', cluster=CLUSTER_NAMES[(i * 7 + 3) % len(CLUSTER_NAMES)]))
    return out


def admin_view(sim):
    """What list_topics / describe_cluster / describe_groups show at the window's end, shaped like graph_rca's
    `observations` topology (brokers, topics with partitions leader/replicas/isr, groups with members, clients).
    Like the real admin API, brokers the controller does not see (down, fenced) are not listed."""
    c = sim.c
    t = sim.end
    live = [b for b in c.brokers if b not in sim.dead and sim.proc_up(b, t)]
    return {
        'cluster': {'id': c.name, **({'controller': sim.ctrl} if sim.ctrl < 3000 else {})},
        'brokers': [{'id': b, 'host': f'{c.hosts[b]}:9092', 'rack': c.racks[b]} for b in live],
        'topics': [{'name': tp.name, 'min_insync_replicas': tp.min_isr,
                    'partitions': [{'id': p.id, 'leader': p.leader if p.leader is not None else -1,
                                    'replicas': list(p.replicas), 'isr': list(p.isr)} for p in tp.partitions]}
                   for tp in c.topics],
        'groups': [{'id': g.id, 'topics': list(g.topics), 'members': list(g.members[:sim.members_now[g.id]])}
                   for g in c.groups],
        'clients': [{'id': p.client_id, 'produces_to': list(p.topics)} for p in c.producers],
    }


def run_one(spec, seed):
    rng = random.Random(seed * 7919 + spec['k'] * 104729)
    cluster = build_cluster(rng, spec['cluster'], spec['brokers'], spec['mode'], spec['scheme'], spec['version'])
    # held-out installations whose apps export their Kafka clients' metrics (Spring Boot's Micrometer binder)
    cluster.labels.client_metrics = spec.get('set') == 'held-out' and spec['scheme'].startswith('k8s')
    start = BASE + spec['k'] * SLOT
    end = start + WINDOW
    sim = Sim(cluster, rng, start, end)
    t0 = start + rng.randint(30, 38) * MIN
    truth = CAUSES[spec['cause']](sim, rng, t0, spec['variant'])
    # red herrings: 1 to 3, never the truth's own kind of event on the same entity
    names = [h for h in HERRINGS if not (spec['cause'] == 'controller_churn' and h == 'controller_move')]
    n_rh = 3 if spec.get('near') else 1 + (spec['k'] * 7 + seed) % 3
    herrings = []
    for h in rng.sample(names, len(names)):
        if len(herrings) >= n_rh:
            break
        if h == 'rolling_restart':
            if t0 - start < len(cluster.brokers) * 200_000 + 4 * MIN:
                continue
            at = start + rng.randint(1, 3) * MIN
        elif spec.get('near'):
            at = t0 + rng.randint(-3, 5) * MIN     # a noisy neighbour at the same time as the incident
        else:
            at = rng.choice([start + rng.randint(4, 25) * MIN, t0 + rng.randint(-8, 25) * MIN])
        r = HERRINGS[h](sim, rng, at, truth)
        if r:
            r['at'] = iso(r['at'])
            if 'until' in r:
                r['until'] = iso(r['until'])
            herrings.append(r)
    sim.run()
    accept = truth.pop('accept', None) or [truth['entity']]
    lag = {g.id: int(sum(v for (gid, _), v in sim.lag.items() if gid == g.id)) for g in cluster.groups}
    rec = {
        'name': spec['name'], 'cause': truth['cause'], 'entity': truth['entity'], 'accept': accept,
        'window': {'start': iso(start), 'end': iso(end)}, 'incident_start': iso(truth['incident_start']),
        'mode': cluster.mode, 'kafka_version': cluster.version, 'label_scheme': cluster.labels.scheme,
        'cluster': cluster.name, 'brokers': len(cluster.brokers),
        'controllers': ('dedicated' if cluster.dedicated_controllers else 'combined') if cluster.mode == 'kraft'
        else 'zookeeper',
        'detail': truth['detail'], 'red_herrings': herrings,
        'admin': admin_view(sim), 'group_lag': lag, 'set': spec.get('set', 'train'), 'data': spec.get('data', 'all'),
    }
    for k in ('restarted_broker',):
        if k in truth:
            rec[k] = truth[k]
    return rec, sim


def series_of(sim, name, **want):
    out = []
    for (n, lab), vals in sim.m.series.items():
        if n == name and all(dict(lab).get(k) == v for k, v in want.items()):
            out.append((dict(lab), vals))
    return out


def self_check(rec, sim):
    """The symptom the cause must produce is really in the rendered data (guards the simulator, not graph_rca)."""
    c, cause, ent = sim.c, rec['cause'], rec['entity']
    kind, _, name = ent.partition(':')
    problems = []
    if kind == 'broker':
        x = int(name)
        jmx_up = [v for lab, vals in series_of(sim, 'up') for v in vals
                  if v is not None and lab == sim.m.jmx(x)]
        if cause in ('broker_out_of_disk', 'broker_down') and 0 not in jmx_up:
            problems.append('the broker never went down')
        if cause == 'network_partition' and 0 in jmx_up:
            problems.append('an isolated broker must stay up=1')
        if cause == 'gc_pressure' and sim.gc[x] and max(sim.gc_int(x, t) for t in sim.times) < 0.8:
            problems.append('no heavy GC')
        fenced = any('Fencing broker %d ' % x in v[1] or 'deleted brokers: %d,' % x in v[1] + ','
                     for vals in sim.streams.lines.values() for v in vals)
        if cause in ('network_partition', 'gc_pressure') and not fenced and not any(
                sim.counters.get(('isr_shrinks', b), 0) for b in c.brokers):
            problems.append('neither fenced nor shrunk out of ISRs')
    if cause == 'controller_churn' and sim.counters.get(('ctrl_changes',), 0) < 4:
        problems.append(f"only {sim.counters.get(('ctrl_changes',), 0)} controller changes")
    if cause == 'slow_consumer' and rec['group_lag'][name] < 10_000:
        problems.append(f"group lag only {rec['group_lag'][name]}")
    if cause == 'rebalance_storm' and sim.counters.get(('rebalances', name), 0) < 8:
        problems.append(f"only {sim.counters.get(('rebalances', name), 0)} rebalances")
    if cause == 'producer_quota_throttling':
        peak = max((v for _, vals in series_of(sim, 'kafka_server_quota_throttle_time', clientId=name)
                    for v in vals if v is not None), default=0)
        if peak < 100:
            problems.append(f'throttle time peaks at {peak} ms')
    if cause == 'hot_partition':
        topic, _, pid = name.rpartition('-')
        lags = [max(v for v in vals if v is not None)
                for _, vals in series_of(sim, 'kafka_consumergroup_lag', topic=topic, partition=pid)]
        if not lags or max(lags) < 10_000:
            problems.append('no consumer falls behind on the hot partition')
    if cause == 'under_provisioned_replication':
        tp = c.topic(name)
        if not any(sim.counters.get(('nerr', p.name), 0) for p in tp.partitions) and tp.rf > 1:
            problems.append('no NotEnoughReplicas')
    return problems


def render_one(job):
    spec, seed, out = job
    t1 = time.monotonic()
    rec, sim = run_one(spec, seed)
    with open(os.path.join(out, f".{spec['name']}.om"), 'w') as om:
        nser = sim.m.render(om) if spec.get('data', 'all') != 'logs' else 0
    nsamples = sum(1 for s in sim.m.series.values() for v in s if v is not None) if nser else 0
    body = sim.streams.push_body() if spec.get('data', 'all') != 'metrics' else {'streams': []}
    with open(os.path.join(out, 'loki', f"{spec['name']}.json"), 'w') as f:
        json.dump(body, f)
    rec['stats'] = {'series': nser, 'samples': nsamples, 'log_lines': sum(len(s['values']) for s in body['streams']),
                    'log_streams': len(body['streams'])}
    problems = self_check(rec, sim)
    if problems:
        rec['stats']['self_check'] = problems
        print(f"{spec['name']}: SELF-CHECK: {'; '.join(problems)}", file=sys.stderr)
    print(f"{spec['name']:<40} {nser:>5} series {nsamples:>7} samples {sim.streams.count():>6} lines "
          f"{time.monotonic() - t1:5.1f} s", file=sys.stderr)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--only', nargs='*', default=None, help='scenario names (or prefixes, e.g. 03 or 03-controller)')
    ap.add_argument('--list', action='store_true', help='print the plan and exit')
    ap.add_argument('--set', choices=['all', 'train', 'held-out'], default='all',
                    help='the 30 scenarios graph_rca is developed on, the held-out ones, or both')
    ap.add_argument('--jobs', type=int, default=0, help='worker processes (default: one per core)')
    a = ap.parse_args()
    specs = plan(a.seed)
    if a.set != 'all':
        specs = [s for s in specs if s.get('set', 'train') == a.set]
    if a.only:
        specs = [s for s in specs if any(s['name'] == o or s['name'].startswith(o) or s['cause'] == o for o in a.only)]
    if a.list:
        for s in specs:
            print(f"{s['name']:<40} {s['mode']:<10} {s['brokers']} brokers  {s['scheme']:<17} Kafka {s['version']}")
        return 0
    os.makedirs(os.path.join(a.out, 'loki'), exist_ok=True)
    t_all = time.monotonic()
    jobs = [(spec, a.seed, a.out) for spec in specs]
    workers = max(1, min(a.jobs or (os.cpu_count() or 1), len(jobs)))
    if workers > 1:
        with concurrent.futures.ProcessPoolExecutor(workers) as ex:
            recs = list(ex.map(render_one, jobs))
    else:
        recs = [render_one(j) for j in jobs]
    # one OpenMetrics file, scenarios in order
    with open(os.path.join(a.out, 'metrics.om'), 'wb') as om:
        for spec in specs:
            part = os.path.join(a.out, f".{spec['name']}.om")
            with open(part, 'rb') as f:
                shutil.copyfileobj(f, om, 1 << 20)
            os.remove(part)
        om.write(b'# EOF\n')
    with open(os.path.join(a.out, 'scenarios.json'), 'w') as f:
        json.dump({'seed': a.seed, 'scenarios': recs}, f, indent=1)
    print(f'{len(recs)} scenarios in {time.monotonic() - t_all:.1f} s -> {a.out}', file=sys.stderr)
    bad = [r['name'] for r in recs if r['stats'].get('self_check')]
    if bad:
        print(f'self-check failed for {", ".join(bad)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
