"""The ten causes and the red herrings, each as conditions on the simulated cluster (sim.py) plus the lines only
the actor itself writes (a full disk's IOException, a GC log, an app's own errors). What follows from the
conditions (fencing, elections, ISR shrinks, peers' fetch errors, lag, failed produce requests) is the engine's.

Each cause function returns the truth: {cause, entity, accept, incident_start, detail}.
"""
import datetime as dt

from logs import STACK_NO_SPACE, ts_gc
from sim import STEP, within


def hm(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime('%H:%M:%SZ')

MIN = 60_000


def pick_broker(sim, rng, avoid=()):
    return rng.choice([b for b in sim.c.brokers if b not in avoid])


def leader_heavy(sim, rng, avoid=()):
    """A broker that leads partitions (every broker does after placement; pick at random)."""
    return pick_broker(sim, rng, avoid)


# ------------------------------------------------------------------------------------------------ causes
def broker_out_of_disk(sim, rng, t0, v):
    c = sim.c
    x = leader_heavy(sim, rng)
    full = t0 + rng.randint(18, 30) * MIN
    sim.disk_fill[x] = (t0, full)
    d = sim.data_dir(x)
    back = full + rng.randint(12, 20) * MIN if v % 3 == 1 else None
    sim.down[x].append((full + 2_500, back, 'halt'))
    reason = ['a topic with retention.ms=-1 grew without bound', 'the log cleaner stopped compacting',
              'a backfill job wrote 10x the usual volume'][v % 3]

    def lines(s):
        parts = [p for p in c.partitions() if p.leader == x] or s.replicas_on(x)
        cleaner_at = full - rng.randint(3, 8) * MIN
        s.klog(x, cleaner_at, 'WARN', f'[kafka-log-cleaner-thread-0]: Unexpected exception thrown when cleaning log '
               f'Log(dir={d}/__consumer_offsets-{rng.randint(0, 49)}, topic=__consumer_offsets, partition='
               f'{rng.randint(0, 49)}). Marking its partition as uncleanable', 'kafka.log.LogCleaner')
        for i, p in enumerate(parts[:4]):
            s.streams.kafka(x, full + 10 + i * 7, 'ERROR', f'Error while appending records to {p.name} in dir {d}'
                            f'{STACK_NO_SPACE}', 'org.apache.kafka.storage.internals.log.LogDirFailureChannel')
        p0 = parts[0]
        s.streams.kafka(x, full + 60, 'ERROR', f'[ReplicaManager broker={x}] Error processing append operation on '
                        f'partition {p0.name}\norg.apache.kafka.common.errors.KafkaStorageException: Disk error when '
                        f'trying to access log file on the disk.', 'kafka.server.ReplicaManager')
        s.streams.kafka(x, full + 200, 'WARN', f'[ReplicaManager broker={x}] Stopping serving replicas in dir {d}',
                        'kafka.server.ReplicaManager')
        s.streams.kafka(x, full + 260, 'WARN', f'[ReplicaManager broker={x}] Broker {x} stopped fetcher for partitions '
                        f'{",".join(p.name for p in s.replicas_on(x) if p.leader != x)} and stopped moving logs for '
                        f'partitions  because they are in the failed log directory {d}.', 'kafka.server.ReplicaManager')
        s.streams.kafka(x, full + 300, 'WARN', f'Stopping serving logs in dir {d}', 'kafka.log.LogManager')
        if c.mode == 'zookeeper':
            s.streams.kafka(x, full + 320, 'FATAL', f'Shutdown broker because all log dirs in {d} have failed',
                            'kafka.log.LogManager')
        else:
            s.streams.kafka(x, full + 320, 'FATAL', f'[ReplicaManager broker={x}] Halting broker because dir {d} is '
                            f'offline', 'kafka.server.ReplicaManager')
        # the leaders of the partitions it followed see a storage error before it halts
        for p in [p for p in c.partitions() if x in p.replicas and p.leader not in (x, None)][:3]:
            s.klog(p.leader, full + 900 + rng.randint(0, 800), 'ERROR', f'[ReplicaFetcher replicaId={p.leader}, '
                   f'leaderId={x}, fetcherId=0] Error for partition {p.name} at offset {int(p.end_offset)}\n'
                   f'org.apache.kafka.common.errors.KafkaStorageException: Disk error when trying to access log file '
                   f'on the disk.', 'kafka.server.ReplicaFetcherThread')
        if back:
            # after the cleanup the volume drops back
            s.disk_fill[x] = (t0, full)
    if back:
        base = sim.disk_base[x]
        orig = sim.disk_used

        def used(b, t, orig=orig):
            if b == x and t >= back - 2 * MIN:
                return base + 0.05
            return orig(b, t)
        sim.disk_used = used
    sim.scripts.append(lines)
    return dict(cause='broker_out_of_disk', entity=f'broker:{x}', incident_start=t0,
                detail=f'broker {x} data volume {d} filled ({reason}) and the broker stopped at {hm(full)}'
                       + (f', restarted after cleanup at {hm(back)}' if back else ''))


def broker_down(sim, rng, t0, v):
    c = sim.c
    if v % 3 == 2 and c.mode == 'zookeeper':
        x = sim.ctrl                 # the controller itself dies
    else:
        x = leader_heavy(sim, rng)
    back = t0 + rng.randint(12, 25) * MIN if v % 3 != 1 else None
    sim.down[x].append((t0, back, 'crash'))
    host = v % 3 == 1
    if host:
        sim.host_down[x].append((t0, back))
    why = ['the JVM was killed by the kernel OOM killer (container memory limit)', 'the host lost power',
           'the process crashed on a fatal JVM error'][v % 3]
    return dict(cause='broker_down', entity=f'broker:{x}', incident_start=t0,
                detail=f'broker {x} went down: {why}' + (f'; back at {hm(back)}' if back else '; still down at window end'))


def gc_pressure(sim, rng, t0, v):
    c = sim.c
    x = leader_heavy(sim, rng)
    dur = rng.randint(18, 30) * MIN
    k = [0.97, 0.85, 0.93][v % 3]
    sim.gc[x].append((t0, t0 + dur, k))
    heap = c.heap_bytes

    def lines(s):
        n = rng.randint(10_000, 90_000)
        gcfile = v % 3 != 1
        t = t0
        while t < t0 + dur:
            g = s.gc_int(x, t)
            if g > 0.3 and gcfile:
                pause = rng.uniform(900, 3500) * g * (3 if g > 0.9 else 1)
                used = heap * rng.uniform(0.93, 0.99) / 2 ** 20
                after = used * rng.uniform(0.95, 0.995)
                if rng.random() < 0.4:
                    line = (f'[{ts_gc(t)}][info][gc] GC({n}) Pause Full (G1 Compaction Pause) {int(used)}M->{int(after)}M'
                            f'({int(heap / 2 ** 20)}M) {pause:.3f}ms')
                else:
                    line = (f'[{ts_gc(t)}][info][gc] GC({n}) Pause Young (Mixed) (G1 Evacuation Pause) {int(used)}M->'
                            f'{int(after)}M({int(heap / 2 ** 20)}M) {pause / 4:.3f}ms')
                s.streams.add(('broker', x, 'gc'), t, 'INFO' if not c.labels.level_label else None, line)
                if rng.random() < 0.2:
                    s.streams.add(('broker', x, 'gc'), t + 2, None, f'[{ts_gc(t + 2)}][info][gc] GC({n}) To-space '
                                  f'exhausted')
                n += 1
            t += rng.randint(4_000, 20_000)
        # clients notice requests that time out on x
        apps = [a for a in c.apps][:3]
        for i, a in enumerate(apps):
            for j in range(rng.randint(2, 6)):
                at = t0 + rng.randint(3 * MIN, dur)
                if s.gc_int(x, at) > 0.6:
                    s.streams.app(a, 0, at, 'INFO', 'kafka-producer-network-thread | ' + a,
                                  'org.apache.kafka.clients.NetworkClient',
                                  f'[Producer clientId={a}] Disconnecting from node {x} due to request timeout.')
        if c.mode == 'zookeeper' and k > 0.92:
            # a pause longer than zookeeper.session.timeout.ms expires the session
            tt = t0 + dur // 2
            s.zk_session_expired(x, tt)
    sim.scripts.append(lines)
    return dict(cause='gc_pressure', entity=f'broker:{x}', incident_start=t0,
                detail=f'broker {x} heap nearly full (a large fetch.max.bytes consumer + big batches): long G1 pauses '
                       f'for {dur // MIN} min')


def controller_churn(sim, rng, t0, v):
    c = sim.c
    dur = rng.randint(15, 25) * MIN
    t = t0
    if c.mode == 'zookeeper':
        # the ZooKeeper ensemble is slow (a disk-heavy job on the ZK hosts): sessions expire, the controller moves
        while t < t0 + dur:
            victim = sim.ctrl if rng.random() < 0.7 else pick_broker(sim, rng)
            sim.zk_flaps.append((t, None))   # placeholder; resolved when due (the controller at that time)
            t += rng.randint(60_000, 200_000)
        flaps = sorted(tm for tm, _ in sim.zk_flaps)
        sim.zk_flaps = [(tm, 'ctrl') for tm in flaps]
        # resolve 'ctrl' to the controller at that moment inside the engine
        orig = sim.zk_session_expired

        def expire(b, tm, orig=orig):
            orig(sim.ctrl if b == 'ctrl' else b, tm)
        sim.zk_session_expired = expire
        detail = 'ZooKeeper ensemble latency (fsync stalls on the ZK hosts) expired the controller\'s session repeatedly'
    else:
        while t < t0 + dur:
            sim.ctrl_moves.append((t, 'resign'))
            t += rng.randint(40_000, 150_000)
        detail = 'the KRaft controller quorum kept losing its leader (fetch timeouts between controllers on a ' \
                 'saturated network link), a new election every one to two minutes'

    def lines(s):
        # brokers see the controller moving under them
        for tm in [m for m, _ in s.ctrl_moves] + [m for m, _ in s.zk_flaps]:
            for b in rng.sample(c.brokers, min(2, len(c.brokers))):
                if c.mode == 'kraft':
                    s.klog(b, tm + rng.randint(500, 4000), 'INFO', f'[BrokerLifecycleManager id={b}] Unable to send '
                           f'broker heartbeat for {b}. Retrying.', 'kafka.server.BrokerLifecycleManager')
                else:
                    s.klog(b, tm + rng.randint(500, 4000), 'INFO', f'[Controller id={s.ctrl}, targetBrokerId={b}] '
                           f'Client requested connection close from node {b}', 'org.apache.kafka.clients.NetworkClient')
    sim.scripts.append(lines)
    # 'cluster'; also the broker that was the active controller when the churn began (ZK, KRaft combined mode)
    accept = ['cluster'] + ([f'broker:{sim.ctrl}'] if sim.ctrl < 3000 else [])
    return dict(cause='controller_churn', entity='cluster', accept=accept, incident_start=t0, detail=detail)


def network_partition(sim, rng, t0, v):
    x = leader_heavy(sim, rng)
    dur = rng.randint(12, 22) * MIN
    full = v % 3 == 1
    sim.isolated[x].append((t0, t0 + dur, full))
    c = sim.c

    def lines(s):
        # clients of the apps on the other side cannot reach x either
        for i, a in enumerate(c.apps[:4]):
            t = t0 + rng.randint(5_000, 60_000)
            while t < t0 + dur:
                s.streams.app(a, i % 2, t, 'WARN', f'kafka-producer-network-thread | {a}',
                              'org.apache.kafka.clients.NetworkClient',
                              f'[Producer clientId={a}] Connection to node {x} ({s.broker_label(x)}) could not be '
                              f'established. {s.not_available()}')
                t += rng.randint(30_000, 120_000)
        if full and c.mode == 'kraft':
            t = t0 + 3000
            while t < t0 + dur:
                s.klog(x, t, 'WARN', f'[BrokerLifecycleManager id={x}] Unable to send broker heartbeat for {x}. '
                       f'Retrying.', 'kafka.server.BrokerLifecycleManager')
                t += rng.randint(5_000, 30_000)
        elif full:
            s.zk_session_expired(x, t0 + 20_000)
    sim.scripts.append(lines)
    return dict(cause='network_partition', entity=f'broker:{x}', incident_start=t0,
                detail=f'broker {x} cut off from the other brokers{" and the controller" if full else ""} '
                       f'(a misapplied firewall rule / a failing top-of-rack switch port) for {dur // MIN} min; '
                       f'Prometheus could still scrape it')


def slow_consumer(sim, rng, t0, v):
    c = sim.c
    g = rng.choice(c.groups)
    factor = rng.uniform(0.15, 0.35)
    sim.group_factor[g.id].append((t0, None, factor))
    why = ['its database calls slowed down (connection pool exhausted)', 'a new release added a synchronous HTTP call '
           'per record', 'the downstream search cluster throttles bulk writes'][v % 3]

    def lines(s):
        t = t0 + rng.randint(60_000, 180_000)
        k = 0
        while t < s.end:
            i = rng.randrange(max(1, min(3, len(g.members))))
            if v % 3 == 0:
                s.streams.app(g.app, i, t, 'WARN', 'HikariPool-1 housekeeper', 'com.zaxxer.hikari.pool.HikariPool',
                              'HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m2s).')
                s.streams.app(g.app, i, t + 40, 'ERROR', 'ntainer#0-0-C-1', f'com.example.{g.app.split("-")[0]}.'
                              'persistence.RecordWriter', 'HikariPool-1 - Connection is not available, request timed '
                              'out after 30000ms.')
            elif v % 3 == 1:
                s.streams.app(g.app, i, t, 'WARN', 'ntainer#0-0-C-1', f'com.example.{g.app.split("-")[0]}.'
                              'listener.BatchListener', f'Slow batch: {rng.randint(300, 500)} records took '
                              f'{rng.randint(9000, 60000)} ms')
            # v % 3 == 2: nothing but the lag and the lower throughput
            k += 1
            if k == 6 and v % 3 != 2:
                mem = g.members[i]
                s.streams.app(g.app, i, t + 500, 'WARN', 'kafka-coordinator-heartbeat-thread | ' + g.id,
                              'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
                              f'[Consumer clientId={mem}, groupId={g.id}] consumer poll timeout has expired. This means '
                              f'the time between subsequent calls to poll() was longer than the configured '
                              f'max.poll.interval.ms, which typically implies that the poll loop is spending too much '
                              f'time processing messages. You can address this either by increasing '
                              f'max.poll.interval.ms or by reducing the maximum size of batches returned in poll() '
                              f'with max.poll.records.')
                s.streams.app(g.app, i, t + 510, 'INFO', 'kafka-coordinator-heartbeat-thread | ' + g.id,
                              'org.apache.kafka.clients.consumer.internals.AbstractCoordinator',
                              f'[Consumer clientId={mem}, groupId={g.id}] Member {mem}-{rng.getrandbits(32):08x} '
                              f'sending LeaveGroup request to coordinator {c.hosts[c.coordinator(g)].split(".")[0]}:9092 '
                              f'(id: {2147483647 - c.coordinator(g)} rack: null) due to consumer poll timeout has '
                              f'expired.')
            t += rng.randint(40_000, 150_000)
    sim.scripts.append(lines)
    return dict(cause='slow_consumer', entity=f'group:{g.id}', incident_start=t0,
                detail=f'group {g.id} ({g.app}) processes at {factor:.0%} of its usual rate: {why}')


def rebalance_storm(sim, rng, t0, v):
    c = sim.c
    g = rng.choice([gr for gr in c.groups if len(gr.members) >= 2] or c.groups)
    dur = rng.randint(18, 30) * MIN
    sim.group_storm[g.id].append((t0, t0 + dur, rng.randint(40_000, 90_000)))
    why = ['a member pod crash-loops (OOMKilled on start) and rejoins every minute',
           'max.poll.interval.ms is shorter than the processing time of a batch, members keep getting evicted',
           'session.timeout.ms=6000 with long GC pauses in the consumer: heartbeats expire'][v % 3]

    def lines(s):
        t = t0 + rng.randint(10_000, 40_000)
        while t < t0 + dur:
            i = rng.randrange(min(3, len(g.members)))
            if v % 3 == 0:
                s.streams.app(g.app, i, t, 'INFO', 'main', f'com.example.{g.app.split("-")[0]}.Application',
                              f'Started Application in {rng.uniform(6, 14):.3f} seconds (process running for '
                              f'{rng.uniform(7, 16):.3f})')
                s.streams.app(g.app, i, t + rng.randint(20_000, 50_000), 'ERROR', 'main',
                              'o.s.boot.SpringApplication', 'Application run failed\njava.lang.OutOfMemoryError: Java '
                              'heap space')
            elif v % 3 == 1:
                mem = g.members[i]
                s.streams.app(g.app, i, t, 'WARN', 'kafka-coordinator-heartbeat-thread | ' + g.id,
                              'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
                              f'[Consumer clientId={mem}, groupId={g.id}] consumer poll timeout has expired. This '
                              f'means the time between subsequent calls to poll() was longer than the configured '
                              f'max.poll.interval.ms, which typically implies that the poll loop is spending too much '
                              f'time processing messages.')
            else:
                mem = g.members[i]
                s.streams.app(g.app, i, t, 'INFO', 'kafka-coordinator-heartbeat-thread | ' + g.id,
                              'org.apache.kafka.clients.consumer.internals.AbstractCoordinator',
                              f'[Consumer clientId={mem}, groupId={g.id}] Attempt to heartbeat with Generation'
                              f'{{generationId={s.gen[g.id]}, memberId=\'{mem}-{rng.getrandbits(32):08x}\', '
                              f'protocol=\'range\'}} and group instance id Optional.empty failed due to '
                              f'UNKNOWN_MEMBER_ID, resetting generation')
            t += rng.randint(30_000, 90_000)
    sim.scripts.append(lines)
    return dict(cause='rebalance_storm', entity=f'group:{g.id}', incident_start=t0,
                detail=f'group {g.id} rebalanced every minute or so for {dur // MIN} min: {why}')


def producer_quota_throttling(sim, rng, t0, v):
    c = sim.c
    pr = rng.choice(c.producers)
    # its bytes per broker now
    per_b = sum(c.topic(tn).rate * c.topic(tn).msg_bytes * pr.share for tn in pr.topics) / len(c.brokers)
    if v % 3 == 0:
        # an operator sets (or lowers) the client's quota under its traffic
        sim.quota_changes.append((t0, pr.client_id, per_b * rng.uniform(0.3, 0.5)))
        detail = 'a producer_byte_rate quota was set for the client below its normal rate'
    else:
        pr.quota = per_b * rng.uniform(1.4, 2.0)
        sim.client_factor[pr.client_id].append((t0, t0 + rng.randint(25, 40) * MIN, rng.uniform(3.5, 6.0)))
        detail = 'the client\'s traffic jumped (a replay / bulk import) above its long-standing quota'

    def lines(s):
        t = t0 + rng.randint(2 * MIN, 6 * MIN)
        while t < s.end:
            if v % 3 != 2:
                s.streams.app(pr.app, 0, t, 'WARN', 'http-nio-8080-exec-' + str(rng.randint(1, 9)),
                              f'com.example.{pr.app.split("-")[0]}.messaging.EventPublisher',
                              f'Publishing to {pr.topics[0]} took {rng.randint(2000, 9000)} ms')
            if rng.random() < 0.3:
                s.streams.app(pr.app, 0, t + 100, 'ERROR', 'kafka-producer-network-thread | ' + pr.client_id,
                              'o.s.kafka.support.LoggingProducerListener',
                              f'Exception thrown when sending a message with key=\'{rng.getrandbits(40):x}\' and '
                              f'payload=\'{{...}}\' to topic {pr.topics[0]}:\norg.apache.kafka.common.errors.'
                              f'TimeoutException: Expiring {rng.randint(3, 80)} record(s) for '
                              f'{pr.topics[0]}-{rng.randrange(len(c.topic(pr.topics[0]).partitions))}:'
                              f'{rng.randint(120000, 121500)} ms has passed since batch creation')
            t += rng.randint(45_000, 160_000)
    sim.scripts.append(lines)
    return dict(cause='producer_quota_throttling', entity=f'client:{pr.client_id}', incident_start=t0,
                detail=f'client {pr.client_id} ({pr.app}) throttled by its quota: {detail}')


def hot_partition(sim, rng, t0, v):
    c = sim.c
    topic = max(c.topics, key=lambda tp: tp.rate * tp.msg_bytes * rng.uniform(0.5, 1.5))
    pid = rng.randrange(len(topic.partitions))
    factor = rng.uniform(10, 25) * len(topic.partitions) / 6
    sim.hot.append((t0, sim.end + 1, topic.name, pid, factor))
    # the traffic of the topic grows too (the key behind it is a flash sale / a bot)
    for pr in c.producers:
        if topic.name in pr.topics:
            sim.client_factor[pr.client_id].append((t0, sim.end + 1, rng.uniform(1.3, 1.8)))
    why = ['one merchant\'s flash sale: a single key takes most of the traffic',
           'a producer deployed with a constant message key', 'a bot hammering one customer id'][v % 3]
    return dict(cause='hot_partition', entity=f'partition:{topic.name}-{pid}', incident_start=t0,
                detail=f'{topic.name}-{pid} takes most of the topic\'s traffic: {why}')


def under_provisioned_replication(sim, rng, t0, v):
    c = sim.c
    # the topic's replication is too thin for a routine broker restart
    topic = rng.choice(c.topics)
    kind = v % 3
    if kind == 0:
        topic.rf, topic.min_isr = 1, 1
        for p in topic.partitions:
            p.replicas = p.replicas[:1]
            p.isr = list(p.replicas)
    elif kind == 1:
        topic.rf, topic.min_isr = 2, 2
        for p in topic.partitions:
            p.replicas = p.replicas[:2]
            p.isr = list(p.replicas)
    else:
        topic.min_isr = topic.rf
    x = rng.choice(sorted({p.replicas[0] for p in topic.partitions}))
    back = t0 + rng.randint(4, 8) * MIN
    sim.down[x].append((t0, back, 'controlled'))

    def lines(s):
        # the leaders refuse acks=all writes below min.insync.replicas; producers see it
        seen = set()
        for tm in range(t0, back + 3 * MIN, STEP):
            for p in topic.partitions:
                if p.name in seen:
                    continue
                if s.counters.get(('nerr', p.name), 0) > 0 and p.leader is not None and p.leader != x:
                    seen.add(p.name)
                    for k in range(rng.randint(2, 5)):
                        at = tm + k * rng.randint(5_000, 40_000)
                        s.streams.kafka(p.leader, at, 'ERROR', f'[ReplicaManager broker={p.leader}] Error processing '
                                        f'append operation on partition {p.name}\norg.apache.kafka.common.errors.'
                                        f'NotEnoughReplicasException: The size of the current ISR Set({p.leader}) is '
                                        f'insufficient to satisfy the min.isr requirement of {topic.min_isr} for '
                                        f'partition {p.name}', 'kafka.server.ReplicaManager')
        writers = [pr for pr in c.producers if topic.name in pr.topics]
        for pr in writers:
            t = t0 + rng.randint(5_000, 30_000)
            while t < back + 2 * MIN:
                p = rng.choice(topic.partitions)
                err = 'NOT_LEADER_OR_FOLLOWER' if kind == 0 else 'NOT_ENOUGH_REPLICAS'
                s.streams.app(pr.app, 0, t, 'WARN', 'kafka-producer-network-thread | ' + pr.client_id,
                              'org.apache.kafka.clients.producer.internals.Sender',
                              f'[Producer clientId={pr.client_id}] Got error produce response with correlation id '
                              f'{rng.randint(10 ** 5, 10 ** 7)} on topic-partition {p.name}, retrying (2147483{rng.randint(100, 646)} '
                              f'attempts left). Error: {err}')
                t += rng.randint(8_000, 40_000)
    sim.scripts.append(lines)
    desc = {0: 'replication factor 1', 1: 'replication factor 2 with min.insync.replicas=2',
            2: f'min.insync.replicas={topic.rf} equal to its replication factor'}[kind]
    return dict(cause='under_provisioned_replication', entity=f'topic:{topic.name}', incident_start=t0,
                detail=f'topic {topic.name} has {desc}; a routine restart of broker {x} made it unwritable'
                       + (' and offline' if kind == 0 else ''), restarted_broker=x)


CAUSES = {
    'broker_out_of_disk': broker_out_of_disk, 'broker_down': broker_down, 'gc_pressure': gc_pressure,
    'controller_churn': controller_churn, 'network_partition': network_partition, 'slow_consumer': slow_consumer,
    'rebalance_storm': rebalance_storm, 'producer_quota_throttling': producer_quota_throttling,
    'hot_partition': hot_partition, 'under_provisioned_replication': under_provisioned_replication,
}


# ------------------------------------------------------------------------------------------------ red herrings
def rh_app_deploy(sim, rng, t, truth):
    c = sim.c
    gs = [g for g in c.groups if f'group:{g.id}' != truth['entity']]
    if not gs:
        return None
    g = rng.choice(gs)
    sim.group_deploy[g.id].append(t)

    def lines(s):
        for i in range(min(3, len(g.members))):
            at = t + i * 45_000
            s.streams.app(g.app, i, at, 'INFO', 'SpringApplicationShutdownHook', 'o.s.b.w.e.tomcat.GracefulShutdown',
                          'Commencing graceful shutdown. Waiting for active requests to complete')
            s.streams.app(g.app, i, at + 20_000, 'INFO', 'main', f'com.example.{g.app.split("-")[0]}.Application',
                          f'Started Application in {rng.uniform(6, 14):.3f} seconds (process running for '
                          f'{rng.uniform(7, 16):.3f})')
    sim.scripts.append(lines)
    return dict(kind='app_deploy', entity=f'group:{g.id}', at=t, detail=f'rolling deploy of {g.app}')


def rh_controller_move(sim, rng, t, truth):
    sim.ctrl_moves.append((t, 'resign'))
    return dict(kind='controller_moved_by_operator', entity='cluster', at=t,
                detail='an operator moved the controller (planned maintenance of its host)')


def rh_gc_blip(sim, rng, t, truth):
    y = pick_broker(sim, rng, avoid=[int(truth['entity'].split(':')[1])] if truth['entity'].startswith('broker:') else [])
    sim.gc[y].append((t, t + rng.randint(60_000, 150_000), rng.uniform(0.35, 0.6)))
    return dict(kind='short_gc_blip', entity=f'broker:{y}', at=t, detail=f'a 1-2 minute young-GC spike on broker {y}')


def rh_rolling_restart(sim, rng, t, truth):
    c = sim.c
    at = t
    for b in c.brokers:
        sim.down[b].append((at, at + rng.randint(45_000, 90_000), 'controlled'))
        at += rng.randint(150_000, 200_000)
    return dict(kind='rolling_restart', entity='cluster', at=t, until=at,
                detail='a routine rolling restart (config change) well before the incident')


def rh_disk_growth(sim, rng, t, truth):
    avoid = [int(truth['entity'].split(':')[1])] if truth['entity'].startswith('broker:') else []
    y = pick_broker(sim, rng, avoid=avoid)
    if y in sim.disk_fill:
        return None
    base = sim.disk_base[y]
    target = base + rng.uniform(0.12, 0.2)
    # climbs to `target` by the end of the window (never full)
    sim.disk_fill[y] = (t, t + int((sim.end - t) * (1 - base) / max(0.01, target - base)))
    return dict(kind='disk_growing', entity=f'broker:{y}', at=t,
                detail=f'broker {y} data volume grows from {base:.0%} to {target:.0%} (not full)')


def rh_client_conn_errors(sim, rng, t, truth):
    c = sim.c
    app = rng.choice(c.apps)

    def lines(s):
        tt = t
        while tt < s.end:
            s.streams.app(app, 1, tt, 'WARN', 'kafka-admin-client-thread | adminclient-1',
                          'org.apache.kafka.clients.NetworkClient',
                          f'[AdminClient clientId=adminclient-1] Connection to node -1 (kafka-bootstrap.legacy.'
                          f'internal/10.99.0.12:9092) could not be established. {s.not_available()}')
            tt += rng.randint(60_000, 240_000)
    sim.scripts.append(lines)
    return dict(kind='stale_bootstrap_errors', entity=f'client:{app}', at=t,
                detail=f'{app} keeps an admin client pointed at a decommissioned bootstrap address')


def rh_lag_batch(sim, rng, t, truth):
    c = sim.c
    gs = [g for g in c.groups if f'group:{g.id}' != truth['entity']]
    if not gs:
        return None
    g = rng.choice(gs)
    sim.group_factor[g.id].append((t, t + rng.randint(6, 12) * MIN, 0.0))
    return dict(kind='paused_consumer_lag', entity=f'group:{g.id}', at=t,
                detail=f'{g.id} paused for a few minutes (a scheduled pause), lag rose and drained')


def rh_small_throttle(sim, rng, t, truth):
    c = sim.c
    prs = [p for p in c.producers if f'client:{p.client_id}' != truth['entity']]
    if not prs:
        return None
    pr = rng.choice(prs)
    per_b = sum(c.topic(tn).rate * c.topic(tn).msg_bytes * pr.share for tn in pr.topics) / len(c.brokers)
    pr.quota = per_b * 1.5
    sim.client_factor[pr.client_id].append((t, t + rng.randint(2, 4) * MIN, 1.7))
    return dict(kind='brief_throttle', entity=f'client:{pr.client_id}', at=t,
                detail=f'{pr.client_id} briefly exceeded its quota by a little (a few ms of throttle)')


HERRINGS = {
    'app_deploy': rh_app_deploy, 'controller_move': rh_controller_move, 'gc_blip': rh_gc_blip,
    'rolling_restart': rh_rolling_restart, 'disk_growth': rh_disk_growth, 'client_conn_errors': rh_client_conn_errors,
    'lag_batch': rh_lag_batch, 'small_throttle': rh_small_throttle,
}
