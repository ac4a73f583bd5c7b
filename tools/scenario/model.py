"""The cluster a scenario runs on: brokers with racks and hosts, topics with partitions placed rack-aware,
consumer groups with members, producer clients with quotas, the apps that own them, and how this installation
labels its metrics and log streams (real setups differ: VMs with instance/broker labels, Kubernetes pods, ...).

Names of exporters' metrics are in metrics.py; log line templates in logs.py. Nothing here is derived from the
analysis code of the product (src/): only from how Kafka and its usual exporters and log shippers behave.
"""
from dataclasses import dataclass, field


def java_hash(s):
    """java.lang.String.hashCode, as Kafka uses for the group coordinator partition (Utils.abs(hash) % 50)."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


@dataclass
class Partition:
    topic: str
    id: int
    replicas: list
    leader: object = None          # broker id, or None when offline
    isr: list = field(default_factory=list)
    epoch: int = 0                 # leader epoch
    version: int = 0               # partition epoch (ISR changes)
    end_offset: float = 0.0
    start_offset: float = 0.0
    size: float = 0.0              # bytes on each replica (log size)

    @property
    def name(self):
        return f'{self.topic}-{self.id}'


@dataclass
class Topic:
    name: str
    partitions: list
    rf: int
    min_isr: int
    rate: float                    # messages per second, whole topic
    msg_bytes: int
    retention_ms: int = 604800000


@dataclass
class Group:
    id: str
    app: str
    topics: list
    members: list                  # client ids
    capacity: float                # messages per second the members can process together
    coordinator_partition: int = 0


@dataclass
class Producer:
    client_id: str
    app: str
    topics: list
    share: float                   # share of each topic's traffic this client writes
    quota: object = None           # producer_byte_rate in bytes/s, or None


@dataclass
class Labels:
    """How this installation labels things. scheme: vm | vm-nobroker | k8s | k8s-promtail-job, and for the held-out
    set: vm-otel (host-labelled metrics, logs shipped by the OpenTelemetry collector: service_name, host_name) |
    vm-msk (Amazon MSK open monitoring: b-N.<cluster>... instances, no broker logs) | k8s-strimzi (Strimzi node
    pools: <cluster>-broker-N pods, strimzi_io_* labels) | k8s-cfk (Confluent for Kubernetes: kafka-N pods in
    namespace confluent, data0-kafka-N volume claims).
    family: metric naming: jmx (the example rules) | cfk (attribute as a `name` label, lower case:
    kafka_server_replicamanager_value{name="UnderReplicatedPartitions"}) | msk (the same in MBean case:
    kafka_server_ReplicaManager_Value{...}, java_lang_* JVM beans) | strimzi (its kafka-metrics.yaml: no quota
    sensors)."""
    scheme: str
    cluster: str
    namespace: str = 'kafka'
    jmx_port: int = 7071
    cluster_label: bool = True     # a `cluster` label on every series and stream
    level_label: bool = True       # log streams split by `level`
    jvm_new_names: bool = False    # jmx_exporter 1.x client_java names (jvm_memory_used_bytes)
    idle_metric: str = 'kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent'
    family: str = 'jmx'
    pod_prefix: str = ''           # k8s pods other than <cluster>-kafka-N (Strimzi node pools, CFK)
    client_metrics: bool = False   # apps export their Kafka clients' metrics (Micrometer names)

    def pod(self, b):
        return f'{self.pod_prefix}{b}' if self.pod_prefix else f'{self.cluster}-kafka-{b}'

    def pvc(self, b, data_dir):
        if self.scheme == 'k8s-cfk':
            return f'data0-{self.pod(b)}'
        return f'data-0-{self.pod(b)}' if '{b}' in data_dir else f'data-{self.pod(b)}'


@dataclass
class Cluster:
    name: str
    mode: str                      # kraft | zookeeper
    version: str                   # Kafka version, e.g. 3.6.1 (some log texts changed between versions)
    brokers: list
    racks: dict
    hosts: dict                    # broker -> host name
    ips: dict                      # broker -> IP
    controllers: list              # KRaft: controller node ids (dedicated or the brokers themselves); ZK: []
    dedicated_controllers: bool
    topics: list
    groups: list
    producers: list
    apps: list
    labels: Labels
    data_dir: str
    disk_bytes: float
    heap_bytes: float
    zk_hosts: list = field(default_factory=list)
    offsets_partitions: int = 50
    offsets_leaders: dict = field(default_factory=dict)   # __consumer_offsets partition -> leader

    def topic(self, name):
        return next(t for t in self.topics if t.name == name)

    def partitions(self):
        for t in self.topics:
            yield from t.partitions

    def group(self, gid):
        return next(g for g in self.groups if g.id == gid)

    def coordinator(self, group):
        return self.offsets_leaders[group.coordinator_partition]

    def node_address(self, b):
        return f'{self.hosts[b]}/{self.ips[b]}:9092'

    def version_at_least(self, major, minor):
        v = tuple(int(x) for x in self.version.split('.')[:2])
        return v >= (major, minor)


APPS = [
    # app, consumer group, topics consumed, producer client, topics produced
    ('order-service', 'order-service', ['checkout-events'], 'order-service-producer', ['orders']),
    ('checkout-svc', None, [], 'checkout-svc', ['checkout-events', 'payments']),
    ('payment-service', 'payment-service', ['payments'], 'payment-service-producer', ['payment-results']),
    ('fraud-detector', 'fraud-detector', ['payments'], None, []),
    ('inventory-sync', 'inventory-sync', ['orders'], 'inventory-sync', ['inventory']),
    ('notification-sender', 'notification-sender', ['orders', 'payment-results'], None, []),
    ('analytics-etl', 'analytics-etl', ['orders', 'payments', 'inventory'], None, []),
    ('clickstream-collector', None, [], 'clickstream-collector', ['clickstream']),
    ('recommendation-engine', 'recommendation-engine', ['clickstream'], None, []),
    ('shipment-tracker', 'shipment-tracker', ['orders'], 'shipment-tracker', ['shipments']),
]

TOPIC_RATES = {  # messages/s, bytes per message
    'orders': (900, 900), 'payments': (400, 700), 'checkout-events': (1200, 500), 'payment-results': (380, 400),
    'inventory': (700, 600), 'clickstream': (3000, 300), 'shipments': (250, 800),
}

CLUSTER_NAMES = ['prod-eu', 'prod-us', 'payments-prod', 'core-events', 'platform-east', 'shop-live', 'ledger',
                 'streaming-main', 'orders-prod', 'ingest-west']


def build_cluster(rng, name, n_brokers, mode, scheme, version, n_apps=None, partitions=(3, 6), dedicated=None):
    brokers = list(range(1, n_brokers + 1)) if rng.random() < 0.7 else list(range(0, n_brokers))
    rack_names = rng.choice([['a', 'b', 'c'], ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
                             ['us-east-1a', 'us-east-1b', 'us-east-1c'], ['rack1', 'rack2', 'rack3']])
    racks = {b: rack_names[i % 3] for i, b in enumerate(brokers)}
    k8s = scheme.startswith('k8s')
    subnet = rng.randint(1, 60)
    hosts, ips = {}, {}
    for b in brokers:
        if k8s:
            hosts[b] = f'{name}-kafka-{b}.{name}-kafka-brokers.kafka.svc'
            if scheme == 'k8s-strimzi':
                hosts[b] = f'{name}-broker-{b}.{name}-kafka-brokers.kafka.svc'
            elif scheme == 'k8s-cfk':
                hosts[b] = f'kafka-{b}.kafka.confluent.svc.cluster.local'
            ips[b] = f'10.42.{rng.randint(0, 9)}.{rng.randint(2, 250)}'
        else:
            hosts[b] = f'kafka-{b}' if rng.random() < 0.5 else f'{name}-kafka-{b:02d}'
            if scheme == 'vm-msk':
                hosts[b] = f'b-{b}.{name}.x7k2q9.c3.kafka.eu-west-1.amazonaws.com'
            ips[b] = f'10.{subnet}.{b % 3}.{10 + b}'
    if dedicated is None:
        dedicated = mode == 'kraft' and rng.random() < 0.5
    if mode == 'kraft':
        controllers = [3000 + i for i in range(3)] if dedicated else brokers[:3]
    else:
        controllers = []
    labels = Labels(scheme=scheme, cluster=name, cluster_label=rng.random() < 0.6, level_label=rng.random() < 0.5,
                    jvm_new_names=rng.random() < 0.4, jmx_port=9404 if k8s else rng.choice([7071, 7071, 9999]),
                    idle_metric=rng.choice(['kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent',
                                            'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent']))
    labels.family = {'vm-msk': 'msk', 'k8s-cfk': 'cfk', 'k8s-strimzi': 'strimzi'}.get(scheme, 'jmx')
    if scheme == 'k8s-strimzi':
        labels.pod_prefix = f'{name}-broker-'
    elif scheme == 'k8s-cfk':
        labels.pod_prefix, labels.namespace = 'kafka-', 'confluent'
    # 4-5 apps, at most 4 topics: a few hundred series per scenario keeps the backfill of all scenarios fast
    apps = []
    for a in rng.sample(APPS, len(APPS)):
        topics_now = {t for x in apps for t in x[2] + x[4]}
        if len(topics_now | set(a[2] + a[4])) <= 4:
            apps.append(a)
        if len(apps) >= (n_apps or rng.randint(4, 5)):
            break
    topic_names = sorted({t for a in apps for t in a[2] + a[4]})
    # a consumed topic nobody in the sample writes gets its writer (an ingest service) so it has traffic
    for tn in topic_names:
        if not any(tn in a[4] for a in apps):
            apps.append((f'{tn}-ingest', None, [], f'{tn}-ingest', [tn]))
    topics = []
    for i, tn in enumerate(topic_names):
        n_parts = rng.choice(range(partitions[0], partitions[1] + 1, 3))
        rf = min(3, n_brokers)
        rate, size = TOPIC_RATES[tn]
        rate *= rng.uniform(0.6, 1.4)
        start = rng.randrange(n_brokers)
        parts = []
        for p in range(n_parts):
            # Kafka's rack-aware assignment interleaves brokers by rack; a shifted round robin is close enough.
            first = (start + p) % n_brokers
            shift = 1 + (p // n_brokers) % max(1, n_brokers - 1)
            reps = []
            k = 0
            while len(reps) < rf:
                b = brokers[(first + k * shift) % n_brokers]
                if b not in reps:
                    reps.append(b)
                k += 1
                if k > 3 * n_brokers:
                    for b2 in brokers:
                        if b2 not in reps and len(reps) < rf:
                            reps.append(b2)
            off = rng.randint(10 ** 6, 5 * 10 ** 8)
            parts.append(Partition(tn, p, reps, reps[0], list(reps), epoch=rng.randint(3, 40),
                                   version=rng.randint(5, 90), end_offset=off,
                                   start_offset=off - rng.randint(10 ** 5, 10 ** 6 * 5)))
        topics.append(Topic(tn, parts, rf, min(2, rf), rate, size))
    groups, producers = [], []
    for app, gid, consumes, client, produces in apps:
        if gid:
            consumes = [t for t in consumes if t in topic_names]
            n_members = rng.randint(2, 6)
            members = [f'consumer-{gid}-{i + 1}' for i in range(n_members)] if rng.random() < 0.5 else \
                [f'{gid}-{rng.randint(0x100000, 0xffffff):x}-{i}' for i in range(n_members)]
            load = sum(t.rate for t in topics if t.name in consumes)
            groups.append(Group(gid, app, consumes, members, capacity=load * rng.uniform(2.5, 4.0),
                                coordinator_partition=abs(java_hash(gid)) % 50))
        if client:
            producers.append(Producer(client, app, produces, share=1.0))
    # Topics written by several apps: split the share.
    for tn in topic_names:
        ws = [p for p in producers if tn in p.topics]
        for p in ws:
            p.share = 1.0 / len(ws)
    offsets_leaders = {p: brokers[(p * 7 + 3) % n_brokers] for p in range(50)}
    data_dir = rng.choice(['/var/lib/kafka/data', '/var/lib/kafka', '/data/kafka-logs', '/kafka/data']) if not k8s \
        else '/var/lib/kafka/data-0/kafka-log{b}'
    zk = [f'zk-{i}.{name}.internal:2181' for i in range(1, 4)] if mode == 'zookeeper' else []
    return Cluster(name=name, mode=mode, version=version, brokers=brokers, racks=racks, hosts=hosts, ips=ips,
                   controllers=controllers, dedicated_controllers=dedicated, topics=topics, groups=groups,
                   producers=producers, apps=[a[0] for a in apps], labels=labels, data_dir=data_dir,
                   disk_bytes=rng.choice([500, 1000, 2000]) * 1e9, heap_bytes=rng.choice([4, 6, 8]) * 2 ** 30,
                   zk_hosts=zk, offsets_leaders=offsets_leaders)
