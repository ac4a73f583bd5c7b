"""Log lines as Apache Kafka 3.x and Spring Boot services write them, and the Loki streams they land in.

Kafka lines use the broker's default log4j layout `[%d] %p %m (%c)%n` (config/log4j.properties), with the logIdent
prefixes of the classes that write them. Message texts are the ones in Apache Kafka's source (branches 3.4-3.8):
  kafka.cluster.Partition              "[Partition T-P broker=N] Shrinking ISR from a,b,c to a,c. Leader: (...)."
                                       "[Partition T-P broker=N] ISR updated to a,b,c and version updated to V"
  kafka.server.AbstractFetcherThread   "[ReplicaFetcher replicaId=R, leaderId=L, fetcherId=0] Error in response for
                                        fetch request (type=FetchRequest, ...)"  (+ the IOException on the next line)
  org.apache.kafka.clients.NetworkClient "Connection to node N (host/ip:port) could not be established. Broker may not
                                        be available." (3.4-3.6; "Node may not be available." from 3.7),
                                       "Disconnecting from node N due to request timeout."
  org.apache.kafka.clients.FetchSessionHandler "Node N was unable to process the fetch request with (sessionId=..,
                                        epoch=..): FETCH_SESSION_ID_NOT_FOUND."
  kafka.controller.KafkaController     "[Controller id=C] Broker failure callback for N", "Newly added brokers: ...",
                                       "C successfully elected as the controller. Epoch incremented to E and epoch zk
                                        version is now V", "Resigned", "Processing automatic preferred replica leader
                                        election", "Starting replica leader election (PREFERRED) for partitions ..."
  org.apache.kafka.controller.QuorumController / ReplicationControlManager / BrokerHeartbeatManager (KRaft)
                                       "Becoming the active controller at epoch E, next write offset O.",
                                       "In the new epoch E, the leader is (none)."/"... is N.",
                                       "Fencing broker N because its session has timed out.",
                                       "The request from broker N to unfence has been granted because it has caught up
                                        with the offset of its register broker record O."
  org.apache.kafka.raft.QuorumState    "Completed transition to CandidateState(...) from FollowerState(...)"
  kafka.coordinator.group.GroupCoordinator "[GroupCoordinator N]: Preparing to rebalance group G in state S with old
                                        generation X (__consumer_offsets-P) (reason: R)", "Stabilized group G
                                        generation X (__consumer_offsets-P) with M members", "Member M in group G has
                                        failed, removing it from the group", "Dynamic member with unknown member id
                                        joins group G in S state. Created a new member id M and request the member to
                                        rejoin with this id."
  LogDirFailureChannel / LogManager / ReplicaManager "Error while appending records to T-P in dir D" + "java.io.
                                        IOException: No space left on device", "Stopping serving logs in dir D",
                                       "[ReplicaManager broker=N] Stopping serving replicas in dir D", "Shutdown broker
                                        because all log dirs in D have failed" (ZK), "Halting broker because dir D is
                                        offline" (KRaft)
  ReplicaManager                       "[ReplicaManager broker=N] Error processing append operation on partition T-P"
                                        + "NotEnoughReplicasException: The size of the current ISR Set(1) is
                                        insufficient to satisfy the min.isr requirement of 2 for partition T-P"
  kafka.zookeeper.ZooKeeperClient / org.apache.zookeeper.ClientCnxn "[ZooKeeperClient Kafka server] Session
                                        expired.", "Client session timed out, have not heard from server in Nms for
                                        session id 0x..."
  kafka.log.LocalLog / UnifiedLog      "[LocalLog partition=T-P, dir=D] Rolled new log segment at offset O in N ms.",
                                       "[UnifiedLog partition=T-P, dir=D] Deleting segment LogSegment(...) due to log
                                        retention time Nms breach based on the largest record timestamp in the segment"
Client lines (consumers/producers in the apps) carry the client's LogContext prefix `[Consumer clientId=C,
groupId=G]` / `[Producer clientId=C]` inside the Spring Boot 3 console layout.
"""
import datetime as dt

UTC = datetime_utc = dt.timezone.utc


def ts_kafka(ms):
    d = dt.datetime.fromtimestamp(ms / 1000, UTC)
    return d.strftime('%Y-%m-%d %H:%M:%S,') + f'{ms % 1000:03d}'


def ts_spring(ms):
    d = dt.datetime.fromtimestamp(ms / 1000, UTC)
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + f'{ms % 1000:03d}Z'


