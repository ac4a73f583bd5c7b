#!/usr/bin/env python3
"""Deterministic Kafka incident metrics -> OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.

The same incident as the recorded Loki scenario (tests/fixtures/loki/, regen/gen_scenario.py): broker 2's data
volume fills and it halts at 2024-01-15T03:00:01Z, the controller moves its leaders to brokers 1 and 3, ISRs
shrink, broker 2 restarts at 03:13:02 once the volume is cleaned, ISRs expand 03:14:47-03:16:21, and the
automatic preferred leader election at 03:19:40 moves leadership back.

Window 02:00:00Z-04:00:00Z, one sample every 15 s (a scrape), three brokers, topics orders/payments/inventory
(6 partitions each, RF 3), six consumer groups. Both naming families: the JMX exporter's Kafka rules (with its
JVM collectors and node_exporter for the data volume; labels job="kafka", instance, broker) and kafka_exporter
(job="kafka-exporter"; topic, partition, consumergroup). While broker 2 is down its JMX series are absent
(the scrape fails) and up{broker="2"} is 0, as in a real Prometheus.

Timeline in metrics (scrape times):
  02:55:00-03:11:45  broker 2 data volume used > 95 % (node_exporter keeps reporting while Kafka is down)
  03:00:15-03:13:00  broker 2 down: up == 0, no JMX series
  03:00:15-03:01:00  produce p99 over 1 s on brokers 1 and 3 (acks=all waiting on the dead follower)
  03:00:30-~03:16    under-replicated partitions on brokers 1 and 3, every partition in kafka_exporter
  03:00:30-03:14:30  kafka_brokers == 2
  03:00:30-03:04:00  broker 3: GC time > 10 %, request handlers < 20 % idle (it took over broker 2's load)
  03:01:00-03:08:00  fraud-detector lag grows on payments (a member failed); drains by 03:12
  03:19:45           leaders back on broker 2

Usage: gen_prometheus.py > scenario.om
"""
import random
import sys

R = random.Random(20240115)
DAY = 1705276800                      # 2024-01-15T00:00:00Z
def at(hms):
    h, m, s = (int(x) for x in hms.split(':'))
    return DAY + h * 3600 + m * 60 + s

T0, T1, STEP = at('02:00:00'), at('04:00:00'), 15
TIMES = list(range(T0, T1 + 1, STEP))
BROKERS = (1, 2, 3)
TOPICS = ('orders', 'payments', 'inventory')
PARTS = [(t, p) for t in TOPICS for p in range(6)]
GROUPS = {'order-processor': 'orders', 'payment-service': 'payments', 'inventory-sync': 'inventory',
          'fraud-detector': 'payments', 'analytics-etl': 'orders', 'notification-sender': 'orders'}
RATE = {'orders': 1300.0, 'payments': 450.0, 'inventory': 2600.0}   # messages per second per topic

B2_DOWN, B2_BACK = at('03:00:15'), at('03:13:15')          # first and last-but-one scrape without broker 2
URP_FROM = at('03:00:30')
URP_UNTIL = {'payments': at('03:15:00'), 'orders': at('03:15:30'), 'inventory': at('03:16:15')}
BROKERS_BACK = at('03:14:45')
LEADERS_BACK = at('03:19:45')
LOAD_FROM, LOAD_UNTIL = at('03:00:30'), at('03:04:00')

def b2_scraped(t):
    return not (B2_DOWN <= t < B2_BACK)

def noise(scale):
    return R.uniform(-scale, scale)

def lbl(**kv):
    return '{' + ','.join(f'{k}="{v}"' for k, v in kv.items()) + '}'

def jmx(b, **kv):
    return lbl(job='kafka', instance=f'kafka-{b}:7071', broker=b, **kv)

def exp(**kv):
    return lbl(job='kafka-exporter', instance='kafka-exporter:9308', **kv)

out = []
def family(name, kind, series):
    """series: list of (labels, fn(t) -> value or None). Counters are written as NAME_total."""
    out.append(f'# TYPE {name} {kind}')
    sample = name + ('_total' if kind == 'counter' else '')
    for labels, fn in series:
        for t in TIMES:
            v = fn(t)
            if v is not None:
                out.append(f'{sample}{labels} {v:.6g} {t}')

def jmx_series(fn):
    """fn(b, t) for each broker; broker 2's samples are absent while it is down."""
    return lambda b: (lambda t: None if b == 2 and not b2_scraped(t) else fn(b, t))

def urp_of_partition(tp, t):
    return 1 if URP_FROM <= t < URP_UNTIL[tp[0]] else 0

