"""The time-stepped cluster: conditions set by the incident and red herrings (a broker process down, a host down, a
network partition, GC pressure, a filling disk, a slow consumer, a rebalancing group, a producer over its quota, a
hot key, controller elections) drive what Kafka itself does: the controller fences dead brokers and elects leaders,
leaders shrink ISRs of followers that stop fetching for replica.lag.time.max.ms (30 s) and expand them once caught
up, followers log fetch errors about the leader they cannot reach, the automatic preferred leader election moves
leaders back every 300 s, groups rebalance and lag, acks=all producers fail below min.insync.replicas. Every
scrape (15 s) samples the exporters' metrics; every event writes the log lines Kafka or the apps would write.
"""
import math
import zlib

from logs import Streams, fetch_request, STACK_DISCONNECT, STACK_CONNECT_TIMEOUT, STACK_NO_SPACE
from metrics import Metrics

STEP = 15_000
LAG_MAX_MS = 30_000            # replica.lag.time.max.ms (3.x default)
AUTO_LEADER_MS = 300_000       # leader.imbalance.check.interval.seconds


def within(intervals, t):
    for iv in intervals:
        if iv[0] <= t < (iv[1] if iv[1] is not None else float('inf')):
            return iv
    return None


class Sim:
    def __init__(self, cluster, rng, start_ms, end_ms):
        c = self.c = cluster
        self.rng = rng
        self.start, self.end = start_ms, end_ms
        self.times = list(range(start_ms, end_ms + 1, STEP))
        B = c.brokers
        # Conditions (set by incidents.py)
        self.down = {b: [] for b in B}          # (from, to|None, how): crash | halt | controlled
        self.host_down = {b: [] for b in B}     # node_exporter gone too
        self.isolated = {b: [] for b in B}      # (from, to, full): full = also cut from the controller / ZooKeeper
        self.gc = {b: [] for b in B}            # (from, to, intensity 0..1)
        self.disk_base = {b: rng.uniform(0.35, 0.62) for b in B}
        self.disk_fill = {}                     # b -> (from, full_at): linear climb to 100 %
        self.ctrl_moves = []                    # (t, reason) scheduled controller elections
        self.zk_flaps = []                      # (t, broker) ZooKeeper session expiries
        self.group_factor = {g.id: [] for g in c.groups}     # (from, to, capacity factor)
        self.group_storm = {g.id: [] for g in c.groups}      # (from, to, period ms)
        self.group_deploy = {g.id: [] for g in c.groups}     # rolling restart of the app: start time
        self.client_factor = {p.client_id: [] for p in c.producers}   # (from, to, traffic factor)
        self.quota_changes = []                 # (t, client, new quota bytes/s or None)
        self.hot = []                           # (from, to, topic, partition, factor)
        self.consumer_errors = []               # extra scripted callables run each step
        self.scripts = []                       # callables(sim) after the run
        # State
        self.streams = Streams(c, rng)
        self.m = Metrics(c, self.times, rng)
        self.dead = set()                       # brokers fenced by the controller
        self.lost_since = {}                    # broker -> time its session was lost
        self.lag_since = {}                     # (partition name, follower) -> time it stopped fetching
        self.back_since = {}                    # (partition name, replica) -> time it could fetch again
        self.ctrl = c.controllers[0] if c.mode == 'kraft' else B[rng.randrange(len(B))]
        self.ctrl_epoch = rng.randint(20, 90)
        self.raft_epoch = rng.randint(100, 900)
        self.last_fetch_err = {}
        self.halted = set()
        self.lag = {}                           # (group, partition name) -> messages behind
        self.gen = {g.id: rng.randint(5, 400) for g in c.groups}
        self.rebalancing = {}                   # group -> (until, reason)
        self.members_now = {g.id: len(g.members) for g in c.groups}
        self.throttle = {}
        self.quota = {p.client_id: p.quota for p in c.producers}
        self.counters = {}
        self._seen = {}
        self._elections = []
        self._leader_of = {}
        total_bytes = sum(tp.rate * tp.msg_bytes for tp in c.topics)
        self.broker_capacity = total_bytes / len(B) * rng.uniform(3.0, 5.0)

    # ---------------------------------------------------------------- conditions
    def proc_up(self, b, t):
        return within(self.down[b], t) is None

    def iso(self, b, t):
        return within(self.isolated[b], t)

    def gc_int(self, b, t):
        iv = within(self.gc[b], t)
        if not iv:
            return 0.0
        # ramps up over the first quarter of the interval, holds, and fades over the last tenth
        f, to, k = iv
        to = to if to is not None else self.end + 1
        span = max(1, to - f)
        x = (t - f) / span
        ramp = min(1.0, x / 0.25) if x < 0.25 else (1.0 if x < 0.9 else max(0.2, (1 - x) / 0.1))
        return k * ramp

    def session_ok(self, b, t):
        if not self.proc_up(b, t):
            return False
        i = self.iso(b, t)
        if i and i[2]:
            return False
        return self.gc_int(b, t) < 0.92

    def reach(self, a, b, t):
        """Can broker a talk to broker b (both running, no partition between them)."""
        if not (self.proc_up(a, t) and self.proc_up(b, t)):
            return False
        if self.iso(a, t) or self.iso(b, t):
            return False
        return True

    def fetch_ok(self, f, leader, t):
        """The follower keeps up with the leader: reachable and neither is stalled by GC."""
        return self.reach(f, leader, t) and self.gc_int(f, t) < 0.75 and self.gc_int(leader, t) < 0.85 \
            and f not in self.halted and leader not in self.halted

    def disk_used(self, b, t):
        base = self.disk_base[b] + 0.004 * math.sin(t / 3.6e6)
        if b in self.disk_fill:
            f, full = self.disk_fill[b]
            if t >= f:
                return min(0.99995, base + (1.0 - base) * (t - f) / max(1, full - f))
        return base

    def session_timeout(self):
        return 18_000 if self.c.mode == 'zookeeper' else 9_000

    # ---------------------------------------------------------------- helpers
    def jitter(self, t, span=STEP):
        return t - span + self.rng.randint(1, span - 1)

    def klog(self, b, t, level, msg, logger, file='server'):
        if b < 3000 and not self.proc_up(b, t) and b not in self._dying:
            return
        self.streams.kafka(b, t, level, msg, logger, file)

    def ctrl_log(self, t, level, msg):
        if self.c.mode == 'zookeeper':
            self.klog(self.ctrl, t, level, f'[Controller id={self.ctrl}] {msg}', 'kafka.controller.KafkaController',
                      'controller')
        else:
            self.klog(self.ctrl, t, level, f'[QuorumController id={self.ctrl}] {msg}',
                      'org.apache.kafka.controller.QuorumController')

    def broker_label(self, b):
        return f'{self.c.hosts[b].split(".")[0]}/{self.c.ips[b]}:9092'

    def not_available(self):
        return 'Node may not be available.' if self.c.version_at_least(3, 7) else 'Broker may not be available.'

    def count(self, key, inc=1):
        self.counters[key] = self.counters.get(key, 0) + inc

    # ---------------------------------------------------------------- the run
    def run(self):
        self._dying = set()
        c = self.c
        prev_up = {b: True for b in c.brokers}
        for i, t in enumerate(self.times):
            self.i = i
            # 1. process transitions (crash / restart logs)
            for b in c.brokers:
                up = self.proc_up(b, t)
                if up != prev_up[b]:
                    (self.on_restart if up else self.on_stop)(b, t)
                prev_up[b] = up
            # 2. controller view: sessions lost long enough -> fenced; regained -> registered
            for b in c.brokers:
                ok = self.session_ok(b, t)
                if not ok:
                    self.lost_since.setdefault(b, t)
                    if b not in self.dead and t - self.lost_since[b] >= self.session_timeout():
                        self.fence(b, t)
                else:
                    self.lost_since.pop(b, None)
                    if b in self.dead:
                        self.unfence(b, t)
            for (tm, reason) in self.ctrl_moves:
                if t - STEP < tm <= t:
                    self.move_controller(tm, reason)
            for (tm, b) in self.zk_flaps:
                if t - STEP < tm <= t:
                    self.zk_session_expired(b, tm)
            for (tm, client, q) in self.quota_changes:
                if t - STEP < tm <= t:
                    self.set_quota(tm, client, q)
            # 3. replication
            self.replication(t)
            if (t - self.start) % AUTO_LEADER_MS == 0 and t > self.start:
                self.preferred_election(t)
            # 4. traffic, groups
            self.traffic(t)
            self.groups(t)
            # 5. background lines and scrape
            self.background(t)
            self.scrape(t)
        for s in self.scripts:
            s(self)
        return self

    # ---------------------------------------------------------------- broker lifecycle
    def on_stop(self, b, t):
        iv = within(self.down[b], t)
        how = iv[2] if iv else 'crash'
        c = self.c
        srv = 'KafkaServer' if c.mode == 'zookeeper' else 'BrokerServer'
        self._dying.add(b)
        ts = t - STEP + self.rng.randint(100, 3000)
        if how == 'controlled':
            self.klog(b, ts, 'INFO', f'[{srv} id={b}] shutting down', f'kafka.server.{srv}')
            self.klog(b, ts + 12, 'INFO', f'[{srv} id={b}] Starting controlled shutdown', f'kafka.server.{srv}')
            if c.mode == 'zookeeper':
                self.klog(b, ts + 900, 'INFO', f'[KafkaServer id={b}] Controlled shutdown request returned successfully '
                          f'after {self.rng.randint(300, 2500)}ms', 'kafka.server.KafkaServer')
            else:
                self.klog(b, ts + 900, 'INFO', f'[BrokerLifecycleManager id={b}] The controller has asked us to exit '
                          'controlled shutdown.', 'kafka.server.BrokerLifecycleManager')
            self.klog(b, ts + 2600, 'INFO', f'[{srv} id={b}] shut down completed', f'kafka.server.{srv}')
            # a controlled shutdown moves leadership first and leaves the ISRs at once
            self.fence(b, ts + 500, controlled=True)
        elif how == 'halt':
            pass  # the disk failure lines were written by the incident
        else:
            pass  # kill -9, OOM killer, kernel panic: nothing logged by the broker itself
        self._dying.discard(b)

    def on_restart(self, b, t):
        c = self.c
        srv = 'KafkaServer' if c.mode == 'zookeeper' else 'BrokerServer'
        ts = t - STEP + self.rng.randint(100, 2000)
        self.halted.discard(b)
        self.klog(b, ts, 'INFO', f'Registered kafka:type=kafka.Log4jController MBean', 'kafka.utils.Log4jControllerRegistration$')
        if c.mode == 'zookeeper':
            self.klog(b, ts + 400, 'INFO', f'[KafkaServer id={b}] starting', 'kafka.server.KafkaServer')
            self.klog(b, ts + 450, 'INFO', f'[KafkaServer id={b}] Connecting to zookeeper on {",".join(c.zk_hosts)}',
                      'kafka.server.KafkaServer')
        else:
            self.klog(b, ts + 400, 'INFO', f'[BrokerServer id={b}] Transition from SHUTDOWN to STARTING',
                      'kafka.server.BrokerServer')
        dirp = self.data_dir(b)
        for p in self.replicas_on(b)[:4]:
            self.klog(b, ts + 3000 + self.rng.randint(0, 4000), 'INFO',
                      f'[LogLoader partition={p.name}, dir={dirp}] Recovering unflushed segment {int(p.end_offset) - 40000}. '
                      f'0/1 recovered for {p.name}.', 'kafka.log.LogLoader')
        self.klog(b, ts + 9000, 'INFO', f'[{srv} id={b}] started' if c.mode == 'zookeeper' else
                  f'[BrokerServer id={b}] Transition from STARTING to STARTED', f'kafka.server.{srv}')

    def data_dir(self, b):
        return self.c.data_dir.format(b=b)

    def replicas_on(self, b):
        return [p for p in self.c.partitions() if b in p.replicas]

    def fence(self, b, t, controlled=False):
        """The controller no longer sees broker b: leaders move to the next ISR member, b leaves every ISR."""
        if b in self.dead:
            return
        self.dead.add(b)
        c = self.c
        ts = t + self.rng.randint(5, 400)
        if b == self.ctrl:
            self.elect_controller(ts + 300, exclude={b}, reason='the controller broker went away')
        if c.mode == 'zookeeper':
            alive = sorted(x for x in c.brokers if x not in self.dead)
            self.ctrl_log(ts, 'INFO', f'Newly added brokers: , deleted brokers: {b}, bounced brokers: , '
                          f'all live brokers: {",".join(map(str, alive))}')
            self.ctrl_log(ts + 2, 'INFO', f'Broker failure callback for {b}')
        elif not controlled:
            self.ctrl_log(ts, 'INFO', f'Fencing broker {b} because its session has timed out.')
        moved = []
        for p in c.partitions():
            if p.leader == b:
                cands = [r for r in p.replicas if r in p.isr and r != b and r not in self.dead]
                old = p.leader
                p.leader = cands[0] if cands else None
                p.epoch += 1
                if b in p.isr and len(p.isr) > 1:
                    p.isr = [r for r in p.isr if r != b]
                p.version += 1
                moved.append((p, old))
                self.count(('elections',), 1)
            elif b in p.isr:
                p.isr = [r for r in p.isr if r != b]
                p.version += 1
        for p, old in moved:
            if p.leader is not None:
                self.klog(p.leader, ts + self.rng.randint(20, 900), 'INFO',
                          f'[Broker id={p.leader}] Leader {p.name} with topic id Some({topic_id_of(p)}) starts at leader '
                          f'epoch {p.epoch} from offset {int(p.end_offset)} with partition epoch {p.version}, high '
                          f'watermark {int(p.end_offset)}, ISR [{",".join(map(str, p.isr))}], adding replicas [] and '
                          f'removing replicas [] {"(under-min-isr)" if len(p.isr) < c.topic(p.topic).min_isr else ""}. '
                          f'Previous leader Some({old}) and previous leader epoch was {p.epoch - 1}.',
                          'state.change.logger', 'state')
            elif c.mode == 'zookeeper':
                self.klog(self.ctrl, ts + 40, 'ERROR', f'[Controller id={self.ctrl} epoch={self.ctrl_epoch}] Controller '
                          f'{self.ctrl} epoch {self.ctrl_epoch} failed to change state for partition {p.name} from '
                          f'OnlinePartition to OnlinePartition', 'state.change.logger', 'state')
        if moved and c.mode == 'zookeeper':
            offline = [p for p, _ in moved if p.leader is None]
            if offline:
                self.count(('offline_events',), len(offline))

    def unfence(self, b, t):
        self.dead.discard(b)
        c = self.c
        ts = t + self.rng.randint(5, 500)
        if c.mode == 'zookeeper':
            alive = sorted(x for x in c.brokers if x not in self.dead)
            self.ctrl_log(ts, 'INFO', f'Newly added brokers: {b}, deleted brokers: , bounced brokers: , '
                          f'all live brokers: {",".join(map(str, alive))}')
            self.ctrl_log(ts + 3, 'INFO', f'New broker startup callback for {b}')
        else:
            off = self.rng.randint(10 ** 5, 10 ** 7)
            self.ctrl_log(ts, 'INFO', f'Replayed RegisterBrokerRecord establishing a new incarnation of broker {b}: '
                          f'RegisterBrokerRecord(brokerId={b}, isMigratingZkBroker=false, incarnationId='
                          f'{self.rng.getrandbits(64):016x}, brokerEpoch={off}, rack=\'{c.racks[b]}\', fenced=true, '
                          f'inControlledShutdown=false)')
            self.klog(self.ctrl, ts + 2000, 'INFO', f'[BrokerHeartbeatManager id={self.ctrl}] The request from broker {b} to '
                      f'unfence has been granted because it has caught up with the offset of its register broker '
                      f'record {off}.', 'org.apache.kafka.controller.BrokerHeartbeatManager')
        # Offline partitions whose last ISR member came back get it as leader (clean election).
        for p in c.partitions():
            if p.leader is None and b in p.isr:
                p.leader = b
                p.epoch += 1
                self.count(('elections',), 1)

    def elect_controller(self, t, exclude=(), reason=''):
        c = self.c
        if c.mode == 'zookeeper':
            cands = [b for b in c.brokers if b not in exclude and b not in self.dead and self.proc_up(b, t)]
            if not cands:
                return
            old = self.ctrl
            new = self.rng.choice([x for x in cands if x != old] or cands)
            if self.proc_up(old, t) and old not in exclude:
                self.klog(old, t, 'INFO', f'[Controller id={old}] Resigned', 'kafka.controller.KafkaController',
                          'controller')
            self.ctrl = new
            self.ctrl_epoch += 1
            self.klog(new, t + 150, 'INFO', f'[Controller id={new}] {new} successfully elected as the controller. '
                      f'Epoch incremented to {self.ctrl_epoch} and epoch zk version is now {self.ctrl_epoch}',
                      'kafka.controller.KafkaController', 'controller')
            self.klog(new, t + 170, 'INFO', f'[Controller id={new}] Registering handlers',
                      'kafka.controller.KafkaController', 'controller')
            self.klog(new, t + 900, 'INFO', f'[Controller id={new}] Ready to serve as the new controller with epoch '
                      f'{self.ctrl_epoch}', 'kafka.controller.KafkaController', 'controller')
            self.count(('ctrl_changes',), 1)
            self._elections.append(t)
        else:
            cands = [x for x in c.controllers if x not in exclude]
            old = self.ctrl
            new = self.rng.choice([x for x in cands if x != old] or cands)
            self.raft_epoch += 1
            cand_line = (f'Completed transition to CandidateState(localId={new}, epoch={self.raft_epoch}, retries=1, '
                         f'voteStates={{{",".join(f"{v}=UNRECORDED" for v in c.controllers)}}}, highWatermark='
                         f'Optional[LogOffsetMetadata(offset={self.rng.randint(10 ** 5, 10 ** 7)}, metadata=Optional.empty)], '
                         f'electionTimeoutMs={self.rng.randint(1000, 2000)}) from FollowerState(fetchTimeoutMs=2000, '
                         f'epoch={self.raft_epoch - 1}, leaderId={old}, voters=[{", ".join(map(str, c.controllers))}], '
                         f'highWatermark=Optional.empty, fetchingSnapshot=Optional.empty)')
            self.klog(new, t, 'INFO', f'[RaftManager id={new}] {cand_line}', 'org.apache.kafka.raft.QuorumState')
            self.ctrl = new
            self.ctrl_log(t + 200, 'INFO', f'Becoming the active controller at epoch {self.raft_epoch}, next write '
                          f'offset {self.rng.randint(10 ** 5, 10 ** 7)}.')
            for x in c.controllers:
                if x != new:
                    self.klog(x, t + 210 + self.rng.randint(0, 300), 'INFO', f'[QuorumController id={x}] In the new '
                              f'epoch {self.raft_epoch}, the leader is {new}.', 'org.apache.kafka.controller.QuorumController')
            self.count(('ctrl_changes',), 1)
            self._elections.append(t)

    def move_controller(self, t, reason):
        self.elect_controller(t, exclude={self.ctrl} if reason == 'resign' else (), reason=reason)

    def zk_session_expired(self, b, t):
        if self.c.mode != 'zookeeper' or not self.proc_up(b, t):
            return
        sid = f'0x{self.rng.getrandbits(48):x}'
        zk = self.rng.choice(self.c.zk_hosts).replace(':2181', '')
        self.klog(b, t - 6000, 'WARN', f'Client session timed out, have not heard from server in '
                  f'{self.rng.randint(12000, 19000)}ms for session id {sid}', 'org.apache.zookeeper.ClientCnxn')
        self.klog(b, t - 5990, 'WARN', f'Session {sid} for server {zk}/10.0.9.{self.rng.randint(2, 9)}:2181, Closing socket '
                  f'connection. Attempting reconnect except it is a SessionExpiredException.',
                  'org.apache.zookeeper.ClientCnxn')
        self.klog(b, t, 'INFO', '[ZooKeeperClient Kafka server] Session expired.', 'kafka.zookeeper.ZooKeeperClient')
        self.klog(b, t + 40, 'INFO', f'[ZooKeeperClient Kafka server] Initializing a new session to '
                  f'{",".join(self.c.zk_hosts)}.', 'kafka.zookeeper.ZooKeeperClient')
        self.count(('zk_expires', b), 1)
        if b == self.ctrl:
            self.elect_controller(t + 500, exclude={b}, reason='session expired')

    def set_quota(self, t, client, q):
        self.quota[client] = q
        c = self.c
        for b in c.brokers:
            if not self.proc_up(b, t):
                continue
            ts = t + self.rng.randint(50, 900)
            if c.mode == 'zookeeper':
                conf = f'HashMap(producer_byte_rate -> {int(q)})' if q else 'HashMap()'
                self.klog(b, ts, 'INFO', f'Processing override for entityPath: clients/{client} with config: {conf}',
                          'kafka.server.DynamicConfigManager')
            else:
                self.klog(b, ts, 'INFO', f'[BrokerMetadataPublisher id={b}] Updating client quota for '
                          f'client-id={client}: producer_byte_rate -> {int(q) if q else "removed"}',
                          'kafka.server.metadata.BrokerMetadataPublisher')

    # ---------------------------------------------------------------- replication
    def replication(self, t):
        c = self.c
        errs = {}
        for p in c.partitions():
            L = p.leader
            topic = c.topic(p.topic)
            for r in p.replicas:
                if r == L or L is None:
                    continue
                key = (p.name, r)
                ok = self.fetch_ok(r, L, t)
                if r in p.isr:
                    if ok:
                        self.lag_since.pop(key, None)
                        continue
                    since = self.lag_since.setdefault(key, t - self.rng.randint(0, STEP))
                    if self.proc_up(r, t) and not self.reach(r, L, t):
                        errs.setdefault((r, L), []).append(p)
                    if t - since >= LAG_MAX_MS and self.proc_up(L, t) and L not in self.halted and \
                            self.gc_int(L, t) < 0.95:
                        self.shrink(p, r, t, topic, leader_isolated=bool(self.iso(L, t) and self.iso(L, t)[2]))
                else:
                    if not ok or r in self.dead:
                        self.back_since.pop(key, None)
                        if self.proc_up(r, t) and not self.reach(r, L, t):
                            errs.setdefault((r, L), []).append(p)
                        continue
                    since = self.back_since.setdefault(key, t)
                    if t - since >= self.catchup_ms(p, r) and self.proc_up(L, t) and not self.iso(L, t):
                        self.expand(p, r, t, topic)
        # Followers that cannot reach their leader retry with backoff: a line pair every 10-30 s per fetcher.
        for (f, L), parts in errs.items():
            last = self.last_fetch_err.get((f, L), 0)
            if t - last < self.rng.randint(10_000, 30_000):
                continue
            self.last_fetch_err[(f, L)] = t
            ts = self.jitter(t)
            pref = f'[ReplicaFetcher replicaId={f}, leaderId={L}, fetcherId=0]'
            if self.proc_up(L, t) and not self.iso(f, t) and not self.iso(L, t):
                continue
            self.klog(f, ts, 'INFO', f'{pref} Disconnecting from node {L} due to socket connection setup timeout. '
                      f'The timeout value is {self.rng.choice([10000, 12000, 17000, 27000])} ms.',
                      'org.apache.kafka.clients.NetworkClient')
            self.klog(f, ts + 3, 'WARN', f'{pref} Connection to node {L} ({self.broker_label(L)}) could not be '
                      f'established. {self.not_available()}', 'org.apache.kafka.clients.NetworkClient')
            stack = (STACK_CONNECT_TIMEOUT if self.rng.random() < 0.5 else STACK_DISCONNECT).format(n=L)
            self.klog(f, ts + 5, 'WARN', f'{pref} Error in response for fetch request '
                      f'{fetch_request(self.rng, f, parts)}{stack}', 'kafka.server.ReplicaFetcherThread')

    def catchup_ms(self, p, r):
        return 8_000 + zlib.crc32(f'{p.name}/{r}'.encode()) % 40_000

    def shrink(self, p, r, t, topic, leader_isolated=False):
        L = p.leader
        old = list(p.isr)
        new = [x for x in old if x != r]
        ts = self.jitter(t)
        hw = int(p.end_offset)
        self.klog(L, ts, 'INFO', f'[Partition {p.name} broker={L}] Shrinking ISR from {",".join(map(str, old))} to '
                  f'{",".join(map(str, new))}. Leader: (highWatermark: {hw}, endOffset: {hw + self.rng.randint(1, 900)}). '
                  f'Out of sync replicas: (brokerId: {r}, endOffset: {hw - self.rng.randint(100, 90000)}, '
                  f'lastCaughtUpTimeMs: {t - LAG_MAX_MS - self.rng.randint(0, 9000)}).', 'kafka.cluster.Partition')
        self.lag_since.pop((p.name, r), None)
        if leader_isolated:
            self.klog(L, ts + 30_000, 'WARN', f'[Partition {p.name} broker={L}] Failed to update ISR to '
                      f'PendingShrinkIsr(outOfSyncReplicaIds={r}, sentLeaderAndIsr=LeaderAndIsr(leader={L}, '
                      f'leaderEpoch={p.epoch}, isr={",".join(map(str, new))}, partitionEpoch={p.version})) due to '
                      f'unexpected REQUEST_TIMED_OUT. Retrying.', 'kafka.cluster.Partition')
            return
        p.isr = new
        p.version += 1
        under = len(new) < topic.min_isr
        self.klog(L, ts + self.rng.randint(3, 40), 'INFO', f'[Partition {p.name} broker={L}] ISR updated to '
                  f'{",".join(map(str, new))} {"(under-min-isr) " if under else ""}and version updated to {p.version}',
                  'kafka.cluster.Partition')
        self.count(('isr_shrinks', L), 1)

    def expand(self, p, r, t, topic):
        L = p.leader
        p.isr = [x for x in p.replicas if x in p.isr or x == r]
        p.version += 1
        self.back_since.pop((p.name, r), None)
        self.klog(L, self.jitter(t), 'INFO', f'[Partition {p.name} broker={L}] ISR updated to '
                  f'{",".join(map(str, p.isr))} and version updated to {p.version}', 'kafka.cluster.Partition')
        self.count(('isr_expands', L), 1)

    def preferred_election(self, t):
        c = self.c
        todo = [p for p in c.partitions() if p.leader != p.replicas[0] and p.replicas[0] in p.isr
                and p.replicas[0] not in self.dead and self.session_ok(p.replicas[0], t)]
        if c.mode == 'zookeeper':
            self.ctrl_log(t - 10_000, 'INFO', 'Processing automatic preferred replica leader election')
        if not todo:
            return
        ts = t - 9_000
        if c.mode == 'zookeeper':
            self.ctrl_log(ts, 'INFO', f'Starting replica leader election (PREFERRED) for partitions '
                          f'{",".join(p.name for p in todo)} triggered by AutoTriggered')
        for p in todo:
            old = p.leader
            p.leader = p.replicas[0]
            p.epoch += 1
            self.count(('elections',), 1)
            self.klog(p.leader, ts + self.rng.randint(50, 800), 'INFO',
                      f'[Broker id={p.leader}] Leader {p.name} with topic id Some({topic_id_of(p)}) starts at leader '
                      f'epoch {p.epoch} from offset {int(p.end_offset)} with partition epoch {p.version}, high '
                      f'watermark {int(p.end_offset)}, ISR [{",".join(map(str, p.isr))}], adding replicas [] and '
                      f'removing replicas [] . Previous leader Some({old}) and previous leader epoch was {p.epoch - 1}.',
                      'state.change.logger', 'state')

    # ---------------------------------------------------------------- traffic
    def diurnal(self, t):
        h = (t / 3.6e6) % 24
        return 0.75 + 0.25 * math.sin((h - 9) / 24 * 2 * math.pi)

    def client_mult(self, client, t):
        iv = within(self.client_factor.get(client, []), t)
        return iv[2] if iv else 1.0

    def traffic(self, t):
        """Produce into every partition for one scrape interval; record bytes per broker and failures."""
        c, dt = self.c, STEP / 1000
        self.tick_bytes_in = {b: {} for b in c.brokers}
        self.tick_msgs_in = {b: {} for b in c.brokers}
        self.tick_failed = {b: {} for b in c.brokers}
        self.tick_part_rate = {}
        self.throttle = {}
        client_demand = {}
        for pr in c.producers:
            for tn in pr.topics:
                topic = c.topic(tn)
                base = topic.rate * self.diurnal(t) * pr.share * self.client_mult(pr.client_id, t)
                client_demand.setdefault(pr.client_id, []).append((topic, base))
        # per broker demand of each client (quotas are per broker)
        for pr in c.producers:
            per_broker = {}
            for topic, rate in client_demand.get(pr.client_id, []):
                weights = self.partition_weights(topic, t)
                for p, w in zip(topic.partitions, weights):
                    if p.leader is not None:
                        per_broker[p.leader] = per_broker.get(p.leader, 0) + rate * w * topic.msg_bytes
            q = self.quota.get(pr.client_id)
            for b, demand in per_broker.items():
                thr = 0.0
                if q and demand > q:
                    thr = min(30000.0, (demand / q - 1.0) * 1000.0 * self.rng.uniform(0.9, 1.1))
                self.throttle[(pr.client_id, b)] = (thr, min(demand, q) if q else demand)
        for topic in c.topics:
            weights = self.partition_weights(topic, t)
            total = 0.0
            for pr in c.producers:
                if topic.name in pr.topics:
                    rate = topic.rate * self.diurnal(t) * pr.share * self.client_mult(pr.client_id, t)
                    if self.quota.get(pr.client_id):
                        # throttled clients are slowed to the quota on the brokers where they exceed it
                        ratios = [self.throttle.get((pr.client_id, b), (0, 0)) for b in c.brokers]
                        if any(r[0] > 0 for r in ratios):
                            rate *= 1.0 / (1.0 + max(r[0] for r in ratios) / 1000.0)
                    total += rate
            total *= self.rng.uniform(0.93, 1.07)
            for p, w in zip(topic.partitions, weights):
                rate = total * w
                L = p.leader
                ok = L is not None and self.proc_up(L, t) and L not in self.halted and not (
                    self.iso(L, t) and self.iso(L, t)[2] and L in self.dead)
                if ok and len(p.isr) < topic.min_isr:
                    # acks=all producers are refused: NotEnoughReplicas
                    self.tick_failed[L][topic.name] = self.tick_failed[L].get(topic.name, 0) + rate * dt / 20
                    self.count(('nerr', p.name), rate * dt / 20)
                    ok = False
                if not ok:
                    self.tick_part_rate[p.name] = 0.0
                    continue
                n = rate * dt
                p.end_offset += n
                p.size += n * topic.msg_bytes
                self.tick_part_rate[p.name] = rate
                self.tick_bytes_in[L][topic.name] = self.tick_bytes_in[L].get(topic.name, 0) + n * topic.msg_bytes
                self.tick_msgs_in[L][topic.name] = self.tick_msgs_in[L].get(topic.name, 0) + n

    def partition_weights(self, topic, t):
        n = len(topic.partitions)
        w = [1.0 + 0.04 * math.sin(t / 7e5 + i) for i in range(n)]
        for (f, to, tn, pid, factor) in self.hot:
            if tn == topic.name and f <= t < to:
                ramp = min(1.0, (t - f) / 300_000)
                w[pid] *= 1.0 + (factor - 1.0) * ramp
        s = sum(w)
        return [x / s for x in w]

    # ---------------------------------------------------------------- consumer groups
    def groups(self, t):
        c, dt = self.c, STEP / 1000
        for g in c.groups:
            factor = 1.0
            iv = within(self.group_factor[g.id], t)
            if iv:
                factor = iv[2]
            reb = self.rebalancing.get(g.id)
            storm = within(self.group_storm[g.id], t)
            if storm and not reb and self.rng.random() < STEP / storm[2]:
                self.rebalance(g, t, storm=True)
            for d in self.group_deploy[g.id]:
                if d <= t < d + STEP * len(g.members) * 3 and (t - d) % (STEP * 3) == 0:
                    self.rebalance(g, t, deploy=True)
            coord = c.coordinator(g)
            if coord in self.dead or not self.proc_up(coord, t):
                self.move_coordinator(g, t)
            reb = self.rebalancing.get(g.id)
            if reb and t >= reb[0]:
                self.stabilize(g, reb[0] if reb[0] > t - STEP else t)
                reb = None
            parts = [p for tn in g.topics for p in c.topic(tn).partitions]
            m_cap = g.capacity * factor / max(1, len(g.members))
            for p in parts:
                key = (g.id, p.name)
                lag = self.lag.get(key, self.rng.uniform(0, 40))
                lag += self.tick_part_rate.get(p.name, 0.0) * dt
                readable = p.leader is not None and self.proc_up(p.leader, t) and not (
                    self.iso(p.leader, t) and p.leader not in self.dead)
                if reb or not readable:
                    self.lag[key] = lag
                    continue
                cap_p = min(m_cap, g.capacity * factor / len(parts) * 3.0) * dt
                consumed = min(lag - self.rng.uniform(0, 30), cap_p)
                self.lag[key] = max(0.0, lag - max(0.0, consumed))

    def rebalance(self, g, t, storm=False, deploy=False, reason=None):
        c = self.c
        coord = c.coordinator(g)
        op = g.coordinator_partition
        ts = self.jitter(t)
        member = self.rng.choice(g.members)
        mid = f'{member}-{self.rng.getrandbits(128):032x}'
        mid = f'{mid[:len(member)+1]}{mid[len(member)+1:len(member)+9]}-{mid[len(member)+9:len(member)+13]}-' \
              f'{mid[len(member)+13:len(member)+17]}-{mid[len(member)+17:len(member)+21]}-{mid[len(member)+21:]}'
        if reason is None:
            if storm:
                reason = self.rng.choice([
                    f'removing member {mid} on heartbeat expiration',
                    f'Adding new member {mid} with group instance id None; client reason: rebalance failed due to '
                    f'MemberIdRequiredException',
                    f'Removing member {mid} on LeaveGroup; client reason: consumer poll timeout has expired.',
                ])
            elif deploy:
                reason = self.rng.choice([
                    f'Removing member {mid} on LeaveGroup; client reason: the consumer is being closed',
                    f'Adding new member {mid} with group instance id None; client reason: need to re-join with the '
                    f'given member-id: {mid}'])
            else:
                reason = f'removing member {mid} on heartbeat expiration'
        if 'heartbeat expiration' in reason:
            self.klog(coord, ts - 3, 'INFO', f'[GroupCoordinator {coord}]: Member {mid} in group {g.id} has failed, '
                      f'removing it from the group', 'kafka.coordinator.group.GroupCoordinator')
        self.klog(coord, ts, 'INFO', f'[GroupCoordinator {coord}]: Preparing to rebalance group {g.id} in state '
                  f'{"PreparingRebalance" if g.id in self.rebalancing else "Stable"} with old generation {self.gen[g.id]} '
                  f'(__consumer_offsets-{op}) (reason: {reason})', 'kafka.coordinator.group.GroupCoordinator')
        dur = self.rng.randint(3_000, 12_000) if not storm else self.rng.randint(8_000, 45_000)
        self.rebalancing[g.id] = (ts + dur, reason)
        self.count(('rebalances', g.id), 1)
        # the members see it too
        for i, mem in enumerate(g.members[:3]):
            at = ts + self.rng.randint(200, 3000)
            pref = f'[Consumer clientId={mem}, groupId={g.id}]'
            self.streams.app(g.app, i, at, 'INFO', 'ntainer#0-0-C-1',
                             'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
                             f'{pref} Request joining group due to: group is already rebalancing')
            self.streams.app(g.app, i, at + 5, 'INFO', 'ntainer#0-0-C-1',
                             'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
                             f'{pref} Revoke previously assigned partitions '
                             f'{", ".join(p.name for tn in g.topics for p in self.c.topic(tn).partitions[i::3])}')
            self.streams.app(g.app, i, at + 9, 'INFO', 'ntainer#0-0-C-1',
                             'org.apache.kafka.clients.consumer.internals.AbstractCoordinator',
                             f'{pref} (Re-)joining group')

    def stabilize(self, g, t):
        c = self.c
        coord = c.coordinator(g)
        self.gen[g.id] += 1
        n = len(g.members) if self.rng.random() < 0.85 else max(1, len(g.members) - 1)
        self.members_now[g.id] = n
        self.klog(coord, t, 'INFO', f'[GroupCoordinator {coord}]: Stabilized group {g.id} generation {self.gen[g.id]} '
                  f'(__consumer_offsets-{g.coordinator_partition}) with {n} members',
                  'kafka.coordinator.group.GroupCoordinator')
        self.klog(coord, t + self.rng.randint(2, 40), 'INFO', f'[GroupCoordinator {coord}]: Assignment received from '
                  f'leader {g.members[0]}-{self.rng.getrandbits(32):08x} for group {g.id} for generation '
                  f'{self.gen[g.id]}. The group has {n} members, 0 of which are static.',
                  'kafka.coordinator.group.GroupCoordinator')
        for i, mem in enumerate(g.members[:3]):
            pref = f'[Consumer clientId={mem}, groupId={g.id}]'
            self.streams.app(g.app, i, t + self.rng.randint(20, 400), 'INFO', 'ntainer#0-0-C-1',
                             'org.apache.kafka.clients.consumer.internals.AbstractCoordinator',
                             f'{pref} Successfully joined group with generation Generation{{generationId='
                             f'{self.gen[g.id]}, memberId=\'{mem}-{self.rng.getrandbits(32):08x}\', protocol=\'range\'}}')
        del self.rebalancing[g.id]

    def move_coordinator(self, g, t):
        c = self.c
        alive = [b for b in c.brokers if b not in self.dead and self.proc_up(b, t)]
        if not alive:
            return
        old = c.coordinator(g)
        new = alive[(g.coordinator_partition) % len(alive)]
        c.offsets_leaders[g.coordinator_partition] = new
        op = g.coordinator_partition
        ts = self.jitter(t)
        self.klog(new, ts, 'INFO', f'[GroupCoordinator {new}]: Elected as the group coordinator for partition {op} in '
                  f'epoch {self.rng.randint(10, 60)}', 'kafka.coordinator.group.GroupCoordinator')
        self.klog(new, ts + 300, 'INFO', f'[GroupMetadataManager brokerId={new}] Finished loading offsets and group '
                  f'metadata from __consumer_offsets-{op} in {self.rng.randint(40, 900)} milliseconds for epoch '
                  f'{self.rng.randint(10, 60)}, of which 1 milliseconds was spent in the scheduler.',
                  'kafka.coordinator.group.GroupMetadataManager')
        for i, mem in enumerate(g.members[:3]):
            self.streams.app(g.app, i, ts - self.rng.randint(500, 9000), 'INFO', 'ntainer#0-0-C-1',
                             'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
                             f'[Consumer clientId={mem}, groupId={g.id}] Group coordinator '
                             f'{c.hosts[old].split(".")[0]}:9092 (id: {2147483647 - old} rack: null) is unavailable or '
                             f'invalid due to cause: coordinator unavailable. isDisconnected: true. Rediscovery will be '
                             f'attempted.')
            self.streams.app(g.app, i, ts + self.rng.randint(500, 3000), 'INFO', 'ntainer#0-0-C-1',
                             'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
                             f'[Consumer clientId={mem}, groupId={g.id}] Discovered group coordinator '
                             f'{c.hosts[new].split(".")[0]}:9092 (id: {2147483647 - new} rack: null)')

    # ---------------------------------------------------------------- routine lines
    def background(self, t):
        c, rng = self.c, self.rng
        for b in c.brokers:
            if not self.proc_up(b, t) or b in self.halted:
                continue
            d = self.data_dir(b)
            for p in c.partitions():
                if p.leader != b:
                    continue
                seg = 1 << 30
                rate = self.tick_part_rate.get(p.name, 0) * c.topic(p.topic).msg_bytes
                if rng.random() < rate * STEP / 1000 / seg * 1.0:
                    ts = self.jitter(t)
                    self.klog(b, ts, 'INFO', f'[LocalLog partition={p.name}, dir={d}] Rolled new log segment at offset '
                              f'{int(p.end_offset)} in {rng.randint(0, 6)} ms.', 'kafka.log.LocalLog')
                    self.klog(b, ts + 1, 'INFO', f'[ProducerStateManager partition={p.name}] Wrote producer snapshot at '
                              f'offset {int(p.end_offset)} with {rng.randint(0, 4)} producer ids in {rng.randint(0, 3)} ms.',
                              'org.apache.kafka.storage.internals.log.ProducerStateManager')
                    if rng.random() < 0.6:
                        base = int(p.start_offset)
                        ts2 = ts + rng.randint(30_000, 290_000)
                        self.klog(b, ts2, 'INFO', f'[UnifiedLog partition={p.name}, dir={d}] Deleting segment '
                                  f'LogSegment(baseOffset={base}, size={seg - rng.randint(0, 10 ** 6)}, lastModifiedTime='
                                  f'{ts2 - 604800000 - rng.randint(0, 10 ** 7)}, largestRecordTimestamp=Some('
                                  f'{ts2 - 604800000 - rng.randint(0, 10 ** 7)})) due to log retention time 604800000ms '
                                  f'breach based on the largest record timestamp in the segment', 'kafka.log.UnifiedLog')
                        p.start_offset += rng.randint(10 ** 5, 10 ** 6)
            if (t // STEP) % 40 == b % 40:   # every 10 minutes
                self.klog(b, self.jitter(t), 'INFO', f'[GroupMetadataManager brokerId={b}] Removed {rng.randint(0, 12)} '
                          f'expired offsets in {rng.randint(0, 3)} milliseconds.',
                          'kafka.coordinator.group.GroupMetadataManager')
            if rng.random() < 0.02:
                leaders = [x for x in c.brokers if x != b and self.proc_up(x, t)]
                if leaders:
                    L = rng.choice(leaders)
                    self.klog(b, self.jitter(t), 'INFO', f'[ReplicaFetcher replicaId={b}, leaderId={L}, fetcherId=0] '
                              f'Node {L} was unable to process the fetch request with (sessionId={rng.randint(10 ** 8, 2 ** 31)}, '
                              f'epoch={rng.randint(1, 90000)}): FETCH_SESSION_ID_NOT_FOUND.',
                              'org.apache.kafka.clients.FetchSessionHandler')
            if rng.random() < 0.012:
                lst = 'ZK_BROKER' if c.mode == 'zookeeper' else 'BROKER'
                ip = f'10.{rng.randint(0, 250)}.{rng.randint(0, 250)}.{rng.randint(2, 250)}'
                self.klog(b, self.jitter(t), 'WARN', f'[SocketServer listenerType={lst}, nodeId={b}] Unexpected error from '
                          f'/{ip} (channelId={c.ips[b]}:9092-{ip}:{rng.randint(30000, 60000)}-{rng.randint(1, 900)}); '
                          f'closing connection', 'org.apache.kafka.common.network.Selector')
            if rng.random() < 0.01:
                self.klog(b, self.jitter(t), 'INFO', f'[kafka-log-cleaner-thread-0]: Log cleaner thread 0 cleaned log '
                          f'__consumer_offsets-{rng.randint(0, 49)} (dirty section = [{rng.randint(10 ** 5, 10 ** 6)}, '
                          f'{rng.randint(10 ** 6, 2 * 10 ** 6)}])', 'kafka.log.LogCleaner')
            if rng.random() < 0.03:
                # __consumer_offsets and the KRaft metadata log roll much more often than data segments
                op = rng.randint(0, 49)
                self.klog(b, self.jitter(t), 'INFO', f'[LocalLog partition=__consumer_offsets-{op}, dir={d}] Rolled new '
                          f'log segment at offset {rng.randint(10 ** 6, 10 ** 8)} in {rng.randint(0, 4)} ms.',
                          'kafka.log.LocalLog')
            if rng.random() < 0.015:
                ip = f'10.{rng.randint(0, 250)}.{rng.randint(0, 250)}.{rng.randint(2, 250)}'
                lst = 'ZK_BROKER' if c.mode == 'zookeeper' else 'BROKER'
                self.klog(b, self.jitter(t), 'INFO', f'[SocketServer listenerType={lst}, nodeId={b}] Failed authentication '
                          f'with /{ip} (channelId={c.ips[b]}:9093-{ip}:{rng.randint(30000, 60000)}-{rng.randint(1, 900)}) '
                          f'(SSL handshake failed)', 'org.apache.kafka.common.network.Selector')
            if c.mode == 'kraft' and (t // STEP) % 240 == (b * 37) % 240:
                self.klog(b, self.jitter(t), 'INFO', f'[BrokerMetadataSnapshotter id={b}] Creating a new snapshot at '
                          f'offset {rng.randint(10 ** 5, 10 ** 7)}...', 'kafka.server.metadata.BrokerMetadataSnapshotter')
        # an operator peeks at a topic with the console consumer: a short-lived group joins, rebalances and leaves
        if rng.random() < 0.004:
            b = rng.choice([x for x in c.brokers if self.proc_up(x, t)] or c.brokers)
            gid = f'console-consumer-{rng.randint(10000, 99999)}'
            mid = f'console-consumer-{rng.getrandbits(128):032x}'
            ts = self.jitter(t)
            op = rng.randint(0, 49)
            for dtm, msg in ((0, f'Dynamic member with unknown member id joins group {gid} in Empty state. Created a new '
                                 f'member id {mid} and request the member to rejoin with this id.'),
                             (15, f'Preparing to rebalance group {gid} in state PreparingRebalance with old generation 0 '
                                  f'(__consumer_offsets-{op}) (reason: Adding new member {mid} with group instance id '
                                  f'None; client reason: need to re-join with the given member-id: {mid})'),
                             (3020, f'Stabilized group {gid} generation 1 (__consumer_offsets-{op}) with 1 members'),
                             (rng.randint(20_000, 200_000), f'Member MemberMetadata(memberId={mid}, groupInstanceId=None, '
                                                            f'clientId=console-consumer, clientHost=/10.0.{rng.randint(0, 9)}.'
                                                            f'{rng.randint(2, 250)}, sessionTimeoutMs=45000, '
                                                            f'rebalanceTimeoutMs=300000, supportedProtocols=List(range, '
                                                            f'cooperative-sticky)) has left group {gid} through explicit '
                                                            f'`LeaveGroup`; client reason: the consumer is being closed')):
                self.klog(b, ts + dtm, 'INFO', f'[GroupCoordinator {b}]: {msg}', 'kafka.coordinator.group.GroupCoordinator')
        # apps: periodic summaries and health probes
        for ai, app in enumerate(c.apps):
            if (t // STEP) % 4 == ai % 4:
                grp = next((g for g in c.groups if g.app == app), None)
                if grp:
                    done = sum(self.tick_part_rate.get(p.name, 0) for tn in grp.topics
                               for p in c.topic(tn).partitions) * 60 / max(1, len(grp.members))
                    if grp.id in self.rebalancing:
                        done *= 0.2
                    self.streams.app(app, 0, self.jitter(t), 'INFO', 'scheduling-1', f'com.example.{app.split("-")[0]}.'
                                     f'metrics.ThroughputReporter', f'Processed {int(done)} records in the last 60s '
                                     f'(avg latency {rng.randint(3, 40)} ms)')
                else:
                    self.streams.app(app, 0, self.jitter(t), 'INFO', 'scheduling-1', f'com.example.{app.split("-")[0]}.'
                                     f'metrics.ThroughputReporter', f'Published {rng.randint(8000, 90000)} events in the '
                                     f'last 60s')
            if rng.random() < 0.08:
                self.streams.app(app, rng.randint(0, 1), self.jitter(t), 'DEBUG', 'http-nio-8080-exec-' +
                                 str(rng.randint(1, 9)), 'o.s.web.servlet.DispatcherServlet',
                                 'Completed 200 OK for GET "/actuator/health/liveness"')

    # ---------------------------------------------------------------- what the exporters read
    def within_host_up(self, b, t):
        return within(self.host_down[b], t) is None

    def load(self, b):
        """Share of the broker's capacity used by produce traffic (0..1)."""
        tot = sum(self.tick_bytes_in.get(b, {}).values()) / (STEP / 1000)
        return min(0.95, tot / self.broker_capacity)

    def delta(self, key):
        """Increase of a counter since the previous scrape."""
        now = self.counters.get(key, 0)
        prev = self._seen.get(key, 0)
        self._seen[key] = now
        return now - prev

    def acks_waiting(self, b, t):
        """acks=all produce requests on b wait for a follower that stopped fetching (until the ISR shrinks)."""
        return any(self._leader_of.get(pn) == b for (pn, r) in self.lag_since)

    def max_follower_lag(self, b, t):
        worst = 0.0
        for p in self.c.partitions():
            if b in p.replicas and p.leader != b and p.leader is not None and b not in p.isr:
                worst = max(worst, self.rate_of(p) * 60)
            elif (p.name, b) in self.lag_since:
                worst = max(worst, self.rate_of(p) * (t - self.lag_since[(p.name, b)]) / 1000)
        return worst * (1 + 0.1 * self.rng.random())

    def rate_of(self, p):
        return self.tick_part_rate.get(p.name, 0.0)

    def ctrl_gap(self, t):
        """A scrape during a controller election sees no active controller."""
        return any(tm <= t < tm + 4000 for tm in self._elections)

    # ---------------------------------------------------------------- scrape
    def scrape(self, t):
        self._leader_of = {p.name: p.leader for p in self.c.partitions()}
        self.m.scrape(self, t)


def topic_id_of(p):
    from logs import topic_id
    return topic_id(p.topic)