def ts_gc(ms):
    d = dt.datetime.fromtimestamp(ms / 1000, UTC)
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + f'{ms % 1000:03d}+0000'


def kline(ms, level, msg, logger):
    return f'[{ts_kafka(ms)}] {level} {msg} ({logger})'


SHORT_LOGGER = {
    'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator': 'o.a.k.c.c.internals.ConsumerCoordinator',
    'org.apache.kafka.clients.consumer.internals.AbstractCoordinator': 'o.a.k.c.c.internals.AbstractCoordinator',
    'org.apache.kafka.clients.NetworkClient': 'org.apache.kafka.clients.NetworkClient',
    'org.apache.kafka.clients.producer.internals.Sender': 'o.a.k.c.producer.internals.Sender',
    'org.apache.kafka.clients.producer.KafkaProducer': 'o.a.k.clients.producer.KafkaProducer',
}


def sline(ms, level, app, thread, logger, msg):
    """Spring Boot 3.x console layout: `TS  LEVEL PID --- [app] [thread] logger : message`."""
    lg = SHORT_LOGGER.get(logger, logger)
    return f'{ts_spring(ms)} {level:>5} 1 --- [{app}] [{thread[-15:]:>15}] {lg:<40} : {msg}'


class Streams:
    """Collects lines per Loki stream. A source is ('broker', id, file) | ('controller', id) | ('app', name, i)."""

    def __init__(self, cluster, rng):
        self.c = cluster
        self.rng = rng
        self.lines = {}                  # labels tuple -> list of [ns, line]
        self.app_pods = {}

    def labels(self, source, level):
        c, L = self.c, self.c.labels
        lab = {}
        kind = source[0]
        if kind in ('broker', 'controller'):
            b = source[1]
            name = c.hosts[b].split('.')[0] if kind == 'broker' else f'{c.name}-controller-{b - 3000}'
            if L.scheme == 'vm':
                lab = {'job': 'kafka', 'host': name, 'broker' if kind == 'broker' else 'node_id': str(b)}
            elif L.scheme == 'vm-nobroker':
                lab = {'job': 'kafka', 'host': name}
            elif L.scheme == 'vm-otel':
                # the OpenTelemetry collector's filelog receiver into Loki's OTLP endpoint: resource attributes
                lab = {'service_name': 'kafka', 'host_name': name, 'deployment_environment': 'prod'}
            else:
                pod = L.pod(b) if kind == 'broker' else f'{c.name}-controller-{b - 3000}'
                lab = {'job': 'kafka' if L.scheme == 'k8s' else f'{L.namespace}/{c.name}-kafka',
                       'namespace': L.namespace, 'pod': pod, 'container': 'kafka'}
                if L.scheme == 'k8s-strimzi':
                    # Grafana Alloy / promtail kubernetes-pods defaults: namespace/app-label job, no `kafka` job
                    lab.update(job=f'{L.namespace}/{c.name}-broker', app_kubernetes_io_name='kafka',
                               app_kubernetes_io_instance=c.name)
                elif L.scheme == 'k8s-cfk':
                    lab.update(job=f'{L.namespace}/kafka', app='kafka')
            if L.scheme in ('vm', 'vm-nobroker'):
                f = source[2] if len(source) > 2 else 'server'
                lab['filename'] = {'server': '/var/log/kafka/server.log', 'state': '/var/log/kafka/state-change.log',
                                   'controller': '/var/log/kafka/controller.log',
                                   'gc': '/var/log/kafka/kafkaServer-gc.log'}[f]
            elif len(source) > 2 and source[2] == 'gc':
                lab['stream'] = 'gc'
        else:
            app, i = source[1], source[2]
            if L.scheme == 'vm-otel':
                lab = {'service_name': app, 'host_name': f'{app}-{i + 1}', 'deployment_environment': 'prod'}
            elif L.scheme.startswith('k8s'):
                pod = self.app_pods.setdefault((app, i), f'{app}-{self.rng.randint(0x5000000, 0xfffffff):x}-'
                                                         f'{"".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))}')
                lab = {'namespace': 'shop', 'app': app, 'pod': pod, 'container': app, 'job': f'shop/{app}'}
            else:
                lab = {'job': app, 'host': f'{app}-{i + 1}', 'env': 'prod'}
        if L.cluster_label:
            lab['cluster'] = c.name
        if L.level_label and level:
            lab['level'] = level
        return tuple(sorted(lab.items()))

    def add(self, source, ms, level, line):
        if self.c.labels.scheme == 'vm-msk' and source[0] in ('broker', 'controller'):
            return                 # MSK's broker logs go to CloudWatch, not to this Loki
        key = self.labels(source, level)
        self.lines.setdefault(key, []).append([str(int(ms) * 1_000_000), line])

    def kafka(self, b, ms, level, msg, logger, file='server'):
        kind = 'controller' if b >= 3000 else 'broker'
        self.add((kind, b, file), ms, level, kline(ms, level, msg, logger))

    def app(self, app, i, ms, level, thread, logger, msg):
        self.add(('app', app, i), ms, level, sline(ms, level, app, thread, logger, msg))

    def push_body(self):
        streams = []
        for key, values in sorted(self.lines.items()):
            values.sort(key=lambda v: int(v[0]))
            streams.append({'stream': dict(key), 'values': values})
        return {'streams': streams}

    def count(self):
        return sum(len(v) for v in self.lines.values())