def leaders(b, t):
    base = {1: 6, 2: 6, 3: 6}[b]
    if URP_FROM <= t < LEADERS_BACK:
        return {1: 9, 2: 0, 3: 9}[b]
    return base

# ---- JMX exporter family
family('up', 'gauge', [(jmx(b), lambda t, b=b: 1 if b != 2 or b2_scraped(t) else 0) for b in BROKERS])

def urp(b, t):
    if b == 2 or t < URP_FROM:
        return 0
    led = [tp for tp in PARTS if (tp[1] % 3) + 1 == b or (leaders(b, t) > 6 and (tp[1] % 3) + 1 == 2 and tp[1] % 2 == b % 2)]
    return sum(urp_of_partition(tp, t) for tp in led)
family('kafka_server_replicamanager_underreplicatedpartitions', 'gauge', [(jmx(b), (lambda b: lambda t: jmx_series(urp)(b)(t))(b)) for b in BROKERS])
family('kafka_server_replicamanager_underminisrpartitioncount', 'gauge', [(jmx(b), (lambda b: lambda t: jmx_series(lambda b, t: 0)(b)(t))(b)) for b in BROKERS])
family('kafka_controller_kafkacontroller_offlinepartitionscount', 'gauge', [(jmx(b), (lambda b: lambda t: jmx_series(lambda b, t: 0)(b)(t))(b)) for b in BROKERS])
family('kafka_controller_kafkacontroller_activecontrollercount', 'gauge', [(jmx(b), (lambda b: lambda t: jmx_series(lambda b, t: 1 if b == 1 else 0)(b)(t))(b)) for b in BROKERS])
family('kafka_server_replicamanager_leadercount', 'gauge', [(jmx(b), (lambda b: lambda t: jmx_series(lambda b, t: leaders(b, t) + 17)(b)(t))(b)) for b in BROKERS])

def step_counter(events):
    """events: [(time, increment)] -> cumulative counter function."""
    return lambda t: sum(n for (e, n) in events if e <= t)
SHRINKS = {1: [(at('03:00:38'), 22)], 2: [], 3: [(at('03:00:33'), 23)]}
EXPANDS = {1: [(at('03:14:50'), 10), (at('03:15:20'), 12), (at('03:16:10'), 12)], 2: [],
           3: [(at('03:14:55'), 11), (at('03:15:25'), 11), (at('03:16:20'), 12)]}
family('kafka_server_replicamanager_isrshrinks', 'counter',
       [(jmx(b), (lambda b: lambda t: jmx_series(lambda b, t: 40 + step_counter(SHRINKS[b])(t))(b)(t))(b)) for b in BROKERS])
family('kafka_server_replicamanager_isrexpands', 'counter',
       [(jmx(b), (lambda b: lambda t: jmx_series(lambda b, t: 40 + step_counter(EXPANDS[b])(t))(b)(t))(b)) for b in BROKERS])

def idle(b, t):
    if LOAD_FROM <= t < LOAD_UNTIL:
        return {1: 0.35, 3: 0.14}.get(b, 0.8) + noise(0.02)
    return 0.86 + noise(0.03)
family('kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent', 'gauge',
       [(jmx(b), (lambda b: lambda t: jmx_series(idle)(b)(t))(b)) for b in BROKERS])

def p99(request):
    def f(b, t):
        if b != 2 and at('03:00:15') <= t <= at('03:01:00'):
            return (1250 if request == 'Produce' else 900) + noise(80)
        return (9 if request == 'Produce' else 505) + noise(2)
    return f
family('kafka_network_requestmetrics_totaltimems', 'gauge',
       [(jmx(b, request=r, quantile='0.99'), (lambda b, r: lambda t: jmx_series(p99(r))(b)(t))(b, r))
        for b in BROKERS for r in ('Produce', 'FetchConsumer')])

def share(b, t):
    """Share of the cluster's leadership (and so its traffic) a broker has."""
    return leaders(b, t) / 18
def integral(rate_fn):
    """A counter from a per-second rate: the sum of rate * STEP up to t (cached)."""
    cache = {}
    def f(t):
        if t not in cache:
            prev = cache.get(t - STEP, 0.0) if t > T0 else 0.0
            cache[t] = prev + rate_fn(t) * STEP
        return cache[t]
    return f
for name, per_msg in (('kafka_server_brokertopicmetrics_messagesin', 1), ('kafka_server_brokertopicmetrics_bytesin', 650),
                      ('kafka_server_brokertopicmetrics_bytesout', 1900)):
    series = []
    for b in BROKERS:
        for topic in TOPICS:
            counter = integral(lambda t, b=b, topic=topic: RATE[topic] * per_msg * share(b, t) * (1 + noise(0.05)))
            series.append((jmx(b, topic=topic), (lambda b, c: lambda t: jmx_series(lambda b, t: c(t))(b)(t))(b, counter)))
    family(name, 'counter', series)

def gc_rate(b, t):
    return 0.15 + noise(0.01) if b == 3 and LOAD_FROM <= t < LOAD_UNTIL else 0.02 + noise(0.005)
out.append('# TYPE jvm_gc_collection_seconds summary')
for b in BROKERS:
    c = integral(lambda t, b=b: gc_rate(b, t))
    n = integral(lambda t, b=b: gc_rate(b, t) * 40)
    for t in TIMES:
        if b == 2 and not b2_scraped(t):
            continue
        lab = jmx(b, gc='G1 Young Generation')
        out.append(f'jvm_gc_collection_seconds_sum{lab} {c(t):.6g} {t}')
        out.append(f'jvm_gc_collection_seconds_count{lab} {n(t):.6g} {t}')
HEAP_MAX = 4 * 2**30
def heap(b, t):
    return HEAP_MAX * ((0.86 if b == 3 and LOAD_FROM <= t < LOAD_UNTIL else 0.5) + noise(0.04))
family('jvm_memory_bytes_used', 'gauge', [(jmx(b, area='heap'), (lambda b: lambda t: jmx_series(heap)(b)(t))(b)) for b in BROKERS])
family('jvm_memory_bytes_max', 'gauge', [(jmx(b, area='heap'), (lambda b: lambda t: jmx_series(lambda b, t: HEAP_MAX)(b)(t))(b)) for b in BROKERS])

# node_exporter on each broker host: reports the data volume even while Kafka is down.
DISK = 500 * 2**30
def used(b, t):
    if b != 2:
        return 0.46 + 0.01 * b + noise(0.002)
    if t < at('03:00:00'):
        return min(1.0, 0.80 + 0.2 * ((t - T0) / 3600) ** 3)
    if t < at('03:12:00'):
        return 1.0
    return 0.55 + noise(0.002)
def node(b):
    return lbl(job='kafka', instance=f'kafka-{b}:9100', broker=b, mountpoint='/var/lib/kafka/data', device='/dev/nvme1n1')
family('node_filesystem_size_bytes', 'gauge', [(node(b), lambda t: DISK) for b in BROKERS])
family('node_filesystem_avail_bytes', 'gauge', [(node(b), (lambda b: lambda t: round(DISK * (1 - used(b, t))))(b)) for b in BROKERS])

# ---- kafka_exporter family: it talks to the cluster, so it keeps reporting while broker 2 is down.
family('kafka_brokers', 'gauge', [(exp(), lambda t: 2 if URP_FROM <= t < BROKERS_BACK else 3)])
family('kafka_topic_partition_under_replicated_partition', 'gauge',
       [(exp(topic=tp[0], partition=tp[1]), (lambda tp: lambda t: urp_of_partition(tp, t))(tp)) for tp in PARTS])
family('kafka_topic_partition_in_sync_replica', 'gauge',
       [(exp(topic=tp[0], partition=tp[1]), (lambda tp: lambda t: 3 - urp_of_partition(tp, t))(tp)) for tp in PARTS])
family('kafka_topic_partition_current_offset', 'gauge',
       [(exp(topic=tp[0], partition=tp[1]), integral(lambda t, tp=tp: RATE[tp[0]] / 6 * (1 + noise(0.05)))) for tp in PARTS])

def lag(group, t):
    base = 120 + noise(60)
    if group == 'fraud-detector':
        grow_from, grow_until, drained = at('03:01:00'), at('03:08:00'), at('03:12:00')
        peak = 45000
        if grow_from <= t < grow_until:
            return base + peak * (t - grow_from) / (grow_until - grow_from)
        if grow_until <= t < drained:
            return base + peak * (1 - (t - grow_until) / (drained - grow_until))
    if group == 'payment-service' and at('03:00:15') <= t < at('03:03:00'):
        return base + 2500 * (t - at('03:00:15')) / 165
    return max(0.0, base)
family('kafka_consumergroup_lag', 'gauge',
       [(exp(consumergroup=g, topic=topic, partition=p), (lambda g: lambda t: round(lag(g, t) / 6))(g))
        for g, topic in GROUPS.items() for p in range(6)])

out.append('# EOF')
sys.stdout.write('\n'.join(out) + '\n')
print(f'{sum(1 for l in out if not l.startswith("#"))} samples', file=sys.stderr)