def fetch_request(rng, replica, parts):
    data = ', '.join(
        f'{p.name}=PartitionData(topicId={topic_id(p.topic)}, fetchOffset={int(p.end_offset)}, '
        f'logStartOffset={int(p.start_offset)}, maxBytes=1048576, currentLeaderEpoch=Optional[{p.epoch}], '
        f'lastFetchedEpoch=Optional[{p.epoch}])' for p in parts[:3])
    return (f'(type=FetchRequest, replicaId={replica}, maxWait=500, minBytes=1, maxBytes=10485760, '
            f'fetchData={{{data}}}, isolationLevel=READ_UNCOMMITTED, removed=, replaced=, '
            f'metadata=(sessionId={rng.randint(10 ** 8, 2 ** 31 - 1)}, epoch={rng.randint(1, 90000)}), rackId=)')


_TOPIC_IDS = {}


def topic_id(name):
    if name not in _TOPIC_IDS:
        import hashlib
        import base64
        _TOPIC_IDS[name] = base64.urlsafe_b64encode(hashlib.md5(name.encode()).digest()).decode()[:22]
    return _TOPIC_IDS[name]


STACK_DISCONNECT = ('\njava.io.IOException: Connection to {n} was disconnected before the response was read'
                    '\n\tat org.apache.kafka.clients.NetworkClientUtils.sendAndReceive(NetworkClientUtils.java:99)'
                    '\n\tat kafka.server.BrokerBlockingSender.sendRequest(BrokerBlockingSender.scala:113)'
                    '\n\tat kafka.server.RemoteLeaderEndPoint.fetch(RemoteLeaderEndPoint.scala:79)'
                    '\n\tat kafka.server.AbstractFetcherThread.processFetchRequest(AbstractFetcherThread.scala:316)'
                    '\n\tat kafka.server.AbstractFetcherThread.maybeFetch(AbstractFetcherThread.scala:129)'
                    '\n\tat kafka.server.ReplicaFetcherThread.doWork(ReplicaFetcherThread.scala:98)'
                    '\n\tat org.apache.kafka.server.util.ShutdownableThread.run(ShutdownableThread.java:130)')
STACK_CONNECT_TIMEOUT = ('\njava.net.SocketTimeoutException: Failed to connect within 30000 ms'
                         '\n\tat kafka.server.BrokerBlockingSender.sendRequest(BrokerBlockingSender.scala:109)'
                         '\n\tat kafka.server.RemoteLeaderEndPoint.fetch(RemoteLeaderEndPoint.scala:79)'
                         '\n\tat kafka.server.AbstractFetcherThread.processFetchRequest(AbstractFetcherThread.scala:316)')
STACK_NO_SPACE = ('\njava.io.IOException: No space left on device'
                  '\n\tat java.base/sun.nio.ch.FileDispatcherImpl.write0(Native Method)'
                  '\n\tat java.base/sun.nio.ch.FileChannelImpl.write(FileChannelImpl.java:285)'
                  '\n\tat org.apache.kafka.common.record.FileRecords.append(FileRecords.java:195)'
                  '\n\tat org.apache.kafka.storage.internals.log.LogSegment.append(LogSegment.java:259)'
                  '\n\tat kafka.log.LocalLog.append(LocalLog.scala:424)'
                  '\n\tat kafka.log.UnifiedLog.append(UnifiedLog.scala:946)')
